//! The watchdog's rules, each on the JSON CloudTrail returns: model
//! parsing, every check in every mode, selector analysis and repair, and
//! the alert state across sequences of passes.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::*;

mod checks;
mod digests;
mod model;
mod selectors;
mod state;

const ARN: &str = "arn:aws:cloudtrail:us-east-1:111122223333:trail/main";
const REGION: &str = "us-east-1";
const ACCOUNT: &str = "111122223333";
const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
const KEY_ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const GROUP: &str = "arn:aws:logs:us-east-1:111122223333:log-group:trailguard-trail:*";
const ROLE: &str = "arn:aws:iam::111122223333:role/trailguard-cloudtrail-logs";
const BUCKET: &str = "artifacts-bucket";

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test time")
        .with_timezone(&Utc)
}

/// The pass's clock in most tests.
fn now() -> DateTime<Utc> {
    t("2025-03-10T12:00:00Z")
}

/// A `DescribeTrails` element of a trail that meets the default
/// requirements (as `aws cloudtrail describe-trails` prints it).
fn trail_json() -> Value {
    json!({
        "Name": "main",
        "S3BucketName": "org-cloudtrail-logs",
        "S3KeyPrefix": "ct",
        "IncludeGlobalServiceEvents": true,
        "IsMultiRegionTrail": true,
        "HomeRegion": "us-east-1",
        "TrailARN": ARN,
        "LogFileValidationEnabled": true,
        "CloudWatchLogsLogGroupArn": GROUP,
        "CloudWatchLogsRoleArn": ROLE,
        "KmsKeyId": KEY_ARN,
        "HasCustomEventSelectors": true,
        "HasInsightSelectors": false,
        "IsOrganizationTrail": false
    })
}

fn trail_from(v: Value) -> TrailInfo {
    serde_json::from_value(v).expect("trail fixture")
}

fn trail() -> TrailInfo {
    trail_from(trail_json())
}

/// A trail edited through its JSON.
fn trail_with(edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> TrailInfo {
    let mut v = trail_json();
    if let Value::Object(m) = &mut v {
        edit(m);
    }
    trail_from(v)
}

/// A `GetTrailStatus` response of a healthy trail at [`now`] (wire form:
/// epoch seconds).
fn status_json() -> Value {
    let n = now().timestamp() as f64;
    json!({
        "IsLogging": true,
        "LatestDeliveryTime": n - 240.0,
        "LatestNotificationTime": n - 240.0,
        "StartLoggingTime": n - 86_400.0 * 30.0,
        "LatestCloudWatchLogsDeliveryTime": n - 30.5,
        "LatestDigestDeliveryTime": n - 1_800.0,
        "LatestDeliveryAttemptTime": "2025-03-10T11:56:00Z",
        "LatestNotificationAttemptTime": "",
        "LatestNotificationAttemptSucceeded": "",
        "LatestDeliveryAttemptSucceeded": "2025-03-10T11:56:00Z",
        "TimeLoggingStarted": "2025-02-08T12:00:00Z",
        "TimeLoggingStopped": ""
    })
}

fn status_from(v: Value) -> TrailStatus {
    serde_json::from_value(v).expect("status fixture")
}

fn status() -> TrailStatus {
    status_from(status_json())
}

/// Basic selectors recording everything the test requirements ask for.
fn selectors_json() -> Value {
    json!({
        "TrailARN": ARN,
        "EventSelectors": [{
            "ReadWriteType": "All",
            "IncludeManagementEvents": true,
            "DataResources": [
                {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::artifacts-bucket/"]},
                {"Type": "AWS::DynamoDB::Table", "Values": ["arn:aws:dynamodb"]}
            ],
            "ExcludeManagementEventSources": []
        }]
    })
}

fn selectors_from(v: Value) -> Selectors {
    serde_json::from_value(v).expect("selectors fixture")
}

fn selectors() -> Selectors {
    selectors_from(selectors_json())
}

/// The defaults, with the deployment's key, log group, role and bucket.
fn req() -> Requirements {
    Requirements {
        kms_key: Some(KEY_ARN.to_string()),
        cloudwatch_logs_group_arn: Some(GROUP.to_string()),
        cloudwatch_logs_role_arn: Some(ROLE.to_string()),
        s3_data_buckets: vec![BUCKET.to_string()],
        ..Requirements::default()
    }
}

fn outcome(outcomes: &[Outcome], check: CheckName) -> &Outcome {
    match outcomes.iter().find(|o| o.check == check) {
        Some(o) => o,
        None => panic!("no outcome for {check}: {outcomes:#?}"),
    }
}

/// Evaluates and returns the one check's outcome.
fn check_of(
    check: CheckName,
    trail: &TrailInfo,
    status: &TrailStatus,
    selectors: &Selectors,
    req: &Requirements,
) -> Outcome {
    outcome(&evaluate(trail, status, selectors, req, now()), check).clone()
}

fn update(o: &Outcome) -> &TrailUpdate {
    match &o.repair {
        Some(Repair::UpdateTrail(u)) => u,
        other => panic!("expected an UpdateTrail repair, got {other:?} in {o:#?}"),
    }
}

fn assert_drift(o: &Outcome, needles: &[&str]) {
    assert_eq!(o.status, CheckStatus::Drift, "{o:#?}");
    for n in needles {
        assert!(o.detail.contains(n), "detail lacks {n:?}: {}", o.detail);
    }
}

fn assert_ok(o: &Outcome) {
    assert_eq!(o.status, CheckStatus::Ok, "{o:#?}");
    assert_eq!(o.repair, None, "{o:#?}");
}

fn minutes(m: i64) -> Duration {
    Duration::minutes(m)
}
