//! The logging watchdog's Lambda handler: decode the invocation (a
//! scheduled event, or a direct `{"dryRun": true, "trails": [...]}`) into a
//! [`Request`], run one pass of [`trailguard::watch`], encode its
//! [`Summary`](trailguard::watch::Summary).
//!
//! Findings are results and notices; an infrastructure failure (CloudTrail,
//! S3 or SNS) fails the invocation so that EventBridge's retry (or the next
//! schedule) runs it again, with the pending notices kept in the state
//! object. A payload whose known fields have the wrong type (`"dryRun":
//! "yes"`) is refused rather than read as a full pass.

use chrono::Utc;
use serde_json::Value;
use trailguard::message::Outbox;
use trailguard::ports::StateStore;
use trailguard::watch::{PassError, Request, Watchdog};
use trailguard::watchdog::ports::{GuardChain, TrailControl};

/// Why an invocation failed (and will be retried by AWS, or not at all for
/// a payload that will never decode).
#[derive(Debug, thiserror::Error)]
pub enum WatchdogError {
    /// The payload is not an object of the documented shape.
    #[error("cannot decode the invocation payload: {0}")]
    Payload(#[from] serde_json::Error),
    /// The pass failed.
    #[error(transparent)]
    Pass(#[from] PassError),
}

/// Handles one invocation; `function_arn` is the function's own ARN (its
/// account is the one the pass runs in, unless configured).
pub async fn handle<C: TrailControl, G: GuardChain, S: StateStore, O: Outbox>(
    dog: &Watchdog<C, G, S, O>,
    payload: Value,
    function_arn: Option<&str>,
) -> Result<Value, WatchdogError> {
    let req: Request = serde_json::from_value(payload)?;
    let account = function_arn.and_then(|a| a.split(':').nth(4));
    let pass = dog.pass_config(&req, account);
    let report = dog.run(&pass, Utc::now()).await?;
    report.log();
    Ok(serde_json::to_value(report.summary(&pass))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_sample_events_decode_to_the_requests_they_mean() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../events/logging-watchdog");
        let read = |name: &str| -> Value {
            serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap()
        };
        let scheduled: Request = serde_json::from_value(read("scheduled-event.json")).unwrap();
        assert!(!scheduled.dry_run);
        assert_eq!(scheduled.trails, None);
        assert!(scheduled.region.is_some() && scheduled.account.is_some());
        let dry: Request = serde_json::from_value(read("direct-dry-run.json")).unwrap();
        assert!(dry.dry_run);
    }

    #[test]
    fn a_field_of_the_wrong_type_is_refused_not_defaulted() {
        for bad in [
            json!({"dryRun": "yes"}),
            json!({"trails": "main-trail"}),
            json!("run"),
        ] {
            assert!(
                serde_json::from_value::<Request>(bad.clone()).is_err(),
                "{bad}"
            );
        }
        let ok: Request =
            serde_json::from_value(json!({"dryRun": true, "trails": ["a"], "detail": {}})).unwrap();
        assert_eq!(ok.trails, Some(vec!["a".to_string()]));
    }
}
