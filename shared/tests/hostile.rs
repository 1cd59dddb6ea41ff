//! The hostile-input corpus (tests/hostile/files, written by
//! scripts/make-hostile-corpus.py) run through the parsers that see outside
//! bytes, each against the outcome tests/hostile/manifest.json expects.
//! Also replays every input the fuzzers ever crashed on
//! (tests/hostile/fuzz/<target>/): they must now give an outcome, not a
//! panic.
//!
//! Caps are lowered to 16 MiB inflated so the gzip bombs (64 MiB) hit them.
//! `TRAILGUARD_HOSTILE_PRINT=1` prints every outcome (to write a new case's
//! expectation after checking it by eye).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use trailguard::cloudtrail::events::{decode_invocation, decode_s3_key, Invocation};
use trailguard::cloudtrail::keys::{classify, ObjectKind};
use trailguard::cloudtrail::{cwlogs, input};
use trailguard::detect::Rule;
use trailguard::integrity::{chain, logfile};

const CAP: u64 = 16 << 20;
const LOG_KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/15/111122223333_CloudTrail_us-east-1_20260115T0005Z_abcdefgh12345678.json.gz";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/hostile")
}

fn short(s: String) -> String {
    s.chars().take(160).collect()
}

fn log_outcome(bytes: &[u8]) -> String {
    let ObjectKind::Log(key) = classify(LOG_KEY) else {
        unreachable!("fixed log key")
    };
    let exp = logfile::Expectations {
        accounts: vec!["111122223333".into()],
        max_inflated_bytes: CAP,
        ..Default::default()
    };
    let c = logfile::check_content(&key, bytes, &exp);
    if c.problems.is_empty() {
        return format!("valid records={}", c.records);
    }
    let texts: Vec<String> = c
        .problems
        .iter()
        .map(|p| format!("{}: {}", p.code(), p.text()))
        .collect();
    short(format!("invalid {}", texts.join("; ")))
}

fn scan_outcome(bytes: &[u8]) -> String {
    let limits = input::Limits {
        max_inflated: CAP,
        max_base64: 8 << 20,
    };
    match input::read_records(bytes, &limits) {
        Ok(b) => format!(
            "ok {} records={} rejected={}",
            b.format.name(),
            b.records.len(),
            b.rejected.len()
        ),
        Err(e) => short(format!("error {e}")),
    }
}

fn digest_outcome(bytes: &[u8]) -> String {
    let meta: HashMap<String, String> = [
        ("signature", "00"),
        ("signature-algorithm", "SHA256withRSA"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    match chain::parse(bytes, &meta, false, CAP) {
        Ok(p) => {
            let buckets: BTreeSet<&str> = p
                .digest
                .log_files
                .iter()
                .map(|f| f.s3_bucket.as_str())
                .collect();
            format!("ok files={} buckets={buckets:?}", p.digest.log_files.len())
        }
        Err(r) => short(format!("invalid {}: {}", r.code(), r.text())),
    }
}

fn cwlogs_outcome(bytes: &[u8]) -> String {
    let v: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => return short(format!("error not JSON: {e}")),
    };
    match cwlogs::decode(&v, 8 << 20, CAP) {
        Ok(cwlogs::LogsMessage::Control) => "control".into(),
        Ok(cwlogs::LogsMessage::Data(m)) => {
            let (records, rejected) = cwlogs::records(&m);
            format!(
                "data events={} records={} rejected={}",
                m.log_events.len(),
                records.len(),
                rejected.len()
            )
        }
        Err(e) => short(format!("error {e}")),
    }
}

fn event_outcome(bytes: &[u8]) -> String {
    let v: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => return short(format!("error not JSON: {e}")),
    };
    match decode_invocation(&v) {
        Ok(Invocation::TestEvent) => "test event".into(),
        Ok(Invocation::Direct(evs)) => {
            let keys: Vec<&str> = evs.iter().map(|e| e.key.as_str()).collect();
            short(format!("keys={keys:?}"))
        }
        Ok(Invocation::Queue(msgs)) => {
            let each: Vec<String> = msgs
                .iter()
                .map(|m| match &m.events {
                    Ok(evs) => format!("{} keys", evs.len()),
                    Err(e) => format!("failed: {e}"),
                })
                .collect();
            short(format!("queue {each:?}"))
        }
        Err(e) => short(format!("error {e}")),
    }
}

