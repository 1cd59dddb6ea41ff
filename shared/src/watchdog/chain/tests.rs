//! The chain's checks on the shapes the adapters read.

use super::*;
use serde_json::json;

const BUCKET: &str = "trail-logs";

fn denied(what: &str) -> PortError {
    PortError::AccessDenied {
        operation: "GetBucketPolicy",
        resource: what.into(),
        message: "no".into(),
    }
}

fn unavailable() -> PortError {
    PortError::Unavailable {
        operation: "GetBucketVersioning",
        resource: BUCKET.into(),
        message: "503 Slow Down".into(),
    }
}

fn gone(what: &str) -> PortError {
    PortError::NotFound {
        operation: "DescribeRule",
        resource: what.into(),
        message: "does not exist".into(),
    }
}

/// The bucket policy CloudTrail's documentation gives (CloudTrail User
/// Guide, "Amazon S3 bucket policy for CloudTrail"), with the template's
/// deny of insecure transport.
fn documented_policy(prefix: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSCloudTrailAclCheck20150319", "Effect": "Allow",
         "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:GetBucketAcl",
         "Resource": format!("arn:aws:s3:::{BUCKET}"),
         "Condition": {"StringEquals": {"aws:SourceArn": "arn:aws:cloudtrail:us-east-1:111122223333:trail/main-trail"}}},
        {"Sid": "AWSCloudTrailWrite20150319", "Effect": "Allow",
         "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
         "Resource": format!("arn:aws:s3:::{BUCKET}/{prefix}AWSLogs/111122223333/*"),
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                                        "aws:SourceArn": "arn:aws:cloudtrail:us-east-1:111122223333:trail/main-trail"}}},
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [format!("arn:aws:s3:::{BUCKET}"), format!("arn:aws:s3:::{BUCKET}/*")],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    ]})
    .to_string()
}

fn delivery() -> Delivery {
    Delivery {
        partition: "aws".into(),
        prefix: None,
        account: "111122223333".into(),
        organization: false,
        home_region: "us-east-1".into(),
    }
}

fn healthy() -> BucketFacts {
    BucketFacts {
        bucket: BUCKET.into(),
        eventbridge: Ok(true),
        versioning: Ok(Some("Enabled".into())),
        public_access: Ok(Some(PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: true,
            restrict_public_buckets: true,
        })),
        policy: Ok(Some(documented_policy(""))),
        object_lock: Ok(Some(ObjectLock {
            enabled: true,
            mode: Some("GOVERNANCE".into()),
            days: Some(2557),
            years: None,
        })),
    }
}

fn run(facts: &BucketFacts) -> Vec<CheckResult> {
    run_with(facts, &Requirements::default(), &ChainConfig::default())
}

fn run_with(facts: &BucketFacts, req: &Requirements, chain: &ChainConfig) -> Vec<CheckResult> {
    let mut outage = None;
    let out = bucket_checks(facts, &[delivery()], req, chain, &mut outage);
    assert_eq!(outage, None, "no infrastructure failure");
    out
}

fn status_of(out: &[CheckResult], c: CheckName) -> (CheckStatus, String) {
    let r = out.iter().find(|r| r.check == c).expect("check ran");
    (r.status, r.detail.clone())
}

#[test]
fn a_healthy_bucket_is_ok_on_every_check_in_order() {
    let out = run(&healthy());
    let checks: Vec<CheckName> = out.iter().map(|r| r.check).collect();
    assert_eq!(checks, CheckName::CHAIN[..5]);
    for r in &out {
        assert_eq!(r.status, CheckStatus::Ok, "{r:?}");
        assert_eq!(r.trail, "arn:aws:s3:::trail-logs");
    }
    assert!(status_of(&out, CheckName::ObjectLock)
        .1
        .contains("GOVERNANCE for 2557 days"));
}

