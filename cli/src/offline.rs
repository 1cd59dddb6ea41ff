//! A copy of a trail's range on disk: what `trailguard export` writes and
//! `trailguard validate --from-dir` reads, through the same ports as S3.
//!
//! A digest's signature lives in its S3 object metadata
//! (`x-amz-meta-signature`, `x-amz-meta-signature-algorithm`: "CloudTrail
//! digest file structure"), which `aws s3 sync` and `aws s3 cp` do not
//! keep, so a plain copy cannot be validated. The copy here keeps it:
//!
//! ```text
//! DIR/trailguard-export.json            the manifest: trail, range, listings, key -> file
//! DIR/objects/BUCKET/KEY                each object's body, as stored (gzip)
//! DIR/metadata/BUCKET/KEY.json          its metadata, encryption and version (a sidecar)
//! DIR/public-keys/REGION.json           the keys ListPublicKeys gave, as the AWS CLI prints them
//! ```
//!
//! The manifest records every listing the validation made, so the copy
//! answers a listing exactly as S3 did at export time, and refuses one it
//! cannot answer (a range or region that was not exported) instead of
//! answering it empty.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use trailguard::gzip::Sha256;
use trailguard::integrity::logfile::Encryption;
use trailguard::ports::{
    Fetched, ObjectStore, PortError, PublicKey, PublicKeys, StoredObject, TrailActivity,
    TrailLocation, Trails,
};
use trailguard::validate::keysfile;

/// The manifest's file name.
pub const MANIFEST: &str = "trailguard-export.json";
/// The manifest's format tag.
pub const FORMAT: &str = "trailguard-export/1";

/// What a copy holds and how it was made.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The trail.
    pub trail_arn: String,
    /// The bucket copied.
    pub bucket: String,
    /// The key prefix, if any.
    pub prefix: Option<String>,
    /// `--account-id`, if given.
    pub account_id: Option<String>,
    /// `--organization-id`, if given.
    pub organization_id: Option<String>,
    /// `--region`s, if given.
    pub regions: Vec<String>,
    /// The range exported.
    pub start: DateTime<Utc>,
    /// The range exported.
    pub end: DateTime<Utc>,
    /// When.
    pub exported_at: DateTime<Utc>,
    /// What GetTrailStatus said then.
    pub activity: Option<TrailActivity>,
    /// Each `ListObjectsV2` made: prefix to keys, in S3's order.
    pub listings: BTreeMap<String, Vec<String>>,
    /// Each delimiter listing made: prefix to folders.
    pub folders: BTreeMap<String, Vec<String>>,
    /// Each object copied: `BUCKET/KEY` to its file under `objects/`.
    pub objects: BTreeMap<String, String>,
    /// Objects over the validator's size cap, not copied: `BUCKET/KEY` to
    /// the size S3 gave, so the copy answers "too large" as S3 did.
    #[serde(default)]
    pub too_large: BTreeMap<String, u64>,
}

/// An object's S3 headers, beside its body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Sidecar {
    metadata: BTreeMap<String, String>,
    server_side_encryption: Option<String>,
    kms_key_id: Option<String>,
    version_id: Option<String>,
}

/// Why a copy cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The manifest is not one this version reads.
    #[error("{path}: {problem}")]
    Manifest {
        /// The file.
        path: PathBuf,
        /// Why.
        problem: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CopyError + '_ {
    move |source| CopyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The file a key is copied to: the key's own path when every segment is a
/// plain name, else a name made from its hash (a key S3 allows but a file
/// system cannot hold: `..`, empty segments, a trailing `/`).
fn file_for(bucket: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains(['\\', '\0']));
    if plain && !bucket.contains(['/', '\\', '\0']) && bucket != ".." {
        format!("{bucket}/{key}")
    } else {
        format!(
            "_unsafe/{}",
            Sha256::of(format!("{bucket}/{key}").as_bytes()).hex()
        )
    }
}

