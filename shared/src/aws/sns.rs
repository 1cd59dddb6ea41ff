//! The [`Outbox`] over Amazon SNS: it carries messages, and renders
//! nothing.

use aws_config::SdkConfig;
use aws_sdk_sns::types::PublishBatchRequestEntry;
use aws_sdk_sns::Client;

use super::error::port_error;
use crate::error::PortError;
use crate::message::{batches, Message, Outbox, MAX_BATCH_BYTES};

/// The [`Outbox`] over Amazon SNS: every message with `PublishBatch`
/// (`MessageStructure: json`), in as few calls as SNS's limits allow.
/// `PublishBatch` is authorised by `sns:Publish` (Amazon SNS API
/// Reference, PublishBatch: "The PublishBatch API action requires the same
/// permissions as Publish"; docs/aws-behavior.md).
#[derive(Clone)]
pub struct SnsOutbox {
    client: Client,
}

/// Times a batch's failed entries are retried (beyond the SDK's own
/// retries of the whole call) before the invocation fails.
const ENTRY_RETRIES: u32 = 3;

impl SnsOutbox {
    /// An outbox from a loaded SDK configuration.
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }

    /// An outbox over a client built elsewhere (mocked in tests).
    pub fn from_client(client: Client) -> Self {
        Self { client }
    }
}

