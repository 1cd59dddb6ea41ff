//! `trailguard validate` beyond one account's range, and `export`: one test
//! binary for the three (each binary links the AWS SDK once, which costs
//! more on 2 cores than the tests themselves).
//!
//! - `organization`: every chain of an organization trail, coverage gaps;
//! - `resume`: `--state`;
//! - `offline`: `export` and `--from-dir`.

mod offline;
mod organization;
mod resume;
