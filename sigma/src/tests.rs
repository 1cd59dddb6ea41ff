//! Rule-level tests: every Sigma construct through `Rule::from_yaml` and
//! `Rule::matches`, the rule set's index, rejections with their reasons, and
//! the SigmaHQ CloudTrail rules when their directory is present.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::*;

const HEADER: &str = "title: Test rule
id: 00000000-0000-4000-8000-000000000001
status: test
description: A rule for tests.
author: trailguard
level: high
logsource:
    product: aws
    service: cloudtrail
detection:
";

/// A rule whose `detection:` block is `detection` (indented here).
fn yaml(detection: &str) -> String {
    let body: String = detection.lines().map(|l| format!("    {l}\n")).collect();
    format!("{HEADER}{body}")
}

fn rule(detection: &str) -> Rule {
    match Rule::from_yaml(&yaml(detection), "test.yml") {
        Ok(r) => r,
        Err(e) => panic!("rule should load: {e}\n{detection}"),
    }
}

fn reject(detection: &str) -> RuleError {
    match Rule::from_yaml(&yaml(detection), "test.yml") {
        Ok(_) => panic!("rule should be rejected:\n{detection}"),
        Err(e) => e,
    }
}

/// The error text of a rejected rule.
fn reason(detection: &str) -> String {
    reject(detection).to_string()
}

fn reject_doc(doc: &str) -> RuleError {
    match Rule::from_yaml(doc, "doc.yml") {
        Ok(_) => panic!("document should be rejected:\n{doc}"),
        Err(e) => e,
    }
}

// ---------------------------------------------------------------- structure

#[test]
fn map_is_and_values_list_is_or() {
    let r = rule(
        "selection:
    eventSource: iam.amazonaws.com
    eventName:
        - CreateUser
        - DeleteUser
condition: selection",
    );
    assert!(r.matches(&json!({"eventSource": "iam.amazonaws.com", "eventName": "CreateUser"})));
    assert!(r.matches(&json!({"eventSource": "iam.amazonaws.com", "eventName": "DeleteUser"})));
    assert!(!r.matches(&json!({"eventSource": "iam.amazonaws.com", "eventName": "GetUser"})));
    assert!(!r.matches(&json!({"eventSource": "s3.amazonaws.com", "eventName": "CreateUser"})));
    assert!(!r.matches(&json!({"eventName": "CreateUser"})));
}

#[test]
fn list_of_maps_is_or_of_ands() {
    let r = rule(
        "selection:
    - eventSource: ssm.amazonaws.com
      eventName: SendCommand
    - sourceIPAddress: AWS Internal
condition: selection",
    );
    assert!(r.matches(&json!({"eventSource": "ssm.amazonaws.com", "eventName": "SendCommand"})));
    assert!(r.matches(&json!({"sourceIPAddress": "AWS Internal"})));
    assert!(!r.matches(&json!({"eventSource": "ssm.amazonaws.com", "eventName": "GetParameter"})));
    assert!(!r.matches(&json!({})));
}

#[test]
fn null_means_absent_or_null() {
    let r = rule(
        "selection:
    errorCode: null
condition: selection",
    );
    assert!(r.matches(&json!({"eventName": "DeleteBucket"})));
    assert!(r.matches(&json!({"errorCode": null})));
    assert!(r.matches(&json!({"errorCode": []})));
    assert!(!r.matches(&json!({"errorCode": ""})));
    assert!(!r.matches(&json!({"errorCode": "AccessDenied"})));
    assert!(!r.matches(&json!({"errorCode": {}})));
    // Nested: absent at any level is null; arrays: any element.
    let r = rule(
        "selection:
    a.b: null
condition: selection",
    );
    assert!(r.matches(&json!({})));
    assert!(r.matches(&json!({"a": "scalar"})));
    assert!(r.matches(&json!({"a": {"c": 1}})));
    assert!(r.matches(&json!({"a": []})));
    assert!(r.matches(&json!({"a": [{"b": 1}, {"c": 2}]})));
    assert!(!r.matches(&json!({"a": {"b": 1}})));
    assert!(!r.matches(&json!({"a": [{"b": 1}, {"b": 2}]})));
    // 'null' quoted is the string.
    let r = rule(
        "selection:
    errorCode: 'null'
condition: selection",
    );
    assert!(r.matches(&json!({"errorCode": "NULL"})));
    assert!(!r.matches(&json!({})));
    // null in a list of values.
    let r = rule(
        "selection:
    errorCode:
        - null
        - Success
condition: selection",
    );
    assert!(r.matches(&json!({})));
    assert!(r.matches(&json!({"errorCode": "success"})));
    assert!(!r.matches(&json!({"errorCode": "AccessDenied"})));
}

#[test]
fn case_insensitive_by_default_cased_on_request() {
    let r = rule(
        "selection:
    eventName: createuser
condition: selection",
    );
    assert!(r.matches(&json!({"eventName": "CreateUser"})));
    assert!(r.matches(&json!({"eventName": "CREATEUSER"})));
    let r = rule(
        "selection:
    eventName|cased: CreateUser
condition: selection",
    );
    assert!(r.matches(&json!({"eventName": "CreateUser"})));
    assert!(!r.matches(&json!({"eventName": "createuser"})));
    let r = rule(
        "selection:
    userAgent|contains|cased: Boto3
condition: selection",
    );
    assert!(r.matches(&json!({"userAgent": "aws-cli Boto3/1.2"})));
    assert!(!r.matches(&json!({"userAgent": "aws-cli boto3/1.2"})));
    // Non-ASCII folds too.
    let r = rule(
        "selection:
    requestParameters.description|contains: 'ÉQUIPE'
condition: selection",
    );
    assert!(r.matches(&json!({"requestParameters": {"description": "rôle de l'équipe"}})));
}

#[test]
fn numbers_and_booleans_compare_as_strings() {
    let r = rule(
        "selection:
    responseElements.publiclyAccessible: 'true'
    requestParameters.port: 22
    requestParameters.ratio: 1.5
    requestParameters.flag: false
    recipientAccountId: 123456789012
condition: selection",
    );
    let base = json!({
        "responseElements": {"publiclyAccessible": true},
        "requestParameters": {"port": 22, "ratio": 1.5, "flag": false},
        "recipientAccountId": "123456789012"
    });
    assert!(r.matches(&base));
    let strings = json!({
        "responseElements": {"publiclyAccessible": "TRUE"},
        "requestParameters": {"port": "22", "ratio": "1.5", "flag": "false"},
        "recipientAccountId": 123456789012u64
    });
    assert!(r.matches(&strings));
    let mut miss = base.clone();
    miss["requestParameters"]["port"] = json!(2222);
    assert!(!r.matches(&miss));
    let mut miss = base.clone();
    miss["responseElements"]["publiclyAccessible"] = json!(false);
    assert!(!r.matches(&miss));
    // A number keeps the text its author wrote: 1.0 is not 1.
    let r = rule(
        "selection:
    v: 1.0
condition: selection",
    );
    assert!(r.matches(&json!({"v": 1.0})));
    assert!(r.matches(&json!({"v": "1.0"})));
    assert!(!r.matches(&json!({"v": 1})));
    // Wildcards reach numbers as text.
    let r = rule(
        "selection:
    requestParameters.fromPort|startswith: 8
condition: selection",
    );
    assert!(r.matches(&json!({"requestParameters": {"fromPort": 8080}})));
    assert!(!r.matches(&json!({"requestParameters": {"fromPort": 443}})));
}

#[test]
fn wildcards_and_escapes_in_rules() {
    let r = rule(
        r"selection:
    eventName: 'Put*Policy'
    userAgent: 'aws-cli/?.*'
condition: selection",
    );
    assert!(r.matches(&json!({"eventName": "PutUserPolicy", "userAgent": "aws-cli/2.15"})));
    assert!(r.matches(&json!({"eventName": "PutPolicy", "userAgent": "aws-cli/1."})));
    assert!(!r.matches(&json!({"eventName": "PutUserPolicyX", "userAgent": "aws-cli/2.15"})));
    assert!(!r.matches(&json!({"eventName": "PutUserPolicy", "userAgent": "aws-cli/.15"})));
    let r = rule(
        r"selection:
    requestParameters.policyDocument|contains: '\*'
    requestParameters.path: 'C:\Users\\*'
    requestParameters.q: 'why\?'
    requestParameters.b: 'a\\*'
condition: selection",
    );
    let rec = json!({"requestParameters": {
        "policyDocument": "Action: *",
        "path": "C:\\Users\\bob",
        "q": "why?",
        "b": "a\\anything"
    }});
    assert!(r.matches(&rec));
    let mut miss = rec.clone();
    miss["requestParameters"]["policyDocument"] = json!("Action: s3:Get");
    assert!(!r.matches(&miss));
    let mut miss = rec.clone();
    miss["requestParameters"]["q"] = json!("whyy");
    assert!(!r.matches(&miss));
    let mut miss = rec.clone();
    miss["requestParameters"]["b"] = json!("abc");
    assert!(!r.matches(&miss));
}

