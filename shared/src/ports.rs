//! The small interfaces the core needs from the world.
//!
//! Every check in trailguard is a pure function; what it needs from AWS comes
//! through these traits, each with one SDK adapter in [`crate::aws`] and
//! in-memory fakes in tests. Keeping them small keeps the fakes honest.

use std::collections::HashMap;
use std::future::Future;

use chrono::{DateTime, Utc};

use crate::alert::sns::SnsMessage;
use crate::integrity::logfile::Encryption;
use crate::watchdog::chain::{BucketFacts, QueueFacts, RuleFacts, SubscriptionFilter};
use crate::watchdog::checks::TrailUpdate;
use crate::watchdog::model::{Selectors, TrailInfo, TrailStatus};

/// An infrastructure failure: the call did not give an answer to reason on.
///
/// The invocation fails on one of these so that AWS retries it; a verdict is
/// never made from the partial data left behind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// The caller lacks a permission.
    #[error("access denied: {operation} on {resource}: {message}")]
    AccessDenied {
        /// The API operation.
        operation: &'static str,
        /// The bucket, key or ARN.
        resource: String,
        /// AWS's message.
        message: String,
    },
    /// Throttling, a 5xx, a timeout or a cut connection, after the SDK's retries.
    #[error("{operation} on {resource} failed: {message}")]
    Unavailable {
        /// The API operation.
        operation: &'static str,
        /// The bucket, key or ARN.
        resource: String,
        /// What went wrong.
        message: String,
    },
    /// The named resource does not exist (a trail deleted, a name mistyped).
    #[error("{operation}: {resource} not found: {message}")]
    NotFound {
        /// The API operation.
        operation: &'static str,
        /// The name or ARN.
        resource: String,
        /// AWS's message.
        message: String,
    },
    /// AWS refused the request itself (a 4xx other than throttling or
    /// access: an invalid parameter, a key that does not exist): the same
    /// call will be refused again.
    #[error("{operation} on {resource} was rejected: {message}")]
    Rejected {
        /// The API operation.
        operation: &'static str,
        /// The name or ARN.
        resource: String,
        /// AWS's message.
        message: String,
    },
    /// The response was not what the API promises.
    #[error("{operation} on {resource} returned an unusable response: {message}")]
    BadResponse {
        /// The API operation.
        operation: &'static str,
        /// The bucket, key or ARN.
        resource: String,
        /// What was wrong.
        message: String,
    },
}

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

/// CloudTrail's `DescribeTrails`, as far as finding a trail's bucket goes.
pub trait Trails: Send + Sync {
    /// Describes the trail with this ARN; `None` when there is none.
    fn locate(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<Option<TrailLocation>, PortError>> + Send;
}

/// A message for people.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// One line, ASCII, at most 99 characters (SNS's limit on subjects).
    pub subject: String,
    /// The body, readable as plain text (what email subscribers get).
    pub body: String,
    /// The same as JSON, for machines (SQS, Lambda, email-json); with
    /// `chat`, the message is sent with `MessageStructure: json`.
    pub json: Option<serde_json::Value>,
    /// An AWS Chatbot custom notification (what https subscribers get).
    pub chat: Option<serde_json::Value>,
}

impl Notification {
    /// The SNS `Message` and whether it is a `MessageStructure: json` one.
    pub fn sns_message(&self) -> (String, bool) {
        match (&self.json, &self.chat) {
            (Some(j), Some(c)) => (
                serde_json::json!({
                    "default": j.to_string(),
                    "email": self.body,
                    "https": c.to_string(),
                })
                .to_string(),
                true,
            ),
            _ => (self.body.clone(), false),
        }
    }
}

/// Where alerts go (SNS).
pub trait Notifier: Send + Sync {
    /// Publishes one notification; an error means it was not delivered.
    fn publish(&self, n: &Notification) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// Who stopped a trail, from CloudTrail's event history (`LookupEvents`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopEvent {
    /// `EventId`.
    pub event_id: String,
    /// `EventTime`.
    pub time: DateTime<Utc>,
    /// `Username` (IAM user, role session name or root).
    pub username: Option<String>,
    /// The acting principal's ARN, from the record.
    pub principal: Option<String>,
    /// `sourceIPAddress`, from the record.
    pub source_ip: Option<String>,
    /// `userAgent`, from the record.
    pub user_agent: Option<String>,
    /// `eventName` (`StopLogging`).
    pub event_name: String,
}

