//! APDU sequences and power events into a card whose enabled profile is the test kit's
//! package: the SIM application (files, PINs, AUTHENTICATE, toolkit) never panics, every
//! reply is a well-formed R-APDU, and after any sequence the card still starts from its
//! storage and answers SELECT MF and the USIM (while a profile is enabled).
//!
//! Input: as the `card` target (`testkit::drive`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use veuicc::store::MemStorage;
use veuicc::testkit::{TestCard, default_config, drive, install_profiles, saip::TestProfile};

fn storage() -> MemStorage {
    static START: OnceLock<MemStorage> = OnceLock::new();
    START
        .get_or_init(|| {
            let iccid = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14];
            let mut storage = MemStorage::new();
            install_profiles(&mut storage, &[TestProfile::new(iccid).to_der()]).unwrap();
            storage
        })
        .clone()
}

fn well_formed(r: &[u8]) -> bool {
    r.len() >= 2 && matches!(r[r.len() - 2], 0x61..=0x6F | 0x90..=0x9F)
}

fuzz_target!(|data: &[u8]| {
    let mut card = TestCard::with_config(default_config(), storage(), 0);
    card.reset();
    let back = drive(&mut card, data, |apdu, r| assert!(well_formed(r), "{apdu:02X?} -> {r:02X?}"));
    assert!(back, "the card must come back");
    card.power_off();
    assert!(!card.power_on().is_empty(), "the card must start from what it wrote");
    // The ISD-R is reachable over APDUs too: the input may have disabled or deleted the profile.
    let enabled = card.0.state().profiles.iter().any(|p| p.enabled_on().is_some());
    let want: &[u8] = if enabled { &[0x90, 0x00] } else { &[0x6A, 0x82] };
    let r = card.transmit(&[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00]);
    assert_eq!(r, want, "SELECT MF");
    let r = card.transmit(&[0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02]);
    assert_eq!(r, want, "SELECT USIM");
});
