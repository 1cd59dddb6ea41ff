//! [`Notifier`] and [`Publisher`] over Amazon SNS.

use aws_config::SdkConfig;
use aws_sdk_sns::types::PublishBatchRequestEntry;
use aws_sdk_sns::Client;

use super::error::port_error;
use crate::alert::sns::{batches, SnsMessage, MAX_BATCH_BYTES};
use crate::ports::{Notification, Notifier, PortError, Publisher};

/// Publishes to one SNS topic.
#[derive(Clone)]
pub struct SnsNotifier {
    client: Client,
    topic_arn: String,
}

impl SnsNotifier {
    /// A notifier for a topic.
    pub fn new(config: &SdkConfig, topic_arn: impl Into<String>) -> Self {
        Self {
            client: Client::new(config),
            topic_arn: topic_arn.into(),
        }
    }
}

impl Notifier for SnsNotifier {
    async fn publish(&self, n: &Notification) -> Result<(), PortError> {
        let (message, structured) = n.sns_message();
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(&n.subject)
            .message(message)
            .set_message_structure(structured.then(|| "json".to_string()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| port_error("Publish", &self.topic_arn, &e))
    }
}

/// Publishes prepared alert messages with `PublishBatch`.
#[derive(Clone)]
pub struct SnsPublisher {
    client: Client,
}

/// Times a batch's failed entries are retried (beyond the SDK's own
/// retries of the whole call) before the invocation fails.
const ENTRY_RETRIES: u32 = 3;

impl SnsPublisher {
    /// A publisher from a loaded SDK configuration.
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }
}

impl Publisher for SnsPublisher {
    async fn publish_batch(
        &self,
        topic_arn: &str,
        messages: &[SnsMessage],
    ) -> Result<(), PortError> {
        // SNS caps a call at ten entries and 256 KiB in total.
        for range in batches(messages, MAX_BATCH_BYTES) {
            let chunk = &messages[range];
            // Entry IDs are the positions in the chunk, so failures map back.
            let mut pending: Vec<usize> = (0..chunk.len()).collect();
            let mut attempt = 0;
            while !pending.is_empty() {
                let mut entries = Vec::with_capacity(pending.len());
                for &i in &pending {
                    let m = &chunk[i];
                    let entry = PublishBatchRequestEntry::builder()
                        .id(i.to_string())
                        .subject(&m.subject)
                        .message(&m.message)
                        .message_structure("json")
                        .build()
                        .map_err(|e| PortError::BadResponse {
                            operation: "PublishBatch",
                            resource: topic_arn.to_string(),
                            message: e.to_string(),
                        })?;
                    entries.push(entry);
                }
                let out = self
                    .client
                    .publish_batch()
                    .topic_arn(topic_arn)
                    .set_publish_batch_request_entries(Some(entries))
                    .send()
                    .await
                    .map_err(|e| port_error("PublishBatch", topic_arn, &e))?;
                let failed = out.failed();
                if failed.is_empty() {
                    break;
                }
                let describe = || {
                    failed
                        .iter()
                        .map(|f| {
                            format!(
                                "entry {}: {} {}",
                                f.id(),
                                f.code(),
                                f.message().unwrap_or("")
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                // A sender fault (a message SNS will never accept) cannot be
                // cured by retrying here; fail so the batch reaches the
                // function's failure destination instead of vanishing.
                if failed.iter().any(|f| f.sender_fault()) || attempt >= ENTRY_RETRIES {
                    return Err(PortError::Unavailable {
                        operation: "PublishBatch",
                        resource: topic_arn.to_string(),
                        message: describe(),
                    });
                }
                tracing::warn!(topic = topic_arn, failed = %describe(), attempt, "retrying failed PublishBatch entries");
                tokio::time::sleep(std::time::Duration::from_millis(100 << (2 * attempt))).await;
                attempt += 1;
                let retry: Vec<usize> = failed
                    .iter()
                    .filter_map(|f| f.id().parse::<usize>().ok())
                    .filter(|&i| i < chunk.len())
                    .collect();
                // An entry SNS reports failed under an ID we did not send
                // cannot be retried, and must not be taken as delivered.
                if retry.len() != failed.len() {
                    return Err(PortError::BadResponse {
                        operation: "PublishBatch",
                        resource: topic_arn.to_string(),
                        message: describe(),
                    });
                }
                pending = retry;
            }
        }
        Ok(())
    }
}
