//! Lambda payloads for the integrity validator (S3 notifications,
//! EventBridge, SQS-wrapped either) and the S3 keys inside them: decoding
//! must give objects or an error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailguard::cloudtrail::{events, keys};

fuzz_target!(|data: &[u8]| {
    if let Ok(payload) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok(events::Invocation::Direct(objs)) = events::decode_invocation(&payload) {
            for o in objs {
                let _ = keys::classify(&o.key);
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = events::decode_body(text);
        if let Ok(key) = events::decode_s3_key(text) {
            let _ = keys::classify(&key);
        }
        let _ = keys::classify(text);
    }
});
