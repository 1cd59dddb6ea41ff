//! Checks on digest files: format, location, signature and the chain.
//!
//! Each digest is signed over its own content and its predecessor's
//! signature, so the digests form a chain. The AWS CLI checks each link's
//! signature only; trailguard also checks that the previous digest still
//! hashes to the `previousDigestHashValue` and still carries the signature
//! the next one names, that windows meet, and it reports every missing digest
//! on its own, including several in a row.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::logfile::gzip_reason;
use super::signature::{self, SignatureError};
use super::verdict::Reason;
use crate::cloudtrail::digest::Digest;
use crate::gzip::{self, Sha256};

/// The object metadata that carries the signature.
pub const META_SIGNATURE: &str = "signature";
/// The object metadata that names the signature algorithm.
pub const META_ALGORITHM: &str = "signature-algorithm";
/// The object metadata a backfill digest carries.
pub const META_BACKFILL: &str = "backfill-generation-timestamp";

/// A digest file that inflated and parsed, with its signature metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedDigest {
    /// Its content.
    pub digest: Digest,
    /// SHA-256 of its inflated bytes (signed, and named by the next digest).
    pub sha256: Sha256,
    /// Hex signature from the `signature` metadata.
    pub signature: String,
    /// From the `signature-algorithm` metadata.
    pub algorithm: String,
    /// `digestStartTime`, parsed.
    pub start: DateTime<Utc>,
    /// `digestEndTime`, parsed.
    pub end: DateTime<Utc>,
    /// When a backfill digest was generated (its `backfill-generation-timestamp`
    /// metadata): it is signed with the key current then, not at its window.
    pub backfill_generated: Option<DateTime<Utc>>,
}

impl ParsedDigest {
    /// The time whose public key signed this digest.
    pub fn signed_at(&self) -> DateTime<Utc> {
        self.backfill_generated.unwrap_or(self.end)
    }
}

/// Inflates and parses a digest object and reads its signature metadata.
pub fn parse(
    compressed: &[u8],
    metadata: &HashMap<String, String>,
    backfill: bool,
    max_inflated: u64,
) -> Result<ParsedDigest, Reason> {
    let (inflated, sha256) = gzip::inflate(compressed, max_inflated).map_err(gzip_reason)?;
    let digest: Digest = serde_json::from_slice(&inflated)
        .map_err(|e| Reason::InvalidFormat(format!("not a CloudTrail digest: {e}")))?;
    let (Some(sig), Some(algo)) = (metadata.get(META_SIGNATURE), metadata.get(META_ALGORITHM))
    else {
        return Err(Reason::SignatureMetadata(
            "no signature or signature-algorithm metadata".into(),
        ));
    };
    let backfill_generated = match (backfill, metadata.get(META_BACKFILL)) {
        (false, _) => None,
        (true, None) => {
            return Err(Reason::InvalidFormat(
                "backfill digest without backfill-generation-timestamp metadata".into(),
            ))
        }
        (true, Some(t)) => Some(parse_time(t, META_BACKFILL)?),
    };
    let start = parse_time(&digest.digest_start_time, "digestStartTime")?;
    let end = parse_time(&digest.digest_end_time, "digestEndTime")?;
    Ok(ParsedDigest {
        digest,
        sha256,
        signature: sig.clone(),
        algorithm: algo.clone(),
        start,
        end,
        backfill_generated,
    })
}

fn parse_time(s: &str, field: &str) -> Result<DateTime<Utc>, Reason> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| Reason::InvalidFormat(format!("{field} {s:?} is not an RFC 3339 time")))
}

/// The digest must say it is where it is; a copy elsewhere is "moved".
pub fn check_location(p: &ParsedDigest, bucket: &str, key: &str) -> Result<(), Reason> {
    if p.digest.digest_s3_bucket == bucket && p.digest.digest_s3_object == key {
        Ok(())
    } else {
        Err(Reason::Moved)
    }
}

