//! CloudTrail's own formats: the key grammar of its S3 deliveries, the log
//! file and digest file models, and the event payloads that announce them.

pub mod cwlogs;
pub mod digest;
pub mod events;
pub mod input;
pub mod keys;
pub mod record;
pub mod view;
