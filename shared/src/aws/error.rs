//! Turning SDK errors into [`PortError`]s that name the call and resource.

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::ports::PortError;

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
const NOT_FOUND: [&str; 2] = ["TrailNotFoundException", "ResourceNotFoundException"];

/// Maps any SDK error; callers handle "not found" themselves first.
pub(crate) fn port_error<E, R>(
    operation: &'static str,
    resource: &str,
    e: &SdkError<E, R>,
) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let message = DisplayErrorContext(e).to_string();
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
        _ => PortError::Unavailable {
            operation,
            resource: resource.to_string(),
            message,
        },
    }
}
