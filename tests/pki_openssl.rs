//! The generated test PKI checked by an independent implementation, the `openssl` CLI:
//! `openssl verify` for CI, EUM, DPauth, DPpb and DPtls; for the eUICC leaf, whose EUM
//! nameConstraints make RFC 5280 path validation fail by design (`fixtures/README.md`), the
//! signature is cut out with `openssl asn1parse -strparse` and checked with `openssl dgst`,
//! and plain `openssl verify` is shown to fail with exactly the permitted-subtree error.
//! Every private key is checked to match its certificate, and the card's CancelSession signature
//! is verified with CERT.EUICC's key. Skips (and says so) without `openssl`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use veuicc::testkit::pki::TestPki;

fn openssl(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl").args(args).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn have_openssl() -> bool {
    let ok = Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: install the openssl CLI to cross-check the generated PKI");
    }
    ok
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("veuicc-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The signature-only check of fixtures/README.md: tbsCertificate and signature cut out by
/// `openssl asn1parse -strparse`, verified by `openssl dgst -sha256 -verify`.
fn openssl_signature_ok(cert_der: &Path, issuer_pem: &Path, work: &Path) -> bool {
    let (_, listing) = openssl(&["asn1parse", "-inform", "DER", "-in", s(cert_der)]);
    let offsets: Vec<String> = listing
        .lines()
        .filter(|l| l.contains("d=1"))
        .map(|l| l.split(':').next().unwrap().trim().to_string())
        .collect();
    assert_eq!(offsets.len(), 3, "{listing}");
    let (tbs, sig, pk) = (work.join("tbs.der"), work.join("sig.der"), work.join("issuer_pk.pem"));
    for (off, out) in [(&offsets[0], &tbs), (&offsets[2], &sig)] {
        let (ok, text) =
            openssl(&["asn1parse", "-inform", "DER", "-in", s(cert_der), "-strparse", off, "-noout", "-out", s(out)]);
        assert!(ok, "{text}");
    }
    let (ok, text) = openssl(&["x509", "-in", s(issuer_pem), "-noout", "-pubkey", "-out", s(&pk)]);
    assert!(ok, "{text}");
    let (ok, text) = openssl(&["dgst", "-sha256", "-verify", s(&pk), "-signature", s(&sig), s(&tbs)]);
    ok && text.contains("Verified OK")
}

#[test]
fn generated_pki_verifies_with_openssl() {
    if !have_openssl() {
        return;
    }
    let dir = temp_dir("pki-openssl");
    let pki = TestPki::generate(2026, 2);
    pki.write_dir(&dir).unwrap();
    let ci = dir.join("ci.pem");

    for name in ["ci", "eum", "dpauth", "dppb", "dptls"] {
        let cert = dir.join(format!("{name}.pem"));
        let (ok, text) = openssl(&["verify", "-CAfile", s(&ci), s(&cert)]);
        assert!(ok && text.contains(": OK"), "openssl verify {name}: {text}");
        // The DER twin is the same certificate.
        let (ok, text) = openssl(&["x509", "-inform", "DER", "-in", s(&dir.join(format!("{name}.der"))), "-noout"]);
        assert!(ok, "{name}.der: {text}");
        // The key beside it matches.
        let (_, from_cert) = openssl(&["x509", "-in", s(&cert), "-noout", "-pubkey"]);
        let (ok, from_key) = openssl(&["pkey", "-in", s(&dir.join(format!("{name}_sk.pem"))), "-pubout"]);
        assert!(ok && from_cert == from_key, "{name}_sk.pem does not match {name}.pem");
    }
    // The EUM is a CA the CI issued: TLS purpose checks do not matter here, role OIDs do.
    let (_, text) = openssl(&["x509", "-in", s(&dir.join("eum.pem")), "-noout", "-text"]);
    assert!(text.contains("2.23.146.1.2.1.2") && text.contains("serialNumber") && text.contains("89999001"), "{text}");

    for card in ["card1", "card2"] {
        let c = dir.join(card);
        let euicc = c.join("euicc.pem");
        // Plain RFC 5280 path validation fails on the SGP.22 name constraint, and only on it.
        let (ok, text) =
            openssl(&["verify", "-CAfile", s(&c.join("ci.pem")), "-untrusted", s(&c.join("eum.pem")), s(&euicc)]);
        assert!(!ok && text.contains("error 47") && text.contains("permitted subtree violation"), "{card}: {text}");
        // Signature check as in fixtures/README.md.
        assert!(openssl_signature_ok(&c.join("euicc.der"), &c.join("eum.pem"), &c), "{card}: EUM signature");
        // Negative control: not signed by the CI.
        assert!(!openssl_signature_ok(&c.join("euicc.der"), &c.join("ci.pem"), &c), "{card}: CI must not verify it");
        let (_, from_cert) = openssl(&["x509", "-in", s(&euicc), "-noout", "-pubkey"]);
        let (ok, from_key) = openssl(&["pkey", "-in", s(&c.join("euicc_sk.pem")), "-pubout"]);
        assert!(ok && from_cert == from_key, "{card}: key mismatch");
        // And veuicc loads the directory as an identity.
        let id = veuicc::testkit::pki::load_identity_dir(&c).unwrap();
        assert_eq!(id.eid().to_string(), std::fs::read_to_string(c.join("eid.txt")).unwrap().trim());
    }
    // The EUM signature on the CI's side, the same way.
    assert!(openssl_signature_ok(&dir.join("eum.der"), &ci, &dir));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn identity_signatures_verify_with_openssl() {
    if !have_openssl() {
        return;
    }
    // Identity::sign gives raw r‖s (TR-03111); converted to DER it must verify with the key in
    // CERT.EUICC for openssl, and a changed message must not.
    let dir = temp_dir("pki-sign");
    let pki = TestPki::generate(12, 1);
    pki.write_dir(&dir).unwrap();
    let c = dir.join("card1");
    let id = veuicc::testkit::pki::load_identity_dir(&c).unwrap();
    let msg = b"\x30\x0A euiccSigned1 bytes";
    let raw = id.sign(msg);
    std::fs::write(c.join("msg.bin"), msg).unwrap();
    std::fs::write(c.join("other.bin"), b"something else").unwrap();
    std::fs::write(c.join("sig.der"), veuicc::crypto::ecdsa::raw_to_der(&raw).unwrap()).unwrap();
    let (ok, text) =
        openssl(&["x509", "-in", s(&c.join("euicc.pem")), "-noout", "-pubkey", "-out", s(&c.join("pk.pem"))]);
    assert!(ok, "{text}");
    let verify = |file: &str| {
        let (ok, text) = openssl(&[
            "dgst",
            "-sha256",
            "-verify",
            s(&c.join("pk.pem")),
            "-signature",
            s(&c.join("sig.der")),
            s(&c.join(file)),
        ]);
        ok && text.contains("Verified OK")
    };
    assert!(verify("msg.bin"));
    assert!(!verify("other.bin"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn veuicc_reads_what_openssl_writes() {
    if !have_openssl() {
        return;
    }
    // A PKCS#8 key (openssl's default `pkey` output) is accepted as well as SEC1.
    let dir = temp_dir("pki-pkcs8");
    let pki = TestPki::generate(11, 1);
    pki.write_dir(&dir).unwrap();
    let c = dir.join("card1");
    let (ok, text) =
        openssl(&["pkcs8", "-topk8", "-nocrypt", "-in", s(&c.join("euicc_sk.pem")), "-out", s(&c.join("p8.pem"))]);
    assert!(ok, "{text}");
    std::fs::rename(c.join("p8.pem"), c.join("euicc_sk.pem")).unwrap();
    std::fs::remove_file(c.join("euicc.pem")).unwrap(); // DER twin only
    let id = veuicc::testkit::pki::load_identity_dir(&c).unwrap();
    assert_eq!(id.eid(), pki.eids[0]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `r ‖ s` (32 bytes each) as a DER `ECDSA-Sig-Value`, built here so the check owes nothing
/// to the card's own conversion.
fn der_signature(raw: &[u8]) -> Vec<u8> {
    let int = |x: &[u8]| {
        let x: Vec<u8> = x.iter().copied().skip_while(|&b| b == 0).collect();
        let mut v = if x.first().is_none_or(|&b| b & 0x80 != 0) { vec![0] } else { vec![] };
        v.extend(x);
        let mut out = vec![0x02, u8::try_from(v.len()).unwrap()];
        out.extend(v);
        out
    };
    let body = [int(&raw[..32]), int(&raw[32..])].concat();
    [vec![0x30, u8::try_from(body.len()).unwrap()], body].concat()
}

/// ES10b.CancelSession: `euiccCancelSessionSignature` over `euiccCancelSessionSigned` verifies
/// with CERT.EUICC's key under `openssl dgst -sha256 -verify`, and a changed byte does not.
#[test]
fn cancel_session_signature_verifies_with_openssl() {
    use veuicc::asn1::download::{
        AuthenticateServerResponse, AuthenticateServerResult, CancelSessionRequest, CancelSessionResponse,
        CancelSessionResult, EuiccCancelSessionSigned,
    };
    if !have_openssl() {
        return;
    }
    let mut card = veuicc::testkit::TestCard::new(1);
    let mut smdp = veuicc::testkit::smdp::TestSmdp::new(veuicc::testkit::pki::default_pki(), "smdp.example.com", 7);
    let mut lpa = veuicc::testkit::Es10Client::open(&mut card).unwrap();
    let challenge = lpa.get_euicc_challenge().unwrap();
    let request = smdp.initiate_authentication(challenge, None);
    let tid = smdp.transaction_id().to_vec();
    let auth: AuthenticateServerResponse = rasn::der::decode(&lpa.store_data(&request).unwrap()).unwrap();
    let AuthenticateServerResult::Ok(auth) = auth.0 else { panic!("authentication refused: {auth:?}") };
    let r: CancelSessionResponse = lpa.call(&CancelSessionRequest::new(tid.clone(), 1)).unwrap();
    let CancelSessionResult::Ok(ok) = r.0 else { panic!("cancel refused: {r:?}") };
    lpa.close().unwrap();

    let signed = ok.euicc_cancel_session_signed.as_bytes().to_vec();
    let fields: EuiccCancelSessionSigned = rasn::der::decode(&signed).unwrap();
    assert_eq!(fields.transaction_id.as_ref(), tid.as_slice());
    assert_eq!(fields.reason, 1.into());
    let dir = temp_dir("cancel-openssl");
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, pk, sig, msg) = (dir.join("euicc.der"), dir.join("euicc_pk.pem"), dir.join("sig.der"), dir.join("msg"));
    std::fs::write(&cert, auth.euicc_certificate.as_bytes()).unwrap();
    std::fs::write(&sig, der_signature(&ok.euicc_cancel_session_signature)).unwrap();
    std::fs::write(&msg, &signed).unwrap();
    let (ok_pk, text) = openssl(&["x509", "-inform", "DER", "-in", s(&cert), "-noout", "-pubkey", "-out", s(&pk)]);
    assert!(ok_pk, "{text}");
    let (ok_sig, text) = openssl(&["dgst", "-sha256", "-verify", s(&pk), "-signature", s(&sig), s(&msg)]);
    assert!(ok_sig && text.contains("Verified OK"), "openssl dgst: {text}");
    let mut tampered = signed.clone();
    *tampered.last_mut().unwrap() ^= 1;
    std::fs::write(&msg, &tampered).unwrap();
    let (ok_bad, text) = openssl(&["dgst", "-sha256", "-verify", s(&pk), "-signature", s(&sig), s(&msg)]);
    assert!(!ok_bad, "a changed message verified: {text}");
    let _ = std::fs::remove_dir_all(&dir);
}
