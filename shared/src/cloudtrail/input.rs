//! CloudTrail records from whatever an investigator has at hand.
//!
//! `trailguard scan PATH...` runs the detection rules over logs gathered
//! during an incident: log files synced from the trail's bucket, Lambda
//! events saved from a CloudWatch Logs subscription, `aws cloudtrail
//! lookup-events` output, `jq -c '.Records[]'` output, a record pasted into
//! a file. Asking which is which would be one more thing to get wrong at a
//! bad moment, so [`read_records`] tells the formats apart by content alone.
//!
//! Two kinds of failure are kept apart. An element that is not a CloudTrail
//! record (not JSON, not an object, no string `eventName`/`eventSource`) is
//! set aside in [`Batch::rejected`] with its position and reason, and the
//! rest of the input is still read: one odd line must not hide months of
//! logs. The whole input fails ([`InputError`]) only when its structure is
//! unusable: corrupt or oversized gzip, a truncated JSON document, or JSON
//! that is none of the known shapes. Nothing here panics on any input.

use std::fmt;

use serde_json::{Map, Value};

use super::cwlogs::{self, LogsError, LogsMessage};
use super::view::RecordView;
use crate::gzip::{self, GzipError};

/// The gzip magic number: how a compressed input is recognised (log files
/// in S3 are `.json.gz`, but a file's name is not evidence).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The UTF-8 byte order mark some editors and PowerShell put first; JSON
/// parsers refuse it, so it is skipped.
const BOM: [u8; 3] = [0xef, 0xbb, 0xbf];

/// Keys that mark an object as one of the whole-document containers rather
/// than a record; used to refuse treating such a document as JSON lines.
const CONTAINER_KEYS: [&str; 5] = ["Records", "awslogs", "messageType", "logEvents", "Events"];

/// Caps on what one input may cost, because inputs come from a compromised
/// environment and a gzip or base64 bomb must stop at a cap rather than
/// exhaust the investigator's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes a gzip input (or the gzip inside `awslogs.data`) may
    /// inflate to.
    pub max_inflated: u64,
    /// The most characters of base64 in a CloudWatch Logs event's
    /// `awslogs.data`.
    pub max_base64: usize,
}

impl Default for Limits {
    /// 512 MiB inflated: far above the largest log files CloudTrail writes
    /// (it rolls files every few minutes), yet bounded. 64 MiB of base64:
    /// a Lambda payload is at most 6 MB, so this only stops abuse.
    fn default() -> Self {
        Self {
            max_inflated: 512 << 20,
            max_base64: 64 << 20,
        }
    }
}

/// Which shape the input had, so a scan can say what it read (and a
/// surprising answer, e.g. `Control` for a file expected to hold events, is
/// visible rather than silently zero records).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `{"Records":[...]}`: a CloudTrail log file as delivered to S3.
    LogFile,
    /// `{"awslogs":{"data":"..."}}`: a Lambda event from a CloudWatch Logs
    /// subscription carrying a `DATA_MESSAGE`.
    CloudWatchLogsEvent,
    /// An already decoded subscription `DATA_MESSAGE`
    /// (`{"messageType":..,"logEvents":[{"message":"<record>"}]}`).
    SubscriptionMessage,
    /// `[...]`: a JSON array of records.
    RecordArray,
    /// `{"Events":[{"CloudTrailEvent":"<record>"}]}`: output of
    /// `aws cloudtrail lookup-events`.
    LookupEvents,
    /// One record object on its own.
    SingleRecord,
    /// One record per line (JSON lines / NDJSON).
    JsonLines,
    /// A CloudWatch Logs `CONTROL_MESSAGE` (health check, no records), as a
    /// Lambda event or decoded.
    Control,
}

impl Format {
    /// A name for people, as printed by the scan command.
    pub fn name(self) -> &'static str {
        match self {
            Self::LogFile => "CloudTrail log file",
            Self::CloudWatchLogsEvent => "CloudWatch Logs subscription event",
            Self::SubscriptionMessage => "CloudWatch Logs subscription message",
            Self::RecordArray => "array of records",
            Self::LookupEvents => "LookupEvents output",
            Self::SingleRecord => "single record",
            Self::JsonLines => "JSON lines",
            Self::Control => "CloudWatch Logs control message",
        }
    }
}