#[test]
fn each_broken_link_is_drift_with_its_reason() {
    let mut f = healthy();
    f.eventbridge = Ok(false);
    f.versioning = Ok(Some("Suspended".into()));
    f.public_access = Ok(Some(PublicAccessBlock {
        block_public_policy: false,
        ..PublicAccessBlock {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: true,
            restrict_public_buckets: true,
        }
    }));
    f.policy = Ok(None);
    let out = run(&f);
    let (s, d) = status_of(&out, CheckName::BucketEvents);
    assert_eq!(s, CheckStatus::Drift);
    assert!(d.contains("validator receives no event"), "{d}");
    let (s, d) = status_of(&out, CheckName::BucketVersioning);
    assert_eq!(s, CheckStatus::Drift);
    assert!(d.contains("Suspended"), "{d}");
    let (s, d) = status_of(&out, CheckName::BucketPublicAccess);
    assert_eq!(s, CheckStatus::Drift);
    assert!(d.contains("BlockPublicPolicy off"), "{d}");
    let (s, d) = status_of(&out, CheckName::BucketPolicy);
    assert_eq!(s, CheckStatus::Drift);
    assert!(d.contains("no policy"), "{d}");

    f.versioning = Ok(None);
    f.public_access = Ok(None);
    let out = run(&f);
    assert!(status_of(&out, CheckName::BucketVersioning)
        .1
        .contains("never enabled"));
    assert!(status_of(&out, CheckName::BucketPublicAccess)
        .1
        .contains("no public access block"));
}

#[test]
fn a_refused_read_fails_its_check_only_and_an_outage_fails_the_pass() {
    let mut f = healthy();
    f.policy = Err(denied(BUCKET));
    let out = run(&f);
    let (s, d) = status_of(&out, CheckName::BucketPolicy);
    assert_eq!(s, CheckStatus::Failed);
    assert!(
        d.starts_with("cannot read the bucket policy: access denied"),
        "{d}"
    );
    assert_eq!(
        status_of(&out, CheckName::BucketVersioning).0,
        CheckStatus::Ok
    );

    // An outage: a failed result, and the outage handed back so that the
    // pass fails once it has acted (repairs, notices).
    f.versioning = Err(unavailable());
    let mut outage = None;
    let out = bucket_checks(
        &f,
        &[delivery()],
        &Requirements::default(),
        &ChainConfig::default(),
        &mut outage,
    );
    let (s, d) = status_of(&out, CheckName::BucketVersioning);
    assert_eq!(s, CheckStatus::Failed);
    assert!(d.contains("AWS unavailable"), "{d}");
    assert!(outage.expect("kept").to_string().contains("503"));
}

#[test]
fn checks_set_off_are_not_run() {
    let mut req = Requirements::default();
    for c in CheckName::CHAIN {
        req.set_mode(c, Mode::Off);
    }
    req.set_mode(CheckName::BucketEvents, Mode::Alert);
    let out = run_with(&healthy(), &req, &ChainConfig::default());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].check, CheckName::BucketEvents);
}

#[test]
fn object_lock_is_reported_and_alerted_only_when_required() {
    let mut f = healthy();
    f.object_lock = Ok(None);
    let (s, d) = status_of(&run(&f), CheckName::ObjectLock);
    assert_eq!(s, CheckStatus::Ok);
    assert!(d.contains("Object Lock is off (not required here)"), "{d}");
    let required = ChainConfig {
        object_lock_min_days: Some(2557),
        ..ChainConfig::default()
    };
    let out = run_with(&f, &Requirements::default(), &required);
    assert_eq!(status_of(&out, CheckName::ObjectLock).0, CheckStatus::Drift);
    // Enabled without a default retention protects nothing CloudTrail writes.
    f.object_lock = Ok(Some(ObjectLock {
        enabled: true,
        ..ObjectLock::default()
    }));
    let (s, d) = status_of(
        &run_with(&f, &Requirements::default(), &required),
        CheckName::ObjectLock,
    );
    assert_eq!(s, CheckStatus::Drift);
    assert!(d.contains("no default retention"), "{d}");
    let out = run_with(&healthy(), &Requirements::default(), &required);
    assert_eq!(status_of(&out, CheckName::ObjectLock).0, CheckStatus::Ok);
    // A retention shortened below the required one is drift (years count
    // 365 days).
    for (days, years, ok) in [
        (Some(1), None, false),
        (None, Some(8), true),
        (None, Some(7), false),
    ] {
        f.object_lock = Ok(Some(ObjectLock {
            enabled: true,
            mode: Some("COMPLIANCE".into()),
            days,
            years,
        }));
        let (s, d) = status_of(
            &run_with(&f, &Requirements::default(), &required),
            CheckName::ObjectLock,
        );
        assert_eq!(s == CheckStatus::Ok, ok, "{days:?} {years:?}: {d}");
    }
}

// ---- the bucket policy ----------------------------------------------------

