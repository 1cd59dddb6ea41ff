//! The logging watchdog's flow: one pass through the ports, as five
//! phases, each a function of its own.
//!
//! 1. [`targets`]: list the trails, pick the ones to check, report the
//!    missing and the shadows.
//! 2. [`observe`]: read every local trail and the chain around it, and
//!    evaluate them ([`crate::watchdog`] decides; this only reads).
//! 3. [`tell`]: plan the notices on what was observed and save the plan
//!    before repairing.
//! 4. [`repair`]: repair what may be repaired, read back, decide `fixed` or
//!    `failed`.
//! 5. [`tell`]: plan on the final results, render and publish the notices,
//!    cross off what SNS took.
//!
//! A finding (a stopped trail, a drifted setting, AccessDenied, a missing
//! trail) is a result and a notice; an infrastructure failure (CloudTrail
//! or S3 unavailable after the SDK's retries, SNS down) is an error, so
//! that the invocation fails and is retried. Notices are saved as pending
//! before any repair and crossed off only after SNS took them. The Lambda
//! function and `trailguard watchdog` both drive this module through
//! [`Watchdog`].

mod observe;
mod repair;
mod targets;
mod tell;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::config::WatchdogConfig;
use crate::error::PortError;
use crate::message::{Outbox, Topic};
use crate::ports::StateStore;
use crate::watchdog::chain::ChainConfig;
use crate::watchdog::model::{CheckName, CheckResult, CheckStatus};
use crate::watchdog::ports::{GuardChain, TrailControl};
use crate::watchdog::requirements::Requirements;
use crate::watchdog::state::{AlertState, Notice};

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
fn finding(e: &PortError) -> bool {
    matches!(
        e,
        PortError::AccessDenied { .. } | PortError::NotFound { .. } | PortError::Rejected { .. }
    )
}

fn failed(trail: &str, check: CheckName, detail: String) -> CheckResult {
    CheckResult {
        trail: trail.to_string(),
        check,
        status: CheckStatus::Failed,
        detail,
    }
}

/// The watchdog with its ports, built once (per Lambda container, per
/// command run).
pub struct Watchdog<C, G, S, O> {
    ctl: C,
    chain: Option<G>,
    store: Option<S>,
    topic: Option<Topic<O>>,
    cfg: WatchdogConfig,
    region: String,
}

impl<C: TrailControl, G: GuardChain, S: StateStore, O: Outbox> Watchdog<C, G, S, O> {
    /// A watchdog for `region` (the caller's). Without a chain reader the
    /// log bucket and the functions' feeds are not checked; without a store
    /// every standing problem is told at every pass; without a topic
    /// notices are only logged.
    pub fn new(
        ctl: C,
        chain: Option<G>,
        store: Option<S>,
        topic: Option<Topic<O>>,
        cfg: WatchdogConfig,
        region: impl Into<String>,
    ) -> Self {
        if store.is_none() {
            tracing::warn!(
                "no TRAILGUARD_STATE_BUCKET: every standing problem will be alerted at every pass"
            );
        }
        if topic.is_none() {
            tracing::warn!("no SNS topic configured: notices will only be logged");
        }
        Self {
            ctl,
            chain,
            store,
            topic,
            cfg,
            region: region.into(),
        }
    }

    /// The pass a request asks for, `caller_account` being the account of
    /// the identity running it (from the function's ARN).
    pub fn pass_config(&self, req: &Request, caller_account: Option<&str>) -> PassConfig {
        PassConfig::new(&self.cfg, &self.region, caller_account, req)
    }

    /// Whether notices can be published (a topic is configured).
    pub fn publishes(&self) -> bool {
        self.topic.is_some()
    }

    /// Runs one pass. A pass that fails after acting logs its report
    /// first: a repaired trail, a refused repair and a pending notice must
    /// not vanish behind "the pass failed".
    pub async fn run(&self, cfg: &PassConfig, now: DateTime<Utc>) -> Result<PassReport, PassError> {
        let mut report = PassReport::default();
        match self.pass(cfg, now, &mut report).await {
            Ok(()) => Ok(report),
            Err(e) => {
                if !report.results.is_empty() || !report.warnings.is_empty() {
                    tracing::warn!("this pass failed after acting; what it found and did:");
                    report.log();
                }
                Err(e)
            }
        }
    }

    async fn pass(
        &self,
        cfg: &PassConfig,
        now: DateTime<Utc>,
        report: &mut PassReport,
    ) -> Result<(), PassError> {
        let store = if cfg.dry_run {
            None
        } else {
            self.store.as_ref()
        };
        let prev = match store {
            Some(s) => tell::load_state(s, &mut report.warnings).await,
            None => AlertState::new(),
        };
        // 1. The trails.
        let targets = targets::list_targets(&self.ctl, cfg, &prev).await?;
        // 2. Observe and evaluate.
        let seen =
            observe::observe_all(&self.ctl, self.chain.as_ref(), targets.local, cfg, now).await?;
        let mut observed = targets.results;
        observed.extend(seen.trails.iter().flat_map(|o| o.results()));
        observed.extend(seen.chain.iter().cloned());
        // 3. Plan on what was observed, and make it durable before repairing.
        let (first, mut state_error) =
            tell::plan_and_save(store, &prev, &observed, cfg, now, |s| {
                for o in &seen.trails {
                    s.trails.insert(o.trail.arn.clone(), now);
                }
            })
            .await;
        // 4. Repair, read back, decide fixed or failed.
        let mut results: Vec<CheckResult> = observed
            .into_iter()
            .filter(|r| !seen.trails.iter().any(|o| o.trail.arn == r.trail))
            .collect();
        let (repaired, infra) = repair::repair_and_confirm(&self.ctl, &seen.trails, cfg, now).await;
        results.extend(repaired);
        // Keep the output in a stable order: by trail, then check.
        results.sort_by(|a, b| a.trail.cmp(&b.trail).then(a.check.cmp(&b.check)));
        report.results = results;
        if cfg.dry_run {
            report.notices =
                crate::watchdog::state::plan(&prev, &report.results, now, cfg.renotify).notices;
            return match seen.chain_outage {
                Some(e) => Err(e.into()),
                None => Ok(()),
            };
        }
        // 5. Plan on the final results, save, publish, cross off.
        let told = tell::publish_and_acknowledge(
            store,
            self.topic.as_ref(),
            &first,
            &report.results,
            cfg,
            now,
        )
        .await;
        let told = match told {
            Ok(t) => t,
            Err((t, e)) => {
                report.notices = t.notices;
                report.published = t.published;
                return Err(PassError::Publish(e));
            }
        };
        report.notices = told.notices;
        report.published = told.published;
        if let Some(e) = told.state_error {
            state_error.get_or_insert(e);
        }
        // CloudTrail failing stopped the repairs; S3, EventBridge, SQS or
        // CloudWatch Logs failing stopped only the chain's reads. Either way
        // the pass acted and told first, and fails now so that it is retried.
        if let Some(e) = infra.or(seen.chain_outage) {
            return Err(e.into());
        }
        if let Some(e) = state_error {
            return Err(PassError::State(e));
        }
        Ok(())
    }
}
