//! Reading rules and tuning from where the configuration says (the
//! built-ins compiled in, files and folders, S3 prefixes) and building the
//! [`Detector`] the router and `trailguard scan` run.
//!
//! The I/O edge of [`crate::detect`]: compilation stays pure there. A user
//! rule that does not load is reported with its reason and kept out; it
//! never takes the other rules down with it, because a router that refuses
//! to start detects nothing at all.

use std::path::Path;

use crate::config::{Location, RouterConfig};
use crate::detect::builtin;
use crate::detect::{
    Detector, Level, Placeholders, Rule, RuleError, RuleErrorKind, Tuning, TuningError,
};
use crate::ports::{Fetched, ObjectStore, PortError};

/// A rule file is small; anything larger is refused unread.
pub const MAX_RULE_FILE_BYTES: u64 = 1024 * 1024;

/// At most this many rule files are read from one S3 prefix.
pub const MAX_RULE_FILES: usize = 10_000;

/// Why rule or tuning files could not be read (not: why a rule is wrong).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A local file or folder could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// S3 failed.
    #[error(transparent)]
    Port(#[from] PortError),
    /// An object or file over [`MAX_RULE_FILE_BYTES`], or a missing one.
    #[error("{origin}: {why}")]
    Unusable {
        /// The file or object.
        origin: String,
        /// What is wrong.
        why: String,
    },
    /// An S3 location given without an S3 client (or the reverse).
    #[error("{0}: S3 locations need AWS credentials and region")]
    NoS3(String),
    /// The tuning file is invalid.
    #[error(transparent)]
    Tuning(#[from] TuningError),
}

/// One rule file's text and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFile {
    /// Its path or `s3://` URI.
    pub origin: String,
    /// The YAML.
    pub text: String,
}

fn is_rule_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".yml") || lower.ends_with(".yaml")
}

fn io(path: &Path, source: std::io::Error) -> SourceError {
    SourceError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn read_file(path: &Path) -> Result<String, SourceError> {
    let meta = std::fs::metadata(path).map_err(|e| io(path, e))?;
    if meta.len() > MAX_RULE_FILE_BYTES {
        return Err(SourceError::Unusable {
            origin: path.display().to_string(),
            why: format!("{} bytes, over the {MAX_RULE_FILE_BYTES} limit", meta.len()),
        });
    }
    std::fs::read_to_string(path).map_err(|e| io(path, e))
}

/// Rule files read from a location, and the ones that could not be read
/// (too large, not UTF-8, vanished): those are reported, never fatal to
/// the others.
#[derive(Debug, Default)]
pub struct Read {
    /// The files read.
    pub files: Vec<RuleFile>,
    /// The files (or folders) that could not be read, with why.
    pub unreadable: Vec<SourceError>,
}

impl Read {
    fn extend(&mut self, other: Read) {
        self.files.extend(other.files);
        self.unreadable.extend(other.unreadable);
    }
}

/// Reads a rule file, or every `.yml`/`.yaml` under a folder (recursively,
/// in name order so that load order is stable; symbolic links to folders
/// are not followed, so a loop cannot trap the walk).
pub fn read_path(path: &Path) -> Read {
    let mut out = Read::default();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            out.unreadable.push(io(path, e));
            return out;
        }
    };
    if meta.is_file() {
        match read_file(path) {
            Ok(text) => out.files.push(RuleFile {
                origin: path.display().to_string(),
                text,
            }),
            Err(e) => out.unreadable.push(e),
        }
        return out;
    }
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries = Vec::new();
        match std::fs::read_dir(&dir) {
            Ok(rd) => {
                for e in rd {
                    match e {
                        Ok(e) => entries.push(e),
                        Err(err) => out.unreadable.push(io(&dir, err)),
                    }
                }
            }
            Err(e) => {
                out.unreadable.push(io(&dir, e));
                continue;
            }
        }
        entries.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for e in entries {
            let p = e.path();
            let kind = match e.file_type() {
                Ok(k) => k,
                Err(err) => {
                    out.unreadable.push(io(&p, err));
                    continue;
                }
            };
            if kind.is_dir() {
                subdirs.push(p);
            } else if is_rule_file(&e.file_name().to_string_lossy()) {
                match read_file(&p) {
                    Ok(text) => out.files.push(RuleFile {
                        origin: p.display().to_string(),
                        text,
                    }),
                    Err(err) => out.unreadable.push(err),
                }
            }
        }
        // Depth-first in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    out
}

