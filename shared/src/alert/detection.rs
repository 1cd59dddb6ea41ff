//! A detection alert: one rule matched one or more CloudTrail events.
//!
//! The alert carries what a responder needs to act without opening the
//! console (who, from where, when, on what, which rule and why it
//! matters) and the raw event as evidence. Alerts of one batch are
//! deduplicated by rule, principal and event name: CloudTrail may deliver
//! an event twice, and a script repeating a call should page once, with a
//! count, not fifty times.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use crate::cloudtrail::view::RecordView;
use crate::detect::{Detector, Hit, Level};
use crate::gzip::Sha256;

/// At most this many event IDs are listed in one alert (the count stays
/// exact); a storm of thousands of identical calls needs the count and a
/// sample, and the full list would break SNS's size limit.
pub const MAX_LISTED_EVENT_IDS: usize = 100;

/// At most this many resources are listed (a call on thousands of objects
/// names them all in the raw event).
pub const MAX_LISTED_RESOURCES: usize = 50;

/// Request parameters that name the resource a call acted on, in the
/// order they are shown.
const RESOURCE_PARAMETERS: [&str; 28] = [
    "name",
    "trailName",
    "bucketName",
    "key",
    "keyId",
    "userName",
    "roleName",
    "groupName",
    "policyArn",
    "policyName",
    "groupId",
    "vpcId",
    "subnetId",
    "networkAclId",
    "routeTableId",
    "internetGatewayId",
    "natGatewayId",
    "snapshotId",
    "imageId",
    "dBSnapshotIdentifier",
    "dBClusterSnapshotIdentifier",
    "detectorId",
    "configurationRecorderName",
    "deliveryChannelName",
    "logGroupName",
    "functionName",
    "instanceId",
    "targetId",
];

/// One alert, ready to render. Field names in JSON follow CloudTrail's
/// (`eventID`, `sourceIPAddress`, ...) so that people and tools that know
/// CloudTrail read it without a glossary.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// A stable ID: the same rule and events give the same ID, so a
    /// duplicate delivery can be recognised downstream.
    pub id: String,
    /// The rule's id.
    pub rule: String,
    /// The rule's title.
    pub title: String,
    /// The severity (the rule's level after tuning).
    pub severity: Level,
    /// What the rule says the match means.
    pub description: Option<String>,
    /// The first matching event's ID.
    #[serde(rename = "eventID")]
    pub event_id: String,
    /// `eventName`.
    pub event_name: String,
    /// `eventSource`.
    pub event_source: String,
    /// The earliest matching event's time.
    pub event_time: String,
    /// The latest matching event's time (equal to `eventTime` for one).
    pub last_event_time: String,
    /// ARN of who acted (see [`RecordView::principal`]).
    pub principal: Option<String>,
    /// `userIdentity.type`.
    pub principal_type: Option<String>,
    /// For an assumed role, the role's ARN.
    pub role: Option<String>,
    /// `sourceIPAddress`.
    #[serde(rename = "sourceIPAddress")]
    pub source_ip: Option<String>,
    /// `userAgent`.
    pub user_agent: Option<String>,
    /// `awsRegion`.
    pub aws_region: Option<String>,
    /// `recipientAccountId`.
    pub recipient_account_id: Option<String>,
    /// `errorCode`, when the call failed.
    pub error_code: Option<String>,
    /// `errorMessage`, when the call failed.
    pub error_message: Option<String>,
    /// What the call acted on: `resources[].ARN` and naming request
    /// parameters as `name=value`.
    pub resources: Vec<String>,
    /// How many distinct events this alert stands for.
    pub count: usize,
    /// Their IDs, at most [`MAX_LISTED_EVENT_IDS`].
    #[serde(rename = "eventIDs")]
    pub event_ids: Vec<String>,
    /// The rule's tags (ATT&CK, CIS).
    pub tags: Vec<String>,
    /// The rule's references.
    pub references: Vec<String>,
    /// The rule's known false positives.
    pub falsepositives: Vec<String>,
    /// Where the rule came from (file).
    pub rule_origin: String,
    /// The first matching event, as CloudTrail recorded it, less any
    /// credentials it carries ([`super::redact`]).
    pub event: Value,
}

fn text(v: Option<&str>) -> Option<String> {
    v.map(|s| capped(s, MAX_FIELD_CHARS))
}

/// Longest text kept in one field of an alert (user agent, error message,
/// a resource, a rule's title or reference); the raw event keeps it whole.
pub const MAX_FIELD_CHARS: usize = 1000;

