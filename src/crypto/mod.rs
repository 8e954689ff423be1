//! Cryptography: the provider the card logic calls, and the SGP.22 PKI checks built on it.
//!
//! * [`provider`] — [`CryptoProvider`], the one trait every primitive goes through
//!   (ECDSA, key generation, ECDH, KDF, SHA-256, AES/CBC/CMAC), and its byte types.
//! * [`rustcrypto`] — [`RustCrypto`], the default provider (`p256`, `sha2`, `aes`, `cbc`, `cmac`).
//! * `awslc` (feature `aws-lc`) — `AwsLc`, the same trait over aws-lc-rs (AWS-LC's
//!   assembly P-256, AES, SHA-256): several times faster on P-256; std only.
//! * [`cert`] — CI, EUM, eUICC and SM-DP+ certificate checks with the SGP.22 error code of
//!   each failure (SGP.22 v2.5 §4.5.2, §5.7.5, §5.7.13), verifying through a provider.
//! * [`ecdsa`] — raw `r ‖ s` ↔ DER signature conversions (SGP.22 v2.5 §2.6.7.2, BSI TR-03111),
//!   for the test kit and tools.
//!
//! The card's own identity (SK.EUICC, CERT.EUICC, CERT.EUM, trusted CIs) is
//! [`crate::identity::Identity`]. No std.

#[cfg(feature = "aws-lc")]
pub mod awslc;
pub mod cert;
pub mod ecdsa;
pub mod provider;
pub mod rustcrypto;

#[cfg(feature = "aws-lc")]
pub use awslc::{AWS_LC, AwsLc};
pub use provider::{CryptoProvider, EcdsaSigner, PublicKey, SecretScalar};
pub use rustcrypto::{RUST_CRYPTO, RustCrypto};

/// The providers this build has, by [`CryptoProvider::name`]: `"rustcrypto"` always,
/// `"aws-lc"` with the feature `aws-lc`.
pub fn providers() -> &'static [&'static dyn CryptoProvider] {
    PROVIDERS
}

#[cfg(feature = "aws-lc")]
static PROVIDERS: &[&dyn CryptoProvider] = &[&AWS_LC, &RUST_CRYPTO];
#[cfg(not(feature = "aws-lc"))]
static PROVIDERS: &[&dyn CryptoProvider] = &[&RUST_CRYPTO];

/// The provider named `name` ([`CryptoProvider::name`]), if this build has it.
pub fn provider_named(name: &str) -> Option<&'static dyn CryptoProvider> {
    providers().iter().copied().find(|p| p.name() == name)
}

/// The fastest provider this build has: `aws-lc` with that feature, else RustCrypto. (The
/// [`Platform`](crate::platform::Platform) default stays RustCrypto; host adapters use this.)
pub fn fastest() -> &'static dyn CryptoProvider {
    providers().first().copied().unwrap_or(&RUST_CRYPTO)
}
