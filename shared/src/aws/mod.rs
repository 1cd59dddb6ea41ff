//! The AWS SDK adapters of the [ports](crate::ports): one per port, built
//! once from one `aws_config` load, so that region, endpoint (the emulator's
//! `AWS_ENDPOINT_URL` in tests) and credentials come from the standard
//! environment.

mod cloudtrail;
mod error;
mod s3;
mod sns;
mod state;
mod trailcontrol;

pub use cloudtrail::CloudTrailApi;
pub use s3::S3Store;
pub use sns::{SnsNotifier, SnsPublisher};
pub use state::S3StateObject;

use aws_config::{BehaviorVersion, SdkConfig};

/// Loads the SDK configuration from the standard environment and files.
pub async fn load_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}
