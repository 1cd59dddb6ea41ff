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
use integrity_validator::Handler;
use serde_json::json;
use trailguard::aws::{load_config, CloudTrailApi, S3Store, SnsNotifier};
use trailguard::cloudtrail::digest::{Digest, DigestLogFile};
use trailguard::cloudtrail::keys::{digest_key, Location};
use trailguard::integrity::gzip;
use trailguard::synth::{log_file, signed_digest, Rng, SigningKey, TrailSpec};
use trailguard::validate::{ObjectValidator, ValidatorConfig};
use trailguard_e2e::{create_bucket, put, register_key, s3};

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write one log file of `records` records and a signed digest listing it.
    Prepare {
        #[arg(long, default_value_t = 100_000)]
        records: u32,
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
        Cmd::Prepare { records } => {
            let spec = TrailSpec {
                bucket: BUCKET.into(),
                records_per_log: records,
                ..TrailSpec::default()
            };
            let key = SigningKey::generate();
            register_key(&url, "us-east-1", &key);
            let s3 = s3(&sdk);
            create_bucket(&s3, BUCKET).await;
            let at = Utc.with_ymd_and_hms(2026, 1, 15, 0, 30, 0).unwrap();
            let log = log_file(&spec, "us-east-1", at, &mut Rng::new(5));
            let (_, sha) = gzip::inflate(&log.body, u64::MAX)?;
            let inflated = gzip::hash_only(&log.body, u64::MAX)?.1;
            put(&s3, BUCKET, &log, None).await;
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
                log_files: vec![DigestLogFile {
                    s3_bucket: BUCKET.into(),
                    s3_object: log.key.clone(),
                    hash_value: sha.hex(),
                    hash_algorithm: Some("SHA-256".into()),
                    newest_event_time: None,
                    oldest_event_time: None,
                }],
            };
            let (d, _) = signed_digest(&digest, &key);
            put(&s3, BUCKET, &d, None).await;
            std::fs::write(&keys_file, format!("{}\n{}\n", log.key, dkey))?;
            println!(
                "log file: {} bytes compressed, {inflated} bytes inflated, {records} records",
                log.body.len()
            );
        }
        Cmd::Run => {
            let keys = std::fs::read_to_string(&keys_file)?;
            let mut lines = keys.lines();
            let (log, digest) = (
                lines.next().ok_or("no log key")?,
                lines.next().ok_or("no digest key")?,
            );
            let validator = ObjectValidator::new(
                S3Store::new(&sdk),
                CloudTrailApi::new(&sdk),
                ValidatorConfig::default(),
            );
            let handler: Handler<_, _, SnsNotifier> = Handler::new(validator, None);
            let event = |k: &str| json!({"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":BUCKET},"object":{"key":k}}}]});
            for (what, key) in [("log file", log), ("digest", digest)] {
                let t = Instant::now();
                let out = handler.handle(event(key)).await?;
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
