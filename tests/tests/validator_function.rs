//! The integrity-validator handler end to end: real SDK adapters against the
//! emulator, alerts published to an SNS topic and read back from an SQS
//! queue subscribed to it, as a person would receive them.

use std::time::Duration;

use integrity_validator::HandlerError;
use serde_json::{json, Value};
use trailguard::aws::{CloudTrailApi, S3Checkpoints, S3Store, SnsOutbox};
use trailguard::gzip::gzip;
use trailguard::message::Topic;
use trailguard::synth::{generate, RegionKeys, SynthTrail, TrailSpec};
use trailguard::validate::{Arrivals, ObjectValidator, ValidatorConfig};
use trailguard_e2e::*;

/// The function's handler, as Lambda calls it.
trait Handle {
    async fn handle(&self, payload: Value) -> Result<Value, HandlerError>;
}

impl<O: trailguard::message::Outbox, C: trailguard::ports::Checkpoints> Handle
    for Arrivals<S3Store, CloudTrailApi, O, C>
{
    async fn handle(&self, payload: Value) -> Result<Value, HandlerError> {
        integrity_validator::handle(self, payload).await
    }
}

struct Setup {
    _emu: Emulator,
    spec: TrailSpec,
    trail: SynthTrail,
    s3: aws_sdk_s3::Client,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    handler: Arrivals<S3Store, CloudTrailApi, SnsOutbox, Option<S3Checkpoints>>,
}

/// Where the validator records its checkpoints (the watchdog's state
/// bucket in a deployment).
const STATE_BUCKET: &str = "trailguard-state";

async fn setup(cfg: ValidatorConfig) -> Setup {
    setup_in(cfg, &["us-east-1"]).await
}

/// A trail delivering in `regions` (home us-east-1), each region's digests
/// signed with that region's own key, which only that region's
/// ListPublicKeys lists.
async fn setup_in(cfg: ValidatorConfig, regions: &[&str]) -> Setup {
    setup_with(cfg, regions, |_| {}).await
}

/// [`setup_in`] with the trail's spec adjusted by `adjust`.
async fn setup_with(
    cfg: ValidatorConfig,
    regions: &[&str],
    adjust: impl FnOnce(&mut TrailSpec),
) -> Setup {
    let emu = Emulator::start();
    let keys = RegionKeys::generate(regions);
    emu.register_keys(&keys);
    let sdk = emu.sdk_config().await;
    let spec = TrailSpec {
        regions: regions.iter().map(|r| r.to_string()).collect(),
        hours: 3,
        logs_per_hour: 3,
        records_per_log: 10,
        kms_key: Some(
            "arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555".into(),
        ),
        ..TrailSpec::default()
    };
    let mut spec = spec;
    adjust(&mut spec);
    let trail = generate(&spec, &keys);
    let s3 = s3(&sdk);
    write_trail(&s3, &spec, &trail.objects).await;
    let sns = aws_sdk_sns::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let topic = sns
        .create_topic()
        .name("trailguard-alerts")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let queue_url = sqs
        .create_queue()
        .queue_name("alerts-inbox")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(queue_arn)
        .send()
        .await
        .unwrap();
    let validator = ObjectValidator::new(S3Store::new(&sdk), CloudTrailApi::new(&sdk), cfg);
    create_bucket(&s3, STATE_BUCKET).await;
    let handler = Arrivals::new(validator, Some(Topic::new(SnsOutbox::new(&sdk), topic)))
        .with_checkpoints(Some(S3Checkpoints::new(&sdk, STATE_BUCKET)));
    Setup {
        _emu: emu,
        spec,
        trail,
        s3,
        sqs,
        queue_url,
        handler,
    }
}

fn config() -> ValidatorConfig {
    let mut c = ValidatorConfig::default();
    c.expect.accounts = vec!["111122223333".into()];
    c.expect.kms_key =
        Some("arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555".into());
    c.trail_name = Some("main-trail".into());
    c
}

