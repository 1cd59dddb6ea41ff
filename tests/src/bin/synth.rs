//! `trailguard-synth`: writes a synthetic, signed CloudTrail trail into the
//! local emulator (the endpoint in `AWS_ENDPOINT_URL`), creates the trail in
//! it, registers each region's signing key with that region's
//! `ListPublicKeys` stand-in, and optionally tampers with it. As CloudTrail
//! does with a KMS key, log files are written SSE-KMS and digests SSE-S3. Used by the demo script and the benchmarks.

use aws_sdk_cloudtrail::Client as CloudTrail;
use chrono::{DateTime, Utc};
use clap::{Parser, ValueEnum};
use trailguard::gzip::gzip;
use trailguard::synth::{generate, RegionKeys, TrailSpec};
use trailguard_e2e::{delete, overwrite, register_key, s3, write_trail};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
enum Tamper {
    /// Replace a log file's content.
    ModifyLog,
    /// Delete a log file.
    DeleteLog,
    /// Delete a digest file.
    DeleteDigest,
}

/// Write a synthetic signed trail into the local emulator.
#[derive(Parser)]
struct Args {
    /// The log bucket.
    #[arg(long, default_value = "trailguard-demo-logs")]
    bucket: String,
    /// The trail's name.
    #[arg(long, default_value = "main-trail")]
    trail: String,
    /// Start of the first digest window.
    #[arg(long, default_value = "2026-01-15T00:00:00Z")]
    start: DateTime<Utc>,
    /// Hours of digests.
    #[arg(long, default_value_t = 6)]
    hours: u32,
    /// Log files per hour.
    #[arg(long, default_value_t = 4)]
    logs_per_hour: u32,
    /// Records per log file.
    #[arg(long, default_value_t = 50)]
    records: u32,
    /// Regions the trail delivers in (comma-separated); the first is its
    /// home region.
    #[arg(long, value_delimiter = ',', default_value = "us-east-1,us-west-2")]
    regions: Vec<String>,
    /// The trail's KMS key: log files are written SSE-KMS with it, digests
    /// SSE-S3 ("none": every object SSE-S3).
    #[arg(long, default_value = DEMO_KMS_KEY)]
    kms_key: String,
    /// Tampering to apply after writing (repeatable).
    #[arg(long)]
    tamper: Vec<Tamper>,
    /// Also create the trail in the emulator's CloudTrail (so DescribeTrails finds it).
    #[arg(long, default_value_t = true)]
    create_trail: bool,
}

/// The demo trail's KMS key (the emulator does not check it exists).
const DEMO_KMS_KEY: &str =
    "arn:aws:kms:us-east-1:111122223333:key/0d3c4a2e-7b1f-4e55-9a6d-5f1e2c3b4a59";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let url =
        std::env::var("AWS_ENDPOINT_URL").map_err(|_| "set AWS_ENDPOINT_URL to the emulator")?;
    if !(url.starts_with("http://127.") || url.starts_with("http://localhost")) {
        return Err(format!(
            "refusing to write to {url}: the synthetic trail is for the local emulator only"
        )
        .into());
    }
    let spec = TrailSpec {
        bucket: args.bucket.clone(),
        trail_name: args.trail.clone(),
        start: args.start,
        hours: args.hours,
        logs_per_hour: args.logs_per_hour,
        records_per_log: args.records,
        home_region: args
            .regions
            .first()
            .cloned()
            .unwrap_or_else(|| "us-east-1".into()),
        regions: args.regions.clone(),
        kms_key: (args.kms_key != "none").then(|| args.kms_key.clone()),
        ..TrailSpec::default()
    };
    let keys = RegionKeys::generate(&spec.regions);
    for (region, key) in keys.iter() {
        register_key(&url, region, key);
    }
    let sdk = trailguard::aws::load_config().await;
    let s3 = s3(&sdk);
    let trail = generate(&spec, &keys);
    write_trail(&s3, &spec, &trail.objects).await;
    if args.create_trail {
        CloudTrail::new(&sdk)
            .create_trail()
            .name(&spec.trail_name)
            .s3_bucket_name(&spec.bucket)
            .is_multi_region_trail(true)
            .enable_log_file_validation(true)
            .send()
            .await?;
    }
    println!(
        "wrote {} log files and {} digests to s3://{} for {}",
        trail.log_keys().len(),
        trail.digest_keys().len(),
        spec.bucket,
        spec.trail_arn()
    );
    let logs = trail.log_keys();
    let digests = trail.digest_keys();
    for t in &args.tamper {
        let key = match t {
            Tamper::ModifyLog => {
                let k = logs[logs.len() / 4];
                overwrite(&s3, &spec.bucket, k, gzip(b"{\"Records\":[]}")).await;
                k
            }
            Tamper::DeleteLog => {
                let k = logs[1];
                delete(&s3, &spec.bucket, k).await;
                k
            }
            Tamper::DeleteDigest => {
                let k = digests[digests.len() / 2];
                delete(&s3, &spec.bucket, k).await;
                k
            }
        };
        println!("tampered ({t:?}): s3://{}/{key}", spec.bucket);
    }
    Ok(())
}
