//! Phase 2 of a pass: read every local trail and the chain around it, and
//! evaluate them ([`crate::watchdog::checks`], [`crate::watchdog::chain`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;

use super::pass::{finding, PassConfig};
use crate::error::PortError;
use crate::watchdog::chain::{self, Delivery};
use crate::watchdog::checks::{evaluate, Outcome};
use crate::watchdog::model::{CheckName, CheckResult, CheckStatus, TrailInfo, TrailStatus};
use crate::watchdog::ports::{GuardChain, StopEvent, TrailControl};
use crate::watchdog::requirements::Mode;

/// Trails read at once: CloudTrail's control-plane read APIs allow a few
/// calls a second per account and region, and the SDK retries throttling.
const READ_CONCURRENCY: usize = 4;

/// How far back to look for who stopped a trail when CloudTrail does not
/// say when it was stopped (LookupEvents keeps 90 days).
const STOPPED_LOOKBACK: Duration = Duration::days(7);

/// A local trail as read, with one outcome per check in force (a check
/// whose input could not be read is `failed`, with no repair).
#[derive(Debug)]
pub(super) struct Observed {
    /// The trail.
    pub trail: TrailInfo,
    /// Its status, when it could be read.
    pub status: Option<TrailStatus>,
    /// The outcomes, repairs included.
    pub outcomes: Vec<Outcome>,
}

impl Observed {
    /// The outcomes as results (before any repair).
    pub fn results(&self) -> impl Iterator<Item = CheckResult> + '_ {
        self.outcomes.iter().map(|o| o.result(&self.trail.arn))
    }
}

/// What phase 2 saw.
#[derive(Debug, Default)]
pub(super) struct Observation {
    /// The local trails, evaluated.
    pub trails: Vec<Observed>,
    /// The chain's results (alert only: never repaired).
    pub chain: Vec<CheckResult>,
    /// An outage while reading the chain: the pass goes on and fails at the
    /// end, so that it is retried.
    pub chain_outage: Option<PortError>,
}

/// Reads and evaluates the local trails a few at a time, then the chain
/// (each log bucket, the validator's feed, the router's subscription).
pub(super) async fn observe_all<C: TrailControl, G: GuardChain>(
    ctl: &C,
    chain: Option<&G>,
    local: Vec<TrailInfo>,
    cfg: &PassConfig,
    now: DateTime<Utc>,
) -> Result<Observation, PortError> {
    let buckets = deliveries(&local);
    let seen: Vec<Result<Observed, PortError>> = futures_util::stream::iter(local)
        .map(|t| async move {
            let mut seen = observe(ctl, t, cfg, now).await?;
            // Who stopped it, in every mode (a dry run and alert-only too).
            if let (Some(o), Some(st)) = (
                seen.outcomes
                    .iter_mut()
                    .find(|o| o.check == CheckName::Logging && o.status == CheckStatus::Drift),
                &seen.status,
            ) {
                let who = who_stopped(ctl, &seen.trail, st, now).await;
                o.detail = format!("{}; {who}", o.detail);
            }
            Ok(seen)
        })
        .buffered(READ_CONCURRENCY)
        .collect()
        .await;
    let mut out = Observation::default();
    for r in seen {
        out.trails.push(r?);
    }
    if let Some(g) = chain {
        let (results, outage) = observe_chain(g, &buckets, cfg).await;
        out.chain = results;
        out.chain_outage = outage;
    }
    Ok(out)
}

/// Reads a trail and evaluates it; `Err` only for infrastructure
/// failures. A refused read fails only the checks that needed it.
pub(super) async fn observe<C: TrailControl>(
    ctl: &C,
    trail: TrailInfo,
    cfg: &PassConfig,
    now: DateTime<Utc>,
) -> Result<Observed, PortError> {
    let region = &trail.home_region;
    let req = &cfg.requirements;
    let status = match ctl.status(region, &trail.arn).await {
        Ok(s) => Ok(s),
        Err(e) if finding(&e) => Err(e.to_string()),
        Err(e) => return Err(e),
    };
    let selectors = if req.mode(CheckName::EventSelectors) == Mode::Off {
        Ok(Default::default())
    } else {
        match ctl.selectors(region, &trail.arn).await {
            Ok(s) => Ok(s),
            Err(e) if finding(&e) => Err(e.to_string()),
            Err(e) => return Err(e),
        }
    };
    // A placeholder status for the configuration checks when the real one
    // could not be read: its logging and delivery outcomes are replaced.
    let st = status.clone().unwrap_or(TrailStatus {
        is_logging: true,
        ..Default::default()
    });
    let sel = selectors.clone().unwrap_or_default();
    let outcomes = evaluate(&trail, &st, &sel, req, now)
        .into_iter()
        .map(|o| {
            let unread = match o.check {
                CheckName::Logging | CheckName::Delivery => status.as_ref().err(),
                CheckName::EventSelectors => selectors.as_ref().err(),
                _ => None,
            };
            match unread {
                Some(why) => Outcome {
                    check: o.check,
                    status: CheckStatus::Failed,
                    detail: format!("cannot read the trail: {why}"),
                    repair: None,
                },
                None => o,
            }
        })
        .collect();
    Ok(Observed {
        trail,
        status: status.ok(),
        outcomes,
    })
}

