//! Configuration and the building blocks shared by both entry points.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use futures_util::{stream, StreamExt};

use crate::cloudtrail::digest::DigestLogFile;
use crate::cloudtrail::keys::{classify, DigestKey, ObjectKind};
use crate::config::ValidatorConfig;
use crate::gzip;
use crate::integrity::chain::{self, ParsedDigest};
use crate::integrity::logfile;
use crate::integrity::verdict::{FileKind, Reason, Verdict};
use crate::ports::{Fetched, ObjectStore, PortError, PublicKeys};

use super::{KeyCache, KeyLookup};

/// A digest fetched and checked: the parsed digest when it is valid.
pub(super) struct CheckedDigest {
    pub verdict: Verdict,
    pub parsed: Option<ParsedDigest>,
    /// Parsed even though it failed a check (its log list is still evidence
    /// of what CloudTrail delivered, but not vouched for).
    pub unverified: Option<ParsedDigest>,
}

/// Fetches and checks one digest: format, location, signature.
pub(super) async fn check_digest<S: ObjectStore, K: PublicKeys>(
    store: &S,
    keys: &KeyCache<K>,
    cfg: &ValidatorConfig,
    bucket: &str,
    key: &str,
    dkey: &DigestKey,
) -> Result<CheckedDigest, PortError> {
    let fail = |reason: Reason, unverified: Option<ParsedDigest>| {
        let mut verdict = Verdict::invalid(FileKind::Digest, bucket, key, reason);
        verdict.backfill = dkey.backfill;
        CheckedDigest {
            verdict,
            parsed: None,
            unverified,
        }
    };
    let obj = match store.get(bucket, key, cfg.max_object_bytes).await? {
        Fetched::Found(o) => o,
        Fetched::NotFound => return Ok(fail(Reason::NotFound, None)),
        Fetched::TooLarge { .. } => return Ok(fail(Reason::TooLarge(cfg.max_object_bytes), None)),
    };
    // No encryption expectation on digests: CloudTrail encrypts log files
    // with the trail's KMS key but writes digests with SSE-S3 (CloudTrail
    // User Guide, "Encrypting CloudTrail log files with AWS KMS keys
    // (SSE-KMS)": "Enabling server-side encryption encrypts the log files but
    // not the digest files with SSE-KMS. Digest files are encrypted with
    // Amazon S3 managed encryption keys (SSE-S3)."). A digest's worth is its
    // signature and chain, checked below whatever its encryption; refusing
    // it for its encryption would leave every digest of an SSE-KMS trail
    // unverified (docs/aws-behavior.md, "Digest and log encryption").
    let parsed = match chain::parse(
        &obj.body,
        &obj.metadata,
        dkey.backfill,
        cfg.expect.max_inflated_bytes,
    ) {
        Ok(p) => p,
        Err(r) => return Ok(fail(r, None)),
    };
    if let Err(r) = chain::check_location(&parsed, bucket, key) {
        return Ok(fail(r, Some(parsed)));
    }
    // The key of the region that delivered the digest (its region folder),
    // then the trail's home region: see KeyCache::for_digest.
    let fingerprint = parsed.digest.digest_public_key_fingerprint.clone();
    let region = &dkey.location.region;
    let der = match keys
        .for_digest(region, &dkey.home_region, &fingerprint, parsed.signed_at())
        .await?
    {
        KeyLookup::Found { der, .. } => der,
        KeyLookup::Missing { asked } => {
            let reason = Reason::PublicKeyNotFound {
                fingerprint,
                region: asked,
            };
            return Ok(fail(reason, Some(parsed)));
        }
    };
    if let Err(r) = chain::check_signature(&parsed, &der) {
        return Ok(fail(r, Some(parsed)));
    }
    let mut verdict = Verdict::valid(FileKind::Digest, bucket, key);
    verdict.backfill = dkey.backfill;
    Ok(CheckedDigest {
        verdict,
        parsed: Some(parsed),
        unverified: None,
    })
}

