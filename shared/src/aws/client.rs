//! What every adapter shares: the SDK configuration and its timeouts, the
//! S3 client, the page-token guard. Below the adapters, which import it.

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

/// How long one attempt of an AWS call may take before the SDK gives up on
/// it and retries (a connection that hangs is a fault like a 500). Without
/// it a stalled call would hold the invocation until Lambda's own timeout.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);

/// How long one AWS call may take in all, retries included: well under the
/// shortest function timeout (the router's 60 s), so a call that hangs on
/// every attempt fails the invocation with its own error first. A response
/// body that stops flowing is the SDK's stalled-stream protection's
/// (`behavior-version-latest`: no data for 5 s fails the read).
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(40);

/// The timeouts every client uses: connect within 3.1 s (the SDK's
/// default), each attempt within `attempt`, the whole call within
/// [`OPERATION_TIMEOUT`] (or `attempt`, if longer).
pub fn timeouts(attempt: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_millis(3100))
        .operation_attempt_timeout(attempt)
        .operation_timeout(OPERATION_TIMEOUT.max(attempt))
        .build()
}

/// An S3 client from the shared configuration: with a custom endpoint (the
/// emulator) requests use path-style addressing. One place for every S3
/// adapter (the log store, the state object, the chain's reads).
pub(crate) fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .build(),
    )
}

/// Page tokens already followed, so that a service answering a token it
/// gave before cannot hold a listing in a loop.
#[derive(Default)]
pub(crate) struct Pages {
    seen: Vec<String>,
}

impl Pages {
    /// The token to ask with next, `None` when the listing is done (no
    /// token, an empty one, or one seen before).
    pub(crate) fn next(&mut self, token: Option<&str>) -> Option<String> {
        let t = token.filter(|t| !t.is_empty() && !self.seen.iter().any(|s| s == t))?;
        self.seen.push(t.to_string());
        Some(t.to_string())
    }
}

/// A raw HTTP answer for aws-smithy-mocks, in the adapters' tests.
#[cfg(test)]
pub(crate) fn mock_http(status: u16, body: &'static str) -> aws_sdk_s3::config::http::HttpResponse {
    aws_sdk_s3::config::http::HttpResponse::new(
        status.try_into().expect("status"),
        aws_smithy_types::body::SdkBody::from(body),
    )
}

/// Loads the SDK configuration from the standard environment and files,
/// with [`timeouts`]`(`[`ATTEMPT_TIMEOUT`]`)`.
pub async fn load_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts(ATTEMPT_TIMEOUT))
        .load()
        .await
}

#[cfg(test)]
mod tests {
    use super::Pages;

    #[test]
    fn a_listing_stops_at_no_token_an_empty_one_or_a_repeat() {
        let mut pages = Pages::default();
        assert_eq!(pages.next(Some("a")).as_deref(), Some("a"));
        assert_eq!(pages.next(Some("b")).as_deref(), Some("b"));
        assert_eq!(pages.next(Some("a")), None, "a token seen before");
        assert_eq!(Pages::default().next(Some("")), None);
        assert_eq!(Pages::default().next(None), None);
    }
}
