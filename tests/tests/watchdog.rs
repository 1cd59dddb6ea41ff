//! The logging watchdog end to end: the real CloudTrail, S3 and SNS
//! adapters against the emulator (moto's trails, plus the stand-in's event
//! history and the status fields moto lacks), notices read back from an SQS
//! queue subscribed to the topic.

use std::collections::HashMap;

use aws_sdk_cloudtrail::types::{AdvancedEventSelector, AdvancedFieldSelector};
use logging_watchdog::WatchdogError;
use serde_json::{json, Value};
use trailguard::aws::{ChainApi, CloudTrailApi, S3StateObject, SnsOutbox};
use trailguard::config::watchdog_from;
use trailguard::message::Topic;
use trailguard::watch::{PassError, Watchdog};
use trailguard_e2e::*;

const ACCOUNT: &str = "123456789012"; // moto's
const KMS: &str = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";
const GROUP: &str = "arn:aws:logs:us-east-1:123456789012:log-group:trail-logs:*";
const ROLE: &str = "arn:aws:iam::123456789012:role/CloudTrailToLogs";

struct Setup {
    emu: Emulator,
    ct: aws_sdk_cloudtrail::Client,
    inbox: Inbox,
    dog: Watchdog<CloudTrailApi, ChainApi, S3StateObject, SnsOutbox>,
    arn: String,
}

/// The function's handler, as Lambda calls it (no function ARN: the
/// account comes from the configuration or the scheduled event).
trait Handle {
    async fn handle(&self, payload: Value) -> Result<Value, PassError>;
}

impl Handle for Watchdog<CloudTrailApi, ChainApi, S3StateObject, SnsOutbox> {
    async fn handle(&self, payload: Value) -> Result<Value, PassError> {
        match logging_watchdog::handle(self, payload, None).await {
            Ok(v) => Ok(v),
            Err(WatchdogError::Pass(e)) => Err(e),
            Err(e) => panic!("{e}"),
        }
    }
}

/// The trail checks, the log bucket's five, the two feeds, digest delivery
/// and the validator's lag.
const CHECKS: u64 = 8 + 5 + 2 + 2;

/// The chain setup's arguments, for `Emulator::guard_chain`.
fn chain_args<'a>(command: &'a str, arn: &'a str, links: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![command];
    args.extend_from_slice(links);
    args.extend([
        "--bucket",
        "trail-logs",
        "--trail-arn",
        arn,
        "--log-group",
        "trail-logs",
    ]);
    args
}

fn field(name: &str, equals: &[&str]) -> AdvancedFieldSelector {
    AdvancedFieldSelector::builder()
        .field(name)
        .set_equals(Some(equals.iter().map(|s| s.to_string()).collect()))
        .build()
        .unwrap()
}

fn selector(name: &str, fields: Vec<AdvancedFieldSelector>) -> AdvancedEventSelector {
    AdvancedEventSelector::builder()
        .name(name)
        .set_field_selectors(Some(fields))
        .build()
        .unwrap()
}

