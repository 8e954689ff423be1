//! Hostile DER never panics the certificate checks: random bytes, and valid certificates with
//! random byte flips, truncations, insertions and length-field changes, through every entry
//! point (`TrustedCi::from_der`, `verify_dp_cert`, `verify_eum`, `verify_euicc`, `Identity::new`).
//! A mutated certificate may still verify only if its bytes are unchanged.
//!
//! Byte mutations stop at the signature check, so a second family re-signs certificates whose
//! extensions or subject hold random or mutated DER: the extension and name parsers behind the
//! signature check see hostile input too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

use proptest::prelude::*;
use std::sync::OnceLock;
use veuicc::crypto::cert::oid;
use veuicc::crypto::cert::{self, Role, TrustedCi, VerifiedEum};
use veuicc::identity::{EuiccSecretKey, Identity};
use veuicc::testkit::pki::{Ext, TestPki, tlv};

struct Fixture {
    pki: TestPki,
    cis: Vec<TrustedCi>,
    eum: VerifiedEum,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let pki = TestPki::generate(99, 1);
        let cis = vec![TrustedCi::from_der(&veuicc::crypto::RUST_CRYPTO, &pki.ci.der).unwrap()];
        let eum = cert::verify_eum(&veuicc::crypto::RUST_CRYPTO, &pki.eum.der, &cis, None).unwrap();
        Fixture { pki, cis, eum }
    })
}

/// Runs every parser on `der`; returns whether the DPauth check accepted it.
fn exercise(der: &[u8]) -> bool {
    let f = fixture();
    let _ = TrustedCi::from_der(&veuicc::crypto::RUST_CRYPTO, der);
    let _ = cert::verify_eum(&veuicc::crypto::RUST_CRYPTO, der, &f.cis, None);
    let _ = cert::verify_euicc(&veuicc::crypto::RUST_CRYPTO, der, &f.eum, None);
    let _ = cert::subject_key_identifier(der);
    let _ = cert::certificate_key(&veuicc::crypto::RUST_CRYPTO, der);
    let key = EuiccSecretKey::from_signing_key(f.pki.cards[0].key.clone());
    let _ = Identity::new(key, der.to_vec(), f.pki.eum.der.clone(), &[&f.pki.ci.der]);
    let _ = EuiccSecretKey::from_der(der);
    cert::verify_dp_cert(
        &veuicc::crypto::RUST_CRYPTO,
        der,
        &[Role::DpAuth, Role::DpPb, Role::DpTls],
        &f.cis,
        None,
        None,
    )
    .is_ok()
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, u8),
    Remove(usize),
    /// Set a byte to a value typical of DER length/tag fields.
    Length(usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, x)| Mutation::Flip(i, x)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Remove),
        (any::<usize>(), prop::sample::select(vec![0x00u8, 0x7F, 0x80, 0x81, 0x82, 0x83, 0x84, 0x89, 0xFF]))
            .prop_map(|(i, b)| Mutation::Length(i, b)),
    ]
}

fn apply(der: &mut Vec<u8>, m: &Mutation) {
    if der.is_empty() {
        return;
    }
    let n = der.len();
    match *m {
        Mutation::Flip(i, x) => der[i % n] ^= x,
        Mutation::Truncate(i) => der.truncate(i % n),
        Mutation::Insert(i, b) => der.insert(i % (n + 1), b),
        Mutation::Remove(i) => {
            der.remove(i % n);
        }
        Mutation::Length(i, b) => der[i % n] = b,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        prop_assert!(!exercise(&bytes));
    }

    #[test]
    fn random_der_shaped_bytes_never_panic(
        body in prop::collection::vec(any::<u8>(), 0..600),
        long in any::<bool>(),
    ) {
        // Starts like a certificate (SEQUENCE with a plausible length) so parsing goes deeper.
        let mut der = if long { vec![0x30, 0x82, 0x01, 0x00, 0x30, 0x81, 0xF0] } else { vec![0x30, 0x7F, 0x30, 0x70] };
        der.extend(body);
        prop_assert!(!exercise(&der));
    }

    #[test]
    fn mutated_certificates_never_panic(which in 0usize..5, muts in prop::collection::vec(mutation(), 1..6)) {
        let f = fixture();
        let original = [&f.pki.dpauth.der, &f.pki.dppb.der, &f.pki.eum.der, &f.pki.cards[0].der, &f.pki.ci.der][which];
        let mut der = original.clone();
        for m in &muts {
            apply(&mut der, m);
        }
        let accepted = exercise(&der);
        // Only an unchanged DPauth/DPpb certificate may pass the SM-DP+ check.
        if accepted {
            prop_assert!(der == *original, "a mutated certificate verified");
        }
    }
}

