//! `trailguard watchdog`: one pass of the logging watchdog from a laptop,
//! with the configuration the function reads (environment variables), and
//! flags to override.

use std::process::ExitCode;

use chrono::Utc;
use trailguard::aws::{load_config, watchdog};
use trailguard::config;
use trailguard::watch::Request;

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
    let sdk = load_config().await;
    let Some(region) = sdk.region().map(|r| r.to_string()) else {
        eprintln!("trailguard watchdog: no AWS region (set AWS_REGION or a profile's region)");
        return ExitCode::from(CANNOT_RUN);
    };
    // The flag names the account over the environment's.
    if args.account.is_some() {
        cfg.account.clone_from(&args.account);
    }
    let dog = watchdog(&sdk, &cfg, &region);
    // The flags are a request, as the function's payload is.
    let req = Request {
        dry_run: args.dry_run,
        trails: (!args.trails.is_empty()).then(|| args.trails.clone()),
        region: None,
        account: None,
    };
    let pass = dog.pass_config(&req, None);
    let report = match dog.run(&pass, Utc::now()).await {
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
    let sum = report.summary(&pass);
    eprintln!(
        "trailguard watchdog: {} checks on {} trail(s) in {}{}; {} notice(s){}",
        sum.checks,
        sum.trails,
        sum.region,
        if sum.dry_run { " (dry run)" } else { "" },
        sum.notices,
        if sum.published {
            " published"
        } else if sum.dry_run || !dog.publishes() {
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
