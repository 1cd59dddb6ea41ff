//! Which hours each chain proves, and where a chain is silent.
//!
//! CloudTrail delivers a digest every hour for every account and region a
//! trail logs, even an hour with no activity ("CloudTrail digest file
//! structure": "a digest file is delivered even when no log files were
//! delivered"), so a chain with no digest for an hour it should have one is
//! a gap, and checking a range that holds no digest is not a success. This
//! module turns the digest windows found per chain into a summary table and
//! coverage findings; it reads no clock and makes no call (the caller passes
//! the current time and what GetTrailStatus said).
//!
//! A gap is a finding when it cannot be innocent:
//!
//! - another chain of the same trail delivered during it (a region or an
//!   account fell silent while the others logged: logging is per trail, so
//!   stopping it stops every chain at once);
//! - or no chain delivered, and the trail's status does not show logging
//!   off for the whole gap (a trail that logs must deliver digests).
//!
//! A chain that restarts (its first digest after the gap has null
//! `previousDigest*` fields: logging was stopped and started) in step with
//! every other chain is reported as a gap, not a finding, as the AWS CLI
//! does. Missing digests inside a chain are verdicts already (see
//! [`super::range`]); the table shows them as gaps too.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::ports::TrailActivity;

/// One digest's window, as found in a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// `digestStartTime`.
    pub start: DateTime<Utc>,
    /// `digestEndTime`.
    pub end: DateTime<Utc>,
    /// Its `previousDigest*` fields are null: the first digest after
    /// logging (or validation) started.
    pub starts_chain: bool,
}

/// What the range validation found in one chain (an account and a region).
#[derive(Debug, Clone, Default)]
pub struct ChainInput {
    /// The account whose folder holds the chain.
    pub account: String,
    /// The region; `None` for an expected account with no folder at all.
    pub region: Option<String>,
    /// Every parsed digest's window (valid or not: a tampered digest is a
    /// verdict of its own, and still shows delivery).
    pub windows: Vec<Window>,
    /// Digest verdicts.
    pub digests: usize,
    /// Log file verdicts.
    pub logs: usize,
    /// Invalid verdicts.
    pub invalid: usize,
}

/// Why a chain has no digest for a stretch of the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapKind {
    /// No digest in the whole range.
    NoDigests,
    /// None before the chain's first digest in the range.
    BeforeFirst,
    /// The chain restarted after it: logging was stopped and started.
    Restarted,
    /// Digests missing between two that remain (each an invalid verdict).
    Missing,
    /// None after the chain's last digest, though they are due.
    AfterLast,
}

impl GapKind {
    fn describe(self) -> &'static str {
        match self {
            GapKind::NoDigests => "no digest in the range",
            GapKind::BeforeFirst => "no digest before the first",
            GapKind::Restarted => "chain restarted (logging stopped)",
            GapKind::Missing => "digests missing from the chain",
            GapKind::AfterLast => "no digest after the last",
        }
    }
}

/// A stretch of a chain without digests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// Start of the silence.
    pub from: DateTime<Utc>,
    /// End of the silence.
    pub to: DateTime<Utc>,
    /// Its kind.
    pub kind: GapKind,
    /// Whether it is a finding (see the module comment).
    pub finding: bool,
    /// Why it is not a finding, or what makes it one.
    pub reason: String,
}

/// One row of the summary table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainSummary {
    /// The account.
    pub account: String,
    /// The region (`None`: an expected account without a folder).
    pub region: Option<String>,
    /// Hours of the checked range that digests cover.
    pub hours_covered: f64,
    /// Hours of the range that digests were due for.
    pub hours_due: f64,
    /// Digest verdicts.
    pub digests: usize,
    /// Log file verdicts.
    pub logs: usize,
    /// Invalid verdicts.
    pub invalid: usize,
    /// First covered time.
    pub first: Option<DateTime<Utc>>,
    /// Last covered time.
    pub last: Option<DateTime<Utc>>,
    /// The stretches without digests.
    pub gaps: Vec<Gap>,
}

impl ChainSummary {
    /// `ACCOUNT/REGION`, or `ACCOUNT/(no folder)`.
    pub fn label(&self) -> String {
        format!(
            "{}/{}",
            self.account,
            self.region.as_deref().unwrap_or("(no folder)")
        )
    }

    /// The gaps that are findings.
    pub fn findings(&self) -> impl Iterator<Item = &Gap> {
        self.gaps.iter().filter(|g| g.finding)
    }
}

/// The range and the time the assessment is made at.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    /// Requested start.
    pub start: DateTime<Utc>,
    /// Requested end.
    pub end: DateTime<Utc>,
    /// Now: digests for the last hour and the delivery slack are not due yet.
    pub now: DateTime<Utc>,
    /// The delivery slack (`TRAILGUARD_DELIVERY_SLACK_MINUTES`).
    pub slack: Duration,
}

impl Span {
    /// The end of the stretch digests are due for: a digest covers an hour
    /// and arrives within the slack after it (twice the slack, as the
    /// pending check allows).
    pub fn due_end(&self) -> DateTime<Utc> {
        self.end.min(self.now - Duration::hours(1) - self.slack * 2)
    }