/// Who stopped the trail, for the notice.
async fn who_stopped<C: TrailControl>(
    ctl: &C,
    trail: &TrailInfo,
    status: &TrailStatus,
    now: DateTime<Utc>,
) -> String {
    let since = status
        .stop_logging_time
        .map(|t| t - Duration::minutes(15))
        .unwrap_or(now - STOPPED_LOOKBACK);
    match ctl.stop_events(&trail.home_region, &trail.arn, since).await {
        Ok(events) => match events.iter().find(|e| e.event_name == "StopLogging") {
            Some(e) => describe_stop(e),
            None => format!(
                "no StopLogging event for this trail in the event history since {} (LookupEvents); \
                 the history lags by up to 15 minutes, or the trail was created stopped",
                since.format("%Y-%m-%dT%H:%M:%SZ")
            ),
        },
        Err(e) => format!("who stopped it is unknown: LookupEvents failed: {e}"),
    }
}

fn describe_stop(e: &StopEvent) -> String {
    format!(
        "stopped by {} at {}{}{} (event {})",
        e.principal
            .as_deref()
            .or(e.username.as_deref())
            .unwrap_or("an unknown principal"),
        e.time.format("%Y-%m-%dT%H:%M:%SZ"),
        e.source_ip
            .as_deref()
            .map(|ip| format!(" from {ip}"))
            .unwrap_or_default(),
        e.user_agent
            .as_deref()
            .map(|ua| format!(" using {ua}"))
            .unwrap_or_default(),
        e.event_id
    )
}

/// The log buckets of the trails acted on here, with where each trail
/// writes in it (shadow trails' buckets are their home's to check).
fn deliveries(local: &[TrailInfo]) -> BTreeMap<String, Vec<Delivery>> {
    let mut out: BTreeMap<String, Vec<Delivery>> = BTreeMap::new();
    for t in local {
        if let Some(b) = &t.s3_bucket {
            out.entry(b.clone()).or_default().push(Delivery {
                partition: t.partition.clone(),
                prefix: t.s3_key_prefix.clone(),
                account: t.account.clone(),
                organization: t.is_organization_trail,
                home_region: t.home_region.clone(),
            });
        }
    }
    out
}

/// The chain's checks ([`chain`]): each log bucket, the validator's feed,
/// the router's subscription, for those configured and not off. An outage
/// while reading is a `failed` result and is returned beside them: the pass
/// goes on (repairs, notices) and fails at the end, so it is retried.
async fn observe_chain<G: GuardChain>(
    g: &G,
    buckets: &BTreeMap<String, Vec<Delivery>>,
    cfg: &PassConfig,
) -> (Vec<CheckResult>, Option<PortError>) {
    let req = &cfg.requirements;
    let on = |c: CheckName| req.mode(c) != Mode::Off;
    let mut out = Vec::new();
    let mut outage = None;
    let bucket_checks = [
        CheckName::BucketEvents,
        CheckName::BucketVersioning,
        CheckName::BucketPublicAccess,
        CheckName::BucketPolicy,
        CheckName::ObjectLock,
    ];
    if bucket_checks.into_iter().any(on) {
        for (bucket, deliveries) in buckets {
            let facts = g.bucket(bucket).await;
            out.extend(chain::bucket_checks(
                &facts,
                deliveries,
                req,
                &cfg.chain,
                &mut outage,
            ));
        }
    }
    if let (true, Some(rule)) = (on(CheckName::ValidatorFeed), &cfg.chain.validator_rule) {
        let facts = g.rule(rule).await;
        let queue = match &cfg.chain.validator_queue_url {
            Some(url) => Some(g.queue(url).await),
            None => None,
        };
        let names: Vec<&str> = buckets.keys().map(String::as_str).collect();
        out.push(chain::validator_feed(
            rule,
            &facts,
            &names,
            cfg.chain.validator_queue_url.as_deref(),
            queue.as_ref(),
            &mut outage,
        ));
    }
    if let (true, Some(router), Some(group)) = (
        on(CheckName::RouterSubscription),
        &cfg.chain.router_function_arn,
        cfg.chain.log_group(req),
    ) {
        let filters = g.subscription_filters(&group).await;
        out.push(chain::router_subscription(
            &group,
            &filters,
            router,
            &mut outage,
        ));
    }
    (out, outage)
}
