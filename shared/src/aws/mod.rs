//! The AWS SDK adapters of the [ports](crate::ports): one per port, built
//! once from one `aws_config` load, so that region, endpoint (the emulator's
//! `AWS_ENDPOINT_URL` in tests) and credentials come from the standard
//! environment.

mod chain;
mod cloudtrail;
mod error;
mod s3;
mod sns;
mod state;
mod trailcontrol;

pub use chain::ChainApi;
pub use cloudtrail::CloudTrailApi;
pub use s3::S3Store;
pub use sns::{SnsNotifier, SnsPublisher};
pub use state::S3StateObject;

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

/// How long one attempt of an AWS call may take before the SDK gives up on
/// it and retries (a connection that hangs is a fault like a 500). Without
/// it a stalled call would hold the invocation until Lambda's own timeout.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);

/// How long one AWS call may take in all, retries included: well under the
/// shortest function timeout (the router's 60 s), so a call that hangs on
/// every attempt fails the invocation with its own error first. A response
/// body that stops flowing is the SDK's stalled-stream protection's
/// (`behavior-version-latest`: no data for 5 s fails the read).
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(40);

/// The timeouts every client uses: connect within 3.1 s (the SDK's
/// default), each attempt within `attempt`, the whole call within
/// [`OPERATION_TIMEOUT`] (or `attempt`, if longer).
pub fn timeouts(attempt: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_millis(3100))
        .operation_attempt_timeout(attempt)
        .operation_timeout(OPERATION_TIMEOUT.max(attempt))
        .build()
}

/// Loads the SDK configuration from the standard environment and files,
/// with [`timeouts`]`(`[`ATTEMPT_TIMEOUT`]`)`.
pub async fn load_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts(ATTEMPT_TIMEOUT))
        .load()
        .await
}

/// The logging watchdog's adapters as its configuration asks for them: one
/// place for the function, the CLI and the benchmark to build them.
pub struct WatchdogAdapters {
    /// CloudTrail: read, repair, who stopped it.
    pub trails: CloudTrailApi,
    /// The log bucket's settings and the functions' feeds (read only).
    pub chain: ChainApi,
    /// The alert state object, when a state bucket is configured.
    pub state: Option<S3StateObject>,
    /// The topic notices go to, when one is configured.
    pub notifier: Option<SnsNotifier>,
}

impl WatchdogAdapters {
    /// Clients built once from the shared SDK configuration.
    pub fn new(sdk: &SdkConfig, cfg: &crate::config::WatchdogConfig) -> Self {
        Self {
            trails: CloudTrailApi::new(sdk),
            chain: ChainApi::new(sdk),
            state: cfg
                .state
                .as_ref()
                .map(|(bucket, key)| S3StateObject::new(sdk, bucket.clone(), key.clone())),
            notifier: cfg.topic.as_ref().map(|t| SnsNotifier::new(sdk, t.clone())),
        }
    }
}
