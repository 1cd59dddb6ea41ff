//! A cache of CloudTrail's public keys, kept across warm invocations.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::ports::{PortError, PublicKeys};

/// How far either side of a digest's end time to ask for keys: keys rotate,
/// and a digest is signed with the key current when it was written.
const WINDOW: Duration = Duration::hours(3);

/// Public keys by (home region, fingerprint), fetched on a miss.
///
/// Fingerprints name keys uniquely and keys never change, so a hit never
/// goes stale; a miss is not cached, so a key published late is found on
/// the next digest.
pub struct KeyCache<K> {
    source: K,
    keys: Mutex<HashMap<(String, String), Vec<u8>>>,
}

impl<K: PublicKeys> KeyCache<K> {
    /// An empty cache over a `ListPublicKeys` source.
    pub fn new(source: K) -> Self {
        Self {
            source,
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// Loads every key valid in `[start, end]` into the cache (one call for a
    /// whole date range).
    pub async fn preload(
        &self,
        region: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<usize, PortError> {
        let found = self.source.list(region, start, end).await?;
        let n = found.len();
        let mut keys = self.lock();
        for k in found {
            keys.insert((region.to_string(), k.fingerprint), k.der);
        }
        Ok(n)
    }

    /// The DER key with this fingerprint, asking CloudTrail for the keys
    /// around `at` when it is not cached; `None` when CloudTrail has none.
    pub async fn get(
        &self,
        region: &str,
        fingerprint: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Vec<u8>>, PortError> {
        let id = (region.to_string(), fingerprint.to_string());
        if let Some(k) = self.lock().get(&id) {
            return Ok(Some(k.clone()));
        }
        self.preload(region, at - WINDOW, at + WINDOW).await?;
        Ok(self.lock().get(&id).cloned())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Vec<u8>>> {
        // A panic while holding the lock cannot leave the map inconsistent.
        self.keys.lock().unwrap_or_else(|p| p.into_inner())
    }
}
