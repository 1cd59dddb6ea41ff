//! Validation of a trail over a date range (`trailguard validate`).
//!
//! Follows `aws cloudtrail validate-logs`: list the trail's digests in the
//! range, check each one's signature, walk the chain from the newest back,
//! and hash every log file the valid digests list. Goes further: every
//! region's chain (not only the caller's region), every missing digest on its
//! own, the link fields the CLI ignores, log files no digest lists, and stray
//! objects reported rather than aborting. Fetching and hashing run
//! concurrently.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use futures_util::{stream, FutureExt, StreamExt};

use super::common::{self, CheckedDigest};
use super::coverage::{self, ChainInput, ChainSummary, Span, Window};
use super::object::days;
use super::state::{self, RangeState, StateError, Verified};
use super::KeyCache;
use crate::cloudtrail::digest::DigestLogFile;
use crate::cloudtrail::keys::{self, classify, DigestKey, Location, ObjectKind};
use crate::config::ValidatorConfig;
use crate::integrity::chain::{digests_in_gap, ParsedDigest};
use crate::integrity::verdict::{FileKind, Reason, Verdict};
use crate::ports::{ObjectStore, PortError, PublicKeys, TrailActivity, Trails};

/// What to validate.
#[derive(Debug, Clone)]
pub struct RangeRequest {
    /// `arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME`.
    pub trail_arn: String,
    /// Validate digests delivered from here...
    pub start: DateTime<Utc>,
    /// ...to here.
    pub end: DateTime<Utc>,
    /// The bucket, when not the one the trail describes.
    pub bucket: Option<String>,
    /// The key prefix, when not the one the trail describes.
    pub prefix: Option<String>,
    /// The account whose logs to validate (organization trails); default:
    /// the ARN's.
    pub account_id: Option<String>,
    /// The organization ID of an organization trail; found in the bucket
    /// when not given.
    pub organization_id: Option<String>,
    /// Regions to validate; empty: every region that has digests.
    pub regions: Vec<String>,
    /// The current time (passed in, so the core reads no clock): log files
    /// after the last digest are "pending" until their digest is overdue.
    pub now: DateTime<Utc>,
    /// What an earlier run verified (`--state`): those digests and their
    /// log files are not fetched again (see [`state`]).
    pub resume: Option<RangeState>,
}

/// Why a range could not be validated at all.
#[derive(Debug, thiserror::Error)]
pub enum RangeError {
    /// Not a CloudTrail trail ARN.
    #[error(
        "invalid trail ARN {0:?}: expected arn:PARTITION:cloudtrail:REGION:ACCOUNT:trail/NAME"
    )]
    BadArn(String),
    /// Start after end.
    #[error("invalid time range: start-time must occur before end-time")]
    BadRange,
    /// DescribeTrails does not know it, and no bucket was given.
    #[error("trail {0} not found; pass --s3-bucket to validate its logs anyway")]
    TrailNotFound(String),
    /// The state given is not this trail's.
    #[error("state: {0}")]
    State(#[from] StateError),
    /// An AWS call failed.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// Progress reporting for long runs (a terminal progress bar).
pub trait Progress: Sync {
    /// More files to check were found.
    fn add(&self, files: u64);
    /// One more file was checked.
    fn done(&self);
}

impl Progress for () {
    fn add(&self, _: u64) {}
    fn done(&self) {}
}

/// The outcome of a range validation.
#[derive(Debug, Default)]
pub struct RangeReport {
    /// Every verdict, newest digest first, each followed by its log files.
    pub verdicts: Vec<Verdict>,
    /// Observations that are not verdicts (chain gaps, pending files).
    pub notices: Vec<String>,
    /// Earliest start of a valid digest, clipped to the request.
    pub found_start: Option<DateTime<Utc>>,
    /// Latest end of a valid digest, clipped to the request.
    pub found_end: Option<DateTime<Utc>>,
    /// The regions whose chains were validated.
    pub regions: Vec<String>,
    /// The bucket validated.
    pub bucket: String,
    /// Its key prefix, if any.
    pub prefix: Option<String>,
    /// The organization folder validated, for an organization trail.
    pub organization_id: Option<String>,
    /// One row per chain (account × region), in account then region order.
    pub chains: Vec<ChainSummary>,
    /// What GetTrailStatus said, when CloudTrail knows the trail.
    pub activity: Option<TrailActivity>,
    /// Digests verified by an earlier run and not fetched again.
    pub remembered: usize,
    /// The request's state with this run's verified digests added (to save
    /// for the next run); `None` without `--state`.
    pub state: Option<RangeState>,
}

impl RangeReport {
    /// `(valid, invalid)` verdict counts of one kind (backfill digests apart).
    pub fn counts(&self, kind: FileKind, backfill: bool) -> (usize, usize) {
        let of_kind = self
            .verdicts
            .iter()
            .filter(|v| v.kind == kind && v.backfill == backfill);
        let (valid, invalid): (Vec<_>, Vec<_>) = of_kind.partition(|v| v.is_valid());
        (valid.len(), invalid.len())
    }

    /// Whether any verdict is invalid.
    pub fn any_invalid(&self) -> bool {
        self.verdicts.iter().any(|v| !v.is_valid())
    }

    /// How many coverage gaps are findings (a chain silent while it should
    /// deliver: see [`coverage`]).
    pub fn coverage_findings(&self) -> usize {
        self.chains.iter().map(|c| c.findings().count()).sum()
    }

    /// Whether the run found anything wrong: an invalid file or a gap that
    /// is a finding. Checking nothing where digests were due is a gap.
    pub fn failed(&self) -> bool {
        self.any_invalid() || self.coverage_findings() > 0
    }
}

/// Chains validated at once: each fetches up to `ValidatorConfig::concurrency`
/// objects at a time.
const CHAINS_AT_ONCE: usize = 4;
/// Folder listings made at once.
const LISTINGS_AT_ONCE: usize = 16;

struct TrailArn {
    region: String,
    account: String,
    name: String,
}

fn parse_arn(arn: &str) -> Option<TrailArn> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts[2] != "cloudtrail" {
        return None;
    }
    let name = parts[5].strip_prefix("trail/")?;
    (keys::is_region(parts[3]) && keys::is_account(parts[4]) && !name.is_empty()).then(|| {
        TrailArn {
            region: parts[3].to_string(),
            account: parts[4].to_string(),
            name: name.to_string(),
        }
    })
}