/// A trail's controls, called in the region given (a trail's settings can
/// only be changed in its home region).
pub trait TrailControl: Send + Sync {
    /// Every trail visible from `region`, shadow trails included.
    fn describe_trails(
        &self,
        region: &str,
    ) -> impl Future<Output = Result<Vec<TrailInfo>, PortError>> + Send;
    /// `GetTrailStatus`.
    fn status(
        &self,
        region: &str,
        trail: &str,
    ) -> impl Future<Output = Result<TrailStatus, PortError>> + Send;
    /// `GetEventSelectors`.
    fn selectors(
        &self,
        region: &str,
        trail: &str,
    ) -> impl Future<Output = Result<Selectors, PortError>> + Send;
    /// `StartLogging`.
    fn start_logging(
        &self,
        region: &str,
        trail: &str,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    /// `UpdateTrail` with only the fields to change.
    fn update_trail(
        &self,
        region: &str,
        trail: &str,
        update: &TrailUpdate,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    /// `PutEventSelectors` (basic or advanced, as given).
    fn put_selectors(
        &self,
        region: &str,
        trail: &str,
        selectors: &Selectors,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
    /// Successful `StopLogging` events naming the trail since a time,
    /// newest first (`LookupEvents`).
    fn stop_events(
        &self,
        region: &str,
        trail_arn: &str,
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<StopEvent>, PortError>> + Send;
}

/// What the watchdog reads of the chain outside the trail
/// ([`crate::watchdog::chain`]): the log bucket's settings and the
/// functions' feeds. Read only.
pub trait GuardChain: Send + Sync {
    /// The log bucket's EventBridge notification, versioning, public
    /// access block, policy and Object Lock, each read on its own.
    fn bucket(&self, bucket: &str) -> impl Future<Output = BucketFacts> + Send;
    /// An EventBridge rule (name or ARN) on the default bus: its state and
    /// targets; `NotFound` when it does not exist.
    fn rule(&self, rule: &str) -> impl Future<Output = Result<RuleFacts, PortError>> + Send;
    /// An SQS queue by URL; `NotFound` when it does not exist.
    fn queue(&self, url: &str) -> impl Future<Output = Result<QueueFacts, PortError>> + Send;
    /// A log group's subscription filters; `NotFound` when the group does
    /// not exist.
    fn subscription_filters(
        &self,
        log_group: &str,
    ) -> impl Future<Output = Result<Vec<SubscriptionFilter>, PortError>> + Send;
}

/// A small object the watchdog owns, for its alert state.
pub trait StateStore: Send + Sync {
    /// The stored text, `None` when there is none yet.
    fn load(&self) -> impl Future<Output = Result<Option<String>, PortError>> + Send;
    /// Replaces the stored text.
    fn save(&self, text: &str) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// Where detection alerts go: prepared SNS messages (see
/// [`crate::alert::sns`]) published to a topic in `PublishBatch` calls.
pub trait Publisher: Send + Sync {
    /// Publishes every message to `topic_arn`, in order, at most ten per
    /// call. `Ok` only when SNS accepted all of them: an error means some
    /// may not have been delivered, and the caller fails so AWS retries
    /// (a retry may repeat an alert; it never loses one).
    fn publish_batch(
        &self,
        topic_arn: &str,
        messages: &[SnsMessage],
    ) -> impl Future<Output = Result<(), PortError>> + Send;
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
}

impl<T: Notifier> Notifier for std::sync::Arc<T> {
    fn publish(&self, n: &Notification) -> impl Future<Output = Result<(), PortError>> + Send {
        (**self).publish(n)
    }
}

impl<T: Publisher> Publisher for std::sync::Arc<T> {
    fn publish_batch(
        &self,
        topic_arn: &str,
        messages: &[SnsMessage],
    ) -> impl Future<Output = Result<(), PortError>> + Send {
        (**self).publish_batch(topic_arn, messages)
    }
}