impl Outbox for SnsOutbox {
    async fn publish(&self, topic_arn: &str, messages: &[Message]) -> Result<(), PortError> {
        // SNS caps a call at ten entries and 256 KiB in total: the one
        // place messages are batched.
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
                        .message(&m.body)
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
                let mut retry: Vec<usize> = failed
                    .iter()
                    .filter_map(|f| f.id().parse::<usize>().ok())
                    .filter(|i| pending.contains(i))
                    .collect();
                retry.sort_unstable();
                retry.dedup();
                // An entry SNS reports failed under an ID we did not send in
                // this call cannot be retried, and must not be taken as
                // delivered.
                if retry.len() != failed.len() {
                    return Err(PortError::BadResponse {
                        operation: "PublishBatch",
                        resource: topic_arn.to_string(),
                        message: describe(),
                    });
                }
                tracing::warn!(topic = topic_arn, failed = %describe(), attempt, "retrying failed PublishBatch entries");
                tokio::time::sleep(std::time::Duration::from_millis(100 << (2 * attempt))).await;
                attempt += 1;
                pending = retry;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! PublishBatch's partial failures, which the emulator cannot produce:
    //! SNS answers 200 with some entries in `Failed`.
    use super::*;
    use aws_sdk_sns::operation::publish_batch::PublishBatchOutput;
    use aws_sdk_sns::types::{BatchResultErrorEntry, PublishBatchResultEntry};
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use std::sync::{Arc, Mutex};

    fn messages(n: usize) -> Vec<Message> {
        (0..n)
            .map(|i| Message {
                subject: format!("alert {i}"),
                body: format!("{{\"default\":\"alert {i}\"}}"),
                severity: crate::detect::Level::High,
                id: format!("a{i}"),
            })
            .collect()
    }

    fn failed(id: &str, sender_fault: bool) -> BatchResultErrorEntry {
        BatchResultErrorEntry::builder()
            .id(id)
            .code(if sender_fault {
                "InvalidParameter"
            } else {
                "InternalError"
            })
            .sender_fault(sender_fault)
            .build()
            .expect("entry")
    }

    fn ok(id: &str) -> PublishBatchResultEntry {
        PublishBatchResultEntry::builder()
            .id(id)
            .message_id("m")
            .build()
    }

    #[tokio::test]
    async fn only_the_failed_entries_are_sent_again_until_all_are_accepted() {
        let seen: Arc<Mutex<Vec<Vec<String>>>> = Arc::default();
        let record = seen.clone();
        let rule = mock!(Client::publish_batch)
            .match_requests(move |req| {
                let ids = req
                    .publish_batch_request_entries()
                    .iter()
                    .map(|e| e.id().to_string())
                    .collect();
                record.lock().unwrap().push(ids);
                true
            })
            .sequence()
            .output(|| {
                PublishBatchOutput::builder()
                    .successful(ok("0"))
                    .failed(failed("1", false))
                    .failed(failed("2", false))
                    .build()
            })
            .output(|| {
                PublishBatchOutput::builder()
                    .successful(ok("1"))
                    .successful(ok("2"))
                    .build()
            })
            .build();
        let client = mock_client!(aws_sdk_sns, RuleMode::Sequential, [&rule]);
        SnsOutbox::from_client(client)
            .publish("arn:aws:sns:us-east-1:111122223333:t", &messages(3))
            .await
            .expect("delivered after one retry");
        assert_eq!(rule.num_calls(), 2);
        assert_eq!(
            *seen.lock().unwrap(),
            vec![vec!["0", "1", "2"], vec!["1", "2"]]
        );
    }

    #[tokio::test]
    async fn a_sender_fault_fails_at_once_naming_the_entry() {
        let rule = mock!(Client::publish_batch).then_output(|| {
            PublishBatchOutput::builder()
                .successful(ok("0"))
                .failed(failed("1", true))
                .build()
        });
        let client = mock_client!(aws_sdk_sns, [&rule]);
        let err = SnsOutbox::from_client(client)
            .publish("arn:aws:sns:us-east-1:111122223333:t", &messages(2))
            .await
            .unwrap_err();
        assert_eq!(rule.num_calls(), 1);
        assert!(
            err.to_string().contains("entry 1: InvalidParameter"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn entries_failing_every_retry_fail_the_invocation() {
        let rule = mock!(Client::publish_batch)
            .sequence()
            .output(|| {
                PublishBatchOutput::builder()
                    .failed(failed("0", false))
                    .build()
            })
            .repeatedly()
            .build();
        let client = mock_client!(aws_sdk_sns, [&rule]);
        let err = SnsOutbox::from_client(client)
            .publish("arn:aws:sns:us-east-1:111122223333:t", &messages(1))
            .await
            .unwrap_err();
        assert_eq!(rule.num_calls(), 1 + ENTRY_RETRIES as usize);
        assert!(matches!(err, PortError::Unavailable { .. }), "{err}");
    }

    #[tokio::test]
    async fn a_failure_under_an_unknown_id_is_never_taken_as_delivered() {
        let rule = mock!(Client::publish_batch).then_output(|| {
            PublishBatchOutput::builder()
                .failed(failed("7", false))
                .build()
        });
        let client = mock_client!(aws_sdk_sns, [&rule]);
        let err = SnsOutbox::from_client(client)
            .publish("arn:aws:sns:us-east-1:111122223333:t", &messages(2))
            .await
            .unwrap_err();
        assert!(matches!(err, PortError::BadResponse { .. }), "{err}");
    }

    /// SNS's answer to a caller without `sns:Publish`.
    fn denied() -> aws_sdk_sns::config::http::HttpResponse {
        aws_sdk_sns::config::http::HttpResponse::new(
            403.try_into().expect("status"),
            aws_smithy_types::body::SdkBody::from(
                "<ErrorResponse><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>no</Message></Error></ErrorResponse>",
            ),
        )
    }

    #[tokio::test]
    async fn access_denied_on_publish_is_named_as_such() {
        let rule = mock!(Client::publish_batch).then_http_response(denied);
        let client = mock_client!(aws_sdk_sns, [&rule]);
        let err = SnsOutbox::from_client(client)
            .publish("arn:aws:sns:us-east-1:111122223333:t", &messages(1))
            .await
            .unwrap_err();
        assert!(matches!(err, PortError::AccessDenied { .. }), "{err}");
        assert!(matches!(err, PortError::AccessDenied { .. }), "{err}");
    }
}

#[cfg(test)]
mod batching {
    //! Eleven messages are two calls, in order: the adapter is the one
    //! place that batches.
    use super::*;
    use aws_sdk_sns::operation::publish_batch::PublishBatchOutput;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use std::sync::{Arc, Mutex};

    #[tokio::test]
    async fn more_than_ten_messages_go_in_several_calls_in_order() {
        let seen: Arc<Mutex<Vec<Vec<String>>>> = Arc::default();
        let record = seen.clone();
        let rule = mock!(Client::publish_batch)
            .match_requests(move |req| {
                record.lock().unwrap().push(
                    req.publish_batch_request_entries()
                        .iter()
                        .map(|e| e.subject().unwrap_or("").to_string())
                        .collect(),
                );
                true
            })
            .sequence()
            .output(|| PublishBatchOutput::builder().build())
            .times(2)
            .build();
        let client = mock_client!(aws_sdk_sns, RuleMode::Sequential, [&rule]);
        let msgs: Vec<Message> = (0..11)
            .map(|i| Message {
                subject: format!("m{i}"),
                body: "{}".into(),
                severity: crate::detect::Level::Low,
                id: format!("{i}"),
            })
            .collect();
        SnsOutbox::from_client(client)
            .publish("arn:aws:sns:us-east-1:111122223333:t", &msgs)
            .await
            .unwrap();
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].len(), 10);
        assert_eq!(seen[1], vec!["m10"]);
        assert_eq!(seen[0][0], "m0");
    }
}
