//! The built-in detection rules: Sigma rules written for trailguard, kept
//! as YAML in `shared/rules/builtin/` and compiled into the binary.
//!
//! # What they cover
//!
//! - Every CIS AWS Foundations Benchmark monitoring control, as AWS
//!   documents its metric filter (`cis_*.yml`, tagged `cis.aws.4.N` with the
//!   control's number in CIS v1.4.0 to v3.0.0, section 4 "Monitoring", and
//!   `cis.aws.3.N` with its number in v1.2.0, section 3; the Organizations
//!   control exists from v1.4.0 only).
//! - Threats to the trail trailguard guards: its logging stopped, the
//!   trail deleted or reconfigured, its log bucket deleted, loosened or
//!   emptied, its KMS key disabled, deleted or re-policied. These need to
//!   know which trail, bucket and key: see placeholders below. A
//!   placeholder-free rule also catches StopLogging/DeleteTrail on any trail.
//! - The same tampering where nothing is configured: any trail's event
//!   selectors narrowed (basic or advanced), CloudTrail log, digest or
//!   Insights files deleted from any bucket (recognised by CloudTrail's key
//!   grammar, or for a bulk delete, which logs no keys, by a bucket named
//!   for CloudTrail), versioning suspended on a bucket named for CloudTrail
//!   (high) or on any bucket (low). Naming the trail, bucket or key raises
//!   the same events to the rules above (high or critical).
//! - Privilege escalation (administrator policy attached, a policy allowing
//!   `*`, credentials created for another user, a role's trust policy
//!   changed). A `CreateUser` or `CreateRole` followed by the attachment of
//!   `AdministratorAccess` is caught by the attachment rule; creating users
//!   or roles alone is not alerted on.
//! - Exfiltration paths (EBS snapshot, AMI and RDS snapshot sharing; public
//!   bucket policies and ACLs; Block Public Access removed).
//! - Defences disabled (GuardDuty, AWS Config, Security Hub, VPC flow
//!   logs, leaving the organization or disabling policy types).
//!
//! # Severities
//!
//! The default alerting floor is `medium`, and an ordinary day of work must
//! stay under it. Routine change monitors (security groups, NACLs, routes,
//! gateways, VPCs, IAM policies, bucket policies, Config and CloudTrail
//! changes, Organizations changes, unauthorized calls, single console
//! failures) are `low`: they are the record to consult, not a page. Root
//! use, console sign-in without MFA, threats to the guarded trail, its
//! bucket and its key, administrator escalation, public exposure and
//! disabled defences are `high` or `critical` (critical: the guarded trail
//! stopped or deleted, its bucket deleted or re-policied, its log files
//! deleted, its key disabled or deleted).
//!
//! Tampering with the guarded trail, bucket or key that FAILED (errorCode
//! set) is a separate `medium` rule per resource (`*_tampering_failed`):
//! nothing changed, but someone tried. The other rules that describe a
//! change only fire on success (`errorCode: null`).
//!
//! Overlaps are intentional and tested: StopLogging on the guarded trail
//! fires the critical guarded-trail rule, the high any-trail rule and the
//! low CIS CloudTrail rule, so that tuning one away does not lose the
//! others.
//!
//! # Placeholders
//!
//! Rules about the guarded trail use Sigma placeholders (`field|expand:
//! '%name%'`), filled from configuration by [`placeholders`]:
//!
//! | placeholder    | values                                | from                     |
//! |----------------|---------------------------------------|--------------------------|
//! | `%log_bucket%` | the log bucket's name                 | `TRAILGUARD_LOG_BUCKET`  |
//! | `%trail_name%` | the trail's name                      | `TRAILGUARD_TRAIL_NAME`  |
//! | `%kms_key%`    | the key's ARN and its bare key ID     | `TRAILGUARD_KMS_KEY_ARN` |
//! | `%stack_name%` | trailguard's own stack name           | `TRAILGUARD_STACK_NAME`  |
//! | `%log_group%`  | the trail's CloudWatch Logs group     | `TRAILGUARD_LOG_GROUP`   |
//! | `%stack_resource%` | trailguard's resources: names, ARNs, queue URLs | `TRAILGUARD_STACK_RESOURCES`, and in Lambda the router's own `AWS_LAMBDA_FUNCTION_NAME` |
//!
//! The rules that guard trailguard itself match its resources by either of
//! the last two: by the names CloudFormation generates
//! (`STACK-LogicalId-SUFFIX`, matched by prefix), and by the names and
//! ARNs the template passes (matched exactly, so a name CloudFormation
//! shortened still matches). Configuring one of the two turns those rules
//! on; the other then takes [`MATCHES_NOTHING`].
//!
//! The bucket may be configured as a name, `s3://name/prefix` or an S3 ARN;
//! the trail as a name or an ARN (its name is used). The trail has one
//! placeholder: rules compare `requestParameters.name` (or `trailName`)
//! with the name and, with `endswith`, with `:trail/NAME`, so a request that
//! names the trail by ARN matches whatever its region and account (a trail
//! of the same name elsewhere matches too, which errs on the loud side). The key
//! is matched in `requestParameters.keyId` (ID or ARN) and in the record's
//! `resources[].ARN` (the key's ARN, present even when the call named the
//! key by alias); configure the key ARN, not an alias.
//!
//! A rule whose placeholder is not configured is not an error: [`load`]
//! returns it as inactive with the variable it needs.

