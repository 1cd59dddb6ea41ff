//! Tuning without editing rules: turn rules off, change their severity,
//! and allow known-good principals, source addresses and user agents.
//!
//! A security team inherits rules (SigmaHQ's, ours) and must quiet the
//! ones its own automation trips without forking them; a fork stops
//! receiving fixes. Tuning is a small YAML (or JSON) document:
//!
//! ```yaml
//! disable: [5b3a1f7e-...]          # rule ids
//! severity:                        # rule id -> level
//!   0f0a4d3c-...: high
//! allow:
//!   - rules: ["*"]                 # ids; omitted or "*" = every rule
//!     principals: ["arn:aws:iam::111122223333:role/terraform-*"]
//!     source_ips: ["10.0.0.0/8"]
//!     user_agents: ["*Terraform/*"]
//!     reason: the platform pipeline changes security groups
//! ```
//!
//! An `allow` entry suppresses a match when the rule is one of its `rules`
//! and every criterion it gives matches (any one pattern of a criterion is
//! enough). Principals are compared with the acting ARN and, for assumed
//! roles, the role's ARN too; patterns take `*` and `?`. Suppressed matches
//! are counted, never silently lost: the router logs them.

use serde::Deserialize;
use serde_json::Value;

use trailguard_sigma::{yaml_to_json, Cidr, Level, Wildcard};

use crate::cloudtrail::view::RecordView;

/// Why a tuning document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tuning {origin}: {reason}")]
pub struct TuningError {
    /// The file (or variable) it came from.
    pub origin: String,
    /// What is wrong, with the field.
    pub reason: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    #[serde(default)]
    disable: Vec<String>,
    #[serde(default)]
    severity: std::collections::BTreeMap<String, Level>,
    #[serde(default)]
    allow: Vec<AllowDoc>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowDoc {
    #[serde(default)]
    rules: Vec<String>,
    #[serde(default)]
    principals: Vec<String>,
    #[serde(default)]
    source_ips: Vec<String>,
    #[serde(default)]
    user_agents: Vec<String>,
    #[serde(default)]
    reason: Option<String>,
}

/// One compiled allowlist entry.
#[derive(Debug, Clone)]
pub struct Allow {
    /// The rule ids it applies to; empty means every rule.
    pub rules: Vec<String>,
    principals: Vec<Wildcard>,
    source_ips: Vec<IpMatch>,
    user_agents: Vec<Wildcard>,
    /// Why the entry exists, for the log line that counts suppressions.
    pub reason: Option<String>,
}

#[derive(Debug, Clone)]
enum IpMatch {
    Net(Cidr),
    /// Service names (`cloudformation.amazonaws.com`) and wildcards.
    Text(Wildcard),
}

/// The compiled tuning: what to turn off, re-rate and allow.
#[derive(Debug, Clone, Default)]
pub struct Tuning {
    /// Rule ids that never alert.
    pub disabled: Vec<String>,
    /// Severity overrides by rule id.
    pub severity: std::collections::BTreeMap<String, Level>,
    /// Allowlist entries.
    pub allow: Vec<Allow>,
}

fn pattern(text: &str, cased: bool) -> Wildcard {
    Wildcard::new(text, cased)
}

impl Tuning {
    /// Parses a tuning document (YAML 1.2, so JSON too). `origin` names it
    /// in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Tuning, TuningError> {
        let err = |reason: String| TuningError {
            origin: origin.to_string(),
            reason,
        };
        if text.trim().is_empty() {
            return Ok(Tuning::default());
        }
        let json = yaml_to_json(text).map_err(|e| err(e.to_string()))?;
        if json.is_null() {
            return Ok(Tuning::default());
        }
        let doc: Doc = serde_json::from_value(json).map_err(|e| err(e.to_string()))?;
        let mut allow = Vec::with_capacity(doc.allow.len());
        for (i, a) in doc.allow.into_iter().enumerate() {
            if a.principals.is_empty() && a.source_ips.is_empty() && a.user_agents.is_empty() {
                return Err(err(format!(
                    "allow[{i}] names no principals, source_ips or user_agents: \
                     it would silence its rules entirely (use disable for that)"
                )));
            }
            let source_ips = a
                .source_ips
                .iter()
                .map(|s| {
                    if s.contains(['*', '?'])
                        || s.parse::<std::net::IpAddr>().is_err() && !s.contains('/')
                    {
                        Ok(IpMatch::Text(pattern(s, false)))
                    } else {
                        Cidr::parse(s)
                            .map(IpMatch::Net)
                            .map_err(|e| err(format!("allow[{i}].source_ips: {e}")))
                    }
                })
                .collect::<Result<Vec<_>, _>>()?;
            allow.push(Allow {
                // "*" anywhere in the list means every rule.
                rules: if a.rules.iter().any(|r| r == "*") {
                    Vec::new()
                } else {
                    a.rules
                },
                principals: a.principals.iter().map(|p| pattern(p, true)).collect(),
                source_ips,
                user_agents: a.user_agents.iter().map(|p| pattern(p, false)).collect(),
                reason: a.reason,
            });
        }
        Ok(Tuning {
            disabled: doc.disable,
            severity: doc.severity,
            allow,
        })
    }

    /// Adds rule ids to turn off (from a comma-separated variable).
    pub fn disable(&mut self, ids: impl IntoIterator<Item = String>) {
        self.disabled.extend(ids);
    }

    /// Merges another document's settings into this one.
    pub fn merge(&mut self, other: Tuning) {
        self.disabled.extend(other.disabled);
        self.severity.extend(other.severity);
        self.allow.extend(other.allow);
    }

