//! Configuration from environment variables, shared by the function and the
//! command so that both read the same names.

use chrono::Duration;

use crate::detect::builtin::Guarded;
use crate::detect::Level;
use crate::integrity::logfile::Expectations;

/// SNS topic that receives alerts.
pub const TOPIC_ARN: &str = "TRAILGUARD_SNS_TOPIC_ARN";
/// Comma-separated accounts whose folders may appear in the bucket.
pub const EXPECTED_ACCOUNTS: &str = "TRAILGUARD_EXPECTED_ACCOUNTS";
/// Organization ID of an organization trail.
pub const ORGANIZATION_ID: &str = "TRAILGUARD_ORGANIZATION_ID";
/// Comma-separated regions whose folders may appear.
pub const EXPECTED_REGIONS: &str = "TRAILGUARD_EXPECTED_REGIONS";
/// The trail's name; digests of other trails are findings.
pub const TRAIL_NAME: &str = "TRAILGUARD_TRAIL_NAME";
/// The KMS key (ARN or ID) every object must be encrypted with.
pub const KMS_KEY_ARN: &str = "TRAILGUARD_KMS_KEY_ARN";
/// Cap on a file's inflated size, in bytes.
pub const MAX_INFLATED_BYTES: &str = "TRAILGUARD_MAX_INFLATED_BYTES";
/// Cap on an object's stored size, in bytes.
pub const MAX_OBJECT_BYTES: &str = "TRAILGUARD_MAX_OBJECT_BYTES";
/// Objects fetched and hashed at once.
pub const CONCURRENCY: &str = "TRAILGUARD_CONCURRENCY";
/// Minutes a record may be timed after its file.
pub const RECORD_FUTURE_SKEW_MINUTES: &str = "TRAILGUARD_RECORD_FUTURE_SKEW_MINUTES";
/// Hours a record may be timed before its file.
pub const RECORD_MAX_AGE_HOURS: &str = "TRAILGUARD_RECORD_MAX_AGE_HOURS";
/// Minutes after the time in its name a log file may be delivered.
pub const DELIVERY_SLACK_MINUTES: &str = "TRAILGUARD_DELIVERY_SLACK_MINUTES";
/// The bucket where the validator records, per chain, the last digest it
/// verified, and where the watchdog reads them (the template: the
/// watchdog's state bucket).
pub const CHECKPOINT_BUCKET: &str = "TRAILGUARD_CHECKPOINT_BUCKET";

/// Minimum severity that alerts (informational, low, medium, high, critical).
pub const MIN_SEVERITY: &str = "TRAILGUARD_MIN_SEVERITY";
/// Extra topics per minimum severity: `high=arn:...,critical=arn:...`.
pub const SEVERITY_TOPICS: &str = "TRAILGUARD_SEVERITY_TOPICS";
/// Extra rule files, folders or `s3://bucket/prefix/` locations, comma-separated.
pub const RULES: &str = "TRAILGUARD_RULES";
/// `false` to run only the user's rules.
pub const BUILTIN_RULES: &str = "TRAILGUARD_BUILTIN_RULES";
/// Rule ids to turn off, comma-separated.
pub const DISABLED_RULES: &str = "TRAILGUARD_DISABLED_RULES";
/// A tuning file (path or `s3://bucket/key`): disable, severity, allow.
pub const TUNING: &str = "TRAILGUARD_TUNING";
/// The trail's log bucket, for the built-in rules that guard it.
pub const LOG_BUCKET: &str = "TRAILGUARD_LOG_BUCKET";
/// trailguard's own CloudFormation stack (the template sets it to
/// `AWS::StackName`): the router guards the resources named after it.
pub const STACK_NAME: &str = "TRAILGUARD_STACK_NAME";
/// The trail's CloudWatch Logs group, name or ARN (the router's feed).
pub const LOG_GROUP: &str = "TRAILGUARD_LOG_GROUP";
/// trailguard's own resources by name, ARN or queue URL, comma-separated
/// (the template passes its functions, queues, rules, topics, roles and
/// log groups): the router guards them even where CloudFormation shortened
/// the stack name in their generated names.
pub const STACK_RESOURCES: &str = "TRAILGUARD_STACK_RESOURCES";
/// The running function's own name, which Lambda sets in every function's
/// environment ("Defined runtime environment variables",
/// <https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime>):
/// the router guards itself by it, since the template cannot pass a
/// function its own name without a circular reference.
pub const LAMBDA_FUNCTION_NAME: &str = "AWS_LAMBDA_FUNCTION_NAME";
/// The topic's maximum message size in bytes (SNS's default 262144).
pub const SNS_MAX_BYTES: &str = "TRAILGUARD_SNS_MAX_BYTES";
/// Cap on a CloudWatch Logs payload's inflated size, in bytes.
pub const MAX_PAYLOAD_INFLATED_BYTES: &str = "TRAILGUARD_MAX_PAYLOAD_INFLATED_BYTES";

