//! The alert-router handler end to end: a CloudWatch Logs payload through
//! the built-in rules, published with the real SNS adapter to the emulator,
//! read back from SQS queues subscribed to the topics, and the `email` and
//! `https` renderings as SNS hands them to those subscribers.

use std::collections::HashMap;

use alert_router::RouterError;
use serde_json::{json, Value};
use trailguard::aws::SnsOutbox;
use trailguard::cloudtrail::cwlogs::encode;
use trailguard::config::{router_from, RouterConfig};
use trailguard::route::Router;
use trailguard::rules;
use trailguard_e2e::*;

const ACCOUNT: &str = "111122223333";
const LOG_BUCKET: &str = "acme-cloudtrail-logs";
const TRAIL: &str = "main-trail";

/// The function's handler, as Lambda calls it.
trait Handle {
    async fn handle(&self, payload: Value) -> Result<Value, RouterError>;
}

impl Handle for Router<SnsOutbox> {
    async fn handle(&self, payload: Value) -> Result<Value, RouterError> {
        alert_router::handle(self, payload, 64 * 1024 * 1024).await
    }
}

struct Setup {
    emu: Emulator,
    main: Inbox,
    critical: Inbox,
    router: Router<SnsOutbox>,
}

async fn setup() -> Setup {
    let emu = Emulator::start();
    let sdk = emu.sdk_config().await;
    let main = Inbox::create(&sdk, "trailguard-alerts").await;
    let critical = Inbox::create(&sdk, "trailguard-critical").await;
    let env: HashMap<&str, String> = HashMap::from([
        ("TRAILGUARD_SNS_TOPIC_ARN", main.topic_arn.clone()),
        (
            "TRAILGUARD_SEVERITY_TOPICS",
            format!("critical={}", critical.topic_arn),
        ),
        ("TRAILGUARD_LOG_BUCKET", LOG_BUCKET.to_string()),
        ("TRAILGUARD_TRAIL_NAME", TRAIL.to_string()),
    ]);
    let cfg: RouterConfig = router_from(|k| env.get(k).cloned()).unwrap();
    let loaded = rules::build(&cfg, &[], Default::default(), cfg.min_severity);
    assert!(loaded.rejected.is_empty(), "{:?}", loaded.rejected);
    let router = Router::new(&cfg, loaded, Some(SnsOutbox::new(&sdk)));
    Setup {
        emu,
        main,
        critical,
        router,
    }
}

fn record(id: &str, source: &str, name: &str, user: &str, params: Value) -> Value {
    json!({"eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "accountId": ACCOUNT,
            "arn": format!("arn:aws:iam::{ACCOUNT}:user/{user}"), "userName": user,
            "accessKeyId": "AKIAEXAMPLE"},
        "eventTime": "2026-11-27T03:14:15Z", "eventSource": source, "eventName": name,
        "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.23",
        "userAgent": "aws-cli/2.15.0 Python/3.11", "requestParameters": params,
        "responseElements": null, "requestID": format!("req-{id}"), "eventID": id,
        "readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
        "recipientAccountId": ACCOUNT, "eventCategory": "Management"})
}

fn stop_logging(id: &str, user: &str) -> Value {
    record(
        id,
        "cloudtrail.amazonaws.com",
        "StopLogging",
        user,
        json!({"name": format!("arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{TRAIL}")}),
    )
}

fn payload(records: &[Value]) -> Value {
    let events: Vec<Value> = records
        .iter()
        .enumerate()
        .map(|(i, r)| json!({"id": format!("{i:056}"), "timestamp": 1_795_000_000_000i64, "message": r.to_string()}))
        .collect();
    encode(&json!({"messageType": "DATA_MESSAGE", "owner": ACCOUNT,
        "logGroup": "aws-cloudtrail-logs-main", "logStream": format!("{ACCOUNT}_CloudTrail_us-east-1"),
        "subscriptionFilters": ["trailguard"], "logEvents": events}))
}

fn published(emu: &Emulator) -> Vec<Value> {
    let r: Value =
        serde_json::from_str(&emu.control("GET", "/_trailguard/sns", &json!({}))).unwrap();
    r["published"].as_array().cloned().unwrap_or_default()
}

