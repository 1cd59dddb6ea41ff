//! What the router and `trailguard scan` run: the rules that are on, at or
//! above the severity floor, with the tuning's allowlists applied.
//!
//! Disabled rules and rules below the floor are dropped once, when the
//! detector is built, so they cost nothing per record; allowlists need the
//! record and are checked only on a match.

use serde_json::Value;

use super::tuning::Tuning;
use super::{Level, Rule, RuleError, RuleSet};

/// The rules in force and how to treat their matches.
#[derive(Debug, Clone)]
pub struct Detector {
    set: RuleSet,
    tuning: Tuning,
    min_level: Level,
    /// Rules loaded but not in force (disabled or below the floor), by id.
    pub dropped: Vec<(String, &'static str)>,
}

/// One rule that matched a record and was not allowlisted.
#[derive(Debug, Clone, Copy)]
pub struct Hit<'a> {
    /// The rule.
    pub rule: &'a Rule,
    /// Its severity after tuning.
    pub level: Level,
}

/// The result of one record: hits, and how many matches an allowlist
/// suppressed (counted so that tuning is never a silent hole).
#[derive(Debug, Clone, Default)]
pub struct Outcome<'a> {
    /// Matches to alert on.
    pub hits: Vec<Hit<'a>>,
    /// Matches suppressed, with the allowlist entry's reason.
    pub allowed: Vec<(&'a Rule, Option<&'a str>)>,
}

impl Detector {
    /// Keeps the rules that are enabled and, after severity overrides, at
    /// or above `min_level`. A rule whose id an earlier rule has is refused
    /// on its own and returned, the others load.
    pub fn new(rules: Vec<Rule>, tuning: Tuning, min_level: Level) -> (Detector, Vec<RuleError>) {
        // Duplicates are refused before any rule is dropped, so a disabled
        // or below-floor rule still claims its id.
        let (mut set, duplicates) = RuleSet::keeping_first(rules);
        let mut dropped = Vec::new();
        set.retain(|r| {
            let why = if tuning.is_disabled(&r.id) {
                "disabled"
            } else if tuning.level(&r.id, r.level) < min_level {
                "below the severity floor"
            } else {
                return true;
            };
            dropped.push((r.id.clone(), why));
            false
        });
        (
            Detector {
                set,
                tuning,
                min_level,
                dropped,
            },
            duplicates,
        )
    }

    /// The rules matching `record`, minus the allowlisted ones.
    pub fn detect<'a>(&'a self, record: &Value) -> Outcome<'a> {
        let mut out = Outcome::default();
        for rule in self.set.evaluate(record) {
            match self.tuning.allowed(&rule.id, record) {
                Some(a) => out.allowed.push((rule, a.reason.as_deref())),
                None => out.hits.push(Hit {
                    rule,
                    level: self.tuning.level(&rule.id, rule.level),
                }),
            }
        }
        out
    }

    /// The rules in force.
    pub fn rules(&self) -> &RuleSet {
        &self.set
    }

    /// The severity floor.
    pub fn min_level(&self) -> Level {
        self.min_level
    }

    /// The tuning in force.
    pub fn tuning(&self) -> &Tuning {
        &self.tuning
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::RuleErrorKind;
    use serde_json::json;

    fn rule(id: &str, level: &str, name: &str) -> Rule {
        Rule::from_yaml(
            &format!(
                "title: t {id}\nid: {id}\nlevel: {level}\nlogsource: {{product: aws, service: cloudtrail}}\n\
                 detection:\n  sel:\n    eventName: {name}\n  condition: sel\n"
            ),
            id,
        )
        .unwrap()
    }

    #[test]
    fn floor_disable_override_and_allowlist() {
        let tuning = Tuning::parse(
            "disable: [off]\nseverity: {raised: high}\nallow:\n  - rules: [loud]\n    principals: ['arn:aws:iam::1:role/ci']\n    reason: ci\n",
            "t",
        )
        .unwrap();
        let d = Detector::new(
            vec![
                rule("low", "low", "X"),
                rule("raised", "low", "X"),
                rule("off", "critical", "X"),
                rule("loud", "high", "X"),
            ],
            tuning,
            Level::Medium,
        );
        assert!(d.1.is_empty());
        let d = d.0;
        assert_eq!(d.rules().len(), 2);
        assert_eq!(
            d.dropped,
            vec![
                ("low".to_string(), "below the severity floor"),
                ("off".to_string(), "disabled")
            ]
        );
        let rec = json!({"eventName":"X","eventSource":"s","userIdentity":{"arn":"arn:aws:iam::1:user/bob"}});
        let o = d.detect(&rec);
        let hits: Vec<(&str, Level)> = o
            .hits
            .iter()
            .map(|h| (h.rule.id.as_str(), h.level))
            .collect();
        assert_eq!(hits, vec![("raised", Level::High), ("loud", Level::High)]);
        assert!(o.allowed.is_empty());
        let ci = json!({"eventName":"X","eventSource":"s","userIdentity":{"arn":"arn:aws:iam::1:role/ci"}});
        let o = d.detect(&ci);
        assert_eq!(o.hits.len(), 1);
        assert_eq!(o.allowed.len(), 1);
        assert_eq!(o.allowed[0].1, Some("ci"));
        assert!(d.detect(&json!({"eventName":"Y"})).hits.is_empty());
    }

    #[test]
    fn a_duplicate_id_is_refused_once_even_behind_a_disabled_rule() {
        let tuning = Tuning::parse("disable: [same]\n", "t").unwrap();
        let mut second = rule("same", "high", "Y");
        second.origin = "second.yml".into();
        let (d, refused) = Detector::new(
            vec![
                rule("same", "high", "X"),
                second,
                rule("other", "high", "X"),
            ],
            tuning,
            Level::Low,
        );
        // The disabled first rule claims the id: the second is refused (and
        // reported), never silently run in its place.
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].origin, "second.yml");
        assert!(matches!(
            *refused[0].kind,
            RuleErrorKind::DuplicateId { .. }
        ));
        assert_eq!(d.dropped, vec![("same".to_string(), "disabled")]);
        let ids: Vec<&str> = d.rules().rules().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, vec!["other"]);
        assert!(d.detect(&json!({"eventName":"Y"})).hits.is_empty());
        assert_eq!(d.detect(&json!({"eventName":"X"})).hits.len(), 1);
    }
}
