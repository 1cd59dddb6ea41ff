//! The alert router's flow: a decoded CloudWatch Logs batch of CloudTrail
//! events in, detection alerts published out.
//!
//! Generic over the [`Outbox`] port, so it runs on an in-memory fake in
//! unit tests, on the emulator end to end and on SNS in Lambda. A publish
//! that fails is an error (the invocation fails and is retried: a retry may
//! repeat an alert, never lose one). A log event that is not a CloudTrail
//! record is counted and logged; the rest of the batch goes on. The Lambda
//! function decodes the payload and encodes the [`Routed`] summary; `trailguard
//! scan` evaluates files with the same [`crate::alert::evaluate`].

use std::sync::Mutex;

use serde::Serialize;

use crate::alert::notice::notice;
use crate::alert::split::alert_messages;
use crate::alert::{evaluate, Alert};
use crate::cloudtrail::cwlogs::{self, DataMessage};
use crate::config::RouterConfig;
use crate::detect::Level;
use crate::error::PortError;
use crate::message::{Message, Outbox};
use crate::rules::Loaded;

/// Rule problems listed in the start-up notice; the rest are in the log.
const MAX_NOTICE_LINES: usize = 20;

/// What one batch came to: the function's answer and its log line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Routed {
    /// The log group the batch came from.
    pub log_group: String,
    /// The log stream.
    pub log_stream: String,
    /// Log events in the batch.
    pub events: usize,
    /// CloudTrail records among them.
    pub records: usize,
    /// Log events that were not CloudTrail records.
    pub rejected: usize,
    /// Rule matches before dedupe.
    pub matches: usize,
    /// Matches an allowlist suppressed.
    pub allowlisted: usize,
    /// Alerts after dedupe.
    pub alerts: usize,
    /// Messages published (alerts, their parts, notices).
    pub published: usize,
}

/// The router, built once per container with the rules loaded.
pub struct Router<O> {
    loaded: Loaded,
    outbox: Option<O>,
    routes: Vec<(Level, String)>,
    sns_max_bytes: usize,
    /// Messages about the configuration (rules that did not load), sent
    /// with the first successful publish of this container.
    notices: Mutex<Vec<Message>>,
}

impl<O: Outbox> Router<O> {
    /// A router; without an outbox (no topic) alerts are only logged.
    pub fn new(cfg: &RouterConfig, loaded: Loaded, outbox: Option<O>) -> Self {
        let routes = cfg.routes();
        if outbox.is_none() || routes.is_empty() {
            tracing::warn!("no SNS topic configured: alerts will only be logged");
        }
        let notices = rules_notice(&loaded).into_iter().collect();
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
            outbox,
            routes,
            sns_max_bytes: cfg.sns_max_bytes,
            notices: Mutex::new(notices),
        }
    }

    /// Evaluates one batch and publishes its alerts.
    pub async fn route(&self, msg: &DataMessage) -> Result<Routed, PortError> {
        let (records, rejected) = cwlogs::records(msg);
        for r in &rejected {
            tracing::warn!(log_group = %msg.log_group, log_event = %r.id, reason = %r.reason, "log event is not a CloudTrail record");
        }
        let eval = evaluate(&self.loaded.detector, &records);
        let mut messages: Vec<Message> = Vec::new();
        for a in &eval.alerts {
            log_alert(a);
            messages.extend(alert_messages(a, self.sns_max_bytes));
        }
        let published = self.publish(messages).await?;
        Ok(Routed {
            log_group: msg.log_group.clone(),
            log_stream: msg.log_stream.clone(),
            events: msg.log_events.len(),
            records: records.len(),
            rejected: rejected.len(),
            matches: eval.matches,
            allowlisted: eval.allowlisted,
            alerts: eval.alerts.len(),
            published,
        })
    }

    /// Publishes each alert to every topic whose floor it reaches (a
    /// failure fails the invocation), then any pending notice to every
    /// topic whatever its floor (a failure is logged and the notice kept
    /// for the next invocation: it must not hold the alerts back). Returns
    /// how many messages were published.
    async fn publish(&self, messages: Vec<Message>) -> Result<usize, PortError> {
        let Some(outbox) = &self.outbox else {
            return Ok(0);
        };
        let mut count = 0;
        for (floor, topic) in &self.routes {
            let mine: Vec<Message> = messages
                .iter()
                .filter(|m| m.severity >= *floor)
                .cloned()
                .collect();
            if !mine.is_empty() {
                outbox.publish(topic, &mine).await?;
            }
            count += mine.len();
        }
        let notices: Vec<Message> = self
            .notices
            .lock()
            .map(|n| n.clone())
            .unwrap_or_else(|p| p.into_inner().clone());
        if notices.is_empty() {
            return Ok(count);
        }
        let mut delivered = true;
        for (_, topic) in &self.routes {
            if let Err(e) = outbox.publish(topic, &notices).await {
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

fn log_alert(a: &Alert) {
    tracing::warn!(
        alert = %a.id, rule = %a.rule, severity = %a.severity, title = %a.title,
        event_name = %a.event_name, event_id = %a.event_id, count = a.count,
        principal = a.principal.as_deref().unwrap_or(""),
        source_ip = a.source_ip.as_deref().unwrap_or(""),
        "alert"
    );
}

/// The start-up notice about rules that did not load, files not read and
/// tuning entries naming no rule; `None` when all is well. Every problem
/// is also an error line of the log.
fn rules_notice(loaded: &Loaded) -> Option<Message> {
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
    if problems.is_empty() {
        return None;
    }
    let total = problems.len();
    if total > MAX_NOTICE_LINES {
        problems.truncate(MAX_NOTICE_LINES);
        problems.push(format!(
            "- ... and {} more: every one is an error line of the function's log",
            total - MAX_NOTICE_LINES
        ));
    }
    Some(notice(
        "trailguard: detection rules need attention",
        &format!(
            "The alert router started with {} rules in force, but:\n{}\n\n\
             Rules that did not load are not evaluated until fixed. Check them with \
             `trailguard rules check PATH`.",
            loaded.active(),
            problems.join("\n")
        ),
        Level::High,
    ))
}
