//! `trailguard-bench-watchdog`: the logging watchdog as Lambda runs it,
//! against the emulator. `prepare` creates TRAILS trails (all configured
//! as required: multi-region, global events, validation, KMS, CloudWatch
//! Logs, management and DynamoDB selectors; logging, one in ten stopped); `run` does what the
//! function's `main` does (configuration, SDK, clients: the init), prints
//! the instant it was ready, then times passes over every trail: the first
//! (repairs and a notice), then a quiet one.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudtrail::types::{AdvancedEventSelector, AdvancedFieldSelector};
use clap::{Parser, Subcommand};
use serde_json::json;
use trailguard::aws::{load_config, watchdog};
use trailguard::config;
use trailguard_e2e::{create_bucket, s3};

const KMS: &str = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";
const GROUP: &str = "arn:aws:logs:us-east-1:123456789012:log-group:trail-logs:*";
const ROLE: &str = "arn:aws:iam::123456789012:role/CloudTrailToLogs";

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create the trails, the state bucket and the topic.
    Prepare {
        #[arg(long, default_value_t = 50)]
        trails: usize,
    },
    /// Time the init and two passes.
    Run,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    match Args::parse().cmd {
        Cmd::Prepare { trails } => {
            let sdk = load_config().await;
            let s3 = s3(&sdk);
            create_bucket(&s3, "bench-trail-logs").await;
            create_bucket(&s3, "bench-watchdog-state").await;
            // The log bucket as deployed, so that the chain's checks of it
            // are quiet too: public access blocked, CloudTrail's policy,
            // object events to EventBridge.
            use aws_sdk_s3::types::{NotificationConfiguration, PublicAccessBlockConfiguration};
            s3.put_public_access_block()
                .bucket("bench-trail-logs")
                .public_access_block_configuration(
                    PublicAccessBlockConfiguration::builder()
                        .block_public_acls(true)
                        .ignore_public_acls(true)
                        .block_public_policy(true)
                        .restrict_public_buckets(true)
                        .build(),
                )
                .send()
                .await?;
            s3.put_bucket_policy()
                .bucket("bench-trail-logs")
                .policy(
                    serde_json::json!({"Version": "2012-10-17", "Statement": [
                        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                         "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::bench-trail-logs"},
                        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                         "Action": "s3:PutObject", "Resource": "arn:aws:s3:::bench-trail-logs/AWSLogs/123456789012/*"}]})
                    .to_string(),
                )
                .send()
                .await?;
            s3.put_bucket_notification_configuration()
                .bucket("bench-trail-logs")
                .notification_configuration(
                    NotificationConfiguration::builder()
                        .event_bridge_configuration(
                            aws_sdk_s3::types::EventBridgeConfiguration::builder().build(),
                        )
                        .build(),
                )
                .send()
                .await?;
            aws_sdk_sns::Client::new(&sdk)
                .create_topic()
                .name("bench-watchdog")
                .send()
                .await?;
            let ct = aws_sdk_cloudtrail::Client::new(&sdk);
            for i in 0..trails {
                let name = format!("trail-{i:03}");
                let arn = ct
                    .create_trail()
                    .name(&name)
                    .s3_bucket_name("bench-trail-logs")
                    .is_multi_region_trail(true)
                    .include_global_service_events(true)
                    .enable_log_file_validation(true)
                    .kms_key_id(KMS)
                    .cloud_watch_logs_log_group_arn(GROUP)
                    .cloud_watch_logs_role_arn(ROLE)
                    .send()
                    .await?
                    .trail_arn
                    .unwrap_or_default();
                let sel = |n: &str, f: &[(&str, &str)]| {
                    AdvancedEventSelector::builder()
                        .name(n)
                        .set_field_selectors(Some(
                            f.iter()
                                .filter_map(|(k, v)| {
                                    AdvancedFieldSelector::builder()
                                        .field(*k)
                                        .equals(*v)
                                        .build()
                                        .ok()
                                })
                                .collect(),
                        ))
                        .build()
                };
                ct.put_event_selectors()
                    .trail_name(&arn)
                    .advanced_event_selectors(sel(
                        "management",
                        &[("eventCategory", "Management")],
                    )?)
                    .advanced_event_selectors(sel(
                        "tables",
                        &[
                            ("eventCategory", "Data"),
                            ("resources.type", "AWS::DynamoDB::Table"),
                        ],
                    )?)
                    .send()
                    .await?;
                if i % 10 != 0 {
                    ct.start_logging().name(&name).send().await?;
                }
            }
            println!("prepared {trails} trails");
        }
        Cmd::Run => {
            let cfg = config::watchdog_from(|k| std::env::var(k).ok())?;
            let sdk = load_config().await;
            let region = sdk.region().map(|r| r.to_string()).unwrap_or_default();
            let dog = watchdog(&sdk, &cfg, &region);
            println!(
                "ready_unix_ns {}",
                SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos()
            );
            println!(
                "init_in_process_ms {:.1}",
                start.elapsed().as_secs_f64() * 1e3
            );
            for label in ["first pass (repairs)", "second pass (quiet)"] {
                let t = Instant::now();
                let out = logging_watchdog::handle(&dog, json!({}), None).await?;
                println!("{label}: {:.0} ms: {out}", t.elapsed().as_secs_f64() * 1e3);
            }
        }
    }
    Ok(())
}
