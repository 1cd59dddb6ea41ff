//! What a trail's event selectors record, and the smallest change that
//! makes them record what is required.
//!
//! # Reading selectors
//!
//! A requirement is a *class* of events: management events that are read
//! (or write) events from any source; S3 object events (read or write) on
//! any object of a bucket; DynamoDB events (read or write) on any table.
//! A class is covered when some selector records every event of it; each
//! requirement is judged for reads and writes separately, so a `ReadOnly`
//! and a `WriteOnly` selector together cover what an `All` one does.
//!
//! **Basic selectors.** `ReadWriteType` applies to the selector's management
//! and data events alike. Management events are recorded by selectors with
//! `IncludeManagementEvents`; a source is excluded only when every selector
//! recording that kind of event excludes it. A `DataResources` value is an
//! ARN prefix: `arn:aws:s3` and `arn:aws:s3:::` (all buckets),
//! `arn:aws:s3:::BUCKET/` and `arn:aws:s3:::BUCKET` (the whole bucket)
//! cover the bucket, while `arn:aws:s3:::BUCKET/prefix` covers only that
//! prefix and is reported as partial; an undocumented form such as a
//! truncated bucket name is not counted. `arn:aws:dynamodb` covers every
//! table; a table ARN covers that table only.
//!
//! **Advanced selectors.** A selector is the AND of its field selectors; a
//! field selector's values for one operator are alternatives (OR), its
//! negative operators must all hold. A selector covers a class when each of
//! its field selectors holds for *every* event of the class:
//! `eventCategory`, `resources.type` and `readOnly` are compared with the
//! class's single value; `resources.ARN` against the class's set of ARNs
//! (`StartsWith arn:aws:s3:::BUCKET/` or any shorter prefix covers the
//! bucket, `Equals` never covers a whole bucket, a `NotStartsWith` inside
//! the bucket makes it partial); any condition on another field
//! (`eventSource NotEquals kms.amazonaws.com`, `eventName`...) makes the
//! selector partial. When a field selector mixes positive operators
//! (`Equals` and `StartsWith`), each must cover on its own: AWS's
//! documentation does not promise OR between operators, and the
//! conservative reading may report a gap that is not there, never the
//! reverse.
//!
//! # Repairing selectors
//!
//! [`repaired`] keeps the form the trail uses (basic stays basic,
//! advanced stays advanced; a trail with no selectors gets basic ones, the
//! form AWS creates) and only ever *adds* recording, so no event the owner
//! chose to record is dropped:
//!
//! - **Basic.** One selector with `ReadWriteType: All` is the "home" (the
//!   first that includes management events, else the first `All`; a new
//!   one is appended when there is none). A management gap is closed by
//!   setting `IncludeManagementEvents` and clearing the home's exclusions;
//!   missing buckets (`arn:aws:s3:::BUCKET/`) and DynamoDB
//!   (`arn:aws:dynamodb`) are added to its data resources. Every other
//!   selector is left as it is. Converting to advanced selectors was
//!   rejected: the translation of each basic selector is exact only in
//!   simple cases, and a repair that rewrites the whole configuration is
//!   hard for its owner to review.
//! - **Advanced.** A management gap replaces the first management
//!   selector (`eventCategory Equals Management`) with the unrestricted
//!   one and removes other management selectors, which it subsumes (one is
//!   appended when there is none). Missing buckets are added to an
//!   existing plain S3 selector (`eventCategory`, `resources.type` and
//!   `resources.ARN StartsWith` only) or to a new one; DynamoDB gets a new
//!   selector without an ARN restriction. Data selectors are never edited
//!   otherwise, never removed.
//!
//! AWS's limits are enforced on the result (basic: 5 selectors and 250
//! data resource values; advanced: 500 values across all field
//! selectors): a repair that would exceed them is refused with the count,
//! and the check reports drift without a repair. Repairing is idempotent:
//! selectors that satisfy the requirements are returned unchanged.

use super::model::{
    AdvancedSelector, BasicSelector, DataResource, FieldSelector, ReadWriteType, Selectors,
};
use super::requirements::Requirements;

