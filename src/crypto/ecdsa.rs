//! ECDSA P-256 with SHA-256 as SGP.22 uses it: signatures travel as 64 raw bytes `r ‖ s`
//! (BSI TR-03111 §5.2.2 plain format, each integer left-padded to 32 bytes; SGP.22 v2.5 §2.6.7.2),
//! while X.509 certificates carry the DER `ECDSA-Sig-Value` (RFC 5758 §3.2).
//!
//! Nothing here panics on hostile input: malformed encodings, zero scalars and
//! points off the curve are reported as errors.

use alloc::vec::Vec;
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};

/// Length of a raw `r ‖ s` signature on P-256.
pub const RAW_SIGNATURE_LEN: usize = 64;

pub use super::provider::EncodingError;

/// Raw `r ‖ s` (64 bytes) → DER `ECDSA-Sig-Value`.
pub fn raw_to_der(raw: &[u8]) -> Result<Vec<u8>, EncodingError> {
    let sig = Signature::from_slice(raw).map_err(|_| EncodingError)?;
    Ok(sig.to_der().as_bytes().to_vec())
}

/// DER `ECDSA-Sig-Value` → raw `r ‖ s` (each value left-padded to 32 bytes).
pub fn der_to_raw(der: &[u8]) -> Result<[u8; RAW_SIGNATURE_LEN], EncodingError> {
    let sig = Signature::from_der(der).map_err(|_| EncodingError)?;
    Ok(sig.to_bytes().into())
}

/// A P-256 public key from its SEC1 encoding (uncompressed `04 ‖ X ‖ Y` or compressed).
pub fn public_key(sec1: &[u8]) -> Result<VerifyingKey, EncodingError> {
    VerifyingKey::from_sec1_bytes(sec1).map_err(|_| EncodingError)
}

/// Verifies a raw `r ‖ s` ECDSA-SHA256 signature over `msg` (SGP.22 v2.5 §2.6.7.2).
pub fn verify_raw(key: &VerifyingKey, msg: &[u8], raw: &[u8]) -> bool {
    Signature::from_slice(raw).is_ok_and(|sig| key.verify(msg, &sig).is_ok())
}

/// Verifies a DER ECDSA-SHA256 signature over `msg` (as in an X.509 certificate).
pub fn verify_der(key: &VerifyingKey, msg: &[u8], der: &[u8]) -> bool {
    Signature::from_der(der).is_ok_and(|sig| key.verify(msg, &sig).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::SigningKey;
    use p256::ecdsa::signature::Signer as _;

    fn key() -> SigningKey {
        SigningKey::from_slice(&[7u8; 32]).unwrap()
    }

    #[test]
    fn raw_der_round_trip() {
        let sig: Signature = key().sign(b"hello");
        let raw: [u8; 64] = sig.to_bytes().into();
        let der = raw_to_der(&raw).unwrap();
        assert_eq!(der.first(), Some(&0x30));
        assert_eq!(der_to_raw(&der).unwrap(), raw);
        assert!(verify_raw(key().verifying_key(), b"hello", &raw));
        assert!(verify_der(key().verifying_key(), b"hello", &der));
        assert!(!verify_raw(key().verifying_key(), b"hellp", &raw));
    }

    #[test]
    fn short_integers_are_left_padded() {
        // r = 1, s = 2: DER has one-byte integers, raw pads each to 32 bytes.
        let der = [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02];
        let raw = der_to_raw(&der).unwrap();
        assert_eq!(raw[31], 1);
        assert_eq!(raw[63], 2);
        assert!(raw[..31].iter().chain(&raw[32..63]).all(|b| *b == 0));
        assert_eq!(raw_to_der(&raw).unwrap(), der);
    }

    #[test]
    fn bad_encodings() {
        assert_eq!(raw_to_der(&[0u8; 64]), Err(EncodingError));
        assert_eq!(raw_to_der(&[1u8; 63]), Err(EncodingError));
        assert_eq!(der_to_raw(&[0x30, 0x00]), Err(EncodingError));
        assert!(public_key(&[0x04; 65]).is_err());
        assert!(!verify_raw(key().verifying_key(), b"x", &[0u8; 64]));
    }
}
