//! The card's crypto goes through its platform's provider: a platform that hands out a
//! provider of its own (here one that counts calls and delegates to RustCrypto) sees every
//! primitive of a whole download, signing included, and the download still installs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

use std::sync::atomic::{AtomicUsize, Ordering};
use veuicc::card::Card;
use veuicc::crypto::provider::{BlockLengthError, EncodingError};
use veuicc::crypto::{CryptoProvider, EcdsaSigner, PublicKey, RUST_CRYPTO, SecretScalar};
use veuicc::platform::{Parts, Platform};
use veuicc::store::MemStorage;
use veuicc::testkit::lpa::download;
use veuicc::testkit::pki::{default_identity, default_pki};
use veuicc::testkit::smdp::{ProfileToInstall, TestSmdp};
use veuicc::testkit::{DetRng, Es10Client, ManualClock, default_config};

/// Calls per primitive: sha256, public_key, verify, verify_der, signing_key, keypair, ecdh,
/// aes block, cbc encrypt, cbc decrypt, cmac, signatures made.
static CALLS: [AtomicUsize; 12] = [const { AtomicUsize::new(0) }; 12];

fn count(i: usize) {
    CALLS[i].fetch_add(1, Ordering::Relaxed);
}

#[derive(Debug)]
struct Counting;

static COUNTING: Counting = Counting;

struct CountingSigner(Box<dyn EcdsaSigner>);

impl EcdsaSigner for CountingSigner {
    fn sign(&self, msg: &[u8]) -> [u8; 64] {
        count(11);
        self.0.sign(msg)
    }
    fn public_key(&self) -> PublicKey {
        self.0.public_key()
    }
}

impl CryptoProvider for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }
    fn sha256(&self, parts: &[&[u8]]) -> [u8; 32] {
        count(0);
        RUST_CRYPTO.sha256(parts)
    }
    fn public_key(&self, sec1: &[u8]) -> Result<PublicKey, EncodingError> {
        count(1);
        RUST_CRYPTO.public_key(sec1)
    }
    fn verify(&self, key: &PublicKey, msg: &[u8], signature: &[u8]) -> bool {
        count(2);
        RUST_CRYPTO.verify(key, msg, signature)
    }
    fn verify_der(&self, key: &PublicKey, msg: &[u8], signature: &[u8]) -> bool {
        count(3);
        RUST_CRYPTO.verify_der(key, msg, signature)
    }
    fn signing_key(&self, secret: &SecretScalar) -> Result<Box<dyn EcdsaSigner>, EncodingError> {
        count(4);
        Ok(Box::new(CountingSigner(RUST_CRYPTO.signing_key(secret)?)))
    }
    fn keypair_from_random(&self, random: &[u8; 32]) -> Option<(SecretScalar, PublicKey)> {
        count(5);
        RUST_CRYPTO.keypair_from_random(random)
    }
    fn ecdh(&self, secret: &SecretScalar, peer: &PublicKey) -> Result<SecretScalar, EncodingError> {
        count(6);
        RUST_CRYPTO.ecdh(secret, peer)
    }
    fn aes128_encrypt_block(&self, key: &[u8; 16], block: &mut [u8; 16]) {
        count(7);
        RUST_CRYPTO.aes128_encrypt_block(key, block);
    }
    fn aes128_cbc_encrypt(&self, key: &[u8; 16], iv: &[u8; 16], data: &mut [u8]) -> Result<(), BlockLengthError> {
        count(8);
        RUST_CRYPTO.aes128_cbc_encrypt(key, iv, data)
    }
    fn aes128_cbc_decrypt(&self, key: &[u8; 16], iv: &[u8; 16], data: &mut [u8]) -> Result<(), BlockLengthError> {
        count(9);
        RUST_CRYPTO.aes128_cbc_decrypt(key, iv, data)
    }
    fn aes128_cmac(&self, key: &[u8; 16], parts: &[&[u8]]) -> [u8; 16] {
        count(10);
        RUST_CRYPTO.aes128_cmac(key, parts)
    }
}

/// The test platform, with the counting provider.
struct CountingPlatform(Parts<MemStorage, DetRng, ManualClock>);

impl Platform for CountingPlatform {
    type Storage = MemStorage;
    type Rng = DetRng;
    type Clock = ManualClock;
    fn split(&mut self) -> (&mut MemStorage, &mut DetRng, &ManualClock) {
        self.0.split()
    }
    fn crypto(&self) -> &'static dyn CryptoProvider {
        &COUNTING
    }
}

#[test]
fn a_download_uses_only_the_platform_provider() {
    let platform =
        CountingPlatform(Parts { storage: MemStorage::new(), rng: DetRng::new(1), clock: ManualClock::default() });
    let mut card = Card::with_identity(default_config(), default_identity(), platform).unwrap();
    let prepared = CALLS[4].load(Ordering::Relaxed);
    assert_eq!(prepared, 1, "SK.EUICC is prepared by the platform's provider");
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let profile = ProfileToInstall::sample([0x98, 0, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14], 4000);
    download(&mut lpa, &mut TestSmdp::new(default_pki(), "smdp.example.com", 2), &profile).unwrap();
    lpa.close().unwrap();
    assert_eq!(card.state().profiles.len(), 1);
    let n = |i: usize| CALLS[i].load(Ordering::Relaxed);
    // Certificates: DPauth and DPpb against the CI (DER signatures).
    assert!(n(3) >= 2, "verify_der {}", n(3));
    // serverSignature1, smdpSignature2, smdpSign.
    assert!(n(2) >= 3, "verify {}", n(2));
    // euiccSignature1, euiccSignature2, the PIR.
    assert_eq!(n(11), 3, "signatures");
    assert_eq!(n(5), 1, "one-time key pair");
    assert_eq!(n(6), 1, "ECDH");
    assert!(n(0) >= 2, "KDF hashes {}", n(0));
    // ConfigureISDP, StoreMetadata and the profile-element segments: ICVs, decryptions, MACs.
    assert!(n(7) >= 2 && n(9) >= 2 && n(10) >= 4, "aes {} cbc {} cmac {}", n(7), n(9), n(10));
}
