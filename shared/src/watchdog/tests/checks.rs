//! Every check: ok, drift, repair or not per mode, and the edge cases.

use super::*;

fn eval(trail: &TrailInfo, status: &TrailStatus, req: &Requirements) -> Vec<Outcome> {
    evaluate(trail, status, &selectors(), req, now())
}

// ---- requirements --------------------------------------------------------

#[test]
fn default_requirements_are_the_documented_ones() {
    let r = Requirements::default();
    let modes: Vec<Mode> = CheckName::TRAIL.iter().map(|c| r.mode(*c)).collect();
    // The chain's checks alert by default and never repair.
    assert!(CheckName::CHAIN.iter().all(|c| r.mode(*c) == Mode::Alert));
    assert!(CheckName::CHAIN.iter().all(|c| !c.repairable()));
    assert_eq!(
        modes,
        [
            Mode::Repair, // logging
            Mode::Alert,  // delivery
            Mode::Repair, // multi_region
            Mode::Repair, // global_service_events
            Mode::Repair, // log_file_validation
            Mode::Alert,  // kms_encryption
            Mode::Alert,  // cloudwatch_logs
            Mode::Repair, // event_selectors
        ]
    );
    assert!(r.dynamodb_data_events);
    assert!(r.s3_data_buckets.is_empty());
    assert_eq!(r.max_delivery_age, Duration::hours(1));
    assert_eq!(r.max_digest_age, Duration::hours(2));
    assert_eq!(r.max_cloudwatch_logs_age, Duration::minutes(30));
    assert_eq!(r.validate(), Ok(()));
    assert_eq!(req().validate(), Ok(()));
}

#[test]
fn requirements_refuse_what_cannot_be_checked_or_repaired() {
    let cases: Vec<(Requirements, &str)> = vec![
        (
            Requirements {
                kms_key: Some("alias/cloudtrail".into()),
                ..req()
            },
            "alias",
        ),
        (
            Requirements {
                kms_key: Some("arn:aws:kms:us-east-1:111122223333:alias/ct".into()),
                ..req()
            },
            "alias",
        ),
        (
            Requirements {
                kms_key: None,
                kms_encryption: Mode::Repair,
                ..req()
            },
            "kms_key",
        ),
        (
            Requirements {
                cloudwatch_logs_role_arn: None,
                cloudwatch_logs: Mode::Repair,
                ..req()
            },
            "cloudwatch_logs_role_arn",
        ),
        (
            Requirements {
                cloudwatch_logs_group_arn: None,
                ..req()
            },
            "without cloudwatch_logs_group_arn",
        ),
        (
            Requirements {
                cloudwatch_logs_group_arn: Some("trailguard-trail".into()),
                ..req()
            },
            "not a log group ARN",
        ),
        (
            Requirements {
                s3_data_buckets: vec!["arn:aws:s3:::artifacts".into()],
                ..req()
            },
            "not a bucket name",
        ),
        (
            Requirements {
                max_digest_age: Duration::zero(),
                ..req()
            },
            "max_digest_age",
        ),
    ];
    for (r, needle) in cases {
        match r.validate() {
            Err(e) => assert!(e.to_string().contains(needle), "{e} lacks {needle}"),
            Ok(()) => panic!("accepted: {r:#?}"),
        }
    }
    // Alert-only without a key or group is fine: any key, any group.
    let lax = Requirements {
        kms_key: None,
        cloudwatch_logs_group_arn: None,
        cloudwatch_logs_role_arn: None,
        ..req()
    };
    assert_eq!(lax.validate(), Ok(()));
}

// ---- the whole evaluation -------------------------------------------------

#[test]
fn healthy_trail_is_ok_on_all_eight_in_order() {
    let out = eval(&trail(), &status(), &req());
    let checks: Vec<CheckName> = out.iter().map(|o| o.check).collect();
    assert_eq!(checks, CheckName::TRAIL);
    for o in &out {
        assert_ok(o);
        assert!(!o.detail.is_empty());
    }
    assert!(outcome(&out, CheckName::Logging)
        .detail
        .contains("logging since 2025-02-08T12:00:00Z"));
    assert!(outcome(&out, CheckName::KmsEncryption)
        .detail
        .contains(KEY_ARN));
    assert!(outcome(&out, CheckName::CloudwatchLogs)
        .detail
        .contains("log-group:trailguard-trail"));
    assert!(outcome(&out, CheckName::EventSelectors)
        .detail
        .contains("basic selectors record"));
}