/// Fetches a digest only to compare it with the next one's link fields.
pub(super) async fn fetch_previous<S: ObjectStore>(
    store: &S,
    cfg: &ValidatorConfig,
    bucket: &str,
    key: &str,
) -> Result<Result<ParsedDigest, Reason>, PortError> {
    let backfill = matches!(classify(key), ObjectKind::Digest(ref d) if d.backfill);
    Ok(match store.get(bucket, key, cfg.max_object_bytes).await? {
        Fetched::Found(o) => chain::parse(
            &o.body,
            &o.metadata,
            backfill,
            cfg.expect.max_inflated_bytes,
        ),
        Fetched::NotFound => Err(Reason::NotFound),
        Fetched::TooLarge { .. } => Err(Reason::TooLarge(cfg.max_object_bytes)),
    })
}

/// The verdicts on the link from `current` back to `previous` (found at
/// `prev_bucket`/`prev_key`).
pub(super) fn link_verdicts(
    current: &ParsedDigest,
    cur_bucket: &str,
    cur_key: &str,
    previous: Result<&ParsedDigest, &Reason>,
    prev_bucket: &str,
    prev_key: &str,
) -> Vec<Verdict> {
    match previous {
        Err(reason) => vec![Verdict::invalid(
            FileKind::Digest,
            prev_bucket,
            prev_key,
            reason.clone(),
        )],
        Ok(prev) => chain::check_link(current, prev)
            .into_iter()
            .map(|r| match r {
                Reason::WindowGap { .. } => {
                    Verdict::invalid(FileKind::Digest, cur_bucket, cur_key, r)
                }
                other => Verdict::invalid(FileKind::Digest, prev_bucket, prev_key, other),
            })
            .collect(),
    }
}

/// What fetching and hashing one log file came to, before it is compared
/// with what a digest recorded for it.
#[derive(Debug, Clone)]
pub(super) enum Hashed {
    /// No such key.
    NotFound,
    /// Larger than may be fetched.
    TooLarge,
    /// Not a usable gzip stream.
    Bad(Reason),
    /// The SHA-256 of its inflated content.
    Sha(gzip::Sha256),
}

/// Fetches and hashes one object, holding one of `permits` (if given)
/// from the request until the hash is done, so that at most that many
/// bodies are in memory at once.
pub(super) async fn fetch_and_hash<S: ObjectStore>(
    store: &S,
    cfg: &ValidatorConfig,
    bucket: &str,
    key: &str,
    permits: Option<&tokio::sync::Semaphore>,
) -> Result<Hashed, PortError> {
    let _permit = match permits {
        Some(p) => Some(p.acquire().await.map_err(|e| PortError::Unavailable {
            operation: "fetch",
            resource: key.to_string(),
            message: e.to_string(),
        })?),
        None => None,
    };
    Ok(match store.get(bucket, key, cfg.max_object_bytes).await? {
        Fetched::NotFound => Hashed::NotFound,
        Fetched::TooLarge { .. } => Hashed::TooLarge,
        Fetched::Found(o) => {
            match hash_off_the_runtime(o.body, cfg.expect.max_inflated_bytes, key).await? {
                Err(e) => Hashed::Bad(logfile::gzip_reason(e)),
                Ok((sha, _)) => Hashed::Sha(sha),
            }
        }
    })
}

/// The verdict on a listed log file from what fetching it came to.
pub(super) fn log_verdict(cfg: &ValidatorConfig, f: &DigestLogFile, hashed: &Hashed) -> Verdict {
    let (b, k) = (f.s3_bucket.as_str(), f.s3_object.as_str());
    let reason = match hashed {
        Hashed::NotFound => Some(Reason::NotFound),
        Hashed::TooLarge => Some(Reason::TooLarge(cfg.max_object_bytes)),
        Hashed::Bad(r) => Some(r.clone()),
        Hashed::Sha(sha) if sha.matches_hex(&f.hash_value) => None,
        Hashed::Sha(_) => Some(Reason::HashMismatch),
    };
    match reason {
        None => Verdict::valid(FileKind::Log, b, k),
        Some(r) => Verdict::invalid(FileKind::Log, b, k, r),
    }
}

