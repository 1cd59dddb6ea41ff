//! `trailguard validate`: printing and exit status around
//! [`trailguard::validate::validate_range`].

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use std::path::PathBuf;

use trailguard::aws::{load_config, CloudTrailApi, S3StateObject, S3Store, SdkConfig};
use trailguard::integrity::verdict::{FileKind, Verdict};
use trailguard::ports::{ObjectStore, PublicKeys, StateStore, Trails};
use trailguard::validate::state::RangeState;
use trailguard::validate::{
    self, display_time, KeyCache, Progress, RangeReport, RangeRequest, ValidatorConfig,
};

use crate::offline::{DirStore, FileKeys, Manifest};
use crate::{Output, CANNOT_RUN};

/// Which trail, range, accounts and regions: the flags of `aws cloudtrail
/// validate-logs`, and a few more. Shared by `validate` and `export`.
#[derive(clap::Args, Clone)]
pub struct Selection {
    /// ARN of the trail to validate (with --from-dir: the copy's).
    #[arg(long)]
    pub trail_arn: Option<String>,
    /// Validate files delivered on or after this UTC time (e.g. 2026-01-15T00:00:00Z).
    #[arg(long, value_parser = parse_time)]
    pub start_time: Option<DateTime<Utc>>,
    /// Validate files delivered on or before this UTC time (default: now).
    #[arg(long, value_parser = parse_time)]
    pub end_time: Option<DateTime<Utc>>,
    /// The bucket holding the digests, when not the trail's current bucket.
    #[arg(long)]
    pub s3_bucket: Option<String>,
    /// The key prefix, when not the trail's current prefix.
    #[arg(long)]
    pub s3_prefix: Option<String>,
    /// Only this account's chains (organization trails; default: every account).
    #[arg(long)]
    pub account_id: Option<String>,
    /// The organization ID of an organization trail (found in the bucket when omitted).
    #[arg(long)]
    pub organization_id: Option<String>,
    /// Validate only this region's chain (repeatable; default: every region with digests).
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// How many files to fetch and hash at once.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=512))]
    pub jobs: u16,
}

impl Selection {
    /// The request, with `fallback` (a copy's manifest) for what is not given.
    pub fn request(&self, fallback: Option<&Manifest>) -> Result<RangeRequest, String> {
        let trail_arn = self
            .trail_arn
            .clone()
            .or_else(|| fallback.map(|m| m.trail_arn.clone()))
            .ok_or("--trail-arn is required")?;
        let start = self
            .start_time
            .or_else(|| fallback.map(|m| m.start))
            .ok_or("--start-time is required")?;
        let end = self
            .end_time
            .or_else(|| fallback.map(|m| m.end))
            .unwrap_or_else(Utc::now);
        let or = |given: &Option<String>, copy: Option<&Option<String>>| {
            given.clone().or_else(|| copy.cloned().flatten())
        };
        Ok(RangeRequest {
            trail_arn,
            start,
            end,
            bucket: or(
                &self.s3_bucket,
                fallback.map(|m| Some(m.bucket.clone())).as_ref(),
            ),
            prefix: or(&self.s3_prefix, fallback.map(|m| &m.prefix)),
            account_id: or(&self.account_id, fallback.map(|m| &m.account_id)),
            organization_id: or(&self.organization_id, fallback.map(|m| &m.organization_id)),
            regions: if self.regions.is_empty() {
                fallback.map(|m| m.regions.clone()).unwrap_or_default()
            } else {
                self.regions.clone()
            },
            now: Utc::now(),
            resume: None,
        })
    }
}

/// `validate`'s flags.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    sel: Selection,
    /// Validate a copy made by `trailguard export` instead of S3.
    #[arg(long, value_name = "DIR")]
    from_dir: Option<PathBuf>,
    /// CloudTrail's public keys, as `aws cloudtrail list-public-keys` prints
    /// them (repeatable; default: ListPublicKeys).
    #[arg(long = "public-keys", value_name = "FILE")]
    public_keys: Vec<PathBuf>,
    /// Remember the digests verified in FILE or s3://BUCKET/KEY, and fetch
    /// only what is new on the next run (the link to the last verified
    /// digest is still checked).
    #[arg(long, value_name = "FILE|s3://BUCKET/KEY")]
    state: Option<String>,
    /// Print valid files too.
    #[arg(long)]
    verbose: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
}

pub(crate) fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
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

