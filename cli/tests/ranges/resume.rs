//! `trailguard validate --state`: a re-run fetches only what is new, still
//! checks the link to the last verified digest, reports a remembered digest
//! deleted since, and never remembers a finding.

use serde_json::Value;
use trailguard::synth::{generate, RegionKeys, SynthTrail, TrailSpec};
use trailguard_e2e::*;

fn trailguard_bin() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_BIN_EXE_trailguard"))
}

const START: &str = "2026-01-15T00:00:00Z";
/// The first run's end: digests of hours 0 to 3.
const FIRST_END: &str = "2026-01-15T04:00:00Z";
/// The second run's end: two hours more.
const SECOND_END: &str = "2026-01-15T06:00:00Z";

struct Case {
    emu: Emulator,
    spec: TrailSpec,
    trail: SynthTrail,
    s3: aws_sdk_s3::Client,
    dir: tempfile::TempDir,
}

async fn case() -> Case {
    let emu = Emulator::start();
    let spec = TrailSpec {
        hours: 6,
        logs_per_hour: 3,
        records_per_log: 5,
        ..TrailSpec::default()
    };
    let keys = RegionKeys::generate(&spec.regions);
    emu.register_keys(&keys);
    let trail = generate(&spec, &keys);
    let s3 = s3(&emu.sdk_config().await);
    write_trail(&s3, &spec, &trail.objects).await;
    Case {
        emu,
        spec,
        trail,
        s3,
        dir: tempfile::tempdir().unwrap(),
    }
}

impl Case {
    fn state(&self) -> String {
        self.dir
            .path()
            .join("state.json")
            .to_str()
            .unwrap()
            .to_string()
    }

    fn validate(&self, end: &str, state: &str) -> Run {
        let arn = self.spec.trail_arn();
        run(
            &trailguard_bin(),
            &[
                "validate",
                "--trail-arn",
                &arn,
                "--start-time",
                START,
                "--end-time",
                end,
                "--s3-bucket",
                &self.spec.bucket,
                "--output",
                "json",
                "--state",
                state,
            ],
            &self.emu,
            &[],
        )
    }

    fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.spec.bucket)
    }
}

fn summary(r: &Run) -> Value {
    r.stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|l| l.get("summary").cloned())
        .unwrap_or_else(|| panic!("no summary: {}{}", r.stdout, r.stderr))
}