/// Verifies the digest's signature with the public key its fingerprint names.
pub fn check_signature(p: &ParsedDigest, public_key_der: &[u8]) -> Result<(), Reason> {
    let message = signature::signing_string(&p.digest, &p.sha256);
    signature::verify(
        message.as_bytes(),
        &p.algorithm,
        &p.signature,
        public_key_der,
    )
    .map_err(|e| match e {
        SignatureError::Mismatch => Reason::SignatureFailed,
        other => Reason::SignatureMetadata(other.to_string()),
    })
}

/// Checks the link from `current` back to `previous`: the previous digest
/// hashes to what `current` recorded, carries the signature `current` signed
/// over, and its window ends where `current`'s starts.
pub fn check_link(current: &ParsedDigest, previous: &ParsedDigest) -> Vec<Reason> {
    let mut out = Vec::new();
    let recorded = current
        .digest
        .previous_digest_hash_value
        .as_deref()
        .unwrap_or("");
    if !previous.sha256.matches_hex(recorded) {
        out.push(Reason::PreviousHashMismatch);
    }
    let signed = current
        .digest
        .previous_digest_signature
        .as_deref()
        .unwrap_or("");
    if !signed.eq_ignore_ascii_case(previous.signature.trim()) {
        out.push(Reason::PreviousSignatureMismatch);
    }
    if current.start != previous.end {
        out.push(Reason::WindowGap {
            previous_end: previous.digest.digest_end_time.clone(),
            start: current.digest.digest_start_time.clone(),
        });
    }
    out
}

