//! Digest signatures: the string CloudTrail signs and its RSA verification.
//!
//! CloudTrail signs, with SHA256withRSA (RSASSA-PKCS1-v1_5 over SHA-256):
//!
//! ```text
//! digestEndTime \n digestS3Bucket/digestS3Object \n hex(sha256(inflated digest)) \n previousDigestSignature
//! ```
//!
//! where a null previous signature is the literal `null`. The public key is
//! the PKCS#1 `RSAPublicKey` DER that `ListPublicKeys` returns for the
//! digest's fingerprint.

use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};

use crate::cloudtrail::digest::Digest;
use crate::gzip::Sha256;

/// The only algorithm CloudTrail uses, as named in the `signature-algorithm`
/// object metadata.
pub const ALGORITHM: &str = "SHA256withRSA";

/// Why a signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The `signature` metadata is not hex.
    #[error("signature metadata is not hex")]
    NotHex,
    /// An algorithm other than SHA256withRSA.
    #[error("unsupported signature algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// The key does not verify the signature over the signing string.
    #[error("signature verification failed")]
    Mismatch,
}

/// The exact bytes CloudTrail signs for a digest.
pub fn signing_string(digest: &Digest, inflated_sha256: &Sha256) -> String {
    format!(
        "{}\n{}/{}\n{}\n{}",
        digest.digest_end_time,
        digest.digest_s3_bucket,
        digest.digest_s3_object,
        inflated_sha256.hex(),
        digest
            .previous_digest_signature
            .as_deref()
            .unwrap_or("null"),
    )
}

/// Verifies a hex signature over `message` with a PKCS#1 DER RSA public key.
pub fn verify(
    message: &[u8],
    algorithm: &str,
    signature_hex: &str,
    public_key_der: &[u8],
) -> Result<(), SignatureError> {
    if algorithm != ALGORITHM {
        return Err(SignatureError::UnsupportedAlgorithm(algorithm.to_string()));
    }
    let sig = hex::decode(signature_hex.trim()).map_err(|_| SignatureError::NotHex)?;
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_key_der)
        .verify(message, &sig)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};

    fn digest(prev: Option<&str>) -> Digest {
        serde_json::from_value(serde_json::json!({
            "digestStartTime": "2015-08-17T14:01:31Z",
            "digestEndTime": "2015-08-17T15:01:31Z",
            "digestS3Bucket": "amzn-s3-demo-bucket",
            "digestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz",
            "digestPublicKeyFingerprint": "31e8b5433410dfb61a9dc45cc65b22ff",
            "previousDigestSignature": prev,
        }))
        .unwrap()
    }

    /// The signing string worked out by hand from AWS's documented format.
    #[test]
    fn signing_string_vector() {
        let sha = Sha256::of(b"{}");
        assert_eq!(
            sha.hex(),
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        let d = digest(Some("50887ccffad4c002b97caa37cc4"));
        assert_eq!(
            signing_string(&d, &sha),
            "2015-08-17T15:01:31Z\n\
             amzn-s3-demo-bucket/AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz\n\
             44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\n\
             50887ccffad4c002b97caa37cc4"
        );
        let first = Digest {
            previous_digest_signature: None,
            ..d
        };
        assert!(signing_string(&first, &sha).ends_with("\nnull"));
    }

    #[test]
    fn verifies_pkcs1_v15_sha256() {
        let key = KeyPair::generate(KeySize::Rsa2048).unwrap();
        let msg = b"2015-08-17T15:01:31Z\nb/k\nabc\nnull";
        let mut sig = vec![0u8; key.public_modulus_len()];
        key.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), msg, &mut sig)
            .unwrap();
        let der = key.public_key().as_ref().to_vec();
        let hexsig = hex::encode(&sig);
        assert_eq!(verify(msg, ALGORITHM, &hexsig, &der), Ok(()));
        assert_eq!(
            verify(b"other", ALGORITHM, &hexsig, &der),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(msg, ALGORITHM, "xyz", &der),
            Err(SignatureError::NotHex)
        );
        assert_eq!(
            verify(msg, ALGORITHM, &hexsig, b"not a key"),
            Err(SignatureError::Mismatch)
        );
        assert!(matches!(
            verify(msg, "SHA1withRSA", &hexsig, &der),
            Err(SignatureError::UnsupportedAlgorithm(_))
        ));
        let other = KeyPair::generate(KeySize::Rsa2048).unwrap();
        assert_eq!(
            verify(msg, ALGORITHM, &hexsig, other.public_key().as_ref()),
            Err(SignatureError::Mismatch)
        );
    }
}