/// The guarded trail as the brief describes it, logging, and a watchdog
/// configured for it.
async fn setup(extra_env: &[(&str, &str)]) -> Setup {
    let emu = Emulator::start();
    let sdk = emu.sdk_config().await;
    let s3 = s3(&sdk);
    create_bucket(&s3, "trail-logs").await;
    create_bucket(&s3, "watchdog-state").await;
    let ct = aws_sdk_cloudtrail::Client::new(&sdk);
    let arn = ct
        .create_trail()
        .name("main-trail")
        .s3_bucket_name("trail-logs")
        .is_multi_region_trail(true)
        .include_global_service_events(true)
        .enable_log_file_validation(true)
        .kms_key_id(KMS)
        .cloud_watch_logs_log_group_arn(GROUP)
        .cloud_watch_logs_role_arn(ROLE)
        .send()
        .await
        .unwrap()
        .trail_arn
        .unwrap();
    ct.put_event_selectors()
        .trail_name(&arn)
        .advanced_event_selectors(selector(
            "management",
            vec![field("eventCategory", &["Management"])],
        ))
        .advanced_event_selectors(selector(
            "artifacts",
            vec![
                field("eventCategory", &["Data"]),
                field("resources.type", &["AWS::S3::Object"]),
                AdvancedFieldSelector::builder()
                    .field("resources.ARN")
                    .starts_with("arn:aws:s3:::artifacts/")
                    .build()
                    .unwrap(),
            ],
        ))
        .advanced_event_selectors(selector(
            "tables",
            vec![
                field("eventCategory", &["Data"]),
                field("resources.type", &["AWS::DynamoDB::Table"]),
            ],
        ))
        .send()
        .await
        .unwrap();
    ct.start_logging().name("main-trail").send().await.unwrap();
    // What moto does not report: recent digest and CloudWatch deliveries.
    fresh_deliveries(&emu);
    // The bucket's settings and the functions' feeds, as deployed.
    let chain = emu.guard_chain(&chain_args("setup", &arn, &[]));
    let inbox = Inbox::create(&sdk, "watchdog-alerts").await;
    let mut env: HashMap<String, String> = HashMap::from([
        ("TRAILGUARD_SNS_TOPIC_ARN".into(), inbox.topic_arn.clone()),
        ("TRAILGUARD_STATE_BUCKET".into(), "watchdog-state".into()),
        ("TRAILGUARD_KMS_KEY_ARN".into(), KMS.into()),
        ("TRAILGUARD_CLOUDWATCH_LOGS_GROUP_ARN".into(), GROUP.into()),
        ("TRAILGUARD_CLOUDWATCH_LOGS_ROLE_ARN".into(), ROLE.into()),
        ("TRAILGUARD_DATA_EVENT_BUCKETS".into(), "artifacts".into()),
        ("TRAILGUARD_ACCOUNT_ID".into(), ACCOUNT.into()),
        (
            "TRAILGUARD_VALIDATOR_RULE".into(),
            chain["rule"].as_str().unwrap().into(),
        ),
        (
            "TRAILGUARD_VALIDATOR_QUEUE_URL".into(),
            chain["queue_url"].as_str().unwrap().into(),
        ),
        (
            "TRAILGUARD_ROUTER_FUNCTION_ARN".into(),
            chain["router"].as_str().unwrap().into(),
        ),
        (
            "TRAILGUARD_CHECKPOINT_BUCKET".into(),
            "watchdog-state".into(),
        ),
    ]);
    for (k, v) in extra_env {
        env.insert(k.to_string(), v.to_string());
    }
    let cfg = watchdog_from(|k| env.get(k).cloned()).unwrap();
    let dog = Watchdog::new(
        CloudTrailApi::new(&sdk),
        Some(ChainApi::new(&sdk).with_checkpoints(&sdk, cfg.chain.checkpoint_bucket.as_deref())),
        Some(S3StateObject::new(
            &sdk,
            "watchdog-state",
            "trailguard/watchdog-state.json",
        )),
        Some(Topic::new(SnsOutbox::new(&sdk), inbox.topic_arn.clone())),
        cfg,
        "us-east-1",
    );
    Setup {
        emu,
        ct,
        inbox,
        dog,
        arn,
    }
}

fn fresh_deliveries(emu: &Emulator) {
    let now = chrono::Utc::now().timestamp();
    emu.control(
        "POST",
        "/_trailguard/trail-status",
        &json!({"trail": "main-trail", "fields": {
            "LatestDigestDeliveryTime": now, "LatestCloudWatchLogsDeliveryTime": now}}),
    );
}

fn scheduled() -> Value {
    json!({"version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event",
        "source": "aws.events", "account": ACCOUNT, "time": "2026-11-27T03:15:00Z", "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/trailguard-watchdog"], "detail": {}})
}

