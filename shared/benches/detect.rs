//! Throughput of the alert router's core on the largest CloudWatch Logs
//! batch Lambda accepts: decode (base64 + gunzip + JSON) and parse each
//! event into a record (the floor), then the same plus every rule (the
//! built-ins, and the 57 SigmaHQ CloudTrail rules when
//! `TRAILGUARD_SIGMA_DIR` or `../shared/sigma/aws-cloudtrail` holds them),
//! allowlists and dedupe.
//!
//! The batch: asynchronous invocations (how CloudWatch Logs calls Lambda)
//! take at most 1 MiB of payload, so the batch is as many realistic
//! records as fit in 1 MiB of `awslogs.data`, with a sprinkling of events
//! the built-ins fire on.
//!
//! Run: `cargo bench -p trailguard-shared --features synth --bench detect`

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::Value;
use trailguard::alert::evaluate;
use trailguard::cloudtrail::cwlogs::{self, LogsMessage};
use trailguard::config::router_from;
use trailguard::detect::Tuning;
use trailguard::rules::{self, read_path};
use trailguard::synth::cwlogs_batch;

/// The asynchronous invocation payload limit.
const MAX_PAYLOAD: usize = 1024 * 1024;

fn sigma_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("TRAILGUARD_SIGMA_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/sigma/aws-cloudtrail"),
    };
    dir.is_dir().then_some(dir)
}

fn decode(payload: &Value) -> Vec<Value> {
    match cwlogs::decode(payload, 8 << 20, 64 << 20) {
        Ok(LogsMessage::Data(m)) => cwlogs::records(&m).0,
        _ => Vec::new(),
    }
}

fn bench(c: &mut Criterion) {
    let (payload, events) = cwlogs_batch(MAX_PAYLOAD);
    let mut env: Vec<(&str, String)> = vec![
        ("TRAILGUARD_LOG_BUCKET", "acme-cloudtrail-logs".into()),
        ("TRAILGUARD_TRAIL_NAME", "main-trail".into()),
        ("TRAILGUARD_MIN_SEVERITY", "informational".into()),
        // trailguard's own stack: its self-protection rules run too.
        ("TRAILGUARD_STACK_NAME", "trailguard-prod".into()),
        // ...and its resources as the template passes them (18 values).
        ("TRAILGUARD_STACK_RESOURCES", (1..=18).map(|i| format!("arn:aws:lambda:us-east-1:111122223333:function:trailguard-prod-Resource{i}-Ab3Cd4Ef5Gh6")).collect::<Vec<_>>().join(",")),
        ("TRAILGUARD_LOG_GROUP", "/aws/cloudtrail/trailguard-prod".into()),
    ];
    env.push((
        "TRAILGUARD_KMS_KEY_ARN",
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab".into(),
    ));
    let cfg = router_from(|k| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())).unwrap();
    let files = sigma_dir().map(|d| read_path(&d).files).unwrap_or_default();
    let loaded = rules::build(&cfg, &files, Tuning::default(), cfg.min_severity);
    assert!(loaded.rejected.is_empty(), "{:?}", loaded.rejected);
    let detector = loaded.detector;
    let alerts = evaluate(&detector, &decode(&payload)).alerts.len();
    eprintln!(
        "batch: {events} events, {} bytes of payload; {} rules ({} SigmaHQ files); {alerts} alerts",
        payload.to_string().len(),
        detector.rules().len(),
        files.len()
    );
    let mut g = c.benchmark_group("router_batch");
    g.throughput(Throughput::Elements(events as u64));
    g.bench_function("decode_parse", |b| b.iter(|| decode(&payload).len()));
    g.bench_function("decode_parse_rules", |b| {
        b.iter(|| evaluate(&detector, &decode(&payload)).alerts.len())
    });
    let records = decode(&payload);
    g.bench_function("rules_only", |b| {
        b.iter(|| evaluate(&detector, &records).alerts.len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
