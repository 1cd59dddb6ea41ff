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
//! 3. [`Summary`]: the results the ResultWriter wrote ([`fold_results`])
//!    become one summary, published to the alert topic
//!    ([`crate::alert::backfill`]).
//!
//! A chunk that could not be checked (its invocation failed after the
//! retries) is never counted as verified: the summary says the backfill is
//! incomplete and names it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

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

/// Findings (invalid files, gaps, unchecked chunks) listed in a summary;
/// the rest are counted and stay in the ResultWriter's files.
pub const MAX_LISTED_IN_SUMMARY: usize = 50;

/// Largest ResultWriter file read: the summary streams each one, so this
/// bounds one GET, not memory.
pub const MAX_RESULTS_FILE_BYTES: u64 = 256 << 20;

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

/// Where the ResultWriter put its manifest: the Map state's output
/// (`ResultWriterDetails`), or the error that ended the Map.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ResultWriterDetails {
    /// The bucket.
    #[serde(rename = "Bucket")]
    pub bucket: String,
    /// The manifest's key.
    #[serde(rename = "Key")]
    pub key: String,
}

/// One chain's totals over the backfill.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainTotals {
    /// Chunks (days) checked.
    pub days: usize,
    /// Digest verdicts.
    pub digests: usize,
    /// Log file verdicts.
    pub logs: usize,
    /// Invalid verdicts.
    pub invalid: usize,
    /// Gaps that are findings.
    pub gap_findings: usize,
    /// Hours covered by digests.
    pub hours_covered: f64,
    /// Hours digests were due for.
    pub hours_due: f64,
}

/// The backfill's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every chunk checked; every file valid; no unexplained gap.
    Proven,
    /// Every chunk checked, and something is wrong.
    Findings,
    /// A chunk (or the run) could not be checked: nothing is proven for it.
    Incomplete,
}

/// Everything the backfill found: what the summary step publishes and the
/// execution answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The trail.
    pub trail_arn: String,
    /// The log bucket.
    pub bucket: String,
    /// The range.
    pub start: Option<DateTime<Utc>>,
    /// The range.
    pub end: Option<DateTime<Utc>>,
    /// Chunks the plan listed.
    pub planned: usize,
    /// Chunks checked.
    pub checked: usize,
    /// Chunks that could not be checked (after Step Functions' retries).
    pub unchecked: usize,
    /// Digest verdicts.
    pub digests: usize,
    /// Log file verdicts.
    pub logs: usize,
    /// Invalid verdicts.
    pub invalid: usize,
    /// Gaps that are findings.
    pub gap_findings: usize,
    /// Listed invalid files, `(chunk label, finding)`.
    pub findings: Vec<(String, Finding)>,
    /// Listed gap findings, `(chain, gap)`.
    pub gaps: Vec<(String, Gap)>,
    /// Listed unchecked chunks, `(chunk label, error)`.
    pub failures: Vec<(String, String)>,
    /// Per chain, `ACCOUNT/REGION`.
    pub chains: BTreeMap<String, ChainTotals>,
    /// Calls to AWS, summed over the chunks.
    pub requests: Requests,
    /// Sum of the chunks' durations, ms (the Lambda time billed, roughly).
    pub chunk_ms: u64,
    /// The longest chunk, ms.
    pub max_chunk_ms: u64,
    /// Why the run itself failed, if it did (the Map or the plan).
    pub run_error: Option<String>,
    /// Where the ResultWriter's files are.
    pub results: Option<String>,
    /// The invalid keys counted so far: neighbouring chunks overlap by an
    /// hour, and a finding there is reported by both.
    #[serde(skip)]
    seen_invalid: std::collections::HashSet<String>,
}

impl Summary {
    /// A summary of `plan`'s run, before any result.
    pub fn new(plan: &Plan) -> Self {
        Self {
            trail_arn: plan.trail_arn.clone(),
            bucket: plan.log_bucket.clone(),
            start: Some(plan.start),
            end: Some(plan.end),
            planned: plan.chunks,
            ..Self::default()
        }
    }