    /// Whether the rule is turned off.
    pub fn is_disabled(&self, id: &str) -> bool {
        self.disabled.iter().any(|d| d == id)
    }

    /// The rule's severity after overrides.
    pub fn level(&self, id: &str, level: Level) -> Level {
        self.severity.get(id).copied().unwrap_or(level)
    }

    /// The allowlist entry that suppresses this match, if any.
    pub fn allowed(&self, id: &str, record: &Value) -> Option<&Allow> {
        self.allow
            .iter()
            .find(|a| (a.rules.is_empty() || a.rules.iter().any(|r| r == id)) && a.matches(record))
    }

    /// Rule ids named by the tuning that are not in `known`: typos that
    /// would otherwise leave a rule loud (or a disable doing nothing).
    pub fn unknown_rules<'a>(&'a self, known: &dyn Fn(&str) -> bool) -> Vec<&'a str> {
        let mut out: Vec<&str> = self
            .disabled
            .iter()
            .chain(self.severity.keys())
            .chain(self.allow.iter().flat_map(|a| a.rules.iter()))
            .map(String::as_str)
            .filter(|id| !known(id))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

impl Allow {
    fn matches(&self, record: &Value) -> bool {
        let v = RecordView(record);
        let principal_ok = self.principals.is_empty() || {
            let acting = v.principal();
            let role = v.str("userIdentity.sessionContext.sessionIssuer.arn");
            self.principals.iter().any(|p| {
                acting.as_deref().is_some_and(|a| p.is_match(a))
                    || role.is_some_and(|r| p.is_match(r))
            })
        };
        let ip_ok = self.source_ips.is_empty()
            || v.source_ip().is_some_and(|ip| {
                self.source_ips.iter().any(|m| match m {
                    IpMatch::Net(c) => c.contains_text(ip),
                    IpMatch::Text(p) => p.is_match(ip),
                })
            });
        let ua_ok = self.user_agents.is_empty()
            || v.user_agent()
                .is_some_and(|ua| self.user_agents.iter().any(|p| p.is_match(ua)));
        principal_ok && ip_ok && ua_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec() -> Value {
        json!({"eventName":"AuthorizeSecurityGroupIngress","eventSource":"ec2.amazonaws.com",
            "sourceIPAddress":"10.1.2.3","userAgent":"APN/1.0 HashiCorp/1.0 Terraform/1.9.0",
            "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/terraform-ci/run-42",
              "sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::111122223333:role/terraform-ci"}}}})
    }

    #[test]
    fn parses_and_applies_every_setting() {
        let t = Tuning::parse(
            "disable: [r-off]\nseverity:\n  r-up: critical\nallow:\n  - rules: [r-sg]\n    principals: ['arn:aws:iam::111122223333:role/terraform-*']\n    source_ips: ['10.0.0.0/8']\n    reason: pipeline\n  - user_agents: ['*terraform/*']\n",
            "t.yml",
        )
        .unwrap();
        assert!(t.is_disabled("r-off") && !t.is_disabled("r-sg"));
        assert_eq!(t.level("r-up", Level::Low), Level::Critical);
        assert_eq!(t.level("r-sg", Level::Low), Level::Low);
        let r = rec();
        assert_eq!(
            t.allowed("r-sg", &r).and_then(|a| a.reason.as_deref()),
            Some("pipeline")
        );
        // The second entry applies to every rule (user agents fold case).
        assert!(t.allowed("any", &r).is_some());
        let mut other = r.clone();
        other["userAgent"] = json!("aws-cli/2");
        assert!(t.allowed("any", &other).is_none());
        // First entry: every criterion must hold.
        other["sourceIPAddress"] = json!("203.0.113.5");
        assert!(t.allowed("r-sg", &other).is_none());
        other["sourceIPAddress"] = json!("10.9.9.9");
        assert!(t.allowed("r-sg", &other).is_some());
        // Principal patterns are case-sensitive (ARNs are).
        other["userIdentity"] =
            json!({"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/Terraform-x"});
        assert!(t.allowed("r-sg", &other).is_none());
        assert_eq!(t.unknown_rules(&|id| id == "r-sg"), vec!["r-off", "r-up"]);
    }

    #[test]
    fn json_works_too_and_service_names_are_allowed_as_sources() {
        let t = Tuning::parse(
            r#"{"allow":[{"source_ips":["cloudformation.amazonaws.com","192.0.2.7"]}]}"#,
            "t.json",
        )
        .unwrap();
        let mut r = rec();
        r["sourceIPAddress"] = json!("cloudformation.amazonaws.com");
        assert!(t.allowed("x", &r).is_some());
        r["sourceIPAddress"] = json!("192.0.2.7");
        assert!(t.allowed("x", &r).is_some());
        r["sourceIPAddress"] = json!("192.0.2.8");
        assert!(t.allowed("x", &r).is_none());
        assert!(Tuning::parse("", "empty").unwrap().allow.is_empty());
    }

    #[test]
    fn refuses_what_it_cannot_honour() {
        for (doc, needle) in [
            ("disabled: [x]", "unknown field `disabled`"),
            ("severity: {x: severe}", "unknown variant `severe`"),
            ("allow: [{rules: [x]}]", "names no principals"),
            ("allow: [{source_ips: ['10.0.0.1/8']}]", "host bits"),
            (
                "allow: [{principals: [a], colour: red}]",
                "unknown field `colour`",
            ),
            ("[1, 2]", "invalid type"),
            ("a: [", "tuning t"),
        ] {
            let e = Tuning::parse(doc, "t").unwrap_err().to_string();
            assert!(e.contains(needle), "{doc}: {e}");
        }
    }
}
