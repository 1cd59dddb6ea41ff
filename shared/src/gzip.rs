//! Bounded gzip inflation with SHA-256 computed on the fly.
//!
//! CloudTrail's `hashValue` is the SHA-256 of a file's *inflated* bytes, so
//! every check starts by inflating. The input is outside data: a gzip bomb
//! must stop at a cap rather than exhaust the function's memory, corrupt or
//! truncated streams must be clear errors, and bytes after the end of the
//! gzip stream make a file invalid (CloudTrail never writes them, and the AWS
//! CLI silently ignores them, so hiding data there would go unnoticed).

use std::io::Read;

use aws_lc_rs::digest::{Context, SHA256};
use flate2::bufread::GzDecoder;

/// Size of the chunks inflated at a time when the output is not kept.
const CHUNK: usize = 64 * 1024;

/// Why a gzip stream was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GzipError {
    /// Not gzip, truncated, or a bad CRC or length trailer.
    #[error("corrupt gzip stream: {0}")]
    Corrupt(String),
    /// Inflates to more than the cap (a gzip bomb, or a cap set too low).
    #[error("inflates to more than the {limit}-byte limit")]
    TooLarge {
        /// The cap in bytes.
        limit: u64,
    },
    /// The gzip stream ends before the object does.
    #[error("{extra} bytes of unexpected data after end of compressed stream")]
    TrailingData {
        /// How many bytes follow the stream.
        extra: usize,
    },
}

/// The SHA-256 of inflated content, as lowercase hex when displayed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Sha256(pub [u8; 32]);

impl Sha256 {
    /// Hashes bytes in one go.
    pub fn of(bytes: &[u8]) -> Self {
        let mut ctx = Context::new(&SHA256);
        ctx.update(bytes);
        Self::finish(ctx)
    }

    fn finish(ctx: Context) -> Self {
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        Self(out)
    }

    /// Lowercase hex, as CloudTrail writes hashes.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Compares with a hex string from a digest, ignoring case.
    pub fn matches_hex(&self, hex_value: &str) -> bool {
        hex::decode(hex_value.trim()).is_ok_and(|b| b == self.0)
    }
}

impl std::fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sha256({})", self.hex())
    }
}

impl std::fmt::Display for Sha256 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.hex())
    }
}

/// Inflates a whole gzip object, keeping the bytes, and hashes them.
pub fn inflate(compressed: &[u8], limit: u64) -> Result<(Vec<u8>, Sha256), GzipError> {
    // A log file compresses about 10 to 20 times; reserve for that, capped.
    let guess = (compressed.len() as u64)
        .saturating_mul(12)
        .min(limit)
        .min(1 << 30);
    let mut out = Vec::with_capacity(guess as usize);
    let sha = inflate_with(compressed, limit, |chunk| out.extend_from_slice(chunk))?;
    Ok((out, sha))
}

/// Inflates and hashes without keeping the inflated bytes: memory stays at
/// one chunk whatever the file's size.
pub fn hash_only(compressed: &[u8], limit: u64) -> Result<(Sha256, u64), GzipError> {
    let mut total = 0u64;
    let sha = inflate_with(compressed, limit, |chunk| total += chunk.len() as u64)?;
    Ok((sha, total))
}

/// Inflates, passing every chunk to `sink`, and returns the SHA-256 of all of
/// them. Refuses a second gzip member or any other trailing bytes.
fn inflate_with(
    compressed: &[u8],
    limit: u64,
    mut sink: impl FnMut(&[u8]),
) -> Result<Sha256, GzipError> {
    let mut decoder = GzDecoder::new(compressed);
    let mut ctx = Context::new(&SHA256);
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = match decoder.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(GzipError::Corrupt(e.to_string())),
        };
        total += n as u64;
        if total > limit {
            return Err(GzipError::TooLarge { limit });
        }
        ctx.update(&buf[..n]);
        sink(&buf[..n]);
    }
    if decoder.header().is_none() {
        return Err(GzipError::Corrupt("no gzip header".into()));
    }
    let rest = decoder.into_inner();
    if !rest.is_empty() {
        return Err(GzipError::TrailingData { extra: rest.len() });
    }
    Ok(Sha256::finish(ctx))
}

/// Compresses bytes as CloudTrail does (one gzip member); for tests, the
/// synthetic trail and benchmarks.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use flate2::write::GzEncoder;
    use std::io::Write;
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELLO_SHA: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

    #[test]
    fn inflates_and_hashes() {
        let gz = gzip(b"hello");
        let (bytes, sha) = inflate(&gz, 1024).unwrap();
        assert_eq!(bytes, b"hello");
        assert_eq!(sha.hex(), HELLO_SHA);
        assert!(sha.matches_hex(&HELLO_SHA.to_uppercase()));
        assert!(!sha.matches_hex("zz"));
        assert_eq!(hash_only(&gz, 1024).unwrap(), (sha, 5));
        assert_eq!(Sha256::of(b"hello"), sha);
    }

    #[test]
    fn trailing_bytes_and_second_members_are_refused() {
        let mut gz = gzip(b"hello");
        gz.extend_from_slice(b"junk");
        assert_eq!(
            inflate(&gz, 1024).unwrap_err(),
            GzipError::TrailingData { extra: 4 }
        );
        let mut two = gzip(b"hello");
        let second = gzip(b"world");
        two.extend_from_slice(&second);
        assert_eq!(
            hash_only(&two, 1024).unwrap_err(),
            GzipError::TrailingData {
                extra: second.len()
            }
        );
    }

    #[test]
    fn corrupt_and_truncated_streams_are_errors() {
        let gz = gzip(&[7u8; 10_000]);
        for bad in [
            &b""[..],
            b"not gzip at all",
            &gz[..gz.len() / 2],
            &gz[..gz.len() - 4],
        ] {
            assert!(
                matches!(inflate(bad, 1 << 20), Err(GzipError::Corrupt(_))),
                "{}",
                bad.len()
            );
        }
        let mut flipped = gz.clone();
        let n = flipped.len();
        flipped[n - 6] ^= 0xff; // CRC
        assert!(matches!(
            inflate(&flipped, 1 << 20),
            Err(GzipError::Corrupt(_))
        ));
    }

    #[test]
    fn bombs_stop_at_the_cap() {
        let bomb = gzip(&vec![0u8; 8 << 20]);
        assert!(bomb.len() < 64 << 10);
        assert_eq!(
            inflate(&bomb, 1 << 20).unwrap_err(),
            GzipError::TooLarge { limit: 1 << 20 }
        );
        assert_eq!(
            hash_only(&bomb, 1 << 20).unwrap_err(),
            GzipError::TooLarge { limit: 1 << 20 }
        );
        assert!(inflate(&bomb, 8 << 20).is_ok());
    }
}
