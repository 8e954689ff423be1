//! Every certificate check fails with its SGP.22 error for a certificate broken in exactly
//! that one way (and the unbroken twin passes): wrong CI, expired, wrong policy OID, bad
//! signature, wrong curve, EID outside the EUM's range, key/certificate mismatch, and more.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

use veuicc::asn1::codes::{AuthenticateErrorCode, DownloadErrorCode};
use veuicc::config::Eid;
use veuicc::crypto::cert::{self, CertError, Role, TrustedCi, VerifiedEum, oid};
use veuicc::identity::{EuiccSecretKey, Identity, IdentityError};
use veuicc::platform::UnixTime;
use veuicc::testkit::pki::{CertTemplate, Ext, Issued, NOT_BEFORE, TestPki, name, spki_on_curve};

const DAY: u64 = 86_400;

fn pki() -> TestPki {
    TestPki::generate(42, 1)
}

fn cis(pki: &TestPki) -> Vec<TrustedCi> {
    vec![TrustedCi::from_der(&veuicc::crypto::RUST_CRYPTO, &pki.ci.der).unwrap()]
}

/// Verifies `der` as a DPauth certificate against `pki`'s CI, chosen by PKID as in AuthenticateServer.
fn check_dpauth(pki: &TestPki, der: &[u8], now: Option<UnixTime>) -> Result<(), CertError> {
    cert::verify_dp_cert(
        &veuicc::crypto::RUST_CRYPTO,
        der,
        &[Role::DpAuth, Role::DsAuth],
        &cis(pki),
        Some(&pki.ci_ski()),
        now,
    )
    .map(|_| ())
}

/// `pki`'s DPauth template changed by `f`, signed by the CI.
fn dpauth_with(pki: &TestPki, f: impl FnOnce(&mut CertTemplate)) -> Vec<u8> {
    let mut t = pki.dpauth.template.clone();
    f(&mut t);
    t.sign(&pki.ci.key)
}

fn eum(pki: &TestPki) -> VerifiedEum {
    cert::verify_eum(&veuicc::crypto::RUST_CRYPTO, &pki.eum.der, &cis(pki), None).unwrap()
}

/// `pki`'s card 0 template changed by `f`, signed by the EUM.
fn euicc_with(pki: &TestPki, f: impl FnOnce(&mut CertTemplate)) -> Vec<u8> {
    let mut t = pki.cards[0].template.clone();
    f(&mut t);
    t.sign(&pki.eum.key)
}

#[test]
fn unbroken_certificates_pass() {
    let pki = pki();
    check_dpauth(&pki, &pki.dpauth.der, Some(UnixTime(NOT_BEFORE + DAY))).unwrap();
    check_dpauth(&pki, &dpauth_with(&pki, |_| {}), None).unwrap();
    assert_eq!(dpauth_with(&pki, |_| {}), pki.dpauth.der, "re-signing a template is deterministic");
    cert::verify_euicc(&veuicc::crypto::RUST_CRYPTO, &euicc_with(&pki, |_| {}), &eum(&pki), None).unwrap();
    pki.identity(0).unwrap();
}

#[test]
fn wrong_ci() {
    let pki = pki();
    let other = TestPki::generate(43, 0);
    // Issued under another CI (its AKI names that CI): the chosen CI is not the issuer.
    let mut t = pki.dpauth.template.clone();
    t.set_ext(Ext::aki(&other.ci_ski()));
    let foreign = t.sign(&other.ci.key);
    assert_eq!(check_dpauth_now(&pki, &foreign), Err(CertError::WrongIssuer));
    assert_eq!(CertError::WrongIssuer.code(), AuthenticateErrorCode::InvalidCertificate);
    // Without a chosen CI the AKI names no trusted CI.
    let e = cert::verify_dp_cert(&veuicc::crypto::RUST_CRYPTO, &foreign, &[Role::DpAuth], &cis(&pki), None, None)
        .unwrap_err();
    assert_eq!(e, CertError::CiPkUnknown);
    // Claiming our CI (AKI) but signed by the other CI's key.
    let forged = pki.dpauth.template.sign(&other.ci.key);
    assert_eq!(check_dpauth_now(&pki, &forged), Err(CertError::BadCertSignature));
    assert_eq!(CertError::BadCertSignature.code(), AuthenticateErrorCode::InvalidCertificate);
}

