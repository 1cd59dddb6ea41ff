//! The error every port returns: an infrastructure failure, or AWS's
//! answer that is itself a finding (refused, missing, rejected).
//!
//! It sits below [`crate::ports`] and [`crate::message`] so that both, and
//! every adapter, speak it without importing each other.

/// An infrastructure failure: the call did not give an answer to reason on.
///
/// The invocation fails on one of these so that AWS retries it; a verdict is
/// never made from the partial data left behind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortError {
    /// The caller lacks a permission.
    #[error("access denied: {operation} on {resource}: {message}")]
    AccessDenied {
        /// The API operation.
        operation: &'static str,
        /// The bucket, key or ARN.
        resource: String,
        /// AWS's message.
        message: String,
    },
    /// Throttling, a 5xx, a timeout or a cut connection, after the SDK's retries.
    #[error("{operation} on {resource} failed: {message}")]
    Unavailable {
        /// The API operation.
        operation: &'static str,
        /// The bucket, key or ARN.
        resource: String,
        /// What went wrong.
        message: String,
    },
    /// The named resource does not exist (a trail deleted, a name mistyped).
    #[error("{operation}: {resource} not found: {message}")]
    NotFound {
        /// The API operation.
        operation: &'static str,
        /// The name or ARN.
        resource: String,
        /// AWS's message.
        message: String,
    },
    /// AWS refused the request itself (a 4xx other than throttling or
    /// access: an invalid parameter, a key that does not exist): the same
    /// call will be refused again.
    #[error("{operation} on {resource} was rejected: {message}")]
    Rejected {
        /// The API operation.
        operation: &'static str,
        /// The name or ARN.
        resource: String,
        /// AWS's message.
        message: String,
    },
    /// The response was not what the API promises.
    #[error("{operation} on {resource} returned an unusable response: {message}")]
    BadResponse {
        /// The API operation.
        operation: &'static str,
        /// The bucket, key or ARN.
        resource: String,
        /// What was wrong.
        message: String,
    },
}
