//! Hostile DER never panics the certificate checks: random bytes, and valid certificates with
//! random byte flips, truncations, insertions and length-field changes, through every entry
//! point (`TrustedCi::from_der`, `verify_dp_cert`, `verify_eum`, `verify_euicc`, `Identity::new`).
//! A mutated certificate may still verify only if its bytes are unchanged.
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
use veuicc::crypto::cert::{self, Role, TrustedCi, VerifiedEum};
use veuicc::identity::{EuiccSecretKey, Identity};
use veuicc::testkit::pki::TestPki;

struct Fixture {
    pki: TestPki,
    cis: Vec<TrustedCi>,
    eum: VerifiedEum,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let pki = TestPki::generate(99, 1);
        let cis = vec![TrustedCi::from_der(&pki.ci.der).unwrap()];
        let eum = cert::verify_eum(&pki.eum.der, &cis, None).unwrap();
        Fixture { pki, cis, eum }
    })
}

/// Runs every parser on `der`; returns whether the DPauth check accepted it.
fn exercise(der: &[u8]) -> bool {
    let f = fixture();
    let _ = TrustedCi::from_der(der);
    let _ = cert::verify_eum(der, &f.cis, None);
    let _ = cert::verify_euicc(der, &f.eum, None);
    let _ = cert::subject_key_identifier(der);
    let _ = cert::certificate_key(der);
    let key = EuiccSecretKey::from_signing_key(f.pki.cards[0].key.clone());
    let _ = Identity::new(key, der.to_vec(), f.pki.eum.der.clone(), &[&f.pki.ci.der]);
    let _ = EuiccSecretKey::from_der(der);
    cert::verify_dp_cert(der, &[Role::DpAuth, Role::DpPb, Role::DpTls], &f.cis, None, None).is_ok()
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
