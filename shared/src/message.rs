//! The one thing trailguard sends, and the one port that sends it.
//!
//! Every capability ends in messages for people: an integrity finding, a
//! detection alert (perhaps in parts), a watchdog notice, a note about
//! trailguard's own configuration. They all become a [`Message`] in
//! [`crate::alert`] and leave through an [`Outbox`] (SNS in Lambda, an
//! in-memory fake in tests). This module sits below both: it knows SNS's
//! limits and the three deliveries, not what a finding is.
//!
//! Each message is published with `MessageStructure: json`: SNS delivers
//! `email` to email subscribers, `https` to HTTPS ones (AWS Chatbot's custom
//! notifications) and `default` (the message as JSON) to everything else
//! (SQS, Lambda, email-json). Amazon SNS API Reference, Publish:
//! "MessageStructure ... set to json ... the value of the Message parameter
//! must: be a syntactically valid JSON object; and contain at least a
//! top-level JSON key of "default" with a value that is a string."

use std::future::Future;
use std::ops::Range;

use serde_json::{json, Value};

use crate::error::PortError;
use trailguard_sigma::Level;

/// SNS refuses subjects of 100 characters or more (Publish: "Subject ...
/// must be ASCII text that begins with a letter, number, or punctuation
/// mark; must not include line breaks or control characters; and must be
/// less than 100 characters long").
pub const MAX_SUBJECT: usize = 99;

/// SNS's maximum message size (the `Message` parameter), in bytes: 256 KiB.
pub const MAX_MESSAGE_BYTES: usize = 262_144;

/// SNS `PublishBatch` takes at most ten entries...
pub const MAX_BATCH_ENTRIES: usize = 10;

/// ...whose messages total at most this many bytes (PublishBatch: "The
/// total aggregate size of all messages in a single PublishBatch call
/// can't exceed 262,144 bytes").
pub const MAX_BATCH_BYTES: usize = 262_144;

/// One message ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The subject: printable ASCII, one line, at most [`MAX_SUBJECT`].
    pub subject: String,
    /// The `MessageStructure: json` body: a JSON object with `default`,
    /// `email` and `https`, each a string.
    pub body: String,
    /// How serious it is, for routing to per-severity topics.
    pub severity: Level,
    /// What it is about (an alert's ID, a hash of a notice): the parts of
    /// a split alert share it.
    pub id: String,
}

impl Message {
    /// A message from its three deliveries: `json` for machines, `email`
    /// as plain text, `chat` as an AWS Chatbot custom notification. The
    /// subject is made SNS-safe here.
    pub fn new(
        subject: &str,
        email: &str,
        json: &Value,
        chat: &Value,
        severity: Level,
        id: impl Into<String>,
    ) -> Self {
        Self {
            subject: sns_subject(subject),
            body: structure(json.to_string(), email.to_string(), chat.to_string()),
            severity,
            id: id.into(),
        }
    }

    /// The bytes this message counts for in a batch.
    pub fn size(&self) -> usize {
        self.body.len() + self.subject.len()
    }

    /// The three deliveries back (`default` parsed, `email`, `https`
    /// parsed), for tests and tools that read what was sent.
    pub fn deliveries(&self) -> Option<(Value, String, Value)> {
        let s: Value = serde_json::from_str(&self.body).ok()?;
        Some((
            serde_json::from_str(s.get("default")?.as_str()?).ok()?,
            s.get("email")?.as_str()?.to_string(),
            serde_json::from_str(s.get("https")?.as_str()?).ok()?,
        ))
    }

    /// What email subscribers read.
    pub fn email(&self) -> String {
        self.deliveries().map(|d| d.1).unwrap_or_default()
    }
}

/// The `MessageStructure: json` body from already rendered deliveries.
pub fn structure(default: String, email: String, https: String) -> String {
    json!({ "default": default, "email": email, "https": https }).to_string()
}

/// Makes a subject SNS accepts: printable ASCII, one line, at most
/// [`MAX_SUBJECT`] characters.
pub fn sns_subject(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if clean.len() <= MAX_SUBJECT {
        clean
    } else {
        format!("{}...", &clean[..MAX_SUBJECT - 3])
    }
}

