//! What a trail must look like, and what the watchdog may do about it.
//!
//! The defaults describe the trail trailguard is built around: logging,
//! every region, global services, digests, SSE-KMS, a CloudWatch Logs
//! group for detections, management events read and write, and DynamoDB
//! data events (S3 data events for the buckets the deployment names).

use std::fmt;
use std::str::FromStr;

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::model::CheckName;

/// What the watchdog does about one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Check, repair drift (unless dry run), confirm, alert.
    Repair,
    /// Check and alert; never change the trail.
    Alert,
    /// Not checked, not reported.
    Off,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Repair => "repair",
            Mode::Alert => "alert",
            Mode::Off => "off",
        })
    }
}

/// A mode that is not `repair`, `alert` or `off`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown mode {0:?} (expected repair, alert or off)")]
pub struct UnknownMode(pub String);

impl FromStr for Mode {
    type Err = UnknownMode;

    fn from_str(s: &str) -> Result<Mode, UnknownMode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "repair" => Ok(Mode::Repair),
            "alert" => Ok(Mode::Alert),
            "off" => Ok(Mode::Off),
            _ => Err(UnknownMode(s.to_string())),
        }
    }
}

/// Requirements that contradict themselves or cannot be checked; found at
/// start-up rather than as a "cannot repair" alert every five minutes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequirementsError {
    /// A setting is malformed.
    #[error("{setting}: {reason}")]
    Invalid {
        /// The setting, by its field name.
        setting: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A check that only alerts (the chain outside the trail) is set to repair.
    #[error("{0} only alerts (a person owns the resource): set it to alert or off")]
    AlertOnly(CheckName),
    /// A check is set to repair but the repair needs a setting that is missing.
    #[error("{check} is set to repair but {missing} is not configured")]
    CannotRepair {
        /// The check.
        check: CheckName,
        /// The missing setting(s).
        missing: &'static str,
    },
}

/// The required trail configuration and the watchdog's latitude.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirements {
    /// `logging`. Default repair: a stopped trail is the first thing an
    /// intruder does, and `StartLogging` changes nothing else.
    pub logging: Mode,
    /// `delivery`. Default alert; there is nothing to repair (a broken
    /// bucket policy or key policy needs a person), so `Repair` behaves as
    /// `Alert`.
    pub delivery: Mode,
    /// `multi_region`. Default repair: a single-region trail is blind to
    /// activity in every other region, and widening it drops nothing.
    pub multi_region: Mode,
    /// `global_service_events`. Default repair: IAM and STS events are the
    /// ones that matter most, and including them drops nothing.
    pub global_service_events: Mode,
    /// `log_file_validation`. Default repair: without digests, deleted or
    /// edited log files cannot be detected; enabling it drops nothing.
    pub log_file_validation: Mode,
    /// `kms_encryption`. Default alert: the only possible repair is to
    /// name a key, and a key whose policy does not let CloudTrail use it
    /// stops delivery; repair needs [`Self::kms_key`].
    pub kms_encryption: Mode,
    /// `cloudwatch_logs`. Default alert: a repair must name both the group
    /// and a role CloudTrail can assume; repair needs both configured.
    pub cloudwatch_logs: Mode,
    /// `event_selectors`. Default repair: the repair only ever adds what is
    /// missing and keeps every existing selector, so nothing the owner
    /// records is lost.
    pub event_selectors: Mode,
    /// `bucket_events`, `bucket_versioning`, `bucket_public_access`,
    /// `bucket_policy`, `object_lock`, `validator_feed`,
    /// `router_subscription`: the chain outside the trail
    /// ([`super::chain`]). Default alert; never repaired (a person owns
    /// the bucket, the rule and the subscription), so `Repair` is refused.
    pub chain: [Mode; 9],
    /// The key ARN the trail must use (a bare key id is compared with the
    /// id in the trail's key ARN); `None`: any SSE-KMS key is fine.
    pub kms_key: Option<String>,
    /// The log group ARN the trail must deliver to (with or without AWS's
    /// `:*` suffix); `None`: any group is fine.
    pub cloudwatch_logs_group_arn: Option<String>,
    /// The role CloudTrail must deliver to CloudWatch Logs with.
    pub cloudwatch_logs_role_arn: Option<String>,
    /// Buckets whose object-level events (read and write) must be
    /// recorded: the artifacts buckets, by name. Default none: bucket
    /// names are the deployment's.
    pub s3_data_buckets: Vec<String>,
    /// DynamoDB data events for every table. Default on: table reads are
    /// how data is exfiltrated, and nothing else records them.
    pub dynamodb_data_events: bool,
    /// Oldest acceptable last log delivery. Default 1 hour: CloudTrail
    /// delivers about every 5 minutes, and the watchdog's own calls every
    /// 5 minutes make sure there is something to deliver.
    pub max_delivery_age: Duration,
    /// Oldest acceptable last digest delivery. Default 2 hours: digests
    /// are hourly, plus delivery slack.
    pub max_digest_age: Duration,
    /// Oldest acceptable last CloudWatch Logs delivery. Default 30
    /// minutes: detections run there, so a quiet group is a blind spot.
    pub max_cloudwatch_logs_age: Duration,
}

