//! Synthetic CloudTrail trails, for tests, benchmarks and the local demo.
//!
//! Writes what CloudTrail writes: log files of realistic records and hourly
//! digest files, with CloudTrail's keys, JSON, gzip and `signature` /
//! `signature-algorithm` metadata, chained and signed with test RSA-2048
//! keys, one per region as CloudTrail signs ([`RegionKeys`]), whose PKCS#1
//! DER public keys the emulator's `ListPublicKeys` stand-in serves in their
//! own region. Deterministic for a seed. Never part of a deployed function.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Value};

use crate::cloudtrail::digest::{Digest, DigestLogFile};
use crate::cloudtrail::keys::{self, Location};
use crate::gzip::{gzip, Sha256};
use crate::integrity::chain::{META_ALGORITHM, META_SIGNATURE};
use crate::integrity::signature::{self, ALGORITHM};

/// A test signing key, standing in for CloudTrail's private key.
pub struct SigningKey {
    pair: KeyPair,
}

impl SigningKey {
    /// A fresh RSA-2048 key.
    pub fn generate() -> Self {
        Self {
            pair: KeyPair::generate(KeySize::Rsa2048).expect("RSA key generation"),
        }
    }

    /// The PKCS#1 `RSAPublicKey` DER, as `ListPublicKeys` returns it.
    pub fn public_der(&self) -> Vec<u8> {
        self.pair.public_key().as_ref().to_vec()
    }

    /// A 32-hex-digit fingerprint (CloudTrail's are opaque hex of that length).
    pub fn fingerprint(&self) -> String {
        hex::encode(&Sha256::of(&self.public_der()).0[..16])
    }

    /// Signs with SHA256withRSA and returns hex, as the `signature` metadata.
    pub fn sign_hex(&self, message: &[u8]) -> String {
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig)
            .expect("RSA signing");
        hex::encode(sig)
    }
}

/// One signing key per region: CloudTrail signs each region's digests with
/// that region's private key and lists its public key in that region only
/// (CloudTrail User Guide, "CloudTrail digest file structure"), so a test
/// that signed every region with one key would hide a validator asking the
/// wrong region.
pub struct RegionKeys {
    keys: std::collections::BTreeMap<String, SigningKey>,
}

impl RegionKeys {
    /// A fresh key for each region.
    pub fn generate<S: AsRef<str>>(regions: &[S]) -> Self {
        Self {
            keys: regions
                .iter()
                .map(|r| (r.as_ref().to_string(), SigningKey::generate()))
                .collect(),
        }
    }

    /// One region's given key (for tests that sign with a known key).
    pub fn one(region: &str, key: SigningKey) -> Self {
        Self {
            keys: [(region.to_string(), key)].into_iter().collect(),
        }
    }

    /// The key that signs `region`'s digests.
    ///
    /// # Panics
    /// When the region has no key: a test set up wrongly.
    pub fn get(&self, region: &str) -> &SigningKey {
        self.keys
            .get(region)
            .unwrap_or_else(|| panic!("synth: no signing key for region {region}"))
    }

    /// Every region with its key, in region order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &SigningKey)> {
        self.keys.iter().map(|(r, k)| (r.as_str(), k))
    }
}

/// What trail to make.
#[derive(Debug, Clone)]
pub struct TrailSpec {
    /// The log bucket.
    pub bucket: String,
    /// Key prefix, if any.
    pub prefix: Option<String>,
    /// Organization ID, for an organization trail.
    pub org_id: Option<String>,
    /// The account.
    pub account: String,
    /// Regions whose logs and digests to write.
    pub regions: Vec<String>,
    /// The trail's name.
    pub trail_name: String,
    /// The trail's home region.
    pub home_region: String,
    /// Start of the first digest window.
    pub start: DateTime<Utc>,
    /// How many hourly digests per region.
    pub hours: u32,
    /// Log files per hour per region.
    pub logs_per_hour: u32,
    /// Records per log file.
    pub records_per_log: u32,
    /// Makes the output deterministic.
    pub seed: u64,
    /// KMS key ARN the objects are written with (SSE-KMS), if any.
    pub kms_key: Option<String>,
    /// Hours (from 0) with no activity: CloudTrail still delivers their
    /// digest, with `"logFiles": []` and null event times ("CloudTrail
    /// digest file structure": a digest file is delivered even when no log
    /// files were delivered).
    pub empty_hours: Vec<u32>,
    /// Hours (from 0) during which logging was stopped: no log files and no
    /// digests. The digest before them is the last of its chain; the first
    /// after them is a starting digest, its `previousDigest*` fields null,
    /// as CloudTrail writes when logging starts again.
    pub stopped_hours: Vec<u32>,
}

