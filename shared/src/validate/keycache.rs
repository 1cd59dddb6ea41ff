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

/// What [`KeyCache::for_digest`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLookup {
    /// The DER public key, and the region that listed it.
    Found {
        /// PKCS#1 `RSAPublicKey` DER.
        der: Vec<u8>,
        /// The region whose `ListPublicKeys` listed it.
        region: String,
    },
    /// No region asked lists the fingerprint (or refused to answer): the
    /// regions asked, with each refusal, for the finding.
    Missing {
        /// e.g. `us-west-2 (delivering) or us-east-1 (home)`.
        asked: String,
    },
}

/// A refusal that will be the same next time (AccessDenied, NotFound,
/// another 4xx): reported, not retried.
fn refused(e: &PortError) -> bool {
    matches!(
        e,
        PortError::AccessDenied { .. } | PortError::NotFound { .. } | PortError::Rejected { .. }
    )
}

/// A region asked, for the finding: `us-west-2 (delivering)`, or the bare
/// name when the delivering region is the home region (the AWS CLI's text).
fn describe(region: &str, role: &str, got: &Result<Option<Vec<u8>>, PortError>) -> String {
    let refusal = match got {
        Err(e) if refused(e) => Some(format!("ListPublicKeys refused: {e}")),
        _ => None,
    };
    match (role.is_empty(), refusal) {
        (true, None) => region.to_string(),
        (true, Some(r)) => format!("{region} ({r})"),
        (false, None) => format!("{region} ({role})"),
        (false, Some(r)) => format!("{region} ({role}; {r})"),
    }
}

impl<K: PublicKeys> KeyCache<K> {
    /// An empty cache over a `ListPublicKeys` source.
    pub fn new(source: K) -> Self {
        Self {
            source,
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// The `ListPublicKeys` source (to count its calls).
    pub fn source(&self) -> &K {
        &self.source
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
    /// signature no CloudTrail key made.
    ///
    /// A delivering region that refuses the call (an opt-in region not
    /// enabled, an SCP that denies it: AccessDenied or another 4xx) does not
    /// stop the home region from being asked; if neither lists the key the
    /// digest is unverifiable, a finding that says which regions were asked
    /// and why. An outage (throttling, 5xx, unreachable) that leaves the
    /// key unfound is an error, so the invocation is retried rather than a
    /// verdict made on a region that did not answer.
    pub async fn for_digest(
        &self,
        region: &str,
        home: &str,
        fingerprint: &str,
        at: DateTime<Utc>,
    ) -> Result<KeyLookup, PortError> {
        let first = self.get(region, fingerprint, at).await;
        if let Ok(Some(der)) = first {
            return Ok(KeyLookup::Found {
                der,
                region: region.to_string(),
            });
        }
        let role = if home == region { "" } else { "delivering" };
        let mut asked = vec![describe(region, role, &first)];
        let mut outage = match first {
            Err(e) if !refused(&e) => Some(e),
            _ => None,
        };
        if home != region {
            let second = self.get(home, fingerprint, at).await;
            if let Ok(Some(der)) = second {
                return Ok(KeyLookup::Found {
                    der,
                    region: home.to_string(),
                });
            }
            asked.push(describe(home, "home", &second));
            if let Err(e) = second {
                if !refused(&e) {
                    outage.get_or_insert(e);
                }
            }
        }
        match outage {
            Some(e) => Err(e),
            None => Ok(KeyLookup::Missing {
                asked: asked.join(" or "),
            }),
        }
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
        let found = cache
            .for_digest("us-west-2", "us-east-1", &west.fingerprint(), at())
            .await
            .expect("no port error");
        assert_eq!(
            found,
            KeyLookup::Found {
                der: west.public_der(),
                region: "us-west-2".into()
            }
        );
        assert_eq!(cache.source.calls(), 1, "the home region was not asked");

        // A fingerprint only the home region lists: found there, after asking
        // the delivering region.
        let found = cache
            .for_digest("us-west-2", "us-east-1", &east.fingerprint(), at())
            .await
            .expect("no port error");
        assert_eq!(
            found,
            KeyLookup::Found {
                der: east.public_der(),
                region: "us-east-1".into()
            }
        );
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
        assert_eq!(
            cache
                .for_digest("us-west-2", "us-east-1", "00ff", at())
                .await
                .expect("no port error"),
            KeyLookup::Missing {
                asked: "us-west-2 (delivering) or us-east-1 (home)".into()
            }
        );
        assert_eq!(cache.source.calls(), before + 2);
    }

    #[tokio::test]
    async fn a_home_region_digest_asks_one_region_once() {
        let east = SigningKey::generate();
        let cache = KeyCache::new(MemKeys::with("us-east-1", &east));
        assert!(matches!(
            cache
                .for_digest("us-east-1", "us-east-1", "00ff", at())
                .await
                .expect("no port error"),
            KeyLookup::Missing { .. }
        ));
        assert_eq!(cache.source.calls(), 1);
    }

    /// A delivering region that refuses ListPublicKeys (an opt-in region
    /// not enabled, an SCP) still lets the home region answer; refused in
    /// both, the digest is a finding naming each refusal; an outage is an
    /// error (retried), never a verdict.
    #[tokio::test]
    async fn a_refusing_region_falls_back_and_an_outage_is_an_error() {
        let east = SigningKey::generate();
        let keys = MemKeys::with("us-east-1", &east);
        keys.fail(
            "ap-east-1",
            PortError::AccessDenied {
                operation: "ListPublicKeys",
                resource: "cloudtrail public keys in ap-east-1".into(),
                message: "explicit deny in a service control policy".into(),
            },
        );
        let cache = KeyCache::new(keys);
        let found = cache
            .for_digest("ap-east-1", "us-east-1", &east.fingerprint(), at())
            .await
            .expect("the home region answered");
        assert!(matches!(found, KeyLookup::Found { ref region, .. } if region == "us-east-1"));
        match cache
            .for_digest("ap-east-1", "us-east-1", "00ff", at())
            .await
            .expect("a refusal is a finding")
        {
            KeyLookup::Missing { asked } => {
                assert!(
                    asked.starts_with(
                        "ap-east-1 (delivering; ListPublicKeys refused: access denied"
                    ),
                    "{asked}"
                );
                assert!(asked.ends_with("or us-east-1 (home)"), "{asked}");
            }
            other => panic!("{other:?}"),
        }
        cache.source.fail(
            "ap-east-1",
            PortError::Unavailable {
                operation: "ListPublicKeys",
                resource: "cloudtrail public keys in ap-east-1".into(),
                message: "dispatch failure".into(),
            },
        );
        assert!(cache
            .for_digest("ap-east-1", "us-east-1", "00ff", at())
            .await
            .is_err());
    }
}