use std::collections::HashMap;

use super::{Placeholders, Rule, RuleError, RuleErrorKind, RuleSetError};

/// The placeholder holding the trail's log bucket name.
pub const LOG_BUCKET: &str = "log_bucket";
/// The placeholder holding the trail's name.
pub const TRAIL_NAME: &str = "trail_name";
/// The placeholder holding the trail's KMS key (ARN and key ID).
pub const KMS_KEY: &str = "kms_key";
/// The placeholder holding the name of trailguard's own CloudFormation
/// stack, whose resources CloudFormation names `STACK-LogicalId-SUFFIX`.
pub const STACK_NAME: &str = "stack_name";
/// The placeholder holding the trail's CloudWatch Logs group, which feeds
/// the alert router.
pub const LOG_GROUP: &str = "log_group";
/// The placeholder holding trailguard's own resources by name, ARN or URL
/// (see [`resource_forms`]), for names the stack-name prefix misses.
pub const STACK_RESOURCE: &str = "stack_resource";

/// Each placeholder the built-ins use and the configuration variable that
/// defines it.
pub const PLACEHOLDER_VARIABLES: &[(&str, &str)] = &[
    (LOG_BUCKET, "TRAILGUARD_LOG_BUCKET"),
    (TRAIL_NAME, "TRAILGUARD_TRAIL_NAME"),
    (KMS_KEY, "TRAILGUARD_KMS_KEY_ARN"),
    (STACK_NAME, "TRAILGUARD_STACK_NAME"),
    (LOG_GROUP, "TRAILGUARD_LOG_GROUP"),
    (STACK_RESOURCE, "TRAILGUARD_STACK_RESOURCES"),
];

macro_rules! rule {
    ($file:literal) => {
        (
            concat!("builtin/", $file),
            include_str!(concat!("../../rules/builtin/", $file)),
        )
    };
}

