//! The backfill's steps on an in-memory bucket: the plan, one chunk, the
//! results as the ResultWriter writes them, the summary and its message.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::*;
use crate::config::ValidatorConfig;
use crate::detect::Level;
use crate::message::Topic;
use crate::synth::{generate, RegionKeys, SynthTrail, TrailSpec};
use crate::testing::{MemKeys, MemOutbox, MemStore, NoTrails};

const STATE: &str = "trailguard-state";
const TOPIC: &str = "arn:aws:sns:us-east-1:111122223333:alerts";

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .expect("test time")
}

/// A two-region trail over 30 hours from 2026-01-15T00:00Z (two days).
fn trail() -> (TrailSpec, RegionKeys, SynthTrail, Arc<MemStore>) {
    let spec = TrailSpec {
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        hours: 30,
        logs_per_hour: 2,
        records_per_log: 3,
        ..TrailSpec::default()
    };
    let keys = RegionKeys::generate(&spec.regions);
    let trail = generate(&spec, &keys);
    let store = Arc::new(MemStore::default());
    store.put_all(&spec.bucket, &trail.objects);
    (spec, keys, trail, store)
}

fn mem_keys(keys: &RegionKeys, spec: &TrailSpec) -> MemKeys {
    let k = MemKeys::default();
    for r in &spec.regions {
        k.add(r, keys.get(r));
    }
    k
}

fn target(spec: &TrailSpec) -> Target {
    Target {
        trail_arn: spec.trail_arn(),
        bucket: spec.bucket.clone(),
        organization_id: String::new(),
    }
}

fn input(start: &str, end: &str) -> BackfillInput {
    BackfillInput {
        start: t(start),
        end: t(end),
        trail_arn: None,
        bucket: None,
        prefix: None,
        organization_id: None,
        accounts: vec![],
        regions: vec![],
        max_concurrency: None,
    }
}

/// The backfill over in-memory ports.
type MemBackfill = Backfill<Arc<MemStore>, MemKeys, NoTrails, Arc<MemStore>, Arc<MemOutbox>>;

fn backfill(store: Arc<MemStore>, keys: MemKeys) -> (MemBackfill, Arc<MemOutbox>) {
    let sent = Arc::new(MemOutbox::default());
    (
        Backfill {
            store: store.clone(),
            keys,
            trails: NoTrails,
            writer: store,
            topic: Some(Topic::new(sent.clone(), TOPIC)),
            cfg: ValidatorConfig::default(),
        },
        sent,
    )
}

const NOW: &str = "2026-01-17T12:00:00Z";

#[test]
fn days_are_clipped_to_the_range() {
    let spans = day_spans(t("2026-01-15T06:00:00Z"), t("2026-01-17T03:00:00Z"));
    assert_eq!(spans.len(), 3);
    assert_eq!(
        spans[0],
        (t("2026-01-15T06:00:00Z"), t("2026-01-15T23:59:59.999Z"))
    );
    assert_eq!(
        spans[1],
        (t("2026-01-16T00:00:00Z"), t("2026-01-16T23:59:59.999Z"))
    );
    assert_eq!(
        spans[2],
        (t("2026-01-17T00:00:00Z"), t("2026-01-17T03:00:00Z"))
    );
    // Spans never overlap: a digest delivered at midnight is in one chunk.
    assert!(spans.windows(2).all(|w| w[0].1 < w[1].0));
    assert!(day_spans(t("2026-01-16T00:00:00Z"), t("2026-01-15T00:00:00Z")).is_empty());
    assert_eq!(day_spans(t(NOW), t(NOW)), vec![(t(NOW), t(NOW))]);
    // A year is 365 chunks per chain.
    assert_eq!(
        day_spans(t("2025-01-01T00:00:00Z"), t("2025-12-31T23:59:59Z")).len(),
        365
    );
}

