//! Tests of the built-in rules: they load, placeholders turn them on and
//! off, every rule has a record that fires it and a near miss that does
//! not (with the exact set of built-ins each record fires, so overlaps are
//! deliberate and visible), an ordinary day stays under the default floor,
//! and they live beside the SigmaHQ CloudTrail rules without id clashes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::{json, Value};

use super::*;
use crate::detect::{Level, RuleSet};

const ACCOUNT: &str = "111122223333";
const OTHER_ACCOUNT: &str = "444455556666";
const LOG_BUCKET_NAME: &str = "acme-org-cloudtrail-logs";
const TRAIL_ARN: &str = "arn:aws:cloudtrail:us-east-1:111122223333:trail/acme-org-trail";
const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
const KEY_ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const APP_KEY_ARN: &str =
    "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321";

/// trailguard's own stack, as the template names it.
const STACK: &str = "trailguard-prod";

/// The placeholders of the trail's bucket, name and key, each optional.
fn placeholders(bucket: Option<&str>, trail: Option<&str>, key: Option<&str>) -> Placeholders {
    Guarded {
        log_bucket: bucket.map(str::to_string),
        trail_name: trail.map(str::to_string),
        kms_key: key.map(str::to_string),
        ..Guarded::default()
    }
    .placeholders()
}

/// A fully configured deployment, as the template configures the router.
fn guarded() -> Guarded {
    Guarded {
        log_bucket: Some(LOG_BUCKET_NAME.into()),
        trail_name: Some(TRAIL_ARN.into()),
        kms_key: Some(KEY_ARN.into()),
        stack_name: Some(STACK.into()),
        log_group: Some(TRAIL_LOG_GROUP_ARN.into()),
        stack_resources: Vec::new(),
    }
}

/// The placeholders of a fully configured deployment.
fn configured() -> Placeholders {
    guarded().placeholders()
}

/// The trail's CloudWatch Logs group as the template creates it, by ARN.
const TRAIL_LOG_GROUP_ARN: &str =
    "arn:aws:logs:us-east-1:111122223333:log-group:/aws/cloudtrail/trailguard-prod:*";

fn log_group_only() -> Placeholders {
    Guarded {
        log_group: Some("/aws/cloudtrail/trailguard-prod".into()),
        ..Guarded::default()
    }
    .placeholders()
}

fn stack_only() -> Placeholders {
    Guarded {
        stack_name: Some(STACK.into()),
        ..Guarded::default()
    }
    .placeholders()
}

fn loaded(ph: &Placeholders) -> BuiltinRules {
    match load(ph) {
        Ok(b) => b,
        Err(e) => panic!("built-ins should load: {e}"),
    }
}

fn all_rules() -> RuleSet {
    RuleSet::new(loaded(&configured()).rules).unwrap()
}

/// A rule's short name: its file name without `builtin/` and `.yml`.
fn stem(origin: &str) -> &str {
    origin
        .strip_prefix("builtin/")
        .and_then(|o| o.strip_suffix(".yml"))
        .unwrap_or(origin)
}

fn all_stems() -> BTreeSet<&'static str> {
    sources().iter().map(|(o, _)| stem(o)).collect()
}

/// The built-ins `record` fires, by short name.
fn fired<'a>(set: &'a RuleSet, record: &Value) -> BTreeSet<&'a str> {
    set.evaluate(record)
        .iter()
        .map(|r| stem(&r.origin))
        .collect()
}

// ------------------------------------------------------------ load

#[test]
fn every_builtin_loads_with_all_placeholders_set() {
    let b = loaded(&configured());
    assert!(b.inactive.is_empty(), "{:?}", b.inactive);
    assert_eq!(b.rules.len(), sources().len());
    let set = RuleSet::new(b.rules).unwrap();
    // Everything is indexed by eventName except the two CIS rules that
    // look at every call (root use, refused calls) and the two Lambda
    // rules, whose versioned event names (DeleteFunction20150331...) they
    // match by prefix: indexed by eventSource.
    let summary = set.index_summary();
    assert_eq!(summary.unindexed, 2, "{summary:?}");
    assert_eq!(summary.by_event_source, 2, "{summary:?}");
    assert_eq!(summary.by_event_name, sources().len() - 4, "{summary:?}");
    for r in set.rules() {
        assert!(r.origin.starts_with("builtin/") && r.origin.ends_with(".yml"));
    }
}

/// The rules that need each variable.
/// The reason a stack rule gives when neither its name nor its resources
/// are configured.
const STACK_VARIABLES: &str = "TRAILGUARD_STACK_NAME or TRAILGUARD_STACK_RESOURCES";

fn needing() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    let mut m: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    m.entry("TRAILGUARD_TRAIL_NAME").or_default().extend([
        "trail_logging_stopped_or_deleted",
        "trail_configuration_changed",
        "trail_tampering_failed",
    ]);
    m.entry("TRAILGUARD_LOG_BUCKET").or_default().extend([
        "log_bucket_deleted_or_policy_changed",
        "log_bucket_configuration_changed",
        "log_bucket_objects_deleted",
        "log_bucket_tampering_failed",
        "log_bucket_notifications_changed",
    ]);
    m.entry("TRAILGUARD_KMS_KEY_ARN").or_default().extend([
        "trail_kms_key_disabled_or_deleted",
        "trail_kms_key_policy_changed",
        "trail_kms_key_tampering_failed",
        "trail_kms_key_grant_created",
    ]);
    m.entry("TRAILGUARD_LOG_GROUP")
        .or_default()
        .extend(["trail_log_group_feed_cut"]);
    m.entry(STACK_VARIABLES).or_default().extend([
        "trailguard_function_cut",
        "trailguard_function_concurrency_changed",
        "trailguard_trigger_cut",
        "trailguard_queue_cut",
        "trailguard_function_logs_deleted",
        "trailguard_notifications_cut",
        "trailguard_alarms_cut",
        "trailguard_role_changed",
        "trailguard_chat_channel_cut",
        "trailguard_stack_changed",
    ]);
    m
}

#[test]
fn without_configuration_exactly_the_placeholder_rules_are_inactive() {
    let b = loaded(&Placeholders::new());
    let by_id: BTreeMap<String, &str> = sources()
        .iter()
        .map(|(o, y)| {
            (
                Rule::from_yaml_with(y, o, &configured()).unwrap().id,
                stem(o),
            )
        })
        .collect();
    let mut inactive: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for (id, title, reason) in &b.inactive {
        assert!(!title.is_empty());
        let var = reason
            .strip_prefix("needs ")
            .unwrap_or_else(|| panic!("{reason}"));
        inactive
            .entry(var.to_string())
            .or_default()
            .insert(by_id[id]);
    }
    let want: BTreeMap<String, BTreeSet<&str>> = needing()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    assert_eq!(inactive, want);
    let placeholder_rules: usize = needing().values().map(BTreeSet::len).sum();
    assert_eq!(b.rules.len() + placeholder_rules, sources().len());
    // The titles are the rules' own.
    let t = b
        .inactive
        .iter()
        .find(|(_, t, _)| t == "Guarded Trail Stopped or Deleted")
        .unwrap();
    assert_eq!(t.2, "needs TRAILGUARD_TRAIL_NAME");
}

#[test]
fn each_variable_turns_on_exactly_its_rules() {
    let resources_only = Guarded {
        stack_resources: vec!["tg-Validator-1".into()],
        ..Guarded::default()
    }
    .placeholders();
    let cases: [(&str, Placeholders); 6] = [
        (
            "TRAILGUARD_TRAIL_NAME",
            placeholders(None, Some("acme-org-trail"), None),
        ),
        (
            "TRAILGUARD_LOG_BUCKET",
            placeholders(Some(LOG_BUCKET_NAME), None, None),
        ),
        (
            "TRAILGUARD_KMS_KEY_ARN",
            placeholders(None, None, Some(KEY_ARN)),
        ),
        (STACK_VARIABLES, stack_only()),
        (STACK_VARIABLES, resources_only),
        ("TRAILGUARD_LOG_GROUP", log_group_only()),
    ];
    let none = loaded(&Placeholders::new()).rules.len();
    for (var, ph) in cases {
        let b = loaded(&ph);
        let on: BTreeSet<&str> = b.rules.iter().map(|r| stem(&r.origin)).collect();
        for (v, stems) in needing() {
            for s in stems {
                assert_eq!(on.contains(s), v == var, "{var}: {s}");
            }
        }
        assert_eq!(b.rules.len(), none + needing()[var].len());
        assert!(b.inactive.iter().all(|(_, _, why)| !why.contains(var)));
    }
}

#[test]
fn a_rule_needing_two_placeholders_names_both_and_other_errors_stand() {
    // Through the loader's helper, with a rule of our own.
    let yaml = "title: Two\nid: 9f6c3a55-0000-4000-8000-000000000002\nlevel: high\n\
                logsource: {product: aws, service: cloudtrail}\n\
                detection:\n  a:\n    requestParameters.bucketName|expand: '%log_bucket%'\n  \
                b:\n    requestParameters.keyId|expand: '%kms_key%'\n  condition: a or b\n";
    let first = Rule::from_yaml_with(yaml, "two.yml", &Placeholders::new()).unwrap_err();
    let (rule, missing) = needs(yaml, "two.yml", &Placeholders::new(), first).unwrap();
    assert_eq!(rule.title, "Two");
    assert_eq!(missing, ["log_bucket", "kms_key"]);
    assert_eq!(
        describe(&missing),
        "TRAILGUARD_LOG_BUCKET and TRAILGUARD_KMS_KEY_ARN"
    );
    assert_eq!(describe(&["custom".to_string()]), "placeholder %custom%");
    // A rule that also has a real defect is an error, not inactive.
    let broken = yaml.replace("condition: a or b", "condition: a or c");
    let first = Rule::from_yaml_with(&broken, "two.yml", &Placeholders::new()).unwrap_err();
    let e = needs(&broken, "two.yml", &Placeholders::new(), first).unwrap_err();
    assert!(matches!(&*e.kind, RuleErrorKind::Condition { .. }), "{e}");
}

#[test]
fn placeholders_derive_every_form_from_configuration() {
    let p = placeholders(
        Some(" s3://acme-org-cloudtrail-logs/AWSLogs/ "),
        Some(TRAIL_ARN),
        Some(KEY_ARN),
    );
    let get = |n: &str| p.get(n).map(<[String]>::to_vec).unwrap_or_default();
    assert_eq!(get(LOG_BUCKET), [LOG_BUCKET_NAME]);
    assert_eq!(get(TRAIL_NAME), ["acme-org-trail"]);
    assert_eq!(get(KMS_KEY), [KEY_ARN, KEY_ID]);
    let p = placeholders(
        Some("arn:aws-us-gov:s3:::gov-logs"),
        Some("plain-trail"),
        Some(KEY_ID),
    );
    assert_eq!(p.get(LOG_BUCKET).unwrap(), ["gov-logs"]);
    assert_eq!(p.get(TRAIL_NAME).unwrap(), ["plain-trail"]);
    assert_eq!(p.get(KMS_KEY).unwrap(), [KEY_ID]);
    let p = placeholders(
        Some("plain-bucket"),
        None,
        Some("arn:aws:kms:us-east-1:111122223333:alias/trail-key"),
    );
    assert_eq!(p.get(LOG_BUCKET).unwrap(), ["plain-bucket"]);
    assert_eq!(p.get(TRAIL_NAME), None);
    assert_eq!(
        p.get(KMS_KEY).unwrap(),
        [
            "arn:aws:kms:us-east-1:111122223333:alias/trail-key",
            "alias/trail-key"
        ]
    );
    // Blank values define nothing.
    assert!(placeholders(Some(" "), Some(""), Some("  ")).is_empty());
    assert!(placeholders(None, None, None).is_empty());
    assert_eq!(
        config_variable("%log_bucket%"),
        Some("TRAILGUARD_LOG_BUCKET")
    );
    assert_eq!(config_variable("nope"), None);
    // The variables are the ones the configuration reads.
    assert_eq!(config_variable(LOG_BUCKET), Some(crate::config::LOG_BUCKET));
    assert_eq!(config_variable(TRAIL_NAME), Some(crate::config::TRAIL_NAME));
    assert_eq!(config_variable(KMS_KEY), Some(crate::config::KMS_KEY_ARN));
    assert_eq!(config_variable(STACK_NAME), Some(crate::config::STACK_NAME));
    assert_eq!(config_variable(LOG_GROUP), Some(crate::config::LOG_GROUP));
    // The log group by name or ARN (with or without `:*`).
    for form in [
        TRAIL_LOG_GROUP_ARN,
        "arn:aws:logs:us-east-1:111122223333:log-group:/aws/cloudtrail/trailguard-prod",
        " /aws/cloudtrail/trailguard-prod ",
    ] {
        let p = Guarded {
            log_group: Some(form.into()),
            ..Guarded::default()
        }
        .placeholders();
        assert_eq!(
            p.get(LOG_GROUP).unwrap(),
            ["/aws/cloudtrail/trailguard-prod"],
            "{form}"
        );
    }
    // trailguard's own stack: set when given, trimmed, blank is nothing;
    // either the name or the resources turn the stack rules on, the other
    // placeholder then matching nothing.
    let stack = |name: Option<&str>, resources: &[&str]| {
        Guarded {
            stack_name: name.map(str::to_string),
            stack_resources: resources.iter().map(|r| r.to_string()).collect(),
            ..Guarded::default()
        }
        .placeholders()
    };
    let p = stack(Some(" trailguard-prod "), &[]);
    assert_eq!(p.get(STACK_NAME).unwrap(), ["trailguard-prod"]);
    assert_eq!(p.get(STACK_RESOURCE).unwrap(), [MATCHES_NOTHING]);
    assert!(stack(Some("  "), &[" "]).is_empty());
    assert!(stack(None, &[]).is_empty());
    let p = stack(None, &["tg-IntegrityValidatorFunction-x1"]);
    assert_eq!(p.get(STACK_NAME).unwrap(), [MATCHES_NOTHING]);
    assert_eq!(
        p.get(STACK_RESOURCE).unwrap(),
        ["tg-IntegrityValidatorFunction-x1"]
    );
    assert_eq!(
        config_variable(STACK_RESOURCE),
        Some(crate::config::STACK_RESOURCES)
    );
}

