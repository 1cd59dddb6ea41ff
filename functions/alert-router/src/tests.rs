use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{json, Value};
use trailguard::cloudtrail::cwlogs::encode;
use trailguard::config::{router_from, RouterConfig};
use trailguard::detect::Tuning;
use trailguard::route::Router;
use trailguard::rules::{build, RuleFile};
use trailguard::testing::MemOutbox;

use super::*;

const MAIN: &str = "arn:aws:sns:us-east-1:123456789012:alerts";
const CRIT: &str = "arn:aws:sns:us-east-1:123456789012:critical";

fn cfg(extra: &[(&str, &str)]) -> RouterConfig {
    let mut m: HashMap<String, String> = HashMap::from([
        ("TRAILGUARD_SNS_TOPIC_ARN".to_string(), MAIN.to_string()),
        (
            "TRAILGUARD_SEVERITY_TOPICS".to_string(),
            format!("critical={CRIT}"),
        ),
        ("TRAILGUARD_BUILTIN_RULES".to_string(), "false".to_string()),
    ]);
    for (k, v) in extra {
        m.insert(k.to_string(), v.to_string());
    }
    router_from(|k| m.get(k).cloned()).unwrap()
}

fn rule(id: &str, level: &str, name: &str) -> RuleFile {
    RuleFile {
        origin: format!("rules/{id}.yml"),
        text: format!(
            "title: {name} seen\nid: {id}\nlevel: {level}\nlogsource: {{product: aws, service: cloudtrail}}\n\
             detection:\n  sel:\n    eventName: {name}\n  condition: sel\n"
        ),
    }
}

/// The handler as Lambda calls it, on a router built as `main` builds it.
trait Handle {
    async fn handle(&self, payload: Value) -> Result<Value, RouterError>;
}

impl Handle for Router<Arc<MemOutbox>> {
    async fn handle(&self, payload: Value) -> Result<Value, RouterError> {
        super::handle(self, payload, 64 * 1024 * 1024).await
    }
}

fn router(
    cfg: &RouterConfig,
    files: &[RuleFile],
    publisher: Arc<MemOutbox>,
) -> Router<Arc<MemOutbox>> {
    let loaded = build(cfg, files, Tuning::default(), cfg.min_severity);
    Router::new(cfg, loaded, Some(publisher))
}

fn record(id: &str, name: &str, who: &str) -> Value {
    json!({"eventVersion": "1.09", "eventID": id, "eventTime": "2026-01-01T00:00:00Z",
        "eventName": name, "eventSource": "cloudtrail.amazonaws.com", "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.9", "userAgent": "aws-cli/2", "recipientAccountId": "123456789012",
        "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::123456789012:user/{who}")}})
}

fn payload(messages: &[String]) -> Value {
    let events: Vec<Value> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| json!({"id": format!("ev{i}"), "timestamp": 1_767_225_600_000i64, "message": m}))
        .collect();
    encode(
        &json!({"messageType": "DATA_MESSAGE", "owner": "123456789012",
        "logGroup": "aws-cloudtrail-logs", "logStream": "123456789012_CloudTrail_us-east-1",
        "subscriptionFilters": ["trailguard"], "logEvents": events}),
    )
}

