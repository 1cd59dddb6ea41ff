//! Configuration from environment variables, shared by the function and the
//! command so that both read the same names.

use chrono::Duration;

use crate::integrity::logfile::Expectations;
use crate::validate::ValidatorConfig;

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

/// A variable that is set but unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {name}={value:?}: {why}")]
pub struct ConfigError {
    /// The variable.
    pub name: &'static str,
    /// Its value.
    pub value: String,
    /// What is wrong with it.
    pub why: &'static str,
}

/// Reads the validator's configuration through `get` (the process
/// environment in production, a map in tests).
pub fn validator_from(
    get: impl Fn(&str) -> Option<String>,
) -> Result<ValidatorConfig, ConfigError> {
    let d = ValidatorConfig::default();
    let list = |name: &str| -> Vec<String> {
        get(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let text = |name: &str| {
        get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let number = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
        match text(name) {
            None => Ok(default),
            Some(v) => match v.parse::<u64>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(ConfigError {
                    name,
                    value: v,
                    why: "expected a positive whole number",
                }),
            },
        }
    };
    let accounts = list(EXPECTED_ACCOUNTS);
    if let Some(bad) = accounts
        .iter()
        .find(|a| !crate::cloudtrail::keys::is_account(a))
    {
        return Err(ConfigError {
            name: EXPECTED_ACCOUNTS,
            value: bad.clone(),
            why: "expected 12-digit account IDs",
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
    })
}

/// The alert topic, if configured.
pub fn topic_from(get: impl Fn(&str) -> Option<String>) -> Option<String> {
    get(TOPIC_ARN)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
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
    fn bad_values_name_the_variable() {
        let e = validator_from(env(&[(MAX_OBJECT_BYTES, "lots")])).unwrap_err();
        assert_eq!(e.name, MAX_OBJECT_BYTES);
        let e = validator_from(env(&[(EXPECTED_ACCOUNTS, "123")])).unwrap_err();
        assert_eq!(e.name, EXPECTED_ACCOUNTS);
        assert!(validator_from(env(&[(CONCURRENCY, "0")])).is_err());
    }
}
