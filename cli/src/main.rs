//! `trailguard`: trailguard's checks from a laptop, on the same core as the
//! Lambda functions. Region, endpoint and credentials come from the standard
//! AWS environment, so it runs unchanged against the local emulator.

mod backfill;
mod export;
mod offline;
mod rulescmd;
mod rulesopt;
mod scan;
mod validate;
mod watchdog;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Keep a CloudTrail audit trail trustworthy.
#[derive(Parser)]
#[command(name = "trailguard", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a trail's digests and log files over a date range (a superset
    /// of `aws cloudtrail validate-logs`, with the same flags and line forms).
    Validate(validate::Args),
    /// Copy a range of a trail to a folder with its signatures, listings and
    /// public keys, for `validate --from-dir` without access to the account.
    Export(export::Args),
    /// Run the detection rules (built-ins plus yours) over CloudTrail files:
    /// log files, JSON arrays or lines of records, CloudWatch Logs events.
    Scan(scan::Args),
    /// One pass of the logging watchdog: is every trail logging,
    /// delivering and configured as required? Repairs what it may.
    Watchdog(watchdog::Args),
    /// Start the stack's backfill state machine over a range (every chain,
    /// one day per child execution, on Step Functions); --wait follows it.
    Backfill(backfill::Args),
    /// Check rule files, or list the rules that would run.
    #[command(subcommand)]
    Rules(rulescmd::Command),
}

/// How a command prints its results, one record per line either way.
#[derive(Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum Output {
    /// Lines for people (`validate`: the AWS CLI's lines).
    Text,
    /// One JSON object per line, for `jq` and log pipelines.
    Json,
}

/// Exit status when the command could not run.
const CANNOT_RUN: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TRAILGUARD_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("trailguard: cannot start the async runtime: {e}");
            return ExitCode::from(CANNOT_RUN);
        }
    };
    runtime.block_on(async {
        match cli.command {
            Command::Validate(args) => validate::run(args).await,
            Command::Export(args) => export::run(args).await,
            Command::Backfill(args) => backfill::run(args).await,
            Command::Scan(args) => scan::run(args).await,
            Command::Rules(cmd) => rulescmd::run(cmd).await,
            Command::Watchdog(args) => watchdog::run(args).await,
        }
    })
}
