//! The ISO 7816-4 engine, byte for byte: status words, logical channels,
//! GET RESPONSE chaining, STORE DATA reassembly, robustness against any input.
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
use veuicc::card::{ATR, ISD_R_AID};
use veuicc::store::MemStorage;
use veuicc::testkit::{TestCard, default_config};

fn sw(r: &[u8]) -> u16 {
    u16::from_be_bytes([r[r.len() - 2], r[r.len() - 1]])
}

fn select_isdr(cla: u8) -> Vec<u8> {
    let mut apdu = vec![cla, 0xA4, 0x04, 0x00, 0x10];
    apdu.extend_from_slice(&ISD_R_AID);
    apdu
}

/// One `check(card, command, expected)` per row: exact response bytes.
fn check(card: &mut TestCard, command: &str, expected: &str) {
    let got = card.transmit(&hex(command));
    assert_eq!(got, hex(expected), "command {command}");
}

/// A card with the ISD-R selected on the basic channel.
fn card_with_isdr() -> TestCard {
    let mut card = TestCard::new(1);
    let r = card.transmit(&select_isdr(0x00));
    assert_eq!(r[0], 0x61);
    card
}

// ------------------------------------------------------------------ status words

#[test]
fn malformed_headers_get_6700() {
    let mut card = TestCard::new(1);
    check(&mut card, "", "6700");
    check(&mut card, "00", "6700");
    check(&mut card, "00A404", "6700");
    check(&mut card, "00A4040002AA", "6700"); // Lc = 2, one byte
    check(&mut card, "00A4040001AA0000", "6700"); // two trailing bytes
    check(&mut card, "00A404000000", "6700"); // 00 + one byte
}

#[test]
fn class_and_instruction_errors() {
    let mut card = TestCard::new(1);
    check(&mut card, "20A4040000", "6E00"); // RFU class
    check(&mut card, "A0A40000023F00", "6E00"); // GSM class
    check(&mut card, "FFA4040000", "6E00"); // PPS
    check(&mut card, "8070000001", "6E00"); // MANAGE CHANNEL under a proprietary class
    check(&mut card, "0061000000", "6D00"); // INS 6X is reserved for SW1
    check(&mut card, "00B0000000", "6D00"); // nothing selected: no file system yet
    check(&mut card, "0CA4040000", "6882"); // secure messaging bits
    check(&mut card, "60A4040000", "6882"); // SM in the further class
    check(&mut card, "10A4040000", "6884"); // command chaining
    check(&mut card, "01A4040000", "6881"); // channel 1 not open
    check(&mut card, "4FA4040000", "6881"); // channel 19 not open
}

#[test]
fn select_errors_and_answers() {
    let mut card = TestCard::new(1);
    check(&mut card, "00A4040005A000000000", "6A82"); // unknown AID
    check(&mut card, "00A4040002A000", "6A82"); // too short for an AID
    check(&mut card, "00A4050000", "6A86"); // P1 05 is no selection method
    check(&mut card, "00A40410 10 A0000005591010FFFFFFFF8900000100", "6A86"); // P2 10
    check(&mut card, "00A40000023F00", "6A82"); // no file system yet
    // FCI: 6F { 84 AID, A5 { 9F65 01 FF }, E0 { 82 03 020500 } }, fetched with GET RESPONSE.
    let fci = "6F1F 8410A0000005591010FFFFFFFF8900000100 A5049F6501FF E00582030205 00";
    check(&mut card, "00A4040010A0000005591010FFFFFFFF8900000100", "6121");
    check(&mut card, "00C0000021", &format!("{fci}9000"));
    // With Le the FCI comes directly; P2 0C returns nothing.
    check(&mut card, "00A4040010A0000005591010FFFFFFFF890000010000", &format!("{fci}9000"));
    check(&mut card, "00A4040C10A0000005591010FFFFFFFF8900000100", "9000");
    // Partial AID selection; ECASD.
    check(&mut card, "00A4040C0CA0000005591010FFFFFFFF89", "9000");
    check(
        &mut card,
        "00A4040010A0000005591010FFFFFFFF890000020000",
        "6F18 8410A0000005591010FFFFFFFF8900000200 A5049F6501FF 9000",
    );
    // The ECASD answers no STORE DATA.
    check(&mut card, "80E2910003BF2E00", "6D00");
}