async fn get_text<S: ObjectStore>(
    store: &S,
    bucket: &str,
    key: &str,
) -> Result<String, SourceError> {
    let origin = format!("s3://{bucket}/{key}");
    match store.get(bucket, key, MAX_RULE_FILE_BYTES).await? {
        Fetched::Found(o) => String::from_utf8(o.body).map_err(|_| SourceError::Unusable {
            origin,
            why: "not UTF-8".into(),
        }),
        Fetched::NotFound => Err(SourceError::Unusable {
            origin,
            why: "no such object".into(),
        }),
        Fetched::TooLarge { size } => Err(SourceError::Unusable {
            origin,
            why: format!("{size} bytes, over the {MAX_RULE_FILE_BYTES} limit"),
        }),
    }
}

/// Reads every rule file under an S3 prefix (or the one object it names).
/// S3 failing is an error (the caller fails and is retried); an object
/// that is unusable is reported in [`Read::unreadable`].
pub async fn read_s3<S: ObjectStore>(
    store: &S,
    bucket: &str,
    prefix: &str,
) -> Result<Read, SourceError> {
    let keys: Vec<String> = store
        .list(bucket, prefix, None)
        .await?
        .into_iter()
        .filter(|k| is_rule_file(k))
        .collect();
    if keys.len() > MAX_RULE_FILES {
        return Err(SourceError::Unusable {
            origin: format!("s3://{bucket}/{prefix}"),
            why: format!("{} rule files, over the {MAX_RULE_FILES} limit", keys.len()),
        });
    }
    let mut out = Read::default();
    for key in keys {
        match get_text(store, bucket, &key).await {
            Ok(text) => out.files.push(RuleFile {
                origin: format!("s3://{bucket}/{key}"),
                text,
            }),
            Err(SourceError::Port(e)) => return Err(SourceError::Port(e)),
            Err(e) => out.unreadable.push(e),
        }
    }
    Ok(out)
}

/// Reads the rule files of every location, in order. Only S3 failing (an
/// infrastructure failure, retried) is an error; everything else that
/// cannot be read is in [`Read::unreadable`].
pub async fn read_locations<S: ObjectStore>(
    store: Option<&S>,
    locations: &[Location],
) -> Result<Read, SourceError> {
    let mut out = Read::default();
    for loc in locations {
        match loc {
            Location::Path(p) => out.extend(read_path(p)),
            Location::S3 { bucket, prefix } => match store {
                Some(store) => out.extend(read_s3(store, bucket, prefix).await?),
                None => out.unreadable.push(SourceError::NoS3(loc.to_string())),
            },
        }
    }
    Ok(out)
}

/// Reads and parses the tuning file, if any, and adds the disabled ids.
pub async fn read_tuning<S: ObjectStore>(
    store: Option<&S>,
    cfg: &RouterConfig,
) -> Result<Tuning, SourceError> {
    let mut tuning = match &cfg.tuning {
        None => Tuning::default(),
        Some(loc @ Location::Path(p)) => Tuning::parse(&read_file(p)?, &loc.to_string())?,
        Some(loc @ Location::S3 { bucket, prefix }) => {
            let store = store.ok_or_else(|| SourceError::NoS3(loc.to_string()))?;
            Tuning::parse(&get_text(store, bucket, prefix).await?, &loc.to_string())?
        }
    };
    tuning.disable(cfg.disabled.iter().cloned());
    Ok(tuning)
}

/// A rule that loaded but waits for configuration (a placeholder such as
/// the log bucket's name is not set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inactive {
    /// The rule's id, when it could be read.
    pub id: Option<String>,
    /// Where it came from.
    pub origin: String,
    /// What it needs.
    pub reason: String,
}

/// The rules in force and everything that was left out, with why.
#[derive(Debug)]
pub struct Loaded {
    /// What runs.
    pub detector: Detector,
    /// User rules refused (unsupported construct, bad YAML, duplicate id).
    pub rejected: Vec<RuleError>,
    /// Rules waiting for a placeholder's configuration.
    pub inactive: Vec<Inactive>,
    /// Rule ids named by the tuning that no loaded rule has.
    pub unknown_in_tuning: Vec<String>,
    /// Rule files or locations that could not be read.
    pub unreadable: Vec<String>,
}

impl Loaded {
    /// How many rules run.
    pub fn active(&self) -> usize {
        self.detector.rules().len()
    }
}

/// The placeholders the configuration defines.
pub fn placeholders(cfg: &RouterConfig) -> Placeholders {
    cfg.guarded.placeholders()
}