/// Trails the watchdog checks, names or ARNs, comma-separated (default: all).
pub const WATCHDOG_TRAILS: &str = "TRAILGUARD_WATCHDOG_TRAILS";
/// `true` for passes that report only.
pub const DRY_RUN: &str = "TRAILGUARD_DRY_RUN";
/// The bucket holding the watchdog's alert state.
pub const STATE_BUCKET: &str = "TRAILGUARD_STATE_BUCKET";
/// The state object's key.
pub const STATE_KEY: &str = "TRAILGUARD_STATE_KEY";
/// Hours after which a persisting problem is told again.
pub const RENOTIFY_HOURS: &str = "TRAILGUARD_RENOTIFY_HOURS";
/// The account the watchdog runs in (found from the function's ARN in Lambda).
pub const ACCOUNT_ID: &str = "TRAILGUARD_ACCOUNT_ID";
/// The CloudWatch Logs group ARN the trail must deliver to.
pub const CLOUDWATCH_LOGS_GROUP_ARN: &str = "TRAILGUARD_CLOUDWATCH_LOGS_GROUP_ARN";
/// The role CloudTrail delivers to CloudWatch Logs with.
pub const CLOUDWATCH_LOGS_ROLE_ARN: &str = "TRAILGUARD_CLOUDWATCH_LOGS_ROLE_ARN";
/// Buckets whose S3 data events must be recorded, comma-separated.
pub const DATA_EVENT_BUCKETS: &str = "TRAILGUARD_DATA_EVENT_BUCKETS";
/// `false` when DynamoDB data events are not required.
pub const DYNAMODB_DATA_EVENTS: &str = "TRAILGUARD_DYNAMODB_DATA_EVENTS";
/// Minutes after which the last log delivery is too old.
pub const MAX_DELIVERY_AGE_MINUTES: &str = "TRAILGUARD_MAX_DELIVERY_AGE_MINUTES";
/// Minutes after which the last digest delivery is too old.
pub const MAX_DIGEST_AGE_MINUTES: &str = "TRAILGUARD_MAX_DIGEST_AGE_MINUTES";
/// Minutes after which the last CloudWatch Logs delivery is too old.
pub const MAX_CLOUDWATCH_LOGS_AGE_MINUTES: &str = "TRAILGUARD_MAX_CLOUDWATCH_LOGS_AGE_MINUTES";

/// The EventBridge rule (name or ARN) that sends the log bucket's object
/// events to the validator (the watchdog's `validator_feed` check).
pub const VALIDATOR_RULE: &str = "TRAILGUARD_VALIDATOR_RULE";
/// The SQS queue URL between that rule and the validator.
pub const VALIDATOR_QUEUE_URL: &str = "TRAILGUARD_VALIDATOR_QUEUE_URL";
/// The alert router's function ARN (the watchdog's `router_subscription` check).
pub const ROUTER_FUNCTION_ARN: &str = "TRAILGUARD_ROUTER_FUNCTION_ARN";
/// The log group the router subscribes to (default: the group of
/// `TRAILGUARD_CLOUDWATCH_LOGS_GROUP_ARN`).
pub const ROUTER_LOG_GROUP: &str = "TRAILGUARD_ROUTER_LOG_GROUP";
/// Days of default Object Lock retention the log buckets must have (unset:
/// the lock's state is reported, not required).
pub const OBJECT_LOCK_MIN_DAYS: &str = "TRAILGUARD_OBJECT_LOCK_MIN_DAYS";