/// Checks each listed log file against its recorded hash, using what was
/// already fetched and hashed (`hashed`, by key in the trail's bucket) and
/// fetching the rest, `cfg.concurrency` (or `permits`) at a time.
pub(super) async fn hash_log_files<S: ObjectStore>(
    store: &S,
    cfg: &ValidatorConfig,
    bucket: &str,
    files: Vec<DigestLogFile>,
    hashed: &std::collections::HashMap<String, Hashed>,
    permits: Option<&tokio::sync::Semaphore>,
    on_done: &(dyn Fn() + Sync),
) -> Result<Vec<Verdict>, PortError> {
    let results: Vec<Result<Verdict, PortError>> = stream::iter(files)
        .map(|f| async move {
            let v = match listed_elsewhere(cfg, bucket, &f) {
                Some(verdict) => Ok(verdict),
                None => match hashed.get(&f.s3_object) {
                    Some(h) => Ok(log_verdict(cfg, &f, h)),
                    None => fetch_and_hash(store, cfg, &f.s3_bucket, &f.s3_object, permits)
                        .await
                        .map(|h| log_verdict(cfg, &f, &h)),
                },
            };
            on_done();
            v
        })
        .buffered(cfg.concurrency.max(1))
        .collect()
        .await;
    results.into_iter().collect()
}

/// Why a listed log file is not where this trail's log files are, if so.
fn listed_elsewhere(cfg: &ValidatorConfig, bucket: &str, f: &DigestLogFile) -> Option<Verdict> {
    let (b, k) = (f.s3_bucket.as_str(), f.s3_object.as_str());
    let reason = if b != bucket {
        Reason::UnexpectedOwner(format!(
            "listed in bucket {b}, not the trail's bucket {bucket}; not fetched"
        ))
    } else {
        match classify(k) {
            ObjectKind::Log(l) => logfile::check_owner(&l.location, &cfg.expect)?,
            _ => Reason::Unrecognised(
                "listed by a digest but not a log file key; not fetched".into(),
            ),
        }
    };
    Some(Verdict::invalid(FileKind::Log, b, k, reason))
}

/// Inflating and hashing at once: as many as there are cores, so that a
/// wide `--jobs` does not start a thread per body in flight.
fn hashing_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    })
}

/// Inflates and hashes on the blocking pool: the fetches are concurrent
/// futures of one task, so hashing inside them would run on one core, one
/// file at a time, while the others wait (BENCHMARKS.md b). A hashing task
/// that cannot finish (it panicked: a defect) fails the run; it never
/// becomes a verdict.
async fn hash_off_the_runtime(
    body: Vec<u8>,
    limit: u64,
    key: &str,
) -> Result<Result<(gzip::Sha256, u64), gzip::GzipError>, PortError> {
    let failed = |e: String| PortError::Unavailable {
        operation: "hash",
        resource: key.to_string(),
        message: e,
    };
    let _slot = hashing_slots()
        .acquire()
        .await
        .map_err(|e| failed(e.to_string()))?;
    tokio::task::spawn_blocking(move || gzip::hash_only(&body, limit))
        .await
        .map_err(|e| failed(e.to_string()))
}

/// Log files in a window that no digest lists.
///
/// `candidates` are keys found in the log folders; a candidate counts when
/// its file-name time is in `[from, to)`.
pub(super) fn unlisted(
    bucket: &str,
    candidates: &[String],
    listed: &HashSet<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Verdict> {
    candidates
        .iter()
        .filter(|k| matches!(classify(k), ObjectKind::Log(ref l) if l.timestamp >= from && l.timestamp < to))
        .filter(|k| !listed.contains(k.as_str()))
        .map(|k| Verdict::invalid(FileKind::Log, bucket, k, Reason::NotListed))
        .collect()
}

/// Keys in CloudTrail folders that CloudTrail would not have written.
pub(super) fn stray(bucket: &str, keys: &[String]) -> Vec<Verdict> {
    keys.iter()
        .filter_map(|k| match classify(k) {
            ObjectKind::Unrecognised { reason } => Some(Verdict::invalid(
                FileKind::Object,
                bucket,
                k,
                Reason::Unrecognised(reason),
            )),
            _ => None,
        })
        .collect()
}
