//! CloudTrail log files as the validator and `trailguard scan` read them:
//! the raw bytes (mostly not gzip: the gzip checks), and the same bytes
//! gzipped (the JSON and record checks). Inflation is capped at 4 MiB here.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailguard::cloudtrail::{input, keys};
use trailguard::gzip;
use trailguard::integrity::logfile;

const KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/15/111122223333_CloudTrail_us-east-1_20260115T0005Z_abcdefgh12345678.json.gz";

fuzz_target!(|data: &[u8]| {
    let keys::ObjectKind::Log(key) = keys::classify(KEY) else {
        panic!("the fixed key is a log key");
    };
    let exp = logfile::Expectations {
        accounts: vec!["111122223333".into()],
        max_inflated_bytes: 4 << 20,
        ..Default::default()
    };
    let limits = input::Limits {
        max_inflated: 4 << 20,
        max_base64: 1 << 20,
    };
    let _ = logfile::check_content(&key, data, &exp);
    let _ = input::read_records(data, &limits);
    let zipped = gzip::gzip(data);
    let checked = logfile::check_content(&key, &zipped, &exp);
    if let Some(sha) = checked.sha256 {
        assert!(sha.matches_hex(&sha.hex()));
    }
    let _ = input::read_records(&zipped, &limits);
});
