//! CloudTrail records arriving through a CloudWatch Logs subscription: the
//! `awslogs.data` string as given, and the bytes wrapped as CloudWatch Logs
//! wraps them (gzip, base64); every record found is run through the
//! built-in rules, and each alert rendered in the three formats and split
//! into SNS messages, as the alert router does.
#![no_main]

use base64::Engine;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use trailguard::alert::{detection, render, sns};
use trailguard::cloudtrail::cwlogs;
use trailguard::detect::{builtin, Detector, Level, Tuning};
use trailguard::gzip;

fn detector() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(|| {
        let p = builtin::Guarded {
            log_bucket: Some("trailguard-demo-logs".into()),
            trail_name: Some("main-trail".into()),
            kms_key: Some(
                "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                    .into(),
            ),
            stack_name: Some("trailguard-demo".into()),
            log_group: Some("/aws/cloudtrail/trailguard-demo".into()),
            stack_resources: vec!["trailguard-demo-AlertRouter".into()],
        }
        .placeholders();
        let rules = builtin::load(&p).expect("built-in rules load").rules;
        Detector::new(rules, Tuning::default(), Level::Informational).0
    })
}

fuzz_target!(|data: &[u8]| {
    let wrapped = base64::engine::general_purpose::STANDARD.encode(gzip::gzip(data));
    let mut inputs = vec![wrapped];
    if let Ok(text) = std::str::from_utf8(data) {
        inputs.push(text.to_string());
    }
    for input in inputs {
        let Ok(cwlogs::LogsMessage::Data(msg)) = cwlogs::decode_data(&input, 1 << 20, 4 << 20)
        else {
            continue;
        };
        let (records, _rejected) = cwlogs::records(&msg);
        let evaluation = detection::evaluate(detector(), &records);
        for a in &evaluation.alerts {
            let _ = render::subject(a);
            let _ = render::email(a, None);
            let _ = render::chatbot(a);
            for m in sns::alert_messages(a, 4096) {
                assert!(m.size() <= 4096, "an SNS message over its limit");
            }
        }
    }
});
