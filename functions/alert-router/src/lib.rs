//! The alert router's handler: a CloudWatch Logs subscription batch of
//! CloudTrail events in, detection alerts published to SNS out.
//!
//! Generic over the [`Publisher`] port, so it runs on an in-memory fake in
//! unit tests, on the emulator end to end and on SNS in Lambda. A payload
//! that cannot be decoded, or a publish that fails, fails the invocation:
//! Lambda retries it and then hands it to the function's failure
//! destination, so no batch is dropped silently. A log event that is not a
//! CloudTrail record is counted and logged; the rest of the batch goes on.

use std::sync::Mutex;

use serde_json::{json, Value};
use trailguard::alert::evaluate;
use trailguard::alert::sns::{alert_messages, batches, notice, SnsMessage};
use trailguard::cloudtrail::cwlogs::{self, LogsError, LogsMessage};
use trailguard::config::RouterConfig;
use trailguard::detect::Level;
use trailguard::ports::{PortError, Publisher};
use trailguard::rules::Loaded;

/// CloudWatch Logs hands Lambda at most 1 MiB of compressed events per
/// invocation (6 MiB synchronous payloads at most); this cap on the base64
/// text leaves room and refuses anything absurd before decoding it.
pub const MAX_PAYLOAD_BASE64: usize = 8 * 1024 * 1024;

/// Rule problems listed in the start-up notice; the rest are in the log.
const MAX_NOTICE_LINES: usize = 20;

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

/// The handler, built once per container with the rules loaded.
pub struct Router<P> {
    loaded: Loaded,
    publisher: Option<P>,
    routes: Vec<(Level, String)>,
    sns_max_bytes: usize,
    max_inflated: u64,
    /// Messages about the configuration (rules that did not load), sent
    /// with the first successful publish of this container.
    notices: Mutex<Vec<SnsMessage>>,
}

impl<P: Publisher> Router<P> {
    /// A router; without a publisher (no topic) alerts are only logged.
    pub fn new(cfg: &RouterConfig, loaded: Loaded, publisher: Option<P>) -> Self {
        let routes = cfg.routes();
        if publisher.is_none() || routes.is_empty() {
            tracing::warn!("no SNS topic configured: alerts will only be logged");
        }
        let mut problems = Vec::new();
        for e in &loaded.rejected {
            tracing::error!(origin = %e.origin, id = e.id.as_deref().unwrap_or(""), error = %e, "rule not loaded");
            problems.push(format!("- {e}"));
        }
        for u in &loaded.unreadable {
            tracing::error!(error = %u, "rule file not read");
            problems.push(format!("- not read: {u}"));
        }
        for id in &loaded.unknown_in_tuning {
            tracing::warn!(rule = %id, "the tuning names a rule that is not loaded");
            problems.push(format!("- the tuning names rule {id}, which is not loaded"));
        }
        for i in &loaded.inactive {
            tracing::info!(origin = %i.origin, id = i.id.as_deref().unwrap_or(""), reason = %i.reason, "rule inactive");
        }
        let total = problems.len();
        if total > MAX_NOTICE_LINES {
            problems.truncate(MAX_NOTICE_LINES);
            problems.push(format!(
                "- ... and {} more: every one is an error line of the function's log",
                total - MAX_NOTICE_LINES
            ));
        }
        let notices = if problems.is_empty() {
            Vec::new()
        } else {
            vec![notice(
                "trailguard: detection rules need attention",
                &format!(
                    "The alert router started with {} rules in force, but:\n{}\n\n\
                     Rules that did not load are not evaluated until fixed. Check them with \
                     `trailguard rules check PATH`.",
                    loaded.active(),
                    problems.join("\n")
                ),
                Level::High,
            )]
        };
        tracing::info!(
            active = loaded.active(),
            rejected = loaded.rejected.len(),
            inactive = loaded.inactive.len(),
            dropped = loaded.detector.dropped.len(),
            min_severity = %loaded.detector.min_level(),
            "rules loaded"
        );
        Self {
            loaded,
            publisher,
            routes,
            sns_max_bytes: cfg.sns_max_bytes,
            max_inflated: cfg.max_inflated,
            notices: Mutex::new(notices),
        }
    }

    /// Handles one invocation payload.
    pub async fn handle(&self, payload: Value) -> Result<Value, RouterError> {
        let msg = match cwlogs::decode(&payload, MAX_PAYLOAD_BASE64, self.max_inflated)? {
            LogsMessage::Control => {
                tracing::info!("CloudWatch Logs control message acknowledged");
                return Ok(json!({"messageType": "CONTROL_MESSAGE"}));
            }
            LogsMessage::Data(m) => m,
        };
        let (records, rejected) = cwlogs::records(&msg);
        for r in &rejected {
            tracing::warn!(log_group = %msg.log_group, log_event = %r.id, reason = %r.reason, "log event is not a CloudTrail record");
        }
        let eval = evaluate(&self.loaded.detector, &records);
        let mut messages: Vec<SnsMessage> = Vec::new();
        for a in &eval.alerts {
            tracing::warn!(
                alert = %a.id, rule = %a.rule, severity = %a.severity, title = %a.title,
                event_name = %a.event_name, event_id = %a.event_id, count = a.count,
                principal = a.principal.as_deref().unwrap_or(""),
                source_ip = a.source_ip.as_deref().unwrap_or(""),
                "alert"
            );
            messages.extend(alert_messages(a, self.sns_max_bytes));
        }
        let published = self.publish(messages).await?;
        let summary = json!({
            "messageType": "DATA_MESSAGE",
            "logGroup": msg.log_group,
            "logStream": msg.log_stream,
            "events": msg.log_events.len(),
            "records": records.len(),
            "rejected": rejected.len(),
            "matches": eval.matches,
            "allowlisted": eval.allowlisted,
            "alerts": eval.alerts.len(),
            "published": published,
        });
        tracing::info!(summary = %summary, "batch done");
        Ok(summary)
    }

    /// Publishes each alert to every topic whose floor it reaches (a
    /// failure fails the invocation), then any pending notice to every
    /// topic whatever its floor (a failure is logged and the notice kept
    /// for the next invocation: it must not hold the alerts back). Returns
    /// how many messages were published.
    async fn publish(&self, messages: Vec<SnsMessage>) -> Result<usize, PortError> {
        let Some(publisher) = &self.publisher else {
            return Ok(0);
        };
        let mut count = 0;
        for (floor, topic) in &self.routes {
            let mine: Vec<SnsMessage> = messages
                .iter()
                .filter(|m| m.severity >= *floor)
                .cloned()
                .collect();
            for range in batches(&mine, trailguard::alert::sns::MAX_BATCH_BYTES) {
                publisher.publish_batch(topic, &mine[range]).await?;
            }
            count += mine.len();
        }
        let notices: Vec<SnsMessage> = self
            .notices
            .lock()
            .map(|n| n.clone())
            .unwrap_or_else(|p| p.into_inner().clone());
        if notices.is_empty() {
            return Ok(count);
        }
        let mut delivered = true;
        for (_, topic) in &self.routes {
            if let Err(e) = publisher.publish_batch(topic, &notices).await {
                tracing::error!(topic = %topic, error = %e, "could not publish the rules notice; will retry");
                delivered = false;
            } else {
                count += notices.len();
            }
        }
        if delivered {
            if let Ok(mut n) = self.notices.lock() {
                n.clear();
            }
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests;
