//! `trailguard backfill` as a user runs it against the emulator: the
//! stack's output names the state machine, the execution is started with
//! the range and the narrowing flags as its input, and a stack without the
//! state machine (or no stack at all) is refused with what to do.
//!
//! moto runs no execution by default (it stays RUNNING), so following one
//! to its end (--wait) is tested on the core (cli/src/backfill.rs).

use std::path::PathBuf;

use serde_json::{json, Value};
use trailguard_e2e::*;

fn trailguard_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_trailguard"))
}

const ROLE: &str = "arn:aws:iam::123456789012:role/tg-backfill";

/// A stack with the outputs given (one topic, as CloudFormation needs a
/// resource), and a state machine.
async fn stack(sdk: &aws_config::SdkConfig, name: &str, outputs: Value) {
    let cfn = aws_sdk_cloudformation::Client::new(sdk);
    let template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": format!("{name}-t")}}},
        "Outputs": outputs,
    });
    cfn.create_stack()
        .stack_name(name)
        .template_body(template.to_string())
        .send()
        .await
        .expect("create stack");
}

#[test]
fn the_stacks_state_machine_is_started_with_the_range_and_flags() {
    let emu = Emulator::start();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sm = rt.block_on(async {
        let sdk = emu.sdk_config().await;
        let sfn = aws_sdk_sfn::Client::new(&sdk);
        let sm = sfn
            .create_state_machine()
            .name("tg-backfill")
            .role_arn(ROLE)
            .definition(r#"{"StartAt":"Done","States":{"Done":{"Type":"Succeed"}}}"#)
            .send()
            .await
            .expect("create state machine")
            .state_machine_arn;
        stack(
            &sdk,
            "tg",
            json!({"BackfillStateMachineArn": {"Value": sm}}),
        )
        .await;
        stack(&sdk, "no-backfill", json!({"Other": {"Value": "x"}})).await;
        sm
    });
    let bin = trailguard_bin();
    let r = run(
        &bin,
        &[
            "backfill",
            "--stack",
            "tg",
            "--start",
            "2026-01-15T00:00:00Z",
            "--end",
            "2026-01-16T23:59:59Z",
            "--account-id",
            "111122223333",
            "--region",
            "us-east-1",
            "--max-concurrency",
            "40",
            "--output",
            "json",
        ],
        &emu,
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let started: Value = serde_json::from_str(r.stdout.trim()).expect("one JSON line");
    let arn = started["started"]["executionArn"]
        .as_str()
        .expect("arn")
        .to_string();
    assert_eq!(started["started"]["stateMachineArn"], sm.as_str());
    assert!(started["started"]["name"]
        .as_str()
        .is_some_and(|n| n.starts_with("backfill-20260115T0000Z-20260116T2359Z-at-")));
    // What Step Functions was given, read back from it.
    let (status, input) = rt.block_on(async {
        let sdk = emu.sdk_config().await;
        let d = aws_sdk_sfn::Client::new(&sdk)
            .describe_execution()
            .execution_arn(&arn)
            .send()
            .await
            .expect("describe");
        (
            d.status().as_str().to_string(),
            d.input().unwrap_or_default().to_string(),
        )
    });
    assert_eq!(status, "RUNNING");
    let input: Value = serde_json::from_str(&input).expect("JSON input");
    assert_eq!(
        input,
        json!({"start": "2026-01-15T00:00:00Z", "end": "2026-01-16T23:59:59Z",
               "accounts": ["111122223333"], "regions": ["us-east-1"], "maxConcurrency": 40})
    );

    // Text output names the execution and its console page.
    let r = run(
        &bin,
        &[
            "backfill",
            "--state-machine-arn",
            &sm,
            "--start-time",
            "2026-01-15T00:00:00Z",
        ],
        &emu,
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("Started backfill backfill-20260115T0000Z-"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("console.aws.amazon.com/states/home?region=us-east-1"),
        "{}",
        r.stdout
    );

    // A stack deployed without Backfill=true, and a stack that is not there.
    let r = run(
        &bin,
        &[
            "backfill",
            "--stack",
            "no-backfill",
            "--start",
            "2026-01-15",
        ],
        &emu,
        &[],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("Backfill=true"), "{}", r.stderr);
    let r = run(
        &bin,
        &["backfill", "--stack", "nope", "--start", "2026-01-15"],
        &emu,
        &[],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("nope") && r.stderr.contains("not found"),
        "{}",
        r.stderr
    );
    // An empty range is refused before anything starts.
    let r = run(
        &bin,
        &[
            "backfill",
            "--stack",
            "tg",
            "--start",
            "2026-02-01",
            "--end",
            "2026-01-01",
        ],
        &emu,
        &[],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("invalid time range"), "{}", r.stderr);
}
