//! An alert for each reader: JSON for machines, plain text for email, and
//! an AWS Chatbot (Amazon Q Developer in chat applications) custom
//! notification for Slack.
//!
//! Each rendering answers the same questions in the same order (what
//! happened, who, from where, when, to which resource, which rule and why
//! it matters), because a responder woken at night reads the first lines
//! and decides.

use serde_json::{json, Value};

use super::detection::Alert;
use crate::detect::Level;
use crate::message::{sns_subject, MAX_SUBJECT};

/// How many characters of the rule description the Slack card shows; the
/// email has all of it.
const CHAT_DESCRIPTION_CHARS: usize = 600;

/// The severity as the subject and title write it.
pub fn severity_tag(level: Level) -> &'static str {
    match level {
        Level::Informational => "INFO",
        Level::Low => "LOW",
        Level::Medium => "MEDIUM",
        Level::High => "HIGH",
        Level::Critical => "CRITICAL",
    }
}

fn emoji(level: Level) -> &'static str {
    match level {
        Level::Critical => ":rotating_light:",
        Level::High => ":red_circle:",
        Level::Medium => ":large_orange_circle:",
        Level::Low => ":large_yellow_circle:",
        Level::Informational => ":white_circle:",
    }
}

/// The last part of an ARN: `assumed-role/Admin/alice` for a session.
fn short_principal(a: &Alert) -> String {
    match a.principal.as_deref() {
        None => "unknown principal".into(),
        Some(p) => match p
            .split_once(":assumed-role/")
            .or_else(|| p.split_once(":user/"))
        {
            Some((_, rest)) if p.contains(":assumed-role/") => format!("assumed-role/{rest}"),
            Some((_, rest)) => format!("user/{rest}"),
            None => p.rsplit(':').next().unwrap_or(p).to_string(),
        },
    }
}

fn outcome(a: &Alert) -> String {
    match (&a.error_code, &a.error_message) {
        (None, _) => "succeeded".into(),
        (Some(c), Some(m)) => format!("FAILED with {c}: {m}"),
        (Some(c), None) => format!("FAILED with {c}"),
    }
}

fn times(a: &Alert) -> String {
    if a.count > 1 {
        format!(
            "{} events between {} and {}",
            a.count, a.event_time, a.last_event_time
        )
    } else {
        a.event_time.clone()
    }
}

/// The SNS subject: `[HIGH] title: EventName by principal`, ASCII, one
/// line, at most 99 characters.
pub fn subject(a: &Alert) -> String {
    let count = if a.count > 1 {
        format!(" (x{})", a.count)
    } else {
        String::new()
    };
    let prefix = format!("[{}] ", severity_tag(a.severity));
    let suffix = sns_subject(&format!(
        ": {} by {}{count}",
        a.event_name,
        short_principal(a)
    ));
    let mut title = sns_subject(&a.title);
    // A title in a non-Latin script is all `?` once made ASCII: the rule
    // id says more.
    if title.chars().filter(|c| *c == '?').count() * 2 > title.len() {
        title = sns_subject(&a.rule);
    }
    // Cut the title, not who did what.
    let room = MAX_SUBJECT.saturating_sub(prefix.len() + suffix.len());
    if room >= 12 {
        if title.len() > room {
            title = format!("{}...", &title[..room - 3]);
        }
        format!("{prefix}{title}{suffix}")
    } else {
        sns_subject(&format!("{prefix}{title}{suffix}"))
    }
}

/// The alert as JSON (the `default` rendering; what `scan --output json`
/// prints and what queues, SIEMs and pagers consume).
pub fn json(a: &Alert) -> Value {
    let mut v = serde_json::to_value(a).unwrap_or_else(|_| json!({}));
    if let Some(o) = v.as_object_mut() {
        o.insert("source".into(), json!("trailguard"));
        o.insert("kind".into(), json!("detection"));
        o.insert("threadId".into(), json!(a.thread_id()));
    }
    v
}