/// Validates a trail's digests and log files over a date range: every
/// chain (account × region) of the trail, or of the accounts asked for.
pub async fn validate_range<S: ObjectStore, K: PublicKeys, T: Trails>(
    store: &S,
    keys: &KeyCache<K>,
    trails: &T,
    req: &RangeRequest,
    cfg: &ValidatorConfig,
    progress: &dyn Progress,
) -> Result<RangeReport, RangeError> {
    let Located {
        arn,
        bucket,
        prefix,
        chains,
    } = locate(store, trails, req, cfg).await?;
    let mut regions: Vec<String> = chains.iter().filter_map(|c| c.region.clone()).collect();
    regions.sort();
    regions.dedup();
    // One ListPublicKeys call per region covers the whole range, as the AWS
    // CLI does for its one region: each region signs its digests with its
    // own keys (KeyCache). They load while the chains list their folders;
    // digests are checked once they are in.
    let keys_ready = {
        let regions = regions.clone();
        async move {
            let loads = regions.iter().map(|region| async move {
                // Best effort: a region that refuses or fails is asked
                // again per digest, where a refusal is a finding and an
                // outage an error.
                if let Err(e) = keys
                    .preload(region, req.start, req.end + Duration::hours(2))
                    .await
                {
                    tracing::warn!(%region, error = %e, "ListPublicKeys failed; asked again per digest");
                }
            });
            futures_util::future::join_all(loads).await;
        }
        .boxed()
        .shared()
    };
    let one_account = chains
        .iter()
        .all(|c| chains.first().is_some_and(|f| f.account == c.account));
    let run = Run {
        store,
        keys,
        cfg,
        req,
        arn: &arn,
        bucket: &bucket,
        prefix: prefix.as_deref(),
        progress,
        permits: tokio::sync::Semaphore::new(cfg.concurrency.max(1)),
        keys_ready: keys_ready.clone(),
    };
    // The trail's status (only to explain a silence) is asked beside it all.
    let (outcomes, activity, ()) = tokio::join!(
        stream::iter(&chains)
            .map(|c| run.chain(c, one_account))
            .buffered(CHAINS_AT_ONCE)
            .collect::<Vec<Result<ChainOutcome, PortError>>>(),
        trails.activity(&req.trail_arn),
        keys_ready
    );
    let mut report = RangeReport {
        regions,
        bucket: bucket.clone(),
        prefix: prefix.clone(),
        organization_id: chains.first().and_then(|c| c.org_id.clone()),
        ..RangeReport::default()
    };
    let mut inputs = Vec::new();
    let mut state = req.resume.clone();
    for o in outcomes {
        let o = o?;
        report.remembered += o.remembered;
        if let Some(st) = state.as_mut() {
            let chain = chain_name(&o.input.account, o.input.region.as_deref());
            for (key, v) in &o.verified {
                st.remember(&chain, key, *v);
            }
        }
        report.verdicts.extend(o.verdicts);
        report.notices.extend(o.notices);
        if let Some(t) = o.found_start {
            report.found_start = Some(report.found_start.map_or(t, |f| f.min(t)));
        }
        if let Some(t) = o.found_end {
            report.found_end = Some(report.found_end.map_or(t, |f| f.max(t)));
        }
        inputs.push(o.input);
    }
    // Only to explain a silence; without it a silence stays a finding.
    report.activity = match activity {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "GetTrailStatus failed; silences are not explained");
            None
        }
    };
    let span = Span {
        start: req.start,
        end: req.end,
        now: req.now,
        slack: cfg.boundary,
    };
    report.chains = coverage::assess(&inputs, span, report.activity.as_ref());
    report.state = state.map(|mut st| {
        st.trail_arn.clone_from(&req.trail_arn);
        st.bucket.clone_from(&bucket);
        st
    });
    Ok(report)
}