/// Longest rule description kept.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;

/// At most this many tags, references or false positives are shown.
pub const MAX_LISTED_RULE_ITEMS: usize = 20;

/// `s` cut to `max` characters with a marker saying so: alerts must fit in
/// an SNS message, and a cut that is not announced would mislead.
pub fn capped(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((i, _)) => format!(
            "{}... [cut at {max} characters of {}]",
            &s[..i],
            s.chars().count()
        ),
    }
}

fn capped_list(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = items
        .iter()
        .take(MAX_LISTED_RULE_ITEMS)
        .map(|s| capped(s, MAX_FIELD_CHARS))
        .collect();
    if items.len() > MAX_LISTED_RULE_ITEMS {
        out.push(format!(
            "... and {} more in the rule",
            items.len() - MAX_LISTED_RULE_ITEMS
        ));
    }
    out
}

/// The resources a record names.
fn resources(record: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(list) = record.get("resources").and_then(Value::as_array) {
        for r in list {
            if let Some(arn) = r.get("ARN").and_then(Value::as_str) {
                out.push(capped(arn, MAX_FIELD_CHARS));
            }
        }
    }
    if let Some(params) = record.get("requestParameters").and_then(Value::as_object) {
        for k in RESOURCE_PARAMETERS {
            if let Some(v) = params.get(k).and_then(Value::as_str) {
                if !out.iter().any(|o| o == v) {
                    out.push(capped(&format!("{k}={v}"), MAX_FIELD_CHARS));
                }
            }
        }
    }
    out.dedup();
    if out.len() > MAX_LISTED_RESOURCES {
        let more = out.len() - MAX_LISTED_RESOURCES;
        out.truncate(MAX_LISTED_RESOURCES);
        out.push(format!("... and {more} more in the raw event"));
    }
    out
}

impl Alert {
    /// The alert for one rule match on one record.
    pub fn new(hit: &Hit<'_>, record: &Value) -> Alert {
        let v = RecordView(record);
        let rule = hit.rule;
        let event_id = v.event_id().unwrap_or_default().to_string();
        let time = v.event_time().unwrap_or_default().to_string();
        let mut a = Alert {
            id: String::new(),
            rule: rule.id.clone(),
            title: capped(&rule.title, MAX_FIELD_CHARS),
            severity: hit.level,
            description: rule
                .description
                .as_deref()
                .map(|d| capped(d, MAX_DESCRIPTION_CHARS)),
            event_id: event_id.clone(),
            event_name: v.event_name().unwrap_or_default().to_string(),
            event_source: v.event_source().unwrap_or_default().to_string(),
            event_time: time.clone(),
            last_event_time: time,
            principal: v.principal(),
            principal_type: text(v.str("userIdentity.type")),
            role: text(v.str("userIdentity.sessionContext.sessionIssuer.arn")),
            source_ip: text(v.source_ip()),
            user_agent: text(v.user_agent()),
            aws_region: text(v.region()),
            recipient_account_id: text(v.account()),
            error_code: text(v.error_code()),
            error_message: text(v.str("errorMessage")),
            resources: resources(record),
            count: 1,
            event_ids: if event_id.is_empty() {
                Vec::new()
            } else {
                vec![event_id]
            },
            tags: capped_list(&rule.tags),
            references: capped_list(&rule.references),
            falsepositives: capped_list(&rule.falsepositives),
            rule_origin: rule.origin.clone(),
            event: super::redact::redact(record),
        };
        a.id = a.compute_id();
        a
    }

    fn compute_id(&self) -> String {
        let mut ids = self.event_ids.clone();
        ids.sort_unstable();
        let text = format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            self.rule,
            self.principal.as_deref().unwrap_or(""),
            self.event_name,
            self.event_time,
            ids.join(","),
            self.count
        );
        Sha256::of(text.as_bytes()).hex()[..32].to_string()
    }

    /// What related alerts share (rule and principal), so that a chat
    /// channel threads them: the same person tripping the same rule again
    /// tomorrow lands in the same thread.
    pub fn thread_id(&self) -> String {
        let text = format!(
            "{}\n{}",
            self.rule,
            self.role
                .as_deref()
                .or(self.principal.as_deref())
                .unwrap_or("")
        );
        format!("trailguard-{}", &Sha256::of(text.as_bytes()).hex()[..16])
    }

    /// Whether the call succeeded (no `errorCode`).
    pub fn succeeded(&self) -> bool {
        self.error_code.is_none()
    }
}