#[test]
fn terminal_capability() {
    let mut card = TestCard::new(1);
    check(&mut card, "80AA00000AA9088100820101830107", "9000"); // what lpac sends first
    check(&mut card, "80AA0000020102", "6A80");
    check(&mut card, "80AA01000AA9088100820101830107", "6A86");
    check(&mut card, "00AA00000AA9088100820101830107", "6E00");
}

#[test]
fn get_response_errors() {
    let mut card = TestCard::new(1);
    check(&mut card, "00C0000010", "6985"); // nothing pending
    check(&mut card, "00A4040010A0000005591010FFFFFFFF8900000100", "6121");
    check(&mut card, "00C0000100", "6A86");
    check(&mut card, "00C00000", "6700"); // no Le
    // Any other command on the channel drops what was pending.
    check(&mut card, "80AA00000AA9088100820101830107", "9000");
    check(&mut card, "00C0000021", "6985");
}

// ------------------------------------------------------------------ channels

#[test]
fn channel_open_close_reuse_and_exhaustion() {
    let mut card = TestCard::new(1);
    for ch in 1..=19u8 {
        assert_eq!(card.transmit(&hex("0070000001")), [ch, 0x90, 0x00]);
    }
    check(&mut card, "0070000001", "6A81"); // no channel left
    check(&mut card, "0070800300", "9000"); // close 3
    check(&mut card, "0070800300", "6A86"); // already closed
    check(&mut card, "0070000001", "039000"); // lowest free channel again
    check(&mut card, "0070800000", "6A86"); // the basic channel cannot be closed
    check(&mut card, "0070801400", "6A86"); // there is no channel 20
    check(&mut card, "0070400000", "6A86"); // P1 40
    check(&mut card, "007000000100", "6700"); // data in MANAGE CHANNEL
    // Close from the channel itself (P2 = 00), with a further-class CLA (channel 5 = 41).
    check(&mut card, "4170800000", "9000");
    check(&mut card, "41A4040000", "6881");
}

#[test]
fn open_a_chosen_channel() {
    let mut card = TestCard::new(1);
    check(&mut card, "0070000700", "9000"); // open channel 7, no data
    check(&mut card, "0070000700", "6A86"); // already open
    check(&mut card, "0070001400", "6A86"); // 20 does not exist
    check(&mut card, "43A4040C10A0000005591010FFFFFFFF8900000100", "9000"); // CLA 43 = channel 7
    check(&mut card, "0070000001", "019000");
}

#[test]
fn each_channel_keeps_its_selection() {
    let mut card = TestCard::new(1);
    check(&mut card, "0070000001", "019000");
    check(&mut card, "0070000001", "029000");
    check(&mut card, "01A4040C10A0000005591010FFFFFFFF8900000100", "9000"); // ISD-R on 1
    check(&mut card, "02A4040C10A0000005591010FFFFFFFF8900000200", "9000"); // ECASD on 2
    // GetEUICCChallenge works on channel 1, not on 2 (ECASD) nor 0 (nothing).
    assert_eq!(card.transmit(&hex("81E2910003BF2E00"))[..2], [0x61, 0x15]);
    check(&mut card, "82E2910003BF2E00", "6D00");
    check(&mut card, "80E2910003BF2E00", "6D00");
    // A channel opened from channel 1 inherits the ISD-R; one opened from 0 has nothing.
    check(&mut card, "0170000001", "039000");
    assert_eq!(card.transmit(&hex("83E2910003BF2E00"))[..2], [0x61, 0x15]);
    check(&mut card, "0070000001", "049000");
    check(&mut card, "C0E2910003BF2E00", "6D00"); // channel 4 in the further proprietary class
    // Reset closes every channel.
    assert_eq!(card.reset(), ATR);
    check(&mut card, "81E2910003BF2E00", "6881");
}

