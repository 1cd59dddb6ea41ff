//! The integrity validator's findings as one message for people.
//!
//! All the findings of one invocation go in one message, so that a deleted
//! digest and the log files it leaves unverified arrive together rather than
//! as a storm.

use crate::integrity::verdict::Verdict;
use crate::ports::Notification;

/// SNS refuses subjects of 100 characters or more.
pub const MAX_SUBJECT: usize = 99;

/// Room for the finding lines of one message. SNS refuses messages over
/// 256 KiB, and a publish that can never succeed would be retried forever;
/// the lines appear twice (email text and JSON), so each gets a third.
pub const MAX_FINDINGS_BYTES: usize = 80 * 1024;

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
    let json = serde_json::json!({
        "source": "trailguard",
        "kind": "integrity",
        "location": source,
        "findings": bad.len(),
        "listed": listed,
        "verdicts": bad[..listed].iter().map(|v| serde_json::json!({
            "kind": v.kind.label(),
            "bucket": v.bucket,
            "key": v.key,
            "code": v.reason.as_ref().map(|r| r.code()),
            "reason": v.reason.as_ref().map(|r| r.text()),
        })).collect::<Vec<_>>(),
    });
    let shown: Vec<String> = bad
        .iter()
        .take(CHAT_FINDINGS)
        .map(|v| {
            format!(
                "- `{}`: {}",
                v.key,
                v.reason.as_ref().map(|r| r.text()).unwrap_or_default()
            )
        })
        .collect();
    let mut description = format!(
        "*{} integrity finding{}* in `{source}`:\n{}",
        bad.len(),
        if bad.len() == 1 { "" } else { "s" },
        shown.join("\n")
    );
    if bad.len() > CHAT_FINDINGS {
        description.push_str(&format!(
            "\n_...and {} more (see the email)_",
            bad.len() - CHAT_FINDINGS
        ));
    }
    let chat = serde_json::json!({
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": format!(":rotating_light: [CRITICAL] {subject}"),
            "description": description,
            "nextSteps": [
                "Compare the object's versions in the versioned log bucket (`aws s3api list-object-versions`).",
                "Find who wrote or deleted it in the S3 data events of the log bucket.",
                "Re-validate the range: `trailguard validate --trail-arn ... --start-time ...`.",
            ],
            "keywords": ["critical", "integrity", bad[0].reason.as_ref().map(|r| r.code()).unwrap_or("invalid")],
        },
        "metadata": {"threadId": format!("trailguard-integrity-{}", &crate::integrity::gzip::Sha256::of(source.as_bytes()).hex()[..16])},
    });
    Some(Notification {
        subject,
        body,
        json: Some(json),
        chat: Some(chat),
    })
}

/// How many findings the chat card lists (the email has them all).
const CHAT_FINDINGS: usize = 10;

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
        let j = n.json.as_ref().unwrap();
        assert_eq!(j["kind"], "integrity");
        assert_eq!(j["findings"], 2);
        assert_eq!(j["verdicts"][0]["code"], "hash_mismatch");
        let c = n.chat.as_ref().unwrap();
        assert_eq!(c["version"], "1.0");
        assert!(c["content"]["description"]
            .as_str()
            .unwrap()
            .contains("`k1`"));
        let (msg, structured) = n.sns_message();
        assert!(structured);
        let m: serde_json::Value = serde_json::from_str(&msg).unwrap();
        assert_eq!(m["email"], n.body.as_str());
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
        // The whole SNS message (email + JSON + chat) fits too.
        assert!(
            n.sns_message().0.len() < 256 * 1024,
            "{}",
            n.sns_message().0.len()
        );
        assert!(n.subject.contains("5000"));
        let listed = n.body.lines().filter(|l| l.starts_with("Log file")).count();
        assert!(listed > 300 && listed < 5000, "{listed}");
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
