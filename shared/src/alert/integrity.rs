//! The integrity validator's findings as one message for people.
//!
//! All the findings of one invocation go in one message, so that a deleted
//! digest and the log files it leaves unverified arrive together rather than
//! as a storm.

use crate::integrity::verdict::Verdict;
use crate::ports::Notification;

/// SNS refuses subjects of 100 characters or more.
pub const MAX_SUBJECT: usize = 99;

/// Room for the finding lines of one message: SNS refuses messages over
/// 256 KiB, and a publish that can never succeed would be retried forever.
pub const MAX_FINDINGS_BYTES: usize = 200 * 1024;

/// The notification for a set of invalid verdicts; `None` when all are valid.
pub fn integrity_notification(source: &str, verdicts: &[Verdict]) -> Option<Notification> {
    let bad: Vec<&Verdict> = verdicts.iter().filter(|v| !v.is_valid()).collect();
    if bad.is_empty() {
        return None;
    }
    let subject = subject(&format!(
        "trailguard: {} CloudTrail integrity finding{} ({})",
        bad.len(),
        if bad.len() == 1 { "" } else { "s" },
        bad[0]
            .reason
            .as_ref()
            .map(|r| r.code())
            .unwrap_or("invalid"),
    ));
    let mut body = format!(
        "trailguard found {} problem{} with the CloudTrail audit trail ({source}).\n\n",
        bad.len(),
        if bad.len() == 1 { "" } else { "s" }
    );
    let mut listed = 0;
    for v in &bad {
        let line = v.line();
        if body.len() + line.len() > MAX_FINDINGS_BYTES {
            break;
        }
        body.push_str(&line);
        body.push('\n');
        listed += 1;
    }
    if listed < bad.len() {
        body.push_str(&format!(
            "... and {} more findings, not listed to stay within SNS's message size; \
             every verdict is a structured log line of the function (message \"verdict\").\n",
            bad.len() - listed
        ));
    }
    body.push_str(
        "\nWhy it matters: a log file or digest that was altered, deleted, moved or injected means \
         the audit trail can no longer prove what happened in the account. Compare with the \
         bucket's object versions, and find who wrote or deleted the object in the S3 data events.\n",
    );
    Some(Notification { subject, body })
}

/// Makes a subject SNS accepts: printable ASCII, one line, at most 99 characters.
pub fn subject(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if clean.len() <= MAX_SUBJECT {
        clean
    } else {
        format!("{}...", &clean[..MAX_SUBJECT - 3])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrity::verdict::{FileKind, Reason};

    #[test]
    fn one_message_for_all_findings() {
        let vs = vec![
            Verdict::valid(FileKind::Log, "b", "ok"),
            Verdict::invalid(FileKind::Log, "b", "k1", Reason::HashMismatch),
            Verdict::invalid(FileKind::Digest, "b", "k2", Reason::NotFound),
        ];
        let n = integrity_notification("s3://b", &vs).unwrap();
        assert_eq!(
            n.subject,
            "trailguard: 2 CloudTrail integrity findings (hash_mismatch)"
        );
        assert!(n
            .body
            .contains("Log file\ts3://b/k1\tINVALID: hash value doesn't match"));
        assert!(n
            .body
            .contains("Digest file\ts3://b/k2\tINVALID: not found"));
        assert!(!n.body.contains("ok\tvalid"));
        assert!(integrity_notification("x", &vs[..1]).is_none());
    }

    #[test]
    fn thousands_of_findings_stay_under_the_sns_limit_and_say_so() {
        let vs: Vec<Verdict> = (0..5000)
            .map(|i| {
                Verdict::invalid(
                    FileKind::Log,
                    "b",
                    &format!("AWSLogs/{i:0>100}"),
                    Reason::NotListed,
                )
            })
            .collect();
        let n = integrity_notification("s3://b", &vs).unwrap();
        assert!(n.body.len() < 256 * 1024, "{}", n.body.len());
        assert!(n.subject.contains("5000"));
        let listed = n.body.lines().filter(|l| l.starts_with("Log file")).count();
        assert!(listed > 1000 && listed < 5000);
        assert!(n
            .body
            .contains(&format!("... and {} more findings", 5000 - listed)));
    }

    #[test]
    fn subjects_are_sns_safe() {
        let s = subject(&format!("a\nb é {}", "x".repeat(200)));
        assert!(s.len() <= MAX_SUBJECT);
        assert!(s.is_ascii() && !s.contains('\n'));
        assert!(s.starts_with("a?b ? x"));
    }
}
