//! Detection on trailguard's terms: the Sigma engine (the
//! `trailguard-sigma` crate, re-exported here) plus what only trailguard
//! knows: the built-in rules and their placeholders ([`builtin`]), the
//! user's tuning ([`tuning`]: rules off, severities, allowlists read
//! through [`crate::cloudtrail::view::RecordView`]) and the [`Detector`]
//! the router and `trailguard scan` run.
//!
//! Pure: no I/O, no clock. Reading rule files from disk and S3 is
//! [`crate::rules`]'s job.

#![deny(missing_docs)]

pub mod builtin;
mod detector;
pub mod tuning;

pub use builtin::BuiltinRules;
pub use detector::{Detector, Hit, Outcome};
pub use trailguard_sigma::{
    IndexSummary, Level, LogSource, Placeholders, Rule, RuleError, RuleErrorKind, RuleSet,
    RuleSetError, Status, REGEX_DFA_SIZE_LIMIT, REGEX_SIZE_LIMIT,
};
pub use tuning::{Tuning, TuningError};

/// Where the SigmaHQ CloudTrail rules are for the compatibility tests:
/// `TRAILGUARD_SIGMA_DIR`, else `../shared/sigma/aws-cloudtrail` beside the
/// checkout; `None` (tests skipped) when neither exists.
#[cfg(test)]
pub(crate) fn sigma_dir() -> Option<std::path::PathBuf> {
    let dir = match std::env::var_os("TRAILGUARD_SIGMA_DIR") {
        Some(d) => std::path::PathBuf::from(d),
        None => std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/sigma/aws-cloudtrail"),
    };
    dir.is_dir().then_some(dir)
}
