//! `trailguard scan` and `trailguard rules` as a user runs them: every input
//! format told apart by content, folders walked, exit codes, and rule files
//! checked. No emulator: these commands read local files.

use std::path::Path;
use std::process::{Command, Stdio};

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use trailguard::cloudtrail::cwlogs::encode;
use trailguard::gzip::gzip;
use trailguard::synth::{log_file, record, Rng, TrailSpec};
use trailguard_e2e::{repo_root, Run};

fn trailguard_bin() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_BIN_EXE_trailguard"))
}

/// Runs `trailguard ARGS` with a clean trailguard environment.
fn trailguard(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut cmd = Command::new(trailguard_bin());
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars() {
        if k.starts_with("TRAILGUARD_") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd.spawn().expect("run trailguard");
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        use std::io::Write;
        pipe.write_all(input).expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait for trailguard");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json_lines(run: &Run) -> Vec<Value> {
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn suspicious(id: &str, name: &str, source: &str, params: Value) -> Value {
    json!({"eventVersion": "1.09", "eventID": id, "eventTime": "2026-11-27T03:00:00Z",
        "eventName": name, "eventSource": source, "awsRegion": "eu-west-1",
        "sourceIPAddress": "203.0.113.50", "userAgent": "aws-cli/2", "recipientAccountId": "111122223333",
        "requestParameters": params, "eventType": "AwsApiCall",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/mallory",
            "userName": "mallory", "accountId": "111122223333"}})
}

fn stop(id: &str) -> Value {
    suspicious(
        id,
        "StopLogging",
        "cloudtrail.amazonaws.com",
        json!({"name": "main-trail"}),
    )
}

/// A CloudTrail log file (gzip, `Records`) with ordinary records and one
/// StopLogging.
fn log_with_stop(dir: &Path) -> std::path::PathBuf {
    let spec = TrailSpec::default();
    let mut rng = Rng::new(1);
    let t = Utc.with_ymd_and_hms(2026, 11, 27, 3, 0, 0).unwrap();
    let o = log_file(&spec, "eu-west-1", t, &mut rng);
    let mut doc: Value =
        serde_json::from_slice(&trailguard::gzip::inflate(&o.body, 1 << 30).unwrap().0).unwrap();
    doc["Records"]
        .as_array_mut()
        .unwrap()
        .push(stop("e-log-stop"));
    let p = dir.join("AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/27/log.json.gz");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, gzip(doc.to_string().as_bytes())).unwrap();
    p
}

