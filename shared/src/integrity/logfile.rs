//! Checks on one log file as it lands, before any digest vouches for it.
//!
//! A digest arrives up to an hour after the log files it covers. Checking a
//! log file on arrival catches what a digest cannot: a file written by
//! someone other than CloudTrail (wrong owner, not encrypted with the trail's
//! key, malformed), and gives the hash a later digest check must match.

use chrono::{DateTime, Duration, Utc};

use super::verdict::Reason;
use crate::cloudtrail::keys::{Location, LogKey};
use crate::cloudtrail::record::{parse_heads, RecordHead};
use crate::gzip::{self, GzipError, Sha256};

/// What the trail's objects must look like; from configuration.
#[derive(Debug, Clone)]
pub struct Expectations {
    /// Accounts whose folders may appear (empty: any).
    pub accounts: Vec<String>,
    /// The organization ID of an organization trail.
    pub org_id: Option<String>,
    /// Regions whose folders may appear (empty: any).
    pub regions: Vec<String>,
    /// The KMS key (ARN or ID) objects must be encrypted with, if any.
    pub kms_key: Option<String>,
    /// Cap on a file's inflated size; a gzip bomb stops here.
    pub max_inflated_bytes: u64,
    /// How far after the file's timestamp a record's time may be.
    pub future_skew: Duration,
    /// How far before the file's timestamp a record's time may be.
    pub max_record_age: Duration,
}

impl Default for Expectations {
    fn default() -> Self {
        Self {
            accounts: Vec::new(),
            org_id: None,
            regions: Vec::new(),
            kms_key: None,
            max_inflated_bytes: 512 << 20,
            future_skew: Duration::minutes(15),
            max_record_age: Duration::days(7),
        }
    }
}

/// How S3 says an object is encrypted (from GetObject/HeadObject).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Encryption {
    /// `x-amz-server-side-encryption`: `aws:kms`, `aws:kms:dsse` or `AES256`.
    pub algorithm: Option<String>,
    /// `x-amz-server-side-encryption-aws-kms-key-id`: the key ARN.
    pub kms_key_id: Option<String>,
}

/// Whether the account, organization and region folders are the trail's.
pub fn check_owner(loc: &Location, exp: &Expectations) -> Option<Reason> {
    if !exp.accounts.is_empty() && !exp.accounts.iter().any(|a| a == &loc.account) {
        return Some(Reason::UnexpectedOwner(format!(
            "account {} is not one of the expected accounts",
            loc.account
        )));
    }
    if let Some(org) = &exp.org_id {
        if loc.org_id.as_deref() != Some(org.as_str()) {
            return Some(Reason::UnexpectedOwner(format!(
                "organization folder {} is not {org}",
                loc.org_id.as_deref().unwrap_or("(none)")
            )));
        }
    }
    if !exp.regions.is_empty() && !exp.regions.iter().any(|r| r == &loc.region) {
        return Some(Reason::UnexpectedOwner(format!(
            "region {} is not one of the expected regions",
            loc.region
        )));
    }
    None
}

/// Whether an object is SSE-KMS encrypted with the expected key.
pub fn check_encryption(enc: &Encryption, exp: &Expectations) -> Option<Reason> {
    let want = exp.kms_key.as_deref()?;
    let algo = enc.algorithm.as_deref().unwrap_or("none");
    if !algo.starts_with("aws:kms") {
        return Some(Reason::Encryption(format!(
            "server-side encryption is {algo}, not aws:kms"
        )));
    }
    let got = enc.kms_key_id.as_deref().unwrap_or("");
    if !same_kms_key(got, want) {
        return Some(Reason::Encryption(format!(
            "KMS key {got} is not the expected {want}"
        )));
    }
    None
}

/// Compares KMS key references: full ARNs exactly, otherwise by key ID.
fn same_kms_key(got: &str, want: &str) -> bool {
    let id = |s: &str| s.rsplit_once("key/").map_or(s, |(_, id)| id).to_string();
    if got.starts_with("arn:") && want.starts_with("arn:") {
        got == want
    } else {
        !got.is_empty() && id(got) == id(want)
    }
}

/// The outcome of checking a log file's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentCheck {
    /// The SHA-256 of the inflated file, when it inflated.
    pub sha256: Option<Sha256>,
    /// How many records it holds.
    pub records: usize,
    /// What is wrong with it, if anything.
    pub problems: Vec<Reason>,
}

/// Inflates (capped), parses and checks every record of a log file.
pub fn check_content(key: &LogKey, compressed: &[u8], exp: &Expectations) -> ContentCheck {
    let (inflated, sha) = match gzip::inflate(compressed, exp.max_inflated_bytes) {
        Ok(v) => v,
        Err(e) => {
            return ContentCheck {
                sha256: None,
                records: 0,
                problems: vec![gzip_reason(e)],
            }
        }
    };
    let file = match parse_heads(&inflated) {
        Ok(f) => f,
        Err(e) => {
            return ContentCheck {
                sha256: Some(sha),
                records: 0,
                problems: vec![Reason::InvalidFormat(format!(
                    "not a CloudTrail log file: {e}"
                ))],
            }
        }
    };
    let mut tally = RecordTally::default();
    for (i, r) in file.records.iter().enumerate() {
        tally.check(i, r, key, exp);
    }
    ContentCheck {
        sha256: Some(sha),
        records: file.records.len(),
        problems: tally.into_reasons(),
    }
}