/// Suggested first steps for a responder, from what the alert says.
pub fn next_steps(a: &Alert) -> Vec<String> {
    let mut steps = Vec::new();
    let who = a
        .role
        .as_deref()
        .or(a.principal.as_deref())
        .unwrap_or("the principal");
    steps.push(format!(
        "Confirm with the owner of {who} that this {} was intended{}.",
        a.event_name,
        if a.succeeded() {
            ""
        } else {
            " (it failed, but was attempted)"
        }
    ));
    if a.event_source == "cloudtrail.amazonaws.com" {
        steps.push(
            "Check the trail is logging and configured as required: `trailguard watchdog`.".into(),
        );
    }
    if let Some(region) = &a.aws_region {
        let user = a
            .event
            .pointer("/userIdentity/userName")
            .and_then(Value::as_str)
            .or_else(|| {
                a.event
                    .pointer("/userIdentity/sessionContext/sessionIssuer/userName")
                    .and_then(Value::as_str)
            });
        match user {
            Some(u) => steps.push(format!(
                "Review what else they did: `aws cloudtrail lookup-events --region {region} \
                 --lookup-attributes AttributeKey=Username,AttributeValue={u}`."
            )),
            None => steps.push(format!(
                "Review related activity: `aws cloudtrail lookup-events --region {region} \
                 --lookup-attributes AttributeKey=EventName,AttributeValue={}`.",
                a.event_name
            )),
        }
    }
    if !a.falsepositives.is_empty() {
        steps.push(format!(
            "Known false positives: {}. If this is one, allowlist it in the tuning file \
             rather than disabling rule {}.",
            a.falsepositives.join("; "),
            a.rule
        ));
    }
    steps
}

/// The email rendering: plain text, most important first, the raw event at
/// the end (`None` leaves it out, for a message split in parts).
pub fn email(a: &Alert, raw_event: Option<&str>) -> String {
    let mut s = String::new();
    let mut line = |label: &str, value: &str| {
        s.push_str(&format!("{label:<15}{value}\n"));
    };
    line(
        "Severity:",
        &format!("{} ({})", severity_tag(a.severity), a.severity),
    );
    line(
        "What happened:",
        &format!("{} ({}) {}", a.event_name, a.event_source, outcome(a)),
    );
    let who = match (&a.principal, &a.principal_type) {
        (Some(p), Some(t)) => format!("{p} ({t})"),
        (Some(p), None) => p.clone(),
        (None, _) => "unknown".into(),
    };
    line("Who:", &who);
    if let Some(r) = &a.role {
        line("Role:", r);
    }
    line(
        "From where:",
        &format!(
            "{}{}",
            a.source_ip.as_deref().unwrap_or("unknown"),
            a.user_agent
                .as_deref()
                .map(|u| format!(" using {u}"))
                .unwrap_or_default()
        ),
    );
    line("When:", &format!("{} (UTC)", times(a)));
    line(
        "Where:",
        &format!(
            "account {} region {}",
            a.recipient_account_id.as_deref().unwrap_or("?"),
            a.aws_region.as_deref().unwrap_or("?")
        ),
    );
    if a.resources.is_empty() {
        line("Resource:", "(not named in the event)");
    } else {
        for (i, r) in a.resources.iter().enumerate() {
            line(if i == 0 { "Resource:" } else { "" }, r);
        }
    }
    line(
        "Rule:",
        &format!("{} (id {}, from {})", a.title, a.rule, a.rule_origin),
    );
    let mut s = format!("[{}] {}\n\n{s}", severity_tag(a.severity), a.title);
    if let Some(d) = &a.description {
        s.push_str(&format!("\nWhy it matters:\n{}\n", d.trim()));
    }
    s.push_str("\nNext steps:\n");
    for step in next_steps(a) {
        s.push_str(&format!("- {step}\n"));
    }
    if !a.tags.is_empty() {
        s.push_str(&format!("\nTags: {}\n", a.tags.join(", ")));
    }
    if !a.references.is_empty() {
        s.push_str("References:\n");
        for r in &a.references {
            s.push_str(&format!("- {r}\n"));
        }
    }
    if a.count > 1 {
        s.push_str(&format!(
            "\nEvent IDs ({} of {}): {}\n",
            a.event_ids.len(),
            a.count,
            a.event_ids.join(", ")
        ));
    } else {
        s.push_str(&format!("\nEvent ID: {}\n", a.event_id));
    }
    s.push_str(&format!("Alert ID: {}\n", a.id));
    match raw_event {
        Some(raw) => s.push_str(&format!("\nRaw event (the earliest):\n{raw}\n")),
        None => s.push_str(
            "\nRaw event: too large for one message; it follows in the next message(s) \
             with the same alert ID.\n",
        ),
    }
    s.push_str("\n-- trailguard alert router\n");
    s
}