/// The alerts of a batch of records, deduplicated, with the counts a log
/// line reports.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// The alerts, most severe first.
    pub alerts: Vec<Alert>,
    /// Rule matches before dedupe.
    pub matches: usize,
    /// Matches an allowlist suppressed.
    pub allowlisted: usize,
}

/// Runs the detector over `records`: one alert per match, in record order,
/// and how many matches an allowlist suppressed. `trailguard scan` reports
/// these as they are; the router deduplicates them ([`evaluate`]).
pub fn matches(detector: &Detector, records: &[Value]) -> (Vec<Alert>, usize) {
    let mut alerts = Vec::new();
    let mut allowlisted = 0;
    for r in records {
        let o = detector.detect(r);
        allowlisted += o.allowed.len();
        for (rule, reason) in &o.allowed {
            tracing::debug!(rule = %rule.id, reason = reason.unwrap_or(""), event_id = RecordView(r).event_id().unwrap_or(""), "match allowlisted");
        }
        alerts.extend(o.hits.iter().map(|h| Alert::new(h, r)));
    }
    (alerts, allowlisted)
}

/// Runs the detector over `records` and deduplicates the alerts.
pub fn evaluate(detector: &Detector, records: &[Value]) -> Evaluation {
    let (alerts, allowlisted) = matches(detector, records);
    let matches = alerts.len();
    Evaluation {
        alerts: dedupe(alerts),
        matches,
        allowlisted,
    }
}

