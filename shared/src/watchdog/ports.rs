//! The ports the watchdog reads and repairs trails through, beside the
//! model they speak ([`super::model`], [`super::chain`]'s facts): each has
//! one SDK adapter in [`crate::aws`] and an in-memory fake in tests.

use std::future::Future;

use chrono::{DateTime, Utc};

use super::chain::{BucketFacts, QueueFacts, RuleFacts, SubscriptionFilter};
use super::checks::TrailUpdate;
use super::digests::Checkpoint;
use super::model::{Selectors, TrailInfo, TrailStatus};
use crate::error::PortError;

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
    /// Every key under `prefix` in `bucket` (all pages): a day folder of
    /// digests, to find each chain's newest.
    fn list_keys(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<String>, PortError>> + Send;
    /// The folders directly under `prefix` (accounts, regions).
    fn list_folders(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<String>, PortError>> + Send;
    /// The integrity validator's checkpoints; `None` when none are kept
    /// (no checkpoint bucket configured).
    fn checkpoints(
        &self,
    ) -> impl Future<Output = Result<Option<Vec<Checkpoint>>, PortError>> + Send;
}