impl fmt::Display for Format {
    /// See [`Format::name`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a rejected element was, so the investigator can go and look at it
/// (`jq '.Records[N]'`, `sed -n Np`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Position {
    /// 0-based index in the input's array (`Records`, `logEvents`, `Events`
    /// or the top-level array), as `jq` counts; 0 for a single record.
    Index(usize),
    /// 1-based line number in a JSON lines input, as editors count.
    Line(usize),
}

impl fmt::Display for Position {
    /// `index N` or `line N`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Index(i) => write!(f, "index {i}"),
            Self::Line(l) => write!(f, "line {l}"),
        }
    }
}

/// An element of the input that is not a CloudTrail record, set aside with
/// why, instead of failing the whole input or being dropped unseen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Where it was.
    pub at: Position,
    /// Why it was set aside.
    pub reason: String,
}

impl fmt::Display for Rejected {
    /// `line 7: not JSON: ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.reason)
    }
}

/// What one input held: its records, ready for the rules, and what was set
/// aside.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// The shape recognised.
    pub format: Format,
    /// The records, in input order; each passes [`RecordView::is_event`].
    pub records: Vec<Value>,
    /// The elements that were not records, in input order.
    pub rejected: Vec<Rejected>,
}

/// Why an input could not be read at all (as opposed to single elements,
/// which are [`Rejected`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// Starts like gzip but is corrupt, truncated, followed by other bytes,
    /// or inflates past [`Limits::max_inflated`].
    #[error("gzip: {0}")]
    Gzip(#[from] GzipError),
    /// A CloudWatch Logs event whose `awslogs.data` cannot be decoded.
    #[error("{0}")]
    Logs(#[from] LogsError),
    /// Not valid JSON (e.g. truncated); position relative to the inflated
    /// text after any byte order mark.
    #[error("invalid JSON at line {line} column {column}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column (0 at the end of the input).
        column: usize,
        /// serde_json's description, without its position.
        message: String,
    },
    /// Valid JSON, or not JSON at all, but none of the shapes CloudTrail
    /// records come in.
    #[error("not CloudTrail records: {what}")]
    NotCloudTrail {
        /// What was found instead.
        what: String,
    },
    /// Nothing but whitespace (after inflation).
    #[error("empty input")]
    Empty,
}

/// Reads the CloudTrail records in one input, whatever its format (see the
/// module docs and [`Format`]); gzip is recognised by its magic number.
///
/// How the format is told apart without reading the document twice: the
/// first byte after whitespace (and a byte order mark) must be `[` (a record
/// array, parsed whole) or `{`. For `{` the document is parsed whole and
/// classified by its keys: `Records`, then `awslogs`, then `messageType` with
/// `logEvents`, then `Events`, then `eventName`/`eventSource` for a single
/// record. If the whole parse fails, the input is JSON lines when the first
/// non-blank line alone is a JSON object that is not one of those containers
/// and the error lies past that line (`{"a":1}\n{"b":2}` fails as one
/// document with "trailing characters" on line 2; a truncated or pretty
/// printed document does not have a complete object on its first line, and
/// a one-line log file followed by junk is refused rather than read as
/// lines). Otherwise the parse error is returned.
pub fn read_records(bytes: &[u8], limits: &Limits) -> Result<Batch, InputError> {
    let inflated;
    let mut text = bytes;
    if bytes.starts_with(&GZIP_MAGIC) {
        inflated = gzip::inflate(bytes, limits.max_inflated)?.0;
        text = &inflated;
    }
    let text = text.strip_prefix(&BOM).unwrap_or(text);
    let Some(start) = text.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Err(InputError::Empty);
    };
    match text[start] {
        b'[' => match parse_document(text)? {
            Value::Array(items) => Ok(from_values(Format::RecordArray, items)),
            // A document starting with `[` can only parse as an array.
            other => Err(not_cloudtrail(&other)),
        },
        b'{' => match serde_json::from_slice::<Value>(text) {
            Ok(Value::Object(map)) => from_object(map, limits),
            Ok(other) => Err(not_cloudtrail(&other)),
            Err(e) if looks_like_json_lines(text, start, &e) => Ok(from_lines(text)),
            Err(e) => Err(json_error(&e)),
        },
        other => Err(InputError::NotCloudTrail {
            what: format!(
                "input starts with {}, not '{{' or '['",
                describe_byte(other)
            ),
        }),
    }
}

