//! `trailguard validate` end to end: a synthetic trail in the emulator, one
//! tamper per test, the command's verdicts, and the same run of
//! `aws cloudtrail validate-logs` for comparison.

use std::collections::BTreeSet;

use trailguard::gzip::gzip;
use trailguard::synth::{generate, RegionKeys, SynthTrail, TrailSpec};
use trailguard_e2e::*;

fn trailguard_bin() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_BIN_EXE_trailguard"))
}

const START: &str = "2026-01-15T00:00:00Z";
const END: &str = "2026-01-15T04:00:00Z";

fn spec() -> TrailSpec {
    TrailSpec {
        hours: 4,
        logs_per_hour: 3,
        records_per_log: 10,
        ..TrailSpec::default()
    }
}

struct Case {
    emu: Emulator,
    spec: TrailSpec,
    trail: SynthTrail,
    s3: aws_sdk_s3::Client,
}

impl Case {
    async fn new() -> Self {
        Self::in_regions(&["us-east-1"]).await
    }

    /// A trail made from `spec` (signed per region).
    async fn from_spec(spec: TrailSpec) -> Self {
        let emu = Emulator::start();
        let keys = RegionKeys::generate(&spec.regions);
        emu.register_keys(&keys);
        let trail = generate(&spec, &keys);
        let s3 = s3(&emu.sdk_config().await);
        write_trail(&s3, &spec, &trail.objects).await;
        Self {
            emu,
            spec,
            trail,
            s3,
        }
    }

    /// A trail delivering in `regions` (home: the first), each region's
    /// digests signed with that region's key, listed by that region only.
    async fn in_regions(regions: &[&str]) -> Self {
        let emu = Emulator::start();
        let spec = TrailSpec {
            regions: regions.iter().map(|r| r.to_string()).collect(),
            ..spec()
        };
        let keys = RegionKeys::generate(&spec.regions);
        emu.register_keys(&keys);
        let trail = generate(&spec, &keys);
        let s3 = s3(&emu.sdk_config().await);
        write_trail(&s3, &spec, &trail.objects).await;
        Self {
            emu,
            spec,
            trail,
            s3,
        }
    }

    fn digest(&self, i: usize) -> String {
        self.trail.digest_keys()[i].to_string()
    }

    fn log(&self, i: usize) -> String {
        self.trail.log_keys()[i].to_string()
    }

    fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.spec.bucket)
    }

    fn ours(&self, extra: &[&str], env: &[(&str, &str)]) -> Run {
        let arn = self.spec.trail_arn();
        let mut args = vec![
            "validate",
            "--trail-arn",
            &arn,
            "--start-time",
            START,
            "--end-time",
            END,
            "--s3-bucket",
            &self.spec.bucket,
            "--verbose",
        ];
        args.extend_from_slice(extra);
        run(&trailguard_bin(), &args, &self.emu, env)
    }

    fn aws_cli(&self) -> Run {
        self.aws_cli_in(&self.spec.home_region)
    }

    /// The AWS CLI in `region`: it lists that region's digests and asks that
    /// region's ListPublicKeys (awscli/customizations/cloudtrail/validation.py:
    /// the CloudTrail client and the digest prefix both use the CLI's region).
    fn aws_cli_in(&self, region: &str) -> Run {
        let arn = self.spec.trail_arn();
        let args = [
            "--region",
            region,
            "cloudtrail",
            "validate-logs",
            "--trail-arn",
            &arn,
            "--start-time",
            START,
            "--end-time",
            END,
            "--s3-bucket",
            &self.spec.bucket,
            "--verbose",
        ];
        let aws = which("aws")
            .expect("the AWS CLI is needed: pip install -r tests/emulator/requirements.txt");
        run(&aws, &args, &self.emu, &[])
    }

    /// Runs both, checks that trailguard reports every file the AWS CLI
    /// finds invalid, and returns trailguard's invalid lines.
    fn compare(&self) -> (Run, BTreeSet<(String, String)>) {
        let ours = self.ours(&[], &[]);
        let theirs = self.aws_cli();
        let invalid = |r: &Run| -> BTreeSet<(String, String)> {
            r.verdict_lines()
                .into_iter()
                .filter(|(_, _, s)| s != "valid")
                .map(|(k, u, _)| (k, u))
                .collect()
        };
        let (o, t) = (invalid(&ours), invalid(&theirs));
        assert!(
            t.is_subset(&o),
            "the AWS CLI found {:?} that trailguard did not.\nours:\n{}{}\ntheirs:\n{}{}",
            t.difference(&o),
            ours.stdout,
            ours.stderr,
            theirs.stdout,
            theirs.stderr
        );
        assert!(
            !t.is_empty() || theirs.code == 0,
            "AWS CLI failed: {}",
            theirs.stderr
        );
        (ours, o)
    }
}

