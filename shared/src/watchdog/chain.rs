//! The chain the functions hang on, outside the trail itself.
//!
//! A trail can log perfectly while trailguard sees nothing: the log bucket
//! stops sending its object events to EventBridge, the rule that feeds the
//! validator is disabled, its queue deleted, the router's subscription
//! filter removed. A bucket can also stop protecting what it holds
//! (versioning suspended, public access opened) or stop accepting
//! CloudTrail's writes (a bucket policy rewritten). With a stack that
//! attaches to an existing trail, none of these is the stack's own
//! resource, so nothing else notices. These checks read each link, every
//! pass, and alert; they never repair (a person owns these resources).
//!
//! Pure: what the adapters read comes in as [`BucketFacts`],
//! [`RuleFacts`], [`QueueFacts`] and [`SubscriptionFilter`]s, each read
//! with its own result, and out come [`CheckResult`]s. A read that was
//! refused (AccessDenied, NotFound...) is a finding for the checks that
//! needed it. An infrastructure failure (throttling, 5xx after the SDK's
//! retries) is a `failed` result too, and is handed back as the pass's
//! outage: the pass still repairs the trails and publishes, then fails so
//! that it is retried (an S3 outage must never stop a StopLogging repair).

use serde_json::Value;

use super::model::{CheckName, CheckResult, CheckStatus};
use super::requirements::{Mode, Requirements};
use crate::error::PortError;

/// An S3 public access block (`GetPublicAccessBlock`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PublicAccessBlock {
    /// `BlockPublicAcls`.
    pub block_public_acls: bool,
    /// `IgnorePublicAcls`.
    pub ignore_public_acls: bool,
    /// `BlockPublicPolicy`.
    pub block_public_policy: bool,
    /// `RestrictPublicBuckets`.
    pub restrict_public_buckets: bool,
}

/// A bucket's Object Lock configuration (`GetObjectLockConfiguration`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectLock {
    /// `ObjectLockEnabled` is `Enabled`.
    pub enabled: bool,
    /// The default retention's mode (`GOVERNANCE` or `COMPLIANCE`), if any.
    pub mode: Option<String>,
    /// The default retention in days, if given in days.
    pub days: Option<i32>,
    /// The default retention in years, if given in years.
    pub years: Option<i32>,
}

/// What the watchdog read of one log bucket; each read has its own result
/// so that one refused call fails only the checks that needed it.
#[derive(Debug, Clone)]
pub struct BucketFacts {
    /// The bucket's name.
    pub bucket: String,
    /// Whether `GetBucketNotificationConfiguration` has an
    /// `EventBridgeConfiguration` (object events go to EventBridge).
    pub eventbridge: Result<bool, PortError>,
    /// `GetBucketVersioning`'s `Status` (`None`: never enabled).
    pub versioning: Result<Option<String>, PortError>,
    /// `GetPublicAccessBlock` (`None`: no configuration on the bucket).
    pub public_access: Result<Option<PublicAccessBlock>, PortError>,
    /// `GetBucketPolicy`'s policy text (`None`: no bucket policy).
    pub policy: Result<Option<String>, PortError>,
    /// `GetObjectLockConfiguration` (`None`: Object Lock not configured).
    pub object_lock: Result<Option<ObjectLock>, PortError>,
}

/// An EventBridge rule (`DescribeRule`, `ListTargetsByRule`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFacts {
    /// The rule's ARN.
    pub arn: String,
    /// `ENABLED`, `DISABLED` or
    /// `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`.
    pub state: String,
    /// The ARNs of its targets.
    pub targets: Vec<String>,
    /// Its `EventPattern` (JSON), if it has one.
    pub event_pattern: Option<String>,
}

/// An SQS queue that exists (`GetQueueAttributes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueFacts {
    /// Its ARN.
    pub arn: String,
}

/// One CloudWatch Logs subscription filter (`DescribeSubscriptionFilters`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionFilter {
    /// `filterName`.
    pub name: String,
    /// `destinationArn`: the Lambda function, stream or destination.
    pub destination_arn: String,
    /// `filterPattern` (empty: every event).
    pub pattern: String,
}