/// Groups messages into `PublishBatch` calls: at most ten entries and
/// `max_bytes` in total each, in order. A message larger than `max_bytes`
/// on its own goes alone (renderers keep messages under SNS's limit). The
/// only place messages are batched: the outbox's adapter calls it.
pub fn batches(messages: &[Message], max_bytes: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut size = 0;
    for (i, m) in messages.iter().enumerate() {
        let full = i - start == MAX_BATCH_ENTRIES || (i > start && size + m.size() > max_bytes);
        if full {
            out.push(start..i);
            start = i;
            size = 0;
        }
        size += m.size();
    }
    if start < messages.len() {
        out.push(start..messages.len());
    }
    out
}

/// Where messages go: an SNS topic, named by its ARN.
pub trait Outbox: Send + Sync {
    /// Publishes every message to `topic_arn`, in order. `Ok` only when all
    /// were accepted: an error means some may not have been delivered, and
    /// the caller fails so AWS retries (a retry may repeat a message; it
    /// never loses one).
    fn publish(
        &self,
        topic_arn: &str,
        messages: &[Message],
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// Shared ownership of an outbox is the outbox itself.
impl<T: Outbox> Outbox for std::sync::Arc<T> {
    fn publish(
        &self,
        topic_arn: &str,
        messages: &[Message],
    ) -> impl Future<Output = Result<(), PortError>> + Send {
        (**self).publish(topic_arn, messages)
    }
}

/// An outbox and the topic a flow sends to (the validator's and the
/// watchdog's one topic).
#[derive(Debug, Clone)]
pub struct Topic<O> {
    /// The port.
    pub outbox: O,
    /// The topic's ARN.
    pub arn: String,
}

impl<O: Outbox> Topic<O> {
    /// An outbox bound to one topic.
    pub fn new(outbox: O, arn: impl Into<String>) -> Self {
        Self {
            outbox,
            arn: arn.into(),
        }
    }

    /// Publishes to this topic.
    pub async fn publish(&self, messages: &[Message]) -> Result<(), PortError> {
        self.outbox.publish(&self.arn, messages).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(bytes: usize) -> Message {
        Message::new(
            "s",
            &"e".repeat(bytes),
            &json!({"k": 1}),
            &json!({"version": "1.0"}),
            Level::High,
            "id",
        )
    }

    #[test]
    fn a_message_carries_three_deliveries() {
        let m = Message::new(
            "a\nb",
            "text",
            &json!({"kind": "x"}),
            &json!({"version": "1.0"}),
            Level::Low,
            "i",
        );
        assert_eq!(m.subject, "a?b");
        let (d, e, h) = m.deliveries().unwrap();
        assert_eq!(d["kind"], "x");
        assert_eq!(e, "text");
        assert_eq!(h["version"], "1.0");
        assert_eq!(m.email(), "text");
        assert_eq!(m.size(), m.body.len() + 3);
    }

    #[test]
    fn subjects_are_sns_safe() {
        let s = sns_subject(&format!("a\nb é {}", "x".repeat(200)));
        assert!(s.len() <= MAX_SUBJECT);
        assert!(s.is_ascii() && !s.contains('\n'));
        assert!(s.starts_with("a?b ? x"));
    }

    #[test]
    fn batches_respect_count_and_total_size() {
        let small: Vec<Message> = (0..23).map(|_| msg(100)).collect();
        assert_eq!(
            batches(&small, MAX_BATCH_BYTES),
            vec![0..10, 10..20, 20..23]
        );
        let big: Vec<Message> = (0..7).map(|_| msg(100_000)).collect();
        let b = batches(&big, MAX_BATCH_BYTES);
        for r in &b {
            let total: usize = big[r.clone()].iter().map(Message::size).sum();
            assert!(total <= MAX_BATCH_BYTES && r.len() <= 10);
        }
        assert_eq!(b.iter().map(Range::len).sum::<usize>(), big.len());
        // One too large for any batch goes alone.
        let huge = vec![msg(10), msg(300_000), msg(10)];
        assert_eq!(batches(&huge, MAX_BATCH_BYTES), vec![0..1, 1..2, 2..3]);
        assert!(batches(&[], MAX_BATCH_BYTES).is_empty());
    }
}