fn line_for<'a>(r: &'a Run, url: &str) -> Vec<&'a str> {
    r.stdout
        .lines()
        .chain(r.stderr.lines())
        .filter(|l| l.contains(&format!("\t{url}\t")))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn clean_trail_matches_the_aws_cli_file_for_file() {
    let c = Case::new().await;
    let ours = c.ours(&[], &[]);
    assert_eq!(ours.code, 0, "{}{}", ours.stdout, ours.stderr);
    assert!(
        ours.stdout.contains("4/4 digest files valid"),
        "{}",
        ours.stdout
    );
    assert!(
        ours.stdout.contains("12/12 log files valid"),
        "{}",
        ours.stdout
    );
    let theirs = c.aws_cli();
    assert_eq!(theirs.code, 0, "{}{}", theirs.stdout, theirs.stderr);
    let set = |r: &Run| r.verdict_lines().into_iter().collect::<BTreeSet<_>>();
    assert_eq!(set(&ours), set(&theirs));
    assert_eq!(set(&ours).len(), 16);
    // Same summary lines.
    for line in [
        "4/4 digest files valid",
        "12/12 log files valid",
        "Results found for 2026-01-15T00:01:31Z to 2026-01-15T04:00:00Z:",
    ] {
        assert!(theirs.stdout.contains(line), "AWS CLI: {}", theirs.stdout);
    }
}

/// Each region's digests are signed with that region's own key, listed by
/// that region's ListPublicKeys only (CloudTrail User Guide, "CloudTrail
/// digest file structure"). trailguard validates both chains in one run; the
/// AWS CLI, run once per region, agrees file for file.
#[tokio::test(flavor = "multi_thread")]
async fn a_two_region_trail_signed_per_region_validates_clean() {
    let c = Case::in_regions(&["us-east-1", "us-west-2"]).await;
    let ours = c.ours(&[], &[]);
    assert_eq!(ours.code, 0, "{}{}", ours.stdout, ours.stderr);
    assert!(
        ours.stdout.contains("8/8 digest files valid"),
        "{}",
        ours.stdout
    );
    assert!(
        ours.stdout.contains("24/24 log files valid"),
        "{}",
        ours.stdout
    );
    let ours_lines: BTreeSet<_> = ours.verdict_lines().into_iter().collect();
    let mut theirs_lines = BTreeSet::new();
    for region in ["us-east-1", "us-west-2"] {
        let theirs = c.aws_cli_in(region);
        assert_eq!(
            theirs.code, 0,
            "{region}: {}{}",
            theirs.stdout, theirs.stderr
        );
        assert!(
            theirs.stdout.contains("4/4 digest files valid"),
            "{region}: {}",
            theirs.stdout
        );
        theirs_lines.extend(theirs.verdict_lines());
    }
    assert_eq!(ours_lines, theirs_lines);
    assert_eq!(ours_lines.len(), 32);

    // An altered log in the second region is caught, by both.
    let victim = c
        .trail
        .log_keys()
        .into_iter()
        .find(|k| k.contains("/CloudTrail/us-west-2/"))
        .expect("a us-west-2 log")
        .to_string();
    overwrite(&c.s3, &c.spec.bucket, &victim, gzip(b"{\"Records\":[]}")).await;
    let ours = c.ours(&[], &[]);
    assert_eq!(ours.code, 1, "{}{}", ours.stdout, ours.stderr);
    assert_eq!(
        line_for(&ours, &c.url(&victim)),
        vec![format!(
            "Log file\t{}\tINVALID: hash value doesn't match",
            c.url(&victim)
        )]
    );
    let theirs = c.aws_cli_in("us-west-2");
    assert!(
        line_for(&theirs, &c.url(&victim))
            .iter()
            .any(|l| l.ends_with("INVALID: hash value doesn't match")),
        "{}{}",
        theirs.stdout,
        theirs.stderr
    );
}

