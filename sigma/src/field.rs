//! Field paths into CloudTrail records, split once at load time.
//!
//! `a.b.c` walks nested objects. An array met on the way (or at the end)
//! stands for each of its elements: the field matches when any element does,
//! which is how `requestParameters.containerDefinitions.command` reaches the
//! commands of every container. A key that itself contains dots (`"a.b"`) is
//! found when no nested key of the first name exists at that level.

use std::borrow::Cow;

use serde_json::Value;

/// A dotted path, split once, with the dotted-key fallbacks precomputed so
/// that evaluation never allocates.
#[derive(Debug, Clone)]
pub(crate) struct FieldPath {
    segments: Vec<String>,
    /// `joined[i]`: `segments[i..=j].join(".")` for `j` in `i+1..len`.
    joined: Vec<Vec<String>>,
}

/// One end of a path in one record.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Leaf<'a> {
    /// The path stops here: a key is absent or a scalar stands where an
    /// object was needed.
    Missing,
    /// The value at the end of the path (an array is passed whole; matchers
    /// flatten it).
    Value(&'a Value),
}

impl FieldPath {
    /// Splits `text` on dots.
    pub(crate) fn new(text: &str) -> FieldPath {
        let segments: Vec<String> = text.split('.').map(str::to_string).collect();
        let joined = (0..segments.len())
            .map(|i| {
                (i + 1..segments.len())
                    .map(|j| segments[i..=j].join("."))
                    .collect()
            })
            .collect();
        FieldPath { segments, joined }
    }

    /// The key when the path is one top-level key (`eventName`).
    pub(crate) fn single(&self) -> Option<&str> {
        match self.segments.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    /// Calls `f` on each end of the path in `record` until it returns true;
    /// returns whether it did.
    pub(crate) fn any<'a>(&self, record: &'a Value, f: &mut dyn FnMut(Leaf<'a>) -> bool) -> bool {
        self.walk(record, 0, f)
    }

    fn walk<'a>(&self, v: &'a Value, i: usize, f: &mut dyn FnMut(Leaf<'a>) -> bool) -> bool {
        let (Some(segment), Some(joined)) = (self.segments.get(i), self.joined.get(i)) else {
            return f(Leaf::Value(v));
        };
        match v {
            Value::Array(items) => items.iter().any(|item| self.walk(item, i, f)),
            Value::Object(map) => {
                if let Some(child) = map.get(segment) {
                    return self.walk(child, i + 1, f);
                }
                for (k, key) in joined.iter().enumerate() {
                    if let Some(child) = map.get(key) {
                        return self.walk(child, i + 2 + k, f);
                    }
                }
                f(Leaf::Missing)
            }
            _ => f(Leaf::Missing),
        }
    }
}

/// The text a scalar is compared as: strings as they are, numbers and
/// booleans as JSON writes them (`5`, `1.5`, `true`). `None` for null.
pub(crate) fn scalar_text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Bool(true) => Some(Cow::Borrowed("true")),
        Value::Bool(false) => Some(Cow::Borrowed("false")),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// Calls `f` on every non-null scalar inside `v` (itself when it is one;
/// every element of an array and every value of an object, at any depth)
/// until it returns true. A string matcher applied to an object therefore
/// matches when any value inside it does: `requestParameters|contains:
/// 'Suspended'` finds `requestParameters.VersioningConfiguration.Status`.
pub(crate) fn any_scalar<'a>(v: &'a Value, f: &mut dyn FnMut(&'a Value) -> bool) -> bool {
    match v {
        Value::Null => false,
        Value::Array(items) => items.iter().any(|i| any_scalar(i, f)),
        Value::Object(map) => map.values().any(|i| any_scalar(i, f)),
        scalar => f(scalar),
    }
}

/// Whether a value counts as null for the `null` value: null itself, or an
/// array that is empty or holds a null.
pub(crate) fn is_nullish(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(items) => items.is_empty() || items.iter().any(is_nullish),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ends(path: &str, record: &Value) -> Vec<String> {
        let p = FieldPath::new(path);
        let mut out = Vec::new();
        p.any(record, &mut |leaf| {
            out.push(match leaf {
                Leaf::Missing => "<missing>".to_string(),
                Leaf::Value(v) => v.to_string(),
            });
            false
        });
        out
    }

    #[test]
    fn nested_objects_and_arrays() {
        let r = json!({
            "a": {"b": {"c": 1}},
            "arr": [{"x": "p"}, {"y": "q"}, {"x": ["r", "s"]}],
            "s": "scalar",
            "a.dotted": {"k": "v"}
        });
        assert_eq!(ends("a.b.c", &r), ["1"]);
        assert_eq!(ends("a.b", &r), [r#"{"c":1}"#]);
        assert_eq!(ends("arr.x", &r), [r#""p""#, "<missing>", r#"["r","s"]"#]);
        assert_eq!(ends("s.x", &r), ["<missing>"]);
        assert_eq!(ends("nope", &r), ["<missing>"]);
        assert_eq!(ends("nope.deeper", &r), ["<missing>"]);
        // `a` exists as an object without `dotted`: the nested key wins, so
        // the dotted key is not consulted.
        assert_eq!(ends("a.dotted.k", &r), ["<missing>"]);
        let r2 = json!({"x.y": {"z": 2}});
        assert_eq!(ends("x.y.z", &r2), ["2"]);
        assert_eq!(FieldPath::new("eventName").single(), Some("eventName"));
        assert_eq!(FieldPath::new("a.b").single(), None);
    }

    #[test]
    fn scalars_as_text() {
        assert_eq!(scalar_text(&json!("x")).as_deref(), Some("x"));
        assert_eq!(scalar_text(&json!(5)).as_deref(), Some("5"));
        assert_eq!(scalar_text(&json!(-1.5)).as_deref(), Some("-1.5"));
        assert_eq!(scalar_text(&json!(true)).as_deref(), Some("true"));
        assert_eq!(scalar_text(&json!(null)), None);
        let mut seen = Vec::new();
        any_scalar(&json!({"a": [1, {"b": "c"}, null], "d": false}), &mut |v| {
            seen.push(v.to_string());
            false
        });
        assert_eq!(seen, ["1", r#""c""#, "false"]);
        assert!(is_nullish(&json!(null)));
        assert!(is_nullish(&json!([])));
        assert!(is_nullish(&json!([1, null])));
        assert!(!is_nullish(&json!([1])));
        assert!(!is_nullish(&json!({})));
    }
}
