//! A complete download signed by the GSMA SGP.26 test SM-DP+ (DPauth/DPpb NIST keys)
//! into a veuicc card whose identity chains to the SGP.26 EUM and CI.
//! Needs `VEUICC_SHARED`; without it the test says how to enable it and passes.
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
use std::sync::Arc;
use veuicc::Card;
use veuicc::platform::Parts;
use veuicc::store::{MemStorage, ProfileState};
use veuicc::testkit::lpa::download;
use veuicc::testkit::pki::load_identity_files;
use veuicc::testkit::smdp::{ProfileToInstall, SmdpKeys, TestSmdp};
use veuicc::testkit::{DetRng, Es10Client, ManualClock};

#[test]
fn sgp26_smdp_installs_into_a_card_of_the_sgp26_eum() {
    let Some(shared) = support::shared("download with the GSMA SGP.26 test PKI") else {
        return;
    };
    let f = |p: &str| PathBuf::from(&shared).join("fixtures").join(p);
    let identity = load_identity_files(
        &f("veuicc/card1_euicc.der"),
        &f("veuicc/card1_euicc_sk.pem"),
        &f("sgp26/eum_nist.der"),
        &[f("sgp26/ci_nist.der")],
    )
    .unwrap();
    assert_eq!(identity.eid().to_string(), "89049032000010000000000000000146");
    let config = identity.card_config();
    let platform = Parts { storage: MemStorage::new(), rng: DetRng::new(1), clock: ManualClock::default() };
    let mut card = Card::with_identity(config, Arc::new(identity), platform).unwrap();
    let keys = SmdpKeys::from_files(
        &f("sgp26/ci_nist.der"),
        &f("sgp26/dpauth_nist.der"),
        &f("sgp26/dpauth_nist_sk.pem"),
        &f("sgp26/dppb_nist.der"),
        &f("sgp26/dppb_nist_sk.pem"),
    )
    .unwrap();
    let mut smdp = TestSmdp::with_keys(keys, "testsmdpplus1.example.com", 7);
    let iccid = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14];
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let installed = download(&mut lpa, &mut smdp, &ProfileToInstall::sample(iccid, 6000)).unwrap();
    lpa.close().unwrap();
    assert_eq!(installed.isdp_aid[14], 0x10);
    let p = &card.state().profiles[0];
    assert_eq!((p.iccid.as_ref(), p.state), (&iccid[..], ProfileState::Disabled));
    // The PIR names the SM-DP+ OID of the SGP.26 DPpb certificate, 2.999.10 (88 37 0A).
    let pir = &installed.pir;
    assert!(pir.windows(5).any(|w| w == [0x06, 0x03, 0x88, 0x37, 0x0A]), "smdpOid in the PIR");
}