#[test]
fn dotted_paths_nested_objects_and_arrays() {
    let r = rule(
        "selection:
    userIdentity.sessionContext.sessionIssuer.type: Role
    requestParameters.containerDefinitions.command|contains: 'curl'
    resources.ARN|endswith: ':trail/main'
condition: selection",
    );
    let rec = json!({
        "userIdentity": {"sessionContext": {"sessionIssuer": {"type": "Role"}}},
        "requestParameters": {"containerDefinitions": [
            {"name": "a", "command": ["sh", "-c", "echo"]},
            {"name": "b", "command": [["nested", "curl http://x"]]}
        ]},
        "resources": [
            {"ARN": "arn:aws:s3:::bucket"},
            {"ARN": "arn:aws:cloudtrail:us-east-1:1:trail/main"}
        ]
    });
    assert!(r.matches(&rec));
    let mut miss = rec.clone();
    miss["requestParameters"]["containerDefinitions"][1]["command"] = json!(["echo"]);
    assert!(!r.matches(&miss));
    let mut miss = rec.clone();
    miss["resources"] = json!([]);
    assert!(!r.matches(&miss));
    let mut miss = rec.clone();
    miss["userIdentity"]["sessionContext"] = json!("flat");
    assert!(!r.matches(&miss));
}

#[test]
fn string_matchers_on_objects_search_their_values() {
    let r = rule(
        "selection:
    requestParameters|contains: 'Suspended'
condition: selection",
    );
    assert!(r.matches(&json!({"requestParameters": {
        "bucketName": "b", "VersioningConfiguration": {"Status": "Suspended"}}})));
    assert!(!r.matches(&json!({"requestParameters": {
        "bucketName": "b", "VersioningConfiguration": {"Status": "Enabled"}}})));
    // Keys are not values.
    assert!(!r.matches(&json!({"requestParameters": {"Suspended": "no"}})));
}

#[test]
fn contains_startswith_endswith() {
    let r = rule(
        "selection:
    eventName|startswith: 'UpdateFunctionConfiguration'
    userAgent|contains: 'S3 Browser'
    userIdentity.arn|endswith: ':root'
condition: selection",
    );
    let rec = json!({
        "eventName": "UpdateFunctionConfiguration20150331v2",
        "userAgent": "Mozilla S3 browser 9.5",
        "userIdentity": {"arn": "arn:aws:iam::123456789012:ROOT"}
    });
    assert!(r.matches(&rec));
    for (k, v) in [
        ("eventName", json!("XUpdateFunctionConfiguration")),
        ("userAgent", json!("S3Browser")),
        (
            "userIdentity",
            json!({"arn": "arn:aws:iam::123456789012:root/x"}),
        ),
    ] {
        let mut miss = rec.clone();
        miss[k] = v;
        assert!(!r.matches(&miss), "{k}");
    }
}

#[test]
fn all_modifier_needs_every_value() {
    let r = rule(
        "selection:
    requestParameters.policyDocument|contains|all:
        - '\"s3:GetObject\"'
        - '\"Allow\"'
condition: selection",
    );
    assert!(r.matches(&json!({"requestParameters": {
        "policyDocument": "{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\"}"}})));
    assert!(!r.matches(&json!({"requestParameters": {
        "policyDocument": "{\"Effect\":\"Deny\",\"Action\":\"s3:GetObject\"}"}})));
    // Across the elements of an array: each value may be met by another.
    let r = rule(
        "selection:
    tags|all:
        - prod
        - pci
condition: selection",
    );
    assert!(r.matches(&json!({"tags": ["dev", "PCI", "prod"]})));
    assert!(!r.matches(&json!({"tags": ["dev", "prod"]})));
    // Without `all`, one is enough.
    let r = rule(
        "selection:
    tags:
        - prod
        - pci
condition: selection",
    );
    assert!(r.matches(&json!({"tags": ["dev", "prod"]})));
    // Single value with all is accepted.
    let r = rule(
        "selection:
    eventName|all: X
condition: selection",
    );
    assert!(r.matches(&json!({"eventName": "x"})));
}

#[test]
fn regular_expressions_and_flags() {
    let r = rule(
        "selection:
    userIdentity.arn|re: '.+:assumed-role/aws:.+'
condition: selection",
    );
    assert!(r.matches(
        &json!({"userIdentity": {"arn": "arn:aws:sts::1:assumed-role/aws:ec2-instance/i-1"}})
    ));
    // Case-sensitive by default.
    assert!(!r.matches(
        &json!({"userIdentity": {"arn": "arn:aws:sts::1:ASSUMED-ROLE/aws:ec2-instance/i-1"}})
    ));
    assert!(!r.matches(&json!({"userIdentity": {"arn": "arn:aws:iam::1:user/bob"}})));
    // Unanchored search unless anchored.
    let r = rule(
        "selection:
    a|re: 'b+c'
    b|re: '^x$'
condition: selection",
    );
    assert!(r.matches(&json!({"a": "aaabbbcdd", "b": "x"})));
    assert!(!r.matches(&json!({"a": "aaabbbcdd", "b": "xx"})));
    let r = rule(
        "selection:
    a|re|i: '^admin'
condition: selection",
    );
    assert!(r.matches(&json!({"a": "ADMINISTRATOR"})));
    let r = rule(
        "selection:
    a|re|m: '^second$'
condition: selection",
    );
    assert!(r.matches(&json!({"a": "first\nsecond\nthird"})));
    let r = rule(
        "selection:
    a|re: '^second$'
condition: selection",
    );
    assert!(!r.matches(&json!({"a": "first\nsecond\nthird"})));
    let r = rule(
        "selection:
    a|re|s: 'first.second'
condition: selection",
    );
    assert!(r.matches(&json!({"a": "first\nsecond"})));
    let r = rule(
        "selection:
    a|re: 'first.second'
condition: selection",
    );
    assert!(!r.matches(&json!({"a": "first\nsecond"})));
    // Long spellings of the flags.
    let r = rule(
        "selection:
    a|re|ignorecase|multiline|dotall: '^x.y$'
condition: selection",
    );
    assert!(r.matches(&json!({"a": "q\nX\nY"})));
    // Numbers are matched as their text.
    let r = rule(
        "selection:
    port|re: '^(22|3389)$'
condition: selection",
    );
    assert!(r.matches(&json!({"port": 3389})));
}

#[test]
fn catastrophic_looking_regex_stays_fast() {
    let r = rule(
        "sel_a:
    a|re: '^(a+)+$'
sel_b:
    b|re: '(x|x)*y'
sel_c:
    c|re: '(.*a){12}'
condition: 1 of sel_*",
    );
    let long = format!("{}!", "a".repeat(100_000));
    let rec =
        json!({"a": long, "b": "x".repeat(100_000), "c": "a".repeat(11) + &"b".repeat(50_000)});
    let t = Instant::now();
    assert!(!r.matches(&rec));
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "took {:?}",
        t.elapsed()
    );
}

#[test]
fn regex_rejections_name_the_field() {
    let e = reject(
        "selection:
    userAgent|re: '(?<=x)y'
condition: selection",
    );
    assert!(
        matches!(&*e.kind, RuleErrorKind::Regex { field, pattern, .. }
        if field == "detection.selection.userAgent|re" && pattern == "(?<=x)y")
    );
    let e = reject(
        r"selection:
    userAgent|re: '(a)\1'
condition: selection",
    );
    assert!(matches!(*e.kind, RuleErrorKind::Regex { .. }));
    // Over the size limit.
    let e = reject(
        r"selection:
    userAgent|re: '(\w{100}){100}'
condition: selection",
    );
    assert!(
        matches!(&*e.kind, RuleErrorKind::Regex { reason, .. } if reason.contains("size limit")),
        "{e}"
    );
}

