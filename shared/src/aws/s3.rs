//! [`ObjectStore`] over Amazon S3.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_config::{Region, SdkConfig};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::Client;

use super::error::port_error;
use crate::integrity::logfile::Encryption;
use crate::ports::{Fetched, ObjectStore, PortError, StoredObject};

/// The log bucket, read through the S3 API.
///
/// S3 answers a request sent to the wrong region with a redirect the SDK
/// does not follow, and a laptop's `AWS_REGION` need not be the bucket's: so
/// the first call for each bucket asks S3 where it is (HeadBucket's
/// `x-amz-bucket-region`) and later calls use a client for that region.
#[derive(Clone)]
pub struct S3Store {
    client: Client,
    by_bucket: Arc<Mutex<HashMap<String, Client>>>,
    /// One client for every bucket, no region lookup: a custom endpoint
    /// (the emulator has one region) or a client given whole.
    single_region: bool,
}

impl S3Store {
    /// A store from the shared SDK configuration. With a custom endpoint (the
    /// emulator) requests use path-style addressing.
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            client: super::client::s3_client(config),
            by_bucket: Arc::new(Mutex::new(HashMap::new())),
            single_region: config.endpoint_url().is_some(),
        }
    }

    /// A store over one client used for every bucket, with no region
    /// lookup (a mocked client in tests, or a caller that knows the region).
    pub fn from_client(client: Client) -> Self {
        Self {
            client,
            by_bucket: Arc::new(Mutex::new(HashMap::new())),
            single_region: true,
        }
    }

    /// The underlying client (for tests and tools that write objects).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The client for the bucket's region, found once per bucket.
    async fn client_for(&self, bucket: &str) -> Client {
        if self.single_region {
            return self.client.clone();
        }
        if let Some(c) = self.lock().get(bucket) {
            return c.clone();
        }
        let region = match self.client.head_bucket().bucket(bucket).send().await {
            Ok(o) => o.bucket_region().map(str::to_string),
            Err(e) => e
                .raw_response()
                .and_then(|r| r.headers().get("x-amz-bucket-region"))
                .map(str::to_string),
        };
        let current = self
            .client
            .config()
            .region()
            .map(|r| r.as_ref().to_string());
        let client = match region {
            Some(r) if Some(&r) != current.as_ref() => {
                tracing::debug!(bucket, region = %r, "bucket is in another region");
                let conf = self
                    .client
                    .config()
                    .to_builder()
                    .region(Region::new(r))
                    .build();
                Client::from_conf(conf)
            }
            _ => self.client.clone(),
        };
        self.lock().insert(bucket.to_string(), client.clone());
        client
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Client>> {
        self.by_bucket.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl ObjectStore for S3Store {
    async fn get(&self, bucket: &str, key: &str, max_bytes: u64) -> Result<Fetched, PortError> {
        let resource = format!("s3://{bucket}/{key}");
        let resp = match self
            .client_for(bucket)
            .await
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => {
                let missing = matches!(e.as_service_error(), Some(GetObjectError::NoSuchKey(_)))
                    || matches!(
                        aws_sdk_s3::error::ProvideErrorMetadata::code(&e),
                        Some("NoSuchKey" | "NoSuchBucket" | "NotFound")
                    );
                return if missing {
                    Ok(Fetched::NotFound)
                } else {
                    Err(port_error("GetObject", &resource, &e))
                };
            }
        };
        let declared = resp.content_length().unwrap_or(0).max(0) as u64;
        if declared > max_bytes {
            return Ok(Fetched::TooLarge { size: declared });
        }
        let metadata = resp.metadata().cloned().unwrap_or_default();
        let encryption = Encryption {
            algorithm: resp
                .server_side_encryption()
                .map(|s| s.as_str().to_string()),
            kms_key_id: resp.ssekms_key_id().map(str::to_string),
        };
        let version_id = resp.version_id().map(str::to_string);
        let mut body = Vec::with_capacity(declared as usize);
        let mut stream = resp.body;
        loop {
            // A body that stops flowing is failed by the SDK's stalled-stream
            // protection and arrives here as an error, like a cut one.
            match stream.try_next().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > max_bytes {
                        return Ok(Fetched::TooLarge {
                            size: body.len() as u64 + chunk.len() as u64,
                        });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(PortError::Unavailable {
                        operation: "GetObject",
                        resource,
                        message: format!(
                            "body cut short or stalled: {}",
                            aws_sdk_s3::error::DisplayErrorContext(&e)
                        ),
                    })
                }
            }
        }
        if declared > 0 && body.len() as u64 != declared {
            return Err(PortError::Unavailable {
                operation: "GetObject",
                resource,
                message: format!(
                    "body has {} bytes, Content-Length said {declared}",
                    body.len()
                ),
            });
        }
        Ok(Fetched::Found(StoredObject {
            body,
            metadata,
            encryption,
            version_id,
        }))
    }

    async fn list(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
    ) -> Result<Vec<String>, PortError> {
        Ok(self.list_pages(bucket, prefix, start_after, None).await?.0)
    }

    async fn list_folders(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, PortError> {
        Ok(self.list_pages(bucket, prefix, None, Some("/")).await?.1)
    }
}

impl S3Store {
    /// Every page of a ListObjectsV2: the keys, and the common prefixes when
    /// a delimiter is given.
    async fn list_pages(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
        delimiter: Option<&str>,
    ) -> Result<(Vec<String>, Vec<String>), PortError> {
        let resource = format!("s3://{bucket}/{prefix}");
        let mut pages = self
            .client_for(bucket)
            .await
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_start_after(start_after.map(str::to_string))
            .set_delimiter(delimiter.map(str::to_string))
            .into_paginator()
            .send();
        let (mut keys, mut folders) = (Vec::new(), Vec::new());
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| port_error("ListObjectsV2", &resource, &e))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_string)),
            );
            folders.extend(
                page.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix().map(str::to_string)),
            );
        }
        Ok((keys, folders))
    }
}

