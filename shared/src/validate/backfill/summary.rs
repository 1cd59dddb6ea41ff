//! The backfill's summary: the ResultWriter's files read entry by entry
//! into one [`Summary`] (a chunk without a result is never verified).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Chunk, ChunkResult, Finding, Plan, Requests};
use crate::ports::{Fetched, ObjectStore, PortError};
use crate::validate::coverage::Gap;

/// Findings (invalid files, gaps, unchecked chunks) listed in a summary;
/// the rest are counted and stay in the ResultWriter's files.
pub const MAX_LISTED_IN_SUMMARY: usize = 50;

/// Largest ResultWriter file read: the summary streams each one, so this
/// bounds one GET, not memory.
pub const MAX_RESULTS_FILE_BYTES: u64 = 256 << 20;

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
    pub(super) seen_invalid: std::collections::HashSet<String>,
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

pub(super) fn first_line(s: &str) -> String {
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