/// The trail's folder and chains, found before anything is validated.
struct Located {
    arn: TrailArn,
    bucket: String,
    prefix: Option<String>,
    chains: Vec<Chain>,
}

/// Checks the request, finds the bucket (DescribeTrails unless given) and
/// discovers the chains to validate.
async fn locate<S: ObjectStore, T: Trails>(
    store: &S,
    trails: &T,
    req: &RangeRequest,
    cfg: &ValidatorConfig,
) -> Result<Located, RangeError> {
    let arn = parse_arn(&req.trail_arn).ok_or_else(|| RangeError::BadArn(req.trail_arn.clone()))?;
    if req.start > req.end {
        return Err(RangeError::BadRange);
    }
    let (bucket, prefix, organization_trail) = match &req.bucket {
        Some(b) => (b.clone(), req.prefix.clone(), false),
        None => {
            let t = trails
                .locate(&req.trail_arn)
                .await?
                .ok_or_else(|| RangeError::TrailNotFound(req.trail_arn.clone()))?;
            (
                t.bucket,
                req.prefix.clone().or(t.prefix),
                t.is_organization_trail,
            )
        }
    };
    if let Some(st) = &req.resume {
        st.check(&req.trail_arn, &bucket)?;
    }
    let chains = discover(
        store,
        &bucket,
        prefix.as_deref(),
        req,
        &arn.account,
        organization_trail,
        cfg,
    )
    .await?;
    Ok(Located {
        arn,
        bucket,
        prefix,
        chains,
    })
}

/// One chain (account × region) of a trail, as discovery found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainRef {
    /// The account folder.
    pub account: String,
    /// The region; `None` for an expected account with no folder at all.
    pub region: Option<String>,
    /// The organization folder, for an organization trail.
    pub organization_id: Option<String>,
}

/// The chains [`validate_range`] would validate for `req`, found the same
/// way but not validated: the backfill's plan.
#[derive(Debug, Clone)]
pub struct Discovered {
    /// The bucket.
    pub bucket: String,
    /// Its key prefix.
    pub prefix: Option<String>,
    /// Every chain, account then region order.
    pub chains: Vec<ChainRef>,
}

/// Discovers the chains of `req` without validating them.
pub async fn discover_chains<S: ObjectStore, T: Trails>(
    store: &S,
    trails: &T,
    req: &RangeRequest,
    cfg: &ValidatorConfig,
) -> Result<Discovered, RangeError> {
    let l = locate(store, trails, req, cfg).await?;
    Ok(Discovered {
        bucket: l.bucket,
        prefix: l.prefix,
        chains: l
            .chains
            .into_iter()
            .map(|c| ChainRef {
                account: c.account,
                region: c.region,
                organization_id: c.org_id,
            })
            .collect(),
    })
}

/// How the state names a chain: `ACCOUNT/REGION`.
fn chain_name(account: &str, region: Option<&str>) -> String {
    format!("{account}/{}", region.unwrap_or("-"))
}

/// One chain to validate: an account's digests from one region.
#[derive(Debug, Clone)]
struct Chain {
    account: String,
    /// `None`: an expected account with no folder at all.
    region: Option<String>,
    org_id: Option<String>,
    /// `[PREFIX/]AWSLogs/[O-ID/]ACCOUNT/`.
    root: String,
}

