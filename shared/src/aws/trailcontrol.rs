//! [`TrailControl`] over the CloudTrail API: the SDK's shapes mapped to the
//! watchdog's model and back, one client per region.

use aws_sdk_cloudtrail::types::{
    AdvancedEventSelector, AdvancedFieldSelector, DataResource as SdkDataResource, EventSelector,
    LookupAttribute, LookupAttributeKey, ReadWriteType as SdkReadWriteType,
};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use super::cloudtrail::CloudTrailApi;
use super::error::port_error;
use crate::error::PortError;
use crate::watchdog::checks::TrailUpdate;
use crate::watchdog::model::{
    AdvancedSelector, BasicSelector, DataResource, FieldSelector, ReadWriteType, Selectors,
    TrailInfo, TrailStatus,
};
use crate::watchdog::ports::{StopEvent, TrailControl};

/// Pages of `LookupEvents` read when looking for who stopped a trail (50
/// events a page): enough for a busy day of StopLogging calls.
const MAX_LOOKUP_PAGES: usize = 10;

fn time(t: Option<&aws_sdk_cloudtrail::primitives::DateTime>) -> Option<DateTime<Utc>> {
    t.and_then(|t| Utc.timestamp_opt(t.secs(), t.subsec_nanos()).single())
}

fn text(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty()).map(str::to_string)
}

fn bad(operation: &'static str, resource: &str, message: impl Into<String>) -> PortError {
    PortError::BadResponse {
        operation,
        resource: resource.to_string(),
        message: message.into(),
    }
}

fn read_write(t: Option<&SdkReadWriteType>) -> ReadWriteType {
    match t {
        Some(SdkReadWriteType::ReadOnly) => ReadWriteType::ReadOnly,
        Some(SdkReadWriteType::WriteOnly) => ReadWriteType::WriteOnly,
        _ => ReadWriteType::All,
    }
}

fn sdk_read_write(t: ReadWriteType) -> SdkReadWriteType {
    match t {
        ReadWriteType::ReadOnly => SdkReadWriteType::ReadOnly,
        ReadWriteType::WriteOnly => SdkReadWriteType::WriteOnly,
        ReadWriteType::All => SdkReadWriteType::All,
    }
}

impl TrailControl for CloudTrailApi {
    async fn describe_trails(&self, region: &str) -> Result<Vec<TrailInfo>, PortError> {
        let resource = format!("trails in {region}");
        let resp = self
            .client(region)
            .describe_trails()
            .include_shadow_trails(true)
            .send()
            .await
            .map_err(|e| port_error("DescribeTrails", &resource, &e))?;
        resp.trail_list()
            .iter()
            .map(|t| {
                let arn = t
                    .trail_arn()
                    .ok_or_else(|| bad("DescribeTrails", &resource, "a trail without TrailARN"))?;
                let mut info = TrailInfo::new(arn)
                    .map_err(|e| bad("DescribeTrails", &resource, e.to_string()))?;
                if let Some(n) = text(t.name()) {
                    info.name = n;
                }
                if let Some(r) = text(t.home_region()) {
                    info.home_region = r;
                }
                info.is_multi_region = t.is_multi_region_trail().unwrap_or(false);
                info.include_global_service_events =
                    t.include_global_service_events().unwrap_or(false);
                info.log_file_validation = t.log_file_validation_enabled().unwrap_or(false);
                info.is_organization_trail = t.is_organization_trail().unwrap_or(false);
                info.kms_key_id = text(t.kms_key_id());
                info.s3_bucket = text(t.s3_bucket_name());
                info.s3_key_prefix = text(t.s3_key_prefix());
                info.cloudwatch_logs_group_arn = text(t.cloud_watch_logs_log_group_arn());
                info.cloudwatch_logs_role_arn = text(t.cloud_watch_logs_role_arn());
                Ok(info)
            })
            .collect()
    }