/// A variable that is set but unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {name}={value:?}: {why}")]
pub struct ConfigError {
    /// The variable.
    pub name: &'static str,
    /// Its value.
    pub value: String,
    /// What is wrong with it.
    pub why: String,
}

/// The environment as the three readers see it: trimmed text, lists,
/// numbers and flags, each error naming the variable.
struct Env<F>(F);

impl<F: Fn(&str) -> Option<String>> Env<F> {
    /// A variable's trimmed value; empty counts as unset.
    fn text(&self, name: &str) -> Option<String> {
        (self.0)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// A comma-separated list, blanks dropped.
    fn list(&self, name: &str) -> Vec<String> {
        self.text(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A positive whole number, or `default` when unset.
    fn number(&self, name: &'static str, default: u64) -> Result<u64, ConfigError> {
        match self.text(name) {
            None => Ok(default),
            Some(v) => match v.parse::<u64>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(err(name, &v, "expected a positive whole number".into())),
            },
        }
    }

    /// `true`/`false` (or 1/0, yes/no), or `default` when unset.
    fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self
            .text(name)
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None => Ok(default),
            Some("true" | "1" | "yes") => Ok(true),
            Some("false" | "0" | "no") => Ok(false),
            Some(v) => Err(err(name, v, "expected true or false".into())),
        }
    }
}

fn err(name: &'static str, value: &str, why: String) -> ConfigError {
    ConfigError {
        name,
        value: value.to_string(),
        why,
    }
}

/// Reads the validator's configuration through `get` (the process
/// environment in production, a map in tests).
pub fn validator_from(
    get: impl Fn(&str) -> Option<String>,
) -> Result<ValidatorConfig, ConfigError> {
    let env = Env(get);
    let text = |name: &str| env.text(name);
    let list = |name: &str| env.list(name);
    let number = |name: &'static str, default: u64| env.number(name, default);
    let d = ValidatorConfig::default();
    let accounts = list(EXPECTED_ACCOUNTS);
    if let Some(bad) = accounts
        .iter()
        .find(|a| !crate::cloudtrail::keys::is_account(a))
    {
        return Err(ConfigError {
            name: EXPECTED_ACCOUNTS,
            value: bad.clone(),
            why: "expected 12-digit account IDs".into(),
        });
    }
    Ok(ValidatorConfig {
        expect: Expectations {
            accounts,
            org_id: text(ORGANIZATION_ID),
            regions: list(EXPECTED_REGIONS),
            kms_key: text(KMS_KEY_ARN),
            max_inflated_bytes: number(MAX_INFLATED_BYTES, d.expect.max_inflated_bytes)?,
            future_skew: Duration::minutes(number(RECORD_FUTURE_SKEW_MINUTES, 15)? as i64),
            max_record_age: Duration::hours(number(RECORD_MAX_AGE_HOURS, 168)? as i64),
        },
        trail_name: text(TRAIL_NAME),
        max_object_bytes: number(MAX_OBJECT_BYTES, d.max_object_bytes)?,
        concurrency: number(CONCURRENCY, d.concurrency as u64)?.min(256) as usize,
        boundary: Duration::minutes(
            number(DELIVERY_SLACK_MINUTES, d.boundary.num_minutes() as u64)?.min(50) as i64,
        ),
        checkpoint_bucket: text(CHECKPOINT_BUCKET),
    })
}

/// Where rules or a tuning file come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A file or a folder (read recursively) on the local disk (in Lambda,
    /// bundled with the deployment).
    Path(std::path::PathBuf),
    /// Every object under a prefix (or one key) of a bucket, read at cold
    /// start.
    S3 {
        /// The bucket.
        bucket: String,
        /// The key prefix (or the key).
        prefix: String,
    },
}

