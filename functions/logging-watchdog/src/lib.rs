//! The logging watchdog's handler: a scheduled event in, one pass of
//! [`trailguard::watchdog::pass`] out.
//!
//! The EventBridge schedule's event names the account and region the pass
//! runs in; a direct invocation may carry `{"dryRun": true, "trails":
//! [...]}` for a manual check. Findings are results and notices; an
//! infrastructure failure (CloudTrail, S3 or SNS) fails the invocation so
//! that EventBridge's retry (or the next schedule) runs it again, with the
//! pending notices kept in the state object.

use chrono::Utc;
use serde_json::{json, Value};
use trailguard::config::WatchdogConfig;
use trailguard::ports::{GuardChain, Notifier, StateStore, TrailControl};
use trailguard::watchdog::pass::{run, PassConfig, PassError};

/// The handler, built once per container.
pub struct Watchdog<C, G, S, N> {
    ctl: C,
    chain: Option<G>,
    store: Option<S>,
    notifier: Option<N>,
    cfg: WatchdogConfig,
    region: String,
}

impl<C: TrailControl, G: GuardChain, S: StateStore, N: Notifier> Watchdog<C, G, S, N> {
    /// A watchdog for `region` (the function's). Without a chain reader the
    /// log bucket and the functions' feeds are not checked; without a store
    /// every standing problem is told at every pass; without a notifier
    /// notices are only logged.
    pub fn new(
        ctl: C,
        chain: Option<G>,
        store: Option<S>,
        notifier: Option<N>,
        cfg: WatchdogConfig,
        region: String,
    ) -> Self {
        if store.is_none() {
            tracing::warn!(
                "no TRAILGUARD_STATE_BUCKET: every standing problem will be alerted at every pass"
            );
        }
        if notifier.is_none() {
            tracing::warn!("no SNS topic configured: notices will only be logged");
        }
        Self {
            ctl,
            chain,
            store,
            notifier,
            cfg,
            region,
        }
    }

    /// Runs one pass for an invocation payload.
    pub async fn handle(&self, payload: Value) -> Result<Value, PassError> {
        self.handle_as(payload, None).await
    }

    /// Runs one pass, the account taken (in this order) from the
    /// configuration, the function's own ARN, or the scheduled event.
    pub async fn handle_as(
        &self,
        payload: Value,
        function_arn: Option<&str>,
    ) -> Result<Value, PassError> {
        let str_of = |k: &str| {
            payload
                .get(k)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let region = str_of("region").unwrap_or(&self.region).to_string();
        let account = self
            .cfg
            .account
            .clone()
            .or_else(|| {
                function_arn
                    .and_then(|a| a.split(':').nth(4))
                    .filter(|a| !a.is_empty())
                    .map(str::to_string)
            })
            .or_else(|| str_of("account").map(str::to_string));
        let dry_run = self.cfg.dry_run
            || payload
                .get("dryRun")
                .and_then(Value::as_bool)
                .unwrap_or(false);
        let trails = match payload.get("trails").and_then(Value::as_array) {
            Some(list) => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            None => self.cfg.trails.clone(),
        };
        let pass = PassConfig {
            region,
            account,
            trails,
            dry_run,
            requirements: self.cfg.requirements.clone(),
            renotify: self.cfg.renotify,
            chain: self.cfg.chain.clone(),
        };
        let report = run(
            &self.ctl,
            self.chain.as_ref(),
            self.store.as_ref(),
            self.notifier.as_ref(),
            &pass,
            Utc::now(),
        )
        .await?;
        report.log();
        let count = |s: &str| {
            report
                .results
                .iter()
                .filter(|r| r.status.as_str() == s)
                .count()
        };
        Ok(json!({
            "region": pass.region,
            "dryRun": dry_run,
            "checks": report.results.len(),
            "ok": count("ok"),
            "fixed": count("fixed"),
            "drift": count("drift"),
            "failed": count("failed"),
            "notices": report.notices.len(),
            "published": report.published,
        }))
    }
}
