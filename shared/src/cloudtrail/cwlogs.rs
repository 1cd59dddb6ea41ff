//! CloudWatch Logs subscription payloads, as Lambda receives them.
//!
//! `{"awslogs":{"data": base64(gzip(JSON))}}` where the JSON is a
//! `DATA_MESSAGE` whose `logEvents[].message` are CloudTrail records (one
//! per event), or a `CONTROL_MESSAGE` that CloudWatch Logs sends to check the
//! destination. Decoding is bounded (base64 length and inflated size), and a
//! message that is not a CloudTrail record is set aside with its reason,
//! never fatal to the rest of the batch.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;

use super::view::RecordView;
use crate::gzip::{self, GzipError};

/// Why a payload could not be decoded at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogsError {
    /// Not `{"awslogs":{"data":"..."}}`.
    #[error("not a CloudWatch Logs subscription event: {0}")]
    NotLogs(String),
    /// `data` is not base64.
    #[error("awslogs.data is not base64: {0}")]
    Base64(String),
    /// Larger than the cap before inflation.
    #[error("awslogs.data is {len} characters, over the {limit} limit")]
    TooLong {
        /// Its length.
        len: usize,
        /// The cap.
        limit: usize,
    },
    /// Corrupt, trailing data or a bomb.
    #[error("awslogs.data: {0}")]
    Gzip(#[from] GzipError),
    /// The inflated JSON is not a subscription message.
    #[error("awslogs.data does not hold a subscription message: {0}")]
    Message(String),
}

/// A decoded subscription message.
#[derive(Debug, Clone, PartialEq)]
pub enum LogsMessage {
    /// Log events to process.
    Data(DataMessage),
    /// CloudWatch Logs checking the destination: acknowledge, ignore.
    Control,
}

/// A `DATA_MESSAGE`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataMessage {
    /// The account of the log group.
    #[serde(default)]
    pub owner: String,
    /// The log group (the trail's).
    #[serde(default)]
    pub log_group: String,
    /// The log stream (`ACCOUNT_CloudTrail_REGION`).
    #[serde(default)]
    pub log_stream: String,
    /// The subscription filters that matched.
    #[serde(default)]
    pub subscription_filters: Vec<String>,
    /// The events.
    #[serde(default)]
    pub log_events: Vec<LogEvent>,
}

/// One log event of a batch.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LogEvent {
    /// CloudWatch Logs' ID of the event.
    #[serde(default)]
    pub id: String,
    /// Ingestion time, epoch milliseconds.
    #[serde(default)]
    pub timestamp: i64,
    /// The CloudTrail record, as JSON text.
    pub message: String,
}

#[derive(Deserialize)]
struct Envelope {
    awslogs: Inner,
}

#[derive(Deserialize)]
struct Inner {
    data: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Kind {
    message_type: String,
}

/// Decodes a Lambda payload from a CloudWatch Logs subscription, refusing
/// more than `max_base64` characters of data or `max_inflated` bytes inflated.
pub fn decode(
    payload: &Value,
    max_base64: usize,
    max_inflated: u64,
) -> Result<LogsMessage, LogsError> {
    let env: Envelope =
        Envelope::deserialize(payload).map_err(|e| LogsError::NotLogs(e.to_string()))?;
    decode_data(&env.awslogs.data, max_base64, max_inflated)
}

/// Decodes the `awslogs.data` string.
pub fn decode_data(
    data: &str,
    max_base64: usize,
    max_inflated: u64,
) -> Result<LogsMessage, LogsError> {
    if data.len() > max_base64 {
        return Err(LogsError::TooLong {
            len: data.len(),
            limit: max_base64,
        });
    }
    let compressed = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| LogsError::Base64(e.to_string()))?;
    let (inflated, _) = gzip::inflate(&compressed, max_inflated)?;
    let kind: Kind =
        serde_json::from_slice(&inflated).map_err(|e| LogsError::Message(e.to_string()))?;
    match kind.message_type.as_str() {
        "CONTROL_MESSAGE" => Ok(LogsMessage::Control),
        "DATA_MESSAGE" => serde_json::from_slice(&inflated)
            .map(LogsMessage::Data)
            .map_err(|e| LogsError::Message(e.to_string())),
        other => Err(LogsError::Message(format!("unknown messageType {other:?}"))),
    }
}

