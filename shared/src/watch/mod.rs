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
mod pass;
mod repair;
mod targets;
mod tell;

pub use pass::{PassConfig, PassError, PassReport, Request, Summary};

use chrono::{DateTime, Utc};

use crate::config::WatchdogConfig;
use crate::message::{Outbox, Topic};
use crate::ports::StateStore;
use crate::watchdog::model::CheckResult;
use crate::watchdog::ports::{GuardChain, TrailControl};
use crate::watchdog::state::AlertState;

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
        // A local trail's own checks come back from the repair; the chain's
        // checks on it (digest delivery, validator lag) are kept as seen.
        let mut results: Vec<CheckResult> = observed
            .into_iter()
            .filter(|r| {
                !(r.check.repairable() && seen.trails.iter().any(|o| o.trail.arn == r.trail))
            })
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
