//! trailguard's Sigma engine: Sigma rules for CloudTrail, loaded from YAML
//! into a compiled form and evaluated against JSON records.
//!
//! A crate of its own (as ripgrep's `grep-*` crates are): it knows Sigma
//! and JSON, nothing of AWS, trailguard's configuration or its alerts, so
//! it is tested, fuzzed and benchmarked alone (`cargo test -p
//! trailguard-sigma`, `cargo bench -p trailguard-sigma`). trailguard's
//! `detect` module adds the built-in rules, tuning and the detector on top.
//!
//! Pure: text in, [`Rule`]s and [`RuleSet`]s out; records in, matching
//! rules out. No I/O, no clock.
//!
//! # Why our own engine, not the `sigma-rust` crate
//!
//! `sigma-rust` 0.7.0 (the current release) was read before writing this.
//! It is a clean library, but against this project's compatibility target
//! (the SigmaHQ CloudTrail rules) and the requirements it falls
//! short in ways that change verdicts, not just speed:
//!
//! - **`null` does not match an absent field.** `Field::evaluate` returns
//!   false when the field is missing (only `exists: false` succeeds). In
//!   CloudTrail a successful call has no `errorCode` at all, so the SigmaHQ
//!   rules written `selection and 1 of selection_status_*` with
//!   `errorCode: null` (bucket deleted, flow logs deleted, SSM send command,
//!   GuardDuty detector deleted) would never fire on a successful call.
//! - **No matching through arrays or into objects.** `EventValue::matches`
//!   returns false for sequences and maps (its issue 9), and `Event::get`
//!   only descends maps. `requestParameters.containerDefinitions.command|contains`
//!   (ECS credential endpoint) crosses two arrays; `requestParameters|contains`
//!   (bucket versioning suspended, S3 Browser policy) targets an object.
//! - **Typed comparison.** An unquoted rule number (`recipientAccountId:
//!   123456789012`) never equals CloudTrail's string `"123456789012"`;
//!   Sigma says values are compared as strings.
//! - **No `re` sub-modifiers** (`re|i`, `re|m`, `re|s` are "unknown
//!   modifier") and regexes are built with the crate's default size limits.
//! - **Keywords** are whole-value equality, not a search inside values.
//! - **No index**: every rule is evaluated on every record, after the
//!   record is copied into the crate's own `Event` tree; the architecture
//!   asks for rules indexed by `eventSource`/`eventName`.
//! - It brings `thiserror` 1 (the workspace uses 2), `strum`, `cidr` and
//!   `serde_norway` (a binding to C-derived `unsafe-libyaml`).
//!
//! # YAML
//!
//! `saphyr` (with `saphyr-parser`): pure Rust, YAML 1.2 (so `NO` is the
//! string it looks like, not a boolean), maintained (the successor its
//! authors named for `yaml-rust2`), rejects duplicate keys, bounds alias
//! expansion; scalars are read as written, so a rule's `1.0` is compared
//! as `1.0`. `serde_yaml` is archived; `serde_norway`/`serde_yml` wrap
//! `unsafe-libyaml` or are themselves deprecated.
//!
//! # Semantics (what a rule means here)
//!
//! - A map is the AND of its items, a list the OR of its elements (maps or
//!   keywords), a list of values the OR of the values (AND with `all`).
//! - Values are compared as case-insensitive strings (`cased` makes them
//!   case-sensitive); numbers and booleans in records are compared as JSON
//!   writes them (`5`, `true`). `*` and `?` are wildcards; `\` escapes them
//!   as the specification's table says.
//! - Dotted paths walk nested objects; an array on the way or at the end
//!   stands for each element (any one matching is enough). A string
//!   matcher applied to an object matches when any value inside it does.
//! - `null` matches an absent field, a null, an empty array; `exists: true`
//!   a present field (even null).
//! - Modifiers: `contains`, `startswith`, `endswith`, `all`, `cased`, `re`
//!   (unanchored search, linear time, with `i`, `m`, `s`), `cidr`,
//!   `fieldref` (case-insensitive equality with another field, or with
//!   `contains`/`startswith`/`endswith`; `cased` makes it exact, which
//!   pySigma does not offer), `base64`, `base64offset`, `wide`/
//!   `utf16le`/`utf16be`/`utf16` before them, `exists`, `lt`/`lte`/`gt`/`gte`,
//!   `neq` (negates the item), `expand` (placeholders, below). `windash`
//!   and the time-part modifiers are refused, as are aggregations,
//!   correlations and filters.
//! - Placeholders: under `expand`, each `%name%` in a value is replaced at
//!   load time by the values the loader gives for `name` ([`Placeholders`],
//!   [`Rule::from_yaml_with`]): one value per placeholder value, ORed (ANDed
//!   with `all`), then read like any other value (`expand|endswith:
//!   ':trail/%trail_name%'`). Placeholder values are literal text: `*` and
//!   `?` in them are escaped, not wildcards. A placeholder without values
//!   is a load error of its own ([`RuleErrorKind::Placeholder`]): the rule
//!   waits for configuration, it is not broken.
//! - Keywords (lists without a field) are searched for inside every value
//!   of the record.
//! - A value is what the rule says, not what its author may have meant:
//!   SigmaHQ's `aws_iam_backdoor_users_keys` writes
//!   `userIdentity.arn|contains: responseElements.accessKey.userName`
//!   without `fieldref`, so its filter looks for that literal text.
//! - Conditions: `or` < `and` < `not` < `1 of`/`all of` < parentheses;
//!   `them` leaves out identifiers starting with `_`; a list of conditions
//!   is their OR.

