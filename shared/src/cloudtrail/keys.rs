//! The S3 key grammar of CloudTrail's deliveries.
//!
//! CloudTrail names every object it writes by a fixed scheme; the scheme is
//! what tells a log file from a digest, which account, region and trail it
//! belongs to, and when it was delivered. An object under a CloudTrail folder
//! that does not follow the scheme was not written by CloudTrail, so it is
//! itself a finding.
//!
//! ```text
//! [prefix/]AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/
//!     ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz
//! [prefix/]AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail-Digest/REGION/YYYY/MM/DD/
//!     ACCOUNT_CloudTrail-Digest_REGION_TRAILNAME_HOMEREGION_YYYYMMDDTHHMMSSZ[_backfill].json.gz
//! ```

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Where a CloudTrail object sits: the parts of its key before the file name.
///
/// Shared by log files and digests so that both can be compared (a digest and
/// the log files it covers live under the same account and region folders).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The trail's S3 key prefix, without the trailing slash (`None` when the
    /// trail has none).
    pub prefix: Option<String>,
    /// The organization ID (`o-...`) of an organization trail.
    pub org_id: Option<String>,
    /// The 12-digit account the records belong to.
    pub account: String,
    /// The region whose events the object holds.
    pub region: String,
    /// The day folder (`YYYY/MM/DD`).
    pub date: NaiveDate,
}

impl Location {
    /// The key prefix of the `AWSLogs` tree this object belongs to, ending
    /// with `/`: `[prefix/]AWSLogs/[o-ORGID/]ACCOUNT/`.
    pub fn account_root(&self) -> String {
        account_root(
            self.prefix.as_deref(),
            self.org_id.as_deref(),
            &self.account,
        )
    }
}

/// `[prefix/]AWSLogs/[o-ORGID/]ACCOUNT/`, the root of one account's deliveries.
pub fn account_root(prefix: Option<&str>, org_id: Option<&str>, account: &str) -> String {
    let mut s = String::new();
    if let Some(p) = prefix.filter(|p| !p.is_empty()) {
        s.push_str(p.trim_end_matches('/'));
        s.push('/');
    }
    s.push_str("AWSLogs/");
    if let Some(o) = org_id {
        s.push_str(o);
        s.push('/');
    }
    s.push_str(account);
    s.push('/');
    s
}

/// The key of one log file, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogKey {
    /// Account, region and day folder.
    pub location: Location,
    /// The minute in the file name (`YYYYMMDDTHHmmZ`), when CloudTrail wrote it.
    pub timestamp: DateTime<Utc>,
    /// The random suffix that makes the name unique.
    pub unique: String,
}

/// The key of one digest file, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestKey {
    /// Account, region and day folder.
    pub location: Location,
    /// The trail's name (may itself contain underscores).
    pub trail_name: String,
    /// The region the trail was created in (its home region). The digest's
    /// signing key is the delivering region's (`location.region`), not this
    /// one's: CloudTrail signs each region's digests with that region's key.
    pub home_region: String,
    /// The second in the file name (`YYYYMMDDTHHMMSSZ`), when it was delivered.
    pub timestamp: DateTime<Utc>,
    /// A backfill digest (`_backfill.json.gz`), written to mend a gap.
    pub backfill: bool,
}

/// What an S3 key is, as far as CloudTrail's naming tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectKind {
    /// A CloudTrail log file.
    Log(LogKey),
    /// A CloudTrail digest file.
    Digest(DigestKey),
    /// A CloudTrail Insights file: known, not covered by digests.
    Insight,
    /// Another object CloudTrail or AWS writes on purpose (the
    /// `ConfigWritabilityCheckFile`, folder markers).
    KnownOther,
    /// A key under a `CloudTrail/` or `CloudTrail-Digest/` folder that does not
    /// follow the scheme: not written by CloudTrail, so a finding.
    Unrecognised {
        /// Why the key does not parse.
        reason: String,
    },
    /// Not under an `AWSLogs/` tree at all: not CloudTrail's business.
    Unrelated,
}