impl Default for Requirements {
    fn default() -> Requirements {
        Requirements {
            logging: Mode::Repair,
            delivery: Mode::Alert,
            multi_region: Mode::Repair,
            global_service_events: Mode::Repair,
            log_file_validation: Mode::Repair,
            kms_encryption: Mode::Alert,
            cloudwatch_logs: Mode::Alert,
            event_selectors: Mode::Repair,
            chain: [Mode::Alert; 9],
            kms_key: None,
            cloudwatch_logs_group_arn: None,
            cloudwatch_logs_role_arn: None,
            s3_data_buckets: Vec::new(),
            dynamodb_data_events: true,
            max_delivery_age: Duration::hours(1),
            max_digest_age: Duration::hours(2),
            max_cloudwatch_logs_age: Duration::minutes(30),
        }
    }
}

impl Requirements {
    /// The mode of a check.
    pub fn mode(&self, check: CheckName) -> Mode {
        match check {
            CheckName::Logging => self.logging,
            CheckName::Delivery => self.delivery,
            CheckName::MultiRegion => self.multi_region,
            CheckName::GlobalServiceEvents => self.global_service_events,
            CheckName::LogFileValidation => self.log_file_validation,
            CheckName::KmsEncryption => self.kms_encryption,
            CheckName::CloudwatchLogs => self.cloudwatch_logs,
            CheckName::EventSelectors => self.event_selectors,
            chain => self.chain[Self::chain_index(chain)],
        }
    }

    /// A chain check's slot in [`Self::chain`].
    fn chain_index(check: CheckName) -> usize {
        CheckName::CHAIN
            .iter()
            .position(|c| *c == check)
            .unwrap_or_default()
    }

    /// Sets the mode of a check (configuration names checks by name).
    pub fn set_mode(&mut self, check: CheckName, mode: Mode) {
        let slot = match check {
            CheckName::Logging => &mut self.logging,
            CheckName::Delivery => &mut self.delivery,
            CheckName::MultiRegion => &mut self.multi_region,
            CheckName::GlobalServiceEvents => &mut self.global_service_events,
            CheckName::LogFileValidation => &mut self.log_file_validation,
            CheckName::KmsEncryption => &mut self.kms_encryption,
            CheckName::CloudwatchLogs => &mut self.cloudwatch_logs,
            CheckName::EventSelectors => &mut self.event_selectors,
            chain => &mut self.chain[Self::chain_index(chain)],
        };
        *slot = mode;
    }

    /// Refuses requirements that cannot be checked or repaired as written.
    ///
    /// [`super::evaluate`] copes with all of these (it says "cannot
    /// repair" in the detail), but a deployment should fail at start-up
    /// instead of alerting about its own configuration forever.
    pub fn validate(&self) -> Result<(), RequirementsError> {
        let invalid = |setting, reason: String| RequirementsError::Invalid { setting, reason };
        if let Some(check) = CheckName::CHAIN
            .into_iter()
            .find(|c| self.mode(*c) == Mode::Repair)
        {
            return Err(RequirementsError::AlertOnly(check));
        }
        if let Some(key) = &self.kms_key {
            if key.is_empty() {
                return Err(invalid("kms_key", "empty".into()));
            }
            if key.starts_with("alias/") || key.contains(":alias/") {
                return Err(invalid(
                    "kms_key",
                    format!(
                        "{key:?} is an alias; DescribeTrails reports the key ARN, \
                         so give the key ARN (or key id)"
                    ),
                ));
            }
        } else if self.kms_encryption == Mode::Repair {
            return Err(RequirementsError::CannotRepair {
                check: CheckName::KmsEncryption,
                missing: "kms_key",
            });
        }
        match (
            &self.cloudwatch_logs_group_arn,
            &self.cloudwatch_logs_role_arn,
        ) {
            (Some(_), Some(_)) => {}
            (None, Some(_)) => {
                return Err(invalid(
                    "cloudwatch_logs_role_arn",
                    "set without cloudwatch_logs_group_arn (CloudTrail takes both together)".into(),
                ))
            }
            _ if self.cloudwatch_logs == Mode::Repair => {
                return Err(RequirementsError::CannotRepair {
                    check: CheckName::CloudwatchLogs,
                    missing: "cloudwatch_logs_group_arn and cloudwatch_logs_role_arn",
                })
            }
            _ => {}
        }
        if let Some(group) = &self.cloudwatch_logs_group_arn {
            if !group.starts_with("arn:") || !group.contains(":log-group:") {
                return Err(invalid(
                    "cloudwatch_logs_group_arn",
                    format!("{group:?} is not a log group ARN"),
                ));
            }
        }
        for bucket in &self.s3_data_buckets {
            let ok = (3..=63).contains(&bucket.len())
                && bucket.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'
                });
            if !ok {
                return Err(invalid(
                    "s3_data_buckets",
                    format!("{bucket:?} is not a bucket name (give names, not ARNs)"),
                ));
            }
        }
        for (setting, age) in [
            ("max_delivery_age", self.max_delivery_age),
            ("max_digest_age", self.max_digest_age),
            ("max_cloudwatch_logs_age", self.max_cloudwatch_logs_age),
        ] {
            if age <= Duration::zero() {
                return Err(invalid(setting, "must be positive".into()));
            }
        }
        Ok(())
    }
}
