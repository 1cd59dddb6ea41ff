//! Selector analysis on basic and advanced selectors as GetEventSelectors
//! returns them, and the repair: minimal, keeping everything, idempotent,
//! within AWS's limits.

use super::super::selectors::{
    analyze, check_limits, repaired, Analysis, Coverage, SelectorRepairError, Span,
    DYNAMODB_SELECTOR_NAME, MANAGEMENT_SELECTOR_NAME, MAX_ADVANCED_VALUES,
    MAX_BASIC_DATA_RESOURCES, S3_SELECTOR_NAME,
};
use super::*;

fn analysis(v: Value) -> Analysis {
    analyze(&selectors_from(v), &req(), "aws")
}

fn basic(selectors: Value) -> Value {
    json!({ "TrailARN": ARN, "EventSelectors": selectors })
}

fn advanced(selectors: Value) -> Value {
    json!({ "TrailARN": ARN, "AdvancedEventSelectors": selectors })
}

fn bucket(a: &Analysis) -> &Coverage {
    &a.s3[0].1
}

const FULL: Coverage = Coverage {
    read: Span::Full,
    write: Span::Full,
};

/// The management selector the console creates.
fn mgmt() -> Value {
    json!({"Name": "Management events", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]}
    ]})
}

fn s3_sel(arn: Value) -> Value {
    let mut fs = vec![
        json!({"Field": "eventCategory", "Equals": ["Data"]}),
        json!({"Field": "resources.type", "Equals": ["AWS::S3::Object"]}),
    ];
    if !arn.is_null() {
        fs.push(arn);
    }
    json!({"Name": "S3", "FieldSelectors": fs})
}

fn ddb_sel() -> Value {
    json!({"Name": "DynamoDB", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": ["AWS::DynamoDB::Table"]}
    ]})
}

// ---- basic ---------------------------------------------------------------------------

#[test]
fn basic_fixture_meets_everything() {
    let a = analysis(selectors_json());
    assert!(a.is_ok(), "{:?}", a.gaps());
    assert_eq!(a.form, "basic");
    assert!(a.gaps().is_empty());
}

#[test]
fn basic_default_trail_lacks_data_events() {
    let a = analysis(basic(json!([
        {"ReadWriteType": "All", "IncludeManagementEvents": true, "DataResources": [], "ExcludeManagementEventSources": []}
    ])));
    assert!(a.management_ok());
    assert_eq!(a.missing_buckets(), [BUCKET]);
    assert!(!a.dynamodb_ok());
    assert_eq!(
        a.gaps(),
        [
            "S3 object events of bucket artifacts-bucket: not recorded",
            "DynamoDB events of all tables: not recorded"
        ]
    );
}

#[test]
fn basic_bucket_value_forms() {
    let case = |value: &str| {
        let a = analysis(basic(json!([{
            "ReadWriteType": "All",
            "DataResources": [{"Type": "AWS::S3::Object", "Values": [value]}]
        }])));
        bucket(&a).clone()
    };
    for full in [
        "arn:aws:s3",
        "arn:aws:s3:::",
        "arn:aws:s3:::artifacts-bucket/",
        "arn:aws:s3:::artifacts-bucket",
    ] {
        assert_eq!(case(full), FULL, "{full}");
    }
    let partial = case("arn:aws:s3:::artifacts-bucket/builds/");
    assert_eq!(
        partial.read,
        Span::Partial(vec!["arn:aws:s3:::artifacts-bucket/builds/ only".into()])
    );
    for none in [
        "arn:aws:s3:::artifacts-bucket-2/",
        "arn:aws:s3:::other/",
        "arn:aws:s3:::artifacts",
        "arn:aws-cn:s3",
        "",
    ] {
        assert_eq!(case(none).read, Span::None, "{none:?}");
    }
}

#[test]
fn basic_bucket_wrong_type_does_not_count() {
    let a = analysis(basic(json!([{
        "ReadWriteType": "All",
        "DataResources": [{"Type": "AWS::Lambda::Function", "Values": ["arn:aws:s3"]}]
    }])));
    assert_eq!(bucket(&a).read, Span::None);
}

