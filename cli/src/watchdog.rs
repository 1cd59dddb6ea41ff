//! `trailguard watchdog`: one pass of the logging watchdog from a laptop,
//! with the configuration the function reads (environment variables), and
//! flags to override.

use std::process::ExitCode;

use chrono::Utc;
use trailguard::aws::{load_config, WatchdogAdapters};
use trailguard::config;
use trailguard::watchdog::pass::{run as run_pass, PassConfig};

use crate::{Output, CANNOT_RUN};

/// `trailguard watchdog` flags.
#[derive(clap::Args)]
pub struct Args {
    /// A trail to check, by name or ARN (repeatable; default:
    /// TRAILGUARD_WATCHDOG_TRAILS, else every trail visible in the region).
    #[arg(long = "trail", value_name = "NAME_OR_ARN")]
    trails: Vec<String>,
    /// Report only: repair nothing, write no state, publish nothing.
    #[arg(long)]
    dry_run: bool,
    /// The account this runs in (for telling shadow trails apart).
    #[arg(long)]
    account: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
}

/// Runs the command.
pub async fn run(args: Args) -> ExitCode {
    let mut cfg = match config::watchdog_from(|k| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("trailguard watchdog: {e}");
            return ExitCode::from(CANNOT_RUN);
        }
    };
    if !args.trails.is_empty() {
        cfg.trails = args.trails.clone();
    }
    let sdk = load_config().await;
    let Some(region) = sdk.region().map(|r| r.to_string()) else {
        eprintln!("trailguard watchdog: no AWS region (set AWS_REGION or a profile's region)");
        return ExitCode::from(CANNOT_RUN);
    };
    let a = WatchdogAdapters::new(&sdk, &cfg);
    let pass = PassConfig {
        region,
        account: args.account.clone().or(cfg.account.clone()),
        trails: cfg.trails.clone(),
        dry_run: args.dry_run || cfg.dry_run,
        requirements: cfg.requirements.clone(),
        renotify: cfg.renotify,
        chain: cfg.chain.clone(),
    };
    let report = match run_pass(
        &a.trails,
        Some(&a.chain),
        a.state.as_ref(),
        a.notifier.as_ref(),
        &pass,
        Utc::now(),
    )
    .await
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("trailguard watchdog: {e}");
            return ExitCode::from(CANNOT_RUN);
        }
    };
    for w in &report.warnings {
        eprintln!("trailguard watchdog: {w}");
    }
    for r in &report.results {
        match args.output {
            Output::Json => println!("{}", serde_json::to_string(r).unwrap_or_default()),
            Output::Text => println!(
                "{:<7} {:<22} {}  {}",
                r.status.as_str(),
                r.check.as_str(),
                r.trail,
                r.detail
            ),
        }
    }
    eprintln!(
        "trailguard watchdog: {} checks on {} trail(s) in {}{}; {} notice(s){}",
        report.results.len(),
        {
            let mut t: Vec<&str> = report.results.iter().map(|r| r.trail.as_str()).collect();
            t.sort_unstable();
            t.dedup();
            t.len()
        },
        pass.region,
        if pass.dry_run { " (dry run)" } else { "" },
        report.notices.len(),
        if report.published {
            " published"
        } else if pass.dry_run || a.notifier.is_none() {
            " (not published: no topic, or dry run)"
        } else {
            ""
        }
    );
    if report.has_problem() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
