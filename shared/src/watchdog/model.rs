//! What the watchdog reads about a trail, in CloudTrail's own shapes.
//!
//! The types mirror `DescribeTrails` (one trail), `GetTrailStatus` and
//! `GetEventSelectors`, and deserialize from exactly the JSON those APIs
//! (and `aws cloudtrail ...`) return, PascalCase names included: fixtures
//! and bug reports can be pasted as they are, and the SDK adapter has one
//! obvious field for each. Fields AWS may omit are `Option`s or default to
//! what AWS documents for an omitted value. Times accept both the wire
//! form (epoch seconds, possibly fractional) and the CLI's ISO 8601 text.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize};

/// Why a trail description was refused.
///
/// Only the ARN can be wrong in a way that matters: the account and
/// partition are read from it, and acting on a misread account could
/// repair a trail the function does not own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// Not `arn:PARTITION:cloudtrail:REGION:ACCOUNT:trail/NAME`.
    #[error("{arn:?} is not a CloudTrail trail ARN: {reason}")]
    BadTrailArn {
        /// The text given.
        arn: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// The parts of a trail ARN, `arn:aws:cloudtrail:us-east-1:111122223333:trail/main`.
///
/// The region in a trail ARN is its home region and the account is its
/// owner (the management account for an organization trail): the two
/// facts that decide whether this function may act on the trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailArn {
    /// `aws`, `aws-cn`, `aws-us-gov`: needed to write S3 and DynamoDB ARNs
    /// in repaired selectors.
    pub partition: String,
    /// The home region.
    pub region: String,
    /// The owning account (12 digits).
    pub account: String,
    /// The trail's name.
    pub name: String,
}

impl TrailArn {
    /// Parses a trail ARN, refusing anything else (a trail *name* is not
    /// enough: it says nothing of region or account).
    pub fn parse(arn: &str) -> Result<TrailArn, ModelError> {
        let bad = |reason| ModelError::BadTrailArn {
            arn: arn.to_string(),
            reason,
        };
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [prefix, partition, service, region, account, resource] = parts[..] else {
            return Err(bad("expected six ':'-separated parts"));
        };
        if prefix != "arn" {
            return Err(bad("does not start with arn:"));
        }
        if partition.is_empty() {
            return Err(bad("no partition"));
        }
        if service != "cloudtrail" {
            return Err(bad("not a cloudtrail ARN"));
        }
        if region.is_empty() {
            return Err(bad("no region"));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("the account is not 12 digits"));
        }
        let name = resource
            .strip_prefix("trail/")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| bad("the resource is not trail/NAME"))?;
        Ok(TrailArn {
            partition: partition.to_string(),
            region: region.to_string(),
            account: account.to_string(),
            name: name.to_string(),
        })
    }
}

/// One trail as `DescribeTrails` describes it.
///
/// Deserializes from one element of `trailList`; `account` and `partition`
/// are read from `TrailARN` (and `HomeRegion`, `Name` too when omitted),
/// so a description whose ARN is not a trail ARN is refused rather than
/// half-understood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawTrail", into = "RawTrail")]
pub struct TrailInfo {
    /// `TrailARN`: the identity used in results and alert state.
    pub arn: String,
    /// `Name`.
    pub name: String,
    /// `HomeRegion`: where `StartLogging` and `UpdateTrail` must be called.
    pub home_region: String,
    /// The owning account, from the ARN: an organization trail seen from a
    /// member account belongs to the management account.
    pub account: String,
    /// The ARN partition, from the ARN.
    pub partition: String,
    /// `IsMultiRegionTrail`.
    pub is_multi_region: bool,
    /// `IncludeGlobalServiceEvents` (IAM, STS, CloudFront... are logged in
    /// us-east-1 only; a trail without them misses sign-ins and role changes).
    pub include_global_service_events: bool,
    /// `LogFileValidationEnabled`: digests are delivered (and can be checked).
    pub log_file_validation: bool,
    /// `IsOrganizationTrail`.
    pub is_organization_trail: bool,
    /// `KmsKeyId`: the key ARN when logs are SSE-KMS encrypted.
    pub kms_key_id: Option<String>,
    /// `S3BucketName`.
    pub s3_bucket: Option<String>,
    /// `S3KeyPrefix`.
    pub s3_key_prefix: Option<String>,
    /// `CloudWatchLogsLogGroupArn` (AWS writes it with a `:*` suffix).
    pub cloudwatch_logs_group_arn: Option<String>,
    /// `CloudWatchLogsRoleArn`.
    pub cloudwatch_logs_role_arn: Option<String>,
}

