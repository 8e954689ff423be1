//! A property test over the whole install path: the test kit's package, mutated at random,
//! downloaded through the test SM-DP+ and the LPA driver over APDUs. The card never panics
//! and never half-installs: either the download fails and the card holds no profile and no
//! package, or it succeeds and the installed profile, once enabled, is a SIM that answers
//! SELECT MF after reset.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

mod support;
use support::hex;

use proptest::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use veuicc::asn1::rsp::ProfileIdentifier;
use veuicc::store::Store;
use veuicc::testkit::lpa::download;
use veuicc::testkit::pki::default_pki;
use veuicc::testkit::saip::TestProfile;
use veuicc::testkit::smdp::{ProfileToInstall, TestSmdp};
use veuicc::testkit::{Es10Client, TestCard};

/// Refused / installed, over the run (printed by the last test below).
static OUTCOMES: [AtomicUsize; 2] = [AtomicUsize::new(0), AtomicUsize::new(0)];

fn packages_on(card: &mut TestCard) -> Vec<String> {
    let mut storage = card.storage().clone();
    let store = Store::open(&mut storage).unwrap();
    store.names().filter(|n| n.starts_with("u.")).map(str::to_string).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn a_mutated_package_installs_whole_or_not_at_all(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..4),
    ) {
        let original = TestProfile::new(hex("98001032547698103214").try_into().unwrap()).to_der();
        let mut upp = original.clone();
        for (at, byte, op) in edits {
            let i = at.index(upp.len());
            match op {
                0 => upp[i] = byte,
                1 => upp[i] ^= 1 << (byte % 8),
                2 => upp.insert(i, byte),
                _ => { upp.remove(i); }
            }
        }
        // The metadata an SM-DP+ made from the package before it was damaged: the card
        // receives the damaged one.
        let mut profile = ProfileToInstall::from_package(original).unwrap();
        profile.upp = upp;
        let mut card = TestCard::new(7);
        let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 11);
        let mut lpa = Es10Client::open(&mut card).unwrap();
        let result = download(&mut lpa, &mut smdp, &profile);
        let enabled = match &result {
            Ok(_) => {
                let id = ProfileIdentifier::Iccid(profile.metadata.iccid.to_vec().into());
                lpa.enable_profile(id, false).unwrap() == 0.into()
            }
            Err(_) => false,
        };
        lpa.close().unwrap();
        OUTCOMES[usize::from(result.is_ok())].fetch_add(1, Ordering::Relaxed);
        match result {
            Err(_) => {
                prop_assert!(card.0.state().profiles.is_empty(), "a refused package left a profile");
                prop_assert!(packages_on(&mut card).is_empty(), "a refused package left its bytes");
            }
            Ok(_) => {
                prop_assert_eq!(card.0.state().profiles.len(), 1);
                prop_assert_eq!(packages_on(&mut card).len(), 1);
                prop_assert!(enabled);
                card.reset();
                let r = card.transmit(&hex("00A4000C023F00"));
                prop_assert_eq!(r, vec![0x90, 0x00], "the installed profile is not a SIM");
            }
        }
    }
}

/// The property above must meet both outcomes, or one of its branches tests nothing: run
/// after it in the same process (proptest's cases are sequential within its test).
#[test]
fn both_outcomes_are_exercised() {
    // Run the property here too, so the counts exist whatever order the harness picks.
    a_mutated_package_installs_whole_or_not_at_all();
    let (refused, installed) = (OUTCOMES[0].load(Ordering::Relaxed), OUTCOMES[1].load(Ordering::Relaxed));
    assert!(refused > 0 && installed > 0, "refused {refused}, installed {installed}");
}
