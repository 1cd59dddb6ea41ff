//! The integrity checks driven through the ports.
//!
//! Two entry points share every building block: [`ObjectValidator`] checks
//! one object as its S3 event arrives ([`Arrivals`], the Lambda function's
//! flow), and [`validate_range`] checks a trail over a date range (the
//! command). Both
//! return verdicts for findings and `Err` only for infrastructure failures,
//! so that a caller never reports a verdict made from partial data.

mod arrivals;
pub mod backfill;
mod common;
pub mod coverage;
mod keycache;
pub mod keysfile;
mod object;
mod range;
pub mod state;

pub use crate::config::ValidatorConfig;
pub use arrivals::{Arrivals, Checked};
pub use keycache::{KeyCache, KeyLookup};
pub use object::ObjectValidator;
pub use range::{
    discover_chains, display as display_time, validate_range, ChainRef, Discovered, Progress,
    RangeError, RangeReport, RangeRequest,
};