/// The folder names under an account root.
const LOG_FOLDER: &str = "CloudTrail";
const DIGEST_FOLDER: &str = "CloudTrail-Digest";
const INSIGHT_FOLDER: &str = "CloudTrail-Insight";

/// Classifies an S3 key (already URL-decoded) by CloudTrail's naming scheme.
pub fn classify(key: &str) -> ObjectKind {
    let Some(rest_start) = find_awslogs(key) else {
        return ObjectKind::Unrelated;
    };
    // `rest_start` points just after "AWSLogs/"; a prefix ends before "/AWSLogs/".
    let prefix =
        (rest_start > "AWSLogs/".len()).then(|| key[..rest_start - "/AWSLogs/".len()].to_string());
    let rest = &key[rest_start..];
    if rest.ends_with('/') || rest.is_empty() {
        return ObjectKind::KnownOther;
    }
    let mut parts: Vec<&str> = rest.split('/').collect();
    if parts.last() == Some(&"ConfigWritabilityCheckFile") {
        return ObjectKind::KnownOther;
    }
    let org_id = if parts.first().is_some_and(|p| p.starts_with("o-")) {
        Some(parts.remove(0).to_string())
    } else {
        None
    };
    // ACCOUNT / FOLDER / REGION / YYYY / MM / DD / FILE
    let folder = parts.get(1).copied().unwrap_or_default();
    let is_ours = matches!(folder, LOG_FOLDER | DIGEST_FOLDER);
    if folder == INSIGHT_FOLDER {
        return ObjectKind::Insight;
    }
    if !is_ours {
        return ObjectKind::Unrelated;
    }
    let unrecognised = |reason: &str| ObjectKind::Unrecognised {
        reason: reason.to_string(),
    };
    if parts.len() != 7 {
        return unrecognised("expected ACCOUNT/FOLDER/REGION/YYYY/MM/DD/FILE below AWSLogs/");
    }
    let (account, region, file) = (parts[0], parts[2], parts[6]);
    if let Some(o) = &org_id {
        if !is_org_id(o) {
            return unrecognised("malformed organization ID folder");
        }
    }
    if !is_account(account) {
        return unrecognised("account folder is not 12 digits");
    }
    if !is_region(region) {
        return unrecognised("region folder is not a region name");
    }
    let Some(date) = parse_day(parts[3], parts[4], parts[5]) else {
        return unrecognised("date folders are not YYYY/MM/DD");
    };
    let location = Location {
        prefix,
        org_id,
        account: account.to_string(),
        region: region.to_string(),
        date,
    };
    let parsed = if folder == LOG_FOLDER {
        parse_log_name(file, &location).map(ObjectKind::Log)
    } else {
        parse_digest_name(file, &location).map(ObjectKind::Digest)
    };
    parsed.unwrap_or_else(|reason| ObjectKind::Unrecognised { reason })
}

/// Finds the byte offset just after the `AWSLogs/` component (at the start of
/// the key or after a `/`), taking the last one so that a prefix may itself
/// contain the word.
fn find_awslogs(key: &str) -> Option<usize> {
    if key.starts_with("AWSLogs/") && !key[8..].contains("/AWSLogs/") {
        return Some(8);
    }
    key.rfind("/AWSLogs/").map(|i| i + "/AWSLogs/".len())
}

fn parse_log_name(file: &str, loc: &Location) -> Result<LogKey, String> {
    let stem = file
        .strip_suffix(".json.gz")
        .ok_or("log file name does not end with .json.gz")?;
    let expected = format!("{}_CloudTrail_{}_", loc.account, loc.region);
    let rest = stem
        .strip_prefix(&expected)
        .ok_or_else(|| format!("log file name does not start with {expected}"))?;
    let (ts, unique) = rest
        .split_once('_')
        .ok_or("log file name has no unique suffix")?;
    let timestamp =
        parse_compact(ts, "%Y%m%dT%H%MZ", 14).ok_or("log file timestamp is not YYYYMMDDTHHmmZ")?;
    if unique.is_empty() || !unique.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err("log file unique suffix is not alphanumeric".into());
    }
    if timestamp.date_naive() != loc.date {
        return Err("log file timestamp is not in its day folder".into());
    }
    Ok(LogKey {
        location: loc.clone(),
        timestamp,
        unique: unique.to_string(),
    })
}

