//! Detection items (`field|modifier|...: value(s)`) and search identifiers
//! (maps of items, lists of maps, keyword lists), compiled once.

use std::collections::{BTreeMap, BTreeSet};

use regex::{Regex, RegexBuilder};
use serde_json::Value;

use super::error::RuleErrorKind;
use super::field::{any_scalar, is_nullish, scalar_text, FieldPath, Leaf};
use super::pattern::{
    base64, base64_offsets, parse_sigma_string, plain_text, Anchor, Cidr, StrPattern, TextEncoding,
};
use super::yaml::Node;

/// Compiled size limit of one regular expression (the `regex` crate's
/// `size_limit`): larger expressions are rejected at load, so that one rule
/// cannot make a function's memory or every evaluation balloon. Matching is
/// linear in the text whatever the expression (no backtracking).
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Cache size of one regular expression's lazy DFA, bounding the memory a
/// rule's expression may use while matching.
pub const REGEX_DFA_SIZE_LIMIT: usize = 1 << 20;

/// Most values one rule value may expand to (the product of its
/// placeholders' values): a configuration mistake should not make a rule
/// enormous.
const MAX_EXPANSION: usize = 4096;

/// Values for Sigma placeholders: a rule value `%name%` under the `expand`
/// modifier is replaced, when the rule is loaded, by the values given here
/// for `name` (alternatives: ORed, ANDed with `all`, as any list of values).
///
/// Placeholder values are plain text: `*` and `?` in them are matched as
/// themselves, never as wildcards (a bucket name is a name, not a pattern).
/// Text around a placeholder in the same value (`:trail/%trail_name%`) keeps
/// its Sigma meaning, wildcards included.
///
/// A name with no value (never set, or set to an empty list) makes the
/// rule fail to load with [`RuleErrorKind::Placeholder`], so that a caller
/// can tell a rule that waits for configuration from a broken one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placeholders(BTreeMap<String, Vec<String>>);

impl Placeholders {
    /// No placeholder defined.
    pub fn new() -> Placeholders {
        Placeholders::default()
    }

    /// Defines `name` (written with or without its `%` delimiters) as
    /// `values`, replacing an earlier definition. Empty strings and repeats
    /// are dropped; with nothing left, the name is undefined.
    pub fn set<I, S>(&mut self, name: &str, values: I) -> &mut Placeholders
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let name = name.trim_matches('%').to_string();
        let mut kept: Vec<String> = Vec::new();
        for v in values {
            let v = v.into();
            if !v.is_empty() && !kept.contains(&v) {
                kept.push(v);
            }
        }
        if kept.is_empty() {
            self.0.remove(&name);
        } else {
            self.0.insert(name, kept);
        }
        self
    }

    /// [`Placeholders::set`], by value, for building in one expression.
    pub fn with<I, S>(mut self, name: &str, values: I) -> Placeholders
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.set(name, values);
        self
    }

    /// The values of `name`, `None` when it is not defined.
    pub fn get(&self, name: &str) -> Option<&[String]> {
        self.0.get(name.trim_matches('%')).map(Vec::as_slice)
    }

    /// The defined names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Whether no placeholder is defined.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A numeric comparison (`lt`, `lte`, `gt`, `gte`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Lt,
    Lte,
    Gt,
    Gte,
}

/// One way a single field value can match.
#[derive(Debug, Clone)]
enum Matcher {
    /// `null`: the field is absent or null.
    Null,
    Str(StrPattern),
    Regex(Regex),
    Cidr(Cidr),
    /// `fieldref`: compare with another field of the same record.
    FieldRef {
        path: FieldPath,
        anchor: Anchor,
        cased: bool,
    },
    Compare(CmpOp, f64),
}

/// What an item tests.
#[derive(Debug, Clone)]
enum Test {
    /// `exists: true|false`.
    Exists(bool),
    /// Each value is a set of alternatives (one, or three for
    /// `base64offset`); values are ORed, or ANDed with `all`.
    Values {
        values: Vec<Vec<Matcher>>,
        all: bool,
    },
}

/// One detection item: a field (or every value of the record, for
/// keywords), a test, and `neq`'s negation.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    field: Option<FieldPath>,
    test: Test,
    negated: bool,
}

/// A search identifier: a map (AND of items) or a list (OR of maps and
/// keywords).
#[derive(Debug, Clone)]
pub(crate) enum Selection {
    All(Vec<Item>),
    Any(Vec<Selection>),
}