// ------------------------------------------------------------------ GET RESPONSE chaining

/// A card whose EUICCInfo1 is long (30 CI keys) so that responses exceed 256 bytes.
fn card_with_long_info1() -> TestCard {
    let mut config = default_config();
    config.ci_pkids_verification = (0..30u8).map(|i| vec![i; 20]).collect();
    config.ci_pkids_signing = (0..30u8).map(|i| vec![0x80 | i; 20]).collect();
    let mut card = TestCard::with_config(config, MemStorage::new(), 1);
    card.transmit(&select_isdr(0x00));
    card
}

fn expected_info1() -> Vec<u8> {
    let mut ver = vec![];
    let mut sig = vec![];
    for i in 0..30u8 {
        ver.extend([0x04, 0x14]);
        ver.extend([i; 20]);
        sig.extend([0x04, 0x14]);
        sig.extend([0x80 | i; 20]);
    }
    // BF20 L { 82 03 020500, A9 82 0294 {…}, AA 82 0294 {…} }
    let mut body = hex("8203020500");
    body.extend(hex("A9820294"));
    body.extend(&ver);
    body.extend(hex("AA820294"));
    body.extend(&sig);
    let mut out = hex("BF20820535");
    assert_eq!(body.len(), 0x535);
    out.extend(body);
    out
}

#[test]
fn get_response_in_odd_pieces() {
    let expected = expected_info1();
    for le in [1usize, 7, 100, 255, 256] {
        let mut card = card_with_long_info1();
        let r = card.transmit(&hex("80E2910003BF2000")); // case 3: no data, only 61xx
        assert_eq!(r, [0x61, 0x00], "more than 256 bytes wait");
        let mut got = vec![];
        loop {
            let r = card.transmit(&[0x00, 0xC0, 0x00, 0x00, (le % 256) as u8]);
            let (data, status) = r.split_at(r.len() - 2);
            assert!(data.len() <= le, "Le {le}: got {} bytes", data.len());
            got.extend_from_slice(data);
            match status {
                [0x90, 0x00] => break,
                [0x61, n] => {
                    let remaining = expected.len() - got.len();
                    assert_eq!(usize::from(*n), remaining.min(256) % 256, "Le {le}: 61xx counts the rest");
                }
                other => panic!("Le {le}: unexpected SW {other:02X?}"),
            }
        }
        assert_eq!(got, expected, "Le {le}");
    }
}

#[test]
fn extended_le_takes_everything_and_short_le_is_capped() {
    let expected = expected_info1();
    let mut card = card_with_long_info1();
    // Case 4 extended: Lc 00 0003, Le 0000 (= 65536).
    let mut r = card.transmit(&hex("80E29100000003BF20000000"));
    assert_eq!(r.split_off(r.len() - 2), [0x90, 0x00]);
    assert_eq!(r, expected);
    // Case 4 short with Le 00 gets 256 bytes and 61 00.
    let r = card.transmit(&hex("80E2910003BF200000"));
    assert_eq!(r.len(), 258);
    assert_eq!(r[256..], [0x61, 0x00]);
    // GET RESPONSE with CLA 80 (lpac) and extended Le for the rest.
    let mut r = card.transmit(&hex("80C00000000000"));
    assert_eq!(r.split_off(r.len() - 2), [0x90, 0x00]);
    assert_eq!(r, expected[256..]);
}

// ------------------------------------------------------------------ STORE DATA reassembly

fn store_data(card: &mut TestCard, p1: u8, p2: u8, data: &[u8]) -> Vec<u8> {
    let mut apdu = vec![0x80, 0xE2, p1, p2, data.len() as u8];
    apdu.extend_from_slice(data);
    card.transmit(&apdu)
}

