//! [`Checkpoints`] in S3: one small JSON object per chain
//! ([`Checkpoint::object_key`]) in the watchdog's state bucket, written by
//! the integrity validator with each digest it verifies and read by the
//! watchdog each pass.

use aws_config::SdkConfig;
use aws_sdk_s3::primitives::ByteStream;

use super::error::port_error;
use super::S3Store;
use crate::error::PortError;
use crate::ports::{Checkpoints, Fetched, ObjectStore};
use crate::watchdog::digests::{Checkpoint, CHECKPOINT_PREFIX};

/// A checkpoint is a few hundred bytes; anything larger is not one.
const MAX_CHECKPOINT_BYTES: u64 = 16 * 1024;

/// The checkpoints in one bucket.
pub struct S3Checkpoints {
    client: aws_sdk_s3::Client,
    store: S3Store,
    bucket: String,
}

impl S3Checkpoints {
    /// The checkpoints kept in `bucket`.
    pub fn new(config: &SdkConfig, bucket: impl Into<String>) -> Self {
        Self {
            client: super::client::s3_client(config),
            store: S3Store::new(config),
            bucket: bucket.into(),
        }
    }

    async fn read(&self, key: &str) -> Result<Option<Checkpoint>, PortError> {
        match self
            .store
            .get(&self.bucket, key, MAX_CHECKPOINT_BYTES)
            .await?
        {
            Fetched::Found(o) => match serde_json::from_slice(&o.body) {
                Ok(c) => Ok(Some(c)),
                Err(e) => {
                    // Unreadable is as good as absent: the next verified
                    // digest replaces it, and until then the watchdog sees
                    // no checkpoint for the chain.
                    tracing::warn!(bucket = %self.bucket, %key, error = %e, "unreadable checkpoint");
                    Ok(None)
                }
            },
            Fetched::NotFound | Fetched::TooLarge { .. } => Ok(None),
        }
    }

    /// Every checkpoint in the bucket.
    pub async fn all(&self) -> Result<Vec<Checkpoint>, PortError> {
        let mut out = Vec::new();
        for key in self
            .store
            .list(&self.bucket, CHECKPOINT_PREFIX, None)
            .await?
        {
            if let Some(c) = self.read(&key).await? {
                out.push(c);
            }
        }
        Ok(out)
    }
}

impl Checkpoints for S3Checkpoints {
    async fn record(&self, c: &Checkpoint) -> Result<(), PortError> {
        let key = c.object_key();
        // Digests of a chain may be verified out of order (a retry, a
        // redelivery): a checkpoint only moves forward.
        if let Some(existing) = self.read(&key).await? {
            if existing.digest_at >= c.digest_at {
                return Ok(());
            }
        }
        let body = serde_json::to_vec(c).map_err(|e| PortError::BadResponse {
            operation: "PutObject",
            resource: format!("s3://{}/{key}", self.bucket),
            message: e.to_string(),
        })?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .content_type("application/json")
            .body(ByteStream::from(body))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| port_error("PutObject", &format!("s3://{}/{key}", self.bucket), &e))
    }
}
