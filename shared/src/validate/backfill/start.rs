//! Starting a backfill, as the console can (`trailguard backfill`): the
//! stack's state machine from its outputs, a unique execution name, the
//! execution's input, and what its end means.

use std::collections::BTreeMap;
use std::future::Future;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{BackfillInput, Outcome};
use crate::ports::PortError;

/// The stack output that names the backfill's state machine (template.yaml).
pub const STATE_MACHINE_OUTPUT: &str = "BackfillStateMachineArn";

/// A deployed stack's outputs (CloudFormation DescribeStacks).
pub trait Stacks: Send + Sync {
    /// `OutputKey` to `OutputValue`; `PortError::NotFound` when there is no
    /// such stack.
    fn outputs(
        &self,
        stack: &str,
    ) -> impl Future<Output = Result<BTreeMap<String, String>, PortError>> + Send;
}

/// One execution as DescribeExecution answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Execution {
    /// `RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED | PENDING_REDRIVE`.
    pub status: String,
    /// The output (JSON), when it succeeded.
    pub output: Option<String>,
    /// The error name, when it failed.
    pub error: Option<String>,
    /// The cause, when it failed.
    pub cause: Option<String>,
}

/// Step Functions' executions (StartExecution, DescribeExecution).
pub trait Executions: Send + Sync {
    /// Starts an execution named `name`; its ARN.
    fn start(
        &self,
        state_machine: &str,
        name: &str,
        input: &str,
    ) -> impl Future<Output = Result<String, PortError>> + Send;

    /// Where an execution is.
    fn describe(
        &self,
        execution: &str,
    ) -> impl Future<Output = Result<Execution, PortError>> + Send;
}

/// Why a backfill could not be started or followed.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The stack has no backfill state machine.
    #[error(
        "stack {stack} has no {STATE_MACHINE_OUTPUT} output: deploy it with Backfill=true \
         (or pass --state-machine-arn)"
    )]
    NoStateMachine {
        /// The stack.
        stack: String,
    },
    /// The range is empty.
    #[error("invalid time range: start {start} is after end {end}")]
    BadRange {
        /// Start.
        start: DateTime<Utc>,
        /// End.
        end: DateTime<Utc>,
    },
    /// An AWS call failed.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// The state machine a stack deployed.
pub async fn state_machine_of<S: Stacks>(stacks: &S, stack: &str) -> Result<String, StartError> {
    stacks
        .outputs(stack)
        .await?
        .remove(STATE_MACHINE_OUTPUT)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| StartError::NoStateMachine {
            stack: stack.to_string(),
        })
}

/// A name for the execution: the range and the time it was started, so
/// that it is unique (StartExecution: a Standard execution's name cannot be
/// reused for 90 days) and says what it checks, within the 80 characters
/// and the characters CloudWatch Logs accepts (`0-9A-Za-z-_`).
pub fn execution_name(input: &BackfillInput, now: DateTime<Utc>) -> String {
    format!(
        "backfill-{}-{}-at-{}",
        input.start.format("%Y%m%dT%H%MZ"),
        input.end.format("%Y%m%dT%H%MZ"),
        now.format("%Y%m%dT%H%M%S%3fZ")
    )
}

/// The console address of an execution (the region is the ARN's).
pub fn console_url(execution_arn: &str) -> String {
    let region = execution_arn.split(':').nth(3).unwrap_or("us-east-1");
    format!(
        "https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{execution_arn}"
    )
}

/// Starts the backfill of `input` on `state_machine`; the execution's ARN.
pub async fn start_backfill<E: Executions>(
    executions: &E,
    state_machine: &str,
    input: &BackfillInput,
    now: DateTime<Utc>,
) -> Result<(String, String), StartError> {
    if input.start > input.end {
        return Err(StartError::BadRange {
            start: input.start,
            end: input.end,
        });
    }
    let name = execution_name(input, now);
    let body = serde_json::to_string(input).map_err(|e| PortError::Unavailable {
        operation: "StartExecution",
        resource: state_machine.to_string(),
        message: format!("cannot encode the input: {e}"),
    })?;
    let arn = executions.start(state_machine, &name, &body).await?;
    Ok((arn, name))
}