#[test]
fn the_stack_fills_what_the_input_leaves_out() {
    let spec = TrailSpec::default();
    let mut tg = target(&spec);
    let r = resolve(&input("2026-01-15T00:00:00Z", NOW), &tg);
    assert_eq!(r.trail_arn.as_deref(), Some(spec.trail_arn().as_str()));
    assert_eq!(r.bucket.as_deref(), Some(spec.bucket.as_str()));
    assert_eq!(r.organization_id, None, "an empty organization is none");
    tg.organization_id = "o-abc123defg".into();
    let mut i = input("2026-01-15T00:00:00Z", NOW);
    i.bucket = Some("other".into());
    let r = resolve(&i, &tg);
    assert_eq!(r.bucket.as_deref(), Some("other"), "the input wins");
    assert_eq!(r.organization_id.as_deref(), Some("o-abc123defg"));
}

#[tokio::test]
async fn the_plan_lists_one_chunk_per_chain_and_day_in_the_state_bucket() {
    let (spec, keys, _, store) = trail();
    let (b, _) = backfill(store.clone(), mem_keys(&keys, &spec));
    let step = Step::Plan {
        input: input("2026-01-15T00:00:00Z", "2026-01-16T23:59:59Z"),
        target: target(&spec),
        execution: "backfill-2026/01".into(),
        results_bucket: STATE.into(),
        max_concurrency: Some("10".into()),
    };
    let out = b.run(step, t(NOW)).await.expect("plan");
    let plan: Plan = serde_json::from_value(out).expect("a plan");
    assert_eq!(plan.bucket, STATE);
    assert_eq!(plan.key, "trailguard/backfill/backfill-2026_01/chunks.json");
    assert_eq!(
        plan.chains,
        vec!["111122223333/eu-west-1", "111122223333/us-east-1"]
    );
    assert_eq!(plan.chunks, 4, "2 chains x 2 days");
    assert_eq!(plan.max_concurrency, 10);
    let listed: Vec<Chunk> =
        serde_json::from_slice(&store.body(STATE, &plan.key).expect("listing written"))
            .expect("a JSON array of chunks");
    assert_eq!(listed.len(), 4);
    assert_eq!(listed[0].label(), "111122223333/eu-west-1 2026-01-15");
    assert_eq!(listed[3].label(), "111122223333/us-east-1 2026-01-16");
    assert!(listed
        .iter()
        .all(|c| c.bucket == spec.bucket && c.trail_arn == spec.trail_arn()));
}

#[tokio::test]
async fn the_plan_ends_at_now_and_refuses_an_empty_range() {
    let (spec, keys, _, store) = trail();
    let (b, _) = backfill(store, mem_keys(&keys, &spec));
    let plan = |s: &str, e: &str| Step::Plan {
        input: input(s, e),
        target: target(&spec),
        execution: "x".into(),
        results_bucket: STATE.into(),
        max_concurrency: None,
    };
    let out = b
        .run(plan("2026-01-16T00:00:00Z", "2027-01-01T00:00:00Z"), t(NOW))
        .await
        .expect("plan");
    assert_eq!(out["end"], NOW);
    assert_eq!(out["chunks"], 4, "2 chains x (16th, 17th up to now)");
    let err = b
        .run(plan("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"), t(NOW))
        .await
        .expect_err("a range after now checks nothing");
    assert!(err.to_string().contains("nothing to check"), "{err}");
}

fn chunk(spec: &TrailSpec, region: &str, day: &str) -> Chunk {
    let start = t(&format!("{day}T00:00:00Z"));
    Chunk {
        trail_arn: spec.trail_arn(),
        bucket: spec.bucket.clone(),
        prefix: None,
        organization_id: None,
        account: spec.account.clone(),
        region: Some(region.into()),
        start,
        end: start + Duration::days(1) - Duration::milliseconds(1),
    }
}

