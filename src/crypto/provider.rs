//! The crypto provider: every primitive the card logic uses, behind one object-safe trait
//! (the way rustls separates its `CryptoProvider` from the protocol).
//!
//! The card never names a crypto crate: it asks its [`Platform`](crate::platform::Platform)
//! for a `&'static dyn CryptoProvider` and works on plain byte types ([`PublicKey`],
//! [`SecretScalar`], raw `r ‖ s` signatures). The default is [`RustCrypto`](super::RustCrypto)
//! (`p256`, `sha2`, `aes`, `cbc`, `cmac`); a faster provider (hardware, assembly, a std-only
//! library) implements this trait and is returned by the platform's `crypto()`, with no change
//! to the card logic.
//!
//! | primitive | SGP.22 v2.5 use | method |
//! |---|---|---|
//! | SHA-256 | hashes, KDF | [`CryptoProvider::sha256`] |
//! | ECDSA P-256 verify | certificates, serverSignature1, smdpSignature2, smdpSign | [`CryptoProvider::verify`], [`CryptoProvider::verify_der`] |
//! | ECDSA P-256 sign (RFC 6979 on RustCrypto) | euiccSignature1/2, PIR, notifications, CancelSession | [`CryptoProvider::signing_key`] → [`EcdsaSigner`] |
//! | key generation | otSK/otPK.EUICC.ECKA (§2.6.6) | [`CryptoProvider::keypair_from_random`] |
//! | ECDH (ECKA-DH, BSI TR-03111) | shared secret Z | [`CryptoProvider::ecdh`] |
//! | X9.63 KDF | session keys (§2.6.6.1) | [`CryptoProvider::kdf_x963_sha256`] (provided, over `sha256`) |
//! | AES-128 block, CBC, CMAC | SCP03t ICV, segments, C-MAC (§2.6.6.2) | `aes128_*` |
//!
//! Randomness is the platform's ([`Platform::Rng`](crate::platform::Platform::Rng)): the
//! provider turns 32 random bytes into a key pair, so a provider never needs its own RNG.

use alloc::boxed::Box;
use core::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A P-256 public key, uncompressed SEC1 `04 ‖ X ‖ Y`, checked to be on the curve by the
/// provider that made it ([`CryptoProvider::public_key`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey([u8; 65]);

impl PublicKey {
    /// Wraps an encoding a provider has validated. Only providers call this.
    pub fn from_validated(sec1: [u8; 65]) -> PublicKey {
        PublicKey(sec1)
    }

    /// `04 ‖ X ‖ Y`.
    pub fn as_bytes(&self) -> &[u8; 65] {
        &self.0
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PublicKey(")?;
        for b in self.0.get(1..9).unwrap_or_default() {
            write!(f, "{b:02x}")?;
        }
        f.write_str("…)")
    }
}

/// 32 secret bytes: a P-256 private scalar (big-endian) or an ECDH shared secret `Z`.
/// Zeroized on drop; `Debug` prints `<secret>`; no `Clone`, no `PartialEq`.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SecretScalar([u8; 32]);

impl SecretScalar {
    /// Wraps 32 secret bytes (the caller wipes its own copy).
    pub fn new(bytes: [u8; 32]) -> SecretScalar {
        SecretScalar(bytes)
    }

    /// Copies a big-endian value of at most 32 bytes, left-padded with zeros (more than 32
    /// bytes keeps the last 32). No intermediate copy is left behind.
    pub fn from_slice(bytes: &[u8]) -> SecretScalar {
        let mut out = SecretScalar([0u8; 32]);
        let n = bytes.len().min(32);
        let src = bytes.get(bytes.len() - n..).unwrap_or_default();
        if let Some(dst) = out.0.get_mut(32 - n..) {
            dst.copy_from_slice(src);
        }
        out
    }

    /// The bytes.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SecretScalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

/// A key, point or signature that is not a valid P-256 encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodingError;

impl fmt::Display for EncodingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a valid P-256 encoding")
    }
}

impl core::error::Error for EncodingError {}

/// Input to a block-cipher mode that is not a whole number of 16-byte blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockLengthError;

impl fmt::Display for BlockLengthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("data is not a whole number of AES blocks")
    }
}

