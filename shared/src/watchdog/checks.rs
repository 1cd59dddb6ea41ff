//! The eight checks: a trail's description, status and selectors in, one
//! verdict (and the repair that would fix it) per check out.
//!
//! [`evaluate`] proposes; it does not know where it runs, whether this is
//! a dry run, or whether the trail can be touched from here. The caller
//! skips repairs of shadow trails ([`is_shadow`]) and in dry runs, reports
//! those as drift, applies the others in the trail's home region, and
//! confirms each by reading the trail back and evaluating again: the check
//! `Ok` then is `Fixed`, anything else `Failed`.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::model::{CheckName, CheckResult, CheckStatus, Selectors, TrailInfo, TrailStatus};
use super::requirements::{Mode, Requirements};
use super::selectors;

/// The `UpdateTrail` fields a repair sets; `None` is "leave as it is", so
/// an update never reverts a setting it was not asked to fix.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrailUpdate {
    /// `IsMultiRegionTrail`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_multi_region_trail: Option<bool>,
    /// `IncludeGlobalServiceEvents`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_global_service_events: Option<bool>,
    /// `EnableLogFileValidation`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_log_file_validation: Option<bool>,
    /// `KmsKeyId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// `CloudWatchLogsLogGroupArn` (always given with the role: AWS takes
    /// them together).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloudwatch_logs_log_group_arn: Option<String>,
    /// `CloudWatchLogsRoleArn`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloudwatch_logs_role_arn: Option<String>,
}

impl TrailUpdate {
    /// Nothing to change.
    pub fn is_empty(&self) -> bool {
        *self == TrailUpdate::default()
    }

    /// Folds another check's update into this one, so that one
    /// `UpdateTrail` call carries every repair of a pass (`other` wins
    /// where both set a field; the checks never set one field differently).
    pub fn merge(&mut self, other: &TrailUpdate) {
        fn take<T: Clone>(mine: &mut Option<T>, theirs: &Option<T>) {
            if theirs.is_some() {
                mine.clone_from(theirs);
            }
        }
        take(
            &mut self.is_multi_region_trail,
            &other.is_multi_region_trail,
        );
        take(
            &mut self.include_global_service_events,
            &other.include_global_service_events,
        );
        take(
            &mut self.enable_log_file_validation,
            &other.enable_log_file_validation,
        );
        take(&mut self.kms_key_id, &other.kms_key_id);
        take(
            &mut self.cloudwatch_logs_log_group_arn,
            &other.cloudwatch_logs_log_group_arn,
        );
        take(
            &mut self.cloudwatch_logs_role_arn,
            &other.cloudwatch_logs_role_arn,
        );
    }
}

/// What would fix a drifted check. Each is idempotent: applying it twice,
/// or to a trail already fixed, changes nothing more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Repair {
    /// `StartLogging`.
    StartLogging,
    /// `UpdateTrail` with only these fields.
    UpdateTrail(TrailUpdate),
    /// `PutEventSelectors` with these (in the form they are in: basic or
    /// advanced).
    PutEventSelectors(Selectors),
}

/// One check's verdict on one trail, before any repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Which check.
    pub check: CheckName,
    /// `Ok` or `Drift` (repairs are the caller's, and so are `Fixed` and `Failed`).
    pub status: CheckStatus,
    /// For people: what is wrong and what is expected, or what is fine.
    pub detail: String,
    /// The fix, when the check may repair and a repair is possible.
    pub repair: Option<Repair>,
}

impl Outcome {
    /// The output record for this verdict, as it stands (no repair made).
    pub fn result(&self, trail_arn: &str) -> CheckResult {
        CheckResult {
            trail: trail_arn.to_string(),
            check: self.check,
            status: self.status,
            detail: self.detail.clone(),
        }
    }
}

/// Whether the trail is a shadow here: a multi-region trail seen from a
/// region other than its home, or a trail owned by another account (an
/// organization trail seen from a member). Shadows are reported, never
/// acted on: `StartLogging` and `UpdateTrail` only work in the trail's home
/// region and account.
pub fn is_shadow(trail: &TrailInfo, region: &str, account: &str) -> bool {
    trail.home_region != region || trail.account != account
}