/// The deployment's links that are not found on a trail: what feeds the
/// functions. Each is checked only when configured (the template sets all).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainConfig {
    /// The EventBridge rule that sends the log bucket's object events to
    /// the validator (name or ARN).
    pub validator_rule: Option<String>,
    /// The SQS queue between that rule and the validator (URL).
    pub validator_queue_url: Option<String>,
    /// The alert router's function ARN, which the trail's log group must
    /// have a subscription filter to.
    pub router_function_arn: Option<String>,
    /// The log group the router subscribes to (name); defaults to the
    /// group of [`Requirements::cloudwatch_logs_group_arn`].
    pub router_log_group: Option<String>,
    /// Object Lock must be on the log buckets with a default retention of
    /// at least this many days (the template's CreateTrail mode turns it
    /// on); `None`: its state is reported but not alerted.
    pub object_lock_min_days: Option<i64>,
    /// Where the integrity validator records its checkpoints
    /// ([`super::digests::validator_lag`] runs only with them).
    pub checkpoint_bucket: Option<String>,
    /// How late a digest may arrive past its hour (default 15 minutes).
    pub delivery_slack: Option<chrono::Duration>,
}

impl ChainConfig {
    /// The delivery slack, 15 minutes unless configured.
    pub fn slack(&self) -> chrono::Duration {
        self.delivery_slack
            .unwrap_or_else(|| chrono::Duration::minutes(15))
    }

    /// The log group name the router must be subscribed to, if any.
    pub fn log_group(&self, req: &Requirements) -> Option<String> {
        self.router_log_group.clone().or_else(|| {
            req.cloudwatch_logs_group_arn
                .as_deref()
                .and_then(log_group_name)
        })
    }
}

/// The name in a log group ARN (`arn:aws:logs:R:A:log-group:NAME[:*]`).
pub fn log_group_name(arn: &str) -> Option<String> {
    let (_, rest) = arn.split_once(":log-group:")?;
    let name = rest.strip_suffix(":*").unwrap_or(rest);
    (!name.is_empty()).then(|| name.to_string())
}

/// Whether a refused read is a finding rather than a failure to retry.
fn finding(e: &PortError) -> bool {
    matches!(
        e,
        PortError::AccessDenied { .. } | PortError::NotFound { .. } | PortError::Rejected { .. }
    )
}

fn result(resource: &str, check: CheckName, status: CheckStatus, detail: String) -> CheckResult {
    CheckResult {
        trail: resource.to_string(),
        check,
        status,
        detail,
    }
}

/// The read's value, or a `Failed` result; an outage is also kept in
/// `outage` for the pass to fail on once it has acted.
fn read<'a, T>(
    fact: &'a Result<T, PortError>,
    resource: &str,
    check: CheckName,
    what: &str,
    outage: &mut Option<PortError>,
) -> Result<&'a T, CheckResult> {
    match fact {
        Ok(v) => Ok(v),
        Err(e) => {
            let detail = if finding(e) {
                format!("cannot read {what}: {e}")
            } else {
                outage.get_or_insert_with(|| e.clone());
                format!("cannot read {what} (AWS unavailable; the pass fails and is retried): {e}")
            };
            Err(result(resource, check, CheckStatus::Failed, detail))
        }
    }
}

/// The S3 ARN of a bucket, the resource its results are reported on.
pub fn bucket_arn(partition: &str, bucket: &str) -> String {
    format!("arn:{partition}:s3:::{bucket}")
}

/// Where CloudTrail writes a trail's log files in its bucket, for the
/// policy check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The ARN partition.
    pub partition: String,
    /// The trail's `S3KeyPrefix`, if any.
    pub prefix: Option<String>,
    /// The account folder CloudTrail writes under (the trail's owner).
    pub account: String,
    /// An organization trail writes under `AWSLogs/o-ID/ACCOUNT/`.
    pub organization: bool,
    /// The trail's home region (the sample keys' region folder).
    pub home_region: String,
}

