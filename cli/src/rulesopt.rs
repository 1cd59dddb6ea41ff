//! The rule options `scan` and `rules list` share, read from the same
//! environment variables as the alert router, with flags to override.

use std::process::ExitCode;

use trailguard::aws::{load_config, S3Store};
use trailguard::config::{self, Location, RouterConfig};
use trailguard::detect::Level;
use trailguard::rules::{self, Loaded};

use crate::CANNOT_RUN;

/// Which rules run, as the router would run them.
#[derive(clap::Args, Debug, Clone)]
pub struct RuleOptions {
    /// Extra rule file, folder or s3://bucket/prefix (repeatable; adds to TRAILGUARD_RULES).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<String>,
    /// Run only the given rules, not the built-ins.
    #[arg(long)]
    pub no_builtin: bool,
    /// Lowest severity reported (default: TRAILGUARD_MIN_SEVERITY, else medium).
    #[arg(long, value_parser = parse_level)]
    pub min_severity: Option<Level>,
    /// Tuning file (disable, severity, allow); default TRAILGUARD_TUNING.
    #[arg(long, value_name = "PATH")]
    pub tuning: Option<String>,
    /// Rule id to turn off (repeatable).
    #[arg(long = "disable", value_name = "ID")]
    pub disable: Vec<String>,
    /// The guarded trail's log bucket (default TRAILGUARD_LOG_BUCKET).
    #[arg(long)]
    pub log_bucket: Option<String>,
    /// The guarded trail's name or ARN (default TRAILGUARD_TRAIL_NAME).
    #[arg(long)]
    pub trail_name: Option<String>,
    /// The trail's KMS key ARN (default TRAILGUARD_KMS_KEY_ARN).
    #[arg(long)]
    pub kms_key: Option<String>,
    /// trailguard's own CloudFormation stack, whose resources the
    /// self-protection rules guard (default TRAILGUARD_STACK_NAME).
    #[arg(long)]
    pub stack_name: Option<String>,
    /// The trail's CloudWatch Logs group, name or ARN (default
    /// TRAILGUARD_LOG_GROUP).
    #[arg(long)]
    pub log_group: Option<String>,
    /// One of trailguard's own resources by name, ARN or queue URL
    /// (repeatable; adds to TRAILGUARD_STACK_RESOURCES), for names the
    /// stack-name prefix misses.
    #[arg(long = "stack-resource", value_name = "NAME_OR_ARN")]
    pub stack_resources: Vec<String>,
}

fn parse_level(s: &str) -> Result<Level, String> {
    config::parse_level(s)
        .ok_or_else(|| "expected informational, low, medium, high or critical".into())
}

impl RuleOptions {
    /// The router configuration these options make.
    pub fn config(&self) -> Result<RouterConfig, String> {
        let mut cfg = config::router_from(|k| std::env::var(k).ok()).map_err(|e| e.to_string())?;
        for r in &self.rules {
            cfg.rules.push(Location::parse(r)?);
        }
        if self.no_builtin {
            cfg.builtin = false;
        }
        if let Some(l) = self.min_severity {
            cfg.min_severity = l;
        }
        if let Some(t) = &self.tuning {
            cfg.tuning = Some(Location::parse(t)?);
        }
        cfg.disabled.extend(self.disable.iter().cloned());
        if self.log_bucket.is_some() {
            cfg.guarded.log_bucket.clone_from(&self.log_bucket);
        }
        if self.trail_name.is_some() {
            cfg.guarded.trail_name.clone_from(&self.trail_name);
        }
        if self.kms_key.is_some() {
            cfg.guarded.kms_key.clone_from(&self.kms_key);
        }
        if self.stack_name.is_some() {
            cfg.guarded.stack_name.clone_from(&self.stack_name);
        }
        if self.log_group.is_some() {
            cfg.guarded.log_group.clone_from(&self.log_group);
        }
        cfg.guarded
            .stack_resources
            .extend(self.stack_resources.iter().cloned());
        Ok(cfg)
    }

    /// Loads the rules; a rule that does not load stops the command, since
    /// a scan that silently skipped it would look clean.
    pub async fn load(&self) -> Result<Loaded, ExitCode> {
        self.load_with(true).await
    }

    /// Loads the rules, reporting (not refusing) the ones that do not load:
    /// for listing them.
    pub async fn load_lenient(&self) -> Result<Loaded, ExitCode> {
        self.load_with(false).await
    }

    async fn load_with(&self, strict: bool) -> Result<Loaded, ExitCode> {
        let fail = |msg: String| {
            eprintln!("trailguard: {msg}");
            ExitCode::from(CANNOT_RUN)
        };
        let cfg = self.config().map_err(fail)?;
        let store = if cfg.reads_s3() {
            Some(S3Store::new(&load_config().await))
        } else {
            None
        };
        let loaded = rules::load(store.as_ref(), &cfg)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let mut waiting: std::collections::BTreeMap<&str, usize> = Default::default();
        for i in &loaded.inactive {
            *waiting.entry(i.reason.as_str()).or_default() += 1;
        }
        for (reason, n) in waiting {
            eprintln!("trailguard: {n} rule(s) inactive: {reason} (see `trailguard rules list`)");
        }
        for id in &loaded.unknown_in_tuning {
            eprintln!("trailguard: the tuning names rule {id}, which is not loaded");
        }
        if strict && (!loaded.rejected.is_empty() || !loaded.unreadable.is_empty()) {
            for e in &loaded.unreadable {
                eprintln!("trailguard: rule file not read: {e}");
            }
            for e in &loaded.rejected {
                eprintln!("trailguard: rule not loaded: {e}");
            }
            return Err(fail(format!(
                "{} rule(s) did not load (see `trailguard rules check`)",
                loaded.rejected.len() + loaded.unreadable.len()
            )));
        }
        Ok(loaded)
    }
}
