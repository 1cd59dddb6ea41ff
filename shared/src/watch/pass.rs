//! What a pass is asked ([`Request`], [`PassConfig`]) and what it gives
//! back ([`PassReport`], [`Summary`], [`PassError`]), plus the two helpers
//! every phase uses: below the phases, which import it, and below the
//! [`super::Watchdog`] that runs them.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::config::WatchdogConfig;
use crate::error::PortError;
use crate::watchdog::chain::ChainConfig;
use crate::watchdog::model::{CheckName, CheckResult, CheckStatus};
use crate::watchdog::requirements::Requirements;
use crate::watchdog::state::Notice;

/// What one pass needs to know.
#[derive(Debug, Clone)]
pub struct PassConfig {
    /// The region the pass runs in (trails are listed there).
    pub region: String,
    /// The caller's account, when known: trails owned by another account
    /// (organization trails seen from a member) are shadows.
    pub account: Option<String>,
    /// Trails by name or ARN; empty: every trail visible in the region.
    pub trails: Vec<String>,
    /// Report only: no repair, no state written, nothing published.
    pub dry_run: bool,
    /// What every trail must be.
    pub requirements: Requirements,
    /// A persisting problem is told again after this long.
    pub renotify: Duration,
    /// The functions' feeds outside the trail, for the chain's checks.
    pub chain: ChainConfig,
}

/// What a caller may ask of one pass, beyond the configuration: the
/// function's invocation payload (a scheduled event, or a direct
/// `{"dryRun": true, "trails": [...]}`) and the command's flags. Fields
/// it does not know (the rest of an EventBridge event) are ignored; a
/// known field of the wrong type is an error, never a silent default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// Report only (on top of the configuration's dry run, never instead).
    #[serde(default)]
    pub dry_run: bool,
    /// Trails to check instead of the configured ones.
    #[serde(default)]
    pub trails: Option<Vec<String>>,
    /// The region to run in instead of the function's (a scheduled event
    /// names it).
    #[serde(default)]
    pub region: Option<String>,
    /// The account, when neither the configuration nor the function's ARN
    /// gives it (a scheduled event names it).
    #[serde(default)]
    pub account: Option<String>,
}

impl PassConfig {
    /// The one place a pass is built from the configuration and a request.
    /// The account comes, in this order, from the configuration, the
    /// caller's own identity (the function's ARN), or the request.
    pub fn new(
        cfg: &WatchdogConfig,
        region: &str,
        caller_account: Option<&str>,
        req: &Request,
    ) -> Self {
        let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
        Self {
            region: nonempty(&req.region).unwrap_or_else(|| region.to_string()),
            account: cfg
                .account
                .clone()
                .or_else(|| caller_account.filter(|a| !a.is_empty()).map(str::to_string))
                .or_else(|| nonempty(&req.account)),
            trails: match &req.trails {
                Some(t) if !t.is_empty() => t.clone(),
                _ => cfg.trails.clone(),
            },
            dry_run: cfg.dry_run || req.dry_run,
            requirements: cfg.requirements.clone(),
            renotify: cfg.renotify,
            chain: cfg.chain.clone(),
        }
    }
}

/// Why a pass could not complete (AWS retries the invocation).
#[derive(Debug, thiserror::Error)]
pub enum PassError {
    /// CloudTrail or the state object failed (not AccessDenied, which is a
    /// finding).
    #[error(transparent)]
    Port(#[from] PortError),
    /// SNS did not take the notices; they stay pending in the state.
    #[error("publishing the watchdog's notices failed (kept for the next pass): {0}")]
    Publish(PortError),
    /// The pass repaired and told, but its memory could not be saved: the
    /// next pass may repeat a notice.
    #[error("the watchdog's state could not be saved (notices may repeat): {0}")]
    State(PortError),
}

/// What a pass found and told.
#[derive(Debug, Clone, Default)]
pub struct PassReport {
    /// One result per check per trail, after repairs.
    pub results: Vec<CheckResult>,
    /// The notices published (or that would be, in a dry run).
    pub notices: Vec<Notice>,
    /// Whether they went to SNS.
    pub published: bool,
    /// Notes for the log (a state object that could not be read...).
    pub warnings: Vec<String>,
}

/// A pass's results counted by status: the function's answer and the
/// command's summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The region the pass ran in.
    pub region: String,
    /// Whether it was a dry run.
    pub dry_run: bool,
    /// Results in all.
    pub checks: usize,
    /// Results per status.
    pub ok: usize,
    /// Repaired and confirmed.
    pub fixed: usize,
    /// Not as required, not repaired.
    pub drift: usize,
    /// Could not be checked, or the repair failed.
    pub failed: usize,
    /// Trails checked.
    pub trails: usize,
    /// Notices planned.
    pub notices: usize,
    /// Whether notices went to SNS.
    pub published: bool,
}

impl PassReport {
    /// Whether a problem remains (the command's exit status 1).
    pub fn has_problem(&self) -> bool {
        self.results.iter().any(|r| r.status.is_problem())
    }

    /// The results counted by status.
    pub fn summary(&self, pass: &PassConfig) -> Summary {
        let count = |s: CheckStatus| self.results.iter().filter(|r| r.status == s).count();
        let mut trails: Vec<&str> = self.results.iter().map(|r| r.trail.as_str()).collect();
        trails.sort_unstable();
        trails.dedup();
        Summary {
            region: pass.region.clone(),
            dry_run: pass.dry_run,
            checks: self.results.len(),
            ok: count(CheckStatus::Ok),
            fixed: count(CheckStatus::Fixed),
            drift: count(CheckStatus::Drift),
            failed: count(CheckStatus::Failed),
            trails: trails.len(),
            notices: self.notices.len(),
            published: self.published,
        }
    }

    /// Logs the warnings, one line per check (a warning unless ok) and one
    /// per notice: the function's record of a pass (and of a failed one,
    /// before its error).
    pub fn log(&self) {
        for w in &self.warnings {
            tracing::warn!("{w}");
        }
        for r in &self.results {
            // A check that is not ok is worth a warning (and the CLI, at its
            // default `warn`, shows it).
            if r.status == CheckStatus::Ok {
                tracing::info!(trail = %r.trail, check = %r.check, status = %r.status, detail = %r.detail, "check");
            } else {
                tracing::warn!(trail = %r.trail, check = %r.check, status = %r.status, detail = %r.detail, "check");
            }
        }
        for n in &self.notices {
            tracing::warn!(trail = %n.trail, check = %n.check, kind = ?n.kind, detail = %n.detail, "notice");
        }
    }
}

/// An answer that is a finding about the trail (refused, missing,
/// invalid), not an infrastructure failure to retry.
pub(super) fn finding(e: &PortError) -> bool {
    matches!(
        e,
        PortError::AccessDenied { .. } | PortError::NotFound { .. } | PortError::Rejected { .. }
    )
}

pub(super) fn failed(trail: &str, check: CheckName, detail: String) -> CheckResult {
    CheckResult {
        trail: trail.to_string(),
        check,
        status: CheckStatus::Failed,
        detail,
    }
}
