//! Credentials out of alerts.
//!
//! A CloudTrail record can carry secrets: `AssumeRole` and `GetSessionToken`
//! records have held the new session token in
//! `responseElements.credentials.sessionToken`, and some services echo
//! passwords or keys in `requestParameters`. An alert goes to email and
//! chat, where it is kept and forwarded; a responder needs to know that
//! credentials were issued, never the credentials. The rules run on the
//! record as delivered; only what people receive is redacted.

use serde_json::Value;

/// Key endings (compared without case) whose values are credentials:
/// `password` covers `masterUserPassword`, `adminPassword`, `newPassword`;
/// `token` covers `sessionToken`, `accessToken`, `refreshToken`, `idToken`.
/// Names of secrets (`secretId`, `secretArn`, `SecretName`) and access key
/// IDs are not secret and identify what was touched, so they stay.
pub const SECRET_KEY_ENDINGS: [&str; 9] = [
    "password",
    "token",
    "secretaccesskey",
    "secretkey",
    "accesskeysecret",
    "privatekey",
    "clientsecret",
    "secretstring",
    "secretbinary",
];

/// Keys ending like a secret that are not one: MFA codes are single-use,
/// and pagination tokens say where a listing stopped.
const NOT_SECRET: [&str; 3] = ["tokencode", "nexttoken", "paginationtoken"];

/// A copy of `record` with every value under a key ending in one of
/// [`SECRET_KEY_ENDINGS`], at any depth, replaced by a marker that keeps
/// only its length.
pub fn redact(record: &Value) -> Value {
    match record {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if is_secret(k) && !v.is_null() {
                        Value::String(marker(v))
                    } else {
                        redact(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    !NOT_SECRET.contains(&k.as_str()) && SECRET_KEY_ENDINGS.iter().any(|s| k.ends_with(s))
}

fn marker(v: &Value) -> String {
    let len = match v {
        Value::String(s) => s.chars().count(),
        other => other.to_string().chars().count(),
    };
    format!("** redacted by trailguard ({len} characters) **")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn session_tokens_and_passwords_are_redacted_at_any_depth() {
        let r = json!({
            "eventName": "AssumeRole",
            "responseElements": {"credentials": {
                "accessKeyId": "ASIAEXAMPLE", "sessionToken": "FQoDYXdzEL", "expiration": "2026-01-15T01:00:00Z"}},
            "requestParameters": {"users": [{"Password": "hunter2"}, {"name": "bob"}], "secretString": {"a": 1}},
            "additionalEventData": {"SecretKey": null}
        });
        let out = redact(&r);
        let creds = &out["responseElements"]["credentials"];
        assert_eq!(
            creds["sessionToken"],
            "** redacted by trailguard (10 characters) **"
        );
        assert_eq!(creds["accessKeyId"], "ASIAEXAMPLE");
        assert_eq!(creds["expiration"], "2026-01-15T01:00:00Z");
        assert_eq!(
            out["requestParameters"]["users"][0]["Password"],
            "** redacted by trailguard (7 characters) **"
        );
        assert_eq!(out["requestParameters"]["users"][1]["name"], "bob");
        assert_eq!(
            out["requestParameters"]["secretString"],
            "** redacted by trailguard (7 characters) **"
        );
        assert_eq!(out["additionalEventData"]["SecretKey"], Value::Null);
        assert!(!out.to_string().contains("hunter2") && !out.to_string().contains("FQoD"));
    }

    #[test]
    fn compound_names_are_redacted_and_names_of_secrets_kept() {
        let r = json!({"requestParameters": {
            "masterUserPassword": "p1", "accessToken": "t1", "refreshToken": "t2", "idToken": "t3",
            "secretId": "arn:aws:secretsmanager:us-east-1:111122223333:secret:db", "SecretName": "db",
            "tokenCode": "123456", "nextToken": "abc"}});
        let out = redact(&r)["requestParameters"].clone();
        for k in [
            "masterUserPassword",
            "accessToken",
            "refreshToken",
            "idToken",
        ] {
            assert!(out[k].as_str().unwrap().starts_with("** redacted"), "{k}");
        }
        for k in ["secretId", "SecretName", "tokenCode", "nextToken"] {
            assert_eq!(out[k], r["requestParameters"][k], "{k}");
        }
    }

    #[test]
    fn a_record_without_secrets_is_unchanged() {
        let r = json!({"eventName": "DescribeInstances", "a": [1, "x", null, {"b": true}]});
        assert_eq!(redact(&r), r);
    }
}
