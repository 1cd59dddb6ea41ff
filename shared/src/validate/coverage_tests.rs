//! Coverage: which silences are findings.

use chrono::TimeZone;

use super::*;

fn at(h: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 0, 0, 0).unwrap() + Duration::hours(h)
}

/// A span of `hours` from hour 0, assessed long after.
fn span(hours: i64) -> Span {
    Span {
        start: at(0),
        end: at(hours),
        now: at(24 * 30),
        slack: Duration::minutes(15),
    }
}

/// Hourly windows for hours `from..to`; `restart` marks the first as a
/// chain start.
fn hourly(from: i64, to: i64, restart: bool) -> Vec<Window> {
    (from..to)
        .map(|h| Window {
            start: at(h),
            end: at(h + 1),
            starts_chain: restart && h == from,
        })
        .collect()
}

fn chain(account: &str, region: &str, windows: Vec<Window>) -> ChainInput {
    ChainInput {
        account: account.into(),
        region: Some(region.into()),
        digests: windows.len(),
        windows,
        ..ChainInput::default()
    }
}

fn kinds(s: &ChainSummary) -> Vec<(GapKind, bool)> {
    s.gaps.iter().map(|g| (g.kind, g.finding)).collect()
}

const LOGGING: TrailActivity = TrailActivity {
    is_logging: true,
    started: None,
    stopped: None,
};

#[test]
fn a_whole_chain_has_no_gap() {
    let s = assess(
        &[chain("111122223333", "us-east-1", hourly(0, 24, true))],
        span(24),
        Some(&LOGGING),
    );
    assert_eq!(s.len(), 1);
    assert!(s[0].gaps.is_empty(), "{:?}", s[0].gaps);
    assert_eq!(s[0].hours_covered, 24.0);
    assert_eq!(s[0].hours_due, 24.0);
    assert_eq!((s[0].first, s[0].last), (Some(at(0)), Some(at(24))));
    assert_eq!(s[0].label(), "111122223333/us-east-1");
}

#[test]
fn checking_nothing_is_a_finding_unless_logging_was_off() {
    let empty = [chain("111122223333", "us-east-1", Vec::new())];
    for activity in [None, Some(&LOGGING)] {
        let s = assess(&empty, span(4), activity);
        assert_eq!(kinds(&s[0]), [(GapKind::NoDigests, true)], "{activity:?}");
        assert_eq!(s[0].first_gap(), (at(0), at(4)));
    }
    // Stopped before the range, and still stopped: explained.
    let stopped = TrailActivity {
        is_logging: false,
        started: Some(at(-100)),
        stopped: Some(at(-1)),
    };
    let s = assess(&empty, span(4), Some(&stopped));
    assert_eq!(kinds(&s[0]), [(GapKind::NoDigests, false)]);
    assert!(
        s[0].gaps[0].reason.contains("stopped since"),
        "{}",
        s[0].gaps[0].reason
    );
    // Stopped in the middle of the range: the first hours are not explained.
    let later = TrailActivity {
        stopped: Some(at(2)),
        ..stopped
    };
    let s = assess(&empty, span(4), Some(&later));
    assert_eq!(kinds(&s[0]), [(GapKind::NoDigests, true)]);
    // A trail that has never logged.
    let never = TrailActivity::default();
    let s = assess(&empty, span(4), Some(&never));
    assert_eq!(kinds(&s[0]), [(GapKind::NoDigests, false)]);
}

#[test]
fn a_chain_that_falls_silent_while_others_deliver_is_a_finding() {
    let chains = [
        chain("111122223333", "us-east-1", hourly(0, 24, true)),
        chain("111122223333", "eu-west-1", hourly(0, 10, true)),
    ];
    // Even when the trail is stopped now: the other chain kept delivering.
    let stopped = TrailActivity {
        is_logging: false,
        started: None,
        stopped: Some(at(30)),
    };
    for activity in [None, Some(&LOGGING), Some(&stopped)] {
        let s = assess(&chains, span(24), activity);
        assert!(s[0].gaps.is_empty());
        assert_eq!(kinds(&s[1]), [(GapKind::AfterLast, true)]);
        let g = &s[1].gaps[0];
        assert_eq!((g.from, g.to), (at(10), at(24)));
        assert!(g.reason.contains("other chains"), "{}", g.reason);
        assert_eq!(s[1].hours_covered, 10.0);
    }
}

#[test]
fn an_account_with_no_folder_while_others_deliver_is_a_finding() {
    let chains = [
        chain("111122223333", "us-east-1", hourly(0, 6, true)),
        ChainInput {
            account: "444455556666".into(),
            ..ChainInput::default()
        },
    ];
    let s = assess(&chains, span(6), Some(&LOGGING));
    assert_eq!(kinds(&s[1]), [(GapKind::NoDigests, true)]);
    assert_eq!(s[1].label(), "444455556666/(no folder)");
}

#[test]
fn every_chain_restarting_together_is_logging_stopped_not_a_finding() {
    let both = |restart: bool| {
        let mut w = hourly(0, 3, true);
        w.extend(hourly(6, 10, restart));
        w
    };
    let chains = [
        chain("111122223333", "us-east-1", both(true)),
        chain("111122223333", "eu-west-1", both(true)),
    ];
    let s = assess(&chains, span(10), Some(&LOGGING));
    for c in &s {
        assert_eq!(kinds(c), [(GapKind::Restarted, false)]);
        assert_eq!(c.hours_covered, 7.0);
    }
    // One region restarting while the other delivered: a finding.
    let chains = [
        chain("111122223333", "us-east-1", hourly(0, 10, true)),
        chain("111122223333", "eu-west-1", both(true)),
    ];
    let s = assess(&chains, span(10), Some(&LOGGING));
    assert_eq!(kinds(&s[1]), [(GapKind::Restarted, true)]);
    // Without the restart the hours are missing digests: verdicts already.
    let chains = [chain("111122223333", "us-east-1", both(false))];
    let s = assess(&chains, span(10), None);
    assert_eq!(kinds(&s[0]), [(GapKind::Missing, false)]);
}

