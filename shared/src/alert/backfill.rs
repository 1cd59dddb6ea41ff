//! A backfill's summary as one message for people.
//!
//! Published to the alert topic when the backfill's state machine ends,
//! whatever it found: proven ranges are evidence worth keeping, and a
//! silent end would look like a run that never happened. Severity follows
//! the outcome: an invalid file is critical (as the validator's own
//! findings), unexplained gaps or unchecked chunks are high (nothing is
//! proven for them), a proven range is informational.

use serde_json::json;

use super::render::severity_tag;
use crate::detect::Level;
use crate::gzip::Sha256;
use crate::message::Message;
use crate::validate::backfill::{Outcome, Summary};
use crate::validate::display_time;

/// Chains listed in the email's table; the rest are in the execution's
/// output and the ResultWriter's files.
const TABLE_ROWS: usize = 200;

/// The summary message of a backfill.
pub fn backfill_message(s: &Summary) -> Message {
    let outcome = s.outcome();
    let severity = match outcome {
        Outcome::Proven => Level::Informational,
        Outcome::Findings if s.invalid > 0 => Level::Critical,
        Outcome::Findings | Outcome::Incomplete => Level::High,
    };
    let range = match (s.start, s.end) {
        (Some(a), Some(b)) => format!("{} to {}", display_time(a), display_time(b)),
        _ => "(range unknown)".into(),
    };
    let headline = match outcome {
        Outcome::Proven => format!(
            "backfill proven: {} digests, {} log files valid",
            s.digests, s.logs
        ),
        Outcome::Findings => format!(
            "backfill found {} invalid file{} and {} coverage gap{}",
            s.invalid,
            plural(s.invalid),
            s.gap_findings,
            plural(s.gap_findings)
        ),
        Outcome::Incomplete => format!(
            "backfill incomplete: {} of {} chunks not checked",
            s.planned.saturating_sub(s.checked),
            s.planned
        ),
    };
    let subject = format!("[{}] trailguard {headline}", severity_tag(severity));
    let mut text = format!(
        "trailguard validated the trail {} (s3://{}) from {range}, one chunk per chain and day, on Step Functions.\n\n\
         Outcome: {}\n\
         Chunks: {} planned, {} checked, {} not checked\n\
         Digests: {}   Log files: {}   Invalid: {}   Coverage gaps (findings): {}\n",
        s.trail_arn,
        s.bucket,
        match outcome {
            Outcome::Proven => "PROVEN: every file valid, every hour covered or explained",
            Outcome::Findings => "FINDINGS: see below",
            Outcome::Incomplete => "INCOMPLETE: nothing is proven for the chunks not checked",
        },
        s.planned,
        s.checked,
        s.planned.saturating_sub(s.checked),
        s.digests,
        s.logs,
        s.invalid,
        s.gap_findings,
    );
    if let Some(e) = &s.run_error {
        text.push_str(&format!("\nThe run itself failed: {e}\n"));
    }
    if !s.findings.is_empty() {
        text.push_str(&format!(
            "\nInvalid files ({} listed of {}):\n",
            s.findings.len(),
            s.invalid
        ));
        for (chunk, f) in &s.findings {
            text.push_str(&format!(
                "  {chunk}  {} s3://{}/{}  INVALID: {}\n",
                f.kind, s.bucket, f.key, f.reason
            ));
        }
    }
    if !s.gaps.is_empty() {
        text.push_str(&format!(
            "\nCoverage gaps ({} listed of {}):\n",
            s.gaps.len(),
            s.gap_findings
        ));
        for (chain, g) in &s.gaps {
            text.push_str(&format!(
                "  {chain}  {} to {}  {}\n",
                display_time(g.from),
                display_time(g.to),
                g.reason
            ));
        }
    }
    if !s.failures.is_empty() {
        text.push_str(&format!(
            "\nChunks not checked ({} listed of {}):\n",
            s.failures.len(),
            s.unchecked
        ));
        for (chunk, why) in &s.failures {
            text.push_str(&format!("  {chunk}  {why}\n"));
        }
        text.push_str(
            "Redrive the execution (Step Functions re-runs only the failed chunks) or run \
             `trailguard validate` on those days.\n",
        );
    }
    if !s.chains.is_empty() {
        text.push_str(&format!(
            "\n{:<32} {:>5} {:>8} {:>9} {:>8} {:>5} {:>10}\n",
            "CHAIN", "DAYS", "DIGESTS", "LOGS", "INVALID", "GAPS", "COVERED"
        ));
        for (chain, c) in s.chains.iter().take(TABLE_ROWS) {
            let covered = if c.hours_due > 0.0 {
                format!(
                    "{:.1}%",
                    100.0 * c.hours_covered.min(c.hours_due) / c.hours_due
                )
            } else {
                "-".into()
            };
            text.push_str(&format!(
                "{chain:<32} {:>5} {:>8} {:>9} {:>8} {:>5} {covered:>10}\n",
                c.days, c.digests, c.logs, c.invalid, c.gap_findings
            ));
        }
        if s.chains.len() > TABLE_ROWS {
            text.push_str(&format!(
                "... and {} more chains\n",
                s.chains.len() - TABLE_ROWS
            ));
        }
    }
    if let Some(r) = &s.results {
        text.push_str(&format!("\nEvery chunk's result: {r}\n"));
    }
    text.push_str(&format!(
        "\nCost drivers: {} S3 GETs, {} S3 LISTs, {} ListPublicKeys; {:.1} s of chunk time in all, the longest chunk {:.1} s.\n",
        s.requests.get,
        s.requests.list,
        s.requests.public_keys,
        s.chunk_ms as f64 / 1000.0,
        s.max_chunk_ms as f64 / 1000.0
    ));
    let mut default = s.to_json();
    if let serde_json::Value::Object(m) = &mut default {
        m.insert("source".into(), "trailguard".into());
        m.insert("kind".into(), "backfill".into());
        m.insert(
            "severity".into(),
            serde_json::to_value(severity).unwrap_or_default(),
        );
    }
    let id =
        Sha256::of(format!("{}\n{range}\n{text}", s.trail_arn).as_bytes()).hex()[..32].to_string();
    let description = format!(
        "*{headline}*\n`{}` from {range}\n{} chunks checked of {}, {} invalid, {} gaps",
        s.trail_arn, s.checked, s.planned, s.invalid, s.gap_findings
    );
    let chat = json!({
        "version": "1.0",
        "source": "custom",
        "id": id,
        "content": {
            "textType": "client-markdown",
            "title": format!("{} {subject}", match outcome {
                Outcome::Proven => ":white_check_mark:",
                Outcome::Findings => ":rotating_light:",
                Outcome::Incomplete => ":warning:",
            }),
            "description": description,
            "keywords": ["backfill", format!("{outcome:?}").to_lowercase()],
        },
        "metadata": {"threadId": format!("trailguard-backfill-{}", &Sha256::of(s.trail_arn.as_bytes()).hex()[..16])},
    });
    Message::new(&subject, &text, &default, &chat, severity, id)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