/// How many hourly digests fit in a gap in a chain: CloudTrail writes one an
/// hour, so a chain whose remaining links are `gap` apart lost about `gap`
/// hours' worth. Rounds to the nearest hour, and never says fewer than one.
pub fn digests_in_gap(gap: Duration) -> usize {
    let hours = (gap.num_seconds() as f64 / 3600.0).round();
    if hours < 1.0 {
        1
    } else {
        hours as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(start: &str, end: &str, prev_hash: Option<&str>, prev_sig: Option<&str>) -> Digest {
        Digest {
            aws_account_id: Some("111122223333".into()),
            digest_start_time: start.into(),
            digest_end_time: end.into(),
            digest_s3_bucket: "b".into(),
            digest_s3_object: "k".into(),
            digest_public_key_fingerprint: "f".into(),
            digest_signature_algorithm: Some("SHA256withRSA".into()),
            newest_event_time: None,
            oldest_event_time: None,
            previous_digest_s3_bucket: prev_hash.map(|_| "b".into()),
            previous_digest_s3_object: prev_hash.map(|_| "k0".into()),
            previous_digest_hash_value: prev_hash.map(Into::into),
            previous_digest_hash_algorithm: prev_hash.map(|_| "SHA-256".into()),
            previous_digest_signature: prev_sig.map(Into::into),
            log_files: vec![],
        }
    }

    fn meta(sig: &str) -> HashMap<String, String> {
        HashMap::from([
            (META_SIGNATURE.to_string(), sig.to_string()),
            (META_ALGORITHM.to_string(), "SHA256withRSA".to_string()),
        ])
    }

    fn parsed(d: &Digest, sig: &str) -> ParsedDigest {
        let bytes = gzip::gzip(serde_json::to_string(d).unwrap().as_bytes());
        parse(&bytes, &meta(sig), false, 1 << 20).unwrap()
    }

    #[test]
    fn parse_requires_metadata_and_times() {
        let d = digest("2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z", None, None);
        let bytes = gzip::gzip(serde_json::to_string(&d).unwrap().as_bytes());
        assert!(matches!(
            parse(&bytes, &HashMap::new(), false, 1 << 20),
            Err(Reason::SignatureMetadata(_))
        ));
        assert!(matches!(
            parse(&bytes, &meta("ab"), true, 1 << 20),
            Err(Reason::InvalidFormat(_))
        ));
        let mut backfill = meta("ab");
        backfill.insert(META_BACKFILL.into(), "2024-03-01T10:00:00Z".into());
        let p = parse(&bytes, &backfill, true, 1 << 20).unwrap();
        assert_eq!(p.signed_at().to_rfc3339(), "2024-03-01T10:00:00+00:00");
        backfill.insert(META_BACKFILL.into(), "later".into());
        assert!(matches!(
            parse(&bytes, &backfill, true, 1 << 20),
            Err(Reason::InvalidFormat(_))
        ));
        let p = parse(&bytes, &meta("ab"), false, 1 << 20).unwrap();
        assert_eq!(
            p.signed_at(),
            p.end,
            "a regular digest is signed at its end"
        );
        assert_eq!(p.end - p.start, Duration::hours(1));
        let bad = digest("yesterday", "2024-01-01T01:00:00Z", None, None);
        let bytes = gzip::gzip(serde_json::to_string(&bad).unwrap().as_bytes());
        assert!(matches!(
            parse(&bytes, &meta("ab"), false, 1 << 20),
            Err(Reason::InvalidFormat(_))
        ));
        assert!(matches!(
            parse(b"junk", &meta("ab"), false, 1 << 20),
            Err(Reason::InvalidFormat(_))
        ));
        let not_digest = gzip::gzip(b"{\"Records\":[]}");
        assert!(matches!(
            parse(&not_digest, &meta("ab"), false, 1 << 20),
            Err(Reason::InvalidFormat(_))
        ));
    }

    #[test]
    fn location_must_match() {
        let p = parsed(
            &digest("2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z", None, None),
            "ab",
        );
        assert_eq!(check_location(&p, "b", "k"), Ok(()));
        assert_eq!(check_location(&p, "b", "k2"), Err(Reason::Moved));
        assert_eq!(check_location(&p, "b2", "k"), Err(Reason::Moved));
    }

    #[test]
    fn links() {
        let prev = parsed(
            &digest("2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z", None, None),
            "AABB",
        );
        let hash = prev.sha256.hex();
        let good = parsed(
            &digest(
                "2024-01-01T01:00:00Z",
                "2024-01-01T02:00:00Z",
                Some(&hash),
                Some("aabb"),
            ),
            "cc",
        );
        assert_eq!(check_link(&good, &prev), vec![]);
        let wrong_hash = parsed(
            &digest(
                "2024-01-01T01:00:00Z",
                "2024-01-01T02:00:00Z",
                Some(&"0".repeat(64)),
                Some("aabb"),
            ),
            "cc",
        );
        assert_eq!(
            check_link(&wrong_hash, &prev),
            vec![Reason::PreviousHashMismatch]
        );
        let wrong_sig = parsed(
            &digest(
                "2024-01-01T01:00:00Z",
                "2024-01-01T02:00:00Z",
                Some(&hash),
                Some("aabc"),
            ),
            "cc",
        );
        assert_eq!(
            check_link(&wrong_sig, &prev),
            vec![Reason::PreviousSignatureMismatch]
        );
        let gap = parsed(
            &digest(
                "2024-01-01T01:30:00Z",
                "2024-01-01T02:00:00Z",
                Some(&hash),
                Some("aabb"),
            ),
            "cc",
        );
        assert!(matches!(
            check_link(&gap, &prev)[..],
            [Reason::WindowGap { .. }]
        ));
    }

    #[test]
    fn gap_counts() {
        assert_eq!(digests_in_gap(Duration::minutes(10)), 1);
        assert_eq!(digests_in_gap(Duration::minutes(61)), 1);
        assert_eq!(digests_in_gap(Duration::minutes(119)), 2);
        assert_eq!(digests_in_gap(Duration::hours(5)), 5);
        assert_eq!(digests_in_gap(Duration::hours(-5)), 1);
    }
}
