//! Anti-storm memory: which problems people have been told about, and the
//! notices planned but not yet known to be delivered.
//!
//! The watchdog runs every five minutes; without memory a stopped trail
//! would page someone 288 times a day. [`plan`] turns a pass's results and
//! the previous state into the notices to send and the next state:
//!
//! | result           | known problem before?        | notice                                  |
//! |------------------|------------------------------|-----------------------------------------|
//! | `drift`/`failed` | no                           | [`NoticeKind::Problem`]                 |
//! | `drift`/`failed` | yes, notified < interval ago | none                                    |
//! | `drift`/`failed` | yes, notified ≥ interval ago | [`NoticeKind::StillProblem`]            |
//! | `fixed`          | either                       | [`NoticeKind::Fixed`] (always)          |
//! | `ok`             | yes                          | [`NoticeKind::Resolved`]                |
//! | `ok`             | no                           | none                                    |
//!
//! A `fixed` is always told, even when the same check was fixed last pass:
//! "logging was stopped, restarted, stopped again" is a story people must
//! hear each time. Only problems are remembered ([`Entry`]), so the state
//! stays small. Entries of trails or checks absent from a pass's results
//! (a trail that could not be read, a check switched off) are kept as they
//! are; entries not seen for [`FORGET_AFTER`] are dropped (a deleted trail
//! is the caller's to report).
//!
//! # The delivery protocol
//!
//! Publishing and saving cannot be one atomic step, so notices are written
//! down *before* they are sent and crossed off *after*:
//!
//! 1. Load the state. A missing object is [`AlertState::new`]; one that
//!    does not parse ([`StateError`]) is logged and treated as new too.
//! 2. Evaluate every trail and `plan` the results as observed, before any
//!    repair; save `plan.next`. Its `pending` holds every notice to send,
//!    including those left over from a pass that failed to publish.
//! 3. Make the repairs and read the trails back (`fixed` or `failed`).
//!    `plan` again from the state of step 2, with the same `now` and the
//!    final results, and save. A `fixed` takes the place of the problem
//!    notice step 2 planned for the same check (it says what was wrong,
//!    `was`, and since when), so people get one message per incident; a
//!    `failed` refreshes the pending problem notice's status and detail.
//! 4. Publish `plan.notices` in order. If SNS fails, fail the invocation:
//!    the notices stay pending in the saved state and the next pass (or
//!    Lambda's retry) sends them again, even if the trail is fine by then.
//! 5. Save [`acknowledge`]`(&plan.next, &published)`.
//!
//! Why this repeats but never misses an alert: a notice is durable before
//! it is sent (step 2 saves it, and step 2 comes before any repair, so a
//! crash after a repair still leaves the problem pending; the next pass
//! then sees the trail fine and adds a `resolved`). A crash between 4 and
//! 5 re-sends what was sent: a repeat. Losing the state entirely (deleted,
//! corrupt, an unknown version) forgets which problems were told and when;
//! every standing problem is then told again as new: a repeat. Nothing in
//! the state ever *suppresses* a first notice, so no loss of it can hide one.
//! A repair already made is not repeated blindly: every pass reads the
//! trail again, and a check that holds is `ok`, with nothing to repair.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::model::{CheckName, CheckResult, CheckStatus};

/// The format written by this version.
pub const STATE_VERSION: u32 = 1;

/// How long an entry is kept without a result for its trail and check: a
/// trail gone this long is gone, and forgetting it at worst repeats an
/// alert if it comes back.
pub const FORGET_AFTER: Duration = Duration::days(30);

/// A state object that cannot be used. The caller starts from an empty
/// state, which may repeat alerts and never misses one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// Not JSON, or not this format.
    #[error("alert state is corrupt: {0}")]
    Corrupt(String),
    /// Written by another version of trailguard.
    #[error("alert state has version {found}; this version reads {STATE_VERSION}")]
    UnknownVersion {
        /// The version found.
        found: u64,
    },
}

