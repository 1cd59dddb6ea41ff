//! trailguard's core: everything that decides, shared by the three Lambda
//! functions and the `trailguard` command.
//!
//! - [`gzip`]: bounded inflation with SHA-256 on the fly, below everything
//!   that reads CloudTrail's files.
//! - [`cloudtrail`]: CloudTrail's formats (key grammar, log and digest models,
//!   event payloads).
//! - [`integrity`]: pure checks on log and digest files.
//! - [`validate`]: the integrity checks driven through the [`ports`], for a
//!   single arriving object or a whole date range.
//! - [`detect`]: Sigma rules, compiled and evaluated on records; [`rules`]
//!   reads them (and their tuning) from disk and S3.
//! - [`alert`]: turning findings into [`message::Message`]s for people.
//! - [`message`]: the one outgoing message type, SNS's limits and batching,
//!   and its port ([`message::Outbox`]).
//! - [`error`]: [`error::PortError`], what every port returns.
//! - [`ports`]: the small traits through which the integrity flow reaches
//!   AWS; [`aws`] implements every port with the AWS SDK.
//! - [`watchdog`]: the logging watchdog's decisions (trail checks, repairs,
//!   selector analysis, alert memory), pure, and its ports.
//! - [`watch`]: the watchdog's flow, one pass in five phases.
//! - [`route`]: the alert router's flow, one CloudWatch Logs batch from
//!   records to messages.

pub mod alert;
#[cfg(feature = "aws")]
pub mod aws;
pub mod cloudtrail;
pub mod config;
pub mod detect;
pub mod error;
pub mod gzip;
pub mod integrity;
pub mod message;
pub mod ports;
pub mod route;
pub mod rules;
#[cfg(feature = "synth")]
pub mod synth;
#[cfg(feature = "synth")]
pub mod testing;
pub mod validate;
pub mod watch;
pub mod watchdog;
