//! What a range validation remembers between runs (`trailguard validate
//! --state`): the digests it verified, per chain, so that a re-run fetches
//! only what is new.
//!
//! A digest is remembered only when everything about it was valid: its
//! signature, every log file it lists, and its link to the digest before
//! (so a finding is never hidden by being remembered: it is checked, and
//! reported, again). On a re-run a remembered digest is not fetched, nor are
//! its log files; the first new digest's link to it is still checked (its
//! predecessor is fetched, as for any digest whose predecessor is outside
//! the listing), and a remembered digest missing from the listing is a
//! finding (deleted since it was verified). What a re-run does not see is a
//! change to a remembered hour made after it was verified (a log file
//! injected or rewritten in place): the integrity validator catches those
//! as they happen, and a run without `--state` checks everything.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::cloudtrail::keys::DigestKey;

/// The state file's format tag.
pub const FORMAT: &str = "trailguard-validate-state/1";

/// The digests verified, per chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeState {
    /// [`FORMAT`].
    pub format: String,
    /// The trail the digests belong to.
    pub trail_arn: String,
    /// The bucket they were read from.
    pub bucket: String,
    /// `ACCOUNT/REGION` to its verified digests, by [`stamp`].
    pub chains: BTreeMap<String, BTreeMap<String, Verified>>,
}

/// A verified digest's window, kept so that coverage still counts its hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verified {
    /// `digestStartTime`.
    pub start: DateTime<Utc>,
    /// `digestEndTime`.
    pub end: DateTime<Utc>,
    /// It starts a chain (null `previousDigest*` fields).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub restart: bool,
}

/// Why a state file cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StateError {
    /// Not the format.
    #[error("not a trailguard state file: {0}")]
    Format(String),
    /// Another trail's or bucket's.
    #[error("the state is of {0}, not of this trail and bucket")]
    Other(String),
}

impl RangeState {
    /// An empty state for a trail and bucket.
    pub fn new(trail_arn: &str, bucket: &str) -> Self {
        Self {
            format: FORMAT.into(),
            trail_arn: trail_arn.into(),
            bucket: bucket.into(),
            chains: BTreeMap::new(),
        }
    }

    /// Reads a state file's text.
    pub fn parse(text: &str) -> Result<Self, StateError> {
        let s: Self = serde_json::from_str(text).map_err(|e| StateError::Format(e.to_string()))?;
        if s.format != FORMAT {
            return Err(StateError::Format(format!(
                "format {:?}, expected {FORMAT:?}",
                s.format
            )));
        }
        Ok(s)
    }

    /// Refuses a state made for another trail or bucket: its digests would
    /// be skipped unverified.
    pub fn check(&self, trail_arn: &str, bucket: &str) -> Result<(), StateError> {
        let fresh = self.chains.is_empty();
        if fresh || (self.trail_arn == trail_arn && self.bucket == bucket) {
            Ok(())
        } else {
            Err(StateError::Other(format!(
                "{} in s3://{}",
                self.trail_arn, self.bucket
            )))
        }
    }

    /// The text to store.
    pub fn render(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// One chain's verified digests.
    pub fn chain(&self, chain: &str) -> Option<&BTreeMap<String, Verified>> {
        self.chains.get(chain)
    }

    /// Remembers a verified digest.
    pub fn remember(&mut self, chain: &str, key: &DigestKey, v: Verified) {
        self.chains
            .entry(chain.to_string())
            .or_default()
            .insert(stamp(key), v);
    }

    /// How many digests are remembered.
    pub fn len(&self) -> usize {
        self.chains.values().map(BTreeMap::len).sum()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How a digest is remembered within its chain: the timestamp of its key,
/// with `_backfill` for a backfill digest (the rest of the key is the
/// chain's).
pub fn stamp(key: &DigestKey) -> String {
    format!(
        "{}{}",
        key.timestamp.format("%Y%m%dT%H%M%SZ"),
        if key.backfill { "_backfill" } else { "" }
    )
}

/// The timestamp and backfill flag a [`stamp`] was made from.
pub fn unstamp(stamp: &str) -> Option<(DateTime<Utc>, bool)> {
    let (t, backfill) = match stamp.strip_suffix("_backfill") {
        Some(t) => (t, true),
        None => (stamp, false),
    };
    chrono::NaiveDateTime::parse_from_str(t, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|n| (n.and_utc(), backfill))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudtrail::keys::{classify, ObjectKind};

    const KEY: &str = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/15/111122223333_CloudTrail-Digest_us-east-1_main-trail_us-east-1_20260115T010512Z.json.gz";

    fn dkey(k: &str) -> DigestKey {
        match classify(k) {
            ObjectKind::Digest(d) => d,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn round_trips_and_refuses_what_is_not_its_own() {
        let d = dkey(KEY);
        let mut s = RangeState::new("arn:t", "b");
        assert!(s.is_empty());
        let v = Verified {
            start: d.timestamp - chrono::Duration::hours(1),
            end: d.timestamp,
            restart: false,
        };
        s.remember("111122223333/us-east-1", &d, v);
        assert_eq!(s.len(), 1);
        let text = s.render();
        assert!(!text.contains("restart"), "{text}");
        let back = RangeState::parse(&text).unwrap();
        assert_eq!(back, s);
        assert_eq!(
            back.chain("111122223333/us-east-1").unwrap()["20260115T010512Z"],
            v
        );
        assert!(back.check("arn:t", "b").is_ok());
        // A fresh state takes the trail and bucket of its first run.
        assert!(RangeState::new("", "").check("arn:u", "c").is_ok());
        assert!(matches!(
            back.check("arn:u", "b"),
            Err(StateError::Other(_))
        ));
        assert!(matches!(
            back.check("arn:t", "c"),
            Err(StateError::Other(_))
        ));
        assert!(matches!(
            RangeState::parse("{}"),
            Err(StateError::Format(_))
        ));
        let other = text.replace(FORMAT, "trailguard-validate-state/0");
        assert!(matches!(
            RangeState::parse(&other),
            Err(StateError::Format(_))
        ));
    }

    #[test]
    fn stamps_name_a_digest_within_its_chain() {
        let d = dkey(KEY);
        assert_eq!(stamp(&d), "20260115T010512Z");
        assert_eq!(unstamp("20260115T010512Z"), Some((d.timestamp, false)));
        let b = dkey(&KEY.replace(".json.gz", "_backfill.json.gz"));
        assert_eq!(stamp(&b), "20260115T010512Z_backfill");
        assert_eq!(unstamp(&stamp(&b)), Some((d.timestamp, true)));
        assert_eq!(unstamp("yesterday"), None);
    }
}