fn check_dpauth_now(pki: &TestPki, der: &[u8]) -> Result<(), CertError> {
    check_dpauth(pki, der, None)
}

#[test]
fn ci_pk_unknown() {
    let pki = pki();
    let e = cert::verify_dp_cert(
        &veuicc::crypto::RUST_CRYPTO,
        &pki.dpauth.der,
        &[Role::DpAuth],
        &cis(&pki),
        Some(&[0xAB; 20]),
        None,
    )
    .unwrap_err();
    assert_eq!(e, CertError::CiPkUnknown);
    assert_eq!(e.code(), AuthenticateErrorCode::CiPkUnknown);
    assert_eq!(e.code() as u8, 7);
}

#[test]
fn expired_and_not_yet_valid() {
    let pki = pki();
    let short = dpauth_with(&pki, |t| t.not_after = NOT_BEFORE + DAY);
    assert_eq!(check_dpauth(&pki, &short, Some(UnixTime(NOT_BEFORE + 2 * DAY))), Err(CertError::Expired));
    assert_eq!(check_dpauth(&pki, &short, Some(UnixTime(NOT_BEFORE + DAY / 2))), Ok(()));
    assert_eq!(check_dpauth(&pki, &short, Some(UnixTime(NOT_BEFORE - 1))), Err(CertError::NotYetValid));
    // The card has no trusted clock: without a time the dates are not checked (SGP.22).
    assert_eq!(check_dpauth(&pki, &short, None), Ok(()));
    assert_eq!(CertError::Expired.code(), AuthenticateErrorCode::InvalidCertificate);
    assert_eq!(CertError::Expired.download_code(), DownloadErrorCode::InvalidCertificate);
}

#[test]
fn wrong_policy_oid() {
    let pki = pki();
    let pb_policy = dpauth_with(&pki, |t| t.set_ext(Ext::policy(&oid::ROLE_DP_PB, true)));
    let e = check_dpauth_now(&pki, &pb_policy).unwrap_err();
    assert_eq!(e, CertError::WrongPolicy { expected: Role::DpAuth });
    assert_eq!(e.code(), AuthenticateErrorCode::InvalidOid);
    assert_eq!(e.code() as u8, 5);
    assert_eq!(e.download_code(), DownloadErrorCode::InvalidCertificate);
    // No policy extension at all.
    let none = dpauth_with(&pki, |t| t.remove_ext(&oid::CERTIFICATE_POLICIES));
    assert!(matches!(check_dpauth_now(&pki, &none), Err(CertError::WrongPolicy { .. })));
    // The DS auth policy is accepted where AuthenticateServer accepts it.
    let ds = dpauth_with(&pki, |t| t.set_ext(Ext::policy(&oid::ROLE_DS_AUTH, true)));
    let v =
        cert::verify_dp_cert(&veuicc::crypto::RUST_CRYPTO, &ds, &[Role::DpAuth, Role::DsAuth], &cis(&pki), None, None)
            .unwrap();
    assert_eq!(v.role(), Role::DsAuth);
}

#[test]
fn bad_certificate_signature() {
    let pki = pki();
    let mut der = pki.dpauth.der.clone();
    let last = der.len() - 1;
    der[last] ^= 0x01; // last byte of s
    assert_eq!(check_dpauth_now(&pki, &der), Err(CertError::BadCertSignature));
    // A changed TBS byte (inside the subject CN) under the original signature.
    let mut der = pki.dpauth.der.clone();
    let at = der.windows(6).position(|w| w == b"SM-DP+").unwrap();
    der[at] = b'X';
    assert_eq!(check_dpauth_now(&pki, &der), Err(CertError::BadCertSignature));
}