/// AWS's cap on basic event selectors per trail.
pub const MAX_BASIC_SELECTORS: usize = 5;
/// AWS's cap on data resource values across a trail's basic selectors.
pub const MAX_BASIC_DATA_RESOURCES: usize = 250;
/// AWS's cap on values across all field selectors of a trail's advanced
/// selectors.
pub const MAX_ADVANCED_VALUES: usize = 500;
/// The data resource type of S3 object events.
pub const S3_OBJECT: &str = "AWS::S3::Object";
/// The data resource type of DynamoDB table events.
pub const DYNAMODB_TABLE: &str = "AWS::DynamoDB::Table";

/// The name given to a management selector the repair adds.
pub const MANAGEMENT_SELECTOR_NAME: &str = "trailguard: management events";
/// The name given to an S3 selector the repair adds.
pub const S3_SELECTOR_NAME: &str = "trailguard: S3 data events";
/// The name given to a DynamoDB selector the repair adds.
pub const DYNAMODB_SELECTOR_NAME: &str = "trailguard: DynamoDB data events";

/// How much of one class of events (reads, or writes) is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Span {
    /// Every event of the class.
    Full,
    /// Some: the restrictions that leave the rest out, as people read them.
    Partial(Vec<String>),
    /// None.
    None,
}

impl Span {
    fn describe(&self) -> String {
        match self {
            Span::Full => "recorded".to_string(),
            Span::Partial(why) => format!("only partly recorded ({})", why.join("; ")),
            Span::None => "not recorded".to_string(),
        }
    }

    /// The union of what two sets of selectors record (as far as it can be
    /// told without intersecting restrictions).
    fn or(self, other: Span) -> Span {
        match (self, other) {
            (Span::Full, _) | (_, Span::Full) => Span::Full,
            (Span::Partial(mut a), Span::Partial(b)) => {
                for r in b {
                    if !a.contains(&r) {
                        a.push(r);
                    }
                }
                Span::Partial(a)
            }
            (Span::Partial(a), Span::None) | (Span::None, Span::Partial(a)) => Span::Partial(a),
            (Span::None, Span::None) => Span::None,
        }
    }
}

/// Reads and writes of one requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// Read-only events.
    pub read: Span,
    /// Write events.
    pub write: Span,
}

impl Coverage {
    /// Both recorded in full.
    pub fn is_full(&self) -> bool {
        self.read == Span::Full && self.write == Span::Full
    }

    fn gap(&self, what: &str) -> Option<String> {
        if self.is_full() {
            None
        } else if self.read == self.write {
            Some(format!("{what}: {}", self.read.describe()))
        } else {
            Some(format!(
                "{what}: read events {}, write events {}",
                self.read.describe(),
                self.write.describe()
            ))
        }
    }
}

/// What the selectors record of each requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analysis {
    /// Management events from every source.
    pub management: Coverage,
    /// Object events of each required bucket, in the requirements' order.
    pub s3: Vec<(String, Coverage)>,
    /// Events of every DynamoDB table; `None` when not required.
    pub dynamodb: Option<Coverage>,
    /// Which form the trail uses: `"basic"`, `"advanced"`, `"no"`.
    pub form: &'static str,
}

impl Analysis {
    /// Management events read and write are recorded, none excluded.
    pub fn management_ok(&self) -> bool {
        self.management.is_full()
    }

    /// The required buckets not fully recorded (read and write).
    pub fn missing_buckets(&self) -> Vec<&str> {
        self.s3
            .iter()
            .filter(|(_, c)| !c.is_full())
            .map(|(b, _)| b.as_str())
            .collect()
    }

    /// DynamoDB data events are recorded (or not required).
    pub fn dynamodb_ok(&self) -> bool {
        self.dynamodb.as_ref().is_none_or(Coverage::is_full)
    }

    /// Every requirement is met.
    pub fn is_ok(&self) -> bool {
        self.management_ok() && self.missing_buckets().is_empty() && self.dynamodb_ok()
    }

    /// Each unmet requirement, precisely (what is missing, which selector
    /// restricts it).
    pub fn gaps(&self) -> Vec<String> {
        let mut out = Vec::new();
        out.extend(self.management.gap("management events"));
        for (bucket, c) in &self.s3 {
            out.extend(c.gap(&format!("S3 object events of bucket {bucket}")));
        }
        if let Some(c) = &self.dynamodb {
            out.extend(c.gap("DynamoDB events of all tables"));
        }
        out
    }

