//! [`GuardChain`] over S3, EventBridge, SQS and CloudWatch Logs: the
//! watchdog's reads of the log bucket and of the functions' feeds.
//!
//! Read only. Each bucket setting is read with its own call and keeps its
//! own result, so one refused call fails one check. "Not configured"
//! answers are values, not errors: S3 answers `NoSuchBucketPolicy`,
//! `NoSuchPublicAccessBlockConfiguration` and
//! `ObjectLockConfigurationNotFoundError` for a bucket without that
//! configuration (Amazon S3 API Reference, the GetBucketPolicy,
//! GetPublicAccessBlock and GetObjectLockConfiguration error lists).

use aws_config::SdkConfig;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::QueueAttributeName;

use super::client::Pages;
use super::error::port_error;
use super::{S3Checkpoints, S3Store};
use crate::error::PortError;
use crate::ports::ObjectStore;
use crate::watchdog::chain::{
    BucketFacts, ObjectLock, PublicAccessBlock, QueueFacts, RuleFacts, SubscriptionFilter,
};
use crate::watchdog::digests::Checkpoint;
use crate::watchdog::ports::GuardChain;

/// The clients, built once.
pub struct ChainApi {
    s3: aws_sdk_s3::Client,
    events: aws_sdk_eventbridge::Client,
    sqs: aws_sdk_sqs::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    /// Lists the log bucket's digest folders (a client per bucket region).
    listing: S3Store,
    checkpoints: Option<S3Checkpoints>,
}

impl ChainApi {
    /// Clients from the shared SDK configuration (the function's region:
    /// the template keeps the bucket, rule, queue and log group there).
    pub fn new(sdk: &SdkConfig) -> Self {
        Self {
            s3: super::client::s3_client(sdk),
            events: aws_sdk_eventbridge::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
            logs: aws_sdk_cloudwatchlogs::Client::new(sdk),
            listing: S3Store::new(sdk),
            checkpoints: None,
        }
    }

    /// Reads the integrity validator's checkpoints from `bucket`.
    pub fn with_checkpoints(mut self, sdk: &SdkConfig, bucket: Option<&str>) -> Self {
        self.checkpoints = bucket.map(|b| S3Checkpoints::new(sdk, b));
        self
    }
}

/// A "no such configuration" answer (one of `none_codes`) as `None`; any
/// other error as [`port_error`] maps it (no such bucket: NotFound; a
/// bucket in another region, 301: a refusal, the same every pass).
fn absent<T, E>(
    r: Result<T, aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
    operation: &'static str,
    bucket: &str,
    none_codes: &[&str],
) -> Result<Option<T>, PortError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.code().is_some_and(|c| none_codes.contains(&c)) => Ok(None),
        Err(e) => Err(port_error(operation, bucket, &e)),
    }
}

/// The rule's name and event bus from a name or an ARN
/// (`arn:aws:events:R:A:rule/NAME` or `.../rule/BUS/NAME`).
fn rule_parts(rule: &str) -> (Option<&str>, &str) {
    match rule.split_once(":rule/") {
        Some((_, rest)) => match rest.split_once('/') {
            Some((bus, name)) => (Some(bus), name),
            None => (None, rest),
        },
        None => (None, rule),
    }
}

impl GuardChain for ChainApi {
    async fn bucket(&self, bucket: &str) -> BucketFacts {
        let s3 = &self.s3;
        let notification = s3
            .get_bucket_notification_configuration()
            .bucket(bucket)
            .send();
        let versioning = s3.get_bucket_versioning().bucket(bucket).send();
        let public_access = s3.get_public_access_block().bucket(bucket).send();
        let policy = s3.get_bucket_policy().bucket(bucket).send();
        let lock = s3.get_object_lock_configuration().bucket(bucket).send();
        let (notification, versioning, public_access, policy, lock) =
            tokio::join!(notification, versioning, public_access, policy, lock);
        BucketFacts {
            bucket: bucket.to_string(),
            eventbridge: absent(
                notification,
                "GetBucketNotificationConfiguration",
                bucket,
                &[],
            )
            .map(|o| o.is_some_and(|n| n.event_bridge_configuration().is_some())),
            versioning: absent(versioning, "GetBucketVersioning", bucket, &[])
                .map(|o| o.and_then(|v| v.status().map(|s| s.as_str().to_string()))),
            public_access: absent(
                public_access,
                "GetPublicAccessBlock",
                bucket,
                &["NoSuchPublicAccessBlockConfiguration"],
            )
            .map(|o| {
                o.and_then(|p| {
                    p.public_access_block_configuration()
                        .map(|c| PublicAccessBlock {
                            block_public_acls: c.block_public_acls().unwrap_or(false),
                            ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                            block_public_policy: c.block_public_policy().unwrap_or(false),
                            restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
                        })
                })
            }),
            policy: absent(policy, "GetBucketPolicy", bucket, &["NoSuchBucketPolicy"])
                .map(|o| o.and_then(|p| p.policy().map(str::to_string))),
            object_lock: absent(
                lock,
                "GetObjectLockConfiguration",
                bucket,
                &["ObjectLockConfigurationNotFoundError"],
            )
            .map(|o| {
                o.and_then(|l| {
                    l.object_lock_configuration().map(|c| {
                        let retention = c.rule().and_then(|r| r.default_retention());
                        ObjectLock {
                            enabled: c
                                .object_lock_enabled()
                                .is_some_and(|e| e.as_str() == "Enabled"),
                            mode: retention
                                .and_then(|d| d.mode())
                                .map(|m| m.as_str().to_string()),
                            days: retention.and_then(|d| d.days()),
                            years: retention.and_then(|d| d.years()),
                        }
                    })
                })
            }),
        }
    }

