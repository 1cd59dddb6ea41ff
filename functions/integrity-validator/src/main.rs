#![recursion_limit = "256"]
//! Lambda entry point: reads configuration, builds the AWS adapters once and
//! hands every event to the validator's flow.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use trailguard::aws::{load_config, CloudTrailApi, S3Checkpoints, S3Store, SnsOutbox};
use trailguard::config;
use trailguard::message::Topic;
use trailguard::validate::backfill::Backfill;
use trailguard::validate::{Arrivals, ObjectValidator};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // The runtime's subscriber: JSON when Lambda's log format is JSON
    // (template.yaml's LoggingConfig), level from AWS_LAMBDA_LOG_LEVEL or
    // RUST_LOG (default INFO).
    lambda_runtime::tracing::init_default_subscriber();
    let env = |k: &str| std::env::var(k).ok();
    let cfg = config::validator_from(env)?;
    let sdk = load_config().await;
    let topic = config::topic_from(env).map(|t| Topic::new(SnsOutbox::new(&sdk), t));
    let checkpoints = cfg
        .checkpoint_bucket
        .as_ref()
        .map(|b| S3Checkpoints::new(&sdk, b.clone()));
    let store = S3Store::new(&sdk);
    // Range mode, for the backfill's state machine: the same adapters.
    let backfill = Backfill {
        store: store.clone(),
        keys: CloudTrailApi::new(&sdk),
        trails: CloudTrailApi::new(&sdk),
        writer: store.clone(),
        topic: topic.clone(),
        cfg: cfg.clone(),
    };
    let validator = ObjectValidator::new(store, CloudTrailApi::new(&sdk), cfg);
    let flow = Arrivals::new(validator, topic).with_checkpoints(checkpoints);
    let (flow, backfill) = (&flow, &backfill);
    lambda_runtime::run(service_fn(move |ev: LambdaEvent<Value>| async move {
        integrity_validator::handle_invocation(flow, Some(backfill), ev.payload)
            .await
            .map_err(Error::from)
    }))
    .await
}