/// The heuristic of [`read_records`]: the whole-document parse failed at
/// `err`; is this JSON lines?
fn looks_like_json_lines(text: &[u8], start: usize, err: &serde_json::Error) -> bool {
    let first_line_no = 1 + text[..start].iter().filter(|&&b| b == b'\n').count();
    if err.line() <= first_line_no {
        return false;
    }
    let rest = &text[start..];
    let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    match serde_json::from_slice::<Value>(&rest[..end]) {
        Ok(Value::Object(map)) => !CONTAINER_KEYS.iter().any(|k| map.contains_key(*k)),
        _ => false,
    }
}

/// Parses a whole document, mapping the error.
fn parse_document(text: &[u8]) -> Result<Value, InputError> {
    serde_json::from_slice(text).map_err(|e| json_error(&e))
}

/// Classifies a top-level object by its keys.
fn from_object(mut map: Map<String, Value>, limits: &Limits) -> Result<Batch, InputError> {
    if let Some(records) = map.remove("Records") {
        return match records {
            Value::Array(items) => Ok(from_values(Format::LogFile, items)),
            other => Err(InputError::NotCloudTrail {
                what: format!("Records is {}, not an array", json_type(&other)),
            }),
        };
    }
    if map.contains_key("awslogs") {
        let payload = Value::Object(map);
        return match cwlogs::decode(&payload, limits.max_base64, limits.max_inflated)? {
            LogsMessage::Control => Ok(empty(Format::Control)),
            LogsMessage::Data(msg) => {
                let mut b = Builder::new(Format::CloudWatchLogsEvent, msg.log_events.len());
                for (i, e) in msg.log_events.iter().enumerate() {
                    b.push_text(Position::Index(i), &e.message, &e.id);
                }
                Ok(b.finish())
            }
        };
    }
    if map.contains_key("messageType") && map.contains_key("logEvents") {
        return from_subscription_message(map);
    }
    if let Some(events) = map.remove("Events") {
        return match events {
            Value::Array(items) => Ok(from_lookup_events(items)),
            other => Err(InputError::NotCloudTrail {
                what: format!("Events is {}, not an array", json_type(&other)),
            }),
        };
    }
    if map.contains_key("eventName") || map.contains_key("eventSource") {
        return Ok(from_values(Format::SingleRecord, vec![Value::Object(map)]));
    }
    Err(InputError::NotCloudTrail {
        what: describe_object(&map),
    })
}

/// A subscription message already decoded from `awslogs.data` (as saved by
/// a Firehose destination or a debugging session). Read leniently: a log
/// event without a string `message` is rejected, not fatal.
fn from_subscription_message(mut map: Map<String, Value>) -> Result<Batch, InputError> {
    match map.get("messageType").and_then(Value::as_str) {
        Some("CONTROL_MESSAGE") => return Ok(empty(Format::Control)),
        Some("DATA_MESSAGE") => {}
        Some(other) => {
            return Err(InputError::NotCloudTrail {
                what: format!("unknown messageType {:?}", truncate(other)),
            })
        }
        None => {
            return Err(InputError::NotCloudTrail {
                what: "messageType is not a string".into(),
            })
        }
    }
    let Some(Value::Array(events)) = map.remove("logEvents") else {
        return Err(InputError::NotCloudTrail {
            what: "logEvents is not an array".into(),
        });
    };
    let mut b = Builder::new(Format::SubscriptionMessage, events.len());
    for (i, e) in events.iter().enumerate() {
        let id = e.get("id").and_then(Value::as_str).unwrap_or_default();
        match e.get("message").and_then(Value::as_str) {
            Some(text) => b.push_text(Position::Index(i), text, id),
            None => b.reject(Position::Index(i), "log event without a string message", id),
        }
    }
    Ok(b.finish())
}

/// `aws cloudtrail lookup-events` output: each event's `CloudTrailEvent` is
/// the full record as JSON text (the other fields are a lossy summary).
fn from_lookup_events(items: Vec<Value>) -> Batch {
    let mut b = Builder::new(Format::LookupEvents, items.len());
    for (i, e) in items.iter().enumerate() {
        let id = e.get("EventId").and_then(Value::as_str).unwrap_or_default();
        match e.get("CloudTrailEvent").and_then(Value::as_str) {
            Some(text) => b.push_text(Position::Index(i), text, id),
            None => b.reject(
                Position::Index(i),
                "event without a CloudTrailEvent string",
                id,
            ),
        }
    }
    b.finish()
}

