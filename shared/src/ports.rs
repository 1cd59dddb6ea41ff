//! The small interfaces the integrity flow needs from the world, and the
//! watchdog's state object.
//!
//! Every check in trailguard is a pure function; what it needs from AWS comes
//! through small traits, each with one SDK adapter in [`crate::aws`] and
//! in-memory fakes in tests. Keeping them small keeps the fakes honest. Each
//! port sits beside the model it speaks: these speak S3 objects and keys;
//! the watchdog's ([`crate::watchdog::ports`]) speak its trail model; the
//! outgoing messages' port is [`crate::message::Outbox`].

use std::collections::HashMap;
use std::future::Future;

use chrono::{DateTime, Utc};

pub use crate::error::PortError;
use crate::integrity::logfile::Encryption;
pub use crate::watchdog::digests::Checkpoint;

/// One S3 object with what the checks need of its headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredObject {
    /// The body, as stored (compressed).
    pub body: Vec<u8>,
    /// User metadata, keys lowercased without `x-amz-meta-`.
    pub metadata: HashMap<String, String>,
    /// Server-side encryption headers.
    pub encryption: Encryption,
    /// The version fetched, in a versioned bucket.
    pub version_id: Option<String>,
}

/// The answer to a bounded GET.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The object.
    Found(StoredObject),
    /// No such key (or no such bucket).
    NotFound,
    /// Larger than the caller's cap: not downloaded.
    TooLarge {
        /// The size S3 reported.
        size: u64,
    },
}

/// Read access to the log bucket.
pub trait ObjectStore: Send + Sync {
    /// Fetches an object, refusing to download more than `max_bytes`.
    fn get(
        &self,
        bucket: &str,
        key: &str,
        max_bytes: u64,
    ) -> impl Future<Output = Result<Fetched, PortError>> + Send;

    /// Lists every key under `prefix` (all pages), in S3's lexical order,
    /// starting after `start_after` when given.
    fn list(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
    ) -> impl Future<Output = Result<Vec<String>, PortError>> + Send;

    /// Lists the "folders" directly under `prefix` (delimiter `/`).
    fn list_folders(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<String>, PortError>> + Send;
}

/// One of CloudTrail's digest-signing public keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// The fingerprint digests name it by.
    pub fingerprint: String,
    /// PKCS#1 `RSAPublicKey`, DER.
    pub der: Vec<u8>,
    /// Start of its validity.
    pub valid_from: Option<DateTime<Utc>>,
    /// End of its validity.
    pub valid_to: Option<DateTime<Utc>>,
}

/// CloudTrail's `ListPublicKeys`.
pub trait PublicKeys: Send + Sync {
    /// The keys valid at some time in `[start, end]` in `region` (the trail's
    /// home region).
    fn list(
        &self,
        region: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<PublicKey>, PortError>> + Send;
}

/// What the trail's description says about where it delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailLocation {
    /// The trail's ARN.
    pub arn: String,
    /// The log bucket.
    pub bucket: String,
    /// The key prefix, if any.
    pub prefix: Option<String>,
    /// An organization trail (its keys carry the organization ID).
    pub is_organization_trail: bool,
    /// The region it was created in.
    pub home_region: String,
}

/// What `GetTrailStatus` says about when a trail logged: enough to tell
/// whether a stretch without digests is explained by logging being off.
/// Serialised into an exported copy, so validating the copy explains the
/// same silences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct TrailActivity {
    /// `IsLogging`.
    pub is_logging: bool,
    /// `StartLoggingTime`: the most recent start.
    pub started: Option<DateTime<Utc>>,
    /// `StopLoggingTime`: the most recent stop.
    pub stopped: Option<DateTime<Utc>>,
}

