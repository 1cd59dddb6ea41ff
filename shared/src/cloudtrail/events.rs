//! The payloads that tell the integrity validator an object arrived.
//!
//! S3 can announce a new object three ways: an event notification straight
//! to Lambda, an EventBridge "Object Created" event, or a notification queued
//! in SQS (possibly through SNS). All are decoded here into one list of
//! [`ObjectEvent`]s, so that the validator has one code path whatever the
//! wiring. S3 notification keys are URL-encoded (`+` for a space); EventBridge
//! keys are not.

use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde_json::Value;

/// What happened to an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectChange {
    /// It was written (put, copied, multipart upload, restored copy).
    Created,
    /// It was deleted, or hidden by a delete marker in a versioned bucket.
    Removed {
        /// A delete marker was created (the data is still in an older version).
        delete_marker: bool,
    },
    /// A lifecycle rule expired it; expected, logged but not alarming.
    LifecycleExpired,
    /// Any other S3 event (replication, restore, tagging...): ignored.
    Other(String),
}

/// One object an event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEvent {
    /// The bucket.
    pub bucket: String,
    /// The key, decoded.
    pub key: String,
    /// What happened.
    pub change: ObjectChange,
    /// The version written or removed, in a versioned bucket.
    pub version_id: Option<String>,
    /// When S3 says it happened.
    pub event_time: Option<String>,
}

/// One SQS message of a batch: its ID (for partial batch failures) and the
/// object events its body holds, or why the body could not be read.
#[derive(Debug)]
pub struct QueuedMessage {
    /// The SQS message ID, reported back when the message must be retried.
    pub message_id: String,
    /// The decoded body.
    pub events: Result<Vec<ObjectEvent>, EventError>,
}

/// A Lambda invocation of the integrity validator, by how it was wired.
#[derive(Debug)]
pub enum Invocation {
    /// S3 notification or EventBridge event: a failure fails the invocation.
    Direct(Vec<ObjectEvent>),
    /// An SQS batch: each message succeeds or fails on its own.
    Queue(Vec<QueuedMessage>),
    /// S3's `s3:TestEvent`, sent when a notification is configured.
    TestEvent,
}

/// Why a payload could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// Not JSON, or JSON of the wrong shape.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// Which payload kind was being read.
        what: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// None of the known shapes.
    #[error("unrecognised event payload (not S3, EventBridge or SQS): {0}")]
    Unrecognised(String),
    /// A key whose percent-encoding does not decode to UTF-8.
    #[error("object key {key:?} is not valid URL-encoded UTF-8")]
    BadKey {
        /// The key as received.
        key: String,
    },
}

#[derive(Deserialize)]
struct S3Notification {
    #[serde(rename = "Records", default)]
    records: Vec<S3Record>,
}

#[derive(Deserialize)]
struct S3Record {
    #[serde(rename = "eventName")]
    event_name: String,
    #[serde(rename = "eventTime", default)]
    event_time: Option<String>,
    s3: S3Entity,
}

#[derive(Deserialize)]
struct S3Entity {
    bucket: NameOnly,
    object: S3Object,
}

#[derive(Deserialize)]
struct NameOnly {
    name: String,
}

#[derive(Deserialize)]
struct S3Object {
    key: String,
    #[serde(rename = "versionId", default)]
    version_id: Option<String>,
}

#[derive(Deserialize)]
struct EventBridgeEvent {
    #[serde(rename = "detail-type")]
    detail_type: String,
    #[serde(default)]
    time: Option<String>,
    detail: EventBridgeDetail,
}

#[derive(Deserialize)]
struct EventBridgeDetail {
    bucket: NameOnly,
    object: EventBridgeObject,
    #[serde(rename = "deletion-type", default)]
    deletion_type: Option<String>,
}

#[derive(Deserialize)]
struct EventBridgeObject {
    key: String,
    #[serde(rename = "version-id", default)]
    version_id: Option<String>,
}

#[derive(Deserialize)]
struct SqsMessage {
    #[serde(rename = "messageId")]
    message_id: String,
    body: String,
}

/// Decodes a Lambda payload into the object events it announces.
pub fn decode_invocation(payload: &Value) -> Result<Invocation, EventError> {
    if payload.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Invocation::TestEvent);
    }
    if payload.get("detail-type").is_some() {
        return decode_eventbridge(payload).map(Invocation::Direct);
    }
    let Some(records) = payload.get("Records").and_then(Value::as_array) else {
        return Err(EventError::Unrecognised(describe(payload)));
    };
    let from_sqs = records
        .first()
        .and_then(|r| r.get("eventSource"))
        .and_then(Value::as_str)
        == Some("aws:sqs");
    if from_sqs {
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            let m: SqsMessage =
                SqsMessage::deserialize(r).map_err(|e| malformed("SQS record", e))?;
            out.push(QueuedMessage {
                events: decode_body(&m.body),
                message_id: m.message_id,
            });
        }
        return Ok(Invocation::Queue(out));
    }
    decode_s3_notification(payload).map(Invocation::Direct)
}

