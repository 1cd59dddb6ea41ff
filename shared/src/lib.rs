//! trailguard's core: everything that decides, shared by the three Lambda
//! functions and the `trailguard` command.
//!
//! - [`cloudtrail`]: CloudTrail's formats (key grammar, log and digest models,
//!   event payloads).
//! - [`integrity`]: pure checks on log and digest files.
//! - [`validate`]: the integrity checks driven through the [`ports`], for a
//!   single arriving object or a whole date range.
//! - [`detect`]: Sigma rules, compiled and evaluated on records; [`rules`]
//!   reads them (and their tuning) from disk and S3.
//! - [`alert`]: turning findings into messages for people.
//! - [`ports`]: the small traits through which the core reaches AWS;
//!   [`aws`] implements them with the AWS SDK.
//! - [`watchdog`]: the logging watchdog's decisions (trail checks, repairs,
//!   selector analysis, alert memory), pure.

pub mod alert;
#[cfg(feature = "aws")]
pub mod aws;
pub mod cloudtrail;
pub mod config;
pub mod detect;
pub mod integrity;
pub mod ports;
pub mod rules;
#[cfg(feature = "synth")]
pub mod synth;
#[cfg(feature = "synth")]
pub mod testing;
pub mod validate;
pub mod watchdog;