impl TrailInfo {
    /// A description with every setting off, for a trail ARN: the starting
    /// point of adapters (fill in what the SDK returned) and tests.
    pub fn new(arn: &str) -> Result<TrailInfo, ModelError> {
        let parsed = TrailArn::parse(arn)?;
        Ok(TrailInfo {
            arn: arn.to_string(),
            name: parsed.name,
            home_region: parsed.region,
            account: parsed.account,
            partition: parsed.partition,
            is_multi_region: false,
            include_global_service_events: false,
            log_file_validation: false,
            is_organization_trail: false,
            kms_key_id: None,
            s3_bucket: None,
            s3_key_prefix: None,
            cloudwatch_logs_group_arn: None,
            cloudwatch_logs_role_arn: None,
        })
    }
}

/// `DescribeTrails`' element, field for field (only what the watchdog uses;
/// others such as `SnsTopicARN` are ignored).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawTrail {
    #[serde(rename = "TrailARN")]
    trail_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    home_region: Option<String>,
    #[serde(default)]
    is_multi_region_trail: Option<bool>,
    #[serde(default)]
    include_global_service_events: Option<bool>,
    #[serde(default)]
    log_file_validation_enabled: Option<bool>,
    #[serde(default)]
    is_organization_trail: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kms_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s3_bucket_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s3_key_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cloud_watch_logs_log_group_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cloud_watch_logs_role_arn: Option<String>,
}

impl TryFrom<RawTrail> for TrailInfo {
    type Error = ModelError;

    fn try_from(raw: RawTrail) -> Result<TrailInfo, ModelError> {
        let parsed = TrailArn::parse(&raw.trail_arn)?;
        let nonempty = |s: Option<String>| s.filter(|s| !s.is_empty());
        Ok(TrailInfo {
            name: nonempty(raw.name).unwrap_or(parsed.name),
            home_region: nonempty(raw.home_region).unwrap_or(parsed.region),
            account: parsed.account,
            partition: parsed.partition,
            arn: raw.trail_arn,
            // An omitted flag is read as off: the check then reports drift
            // (and a repair sets it), never a false "ok".
            is_multi_region: raw.is_multi_region_trail.unwrap_or(false),
            include_global_service_events: raw.include_global_service_events.unwrap_or(false),
            log_file_validation: raw.log_file_validation_enabled.unwrap_or(false),
            is_organization_trail: raw.is_organization_trail.unwrap_or(false),
            kms_key_id: nonempty(raw.kms_key_id),
            s3_bucket: nonempty(raw.s3_bucket_name),
            s3_key_prefix: nonempty(raw.s3_key_prefix),
            cloudwatch_logs_group_arn: nonempty(raw.cloud_watch_logs_log_group_arn),
            cloudwatch_logs_role_arn: nonempty(raw.cloud_watch_logs_role_arn),
        })
    }
}

impl From<TrailInfo> for RawTrail {
    fn from(t: TrailInfo) -> RawTrail {
        RawTrail {
            trail_arn: t.arn,
            name: Some(t.name),
            home_region: Some(t.home_region),
            is_multi_region_trail: Some(t.is_multi_region),
            include_global_service_events: Some(t.include_global_service_events),
            log_file_validation_enabled: Some(t.log_file_validation),
            is_organization_trail: Some(t.is_organization_trail),
            kms_key_id: t.kms_key_id,
            s3_bucket_name: t.s3_bucket,
            s3_key_prefix: t.s3_key_prefix,
            cloud_watch_logs_log_group_arn: t.cloudwatch_logs_group_arn,
            cloud_watch_logs_role_arn: t.cloudwatch_logs_role_arn,
        }
    }
}