/// The modifiers of one detection key, parsed and checked for coherence.
#[derive(Debug, Default)]
struct Modifiers {
    anchor: Option<Anchor>,
    all: bool,
    cased: bool,
    neq: bool,
    re: bool,
    re_i: bool,
    re_m: bool,
    re_s: bool,
    cidr: bool,
    fieldref: bool,
    exists: bool,
    expand: bool,
    encoding: Option<TextEncoding>,
    base64: Option<bool>, // Some(false): base64, Some(true): base64offset
    cmp: Option<CmpOp>,
}

impl Modifiers {
    fn parse(field: &str, mods: &[&str]) -> Result<Modifiers, RuleErrorKind> {
        let mut m = Modifiers::default();
        let mut seen: Vec<String> = Vec::new();
        let unsupported = |modifier: &str, reason: &str| RuleErrorKind::UnsupportedModifier {
            field: field.to_string(),
            modifier: modifier.to_string(),
            reason: reason.to_string(),
        };
        for (pos, &raw) in mods.iter().enumerate() {
            let lower = raw.to_ascii_lowercase();
            let name = match lower.as_str() {
                "ignorecase" => "i",
                "multiline" => "m",
                "dotall" => "s",
                "wide" => "utf16le",
                other => other,
            }
            .to_string();
            if seen.contains(&name) {
                return Err(unsupported(raw, "given twice"));
            }
            let first = pos == 0;
            match name.as_str() {
                "contains" | "startswith" | "endswith" => {
                    if m.anchor.is_some() {
                        return Err(unsupported(
                            raw,
                            "only one of contains, startswith and endswith may be used",
                        ));
                    }
                    if m.re {
                        return Err(unsupported(
                            raw,
                            "with `re` the anchoring belongs in the expression (^, $)",
                        ));
                    }
                    m.anchor = Some(match name.as_str() {
                        "contains" => Anchor::Contains,
                        "startswith" => Anchor::StartsWith,
                        _ => Anchor::EndsWith,
                    });
                }
                "all" => m.all = true,
                "cased" => m.cased = true,
                "neq" => m.neq = true,
                "re" => {
                    if !first {
                        return Err(unsupported(
                            raw,
                            "`re` must come first: it takes the value as written",
                        ));
                    }
                    m.re = true;
                }
                "i" | "m" | "s" => {
                    if !m.re {
                        return Err(unsupported(
                            raw,
                            "a regular-expression flag needs `re` before it",
                        ));
                    }
                    match name.as_str() {
                        "i" => m.re_i = true,
                        "m" => m.re_m = true,
                        _ => m.re_s = true,
                    }
                }
                "cidr" => {
                    if !first {
                        return Err(unsupported(
                            raw,
                            "`cidr` must come first: it takes the value as written",
                        ));
                    }
                    m.cidr = true;
                }
                "fieldref" => {
                    if m.anchor.is_some() {
                        return Err(unsupported(
                            raw,
                            "`fieldref` must come before contains/startswith/endswith",
                        ));
                    }
                    m.fieldref = true;
                }
                "exists" => m.exists = true,
                "utf16le" | "utf16be" | "utf16" => {
                    if m.encoding.is_some() {
                        return Err(unsupported(raw, "only one UTF-16 encoding may be used"));
                    }
                    if m.base64.is_some() || m.anchor.is_some() {
                        return Err(unsupported(
                            raw,
                            "a UTF-16 encoding must come before base64/base64offset",
                        ));
                    }
                    m.encoding = Some(match name.as_str() {
                        "utf16le" => TextEncoding::Utf16Le,
                        "utf16be" => TextEncoding::Utf16Be,
                        _ => TextEncoding::Utf16Bom,
                    });
                }
                "base64" | "base64offset" => {
                    if m.base64.is_some() {
                        return Err(unsupported(
                            raw,
                            "only one of base64 and base64offset may be used",
                        ));
                    }
                    if m.anchor.is_some() {
                        return Err(unsupported(
                            raw,
                            "base64 encoding must come before contains/startswith/endswith",
                        ));
                    }
                    m.base64 = Some(name == "base64offset");
                }
                "lt" | "lte" | "gt" | "gte" => {
                    if m.cmp.is_some() {
                        return Err(unsupported(raw, "only one comparison may be used"));
                    }
                    m.cmp = Some(match name.as_str() {
                        "lt" => CmpOp::Lt,
                        "lte" => CmpOp::Lte,
                        "gt" => CmpOp::Gt,
                        _ => CmpOp::Gte,
                    });
                }
                "windash" => {
                    return Err(unsupported(
                        raw,
                        "Windows command-line dash permutations have no meaning for CloudTrail",
                    ))
                }
                "expand" => m.expand = true,
                "minute" | "hour" | "day" | "week" | "month" | "year" => {
                    return Err(unsupported(raw, "time-part modifiers are not implemented"))
                }
                "" => return Err(unsupported(raw, "empty modifier (`||`)")),
                _ => return Err(unsupported(raw, "not a Sigma modifier")),
            }
            seen.push(name);
        }
        m.check(field, mods)?;
        Ok(m)
    }