#[test]
fn basic_prefix_gap_is_explained() {
    let a = analysis(basic(json!([{
        "ReadWriteType": "All",
        "DataResources": [
            {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::artifacts-bucket/builds/", "arn:aws:s3:::artifacts-bucket/keys/"]},
            {"Type": "AWS::DynamoDB::Table", "Values": ["arn:aws:dynamodb"]}
        ]
    }])));
    assert_eq!(
        a.gaps(),
        [
            "S3 object events of bucket artifacts-bucket: only partly recorded \
          (arn:aws:s3:::artifacts-bucket/builds/ only; arn:aws:s3:::artifacts-bucket/keys/ only)"
        ]
    );
}

#[test]
fn basic_read_write_types_combine() {
    // ReadOnly alone: writes missing.
    let a = analysis(basic(json!([
        {"ReadWriteType": "ReadOnly", "IncludeManagementEvents": true,
         "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::artifacts-bucket/"]}]}
    ])));
    assert_eq!(a.management.read, Span::Full);
    assert_eq!(a.management.write, Span::None);
    assert!(a.gaps().contains(
        &"management events: read events recorded, write events not recorded".to_string()
    ));
    assert!(a.gaps().contains(
        &"S3 object events of bucket artifacts-bucket: read events recorded, write events not recorded"
            .to_string()
    ));
    // ReadOnly + WriteOnly together: an All.
    let a = analysis(basic(json!([
        {"ReadWriteType": "ReadOnly", "IncludeManagementEvents": true,
         "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::artifacts-bucket/"]}]},
        {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": true,
         "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]},
                           {"Type": "AWS::DynamoDB::Table", "Values": ["arn:aws:dynamodb"]}]},
        {"ReadWriteType": "ReadOnly", "IncludeManagementEvents": false,
         "DataResources": [{"Type": "AWS::DynamoDB::Table", "Values": ["arn:aws:dynamodb"]}]}
    ])));
    assert!(a.is_ok(), "{:?}", a.gaps());
}

#[test]
fn basic_management_excluded_sources() {
    let a = analysis(basic(json!([
        {"ReadWriteType": "All", "IncludeManagementEvents": true,
         "ExcludeManagementEventSources": ["kms.amazonaws.com", "rdsdata.amazonaws.com"]}
    ])));
    assert_eq!(
        a.management.read,
        Span::Partial(vec![
            "ExcludeManagementEventSources [kms.amazonaws.com, rdsdata.amazonaws.com]".into()
        ])
    );
    assert_eq!(
        a.gaps()[0],
        "management events: only partly recorded \
         (ExcludeManagementEventSources [kms.amazonaws.com, rdsdata.amazonaws.com])"
    );
    // Another selector recording them: nothing is missing.
    let a = analysis(basic(json!([
        {"ReadWriteType": "All", "ExcludeManagementEventSources": ["kms.amazonaws.com"]},
        {"ReadWriteType": "All", "ExcludeManagementEventSources": ["rdsdata.amazonaws.com"]}
    ])));
    assert!(a.management_ok());
    // Both exclude KMS: KMS is missing, RDS data is not.
    let a = analysis(basic(json!([
        {"ReadWriteType": "All", "ExcludeManagementEventSources": ["kms.amazonaws.com", "rdsdata.amazonaws.com"]},
        {"ReadWriteType": "ReadOnly", "ExcludeManagementEventSources": ["kms.amazonaws.com"]}
    ])));
    assert_eq!(
        a.management.read,
        Span::Partial(vec![
            "ExcludeManagementEventSources [kms.amazonaws.com]".into()
        ])
    );
    assert_eq!(
        a.management.write,
        Span::Partial(vec![
            "ExcludeManagementEventSources [kms.amazonaws.com, rdsdata.amazonaws.com]".into()
        ])
    );
}

