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
//! needed it; an infrastructure failure fails the pass
//! ([`ChainError`]), as everywhere else.

use serde_json::Value;

use super::model::{CheckName, CheckResult, CheckStatus};
use super::requirements::{Mode, Requirements};
use crate::ports::PortError;

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
    /// Object Lock must be on the log buckets (the template's CreateTrail
    /// mode turns it on); without it, its absence is reported but not
    /// alerted.
    pub object_lock_required: bool,
}

impl ChainConfig {
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

/// A read failed in a way that is not a finding: the pass fails and is
/// retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(transparent)]
pub struct ChainError(pub PortError);

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

/// The read's value, a `Failed` result for a refused read, or the pass's
/// error for an infrastructure failure.
fn read<'a, T>(
    fact: &'a Result<T, PortError>,
    resource: &str,
    check: CheckName,
    what: &str,
) -> Result<Result<&'a T, CheckResult>, ChainError> {
    match fact {
        Ok(v) => Ok(Ok(v)),
        Err(e) if finding(e) => Ok(Err(result(
            resource,
            check,
            CheckStatus::Failed,
            format!("cannot read {what}: {e}"),
        ))),
        Err(e) => Err(ChainError(e.clone())),
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
    /// An organization trail also writes under `AWSLogs/o-.../`.
    pub organization: bool,
}