#[test]
fn bad_message_signature() {
    let pki = pki();
    let v =
        cert::verify_dp_cert(&veuicc::crypto::RUST_CRYPTO, &pki.dpauth.der, &[Role::DpAuth], &cis(&pki), None, None)
            .unwrap();
    use p256::ecdsa::signature::Signer as _;
    let sig: p256::ecdsa::Signature = pki.dpauth.key.sign(b"serverSigned1");
    let raw: [u8; 64] = sig.to_bytes().into();
    v.verify(&veuicc::crypto::RUST_CRYPTO, b"serverSigned1", &raw).unwrap();
    let e = v.verify(&veuicc::crypto::RUST_CRYPTO, b"serverSigned2", &raw).unwrap_err();
    assert_eq!(e, CertError::BadSignature);
    assert_eq!(e.code(), AuthenticateErrorCode::InvalidSignature);
    assert_eq!(e.download_code(), DownloadErrorCode::InvalidSignature);
    // Signed with the DPpb key instead of the DPauth key.
    let sig: p256::ecdsa::Signature = pki.dppb.key.sign(b"serverSigned1");
    assert_eq!(v.verify(&veuicc::crypto::RUST_CRYPTO, b"serverSigned1", &sig.to_bytes()), Err(CertError::BadSignature));
}

#[test]
fn wrong_curve() {
    let pki = pki();
    let brainpool = dpauth_with(&pki, |t| t.spki = spki_on_curve(pki.dpauth.public_key(), &oid::BRAINPOOL_P256R1));
    let e = check_dpauth_now(&pki, &brainpool).unwrap_err();
    assert_eq!(e, CertError::UnsupportedCurve);
    assert_eq!(e.code(), AuthenticateErrorCode::UnsupportedCurve);
    assert_eq!(e.download_code(), DownloadErrorCode::UnsupportedCurve);
    // A CI on another curve cannot be trusted.
    let mut t = pki.ci.template.clone();
    t.spki = spki_on_curve(pki.ci.public_key(), &oid::BRAINPOOL_P256R1);
    assert_eq!(
        TrustedCi::from_der(&veuicc::crypto::RUST_CRYPTO, &t.sign(&pki.ci.key)).unwrap_err(),
        CertError::UnsupportedCurve
    );
}