fn invalid(r: &Run) -> Vec<(String, String)> {
    r.stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["status"] == "invalid")
        .map(|l| {
            (
                format!(
                    "s3://{}/{}",
                    l["bucket"].as_str().unwrap(),
                    l["key"].as_str().unwrap()
                ),
                l["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_fetches_only_what_is_new() {
    let c = case().await;
    let first = c.validate(FIRST_END, &c.state());
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    let s = summary(&first);
    assert_eq!(s["digest_files"]["valid"], 4);
    assert_eq!(s["log_files"]["valid"], 12);
    assert_eq!(s["remembered_digest_files"], 0);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(c.state()).unwrap()).unwrap();
    assert_eq!(saved["format"], "trailguard-validate-state/1");
    assert_eq!(saved["trail_arn"], c.spec.trail_arn());
    assert_eq!(
        saved["chains"]["111122223333/us-east-1"]
            .as_object()
            .unwrap()
            .len(),
        4
    );

    let second = c.validate(SECOND_END, &c.state());
    assert_eq!(second.code, 0, "{}{}", second.stdout, second.stderr);
    let s = summary(&second);
    // Only hours 4 and 5 fetched and hashed; the chain covers all six.
    assert_eq!(s["digest_files"]["valid"], 2);
    assert_eq!(s["log_files"]["valid"], 6);
    assert_eq!(s["remembered_digest_files"], 4);
    let chain = second
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|l| l.get("chain").cloned())
        .unwrap();
    assert_eq!(chain["hours_covered"], 6.0);
    assert_eq!(chain["gaps"], serde_json::json!([]));
    // Nothing new: nothing fetched, still valid.
    let third = c.validate(SECOND_END, &c.state());
    assert_eq!(third.code, 0, "{}", third.stderr);
    assert_eq!(summary(&third)["digest_files"]["valid"], 0);
    assert_eq!(summary(&third)["remembered_digest_files"], 6);
    // The text form says so.
    let arn = c.spec.trail_arn();
    let text = run(
        &trailguard_bin(),
        &[
            "validate",
            "--trail-arn",
            &arn,
            "--start-time",
            START,
            "--end-time",
            SECOND_END,
            "--s3-bucket",
            &c.spec.bucket,
            "--state",
            &c.state(),
        ],
        &c.emu,
        &[],
    );
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout
            .contains("6 digest files verified by an earlier run"),
        "{}",
        text.stdout
    );
    assert!(!text.stdout.contains("No digests found"), "{}", text.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_link_to_the_last_verified_digest_is_still_checked() {
    let c = case().await;
    assert_eq!(c.validate(FIRST_END, &c.state()).code, 0);
    // The newest verified digest rewritten after it was verified.
    let last = c.trail.digest_keys()[3].to_string();
    // Still a well-formed digest, one byte longer: only its hash differs.
    let original = body(&c.s3, &c.spec.bucket, &last).await;
    let mut json = trailguard::gzip::inflate(&original, 1 << 30).unwrap().0;
    json.push(b' ');
    overwrite(&c.s3, &c.spec.bucket, &last, trailguard::gzip::gzip(&json)).await;
    let r = c.validate(SECOND_END, &c.state());
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let bad = invalid(&r);
    assert!(
        bad.iter()
            .any(|(u, why)| *u == c.url(&last) && why.contains("previousDigestHashValue")),
        "{bad:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_verified_digest_deleted_since_is_a_finding() {
    let c = case().await;
    assert_eq!(c.validate(FIRST_END, &c.state()).code, 0);
    let gone = c.trail.digest_keys()[1].to_string();
    delete(&c.s3, &c.spec.bucket, &gone).await;
    let r = c.validate(FIRST_END, &c.state());
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        invalid(&r)
            .iter()
            .any(|(u, why)| *u == c.url(&gone) && why.contains("not found")),
        "{:?}",
        invalid(&r)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_finding_is_never_remembered() {
    let c = case().await;
    let log = c.trail.log_keys()[4].to_string();
    overwrite(
        &c.s3,
        &c.spec.bucket,
        &log,
        trailguard::gzip::gzip(b"{\"Records\": []}"),
    )
    .await;
    for _ in 0..2 {
        let r = c.validate(FIRST_END, &c.state());
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
        assert!(
            invalid(&r).iter().any(|(u, _)| *u == c.url(&log)),
            "{:?}",
            invalid(&r)
        );
    }
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(c.state()).unwrap()).unwrap();
    // The digest that lists the rewritten file is not remembered.
    assert_eq!(
        saved["chains"]["111122223333/us-east-1"]
            .as_object()
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_state_can_live_in_s3_and_is_refused_for_another_trail() {
    let c = case().await;
    let at = format!("s3://{}/trailguard/validate-state.json", c.spec.bucket);
    assert_eq!(c.validate(FIRST_END, &at).code, 0);
    let saved = body(&c.s3, &c.spec.bucket, "trailguard/validate-state.json").await;
    assert!(String::from_utf8_lossy(&saved).contains("trailguard-validate-state/1"));
    let r = c.validate(SECOND_END, &at);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(summary(&r)["remembered_digest_files"], 4);
    // Another trail's state would skip digests unverified: refused.
    let other = TrailSpec {
        trail_name: "other-trail".into(),
        ..c.spec.clone()
    };
    let arn = other.trail_arn();
    let r = run(
        &trailguard_bin(),
        &[
            "validate",
            "--trail-arn",
            &arn,
            "--start-time",
            START,
            "--end-time",
            FIRST_END,
            "--s3-bucket",
            &c.spec.bucket,
            "--state",
            &at,
        ],
        &c.emu,
        &[],
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("not of this trail"), "{}", r.stderr);
    for bad in ["s3://", "s3://bucket", "s3://bucket/"] {
        let r = c.validate(FIRST_END, bad);
        assert_eq!(r.code, 2, "{bad}: {}", r.stderr);
    }
}
