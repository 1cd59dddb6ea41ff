//! The Sigma engine alone: compiling rules from YAML, and evaluating a
//! rule set on CloudTrail-shaped records (indexed by `eventName`, a rule
//! with neither `eventName` nor `eventSource` tried on every record).
//!
//! The rules are this file's own (the shapes the built-ins and SigmaHQ's
//! CloudTrail rules use: a name list, `contains`, `re`, `cidr`, `null`,
//! keywords, `1 of`); with `TRAILGUARD_SIGMA_DIR` (or
//! `../shared/sigma/aws-cloudtrail` beside the checkout) the SigmaHQ
//! CloudTrail rules are benchmarked too. The records are generated here:
//! 10,000 records over 40 event names, one in 50 matching a rule.
//!
//! Run: `cargo bench -p trailguard-sigma --bench engine`

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{json, Value};
use trailguard_sigma::{Rule, RuleSet};

const RULES: &[&str] = &[
    r#"
title: Trail stopped or deleted
id: 00000000-0000-4000-8000-000000000001
level: high
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: cloudtrail.amazonaws.com
    eventName: [StopLogging, DeleteTrail, UpdateTrail, PutEventSelectors]
  condition: selection
"#,
    r#"
title: Console login without MFA
id: 00000000-0000-4000-8000-000000000002
level: medium
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: ConsoleLogin
    additionalEventData.MFAUsed: 'No'
    responseElements.ConsoleLogin: Success
  condition: selection
"#,
    r#"
title: Policy with a wildcard action
id: 00000000-0000-4000-8000-000000000003
level: high
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: iam.amazonaws.com
    eventName|startswith: [Put, Create]
    requestParameters.policyDocument|contains: '"Action":"*"'
  condition: selection
"#,
    r#"
title: Successful call from an unexpected network
id: 00000000-0000-4000-8000-000000000004
level: low
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: [GetSecretValue, Decrypt]
    errorCode: null
  inside:
    sourceIPAddress|cidr: [10.0.0.0/8, 192.168.0.0/16]
  condition: selection and not inside
"#,
    r#"
title: Key or user created by a role session
id: 00000000-0000-4000-8000-000000000005
level: medium
logsource: {product: aws, service: cloudtrail}
detection:
  sel_key:
    eventName: CreateAccessKey
  sel_user:
    eventName: CreateUser
  role:
    userIdentity.arn|re|i: '^arn:aws:sts::\d{12}:assumed-role/'
  condition: 1 of sel_* and role
"#,
    r#"
title: Offensive tooling in the user agent
id: 00000000-0000-4000-8000-000000000006
level: high
logsource: {product: aws, service: cloudtrail}
detection:
  keywords:
    - pacu
    - cloudgoat
  condition: keywords
"#,
];

const NAMES: &[&str] = &[
    "GetObject",
    "PutObject",
    "ListBuckets",
    "DescribeInstances",
    "AssumeRole",
    "GetCallerIdentity",
    "Decrypt",
    "GenerateDataKey",
    "GetSecretValue",
    "DescribeTrails",
    "GetTrailStatus",
    "ListRoles",
    "GetRole",
    "PutMetricData",
    "CreateLogStream",
    "PutLogEvents",
    "Query",
    "GetItem",
    "PutItem",
    "DescribeLogGroups",
];

fn sigma_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("TRAILGUARD_SIGMA_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/sigma/aws-cloudtrail"),
    };
    dir.is_dir().then_some(dir)
}

/// 10,000 records: common reads and writes, and one in 50 a call some
/// rule is about (a trail stopped, a console login without MFA).
fn records() -> Vec<Value> {
    (0..10_000usize)
        .map(|i| {
            let (source, name) = match i % 50 {
                0 => ("cloudtrail.amazonaws.com", "StopLogging"),
                25 => ("signin.amazonaws.com", "ConsoleLogin"),
                _ => ("s3.amazonaws.com", NAMES[i % NAMES.len()]),
            };
            json!({
                "eventVersion": "1.09",
                "userIdentity": {"type": "AssumedRole",
                    "arn": format!("arn:aws:sts::111122223333:assumed-role/app-{}/i-{i:08x}", i % 7),
                    "accountId": "111122223333"},
                "eventTime": "2026-12-01T10:00:00Z",
                "eventSource": source,
                "eventName": name,
                "awsRegion": "us-east-1",
                "sourceIPAddress": format!("10.0.{}.{}", i % 250, i % 200),
                "userAgent": "aws-sdk-rust/1.3 os/linux lang/rust/1.94",
                "requestParameters": {"bucketName": "artifacts", "key": format!("builds/{i}.zip")},
                "responseElements": null,
                "additionalEventData": {"MFAUsed": "No"},
                "eventID": format!("{i:08x}-0000-4000-8000-000000000000"),
                "readOnly": i % 3 != 0,
                "eventType": "AwsApiCall",
                "recipientAccountId": "111122223333"
            })
        })
        .collect()
}

fn load(sources: &[(String, String)]) -> RuleSet {
    let rules: Vec<Rule> = sources
        .iter()
        .filter_map(|(origin, yaml)| Rule::from_yaml(yaml, origin).ok())
        .collect();
    RuleSet::keeping_first(rules).0
}

fn bench(c: &mut Criterion) {
    let own: Vec<(String, String)> = RULES
        .iter()
        .enumerate()
        .map(|(i, y)| (format!("bench-{i}"), y.to_string()))
        .collect();
    let mut sets = vec![("own", own)];
    if let Some(dir) = sigma_dir() {
        let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yml"))
            .filter_map(|p| Some((p.display().to_string(), std::fs::read_to_string(&p).ok()?)))
            .collect();
        files.sort();
        sets.push(("sigmahq", files));
    }
    let records = records();
    for (name, sources) in &sets {
        let set = load(sources);
        assert!(!set.is_empty());
        let matched: usize = records.iter().map(|r| set.evaluate(r).len()).sum();
        assert!(matched > 0, "{name}: no rule matched");

        let mut g = c.benchmark_group(format!("sigma/{name}"));
        g.throughput(Throughput::Elements(sources.len() as u64));
        g.bench_function(format!("compile {} rules", sources.len()), |b| {
            b.iter(|| load(sources))
        });
        g.throughput(Throughput::Elements(records.len() as u64));
        g.bench_function(
            format!("evaluate {} records, {} rules", records.len(), set.len()),
            |b| b.iter(|| records.iter().map(|r| set.evaluate(r).len()).sum::<usize>()),
        );
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
