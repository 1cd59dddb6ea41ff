//! A year back, on Step Functions: the backfill's three steps (issue 15 §3).
//!
//! `trailguard backfill` (or the console) starts the stack's state machine
//! (template.yaml, `BackfillStateMachine`). The integrity validator runs its
//! three steps in range mode:
//!
//! 1. [`plan`]: discovers every chain (account × region) of the trail, as
//!    `trailguard validate` does, and writes one [`Chunk`] per chain and day
//!    as a JSON array to the state bucket. The Distributed Map reads that
//!    listing with its S3 item reader.
//! 2. [`run_chunk`]: each item is one chunk, validated with
//!    [`super::validate_range`] over its day: signatures, the chain (its
//!    link to the previous day's last digest included: the previous digest
//!    is fetched when it is outside the range), every log file, and the
//!    chain's coverage. Its [`ChunkResult`] is small, so that the Map's
//!    ResultWriter keeps every one.
//! 3. [`Summary`]: the results the ResultWriter wrote ([`summary`])
//!    become one summary, published to the alert topic
//!    ([`crate::alert::backfill`]).
//!
//! [`start`] is the command's side: the stack's state machine, an
//! execution's name and input, and what its end means.
//!
//! A chunk that could not be checked (its invocation failed after the
//! retries) is never counted as verified: the summary says the backfill is
//! incomplete and names it.

mod start;
mod step;
mod summary;

pub use start::*;
pub use step::*;
pub use summary::*;

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::coverage::Gap;
use super::range::{discover_chains, RangeError, RangeRequest};
use super::{validate_range, KeyCache};
use crate::cloudtrail::keys::{classify, ObjectKind};
use crate::config::ValidatorConfig;
use crate::integrity::verdict::FileKind;
use crate::ports::{Fetched, ObjectStore, PortError, PublicKey, PublicKeys, Trails};

/// Where the plan and the results go in the state bucket.
pub const BACKFILL_PREFIX: &str = "trailguard/backfill/";

/// Invalid files listed per chunk result; the rest are counted. A child
/// execution's output is capped at 256 KiB (Step Functions quotas), and
/// the ResultWriter keeps every output.
pub const MAX_LISTED_PER_CHUNK: usize = 25;

/// What an execution is started with: the range, and what to narrow it to.
/// Anything left out comes from the stack ([`Target`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackfillInput {
    /// Validate digests delivered from here...
    pub start: DateTime<Utc>,
    /// ...to here.
    pub end: DateTime<Utc>,
    /// Another trail than the stack's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trail_arn: Option<String>,
    /// Another bucket than the stack's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// The trail's S3 key prefix, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// The organization of an organization trail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    /// Only these accounts (default: every account folder).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<String>,
    /// Only these regions (default: every region with digests).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// Chunks validated at once (default: the stack's BackfillConcurrency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<u32>,
}

/// What the stack guards, written into the state machine's definition
/// (DefinitionSubstitutions), so that `{"start", "end"}` is enough.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Target {
    /// The guarded trail's ARN.
    pub trail_arn: String,
    /// Its log bucket.
    pub bucket: String,
    /// The organization, for an organization trail ("" when none).
    #[serde(default)]
    pub organization_id: String,
}

/// One item of the Distributed Map: one chain over one day. Self-contained,
/// so that any child execution can check it alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Chunk {
    /// The trail whose digests are validated.
    pub trail_arn: String,
    /// The log bucket.
    pub bucket: String,
    /// The trail's key prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// The organization folder (`AWSLogs/O-ID/`), for an organization trail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    /// The account folder.
    pub account: String,
    /// The region; `None` for an expected account with no folder at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// First instant checked (the day's midnight, or the range's start).
    pub start: DateTime<Utc>,
    /// Last instant checked (the day's last millisecond, or the range's end).
    pub end: DateTime<Utc>,
}

impl Chunk {
    /// `ACCOUNT/REGION`.
    pub fn chain(&self) -> String {
        format!(
            "{}/{}",
            self.account,
            self.region.as_deref().unwrap_or("(no folder)")
        )
    }

    /// `ACCOUNT/REGION DAY`, how summaries name it.
    pub fn label(&self) -> String {
        format!("{} {}", self.chain(), self.start.date_naive())
    }

    /// The range validation this chunk is.
    pub fn request(&self, now: DateTime<Utc>) -> RangeRequest {
        RangeRequest {
            trail_arn: self.trail_arn.clone(),
            start: self.start,
            end: self.end,
            bucket: Some(self.bucket.clone()),
            prefix: self.prefix.clone(),
            account_id: Some(self.account.clone()),
            organization_id: self.organization_id.clone(),
            regions: self.region.iter().cloned().collect(),
            now,
            resume: None,
        }
    }
}

