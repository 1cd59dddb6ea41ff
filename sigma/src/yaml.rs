//! YAML text to a small owned tree, with scalars kept as written.
//!
//! The loader is `saphyr` (pure Rust, YAML 1.2, duplicate keys rejected,
//! alias expansion bounded) with early scalar parsing turned off: Sigma
//! compares values as strings, so a number stays the text its author wrote
//! (`1.0` stays `1.0`), and only plain `null`/`~`/empty and `true`/`false`
//! (YAML 1.2 core schema spellings) get a meaning of their own.

use saphyr::{Scalar, ScalarStyle, Yaml, YamlLoader};
use saphyr_parser::Parser;

use super::error::RuleErrorKind;

/// Deeper YAML than this is rejected rather than recursed into.
const MAX_DEPTH: usize = 64;

/// A YAML node as the rule compiler sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    /// Any other scalar: its text, and whether it was unquoted (a plain
    /// number may become a JSON number in the rule's raw form).
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    /// Keys in document order.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// The value of `key` in a map.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A short name of the node's kind, for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Scalar { .. } => "a scalar",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a map",
        }
    }

    /// The rule document as JSON, for alerts that carry the whole rule.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Scalar { text, plain } => {
                if *plain {
                    if let Ok(i) = text.parse::<i64>() {
                        return Value::from(i);
                    }
                    if let Ok(f) = text.parse::<f64>() {
                        if let Some(n) = serde_json::Number::from_f64(f) {
                            return Value::Number(n);
                        }
                    }
                }
                Value::String(text.clone())
            }
            Node::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Node::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Parses exactly one YAML document.
pub(crate) fn parse_document(text: &str) -> Result<Node, RuleErrorKind> {
    let mut loader: YamlLoader<Yaml> = YamlLoader::default();
    loader.early_parse(false);
    let mut parser = Parser::new_from_str(text);
    parser
        .load(&mut loader, true)
        .map_err(|e| RuleErrorKind::Yaml(e.to_string()))?;
    if let Some(e) = loader.error() {
        return Err(RuleErrorKind::Yaml(e.to_string()));
    }
    let docs = loader.into_documents();
    if docs.len() != 1 {
        return Err(RuleErrorKind::DocumentCount(docs.len()));
    }
    let mut docs = docs.into_iter();
    match docs.next() {
        Some(doc) => convert(&doc, 0),
        None => Err(RuleErrorKind::DocumentCount(0)),
    }
}

fn bad(reason: impl Into<String>) -> RuleErrorKind {
    RuleErrorKind::Yaml(reason.into())
}