/// What an execution's end means for the one who started it.
#[derive(Debug, Clone, PartialEq)]
pub enum Ended {
    /// Succeeded: the summary (the execution's output) and its outcome.
    Summarized {
        /// Proven or findings.
        outcome: Outcome,
        /// The summary.
        summary: Value,
    },
    /// Failed after summarizing (`trailguard.BackfillIncomplete`): chunks
    /// were not checked.
    Incomplete {
        /// The Fail state's cause.
        cause: String,
    },
    /// Failed otherwise, timed out or aborted: nothing can be concluded.
    Failed {
        /// The status.
        status: String,
        /// `error: cause`.
        why: String,
    },
}

/// The error the state machine's Fail state names (template.yaml).
pub const INCOMPLETE_ERROR: &str = "trailguard.BackfillIncomplete";

/// `None` while the execution runs (or waits for a redrive).
pub fn ended(e: &Execution) -> Option<Ended> {
    match e.status.as_str() {
        "RUNNING" | "PENDING_REDRIVE" => None,
        "SUCCEEDED" => {
            let summary: Value = e
                .output
                .as_deref()
                .and_then(|o| serde_json::from_str(o).ok())
                .unwrap_or(Value::Null);
            let outcome = summary
                .get("outcome")
                .and_then(|o| serde_json::from_value::<Outcome>(o.clone()).ok());
            Some(match outcome {
                // A succeeded execution says proven or findings; anything
                // else is not a conclusion to report as one.
                Some(o @ (Outcome::Proven | Outcome::Findings)) => Ended::Summarized {
                    outcome: o,
                    summary,
                },
                _ => Ended::Failed {
                    status: e.status.clone(),
                    why: "the execution's output is not a backfill summary".into(),
                },
            })
        }
        "FAILED" if e.error.as_deref() == Some(INCOMPLETE_ERROR) => Some(Ended::Incomplete {
            cause: e.cause.clone().unwrap_or_default(),
        }),
        other => Some(Ended::Failed {
            status: other.to_string(),
            why: format!(
                "{}: {}",
                e.error.as_deref().unwrap_or("no error given"),
                e.cause.as_deref().unwrap_or("")
            ),
        }),
    }
}