#[test]
fn store_data_in_blocks_of_every_size() {
    let get_eid = hex("BF3E035C015A");
    for size in 1..=get_eid.len() {
        let mut card = card_with_isdr();
        let blocks: Vec<&[u8]> = get_eid.chunks(size).collect();
        for (i, block) in blocks.iter().enumerate() {
            let last = i + 1 == blocks.len();
            let r = store_data(&mut card, if last { 0x91 } else { 0x11 }, i as u8, block);
            if last {
                assert_eq!(r, [0x61, 0x15], "block size {size}");
            } else {
                assert_eq!(r, [0x90, 0x00], "non-last blocks answer 9000 without data");
            }
        }
        check(&mut card, "00C0000015", "BF3E125A10899990010000100000000000000000389000");
    }
}

#[test]
fn store_data_out_of_order_resets_the_chain() {
    let mut card = card_with_isdr();
    assert_eq!(store_data(&mut card, 0x11, 0x00, &hex("BF3E")), [0x90, 0x00]);
    assert_eq!(store_data(&mut card, 0x91, 0x02, &hex("035C015A")), [0x6A, 0x86]); // block 1 skipped
    // The chain is gone: the continuation alone is a fresh (bad) first block.
    assert_eq!(store_data(&mut card, 0x91, 0x01, &hex("035C015A")), [0x6A, 0x86]);
    // A first block must be number 0.
    assert_eq!(store_data(&mut card, 0x11, 0x05, &hex("BF3E")), [0x6A, 0x86]);
    // Clean start works.
    assert_eq!(store_data(&mut card, 0x91, 0x00, &hex("BF3E035C015A")), [0x61, 0x15]);
}

/// Each channel keeps its own STORE DATA chain: a one-block command on channel 1 in the
/// middle of channel 0's chain is answered, and channel 0's chain goes on.
#[test]
fn store_data_interleaved_on_another_channel() {
    let mut card = card_with_isdr();
    check(&mut card, "0070000001", "019000");
    check(&mut card, "01A4040C10A0000005591010FFFFFFFF8900000100", "9000");
    assert_eq!(store_data(&mut card, 0x11, 0x00, &hex("BF3E")), [0x90, 0x00]);
    // A one-block GetEuiccChallenge on channel 1 in between: answered.
    assert_eq!(card.transmit(&hex("81E2910003BF2E00")), [0x61, 0x15]);
    // Channel 1 starts a chain of its own, channel 0 completes its GetEID, then channel 1.
    assert_eq!(card.transmit(&hex("81E2110002BF3E")), [0x90, 0x00]);
    assert_eq!(store_data(&mut card, 0x91, 0x01, &hex("035C015A")), [0x61, 0x15]);
    let eid = card.transmit(&hex("00C0000015"));
    assert_eq!(&eid[..5], hex("BF3E125A10"), "{eid:02X?}");
    assert_eq!(card.transmit(&hex("81E2910104035C015A")), [0x61, 0x15]);
    // An error on channel 1 drops channel 1's chain only.
    assert_eq!(store_data(&mut card, 0x11, 0x00, &hex("BF3E")), [0x90, 0x00]);
    assert_eq!(card.transmit(&hex("81E2110502BF3E")), [0x6A, 0x86]);
    assert_eq!(store_data(&mut card, 0x91, 0x01, &hex("035C015A")), [0x61, 0x15]);
}

#[test]
fn store_data_chain_dies_with_its_channel_or_selection() {
    let mut card = card_with_isdr();
    assert_eq!(store_data(&mut card, 0x11, 0x00, &hex("BF3E")), [0x90, 0x00]);
    check(&mut card, "00A4040C10A0000005591010FFFFFFFF8900000100", "9000"); // reselect
    assert_eq!(store_data(&mut card, 0x91, 0x01, &hex("035C015A")), [0x6A, 0x86]);
}

