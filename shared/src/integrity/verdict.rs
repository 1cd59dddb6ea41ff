//! Verdicts: what the integrity checks conclude about each file.
//!
//! A verdict is a finding or a clean bill, never an error: an invalid file is
//! the very thing trailguard exists to report. The text forms follow the AWS
//! CLI's `validate-logs` lines (`Log file<TAB>s3://B/K<TAB>INVALID: ...`) so
//! that scripts written against it keep working; reasons the CLI does not
//! check get new texts in the same form.

use serde::Serialize;

/// The kind of object a verdict is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// A digest file.
    Digest,
    /// A log file.
    Log,
    /// Any other object in a CloudTrail folder.
    Object,
}

impl FileKind {
    /// The CLI's label.
    pub fn label(self) -> &'static str {
        match self {
            FileKind::Digest => "Digest file",
            FileKind::Log => "Log file",
            FileKind::Object => "Object",
        }
    }
}

/// Why a file is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Listed by a digest, or referenced by the next digest, but absent.
    NotFound,
    /// A digest is missing from the chain, inferred from the hours between the
    /// digests that remain (its key can only be estimated).
    MissingFromChain {
        /// The window the missing digest covered, as far as can be told.
        window: String,
    },
    /// The inflated log file does not hash to the digest's `hashValue`.
    HashMismatch,
    /// The RSA signature does not verify.
    SignatureFailed,
    /// The `signature` or `signature-algorithm` metadata is missing or unusable.
    SignatureMetadata(String),
    /// `digestS3Bucket`/`digestS3Object` say it was written elsewhere.
    Moved,
    /// Not gzip, not JSON, or missing required fields.
    InvalidFormat(String),
    /// Bytes after the end of the gzip stream.
    TrailingData,
    /// Inflates past the configured cap, or is larger than it may be fetched.
    TooLarge(u64),
    /// `ListPublicKeys` has no key with the digest's fingerprint.
    PublicKeyNotFound {
        /// The fingerprint the digest names.
        fingerprint: String,
        /// The region(s) asked: the delivering region, then the home region.
        region: String,
    },
    /// This digest does not hash to the next digest's `previousDigestHashValue`.
    PreviousHashMismatch,
    /// This digest's signature metadata differs from the next digest's `previousDigestSignature`.
    PreviousSignatureMismatch,
    /// The window does not start where the previous digest's ended.
    WindowGap {
        /// The previous digest's end.
        previous_end: String,
        /// This digest's start.
        start: String,
    },
    /// A log file that no digest lists: injected, or its digest is missing.
    NotListed,
    /// A key under a CloudTrail folder that CloudTrail would not have written.
    Unrecognised(String),
    /// An account, organization or region other than the trail's.
    UnexpectedOwner(String),
    /// Not SSE-KMS encrypted with the expected key.
    Encryption(String),
    /// Records missing required fields, or with implausible times.
    Records(String),
    /// Deleted, or hidden by a delete marker, after delivery.
    Deleted {
        /// A delete marker: the data survives in an older version.
        delete_marker: bool,
    },
}

impl Reason {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::NotFound => "not_found",
            Reason::MissingFromChain { .. } => "missing_from_chain",
            Reason::HashMismatch => "hash_mismatch",
            Reason::SignatureFailed => "signature_failed",
            Reason::SignatureMetadata(_) => "signature_metadata",
            Reason::Moved => "moved",
            Reason::InvalidFormat(_) => "invalid_format",
            Reason::TrailingData => "trailing_data",
            Reason::TooLarge(_) => "too_large",
            Reason::PublicKeyNotFound { .. } => "public_key_not_found",
            Reason::PreviousHashMismatch => "previous_hash_mismatch",
            Reason::PreviousSignatureMismatch => "previous_signature_mismatch",
            Reason::WindowGap { .. } => "window_gap",
            Reason::NotListed => "not_listed",
            Reason::Unrecognised(_) => "unrecognised_object",
            Reason::UnexpectedOwner(_) => "unexpected_owner",
            Reason::Encryption(_) => "encryption",
            Reason::Records(_) => "records",
            Reason::Deleted { .. } => "deleted",
        }
    }

    /// The text after `INVALID: `, in the AWS CLI's words where it has them.
    pub fn text(&self) -> String {
        match self {
            Reason::NotFound => "not found".into(),
            Reason::MissingFromChain { window } => {
                format!("not found (a digest for {window} is missing from the chain)")
            }
            Reason::HashMismatch => "hash value doesn't match".into(),
            Reason::SignatureFailed => "signature verification failed".into(),
            Reason::SignatureMetadata(d) => format!("signature verification failed ({d})"),
            Reason::Moved => "has been moved from its original location".into(),
            Reason::InvalidFormat(d) => format!("invalid format ({d})"),
            Reason::TrailingData => "unexpected data after end of compressed stream".into(),
            Reason::TooLarge(limit) => format!("larger than the {limit}-byte limit"),
            Reason::PublicKeyNotFound {
                fingerprint,
                region,
            } => {
                format!("public key not found in region {region} for fingerprint {fingerprint}")
            }
            Reason::PreviousHashMismatch => {
                "altered: doesn't hash to the next digest's previousDigestHashValue".into()
            }
            Reason::PreviousSignatureMismatch => {
                "signature metadata doesn't match the next digest's previousDigestSignature".into()
            }
            Reason::WindowGap {
                previous_end,
                start,
            } => format!("starts at {start} but the previous digest ended at {previous_end}"),
            Reason::NotListed => "not listed in any digest file".into(),
            Reason::Unrecognised(d) => format!("unrecognised object in a CloudTrail folder ({d})"),
            Reason::UnexpectedOwner(d) => format!("unexpected owner ({d})"),
            Reason::Encryption(d) => format!("not encrypted as required ({d})"),
            Reason::Records(d) => format!("invalid records ({d})"),
            Reason::Deleted {
                delete_marker: true,
            } => "deleted (delete marker created)".into(),
            Reason::Deleted {
                delete_marker: false,
            } => "deleted".into(),
        }
    }
}

