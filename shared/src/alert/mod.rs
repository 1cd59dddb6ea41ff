//! Turning findings into messages for people.
//!
//! - [`integrity`]: the integrity validator's findings, grouped per
//!   invocation into one message.
//! - [`detection`]: a rule match on a CloudTrail event, the [`Alert`] model
//!   and the per-batch dedupe.
//! - [`render`]: an alert as JSON (machines), text (email) and an AWS
//!   Chatbot custom notification (Slack).
//! - [`redact`]: credentials a record may carry, kept out of alerts.
//! - [`sns`]: the SNS messages an alert becomes (`MessageStructure: json`),
//!   split to fit SNS's size limit, and their grouping into `PublishBatch`
//!   calls.

pub mod detection;
pub mod integrity;
pub mod redact;
pub mod render;
pub mod sns;
pub mod watchdog;

pub use detection::{dedupe, evaluate, Alert, Evaluation};
pub use integrity::{integrity_notification, subject, MAX_FINDINGS_BYTES, MAX_SUBJECT};