/// What the watchdog remembers between passes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertState {
    /// [`STATE_VERSION`].
    pub version: u32,
    /// Standing problems, by [`key`].
    #[serde(default)]
    pub entries: BTreeMap<String, Entry>,
    /// Notices planned but not known to be delivered, oldest first.
    #[serde(default)]
    pub pending: Vec<Notice>,
    /// Every trail seen, with when it was last seen: a trail that vanishes
    /// from the listing is reported as gone (deleted trails must not
    /// simply drop out of the results).
    #[serde(default)]
    pub trails: BTreeMap<String, DateTime<Utc>>,
}

impl Default for AlertState {
    fn default() -> AlertState {
        AlertState::new()
    }
}

impl AlertState {
    /// No memory: every standing problem will be told.
    pub fn new() -> AlertState {
        AlertState {
            version: STATE_VERSION,
            entries: BTreeMap::new(),
            pending: Vec::new(),
            trails: BTreeMap::new(),
        }
    }

    /// Reads a stored state, refusing other versions and anything corrupt.
    pub fn from_json(bytes: &[u8]) -> Result<AlertState, StateError> {
        #[derive(Deserialize)]
        struct Header {
            version: u64,
        }
        let header: Header =
            serde_json::from_slice(bytes).map_err(|e| StateError::Corrupt(e.to_string()))?;
        if header.version != u64::from(STATE_VERSION) {
            return Err(StateError::UnknownVersion {
                found: header.version,
            });
        }
        serde_json::from_slice(bytes).map_err(|e| StateError::Corrupt(e.to_string()))
    }

    /// The stored form (compact JSON).
    pub fn to_json(&self) -> Result<Vec<u8>, StateError> {
        serde_json::to_vec(self).map_err(|e| StateError::Corrupt(e.to_string()))
    }
}

/// The entry key of a trail's check: `"TRAIL_ARN|check"`.
pub fn key(trail: &str, check: CheckName) -> String {
    format!("{trail}|{check}")
}

/// A standing problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The trail's ARN.
    pub trail: String,
    /// The check.
    pub check: CheckName,
    /// `drift` or `failed`, as last seen.
    pub status: CheckStatus,
    /// When the problem was first seen (since the state was last lost).
    pub since: DateTime<Utc>,
    /// When people were last told (planned: see the module's protocol).
    pub last_notified: DateTime<Utc>,
    /// When a result for it was last seen.
    pub last_seen: DateTime<Utc>,
    /// The detail last seen.
    pub detail: String,
}

/// Why a notice is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A new problem.
    Problem,
    /// A problem still standing after the re-notify interval.
    StillProblem,
    /// A known problem is gone (without a repair by the watchdog).
    Resolved,
    /// The watchdog repaired a problem this pass.
    Fixed,
}

impl NoticeKind {
    fn is_problem(self) -> bool {
        matches!(self, NoticeKind::Problem | NoticeKind::StillProblem)
    }
}

/// One message to send about one trail's check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The trail's ARN.
    pub trail: String,
    /// The check.
    pub check: CheckName,
    /// Why it is sent.
    pub kind: NoticeKind,
    /// The check's status when planned (refreshed while pending).
    pub status: CheckStatus,
    /// The check's detail when planned (refreshed while pending).
    pub detail: String,
    /// For `resolved` and `fixed`: the problem as last seen, so the notice
    /// reads on its own even when the problem notice was superseded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub was: Option<String>,
    /// When the problem began.
    pub since: DateTime<Utc>,
    /// The pass that planned it.
    pub at: DateTime<Utc>,
}

/// The outcome of [`plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Everything to publish now, in order: notices left pending by earlier
    /// passes first, then this pass's. Equal to `next.pending`.
    pub notices: Vec<Notice>,
    /// The state to save before publishing.
    pub next: AlertState,
}