/// The chains to validate. An organization trail (its organization named,
/// found in the bucket, or the trail described as one) without an account
/// asked for: every account folder under `AWSLogs/O-ID/`, each with every
/// region that has digests, plus each expected account
/// (`TRAILGUARD_EXPECTED_ACCOUNTS`) that has no folder at all.
async fn discover<S: ObjectStore>(
    store: &S,
    bucket: &str,
    prefix: Option<&str>,
    req: &RangeRequest,
    arn_account: &str,
    organization_trail: bool,
    cfg: &ValidatorConfig,
) -> Result<Vec<Chain>, PortError> {
    let account = req
        .account_id
        .clone()
        .unwrap_or_else(|| arn_account.to_string());
    // Without an organization given, the account's own folder's regions
    // are listed while the organization is looked for: one round trip
    // instead of two when there is none (the usual trail).
    let direct = keys::digest_regions_prefix(&keys::account_root(prefix, None, &account));
    let mut listed_direct = None;
    let org_id = match &req.organization_id {
        Some(o) => Some(o.clone()),
        None => {
            let (org, regions) = tokio::join!(
                find_org(store, bucket, prefix, &account),
                store.list_folders(bucket, &direct)
            );
            match org? {
                Some(o) => Some(o),
                None if organization_trail => only_org(store, bucket, prefix).await?,
                None => {
                    listed_direct = Some(regions?);
                    None
                }
            }
        }
    };
    let mut accounts: Vec<String> = match (&req.account_id, &org_id) {
        (None, Some(o)) => {
            let root = keys::account_root(prefix, Some(o), &account);
            let base = root
                .trim_end_matches('/')
                .trim_end_matches(account.as_str());
            let mut found: Vec<String> = store
                .list_folders(bucket, base)
                .await?
                .iter()
                .map(|f| last_segment(f))
                .filter(|a| keys::is_account(a))
                .collect();
            for expected in &cfg.expect.accounts {
                if !found.contains(expected) {
                    found.push(expected.clone());
                }
            }
            if found.is_empty() {
                // No account delivered: the trail's own account stands for
                // them, so the silence is assessed.
                found.push(account.clone());
            }
            found
        }
        _ => vec![account],
    };
    accounts.sort();
    accounts.dedup();
    let listed: Vec<Result<Vec<Chain>, PortError>> = stream::iter(accounts)
        .map(|account| {
            let org_id = org_id.clone();
            let ready = listed_direct.clone();
            let direct = &direct;
            async move {
                let root = keys::account_root(prefix, org_id.as_deref(), &account);
                let folders = match ready {
                    Some(f) if keys::digest_regions_prefix(&root) == *direct => f,
                    _ => {
                        store
                            .list_folders(bucket, &keys::digest_regions_prefix(&root))
                            .await?
                    }
                };
                let mut regions: Vec<String> = folders
                    .iter()
                    .map(|f| last_segment(f))
                    .filter(|r| keys::is_region(r))
                    .filter(|r| req.regions.is_empty() || req.regions.contains(r))
                    .collect();
                regions.sort();
                let chain = |region: Option<String>| Chain {
                    account: account.clone(),
                    region,
                    org_id: org_id.clone(),
                    root: root.clone(),
                };
                Ok(if regions.is_empty() {
                    // Nothing delivered: a chain with no digests, so the
                    // silence is assessed, never skipped.
                    vec![chain(req.regions.first().cloned())]
                } else {
                    regions.into_iter().map(|r| chain(Some(r))).collect()
                })
            }
        })
        .buffered(LISTINGS_AT_ONCE)
        .collect()
        .await;
    let mut chains = Vec::new();
    for l in listed {
        chains.extend(l?);
    }
    Ok(chains)
}

/// The last segment of a folder key (`a/b/c/` is `c`).
fn last_segment(folder: &str) -> String {
    folder
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The organization folder of an organization trail whose own account has
/// no folder: the only `o-…` folder under `AWSLogs/`, if there is exactly
/// one (with several, the caller must say which).
async fn only_org<S: ObjectStore>(
    store: &S,
    bucket: &str,
    prefix: Option<&str>,
) -> Result<Option<String>, PortError> {
    let base = match prefix.filter(|p| !p.is_empty()) {
        Some(p) => format!("{}/AWSLogs/", p.trim_end_matches('/')),
        None => "AWSLogs/".to_string(),
    };
    let orgs: Vec<String> = store
        .list_folders(bucket, &base)
        .await?
        .iter()
        .map(|f| last_segment(f))
        .filter(|n| keys::is_org_id(n))
        .collect();
    Ok(match orgs.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    })
}

/// Finds the organization folder holding `account`, for an organization trail.
async fn find_org<S: ObjectStore>(
    store: &S,
    bucket: &str,
    prefix: Option<&str>,
    account: &str,
) -> Result<Option<String>, PortError> {
    let base = match prefix.filter(|p| !p.is_empty()) {
        Some(p) => format!("{}/AWSLogs/", p.trim_end_matches('/')),
        None => "AWSLogs/".to_string(),
    };
    let folders = store.list_folders(bucket, &base).await?;
    let name = |f: &str| {
        f.trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_string()
    };
    if folders.iter().any(|f| name(f) == account) {
        return Ok(None);
    }
    for f in folders
        .iter()
        .map(|f| name(f))
        .filter(|n| keys::is_org_id(n))
    {
        let inner = store.list_folders(bucket, &format!("{base}{f}/")).await?;
        if inner.iter().any(|i| name(i) == account) {
            return Ok(Some(f));
        }
    }
    Ok(None)
}

struct Run<'a, S, K> {
    store: &'a S,
    keys: &'a KeyCache<K>,
    cfg: &'a ValidatorConfig,
    req: &'a RangeRequest,
    arn: &'a TrailArn,
    bucket: &'a str,
    prefix: Option<&'a str>,
    progress: &'a dyn Progress,
    /// `--jobs`: requests (and bodies) in flight across every chain.
    permits: tokio::sync::Semaphore,
    /// Resolves once the public keys of every region are loaded: digests
    /// are checked after it, so each region's keys are asked for once.
    keys_ready: futures_util::future::Shared<futures_util::future::BoxFuture<'a, ()>>,
}

struct Listed {
    key: String,
    dkey: DigestKey,
}

/// One chain's part of the report.
struct ChainOutcome {
    verdicts: Vec<Verdict>,
    notices: Vec<String>,
    found_start: Option<DateTime<Utc>>,
    found_end: Option<DateTime<Utc>>,
    input: ChainInput,
    /// Digests verified now, to remember.
    verified: Vec<(DigestKey, Verified)>,
    /// Digests verified before, not fetched.
    remembered: usize,
}