    /// Adds one checked chunk.
    pub fn add(&mut self, r: &ChunkResult) {
        self.checked += 1;
        self.digests += r.digests;
        self.logs += r.logs;
        let label = format!("{} {}", r.chain(), r.start.date_naive());
        let mut new_invalid = r.invalid.saturating_sub(r.findings.len());
        for f in &r.findings {
            if !self.seen_invalid.insert(format!("{}\n{}", f.key, f.code)) {
                continue;
            }
            new_invalid += 1;
            if self.findings.len() < MAX_LISTED_IN_SUMMARY {
                self.findings.push((label.clone(), f.clone()));
            }
        }
        self.invalid += new_invalid;
        let gap_findings: Vec<&Gap> = r.gaps.iter().filter(|g| g.finding).collect();
        self.gap_findings += gap_findings.len();
        for g in &gap_findings {
            if self.gaps.len() < MAX_LISTED_IN_SUMMARY {
                self.gaps.push((r.chain(), (*g).clone()));
            }
        }
        let c = self.chains.entry(r.chain()).or_default();
        c.days += 1;
        c.digests += r.digests;
        c.logs += r.logs;
        c.invalid += new_invalid;
        c.gap_findings += gap_findings.len();
        c.hours_covered += r.hours_covered;
        c.hours_due += r.hours_due;
        self.requests += r.requests;
        self.chunk_ms += r.duration_ms;
        self.max_chunk_ms = self.max_chunk_ms.max(r.duration_ms);
    }

    /// Adds one chunk that could not be checked.
    pub fn fail(&mut self, label: String, error: String) {
        self.unchecked += 1;
        if self.failures.len() < MAX_LISTED_IN_SUMMARY {
            self.failures.push((label, error));
        }
    }

    /// The verdict: incomplete unless every planned chunk was checked.
    pub fn outcome(&self) -> Outcome {
        if self.run_error.is_some() || self.unchecked > 0 || self.checked < self.planned {
            Outcome::Incomplete
        } else if self.invalid > 0 || self.gap_findings > 0 {
            Outcome::Findings
        } else {
            Outcome::Proven
        }
    }

    /// The summary as the execution's output and the alert's JSON.
    pub fn to_json(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            m.insert(
                "outcome".into(),
                serde_json::to_value(self.outcome()).unwrap_or(Value::Null),
            );
            m.insert(
                "notChecked".into(),
                Value::from(self.planned.saturating_sub(self.checked + self.unchecked)),
            );
        }
        v
    }
}

/// Why the ResultWriter's files could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// A file is not what the ResultWriter writes.
    #[error("s3://{bucket}/{key}: {message}")]
    Format {
        /// The bucket.
        bucket: String,
        /// The file.
        key: String,
        /// What was wrong.
        message: String,
    },
    /// A GET failed.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// The ResultWriter's `manifest.json`: which files hold which results.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Manifest {
    /// `{"FAILED": [{"Key", "Size"}], "PENDING": [...], "SUCCEEDED": [...]}`.
    #[serde(rename = "ResultFiles", default)]
    pub result_files: BTreeMap<String, Vec<ResultFile>>,
}

/// One results file the manifest names.
#[derive(Debug, Clone, Deserialize)]
pub struct ResultFile {
    /// Its key in the results bucket.
    #[serde(rename = "Key")]
    pub key: String,
}

/// One child execution as a results file records it.
#[derive(Debug, Deserialize)]
struct Entry {
    #[serde(rename = "Input", default)]
    input: Option<String>,
    #[serde(rename = "Output", default)]
    output: Option<String>,
    #[serde(rename = "Status", default)]
    status: Option<String>,
    #[serde(rename = "Error", default)]
    error: Option<String>,
    #[serde(rename = "Cause", default)]
    cause: Option<String>,
}

/// Adds one results file (a JSON array of child executions) to `summary`:
/// a succeeded child's output is its [`ChunkResult`]; a failed, pending or
/// unreadable one is an unchecked chunk, never a verified one. The array
/// is read one execution at a time, so memory holds the file and one entry.
pub fn fold_results(
    summary: &mut Summary,
    body: &[u8],
    bucket: &str,
    key: &str,
) -> Result<(), ResultsError> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_slice(body);
    Fold(summary)
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| ResultsError::Format {
            bucket: bucket.into(),
            key: key.into(),
            message: format!("not a JSON array of executions: {e}"),
        })
}

/// Folds a results file's array into the summary, entry by entry.
struct Fold<'a>(&'a mut Summary);

impl<'de> serde::de::DeserializeSeed<'de> for Fold<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Fold<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array of child executions")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(e) = seq.next_element::<Entry>()? {
            fold_entry(self.0, e);
        }
        Ok(())
    }
}

fn fold_entry(summary: &mut Summary, e: Entry) {
    let chunk: Option<Chunk> = e.input.as_deref().and_then(chunk_of_input);
    let label = chunk
        .as_ref()
        .map_or_else(|| "(unknown chunk)".into(), Chunk::label);
    let succeeded = e.status.as_deref() == Some("SUCCEEDED");
    let result = e
        .output
        .as_deref()
        .filter(|_| succeeded)
        .and_then(chunk_result_of_output);
    match result {
        Some(r) => summary.add(&r),
        None => {
            let why = match (&e.error, &e.cause, succeeded) {
                (_, _, true) => "its output is not a chunk result".to_string(),
                (Some(err), Some(cause), _) => format!("{err}: {}", first_line(cause)),
                (Some(err), None, _) => err.clone(),
                _ => format!("status {}", e.status.as_deref().unwrap_or("unknown")),
            };
            summary.fail(label, why);
        }
    }
}