/// `GetTrailStatus`: whether the trail logs and how its deliveries fare.
///
/// Error strings are what AWS last hit (`AccessDenied`, `NoSuchBucket`...);
/// an empty string is read as none. Times are `None` when AWS omits them
/// (never delivered, never stopped).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailStatus {
    /// `IsLogging`. Omitted is read as not logging: `StartLogging` on a
    /// logging trail is harmless, silence on a stopped one is not.
    #[serde(rename = "IsLogging", default)]
    pub is_logging: bool,
    /// `LatestDeliveryError`: S3 log delivery.
    #[serde(rename = "LatestDeliveryError", default, deserialize_with = "text")]
    pub latest_delivery_error: Option<String>,
    /// `LatestDigestDeliveryError`: S3 digest delivery.
    #[serde(
        rename = "LatestDigestDeliveryError",
        default,
        deserialize_with = "text"
    )]
    pub latest_digest_delivery_error: Option<String>,
    /// `LatestNotificationError`: the trail's SNS notifications.
    #[serde(rename = "LatestNotificationError", default, deserialize_with = "text")]
    pub latest_notification_error: Option<String>,
    /// `LatestCloudWatchLogsDeliveryError`.
    #[serde(
        rename = "LatestCloudWatchLogsDeliveryError",
        default,
        deserialize_with = "text"
    )]
    pub latest_cloudwatch_logs_delivery_error: Option<String>,
    /// `LatestDeliveryTime`: the last log file delivered to S3.
    #[serde(rename = "LatestDeliveryTime", default, deserialize_with = "time")]
    pub latest_delivery_time: Option<DateTime<Utc>>,
    /// `LatestDigestDeliveryTime`: the last digest delivered (hourly).
    #[serde(
        rename = "LatestDigestDeliveryTime",
        default,
        deserialize_with = "time"
    )]
    pub latest_digest_delivery_time: Option<DateTime<Utc>>,
    /// `LatestCloudWatchLogsDeliveryTime`.
    #[serde(
        rename = "LatestCloudWatchLogsDeliveryTime",
        default,
        deserialize_with = "time"
    )]
    pub latest_cloudwatch_logs_delivery_time: Option<DateTime<Utc>>,
    /// `StartLoggingTime`: the last `StartLogging` (or creation).
    #[serde(rename = "StartLoggingTime", default, deserialize_with = "time")]
    pub start_logging_time: Option<DateTime<Utc>>,
    /// `StopLoggingTime`: the last `StopLogging`.
    #[serde(rename = "StopLoggingTime", default, deserialize_with = "time")]
    pub stop_logging_time: Option<DateTime<Utc>>,
}

/// An optional string where `null` and `""` both mean none.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = Option::<String>::deserialize(d)?;
    Ok(s.filter(|s| !s.trim().is_empty()))
}

/// An optional time, as epoch seconds (the wire form) or ISO 8601 text
/// (the CLI's); `null` is none.
fn time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Wire {
        Seconds(f64),
        Text(String),
    }
    let Some(w) = Option::<Wire>::deserialize(d)? else {
        return Ok(None);
    };
    match w {
        Wire::Seconds(s) => {
            if !s.is_finite() {
                return Err(serde::de::Error::custom("a time is not a finite number"));
            }
            let millis = (s * 1000.0).round();
            // Beyond chrono's range is refused below; the cast saturates.
            Utc.timestamp_millis_opt(millis as i64)
                .single()
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("time {s} is out of range")))
        }
        Wire::Text(t) => DateTime::parse_from_rfc3339(&t)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|e| serde::de::Error::custom(format!("time {t:?}: {e}"))),
    }
}

/// A list AWS may send as `null` or omit.
fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// `GetEventSelectors`: what the trail records, in basic or advanced form.
///
/// AWS gives a trail one form or the other; both lists are kept so that
/// nothing returned is dropped unseen (see [`super::selectors`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selectors {
    /// `EventSelectors`.
    #[serde(
        rename = "EventSelectors",
        default,
        deserialize_with = "list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub basic: Vec<BasicSelector>,
    /// `AdvancedEventSelectors`.
    #[serde(
        rename = "AdvancedEventSelectors",
        default,
        deserialize_with = "list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub advanced: Vec<AdvancedSelector>,
}

/// Which events (by their `readOnly`) a basic selector records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReadWriteType {
    /// `ReadOnly`: Get, List, Describe...
    ReadOnly,
    /// `WriteOnly`: everything that changes something.
    WriteOnly,
    /// `All` (AWS's default when omitted).
    #[default]
    All,
}

impl ReadWriteType {
    /// Whether read-only events are recorded.
    pub fn reads(self) -> bool {
        matches!(self, ReadWriteType::ReadOnly | ReadWriteType::All)
    }

    /// Whether write events are recorded.
    pub fn writes(self) -> bool {
        matches!(self, ReadWriteType::WriteOnly | ReadWriteType::All)
    }
}

fn yes() -> bool {
    true
}

