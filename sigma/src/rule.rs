//! One Sigma rule: its metadata (what an alert says) and its compiled
//! detection (what a record must look like).

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::condition::{self, Cond};
use super::error::{RuleError, RuleErrorKind};
use super::item::{Placeholders, Selection};
use super::yaml::{parse_document, Node};

/// How serious a match is (Sigma's `level`), ordered from
/// `Informational` to `Critical` so that alerts can be filtered by a floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Enrichment only; not meant to alert.
    Informational,
    /// Notable, rarely an incident.
    Low,
    /// To be reviewed.
    Medium,
    /// Prompt review.
    High,
    /// Review at once.
    Critical,
}

impl Level {
    /// The Sigma spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    fn parse(s: &str) -> Option<Level> {
        Some(match s {
            "informational" => Level::Informational,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            "critical" => Level::Critical,
            _ => return None,
        })
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How mature a rule is (Sigma's `status`); `unsupported` rules are refused
/// at load, since their authors say they cannot be used as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Production-ready.
    Stable,
    /// Mostly stable.
    Test,
    /// May be noisy.
    Experimental,
    /// Replaced by another rule; still valid.
    Deprecated,
}

/// The log source a rule declares. Only `product: aws` with
/// `service: cloudtrail` loads; the fields are kept for alerts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogSource {
    /// Always `aws`.
    pub product: String,
    /// Always `cloudtrail`.
    pub service: String,
    /// Free text on how the source must be configured, if given.
    pub definition: Option<String>,
}

/// A loaded, compiled Sigma rule. The metadata is public for alerts; the
/// detection is private and only reachable through [`Rule::matches`].
#[derive(Debug, Clone)]
pub struct Rule {
    /// Where the rule came from (file path or a caller-chosen name).
    pub origin: String,
    /// The rule's `id` (mandatory here: alerts and dedupe key on it).
    pub id: String,
    /// The `title`.
    pub title: String,
    /// The `description`, if any.
    pub description: Option<String>,
    /// The `level`, the alert's severity (mandatory here).
    pub level: Level,
    /// The `status`, if given.
    pub status: Option<Status>,
    /// The `tags` (ATT&CK techniques and the like).
    pub tags: Vec<String>,
    /// The `references`.
    pub references: Vec<String>,
    /// The `falsepositives`, for the person reading the alert.
    pub falsepositives: Vec<String>,
    /// The `author`.
    pub author: Option<String>,
    /// The `date` and `modified` dates as written.
    pub date: Option<String>,
    /// The `modified` date as written.
    pub modified: Option<String>,
    /// The `fields` worth showing an analyst.
    pub fields: Vec<String>,
    /// The `logsource`.
    pub logsource: LogSource,
    /// The whole rule document as JSON (custom attributes included), so an
    /// alert can carry anything the rule says.
    pub raw: Value,
    detection: Detection,
}

#[derive(Debug, Clone)]
struct Detection {
    selections: Vec<Selection>,
    condition: Cond,
}

impl Rule {
    /// Loads and compiles one rule from YAML. `origin` names it in errors
    /// and alerts (usually the file path).
    ///
    /// Anything this engine does not implement is an error naming the rule
    /// and the field: a rule is never loaded with a part silently ignored.
    ///
    /// A value under the `expand` modifier that names a placeholder is an
    /// error here ([`RuleErrorKind::Placeholder`]): use
    /// [`Rule::from_yaml_with`] to give placeholders values.
    pub fn from_yaml(yaml: &str, origin: &str) -> Result<Rule, RuleError> {
        Rule::from_yaml_with(yaml, origin, &Placeholders::default())
    }

    /// [`Rule::from_yaml`] with values for the rule's placeholders
    /// (`field|expand: '%name%'`). A placeholder the rule uses and
    /// `placeholders` does not define is a [`RuleErrorKind::Placeholder`]
    /// error: the rule needs configuration, it is not broken.
    pub fn from_yaml_with(
        yaml: &str,
        origin: &str,
        placeholders: &Placeholders,
    ) -> Result<Rule, RuleError> {
        let doc = parse_document(yaml).map_err(|kind| RuleError {
            origin: origin.to_string(),
            id: None,
            kind: Box::new(kind),
        })?;
        let id = match doc.get("id") {
            Some(Node::Scalar { text, .. }) if !text.trim().is_empty() => Some(text.clone()),
            _ => None,
        };
        compile(&doc, origin, id.clone(), placeholders).map_err(|kind| RuleError {
            origin: origin.to_string(),
            id,
            kind: Box::new(kind),
        })
    }

