//! The alert state across sequences of passes, and the delivery protocol.

use super::super::state::{key, Entry, FORGET_AFTER, STATE_VERSION};
use super::*;

const OTHER: &str = "arn:aws:cloudtrail:eu-west-1:111122223333:trail/other";

fn res(trail: &str, check: CheckName, status: CheckStatus, detail: &str) -> CheckResult {
    CheckResult {
        trail: trail.into(),
        check,
        status,
        detail: detail.into(),
    }
}

fn logging(status: CheckStatus, detail: &str) -> CheckResult {
    res(ARN, CheckName::Logging, status, detail)
}

const RENOTIFY: Duration = Duration::hours(24);

/// A pass whose notices are all published: returns them and the saved state.
fn pass(
    prev: &AlertState,
    results: &[CheckResult],
    at: DateTime<Utc>,
) -> (Vec<Notice>, AlertState) {
    let p = plan(prev, results, at, RENOTIFY);
    assert_eq!(
        p.notices, p.next.pending,
        "notices are exactly the pending list"
    );
    let saved = acknowledge(&p.next, &p.notices);
    assert!(saved.pending.is_empty());
    (p.notices, saved)
}

fn kinds(notices: &[Notice]) -> Vec<(CheckName, NoticeKind)> {
    notices.iter().map(|n| (n.check, n.kind)).collect()
}

#[test]
fn new_problem_is_told_once() {
    let now = now();
    let (n, s) = pass(
        &AlertState::new(),
        &[logging(CheckStatus::Drift, "logging is off")],
        now,
    );
    assert_eq!(kinds(&n), [(CheckName::Logging, NoticeKind::Problem)]);
    assert_eq!(n[0].trail, ARN);
    assert_eq!(n[0].status, CheckStatus::Drift);
    assert_eq!(n[0].detail, "logging is off");
    assert_eq!((n[0].since, n[0].at, n[0].was.clone()), (now, now, None));
    let e = &s.entries[&key(ARN, CheckName::Logging)];
    assert_eq!((e.since, e.last_notified, e.last_seen), (now, now, now));
    assert_eq!(e.status, CheckStatus::Drift);

    // Every five minutes for a day: quiet.
    let mut state = s;
    for i in 1..288 {
        let (n, next) = pass(
            &state,
            &[logging(CheckStatus::Drift, "logging is off")],
            now + minutes(5 * i),
        );
        assert!(n.is_empty(), "pass {i}: {n:?}");
        state = next;
    }
    assert_eq!(
        state.entries[&key(ARN, CheckName::Logging)].last_seen,
        now + minutes(5 * 287)
    );
}

#[test]
fn still_a_problem_after_the_interval_then_quiet_again() {
    let t0 = now();
    let (_, s) = pass(
        &AlertState::new(),
        &[logging(CheckStatus::Drift, "off")],
        t0,
    );
    let (n, s) = pass(
        &s,
        &[logging(CheckStatus::Drift, "off")],
        t0 + RENOTIFY - minutes(1),
    );
    assert!(n.is_empty());
    // Exactly at the interval.
    let (n, s) = pass(
        &s,
        &[logging(CheckStatus::Failed, "off; StartLogging denied")],
        t0 + RENOTIFY,
    );
    assert_eq!(kinds(&n), [(CheckName::Logging, NoticeKind::StillProblem)]);
    assert_eq!(n[0].since, t0, "the episode's start");
    assert_eq!(n[0].status, CheckStatus::Failed);
    assert_eq!(n[0].detail, "off; StartLogging denied");
    let (n, s) = pass(
        &s,
        &[logging(CheckStatus::Drift, "off")],
        t0 + RENOTIFY + minutes(5),
    );
    assert!(n.is_empty());
    let (n, _) = pass(&s, &[logging(CheckStatus::Drift, "off")], t0 + RENOTIFY * 2);
    assert_eq!(kinds(&n), [(CheckName::Logging, NoticeKind::StillProblem)]);
}

#[test]
fn non_positive_interval_renotifies_every_pass() {
    let (_, s) = pass(
        &AlertState::new(),
        &[logging(CheckStatus::Drift, "off")],
        now(),
    );
    let p = plan(
        &s,
        &[logging(CheckStatus::Drift, "off")],
        now() + minutes(5),
        Duration::zero(),
    );
    assert_eq!(
        kinds(&p.notices),
        [(CheckName::Logging, NoticeKind::StillProblem)]
    );
}

