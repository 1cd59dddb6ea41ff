//! Phase 2 of a pass: read every local trail and the chain around it, and
//! evaluate them ([`crate::watchdog::checks`], [`crate::watchdog::chain`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;

use super::pass::{finding, PassConfig};
use crate::cloudtrail::keys::{self, ObjectKind};
use crate::error::PortError;
use crate::watchdog::chain::{self, Delivery};
use crate::watchdog::checks::{evaluate, Outcome};
use crate::watchdog::digests;
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
        let (results, outage) = observe_digests(g, &out.trails, cfg, now).await;
        out.chain.extend(results);
        out.chain_outage = out.chain_outage.or(outage);
    }
    Ok(out)
}

/// Chains whose digest folders are listed at once.
const LISTING_CONCURRENCY: usize = 8;

/// Continuous coverage ([`digests`]): for each trail read here that logs
/// with validation on, each chain's newest digests, then whether one is
/// overdue and whether the validator keeps up with them.
async fn observe_digests<G: GuardChain>(
    g: &G,
    trails: &[Observed],
    cfg: &PassConfig,
    now: DateTime<Utc>,
) -> (Vec<CheckResult>, Option<PortError>) {
    let req = &cfg.requirements;
    let delivery = req.mode(CheckName::DigestDelivery) != Mode::Off;
    let lag = req.mode(CheckName::ValidatorLag) != Mode::Off;
    if !delivery && !lag {
        return (Vec::new(), None);
    }
    let slack = cfg.chain.slack();
    let mut out = Vec::new();
    let mut outage = None;
    let checkpoints = if lag { g.checkpoints().await } else { Ok(None) };
    for o in trails {
        let trail = &o.trail;
        let Some(status) = &o.status else {
            // Whether a digest is due depends on the status: these checks
            // fail with the trail's own (its outcomes say why).
            for check in [CheckName::DigestDelivery, CheckName::ValidatorLag] {
                if req.mode(check) != Mode::Off {
                    out.push(CheckResult {
                        trail: trail.arn.clone(),
                        check,
                        status: CheckStatus::Failed,
                        detail:
                            "cannot read the trail's status: whether a digest is due is unknown"
                                .into(),
                    });
                }
            }
            continue;
        };
        let chains = match digest_chains(g, trail, now).await {
            Ok(c) => c,
            Err(e) => {
                for check in [CheckName::DigestDelivery, CheckName::ValidatorLag] {
                    if req.mode(check) != Mode::Off {
                        out.push(unreadable(trail, check, "the log bucket's digests", &e));
                    }
                }
                if !finding(&e) {
                    outage = outage.or(Some(e));
                }
                continue;
            }
        };
        if delivery {
            out.push(digests::digest_delivery(trail, status, &chains, now, slack));
        }
        if lag {
            match &checkpoints {
                Ok(Some(cps)) => out.push(digests::validator_lag(
                    trail, status, &chains, cps, now, slack,
                )),
                // No checkpoint bucket configured: nothing to compare.
                Ok(None) => {}
                Err(e) => {
                    out.push(unreadable(
                        trail,
                        CheckName::ValidatorLag,
                        "the validator's checkpoints",
                        e,
                    ));
                    if !finding(e) {
                        outage = outage.or(Some(e.clone()));
                    }
                }
            }
        }
    }
    (out, outage)
}

fn unreadable(trail: &TrailInfo, check: CheckName, what: &str, e: &PortError) -> CheckResult {
    CheckResult {
        trail: trail.arn.clone(),
        check,
        status: CheckStatus::Failed,
        detail: format!("cannot read {what}: {e}"),
    }
}

/// A trail's chains and the delivery times of its digests in today's day
/// folder (and yesterday's, in the first hours of the day, when today's may
/// hold none yet): every account folder (an organization trail's, under
/// `AWSLogs/O-ID/`) and every region folder under `CloudTrail-Digest/`.
async fn digest_chains<G: GuardChain>(
    g: &G,
    trail: &TrailInfo,
    now: DateTime<Utc>,
) -> Result<Vec<digests::ChainDigests>, PortError> {
    let Some(bucket) = &trail.s3_bucket else {
        return Ok(Vec::new());
    };
    let base = match trail.s3_key_prefix.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => format!("{}/AWSLogs/", p.trim_end_matches('/')),
        None => "AWSLogs/".to_string(),
    };
    let last = |f: &str| {
        f.trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string()
    };
    let mut roots: Vec<(String, String)> = Vec::new();
    if trail.is_organization_trail {
        for org in g.list_folders(bucket, &base).await?.iter().map(|f| last(f)) {
            if !keys::is_org_id(&org) {
                continue;
            }
            for account in g.list_folders(bucket, &format!("{base}{org}/")).await? {
                let account = last(&account);
                if keys::is_account(&account) {
                    roots.push((account.clone(), format!("{base}{org}/{account}/")));
                }
            }
        }
    }
    if roots.is_empty() {
        roots.push((trail.account.clone(), format!("{base}{}/", trail.account)));
    }
    let mut chains = Vec::new();
    for (account, root) in &roots {
        for region in g
            .list_folders(bucket, &keys::digest_regions_prefix(root))
            .await?
            .iter()
            .map(|f| last(f))
            .filter(|r| keys::is_region(r))
        {
            chains.push((account.clone(), root.clone(), region));
        }
    }
    let today = now.date_naive();
    let mut days = vec![today];
    if now.time() < chrono::NaiveTime::from_hms_opt(3, 0, 0).unwrap_or_default() {
        days.insert(0, today - Duration::days(1));
    }
    let listed: Vec<Result<digests::ChainDigests, PortError>> = futures_util::stream::iter(chains)
        .map(|(account, root, region)| {
            let days = days.clone();
            async move {
                let mut delivered = Vec::new();
                for day in days {
                    let prefix = keys::digest_day_prefix(&root, &region, day);
                    for key in g.list_keys(bucket, &prefix).await? {
                        if let ObjectKind::Digest(d) = keys::classify(&key) {
                            if d.trail_name == trail.name
                                && d.home_region == trail.home_region
                                && !d.backfill
                            {
                                delivered.push(d.timestamp);
                            }
                        }
                    }
                }
                delivered.sort();
                Ok(digests::ChainDigests {
                    account,
                    region,
                    delivered,
                })
            }
        })
        .buffered(LISTING_CONCURRENCY)
        .collect()
        .await;
    listed.into_iter().collect()
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