/// The bucket checks of one log bucket, for the trails that deliver to it.
pub fn bucket_checks(
    facts: &BucketFacts,
    deliveries: &[Delivery],
    req: &Requirements,
    chain: &ChainConfig,
    outage: &mut Option<PortError>,
) -> Vec<CheckResult> {
    let partition = deliveries
        .first()
        .map(|d| d.partition.as_str())
        .unwrap_or("aws");
    let arn = bucket_arn(partition, &facts.bucket);
    let mut out = Vec::new();
    let on = |c: CheckName| req.mode(c) != Mode::Off;
    if on(CheckName::BucketEvents) {
        out.push(
            match read(&facts.eventbridge, &arn, CheckName::BucketEvents, "the bucket's notification configuration", outage) {
                Err(r) => r,
                Ok(true) => result(&arn, CheckName::BucketEvents, CheckStatus::Ok,
                    "the bucket sends its object events to EventBridge".into()),
                Ok(false) => result(&arn, CheckName::BucketEvents, CheckStatus::Drift,
                    "the bucket does not send its object events to EventBridge: the integrity validator receives no event and checks nothing as it lands (PutBucketNotificationConfiguration with EventBridgeConfiguration: {})".into()),
            },
        );
    }
    if on(CheckName::BucketVersioning) {
        out.push(
            match read(&facts.versioning, &arn, CheckName::BucketVersioning, "the bucket's versioning", outage) {
                Err(r) => r,
                Ok(Some(s)) if s == "Enabled" => result(&arn, CheckName::BucketVersioning, CheckStatus::Ok,
                    "versioning is enabled".into()),
                Ok(s) => result(&arn, CheckName::BucketVersioning, CheckStatus::Drift, format!(
                    "versioning is {}: an overwritten or deleted log file is gone for good (expected: Enabled)",
                    s.as_deref().unwrap_or("off (never enabled)"))),
            },
        );
    }
    if on(CheckName::BucketPublicAccess) {
        out.push(
            match read(&facts.public_access, &arn, CheckName::BucketPublicAccess, "the bucket's public access block", outage) {
                Err(r) => r,
                Ok(None) => result(&arn, CheckName::BucketPublicAccess, CheckStatus::Drift,
                    "the bucket has no public access block: a policy or ACL could make the audit trail public (expected: all four settings on)".into()),
                Ok(Some(b)) => {
                    let off: Vec<&str> = [
                        ("BlockPublicAcls", b.block_public_acls),
                        ("IgnorePublicAcls", b.ignore_public_acls),
                        ("BlockPublicPolicy", b.block_public_policy),
                        ("RestrictPublicBuckets", b.restrict_public_buckets),
                    ]
                    .into_iter()
                    .filter(|(_, v)| !v)
                    .map(|(n, _)| n)
                    .collect();
                    if off.is_empty() {
                        result(&arn, CheckName::BucketPublicAccess, CheckStatus::Ok,
                            "public access is blocked (all four settings on)".into())
                    } else {
                        result(&arn, CheckName::BucketPublicAccess, CheckStatus::Drift, format!(
                            "the public access block has {} off (expected: all four on)", off.join(", ")))
                    }
                }
            },
        );
    }
    if on(CheckName::BucketPolicy) {
        out.push(
            match read(&facts.policy, &arn, CheckName::BucketPolicy, "the bucket policy", outage) {
                Err(r) => r,
                Ok(None) => result(&arn, CheckName::BucketPolicy, CheckStatus::Drift,
                    "the bucket has no policy: CloudTrail cannot check its ACL or write log files to it".into()),
                Ok(Some(text)) => match policy_problems(text, &facts.bucket, deliveries) {
                    Ok(()) => result(&arn, CheckName::BucketPolicy, CheckStatus::Ok,
                        "the bucket policy lets CloudTrail read its ACL and write the trail's log files".into()),
                    Err(why) => result(&arn, CheckName::BucketPolicy, CheckStatus::Drift, why),
                },
            },
        );
    }
    if on(CheckName::ObjectLock) {
        out.push(
            match read(&facts.object_lock, &arn, CheckName::ObjectLock, "the bucket's Object Lock configuration", outage) {
                Err(r) => r,
                Ok(Some(l)) if l.enabled => {
                    // S3 documents retention in days or years
                    // (DefaultRetention, Amazon S3 API Reference) but not
                    // how many days a year counts for; a year is taken as
                    // 365 days, the lower figure, so a retention in years
                    // can be reported short but never long.
                    let days = l.days.map(i64::from).or(l.years.map(|y| i64::from(y) * 365));
                    let retention = match (&l.mode, l.days, l.years) {
                        (Some(m), Some(d), _) => format!("default retention {m} for {d} days"),
                        (Some(m), _, Some(y)) => format!("default retention {m} for {y} years"),
                        _ => "no default retention: objects are locked only when a writer asks".into(),
                    };
                    let short = match (chain.object_lock_min_days, l.mode.is_some(), days) {
                        (Some(_), false, _) | (Some(_), true, None) => true,
                        (Some(min), true, Some(d)) => d < min,
                        (None, _, _) => false,
                    };
                    let (status, expected) = match (short, chain.object_lock_min_days) {
                        (true, Some(min)) => (CheckStatus::Drift, format!(" (expected: a default retention of at least {min} days)")),
                        _ => (CheckStatus::Ok, String::new()),
                    };
                    result(&arn, CheckName::ObjectLock, status, format!("Object Lock is enabled, {retention}{expected}"))
                }
                Ok(_) if chain.object_lock_min_days.is_some() => result(&arn, CheckName::ObjectLock, CheckStatus::Drift,
                    "Object Lock is off: a privileged user can delete every version of a log file (expected: enabled with a default retention)".into()),
                Ok(_) => result(&arn, CheckName::ObjectLock, CheckStatus::Ok,
                    "Object Lock is off (not required here): versioning keeps overwritten log files, but a privileged user can still delete every version".into()),
            },
        );
    }
    out
}

