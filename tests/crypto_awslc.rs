//! The aws-lc-rs provider (feature `aws-lc`): the known-answer tests of the RustCrypto provider,
//! run on both; a differential property test that puts every primitive through both with random
//! input (hashes, KDF, AES, CMAC, ECDH, key validation byte-equal; signatures verified both
//! ways, since AWS-LC's nonces are not RFC 6979's); and a whole download on a card running on it.
//!
//! Run: `cargo test --features aws-lc --test crypto_awslc` (and `--test scp03t_vectors`, whose
//! BSP vectors run on every provider the build has).
#![cfg(feature = "aws-lc")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

mod support;
use support::{hex, veuicc};

use proptest::prelude::*;
use veuicc::card::Card;
use veuicc::crypto::ecdsa::raw_to_der;
use veuicc::crypto::provider::BlockLengthError;
use veuicc::crypto::{AWS_LC, CryptoProvider, PublicKey, RUST_CRYPTO, SecretScalar};
use veuicc::platform::{Parts, WithCrypto};
use veuicc::store::MemStorage;
use veuicc::testkit::lpa::download;
use veuicc::testkit::pki::{default_identity, default_pki};
use veuicc::testkit::smdp::{ProfileToInstall, TestSmdp};
use veuicc::testkit::{DetRng, Es10Client, ManualClock, default_config};

const BOTH: [&dyn CryptoProvider; 2] = [&RUST_CRYPTO, &AWS_LC];

fn arr<const N: usize>(s: &str) -> [u8; N] {
    hex(s).try_into().unwrap()
}

/// The P-256 group order n.
const N: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
/// The base point G, uncompressed.
const G: &str = concat!(
    "04",
    "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296",
    "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
);

// ---- known answers, on both providers ----

/// FIPS 197 Appendix C.1 (AES-128).
#[test]
fn aes_block_fips197() {
    for c in BOTH {
        let mut block = arr("00112233445566778899aabbccddeeff");
        c.aes128_encrypt_block(&arr("000102030405060708090a0b0c0d0e0f"), &mut block);
        assert_eq!(block.to_vec(), hex("69c4e0d86a7b0430d8cdb78070b4c55a"), "{}", c.name());
    }
}

const SP800_KEY: &str = "2b7e151628aed2a6abf7158809cf4f3c";
const SP800_PLAIN: &str = concat!(
    "6bc1bee22e409f96e93d7e117393172a",
    "ae2d8a571e03ac9c9eb76fac45af8e51",
    "30c81c46a35ce411e5fbc1191a0a52ef",
    "f69f2445df4f9b17ad2b417be66c3710"
);

/// NIST SP 800-38B Appendix D.1 (AES-128-CMAC), examples 1–4 (0, 16, 40, 64 bytes), each
/// message also split in two parts.
#[test]
fn cmac_sp800_38b() {
    let key = arr(SP800_KEY);
    let msg = hex(SP800_PLAIN);
    let cases = [
        (0, "bb1d6929e95937287fa37d129b756746"),
        (16, "070a16b46b4d4144f79bdd9dd04a287c"),
        (40, "dfa66747de9ae63030ca32611497c827"),
        (64, "51f0bebf7e3b9d92fc49741779363cfe"),
    ];
    for c in BOTH {
        for (len, tag) in cases {
            let m = &msg[..len];
            assert_eq!(c.aes128_cmac(&key, &[m]).to_vec(), hex(tag), "{} {len}", c.name());
            let (a, b) = m.split_at(len / 3);
            assert_eq!(c.aes128_cmac(&key, &[a, b]).to_vec(), hex(tag), "{} {len} split", c.name());
        }
    }
}

