//! The digest file model.
//!
//! A digest is CloudTrail's signed, hourly statement of which log files it
//! delivered and what they hashed to, chained to the previous digest. Field
//! names are CloudTrail's (camelCase JSON). The fields the AWS CLI requires
//! must be present, even when null; anything unknown is ignored so that a
//! field CloudTrail adds later does not break validation.

use serde::{Deserialize, Serialize};

/// Reads a field that must be present but may be `null`: serde lets a plain
/// `Option` field be absent, but CloudTrail always writes these, and the AWS
/// CLI calls a digest without them invalid.
fn present_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

/// One digest file, as CloudTrail writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Digest {
    /// The account that owns the trail.
    #[serde(default)]
    pub aws_account_id: Option<String>,
    /// Start of the window this digest covers (RFC 3339, UTC).
    pub digest_start_time: String,
    /// End of the window; part of the signed string.
    pub digest_end_time: String,
    /// The bucket CloudTrail wrote the digest to; part of the signed string.
    #[serde(rename = "digestS3Bucket")]
    pub digest_s3_bucket: String,
    /// The key CloudTrail wrote the digest to; part of the signed string.
    #[serde(rename = "digestS3Object")]
    pub digest_s3_object: String,
    /// Fingerprint of the public key (from `ListPublicKeys`) that verifies it.
    pub digest_public_key_fingerprint: String,
    /// Always `SHA256withRSA` today.
    #[serde(default)]
    pub digest_signature_algorithm: Option<String>,
    /// Newest event in the covered log files.
    #[serde(default)]
    pub newest_event_time: Option<String>,
    /// Oldest event in the covered log files.
    #[serde(default)]
    pub oldest_event_time: Option<String>,
    /// Bucket of the previous digest (null at the start of a chain).
    #[serde(default, rename = "previousDigestS3Bucket")]
    pub previous_digest_s3_bucket: Option<String>,
    /// Key of the previous digest (null at the start of a chain).
    #[serde(default, rename = "previousDigestS3Object")]
    pub previous_digest_s3_object: Option<String>,
    /// Hex SHA-256 of the previous digest's inflated bytes.
    #[serde(default)]
    pub previous_digest_hash_value: Option<String>,
    /// Always `SHA-256` today.
    #[serde(default)]
    pub previous_digest_hash_algorithm: Option<String>,
    /// The previous digest's signature (hex), or null; part of the signed string.
    #[serde(deserialize_with = "present_or_null")]
    pub previous_digest_signature: Option<String>,
    /// The log files delivered in the window.
    #[serde(default)]
    pub log_files: Vec<DigestLogFile>,
}

/// One log file a digest vouches for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DigestLogFile {
    /// Bucket of the log file.
    #[serde(rename = "s3Bucket")]
    pub s3_bucket: String,
    /// Key of the log file.
    #[serde(rename = "s3Object")]
    pub s3_object: String,
    /// Hex SHA-256 of the inflated log file.
    pub hash_value: String,
    /// Always `SHA-256` today.
    #[serde(default)]
    pub hash_algorithm: Option<String>,
    /// Newest event in the file.
    #[serde(default)]
    pub newest_event_time: Option<String>,
    /// Oldest event in the file.
    #[serde(default)]
    pub oldest_event_time: Option<String>,
}

impl Digest {
    /// The previous digest's location, when the digest continues a chain.
    pub fn previous(&self) -> Option<(&str, &str)> {
        match (
            &self.previous_digest_s3_bucket,
            &self.previous_digest_s3_object,
        ) {
            (Some(b), Some(k)) if !b.is_empty() && !k.is_empty() => Some((b, k)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_aws_documented_example() {
        let json = r#"{
          "awsAccountId": "111122223333",
          "digestStartTime": "2015-08-17T14:01:31Z",
          "digestEndTime": "2015-08-17T15:01:31Z",
          "digestS3Bucket": "amzn-s3-demo-bucket",
          "digestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz",
          "digestPublicKeyFingerprint": "31e8b5433410dfb61a9dc45cc65b22ff",
          "digestSignatureAlgorithm": "SHA256withRSA",
          "newestEventTime": "2015-08-17T14:52:27Z",
          "oldestEventTime": "2015-08-17T14:42:27Z",
          "previousDigestS3Bucket": "amzn-s3-demo-bucket",
          "previousDigestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T140131Z.json.gz",
          "previousDigestHashValue": "97fb791cf91ffc440d274f8190dbdd9aa09c34432aba82739df18b6d3c13df2d",
          "previousDigestHashAlgorithm": "SHA-256",
          "previousDigestSignature": "50887ccffad4c002b97caa37cc4",
          "someFutureField": {"x": 1},
          "logFiles": [{
              "s3Bucket": "amzn-s3-demo-bucket",
              "s3Object": "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/111122223333_CloudTrail_us-east-2_20150817T1445Z_9nYN7gp2eWAJHIfT.json.gz",
              "hashValue": "9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6",
              "hashAlgorithm": "SHA-256",
              "newestEventTime": "2015-08-17T14:52:27Z",
              "oldestEventTime": "2015-08-17T14:42:27Z"
          }]
        }"#;
        let d: Digest = serde_json::from_str(json).unwrap();
        assert_eq!(d.log_files.len(), 1);
        assert_eq!(
            d.previous_digest_signature.as_deref(),
            Some("50887ccffad4c002b97caa37cc4")
        );
        assert!(d.previous().is_some());
    }

    #[test]
    fn previous_signature_must_be_present_but_may_be_null() {
        let base = r#""digestStartTime":"a","digestEndTime":"b","digestS3Bucket":"c","digestS3Object":"d","digestPublicKeyFingerprint":"e""#;
        let with_null = format!("{{{base},\"previousDigestSignature\":null}}");
        let d: Digest = serde_json::from_str(&with_null).unwrap();
        assert_eq!(d.previous_digest_signature, None);
        assert!(d.previous().is_none());
        let missing = format!("{{{base}}}");
        let err = serde_json::from_str::<Digest>(&missing).unwrap_err();
        assert!(err.to_string().contains("previousDigestSignature"), "{err}");
    }

    #[test]
    fn wrong_types_and_duplicates_are_errors() {
        let base = r#""digestStartTime":"a","digestEndTime":"b","digestS3Bucket":"c","digestS3Object":"d","previousDigestSignature":null"#;
        assert!(serde_json::from_str::<Digest>(&format!(
            "{{{base},\"digestPublicKeyFingerprint\":5}}"
        ))
        .is_err());
        assert!(serde_json::from_str::<Digest>(&format!(
            "{{{base},\"digestPublicKeyFingerprint\":\"e\",\"digestEndTime\":\"x\"}}"
        ))
        .is_err());
    }
}
