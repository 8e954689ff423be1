//! GSMA SGP.26 test PKI interop: veuicc accepts the published SGP.26 DPauth/DPpb/DPtls
//! certificates under the SGP.26 CI, refuses the brainpool ones with unsupportedCurve, and its own
//! identities chained to the SGP.26 EUM (`fixtures/veuicc/`) — and the SGP.26 eUICC itself — verify.
//!
//! Needs `VEUICC_SHARED` (the shared folder with `fixtures/`); without it each test says how to
//! enable it and passes. Nothing is copied into the repository.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

mod support;

use std::path::PathBuf;
use veuicc::asn1::codes::AuthenticateErrorCode;
use veuicc::crypto::cert::{self, CertError, Role, TrustedCi};
use veuicc::platform::UnixTime;
use veuicc::testkit::pki::{load_identity_dir, load_identity_files, read_der};

const SGP26_CI_SKI: &str = "f54172bdf98a95d65cbeb88a38a1c11d800a85c3";

fn fixtures() -> Option<PathBuf> {
    support::shared("run the SGP.26 interop tests").map(|s| PathBuf::from(s).join("fixtures"))
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn der(dir: &std::path::Path, name: &str) -> Vec<u8> {
    read_der(&dir.join(name), &["CERTIFICATE"]).unwrap()
}

fn sgp26_cis(f: &std::path::Path) -> Vec<TrustedCi> {
    ["ci_nist.der", "ci2017_nist.der"]
        .iter()
        .map(|n| TrustedCi::from_der(&veuicc::crypto::RUST_CRYPTO, &der(&f.join("sgp26"), n)).unwrap())
        .collect()
}

#[test]
fn sgp26_ci_ski() {
    let Some(f) = fixtures() else { return };
    for ci in sgp26_cis(&f) {
        assert_eq!(ci.ski(), unhex(SGP26_CI_SKI));
    }
    // The brainpool CI is a valid certificate on a curve veuicc does not support.
    assert_eq!(
        TrustedCi::from_der(&veuicc::crypto::RUST_CRYPTO, &der(&f.join("sgp26"), "ci_brp.der")).unwrap_err(),
        CertError::UnsupportedCurve
    );
}

#[test]
fn sgp26_dp_certificates_are_accepted() {
    let Some(f) = fixtures() else { return };
    let cis = sgp26_cis(&f);
    let ski = unhex(SGP26_CI_SKI);
    let dir = f.join("sgp26");
    // 2026-11-23, inside every DPauth/DPpb validity period (2020-04-01 → 2030-03-30).
    let now = Some(UnixTime(1_795_392_000));
    // SM-DP+ OIDs: 2.999.10 (TEST SM-DP+), 2.999.12 (TEST SM-DP+2), as OID content bytes.
    let (dp1, dp2) = ([0x88, 0x37, 0x0A], [0x88, 0x37, 0x0C]);
    for (file, roles, oid) in [
        ("dpauth_nist.der", &[Role::DpAuth, Role::DsAuth][..], dp1),
        ("dp2auth_nist.der", &[Role::DpAuth, Role::DsAuth][..], dp2),
        ("dppb_nist.der", &[Role::DpPb][..], dp1),
        ("dp2pb_nist.der", &[Role::DpPb][..], dp2),
        ("dptls_nist_2035.der", &[Role::DpTls][..], dp1),
    ] {
        let v = cert::verify_dp_cert(&veuicc::crypto::RUST_CRYPTO, &der(&dir, file), roles, &cis, Some(&ski), now)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(v.ci_pkid(), ski, "{file}");
        assert_eq!(v.smdp_oid(), Some(&oid[..]), "{file}: SM-DP+ OID");
    }
    // DPauth offered as DPpb: the policy is wrong (invalidOid in AuthenticateServer terms).
    let e = cert::verify_dp_cert(
        &veuicc::crypto::RUST_CRYPTO,
        &der(&dir, "dpauth_nist.der"),
        &[Role::DpPb],
        &cis,
        Some(&ski),
        now,
    )
    .unwrap_err();
    assert_eq!(e, CertError::WrongPolicy { expected: Role::DpPb });
    // The SGP.26 TLS certificate expired on 2026-08-02; without a clock the card does not look.
    let tls = der(&dir, "dptls_nist.der");
    assert_eq!(
        cert::verify_dp_cert(&veuicc::crypto::RUST_CRYPTO, &tls, &[Role::DpTls], &cis, None, now).unwrap_err(),
        CertError::Expired
    );
    cert::verify_dp_cert(&veuicc::crypto::RUST_CRYPTO, &tls, &[Role::DpTls], &cis, None, None).unwrap();
}

#[test]
fn sgp26_brainpool_is_unsupported_curve() {
    let Some(f) = fixtures() else { return };
    let cis = sgp26_cis(&f);
    for file in ["dpauth_brp.der", "dppb_brp.der"] {
        let e = cert::verify_dp_cert(
            &veuicc::crypto::RUST_CRYPTO,
            &der(&f.join("sgp26"), file),
            &[Role::DpAuth, Role::DpPb],
            &cis,
            None,
            None,
        )
        .unwrap_err();
        assert_eq!(e, CertError::UnsupportedCurve, "{file}");
        assert_eq!(e.code(), AuthenticateErrorCode::UnsupportedCurve);
    }
}

#[test]
fn sgp26_euicc_chain_verifies() {
    let Some(f) = fixtures() else { return };
    let cis = sgp26_cis(&f);
    let dir = f.join("sgp26");
    // The 2017 EUM is signed by the same key as ci_nist (chained by AKI/SKI, not by name).
    let eum = cert::verify_eum(&veuicc::crypto::RUST_CRYPTO, &der(&dir, "eum2017_nist.der"), &cis, None).unwrap();
    let euicc = cert::verify_euicc(&veuicc::crypto::RUST_CRYPTO, &der(&dir, "euicc2017_nist.der"), &eum, None).unwrap();
    assert_eq!(euicc.eid.to_string(), "89049032123451234512345678901235");
    assert_eq!(eum.ranges.len(), 1);
    assert_eq!(eum.ranges[0].eid_prefix, "89049032");
    assert_eq!(eum.ranges[0].organization, "RSP Test EUM");
    // The SGP.26 eUICC under the 2020 EUM: the EUM key is the same, so it verifies too.
    let eum2020 = cert::verify_eum(&veuicc::crypto::RUST_CRYPTO, &der(&dir, "eum_nist.der"), &cis, None).unwrap();
    cert::verify_euicc(&veuicc::crypto::RUST_CRYPTO, &der(&dir, "euicc2017_nist.der"), &eum2020, None).unwrap();
    // And the full identity with its published private key.
    let id = load_identity_files(
        &dir.join("euicc2017_nist.pem"),
        &dir.join("euicc_nist_sk.orig.pem"), // with a leading EC PARAMETERS block
        &dir.join("eum2017_nist.pem"),
        &[dir.join("ci_nist.pem"), dir.join("ci2017_nist.pem")],
    )
    .unwrap();
    assert_eq!(id.ci_pkids_verification(), vec![unhex(SGP26_CI_SKI)]);
    assert_eq!(id.ci_pkids_signing(), vec![unhex(SGP26_CI_SKI)]);
}

#[test]
fn veuicc_identities_under_the_sgp26_eum() {
    let Some(f) = fixtures() else { return };
    let sgp = f.join("sgp26");
    for (card, eid) in [("card1", "89049032000010000000000000000146"), ("card2", "89049032000010000000000000000243")] {
        let v = f.join("veuicc");
        let id = load_identity_files(
            &v.join(format!("{card}_euicc.der")),
            &v.join(format!("{card}_euicc_sk.pem")),
            &sgp.join("eum_nist.der"),
            &[sgp.join("ci_nist.der")],
        )
        .unwrap_or_else(|e| panic!("{card}: {e}"));
        assert_eq!(id.eid().to_string(), eid);
        // The card's signature verifies with the key in its certificate.
        let sig = id.sign(b"euiccSigned1");
        let key = cert::certificate_key(&veuicc::crypto::RUST_CRYPTO, id.euicc_cert()).unwrap();
        assert!(veuicc::crypto::CryptoProvider::verify(&veuicc::crypto::RUST_CRYPTO, &key, b"euiccSigned1", &sig));
    }
    // card1's certificate with card2's key: refused, naming the key file.
    let v = f.join("veuicc");
    let e = load_identity_files(
        &v.join("card1_euicc.der"),
        &v.join("card2_euicc_sk.pem"),
        &sgp.join("eum_nist.der"),
        &[sgp.join("ci_nist.der")],
    )
    .unwrap_err();
    assert!(e.path.ends_with("card2_euicc_sk.pem"), "{e}");
    // veuicc card1 under the veuicc-pki CI only: the SGP.26 EUM chains to no trusted CI.
    let e = load_identity_files(
        &v.join("card1_euicc.der"),
        &v.join("card1_euicc_sk.pem"),
        &sgp.join("eum_nist.der"),
        &[f.join("veuicc-pki/ci.der")],
    )
    .unwrap_err();
    assert!(e.path.ends_with("eum_nist.der") && e.problem.contains("CI"), "{e}");
}

#[test]
fn veuicc_pki_fixture_chain_verifies() {
    let Some(f) = fixtures() else { return };
    let p = f.join("veuicc-pki");
    let cis = vec![TrustedCi::from_der(&veuicc::crypto::RUST_CRYPTO, &der(&p, "ci.der")).unwrap()];
    assert_eq!(cis[0].ski(), unhex("bd6ee2625cf1781595f4668a06f4204007df16a6"));
    for (file, role) in [("dpauth.der", Role::DpAuth), ("dppb.der", Role::DpPb), ("dptls.der", Role::DpTls)] {
        cert::verify_dp_cert(&veuicc::crypto::RUST_CRYPTO, &der(&p, file), &[role], &cis, None, None)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    let id = load_identity_files(
        &p.join("card1_euicc.pem"),
        &p.join("card1_euicc_sk.pem"),
        &p.join("eum.pem"),
        &[p.join("ci.pem")],
    )
    .unwrap();
    assert_eq!(id.eid().to_string(), "89999001000010000000000000000135");
    // Cross-PKI: an SGP.26 DPauth under the veuicc-pki CI is unknown to it.
    let e = cert::verify_dp_cert(
        &veuicc::crypto::RUST_CRYPTO,
        &der(&f.join("sgp26"), "dpauth_nist.der"),
        &[Role::DpAuth],
        &cis,
        None,
        None,
    )
    .unwrap_err();
    assert_eq!(e, CertError::CiPkUnknown);
    // A directory in the `--identity` layout is not what fixtures/ holds: the error names the file.
    let e = load_identity_dir(&p).unwrap_err();
    assert!(e.problem.contains("euicc"), "{e}");
}