/// `(origin, yaml)` of every built-in rule, the origin being
/// `builtin/<file name>`.
const RULES: &[(&str, &str)] = &[
    // CIS AWS Foundations monitoring controls.
    rule!("cis_root_account_usage.yml"),
    rule!("cis_unauthorized_api_calls.yml"),
    rule!("cis_console_login_without_mfa.yml"),
    rule!("cis_iam_policy_changes.yml"),
    rule!("cis_cloudtrail_config_changes.yml"),
    rule!("cis_console_authentication_failures.yml"),
    rule!("cis_kms_key_disabled_or_scheduled_deletion.yml"),
    rule!("cis_s3_bucket_policy_changes.yml"),
    rule!("cis_config_changes.yml"),
    rule!("cis_security_group_changes.yml"),
    rule!("cis_nacl_changes.yml"),
    rule!("cis_network_gateway_changes.yml"),
    rule!("cis_route_table_changes.yml"),
    rule!("cis_vpc_changes.yml"),
    rule!("cis_organizations_changes.yml"),
    // The guarded trail, its bucket and its key.
    rule!("trail_logging_stopped_or_deleted.yml"),
    rule!("trail_configuration_changed.yml"),
    rule!("trail_tampering_failed.yml"),
    rule!("cloudtrail_logging_stopped_any_trail.yml"),
    rule!("log_bucket_deleted_or_policy_changed.yml"),
    rule!("log_bucket_configuration_changed.yml"),
    rule!("log_bucket_objects_deleted.yml"),
    rule!("log_bucket_tampering_failed.yml"),
    rule!("trail_kms_key_disabled_or_deleted.yml"),
    rule!("trail_kms_key_policy_changed.yml"),
    rule!("trail_kms_key_tampering_failed.yml"),
    // Tampering with any trail or log bucket, no configuration needed.
    rule!("cloudtrail_event_selectors_narrowed.yml"),
    rule!("cloudtrail_log_objects_deleted_any_bucket.yml"),
    rule!("cloudtrail_log_bucket_versioning_suspended.yml"),
    rule!("s3_bucket_versioning_suspended.yml"),
    // trailguard's own stack (TRAILGUARD_STACK_NAME).
    rule!("trailguard_function_cut.yml"),
    rule!("trailguard_function_concurrency_changed.yml"),
    rule!("trailguard_trigger_cut.yml"),
    rule!("trailguard_queue_cut.yml"),
    rule!("trailguard_function_logs_deleted.yml"),
    rule!("trail_log_group_feed_cut.yml"),
    rule!("trailguard_notifications_cut.yml"),
    rule!("trailguard_alarms_cut.yml"),
    rule!("trailguard_role_changed.yml"),
    rule!("trailguard_chat_channel_cut.yml"),
    rule!("trailguard_stack_changed.yml"),
    rule!("log_bucket_notifications_changed.yml"),
    rule!("trail_kms_key_grant_created.yml"),
    // Privilege escalation.
    rule!("iam_admin_policy_attached.yml"),
    rule!("iam_policy_allows_all_actions.yml"),
    rule!("iam_credentials_for_other_user.yml"),
    rule!("iam_role_trust_policy_changed.yml"),
    // Exfiltration paths and public exposure.
    rule!("ec2_snapshot_shared.yml"),
    rule!("ec2_ami_made_public.yml"),
    rule!("ec2_ami_shared_with_account.yml"),
    rule!("rds_snapshot_shared.yml"),
    rule!("s3_bucket_policy_public.yml"),
    rule!("s3_acl_public.yml"),
    rule!("s3_public_access_block_weakened.yml"),
    // Defences disabled.
    rule!("guardduty_disabled.yml"),
    rule!("config_recording_stopped.yml"),
    rule!("securityhub_disabled.yml"),
    rule!("vpc_flow_logs_deleted.yml"),
    rule!("organizations_guardrails_removed.yml"),
];

/// `(origin, yaml)` of every built-in rule, in a stable order; the origin
/// is `builtin/<file name>` (for example
/// `builtin/cis_root_account_usage.yml`).
pub fn sources() -> &'static [(&'static str, &'static str)] {
    RULES
}

/// The configuration variable that defines a built-in placeholder.
pub fn config_variable(placeholder: &str) -> Option<&'static str> {
    let name = placeholder.trim_matches('%');
    PLACEHOLDER_VARIABLES
        .iter()
        .find(|(p, _)| *p == name)
        .map(|(_, v)| *v)
}

/// The built-in rules, loaded.
#[derive(Debug, Clone)]
pub struct BuiltinRules {
    /// The rules whose placeholders are all defined, in [`sources`] order.
    pub rules: Vec<Rule>,
    /// The rules waiting for configuration: `(id, title, reason)`, the
    /// reason naming the variables they need (`needs
    /// TRAILGUARD_LOG_BUCKET`).
    pub inactive: Vec<(String, String, String)>,
}

/// Loads every built-in rule with `placeholders` (see [`placeholders`]).
/// A rule that needs a placeholder `placeholders` does not define is
/// returned as inactive; any other load error, or two built-ins with one
/// id, is an error (a defect of the built-ins, never of configuration).
pub fn load(placeholders: &Placeholders) -> Result<BuiltinRules, RuleSetError> {
    let mut rules = Vec::new();
    let mut inactive = Vec::new();
    let mut errors = Vec::new();
    for (origin, yaml) in RULES {
        match Rule::from_yaml_with(yaml, origin, placeholders) {
            Ok(rule) => rules.push(rule),
            Err(first) => match needs(yaml, origin, placeholders, first) {
                Ok((rule, missing)) => {
                    let reason = format!("needs {}", describe(&missing));
                    inactive.push((rule.id, rule.title, reason));
                }
                Err(e) => errors.push(e),
            },
        }
    }
    let mut seen: HashMap<&str, &str> = HashMap::new();
    let ids = rules
        .iter()
        .map(|r| (r.id.as_str(), r.origin.as_str()))
        .chain(
            inactive
                .iter()
                .map(|(id, _, _)| (id.as_str(), "(inactive rule)")),
        );
    for (id, origin) in ids {
        if let Some(other) = seen.insert(id, origin) {
            errors.push(RuleError {
                origin: origin.to_string(),
                id: Some(id.to_string()),
                kind: Box::new(RuleErrorKind::DuplicateId {
                    other: other.to_string(),
                }),
            });
        }
    }
    if errors.is_empty() {
        Ok(BuiltinRules { rules, inactive })
    } else {
        Err(RuleSetError(errors))
    }
}