#[test]
fn resolved_when_a_known_problem_is_gone() {
    let t0 = now();
    let (_, s) = pass(
        &AlertState::new(),
        &[logging(CheckStatus::Drift, "logging is off")],
        t0,
    );
    let (n, s) = pass(
        &s,
        &[logging(CheckStatus::Ok, "logging since X")],
        t0 + minutes(5),
    );
    assert_eq!(kinds(&n), [(CheckName::Logging, NoticeKind::Resolved)]);
    assert_eq!(n[0].status, CheckStatus::Ok);
    assert_eq!(n[0].detail, "logging since X");
    assert_eq!(n[0].was.as_deref(), Some("logging is off"));
    assert_eq!(n[0].since, t0);
    assert!(s.entries.is_empty());
    let (n, s2) = pass(
        &s,
        &[logging(CheckStatus::Ok, "logging since X")],
        t0 + minutes(10),
    );
    assert!(n.is_empty());
    assert_eq!(s2, s);
}

#[test]
fn ok_and_unknown_says_nothing() {
    let results: Vec<CheckResult> = CheckName::ALL
        .iter()
        .map(|c| res(ARN, *c, CheckStatus::Ok, "fine"))
        .collect();
    let p = plan(&AlertState::new(), &results, now(), RENOTIFY);
    assert!(p.notices.is_empty());
    assert_eq!(p.next, AlertState::new());
}

#[test]
fn fixed_is_always_told() {
    // Stopped, restarted, stopped again by someone: each repair is a notice.
    let mut state = AlertState::new();
    for i in 0..3 {
        let at = now() + minutes(5 * i);
        let (n, s) = pass(
            &state,
            &[logging(CheckStatus::Fixed, "restarted; stopped by alice")],
            at,
        );
        assert_eq!(
            kinds(&n),
            [(CheckName::Logging, NoticeKind::Fixed)],
            "pass {i}"
        );
        assert_eq!((n[0].since, n[0].was.clone()), (at, None));
        assert!(s.entries.is_empty());
        state = s;
    }
}

#[test]
fn sequence_problem_quiet_renotify_fixed_then_resolved_elsewhere() {
    let t0 = now();
    let cw = |status, detail: &str| res(ARN, CheckName::CloudwatchLogs, status, detail);
    let lfv = |status, detail: &str| res(ARN, CheckName::LogFileValidation, status, detail);
    let mut state = AlertState::new();
    let mut told = Vec::new();
    let script: Vec<(Duration, Vec<CheckResult>)> = vec![
        (
            Duration::zero(),
            vec![
                lfv(CheckStatus::Failed, "disabled; UpdateTrail denied"),
                cw(CheckStatus::Drift, "no group"),
            ],
        ),
        (
            minutes(5),
            vec![
                lfv(CheckStatus::Failed, "disabled; UpdateTrail denied"),
                cw(CheckStatus::Drift, "no group"),
            ],
        ),
        (
            RENOTIFY,
            vec![
                lfv(CheckStatus::Failed, "disabled; UpdateTrail denied"),
                cw(CheckStatus::Drift, "no group"),
            ],
        ),
        (
            RENOTIFY + minutes(5),
            vec![
                lfv(CheckStatus::Fixed, "enabled by UpdateTrail"),
                cw(CheckStatus::Drift, "no group"),
            ],
        ),
        (
            RENOTIFY + minutes(10),
            vec![
                lfv(CheckStatus::Ok, "enabled"),
                cw(CheckStatus::Ok, "delivers to g"),
            ],
        ),
        (
            RENOTIFY + minutes(15),
            vec![
                lfv(CheckStatus::Ok, "enabled"),
                cw(CheckStatus::Ok, "delivers to g"),
            ],
        ),
    ];
    for (offset, results) in script {
        let (n, s) = pass(&state, &results, t0 + offset);
        told.push(kinds(&n));
        state = s;
    }
    use CheckName::{CloudwatchLogs as C, LogFileValidation as L};
    use NoticeKind::*;
    assert_eq!(
        told,
        vec![
            vec![(L, Problem), (C, Problem)],
            vec![],
            vec![(L, StillProblem), (C, StillProblem)],
            vec![(L, Fixed)],
            vec![(C, Resolved)],
            vec![],
        ]
    );
    assert!(state.entries.is_empty() && state.pending.is_empty());
}

#[test]
fn fixed_carries_the_problem_it_fixed() {
    let t0 = now();
    let (_, s) = pass(
        &AlertState::new(),
        &[logging(CheckStatus::Drift, "off (alert only)")],
        t0,
    );
    let (n, _) = pass(
        &s,
        &[logging(CheckStatus::Fixed, "restarted")],
        t0 + minutes(5),
    );
    assert_eq!(n[0].kind, NoticeKind::Fixed);
    assert_eq!(n[0].since, t0);
    assert_eq!(n[0].was.as_deref(), Some("off (alert only)"));
}