#[test]
fn fieldref_compares_two_fields() {
    let r = rule(
        "selection:
    userIdentity.userName|fieldref: requestParameters.userName
condition: selection",
    );
    assert!(r.matches(
        &json!({"userIdentity": {"userName": "Alice"}, "requestParameters": {"userName": "alice"}})
    ));
    assert!(!r.matches(
        &json!({"userIdentity": {"userName": "alice"}, "requestParameters": {"userName": "bob"}})
    ));
    // A missing side never matches (so `not` of it does).
    assert!(!r.matches(&json!({"userIdentity": {"userName": "alice"}})));
    assert!(!r.matches(&json!({"requestParameters": {"userName": "alice"}})));
    assert!(!r.matches(
        &json!({"userIdentity": {"userName": null}, "requestParameters": {"userName": null}})
    ));
    // Numbers compare as text; arrays: any pair.
    assert!(r.matches(
        &json!({"userIdentity": {"userName": 5}, "requestParameters": {"userName": "5"}})
    ));
    assert!(r.matches(&json!({"userIdentity": {"userName": ["x", "y"]}, "requestParameters": {"userName": ["z", "Y"]}})));
    let r = rule(
        "selection:
    userIdentity.arn|fieldref|endswith: requestParameters.userName
condition: selection",
    );
    assert!(r.matches(&json!({"userIdentity": {"arn": "arn:aws:iam::1:user/Alice"}, "requestParameters": {"userName": "alice"}})));
    assert!(!r.matches(&json!({"userIdentity": {"arn": "arn:aws:iam::1:user/alice2"}, "requestParameters": {"userName": "alice"}})));
    let r = rule(
        "selection:
    userIdentity.arn|fieldref|contains: requestParameters.userName
condition: selection",
    );
    assert!(r.matches(&json!({"userIdentity": {"arn": "arn:aws:iam::1:user/alice/x"}, "requestParameters": {"userName": "alice"}})));
    let r = rule(
        "selection:
    userIdentity.arn|fieldref|startswith: prefix
condition: selection",
    );
    assert!(r.matches(&json!({"userIdentity": {"arn": "arn:aws:iam"}, "prefix": "ARN:"})));
    let r = rule(
        "selection:
    a|fieldref|cased: b
condition: selection",
    );
    assert!(!r.matches(&json!({"a": "X", "b": "x"})));
    assert!(r.matches(&json!({"a": "X", "b": "X"})));
    // Several references: OR, or AND with all.
    let r = rule(
        "selection:
    a|fieldref|all:
        - b
        - c
condition: selection",
    );
    assert!(r.matches(&json!({"a": "v", "b": "v", "c": "V"})));
    assert!(!r.matches(&json!({"a": "v", "b": "v", "c": "w"})));
    assert!(reason(
        "selection:
    a|fieldref: 'b*'
condition: selection"
    )
    .contains("wildcard"));
    assert!(reason(
        "selection:
    a|contains|fieldref: b
condition: selection"
    )
    .contains("`fieldref` must come before"));
}

#[test]
fn base64_and_base64offset() {
    // 'http://' base64 is aHR0cDovLw==
    let r = rule(
        "selection:
    a|base64: 'http://'
condition: selection",
    );
    assert!(r.matches(&json!({"a": "aHR0cDovLw=="})));
    assert!(!r.matches(&json!({"a": "xaHR0cDovLw=="})));
    let r = rule(
        "selection:
    a|base64|contains: 'http://'
condition: selection",
    );
    assert!(r.matches(&json!({"a": "xx aHR0cDovLw== yy"})));
    let r = rule(
        "selection:
    requestParameters.userData|base64offset|contains: 'curl http'
condition: selection",
    );
    // The value at each of the three offsets inside a longer base64 text.
    for prefix in ["", "x", "xy", "#!/bin/sh\n"] {
        let payload = format!("{prefix}curl http://169.254.169.254/ | sh");
        let encoded = super::pattern::base64(payload.as_bytes());
        assert!(
            r.matches(&json!({"requestParameters": {"userData": encoded}})),
            "offset {}",
            prefix.len()
        );
    }
    let other = super::pattern::base64(b"#!/bin/sh\nwget http://x/");
    assert!(!r.matches(&json!({"requestParameters": {"userData": other}})));
    // UTF-16LE before base64offset.
    let r = rule(
        "selection:
    a|wide|base64offset|contains: 'ping'
condition: selection",
    );
    let utf16: Vec<u8> = "cmd /c ping x"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert!(r.matches(&json!({"a": super::pattern::base64(&utf16)})));
    assert!(!r.matches(&json!({"a": super::pattern::base64(b"cmd /c ping x")})));
    let r = rule(
        "selection:
    a|utf16be|base64: 'hi'
condition: selection",
    );
    assert!(r.matches(&json!({"a": super::pattern::base64(&[0, b'h', 0, b'i'])})));
    let r = rule(
        "selection:
    a|utf16|base64: 'hi'
condition: selection",
    );
    assert!(r.matches(&json!({"a": super::pattern::base64(&[0xFF, 0xFE, b'h', 0, b'i', 0])})));
    // Wildcards cannot be encoded; too-short values cannot be offset.
    assert!(reason(
        "selection:
    a|base64: 'http*'
condition: selection"
    )
    .contains("wildcards"));
    assert!(reason(
        "selection:
    a|base64offset|contains: 'h'
condition: selection"
    )
    .contains("too short"));
    assert!(reason(
        "selection:
    a|contains|base64: 'http'
condition: selection"
    )
    .contains("base64 encoding must come before"));
    assert!(reason(
        "selection:
    a|wide: 'http'
condition: selection"
    )
    .contains("UTF-16 encoding is only meaningful"));
    assert!(reason(
        "selection:
    a|base64|wide: 'http'
condition: selection"
    )
    .contains("must come before base64"));
}

#[test]
fn cidr_networks() {
    let r = rule(
        "selection:
    sourceIPAddress|cidr:
        - 10.0.0.0/8
        - 2001:db8::/32
condition: selection",
    );
    assert!(r.matches(&json!({"sourceIPAddress": "10.20.30.40"})));
    assert!(r.matches(&json!({"sourceIPAddress": "2001:db8::7"})));
    assert!(!r.matches(&json!({"sourceIPAddress": "192.0.2.1"})));
    assert!(!r.matches(&json!({"sourceIPAddress": "AWS Internal"})));
    assert!(!r.matches(&json!({})));
    let e = reject(
        "selection:
    sourceIPAddress|cidr: 10.0.0.1/8
condition: selection",
    );
    assert!(matches!(&*e.kind, RuleErrorKind::Invalid { field, reason }
        if field == "detection.selection.sourceIPAddress|cidr" && reason.contains("host bits")));
    assert!(reason(
        "selection:
    sourceIPAddress|contains|cidr: 10.0.0.0/8
condition: selection"
    )
    .contains("`cidr` must come first"));
}

#[test]
fn exists_checks_presence() {
    let r = rule(
        "selection:
    errorCode|exists: true
condition: selection",
    );
    assert!(r.matches(&json!({"errorCode": "AccessDenied"})));
    assert!(r.matches(&json!({"errorCode": null})));
    assert!(r.matches(&json!({"errorCode": ""})));
    assert!(!r.matches(&json!({})));
    let r = rule(
        "selection:
    a.b|exists: false
condition: selection",
    );
    assert!(r.matches(&json!({})));
    assert!(r.matches(&json!({"a": {}})));
    assert!(!r.matches(&json!({"a": {"b": 1}})));
    assert!(reason(
        "selection:
    a|exists: 'yes'
condition: selection"
    )
    .contains("one boolean"));
    assert!(reason(
        "selection:
    a|exists|all: true
condition: selection"
    )
    .contains("`exists` takes no other modifier"));
}

#[test]
fn numeric_comparisons_and_neq() {
    let r = rule(
        "selection:
    n|gt: 10
    m|lte: 2.5
condition: selection",
    );
    assert!(r.matches(&json!({"n": 11, "m": 2.5})));
    assert!(r.matches(&json!({"n": "11", "m": "-1"})));
    assert!(!r.matches(&json!({"n": 10, "m": 1})));
    assert!(!r.matches(&json!({"n": "many", "m": 1})));
    let r = rule(
        "selection:
    n|lt: 0
    m|gte: 3
condition: selection",
    );
    assert!(r.matches(&json!({"n": -1, "m": 3})));
    assert!(!r.matches(&json!({"n": 0, "m": 3})));
    assert!(reason(
        "selection:
    n|gt: ten
condition: selection"
    )
    .contains("not a number"));
    let r = rule(
        "selection:
    eventName|neq:
        - A
        - B
condition: selection",
    );
    assert!(r.matches(&json!({"eventName": "C"})));
    assert!(r.matches(&json!({})));
    assert!(!r.matches(&json!({"eventName": "a"})));
    assert!(!r.matches(&json!({"eventName": "B"})));
}

