//! The enabled profile is a UICC: after enable + reset the card answers file SELECT, READ /
//! UPDATE BINARY and RECORD, SEARCH RECORD, INCREASE, STATUS and the GSM class on the file
//! system the package defines; updates persist atomically; a disabled profile's files are
//! unreachable; enabling another switches the files after reset.
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
use support::{hex, hexs, tx};

use support::sim_card as card_with;
use veuicc::testkit::TestCard;
use veuicc::testkit::saip::{TestProfile, encode_imsi};

/// Like [`tx`], requiring `9000`.
fn ok(card: &mut TestCard, apdu: &str) -> Vec<u8> {
    let (data, sw) = tx(card, apdu);
    assert_eq!(sw, 0x9000, "{apdu}: {sw:04X}");
    data
}

fn test_package() -> (TestProfile, Vec<u8>) {
    let p = TestProfile::new(hex("98001032547698103214").try_into().unwrap());
    let der = p.to_der();
    (p, der)
}

#[test]
fn start_up_reads_what_the_package_defines() {
    let (p, upp) = test_package();
    let mut card = card_with(&[upp]);
    card.reset();
    // SELECT MF, FCP.
    let fcp = ok(&mut card, "00A40004023F00 00");
    assert_eq!(&fcp[..2], &[0x62, fcp.len() as u8 - 2]);
    assert!(fcp.windows(4).any(|w| w == [0x82, 0x02, 0x78, 0x21]), "{fcp:02X?}");
    assert!(fcp.windows(4).any(|w| w == [0x83, 0x02, 0x3F, 0x00]), "{fcp:02X?}");
    // EF.ICCID.
    ok(&mut card, "00A4000C022FE2");
    assert_eq!(ok(&mut card, "00B000000A"), hex("98001032547698103214"));
    // EF.DIR record 1: the USIM.
    ok(&mut card, "00A4000C022F00");
    let rec = ok(&mut card, "00B2010400");
    assert_eq!(rec[0], 0x61, "{rec:02X?}");
    let aid = rec[4..4 + rec[3] as usize].to_vec();
    // SELECT ADF.USIM by a partial AID (7 bytes).
    let fcp = ok(&mut card, &format!("00A40404 07 {} 00", hexs(&aid[..7])));
    assert!(fcp.windows(aid.len()).any(|w| w == aid), "{fcp:02X?}");
    assert!(fcp.windows(4).any(|w| w == [0x83, 0x02, 0x7F, 0xFF]), "{fcp:02X?}");
    // EF.IMSI by FID, then by SFI 07: PIN1 first (the package leaves it enabled).
    ok(&mut card, "00A4000C026F07");
    assert_eq!(tx(&mut card, "00B0000009").1, 0x6982);
    assert_eq!(tx(&mut card, "0020000100").1, 0x63C3);
    ok(&mut card, "0020000108 30303030FFFFFFFF");
    assert_eq!(ok(&mut card, "00B0000009"), encode_imsi(&p.imsi));
    assert_eq!(ok(&mut card, "00B0870009"), encode_imsi(&p.imsi));
    // EF.AD: MNC length.
    ok(&mut card, "00A4000C026FAD");
    let ad = ok(&mut card, "00B0000000");
    assert_eq!(ad.last(), Some(&p.mnc_len), "{ad:02X?}");
    // 7FFF is the current ADF; path from the MF.
    let fcp = ok(&mut card, "00A40804047FFF6F07 00");
    assert!(fcp.windows(4).any(|w| w == [0x83, 0x02, 0x6F, 0x07]), "{fcp:02X?}");
}
