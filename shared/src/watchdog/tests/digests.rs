//! Continuous coverage: overdue digests and a lagging validator.

use super::*;
use crate::watchdog::digests::{
    digest_delivery, validator_lag, ChainDigests, Checkpoint, CHECKPOINT_PREFIX,
};

const SLACK: Duration = Duration::minutes(15);

/// A logging trail, started long ago, CloudTrail's latest digest 10 min ago.
fn logging() -> TrailStatus {
    TrailStatus {
        is_logging: true,
        start_logging_time: Some(now() - Duration::days(30)),
        latest_digest_delivery_time: Some(now() - Duration::minutes(10)),
        ..Default::default()
    }
}

/// Hourly digests of a chain, the newest `age` ago, `count` of them.
fn chain(account: &str, region: &str, age: Duration, count: i64) -> ChainDigests {
    let newest = now() - age;
    ChainDigests {
        account: account.into(),
        region: region.into(),
        delivered: (0..count)
            .rev()
            .map(|i| newest - Duration::hours(i))
            .collect(),
    }
}

fn checkpoint(region: &str, age: Duration) -> Checkpoint {
    Checkpoint {
        trail: "main".into(),
        home_region: REGION.into(),
        account: ACCOUNT.into(),
        region: region.into(),
        digest_key: "k".into(),
        digest_at: now() - age,
        verified_at: now() - age + Duration::minutes(1),
    }
}

#[test]
fn recent_digests_in_every_chain_are_ok() {
    let chains = [
        chain(ACCOUNT, "us-east-1", Duration::minutes(20), 12),
        chain(ACCOUNT, "eu-west-1", Duration::minutes(50), 12),
    ];
    let r = digest_delivery(&trail(), &logging(), &chains, now(), SLACK);
    assert_eq!(r.check, CheckName::DigestDelivery);
    assert_eq!(r.status, CheckStatus::Ok, "{}", r.detail);
    assert_eq!(r.trail, ARN);
    assert!(r.detail.contains("2 chain(s)"), "{}", r.detail);
}

#[test]
fn a_chain_past_an_hour_and_the_slack_is_overdue() {
    let chains = [
        chain(ACCOUNT, "us-east-1", Duration::minutes(20), 12),
        chain(ACCOUNT, "eu-west-1", Duration::minutes(76), 12),
    ];
    let r = digest_delivery(&trail(), &logging(), &chains, now(), SLACK);
    assert_eq!(r.status, CheckStatus::Drift, "{}", r.detail);
    assert!(r.detail.contains("111122223333/eu-west-1"), "{}", r.detail);
    assert!(!r.detail.contains("us-east-1:"), "{}", r.detail);
    assert!(r.detail.contains("1 h 15 min"), "{}", r.detail);
    // At 74 minutes it is not yet.
    let chains = [chain(ACCOUNT, "eu-west-1", Duration::minutes(74), 12)];
    let r = digest_delivery(&trail(), &logging(), &chains, now(), SLACK);
    assert_eq!(r.status, CheckStatus::Ok, "{}", r.detail);
    // A chain with no digest today or yesterday.
    let chains = [chain(ACCOUNT, "ap-south-1", Duration::zero(), 0)];
    let r = digest_delivery(&trail(), &logging(), &chains, now(), SLACK);
    assert_eq!(r.status, CheckStatus::Drift);
    assert!(
        r.detail.contains("no digest today or yesterday"),
        "{}",
        r.detail
    );
    // No digest folder at all.
    let r = digest_delivery(&trail(), &logging(), &[], now(), SLACK);
    assert_eq!(r.status, CheckStatus::Drift);
    assert!(r.detail.contains("no digest folder"), "{}", r.detail);
}

#[test]
fn no_digest_is_due_from_a_stopped_trail_a_fresh_start_or_without_validation() {
    let stale = [chain(ACCOUNT, "us-east-1", Duration::hours(5), 3)];
    let stopped = TrailStatus {
        is_logging: false,
        ..logging()
    };
    let fresh = TrailStatus {
        start_logging_time: Some(now() - Duration::minutes(40)),
        ..logging()
    };
    let off = trail_with(|m| {
        m.insert("LogFileValidationEnabled".into(), json!(false));
    });
    for (t, st, why) in [
        (trail(), &stopped, "not logging"),
        (trail(), &fresh, "first digest is due by"),
        (off, &logging(), "validation is off"),
    ] {
        for r in [
            digest_delivery(&t, st, &stale, now(), SLACK),
            validator_lag(&t, st, &stale, &[], now(), SLACK),
        ] {
            assert_eq!(r.status, CheckStatus::Ok, "{why}: {}", r.detail);
            assert!(r.detail.contains(why), "{}", r.detail);
        }
    }
    // Restarted 80 minutes ago after a long stop: the old digests do not
    // count, but the first new one is overdue.
    let restarted = TrailStatus {
        start_logging_time: Some(now() - Duration::minutes(80)),
        ..logging()
    };
    let r = digest_delivery(&trail(), &restarted, &stale, now(), SLACK);
    assert_eq!(r.status, CheckStatus::Drift, "{}", r.detail);
    let r = digest_delivery(
        &trail(),
        &restarted,
        &[chain(ACCOUNT, "us-east-1", Duration::minutes(10), 1)],
        now(),
        SLACK,
    );
    assert_eq!(r.status, CheckStatus::Ok, "{}", r.detail);
}