/// Compiles the built-ins (when configured) and the user's files into a
/// detector with the tuning and the severity floor `min_severity`.
pub fn build(
    cfg: &RouterConfig,
    files: &[RuleFile],
    tuning: Tuning,
    min_severity: Level,
) -> Loaded {
    let ph = placeholders(cfg);
    let mut rules: Vec<Rule> = Vec::new();
    let mut rejected = Vec::new();
    let mut inactive = Vec::new();
    if cfg.builtin {
        for (origin, text) in builtin::sources() {
            classify(
                Rule::from_yaml_with(text, origin, &ph),
                &mut rules,
                &mut rejected,
                &mut inactive,
            );
        }
    }
    for f in files {
        classify(
            Rule::from_yaml_with(&f.text, &f.origin, &ph),
            &mut rules,
            &mut rejected,
            &mut inactive,
        );
    }
    let ids: std::collections::HashSet<&str> = rules.iter().map(|r| r.id.as_str()).collect();
    let known = |id: &str| {
        ids.contains(id)
            || inactive
                .iter()
                .any(|i: &Inactive| i.id.as_deref() == Some(id))
    };
    let unknown_in_tuning = tuning
        .unknown_rules(&known)
        .into_iter()
        .map(str::to_string)
        .collect();
    // A second rule with an id already loaded is refused on its own.
    let (detector, duplicates) = Detector::new(rules, tuning, min_severity);
    rejected.extend(duplicates);
    Loaded {
        detector,
        rejected,
        inactive,
        unknown_in_tuning,
        unreadable: Vec::new(),
    }
}

/// [`build`] from what [`read_locations`] read, the unreadable files
/// reported with the rest.
pub fn build_read(cfg: &RouterConfig, read: &Read, tuning: Tuning, min_severity: Level) -> Loaded {
    let mut loaded = build(cfg, &read.files, tuning, min_severity);
    loaded.unreadable = read.unreadable.iter().map(ToString::to_string).collect();
    loaded
}

/// Reads every configured location and the tuning, and builds the
/// detector: the one way the router and `trailguard scan`/`rules` load
/// rules. Only S3 failing or an unusable tuning file is an error (the
/// caller cannot run as configured); a rule file that cannot be read is in
/// [`Loaded::unreadable`], for the caller to announce or refuse.
pub async fn load<S: ObjectStore>(
    store: Option<&S>,
    cfg: &RouterConfig,
) -> Result<Loaded, SourceError> {
    let read = read_locations(store, &cfg.rules).await?;
    let tuning = read_tuning(store, cfg).await?;
    Ok(build_read(cfg, &read, tuning, cfg.min_severity))
}

fn classify(
    r: Result<Rule, RuleError>,
    rules: &mut Vec<Rule>,
    rejected: &mut Vec<RuleError>,
    inactive: &mut Vec<Inactive>,
) {
    match r {
        Ok(rule) => rules.push(rule),
        Err(e) => match e.kind.as_ref() {
            RuleErrorKind::Placeholder { name } => inactive.push(Inactive {
                id: e.id.clone(),
                origin: e.origin.clone(),
                reason: match builtin::config_variable(name) {
                    Some(var) => format!("needs {var} (placeholder %{name}%)"),
                    None => e.kind.to_string(),
                },
            }),
            _ => rejected.push(e),
        },
    }
}

#[cfg(all(test, feature = "synth"))]
mod tests {
    use super::*;
    use crate::config::router_from;
    use crate::testing::MemStore;

    fn rule(id: &str, extra: &str) -> String {
        format!(
            "title: t {id}\nid: {id}\nlevel: high\nlogsource: {{product: aws, service: cloudtrail}}\n\
             detection:\n  s:\n    eventName: X\n{extra}  condition: s\n"
        )
    }