    async fn status(&self, region: &str, trail: &str) -> Result<TrailStatus, PortError> {
        let s = self
            .client(region)
            .get_trail_status()
            .name(trail)
            .send()
            .await
            .map_err(|e| port_error("GetTrailStatus", trail, &e))?;
        Ok(TrailStatus {
            is_logging: s.is_logging().unwrap_or(false),
            latest_delivery_error: text(s.latest_delivery_error()),
            latest_digest_delivery_error: text(s.latest_digest_delivery_error()),
            latest_notification_error: text(s.latest_notification_error()),
            latest_cloudwatch_logs_delivery_error: text(s.latest_cloud_watch_logs_delivery_error()),
            latest_delivery_time: time(s.latest_delivery_time()),
            latest_digest_delivery_time: time(s.latest_digest_delivery_time()),
            latest_cloudwatch_logs_delivery_time: time(s.latest_cloud_watch_logs_delivery_time()),
            start_logging_time: time(s.start_logging_time()),
            stop_logging_time: time(s.stop_logging_time()),
        })
    }

    async fn selectors(&self, region: &str, trail: &str) -> Result<Selectors, PortError> {
        let s = self
            .client(region)
            .get_event_selectors()
            .trail_name(trail)
            .send()
            .await
            .map_err(|e| port_error("GetEventSelectors", trail, &e))?;
        Ok(Selectors {
            basic: s
                .event_selectors()
                .iter()
                .map(|e| BasicSelector {
                    read_write_type: read_write(e.read_write_type()),
                    include_management_events: e.include_management_events().unwrap_or(true),
                    data_resources: e
                        .data_resources()
                        .iter()
                        .map(|d| DataResource {
                            kind: d.r#type().unwrap_or_default().to_string(),
                            values: d.values().to_vec(),
                        })
                        .collect(),
                    exclude_management_event_sources: e.exclude_management_event_sources().to_vec(),
                })
                .collect(),
            advanced: s
                .advanced_event_selectors()
                .iter()
                .map(|a| AdvancedSelector {
                    name: text(a.name()),
                    field_selectors: a
                        .field_selectors()
                        .iter()
                        .map(|f| FieldSelector {
                            field: f.field().to_string(),
                            equals: f.equals().to_vec(),
                            starts_with: f.starts_with().to_vec(),
                            ends_with: f.ends_with().to_vec(),
                            not_equals: f.not_equals().to_vec(),
                            not_starts_with: f.not_starts_with().to_vec(),
                            not_ends_with: f.not_ends_with().to_vec(),
                        })
                        .collect(),
                })
                .collect(),
        })
    }