#[test]
fn eid_outside_eum_range() {
    let pki = pki();
    let eum = eum(&pki);
    let subject = |eid: &str, org: &str| {
        name(&[
            (oid::ORGANIZATION, org),
            (oid::SERIAL_NUMBER, eid),
            (der::asn1::ObjectIdentifier::new_unwrap("2.5.4.3"), "card"),
        ])
    };
    let ok = Eid::with_check_digits("899990010000100000000000000077").unwrap().to_string();
    cert::verify_euicc(
        &veuicc::crypto::RUST_CRYPTO,
        &euicc_with(&pki, |t| t.subject = subject(&ok, "veuicc Test EUM")),
        &eum,
        None,
    )
    .unwrap();
    // Another manufacturer's EID prefix (the SGP.26 EUM's).
    let foreign = Eid::with_check_digits("890490321234512345123456789012").unwrap().to_string();
    let der = euicc_with(&pki, |t| t.subject = subject(&foreign, "veuicc Test EUM"));
    assert_eq!(
        cert::verify_euicc(&veuicc::crypto::RUST_CRYPTO, &der, &eum, None).unwrap_err(),
        CertError::EidOutsideEum
    );
    // Right prefix, wrong organisation.
    let der = euicc_with(&pki, |t| t.subject = subject(&ok, "RSP Test EUM"));
    assert_eq!(
        cert::verify_euicc(&veuicc::crypto::RUST_CRYPTO, &der, &eum, None).unwrap_err(),
        CertError::EidOutsideEum
    );
    // Not an EID (check digits wrong).
    let der = euicc_with(&pki, |t| t.subject = subject("89999001000010000000000000000077", "veuicc Test EUM"));
    assert_eq!(cert::verify_euicc(&veuicc::crypto::RUST_CRYPTO, &der, &eum, None).unwrap_err(), CertError::BadEid);
    // An EUM whose constraint names the O but no EID prefix permits nothing.
    let mut t = pki.eum.template.clone();
    t.set_ext(Ext::eid_range("veuicc Test EUM", ""));
    let no_prefix = cert::verify_eum(&veuicc::crypto::RUST_CRYPTO, &t.sign(&pki.ci.key), &cis(&pki), None).unwrap();
    assert!(no_prefix.ranges.is_empty());
    assert_eq!(
        cert::verify_euicc(&veuicc::crypto::RUST_CRYPTO, &pki.cards[0].der, &no_prefix, None).unwrap_err(),
        CertError::EidOutsideEum
    );
    // Through Identity: the error says which certificate.
    let der = euicc_with(&pki, |t| t.subject = subject(&foreign, "veuicc Test EUM"));
    let key = EuiccSecretKey::from_signing_key(pki.cards[0].key.clone());
    let e = Identity::new(key, der, pki.eum.der.clone(), &[&pki.ci.der]).unwrap_err();
    assert_eq!(e, IdentityError::Euicc(CertError::EidOutsideEum));
}

#[test]
fn key_certificate_mismatch() {
    let pki = TestPki::generate(42, 2);
    let Issued { der, .. } = &pki.cards[0];
    let wrong = EuiccSecretKey::from_signing_key(pki.cards[1].key.clone());
    let e = Identity::new(wrong, der.clone(), pki.eum.der.clone(), &[&pki.ci.der]).unwrap_err();
    assert_eq!(e, IdentityError::KeyMismatch);
    // The expected EID must be the certificate's.
    let right = EuiccSecretKey::from_signing_key(pki.cards[0].key.clone());
    let e = Identity::with_eid(pki.eids[1], right, der.clone(), pki.eum.der.clone(), &[&pki.ci.der]).unwrap_err();
    assert_eq!(e, IdentityError::EidMismatch { in_certificate: pki.eids[0] });
}

#[test]
fn identity_load_errors_name_the_part() {
    let pki = pki();
    let other = TestPki::generate(7, 0);
    let key = || EuiccSecretKey::from_signing_key(pki.cards[0].key.clone());
    let card = pki.cards[0].der.clone();
    assert_eq!(Identity::new(key(), card.clone(), pki.eum.der.clone(), &[]).unwrap_err(), IdentityError::NoCi);
    // EUM under a CI the card does not trust.
    let e = Identity::new(key(), card.clone(), pki.eum.der.clone(), &[&other.ci.der]).unwrap_err();
    assert_eq!(e, IdentityError::Eum(CertError::CiPkUnknown));
    // A DPauth certificate given as a CI.
    let e = Identity::new(key(), card.clone(), pki.eum.der.clone(), &[&pki.ci.der, &pki.dpauth.der]).unwrap_err();
    assert!(matches!(e, IdentityError::Ci { index: 1, .. }), "{e:?}");
    // The eUICC certificate given as the EUM.
    let e = Identity::new(key(), card.clone(), card.clone(), &[&pki.ci.der]).unwrap_err();
    assert!(matches!(e, IdentityError::Eum(_)), "{e:?}");
    // Several CIs: both are listed for verification, the one the EUM chains to for signing.
    let id = Identity::new(key(), card, pki.eum.der.clone(), &[&other.ci.der, &pki.ci.der]).unwrap();
    assert_eq!(id.ci_pkids_verification(), vec![other.ci_ski(), pki.ci_ski()]);
    assert_eq!(id.ci_pkids_signing(), vec![pki.ci_ski()]);
}

