//! `trailguard backfill`: starts the stack's backfill state machine over a
//! range, as the console can, and optionally follows it to its summary.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Utc};
use trailguard::aws::{load_config, StackApi};
use trailguard::validate::backfill::{
    console_url, ended, start_backfill, state_machine_of, BackfillInput, Ended, Executions, Outcome,
};

use crate::{Output, CANNOT_RUN};

/// `backfill`'s flags.
#[derive(clap::Args)]
pub struct Args {
    /// The stack deployed with Backfill=true (its BackfillStateMachineArn
    /// output names the state machine).
    #[arg(long, required_unless_present = "state_machine_arn")]
    stack: Option<String>,
    /// The state machine, instead of the stack.
    #[arg(long, value_name = "ARN", conflicts_with = "stack")]
    state_machine_arn: Option<String>,
    /// Validate digests delivered from here (RFC 3339 or a date)...
    #[arg(long, visible_alias = "start-time", value_parser = crate::validate::parse_time)]
    start: DateTime<Utc>,
    /// ...to here (default: now).
    #[arg(long, visible_alias = "end-time", value_parser = crate::validate::parse_time)]
    end: Option<DateTime<Utc>>,
    /// Only these accounts (repeatable; default: every account folder).
    #[arg(long = "account-id", value_name = "ACCOUNT")]
    accounts: Vec<String>,
    /// Only these regions (repeatable; default: every region with digests).
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
    /// The trail's S3 key prefix, if it has one.
    #[arg(long = "s3-prefix")]
    prefix: Option<String>,
    /// Chunks validated at once (default: the stack's BackfillConcurrency).
    #[arg(long)]
    max_concurrency: Option<u32>,
    /// Wait for the execution to end and print its summary; exit 0 only
    /// when the range is proven.
    #[arg(long)]
    wait: bool,
    /// Seconds between two looks at the execution, with --wait.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=3600))]
    poll_seconds: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
}

/// Exit status 0 when started (or, with --wait, proven); 1 when the
/// backfill found something or could not check everything; 2 when it
/// could not be started or followed.
pub async fn run(args: Args) -> ExitCode {
    let sdk = load_config().await;
    let api = StackApi::new(&sdk);
    match go(&api, &args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("trailguard: {e}");
            ExitCode::from(CANNOT_RUN)
        }
    }
}

async fn go(api: &StackApi, args: &Args) -> Result<ExitCode, String> {
    let state_machine = match (&args.state_machine_arn, &args.stack) {
        (Some(arn), _) => arn.clone(),
        (None, Some(stack)) => state_machine_of(api, stack)
            .await
            .map_err(|e| e.to_string())?,
        (None, None) => return Err("give --stack or --state-machine-arn".into()),
    };
    let now = Utc::now();
    let input = BackfillInput {
        start: args.start,
        end: args.end.unwrap_or(now),
        trail_arn: None,
        bucket: None,
        prefix: args.prefix.clone(),
        organization_id: None,
        accounts: args.accounts.clone(),
        regions: args.regions.clone(),
        max_concurrency: args.max_concurrency,
    };
    let (arn, name) = start_backfill(api, &state_machine, &input, now)
        .await
        .map_err(|e| e.to_string())?;
    match args.output {
        Output::Text => {
            println!("Started backfill {name}");
            println!("Execution: {arn}");
            println!("Console:   {}", console_url(&arn));
        }
        Output::Json => println!(
            "{}",
            serde_json::json!({"started": {"name": name, "executionArn": arn,
                "stateMachineArn": state_machine, "input": input, "console": console_url(&arn)}})
        ),
    }
    if !args.wait {
        return Ok(ExitCode::SUCCESS);
    }
    let end = follow(
        api,
        &arn,
        Duration::from_secs(args.poll_seconds),
        args.output,
    )
    .await?;
    Ok(report(&end, args.output))
}

/// Polls the execution until it ends.
pub async fn follow<E: Executions>(
    api: &E,
    arn: &str,
    every: Duration,
    output: Output,
) -> Result<Ended, String> {
    loop {
        let e = api.describe(arn).await.map_err(|e| e.to_string())?;
        if let Some(end) = ended(&e) {
            return Ok(end);
        }
        if output == Output::Text {
            eprint!(".");
            let _ = std::io::stderr().flush();
        }
        tokio::time::sleep(every).await;
    }
}

