//! The alert router's Lambda handler: decode the CloudWatch Logs
//! subscription payload, run [`trailguard::route`], encode its summary.
//!
//! A payload that cannot be decoded, or a publish that fails, fails the
//! invocation: Lambda retries it and then hands it to the function's
//! failure destination, so no batch is dropped silently.

use serde_json::{json, Value};
use trailguard::cloudtrail::cwlogs::{self, LogsError, LogsMessage};
use trailguard::message::Outbox;
use trailguard::ports::PortError;
use trailguard::route::Router;

/// CloudWatch Logs hands Lambda at most 1 MiB of compressed events per
/// invocation (6 MiB synchronous payloads at most); this cap on the base64
/// text leaves room and refuses anything absurd before decoding it.
pub const MAX_PAYLOAD_BASE64: usize = 8 * 1024 * 1024;

/// Why an invocation failed (and will be retried by AWS).
#[derive(Debug, thiserror::Error)]
pub enum RouterError {
    /// The payload is not a CloudWatch Logs subscription event.
    #[error("cannot decode the payload: {0}")]
    Payload(#[from] LogsError),
    /// SNS did not take every alert.
    #[error(transparent)]
    Publish(#[from] PortError),
}

/// Handles one invocation payload; `max_inflated` caps the decompressed
/// batch (TRAILGUARD_MAX_PAYLOAD_INFLATED_BYTES).
pub async fn handle<O: Outbox>(
    router: &Router<O>,
    payload: Value,
    max_inflated: u64,
) -> Result<Value, RouterError> {
    match cwlogs::decode(&payload, MAX_PAYLOAD_BASE64, max_inflated)? {
        LogsMessage::Control => {
            tracing::info!("CloudWatch Logs control message acknowledged");
            Ok(json!({"messageType": "CONTROL_MESSAGE"}))
        }
        LogsMessage::Data(m) => {
            let routed = router.route(&m).await?;
            let mut out = serde_json::to_value(&routed).unwrap_or_else(|_| json!({}));
            if let Some(o) = out.as_object_mut() {
                o.insert("messageType".into(), json!("DATA_MESSAGE"));
            }
            tracing::info!(summary = %out, "batch done");
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests;