#[cfg(test)]
mod start_tests {
    use super::*;
    use std::sync::Mutex;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .expect("time")
    }

    fn input() -> BackfillInput {
        BackfillInput {
            start: t("2025-01-01T00:00:00Z"),
            end: t("2025-12-31T23:59:59Z"),
            trail_arn: None,
            bucket: None,
            prefix: None,
            organization_id: None,
            accounts: vec!["111122223333".into()],
            regions: vec![],
            max_concurrency: Some(40),
        }
    }

    #[derive(Default)]
    struct Fake {
        outputs: BTreeMap<String, String>,
        started: Mutex<Vec<(String, String, String)>>,
    }

    impl Stacks for Fake {
        async fn outputs(&self, stack: &str) -> Result<BTreeMap<String, String>, PortError> {
            if stack == "missing" {
                return Err(PortError::NotFound {
                    operation: "DescribeStacks",
                    resource: stack.into(),
                    message: "Stack with id missing does not exist".into(),
                });
            }
            Ok(self.outputs.clone())
        }
    }

    impl Executions for Fake {
        async fn start(&self, sm: &str, name: &str, input: &str) -> Result<String, PortError> {
            self.started
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((sm.into(), name.into(), input.into()));
            Ok(format!(
                "{}:{name}",
                sm.replace(":stateMachine:", ":execution:")
            ))
        }
        async fn describe(&self, _: &str) -> Result<Execution, PortError> {
            Ok(Execution::default())
        }
    }

    #[tokio::test]
    async fn the_stacks_state_machine_is_started_with_the_range() {
        let sm = "arn:aws:states:eu-west-1:111122223333:stateMachine:tg-backfill";
        let mut fake = Fake::default();
        fake.outputs.insert(STATE_MACHINE_OUTPUT.into(), sm.into());
        assert_eq!(state_machine_of(&fake, "tg").await.expect("found"), sm);
        let (arn, name) = start_backfill(&fake, sm, &input(), t("2026-12-02T10:11:12.345Z"))
            .await
            .expect("started");
        assert_eq!(
            name,
            "backfill-20250101T0000Z-20251231T2359Z-at-20261202T101112345Z"
        );
        assert!(name.len() <= 80);
        assert!(name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(
            arn,
            format!("arn:aws:states:eu-west-1:111122223333:execution:tg-backfill:{name}")
        );
        let started = fake.started.lock().expect("lock").clone();
        let sent: Value = serde_json::from_str(&started[0].2).expect("JSON input");
        assert_eq!(sent["start"], "2025-01-01T00:00:00Z");
        assert_eq!(sent["accounts"][0], "111122223333");
        assert_eq!(sent["maxConcurrency"], 40);
        assert!(
            sent.get("bucket").is_none(),
            "the stack's defaults are left to it"
        );
        assert!(console_url(&arn).starts_with("https://eu-west-1.console.aws.amazon.com/states/"));
    }

    #[tokio::test]
    async fn a_stack_without_the_state_machine_says_how_to_get_one() {
        let fake = Fake::default();
        let e = state_machine_of(&fake, "tg").await.expect_err("none");
        assert!(e.to_string().contains("Backfill=true"), "{e}");
        assert!(matches!(
            state_machine_of(&fake, "missing").await,
            Err(StartError::Port(PortError::NotFound { .. }))
        ));
        let mut bad = input();
        bad.end = t("2024-01-01T00:00:00Z");
        assert!(matches!(
            start_backfill(&fake, "sm", &bad, t("2026-12-02T00:00:00Z")).await,
            Err(StartError::BadRange { .. })
        ));
        assert!(fake.started.lock().expect("lock").is_empty());
    }

    #[test]
    fn an_end_is_a_conclusion_only_when_the_summary_says_so() {
        let ex = |status: &str, output: Option<&str>, error: Option<&str>| Execution {
            status: status.into(),
            output: output.map(str::to_string),
            error: error.map(str::to_string),
            cause: Some("why".into()),
        };
        assert_eq!(ended(&ex("RUNNING", None, None)), None);
        assert_eq!(ended(&ex("PENDING_REDRIVE", None, None)), None);
        assert!(matches!(
            ended(&ex(
                "SUCCEEDED",
                Some(r#"{"outcome":"proven","checked":3}"#),
                None
            )),
            Some(Ended::Summarized {
                outcome: Outcome::Proven,
                ..
            })
        ));
        assert!(matches!(
            ended(&ex("SUCCEEDED", Some(r#"{"outcome":"findings"}"#), None)),
            Some(Ended::Summarized {
                outcome: Outcome::Findings,
                ..
            })
        ));
        // A success whose output is no summary is not "proven".
        assert!(matches!(
            ended(&ex("SUCCEEDED", Some(r#"{"hello":1}"#), None)),
            Some(Ended::Failed { .. })
        ));
        assert!(matches!(
            ended(&ex("FAILED", None, Some(INCOMPLETE_ERROR))),
            Some(Ended::Incomplete { .. })
        ));
        for s in ["FAILED", "TIMED_OUT", "ABORTED"] {
            assert!(matches!(
                ended(&ex(s, None, Some("States.Runtime"))),
                Some(Ended::Failed { .. })
            ));
        }
    }
}
