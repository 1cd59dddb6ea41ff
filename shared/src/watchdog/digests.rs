//! Continuous coverage: a digest that fails to arrive, and a validator that
//! falls behind, are alarms.
//!
//! The integrity validator sees only what arrives; nothing else notices an
//! hourly digest that never comes (a region or account that stopped
//! delivering, digests written elsewhere, the bucket refusing CloudTrail).
//! Each pass the watchdog lists the newest digests of every account ×
//! region chain of a trail that logs with validation on, and:
//!
//! - [`digest_delivery`]: a chain whose newest digest is older than an hour
//!   plus the delivery slack is overdue (CloudTrail delivers one every hour,
//!   even an hour with no activity: "CloudTrail digest file structure");
//! - [`validator_lag`]: a digest delivered more than two hours ago that the
//!   validator has not verified (its checkpoint, written per chain with
//!   each digest it verifies, is older), or CloudTrail's own
//!   `LatestDigestDeliveryTime` more than two hours past the newest
//!   checkpoint: the validator's feed is cut, or it fails without a word.
//!
//! Pure: the listing and the checkpoints come in, [`CheckResult`]s go out.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::model::{CheckName, CheckResult, CheckStatus, TrailInfo, TrailStatus};

/// How far behind the validator may be before it is a problem.
pub const MAX_LAG: Duration = Duration::hours(2);

/// One chain's digests as listed: the delivery times in their keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainDigests {
    /// The account folder.
    pub account: String,
    /// The region folder.
    pub region: String,
    /// The trail's digests listed (today's and, early in the day,
    /// yesterday's folder), oldest first.
    pub delivered: Vec<DateTime<Utc>>,
}

impl ChainDigests {
    /// `ACCOUNT/REGION`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.account, self.region)
    }
}

/// The last digest the integrity validator verified in a chain: written by
/// the validator with each valid digest, read by the watchdog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The trail's name.
    pub trail: String,
    /// Its home region.
    pub home_region: String,
    /// The account folder.
    pub account: String,
    /// The region folder.
    pub region: String,
    /// The digest's key.
    pub digest_key: String,
    /// The delivery time in the digest's key.
    pub digest_at: DateTime<Utc>,
    /// When the validator verified it.
    pub verified_at: DateTime<Utc>,
}

impl Checkpoint {
    /// The object that holds a chain's checkpoint, under
    /// [`CHECKPOINT_PREFIX`]: one per chain, so that concurrent
    /// invocations for different chains never write the same object.
    pub fn object_key(&self) -> String {
        format!(
            "{CHECKPOINT_PREFIX}{}/{}/{}/{}.json",
            self.home_region, self.trail, self.account, self.region
        )
    }

    /// Whether it is this trail's.
    pub fn of(&self, trail: &TrailInfo) -> bool {
        self.trail == trail.name && self.home_region == trail.home_region
    }
}

/// Where checkpoints live in their bucket.
pub const CHECKPOINT_PREFIX: &str = "trailguard/validator-checkpoints/";

fn result(trail: &TrailInfo, check: CheckName, status: CheckStatus, detail: String) -> CheckResult {
    CheckResult {
        trail: trail.arn.clone(),
        check,
        status,
        detail,
    }
}

