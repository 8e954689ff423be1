//! The default [`CryptoProvider`]: RustCrypto's `p256` (with its precomputed base-point
//! tables when the `std` feature is on), `sha2`, `aes`, `cbc` and `cmac`.

use super::provider::{BlockLengthError, CryptoProvider, EcdsaSigner, EncodingError, PublicKey, SecretScalar};
use aes::Aes128;
use aes::cipher::{BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit};
use alloc::boxed::Box;
use cmac::{Cmac, Mac};
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::elliptic_curve::sec1::ToSec1Point;
use sha2::{Digest, Sha256};

/// RustCrypto, the default provider. A unit value: use [`RUST_CRYPTO`].
#[derive(Debug, Clone, Copy, Default)]
pub struct RustCrypto;

/// The default provider as a `'static` value.
pub static RUST_CRYPTO: RustCrypto = RustCrypto;

fn verifying_key(key: &PublicKey) -> Option<VerifyingKey> {
    VerifyingKey::from_sec1_bytes(key.as_bytes()).ok()
}

fn uncompressed(pk: &p256::PublicKey) -> Result<PublicKey, EncodingError> {
    let point = pk.to_sec1_point(false);
    let bytes: [u8; 65] = point.as_bytes().try_into().map_err(|_| EncodingError)?;
    Ok(PublicKey::from_validated(bytes))
}

struct Signer {
    key: SigningKey,
    public: PublicKey,
}

impl EcdsaSigner for Signer {
    fn sign(&self, msg: &[u8]) -> [u8; 64] {
        let sig: Signature = self.key.sign(msg);
        sig.to_bytes().into()
    }

    fn public_key(&self) -> PublicKey {
        self.public
    }
}

// `SigningKey` zeroizes its scalar on drop: checked at compile time.
const _: () = {
    const fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    wiped_on_drop::<SigningKey>();
    wiped_on_drop::<p256::SecretKey>();
};

