//! Throughput of the integrity core on realistic log files: inflate alone,
//! inflate + SHA-256 (what digest validation does per listed file), and
//! inflate + SHA-256 + parse + record checks (what the validator does on each
//! arriving log file). Writes the same files to `target/bench-logs/` so that
//! `scripts/bench-integrity.sh` can time `zcat FILES | sha256sum` on them.
//!
//! Run: `cargo bench -p trailguard-shared --features synth --bench integrity`

use std::io::Read;

use chrono::{Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use trailguard::cloudtrail::keys::{classify, LogKey, ObjectKind};
use trailguard::gzip;
use trailguard::integrity::logfile;
use trailguard::synth::{log_file, Rng, TrailSpec};

/// 24 log files of 500 records, about 1.3 KB a record.
fn corpus() -> Vec<(LogKey, Vec<u8>)> {
    let spec = TrailSpec {
        records_per_log: 500,
        ..TrailSpec::default()
    };
    let mut rng = Rng::new(42);
    let start = Utc.with_ymd_and_hms(2026, 1, 15, 0, 0, 0).unwrap();
    (0..24)
        .map(|i| {
            let o = log_file(
                &spec,
                "us-east-1",
                start + Duration::minutes(5 * i + 2),
                &mut rng,
            );
            let ObjectKind::Log(k) = classify(&o.key) else {
                unreachable!()
            };
            (k, o.body)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let files = corpus();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-logs");
    std::fs::create_dir_all(&dir).unwrap();
    for (i, (_, body)) in files.iter().enumerate() {
        std::fs::write(dir.join(format!("log-{i:02}.json.gz")), body).unwrap();
    }
    let inflated: u64 = files
        .iter()
        .map(|(_, b)| gzip::hash_only(b, u64::MAX).unwrap().1)
        .sum();
    let compressed: u64 = files.iter().map(|(_, b)| b.len() as u64).sum();
    eprintln!(
        "corpus: {} files, {compressed} bytes compressed, {inflated} bytes inflated",
        files.len()
    );
    let exp = logfile::Expectations::default();

    let mut g = c.benchmark_group("log_files");
    g.throughput(Throughput::Bytes(inflated));
    g.sample_size(20);
    g.bench_function("inflate", |b| {
        b.iter(|| {
            let mut buf = vec![0u8; 64 << 10];
            for (_, body) in &files {
                let mut d = flate2::bufread::GzDecoder::new(&body[..]);
                while d.read(&mut buf).unwrap() > 0 {}
            }
        })
    });
    g.bench_function("inflate_sha256", |b| {
        b.iter(|| {
            for (_, body) in &files {
                std::hint::black_box(gzip::hash_only(body, u64::MAX).unwrap());
            }
        })
    });
    g.bench_function("inflate_sha256_parse_check", |b| {
        b.iter(|| {
            for (k, body) in &files {
                let c = logfile::check_content(k, body, &exp);
                assert!(c.problems.is_empty());
                std::hint::black_box(c);
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
