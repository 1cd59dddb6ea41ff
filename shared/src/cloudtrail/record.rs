//! The log file model, as much of it as integrity checks read.
//!
//! A log file is `{"Records":[...]}`. Checking that a file is well formed
//! needs only a handful of fields per record, so they are borrowed from the
//! inflated bytes and everything else is skipped without being built: a
//! 100 MB file is checked without allocating a tree of it.

use std::borrow::Cow;

use serde::Deserialize;

/// The fields every CloudTrail record carries, which a well-formed log file
/// must have in each record.
///
/// Not `recipientAccountId`: the CloudTrail User Guide's "CloudTrail record
/// contents for management, data, and network activity events" lists it as
/// "Optional: True", so a record without it is no sign of tampering (the
/// account check then rests on the folder and the other records).
pub const REQUIRED_FIELDS: [&str; 6] = [
    "eventVersion",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "eventID",
];

/// A log file whose records are parsed only as far as [`RecordHead`].
#[derive(Debug, Deserialize)]
pub struct LogFileHeads<'a> {
    /// The records, in file order.
    #[serde(rename = "Records", borrow)]
    pub records: Vec<RecordHead<'a>>,
}

/// The identifying fields of one record; the rest of the record is skipped.
#[derive(Debug, Default, Deserialize)]
pub struct RecordHead<'a> {
    /// Version of the record format.
    #[serde(rename = "eventVersion", borrow, default)]
    pub event_version: Option<Cow<'a, str>>,
    /// When the request was made (RFC 3339, UTC).
    #[serde(rename = "eventTime", borrow, default)]
    pub event_time: Option<Cow<'a, str>>,
    /// The service, e.g. `s3.amazonaws.com`.
    #[serde(rename = "eventSource", borrow, default)]
    pub event_source: Option<Cow<'a, str>>,
    /// The API action, e.g. `PutObject`.
    #[serde(rename = "eventName", borrow, default)]
    pub event_name: Option<Cow<'a, str>>,
    /// The region the request was made to.
    #[serde(rename = "awsRegion", borrow, default)]
    pub aws_region: Option<Cow<'a, str>>,
    /// CloudTrail's unique ID of the record.
    #[serde(rename = "eventID", borrow, default)]
    pub event_id: Option<Cow<'a, str>>,
    /// The account that received the record (optional in AWS's record
    /// contents; compared with the folder's account when present).
    #[serde(rename = "recipientAccountId", borrow, default)]
    pub recipient_account_id: Option<Cow<'a, str>>,
}

impl RecordHead<'_> {
    /// The names of required fields this record lacks (or has empty).
    pub fn missing_fields(&self) -> Vec<&'static str> {
        let values = [
            &self.event_version,
            &self.event_time,
            &self.event_source,
            &self.event_name,
            &self.aws_region,
            &self.event_id,
        ];
        REQUIRED_FIELDS
            .iter()
            .zip(values)
            .filter(|(_, v)| v.as_deref().is_none_or(str::is_empty))
            .map(|(name, _)| *name)
            .collect()
    }
}

/// Parses a log file's records as far as their heads.
pub fn parse_heads(inflated: &[u8]) -> Result<LogFileHeads<'_>, serde_json::Error> {
    serde_json::from_slice(inflated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_heads_and_reports_missing_fields() {
        let json = br#"{"Records":[
            {"eventVersion":"1.09","eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com",
             "eventName":"GetObject","awsRegion":"us-east-1","eventID":"e1","recipientAccountId":"111122223333",
             "requestParameters":{"bucketName":"b","nested":[1,2,{"x":null}]}},
            {"eventVersion":"1.09","eventName":"GetObject","eventID":""}
        ],"extra":true}"#;
        let f = parse_heads(json).unwrap();
        assert_eq!(f.records.len(), 2);
        assert!(f.records[0].missing_fields().is_empty());
        assert_eq!(
            f.records[1].missing_fields(),
            vec!["eventTime", "eventSource", "awsRegion", "eventID",]
        );
    }

    #[test]
    fn escaped_strings_are_owned() {
        let json = br#"{"Records":[{"eventName":"Get\u004fbject"}]}"#;
        let f = parse_heads(json).unwrap();
        assert_eq!(f.records[0].event_name.as_deref(), Some("GetObject"));
    }

    #[test]
    fn malformed_inputs_are_errors() {
        for bad in [
            &b"{"[..],
            b"[]",
            b"{\"Records\":{}}",
            b"{\"Records\":[1]}",
            b"{\"Records\":[{\"eventTime\":5}]}",
            b"{\"Records\":[],\"Records\":[]}",
            b"\xff\xfe",
        ] {
            assert!(
                parse_heads(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
