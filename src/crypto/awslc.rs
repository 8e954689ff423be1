//! [`AwsLc`]: a [`CryptoProvider`] over aws-lc-rs (feature `aws-lc`): AWS-LC's assembly P-256
//! (ECDSA, ECDH, key generation), SHA-256, AES-128 (block, CBC) and AES-CMAC.
//!
//! Every primitive of the trait is AWS-LC's; RustCrypto is kept for two things only:
//!
//! * **decompressing a compressed SEC1 point** in [`CryptoProvider::public_key`]: AWS-LC
//!   validates it, but aws-lc-rs hands back no uncompressed encoding of a parsed key. SGP.22
//!   keys and certificates carry uncompressed points, so the card never takes this path.
//! * **a fallback on an internal AWS-LC failure** (an allocation that fails) in the operations
//!   the trait makes infallible (SHA-256, the AES block, CMAC, signing): the result is then
//!   RustCrypto's, the same bytes (a signature is as valid), never a panic.
//!
//! Differences from [`RustCrypto`](super::RustCrypto) a caller can see: AWS-LC's ECDSA
//! signatures are **not RFC 6979 deterministic** (its nonce mixes the key, the message and its
//! own random bytes); they verify the same. So a recorded trace whose responses carry the card's
//! signatures replays byte for byte only on RustCrypto (the test kit's cards use it).
//!
//! Secrets: [`AwsLc`] keeps no key material of its own between calls; the signer keeps AWS-LC's
//! key object and a [`SecretScalar`] copy of the scalar (for the fallback), both wiped on drop
//! (AWS-LC's `OPENSSL_free` cleanses every allocation it frees, keys and big numbers included).

use super::provider::{BlockLengthError, CryptoProvider, EcdsaSigner, EncodingError, PublicKey, SecretScalar};
use super::rustcrypto::RUST_CRYPTO;
use alloc::boxed::Box;
use aws_lc_rs::agreement::{self, ECDH_P256, UnparsedPublicKey as AgreementPublicKey};
use aws_lc_rs::cipher::{
    AES_128, DecryptingKey, DecryptionContext, EncryptingKey, EncryptionContext, UnboundCipherKey,
};
use aws_lc_rs::cmac;
use aws_lc_rs::digest;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::signature::{
    self, ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
};

/// aws-lc-rs, the fast provider. A unit value: use [`AWS_LC`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AwsLc;

/// The aws-lc-rs provider as a `'static` value.
pub static AWS_LC: AwsLc = AwsLc;

/// The uncompressed SEC1 point an ECDH private key belongs to.
fn public_of(key: &agreement::PrivateKey) -> Option<PublicKey> {
    let public = key.compute_public_key().ok()?;
    let bytes: [u8; 65] = public.as_ref().try_into().ok()?;
    Some(PublicKey::from_validated(bytes))
}

struct Signer {
    key: EcdsaKeyPair,
    public: PublicKey,
    /// For the RustCrypto fallback only (an AWS-LC failure); zeroized on drop.
    secret: SecretScalar,
}

impl EcdsaSigner for Signer {
    fn sign(&self, msg: &[u8]) -> [u8; 64] {
        // aws-lc-rs ignores the `SecureRandom` argument: AWS-LC draws its nonce itself.
        let rng = aws_lc_rs::rand::SystemRandom::new();
        if let Ok(sig) = self.key.sign(&rng, msg)
            && let Ok(raw) = <[u8; 64]>::try_from(sig.as_ref())
        {
            return raw;
        }
        // r = 0 never verifies; reached only if RustCrypto refuses a scalar AWS-LC accepted.
        RUST_CRYPTO.signing_key(&self.secret).map_or([0u8; 64], |s| s.sign(msg))
    }

    fn public_key(&self) -> PublicKey {
        self.public
    }
}

/// A 16-byte IV as aws-lc-rs takes it (its `FixedLength` wipes itself on drop).
fn iv128(iv: &[u8; 16]) -> FixedLength<16> {
    FixedLength::from(*iv)
}

