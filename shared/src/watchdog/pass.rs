//! One watchdog pass through the ports: read every trail, decide
//! ([`super::checks`]), repair what may be repaired, read back, remember
//! and tell ([`super::state`]'s delivery protocol).
//!
//! A finding (a stopped trail, a drifted setting, AccessDenied, a missing
//! trail) is a result and a notice; an infrastructure failure (CloudTrail
//! or S3 unavailable after the SDK's retries, SNS down) is an error, so
//! that the invocation fails and is retried. Notices are saved as pending
//! before any repair and crossed off only after SNS took them.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;

use super::chain::{self, ChainConfig, Delivery};
use super::checks::{evaluate, is_shadow, Outcome, Repair, TrailUpdate};
use super::model::{CheckName, CheckResult, CheckStatus, TrailInfo, TrailStatus};
use super::requirements::{Mode, Requirements};
use super::state::{acknowledge, plan, AlertState, Notice};
use crate::alert::watchdog::watchdog_notification;
use crate::ports::{GuardChain, Notifier, PortError, StateStore, StopEvent, TrailControl};

/// Trails read at once: CloudTrail's control-plane read APIs allow a few
/// calls a second per account and region, and the SDK retries throttling.
const READ_CONCURRENCY: usize = 4;

/// How far back to look for who stopped a trail when CloudTrail does not
/// say when it was stopped (LookupEvents keeps 90 days).
const STOPPED_LOOKBACK: Duration = Duration::days(7);

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