/// indicatif's bar as the validation's progress.
pub struct Bar(pub ProgressBar);

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
    let mut cfg = match trailguard::config::validator_from(|k: &str| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => return cannot_run(e),
    };
    cfg.concurrency = args.sel.jobs as usize;
    let copy = match args.from_dir.as_deref().map(DirStore::open).transpose() {
        Ok(c) => c,
        Err(e) => return cannot_run(e),
    };
    let mut req = match args.sel.request(copy.as_ref().map(DirStore::manifest)) {
        Ok(r) => r,
        Err(e) => return cannot_run(e),
    };
    let state_at = match args.state.as_deref().map(StateAt::parse).transpose() {
        Ok(s) => s,
        Err(e) => return cannot_run(e),
    };
    let files = if args.public_keys.is_empty() {
        None
    } else {
        match FileKeys::read(&args.public_keys) {
            Ok(k) => Some(KeyCache::new(k)),
            Err(e) => return cannot_run(e),
        }
    };
    // AWS is asked only for what the copy and the files do not give.
    let sdk = if copy.is_none() || files.is_none() || matches!(state_at, Some(StateAt::S3 { .. })) {
        Some(load_config().await)
    } else {
        None
    };
    if let Some(at) = &state_at {
        match at.load(sdk.as_ref(), &req.trail_arn).await {
            Ok(s) => req.resume = Some(s),
            Err(e) => return cannot_run(e),
        }
    }
    let ct = sdk
        .as_ref()
        .map(|s| std::sync::Arc::new(CloudTrailApi::new(s)));
    let api_keys = ct.clone().map(KeyCache::new);
    let result = match (&copy, &files, &api_keys, &ct) {
        (Some(dir), Some(keys), _, _) => check(&args, &req, &cfg, dir, keys, dir).await,
        (Some(dir), None, Some(keys), _) => check(&args, &req, &cfg, dir, keys, dir).await,
        (None, Some(keys), _, Some(ct)) => {
            let store = S3Store::new(sdk.as_ref().expect("loaded with the clients"));
            check(&args, &req, &cfg, &store, keys, ct).await
        }
        (None, None, Some(keys), Some(ct)) => {
            let store = S3Store::new(sdk.as_ref().expect("loaded with the clients"));
            check(&args, &req, &cfg, &store, keys, ct).await
        }
        _ => Err("no source of objects or keys".to_string()),
    };
    let report = match result {
        Ok(r) => r,
        Err(e) => return cannot_run(e),
    };
    if let (Some(at), Some(st)) = (&state_at, &report.state) {
        if let Err(e) = at.save(sdk.as_ref(), st).await {
            return cannot_run(e);
        }
    }
    if report.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Where `--state` keeps what was verified.
enum StateAt {
    File(PathBuf),
    S3 { bucket: String, key: String },
}

impl StateAt {
    fn parse(s: &str) -> Result<Self, String> {
        match s.strip_prefix("s3://") {
            Some(rest) => match rest.split_once('/') {
                Some((b, k)) if !b.is_empty() && !k.is_empty() && !k.ends_with('/') => {
                    Ok(Self::S3 {
                        bucket: b.into(),
                        key: k.into(),
                    })
                }
                _ => Err(format!("--state {s}: expected s3://BUCKET/KEY")),
            },
            None => Ok(Self::File(PathBuf::from(s))),
        }
    }

    /// The stored state, or a fresh one when there is none yet.
    async fn load(&self, sdk: Option<&SdkConfig>, trail_arn: &str) -> Result<RangeState, String> {
        let text = match (self, sdk) {
            (Self::File(p), _) => match std::fs::read_to_string(p) {
                Ok(t) => Some(t),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(format!("--state {}: {e}", p.display())),
            },
            (Self::S3 { bucket, key }, Some(sdk)) => S3StateObject::new(sdk, bucket, key)
                .load()
                .await
                .map_err(|e| format!("--state: {e}"))?,
            (Self::S3 { .. }, None) => return Err("--state s3://: no AWS configuration".into()),
        };
        match text {
            Some(t) => RangeState::parse(&t).map_err(|e| format!("--state: {e}")),
            None => Ok(RangeState::new(trail_arn, "")),
        }
    }

    async fn save(&self, sdk: Option<&SdkConfig>, state: &RangeState) -> Result<(), String> {
        let text = state.render();
        match (self, sdk) {
            (Self::File(p), _) => {
                // Replaced whole, never left half written.
                let tmp = p.with_extension("tmp");
                std::fs::write(&tmp, &text)
                    .and_then(|()| std::fs::rename(&tmp, p))
                    .map_err(|e| format!("--state {}: {e}", p.display()))
            }
            (Self::S3 { bucket, key }, Some(sdk)) => S3StateObject::new(sdk, bucket, key)
                .save(&text)
                .await
                .map_err(|e| format!("--state: {e}")),
            (Self::S3 { .. }, None) => Err("--state s3://: no AWS configuration".into()),
        }
    }
}

fn cannot_run(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("trailguard: {e}");
    ExitCode::from(CANNOT_RUN)
}

/// Validates and prints.
async fn check<S: ObjectStore, K: PublicKeys, T: Trails>(
    args: &Args,
    req: &RangeRequest,
    cfg: &ValidatorConfig,
    store: &S,
    keys: &KeyCache<K>,
    trails: &T,
) -> Result<RangeReport, String> {
    if args.output == Output::Text {
        println!(
            "Validating log files for trail {} between {} and {}\n",
            req.trail_arn,
            display_time(req.start),
            display_time(req.end)
        );
    }
    let bar = progress_bar();
    let result = validate::validate_range(store, keys, trails, req, cfg, &Bar(bar.clone())).await;
    bar.finish_and_clear();
    let report = result.map_err(|e| e.to_string())?;
    let printed = match args.output {
        Output::Text => print_text(args, req, &report),
        Output::Json => print_json(&report),
    };
    printed.map_err(|e| format!("cannot write output: {e}"))?;
    Ok(report)
}

/// A progress bar with its ETA on standard error, when that is a terminal.
pub fn progress_bar() -> ProgressBar {
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
    bar
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
    if vd + id + vb + ib == 0 && report.remembered == 0 {
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
    if report.remembered > 0 {
        write!(
            out,
            "\n{} digest files verified by an earlier run (--state), not fetched again",
            report.remembered
        )?;
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
            "remembered_digest_files": report.remembered,
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