#[test]
fn store_data_oversize_and_bad_parameters() {
    let mut card = card_with_isdr();
    let block = [0u8; 255];
    let mut sw_seen = 0;
    for i in 0..=255u8 {
        let r = store_data(&mut card, 0x11, i, &block);
        if r != [0x90, 0x00] {
            sw_seen = sw(&r);
            assert!(usize::from(i) * 255 >= 32 * 1024 - 255, "refused too early at block {i}");
            break;
        }
    }
    assert_eq!(sw_seen, 0x6A84, "a command beyond the bound is refused");
    // The chain was reset: a fresh command works.
    assert_eq!(store_data(&mut card, 0x91, 0x00, &hex("BF3E035C015A")), [0x61, 0x15]);
    // P1 other than 11/91, empty data.
    assert_eq!(store_data(&mut card, 0x90, 0x00, &hex("BF3E035C015A")), [0x6A, 0x86]);
    assert_eq!(store_data(&mut card, 0x01, 0x00, &hex("BF3E035C015A")), [0x6A, 0x86]);
    check(&mut card, "80E29100", "6700");
    // ISO class for STORE DATA is not the ISD-R's.
    check(&mut card, "00E2910006BF3E035C015A", "6E00");
    check(&mut card, "80CA00FE00", "6D00");
}

#[test]
fn es10_decode_errors() {
    let mut card = card_with_isdr();
    check(&mut card, "80E2910003BF7F00", "6A88"); // no such ES10 function
    check(&mut card, "80E29100023000", "6A88");
    check(&mut card, "80E2910003BF3E05", "6A80"); // length beyond the data
    check(&mut card, "80E2910006BF3E035C025A", "6A80"); // inner length wrong
    check(&mut card, "80E2910006BF3E035C015B", "6A80"); // tagList must be 5A
    check(&mut card, "80E2910004BF3E0000", "6A80"); // trailing byte after the TLV
    check(&mut card, "80E2910001BF", "6A80"); // not even a tag
}

// ------------------------------------------------------------------ power

#[test]
fn power_cycle() {
    let mut card = card_with_isdr();
    card.power_off();
    check(&mut card, "00A4040010A0000005591010FFFFFFFF8900000100", "6F00"); // unpowered
    assert_eq!(card.power_on(), ATR);
    check(&mut card, "80E2910003BF2E00", "6D00"); // selection lost
}

// ------------------------------------------------------------------ any input

fn well_formed(r: &[u8]) -> bool {
    r.len() >= 2 && matches!(r[r.len() - 2], 0x61..=0x6F | 0x90..=0x9F)
}

fn still_answers(card: &mut TestCard) {
    card.reset();
    let r = card.transmit(&select_isdr(0x00));
    assert_eq!(r, [0x61, 0x21]);
    assert_eq!(card.transmit(&hex("80E2910006BF3E035C015A")), [0x61, 0x15]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_get_a_well_formed_answer(apdu in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut card = card_with_isdr();
        let r = card.transmit(&apdu);
        prop_assert!(well_formed(&r), "{r:02X?}");
        still_answers(&mut card);
    }

    /// Sequences of plausible commands (right classes and INS, random rest) keep the card sane.
    #[test]
    fn command_sequences_keep_the_card_sane(
        cmds in proptest::collection::vec(
            (prop::sample::select(vec![0x00u8, 0x01, 0x02, 0x40, 0x80, 0x81, 0x82, 0xC0]),
             prop::sample::select(vec![0x70u8, 0xA4, 0xC0, 0xE2, 0xAA]),
             any::<u8>(), any::<u8>(),
             proptest::collection::vec(any::<u8>(), 0..40)),
            1..40)
    ) {
        let mut card = card_with_isdr();
        for (cla, ins, p1, p2, body) in cmds {
            let mut apdu = vec![cla, ins, p1, p2];
            apdu.extend(body);
            let r = card.transmit(&apdu);
            prop_assert!(well_formed(&r), "{apdu:02X?} -> {r:02X?}");
        }
        still_answers(&mut card);
    }
}