/// Reads a copy: an [`ObjectStore`] over its files, and a [`Trails`] that
/// answers with what the manifest recorded.
pub struct DirStore {
    dir: PathBuf,
    manifest: Manifest,
}

impl DirStore {
    /// Opens the copy in `dir`.
    pub fn open(dir: &Path) -> Result<Self, CopyError> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| CopyError::Manifest {
            path: path.clone(),
            problem: e.to_string(),
        })?;
        if manifest.format != FORMAT {
            return Err(CopyError::Manifest {
                path,
                problem: format!("format {:?}, expected {FORMAT:?}", manifest.format),
            });
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            manifest,
        })
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn not_held(&self, operation: &'static str, what: String) -> PortError {
        PortError::NotFound {
            operation,
            resource: format!("{} in {}", what, self.dir.display()),
            message:
                "the copy does not hold this listing (export the range, account and region again)"
                    .into(),
        }
    }

    fn unreadable(&self, path: &Path, e: std::io::Error) -> PortError {
        PortError::Unavailable {
            operation: "read",
            resource: path.display().to_string(),
            message: e.to_string(),
        }
    }
}

impl ObjectStore for DirStore {
    async fn get(&self, bucket: &str, key: &str, max_bytes: u64) -> Result<Fetched, PortError> {
        if let Some(size) = self.manifest.too_large.get(&format!("{bucket}/{key}")) {
            return Ok(Fetched::TooLarge { size: *size });
        }
        let Some(file) = self.manifest.objects.get(&format!("{bucket}/{key}")) else {
            return Ok(Fetched::NotFound);
        };
        let path = self.dir.join("objects").join(file);
        let size = match std::fs::metadata(&path) {
            Ok(m) => m.len(),
            // Listed in the manifest and gone from the copy: the copy was
            // altered, which the verdict (not found) will say.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Fetched::NotFound),
            Err(e) => return Err(self.unreadable(&path, e)),
        };
        if size > max_bytes {
            return Ok(Fetched::TooLarge { size });
        }
        let body = std::fs::read(&path).map_err(|e| self.unreadable(&path, e))?;
        let side_path = self.dir.join("metadata").join(format!("{file}.json"));
        let side: Sidecar = match std::fs::read_to_string(&side_path) {
            Ok(t) => serde_json::from_str(&t).map_err(|e| PortError::BadResponse {
                operation: "read",
                resource: side_path.display().to_string(),
                message: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Sidecar::default(),
            Err(e) => return Err(self.unreadable(&side_path, e)),
        };
        Ok(Fetched::Found(StoredObject {
            body,
            metadata: side.metadata.into_iter().collect(),
            encryption: Encryption {
                algorithm: side.server_side_encryption,
                kms_key_id: side.kms_key_id,
            },
            version_id: side.version_id,
        }))
    }

    async fn list(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
    ) -> Result<Vec<String>, PortError> {
        if bucket != self.manifest.bucket {
            return Err(self.not_held("ListObjectsV2", format!("s3://{bucket}/{prefix}")));
        }
        let keys = self
            .manifest
            .listings
            .get(prefix)
            .ok_or_else(|| self.not_held("ListObjectsV2", format!("s3://{bucket}/{prefix}")))?;
        Ok(keys
            .iter()
            .filter(|k| start_after.is_none_or(|s| k.as_str() > s))
            .cloned()
            .collect())
    }

    async fn list_folders(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, PortError> {
        if bucket != self.manifest.bucket {
            return Err(self.not_held("ListObjectsV2", format!("s3://{bucket}/{prefix}")));
        }
        self.manifest.folders.get(prefix).cloned().ok_or_else(|| {
            self.not_held(
                "ListObjectsV2",
                format!("folders of s3://{bucket}/{prefix}"),
            )
        })
    }
}

impl Trails for DirStore {
    async fn locate(&self, arn: &str) -> Result<Option<TrailLocation>, PortError> {
        let m = &self.manifest;
        Ok((arn == m.trail_arn).then(|| TrailLocation {
            arn: m.trail_arn.clone(),
            bucket: m.bucket.clone(),
            prefix: m.prefix.clone(),
            is_organization_trail: false,
            home_region: arn.split(':').nth(3).unwrap_or_default().to_string(),
        }))
    }

    async fn activity(&self, arn: &str) -> Result<Option<TrailActivity>, PortError> {
        Ok(self
            .manifest
            .activity
            .filter(|_| arn == self.manifest.trail_arn))
    }
}

/// Public keys from files in the form `aws cloudtrail list-public-keys`
/// prints: every key of every file, whatever region it was asked in (a
/// digest names its key by fingerprint, and the auditor chose the files).
pub struct FileKeys(Vec<PublicKey>);

impl FileKeys {
    /// Reads each file.
    pub fn read(paths: &[PathBuf]) -> Result<Self, String> {
        let mut keys = Vec::new();
        for p in paths {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            keys.extend(keysfile::parse(&text).map_err(|e| format!("{}: {e}", p.display()))?);
        }
        Ok(Self(keys))
    }
}

impl PublicKeys for FileKeys {
    async fn list(
        &self,
        _region: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<PublicKey>, PortError> {
        Ok(self
            .0
            .iter()
            .filter(|k| {
                k.valid_from.is_none_or(|f| f <= end) && k.valid_to.is_none_or(|t| t >= start)
            })
            .cloned()
            .collect())
    }
}

/// Wraps the live ports while a range is validated, and writes what they
/// return into a copy: every object fetched, every listing, every public key.
pub struct Recorder<S, K> {
    store: S,
    keys: K,
    dir: PathBuf,
    listings: Mutex<BTreeMap<String, Vec<String>>>,
    folders: Mutex<BTreeMap<String, Vec<String>>>,
    objects: Mutex<BTreeMap<String, String>>,
    too_large: Mutex<BTreeMap<String, u64>>,
    public_keys: Mutex<HashMap<String, Vec<PublicKey>>>,
}

impl<S: ObjectStore, K: PublicKeys> Recorder<S, K> {
    /// Records into `dir` (created if need be).
    pub fn new(store: S, keys: K, dir: &Path) -> Result<Self, CopyError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        Ok(Self {
            store,
            keys,
            dir: dir.to_path_buf(),
            listings: Mutex::default(),
            folders: Mutex::default(),
            objects: Mutex::default(),
            too_large: Mutex::default(),
            public_keys: Mutex::default(),
        })
    }

    /// Copies every listed key not fetched during the validation (a log no
    /// digest lists, a stray object: evidence too), then writes the public
    /// keys and the manifest. Returns how many objects the copy holds.
    pub async fn finish(
        &self,
        bucket: &str,
        max_bytes: u64,
        manifest: impl FnOnce(
            BTreeMap<String, Vec<String>>,
            BTreeMap<String, Vec<String>>,
            BTreeMap<String, String>,
        ) -> Manifest,
    ) -> Result<usize, String> {
        let listed: Vec<String> = lock(&self.listings).values().flatten().cloned().collect();
        for key in listed {
            if lock(&self.objects).contains_key(&format!("{bucket}/{key}")) {
                continue;
            }
            // Under the validator's own cap: a larger object is recorded as
            // too large (as the validation saw it), never downloaded whole.
            self.get(bucket, &key, max_bytes)
                .await
                .map_err(|e| e.to_string())?;
        }
        for (region, keys) in lock(&self.public_keys).iter() {
            let path = self.dir.join("public-keys").join(format!("{region}.json"));
            write(&path, keysfile::render(keys).as_bytes()).map_err(|e| e.to_string())?;
        }
        let mut m = manifest(
            lock(&self.listings).clone(),
            lock(&self.folders).clone(),
            lock(&self.objects).clone(),
        );
        m.too_large = lock(&self.too_large).clone();
        let count = m.objects.len();
        let text = serde_json::to_string_pretty(&m).map_err(|e| e.to_string())?;
        write(&self.dir.join(MANIFEST), text.as_bytes()).map_err(|e| e.to_string())?;
        Ok(count)
    }

    fn save(&self, bucket: &str, key: &str, o: &StoredObject) -> Result<(), CopyError> {
        let mut file = file_for(bucket, key);
        let path = self.dir.join("objects").join(&file);
        if write(&path, &o.body).is_err() {
            // A key that is also a folder (`a` and `a/b`): by its hash.
            file = format!(
                "_unsafe/{}",
                Sha256::of(format!("{bucket}/{key}").as_bytes()).hex()
            );
            write(&self.dir.join("objects").join(&file), &o.body)?;
        }
        let side = Sidecar {
            metadata: o
                .metadata
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            server_side_encryption: o.encryption.algorithm.clone(),
            kms_key_id: o.encryption.kms_key_id.clone(),
            version_id: o.version_id.clone(),
        };
        let text = serde_json::to_string_pretty(&side).unwrap_or_default();
        write(
            &self.dir.join("metadata").join(format!("{file}.json")),
            text.as_bytes(),
        )?;
        lock(&self.objects).insert(format!("{bucket}/{key}"), file);
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), CopyError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::fs::write(path, bytes).map_err(io(path))
}

impl<S: ObjectStore, K: PublicKeys> ObjectStore for Recorder<S, K> {
    async fn get(&self, bucket: &str, key: &str, max_bytes: u64) -> Result<Fetched, PortError> {
        let got = self.store.get(bucket, key, max_bytes).await?;
        if let Fetched::TooLarge { size } = &got {
            lock(&self.too_large).insert(format!("{bucket}/{key}"), *size);
        }
        if let Fetched::Found(o) = &got {
            if !lock(&self.objects).contains_key(&format!("{bucket}/{key}")) {
                self.save(bucket, key, o)
                    .map_err(|e| PortError::Unavailable {
                        operation: "write",
                        resource: format!("s3://{bucket}/{key}"),
                        message: e.to_string(),
                    })?;
            }
        }
        Ok(got)
    }

    async fn list(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
    ) -> Result<Vec<String>, PortError> {
        let keys = self.store.list(bucket, prefix, start_after).await?;
        if start_after.is_none() {
            lock(&self.listings).insert(prefix.to_string(), keys.clone());
        }
        Ok(keys)
    }

    async fn list_folders(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, PortError> {
        let folders = self.store.list_folders(bucket, prefix).await?;
        lock(&self.folders).insert(prefix.to_string(), folders.clone());
        Ok(folders)
    }
}

impl<S: ObjectStore, K: PublicKeys> PublicKeys for Recorder<S, K> {
    async fn list(
        &self,
        region: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<PublicKey>, PortError> {
        let keys = self.keys.list(region, start, end).await?;
        let mut all = lock(&self.public_keys);
        let mine = all.entry(region.to_string()).or_default();
        for k in &keys {
            if !mine.iter().any(|m| m.fingerprint == k.fingerprint) {
                mine.push(k.clone());
            }
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_a_file_system_cannot_hold_are_named_by_hash() {
        assert_eq!(
            file_for("b", "AWSLogs/1/CloudTrail/x.json.gz"),
            "b/AWSLogs/1/CloudTrail/x.json.gz"
        );
        for bad in ["", "a//b", "a/../b", "../x", "./x", "a/", "/a", "a\\b"] {
            let f = file_for("b", bad);
            assert!(
                f.starts_with("_unsafe/") && f.len() == 8 + 64,
                "{bad:?}: {f}"
            );
        }
        assert!(file_for("..", "x").starts_with("_unsafe/"));
        assert_ne!(file_for("b", "a//b"), file_for("b", "a/b/"));
    }
}
