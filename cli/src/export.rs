//! `trailguard export`: a range of a trail copied to a folder with what a
//! plain copy loses (each digest's signature metadata, each object's
//! encryption), the listings, the public keys and the trail's status, so
//! that `trailguard validate --from-dir` proves the same without the
//! account: the evidence bundle an auditor checks.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::Utc;
use trailguard::aws::{load_config, CloudTrailApi, S3Store};
use trailguard::integrity::verdict::FileKind;
use trailguard::validate::{self, KeyCache};

use crate::offline::{Manifest, Recorder, FORMAT};
use crate::validate::{progress_bar, Bar, Selection};
use crate::CANNOT_RUN;

/// `export`'s flags.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    sel: Selection,
    /// The folder to write the copy to (created; an earlier copy's files
    /// are overwritten).
    #[arg(long, value_name = "DIR")]
    to: PathBuf,
}

/// Copies the range while validating it (the validation decides what is
/// evidence: every digest, its predecessor, every log file listed or
/// lying in the range's folders). Exit status 0 when the copy was
/// written, whatever it holds; 2 when it could not be.
pub async fn run(args: Args) -> ExitCode {
    let fail = |e: &dyn std::fmt::Display| {
        eprintln!("trailguard: {e}");
        ExitCode::from(CANNOT_RUN)
    };
    let mut cfg = match trailguard::config::validator_from(|k: &str| std::env::var(k).ok()) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    cfg.concurrency = args.sel.jobs as usize;
    let req = match args.sel.request(None) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let sdk = load_config().await;
    let ct = Arc::new(CloudTrailApi::new(&sdk));
    let recorder = match Recorder::new(S3Store::new(&sdk), ct.clone(), &args.to) {
        Ok(r) => Arc::new(r),
        Err(e) => return fail(&e),
    };
    let keys = KeyCache::new(recorder.clone());
    let bar = progress_bar();
    let result =
        validate::validate_range(&recorder, &keys, &ct, &req, &cfg, &Bar(bar.clone())).await;
    bar.finish_and_clear();
    let report = match result {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let written = recorder
        .finish(
            &report.bucket,
            cfg.max_object_bytes,
            |listings, folders, objects| Manifest {
                format: FORMAT.into(),
                trail_arn: req.trail_arn.clone(),
                bucket: report.bucket.clone(),
                prefix: report.prefix.clone(),
                account_id: req.account_id.clone(),
                organization_id: report.organization_id.clone(),
                regions: req.regions.clone(),
                start: req.start,
                end: req.end,
                exported_at: Utc::now(),
                activity: report.activity,
                listings,
                folders,
                objects,
                too_large: Default::default(),
            },
        )
        .await;
    let count = match written {
        Ok(n) => n,
        Err(e) => return fail(&e),
    };
    let (vd, id) = report.counts(FileKind::Digest, false);
    let (vl, il) = report.counts(FileKind::Log, false);
    println!(
        "Exported {count} objects of {} ({} to {}) to {}: {} digest and {} log files, {} chain(s).",
        req.trail_arn,
        validate::display_time(req.start),
        validate::display_time(req.end),
        args.to.display(),
        vd + id,
        vl + il,
        report.chains.len()
    );
    if report.failed() {
        println!(
            "As exported, {} file(s) are invalid and {} coverage gap(s) are findings: `trailguard validate --from-dir {}` lists them.",
            report.verdicts.iter().filter(|v| !v.is_valid()).count(),
            report.coverage_findings(),
            args.to.display()
        );
    }
    ExitCode::SUCCESS
}