#[tokio::test]
async fn a_clean_day_is_every_digest_and_log_valid_and_covered() {
    let (spec, keys, trail, store) = trail();
    let (b, _) = backfill(store, mem_keys(&keys, &spec));
    let out = b
        .run(
            Step::Chunk {
                chunk: chunk(&spec, "us-east-1", "2026-01-15"),
            },
            t(NOW),
        )
        .await
        .expect("chunk");
    let r: ChunkResult = serde_json::from_value(out).expect("a chunk result");
    // The digests delivered on the 15th (the one for its last hour is
    // delivered on the 16th), each counted once though the range, as the
    // CLI's, reaches an hour past the day.
    let delivered = |day: &str| {
        trail
            .digest_keys()
            .iter()
            .filter(|k| k.contains(&format!("/us-east-1/2026/01/{day}/")))
            .count()
    };
    assert_eq!(r.digests, delivered("15"));
    assert_eq!(r.digests, 23);
    assert_eq!(r.invalid, 0, "{:?}", r.findings);
    assert!(r.logs >= 46, "two logs an hour: {}", r.logs);
    assert!(r.gaps.iter().all(|g| !g.finding), "{:?}", r.gaps);
    assert!(r.hours_covered >= 23.0, "{}", r.hours_covered);
    assert!(r.requests.get >= (r.digests + r.logs) as u64);
    assert!(
        r.requests.list >= 2 && r.requests.public_keys >= 1,
        "{:?}",
        r.requests
    );
}

#[tokio::test]
async fn a_chunk_checks_the_link_to_the_previous_days_last_digest() {
    let (spec, keys, trail, store) = trail();
    // The last digest delivered on the 15th (its window ends at 24:00).
    let last = trail
        .digest_keys()
        .into_iter()
        .filter(|k| k.contains("/us-east-1/2026/01/15/"))
        .max()
        .expect("a digest on the 15th")
        .to_string();
    store.delete(&spec.bucket, &last);
    let (b, _) = backfill(store, mem_keys(&keys, &spec));
    let out = b
        .run(
            Step::Chunk {
                chunk: chunk(&spec, "us-east-1", "2026-01-16"),
            },
            t(NOW),
        )
        .await
        .expect("chunk");
    let r: ChunkResult = serde_json::from_value(out).expect("a chunk result");
    assert!(r.invalid >= 1);
    assert!(
        r.findings
            .iter()
            .any(|f| f.key == last && f.code == "not_found"),
        "the 16th's first digest names the deleted one: {:?}",
        r.findings
    );
}

#[tokio::test]
async fn a_tampered_log_is_a_listed_finding() {
    let (spec, keys, trail, store) = trail();
    let victim = trail
        .log_keys()
        .into_iter()
        .find(|k| k.contains("/eu-west-1/2026/01/15/"))
        .expect("a log")
        .to_string();
    store.replace_body(
        &spec.bucket,
        &victim,
        crate::gzip::gzip(b"{\"Records\":[]}"),
    );
    let (b, _) = backfill(store, mem_keys(&keys, &spec));
    let out = b
        .run(
            Step::Chunk {
                chunk: chunk(&spec, "eu-west-1", "2026-01-15"),
            },
            t(NOW),
        )
        .await
        .expect("chunk");
    let r: ChunkResult = serde_json::from_value(out).expect("a chunk result");
    assert_eq!(r.invalid, 1);
    assert_eq!(r.findings[0].key, victim);
    assert_eq!(r.findings[0].code, "hash_mismatch");
}

#[tokio::test]
async fn a_day_without_digests_is_a_gap_finding() {
    let (spec, keys, _, store) = trail();
    let (b, _) = backfill(store, mem_keys(&keys, &spec));
    // The trail's digests end on the 16th at 06:00; the 17th (before now)
    // has none, and nothing explains the silence.
    let out = b
        .run(
            Step::Chunk {
                chunk: chunk(&spec, "us-east-1", "2026-01-17"),
            },
            t("2026-01-18T12:00:00Z"),
        )
        .await
        .expect("chunk");
    let r: ChunkResult = serde_json::from_value(out).expect("a chunk result");
    assert_eq!(r.digests, 0);
    assert!(r.gaps.iter().any(|g| g.finding), "{:?}", r.gaps);
}

