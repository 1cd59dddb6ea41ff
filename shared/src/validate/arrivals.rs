//! The integrity validator's flow: the objects of one invocation (an S3
//! event, EventBridge's Object Created, or an SQS batch of either) checked
//! as they arrive, every verdict logged, the findings alerted in one
//! message.
//!
//! A finding is a successful invocation with an alert; an infrastructure
//! failure is an error (or, from SQS, a failed message) so that AWS retries.
//! The Lambda function decodes the payload
//! ([`crate::cloudtrail::events::decode_invocation`]) and encodes the
//! [`Checked`] answer.

use super::ObjectValidator;
use crate::alert::integrity_message;
use crate::cloudtrail::events::{Invocation, ObjectEvent};
use crate::cloudtrail::keys::{classify, DigestKey, ObjectKind};
use crate::error::PortError;
use crate::integrity::verdict::{FileKind, Verdict};
use crate::message::{Outbox, Topic};
use crate::ports::{Checkpoint, Checkpoints, NoCheckpoints, ObjectStore, PublicKeys};

/// What an invocation came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// S3's test event on configuring the notification: nothing to check.
    TestEvent,
    /// The files checked, and how many were invalid.
    Files {
        /// Verdicts in all.
        checked: usize,
        /// Invalid ones.
        invalid: usize,
        /// SQS messages that failed (an AWS failure, or a body that is
        /// not an event), for SQS to redeliver; empty for other triggers.
        failed_messages: Vec<String>,
    },
}

/// The validator with its ports, built once per container.
pub struct Arrivals<S, K, O, C = NoCheckpoints> {
    validator: ObjectValidator<S, K>,
    topic: Option<Topic<O>>,
    checkpoints: C,
}

impl<S: ObjectStore, K: PublicKeys, O: Outbox> Arrivals<S, K, O> {
    /// The flow; without a topic findings are only logged.
    pub fn new(validator: ObjectValidator<S, K>, topic: Option<Topic<O>>) -> Self {
        if topic.is_none() {
            tracing::warn!("no SNS topic configured: findings will only be logged");
        }
        Self {
            validator,
            topic,
            checkpoints: NoCheckpoints,
        }
    }

    /// Records the last digest verified per chain in `checkpoints`, for
    /// the watchdog to tell whether the validator keeps up.
    pub fn with_checkpoints<C: Checkpoints>(self, checkpoints: C) -> Arrivals<S, K, O, C> {
        Arrivals {
            validator: self.validator,
            topic: self.topic,
            checkpoints,
        }
    }
}

impl<S: ObjectStore, K: PublicKeys, O: Outbox, C: Checkpoints> Arrivals<S, K, O, C> {
    /// Checks every object of a decoded invocation and alerts the findings.
    /// From SQS, a message that fails is reported for redelivery and the
    /// others go on; if the alert cannot be sent the whole invocation fails
    /// (a repeated verdict is harmless, a lost alert is not).
    pub async fn check(&self, inv: Invocation) -> Result<Checked, PortError> {
        let (verdicts, failed_messages) = match inv {
            Invocation::TestEvent => {
                tracing::info!("S3 test event acknowledged");
                return Ok(Checked::TestEvent);
            }
            Invocation::Direct(events) => (self.validate_all(&events).await?, Vec::new()),
            Invocation::Queue(messages) => {
                let mut failures = Vec::new();
                let mut verdicts = Vec::new();
                for m in messages {
                    let result = match m.events {
                        Ok(events) => self.validate_all(&events).await.map_err(|e| e.to_string()),
                        Err(e) => Err(format!("cannot decode the message: {e}")),
                    };
                    match result {
                        Ok(v) => verdicts.extend(v),
                        Err(e) => {
                            tracing::error!(message_id = %m.message_id, error = %e, "message failed; SQS will redeliver it");
                            failures.push(m.message_id);
                        }
                    }
                }
                (verdicts, failures)
            }
        };
        // Before the alert: a checkpoint that cannot be written fails the
        // invocation, and the retry alerts again (harmless); a checkpoint
        // silently missing would read as a lagging validator.
        self.record(&verdicts).await?;
        self.alert(&verdicts).await?;
        Ok(Checked::Files {
            checked: verdicts.len(),
            invalid: verdicts.iter().filter(|v| !v.is_valid()).count(),
            failed_messages,
        })
    }

    async fn validate_all(&self, events: &[ObjectEvent]) -> Result<Vec<Verdict>, PortError> {
        let mut out = Vec::new();
        for ev in events {
            let verdicts = self.validator.on_event(ev).await?;
            if verdicts.is_empty() {
                tracing::debug!(bucket = %ev.bucket, key = %ev.key, "not a CloudTrail file; skipped");
            }
            for v in &verdicts {
                log_verdict(v);
            }
            out.extend(verdicts);
        }
        Ok(out)
    }

    /// A checkpoint per chain for the newest valid digest among `verdicts`.
    async fn record(&self, verdicts: &[Verdict]) -> Result<(), PortError> {
        let mut newest: std::collections::BTreeMap<String, (DigestKey, &Verdict)> =
            std::collections::BTreeMap::new();
        for v in verdicts
            .iter()
            .filter(|v| v.is_valid() && v.kind == FileKind::Digest)
        {
            let ObjectKind::Digest(d) = classify(&v.key) else {
                continue;
            };
            if d.backfill {
                continue;
            }
            let chain = format!(
                "{}/{}/{}/{}",
                d.home_region, d.trail_name, d.location.account, d.location.region
            );
            if newest
                .get(&chain)
                .is_none_or(|(n, _)| n.timestamp < d.timestamp)
            {
                newest.insert(chain, (d, v));
            }
        }
        for (d, v) in newest.into_values() {
            let c = Checkpoint {
                trail: d.trail_name,
                home_region: d.home_region,
                account: d.location.account,
                region: d.location.region,
                digest_key: v.key.clone(),
                digest_at: d.timestamp,
                verified_at: chrono::Utc::now(),
            };
            self.checkpoints.record(&c).await?;
        }
        Ok(())
    }

    async fn alert(&self, verdicts: &[Verdict]) -> Result<(), PortError> {
        let Some(bucket) = verdicts
            .iter()
            .find(|v| !v.is_valid())
            .map(|v| v.bucket.clone())
        else {
            return Ok(());
        };
        let (Some(m), Some(topic)) = (
            integrity_message(&format!("s3://{bucket}"), verdicts),
            &self.topic,
        ) else {
            return Ok(());
        };
        topic.publish(std::slice::from_ref(&m)).await?;
        tracing::info!(subject = %m.subject, "alert published");
        Ok(())
    }
}

/// Every verdict is one structured log line.
fn log_verdict(v: &Verdict) {
    let (status, reason, code) = match &v.reason {
        None => ("valid", String::new(), ""),
        Some(r) => ("invalid", r.text(), r.code()),
    };
    if v.is_valid() {
        tracing::info!(kind = ?v.kind, bucket = %v.bucket, key = %v.key, status, "verdict");
    } else {
        tracing::warn!(kind = ?v.kind, bucket = %v.bucket, key = %v.key, status, reason, code, "verdict");
    }
}