impl TrailActivity {
    /// Why logging was off for all of `[from, to]`, when the status shows
    /// it: the trail is stopped and was stopped by `from`, or its most
    /// recent stop and restart enclose the stretch. The status keeps only
    /// the latest stop and start, so an earlier off period is not known:
    /// such a stretch stays unexplained (a finding), which is the loud side.
    pub fn off_during(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Option<String> {
        let to = to.max(from);
        let t = |d: DateTime<Utc>| d.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        match (self.is_logging, self.stopped, self.started) {
            (false, Some(s), _) if s <= from => {
                Some(format!("logging has been stopped since {}", t(s)))
            }
            (false, None, None) => Some("the trail has never logged".to_string()),
            (true, Some(s), Some(st)) if st > s && s <= from && to <= st => {
                Some(format!("logging was stopped from {} to {}", t(s), t(st)))
            }
            (true, _, Some(st)) if to <= st && self.stopped.is_none() => {
                Some(format!("logging started at {}", t(st)))
            }
            _ => None,
        }
    }
}

/// CloudTrail's `DescribeTrails`, as far as finding a trail's bucket goes,
/// and `GetTrailStatus`, as far as knowing when it logged.
pub trait Trails: Send + Sync {
    /// Describes the trail with this ARN; `None` when there is none.
    fn locate(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<Option<TrailLocation>, PortError>> + Send;

    /// When the trail logged; `None` when CloudTrail does not know the
    /// trail (validating a copy, or a bucket named by hand).
    fn activity(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<Option<TrailActivity>, PortError>> + Send;
}

/// Where the integrity validator records the last digest it verified in
/// each chain, for the watchdog to tell whether it keeps up
/// ([`crate::watchdog::digests`]).
pub trait Checkpoints: Send + Sync {
    /// Records `c`, unless the chain's checkpoint is already as recent.
    fn record(&self, c: &Checkpoint) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// No checkpoints: a validator deployed without a place for them.
pub struct NoCheckpoints;

impl Checkpoints for NoCheckpoints {
    async fn record(&self, _: &Checkpoint) -> Result<(), PortError> {
        Ok(())
    }
}

/// Checkpoints when configured, none otherwise.
impl<C: Checkpoints> Checkpoints for Option<C> {
    async fn record(&self, c: &Checkpoint) -> Result<(), PortError> {
        match self {
            Some(inner) => inner.record(c).await,
            None => Ok(()),
        }
    }
}

/// A small object the watchdog owns, for its alert state.
pub trait StateStore: Send + Sync {
    /// The stored text, `None` when there is none yet.
    fn load(&self) -> impl Future<Output = Result<Option<String>, PortError>> + Send;
    /// Replaces the stored text.
    fn save(&self, text: &str) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// Shared ownership of a port is the port itself: a handler and a test (or
/// two handlers) can hold the same adapter.
impl<T: ObjectStore> ObjectStore for std::sync::Arc<T> {
    fn get(
        &self,
        bucket: &str,
        key: &str,
        max_bytes: u64,
    ) -> impl Future<Output = Result<Fetched, PortError>> + Send {
        (**self).get(bucket, key, max_bytes)
    }
    fn list(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
    ) -> impl Future<Output = Result<Vec<String>, PortError>> + Send {
        (**self).list(bucket, prefix, start_after)
    }
    fn list_folders(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<String>, PortError>> + Send {
        (**self).list_folders(bucket, prefix)
    }
}

impl<T: PublicKeys> PublicKeys for std::sync::Arc<T> {
    fn list(
        &self,
        region: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<PublicKey>, PortError>> + Send {
        (**self).list(region, start, end)
    }
}

impl<T: Trails> Trails for std::sync::Arc<T> {
    fn locate(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<Option<TrailLocation>, PortError>> + Send {
        (**self).locate(arn)
    }

    fn activity(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<Option<TrailActivity>, PortError>> + Send {
        (**self).activity(arn)
    }
}

/// A borrowed port is the port (a wrapper such as the backfill's call
/// counter can sit over a port it does not own).
impl<T: ObjectStore> ObjectStore for &T {
    fn get(
        &self,
        bucket: &str,
        key: &str,
        max_bytes: u64,
    ) -> impl Future<Output = Result<Fetched, PortError>> + Send {
        (**self).get(bucket, key, max_bytes)
    }
    fn list(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
    ) -> impl Future<Output = Result<Vec<String>, PortError>> + Send {
        (**self).list(bucket, prefix, start_after)
    }
    fn list_folders(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<String>, PortError>> + Send {
        (**self).list_folders(bucket, prefix)
    }
}

impl<T: PublicKeys> PublicKeys for &T {
    fn list(
        &self,
        region: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<PublicKey>, PortError>> + Send {
        (**self).list(region, start, end)
    }
}