/// The chunk a child execution was given: the ItemSelector's payload
/// (`{"backfill": {"step": "chunk", "chunk": {...}}}`) or the bare item.
fn chunk_of_input(input: &str) -> Option<Chunk> {
    let v: Value = serde_json::from_str(input).ok()?;
    let c = v.pointer("/backfill/chunk").cloned().unwrap_or(v);
    serde_json::from_value(c).ok()
}

/// A child's output: the chunk result, or the Lambda integration's whole
/// answer (`{"Payload": ...}`) when the task kept it.
fn chunk_result_of_output(output: &str) -> Option<ChunkResult> {
    let v: Value = serde_json::from_str(output).ok()?;
    let r = v.get("Payload").cloned().unwrap_or(v);
    serde_json::from_value(r).ok()
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or_default();
    line.chars().take(300).collect()
}

/// Reads the ResultWriter's manifest and every results file it names
/// into `summary`. Files named FAILED or PENDING hold chunks not checked.
pub async fn read_results<S: ObjectStore>(
    store: &S,
    details: &ResultWriterDetails,
    summary: &mut Summary,
) -> Result<(), ResultsError> {
    let bucket = &details.bucket;
    let manifest = match store
        .get(bucket, &details.key, MAX_RESULTS_FILE_BYTES)
        .await?
    {
        Fetched::Found(o) => o.body,
        Fetched::NotFound => {
            return Err(ResultsError::Format {
                bucket: bucket.clone(),
                key: details.key.clone(),
                message: "the ResultWriter's manifest is not there".into(),
            })
        }
        Fetched::TooLarge { size } => {
            return Err(ResultsError::Format {
                bucket: bucket.clone(),
                key: details.key.clone(),
                message: format!("manifest of {size} bytes is over the limit"),
            })
        }
    };
    let manifest: Manifest =
        serde_json::from_slice(&manifest).map_err(|e| ResultsError::Format {
            bucket: bucket.clone(),
            key: details.key.clone(),
            message: format!("not a ResultWriter manifest: {e}"),
        })?;
    summary.results = Some(format!("s3://{bucket}/{}", details.key));
    for files in manifest.result_files.values() {
        for f in files {
            match store.get(bucket, &f.key, MAX_RESULTS_FILE_BYTES).await? {
                Fetched::Found(o) => fold_results(summary, &o.body, bucket, &f.key)?,
                Fetched::NotFound | Fetched::TooLarge { .. } => {
                    return Err(ResultsError::Format {
                        bucket: bucket.clone(),
                        key: f.key.clone(),
                        message: "a results file the manifest names cannot be read".into(),
                    })
                }
            }
        }
    }
    Ok(())
}

/// One invocation of the validator by the backfill's state machine:
/// `{"backfill": {"step": "plan" | "chunk" | "summarize", ...}}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    tag = "step",
    rename_all = "lowercase",
    rename_all_fields = "camelCase"
)]
pub enum Step {
    /// Discover the chains and write the chunk listing.
    Plan {
        /// The execution's input.
        input: BackfillInput,
        /// The stack's trail and bucket.
        target: Target,
        /// The execution's name (`$$.Execution.Name`): the listing's folder.
        execution: String,
        /// Where the listing goes (the state bucket).
        results_bucket: String,
        /// The stack's BackfillConcurrency (a string: the definition's
        /// substitution).
        #[serde(default)]
        max_concurrency: Option<String>,
    },
    /// Validate one chain over one day.
    Chunk {
        /// The Map's item.
        chunk: Chunk,
    },
    /// Read the ResultWriter's files and publish the summary.
    Summarize {
        /// The plan step's answer, or the error that ended it.
        plan: Value,
        /// The Map state's output (`ResultWriterDetails`), or its error.
        #[serde(default)]
        results: Option<Value>,
    },
}

impl Step {
    /// The step in an invocation payload, if it is one.
    pub fn of(payload: &Value) -> Option<Result<Step, serde_json::Error>> {
        payload
            .get("backfill")
            .map(|s| serde_json::from_value(s.clone()))
    }
}

