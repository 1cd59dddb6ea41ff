//! The messages a detection alert becomes: one, or, when its raw event
//! does not fit, a first message without the event followed by as many
//! parts as the event needs, all with the alert's ID: split, never cut.
//!
//! SNS refuses a message over 256 KiB, and a refused publish would fail the
//! invocation on every retry, so every message made here fits the limit it
//! is given ([`crate::message::MAX_MESSAGE_BYTES`] or the topic's own).

use serde_json::json;

use super::detection::Alert;
use super::render::{self, severity_tag};
use crate::message::{sns_subject, structure, Message, MAX_SUBJECT};

/// Room kept for the subject and the request's own bytes.
const MARGIN: usize = 1024;

fn subject_with_suffix(a: &Alert, suffix: &str) -> String {
    let base = render::subject(a);
    let room = MAX_SUBJECT.saturating_sub(suffix.len());
    let cut = if base.len() > room {
        // The subject is ASCII, so any index is a char boundary.
        format!("{}...", &base[..room.saturating_sub(3)])
    } else {
        base
    };
    format!("{cut}{suffix}")
}

/// The alert's first message, with or without the raw event inline.
fn primary(a: &Alert, raw: Option<&str>, parts: usize) -> String {
    let mut default = render::json(a);
    if raw.is_none() {
        if let Some(o) = default.as_object_mut() {
            o.insert("event".into(), serde_json::Value::Null);
            o.insert("eventParts".into(), json!(parts));
        }
    }
    structure(
        default.to_string(),
        render::email(a, raw),
        render::chatbot(a).to_string(),
    )
}

fn part(a: &Alert, chunk: &str, i: usize, n: usize) -> String {
    let default = json!({
        "source": "trailguard",
        "kind": "detection-event-part",
        "id": a.id,
        "threadId": a.thread_id(),
        "rule": a.rule,
        "part": i,
        "parts": n,
        "eventChunk": chunk,
    });
    let email = format!(
        "Alert {} ({}): raw event, part {i} of {n}. Join the parts in order to read it.\n\n{chunk}\n",
        a.id, a.title
    );
    let https = json!({
        "version": "1.0",
        "source": "custom",
        "content": {
            "textType": "client-markdown",
            "title": format!("[{}] {}: raw event part {i}/{n}", severity_tag(a.severity), a.title),
            "description": format!("The raw event of alert {} is in the email and JSON deliveries.", a.id),
        },
        "metadata": { "threadId": a.thread_id() },
    });
    structure(default.to_string(), email, https.to_string())
}

/// Splits `s` into pieces of at most `max` bytes on character boundaries.
fn chunks(s: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let mut end = max.min(rest.len());
        while end > 0 && !rest.is_char_boundary(end) {
            end -= 1;
        }
        if end == 0 {
            // `max` is smaller than one character: take the character.
            end = rest.chars().next().map_or(rest.len(), char::len_utf8);
        }
        let (head, tail) = rest.split_at(end);
        out.push(head);
        rest = tail;
    }
    out
}

/// The messages for one alert, each at most `max_bytes` (message plus
/// subject): one when it fits, else a first message and the raw event in
/// parts.
pub fn alert_messages(a: &Alert, max_bytes: usize) -> Vec<Message> {
    let limit = max_bytes.saturating_sub(MARGIN).max(4096);
    let raw = serde_json::to_string_pretty(&a.event).unwrap_or_default();
    let msg = |subject: String, body: String| Message {
        subject: sns_subject(&subject),
        body,
        severity: a.severity,
        id: a.id.clone(),
    };
    let whole = primary(a, Some(&raw), 0);
    if whole.len() <= limit {
        return vec![msg(render::subject(a), whole)];
    }
    // The raw event appears escaped once (email) and twice (default).
    let mut chunk_size = (limit / 8).max(1024);
    loop {
        let pieces = chunks(&raw, chunk_size);
        let n = pieces.len();
        let mut out = vec![msg(render::subject(a), primary(a, None, n))];
        for (i, c) in pieces.iter().enumerate() {
            let suffix = format!(" (event {}/{n})", i + 1);
            out.push(msg(subject_with_suffix(a, &suffix), part(a, c, i + 1, n)));
        }
        if out.iter().skip(1).all(|m| m.body.len() <= limit) || chunk_size <= 64 {
            // Every field of an alert is capped (see `detection`), so the
            // first message fits any limit SNS allows; should it not, a
            // minimal one says where the alert is rather than failing the
            // batch on every retry.
            if let Some(first) = out.first_mut() {
                if first.body.len() > limit {
                    first.body = minimal(a);
                }
            }
            out.retain(|m| m.body.len() <= limit);
            return out;
        }
        chunk_size = chunk_size * 3 / 4;
    }
}

