//! The three steps as the state machine invokes them, over the
//! validator's ports.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::summary::first_line;
use super::Chunk;
use super::{
    plan, read_results, run_chunk, BackfillInput, ObjectWriter, Plan, PlanArgs, PlanError,
    ResultWriterDetails, ResultsError, Summary, Target,
};
use crate::config::ValidatorConfig;
use crate::ports::{ObjectStore, PortError, PublicKeys, Trails};
use crate::validate::range::RangeError;

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