#[test]
fn basic_management_not_included() {
    let a = analysis(basic(json!([
        {"ReadWriteType": "All", "IncludeManagementEvents": false,
         "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}
    ])));
    assert_eq!(a.gaps()[0], "management events: not recorded");
    assert_eq!(bucket(&a), &FULL);
}

#[test]
fn basic_dynamodb_forms() {
    let case = |value: &str| {
        let a = analysis(basic(json!([{
            "ReadWriteType": "All",
            "DataResources": [{"Type": "AWS::DynamoDB::Table", "Values": [value]}]
        }])));
        a.dynamodb.clone().expect("required")
    };
    assert_eq!(case("arn:aws:dynamodb"), FULL);
    assert_eq!(case("arn:aws:dynamodb:"), FULL);
    let one = "arn:aws:dynamodb:us-east-1:111122223333:table/orders";
    assert_eq!(case(one).read, Span::Partial(vec![format!("{one} only")]));
    assert_eq!(case("arn:aws:s3").read, Span::None);
}

#[test]
fn nothing_required_but_management() {
    let r = Requirements {
        s3_data_buckets: Vec::new(),
        dynamodb_data_events: false,
        ..req()
    };
    let a = analyze(
        &selectors_from(basic(json!([{"ReadWriteType": "All"}]))),
        &r,
        "aws",
    );
    assert!(a.is_ok());
    assert_eq!(a.dynamodb, None);
    assert_eq!(
        a.expected(),
        "management events read and write with no source excluded"
    );
}

#[test]
fn no_selectors_record_nothing() {
    let a = analysis(json!({"TrailARN": ARN}));
    assert_eq!(a.form, "no");
    assert_eq!(a.gaps().len(), 3);
    assert!(
        a.gaps().iter().all(|g| g.ends_with(": not recorded")),
        "{:?}",
        a.gaps()
    );
}

// ---- advanced -----------------------------------------------------------------------------

#[test]
fn advanced_console_selectors_meet_everything() {
    let a = analysis(advanced(json!([
        mgmt(),
        s3_sel(json!({"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::artifacts-bucket/"]})),
        ddb_sel()
    ])));
    assert!(a.is_ok(), "{:?}", a.gaps());
    assert_eq!(a.form, "advanced");
}

#[test]
fn advanced_all_buckets_and_equivalent_arn_forms() {
    for arn in [
        Value::Null,
        json!({"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::"]}),
        json!({"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::other/", "arn:aws:s3:::artifacts-bucket/"]}),
        json!({"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::artifacts-bucket/"], "NotStartsWith": ["arn:aws:s3:::other/"]}),
        json!({"Field": "resources.ARN", "NotEquals": ["arn:aws:s3:::other/key"]}),
    ] {
        let a = analysis(advanced(json!([mgmt(), s3_sel(arn.clone()), ddb_sel()])));
        assert_eq!(bucket(&a), &FULL, "{arn}");
    }
}

#[test]
fn advanced_bucket_restrictions_are_partial_or_none() {
    let partial = [
        json!({"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::artifacts-bucket/builds/"]}),
        json!({"Field": "resources.ARN", "Equals": ["arn:aws:s3:::artifacts-bucket/"]}),
        json!({"Field": "resources.ARN", "EndsWith": [".zip"]}),
        json!({"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::artifacts-bucket/"], "NotStartsWith": ["arn:aws:s3:::artifacts-bucket/tmp/"]}),
        json!({"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::artifacts-bucket/"], "NotEquals": ["arn:aws:s3:::artifacts-bucket/secret"]}),
        json!({"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::artifacts-bucket/"], "NotEndsWith": [".tmp"]}),
        // Mixed positive operators: each must cover on its own.
        json!({"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::artifacts-bucket/"], "EndsWith": [".zip"]}),
    ];
    for arn in partial {
        let a = analysis(advanced(json!([s3_sel(arn.clone())])));
        match &bucket(&a).read {
            Span::Partial(why) => assert!(
                why[0].starts_with("selector \"S3\": resources.ARN"),
                "{why:?}"
            ),
            other => panic!("{arn}: {other:?}"),
        }
    }
    let none = [
        json!({"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::other/"]}),
        json!({"Field": "resources.ARN", "Equals": ["arn:aws:s3:::other/x"]}),
        json!({"Field": "resources.ARN", "NotStartsWith": ["arn:aws:s3:::"]}),
        json!({"Field": "resources.ARN", "NotStartsWith": ["arn:aws:s3:::artifacts-bucket/"]}),
    ];
    for arn in none {
        let a = analysis(advanced(json!([s3_sel(arn.clone())])));
        assert_eq!(bucket(&a).read, Span::None, "{arn}");
    }
}

#[test]
fn advanced_read_only_field() {
    let with_ro = |values: Value| {
        let a = analysis(advanced(json!([{
            "Name": "S3 writes",
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                {"Field": "readOnly", "Equals": values}
            ]
        }])));
        bucket(&a).clone()
    };
    let w = with_ro(json!(["false"]));
    assert_eq!((w.read, w.write), (Span::None, Span::Full));
    let r = with_ro(json!(["true"]));
    assert_eq!((r.read, r.write), (Span::Full, Span::None));
    assert_eq!(with_ro(json!(["true", "false"])), FULL);
}