/// The backfill's chunk listing, written to the state bucket (its default
/// encryption applies: the template's SSE-KMS with the stack key).
impl crate::validate::backfill::ObjectWriter for S3Store {
    async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), PortError> {
        self.client_for(bucket)
            .await
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type("application/json")
            .body(aws_sdk_s3::primitives::ByteStream::from(body))
            .send()
            .await
            .map_err(|e| port_error("PutObject", &format!("s3://{bucket}/{key}"), &e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! Answers the emulator cannot give: a body shorter than its
    //! Content-Length, and errors on every retry.
    use super::*;
    use aws_sdk_s3::operation::get_object::GetObjectOutput;
    use aws_sdk_s3::types::error::NoSuchKey;
    use aws_smithy_mocks::{mock, mock_client};
    use aws_smithy_types::byte_stream::ByteStream;

    use crate::aws::client::mock_http as http;

    #[tokio::test]
    async fn a_body_shorter_than_declared_is_a_failure_not_a_verdict() {
        let rule = mock!(Client::get_object).then_output(|| {
            GetObjectOutput::builder()
                .content_length(100)
                .body(ByteStream::from_static(&[0x1f; 50]))
                .build()
        });
        let store = S3Store::from_client(mock_client!(aws_sdk_s3, [&rule]));
        let err = store.get("b", "k", 1 << 20).await.unwrap_err();
        assert!(matches!(err, PortError::Unavailable { .. }), "{err}");
        assert!(err.to_string().contains("Content-Length said 100"), "{err}");
    }

    #[tokio::test]
    async fn a_declared_size_over_the_cap_is_not_downloaded() {
        let rule = mock!(Client::get_object).then_output(|| {
            GetObjectOutput::builder()
                .content_length(10 << 30)
                .body(ByteStream::from_static(b"x"))
                .build()
        });
        let store = S3Store::from_client(mock_client!(aws_sdk_s3, [&rule]));
        assert!(matches!(
            store.get("b", "k", 1 << 20).await.unwrap(),
            Fetched::TooLarge { size } if size == 10 << 30
        ));
    }

    #[tokio::test]
    async fn missing_denied_and_down_are_told_apart() {
        let missing = mock!(Client::get_object)
            .then_error(|| GetObjectError::NoSuchKey(NoSuchKey::builder().build()));
        let store = S3Store::from_client(mock_client!(aws_sdk_s3, [&missing]));
        assert!(matches!(
            store.get("b", "k", 1).await.unwrap(),
            Fetched::NotFound
        ));

        let denied = mock!(Client::get_object).then_http_response(|| {
            http(
                403,
                "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
            )
        });
        let store = S3Store::from_client(mock_client!(aws_sdk_s3, [&denied]));
        let err = store.get("b", "k", 1).await.unwrap_err();
        assert!(matches!(err, PortError::AccessDenied { .. }), "{err}");

        let down = mock!(Client::get_object)
            .sequence()
            .http_response(|| http(500, "<Error><Code>InternalError</Code></Error>"))
            .repeatedly()
            .build();
        let store = S3Store::from_client(mock_client!(aws_sdk_s3, [&down]));
        let err = store.get("b", "k", 1).await.unwrap_err();
        assert!(matches!(err, PortError::Unavailable { .. }), "{err}");
        assert!(
            down.num_calls() >= 3,
            "the SDK retried: {} calls",
            down.num_calls()
        );
    }
}
