//! The model types read CloudTrail's JSON as AWS returns it.

use super::*;

#[test]
fn trail_reads_describe_trails_element() {
    let tr = trail();
    assert_eq!(tr.arn, ARN);
    assert_eq!(tr.name, "main");
    assert_eq!(tr.home_region, "us-east-1");
    assert_eq!(tr.account, ACCOUNT);
    assert_eq!(tr.partition, "aws");
    assert!(tr.is_multi_region && tr.include_global_service_events && tr.log_file_validation);
    assert!(!tr.is_organization_trail);
    assert_eq!(tr.kms_key_id.as_deref(), Some(KEY_ARN));
    assert_eq!(tr.s3_bucket.as_deref(), Some("org-cloudtrail-logs"));
    assert_eq!(tr.s3_key_prefix.as_deref(), Some("ct"));
    assert_eq!(tr.cloudwatch_logs_group_arn.as_deref(), Some(GROUP));
    assert_eq!(tr.cloudwatch_logs_role_arn.as_deref(), Some(ROLE));
}

#[test]
fn trail_minimal_description_defaults_to_off_and_reads_the_arn() {
    let tr = trail_from(json!({
        "TrailARN": "arn:aws-cn:cloudtrail:cn-north-1:222233334444:trail/cn-trail",
        "S3BucketName": "b",
        "KmsKeyId": "",
    }));
    assert_eq!(tr.name, "cn-trail");
    assert_eq!(tr.home_region, "cn-north-1");
    assert_eq!(tr.account, "222233334444");
    assert_eq!(tr.partition, "aws-cn");
    assert!(!tr.is_multi_region && !tr.include_global_service_events && !tr.log_file_validation);
    assert_eq!(tr.kms_key_id, None, "an empty key id is no key");
    assert_eq!(tr.cloudwatch_logs_group_arn, None);
}

#[test]
fn trail_new_matches_parsed_minimal() {
    let built = TrailInfo::new(ARN).expect("arn");
    let parsed = trail_from(json!({"TrailARN": ARN}));
    assert_eq!(built, parsed);
}

#[test]
fn trail_organization_seen_from_member() {
    let tr = trail_from(json!({
        "Name": "org-trail",
        "TrailARN": "arn:aws:cloudtrail:us-east-1:999988887777:trail/org-trail",
        "HomeRegion": "us-east-1",
        "IsOrganizationTrail": true,
        "IsMultiRegionTrail": true,
    }));
    assert!(tr.is_organization_trail);
    assert_eq!(tr.account, "999988887777");
}

#[test]
fn trail_refuses_a_non_trail_arn() {
    for arn in [
        "main",
        "arn:aws:s3:::bucket",
        "arn:aws:cloudtrail:us-east-1:1111:trail/main",
        "arn:aws:cloudtrail::111122223333:trail/main",
        "arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/x",
        "arn:aws:cloudtrail:us-east-1:111122223333:trail/",
        "aws:aws:cloudtrail:us-east-1:111122223333:trail/main",
        "arn::cloudtrail:us-east-1:111122223333:trail/main",
    ] {
        let err = serde_json::from_value::<TrailInfo>(json!({ "TrailARN": arn }));
        assert!(err.is_err(), "{arn} accepted");
        assert!(TrailArn::parse(arn).is_err(), "{arn} parsed");
    }
    let e = TrailArn::parse("arn:aws:cloudtrail:us-east-1:1111:trail/main").unwrap_err();
    assert!(e.to_string().contains("12 digits"), "{e}");
}

#[test]
fn trail_arn_names_may_hold_colons_and_slashes() {
    let a = TrailArn::parse("arn:aws-us-gov:cloudtrail:us-gov-west-1:111122223333:trail/a:b/c")
        .expect("arn");
    assert_eq!(a.name, "a:b/c");
    assert_eq!(a.partition, "aws-us-gov");
    assert_eq!(a.region, "us-gov-west-1");
}

#[test]
fn trail_round_trips_through_aws_json() {
    let tr = trail();
    let v = serde_json::to_value(&tr).expect("serialize");
    assert_eq!(v["TrailARN"], ARN);
    assert_eq!(v["CloudWatchLogsLogGroupArn"], GROUP);
    assert_eq!(v["IsMultiRegionTrail"], true);
    assert!(v.get("account").is_none(), "derived fields are not written");
    assert_eq!(trail_from(v), tr);
}