    /// What is required, in one sentence (for "expected ..." in details).
    pub fn expected(&self) -> String {
        let mut parts =
            vec!["management events read and write with no source excluded".to_string()];
        if !self.s3.is_empty() {
            let names: Vec<&str> = self.s3.iter().map(|(b, _)| b.as_str()).collect();
            parts.push(format!(
                "S3 object events read and write for {}",
                names.join(", ")
            ));
        }
        if self.dynamodb.is_some() {
            parts.push("DynamoDB events read and write for all tables".to_string());
        }
        parts.join("; ")
    }
}

/// A class of events, as the selectors see it.
struct Class {
    category: &'static str,
    resource_type: Option<&'static str>,
    /// Every ARN of the class starts with this (and any such ARN is one).
    arn_prefix: Option<String>,
    /// The basic `DataResources` values that cover the whole class. Only
    /// the documented forms: whether AWS matches a basic value as a plain
    /// string prefix (`arn:aws:s3:::art` covering bucket `artifacts`) is
    /// not documented, so such a value is not counted.
    basic_full: Vec<String>,
    read_only: bool,
}

/// Analyses what `selectors` record against `req`, for a trail in
/// `partition` (the ARNs of buckets and tables depend on it).
pub fn analyze(selectors: &Selectors, req: &Requirements, partition: &str) -> Analysis {
    let coverage =
        |category, resource_type, arn_prefix: Option<String>, basic_full: Vec<String>| {
            let span = |read_only| {
                let class = Class {
                    category,
                    resource_type,
                    arn_prefix: arn_prefix.clone(),
                    basic_full: basic_full.clone(),
                    read_only,
                };
                basic_span(&selectors.basic, &class).or(advanced_span(&selectors.advanced, &class))
            };
            Coverage {
                read: span(true),
                write: span(false),
            }
        };
    let form = match (selectors.basic.is_empty(), selectors.advanced.is_empty()) {
        (false, true) => "basic",
        (true, false) => "advanced",
        (true, true) => "no",
        (false, false) => "basic and advanced",
    };
    Analysis {
        management: coverage("Management", None, None, Vec::new()),
        s3: req
            .s3_data_buckets
            .iter()
            .map(|b| {
                let prefix = bucket_prefix(partition, b);
                let full = vec![
                    format!("arn:{partition}:s3"),
                    format!("arn:{partition}:s3:::"),
                    format!("arn:{partition}:s3:::{b}"),
                    prefix.clone(),
                ];
                (
                    b.clone(),
                    coverage("Data", Some(S3_OBJECT), Some(prefix), full),
                )
            })
            .collect(),
        dynamodb: req.dynamodb_data_events.then(|| {
            coverage(
                "Data",
                Some(DYNAMODB_TABLE),
                Some(format!("arn:{partition}:dynamodb:")),
                vec![
                    format!("arn:{partition}:dynamodb"),
                    format!("arn:{partition}:dynamodb:"),
                ],
            )
        }),
        form,
    }
}

/// `arn:aws:s3:::BUCKET/`: the prefix of every object ARN in the bucket.
fn bucket_prefix(partition: &str, bucket: &str) -> String {
    format!("arn:{partition}:s3:::{bucket}/")
}

fn rw_covers(rw: ReadWriteType, read_only: bool) -> bool {
    if read_only {
        rw.reads()
    } else {
        rw.writes()
    }
}

fn basic_span(selectors: &[BasicSelector], class: &Class) -> Span {
    let recording = selectors
        .iter()
        .filter(|s| rw_covers(s.read_write_type, class.read_only));
    match (class.resource_type, &class.arn_prefix) {
        (Some(kind), Some(prefix)) => {
            let mut span = Span::None;
            for value in recording
                .flat_map(|s| s.data_resources.iter())
                .filter(|d| d.kind == kind)
                .flat_map(|d| d.values.iter())
            {
                if class.basic_full.contains(value) {
                    return Span::Full;
                }
                if value.starts_with(prefix.as_str()) {
                    span = span.or(Span::Partial(vec![format!("{value} only")]));
                }
            }
            span
        }
        _ => {
            // Management: a source is missing only if every selector
            // recording this kind of event excludes it.
            let mut excluded: Option<Vec<&String>> = None;
            for s in recording.filter(|s| s.include_management_events) {
                let mine: Vec<&String> = s.exclude_management_event_sources.iter().collect();
                excluded = Some(match excluded {
                    None => mine,
                    Some(prev) => prev.into_iter().filter(|e| mine.contains(e)).collect(),
                });
            }
            match excluded {
                None => Span::None,
                Some(e) if e.is_empty() => Span::Full,
                Some(e) => Span::Partial(vec![format!(
                    "ExcludeManagementEventSources [{}]",
                    e.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                )]),
            }
        }
    }
}