/// For a rule refused with `first`: when it was refused only for
/// placeholders, the rule (loaded with stand-ins for them, to read its id
/// and title) and every placeholder it lacks; otherwise the error that
/// stands.
fn needs(
    yaml: &str,
    origin: &str,
    placeholders: &Placeholders,
    first: RuleError,
) -> Result<(Rule, Vec<String>), RuleError> {
    let mut with_stand_ins = placeholders.clone();
    let mut missing: Vec<String> = Vec::new();
    let mut err = first;
    loop {
        let RuleErrorKind::Placeholder { name } = err.kind.as_ref() else {
            return Err(err);
        };
        if missing.contains(name) {
            return Err(err);
        }
        missing.push(name.clone());
        with_stand_ins.set(name, ["(not configured)"]);
        match Rule::from_yaml_with(yaml, origin, &with_stand_ins) {
            Ok(rule) => return Ok((rule, missing)),
            Err(e) => err = e,
        }
    }
}

/// `TRAILGUARD_LOG_BUCKET`, `TRAILGUARD_LOG_BUCKET and
/// TRAILGUARD_TRAIL_NAME`, or `placeholder %x%` for a name without a
/// variable. The stack's name and resources are alternatives (either turns
/// the rules on: [`Guarded::placeholders`]).
fn describe(missing: &[String]) -> String {
    let mut names: Vec<String> = Vec::new();
    for m in missing {
        if m == STACK_RESOURCE && missing.iter().any(|o| o == STACK_NAME) {
            continue;
        }
        let n = match config_variable(m) {
            Some(v) if m == STACK_NAME && missing.iter().any(|o| o == STACK_RESOURCE) => {
                format!(
                    "{v} or {}",
                    config_variable(STACK_RESOURCE).unwrap_or_default()
                )
            }
            Some(v) => v.to_string(),
            None => format!("placeholder %{m}%"),
        };
        if !names.contains(&n) {
            names.push(n);
        }
    }
    names.join(" and ")
}

/// What trailguard guards, as configured: each part optional, each
/// defining the placeholders of the rules about it (an unset or blank part
/// leaves those rules inactive). One value, so that the router, `scan`,
/// `rules list`, the fuzzer and the tests all derive the placeholders the
/// same way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Guarded {
    /// The log bucket: a name, `s3://name[/prefix]` or
    /// `arn:<partition>:s3:::name[/prefix]`; `%log_bucket%` is the name.
    pub log_bucket: Option<String>,
    /// The trail: a name or ARN
    /// (`arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME`); `%trail_name%` is
    /// the name.
    pub trail_name: Option<String>,
    /// The trail's key: a key ARN (`arn:aws:kms:REGION:ACCOUNT:key/ID`)
    /// gives `%kms_key%` both the ARN and the ID; a bare key ID gives the
    /// ID; an alias ARN gives the ARN and `alias/NAME` (matched in requests
    /// that name the alias only: configure the key ARN).
    pub kms_key: Option<String>,
    /// trailguard's own stack name (`%stack_name%`), the prefix of the
    /// names CloudFormation generates for its resources.
    pub stack_name: Option<String>,
    /// The trail's CloudWatch Logs group, by name or ARN
    /// (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]`); `%log_group%` is
    /// the name.
    pub log_group: Option<String>,
    /// trailguard's own resources by name, ARN or queue URL, as the
    /// template passes them (`%stack_resource%`: each value and the name
    /// inside it, see [`resource_forms`]). They catch what the stack-name
    /// prefix cannot: a name CloudFormation shortened to fit a service's
    /// limit, or a resource named explicitly.
    pub stack_resources: Vec<String>,
}

/// The value a placeholder of the stack rules takes when only the other
/// one is configured. No AWS resource name, ARN or URL holds a NUL
/// character, so it matches nothing, and the rule still runs on the part
/// that is configured (a Sigma placeholder without values would make the
/// rule inactive instead).
pub const MATCHES_NOTHING: &str = "\u{0}(not configured)";

