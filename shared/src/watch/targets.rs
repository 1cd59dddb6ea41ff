//! Phase 1 of a pass: which trails to check, and findings for the ones
//! that should be there and are not.

use super::pass::{failed, finding, PassConfig};
use crate::error::PortError;
use crate::watchdog::checks::is_shadow;
use crate::watchdog::model::{CheckName, CheckResult, CheckStatus, TrailInfo};
use crate::watchdog::ports::TrailControl;
use crate::watchdog::state::AlertState;

/// The trails a pass acts on, and what it already knows.
#[derive(Debug, Default)]
pub(super) struct Targets {
    /// Trails whose home is this account and region: checked and repaired.
    pub local: Vec<TrailInfo>,
    /// Results already decided: configured trails not found, trails gone
    /// since an earlier pass, shadow trails reported.
    pub results: Vec<CheckResult>,
}

/// Lists the trails visible in the pass's region and picks the ones to
/// check; `Err` only for an infrastructure failure (a refused listing is a
/// finding).
pub(super) async fn list_targets<C: TrailControl>(
    ctl: &C,
    cfg: &PassConfig,
    prev: &AlertState,
) -> Result<Targets, PortError> {
    let (targets, mut results) = match ctl.describe_trails(&cfg.region).await {
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
        Err(e) => return Err(e),
    };
    let mut local = Vec::new();
    for t in targets {
        // Without the caller's account, an organization trail may belong
        // to another account: reported, not acted on.
        let shadow = match cfg.account.as_deref() {
            Some(account) => is_shadow(&t, &cfg.region, account),
            None => is_shadow(&t, &cfg.region, &t.account) || t.is_organization_trail,
        };
        if shadow {
            results.push(shadow_result(&t, cfg));
        } else {
            local.push(t);
        }
    }
    Ok(Targets { local, results })
}

fn shadow_result(t: &TrailInfo, cfg: &PassConfig) -> CheckResult {
    CheckResult {
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