    /// A silence shorter than this is not a gap: one digest's hour plus the
    /// slack (windows do not align across regions to the second).
    fn tolerance(&self) -> Duration {
        Duration::hours(1) + self.slack
    }
}

/// The summary of every chain, in the order given.
pub fn assess(
    chains: &[ChainInput],
    span: Span,
    activity: Option<&TrailActivity>,
) -> Vec<ChainSummary> {
    let due_end = span.due_end();
    let covered: Vec<Vec<(DateTime<Utc>, DateTime<Utc>)>> = chains
        .iter()
        .map(|c| merged(&c.windows, span.start, span.end))
        .collect();
    chains
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mine = &covered[i];
            let others = || {
                covered
                    .iter()
                    .enumerate()
                    .filter(move |(j, _)| *j != i)
                    .map(|(_, v)| v)
            };
            let gaps = gaps_of(c, mine, span, due_end)
                .into_iter()
                .map(|(from, to, kind)| judge(from, to, kind, span, activity, others()))
                .collect();
            let hours = |d: Duration| (d.num_seconds() as f64 / 360.0).round() / 10.0;
            let hours_covered = hours(mine.iter().map(|(s, e)| *e - *s).sum());
            ChainSummary {
                account: c.account.clone(),
                region: c.region.clone(),
                hours_covered,
                // A digest may arrive before it is due.
                hours_due: hours((due_end - span.start).max(Duration::zero())).max(hours_covered),
                digests: c.digests,
                logs: c.logs,
                invalid: c.invalid,
                first: mine.first().map(|(s, _)| *s),
                last: mine.last().map(|(_, e)| *e),
                gaps,
            }
        })
        .collect()
}

/// The windows clipped to the range, sorted and merged where they touch.
fn merged(
    windows: &[Window],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut w: Vec<(DateTime<Utc>, DateTime<Utc>)> = windows
        .iter()
        .map(|w| (w.start.max(start), w.end.min(end)))
        .filter(|(s, e)| s < e)
        .collect();
    w.sort();
    let mut out: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for (s, e) in w {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// The stretches of `[start, due_end]` no window covers, longer than the
/// tolerance, with their kind.
fn gaps_of(
    chain: &ChainInput,
    covered: &[(DateTime<Utc>, DateTime<Utc>)],
    span: Span,
    due_end: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>, GapKind)> {
    let tol = span.tolerance();
    if due_end <= span.start {
        return Vec::new();
    }
    let Some(first) = covered.first() else {
        return if due_end - span.start >= tol {
            vec![(span.start, due_end, GapKind::NoDigests)]
        } else {
            Vec::new()
        };
    };
    let mut out = Vec::new();
    if first.0 - span.start >= tol {
        out.push((span.start, first.0, GapKind::BeforeFirst));
    }
    for pair in covered.windows(2) {
        let (from, to) = (pair[0].1, pair[1].0);
        let restarted = chain
            .windows
            .iter()
            .any(|w| w.starts_chain && w.start.max(span.start) == to);
        let kind = if restarted {
            GapKind::Restarted
        } else {
            GapKind::Missing
        };
        out.push((from, to, kind));
    }
    let last = covered.last().map_or(span.start, |(_, e)| *e);
    if due_end - last >= tol {
        out.push((last, due_end, GapKind::AfterLast));
    }
    out
}

/// Whether a gap is a finding, and why.
fn judge<'a>(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    kind: GapKind,
    span: Span,
    activity: Option<&TrailActivity>,
    mut others: impl Iterator<Item = &'a Vec<(DateTime<Utc>, DateTime<Utc>)>>,
) -> Gap {
    let tol = span.tolerance();
    let gap = |finding: bool, reason: String| Gap {
        from,
        to,
        kind,
        finding,
        reason,
    };
    if kind == GapKind::Missing {
        // Already an invalid verdict per missing digest.
        return gap(false, kind.describe().to_string());
    }
    let delivered_meanwhile = others.any(|v| {
        v.iter()
            .map(|(s, e)| (*e).min(to) - (*s).max(from))
            .any(|overlap| overlap > tol)
    });
    if delivered_meanwhile {
        return gap(
            true,
            format!(
                "{}, while other chains of the trail delivered digests",
                kind.describe()
            ),
        );
    }
    if matches!(kind, GapKind::Restarted | GapKind::BeforeFirst) {
        // Every chain silent together, ending in a restart or the chain's
        // first digest: logging was off, or the chain began (a region or
        // account joined); the AWS CLI reports the same as a notice.
        return gap(false, format!("{}, as every chain", kind.describe()));
    }
    match activity.and_then(|a| a.off_during(from + tol, to - tol)) {
        Some(why) => gap(false, format!("{}: {why}", kind.describe())),
        None => gap(
            true,
            format!(
                "{}, and {}",
                kind.describe(),
                match activity {
                    Some(_) => "the trail's status does not show logging off for it",
                    None => "the trail's status is unknown",
                }
            ),
        ),
    }
}

#[cfg(test)]
#[path = "coverage_tests.rs"]
mod tests;