/// A log event that is not a CloudTrail record, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The log event's ID.
    pub id: String,
    /// Why it was set aside.
    pub reason: String,
}

/// Parses each event's message as a CloudTrail record; events whose message
/// is not one are returned apart, with the reason.
pub fn records(msg: &DataMessage) -> (Vec<Value>, Vec<Rejected>) {
    let mut ok = Vec::with_capacity(msg.log_events.len());
    let mut rejected = Vec::new();
    for e in &msg.log_events {
        match serde_json::from_str::<Value>(&e.message) {
            Ok(v) if RecordView(&v).is_event() => ok.push(v),
            Ok(_) => rejected.push(Rejected {
                id: e.id.clone(),
                reason: "not a CloudTrail record (no eventName/eventSource)".into(),
            }),
            Err(err) => rejected.push(Rejected {
                id: e.id.clone(),
                reason: format!("not JSON: {err}"),
            }),
        }
    }
    (ok, rejected)
}

/// Encodes a message as CloudWatch Logs does (for tests, events and benchmarks).
pub fn encode(message: &Value) -> Value {
    let data = base64::engine::general_purpose::STANDARD
        .encode(gzip::gzip(message.to_string().as_bytes()));
    serde_json::json!({ "awslogs": { "data": data } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn data_message(messages: &[&str]) -> Value {
        json!({"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"aws-cloudtrail-logs",
            "logStream":"111122223333_CloudTrail_us-east-1","subscriptionFilters":["trailguard"],
            "logEvents": messages.iter().enumerate().map(|(i, m)| json!({"id": i.to_string(), "timestamp": 1, "message": m})).collect::<Vec<_>>()})
    }

    #[test]
    fn data_and_control_messages() {
        let rec = r#"{"eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com"}"#;
        let payload = encode(&data_message(&[rec, "not json", r#"{"hello":1}"#]));
        let LogsMessage::Data(m) = decode(&payload, 1 << 20, 1 << 20).unwrap() else {
            panic!()
        };
        assert_eq!(m.log_group, "aws-cloudtrail-logs");
        let (ok, rejected) = records(&m);
        assert_eq!(ok.len(), 1);
        assert_eq!(rejected.len(), 2);
        assert!(rejected[0].reason.starts_with("not JSON"));
        let control = encode(
            &json!({"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}),
        );
        assert_eq!(
            decode(&control, 1 << 20, 1 << 20).unwrap(),
            LogsMessage::Control
        );
    }

    #[test]
    fn bad_payloads_are_clear_errors() {
        assert!(matches!(
            decode(&json!({"Records": []}), 100, 100),
            Err(LogsError::NotLogs(_))
        ));
        assert!(matches!(
            decode(&json!({"awslogs":{"data":"!!!"}}), 100, 100),
            Err(LogsError::Base64(_))
        ));
        assert!(matches!(
            decode(&json!({"awslogs":{"data":"aGVsbG8="}}), 100, 100),
            Err(LogsError::Gzip(_))
        ));
        assert!(matches!(
            decode(&json!({"awslogs":{"data":"x".repeat(101)}}), 100, 100),
            Err(LogsError::TooLong { .. })
        ));
        let bomb =
            base64::engine::general_purpose::STANDARD.encode(gzip::gzip(&vec![b' '; 1 << 20]));
        assert!(matches!(
            decode_data(&bomb, 1 << 20, 1000),
            Err(LogsError::Gzip(GzipError::TooLarge { .. }))
        ));
        let odd = encode(&json!({"messageType":"SURPRISE"}));
        assert!(matches!(
            decode(&odd, 1 << 20, 1 << 20),
            Err(LogsError::Message(_))
        ));
        let truncated = encode(&json!({"messageType":"DATA_MESSAGE","logEvents":[{"id":"1"}]}));
        assert!(matches!(
            decode(&truncated, 1 << 20, 1 << 20),
            Err(LogsError::Message(_))
        ));
    }
}
