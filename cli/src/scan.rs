//! `trailguard scan`: the alert router's rules over CloudTrail files on
//! disk, for incident response over months of logs pulled from S3 and for
//! trying rules before deploying them.
//!
//! Files are read and evaluated on every core; alerts are printed in input
//! order as soon as the files before them are done, so output is stable
//! from run to run and a pipe sees results while a long scan goes on.

use std::collections::{BTreeMap, HashSet};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};

use indicatif::{ProgressBar, ProgressStyle};
use trailguard::alert::detection::{matches, Alert};
use trailguard::alert::render::{self, severity_tag};
use trailguard::cloudtrail::input::{read_records, Limits};
use trailguard::detect::{Detector, Level};

use crate::rulesopt::RuleOptions;
use crate::{Output, CANNOT_RUN};

/// `trailguard scan` flags.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    rules: RuleOptions,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    output: Output,
    /// Files or folders to scan (recursively): CloudTrail log files (.json,
    /// .json.gz), JSON arrays or lines of records, CloudWatch Logs events
    /// or LookupEvents output; `-` for standard input.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

/// One input: a file, or standard input.
#[derive(Debug, Clone)]
enum Input {
    File(PathBuf),
    Stdin,
}

impl Input {
    fn name(&self) -> String {
        match self {
            Input::File(p) => p.display().to_string(),
            Input::Stdin => "-".into(),
        }
    }
}

/// Whether a file found by walking a folder is worth reading: digests and
/// hidden files are not CloudTrail records.
fn wanted(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    if name.starts_with('.')
        || path
            .components()
            .any(|c| c.as_os_str() == "CloudTrail-Digest")
    {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    [".json", ".json.gz", ".gz", ".jsonl", ".ndjson", ".log"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

fn collect(paths: &[PathBuf], out: &mut Vec<Input>, errors: &mut Vec<String>) {
    let mut stdin_seen = false;
    for p in paths {
        if p.as_os_str() == "-" {
            // Standard input can be read once.
            if !stdin_seen {
                out.push(Input::Stdin);
                stdin_seen = true;
            }
            continue;
        }
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => walk(p, out, errors),
            Ok(_) => out.push(Input::File(p.clone())),
            Err(e) => errors.push(format!("{}: {e}", p.display())),
        }
    }
}

/// Walks a folder in name order. Symbolic links are not followed (a link
/// loop cannot trap the walk), hidden entries are skipped, and an entry
/// that cannot be read is reported.
fn walk(dir: &Path, out: &mut Vec<Input>, errors: &mut Vec<String>) {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            errors.push(format!("{}: {e}", dir.display()));
            return;
        }
    };
    let mut entries = Vec::new();
    for e in rd {
        match e {
            Ok(e) => entries.push(e),
            Err(err) => errors.push(format!("{}: {err}", dir.display())),
        }
    }
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        match e.file_type() {
            Ok(t) if t.is_dir() => walk(&p, out, errors),
            Ok(t) if t.is_file() && wanted(&p) => out.push(Input::File(p)),
            Ok(_) => {}
            Err(err) => errors.push(format!("{}: {err}", p.display())),
        }
    }
}

/// What one input gave.
struct FileResult {
    alerts: Vec<Alert>,
    records: usize,
    rejected: usize,
    error: Option<String>,
}

fn scan_one(input: &Input, detector: &Detector, limits: &Limits) -> FileResult {
    let bytes = match input {
        Input::File(p) => match std::fs::metadata(p) {
            Ok(m) if m.len() > limits.max_inflated => Err(std::io::Error::other(format!(
                "{} bytes, over the {} byte limit",
                m.len(),
                limits.max_inflated
            ))),
            _ => std::fs::read(p),
        },
        Input::Stdin => {
            let mut b = Vec::new();
            std::io::stdin().read_to_end(&mut b).map(|_| b)
        }
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            return FileResult {
                alerts: Vec::new(),
                records: 0,
                rejected: 0,
                error: Some(format!("{}: {e}", input.name())),
            }
        }
    };
    match read_records(&bytes, limits) {
        Err(e) => FileResult {
            alerts: Vec::new(),
            records: 0,
            rejected: 0,
            error: Some(format!("{}: {e}", input.name())),
        },
        Ok(batch) => {
            for r in batch.rejected.iter().take(5) {
                eprintln!("trailguard scan: {}: {r} (skipped)", input.name());
            }
            if batch.rejected.len() > 5 {
                eprintln!(
                    "trailguard scan: {}: {} more elements skipped",
                    input.name(),
                    batch.rejected.len() - 5
                );
            }
            let (alerts, _) = matches(detector, &batch.records);
            FileResult {
                alerts,
                records: batch.records.len(),
                rejected: batch.rejected.len(),
                error: None,
            }
        }
    }
}

/// Log fields printed to a terminal lose their control characters: a
/// hostile log must not drive the reader's terminal.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn text_line(a: &Alert) -> String {
    clean(&format!(
        "{}  {:<8}  {}  {}  {}  {}  {}  {}  [{}]  eventID={}",
        a.event_time,
        severity_tag(a.severity),
        a.event_name,
        a.principal.as_deref().unwrap_or("-"),
        a.source_ip.as_deref().unwrap_or("-"),
        a.aws_region.as_deref().unwrap_or("-"),
        a.recipient_account_id.as_deref().unwrap_or("-"),
        a.title,
        a.rule,
        a.event_id
    ))
}

