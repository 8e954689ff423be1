//! APDU sequences and power events into one card. After each APDU the reply is a
//! well-formed R-APDU; at the end the card still answers SELECT ISD-R and GetEID.
//!
//! Input: repeated `selector, [len, apdu bytes…]`; selector % 16 == 0 power-cycles,
//! == 1 resets, == 3 takes a two-byte (big-endian) `len` (the seeds made from `apdu-traces/`,
//! `tests/replay.rs`, use it for BPP blocks), otherwise the next `len` (one byte) bytes are one APDU.
//! The input's length picks the card: v2.5, or a v3 MEP card whose ports MANAGE LSI reaches.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veuicc::testkit::{TestCard, drive};

const SELECT_ISDR: [u8; 21] = [
    0x00, 0xA4, 0x04, 0x00, 0x10, 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00,
    0x01, 0x00,
];

fn well_formed(r: &[u8]) -> bool {
    r.len() >= 2 && matches!(r[r.len() - 2], 0x61..=0x6F | 0x90..=0x9F)
}

/// The card's personality, from the input's length (so the seeds' bytes keep their meaning):
/// v2.5, a v3 MEP-A1 card (MANAGE LSI, ports 0–2) or a v3 MEP-B card (ports 0–1).
fn card_for(data: &[u8]) -> TestCard {
    use veuicc::config::{Mep, MepMode, Sgp22Version};
    let mut config = veuicc::testkit::default_config();
    let mode = match data.len() % 3 {
        0 => return TestCard::new(0),
        1 => MepMode::A1,
        _ => MepMode::B,
    };
    config.sgp22 = Sgp22Version::V3_0;
    config.mep = Some(Mep { mode, ports: 2 });
    TestCard::with_config(config, veuicc::store::MemStorage::new(), 0)
}

fuzz_target!(|data: &[u8]| {
    let mut card = card_for(data);
    let back = drive(&mut card, data, |apdu, r| assert!(well_formed(r), "{apdu:02X?} -> {r:02X?}"));
    assert!(back, "the card must come back");
    card.reset();
    let r = card.transmit(&SELECT_ISDR);
    assert!(r.len() == 2 && r[0] == 0x61, "SELECT ISD-R -> {r:02X?}");
    let r = card.transmit(&[0x80, 0xE2, 0x91, 0x00, 0x06, 0xBF, 0x3E, 0x03, 0x5C, 0x01, 0x5A]);
    assert_eq!(r, [0x61, 0x15], "GetEID");
});