/// The conclusion about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Digest, log file or other object.
    pub kind: FileKind,
    /// Its bucket.
    pub bucket: String,
    /// Its key.
    pub key: String,
    /// `None` when valid.
    pub reason: Option<Reason>,
    /// A backfill digest (the CLI prefixes its lines with `(backfill) `).
    pub backfill: bool,
}

impl Verdict {
    /// A valid file.
    pub fn valid(kind: FileKind, bucket: &str, key: &str) -> Self {
        Self {
            kind,
            bucket: bucket.to_string(),
            key: key.to_string(),
            reason: None,
            backfill: false,
        }
    }

    /// An invalid file.
    pub fn invalid(kind: FileKind, bucket: &str, key: &str, reason: Reason) -> Self {
        Self {
            reason: Some(reason),
            ..Self::valid(kind, bucket, key)
        }
    }

    /// Whether the file passed.
    pub fn is_valid(&self) -> bool {
        self.reason.is_none()
    }

    /// The AWS CLI's line: `Log file<TAB>s3://B/K<TAB>valid` or `...INVALID: why`.
    pub fn line(&self) -> String {
        let status = match &self.reason {
            None => "valid".to_string(),
            Some(r) => format!("INVALID: {}", r.text()),
        };
        format!(
            "{}{}\ts3://{}/{}\t{}",
            if self.backfill { "(backfill) " } else { "" },
            self.kind.label(),
            self.bucket,
            self.key,
            status
        )
    }
}

impl Serialize for Verdict {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Json<'a> {
            kind: FileKind,
            bucket: &'a str,
            key: &'a str,
            status: &'static str,
            reason: Option<String>,
            code: Option<&'static str>,
            backfill: bool,
        }
        Json {
            kind: self.kind,
            bucket: &self.bucket,
            key: &self.key,
            status: if self.is_valid() { "valid" } else { "invalid" },
            reason: self.reason.as_ref().map(Reason::text),
            code: self.reason.as_ref().map(Reason::code),
            backfill: self.backfill,
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_line_forms() {
        let v = Verdict::valid(FileKind::Digest, "b", "k");
        assert_eq!(v.line(), "Digest file\ts3://b/k\tvalid");
        let v = Verdict::invalid(FileKind::Log, "b", "k", Reason::HashMismatch);
        assert_eq!(
            v.line(),
            "Log file\ts3://b/k\tINVALID: hash value doesn't match"
        );
        for (r, t) in [
            (Reason::NotFound, "not found"),
            (Reason::SignatureFailed, "signature verification failed"),
            (Reason::Moved, "has been moved from its original location"),
            (
                Reason::TrailingData,
                "unexpected data after end of compressed stream",
            ),
        ] {
            assert_eq!(r.text(), t);
        }
        assert!(Reason::InvalidFormat("x".into())
            .text()
            .starts_with("invalid format"));
        let mut b = Verdict::invalid(FileKind::Digest, "b", "k", Reason::NotFound);
        b.backfill = true;
        assert_eq!(
            b.line(),
            "(backfill) Digest file\ts3://b/k\tINVALID: not found"
        );
    }

    #[test]
    fn json_form() {
        let v = Verdict::invalid(FileKind::Log, "b", "k", Reason::NotListed);
        let j = serde_json::to_value(&v).unwrap();
        assert_eq!(j["kind"], "log");
        assert_eq!(j["status"], "invalid");
        assert_eq!(j["reason"], "not listed in any digest file");
        assert_eq!(j["code"], "not_listed");
        let j = serde_json::to_value(Verdict::valid(FileKind::Digest, "b", "k")).unwrap();
        assert_eq!(j["status"], "valid");
        assert!(j["reason"].is_null());
    }
}