/// How much of a class one field selector lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Effect {
    Nothing,
    Some,
    All,
}

fn advanced_span(selectors: &[AdvancedSelector], class: &Class) -> Span {
    let mut span = Span::None;
    for (i, s) in selectors.iter().enumerate() {
        let mut restrictions = Vec::new();
        let mut matches = true;
        for f in &s.field_selectors {
            match field_effect(f, class) {
                Effect::All => {}
                Effect::Some => restrictions.push(describe_field(f)),
                Effect::Nothing => {
                    matches = false;
                    break;
                }
            }
        }
        if !matches {
            continue;
        }
        if restrictions.is_empty() {
            return Span::Full;
        }
        let who = match &s.name {
            Some(n) => format!("selector {n:?}"),
            None => format!("advanced selector {}", i + 1),
        };
        span = span.or(Span::Partial(vec![format!(
            "{who}: {}",
            restrictions.join(" and ")
        )]));
    }
    span
}

fn field_effect(f: &FieldSelector, class: &Class) -> Effect {
    let read_only = if class.read_only { "true" } else { "false" };
    match f.field.as_str() {
        "eventCategory" => single(f, class.category),
        "readOnly" => single(f, read_only),
        "resources.type" => match class.resource_type {
            Some(t) => single(f, t),
            None => unconstrained(f),
        },
        "resources.ARN" => match &class.arn_prefix {
            Some(p) => prefix_set(f, p),
            None => unconstrained(f),
        },
        _ => unconstrained(f),
    }
}

/// A field that has one value across the class.
fn single(f: &FieldSelector, value: &str) -> Effect {
    let positives = [
        (&f.equals, value_eq as fn(&str, &str) -> bool),
        (&f.starts_with, |v, p| v.starts_with(p)),
        (&f.ends_with, |v, s| v.ends_with(s)),
    ];
    let negatives = [
        (&f.not_equals, value_eq as fn(&str, &str) -> bool),
        (&f.not_starts_with, |v, p| v.starts_with(p)),
        (&f.not_ends_with, |v, s| v.ends_with(s)),
    ];
    let positive_ok = positives
        .iter()
        .filter(|(vals, _)| !vals.is_empty())
        .all(|(vals, m)| vals.iter().any(|x| m(value, x)));
    let negative_ok = negatives
        .iter()
        .all(|(vals, m)| !vals.iter().any(|x| m(value, x)));
    if positive_ok && negative_ok {
        Effect::All
    } else {
        Effect::Nothing
    }
}

fn value_eq(a: &str, b: &str) -> bool {
    a == b
}

/// `resources.ARN` against the class's ARNs: every string starting with `p`.
fn prefix_set(f: &FieldSelector, p: &str) -> Effect {
    // One operator's values are alternatives: the best of them.
    fn best(vals: &[String], p: &str, each: fn(&str, &str) -> Effect) -> Effect {
        if vals.is_empty() {
            return Effect::All;
        }
        vals.iter()
            .map(|v| each(v, p))
            .max()
            .unwrap_or(Effect::Nothing)
    }
    let equals = best(&f.equals, p, |v, p| {
        if v.starts_with(p) {
            Effect::Some
        } else {
            Effect::Nothing
        }
    });
    let starts_with = best(&f.starts_with, p, |v, p| {
        if p.starts_with(v) {
            Effect::All
        } else if v.starts_with(p) {
            Effect::Some
        } else {
            Effect::Nothing
        }
    });
    let ends_with = best(&f.ends_with, p, |_, _| Effect::Some);
    let mut effect = equals.min(starts_with).min(ends_with);
    for v in &f.not_equals {
        if v.starts_with(p) {
            effect = effect.min(Effect::Some);
        }
    }
    for v in &f.not_starts_with {
        if p.starts_with(v.as_str()) {
            effect = Effect::Nothing;
        } else if v.starts_with(p) {
            effect = effect.min(Effect::Some);
        }
    }
    if !f.not_ends_with.is_empty() {
        effect = effect.min(Effect::Some);
    }
    effect
}

