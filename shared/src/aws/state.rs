//! [`StateStore`] as one S3 object: the watchdog's alert memory.
//!
//! An S3 object rather than an SSM parameter: the function already holds
//! an S3 client, the object can be versioned with the bucket, and its size
//! is not capped at 4 KB (a state for many trails is larger). Losing it
//! repeats alerts, never misses one (see `watchdog::state`).

use aws_config::SdkConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;

use super::error::port_error;
use crate::ports::{PortError, StateStore};

/// The state object's cap: a state for thousands of trails stays far below.
const MAX_STATE_BYTES: usize = 4 * 1024 * 1024;

/// One object in one bucket.
#[derive(Clone)]
pub struct S3StateObject {
    client: Client,
    bucket: String,
    key: String,
}

impl S3StateObject {
    /// The object `key` in `bucket`.
    pub fn new(config: &SdkConfig, bucket: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            client: super::client::s3_client(config),
            bucket: bucket.into(),
            key: key.into(),
        }
    }

    fn resource(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

impl StateStore for S3StateObject {
    async fn load(&self) -> Result<Option<String>, PortError> {
        let resp = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => {
                if e.as_service_error().is_some_and(|s| s.is_no_such_key()) {
                    return Ok(None);
                }
                return Err(port_error("GetObject", &self.resource(), &e));
            }
        };
        let bytes = resp
            .body
            .collect()
            .await
            .map_err(|e| PortError::Unavailable {
                operation: "GetObject",
                resource: self.resource(),
                message: e.to_string(),
            })?
            .into_bytes();
        if bytes.len() > MAX_STATE_BYTES {
            return Err(PortError::BadResponse {
                operation: "GetObject",
                resource: self.resource(),
                message: format!("{} bytes, over the {MAX_STATE_BYTES} limit", bytes.len()),
            });
        }
        // Not UTF-8 is a corrupt state: the caller starts afresh.
        Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
    }

    async fn save(&self, text: &str) -> Result<(), PortError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .content_type("application/json")
            .body(ByteStream::from(text.as_bytes().to_vec()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| port_error("PutObject", &self.resource(), &e))
    }
}