/// Extensions the checks decode after the signature has verified.
const PARSED: [der::asn1::ObjectIdentifier; 7] = [
    oid::CERTIFICATE_POLICIES,
    oid::KEY_USAGE,
    oid::BASIC_CONSTRAINTS,
    oid::NAME_CONSTRAINTS,
    oid::SUBJECT_ALT_NAME,
    oid::AUTHORITY_KEY_IDENTIFIER,
    oid::SUBJECT_KEY_IDENTIFIER,
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn signed_hostile_extensions_never_panic(
        which in 0usize..3,
        ext in 0usize..PARSED.len(),
        critical in any::<bool>(),
        random in prop::option::of(prop::collection::vec(any::<u8>(), 0..80)),
        muts in prop::collection::vec(mutation(), 0..4),
    ) {
        let f = fixture();
        let (issued, signer) = [
            (&f.pki.dpauth, &f.pki.ci.key),
            (&f.pki.eum, &f.pki.ci.key),
            (&f.pki.cards[0], &f.pki.eum.key),
        ][which];
        let mut t = issued.template.clone();
        let oid = PARSED[ext];
        // Either random bytes, or the real value (if any) with byte mutations.
        let mut value = match random {
            Some(v) => v,
            None => t.extensions.iter().find(|e| e.oid == oid).map(|e| e.value.clone()).unwrap_or_default(),
        };
        for m in &muts {
            apply(&mut value, m);
        }
        t.set_ext(Ext { oid, critical, value });
        let der = t.sign(signer);
        exercise(&der);
    }

    #[test]
    fn signed_hostile_names_never_panic(
        attrs in prop::collection::vec(
            (0usize..4, prop::sample::select(vec![0x0Cu8, 0x13, 0x16, 0x14, 0x04, 0x1E]), prop::collection::vec(any::<u8>(), 0..40)),
            0..6,
        ),
        digits in prop::option::of("[0-9]{28,34}"),
    ) {
        let f = fixture();
        let types = [oid::SERIAL_NUMBER, oid::ORGANIZATION, der::asn1::ObjectIdentifier::new_unwrap("2.5.4.3"),
            der::asn1::ObjectIdentifier::new_unwrap("2.5.4.6")];
        // RDNs with random attribute types, string tags and bytes; sometimes a decimal serialNumber.
        let mut rdns: Vec<u8> = Vec::new();
        let mut add = |oid: &der::asn1::ObjectIdentifier, tag: u8, value: &[u8]| {
            let atv = tlv(0x30, &[tlv(0x06, oid.as_bytes()), tlv(tag, value)].concat());
            rdns.extend(tlv(0x31, &atv));
        };
        add(&oid::ORGANIZATION, 0x0C, b"veuicc Test EUM");
        for (t, tag, value) in &attrs {
            add(&types[*t], *tag, value);
        }
        if let Some(d) = &digits {
            add(&oid::SERIAL_NUMBER, 0x13, d.as_bytes());
        }
        let mut t = f.pki.cards[0].template.clone();
        t.subject = tlv(0x30, &rdns);
        let der = t.sign(&f.pki.eum.key);
        exercise(&der);
        // Accepted only with a valid EID in the EUM's range as the first serialNumber.
        if let Ok(v) = cert::verify_euicc(&veuicc::crypto::RUST_CRYPTO, &der, &f.eum, None) {
            prop_assert!(v.eid.to_string().starts_with("89999001"));
        }
    }
}