impl Default for TrailSpec {
    fn default() -> Self {
        Self {
            bucket: "trailguard-test-logs".into(),
            prefix: None,
            org_id: None,
            account: "111122223333".into(),
            regions: vec!["us-east-1".into()],
            trail_name: "main-trail".into(),
            home_region: "us-east-1".into(),
            start: DateTime::parse_from_rfc3339("2026-01-15T00:00:00Z")
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default(),
            hours: 3,
            logs_per_hour: 4,
            records_per_log: 20,
            seed: 1,
            kms_key: None,
            empty_hours: Vec::new(),
            stopped_hours: Vec::new(),
        }
    }
}

impl TrailSpec {
    /// The trail's ARN.
    pub fn trail_arn(&self) -> String {
        format!(
            "arn:aws:cloudtrail:{}:{}:trail/{}",
            self.home_region, self.account, self.trail_name
        )
    }
}

/// One object to write.
#[derive(Debug, Clone)]
pub struct SynthObject {
    /// Its key.
    pub key: String,
    /// Its (gzip) body.
    pub body: Vec<u8>,
    /// User metadata (`signature`, `signature-algorithm`).
    pub metadata: Vec<(String, String)>,
    /// A digest (else a log file).
    pub is_digest: bool,
}

/// A generated trail.
#[derive(Debug, Clone)]
pub struct SynthTrail {
    /// Everything to write, log files before the digest that lists them.
    pub objects: Vec<SynthObject>,
}

impl SynthTrail {
    /// Keys of the digests, oldest first.
    pub fn digest_keys(&self) -> Vec<&str> {
        self.objects
            .iter()
            .filter(|o| o.is_digest)
            .map(|o| o.key.as_str())
            .collect()
    }

    /// Keys of the log files, oldest first.
    pub fn log_keys(&self) -> Vec<&str> {
        self.objects
            .iter()
            .filter(|o| !o.is_digest)
            .map(|o| o.key.as_str())
            .collect()
    }
}