#[test]
fn keywords_search_every_value() {
    let r = rule(
        "keywords:
    - 'TruffleHog'
    - 'kali'
condition: keywords",
    );
    assert!(r.matches(&json!({"userAgent": "TruffleHog/3.0"})));
    assert!(r.matches(&json!({"a": {"b": ["x", "linux-KALI-2024"]}})));
    assert!(!r.matches(&json!({"TruffleHog": "key, not value"})));
    assert!(!r.matches(&json!({"userAgent": "aws-cli"})));
    // `|all` keywords (the specification's form).
    let r = rule(
        "keywords:
    '|all':
        - 'OabVirtualDirectory'
        - ' -ExternalUrl '
condition: keywords",
    );
    assert!(r.matches(&json!({"a": "Set-OabVirtualDirectory", "b": "x -ExternalUrl y"})));
    assert!(!r.matches(&json!({"a": "Set-OabVirtualDirectory"})));
    // A single keyword, numbers as text, mixed with maps.
    let r = rule(
        "kw: 169.254.169.254
condition: kw",
    );
    assert!(r.matches(&json!({"requestParameters": {"url": "http://169.254.169.254/latest"}})));
    let r = rule(
        "sel:
    - eventName: A
    - 4624
condition: sel",
    );
    assert!(r.matches(&json!({"eventName": "a"})));
    assert!(r.matches(&json!({"x": 14624})));
    assert!(!r.matches(&json!({"eventName": "b"})));
    assert!(reason(
        "kw:
    - null
condition: kw"
    )
    .contains("keyword cannot be null"));
    assert!(reason(
        "kw:
    '|exists': true
condition: kw"
    )
    .contains("`exists` needs a field"));
}

#[test]
fn conditions_in_rules() {
    let ids = "selection_a:
    eventName: A
selection_b:
    eventName: B
filter_main_x:
    userAgent: robot
_private:
    eventSource: s
";
    let r = rule(&format!(
        "{ids}condition: 1 of selection_* and not 1 of filter_main_*"
    ));
    assert!(r.matches(&json!({"eventName": "A"})));
    assert!(r.matches(&json!({"eventName": "b", "userAgent": "human"})));
    assert!(!r.matches(&json!({"eventName": "A", "userAgent": "robot"})));
    assert!(!r.matches(&json!({"eventName": "C"})));
    let r = rule(&format!("{ids}condition: all of selection_*"));
    assert!(!r.matches(&json!({"eventName": "A"})));
    let r = rule(&format!("{ids}condition: 1 of them"));
    assert!(r.matches(&json!({"userAgent": "robot"})));
    assert!(!r.matches(&json!({"eventSource": "s"})));
    let r = rule(&format!("{ids}condition: all of them"));
    assert!(!r.matches(&json!({"eventName": "A", "userAgent": "robot", "eventSource": "s"})));
    let r = rule(&format!(
        "{ids}condition: selection_a or selection_b and filter_main_x"
    ));
    assert!(r.matches(&json!({"eventName": "A"})));
    assert!(!r.matches(&json!({"eventName": "B"})));
    assert!(r.matches(&json!({"eventName": "B", "userAgent": "robot"})));
    let r = rule(&format!(
        "{ids}condition: (selection_a or selection_b) and not filter_main_x"
    ));
    assert!(!r.matches(&json!({"eventName": "A", "userAgent": "robot"})));
    // A list of conditions is their OR.
    let r = rule(&format!(
        "{ids}condition:\n    - selection_a\n    - _private"
    ));
    assert!(r.matches(&json!({"eventSource": "s"})));
    assert!(r.matches(&json!({"eventName": "A"})));
    assert!(!r.matches(&json!({"eventName": "B"})));
}

// ----------------------------------------------------------- placeholders

fn rule_with(detection: &str, ph: &Placeholders) -> Result<Rule, RuleError> {
    Rule::from_yaml_with(&yaml(detection), "test.yml", ph)
}

fn loads_with(detection: &str, ph: &Placeholders) -> Rule {
    match rule_with(detection, ph) {
        Ok(r) => r,
        Err(e) => panic!("rule should load: {e}\n{detection}"),
    }
}

#[test]
fn expand_replaces_placeholders_with_configured_values() {
    let ph = Placeholders::new().with("buckets", ["logs-a", "logs-b"]);
    let r = loads_with(
        "selection:\n    requestParameters.bucketName|expand: '%buckets%'\ncondition: selection",
        &ph,
    );
    let b = |name: &str| json!({"requestParameters": {"bucketName": name}});
    assert!(r.matches(&b("logs-a")));
    assert!(r.matches(&b("LOGS-B")));
    assert!(!r.matches(&b("logs-c")));
    assert!(!r.matches(&b("logs-a-copy")));
    assert!(!r.matches(&json!({})));

    // Inside a longer value, under endswith; the name may be written with
    // its delimiters when set.
    let ph = Placeholders::new().with("%trail%", ["main"]);
    assert_eq!(ph.get("trail"), Some(&["main".to_string()][..]));
    let r = loads_with(
        "selection:\n    requestParameters.name|expand|endswith: ':trail/%trail%'\ncondition: selection",
        &ph,
    );
    let n = |name: &str| json!({"requestParameters": {"name": name}});
    assert!(r.matches(&n("arn:aws:cloudtrail:us-east-1:123456789012:trail/main")));
    assert!(r.matches(&n("arn:aws:cloudtrail:eu-west-1:210987654321:trail/main")));
    assert!(!r.matches(&n("arn:aws:cloudtrail:us-east-1:123456789012:trail/main2")));
    assert!(!r.matches(&n("main")));

    // Two placeholders: every combination. The rule's own text keeps its
    // wildcards; a `%` that does not delimit a name is text.
    let ph = Placeholders::new()
        .with("env", ["prod", "test"])
        .with("app", ["api", "web"]);
    let r = loads_with(
        "selection:\n    userAgent|expand: '%env%-*-%app%-100%'\ncondition: selection",
        &ph,
    );
    let ua = |s: &str| json!({"userAgent": s});
    for ok in [
        "prod-x-api-100%",
        "test-anything-web-100%",
        "prod--web-100%",
    ] {
        assert!(r.matches(&ua(ok)), "{ok}");
    }
    for no in [
        "dev-x-api-100%",
        "prod-x-db-100%",
        "prod-x-api-100",
        "prod-x-api-100%x",
    ] {
        assert!(!r.matches(&ua(no)), "{no}");
    }
    let r = loads_with(
        "selection:\n    userAgent|expand: '%not a name% 50%'\ncondition: selection",
        &Placeholders::new(),
    );
    assert!(r.matches(&ua("%not a name% 50%")));

    // A value without a placeholder is an ordinary value; the expanded
    // values join the item's other values.
    let ph = Placeholders::new().with("extra", ["DeleteBucket"]);
    let r = loads_with(
        "selection:\n    eventName|expand:\n        - '%extra%'\n        - GetObject\ncondition: selection",
        &ph,
    );
    assert!(r.matches(&json!({"eventName": "DeleteBucket"})));
    assert!(r.matches(&json!({"eventName": "GetObject"})));
    assert!(!r.matches(&json!({"eventName": "PutObject"})));
    // ...and the index sees them as plain names.
    let set = RuleSet::new(vec![r]).unwrap();
    assert_eq!(set.index_summary().by_event_name, 1);
    assert_eq!(set.evaluate(&json!({"eventName": "DeleteBucket"})).len(), 1);
}

#[test]
fn expand_composes_with_all_contains_cased_neq_and_base64() {
    let ph = Placeholders::new().with("words", ["alpha", "beta"]);
    let ua = |s: &str| json!({"userAgent": s});
    // OR by default...
    let r = loads_with(
        "selection:\n    userAgent|expand|contains: '%words%'\ncondition: selection",
        &ph,
    );
    assert!(r.matches(&ua("x beta y")));
    assert!(!r.matches(&ua("gamma")));
    // ...AND with all.
    let r = loads_with(
        "selection:\n    userAgent|expand|contains|all: '%words%'\ncondition: selection",
        &ph,
    );
    assert!(r.matches(&ua("alpha/1 beta/2")));
    assert!(!r.matches(&ua("alpha only")));
    // cased
    let r = loads_with(
        "selection:\n    userAgent|expand|cased: '%words%'\ncondition: selection",
        &ph,
    );
    assert!(r.matches(&ua("alpha")));
    assert!(!r.matches(&ua("Alpha")));
    // neq: none of the values
    let r = loads_with(
        "selection:\n    userAgent|expand|neq: '%words%'\ncondition: selection",
        &ph,
    );
    assert!(!r.matches(&ua("beta")));
    assert!(r.matches(&ua("gamma")));
    // base64 of each value
    let r = loads_with(
        "selection:\n    data|expand|base64|contains: '%words%'\ncondition: selection",
        &ph,
    );
    assert!(r.matches(&json!({"data": "xx YmV0YQ== yy"})));
    assert!(!r.matches(&json!({"data": "beta"})));
}