impl CryptoProvider for AwsLc {
    fn name(&self) -> &'static str {
        "aws-lc"
    }

    fn sha256(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut ctx = digest::Context::new(&digest::SHA256);
        for p in parts {
            ctx.update(p);
        }
        <[u8; 32]>::try_from(ctx.finish().as_ref()).unwrap_or_else(|_| RUST_CRYPTO.sha256(parts))
    }

    fn public_key(&self, sec1: &[u8]) -> Result<PublicKey, EncodingError> {
        // SEC1 uncompressed or compressed only (AWS-LC would also take the hybrid form).
        match (sec1.first(), sec1.len()) {
            (Some(0x04), 65) | (Some(0x02 | 0x03), 33) => {}
            _ => return Err(EncodingError),
        }
        let parsed = signature::ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, sec1).map_err(|_| EncodingError)?;
        if let Ok(bytes) = <[u8; 65]>::try_from(sec1) {
            return Ok(PublicKey::from_validated(bytes));
        }
        // SubjectPublicKeyInfo of a P-256 key: its last 65 bytes are the point, if AWS-LC
        // encodes it uncompressed; a compressed one is decompressed by RustCrypto.
        let spki = parsed.as_der().map_err(|_| EncodingError)?;
        let spki = spki.as_ref();
        match spki.len().checked_sub(65).and_then(|i| spki.get(i..)).and_then(|p| <[u8; 65]>::try_from(p).ok()) {
            Some(point) if point[0] == 0x04 => Ok(PublicKey::from_validated(point)),
            _ => RUST_CRYPTO.public_key(sec1),
        }
    }

    fn verify(&self, key: &PublicKey, msg: &[u8], signature: &[u8]) -> bool {
        signature::UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, key.as_bytes()).verify(msg, signature).is_ok()
    }

    fn verify_der(&self, key: &PublicKey, msg: &[u8], signature: &[u8]) -> bool {
        signature::UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, key.as_bytes()).verify(msg, signature).is_ok()
    }

    fn signing_key(&self, secret: &SecretScalar) -> Result<Box<dyn EcdsaSigner>, EncodingError> {
        let ecdh = agreement::PrivateKey::from_private_key(&ECDH_P256, secret.expose()).map_err(|_| EncodingError)?;
        let public = public_of(&ecdh).ok_or(EncodingError)?;
        let key = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            secret.expose(),
            public.as_bytes(),
        )
        .map_err(|_| EncodingError)?;
        if key.public_key().as_ref() != public.as_bytes() {
            return Err(EncodingError);
        }
        Ok(Box::new(Signer { key, public, secret: SecretScalar::new(*secret.expose()) }))
    }

    fn keypair_from_random(&self, random: &[u8; 32]) -> Option<(SecretScalar, PublicKey)> {
        // AWS-LC's EC_KEY_set_private_key refuses 0 and anything ≥ n.
        let key = agreement::PrivateKey::from_private_key(&ECDH_P256, random).ok()?;
        let public = public_of(&key)?;
        Some((SecretScalar::new(*random), public))
    }

    fn ecdh(&self, secret: &SecretScalar, peer: &PublicKey) -> Result<SecretScalar, EncodingError> {
        let key = agreement::PrivateKey::from_private_key(&ECDH_P256, secret.expose()).map_err(|_| EncodingError)?;
        let peer = AgreementPublicKey::new(&ECDH_P256, peer.as_bytes());
        // aws-lc-rs hands Z over in a buffer it wipes; our copy goes straight into a `SecretScalar`.
        agreement::agree(&key, peer, EncodingError, |z| {
            if z.len() == 32 { Ok(SecretScalar::from_slice(z)) } else { Err(EncodingError) }
        })
    }

    fn aes128_encrypt_block(&self, key: &[u8; 16], block: &mut [u8; 16]) {
        let copy = *block;
        let done = UnboundCipherKey::new(&AES_128, key)
            .and_then(EncryptingKey::ecb)
            .and_then(|k| k.less_safe_encrypt(block, EncryptionContext::None));
        if done.is_err() {
            *block = copy;
            RUST_CRYPTO.aes128_encrypt_block(key, block);
        }
    }

    fn aes128_cbc_encrypt(&self, key: &[u8; 16], iv: &[u8; 16], data: &mut [u8]) -> Result<(), BlockLengthError> {
        if !data.len().is_multiple_of(16) {
            return Err(BlockLengthError);
        }
        if data.is_empty() {
            return Ok(());
        }
        let k = UnboundCipherKey::new(&AES_128, key).and_then(EncryptingKey::cbc).map_err(|_| BlockLengthError)?;
        k.less_safe_encrypt(data, EncryptionContext::Iv128(iv128(iv))).map_err(|_| BlockLengthError)?;
        Ok(())
    }

    fn aes128_cbc_decrypt(&self, key: &[u8; 16], iv: &[u8; 16], data: &mut [u8]) -> Result<(), BlockLengthError> {
        if !data.len().is_multiple_of(16) {
            return Err(BlockLengthError);
        }
        if data.is_empty() {
            return Ok(());
        }
        let k = UnboundCipherKey::new(&AES_128, key).and_then(DecryptingKey::cbc).map_err(|_| BlockLengthError)?;
        k.decrypt(data, DecryptionContext::Iv128(iv128(iv))).map_err(|_| BlockLengthError)?;
        Ok(())
    }

    fn aes128_cmac(&self, key: &[u8; 16], parts: &[&[u8]]) -> [u8; 16] {
        let tag = cmac::Key::new(cmac::AES_128, key).and_then(|k| {
            let mut ctx = cmac::Context::with_key(&k);
            for p in parts {
                ctx.update(p)?;
            }
            ctx.sign()
        });
        tag.ok()
            .and_then(|t| <[u8; 16]>::try_from(t.as_ref()).ok())
            .unwrap_or_else(|| RUST_CRYPTO.aes128_cmac(key, parts))
    }
}