#[test]
fn every_format_is_read_and_alerts_carry_the_documented_fields() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    log_with_stop(d);
    // A digest in the tree is not a log file: skipped, not an error.
    let digest = d.join("AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/11/27/x.json.gz");
    std::fs::create_dir_all(digest.parent().unwrap()).unwrap();
    std::fs::write(&digest, gzip(b"{\"digestStartTime\":\"x\"}")).unwrap();
    // JSON lines (CRLF), a JSON array, a CloudWatch Logs Lambda event.
    let lines = format!(
        "{}\r\n\r\n{}\r\n",
        suspicious(
            "e-lines",
            "DeleteFlowLogs",
            "ec2.amazonaws.com",
            json!({"flowLogIds": ["fl-1"]})
        ),
        record(
            &TrailSpec::default(),
            "eu-west-1",
            Utc::now(),
            &mut Rng::new(2)
        )
    );
    std::fs::write(d.join("events.jsonl"), lines).unwrap();
    std::fs::write(
        d.join("array.json"),
        json!([suspicious(
            "e-array",
            "DisableSecurityHub",
            "securityhub.amazonaws.com",
            json!({})
        )])
        .to_string(),
    )
    .unwrap();
    let cwl = encode(
        &json!({"messageType": "DATA_MESSAGE", "logGroup": "g", "logStream": "s",
        "owner": "111122223333", "subscriptionFilters": [],
        "logEvents": [{"id": "1", "timestamp": 0, "message": stop("e-cwl").to_string()}]}),
    );
    std::fs::write(d.join("lambda-event.json"), cwl.to_string()).unwrap();

    let run = trailguard(
        &[
            "scan",
            "--output",
            "json",
            "--trail-name",
            "main-trail",
            d.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let alerts = json_lines(&run);
    let ids: Vec<&str> = alerts
        .iter()
        .map(|a| a["eventID"].as_str().unwrap())
        .collect();
    for id in ["e-log-stop", "e-lines", "e-array", "e-cwl"] {
        assert!(
            ids.contains(&id),
            "{id} missing from {ids:?}\n{}",
            run.stderr
        );
    }
    for a in &alerts {
        for k in [
            "rule",
            "title",
            "severity",
            "eventID",
            "eventName",
            "eventSource",
            "eventTime",
            "principal",
            "sourceIPAddress",
            "awsRegion",
            "recipientAccountId",
        ] {
            assert!(a.get(k).is_some(), "{k} missing from {a}");
        }
        assert!(["informational", "low", "medium", "high", "critical"]
            .contains(&a["severity"].as_str().unwrap()));
    }
    let stop_alert = alerts
        .iter()
        .find(|a| a["eventID"] == "e-log-stop" && a["severity"] == "critical")
        .expect("the guarded trail's StopLogging is critical");
    assert_eq!(
        stop_alert["principal"],
        "arn:aws:iam::111122223333:user/mallory"
    );
    assert!(run.stderr.contains("4 input(s)"), "{}", run.stderr);
    assert!(!run.stderr.contains("CloudTrail-Digest"), "{}", run.stderr);
}

#[test]
fn text_output_stdin_and_the_severity_floor() {
    let input = json!({"Records": [stop("e1"),
        suspicious("e2", "CreateSecurityGroup", "ec2.amazonaws.com", json!({"groupName": "web"}))]})
    .to_string();
    let run = trailguard(&["scan", "-"], Some(input.as_bytes()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    assert!(
        lines[0].contains("HIGH") && lines[0].contains("StopLogging"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("eventID=e1"));
    // Security group changes are low: shown only when asked.
    let run = trailguard(
        &["scan", "--min-severity", "low", "-"],
        Some(input.as_bytes()),
    );
    assert!(run.stdout.contains("CreateSecurityGroup"), "{}", run.stdout);
    // A record delivered twice (in two files) alerts once.
    let twice = format!("{}\n{}\n", stop("e1"), stop("e1"));
    let run = trailguard(&["scan", "-"], Some(twice.as_bytes()));
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("1 duplicate event(s) skipped"),
        "{}",
        run.stderr
    );
}

#[test]
fn unreadable_inputs_and_broken_rules_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json.gz");
    std::fs::write(&bad, b"\x1f\x8b\x08\x00 truncated").unwrap();
    let good = dir.path().join("good.json");
    std::fs::write(&good, json!({"Records": [stop("e1")]}).to_string()).unwrap();
    let run = trailguard(
        &["scan", bad.to_str().unwrap(), good.to_str().unwrap()],
        None,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("bad.json.gz"), "{}", run.stderr);
    // The good file was still scanned.
    assert!(run.stdout.contains("StopLogging"));
    let run = trailguard(&["scan", "/nonexistent/path"], None);
    assert_eq!(run.code, 2);
    let rule = dir.path().join("r.yml");
    std::fs::write(&rule, "title: t\nid: x\nlevel: high\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n    eventName|windash: x\n  condition: s\n").unwrap();
    let run = trailguard(
        &[
            "scan",
            "--rules",
            rule.to_str().unwrap(),
            good.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("windash"), "{}", run.stderr);
}

#[test]
fn user_rules_tuning_and_no_builtin() {
    let dir = tempfile::tempdir().unwrap();
    let rule = dir.path().join("mine.yml");
    std::fs::write(&rule, "title: Artifacts read\nid: my-artifacts\nlevel: medium\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n    eventName: GetObject\n    requestParameters.bucketName: artifacts\n  condition: s\n").unwrap();
    let tuning = dir.path().join("tuning.yml");
    std::fs::write(&tuning, "allow:\n  - rules: [my-artifacts]\n    principals: ['arn:aws:iam::111122223333:user/ci']\n    reason: the build reads artifacts\n").unwrap();
    let read = |who: &str, id: &str| {
        let mut r = suspicious(
            id,
            "GetObject",
            "s3.amazonaws.com",
            json!({"bucketName": "artifacts"}),
        );
        r["userIdentity"]["arn"] = json!(format!("arn:aws:iam::111122223333:user/{who}"));
        r
    };
    let input = json!([read("ci", "e-ci"), read("eve", "e-eve"), stop("e-stop")]).to_string();
    let run = trailguard(
        &[
            "scan",
            "--no-builtin",
            "--rules",
            rule.to_str().unwrap(),
            "--tuning",
            tuning.to_str().unwrap(),
            "--output",
            "json",
            "-",
        ],
        Some(input.as_bytes()),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let alerts = json_lines(&run);
    assert_eq!(alerts.len(), 1, "{}", run.stdout);
    assert_eq!(alerts[0]["rule"], "my-artifacts");
    assert_eq!(alerts[0]["eventID"], "e-eve");
    // Disabling by id.
    let run = trailguard(
        &[
            "scan",
            "--no-builtin",
            "--rules",
            rule.to_str().unwrap(),
            "--disable",
            "my-artifacts",
            "-",
        ],
        Some(input.as_bytes()),
    );
    assert_eq!(run.stdout, "");
}

#[test]
fn rules_check_reports_each_file() {
    let dir = tempfile::tempdir().unwrap();
    let ok = "title: ok\nid: ok-1\nlevel: low\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s:\n    eventName: X\n  condition: s\n";
    std::fs::write(dir.path().join("a_ok.yml"), ok).unwrap();
    std::fs::write(
        dir.path().join("b_bad.yml"),
        ok.replace("eventName: X", "eventName|expand|windash: X"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("c_wait.yml"),
        ok.replace("ok-1", "wait-1").replace(
            "eventName: X",
            "requestParameters.bucketName|expand: '%log_bucket%'",
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a rule").unwrap();
    let run = trailguard(&["rules", "check", dir.path().to_str().unwrap()], None);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(lines[0].starts_with("ok ") && lines[0].contains("ok-1"));
    assert!(
        lines[1].starts_with("FAIL") && lines[1].contains("b_bad.yml"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("wait") && lines[2].contains("log_bucket"),
        "{}",
        lines[2]
    );
    // With the bucket configured, the waiting rule loads.
    std::fs::remove_file(dir.path().join("b_bad.yml")).unwrap();
    let run = trailguard(
        &[
            "rules",
            "check",
            "--log-bucket",
            "logs",
            dir.path().to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        run.stdout.lines().filter(|l| l.starts_with("ok ")).count(),
        2
    );
}

#[test]
fn rules_list_shows_the_builtins_with_severities() {
    let run = trailguard(&["rules", "list"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("SEVERITY"));
    let rows: Vec<&str> = run.stdout.lines().skip(1).collect();
    let builtins = std::fs::read_dir(repo_root().join("shared/rules/builtin"))
        .unwrap()
        .count();
    assert_eq!(rows.len(), builtins);
    assert!(rows
        .iter()
        .any(|r| r.starts_with("critical") || r.contains("inactive")));
    assert!(rows
        .iter()
        .any(|r| r.contains("builtin/cis_root_account_usage.yml") && r.starts_with("high")));
    // Without the trail's names, the rules guarding it wait for them.
    assert!(
        run.stderr.contains("needs TRAILGUARD_LOG_BUCKET"),
        "{}",
        run.stderr
    );
}

/// Issue 14, section 1, tried as a new user would: `trailguard scan` with
/// no flags (no trail, bucket or key named; default floor) alerts on each
/// way to blind a trail without stopping it, and stays quiet on their
/// benign look-alikes. Record shapes as CloudTrail logs them (see
/// shared/src/detect/builtin_tests.rs for the sources).
#[test]
fn tampering_is_seen_with_no_configuration() {
    let s3 = |id: &str, name: &str, bucket: &str, key: Option<&str>, extra: Value| {
        let mut params = json!({"bucketName": bucket, "Host": format!("{bucket}.s3.eu-west-1.amazonaws.com"), "x-id": name});
        if let Some(k) = key {
            params["key"] = json!(k);
        }
        if let (Some(p), Value::Object(extra)) = (params.as_object_mut(), extra) {
            p.extend(extra);
        }
        let mut rec = suspicious(id, name, "s3.amazonaws.com", params);
        let object = match key {
            Some(k) => {
                json!({"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{bucket}/{k}")})
            }
            None => {
                json!({"type": "AWS::S3::Object", "ARNPrefix": format!("arn:aws:s3:::{bucket}/")})
            }
        };
        rec["resources"] = json!([object, {"type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}"), "accountId": "111122223333"}]);
        rec
    };
    let tampering = [
        // Stratus Red Team's detonation: ReadOnly, management events off.
        suspicious("t1", "PutEventSelectors", "cloudtrail.amazonaws.com", json!({"trailName": "stratus-red-team-ctes-trail-khlvciwdor",
            "eventSelectors": [{"dataResources": [{"type": "AWS::S3::Object", "values": []}], "excludeManagementEventSources": [],
            "includeManagementEvents": false, "readWriteType": "ReadOnly"}]})),
        // Selectors replaced with WriteOnly.
        suspicious("t2", "PutEventSelectors", "cloudtrail.amazonaws.com", json!({"trailName": "org-trail",
            "eventSelectors": [{"readWriteType": "WriteOnly", "includeManagementEvents": true, "excludeManagementEventSources": [], "dataResources": []}]})),
        // Advanced selectors without management events.
        suspicious("t3", "PutEventSelectors", "cloudtrail.amazonaws.com", json!({"trailName": "org-trail",
            "advancedEventSelectors": [{"name": "S3", "fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]}, {"field": "resources.type", "equals": ["AWS::S3::Object"]}]}]})),
        // A log object deleted.
        s3("t4", "DeleteObject", "acme-audit", Some("AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/27/111122223333_CloudTrail_eu-west-1_20261127T0300Z_Ab12Cd34Ef56Gh78.json.gz"), json!({})),
        // A digest deleted.
        s3("t5", "DeleteObject", "acme-audit", Some("AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/11/27/111122223333_CloudTrail-Digest_eu-west-1_org-trail_eu-west-1_20261127T030512Z.json.gz"), json!({})),
        // Logs deleted in bulk (S3 logs no keys for DeleteObjects).
        s3("t6", "DeleteObjects", "acme-cloudtrail-logs", None, json!({"delete": ""})),
        // Versioning suspended on the log bucket.
        s3("t7", "PutBucketVersioning", "acme-cloudtrail-logs", None, json!({"versioning": "", "VersioningConfiguration": {"Status": "Suspended", "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}})),
    ];
    let benign = [
        suspicious(
            "b1",
            "PutEventSelectors",
            "cloudtrail.amazonaws.com",
            json!({"trailName": "org-trail",
            "eventSelectors": [{"readWriteType": "All", "includeManagementEvents": true, "excludeManagementEventSources": [],
            "dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}]}]}),
        ),
        s3(
            "b2",
            "DeleteObject",
            "acme-audit",
            Some("AWSLogs/111122223333/elasticloadbalancing/eu-west-1/2026/11/27/lb.log.gz"),
            json!({}),
        ),
        s3(
            "b3",
            "DeleteObjects",
            "acme-build-cache",
            None,
            json!({"delete": ""}),
        ),
        s3(
            "b4",
            "PutBucketVersioning",
            "acme-cloudtrail-logs",
            None,
            json!({"versioning": "", "VersioningConfiguration": {"Status": "Enabled"}}),
        ),
    ];
    let records: Vec<Value> = tampering.iter().chain(benign.iter()).cloned().collect();
    let input = json!({ "Records": records }).to_string();
    let run = trailguard(&["scan", "--output", "json", "-"], Some(input.as_bytes()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let alerts = json_lines(&run);
    let ids: std::collections::BTreeSet<&str> = alerts
        .iter()
        .filter_map(|a| a["eventID"].as_str())
        .collect();
    for want in ["t1", "t2", "t3", "t4", "t5", "t6", "t7"] {
        assert!(ids.contains(want), "{want} not alerted:\n{}", run.stdout);
    }
    for quiet in ["b1", "b2", "b3", "b4"] {
        assert!(!ids.contains(quiet), "{quiet} alerted:\n{}", run.stdout);
    }
}

/// Issue 14, section 2: with the stack, trail, bucket and key named,
/// cutting trailguard's own chain (functions, triggers, queue, log feed,
/// topics, alarms, roles, the trail's settings, the log bucket's
/// notifications and replication, the key's policy and grants) is alerted;
/// the same calls on other resources or made by CloudFormation are not; and
/// without those names the rules wait for them.
#[test]
fn cutting_trailguard_itself_is_seen_when_the_stack_is_named() {
    let cut = [
        suspicious(
            "s1",
            "DeleteFunction20150331",
            "lambda.amazonaws.com",
            json!({"functionName": "tg-AlertRouterFunction-Xk2P9qLm3Rt7"}),
        ),
        suspicious(
            "s2",
            "PutFunctionConcurrency20171031",
            "lambda.amazonaws.com",
            json!({"functionName": "tg-IntegrityValidatorFunction-Ab3Cd4Ef5Gh6", "reservedConcurrentExecutions": 0}),
        ),
        suspicious(
            "s3",
            "DisableRule",
            "events.amazonaws.com",
            json!({"name": "tg-WatchdogSchedule-1AB2CD3EF4GH"}),
        ),
        suspicious(
            "s4",
            "PurgeQueue",
            "sqs.amazonaws.com",
            json!({"queueUrl": "https://sqs.eu-west-1.amazonaws.com/111122223333/tg-ValidatorQueue-Q1w2E3r4T5y6"}),
        ),
        suspicious(
            "s5",
            "DeleteSubscriptionFilter",
            "logs.amazonaws.com",
            json!({"logGroupName": "/aws/cloudtrail/tg", "filterName": "tg-AlertRouterSubscription-7HJK8LMN9PQR"}),
        ),
        suspicious(
            "s6",
            "DeleteTopic",
            "sns.amazonaws.com",
            json!({"topicArn": "arn:aws:sns:eu-west-1:111122223333:tg-AlertTopic-1A2B3C4D5E6F"}),
        ),
        suspicious(
            "s7",
            "DisableAlarmActions",
            "monitoring.amazonaws.com",
            json!({"alarmNames": ["tg-alert-router-errors"]}),
        ),
        suspicious(
            "s8",
            "DetachRolePolicy",
            "iam.amazonaws.com",
            json!({"roleName": "tg-IntegrityValidatorRole-3XYZ4ABC5DEF", "policyArn": "arn:aws:iam::111122223333:policy/tg-IntegrityValidatorPolicy-1QAZ2WSX3EDC"}),
        ),
        suspicious(
            "n1",
            "UpdateTrail",
            "cloudtrail.amazonaws.com",
            json!({"name": "main-trail", "cloudWatchLogsLogGroupArn": "", "cloudWatchLogsRoleArn": ""}),
        ),
        suspicious(
            "n2",
            "PutBucketNotification",
            "s3.amazonaws.com",
            json!({"bucketName": "acme-audit", "notification": "", "NotificationConfiguration": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}}),
        ),
        suspicious(
            "n3",
            "PutBucketReplication",
            "s3.amazonaws.com",
            json!({"bucketName": "acme-audit", "replication": ""}),
        ),
        suspicious(
            "n4",
            "CreateGrant",
            "kms.amazonaws.com",
            json!({"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "granteePrincipal": "arn:aws:iam::444455556666:root", "operations": ["Decrypt"]}),
        ),
        suspicious(
            "n5",
            "PutKeyPolicy",
            "kms.amazonaws.com",
            json!({"keyId": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "policyName": "default", "policy": "{}"}),
        ),
    ];
    let mut by_cfn = suspicious(
        "q1",
        "UpdateFunctionConfiguration20150331v2",
        "lambda.amazonaws.com",
        json!({"functionName": "tg-AlertRouterFunction-Xk2P9qLm3Rt7"}),
    );
    by_cfn["sourceIPAddress"] = json!("cloudformation.amazonaws.com");
    let quiet = [
        by_cfn,
        suspicious(
            "q2",
            "DeleteFunction20150331",
            "lambda.amazonaws.com",
            json!({"functionName": "orders-api"}),
        ),
        suspicious(
            "q3",
            "DisableRule",
            "events.amazonaws.com",
            json!({"name": "tgx-nightly"}),
        ),
        suspicious(
            "q4",
            "DeleteQueue",
            "sqs.amazonaws.com",
            json!({"queueUrl": "https://sqs.eu-west-1.amazonaws.com/111122223333/orders"}),
        ),
    ];
    let records: Vec<Value> = cut.iter().chain(quiet.iter()).cloned().collect();
    let input = json!({ "Records": records }).to_string();
    let ids = |run: &Run| -> std::collections::BTreeSet<String> {
        json_lines(run)
            .iter()
            .filter_map(|a| a["eventID"].as_str().map(str::to_string))
            .collect()
    };
    let run = trailguard(
        &[
            "scan",
            "--output",
            "json",
            "--stack-name",
            "tg",
            "--trail-name",
            "main-trail",
            "--log-bucket",
            "acme-audit",
            "--kms-key",
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "--log-group",
            "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/cloudtrail/tg:*",
            "-",
        ],
        Some(input.as_bytes()),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let got = ids(&run);
    for want in [
        "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "n1", "n2", "n3", "n4", "n5",
    ] {
        assert!(got.contains(want), "{want} not alerted:\n{}", run.stdout);
    }
    for q in ["q1", "q2", "q3", "q4"] {
        assert!(!got.contains(q), "{q} alerted:\n{}", run.stdout);
    }
    // Without the stack, trail, bucket and key named the rules wait for them.
    let run = trailguard(&["scan", "--output", "json", "-"], Some(input.as_bytes()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(ids(&run).is_empty(), "{}", run.stdout);
    // A name CloudFormation shortened escapes the prefix; passed as one of
    // the stack's resources (as the template does) it is matched whole.
    let shortened = json!({ "Records": [suspicious(
        "r1",
        "DeleteFunction20150331",
        "lambda.amazonaws.com",
        json!({"functionName": "acme-security-platf-AlertRouterFunction-Xk2P9qLm3Rt7"}),
    )] })
    .to_string();
    let stack = [
        "scan",
        "--output",
        "json",
        "--stack-name",
        "acme-security-platform-trailguard-prod",
    ];
    let run = trailguard(&[&stack[..], &["-"]].concat(), Some(shortened.as_bytes()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(ids(&run).is_empty(), "{}", run.stdout);
    let passed = [
        "--stack-resource",
        "arn:aws:lambda:eu-west-1:111122223333:function:acme-security-platf-AlertRouterFunction-Xk2P9qLm3Rt7",
        "-",
    ];
    let run = trailguard(&[&stack[..], &passed].concat(), Some(shortened.as_bytes()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(ids(&run), ["r1".to_string()].into(), "{}", run.stdout);
}