impl PassReport {
    /// Whether a problem remains (the command's exit status 1).
    pub fn has_problem(&self) -> bool {
        self.results.iter().any(|r| r.status.is_problem())
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

/// The ARN a configured trail name would have here (for reporting a trail
/// that cannot be found).
fn arn_for(name: &str, cfg: &PassConfig) -> String {
    if name.starts_with("arn:") {
        name.to_string()
    } else {
        format!(
            "arn:aws:cloudtrail:{}:{}:trail/{name}",
            cfg.region,
            cfg.account.as_deref().unwrap_or("unknown-account")
        )
    }
}

/// The trails to check, and results for the configured ones that are not
/// there.
fn select(visible: Vec<TrailInfo>, cfg: &PassConfig) -> (Vec<TrailInfo>, Vec<CheckResult>) {
    if cfg.trails.is_empty() {
        return (visible, Vec::new());
    }
    let mut chosen = Vec::new();
    let mut missing = Vec::new();
    for want in &cfg.trails {
        let mut found: Vec<&TrailInfo> = visible
            .iter()
            .filter(|t| &t.arn == want || &t.name == want)
            .collect();
        // A name can match a local trail and a shadow: prefer the local one.
        found.sort_by_key(|t| {
            is_shadow(t, &cfg.region, cfg.account.as_deref().unwrap_or(&t.account))
        });
        match found.first() {
            Some(t) if !chosen.iter().any(|c: &TrailInfo| c.arn == t.arn) => {
                chosen.push((*t).clone())
            }
            Some(_) => {}
            None => missing.push(failed(
                &arn_for(want, cfg),
                CheckName::Logging,
                format!(
                    "trail {want} not found in {} (deleted, or not visible to this role)",
                    cfg.region
                ),
            )),
        }
    }
    (chosen, missing)
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

/// What could be read of a trail, evaluated.
struct Observed {
    /// The trail's status, when it could be read.
    status: Option<TrailStatus>,
    /// One outcome per check in force; a check whose input could not be
    /// read is `failed`, with no repair.
    outcomes: Vec<Outcome>,
}

/// Reads a trail and evaluates it; `Err` only for infrastructure
/// failures. A refused read fails only the checks that needed it.
async fn observe<C: TrailControl>(
    ctl: &C,
    trail: &TrailInfo,
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
    let outcomes = evaluate(trail, &st, &sel, req, now)
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
        status: status.ok(),
        outcomes,
    })
}

fn as_results(trail: &str, outcomes: &[Outcome]) -> Vec<CheckResult> {
    outcomes.iter().map(|o| o.result(trail)).collect()
}

/// Makes the repairs of one trail (logging first, one `UpdateTrail` for all
/// settings, then selectors) and returns, per repaired check, the refusal
/// of a repair call. A merged `UpdateTrail` that is refused is retried one
/// setting at a time, so a bad key does not hold back validation.
async fn repair<C: TrailControl>(
    ctl: &C,
    trail: &TrailInfo,
    outcomes: &[Outcome],
) -> Result<Vec<(CheckName, String)>, PortError> {
    let region = &trail.home_region;
    let mut refused = Vec::new();
    let mut update = TrailUpdate::default();
    let mut updates: Vec<(CheckName, &TrailUpdate)> = Vec::new();
    for o in outcomes {
        match &o.repair {
            Some(Repair::StartLogging) => {
                if let Err(e) = ctl.start_logging(region, &trail.arn).await {
                    if !finding(&e) {
                        return Err(e);
                    }
                    refused.push((o.check, e.to_string()));
                }
            }
            Some(Repair::UpdateTrail(u)) => {
                update.merge(u);
                updates.push((o.check, u));
            }
            _ => {}
        }
    }
    if !update.is_empty() {
        match ctl.update_trail(region, &trail.arn, &update).await {
            Ok(()) => {}
            Err(e) if !finding(&e) => return Err(e),
            Err(e) if updates.len() == 1 => refused.push((updates[0].0, e.to_string())),
            Err(_) => {
                for (check, u) in &updates {
                    if let Err(e) = ctl.update_trail(region, &trail.arn, u).await {
                        if !finding(&e) {
                            return Err(e);
                        }
                        refused.push((*check, e.to_string()));
                    }
                }
            }
        }
    }
    for o in outcomes {
        if let Some(Repair::PutEventSelectors(s)) = &o.repair {
            if let Err(e) = ctl.put_selectors(region, &trail.arn, s).await {
                if !finding(&e) {
                    return Err(e);
                }
                refused.push((o.check, e.to_string()));
            }
        }
    }
    Ok(refused)
}

/// The state, or an empty one (a repeat, never a miss) when it cannot be
/// read or used.
async fn load_state<S: StateStore>(store: &S, warnings: &mut Vec<String>) -> AlertState {
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

async fn save_state<S: StateStore>(store: &S, state: &AlertState) -> Result<(), PortError> {
    let bytes = state.to_json().map_err(|e| PortError::BadResponse {
        operation: "PutObject",
        resource: "watchdog state".into(),
        message: e.to_string(),
    })?;
    store.save(&String::from_utf8_lossy(&bytes)).await
}

/// SNS's message limit less room for the subject and envelope.
const MAX_NOTICE_MESSAGE: usize = 240 * 1024;

/// Publishes notices in as many messages as their size needs; returns the
/// notices delivered (a prefix of `notices`) and the error that stopped it.
async fn publish<N: Notifier>(
    n: &N,
    notices: &[Notice],
    region: &str,
) -> (usize, Option<PortError>) {
    let mut done = 0;
    while done < notices.len() {
        // The largest run from `done` whose message fits (at least one).
        let mut take = notices.len() - done;
        let mut note = watchdog_notification(&notices[done..done + take], region);
        while take > 1 && note.sns_message().0.len() > MAX_NOTICE_MESSAGE {
            take = take.div_ceil(2);
            note = watchdog_notification(&notices[done..done + take], region);
        }
        if let Err(e) = n.publish(&note).await {
            return (done, Some(e));
        }
        done += take;
    }
    (done, None)
}

/// Runs one pass. Without a store the pass remembers nothing (every
/// standing problem is told each time). Without a notifier, notices are
/// only returned (the caller logs them) and count as delivered.
pub async fn run<C: TrailControl, G: GuardChain, S: StateStore, N: Notifier>(
    ctl: &C,
    chain: Option<&G>,
    store: Option<&S>,
    notifier: Option<&N>,
    cfg: &PassConfig,
    now: DateTime<Utc>,
) -> Result<PassReport, PassError> {
    let mut report = PassReport::default();
    let store = if cfg.dry_run { None } else { store };
    let prev = match store {
        Some(s) => load_state(s, &mut report.warnings).await,
        None => AlertState::new(),
    };
    // 1. The trails.
    let (targets, mut observed) = match ctl.describe_trails(&cfg.region).await {
        Ok(visible) => {
            let (targets, mut missing) = select(visible.clone(), cfg);
            if cfg.trails.is_empty() {
                // Trails seen before and gone now are findings, not silence.
                for gone in prev
                    .trails
                    .keys()
                    .filter(|k| !visible.iter().any(|t| &t.arn == *k))
                {
                    missing.push(failed(
                        gone,
                        CheckName::Logging,
                        format!("trail {gone} is gone: it was seen by an earlier pass and is no longer listed in {} (deleted?)", cfg.region),
                    ));
                }
                if visible.is_empty() && prev.trails.is_empty() {
                    missing.push(failed(
                        &arn_for("*", cfg),
                        CheckName::Logging,
                        format!(
                            "no trail is visible in {}: nothing records this account's API calls",
                            cfg.region
                        ),
                    ));
                }
            }
            (targets, missing)
        }
        Err(e) if finding(&e) => {
            let names = if cfg.trails.is_empty() {
                vec![arn_for("*", cfg)]
            } else {
                cfg.trails.iter().map(|t| arn_for(t, cfg)).collect()
            };
            let results = names
                .iter()
                .map(|n| {
                    failed(
                        n,
                        CheckName::Logging,
                        format!("cannot list the trails: {e}"),
                    )
                })
                .collect();
            (Vec::new(), results)
        }
        Err(e) => return Err(e.into()),
    };
    // 2. Observe and evaluate, a few trails at a time (CloudTrail's read
    // APIs allow a handful of calls a second per account and region).
    let mut shadows = Vec::new();
    let mut local = Vec::new();
    for t in targets {
        // Without the caller's account, an organization trail may belong
        // to another account: reported, not acted on.
        let shadow = match cfg.account.as_deref() {
            Some(account) => is_shadow(&t, &cfg.region, account),
            None => is_shadow(&t, &cfg.region, &t.account) || t.is_organization_trail,
        };
        if shadow {
            shadows.push(t);
        } else {
            local.push(t);
        }
    }
    for t in &shadows {
        observed.push(CheckResult {
            trail: t.arn.clone(),
            check: CheckName::Logging,
            status: CheckStatus::Ok,
            detail: format!(
                "shadow trail (home region {}, account {}{}): reported, not checked or changed here; \
                 the watchdog in its home region and account does that",
                t.home_region,
                t.account,
                if cfg.account.is_none() && t.is_organization_trail {
                    ", this account unknown: set TRAILGUARD_ACCOUNT_ID to act on it"
                } else {
                    ""
                }
            ),
        });
    }
    let buckets = deliveries(&local);
    let seen: Vec<Result<(TrailInfo, Observed), PortError>> = futures_util::stream::iter(local)
        .map(|t| async move {
            let mut seen = observe(ctl, &t, cfg, now).await?;
            // Who stopped it, in every mode (a dry run and alert-only too).
            if let (Some(o), Some(st)) = (
                seen.outcomes
                    .iter_mut()
                    .find(|o| o.check == CheckName::Logging && o.status == CheckStatus::Drift),
                &seen.status,
            ) {
                let who = who_stopped(ctl, &t, st, now).await;
                o.detail = format!("{}; {who}", o.detail);
            }
            Ok((t, seen))
        })
        .buffered(READ_CONCURRENCY)
        .collect()
        .await;
    let mut work: Vec<(TrailInfo, Option<TrailStatus>, Vec<Outcome>)> = Vec::new();
    for r in seen {
        let (t, seen) = r?;
        observed.extend(as_results(&t.arn, &seen.outcomes));
        work.push((t, seen.status, seen.outcomes));
    }
    // The chain outside the trails: read and reported, never repaired.
    let mut chain_outage = None;
    if let Some(g) = chain {
        let (results, outage) = observe_chain(g, &buckets, cfg).await;
        observed.extend(results);
        chain_outage = outage;
    }
    // 3. Plan on what was observed, and make it durable before repairing.
    let mut first = plan(&prev, &observed, now, cfg.renotify);
    for (t, _, _) in &work {
        first.next.trails.insert(t.arn.clone(), now);
    }
    let mut state_error: Option<PortError> = None;
    if let Some(s) = store {
        if let Err(e) = save_state(s, &first.next).await {
            // Go on: repairing and telling matter more than remembering.
            state_error = Some(e);
        }
    }
    // 4. Repair, read back, decide fixed or failed.
    let mut results: Vec<CheckResult> = observed
        .iter()
        .filter(|r| !work.iter().any(|(t, _, _)| t.arn == r.trail))
        .cloned()
        .collect();
    let mut infra: Option<PortError> = None;
    for (trail, _, outcomes) in &work {
        let needs = outcomes.iter().any(|o| o.repair.is_some());
        if !needs || cfg.dry_run || infra.is_some() {
            for o in outcomes {
                let mut r = o.result(&trail.arn);
                if o.repair.is_some() {
                    r.detail.push_str(if cfg.dry_run {
                        " (dry run: not repaired)"
                    } else {
                        " (not repaired: the pass stopped on an AWS failure)"
                    });
                }
                results.push(r);
            }
            continue;
        }
        let repaired = async {
            let refused = repair(ctl, trail, outcomes).await?;
            let after = match ctl.describe_trails(&trail.home_region).await {
                Ok(v) => v.into_iter().find(|t| t.arn == trail.arn),
                Err(e) if finding(&e) => None,
                Err(e) => return Err(e),
            };
            let reread = match &after {
                Some(t) => Some(observe(ctl, t, cfg, now).await?),
                None => None,
            };
            Ok::<_, PortError>((refused, reread))
        }
        .await;
        let (refused, reread) = match repaired {
            Ok(x) => x,
            Err(e) => {
                for o in outcomes {
                    let mut r = o.result(&trail.arn);
                    if o.repair.is_some() {
                        r.detail.push_str(&format!(" (repair interrupted: {e})"));
                    }
                    results.push(r);
                }
                infra = Some(e);
                continue;
            }
        };
        for o in outcomes {
            let mut r = o.result(&trail.arn);
            if o.repair.is_some() {
                let now_ok = reread.as_ref().map(|again| {
                    again
                        .outcomes
                        .iter()
                        .find(|a| a.check == o.check)
                        .map(|a| (a.status == CheckStatus::Ok, a.detail.clone()))
                        .unwrap_or((false, "the check is gone from the read-back".into()))
                });
                let refusal = refused
                    .iter()
                    .find(|(c, _)| *c == o.check)
                    .map(|(_, e)| e.clone());
                match (refusal, now_ok) {
                    (Some(e), _) => {
                        r.status = CheckStatus::Failed;
                        r.detail = format!("{}; the repair was refused: {e}", o.detail);
                    }
                    (None, Some((true, _))) => {
                        r.status = CheckStatus::Fixed;
                        r.detail = format!(
                            "was: {}; repaired and confirmed by reading the trail back",
                            o.detail
                        );
                    }
                    (None, Some((false, still))) => {
                        r.status = CheckStatus::Failed;
                        r.detail = format!("was: {}; the repair did not take: {still}", o.detail);
                    }
                    (None, None) => {
                        r.status = CheckStatus::Failed;
                        r.detail = format!(
                            "was: {}; the trail could not be read back to confirm the repair",
                            o.detail
                        );
                    }
                }
            }
            results.push(r);
        }
    }
    // Keep the output in a stable order: by trail, then check.
    results.sort_by(|a, b| a.trail.cmp(&b.trail).then(a.check.cmp(&b.check)));
    report.results = results;
    if cfg.dry_run {
        report.notices = plan(&prev, &report.results, now, cfg.renotify).notices;
        if let Some(e) = chain_outage {
            log_before_failing(&report);
            return Err(e.into());
        }
        return Ok(report);
    }
    // 5. Plan on the final results, save, publish, cross off.
    let last = plan(&first.next, &report.results, now, cfg.renotify);
    let mut next = last.next.clone();
    next.trails.clone_from(&first.next.trails);
    if let Some(s) = store {
        if let Err(e) = save_state(s, &next).await {
            state_error.get_or_insert(e);
        }
    }
    report.notices = last.notices.clone();
    let delivered = match notifier {
        Some(n) if !last.notices.is_empty() => {
            let (done, err) = publish(n, &last.notices, &cfg.region).await;
            report.published = done > 0;
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
                log_before_failing(&report);
                return Err(PassError::Publish(e));
            }
            done
        }
        // Nobody to tell: the caller logs them; counted as delivered so the
        // pending list does not grow pass after pass.
        _ => last.notices.len(),
    };
    if let (Some(s), true) = (store, delivered > 0) {
        if let Err(e) = save_state(s, &acknowledge(&next, &last.notices[..delivered])).await {
            state_error.get_or_insert(e);
        }
    }
    // CloudTrail failing stopped the repairs; S3, EventBridge, SQS or
    // CloudWatch Logs failing stopped only the chain's reads. Either way the
    // pass acted and told first, and fails now so that it is retried.
    if let Some(e) = infra.or(chain_outage) {
        log_before_failing(&report);
        return Err(e.into());
    }
    if let Some(e) = state_error {
        log_before_failing(&report);
        return Err(PassError::State(e));
    }
    Ok(report)
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

/// A pass that fails after it has acted still says what it did: the caller
/// gets only the error, so the report is logged first (a repaired trail, a
/// refused repair and a pending notice must not vanish behind "the pass
/// failed").
fn log_before_failing(report: &PassReport) {
    tracing::warn!("this pass failed after acting; what it found and did:");
    report.log();
}

impl PassReport {
    /// Logs the warnings, one line per check (a warning unless ok) and one
    /// per notice: the
    /// function's record of a pass (and of a failed one, before its error).
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