/// Whether a bucket policy still lets CloudTrail deliver: an `Allow` to
/// `cloudtrail.amazonaws.com` of `s3:GetBucketAcl` on the bucket and of
/// `s3:PutObject` on each delivery's log and digest objects, and no `Deny`
/// that would refuse either (CloudTrail User Guide, "Amazon S3 bucket
/// policy for CloudTrail").
///
/// Conditions on the `Allow`s are not evaluated (a wrong `aws:SourceArn`
/// shows as the trail's delivery error, which the `delivery` check
/// reports). A `Deny` with a condition counts as refusing CloudTrail unless
/// every condition is one known to spare it (`aws:SecureTransport` false:
/// CloudTrail writes over TLS): the side that can never report a blocked
/// delivery as fine. An organization trail's ID is not in DescribeTrails,
/// so any `o-` folder the policy names is taken for it (documented as open
/// in docs/aws-behavior.md).
pub fn policy_problems(text: &str, bucket: &str, deliveries: &[Delivery]) -> Result<(), String> {
    let doc: Value =
        serde_json::from_str(text).map_err(|e| format!("the bucket policy is not JSON: {e}"))?;
    let statements: Vec<&Value> = match &doc["Statement"] {
        Value::Array(a) => a.iter().collect(),
        v @ Value::Object(_) => vec![v],
        _ => return Err("the bucket policy has no Statement".into()),
    };
    let partition = deliveries
        .first()
        .map(|d| d.partition.as_str())
        .unwrap_or("aws");
    let bucket_arn = bucket_arn(partition, bucket);
    let mut problems = Vec::new();
    let sid = |s: &Value| {
        s.get("Sid")
            .and_then(Value::as_str)
            .unwrap_or("(no Sid)")
            .to_string()
    };
    if !statements
        .iter()
        .any(|s| grants(s, "Allow", "s3:GetBucketAcl", &bucket_arn))
    {
        problems.push(format!(
            "no statement allows cloudtrail.amazonaws.com s3:GetBucketAcl on {bucket_arn}"
        ));
    }
    if let Some(s) = statements
        .iter()
        .find(|s| denies(s, "s3:GetBucketAcl", &bucket_arn))
    {
        problems.push(format!(
            "statement {} denies CloudTrail's check of the bucket ACL",
            sid(s)
        ));
    }
    for d in deliveries {
        let prefix = d
            .prefix
            .as_deref()
            .map(|p| format!("{}/", p.trim_end_matches('/')))
            .unwrap_or_default();
        let root = if d.organization {
            format!("{bucket_arn}/{prefix}AWSLogs/o-")
        } else {
            format!("{bucket_arn}/{prefix}AWSLogs/{}/", d.account)
        };
        // Log files and digests: both must be writable. The objects tried
        // are keys as CloudTrail names them (region and day folders, file
        // name), in the trail's home region.
        for (folder, sample) in [
            ("CloudTrail", format!("us-east-1/2026/01/15/{0}_CloudTrail_us-east-1_20260115T0005Z_a1B2c3D4e5F6g7H8.json.gz", d.account)),
            ("CloudTrail-Digest", format!("us-east-1/2026/01/15/{0}_CloudTrail-Digest_us-east-1_trail_us-east-1_20260115T010000Z.json.gz", d.account)),
        ] {
            let region = &d.home_region;
            let sample = sample.replace("us-east-1", region);
            let objects = |s: &Value| -> Vec<String> {
                if d.organization {
                    org_ids(s)
                        .into_iter()
                        .map(|id| format!("{root}{id}/{}/{folder}/{sample}", d.account))
                        .collect()
                } else {
                    vec![format!("{root}{folder}/{sample}")]
                }
            };
            let shown = if d.organization {
                format!("{root}ID/{}/{folder}/", d.account)
            } else {
                format!("{root}{folder}/")
            };
            if !statements.iter().any(|s| {
                objects(s)
                    .iter()
                    .any(|o| grants(s, "Allow", "s3:PutObject", o))
            }) {
                problems.push(format!(
                    "no statement allows cloudtrail.amazonaws.com s3:PutObject on {shown}"
                ));
            }
            let deny_objects: Vec<String> = if d.organization {
                vec![format!("{root}0000000000/{}/{folder}/{sample}", d.account)]
            } else {
                vec![format!("{root}{folder}/{sample}")]
            };
            if let Some(s) = statements.iter().find(|s| {
                deny_objects.iter().chain(objects(s).iter()).any(|o| denies(s, "s3:PutObject", o))
            }) {
                problems.push(format!(
                    "statement {} denies CloudTrail's writes to {shown}",
                    sid(s)
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the bucket policy would stop CloudTrail's delivery: {}",
            problems.join("; ")
        ))
    }
}

/// The organization IDs a statement's resources name under `AWSLogs/o-`
/// (without the `o-`), plus a made-up one for resources that use a
/// wildcard there.
fn org_ids(s: &Value) -> Vec<String> {
    let mut ids: Vec<String> = s
        .get("Resource")
        .map(strings)
        .unwrap_or_default()
        .iter()
        .filter_map(|r| r.split("/AWSLogs/o-").nth(1))
        .filter_map(|rest| rest.split('/').next())
        .filter(|id| !id.is_empty() && !id.contains(['*', '?']))
        .map(str::to_string)
        .collect();
    ids.push("0000000000".into());
    ids
}

/// Whether a `Deny` statement refuses CloudTrail `action` on `resource`:
/// it covers the request, and has no condition or only conditions known to
/// spare CloudTrail's write.
fn denies(s: &Value, action: &str, resource: &str) -> bool {
    if !grants(s, "Deny", action, resource) {
        return false;
    }
    match s.get("Condition").and_then(Value::as_object) {
        None => true,
        Some(ops) => !ops.iter().all(|(op, keys)| {
            keys.as_object().is_some_and(|keys| {
                keys.iter().all(|(k, v)| {
                    op == "Bool"
                        && k.eq_ignore_ascii_case("aws:SecureTransport")
                        && strings(v) == ["false"]
                })
            })
        }),
    }
}

/// Whether a statement of `effect` covers CloudTrail doing `action` on
/// `resource`: each of principal, action and resource matches (wildcards
/// honoured), or, for its `Not` form, does not.
fn grants(s: &Value, effect: &str, action: &str, resource: &str) -> bool {
    if s.get("Effect").and_then(Value::as_str) != Some(effect) {
        return false;
    }
    let principal_names = |p: &Value| match p {
        Value::String(p) => p == "*",
        Value::Object(m) => {
            m.get("AWS").is_some_and(|v| strings(v).contains(&"*"))
                || m.get("Service")
                    .is_some_and(|v| strings(v).contains(&"cloudtrail.amazonaws.com"))
        }
        _ => false,
    };
    let principal_ok = match (s.get("Principal"), s.get("NotPrincipal")) {
        (Some(p), _) => principal_names(p),
        (None, Some(np)) => !principal_names(np),
        (None, None) => false,
    };
    let action_matches = |v: &Value| {
        strings(v)
            .iter()
            .any(|a| glob(&a.to_ascii_lowercase(), &action.to_ascii_lowercase()))
    };
    let action_ok = match (s.get("Action"), s.get("NotAction")) {
        (Some(a), _) => action_matches(a),
        (None, Some(na)) => !action_matches(na),
        (None, None) => false,
    };
    let resource_matches = |v: &Value| strings(v).iter().any(|r| glob(r, resource));
    let resource_ok = match (s.get("Resource"), s.get("NotResource")) {
        (Some(r), _) => resource_matches(r),
        (None, Some(nr)) => !resource_matches(nr),
        (None, None) => false,
    };
    principal_ok && action_ok && resource_ok
}

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// IAM's wildcard match: `*` any run of characters, `?` any one.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The validator's feed: the EventBridge rule enabled, still matching the
/// log bucket's object events, sending to the queue, and the queue there.
/// Reported under the configured rule (name or ARN), so that one problem
/// keeps one identity in the alert state whatever the rule's state.
pub fn validator_feed(
    rule_name: &str,
    rule: &Result<RuleFacts, PortError>,
    buckets: &[&str],
    queue_url: Option<&str>,
    queue: Option<&Result<QueueFacts, PortError>>,
    outage: &mut Option<PortError>,
) -> CheckResult {
    let c = CheckName::ValidatorFeed;
    let drift = |detail: String| result(rule_name, c, CheckStatus::Drift, detail);
    let missing = |e: &PortError| matches!(e, PortError::NotFound { .. });
    let rule = match rule {
        Err(e) if missing(e) => {
            return drift(format!(
                "the EventBridge rule {rule_name} that feeds the integrity validator is gone: no new log file or digest is checked as it lands"
            ))
        }
        other => match read(other, rule_name, c, "the validator's EventBridge rule", outage) {
            Err(r) => return r,
            Ok(r) => r,
        },
    };
    if !rule.state.starts_with("ENABLED") {
        return drift(format!(
            "the EventBridge rule that feeds the integrity validator is {}: no new log file or digest is checked as it lands",
            rule.state
        ));
    }
    if let Some(why) = pattern_problem(rule.event_pattern.as_deref(), buckets) {
        return drift(format!(
            "the validator's EventBridge rule no longer matches the log bucket's object events: {why}"
        ));
    }
    let targets = || {
        if rule.targets.is_empty() {
            "none".to_string()
        } else {
            rule.targets.join(", ")
        }
    };
    let (Some(url), Some(queue)) = (queue_url, queue) else {
        return if rule.targets.is_empty() {
            drift("the validator's EventBridge rule has no target: its events go nowhere".into())
        } else {
            result(
                rule_name,
                c,
                CheckStatus::Ok,
                format!(
                    "the validator's EventBridge rule is enabled and sends to {}",
                    targets()
                ),
            )
        };
    };
    let queue = match queue {
        Err(e) if missing(e) => {
            return drift(format!(
                "the queue {url} between the rule and the integrity validator is gone"
            ))
        }
        other => match read(other, rule_name, c, "the validator's queue", outage) {
            Err(r) => return r,
            Ok(q) => q,
        },
    };
    if !rule.targets.iter().any(|t| t == &queue.arn) {
        return drift(format!(
            "the validator's EventBridge rule no longer sends to its queue {} (targets: {})",
            queue.arn,
            targets()
        ));
    }
    result(
        rule_name,
        c,
        CheckStatus::Ok,
        format!(
            "the validator's EventBridge rule is enabled and sends to {}",
            queue.arn
        ),
    )
}

/// Why an EventBridge pattern would not pass the log buckets' "Object
/// Created" events from `aws.s3`, if it would not. Only the fields the
/// template's pattern uses are read (`source`, `detail-type`,
/// `detail.bucket.name`); a pattern that cannot be read is a problem
/// (the one answer that cannot hide a cut feed).
pub fn pattern_problem(pattern: Option<&str>, buckets: &[&str]) -> Option<String> {
    let Some(text) = pattern else {
        return Some("the rule has no event pattern (a schedule?)".into());
    };
    let doc: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return Some(format!("its pattern is not JSON: {e}")),
    };
    // A field the pattern leaves out matches anything; one it names must
    // list the value (Amazon EventBridge User Guide, "Amazon EventBridge
    // event patterns": "Any fields that you don't specify in your event
    // pattern are automatically matched"; "the values in the event pattern
    // are in JSON arrays" and a field matches when the event's value is
    // one of them). Other matchers (prefix, anything-but...) are read as not
    // listing the value: drift, the side that never hides a cut feed.
    let lists = |v: &Value, want: &str| match v {
        Value::Null => true,
        Value::Array(a) => a.iter().any(|x| x.as_str() == Some(want)),
        _ => false,
    };
    if !lists(&doc["source"], "aws.s3") {
        return Some(format!("its source is {}, not aws.s3", doc["source"]));
    }
    if !lists(&doc["detail-type"], "Object Created") {
        return Some(format!(
            "its detail-type is {}, without \"Object Created\"",
            doc["detail-type"]
        ));
    }
    let names = &doc["detail"]["bucket"]["name"];
    if let Some(b) = buckets.iter().find(|b| !lists(names, b)) {
        return Some(format!("its bucket names are {names}, without {b}"));
    }
    None
}

/// The router's feed: a subscription filter on the trail's log group to
/// the router function, passing every event (the template's empty pattern).
pub fn router_subscription(
    log_group: &str,
    filters: &Result<Vec<SubscriptionFilter>, PortError>,
    router_arn: &str,
    outage: &mut Option<PortError>,
) -> CheckResult {
    let c = CheckName::RouterSubscription;
    if let Err(PortError::NotFound { .. }) = filters {
        return result(
            log_group,
            c,
            CheckStatus::Drift,
            format!("the log group {log_group} is gone: the alert router receives no event"),
        );
    }
    let filters = match read(
        filters,
        log_group,
        c,
        "the log group's subscription filters",
        outage,
    ) {
        Err(r) => return r,
        Ok(f) => f,
    };
    // A qualified ARN (`:alias` or `:version`) still names the function.
    let unqualified = |a: &str| a.splitn(8, ':').take(7).collect::<Vec<_>>().join(":");
    let want = unqualified(router_arn);
    let listed = || {
        if filters.is_empty() {
            "none".to_string()
        } else {
            filters
                .iter()
                .map(|f| format!("{} -> {}", f.name, f.destination_arn))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    match filters.iter().find(|f| unqualified(&f.destination_arn) == want) {
        Some(f) if !f.pattern.trim().is_empty() => result(log_group, c, CheckStatus::Drift, format!(
            "subscription filter {} to the alert router passes only events matching {:?}: the detections see only those (expected: an empty pattern, every event)",
            f.name, f.pattern)),
        Some(f) => result(log_group, c, CheckStatus::Ok, format!(
            "subscription filter {} sends every event of the log group to the alert router", f.name)),
        None => result(log_group, c, CheckStatus::Drift, format!(
            "no subscription filter on {log_group} sends to the alert router {router_arn}: detections see nothing (filters: {})",
            listed())),
    }
}

#[cfg(test)]
mod tests;