/// A results file as the ResultWriter writes it: child executions with
/// their input and output as JSON strings (input-output-resultwriter.html).
fn entry(chunk: &Chunk, status: &str, output: Option<Value>, error: Option<(&str, &str)>) -> Value {
    let input = json!({"backfill": {"step": "chunk", "chunk": chunk}});
    let mut e = json!({
        "ExecutionArn": "arn:aws:states:us-east-1:111122223333:execution:tg-backfill/chunks:0b1c",
        "Input": input.to_string(),
        "InputDetails": {"Included": true},
        "Name": "0b1c",
        "RedriveCount": 0,
        "StartDate": "2026-01-17T12:00:00.000Z",
        "StateMachineArn": "arn:aws:states:us-east-1:111122223333:stateMachine:tg-backfill/chunks",
        "Status": status,
        "StopDate": "2026-01-17T12:00:02.000Z",
    });
    if let Some(o) = output {
        e["Output"] = Value::String(o.to_string());
        e["OutputDetails"] = json!({"Included": true});
    }
    if let Some((err, cause)) = error {
        e["Error"] = err.into();
        e["Cause"] = cause.into();
    }
    e
}

fn result_for(c: &Chunk, invalid: usize, gap: bool) -> ChunkResult {
    ChunkResult {
        account: c.account.clone(),
        region: c.region.clone(),
        start: c.start,
        end: c.end,
        digests: 24,
        logs: 48,
        invalid,
        hours_covered: 24.0,
        hours_due: 24.0,
        findings: (0..invalid)
            .map(|i| Finding {
                kind: "Log file".into(),
                key: format!("AWSLogs/k{i}.json.gz"),
                code: "hash_mismatch".into(),
                reason: "hash value doesn't match".into(),
            })
            .collect(),
        gaps: if gap {
            vec![crate::validate::coverage::Gap {
                from: c.start,
                to: c.start + Duration::hours(5),
                kind: crate::validate::coverage::GapKind::BeforeFirst,
                finding: true,
                reason: "no digest, and the trail's status does not explain it".into(),
            }]
        } else {
            vec![]
        },
        requests: Requests {
            get: 73,
            list: 3,
            public_keys: 1,
        },
        duration_ms: 900,
    }
}

fn plan_of(chunks: usize) -> Plan {
    Plan {
        bucket: STATE.into(),
        key: "trailguard/backfill/x/chunks.json".into(),
        chunks,
        chains: vec!["111122223333/us-east-1".into()],
        trail_arn: TrailSpec::default().trail_arn(),
        log_bucket: "trailguard-test-logs".into(),
        start: t("2026-01-15T00:00:00Z"),
        end: t("2026-01-16T23:59:59Z"),
        max_concurrency: 10,
    }
}

#[test]
fn results_fold_into_a_summary_and_an_unchecked_chunk_is_never_proven() {
    let spec = TrailSpec::default();
    let (a, b) = (
        chunk(&spec, "us-east-1", "2026-01-15"),
        chunk(&spec, "us-east-1", "2026-01-16"),
    );
    let ok = serde_json::to_value(result_for(&a, 0, false)).expect("json");
    let succeeded = json!([entry(&a, "SUCCEEDED", Some(ok.clone()), None)]);
    let mut s = Summary::new(&plan_of(2));
    fold_results(
        &mut s,
        succeeded.to_string().as_bytes(),
        STATE,
        "SUCCEEDED_0.json",
    )
    .expect("fold");
    assert_eq!((s.checked, s.digests, s.logs), (1, 24, 48));
    assert_eq!(
        s.outcome(),
        Outcome::Incomplete,
        "one planned chunk has no result"
    );
    let failed = json!([entry(
        &b,
        "FAILED",
        None,
        Some(("Lambda.Unknown", "Task timed out\nafter 300 s"))
    )]);
    fold_results(
        &mut s,
        failed.to_string().as_bytes(),
        STATE,
        "FAILED_0.json",
    )
    .expect("fold");
    assert_eq!(s.unchecked, 1);
    assert_eq!(s.failures[0].0, "111122223333/us-east-1 2026-01-16");
    assert_eq!(s.failures[0].1, "Lambda.Unknown: Task timed out");
    assert_eq!(s.outcome(), Outcome::Incomplete);

    // The Lambda integration's whole answer (no OutputPath) is read too.
    let mut s = Summary::new(&plan_of(2));
    let wrapped = json!([
        entry(
            &a,
            "SUCCEEDED",
            Some(json!({"Payload": ok, "StatusCode": 200})),
            None
        ),
        entry(
            &b,
            "SUCCEEDED",
            Some(serde_json::to_value(result_for(&b, 2, true)).expect("json")),
            None
        ),
    ]);
    fold_results(
        &mut s,
        wrapped.to_string().as_bytes(),
        STATE,
        "SUCCEEDED_0.json",
    )
    .expect("fold");
    assert_eq!((s.checked, s.invalid, s.gap_findings), (2, 2, 1));
    assert_eq!(s.outcome(), Outcome::Findings);
    assert_eq!(s.findings.len(), 2);
    assert_eq!(s.chains["111122223333/us-east-1"].days, 2);
    assert_eq!(
        s.requests,
        Requests {
            get: 146,
            list: 6,
            public_keys: 2
        }
    );

    // A succeeded child whose output is not a chunk result is unchecked.
    let mut s = Summary::new(&plan_of(1));
    let odd = json!([entry(&a, "SUCCEEDED", Some(json!({"hello": 1})), None)]);
    fold_results(
        &mut s,
        odd.to_string().as_bytes(),
        STATE,
        "SUCCEEDED_0.json",
    )
    .expect("fold");
    assert_eq!((s.checked, s.unchecked), (0, 1));
    assert_eq!(s.outcome(), Outcome::Incomplete);
}

