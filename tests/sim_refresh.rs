//! Profile switching as a modem sees it: the SIM is latched at reset, a disabled profile's
//! files are unreachable at once, an enabled one appears after the reset; with a toolkit
//! terminal (TERMINAL PROFILE with REFRESH) the card asks for that reset with a proactive
//! REFRESH ("eUICC Profile State Change": `91 0B`, FETCH, TERMINAL RESPONSE, `catBusy` in
//! between); without one the adapter's reset request stays.
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
use support::{hex, sim_card, tx};

use veuicc::asn1::rsp::ProfileIdentifier;
use veuicc::testkit::Es10Client;
use veuicc::testkit::TestCard;
use veuicc::testkit::saip::{TestProfile, encode_imsi};

/// Two profiles: slot 1 (enabled) IMSI 001010123456063, slot 2 IMSI 001010000000002.
fn two_profiles() -> (TestCard, [u8; 10]) {
    let first = TestProfile::new(hex("98001032547698103214").try_into().unwrap());
    let iccid2: [u8; 10] = hex("98001032547698103225").try_into().unwrap();
    let mut second = TestProfile::new(iccid2);
    second.imsi = "001010000000002".into();
    (sim_card(&[first.to_der(), second.to_der()]), iccid2)
}

/// The IMSI the modem reads after SELECT USIM + VERIFY PIN1.
fn imsi(card: &mut TestCard) -> (Vec<u8>, u16) {
    assert_eq!(tx(card, "00A4040C07A0000000871002").1, 0x9000);
    assert_eq!(tx(card, "002000010830303030FFFFFFFF").1, 0x9000);
    assert_eq!(tx(card, "00A4000C026F07").1, 0x9000);
    tx(card, "00B0000009")
}

/// ES10c.EnableProfile over the LPA's channel: the `enableResult`.
fn enable(card: &mut TestCard, iccid: &[u8; 10], refresh: bool) -> String {
    let mut lpa = Es10Client::open(&mut *card).unwrap();
    let r = lpa.enable_profile(ProfileIdentifier::Iccid(iccid.to_vec().into()), refresh).unwrap();
    lpa.close().unwrap();
    r.to_string()
}

#[test]
fn the_sim_switches_at_reset_and_a_disabled_profile_vanishes_at_once() {
    let (mut card, iccid2) = two_profiles();
    card.reset();
    assert_eq!(imsi(&mut card), (encode_imsi("001010123456063"), 0x9000));
    // Enable the second (the first is disabled by it): the old files are gone at once.
    assert_eq!(enable(&mut card, &iccid2, false), "0");
    assert_eq!(tx(&mut card, "00B0000009").1, 0x6D00, "no profile latched until the reset");
    assert_eq!(tx(&mut card, "00A4000C023F00").1, 0x6A82);
    assert!(!card.0.take_refresh_request());
    card.reset();
    assert_eq!(imsi(&mut card), (encode_imsi("001010000000002"), 0x9000));
}

#[test]
fn a_toolkit_terminal_gets_a_proactive_refresh() {
    let (mut card, iccid2) = two_profiles();
    card.reset();
    // The terminal announces REFRESH (byte 3, b8) in its TERMINAL PROFILE.
    assert_eq!(tx(&mut card, "8010000003FFFF80").1, 0x9000);
    assert_eq!(tx(&mut card, "80F2000C00").1, 0x9000, "nothing pending yet");
    assert_eq!(enable(&mut card, &iccid2, true), "0");
    assert!(!card.0.take_refresh_request(), "the toolkit refresh replaces the adapter reset");
    // STATUS polling on the basic channel gets 91 0B: a proactive command of 11 bytes.
    assert_eq!(tx(&mut card, "80F2000C00").1, 0x910B);
    // Enable, Disable and MemoryReset answer catBusy(5) during the session.
    let first: [u8; 10] = hex("98001032547698103214").try_into().unwrap();
    assert_eq!(enable(&mut card, &first, true), "5");
    // FETCH with the wrong Le, then the right one.
    assert_eq!(tx(&mut card, "8012000005").1, 0x6C0B);
    let (cmd, sw) = tx(&mut card, "801200000B");
    assert_eq!((cmd, sw), (hex("D009 810301 0109 82028182"), 0x9000));
    assert_eq!(tx(&mut card, "80F2000C00").1, 0x9000, "fetched: no more 91xx");
    // A TERMINAL RESPONSE for another command is refused; the right one ends the session.
    assert_eq!(tx(&mut card, "801400000C 810301 0200 82028281 830100").1, 0x6A80);
    assert_eq!(tx(&mut card, "801400000C 810301 0109 82028281 830100").1, 0x9000);
    assert_eq!(tx(&mut card, "801400000C 810301 0109 82028281 830100").1, 0x6985, "no session open");
    // The terminal resets the UICC: the new profile is the SIM.
    card.reset();
    assert_eq!(imsi(&mut card), (encode_imsi("001010000000002"), 0x9000));
    // After a reset without TERMINAL PROFILE: the adapter's reset request again.
    assert_eq!(enable(&mut card, &first, true), "0");
    assert!(card.0.take_refresh_request());
    assert_eq!(tx(&mut card, "80F2000C00").1, 0x9000);
}

#[test]
fn a_terminal_without_refresh_keeps_the_adapter_reset() {
    let (mut card, iccid2) = two_profiles();
    card.reset();
    assert_eq!(tx(&mut card, "8010000003FFFF7F").1, 0x9000);
    assert_eq!(enable(&mut card, &iccid2, true), "0");
    assert!(card.0.take_refresh_request());
    assert_eq!(tx(&mut card, "80F2000C00").1, 0x9000);
    assert_eq!(tx(&mut card, "801200000B").1, 0x6985, "nothing to fetch");
    // Shapes.
    assert_eq!(tx(&mut card, "8010010003FFFFFF").1, 0x6A86);
    assert_eq!(tx(&mut card, "80100000").1, 0x6700);
}
