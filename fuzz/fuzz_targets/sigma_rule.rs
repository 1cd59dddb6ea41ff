//! Sigma rule files and tuning files as users write them: a rule that
//! loads is evaluated against a few CloudTrail-shaped records (and the
//! tuning file parser gets the same text).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::json;
use trailguard::detect::{Rule, Tuning};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Tuning::parse(text, "fuzz.yml");
    let Ok(rule) = Rule::from_yaml(text, "fuzz.yml") else {
        return;
    };
    let records = [
        json!({"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging",
               "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/mallory"},
               "requestParameters": {"name": "main-trail"}, "sourceIPAddress": "203.0.113.9"}),
        json!({"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy",
               "requestParameters": {"bucketPolicy": {"Statement": [{"Principal": "*"}]}},
               "resources": [{"ARN": "arn:aws:s3:::b"}, {"ARN": 5}], "errorCode": null}),
        json!({"eventName": 5, "eventSource": ["x"], "a": {"b": {"c": [1, "2", null, true]}}}),
        json!("not an object"),
    ];
    for r in &records {
        let _ = rule.matches(r);
    }
});