/// The bucket checks of one log bucket, for the trails that deliver to it.
pub fn bucket_checks(
    facts: &BucketFacts,
    deliveries: &[Delivery],
    req: &Requirements,
    chain: &ChainConfig,
) -> Result<Vec<CheckResult>, ChainError> {
    let partition = deliveries
        .first()
        .map(|d| d.partition.as_str())
        .unwrap_or("aws");
    let arn = bucket_arn(partition, &facts.bucket);
    let mut out = Vec::new();
    let on = |c: CheckName| req.mode(c) != Mode::Off;
    if on(CheckName::BucketEvents) {
        out.push(
            match read(&facts.eventbridge, &arn, CheckName::BucketEvents, "the bucket's notification configuration")? {
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
            match read(&facts.versioning, &arn, CheckName::BucketVersioning, "the bucket's versioning")? {
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
            match read(&facts.public_access, &arn, CheckName::BucketPublicAccess, "the bucket's public access block")? {
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
            match read(&facts.policy, &arn, CheckName::BucketPolicy, "the bucket policy")? {
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
            match read(&facts.object_lock, &arn, CheckName::ObjectLock, "the bucket's Object Lock configuration")? {
                Err(r) => r,
                Ok(Some(l)) if l.enabled => {
                    let retention = match (&l.mode, l.days, l.years) {
                        (Some(m), Some(d), _) => format!("default retention {m} for {d} days"),
                        (Some(m), _, Some(y)) => format!("default retention {m} for {y} years"),
                        _ => "no default retention: objects are locked only when a writer asks".into(),
                    };
                    let status = if chain.object_lock_required && l.mode.is_none() {
                        CheckStatus::Drift
                    } else {
                        CheckStatus::Ok
                    };
                    result(&arn, CheckName::ObjectLock, status, format!("Object Lock is enabled, {retention}"))
                }
                Ok(_) if chain.object_lock_required => result(&arn, CheckName::ObjectLock, CheckStatus::Drift,
                    "Object Lock is off: a privileged user can delete every version of a log file (expected: enabled with a default retention)".into()),
                Ok(_) => result(&arn, CheckName::ObjectLock, CheckStatus::Ok,
                    "Object Lock is off (not required here): versioning keeps overwritten log files, but a privileged user can still delete every version".into()),
            },
        );
    }
    Ok(out)
}

/// Whether a bucket policy still lets CloudTrail deliver: an `Allow` to
/// `cloudtrail.amazonaws.com` of `s3:GetBucketAcl` on the bucket and of
/// `s3:PutObject` on each delivery's folder, and no `Deny` without a
/// condition that would refuse that write (CloudTrail User Guide, "Amazon
/// S3 bucket policy for CloudTrail"). Conditions on the `Allow`s are not
/// evaluated (a wrong `aws:SourceArn` shows as the trail's delivery error,
/// which the `delivery` check reports).
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
    if !statements
        .iter()
        .any(|s| grants(s, "Allow", "s3:GetBucketAcl", &bucket_arn))
    {
        problems.push(format!(
            "no statement allows cloudtrail.amazonaws.com s3:GetBucketAcl on {bucket_arn}"
        ));
    }
    for d in deliveries {
        let prefix = d
            .prefix
            .as_deref()
            .map(|p| format!("{}/", p.trim_end_matches('/')))
            .unwrap_or_default();
        // An organization trail writes under AWSLogs/o-ID/ (the CloudTrail
        // User Guide's organization-trail bucket policy); its ID is not in
        // DescribeTrails, so the grant is tried on a sample o- folder with
        // the policy's own wildcards and IDs matched below.
        let root = if d.organization {
            format!("{bucket_arn}/{prefix}AWSLogs/o-")
        } else {
            format!("{bucket_arn}/{prefix}AWSLogs/{}/", d.account)
        };
        // Log files and digests: both must be writable.
        for folder in ["CloudTrail", "CloudTrail-Digest"] {
            let sample = |s: &Value| {
                if d.organization {
                    org_samples(s, &root, &d.account, folder)
                } else {
                    vec![format!("{root}{folder}/x")]
                }
            };
            let allowed = statements.iter().any(|s| {
                sample(s)
                    .iter()
                    .any(|o| grants(s, "Allow", "s3:PutObject", o))
            });
            if !allowed {
                problems.push(format!(
                    "no statement allows cloudtrail.amazonaws.com s3:PutObject on {root}{}{folder}/",
                    if d.organization { "ID/ACCOUNT/" } else { "" }
                ));
            }
            if let Some(s) = statements.iter().find(|s| {
                s.get("Condition").is_none()
                    && sample(s)
                        .iter()
                        .any(|o| grants(s, "Deny", "s3:PutObject", o))
            }) {
                problems.push(format!(
                    "statement {} denies CloudTrail's writes to {root}{folder}/",
                    s.get("Sid").and_then(Value::as_str).unwrap_or("(no Sid)"),
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

/// Sample object ARNs of an organization trail's folder for one
/// statement: `AWSLogs/o-ID/ACCOUNT/FOLDER/x` for each organization ID the
/// statement's resources name (the ID is not known here), or a made-up ID
/// for resources that only use wildcards there.
fn org_samples(s: &Value, root: &str, account: &str, folder: &str) -> Vec<String> {
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
    ids.into_iter()
        .map(|id| format!("{root}{id}/{account}/{folder}/x"))
        .collect()
}

/// Whether a statement of `effect` covers CloudTrail doing `action` on
/// `resource` (principal, action and resource wildcards honoured;
/// `NotPrincipal`/`NotAction`/`NotResource` statements are counted as
/// covering only for a `Deny`, the side that can never hide a problem).
fn grants(s: &Value, effect: &str, action: &str, resource: &str) -> bool {
    if s.get("Effect").and_then(Value::as_str) != Some(effect) {
        return false;
    }
    let negated = s.get("NotPrincipal").is_some()
        || s.get("NotAction").is_some()
        || s.get("NotResource").is_some();
    if negated {
        return effect == "Deny";
    }
    let principal_ok = match s.get("Principal") {
        Some(Value::String(p)) => p == "*",
        Some(Value::Object(m)) => {
            m.get("AWS").is_some_and(|v| strings(v).contains(&"*"))
                || m.get("Service")
                    .is_some_and(|v| strings(v).contains(&"cloudtrail.amazonaws.com"))
        }
        _ => false,
    };
    let action_ok = s.get("Action").is_some_and(|v| {
        strings(v)
            .iter()
            .any(|a| glob(&a.to_ascii_lowercase(), &action.to_ascii_lowercase()))
    });
    let resource_ok = s
        .get("Resource")
        .is_some_and(|v| strings(v).iter().any(|r| glob(r, resource)));
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

/// The validator's feed: the EventBridge rule enabled and sending to the
/// queue, and the queue there.
pub fn validator_feed(
    rule_name: &str,
    rule: &Result<RuleFacts, PortError>,
    queue_url: Option<&str>,
    queue: Option<&Result<QueueFacts, PortError>>,
) -> Result<CheckResult, ChainError> {
    let c = CheckName::ValidatorFeed;
    let missing = |e: &PortError| matches!(e, PortError::NotFound { .. });
    let rule = match rule {
        Err(e) if missing(e) => {
            return Ok(result(rule_name, c, CheckStatus::Drift, format!(
                "the EventBridge rule {rule_name} that feeds the integrity validator is gone: no new log file or digest is checked as it lands")))
        }
        other => match read(other, rule_name, c, "the validator's EventBridge rule")? {
            Err(r) => return Ok(r),
            Ok(r) => r,
        },
    };
    if !rule.state.starts_with("ENABLED") {
        return Ok(result(&rule.arn, c, CheckStatus::Drift, format!(
            "the EventBridge rule that feeds the integrity validator is {}: no new log file or digest is checked as it lands", rule.state)));
    }
    let (Some(url), Some(queue)) = (queue_url, queue) else {
        return Ok(result(
            &rule.arn,
            c,
            CheckStatus::Ok,
            "the validator's EventBridge rule is enabled".into(),
        ));
    };
    let queue = match queue {
        Err(e) if missing(e) => {
            return Ok(result(
                &rule.arn,
                c,
                CheckStatus::Drift,
                format!("the queue {url} between the rule and the integrity validator is gone"),
            ))
        }
        other => match read(other, &rule.arn, c, "the validator's queue")? {
            Err(r) => return Ok(r),
            Ok(q) => q,
        },
    };
    if !rule.targets.iter().any(|t| t == &queue.arn) {
        return Ok(result(
            &rule.arn,
            c,
            CheckStatus::Drift,
            format!(
                "the validator's EventBridge rule no longer sends to its queue {} (targets: {})",
                queue.arn,
                if rule.targets.is_empty() {
                    "none".to_string()
                } else {
                    rule.targets.join(", ")
                }
            ),
        ));
    }
    Ok(result(
        &rule.arn,
        c,
        CheckStatus::Ok,
        format!(
            "the validator's EventBridge rule is enabled and sends to {}",
            queue.arn
        ),
    ))
}

/// The router's feed: a subscription filter on the trail's log group to
/// the router function.
pub fn router_subscription(
    log_group: &str,
    filters: &Result<Vec<SubscriptionFilter>, PortError>,
    router_arn: &str,
) -> Result<CheckResult, ChainError> {
    let c = CheckName::RouterSubscription;
    if let Err(PortError::NotFound { .. }) = filters {
        return Ok(result(
            log_group,
            c,
            CheckStatus::Drift,
            format!("the log group {log_group} is gone: the alert router receives no event"),
        ));
    }
    let filters = match read(
        filters,
        log_group,
        c,
        "the log group's subscription filters",
    )? {
        Err(r) => return Ok(r),
        Ok(f) => f,
    };
    // A qualified ARN (`:alias` or `:version`) still names the function.
    let unqualified = |a: &str| a.splitn(8, ':').take(7).collect::<Vec<_>>().join(":");
    let want = unqualified(router_arn);
    Ok(match filters.iter().find(|f| unqualified(&f.destination_arn) == want) {
        Some(f) => result(log_group, c, CheckStatus::Ok, format!(
            "subscription filter {} sends the log group to the alert router", f.name)),
        None => result(log_group, c, CheckStatus::Drift, format!(
            "no subscription filter on {log_group} sends to the alert router {router_arn}: detections see nothing (filters: {})",
            if filters.is_empty() { "none".to_string() } else {
                filters.iter().map(|f| format!("{} -> {}", f.name, f.destination_arn)).collect::<Vec<_>>().join(", ") })),
    })
}

#[cfg(test)]
mod tests;