fn key_outcome(bytes: &[u8]) -> String {
    let raw = String::from_utf8_lossy(bytes);
    match decode_s3_key(&raw) {
        Ok(k) => format!("key={k:?}"),
        Err(e) => short(format!("error {e}")),
    }
}

fn rule_outcome(bytes: &[u8], case: &Value) -> String {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return "error not UTF-8".into();
    };
    match Rule::from_yaml(text, "hostile.yml") {
        Ok(rule) => {
            let record = case.get("record").cloned().unwrap_or(json!({}));
            format!("loaded matches={}", rule.matches(&record))
        }
        Err(e) => short(format!("error {e}")),
    }
}

/// What one parser makes of one input, as a line a person can read.
fn outcome(kind: &str, bytes: &[u8], case: &Value) -> String {
    match kind {
        "log" => log_outcome(bytes),
        "scan" => scan_outcome(bytes),
        "digest" => digest_outcome(bytes),
        "cwlogs" => cwlogs_outcome(bytes),
        "event" => event_outcome(bytes),
        "key" => key_outcome(bytes),
        "rule" => rule_outcome(bytes, case),
        other => panic!("unknown kind {other}"),
    }
}

#[test]
fn every_hostile_input_gives_its_expected_outcome() {
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(root().join("manifest.json")).expect("tests/hostile/manifest.json"),
    )
    .expect("manifest JSON");
    let print = std::env::var_os("TRAILGUARD_HOSTILE_PRINT").is_some();
    let mut failures = Vec::new();
    let cases = manifest["cases"].as_array().expect("cases");
    for case in cases {
        let kind = case["as"].as_str().expect("as");
        let bytes = match (
            case.get("file").and_then(Value::as_str),
            case.get("text").and_then(Value::as_str),
        ) {
            (Some(f), _) => {
                std::fs::read(root().join("files").join(f)).unwrap_or_else(|e| panic!("{f}: {e}"))
            }
            (None, Some(t)) => t.as_bytes().to_vec(),
            _ => panic!("a case needs file or text: {case}"),
        };
        let got = outcome(kind, &bytes, case);
        let want = case["expect"].as_str().unwrap_or("");
        let name = case
            .get("file")
            .or(case.get("text"))
            .cloned()
            .unwrap_or_default();
        if print {
            println!("{kind} {name}\n    {got}");
        }
        if want.is_empty() || !got.starts_with(want) {
            failures.push(format!("{kind} {name}:\n    want {want}\n    got  {got}"));
        }
    }
    // Every file of the corpus has a case.
    for entry in std::fs::read_dir(root().join("files")).expect("tests/hostile/files") {
        let f = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .to_string();
        if !cases.iter().any(|c| c["file"] == f.as_str()) {
            failures.push(format!("{f}: no case in manifest.json"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Inputs that crashed a fuzz target once (tests/hostile/fuzz/<target>/),
/// replayed through the parsers that target drives.
#[test]
fn fuzz_regressions_give_an_outcome() {
    let targets = std::fs::read_dir(root().join("fuzz")).expect("tests/hostile/fuzz");
    let kinds = HashMap::from([
        ("s3_event", vec!["event", "key"]),
        ("log_file", vec!["log", "scan"]),
        ("digest", vec!["digest"]),
        ("cwlogs", vec!["cwlogs", "scan"]),
        ("sigma_rule", vec!["rule"]),
    ]);
    for t in targets {
        let t = t.expect("entry").path();
        if !t.is_dir() {
            continue;
        }
        let target = t
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let Some(kinds) = kinds.get(target.as_str()) else {
            panic!("tests/hostile/fuzz/{target}: not a fuzz target");
        };
        for f in std::fs::read_dir(&t).expect("dir") {
            let bytes = std::fs::read(f.expect("entry").path()).expect("read");
            for kind in kinds {
                assert!(!outcome(kind, &bytes, &json!({})).is_empty());
            }
        }
    }
}