/// The smallest rendering of an alert: what, who, which rule, and that the
/// rest is in the function's log line for the alert ID.
fn minimal(a: &Alert) -> String {
    let text = format!(
        "[{}] {} ({}): {} by {} at {}. This alert was too large for one message; its full \
         text is in the alert router's log line with alert ID {}.",
        severity_tag(a.severity),
        super::detection::capped(&a.title, 200),
        a.rule,
        super::detection::capped(&a.event_name, 200),
        super::detection::capped(a.principal.as_deref().unwrap_or("unknown"), 300),
        super::detection::capped(&a.event_time, 40),
        a.id
    );
    let default = json!({"source": "trailguard", "kind": "detection", "id": a.id, "rule": a.rule,
        "severity": a.severity, "eventID": super::detection::capped(&a.event_id, 200), "truncated": true, "text": text});
    let https = json!({"version": "1.0", "source": "custom",
        "content": {"textType": "client-markdown", "title": format!("[{}] {}", severity_tag(a.severity), super::detection::capped(&a.title, 200)), "description": text}});
    structure(default.to_string(), text, https.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::detection;
    use crate::detect::{Hit, Level, Rule};
    use crate::message::MAX_MESSAGE_BYTES;
    use serde_json::Value;

    fn alert(event_bytes: usize, level: Level) -> Alert {
        let rule = Rule::from_yaml(
            "title: Big\nid: r-big\nlevel: high\nlogsource: {product: aws, service: cloudtrail}\n\
             detection:\n  sel:\n    eventName: PutBucketPolicy\n  condition: sel\n",
            "r",
        )
        .unwrap();
        // Quotes and non-ASCII make escaping expand the text.
        let policy = "\"é\\".repeat(event_bytes / 4);
        let rec = serde_json::json!({"eventID": "e", "eventName": "PutBucketPolicy",
            "eventSource": "s3.amazonaws.com", "eventTime": "2026-01-01T00:00:00Z",
            "requestParameters": {"bucketPolicy": policy}});
        Alert::new(&Hit { rule: &rule, level }, &rec)
    }

    fn parse(m: &Message) -> (Value, String, Value) {
        m.deliveries().unwrap()
    }

    #[test]
    fn a_small_alert_is_one_message_with_three_renderings() {
        let a = alert(100, Level::High);
        let ms = alert_messages(&a, MAX_MESSAGE_BYTES);
        assert_eq!(ms.len(), 1);
        let (d, e, h) = parse(&ms[0]);
        assert_eq!(d["rule"], "r-big");
        assert_eq!(d["event"]["eventID"], "e");
        assert!(e.contains("Raw event (the earliest)"));
        assert_eq!(h["version"], "1.0");
        assert_eq!(ms[0].severity, Level::High);
    }

    #[test]
    fn a_huge_event_is_split_never_cut() {
        let a = alert(400_000, Level::Critical);
        let ms = alert_messages(&a, MAX_MESSAGE_BYTES);
        assert!(ms.len() > 2, "{}", ms.len());
        for m in &ms {
            assert!(m.size() <= MAX_MESSAGE_BYTES, "{}", m.size());
            assert!(m.subject.len() <= 99 && m.subject.is_ascii());
            assert_eq!(m.id, a.id);
        }
        let (first, email, _) = parse(&ms[0]);
        assert!(first["event"].is_null());
        assert_eq!(first["eventParts"], ms.len() - 1);
        assert!(email.contains("too large for one message"));
        // Joining the parts gives the event back, byte for byte.
        let mut joined = String::new();
        for (i, m) in ms.iter().enumerate().skip(1) {
            let (d, e, h) = parse(m);
            assert_eq!(d["part"], i);
            assert!(e.contains(&format!("part {i} of {}", ms.len() - 1)));
            assert_eq!(h["metadata"]["threadId"], a.thread_id());
            assert!(m
                .subject
                .ends_with(&format!("(event {i}/{})", ms.len() - 1)));
            joined.push_str(d["eventChunk"].as_str().unwrap());
        }
        let back: Value = serde_json::from_str(&joined).unwrap();
        assert_eq!(back, a.event);
        // A smaller topic limit gives more, smaller parts.
        let small = alert_messages(&a, 64 * 1024);
        assert!(small.len() > ms.len());
        assert!(small.iter().all(|m| m.size() <= 64 * 1024));
    }

    #[test]
    fn every_message_fits_even_with_hostile_fields() {
        let mut a = alert(300_000, Level::High);
        a.error_message = Some(detection::capped(
            &"e".repeat(500_000),
            detection::MAX_FIELD_CHARS,
        ));
        a.resources = (0..60)
            .map(|i| {
                detection::capped(
                    &format!("{i}{}", "r".repeat(5000)),
                    detection::MAX_FIELD_CHARS,
                )
            })
            .collect();
        a.description = Some("d".repeat(3000));
        for max in [8 * 1024, 64 * 1024, MAX_MESSAGE_BYTES] {
            let ms = alert_messages(&a, max);
            assert!(ms.len() >= 2, "{max}");
            for m in &ms {
                assert!(m.size() <= max, "{max}: {}", m.size());
            }
        }
        // Absurd fields the caps do not bound: the minimal message.
        let mut b = alert(10, Level::High);
        b.resources = vec!["r".repeat(100_000); 5];
        let ms = alert_messages(&b, 8 * 1024);
        assert!(ms[0].size() <= 8 * 1024);
        assert!(ms[0].body.contains("too large for one message"));
    }

    #[test]
    fn chunks_keep_characters_whole() {
        let s = "aé€😀".repeat(10);
        for max in 1..8 {
            let c = chunks(&s, max);
            assert_eq!(c.concat(), s);
        }
    }
}
