//! Phase 4 of a pass: repair what may be repaired, read the trail back,
//! and decide `fixed` or `failed` for each repaired check.

use chrono::{DateTime, Utc};

use super::observe::{observe, Observed};
use super::pass::{finding, PassConfig};
use crate::error::PortError;
use crate::watchdog::checks::{Outcome, Repair, TrailUpdate};
use crate::watchdog::model::{CheckName, CheckResult, CheckStatus, TrailInfo};
use crate::watchdog::ports::TrailControl;

/// Repairs every trail that needs it and returns one result per check, and
/// the infrastructure failure that stopped the repairs, if any (later
/// trails are then reported unrepaired; the pass fails at the end).
pub(super) async fn repair_and_confirm<C: TrailControl>(
    ctl: &C,
    trails: &[Observed],
    cfg: &PassConfig,
    now: DateTime<Utc>,
) -> (Vec<CheckResult>, Option<PortError>) {
    let mut results = Vec::new();
    let mut infra: Option<PortError> = None;
    for seen in trails {
        let arn = &seen.trail.arn;
        let needs = seen.outcomes.iter().any(|o| o.repair.is_some());
        if !needs || cfg.dry_run || infra.is_some() {
            for o in &seen.outcomes {
                let mut r = o.result(arn);
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
        match repair_one(ctl, seen, cfg, now).await {
            Ok((refused, reread)) => {
                for o in &seen.outcomes {
                    results.push(confirm(o, arn, &refused, reread.as_ref()));
                }
            }
            Err(e) => {
                for o in &seen.outcomes {
                    let mut r = o.result(arn);
                    if o.repair.is_some() {
                        r.detail.push_str(&format!(" (repair interrupted: {e})"));
                    }
                    results.push(r);
                }
                infra = Some(e);
            }
        }
    }
    (results, infra)
}

/// Repairs one trail, then reads it back (`None`: it is gone).
async fn repair_one<C: TrailControl>(
    ctl: &C,
    seen: &Observed,
    cfg: &PassConfig,
    now: DateTime<Utc>,
) -> Result<(Vec<(CheckName, String)>, Option<Observed>), PortError> {
    let trail = &seen.trail;
    let refused = repair(ctl, trail, &seen.outcomes).await?;
    let after = match ctl.describe_trails(&trail.home_region).await {
        Ok(v) => v.into_iter().find(|t| t.arn == trail.arn),
        Err(e) if finding(&e) => None,
        Err(e) => return Err(e),
    };
    let reread = match after {
        Some(t) => Some(observe(ctl, t, cfg, now).await?),
        None => None,
    };
    Ok((refused, reread))
}

/// One check's result after its repair: refused, confirmed by the
/// read-back, not taken, or unconfirmable.
fn confirm(
    o: &Outcome,
    arn: &str,
    refused: &[(CheckName, String)],
    reread: Option<&Observed>,
) -> CheckResult {
    let mut r = o.result(arn);
    if o.repair.is_none() {
        return r;
    }
    let now_ok = reread.map(|again| {
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
    r
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