impl Location {
    /// Parses `s3://bucket/prefix` or a path.
    pub fn parse(s: &str) -> Result<Location, String> {
        match s.strip_prefix("s3://") {
            Some(rest) => {
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                if bucket.is_empty() {
                    return Err(format!("{s:?} names no bucket"));
                }
                Ok(Location::S3 {
                    bucket: bucket.to_string(),
                    prefix: prefix.to_string(),
                })
            }
            None => Ok(Location::Path(s.into())),
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Path(p) => write!(f, "{}", p.display()),
            Location::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// What the alert router (and `trailguard scan`) read from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterConfig {
    /// Alerts at or above `min_severity` go to the main topic (if set).
    pub topic: Option<String>,
    /// The severity floor: rules below it are not evaluated.
    pub min_severity: Level,
    /// Extra topics, each receiving the alerts at or above its level.
    pub severity_topics: Vec<(Level, String)>,
    /// Whether the built-in rules run.
    pub builtin: bool,
    /// The user's rule locations.
    pub rules: Vec<Location>,
    /// Rule ids turned off.
    pub disabled: Vec<String>,
    /// The tuning file.
    pub tuning: Option<Location>,
    /// What the built-in rules guard: the trail, its bucket, key and log
    /// group, and trailguard's own stack (their placeholders).
    pub guarded: Guarded,
    /// The topic's maximum message size.
    pub sns_max_bytes: usize,
    /// Cap on a payload's inflated size.
    pub max_inflated: u64,
}

impl RouterConfig {
    /// Whether a rule or tuning location is in S3 (the S3 client is then
    /// built).
    pub fn reads_s3(&self) -> bool {
        self.rules
            .iter()
            .chain(self.tuning.iter())
            .any(|l| matches!(l, Location::S3 { .. }))
    }

    /// Each topic with the lowest severity it takes: the main topic at the
    /// minimum severity, then the per-severity topics.
    pub fn routes(&self) -> Vec<(Level, String)> {
        let mut r: Vec<(Level, String)> = self
            .topic
            .iter()
            .map(|t| (self.min_severity, t.clone()))
            .collect();
        r.extend(self.severity_topics.iter().cloned());
        r
    }
}

/// Parses a severity name as Sigma writes it.
pub fn parse_level(s: &str) -> Option<Level> {
    serde_json::from_value(serde_json::Value::String(s.trim().to_lowercase())).ok()
}

/// Reads the router's configuration through `get`.
pub fn router_from(get: impl Fn(&str) -> Option<String>) -> Result<RouterConfig, ConfigError> {
    let env = Env(get);
    let text = |name: &str| env.text(name);
    let list = |name: &str| env.list(name);
    let number = |name: &'static str, default: u64| env.number(name, default);
    let flag = |name: &'static str, default: bool| env.flag(name, default);
    let min_severity = match text(MIN_SEVERITY) {
        None => Level::Medium,
        Some(v) => parse_level(&v).ok_or_else(|| {
            err(
                MIN_SEVERITY,
                &v,
                "expected informational, low, medium, high or critical".into(),
            )
        })?,
    };
    let mut severity_topics = Vec::new();
    for item in list(SEVERITY_TOPICS) {
        let Some((level, arn)) = item.split_once('=') else {
            return Err(err(
                SEVERITY_TOPICS,
                &item,
                "expected LEVEL=TOPIC_ARN".into(),
            ));
        };
        let level = parse_level(level)
            .ok_or_else(|| err(SEVERITY_TOPICS, &item, "unknown severity".into()))?;
        if level < min_severity {
            return Err(err(
                SEVERITY_TOPICS,
                &item,
                format!("below {MIN_SEVERITY} ({min_severity}): those rules are not evaluated"),
            ));
        }
        if !arn.trim().starts_with("arn:") {
            return Err(err(SEVERITY_TOPICS, &item, "expected a topic ARN".into()));
        }
        severity_topics.push((level, arn.trim().to_string()));
    }
    let builtin = flag(BUILTIN_RULES, true)?;
    let rules = list(RULES)
        .iter()
        .map(|s| Location::parse(s).map_err(|why| err(RULES, s, why)))
        .collect::<Result<Vec<_>, _>>()?;
    let tuning = text(TUNING)
        .map(|s| Location::parse(&s).map_err(|why| err(TUNING, &s, why)))
        .transpose()?;
    Ok(RouterConfig {
        topic: text(TOPIC_ARN),
        min_severity,
        severity_topics,
        builtin,
        rules,
        disabled: list(DISABLED_RULES),
        tuning,
        guarded: Guarded {
            log_bucket: text(LOG_BUCKET),
            trail_name: text(TRAIL_NAME),
            kms_key: text(KMS_KEY_ARN),
            stack_name: text(STACK_NAME),
            log_group: text(LOG_GROUP),
            stack_resources: list(STACK_RESOURCES)
                .into_iter()
                .chain(text(LAMBDA_FUNCTION_NAME))
                .collect(),
        },
        sns_max_bytes: match number(SNS_MAX_BYTES, crate::message::MAX_MESSAGE_BYTES as u64)? {
            n @ 8192..=262_144 => n as usize,
            n => {
                return Err(err(
                    SNS_MAX_BYTES,
                    &n.to_string(),
                    "expected 8192 to 262144 (SNS's maximum message size)".into(),
                ))
            }
        },
        max_inflated: number(MAX_PAYLOAD_INFLATED_BYTES, 64 * 1024 * 1024)?,
    })
}

/// What the watchdog reads from the environment (the pass's settings, the
/// state object, the topic).
#[derive(Debug, Clone)]
pub struct WatchdogConfig {
    /// The pass (region and account are filled in by the caller).
    pub trails: Vec<String>,
    /// Report only.
    pub dry_run: bool,
    /// The requirements, validated.
    pub requirements: crate::watchdog::requirements::Requirements,
    /// Re-notify interval.
    pub renotify: chrono::Duration,
    /// `(bucket, key)` of the state object.
    pub state: Option<(String, String)>,
    /// The caller's account, when configured.
    pub account: Option<String>,
    /// The alert topic.
    pub topic: Option<String>,
    /// The functions' feeds outside the trail (the chain's checks).
    pub chain: crate::watchdog::chain::ChainConfig,
}

/// The environment variable that sets a check's mode:
/// `TRAILGUARD_CHECK_LOGGING`, `TRAILGUARD_CHECK_EVENT_SELECTORS`...
pub fn check_mode_variable(check: crate::watchdog::model::CheckName) -> String {
    format!("TRAILGUARD_CHECK_{}", check.as_str().to_ascii_uppercase())
}

/// Reads the watchdog's configuration through `get`.
pub fn watchdog_from(get: impl Fn(&str) -> Option<String>) -> Result<WatchdogConfig, ConfigError> {
    let env = Env(get);
    let text = |name: &str| env.text(name);
    let list = |name: &str| env.list(name);
    let flag = |name: &'static str, default: bool| env.flag(name, default);
    use crate::watchdog::model::CheckName;
    use crate::watchdog::requirements::{Mode, Requirements};
    let minutes =
        |name: &'static str, default: chrono::Duration| -> Result<chrono::Duration, ConfigError> {
            match text(name) {
                None => Ok(default),
                Some(v) => match v.parse::<i64>() {
                    Ok(n) if n > 0 && n <= 60 * 24 * 30 => Ok(chrono::Duration::minutes(n)),
                    _ => Err(err(name, &v, "expected minutes, 1 to 43200".into())),
                },
            }
        };
    let mut req = Requirements::default();
    for check in CheckName::ALL {
        let var = check_mode_variable(check);
        if let Some(v) = text(&var) {
            let mode: Mode = v.parse().map_err(
                |e: crate::watchdog::requirements::UnknownMode| ConfigError {
                    name: "TRAILGUARD_CHECK_*",
                    value: format!("{var}={v}"),
                    why: e.to_string(),
                },
            )?;
            req.set_mode(check, mode);
        }
    }
    req.kms_key = text(KMS_KEY_ARN);
    req.cloudwatch_logs_group_arn = text(CLOUDWATCH_LOGS_GROUP_ARN);
    req.cloudwatch_logs_role_arn = text(CLOUDWATCH_LOGS_ROLE_ARN);
    // A configured key or log group can be repaired to unless told otherwise.
    if req.kms_key.is_some() && text(&check_mode_variable(CheckName::KmsEncryption)).is_none() {
        req.kms_encryption = Mode::Repair;
    }
    if req.cloudwatch_logs_group_arn.is_some()
        && req.cloudwatch_logs_role_arn.is_some()
        && text(&check_mode_variable(CheckName::CloudwatchLogs)).is_none()
    {
        req.cloudwatch_logs = Mode::Repair;
    }
    req.s3_data_buckets = list(DATA_EVENT_BUCKETS);
    req.dynamodb_data_events = flag(DYNAMODB_DATA_EVENTS, true)?;
    req.max_delivery_age = minutes(MAX_DELIVERY_AGE_MINUTES, req.max_delivery_age)?;
    req.max_digest_age = minutes(MAX_DIGEST_AGE_MINUTES, req.max_digest_age)?;
    req.max_cloudwatch_logs_age =
        minutes(MAX_CLOUDWATCH_LOGS_AGE_MINUTES, req.max_cloudwatch_logs_age)?;
    req.validate()
        .map_err(|e| err("TRAILGUARD_CHECK_*", "", e.to_string()))?;
    let renotify = match text(RENOTIFY_HOURS) {
        None => chrono::Duration::hours(24),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (1..=24 * 90).contains(&n) => chrono::Duration::hours(n),
            _ => return Err(err(RENOTIFY_HOURS, &v, "expected hours, 1 to 2160".into())),
        },
    };
    let state = match (text(STATE_BUCKET), text(STATE_KEY)) {
        (Some(b), k) => Some((
            b,
            k.unwrap_or_else(|| "trailguard/watchdog-state.json".into()),
        )),
        (None, Some(k)) => return Err(err(STATE_KEY, &k, format!("set without {STATE_BUCKET}"))),
        (None, None) => None,
    };
    let account = text(ACCOUNT_ID);
    if let Some(a) = &account {
        if !crate::cloudtrail::keys::is_account(a) {
            return Err(err(ACCOUNT_ID, a, "expected a 12-digit account ID".into()));
        }
    }
    let chain = crate::watchdog::chain::ChainConfig {
        checkpoint_bucket: text(CHECKPOINT_BUCKET),
        delivery_slack: Some(
            minutes(DELIVERY_SLACK_MINUTES, Duration::minutes(15))?.min(Duration::minutes(50)),
        ),
        validator_rule: text(VALIDATOR_RULE),
        validator_queue_url: text(VALIDATOR_QUEUE_URL),
        router_function_arn: text(ROUTER_FUNCTION_ARN),
        router_log_group: text(ROUTER_LOG_GROUP),
        object_lock_min_days: match text(OBJECT_LOCK_MIN_DAYS) {
            None => None,
            Some(v) => match v.parse::<i64>() {
                Ok(n) if (1..=36500).contains(&n) => Some(n),
                _ => {
                    return Err(err(
                        OBJECT_LOCK_MIN_DAYS,
                        &v,
                        "expected days, 1 to 36500".into(),
                    ))
                }
            },
        },
    };
    // A feed half-configured would be a check that silently never runs.
    if chain.validator_queue_url.is_some() && chain.validator_rule.is_none() {
        return Err(err(
            VALIDATOR_QUEUE_URL,
            chain.validator_queue_url.as_deref().unwrap_or_default(),
            format!("set without {VALIDATOR_RULE}: the queue is checked as the rule's target"),
        ));
    }
    if chain.router_function_arn.is_some() && chain.log_group(&req).is_none() {
        return Err(err(
            ROUTER_FUNCTION_ARN,
            chain.router_function_arn.as_deref().unwrap_or_default(),
            format!(
                "set without {ROUTER_LOG_GROUP} or {CLOUDWATCH_LOGS_GROUP_ARN}: no log group to check its subscription on"
            ),
        ));
    }
    if let Some(q) = &chain.validator_queue_url {
        if !q.starts_with("https://") && !q.starts_with("http://") {
            return Err(err(
                VALIDATOR_QUEUE_URL,
                q,
                "expected the queue's URL".into(),
            ));
        }
    }
    if let Some(a) = &chain.router_function_arn {
        if !a.starts_with("arn:") || !a.contains(":function:") {
            return Err(err(
                ROUTER_FUNCTION_ARN,
                a,
                "expected a Lambda function ARN".into(),
            ));
        }
    }
    Ok(WatchdogConfig {
        trails: list(WATCHDOG_TRAILS),
        dry_run: flag(DRY_RUN, false)?,
        requirements: req,
        renotify,
        state,
        account,
        topic: text(TOPIC_ARN),
        chain,
    })
}

