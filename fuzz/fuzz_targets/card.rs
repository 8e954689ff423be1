//! APDU sequences and power events into one card. After each APDU the reply is a
//! well-formed R-APDU; at the end the card still answers SELECT ISD-R and GetEID.
//!
//! Input: repeated `selector, [len, apdu bytes…]`; selector % 16 == 0 power-cycles,
//! == 1 resets, == 3 takes a two-byte (big-endian) `len` (the seeds made from `apdu-traces/`,
//! `tests/replay.rs`, use it for BPP blocks), otherwise the next `len` (one byte) bytes are one APDU.
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

fuzz_target!(|data: &[u8]| {
    let mut card = TestCard::new(0);
    let back = drive(&mut card, data, |apdu, r| assert!(well_formed(r), "{apdu:02X?} -> {r:02X?}"));
    assert!(back, "the card must come back");
    card.reset();
    let r = card.transmit(&SELECT_ISDR);
    assert!(r.len() == 2 && r[0] == 0x61, "SELECT ISD-R -> {r:02X?}");
    let r = card.transmit(&[0x80, 0xE2, 0x91, 0x00, 0x06, 0xBF, 0x3E, 0x03, 0x5C, 0x01, 0x5A]);
    assert_eq!(r, [0x61, 0x15], "GetEID");
});