#[test]
fn protocol_one_notice_per_repaired_incident() {
    let t0 = now();
    // Step 2: observed drift, saved before repairing.
    let before = plan(
        &AlertState::new(),
        &[logging(CheckStatus::Drift, "logging is off")],
        t0,
        RENOTIFY,
    );
    assert_eq!(
        kinds(&before.notices),
        [(CheckName::Logging, NoticeKind::Problem)]
    );
    // Step 3: repaired and confirmed.
    let after = plan(
        &before.next,
        &[logging(CheckStatus::Fixed, "StartLogging: logging again")],
        t0,
        RENOTIFY,
    );
    assert_eq!(
        kinds(&after.notices),
        [(CheckName::Logging, NoticeKind::Fixed)]
    );
    assert_eq!(after.notices[0].was.as_deref(), Some("logging is off"));
    assert_eq!(after.notices[0].since, t0);
    assert!(after.next.entries.is_empty());
    // Planning step 3 again (a retried save) changes nothing.
    let again = plan(
        &after.next,
        &[logging(CheckStatus::Fixed, "StartLogging: logging again")],
        t0,
        RENOTIFY,
    );
    assert_eq!(again.next, after.next);
}

#[test]
fn protocol_failed_repair_refreshes_the_pending_problem() {
    let t0 = now();
    let before = plan(
        &AlertState::new(),
        &[logging(CheckStatus::Drift, "logging is off")],
        t0,
        RENOTIFY,
    );
    let after = plan(
        &before.next,
        &[logging(
            CheckStatus::Failed,
            "logging is off; StartLogging: AccessDenied",
        )],
        t0,
        RENOTIFY,
    );
    assert_eq!(after.notices.len(), 1);
    assert_eq!(after.notices[0].kind, NoticeKind::Problem);
    assert_eq!(after.notices[0].status, CheckStatus::Failed);
    assert_eq!(
        after.notices[0].detail,
        "logging is off; StartLogging: AccessDenied"
    );
    assert_eq!(
        after.next.entries[&key(ARN, CheckName::Logging)].status,
        CheckStatus::Failed
    );
}

#[test]
fn protocol_crash_after_repair_still_tells() {
    let t0 = now();
    // Step 2 saved, the repair was made, then the function died.
    let saved = plan(
        &AlertState::new(),
        &[logging(CheckStatus::Drift, "logging is off")],
        t0,
        RENOTIFY,
    )
    .next;
    // Next pass: the trail is fine (the repair held): nothing is repaired
    // again, and people hear of both the problem and its end.
    let p = plan(
        &saved,
        &[logging(CheckStatus::Ok, "logging")],
        t0 + minutes(5),
        RENOTIFY,
    );
    assert_eq!(
        kinds(&p.notices),
        [
            (CheckName::Logging, NoticeKind::Problem),
            (CheckName::Logging, NoticeKind::Resolved)
        ]
    );
    assert_eq!(p.notices[0].detail, "logging is off");
    assert_eq!(p.notices[1].was.as_deref(), Some("logging is off"));
}

#[test]
fn pending_notices_are_resent_after_a_failed_publish() {
    let t0 = now();
    // Pass 1: planned and saved, SNS unreachable: nothing acknowledged.
    let p1 = plan(
        &AlertState::new(),
        &[logging(CheckStatus::Fixed, "restarted")],
        t0,
        RENOTIFY,
    );
    // Pass 2: the trail is fine; the notice is sent anyway.
    let p2 = plan(
        &p1.next,
        &[logging(CheckStatus::Ok, "logging")],
        t0 + minutes(5),
        RENOTIFY,
    );
    assert_eq!(p2.notices, p1.notices);
    // Pass 2, problem persisting instead: one refreshed notice, no duplicate.
    let q1 = plan(
        &AlertState::new(),
        &[logging(CheckStatus::Drift, "off")],
        t0,
        RENOTIFY,
    );
    let q2 = plan(
        &q1.next,
        &[logging(CheckStatus::Drift, "off since 11:50")],
        t0 + minutes(5),
        RENOTIFY,
    );
    assert_eq!(
        kinds(&q2.notices),
        [(CheckName::Logging, NoticeKind::Problem)]
    );
    assert_eq!(q2.notices[0].detail, "off since 11:50");
    assert_eq!(q2.notices[0].at, t0, "still the notice planned in pass 1");
    // SNS down past the re-notify interval: still one notice, no pile-up.
    let q3 = plan(
        &q2.next,
        &[logging(CheckStatus::Drift, "off")],
        t0 + RENOTIFY * 2,
        RENOTIFY,
    );
    assert_eq!(q3.notices.len(), 1);
    // Pass 2 with a repair: the old problem notice, then the fix.
    let r2 = plan(
        &q1.next,
        &[logging(CheckStatus::Fixed, "restarted")],
        t0 + minutes(5),
        RENOTIFY,
    );
    assert_eq!(
        kinds(&r2.notices),
        [
            (CheckName::Logging, NoticeKind::Problem),
            (CheckName::Logging, NoticeKind::Fixed)
        ]
    );
    assert_eq!(r2.notices[1].was.as_deref(), Some("off"));
}