#[test]
fn placeholder_values_are_literal_text() {
    let ph = Placeholders::new().with("bucket", ["logs-*", "a?c", r"back\slash", r"end\"]);
    let r = loads_with(
        "selection:\n    requestParameters.bucketName|expand: '%bucket%'\ncondition: selection",
        &ph,
    );
    let b = |name: &str| json!({"requestParameters": {"bucketName": name}});
    assert!(r.matches(&b("logs-*")));
    assert!(!r.matches(&b("logs-anything")));
    assert!(r.matches(&b("a?c")));
    assert!(!r.matches(&b("abc")));
    assert!(r.matches(&b(r"back\slash")));
    assert!(r.matches(&b(r"end\")));
    assert!(!r.matches(&b("end")));
    // Under contains, the wildcard the modifier adds still works around
    // the literal value.
    let r = loads_with(
        "selection:\n    requestParameters.bucketName|expand|contains: '%bucket%'\ncondition: selection",
        &ph,
    );
    assert!(r.matches(&b("x-logs-*-y")));
    assert!(!r.matches(&b("x-logs-y")));
    // A backslash the rule writes before the placeholder stays a plain
    // backslash and does not swallow the value's escape.
    let ph = Placeholders::new().with("v", ["*x"]);
    let r = loads_with(
        "selection:\n    path|expand: 'dir\\%v%'\ncondition: selection",
        &ph,
    );
    assert!(r.matches(&json!({"path": r"dir\*x"})));
    assert!(!r.matches(&json!({"path": r"dir\abcx"})));
    assert!(!r.matches(&json!({"path": "dir*x"})));
}

#[test]
fn undefined_placeholder_is_an_error_of_its_own() {
    let d =
        "selection:\n    requestParameters.bucketName|expand: '%log_bucket%'\ncondition: selection";
    for ph in [
        Placeholders::new(),
        Placeholders::new().with("other", ["x"]),
        // An empty list (or only empty strings) defines nothing.
        Placeholders::new().with("log_bucket", Vec::<String>::new()),
        Placeholders::new().with("log_bucket", [""]),
    ] {
        let e = rule_with(d, &ph).unwrap_err();
        assert!(
            matches!(&*e.kind, RuleErrorKind::Placeholder { name } if name == "log_bucket"),
            "{e:?}"
        );
        let text = e.to_string();
        assert!(text.contains("placeholder `%log_bucket%`"), "{text}");
        assert!(text.contains("configuration"), "{text}");
        assert!(text.contains("test.yml"), "{text}");
        assert!(
            text.contains("00000000-0000-4000-8000-000000000001"),
            "{text}"
        );
    }
    // from_yaml defines no placeholder.
    let e = Rule::from_yaml(&yaml(d), "test.yml").unwrap_err();
    assert!(matches!(&*e.kind, RuleErrorKind::Placeholder { .. }));
    // Setting a name again replaces it; setting it empty removes it.
    let mut ph = Placeholders::new();
    ph.set("log_bucket", ["a", "a", "b"]);
    assert_eq!(ph.get("log_bucket").map(<[String]>::len), Some(2));
    ph.set("log_bucket", ["c"]);
    assert!(rule_with(d, &ph)
        .unwrap()
        .matches(&json!({"requestParameters": {"bucketName": "c"}})));
    ph.set("log_bucket", Vec::<&str>::new());
    assert!(ph.is_empty());
    // Placeholders are only read under expand: without it `%x%` is text.
    let r = rule("selection:\n    userAgent: '%log_bucket%'\ncondition: selection");
    assert!(r.matches(&json!({"userAgent": "%log_bucket%"})));
    // null takes no expand.
    assert!(
        reason("selection:\n    a|expand: null\ncondition: selection")
            .contains("null takes no modifier")
    );
}

// ------------------------------------------------------------- rejections

#[test]
fn unsupported_modifiers_are_rejected_with_reasons() {
    for (m, why) in [
        ("windash", "Windows command-line"),
        ("re|expand", "`expand` combines only"),
        ("expand|cidr", "`cidr` must come first"),
        ("fieldref|expand", "`expand` combines only"),
        ("expand|gt", "`expand` combines only"),
        ("hour", "time-part"),
        ("bogus", "not a Sigma modifier"),
        ("contains|contains", "given twice"),
        ("contains|startswith", "only one of contains"),
        ("i", "needs `re` before it"),
        ("contains|re", "`re` must come first"),
        ("re|contains", "anchoring belongs in the expression"),
        ("re|cased", "`re` combines only"),
        ("base64|base64offset", "only one of base64"),
        ("lt|gt", "only one comparison"),
        ("gt|contains", "numeric comparison combines only"),
        ("wide|utf16be|base64", "only one UTF-16"),
        ("fieldref|base64", "`fieldref` combines only"),
    ] {
        let e = reject(&format!(
            "selection:\n    userAgent|{m}: '1234'\ncondition: selection"
        ));
        let text = e.to_string();
        assert!(text.contains(why), "{m}: {text}");
        assert!(
            text.contains("detection.selection.userAgent|"),
            "{m}: {text}"
        );
        assert!(text.contains("test.yml"), "{text}");
        assert!(
            text.contains("00000000-0000-4000-8000-000000000001"),
            "{text}"
        );
    }
    let e = reject("selection:\n    userAgent|windash: x\ncondition: selection");
    assert!(
        matches!(&*e.kind, RuleErrorKind::UnsupportedModifier { field, modifier, .. }
        if field == "detection.selection.userAgent|windash" && modifier == "windash")
    );
}

#[test]
fn other_unsupported_things_are_rejected() {
    assert!(
        reason("selection:\n    a: 1\ncondition: selection | count() by b > 3")
            .contains("aggregations")
    );
    assert!(
        reason("selection:\n    a: 1\ntimeframe: 5m\ncondition: selection")
            .contains("detection.timeframe")
    );
    assert!(
        reason("selection:\n    a: 1\ncondition: selection and other")
            .contains("`other` is not a search identifier")
    );
    assert!(reason("selection:\n    a: 1\ncondition: 1 of filter_*")
        .contains("matches no search identifier"));
    assert!(reason("selection:\n    a: 1").contains("`detection.condition` is missing"));
    assert!(reason("condition: selection").contains("no search identifier"));
    assert!(
        reason("selection:\n    a:\n        b: c\ncondition: selection")
            .contains("a value is a map")
    );
    assert!(
        reason("selection:\n    a:\n        - [x]\ncondition: selection")
            .contains("a value is a list")
    );
    assert!(reason("selection:\n    a: []\ncondition: selection").contains("empty list of values"));
    assert!(reason("selection: {}\ncondition: selection").contains("empty map"));
    assert!(reason("selection: []\ncondition: selection").contains("empty list"));
    assert!(reason("selection:\n    - [a]\ncondition: selection").contains("a list inside a list"));
    assert!(reason("selection:\ncondition: selection").contains("cannot be null"));
    assert!(
        reason("selection:\n    a|contains: null\ncondition: selection")
            .contains("null takes no modifier")
    );
    assert!(
        reason("selection:\n    a: 1\ncondition: [selection, {x: y}]").contains("not a condition")
    );
}

#[test]
fn rule_attributes_are_checked() {
    let good = yaml("selection:\n    eventName: X\ncondition: selection");
    let without = |key: &str| -> String {
        let mut out = String::new();
        let mut skipping = false;
        for line in good.lines() {
            if line.starts_with(&format!("{key}:")) {
                skipping = true;
                continue;
            }
            if skipping && line.starts_with(' ') {
                continue;
            }
            skipping = false;
            out.push_str(line);
            out.push('\n');
        }
        out
    };
    for key in ["title", "id", "level", "logsource", "detection"] {
        let e = reject_doc(&without(key));
        assert_eq!(
            *e.kind,
            RuleErrorKind::Missing {
                field: key.to_string()
            },
            "{key}"
        );
    }
    let replace = |from: &str, to: &str| good.replacen(from, to, 1);
    let e = reject_doc(&replace("level: high", "level: severe"));
    assert!(e.to_string().contains("`severe` is not informational"));
    let e = reject_doc(&replace("status: test", "status: unsupported"));
    assert!(e.to_string().contains("unsupported"));
    let e = reject_doc(&replace("status: test", "status: beta"));
    assert!(e.to_string().contains("`beta` is not stable"));
    let e = reject_doc(&replace("service: cloudtrail", "service: guardduty"));
    assert_eq!(
        *e.kind,
        RuleErrorKind::Logsource {
            found: "product: aws, service: guardduty".into()
        }
    );
    let e = reject_doc(&replace("product: aws", "product: windows"));
    assert!(e
        .to_string()
        .contains("product: windows, service: cloudtrail is not"));
    let e = reject_doc(&replace(
        "    service: cloudtrail",
        "    service: cloudtrail\n    category: process_creation",
    ));
    assert!(e.to_string().contains("category: process_creation"));
    let e = reject_doc(&replace("level: high", "level: high\ntaxonomy: ocsf"));
    assert!(e.to_string().contains("taxonomy"));
    let e = reject_doc(&replace(
        "level: high",
        "level: high\ncorrelation:\n    type: event_count",
    ));
    assert!(e.to_string().contains("correlation rules"));
    let e = reject_doc(&replace("level: high", "level: high\naction: global"));
    assert!(e.to_string().contains("collections"));
    let e = reject_doc(&replace("title: Test rule", "title: [a, b]"));
    assert!(e.to_string().contains("`title`: is a list, not text"));
    // The id is in the message once known; the origin always.
    let e = reject_doc(&replace("level: high", "level: nope"));
    assert_eq!(e.origin, "doc.yml");
    assert_eq!(
        e.id.as_deref(),
        Some("00000000-0000-4000-8000-000000000001")
    );
    assert!(e
        .to_string()
        .starts_with("rule doc.yml (id 00000000-0000-4000-8000-000000000001): `level`"));
    let e = reject_doc("- a\n- b\n");
    assert!(e.to_string().contains("not a map"));
}

#[test]
fn bad_yaml_is_rejected() {
    for (doc, why) in [
        ("title: [unclosed\n", "invalid YAML"),
        ("title: a\ntitle: b\n", "duplicated key"),
        (
            "title: a\n---\ntitle: b\n",
            "expected one YAML document, found 2",
        ),
        ("", "found 0"),
        ("title: a\n\tid: b\n", "invalid YAML"),
        ("title: !!binary aGk=\n", "tag"),
    ] {
        let e = reject_doc(doc);
        assert!(e.to_string().contains(why), "{doc:?}: {e}");
        assert_eq!(e.origin, "doc.yml");
    }
}

// ----------------------------------------------------------- metadata, set

#[test]
fn metadata_is_kept_for_alerts() {
    let doc = "title: Root usage
id: 8ad1600d-e9dc-4251-b0ee-a65268f29add
status: stable
description: |
    Detects root.
references:
    - https://example.invalid/a
author: Someone, Other
date: 2019-01-21
modified: 2022-10-09
tags:
    - attack.privilege-escalation
    - attack.t1078.004
logsource:
    product: aws
    service: cloudtrail
    definition: CloudTrail management events
detection:
    selection:
        userIdentity.type: Root
    condition: selection
fields:
    - userIdentity.arn
falsepositives: Rare
level: critical
x-team: blue
";
    let r = Rule::from_yaml(doc, "rules/root.yml").unwrap();
    assert_eq!(r.id, "8ad1600d-e9dc-4251-b0ee-a65268f29add");
    assert_eq!(r.title, "Root usage");
    assert_eq!(r.origin, "rules/root.yml");
    assert_eq!(r.description.as_deref(), Some("Detects root.\n"));
    assert_eq!(r.level, Level::Critical);
    assert_eq!(r.status, Some(Status::Stable));
    assert_eq!(r.tags, ["attack.privilege-escalation", "attack.t1078.004"]);
    assert_eq!(r.references, ["https://example.invalid/a"]);
    assert_eq!(r.falsepositives, ["Rare"]);
    assert_eq!(r.author.as_deref(), Some("Someone, Other"));
    assert_eq!(r.date.as_deref(), Some("2019-01-21"));
    assert_eq!(r.modified.as_deref(), Some("2022-10-09"));
    assert_eq!(r.fields, ["userIdentity.arn"]);
    assert_eq!(
        r.logsource.definition.as_deref(),
        Some("CloudTrail management events")
    );
    assert_eq!(r.raw["x-team"], json!("blue"));
    assert_eq!(
        r.raw["detection"]["selection"]["userIdentity.type"],
        json!("Root")
    );
    assert!(Level::Informational < Level::Low && Level::High < Level::Critical);
    assert_eq!(Level::Medium.to_string(), "medium");
    assert_eq!(serde_json::to_value(Level::High).unwrap(), json!("high"));
    assert!(r.matches(&json!({"userIdentity": {"type": "Root"}})));
}

fn set_rule(id: &str, detection: &str) -> (String, String) {
    let doc = yaml(detection).replace("00000000-0000-4000-8000-000000000001", id);
    (format!("{id}.yml"), doc)
}

#[test]
fn rule_set_indexes_and_evaluates_like_brute_force() {
    let sources = [
        set_rule("by-name", "sel:\n    eventSource: iam.amazonaws.com\n    eventName: [CreateUser, DeleteUser]\ncondition: sel"),
        set_rule("by-source", "sel:\n    eventSource: s3.amazonaws.com\n    eventName|startswith: Put\ncondition: sel"),
        set_rule("or-of-names", "a:\n    eventName: StopLogging\nb:\n    eventName: DeleteTrail\ncondition: 1 of them"),
        set_rule("unbounded-or", "a:\n    eventName: StopLogging\nb:\n    userAgent: x\ncondition: a or b"),
        set_rule("negated", "a:\n    eventName: StopLogging\ncondition: not a"),
        set_rule("cased", "a:\n    eventName|cased: GetObject\ncondition: a"),
        set_rule("and-not", "a:\n    eventName: ConsoleLogin\nf:\n    eventName: Other\ncondition: a and not f"),
        set_rule("wild", "a:\n    eventName: 'Delete*'\ncondition: a"),
        set_rule("all-both", "a:\n    eventName|all: [X, Y]\ncondition: a"),
        set_rule("nullable", "a:\n    eventName: [null, X]\ncondition: a"),
    ];
    let set = RuleSet::from_sources(sources.iter().map(|(o, y)| (o.as_str(), y.as_str()))).unwrap();
    assert_eq!(set.len(), 10);
    assert!(!set.is_empty());
    assert_eq!(
        set.index_summary(),
        IndexSummary {
            by_event_name: 5,
            by_event_source: 1,
            unindexed: 4
        }
    );
    assert_eq!(set.get("wild").map(|r| r.id.as_str()), Some("wild"));
    assert!(set.get("nope").is_none());
    let records = [
        json!({"eventSource": "iam.amazonaws.com", "eventName": "CreateUser"}),
        json!({"eventSource": "IAM.amazonaws.com", "eventName": "deleteuser"}),
        json!({"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy"}),
        json!({"eventSource": "s3.amazonaws.com", "eventName": "GetObject"}),
        json!({"eventSource": "s3.amazonaws.com", "eventName": "getobject"}),
        json!({"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging"}),
        json!({"eventSource": "cloudtrail.amazonaws.com", "eventName": "DeleteTrail"}),
        json!({"eventName": "ConsoleLogin"}),
        json!({"userAgent": "x"}),
        json!({}),
        json!({"eventName": "X"}),
        json!({"eventName": 5}),
        json!({"eventName": ["CreateUser"], "eventSource": "iam.amazonaws.com"}),
        json!({"eventSource": {"x": 1}, "eventName": "DeleteBucket"}),
        json!("not an object"),
    ];
    for rec in &records {
        let fast: Vec<&str> = set.evaluate(rec).iter().map(|r| r.id.as_str()).collect();
        let slow: Vec<&str> = set
            .rules()
            .iter()
            .filter(|r| r.matches(rec))
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(fast, slow, "{rec}");
    }
    let ids =
        |rec: Value| -> Vec<String> { set.evaluate(&rec).iter().map(|r| r.id.clone()).collect() };
    assert_eq!(
        ids(json!({"eventSource": "iam.amazonaws.com", "eventName": "CreateUser"})),
        ["by-name", "negated"]
    );
    assert_eq!(
        ids(json!({"eventName": "StopLogging"})),
        ["or-of-names", "unbounded-or"]
    );
    assert_eq!(ids(json!({"eventName": "getobject"})), ["negated"]);
    assert_eq!(ids(json!({"eventName": "GetObject"})), ["negated", "cased"]);
}

#[test]
fn rule_sets_refuse_duplicates_and_report_every_error() {
    let a = set_rule("same", "a:\n    eventName: X\ncondition: a");
    let b = ("other.yml".to_string(), a.1.clone());
    let err = RuleSet::from_sources([(a.0.as_str(), a.1.as_str()), (b.0.as_str(), b.1.as_str())])
        .unwrap_err();
    assert_eq!(err.0.len(), 1);
    assert_eq!(
        *err.0[0].kind,
        RuleErrorKind::DuplicateId {
            other: "same.yml".into()
        }
    );
    let bad1 = set_rule("bad1", "a:\n    eventName|windash: X\ncondition: a");
    let bad2 = set_rule("bad2", "a:\n    eventName: X\ncondition: b");
    let good = set_rule("good", "a:\n    eventName: X\ncondition: a");
    let err = RuleSet::from_sources([&bad1, &good, &bad2].map(|(o, y)| (o.as_str(), y.as_str())))
        .unwrap_err();
    assert_eq!(err.0.len(), 2);
    let text = err.to_string();
    assert!(text.starts_with("2 rule(s) rejected"), "{text}");
    assert!(
        text.contains("bad1.yml") && text.contains("bad2.yml"),
        "{text}"
    );
    assert!(RuleSet::from_sources(std::iter::empty())
        .unwrap()
        .is_empty());
}

// ------------------------------------------------------ SigmaHQ CloudTrail

/// The SigmaHQ CloudTrail rules, never copied into the repository: read
/// from `TRAILGUARD_SIGMA_DIR` when set, else from the `shared/` folder laid
/// beside the work tree; `None` (tests skip) when absent.
pub(super) fn sigma_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("TRAILGUARD_SIGMA_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/sigma/aws-cloudtrail"),
    };
    dir.is_dir().then_some(dir)
}

fn sigma_rule(file: &str) -> Option<Rule> {
    let Some(dir) = sigma_dir() else {
        println!("note: SigmaHQ CloudTrail rules not found; skipping {file}");
        return None;
    };
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match Rule::from_yaml(&text, &path.display().to_string()) {
        Ok(r) => Some(r),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn every_sigmahq_cloudtrail_rule_loads() {
    let Some(dir) = sigma_dir() else {
        println!("note: SigmaHQ CloudTrail rules not found (set TRAILGUARD_SIGMA_DIR); skipping");
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no rules in {}", dir.display());
    let texts: Vec<(String, String)> = files
        .iter()
        .map(|p| (p.display().to_string(), std::fs::read_to_string(p).unwrap()))
        .collect();
    let mut failures = Vec::new();
    for (origin, text) in &texts {
        if let Err(e) = Rule::from_yaml(text, origin) {
            failures.push(e.to_string());
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rejected:\n{}",
        failures.len(),
        texts.len(),
        failures.join("\n")
    );
    let set = RuleSet::from_sources(texts.iter().map(|(o, t)| (o.as_str(), t.as_str()))).unwrap();
    let summary = set.index_summary();
    println!(
        "{} SigmaHQ CloudTrail rules loaded; index: {summary:?}",
        set.len()
    );
    assert_eq!(set.len(), texts.len());
    assert_eq!(
        summary.by_event_name + summary.by_event_source + summary.unindexed,
        set.len()
    );
    assert!(summary.by_event_name >= set.len() - 6, "{summary:?}");
    // Every hand-written record below, through the whole set, gives what
    // the rules one by one give.
    for (_, rec, near) in cases() {
        for r in [&rec, &near] {
            let fast: Vec<&str> = set.evaluate(r).iter().map(|x| x.id.as_str()).collect();
            let slow: Vec<&str> = set
                .rules()
                .iter()
                .filter(|x| x.matches(r))
                .map(|x| x.id.as_str())
                .collect();
            assert_eq!(fast, slow, "{r}");
        }
    }
}

/// A CloudTrail record with the usual envelope around `fields`.
fn ct(fields: Value) -> Value {
    let mut rec = json!({
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": "arn:aws:iam::123456789012:user/alice",
            "accountId": "123456789012",
            "userName": "alice"
        },
        "eventTime": "2026-01-15T10:00:00Z",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": null,
        "responseElements": null,
        "eventID": "11111111-2222-3333-4444-555555555555",
        "readOnly": false,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": "123456789012"
    });
    if let (Some(obj), Value::Object(extra)) = (rec.as_object_mut(), fields) {
        for (k, v) in extra {
            obj.insert(k, v);
        }
    }
    rec
}

/// `(rule file, a record it must match, a near miss it must not)`.
fn cases() -> Vec<(&'static str, Value, Value)> {
    let policy_placeholder = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::<YOUR-BUCKET-NAME>/*"]}]}"#;
    let policy_real = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::prod-data/*"]}]}"#;
    vec![
        // fieldref, `and not 1 of filter_main_*`: someone else's login profile.
        (
            "aws_update_login_profile.yml",
            ct(
                json!({"eventSource": "iam.amazonaws.com", "eventName": "UpdateLoginProfile",
                "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/mallory"},
                "requestParameters": {"userName": "alice", "passwordResetRequired": false}}),
            ),
            // The filter's fieldref holds: the field equals the reference.
            ct(
                json!({"eventSource": "iam.amazonaws.com", "eventName": "UpdateLoginProfile",
                "userIdentity": {"type": "IAMUser", "arn": "Alice"},
                "requestParameters": {"userName": "alice"}}),
            ),
        ),
        // contains|all into an object holding a JSON policy as text.
        (
            "aws_iam_s3browser_templated_s3_bucket_policy_creation.yml",
            ct(
                json!({"eventSource": "iam.amazonaws.com", "eventName": "PutUserPolicy",
                "userAgent": "S3 Browser 11.4.5 https://s3browser.com",
                "requestParameters": {"userName": "bob", "policyName": "s3", "policyDocument": policy_placeholder}}),
            ),
            ct(
                json!({"eventSource": "iam.amazonaws.com", "eventName": "PutUserPolicy",
                "userAgent": "S3 Browser 11.4.5 https://s3browser.com",
                "requestParameters": {"userName": "bob", "policyName": "s3", "policyDocument": policy_real}}),
            ),
        ),
        // 1 of selection_action_* and 1 of selection_status_*, null, a boolean as 'false'.
        (
            "aws_cloudtrail_guardduty_detector_deleted_or_updated.yml",
            ct(
                json!({"eventSource": "guardduty.amazonaws.com", "eventName": "UpdateDetector",
                "requestParameters": {"detectorId": "12abc", "enable": false}}),
            ),
            ct(
                json!({"eventSource": "guardduty.amazonaws.com", "eventName": "UpdateDetector",
                "requestParameters": {"detectorId": "12abc", "enable": false},
                "errorCode": "AccessDenied", "errorMessage": "User is not authorized"}),
            ),
        ),
        // null: a successful call has no errorCode.
        (
            "aws_cloudtrail_bucket_deleted.yml",
            ct(
                json!({"eventSource": "s3.amazonaws.com", "eventName": "DeleteBucket",
                "requestParameters": {"bucketName": "logs", "Host": "logs.s3.amazonaws.com"}}),
            ),
            ct(
                json!({"eventSource": "s3.amazonaws.com", "eventName": "DeleteBucket",
                "requestParameters": {"bucketName": "logs"}, "errorCode": "BucketNotEmpty"}),
            ),
        ),
        // A dotted path through two arrays.
        (
            "aws_ecs_task_definition_cred_endpoint_query.yml",
            ct(
                json!({"eventSource": "ecs.amazonaws.com", "eventName": "RegisterTaskDefinition",
                "requestParameters": {"family": "x", "containerDefinitions": [
                    {"name": "app", "image": "nginx", "command": ["nginx", "-g", "daemon off;"]},
                    {"name": "side", "image": "alpine", "command": ["sh", "-c",
                        "wget -qO- 169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"]}
                ]}}),
            ),
            ct(
                json!({"eventSource": "ecs.amazonaws.com", "eventName": "RegisterTaskDefinition",
                "requestParameters": {"family": "x", "containerDefinitions": [
                    {"name": "app", "image": "nginx", "command": ["nginx"],
                     "environment": [{"name": "X", "value": "$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"}]}
                ]}}),
            ),
        ),
        // Nested paths, case-insensitive 'NO'.
        (
            "aws_cloudtrail_console_login_success_without_mfa.yml",
            ct(
                json!({"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
                "additionalEventData": {"LoginTo": "https://console.aws.amazon.com", "MobileVersion": "No", "MFAUsed": "No"},
                "responseElements": {"ConsoleLogin": "Success"}}),
            ),
            ct(
                json!({"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
                "additionalEventData": {"MobileVersion": "No", "MFAUsed": "Yes"},
                "responseElements": {"ConsoleLogin": "Success"}}),
            ),
        ),
        // re, and a filter that is a list of maps (OR).
        (
            "aws_cloudtrail_imds_malicious_usage.yml",
            ct(
                json!({"eventSource": "s3.amazonaws.com", "eventName": "ListBuckets",
                "userIdentity": {"type": "AssumedRole",
                    "arn": "arn:aws:sts::123456789012:assumed-role/aws:ec2-instance/i-0abc"},
                "sourceIPAddress": "203.0.113.9"}),
            ),
            ct(
                json!({"eventSource": "s3.amazonaws.com", "eventName": "ListBuckets",
                "userIdentity": {"type": "AssumedRole",
                    "arn": "arn:aws:sts::123456789012:assumed-role/aws:ec2-instance/i-0abc"},
                "sourceIPAddress": "AWS Internal"}),
            ),
        ),
        // A JSON boolean compared with 'true'.
        (
            "aws_rds_public_db_restore.yml",
            ct(
                json!({"eventSource": "rds.amazonaws.com", "eventName": "RestoreDBInstanceFromDBSnapshot",
                "responseElements": {"dBInstanceIdentifier": "db1", "publiclyAccessible": true}}),
            ),
            ct(
                json!({"eventSource": "rds.amazonaws.com", "eventName": "RestoreDBInstanceFromDBSnapshot",
                "responseElements": {"dBInstanceIdentifier": "db1", "publiclyAccessible": false}}),
            ),
        ),
        // `contains: '*'` as "is set", and `not 1 of filter*`.
        (
            "aws_ec2_vm_export_failure.yml",
            ct(
                json!({"eventSource": "ec2.amazonaws.com", "eventName": "CreateInstanceExportTask",
                "responseElements": {"exportTask": {"state": "active"}}}),
            ),
            ct(
                json!({"eventSource": "ec2.amazonaws.com", "eventName": "CreateInstanceExportTask",
                "errorCode": "Client.InvalidParameter"}),
            ),
        ),
        // `and not`.
        (
            "aws_root_account_usage.yml",
            ct(
                json!({"eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey",
                "userIdentity": {"type": "Root", "arn": "arn:aws:iam::123456789012:root"}}),
            ),
            ct(
                json!({"eventSource": "health.amazonaws.com", "eventName": "X", "eventType": "AwsServiceEvent",
                "userIdentity": {"type": "Root"}}),
            ),
        ),
        // A deep nested path.
        (
            "aws_sts_assumerole_misuse.yml",
            ct(
                json!({"eventSource": "s3.amazonaws.com", "eventName": "GetObject",
                "userIdentity": {"type": "AssumedRole", "sessionContext": {
                    "sessionIssuer": {"type": "Role", "userName": "deploy"}}}}),
            ),
            ct(
                json!({"eventSource": "s3.amazonaws.com", "eventName": "GetObject",
                "userIdentity": {"type": "AssumedRole", "sessionContext": {"attributes": {}}}}),
            ),
        ),
        // `contains` on a whole object.
        (
            "aws_disable_bucket_versioning.yml",
            ct(
                json!({"eventSource": "s3.amazonaws.com", "eventName": "PutBucketVersioning",
                "requestParameters": {"bucketName": "logs", "VersioningConfiguration": {"Status": "Suspended"}}}),
            ),
            ct(
                json!({"eventSource": "s3.amazonaws.com", "eventName": "PutBucketVersioning",
                "requestParameters": {"bucketName": "logs", "VersioningConfiguration": {"Status": "Enabled"}}}),
            ),
        ),
        // startswith, and `contains: '*'` on an array.
        (
            "aws_new_lambda_layer_attached.yml",
            ct(
                json!({"eventSource": "lambda.amazonaws.com", "eventName": "UpdateFunctionConfiguration20150331v2",
                "requestParameters": {"functionName": "f", "layers": ["arn:aws:lambda:us-east-1:1:layer:evil:1"]}}),
            ),
            ct(
                json!({"eventSource": "lambda.amazonaws.com", "eventName": "UpdateFunctionConfiguration20150331v2",
                "requestParameters": {"functionName": "f", "layers": []}}),
            ),
        ),
        // `1 of selection_*` over two maps.
        (
            "aws_susp_saml_activity.yml",
            ct(json!({"eventSource": "sts.amazonaws.com", "eventName": "AssumeRoleWithSAML"})),
            ct(json!({"eventSource": "iam.amazonaws.com", "eventName": "AssumeRoleWithSAML"})),
        ),
        // As the specification reads it, this rule's filter
        // (`userIdentity.arn|contains: responseElements.accessKey.userName`,
        // no fieldref) is a literal text: it filters nothing real.
        (
            "aws_iam_backdoor_users_keys.yml",
            ct(
                json!({"eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey",
                "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice"},
                "responseElements": {"accessKey": {"userName": "alice", "status": "Active"}}}),
            ),
            ct(
                json!({"eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey",
                "userIdentity": {"type": "IAMUser", "arn": "x/responseElements.accessKey.userName"},
                "responseElements": {"accessKey": {"userName": "alice"}}}),
            ),
        ),
    ]
}

#[test]
fn sigmahq_rules_match_and_near_misses_do_not() {
    let mut ran = 0;
    for (file, hit, miss) in cases() {
        let Some(rule) = sigma_rule(file) else {
            continue;
        };
        assert!(rule.matches(&hit), "{file} should match {hit}");
        assert!(!rule.matches(&miss), "{file} should not match {miss}");
        ran += 1;
    }
    println!("{ran} SigmaHQ rules checked against hand-written records");
}

#[test]
fn sigmahq_rules_second_near_misses() {
    // Further misses of the same rules, each changing one thing.
    let checks: [(&str, Value); 5] = [
        (
            "aws_update_login_profile.yml",
            ct(
                json!({"eventSource": "iam.amazonaws.com", "eventName": "UpdateAccessKey",
                "requestParameters": {"userName": "bob"}}),
            ),
        ),
        (
            "aws_cloudtrail_guardduty_detector_deleted_or_updated.yml",
            ct(
                json!({"eventSource": "guardduty.amazonaws.com", "eventName": "UpdateDetector",
                "requestParameters": {"detectorId": "12abc", "enable": true}}),
            ),
        ),
        (
            "aws_cloudtrail_imds_malicious_usage.yml",
            ct(
                json!({"eventSource": "s3.amazonaws.com", "eventName": "ListBuckets",
                "userIdentity": {"arn": "arn:aws:sts::123456789012:assumed-role/admin/alice"}}),
            ),
        ),
        (
            "aws_new_lambda_layer_attached.yml",
            ct(
                json!({"eventSource": "lambda.amazonaws.com", "eventName": "UpdateFunctionConfiguration20150331v2",
                "requestParameters": {"functionName": "f"}}),
            ),
        ),
        (
            "aws_iam_s3browser_templated_s3_bucket_policy_creation.yml",
            ct(
                json!({"eventSource": "iam.amazonaws.com", "eventName": "PutUserPolicy",
                "userAgent": "aws-cli/2", "requestParameters": {"policyDocument":
                    r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::<YOUR-BUCKET-NAME>/*"}"#}}),
            ),
        ),
    ];
    for (file, miss) in checks {
        let Some(rule) = sigma_rule(file) else {
            continue;
        };
        assert!(!rule.matches(&miss), "{file} should not match {miss}");
    }
    // And the guardduty rule's other action, via 1 of selection_action_*.
    if let Some(rule) = sigma_rule("aws_cloudtrail_guardduty_detector_deleted_or_updated.yml") {
        assert!(rule.matches(&ct(
            json!({"eventSource": "guardduty.amazonaws.com", "eventName": "DeleteDetector"})
        )));
        assert!(rule.matches(&ct(json!({"eventSource": "guardduty.amazonaws.com", "eventName": "DeleteDetector", "errorCode": "Success"}))));
    }
}

#[test]
fn rules_can_be_shared_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Rule>();
    send_sync::<RuleSet>();
    send_sync::<RuleError>();
}