/// Merges alerts with the same rule, principal and event name into one
/// with a count of distinct events (an event delivered twice counts once);
/// keeps the earliest event as evidence. Order: most severe first, then
/// first appearance.
pub fn dedupe(alerts: Vec<Alert>) -> Vec<Alert> {
    let mut out: Vec<Alert> = Vec::new();
    let mut index: HashMap<(String, Option<String>, String), usize> = HashMap::new();
    // Distinct event IDs per group, beyond the listed ones.
    let mut seen: Vec<std::collections::HashSet<String>> = Vec::new();
    for a in alerts {
        let key = (a.rule.clone(), a.principal.clone(), a.event_name.clone());
        match index.get(&key) {
            None => {
                index.insert(key, out.len());
                seen.push(a.event_ids.iter().cloned().collect());
                out.push(a);
            }
            Some(&i) => {
                let (Some(g), Some(ids)) = (out.get_mut(i), seen.get_mut(i)) else {
                    continue;
                };
                // An event without an ID cannot be recognised as a repeat.
                let new = a.event_id.is_empty() || ids.insert(a.event_id.clone());
                if !new {
                    continue;
                }
                g.count += 1;
                if !a.event_id.is_empty() && g.event_ids.len() < MAX_LISTED_EVENT_IDS {
                    g.event_ids.push(a.event_id.clone());
                }
                let last = if a.last_event_time > g.last_event_time {
                    a.last_event_time.clone()
                } else {
                    g.last_event_time.clone()
                };
                let severity = a.severity.max(g.severity);
                let (count, ids_listed) = (g.count, std::mem::take(&mut g.event_ids));
                // The earliest timed event is the evidence, all its fields
                // with it (an event without a time never displaces one with).
                if !a.event_time.is_empty()
                    && (g.event_time.is_empty() || a.event_time < g.event_time)
                {
                    *g = a;
                }
                g.count = count;
                g.event_ids = ids_listed;
                g.last_event_time = last;
                g.severity = severity;
            }
        }
    }
    for a in &mut out {
        a.id = a.compute_id();
    }
    out.sort_by_key(|a| std::cmp::Reverse(a.severity));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Rule;
    use serde_json::json;

    fn rule() -> Rule {
        Rule::from_yaml(
            "title: Trail stopped\nid: r1\nlevel: high\ndescription: why\ntags: [attack.t1562.008]\n\
             logsource: {product: aws, service: cloudtrail}\n\
             detection:\n  sel:\n    eventName: StopLogging\n  condition: sel\n",
            "builtin/r1.yml",
        )
        .unwrap()
    }

    fn record(id: &str, time: &str, who: &str) -> Value {
        json!({"eventID": id, "eventTime": time, "eventName": "StopLogging",
            "eventSource": "cloudtrail.amazonaws.com", "awsRegion": "us-east-1",
            "sourceIPAddress": "203.0.113.9", "userAgent": "aws-cli/2",
            "recipientAccountId": "111122223333",
            "requestParameters": {"name": "arn:aws:cloudtrail:us-east-1:111122223333:trail/main"},
            "resources": [{"ARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/main"}],
            "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::111122223333:user/{who}")}})
    }

    fn alert(id: &str, time: &str, who: &str) -> Alert {
        let r = rule();
        Alert::new(
            &Hit {
                rule: &r,
                level: Level::High,
            },
            &record(id, time, who),
        )
    }

    #[test]
    fn credentials_in_the_record_never_reach_the_alert_or_its_renderings() {
        let r = rule();
        let mut rec = record("e1", "2026-01-01T00:00:00Z", "bob");
        rec["responseElements"] =
            json!({"credentials": {"accessKeyId": "ASIAX", "sessionToken": "TOKEN-SECRET-1"}});
        let a = Alert::new(
            &Hit {
                rule: &r,
                level: Level::High,
            },
            &rec,
        );
        let email = crate::alert::render::email(&a, None);
        let chat = crate::alert::render::chatbot(&a).to_string();
        let json = crate::alert::render::json(&a).to_string();
        for text in [&email, &chat, &json, &a.event.to_string()] {
            assert!(!text.contains("TOKEN-SECRET-1"), "{text}");
        }
        assert_eq!(
            a.event["responseElements"]["credentials"]["accessKeyId"],
            "ASIAX"
        );
    }

    #[test]
    fn an_alert_says_who_what_where_and_when() {
        let a = alert("e1", "2026-01-01T00:00:00Z", "bob");
        assert_eq!(a.rule, "r1");
        assert_eq!(
            a.principal.as_deref(),
            Some("arn:aws:iam::111122223333:user/bob")
        );
        assert_eq!(a.event_name, "StopLogging");
        assert_eq!(
            a.resources,
            vec!["arn:aws:cloudtrail:us-east-1:111122223333:trail/main"]
        );
        assert!(a.succeeded());
        let j = serde_json::to_value(&a).unwrap();
        for k in [
            "rule",
            "title",
            "severity",
            "eventID",
            "eventName",
            "eventSource",
            "eventTime",
            "principal",
            "sourceIPAddress",
            "awsRegion",
            "recipientAccountId",
            "event",
        ] {
            assert!(j.get(k).is_some(), "{k} missing from {j}");
        }
        assert_eq!(j["severity"], "high");
        assert_eq!(a.id.len(), 32);
    }

    #[test]
    fn dedupe_counts_distinct_events_and_keeps_the_earliest() {
        let alerts = vec![
            alert("e2", "2026-01-01T00:05:00Z", "bob"),
            alert("e1", "2026-01-01T00:01:00Z", "bob"),
            alert("e1", "2026-01-01T00:01:00Z", "bob"), // delivered twice
            alert("e3", "2026-01-01T00:09:00Z", "eve"),
        ];
        let d = dedupe(alerts);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].count, 2);
        assert_eq!(d[0].event_id, "e1");
        assert_eq!(d[0].event_time, "2026-01-01T00:01:00Z");
        assert_eq!(d[0].last_event_time, "2026-01-01T00:05:00Z");
        assert_eq!(d[0].event["eventID"], "e1");
        assert_eq!(d[0].event_ids, vec!["e2", "e1"]);
        assert_eq!(d[1].count, 1);
        // A duplicate delivery of the whole batch gives the same IDs.
        let again = dedupe(vec![
            alert("e1", "2026-01-01T00:01:00Z", "bob"),
            alert("e2", "2026-01-01T00:05:00Z", "bob"),
        ]);
        assert_eq!(again[0].id, d[0].id);
        assert_ne!(d[0].thread_id(), d[1].thread_id());
        assert_eq!(
            d[0].thread_id(),
            alert("e9", "2026-02-01T00:00:00Z", "bob").thread_id()
        );
    }

    #[test]
    fn a_storm_lists_a_sample_and_an_exact_count() {
        let alerts: Vec<Alert> = (0..1000)
            .map(|i| alert(&format!("e{i:04}"), "2026-01-01T00:00:00Z", "bob"))
            .collect();
        let d = dedupe(alerts);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].count, 1000);
        assert_eq!(d[0].event_ids.len(), MAX_LISTED_EVENT_IDS);
    }

    #[test]
    fn events_without_ids_are_each_counted() {
        let mut r = record("", "t", "bob");
        r.as_object_mut().unwrap().remove("eventID");
        let ru = rule();
        let hit = Hit {
            rule: &ru,
            level: Level::High,
        };
        let d = dedupe(vec![Alert::new(&hit, &r), Alert::new(&hit, &r)]);
        assert_eq!(d[0].count, 2);
        assert!(d[0].event_ids.is_empty());
    }
}