#[test]
fn status_reads_wire_epoch_seconds() {
    let s = status();
    assert!(s.is_logging);
    assert_eq!(s.latest_delivery_time, Some(now() - minutes(4)));
    assert_eq!(
        s.latest_cloudwatch_logs_delivery_time,
        Some(now() - Duration::milliseconds(30_500)),
        "fractional seconds are kept to the millisecond"
    );
    assert_eq!(s.latest_digest_delivery_time, Some(now() - minutes(30)));
    assert_eq!(s.start_logging_time, Some(now() - Duration::days(30)));
    assert_eq!(s.stop_logging_time, None);
    assert_eq!(s.latest_delivery_error, None);
}

#[test]
fn status_reads_cli_iso_text_errors_and_nulls() {
    let s = status_from(json!({
        "IsLogging": false,
        "LatestDeliveryError": "AccessDenied",
        "LatestNotificationError": "",
        "LatestDigestDeliveryError": null,
        "LatestCloudWatchLogsDeliveryError": "   ",
        "LatestDeliveryTime": "2025-03-10T10:15:30.123000+00:00",
        "StopLoggingTime": "2025-03-10T11:00:00+01:00",
        "StartLoggingTime": null
    }));
    assert!(!s.is_logging);
    assert_eq!(s.latest_delivery_error.as_deref(), Some("AccessDenied"));
    assert_eq!(s.latest_notification_error, None);
    assert_eq!(s.latest_digest_delivery_error, None);
    assert_eq!(s.latest_cloudwatch_logs_delivery_error, None);
    assert_eq!(
        s.latest_delivery_time,
        Some(t("2025-03-10T10:15:30Z") + Duration::milliseconds(123))
    );
    assert_eq!(s.stop_logging_time, Some(t("2025-03-10T10:00:00Z")));
    assert_eq!(s.start_logging_time, None);
}

#[test]
fn status_empty_response_is_not_logging() {
    let s = status_from(json!({}));
    assert_eq!(s, TrailStatus::default());
    assert!(!s.is_logging);
}

#[test]
fn status_refuses_bad_times() {
    for bad in [json!("yesterday"), json!(true), json!(1e300)] {
        let r = serde_json::from_value::<TrailStatus>(json!({ "LatestDeliveryTime": bad }));
        assert!(r.is_err(), "{bad} accepted");
    }
}

#[test]
fn status_round_trips() {
    let s = status_from(json!({
        "IsLogging": true,
        "LatestDeliveryError": "NoSuchBucket",
        "LatestDeliveryTime": 1741600000.5,
    }));
    let back: TrailStatus = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
    assert_eq!(back, s);
}