fn convert(y: &Yaml, depth: usize) -> Result<Node, RuleErrorKind> {
    if depth > MAX_DEPTH {
        return Err(bad(format!("nested deeper than {MAX_DEPTH} levels")));
    }
    match y {
        Yaml::Representation(text, style, tag) => {
            if let Some(tag) = tag {
                if tag.is_yaml_core_schema() && tag.suffix == "str" {
                    return Ok(Node::Scalar {
                        text: text.to_string(),
                        plain: false,
                    });
                }
                return Err(bad(format!("YAML tag `{tag}` is not supported")));
            }
            if *style != ScalarStyle::Plain {
                return Ok(Node::Scalar {
                    text: text.to_string(),
                    plain: false,
                });
            }
            Ok(match text.as_ref() {
                "" | "~" | "null" | "Null" | "NULL" => Node::Null,
                "true" | "True" | "TRUE" => Node::Bool(true),
                "false" | "False" | "FALSE" => Node::Bool(false),
                other => Node::Scalar {
                    text: other.to_string(),
                    plain: true,
                },
            })
        }
        // Not produced with early parsing off; handled for completeness.
        Yaml::Value(s) => Ok(match s {
            Scalar::Null => Node::Null,
            Scalar::Boolean(b) => Node::Bool(*b),
            Scalar::Integer(i) => Node::Scalar {
                text: i.to_string(),
                plain: true,
            },
            Scalar::FloatingPoint(f) => Node::Scalar {
                text: f.to_string(),
                plain: true,
            },
            Scalar::String(s) => Node::Scalar {
                text: s.to_string(),
                plain: false,
            },
        }),
        Yaml::Sequence(items) => Ok(Node::Seq(
            items
                .iter()
                .map(|i| convert(i, depth + 1))
                .collect::<Result<_, _>>()?,
        )),
        Yaml::Mapping(map) => {
            let mut entries = Vec::with_capacity(map.len());
            for (k, v) in map {
                let key = match convert(k, depth + 1)? {
                    Node::Scalar { text, .. } => text,
                    Node::Bool(b) => b.to_string(),
                    other => {
                        return Err(bad(format!("a map key is {}, not a string", other.kind())));
                    }
                };
                entries.push((key, convert(v, depth + 1)?));
            }
            Ok(Node::Map(entries))
        }
        Yaml::Tagged(tag, _) => Err(bad(format!("YAML tag `{tag}` is not supported"))),
        Yaml::Alias(_) => Err(bad("unresolved YAML alias")),
        Yaml::BadValue => Err(bad("invalid YAML value")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str, plain: bool) -> Node {
        Node::Scalar {
            text: text.into(),
            plain,
        }
    }

    #[test]
    fn scalars_keep_their_text() {
        let n = parse_document(
            "a: 5\nb: '5'\nc: 1.0\nd: true\ne: 'true'\nf: null\ng: ~\nh:\ni: 'null'\nj: NO\nk: 0x10\n",
        )
        .unwrap();
        assert_eq!(n.get("a"), Some(&s("5", true)));
        assert_eq!(n.get("b"), Some(&s("5", false)));
        assert_eq!(n.get("c"), Some(&s("1.0", true)));
        assert_eq!(n.get("d"), Some(&Node::Bool(true)));
        assert_eq!(n.get("e"), Some(&s("true", false)));
        assert_eq!(n.get("f"), Some(&Node::Null));
        assert_eq!(n.get("g"), Some(&Node::Null));
        assert_eq!(n.get("h"), Some(&Node::Null));
        assert_eq!(n.get("i"), Some(&s("null", false)));
        // YAML 1.2: `NO` is a string, not a boolean.
        assert_eq!(n.get("j"), Some(&s("NO", true)));
        assert_eq!(n.get("k"), Some(&s("0x10", true)));
        let j = n.to_json();
        assert_eq!(j["a"], serde_json::json!(5));
        assert_eq!(j["b"], serde_json::json!("5"));
        assert_eq!(j["c"], serde_json::json!(1.0));
        assert_eq!(j["d"], serde_json::json!(true));
    }

    #[test]
    fn order_lists_and_block_scalars() {
        let n =
            parse_document("z: 1\na:\n  - x\n  - |\n    line1\n    line2\nm: {k: v}\n").unwrap();
        let Node::Map(entries) = &n else {
            panic!("map")
        };
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["z", "a", "m"]);
        assert_eq!(
            n.get("a"),
            Some(&Node::Seq(vec![s("x", true), s("line1\nline2\n", false)]))
        );
        assert_eq!(
            n.get("m"),
            Some(&Node::Map(vec![("k".into(), s("v", true))]))
        );
    }

    #[test]
    fn bad_yaml_is_an_error() {
        assert!(matches!(
            parse_document("a: [1, 2"),
            Err(RuleErrorKind::Yaml(_))
        ));
        assert!(
            matches!(parse_document("a: 1\na: 2\n"), Err(RuleErrorKind::Yaml(m)) if m.contains("duplicated key"))
        );
        assert!(matches!(
            parse_document("a: 1\n---\nb: 2\n"),
            Err(RuleErrorKind::DocumentCount(2))
        ));
        assert!(matches!(
            parse_document(""),
            Err(RuleErrorKind::DocumentCount(0))
        ));
        assert!(
            matches!(parse_document("a: !custom x\n"), Err(RuleErrorKind::Yaml(m)) if m.contains("tag"))
        );
        assert_eq!(
            parse_document("a: !!str 5\n").unwrap().get("a"),
            Some(&s("5", false))
        );
        let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        assert!(parse_document(&deep).is_err());
    }

    #[test]
    fn aliases_are_resolved() {
        let n = parse_document("a: &x [1, 2]\nb: *x\n").unwrap();
        assert_eq!(n.get("a"), n.get("b"));
    }
}
