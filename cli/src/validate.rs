//! `trailguard validate`: printing and exit status around
//! [`trailguard::validate::validate_range`].

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use trailguard::aws::{load_config, CloudTrailApi, S3Store};
use trailguard::integrity::verdict::{FileKind, Verdict};
use trailguard::validate::{self, display_time, KeyCache, Progress, RangeReport, RangeRequest};

use crate::{Output, CANNOT_RUN};

/// Flags of `aws cloudtrail validate-logs`, and a few more.
#[derive(clap::Args)]
pub struct Args {
    /// ARN of the trail to validate.
    #[arg(long)]
    trail_arn: String,
    /// Validate files delivered on or after this UTC time (e.g. 2026-01-15T00:00:00Z).
    #[arg(long, value_parser = parse_time)]
    start_time: DateTime<Utc>,
    /// Validate files delivered on or before this UTC time (default: now).
    #[arg(long, value_parser = parse_time)]
    end_time: Option<DateTime<Utc>>,
    /// The bucket holding the digests, when not the trail's current bucket.
    #[arg(long)]
    s3_bucket: Option<String>,
    /// The key prefix, when not the trail's current prefix.
    #[arg(long)]
    s3_prefix: Option<String>,
    /// The account whose logs to validate (organization trails).
    #[arg(long)]
    account_id: Option<String>,
    /// The organization ID of an organization trail (found in the bucket when omitted).
    #[arg(long)]
    organization_id: Option<String>,
    /// Validate only this region's chain (repeatable; default: every region with digests).
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
    /// Print valid files too.
    #[arg(long)]
    verbose: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
    /// How many files to fetch and hash at once.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=512))]
    jobs: u16,
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(Utc.from_utc_datetime(&n));
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| Utc.from_utc_datetime(&n))
        .ok_or_else(|| format!("cannot parse {s:?} as a UTC time (example: 2026-01-15T00:00:00Z)"))
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn add(&self, files: u64) {
        self.0.inc_length(files);
    }
    fn done(&self) {
        self.0.inc(1);
    }
}

/// Runs the command; the exit status is 0 (all valid), 1 (something invalid,
/// or a chain silent where digests were due) or 2 (could not run).
pub async fn run(args: Args) -> ExitCode {
    let env = |k: &str| std::env::var(k).ok();
    let mut cfg = match trailguard::config::validator_from(env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("trailguard: {e}");
            return ExitCode::from(CANNOT_RUN);
        }
    };
    cfg.concurrency = args.jobs as usize;
    let end = args.end_time.unwrap_or_else(Utc::now);
    let req = RangeRequest {
        trail_arn: args.trail_arn.clone(),
        start: args.start_time,
        end,
        bucket: args.s3_bucket.clone(),
        prefix: args.s3_prefix.clone(),
        account_id: args.account_id.clone(),
        organization_id: args.organization_id.clone(),
        regions: args.regions.clone(),
        now: Utc::now(),
    };
    let sdk = load_config().await;
    let store = S3Store::new(&sdk);
    // One set of CloudTrail clients for both the trail lookup and the keys.
    let ct = std::sync::Arc::new(CloudTrailApi::new(&sdk));
    let keys = KeyCache::new(ct.clone());
    if args.output == Output::Text {
        println!(
            "Validating log files for trail {} between {} and {}\n",
            args.trail_arn,
            display_time(args.start_time),
            display_time(end)
        );
    }
    let bar = ProgressBar::new(0);
    if std::io::stderr().is_terminal() {
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {pos}/{len} files checked {wide_bar} ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let result = validate::validate_range(&store, &keys, &ct, &req, &cfg, &Bar(bar.clone())).await;
    bar.finish_and_clear();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("trailguard: {e}");
            return ExitCode::from(CANNOT_RUN);
        }
    };
    let printed = match args.output {
        Output::Text => print_text(&args, &req, &report),
        Output::Json => print_json(&report),
    };
    if let Err(e) = printed {
        eprintln!("trailguard: cannot write output: {e}");
        return ExitCode::from(CANNOT_RUN);
    }
    if report.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `2026-01-15T10:00Z`: short enough for a table.
fn short(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%MZ").to_string()
}