/// NIST SP 800-38A F.2.1 / F.2.2 (CBC-AES128), all four blocks; lengths not a block multiple refused.
#[test]
fn cbc_sp800_38a() {
    let key = arr(SP800_KEY);
    let iv = arr("000102030405060708090a0b0c0d0e0f");
    let cipher = hex(concat!(
        "7649abac8119b246cee98e9b12e9197d",
        "5086cb9b507219ee95db113a917678b2",
        "73bed6b8e3c1743b7116e69e22229516",
        "3ff1caa1681fac09120eca307586e1a7"
    ));
    for c in BOTH {
        let mut data = hex(SP800_PLAIN);
        c.aes128_cbc_encrypt(&key, &iv, &mut data).unwrap();
        assert_eq!(data, cipher, "{}", c.name());
        c.aes128_cbc_decrypt(&key, &iv, &mut data).unwrap();
        assert_eq!(data, hex(SP800_PLAIN), "{}", c.name());
        assert_eq!(c.aes128_cbc_encrypt(&key, &iv, &mut [0u8; 15]), Err(BlockLengthError));
        assert_eq!(c.aes128_cbc_decrypt(&key, &iv, &mut [0u8; 17]), Err(BlockLengthError));
        let mut empty = [];
        c.aes128_cbc_encrypt(&key, &iv, &mut empty).unwrap();
        c.aes128_cbc_decrypt(&key, &iv, &mut empty).unwrap();
    }
}