#[test]
fn profile_checks() {
    let pki = pki();
    // keyUsage missing / wrong bit.
    let no_ku = dpauth_with(&pki, |t| t.remove_ext(&oid::KEY_USAGE));
    assert_eq!(check_dpauth_now(&pki, &no_ku), Err(CertError::KeyUsage));
    let ku_sign = dpauth_with(&pki, |t| t.set_ext(Ext::key_usage(&[5])));
    assert_eq!(check_dpauth_now(&pki, &ku_sign), Err(CertError::KeyUsage));
    // A leaf that claims to be a CA.
    let ca = dpauth_with(&pki, |t| t.set_ext(Ext::basic_constraints(true, None)));
    assert_eq!(check_dpauth_now(&pki, &ca), Err(CertError::BasicConstraints));
    // An unknown critical extension.
    let unknown = dpauth_with(&pki, |t| {
        t.extensions.push(Ext {
            oid: der::asn1::ObjectIdentifier::new_unwrap("1.2.3.4"),
            critical: true,
            value: vec![5, 0],
        })
    });
    assert_eq!(check_dpauth_now(&pki, &unknown), Err(CertError::UnknownCriticalExtension));
    // The same, not critical: ignored.
    let ignorable = dpauth_with(&pki, |t| {
        t.extensions.push(Ext {
            oid: der::asn1::ObjectIdentifier::new_unwrap("1.2.3.4"),
            critical: false,
            value: vec![5, 0],
        })
    });
    assert_eq!(check_dpauth_now(&pki, &ignorable), Ok(()));
    // No authorityKeyIdentifier: the issuer cannot be named.
    let no_aki = dpauth_with(&pki, |t| t.remove_ext(&oid::AUTHORITY_KEY_IDENTIFIER));
    assert_eq!(check_dpauth_now(&pki, &no_aki), Err(CertError::WrongIssuer));
    // DPauth without the SM-DP+ OID (subjectAltName registeredID); DPtls may lack it.
    let no_san = dpauth_with(&pki, |t| t.remove_ext(&oid::SUBJECT_ALT_NAME));
    assert_eq!(check_dpauth_now(&pki, &no_san), Err(CertError::MissingExtension("subjectAltName registeredID")));
    let mut t = pki.dptls.template.clone();
    t.remove_ext(&oid::SUBJECT_ALT_NAME);
    cert::verify_dp_cert(&veuicc::crypto::RUST_CRYPTO, &t.sign(&pki.ci.key), &[Role::DpTls], &cis(&pki), None, None)
        .unwrap();
    // An EUM without nameConstraints permits nothing.
    let mut t = pki.eum.template.clone();
    t.remove_ext(&oid::NAME_CONSTRAINTS);
    let e = cert::verify_eum(&veuicc::crypto::RUST_CRYPTO, &t.sign(&pki.ci.key), &cis(&pki), None).unwrap_err();
    assert_eq!(e, CertError::MissingExtension("nameConstraints"));
}

#[test]
fn malformed_input() {
    let pki = pki();
    for cut in [0, 1, 2, 10, pki.dpauth.der.len() / 2, pki.dpauth.der.len() - 1] {
        assert_eq!(check_dpauth_now(&pki, &pki.dpauth.der[..cut]), Err(CertError::Malformed), "cut at {cut}");
    }
    let mut trailing = pki.dpauth.der.clone();
    trailing.push(0);
    assert_eq!(check_dpauth_now(&pki, &trailing), Err(CertError::Malformed));
    assert_eq!(check_dpauth_now(&pki, &vec![0x30; 5000]), Err(CertError::Malformed));
    assert_eq!(CertError::Malformed.code(), AuthenticateErrorCode::InvalidCertificate);
}
