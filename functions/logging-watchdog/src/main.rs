#![recursion_limit = "256"]
//! Lambda entry point: reads configuration, builds the CloudTrail, S3,
//! EventBridge, SQS, CloudWatch Logs and SNS clients once, and runs a pass
//! for every scheduled event.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use trailguard::aws::{load_config, watchdog};
use trailguard::config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // The runtime's subscriber: JSON when Lambda's log format is JSON
    // (template.yaml's LoggingConfig), level from AWS_LAMBDA_LOG_LEVEL or
    // RUST_LOG (default INFO).
    lambda_runtime::tracing::init_default_subscriber();
    let cfg = config::watchdog_from(|k| std::env::var(k).ok())?;
    let sdk = load_config().await;
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .ok_or("no AWS region configured (AWS_REGION)")?;
    let dog = watchdog(&sdk, &cfg, &region);
    let dog = &dog;
    lambda_runtime::run(service_fn(move |ev: LambdaEvent<Value>| async move {
        let arn = ev.context.invoked_function_arn.clone();
        logging_watchdog::handle(dog, ev.payload, Some(&arn))
            .await
            .map_err(Error::from)
    }))
    .await
}