/// Runs the command.
pub async fn run(args: Args) -> ExitCode {
    let loaded = match args.rules.load().await {
        Ok(l) => l,
        Err(code) => return code,
    };
    let detector = loaded.detector;
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    collect(&args.paths, &mut inputs, &mut errors);
    let limits = Limits::default();
    let bar = ProgressBar::new(inputs.len() as u64);
    if std::io::stderr().is_terminal() && inputs.len() > 1 {
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} files {per_sec} {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(inputs.len().max(1));
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, FileResult)>();
    let out = Mutex::new(std::io::stdout().lock());
    let mut totals = Totals::default();
    std::thread::scope(|s| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, inputs, detector, limits) = (&next, &inputs, &detector, &limits);
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(input) = inputs.get(i) else { break };
                if tx.send((i, scan_one(input, detector, limits))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        // Print in input order: hold results that finish early.
        let mut pending: BTreeMap<usize, FileResult> = BTreeMap::new();
        let mut want = 0;
        for (i, r) in rx {
            bar.inc(1);
            pending.insert(i, r);
            while let Some(r) = pending.remove(&want) {
                totals.add(r, args.output, &out, &bar, &mut errors);
                want += 1;
            }
        }
    });
    bar.finish_and_clear();
    for e in &errors {
        eprintln!("trailguard scan: cannot read {e}");
    }
    eprintln!("{}", totals.summary(inputs.len(), &detector));
    if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(CANNOT_RUN)
    }
}

#[derive(Default)]
struct Totals {
    records: usize,
    rejected: usize,
    alerts: usize,
    duplicates: usize,
    by_level: BTreeMap<Level, usize>,
    seen: HashSet<(String, String)>,
}

impl Totals {
    fn add(
        &mut self,
        r: FileResult,
        output: Output,
        out: &Mutex<std::io::StdoutLock<'_>>,
        bar: &ProgressBar,
        errors: &mut Vec<String>,
    ) {
        self.records += r.records;
        self.rejected += r.rejected;
        if let Some(e) = r.error {
            errors.push(e);
        }
        let mut lines = String::new();
        for a in r.alerts {
            // CloudTrail can deliver an event twice, in two files.
            if !a.event_id.is_empty() && !self.seen.insert((a.rule.clone(), a.event_id.clone())) {
                self.duplicates += 1;
                continue;
            }
            self.alerts += 1;
            *self.by_level.entry(a.severity).or_default() += 1;
            match output {
                Output::Text => lines.push_str(&text_line(&a)),
                Output::Json => lines.push_str(&render::json(&a).to_string()),
            }
            lines.push('\n');
        }
        if !lines.is_empty() {
            bar.suspend(|| {
                if let Ok(mut o) = out.lock() {
                    // A closed pipe (`| head`) ends output, not the scan's verdict.
                    let _ = o.write_all(lines.as_bytes());
                }
            });
        }
    }

    fn summary(&self, files: usize, detector: &Detector) -> String {
        let levels: Vec<String> = self
            .by_level
            .iter()
            .rev()
            .map(|(l, n)| format!("{l} {n}"))
            .collect();
        format!(
            "trailguard scan: {files} input(s), {} records ({} not CloudTrail records), \
             {} rules at {} and above, {} alert(s){}{}",
            self.records,
            self.rejected,
            detector.rules().len(),
            detector.min_level(),
            self.alerts,
            if levels.is_empty() {
                String::new()
            } else {
                format!(" ({})", levels.join(", "))
            },
            if self.duplicates > 0 {
                format!(", {} duplicate event(s) skipped", self.duplicates)
            } else {
                String::new()
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_walks_skip_digests_and_hidden_files() {
        assert!(wanted(Path::new(
            "a/AWSLogs/1/CloudTrail/us-east-1/2026/01/01/x.json.gz"
        )));
        assert!(!wanted(Path::new(
            "a/AWSLogs/1/CloudTrail-Digest/us-east-1/2026/01/01/x.json.gz"
        )));
        assert!(!wanted(Path::new("a/.hidden.json")));
        assert!(!wanted(Path::new("a/readme.md")));
        assert!(wanted(Path::new("events.jsonl")));
    }

    #[test]
    fn walks_do_not_follow_links_and_stdin_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("a/.git")).unwrap();
        std::fs::write(d.join("a/x.json"), "{}").unwrap();
        std::fs::write(d.join("a/.git/y.json"), "{}").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(d, d.join("a/loop")).unwrap();
        let (mut out, mut errors) = (Vec::new(), Vec::new());
        collect(
            &[d.to_path_buf(), PathBuf::from("-"), PathBuf::from("-")],
            &mut out,
            &mut errors,
        );
        let names: Vec<String> = out.iter().map(Input::name).collect();
        assert_eq!(
            names,
            vec![d.join("a/x.json").display().to_string(), "-".to_string()]
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(clean("a\x1b[31mb\n"), "a?[31mb?");
    }
}