/// Decodes one queued body: an S3 notification, an EventBridge event, an SNS
/// envelope around either, or S3's test event (no objects).
pub fn decode_body(body: &str) -> Result<Vec<ObjectEvent>, EventError> {
    let v: Value = serde_json::from_str(body).map_err(|e| malformed("SQS message body", e))?;
    if v.get("Type").and_then(Value::as_str) == Some("Notification") {
        let inner =
            v.get("Message")
                .and_then(Value::as_str)
                .ok_or_else(|| EventError::Malformed {
                    what: "SNS envelope",
                    detail: "no Message string".into(),
                })?;
        return decode_body(inner);
    }
    match decode_invocation(&v)? {
        Invocation::Direct(events) => Ok(events),
        Invocation::TestEvent => Ok(Vec::new()),
        Invocation::Queue(_) => Err(EventError::Unrecognised(
            "an SQS batch inside an SQS message".into(),
        )),
    }
}

fn decode_s3_notification(payload: &Value) -> Result<Vec<ObjectEvent>, EventError> {
    let n: S3Notification =
        Deserialize::deserialize(payload).map_err(|e| malformed("S3 event notification", e))?;
    n.records
        .into_iter()
        .map(|r| {
            Ok(ObjectEvent {
                key: decode_s3_key(&r.s3.object.key)?,
                bucket: r.s3.bucket.name,
                change: change_from_s3_name(&r.event_name),
                version_id: r.s3.object.version_id,
                event_time: r.event_time,
            })
        })
        .collect()
}

fn decode_eventbridge(payload: &Value) -> Result<Vec<ObjectEvent>, EventError> {
    let e: EventBridgeEvent =
        Deserialize::deserialize(payload).map_err(|e| malformed("EventBridge S3 event", e))?;
    let change = match e.detail_type.as_str() {
        "Object Created" => ObjectChange::Created,
        "Object Deleted" => match e.detail.deletion_type.as_deref() {
            Some("Delete Marker Created") => ObjectChange::Removed {
                delete_marker: true,
            },
            _ => ObjectChange::Removed {
                delete_marker: false,
            },
        },
        other => ObjectChange::Other(other.to_string()),
    };
    Ok(vec![ObjectEvent {
        bucket: e.detail.bucket.name,
        key: e.detail.object.key,
        change,
        version_id: e.detail.object.version_id,
        event_time: e.time,
    }])
}

fn change_from_s3_name(name: &str) -> ObjectChange {
    if name.starts_with("ObjectCreated:") {
        ObjectChange::Created
    } else if name == "ObjectRemoved:DeleteMarkerCreated" {
        ObjectChange::Removed {
            delete_marker: true,
        }
    } else if name.starts_with("ObjectRemoved:") {
        ObjectChange::Removed {
            delete_marker: false,
        }
    } else if name.starts_with("LifecycleExpiration:") {
        ObjectChange::LifecycleExpired
    } else {
        ObjectChange::Other(name.to_string())
    }
}

/// Decodes a key from an S3 event notification: form encoding, where `+` is
/// a space and `%2B` a plus. S3 encodes a `%` in a key as `%25`, so a `%`
/// not followed by two hex digits means the event was not written by S3:
/// refused, rather than passed through as a literal key.
pub fn decode_s3_key(raw: &str) -> Result<String, EventError> {
    let bytes = raw.as_bytes();
    let bad_escape = bytes.iter().enumerate().any(|(i, &b)| {
        b == b'%'
            && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    });
    if bad_escape {
        return Err(EventError::BadKey {
            key: raw.to_string(),
        });
    }
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| EventError::BadKey {
            key: raw.to_string(),
        })
}