/// What the plan step answers, for the Map's item reader and the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Plan {
    /// The bucket the chunk listing was written to (the state bucket).
    pub bucket: String,
    /// Its key.
    pub key: String,
    /// How many chunks it lists.
    pub chunks: usize,
    /// The chains, `ACCOUNT/REGION`.
    pub chains: Vec<String>,
    /// The trail.
    pub trail_arn: String,
    /// The log bucket.
    pub log_bucket: String,
    /// The range.
    pub start: DateTime<Utc>,
    /// The range.
    pub end: DateTime<Utc>,
    /// Chunks validated at once: the Map's `MaxConcurrencyPath`.
    pub max_concurrency: u32,
}

/// Chunks at once when neither the input nor the stack says: half the
/// validator's reserved concurrency (template.yaml), the rest for arrivals.
pub const DEFAULT_MAX_CONCURRENCY: u32 = 10;

/// What the plan step is given.
#[derive(Debug, Clone)]
pub struct PlanArgs {
    /// The execution's input.
    pub input: BackfillInput,
    /// The stack's trail and bucket.
    pub target: Target,
    /// The execution's name: the listing's folder.
    pub execution: String,
    /// Where the listing goes (the state bucket).
    pub results_bucket: String,
    /// The stack's BackfillConcurrency, as the definition substitutes it.
    pub max_concurrency: Option<String>,
}

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The range or ARN is wrong, or an AWS call failed.
    #[error(transparent)]
    Range(#[from] RangeError),
    /// The range is empty or in the future.
    #[error("nothing to check: the range {start} to {end} ends before it starts or after now")]
    Empty {
        /// Requested start.
        start: DateTime<Utc>,
        /// Requested end (clipped to now).
        end: DateTime<Utc>,
    },
    /// The chunk listing could not be written.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// The execution input with the stack's defaults filled in.
pub fn resolve(input: &BackfillInput, target: &Target) -> BackfillInput {
    let org = Some(target.organization_id.clone()).filter(|o| !o.is_empty());
    BackfillInput {
        trail_arn: input
            .trail_arn
            .clone()
            .or_else(|| Some(target.trail_arn.clone())),
        bucket: input.bucket.clone().or_else(|| Some(target.bucket.clone())),
        organization_id: input.organization_id.clone().or(org),
        ..input.clone()
    }
}

/// The days of `[start, end]`, each clipped to the range: one chunk each.
pub fn day_spans(start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut spans = Vec::new();
    let mut day: NaiveDate = start.date_naive();
    while day <= end.date_naive() {
        let midnight = day.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        let Some(midnight) = midnight else { break };
        let from = midnight.max(start);
        let to = (midnight + Duration::days(1) - Duration::milliseconds(1)).min(end);
        if from <= to {
            spans.push((from, to));
        }
        let Some(next) = day.succ_opt() else { break };
        day = next;
    }
    spans
}

/// The chunks of a resolved input over its chains: day by day, each day's
/// chains in account then region order, so that results arrive roughly in
/// time order.
pub fn chunks(
    input: &BackfillInput,
    chains: &[(String, Option<String>, Option<String>)],
    prefix: Option<&str>,
) -> Vec<Chunk> {
    let trail_arn = input.trail_arn.clone().unwrap_or_default();
    let bucket = input.bucket.clone().unwrap_or_default();
    day_spans(input.start, input.end)
        .into_iter()
        .flat_map(|(start, end)| {
            let (trail_arn, bucket) = (trail_arn.clone(), bucket.clone());
            chains.iter().map(move |(account, region, org)| Chunk {
                trail_arn: trail_arn.clone(),
                bucket: bucket.clone(),
                prefix: prefix.map(str::to_string),
                organization_id: org.clone(),
                account: account.clone(),
                region: region.clone(),
                start,
                end,
            })
        })
        .collect()
}

/// Writes an object (the chunk listing) to S3.
pub trait ObjectWriter: Send + Sync {
    /// Puts `body` at `bucket`/`key` (the bucket's default encryption applies).
    fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
    ) -> impl std::future::Future<Output = Result<(), PortError>> + Send;
}

impl<W: ObjectWriter> ObjectWriter for std::sync::Arc<W> {
    async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), PortError> {
        (**self).put_object(bucket, key, body).await
    }
}