#[test]
fn the_documented_policy_lets_cloudtrail_deliver_with_and_without_a_prefix() {
    assert_eq!(
        policy_problems(&documented_policy(""), BUCKET, &[delivery()]),
        Ok(())
    );
    let prefixed = Delivery {
        prefix: Some("audit".into()),
        ..delivery()
    };
    assert_eq!(
        policy_problems(
            &documented_policy("audit/"),
            BUCKET,
            std::slice::from_ref(&prefixed)
        ),
        Ok(())
    );
    // The policy for no prefix does not cover a trail that writes under one.
    let e = policy_problems(&documented_policy(""), BUCKET, &[prefixed]).unwrap_err();
    assert!(
        e.contains(
            "s3:PutObject on arn:aws:s3:::trail-logs/audit/AWSLogs/111122223333/CloudTrail/"
        ),
        "{e}"
    );
}

#[test]
fn a_policy_that_stops_delivery_says_why() {
    // The write statement dropped.
    let mut doc: Value = serde_json::from_str(&documented_policy("")).unwrap();
    doc["Statement"].as_array_mut().unwrap().remove(1);
    let e = policy_problems(&doc.to_string(), BUCKET, &[delivery()]).unwrap_err();
    assert!(
        e.contains("no statement allows cloudtrail.amazonaws.com s3:PutObject"),
        "{e}"
    );
    // An unconditional deny of everyone's writes.
    let mut doc: Value = serde_json::from_str(&documented_policy("")).unwrap();
    doc["Statement"].as_array_mut().unwrap().push(json!({"Sid": "Freeze", "Effect": "Deny",
        "Principal": "*", "Action": ["s3:PutObject"], "Resource": format!("arn:aws:s3:::{BUCKET}/*")}));
    let e = policy_problems(&doc.to_string(), BUCKET, &[delivery()]).unwrap_err();
    assert!(
        e.contains("statement Freeze denies CloudTrail's writes"),
        "{e}"
    );
    // The ACL check dropped.
    let mut doc: Value = serde_json::from_str(&documented_policy("")).unwrap();
    doc["Statement"].as_array_mut().unwrap().remove(0);
    let e = policy_problems(&doc.to_string(), BUCKET, &[delivery()]).unwrap_err();
    assert!(e.contains("s3:GetBucketAcl"), "{e}");
    // Another account's folder only.
    let other = documented_policy("").replace("AWSLogs/111122223333/*", "AWSLogs/999988887777/*");
    assert!(policy_problems(&other, BUCKET, &[delivery()]).is_err());
    // Not JSON, no statements.
    assert!(policy_problems("{", BUCKET, &[delivery()])
        .unwrap_err()
        .contains("not JSON"));
    assert!(policy_problems("{}", BUCKET, &[delivery()])
        .unwrap_err()
        .contains("no Statement"));
}

#[test]
fn wildcards_and_lists_in_policies_are_honoured() {
    let policy = json!({"Statement": {"Effect": "Allow",
        "Principal": {"Service": ["logging.s3.amazonaws.com", "cloudtrail.amazonaws.com"]},
        "Action": ["s3:Get*", "s3:Put*"],
        "Resource": [format!("arn:aws:s3:::{BUCKET}"), format!("arn:aws:s3:::{BUCKET}/*")]}})
    .to_string();
    assert_eq!(policy_problems(&policy, BUCKET, &[delivery()]), Ok(()));
    // A grant to another service is not a grant to CloudTrail.
    let other = policy.replace("\"cloudtrail.amazonaws.com\"", "\"config.amazonaws.com\"");
    assert!(policy_problems(&other, BUCKET, &[delivery()]).is_err());
    // An organization trail writes under its o- folder: that grant is
    // needed, and the account's own folder is not enough.
    let org = Delivery {
        organization: true,
        ..delivery()
    };
    let org_policy =
        documented_policy("").replace("AWSLogs/111122223333/*", "AWSLogs/o-abc123def4/*");
    assert_eq!(
        policy_problems(&org_policy, BUCKET, std::slice::from_ref(&org)),
        Ok(())
    );
    assert!(policy_problems(&org_policy, BUCKET, &[delivery()]).is_err());
    let e = policy_problems(&documented_policy(""), BUCKET, &[org]).unwrap_err();
    assert!(e.contains("AWSLogs/o-ID/111122223333/CloudTrail/"), "{e}");
}

#[test]
fn digests_must_be_writable_too() {
    // A grant of the log folder only: CloudTrail's digests would be refused.
    let logs_only = documented_policy("").replace(
        "AWSLogs/111122223333/*",
        "AWSLogs/111122223333/CloudTrail/*",
    );
    let e = policy_problems(&logs_only, BUCKET, &[delivery()]).unwrap_err();
    assert!(e.contains("CloudTrail-Digest/"), "{e}");
    assert!(!e.contains("111122223333/CloudTrail/;"), "{e}");
}