/// One basic event selector (`EventSelectors[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasicSelector {
    /// `ReadWriteType`: applies to both the management and data events the
    /// selector records.
    #[serde(rename = "ReadWriteType", default)]
    pub read_write_type: ReadWriteType,
    /// `IncludeManagementEvents` (AWS's default when omitted: true).
    #[serde(rename = "IncludeManagementEvents", default = "yes")]
    pub include_management_events: bool,
    /// `DataResources`.
    #[serde(rename = "DataResources", default, deserialize_with = "list")]
    pub data_resources: Vec<DataResource>,
    /// `ExcludeManagementEventSources` (`kms.amazonaws.com`,
    /// `rdsdata.amazonaws.com`): management events not recorded.
    #[serde(
        rename = "ExcludeManagementEventSources",
        default,
        deserialize_with = "list"
    )]
    pub exclude_management_event_sources: Vec<String>,
}

/// One entry of a basic selector's `DataResources`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataResource {
    /// `Type`: `AWS::S3::Object`, `AWS::DynamoDB::Table`, `AWS::Lambda::Function`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// `Values`: ARN prefixes (`arn:aws:s3:::bucket/`, `arn:aws:s3` for all).
    #[serde(rename = "Values", default, deserialize_with = "list")]
    pub values: Vec<String>,
}

/// One advanced event selector (`AdvancedEventSelectors[]`): the AND of
/// its field selectors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvancedSelector {
    /// `Name`, for people.
    #[serde(rename = "Name", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `FieldSelectors`.
    #[serde(rename = "FieldSelectors", default, deserialize_with = "list")]
    pub field_selectors: Vec<FieldSelector>,
}

/// One condition of an advanced selector: a field and its operators.
/// AWS's names are the fields' in PascalCase; an absent or null operator
/// list is empty and is left out when written back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FieldSelector {
    /// `Field`: `eventCategory`, `resources.type`, `resources.ARN`,
    /// `readOnly`, `eventSource`, `eventName`...
    pub field: String,
    /// `Equals`.
    #[serde(
        default,
        deserialize_with = "list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub equals: Vec<String>,
    /// `StartsWith`.
    #[serde(
        default,
        deserialize_with = "list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub starts_with: Vec<String>,
    /// `EndsWith`.
    #[serde(
        default,
        deserialize_with = "list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ends_with: Vec<String>,
    /// `NotEquals`.
    #[serde(
        default,
        deserialize_with = "list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub not_equals: Vec<String>,
    /// `NotStartsWith`.
    #[serde(
        default,
        deserialize_with = "list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub not_starts_with: Vec<String>,
    /// `NotEndsWith`.
    #[serde(
        default,
        deserialize_with = "list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub not_ends_with: Vec<String>,
}

impl FieldSelector {
    /// `field Equals values`, the building block of repaired selectors.
    pub fn equals(field: &str, values: &[&str]) -> FieldSelector {
        FieldSelector {
            field: field.to_string(),
            equals: values.iter().map(|v| v.to_string()).collect(),
            ..FieldSelector::default()
        }
    }

    /// How many values it holds (AWS caps a trail's total).
    pub fn value_count(&self) -> usize {
        self.equals.len()
            + self.starts_with.len()
            + self.ends_with.len()
            + self.not_equals.len()
            + self.not_starts_with.len()
            + self.not_ends_with.len()
    }
}

/// What the watchdog checks: eight things on every trail ([`Self::TRAIL`]),
/// then the links outside the trail that the functions depend on
/// ([`Self::CHAIN`]: the log bucket, the validator's and the router's
/// feeds), in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    /// The trail is logging.
    Logging,
    /// Logs, digests, notifications and CloudWatch Logs are delivered.
    Delivery,
    /// The trail covers every region.
    MultiRegion,
    /// IAM, STS and other global services are included.
    GlobalServiceEvents,
    /// Digests are produced (log files can be proven complete and intact).
    LogFileValidation,
    /// Logs are SSE-KMS encrypted (with the configured key).
    KmsEncryption,
    /// Events also go to a CloudWatch Logs group (where detections run).
    CloudwatchLogs,
    /// The selectors record the required management and data events.
    EventSelectors,
    /// The log bucket sends its object events to EventBridge (the
    /// validator's trigger).
    BucketEvents,
    /// The log bucket keeps every version.
    BucketVersioning,
    /// The log bucket blocks public access.
    BucketPublicAccess,
    /// The log bucket's policy still lets CloudTrail write.
    BucketPolicy,
    /// The log bucket's Object Lock state.
    ObjectLock,
    /// The EventBridge rule and queue that feed the validator exist and are enabled.
    ValidatorFeed,
    /// The trail's log group has the alert router's subscription filter.
    RouterSubscription,
    /// Every account × region chain's newest digest is less than an hour
    /// (plus the delivery slack) old.
    DigestDelivery,
    /// The integrity validator has verified every digest delivered more
    /// than two hours ago.
    ValidatorLag,
}