/// Records one per line; blank lines are skipped, `\r\n` is accepted, and a
/// line that is not a record is rejected with its 1-based line number.
fn from_lines(text: &[u8]) -> Batch {
    let mut b = Builder::new(Format::JsonLines, 0);
    for (n, line) in text.split(|&c| c == b'\n').enumerate() {
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        let at = Position::Line(n + 1);
        match serde_json::from_slice::<Value>(line) {
            Ok(v) => b.push_value(at, v),
            Err(e) => b.reject(at, &format!("not JSON: {}", error_message(&e)), ""),
        }
    }
    b.finish()
}

/// A batch of values that should each be a record.
fn from_values(format: Format, items: Vec<Value>) -> Batch {
    let mut b = Builder::new(format, items.len());
    for (i, v) in items.into_iter().enumerate() {
        b.push_value(Position::Index(i), v);
    }
    b.finish()
}

fn empty(format: Format) -> Batch {
    Batch {
        format,
        records: Vec::new(),
        rejected: Vec::new(),
    }
}

/// Sorts elements into records and rejections.
struct Builder {
    batch: Batch,
}

impl Builder {
    fn new(format: Format, capacity: usize) -> Self {
        let mut batch = empty(format);
        batch.records.reserve(capacity);
        Self { batch }
    }

    fn push_value(&mut self, at: Position, v: Value) {
        if RecordView(&v).is_event() {
            self.batch.records.push(v);
        } else {
            let reason = why_not_a_record(&v);
            self.reject(at, &reason, "");
        }
    }

    /// A record held as JSON text (log event message, `CloudTrailEvent`);
    /// `id` names the element in its source when it has one.
    fn push_text(&mut self, at: Position, text: &str, id: &str) {
        match serde_json::from_str::<Value>(text) {
            Ok(v) if RecordView(&v).is_event() => self.batch.records.push(v),
            Ok(v) => self.reject(at, &why_not_a_record(&v), id),
            Err(e) => self.reject(at, &format!("not JSON: {}", error_message(&e)), id),
        }
    }

    fn reject(&mut self, at: Position, reason: &str, id: &str) {
        let reason = if id.is_empty() {
            reason.to_string()
        } else {
            format!("{reason} (id {})", truncate(id))
        };
        self.batch.rejected.push(Rejected { at, reason });
    }

    fn finish(self) -> Batch {
        self.batch
    }
}

/// Explains why `v` fails [`RecordView::is_event`].
fn why_not_a_record(v: &Value) -> String {
    let Value::Object(map) = v else {
        return format!("not a CloudTrail record: {}", json_type(v));
    };
    for field in ["eventName", "eventSource"] {
        match map.get(field) {
            None => return format!("not a CloudTrail record: no {field}"),
            Some(Value::String(_)) => {}
            Some(other) => {
                return format!(
                    "not a CloudTrail record: {field} is {}, not a string",
                    json_type(other)
                )
            }
        }
    }
    "not a CloudTrail record".into()
}

/// "a JSON object with keys a, b, c" (at most 5 keys, each shortened).
fn describe_object(map: &Map<String, Value>) -> String {
    if map.is_empty() {
        return "an empty JSON object".into();
    }
    let mut keys: Vec<String> = map.keys().take(5).map(|k| truncate(k)).collect();
    if map.len() > 5 {
        keys.push(format!("... ({} keys)", map.len()));
    }
    format!(
        "a JSON object with keys {} (no Records, awslogs, logEvents, Events, eventName or eventSource)",
        keys.join(", ")
    )
}