    async fn rule(&self, rule: &str) -> Result<RuleFacts, PortError> {
        let (bus, name) = rule_parts(rule);
        let described = self
            .events
            .describe_rule()
            .name(name)
            .set_event_bus_name(bus.map(str::to_string))
            .send()
            .await
            .map_err(|e| port_error("DescribeRule", rule, &e))?;
        let mut targets = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = Pages::default();
        loop {
            let page = self
                .events
                .list_targets_by_rule()
                .rule(name)
                .set_event_bus_name(bus.map(str::to_string))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| port_error("ListTargetsByRule", rule, &e))?;
            targets.extend(page.targets().iter().map(|t| t.arn().to_string()));
            token = pages.next(page.next_token());
            if token.is_none() {
                break;
            }
        }
        Ok(RuleFacts {
            arn: described.arn().unwrap_or(rule).to_string(),
            state: described
                .state()
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "UNKNOWN".into()),
            targets,
            event_pattern: described.event_pattern().map(str::to_string),
        })
    }

    async fn queue(&self, url: &str) -> Result<QueueFacts, PortError> {
        let out = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|e| {
                // The JSON protocol's code, and the query protocol's.
                if matches!(
                    e.code(),
                    Some("QueueDoesNotExist" | "AWS.SimpleQueueService.NonExistentQueue")
                ) {
                    PortError::NotFound {
                        operation: "GetQueueAttributes",
                        resource: url.to_string(),
                        message: e.to_string(),
                    }
                } else {
                    port_error("GetQueueAttributes", url, &e)
                }
            })?;
        let arn = out
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::QueueArn))
            .cloned()
            .ok_or_else(|| PortError::BadResponse {
                operation: "GetQueueAttributes",
                resource: url.to_string(),
                message: "no QueueArn in the answer".into(),
            })?;
        Ok(QueueFacts { arn })
    }

    async fn subscription_filters(
        &self,
        log_group: &str,
    ) -> Result<Vec<SubscriptionFilter>, PortError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = Pages::default();
        loop {
            let page = self
                .logs
                .describe_subscription_filters()
                .log_group_name(log_group)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| port_error("DescribeSubscriptionFilters", log_group, &e))?;
            out.extend(
                page.subscription_filters()
                    .iter()
                    .map(|f| SubscriptionFilter {
                        name: f.filter_name().unwrap_or_default().to_string(),
                        destination_arn: f.destination_arn().unwrap_or_default().to_string(),
                        pattern: f.filter_pattern().unwrap_or_default().to_string(),
                    }),
            );
            token = pages.next(page.next_token());
            if token.is_none() {
                break;
            }
        }
        Ok(out)
    }

    async fn list_keys(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, PortError> {
        self.listing.list(bucket, prefix, None).await
    }

    async fn list_folders(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, PortError> {
        self.listing.list_folders(bucket, prefix).await
    }

    async fn checkpoints(&self) -> Result<Option<Vec<Checkpoint>>, PortError> {
        match &self.checkpoints {
            Some(c) => c.all().await.map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{absent, rule_parts};
    use crate::error::PortError;
    use aws_sdk_s3::Client;
    use aws_smithy_mocks::{mock, mock_client};

    use crate::aws::client::mock_http as http;

    /// S3's answers for a setting that is not there, a bucket that is not
    /// there, and a bucket in another region (301 PermanentRedirect, the
    /// same every pass: a finding, never an outage retried forever).
    #[tokio::test]
    async fn s3_answers_become_values_findings_or_outages() {
        let no_policy = mock!(Client::get_bucket_policy).then_http_response(|| {
            http(404, "<Error><Code>NoSuchBucketPolicy</Code><Message>The bucket policy does not exist</Message></Error>")
        });
        let s3 = mock_client!(aws_sdk_s3, [&no_policy]);
        let r = s3.get_bucket_policy().bucket("b").send().await;
        assert_eq!(
            absent(r, "GetBucketPolicy", "b", &["NoSuchBucketPolicy"]).map(|o| o.is_some()),
            Ok(false)
        );

        let no_bucket = mock!(Client::get_bucket_versioning).then_http_response(|| {
            http(404, "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>")
        });
        let s3 = mock_client!(aws_sdk_s3, [&no_bucket]);
        let r = s3.get_bucket_versioning().bucket("b").send().await;
        assert!(matches!(
            absent(r, "GetBucketVersioning", "b", &[]),
            Err(PortError::NotFound { .. })
        ));

        let elsewhere = mock!(Client::get_bucket_versioning).then_http_response(|| {
            http(301, "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message></Error>")
        });
        let s3 = mock_client!(aws_sdk_s3, [&elsewhere]);
        let r = s3.get_bucket_versioning().bucket("b").send().await;
        match absent(r, "GetBucketVersioning", "b", &[]) {
            Err(PortError::Rejected { message, .. }) => {
                assert!(message.contains("PermanentRedirect"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rule_names_and_buses_come_from_names_or_arns() {
        assert_eq!(rule_parts("tg-LogObjects"), (None, "tg-LogObjects"));
        assert_eq!(
            rule_parts("arn:aws:events:us-east-1:111122223333:rule/tg-LogObjects"),
            (None, "tg-LogObjects")
        );
        assert_eq!(
            rule_parts("arn:aws:events:us-east-1:111122223333:rule/audit-bus/tg-LogObjects"),
            (Some("audit-bus"), "tg-LogObjects")
        );
    }
}
