//! A cache of CloudTrail's public keys, kept across warm invocations.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::ports::{PortError, PublicKeys};

/// How far either side of a digest's end time to ask for keys: keys rotate,
/// and a digest is signed with the key current when it was written.
const WINDOW: Duration = Duration::hours(3);

/// Public keys by (region, fingerprint), fetched on a miss.
///
/// CloudTrail signs each digest with a key of the region that delivered it
/// (CloudTrail User Guide, "CloudTrail digest file structure": "Each digest
/// file is signed with a private key unique to its region. Therefore, when
/// you validate a digest file from a particular region, you must look in the
/// same region for its corresponding public key."), so keys are asked of and
/// cached per region: one cache entry per (region, fingerprint).
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

    /// The key that signed a digest delivered by `region` for a trail whose
    /// home region is `home`: asked of the delivering region first (where
    /// CloudTrail says it is), then of the home region before it is called
    /// missing. Any key CloudTrail lists is one of CloudTrail's own, so the
    /// fallback can find a key the documents do not promise, never accept a
    /// signature no CloudTrail key made. Returns the key and the region that
    /// listed it; `None` when neither has it.
    pub async fn for_digest(
        &self,
        region: &str,
        home: &str,
        fingerprint: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<(Vec<u8>, String)>, PortError> {
        if let Some(der) = self.get(region, fingerprint, at).await? {
            return Ok(Some((der, region.to_string())));
        }
        if home != region {
            if let Some(der) = self.get(home, fingerprint, at).await? {
                return Ok(Some((der, home.to_string())));
            }
        }
        Ok(None)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Vec<u8>>> {
        // A panic while holding the lock cannot leave the map inconsistent.
        self.keys.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(all(test, feature = "synth"))]
mod tests {
    use super::*;
    use crate::synth::SigningKey;
    use crate::testing::MemKeys;

    fn at() -> DateTime<Utc> {
        "2026-01-15T01:00:00Z".parse().expect("time")
    }

    #[tokio::test]
    async fn the_delivering_region_is_asked_first_then_the_home_region() {
        let west = SigningKey::generate();
        let east = SigningKey::generate();
        let keys = MemKeys::with("us-west-2", &west);
        keys.add("us-east-1", &east);
        let cache = KeyCache::new(keys);

        // A us-west-2 digest of a us-east-1 trail: found in us-west-2.
        let (der, found) = cache
            .for_digest("us-west-2", "us-east-1", &west.fingerprint(), at())
            .await
            .expect("no port error")
            .expect("found");
        assert_eq!((der, found.as_str()), (west.public_der(), "us-west-2"));
        assert_eq!(cache.source.calls(), 1, "the home region was not asked");

        // A fingerprint only the home region lists: found there, after asking
        // the delivering region.
        let (der, found) = cache
            .for_digest("us-west-2", "us-east-1", &east.fingerprint(), at())
            .await
            .expect("no port error")
            .expect("found");
        assert_eq!((der, found.as_str()), (east.public_der(), "us-east-1"));
        assert_eq!(cache.source.calls(), 3);

        // The west key is never served for the east region's cache entry.
        assert!(cache
            .get("us-east-1", &west.fingerprint(), at())
            .await
            .expect("no port error")
            .is_none());

        // Unknown everywhere: missing, after both regions were asked again
        // (misses are not cached).
        let before = cache.source.calls();
        assert!(cache
            .for_digest("us-west-2", "us-east-1", "00ff", at())
            .await
            .expect("no port error")
            .is_none());
        assert_eq!(cache.source.calls(), before + 2);
    }

    #[tokio::test]
    async fn a_home_region_digest_asks_one_region_once() {
        let east = SigningKey::generate();
        let cache = KeyCache::new(MemKeys::with("us-east-1", &east));
        assert!(cache
            .for_digest("us-east-1", "us-east-1", "00ff", at())
            .await
            .expect("no port error")
            .is_none());
        assert_eq!(cache.source.calls(), 1);
    }
}
