//! `trailguard-bench-function`: the integrity validator's handler, with its
//! real AWS adapters, on one very large log file and the digest that lists
//! it, against the emulator; prints the time taken and the process's peak
//! resident memory (VmHWM), the figure that sizes the Lambda's memory.
//!
//! `prepare` writes the objects (in its own process, so that generating them
//! does not count); `run` handles the S3 events for them.

use std::time::Instant;

use chrono::{TimeZone, Utc};
use clap::{Parser, Subcommand};
use serde_json::json;
use trailguard::aws::{load_config, CloudTrailApi, S3Store, SnsOutbox};
use trailguard::cloudtrail::digest::{Digest, DigestLogFile};
use trailguard::cloudtrail::keys::{digest_key, Location};
use trailguard::gzip;
use trailguard::synth::{log_file, signed_digest, Rng, SigningKey, TrailSpec};
use trailguard::validate::{Arrivals, ObjectValidator, ValidatorConfig};
use trailguard_e2e::{create_bucket, put, register_key, s3};

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write `files` log files of `records` records each and a signed
    /// digest listing them all.
    Prepare {
        #[arg(long, default_value_t = 100_000)]
        records: u32,
        #[arg(long, default_value_t = 1)]
        files: u32,
    },
    /// Handle the S3 events for the log file, then for the digest.
    Run,
}

const BUCKET: &str = "bench-big-logs";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url =
        std::env::var("AWS_ENDPOINT_URL").map_err(|_| "set AWS_ENDPOINT_URL to the emulator")?;
    let sdk = load_config().await;
    let keys_file = std::env::temp_dir().join("trailguard-bench-function.keys");
    match Args::parse().cmd {
        Cmd::Prepare { records, files } => {
            let spec = TrailSpec {
                bucket: BUCKET.into(),
                records_per_log: records,
                ..TrailSpec::default()
            };
            let key = SigningKey::generate();
            register_key(&url, "us-east-1", &key);
            let s3 = s3(&sdk);
            create_bucket(&s3, BUCKET).await;
            // Spread over the digest's hour, clear of the boundary minutes.
            let mut rng = Rng::new(5);
            let mut listed = Vec::new();
            let (mut compressed, mut inflated) = (0, 0);
            for i in 0..files {
                let secs = 60 + i64::from(i) * 3000 / i64::from(files.max(1));
                let at = Utc.with_ymd_and_hms(2026, 1, 15, 0, 0, 0).unwrap()
                    + chrono::Duration::seconds(secs);
                let log = log_file(&spec, "us-east-1", at, &mut rng);
                let (sha, size) = gzip::hash_only(&log.body, u64::MAX)?;
                compressed += log.body.len();
                inflated += size;
                put(&s3, BUCKET, &log, None).await;
                listed.push(DigestLogFile {
                    s3_bucket: BUCKET.into(),
                    s3_object: log.key.clone(),
                    hash_value: sha.hex(),
                    hash_algorithm: Some("SHA-256".into()),
                    newest_event_time: None,
                    oldest_event_time: None,
                });
            }
            let end = Utc.with_ymd_and_hms(2026, 1, 15, 1, 0, 0).unwrap();
            let loc = Location {
                prefix: None,
                org_id: None,
                account: spec.account.clone(),
                region: "us-east-1".into(),
                date: end.date_naive(),
            };
            let dkey = digest_key(&loc, &spec.trail_name, "us-east-1", end, false);
            let digest = Digest {
                aws_account_id: Some(spec.account.clone()),
                digest_start_time: "2026-01-15T00:00:00Z".into(),
                digest_end_time: "2026-01-15T01:00:00Z".into(),
                digest_s3_bucket: BUCKET.into(),
                digest_s3_object: dkey.clone(),
                digest_public_key_fingerprint: key.fingerprint(),
                digest_signature_algorithm: Some("SHA256withRSA".into()),
                newest_event_time: None,
                oldest_event_time: None,
                previous_digest_s3_bucket: None,
                previous_digest_s3_object: None,
                previous_digest_hash_value: None,
                previous_digest_hash_algorithm: None,
                previous_digest_signature: None,
                log_files: listed.clone(),
            };
            let (d, _) = signed_digest(&digest, &key);
            put(&s3, BUCKET, &d, None).await;
            let mut lines = format!("{dkey}\n");
            for f in &listed {
                lines.push_str(&f.s3_object);
                lines.push('\n');
            }
            std::fs::write(&keys_file, lines)?;
            println!(
                "{files} log file(s): {compressed} bytes compressed, {inflated} bytes inflated, {records} records each"
            );
        }
        Cmd::Run => {
            let keys = std::fs::read_to_string(&keys_file)?;
            let mut lines = keys.lines();
            let digest = lines.next().ok_or("no digest key")?;
            let logs: Vec<&str> = lines.collect();
            let validator = ObjectValidator::new(
                S3Store::new(&sdk),
                CloudTrailApi::new(&sdk),
                ValidatorConfig::default(),
            );
            let handler: Arrivals<_, _, SnsOutbox> = Arrivals::new(validator, None);
            let event = |k: &str| json!({"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":BUCKET},"object":{"key":k}}}]});
            // One log file: its own arrival is measured too. Many: the
            // digest that lists them all is the case.
            let mut steps = Vec::new();
            if let [log] = logs.as_slice() {
                steps.push(("log file".to_string(), *log));
            }
            steps.push((format!("digest listing {} log file(s)", logs.len()), digest));
            for (what, key) in steps {
                let t = Instant::now();
                let out = integrity_validator::handle(&handler, event(key)).await?;
                println!(
                    "{what}: {out} in {:.0} ms",
                    t.elapsed().as_secs_f64() * 1000.0
                );
                assert_eq!(out["invalid"], 0, "the benchmark's files must be valid");
            }
            let status = std::fs::read_to_string("/proc/self/status")?;
            let hwm = status
                .lines()
                .find(|l| l.starts_with("VmHWM"))
                .unwrap_or("VmHWM: ?");
            println!(
                "peak resident memory: {}",
                hwm.trim_start_matches("VmHWM:").trim()
            );
        }
    }
    Ok(())
}