#[test]
fn flapping_while_sns_is_down_loses_nothing() {
    let t0 = now();
    let mut state = AlertState::new();
    let script = [
        CheckStatus::Drift,
        CheckStatus::Ok,
        CheckStatus::Drift,
        CheckStatus::Ok,
    ];
    for (i, st) in script.into_iter().enumerate() {
        state = plan(
            &state,
            &[logging(st, "x")],
            t0 + minutes(5 * i as i64),
            RENOTIFY,
        )
        .next;
    }
    use NoticeKind::*;
    assert_eq!(
        state.pending.iter().map(|n| n.kind).collect::<Vec<_>>(),
        [Problem, Resolved, Problem, Resolved]
    );
}

#[test]
fn acknowledge_crosses_off_only_what_was_delivered() {
    let results = [
        logging(CheckStatus::Drift, "off"),
        res(
            OTHER,
            CheckName::KmsEncryption,
            CheckStatus::Drift,
            "SSE-S3",
        ),
    ];
    let p = plan(&AlertState::new(), &results, now(), RENOTIFY);
    assert_eq!(p.notices.len(), 2);
    // The first was published, then SNS failed.
    let saved = acknowledge(&p.next, &p.notices[..1]);
    assert_eq!(saved.pending, p.notices[1..]);
    assert_eq!(saved.entries, p.next.entries);
    let next = plan(&saved, &results, now() + minutes(5), RENOTIFY);
    assert_eq!(
        next.notices,
        p.notices[1..],
        "only the undelivered one again"
    );
    // Acknowledging something not pending changes nothing.
    assert_eq!(acknowledge(&saved, &p.notices[..1]), saved);
}

#[test]
fn losing_the_state_repeats_never_misses() {
    let t0 = now();
    let results = [logging(CheckStatus::Drift, "off")];
    let (_, s) = pass(&AlertState::new(), &results, t0);
    let (n, _) = pass(&s, &results, t0 + minutes(5));
    assert!(n.is_empty());
    // State lost (or unreadable): the standing problem is told again.
    let (n, _) = pass(&AlertState::new(), &results, t0 + minutes(5));
    assert_eq!(kinds(&n), [(CheckName::Logging, NoticeKind::Problem)]);
}

#[test]
fn checks_and_trails_are_independent() {
    let results = [
        logging(CheckStatus::Drift, "off"),
        res(ARN, CheckName::Delivery, CheckStatus::Drift, "AccessDenied"),
        res(OTHER, CheckName::Logging, CheckStatus::Ok, "logging"),
    ];
    let (n, s) = pass(&AlertState::new(), &results, now());
    assert_eq!(n.len(), 2);
    assert_eq!(s.entries.len(), 2);
    let results = [
        logging(CheckStatus::Drift, "off"),
        res(ARN, CheckName::Delivery, CheckStatus::Ok, "delivered"),
        res(OTHER, CheckName::Logging, CheckStatus::Drift, "off"),
    ];
    let (n, _) = pass(&s, &results, now() + minutes(5));
    let told: Vec<(&str, CheckName, NoticeKind)> = n
        .iter()
        .map(|n| (n.trail.as_str(), n.check, n.kind))
        .collect();
    assert_eq!(
        told,
        [
            (ARN, CheckName::Delivery, NoticeKind::Resolved),
            (OTHER, CheckName::Logging, NoticeKind::Problem)
        ]
    );
}