impl core::error::Error for BlockLengthError {}

/// A prepared long-term signing key (SK.EUICC.ECDSA): whatever the provider precomputes is
/// done once. Implementations zeroize the key on drop.
pub trait EcdsaSigner: Send + Sync {
    /// ECDSA-SHA256 over `msg`, raw `r ‖ s`. RustCrypto's nonce is deterministic (RFC 6979),
    /// which keeps recorded traces byte-exact; another provider may draw its own (aws-lc does).
    fn sign(&self, msg: &[u8]) -> [u8; 64];
    /// The matching public key.
    fn public_key(&self) -> PublicKey;
}

/// Every primitive the card logic uses (see the module docs). Implementations never panic
/// on hostile input: bad encodings are errors or `false`.
pub trait CryptoProvider: fmt::Debug + Send + Sync {
    /// A short name for logs and benches (`"rustcrypto"`).
    fn name(&self) -> &'static str;

    /// SHA-256 over the concatenation of `parts`.
    fn sha256(&self, parts: &[&[u8]]) -> [u8; 32];

    /// Decodes and validates a P-256 point (uncompressed or compressed SEC1).
    fn public_key(&self, sec1: &[u8]) -> Result<PublicKey, EncodingError>;

    /// Verifies an ECDSA-SHA256 signature in raw `r ‖ s` form (SGP.22 v2.5 §2.6.7.2, BSI TR-03111).
    fn verify(&self, key: &PublicKey, msg: &[u8], signature: &[u8]) -> bool;

    /// Verifies an ECDSA-SHA256 signature in DER `ECDSA-Sig-Value` form (X.509, RFC 5758 §3.2).
    fn verify_der(&self, key: &PublicKey, msg: &[u8], signature: &[u8]) -> bool;

    /// Prepares a signing key from its scalar; a zero or out-of-range scalar is an error.
    fn signing_key(&self, secret: &SecretScalar) -> Result<Box<dyn EcdsaSigner>, EncodingError>;

    /// A key pair whose private scalar is `random` read as a big-endian integer, or `None` if
    /// that is zero or not below the group order (the caller draws again: rejection sampling,
    /// FIPS 186-5 A.4.2).
    fn keypair_from_random(&self, random: &[u8; 32]) -> Option<(SecretScalar, PublicKey)>;

    /// ECKA-DH: the x-coordinate of `secret × peer` (BSI TR-03111 §4.3.1), the shared secret Z.
    fn ecdh(&self, secret: &SecretScalar, peer: &PublicKey) -> Result<SecretScalar, EncodingError>;

    /// AES-128 on one block, in place.
    fn aes128_encrypt_block(&self, key: &[u8; 16], block: &mut [u8; 16]);

    /// AES-128-CBC encryption in place, no padding (the caller pads).
    fn aes128_cbc_encrypt(&self, key: &[u8; 16], iv: &[u8; 16], data: &mut [u8]) -> Result<(), BlockLengthError>;

    /// AES-128-CBC decryption in place, no padding removed.
    fn aes128_cbc_decrypt(&self, key: &[u8; 16], iv: &[u8; 16], data: &mut [u8]) -> Result<(), BlockLengthError>;

    /// AES-128-CMAC (NIST SP 800-38B) over the concatenation of `parts`.
    fn aes128_cmac(&self, key: &[u8; 16], parts: &[&[u8]]) -> [u8; 16];

    /// ANSI X9.63 KDF with SHA-256: `out` is filled with `SHA-256(z ‖ counter ‖ shared_info)`
    /// for counter = 1, 2, … (32-bit big-endian). SGP.22 v2.5 §2.6.6.1 uses it for the session keys.
    fn kdf_x963_sha256(&self, z: &[u8], shared_info: &[u8], out: &mut [u8]) {
        for (i, chunk) in out.chunks_mut(32).enumerate() {
            let counter = u32::try_from(i).unwrap_or(u32::MAX).saturating_add(1).to_be_bytes();
            let mut block = self.sha256(&[z, &counter, shared_info]);
            let n = chunk.len();
            chunk.copy_from_slice(block.get(..n).unwrap_or_default());
            block.zeroize();
        }
    }
}
