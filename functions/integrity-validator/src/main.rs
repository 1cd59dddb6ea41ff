#![recursion_limit = "256"]
//! Lambda entry point: reads configuration, builds the AWS adapters once and
//! runs the handler for every event.

use integrity_validator::Handler;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use trailguard::aws::{load_config, CloudTrailApi, S3Store, SnsNotifier};
use trailguard::config;
use trailguard::validate::ObjectValidator;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // The runtime's subscriber: JSON when Lambda's log format is JSON
    // (template.yaml's LoggingConfig), level from AWS_LAMBDA_LOG_LEVEL or
    // RUST_LOG (default INFO).
    lambda_runtime::tracing::init_default_subscriber();
    let env = |k: &str| std::env::var(k).ok();
    let cfg = config::validator_from(env)?;
    let sdk = load_config().await;
    let notifier = config::topic_from(env).map(|t| SnsNotifier::new(&sdk, t));
    let validator = ObjectValidator::new(S3Store::new(&sdk), CloudTrailApi::new(&sdk), cfg);
    let handler = Handler::new(validator, notifier);
    let handler = &handler;
    lambda_runtime::run(service_fn(move |ev: LambdaEvent<Value>| async move {
        handler.handle(ev.payload).await.map_err(Error::from)
    }))
    .await
}
