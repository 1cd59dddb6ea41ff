//! Phases 3 and 5 of a pass: plan the notices and make the plan durable
//! before repairing; then, on the final results, publish the notices and
//! cross off what SNS took ([`crate::watchdog::state`]'s protocol). The
//! notices are rendered here, by [`crate::alert::watchdog`]: the watchdog's
//! domain returns them and knows nothing of messages.

use chrono::{DateTime, Utc};

use super::pass::PassConfig;
use crate::alert::watchdog::watchdog_message;
use crate::error::PortError;
use crate::message::{Outbox, Topic, MAX_MESSAGE_BYTES};
use crate::ports::StateStore;
use crate::watchdog::model::CheckResult;
use crate::watchdog::state::{acknowledge, plan, AlertState, Notice};

/// The state, or an empty one (a repeat, never a miss) when it cannot be
/// read or used.
pub(super) async fn load_state<S: StateStore>(store: &S, warnings: &mut Vec<String>) -> AlertState {
    match store.load().await {
        Ok(None) => AlertState::new(),
        Ok(Some(text)) => match AlertState::from_json(text.as_bytes()) {
            Ok(s) => s,
            Err(e) => {
                warnings.push(format!("{e}; starting from an empty state"));
                AlertState::new()
            }
        },
        Err(e) => {
            warnings.push(format!(
                "cannot read the alert state ({e}); starting from an empty state"
            ));
            AlertState::new()
        }
    }
}

pub(super) async fn save_state<S: StateStore>(
    store: &S,
    state: &AlertState,
) -> Result<(), PortError> {
    let bytes = state.to_json().map_err(|e| PortError::BadResponse {
        operation: "PutObject",
        resource: "watchdog state".into(),
        message: e.to_string(),
    })?;
    store.save(&String::from_utf8_lossy(&bytes)).await
}

/// Phase 3: the plan on what was observed, saved before any repair (so a
/// notice cannot be lost to a crash mid-repair). A failed save is returned,
/// not raised: repairing and telling matter more than remembering.
pub(super) async fn plan_and_save<S: StateStore>(
    store: Option<&S>,
    prev: &AlertState,
    observed: &[CheckResult],
    cfg: &PassConfig,
    now: DateTime<Utc>,
    seen: impl FnOnce(&mut AlertState),
) -> (AlertState, Option<PortError>) {
    let mut first = plan(prev, observed, now, cfg.renotify).next;
    seen(&mut first);
    let error = match store {
        Some(s) => save_state(s, &first).await.err(),
        None => None,
    };
    (first, error)
}

/// What phase 5 did.
pub(super) struct Told {
    /// The notices of the final plan.
    pub notices: Vec<Notice>,
    /// Whether any went to SNS.
    pub published: bool,
    /// The first failure to save the state.
    pub state_error: Option<PortError>,
}

/// Phase 5: plans on the final results, saves, publishes, crosses off.
/// `Err` when SNS refused (the rest stays pending in the state).
pub(super) async fn publish_and_acknowledge<S: StateStore, O: Outbox>(
    store: Option<&S>,
    topic: Option<&Topic<O>>,
    first: &AlertState,
    results: &[CheckResult],
    cfg: &PassConfig,
    now: DateTime<Utc>,
) -> Result<Told, (Told, PortError)> {
    let last = plan(first, results, now, cfg.renotify);
    let mut next = last.next.clone();
    next.trails.clone_from(&first.trails);
    let mut told = Told {
        notices: last.notices.clone(),
        published: false,
        state_error: None,
    };
    if let Some(s) = store {
        told.state_error = save_state(s, &next).await.err();
    }
    let delivered = match topic {
        Some(t) if !last.notices.is_empty() => {
            let (done, err) = publish(t, &last.notices, &cfg.region).await;
            told.published = done > 0;
            if let Some(e) = err {
                if let Some(s) = store {
                    // Cross off what did go; the rest stays pending.
                    if let Err(se) = save_state(s, &acknowledge(&next, &last.notices[..done])).await
                    {
                        // The pass fails on the publish error anyway; the
                        // published notices may then be sent again.
                        tracing::warn!(error = %se, "could not record the notices already published");
                    }
                }
                return Err((told, e));
            }
            done
        }
        // Nobody to tell: the caller logs them; counted as delivered so the
        // pending list does not grow pass after pass.
        _ => last.notices.len(),
    };
    if let (Some(s), true) = (store, delivered > 0) {
        if let Err(e) = save_state(s, &acknowledge(&next, &last.notices[..delivered])).await {
            told.state_error.get_or_insert(e);
        }
    }
    Ok(told)
}

/// SNS's message limit less room for the subject and envelope.
const MAX_NOTICE_MESSAGE: usize = MAX_MESSAGE_BYTES - 16 * 1024;

/// Publishes notices in as many messages as their size needs, one message
/// per call so that a failure leaves a known prefix delivered; returns how
/// many notices went (a prefix of `notices`) and the error that stopped it.
async fn publish<O: Outbox>(
    topic: &Topic<O>,
    notices: &[Notice],
    region: &str,
) -> (usize, Option<PortError>) {
    let mut done = 0;
    while done < notices.len() {
        // The largest run from `done` whose message fits (at least one).
        let mut take = notices.len() - done;
        let mut m = watchdog_message(&notices[done..done + take], region);
        while take > 1 && m.size() > MAX_NOTICE_MESSAGE {
            take = take.div_ceil(2);
            m = watchdog_message(&notices[done..done + take], region);
        }
        if let Err(e) = topic.publish(std::slice::from_ref(&m)).await {
            return (done, Some(e));
        }
        done += take;
    }
    (done, None)
}