fn requests(emu: &Emulator, op: &str) -> u64 {
    let r: Value =
        serde_json::from_str(&emu.control("GET", "/_trailguard/requests", &json!({}))).unwrap();
    r["counts"][format!("sns:{op}")].as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn stop_logging_reaches_email_slack_and_the_critical_queue() {
    let s = setup().await;
    let stop = stop_logging("e-stop-1", "mallory");
    let out = s
        .router
        .handle(payload(&[stop.clone(), stop.clone()]))
        .await
        .unwrap();
    assert_eq!(out["records"], 2);
    let main = s.main.drain().await;
    assert!(!main.is_empty(), "{out}");
    // The SQS subscriber gets `default`: the alert as JSON.
    let alerts: Vec<Value> = main
        .iter()
        .map(|e| serde_json::from_str(e["Message"].as_str().unwrap()).unwrap())
        .collect();
    let stop_alert = alerts
        .iter()
        .find(|a| a["eventName"] == "StopLogging" && a["severity"] == "critical")
        .unwrap_or_else(|| panic!("no critical StopLogging alert in {alerts:#?}"));
    // Delivered twice, counted once.
    assert_eq!(stop_alert["count"], 1);
    assert_eq!(
        stop_alert["principal"],
        format!("arn:aws:iam::{ACCOUNT}:user/mallory")
    );
    assert_eq!(stop_alert["eventID"], "e-stop-1");
    assert_eq!(stop_alert["event"]["eventName"], "StopLogging");
    let envelope = main
        .iter()
        .find(|e| {
            e["Message"]
                .as_str()
                .unwrap()
                .contains(stop_alert["id"].as_str().unwrap())
        })
        .unwrap();
    let subject = envelope["Subject"].as_str().unwrap();
    assert!(
        subject.starts_with("[CRITICAL] ") && subject.len() <= 99,
        "{subject}"
    );
    assert!(subject.contains("StopLogging by user/mallory"), "{subject}");
    // The critical topic got it too.
    let crit = s.critical.drain().await;
    assert!(crit
        .iter()
        .any(|e| e["Message"].as_str().unwrap().contains("\"StopLogging\"")));

    // What SNS hands an email subscriber and AWS Chatbot (https).
    let sent = published(&s.emu);
    let p = sent
        .iter()
        .find(|p| p["subject"] == subject && p["topic"] == s.main.topic_arn.as_str())
        .unwrap();
    assert_eq!(p["structure"], "json");
    let email = p["delivered"]["email"].as_str().unwrap();
    for needle in [
        "[CRITICAL] ",
        "What happened: StopLogging (cloudtrail.amazonaws.com) succeeded",
        &format!("Who:           arn:aws:iam::{ACCOUNT}:user/mallory (IAMUser)"),
        "From where:    198.51.100.23 using aws-cli/2.15.0",
        "When:          2026-11-27T03:14:15Z (UTC)",
        &format!("Where:         account {ACCOUNT} region us-east-1"),
        &format!("trail/{TRAIL}"),
        "Why it matters:",
        "Next steps:",
        "Raw event (the earliest):",
    ] {
        assert!(email.contains(needle), "{needle:?} not in\n{email}");
    }
    let card: Value = serde_json::from_str(p["delivered"]["https"].as_str().unwrap()).unwrap();
    assert_eq!(card["version"], "1.0");
    assert_eq!(card["source"], "custom");
    assert_eq!(card["content"]["textType"], "client-markdown");
    assert!(card["content"]["title"]
        .as_str()
        .unwrap()
        .contains("[CRITICAL]"));
    assert!(card["content"]["description"]
        .as_str()
        .unwrap()
        .contains("*StopLogging*"));
    assert!(!card["content"]["nextSteps"].as_array().unwrap().is_empty());
    assert!(card["metadata"]["threadId"]
        .as_str()
        .unwrap()
        .starts_with("trailguard-"));
}

#[tokio::test(flavor = "multi_thread")]
async fn more_than_ten_alerts_are_published_in_batches_of_ten() {
    let s = setup().await;
    // 23 people each stop the trail: 23 alerts (distinct principals).
    let records: Vec<Value> = (0..23)
        .map(|i| stop_logging(&format!("e-{i}"), &format!("user{i:02}")))
        .collect();
    let out = s.router.handle(payload(&records)).await.unwrap();
    let alerts = out["alerts"].as_u64().unwrap();
    assert!(alerts >= 23, "{out}");
    let main = s.main.drain().await;
    assert_eq!(main.len() as u64, out["alerts"].as_u64().unwrap());
    let by_topic = published(&s.emu)
        .iter()
        .filter(|p| p["topic"] == s.main.topic_arn.as_str())
        .count() as u64;
    assert_eq!(by_topic, alerts);
    // Every call carried at most ten: ceil(n/10) calls per topic at least.
    let calls = requests(&s.emu, "PublishBatch");
    assert!(calls >= alerts.div_ceil(10), "{calls} calls for {alerts}");
    assert_eq!(requests(&s.emu, "Publish"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_event_arrives_whole_in_parts() {
    let s = setup().await;
    // A StopLogging with a very large (made-up) request parameter.
    let mut stop = stop_logging("e-huge", "mallory");
    stop["requestParameters"]["padding"] = json!("\"x\"".repeat(120_000));
    s.router.handle(payload(&[stop.clone()])).await.unwrap();
    let main = s.main.drain().await;
    let mut parts: Vec<Value> = main
        .iter()
        .map(|e| serde_json::from_str(e["Message"].as_str().unwrap()).unwrap())
        .filter(|m: &Value| m["kind"] == "detection-event-part")
        .collect();
    assert!(!parts.is_empty(), "{main:#?}");
    // Each alert (StopLogging may trip more than one rule) has its parts.
    let first = parts[0]["id"].clone();
    parts.retain(|p| p["id"] == first);
    parts.sort_by_key(|p| p["part"].as_u64());
    assert_eq!(parts.len() as u64, parts[0]["parts"].as_u64().unwrap());
    let joined: String = parts
        .iter()
        .map(|p| p["eventChunk"].as_str().unwrap())
        .collect();
    let back: Value = serde_json::from_str(&joined).unwrap();
    assert_eq!(back, stop);
    for e in &main {
        assert!(e["Message"].as_str().unwrap().len() <= 262_144);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sns_down_fails_the_invocation_and_the_retry_delivers() {
    let s = setup().await;
    // More failures than the SDK retries (3 attempts).
    s.emu
        .faults(json!([{"service": "sns", "operation": "PublishBatch",
        "status": 500, "code": "InternalError", "count": 3}]));
    let ev = payload(&[stop_logging("e-retry", "mallory")]);
    let e = s.router.handle(ev.clone()).await.unwrap_err();
    assert!(matches!(e, RouterError::Publish(_)), "{e}");
    assert!(s.main.drain().await.is_empty());
    // Lambda's retry of the same payload.
    s.router.handle(ev).await.unwrap();
    assert!(!s.main.drain().await.is_empty());
}

/// CloudWatch Logs may deliver a batch twice: the same alerts, word for
/// word, never a different conclusion. SNS failing once inside the SDK's
/// retries costs nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_batch_delivered_twice_gives_the_same_alerts() {
    let s = setup().await;
    let ev = payload(&[stop_logging("e-dup", "mallory")]);
    s.emu
        .faults(json!([{"service": "sns", "operation": "PublishBatch",
        "status": 500, "code": "InternalError", "count": 1}]));
    let first = s.router.handle(ev.clone()).await.unwrap();
    let second = s.router.handle(ev).await.unwrap();
    assert_eq!(first, second);
    // Every alert goes to the main topic (critical ones to the pager topic too).
    let alerts = first["alerts"].as_u64().unwrap() as usize;
    assert!(alerts > 0, "{first}");
    assert!(
        requests(&s.emu, "PublishBatch") >= 3,
        "the injected 500 was met and retried"
    );
    let mut got: Vec<(String, String)> = s
        .main
        .drain()
        .await
        .iter()
        .map(|e| {
            (
                e["Subject"].as_str().unwrap_or("").to_string(),
                e["Message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(got.len(), 2 * alerts, "{got:?}");
    got.sort();
    for pair in got.chunks(2) {
        assert_eq!(pair[0], pair[1]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ordinary_reads_are_quiet() {
    let s = setup().await;
    let records = vec![
        record(
            "r1",
            "cloudtrail.amazonaws.com",
            "DescribeTrails",
            "alice",
            json!({}),
        ),
        record(
            "r2",
            "s3.amazonaws.com",
            "GetObject",
            "alice",
            json!({"bucketName": "artifacts", "key": "a.zip"}),
        ),
        record(
            "r3",
            "ec2.amazonaws.com",
            "DescribeInstances",
            "alice",
            json!({}),
        ),
    ];
    let out = s.router.handle(payload(&records)).await.unwrap();
    assert_eq!(out["alerts"], 0, "{out}");
    assert!(s.main.drain().await.is_empty());
    assert_eq!(requests(&s.emu, "PublishBatch"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sample_events_give_the_documented_alerts() {
    let emu = Emulator::start();
    let sdk = emu.sdk_config().await;
    let inbox = Inbox::create(&sdk, "sample-alerts").await;
    let env: HashMap<&str, String> = HashMap::from([
        ("TRAILGUARD_SNS_TOPIC_ARN", inbox.topic_arn.clone()),
        ("TRAILGUARD_LOG_BUCKET", "trailguard-demo-logs".to_string()),
        ("TRAILGUARD_TRAIL_NAME", "main-trail".to_string()),
    ]);
    let cfg = router_from(|k| env.get(k).cloned()).unwrap();
    let loaded = rules::build(&cfg, &[], Default::default(), cfg.min_severity);
    let router = Router::new(&cfg, loaded, Some(SnsOutbox::new(&sdk)));
    let read = |name: &str| -> Value {
        serde_json::from_slice(
            &std::fs::read(repo_root().join("events/alert-router").join(name)).unwrap(),
        )
        .unwrap()
    };
    let out = router
        .handle(read("cwlogs-control-message.json"))
        .await
        .unwrap();
    assert_eq!(out["messageType"], "CONTROL_MESSAGE");
    let out = router
        .handle(read("cwlogs-data-message.json"))
        .await
        .unwrap();
    assert_eq!(out["events"], 5);
    assert_eq!(out["rejected"], 1);
    assert_eq!(out["alerts"], 5, "{out}");
    let subjects: Vec<String> = inbox
        .drain()
        .await
        .iter()
        .map(|e| e["Subject"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        subjects
            .iter()
            .filter(|s| s.starts_with("[CRITICAL]"))
            .count(),
        2,
        "{subjects:#?}"
    );
    assert_eq!(
        subjects.iter().filter(|s| s.starts_with("[HIGH]")).count(),
        3,
        "{subjects:#?}"
    );
    assert!(!subjects.iter().any(|s| s.contains("DescribeInstances")));
}

#[tokio::test(flavor = "multi_thread")]
async fn user_rules_and_tuning_are_read_from_s3_at_cold_start() {
    let emu = Emulator::start();
    let sdk = emu.sdk_config().await;
    let s3c = s3(&sdk);
    create_bucket(&s3c, "trailguard-config").await;
    let rule = "title: Artifacts deleted\nid: acme-artifacts-deleted\nlevel: high\n\
                logsource: {product: aws, service: cloudtrail}\n\
                detection:\n  sel:\n    eventName: DeleteObject\n    requestParameters.bucketName: artifacts\n  condition: sel\n";
    for (key, body) in [
        ("rules/acme/artifacts.yml", rule.to_string()),
        ("rules/README.md", "not a rule".to_string()),
        ("tuning.yml", "allow:\n  - rules: [acme-artifacts-deleted]\n    principals: ['arn:aws:iam::111122223333:user/janitor']\n    reason: the nightly clean-up\n".to_string()),
    ] {
        s3c.put_object()
            .bucket("trailguard-config")
            .key(key)
            .body(body.into_bytes().into())
            .send()
            .await
            .unwrap();
    }
    let inbox = Inbox::create(&sdk, "s3-rules").await;
    let env: HashMap<&str, String> = HashMap::from([
        ("TRAILGUARD_SNS_TOPIC_ARN", inbox.topic_arn.clone()),
        (
            "TRAILGUARD_RULES",
            "s3://trailguard-config/rules/".to_string(),
        ),
        (
            "TRAILGUARD_TUNING",
            "s3://trailguard-config/tuning.yml".to_string(),
        ),
    ]);
    let cfg = router_from(|k| env.get(k).cloned()).unwrap();
    // What main.rs does at cold start.
    let store = trailguard::aws::S3Store::new(&sdk);
    let read = rules::read_locations(Some(&store), &cfg.rules)
        .await
        .unwrap();
    assert_eq!(read.files.len(), 1, "{:?}", read.unreadable);
    let tuning = rules::read_tuning(Some(&store), &cfg).await.unwrap();
    let loaded = rules::build_read(&cfg, &read, tuning, cfg.min_severity);
    assert!(loaded
        .detector
        .rules()
        .get("acme-artifacts-deleted")
        .is_some());
    let router = Router::new(&cfg, loaded, Some(SnsOutbox::new(&sdk)));
    let delete = |who: &str, id: &str| {
        record(
            id,
            "s3.amazonaws.com",
            "DeleteObject",
            who,
            json!({"bucketName": "artifacts", "key": "a.zip"}),
        )
    };
    let out = router
        .handle(payload(&[delete("janitor", "d1"), delete("eve", "d2")]))
        .await
        .unwrap();
    assert_eq!(
        (out["alerts"].as_u64(), out["allowlisted"].as_u64()),
        (Some(1), Some(1)),
        "{out}"
    );
    let got = inbox.drain().await;
    assert_eq!(got.len(), 1);
    assert!(got[0]["Subject"]
        .as_str()
        .unwrap()
        .contains("Artifacts deleted: DeleteObject by user/eve"));
}