/// A field the class does not fix: any condition leaves some events out.
fn unconstrained(f: &FieldSelector) -> Effect {
    if f.value_count() == 0 {
        Effect::All
    } else {
        Effect::Some
    }
}

fn describe_field(f: &FieldSelector) -> String {
    let mut parts = Vec::new();
    for (op, vals) in [
        ("Equals", &f.equals),
        ("StartsWith", &f.starts_with),
        ("EndsWith", &f.ends_with),
        ("NotEquals", &f.not_equals),
        ("NotStartsWith", &f.not_starts_with),
        ("NotEndsWith", &f.not_ends_with),
    ] {
        if !vals.is_empty() {
            parts.push(format!("{} {op} [{}]", f.field, vals.join(", ")));
        }
    }
    parts.join(" and ")
}

/// Why selectors could not be repaired; the check reports drift with this.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorRepairError {
    /// The trail reports both forms, which AWS does not allow; which one
    /// is in force cannot be told, so nothing is put.
    #[error("the trail reports both basic and advanced selectors; not repairing an ambiguous configuration")]
    Mixed,
    /// More than [`MAX_BASIC_SELECTORS`].
    #[error(
        "the repaired basic selectors would number {count} (AWS allows {MAX_BASIC_SELECTORS})"
    )]
    TooManyBasicSelectors {
        /// How many the repair needs.
        count: usize,
    },
    /// More than [`MAX_BASIC_DATA_RESOURCES`].
    #[error("the repaired basic selectors would hold {count} data resource values (AWS allows {MAX_BASIC_DATA_RESOURCES})")]
    TooManyDataResources {
        /// How many the repair needs.
        count: usize,
    },
    /// More than [`MAX_ADVANCED_VALUES`].
    #[error("the repaired advanced selectors would hold {count} values (AWS allows {MAX_ADVANCED_VALUES})")]
    TooManyAdvancedValues {
        /// How many the repair needs.
        count: usize,
    },
}

/// The selectors to put so that the trail records what `req` requires:
/// `current` itself when it already does, else the smallest addition in
/// the trail's own form (see the module documentation). Never drops an
/// event `current` records.
pub fn repaired(
    current: &Selectors,
    req: &Requirements,
    partition: &str,
) -> Result<Selectors, SelectorRepairError> {
    let analysis = analyze(current, req, partition);
    if analysis.is_ok() {
        return Ok(current.clone());
    }
    let out = match (current.basic.is_empty(), current.advanced.is_empty()) {
        (false, false) => return Err(SelectorRepairError::Mixed),
        (_, false) => Selectors {
            basic: Vec::new(),
            advanced: repair_advanced(&current.advanced, &analysis, partition),
        },
        (_, true) => Selectors {
            basic: repair_basic(&current.basic, &analysis, partition),
            advanced: Vec::new(),
        },
    };
    check_limits(&out)?;
    Ok(out)
}

/// Whether selectors are within AWS's limits (an error names the excess).
pub fn check_limits(s: &Selectors) -> Result<(), SelectorRepairError> {
    if s.basic.len() > MAX_BASIC_SELECTORS {
        return Err(SelectorRepairError::TooManyBasicSelectors {
            count: s.basic.len(),
        });
    }
    let data: usize = s
        .basic
        .iter()
        .flat_map(|b| b.data_resources.iter())
        .map(|d| d.values.len())
        .sum();
    if data > MAX_BASIC_DATA_RESOURCES {
        return Err(SelectorRepairError::TooManyDataResources { count: data });
    }
    let values: usize = s
        .advanced
        .iter()
        .flat_map(|a| a.field_selectors.iter())
        .map(FieldSelector::value_count)
        .sum();
    if values > MAX_ADVANCED_VALUES {
        return Err(SelectorRepairError::TooManyAdvancedValues { count: values });
    }
    Ok(())
}

