//! `veuicc pki new` and `--identity DIR`: the written directory is the generator's output,
//! every card command takes it, and a broken identity is refused naming the file and the problem.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

mod support;
use support::veuicc;

use std::path::{Path, PathBuf};
use veuicc::testkit::pki::{DEFAULT_SEED, TestPki};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("veuicc-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn pki_new_writes_the_generator_output() {
    let dir = temp_dir("cli-pki-new");
    let (code, out, err) = veuicc(&["pki", "new", s(&dir), "--seed", "5", "--cards", "3"]);
    assert_eq!(code, 0, "{err}");
    let pki = TestPki::generate(5, 3);
    assert!(out.contains(&pki.eids[2].to_string()), "{out}");
    for (name, der) in
        [("ci", &pki.ci.der), ("eum", &pki.eum.der), ("dpauth", &pki.dpauth.der), ("dppb", &pki.dppb.der)]
    {
        assert_eq!(&std::fs::read(dir.join(format!("{name}.der"))).unwrap(), der, "{name}.der");
        assert!(dir.join(format!("{name}_sk.pem")).is_file());
    }
    assert_eq!(std::fs::read(dir.join("card3/euicc.der")).unwrap(), pki.cards[2].der);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn identity_dir_is_used_by_card_commands() {
    let dir = temp_dir("cli-identity");
    assert_eq!(veuicc(&["pki", "new", s(&dir), "--seed", "8", "--cards", "2"]).0, 0);
    let pki = TestPki::generate(8, 2);
    let card2 = dir.join("card2");
    let (code, out, err) = veuicc(&["demo", "--json", "--identity", s(&card2)]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("\"eid\":\"{}\"", pki.eids[1])), "{out}");
    let ski: String = pki.ci_ski().iter().map(|b| format!("{b:02X}")).collect();
    assert!(out.contains(&ski), "CI PKID in EUICCInfo2: {out}");
    // apdu: SELECT ISD-R, GET EID through STORE DATA.
    let (code, out, err) = veuicc(&[
        "apdu",
        "--identity",
        s(&card2),
        "00A4040010A0000005591010FFFFFFFF8900000100",
        "80E2910006BF3E035C015A",
        "00C0000015",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("BF3E125A10{}", pki.eids[1])), "{out}");
    // profiles (an LPA-style command) takes it too.
    let (code, _, err) = veuicc(&["profiles", "--identity", s(&card2)]);
    assert_eq!(code, 0, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn default_seed_card1_is_the_embedded_identity() {
    let dir = temp_dir("cli-default");
    assert_eq!(veuicc(&["pki", "new", s(&dir)]).0, 0);
    let (_, with, _) = veuicc(&["demo", "--json", "--identity", s(&dir.join("card1"))]);
    let (_, without, _) = veuicc(&["demo", "--json"]);
    let eid = |j: &str| j.split("\"eid\":").nth(1).unwrap()[..34].to_string();
    assert_eq!(eid(&with), eid(&without));
    assert_eq!(eid(&without), format!("\"{}\"", veuicc::testkit::DEFAULT_EID));
    assert_eq!(TestPki::generate(DEFAULT_SEED, 1).eids[0].to_string(), veuicc::testkit::DEFAULT_EID);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn broken_identity_is_refused_naming_the_file() {
    let dir = temp_dir("cli-broken");
    assert_eq!(veuicc(&["pki", "new", s(&dir), "--seed", "3", "--cards", "2"]).0, 0);
    let card1 = dir.join("card1");
    // card2's key beside card1's certificate.
    std::fs::copy(dir.join("card2/euicc_sk.pem"), card1.join("euicc_sk.pem")).unwrap();
    let (code, _, err) = veuicc(&["demo", "--identity", s(&card1)]);
    assert_ne!(code, 0);
    assert!(err.contains("euicc_sk.pem") && err.contains("does not match"), "{err}");
    // A CI the EUM does not chain to (the DPauth certificate offered as a CI).
    let card2 = dir.join("card2");
    for f in ["ci.pem", "ci.der"] {
        std::fs::remove_file(card2.join(f)).unwrap();
    }
    std::fs::copy(dir.join("dpauth.pem"), card2.join("ci_other.pem")).unwrap();
    let (code, _, err) = veuicc(&["apdu", "--identity", s(&card2), "00A4040000"]);
    assert_ne!(code, 0);
    assert!(err.contains("ci_other.pem") && err.contains("CI"), "{err}");
    // Missing directory.
    let (code, _, err) = veuicc(&["demo", "--identity", s(&dir.join("nope"))]);
    assert_ne!(code, 0);
    assert!(err.contains("nope"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