#[test]
fn advanced_other_fields_make_it_partial() {
    let a = analysis(advanced(json!([{
        "Name": "Puts only",
        "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
            {"Field": "eventName", "Equals": ["PutObject", "DeleteObject"]}
        ]
    }])));
    assert_eq!(
        bucket(&a).write,
        Span::Partial(vec![
            "selector \"Puts only\": eventName Equals [PutObject, DeleteObject]".into()
        ])
    );
}

#[test]
fn advanced_management_restrictions() {
    let a = analysis(advanced(json!([{
        "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Management"]},
            {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]}
        ]
    }, ddb_sel(), s3_sel(Value::Null)])));
    assert_eq!(
        a.gaps(),
        ["management events: only partly recorded \
          (advanced selector 1: eventSource NotEquals [kms.amazonaws.com])"]
    );
    // Write-only management, then both halves in two selectors.
    let ro = |v: &str| {
        json!({"FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Management"]},
            {"Field": "readOnly", "Equals": [v]}
        ]})
    };
    let a = analysis(advanced(json!([ro("false")])));
    assert_eq!(
        (&a.management.read, &a.management.write),
        (&Span::None, &Span::Full)
    );
    let a = analysis(advanced(json!([ro("false"), ro("true")])));
    assert!(a.management_ok());
    // A data selector does not record management events.
    let a = analysis(advanced(json!([s3_sel(Value::Null)])));
    assert_eq!(a.management.read, Span::None);
}

#[test]
fn advanced_dynamodb_arn_restriction_is_partial() {
    let a = analysis(advanced(json!([{
        "Name": "orders table",
        "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::DynamoDB::Table"]},
            {"Field": "resources.ARN", "Equals": ["arn:aws:dynamodb:us-east-1:111122223333:table/orders"]}
        ]
    }])));
    assert!(!a.dynamodb_ok());
    assert!(a.gaps().iter().any(|g| g.starts_with(
        "DynamoDB events of all tables: only partly recorded (selector \"orders table\": resources.ARN Equals"
    )), "{:?}", a.gaps());
}

#[test]
fn advanced_other_resource_types_do_not_count() {
    let a = analysis(advanced(json!([{
        "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::Lambda::Function"]}
        ]
    }])));
    assert_eq!(bucket(&a).read, Span::None);
    assert!(!a.dynamodb_ok());
}

// ---- repair ------------------------------------------------------------------------------

/// Every data resource value of `before` is still recorded by `after`
/// (with at least the same read/write), and every advanced selector is
/// kept (unchanged, or a plain S3 one only widened), except management
/// selectors, which the unrestricted one subsumes.
fn assert_keeps(before: &Selectors, after: &Selectors) {
    for b in &before.basic {
        for d in &b.data_resources {
            for v in &d.values {
                let kept = after.basic.iter().any(|a| {
                    (!b.read_write_type.reads() || a.read_write_type.reads())
                        && (!b.read_write_type.writes() || a.read_write_type.writes())
                        && a.data_resources
                            .iter()
                            .any(|x| x.kind == d.kind && x.values.contains(v))
                });
                assert!(kept, "{v} ({:?}) dropped: {after:#?}", b.read_write_type);
            }
        }
    }
    for b in &before.advanced {
        let is_mgmt = b
            .field_selectors
            .iter()
            .any(|f| f.field == "eventCategory" && f.equals == ["Management"]);
        if is_mgmt {
            continue;
        }
        let kept = after.advanced.iter().any(|a| {
            a == b
                || (a.name == b.name
                    && a.field_selectors.len() == b.field_selectors.len()
                    && a.field_selectors
                        .iter()
                        .zip(&b.field_selectors)
                        .all(|(x, y)| {
                            x == y
                                || (x.field == "resources.ARN"
                                    && y.starts_with.iter().all(|s| x.starts_with.contains(s)))
                        }))
        });
        assert!(kept, "{b:?} dropped: {after:#?}");
    }
}

