//! Why a rule was rejected at load time.
//!
//! A rule that uses anything this engine does not implement is refused with
//! one of these, naming the rule (where it came from, and its id once known)
//! and the offending field, so that nobody believes a rule is watching when
//! it silently is not.

use thiserror::Error;

/// A rule refused at load time: where it came from, its `id` when it could
/// be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("rule {origin}{}: {kind}", id_suffix(.id))]
pub struct RuleError {
    /// Where the rule came from: a file path, or a name the caller chose.
    pub origin: String,
    /// The rule's `id`, when the document got that far.
    pub id: Option<String>,
    /// What is wrong, naming the offending field (boxed: errors are cold,
    /// `Result<Rule, RuleError>` stays small).
    pub kind: Box<RuleErrorKind>,
}

fn id_suffix(id: &Option<String>) -> String {
    id.as_ref()
        .map(|i| format!(" (id {i})"))
        .unwrap_or_default()
}

/// What is wrong with a rule. `field` is the YAML location, for example
/// `detection.selection.userIdentity.arn|re` or `logsource.service`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RuleErrorKind {
    /// The text is not YAML (or uses a YAML feature rules have no use for).
    #[error("invalid YAML: {0}")]
    Yaml(String),
    /// A rule file must hold exactly one YAML document (no `action: global`
    /// collections).
    #[error("expected one YAML document, found {0}")]
    DocumentCount(usize),
    /// A mandatory attribute is absent.
    #[error("`{field}` is missing")]
    Missing {
        /// The absent attribute.
        field: String,
    },
    /// An attribute has a value this engine cannot read.
    #[error("`{field}`: {reason}")]
    Invalid {
        /// The offending attribute.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A Sigma feature this engine does not implement.
    #[error("`{field}`: unsupported: {reason}")]
    Unsupported {
        /// The attribute using it.
        field: String,
        /// Which feature, and why it is refused.
        reason: String,
    },
    /// A field modifier that does not exist or is not implemented.
    #[error("`{field}`: unsupported modifier `{modifier}`: {reason}")]
    UnsupportedModifier {
        /// The detection field carrying the modifier.
        field: String,
        /// The modifier.
        modifier: String,
        /// Why it is refused.
        reason: String,
    },
    /// A regular expression the `regex` crate refuses (syntax it does not
    /// have, such as look-around or back-references, or over the size limit).
    #[error("`{field}`: regular expression `{pattern}` rejected: {reason}")]
    Regex {
        /// The detection field.
        field: String,
        /// The expression.
        pattern: String,
        /// The regex crate's reason.
        reason: String,
    },
    /// The logsource is not AWS CloudTrail.
    #[error("`logsource`: {found} is not product aws, service cloudtrail")]
    Logsource {
        /// What the rule declared.
        found: String,
    },
    /// The condition cannot be parsed or refers to nothing.
    #[error("`detection.condition` `{condition}`: {reason}")]
    Condition {
        /// The condition text.
        condition: String,
        /// What is wrong.
        reason: String,
    },
    /// A placeholder (`field|expand: '%name%'`) has no values. Placeholder
    /// values come from the loader's configuration, so the rule is not
    /// broken: it waits for that configuration.
    #[error(
        "placeholder `%{name}%` is not defined: its values come from configuration, \
         which gives none"
    )]
    Placeholder {
        /// The placeholder's name, without the `%` delimiters.
        name: String,
    },
    /// Two rules of one set share an id (alerts and dedupe key on it).
    #[error("`id` is also used by {other}")]
    DuplicateId {
        /// The origin of the first rule with that id.
        other: String,
    },
}

/// Every rule refused while loading a set, so that one bad file does not
/// hide the others.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{} rule(s) rejected: {}", .0.len(), join(.0))]
pub struct RuleSetError(pub Vec<RuleError>);

fn join(errors: &[RuleError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