#![deny(missing_docs)]

mod condition;
mod error;
mod field;
mod item;
mod pattern;
mod rule;
mod yaml;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use serde_json::Value;

pub use error::{RuleError, RuleErrorKind, RuleSetError};
pub use item::{Placeholders, REGEX_DFA_SIZE_LIMIT, REGEX_SIZE_LIMIT};
pub use pattern::Cidr;
pub use rule::{Level, LogSource, Rule, Status};

/// A Sigma string value matched against the whole of a text: `*` and `?`
/// are wildcards, `\` escapes them, case-insensitive unless `cased`.
/// For documents beside the rules (tuning's allowlists) that should read
/// values exactly as rules do.
#[derive(Debug, Clone)]
pub struct Wildcard(pattern::StrPattern);

impl Wildcard {
    /// Compiles `text` as a Sigma value.
    pub fn new(text: &str, cased: bool) -> Wildcard {
        Wildcard(pattern::StrPattern::new(
            pattern::parse_sigma_string(text),
            pattern::Anchor::Whole,
            cased,
        ))
    }

    /// Whether `text` matches as a whole.
    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text)
    }
}

/// Reads one YAML 1.2 document as JSON with the rule loader's limits
/// (depth, duplicate keys refused, aliases bounded), so that documents
/// beside the rules are read exactly as rules are.
pub fn yaml_to_json(text: &str) -> Result<Value, RuleErrorKind> {
    yaml::parse_document(text).map(|n| n.to_json())
}

/// Rules indexed for evaluating one record against all of them: a rule
/// that requires given `eventName` (or `eventSource`) values is only tried
/// on records carrying one of them.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    by_name: HashMap<String, Vec<usize>>,
    by_source: HashMap<String, Vec<usize>>,
    unindexed: Vec<usize>,
    summary: IndexSummary,
}

/// How the rules of a set are indexed, to show how many run on every
/// record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexSummary {
    /// Rules tried only on records with one of their `eventName`s.
    pub by_event_name: usize,
    /// Rules tried only on records with one of their `eventSource`s.
    pub by_event_source: usize,
    /// Rules tried on every record.
    pub unindexed: usize,
}

/// The record's `key` lowercased, when it is a string. `Err(())` when it is
/// present but not a string (then the index cannot be trusted).
fn key_of(record: &Value, key: &str) -> Result<Option<String>, ()> {
    match record.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.to_lowercase())),
        Some(_) => Err(()),
    }
}