/// Repairs, then checks: ok, within limits, keeps everything, idempotent.
fn repair_ok(v: Value) -> Selectors {
    let before = selectors_from(v);
    let after = match repaired(&before, &req(), "aws") {
        Ok(s) => s,
        Err(e) => panic!("{e}: {before:#?}"),
    };
    let a = analyze(&after, &req(), "aws");
    assert!(a.is_ok(), "{:?}\n{after:#?}", a.gaps());
    assert_eq!(check_limits(&after), Ok(()));
    assert_keeps(&before, &after);
    assert_eq!(
        repaired(&after, &req(), "aws").as_ref(),
        Ok(&after),
        "not idempotent"
    );
    // Through JSON as it would be put and read back.
    let back = selectors_from(serde_json::to_value(&after).expect("json"));
    assert_eq!(back, after);
    after
}

#[test]
fn repair_of_satisfied_selectors_changes_nothing() {
    for v in [
        selectors_json(),
        advanced(json!([mgmt(), s3_sel(Value::Null), ddb_sel()])),
    ] {
        let s = selectors_from(v);
        assert_eq!(repaired(&s, &req(), "aws"), Ok(s));
    }
}

#[test]
fn repair_basic_extends_the_home_selector() {
    let after = repair_ok(basic(json!([
        {"ReadWriteType": "ReadOnly", "IncludeManagementEvents": false,
         "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::logs-archive/"]}]},
        {"ReadWriteType": "All", "IncludeManagementEvents": true,
         "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::site/"]}]}
    ])));
    assert_eq!(
        serde_json::to_value(&after).unwrap(),
        json!({"EventSelectors": [
            {"ReadWriteType": "ReadOnly", "IncludeManagementEvents": false,
             "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::logs-archive/"]}],
             "ExcludeManagementEventSources": []},
            {"ReadWriteType": "All", "IncludeManagementEvents": true,
             "DataResources": [
                {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::site/", "arn:aws:s3:::artifacts-bucket/"]},
                {"Type": "AWS::DynamoDB::Table", "Values": ["arn:aws:dynamodb"]}
             ],
             "ExcludeManagementEventSources": []}
        ]})
    );
}

#[test]
fn repair_basic_default_trail() {
    let after = repair_ok(basic(json!([
        {"ReadWriteType": "All", "IncludeManagementEvents": true, "DataResources": [], "ExcludeManagementEventSources": []}
    ])));
    assert_eq!(after.basic.len(), 1);
    assert_eq!(after.basic[0].data_resources.len(), 2);
}

#[test]
fn repair_basic_adds_a_selector_when_none_is_all() {
    let after = repair_ok(basic(json!([
        {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": true,
         "ExcludeManagementEventSources": ["kms.amazonaws.com"],
         "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::artifacts-bucket/"]}]}
    ])));
    assert_eq!(after.basic.len(), 2);
    assert_eq!(after.basic[0], selectors_from(basic(json!([
        {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": true,
         "ExcludeManagementEventSources": ["kms.amazonaws.com"],
         "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::artifacts-bucket/"]}]}
    ]))).basic[0], "the owner's selector is untouched");
    let added = &after.basic[1];
    assert_eq!(added.read_write_type, ReadWriteType::All);
    assert!(added.include_management_events);
    assert!(added.exclude_management_event_sources.is_empty());
}

#[test]
fn repair_basic_data_only_selector_for_data_gaps() {
    // Management fine through ReadOnly + WriteOnly: the new selector records data only.
    let after = repair_ok(basic(json!([
        {"ReadWriteType": "ReadOnly"},
        {"ReadWriteType": "WriteOnly"}
    ])));
    assert_eq!(after.basic.len(), 3);
    assert!(!after.basic[2].include_management_events);
}

#[test]
fn repair_basic_clears_home_exclusions_only() {
    let after = repair_ok(basic(json!([
        {"ReadWriteType": "All", "IncludeManagementEvents": true,
         "ExcludeManagementEventSources": ["kms.amazonaws.com"],
         "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]},
                           {"Type": "AWS::DynamoDB::Table", "Values": ["arn:aws:dynamodb"]}]},
        {"ReadWriteType": "ReadOnly", "IncludeManagementEvents": true,
         "ExcludeManagementEventSources": ["rdsdata.amazonaws.com"]}
    ])));
    assert!(after.basic[0].exclude_management_event_sources.is_empty());
    assert_eq!(
        after.basic[1].exclude_management_event_sources,
        ["rdsdata.amazonaws.com"]
    );
    assert_eq!(
        after.basic[0].data_resources[0].values,
        ["arn:aws:s3"],
        "nothing added"
    );
}