/// The plan step: discovers the chains, writes the chunk listing to
/// `results_bucket` under `trailguard/backfill/EXECUTION/chunks.json`.
pub async fn plan<S: ObjectStore, T: Trails, W: ObjectWriter>(
    store: &S,
    trails: &T,
    writer: &W,
    args: &PlanArgs,
    cfg: &ValidatorConfig,
    now: DateTime<Utc>,
) -> Result<Plan, PlanError> {
    let (execution, results_bucket) = (&args.execution, &args.results_bucket);
    let max_concurrency = args
        .input
        .max_concurrency
        .or_else(|| {
            args.max_concurrency
                .as_deref()
                .and_then(|s| s.trim().parse().ok())
        })
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_MAX_CONCURRENCY);
    let mut input = resolve(&args.input, &args.target);
    input.end = input.end.min(now);
    if input.start > input.end {
        return Err(PlanError::Empty {
            start: input.start,
            end: input.end,
        });
    }
    let trail_arn = input.trail_arn.clone().unwrap_or_default();
    let req = RangeRequest {
        trail_arn: trail_arn.clone(),
        start: input.start,
        end: input.end,
        bucket: input.bucket.clone(),
        prefix: input.prefix.clone(),
        account_id: None,
        organization_id: input.organization_id.clone(),
        regions: input.regions.clone(),
        now,
        resume: None,
    };
    let found = discover_chains(store, trails, &req, cfg).await?;
    let chains: Vec<(String, Option<String>, Option<String>)> = found
        .chains
        .into_iter()
        .filter(|c| input.accounts.is_empty() || input.accounts.contains(&c.account))
        .map(|c| (c.account, c.region, c.organization_id))
        .collect();
    input.bucket = Some(found.bucket.clone());
    let list = chunks(&input, &chains, found.prefix.as_deref());
    let key = format!("{BACKFILL_PREFIX}{}/chunks.json", safe_segment(execution));
    let body = serde_json::to_vec(&list).map_err(|e| PortError::Unavailable {
        operation: "PutObject",
        resource: format!("s3://{results_bucket}/{key}"),
        message: format!("cannot encode the chunk listing: {e}"),
    })?;
    writer.put_object(results_bucket, &key, body).await?;
    Ok(Plan {
        bucket: results_bucket.to_string(),
        key,
        chunks: list.len(),
        chains: chains
            .iter()
            .map(|(a, r, _)| format!("{a}/{}", r.as_deref().unwrap_or("(no folder)")))
            .collect(),
        trail_arn,
        log_bucket: found.bucket,
        start: input.start,
        end: input.end,
        max_concurrency,
    })
}

/// An execution name as one key segment: Step Functions allows
/// `[A-Za-z0-9-_]` and more; anything else becomes `_`.
fn safe_segment(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.chars().all(|c| c == '.') {
        "execution".into()
    } else {
        out
    }
}

/// Requests a chunk made, for the cost of a backfill (README).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Requests {
    /// S3 GetObject.
    pub get: u64,
    /// S3 ListObjectsV2 calls (a listing of more than 1,000 keys is more
    /// than one request; the adapter pages).
    pub list: u64,
    /// CloudTrail ListPublicKeys.
    pub public_keys: u64,
}

impl std::ops::AddAssign for Requests {
    fn add_assign(&mut self, o: Self) {
        self.get += o.get;
        self.list += o.list;
        self.public_keys += o.public_keys;
    }
}

/// An [`ObjectStore`] and [`PublicKeys`] that count the calls made through
/// them.
pub struct Counted<T> {
    inner: T,
    get: AtomicU64,
    list: AtomicU64,
    keys: AtomicU64,
}

impl<T> Counted<T> {
    /// Counts the calls made to `inner`.
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            get: AtomicU64::new(0),
            list: AtomicU64::new(0),
            keys: AtomicU64::new(0),
        }
    }

    /// The calls so far.
    pub fn requests(&self) -> Requests {
        Requests {
            get: self.get.load(Ordering::Relaxed),
            list: self.list.load(Ordering::Relaxed),
            public_keys: self.keys.load(Ordering::Relaxed),
        }
    }
}

impl<T: ObjectStore> ObjectStore for Counted<T> {
    async fn get(&self, bucket: &str, key: &str, max_bytes: u64) -> Result<Fetched, PortError> {
        self.get.fetch_add(1, Ordering::Relaxed);
        self.inner.get(bucket, key, max_bytes).await
    }

    async fn list(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
    ) -> Result<Vec<String>, PortError> {
        self.list.fetch_add(1, Ordering::Relaxed);
        self.inner.list(bucket, prefix, start_after).await
    }

