//! The integrity validator's Lambda handler: decode the S3, EventBridge or
//! SQS event, run [`trailguard::validate::Arrivals`], encode its answer
//! (for SQS, the partial batch response naming the messages to redeliver).
//!
//! A finding is a successful invocation with an alert; an infrastructure
//! failure fails the invocation (or, from SQS, only the messages it
//! touched) so AWS retries.
//!
//! The backfill's state machine invokes the same function in range mode
//! (`{"backfill": {"step": ...}}`: [`handle_invocation`]).

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse};
use serde_json::{json, Value};
use trailguard::cloudtrail::events::{decode_invocation, EventError, Invocation};
use trailguard::message::Outbox;
use trailguard::ports::Trails;
use trailguard::ports::{Checkpoints, ObjectStore, PortError, PublicKeys};
use trailguard::validate::backfill::{Backfill, BackfillError, ObjectWriter, Step};
use trailguard::validate::{Arrivals, Checked};

/// Why an invocation failed (and will be retried by AWS).
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The payload is none of the supported event shapes.
    #[error("cannot decode the event: {0}")]
    Event(#[from] EventError),
    /// An AWS call failed; no verdict was made from partial data.
    #[error(transparent)]
    Port(#[from] PortError),
    /// The SQS partial batch response could not be written.
    #[error("cannot write the SQS batch response: {0}")]
    Response(serde_json::Error),
    /// A backfill step failed (the state machine retries it).
    #[error(transparent)]
    Backfill(#[from] BackfillError),
    /// A backfill step arrived, and this function has no backfill mode.
    #[error("a backfill step, and backfill is not configured")]
    NoBackfill,
}

/// Handles one invocation: a backfill step when the payload is one, else
/// an S3, EventBridge or SQS event ([`handle`]).
pub async fn handle_invocation<S, K, O, C, BS, BK, BT, BW, BO>(
    flow: &Arrivals<S, K, O, C>,
    backfill: Option<&Backfill<BS, BK, BT, BW, BO>>,
    payload: Value,
) -> Result<Value, HandlerError>
where
    S: ObjectStore,
    K: PublicKeys,
    O: Outbox,
    C: Checkpoints,
    BS: ObjectStore,
    BK: PublicKeys,
    BT: Trails,
    BW: ObjectWriter,
    BO: Outbox,
{
    match Step::of(&payload) {
        None => handle(flow, payload).await,
        Some(step) => {
            let step = step.map_err(BackfillError::Step)?;
            let b = backfill.ok_or(HandlerError::NoBackfill)?;
            Ok(b.run(step, chrono::Utc::now()).await?)
        }
    }
}

/// Handles one invocation payload.
pub async fn handle<S: ObjectStore, K: PublicKeys, O: Outbox, C: Checkpoints>(
    flow: &Arrivals<S, K, O, C>,
    payload: Value,
) -> Result<Value, HandlerError> {
    let inv = decode_invocation(&payload)?;
    let from_queue = matches!(inv, Invocation::Queue(_));
    Ok(match flow.check(inv).await? {
        Checked::TestEvent => json!({"checked": 0, "invalid": 0}),
        Checked::Files {
            failed_messages, ..
        } if from_queue => {
            let mut response = SqsBatchResponse::default();
            response.batch_item_failures = failed_messages
                .into_iter()
                .map(|id| {
                    let mut f = BatchItemFailure::default();
                    f.item_identifier = id;
                    f
                })
                .collect();
            // A response that cannot be written fails the whole batch
            // (SQS redelivers every message) rather than answer with no
            // failures, which would delete the failed messages unchecked.
            serde_json::to_value(response).map_err(HandlerError::Response)?
        }
        Checked::Files {
            checked, invalid, ..
        } => json!({"checked": checked, "invalid": invalid}),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use trailguard::message::Topic;
    use trailguard::synth::{generate, RegionKeys, SigningKey, TrailSpec};
    use trailguard::testing::{MemKeys, MemOutbox, MemStore};
    use trailguard::validate::ObjectValidator;
    use trailguard::validate::ValidatorConfig;

    const TOPIC: &str = "arn:aws:sns:us-east-1:111122223333:integrity";

    /// The handler as Lambda calls it.
    trait Handle {
        async fn handle(&self, payload: Value) -> Result<Value, HandlerError>;
    }

    impl<S: ObjectStore, K: PublicKeys, O: Outbox> Handle for Arrivals<S, K, O> {
        async fn handle(&self, payload: Value) -> Result<Value, HandlerError> {
            super::handle(self, payload).await
        }
    }

    fn s3_event(bucket: &str, key: &str, name: &str) -> Value {
        let encoded: String = key.replace(' ', "+");
        json!({"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",
            "eventTime":"2026-01-15T03:00:00.000Z","eventName":name,
            "s3":{"bucket":{"name":bucket},"object":{"key":encoded}}}]})
    }

    struct Fixture {
        handler: Arrivals<std::sync::Arc<MemStore>, MemKeys, std::sync::Arc<MemOutbox>>,
        store: std::sync::Arc<MemStore>,
        sent: std::sync::Arc<MemOutbox>,
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
        let sent = std::sync::Arc::new(MemOutbox::default());
        let validator = ObjectValidator::new(
            store.clone(),
            MemKeys::with("us-east-1", keys.get("us-east-1")),
            ValidatorConfig::default(),
        );
        Fixture {
            handler: Arrivals::new(validator, Some(Topic::new(sent.clone(), TOPIC))),
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
        assert!(f.sent.sent().is_empty());
    }

    /// A digest (signed, or forged) that lists objects outside the trail's
    /// bucket or keys that are not this trail's log files: findings, and
    /// never a fetch the digest steered.
    #[tokio::test]
    async fn a_digest_listing_files_elsewhere_never_steers_the_fetches() {
        use trailguard::cloudtrail::digest::Digest;
        use trailguard::gzip;
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
        let sent = std::sync::Arc::new(MemOutbox::default());
        let cfg = ValidatorConfig {
            expect: trailguard::integrity::logfile::Expectations {
                accounts: vec!["111122223333".into()],
                ..Default::default()
            },
            ..ValidatorConfig::default()
        };
        let validator = ObjectValidator::new(store.clone(), MemKeys::with("us-east-1", key), cfg);
        let handler = Arrivals::new(validator, Some(Topic::new(sent.clone(), TOPIC)));

        // Signed with the trail's key: its own log files and three more, three findings.
        let (object, _) = signed_digest(&digest, key);
        store.put(&spec.bucket, &digest_key, object.body, &object.metadata);
        let out = handler
            .handle(s3_event(&spec.bucket, &digest_key, "ObjectCreated:Put"))
            .await
            .unwrap();
        assert_eq!(out["invalid"], 3, "{out}");
        let body = sent.sent()[0].email();
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
            trailguard::gzip::gzip(b"{\"Records\":[]}"),
        );
        let out = f
            .handler
            .handle(s3_event(&f.spec.bucket, &f.digests[1], "ObjectCreated:Put"))
            .await
            .unwrap();
        assert_eq!(out["invalid"], 1);
        let sent = f.sent.sent();
        assert_eq!(sent.len(), 1);
        assert!(sent[0]
            .email()
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
        assert!(f.sent.sent()[0]
            .email()
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
        assert!(f.sent.sent().is_empty(), "no verdict from partial data");
        f.store
            .replace_body(&f.spec.bucket, &f.logs[0], b"junk".to_vec());
        f.sent.fail(true);
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

    /// The backfill's state machine invokes the same function: its steps
    /// go to range mode, every other payload to the arrivals.
    #[tokio::test]
    async fn backfill_steps_run_in_range_mode() {
        use std::sync::Arc;
        use trailguard::testing::NoTrails;
        use trailguard::validate::backfill::Backfill;
        let f = fixture();
        // The plan lists folders only: no public key is asked for.
        let backfill = Backfill {
            store: f.store.clone(),
            keys: MemKeys::default(),
            trails: NoTrails,
            writer: f.store.clone(),
            topic: Some(Topic::new(f.sent.clone(), TOPIC)),
            cfg: ValidatorConfig::default(),
        };
        let plan = json!({"backfill": {"step": "plan",
            "input": {"start": "2026-01-15T00:00:00Z", "end": "2026-01-15T23:59:59Z"},
            "target": {"trailArn": f.spec.trail_arn(), "bucket": f.spec.bucket, "organizationId": ""},
            "execution": "e1", "resultsBucket": "state", "maxConcurrency": "4"}});
        let out = handle_invocation(&f.handler, Some(&backfill), plan.clone())
            .await
            .unwrap();
        assert_eq!(out["chunks"], 1);
        assert_eq!(out["maxConcurrency"], 4);
        assert!(f
            .store
            .body("state", "trailguard/backfill/e1/chunks.json")
            .is_some());
        // An S3 event still goes to the arrivals.
        let out = handle_invocation(
            &f.handler,
            Some(&backfill),
            s3_event(&f.spec.bucket, &f.logs[0], "ObjectCreated:Put"),
        )
        .await
        .unwrap();
        assert_eq!(out["checked"], 1);
        // A function deployed without range mode refuses the step.
        let none =
            None::<&Backfill<Arc<MemStore>, MemKeys, NoTrails, Arc<MemStore>, Arc<MemOutbox>>>;
        assert!(matches!(
            handle_invocation(&f.handler, none, plan).await,
            Err(HandlerError::NoBackfill)
        ));
        // A malformed step is an error naming it, not an S3 event.
        let err = handle_invocation(
            &f.handler,
            Some(&backfill),
            json!({"backfill": {"step": "chunk"}}),
        )
        .await
        .unwrap_err();
        assert!(
            err.to_string().contains("cannot decode the backfill step"),
            "{err}"
        );
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
            // The backfill's state machine payloads (range mode).
            if let Some(step) = Step::of(&v) {
                step.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                seen += 1;
                continue;
            }
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
