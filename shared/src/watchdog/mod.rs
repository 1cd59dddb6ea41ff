//! The logging watchdog's decisions: is each trail logging, delivering and
//! configured as required, what would repair it, and whom to tell.
//!
//! Pure: descriptions in, verdicts, repairs and notices out. No AWS types,
//! no I/O, no clock (`now` is a parameter), so every rule is tested here
//! with the JSON CloudTrail returns; the function around it lists trails,
//! applies repairs and publishes.
//!
//! - [`model`]: CloudTrail's `DescribeTrails`, `GetTrailStatus` and
//!   `GetEventSelectors` shapes, check names and statuses, the output record.
//! - [`requirements`]: what a trail must look like, and per check whether
//!   to repair, alert or skip.
//! - [`checks`]: [`evaluate`] (one verdict per check, with its repair) and
//!   [`is_shadow`].
//! - [`selectors`]: what basic and advanced selectors record, and the
//!   smallest repair that keeps everything they record.
//! - [`state`]: alerting once per problem, re-notifying, and never losing a
//!   notice to a failed publish.
//! - [`chain`]: the links outside the trail the functions depend on (the
//!   log bucket's events, versioning, public access, policy and Object
//!   Lock; the validator's rule and queue; the router's subscription),
//!   alert only.
//! - [`digests`]: continuous coverage: every chain's newest digest is
//!   recent, and the validator keeps up with them (its checkpoints).
//!
//! A pass, for the function that drives it: for each trail, describe it,
//! get its status and selectors, [`evaluate`]; for a shadow trail
//! ([`is_shadow`]) or a dry run report drift without repairing; otherwise
//! apply the repairs (one `UpdateTrail` with the merged [`TrailUpdate`]s),
//! read the trail back and evaluate again (`ok` → `fixed`, else `failed`);
//! then plan and publish notices following [`state`]'s protocol.

pub mod chain;
pub mod checks;
pub mod digests;
pub mod model;
pub mod ports;
pub mod requirements;
pub mod selectors;
pub mod state;

#[cfg(test)]
mod tests;

pub use checks::{evaluate, is_shadow, same_kms_key, same_log_group, Outcome, Repair, TrailUpdate};
pub use model::{
    AdvancedSelector, BasicSelector, CheckName, CheckResult, CheckStatus, DataResource,
    FieldSelector, ModelError, ReadWriteType, Selectors, TrailArn, TrailInfo, TrailStatus,
};
pub use requirements::{Mode, Requirements, RequirementsError};
pub use state::{acknowledge, plan, AlertState, Notice, NoticeKind, Plan, StateError};
