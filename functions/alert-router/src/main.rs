#![recursion_limit = "256"]
//! Lambda entry point: reads configuration, loads the rules (built-ins,
//! bundled files, S3 prefixes) and the SNS client once, and hands every
//! CloudWatch Logs batch to the router.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use trailguard::aws::{load_config, S3Store, SnsOutbox};
use trailguard::config;
use trailguard::route::Router;
use trailguard::rules;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // The runtime's subscriber: JSON when Lambda's log format is JSON
    // (template.yaml's LoggingConfig), level from AWS_LAMBDA_LOG_LEVEL or
    // RUST_LOG (default INFO).
    lambda_runtime::tracing::init_default_subscriber();
    let cfg = config::router_from(|k| std::env::var(k).ok())?;
    let sdk = load_config().await;
    // S3 failing or an unusable tuning file fails the cold start (retried,
    // visibly); a rule file that cannot be read is announced and the other
    // rules run.
    let store = cfg.reads_s3().then(|| S3Store::new(&sdk));
    let loaded = rules::load(store.as_ref(), &cfg).await?;
    let outbox = (!cfg.routes().is_empty()).then(|| SnsOutbox::new(&sdk));
    let router = Router::new(&cfg, loaded, outbox);
    let (router, max_inflated) = (&router, cfg.max_inflated);
    lambda_runtime::run(service_fn(move |ev: LambdaEvent<Value>| async move {
        alert_router::handle(router, ev.payload, max_inflated)
            .await
            .map_err(Error::from)
    }))
    .await
}