#[test]
fn glob_is_iam_wildcards() {
    assert!(glob("arn:aws:s3:::b/*", "arn:aws:s3:::b/AWSLogs/1/x"));
    assert!(glob(
        "arn:aws:s3:::b/AWSLogs/?/*",
        "arn:aws:s3:::b/AWSLogs/1/x"
    ));
    assert!(!glob("arn:aws:s3:::b", "arn:aws:s3:::b/x"));
    assert!(glob("*", ""));
    assert!(glob("a*b*c", "aXXbYYc"));
    assert!(!glob("a*b*c", "aXXbYY"));
}

// ---- denies that stop delivery -------------------------------------------

fn with_statement(extra: Value) -> String {
    let mut doc: Value = serde_json::from_str(&documented_policy("")).unwrap();
    doc["Statement"].as_array_mut().unwrap().push(extra);
    doc.to_string()
}

#[test]
fn a_conditional_deny_counts_unless_it_spares_cloudtrail() {
    // "Require SSE-KMS on every write": CloudTrail writes digests SSE-S3,
    // so this refuses them.
    let kms_only = with_statement(
        json!({"Sid": "RequireKms", "Effect": "Deny", "Principal": "*",
        "Action": "s3:PutObject", "Resource": format!("arn:aws:s3:::{BUCKET}/*"),
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}),
    );
    let e = policy_problems(&kms_only, BUCKET, &[delivery()]).unwrap_err();
    assert!(
        e.contains("statement RequireKms denies CloudTrail's writes"),
        "{e}"
    );
    // The template's deny of plain HTTP spares it (CloudTrail uses TLS).
    assert_eq!(
        policy_problems(&documented_policy(""), BUCKET, &[delivery()]),
        Ok(())
    );
}

#[test]
fn not_forms_are_read_as_iam_reads_them() {
    // Deny everyone but an admin role deleting objects: nothing to do with
    // CloudTrail's writes.
    let admin_only_deletes = with_statement(json!({"Sid": "OnlyAdminsDelete", "Effect": "Deny",
        "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/admin"}, "Action": "s3:DeleteObject",
        "Resource": format!("arn:aws:s3:::{BUCKET}/*")}));
    assert_eq!(
        policy_problems(&admin_only_deletes, BUCKET, &[delivery()]),
        Ok(())
    );
    // Deny writes anywhere but AWSLogs/: CloudTrail's keys are spared.
    let outside = with_statement(
        json!({"Sid": "OnlyAwsLogs", "Effect": "Deny", "Principal": "*",
        "Action": "s3:PutObject", "NotResource": format!("arn:aws:s3:::{BUCKET}/AWSLogs/*")}),
    );
    assert_eq!(policy_problems(&outside, BUCKET, &[delivery()]), Ok(()));
    // Deny every action but reads: CloudTrail's writes are refused.
    let reads_only = with_statement(
        json!({"Sid": "ReadsOnly", "Effect": "Deny", "Principal": "*",
        "NotAction": ["s3:Get*", "s3:List*"], "Resource": format!("arn:aws:s3:::{BUCKET}/*")}),
    );
    let e = policy_problems(&reads_only, BUCKET, &[delivery()]).unwrap_err();
    assert!(e.contains("statement ReadsOnly denies"), "{e}");
}

#[test]
fn denies_are_tried_on_keys_as_cloudtrail_names_them() {
    // A deny of one region's digest folder, the home region's.
    let region_deny = with_statement(
        json!({"Sid": "NoDigests", "Effect": "Deny", "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": format!("arn:aws:s3:::{BUCKET}/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/*")}),
    );
    let e = policy_problems(&region_deny, BUCKET, &[delivery()]).unwrap_err();
    assert!(e.contains("statement NoDigests denies CloudTrail's writes to arn:aws:s3:::trail-logs/AWSLogs/111122223333/CloudTrail-Digest/"), "{e}");
    // A deny of the ACL check.
    let acl = with_statement(
        json!({"Sid": "NoAcl", "Effect": "Deny", "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:GetBucketAcl", "Resource": format!("arn:aws:s3:::{BUCKET}")}),
    );
    let e = policy_problems(&acl, BUCKET, &[delivery()]).unwrap_err();
    assert!(
        e.contains("statement NoAcl denies CloudTrail's check of the bucket ACL"),
        "{e}"
    );
}