/// The notices that reached the queue: (subject, the email text).
async fn received(s: &Setup) -> Vec<(String, String)> {
    let published: Value =
        serde_json::from_str(&s.emu.control("GET", "/_trailguard/sns", &json!({}))).unwrap();
    let published = published["published"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    s.inbox
        .drain()
        .await
        .into_iter()
        .map(|e| {
            let message = e["Message"].as_str().unwrap_or_default().to_string();
            let email = published
                .iter()
                .find(|p| p["delivered"]["sqs"] == message.as_str())
                .and_then(|p| p["delivered"]["email"].as_str())
                .map(str::to_string)
                // moto's SQS may re-escape a message whose text holds XML
                // (an SDK error's body): then the JSON rendering it delivered.
                .unwrap_or(message);
            (e["Subject"].as_str().unwrap_or_default().to_string(), email)
        })
        .collect()
}

async fn logging(s: &Setup) -> bool {
    s.ct.get_trail_status()
        .name(&s.arn)
        .send()
        .await
        .unwrap()
        .is_logging()
        .unwrap_or(false)
}

fn requests(emu: &Emulator, key: &str) -> u64 {
    let r: Value =
        serde_json::from_str(&emu.control("GET", "/_trailguard/requests", &json!({}))).unwrap();
    r["counts"][key].as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_healthy_trail_is_quiet() {
    let s = setup(&[]).await;
    // The sample event of events/ (its account is overridden by
    // TRAILGUARD_ACCOUNT_ID, moto's).
    let sample: Value = serde_json::from_slice(
        &std::fs::read(repo_root().join("events/logging-watchdog/scheduled-event.json")).unwrap(),
    )
    .unwrap();
    let out = s.dog.handle(sample).await.unwrap();
    assert_eq!(out["checks"], CHECKS, "{out}");
    assert_eq!(out["ok"], CHECKS, "{out}");
    assert!(received(&s).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_trail_is_restarted_and_told_once_with_who_stopped_it() {
    let s = setup(&[]).await;
    // mallory stops the trail.
    let mallory =
        aws_sdk_cloudtrail::Client::new(&s.emu.sdk_config_as("us-east-1", "mallory").await);
    mallory
        .stop_logging()
        .name("main-trail")
        .send()
        .await
        .unwrap();
    assert!(!logging(&s).await);
    let out = s.dog.handle(scheduled()).await.unwrap();
    assert_eq!(out["fixed"], 1, "{out}");
    assert!(logging(&s).await);
    let inbox = received(&s).await;
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    let (subject, email) = &inbox[0];
    assert!(
        subject.starts_with("[CRITICAL] trailguard watchdog: logging on main-trail"),
        "{subject}"
    );
    assert!(
        email.contains("stopped by arn:aws:iam::123456789012:user/mallory"),
        "{email}"
    );
    assert!(email.contains("repaired and confirmed"), "{email}");
    // The next pass: nothing new, and no second StartLogging.
    let starts = requests(&s.emu, "cloudtrail:StartLogging");
    let out = s.dog.handle(scheduled()).await.unwrap();
    assert_eq!(out["ok"], CHECKS, "{out}");
    assert!(received(&s).await.is_empty());
    assert_eq!(requests(&s.emu, "cloudtrail:StartLogging"), starts);
}

#[tokio::test(flavor = "multi_thread")]
async fn configuration_drift_is_repaired_and_read_back() {
    let s = setup(&[]).await;
    s.ct.update_trail()
        .name(&s.arn)
        .is_multi_region_trail(false)
        .include_global_service_events(false)
        .enable_log_file_validation(false)
        .kms_key_id("arn:aws:kms:us-east-1:123456789012:key/99999999-2222-3333-4444-555555555555")
        .cloud_watch_logs_log_group_arn("arn:aws:logs:us-east-1:123456789012:log-group:elsewhere:*")
        .cloud_watch_logs_role_arn(ROLE)
        .send()
        .await
        .unwrap();
    // Management events narrowed to reads only, and the data selectors
    // dropped (moto keeps advanced selectors when given basic ones, so the
    // change is made in advanced form).
    s.ct.put_event_selectors()
        .trail_name(&s.arn)
        .advanced_event_selectors(selector(
            "reads only",
            vec![
                field("eventCategory", &["Management"]),
                field("readOnly", &["true"]),
            ],
        ))
        .send()
        .await
        .unwrap();
    let before = control_plane_events(&s).await;
    let out = s.dog.handle(scheduled()).await.unwrap();
    assert_eq!(out["fixed"], 6, "{out}");
    never_repointed(&s, &before).await;
    let t = &s
        .ct
        .describe_trails()
        .trail_name_list(&s.arn)
        .send()
        .await
        .unwrap()
        .trail_list()[0]
        .clone();
    assert_eq!(t.is_multi_region_trail(), Some(true));
    assert_eq!(t.include_global_service_events(), Some(true));
    assert_eq!(t.log_file_validation_enabled(), Some(true));
    assert_eq!(t.kms_key_id(), Some(KMS));
    assert_eq!(t.cloud_watch_logs_log_group_arn(), Some(GROUP));
    let inbox = received(&s).await;
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    for check in [
        "multi_region",
        "global_service_events",
        "log_file_validation",
        "event_selectors",
    ] {
        assert!(
            inbox[0].1.contains(check),
            "{check} missing in {}",
            inbox[0].1
        );
    }
    let out = s.dog.handle(scheduled()).await.unwrap();
    assert_eq!(out["ok"], CHECKS, "{out}");
}

/// The recorded UpdateTrail and PutEventSelectors calls: (event ID,
/// event name, the record).
async fn control_plane_events(s: &Setup) -> Vec<(String, String, Value)> {
    use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
    let mut out = Vec::new();
    for event in ["UpdateTrail", "PutEventSelectors"] {
        let found =
            s.ct.lookup_events()
                .lookup_attributes(
                    LookupAttribute::builder()
                        .attribute_key(LookupAttributeKey::EventName)
                        .attribute_value(event)
                        .build()
                        .unwrap(),
                )
                .send()
                .await
                .unwrap();
        for e in found.events() {
            let record: Value = serde_json::from_str(e.cloud_trail_event().unwrap()).unwrap();
            out.push((e.event_id().unwrap().to_string(), event.to_string(), record));
        }
    }
    out
}

/// What the watchdog's repairs sent (the calls recorded since `before`),
/// read back from the CloudTrail event history (the emulator records each
/// control-plane call with its request parameters, as CloudTrail does):
/// never where the logs go (S3BucketName, S3KeyPrefix, SnsTopicName), a KMS
/// key only the configured one, and only the documented members of the two
/// calls.
async fn never_repointed(s: &Setup, before: &[(String, String, Value)]) {
    let allowed: HashMap<&str, &[&str]> = HashMap::from([
        (
            "UpdateTrail",
            &[
                "name",
                "isMultiRegionTrail",
                "includeGlobalServiceEvents",
                "enableLogFileValidation",
                "kmsKeyId",
                "cloudWatchLogsLogGroupArn",
                "cloudWatchLogsRoleArn",
            ][..],
        ),
        (
            "PutEventSelectors",
            &["trailName", "eventSelectors", "advancedEventSelectors"][..],
        ),
    ]);
    let mut seen = 0;
    for (id, event, record) in control_plane_events(s).await {
        if before.iter().any(|(b, _, _)| *b == id) {
            continue;
        }
        let members = allowed[event.as_str()];
        let params = record["requestParameters"].as_object().unwrap();
        for name in params.keys() {
            assert!(
                members.contains(&name.as_str()),
                "{event} sent {name}: {record}"
            );
        }
        if let Some(k) = params.get("kmsKeyId") {
            assert_eq!(k, KMS, "{record}");
        }
        seen += 1;
    }
    assert!(
        seen >= 2,
        "the repairs were recorded (UpdateTrail, PutEventSelectors)"
    );
}

/// The chain an attached trailguard depends on, broken link by link as an
/// intruder (or a careless owner) would: each is a finding with its reason,
/// alerted once, never "repaired".
#[tokio::test(flavor = "multi_thread")]
async fn the_chain_outside_the_trail_is_checked_link_by_link() {
    let s = setup(&[]).await;
    let out = s.dog.handle(scheduled()).await.unwrap();
    assert_eq!(out["ok"], CHECKS, "{out}");
    s.emu.guard_chain(&chain_args(
        "break",
        &s.arn,
        &[
            "bucket_events",
            "versioning",
            "public_access",
            "policy",
            "subscription",
        ],
    ));
    let puts = requests(&s.emu, "s3:PutBucketVersioning");
    let blocks = requests(&s.emu, "s3:PutPublicAccessBlock");
    let out = s.dog.handle(scheduled()).await.unwrap();
    assert_eq!(out["drift"], 5, "{out}");
    assert_eq!(out["ok"], CHECKS - 5, "{out}");
    let inbox = received(&s).await;
    assert_eq!(inbox.len(), 1, "one notice for the pass: {inbox:?}");
    let body = &inbox[0].1;
    for (check, why) in [
        ("bucket_events", "the integrity validator receives no event"),
        ("bucket_versioning", "versioning is Suspended"),
        ("bucket_public_access", "no public access block"),
        (
            "bucket_policy",
            "no statement allows cloudtrail.amazonaws.com s3:PutObject",
        ),
        ("router_subscription", "detections see nothing"),
    ] {
        assert!(
            body.contains(check) && body.contains(why),
            "{check}: {why} missing in {body}"
        );
    }
    // Read only: nothing was put back.
    assert_eq!(requests(&s.emu, "s3:PutBucketVersioning"), puts);
    assert_eq!(requests(&s.emu, "s3:PutPublicAccessBlock"), blocks);
    // Told once: the next pass is quiet.
    s.dog.handle(scheduled()).await.unwrap();
    assert!(received(&s).await.is_empty());

    // The validator's feed: its rule disabled, then its queue deleted.
    s.emu
        .guard_chain(&chain_args("break", &s.arn, &["rule_disabled"]));
    s.dog.handle(scheduled()).await.unwrap();
    let inbox = received(&s).await;
    assert!(
        inbox[0]
            .1
            .contains("rule that feeds the integrity validator is DISABLED"),
        "{}",
        inbox[0].1
    );
    let s = setup(&[]).await;
    s.emu.guard_chain(&chain_args("break", &s.arn, &["queue"]));
    s.dog.handle(scheduled()).await.unwrap();
    let inbox = received(&s).await;
    assert!(inbox[0].1.contains("validator_feed"), "{}", inbox[0].1);
    assert!(inbox[0].1.contains("is gone"), "{}", inbox[0].1);
    let s = setup(&[]).await;
    s.emu
        .guard_chain(&chain_args("break", &s.arn, &["rule_deleted"]));
    let out = s.dog.handle(scheduled()).await.unwrap();
    assert_eq!(out["drift"], 1, "{out}");
    assert!(received(&s).await[0]
        .1
        .contains("trailguard-log-objects that feeds the integrity validator is gone"));
}

/// A role that may not read the bucket's settings: those checks fail with
/// the refusal, the others are still judged, and nothing is retried.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_chain_read_fails_only_its_check() {
    let s = setup(&[]).await;
    s.emu
        .faults(json!([{"service": "s3", "operation": "GetBucketPolicy",
        "status": 403, "code": "AccessDenied", "message": "no policy for you", "count": 0}]));
    let out = s.dog.handle(scheduled()).await.unwrap();
    assert_eq!(
        (out["failed"].as_u64(), out["ok"].as_u64()),
        (Some(1), Some(CHECKS - 1)),
        "{out}"
    );
    let inbox = received(&s).await;
    assert!(
        inbox
            .iter()
            .any(|(_, b)| b.contains("cannot read the bucket policy")),
        "{inbox:?}"
    );
    // S3 down beyond the retries while the trail is stopped: the trail is
    // still restarted and the person told, then the pass fails (and is
    // retried).
    s.emu.control("DELETE", "/_trailguard/faults", &json!({}));
    s.ct.stop_logging().name("main-trail").send().await.unwrap();
    s.emu
        .faults(json!([{"service": "s3", "operation": "GetBucketVersioning",
        "status": 503, "code": "SlowDown", "message": "later", "count": 0}]));
    let e = s.dog.handle(scheduled()).await.unwrap_err();
    assert!(matches!(e, PassError::Port(_)), "{e}");
    assert!(logging(&s).await, "the StopLogging repair was made");
    let inbox = received(&s).await;
    assert!(
        inbox
            .iter()
            .any(|(subject, _)| subject.contains("logging on main-trail")),
        "{inbox:?}"
    );
    assert!(
        inbox.iter().any(|(_, b)| b.contains("AWS unavailable")),
        "{inbox:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn alert_only_checks_and_dry_runs_change_nothing() {
    let s = setup(&[("TRAILGUARD_CHECK_MULTI_REGION", "alert")]).await;
    s.ct.update_trail()
        .name(&s.arn)
        .is_multi_region_trail(false)
        .send()
        .await
        .unwrap();
    s.ct.stop_logging().name("main-trail").send().await.unwrap();
    // The direct-invocation sample of events/logging-watchdog/.
    let dry_run: Value = serde_json::from_slice(
        &std::fs::read(repo_root().join("events/logging-watchdog/direct-dry-run.json")).unwrap(),
    )
    .unwrap();
    let out = s.dog.handle(dry_run).await.unwrap();
    assert_eq!(out["drift"], 2, "{out}");
    assert!(!logging(&s).await);
    assert!(received(&s).await.is_empty());
    assert_eq!(
        requests(&s.emu, "s3:PutObject"),
        0,
        "a dry run writes no state"
    );
    // A real pass: logging repaired, multi-region only alerted.
    let out = s.dog.handle(scheduled()).await.unwrap();
    assert_eq!(
        (out["fixed"].as_u64(), out["drift"].as_u64()),
        (Some(1), Some(1)),
        "{out}"
    );
    let t = &s
        .ct
        .describe_trails()
        .trail_name_list(&s.arn)
        .send()
        .await
        .unwrap()
        .trail_list()[0]
        .clone();
    assert_eq!(t.is_multi_region_trail(), Some(false));
}

#[tokio::test(flavor = "multi_thread")]
async fn shadow_trails_are_reported_never_touched() {
    let s = setup(&[]).await;
    let west = aws_sdk_cloudtrail::Client::new(&s.emu.sdk_config_as("us-west-2", "testing").await);
    let west_arn = west
        .create_trail()
        .name("west-trail")
        .s3_bucket_name("trail-logs")
        .is_multi_region_trail(true)
        .send()
        .await
        .unwrap()
        .trail_arn
        .unwrap();
    // Stopped in its home region: the us-east-1 watchdog must leave it.
    let out = s.dog.handle(scheduled()).await.unwrap();
    assert_eq!(out["ok"], CHECKS + 1, "{out}");
    let status = west
        .get_trail_status()
        .name(&west_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(status.is_logging(), Some(false));
    assert_eq!(requests(&s.emu, "cloudtrail:UpdateTrail"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn delivery_errors_are_alerted_then_resolved() {
    let s = setup(&[]).await;
    s.emu.control(
        "POST",
        "/_trailguard/trail-status",
        &json!({"trail": "main-trail", "fields": {"LatestDeliveryError": "AccessDenied"}}),
    );
    let out = s.dog.handle(scheduled()).await.unwrap();
    assert_eq!(out["drift"], 1, "{out}");
    let inbox = received(&s).await;
    assert_eq!(inbox.len(), 1);
    assert!(
        inbox[0].0.contains("delivery on main-trail: problem"),
        "{}",
        inbox[0].0
    );
    assert!(inbox[0].1.contains("AccessDenied"));
    // Persisting: quiet.
    s.dog.handle(scheduled()).await.unwrap();
    assert!(received(&s).await.is_empty());
    // Cleared: resolved.
    s.emu.control(
        "POST",
        "/_trailguard/trail-status",
        &json!({"trail": "main-trail", "fields": {"LatestDeliveryError": null}}),
    );
    s.dog.handle(scheduled()).await.unwrap();
    let inbox = received(&s).await;
    assert_eq!(inbox.len(), 1);
    assert!(inbox[0].0.contains("resolved"), "{}", inbox[0].0);
}

#[tokio::test(flavor = "multi_thread")]
async fn access_denied_is_a_finding_and_throttling_a_retry() {
    let s = setup(&[]).await;
    s.emu.faults(
        json!([{"service": "cloudtrail", "operation": "GetTrailStatus",
        "status": 400, "code": "AccessDeniedException", "message": "not allowed", "count": 1}]),
    );
    let out = s.dog.handle(scheduled()).await.unwrap();
    // Only the checks that needed the status fail (logging, delivery, and
    // whether a digest is due); the rest are judged.
    assert_eq!(
        (out["failed"].as_u64(), out["ok"].as_u64()),
        (Some(4), Some(CHECKS - 4)),
        "{out}"
    );
    let inbox = received(&s).await;
    assert_eq!(inbox.len(), 1);
    assert!(inbox[0].1.contains("AccessDenied"), "{}", inbox[0].1);
    // Throttled beyond the SDK's retries: the invocation fails.
    s.emu.faults(
        json!([{"service": "cloudtrail", "operation": "DescribeTrails",
        "status": 400, "code": "ThrottlingException", "message": "slow down", "count": 10}]),
    );
    let e = s.dog.handle(scheduled()).await.unwrap_err();
    assert!(matches!(e, PassError::Port(_)), "{e}");
    s.emu.control("DELETE", "/_trailguard/faults", &json!({}));
    // LookupEvents denied: the trail is restarted and the alert says so.
    s.ct.stop_logging().name("main-trail").send().await.unwrap();
    s.emu.faults(
        json!([{"service": "cloudtrail", "operation": "LookupEvents",
        "status": 400, "code": "AccessDeniedException", "message": "no lookup", "count": 0}]),
    );
    s.dog.handle(scheduled()).await.unwrap();
    assert!(logging(&s).await);
    let all: String = received(&s).await.into_iter().map(|(_, b)| b).collect();
    assert!(
        all.contains("who stopped it is unknown: LookupEvents failed"),
        "{all}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sns_down_keeps_the_notice_and_never_repeats_the_repair() {
    let s = setup(&[]).await;
    s.ct.stop_logging().name("main-trail").send().await.unwrap();
    s.emu
        .faults(json!([{"service": "sns", "operation": "PublishBatch",
        "status": 500, "code": "InternalError", "count": 3}]));
    let e = s.dog.handle(scheduled()).await.unwrap_err();
    assert!(matches!(e, PassError::Publish(_)), "{e}");
    assert!(logging(&s).await, "the repair was made");
    assert!(received(&s).await.is_empty());
    // The next pass: the trail is fine, the notice still goes, once.
    s.dog.handle(scheduled()).await.unwrap();
    let inbox = received(&s).await;
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert!(inbox[0].1.contains("logging"), "{}", inbox[0].1);
    assert_eq!(
        requests(&s.emu, "cloudtrail:StartLogging"),
        2,
        "setup + one repair"
    );
    s.dog.handle(scheduled()).await.unwrap();
    assert!(received(&s).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_configured_trail_that_is_gone_is_a_finding() {
    let s = setup(&[("TRAILGUARD_WATCHDOG_TRAILS", "main-trail,old-trail")]).await;
    let out = s.dog.handle(scheduled()).await.unwrap();
    assert_eq!(out["failed"], 1, "{out}");
    let inbox = received(&s).await;
    assert_eq!(inbox.len(), 1);
    assert!(inbox[0].1.contains("old-trail not found"), "{}", inbox[0].1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_trail_does_not_drop_out_silently() {
    let s = setup(&[]).await;
    s.dog.handle(scheduled()).await.unwrap();
    s.ct.delete_trail().name(&s.arn).send().await.unwrap();
    let out = s.dog.handle(scheduled()).await.unwrap();
    assert_eq!(out["failed"], 1, "{out}");
    let inbox = received(&s).await;
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert!(inbox[0].1.contains("is gone"), "{}", inbox[0].1);
}

/// The state object cannot be written: the trail is still repaired and the
/// person still told, and the pass fails so the failure is seen (and the
/// schedule's failure destination keeps it). With S3 back, the next pass
/// makes no second repair.
#[tokio::test(flavor = "multi_thread")]
async fn a_state_that_cannot_be_saved_still_repairs_and_tells() {
    let s = setup(&[]).await;
    s.ct.stop_logging().name("main-trail").send().await.unwrap();
    s.emu
        .faults(json!([{"service": "s3", "operation": "PutObject",
        "path_contains": "watchdog-state", "status": 500, "code": "InternalError", "count": 0}]));
    let e = s.dog.handle(scheduled()).await.unwrap_err();
    assert!(matches!(e, PassError::State(_)), "{e}");
    assert!(logging(&s).await, "the repair was made");
    let inbox = received(&s).await;
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    s.emu.control("DELETE", "/_trailguard/faults", &json!({}));
    // The next pass starts from an empty memory: the trail is fine, so it
    // neither repairs nor tells again.
    s.dog.handle(scheduled()).await.unwrap();
    assert_eq!(
        requests(&s.emu, "cloudtrail:StartLogging"),
        2,
        "setup + one repair"
    );
    let again = received(&s).await;
    assert!(again.is_empty(), "{again:?}");
}

/// A digest of the trail in `region` delivered at `at` (the watchdog reads
/// only the key).
async fn put_digest(s: &Setup, region: &str, at: chrono::DateTime<chrono::Utc>) {
    use trailguard::cloudtrail::keys::{digest_key, Location};
    let loc = Location {
        prefix: None,
        org_id: None,
        account: ACCOUNT.into(),
        region: region.into(),
        date: at.date_naive(),
    };
    let key = digest_key(&loc, "main-trail", "us-east-1", at, false);
    let sdk = s.emu.sdk_config().await;
    trailguard_e2e::s3(&sdk)
        .put_object()
        .bucket("trail-logs")
        .key(key)
        .body(trailguard::gzip::gzip(b"{}").into())
        .send()
        .await
        .unwrap();
}

/// Logging for two days, so that every chain owes a digest each hour.
fn logging_for_days(s: &Setup) {
    let now = chrono::Utc::now().timestamp();
    s.emu.control(
        "POST",
        "/_trailguard/trail-status",
        &json!({"trail": "main-trail", "fields": {"StartLoggingTime": now - 2 * 86_400}}),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_overdue_digest_raises_one_alert() {
    let s = setup(&[]).await;
    logging_for_days(&s);
    let now = chrono::Utc::now();
    put_digest(&s, "us-east-1", now - chrono::Duration::minutes(200)).await;
    put_digest(&s, "eu-west-1", now - chrono::Duration::minutes(10)).await;
    let out = s.dog.handle(scheduled()).await.unwrap();
    assert_eq!(out["drift"], 1, "{out}");
    let got = received(&s).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].1.contains("digest overdue"), "{}", got[0].1);
    assert!(
        got[0].1.contains(&format!("{ACCOUNT}/us-east-1")),
        "{}",
        got[0].1
    );
    assert!(
        !got[0].1.contains(&format!("{ACCOUNT}/eu-west-1:")),
        "{}",
        got[0].1
    );
    // Told once.
    s.dog.handle(scheduled()).await.unwrap();
    assert!(received(&s).await.is_empty());
    // The chain delivers again: resolved.
    put_digest(&s, "us-east-1", now - chrono::Duration::minutes(5)).await;
    let out = s.dog.handle(scheduled()).await.unwrap();
    assert_eq!(out["drift"], 0, "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lagging_validator_raises_one_alert() {
    let s = setup(&[]).await;
    logging_for_days(&s);
    let now = chrono::Utc::now();
    for m in [10, 70, 130, 190] {
        put_digest(&s, "us-east-1", now - chrono::Duration::minutes(m)).await;
    }
    // The validator's last checkpoint for the chain is four hours old.
    let checkpoint = json!({
        "trail": "main-trail", "home_region": "us-east-1", "account": ACCOUNT,
        "region": "us-east-1", "digest_key": "k",
        "digest_at": (now - chrono::Duration::minutes(250)).to_rfc3339(),
        "verified_at": (now - chrono::Duration::minutes(249)).to_rfc3339(),
    });
    let key =
        format!("trailguard/validator-checkpoints/us-east-1/main-trail/{ACCOUNT}/us-east-1.json");
    let sdk = s.emu.sdk_config().await;
    let s3c = trailguard_e2e::s3(&sdk);
    s3c.put_object()
        .bucket("watchdog-state")
        .key(&key)
        .body(checkpoint.to_string().into_bytes().into())
        .send()
        .await
        .unwrap();
    let out = s.dog.handle(scheduled()).await.unwrap();
    assert_eq!(out["drift"], 1, "{out}");
    let got = received(&s).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0]
            .1
            .contains("integrity validator is more than 2 h behind"),
        "{}",
        got[0].1
    );
    s.dog.handle(scheduled()).await.unwrap();
    assert!(received(&s).await.is_empty());
    // The validator catches up.
    let caught_up = json!({
        "trail": "main-trail", "home_region": "us-east-1", "account": ACCOUNT,
        "region": "us-east-1", "digest_key": "k",
        "digest_at": (now - chrono::Duration::minutes(10)).to_rfc3339(),
        "verified_at": now.to_rfc3339(),
    });
    s3c.put_object()
        .bucket("watchdog-state")
        .key(&key)
        .body(caught_up.to_string().into_bytes().into())
        .send()
        .await
        .unwrap();
    let out = s.dog.handle(scheduled()).await.unwrap();
    assert_eq!(out["drift"], 0, "{out}");
}