fn parse_digest_name(file: &str, loc: &Location) -> Result<DigestKey, String> {
    let stem = file
        .strip_suffix(".json.gz")
        .ok_or("digest file name does not end with .json.gz")?;
    let (stem, backfill) = match stem.strip_suffix("_backfill") {
        Some(s) => (s, true),
        None => (stem, false),
    };
    let expected = format!("{}_CloudTrail-Digest_{}_", loc.account, loc.region);
    let rest = stem
        .strip_prefix(&expected)
        .ok_or_else(|| format!("digest file name does not start with {expected}"))?;
    // TRAILNAME_HOMEREGION_TIMESTAMP; the trail name may contain underscores.
    let (rest, ts) = rest
        .rsplit_once('_')
        .ok_or("digest file name has no timestamp")?;
    let (trail_name, home_region) = rest
        .rsplit_once('_')
        .ok_or("digest file name has no home region")?;
    let timestamp = parse_compact(ts, "%Y%m%dT%H%M%SZ", 16)
        .ok_or("digest file timestamp is not YYYYMMDDTHHMMSSZ")?;
    if !is_region(home_region) {
        return Err("digest file home region is not a region name".into());
    }
    if !is_trail_name(trail_name) {
        return Err("digest file trail name is not a valid trail name".into());
    }
    if timestamp.date_naive() != loc.date {
        return Err("digest file timestamp is not in its day folder".into());
    }
    Ok(DigestKey {
        location: loc.clone(),
        trail_name: trail_name.to_string(),
        home_region: home_region.to_string(),
        timestamp,
        backfill,
    })
}

/// Parses `YYYYMMDDTHHmmZ`-style stamps of an exact length.
fn parse_compact(s: &str, fmt: &str, len: usize) -> Option<DateTime<Utc>> {
    if s.len() != len || !s.is_ascii() {
        return None;
    }
    NaiveDateTime::parse_from_str(s, fmt)
        .ok()
        .map(|n| Utc.from_utc_datetime(&n))
}

