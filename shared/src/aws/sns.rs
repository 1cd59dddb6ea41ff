//! [`Notifier`] over Amazon SNS.

use aws_config::SdkConfig;
use aws_sdk_sns::Client;

use super::error::port_error;
use crate::ports::{Notification, Notifier, PortError};

/// Publishes to one SNS topic.
#[derive(Clone)]
pub struct SnsNotifier {
    client: Client,
    topic_arn: String,
}

impl SnsNotifier {
    /// A notifier for a topic.
    pub fn new(config: &SdkConfig, topic_arn: impl Into<String>) -> Self {
        Self {
            client: Client::new(config),
            topic_arn: topic_arn.into(),
        }
    }
}

impl Notifier for SnsNotifier {
    async fn publish(&self, n: &Notification) -> Result<(), PortError> {
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(&n.subject)
            .message(&n.body)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| port_error("Publish", &self.topic_arn, &e))
    }
}