    async fn list_folders(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, PortError> {
        self.list.fetch_add(1, Ordering::Relaxed);
        self.inner.list_folders(bucket, prefix).await
    }
}

impl<T: PublicKeys> PublicKeys for Counted<T> {
    async fn list(
        &self,
        region: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<PublicKey>, PortError> {
        self.keys.fetch_add(1, Ordering::Relaxed);
        self.inner.list(region, start, end).await
    }
}

/// One invalid file, as a chunk result lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// `digest`, `log`, or `object`.
    pub kind: String,
    /// The object's key (its bucket is the chunk's).
    pub key: String,
    /// The reason's code (`hash_mismatch`, `not_found`, ...).
    pub code: String,
    /// The reason, in words.
    pub reason: String,
}

/// What one chunk found: counts, the invalid files (up to
/// [`MAX_LISTED_PER_CHUNK`]), the chain's coverage and its cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChunkResult {
    /// The account.
    pub account: String,
    /// The region (`None`: an expected account with no folder).
    #[serde(default)]
    pub region: Option<String>,
    /// First instant checked.
    pub start: DateTime<Utc>,
    /// Last instant checked.
    pub end: DateTime<Utc>,
    /// Digest verdicts.
    pub digests: usize,
    /// Log file verdicts.
    pub logs: usize,
    /// Invalid verdicts.
    pub invalid: usize,
    /// Hours digests cover.
    pub hours_covered: f64,
    /// Hours digests were due for.
    pub hours_due: f64,
    /// The invalid files listed.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// The stretches without digests (findings or explained).
    #[serde(default)]
    pub gaps: Vec<Gap>,
    /// Calls to AWS.
    #[serde(default)]
    pub requests: Requests,
    /// Wall time, measured by the handler.
    #[serde(default)]
    pub duration_ms: u64,
}

impl ChunkResult {
    /// `ACCOUNT/REGION`.
    pub fn chain(&self) -> String {
        format!(
            "{}/{}",
            self.account,
            self.region.as_deref().unwrap_or("(no folder)")
        )
    }
}

/// The chunk step: validates one chain over one day.
pub async fn run_chunk<S: ObjectStore, K: PublicKeys, T: Trails>(
    store: &S,
    keys: &K,
    trails: &T,
    chunk: &Chunk,
    cfg: &ValidatorConfig,
    now: DateTime<Utc>,
) -> Result<ChunkResult, RangeError> {
    let store = Counted::new(store);
    let keys = KeyCache::new(Counted::new(keys));
    let report = validate_range(&store, &keys, trails, &chunk.request(now), cfg, &()).await?;
    let mut requests = store.requests();
    requests.public_keys = keys.source().requests().public_keys;
    let chain = report.chains.first();
    let bad: Vec<_> = report.verdicts.iter().filter(|v| !v.is_valid()).collect();
    // Like the AWS CLI, a range takes the digests delivered up to an hour
    // past its end, so neighbouring days overlap by an hour: a file is
    // counted by the chunk whose window its key's time falls in. Every
    // invalid verdict is kept (the summary counts distinct keys).
    let owned = |kind: FileKind| {
        let mut keys: Vec<&str> = report
            .verdicts
            .iter()
            .filter(|v| v.kind == kind)
            .filter(|v| match classify(&v.key) {
                ObjectKind::Digest(d) => d.timestamp >= chunk.start && d.timestamp <= chunk.end,
                ObjectKind::Log(l) => l.timestamp >= chunk.start && l.timestamp <= chunk.end,
                _ => true,
            })
            .map(|v| v.key.as_str())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys.len()
    };
    Ok(ChunkResult {
        account: chunk.account.clone(),
        region: chunk.region.clone(),
        start: chunk.start,
        end: chunk.end,
        digests: owned(FileKind::Digest),
        logs: owned(FileKind::Log),
        invalid: bad.len(),
        hours_covered: chain.map_or(0.0, |c| c.hours_covered),
        hours_due: chain.map_or(0.0, |c| c.hours_due),
        findings: bad
            .iter()
            .take(MAX_LISTED_PER_CHUNK)
            .map(|v| Finding {
                kind: v.kind.label().to_string(),
                key: v.key.clone(),
                code: v.reason.as_ref().map_or("invalid", |r| r.code()).into(),
                reason: v.reason.as_ref().map(|r| r.text()).unwrap_or_default(),
            })
            .collect(),
        gaps: report.chains.iter().flat_map(|c| c.gaps.clone()).collect(),
        requests,
        duration_ms: 0,
    })
}

#[cfg(all(test, feature = "synth"))]
mod tests;
