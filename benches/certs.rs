//! Certificate chain verification against the crypto floor: one bare ECDSA P-256 verify.
//!
//! Run: `cargo bench --bench certs`. Groups, all in the same run:
//! * `ecdsa verify (floor)` — one `p256` verify of a DER signature over a certificate's TBS;
//! * `DPauth chain (CI → DPauth)` — `verify_dp_cert` as AuthenticateServer calls it (CI preloaded);
//! * `eUICC chain (CI → EUM → eUICC)` — `verify_eum` + `verify_euicc`, what an SM-DP+ does;
//! * `parse only` — `certificate_key` (DER parse + key decode, no signature);
//! * `generate PKI` — what the embedded default identity costs at start-up.
//!
//! The report divides the chain times by the floor: a one-link chain costs about one verify
//! plus parsing, a two-link chain about two.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::cast_possible_truncation
)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use veuicc::crypto::cert::{self, Role, TrustedCi};
use veuicc::crypto::ecdsa;
use veuicc::testkit::pki::TestPki;

fn bench(c: &mut Criterion) {
    let pki = TestPki::generate(1, 1);
    let cis = vec![TrustedCi::from_der(&veuicc::crypto::RUST_CRYPTO, &pki.ci.der).unwrap()];
    let ski = pki.ci_ski();
    // The floor: the DPauth certificate's own signature, verified with the CI key.
    let tbs = pki.dpauth.template.tbs();
    use p256::ecdsa::signature::Signer as _;
    let sig: p256::ecdsa::DerSignature = pki.ci.key.sign(&tbs);
    let sig = sig.as_bytes().to_vec();
    let ci_key = *pki.ci.public_key();
    assert!(ecdsa::verify_der(&ci_key, &tbs, &sig));

    let mut g = c.benchmark_group("certs");
    g.bench_function("ecdsa verify (floor)", |b| {
        b.iter(|| assert!(ecdsa::verify_der(black_box(&ci_key), black_box(&tbs), black_box(&sig))))
    });
    g.bench_function("DPauth chain (CI → DPauth)", |b| {
        b.iter(|| {
            cert::verify_dp_cert(
                &veuicc::crypto::RUST_CRYPTO,
                black_box(&pki.dpauth.der),
                &[Role::DpAuth, Role::DsAuth],
                &cis,
                Some(&ski),
                None,
            )
            .unwrap()
        })
    });
    g.bench_function("eUICC chain (CI → EUM → eUICC)", |b| {
        b.iter(|| {
            let eum = cert::verify_eum(&veuicc::crypto::RUST_CRYPTO, black_box(&pki.eum.der), &cis, None).unwrap();
            cert::verify_euicc(&veuicc::crypto::RUST_CRYPTO, black_box(&pki.cards[0].der), &eum, None).unwrap()
        })
    });
    g.bench_function("parse only (DPauth)", |b| {
        b.iter(|| cert::certificate_key(&veuicc::crypto::RUST_CRYPTO, black_box(&pki.dpauth.der)).unwrap())
    });
    // Start-up cost of the embedded default identity (generated once per process).
    g.bench_function("generate PKI (1 card) + validate identity", |b| {
        b.iter(|| TestPki::generate(black_box(7), 1).identity(0).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
