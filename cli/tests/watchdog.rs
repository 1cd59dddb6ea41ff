//! `trailguard watchdog` as a user runs it against the emulator: one line
//! per check, the exit status by the result, a bad variable refused.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::Value;
use trailguard_e2e::*;

fn trailguard_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_trailguard"))
}

#[test]
fn the_command_prints_each_check_and_exits_by_the_result() {
    let emu = Emulator::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let arn = rt.block_on(async {
        let sdk = emu.sdk_config().await;
        create_bucket(&s3(&sdk), "trail-logs").await;
        let ct = aws_sdk_cloudtrail::Client::new(&sdk);
        ct.create_trail()
            .name("main-trail")
            .s3_bucket_name("trail-logs")
            .send()
            .await
            .unwrap()
            .trail_arn
            .unwrap()
    });
    let bin = trailguard_bin();
    let env = [
        ("TRAILGUARD_CHECK_EVENT_SELECTORS", "off"),
        ("TRAILGUARD_CHECK_DELIVERY", "off"),
    ];
    let run1 = run(
        &bin,
        &["watchdog", "--dry-run", "--output", "json"],
        &emu,
        &env,
    );
    assert_eq!(run1.code, 1, "{}", run1.stderr);
    let lines: Vec<Value> = run1
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Six trail checks, digest delivery, and the five of the trail's log
    // bucket (validator_lag needs TRAILGUARD_CHECKPOINT_BUCKET).
    assert_eq!(lines.len(), 12, "{}", run1.stdout);
    for l in &lines {
        let on = if l["check"]
            .as_str()
            .is_some_and(|c| c.starts_with("bucket_") || c == "object_lock")
        {
            "arn:aws:s3:::trail-logs"
        } else {
            arn.as_str()
        };
        assert_eq!(l["trail"], on, "{l}");
        assert!(["ok", "fixed", "drift", "failed"].contains(&l["status"].as_str().unwrap()));
        assert!(l["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    let by: HashMap<&str, &str> = lines
        .iter()
        .map(|l| (l["check"].as_str().unwrap(), l["status"].as_str().unwrap()))
        .collect();
    assert_eq!(by["logging"], "drift");
    assert_eq!(by["multi_region"], "drift");
    assert_eq!(by["kms_encryption"], "drift");
    // A bare bucket: versioned, but no EventBridge notification, public
    // access block or CloudTrail policy.
    assert_eq!(by["bucket_versioning"], "ok");
    assert_eq!(by["bucket_events"], "drift");
    assert_eq!(by["bucket_public_access"], "drift");
    assert_eq!(by["bucket_policy"], "drift");
    assert_eq!(by["object_lock"], "ok");
    // Validation is off: no digest is due (log_file_validation says so).
    assert_eq!(by["digest_delivery"], "ok");
    // Repairing what may be repaired leaves the alert-only ones.
    let run2 = run(&bin, &["watchdog", "--trail", "main-trail"], &emu, &env);
    assert_eq!(run2.code, 1, "{}\n{}", run2.stdout, run2.stderr);
    assert!(run2.stdout.contains("fixed   logging"), "{}", run2.stdout);
    let env_ok = [
        ("TRAILGUARD_CHECK_EVENT_SELECTORS", "off"),
        ("TRAILGUARD_CHECK_DELIVERY", "off"),
        ("TRAILGUARD_CHECK_KMS_ENCRYPTION", "off"),
        ("TRAILGUARD_CHECK_CLOUDWATCH_LOGS", "off"),
        ("TRAILGUARD_CHECK_BUCKET_EVENTS", "off"),
        ("TRAILGUARD_CHECK_BUCKET_PUBLIC_ACCESS", "off"),
        ("TRAILGUARD_CHECK_BUCKET_POLICY", "off"),
    ];
    let run3 = run(&bin, &["watchdog"], &emu, &env_ok);
    assert_eq!(run3.code, 0, "{}\n{}", run3.stdout, run3.stderr);
    // Cannot run: a bad variable.
    let run4 = run(
        &bin,
        &["watchdog"],
        &emu,
        &[("TRAILGUARD_CHECK_LOGGING", "sometimes")],
    );
    assert_eq!(run4.code, 2);
    // The chain's checks only alert: repair is refused at start-up.
    let run5 = run(
        &bin,
        &["watchdog"],
        &emu,
        &[("TRAILGUARD_CHECK_BUCKET_POLICY", "repair")],
    );
    assert_eq!(run5.code, 2);
    assert!(
        run5.stderr.contains("bucket_policy only alerts"),
        "{}",
        run5.stderr
    );
}