fn parse_day(y: &str, m: &str, d: &str) -> Option<NaiveDate> {
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !(all_digits(y) && all_digits(m) && all_digits(d)) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// A 12-digit AWS account ID.
pub fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// An organization ID: `o-` and 10 to 32 lowercase letters or digits.
pub fn is_org_id(s: &str) -> bool {
    s.strip_prefix("o-").is_some_and(|r| {
        (10..=32).contains(&r.len())
            && r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// A region name such as `us-east-1`, `us-gov-west-1` or `ap-southeast-4`:
/// lowercase words joined by hyphens, ending in a number.
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| !p.is_empty())
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
}

/// A trail name: 3 to 128 letters, digits, `.`, `_` or `-`, starting with a
/// letter or digit (CloudTrail's own rule).
pub fn is_trail_name(s: &str) -> bool {
    (3..=128).contains(&s.len())
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The key CloudTrail gives a log file; the inverse of [`classify`].
pub fn log_key(loc: &Location, timestamp: DateTime<Utc>, unique: &str) -> String {
    format!(
        "{}{LOG_FOLDER}/{}/{}/{}_CloudTrail_{}_{}_{}.json.gz",
        loc.account_root(),
        loc.region,
        timestamp.format("%Y/%m/%d"),
        loc.account,
        loc.region,
        timestamp.format("%Y%m%dT%H%MZ"),
        unique
    )
}

/// The key CloudTrail gives a digest file; the inverse of [`classify`].
pub fn digest_key(
    loc: &Location,
    trail_name: &str,
    home_region: &str,
    timestamp: DateTime<Utc>,
    backfill: bool,
) -> String {
    format!(
        "{}{DIGEST_FOLDER}/{}/{}/{}_CloudTrail-Digest_{}_{}_{}_{}{}.json.gz",
        loc.account_root(),
        loc.region,
        timestamp.format("%Y/%m/%d"),
        loc.account,
        loc.region,
        trail_name,
        home_region,
        timestamp.format("%Y%m%dT%H%M%SZ"),
        if backfill { "_backfill" } else { "" }
    )
}

/// The folder holding one region's log files of one day, ending with `/`.
pub fn log_day_prefix(root: &str, region: &str, day: NaiveDate) -> String {
    format!("{root}{LOG_FOLDER}/{region}/{}/", day.format("%Y/%m/%d"))
}

/// The folder holding one region's digest files of one day, ending with `/`.
pub fn digest_day_prefix(root: &str, region: &str, day: NaiveDate) -> String {
    format!("{root}{DIGEST_FOLDER}/{region}/{}/", day.format("%Y/%m/%d"))
}

/// The folder whose sub-folders are the regions that have digests.
pub fn digest_regions_prefix(root: &str) -> String {
    format!("{root}{DIGEST_FOLDER}/")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/111122223333_CloudTrail_us-east-2_20150817T1445Z_9nYN7gp2eWAJHIfT.json.gz";
    const DIGEST: &str = "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz";

    fn ts(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn log_key_parses() {
        let ObjectKind::Log(k) = classify(LOG) else {
            panic!("not a log: {:?}", classify(LOG))
        };
        assert_eq!(k.location.account, "111122223333");
        assert_eq!(k.location.region, "us-east-2");
        assert_eq!(k.location.prefix, None);
        assert_eq!(k.location.org_id, None);
        assert_eq!(k.timestamp, ts("2015-08-17T14:45:00Z"));
        assert_eq!(k.unique, "9nYN7gp2eWAJHIfT");
        assert_eq!(log_key(&k.location, k.timestamp, &k.unique), LOG);
    }

    #[test]
    fn digest_key_parses_and_round_trips() {
        let ObjectKind::Digest(k) = classify(DIGEST) else {
            panic!("not a digest")
        };
        assert_eq!(k.trail_name, "your-trail-name");
        assert_eq!(k.home_region, "us-east-2");
        assert_eq!(k.timestamp, ts("2015-08-17T15:01:31Z"));
        assert!(!k.backfill);
        assert_eq!(
            digest_key(
                &k.location,
                &k.trail_name,
                &k.home_region,
                k.timestamp,
                false
            ),
            DIGEST
        );
    }

    #[test]
    fn prefix_and_org_and_underscored_trail() {
        let key = "my/pre_fix/AWSLogs/o-aa111bb222/111122223333/CloudTrail-Digest/eu-west-1/2024/02/29/111122223333_CloudTrail-Digest_eu-west-1_org_trail_v2_us-east-1_20240229T235959Z_backfill.json.gz";
        let ObjectKind::Digest(k) = classify(key) else {
            panic!("not a digest: {:?}", classify(key))
        };
        assert_eq!(k.location.prefix.as_deref(), Some("my/pre_fix"));
        assert_eq!(k.location.org_id.as_deref(), Some("o-aa111bb222"));
        assert_eq!(k.trail_name, "org_trail_v2");
        assert_eq!(k.home_region, "us-east-1");
        assert!(k.backfill);
        assert_eq!(
            digest_key(
                &k.location,
                &k.trail_name,
                &k.home_region,
                k.timestamp,
                true
            ),
            key
        );
    }

    #[test]
    fn prefix_containing_awslogs_uses_last_component() {
        let key = format!("AWSLogs/archive/{LOG}");
        let ObjectKind::Log(k) = classify(&key) else {
            panic!("not a log")
        };
        assert_eq!(k.location.prefix.as_deref(), Some("AWSLogs/archive"));
    }

    #[test]
    fn known_others_and_unrelated() {
        assert_eq!(classify("AWSLogs/111122223333/"), ObjectKind::KnownOther);
        assert_eq!(
            classify("AWSLogs/111122223333/ConfigWritabilityCheckFile"),
            ObjectKind::KnownOther
        );
        assert_eq!(
            classify("prefix/AWSLogs/111122223333/CloudTrail/ConfigWritabilityCheckFile"),
            ObjectKind::KnownOther
        );
        assert_eq!(
            classify("AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/01/01/111122223333_CloudTrail-Insight_us-east-1_20240101T0000Z_abc.json.gz"),
            ObjectKind::Insight
        );
        assert_eq!(classify("index.html"), ObjectKind::Unrelated);
        assert_eq!(
            classify("AWSLogs/111122223333/elasticloadbalancing/x"),
            ObjectKind::Unrelated
        );
    }

    fn unrecognised(key: &str) -> String {
        match classify(key) {
            ObjectKind::Unrecognised { reason } => reason,
            other => panic!("{key} classified as {other:?}"),
        }
    }

    #[test]
    fn stray_objects_are_unrecognised() {
        let base = "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/";
        for (name, why) in [
            ("evil.json.gz", "does not start with"),
            (
                "111122223333_CloudTrail_us-east-2_20150817T1445Z_abc.json",
                "end with .json.gz",
            ),
            (
                "111122223333_CloudTrail_us-east-2_20150817T14Z_abc.json.gz",
                "YYYYMMDDTHHmmZ",
            ),
            (
                "111122223333_CloudTrail_us-east-2_20150818T1445Z_abc.json.gz",
                "day folder",
            ),
            (
                "111122223333_CloudTrail_us-east-2_20150817T1445Z_a-b.json.gz",
                "alphanumeric",
            ),
            (
                "111122223333_CloudTrail_us-east-1_20150817T1445Z_abc.json.gz",
                "does not start with",
            ),
            (
                "222222222222_CloudTrail_us-east-2_20150817T1445Z_abc.json.gz",
                "does not start with",
            ),
        ] {
            let reason = unrecognised(&format!("{base}{name}"));
            assert!(reason.contains(why), "{name}: {reason}");
        }
        assert!(
            unrecognised("AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/x.json.gz")
                .contains("expected")
        );
        assert!(
            unrecognised("AWSLogs/1111/CloudTrail/us-east-2/2015/08/17/x").contains("12 digits")
        );
        assert!(
            unrecognised("AWSLogs/111122223333/CloudTrail/moon/2015/08/17/x").contains("region")
        );
        assert!(
            unrecognised("AWSLogs/111122223333/CloudTrail/us-east-2/2015/13/17/x").contains("date")
        );
        assert!(
            unrecognised("AWSLogs/o-X/111122223333/CloudTrail/us-east-2/2015/08/17/x")
                .contains("organization")
        );
        let dbase = "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/";
        assert!(unrecognised(&format!(
            "{dbase}111122223333_CloudTrail-Digest_us-east-2_t_us-east-2_20150817T150131Z.json.gz"
        ))
        .contains("trail name"));
        assert!(unrecognised(&format!(
            "{dbase}111122223333_CloudTrail-Digest_us-east-2_trail_mars_20150817T150131Z.json.gz"
        ))
        .contains("home region"));
        assert!(unrecognised(&format!("{dbase}111122223333_CloudTrail-Digest_us-east-2_trail_us-east-2_20150817T1501Z.json.gz")).contains("timestamp"));
        assert!(unrecognised(&format!(
            "{dbase}111122223333_CloudTrail-Digest_us-east-2_20150817T150131Z.json.gz"
        ))
        .contains("no timestamp"));
    }

    #[test]
    fn field_validators() {
        assert!(is_region("us-gov-west-1"));
        assert!(is_region("ap-southeast-4"));
        assert!(!is_region("us-east"));
        assert!(!is_region("US-east-1"));
        assert!(!is_region("us--1"));
        assert!(is_org_id("o-aa111bb222"));
        assert!(!is_org_id("o-short"));
        assert!(is_trail_name("a.b_c-d"));
        assert!(!is_trail_name("-abc"));
        assert!(!is_trail_name("ab"));
        assert!(!is_trail_name("a/b/c"));
    }

    #[test]
    fn non_ascii_and_odd_keys_never_panic() {
        for key in [
            "AWSLogs/",
            "AWSLogs",
            "/AWSLogs/",
            "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/111122223333_CloudTrail_us-east-2_2015081éT1445Z_abc.json.gz",
            "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_ü_us-east-2_2015081éT150131Z.json.gz",
            "AWSLogs/o-/CloudTrail",
            "x/AWSLogs/111122223333/CloudTrail",
        ] {
            let _ = classify(key);
        }
    }
}
