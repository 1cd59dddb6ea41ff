//! The integrity validator's handler: an S3, EventBridge or SQS event in,
//! verdicts logged and findings alerted out.
//!
//! Generic over the ports so that it runs on in-memory fakes in unit tests,
//! on the emulator in end-to-end tests, and on AWS in Lambda. A finding is a
//! successful invocation with an alert; an infrastructure failure fails the
//! invocation (or, from SQS, only the messages it touched) so AWS retries.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse};
use serde_json::{json, Value};
use trailguard::alert::integrity_notification;
use trailguard::cloudtrail::events::{decode_invocation, EventError, Invocation, ObjectEvent};
use trailguard::integrity::verdict::Verdict;
use trailguard::ports::{Notifier, ObjectStore, PortError, PublicKeys};
use trailguard::validate::ObjectValidator;

/// Why an invocation failed (and will be retried by AWS).
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The payload is none of the supported event shapes.
    #[error("cannot decode the event: {0}")]
    Event(#[from] EventError),
    /// An AWS call failed; no verdict was made from partial data.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// The handler, built once per container.
pub struct Handler<S, K, N> {
    validator: ObjectValidator<S, K>,
    notifier: Option<N>,
}

impl<S: ObjectStore, K: PublicKeys, N: Notifier> Handler<S, K, N> {
    /// A handler; without a notifier findings are only logged.
    pub fn new(validator: ObjectValidator<S, K>, notifier: Option<N>) -> Self {
        if notifier.is_none() {
            tracing::warn!("no SNS topic configured: findings will only be logged");
        }
        Self {
            validator,
            notifier,
        }
    }

    /// Handles one invocation payload.
    pub async fn handle(&self, payload: Value) -> Result<Value, HandlerError> {
        match decode_invocation(&payload)? {
            Invocation::TestEvent => {
                tracing::info!("S3 test event acknowledged");
                Ok(json!({"checked": 0, "invalid": 0}))
            }
            Invocation::Direct(events) => {
                let verdicts = self.validate_all(&events).await?;
                self.alert(&verdicts).await?;
                Ok(summary(&verdicts))
            }
            Invocation::Queue(messages) => {
                let mut failures = Vec::new();
                let mut verdicts = Vec::new();
                for m in messages {
                    let result = match m.events {
                        Ok(events) => self.validate_all(&events).await.map_err(HandlerError::from),
                        Err(e) => Err(HandlerError::from(e)),
                    };
                    match result {
                        Ok(v) => verdicts.extend(v),
                        Err(e) => {
                            tracing::error!(message_id = %m.message_id, error = %e, "message failed; SQS will redeliver it");
                            failures.push(m.message_id);
                        }
                    }
                }
                // If the alert cannot be sent the whole batch is retried: a
                // repeated verdict is harmless, a lost alert is not.
                self.alert(&verdicts).await?;
                let mut response = SqsBatchResponse::default();
                response.batch_item_failures = failures
                    .into_iter()
                    .map(|id| {
                        let mut f = BatchItemFailure::default();
                        f.item_identifier = id;
                        f
                    })
                    .collect();
                Ok(serde_json::to_value(response)
                    .unwrap_or_else(|_| json!({"batchItemFailures": []})))
            }
        }
    }

    async fn validate_all(&self, events: &[ObjectEvent]) -> Result<Vec<Verdict>, PortError> {
        let mut out = Vec::new();
        for ev in events {
            let verdicts = self.validator.on_event(ev).await?;
            if verdicts.is_empty() {
                tracing::debug!(bucket = %ev.bucket, key = %ev.key, "not a CloudTrail file; skipped");
            }
            for v in &verdicts {
                log_verdict(v);
            }
            out.extend(verdicts);
        }
        Ok(out)
    }

    async fn alert(&self, verdicts: &[Verdict]) -> Result<(), PortError> {
        let Some(bucket) = verdicts
            .iter()
            .find(|v| !v.is_valid())
            .map(|v| v.bucket.clone())
        else {
            return Ok(());
        };
        let (Some(n), Some(notifier)) = (
            integrity_notification(&format!("s3://{bucket}"), verdicts),
            &self.notifier,
        ) else {
            return Ok(());
        };
        notifier.publish(&n).await?;
        tracing::info!(subject = %n.subject, "alert published");
        Ok(())
    }
}

/// Every verdict is one structured log line.
fn log_verdict(v: &Verdict) {
    let (status, reason, code) = match &v.reason {
        None => ("valid", String::new(), ""),
        Some(r) => ("invalid", r.text(), r.code()),
    };
    if v.is_valid() {
        tracing::info!(kind = ?v.kind, bucket = %v.bucket, key = %v.key, status, "verdict");
    } else {
        tracing::warn!(kind = ?v.kind, bucket = %v.bucket, key = %v.key, status, reason, code, "verdict");
    }
}

fn summary(verdicts: &[Verdict]) -> Value {
    json!({
        "checked": verdicts.len(),
        "invalid": verdicts.iter().filter(|v| !v.is_valid()).count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailguard::synth::{generate, RegionKeys, SigningKey, TrailSpec};
    use trailguard::testing::{MemKeys, MemNotifier, MemStore};
    use trailguard::validate::ValidatorConfig;

    fn s3_event(bucket: &str, key: &str, name: &str) -> Value {
        let encoded: String = key.replace(' ', "+");
        json!({"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",
            "eventTime":"2026-01-15T03:00:00.000Z","eventName":name,
            "s3":{"bucket":{"name":bucket},"object":{"key":encoded}}}]})
    }

    struct Fixture {
        handler: Handler<std::sync::Arc<MemStore>, MemKeys, std::sync::Arc<MemNotifier>>,
        store: std::sync::Arc<MemStore>,
        sent: std::sync::Arc<MemNotifier>,
        spec: TrailSpec,
        digests: Vec<String>,
        logs: Vec<String>,
    }

    fn fixture() -> Fixture {
        let spec = TrailSpec::default();
        let keys = RegionKeys::generate(&spec.regions);
        let trail = generate(&spec, &keys);
        let store = std::sync::Arc::new(MemStore::default());
        store.put_all(&spec.bucket, &trail.objects);
        let sent = std::sync::Arc::new(MemNotifier::default());
        let validator = ObjectValidator::new(
            store.clone(),
            MemKeys::with("us-east-1", keys.get("us-east-1")),
            ValidatorConfig::default(),
        );
        Fixture {
            handler: Handler::new(validator, Some(sent.clone())),
            store,
            sent,
            digests: trail.digest_keys().iter().map(|s| s.to_string()).collect(),
            logs: trail.log_keys().iter().map(|s| s.to_string()).collect(),
            spec,
        }
    }

    #[tokio::test]
    async fn clean_digest_and_log_produce_no_alert() {
        let f = fixture();
        let out = f
            .handler
            .handle(s3_event(&f.spec.bucket, &f.digests[1], "ObjectCreated:Put"))
            .await
            .unwrap();
        assert_eq!(out["invalid"], 0);
        assert_eq!(out["checked"], 5, "digest + 4 listed logs");
        let out = f
            .handler
            .handle(s3_event(&f.spec.bucket, &f.logs[0], "ObjectCreated:Put"))
            .await
            .unwrap();
        assert_eq!(out, json!({"checked": 1, "invalid": 0}));
        assert!(f.sent.sent.lock().unwrap().is_empty());
    }

    /// A digest (signed, or forged) that lists objects outside the trail's
    /// bucket or keys that are not this trail's log files: findings, and
    /// never a fetch the digest steered.
    #[tokio::test]
    async fn a_digest_listing_files_elsewhere_never_steers_the_fetches() {
        use trailguard::cloudtrail::digest::Digest;
        use trailguard::integrity::gzip;
        use trailguard::synth::signed_digest;
        let keys = RegionKeys::one("us-east-1", SigningKey::generate());
        let key = keys.get("us-east-1");
        let spec = TrailSpec::default();
        let trail = generate(&spec, &keys);
        let store = std::sync::Arc::new(MemStore::default());
        store.put_all(&spec.bucket, &trail.objects);
        let digest_key = trail.digest_keys()[1].to_string();
        let inflated = gzip::inflate(&store.body(&spec.bucket, &digest_key).unwrap(), 1 << 30)
            .unwrap()
            .0;
        let mut digest: Digest = serde_json::from_slice(&inflated).unwrap();
        let good = digest.log_files[0].s3_object.clone();
        let mut elsewhere = digest.log_files[0].clone();
        elsewhere.s3_bucket = "attacker-bucket".into();
        let mut not_a_log = digest.log_files[0].clone();
        not_a_log.s3_object = "AWSLogs/111122223333/../../secrets.txt".into();
        let mut other_account = digest.log_files[0].clone();
        other_account.s3_object = good.replace("111122223333", "999988887777");
        digest
            .log_files
            .extend([elsewhere, not_a_log, other_account]);
        let sent = std::sync::Arc::new(MemNotifier::default());
        let cfg = ValidatorConfig {
            expect: trailguard::integrity::logfile::Expectations {
                accounts: vec!["111122223333".into()],
                ..Default::default()
            },
            ..ValidatorConfig::default()
        };
        let validator = ObjectValidator::new(store.clone(), MemKeys::with("us-east-1", key), cfg);
        let handler = Handler::new(validator, Some(sent.clone()));

        // Signed with the trail's key: its own log files and three more, three findings.
        let (object, _) = signed_digest(&digest, key);
        store.put(&spec.bucket, &digest_key, object.body, &object.metadata);
        let out = handler
            .handle(s3_event(&spec.bucket, &digest_key, "ObjectCreated:Put"))
            .await
            .unwrap();
        assert_eq!(out["invalid"], 3, "{out}");
        let body = sent.sent.lock().unwrap()[0].body.clone();
        assert!(
            body.contains("listed in bucket attacker-bucket, not the trail's bucket"),
            "{body}"
        );
        assert!(
            body.contains("secrets.txt\tINVALID: unrecognised object"),
            "{body}"
        );
        assert!(body.contains("999988887777"), "{body}");
        let fetched = |b: &str, k: &str| {
            store
                .gets
                .lock()
                .unwrap()
                .iter()
                .any(|(gb, gk)| gb == b && gk == k)
        };
        assert!(fetched(&spec.bucket, &good));
        assert!(!store
            .gets
            .lock()
            .unwrap()
            .iter()
            .any(|(b, k)| b == "attacker-bucket"
                || k.contains("secrets")
                || k.contains("999988887777")));

        // Forged (another key): the digest is invalid and nothing it lists is fetched.
        store.gets.lock().unwrap().clear();
        let (forged, _) = signed_digest(&digest, &SigningKey::generate());
        store.put(&spec.bucket, &digest_key, forged.body, &forged.metadata);
        let out = handler
            .handle(s3_event(&spec.bucket, &digest_key, "ObjectCreated:Put"))
            .await
            .unwrap();
        assert_eq!(out["invalid"], 1, "{out}");
        assert!(!fetched(&spec.bucket, &good));
    }

    #[tokio::test]
    async fn tampered_log_is_one_alert() {
        let f = fixture();
        f.store.replace_body(
            &f.spec.bucket,
            &f.logs[5],
            trailguard::integrity::gzip::gzip(b"{\"Records\":[]}"),
        );
        let out = f
            .handler
            .handle(s3_event(&f.spec.bucket, &f.digests[1], "ObjectCreated:Put"))
            .await
            .unwrap();
        assert_eq!(out["invalid"], 1);
        let sent = f.sent.sent.lock().unwrap();
        assert_eq!(sent.len(), 1);
        assert!(sent[0]
            .body
            .contains(&format!("{}\tINVALID: hash value doesn't match", f.logs[5])));
    }

    #[tokio::test]
    async fn deleted_previous_digest_and_deletion_events() {
        let f = fixture();
        f.store.delete(&f.spec.bucket, &f.digests[1]);
        let out = f
            .handler
            .handle(s3_event(&f.spec.bucket, &f.digests[2], "ObjectCreated:Put"))
            .await
            .unwrap();
        assert!(out["invalid"].as_u64().unwrap() >= 1);
        assert!(f.sent.sent.lock().unwrap()[0]
            .body
            .contains(&format!("{}\tINVALID: not found", f.digests[1])));
        let out = f
            .handler
            .handle(s3_event(
                &f.spec.bucket,
                &f.logs[0],
                "ObjectRemoved:DeleteMarkerCreated",
            ))
            .await
            .unwrap();
        assert_eq!(out["invalid"], 1);
    }

    #[tokio::test]
    async fn infrastructure_failures_fail_the_invocation() {
        let f = fixture();
        f.store.failing.lock().unwrap().push(f.logs[4].clone());
        let err = f
            .handler
            .handle(s3_event(&f.spec.bucket, &f.digests[1], "ObjectCreated:Put"))
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            HandlerError::Port(PortError::Unavailable { .. })
        ));
        assert!(
            f.sent.sent.lock().unwrap().is_empty(),
            "no verdict from partial data"
        );
        f.store
            .replace_body(&f.spec.bucket, &f.logs[0], b"junk".to_vec());
        *f.sent.fail.lock().unwrap() = true;
        assert!(f
            .handler
            .handle(s3_event(&f.spec.bucket, &f.logs[0], "ObjectCreated:Put"))
            .await
            .is_err());
    }

    #[tokio::test]
    async fn sqs_reports_only_failed_messages() {
        let f = fixture();
        f.store.failing.lock().unwrap().push(f.logs[1].clone());
        let body = |k: &str| s3_event(&f.spec.bucket, k, "ObjectCreated:Put").to_string();
        let payload = json!({"Records":[
            {"messageId":"ok","body":body(&f.logs[0]),"eventSource":"aws:sqs"},
            {"messageId":"s3-down","body":body(&f.logs[1]),"eventSource":"aws:sqs"},
            {"messageId":"garbage","body":"{","eventSource":"aws:sqs"}]});
        let out = f.handler.handle(payload).await.unwrap();
        let ids: Vec<&str> = out["batchItemFailures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["itemIdentifier"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec!["s3-down", "garbage"]);
    }

    #[tokio::test]
    async fn undecodable_payload_is_an_error_and_test_event_is_not() {
        let f = fixture();
        assert!(matches!(
            f.handler.handle(json!({"hello": 1})).await,
            Err(HandlerError::Event(_))
        ));
        assert!(f
            .handler
            .handle(json!({"Event": "s3:TestEvent"}))
            .await
            .is_ok());
    }
}

#[cfg(test)]
mod sample_events {
    use super::*;

    /// Every sample event in `events/integrity-validator/` decodes to the objects it names.
    #[test]
    fn sample_events_decode() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../events/integrity-validator");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let keys: Vec<String> =
                match decode_invocation(&v).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
                    Invocation::TestEvent => vec![],
                    Invocation::Direct(evs) => evs.into_iter().map(|e| e.key).collect(),
                    Invocation::Queue(msgs) => msgs
                        .into_iter()
                        .flat_map(|m| m.events.unwrap())
                        .map(|e| e.key)
                        .collect(),
                };
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if name != "s3-test-event.json" {
                assert!(!keys.is_empty(), "{name}");
                assert!(
                    keys.iter()
                        .all(|k| k.starts_with("AWSLogs/111122223333/CloudTrail")),
                    "{name}: {keys:?}"
                );
            }
            seen += 1;
        }
        assert!(seen >= 7, "only {seen} sample events");
    }
}
