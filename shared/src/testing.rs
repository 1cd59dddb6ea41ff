//! In-memory fakes of the ports, for handler tests that need no emulator.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::message::{Message, Outbox};
use crate::ports::*;
use crate::synth::{SigningKey, SynthObject};

/// An object store in a map; keys list in S3's lexical order.
#[derive(Default)]
pub struct MemStore {
    objects: Mutex<BTreeMap<(String, String), StoredObject>>,
    /// Keys whose GET fails as if S3 were down.
    pub failing: Mutex<Vec<String>>,
    /// Every GET asked for, as (bucket, key), in order.
    pub gets: Mutex<Vec<(String, String)>>,
}

impl MemStore {
    /// Stores an object.
    pub fn put(&self, bucket: &str, key: &str, body: Vec<u8>, metadata: &[(String, String)]) {
        let obj = StoredObject {
            body,
            metadata: metadata.iter().cloned().collect(),
            ..Default::default()
        };
        self.lock().insert((bucket.into(), key.into()), obj);
    }

    /// Stores generated objects.
    pub fn put_all(&self, bucket: &str, objects: &[SynthObject]) {
        for o in objects {
            self.put(bucket, &o.key, o.body.clone(), &o.metadata);
        }
    }

    /// Removes an object.
    pub fn delete(&self, bucket: &str, key: &str) {
        self.lock().remove(&(bucket.into(), key.into()));
    }

    /// Replaces an object's body, keeping its metadata.
    pub fn replace_body(&self, bucket: &str, key: &str, body: Vec<u8>) {
        if let Some(o) = self.lock().get_mut(&(bucket.into(), key.into())) {
            o.body = body;
        }
    }

    /// An object's body.
    pub fn body(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        self.lock()
            .get(&(bucket.into(), key.into()))
            .map(|o| o.body.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(String, String), StoredObject>> {
        self.objects.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl crate::validate::backfill::ObjectWriter for MemStore {
    async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), PortError> {
        self.put(bucket, key, body, &[]);
        Ok(())
    }
}

impl ObjectStore for MemStore {
    async fn get(&self, bucket: &str, key: &str, max_bytes: u64) -> Result<Fetched, PortError> {
        self.gets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((bucket.into(), key.into()));
        if self
            .failing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .any(|k| k == key)
        {
            return Err(PortError::Unavailable {
                operation: "GetObject",
                resource: key.into(),
                message: "injected 503 SlowDown".into(),
            });
        }
        Ok(match self.lock().get(&(bucket.into(), key.into())) {
            None => Fetched::NotFound,
            Some(o) if o.body.len() as u64 > max_bytes => Fetched::TooLarge {
                size: o.body.len() as u64,
            },
            Some(o) => Fetched::Found(o.clone()),
        })
    }

    async fn list(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
    ) -> Result<Vec<String>, PortError> {
        Ok(self
            .lock()
            .keys()
            .filter(|(b, k)| {
                b == bucket && k.starts_with(prefix) && start_after.is_none_or(|s| k.as_str() > s)
            })
            .map(|(_, k)| k.clone())
            .collect())
    }

    async fn list_folders(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, PortError> {
        let mut out: Vec<String> = self
            .lock()
            .keys()
            .filter(|(b, k)| b == bucket && k.starts_with(prefix))
            .filter_map(|(_, k)| {
                k[prefix.len()..]
                    .split_once('/')
                    .map(|(f, _)| format!("{prefix}{f}/"))
            })
            .collect();
        out.dedup();
        Ok(out)
    }
}

/// Public keys served from memory; counts calls.
#[derive(Default)]
pub struct MemKeys {
    keys: Mutex<HashMap<String, Vec<PublicKey>>>,
    failing: Mutex<HashMap<String, PortError>>,
    /// How many times `list` was called.
    pub calls: Mutex<usize>,
}

impl MemKeys {
    /// Serves a signing key's public half in a region.
    pub fn with(region: &str, key: &SigningKey) -> Self {
        let m = Self::default();
        m.add(region, key);
        m
    }

    /// Serves one more key in a region (CloudTrail keys are per region).
    pub fn add(&self, region: &str, key: &SigningKey) {
        self.keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(region.into())
            .or_default()
            .push(PublicKey {
                fingerprint: key.fingerprint(),
                der: key.public_der(),
                valid_from: None,
                valid_to: None,
            });
    }

    /// Makes `ListPublicKeys` in `region` fail with `error` from now on.
    pub fn fail(&self, region: &str, error: PortError) {
        self.failing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(region.into(), error);
    }

    /// How many `ListPublicKeys` calls were made, in any region.
    pub fn calls(&self) -> usize {
        *self.calls.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl PublicKeys for MemKeys {
    async fn list(
        &self,
        region: &str,
        _: DateTime<Utc>,
        _: DateTime<Utc>,
    ) -> Result<Vec<PublicKey>, PortError> {
        *self.calls.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        if let Some(e) = self
            .failing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(region)
        {
            return Err(e.clone());
        }
        Ok(self
            .keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(region)
            .cloned()
            .unwrap_or_default())
    }
}

/// An [`Outbox`] that keeps what it was given, per topic and per call,
/// and can be told to fail.
#[derive(Debug, Default)]
pub struct MemOutbox {
    /// `(topic, messages of one call)`, in call order.
    pub calls: Mutex<Vec<(String, Vec<Message>)>>,
    /// Calls left to fail before succeeding (`usize::MAX`: always fail).
    pub failures: Mutex<usize>,
}

impl MemOutbox {
    /// Every message published to `topic`, in order.
    pub fn sent_to(&self, topic: &str) -> Vec<Message> {
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(t, _)| t == topic)
            .flat_map(|(_, m)| m.clone())
            .collect()
    }

    /// Every message published, to any topic, in order.
    pub fn sent(&self) -> Vec<Message> {
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .flat_map(|(_, m)| m.clone())
            .collect()
    }

    /// Makes every later call fail, as if SNS were down (`false`: succeed).
    pub fn fail(&self, on: bool) {
        *self.failures.lock().unwrap_or_else(|p| p.into_inner()) = if on { usize::MAX } else { 0 };
    }
}

impl Outbox for MemOutbox {
    async fn publish(&self, topic: &str, messages: &[Message]) -> Result<(), PortError> {
        {
            let mut left = self.failures.lock().unwrap_or_else(|p| p.into_inner());
            if *left > 0 {
                if *left != usize::MAX {
                    *left -= 1;
                }
                return Err(PortError::Unavailable {
                    operation: "PublishBatch",
                    resource: topic.to_string(),
                    message: "injected failure".into(),
                });
            }
        }
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((topic.to_string(), messages.to_vec()));
        Ok(())
    }
}

/// CloudTrail knows no trail: ranges are validated from the bucket alone,
/// and no silence is explained by the trail's status.
pub struct NoTrails;

impl Trails for NoTrails {
    async fn locate(&self, _: &str) -> Result<Option<TrailLocation>, PortError> {
        Ok(None)
    }
    async fn activity(&self, _: &str) -> Result<Option<TrailActivity>, PortError> {
        Ok(None)
    }
}
