//! The output of `aws cloudtrail list-public-keys`, read and written.
//!
//! An auditor validating a copy of the logs (`trailguard validate
//! --from-dir`) takes CloudTrail's public keys from a file they fetched
//! themselves, in the form the AWS CLI prints them: `{"PublicKeyList":
//! [{"Value", "ValidityStartTime", "ValidityEndTime", "Fingerprint"}]}`
//! ("ListPublicKeys", https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_ListPublicKeys.html:
//! `Value` is "The DER encoded public key value in PKCS#1 format", a blob,
//! which the CLI prints as base64). The CLI prints timestamps as ISO 8601
//! strings (v2's default `cli_timestamp_format = iso8601`) or as epoch
//! seconds (v1's default `none`, the wire value); both are read.

use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

use crate::ports::PublicKey;

/// Why a public keys file cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PublicKeysFileError {
    /// Not JSON.
    #[error("not JSON: {0}")]
    Json(String),
    /// No `PublicKeyList` array.
    #[error("no PublicKeyList array (expected the output of `aws cloudtrail list-public-keys`)")]
    NoList,
    /// A key without a usable field.
    #[error("key {index}: {field} {problem}")]
    Field {
        /// Its position in `PublicKeyList`.
        index: usize,
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
}

/// The keys in a `list-public-keys` output.
pub fn parse(text: &str) -> Result<Vec<PublicKey>, PublicKeysFileError> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| PublicKeysFileError::Json(e.to_string()))?;
    let list = v
        .get("PublicKeyList")
        .and_then(Value::as_array)
        .ok_or(PublicKeysFileError::NoList)?;
    list.iter()
        .enumerate()
        .map(|(index, k)| {
            let field = |field: &'static str, problem: &str| PublicKeysFileError::Field {
                index,
                field,
                problem: problem.to_string(),
            };
            let fingerprint = k
                .get("Fingerprint")
                .and_then(Value::as_str)
                .filter(|f| !f.is_empty())
                .ok_or_else(|| field("Fingerprint", "is missing"))?;
            let value = k
                .get("Value")
                .and_then(Value::as_str)
                .ok_or_else(|| field("Value", "is missing"))?;
            let der = base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .map_err(|e| field("Value", &format!("is not base64: {e}")))?;
            if der.is_empty() {
                return Err(field("Value", "is empty"));
            }
            let time = |name: &'static str| -> Result<Option<DateTime<Utc>>, PublicKeysFileError> {
                match k.get(name) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
                        .map(|t| Some(t.with_timezone(&Utc)))
                        .map_err(|e| field(name, &format!("is not an ISO 8601 time: {e}"))),
                    Some(Value::Number(n)) => n
                        .as_f64()
                        .and_then(|s| {
                            Utc.timestamp_opt(s.trunc() as i64, (s.fract() * 1e9) as u32)
                                .single()
                        })
                        .map(Some)
                        .ok_or_else(|| field(name, "is not an epoch time")),
                    Some(_) => Err(field(name, "is neither a string nor a number")),
                }
            };
            Ok(PublicKey {
                fingerprint: fingerprint.to_string(),
                der,
                valid_from: time("ValidityStartTime")?,
                valid_to: time("ValidityEndTime")?,
            })
        })
        .collect()
}

/// The keys as `aws cloudtrail list-public-keys` (v2) prints them.
pub fn render(keys: &[PublicKey]) -> String {
    let t = |t: Option<DateTime<Utc>>| t.map(|t| t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string());
    let list: Vec<Value> = keys
        .iter()
        .map(|k| {
            json!({
                "Value": base64::engine::general_purpose::STANDARD.encode(&k.der),
                "ValidityStartTime": t(k.valid_from),
                "ValidityEndTime": t(k.valid_to),
                "Fingerprint": k.fingerprint,
            })
        })
        .collect();
    serde_json::to_string_pretty(&json!({ "PublicKeyList": list })).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const V2: &str = r#"{
    "PublicKeyList": [
        {
            "Value": "AQID",
            "ValidityStartTime": "2026-01-01T00:00:00+00:00",
            "ValidityEndTime": "2026-02-01T00:00:00+00:00",
            "Fingerprint": "8eba5db5bea9b640d1d5b6e2a8d6f1d3"
        }
    ]
}"#;

    #[test]
    fn reads_the_cli_v2_form_and_writes_it_back() {
        let keys = parse(V2).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].der, [1, 2, 3]);
        assert_eq!(keys[0].fingerprint, "8eba5db5bea9b640d1d5b6e2a8d6f1d3");
        assert_eq!(
            keys[0].valid_from,
            Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap())
        );
        assert_eq!(parse(&render(&keys)).unwrap(), keys);
    }

    #[test]
    fn reads_epoch_seconds_as_the_v1_cli_prints_them() {
        let v1 = r#"{"PublicKeyList": [{"Value": "AQID", "ValidityStartTime": 1767225600.0,
            "ValidityEndTime": 1769904000, "Fingerprint": "ab"}]}"#;
        let k = parse(v1).unwrap();
        assert_eq!(
            k[0].valid_from,
            Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap())
        );
        assert_eq!(
            k[0].valid_to,
            Some(Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap())
        );
        assert!(parse(r#"{"PublicKeyList": []}"#).unwrap().is_empty());
    }

    #[test]
    fn says_what_is_wrong() {
        assert_eq!(
            parse("{").unwrap_err().to_string().split(':').next(),
            Some("not JSON")
        );
        assert_eq!(parse("{}").unwrap_err(), PublicKeysFileError::NoList);
        let cases = [
            (r#"{"PublicKeyList": [{"Value": "AQID"}]}"#, "Fingerprint"),
            (r#"{"PublicKeyList": [{"Fingerprint": "a"}]}"#, "Value"),
            (
                r#"{"PublicKeyList": [{"Fingerprint": "a", "Value": "!!"}]}"#,
                "Value",
            ),
            (
                r#"{"PublicKeyList": [{"Fingerprint": "a", "Value": ""}]}"#,
                "Value",
            ),
            (
                r#"{"PublicKeyList": [{"Fingerprint": "a", "Value": "AQID", "ValidityStartTime": "soon"}]}"#,
                "ValidityStartTime",
            ),
            (
                r#"{"PublicKeyList": [{"Fingerprint": "a", "Value": "AQID", "ValidityEndTime": []}]}"#,
                "ValidityEndTime",
            ),
        ];
        for (text, want) in cases {
            match parse(text) {
                Err(PublicKeysFileError::Field {
                    field, index: 0, ..
                }) => {
                    assert_eq!(field, want, "{text}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}