/// Maps a gzip failure to the verdict reason the AWS CLI would give.
pub fn gzip_reason(e: GzipError) -> Reason {
    match e {
        GzipError::TrailingData { .. } => Reason::TrailingData,
        GzipError::TooLarge { limit } => Reason::TooLarge(limit),
        GzipError::Corrupt(d) => Reason::InvalidFormat(d),
    }
}

/// Counts record problems by kind, keeping the first example of each, so
/// that a file of a million bad records gives three lines, not a million.
#[derive(Default)]
struct RecordTally {
    missing: (usize, Option<String>),
    bad_time: (usize, Option<String>),
    future: (usize, Option<String>),
    stale: (usize, Option<String>),
    account: (usize, Option<String>),
    region: (usize, Option<String>),
}

impl RecordTally {
    fn check(&mut self, i: usize, r: &RecordHead<'_>, key: &LogKey, exp: &Expectations) {
        let id = r.event_id.as_deref().unwrap_or("?");
        let note = |slot: &mut (usize, Option<String>), msg: String| {
            slot.0 += 1;
            slot.1.get_or_insert(msg);
        };
        let missing = r.missing_fields();
        if !missing.is_empty() {
            note(
                &mut self.missing,
                format!("record {i} (eventID {id}) lacks {}", missing.join(", ")),
            );
        }
        if let Some(t) = r.event_time.as_deref() {
            match DateTime::parse_from_rfc3339(t) {
                Err(_) => note(
                    &mut self.bad_time,
                    format!("record {i} (eventID {id}) has eventTime {t:?}"),
                ),
                Ok(t) => {
                    let t = t.with_timezone(&Utc);
                    // The file name's minute is truncated: allow the whole minute.
                    if t > key.timestamp + Duration::minutes(1) + exp.future_skew {
                        note(
                            &mut self.future,
                            format!(
                                "record {i} (eventID {id}) at {t} is after the file's {}",
                                key.timestamp
                            ),
                        );
                    } else if t < key.timestamp - exp.max_record_age {
                        note(&mut self.stale, format!("record {i} (eventID {id}) at {t} is older than the file's {} by more than {} hours", key.timestamp, exp.max_record_age.num_hours()));
                    }
                }
            }
        }
        if let Some(a) = r.recipient_account_id.as_deref() {
            if !a.is_empty() && a != key.location.account {
                note(&mut self.account, format!("record {i} (eventID {id}) has recipientAccountId {a} in account {}'s folder", key.location.account));
            }
        }
        if let Some(reg) = r.aws_region.as_deref() {
            if !reg.is_empty() && reg != key.location.region {
                note(
                    &mut self.region,
                    format!(
                        "record {i} (eventID {id}) has awsRegion {reg} in the {} folder",
                        key.location.region
                    ),
                );
            }
        }
    }