#[test]
fn off_checks_are_neither_checked_nor_reported() {
    let mut r = req();
    r.set_mode(CheckName::Delivery, Mode::Off);
    r.set_mode(CheckName::KmsEncryption, Mode::Off);
    let broken = trail_with(|m| {
        m.remove("KmsKeyId");
    });
    let out = eval(&broken, &TrailStatus::default(), &r);
    let checks: Vec<CheckName> = out.iter().map(|o| o.check).collect();
    assert_eq!(
        checks,
        [
            CheckName::Logging,
            CheckName::MultiRegion,
            CheckName::GlobalServiceEvents,
            CheckName::LogFileValidation,
            CheckName::CloudwatchLogs,
            CheckName::EventSelectors
        ]
    );
    for c in CheckName::ALL {
        r.set_mode(c, Mode::Off);
    }
    assert!(eval(&broken, &TrailStatus::default(), &r).is_empty());
}

#[test]
fn neglected_trail_with_default_requirements() {
    // Everything off, and requirements as shipped (no key, no group).
    let tr = trail_from(json!({"TrailARN": ARN, "S3BucketName": "logs"}));
    let st = status_from(json!({
        "IsLogging": false,
        "StopLoggingTime": "2025-03-10T11:50:00Z",
        "LatestDeliveryError": "NoSuchBucket"
    }));
    let sel = selectors_from(json!({"EventSelectors": [
        {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": true}
    ]}));
    let out = evaluate(&tr, &st, &sel, &Requirements::default(), now());
    assert_eq!(out.len(), 8);
    assert!(
        out.iter().all(|o| o.status == CheckStatus::Drift),
        "{out:#?}"
    );
    let repairs: Vec<(CheckName, bool)> =
        out.iter().map(|o| (o.check, o.repair.is_some())).collect();
    assert_eq!(
        repairs,
        [
            (CheckName::Logging, true),
            (CheckName::Delivery, false),
            (CheckName::MultiRegion, true),
            (CheckName::GlobalServiceEvents, true),
            (CheckName::LogFileValidation, true),
            (CheckName::KmsEncryption, false),
            (CheckName::CloudwatchLogs, false),
            (CheckName::EventSelectors, true),
        ]
    );
    // One UpdateTrail for the pass: consistent (multi-region with global events).
    let mut merged = TrailUpdate::default();
    for o in &out {
        if let Some(Repair::UpdateTrail(u)) = &o.repair {
            merged.merge(u);
        }
    }
    assert_eq!(
        merged,
        TrailUpdate {
            is_multi_region_trail: Some(true),
            include_global_service_events: Some(true),
            enable_log_file_validation: Some(true),
            ..TrailUpdate::default()
        }
    );
    assert!(outcome(&out, CheckName::KmsEncryption)
        .detail
        .contains("alert only"));
}

// ---- logging ------------------------------------------------------------------

#[test]
fn logging_off_is_restarted_and_says_when_it_stopped() {
    let st = TrailStatus {
        is_logging: false,
        stop_logging_time: Some(t("2025-03-10T11:47:12Z")),
        ..status()
    };
    let o = check_of(CheckName::Logging, &trail(), &st, &selectors(), &req());
    assert_drift(
        &o,
        &[
            "logging is off",
            "stopped at 2025-03-10T11:47:12Z",
            "expected: logging",
        ],
    );
    assert_eq!(o.repair, Some(Repair::StartLogging));
}

#[test]
fn logging_off_without_stop_time() {
    let st = TrailStatus {
        is_logging: false,
        ..TrailStatus::default()
    };
    let o = check_of(CheckName::Logging, &trail(), &st, &selectors(), &req());
    assert_drift(&o, &["logging is off; expected: logging"]);
    assert!(!o.detail.contains("stopped at"));
}

#[test]
fn logging_alert_mode_does_not_restart() {
    let mut r = req();
    r.logging = Mode::Alert;
    let st = TrailStatus {
        is_logging: false,
        ..status()
    };
    let o = check_of(CheckName::Logging, &trail(), &st, &selectors(), &r);
    assert_drift(&o, &["logging is off", "alert only"]);
    assert_eq!(o.repair, None);
}

#[test]
fn logging_ok_without_start_time() {
    let st = TrailStatus {
        is_logging: true,
        latest_delivery_time: Some(now()),
        ..TrailStatus::default()
    };
    let o = check_of(CheckName::Logging, &trail(), &st, &selectors(), &req());
    assert_ok(&o);
    assert_eq!(o.detail, "logging");
}

// ---- delivery -------------------------------------------------------------------

fn delivery(trail: &TrailInfo, st: &TrailStatus, r: &Requirements) -> Outcome {
    check_of(CheckName::Delivery, trail, st, &selectors(), r)
}

#[test]
fn delivery_ok_lists_what_was_delivered() {
    let o = delivery(&trail(), &status(), &req());
    assert_ok(&o);
    for n in [
        "log files delivered at 2025-03-10T11:56:00Z",
        "digests delivered at",
        "CloudWatch Logs delivered at",
    ] {
        assert!(o.detail.contains(n), "{n}: {}", o.detail);
    }
}

#[test]
fn delivery_each_error_is_quoted() {
    let cases = [
        (
            "LatestDeliveryError",
            "S3 log delivery error: \"AccessDenied\"",
        ),
        (
            "LatestDigestDeliveryError",
            "S3 digest delivery error: \"AccessDenied\"",
        ),
        (
            "LatestNotificationError",
            "SNS notification error: \"AccessDenied\"",
        ),
        (
            "LatestCloudWatchLogsDeliveryError",
            "CloudWatch Logs delivery error: \"AccessDenied\"",
        ),
    ];
    for (field, needle) in cases {
        let mut v = status_json();
        v[field] = json!("AccessDenied");
        let o = delivery(&trail(), &status_from(v), &req());
        assert_drift(&o, &[needle]);
        assert_eq!(o.repair, None);
        assert!(!o.detail.contains("cannot repair") && !o.detail.contains("alert only"));
    }
}

#[test]
fn delivery_all_errors_at_once_are_all_reported() {
    let mut v = status_json();
    for f in [
        "LatestDeliveryError",
        "LatestDigestDeliveryError",
        "LatestNotificationError",
        "LatestCloudWatchLogsDeliveryError",
    ] {
        v[f] = json!(format!("{f}-x"));
    }
    let o = delivery(&trail(), &status_from(v), &req());
    for f in [
        "LatestDeliveryError-x",
        "LatestDigestDeliveryError-x",
        "LatestNotificationError-x",
        "LatestCloudWatchLogsDeliveryError-x",
    ] {
        assert!(o.detail.contains(f), "{f}: {}", o.detail);
    }
}

#[test]
fn delivery_ignores_errors_of_features_turned_off() {
    let tr = trail_with(|m| {
        m.insert("LogFileValidationEnabled".into(), json!(false));
        m.remove("CloudWatchLogsLogGroupArn");
        m.remove("CloudWatchLogsRoleArn");
    });
    let mut v = status_json();
    v["LatestDigestDeliveryError"] = json!("AccessDenied");
    v["LatestCloudWatchLogsDeliveryError"] = json!("AccessDenied");
    v["LatestDigestDeliveryTime"] = json!(null);
    v["LatestCloudWatchLogsDeliveryTime"] = json!(null);
    let o = delivery(&tr, &status_from(v), &req());
    assert_ok(&o);
    assert!(
        !o.detail.contains("digests") && !o.detail.contains("CloudWatch"),
        "{}",
        o.detail
    );
}

#[test]
fn delivery_stale_logs_digests_and_cloudwatch() {
    let cases = [
        ("LatestDeliveryTime", 61, "log files: last delivered at 2025-03-10T10:59:00Z (1h 1m ago; expected within 1h)"),
        ("LatestDigestDeliveryTime", 121, "digests: last delivered at 2025-03-10T09:59:00Z (2h 1m ago; expected within 2h)"),
        ("LatestCloudWatchLogsDeliveryTime", 31, "CloudWatch Logs: last delivered at 2025-03-10T11:29:00Z (31m ago; expected within 30m)"),
    ];
    for (field, age_min, needle) in cases {
        let mut v = status_json();
        v[field] = json!((now() - minutes(age_min)).timestamp());
        let o = delivery(&trail(), &status_from(v.clone()), &req());
        assert_drift(&o, &[needle]);
        // Exactly at the threshold is still fine.
        v[field] = json!((now() - minutes(age_min - 1)).timestamp());
        let limit = Requirements {
            max_delivery_age: minutes(60),
            max_digest_age: minutes(120),
            max_cloudwatch_logs_age: minutes(30),
            ..req()
        };
        assert_ok(&delivery(&trail(), &status_from(v), &limit));
    }
}

#[test]
fn delivery_thresholds_are_configurable() {
    let r = Requirements {
        max_delivery_age: minutes(3),
        ..req()
    };
    assert_drift(&delivery(&trail(), &status(), &r), &["expected within 3m"]);
    let r = Requirements {
        max_cloudwatch_logs_age: Duration::seconds(10),
        ..req()
    };
    assert_drift(
        &delivery(&trail(), &status(), &r),
        &["CloudWatch Logs", "(30s ago; expected within 10s)"],
    );
}

#[test]
fn delivery_stale_digests_ignored_without_validation() {
    let tr = trail_with(|m| {
        m.insert("LogFileValidationEnabled".into(), json!(false));
    });
    let mut v = status_json();
    v["LatestDigestDeliveryTime"] = json!((now() - Duration::days(3)).timestamp());
    assert_ok(&delivery(&tr, &status_from(v), &req()));
}

#[test]
fn delivery_never_delivered_is_ok_until_the_threshold_after_start() {
    let mut v = status_json();
    v["LatestDeliveryTime"] = json!(null);
    v["LatestDigestDeliveryTime"] = json!(null);
    v["LatestCloudWatchLogsDeliveryTime"] = json!(null);
    v["StartLoggingTime"] = json!((now() - minutes(20)).timestamp());
    let o = delivery(&trail(), &status_from(v.clone()), &req());
    assert_ok(&o);
    assert!(
        o.detail
            .contains("log files: no delivery yet, logging started at 2025-03-10T11:40:00Z"),
        "{}",
        o.detail
    );
    assert!(o.detail.contains("digests: no delivery yet"));
    assert!(o.detail.contains("CloudWatch Logs: no delivery yet"));

    v["StartLoggingTime"] = json!((now() - minutes(45)).timestamp());
    let o = delivery(&trail(), &status_from(v.clone()), &req());
    assert_drift(&o, &["CloudWatch Logs: never delivered, though logging started at 2025-03-10T11:15:00Z (45m ago; expected within 30m)"]);
    assert!(
        !o.detail.contains("log files"),
        "S3 still has time: {}",
        o.detail
    );

    v["StartLoggingTime"] = json!((now() - Duration::hours(3)).timestamp());
    let o = delivery(&trail(), &status_from(v), &req());
    assert_drift(
        &o,
        &[
            "log files: never delivered",
            "digests: never delivered",
            "CloudWatch Logs: never delivered",
        ],
    );
}

#[test]
fn delivery_never_delivered_and_start_unknown_is_drift() {
    let st = TrailStatus {
        is_logging: true,
        ..TrailStatus::default()
    };
    let o = delivery(&trail(), &st, &req());
    assert_drift(
        &o,
        &["log files: never delivered, and when logging started is unknown"],
    );
}

#[test]
fn delivery_clock_restarts_with_logging() {
    // Stopped for days, restarted ten minutes ago: last deliveries are old
    // but nothing is overdue yet.
    let mut v = status_json();
    let old = (now() - Duration::days(2)).timestamp();
    v["LatestDeliveryTime"] = json!(old);
    v["LatestDigestDeliveryTime"] = json!(old);
    v["LatestCloudWatchLogsDeliveryTime"] = json!(old);
    v["StartLoggingTime"] = json!((now() - minutes(10)).timestamp());
    assert_ok(&delivery(&trail(), &status_from(v.clone()), &req()));
    v["StartLoggingTime"] = json!((now() - minutes(40)).timestamp());
    let o = delivery(&trail(), &status_from(v), &req());
    assert_drift(
        &o,
        &["CloudWatch Logs: last delivered at 2025-03-08T12:00:00Z (2d ago; expected within 30m)"],
    );
}

#[test]
fn delivery_ages_not_judged_while_not_logging_but_errors_are() {
    let mut v = status_json();
    v["IsLogging"] = json!(false);
    v["LatestDeliveryTime"] = json!((now() - Duration::days(5)).timestamp());
    let o = delivery(&trail(), &status_from(v.clone()), &req());
    assert_ok(&o);
    assert!(o.detail.contains("not judged while logging is off"));
    v["LatestDeliveryError"] = json!("NoSuchBucket");
    assert_drift(
        &delivery(&trail(), &status_from(v), &req()),
        &["\"NoSuchBucket\""],
    );
}

#[test]
fn delivery_future_times_are_fine() {
    let mut v = status_json();
    v["LatestDeliveryTime"] = json!((now() + minutes(2)).timestamp());
    assert_ok(&delivery(&trail(), &status_from(v), &req()));
}

#[test]
fn delivery_repair_mode_is_alert_only() {
    let r = Requirements {
        delivery: Mode::Repair,
        ..req()
    };
    let mut v = status_json();
    v["LatestDeliveryError"] = json!("AccessDenied");
    let o = delivery(&trail(), &status_from(v), &r);
    assert_drift(&o, &["AccessDenied"]);
    assert_eq!(o.repair, None);
    assert!(!o.detail.contains("cannot repair"), "{}", o.detail);
}

// ---- multi-region, global service events, validation -----------------------------

#[test]
fn single_region_trail_is_widened_with_global_events_when_needed() {
    let tr = trail_with(|m| {
        m.insert("IsMultiRegionTrail".into(), json!(false));
        m.insert("IncludeGlobalServiceEvents".into(), json!(false));
    });
    let o = check_of(CheckName::MultiRegion, &tr, &status(), &selectors(), &req());
    assert_drift(
        &o,
        &[
            "only its home region us-east-1",
            "expected: a multi-region trail",
            "AWS requires",
        ],
    );
    assert_eq!(
        update(&o),
        &TrailUpdate {
            is_multi_region_trail: Some(true),
            include_global_service_events: Some(true),
            ..TrailUpdate::default()
        }
    );
    // Even when global_service_events itself is alert-only or off.
    let r = Requirements {
        global_service_events: Mode::Off,
        ..req()
    };
    let o = check_of(CheckName::MultiRegion, &tr, &status(), &selectors(), &r);
    assert_eq!(update(&o).include_global_service_events, Some(true));
}

#[test]
fn single_region_trail_with_global_events_only_changes_region() {
    let tr = trail_with(|m| {
        m.insert("IsMultiRegionTrail".into(), json!(false));
    });
    let o = check_of(CheckName::MultiRegion, &tr, &status(), &selectors(), &req());
    assert_eq!(
        update(&o),
        &TrailUpdate {
            is_multi_region_trail: Some(true),
            ..TrailUpdate::default()
        }
    );
    assert!(!o.detail.contains("AWS requires"));
    let r = Requirements {
        multi_region: Mode::Alert,
        ..req()
    };
    let o = check_of(CheckName::MultiRegion, &tr, &status(), &selectors(), &r);
    assert_drift(&o, &["alert only"]);
    assert_eq!(o.repair, None);
}

#[test]
fn global_service_events_missing() {
    let tr = trail_with(|m| {
        m.insert("IncludeGlobalServiceEvents".into(), json!(false));
        m.insert("IsMultiRegionTrail".into(), json!(false));
    });
    let o = check_of(
        CheckName::GlobalServiceEvents,
        &tr,
        &status(),
        &selectors(),
        &req(),
    );
    assert_drift(&o, &["global service events", "not included"]);
    assert_eq!(
        update(&o),
        &TrailUpdate {
            include_global_service_events: Some(true),
            ..TrailUpdate::default()
        }
    );
    let r = Requirements {
        global_service_events: Mode::Alert,
        ..req()
    };
    assert_eq!(
        check_of(
            CheckName::GlobalServiceEvents,
            &tr,
            &status(),
            &selectors(),
            &r
        )
        .repair,
        None
    );
}

#[test]
fn log_file_validation_disabled() {
    let tr = trail_with(|m| {
        m.insert("LogFileValidationEnabled".into(), json!(false));
    });
    let o = check_of(
        CheckName::LogFileValidation,
        &tr,
        &status(),
        &selectors(),
        &req(),
    );
    assert_drift(
        &o,
        &["log file validation is disabled", "expected: enabled"],
    );
    assert_eq!(
        update(&o),
        &TrailUpdate {
            enable_log_file_validation: Some(true),
            ..TrailUpdate::default()
        }
    );
    let r = Requirements {
        log_file_validation: Mode::Alert,
        ..req()
    };
    assert_eq!(
        check_of(
            CheckName::LogFileValidation,
            &tr,
            &status(),
            &selectors(),
            &r
        )
        .repair,
        None
    );
}

// ---- KMS ------------------------------------------------------------------------

fn kms(trail: &TrailInfo, r: &Requirements) -> Outcome {
    check_of(CheckName::KmsEncryption, trail, &status(), &selectors(), r)
}

fn trail_key(key: Option<&str>) -> TrailInfo {
    trail_with(|m| match key {
        Some(k) => {
            m.insert("KmsKeyId".into(), json!(k));
        }
        None => {
            m.remove("KmsKeyId");
        }
    })
}

#[test]
fn kms_missing_with_a_configured_key_is_repaired_when_allowed() {
    let r = Requirements {
        kms_encryption: Mode::Repair,
        ..req()
    };
    let o = kms(&trail_key(None), &r);
    assert_drift(
        &o,
        &["SSE-S3 only", &format!("expected: SSE-KMS with {KEY_ARN}")],
    );
    assert_eq!(
        update(&o),
        &TrailUpdate {
            kms_key_id: Some(KEY_ARN.into()),
            ..TrailUpdate::default()
        }
    );
    // Default: alert only.
    let o = kms(&trail_key(None), &req());
    assert_drift(&o, &["alert only"]);
    assert_eq!(o.repair, None);
}

#[test]
fn kms_missing_without_a_configured_key_cannot_be_repaired() {
    let r = Requirements {
        kms_encryption: Mode::Repair,
        kms_key: None,
        ..req()
    };
    let o = kms(&trail_key(None), &r);
    assert_drift(
        &o,
        &["expected: SSE-KMS", "cannot repair: no kms_key configured"],
    );
    assert_eq!(o.repair, None);
}

#[test]
fn kms_any_key_is_fine_when_none_is_configured() {
    let r = Requirements {
        kms_key: None,
        ..req()
    };
    let o = kms(
        &trail_key(Some("arn:aws:kms:us-east-1:111122223333:key/other")),
        &r,
    );
    assert_ok(&o);
    assert!(o.detail.contains("key/other"));
}

#[test]
fn kms_key_id_and_arn_forms_compare_sensibly() {
    // Configured as a bare id, or in upper case: same key.
    let upper_id_arn = format!(
        "arn:aws:kms:us-east-1:111122223333:key/{}",
        KEY_ID.to_uppercase()
    );
    for configured in [KEY_ID.to_string(), upper_id_arn, KEY_ID.to_uppercase()] {
        let r = Requirements {
            kms_key: Some(configured),
            ..req()
        };
        assert_ok(&kms(&trail(), &r));
    }
    // Same id in another region or account: another key.
    for other in [
        "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:us-east-1:111122223333:key/ffffffff-12ab-34cd-56ef-1234567890ab",
    ] {
        let r = Requirements {
            kms_key: Some(other.to_string()),
            kms_encryption: Mode::Repair,
            ..req()
        };
        let o = kms(&trail(), &r);
        assert_drift(
            &o,
            &[&format!("encrypted with {KEY_ARN}; expected: {other}")],
        );
        assert_eq!(update(&o).kms_key_id.as_deref(), Some(other));
    }
}

#[test]
fn kms_key_comparison_rules() {
    assert!(same_kms_key(KEY_ARN, KEY_ARN));
    assert!(same_kms_key(KEY_ARN, KEY_ID));
    assert!(same_kms_key(KEY_ID, KEY_ARN));
    assert!(same_kms_key(KEY_ID, &KEY_ID.to_uppercase()));
    assert!(!same_kms_key(
        KEY_ARN,
        "ffffffff-12ab-34cd-56ef-1234567890ab"
    ));
    assert!(!same_kms_key(
        KEY_ARN,
        "arn:aws-cn:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    ));
    // Aliases compare only as text (validate() refuses them in requirements).
    assert!(same_kms_key("alias/ct", "alias/ct"));
    assert!(!same_kms_key("alias/ct", KEY_ARN));
    assert!(!same_kms_key(
        "arn:aws:kms:us-east-1:111122223333:alias/ct",
        KEY_ARN
    ));
    assert!(!same_kms_key("", KEY_ARN));
    assert!(!same_kms_key(
        "arn:aws:kms:us-east-1:111122223333:key/",
        KEY_ARN
    ));
}

// ---- CloudWatch Logs ---------------------------------------------------------------

fn cw(trail: &TrailInfo, r: &Requirements) -> Outcome {
    check_of(CheckName::CloudwatchLogs, trail, &status(), &selectors(), r)
}

fn no_cw() -> TrailInfo {
    trail_with(|m| {
        m.remove("CloudWatchLogsLogGroupArn");
        m.remove("CloudWatchLogsRoleArn");
    })
}

fn cw_repair() -> Requirements {
    Requirements {
        cloudwatch_logs: Mode::Repair,
        ..req()
    }
}

#[test]
fn cloudwatch_missing_is_repaired_with_group_and_role() {
    let o = cw(&no_cw(), &cw_repair());
    assert_drift(
        &o,
        &[
            "not delivered to CloudWatch Logs",
            "expected: arn:aws:logs:us-east-1:111122223333:log-group:trailguard-trail",
        ],
    );
    assert_eq!(
        update(&o),
        &TrailUpdate {
            cloudwatch_logs_log_group_arn: Some(GROUP.into()),
            cloudwatch_logs_role_arn: Some(ROLE.into()),
            ..TrailUpdate::default()
        }
    );
    // Configured without AWS's ":*": the repair writes AWS's form.
    let r = Requirements {
        cloudwatch_logs_group_arn: Some(GROUP.trim_end_matches(":*").into()),
        ..cw_repair()
    };
    assert_eq!(
        update(&cw(&no_cw(), &r))
            .cloudwatch_logs_log_group_arn
            .as_deref(),
        Some(GROUP)
    );
}

#[test]
fn cloudwatch_missing_alert_only_by_default() {
    let o = cw(&no_cw(), &req());
    assert_drift(&o, &["alert only"]);
    assert_eq!(o.repair, None);
    let r = Requirements {
        cloudwatch_logs_group_arn: None,
        cloudwatch_logs_role_arn: None,
        ..req()
    };
    assert_drift(&cw(&no_cw(), &r), &["expected: a log group"]);
}

#[test]
fn cloudwatch_repair_needs_group_and_role() {
    let r = Requirements {
        cloudwatch_logs_role_arn: None,
        ..cw_repair()
    };
    let o = cw(&no_cw(), &r);
    assert_drift(
        &o,
        &["cannot repair: no cloudwatch_logs_role_arn configured"],
    );
    assert_eq!(o.repair, None);
    let r = Requirements {
        cloudwatch_logs_group_arn: None,
        cloudwatch_logs_role_arn: None,
        ..cw_repair()
    };
    assert_drift(
        &cw(&no_cw(), &r),
        &["cannot repair: no cloudwatch_logs_group_arn configured"],
    );
}

#[test]
fn cloudwatch_group_mismatch() {
    let other = "arn:aws:logs:us-east-1:111122223333:log-group:someone-elses:*";
    let tr = trail_with(|m| {
        m.insert("CloudWatchLogsLogGroupArn".into(), json!(other));
    });
    let o = cw(&tr, &cw_repair());
    assert_drift(&o, &[
        "events go to arn:aws:logs:us-east-1:111122223333:log-group:someone-elses; expected: arn:aws:logs:us-east-1:111122223333:log-group:trailguard-trail",
    ]);
    assert_eq!(
        update(&o).cloudwatch_logs_log_group_arn.as_deref(),
        Some(GROUP)
    );
    // No group required: any group (with a role) is fine.
    let r = Requirements {
        cloudwatch_logs_group_arn: None,
        cloudwatch_logs_role_arn: None,
        ..req()
    };
    assert_ok(&cw(&tr, &r));
}

#[test]
fn cloudwatch_group_compared_with_or_without_suffix() {
    let r = Requirements {
        cloudwatch_logs_group_arn: Some(GROUP.trim_end_matches(":*").into()),
        ..req()
    };
    assert_ok(&cw(&trail(), &r));
    let tr = trail_with(|m| {
        m.insert(
            "CloudWatchLogsLogGroupArn".into(),
            json!(GROUP.trim_end_matches(":*")),
        );
    });
    assert_ok(&cw(&tr, &req()));
    assert!(same_log_group(GROUP, GROUP.trim_end_matches(":*")));
    assert!(!same_log_group(
        GROUP,
        "arn:aws:logs:us-east-1:111122223333:log-group:trailguard-trail-2:*"
    ));
}

#[test]
fn cloudwatch_role_mismatch_and_missing_role() {
    let tr = trail_with(|m| {
        m.insert(
            "CloudWatchLogsRoleArn".into(),
            json!("arn:aws:iam::111122223333:role/other"),
        );
    });
    let o = cw(&tr, &cw_repair());
    assert_drift(&o, &["delivered with role arn:aws:iam::111122223333:role/other; expected: arn:aws:iam::111122223333:role/trailguard-cloudtrail-logs"]);
    assert_eq!(update(&o).cloudwatch_logs_role_arn.as_deref(), Some(ROLE));

    let tr = trail_with(|m| {
        m.remove("CloudWatchLogsRoleArn");
    });
    let r = Requirements {
        cloudwatch_logs_role_arn: None,
        cloudwatch_logs_group_arn: None,
        ..req()
    };
    assert_drift(&cw(&tr, &r), &["no delivery role"]);
}

// ---- event selectors (the analysis itself is tested in selectors.rs) ----------------

#[test]
fn event_selectors_drift_repaired_with_put_event_selectors() {
    let sel = selectors_from(json!({"EventSelectors": [
        {"ReadWriteType": "All", "IncludeManagementEvents": true}
    ]}));
    let o = check_of(CheckName::EventSelectors, &trail(), &status(), &sel, &req());
    assert_drift(
        &o,
        &[
            "S3 object events of bucket artifacts-bucket: not recorded",
            "DynamoDB events of all tables: not recorded",
            "(basic selectors)",
            "expected: management events read and write",
        ],
    );
    let Some(Repair::PutEventSelectors(fixed)) = &o.repair else {
        panic!("{o:#?}")
    };
    let again = check_of(
        CheckName::EventSelectors,
        &trail(),
        &status(),
        fixed,
        &req(),
    );
    assert_ok(&again);
}

#[test]
fn event_selectors_alert_mode_and_impossible_repair() {
    let sel = selectors_from(json!({"EventSelectors": []}));
    let r = Requirements {
        event_selectors: Mode::Alert,
        ..req()
    };
    let o = check_of(CheckName::EventSelectors, &trail(), &status(), &sel, &r);
    assert_drift(
        &o,
        &[
            "management events: not recorded",
            "(no selectors)",
            "alert only",
        ],
    );
    assert_eq!(o.repair, None);

    let mixed = selectors_from(json!({
        "EventSelectors": [{"ReadWriteType": "ReadOnly"}],
        "AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}]
    }));
    let o = check_of(
        CheckName::EventSelectors,
        &trail(),
        &status(),
        &mixed,
        &req(),
    );
    assert_drift(
        &o,
        &["cannot repair: the trail reports both basic and advanced selectors"],
    );
    assert_eq!(o.repair, None);
}

#[test]
fn event_selectors_use_the_trails_partition() {
    let tr = trail_from(json!({
        "TrailARN": "arn:aws-cn:cloudtrail:cn-north-1:111122223333:trail/cn",
        "IsMultiRegionTrail": true
    }));
    let sel = selectors_from(json!({"EventSelectors": [{
        "ReadWriteType": "All",
        "DataResources": [
            {"Type": "AWS::S3::Object", "Values": ["arn:aws-cn:s3:::artifacts-bucket/"]},
            {"Type": "AWS::DynamoDB::Table", "Values": ["arn:aws-cn:dynamodb"]}
        ]
    }]}));
    assert_ok(&check_of(
        CheckName::EventSelectors,
        &tr,
        &status(),
        &sel,
        &req(),
    ));
    // The commercial-partition fixture does not cover a China trail.
    let o = check_of(
        CheckName::EventSelectors,
        &tr,
        &status(),
        &selectors(),
        &req(),
    );
    assert_drift(&o, &["artifacts-bucket"]);
    let Some(Repair::PutEventSelectors(fixed)) = &o.repair else {
        panic!("{o:#?}")
    };
    let values: Vec<&String> = fixed.basic[0]
        .data_resources
        .iter()
        .flat_map(|d| &d.values)
        .collect();
    assert!(
        values.contains(&&"arn:aws-cn:s3:::artifacts-bucket/".to_string()),
        "{values:?}"
    );
    assert!(
        values.contains(&&"arn:aws-cn:dynamodb".to_string()),
        "{values:?}"
    );
}

// ---- shadows, outcomes, updates ---------------------------------------------------------

#[test]
fn shadow_trails() {
    let tr = trail();
    assert!(!is_shadow(&tr, REGION, ACCOUNT));
    assert!(
        is_shadow(&tr, "eu-west-1", ACCOUNT),
        "multi-region trail seen from another region"
    );
    let org = trail_from(json!({
        "TrailARN": "arn:aws:cloudtrail:us-east-1:999988887777:trail/org",
        "IsOrganizationTrail": true,
        "IsMultiRegionTrail": true,
        "HomeRegion": "us-east-1"
    }));
    assert!(
        is_shadow(&org, REGION, ACCOUNT),
        "organization trail seen from a member"
    );
    assert!(
        !is_shadow(&org, REGION, "999988887777"),
        "the management account owns it"
    );
    assert!(is_shadow(&org, "ap-south-1", "999988887777"));
}

#[test]
fn organization_trail_is_evaluated_like_any_other() {
    // Evaluation does not care who owns it; is_shadow decides on acting.
    let org = trail_with(|m| {
        m.insert("IsOrganizationTrail".into(), json!(true));
        m.insert("LogFileValidationEnabled".into(), json!(false));
    });
    let out = eval(&org, &status(), &req());
    assert_eq!(
        outcome(&out, CheckName::LogFileValidation).status,
        CheckStatus::Drift
    );
    assert!(outcome(&out, CheckName::LogFileValidation).repair.is_some());
}

#[test]
fn outcome_becomes_the_output_record() {
    let st = TrailStatus {
        is_logging: false,
        ..status()
    };
    let o = check_of(CheckName::Logging, &trail(), &st, &selectors(), &req());
    let r = o.result(ARN);
    assert_eq!(r.trail, ARN);
    assert_eq!(r.check, CheckName::Logging);
    assert_eq!(r.status, CheckStatus::Drift);
    assert_eq!(r.detail, o.detail);
}

#[test]
fn trail_update_merge_and_emptiness() {
    let mut u = TrailUpdate::default();
    assert!(u.is_empty());
    u.merge(&TrailUpdate {
        is_multi_region_trail: Some(true),
        include_global_service_events: Some(true),
        ..TrailUpdate::default()
    });
    u.merge(&TrailUpdate {
        include_global_service_events: Some(true),
        kms_key_id: Some(KEY_ARN.into()),
        ..TrailUpdate::default()
    });
    u.merge(&TrailUpdate::default());
    assert!(!u.is_empty());
    assert_eq!(
        u,
        TrailUpdate {
            is_multi_region_trail: Some(true),
            include_global_service_events: Some(true),
            kms_key_id: Some(KEY_ARN.into()),
            ..TrailUpdate::default()
        }
    );
    assert_eq!(
        serde_json::to_value(Repair::UpdateTrail(u)).unwrap(),
        json!({"update_trail": {
            "is_multi_region_trail": true,
            "include_global_service_events": true,
            "kms_key_id": KEY_ARN
        }})
    );
    assert_eq!(
        serde_json::to_value(Repair::StartLogging).unwrap(),
        json!("start_logging")
    );
}