// ---- the feeds --------------------------------------------------------------

const RULE_ARN: &str = "arn:aws:events:us-east-1:111122223333:rule/tg-LogObjects-ABC";
const QUEUE_ARN: &str = "arn:aws:sqs:us-east-1:111122223333:tg-ValidatorQueue-XYZ";
const QUEUE_URL: &str = "https://sqs.us-east-1.amazonaws.com/111122223333/tg-ValidatorQueue-XYZ";
/// The template's pattern (LogBucketEventsRule).
const PATTERN: &str = r#"{"source":["aws.s3"],"detail-type":["Object Created","Object Deleted"],"detail":{"bucket":{"name":["trail-logs"]}}}"#;

fn rule(state: &str, targets: &[&str]) -> Result<RuleFacts, PortError> {
    Ok(RuleFacts {
        arn: RULE_ARN.into(),
        state: state.into(),
        targets: targets.iter().map(|t| t.to_string()).collect(),
        event_pattern: Some(PATTERN.into()),
    })
}

fn queue() -> Result<QueueFacts, PortError> {
    Ok(QueueFacts {
        arn: QUEUE_ARN.into(),
    })
}

fn feed(
    rule: &Result<RuleFacts, PortError>,
    queue: Option<&Result<QueueFacts, PortError>>,
) -> CheckResult {
    let mut outage = None;
    let r = validator_feed(
        RULE_ARN,
        rule,
        &[BUCKET],
        queue.map(|_| QUEUE_URL),
        queue,
        &mut outage,
    );
    assert_eq!(outage, None);
    r
}

#[test]
fn the_validator_feed_is_the_rule_enabled_matching_and_sending_to_the_queue() {
    let ok = feed(&rule("ENABLED", &[QUEUE_ARN]), Some(&queue()));
    assert_eq!((ok.status, ok.trail.as_str()), (CheckStatus::Ok, RULE_ARN));
    let off = feed(&rule("DISABLED", &[QUEUE_ARN]), Some(&queue()));
    assert_eq!(off.status, CheckStatus::Drift);
    assert!(off.detail.contains("is DISABLED"), "{}", off.detail);
    let rewired = feed(
        &rule("ENABLED", &["arn:aws:sqs:us-east-1:999988887777:sink"]),
        Some(&queue()),
    );
    assert_eq!(rewired.status, CheckStatus::Drift);
    assert!(
        rewired.detail.contains("no longer sends to its queue"),
        "{}",
        rewired.detail
    );
    let no_rule = feed(&Err(gone(RULE_ARN)), Some(&queue()));
    assert_eq!(
        (no_rule.status, no_rule.trail.as_str()),
        (CheckStatus::Drift, RULE_ARN)
    );
    assert!(no_rule.detail.contains("is gone"), "{}", no_rule.detail);
    let no_queue = feed(&rule("ENABLED", &[QUEUE_ARN]), Some(&Err(gone(QUEUE_URL))));
    assert_eq!(no_queue.status, CheckStatus::Drift);
    assert!(no_queue.detail.contains("queue"), "{}", no_queue.detail);
    let refused = feed(&Err(denied("rule")), None);
    assert_eq!(refused.status, CheckStatus::Failed);
    let mut outage = None;
    let down = validator_feed("r", &Err(unavailable()), &[BUCKET], None, None, &mut outage);
    assert_eq!(down.status, CheckStatus::Failed);
    assert!(outage.is_some());
    // Without a queue configured, the rule must still send somewhere.
    assert_eq!(
        feed(&rule("ENABLED", &[QUEUE_ARN]), None).status,
        CheckStatus::Ok
    );
    let nowhere = feed(&rule("ENABLED", &[]), None);
    assert_eq!(nowhere.status, CheckStatus::Drift);
    assert!(nowhere.detail.contains("no target"), "{}", nowhere.detail);
    // The state that also matches CloudTrail management events is enabled.
    let all = feed(
        &rule(
            "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
            &[QUEUE_ARN],
        ),
        Some(&queue()),
    );
    assert_eq!(all.status, CheckStatus::Ok);
}