fn repair_basic(current: &[BasicSelector], a: &Analysis, partition: &str) -> Vec<BasicSelector> {
    let mut out = current.to_vec();
    let all = |s: &BasicSelector| s.read_write_type == ReadWriteType::All;
    let home = out
        .iter()
        .position(|s| all(s) && s.include_management_events)
        .or_else(|| out.iter().position(all));
    let idx = match home {
        Some(i) => i,
        None => {
            out.push(BasicSelector {
                read_write_type: ReadWriteType::All,
                include_management_events: false,
                data_resources: Vec::new(),
                exclude_management_event_sources: Vec::new(),
            });
            out.len() - 1
        }
    };
    let Some(home) = out.get_mut(idx) else {
        return out;
    };
    if !a.management_ok() {
        home.include_management_events = true;
        home.exclude_management_event_sources.clear();
    }
    for bucket in a.missing_buckets() {
        add_value(home, S3_OBJECT, bucket_prefix(partition, bucket));
    }
    if !a.dynamodb_ok() {
        add_value(home, DYNAMODB_TABLE, format!("arn:{partition}:dynamodb"));
    }
    out
}

fn add_value(s: &mut BasicSelector, kind: &str, value: String) {
    match s.data_resources.iter_mut().find(|d| d.kind == kind) {
        Some(d) => {
            if !d.values.contains(&value) {
                d.values.push(value);
            }
        }
        None => s.data_resources.push(DataResource {
            kind: kind.to_string(),
            values: vec![value],
        }),
    }
}

fn is_management(s: &AdvancedSelector) -> bool {
    s.field_selectors
        .iter()
        .any(|f| f.field == "eventCategory" && f.equals == ["Management"])
}

/// `eventCategory Equals Data`, `resources.type Equals AWS::S3::Object`,
/// `resources.ARN StartsWith [...]` and nothing else: adding a bucket to
/// it widens exactly that.
fn is_plain_s3(s: &AdvancedSelector) -> bool {
    let only_equals = |f: &FieldSelector, v: &str| f.equals == [v] && f.value_count() == 1;
    s.field_selectors.len() == 3
        && s.field_selectors
            .iter()
            .any(|f| f.field == "eventCategory" && only_equals(f, "Data"))
        && s.field_selectors
            .iter()
            .any(|f| f.field == "resources.type" && only_equals(f, S3_OBJECT))
        && s.field_selectors.iter().any(|f| {
            f.field == "resources.ARN"
                && !f.starts_with.is_empty()
                && f.value_count() == f.starts_with.len()
        })
}

fn repair_advanced(
    current: &[AdvancedSelector],
    a: &Analysis,
    partition: &str,
) -> Vec<AdvancedSelector> {
    let mut out = current.to_vec();
    if !a.management_ok() {
        let full = vec![FieldSelector::equals("eventCategory", &["Management"])];
        match out.iter().position(is_management) {
            Some(first) => {
                let mut i = 0;
                out.retain(|s| {
                    let keep = i == first || !is_management(s);
                    i += 1;
                    keep
                });
                // `first` is still at its index: only later ones were removed.
                if let Some(s) = out.get_mut(first) {
                    s.field_selectors = full;
                }
            }
            None => out.push(AdvancedSelector {
                name: Some(MANAGEMENT_SELECTOR_NAME.to_string()),
                field_selectors: full,
            }),
        }
    }
    let missing: Vec<String> = a
        .missing_buckets()
        .into_iter()
        .map(|b| bucket_prefix(partition, b))
        .collect();
    if !missing.is_empty() {
        let existing = out.iter_mut().find(|s| is_plain_s3(s)).and_then(|s| {
            s.field_selectors
                .iter_mut()
                .find(|f| f.field == "resources.ARN")
        });
        match existing {
            Some(arn) => {
                for m in missing {
                    if !arn.starts_with.contains(&m) {
                        arn.starts_with.push(m);
                    }
                }
            }
            None => out.push(AdvancedSelector {
                name: Some(S3_SELECTOR_NAME.to_string()),
                field_selectors: vec![
                    FieldSelector::equals("eventCategory", &["Data"]),
                    FieldSelector::equals("resources.type", &[S3_OBJECT]),
                    FieldSelector {
                        field: "resources.ARN".to_string(),
                        starts_with: missing,
                        ..FieldSelector::default()
                    },
                ],
            }),
        }
    }
    if !a.dynamodb_ok() {
        out.push(AdvancedSelector {
            name: Some(DYNAMODB_SELECTOR_NAME.to_string()),
            field_selectors: vec![
                FieldSelector::equals("eventCategory", &["Data"]),
                FieldSelector::equals("resources.type", &[DYNAMODB_TABLE]),
            ],
        });
    }
    out
}
