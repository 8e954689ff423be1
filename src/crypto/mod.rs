//! Cryptography the ISD-R needs for the SGP.22 PKI: ECDSA P-256 encodings and
//! X.509 chain checks to a CI.
//!
//! * [`ecdsa`] — raw `r ‖ s` ↔ DER signatures, verification (SGP.22 v2.5 §2.6.7.2, BSI TR-03111).
//! * [`cert`] — CI, EUM, eUICC and SM-DP+ certificate checks with the SGP.22 error code of
//!   each failure (SGP.22 v2.5 §4.5.2, §5.7.5, §5.7.13).
//!
//! The card's own identity (SK.EUICC, CERT.EUICC, CERT.EUM, trusted CIs) is
//! [`crate::identity::Identity`]. No std; RustCrypto `p256`, `der`, `x509-cert` only.

pub mod cert;
pub mod ecdsa;
