//! [`PublicKeys`] and [`Trails`] over the CloudTrail API.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_config::{Region, SdkConfig};
use aws_sdk_cloudtrail::primitives::DateTime as SdkTime;
use aws_sdk_cloudtrail::Client;
use chrono::{DateTime, TimeZone, Utc};

use super::error::port_error;
use crate::ports::{PortError, PublicKey, PublicKeys, TrailActivity, TrailLocation, Trails};

/// CloudTrail clients, one per region on demand: a digest's public key is
/// asked of the region that delivered it (each region signs with its own
/// keys: `validate::KeyCache`), and a trail is described in its home region.
pub struct CloudTrailApi {
    config: SdkConfig,
    clients: Mutex<HashMap<String, Client>>,
}

impl CloudTrailApi {
    /// Clients from the shared SDK configuration.
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            config: config.clone(),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The client for a region.
    pub fn client(&self, region: &str) -> Client {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        clients
            .entry(region.to_string())
            .or_insert_with(|| {
                let conf = aws_sdk_cloudtrail::config::Builder::from(&self.config)
                    .region(Region::new(region.to_string()))
                    .build();
                Client::from_conf(conf)
            })
            .clone()
    }
}

fn to_sdk(t: DateTime<Utc>) -> SdkTime {
    SdkTime::from_secs(t.timestamp())
}

fn from_sdk(t: Option<&SdkTime>) -> Option<DateTime<Utc>> {
    t.and_then(|t| Utc.timestamp_opt(t.secs(), t.subsec_nanos()).single())
}

impl PublicKeys for CloudTrailApi {
    async fn list(
        &self,
        region: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<PublicKey>, PortError> {
        let client = self.client(region);
        let resource = format!("cloudtrail public keys in {region}");
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let resp = client
                .list_public_keys()
                .start_time(to_sdk(start))
                .end_time(to_sdk(end))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| port_error("ListPublicKeys", &resource, &e))?;
            for k in resp.public_key_list() {
                let (Some(fp), Some(value)) = (k.fingerprint(), k.value()) else {
                    return Err(PortError::BadResponse {
                        operation: "ListPublicKeys",
                        resource,
                        message: "a key without Fingerprint or Value".into(),
                    });
                };
                out.push(PublicKey {
                    fingerprint: fp.to_string(),
                    der: value.as_ref().to_vec(),
                    valid_from: from_sdk(k.validity_start_time()),
                    valid_to: from_sdk(k.validity_end_time()),
                });
            }
            match resp.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(out),
            }
        }
    }
}

impl Trails for CloudTrailApi {
    async fn locate(&self, arn: &str) -> Result<Option<TrailLocation>, PortError> {
        let region = arn.split(':').nth(3).unwrap_or_default();
        let client = self.client(region);
        let resp = client
            .describe_trails()
            .trail_name_list(arn)
            .include_shadow_trails(true)
            .send()
            .await
            .map_err(|e| port_error("DescribeTrails", arn, &e))?;
        Ok(resp
            .trail_list()
            .iter()
            .find(|t| t.trail_arn() == Some(arn) || t.name() == arn.rsplit('/').next())
            .and_then(|t| {
                Some(TrailLocation {
                    arn: t.trail_arn().unwrap_or(arn).to_string(),
                    bucket: t.s3_bucket_name()?.to_string(),
                    prefix: t
                        .s3_key_prefix()
                        .filter(|p| !p.is_empty())
                        .map(str::to_string),
                    is_organization_trail: t.is_organization_trail().unwrap_or(false),
                    home_region: t.home_region().unwrap_or(region).to_string(),
                })
            }))
    }

    async fn activity(&self, arn: &str) -> Result<Option<TrailActivity>, PortError> {
        use aws_sdk_cloudtrail::operation::get_trail_status::GetTrailStatusError;
        let region = arn.split(':').nth(3).unwrap_or_default();
        match self
            .client(region)
            .get_trail_status()
            .name(arn)
            .send()
            .await
        {
            Ok(s) => Ok(Some(TrailActivity {
                is_logging: s.is_logging().unwrap_or(false),
                started: from_sdk(s.start_logging_time()),
                stopped: from_sdk(s.stop_logging_time()),
            })),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(GetTrailStatusError::TrailNotFoundException(_))
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(port_error("GetTrailStatus", arn, &e)),
        }
    }
}