#[test]
fn a_resource_is_matched_by_the_value_given_and_the_name_inside_it() {
    let cases: &[(&str, &[&str])] = &[
        ("plain-name", &["plain-name"]),
        (
            " arn:aws:lambda:us-east-1:111122223333:function:tg-Validator-AB12 ",
            &[
                "arn:aws:lambda:us-east-1:111122223333:function:tg-Validator-AB12",
                "tg-Validator-AB12",
            ],
        ),
        (
            "arn:aws:lambda:us-east-1:111122223333:function:tg-Validator-AB12:live",
            &[
                "arn:aws:lambda:us-east-1:111122223333:function:tg-Validator-AB12:live",
                "tg-Validator-AB12",
            ],
        ),
        (
            "https://sqs.us-east-1.amazonaws.com/111122223333/tg-ValidatorQueue-XY",
            &[
                "https://sqs.us-east-1.amazonaws.com/111122223333/tg-ValidatorQueue-XY",
                "tg-ValidatorQueue-XY",
            ],
        ),
        (
            "arn:aws:sqs:us-east-1:111122223333:tg-ValidatorQueue-XY",
            &[
                "arn:aws:sqs:us-east-1:111122223333:tg-ValidatorQueue-XY",
                "tg-ValidatorQueue-XY",
            ],
        ),
        (
            "arn:aws:iam::111122223333:role/service/tg-RouterRole-9Q",
            &[
                "arn:aws:iam::111122223333:role/service/tg-RouterRole-9Q",
                "tg-RouterRole-9Q",
            ],
        ),
        (
            "arn:aws:events:us-east-1:111122223333:rule/tg-LogBucketEventsRule-7",
            &[
                "arn:aws:events:us-east-1:111122223333:rule/tg-LogBucketEventsRule-7",
                "tg-LogBucketEventsRule-7",
            ],
        ),
        (
            "arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/tg/router:*",
            &[
                "arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/tg/router:*",
                "/aws/lambda/tg/router",
            ],
        ),
        (
            "arn:aws:cloudwatch:us-east-1:111122223333:alarm:tg-router-errors",
            &[
                "arn:aws:cloudwatch:us-east-1:111122223333:alarm:tg-router-errors",
                "tg-router-errors",
            ],
        ),
        (
            "arn:aws:chatbot::111122223333:chat-configuration/slack-channel/tg-alerts",
            &[
                "arn:aws:chatbot::111122223333:chat-configuration/slack-channel/tg-alerts",
                "tg-alerts",
            ],
        ),
        ("", &[]),
        ("  ", &[]),
    ];
    for (value, want) in cases {
        assert_eq!(resource_forms(value), *want, "{value:?}");
    }
    // Forms are kept once, in order.
    let p = Guarded {
        stack_resources: vec![
            "arn:aws:sqs:us-east-1:111122223333:q".into(),
            "https://sqs.us-east-1.amazonaws.com/111122223333/q".into(),
        ],
        ..Guarded::default()
    }
    .placeholders();
    assert_eq!(
        p.get(STACK_RESOURCE).unwrap(),
        [
            "arn:aws:sqs:us-east-1:111122223333:q",
            "q",
            "https://sqs.us-east-1.amazonaws.com/111122223333/q"
        ]
    );
}

#[test]
fn a_trail_configured_by_name_matches_requests_by_name_or_arn() {
    let set =
        RuleSet::new(loaded(&placeholders(None, Some("acme-org-trail"), None)).rules).unwrap();
    for name in [
        "acme-org-trail",
        TRAIL_ARN,
        "arn:aws:cloudtrail:eu-west-1:111122223333:trail/acme-org-trail",
    ] {
        let r = call(
            "cloudtrail.amazonaws.com",
            "StopLogging",
            user("alice"),
            json!({"name": name}),
        );
        assert!(
            fired(&set, &r).contains("trail_logging_stopped_or_deleted"),
            "{name}"
        );
    }
    let r = call(
        "cloudtrail.amazonaws.com",
        "StopLogging",
        user("alice"),
        json!({"name": "arn:aws:cloudtrail:us-east-1:111122223333:trail/acme-org-trail-2"}),
    );
    assert!(!fired(&set, &r).contains("trail_logging_stopped_or_deleted"));
}

#[test]
fn a_key_configured_by_id_matches_requests_by_id_or_arn() {
    let set = RuleSet::new(loaded(&placeholders(None, None, Some(KEY_ID))).rules).unwrap();
    let by_arn = call(
        "kms.amazonaws.com",
        "DisableKey",
        user("alice"),
        json!({"keyId": KEY_ARN}),
    );
    let by_alias = set_fields(
        call(
            "kms.amazonaws.com",
            "DisableKey",
            user("alice"),
            json!({"keyId": "alias/cloudtrail"}),
        ),
        json!({"resources": [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": KEY_ARN}]}),
    );
    for r in [by_arn, by_alias] {
        assert!(
            fired(&set, &r).contains("trail_kms_key_disabled_or_deleted"),
            "{r}"
        );
    }
}

// ------------------------------------------------------- rule metadata

/// The severity of every built-in: the policy in one place (a normal day
/// stays under `medium`).
const LEVELS: &[(&str, Level)] = &[
    ("cis_root_account_usage", Level::High),
    ("cis_unauthorized_api_calls", Level::Low),
    ("cis_console_login_without_mfa", Level::High),
    ("cis_iam_policy_changes", Level::Low),
    ("cis_cloudtrail_config_changes", Level::Low),
    ("cis_console_authentication_failures", Level::Low),
    ("cis_kms_key_disabled_or_scheduled_deletion", Level::Medium),
    ("cis_s3_bucket_policy_changes", Level::Low),
    ("cis_config_changes", Level::Low),
    ("cis_security_group_changes", Level::Low),
    ("cis_nacl_changes", Level::Low),
    ("cis_network_gateway_changes", Level::Low),
    ("cis_route_table_changes", Level::Low),
    ("cis_vpc_changes", Level::Low),
    ("cis_organizations_changes", Level::Low),
    ("trail_logging_stopped_or_deleted", Level::Critical),
    ("trail_configuration_changed", Level::High),
    ("trail_tampering_failed", Level::Medium),
    ("cloudtrail_logging_stopped_any_trail", Level::High),
    ("log_bucket_deleted_or_policy_changed", Level::Critical),
    ("log_bucket_configuration_changed", Level::High),
    ("log_bucket_objects_deleted", Level::Critical),
    ("log_bucket_tampering_failed", Level::Medium),
    ("trail_kms_key_disabled_or_deleted", Level::Critical),
    ("trail_kms_key_policy_changed", Level::High),
    ("trail_kms_key_tampering_failed", Level::Medium),
    ("cloudtrail_event_selectors_narrowed", Level::Medium),
    ("trailguard_function_cut", Level::High),
    ("trailguard_function_concurrency_changed", Level::Medium),
    ("trailguard_trigger_cut", Level::High),
    ("trailguard_queue_cut", Level::High),
    ("trailguard_function_logs_deleted", Level::High),
    ("trail_log_group_feed_cut", Level::High),
    ("trailguard_notifications_cut", Level::High),
    ("trailguard_alarms_cut", Level::High),
    ("trailguard_role_changed", Level::High),
    ("trailguard_chat_channel_cut", Level::High),
    ("trailguard_stack_changed", Level::Medium),
    ("log_bucket_notifications_changed", Level::High),
    ("trail_kms_key_grant_created", Level::High),
    ("cloudtrail_log_objects_deleted_any_bucket", Level::High),
    ("cloudtrail_log_bucket_versioning_suspended", Level::High),
    ("s3_bucket_versioning_suspended", Level::Low),
    ("iam_admin_policy_attached", Level::High),
    ("iam_policy_allows_all_actions", Level::High),
    ("iam_credentials_for_other_user", Level::High),
    ("iam_role_trust_policy_changed", Level::Medium),
    ("ec2_snapshot_shared", Level::High),
    ("ec2_ami_made_public", Level::High),
    ("ec2_ami_shared_with_account", Level::Low),
    ("rds_snapshot_shared", Level::High),
    ("s3_bucket_policy_public", Level::High),
    ("s3_acl_public", Level::High),
    ("s3_public_access_block_weakened", Level::High),
    ("guardduty_disabled", Level::High),
    ("config_recording_stopped", Level::High),
    ("securityhub_disabled", Level::High),
    ("vpc_flow_logs_deleted", Level::High),
    ("organizations_guardrails_removed", Level::High),
];

#[test]
fn every_rule_file_is_built_in_once_with_complete_metadata() {
    // The table and the folder agree.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules/builtin");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut table: Vec<String> = sources()
        .iter()
        .map(|(o, _)| o.strip_prefix("builtin/").unwrap().to_string())
        .collect();
    table.sort();
    assert_eq!(
        table, on_disk,
        "shared/rules/builtin and builtin::RULES differ"
    );
    let levels: BTreeMap<&str, Level> = LEVELS.iter().copied().collect();
    assert_eq!(levels.len(), LEVELS.len());
    assert_eq!(
        levels.keys().copied().collect::<BTreeSet<_>>(),
        all_stems(),
        "LEVELS must name every built-in"
    );
    let mut ids = BTreeSet::new();
    for r in loaded(&configured()).rules {
        let s = stem(&r.origin);
        assert_eq!(r.level, levels[s], "{s}");
        assert!(ids.insert(r.id.clone()), "{s}: duplicate id");
        // A version-4 UUID, lowercase.
        let parts: Vec<&str> = r.id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12],
            "{s}: {}",
            r.id
        );
        assert!(r
            .id
            .bytes()
            .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert!(parts[2].starts_with('4'), "{s}: not a v4 UUID");
        assert!(
            r.description.as_deref().is_some_and(|d| d.len() > 150),
            "{s}: description"
        );
        assert!(!r.references.is_empty(), "{s}: references");
        assert!(
            r.references.iter().all(|u| u.starts_with("https://")),
            "{s}"
        );
        assert!(!r.falsepositives.is_empty(), "{s}: falsepositives");
        assert_eq!(r.author.as_deref(), Some("trailguard"), "{s}");
        assert!(r.date.is_some() && r.status.is_some(), "{s}");
        assert!(
            r.tags.iter().any(|t| t.starts_with("attack.t")),
            "{s}: technique tag"
        );
        assert!(
            r.tags
                .iter()
                .all(|t| t.starts_with("attack.") || t.starts_with("cis.aws.")),
            "{s}: {:?}",
            r.tags
        );
        let cis = r.tags.iter().any(|t| t.starts_with("cis.aws.4."));
        assert_eq!(cis, s.starts_with("cis_"), "{s}: CIS tag");
        assert!(!r.title.is_empty());
    }
    assert_eq!(ids.len(), sources().len());
}

// ----------------------------------------------------------- records

fn user(name: &str) -> Value {
    json!({
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLEUSER00001",
        "arn": format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
        "accountId": ACCOUNT,
        "accessKeyId": "AKIAEXAMPLEKEY000001",
        "userName": name
    })
}

fn role(role: &str, session: &str) -> Value {
    json!({
        "type": "AssumedRole",
        "principalId": format!("AROAEXAMPLEROLE00001:{session}"),
        "arn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}"),
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLESESSION01",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEROLE00001",
                "arn": format!("arn:aws:iam::{ACCOUNT}:role/{role}"),
                "accountId": ACCOUNT,
                "userName": role
            },
            "webIdFederationData": {},
            "attributes": {
                "creationDate": "2026-11-20T13:58:02Z",
                "mfaAuthenticated": "false"
            }
        }
    })
}

fn root() -> Value {
    json!({
        "type": "Root",
        "principalId": ACCOUNT,
        "arn": format!("arn:aws:iam::{ACCOUNT}:root"),
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLEROOT00001"
    })
}

fn aws_service(service: &str) -> Value {
    json!({"type": "AWSService", "invokedBy": service})
}

/// A management-event record of a call, with every envelope field.
fn call(source: &str, name: &str, who: Value, params: Value) -> Value {
    let read_only = ["Describe", "Get", "List", "Head", "Lookup"]
        .iter()
        .any(|p| name.starts_with(p));
    json!({
        "eventVersion": "1.10",
        "userIdentity": who,
        "eventTime": "2026-11-20T14:03:11Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.23",
        "userAgent": "aws-cli/2.22.4 md/awscrt#0.23.4 ua/2.0 os/linux#6.8.0-49-generic md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard",
        "requestParameters": params,
        "responseElements": null,
        "requestID": "8f1c3a52-1d4e-4b0a-9c57-2e6f0d9b7a11",
        "eventID": "4d3b2f6e-8a1c-4e5d-9f7b-0c2a6e8d1b33",
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": format!("{}", source)
        }
    })
}

/// Sets (or replaces) top-level fields of a record.
fn set_fields(mut rec: Value, extra: Value) -> Value {
    if let (Some(obj), Value::Object(extra)) = (rec.as_object_mut(), extra) {
        for (k, v) in extra {
            obj.insert(k, v);
        }
    }
    rec
}

fn failed(rec: Value, code: &str, message: &str) -> Value {
    set_fields(rec, json!({"errorCode": code, "errorMessage": message}))
}

fn access_denied(rec: Value) -> Value {
    let name = rec["eventName"].as_str().unwrap_or_default().to_string();
    failed(
        rec,
        "AccessDenied",
        &format!("User is not authorized to perform: {name} with an explicit deny"),
    )
}