/// The alert topic, if configured.
pub fn topic_from(get: impl Fn(&str) -> Option<String>) -> Option<String> {
    get(TOPIC_ARN)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// What the validator expects and how hard it may work.
#[derive(Debug, Clone)]
pub struct ValidatorConfig {
    /// The trail's owner, encryption and size expectations.
    pub expect: Expectations,
    /// When set, digests of any other trail in the bucket are findings.
    pub trail_name: Option<String>,
    /// Largest object (compressed) that will be downloaded.
    pub max_object_bytes: u64,
    /// How many objects are fetched and hashed at once.
    pub concurrency: usize,
    /// How long after the minute in its name a log file may be delivered.
    /// A digest lists the files *delivered* in its window, so the files named
    /// in a digest's window shifted back by this much are checked against it
    /// and its predecessor; the last files of a range are "pending" for it.
    pub boundary: Duration,
    /// Where to record the last digest verified per chain, if anywhere.
    pub checkpoint_bucket: Option<String>,
}

impl Default for ValidatorConfig {
    fn default() -> Self {
        Self {
            expect: Expectations::default(),
            trail_name: None,
            max_object_bytes: 128 << 20,
            concurrency: 16,
            boundary: Duration::minutes(15),
            checkpoint_bucket: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn defaults_and_values() {
        let c = validator_from(env(&[])).unwrap();
        assert_eq!(c.concurrency, 16);
        assert!(c.expect.accounts.is_empty());
        let c = validator_from(env(&[
            (EXPECTED_ACCOUNTS, "111122223333, 222233334444"),
            (KMS_KEY_ARN, "arn:aws:kms:us-east-1:111122223333:key/k"),
            (MAX_INFLATED_BYTES, "1000"),
            (TRAIL_NAME, "main"),
        ]))
        .unwrap();
        assert_eq!(c.expect.accounts.len(), 2);
        assert_eq!(c.expect.max_inflated_bytes, 1000);
        assert_eq!(c.trail_name.as_deref(), Some("main"));
        assert_eq!(
            topic_from(env(&[(TOPIC_ARN, " arn:t ")])).as_deref(),
            Some("arn:t")
        );
        assert_eq!(topic_from(env(&[(TOPIC_ARN, "")])), None);
    }

    #[test]
    fn router_defaults_and_values() {
        let c = router_from(env(&[])).unwrap();
        assert_eq!(c.min_severity, Level::Medium);
        assert!(c.builtin && c.rules.is_empty() && c.routes().is_empty());
        assert_eq!(c.sns_max_bytes, 262_144);
        let c = router_from(env(&[
            (TOPIC_ARN, "arn:aws:sns:us-east-1:1:all"),
            (MIN_SEVERITY, "Low"),
            (
                SEVERITY_TOPICS,
                "critical=arn:aws:sns:us-east-1:1:crit, high=arn:aws:sns:us-east-1:1:high",
            ),
            (RULES, "rules/, s3://cfg/trailguard/rules/"),
            (TUNING, "s3://cfg/tuning.yml"),
            (BUILTIN_RULES, "false"),
            (DISABLED_RULES, "a,b"),
            (LOG_BUCKET, "logs"),
            (STACK_NAME, "tg"),
            (
                STACK_RESOURCES,
                "tg-Validator-1, arn:aws:sqs:us-east-1:1:tg-Queue-2",
            ),
            (LAMBDA_FUNCTION_NAME, "tg-AlertRouterFunction-3"),
        ]))
        .unwrap();
        assert_eq!(
            c.routes(),
            vec![
                (Level::Low, "arn:aws:sns:us-east-1:1:all".to_string()),
                (Level::Critical, "arn:aws:sns:us-east-1:1:crit".to_string()),
                (Level::High, "arn:aws:sns:us-east-1:1:high".to_string()),
            ]
        );
        assert_eq!(
            c.rules,
            vec![
                Location::Path("rules/".into()),
                Location::S3 {
                    bucket: "cfg".into(),
                    prefix: "trailguard/rules/".into()
                }
            ]
        );
        assert_eq!(c.rules[1].to_string(), "s3://cfg/trailguard/rules/");
        assert!(!c.builtin);
        assert_eq!(c.disabled, vec!["a", "b"]);
        assert_eq!(c.guarded.log_bucket.as_deref(), Some("logs"));
        assert_eq!(c.guarded.stack_name.as_deref(), Some("tg"));
        // The router's own name, which Lambda sets, is one of the resources.
        assert_eq!(
            c.guarded.stack_resources,
            [
                "tg-Validator-1",
                "arn:aws:sqs:us-east-1:1:tg-Queue-2",
                "tg-AlertRouterFunction-3"
            ]
        );
        for (k, v) in [
            (MIN_SEVERITY, "severe"),
            (SEVERITY_TOPICS, "high"),
            (SEVERITY_TOPICS, "low=arn:aws:sns:x"),
            (SEVERITY_TOPICS, "high=topic"),
            (BUILTIN_RULES, "maybe"),
            (RULES, "s3:///x"),
            (SNS_MAX_BYTES, "300000"),
        ] {
            let e = router_from(env(&[(k, v)])).unwrap_err();
            assert_eq!(e.name, k, "{e}");
        }
    }

    #[test]
    fn watchdog_defaults_and_values() {
        use crate::watchdog::requirements::Mode;
        let c = watchdog_from(env(&[])).unwrap();
        assert!(c.trails.is_empty() && !c.dry_run && c.state.is_none());
        assert_eq!(c.requirements.logging, Mode::Repair);
        assert_eq!(c.requirements.kms_encryption, Mode::Alert);
        assert_eq!(c.renotify, chrono::Duration::hours(24));
        let c = watchdog_from(env(&[
            (
                WATCHDOG_TRAILS,
                "main, arn:aws:cloudtrail:us-east-1:111122223333:trail/b",
            ),
            (DRY_RUN, "true"),
            (STATE_BUCKET, "state"),
            ("TRAILGUARD_CHECK_EVENT_SELECTORS", "alert"),
            (KMS_KEY_ARN, "arn:aws:kms:us-east-1:111122223333:key/k"),
            (DATA_EVENT_BUCKETS, "artifacts"),
            (MAX_DIGEST_AGE_MINUTES, "180"),
            (RENOTIFY_HOURS, "4"),
        ]))
        .unwrap();
        assert_eq!(c.trails.len(), 2);
        assert!(c.dry_run);
        assert_eq!(
            c.state,
            Some(("state".into(), "trailguard/watchdog-state.json".into()))
        );
        assert_eq!(c.requirements.event_selectors, Mode::Alert);
        assert_eq!(c.requirements.kms_encryption, Mode::Repair);
        assert_eq!(
            c.requirements.max_digest_age,
            chrono::Duration::minutes(180)
        );
        assert_eq!(c.renotify, chrono::Duration::hours(4));
        for (k, v) in [
            ("TRAILGUARD_CHECK_LOGGING", "fix"),
            (DRY_RUN, "maybe"),
            (RENOTIFY_HOURS, "0"),
            (STATE_KEY, "k"),
            (ACCOUNT_ID, "12"),
            (MAX_DELIVERY_AGE_MINUTES, "-5"),
            ("TRAILGUARD_CHECK_KMS_ENCRYPTION", "repair"),
        ] {
            assert!(watchdog_from(env(&[(k, v)])).is_err(), "{k}={v}");
        }
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = validator_from(env(&[(MAX_OBJECT_BYTES, "lots")])).unwrap_err();
        assert_eq!(e.name, MAX_OBJECT_BYTES);
        let e = validator_from(env(&[(EXPECTED_ACCOUNTS, "123")])).unwrap_err();
        assert_eq!(e.name, EXPECTED_ACCOUNTS);
        assert!(validator_from(env(&[(CONCURRENCY, "0")])).is_err());
    }
}