impl RuleSet {
    /// Indexes `rules`; two rules with one id are refused (alerts and
    /// dedupe key on it).
    pub fn new(rules: Vec<Rule>) -> Result<RuleSet, RuleError> {
        let (set, mut duplicates) = RuleSet::keeping_first(rules);
        match duplicates.is_empty() {
            true => Ok(set),
            false => Err(duplicates.swap_remove(0)),
        }
    }

    /// Indexes `rules`, keeping the first rule of each id and returning the
    /// later ones as refused: one duplicate must not unload the others.
    /// The only place rule ids are checked for duplicates.
    pub fn keeping_first(rules: Vec<Rule>) -> (RuleSet, Vec<RuleError>) {
        let mut set = RuleSet::default();
        let mut duplicates = Vec::new();
        let mut ids: HashMap<String, String> = HashMap::new();
        for rule in rules {
            if let Some(other) = ids.get(&rule.id) {
                duplicates.push(RuleError {
                    origin: rule.origin.clone(),
                    id: Some(rule.id.clone()),
                    kind: Box::new(RuleErrorKind::DuplicateId {
                        other: other.clone(),
                    }),
                });
                continue;
            }
            ids.insert(rule.id.clone(), rule.origin.clone());
            set.rules.push(rule);
        }
        set.reindex();
        (set, duplicates)
    }

    /// Keeps only the rules `keep` accepts (in load order) and indexes
    /// them again: a rule dropped after the duplicate check (disabled,
    /// below a severity floor) has still claimed its id.
    pub fn retain(&mut self, keep: impl FnMut(&Rule) -> bool) {
        self.rules.retain(keep);
        self.reindex();
    }

    fn reindex(&mut self) {
        self.by_name.clear();
        self.by_source.clear();
        self.unindexed.clear();
        self.summary = IndexSummary::default();
        for (i, rule) in self.rules.iter().enumerate() {
            // A rule whose requirements contradict each other (an empty
            // set) can never match and is indexed under nothing.
            if let Some(names) = rule.required("eventName") {
                self.summary.by_event_name += 1;
                for n in names {
                    self.by_name.entry(n).or_default().push(i);
                }
            } else if let Some(sources) = rule.required("eventSource") {
                self.summary.by_event_source += 1;
                for s in sources {
                    self.by_source.entry(s).or_default().push(i);
                }
            } else {
                self.summary.unindexed += 1;
                self.unindexed.push(i);
            }
        }
    }

    /// Loads every `(origin, yaml)` source, reporting every rejected rule
    /// (not just the first) so one bad file does not hide another.
    pub fn from_sources<'a, I>(sources: I) -> Result<RuleSet, RuleSetError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut rules = Vec::new();
        let mut errors = Vec::new();
        for (origin, yaml) in sources {
            match Rule::from_yaml(yaml, origin) {
                Ok(r) => rules.push(r),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(RuleSetError(errors));
        }
        RuleSet::new(rules).map_err(|e| RuleSetError(vec![e]))
    }

    /// The rules matching `record`, in load order. Rules whose required
    /// `eventName`/`eventSource` the record lacks are not evaluated.
    pub fn evaluate(&self, record: &Value) -> Vec<&Rule> {
        let (name, source) = match (key_of(record, "eventName"), key_of(record, "eventSource")) {
            (Ok(n), Ok(s)) => (n, s),
            // A non-string eventName/eventSource: skip nothing.
            _ => return self.rules.iter().filter(|r| r.matches(record)).collect(),
        };
        let mut candidates: Vec<usize> = self.unindexed.clone();
        if let Some(v) = name.as_ref().and_then(|n| self.by_name.get(n)) {
            candidates.extend_from_slice(v);
        }
        if let Some(v) = source.as_ref().and_then(|s| self.by_source.get(s)) {
            candidates.extend_from_slice(v);
        }
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .filter_map(|i| self.rules.get(i))
            .filter(|r| r.matches(record))
            .collect()
    }

    /// The rules, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// How many rules there are.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// How the rules are indexed.
    pub fn index_summary(&self) -> IndexSummary {
        self.summary
    }
}
