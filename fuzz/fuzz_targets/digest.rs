//! Digest files: the raw bytes and the same bytes gzipped, with signature
//! metadata; a parsed digest goes through the location, signature and link
//! checks (against itself) as the validator would.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use trailguard::gzip;
use trailguard::integrity::chain;

fuzz_target!(|data: &[u8]| {
    let meta: HashMap<String, String> = [
        ("signature", "00ff"),
        ("signature-algorithm", "SHA256withRSA"),
        ("backfill-generation-timestamp", "2026-01-15T01:00:00Z"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for body in [data.to_vec(), gzip::gzip(data)] {
        for backfill in [false, true] {
            if let Ok(p) = chain::parse(&body, &meta, backfill, 4 << 20) {
                let _ = chain::check_location(&p, "trailguard-demo-logs", "key");
                let _ = chain::check_signature(&p, data);
                let _ = chain::check_link(&p, &p);
                let _ = p.digest.previous();
                let _ = p.signed_at();
            }
        }
    }
});