fn t(d: DateTime<Utc>) -> String {
    d.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Why no digest is due now, if none is: the trail is not logging, has no
/// validation, or started too recently for its first digest.
fn not_due(
    trail: &TrailInfo,
    status: &TrailStatus,
    now: DateTime<Utc>,
    slack: Duration,
) -> Option<String> {
    if !trail.log_file_validation {
        return Some("log file validation is off: no digest is delivered".into());
    }
    if !status.is_logging {
        return Some("the trail is not logging: no digest is delivered".into());
    }
    match status.start_logging_time {
        Some(s) if now - s < Duration::hours(1) + slack => Some(format!(
            "logging started at {}: the first digest is due by {}",
            t(s),
            t(s + Duration::hours(1) + slack)
        )),
        _ => None,
    }
}

/// Every chain's newest digest is recent: a chain whose newest digest is
/// older than an hour plus `slack` (counted from the later of that digest
/// and the last `StartLogging`) is overdue.
pub fn digest_delivery(
    trail: &TrailInfo,
    status: &TrailStatus,
    chains: &[ChainDigests],
    now: DateTime<Utc>,
    slack: Duration,
) -> CheckResult {
    let c = CheckName::DigestDelivery;
    if let Some(why) = not_due(trail, status, now, slack) {
        return result(trail, c, CheckStatus::Ok, why);
    }
    let due = Duration::hours(1) + slack;
    if chains.is_empty() {
        return result(
            trail,
            c,
            CheckStatus::Drift,
            format!(
                "the trail logs with validation on, but its bucket holds no digest folder for any account or region{}: no hour can be proven",
                status
                    .start_logging_time
                    .map(|s| format!(" (logging since {})", t(s)))
                    .unwrap_or_default()
            ),
        );
    }
    let started = status.start_logging_time;
    let mut overdue = Vec::new();
    for ch in chains {
        let newest = ch.delivered.last().copied();
        let since = match (newest, started) {
            (Some(n), Some(s)) => n.max(s),
            (Some(n), None) => n,
            (None, Some(s)) => s,
            (None, None) => now - Duration::days(1),
        };
        if now - since > due {
            overdue.push(format!(
                "{}: {}",
                ch.label(),
                match newest {
                    Some(n) => format!("newest digest delivered at {}", t(n)),
                    None => "no digest today or yesterday".into(),
                }
            ));
        }
    }
    if overdue.is_empty() {
        let oldest_newest = chains.iter().filter_map(|c| c.delivered.last()).min();
        result(
            trail,
            c,
            CheckStatus::Ok,
            format!(
                "every chain's newest digest is less than {} old ({} chain(s){})",
                human(due),
                chains.len(),
                oldest_newest
                    .map(|n| format!(", the stalest delivered at {}", t(*n)))
                    .unwrap_or_default()
            ),
        )
    } else {
        result(
            trail,
            c,
            CheckStatus::Drift,
            format!(
                "digest overdue (CloudTrail delivers one every hour per chain; more than {} has passed): {}",
                human(due),
                overdue.join("; ")
            ),
        )
    }
}

/// The validator keeps up: no digest of a chain delivered more than
/// [`MAX_LAG`] ago is newer than the chain's checkpoint, and CloudTrail's
/// `LatestDigestDeliveryTime` is within [`MAX_LAG`] of the newest
/// checkpoint. Before the validator has verified any digest of the trail
/// there is nothing to compare (a new deployment): that is said, not
/// alerted; the validator's feed itself is [`CheckName::ValidatorFeed`].
pub fn validator_lag(
    trail: &TrailInfo,
    status: &TrailStatus,
    chains: &[ChainDigests],
    checkpoints: &[Checkpoint],
    now: DateTime<Utc>,
    slack: Duration,
) -> CheckResult {
    let c = CheckName::ValidatorLag;
    if let Some(why) = not_due(trail, status, now, slack) {
        return result(trail, c, CheckStatus::Ok, why);
    }
    let mine: Vec<&Checkpoint> = checkpoints.iter().filter(|k| k.of(trail)).collect();
    let Some(newest_checked) = mine.iter().map(|k| k.digest_at).max() else {
        return result(
            trail,
            c,
            CheckStatus::Ok,
            "the integrity validator has not verified a digest of this trail yet (it records a checkpoint with each one)".into(),
        );
    };
    let mut behind = Vec::new();
    for ch in chains {
        let cp = mine
            .iter()
            .find(|k| k.account == ch.account && k.region == ch.region);
        let unverified = ch
            .delivered
            .iter()
            .filter(|d| cp.is_none_or(|k| **d > k.digest_at))
            .min();
        if let Some(d) = unverified.filter(|d| now - **d > MAX_LAG) {
            behind.push(format!(
                "{}: delivered at {}, {}",
                ch.label(),
                t(*d),
                match cp {
                    Some(k) => format!(
                        "last verified {} (verified at {})",
                        t(k.digest_at),
                        t(k.verified_at)
                    ),
                    None => "no digest of this chain verified".into(),
                }
            ));
        }
    }
    if let Some(latest) = status.latest_digest_delivery_time {
        if latest - newest_checked > MAX_LAG {
            behind.push(format!(
                "CloudTrail's LatestDigestDeliveryTime is {}, the validator's newest checkpoint {}",
                t(latest),
                t(newest_checked)
            ));
        }
    }
    if behind.is_empty() {
        result(
            trail,
            c,
            CheckStatus::Ok,
            format!(
                "the integrity validator keeps up (newest digest verified: {})",
                t(newest_checked)
            ),
        )
    } else {
        result(
            trail,
            c,
            CheckStatus::Drift,
            format!(
                "the integrity validator is more than {} behind: its feed is cut or it fails without alerting; {}",
                human(MAX_LAG),
                behind.join("; ")
            ),
        )
    }
}

fn human(d: Duration) -> String {
    let m = d.num_minutes();
    match (m / 60, m % 60) {
        (h, 0) => format!("{h} h"),
        (0, m) => format!("{m} min"),
        (h, m) => format!("{h} h {m} min"),
    }
}