#[test]
fn absent_trails_are_kept_then_forgotten() {
    let t0 = now();
    let (_, s) = pass(
        &AlertState::new(),
        &[
            logging(CheckStatus::Drift, "off"),
            res(OTHER, CheckName::Logging, CheckStatus::Drift, "off"),
        ],
        t0,
    );
    // OTHER could not be read this pass: its entry is untouched.
    let (n, s) = pass(
        &s,
        &[logging(CheckStatus::Drift, "off")],
        t0 + Duration::days(10),
    );
    assert!(n.iter().all(|n| n.trail == ARN));
    let other = key(OTHER, CheckName::Logging);
    assert_eq!(s.entries[&other].last_seen, t0);
    // Still absent past FORGET_AFTER: dropped, silently.
    let (n, s) = pass(&s, &[logging(CheckStatus::Drift, "off")], t0 + FORGET_AFTER);
    assert!(s.entries.contains_key(&other), "kept up to the limit");
    assert!(n.iter().all(|n| n.trail == ARN));
    let (n, s) = pass(
        &s,
        &[logging(CheckStatus::Drift, "off")],
        t0 + FORGET_AFTER + minutes(5),
    );
    assert!(!s.entries.contains_key(&other));
    assert!(n.iter().all(|n| n.trail == ARN));
    assert!(
        s.entries.contains_key(&key(ARN, CheckName::Logging)),
        "seen ones stay"
    );
}

#[test]
fn plan_is_idempotent_for_one_pass() {
    let results = [
        logging(CheckStatus::Drift, "off"),
        res(ARN, CheckName::Delivery, CheckStatus::Ok, "ok"),
        res(OTHER, CheckName::EventSelectors, CheckStatus::Fixed, "put"),
    ];
    let (_, prior) = pass(
        &AlertState::new(),
        &[res(ARN, CheckName::Delivery, CheckStatus::Drift, "late")],
        now() - minutes(5),
    );
    let once = plan(&prior, &results, now(), RENOTIFY);
    let twice = plan(&once.next, &results, now(), RENOTIFY);
    assert_eq!(twice, once);
}

#[test]
fn state_json_round_trip_and_shape() {
    let p = plan(
        &AlertState::new(),
        &[logging(CheckStatus::Drift, "off")],
        now(),
        RENOTIFY,
    );
    let bytes = p.next.to_json().expect("json");
    assert_eq!(AlertState::from_json(&bytes), Ok(p.next.clone()));
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["version"], json!(STATE_VERSION));
    let k = format!("{ARN}|logging");
    assert_eq!(v["entries"][&k]["check"], "logging");
    assert_eq!(v["entries"][&k]["status"], "drift");
    assert_eq!(v["entries"][&k]["since"], "2025-03-10T12:00:00Z");
    assert_eq!(v["pending"][0]["kind"], "problem");
    assert!(v["pending"][0].get("was").is_none());
    assert_eq!(
        serde_json::to_value(NoticeKind::StillProblem).unwrap(),
        json!("still_problem")
    );
    // The smallest valid state.
    assert_eq!(
        AlertState::from_json(br#"{"version": 1}"#),
        Ok(AlertState::new())
    );
    assert_eq!(AlertState::default(), AlertState::new());
}

#[test]
fn corrupt_or_foreign_state_is_a_typed_error() {
    for bad in [
        &b""[..],
        b"not json",
        b"[]",
        b"{}",
        br#"{"version": "1"}"#,
        br#"{"version": 1, "entries": "x"}"#,
        br#"{"version": 1, "pending": [{"kind": "problem"}]}"#,
        br#"{"version": 1, "entries": {"k": {"trail": "t", "check": "nope", "status": "drift", "since": "2025-01-01T00:00:00Z", "last_notified": "2025-01-01T00:00:00Z", "last_seen": "2025-01-01T00:00:00Z", "detail": ""}}}"#,
    ] {
        match AlertState::from_json(bad) {
            Err(StateError::Corrupt(_)) => {}
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(bad)),
        }
    }
    assert_eq!(
        AlertState::from_json(br#"{"version": 2, "whatever": true}"#),
        Err(StateError::UnknownVersion { found: 2 })
    );
    let e = AlertState::from_json(br#"{"version": 0}"#).unwrap_err();
    assert!(e.to_string().contains("version 0"), "{e}");
}

#[test]
fn entries_are_only_problems() {
    let results: Vec<CheckResult> = CheckName::TRAIL
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let st = [
                CheckStatus::Ok,
                CheckStatus::Fixed,
                CheckStatus::Drift,
                CheckStatus::Failed,
            ][i % 4];
            res(ARN, *c, st, "d")
        })
        .collect();
    let p = plan(&AlertState::new(), &results, now(), RENOTIFY);
    let stored: Vec<&Entry> = p.next.entries.values().collect();
    assert_eq!(stored.len(), 4);
    assert!(stored.iter().all(|e| e.status.is_problem()));
    assert_eq!(p.notices.len(), 6, "2 fixed + 4 problems");
}