/// Where one chain's digests and logs are.
struct Folder<'a> {
    root: &'a str,
    region: &'a str,
    account: &'a str,
    org_id: Option<&'a str>,
    /// What an earlier run verified in this chain.
    known: Option<&'a std::collections::BTreeMap<String, Verified>>,
    /// How notices name the chain: the region, or `ACCOUNT/REGION` when
    /// several accounts are validated.
    label: String,
}

impl<S: ObjectStore, K: PublicKeys> Run<'_, S, K> {
    /// Validates one chain; a chain without a folder has no verdicts and
    /// no windows, and its silence is assessed by [`coverage`].
    async fn chain(&self, c: &Chain, one_account: bool) -> Result<ChainOutcome, PortError> {
        let mut report = RangeReport::default();
        let mut windows = Vec::new();
        let mut verified = Vec::new();
        if let Some(region) = &c.region {
            let name = chain_name(&c.account, Some(region));
            let folder = Folder {
                root: &c.root,
                region,
                account: &c.account,
                org_id: c.org_id.as_deref(),
                known: self.req.resume.as_ref().and_then(|s| s.chain(&name)),
                label: if one_account {
                    region.clone()
                } else {
                    format!("{}/{region}", c.account)
                },
            };
            verified = self.region(&folder, &mut report, &mut windows).await?;
        }
        let count = |kind: FileKind| report.verdicts.iter().filter(|v| v.kind == kind).count();
        let input = ChainInput {
            account: c.account.clone(),
            region: c.region.clone(),
            windows,
            digests: count(FileKind::Digest),
            logs: count(FileKind::Log),
            invalid: report.verdicts.iter().filter(|v| !v.is_valid()).count(),
        };
        Ok(ChainOutcome {
            verdicts: report.verdicts,
            notices: report.notices,
            found_start: report.found_start,
            found_end: report.found_end,
            input,
            verified,
            remembered: report.remembered,
        })
    }

    /// Validates one chain's digests and logs into `report`, its windows
    /// into `windows`; returns the digests verified whole (to remember).
    ///
    /// Round trips, not bytes, set the time of a range (the AWS CLI's
    /// weakness): the range's digest and log folders are listed at once,
    /// then every digest and every log file of the range are fetched at
    /// once (at most `--jobs` in flight), the logs hashed as they arrive on
    /// every core, and only then matched with what the digests recorded. A
    /// file a digest lists outside those folders is fetched after.
    async fn region(
        &self,
        folder: &Folder<'_>,
        report: &mut RangeReport,
        windows: &mut Vec<Window>,
    ) -> Result<Vec<(DigestKey, Verified)>, PortError> {
        let log_prefixes = days(self.req.start.date_naive(), self.req.end.date_naive())
            .map(|day| keys::log_day_prefix(folder.root, folder.region, day));
        let (listed, log_keys, ()) = tokio::join!(
            self.list_digests(folder),
            self.list_all(log_prefixes),
            self.keys_ready.clone()
        );
        let (digests, strays) = listed?;
        let log_keys = log_keys?;
        let (digests, old) = self.remembered(folder, digests, report, windows);
        report.verdicts.extend(common::stray(self.bucket, &strays));
        // The log files this range's digests should list: named in the
        // range (less the delivery slack, plus the hour the last digest
        // may spill into), outside the hours an earlier run verified.
        let slack = self.cfg.boundary;
        let wanted: Vec<&str> = log_keys
            .iter()
            .filter(|k| match classify(k) {
                ObjectKind::Log(l) => {
                    l.timestamp >= self.req.start - slack
                        && l.timestamp <= self.req.end + Duration::hours(1)
                        && !old
                            .iter()
                            .any(|v| l.timestamp >= v.start - slack && l.timestamp <= v.end + slack)
                }
                _ => false,
            })
            .map(String::as_str)
            .collect();
        self.progress.add((digests.len() + wanted.len()) as u64);
        let jobs = self.cfg.concurrency.max(1);
        let check_all = stream::iter(&digests)
            .map(|d| async move {
                let _permit = self.permit(&d.key).await?;
                let c = common::check_digest(
                    self.store,
                    self.keys,
                    self.cfg,
                    self.bucket,
                    &d.key,
                    &d.dkey,
                )
                .await;
                self.progress.done();
                c
            })
            .buffered(jobs)
            .collect::<Vec<Result<CheckedDigest, PortError>>>();
        let hash_all = stream::iter(&wanted)
            .map(|k| async move {
                let h = common::fetch_and_hash(
                    self.store,
                    self.cfg,
                    self.bucket,
                    k,
                    Some(&self.permits),
                )
                .await;
                self.progress.done();
                h.map(|h| (k.to_string(), h))
            })
            .buffer_unordered(jobs)
            .collect::<Vec<Result<(String, common::Hashed), PortError>>>();
        let (checked, hashed) = tokio::join!(check_all, hash_all);
        let hashed: HashMap<String, common::Hashed> =
            hashed.into_iter().collect::<Result<_, _>>()?;
        let mut by_key: BTreeMap<&str, (&Listed, CheckedDigest)> = BTreeMap::new();
        for (d, c) in digests.iter().zip(checked) {
            by_key.insert(&d.key, (d, c?));
        }
        // Newest first, as the CLI prints; standard chain, then backfill.
        let mut order: Vec<&(&Listed, CheckedDigest)> = by_key.values().collect();
        order.sort_by_key(|(d, _)| (d.dkey.backfill, std::cmp::Reverse(d.dkey.timestamp)));

        windows.extend(
            by_key
                .values()
                .filter(|(d, _)| !d.dkey.backfill)
                .filter_map(|(_, c)| c.parsed.as_ref().or(c.unverified.as_ref()))
                .map(|p| Window {
                    start: p.start,
                    end: p.end,
                    starts_chain: p.digest.previous().is_none(),
                }),
        );

        // Log files of valid digests, each once; what was not hashed above
        // is fetched beside the chain's walk.
        let mut seen = HashSet::new();
        let mut per_digest: Vec<(Verdict, Vec<DigestLogFile>)> = Vec::new();
        for (_, c) in &order {
            let files: Vec<DigestLogFile> = c
                .parsed
                .iter()
                .flat_map(|p| p.digest.log_files.iter())
                .filter(|f| seen.insert((f.s3_bucket.clone(), f.s3_object.clone())))
                .cloned()
                .collect();
            per_digest.push((c.verdict.clone(), files));
        }
        let all_files: Vec<DigestLogFile> = per_digest
            .iter()
            .flat_map(|(_, f)| f.iter().cloned())
            .collect();
        let extra = all_files
            .iter()
            .filter(|f| f.s3_bucket != self.bucket || !hashed.contains_key(&f.s3_object))
            .count();
        self.progress.add(extra as u64);
        let progress = self.progress;
        let done = || progress.done();
        let mut chain_verdicts = Vec::new();
        let mut broken = HashSet::new();
        let (walked, logs) = tokio::join!(
            self.walk_chain(
                folder,
                &by_key,
                &mut chain_verdicts,
                &mut report.notices,
                &mut broken,
            ),
            common::hash_log_files(
                self.store,
                self.cfg,
                self.bucket,
                all_files,
                &hashed,
                Some(&self.permits),
                &done
            )
        );
        walked?;
        let mut log_verdicts = logs?.into_iter();
        let mut whole = HashSet::new();
        for (dv, files) in per_digest {
            let logs: Vec<Verdict> = log_verdicts.by_ref().take(files.len()).collect();
            if dv.is_valid() && logs.iter().all(Verdict::is_valid) {
                whole.insert(dv.key.clone());
            }
            report.verdicts.push(dv);
            report.verdicts.extend(logs);
        }
        report.verdicts.extend(chain_verdicts);
        let verified: Vec<(DigestKey, Verified)> = by_key
            .iter()
            .filter(|(k, _)| whole.contains(**k) && !broken.contains(**k))
            .filter_map(|(_, (d, c))| {
                let p = c.parsed.as_ref()?;
                let v = Verified {
                    start: p.start,
                    end: p.end,
                    restart: p.digest.previous().is_none(),
                };
                Some((d.dkey.clone(), v))
            })
            .collect();

        for (_, c) in by_key.values() {
            if let Some(p) = &c.parsed {
                let s = p.start.max(self.req.start);
                let e = p.end.min(self.req.end);
                report.found_start = Some(report.found_start.map_or(s, |f| f.min(s)));
                report.found_end = Some(report.found_end.map_or(e, |f| f.max(e)));
            }
        }
        self.check_unlisted(folder, &by_key, &old, log_keys, report);
        Ok(verified)
    }

    /// One of the run's `--jobs` request slots.
    async fn permit(&self, key: &str) -> Result<tokio::sync::SemaphorePermit<'_>, PortError> {
        self.permits
            .acquire()
            .await
            .map_err(|e| PortError::Unavailable {
                operation: "fetch",
                resource: key.to_string(),
                message: e.to_string(),
            })
    }

    /// Sets aside the listed digests an earlier run verified: their windows
    /// count for coverage and they are not fetched. A remembered digest of
    /// the range that is no longer listed was deleted since: a finding.
    /// Returns the digests to check and the remembered windows.
    fn remembered(
        &self,
        folder: &Folder<'_>,
        digests: Vec<Listed>,
        report: &mut RangeReport,
        windows: &mut Vec<Window>,
    ) -> (Vec<Listed>, Vec<Verified>) {
        let Some(known) = folder.known else {
            return (digests, Vec::new());
        };
        let listed: HashSet<String> = digests.iter().map(|d| state::stamp(&d.dkey)).collect();
        let (old, new): (Vec<Listed>, Vec<Listed>) = digests
            .into_iter()
            .partition(|d| known.contains_key(&state::stamp(&d.dkey)));
        let last = self.req.end + Duration::hours(1);
        let mut kept = Vec::new();
        for (stamp, v) in known {
            let Some((at, backfill)) = state::unstamp(stamp) else {
                continue;
            };
            if at < self.req.start || at > last {
                continue;
            }
            if !listed.contains(stamp) {
                let loc = Location {
                    prefix: self.prefix.map(str::to_string),
                    org_id: folder.org_id.map(str::to_string),
                    account: folder.account.to_string(),
                    region: folder.region.to_string(),
                    date: at.date_naive(),
                };
                let key = keys::digest_key(&loc, &self.arn.name, &self.arn.region, at, backfill);
                let mut verdict =
                    Verdict::invalid(FileKind::Digest, self.bucket, &key, Reason::NotFound);
                verdict.backfill = backfill;
                report.verdicts.push(verdict);
            }
            if !backfill {
                windows.push(Window {
                    start: v.start,
                    end: v.end,
                    starts_chain: v.restart,
                });
            }
            let (s, e) = (v.start.max(self.req.start), v.end.min(self.req.end));
            report.found_start = Some(report.found_start.map_or(s, |f| f.min(s)));
            report.found_end = Some(report.found_end.map_or(e, |f| f.max(e)));
            kept.push(*v);
        }
        report.remembered += old.len();
        (new, kept)
    }

    /// The trail's digest keys in the range, and stray objects found among them.
    async fn list_digests(
        &self,
        folder: &Folder<'_>,
    ) -> Result<(Vec<Listed>, Vec<String>), PortError> {
        // Digests are named by delivery time; the CLI takes one hour past the
        // end for logs that spilled over.
        let last = self.req.end + Duration::hours(1);
        let mut found = Vec::new();
        let mut strays = Vec::new();
        let prefixes = days(self.req.start.date_naive(), last.date_naive())
            .map(|day| keys::digest_day_prefix(folder.root, folder.region, day));
        for key in self.list_all(prefixes).await? {
            match classify(&key) {
                ObjectKind::Digest(dkey) => {
                    let ours =
                        dkey.trail_name == self.arn.name && dkey.home_region == self.arn.region;
                    if ours && dkey.timestamp >= self.req.start && dkey.timestamp <= last {
                        found.push(Listed { key, dkey });
                    }
                }
                ObjectKind::Unrecognised { .. } => strays.push(key),
                _ => {}
            }
        }
        Ok((found, strays))
    }

    /// Follows each digest's link to its predecessor: link fields, missing
    /// digests (every one of a run), and gaps where a chain restarts.
    async fn walk_chain(
        &self,
        folder: &Folder<'_>,
        by_key: &BTreeMap<&str, (&Listed, CheckedDigest)>,
        verdicts: &mut Vec<Verdict>,
        notices: &mut Vec<String>,
        broken: &mut HashSet<String>,
    ) -> Result<(), PortError> {
        let mut standard: Vec<(&Listed, &CheckedDigest)> = by_key
            .values()
            .filter(|(d, _)| !d.dkey.backfill)
            .map(|(d, c)| (*d, c))
            .collect();
        standard.sort_by_key(|(d, _)| d.dkey.timestamp);
        let referenced: HashSet<&str> = standard
            .iter()
            .filter_map(|(_, c)| c.parsed.as_ref().or(c.unverified.as_ref()))
            .filter_map(|p| p.digest.previous().map(|(_, k)| k))
            .collect();
        for (i, (d, c)) in standard.iter().enumerate() {
            let Some(cur) = &c.parsed else { continue };
            let earlier = standard[..i].last();
            match cur.digest.previous() {
                None => {
                    if let Some((e, ec)) = earlier {
                        let from = ec.parsed.as_ref().map_or(e.dkey.timestamp, |p| p.end);
                        notices.push(format!(
                            "No log files were delivered by CloudTrail between {} and {} ({})",
                            display(from),
                            display(cur.start),
                            folder.label
                        ));
                    }
                }
                Some((pb, pk)) => {
                    if let Some((_, pc)) = by_key.get(pk).filter(|_| pb == self.bucket) {
                        // In the listing: compare with what was already fetched.
                        if let Some(prev) = pc.parsed.as_ref().or(pc.unverified.as_ref()) {
                            let found =
                                common::link_verdicts(cur, self.bucket, &d.key, Ok(prev), pb, pk);
                            if !found.is_empty() {
                                broken.insert(d.key.clone());
                            }
                            verdicts.extend(found);
                        }
                        continue;
                    }
                    // Not in the listing (gone, or before the range): fetch it.
                    let prev = common::fetch_previous(self.store, self.cfg, pb, pk).await?;
                    let found =
                        common::link_verdicts(cur, self.bucket, &d.key, prev.as_ref(), pb, pk);
                    if !found.is_empty() {
                        broken.insert(d.key.clone());
                    }
                    verdicts.extend(found);
                    if matches!(prev, Err(Reason::NotFound)) {
                        verdicts.extend(self.more_missing(
                            folder.region,
                            cur,
                            earlier.copied(),
                            &referenced,
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// When the digest `cur` points at has gone, the remaining chain says how
    /// many more went with it: the hours between the previous surviving
    /// digest's end and `cur`'s start, less the one already reported.
    fn more_missing(
        &self,
        region: &str,
        cur: &ParsedDigest,
        earlier: Option<(&Listed, &CheckedDigest)>,
        referenced: &HashSet<&str>,
    ) -> Vec<Verdict> {
        let Some((e, ec)) = earlier else {
            return Vec::new();
        };
        let Some(ep) = &ec.parsed else {
            return Vec::new();
        };
        if referenced.contains(e.key.as_str()) {
            return Vec::new();
        }
        let n = digests_in_gap(cur.start - ep.end);
        let loc = Location {
            date: ep.end.date_naive(),
            region: region.to_string(),
            ..e.dkey.location.clone()
        };
        (1..n)
            .map(|k| {
                let from = ep.end + Duration::hours(k as i64 - 1);
                let to = from + Duration::hours(1);
                let est = to.with_timezone(&Utc);
                let key = keys::digest_key(
                    &Location {
                        date: est.date_naive(),
                        ..loc.clone()
                    },
                    &self.arn.name,
                    &self.arn.region,
                    est,
                    false,
                );
                Verdict::invalid(
                    FileKind::Digest,
                    self.bucket,
                    &key,
                    Reason::MissingFromChain {
                        window: format!("{} to {} (key estimated)", display(from), display(to)),
                    },
                )
            })
            .collect()
    }

    /// Log files in the digests' span that no digest lists; files after the
    /// last digest are pending, or invalid once their digest is overdue.
    fn check_unlisted(
        &self,
        folder: &Folder<'_>,
        by_key: &BTreeMap<&str, (&Listed, CheckedDigest)>,
        remembered: &[Verified],
        log_keys: Vec<String>,
        report: &mut RangeReport,
    ) {
        let parsed: Vec<&ParsedDigest> = by_key
            .values()
            .filter_map(|(_, c)| c.parsed.as_ref().or(c.unverified.as_ref()))
            .collect();
        let (Some(first), Some(last)) = (
            parsed.iter().map(|p| p.start).min(),
            parsed.iter().map(|p| p.end).max(),
        ) else {
            return;
        };
        let from = first.max(self.req.start);
        let to = (last - self.cfg.boundary).min(self.req.end);
        // Log files of remembered hours were checked by the run that
        // verified them (see `state`).
        let slack = self.cfg.boundary;
        let candidates: Vec<String> = log_keys
            .into_iter()
            .filter(|k| match classify(k) {
                ObjectKind::Log(l) => !remembered
                    .iter()
                    .any(|v| l.timestamp >= v.start - slack && l.timestamp <= v.end + slack),
                _ => true,
            })
            .collect();
        let listed: HashSet<&str> = parsed
            .iter()
            .flat_map(|p| p.digest.log_files.iter())
            .map(|f| f.s3_object.as_str())
            .collect();
        report.verdicts.extend(common::unlisted(
            self.bucket,
            &candidates,
            &listed,
            from,
            to,
        ));
        report
            .verdicts
            .extend(common::stray(self.bucket, &candidates));
        // After the last digest: a digest may still be on its way, unless its
        // hour and the delivery slack have long passed. Then the digest that
        // should list them is missing (the newest digests were deleted).
        let overdue_before = self.req.now - Duration::hours(1) - self.cfg.boundary * 2;
        let after_last: Vec<(&String, DateTime<Utc>)> = candidates
            .iter()
            .filter(|k| !listed.contains(k.as_str()))
            .filter_map(|k| match classify(k) {
                ObjectKind::Log(l) if l.timestamp >= to && l.timestamp <= self.req.end => {
                    Some((k, l.timestamp))
                }
                _ => None,
            })
            .collect();
        let mut pending = 0;
        for (k, t) in after_last {
            if t < overdue_before {
                report.verdicts.push(Verdict::invalid(
                    FileKind::Log,
                    self.bucket,
                    k,
                    Reason::NotListed,
                ));
            } else {
                pending += 1;
            }
        }
        if pending > 0 {
            report.notices.push(format!(
                "{pending} log file(s) in {} after {} are not yet covered by a digest",
                folder.label,
                display(to)
            ));
        }
    }

    /// Every key under each prefix, listed concurrently, in prefix order.
    async fn list_all(
        &self,
        prefixes: impl Iterator<Item = String>,
    ) -> Result<Vec<String>, PortError> {
        let pages: Vec<Result<Vec<String>, PortError>> = stream::iter(prefixes)
            .map(|p| async move { self.store.list(self.bucket, &p, None).await })
            .buffered(LISTINGS_AT_ONCE)
            .collect()
            .await;
        let mut out = Vec::new();
        for p in pages {
            out.extend(p?);
        }
        Ok(out)
    }
}

/// The CLI's display format for times.
pub fn display(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns() {
        let a = parse_arn("arn:aws:cloudtrail:us-east-1:111122223333:trail/my-trail").unwrap();
        assert_eq!(
            (a.region.as_str(), a.account.as_str(), a.name.as_str()),
            ("us-east-1", "111122223333", "my-trail")
        );
        assert!(
            parse_arn("arn:aws-us-gov:cloudtrail:us-gov-west-1:111122223333:trail/t").is_some()
        );
        for bad in [
            "",
            "my-trail",
            "arn:aws:s3:us-east-1:111122223333:trail/t",
            "arn:aws:cloudtrail:us-east-1:1111:trail/t",
            "arn:aws:cloudtrail:us-east-1:111122223333:trail/",
            "arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/x",
        ] {
            assert!(parse_arn(bad).is_none(), "{bad}");
        }
    }
}
