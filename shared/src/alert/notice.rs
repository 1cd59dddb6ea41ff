//! A message about trailguard itself (a rule file that did not load, a
//! tuning entry naming no rule): every delivery shows the text as is.

use serde_json::json;

use super::render::severity_tag;
use crate::detect::Level;
use crate::gzip::Sha256;
use crate::message::Message;

/// A message about trailguard itself (a rule file that did not load, a
/// tuning entry naming no rule): every renderer shows the text as is.
pub fn notice(subject: &str, text: &str, severity: Level) -> Message {
    let text = &super::detection::capped(text, 40_000);
    let id = Sha256::of(format!("{subject}\n{text}").as_bytes()).hex()[..32].to_string();
    let default = json!({"source": "trailguard", "kind": "notice", "id": id,
        "severity": severity, "subject": subject, "text": text});
    let https = json!({
        "version": "1.0",
        "source": "custom",
        "id": id,
        "content": {
            "textType": "client-markdown",
            "title": format!(":warning: [{}] {subject}", severity_tag(severity)),
            "description": text,
        },
        "metadata": { "threadId": "trailguard-notices" },
    });
    Message::new(
        &format!("[{}] {subject}", severity_tag(severity)),
        &format!("{text}\n\n-- trailguard\n"),
        &default,
        &https,
        severity,
        id,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_says_its_text_in_every_delivery() {
        let m = notice("rules need attention", "- r1: bad\n- r2: bad", Level::High);
        assert_eq!(m.subject, "[HIGH] rules need attention");
        let (d, e, h) = m.deliveries().unwrap();
        assert_eq!(d["kind"], "notice");
        assert!(d["text"].as_str().unwrap().contains("r2: bad"));
        assert!(e.starts_with("- r1: bad\n- r2: bad"));
        assert_eq!(h["content"]["description"], "- r1: bad\n- r2: bad");
        // The same notice twice is the same message (a retry, not a new one).
        assert_eq!(
            m,
            notice("rules need attention", "- r1: bad\n- r2: bad", Level::High)
        );
    }
}