impl CryptoProvider for RustCrypto {
    fn name(&self) -> &'static str {
        "rustcrypto"
    }

    fn sha256(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p);
        }
        h.finalize().into()
    }

    fn public_key(&self, sec1: &[u8]) -> Result<PublicKey, EncodingError> {
        let pk = p256::PublicKey::from_sec1_bytes(sec1).map_err(|_| EncodingError)?;
        uncompressed(&pk)
    }

    fn verify(&self, key: &PublicKey, msg: &[u8], signature: &[u8]) -> bool {
        let Some(vk) = verifying_key(key) else { return false };
        Signature::from_slice(signature).is_ok_and(|sig| vk.verify(msg, &sig).is_ok())
    }

    fn verify_der(&self, key: &PublicKey, msg: &[u8], signature: &[u8]) -> bool {
        let Some(vk) = verifying_key(key) else { return false };
        Signature::from_der(signature).is_ok_and(|sig| vk.verify(msg, &sig).is_ok())
    }

    fn signing_key(&self, secret: &SecretScalar) -> Result<Box<dyn EcdsaSigner>, EncodingError> {
        let key = SigningKey::from_slice(secret.expose()).map_err(|_| EncodingError)?;
        let public = uncompressed(&p256::PublicKey::from(key.verifying_key()))?;
        Ok(Box::new(Signer { key, public }))
    }

    fn keypair_from_random(&self, random: &[u8; 32]) -> Option<(SecretScalar, PublicKey)> {
        let sk = p256::SecretKey::from_slice(random).ok()?;
        let public = uncompressed(&sk.public_key()).ok()?;
        let bytes = zeroize::Zeroizing::new(sk.to_bytes());
        Some((SecretScalar::from_slice(bytes.as_slice()), public))
    }

    fn ecdh(&self, secret: &SecretScalar, peer: &PublicKey) -> Result<SecretScalar, EncodingError> {
        let sk = p256::SecretKey::from_slice(secret.expose()).map_err(|_| EncodingError)?;
        let pk = p256::PublicKey::from_sec1_bytes(peer.as_bytes()).map_err(|_| EncodingError)?;
        let shared = p256::ecdh::diffie_hellman(sk.to_nonzero_scalar(), pk.as_affine());
        // `SharedSecret` wipes itself on drop; the copy goes straight into a `SecretScalar`.
        Ok(SecretScalar::from_slice(shared.raw_secret_bytes().as_slice()))
    }

    fn aes128_encrypt_block(&self, key: &[u8; 16], block: &mut [u8; 16]) {
        let cipher = Aes128::new(&(*key).into());
        let mut b = (*block).into();
        cipher.encrypt_block(&mut b);
        *block = b.into();
    }

    fn aes128_cbc_encrypt(&self, key: &[u8; 16], iv: &[u8; 16], data: &mut [u8]) -> Result<(), BlockLengthError> {
        if !data.len().is_multiple_of(16) {
            return Err(BlockLengthError);
        }
        let enc = cbc::Encryptor::<Aes128>::new(&(*key).into(), &(*iv).into());
        let len = data.len();
        enc.encrypt_padded::<aes::cipher::block_padding::NoPadding>(data, len).map_err(|_| BlockLengthError)?;
        Ok(())
    }

    fn aes128_cbc_decrypt(&self, key: &[u8; 16], iv: &[u8; 16], data: &mut [u8]) -> Result<(), BlockLengthError> {
        if !data.len().is_multiple_of(16) {
            return Err(BlockLengthError);
        }
        let dec = cbc::Decryptor::<Aes128>::new(&(*key).into(), &(*iv).into());
        dec.decrypt_padded::<aes::cipher::block_padding::NoPadding>(data).map_err(|_| BlockLengthError)?;
        Ok(())
    }

    fn aes128_cmac(&self, key: &[u8; 16], parts: &[&[u8]]) -> [u8; 16] {
        let mut mac = <Cmac<Aes128> as KeyInit>::new(&(*key).into());
        for p in parts {
            mac.update(p);
        }
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// FIPS 197 Appendix C.1 (AES-128).
    #[test]
    fn aes_block_fips197() {
        let key: [u8; 16] = hex("000102030405060708090a0b0c0d0e0f").try_into().unwrap();
        let mut block: [u8; 16] = hex("00112233445566778899aabbccddeeff").try_into().unwrap();
        RUST_CRYPTO.aes128_encrypt_block(&key, &mut block);
        assert_eq!(block.to_vec(), hex("69c4e0d86a7b0430d8cdb78070b4c55a"));
    }

    /// NIST SP 800-38B Appendix D.1, example 2 (AES-128, 16-byte message), split in two parts.
    #[test]
    fn cmac_sp800_38b() {
        let key: [u8; 16] = hex("2b7e151628aed2a6abf7158809cf4f3c").try_into().unwrap();
        let msg = hex("6bc1bee22e409f96e93d7e117393172a");
        let (a, b) = msg.split_at(5);
        assert_eq!(RUST_CRYPTO.aes128_cmac(&key, &[a, b]).to_vec(), hex("070a16b46b4d4144f79bdd9dd04a287c"));
    }

    /// NIST SP 800-38A F.2.1 / F.2.2 (CBC-AES128), first two blocks.
    #[test]
    fn cbc_sp800_38a() {
        let key: [u8; 16] = hex("2b7e151628aed2a6abf7158809cf4f3c").try_into().unwrap();
        let iv: [u8; 16] = hex("000102030405060708090a0b0c0d0e0f").try_into().unwrap();
        let plain = hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
        let mut data = plain.clone();
        RUST_CRYPTO.aes128_cbc_encrypt(&key, &iv, &mut data).unwrap();
        assert_eq!(data, hex("7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"));
        RUST_CRYPTO.aes128_cbc_decrypt(&key, &iv, &mut data).unwrap();
        assert_eq!(data, plain);
        assert_eq!(RUST_CRYPTO.aes128_cbc_encrypt(&key, &iv, &mut [0u8; 15]), Err(BlockLengthError));
    }

    /// FIPS 180-2 "abc".
    #[test]
    fn sha256_abc() {
        assert_eq!(
            RUST_CRYPTO.sha256(&[b"a", b"bc"]).to_vec(),
            hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
    }

    /// RFC 6979 A.2.5 (P-256, SHA-256, "sample"): the signer is deterministic and verifies.
    #[test]
    fn ecdsa_rfc6979() {
        let x: [u8; 32] = hex("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721").try_into().unwrap();
        let signer = RUST_CRYPTO.signing_key(&SecretScalar::new(x)).unwrap();
        let sig = signer.sign(b"sample");
        assert_eq!(
            sig.to_vec(),
            hex(concat!(
                "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716",
                "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"
            ))
        );
        let pk = signer.public_key();
        assert_eq!(
            pk.as_bytes()[1..33].to_vec(),
            hex("60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6")
        );
        assert!(RUST_CRYPTO.verify(&pk, b"sample", &sig));
        assert!(!RUST_CRYPTO.verify(&pk, b"samplf", &sig));
        assert!(!RUST_CRYPTO.verify(&pk, b"sample", &[0u8; 64]));
    }

    #[test]
    fn ecdh_agrees_and_keys_are_checked() {
        let (a, pa) = RUST_CRYPTO.keypair_from_random(&[3u8; 32]).unwrap();
        let (b, pb) = RUST_CRYPTO.keypair_from_random(&[5u8; 32]).unwrap();
        let z1 = RUST_CRYPTO.ecdh(&a, &pb).unwrap();
        let z2 = RUST_CRYPTO.ecdh(&b, &pa).unwrap();
        assert_eq!(z1.expose(), z2.expose());
        assert!(RUST_CRYPTO.keypair_from_random(&[0u8; 32]).is_none());
        assert!(RUST_CRYPTO.keypair_from_random(&[0xFFu8; 32]).is_none());
        assert!(RUST_CRYPTO.public_key(&[0x04; 65]).is_err());
        let compressed = {
            let mut c = pa.as_bytes()[..33].to_vec();
            c[0] = 0x02 | (pa.as_bytes()[64] & 1);
            c
        };
        assert_eq!(RUST_CRYPTO.public_key(&compressed).unwrap(), pa);
        assert_eq!(alloc::format!("{a:?}"), "<secret>");
    }
}
