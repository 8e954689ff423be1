//! Any bytes as an SM-DP+ certificate, a CI certificate and an eUICC certificate:
//! the SGP.22 checks never panic, and random bytes never verify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use veuicc::crypto::cert::{self, Role, TrustedCi, VerifiedEum};
use veuicc::testkit::pki::default_pki;

fn trust() -> &'static (TrustedCi, VerifiedEum) {
    static TRUST: OnceLock<(TrustedCi, VerifiedEum)> = OnceLock::new();
    TRUST.get_or_init(|| {
        let pki = default_pki();
        let ci = TrustedCi::from_der(&veuicc::crypto::RUST_CRYPTO, &pki.ci.der).expect("the test CI loads");
        let eum = cert::verify_eum(&veuicc::crypto::RUST_CRYPTO, &pki.eum.der, std::slice::from_ref(&ci), None)
            .expect("the test EUM verifies");
        (ci, eum)
    })
}

fuzz_target!(|data: &[u8]| {
    let (ci, eum) = trust();
    let _ = TrustedCi::from_der(&veuicc::crypto::RUST_CRYPTO, data);
    assert!(
        cert::verify_dp_cert(
            &veuicc::crypto::RUST_CRYPTO,
            data,
            &[Role::DpAuth, Role::DpPb],
            std::slice::from_ref(ci),
            None,
            None
        )
        .is_err()
    );
    assert!(cert::verify_euicc(&veuicc::crypto::RUST_CRYPTO, data, eum, None).is_err());
    let _ = cert::subject_key_identifier(data);
});
