//! Integrity: the pure checks on CloudTrail's log and digest files.
//!
//! Inputs are bytes and structs, outputs are verdicts; no I/O and no clock
//! (times are passed in), so every rule is unit-tested here. The
//! orchestration that fetches objects through the ports lives in
//! [`crate::validate`].

pub mod chain;
pub mod logfile;
pub mod signature;
pub mod verdict;
