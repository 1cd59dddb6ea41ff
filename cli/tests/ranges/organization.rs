//! `trailguard validate` over an organization trail and over silences: every
//! account × region chain found and validated in one run, a table of what
//! each chain proves, and a chain (or a whole range) without digests where
//! they were due reported as a finding with a non-zero exit.

use std::collections::BTreeSet;

use serde_json::Value;
use trailguard::synth::{generate, RegionKeys, TrailSpec};
use trailguard_e2e::*;

fn trailguard_bin() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_BIN_EXE_trailguard"))
}

const ORG: &str = "o-a1b2c3d4e5";
const MANAGEMENT: &str = "111122223333";
const MEMBERS: [&str; 2] = ["444455556666", "777788889999"];
const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
const START: &str = "2026-01-15T00:00:00Z";
const END: &str = "2026-01-15T04:00:00Z";

/// The organization trail's spec for one account (the trail lives in the
/// management account; every account's logs go under `AWSLogs/O-ID/`).
fn spec(account: &str, hours: u32) -> TrailSpec {
    TrailSpec {
        org_id: Some(ORG.into()),
        account: account.into(),
        regions: REGIONS.iter().map(|r| r.to_string()).collect(),
        hours,
        logs_per_hour: 2,
        records_per_log: 5,
        seed: account.bytes().map(u64::from).sum(),
        ..TrailSpec::default()
    }
}

/// Writes an organization trail whose accounts delivered `hours` each.
async fn org(emu: &Emulator, hours: &[(&str, u32)]) -> aws_sdk_s3::Client {
    let keys = RegionKeys::generate(&REGIONS.map(String::from));
    emu.register_keys(&keys);
    let s3 = s3(&emu.sdk_config().await);
    create_bucket(&s3, &spec(MANAGEMENT, 1).bucket).await;
    for (account, h) in hours {
        let spec = spec(account, *h);
        for o in generate(&spec, &keys).objects {
            put(&s3, &spec.bucket, &o, None).await;
        }
    }
    s3
}

fn validate(emu: &Emulator, extra: &[&str]) -> Run {
    let arn = spec(MANAGEMENT, 1).trail_arn();
    let bucket = spec(MANAGEMENT, 1).bucket;
    let mut args = vec![
        "validate",
        "--trail-arn",
        &arn,
        "--start-time",
        START,
        "--end-time",
        END,
        "--s3-bucket",
        &bucket,
        "--output",
        "json",
    ];
    args.extend_from_slice(extra);
    run(&trailguard_bin(), &args, emu, &[])
}