/// Plans the notices for a pass's `results` (see the module documentation
/// for the rules and the protocol). A non-positive `renotify` re-notifies
/// standing problems every pass.
pub fn plan(
    prev: &AlertState,
    results: &[CheckResult],
    now: DateTime<Utc>,
    renotify: Duration,
) -> Plan {
    let mut entries = prev.entries.clone();
    let mut pending = prev.pending.clone();
    let mut seen = std::collections::BTreeSet::new();
    for r in results {
        let k = key(&r.trail, r.check);
        seen.insert(k.clone());
        let notice = |kind, since, was| Notice {
            trail: r.trail.clone(),
            check: r.check,
            kind,
            status: r.status,
            detail: r.detail.clone(),
            was,
            since,
            at: now,
        };
        match r.status {
            CheckStatus::Drift | CheckStatus::Failed => match entries.get_mut(&k) {
                None => {
                    entries.insert(
                        k,
                        Entry {
                            trail: r.trail.clone(),
                            check: r.check,
                            status: r.status,
                            since: now,
                            last_notified: now,
                            last_seen: now,
                            detail: r.detail.clone(),
                        },
                    );
                    pending.push(notice(NoticeKind::Problem, now, None));
                }
                Some(e) => {
                    e.status = r.status;
                    e.detail.clone_from(&r.detail);
                    e.last_seen = now;
                    let undelivered = pending.iter_mut().find(|p| {
                        p.trail == r.trail
                            && p.check == r.check
                            && p.kind.is_problem()
                            && p.since == e.since
                    });
                    if let Some(p) = undelivered {
                        // Not sent yet: send the freshest word instead.
                        p.status = r.status;
                        p.detail.clone_from(&r.detail);
                    } else if e.last_notified + renotify <= now {
                        e.last_notified = now;
                        let since = e.since;
                        pending.push(notice(NoticeKind::StillProblem, since, None));
                    }
                }
            },
            CheckStatus::Fixed => {
                let (since, was) = match entries.remove(&k) {
                    Some(e) => (e.since, Some(e.detail)),
                    None => (now, None),
                };
                supersede(&mut pending, notice(NoticeKind::Fixed, since, was));
            }
            CheckStatus::Ok => {
                if let Some(e) = entries.remove(&k) {
                    supersede(
                        &mut pending,
                        notice(NoticeKind::Resolved, e.since, Some(e.detail)),
                    );
                }
            }
        }
    }
    entries.retain(|k, e| seen.contains(k) || e.last_seen + FORGET_AFTER >= now);
    let mut trails = prev.trails.clone();
    trails.retain(|_, last| *last + FORGET_AFTER >= now);
    let next = AlertState {
        version: STATE_VERSION,
        entries,
        pending,
        trails,
    };
    Plan {
        notices: next.pending.clone(),
        next,
    }
}

/// Queues a `fixed` or `resolved` notice. Within one pass (the plans
/// before and after repairs share `now`), it takes the place of the
/// problem notice planned earlier in the pass for the same check, or of
/// the same kind of notice planned again; notices left pending by earlier
/// passes are kept and re-sent before it.
fn supersede(pending: &mut Vec<Notice>, mut n: Notice) {
    let replaces = |p: &Notice| {
        p.trail == n.trail
            && p.check == n.check
            && p.at == n.at
            && (p.kind.is_problem() || p.kind == n.kind)
    };
    match pending.iter_mut().find(|p| replaces(p)) {
        Some(p) => {
            if n.was.is_none() {
                n.was = if p.kind.is_problem() {
                    Some(p.detail.clone())
                } else {
                    p.was.clone()
                };
            }
            n.since = n.since.min(p.since);
            *p = n;
        }
        None => pending.push(n),
    }
}

/// The state once `delivered` notices are known to be published: each is
/// crossed off the pending list (once per copy delivered).
pub fn acknowledge(state: &AlertState, delivered: &[Notice]) -> AlertState {
    let mut next = state.clone();
    for d in delivered {
        if let Some(i) = next.pending.iter().position(|p| p == d) {
            next.pending.remove(i);
        }
    }
    next
}
