//! The logging watchdog's notices as one message per pass, in the same
//! three renderings as the other alerts (JSON, email text, AWS Chatbot).
//!
//! One message per pass, not per check: a trail stopped and reconfigured
//! at once is one story, and five-minute passes must not become a storm.

use serde_json::json;

use crate::detect::Level;
use crate::gzip::Sha256;
use crate::message::{sns_subject, Message};
use crate::watchdog::model::CheckName;
use crate::watchdog::state::{Notice, NoticeKind};

/// How many notices the chat card lists (the email has them all).
const CHAT_NOTICES: usize = 8;

/// How serious a notice is, for the subject and routing.
fn severity(n: &Notice) -> &'static str {
    match (n.kind, n.check) {
        (NoticeKind::Resolved, _) => "RESOLVED",
        // A trail that was not logging lost events, even once restarted.
        (_, CheckName::Logging) => "CRITICAL",
        (NoticeKind::Fixed, _) => "MEDIUM",
        _ => "HIGH",
    }
}

fn rank(s: &str) -> u8 {
    match s {
        "CRITICAL" => 4,
        "HIGH" => 3,
        "MEDIUM" => 2,
        _ => 1,
    }
}

fn verb(k: NoticeKind) -> &'static str {
    match k {
        NoticeKind::Problem => "problem",
        NoticeKind::StillProblem => "still a problem",
        NoticeKind::Resolved => "resolved",
        NoticeKind::Fixed => "repaired",
    }
}

fn trail_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

fn next_step(n: &Notice) -> &'static str {
    match n.check {
        CheckName::Logging => "Find out why the trail was stopped (the principal is named above) and review what happened while it was off: those events were not recorded.",
        CheckName::Delivery => "Check the log bucket's policy, the KMS key policy and the CloudWatch Logs role: CloudTrail cannot deliver.",
        CheckName::EventSelectors => "Confirm the selectors with the trail's owner: a narrowed selector stops recording events silently.",
        _ => "Confirm the change with the trail's owner, and who made it (UpdateTrail in the event history).",
    }
}

/// The message for a pass's notices (callers send none when empty).
pub fn watchdog_message(notices: &[Notice], region: &str) -> Message {
    let top = notices
        .iter()
        .map(severity)
        .max_by_key(|s| rank(s))
        .unwrap_or("HIGH");
    let first = notices.first();
    let headline = match first {
        Some(n) => format!("{} on {}: {}", n.check, trail_name(&n.trail), verb(n.kind)),
        None => "no notices".into(),
    };
    let more = if notices.len() > 1 {
        format!(" (+{} more)", notices.len() - 1)
    } else {
        String::new()
    };
    let subject = sns_subject(&format!("[{top}] trailguard watchdog: {headline}{more}"));
    let mut body = format!(
        "[{top}] The trailguard logging watchdog ({region}) has {} notice{}.\n\n",
        notices.len(),
        if notices.len() == 1 { "" } else { "s" }
    );
    for n in notices {
        body.push_str(&format!(
            "{} {} on {}: {}\n  Trail:   {}\n  Status:  {} (since {})\n  Detail:  {}\n",
            severity(n),
            n.check,
            trail_name(&n.trail),
            verb(n.kind),
            n.trail,
            n.status,
            n.since.format("%Y-%m-%dT%H:%M:%SZ"),
            n.detail
        ));
        if let Some(was) = &n.was {
            body.push_str(&format!("  Was:     {was}\n"));
        }
        if n.kind != NoticeKind::Resolved {
            body.push_str(&format!("  Next:    {}\n", next_step(n)));
        }
        body.push('\n');
    }
    body.push_str(
        "Why it matters: an auditor relies on the trail recording every API call, delivered, \
         validated and encrypted as configured. Every pass runs `trailguard watchdog`'s checks; \
         run it by hand to see the state of every check.\n\n-- trailguard logging watchdog\n",
    );
    let json = json!({
        "source": "trailguard",
        "kind": "watchdog",
        "severity": top.to_lowercase(),
        "region": region,
        "notices": notices,
    });
    let lines: Vec<String> = notices
        .iter()
        .take(CHAT_NOTICES)
        .map(|n| {
            format!(
                "*{}* `{}` on `{}`: {}. {}",
                severity(n),
                n.check,
                trail_name(&n.trail),
                verb(n.kind),
                super::detection::capped(&n.detail, 300)
            )
        })
        .collect();
    let mut description = lines.join("\n");
    if notices.len() > CHAT_NOTICES {
        description.push_str(&format!(
            "\n_...and {} more (see the email)_",
            notices.len() - CHAT_NOTICES
        ));
    }
    let thread = format!(
        "trailguard-watchdog-{}",
        &Sha256::of(first.map(|n| n.trail.as_str()).unwrap_or("").as_bytes()).hex()[..16]
    );
    let chat = json!({
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": format!(":rotating_light: {subject}"),
            "description": description,
            "nextSteps": first.map(|n| vec![next_step(n)]).unwrap_or_default(),
            "keywords": [top.to_lowercase(), "watchdog", region],
        },
        "metadata": {"threadId": thread},
    });
    let level = match top {
        "CRITICAL" => Level::Critical,
        "HIGH" => Level::High,
        "MEDIUM" => Level::Medium,
        _ => Level::Low,
    };
    let body = super::detection::capped(&body, 80 * 1024);
    let id = Sha256::of(body.as_bytes()).hex()[..32].to_string();
    Message::new(&subject, &body, &json, &chat, level, id)
}