    /// Whether a CloudTrail record (one element of `Records`) matches.
    pub fn matches(&self, record: &Value) -> bool {
        let sels = &self.detection.selections;
        self.detection
            .condition
            .eval(&|i| sels.get(i).is_some_and(|s| s.matches(record)))
    }

    /// The lowercased values the record's top-level `key` must have for
    /// this rule to match, when the rule bounds them: what the rule set
    /// indexes on.
    pub(crate) fn required(&self, key: &str) -> Option<BTreeSet<String>> {
        let sels = &self.detection.selections;
        self.detection
            .condition
            .required(&|i| sels.get(i).and_then(|s| s.required(key)))
    }
}

fn missing(field: &str) -> RuleErrorKind {
    RuleErrorKind::Missing {
        field: field.to_string(),
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> RuleErrorKind {
    RuleErrorKind::Invalid {
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// A scalar attribute's text.
fn text(doc: &Node, field: &str) -> Result<Option<String>, RuleErrorKind> {
    match doc.get(field) {
        None | Some(Node::Null) => Ok(None),
        Some(Node::Scalar { text, .. }) => Ok(Some(text.clone())),
        Some(Node::Bool(b)) => Ok(Some(b.to_string())),
        Some(other) => Err(invalid(field, format!("is {}, not text", other.kind()))),
    }
}

/// A list-of-text attribute; a single text is a list of one.
fn texts(doc: &Node, field: &str) -> Result<Vec<String>, RuleErrorKind> {
    match doc.get(field) {
        None | Some(Node::Null) => Ok(Vec::new()),
        Some(Node::Seq(items)) => items
            .iter()
            .map(|i| match i {
                Node::Scalar { text, .. } => Ok(text.clone()),
                Node::Bool(b) => Ok(b.to_string()),
                other => Err(invalid(field, format!("holds {}, not text", other.kind()))),
            })
            .collect(),
        Some(Node::Scalar { text, .. }) => Ok(vec![text.clone()]),
        Some(other) => Err(invalid(
            field,
            format!("is {}, not a list of text", other.kind()),
        )),
    }
}

fn compile(
    doc: &Node,
    origin: &str,
    id: Option<String>,
    placeholders: &Placeholders,
) -> Result<Rule, RuleErrorKind> {
    let Node::Map(entries) = doc else {
        return Err(invalid(
            "(document)",
            format!("is {}, not a map", doc.kind()),
        ));
    };
    for (k, _) in entries {
        match k.as_str() {
            "correlation" => {
                return Err(RuleErrorKind::Unsupported {
                    field: k.clone(),
                    reason: "correlation rules are not supported".into(),
                })
            }
            "filter" | "rules" if doc.get("detection").is_none() => {
                return Err(RuleErrorKind::Unsupported {
                    field: k.clone(),
                    reason: "Sigma filters (meta rules) are not supported".into(),
                })
            }
            "action" => {
                return Err(RuleErrorKind::Unsupported {
                    field: k.clone(),
                    reason: "rule collections (`action: global`) are not supported".into(),
                })
            }
            _ => {}
        }
    }
    let id = id.ok_or_else(|| missing("id"))?;
    let title = text(doc, "title")?.ok_or_else(|| missing("title"))?;
    if let Some(t) = text(doc, "taxonomy")? {
        if t != "sigma" {
            return Err(RuleErrorKind::Unsupported {
                field: "taxonomy".into(),
                reason: format!("taxonomy `{t}`: only the default `sigma` field names are known"),
            });
        }
    }
    let level_text = text(doc, "level")?.ok_or_else(|| missing("level"))?;
    let level = Level::parse(&level_text).ok_or_else(|| {
        invalid(
            "level",
            format!("`{level_text}` is not informational, low, medium, high or critical"),
        )
    })?;
    let status = match text(doc, "status")?.as_deref() {
        None => None,
        Some("stable") => Some(Status::Stable),
        Some("test") => Some(Status::Test),
        Some("experimental") => Some(Status::Experimental),
        Some("deprecated") => Some(Status::Deprecated),
        Some("unsupported") => {
            return Err(RuleErrorKind::Unsupported {
                field: "status".into(),
                reason: "the rule's authors mark it `unsupported` (unusable as it is)".into(),
            })
        }
        Some(other) => {
            return Err(invalid(
                "status",
                format!("`{other}` is not stable, test, experimental, deprecated or unsupported"),
            ))
        }
    };
    let logsource = compile_logsource(doc.get("logsource").ok_or_else(|| missing("logsource"))?)?;
    let detection = compile_detection(
        doc.get("detection").ok_or_else(|| missing("detection"))?,
        placeholders,
    )?;
    Ok(Rule {
        origin: origin.to_string(),
        id,
        title,
        description: text(doc, "description")?,
        level,
        status,
        tags: texts(doc, "tags")?,
        references: texts(doc, "references")?,
        falsepositives: texts(doc, "falsepositives")?,
        author: text(doc, "author")?,
        date: text(doc, "date")?,
        modified: text(doc, "modified")?,
        fields: texts(doc, "fields")?,
        logsource,
        raw: doc.to_json(),
        detection,
    })
}

fn compile_logsource(node: &Node) -> Result<LogSource, RuleErrorKind> {
    let Node::Map(_) = node else {
        return Err(invalid(
            "logsource",
            format!("is {}, not a map", node.kind()),
        ));
    };
    let field =
        |k: &str| text(node, k).map_err(|_| invalid(&format!("logsource.{k}"), "is not text"));
    let product = field("product")?;
    let service = field("service")?;
    let category = field("category")?;
    let ok = product.as_deref() == Some("aws")
        && service.as_deref() == Some("cloudtrail")
        && category.is_none();
    if !ok {
        let show = |k: &str, v: &Option<String>| v.as_ref().map(|v| format!("{k}: {v}"));
        let found: Vec<String> = [
            show("product", &product),
            show("service", &service),
            show("category", &category),
        ]
        .into_iter()
        .flatten()
        .collect();
        return Err(RuleErrorKind::Logsource {
            found: if found.is_empty() {
                "(nothing)".to_string()
            } else {
                found.join(", ")
            },
        });
    }
    Ok(LogSource {
        product: "aws".into(),
        service: "cloudtrail".into(),
        definition: field("definition")?,
    })
}

fn compile_detection(node: &Node, placeholders: &Placeholders) -> Result<Detection, RuleErrorKind> {
    let Node::Map(entries) = node else {
        return Err(invalid(
            "detection",
            format!("is {}, not a map", node.kind()),
        ));
    };
    let mut names = Vec::new();
    let mut selections = Vec::new();
    let mut conditions: Option<Vec<String>> = None;
    for (k, v) in entries {
        match k.as_str() {
            "condition" => {
                conditions = Some(match v {
                    Node::Scalar { text, .. } => vec![text.clone()],
                    Node::Seq(items) if !items.is_empty() => items
                        .iter()
                        .map(|i| match i {
                            Node::Scalar { text, .. } => Ok(text.clone()),
                            other => Err(invalid(
                                "detection.condition",
                                format!("holds {}, not a condition", other.kind()),
                            )),
                        })
                        .collect::<Result<_, _>>()?,
                    other => {
                        return Err(invalid(
                            "detection.condition",
                            format!("is {}, not a condition", other.kind()),
                        ))
                    }
                })
            }
            "timeframe" => {
                return Err(RuleErrorKind::Unsupported {
                    field: "detection.timeframe".into(),
                    reason: "aggregations over time need a correlation engine".into(),
                })
            }
            name => {
                selections.push(Selection::compile(
                    v,
                    &format!("detection.{name}"),
                    placeholders,
                )?);
                names.push(name.to_string());
            }
        }
    }
    let conditions = conditions.ok_or_else(|| missing("detection.condition"))?;
    if names.is_empty() {
        return Err(invalid("detection", "has no search identifier"));
    }
    let mut parsed = conditions
        .iter()
        .map(|c| condition::parse(c, &names))
        .collect::<Result<Vec<_>, _>>()?;
    // A list of conditions is their OR.
    let condition = if parsed.len() == 1 {
        parsed.remove(0)
    } else {
        Cond::Or(parsed)
    };
    Ok(Detection {
        selections,
        condition,
    })
}
