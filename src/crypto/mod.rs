//! Cryptography: the provider the card logic calls, and the SGP.22 PKI checks built on it.
//!
//! * [`provider`] — [`CryptoProvider`], the one trait every primitive goes through
//!   (ECDSA, key generation, ECDH, KDF, SHA-256, AES/CBC/CMAC), and its byte types.
//! * [`rustcrypto`] — [`RustCrypto`], the default provider (`p256`, `sha2`, `aes`, `cbc`, `cmac`).
//! * [`cert`] — CI, EUM, eUICC and SM-DP+ certificate checks with the SGP.22 error code of
//!   each failure (SGP.22 v2.5 §4.5.2, §5.7.5, §5.7.13), verifying through a provider.
//! * [`ecdsa`] — raw `r ‖ s` ↔ DER signature conversions (SGP.22 v2.5 §2.6.7.2, BSI TR-03111),
//!   for the test kit and tools.
//!
//! The card's own identity (SK.EUICC, CERT.EUICC, CERT.EUM, trusted CIs) is
//! [`crate::identity::Identity`]. No std.

pub mod cert;
pub mod ecdsa;
pub mod provider;
pub mod rustcrypto;

pub use provider::{CryptoProvider, EcdsaSigner, PublicKey, SecretScalar};
pub use rustcrypto::{RUST_CRYPTO, RustCrypto};