/// Runs every trail check that is not `Off`, in [`CheckName::TRAIL`]'s order.
pub fn evaluate(
    trail: &TrailInfo,
    status: &TrailStatus,
    selectors: &Selectors,
    req: &Requirements,
    now: DateTime<Utc>,
) -> Vec<Outcome> {
    CheckName::TRAIL
        .into_iter()
        .filter_map(|check| {
            let mode = req.mode(check);
            if mode == Mode::Off {
                return None;
            }
            let verdict = match check {
                CheckName::Logging => logging(status),
                CheckName::Delivery => delivery(trail, status, req, now),
                CheckName::MultiRegion => multi_region(trail),
                CheckName::GlobalServiceEvents => global_service_events(trail),
                CheckName::LogFileValidation => log_file_validation(trail),
                CheckName::KmsEncryption => kms_encryption(trail, req),
                CheckName::CloudwatchLogs => cloudwatch_logs(trail, req),
                CheckName::EventSelectors => event_selectors(trail, selectors, req),
                // The chain's checks are not a trail's (super::chain).
                _ => return None,
            };
            Some(verdict.into_outcome(check, mode))
        })
        .collect()
}

/// A check's finding before the mode is applied.
enum Verdict {
    Ok(String),
    /// What is wrong, and the repair or why there is none.
    Drift(String, Result<Repair, String>),
}

impl Verdict {
    fn into_outcome(self, check: CheckName, mode: Mode) -> Outcome {
        match self {
            Verdict::Ok(detail) => Outcome {
                check,
                status: CheckStatus::Ok,
                detail,
                repair: None,
            },
            Verdict::Drift(detail, repair) => {
                let (detail, repair) = match (mode, repair) {
                    // Alert-only by nature: nothing to say about repairs.
                    _ if check == CheckName::Delivery => (detail, None),
                    (Mode::Repair, Ok(r)) => (detail, Some(r)),
                    (Mode::Repair, Err(why)) => (format!("{detail}; cannot repair: {why}"), None),
                    (_, _) => (format!("{detail} (alert only: not repaired)"), None),
                };
                Outcome {
                    check,
                    status: CheckStatus::Drift,
                    detail,
                    repair,
                }
            }
        }
    }
}

fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `3h 5m`, `12m`, `40s`, `2d 1h`: ages for people.
fn human(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    let (days, hours, minutes) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

fn logging(status: &TrailStatus) -> Verdict {
    if status.is_logging {
        return Verdict::Ok(match status.start_logging_time {
            Some(t) => format!("logging since {}", at(t)),
            None => "logging".to_string(),
        });
    }
    let stopped = match status.stop_logging_time {
        Some(t) => format!("logging is off (stopped at {})", at(t)),
        None => "logging is off".to_string(),
    };
    Verdict::Drift(
        format!("{stopped}; expected: logging"),
        Ok(Repair::StartLogging),
    )
}

/// One delivery channel's age, against its threshold.
fn age(
    what: &str,
    latest: Option<DateTime<Utc>>,
    started: Option<DateTime<Utc>>,
    max: Duration,
    now: DateTime<Utc>,
    problems: &mut Vec<String>,
    fine: &mut Vec<String>,
) {
    match (latest, started) {
        (Some(t), _) => {
            // A trail restarted after a long stop has had no chance to
            // deliver yet: the clock runs from the later of the two.
            let since = started.map_or(t, |s| s.max(t));
            if now - since > max {
                problems.push(format!(
                    "{what}: last delivered at {} ({} ago; expected within {})",
                    at(t),
                    human(now - t),
                    human(max)
                ));
            } else {
                fine.push(format!("{what} delivered at {}", at(t)));
            }
        }
        (None, Some(s)) if now - s > max => problems.push(format!(
            "{what}: never delivered, though logging started at {} ({} ago; expected within {})",
            at(s),
            human(now - s),
            human(max)
        )),
        (None, Some(s)) => fine.push(format!(
            "{what}: no delivery yet, logging started at {}",
            at(s)
        )),
        (None, None) => problems.push(format!(
            "{what}: never delivered, and when logging started is unknown"
        )),
    }
}

fn delivery(
    trail: &TrailInfo,
    status: &TrailStatus,
    req: &Requirements,
    now: DateTime<Utc>,
) -> Verdict {
    let mut problems = Vec::new();
    let mut fine = Vec::new();
    let has_cw = trail.cloudwatch_logs_group_arn.is_some();
    let errors = [
        ("S3 log delivery error", &status.latest_delivery_error, true),
        (
            "S3 digest delivery error",
            &status.latest_digest_delivery_error,
            trail.log_file_validation,
        ),
        (
            "SNS notification error",
            &status.latest_notification_error,
            true,
        ),
        (
            "CloudWatch Logs delivery error",
            &status.latest_cloudwatch_logs_delivery_error,
            has_cw,
        ),
    ];
    for (what, error, relevant) in errors {
        if let (Some(e), true) = (error, relevant) {
            problems.push(format!("{what}: {e:?}"));
        }
    }
    if status.is_logging {
        let started = status.start_logging_time;
        age(
            "log files",
            status.latest_delivery_time,
            started,
            req.max_delivery_age,
            now,
            &mut problems,
            &mut fine,
        );
        if trail.log_file_validation {
            age(
                "digests",
                status.latest_digest_delivery_time,
                started,
                req.max_digest_age,
                now,
                &mut problems,
                &mut fine,
            );
        }
        if has_cw {
            age(
                "CloudWatch Logs",
                status.latest_cloudwatch_logs_delivery_time,
                started,
                req.max_cloudwatch_logs_age,
                now,
                &mut problems,
                &mut fine,
            );
        }
    } else {
        fine.push("delivery ages not judged while logging is off (see logging)".to_string());
    }
    if problems.is_empty() {
        Verdict::Ok(fine.join("; "))
    } else {
        Verdict::Drift(
            problems.join("; "),
            Err("delivery problems need a person (a bucket, key or role policy)".to_string()),
        )
    }
}

fn multi_region(trail: &TrailInfo) -> Verdict {
    if trail.is_multi_region {
        return Verdict::Ok("multi-region trail".to_string());
    }
    let mut detail = format!(
        "the trail records only its home region {}; expected: a multi-region trail",
        trail.home_region
    );
    let mut update = TrailUpdate {
        is_multi_region_trail: Some(true),
        ..TrailUpdate::default()
    };
    if !trail.include_global_service_events {
        // UpdateTrail refuses a multi-region trail without global service
        // events, so this repair must carry both.
        update.include_global_service_events = Some(true);
        detail.push_str(
            " (the repair also includes global service events, which AWS requires of multi-region trails)",
        );
    }
    Verdict::Drift(detail, Ok(Repair::UpdateTrail(update)))
}

fn global_service_events(trail: &TrailInfo) -> Verdict {
    if trail.include_global_service_events {
        return Verdict::Ok("global service events (IAM, STS, CloudFront...) included".to_string());
    }
    Verdict::Drift(
        "global service events (IAM, STS, CloudFront...) are not included; expected: included"
            .to_string(),
        Ok(Repair::UpdateTrail(TrailUpdate {
            include_global_service_events: Some(true),
            ..TrailUpdate::default()
        })),
    )
}

fn log_file_validation(trail: &TrailInfo) -> Verdict {
    if trail.log_file_validation {
        return Verdict::Ok("log file validation enabled (hourly digests)".to_string());
    }
    Verdict::Drift(
        "log file validation is disabled, so deleted or altered log files cannot be detected; \
         expected: enabled"
            .to_string(),
        Ok(Repair::UpdateTrail(TrailUpdate {
            enable_log_file_validation: Some(true),
            ..TrailUpdate::default()
        })),
    )
}

/// `(partition, region, account)` and the key id of a key ARN
/// (`arn:aws:kms:us-east-1:111122223333:key/ID`), or just the id of a bare
/// key id; `None` for aliases and anything else.
fn key_parts(k: &str) -> Option<(Option<[&str; 3]>, &str)> {
    let parts: Vec<&str> = k.splitn(6, ':').collect();
    match parts[..] {
        ["arn", partition, "kms", region, account, resource] => resource
            .strip_prefix("key/")
            .filter(|id| !id.is_empty())
            .map(|id| (Some([partition, region, account]), id)),
        [id] if !id.is_empty() && !id.contains('/') => Some((None, id)),
        _ => None,
    }
}

/// Whether two KMS key references name the same key: two ARNs must agree
/// on partition, region, account and id; a bare key id matches the id of
/// an ARN; anything else (aliases) only when identical. Key ids are
/// compared ignoring case (AWS prints them lowercase, people paste them
/// in either).
pub fn same_kms_key(a: &str, b: &str) -> bool {
    match (key_parts(a), key_parts(b)) {
        (Some((Some(x), id_a)), Some((Some(y), id_b))) => x == y && id_a.eq_ignore_ascii_case(id_b),
        (Some((_, id_a)), Some((_, id_b))) => id_a.eq_ignore_ascii_case(id_b),
        _ => a == b,
    }
}

fn kms_encryption(trail: &TrailInfo, req: &Requirements) -> Verdict {
    let repair = || match &req.kms_key {
        Some(k) => Ok(Repair::UpdateTrail(TrailUpdate {
            kms_key_id: Some(k.clone()),
            ..TrailUpdate::default()
        })),
        None => Err("no kms_key configured to encrypt with".to_string()),
    };
    match (&trail.kms_key_id, &req.kms_key) {
        (None, want) => Verdict::Drift(
            format!(
                "log files are encrypted with SSE-S3 only; expected: SSE-KMS{}",
                want.as_ref()
                    .map(|k| format!(" with {k}"))
                    .unwrap_or_default()
            ),
            repair(),
        ),
        (Some(have), Some(want)) if !same_kms_key(have, want) => Verdict::Drift(
            format!("log files are encrypted with {have}; expected: {want}"),
            repair(),
        ),
        (Some(have), _) => Verdict::Ok(format!("SSE-KMS with {have}")),
    }
}

/// A log group ARN without AWS's `:*` suffix.
fn log_group(arn: &str) -> &str {
    arn.strip_suffix(":*").unwrap_or(arn)
}

/// Whether two log group ARNs name the same group (with or without the
/// `:*` suffix DescribeTrails adds).
pub fn same_log_group(a: &str, b: &str) -> bool {
    log_group(a) == log_group(b)
}

fn cloudwatch_logs(trail: &TrailInfo, req: &Requirements) -> Verdict {
    let repair = || match (
        &req.cloudwatch_logs_group_arn,
        &req.cloudwatch_logs_role_arn,
    ) {
        (Some(group), Some(role)) => Ok(Repair::UpdateTrail(TrailUpdate {
            // The form DescribeTrails reports (and CloudFormation's
            // log group `Arn` attribute has).
            cloudwatch_logs_log_group_arn: Some(format!("{}:*", log_group(group))),
            cloudwatch_logs_role_arn: Some(role.clone()),
            ..TrailUpdate::default()
        })),
        (None, _) => Err("no cloudwatch_logs_group_arn configured".to_string()),
        (Some(_), None) => Err("no cloudwatch_logs_role_arn configured".to_string()),
    };
    let Some(group) = &trail.cloudwatch_logs_group_arn else {
        let want = match &req.cloudwatch_logs_group_arn {
            Some(g) => log_group(g).to_string(),
            None => "a log group".to_string(),
        };
        return Verdict::Drift(
            format!("events are not delivered to CloudWatch Logs; expected: {want}"),
            repair(),
        );
    };
    let mut problems = Vec::new();
    if let Some(want) = &req.cloudwatch_logs_group_arn {
        if !same_log_group(group, want) {
            problems.push(format!(
                "events go to {}; expected: {}",
                log_group(group),
                log_group(want)
            ));
        }
    }
    match (
        &trail.cloudwatch_logs_role_arn,
        &req.cloudwatch_logs_role_arn,
    ) {
        (None, _) => problems.push(format!(
            "no delivery role is set for {}, so nothing can be delivered",
            log_group(group)
        )),
        (Some(have), Some(want)) if have != want => {
            problems.push(format!("delivered with role {have}; expected: {want}"))
        }
        _ => {}
    }
    if problems.is_empty() {
        let role = trail.cloudwatch_logs_role_arn.as_deref().unwrap_or("?");
        Verdict::Ok(format!(
            "events delivered to {} with role {role}",
            log_group(group)
        ))
    } else {
        Verdict::Drift(problems.join("; "), repair())
    }
}

fn event_selectors(trail: &TrailInfo, current: &Selectors, req: &Requirements) -> Verdict {
    let analysis = selectors::analyze(current, req, &trail.partition);
    if analysis.is_ok() {
        return Verdict::Ok(format!(
            "{} selectors record {}",
            analysis.form,
            analysis.expected()
        ));
    }
    let detail = format!(
        "{} ({} selectors); expected: {}",
        analysis.gaps().join("; "),
        analysis.form,
        analysis.expected()
    );
    let repair = selectors::repaired(current, req, &trail.partition)
        .map(Repair::PutEventSelectors)
        .map_err(|e| e.to_string());
    Verdict::Drift(detail, repair)
}