/// Prints the end and chooses the exit status.
fn report(end: &Ended, output: Output) -> ExitCode {
    if output == Output::Text {
        eprintln!();
    }
    let (line, code) = match end {
        Ended::Summarized { outcome, summary } => {
            let s = summary;
            let text = format!(
                "{}: {} of {} chunks checked, {} digests, {} log files, {} invalid, {} coverage gaps; results in {}",
                match outcome {
                    Outcome::Proven => "PROVEN",
                    Outcome::Findings => "FINDINGS",
                    Outcome::Incomplete => "INCOMPLETE",
                },
                s["checked"], s["planned"], s["digests"], s["logs"], s["invalid"], s["gapFindings"],
                s["results"].as_str().unwrap_or("(none)")
            );
            let code = if *outcome == Outcome::Proven { 0 } else { 1 };
            (
                match output {
                    Output::Text => text,
                    Output::Json => {
                        serde_json::json!({"ended": "summarized", "summary": s}).to_string()
                    }
                },
                code,
            )
        }
        Ended::Incomplete { cause } => (
            match output {
                Output::Text => format!("INCOMPLETE: {cause}"),
                Output::Json => {
                    serde_json::json!({"ended": "incomplete", "cause": cause}).to_string()
                }
            },
            1,
        ),
        Ended::Failed { status, why } => (
            match output {
                Output::Text => format!("the execution ended {status}: {why}"),
                Output::Json => {
                    serde_json::json!({"ended": "failed", "status": status, "why": why}).to_string()
                }
            },
            CANNOT_RUN,
        ),
    };
    println!("{line}");
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use trailguard::ports::PortError;
    use trailguard::validate::backfill::Execution;

    /// Answers RUNNING until its list of ends runs out.
    struct Script(Mutex<Vec<Execution>>);

    impl Executions for Script {
        async fn start(&self, _: &str, _: &str, _: &str) -> Result<String, PortError> {
            Ok("arn".into())
        }
        async fn describe(
            &self,
            _: &str,
        ) -> Result<trailguard::validate::backfill::Execution, PortError> {
            let mut s = self.0.lock().unwrap_or_else(|p| p.into_inner());
            Ok(if s.len() > 1 {
                s.remove(0)
            } else {
                s[0].clone()
            })
        }
    }

    fn ex(status: &str, output: Option<&str>, error: Option<&str>) -> Execution {
        Execution {
            status: status.into(),
            output: output.map(str::to_string),
            error: error.map(str::to_string),
            cause: Some("3 chunks not checked".into()),
        }
    }

    #[tokio::test]
    async fn following_waits_for_the_end_and_the_exit_status_says_what_it_proved() {
        let script = Script(Mutex::new(vec![
            ex("RUNNING", None, None),
            ex("RUNNING", None, None),
            ex(
                "SUCCEEDED",
                Some(r#"{"outcome":"proven","checked":2,"planned":2}"#),
                None,
            ),
        ]));
        let end = follow(&script, "arn", Duration::from_millis(1), Output::Json)
            .await
            .expect("ended");
        assert!(matches!(
            end,
            Ended::Summarized {
                outcome: Outcome::Proven,
                ..
            }
        ));
        assert_eq!(report(&end, Output::Json), ExitCode::SUCCESS);
        let findings =
            ended(&ex("SUCCEEDED", Some(r#"{"outcome":"findings"}"#), None)).expect("end");
        assert_eq!(report(&findings, Output::Text), ExitCode::from(1));
        let incomplete =
            ended(&ex("FAILED", None, Some("trailguard.BackfillIncomplete"))).expect("end");
        assert_eq!(report(&incomplete, Output::Text), ExitCode::from(1));
        let aborted = ended(&ex("ABORTED", None, None)).expect("end");
        assert_eq!(report(&aborted, Output::Text), ExitCode::from(CANNOT_RUN));
    }
}