/// Why a backfill step failed (the state machine retries it).
#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    /// The payload is not a backfill step.
    #[error("cannot decode the backfill step: {0}")]
    Step(#[from] serde_json::Error),
    /// The plan could not be made.
    #[error("plan: {0}")]
    Plan(#[from] PlanError),
    /// The chunk could not be validated.
    #[error("chunk {chunk}: {source}")]
    Chunk {
        /// `ACCOUNT/REGION DAY`.
        chunk: String,
        /// Why.
        source: RangeError,
    },
    /// The results could not be read.
    #[error("results: {0}")]
    Results(#[from] ResultsError),
    /// The summary could not be published.
    #[error("publishing the summary: {0}")]
    Publish(PortError),
}

/// The validator's backfill mode: the three steps over its ports.
pub struct Backfill<S, K, T, W, O> {
    /// Reads the log bucket (and the results).
    pub store: S,
    /// ListPublicKeys.
    pub keys: K,
    /// GetTrailStatus (explains silences).
    pub trails: T,
    /// Writes the chunk listing.
    pub writer: W,
    /// The alert topic, for the summary.
    pub topic: Option<crate::message::Topic<O>>,
    /// The validator's configuration.
    pub cfg: ValidatorConfig,
}

impl<S, K, T, W, O> Backfill<S, K, T, W, O>
where
    S: ObjectStore,
    K: PublicKeys,
    T: Trails,
    W: ObjectWriter,
    O: crate::message::Outbox,
{
    /// Runs one step; `now` is the invocation's time. The answer is the
    /// step's output in the state machine.
    pub async fn run(&self, step: Step, now: DateTime<Utc>) -> Result<Value, BackfillError> {
        match step {
            Step::Plan {
                input,
                target,
                execution,
                results_bucket,
                max_concurrency,
            } => {
                let args = PlanArgs {
                    input,
                    target,
                    execution,
                    results_bucket,
                    max_concurrency,
                };
                let p = plan(
                    &self.store,
                    &self.trails,
                    &self.writer,
                    &args,
                    &self.cfg,
                    now,
                )
                .await?;
                tracing::info!(chunks = p.chunks, chains = p.chains.len(), key = %p.key, "backfill planned");
                Ok(serde_json::to_value(p)?)
            }
            Step::Chunk { chunk } => {
                let started = std::time::Instant::now();
                let mut r = run_chunk(
                    &self.store,
                    &self.keys,
                    &self.trails,
                    &chunk,
                    &self.cfg,
                    now,
                )
                .await
                .map_err(|source| BackfillError::Chunk {
                    chunk: chunk.label(),
                    source,
                })?;
                r.duration_ms = started.elapsed().as_millis() as u64;
                tracing::info!(chunk = %chunk.label(), digests = r.digests, logs = r.logs, invalid = r.invalid,
                    gets = r.requests.get, lists = r.requests.list, duration_ms = r.duration_ms, "backfill chunk");
                Ok(serde_json::to_value(r)?)
            }
            Step::Summarize { plan, results } => {
                let summary = self.summarize(plan, results).await?;
                if let Some(topic) = &self.topic {
                    topic
                        .publish(&[crate::alert::backfill::backfill_message(&summary)])
                        .await
                        .map_err(BackfillError::Publish)?;
                }
                tracing::info!(outcome = ?summary.outcome(), checked = summary.checked,
                    unchecked = summary.unchecked, invalid = summary.invalid, "backfill summary");
                Ok(summary.to_json())
            }
        }
    }

    async fn summarize(
        &self,
        plan: Value,
        results: Option<Value>,
    ) -> Result<Summary, BackfillError> {
        let plan: Plan = match serde_json::from_value(plan.clone()) {
            Ok(p) => p,
            Err(_) => {
                return Ok(Summary {
                    run_error: Some(format!("the plan step failed: {}", error_text(&plan))),
                    ..Summary::default()
                })
            }
        };
        let mut summary = Summary::new(&plan);
        let details = results.as_ref().and_then(|r| {
            r.get("ResultWriterDetails")
                .and_then(|d| serde_json::from_value::<ResultWriterDetails>(d.clone()).ok())
        });
        match (details, results) {
            (Some(d), _) => read_results(&self.store, &d, &mut summary).await?,
            (None, Some(r)) => {
                summary.run_error = Some(format!("the Map state failed: {}", error_text(&r)))
            }
            (None, None) => summary.run_error = Some("the Map state wrote no results".into()),
        }
        Ok(summary)
    }
}

/// `Error: Cause` of a caught Step Functions error (`{"Error", "Cause"}`),
/// or the value itself.
fn error_text(v: &Value) -> String {
    match (
        v.get("Error").and_then(Value::as_str),
        v.get("Cause").and_then(Value::as_str),
    ) {
        (Some(e), Some(c)) => format!("{e}: {}", first_line(c)),
        (Some(e), None) => e.to_string(),
        _ => first_line(&v.to_string()),
    }
}

#[cfg(all(test, feature = "synth"))]
#[path = "backfill_tests.rs"]
mod tests;