    fn cfg(pairs: &[(&str, &str)]) -> RouterConfig {
        router_from(|k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
        .unwrap()
    }

    #[test]
    fn folders_are_read_recursively_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("b/inner")).unwrap();
        std::fs::write(d.join("b/inner/z.yaml"), rule("z", "")).unwrap();
        std::fs::write(d.join("a.yml"), rule("a", "")).unwrap();
        std::fs::write(d.join("c.YML"), rule("c", "")).unwrap();
        std::fs::write(d.join("notes.md"), "no").unwrap();
        let files = read_path(d).files;
        let names: Vec<String> = files
            .iter()
            .map(|f| {
                f.origin
                    .trim_start_matches(&d.display().to_string())
                    .to_string()
            })
            .collect();
        assert_eq!(names, vec!["/a.yml", "/c.YML", "/b/inner/z.yaml"]);
        assert!(matches!(
            read_path(&d.join("missing")).unreadable[..],
            [SourceError::Io { .. }]
        ));
        std::fs::write(
            d.join("huge.yml"),
            vec![b'#'; MAX_RULE_FILE_BYTES as usize + 1],
        )
        .unwrap();
        std::fs::write(d.join("latin1.yml"), b"title: caf\xe9\n").unwrap();
        // A loop of symbolic links is not followed.
        #[cfg(unix)]
        std::os::unix::fs::symlink(d, d.join("b/loop")).unwrap();
        let r = read_path(d);
        assert_eq!(r.files.len(), 3);
        assert_eq!(r.unreadable.len(), 2, "{:?}", r.unreadable);
    }

    #[tokio::test]
    async fn s3_prefixes_and_tuning_are_read_through_the_store() {
        let store = MemStore::default();
        store.put("cfg", "rules/one.yml", rule("one", "").into_bytes(), &[]);
        store.put(
            "cfg",
            "rules/sub/two.yaml",
            rule("two", "").into_bytes(),
            &[],
        );
        store.put("cfg", "rules/readme.txt", b"x".to_vec(), &[]);
        store.put("cfg", "tuning.yml", b"disable: [two]\n".to_vec(), &[]);
        let c = cfg(&[
            ("TRAILGUARD_RULES", "s3://cfg/rules/"),
            ("TRAILGUARD_TUNING", "s3://cfg/tuning.yml"),
            ("TRAILGUARD_BUILTIN_RULES", "false"),
        ]);
        store.put("cfg", "rules/z-binary.yml", vec![0xff, 0xfe], &[]);
        let read = read_locations(Some(&store), &c.rules).await.unwrap();
        assert_eq!(read.unreadable.len(), 1);
        let files = read.files;
        let origins: Vec<&str> = files.iter().map(|f| f.origin.as_str()).collect();
        assert_eq!(
            origins,
            vec!["s3://cfg/rules/one.yml", "s3://cfg/rules/sub/two.yaml"]
        );
        let tuning = read_tuning(Some(&store), &c).await.unwrap();
        let loaded = build(&c, &files, tuning, c.min_severity);
        assert_eq!(loaded.active(), 1);
        assert_eq!(
            loaded.detector.dropped,
            vec![("two".to_string(), "disabled")]
        );
        // No store: S3 locations cannot be read, and say so.
        let none = read_locations::<MemStore>(None, &c.rules).await.unwrap();
        assert!(matches!(none.unreadable[..], [SourceError::NoS3(_)]));
        // A missing tuning object is an error, not an empty tuning.
        let c2 = cfg(&[("TRAILGUARD_TUNING", "s3://cfg/missing.yml")]);
        assert!(matches!(
            read_tuning(Some(&store), &c2).await,
            Err(SourceError::Unusable { .. })
        ));
        // S3 down: an infrastructure failure.
        store.failing.lock().unwrap().push("rules/one.yml".into());
        assert!(matches!(
            read_locations(Some(&store), &c.rules).await,
            Err(SourceError::Port(_))
        ));
    }

    #[test]
    fn broken_duplicate_and_waiting_rules_are_told_apart() {
        let c = cfg(&[("TRAILGUARD_BUILTIN_RULES", "false")]);
        let files = vec![
            RuleFile {
                origin: "ok.yml".into(),
                text: rule("ok", ""),
            },
            RuleFile {
                origin: "dup.yml".into(),
                text: rule("ok", ""),
            },
            RuleFile {
                origin: "bad.yml".into(),
                text: rule("bad", "").replace("eventName: X", "eventName|windash: X"),
            },
            RuleFile {
                origin: "wait.yml".into(),
                text: rule("wait", "").replace(
                    "eventName: X",
                    "requestParameters.bucketName|expand: '%log_bucket%'",
                ),
            },
        ];
        let tuning = Tuning::parse("disable: [typo]", "t").unwrap();
        let loaded = build(&c, &files, tuning, Level::Low);
        assert_eq!(loaded.active(), 1);
        let rejected: Vec<&str> = loaded.rejected.iter().map(|e| e.origin.as_str()).collect();
        assert_eq!(rejected, vec!["bad.yml", "dup.yml"]);
        assert_eq!(loaded.inactive.len(), 1);
        assert_eq!(
            loaded.inactive[0].reason,
            "needs TRAILGUARD_LOG_BUCKET (placeholder %log_bucket%)"
        );
        assert_eq!(loaded.unknown_in_tuning, vec!["typo"]);
        // With the bucket configured, the waiting rule is active.
        let c = cfg(&[
            ("TRAILGUARD_BUILTIN_RULES", "false"),
            ("TRAILGUARD_LOG_BUCKET", "logs"),
        ]);
        assert_eq!(
            build(&c, &files[2..], Tuning::default(), Level::Low).active(),
            1
        );
    }

    #[test]
    fn builtins_load_by_default() {
        let all = build(&cfg(&[]), &[], Tuning::default(), Level::Informational);
        assert!(all.rejected.is_empty(), "{:?}", all.rejected);
        assert_eq!(all.active() + all.inactive.len(), builtin::sources().len());
    }
}
