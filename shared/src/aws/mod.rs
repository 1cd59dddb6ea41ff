//! The AWS SDK adapters of the [ports](crate::ports): one per port, built
//! once from one `aws_config` load, so that region, endpoint (the emulator's
//! `AWS_ENDPOINT_URL` in tests) and credentials come from the standard
//! environment.

mod chain;
mod checkpoints;
mod client;
mod cloudtrail;
mod error;
mod s3;
mod sns;
#[cfg(feature = "stack")]
mod stack;
mod state;
mod trailcontrol;

pub use aws_config::SdkConfig;
pub use chain::ChainApi;
pub use checkpoints::S3Checkpoints;
pub use client::{load_config, timeouts, ATTEMPT_TIMEOUT, OPERATION_TIMEOUT};
pub use cloudtrail::CloudTrailApi;
pub use s3::S3Store;
pub use sns::SnsOutbox;
#[cfg(feature = "stack")]
pub use stack::StackApi;
pub use state::S3StateObject;

/// The logging watchdog on AWS, its adapters as its configuration asks for
/// them: one place for the function, the CLI and the benchmark to build it.
/// Without a state bucket it remembers nothing; without a topic it only
/// logs its notices.
pub fn watchdog(
    sdk: &aws_config::SdkConfig,
    cfg: &crate::config::WatchdogConfig,
    region: &str,
) -> crate::watch::Watchdog<CloudTrailApi, ChainApi, S3StateObject, SnsOutbox> {
    crate::watch::Watchdog::new(
        CloudTrailApi::new(sdk),
        Some(ChainApi::new(sdk).with_checkpoints(sdk, cfg.chain.checkpoint_bucket.as_deref())),
        cfg.state
            .as_ref()
            .map(|(bucket, key)| S3StateObject::new(sdk, bucket.clone(), key.clone())),
        cfg.topic
            .as_ref()
            .map(|t| crate::message::Topic::new(SnsOutbox::new(sdk), t.clone())),
        cfg.clone(),
        region,
    )
}