impl CheckName {
    /// The checks of a trail, in the order results are reported.
    pub const TRAIL: [CheckName; 8] = [
        CheckName::Logging,
        CheckName::Delivery,
        CheckName::MultiRegion,
        CheckName::GlobalServiceEvents,
        CheckName::LogFileValidation,
        CheckName::KmsEncryption,
        CheckName::CloudwatchLogs,
        CheckName::EventSelectors,
    ];

    /// The checks of the chain outside the trail (alert only: never repaired).
    pub const CHAIN: [CheckName; 9] = [
        CheckName::BucketEvents,
        CheckName::BucketVersioning,
        CheckName::BucketPublicAccess,
        CheckName::BucketPolicy,
        CheckName::ObjectLock,
        CheckName::ValidatorFeed,
        CheckName::RouterSubscription,
        CheckName::DigestDelivery,
        CheckName::ValidatorLag,
    ];

    /// Every check: [`Self::TRAIL`], then [`Self::CHAIN`].
    pub const ALL: [CheckName; 17] = {
        let mut all = [CheckName::Logging; 17];
        let mut i = 0;
        while i < Self::TRAIL.len() {
            all[i] = Self::TRAIL[i];
            i += 1;
        }
        while i < all.len() {
            all[i] = Self::CHAIN[i - Self::TRAIL.len()];
            i += 1;
        }
        all
    };

    /// The name used in results, configuration and alert state.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Logging => "logging",
            CheckName::Delivery => "delivery",
            CheckName::MultiRegion => "multi_region",
            CheckName::GlobalServiceEvents => "global_service_events",
            CheckName::LogFileValidation => "log_file_validation",
            CheckName::KmsEncryption => "kms_encryption",
            CheckName::CloudwatchLogs => "cloudwatch_logs",
            CheckName::EventSelectors => "event_selectors",
            CheckName::BucketEvents => "bucket_events",
            CheckName::BucketVersioning => "bucket_versioning",
            CheckName::BucketPublicAccess => "bucket_public_access",
            CheckName::BucketPolicy => "bucket_policy",
            CheckName::ObjectLock => "object_lock",
            CheckName::ValidatorFeed => "validator_feed",
            CheckName::RouterSubscription => "router_subscription",
            CheckName::DigestDelivery => "digest_delivery",
            CheckName::ValidatorLag => "validator_lag",
        }
    }

    /// Whether the watchdog may repair it (the chain's checks only alert).
    pub fn repairable(self) -> bool {
        CheckName::TRAIL.contains(&self)
    }
}

impl fmt::Display for CheckName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the checks (a configuration typo).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown check {0:?} (expected one of logging, delivery, multi_region, global_service_events, log_file_validation, kms_encryption, cloudwatch_logs, event_selectors, bucket_events, bucket_versioning, bucket_public_access, bucket_policy, object_lock, validator_feed, router_subscription, digest_delivery, validator_lag)")]
pub struct UnknownCheck(pub String);

impl FromStr for CheckName {
    type Err = UnknownCheck;

    fn from_str(s: &str) -> Result<CheckName, UnknownCheck> {
        CheckName::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCheck(s.to_string()))
    }
}

/// The verdict of one check on one trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// As required.
    Ok,
    /// Was not as required; a repair made this pass and read back fixed it.
    Fixed,
    /// Not as required, and not repaired (alert-only, dry run, shadow
    /// trail, or no repair possible).
    Drift,
    /// Not as required, and the repair failed or did not hold when read back.
    Failed,
}

impl CheckStatus {
    /// Whether this is a standing problem (something for people to act on).
    pub fn is_problem(self) -> bool {
        matches!(self, CheckStatus::Drift | CheckStatus::Failed)
    }

    /// The name used in results.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Ok => "ok",
            CheckStatus::Fixed => "fixed",
            CheckStatus::Drift => "drift",
            CheckStatus::Failed => "failed",
        }
    }
}

impl fmt::Display for CheckStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of the watchdog's output: a check's final verdict on a trail.
///
/// Serializes as `{"trail", "check", "status", "detail"}`, the record the
/// issue asks for; the alert state ([`super::state`]) is planned from these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The trail's ARN.
    pub trail: String,
    /// Which check.
    pub check: CheckName,
    /// The verdict after any repair.
    pub status: CheckStatus,
    /// For people: what is wrong and what is expected, what was repaired,
    /// or what is fine.
    pub detail: String,
}
