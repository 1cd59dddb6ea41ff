//! Turning findings into [`Message`](crate::message::Message)s for people.
//!
//! Every rendering ends in [`crate::message::Message::new`] (or its
//! `structure` for the parts of a split alert): one place builds the SNS
//! body every subscriber type reads.
//!
//! - [`backfill`]: a backfill's summary, one message per run.
//! - [`integrity`]: the integrity validator's findings, grouped per
//!   invocation into one message.
//! - [`detection`]: a rule match on a CloudTrail event, the [`Alert`] model
//!   and the per-batch dedupe.
//! - [`render`]: an alert as JSON (machines), text (email) and an AWS
//!   Chatbot custom notification (Slack).
//! - [`split`]: the messages an alert becomes, split to fit SNS's size
//!   limit, never cut.
//! - [`watchdog`]: the logging watchdog's notices as one message per pass.
//! - [`notice`]: a message about trailguard itself.
//! - [`redact`]: credentials a record may carry, kept out of alerts.

pub mod backfill;
pub mod detection;
pub mod integrity;
pub mod notice;
pub mod redact;
pub mod render;
pub mod split;
pub mod watchdog;

pub use detection::{dedupe, evaluate, Alert, Evaluation};
pub use integrity::{integrity_message, MAX_FINDINGS_BYTES};