#[test]
fn the_validator_keeping_up_is_ok() {
    let chains = [
        chain(ACCOUNT, "us-east-1", Duration::minutes(20), 12),
        chain(ACCOUNT, "eu-west-1", Duration::minutes(30), 12),
    ];
    // Verified up to the newest of one chain, one hour behind in the other.
    let cps = [
        checkpoint("us-east-1", Duration::minutes(20)),
        checkpoint("eu-west-1", Duration::minutes(90)),
    ];
    let r = validator_lag(&trail(), &logging(), &chains, &cps, now(), SLACK);
    assert_eq!(r.check, CheckName::ValidatorLag);
    assert_eq!(r.status, CheckStatus::Ok, "{}", r.detail);
    // Before any checkpoint of this trail: said, not alerted.
    let other_trail = Checkpoint {
        trail: "other".into(),
        ..checkpoint("us-east-1", Duration::minutes(5))
    };
    let r = validator_lag(&trail(), &logging(), &chains, &[other_trail], now(), SLACK);
    assert_eq!(r.status, CheckStatus::Ok);
    assert!(
        r.detail.contains("not verified a digest of this trail yet"),
        "{}",
        r.detail
    );
}

#[test]
fn a_digest_left_unverified_for_two_hours_is_lag() {
    let chains = [
        chain(ACCOUNT, "us-east-1", Duration::minutes(20), 12),
        chain(ACCOUNT, "eu-west-1", Duration::minutes(30), 12),
    ];
    // eu-west-1's last checkpoint is 3 h 30 min old: the digest after it
    // (2 h 30 min old) is unverified.
    let cps = [
        checkpoint("us-east-1", Duration::minutes(20)),
        checkpoint("eu-west-1", Duration::minutes(210)),
    ];
    let r = validator_lag(&trail(), &logging(), &chains, &cps, now(), SLACK);
    assert_eq!(r.status, CheckStatus::Drift, "{}", r.detail);
    assert!(r.detail.contains("111122223333/eu-west-1"), "{}", r.detail);
    assert!(!r.detail.contains("111122223333/us-east-1"), "{}", r.detail);
    // A chain the validator never verified, while it verifies others.
    let chains = [
        chain(ACCOUNT, "us-east-1", Duration::minutes(20), 12),
        chain(ACCOUNT, "ap-south-1", Duration::minutes(20), 12),
    ];
    let cps = [checkpoint("us-east-1", Duration::minutes(20))];
    let r = validator_lag(&trail(), &logging(), &chains, &cps, now(), SLACK);
    assert_eq!(r.status, CheckStatus::Drift, "{}", r.detail);
    assert!(
        r.detail.contains("ap-south-1: delivered at")
            && r.detail.contains("no digest of this chain verified"),
        "{}",
        r.detail
    );
}

#[test]
fn cloudtrails_latest_digest_far_past_the_newest_checkpoint_is_lag() {
    // The listing shows nothing new (say, only yesterday was listed), but
    // CloudTrail says it delivered 10 minutes ago and the validator's
    // newest checkpoint is 3 hours old.
    let cps = [checkpoint("us-east-1", Duration::hours(3))];
    let r = validator_lag(&trail(), &logging(), &[], &cps, now(), SLACK);
    assert_eq!(r.status, CheckStatus::Drift, "{}", r.detail);
    assert!(
        r.detail.contains("LatestDigestDeliveryTime"),
        "{}",
        r.detail
    );
}

#[test]
fn a_checkpoint_has_one_object_per_chain() {
    let k = checkpoint("eu-west-1", Duration::zero());
    assert_eq!(
        k.object_key(),
        format!("{CHECKPOINT_PREFIX}us-east-1/main/111122223333/eu-west-1.json")
    );
    assert!(k.of(&trail()));
    let back: Checkpoint = serde_json::from_str(&serde_json::to_string(&k).unwrap()).unwrap();
    assert_eq!(back, k);
}