/// An hour without activity (its digest lists no file, with null event
/// times) and logging stopped for an hour (no digest, then a starting
/// digest with null previous fields), as CloudTrail delivers them
/// ("CloudTrail digest file structure"): valid, and the restart reported
/// as the AWS CLI reports it.
#[tokio::test(flavor = "multi_thread")]
async fn an_empty_hour_and_a_restart_validate_clean_as_the_aws_cli_says() {
    let c = Case::from_spec(TrailSpec {
        empty_hours: vec![1],
        stopped_hours: vec![2],
        ..spec()
    })
    .await;
    let ours = c.ours(&[], &[]);
    assert_eq!(ours.code, 0, "{}{}", ours.stdout, ours.stderr);
    assert!(
        ours.stdout.contains("3/3 digest files valid"),
        "{}",
        ours.stdout
    );
    assert!(
        ours.stdout.contains("6/6 log files valid"),
        "{}",
        ours.stdout
    );
    let theirs = c.aws_cli();
    assert_eq!(theirs.code, 0, "{}{}", theirs.stdout, theirs.stderr);
    let set = |r: &Run| r.verdict_lines().into_iter().collect::<BTreeSet<_>>();
    assert_eq!(set(&ours), set(&theirs));
    let gap = |r: &Run| {
        r.stdout
            .lines()
            .chain(r.stderr.lines())
            .find(|l| l.starts_with("No log files were delivered by CloudTrail between"))
            .map(str::to_string)
    };
    assert!(gap(&theirs).is_some(), "{}{}", theirs.stdout, theirs.stderr);
    assert!(gap(&ours).is_some(), "{}{}", ours.stdout, ours.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn json_output_has_a_line_per_file_and_a_summary() {
    let c = Case::new().await;
    let r = c.ours(&["--output", "json"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 18);
    assert!(lines[..16]
        .iter()
        .all(|l| l["status"] == "valid" && l["bucket"] == c.spec.bucket));
    // One line per chain: the hours it proves, and no gap.
    let chain = &lines[16]["chain"];
    assert_eq!(chain["account"], c.spec.account);
    assert_eq!(chain["region"], "us-east-1");
    assert_eq!(chain["hours_covered"], 4.0);
    assert_eq!(chain["digests"], 4);
    assert_eq!(chain["logs"], 12);
    assert_eq!(chain["gaps"], serde_json::json!([]));
    assert_eq!(lines[17]["summary"]["log_files"]["valid"], 12);
    assert_eq!(lines[17]["summary"]["chains"], 1);
    assert_eq!(lines[17]["summary"]["coverage_findings"], 0);
    assert_eq!(lines[17]["summary"]["valid"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn modified_log() {
    let c = Case::new().await;
    overwrite(&c.s3, &c.spec.bucket, &c.log(4), gzip(b"{\"Records\":[]}")).await;
    let (r, invalid) = c.compare();
    assert_eq!(r.code, 1);
    assert_eq!(
        line_for(&r, &c.url(&c.log(4))),
        vec![format!(
            "Log file\t{}\tINVALID: hash value doesn't match",
            c.url(&c.log(4))
        )]
    );
    assert_eq!(invalid.len(), 1);
    assert!(
        r.stdout
            .contains("11/12 log files valid, 1/12 log files INVALID"),
        "{}",
        r.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deleted_log() {
    let c = Case::new().await;
    delete(&c.s3, &c.spec.bucket, &c.log(7)).await;
    let (r, invalid) = c.compare();
    assert_eq!(r.code, 1);
    assert!(invalid.contains(&("Log file".into(), c.url(&c.log(7)))));
    assert!(line_for(&r, &c.url(&c.log(7)))[0].ends_with("INVALID: not found"));
}

#[tokio::test(flavor = "multi_thread")]
async fn trailing_data_after_the_gzip_stream() {
    let c = Case::new().await;
    let mut b = body(&c.s3, &c.spec.bucket, &c.log(2)).await;
    b.extend_from_slice(b"{\"Records\":[{\"hidden\":true}]}");
    overwrite(&c.s3, &c.spec.bucket, &c.log(2), b).await;
    let (r, _) = c.compare();
    assert_eq!(r.code, 1);
    assert!(line_for(&r, &c.url(&c.log(2)))[0]
        .ends_with("INVALID: unexpected data after end of compressed stream"));
}

#[tokio::test(flavor = "multi_thread")]
async fn corrupt_gzip() {
    let c = Case::new().await;
    let mut b = body(&c.s3, &c.spec.bucket, &c.log(0)).await;
    let n = b.len();
    b.truncate(n / 2);
    overwrite(&c.s3, &c.spec.bucket, &c.log(0), b).await;
    let (r, _) = c.compare();
    assert_eq!(r.code, 1);
    assert!(line_for(&r, &c.url(&c.log(0)))[0].contains("INVALID: invalid format"));
}

#[tokio::test(flavor = "multi_thread")]
async fn deleted_digest() {
    let c = Case::new().await;
    delete(&c.s3, &c.spec.bucket, &c.digest(1)).await;
    let (r, invalid) = c.compare();
    assert_eq!(r.code, 1);
    assert!(line_for(&r, &c.url(&c.digest(1)))[0].ends_with("INVALID: not found"));
    // Its log files are no longer vouched for by any digest.
    for i in 3..6 {
        assert!(
            invalid.contains(&("Log file".into(), c.url(&c.log(i)))),
            "log {i}: {invalid:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_consecutive_deleted_digests_are_both_reported() {
    let c = Case::new().await;
    delete(&c.s3, &c.spec.bucket, &c.digest(1)).await;
    delete(&c.s3, &c.spec.bucket, &c.digest(2)).await;
    let (r, invalid) = c.compare();
    assert_eq!(r.code, 1);
    let missing: Vec<_> = invalid.iter().filter(|(k, _)| k == "Digest file").collect();
    assert_eq!(missing.len(), 2, "{invalid:?}\n{}", r.stderr);
    assert!(invalid.contains(&("Digest file".into(), c.url(&c.digest(2)))));
    assert!(
        r.stderr.contains("is missing from the chain"),
        "{}",
        r.stderr
    );
    let theirs = c.aws_cli();
    let theirs_missing = theirs
        .verdict_lines()
        .into_iter()
        .filter(|(k, _, s)| k == "Digest file" && s != "valid")
        .count();
    assert_eq!(theirs_missing, 1, "the AWS CLI reports only the first");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_signature() {
    let c = Case::new().await;
    let key = c.digest(2);
    let head =
        c.s3.head_object()
            .bucket(&c.spec.bucket)
            .key(&key)
            .send()
            .await
            .unwrap();
    let mut meta = head.metadata().cloned().unwrap();
    let sig = meta.get_mut("signature").unwrap();
    let flipped = if sig.starts_with('0') { "1" } else { "0" };
    sig.replace_range(0..1, flipped);
    let b = body(&c.s3, &c.spec.bucket, &key).await;
    c.s3.put_object()
        .bucket(&c.spec.bucket)
        .key(&key)
        .body(b.into())
        .set_metadata(Some(meta))
        .send()
        .await
        .unwrap();
    let (r, _) = c.compare();
    assert_eq!(r.code, 1);
    assert!(
        line_for(&r, &c.url(&key))
            .iter()
            .any(|l| l.ends_with("INVALID: signature verification failed")),
        "{}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn moved_digest() {
    let c = Case::new().await;
    let key = c.digest(2);
    let moved = key.replace("T030138Z", "T030139Z");
    assert_ne!(moved, key);
    c.s3.copy_object()
        .bucket(&c.spec.bucket)
        .key(&moved)
        .copy_source(format!("{}/{key}", c.spec.bucket))
        .send()
        .await
        .unwrap();
    delete(&c.s3, &c.spec.bucket, &key).await;
    let (r, _) = c.compare();
    assert_eq!(r.code, 1);
    assert!(
        line_for(&r, &c.url(&moved))[0]
            .ends_with("INVALID: has been moved from its original location"),
        "{}",
        r.stderr
    );
    assert!(line_for(&r, &c.url(&key))[0].ends_with("INVALID: not found"));
}

#[tokio::test(flavor = "multi_thread")]
async fn injected_log_file() {
    let c = Case::new().await;
    let mut rng = trailguard::synth::Rng::new(99);
    let at = chrono::DateTime::parse_from_rfc3339("2026-01-15T02:30:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let fake = trailguard::synth::log_file(&c.spec, "us-east-1", at, &mut rng);
    put(&c.s3, &c.spec.bucket, &fake, None).await;
    let (r, _) = c.compare();
    assert_eq!(r.code, 1);
    assert_eq!(
        line_for(&r, &c.url(&fake.key)),
        vec![format!(
            "Log file\t{}\tINVALID: not listed in any digest file",
            c.url(&fake.key)
        )]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stray_objects_are_reported_and_do_not_stop_the_run() {
    let c = Case::new().await;
    let root = "AWSLogs/111122223333/";
    let strays = [
        format!("{root}CloudTrail/us-east-1/2026/01/15/evil.json.gz"),
        format!("{root}CloudTrail-Digest/us-east-1/2026/01/15/111122223333_CloudTrail-Digest_us-east-1_main-trail_us-east-1_notatime.json.gz"),
    ];
    for k in &strays {
        let o = trailguard::synth::SynthObject {
            key: k.clone(),
            body: b"x".to_vec(),
            metadata: vec![],
            is_digest: false,
        };
        put(&c.s3, &c.spec.bucket, &o, None).await;
    }
    let r = c.ours(&[], &[]);
    assert_eq!(r.code, 1);
    for k in &strays {
        assert!(
            line_for(&r, &c.url(k))[0].starts_with("Object\t"),
            "{k}: {}",
            r.stderr
        );
    }
    assert!(
        r.stdout.contains("4/4 digest files valid") && r.stdout.contains("12/12 log files valid"),
        "{}",
        r.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn gzip_bomb_is_a_clear_verdict() {
    let c = Case::new().await;
    let bomb = gzip(&vec![0u8; 256 << 20]);
    overwrite(&c.s3, &c.spec.bucket, &c.log(1), bomb).await;
    let r = c.ours(&[], &[("TRAILGUARD_MAX_INFLATED_BYTES", "16777216")]);
    assert_eq!(r.code, 1);
    assert!(
        line_for(&r, &c.url(&c.log(1)))[0]
            .ends_with("INVALID: larger than the 16777216-byte limit"),
        "{}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cannot_run_is_exit_2() {
    let c = Case::new().await;
    let r = run(
        &trailguard_bin(),
        &[
            "validate",
            "--trail-arn",
            "not-an-arn",
            "--start-time",
            START,
        ],
        &c.emu,
        &[],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("invalid trail ARN"));
    let r = run(
        &trailguard_bin(),
        &["validate", "--start-time", START],
        &c.emu,
        &[],
    );
    assert_eq!(r.code, 2);
    let arn = c.spec.trail_arn();
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
        ],
        &c.emu,
        &[],
    );
    assert_eq!(
        r.code, 2,
        "no such trail in the emulator: {}{}",
        r.stdout, r.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deleted_newest_digest_leaves_its_log_files_unlisted() {
    let c = Case::new().await;
    delete(&c.s3, &c.spec.bucket, &c.digest(3)).await;
    let r = c.ours(&[], &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    for i in 9..12 {
        assert!(
            line_for(&r, &c.url(&c.log(i)))[0].ends_with("INVALID: not listed in any digest file"),
            "{}",
            r.stderr
        );
    }
    // The AWS CLI sees nothing wrong: nothing points at the newest digest.
    assert_eq!(c.aws_cli().code, 0);
}