#[test]
fn basic_selectors_read_get_event_selectors() {
    let s = selectors_from(json!({
        "TrailARN": ARN,
        "EventSelectors": [
            {
                "ReadWriteType": "ReadOnly",
                "IncludeManagementEvents": false,
                "DataResources": [
                    {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::a/", "arn:aws:s3:::b/logs"]},
                    {"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}
                ],
                "ExcludeManagementEventSources": ["kms.amazonaws.com"]
            },
            {}
        ]
    }));
    assert!(s.advanced.is_empty());
    assert_eq!(s.basic.len(), 2);
    let first = &s.basic[0];
    assert_eq!(first.read_write_type, ReadWriteType::ReadOnly);
    assert!(!first.include_management_events);
    assert_eq!(first.data_resources[0].kind, "AWS::S3::Object");
    assert_eq!(first.data_resources[0].values[1], "arn:aws:s3:::b/logs");
    assert_eq!(
        first.exclude_management_event_sources,
        ["kms.amazonaws.com"]
    );
    // AWS's defaults for omitted members.
    let second = &s.basic[1];
    assert_eq!(second.read_write_type, ReadWriteType::All);
    assert!(second.include_management_events);
    assert!(second.data_resources.is_empty());
}

#[test]
fn advanced_selectors_read_get_event_selectors() {
    let s = selectors_from(json!({
        "TrailARN": ARN,
        "EventSelectors": null,
        "AdvancedEventSelectors": [
            {
                "Name": "Management events",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Management"]},
                    {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com", "rdsdata.amazonaws.com"]}
                ]
            },
            {
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                    {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::a/"],
                     "NotStartsWith": ["arn:aws:s3:::a/tmp/"], "EndsWith": null,
                     "NotEndsWith": [".tmp"]}
                ]
            }
        ]
    }));
    assert!(s.basic.is_empty());
    assert_eq!(s.advanced.len(), 2);
    assert_eq!(s.advanced[0].name.as_deref(), Some("Management events"));
    assert_eq!(s.advanced[0].field_selectors[1].not_equals.len(), 2);
    assert_eq!(s.advanced[1].name, None);
    let arn = &s.advanced[1].field_selectors[2];
    assert_eq!(arn.field, "resources.ARN");
    assert_eq!(arn.starts_with, ["arn:aws:s3:::a/"]);
    assert_eq!(arn.not_starts_with, ["arn:aws:s3:::a/tmp/"]);
    assert!(arn.ends_with.is_empty());
    assert_eq!(arn.not_ends_with, [".tmp"]);
    assert_eq!(arn.value_count(), 3);
}

#[test]
fn selectors_serialize_in_put_event_selectors_shape() {
    let s = Selectors {
        basic: Vec::new(),
        advanced: vec![AdvancedSelector {
            name: Some("x".into()),
            field_selectors: vec![FieldSelector::equals("eventCategory", &["Management"])],
        }],
    };
    assert_eq!(
        serde_json::to_value(&s).unwrap(),
        json!({"AdvancedEventSelectors": [
            {"Name": "x", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}
        ]})
    );
    let basic = selectors();
    let v = serde_json::to_value(&basic).unwrap();
    assert_eq!(v["EventSelectors"][0]["ReadWriteType"], "All");
    assert!(v.get("AdvancedEventSelectors").is_none());
    assert_eq!(selectors_from(v), basic);
}

#[test]
fn check_names_are_snake_case_everywhere() {
    let names: Vec<String> = CheckName::ALL.iter().map(|c| c.to_string()).collect();
    assert_eq!(
        names,
        [
            "logging",
            "delivery",
            "multi_region",
            "global_service_events",
            "log_file_validation",
            "kms_encryption",
            "cloudwatch_logs",
            "event_selectors",
            "bucket_events",
            "bucket_versioning",
            "bucket_public_access",
            "bucket_policy",
            "object_lock",
            "validator_feed",
            "router_subscription",
            "digest_delivery",
            "validator_lag"
        ]
    );
    for c in CheckName::ALL {
        assert_eq!(serde_json::to_value(c).unwrap(), json!(c.as_str()));
        assert_eq!(c.as_str().parse::<CheckName>(), Ok(c));
    }
    let e = "cloudtrail_logs".parse::<CheckName>().unwrap_err();
    assert!(e.to_string().contains("cloudwatch_logs"), "{e}");
}

#[test]
fn statuses_are_lowercase() {
    for (s, n) in [
        (CheckStatus::Ok, "ok"),
        (CheckStatus::Fixed, "fixed"),
        (CheckStatus::Drift, "drift"),
        (CheckStatus::Failed, "failed"),
    ] {
        assert_eq!(serde_json::to_value(s).unwrap(), json!(n));
        assert_eq!(s.to_string(), n);
    }
    assert!(CheckStatus::Drift.is_problem() && CheckStatus::Failed.is_problem());
    assert!(!CheckStatus::Ok.is_problem() && !CheckStatus::Fixed.is_problem());
}

#[test]
fn check_result_is_the_issue_output_record() {
    let r = CheckResult {
        trail: ARN.into(),
        check: CheckName::KmsEncryption,
        status: CheckStatus::Drift,
        detail: "d".into(),
    };
    assert_eq!(
        serde_json::to_value(&r).unwrap(),
        json!({"trail": ARN, "check": "kms_encryption", "status": "drift", "detail": "d"})
    );
}

#[test]
fn modes_parse_and_requirements_map_checks() {
    assert_eq!("Repair".parse::<Mode>(), Ok(Mode::Repair));
    assert_eq!(" alert ".parse::<Mode>(), Ok(Mode::Alert));
    assert_eq!("off".parse::<Mode>(), Ok(Mode::Off));
    assert!("fix".parse::<Mode>().is_err());
    assert_eq!(serde_json::to_value(Mode::Repair).unwrap(), json!("repair"));
    let mut r = Requirements::default();
    for c in CheckName::ALL {
        r.set_mode(c, Mode::Off);
        assert_eq!(r.mode(c), Mode::Off);
    }
    assert!(CheckName::ALL.iter().all(|c| r.mode(*c) == Mode::Off));
    // The chain's checks cannot be set to repair.
    r.set_mode(CheckName::BucketPolicy, Mode::Repair);
    assert_eq!(
        r.validate(),
        Err(crate::watchdog::RequirementsError::AlertOnly(
            CheckName::BucketPolicy
        ))
    );
}
