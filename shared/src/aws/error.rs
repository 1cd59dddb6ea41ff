//! Turning SDK errors into [`PortError`]s that name the call and resource.

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::error::PortError;

/// Error codes that mean "you may not", across services.
const DENIED: [&str; 6] = [
    "AccessDenied",
    "AccessDeniedException",
    "AuthorizationError",
    "UnauthorizedOperation",
    "InvalidClientTokenId",
    "ExpiredToken",
];

/// Error codes that mean "no such thing" where the caller asked by name.
const NOT_FOUND: [&str; 3] = [
    "TrailNotFoundException",
    "ResourceNotFoundException",
    "NoSuchBucket",
];

/// Error codes of a throttled call: retried, never a verdict.
const THROTTLED: [&str; 7] = [
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "SlowDown",
    "ProvisionedThroughputExceededException",
];

/// Maps any SDK error; callers handle "not found" themselves first.
///
/// A 4xx answer that is not throttling (a KMS key that does not exist, an
/// invalid selector, a role CloudTrail cannot assume) is
/// [`PortError::Rejected`]: retrying the same call gets the same answer,
/// so it is reported, not retried forever.
pub(crate) fn port_error<E>(
    operation: &'static str,
    resource: &str,
    e: &SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let message = DisplayErrorContext(e).to_string();
    // A 4xx, or a redirect the SDK did not follow (S3's 301
    // PermanentRedirect for a bucket in another region: "The bucket you
    // are attempting to access must be addressed using the specified
    // endpoint", Amazon S3 API Reference, "Error responses"), is the same
    // answer next time.
    let client_error = match e {
        SdkError::ServiceError(ctx) => (300..500).contains(&ctx.raw().status().as_u16()),
        _ => false,
    };
    match e.code() {
        Some(code) if NOT_FOUND.contains(&code) => PortError::NotFound {
            operation,
            resource: resource.to_string(),
            message,
        },
        Some(code) if DENIED.contains(&code) => PortError::AccessDenied {
            operation,
            resource: resource.to_string(),
            message,
        },
        Some(code) if client_error && !THROTTLED.contains(&code) => PortError::Rejected {
            operation,
            resource: resource.to_string(),
            message,
        },
        _ => PortError::Unavailable {
            operation,
            resource: resource.to_string(),
            message,
        },
    }
}