/// FIPS 180-2: "abc" (in two parts), the empty message, the two-block message.
#[test]
fn sha256_fips180() {
    for c in BOTH {
        assert_eq!(
            c.sha256(&[b"a", b"bc"]).to_vec(),
            hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(c.sha256(&[]).to_vec(), hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        assert_eq!(
            c.sha256(&[b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"]).to_vec(),
            hex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        );
    }
}

/// RFC 6979 A.2.5 (P-256, SHA-256): the key's public point; the RFC's signatures of "sample"
/// and "test" verify (raw and DER) on both; each provider's own signature verifies on both;
/// RustCrypto's is the RFC's byte for byte (AWS-LC's nonce is its own).
#[test]
fn ecdsa_rfc6979() {
    let x = SecretScalar::new(arr("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"));
    let ux = "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6";
    let uy = "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";
    let sample = hex(concat!(
        "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716",
        "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"
    ));
    let test = hex(concat!(
        "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367",
        "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083"
    ));
    for c in BOTH {
        let signer = c.signing_key(&x).unwrap();
        let pk = signer.public_key();
        assert_eq!(pk.as_bytes().to_vec(), hex(&format!("04{ux}{uy}")), "{}", c.name());
        for (msg, sig) in [(&b"sample"[..], &sample), (b"test", &test)] {
            for v in BOTH {
                assert!(v.verify(&pk, msg, sig), "{} verifies the RFC's", v.name());
                assert!(v.verify_der(&pk, msg, &raw_to_der(sig).unwrap()), "{} DER", v.name());
                assert!(!v.verify(&pk, b"samplf", sig));
                assert!(!v.verify_der(&pk, msg, sig), "raw is not DER");
            }
        }
        let own = signer.sign(b"sample");
        for v in BOTH {
            assert!(v.verify(&pk, b"sample", &own), "{} verifies {}'s", v.name(), c.name());
            assert!(!v.verify(&pk, b"sample", &[0u8; 64]));
            assert!(!v.verify(&pk, b"sample", &own[..63]));
        }
    }
    assert_eq!(RUST_CRYPTO.signing_key(&x).unwrap().sign(b"sample").to_vec(), sample);
}

/// RFC 5903 §8.1 (ECDH, 256-bit random ECP group): both sides' public values and the shared x.
#[test]
fn ecdh_rfc5903() {
    let i = arr("c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433");
    let gi = hex(concat!(
        "04dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180",
        "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3"
    ));
    let r = arr("c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53");
    let gr = hex(concat!(
        "04d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63",
        "56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab"
    ));
    let z = hex("d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de");
    for c in BOTH {
        let (si, pi) = c.keypair_from_random(&i).unwrap();
        let (sr, pr) = c.keypair_from_random(&r).unwrap();
        assert_eq!(pi.as_bytes().to_vec(), gi, "{}", c.name());
        assert_eq!(pr.as_bytes().to_vec(), gr, "{}", c.name());
        assert_eq!(c.ecdh(&si, &pr).unwrap().expose().to_vec(), z, "{}", c.name());
        assert_eq!(c.ecdh(&sr, &pi).unwrap().expose().to_vec(), z, "{}", c.name());
    }
}

/// Scalars: 0 and ≥ n refused (key generation, signing key, ECDH); 1 gives G, n − 1 gives −G.
/// Points: compressed accepted (and decompressed), off-curve, hybrid, infinity, truncated refused.
#[test]
fn keys_are_checked() {
    let n: [u8; 32] = arr(N);
    let mut n_minus_1 = n;
    n_minus_1[31] -= 1;
    let mut n_plus_1 = n;
    n_plus_1[31] += 1;
    let mut one = [0u8; 32];
    one[31] = 1;
    let g = hex(G);
    for c in BOTH {
        for bad in [[0u8; 32], n, n_plus_1, [0xFF; 32]] {
            assert!(c.keypair_from_random(&bad).is_none(), "{}", c.name());
            assert!(c.signing_key(&SecretScalar::new(bad)).is_err(), "{}", c.name());
            let (_, peer) = c.keypair_from_random(&one).unwrap();
            assert!(c.ecdh(&SecretScalar::new(bad), &peer).is_err(), "{}", c.name());
        }
        let (_, pg) = c.keypair_from_random(&one).unwrap();
        assert_eq!(pg.as_bytes().to_vec(), g, "{}", c.name());
        let (_, neg) = c.keypair_from_random(&n_minus_1).unwrap();
        assert_eq!(neg.as_bytes()[1..33], g[1..33]);
        assert_ne!(neg.as_bytes()[33..], g[33..]);

        assert_eq!(c.public_key(&g).unwrap(), pg);
        let mut compressed = g[..33].to_vec();
        compressed[0] = 0x02 | (g[64] & 1);
        assert_eq!(c.public_key(&compressed).unwrap(), pg, "{} decompresses", c.name());
        compressed[0] ^= 1;
        assert_eq!(c.public_key(&compressed).unwrap(), neg, "{} the other y", c.name());
        let mut off = g.clone();
        off[64] ^= 1;
        let mut hybrid = g.clone();
        hybrid[0] = 0x06 | (g[64] & 1);
        for bad in [&off[..], &hybrid, &[0x00], &g[..64], &[0x04; 65], &[]] {
            assert!(c.public_key(bad).is_err(), "{} {bad:02x?}", c.name());
        }
        assert_eq!(format!("{:?}", SecretScalar::new(one)), "<secret>");
    }
    assert_eq!(format!("{AWS_LC:?}"), "AwsLc");
}

// ---- differential: every primitive through both, random input ----

fn scalar_near_n() -> impl Strategy<Value = [u8; 32]> {
    (0u8..4, any::<bool>()).prop_map(|(k, above)| {
        let mut s: [u8; 32] = arr(N);
        if above {
            s[31] += k
        } else {
            s[31] -= k
        }
        s
    })
}

fn scalar() -> impl Strategy<Value = [u8; 32]> {
    prop_oneof![8 => any::<[u8; 32]>(), 1 => scalar_near_n(), 1 => Just([0u8; 32])]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn hashes_kdf_aes_cmac_agree(
        parts in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 0..4),
        key in any::<[u8; 16]>(),
        iv in any::<[u8; 16]>(),
        block in any::<[u8; 16]>(),
        blocks in prop::collection::vec(any::<[u8; 16]>(), 0..40),
        z in prop::collection::vec(any::<u8>(), 0..40),
        info in prop::collection::vec(any::<u8>(), 0..40),
        out_len in 0usize..100,
    ) {
        let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        prop_assert_eq!(AWS_LC.sha256(&refs), RUST_CRYPTO.sha256(&refs));
        prop_assert_eq!(AWS_LC.aes128_cmac(&key, &refs), RUST_CRYPTO.aes128_cmac(&key, &refs));

        let (mut a, mut b) = (block, block);
        AWS_LC.aes128_encrypt_block(&key, &mut a);
        RUST_CRYPTO.aes128_encrypt_block(&key, &mut b);
        prop_assert_eq!(a, b);

        let data: Vec<u8> = blocks.concat();
        let (mut a, mut b) = (data.clone(), data.clone());
        AWS_LC.aes128_cbc_encrypt(&key, &iv, &mut a).unwrap();
        RUST_CRYPTO.aes128_cbc_encrypt(&key, &iv, &mut b).unwrap();
        prop_assert_eq!(&a, &b);
        // Decryption of random data (not only of what was encrypted) agrees too.
        let (mut a, mut b) = (data.clone(), data.clone());
        AWS_LC.aes128_cbc_decrypt(&key, &iv, &mut a).unwrap();
        RUST_CRYPTO.aes128_cbc_decrypt(&key, &iv, &mut b).unwrap();
        prop_assert_eq!(&a, &b);
        let mut back = a.clone();
        AWS_LC.aes128_cbc_encrypt(&key, &iv, &mut back).unwrap();
        prop_assert_eq!(back, data);

        let (mut a, mut b) = (vec![0u8; out_len], vec![0u8; out_len]);
        AWS_LC.kdf_x963_sha256(&z, &info, &mut a);
        RUST_CRYPTO.kdf_x963_sha256(&z, &info, &mut b);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn keys_signatures_and_ecdh_agree(
        ra in scalar(),
        rb in scalar(),
        msg in prop::collection::vec(any::<u8>(), 0..300),
        flip in any::<prop::sample::Index>(),
    ) {
        let a = (AWS_LC.keypair_from_random(&ra), RUST_CRYPTO.keypair_from_random(&ra));
        let b = (AWS_LC.keypair_from_random(&rb), RUST_CRYPTO.keypair_from_random(&rb));
        prop_assert_eq!(a.0.as_ref().map(|k| k.1), a.1.as_ref().map(|k| k.1));
        prop_assert_eq!(b.0.as_ref().map(|k| k.1), b.1.as_ref().map(|k| k.1));
        let (Some((sa, pa)), Some((sb, pb))) = (a.0, b.1) else { return Ok(()) };
        // Two equal keys (the near-n scalars make it about one case in 2,000) would make
        // "a signature does not verify under the other key" false by construction.
        prop_assume!(ra != rb);
        prop_assert_eq!(sa.expose(), &ra);

        // ECDH: Z byte-equal, whichever provider and side.
        let z = AWS_LC.ecdh(&sa, &pb).unwrap();
        let (z2, z3) = (RUST_CRYPTO.ecdh(&sa, &pb).unwrap(), AWS_LC.ecdh(&sb, &pa).unwrap());
        prop_assert_eq!(z.expose(), z2.expose());
        prop_assert_eq!(z.expose(), z3.expose());

        // Point validation: the same key, uncompressed and compressed, on both.
        let mut compressed = pa.as_bytes()[..33].to_vec();
        compressed[0] = 0x02 | (pa.as_bytes()[64] & 1);
        for enc in [&pa.as_bytes()[..], &compressed] {
            prop_assert_eq!(AWS_LC.public_key(enc).unwrap(), pa);
            prop_assert_eq!(RUST_CRYPTO.public_key(enc).unwrap(), pa);
        }

        // Signatures: each provider's verifies on both, raw and DER; a changed message or a
        // changed signature byte fails on both.
        let signers = [AWS_LC.signing_key(&sa).unwrap(), RUST_CRYPTO.signing_key(&sa).unwrap()];
        prop_assert_eq!(signers[0].public_key(), pa);
        prop_assert_eq!(signers[1].public_key(), pa);
        let mut other = msg.clone();
        other.push(0);
        for s in &signers {
            let sig = s.sign(&msg);
            let der = raw_to_der(&sig).unwrap();
            let mut bad = sig;
            bad[flip.index(64)] ^= 0x01;
            let mut bad_der = der.clone();
            let i = flip.index(der.len());
            bad_der[i] ^= 0x01;
            for v in BOTH {
                prop_assert!(v.verify(&pa, &msg, &sig), "{}", v.name());
                prop_assert!(v.verify_der(&pa, &msg, &der), "{}", v.name());
                prop_assert!(!v.verify(&pa, &other, &sig), "{}", v.name());
                prop_assert!(!v.verify(&pb, &msg, &sig), "{}", v.name());
                prop_assert!(!v.verify(&pa, &msg, &bad), "{}", v.name());
                prop_assert!(!v.verify_der(&pa, &msg, &bad_der), "{} {i}", v.name());
            }
        }
    }

    #[test]
    fn hostile_encodings_agree(
        raw in prop::collection::vec(any::<u8>(), 0..80),
        prefix in prop::sample::select(vec![0x00u8, 0x02, 0x03, 0x04, 0x06, 0x07]),
        x in any::<[u8; 32]>(),
        sig in prop::collection::vec(any::<u8>(), 0..80),
        msg in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        // Random bytes, and a random x with every prefix (about half of all x are on the curve).
        let mut point = vec![prefix];
        point.extend_from_slice(&x);
        for enc in [&raw[..], &point] {
            let (a, b) = (AWS_LC.public_key(enc), RUST_CRYPTO.public_key(enc));
            prop_assert_eq!(a, b, "{:02x?}", enc);
        }
        // Random signatures against a real key: both refuse, raw and DER.
        let pk: PublicKey = RUST_CRYPTO.public_key(&hex(G)).unwrap();
        for v in BOTH {
            prop_assert!(!v.verify(&pk, &msg, &sig));
            prop_assert!(!v.verify_der(&pk, &msg, &sig));
        }
    }
}

// ---- a card on aws-lc ----

/// A whole download on a card whose platform hands out aws-lc: the test SM-DP+ (RustCrypto)
/// verifies the card's signatures and the card verifies the SM-DP+'s; the profile installs.
#[test]
fn a_card_on_aws_lc_installs_a_profile() {
    let platform = WithCrypto {
        inner: Parts { storage: MemStorage::new(), rng: DetRng::new(1), clock: ManualClock::default() },
        crypto: &AWS_LC,
    };
    let mut card = Card::with_identity(default_config(), default_identity(), platform).unwrap();
    assert_eq!(veuicc::platform::Platform::crypto(card.platform_mut()).name(), "aws-lc");
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let profile = ProfileToInstall::sample([0x98, 0, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14], 12 * 1024);
    download(&mut lpa, &mut TestSmdp::new(default_pki(), "smdp.example.com", 2), &profile).unwrap();
    lpa.close().unwrap();
    assert_eq!(card.state().profiles.len(), 1);
}

#[test]
fn providers_by_name() {
    assert_eq!(veuicc::crypto::provider_named("aws-lc").unwrap().name(), "aws-lc");
    assert_eq!(veuicc::crypto::provider_named("rustcrypto").unwrap().name(), "rustcrypto");
    assert!(veuicc::crypto::provider_named("openssl").is_none());
    assert_eq!(veuicc::crypto::fastest().name(), "aws-lc");
}

/// `--crypto` on the card commands: either provider runs the demo's whole download; the
/// default with this feature is aws-lc; an unknown name is an argument error.
#[test]
fn cli_crypto_flag() {
    for (args, name) in [
        (&["demo"][..], "aws-lc"),
        (&["demo", "--crypto", "rustcrypto"], "rustcrypto"),
        (&["demo", "--crypto", "aws-lc"], "aws-lc"),
    ] {
        let (code, out, err) = veuicc(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(out.contains(&format!("crypto {name}")), "{args:?}: {out}");
        assert!(out.contains("ES10b.LoadBoundProfilePackage"), "{out}");
    }
    let (code, _, err) = veuicc(&["demo", "--crypto", "openssl"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a crypto provider") && err.contains("aws-lc, rustcrypto"), "{err}");
}