fn lines(r: &Run) -> Vec<Value> {
    r.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn chains(r: &Run) -> Vec<Value> {
    lines(r)
        .into_iter()
        .filter_map(|l| l.get("chain").cloned())
        .collect()
}

fn summary(r: &Run) -> Value {
    lines(r)
        .into_iter()
        .find_map(|l| l.get("summary").cloned())
        .expect("a summary line")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_chain_of_an_organization_trail_is_validated_in_one_run() {
    let emu = Emulator::start();
    let all: Vec<(&str, u32)> = std::iter::once(MANAGEMENT)
        .chain(MEMBERS)
        .map(|a| (a, 4))
        .collect();
    org(&emu, &all).await;
    // The organization named, or found in the bucket from the ARN's account.
    for extra in [&["--organization-id", ORG][..], &[]] {
        let r = validate(&emu, extra);
        assert_eq!(r.code, 0, "{extra:?}\n{}{}", r.stdout, r.stderr);
        let got: BTreeSet<(String, String)> = chains(&r)
            .iter()
            .map(|c| {
                assert_eq!(c["hours_covered"], 4.0, "{c}");
                assert_eq!(c["digests"], 4, "{c}");
                assert_eq!(c["logs"], 8, "{c}");
                assert_eq!(c["gaps"], serde_json::json!([]), "{c}");
                (
                    c["account"].as_str().unwrap().to_string(),
                    c["region"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let want: BTreeSet<(String, String)> = all
            .iter()
            .flat_map(|(a, _)| REGIONS.map(|r| (a.to_string(), r.to_string())))
            .collect();
        assert_eq!(got, want);
        let s = summary(&r);
        assert_eq!(s["organization_id"], ORG);
        assert_eq!(s["chains"], 6);
        assert_eq!(s["digest_files"]["valid"], 24);
        assert_eq!(s["log_files"]["valid"], 48);
        assert_eq!(s["valid"], true);
    }
    // One account asked for: only its chains.
    let r = validate(&emu, &["--account-id", MEMBERS[0]]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(chains(&r).len(), 2);
    assert!(chains(&r).iter().all(|c| c["account"] == MEMBERS[0]));
    // The text form: a table row per chain.
    let arn = spec(MANAGEMENT, 1).trail_arn();
    let bucket = spec(MANAGEMENT, 1).bucket;
    let r = run(
        &trailguard_bin(),
        &[
            "validate",
            "--trail-arn",
            &arn,
            "--start-time",
            START,
            "--end-time",
            END,
            "--s3-bucket",
            &bucket,
        ],
        &emu,
        &[],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    for a in std::iter::once(MANAGEMENT).chain(MEMBERS) {
        for region in REGIONS {
            let label = format!("{a}/{region}");
            let row = r
                .stdout
                .lines()
                .find(|l| l.starts_with(&label))
                .unwrap_or_else(|| panic!("no row for {label}:\n{}", r.stdout));
            assert!(row.contains("4/4"), "{row}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_that_falls_silent_while_the_others_deliver_is_a_finding() {
    let emu = Emulator::start();
    org(&emu, &[(MANAGEMENT, 4), (MEMBERS[0], 4), (MEMBERS[1], 2)]).await;
    let r = validate(&emu, &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    // No file is invalid: the silence alone fails the run.
    assert!(lines(&r)
        .iter()
        .filter(|l| l.get("status").is_some())
        .all(|l| l["status"] == "valid"));
    let silent: Vec<Value> = chains(&r)
        .into_iter()
        .filter(|c| c["gaps"].as_array().is_some_and(|g| !g.is_empty()))
        .collect();
    assert_eq!(silent.len(), 2, "{silent:?}");
    for c in &silent {
        assert_eq!(c["account"], MEMBERS[1]);
        assert_eq!(c["hours_covered"], 2.0);
        let gap = &c["gaps"][0];
        assert_eq!(gap["kind"], "after_last");
        assert_eq!(gap["finding"], true);
        // The last digest's end (synthetic windows, like CloudTrail's, are
        // not aligned to the hour) to the end of the range.
        assert!(
            gap["from"].as_str().unwrap().starts_with("2026-01-15T02:"),
            "{gap}"
        );
        assert_eq!(gap["to"], "2026-01-15T04:00:00Z");
        assert!(
            gap["reason"].as_str().unwrap().contains("other chains"),
            "{gap}"
        );
    }
    let s = summary(&r);
    assert_eq!(s["coverage_findings"], 2);
    assert_eq!(s["valid"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expected_account_without_a_folder_is_a_finding() {
    let emu = Emulator::start();
    org(&emu, &[(MANAGEMENT, 4)]).await;
    let arn = spec(MANAGEMENT, 1).trail_arn();
    let bucket = spec(MANAGEMENT, 1).bucket;
    let r = run(
        &trailguard_bin(),
        &[
            "validate",
            "--trail-arn",
            &arn,
            "--start-time",
            START,
            "--end-time",
            END,
            "--s3-bucket",
            &bucket,
            "--output",
            "json",
        ],
        &emu,
        &[(
            "TRAILGUARD_EXPECTED_ACCOUNTS",
            &format!("{MANAGEMENT},{}", MEMBERS[0]),
        )],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let missing: Vec<Value> = chains(&r)
        .into_iter()
        .filter(|c| c["account"] == MEMBERS[0])
        .collect();
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(missing[0]["region"], Value::Null);
    assert_eq!(missing[0]["gaps"][0]["kind"], "no_digests");
    assert_eq!(missing[0]["gaps"][0]["finding"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn checking_nothing_fails_unless_the_trail_shows_logging_off() {
    let emu = Emulator::start();
    let sdk = emu.sdk_config().await;
    let s3 = s3(&sdk);
    // moto's account, so that the trail it describes is the one asked for.
    let spec = TrailSpec {
        account: "123456789012".into(),
        ..TrailSpec::default()
    };
    create_bucket(&s3, &spec.bucket).await;
    let arn = spec.trail_arn();
    let args = [
        "validate",
        "--trail-arn",
        &arn,
        "--start-time",
        START,
        "--end-time",
        END,
        "--s3-bucket",
        &spec.bucket,
    ];
    // CloudTrail does not know the trail: nothing can explain the silence.
    let r = run(&trailguard_bin(), &args, &emu, &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("No digests found"), "{}", r.stdout);
    assert!(
        r.stderr.contains("COVERAGE GAP") && r.stderr.contains("status is unknown"),
        "{}",
        r.stderr
    );
    // A trail that has never logged: explained, and the run passes.
    let ct = aws_sdk_cloudtrail::Client::new(&sdk);
    ct.create_trail()
        .name(&spec.trail_name)
        .s3_bucket_name(&spec.bucket)
        .enable_log_file_validation(true)
        .send()
        .await
        .expect("CreateTrail");
    let r = run(&trailguard_bin(), &args, &emu, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("never logged"), "{}", r.stdout);
    // First started today, never stopped: it was not logging in the range.
    ct.start_logging()
        .name(&spec.trail_name)
        .send()
        .await
        .expect("StartLogging");
    let r = run(&trailguard_bin(), &args, &emu, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("logging started at"), "{}", r.stdout);
    // Stopped since: GetTrailStatus keeps only the latest start and stop, so
    // whether it logged in the range is unknown, and the silence is a finding.
    ct.stop_logging()
        .name(&spec.trail_name)
        .send()
        .await
        .expect("StopLogging");
    let r = run(&trailguard_bin(), &args, &emu, &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("does not show logging off"),
        "{}",
        r.stderr
    );
}