#[test]
fn a_results_file_that_is_not_an_array_is_an_error_naming_it() {
    let mut s = Summary::default();
    for bad in [&b"{\"a\":1}"[..], b"[{\"Status\":", b"", b"[] trailing"] {
        let e = fold_results(&mut s, bad, STATE, "r/SUCCEEDED_0.json").expect_err("refused");
        assert!(
            e.to_string()
                .contains("s3://trailguard-state/r/SUCCEEDED_0.json"),
            "{e}"
        );
    }
}

#[tokio::test]
async fn the_summary_reads_the_manifest_and_publishes_once() {
    let spec = TrailSpec::default();
    let store = Arc::new(MemStore::default());
    let (a, b) = (
        chunk(&spec, "us-east-1", "2026-01-15"),
        chunk(&spec, "us-east-1", "2026-01-16"),
    );
    let prefix = "trailguard/backfill/results/6f1e";
    store.put(
        STATE,
        &format!("{prefix}/SUCCEEDED_0.json"),
        json!([
            entry(
                &a,
                "SUCCEEDED",
                Some(serde_json::to_value(result_for(&a, 0, false)).expect("json")),
                None
            ),
            entry(
                &b,
                "SUCCEEDED",
                Some(serde_json::to_value(result_for(&b, 1, false)).expect("json")),
                None
            ),
        ])
        .to_string()
        .into_bytes(),
        &[],
    );
    // The manifest's shape is not in AWS's documentation: the de-facto
    // one (docs/aws-behavior.md).
    store.put(
        STATE,
        &format!("{prefix}/manifest.json"),
        json!({"DestinationBucket": STATE,
               "MapRunArn": "arn:aws:states:us-east-1:111122223333:mapRun:tg-backfill/chunks:6f1e",
               "ResultFiles": {"FAILED": [], "PENDING": [],
                               "SUCCEEDED": [{"Key": format!("{prefix}/SUCCEEDED_0.json"), "Size": 1}]}})
        .to_string()
        .into_bytes(),
        &[],
    );
    let (bf, sent) = backfill(store, MemKeys::default());
    let results = json!({"MapRunArn": "arn:aws:states:us-east-1:111122223333:mapRun:tg-backfill/chunks:6f1e",
        "ResultWriterDetails": {"Bucket": STATE, "Key": format!("{prefix}/manifest.json")}});
    let out = bf
        .run(
            Step::Summarize {
                plan: serde_json::to_value(plan_of(2)).expect("json"),
                results: Some(results),
            },
            t(NOW),
        )
        .await
        .expect("summary");
    assert_eq!(out["outcome"], "findings");
    assert_eq!(out["invalid"], 1);
    assert_eq!(out["checked"], 2);
    let msgs = sent.sent_to(TOPIC);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].severity, Level::Critical);
    assert!(
        msgs[0]
            .subject
            .starts_with("[CRITICAL] trailguard backfill found 1 invalid file"),
        "{}",
        msgs[0].subject
    );
    let email = msgs[0].email();
    assert!(email.contains("AWSLogs/k0.json.gz"), "{email}");
    assert!(email.contains("111122223333/us-east-1"), "{email}");
    assert!(
        email.contains(&format!("s3://{STATE}/{prefix}/manifest.json")),
        "{email}"
    );
}

