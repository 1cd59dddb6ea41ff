//! `trailguard rules check` and `trailguard rules list`.

use std::path::PathBuf;
use std::process::ExitCode;

use trailguard::detect::Rule;
use trailguard::detect::{builtin, RuleErrorKind};
use trailguard::rules::{self, read_path};

use crate::rulesopt::RuleOptions;
use crate::CANNOT_RUN;

/// The `rules` subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Load every rule file given (files or folders) and report each: ok,
    /// or why not. Exit 1 if any failed.
    Check {
        /// Also define the placeholders (log bucket, trail, key) as configured.
        #[command(flatten)]
        rules: RuleOptions,
        /// Rule files or folders.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Show the rules that would run (the built-ins, plus any configured),
    /// with their severities and state.
    List {
        #[command(flatten)]
        rules: RuleOptions,
    },
}

/// Runs a `rules` subcommand.
pub async fn run(cmd: Command) -> ExitCode {
    match cmd {
        Command::Check { rules, paths } => check(&rules, &paths),
        Command::List { rules } => list(&rules).await,
    }
}

fn check(opts: &RuleOptions, paths: &[PathBuf]) -> ExitCode {
    let cfg = match opts.config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("trailguard: {e}");
            return ExitCode::from(CANNOT_RUN);
        }
    };
    let ph = rules::placeholders(&cfg);
    let (mut ok, mut failed, mut waiting) = (0, 0, 0);
    // The router loads the built-ins beside user rules: a user rule that
    // reuses a built-in's id would be refused there, so it is here.
    let builtin_ids: std::collections::HashMap<String, (&str, &str)> = builtin::sources()
        .iter()
        .filter_map(|(origin, text)| {
            Rule::from_yaml_with(text, origin, &rules::placeholders(&cfg))
                .ok()
                .map(|r| (r.id, (*origin, *text)))
        })
        .collect();
    let mut ids = std::collections::HashMap::new();
    for p in paths {
        let read = read_path(p);
        for e in &read.unreadable {
            println!("FAIL  {e}");
            failed += 1;
        }
        for f in read.files {
            match Rule::from_yaml_with(&f.text, &f.origin, &ph) {
                Ok(r) => {
                    let clash = builtin_ids
                        .get(&r.id)
                        .filter(|(_, text)| *text != f.text)
                        .map(|(origin, _)| origin.to_string());
                    if let Some(builtin) = clash {
                        println!(
                            "FAIL  {}: id {} is the id of the built-in {builtin}",
                            f.origin, r.id
                        );
                        failed += 1;
                    } else if let Some(first) = ids.insert(r.id.clone(), f.origin.clone()) {
                        println!("FAIL  {}: id {} is also the id of {first}", f.origin, r.id);
                        failed += 1;
                    } else {
                        println!("ok    {}  {}  {}  {}", f.origin, r.id, r.level, r.title);
                        ok += 1;
                    }
                }
                Err(e) if matches!(e.kind.as_ref(), RuleErrorKind::Placeholder { .. }) => {
                    println!("wait  {e}");
                    waiting += 1;
                }
                Err(e) => {
                    println!("FAIL  {e}");
                    failed += 1;
                }
            }
        }
    }
    eprintln!("{ok} ok, {failed} failed, {waiting} waiting for configuration");
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

async fn list(opts: &RuleOptions) -> ExitCode {
    let cfg = match opts.config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("trailguard: {e}");
            return ExitCode::from(CANNOT_RUN);
        }
    };
    let loaded = match opts.load_lenient().await {
        Ok(l) => l,
        Err(code) => return code,
    };
    let active: std::collections::HashSet<&str> = loaded
        .detector
        .rules()
        .rules()
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    let dropped: std::collections::HashMap<&str, &str> = loaded
        .detector
        .dropped
        .iter()
        .map(|(id, why)| (id.as_str(), *why))
        .collect();
    let ph = rules::placeholders(&cfg);
    println!(
        "{:<9} {:<14} {:<36} {:<44} TITLE",
        "SEVERITY", "STATE", "ID", "ORIGIN"
    );
    let mut rows: Vec<(String, String, String, String, String)> = Vec::new();
    if cfg.builtin {
        for (origin, text) in builtin::sources() {
            match Rule::from_yaml_with(text, origin, &ph) {
                Ok(r) => rows.push((
                    loaded.detector.tuning().level(&r.id, r.level).to_string(),
                    state(&r.id, &active, &dropped),
                    r.id.clone(),
                    origin.to_string(),
                    r.title.clone(),
                )),
                Err(e) => rows.push((
                    "-".into(),
                    "inactive".into(),
                    e.id.clone().unwrap_or_default(),
                    origin.to_string(),
                    e.kind.to_string(),
                )),
            }
        }
    }
    for r in loaded.detector.rules().rules() {
        if !r.origin.starts_with("builtin/") {
            rows.push((
                loaded.detector.tuning().level(&r.id, r.level).to_string(),
                "active".into(),
                r.id.clone(),
                r.origin.clone(),
                r.title.clone(),
            ));
        }
    }
    for e in &loaded.rejected {
        rows.push((
            "-".into(),
            "rejected".into(),
            e.id.clone().unwrap_or_default(),
            e.origin.clone(),
            e.kind.to_string(),
        ));
    }
    for (sev, st, id, origin, title) in rows {
        println!("{sev:<9} {st:<14} {id:<36} {origin:<44} {title}");
    }
    eprintln!(
        "{} rules active at {} and above; {} inactive (need configuration); {} off or below the floor",
        loaded.active(),
        loaded.detector.min_level(),
        loaded.inactive.len(),
        loaded.detector.dropped.len()
    );
    ExitCode::SUCCESS
}

fn state(
    id: &str,
    active: &std::collections::HashSet<&str>,
    dropped: &std::collections::HashMap<&str, &str>,
) -> String {
    if active.contains(id) {
        "active".into()
    } else if let Some(why) = dropped.get(id) {
        match *why {
            "disabled" => "disabled".into(),
            _ => "below floor".into(),
        }
    } else {
        "inactive".into()
    }
}