fn not_cloudtrail(v: &Value) -> InputError {
    InputError::NotCloudTrail {
        what: json_type(v).to_string(),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn describe_byte(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("{:?}", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

/// At most 64 characters of outside text in a message.
fn truncate(s: &str) -> String {
    const MAX: usize = 64;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

fn json_error(e: &serde_json::Error) -> InputError {
    InputError::Json {
        line: e.line(),
        column: e.column(),
        message: error_message(e),
    }
}

/// serde_json's message without its " at line L column C" suffix (the
/// position is reported separately, or is meaningless within one line).
fn error_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match full.strip_suffix(&suffix) {
        Some(m) => m.to_string(),
        None => full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudtrail::cwlogs::encode;
    use crate::gzip::gzip;
    use serde_json::json;

    fn rec(name: &str) -> Value {
        json!({"eventVersion":"1.09","eventTime":"2026-01-01T00:00:00Z",
            "eventSource":"cloudtrail.amazonaws.com","eventName":name,"awsRegion":"us-east-1",
            "eventID":format!("id-{name}"),"recipientAccountId":"111122223333"})
    }

    fn read(bytes: &[u8]) -> Result<Batch, InputError> {
        read_records(bytes, &Limits::default())
    }

    /// Reads plain and gzipped, checks both agree, returns the plain result.
    fn read_both(bytes: &[u8]) -> Batch {
        let plain = read(bytes).unwrap();
        assert_eq!(read(&gzip(bytes)).unwrap(), plain);
        plain
    }

    fn names(b: &Batch) -> Vec<&str> {
        b.records
            .iter()
            .map(|r| RecordView(r).event_name().unwrap_or("?"))
            .collect()
    }

    fn data_message(messages: &[Value]) -> Value {
        json!({"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"trail",
            "logStream":"111122223333_CloudTrail_us-east-1","subscriptionFilters":["all"],
            "logEvents": messages.iter().enumerate()
                .map(|(i, m)| json!({"id": format!("ev{i}"), "timestamp": 1, "message": m}))
                .collect::<Vec<_>>()})
    }

    #[test]
    fn log_file_with_good_and_bad_records() {
        let doc = json!({"Records":[rec("StopLogging"), {"eventName":5,"eventSource":"s3.amazonaws.com"},
            {"eventName":"X"}, 42, rec("DeleteTrail")]});
        let b = read_both(doc.to_string().as_bytes());
        assert_eq!(b.format, Format::LogFile);
        assert_eq!(names(&b), ["StopLogging", "DeleteTrail"]);
        let reasons: Vec<String> = b.rejected.iter().map(ToString::to_string).collect();
        assert_eq!(
            reasons,
            [
                "index 1: not a CloudTrail record: eventName is a number, not a string",
                "index 2: not a CloudTrail record: no eventSource",
                "index 3: not a CloudTrail record: a number",
            ]
        );
        // Pretty-printed, as `aws s3 cp - | jq .` leaves it.
        let pretty = serde_json::to_vec_pretty(&doc).unwrap();
        assert_eq!(read_both(&pretty), b);
        let empty_file = read_both(br#"{"Records":[]}"#);
        assert_eq!(
            (empty_file.format, empty_file.records.len()),
            (Format::LogFile, 0)
        );
    }

    #[test]
    fn cloudwatch_logs_event() {
        let msgs = [
            Value::String(rec("ConsoleLogin").to_string()),
            Value::String("not json".into()),
            Value::String(r#"{"hello":1}"#.into()),
            Value::String(rec("PutBucketPolicy").to_string()),
        ];
        let event = encode(&data_message(&msgs));
        let b = read_both(event.to_string().as_bytes());
        assert_eq!(b.format, Format::CloudWatchLogsEvent);
        assert_eq!(names(&b), ["ConsoleLogin", "PutBucketPolicy"]);
        assert_eq!(b.rejected.len(), 2);
        assert_eq!(b.rejected[0].at, Position::Index(1));
        assert!(
            b.rejected[0].reason.starts_with("not JSON: "),
            "{:?}",
            b.rejected
        );
        assert!(b.rejected[0].reason.ends_with("(id ev1)"));
        assert_eq!(
            b.rejected[1].reason,
            "not a CloudTrail record: no eventName (id ev2)"
        );
    }

    #[test]
    fn control_messages_are_zero_records() {
        let control = json!({"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logEvents":[
            {"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE: Checking health of destination"}]});
        for input in [encode(&control), control] {
            let b = read_both(input.to_string().as_bytes());
            assert_eq!(b, empty(Format::Control));
            assert_eq!(b.format.to_string(), "CloudWatch Logs control message");
        }
    }

    #[test]
    fn decoded_subscription_message() {
        let mut msg = data_message(&[
            Value::String(rec("CreateUser").to_string()),
            Value::String("[1,2]".into()),
        ]);
        msg["logEvents"]
            .as_array_mut()
            .unwrap()
            .push(json!({"id":"ev2","timestamp":3}));
        let b = read_both(msg.to_string().as_bytes());
        assert_eq!(b.format, Format::SubscriptionMessage);
        assert_eq!(names(&b), ["CreateUser"]);
        assert_eq!(
            b.rejected,
            [
                Rejected {
                    at: Position::Index(1),
                    reason: "not a CloudTrail record: an array (id ev1)".into()
                },
                Rejected {
                    at: Position::Index(2),
                    reason: "log event without a string message (id ev2)".into()
                },
            ]
        );
        let odd = json!({"messageType":"SURPRISE","logEvents":[]});
        assert!(matches!(
            read(odd.to_string().as_bytes()),
            Err(InputError::NotCloudTrail { .. })
        ));
        let not_array = json!({"messageType":"DATA_MESSAGE","logEvents":{}});
        assert!(matches!(
            read(not_array.to_string().as_bytes()),
            Err(InputError::NotCloudTrail { .. })
        ));
    }

    #[test]
    fn record_array() {
        let doc = json!([
            rec("AttachUserPolicy"),
            "StopLogging",
            {},
            rec("DeleteFlowLogs")
        ]);
        let b = read_both(doc.to_string().as_bytes());
        assert_eq!(b.format, Format::RecordArray);
        assert_eq!(names(&b), ["AttachUserPolicy", "DeleteFlowLogs"]);
        assert_eq!(
            b.rejected.iter().map(|r| r.at).collect::<Vec<_>>(),
            [Position::Index(1), Position::Index(2)]
        );
        assert_eq!(b.rejected[0].reason, "not a CloudTrail record: a string");
        assert_eq!(read_both(b" [ ] ").records.len(), 0);
    }

    #[test]
    fn single_record() {
        let b = read_both(
            serde_json::to_vec_pretty(&rec("StopLogging"))
                .unwrap()
                .as_slice(),
        );
        assert_eq!(b.format, Format::SingleRecord);
        assert_eq!(names(&b), ["StopLogging"]);
        assert!(b.rejected.is_empty());
        // Looks like a record but is not one: rejected, not an error.
        let b = read_both(br#"{"eventName":["StopLogging"],"eventSource":"x"}"#);
        assert_eq!(b.format, Format::SingleRecord);
        assert!(b.records.is_empty());
        assert_eq!(
            b.rejected[0].to_string(),
            "index 0: not a CloudTrail record: eventName is an array, not a string"
        );
    }

    #[test]
    fn lookup_events_output() {
        let out = json!({"Events":[
            {"EventId":"e1","EventName":"StopLogging","CloudTrailEvent": rec("StopLogging").to_string()},
            {"EventId":"e2","EventName":"Broken","CloudTrailEvent":"{\"eventName\":"},
            {"EventId":"e3","EventName":"Missing"},
            {"EventId":"e4","CloudTrailEvent": rec("DeleteTrail").to_string()}],
            "NextToken":"abc"});
        let b = read_both(serde_json::to_vec_pretty(&out).unwrap().as_slice());
        assert_eq!(b.format, Format::LookupEvents);
        assert_eq!(names(&b), ["StopLogging", "DeleteTrail"]);
        assert_eq!(b.rejected.len(), 2);
        assert_eq!(b.rejected[0].at, Position::Index(1));
        assert!(
            b.rejected[0].reason.starts_with("not JSON: EOF")
                && b.rejected[0].reason.ends_with("(id e2)"),
            "{:?}",
            b.rejected[0]
        );
        assert_eq!(
            b.rejected[1].reason,
            "event without a CloudTrailEvent string (id e3)"
        );
    }

    #[test]
    fn json_lines_with_crlf_blank_and_bad_lines() {
        let text = format!(
            "\r\n{}\r\n\r\n   \n{}\n{{\"eventName\": \n[1]\n{}\r\n\n",
            rec("A"),
            rec("B"),
            rec("C")
        );
        let b = read_both(text.as_bytes());
        assert_eq!(b.format, Format::JsonLines);
        assert_eq!(names(&b), ["A", "B", "C"]);
        assert_eq!(b.rejected.len(), 2);
        assert_eq!(b.rejected[0].at, Position::Line(6));
        assert_eq!(b.rejected[0].reason, "not JSON: EOF while parsing a value");
        assert_eq!(
            b.rejected[1].to_string(),
            "line 7: not a CloudTrail record: an array"
        );
        // A first line that is an object but not a record: still lines.
        let text = format!("{{\"note\":\"export\"}}\n{}\n", rec("D"));
        let b = read_both(text.as_bytes());
        assert_eq!((b.format, names(&b)), (Format::JsonLines, vec!["D"]));
        assert_eq!(
            b.rejected[0].reason,
            "not a CloudTrail record: no eventName"
        );
    }

    #[test]
    fn json_lines_heuristic_refuses_documents() {
        // A one-line log file followed by more: not lines, an error.
        let text = format!("{}\n{}\n", json!({"Records":[rec("A")]}), rec("B"));
        assert!(matches!(
            read(text.as_bytes()),
            Err(InputError::Json { line: 2, .. })
        ));
        // Two objects on the first line.
        let text = format!("{} {}\n{}", rec("A"), rec("B"), rec("C"));
        assert!(matches!(
            read(text.as_bytes()),
            Err(InputError::Json { line: 1, .. })
        ));
        // JSON lines of arrays are not supported.
        assert!(matches!(
            read(b"[{}]\n[{}]"),
            Err(InputError::Json { line: 2, .. })
        ));
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let mut bytes = BOM.to_vec();
        bytes.extend_from_slice(json!({"Records":[rec("A")]}).to_string().as_bytes());
        assert_eq!(names(&read_both(&bytes)), ["A"]);
        let mut lines = BOM.to_vec();
        lines.extend_from_slice(format!("{}\r\n{}\r\n", rec("A"), rec("B")).as_bytes());
        let b = read_both(&lines);
        assert_eq!((b.format, names(&b)), (Format::JsonLines, vec!["A", "B"]));
        assert_eq!(read(&BOM), Err(InputError::Empty));
    }

    #[test]
    fn empty_and_whitespace_only() {
        for input in [&b""[..], b"   ", b"\r\n\t\n"] {
            assert_eq!(read(input), Err(InputError::Empty));
            assert_eq!(read(&gzip(input)), Err(InputError::Empty));
        }
    }

    #[test]
    fn json_that_is_not_cloudtrail() {
        let err = read(br#"{"foo":1}"#).unwrap_err();
        assert!(
            matches!(&err, InputError::NotCloudTrail { what } if what.contains("keys foo")),
            "{err}"
        );
        assert!(matches!(read(b"{}"), Err(InputError::NotCloudTrail { .. })));
        assert!(matches!(
            read(br#"{"Records":{"a":1}}"#),
            Err(InputError::NotCloudTrail { what }) if what == "Records is an object, not an array"
        ));
        assert!(matches!(
            read(br#"{"Events":"x"}"#),
            Err(InputError::NotCloudTrail { .. })
        ));
        for input in [
            &b"\"StopLogging\""[..],
            b"42",
            b"null",
            b"hello",
            b"PK\x03\x04",
        ] {
            assert!(
                matches!(read(input), Err(InputError::NotCloudTrail { .. })),
                "{input:?}"
            );
        }
        assert_eq!(
            read(b"\x00\x01").unwrap_err().to_string(),
            "not CloudTrail records: input starts with byte 0x00, not '{' or '['"
        );
    }

    #[test]
    fn truncated_gzip_and_trailing_bytes() {
        let gz = gzip(
            json!({"Records":[rec("A"), rec("B")]})
                .to_string()
                .as_bytes(),
        );
        assert!(matches!(
            read(&gz[..gz.len() / 2]),
            Err(InputError::Gzip(GzipError::Corrupt(_)))
        ));
        assert!(matches!(read(&gz[..2]), Err(InputError::Gzip(_))));
        let mut junk = gz.clone();
        junk.extend_from_slice(b"{}");
        assert_eq!(
            read(&junk),
            Err(InputError::Gzip(GzipError::TrailingData { extra: 2 }))
        );
    }

    #[test]
    fn truncated_json_is_an_error() {
        let doc = serde_json::to_string_pretty(&json!({"Records":[rec("A"), rec("B")]})).unwrap();
        let cut = &doc.as_bytes()[..doc.len() - 20];
        let err = read(cut).unwrap_err();
        assert!(
            matches!(&err, InputError::Json { line, message, .. } if *line > 1 && message.starts_with("EOF")),
            "{err}"
        );
        assert_eq!(read(&gzip(cut)), Err(err));
        let compact = json!({"Records":[rec("A")]}).to_string();
        assert!(matches!(
            read(&compact.as_bytes()[..compact.len() - 3]),
            Err(InputError::Json { line: 1, .. })
        ));
        assert!(matches!(read(b"[{\"a\":"), Err(InputError::Json { .. })));
        // Deep nesting stops at serde_json's recursion limit, no overflow.
        assert!(matches!(
            read(&vec![b'['; 100_000]),
            Err(InputError::Json { .. })
        ));
        let deep = format!("{{\"a\":{}", "[".repeat(100_000));
        assert!(matches!(
            read(deep.as_bytes()),
            Err(InputError::Json { .. })
        ));
    }

    #[test]
    fn bombs_stop_at_the_limits() {
        let limits = Limits {
            max_inflated: 1 << 20,
            max_base64: 1 << 20,
        };
        let bomb = gzip(&vec![b' '; 4 << 20]);
        assert_eq!(
            read_records(&bomb, &limits),
            Err(InputError::Gzip(GzipError::TooLarge { limit: 1 << 20 }))
        );
        // Inside a CloudWatch Logs event too.
        let big = data_message(&[Value::String("x".repeat(2 << 20))]);
        let event = encode(&big).to_string();
        assert!(matches!(
            read_records(event.as_bytes(), &limits),
            Err(InputError::Logs(LogsError::Gzip(
                GzipError::TooLarge { .. }
            )))
        ));
        let tight = Limits {
            max_base64: 10,
            ..limits
        };
        assert!(matches!(
            read_records(event.as_bytes(), &tight),
            Err(InputError::Logs(LogsError::TooLong { .. }))
        ));
        assert!(matches!(
            read(br#"{"awslogs":{"data":"!!"}}"#),
            Err(InputError::Logs(LogsError::Base64(_)))
        ));
    }

    #[test]
    fn unicode_survives_and_bad_utf8_is_one_line() {
        let mut r = rec("ConsoleLogin");
        r["userIdentity"] = json!({"userName":"zoë-管理者-🔑"});
        let b = read_both(json!({"Records":[r.clone()]}).to_string().as_bytes());
        assert_eq!(b.records, [r.clone()]);
        let mut lines = format!("{r}\n").into_bytes();
        lines.extend_from_slice(b"{\"eventName\":\"\xff\xfe\",\"eventSource\":\"x\"}\n");
        lines.extend_from_slice(format!("{r}\n").as_bytes());
        let b = read_both(&lines);
        assert_eq!((b.format, b.records.len()), (Format::JsonLines, 2));
        assert_eq!(b.rejected[0].at, Position::Line(2));
        assert!(
            b.rejected[0].reason.contains("invalid unicode"),
            "{:?}",
            b.rejected
        );
        // Long multibyte keys are shortened on a character boundary.
        let key = "é".repeat(100);
        let err = read(json!({ key: 1 }).to_string().as_bytes()).unwrap_err();
        assert!(err.to_string().contains(&format!("{}...", "é".repeat(64))));
    }

    #[test]
    fn names_for_people() {
        assert_eq!(Format::LogFile.to_string(), "CloudTrail log file");
        assert_eq!(Format::JsonLines.to_string(), "JSON lines");
        assert_eq!(Position::Index(3).to_string(), "index 3");
        assert_eq!(Position::Line(7).to_string(), "line 7");
        assert_eq!(Limits::default().max_inflated, 512 << 20);
        assert_eq!(
            InputError::Json {
                line: 2,
                column: 1,
                message: "trailing characters".into()
            }
            .to_string(),
            "invalid JSON at line 2 column 1: trailing characters"
        );
    }

    #[test]
    fn no_panic_on_any_prefix_or_flipped_byte() {
        let inputs = [
            json!({"Records":[rec("A"), {"eventName":1}]})
                .to_string()
                .into_bytes(),
            format!("{}\r\n{}\n", rec("A"), rec("B")).into_bytes(),
            encode(&data_message(&[Value::String(rec("A").to_string())]))
                .to_string()
                .into_bytes(),
            json!({"Events":[{"CloudTrailEvent": rec("A").to_string()}]})
                .to_string()
                .into_bytes(),
        ];
        let limits = Limits {
            max_inflated: 1 << 16,
            max_base64: 1 << 16,
        };
        for input in &inputs {
            let gz = gzip(input);
            for bytes in [input, &gz] {
                for n in 0..=bytes.len() {
                    let _ = read_records(&bytes[..n], &limits);
                }
                for i in 0..bytes.len() {
                    let mut flipped = bytes.clone();
                    flipped[i] ^= 0x55;
                    let _ = read_records(&flipped, &limits);
                }
            }
        }
    }
}