#[test]
fn repair_basic_partial_bucket_keeps_the_prefix() {
    let after = repair_ok(basic(json!([
        {"ReadWriteType": "All",
         "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::artifacts-bucket/builds/"]},
                           {"Type": "AWS::DynamoDB::Table", "Values": ["arn:aws:dynamodb:us-east-1:111122223333:table/orders"]}]}
    ])));
    assert_eq!(
        after.basic[0].data_resources[0].values,
        [
            "arn:aws:s3:::artifacts-bucket/builds/",
            "arn:aws:s3:::artifacts-bucket/"
        ]
    );
    assert_eq!(
        after.basic[0].data_resources[1].values,
        [
            "arn:aws:dynamodb:us-east-1:111122223333:table/orders",
            "arn:aws:dynamodb"
        ]
    );
}

#[test]
fn repair_empty_selectors_creates_basic() {
    for v in [
        json!({"TrailARN": ARN}),
        basic(json!([])),
        advanced(json!([])),
    ] {
        let after = repair_ok(v);
        assert!(after.advanced.is_empty());
        assert_eq!(after.basic.len(), 1);
    }
}

#[test]
fn repair_advanced_adds_selectors() {
    let after = repair_ok(advanced(json!([
        {"Name": "Lambda", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::Lambda::Function"]}
        ]}
    ])));
    assert!(after.basic.is_empty());
    let names: Vec<Option<&str>> = after.advanced.iter().map(|s| s.name.as_deref()).collect();
    assert_eq!(
        names,
        [
            Some("Lambda"),
            Some(MANAGEMENT_SELECTOR_NAME),
            Some(S3_SELECTOR_NAME),
            Some(DYNAMODB_SELECTOR_NAME)
        ]
    );
    assert_eq!(
        serde_json::to_value(&after.advanced[2]).unwrap(),
        json!({"Name": S3_SELECTOR_NAME, "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
            {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::artifacts-bucket/"]}
        ]})
    );
}

#[test]
fn repair_advanced_widens_management_and_drops_subsumed_ones() {
    let after = repair_ok(advanced(json!([
        {"Name": "Mgmt writes", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Management"]},
            {"Field": "readOnly", "Equals": ["false"]},
            {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]}
        ]},
        s3_sel(json!({"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::site/"]})),
        {"Name": "Mgmt reads", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Management"]},
            {"Field": "readOnly", "Equals": ["true"]}
        ]},
        ddb_sel()
    ])));
    assert_eq!(after.advanced.len(), 3);
    assert_eq!(
        after.advanced[0].name.as_deref(),
        Some("Mgmt writes"),
        "name kept"
    );
    assert_eq!(
        after.advanced[0].field_selectors,
        [FieldSelector::equals("eventCategory", &["Management"])]
    );
    // The owner's plain S3 selector is extended, not duplicated.
    assert_eq!(
        after.advanced[1].field_selectors[2].starts_with,
        ["arn:aws:s3:::site/", "arn:aws:s3:::artifacts-bucket/"]
    );
    assert_eq!(after.advanced[2].name.as_deref(), Some("DynamoDB"));
}

#[test]
fn repair_advanced_leaves_restricted_s3_selectors_alone() {
    let restricted = s3_sel(json!({"Field": "resources.ARN",
        "StartsWith": ["arn:aws:s3:::artifacts-bucket/"],
        "NotStartsWith": ["arn:aws:s3:::artifacts-bucket/tmp/"]}));
    let after = repair_ok(advanced(json!([mgmt(), restricted.clone(), ddb_sel()])));
    assert_eq!(after.advanced.len(), 4);
    assert_eq!(
        serde_json::to_value(&after.advanced[1]).unwrap(),
        restricted,
        "restricted selector unchanged"
    );
    assert_eq!(after.advanced[3].name.as_deref(), Some(S3_SELECTOR_NAME));
}

#[test]
fn repair_refuses_mixed_forms() {
    let mixed = selectors_from(json!({
        "EventSelectors": [{"ReadWriteType": "ReadOnly"}],
        "AdvancedEventSelectors": [mgmt()]
    }));
    assert_eq!(
        repaired(&mixed, &req(), "aws"),
        Err(SelectorRepairError::Mixed)
    );
}

