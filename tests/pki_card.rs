//! A card built from an identity reports it: GetEID is the certificate's EID, EUICCInfo1/2 list
//! the trusted CIs' SubjectKeyIdentifiers (SGP.22 v2.5 §5.7.8) — generated PKI, several CIs, and
//! (with `VEUICC_SHARED`) the veuicc identity chained to the GSMA SGP.26 EUM.
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
use veuicc::identity::{EuiccSecretKey, Identity};
use veuicc::store::MemStorage;
use veuicc::testkit::pki::{TestPki, load_identity_files};
use veuicc::testkit::{Es10Client, TestCard, default_config};

/// EID, EUICCInfo1 verification list, EUICCInfo1 signing list, EUICCInfo2 verification list.
type Reported = ([u8; 16], Vec<Vec<u8>>, Vec<Vec<u8>>, Vec<Vec<u8>>);

fn reported(identity: &Identity) -> Reported {
    let card = TestCard::with_config(identity.card_config(), MemStorage::new(), 1);
    let mut client = Es10Client::open(card).unwrap();
    let eid = client.get_eid().unwrap();
    let info1 = client.get_euicc_info1().unwrap();
    let info2 = client.get_euicc_info2().unwrap();
    let list = |l: &[rasn::types::OctetString]| l.iter().map(|k| k.to_vec()).collect::<Vec<_>>();
    assert_eq!(list(&info1.euicc_ci_pkid_list_for_signing), list(&info2.euicc_ci_pkid_list_for_signing));
    (
        eid,
        list(&info1.euicc_ci_pkid_list_for_verification),
        list(&info1.euicc_ci_pkid_list_for_signing),
        list(&info2.euicc_ci_pkid_list_for_verification),
    )
}

#[test]
fn generated_identity_is_reported() {
    let pki = TestPki::generate(21, 1);
    let other = TestPki::generate(22, 0);
    let key = EuiccSecretKey::from_signing_key(pki.cards[0].key.clone());
    let id = Identity::new(key, pki.cards[0].der.clone(), pki.eum.der.clone(), &[&pki.ci.der, &other.ci.der]).unwrap();
    let (eid, verification, signing, verification2) = reported(&id);
    assert_eq!(&eid, pki.eids[0].as_bytes());
    assert_eq!(verification, vec![pki.ci_ski(), other.ci_ski()]);
    assert_eq!(verification2, verification);
    assert_eq!(signing, vec![pki.ci_ski()]);
}

#[test]
fn default_card_reports_the_embedded_identity() {
    let config = default_config();
    let id = veuicc::testkit::pki::default_identity();
    assert_eq!(config.ci_pkids_verification, id.ci_pkids_verification());
    let (eid, verification, signing, _) = reported(&id);
    assert_eq!(eid, *config.eid.as_bytes());
    assert_eq!(verification, vec![veuicc::testkit::pki::default_pki().ci_ski()]);
    assert_eq!(signing, verification);
}

#[test]
fn sgp26_chained_identity_is_reported() {
    let Some(shared) = support::shared("load the SGP.26-chained identity") else {
        return;
    };
    let f = PathBuf::from(shared).join("fixtures");
    let id = load_identity_files(
        &f.join("veuicc/card1_euicc.pem"),
        &f.join("veuicc/card1_euicc_sk.pem"),
        &f.join("sgp26/eum_nist.pem"),
        &[f.join("sgp26/ci_nist.pem")],
    )
    .unwrap();
    let (eid, verification, signing, _) = reported(&id);
    assert_eq!(veuicc::Eid::from_bytes(eid).unwrap().to_string(), "89049032000010000000000000000146");
    let ski: Vec<u8> = (0..20)
        .map(|i| u8::from_str_radix(&"f54172bdf98a95d65cbeb88a38a1c11d800a85c3"[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    assert_eq!(verification, vec![ski.clone()]);
    assert_eq!(signing, vec![ski]);
}