    fn into_reasons(self) -> Vec<Reason> {
        let mut out = Vec::new();
        for (what, (n, first)) in [
            ("lack required fields", self.missing),
            ("have an unparseable eventTime", self.bad_time),
        ] {
            if n > 0 {
                out.push(Reason::InvalidFormat(format!(
                    "{n} record(s) {what}; first: {}",
                    first.unwrap_or_default()
                )));
            }
        }
        for (what, (n, first)) in [
            ("are timed after the file was written", self.future),
            ("are implausibly old for the file", self.stale),
            ("belong to another account", self.account),
            ("belong to another region", self.region),
        ] {
            if n > 0 {
                out.push(Reason::Records(format!(
                    "{n} record(s) {what}; first: {}",
                    first.unwrap_or_default()
                )));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudtrail::keys::{classify, ObjectKind};
    use serde_json::json;

    fn key() -> LogKey {
        match classify("AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/01/111122223333_CloudTrail_us-east-1_20240101T1200Z_abcdEFGH12345678.json.gz") {
            ObjectKind::Log(k) => k,
            other => panic!("{other:?}"),
        }
    }

    fn record(time: &str) -> serde_json::Value {
        json!({"eventVersion":"1.09","eventTime":time,"eventSource":"iam.amazonaws.com","eventName":"ListUsers",
               "awsRegion":"us-east-1","eventID":"id-1","recipientAccountId":"111122223333"})
    }

    fn check(records: Vec<serde_json::Value>) -> ContentCheck {
        let body = gzip::gzip(json!({ "Records": records }).to_string().as_bytes());
        check_content(&key(), &body, &Expectations::default())
    }

    #[test]
    fn a_good_file_passes() {
        let c = check(vec![
            record("2024-01-01T11:58:00Z"),
            record("2024-01-01T12:00:59Z"),
        ]);
        assert_eq!(c.problems, vec![]);
        assert_eq!(c.records, 2);
        assert!(c.sha256.is_some());
    }

    /// `recipientAccountId` is "Optional: True" in AWS's record contents:
    /// a record without it is not a finding.
    #[test]
    fn a_record_without_recipient_account_id_passes() {
        let mut bare = record("2024-01-01T11:58:00Z");
        bare.as_object_mut().unwrap().remove("recipientAccountId");
        let c = check(vec![bare, record("2024-01-01T11:59:00Z")]);
        assert_eq!(c.problems, vec![]);
        assert_eq!(c.records, 2);
    }

    #[test]
    fn record_problems_are_counted_with_an_example() {
        let mut missing = record("2024-01-01T11:58:00Z");
        missing.as_object_mut().unwrap().remove("eventSource");
        let mut other_account = record("2024-01-01T11:58:00Z");
        other_account["recipientAccountId"] = json!("999999999999");
        let mut other_region = record("2024-01-01T11:58:00Z");
        other_region["awsRegion"] = json!("eu-west-1");
        let c = check(vec![
            missing.clone(),
            missing,
            record("2024-01-01T13:00:00Z"),
            record("2023-12-01T00:00:00Z"),
            record("yesterday"),
            other_account,
            other_region,
        ]);
        let texts: Vec<String> = c.problems.iter().map(Reason::text).collect();
        assert_eq!(texts.len(), 6, "{texts:#?}");
        assert!(
            texts[0].contains("2 record(s) lack required fields")
                && texts[0].contains("eventSource")
        );
        assert!(texts[1].contains("unparseable eventTime"));
        assert!(texts[2].contains("after the file was written"));
        assert!(texts[3].contains("implausibly old"));
        assert!(texts[4].contains("another account"));
        assert!(texts[5].contains("another region"));
    }

    #[test]
    fn format_problems() {
        let k = key();
        let exp = Expectations {
            max_inflated_bytes: 1000,
            ..Default::default()
        };
        let not_json = gzip::gzip(b"hello");
        assert!(matches!(
            check_content(&k, &not_json, &exp).problems[0],
            Reason::InvalidFormat(_)
        ));
        let bomb = gzip::gzip(&vec![b' '; 5000]);
        assert_eq!(
            check_content(&k, &bomb, &exp).problems,
            vec![Reason::TooLarge(1000)]
        );
        let mut trailing = gzip::gzip(b"{\"Records\":[]}");
        trailing.push(0);
        assert_eq!(
            check_content(&k, &trailing, &exp).problems,
            vec![Reason::TrailingData]
        );
        let truncated = gzip::gzip(b"{\"Records\":[{\"eventName\":");
        assert!(matches!(
            check_content(&k, &truncated, &exp).problems[0],
            Reason::InvalidFormat(_)
        ));
    }

    #[test]
    fn owner_checks() {
        let loc = key().location;
        assert_eq!(check_owner(&loc, &Expectations::default()), None);
        let exp = Expectations {
            accounts: vec!["222222222222".into()],
            ..Default::default()
        };
        assert!(matches!(
            check_owner(&loc, &exp),
            Some(Reason::UnexpectedOwner(_))
        ));
        let exp = Expectations {
            org_id: Some("o-abcdefghij".into()),
            ..Default::default()
        };
        assert!(matches!(
            check_owner(&loc, &exp),
            Some(Reason::UnexpectedOwner(_))
        ));
        let exp = Expectations {
            regions: vec!["eu-west-1".into()],
            ..Default::default()
        };
        assert!(matches!(
            check_owner(&loc, &exp),
            Some(Reason::UnexpectedOwner(_))
        ));
        let exp = Expectations {
            accounts: vec!["111122223333".into()],
            regions: vec!["us-east-1".into()],
            ..Default::default()
        };
        assert_eq!(check_owner(&loc, &exp), None);
    }

    #[test]
    fn encryption_checks() {
        let arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let exp = Expectations {
            kms_key: Some(arn.into()),
            ..Default::default()
        };
        let kms = |id: &str| Encryption {
            algorithm: Some("aws:kms".into()),
            kms_key_id: Some(id.into()),
        };
        assert_eq!(check_encryption(&kms(arn), &exp), None);
        assert!(
            check_encryption(&kms("arn:aws:kms:us-east-1:111122223333:key/other"), &exp).is_some()
        );
        assert!(check_encryption(
            &Encryption {
                algorithm: Some("AES256".into()),
                kms_key_id: None
            },
            &exp
        )
        .is_some());
        assert!(check_encryption(&Encryption::default(), &exp).is_some());
        let by_id = Expectations {
            kms_key: Some("1234abcd-12ab-34cd-56ef-1234567890ab".into()),
            ..Default::default()
        };
        assert_eq!(check_encryption(&kms(arn), &by_id), None);
        assert_eq!(
            check_encryption(&Encryption::default(), &Expectations::default()),
            None
        );
    }
}