#[test]
fn repair_refuses_a_sixth_basic_selector() {
    let five: Vec<Value> = (0..5)
        .map(|i| {
            json!({"ReadWriteType": "ReadOnly", "DataResources": [
            {"Type": "AWS::S3::Object", "Values": [format!("arn:aws:s3:::b{i}/")]}]})
        })
        .collect();
    let s = selectors_from(basic(json!(five)));
    assert_eq!(
        repaired(&s, &req(), "aws"),
        Err(SelectorRepairError::TooManyBasicSelectors { count: 6 })
    );
    let o = check_of(CheckName::EventSelectors, &trail(), &status(), &s, &req());
    assert_drift(
        &o,
        &["cannot repair: the repaired basic selectors would number 6 (AWS allows 5)"],
    );
    assert_eq!(o.repair, None);
}

#[test]
fn repair_refuses_more_than_250_data_resources() {
    let values: Vec<String> = (0..MAX_BASIC_DATA_RESOURCES)
        .map(|i| format!("arn:aws:s3:::bucket-{i}/"))
        .collect();
    let s = selectors_from(basic(json!([
        {"ReadWriteType": "All", "DataResources": [
            {"Type": "AWS::S3::Object", "Values": values}
        ]}
    ])));
    assert_eq!(check_limits(&s), Ok(()));
    assert_eq!(
        repaired(&s, &req(), "aws"),
        Err(SelectorRepairError::TooManyDataResources { count: 252 })
    );
}

#[test]
fn repair_refuses_more_than_500_advanced_values() {
    // 498 values already (eventCategory, resources.type, 496 prefixes):
    // management (1) and the bucket (1, added to this selector) fit, DynamoDB (2) does not.
    let prefixes: Vec<String> = (0..MAX_ADVANCED_VALUES - 4)
        .map(|i| format!("arn:aws:s3:::bucket-{i}/"))
        .collect();
    let s = selectors_from(advanced(json!([{
        "Name": "many", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
            {"Field": "resources.ARN", "StartsWith": prefixes}
        ]
    }])));
    assert_eq!(
        repaired(&s, &req(), "aws"),
        Err(SelectorRepairError::TooManyAdvancedValues { count: 502 })
    );
    // Without the DynamoDB requirement and the bucket, management fits.
    let lean = Requirements {
        dynamodb_data_events: false,
        s3_data_buckets: Vec::new(),
        ..req()
    };
    let fixed = repaired(&s, &lean, "aws").expect("fits");
    assert_eq!(check_limits(&fixed), Ok(()));
}

#[test]
fn repair_is_idempotent_on_every_fixture() {
    let fixtures = [
        selectors_json(),
        json!({}),
        basic(json!([{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": true}])),
        basic(json!([{"ReadWriteType": "All", "IncludeManagementEvents": false}])),
        basic(json!([
            {"ReadWriteType": "WriteOnly", "ExcludeManagementEventSources": ["kms.amazonaws.com"]},
            {"ReadWriteType": "All", "IncludeManagementEvents": false,
             "DataResources": [{"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}]}
        ])),
        advanced(json!([mgmt()])),
        advanced(json!([s3_sel(
            json!({"Field": "resources.ARN", "EndsWith": [".zip"]})
        )])),
        advanced(json!([
            {"FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Management"]},
                {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]}
            ]},
            {"FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Management"]},
                {"Field": "readOnly", "Equals": ["true"]}
            ]}
        ])),
    ];
    for f in fixtures {
        repair_ok(f);
    }
}

#[test]
fn repair_with_several_buckets_and_partition() {
    let r = Requirements {
        s3_data_buckets: vec!["a-bucket".into(), "b-bucket".into()],
        ..req()
    };
    let s = selectors_from(advanced(json!([mgmt()])));
    let after = repaired(&s, &r, "aws-us-gov").expect("repair");
    assert_eq!(
        after.advanced[1].field_selectors[2].starts_with,
        [
            "arn:aws-us-gov:s3:::a-bucket/",
            "arn:aws-us-gov:s3:::b-bucket/"
        ]
    );
    assert!(analyze(&after, &r, "aws-us-gov").is_ok());
    assert!(!analyze(&after, &r, "aws").is_ok(), "partition matters");
}