/// A small deterministic generator (SplitMix64): no dependency, same output
/// everywhere for a seed.
pub struct Rng(u64);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// Next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// `n` characters from `alphabet`.
    pub fn string(&mut self, n: usize, alphabet: &[u8]) -> String {
        (0..n)
            .map(|_| alphabet[self.below(alphabet.len() as u64) as usize] as char)
            .collect()
    }

    /// A UUID-shaped string.
    pub fn uuid(&mut self) -> String {
        let h = self.string(32, b"0123456789abcdef");
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Generates a trail: per region, `hours` chained digests, each listing the
/// log files delivered in its hour and signed with that region's key.
pub fn generate(spec: &TrailSpec, keys: &RegionKeys) -> SynthTrail {
    let mut rng = Rng::new(spec.seed);
    let mut objects = Vec::new();
    for region in &spec.regions {
        let mut previous: Option<(String, Sha256, String)> = None;
        for h in 0..spec.hours {
            // CloudTrail's windows start a little after the hour.
            let start = spec.start + Duration::hours(h as i64) + Duration::seconds(91);
            let end = start + Duration::hours(1);
            if spec.stopped_hours.contains(&h) {
                // Logging stopped: nothing delivered, and the chain restarts.
                previous = None;
                continue;
            }
            let logs = if spec.empty_hours.contains(&h) {
                0
            } else {
                spec.logs_per_hour
            };
            let mut listed = Vec::new();
            for i in 0..logs {
                let minutes = 60 * (2 * i as i64 + 1) / (2 * spec.logs_per_hour.max(1) as i64);
                let at = start + Duration::minutes(minutes);
                let log = log_file(spec, region, at, &mut rng);
                listed.push(DigestLogFile {
                    s3_bucket: spec.bucket.clone(),
                    s3_object: log.key.clone(),
                    hash_value: log_hash(&log),
                    hash_algorithm: Some("SHA-256".into()),
                    newest_event_time: Some(fmt(at)),
                    oldest_event_time: Some(fmt(at - Duration::minutes(5))),
                });
                objects.push(log);
            }
            let key = keys.get(region);
            let d = digest_file(spec, region, start, end, listed, previous.as_ref(), key);
            let sha = Sha256::of(
                &crate::gzip::inflate(&d.body, u64::MAX)
                    .map(|x| x.0)
                    .unwrap_or_default(),
            );
            let sig = d
                .metadata
                .iter()
                .find(|(k, _)| k == META_SIGNATURE)
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            previous = Some((d.key.clone(), sha, sig));
            objects.push(d);
        }
    }
    SynthTrail { objects }
}

fn log_hash(o: &SynthObject) -> String {
    crate::gzip::inflate(&o.body, u64::MAX)
        .map(|(_, s)| s.hex())
        .unwrap_or_default()
}

fn location(spec: &TrailSpec, region: &str, at: DateTime<Utc>) -> Location {
    Location {
        prefix: spec.prefix.clone(),
        org_id: spec.org_id.clone(),
        account: spec.account.clone(),
        region: region.to_string(),
        date: at.date_naive(),
    }
}

/// A log file written at `at` with `spec.records_per_log` records.
pub fn log_file(spec: &TrailSpec, region: &str, at: DateTime<Utc>, rng: &mut Rng) -> SynthObject {
    let records: Vec<Value> = (0..spec.records_per_log)
        .map(|_| {
            let t = at - Duration::seconds(rng.below(300) as i64 + 1);
            record(spec, region, t, rng)
        })
        .collect();
    let body = gzip(json!({ "Records": records }).to_string().as_bytes());
    let unique = rng.string(16, ALNUM);
    SynthObject {
        key: keys::log_key(&location(spec, region, at), at, &unique),
        body,
        metadata: Vec::new(),
        is_digest: false,
    }
}

fn digest_file(
    spec: &TrailSpec,
    region: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    log_files: Vec<DigestLogFile>,
    previous: Option<&(String, Sha256, String)>,
    key: &SigningKey,
) -> SynthObject {
    let delivered = end + Duration::seconds(7);
    let dkey = keys::digest_key(
        &location(spec, region, delivered),
        &spec.trail_name,
        &spec.home_region,
        delivered,
        false,
    );
    let newest = log_files
        .iter()
        .filter_map(|f| f.newest_event_time.clone())
        .max();
    let oldest = log_files
        .iter()
        .filter_map(|f| f.oldest_event_time.clone())
        .min();
    let digest = Digest {
        aws_account_id: Some(spec.account.clone()),
        digest_start_time: fmt(start),
        digest_end_time: fmt(end),
        digest_s3_bucket: spec.bucket.clone(),
        digest_s3_object: dkey.clone(),
        digest_public_key_fingerprint: key.fingerprint(),
        digest_signature_algorithm: Some(ALGORITHM.into()),
        newest_event_time: newest,
        oldest_event_time: oldest,
        previous_digest_s3_bucket: previous.map(|_| spec.bucket.clone()),
        previous_digest_s3_object: previous.map(|p| p.0.clone()),
        previous_digest_hash_value: previous.map(|p| p.1.hex()),
        previous_digest_hash_algorithm: previous.map(|_| "SHA-256".into()),
        previous_digest_signature: previous.map(|p| p.2.clone()),
        log_files,
    };
    let (object, _) = signed_digest(&digest, key);
    object
}

/// Serializes, compresses and signs a digest as CloudTrail does; returns the
/// object and the SHA-256 of its inflated bytes.
pub fn signed_digest(digest: &Digest, key: &SigningKey) -> (SynthObject, Sha256) {
    let inflated = serde_json::to_vec(digest).unwrap_or_default();
    let sha = Sha256::of(&inflated);
    let sig = key.sign_hex(signature::signing_string(digest, &sha).as_bytes());
    (
        SynthObject {
            key: digest.digest_s3_object.clone(),
            body: gzip(&inflated),
            metadata: vec![
                (META_SIGNATURE.into(), sig),
                (META_ALGORITHM.into(), ALGORITHM.into()),
            ],
            is_digest: true,
        },
        sha,
    )
}

fn fmt(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A realistic management or data event record.
pub fn record(spec: &TrailSpec, region: &str, t: DateTime<Utc>, rng: &mut Rng) -> Value {
    const CALLS: [(&str, &str, bool); 10] = [
        ("s3.amazonaws.com", "GetObject", true),
        ("s3.amazonaws.com", "PutObject", false),
        ("dynamodb.amazonaws.com", "GetItem", true),
        ("ec2.amazonaws.com", "DescribeInstances", true),
        ("iam.amazonaws.com", "ListRoles", true),
        ("sts.amazonaws.com", "AssumeRole", true),
        ("kms.amazonaws.com", "Decrypt", true),
        ("lambda.amazonaws.com", "Invoke", false),
        ("cloudtrail.amazonaws.com", "DescribeTrails", true),
        ("logs.amazonaws.com", "PutLogEvents", false),
    ];
    let (source, name, read_only) = CALLS[rng.below(CALLS.len() as u64) as usize];
    let user = format!("user-{}", rng.below(20));
    let data_event = matches!(name, "GetObject" | "PutObject" | "GetItem" | "Invoke");
    json!({
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": format!("AIDA{}", rng.string(17, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")),
            "arn": format!("arn:aws:iam::{}:user/{user}", spec.account),
            "accountId": spec.account,
            "accessKeyId": format!("AKIA{}", rng.string(16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")),
            "userName": user,
            "sessionContext": {"attributes": {"creationDate": fmt(t - Duration::hours(1)), "mfaAuthenticated": "false"}}
        },
        "eventTime": fmt(t),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": format!("198.51.100.{}", rng.below(254) + 1),
        "userAgent": "aws-cli/2.15.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.6",
        "requestParameters": {"bucketName": "artifacts", "key": format!("builds/{}.tar.gz", rng.string(8, ALNUM)), "Host": "artifacts.s3.amazonaws.com"},
        "responseElements": null,
        "additionalEventData": {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": 0, "AuthenticationMethod": "AuthHeader", "x-amz-id-2": rng.string(40, ALNUM)},
        "requestID": rng.string(16, b"0123456789ABCDEF"),
        "eventID": rng.uuid(),
        "readOnly": read_only,
        "resources": [{"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::artifacts/builds/{}", rng.string(8, ALNUM))}],
        "eventType": "AwsApiCall",
        "managementEvent": !data_event,
        "recipientAccountId": spec.account,
        "eventCategory": if data_event { "Data" } else { "Management" },
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": format!("{}.{region}.amazonaws.com", source.split('.').next().unwrap_or("api"))}
    })
}

/// The largest CloudWatch Logs subscription batch Lambda accepts, made of
/// realistic records: as many as fit in `max_payload` bytes of Lambda
/// payload (asynchronous invocations take at most 1 MiB), at most 10,000
/// log events; every 97th record is a `StopLogging`, so some rules fire.
/// Returns the payload and its event count.
pub fn cwlogs_batch(max_payload: usize) -> (Value, usize) {
    let spec = TrailSpec::default();
    let mut rng = Rng::new(7);
    let t0 = Utc
        .with_ymd_and_hms(2026, 11, 27, 3, 0, 0)
        .single()
        .unwrap_or_default();
    let make = |events: &[Value]| {
        crate::cloudtrail::cwlogs::encode(
            &json!({"messageType": "DATA_MESSAGE", "owner": spec.account,
            "logGroup": "aws-cloudtrail-logs", "logStream": format!("{}_CloudTrail_us-east-1", spec.account),
            "subscriptionFilters": ["trailguard"], "logEvents": events}),
        )
    };
    let mut events: Vec<Value> = Vec::new();
    let mut n: i64 = 0;
    loop {
        // Grow 200 events at a time, then measure (encoding is the slow part).
        let mut candidate = events.clone();
        for _ in 0..200 {
            let mut r = record(&spec, "us-east-1", t0 + Duration::seconds(n), &mut rng);
            if n % 97 == 0 {
                r["eventName"] = json!("StopLogging");
                r["eventSource"] = json!("cloudtrail.amazonaws.com");
            }
            candidate.push(json!({"id": format!("{n:056}"), "timestamp": 1_795_000_000_000i64 + n, "message": r.to_string()}));
            n += 1;
        }
        if make(&candidate).to_string().len() > max_payload || candidate.len() > 10_000 {
            let count = events.len();
            return (make(&events), count);
        }
        events = candidate;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudtrail::keys::{classify, ObjectKind};
    use crate::integrity::chain;
    use std::collections::HashMap;

    #[test]
    fn generated_trail_verifies_and_chains() {
        let spec = TrailSpec::default();
        let keys = RegionKeys::generate(&spec.regions);
        let key = keys.get("us-east-1");
        let trail = generate(&spec, &keys);
        assert_eq!(trail.digest_keys().len(), 3);
        assert_eq!(trail.log_keys().len(), 12);
        let mut prev: Option<chain::ParsedDigest> = None;
        for o in trail.objects.iter().filter(|o| o.is_digest) {
            let ObjectKind::Digest(dk) = classify(&o.key) else {
                panic!("{}", o.key)
            };
            assert_eq!(dk.trail_name, "main-trail");
            let meta: HashMap<String, String> = o.metadata.iter().cloned().collect();
            let p = chain::parse(&o.body, &meta, false, 1 << 30).unwrap();
            chain::check_location(&p, &spec.bucket, &o.key).unwrap();
            chain::check_signature(&p, &key.public_der()).unwrap();
            if let Some(prev) = &prev {
                assert_eq!(chain::check_link(&p, prev), vec![]);
            } else {
                assert!(p.digest.previous().is_none());
            }
            for f in &p.digest.log_files {
                let log = trail.objects.iter().find(|x| x.key == f.s3_object).unwrap();
                let ObjectKind::Log(lk) = classify(&log.key) else {
                    panic!()
                };
                assert!(lk.timestamp >= p.start - Duration::minutes(1) && lk.timestamp < p.end);
                let c =
                    crate::integrity::logfile::check_content(&lk, &log.body, &Default::default());
                assert_eq!(c.problems, vec![]);
                assert_eq!(c.sha256.unwrap().hex(), f.hash_value);
            }
            prev = Some(p);
        }
    }

    #[test]
    fn deterministic_for_a_seed() {
        let keys = RegionKeys::generate(&["us-east-1"]);
        let a = generate(&TrailSpec::default(), &keys);
        let b = generate(&TrailSpec::default(), &keys);
        assert_eq!(a.log_keys(), b.log_keys());
    }

    #[test]
    fn empty_hours_and_restarts_are_written_as_cloudtrail_writes_them() {
        let spec = TrailSpec {
            hours: 5,
            empty_hours: vec![1],
            stopped_hours: vec![3],
            ..TrailSpec::default()
        };
        let keys = RegionKeys::generate(&spec.regions);
        let trail = generate(&spec, &keys);
        assert_eq!(trail.digest_keys().len(), 4, "no digest while stopped");
        assert_eq!(trail.log_keys().len(), 3 * 4);
        let parsed: Vec<chain::ParsedDigest> = trail
            .objects
            .iter()
            .filter(|o| o.is_digest)
            .map(|o| {
                let meta: HashMap<String, String> = o.metadata.iter().cloned().collect();
                chain::parse(&o.body, &meta, false, 1 << 30).unwrap()
            })
            .collect();
        // The empty hour: no files, null event times, still chained.
        assert!(parsed[1].digest.log_files.is_empty());
        assert_eq!(parsed[1].digest.newest_event_time, None);
        assert_eq!(chain::check_link(&parsed[1], &parsed[0]), vec![]);
        // After the stop: a starting digest.
        assert!(parsed[3].digest.previous().is_none());
        assert!(parsed[2].digest.previous().is_some());
        for p in &parsed {
            chain::check_signature(p, &keys.get("us-east-1").public_der()).unwrap();
        }
    }

    #[test]
    fn each_region_signs_with_its_own_key() {
        let spec = TrailSpec {
            regions: vec!["us-east-1".into(), "eu-west-1".into()],
            ..TrailSpec::default()
        };
        let keys = RegionKeys::generate(&spec.regions);
        let trail = generate(&spec, &keys);
        for o in trail.objects.iter().filter(|o| o.is_digest) {
            let ObjectKind::Digest(dk) = classify(&o.key) else {
                panic!("{}", o.key)
            };
            let meta: HashMap<String, String> = o.metadata.iter().cloned().collect();
            let p = chain::parse(&o.body, &meta, false, 1 << 30).unwrap();
            let (own, other) = match dk.location.region.as_str() {
                "us-east-1" => (keys.get("us-east-1"), keys.get("eu-west-1")),
                _ => (keys.get("eu-west-1"), keys.get("us-east-1")),
            };
            assert_eq!(p.digest.digest_public_key_fingerprint, own.fingerprint());
            chain::check_signature(&p, &own.public_der()).unwrap();
            assert!(chain::check_signature(&p, &other.public_der()).is_err());
        }
    }
}
