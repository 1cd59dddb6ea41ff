//! One watchdog pass through the ports: read every trail, decide
//! ([`super::checks`]), repair what may be repaired, read back, remember
//! and tell ([`super::state`]'s delivery protocol).
//!
//! A finding (a stopped trail, a drifted setting, AccessDenied, a missing
//! trail) is a result and a notice; an infrastructure failure (CloudTrail
//! or S3 unavailable after the SDK's retries, SNS down) is an error, so
//! that the invocation fails and is retried. Notices are saved as pending
//! before any repair and crossed off only after SNS took them.

use chrono::{DateTime, Duration, Utc};

use super::checks::{evaluate, is_shadow, Outcome, Repair, TrailUpdate};
use super::model::{CheckName, CheckResult, CheckStatus, TrailInfo, TrailStatus};
use super::requirements::{Mode, Requirements};
use super::state::{acknowledge, plan, AlertState, Notice};
use crate::alert::watchdog::watchdog_notification;
use crate::ports::{Notifier, PortError, StateStore, StopEvent, TrailControl};

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

fn finding(e: &PortError) -> bool {
    matches!(
        e,
        PortError::AccessDenied { .. } | PortError::NotFound { .. }
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
                 it may have been created stopped",
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

/// Reads a trail and evaluates it; `Err` only for infrastructure failures.
async fn observe<C: TrailControl>(
    ctl: &C,
    trail: &TrailInfo,
    cfg: &PassConfig,
    now: DateTime<Utc>,
) -> Result<Result<(TrailStatus, Vec<Outcome>), String>, PortError> {
    let region = &trail.home_region;
    let status = match ctl.status(region, &trail.arn).await {
        Ok(s) => s,
        Err(e) if finding(&e) => return Ok(Err(e.to_string())),
        Err(e) => return Err(e),
    };
    let selectors = match ctl.selectors(region, &trail.arn).await {
        Ok(s) => s,
        Err(e) if finding(&e) => return Ok(Err(e.to_string())),
        Err(e) => return Err(e),
    };
    Ok(Ok((
        status.clone(),
        evaluate(trail, &status, &selectors, &cfg.requirements, now),
    )))
}

fn as_results(trail: &str, outcomes: &[Outcome]) -> Vec<CheckResult> {
    outcomes.iter().map(|o| o.result(trail)).collect()
}

fn checks_on(req: &Requirements) -> Vec<CheckName> {
    CheckName::ALL
        .into_iter()
        .filter(|c| req.mode(*c) != Mode::Off)
        .collect()
}

/// Makes the repairs of one trail (logging first, one `UpdateTrail` for all
/// settings, then selectors) and returns, per repaired check, the error of
/// a repair call that was refused (AccessDenied...).
async fn repair<C: TrailControl>(
    ctl: &C,
    trail: &TrailInfo,
    outcomes: &[Outcome],
) -> Result<Vec<(CheckName, String)>, PortError> {
    let region = &trail.home_region;
    let mut refused = Vec::new();
    let mut update = TrailUpdate::default();
    let mut update_checks = Vec::new();
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
                update_checks.push(o.check);
            }
            _ => {}
        }
    }
    if !update.is_empty() {
        if let Err(e) = ctl.update_trail(region, &trail.arn, &update).await {
            if !finding(&e) {
                return Err(e);
            }
            refused.extend(update_checks.iter().map(|c| (*c, e.to_string())));
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

async fn load_state<S: StateStore>(
    store: &S,
    warnings: &mut Vec<String>,
) -> Result<AlertState, PortError> {
    match store.load().await? {
        None => Ok(AlertState::new()),
        Some(text) => match AlertState::from_json(text.as_bytes()) {
            Ok(s) => Ok(s),
            Err(e) => {
                // Starting afresh may repeat alerts; it never hides one.
                warnings.push(format!("{e}; starting from an empty state"));
                Ok(AlertState::new())
            }
        },
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

/// Runs one pass. Without a store the pass remembers nothing (every
/// standing problem is told each time); without a notifier notices are
/// only returned.
pub async fn run<C: TrailControl, S: StateStore, N: Notifier>(
    ctl: &C,
    store: Option<&S>,
    notifier: Option<&N>,
    cfg: &PassConfig,
    now: DateTime<Utc>,
) -> Result<PassReport, PassError> {
    let mut report = PassReport::default();
    let req = &cfg.requirements;
    // 1. The trails.
    let (targets, mut observed) = match ctl.describe_trails(&cfg.region).await {
        Ok(visible) => select(visible, cfg),
        Err(e) if finding(&e) => {
            let names = if cfg.trails.is_empty() {
                vec![format!(
                    "arn:aws:cloudtrail:{}:{}:trail/*",
                    cfg.region,
                    cfg.account.as_deref().unwrap_or("unknown-account")
                )]
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
    // 2. Observe and evaluate.
    let mut work: Vec<(TrailInfo, TrailStatus, Vec<Outcome>)> = Vec::new();
    for t in targets {
        if is_shadow(
            &t,
            &cfg.region,
            cfg.account.as_deref().unwrap_or(&t.account),
        ) {
            observed.push(CheckResult {
                trail: t.arn.clone(),
                check: CheckName::Logging,
                status: CheckStatus::Ok,
                detail: format!(
                    "shadow trail (home region {}, account {}): reported, not checked or changed here; \
                     the watchdog in its home region and account does that",
                    t.home_region, t.account
                ),
            });
            continue;
        }
        match observe(ctl, &t, cfg, now).await? {
            Err(why) => {
                for c in checks_on(req) {
                    observed.push(failed(&t.arn, c, format!("cannot read the trail: {why}")));
                }
            }
            Ok((status, outcomes)) => {
                observed.extend(as_results(&t.arn, &outcomes));
                work.push((t, status, outcomes));
            }
        }
    }
    // 3. Plan on what was observed, and make it durable before repairing.
    let prev = match store {
        Some(s) if !cfg.dry_run => load_state(s, &mut report.warnings).await?,
        _ => AlertState::new(),
    };
    let first = plan(&prev, &observed, now, cfg.renotify);
    if let (Some(s), false) = (store, cfg.dry_run) {
        save_state(s, &first.next).await?;
    }
    // 4. Repair, read back, decide fixed or failed.
    let mut results: Vec<CheckResult> = observed
        .iter()
        .filter(|r| !work.iter().any(|(t, _, _)| t.arn == r.trail))
        .cloned()
        .collect();
    for (trail, status, outcomes) in &work {
        let needs: Vec<&Outcome> = outcomes.iter().filter(|o| o.repair.is_some()).collect();
        if needs.is_empty() || cfg.dry_run {
            for o in outcomes {
                let mut r = o.result(&trail.arn);
                if cfg.dry_run && o.repair.is_some() {
                    r.detail.push_str(" (dry run: not repaired)");
                }
                results.push(r);
            }
            continue;
        }
        let stopped_by = if outcomes
            .iter()
            .any(|o| matches!(o.repair, Some(Repair::StartLogging)))
        {
            Some(who_stopped(ctl, trail, status, now).await)
        } else {
            None
        };
        let refused = repair(ctl, trail, outcomes).await?;
        // Read back: what the trail is now.
        let after = match ctl.describe_trails(&trail.home_region).await {
            Ok(v) => v.into_iter().find(|t| t.arn == trail.arn),
            Err(e) if finding(&e) => None,
            Err(e) => return Err(e.into()),
        };
        let reread = match &after {
            Some(t) => observe(ctl, t, cfg, now).await?,
            None => Err("the trail could not be read back".to_string()),
        };
        for o in outcomes {
            let mut r = o.result(&trail.arn);
            if o.repair.is_some() {
                let now_ok = match &reread {
                    Ok((_, again)) => again
                        .iter()
                        .find(|a| a.check == o.check)
                        .map(|a| (a.status == CheckStatus::Ok, a.detail.clone())),
                    Err(why) => Some((false, why.clone())),
                };
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
                        r.detail = format!("was: {}; could not confirm the repair", o.detail);
                    }
                }
                if o.check == CheckName::Logging {
                    if let Some(who) = &stopped_by {
                        r.detail.push_str(&format!("; {who}"));
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
        return Ok(report);
    }
    // 5. Plan on the final results, save, publish, cross off.
    let last = plan(&first.next, &report.results, now, cfg.renotify);
    if let Some(s) = store {
        save_state(s, &last.next).await?;
    }
    report.notices = last.notices.clone();
    if let (Some(n), false) = (notifier, last.notices.is_empty()) {
        let note = watchdog_notification(&last.notices, &cfg.region);
        n.publish(&note).await.map_err(PassError::Publish)?;
        report.published = true;
        if let Some(s) = store {
            save_state(s, &acknowledge(&last.next, &last.notices)).await?;
        }
    }
    Ok(report)
}