#[tokio::test]
async fn control_messages_are_acknowledged() {
    let p = Arc::new(MemOutbox::default());
    let r = router(&cfg(&[]), &[rule("r1", "high", "StopLogging")], p.clone());
    let out = r
        .handle(encode(&json!({"messageType": "CONTROL_MESSAGE", "logEvents": [{"id": "", "timestamp": 0, "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}]})))
        .await
        .unwrap();
    assert_eq!(out["messageType"], "CONTROL_MESSAGE");
    assert!(p.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_batch_becomes_deduplicated_alerts_and_bad_events_are_counted() {
    let p = Arc::new(MemOutbox::default());
    let r = router(
        &cfg(&[]),
        &[
            rule("r1", "high", "StopLogging"),
            rule("r2", "low", "DescribeTrails"),
        ],
        p.clone(),
    );
    let stop = record("e1", "StopLogging", "bob").to_string();
    let out = r
        .handle(payload(&[
            stop.clone(),
            stop, // delivered twice
            record("e2", "StopLogging", "bob").to_string(),
            record("e3", "DescribeTrails", "bob").to_string(), // below the floor
            "not json".into(),
            json!({"hello": "world"}).to_string(),
        ]))
        .await
        .unwrap();
    assert_eq!(out["records"], 4);
    assert_eq!(out["rejected"], 2);
    assert_eq!(out["matches"], 3);
    assert_eq!(out["alerts"], 1);
    let sent = p.sent_to(MAIN);
    assert_eq!(sent.len(), 1);
    let s: Value = serde_json::from_str(&sent[0].body).unwrap();
    let default: Value = serde_json::from_str(s["default"].as_str().unwrap()).unwrap();
    assert_eq!(default["rule"], "r1");
    assert_eq!(default["count"], 2);
    assert_eq!(
        sent[0].subject,
        "[HIGH] StopLogging seen: StopLogging by user/bob (x2)"
    );
    // High is below the critical topic's floor.
    assert!(p.sent_to(CRIT).is_empty());
}

#[tokio::test]
async fn severity_topics_get_only_what_reaches_their_floor() {
    let p = Arc::new(MemOutbox::default());
    let r = router(
        &cfg(&[]),
        &[
            rule("r1", "critical", "StopLogging"),
            rule("r2", "medium", "UpdateTrail"),
        ],
        p.clone(),
    );
    r.handle(payload(&[
        record("e1", "StopLogging", "bob").to_string(),
        record("e2", "UpdateTrail", "bob").to_string(),
    ]))
    .await
    .unwrap();
    assert_eq!(p.sent_to(MAIN).len(), 2);
    let crit = p.sent_to(CRIT);
    assert_eq!(crit.len(), 1);
    assert!(crit[0].subject.starts_with("[CRITICAL]"));
}

#[tokio::test]
async fn every_alert_of_a_batch_goes_to_the_outbox_in_one_call_per_topic() {
    let p = Arc::new(MemOutbox::default());
    let r = router(&cfg(&[]), &[rule("r1", "high", "StopLogging")], p.clone());
    let msgs: Vec<String> = (0..23)
        .map(|i| record(&format!("e{i}"), "StopLogging", &format!("user{i}")).to_string())
        .collect();
    let out = r.handle(payload(&msgs)).await.unwrap();
    assert_eq!(out["alerts"], 23);
    // The SNS adapter splits them into PublishBatch calls (aws::sns).
    let calls = p.calls.lock().unwrap();
    let sizes: Vec<usize> = calls.iter().map(|(_, m)| m.len()).collect();
    assert_eq!(sizes, vec![23]);
}

#[tokio::test]
async fn a_failed_publish_fails_the_invocation_and_a_retry_delivers() {
    let p = Arc::new(MemOutbox::default());
    *p.failures.lock().unwrap() = 1;
    let r = router(&cfg(&[]), &[rule("r1", "high", "StopLogging")], p.clone());
    let ev = payload(&[record("e1", "StopLogging", "bob").to_string()]);
    let e = r.handle(ev.clone()).await.unwrap_err();
    assert!(matches!(e, RouterError::Publish(_)), "{e}");
    r.handle(ev).await.unwrap();
    assert_eq!(p.sent_to(MAIN).len(), 1);
}

#[tokio::test]
async fn an_undecodable_payload_fails_the_invocation() {
    let p = Arc::new(MemOutbox::default());
    let r = router(&cfg(&[]), &[], p.clone());
    for bad in [
        json!({"Records": []}),
        json!({"awslogs": {"data": "!!!"}}),
        json!({"awslogs": {"data": "H4sIAAAAAAAA"}}),
    ] {
        assert!(matches!(r.handle(bad).await, Err(RouterError::Payload(_))));
    }
}

#[tokio::test]
async fn a_broken_rule_is_announced_once_and_the_others_run() {
    let p = Arc::new(MemOutbox::default());
    let broken = RuleFile {
        origin: "rules/broken.yml".into(),
        text: "title: x\nid: broken\nlevel: high\nlogsource: {product: aws, service: cloudtrail}\n\
               detection:\n  sel:\n    eventName|windash: x\n  condition: sel\n"
            .into(),
    };
    let r = router(
        &cfg(&[]),
        &[broken, rule("r1", "high", "StopLogging")],
        p.clone(),
    );
    let ev = payload(&[record("e1", "StopLogging", "bob").to_string()]);
    r.handle(ev.clone()).await.unwrap();
    let sent = p.sent_to(MAIN);
    assert_eq!(sent.len(), 2);
    assert!(
        sent[1].subject.contains("detection rules need attention"),
        "{}",
        sent[1].subject
    );
    assert!(sent[1].body.contains("rules/broken.yml"));
    // Every topic gets it, whatever its floor.
    assert_eq!(p.sent_to(CRIT).len(), 1);
    r.handle(ev).await.unwrap();
    assert_eq!(p.sent_to(MAIN).len(), 3);
}

#[tokio::test]
async fn thousands_of_broken_rules_make_one_bounded_notice_that_never_blocks_alerts() {
    let p = Arc::new(MemOutbox::default());
    let mut files: Vec<RuleFile> = (0..3000)
        .map(|i| RuleFile {
            origin: format!("rules/windows/{i:04}-{}.yml", "x".repeat(100)),
            text: "title: x\nlogsource: {product: windows}\n".into(),
        })
        .collect();
    files.push(rule("r1", "high", "StopLogging"));
    let r = router(&cfg(&[]), &files, p.clone());
    r.handle(payload(&[record("e1", "StopLogging", "bob").to_string()]))
        .await
        .unwrap();
    let sent = p.sent_to(MAIN);
    assert_eq!(sent.len(), 2);
    assert!(sent[1].body.len() < 64 * 1024, "{}", sent[1].body.len());
    assert!(sent[1].body.contains("and 2980 more"));
}

#[tokio::test]
async fn a_failed_notice_does_not_hold_alerts_back_and_is_retried() {
    let p = Arc::new(MemOutbox::default());
    let broken = RuleFile {
        origin: "rules/broken.yml".into(),
        text: "title: x\n".into(),
    };
    let r = router(
        &cfg(&[("TRAILGUARD_SEVERITY_TOPICS", "")]),
        &[broken, rule("r1", "high", "StopLogging")],
        p.clone(),
    );
    let ev = payload(&[record("e1", "StopLogging", "bob").to_string()]);
    // The alert goes (first call), the notice fails (second call).
    r.handle(ev.clone()).await.unwrap();
    *p.failures.lock().unwrap() = 0;
    let first = p.sent_to(MAIN).len();
    assert_eq!(first, 2);
    // Make the next notice attempt fail: it is kept, and sent later.
    let p2 = Arc::new(MemOutbox::default());
    let broken = RuleFile {
        origin: "rules/broken.yml".into(),
        text: "title: x\n".into(),
    };
    let r2 = router(
        &cfg(&[("TRAILGUARD_SEVERITY_TOPICS", "")]),
        &[broken],
        p2.clone(),
    );
    *p2.failures.lock().unwrap() = 1;
    let quiet = payload(&[record("e2", "DescribeTrails", "bob").to_string()]);
    r2.handle(quiet.clone()).await.unwrap();
    assert!(p2.sent_to(MAIN).is_empty());
    r2.handle(quiet).await.unwrap();
    assert_eq!(p2.sent_to(MAIN).len(), 1);
    drop(r);
}

#[tokio::test]
async fn without_a_topic_alerts_are_only_logged() {
    let c = cfg(&[
        ("TRAILGUARD_SNS_TOPIC_ARN", ""),
        ("TRAILGUARD_SEVERITY_TOPICS", ""),
    ]);
    let loaded = build(
        &c,
        &[rule("r1", "high", "StopLogging")],
        Tuning::default(),
        c.min_severity,
    );
    let r: Router<Arc<MemOutbox>> = Router::new(&c, loaded, None);
    let out = r
        .handle(payload(&[record("e1", "StopLogging", "bob").to_string()]))
        .await
        .unwrap();
    assert_eq!(out["alerts"], 1);
    assert_eq!(out["published"], 0);
}