    async fn start_logging(&self, region: &str, trail: &str) -> Result<(), PortError> {
        self.client(region)
            .start_logging()
            .name(trail)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| port_error("StartLogging", trail, &e))
    }

    async fn update_trail(
        &self,
        region: &str,
        trail: &str,
        u: &TrailUpdate,
    ) -> Result<(), PortError> {
        self.client(region)
            .update_trail()
            .name(trail)
            .set_is_multi_region_trail(u.is_multi_region_trail)
            .set_include_global_service_events(u.include_global_service_events)
            .set_enable_log_file_validation(u.enable_log_file_validation)
            .set_kms_key_id(u.kms_key_id.clone())
            .set_cloud_watch_logs_log_group_arn(u.cloudwatch_logs_log_group_arn.clone())
            .set_cloud_watch_logs_role_arn(u.cloudwatch_logs_role_arn.clone())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| port_error("UpdateTrail", trail, &e))
    }

    async fn put_selectors(
        &self,
        region: &str,
        trail: &str,
        s: &Selectors,
    ) -> Result<(), PortError> {
        let req = self.client(region).put_event_selectors().trail_name(trail);
        let req = if s.advanced.is_empty() {
            req.set_event_selectors(Some(
                s.basic
                    .iter()
                    .map(|b| {
                        EventSelector::builder()
                            .read_write_type(sdk_read_write(b.read_write_type))
                            .include_management_events(b.include_management_events)
                            .set_data_resources(Some(
                                b.data_resources
                                    .iter()
                                    .map(|d| {
                                        SdkDataResource::builder()
                                            .r#type(&d.kind)
                                            .set_values(Some(d.values.clone()))
                                            .build()
                                    })
                                    .collect(),
                            ))
                            .set_exclude_management_event_sources(Some(
                                b.exclude_management_event_sources.clone(),
                            ))
                            .build()
                    })
                    .collect(),
            ))
        } else {
            let mut advanced = Vec::with_capacity(s.advanced.len());
            for a in &s.advanced {
                let mut fields = Vec::with_capacity(a.field_selectors.len());
                for f in &a.field_selectors {
                    let some = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
                    fields.push(
                        AdvancedFieldSelector::builder()
                            .field(&f.field)
                            .set_equals(some(&f.equals))
                            .set_starts_with(some(&f.starts_with))
                            .set_ends_with(some(&f.ends_with))
                            .set_not_equals(some(&f.not_equals))
                            .set_not_starts_with(some(&f.not_starts_with))
                            .set_not_ends_with(some(&f.not_ends_with))
                            .build()
                            .map_err(|e| bad("PutEventSelectors", trail, e.to_string()))?,
                    );
                }
                advanced.push(
                    AdvancedEventSelector::builder()
                        .set_name(a.name.clone())
                        .set_field_selectors(Some(fields))
                        .build()
                        .map_err(|e| bad("PutEventSelectors", trail, e.to_string()))?,
                );
            }
            req.set_advanced_event_selectors(Some(advanced))
        };
        req.send()
            .await
            .map(|_| ())
            .map_err(|e| port_error("PutEventSelectors", trail, &e))
    }

    async fn stop_events(
        &self,
        region: &str,
        trail_arn: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<StopEvent>, PortError> {
        let name = trail_arn.rsplit('/').next().unwrap_or(trail_arn);
        let client = self.client(region);
        let mut out = Vec::new();
        {
            let event_name = "StopLogging";
            let attr = LookupAttribute::builder()
                .attribute_key(LookupAttributeKey::EventName)
                .attribute_value(event_name)
                .build()
                .map_err(|e| bad("LookupEvents", trail_arn, e.to_string()))?;
            let mut token: Option<String> = None;
            for _ in 0..MAX_LOOKUP_PAGES {
                let resp = client
                    .lookup_events()
                    .lookup_attributes(attr.clone())
                    .start_time(aws_sdk_cloudtrail::primitives::DateTime::from_secs(
                        since.timestamp(),
                    ))
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(|e| port_error("LookupEvents", trail_arn, &e))?;
                for e in resp.events() {
                    let record: Value = match e.cloud_trail_event().map(serde_json::from_str) {
                        Some(Ok(v)) => v,
                        Some(Err(err)) => {
                            tracing::warn!(event_id = e.event_id().unwrap_or(""), error = %err,
                                "LookupEvents returned a CloudTrailEvent that is not JSON; skipped");
                            continue;
                        }
                        None => continue,
                    };
                    // The call names the trail by name or ARN.
                    let target = record
                        .pointer("/requestParameters/name")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    // A refused attempt did not stop anything.
                    if (target != trail_arn && target != name)
                        || record.get("errorCode").is_some_and(|c| !c.is_null())
                    {
                        continue;
                    }
                    let Some(t) = time(e.event_time()) else {
                        continue;
                    };
                    let s = |p: &str| {
                        record
                            .pointer(p)
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    };
                    out.push(StopEvent {
                        event_id: e.event_id().unwrap_or_default().to_string(),
                        time: t,
                        username: text(e.username()),
                        principal: s("/userIdentity/arn"),
                        source_ip: s("/sourceIPAddress"),
                        user_agent: s("/userAgent"),
                        event_name: event_name.to_string(),
                    });
                }
                match resp.next_token() {
                    Some(t) if !t.is_empty() => token = Some(t.to_string()),
                    _ => break,
                }
            }
        }
        out.sort_by_key(|e| std::cmp::Reverse(e.time));
        Ok(out)
    }
}
