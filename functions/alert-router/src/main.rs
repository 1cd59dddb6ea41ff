#![recursion_limit = "256"]
//! Lambda entry point: reads configuration, loads the rules (built-ins,
//! bundled files, S3 prefixes) and the SNS client once, and runs the
//! router for every CloudWatch Logs batch.

use alert_router::Router;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use trailguard::aws::{load_config, S3Store, SnsPublisher};
use trailguard::config::{self, Location};
use trailguard::rules;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // The runtime's subscriber: JSON when Lambda's log format is JSON
    // (template.yaml's LoggingConfig), level from AWS_LAMBDA_LOG_LEVEL or
    // RUST_LOG (default INFO).
    lambda_runtime::tracing::init_default_subscriber();
    let env = |k: &str| std::env::var(k).ok();
    let cfg = config::router_from(env)?;
    let sdk = load_config().await;
    let needs_s3 = cfg
        .rules
        .iter()
        .chain(cfg.tuning.iter())
        .any(|l| matches!(l, Location::S3 { .. }));
    let store = needs_s3.then(|| S3Store::new(&sdk));
    // S3 failing or an unusable tuning file fails the cold start (retried,
    // visibly); a rule file that cannot be read is announced and the other
    // rules run.
    let read = rules::read_locations(store.as_ref(), &cfg.rules).await?;
    let tuning = rules::read_tuning(store.as_ref(), &cfg).await?;
    let loaded = rules::build_read(&cfg, &read, tuning, cfg.min_severity);
    let publisher = (!cfg.routes().is_empty()).then(|| SnsPublisher::new(&sdk));
    let router = Router::new(&cfg, loaded, publisher);
    let router = &router;
    lambda_runtime::run(service_fn(move |ev: LambdaEvent<Value>| async move {
        router.handle(ev.payload).await.map_err(Error::from)
    }))
    .await
}