fn s3_event(bucket: &str, key: &str, name: &str) -> Value {
    json!({"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",
        "eventTime":"2026-01-15T03:00:00.000Z","eventName":name,
        "s3":{"s3SchemaVersion":"1.0","bucket":{"name":bucket,"arn":format!("arn:aws:s3:::{bucket}")},
              "object":{"key":key,"size":1}}}]})
}

impl Setup {
    /// Delivers every object's creation event in order, as S3 would.
    async fn replay(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for o in &self.trail.objects {
            out.push(
                self.handler
                    .handle(s3_event(&self.spec.bucket, &o.key, "ObjectCreated:Put"))
                    .await
                    .unwrap(),
            );
        }
        out
    }

    /// The alert messages that reached the subscribed queue, as (subject,
    /// the text an email subscriber receives). The queue gets the JSON
    /// rendering; the emulator's record of what SNS accepted gives the
    /// email rendering of the same message.
    async fn inbox(&self) -> Vec<(String, String)> {
        let published: Value =
            serde_json::from_str(&self._emu.control("GET", "/_trailguard/sns", &json!({})))
                .unwrap();
        let published = published["published"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut out = Vec::new();
        for _ in 0..3 {
            let r = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .unwrap();
            for m in r.messages() {
                let envelope: Value = serde_json::from_str(m.body().unwrap()).unwrap();
                let message = envelope["Message"].as_str().unwrap_or_default();
                let alert: Value = serde_json::from_str(message).expect("the JSON rendering");
                assert_eq!(alert["kind"], "integrity", "{alert}");
                let email = published
                    .iter()
                    .find(|p| p["delivered"]["sqs"] == message)
                    .and_then(|p| p["delivered"]["email"].as_str())
                    .expect("the same message's email rendering");
                out.push((
                    envelope["Subject"].as_str().unwrap_or_default().to_string(),
                    email.to_string(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        out
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn clean_trail_is_quiet() {
    let s = setup(config()).await;
    let results = s.replay().await;
    assert!(results.iter().all(|r| r["invalid"] == 0), "{results:?}");
    assert_eq!(
        results
            .iter()
            .map(|r| r["checked"].as_u64().unwrap())
            .sum::<u64>(),
        9 + 3 + 9
    );
    assert!(s.inbox().await.is_empty());
}

/// Replays every object, altering `victim` just before `digest` lands; the
/// summed (checked, invalid) counts of the invocations.
async fn replay_altering(s: &Setup, victim: &str, digest: &str) -> (u64, u64) {
    let (mut checked, mut invalid) = (0, 0);
    for o in &s.trail.objects {
        if o.key == digest {
            overwrite(&s.s3, &s.spec.bucket, victim, gzip(b"{\"Records\":[]}")).await;
        }
        let r = s
            .handler
            .handle(s3_event(&s.spec.bucket, &o.key, "ObjectCreated:Put"))
            .await
            .unwrap();
        checked += r["checked"].as_u64().unwrap();
        invalid += r["invalid"].as_u64().unwrap();
    }
    (checked, invalid)
}

/// CloudTrail signs each region's digests with that region's key, listed by
/// that region's ListPublicKeys only (CloudTrail User Guide, "CloudTrail
/// digest file structure"; docs/aws-behavior.md). A validator asking only
/// the home region would call every us-west-2 digest's key missing.
/// The chain's checkpoint, as the watchdog reads it.
async fn checkpoint(s: &Setup, region: &str) -> Option<Value> {
    let key =
        format!("trailguard/validator-checkpoints/us-east-1/main-trail/111122223333/{region}.json");
    let got =
        s.s3.get_object()
            .bucket(STATE_BUCKET)
            .key(&key)
            .send()
            .await
            .ok()?;
    let bytes = got.body.collect().await.unwrap().into_bytes();
    Some(serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn each_verified_digest_moves_its_chains_checkpoint_forward() {
    let s = setup(config()).await;
    let digests: Vec<String> = s
        .trail
        .digest_keys()
        .iter()
        .map(|k| k.to_string())
        .collect();
    let deliver = |key: &str| {
        s.handler
            .handle(s3_event(&s.spec.bucket, key, "ObjectCreated:Put"))
    };
    // A log file records nothing.
    deliver(s.trail.log_keys()[0]).await.unwrap();
    assert_eq!(checkpoint(&s, "us-east-1").await, None);
    deliver(&digests[1]).await.unwrap();
    let c = checkpoint(&s, "us-east-1").await.expect("a checkpoint");
    assert_eq!(c["digest_key"], digests[1].as_str());
    assert_eq!(c["trail"], "main-trail");
    assert_eq!(c["account"], "111122223333");
    // An older digest verified later (a redelivery) does not move it back.
    deliver(&digests[0]).await.unwrap();
    assert_eq!(
        checkpoint(&s, "us-east-1").await.unwrap()["digest_key"],
        digests[1].as_str()
    );
    // A digest that fails verification does not move it.
    let mut body = body(&s.s3, &s.spec.bucket, &digests[2]).await;
    body.push(0);
    overwrite(&s.s3, &s.spec.bucket, &digests[2], body).await;
    let r = deliver(&digests[2]).await.unwrap();
    assert_eq!(r["invalid"], 1, "{r}");
    assert_eq!(
        checkpoint(&s, "us-east-1").await.unwrap()["digest_key"],
        digests[1].as_str()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_two_region_trail_is_verified_with_each_regions_key() {
    let s = setup_in(config(), &["us-east-1", "us-west-2"]).await;
    let results = s.replay().await;
    assert!(results.iter().all(|r| r["invalid"] == 0), "{results:?}");
    let checked: u64 = results.iter().map(|r| r["checked"].as_u64().unwrap()).sum();
    assert_eq!(checked, 18 + 6 + 18);
    let digests = s.trail.digest_keys();
    assert_eq!(digests.len(), 6);
    assert!(digests
        .iter()
        .any(|k| k.contains("/CloudTrail-Digest/us-west-2/")));
    assert!(s.inbox().await.is_empty());

    // A log file altered in the second region is caught by its digest.
    let s = setup_in(config(), &["us-east-1", "us-west-2"]).await;
    let west_logs: Vec<&str> = s
        .trail
        .log_keys()
        .into_iter()
        .filter(|k| k.contains("/CloudTrail/us-west-2/"))
        .collect();
    let west_digests: Vec<&str> = s
        .trail
        .digest_keys()
        .into_iter()
        .filter(|k| k.contains("/us-west-2/"))
        .collect();
    let (victim, digest) = (west_logs[1].to_string(), west_digests[0].to_string());
    // Every file checked (18 logs as they land, 6 digests, 18 listed logs),
    // and the one finding is the altered log: no digest's key was missing.
    assert_eq!(replay_altering(&s, &victim, &digest).await, (42, 1));
    let inbox = s.inbox().await;
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert!(inbox[0]
        .1
        .contains(&format!("{victim}\tINVALID: hash value doesn't match")));
}

/// An hour without activity (an empty digest) and logging stopped for an
/// hour (no digest, then a starting digest with null previous fields), as
/// CloudTrail delivers them: every digest verifies, nothing is a finding.
#[tokio::test(flavor = "multi_thread")]
async fn an_empty_digest_and_a_starting_digest_are_valid() {
    let s = setup_with(config(), &["us-east-1"], |spec| {
        spec.hours = 4;
        spec.empty_hours = vec![1];
        spec.stopped_hours = vec![2];
    })
    .await;
    assert_eq!(s.trail.digest_keys().len(), 3);
    let results = s.replay().await;
    assert!(results.iter().all(|r| r["invalid"] == 0), "{results:?}");
    let checked: u64 = results.iter().map(|r| r["checked"].as_u64().unwrap()).sum();
    // 6 logs as they land, 3 digests, 6 listed logs.
    assert_eq!(checked, 6 + 3 + 6);
    assert!(s.inbox().await.is_empty());
}

/// With the trail's KMS key expected (the template's CreateTrail mode), log
/// files are SSE-KMS and digests SSE-S3, as CloudTrail writes them
/// ("Encrypting CloudTrail log files with AWS KMS keys (SSE-KMS)"): every
/// digest is still verified, and an altered log is still caught.
#[tokio::test(flavor = "multi_thread")]
async fn digests_sse_s3_beside_sse_kms_logs_are_verified() {
    let s = setup(config()).await;
    // The emulator stored them as CloudTrail does.
    for o in &s.trail.objects {
        let head =
            s.s3.head_object()
                .bucket(&s.spec.bucket)
                .key(&o.key)
                .send()
                .await
                .unwrap();
        let sse = head
            .server_side_encryption()
            .map(|e| e.as_str().to_string());
        if o.is_digest {
            assert_eq!(sse.as_deref(), Some("AES256"), "{}", o.key);
        } else {
            assert_eq!(sse.as_deref(), Some("aws:kms"), "{}", o.key);
        }
    }
    let victim = s.trail.log_keys()[4].to_string();
    let digest = s.trail.digest_keys()[1].to_string();
    // 9 logs as they land, 3 digests, 9 listed logs; the one invalid file is
    // the altered log, so every digest's signature and chain verified.
    assert_eq!(replay_altering(&s, &victim, &digest).await, (21, 1));
    let inbox = s.inbox().await;
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert!(inbox[0]
        .1
        .contains(&format!("{victim}\tINVALID: hash value doesn't match")));
}

#[tokio::test(flavor = "multi_thread")]
async fn tampered_log_reaches_the_inbox_once() {
    let s = setup(config()).await;
    let victim = s.trail.log_keys()[4].to_string();
    let digest = s.trail.digest_keys()[1].to_string();
    // The log file lands clean, then is altered before its digest arrives.
    for o in &s.trail.objects {
        if o.key == digest {
            overwrite(&s.s3, &s.spec.bucket, &victim, gzip(b"{\"Records\":[]}")).await;
        }
        s.handler
            .handle(s3_event(&s.spec.bucket, &o.key, "ObjectCreated:Put"))
            .await
            .unwrap();
    }
    let inbox = s.inbox().await;
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    let (subject, body) = &inbox[0];
    assert!(subject.starts_with("trailguard: "), "{subject}");
    assert!(
        body.contains(&format!(
            "Log file\ts3://{}/{victim}\tINVALID: hash value doesn't match",
            s.spec.bucket
        )),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deleted_digest_injected_log_and_unencrypted_object() {
    let s = setup(config()).await;
    s.replay().await;
    assert!(s.inbox().await.is_empty());
    // A digest deleted after it landed: the next one finds the hole.
    let gone = s.trail.digest_keys()[1].to_string();
    delete(&s.s3, &s.spec.bucket, &gone).await;
    let next = s.trail.digest_keys()[2].to_string();
    s.handler
        .handle(s3_event(&s.spec.bucket, &next, "ObjectCreated:Put"))
        .await
        .unwrap();
    // A log file written by someone else, without the trail's KMS key.
    let mut rng = trailguard::synth::Rng::new(7);
    let at = chrono::DateTime::parse_from_rfc3339("2026-01-15T00:30:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let fake = trailguard::synth::log_file(&s.spec, "us-east-1", at, &mut rng);
    put(&s.s3, &s.spec.bucket, &fake, None).await;
    s.handler
        .handle(s3_event(&s.spec.bucket, &fake.key, "ObjectCreated:Put"))
        .await
        .unwrap();
    let first = s.trail.digest_keys()[0].to_string();
    s.handler
        .handle(s3_event(&s.spec.bucket, &first, "ObjectCreated:Put"))
        .await
        .unwrap();
    // The deletion event itself, as S3 sends it for a versioned bucket.
    s.handler
        .handle(s3_event(
            &s.spec.bucket,
            &gone,
            "ObjectRemoved:DeleteMarkerCreated",
        ))
        .await
        .unwrap();
    let inbox = s.inbox().await;
    let all: String = inbox.iter().map(|(_, b)| b.as_str()).collect();
    assert_eq!(inbox.len(), 4, "{all}");
    assert!(
        all.contains(&format!("{gone}\tINVALID: not found")),
        "{all}"
    );
    assert!(
        all.contains(&format!("{}\tINVALID: not encrypted as required", fake.key)),
        "{all}"
    );
    assert!(
        all.contains(&format!(
            "{}\tINVALID: not listed in any digest file",
            fake.key
        )),
        "{all}"
    );
    assert!(
        all.contains(&format!("{gone}\tINVALID: deleted (delete marker created)")),
        "{all}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn gzip_bomb_and_bad_signature() {
    let mut cfg = config();
    cfg.expect.max_inflated_bytes = 8 << 20;
    cfg.expect.kms_key = None;
    let s = setup(cfg).await;
    let log = s.trail.log_keys()[0].to_string();
    overwrite(&s.s3, &s.spec.bucket, &log, gzip(&vec![0u8; 128 << 20])).await;
    let r = s
        .handler
        .handle(s3_event(&s.spec.bucket, &log, "ObjectCreated:Put"))
        .await
        .unwrap();
    assert_eq!(r["invalid"], 1);
    let digest = s.trail.digest_keys()[0].to_string();
    let head =
        s.s3.head_object()
            .bucket(&s.spec.bucket)
            .key(&digest)
            .send()
            .await
            .unwrap();
    let mut meta = head.metadata().cloned().unwrap();
    meta.insert("signature".into(), "00".repeat(256));
    let b = body(&s.s3, &s.spec.bucket, &digest).await;
    s.s3.put_object()
        .bucket(&s.spec.bucket)
        .key(&digest)
        .body(b.into())
        .set_metadata(Some(meta))
        .send()
        .await
        .unwrap();
    s.handler
        .handle(s3_event(&s.spec.bucket, &digest, "ObjectCreated:Put"))
        .await
        .unwrap();
    let all: String = s.inbox().await.iter().map(|(_, b)| b.clone()).collect();
    assert!(
        all.contains(&format!(
            "{log}\tINVALID: larger than the 8388608-byte limit"
        )),
        "{all}"
    );
    assert!(
        all.contains(&format!("{digest}\tINVALID: signature verification failed")),
        "{all}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn eventbridge_and_sqs_wiring() {
    let s = setup(config()).await;
    let digest = s.trail.digest_keys()[0].to_string();
    let eb = json!({"version":"0","id":"1","detail-type":"Object Created","source":"aws.s3","account":"111122223333",
        "time":"2026-01-15T01:01:38Z","region":"us-east-1","resources":[],
        "detail":{"version":"0","bucket":{"name":s.spec.bucket},"object":{"key":digest,"size":1}}});
    let r = s.handler.handle(eb.clone()).await.unwrap();
    assert_eq!(r["invalid"], 0);
    assert_eq!(r["checked"], 4);
    let sqs = json!({"Records":[
        {"messageId":"a","receiptHandle":"x","body":eb.to_string(),"eventSource":"aws:sqs"},
        {"messageId":"b","receiptHandle":"x","body":s3_event(&s.spec.bucket, s.trail.log_keys()[0], "ObjectCreated:Put").to_string(),"eventSource":"aws:sqs"}]});
    let r = s.handler.handle(sqs).await.unwrap();
    assert_eq!(r["batchItemFailures"], json!([]));
    assert!(s.inbox().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_and_sns_failures_fail_the_invocation_and_retries_recover() {
    let s = setup(config()).await;
    let digest = s.trail.digest_keys()[1].to_string();
    let log = s.trail.log_keys()[4].to_string();
    // Two throttled GETs: the SDK's retries absorb them.
    s._emu.faults(json!([{"service": "s3", "operation": "GetObject", "path_contains": log, "status": 503, "code": "SlowDown", "count": 2}]));
    let r = s
        .handler
        .handle(s3_event(&s.spec.bucket, &digest, "ObjectCreated:Put"))
        .await
        .unwrap();
    assert_eq!(r["invalid"], 0, "{r}");
    // Throttled beyond the retries: the invocation fails, nothing is concluded.
    s._emu.faults(json!([{"service": "s3", "operation": "GetObject", "path_contains": log, "status": 503, "code": "SlowDown", "count": 20}]));
    let err = s
        .handler
        .handle(s3_event(&s.spec.bucket, &digest, "ObjectCreated:Put"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("GetObject"), "{err}");
    s._emu.control("DELETE", "/_trailguard/faults", &json!({}));
    // Access denied is an infrastructure failure too, named as such.
    s._emu.faults(json!([{"service": "s3", "operation": "GetObject", "path_contains": log, "status": 403, "code": "AccessDenied", "count": 1}]));
    let err = s
        .handler
        .handle(s3_event(&s.spec.bucket, &digest, "ObjectCreated:Put"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with("access denied: GetObject"),
        "{err}"
    );
    // A finding whose alert cannot be published fails the invocation.
    overwrite(&s.s3, &s.spec.bucket, &log, gzip(b"{\"Records\":[]}")).await;
    s._emu.faults(json!([{"service": "sns", "operation": "PublishBatch", "status": 500, "code": "InternalError", "count": 20}]));
    assert!(s
        .handler
        .handle(s3_event(&s.spec.bucket, &digest, "ObjectCreated:Put"))
        .await
        .is_err());
    assert!(s.inbox().await.is_empty());
    // Once SNS is back, the retried invocation delivers the alert.
    s._emu.control("DELETE", "/_trailguard/faults", &json!({}));
    s.handler
        .handle(s3_event(&s.spec.bucket, &digest, "ObjectCreated:Put"))
        .await
        .unwrap();
    assert_eq!(s.inbox().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_tamper_case_through_the_handler() {
    let mut cfg = config();
    cfg.expect.kms_key = None;
    let s = setup(cfg).await;
    let (b, logs, digests) = (
        s.spec.bucket.clone(),
        s.trail
            .log_keys()
            .iter()
            .map(|k| k.to_string())
            .collect::<Vec<_>>(),
        s.trail
            .digest_keys()
            .iter()
            .map(|k| k.to_string())
            .collect::<Vec<_>>(),
    );
    let created = |k: &str| s3_event(&b, k, "ObjectCreated:Put");
    // Deleted log: the digest that lists it finds it gone.
    delete(&s.s3, &b, &logs[1]).await;
    s.handler.handle(created(&digests[0])).await.unwrap();
    // Trailing data: refused on arrival and when its digest hashes it.
    let mut body3 = body(&s.s3, &b, &logs[3]).await;
    body3.extend_from_slice(b"\x1f\x8b junk");
    overwrite(&s.s3, &b, &logs[3], body3).await;
    s.handler.handle(created(&logs[3])).await.unwrap();
    s.handler.handle(created(&digests[1])).await.unwrap();
    // Corrupt gzip on arrival.
    let body6 = body(&s.s3, &b, &logs[6]).await;
    overwrite(&s.s3, &b, &logs[6], body6[..body6.len() - 10].to_vec()).await;
    s.handler.handle(created(&logs[6])).await.unwrap();
    // A digest copied to another key.
    let moved = digests[2].replace("T030138Z", "T030139Z");
    s.s3.copy_object()
        .bucket(&b)
        .key(&moved)
        .copy_source(format!("{b}/{}", digests[2]))
        .send()
        .await
        .unwrap();
    s.handler.handle(created(&moved)).await.unwrap();
    // A stray object in a CloudTrail folder.
    let stray = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/15/payload.sh";
    put(
        &s.s3,
        &b,
        &trailguard::synth::SynthObject {
            key: stray.into(),
            body: b"#!/bin/sh".to_vec(),
            metadata: vec![],
            is_digest: false,
        },
        None,
    )
    .await;
    s.handler.handle(created(stray)).await.unwrap();
    // Two digests deleted in a row: each deletion event, then the next digest.
    for d in &digests[..2] {
        delete(&s.s3, &b, d).await;
        s.handler
            .handle(s3_event(&b, d, "ObjectRemoved:DeleteMarkerCreated"))
            .await
            .unwrap();
    }
    s.handler.handle(created(&digests[2])).await.unwrap();

    let inbox = s.inbox().await;
    let all: String = inbox
        .iter()
        .map(|(_, m)| m.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let expect = [
        format!("Log file\ts3://{b}/{}\tINVALID: not found", logs[1]),
        format!(
            "Log file\ts3://{b}/{}\tINVALID: unexpected data after end of compressed stream",
            logs[3]
        ),
        format!("Log file\ts3://{b}/{}\tINVALID: invalid format", logs[6]),
        format!(
            "Digest file\ts3://{b}/{moved}\tINVALID: has been moved from its original location"
        ),
        format!("Object\ts3://{b}/{stray}\tINVALID: unrecognised object in a CloudTrail folder"),
        format!(
            "Digest file\ts3://{b}/{}\tINVALID: deleted (delete marker created)",
            digests[0]
        ),
        format!(
            "Digest file\ts3://{b}/{}\tINVALID: deleted (delete marker created)",
            digests[1]
        ),
        format!("Digest file\ts3://{b}/{}\tINVALID: not found", digests[1]),
    ];
    for e in &expect {
        assert!(all.contains(e.as_str()), "missing {e:?} in\n{all}");
    }
    // One message per invocation with findings: 8 invocations had some.
    assert_eq!(inbox.len(), 9, "{all}");
}

/// Faults below the handler: each fails the invocation (so that SQS or
/// Lambda retries it) or is absorbed by the SDK's retries; none yields a
/// verdict or an alert from partial data.
#[tokio::test(flavor = "multi_thread")]
async fn faults_fail_the_invocation_and_never_conclude() {
    let s = setup(config()).await;
    let digest = s.trail.digest_keys()[1].to_string();
    let log = s.trail.log_keys()[4].to_string();
    let event = || s3_event(&s.spec.bucket, &digest, "ObjectCreated:Put");

    // The ListPublicKeys stand-in failing past the SDK's retries, then refusing.
    s._emu.faults(json!([{"service": "cloudtrail", "operation": "ListPublicKeys", "status": 500, "code": "InternalFailure", "count": 20}]));
    let err = s.handler.handle(event()).await.unwrap_err();
    assert!(err.to_string().contains("ListPublicKeys"), "{err}");
    s._emu.control("DELETE", "/_trailguard/faults", &json!({}));
    // Refused (a role without cloudtrail:ListPublicKeys, an SCP): the same
    // answer next time, so the digest is unverifiable, a finding that says
    // why, alerted now rather than retried into the dead-letter queue.
    s._emu.faults(json!([{"service": "cloudtrail", "operation": "ListPublicKeys", "status": 400, "code": "AccessDeniedException", "count": 1}]));
    let out = s.handler.handle(event()).await.unwrap();
    assert_eq!(out["invalid"], 1, "{out}");
    let inbox = s.inbox().await;
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert!(
        inbox[0].1.contains("INVALID: public key not found in region us-east-1 (ListPublicKeys refused: access denied"),
        "{}",
        inbox[0].1
    );

    // A listed log file whose body is cut short in transit.
    s._emu.faults(json!([{"service": "s3", "operation": "GetObject", "path_contains": log, "cut_body": true}]));
    let err = s.handler.handle(event()).await.unwrap_err().to_string();
    assert!(
        err.contains("GetObject") && (err.contains("cut short") || err.contains("Content-Length")),
        "{err}"
    );

    // A body that stops flowing halfway: the SDK's stalled-stream
    // protection fails the read after its 5 s grace.
    s._emu.faults(json!([{"service": "s3", "operation": "GetObject", "path_contains": log, "stall_body_ms": 9000}]));
    let err = s.handler.handle(event()).await.unwrap_err().to_string();
    assert!(
        err.contains("GetObject") && err.contains("throughput"),
        "{err}"
    );

    // Listing the digest's window for unlisted log files, refused.
    s._emu.faults(json!([{"service": "s3", "operation": "ListObjectsV2", "status": 403, "code": "AccessDenied", "count": 1}]));
    let err = s.handler.handle(event()).await.unwrap_err();
    assert!(
        err.to_string().starts_with("access denied: ListObjectsV2"),
        "{err}"
    );

    // None of the failures reached a person; the retry finds all valid.
    assert!(s.inbox().await.is_empty());
    let r = s.handler.handle(event()).await.unwrap();
    assert_eq!(r["invalid"], 0, "{r}");
    assert!(s.inbox().await.is_empty());
}

/// A call that hangs: the SDK abandons the attempt and retries; hanging on
/// every attempt fails the invocation instead of holding it until Lambda's
/// timeout.
#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_call_is_timed_out_and_retried() {
    let s = setup(config()).await;
    let sdk = s
        ._emu
        .sdk_config()
        .await
        .to_builder()
        .timeout_config(trailguard::aws::timeouts(Duration::from_millis(800)))
        .build();
    let validator = ObjectValidator::new(S3Store::new(&sdk), CloudTrailApi::new(&sdk), config());
    let handler = Arrivals::new(validator, None::<Topic<SnsOutbox>>);
    let digest = s.trail.digest_keys()[1].to_string();
    let log = s.trail.log_keys()[4].to_string();
    let event = || s3_event(&s.spec.bucket, &digest, "ObjectCreated:Put");
    s._emu.faults(json!([{"service": "s3", "operation": "GetObject", "path_contains": log, "delay_ms": 2000, "count": 1}]));
    let r = handler.handle(event()).await.unwrap();
    assert_eq!(r["invalid"], 0, "{r}");
    s._emu.faults(json!([{"service": "s3", "operation": "GetObject", "path_contains": log, "delay_ms": 2000, "count": 10}]));
    let err = handler.handle(event()).await.unwrap_err();
    assert!(err.to_string().contains("GetObject"), "{err}");
    s._emu.control("DELETE", "/_trailguard/faults", &json!({}));
}

/// S3 (and SQS) deliver at least once: the same event twice gives the same
/// verdicts and the same alert, never a contradiction.
#[tokio::test(flavor = "multi_thread")]
async fn a_duplicate_delivery_gives_the_same_verdicts() {
    let s = setup(config()).await;
    let digest = s.trail.digest_keys()[1].to_string();
    let log = s.trail.log_keys()[4].to_string();
    overwrite(&s.s3, &s.spec.bucket, &log, gzip(b"{\"Records\":[]}")).await;
    let event = s3_event(&s.spec.bucket, &digest, "ObjectCreated:Put");
    let first = s.handler.handle(event.clone()).await.unwrap();
    let second = s.handler.handle(event).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(first["invalid"], 1, "{first}");
    let inbox = s.inbox().await;
    assert_eq!(inbox.len(), 2, "{inbox:?}");
    assert_eq!(inbox[0].1, inbox[1].1);
}
