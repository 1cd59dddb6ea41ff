//! The integrity validator's findings as one message for people.
//!
//! All the findings of one invocation go in one message, so that a deleted
//! digest and the log files it leaves unverified arrive together rather than
//! as a storm.

use crate::detect::Level;
use crate::gzip::Sha256;
use crate::integrity::verdict::Verdict;
use crate::message::{sns_subject as subject, Message};

/// Room for the finding lines of one message. SNS refuses messages over
/// 256 KiB, and a publish that can never succeed would be retried forever;
/// the lines appear twice (email text and JSON), so each gets a third.
pub const MAX_FINDINGS_BYTES: usize = 80 * 1024;

/// The message for a set of invalid verdicts; `None` when all are valid.
/// Critical: the audit trail can no longer prove what happened.
pub fn integrity_message(source: &str, verdicts: &[Verdict]) -> Option<Message> {
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
        "metadata": {"threadId": format!("trailguard-integrity-{}", &Sha256::of(source.as_bytes()).hex()[..16])},
    });
    // One finding set, one ID: a retry of the same invocation repeats it.
    let id = Sha256::of(body.as_bytes()).hex()[..32].to_string();
    Some(Message::new(
        &subject,
        &body,
        &json,
        &chat,
        Level::Critical,
        id,
    ))
}

/// How many findings the chat card lists (the email has them all).
const CHAT_FINDINGS: usize = 10;

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
        let n = integrity_message("s3://b", &vs).unwrap();
        assert_eq!(
            n.subject,
            "trailguard: 2 CloudTrail integrity findings (hash_mismatch)"
        );
        assert_eq!(n.severity, Level::Critical);
        let (j, body, c) = n.deliveries().unwrap();
        assert!(body.contains("Log file\ts3://b/k1\tINVALID: hash value doesn't match"));
        assert!(body.contains("Digest file\ts3://b/k2\tINVALID: not found"));
        assert!(!body.contains("ok\tvalid"));
        assert!(integrity_message("x", &vs[..1]).is_none());
        assert_eq!(j["kind"], "integrity");
        assert_eq!(j["findings"], 2);
        assert_eq!(j["verdicts"][0]["code"], "hash_mismatch");
        assert_eq!(c["version"], "1.0");
        assert!(c["content"]["description"]
            .as_str()
            .unwrap()
            .contains("`k1`"));
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
        let n = integrity_message("s3://b", &vs).unwrap();
        // The whole SNS message (email + JSON + chat) fits.
        assert!(n.size() < 256 * 1024, "{}", n.size());
        assert!(n.subject.contains("5000"));
        let body = n.email();
        let listed = body.lines().filter(|l| l.starts_with("Log file")).count();
        assert!(listed > 300 && listed < 5000, "{listed}");
        assert!(body.contains(&format!("... and {} more findings", 5000 - listed)));
    }
}