/// The per-chain table and each coverage finding (to standard error).
fn print_chains(
    out: &mut impl Write,
    err: &mut impl Write,
    report: &RangeReport,
    verbose: bool,
) -> std::io::Result<()> {
    let show_table =
        verbose || report.chains.len() > 1 || report.chains.iter().any(|c| !c.gaps.is_empty());
    for c in &report.chains {
        for g in c.findings() {
            writeln!(
                err,
                "COVERAGE GAP: {} from {} to {}: {}\n",
                c.label(),
                display_time(g.from),
                display_time(g.to),
                g.reason
            )?;
        }
    }
    if !show_table {
        return Ok(());
    }
    let width = report
        .chains
        .iter()
        .map(|c| c.label().len())
        .max()
        .unwrap_or(5)
        .max(5);
    writeln!(
        out,
        "\n{:width$}  {:>11}  {:>7}  {:>6}  {:>7}  gaps",
        "chain", "hours", "digests", "logs", "invalid"
    )?;
    for c in &report.chains {
        let gaps: Vec<String> = c
            .gaps
            .iter()
            .map(|g| {
                format!(
                    "{}..{} {}{}",
                    short(g.from),
                    short(g.to),
                    g.reason,
                    if g.finding { " [FINDING]" } else { "" }
                )
            })
            .collect();
        writeln!(
            out,
            "{:width$}  {:>11}  {:>7}  {:>6}  {:>7}  {}",
            c.label(),
            format!("{}/{}", c.hours_covered, c.hours_due),
            c.digests,
            c.logs,
            c.invalid,
            if gaps.is_empty() {
                "-".to_string()
            } else {
                gaps.join("; ")
            }
        )?;
    }
    let findings = report.coverage_findings();
    if findings > 0 {
        write!(out, "\n{findings} coverage gap(s) INVALID")?;
    }
    Ok(())
}

fn print_text(args: &Args, req: &RangeRequest, report: &RangeReport) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    for v in &report.verdicts {
        if !v.is_valid() {
            writeln!(err, "{}\n", v.line())?;
        } else if args.verbose {
            writeln!(out, "{}", v.line())?;
        }
    }
    for n in &report.notices {
        writeln!(err, "{n}\n")?;
    }
    if args.verbose && report.verdicts.iter().any(Verdict::is_valid) {
        writeln!(out)?;
    }
    writeln!(
        out,
        "Results requested for {} to {}",
        display_time(req.start),
        display_time(req.end)
    )?;
    let (vd, id) = report.counts(FileKind::Digest, false);
    let (vb, ib) = report.counts(FileKind::Digest, true);
    if vd + id + vb + ib == 0 {
        writeln!(out, "No digests found")?;
    } else {
        match (report.found_start, report.found_end) {
            (Some(s), Some(e)) => writeln!(
                out,
                "Results found for {} to {}:",
                display_time(s),
                display_time(e)
            )?,
            _ => writeln!(out, "No valid digests found in range")?,
        }
        ratio(&mut out, report.counts(FileKind::Digest, false), "digest")?;
        ratio(
            &mut out,
            report.counts(FileKind::Digest, true),
            "backfill digest",
        )?;
        ratio(&mut out, report.counts(FileKind::Log, false), "log")?;
    }
    let (_, io) = report.counts(FileKind::Object, false);
    if io > 0 {
        write!(out, "\n{io} unrecognised object(s) INVALID")?;
    }
    writeln!(out)?;
    print_chains(&mut out, &mut err, report, args.verbose)?;
    writeln!(out, "\n")?;
    Ok(())
}

fn ratio(
    out: &mut impl Write,
    (valid, invalid): (usize, usize),
    name: &str,
) -> std::io::Result<()> {
    let total = valid + invalid;
    if total > 0 {
        write!(out, "\n{valid}/{total} {name} files valid")?;
        if invalid > 0 {
            write!(out, ", {invalid}/{total} {name} files INVALID")?;
        }
    }
    Ok(())
}

fn print_json(report: &RangeReport) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for v in &report.verdicts {
        writeln!(out, "{}", serde_json::to_string(v)?)?;
    }
    for n in &report.notices {
        writeln!(out, "{}", json!({"notice": n}))?;
    }
    for c in &report.chains {
        writeln!(out, "{}", json!({"chain": c}))?;
    }
    let count = |kind, backfill| {
        let (v, i) = report.counts(kind, backfill);
        json!({"valid": v, "invalid": i})
    };
    let summary = json!({
        "summary": {
            "digest_files": count(FileKind::Digest, false),
            "backfill_digest_files": count(FileKind::Digest, true),
            "log_files": count(FileKind::Log, false),
            "other_objects": count(FileKind::Object, false),
            "regions": report.regions,
            "found_start": report.found_start.map(display_time),
            "found_end": report.found_end.map(display_time),
            "organization_id": report.organization_id,
            "chains": report.chains.len(),
            "coverage_findings": report.coverage_findings(),
            "valid": !report.failed(),
        }
    });
    writeln!(out, "{summary}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_forms() {
        let want = Utc.with_ymd_and_hms(2026, 1, 15, 5, 21, 42).unwrap();
        assert_eq!(parse_time("2026-01-15T05:21:42Z").unwrap(), want);
        assert_eq!(parse_time("2026-01-15T07:21:42+02:00").unwrap(), want);
        assert_eq!(parse_time("2026-01-15T05:21:42").unwrap(), want);
        assert_eq!(
            parse_time("2026-01-15").unwrap(),
            Utc.with_ymd_and_hms(2026, 1, 15, 0, 0, 0).unwrap()
        );
        assert!(parse_time("yesterday").is_err());
    }
}
