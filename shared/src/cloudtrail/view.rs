//! A read-only view of one full CloudTrail record, for detection and alerts.
//!
//! Rules read arbitrary fields, so a record stays a `serde_json::Value` and
//! nothing is lost; this view gives names to the fields every alert shows,
//! including the one field CloudTrail does not write directly: the ARN of
//! the principal who acted, which depends on the identity type.

use serde_json::Value;

/// Borrowed accessors over a CloudTrail record.
#[derive(Debug, Clone, Copy)]
pub struct RecordView<'a>(pub &'a Value);

impl<'a> RecordView<'a> {
    /// A string field by dotted path, e.g. `userIdentity.type`.
    pub fn str(&self, path: &str) -> Option<&'a str> {
        path.split('.').try_fold(self.0, |v, p| v.get(p))?.as_str()
    }

    /// `eventID`.
    pub fn event_id(&self) -> Option<&'a str> {
        self.str("eventID")
    }

    /// `eventName`.
    pub fn event_name(&self) -> Option<&'a str> {
        self.str("eventName")
    }

    /// `eventSource`.
    pub fn event_source(&self) -> Option<&'a str> {
        self.str("eventSource")
    }

    /// `eventTime`.
    pub fn event_time(&self) -> Option<&'a str> {
        self.str("eventTime")
    }

    /// `sourceIPAddress` (an IP, or a service name for AWS-internal calls).
    pub fn source_ip(&self) -> Option<&'a str> {
        self.str("sourceIPAddress")
    }

    /// `awsRegion`.
    pub fn region(&self) -> Option<&'a str> {
        self.str("awsRegion")
    }

    /// `recipientAccountId`.
    pub fn account(&self) -> Option<&'a str> {
        self.str("recipientAccountId")
    }

    /// `userAgent`.
    pub fn user_agent(&self) -> Option<&'a str> {
        self.str("userAgent")
    }

    /// `errorCode`, when the call failed.
    pub fn error_code(&self) -> Option<&'a str> {
        self.str("errorCode")
    }

    /// Whether the record says it is one CloudTrail can parse as an event
    /// (the fields rules and alerts rely on).
    pub fn is_event(&self) -> bool {
        self.0.is_object() && self.event_name().is_some() && self.event_source().is_some()
    }

    /// The ARN of whoever acted: `userIdentity.arn`; for an assumed role the
    /// session ARN (the role is in `sessionContext.sessionIssuer.arn`); for
    /// the root user without an ARN, the account's root ARN; for an AWS
    /// service, its `invokedBy`; else the principal ID.
    pub fn principal(&self) -> Option<String> {
        let id = self.0.get("userIdentity")?;
        let s = |k: &str| id.get(k).and_then(Value::as_str);
        if let Some(arn) = s("arn") {
            return Some(arn.to_string());
        }
        match s("type") {
            Some("Root") => s("accountId")
                .or(self.account())
                .map(|a| format!("arn:aws:iam::{a}:root")),
            Some("AWSService") => s("invokedBy").map(str::to_string),
            _ => s("principalId").map(str::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_and_principals() {
        let r = json!({"eventID":"e","eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com",
            "eventTime":"2026-01-01T00:00:00Z","sourceIPAddress":"203.0.113.9","awsRegion":"us-east-1",
            "recipientAccountId":"111122223333","userAgent":"aws-cli","errorCode":"AccessDenied",
            "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/Admin/alice",
              "sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::111122223333:role/Admin"}}}});
        let v = RecordView(&r);
        assert!(v.is_event());
        assert_eq!(v.event_name(), Some("StopLogging"));
        assert_eq!(v.error_code(), Some("AccessDenied"));
        assert_eq!(
            v.str("userIdentity.sessionContext.sessionIssuer.arn"),
            Some("arn:aws:iam::111122223333:role/Admin")
        );
        assert_eq!(
            v.principal().as_deref(),
            Some("arn:aws:sts::111122223333:assumed-role/Admin/alice")
        );
        let root = json!({"userIdentity":{"type":"Root","principalId":"111122223333"},"recipientAccountId":"111122223333"});
        assert_eq!(
            RecordView(&root).principal().as_deref(),
            Some("arn:aws:iam::111122223333:root")
        );
        let svc =
            json!({"userIdentity":{"type":"AWSService","invokedBy":"cloudtrail.amazonaws.com"}});
        assert_eq!(
            RecordView(&svc).principal().as_deref(),
            Some("cloudtrail.amazonaws.com")
        );
        assert_eq!(RecordView(&json!({})).principal(), None);
        assert!(!RecordView(&json!([1])).is_event());
        assert_eq!(RecordView(&json!({"eventName": 5})).event_name(), None);
    }
}