fn malformed(what: &'static str, e: serde_json::Error) -> EventError {
    EventError::Malformed {
        what,
        detail: e.to_string(),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let keys: Vec<&str> = m.keys().take(8).map(String::as_str).collect();
            format!("an object with keys {keys:?}")
        }
        other => format!("a JSON {}", json_type(other)),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn s3_event(name: &str, key: &str) -> Value {
        json!({"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",
            "eventTime":"2024-01-01T00:00:00.000Z","eventName":name,
            "s3":{"s3SchemaVersion":"1.0","bucket":{"name":"logs","arn":"arn:aws:s3:::logs"},
                  "object":{"key":key,"size":10,"versionId":"v1","sequencer":"00"}}}]})
    }

    #[test]
    fn s3_notification_keys_are_url_decoded() {
        let Invocation::Direct(ev) = decode_invocation(&s3_event(
            "ObjectCreated:Put",
            "my+prefix/a%2Bb%3Dc/%C3%A9.json.gz",
        ))
        .unwrap() else {
            panic!()
        };
        assert_eq!(ev[0].key, "my prefix/a+b=c/é.json.gz");
        assert_eq!(ev[0].bucket, "logs");
        assert_eq!(ev[0].change, ObjectChange::Created);
        assert_eq!(ev[0].version_id.as_deref(), Some("v1"));
    }

    #[test]
    fn bad_percent_encoding_is_an_error() {
        let err = decode_invocation(&s3_event("ObjectCreated:Put", "a%FFb")).unwrap_err();
        assert!(matches!(err, EventError::BadKey { .. }));
    }

    #[test]
    fn removal_kinds() {
        let cases = [
            (
                "ObjectRemoved:Delete",
                ObjectChange::Removed {
                    delete_marker: false,
                },
            ),
            (
                "ObjectRemoved:DeleteMarkerCreated",
                ObjectChange::Removed {
                    delete_marker: true,
                },
            ),
            ("LifecycleExpiration:Delete", ObjectChange::LifecycleExpired),
            (
                "ObjectRestore:Completed",
                ObjectChange::Other("ObjectRestore:Completed".into()),
            ),
        ];
        for (name, want) in cases {
            let Invocation::Direct(ev) = decode_invocation(&s3_event(name, "k")).unwrap() else {
                panic!()
            };
            assert_eq!(ev[0].change, want, "{name}");
        }
    }

    #[test]
    fn eventbridge_object_created_and_deleted() {
        let created = json!({"version":"0","id":"x","detail-type":"Object Created","source":"aws.s3",
            "account":"111122223333","time":"2024-01-01T00:00:00Z","region":"us-east-1","resources":[],
            "detail":{"version":"0","bucket":{"name":"logs"},"object":{"key":"a b+c","size":1,"version-id":"v"}}});
        let Invocation::Direct(ev) = decode_invocation(&created).unwrap() else {
            panic!()
        };
        assert_eq!(ev[0].key, "a b+c", "EventBridge keys are not URL-encoded");
        assert_eq!(ev[0].change, ObjectChange::Created);
        let mut deleted = created.clone();
        deleted["detail-type"] = json!("Object Deleted");
        deleted["detail"]["deletion-type"] = json!("Delete Marker Created");
        let Invocation::Direct(ev) = decode_invocation(&deleted).unwrap() else {
            panic!()
        };
        assert_eq!(
            ev[0].change,
            ObjectChange::Removed {
                delete_marker: true
            }
        );
    }

    #[test]
    fn sqs_batches_decode_per_message() {
        let good = s3_event("ObjectCreated:Put", "k1").to_string();
        let sns = json!({"Type":"Notification","Message": s3_event("ObjectCreated:Put","k2").to_string()}).to_string();
        let test =
            json!({"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"logs"}).to_string();
        let payload = json!({"Records":[
            {"messageId":"m1","receiptHandle":"r","body":good,"eventSource":"aws:sqs"},
            {"messageId":"m2","receiptHandle":"r","body":"{not json","eventSource":"aws:sqs"},
            {"messageId":"m3","receiptHandle":"r","body":sns,"eventSource":"aws:sqs"},
            {"messageId":"m4","receiptHandle":"r","body":test,"eventSource":"aws:sqs"}]});
        let Invocation::Queue(msgs) = decode_invocation(&payload).unwrap() else {
            panic!()
        };
        assert_eq!(msgs.len(), 4);
        assert_eq!(msgs[0].events.as_ref().unwrap()[0].key, "k1");
        assert!(msgs[1].events.is_err());
        assert_eq!(msgs[1].message_id, "m2");
        assert_eq!(msgs[2].events.as_ref().unwrap()[0].key, "k2");
        assert!(msgs[3].events.as_ref().unwrap().is_empty());
    }

    #[test]
    fn test_event_and_garbage() {
        assert!(matches!(
            decode_invocation(&json!({"Service":"Amazon S3","Event":"s3:TestEvent"})).unwrap(),
            Invocation::TestEvent
        ));
        assert!(matches!(
            decode_invocation(&json!([1, 2])),
            Err(EventError::Unrecognised(_))
        ));
        assert!(matches!(
            decode_invocation(&json!({"foo": 1})),
            Err(EventError::Unrecognised(_))
        ));
        assert!(matches!(
            decode_invocation(&json!({"Records":[{"eventName":"ObjectCreated:Put"}]})),
            Err(EventError::Malformed { .. })
        ));
        assert!(matches!(
            decode_invocation(&json!({"detail-type":"Object Created","detail":{}})),
            Err(EventError::Malformed { .. })
        ));
    }
}