#[test]
fn a_rule_pointed_away_from_the_bucket_is_a_cut_feed() {
    let with = |pattern: Option<&str>| {
        let mut r = rule("ENABLED", &[QUEUE_ARN]);
        if let Ok(f) = &mut r {
            f.event_pattern = pattern.map(str::to_string);
        }
        feed(&r, Some(&queue()))
    };
    assert_eq!(with(Some(PATTERN)).status, CheckStatus::Ok);
    for (pattern, why) in [
        (
            PATTERN.replace("trail-logs", "decoy-bucket"),
            "without trail-logs",
        ),
        (
            PATTERN.replace("\"Object Created\",", ""),
            "without \"Object Created\"",
        ),
        (PATTERN.replace("aws.s3", "aws.ec2"), "not aws.s3"),
        ("{".to_string(), "not JSON"),
    ] {
        let r = with(Some(&pattern));
        assert_eq!(r.status, CheckStatus::Drift, "{pattern}");
        assert!(r.detail.contains(why), "{pattern}: {}", r.detail);
    }
    assert!(with(None).detail.contains("no event pattern"));
    // Fields a pattern leaves out match anything.
    assert_eq!(
        with(Some(r#"{"source":["aws.s3"]}"#)).status,
        CheckStatus::Ok
    );
    assert_eq!(pattern_problem(Some(PATTERN), &[]), None);
}

#[test]
fn the_router_feed_is_a_subscription_filter_to_the_router_passing_everything() {
    let router = "arn:aws:lambda:us-east-1:111122223333:function:tg-AlertRouter-1";
    let filters = |dest: &str, pattern: &str| {
        Ok(vec![SubscriptionFilter {
            name: "trailguard".into(),
            destination_arn: dest.into(),
            pattern: pattern.into(),
        }])
    };
    let check = |f: &Result<Vec<SubscriptionFilter>, PortError>| {
        let mut outage = None;
        let r = router_subscription("aws-cloudtrail-logs", f, router, &mut outage);
        (r, outage)
    };
    assert_eq!(check(&filters(router, "")).0.status, CheckStatus::Ok);
    // An alias-qualified destination still names the router.
    assert_eq!(
        check(&filters(&format!("{router}:live"), "")).0.status,
        CheckStatus::Ok
    );
    let narrowed = check(&filters(router, "{ $.eventName = \"Nothing\" }")).0;
    assert_eq!(narrowed.status, CheckStatus::Drift);
    assert!(
        narrowed.detail.contains("passes only events matching"),
        "{}",
        narrowed.detail
    );
    let elsewhere = check(&filters(
        "arn:aws:lambda:us-east-1:999988887777:function:sink",
        "",
    ))
    .0;
    assert_eq!(elsewhere.status, CheckStatus::Drift);
    assert!(
        elsewhere
            .detail
            .contains("trailguard -> arn:aws:lambda:us-east-1:999988887777:function:sink"),
        "{}",
        elsewhere.detail
    );
    let none = check(&Ok(vec![])).0;
    assert!(none.detail.contains("(filters: none)"), "{}", none.detail);
    let gone_group = check(&Err(gone("aws-cloudtrail-logs"))).0;
    assert_eq!(gone_group.status, CheckStatus::Drift);
    let (down, outage) = check(&Err(unavailable()));
    assert_eq!(down.status, CheckStatus::Failed);
    assert!(outage.is_some());
}

#[test]
fn log_group_names_come_from_arns() {
    assert_eq!(
        log_group_name("arn:aws:logs:us-east-1:111122223333:log-group:aws-cloudtrail-logs:*")
            .as_deref(),
        Some("aws-cloudtrail-logs")
    );
    assert_eq!(
        log_group_name("arn:aws:logs:us-east-1:111122223333:log-group:/a/b").as_deref(),
        Some("/a/b")
    );
    assert_eq!(log_group_name("arn:aws:s3:::b"), None);
}

#[test]
fn check_lists_are_the_trail_then_the_chain() {
    let joined: Vec<CheckName> = CheckName::TRAIL
        .iter()
        .chain(CheckName::CHAIN.iter())
        .copied()
        .collect();
    assert_eq!(joined, CheckName::ALL);
    let mut req = Requirements::default();
    // Each chain check has its own mode slot.
    for (i, c) in CheckName::CHAIN.into_iter().enumerate() {
        req.set_mode(c, if i % 2 == 0 { Mode::Off } else { Mode::Alert });
    }
    for (i, c) in CheckName::CHAIN.into_iter().enumerate() {
        let want = if i % 2 == 0 { Mode::Off } else { Mode::Alert };
        assert_eq!(req.mode(c), want, "{c}");
    }
    assert_eq!(req.mode(CheckName::Logging), Mode::Repair);
}
