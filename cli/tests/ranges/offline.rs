//! `trailguard export` and `trailguard validate --from-dir`: a copy of a
//! range that proves, without the account, what validating S3 proves;
//! public keys from files the AWS CLI wrote; a tampered copy is caught;
//! a range the copy does not hold is refused, not validated empty.

use trailguard::synth::{generate, RegionKeys, TrailSpec};
use trailguard_e2e::*;

fn trailguard_bin() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_BIN_EXE_trailguard"))
}

const START: &str = "2026-01-15T00:00:00Z";
const END: &str = "2026-01-15T04:00:00Z";
/// Nothing listens here: a run that tries to reach AWS fails.
const NO_AWS: (&str, &str) = ("AWS_ENDPOINT_URL", "http://127.0.0.1:1");

fn spec() -> TrailSpec {
    TrailSpec {
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        hours: 4,
        logs_per_hour: 3,
        records_per_log: 5,
        kms_key: Some(
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab".into(),
        ),
        ..TrailSpec::default()
    }
}

struct Copy {
    emu: Emulator,
    spec: TrailSpec,
    dir: tempfile::TempDir,
    keys: Vec<std::path::PathBuf>,
    online: Run,
}

/// A trail in the emulator, validated there, exported, and its public keys
/// fetched per region with `aws cloudtrail list-public-keys`.
async fn exported() -> Copy {
    let emu = Emulator::start();
    let spec = spec();
    let keys = RegionKeys::generate(&spec.regions);
    emu.register_keys(&keys);
    let trail = generate(&spec, &keys);
    let s3 = s3(&emu.sdk_config().await);
    write_trail(&s3, &spec, &trail.objects).await;
    let arn = spec.trail_arn();
    let range = [
        "--trail-arn",
        &arn,
        "--start-time",
        START,
        "--end-time",
        END,
        "--s3-bucket",
        &spec.bucket,
    ];
    let online = run(
        &trailguard_bin(),
        &[&["validate", "--verbose"], &range[..]].concat(),
        &emu,
        &[],
    );
    assert_eq!(online.code, 0, "{}{}", online.stdout, online.stderr);
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("copy");
    let to = to.to_str().unwrap();
    let r = run(
        &trailguard_bin(),
        &[&["export", "--to", to], &range[..]].concat(),
        &emu,
        &[],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Exported"), "{}", r.stdout);
    let aws = which("aws").expect("the AWS CLI: pip install -r tests/emulator/requirements.txt");
    let mut files = Vec::new();
    for region in &spec.regions {
        let r = run(
            &aws,
            &[
                "--region",
                region,
                "cloudtrail",
                "list-public-keys",
                "--start-time",
                START,
                "--end-time",
                "2026-01-15T06:00:00Z",
            ],
            &emu,
            &[],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let path = dir.path().join(format!("keys-{region}.json"));
        std::fs::write(&path, &r.stdout).unwrap();
        files.push(path);
    }
    Copy {
        emu,
        spec,
        dir,
        keys: files,
        online,
    }
}

impl Copy {
    fn copy(&self) -> std::path::PathBuf {
        self.dir.path().join("copy")
    }

    /// `validate --from-dir` with the key files and no way to reach AWS.
    fn offline(&self, extra: &[&str]) -> Run {
        let copy = self.copy();
        let mut args = vec![
            "validate",
            "--verbose",
            "--from-dir",
            copy.to_str().unwrap(),
        ];
        for k in &self.keys {
            args.extend(["--public-keys", k.to_str().unwrap()]);
        }
        args.extend_from_slice(extra);
        run(&trailguard_bin(), &args, &self.emu, &[NO_AWS])
    }

    fn object(&self, key: &str) -> std::path::PathBuf {
        self.copy()
            .join("objects")
            .join(&self.spec.bucket)
            .join(key)
    }
}

fn sorted(mut v: Vec<(String, String, String)>) -> Vec<(String, String, String)> {
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_proves_offline_what_s3_proves() {
    let c = exported().await;
    // The copy keeps what `aws s3 sync` loses: each digest's signature.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(c.copy().join("trailguard-export.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["format"], "trailguard-export/1");
    let digests: Vec<&String> = manifest["objects"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| k.contains("/CloudTrail-Digest/"))
        .collect();
    assert_eq!(digests.len(), 8, "{digests:?}");
    for d in digests {
        let file = manifest["objects"][d.as_str()].as_str().unwrap();
        let side: serde_json::Value = serde_json::from_slice(
            &std::fs::read(c.copy().join("metadata").join(format!("{file}.json"))).unwrap(),
        )
        .unwrap();
        assert!(
            side["metadata"]["signature"]
                .as_str()
                .is_some_and(|s| s.len() > 100),
            "{side}"
        );
        assert_eq!(side["metadata"]["signature-algorithm"], "SHA256withRSA");
    }
    // The copy has the public keys ListPublicKeys gave, in the CLI's form.
    assert!(c.copy().join("public-keys/us-east-1.json").is_file());
    let r = c.offline(&[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(sorted(r.verdict_lines()), sorted(c.online.verdict_lines()));
    assert_eq!(r.verdict_lines().len(), 8 + 24);
    // The exported keys serve as well as the AWS CLI's (an auditor may
    // prefer to fetch their own).
    let copy = c.copy();
    let r = run(
        &trailguard_bin(),
        &[
            "validate",
            "--from-dir",
            copy.to_str().unwrap(),
            "--public-keys",
            copy.join("public-keys/us-east-1.json").to_str().unwrap(),
            "--public-keys",
            copy.join("public-keys/eu-west-1.json").to_str().unwrap(),
        ],
        &c.emu,
        &[NO_AWS],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // Without key files, offline keys come from ListPublicKeys: with AWS
    // out of reach the run cannot complete, and says so.
    let r = run(
        &trailguard_bin(),
        &["validate", "--from-dir", copy.to_str().unwrap()],
        &c.emu,
        &[NO_AWS],
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tampered_copy_is_caught() {
    let c = exported().await;
    let logs: Vec<String> = generate(&c.spec, &RegionKeys::generate(&c.spec.regions))
        .log_keys()
        .iter()
        .map(|k| k.to_string())
        .collect();
    // A log file's body altered.
    let path = c.object(&logs[0]);
    let mut body = std::fs::read(&path).unwrap();
    body = trailguard::gzip::gzip(
        &trailguard::gzip::inflate(&body, 1 << 30)
            .unwrap()
            .0
            .repeat(2),
    );
    std::fs::write(&path, body).unwrap();
    // A log file removed from the copy.
    std::fs::remove_file(c.object(&logs[5])).unwrap();
    let r = c.offline(&[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let invalid: Vec<(String, String, String)> = r
        .verdict_lines()
        .into_iter()
        .filter(|(_, _, s)| s != "valid")
        .collect();
    let url = |k: &str| format!("s3://{}/{k}", c.spec.bucket);
    assert!(
        invalid
            .iter()
            .any(|(_, u, s)| *u == url(&logs[0]) && s.contains("hash value")),
        "{invalid:?}"
    );
    assert!(
        invalid
            .iter()
            .any(|(_, u, s)| *u == url(&logs[5]) && s.contains("not found")),
        "{invalid:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signature_stripped_from_the_copy_is_caught() {
    let c = exported().await;
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(c.copy().join("trailguard-export.json")).unwrap())
            .unwrap();
    let (key, file) = manifest["objects"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.contains("/CloudTrail-Digest/us-east-1/"))
        .map(|(k, f)| (k.clone(), f.as_str().unwrap().to_string()))
        .unwrap();
    // As `aws s3 sync` leaves it: no metadata.
    std::fs::remove_file(c.copy().join("metadata").join(format!("{file}.json"))).unwrap();
    let r = c.offline(&[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let key = key.split_once('/').unwrap().1;
    let line = r
        .stderr
        .lines()
        .find(|l| l.contains(key))
        .unwrap_or_else(|| panic!("{}", r.stderr));
    assert!(line.contains("INVALID"), "{line}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_range_the_copy_does_not_hold_is_refused() {
    let c = exported().await;
    for extra in [
        &["--start-time", "2026-01-14T00:00:00Z"][..],
        &["--region", "ap-south-1"][..],
    ] {
        let r = c.offline(extra);
        assert_eq!(r.code, 2, "{extra:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("the copy does not hold"), "{}", r.stderr);
    }
    let r = c.offline(&[]);
    assert_eq!(r.code, 0);
    // Not a copy at all.
    let empty = c.dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let r = run(
        &trailguard_bin(),
        &["validate", "--from-dir", empty.to_str().unwrap()],
        &c.emu,
        &[NO_AWS],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("trailguard-export.json"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_object_over_the_cap_is_recorded_too_large_not_downloaded() {
    let c = exported().await;
    // Export again with a cap (TRAILGUARD_MAX_OBJECT_BYTES) smaller than
    // the files: what the validation could not fetch is not copied either.
    let cap = [("TRAILGUARD_MAX_OBJECT_BYTES", "300")];
    let arn = c.spec.trail_arn();
    let to = c.dir.path().join("capped");
    let range = [
        "--trail-arn",
        &arn,
        "--start-time",
        START,
        "--end-time",
        END,
        "--s3-bucket",
        &c.spec.bucket,
    ];
    let online = run(
        &trailguard_bin(),
        &[&["validate", "--verbose"], &range[..]].concat(),
        &c.emu,
        &cap,
    );
    let r = run(
        &trailguard_bin(),
        &[&["export", "--to", to.to_str().unwrap()], &range[..]].concat(),
        &c.emu,
        &cap,
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(to.join("trailguard-export.json")).unwrap()).unwrap();
    let too_large = manifest["too_large"].as_object().unwrap();
    assert!(!too_large.is_empty(), "{manifest}");
    for k in too_large.keys() {
        assert!(manifest["objects"].get(k.as_str()).is_none(), "{k} copied");
    }
    // The copy answers as S3 did: the same verdicts, "larger than" included.
    let mut args = vec!["validate", "--verbose", "--from-dir", to.to_str().unwrap()];
    for k in &c.keys {
        args.extend(["--public-keys", k.to_str().unwrap()]);
    }
    let offline = run(&trailguard_bin(), &args, &c.emu, &[NO_AWS, cap[0]]);
    assert_eq!(
        sorted(offline.verdict_lines()),
        sorted(online.verdict_lines())
    );
    assert!(offline.stderr.contains("larger than"), "{}", offline.stderr);
}