#[tokio::test]
async fn a_failed_map_or_plan_is_an_incomplete_backfill_said_out_loud() {
    let (bf, sent) = backfill(Arc::new(MemStore::default()), MemKeys::default());
    let out = bf
        .run(
            Step::Summarize {
                plan: serde_json::to_value(plan_of(3)).expect("json"),
                results: Some(
                    json!({"Error": "States.ItemReaderFailed", "Cause": "Access denied"}),
                ),
            },
            t(NOW),
        )
        .await
        .expect("summary");
    assert_eq!(out["outcome"], "incomplete");
    assert_eq!(out["notChecked"], 3);
    let out = bf
        .run(
            Step::Summarize {
                plan: json!({"Error": "Lambda.Unknown", "Cause": "plan: access denied"}),
                results: None,
            },
            t(NOW),
        )
        .await
        .expect("summary");
    assert_eq!(out["outcome"], "incomplete");
    let msgs = sent.sent_to(TOPIC);
    assert_eq!(msgs.len(), 2);
    assert!(msgs.iter().all(|m| m.severity == Level::High));
    assert!(msgs[0]
        .email()
        .contains("States.ItemReaderFailed: Access denied"));
    assert!(msgs[1]
        .email()
        .contains("the plan step failed: Lambda.Unknown"));
}

#[test]
fn a_proven_range_is_informational() {
    let spec = TrailSpec::default();
    let a = chunk(&spec, "us-east-1", "2026-01-15");
    let mut s = Summary::new(&plan_of(1));
    s.add(&result_for(&a, 0, false));
    assert_eq!(s.outcome(), Outcome::Proven);
    let m = crate::alert::backfill::backfill_message(&s);
    assert_eq!(m.severity, Level::Informational);
    assert!(
        m.subject
            .contains("backfill proven: 24 digests, 48 log files valid"),
        "{}",
        m.subject
    );
    let (json, email, chat) = m.deliveries().expect("three deliveries");
    assert_eq!(json["kind"], "backfill");
    assert_eq!(json["outcome"], "proven");
    assert!(email.contains("PROVEN"));
    assert_eq!(chat["version"], "1.0");
}

#[test]
fn steps_decode_from_the_state_machines_payloads() {
    let spec = TrailSpec::default();
    let c = chunk(&spec, "us-east-1", "2026-01-15");
    let p = json!({"backfill": {"step": "chunk", "chunk": c}});
    assert!(matches!(Step::of(&p), Some(Ok(Step::Chunk { .. }))));
    assert!(
        Step::of(&json!({"Records": []})).is_none(),
        "not a backfill payload"
    );
    let bad = json!({"backfill": {"step": "chunk", "chunk": {"account": "1"}}});
    assert!(matches!(Step::of(&bad), Some(Err(_))));
    let unknown = json!({"backfill": {"step": "explode"}});
    assert!(matches!(Step::of(&unknown), Some(Err(_))));
    let mut extra = serde_json::to_value(&c).expect("json");
    extra["surprise"] = json!(1);
    let p = json!({"backfill": {"step": "chunk", "chunk": extra}});
    assert!(
        matches!(Step::of(&p), Some(Err(_))),
        "unknown chunk fields are refused"
    );
    let plan = json!({"backfill": {"step": "plan", "input": {"start": "2026-01-15T00:00:00Z", "end": "2026-01-16T00:00:00Z"},
        "target": {"trailArn": spec.trail_arn(), "bucket": "b", "organizationId": ""},
        "execution": "e", "resultsBucket": STATE, "maxConcurrency": "10"}});
    assert!(
        matches!(Step::of(&plan), Some(Ok(Step::Plan { .. }))),
        "{:?}",
        Step::of(&plan)
    );
}