    /// Combinations that have no meaning are refused (pySigma refuses the
    /// same ones).
    fn check(&self, field: &str, mods: &[&str]) -> Result<(), RuleErrorKind> {
        let chain = mods.join("|");
        let refuse = |reason: &str| {
            Err(RuleErrorKind::Invalid {
                field: field.to_string(),
                reason: format!("modifier chain `{chain}`: {reason}"),
            })
        };
        let string_transform = self.encoding.is_some() || self.base64.is_some();
        if self.exists && mods.len() > 1 {
            return refuse("`exists` takes no other modifier");
        }
        if self.encoding.is_some() && self.base64.is_none() {
            return refuse("a UTF-16 encoding is only meaningful before base64/base64offset");
        }
        if self.re
            && (self.cased || string_transform || self.cidr || self.fieldref || self.cmp.is_some())
        {
            return refuse("`re` combines only with i, m, s, all and neq");
        }
        if self.cidr
            && (self.anchor.is_some()
                || self.cased
                || string_transform
                || self.fieldref
                || self.cmp.is_some())
        {
            return refuse("`cidr` combines only with all and neq");
        }
        if self.expand && (self.re || self.cidr || self.fieldref || self.cmp.is_some()) {
            return refuse(
                "`expand` combines only with contains, startswith, endswith, all, cased, neq \
                 and the encodings",
            );
        }
        if self.fieldref && (string_transform || self.cmp.is_some()) {
            return refuse(
                "`fieldref` combines only with contains, startswith, endswith, cased, all and neq",
            );
        }
        if self.cmp.is_some() && (self.anchor.is_some() || self.cased || string_transform) {
            return refuse("a numeric comparison combines only with all and neq");
        }
        Ok(())
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> RuleErrorKind {
    RuleErrorKind::Invalid {
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// The text of a scalar value (booleans as `true`/`false`), `None` for null.
fn value_text(field: &str, v: &Node) -> Result<Option<String>, RuleErrorKind> {
    match v {
        Node::Null => Ok(None),
        Node::Bool(b) => Ok(Some(b.to_string())),
        Node::Scalar { text, .. } => Ok(Some(text.clone())),
        Node::Seq(_) | Node::Map(_) => Err(invalid(
            field,
            format!(
                "a value is {}; values are strings, numbers, booleans or null",
                v.kind()
            ),
        )),
    }
}

impl Item {
    /// Compiles one `key: value` of a map. `location` names it in errors
    /// (`detection.selection.eventName|contains`); `placeholders` gives the
    /// values of `%name%` under `expand`.
    pub(crate) fn compile(
        key: &str,
        value: &Node,
        location: &str,
        placeholders: &Placeholders,
    ) -> Result<Item, RuleErrorKind> {
        let mut parts = key.split('|');
        let name = parts.next().unwrap_or_default();
        let mods: Vec<&str> = parts.collect();
        let m = Modifiers::parse(location, &mods)?;
        let field = if name.is_empty() {
            None
        } else {
            Some(FieldPath::new(name))
        };
        let values: Vec<&Node> = match value {
            Node::Seq(items) => items.iter().collect(),
            other => vec![other],
        };
        let expanded: Vec<Node>;
        let values: Vec<&Node> = if m.expand {
            let mut out = Vec::new();
            for v in values {
                match v {
                    Node::Scalar { text, .. } => {
                        for text in expand_value(location, text, placeholders)? {
                            out.push(Node::Scalar { text, plain: false });
                        }
                    }
                    other => out.push(other.clone()),
                }
            }
            expanded = out;
            expanded.iter().collect()
        } else {
            values
        };
        if values.is_empty() {
            return Err(invalid(location, "an empty list of values matches nothing"));
        }
        if m.exists {
            if field.is_none() {
                return Err(invalid(location, "`exists` needs a field"));
            }
            return match values.as_slice() {
                [Node::Bool(b)] => Ok(Item {
                    field,
                    test: Test::Exists(*b),
                    negated: false,
                }),
                _ => Err(invalid(
                    location,
                    "`exists` takes one boolean, true or false",
                )),
            };
        }
        if field.is_none() && (m.fieldref || m.cmp.is_some()) {
            return Err(invalid(
                location,
                "keywords (no field name) cannot use fieldref or comparisons",
            ));
        }
        let mut compiled = Vec::with_capacity(values.len());
        for v in values {
            compiled.push(compile_value(location, v, &m, field.is_none())?);
        }
        Ok(Item {
            field,
            test: Test::Values {
                values: compiled,
                all: m.all,
            },
            negated: m.neq,
        })
    }

    /// Keywords: plain values searched for in every value of the record.
    pub(crate) fn keywords(values: &[&Node], location: &str) -> Result<Item, RuleErrorKind> {
        let m = Modifiers::default();
        let mut compiled = Vec::with_capacity(values.len());
        for v in values {
            compiled.push(compile_value(location, v, &m, true)?);
        }
        Ok(Item {
            field: None,
            test: Test::Values {
                values: compiled,
                all: false,
            },
            negated: false,
        })
    }

    /// Whether the record satisfies this item.
    pub(crate) fn matches(&self, record: &Value) -> bool {
        let hit = match &self.test {
            Test::Exists(want) => {
                let present = match &self.field {
                    Some(p) => p.any(record, &mut |leaf| matches!(leaf, Leaf::Value(_))),
                    None => false,
                };
                present == *want
            }
            Test::Values { values, all } => {
                let one = |alts: &Vec<Matcher>| alts.iter().any(|m| self.matcher_hits(m, record));
                if *all {
                    values.iter().all(one)
                } else {
                    values.iter().any(one)
                }
            }
        };
        hit != self.negated
    }

    fn matcher_hits(&self, m: &Matcher, record: &Value) -> bool {
        let Some(path) = &self.field else {
            // Keywords: any scalar anywhere in the record.
            return any_scalar(record, &mut |v| scalar_hits(m, v, record));
        };
        if let Matcher::Null = m {
            let mut seen = false;
            let hit = path.any(record, &mut |leaf| {
                seen = true;
                match leaf {
                    Leaf::Missing => true,
                    Leaf::Value(v) => is_nullish(v),
                }
            });
            return hit || !seen;
        }
        path.any(record, &mut |leaf| match leaf {
            Leaf::Missing => false,
            Leaf::Value(v) => any_scalar(v, &mut |s| scalar_hits(m, s, record)),
        })
    }

    /// The lowercased values `key` must equal for this item to match, when
    /// the item says so plainly (`eventName: X` or `eventName: [X, Y]`).
    pub(crate) fn required(&self, key: &str) -> Option<BTreeSet<String>> {
        if self.negated || self.field.as_ref()?.single()? != key {
            return None;
        }
        let Test::Values { values, all } = &self.test else {
            return None;
        };
        let mut sets = values.iter().map(|alts| {
            alts.iter()
                .map(|m| match m {
                    Matcher::Str(p) => p.exact().map(str::to_lowercase),
                    _ => None,
                })
                .collect::<Option<BTreeSet<String>>>()
        });
        if *all {
            // Every value must hold at once: any one that is plain bounds it.
            let mut acc: Option<BTreeSet<String>> = None;
            for s in sets.by_ref().flatten() {
                acc = Some(match acc {
                    None => s,
                    Some(a) => a.intersection(&s).cloned().collect(),
                });
            }
            acc
        } else {
            let mut acc = BTreeSet::new();
            for s in sets {
                acc.extend(s?);
            }
            Some(acc)
        }
    }
}

/// Whether one non-null scalar satisfies a matcher.
fn scalar_hits(m: &Matcher, v: &Value, record: &Value) -> bool {
    match m {
        Matcher::Null => false,
        Matcher::Str(p) => scalar_text(v).is_some_and(|s| p.is_match(&s)),
        Matcher::Regex(r) => scalar_text(v).is_some_and(|s| r.is_match(&s)),
        Matcher::Cidr(c) => scalar_text(v).is_some_and(|s| c.contains_text(&s)),
        Matcher::Compare(op, want) => {
            let got = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            got.is_some_and(|g| match op {
                CmpOp::Lt => g < *want,
                CmpOp::Lte => g <= *want,
                CmpOp::Gt => g > *want,
                CmpOp::Gte => g >= *want,
            })
        }
        Matcher::FieldRef {
            path,
            anchor,
            cased,
        } => {
            let Some(hay) = scalar_text(v) else {
                return false;
            };
            path.any(record, &mut |leaf| match leaf {
                Leaf::Missing => false,
                Leaf::Value(r) => any_scalar(r, &mut |rv| {
                    scalar_text(rv).is_some_and(|needle| {
                        super::pattern::relate(&hay, &needle, *anchor, *cased)
                    })
                }),
            })
        }
    }
}

/// One piece of a value under `expand`: text as written, or a placeholder.
enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

/// Splits `text` at its placeholders: `%name%` where the name is one or
/// more ASCII letters, digits or underscores (pySigma's `%(\w+)%`); any
/// other `%` is text.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut start = 0;
    while let Some(open) = rest[start..].find('%').map(|i| start + i) {
        let after = &rest[open + 1..];
        let close = after.find('%');
        let name = close.map(|c| &after[..c]);
        match name {
            Some(n)
                if !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                if open > 0 {
                    out.push(Piece::Text(&rest[..open]));
                }
                out.push(Piece::Placeholder(n));
                rest = &after[n.len() + 1..];
                start = 0;
            }
            // Not a placeholder: this `%` is text; look on after it.
            _ => start = open + 1,
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

/// `value` written as a Sigma string that matches exactly it: `*`, `?`
/// and `\` escaped.
fn escape_sigma(value: &str, out: &mut String) {
    for c in value.chars() {
        if matches!(c, '*' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Text of a rule value placed before a placeholder's value: a trailing
/// backslash that escapes nothing (plain, as Sigma reads it) is doubled, so
/// that it cannot escape the first character of what follows.
fn close_text(text: &str, out: &mut String) {
    out.push_str(text);
    let trailing = text.bytes().rev().take_while(|&b| b == b'\\').count();
    if trailing % 2 == 1 {
        out.push('\\');
    }
}

/// The values `text` stands for under `expand`: one per combination of
/// its placeholders' values, each placeholder value escaped as plain text.
fn expand_value(
    location: &str,
    text: &str,
    placeholders: &Placeholders,
) -> Result<Vec<String>, RuleErrorKind> {
    let mut out = vec![String::new()];
    for piece in pieces(text) {
        match piece {
            Piece::Text(t) => {
                for s in &mut out {
                    close_text(t, s);
                }
            }
            Piece::Placeholder(name) => {
                let values = placeholders
                    .get(name)
                    .ok_or_else(|| RuleErrorKind::Placeholder {
                        name: name.to_string(),
                    })?;
                if out.len().saturating_mul(values.len()) > MAX_EXPANSION {
                    return Err(invalid(
                        location,
                        format!("`{text}` expands to more than {MAX_EXPANSION} values"),
                    ));
                }
                let mut next = Vec::with_capacity(out.len() * values.len());
                for prefix in &out {
                    for v in values {
                        let mut s = prefix.clone();
                        escape_sigma(v, &mut s);
                        next.push(s);
                    }
                }
                out = next;
            }
        }
    }
    Ok(out)
}

/// Compiles one value under the item's modifiers into its alternatives.
fn compile_value(
    location: &str,
    v: &Node,
    m: &Modifiers,
    keyword: bool,
) -> Result<Vec<Matcher>, RuleErrorKind> {
    let Some(text) = value_text(location, v)? else {
        if keyword {
            return Err(invalid(location, "a keyword cannot be null"));
        }
        let plain =
            !(m.re || m.cidr || m.fieldref || m.expand || m.cmp.is_some() || m.base64.is_some())
                && m.anchor.is_none()
                && m.encoding.is_none()
                && !m.cased;
        if !plain {
            return Err(invalid(
                location,
                "null takes no modifier other than all and neq",
            ));
        }
        return Ok(vec![Matcher::Null]);
    };
    if m.re {
        let re = RegexBuilder::new(&text)
            .case_insensitive(m.re_i)
            .multi_line(m.re_m)
            .dot_matches_new_line(m.re_s)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_DFA_SIZE_LIMIT)
            .build()
            .map_err(|e| RuleErrorKind::Regex {
                field: location.to_string(),
                pattern: text.clone(),
                reason: e.to_string(),
            })?;
        return Ok(vec![Matcher::Regex(re)]);
    }
    if m.cidr {
        let c = Cidr::parse(&text).map_err(|reason| invalid(location, reason))?;
        return Ok(vec![Matcher::Cidr(c)]);
    }
    if let Some(op) = m.cmp {
        let n = text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| invalid(location, format!("`{text}` is not a number")))?;
        return Ok(vec![Matcher::Compare(op, n)]);
    }
    let toks = parse_sigma_string(&text);
    if m.fieldref {
        let Some(name) = plain_text(&toks) else {
            return Err(invalid(
                location,
                format!("field reference `{text}` contains a wildcard"),
            ));
        };
        if name.is_empty() {
            return Err(invalid(location, "empty field reference"));
        }
        return Ok(vec![Matcher::FieldRef {
            path: FieldPath::new(&name),
            anchor: m.anchor.unwrap_or(Anchor::Whole),
            cased: m.cased,
        }]);
    }
    // Keywords are searched for inside values unless anchored otherwise.
    let anchor = m.anchor.unwrap_or(if keyword {
        Anchor::Contains
    } else {
        Anchor::Whole
    });
    if let Some(offset) = m.base64 {
        let Some(plain) = plain_text(&toks) else {
            return Err(invalid(
                location,
                format!("`{text}`: base64 encoding of a value with wildcards is not possible"),
            ));
        };
        let data = m.encoding.unwrap_or(TextEncoding::Utf8).encode(&plain);
        if offset {
            let Some(variants) = base64_offsets(&data) else {
                return Err(invalid(
                    location,
                    format!("`{text}` is too short for base64offset"),
                ));
            };
            return Ok(variants
                .iter()
                .map(|s| Matcher::Str(StrPattern::literal(s, anchor, m.cased)))
                .collect());
        }
        return Ok(vec![Matcher::Str(StrPattern::literal(
            &base64(&data),
            anchor,
            m.cased,
        ))]);
    }
    Ok(vec![Matcher::Str(StrPattern::new(toks, anchor, m.cased))])
}

impl Selection {
    /// Compiles a search identifier's value.
    pub(crate) fn compile(
        node: &Node,
        location: &str,
        placeholders: &Placeholders,
    ) -> Result<Selection, RuleErrorKind> {
        match node {
            Node::Map(entries) => {
                if entries.is_empty() {
                    return Err(invalid(location, "an empty map matches nothing"));
                }
                let items = entries
                    .iter()
                    .map(|(k, v)| Item::compile(k, v, &format!("{location}.{k}"), placeholders))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Selection::All(items))
            }
            Node::Seq(elems) => {
                if elems.is_empty() {
                    return Err(invalid(location, "an empty list matches nothing"));
                }
                let mut out = Vec::new();
                let mut words: Vec<&Node> = Vec::new();
                for (i, e) in elems.iter().enumerate() {
                    match e {
                        Node::Map(_) => out.push(Selection::compile(
                            e,
                            &format!("{location}[{i}]"),
                            placeholders,
                        )?),
                        Node::Seq(_) => {
                            return Err(invalid(
                                location,
                                "a list inside a list is not a Sigma detection",
                            ))
                        }
                        scalar => words.push(scalar),
                    }
                }
                if !words.is_empty() {
                    out.push(Selection::All(vec![Item::keywords(&words, location)?]));
                }
                Ok(Selection::Any(out))
            }
            Node::Null => Err(invalid(location, "a search identifier cannot be null")),
            scalar => Ok(Selection::All(vec![Item::keywords(&[scalar], location)?])),
        }
    }

    /// Whether the record satisfies this search identifier.
    pub(crate) fn matches(&self, record: &Value) -> bool {
        match self {
            Selection::All(items) => items.iter().all(|i| i.matches(record)),
            Selection::Any(subs) => subs.iter().any(|s| s.matches(record)),
        }
    }

    /// The values of top-level `key` this selection requires, if bounded.
    pub(crate) fn required(&self, key: &str) -> Option<BTreeSet<String>> {
        match self {
            Selection::All(items) => {
                let mut acc: Option<BTreeSet<String>> = None;
                for s in items.iter().filter_map(|i| i.required(key)) {
                    acc = Some(match acc {
                        None => s,
                        Some(a) => a.intersection(&s).cloned().collect(),
                    });
                }
                acc
            }
            Selection::Any(subs) => {
                let mut acc = BTreeSet::new();
                for s in subs {
                    acc.extend(s.required(key)?);
                }
                Some(acc)
            }
        }
    }
}