impl Guarded {
    /// The placeholders this configuration defines.
    pub fn placeholders(&self) -> Placeholders {
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let mut p = Placeholders::new();
        if let Some(b) = given(&self.log_bucket) {
            p.set(LOG_BUCKET, [bucket_name(&b)]);
        }
        if let Some(t) = given(&self.trail_name) {
            p.set(TRAIL_NAME, [trail_of(&t)]);
        }
        if let Some(k) = given(&self.kms_key) {
            p.set(KMS_KEY, key_forms(&k));
        }
        if let Some(g) = given(&self.log_group).map(|g| log_group_name(&g).to_string()) {
            if !g.is_empty() {
                p.set(LOG_GROUP, [g]);
            }
        }
        let stack = given(&self.stack_name);
        let mut resources: Vec<String> = Vec::new();
        for r in &self.stack_resources {
            for form in resource_forms(r) {
                if !resources.contains(&form) {
                    resources.push(form);
                }
            }
        }
        if stack.is_some() || !resources.is_empty() {
            p.set(
                STACK_NAME,
                [stack.unwrap_or_else(|| MATCHES_NOTHING.into())],
            );
            if resources.is_empty() {
                resources.push(MATCHES_NOTHING.into());
            }
            p.set(STACK_RESOURCE, resources);
        }
        p
    }
}

/// The forms of one of trailguard's resources that requests name it by:
/// the value as given (a name, an ARN or a queue URL) and the name inside
/// it, which is what Lambda (`functionName`), IAM (`roleName`),
/// EventBridge (`name`, `rule`) and CloudWatch Logs (`logGroupName`)
/// requests carry:
///
/// - `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`: NAME;
/// - `arn:…:function:NAME[:QUALIFIER]`: NAME;
/// - `arn:…:log-group:NAME[:*]`: NAME;
/// - `arn:…:alarm:NAME`: NAME;
/// - `arn:…:TYPE/…/NAME` (roles, rules, Chatbot channels): NAME;
/// - `arn:…:NAME` (topics, queues): NAME.
///
/// ARN formats: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html>.
pub fn resource_forms(value: &str) -> Vec<String> {
    let v = value.trim();
    if v.is_empty() {
        return Vec::new();
    }
    let name = if v.starts_with("https://") {
        v.trim_end_matches('/').rsplit('/').next().unwrap_or(v)
    } else if v.starts_with("arn:") {
        match v.splitn(6, ':').nth(5) {
            None => v,
            Some(res) => {
                if let Some(f) = res.strip_prefix("function:") {
                    f.split(':').next().unwrap_or(f)
                } else if let Some(g) = res.strip_prefix("log-group:") {
                    g.strip_suffix(":*").unwrap_or(g)
                } else if let Some(a) = res.strip_prefix("alarm:") {
                    a
                } else {
                    res.rsplit('/').next().unwrap_or(res)
                }
            }
        }
    } else {
        v
    };
    let mut out = vec![v.to_string()];
    if !name.is_empty() && name != v {
        out.push(name.to_string());
    }
    out
}

/// The group name in a name or a log group ARN.
fn log_group_name(value: &str) -> &str {
    let v = value.trim();
    match v.split_once(":log-group:") {
        Some((_, rest)) => rest.strip_suffix(":*").unwrap_or(rest),
        None => v,
    }
}

/// The bucket name in a name, an `s3://` URL or an S3 ARN.
fn bucket_name(value: &str) -> &str {
    let v = value.trim();
    let v = v.strip_prefix("s3://").unwrap_or(v);
    let v = match v.strip_prefix("arn:") {
        Some(rest) => rest.split_once(":s3:::").map_or(v, |(_, b)| b),
        None => v,
    };
    v.split('/').next().unwrap_or_default()
}

/// The trail name in a name or a trail ARN.
fn trail_of(value: &str) -> &str {
    let v = value.trim();
    v.rsplit_once(":trail/").map_or(v, |(_, name)| name)
}

/// A key ARN and its key ID; an alias ARN and `alias/NAME`; or the value.
fn key_forms(value: &str) -> Vec<String> {
    let v = value.trim();
    let mut out = vec![v.to_string()];
    if v.starts_with("arn:") {
        if let Some((_, id)) = v.rsplit_once(":key/") {
            out.push(id.to_string());
        } else if let Some((_, alias)) = v.rsplit_once(":alias/") {
            out.push(format!("alias/{alias}"));
        }
    }
    out
}

#[cfg(test)]
#[path = "builtin_tests.rs"]
mod tests;