fn first_chars(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

/// The `https` rendering: an AWS Chatbot custom notification
/// (`version` 1.0, `source` custom), which Chatbot posts to Slack or
/// Teams as a card; `threadId` groups related alerts in one thread.
pub fn chatbot(a: &Alert) -> Value {
    let title = format!(
        "{} [{}] {}",
        emoji(a.severity),
        severity_tag(a.severity),
        a.title
    );
    let mut d = format!(
        "*{}* ({}) {} by `{}`\n",
        a.event_name,
        a.event_source,
        outcome(a),
        a.principal.as_deref().unwrap_or("unknown")
    );
    d.push_str(&format!(
        "*From:* `{}`{}\n*When:* {} UTC\n*Account/region:* {} / {}\n",
        a.source_ip.as_deref().unwrap_or("unknown"),
        a.user_agent
            .as_deref()
            .map(|u| format!(" ({})", first_chars(u, 80)))
            .unwrap_or_default(),
        times(a),
        a.recipient_account_id.as_deref().unwrap_or("?"),
        a.aws_region.as_deref().unwrap_or("?"),
    ));
    if !a.resources.is_empty() {
        let shown: Vec<String> = a
            .resources
            .iter()
            .take(5)
            .map(|r| format!("`{r}`"))
            .collect();
        d.push_str(&format!("*Resource:* {}\n", shown.join(", ")));
    }
    if let Some(desc) = &a.description {
        d.push_str(&format!(
            "*Why it matters:* {}\n",
            first_chars(desc.trim(), CHAT_DESCRIPTION_CHARS)
        ));
    }
    d.push_str(&format!(
        "_Rule {} · event {} · alert {}_",
        a.rule, a.event_id, a.id
    ));
    let mut keywords = vec![a.severity.to_string(), a.event_name.clone()];
    if let Some(acct) = &a.recipient_account_id {
        keywords.push(acct.clone());
    }
    keywords.extend(a.tags.iter().take(3).cloned());
    json!({
        "version": "1.0",
        "source": "custom",
        "id": a.id,
        "content": {
            "textType": "client-markdown",
            "title": title,
            "description": d,
            "nextSteps": next_steps(a),
            "keywords": keywords,
        },
        "metadata": {
            "threadId": a.thread_id(),
            "summary": subject(a),
            "eventType": a.rule,
            "relatedResources": a.resources,
            "additionalContext": {
                "severity": a.severity.as_str(),
                "principal": a.principal.as_deref().unwrap_or("unknown"),
                "eventID": a.event_id,
                "count": a.count.to_string(),
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{Hit, Rule};

    pub(crate) fn sample(error: bool) -> Alert {
        let rule = Rule::from_yaml(
            "title: CloudTrail logging stopped\nid: r-stop\nlevel: critical\n\
             description: Nothing is recorded while a trail is stopped.\n\
             falsepositives: [planned trail migration]\nreferences: [https://example.com/r]\n\
             tags: [attack.defense-evasion]\n\
             logsource: {product: aws, service: cloudtrail}\n\
             detection:\n  sel:\n    eventName: StopLogging\n  condition: sel\n",
            "builtin/stop.yml",
        )
        .unwrap();
        let mut rec = serde_json::json!({"eventID": "e-1", "eventTime": "2026-01-01T00:00:00Z",
            "eventName": "StopLogging", "eventSource": "cloudtrail.amazonaws.com",
            "awsRegion": "eu-west-1", "sourceIPAddress": "203.0.113.9", "userAgent": "aws-cli/2.15",
            "recipientAccountId": "111122223333",
            "requestParameters": {"name": "main"},
            "userIdentity": {"type": "AssumedRole", "userName": null,
              "arn": "arn:aws:sts::111122223333:assumed-role/Admin/alice",
              "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::111122223333:role/Admin", "userName": "Admin"}}}});
        if error {
            rec["errorCode"] = "AccessDenied".into();
            rec["errorMessage"] = "not allowed".into();
        }
        Alert::new(
            &Hit {
                rule: &rule,
                level: Level::Critical,
            },
            &rec,
        )
    }

    #[test]
    fn subject_is_short_and_says_the_essentials() {
        let a = sample(false);
        assert_eq!(
            subject(&a),
            "[CRITICAL] CloudTrail logging stopped: StopLogging by assumed-role/Admin/alice"
        );
        let mut long = a.clone();
        long.title = "é".repeat(300);
        let s = subject(&long);
        assert!(s.len() <= 99 && s.is_ascii() && !s.contains('\n'));
        assert_eq!(
            s,
            "[CRITICAL] r-stop: StopLogging by assumed-role/Admin/alice"
        );
        long.title = format!("A very long title {}", "x".repeat(200));
        let s = subject(&long);
        assert!(s.len() <= 99, "{s}");
        assert!(
            s.ends_with("...: StopLogging by assumed-role/Admin/alice"),
            "{s}"
        );
    }

    #[test]
    fn email_answers_the_questions_in_order() {
        let a = sample(true);
        let e = email(&a, Some("{\"raw\":1}"));
        let order = [
            "[CRITICAL] CloudTrail logging stopped",
            "What happened: StopLogging (cloudtrail.amazonaws.com) FAILED with AccessDenied: not allowed",
            "Who:           arn:aws:sts::111122223333:assumed-role/Admin/alice (AssumedRole)",
            "Role:          arn:aws:iam::111122223333:role/Admin",
            "From where:    203.0.113.9 using aws-cli/2.15",
            "When:          2026-01-01T00:00:00Z (UTC)",
            "Where:         account 111122223333 region eu-west-1",
            "Resource:      name=main",
            "Rule:          CloudTrail logging stopped (id r-stop, from builtin/stop.yml)",
            "Why it matters:\nNothing is recorded",
            "Next steps:\n- Confirm with the owner of arn:aws:iam::111122223333:role/Admin",
            "AttributeValue=Admin",
            "Known false positives: planned trail migration",
            "Raw event (the earliest):\n{\"raw\":1}",
        ];
        let mut at = 0;
        for needle in order {
            let i = e[at..]
                .find(needle)
                .unwrap_or_else(|| panic!("{needle:?} not after {at} in\n{e}"));
            at += i;
        }
        assert!(email(&a, None).contains("too large for one message"));
    }

    #[test]
    fn chatbot_card_has_the_custom_notification_shape() {
        let a = sample(false);
        let c = chatbot(&a);
        assert_eq!(c["version"], "1.0");
        assert_eq!(c["source"], "custom");
        assert_eq!(c["content"]["textType"], "client-markdown");
        assert!(c["content"]["title"]
            .as_str()
            .unwrap()
            .contains("[CRITICAL] CloudTrail logging stopped"));
        assert!(c["content"]["description"]
            .as_str()
            .unwrap()
            .contains("*StopLogging*"));
        assert!(!c["content"]["nextSteps"].as_array().unwrap().is_empty());
        assert_eq!(c["content"]["keywords"][0], "critical");
        assert_eq!(c["metadata"]["threadId"], a.thread_id());
        // No raw event in chat: it is in the email and the JSON.
        assert!(!c.to_string().contains("sessionIssuer"));
    }

    #[test]
    fn json_carries_the_alert_and_its_thread() {
        let a = sample(false);
        let j = json(&a);
        assert_eq!(j["rule"], "r-stop");
        assert_eq!(j["severity"], "critical");
        assert_eq!(j["threadId"], a.thread_id());
        assert_eq!(j["event"]["eventID"], "e-1");
    }
}