/// An S3 call; data events (object-level) carry resources and are not
/// management events.
fn s3(name: &str, who: Value, bucket: &str, key: Option<&str>, extra: Value) -> Value {
    let mut params =
        json!({"bucketName": bucket, "Host": format!("{bucket}.s3.us-east-1.amazonaws.com")});
    if let Some(k) = key {
        params["key"] = json!(k);
    }
    if let (Some(p), Value::Object(extra)) = (params.as_object_mut(), extra) {
        for (k, v) in extra {
            p.insert(k, v);
        }
    }
    let rec = call("s3.amazonaws.com", name, who, params);
    let mut resources = vec![
        json!({"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}),
    ];
    let data = key.is_some() || name == "DeleteObjects";
    if let Some(k) = key {
        resources.insert(
            0,
            json!({"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{bucket}/{k}")}),
        );
    } else if name == "DeleteObjects" {
        // S3 logs no keys for a bulk delete, only the bucket's prefix
        // (S3 User Guide, "Logging Amazon S3 API calls using AWS
        // CloudTrail": "CloudTrail does not log key names for the keys that
        // are deleted using the Delete Multiple Objects operation").
        resources.insert(
            0,
            json!({"type": "AWS::S3::Object", "ARNPrefix": format!("arn:aws:s3:::{bucket}/")}),
        );
    }
    set_fields(
        rec,
        json!({
            "resources": resources,
            "managementEvent": !data,
            "eventCategory": if data { "Data" } else { "Management" },
            "additionalEventData": {
                "SignatureVersion": "SigV4",
                "CipherSuite": "TLS_AES_128_GCM_SHA256",
                "bytesTransferredIn": 0,
                "AuthenticationMethod": "AuthHeader",
                "x-amz-id-2": "Yk9oZXhhbXBsZQ==",
                "bytesTransferredOut": 0
            }
        }),
    )
}

fn kms(name: &str, who: Value, key_id: &str, key_arn: &str, extra: Value) -> Value {
    let mut params = json!({"keyId": key_id});
    if let (Some(p), Value::Object(extra)) = (params.as_object_mut(), extra) {
        for (k, v) in extra {
            p.insert(k, v);
        }
    }
    set_fields(
        call("kms.amazonaws.com", name, who, params),
        json!({"resources": [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": key_arn}]}),
    )
}

fn console_login(who: Value, success: bool, mfa: bool) -> Value {
    let mut extra = json!({
        "eventType": "AwsConsoleSignIn",
        "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
        "responseElements": {"ConsoleLogin": if success { "Success" } else { "Failure" }},
        "additionalEventData": {
            "LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
            "MobileVersion": "No",
            "MFAUsed": if mfa { "Yes" } else { "No" }
        }
    });
    if mfa {
        extra["additionalEventData"]["MFAIdentifier"] =
            json!(format!("arn:aws:iam::{ACCOUNT}:mfa/authenticator"));
    }
    if !success {
        extra["errorMessage"] = json!("Failed authentication");
    }
    set_fields(
        call("signin.amazonaws.com", "ConsoleLogin", who, Value::Null),
        extra,
    )
}

fn bucket_policy(statements: Value) -> Value {
    json!({"bucketPolicy": {"Version": "2012-10-17", "Statement": statements}, "policy": [""]})
}

fn deny_insecure_transport(bucket: &str) -> Value {
    json!({
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    })
}

fn cloudtrail_write(bucket: &str) -> Value {
    json!({
        "Sid": "AWSCloudTrailWrite",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": format!("arn:aws:s3:::{bucket}/AWSLogs/{ACCOUNT}/*"),
        "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}
    })
}

fn iam(name: &str, who: Value, params: Value) -> Value {
    call("iam.amazonaws.com", name, who, params)
}

fn ec2(name: &str, who: Value, params: Value) -> Value {
    call("ec2.amazonaws.com", name, who, params)
}

// ------------------------------------------------------ fixture table

/// One record: the exact built-ins it fires, and the built-ins it is a
/// near miss of (a record built to resemble what they look for).
struct Case {
    name: &'static str,
    record: Value,
    fires: &'static [&'static str],
    near_miss_of: &'static [&'static str],
}

fn case(
    name: &'static str,
    record: Value,
    fires: &'static [&'static str],
    near_miss_of: &'static [&'static str],
) -> Case {
    Case {
        name,
        record,
        fires,
        near_miss_of,
    }
}

const ROOT: &str = "cis_root_account_usage";
const UNAUTH: &str = "cis_unauthorized_api_calls";
const CIS_IAM: &str = "cis_iam_policy_changes";
const CIS_TRAIL: &str = "cis_cloudtrail_config_changes";
const CIS_KMS: &str = "cis_kms_key_disabled_or_scheduled_deletion";
const CIS_S3: &str = "cis_s3_bucket_policy_changes";
const CIS_CONFIG: &str = "cis_config_changes";
const CIS_ORG: &str = "cis_organizations_changes";
const NARROWED: &str = "cloudtrail_event_selectors_narrowed";
const OWN_FUNCTION: &str = "trailguard_function_cut";
const OWN_TRIGGER: &str = "trailguard_trigger_cut";
const OWN_QUEUE: &str = "trailguard_queue_cut";
const OWN_LOGS: &str = "trailguard_function_logs_deleted";
const TRAIL_FEED: &str = "trail_log_group_feed_cut";
const OWN_TOPICS: &str = "trailguard_notifications_cut";
const OWN_ALARMS: &str = "trailguard_alarms_cut";
const OWN_ROLES: &str = "trailguard_role_changed";
const CT_DELETED: &str = "cloudtrail_log_objects_deleted_any_bucket";
const CT_VERSIONING: &str = "cloudtrail_log_bucket_versioning_suspended";
const VERSIONING: &str = "s3_bucket_versioning_suspended";

fn cases() -> Vec<Case> {
    let admin = || role("AdministratorAccess-SSO", "mallory@example.com");
    let dev = || role("developer", "dave@example.com");
    let app_bucket = "acme-app-artifacts";
    vec![
        // ------------------------------------------------ root
        case(
            "root signs in to the console with MFA",
            console_login(root(), true, true),
            &[ROOT],
            &["cis_console_login_without_mfa"],
        ),
        case(
            "root creates an access key for itself",
            iam("CreateAccessKey", root(), Value::Null),
            &[ROOT],
            &["iam_credentials_for_other_user"],
        ),
        case(
            "a service acting for the root user (invokedBy)",
            call(
                "support.amazonaws.com",
                "DescribeTrustedAdvisorChecks",
                set_fields(root(), json!({"invokedBy": "support.amazonaws.com"})),
                json!({"language": "en"}),
            ),
            &[],
            &[ROOT],
        ),
        case(
            "a service event about the root user",
            set_fields(
                call("signin.amazonaws.com", "PasswordRecoveryRequested", root(), Value::Null),
                json!({"eventType": "AwsServiceEvent", "responseElements": {"PasswordRecoveryRequested": "Success"}}),
            ),
            &[],
            &[ROOT],
        ),
        // ------------------------------------------------ refused calls
        case(
            "a developer's DescribeInstances refused",
            failed(
                ec2("DescribeInstances", dev(), json!({"instancesSet": {}, "filterSet": {}})),
                "Client.UnauthorizedOperation",
                "You are not authorized to perform this operation.",
            ),
            &[UNAUTH],
            &[],
        ),
        case(
            "GetObject refused on another team's bucket",
            access_denied(s3("GetObject", dev(), "acme-finance-exports", Some("2026/11/ledger.csv"), json!({}))),
            &[UNAUTH],
            &[],
        ),
        case(
            "HeadBucket refused (console probing)",
            access_denied(s3("HeadBucket", dev(), "acme-finance-exports", None, json!({}))),
            &[],
            &[UNAUTH],
        ),
        case(
            "log delivery refused",
            set_fields(
                access_denied(s3("PutObject", aws_service("delivery.logs.amazonaws.com"), app_bucket, Some("AWSLogs/x.gz"), json!({}))),
                json!({"sourceIPAddress": "delivery.logs.amazonaws.com"}),
            ),
            &[],
            &[UNAUTH],
        ),
        case(
            "a throttled call",
            failed(
                ec2("DescribeSnapshots", dev(), json!({"ownersSet": {"items": [{"owner": "self"}]}})),
                "Client.RequestLimitExceeded",
                "Request limit exceeded.",
            ),
            &[],
            &[UNAUTH],
        ),
        // ------------------------------------------------ console sign-in
        case(
            "an IAM user signs in without MFA",
            console_login(user("alice"), true, false),
            &["cis_console_login_without_mfa"],
            &[],
        ),
        case(
            "root signs in without MFA",
            console_login(root(), true, false),
            &["cis_console_login_without_mfa", ROOT],
            &[],
        ),
        case(
            "an IAM user signs in with MFA",
            console_login(user("alice"), true, true),
            &[],
            &["cis_console_login_without_mfa", "cis_console_authentication_failures"],
        ),
        case(
            "a SAML-federated sign-in (MFA at the identity provider)",
            set_fields(
                console_login(role("AdministratorAccess-SSO", "mallory@example.com"), true, false),
                json!({"additionalEventData": {"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No", "MFAUsed": "No", "SamlProviderArn": format!("arn:aws:iam::{ACCOUNT}:saml-provider/Okta")}}),
            ),
            &[],
            &["cis_console_login_without_mfa"],
        ),
        case(
            "an IAM user's sign-in fails",
            console_login(user("alice"), false, false),
            &["cis_console_authentication_failures"],
            &["cis_console_login_without_mfa"],
        ),
        case(
            "a root sign-in fails",
            console_login(root(), false, false),
            &["cis_console_authentication_failures", ROOT],
            &["cis_console_login_without_mfa"],
        ),
        // ------------------------------------------------ CIS change monitors
        case(
            "a managed policy detached from a role",
            iam("DetachRolePolicy", admin(), json!({"roleName": "batch-worker", "policyArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"})),
            &[CIS_IAM],
            &[],
        ),
        case(
            "a role's inline policy read",
            iam("GetRolePolicy", admin(), json!({"roleName": "batch-worker", "policyName": "s3-read"})),
            &[],
            &[CIS_IAM, "iam_policy_allows_all_actions"],
        ),
        case(
            "a trail created",
            call("cloudtrail.amazonaws.com", "CreateTrail", admin(), json!({"name": "data-events", "s3BucketName": "acme-data-events", "isMultiRegionTrail": true})),
            &[CIS_TRAIL],
            &[],
        ),
        case(
            "logging started on the guarded trail",
            call("cloudtrail.amazonaws.com", "StartLogging", admin(), json!({"name": TRAIL_ARN})),
            &[CIS_TRAIL],
            &["trail_logging_stopped_or_deleted", "cloudtrail_logging_stopped_any_trail"],
        ),
        case(
            "the guarded trail's status read",
            call("cloudtrail.amazonaws.com", "GetTrailStatus", role("trailguard-integrity-validator", "validator"), json!({"name": TRAIL_ARN})),
            &[],
            &[CIS_TRAIL, "trail_configuration_changed", "trail_tampering_failed"],
        ),
        case(
            "an application key disabled",
            kms("DisableKey", admin(), APP_KEY_ARN, APP_KEY_ARN, json!({})),
            &[CIS_KMS],
            &["trail_kms_key_disabled_or_deleted"],
        ),
        case(
            "an application key scheduled for deletion",
            kms("ScheduleKeyDeletion", admin(), "0987dcba-09fe-87dc-65ba-ab0987654321", APP_KEY_ARN, json!({"pendingWindowInDays": 30})),
            &[CIS_KMS],
            &["trail_kms_key_disabled_or_deleted"],
        ),
        case(
            "a key deletion cancelled",
            kms("CancelKeyDeletion", admin(), KEY_ID, KEY_ARN, json!({})),
            &[],
            &[CIS_KMS, "trail_kms_key_disabled_or_deleted", "trail_kms_key_tampering_failed"],
        ),
        case(
            "an application bucket's policy set (TLS only, one role)",
            s3("PutBucketPolicy", admin(), app_bucket, None, bucket_policy(json!([
                {"Sid": "AppRead", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:role/app")}, "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{app_bucket}/*")},
                deny_insecure_transport(app_bucket)
            ]))),
            &[CIS_S3],
            &["s3_bucket_policy_public", "log_bucket_deleted_or_policy_changed"],
        ),
        case(
            "an application bucket's lifecycle set",
            s3("PutBucketLifecycle", admin(), app_bucket, None, json!({"lifecycle": [""], "LifecycleConfiguration": {"Rule": {"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 7}}}})),
            &[CIS_S3],
            &["log_bucket_configuration_changed"],
        ),
        case(
            "a bucket policy read",
            s3("GetBucketPolicy", admin(), LOG_BUCKET_NAME, None, json!({"policy": [""]})),
            &[],
            &[CIS_S3, "log_bucket_deleted_or_policy_changed", "log_bucket_tampering_failed"],
        ),
        case(
            "the Config recorder reconfigured",
            call("config.amazonaws.com", "PutConfigurationRecorder", admin(), json!({"configurationRecorder": {"name": "default", "roleARN": format!("arn:aws:iam::{ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"), "recordingGroup": {"allSupported": true, "includeGlobalResourceTypes": true}}})),
            &[CIS_CONFIG],
            &["config_recording_stopped"],
        ),
        case(
            "the Config recorders listed",
            call("config.amazonaws.com", "DescribeConfigurationRecorders", admin(), json!({})),
            &[],
            &[CIS_CONFIG, "config_recording_stopped"],
        ),
        case(
            "a security group rule removed",
            ec2("RevokeSecurityGroupIngress", dev(), json!({"groupId": "sg-0a1b2c3d4e5f67890", "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipRanges": {"items": [{"cidrIp": "203.0.113.0/24"}]}}]}})),
            &["cis_security_group_changes"],
            &[],
        ),
        case(
            "security groups listed",
            ec2("DescribeSecurityGroups", dev(), json!({"securityGroupSet": {}, "filterSet": {}})),
            &[],
            &["cis_security_group_changes"],
        ),
        case(
            "a network ACL entry added",
            ec2("CreateNetworkAclEntry", admin(), json!({"networkAclId": "acl-0123456789abcdef0", "ruleNumber": 100, "egress": false, "ruleAction": "allow", "protocol": "6", "portRange": {"from": 443, "to": 443}, "cidrBlock": "0.0.0.0/0"})),
            &["cis_nacl_changes"],
            &[],
        ),
        case(
            "network ACLs listed",
            ec2("DescribeNetworkAcls", admin(), json!({"networkAclIdSet": {}, "filterSet": {}})),
            &[],
            &["cis_nacl_changes"],
        ),
        case(
            "an internet gateway attached",
            ec2("AttachInternetGateway", admin(), json!({"internetGatewayId": "igw-0123456789abcdef0", "vpcId": "vpc-0123456789abcdef0"})),
            &["cis_network_gateway_changes"],
            &[],
        ),
        case(
            "a NAT gateway created (not a CIS gateway event)",
            ec2("CreateNatGateway", admin(), json!({"CreateNatGatewayRequest": {"SubnetId": "subnet-0123456789abcdef0", "AllocationId": "eipalloc-0123456789abcdef0"}})),
            &[],
            &["cis_network_gateway_changes"],
        ),
        case(
            "a route added",
            ec2("CreateRoute", admin(), json!({"routeTableId": "rtb-0123456789abcdef0", "destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-0123456789abcdef0"})),
            &["cis_route_table_changes"],
            &[],
        ),
        case(
            "route tables listed",
            ec2("DescribeRouteTables", admin(), json!({"routeTableIdSet": {}, "filterSet": {}})),
            &[],
            &["cis_route_table_changes"],
        ),
        case(
            "a VPC peering requested to another account",
            ec2("CreateVpcPeeringConnection", admin(), json!({"vpcId": "vpc-0123456789abcdef0", "peerVpcId": "vpc-0fedcba9876543210", "peerOwnerId": OTHER_ACCOUNT})),
            &["cis_vpc_changes"],
            &[],
        ),
        case(
            "VPCs listed",
            ec2("DescribeVpcs", admin(), json!({"vpcSet": {}, "filterSet": {}})),
            &[],
            &["cis_vpc_changes"],
        ),
        case(
            "a service control policy attached",
            call("organizations.amazonaws.com", "AttachPolicy", admin(), json!({"policyId": "p-examplepolicyid111", "targetId": "ou-ab12-cdefgh34"})),
            &[CIS_ORG],
            &["organizations_guardrails_removed"],
        ),
        case(
            "a policy type enabled",
            call("organizations.amazonaws.com", "EnablePolicyType", admin(), json!({"rootId": "r-ab12", "policyType": "SERVICE_CONTROL_POLICY"})),
            &[CIS_ORG],
            &["organizations_guardrails_removed"],
        ),
        case(
            "accounts listed",
            call("organizations.amazonaws.com", "ListAccounts", admin(), Value::Null),
            &[],
            &[CIS_ORG],
        ),
        // ------------------------------------------------ the guarded trail
        case(
            "logging stopped on the guarded trail (by ARN)",
            call("cloudtrail.amazonaws.com", "StopLogging", user("alice"), json!({"name": TRAIL_ARN})),
            &["trail_logging_stopped_or_deleted", "cloudtrail_logging_stopped_any_trail", CIS_TRAIL],
            &[],
        ),
        case(
            "the guarded trail deleted by root (by name)",
            call("cloudtrail.amazonaws.com", "DeleteTrail", root(), json!({"name": "acme-org-trail"})),
            &["trail_logging_stopped_or_deleted", "cloudtrail_logging_stopped_any_trail", CIS_TRAIL, ROOT],
            &[],
        ),
        case(
            "logging stopped on another trail",
            call("cloudtrail.amazonaws.com", "StopLogging", admin(), json!({"name": "arn:aws:cloudtrail:us-east-1:111122223333:trail/acme-org-trail-test"})),
            &["cloudtrail_logging_stopped_any_trail", CIS_TRAIL],
            &["trail_logging_stopped_or_deleted"],
        ),
        case(
            "stopping the guarded trail refused",
            failed(
                call("cloudtrail.amazonaws.com", "StopLogging", dev(), json!({"name": TRAIL_ARN})),
                "AccessDenied",
                "User: arn:aws:sts::111122223333:assumed-role/developer/dave@example.com is not authorized to perform: cloudtrail:StopLogging",
            ),
            &["trail_tampering_failed", CIS_TRAIL, UNAUTH],
            &["trail_logging_stopped_or_deleted", "cloudtrail_logging_stopped_any_trail"],
        ),
        case(
            "the guarded trail updated",
            set_fields(
                call("cloudtrail.amazonaws.com", "UpdateTrail", admin(), json!({"name": "acme-org-trail", "s3BucketName": "attacker-controlled-bucket"})),
                json!({"responseElements": {"name": "acme-org-trail", "s3BucketName": "attacker-controlled-bucket", "trailARN": TRAIL_ARN, "isMultiRegionTrail": true, "logFileValidationEnabled": true}}),
            ),
            &["trail_configuration_changed", CIS_TRAIL],
            &[],
        ),
        case(
            "the guarded trail's event selectors replaced",
            call("cloudtrail.amazonaws.com", "PutEventSelectors", admin(), json!({"trailName": TRAIL_ARN, "eventSelectors": [{"readWriteType": "ReadOnly", "includeManagementEvents": true, "dataResources": []}]})),
            &["trail_configuration_changed", NARROWED],
            &[],
        ),
        case(
            "Insights selectors set on another trail",
            call("cloudtrail.amazonaws.com", "PutInsightSelectors", admin(), json!({"trailName": "data-events", "insightSelectors": [{"insightType": "ApiCallRateInsight"}]})),
            &[],
            &["trail_configuration_changed"],
        ),
        case(
            "the guarded trail's selectors rejected as invalid",
            failed(
                call("cloudtrail.amazonaws.com", "PutEventSelectors", admin(), json!({"trailName": "acme-org-trail", "eventSelectors": []})),
                "InvalidEventSelectorsException",
                "You must specify at least one event selector.",
            ),
            &["trail_tampering_failed"],
            &["trail_configuration_changed"],
        ),
        // ------------------------------------------------ the log bucket
        case(
            "the log bucket's policy replaced",
            s3("PutBucketPolicy", admin(), LOG_BUCKET_NAME, None, bucket_policy(json!([
                cloudtrail_write(LOG_BUCKET_NAME),
                deny_insecure_transport(LOG_BUCKET_NAME)
            ]))),
            &["log_bucket_deleted_or_policy_changed", CIS_S3],
            &["s3_bucket_policy_public"],
        ),
        case(
            "the log bucket deleted",
            s3("DeleteBucket", admin(), LOG_BUCKET_NAME, None, json!({})),
            &["log_bucket_deleted_or_policy_changed"],
            &[],
        ),
        case(
            "a bucket named like the log bucket gets a policy",
            s3("PutBucketPolicy", admin(), "acme-org-cloudtrail-logs-replica", None, bucket_policy(json!([cloudtrail_write("acme-org-cloudtrail-logs-replica")]))),
            &[CIS_S3],
            &["log_bucket_deleted_or_policy_changed"],
        ),
        case(
            "deleting the log bucket's policy refused",
            access_denied(s3("DeleteBucketPolicy", dev(), LOG_BUCKET_NAME, None, json!({"policy": [""]}))),
            &["log_bucket_tampering_failed", CIS_S3, UNAUTH],
            &["log_bucket_deleted_or_policy_changed"],
        ),
        case(
            "a one-day expiration set on the log bucket",
            s3("PutBucketLifecycle", admin(), LOG_BUCKET_NAME, None, json!({"lifecycle": [""], "LifecycleConfiguration": {"Rule": {"ID": "cleanup", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}}})),
            &["log_bucket_configuration_changed", CIS_S3],
            &[],
        ),
        case(
            "versioning suspended on the log bucket",
            s3("PutBucketVersioning", admin(), LOG_BUCKET_NAME, None, json!({"versioning": [""], "VersioningConfiguration": {"Status": "Suspended", "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}})),
            &["log_bucket_configuration_changed", CT_VERSIONING, VERSIONING],
            &[],
        ),
        case(
            "versioning suspended on an application bucket",
            s3("PutBucketVersioning", dev(), app_bucket, None, json!({"versioning": [""], "VersioningConfiguration": {"Status": "Suspended"}})),
            &[VERSIONING],
            &["log_bucket_configuration_changed", CT_VERSIONING],
        ),
        case(
            "log files deleted in bulk",
            s3("DeleteObjects", admin(), LOG_BUCKET_NAME, None, json!({"delete": "", "x-id": "DeleteObjects"})),
            &["log_bucket_objects_deleted", CT_DELETED],
            &[],
        ),
        case(
            "deleting a log file refused",
            access_denied(s3("DeleteObject", dev(), LOG_BUCKET_NAME, Some("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/f.json.gz"), json!({}))),
            &["log_bucket_tampering_failed", UNAUTH],
            &["log_bucket_objects_deleted"],
        ),
        case(
            "a build artifact deleted",
            s3("DeleteObject", dev(), app_bucket, Some("builds/1234/app.zip"), json!({})),
            &[],
            &["log_bucket_objects_deleted", CT_DELETED],
        ),
        case(
            "a log file read by the integrity validator",
            s3("GetObject", role("trailguard-integrity-validator", "validator"), LOG_BUCKET_NAME, Some("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/f.json.gz"), json!({})),
            &[],
            &["log_bucket_objects_deleted", "log_bucket_tampering_failed"],
        ),
        // ------------------------------------------------ any trail, any log bucket
        // Nothing configured names these trails and buckets. Shapes from
        // captured records: PutEventSelectors as Stratus Red Team's
        // detonation log of aws.defense-evasion.cloudtrail-event-selectors
        // (DataDog/stratus-red-team, docs/detonation-logs/, commit
        // 0381e8bd) and the console's advanced selectors
        // (Permiso-io-tools/CloudConsoleCartographer); S3 data events as
        // the S3 User Guide's CloudTrail examples.
        case(
            "Stratus Red Team narrows an unnamed trail to ReadOnly without management events",
            set_fields(
                call("cloudtrail.amazonaws.com", "PutEventSelectors", user("christophe"), json!({
                    "eventSelectors": [{
                        "dataResources": [{"type": "AWS::S3::Object", "values": []}, {"type": "AWS::Lambda::Function", "values": []}],
                        "excludeManagementEventSources": [],
                        "includeManagementEvents": false,
                        "readWriteType": "ReadOnly"
                    }],
                    "trailName": "stratus-red-team-ctes-trail-khlvciwdor"
                })),
                json!({"userAgent": "stratus-red-team_ce507fbd-078a-4e4c-975d-d80cb80df469",
                       "responseElements": {"eventSelectors": [{"dataResources": [{"type": "AWS::S3::Object", "values": []}, {"type": "AWS::Lambda::Function", "values": []}],
                           "excludeManagementEventSources": [], "includeManagementEvents": false, "readWriteType": "ReadOnly"}],
                           "trailARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/stratus-red-team-ctes-trail-khlvciwdor"}}),
            ),
            &[NARROWED],
            &["trail_configuration_changed"],
        ),
        case(
            "KMS and RDS Data API events excluded from another trail",
            call("cloudtrail.amazonaws.com", "PutEventSelectors", admin(), json!({"trailName": "org-audit", "eventSelectors": [{
                "readWriteType": "All", "includeManagementEvents": true,
                "excludeManagementEventSources": ["kms.amazonaws.com", "rdsdata.amazonaws.com"],
                "dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}]}]})),
            &[NARROWED],
            &[],
        ),
        case(
            "another trail's data events dropped (basic selectors, management only)",
            call("cloudtrail.amazonaws.com", "PutEventSelectors", admin(), json!({"trailName": "org-audit", "eventSelectors": [{
                "readWriteType": "All", "includeManagementEvents": true, "excludeManagementEventSources": [], "dataResources": []}]})),
            &[NARROWED],
            &[],
        ),
        case(
            "another trail's basic selectors record everything",
            call("cloudtrail.amazonaws.com", "PutEventSelectors", admin(), json!({"trailName": "org-audit", "eventSelectors": [{
                "readWriteType": "All", "includeManagementEvents": true, "excludeManagementEventSources": [],
                "dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}, {"type": "AWS::DynamoDB::Table", "values": ["arn:aws:dynamodb"]}]}]})),
            &[],
            &[NARROWED],
        ),
        case(
            "advanced selectors without management events",
            call("cloudtrail.amazonaws.com", "PutEventSelectors", admin(), json!({"trailName": "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-audit", "advancedEventSelectors": [
                {"name": "S3 data events", "fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]}, {"field": "resources.type", "equals": ["AWS::S3::Object"]}]}]})),
            &[NARROWED],
            &[],
        ),
        case(
            "advanced selectors excluding KMS events",
            call("cloudtrail.amazonaws.com", "PutEventSelectors", admin(), json!({"trailName": "org-audit", "advancedEventSelectors": [
                {"name": "Management events", "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}, {"field": "eventSource", "notEquals": ["kms.amazonaws.com"]}]},
                {"name": "S3 data events", "fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]}, {"field": "resources.type", "equals": ["AWS::S3::Object"]}]}]})),
            &[NARROWED],
            &[],
        ),
        case(
            "advanced selectors recording write calls only",
            call("cloudtrail.amazonaws.com", "PutEventSelectors", admin(), json!({"trailName": "org-audit", "advancedEventSelectors": [
                {"name": "Management writes", "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}, {"field": "readOnly", "equals": ["false"]}]},
                {"name": "S3 data events", "fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]}, {"field": "resources.type", "equals": ["AWS::S3::Object"]}]}]})),
            &[NARROWED],
            &[],
        ),
        case(
            "advanced selectors recording management and data events",
            call("cloudtrail.amazonaws.com", "PutEventSelectors", admin(), json!({"trailName": "org-audit", "advancedEventSelectors": [
                {"name": "Management events", "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}]},
                {"name": "S3 and DynamoDB data events", "fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]}, {"field": "resources.type", "equals": ["AWS::S3::Object", "AWS::DynamoDB::Table"]}]}]})),
            &[],
            &[NARROWED],
        ),
        case(
            "narrowing another trail's selectors refused",
            access_denied(call("cloudtrail.amazonaws.com", "PutEventSelectors", dev(), json!({"trailName": "org-audit", "eventSelectors": [{"readWriteType": "WriteOnly", "includeManagementEvents": true}]}))),
            &[UNAUTH],
            &[NARROWED],
        ),
        case(
            "an organization trail's log file deleted from an unnamed bucket",
            s3("DeleteObject", admin(), "acme-security-archive", Some("team-a/AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/2026/11/20/111122223333_CloudTrail_eu-west-1_20261120T1405Z_Xy12Zz34Ab56Cd78.json.gz"), json!({"x-id": "DeleteObject"})),
            &[CT_DELETED],
            &["log_bucket_objects_deleted"],
        ),
        case(
            "a digest file deleted from an unnamed bucket",
            s3("DeleteObject", admin(), "acme-security-archive", Some("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/20/111122223333_CloudTrail-Digest_us-east-1_acme-org-trail_us-east-1_20261120T140513Z.json.gz"), json!({"x-id": "DeleteObject"})),
            &[CT_DELETED],
            &[],
        ),
        case(
            "CloudTrail logs deleted in bulk from a bucket named for them",
            s3("DeleteObjects", admin(), "acme-cloudtrail-eu", None, json!({"delete": "", "x-id": "DeleteObjects"})),
            &[CT_DELETED],
            &["log_bucket_objects_deleted"],
        ),
        case(
            "a load balancer's access log deleted (AWSLogs, not CloudTrail)",
            s3("DeleteObject", admin(), "acme-security-archive", Some("AWSLogs/111122223333/elasticloadbalancing/us-east-1/2026/11/20/111122223333_elasticloadbalancing_us-east-1_app.web.50dc6c495c0c9188_20261120T1405Z_198.51.100.7_2soosksgsasnt.log.gz"), json!({"x-id": "DeleteObject"})),
            &[],
            &[CT_DELETED],
        ),
        case(
            "build artifacts deleted in bulk",
            s3("DeleteObjects", dev(), app_bucket, None, json!({"delete": "", "x-id": "DeleteObjects"})),
            &[],
            &[CT_DELETED],
        ),
        case(
            "versioning suspended on a bucket named for CloudTrail",
            s3("PutBucketVersioning", admin(), "security-cloudtrail-logs-eu", None, json!({"versioning": "", "VersioningConfiguration": {"Status": "Suspended", "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}})),
            &[CT_VERSIONING, VERSIONING],
            &["log_bucket_configuration_changed"],
        ),
        case(
            "versioning enabled on a bucket named for CloudTrail",
            s3("PutBucketVersioning", admin(), "security-cloudtrail-logs-eu", None, json!({"versioning": "", "VersioningConfiguration": {"Status": "Enabled", "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}})),
            &[],
            &[CT_VERSIONING, VERSIONING],
        ),
        // ------------------------------------------------ trailguard's own stack
        // Resources CloudFormation named STACK-LogicalId-SUFFIX. Lambda
        // logs versioned event names (UpdateFunctionConfiguration20150331v2
        // as Stratus Red Team's lambda-layer detonation log shows it, with
        // functionName as the caller sent it, here an ARN); EventBridge's
        // DeleteRule as Elastic's captured record; SQS SetQueueAttributes
        // with queueUrl and an AWS::SQS::Queue resource; CloudWatch Logs
        // PutSubscriptionFilter with logGroupName and filterName.
        case(
            "the alert router deleted by hand",
            call("lambda.amazonaws.com", "DeleteFunction20150331", admin(), json!({"functionName": "trailguard-prod-AlertRouterFunction-Xk2P9qLm3Rt7"})),
            &[OWN_FUNCTION],
            &[],
        ),
        case(
            "the validator's configuration rewritten",
            set_fields(
                call("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", admin(), json!({
                    "functionName": "arn:aws:lambda:us-east-1:111122223333:function:trailguard-prod-IntegrityValidatorFunction-Ab3Cd4Ef5Gh6",
                    "environment": {}})),
                json!({"responseElements": {"functionName": "trailguard-prod-IntegrityValidatorFunction-Ab3Cd4Ef5Gh6",
                    "functionArn": "arn:aws:lambda:us-east-1:111122223333:function:trailguard-prod-IntegrityValidatorFunction-Ab3Cd4Ef5Gh6", "version": "$LATEST"}}),
            ),
            &[OWN_FUNCTION],
            &[],
        ),
        case(
            "the watchdog throttled to zero",
            call("lambda.amazonaws.com", "PutFunctionConcurrency20171031", admin(), json!({"functionName": "trailguard-prod-LoggingWatchdogFunction-Zz9Yy8Xx7Ww6", "reservedConcurrentExecutions": 0})),
            &[OWN_FUNCTION],
            &["trailguard_function_concurrency_changed"],
        ),
        case(
            "the watchdog given ten concurrent executions",
            call("lambda.amazonaws.com", "PutFunctionConcurrency20171031", admin(), json!({"functionName": "trailguard-prod-LoggingWatchdogFunction-Zz9Yy8Xx7Ww6", "reservedConcurrentExecutions": 10})),
            &["trailguard_function_concurrency_changed"],
            &[OWN_FUNCTION],
        ),
        case(
            "the validator's queue mapping disabled",
            set_fields(
                call("lambda.amazonaws.com", "UpdateEventSourceMapping20150331", admin(), json!({"uUID": "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE", "enabled": false})),
                json!({"responseElements": {"uUID": "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE", "state": "Disabling",
                    "functionArn": "arn:aws:lambda:us-east-1:111122223333:function:trailguard-prod-IntegrityValidatorFunction-Ab3Cd4Ef5Gh6",
                    "eventSourceArn": "arn:aws:sqs:us-east-1:111122223333:trailguard-prod-ValidatorQueue-Q1w2E3r4T5y6"}}),
            ),
            &[OWN_FUNCTION],
            &[],
        ),
        case(
            "an application function deployed",
            call("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", dev(), json!({"functionName": "orders-api", "environment": {}})),
            &[],
            &[OWN_FUNCTION],
        ),
        case(
            "CloudFormation updating trailguard's function",
            set_fields(
                call("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", admin(), json!({"functionName": "trailguard-prod-AlertRouterFunction-Xk2P9qLm3Rt7", "environment": {}})),
                json!({"sourceIPAddress": "cloudformation.amazonaws.com", "userAgent": "cloudformation.amazonaws.com"}),
            ),
            &[],
            &[OWN_FUNCTION],
        ),
        case(
            "the watchdog's schedule disabled",
            call("events.amazonaws.com", "DisableRule", admin(), json!({"name": "trailguard-prod-WatchdogSchedule-1AB2CD3EF4GH"})),
            &[OWN_TRIGGER],
            &[],
        ),
        case(
            "the validator's rule loses its target",
            call("events.amazonaws.com", "RemoveTargets", admin(), json!({"rule": "trailguard-prod-ValidatorRule-9ZY8XW7VU6TS", "ids": ["ValidatorQueue"], "force": false})),
            &[OWN_TRIGGER],
            &[],
        ),
        case(
            "an application's rule paused",
            call("events.amazonaws.com", "DisableRule", dev(), json!({"name": "orders-nightly-report"})),
            &[],
            &[OWN_TRIGGER],
        ),
        case(
            "the validator's queue purged",
            set_fields(
                call("sqs.amazonaws.com", "PurgeQueue", admin(), json!({"queueUrl": "https://sqs.us-east-1.amazonaws.com/111122223333/trailguard-prod-ValidatorQueue-Q1w2E3r4T5y6"})),
                json!({"resources": [{"accountId": ACCOUNT, "type": "AWS::SQS::Queue", "ARN": "arn:aws:sqs:us-east-1:111122223333:trailguard-prod-ValidatorQueue-Q1w2E3r4T5y6"}]}),
            ),
            &[OWN_QUEUE],
            &[],
        ),
        case(
            "an application queue's visibility timeout changed",
            set_fields(
                call("sqs.amazonaws.com", "SetQueueAttributes", dev(), json!({"queueUrl": "https://sqs.us-east-1.amazonaws.com/111122223333/orders", "attributes": {"VisibilityTimeout": "120"}})),
                json!({"resources": [{"accountId": ACCOUNT, "type": "AWS::SQS::Queue", "ARN": "arn:aws:sqs:us-east-1:111122223333:orders"}]}),
            ),
            &[],
            &[OWN_QUEUE],
        ),
        case(
            "the router's subscription filter deleted",
            call("logs.amazonaws.com", "DeleteSubscriptionFilter", admin(), json!({"logGroupName": "/aws/cloudtrail/trailguard-prod", "filterName": "trailguard-prod-AlertRouterSubscription-7HJK8LMN9PQR"})),
            &[TRAIL_FEED],
            &[],
        ),
        case(
            "the trail's log group deleted",
            call("logs.amazonaws.com", "DeleteLogGroup", admin(), json!({"logGroupName": "/aws/cloudtrail/trailguard-prod"})),
            &[TRAIL_FEED],
            &[OWN_LOGS],
        ),
        case(
            "the validator's log group deleted",
            call("logs.amazonaws.com", "DeleteLogGroup", admin(), json!({"logGroupName": "/aws/lambda/trailguard-prod/integrity-validator"})),
            &[OWN_LOGS],
            &[TRAIL_FEED],
        ),
        case(
            "a subscription filter added to an application's log group",
            call("logs.amazonaws.com", "PutSubscriptionFilter", dev(), json!({"logGroupName": "/aws/lambda/orders-api", "filterName": "to-firehose", "filterPattern": "", "destinationArn": "arn:aws:firehose:us-east-1:111122223333:deliverystream/logs"})),
            &[],
            &[TRAIL_FEED, OWN_LOGS],
        ),
        case(
            "the alert topic deleted",
            call("sns.amazonaws.com", "DeleteTopic", admin(), json!({"topicArn": "arn:aws:sns:us-east-1:111122223333:trailguard-prod-AlertTopic-1A2B3C4D5E6F"})),
            &[OWN_TOPICS],
            &[],
        ),
        case(
            "the security team's address unsubscribed from the critical topic",
            call("sns.amazonaws.com", "Unsubscribe", admin(), json!({"subscriptionArn": "arn:aws:sns:us-east-1:111122223333:trailguard-prod-CriticalTopic-6F5E4D3C2B1A:0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"})),
            &[OWN_TOPICS],
            &[],
        ),
        case(
            "an application topic deleted",
            call("sns.amazonaws.com", "DeleteTopic", dev(), json!({"topicArn": "arn:aws:sns:us-east-1:111122223333:orders-events"})),
            &[],
            &[OWN_TOPICS],
        ),
        case(
            "the validator's error alarm silenced",
            call("monitoring.amazonaws.com", "DisableAlarmActions", admin(), json!({"alarmNames": ["trailguard-prod-integrity-validator-errors"]})),
            &[OWN_ALARMS],
            &[],
        ),
        case(
            "an application alarm deleted",
            call("monitoring.amazonaws.com", "DeleteAlarms", dev(), json!({"alarmNames": ["orders-api-5xx"]})),
            &[],
            &[OWN_ALARMS],
        ),
        case(
            "the watchdog's role loses its inline policy",
            call("iam.amazonaws.com", "DeleteRolePolicy", admin(), json!({"roleName": "trailguard-prod-LoggingWatchdogRole-3XYZ4ABC5DEF", "policyName": "logging-watchdog"})),
            &[OWN_ROLES, CIS_IAM],
            &[],
        ),
        case(
            "the router's role trusts another account",
            call("iam.amazonaws.com", "UpdateAssumeRolePolicy", admin(), json!({"roleName": "trailguard-prod-AlertRouterRole-9QWE8RTY7UIO",
                "policyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::444455556666:root\"},\"Action\":\"sts:AssumeRole\"}]}"})),
            &[OWN_ROLES, "iam_role_trust_policy_changed"],
            &[],
        ),
        case(
            "an application role gets a policy",
            call("iam.amazonaws.com", "PutRolePolicy", dev(), json!({"roleName": "orders-api-role", "policyName": "s3-read",
                "policyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::acme-app-artifacts/*\"}]}"})),
            &[CIS_IAM],
            &[OWN_ROLES],
        ),
        case(
            "trailguard's stack deleted",
            call("cloudformation.amazonaws.com", "DeleteStack", admin(), json!({"stackName": "trailguard-prod"})),
            &["trailguard_stack_changed"],
            &[],
        ),
        case(
            "a change set executed on trailguard's stack, named by ARN",
            call("cloudformation.amazonaws.com", "ExecuteChangeSet", admin(), json!({"changeSetName": "remove-alarms",
                "stackName": "arn:aws:cloudformation:us-east-1:111122223333:stack/trailguard-prod/8f2c1e50-9a3b-11ef-8d2a-0affd0b1c2d3"})),
            &["trailguard_stack_changed"],
            &[],
        ),
        case(
            "an application stack updated",
            call("cloudformation.amazonaws.com", "UpdateStack", dev(), json!({"stackName": "trailguard-prod-dashboards", "templateURL": "https://s3.amazonaws.com/acme-templates/dash.yaml"})),
            &[],
            &["trailguard_stack_changed"],
        ),
        case(
            "trailguard's Slack channel configuration deleted",
            set_fields(
                call("chatbot.amazonaws.com", "DeleteSlackChannelConfiguration", admin(), json!({"ChatConfigurationArn": "arn:aws:chatbot::111122223333:chat-configuration/slack-channel/trailguard-prod-alerts"})),
                json!({"awsRegion": "us-east-2"}),
            ),
            &["trailguard_chat_channel_cut"],
            &[],
        ),
        case(
            "another team's Slack channel configuration deleted",
            set_fields(
                call("chatbot.amazonaws.com", "DeleteSlackChannelConfiguration", dev(), json!({"ChatConfigurationArn": "arn:aws:chatbot::111122223333:chat-configuration/slack-channel/orders-alerts"})),
                json!({"awsRegion": "us-east-2"}),
            ),
            &[],
            &["trailguard_chat_channel_cut"],
        ),
        case(
            "the log bucket's notifications replaced",
            s3("PutBucketNotification", admin(), LOG_BUCKET_NAME, None, json!({"notification": "", "NotificationConfiguration": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}})),
            &["log_bucket_notifications_changed"],
            &[],
        ),
        case(
            "an application bucket's notifications replaced",
            s3("PutBucketNotification", dev(), app_bucket, None, json!({"notification": "", "NotificationConfiguration": {"EventBridgeConfiguration": ""}})),
            &[],
            &["log_bucket_notifications_changed"],
        ),
        // ------------------------------------------------ the trail's key
        case(
            "the trail's key disabled (by key ID)",
            kms("DisableKey", admin(), KEY_ID, KEY_ARN, json!({})),
            &["trail_kms_key_disabled_or_deleted", CIS_KMS],
            &[],
        ),
        case(
            "the trail's key scheduled for deletion (by alias)",
            set_fields(
                kms("ScheduleKeyDeletion", admin(), "alias/cloudtrail-logs", KEY_ARN, json!({"pendingWindowInDays": 7})),
                json!({"responseElements": {"keyId": KEY_ARN, "deletionDate": "Nov 27, 2026, 12:00:00 AM", "keyState": "PendingDeletion", "pendingWindowInDays": 7}}),
            ),
            &["trail_kms_key_disabled_or_deleted", CIS_KMS],
            &[],
        ),
        case(
            "the trail key's policy replaced",
            kms("PutKeyPolicy", admin(), KEY_ARN, KEY_ARN, json!({"policyName": "default", "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}", "bypassPolicyLockoutSafetyCheck": false})),
            &["trail_kms_key_policy_changed"],
            &[],
        ),
        case(
            "an application key's policy replaced",
            kms("PutKeyPolicy", admin(), APP_KEY_ARN, APP_KEY_ARN, json!({"policyName": "default", "policy": "{}"})),
            &[],
            &["trail_kms_key_policy_changed", "trail_kms_key_tampering_failed"],
        ),
        case(
            "disabling the trail's key refused",
            set_fields(
                failed(
                    call("kms.amazonaws.com", "DisableKey", dev(), json!({"keyId": KEY_ARN})),
                    "AccessDeniedException",
                    "User is not authorized to perform: kms:DisableKey",
                ),
                json!({"resources": [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": KEY_ARN}]}),
            ),
            &["trail_kms_key_tampering_failed", CIS_KMS, UNAUTH],
            &["trail_kms_key_disabled_or_deleted"],
        ),
        case(
            "a grant on the trail's key for another account's role",
            kms("CreateGrant", admin(), KEY_ARN, KEY_ARN, json!({"granteePrincipal": "arn:aws:iam::444455556666:role/reader", "operations": ["Decrypt"]})),
            &["trail_kms_key_grant_created"],
            &[],
        ),
        case(
            "a grant on an application key (EBS attaching a volume)",
            set_fields(
                kms("CreateGrant", aws_service("ec2.amazonaws.com"), APP_KEY_ARN, APP_KEY_ARN, json!({"granteePrincipal": "ec2.amazonaws.com", "operations": ["Decrypt", "GenerateDataKeyWithoutPlaintext"]})),
                json!({"sourceIPAddress": "ec2.amazonaws.com"}),
            ),
            &[],
            &["trail_kms_key_grant_created"],
        ),
        // ------------------------------------------------ privilege escalation
        case(
            "AdministratorAccess attached to a user",
            iam("AttachUserPolicy", user("alice"), json!({"userName": "backup-svc", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})),
            &["iam_admin_policy_attached", CIS_IAM],
            &[],
        ),
        case(
            "IAMFullAccess attached to a role",
            iam("AttachRolePolicy", dev(), json!({"roleName": "ci-runner", "policyArn": "arn:aws:iam::aws:policy/IAMFullAccess"})),
            &["iam_admin_policy_attached", CIS_IAM],
            &[],
        ),
        case(
            "ReadOnlyAccess attached to a group",
            iam("AttachGroupPolicy", admin(), json!({"groupName": "auditors", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})),
            &[CIS_IAM],
            &["iam_admin_policy_attached"],
        ),
        case(
            "attaching AdministratorAccess refused",
            access_denied(iam("AttachUserPolicy", dev(), json!({"userName": "dave", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}))),
            &[CIS_IAM, UNAUTH],
            &["iam_admin_policy_attached"],
        ),
        case(
            "an inline user policy allowing \"*\"",
            iam("PutUserPolicy", user("alice"), json!({"userName": "backup-svc", "policyName": "all", "policyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"})),
            &["iam_policy_allows_all_actions", CIS_IAM],
            &[],
        ),
        case(
            "an inline role policy with \"*\" in an action list, Action before Effect",
            iam("PutRolePolicy", dev(), json!({"roleName": "ci-runner", "policyName": "ops", "policyDocument": "{\n\t\"Version\": \"2012-10-17\",\n\t\"Statement\": [\n\t\t{\n\t\t\t\"Action\": [\n\t\t\t\t\"s3:GetObject\",\n\t\t\t\t\"*\"\n\t\t\t],\n\t\t\t\"Resource\": \"*\",\n\t\t\t\"Effect\": \"Allow\"\n\t\t}\n\t]\n}"})),
            &["iam_policy_allows_all_actions", CIS_IAM],
            &[],
        ),
        case(
            "a managed policy version allowing \"*:*\"",
            iam("CreatePolicyVersion", dev(), json!({"policyArn": format!("arn:aws:iam::{ACCOUNT}:policy/ci-deploy"), "setAsDefault": true, "policyDocument": "{\"Version\": \"2012-10-17\", \"Statement\": {\"Sid\": \"x\", \"Effect\": \"Allow\", \"Action\": \"*:*\", \"Resource\": \"*\"}}"})),
            &["iam_policy_allows_all_actions", CIS_IAM],
            &[],
        ),
        case(
            "a quarantine policy denying \"*\"",
            iam("PutUserPolicy", admin(), json!({"userName": "alice", "policyName": "quarantine", "policyDocument": "{\n\t\"Version\": \"2012-10-17\",\n\t\"Statement\": [\n\t\t{\n\t\t\t\"Sid\": \"DenyAll\",\n\t\t\t\"Effect\": \"Deny\",\n\t\t\t\"Action\": [\"*\"],\n\t\t\t\"Resource\": [\"*\"]\n\t\t},\n\t\t{\n\t\t\t\"Effect\": \"Allow\",\n\t\t\t\"Action\": \"sts:GetCallerIdentity\",\n\t\t\t\"Resource\": \"*\"\n\t\t}\n\t]\n}"})),
            &[CIS_IAM],
            &["iam_policy_allows_all_actions"],
        ),
        case(
            "an inline policy allowing every S3 action on every resource",
            iam("PutRolePolicy", dev(), json!({"roleName": "etl", "policyName": "s3", "policyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:*\"],\"Resource\":\"*\"}]}"})),
            &[CIS_IAM],
            &["iam_policy_allows_all_actions"],
        ),
        case(
            "an access key created for another user",
            set_fields(
                iam("CreateAccessKey", user("alice"), json!({"userName": "bob"})),
                json!({"responseElements": {"accessKey": {"userName": "bob", "accessKeyId": "AKIAEXAMPLENEWKEY001", "status": "Active", "createDate": "Nov 20, 2026, 2:03:11 PM"}}}),
            ),
            &["iam_credentials_for_other_user"],
            &[],
        ),
        case(
            "a console password created for a user by a role",
            iam("CreateLoginProfile", dev(), json!({"userName": "bob", "passwordResetRequired": false})),
            &["iam_credentials_for_other_user"],
            &[],
        ),
        case(
            "a user's password reset by root",
            iam("UpdateLoginProfile", root(), json!({"userName": "bob", "passwordResetRequired": false})),
            &["iam_credentials_for_other_user", ROOT],
            &[],
        ),
        case(
            "a user rotates their own key (naming themselves)",
            iam("CreateAccessKey", user("alice"), json!({"userName": "alice"})),
            &[],
            &["iam_credentials_for_other_user"],
        ),
        case(
            "a user creates their own key (no user name)",
            iam("CreateAccessKey", user("alice"), Value::Null),
            &[],
            &["iam_credentials_for_other_user"],
        ),
        case(
            "a role's trust policy replaced",
            iam("UpdateAssumeRolePolicy", dev(), json!({"roleName": "deploy", "policyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::444455556666:root\"},\"Action\":\"sts:AssumeRole\"}]}"})),
            &["iam_role_trust_policy_changed"],
            &[],
        ),
        case(
            "a malformed trust policy rejected",
            failed(
                iam("UpdateAssumeRolePolicy", dev(), json!({"roleName": "deploy", "policyDocument": "{"})),
                "MalformedPolicyDocumentException",
                "Syntax errors in policy.",
            ),
            &[],
            &["iam_role_trust_policy_changed"],
        ),
        // ------------------------------------------------ sharing and exposure
        case(
            "an EBS snapshot shared with another account",
            ec2("ModifySnapshotAttribute", dev(), json!({"snapshotId": "snap-0123456789abcdef0", "createVolumePermission": {"add": {"items": [{"userId": OTHER_ACCOUNT}]}}, "attributeType": "CREATE_VOLUME_PERMISSION"})),
            &["ec2_snapshot_shared"],
            &[],
        ),
        case(
            "an EBS snapshot made public",
            ec2("ModifySnapshotAttribute", dev(), json!({"snapshotId": "snap-0123456789abcdef0", "createVolumePermission": {"add": {"items": [{"group": "all"}]}}, "attributeType": "CREATE_VOLUME_PERMISSION"})),
            &["ec2_snapshot_shared"],
            &[],
        ),
        case(
            "an EBS snapshot's sharing removed",
            ec2("ModifySnapshotAttribute", dev(), json!({"snapshotId": "snap-0123456789abcdef0", "createVolumePermission": {"remove": {"items": [{"userId": OTHER_ACCOUNT}]}}, "attributeType": "CREATE_VOLUME_PERMISSION"})),
            &[],
            &["ec2_snapshot_shared"],
        ),
        case(
            "an AMI made public",
            ec2("ModifyImageAttribute", dev(), json!({"imageId": "ami-0123456789abcdef0", "launchPermission": {"add": {"items": [{"group": "all"}]}}, "attributeType": "launchPermission"})),
            &["ec2_ami_made_public"],
            &["ec2_ami_shared_with_account"],
        ),
        case(
            "an AMI shared with an account",
            ec2("ModifyImageAttribute", role("image-pipeline", "build-4711"), json!({"imageId": "ami-0123456789abcdef0", "launchPermission": {"add": {"items": [{"userId": OTHER_ACCOUNT}]}}, "attributeType": "launchPermission"})),
            &["ec2_ami_shared_with_account"],
            &["ec2_ami_made_public"],
        ),
        case(
            "an AMI's description changed",
            ec2("ModifyImageAttribute", dev(), json!({"imageId": "ami-0123456789abcdef0", "description": {"value": "golden image 2026-11"}, "attributeType": "description"})),
            &[],
            &["ec2_ami_made_public", "ec2_ami_shared_with_account"],
        ),
        case(
            "an AMI made private again",
            ec2("ModifyImageAttribute", dev(), json!({"imageId": "ami-0123456789abcdef0", "launchPermission": {"remove": {"items": [{"group": "all"}]}}, "attributeType": "launchPermission"})),
            &[],
            &["ec2_ami_made_public"],
        ),
        case(
            "an RDS snapshot shared with another account",
            call("rds.amazonaws.com", "ModifyDBSnapshotAttribute", dev(), json!({"dBSnapshotIdentifier": "orders-2026-11-20", "attributeName": "restore", "valuesToAdd": [OTHER_ACCOUNT]})),
            &["rds_snapshot_shared"],
            &[],
        ),
        case(
            "an Aurora cluster snapshot made public",
            call("rds.amazonaws.com", "ModifyDBClusterSnapshotAttribute", dev(), json!({"dBClusterSnapshotIdentifier": "orders-cluster-2026-11-20", "attributeName": "restore", "valuesToAdd": ["all"]})),
            &["rds_snapshot_shared"],
            &[],
        ),
        case(
            "an RDS snapshot's sharing removed",
            call("rds.amazonaws.com", "ModifyDBSnapshotAttribute", dev(), json!({"dBSnapshotIdentifier": "orders-2026-11-20", "attributeName": "restore", "valuesToRemove": [OTHER_ACCOUNT], "valuesToAdd": []})),
            &[],
            &["rds_snapshot_shared"],
        ),
        case(
            "a bucket policy granting public read",
            s3("PutBucketPolicy", dev(), app_bucket, None, bucket_policy(json!([
                {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{app_bucket}/*")}
            ]))),
            &["s3_bucket_policy_public", CIS_S3],
            &[],
        ),
        case(
            "a bucket policy granting {\"AWS\": \"*\"}",
            s3("PutBucketPolicy", dev(), app_bucket, None, bucket_policy(json!({
                "Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [format!("arn:aws:s3:::{app_bucket}"), format!("arn:aws:s3:::{app_bucket}/*")]
            }))),
            &["s3_bucket_policy_public", CIS_S3],
            &[],
        ),
        case(
            "the log bucket's policy made public",
            s3("PutBucketPolicy", dev(), LOG_BUCKET_NAME, None, bucket_policy(json!([
                cloudtrail_write(LOG_BUCKET_NAME),
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{LOG_BUCKET_NAME}/*")}
            ]))),
            &["s3_bucket_policy_public", "log_bucket_deleted_or_policy_changed", CIS_S3],
            &[],
        ),
        case(
            "a bucket ACL granting AllUsers read",
            s3("PutBucketAcl", dev(), app_bucket, None, json!({"acl": [""], "AccessControlPolicy": {"AccessControlList": {"Grant": [
                {"Grantee": {"xsi:type": "CanonicalUser", "ID": "79a59df900b949e55d96a1e698fbaced"}, "Permission": "FULL_CONTROL"},
                {"Grantee": {"xsi:type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}, "Permission": "READ"}
            ]}, "Owner": {"ID": "79a59df900b949e55d96a1e698fbaced"}}})),
            &["s3_acl_public", CIS_S3],
            &[],
        ),
        case(
            "a canned public-read bucket ACL",
            s3("PutBucketAcl", dev(), app_bucket, None, json!({"acl": [""], "x-amz-acl": ["public-read"]})),
            &["s3_acl_public", CIS_S3],
            &[],
        ),
        case(
            "an object made readable by any AWS account",
            s3("PutObjectAcl", dev(), app_bucket, Some("reports/q3.pdf"), json!({"acl": [""], "x-amz-grant-read": ["uri=\"http://acs.amazonaws.com/groups/global/AuthenticatedUsers\""]})),
            &["s3_acl_public"],
            &[],
        ),
        case(
            "a bucket ACL granting the log delivery group",
            s3("PutBucketAcl", admin(), app_bucket, None, json!({"acl": [""], "AccessControlPolicy": {"AccessControlList": {"Grant": [
                {"Grantee": {"xsi:type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"}, "Permission": "WRITE"}
            ]}}, "x-amz-acl": ["private"]})),
            &[CIS_S3],
            &["s3_acl_public"],
        ),
        case(
            "Block Public Access turned partly off on a bucket",
            s3("PutBucketPublicAccessBlock", dev(), app_bucket, None, json!({"publicAccessBlock": [""], "PublicAccessBlockConfiguration": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", "RestrictPublicBuckets": true, "BlockPublicPolicy": false, "BlockPublicAcls": true, "IgnorePublicAcls": true}})),
            &["s3_public_access_block_weakened"],
            &[],
        ),
        case(
            "Block Public Access removed from a bucket",
            s3("DeleteBucketPublicAccessBlock", dev(), app_bucket, None, json!({"publicAccessBlock": [""]})),
            &["s3_public_access_block_weakened"],
            &[],
        ),
        case(
            "Block Public Access turned off for the account",
            call("s3.amazonaws.com", "PutAccountPublicAccessBlock", admin(), json!({"PublicAccessBlockConfiguration": {"RestrictPublicBuckets": false, "BlockPublicPolicy": false, "BlockPublicAcls": false, "IgnorePublicAcls": false}, "x-amz-account-id": ACCOUNT})),
            &["s3_public_access_block_weakened"],
            &[],
        ),
        case(
            "Block Public Access removed from the log bucket",
            s3("DeleteBucketPublicAccessBlock", dev(), LOG_BUCKET_NAME, None, json!({"publicAccessBlock": [""]})),
            &["s3_public_access_block_weakened", "log_bucket_configuration_changed"],
            &[],
        ),
        case(
            "removing Block Public Access refused",
            access_denied(s3("DeleteBucketPublicAccessBlock", dev(), app_bucket, None, json!({"publicAccessBlock": [""]}))),
            &[UNAUTH],
            &["s3_public_access_block_weakened"],
        ),
        // ------------------------------------------------ defences
        case(
            "the GuardDuty detector deleted",
            call("guardduty.amazonaws.com", "DeleteDetector", admin(), json!({"detectorId": "12abc34d567e8fa901bc2d34e56789f0"})),
            &["guardduty_disabled"],
            &[],
        ),
        case(
            "the GuardDuty detector suspended",
            call("guardduty.amazonaws.com", "UpdateDetector", admin(), json!({"detectorId": "12abc34d567e8fa901bc2d34e56789f0", "enable": false})),
            &["guardduty_disabled"],
            &[],
        ),
        case(
            "GuardDuty left by the member account",
            call("guardduty.amazonaws.com", "DisassociateFromAdministratorAccount", admin(), json!({"detectorId": "12abc34d567e8fa901bc2d34e56789f0"})),
            &["guardduty_disabled"],
            &[],
        ),
        case(
            "the GuardDuty publishing frequency changed",
            call("guardduty.amazonaws.com", "UpdateDetector", admin(), json!({"detectorId": "12abc34d567e8fa901bc2d34e56789f0", "enable": true, "findingPublishingFrequency": "FIFTEEN_MINUTES"})),
            &[],
            &["guardduty_disabled"],
        ),
        case(
            "deleting the GuardDuty detector refused",
            failed(
                call("guardduty.amazonaws.com", "DeleteDetector", dev(), json!({"detectorId": "12abc34d567e8fa901bc2d34e56789f0"})),
                "AccessDeniedException",
                "User is not authorized to perform: guardduty:DeleteDetector",
            ),
            &[UNAUTH],
            &["guardduty_disabled"],
        ),
        case(
            "the Config recorder stopped",
            call("config.amazonaws.com", "StopConfigurationRecorder", admin(), json!({"configurationRecorderName": "default"})),
            &["config_recording_stopped", CIS_CONFIG],
            &[],
        ),
        case(
            "the Config recorder deleted",
            call("config.amazonaws.com", "DeleteConfigurationRecorder", admin(), json!({"configurationRecorderName": "default"})),
            &["config_recording_stopped"],
            &[],
        ),
        case(
            "the Config delivery channel deleted",
            call("config.amazonaws.com", "DeleteDeliveryChannel", admin(), json!({"deliveryChannelName": "default"})),
            &["config_recording_stopped", CIS_CONFIG],
            &[],
        ),
        case(
            "Security Hub disabled",
            call("securityhub.amazonaws.com", "DisableSecurityHub", admin(), json!({})),
            &["securityhub_disabled"],
            &[],
        ),
        case(
            "a Security Hub standard disabled",
            call("securityhub.amazonaws.com", "BatchDisableStandards", admin(), json!({"StandardsSubscriptionArns": [format!("arn:aws:securityhub:us-east-1:{ACCOUNT}:subscription/cis-aws-foundations-benchmark/v/3.0.0")]})),
            &["securityhub_disabled"],
            &[],
        ),
        case(
            "Security Hub members deleted (not GuardDuty's)",
            call("securityhub.amazonaws.com", "DeleteMembers", admin(), json!({"AccountIds": [OTHER_ACCOUNT]})),
            &["securityhub_disabled"],
            &["guardduty_disabled"],
        ),
        case(
            "a Security Hub standard enabled",
            call("securityhub.amazonaws.com", "BatchEnableStandards", admin(), json!({"StandardsSubscriptionRequests": [{"StandardsArn": "arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/3.0.0"}]})),
            &[],
            &["securityhub_disabled"],
        ),
        case(
            "VPC flow logs deleted",
            ec2("DeleteFlowLogs", admin(), json!({"DeleteFlowLogsRequest": {"FlowLogId": {"tag": 1, "content": "fl-0123456789abcdef0"}}})),
            &["vpc_flow_logs_deleted"],
            &[],
        ),
        case(
            "deleting VPC flow logs refused",
            failed(
                ec2("DeleteFlowLogs", dev(), json!({"DeleteFlowLogsRequest": {"FlowLogId": {"tag": 1, "content": "fl-0123456789abcdef0"}}})),
                "Client.UnauthorizedOperation",
                "You are not authorized to perform this operation.",
            ),
            &[UNAUTH],
            &["vpc_flow_logs_deleted"],
        ),
        case(
            "VPC flow logs created",
            ec2("CreateFlowLogs", admin(), json!({"CreateFlowLogsRequest": {"ResourceId": {"tag": 1, "content": "vpc-0123456789abcdef0"}, "TrafficType": "ALL", "LogDestinationType": "s3"}})),
            &[],
            &["vpc_flow_logs_deleted"],
        ),
        case(
            "the account leaves the organization",
            call("organizations.amazonaws.com", "LeaveOrganization", admin(), Value::Null),
            &["organizations_guardrails_removed", CIS_ORG],
            &[],
        ),
        case(
            "service control policies disabled",
            call("organizations.amazonaws.com", "DisablePolicyType", admin(), json!({"rootId": "r-ab12", "policyType": "SERVICE_CONTROL_POLICY"})),
            &["organizations_guardrails_removed", CIS_ORG],
            &[],
        ),
    ]
}

#[test]
fn every_fixture_fires_exactly_the_rules_it_names() {
    let set = all_rules();
    let known = all_stems();
    let mut failures = Vec::new();
    for c in cases() {
        let want: BTreeSet<&str> = c.fires.iter().copied().collect();
        for s in c.fires.iter().chain(c.near_miss_of) {
            assert!(known.contains(s), "{}: no built-in named {s}", c.name);
        }
        for s in c.near_miss_of {
            assert!(
                !want.contains(s),
                "{}: {s} both fires and is missed",
                c.name
            );
        }
        let got = fired(&set, &c.record);
        if got != want {
            failures.push(format!("{}: fired {got:?}, expected {want:?}", c.name));
        }
        // The index gives what evaluating every rule gives.
        let slow: BTreeSet<&str> = set
            .rules()
            .iter()
            .filter(|r| r.matches(&c.record))
            .map(|r| stem(&r.origin))
            .collect();
        assert_eq!(got, slow, "{}", c.name);
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// A stack whose name is too long for CloudFormation to keep it whole in
/// the names it generates (Lambda function and IAM role names hold at most
/// 64 characters, SQS queue names 80), and the names it generated, shortened.
const LONG_STACK: &str = "acme-security-platform-trailguard-production-eu-central-1";
const SHORT_ROUTER: &str = "acme-security-platform-trai-AlertRouterFunction-Xk2P9qLm3Rt7";
const SHORT_VALIDATOR: &str = "acme-security-platform-IntegrityValidatorFunc-Ab3Cd4Ef5Gh6";
const SHORT_QUEUE_URL: &str =
    "https://sqs.eu-central-1.amazonaws.com/111122223333/acme-security-platform-trailgu-ValidatorQueue-Q1w2E3r4T5y6";
const SHORT_RULE: &str = "acme-security-platform-tr-LogBucketEventsRule-9ZY8XW7VU6TS";
const SHORT_ROLE: &str = "acme-security-platform-trail-AlertRouterRole-9QWE8RTY7UIO";
const LONG_TOPIC: &str =
    "arn:aws:sns:eu-central-1:111122223333:acme-security-platform-trailguard-production-eu-central-1-AlertTopic-1A2B3C4D5E6F";
const LONG_STACK_ID: &str = "arn:aws:cloudformation:eu-central-1:111122223333:stack/acme-security-platform-trailguard-production-eu-central-1/8f2c1e50-9a3b-11ef-8d2a-0affd0b1c2d3";

/// What the template passes the router (TRAILGUARD_STACK_RESOURCES, by
/// `!Ref` and `!GetAtt`), plus its own name from AWS_LAMBDA_FUNCTION_NAME.
fn passed_resources() -> Vec<String> {
    [
        SHORT_VALIDATOR,
        "arn:aws:sqs:eu-central-1:111122223333:acme-security-platform-trailgu-ValidatorQueue-Q1w2E3r4T5y6",
        "arn:aws:events:eu-central-1:111122223333:rule/acme-security-platform-tr-LogBucketEventsRule-9ZY8XW7VU6TS",
        "arn:aws:iam::111122223333:role/acme-security-platform-trail-AlertRouterRole-9QWE8RTY7UIO",
        LONG_TOPIC,
        "/aws/lambda/acme-security-platform-trailguard-production-eu-central-1/alert-router",
        LONG_STACK_ID,
        SHORT_ROUTER,
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn shortened_names_are_guarded_by_the_resources_the_template_passes() {
    let admin = || role("AdministratorAccess-SSO", "mallory@example.com");
    let by_prefix = Guarded {
        stack_name: Some(LONG_STACK.into()),
        ..Guarded::default()
    };
    let both = Guarded {
        stack_resources: passed_resources(),
        ..by_prefix.clone()
    };
    let resources_only = Guarded {
        stack_name: None,
        ..both.clone()
    };
    let set = |g: &Guarded| RuleSet::new(loaded(&g.placeholders()).rules).unwrap();
    let (prefix_set, both_set, resources_set) = (set(&by_prefix), set(&both), set(&resources_only));
    let cut: Vec<(&str, Value, &[&str])> = vec![
        (
            "the router (its own name) deleted",
            call(
                "lambda.amazonaws.com",
                "DeleteFunction20150331",
                admin(),
                json!({"functionName": SHORT_ROUTER}),
            ),
            &[OWN_FUNCTION],
        ),
        (
            "the validator throttled to zero, named by partial ARN",
            call(
                "lambda.amazonaws.com",
                "PutFunctionConcurrency20171031",
                admin(),
                json!({"functionName": format!("111122223333:function:{SHORT_VALIDATOR}"), "reservedConcurrentExecutions": 0}),
            ),
            &[OWN_FUNCTION],
        ),
        (
            "the validator given ten executions",
            call(
                "lambda.amazonaws.com",
                "PutFunctionConcurrency20171031",
                admin(),
                json!({"functionName": SHORT_VALIDATOR, "reservedConcurrentExecutions": 10}),
            ),
            &["trailguard_function_concurrency_changed"],
        ),
        (
            "the validator's mapping disabled",
            set_fields(
                call(
                    "lambda.amazonaws.com",
                    "UpdateEventSourceMapping20150331",
                    admin(),
                    json!({"uUID": "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE", "enabled": false}),
                ),
                json!({"responseElements": {"uUID": "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE", "state": "Disabling",
                    "functionArn": format!("arn:aws:lambda:eu-central-1:111122223333:function:{SHORT_VALIDATOR}")}}),
            ),
            &[OWN_FUNCTION],
        ),
        (
            "the validator's queue purged",
            set_fields(
                call(
                    "sqs.amazonaws.com",
                    "PurgeQueue",
                    admin(),
                    json!({"queueUrl": SHORT_QUEUE_URL}),
                ),
                json!({"resources": [{"accountId": ACCOUNT, "type": "AWS::SQS::Queue", "ARN": "arn:aws:sqs:eu-central-1:111122223333:acme-security-platform-trailgu-ValidatorQueue-Q1w2E3r4T5y6"}]}),
            ),
            &[OWN_QUEUE],
        ),
        (
            "the log bucket's rule disabled",
            call(
                "events.amazonaws.com",
                "DisableRule",
                admin(),
                json!({"name": SHORT_RULE}),
            ),
            &[OWN_TRIGGER],
        ),
        (
            "the log bucket's rule loses its target",
            call(
                "events.amazonaws.com",
                "RemoveTargets",
                admin(),
                json!({"rule": SHORT_RULE, "ids": ["ValidatorQueue"]}),
            ),
            &[OWN_TRIGGER],
        ),
        (
            "the router's role loses a policy",
            call(
                "iam.amazonaws.com",
                "DetachRolePolicy",
                admin(),
                json!({"roleName": SHORT_ROLE, "policyArn": "arn:aws:iam::111122223333:policy/x"}),
            ),
            &[OWN_ROLES, CIS_IAM],
        ),
        (
            "the router's log group deleted",
            call(
                "logs.amazonaws.com",
                "DeleteLogGroup",
                admin(),
                json!({"logGroupName": "/aws/lambda/acme-security-platform-trailguard-production-eu-central-1/alert-router"}),
            ),
            &[OWN_LOGS],
        ),
        (
            "the validator's default log group deleted",
            call(
                "logs.amazonaws.com",
                "DeleteLogGroup",
                admin(),
                json!({"logGroupName": format!("/aws/lambda/{SHORT_VALIDATOR}")}),
            ),
            &[OWN_LOGS],
        ),
        (
            "the stack deleted by its ID",
            call(
                "cloudformation.amazonaws.com",
                "DeleteStack",
                admin(),
                json!({"stackName": LONG_STACK_ID}),
            ),
            &["trailguard_stack_changed"],
        ),
    ];
    for (name, record, want) in &cut {
        let want: BTreeSet<&str> = want.iter().copied().collect();
        assert_eq!(fired(&both_set, record), want, "{name}, name and resources");
        let only: BTreeSet<&str> = fired(&resources_set, record);
        assert_eq!(only, want, "{name}, resources alone");
        let own = |s: &&str| s.starts_with("trailguard_");
        let without: BTreeSet<&str> = fired(&prefix_set, record).into_iter().filter(own).collect();
        // The stack ID and the log groups under the full stack name are
        // still found by the prefix; every shortened name is not.
        if !name.contains("stack deleted") && !name.contains("router's log group") {
            assert!(
                without.is_empty(),
                "{name}: the prefix alone found it: {without:?}"
            );
        }
    }
    // Look-alikes stay quiet: the shortened prefix is not a prefix match,
    // and a name is matched whole.
    let quiet = [
        call(
            "lambda.amazonaws.com",
            "DeleteFunction20150331",
            admin(),
            json!({"functionName": "acme-security-platform-trai-OrdersApi-1234"}),
        ),
        call(
            "lambda.amazonaws.com",
            "DeleteFunction20150331",
            admin(),
            json!({"functionName": format!("{SHORT_ROUTER}-copy")}),
        ),
        call(
            "sqs.amazonaws.com",
            "PurgeQueue",
            admin(),
            json!({"queueUrl": format!("{SHORT_QUEUE_URL}-dlq")}),
        ),
        call(
            "events.amazonaws.com",
            "DisableRule",
            admin(),
            json!({"name": "acme-security-platform-tr-OrdersNightly-1"}),
        ),
        call(
            "sns.amazonaws.com",
            "DeleteTopic",
            admin(),
            json!({"topicArn": "arn:aws:sns:eu-central-1:111122223333:orders-events"}),
        ),
        call(
            "iam.amazonaws.com",
            "DeleteRolePolicy",
            admin(),
            json!({"roleName": "AlertRouterRole", "policyName": "x"}),
        ),
    ];
    for record in &quiet {
        let own: BTreeSet<&str> = fired(&both_set, record)
            .into_iter()
            .filter(|s| s.starts_with("trailguard_"))
            .collect();
        assert!(own.is_empty(), "{record}: {own:?}");
    }
    // With resources alone, the stack-name prefix matches nothing (the
    // placeholder takes MATCHES_NOTHING), not every name.
    let by_full_prefix = call(
        "lambda.amazonaws.com",
        "DeleteFunction20150331",
        admin(),
        json!({"functionName": format!("{LONG_STACK}-X")}),
    );
    assert!(fired(&resources_set, &by_full_prefix).is_empty());
    assert_eq!(
        fired(&both_set, &by_full_prefix),
        BTreeSet::from([OWN_FUNCTION])
    );
}

#[test]
fn every_rule_has_a_firing_fixture_and_a_near_miss() {
    let cases = cases();
    let mut names = BTreeSet::new();
    for c in &cases {
        assert!(names.insert(c.name), "two fixtures named {}", c.name);
    }
    let fires: BTreeSet<&str> = cases.iter().flat_map(|c| c.fires.iter().copied()).collect();
    let misses: BTreeSet<&str> = cases
        .iter()
        .flat_map(|c| c.near_miss_of.iter().copied())
        .collect();
    let all = all_stems();
    let no_fire: Vec<_> = all.difference(&fires).collect();
    let no_miss: Vec<_> = all.difference(&misses).collect();
    assert!(
        no_fire.is_empty(),
        "rules without a firing fixture: {no_fire:?}"
    );
    assert!(no_miss.is_empty(), "rules without a near miss: {no_miss:?}");
}

// ------------------------------------------------------ a normal day

fn normal_day() -> Vec<(&'static str, Value)> {
    let dev = || role("developer", "dave@example.com");
    let ci = || role("github-actions-deploy", "GitHubActions");
    let app = || role("orders-api", "i-0123456789abcdef0");
    let app_bucket = "acme-app-artifacts";
    let lambda_assume = set_fields(
        call(
            "sts.amazonaws.com",
            "AssumeRole",
            aws_service("lambda.amazonaws.com"),
            json!({"roleArn": format!("arn:aws:iam::{ACCOUNT}:role/orders-api-lambda"), "roleSessionName": "orders-api"}),
        ),
        json!({"sourceIPAddress": "lambda.amazonaws.com", "userAgent": "lambda.amazonaws.com", "responseElements": {"credentials": {"accessKeyId": "ASIAEXAMPLE000000002", "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLE", "expiration": "Nov 20, 2026, 2:03:11 PM"}}}),
    );
    let ecs_assume = set_fields(
        call(
            "sts.amazonaws.com",
            "AssumeRole",
            aws_service("ecs-tasks.amazonaws.com"),
            json!({"roleArn": format!("arn:aws:iam::{ACCOUNT}:role/orders-worker-task"), "roleSessionName": "8f7e6d5c4b3a2910"}),
        ),
        json!({"sourceIPAddress": "ecs-tasks.amazonaws.com", "userAgent": "ecs-tasks.amazonaws.com"}),
    );
    let saml = set_fields(
        call(
            "sts.amazonaws.com",
            "AssumeRoleWithSAML",
            json!({"type": "SAMLUser", "principalId": "x", "userName": "dave@example.com", "identityProvider": "Okta"}),
            json!({"roleArn": format!("arn:aws:iam::{ACCOUNT}:role/developer"), "principalArn": format!("arn:aws:iam::{ACCOUNT}:saml-provider/Okta")}),
        ),
        json!({"userAgent": "aws-internal/3"}),
    );
    let cloudtrail_key = set_fields(
        kms(
            "GenerateDataKey",
            aws_service("cloudtrail.amazonaws.com"),
            KEY_ARN,
            KEY_ARN,
            json!({"keySpec": "AES_256", "encryptionContext": {"aws:cloudtrail:arn": TRAIL_ARN, "aws:s3:arn": format!("arn:aws:s3:::{LOG_BUCKET_NAME}/AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/20/f.json.gz")}}),
        ),
        json!({"sourceIPAddress": "cloudtrail.amazonaws.com", "userAgent": "cloudtrail.amazonaws.com"}),
    );
    let validator_decrypt = kms(
        "Decrypt",
        role("trailguard-integrity-validator", "validator"),
        KEY_ARN,
        KEY_ARN,
        json!({"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": {"aws:cloudtrail:arn": TRAIL_ARN}}),
    );
    let autoscaling_run = set_fields(
        ec2(
            "RunInstances",
            set_fields(
                role("AWSServiceRoleForAutoScaling", "AutoScaling"),
                json!({"invokedBy": "autoscaling.amazonaws.com"}),
            ),
            json!({"instancesSet": {"items": [{"imageId": "ami-0123456789abcdef0", "minCount": 1, "maxCount": 1}]}, "instanceType": "m7g.large"}),
        ),
        json!({"sourceIPAddress": "autoscaling.amazonaws.com", "userAgent": "autoscaling.amazonaws.com"}),
    );
    vec![
        (
            "instances listed",
            ec2(
                "DescribeInstances",
                dev(),
                json!({"instancesSet": {}, "filterSet": {}}),
            ),
        ),
        (
            "caller identity",
            call("sts.amazonaws.com", "GetCallerIdentity", dev(), Value::Null),
        ),
        (
            "buckets listed",
            call(
                "s3.amazonaws.com",
                "ListBuckets",
                dev(),
                json!({"Host": "s3.amazonaws.com"}),
            ),
        ),
        (
            "a bucket policy read",
            s3(
                "GetBucketPolicy",
                dev(),
                app_bucket,
                None,
                json!({"policy": [""]}),
            ),
        ),
        (
            "trails described",
            call(
                "cloudtrail.amazonaws.com",
                "DescribeTrails",
                dev(),
                json!({"includeShadowTrails": true}),
            ),
        ),
        (
            "trail status read",
            call(
                "cloudtrail.amazonaws.com",
                "GetTrailStatus",
                role("trailguard-integrity-validator", "validator"),
                json!({"name": TRAIL_ARN}),
            ),
        ),
        ("a Lambda function's role assumed", lambda_assume),
        ("an ECS task's role assumed", ecs_assume),
        ("a SAML role assumed", saml),
        (
            "a console sign-in with MFA",
            console_login(user("alice"), true, true),
        ),
        (
            "a federated console sign-in",
            set_fields(
                console_login(role("developer", "dave@example.com"), true, false),
                json!({"additionalEventData": {"MFAUsed": "No", "SamlProviderArn": format!("arn:aws:iam::{ACCOUNT}:saml-provider/Okta")}}),
            ),
        ),
        (
            "an artifact uploaded",
            s3(
                "PutObject",
                ci(),
                app_bucket,
                Some("builds/4711/app.zip"),
                json!({"x-amz-server-side-encryption": "aws:kms"}),
            ),
        ),
        (
            "an artifact downloaded",
            s3(
                "GetObject",
                app(),
                app_bucket,
                Some("builds/4711/app.zip"),
                json!({}),
            ),
        ),
        (
            "an order stored",
            set_fields(
                call(
                    "dynamodb.amazonaws.com",
                    "PutItem",
                    app(),
                    json!({"tableName": "orders", "key": {"pk": "HIDDEN_DUE_TO_SECURITY_REASONS"}}),
                ),
                json!({"managementEvent": false, "eventCategory": "Data", "resources": [{"accountId": ACCOUNT, "type": "AWS::DynamoDB::Table", "ARN": format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders")}]}),
            ),
        ),
        (
            "a log stream created",
            call(
                "logs.amazonaws.com",
                "CreateLogStream",
                role("orders-api-lambda", "orders-api"),
                json!({"logGroupName": "/aws/lambda/orders-api", "logStreamName": "2026/11/20/[$LATEST]0123456789abcdef"}),
            ),
        ),
        ("CloudTrail encrypts a log file", cloudtrail_key),
        ("the validator decrypts a log file", validator_decrypt),
        (
            "a log file listed and read by the validator",
            s3(
                "GetObject",
                role("trailguard-integrity-validator", "validator"),
                LOG_BUCKET_NAME,
                Some("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/f.json.gz"),
                json!({}),
            ),
        ),
        (
            "a developer opens HTTPS from the office",
            ec2(
                "AuthorizeSecurityGroupIngress",
                dev(),
                json!({"groupId": "sg-0a1b2c3d4e5f67890", "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "ipRanges": {"items": [{"cidrIp": "203.0.113.0/24", "description": "office"}]}}]}}),
            ),
        ),
        (
            "a user created",
            iam(
                "CreateUser",
                role("AdministratorAccess-SSO", "olivia@example.com"),
                json!({"userName": "reporting-export", "tags": [{"key": "team", "value": "finance"}]}),
            ),
        ),
        (
            "a role created",
            iam(
                "CreateRole",
                ci(),
                json!({"roleName": "orders-api-lambda", "assumeRolePolicyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"lambda.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"}),
            ),
        ),
        (
            "a narrow inline role policy",
            iam(
                "PutRolePolicy",
                ci(),
                json!({"roleName": "orders-api-lambda", "policyName": "orders-table", "policyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"dynamodb:PutItem\",\"dynamodb:GetItem\"],\"Resource\":\"arn:aws:dynamodb:us-east-1:111122223333:table/orders\"}]}"}),
            ),
        ),
        (
            "a basic execution policy attached",
            iam(
                "AttachRolePolicy",
                ci(),
                json!({"roleName": "orders-api-lambda", "policyArn": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}),
            ),
        ),
        (
            "a stack described",
            call(
                "cloudformation.amazonaws.com",
                "DescribeStacks",
                ci(),
                json!({"stackName": "orders"}),
            ),
        ),
        (
            "function code updated",
            call(
                "lambda.amazonaws.com",
                "UpdateFunctionCode20150331v2",
                ci(),
                json!({"functionName": "orders-api", "s3Bucket": app_bucket, "s3Key": "builds/4711/app.zip", "publish": true}),
            ),
        ),
        (
            "a secret read",
            call(
                "secretsmanager.amazonaws.com",
                "GetSecretValue",
                app(),
                json!({"secretId": "orders/db"}),
            ),
        ),
        (
            "a parameter read",
            call(
                "ssm.amazonaws.com",
                "GetParameter",
                app(),
                json!({"name": "/orders/feature-flags", "withDecryption": true}),
            ),
        ),
        (
            "an Athena query",
            call(
                "athena.amazonaws.com",
                "StartQueryExecution",
                dev(),
                json!({"queryString": "SELECT count(*) FROM orders", "workGroup": "primary"}),
            ),
        ),
        ("Auto Scaling launches an instance", autoscaling_run),
        (
            "a bucket created with Block Public Access on",
            s3(
                "PutBucketPublicAccessBlock",
                ci(),
                "acme-app-reports",
                None,
                json!({"publicAccessBlock": [""], "PublicAccessBlockConfiguration": {"RestrictPublicBuckets": true, "BlockPublicPolicy": true, "BlockPublicAcls": true, "IgnorePublicAcls": true}}),
            ),
        ),
        (
            "a user rotates their own access key",
            iam(
                "CreateAccessKey",
                user("alice"),
                json!({"userName": "alice"}),
            ),
        ),
        (
            "a snapshot taken",
            ec2(
                "CreateSnapshot",
                role("AWSDataLifecycleManagerDefaultRole", "DLM"),
                json!({"volumeId": "vol-0123456789abcdef0", "description": "daily"}),
            ),
        ),
        (
            "an alarm set",
            call(
                "monitoring.amazonaws.com",
                "PutMetricAlarm",
                ci(),
                json!({"alarmName": "orders-5xx", "metricName": "5XXError", "namespace": "AWS/ApiGateway", "threshold": 5.0}),
            ),
        ),
    ]
}

#[test]
fn a_normal_day_stays_under_the_default_floor() {
    let set = all_rules();
    let day = normal_day();
    assert!(day.len() >= 30);
    let mut loud = Vec::new();
    let mut quiet: BTreeSet<&str> = BTreeSet::new();
    for (name, rec) in &day {
        for r in set.evaluate(rec) {
            if r.level >= Level::Medium {
                loud.push(format!("{name}: {} ({})", stem(&r.origin), r.level));
            } else {
                quiet.insert(stem(&r.origin));
            }
        }
    }
    assert!(loud.is_empty(), "a normal day alerts:\n{}", loud.join("\n"));
    // What a normal day does leave, below the floor: the change record.
    assert_eq!(
        quiet,
        BTreeSet::from(["cis_iam_policy_changes", "cis_security_group_changes"])
    );
}

// ------------------------------------------------------ with SigmaHQ

#[test]
fn builtins_and_sigmahq_rules_form_one_set() {
    let Some(dir) = crate::detect::sigma_dir() else {
        return;
    };
    let mut texts: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    texts.sort();
    let mut rules = loaded(&configured()).rules;
    let ours = rules.len();
    for (origin, text) in &texts {
        rules.push(Rule::from_yaml(text, origin).unwrap_or_else(|e| panic!("{e}")));
    }
    let set = match RuleSet::new(rules) {
        Ok(s) => s,
        Err(e) => panic!("built-ins and SigmaHQ rules clash: {e}"),
    };
    assert_eq!(set.len(), ours + texts.len());
    // The fixtures through the combined set give the built-ins they gave
    // alone (SigmaHQ rules may fire too).
    let alone = all_rules();
    for c in cases() {
        let ours: BTreeSet<&str> = set
            .evaluate(&c.record)
            .iter()
            .filter(|r| r.origin.starts_with("builtin/"))
            .map(|r| stem(&r.origin))
            .collect();
        assert_eq!(ours, fired(&alone, &c.record), "{}", c.name);
    }
}

// ------------------------------------------------------ README's table

/// README's rules table names every built-in with its level and ATT&CK
/// techniques, so what users read is what runs.
#[test]
fn readme_lists_every_builtin_with_its_level_and_technique() {
    let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"));
    let b = loaded(&configured());
    let mut missing = Vec::new();
    for r in &b.rules {
        let s = stem(&r.origin);
        let Some(row) = readme
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("| `{s}` |")))
        else {
            missing.push(format!("{s}: no row"));
            continue;
        };
        if !row.contains(&format!("| {} |", r.level)) {
            missing.push(format!("{s}: level {} not in {row}", r.level));
        }
        for t in r.tags.iter().filter_map(|t| t.strip_prefix("attack.t")) {
            if t.starts_with(|c: char| c.is_ascii_digit())
                && !row.contains(&format!("T{}", t.to_uppercase()))
            {
                missing.push(format!("{s}: T{t} not in {row}"));
            }
        }
    }
    assert!(missing.is_empty(), "\n{}", missing.join("\n"));
    assert_eq!(
        readme.matches(" built-in, plus yours").count(),
        1,
        "README's count of built-ins"
    );
    assert!(readme.contains(&format!("({} built-in, plus yours)", b.rules.len())));
}
