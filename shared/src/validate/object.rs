//! Validation of one object as S3 announces it (the Lambda function's core).

use std::collections::HashSet;

use chrono::NaiveDate;

use super::common;
use super::KeyCache;
use crate::cloudtrail::events::{ObjectChange, ObjectEvent};
use crate::cloudtrail::keys::{self, classify, DigestKey, LogKey, ObjectKind};
use crate::config::ValidatorConfig;
use crate::integrity::chain::ParsedDigest;
use crate::integrity::logfile;
use crate::integrity::verdict::{FileKind, Reason, Verdict};
use crate::ports::{Fetched, ObjectStore, PortError, PublicKeys};

/// Checks objects one event at a time; built once per Lambda container so
/// that the key cache survives warm invocations.
pub struct ObjectValidator<S, K> {
    store: S,
    keys: KeyCache<K>,
    cfg: ValidatorConfig,
}

impl<S: ObjectStore, K: PublicKeys> ObjectValidator<S, K> {
    /// A validator over an object store and a public key source.
    pub fn new(store: S, keys: K, cfg: ValidatorConfig) -> Self {
        Self {
            store,
            keys: KeyCache::new(keys),
            cfg,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &ValidatorConfig {
        &self.cfg
    }

    /// The verdicts on one announced object. An object of no interest (not
    /// CloudTrail's, an Insights file, a folder marker) gives none.
    pub async fn on_event(&self, ev: &ObjectEvent) -> Result<Vec<Verdict>, PortError> {
        let kind = classify(&ev.key);
        let file_kind = match &kind {
            ObjectKind::Log(_) => FileKind::Log,
            ObjectKind::Digest(_) => FileKind::Digest,
            ObjectKind::Unrecognised { .. } => FileKind::Object,
            ObjectKind::Insight | ObjectKind::KnownOther | ObjectKind::Unrelated => {
                return Ok(Vec::new())
            }
        };
        match &ev.change {
            ObjectChange::Created => {}
            ObjectChange::Removed { delete_marker } => {
                return Ok(vec![Verdict::invalid(
                    file_kind,
                    &ev.bucket,
                    &ev.key,
                    Reason::Deleted {
                        delete_marker: *delete_marker,
                    },
                )])
            }
            ObjectChange::LifecycleExpired | ObjectChange::Other(_) => return Ok(Vec::new()),
        }
        match kind {
            ObjectKind::Log(k) => self.on_log(&ev.bucket, &ev.key, &k).await,
            ObjectKind::Digest(k) => self.on_digest(&ev.bucket, &ev.key, &k).await,
            ObjectKind::Unrecognised { reason } => Ok(vec![Verdict::invalid(
                FileKind::Object,
                &ev.bucket,
                &ev.key,
                Reason::Unrecognised(reason),
            )]),
            _ => Ok(Vec::new()),
        }
    }

    /// A new log file: owner, encryption, size, gzip, JSON and records.
    pub async fn on_log(
        &self,
        bucket: &str,
        key: &str,
        lkey: &LogKey,
    ) -> Result<Vec<Verdict>, PortError> {
        let invalid = |r: Reason| Verdict::invalid(FileKind::Log, bucket, key, r);
        if let Some(r) = logfile::check_owner(&lkey.location, &self.cfg.expect) {
            return Ok(vec![invalid(r)]);
        }
        let obj = match self
            .store
            .get(bucket, key, self.cfg.max_object_bytes)
            .await?
        {
            Fetched::Found(o) => o,
            Fetched::NotFound => return Ok(vec![invalid(Reason::NotFound)]),
            Fetched::TooLarge { .. } => {
                return Ok(vec![invalid(Reason::TooLarge(self.cfg.max_object_bytes))])
            }
        };
        let mut problems = Vec::new();
        problems.extend(logfile::check_encryption(&obj.encryption, &self.cfg.expect));
        let content = logfile::check_content(lkey, &obj.body, &self.cfg.expect);
        tracing::debug!(key, records = content.records, sha256 = ?content.sha256, "log file inflated");
        problems.extend(content.problems);
        if problems.is_empty() {
            Ok(vec![Verdict::valid(FileKind::Log, bucket, key)])
        } else {
            Ok(problems.into_iter().map(invalid).collect())
        }
    }

    /// A new digest: its own checks, its link to the previous digest, every
    /// log file it lists, and the log files of its window it does not list.
    pub async fn on_digest(
        &self,
        bucket: &str,
        key: &str,
        dkey: &DigestKey,
    ) -> Result<Vec<Verdict>, PortError> {
        if let Some(r) = logfile::check_owner(&dkey.location, &self.cfg.expect) {
            return Ok(vec![Verdict::invalid(FileKind::Digest, bucket, key, r)]);
        }
        if let Some(want) = &self.cfg.trail_name {
            if want != &dkey.trail_name {
                let r = Reason::UnexpectedOwner(format!(
                    "digest of trail {}, not {want}",
                    dkey.trail_name
                ));
                return Ok(vec![Verdict::invalid(FileKind::Digest, bucket, key, r)]);
            }
        }
        let checked =
            common::check_digest(&self.store, &self.keys, &self.cfg, bucket, key, dkey).await?;
        let mut out = vec![checked.verdict];
        let Some(current) = checked.parsed else {
            return Ok(out);
        };
        let previous = match current.digest.previous() {
            Some((pb, pk)) => {
                let (pb, pk) = (pb.to_string(), pk.to_string());
                let prev = common::fetch_previous(&self.store, &self.cfg, &pb, &pk).await?;
                out.extend(common::link_verdicts(
                    &current,
                    bucket,
                    key,
                    prev.as_ref(),
                    &pb,
                    &pk,
                ));
                prev.ok()
            }
            None => None,
        };
        let listed = current.digest.log_files.clone();
        out.extend(
            common::hash_log_files(
                &self.store,
                &self.cfg,
                bucket,
                listed,
                &std::collections::HashMap::new(),
                None,
                &|| {},
            )
            .await?,
        );
        out.extend(
            self.unlisted_in_window(bucket, dkey, &current, previous.as_ref())
                .await?,
        );
        Ok(out)
    }

    /// Log files timed inside this digest's window (less the boundary left to
    /// the next digest) that neither it nor its predecessor lists.
    async fn unlisted_in_window(
        &self,
        bucket: &str,
        dkey: &DigestKey,
        current: &ParsedDigest,
        previous: Option<&ParsedDigest>,
    ) -> Result<Vec<Verdict>, PortError> {
        let from = current.start - self.cfg.boundary;
        let to = current.end - self.cfg.boundary;
        let root = dkey.location.account_root();
        let mut candidates = Vec::new();
        for day in days(from.date_naive(), to.date_naive()) {
            let prefix = keys::log_day_prefix(&root, &dkey.location.region, day);
            candidates.extend(self.store.list(bucket, &prefix, None).await?);
        }
        let listed: HashSet<&str> = current
            .digest
            .log_files
            .iter()
            .chain(previous.into_iter().flat_map(|p| p.digest.log_files.iter()))
            .map(|f| f.s3_object.as_str())
            .collect();
        // Stray objects among the candidates were reported when they landed.
        Ok(common::unlisted(bucket, &candidates, &listed, from, to))
    }
}

/// Every day from `first` to `last`, inclusive.
pub(super) fn days(first: NaiveDate, last: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    first.iter_days().take_while(move |d| *d <= last)
}