#[test]
fn a_chain_that_begins_late_is_a_finding_only_when_others_delivered() {
    let alone = [chain("111122223333", "us-east-1", hourly(5, 10, true))];
    let s = assess(&alone, span(10), None);
    assert_eq!(kinds(&s[0]), [(GapKind::BeforeFirst, false)]);
    let beside = [
        chain("111122223333", "us-east-1", hourly(0, 10, true)),
        chain("111122223333", "ap-south-1", hourly(5, 10, true)),
    ];
    let s = assess(&beside, span(10), None);
    assert_eq!(kinds(&s[1]), [(GapKind::BeforeFirst, true)]);
}

#[test]
fn every_chain_silent_at_the_end_needs_the_status_to_explain_it() {
    let chains = [
        chain("111122223333", "us-east-1", hourly(0, 5, true)),
        chain("111122223333", "eu-west-1", hourly(0, 5, true)),
    ];
    let s = assess(&chains, span(10), Some(&LOGGING));
    assert_eq!(kinds(&s[0]), [(GapKind::AfterLast, true)]);
    assert!(s[0].gaps[0].reason.contains("does not show logging off"));
    let s = assess(&chains, span(10), None);
    assert!(s[0].gaps[0].reason.contains("status is unknown"));
    // Stopped at the end of the last digest: explained.
    let stopped = TrailActivity {
        is_logging: false,
        started: Some(at(-5)),
        stopped: Some(at(5)),
    };
    let s = assess(&chains, span(10), Some(&stopped));
    assert_eq!(kinds(&s[0]), [(GapKind::AfterLast, false)]);
    // Stopped and started again after the range: still explained.
    let restarted = TrailActivity {
        is_logging: true,
        started: Some(at(12)),
        stopped: Some(at(5)),
    };
    let s = assess(&chains, span(10), Some(&restarted));
    assert_eq!(kinds(&s[0]), [(GapKind::AfterLast, false)]);
    // Restarted inside the gap: the hours after the restart are not.
    let inside = TrailActivity {
        started: Some(at(7)),
        ..restarted
    };
    let s = assess(&chains, span(10), Some(&inside));
    assert_eq!(kinds(&s[0]), [(GapKind::AfterLast, true)]);
}

#[test]
fn digests_not_yet_due_are_not_gaps() {
    // The range reaches now: the last hour and the slack are not due.
    let now = at(10) + Duration::minutes(20);
    let sp = Span { now, ..span(10) };
    let chains = [chain("111122223333", "us-east-1", hourly(0, 9, true))];
    let s = assess(&chains, sp, Some(&LOGGING));
    assert!(s[0].gaps.is_empty(), "{:?}", s[0].gaps);
    assert_eq!(s[0].hours_due, 9.0);
    // A range entirely in the future of the delivery: nothing is due.
    let s = assess(&[chain("111122223333", "us-east-1", Vec::new())], sp, None);
    let early = Span {
        start: at(10),
        end: at(10) + Duration::minutes(10),
        ..sp
    };
    let e = assess(
        &[chain("111122223333", "us-east-1", Vec::new())],
        early,
        None,
    );
    assert!(e[0].gaps.is_empty());
    assert_eq!(e[0].hours_due, 0.0);
    assert_eq!(kinds(&s[0]), [(GapKind::NoDigests, true)]);
}

#[test]
fn windows_are_clipped_to_the_range_and_merged() {
    let mut w = hourly(0, 4, true);
    w.push(w[1]); // the same digest twice (a listing overlap)
    w.push(Window {
        start: at(-3),
        end: at(-2),
        starts_chain: false,
    });
    let s = assess(&[chain("111122223333", "us-east-1", w)], span(4), None);
    assert_eq!(s[0].hours_covered, 4.0);
    assert!(s[0].gaps.is_empty());
}

#[test]
fn activity_explains_only_what_it_shows() {
    let t = |h| Some(at(h));
    let a = |is_logging, started, stopped| TrailActivity {
        is_logging,
        started,
        stopped,
    };
    // Stopped since 2, asked about 3..8: yes; about 1..8: no.
    assert!(a(false, t(0), t(2)).off_during(at(3), at(8)).is_some());
    assert!(a(false, t(0), t(2)).off_during(at(1), at(8)).is_none());
    // Stopped 2..6 and logging since: 3..5 yes, 3..7 no.
    assert!(a(true, t(6), t(2)).off_during(at(3), at(5)).is_some());
    assert!(a(true, t(6), t(2)).off_during(at(3), at(7)).is_none());
    // Logging, started at 4, never stopped: before 4 it had not begun.
    assert!(a(true, t(4), None).off_during(at(0), at(3)).is_some());
    assert!(a(true, t(4), None).off_during(at(0), at(5)).is_none());
    // Logging and last started before its last stop (a status CloudTrail
    // would not give): nothing is explained.
    assert!(a(true, t(1), t(3)).off_during(at(4), at(5)).is_none());
    // Never logged.
    assert!(a(false, None, None).off_during(at(0), at(5)).is_some());
}

impl ChainSummary {
    fn first_gap(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.gaps[0].from, self.gaps[0].to)
    }
}
