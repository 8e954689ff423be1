//! The enabled profile's security, over APDUs on the test kit's package (PIN1 `0000` enabled,
//! 3 tries, PUK1 `12345678`, 10 tries; ADM1 `55555555`; PIN2 `81` `9999`; Milenage K = 00…0F,
//! OPc = 0; EF.ARR: EF.IMSI readable with PIN1, updatable with ADM1): every access-condition
//! and PIN-counter path, persistence of counters and SQN over power cycles, SQN
//! resynchronisation, the GSM class, and power cuts at every write of UPDATE, VERIFY and
//! AUTHENTICATE.
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
use support::{hex, hexs, sim_card, tx};

use veuicc::crypto::rustcrypto::RustCrypto;
use veuicc::sim::milenage::Milenage;
use veuicc::testkit::TestCard;
use veuicc::testkit::saip::{TestProfile, encode_imsi};
use veuicc::testkit::tearing::{TearingStorage, tear_every_write};

fn package() -> Vec<u8> {
    TestProfile::new(hex("98001032547698103214").try_into().unwrap()).to_der()
}

fn sw(card: &mut TestCard, apdu: &str) -> u16 {
    tx(card, apdu).1
}

/// `digits` padded with `FF` to 8 bytes, hex.
fn pin(digits: &str) -> String {
    let mut b = digits.as_bytes().to_vec();
    b.resize(8, 0xFF);
    hexs(&b)
}

const USIM: &str = "00A4040C07A0000000871002";

/// After reset: USIM selected.
fn fresh(card: &mut TestCard) {
    card.reset();
    assert_eq!(sw(card, USIM), 0x9000);
}

#[test]
fn access_conditions_follow_ef_arr_and_the_pins() {
    let mut card = sim_card(&[package()]);
    fresh(&mut card);
    // EF.IMSI: read needs PIN1, update needs ADM1.
    assert_eq!(sw(&mut card, "00A4000C026F07"), 0x9000, "SELECT is free");
    assert_eq!(sw(&mut card, "00B0000009"), 0x6982);
    assert_eq!(sw(&mut card, "00B0870009"), 0x6982, "by SFI too");
    assert_eq!(sw(&mut card, &format!("00200001 08 {}", pin("0000"))), 0x9000);
    let (imsi, s) = tx(&mut card, "00B0000009");
    assert_eq!((hexs(&imsi), s), (hexs(&encode_imsi("001010123456063")), 0x9000));
    let new_imsi = "082905000000000010";
    assert_eq!(sw(&mut card, &format!("00D6000009{new_imsi}")), 0x6982, "PIN1 does not grant ADM's update");
    assert_eq!(sw(&mut card, &format!("0020000A08{}", pin("55555555"))), 0x9000);
    assert_eq!(sw(&mut card, &format!("00D6000009{new_imsi}")), 0x9000);
    assert_eq!(hexs(&tx(&mut card, "00B0000009").0), new_imsi);
    // A reset forgets every verification; the update stays.
    fresh(&mut card);
    assert_eq!(sw(&mut card, "00A4000C026F07"), 0x9000);
    assert_eq!(sw(&mut card, "00B0000009"), 0x6982);
    assert_eq!(sw(&mut card, &format!("0020000108{}", pin("0000"))), 0x9000);
    assert_eq!(hexs(&tx(&mut card, "00B0000009").0), new_imsi);
    // EF.ICCID under the MF is always readable.
    card.reset();
    assert_eq!(sw(&mut card, "00A4000C022FE2"), 0x9000);
    assert_eq!(sw(&mut card, "00B000000A"), 0x9000);
    // GSM class: 9804 for a condition not met.
    card.reset();
    assert_eq!(sw(&mut card, USIM), 0x9000);
    assert_eq!(sw(&mut card, "00A4000C026F07"), 0x9000);
    assert_eq!(sw(&mut card, "A0B0000009"), 0x9804);
}

#[test]
fn pin_counters_block_unblock_and_persist() {
    let mut card = sim_card(&[package()]);
    fresh(&mut card);
    assert_eq!(sw(&mut card, "0020000100"), 0x63C3);
    assert_eq!(sw(&mut card, &format!("0020000108{}", pin("1111"))), 0x63C2);
    // The counter is stored: a power cycle keeps it.
    card.power_off();
    card.power_on();
    assert_eq!(sw(&mut card, "0020000100"), 0x63C2);
    assert_eq!(sw(&mut card, &format!("0020000108{}", pin("1111"))), 0x63C1);
    assert_eq!(sw(&mut card, &format!("0020000108{}", pin("1111"))), 0x63C0);
    assert_eq!(sw(&mut card, &format!("0020000108{}", pin("0000"))), 0x6983, "blocked: even the right PIN");
    card.power_off();
    card.power_on();
    assert_eq!(sw(&mut card, "0020000100"), 0x6983);
    // Shapes: bad lengths, P1, unknown references.
    assert_eq!(sw(&mut card, "0020000104 30303030"), 0x6700);
    assert_eq!(sw(&mut card, &format!("0020010108{}", pin("0000"))), 0x6B00);
    assert_eq!(sw(&mut card, &format!("0020000208{}", pin("0000"))), 0x6A88);
    assert_eq!(sw(&mut card, &format!("0020000908{}", pin("0000"))), 0x6A86);
    // UNBLOCK: query, a wrong PUK, the right one with a new PIN.
    assert_eq!(sw(&mut card, "002C000100"), 0x63CA);
    assert_eq!(sw(&mut card, &format!("002C000110{}{}", pin("87654321"), pin("2468"))), 0x63C9);
    card.power_off();
    card.power_on();
    assert_eq!(sw(&mut card, "002C000100"), 0x63C9);
    assert_eq!(sw(&mut card, &format!("002C000110{}{}", pin("12345678"), pin("2468"))), 0x9000);
    assert_eq!(sw(&mut card, "002C000100"), 0x63CA, "a good PUK restores its counter");
    card.power_off();
    card.power_on();
    assert_eq!(sw(&mut card, "0020000100"), 0x63C3);
    assert_eq!(sw(&mut card, &format!("0020000108{}", pin("0000"))), 0x63C2, "the old PIN is gone");
    assert_eq!(sw(&mut card, &format!("0020000108{}", pin("2468"))), 0x9000);
    // CHANGE, then DISABLE: a disabled PIN fulfils its conditions, the FCP shows it.
    assert_eq!(sw(&mut card, &format!("0024000110{}{}", pin("2468"), pin("1357"))), 0x9000);
    let ps_do = |card: &mut TestCard| {
        card.reset();
        let (fcp, s) = tx(card, "00A40004023F0000");
        assert_eq!(s, 0x9000);
        let at = fcp.windows(2).position(|w| w == [0x90, 0x01]).unwrap();
        fcp[at + 2]
    };
    assert_eq!(ps_do(&mut card) & 0x80, 0x80, "PIN1 enabled");
    card.power_off();
    card.power_on();
    assert_eq!(sw(&mut card, &format!("0026000108{}", pin("2468"))), 0x63C2);
    assert_eq!(sw(&mut card, &format!("0026000108{}", pin("1357"))), 0x9000);
    assert_eq!(sw(&mut card, &format!("0026000108{}", pin("1357"))), 0x6985, "already disabled");
    assert_eq!(sw(&mut card, &format!("0024000110{}{}", pin("1357"), pin("1111"))), 0x6984, "CHANGE of a disabled PIN");
    assert_eq!(ps_do(&mut card) & 0x80, 0x00, "PIN1 disabled");
    card.power_off();
    card.power_on();
    assert_eq!(sw(&mut card, "0020000100"), 0x9000, "no verification needed");
    assert_eq!(sw(&mut card, USIM), 0x9000);
    assert_eq!(sw(&mut card, "00A4000C026F07"), 0x9000);
    assert_eq!(sw(&mut card, "00B0000009"), 0x9000);
    // DISABLE with P1 80 (replace by the universal PIN) is not supported; ENABLE brings PIN1 back.
    assert_eq!(sw(&mut card, &format!("0026800108{}", pin("1357"))), 0x6A81);
    assert_eq!(sw(&mut card, &format!("0028000108{}", pin("1357"))), 0x9000);
    fresh(&mut card);
    assert_eq!(sw(&mut card, "00A4000C026F07"), 0x9000);
    assert_eq!(sw(&mut card, "00B0000009"), 0x6982);
    // The local PIN2 (81) lives in the USIM: not found outside it.
    card.reset();
    assert_eq!(sw(&mut card, "0020008100"), 0x6A88);
    assert_eq!(sw(&mut card, USIM), 0x9000);
    assert_eq!(sw(&mut card, "0020008100"), 0x63C3);
    assert_eq!(sw(&mut card, &format!("0020008108{}", pin("9999"))), 0x9000);
    // GSM: VERIFY CHV1 wrong → 9804, blocked → 9840.
    card.reset();
    for _ in 0..2 {
        assert_eq!(sw(&mut card, &format!("A020000108{}", pin("9999"))), 0x9804);
    }
    assert_eq!(sw(&mut card, &format!("A020000108{}", pin("9999"))), 0x9840, "the last try");
    assert_eq!(sw(&mut card, &format!("A020000108{}", pin("1357"))), 0x9840);
}

/// The network side: AUTN for `sqn` (Milenage, the test kit's keys).
fn autn(rand: &[u8; 16], sqn: [u8; 6]) -> String {
    let crypto = RustCrypto;
    let m = Milenage::new(core::array::from_fn(|i| i as u8), [0; 16]);
    let ak = m.f2345(&crypto, rand).ak;
    let amf = [0x80, 0x00];
    let mut autn: Vec<u8> = sqn.iter().zip(ak.iter()).map(|(s, a)| s ^ a).collect();
    autn.extend_from_slice(&amf);
    autn.extend_from_slice(&m.f1(&crypto, rand, &sqn, &amf).0);
    hexs(&autn)
}

fn auth_apdu(rand: &[u8; 16], autn: &str) -> String {
    format!("008800812210{}10{autn}00", hexs(rand))
}

/// SQN_MS from an AUTS (`DC 0E AUTS`), checking MAC-S.
fn sqn_ms(rand: &[u8; 16], data: &[u8]) -> [u8; 6] {
    assert_eq!(&data[..2], &[0xDC, 0x0E], "{}", hexs(data));
    let crypto = RustCrypto;
    let m = Milenage::new(core::array::from_fn(|i| i as u8), [0; 16]);
    let ak_s = m.f5_star(&crypto, rand);
    let ms: [u8; 6] = core::array::from_fn(|i| data[2 + i] ^ ak_s[i]);
    assert_eq!(data[8..16], m.f1(&crypto, rand, &ms, &[0, 0]).1, "MAC-S");
    ms
}

#[test]
fn authenticate_checks_pin_mac_and_sqn_and_resynchronises() {
    let mut card = sim_card(&[package()]);
    card.reset();
    let rand = [0x5Au8; 16];
    let sqn = |seq: u64, ind: u8| -> [u8; 6] { ((seq << 5) | u64::from(ind)).to_be_bytes()[2..].try_into().unwrap() };
    // No application selected, then no PIN.
    assert_eq!(sw(&mut card, &auth_apdu(&rand, &autn(&rand, sqn(1, 0)))), 0x6985);
    assert_eq!(sw(&mut card, USIM), 0x9000);
    assert_eq!(sw(&mut card, &auth_apdu(&rand, &autn(&rand, sqn(1, 0)))), 0x6982);
    assert_eq!(sw(&mut card, &format!("0020000108{}", pin("0000"))), 0x9000);
    // Shapes: P2 (context), lengths, tags.
    assert_eq!(sw(&mut card, &format!("008800822210{}10{}00", hexs(&rand), autn(&rand, sqn(1, 0)))), 0x6A86);
    assert_eq!(sw(&mut card, &format!("008800811110{}00", hexs(&rand))), 0x6700);
    assert_eq!(sw(&mut card, &format!("008800812211{}10{}00", hexs(&rand), autn(&rand, sqn(1, 0)))), 0x6A80);
    // Fresh: accepted; the response layout with Kc (the package's UST has service 27).
    let (data, s) = tx(&mut card, &auth_apdu(&rand, &autn(&rand, sqn(5, 3))));
    assert_eq!(s, 0x9000);
    assert_eq!((data[0], data[1], data[10], data[27], data[44], data.len()), (0xDB, 8, 0x10, 0x10, 0x08, 53));
    // A MAC failure changes nothing.
    let mut bad = hex(&autn(&rand, sqn(6, 3)));
    bad[15] ^= 0x80;
    assert_eq!(sw(&mut card, &auth_apdu(&rand, &hexs(&bad))), 0x9862);
    // Replay (same IND, same SEQ) and a lower SEQ on that IND: AUTS carrying SQN_MS.
    for seq in [5, 4] {
        let (data, s) = tx(&mut card, &auth_apdu(&rand, &autn(&rand, sqn(seq, 3))));
        assert_eq!(s, 0x9000);
        assert_eq!(sqn_ms(&rand, &data), sqn(5, 3));
    }
    // Another IND with a lower SEQ is fresh (the array scheme).
    assert_eq!(tx(&mut card, &auth_apdu(&rand, &autn(&rand, sqn(2, 7)))).0[0], 0xDB);
    // Beyond Δ (2^28 SEQ steps above SQN_MS): refused with AUTS.
    let (data, _) = tx(&mut card, &auth_apdu(&rand, &autn(&rand, sqn(5 + (1 << 28) + 1, 1))));
    assert_eq!(sqn_ms(&rand, &data), sqn(5, 3));
    // The SQN array survives a power cycle.
    card.power_off();
    card.power_on();
    assert_eq!(sw(&mut card, USIM), 0x9000);
    assert_eq!(sw(&mut card, &format!("0020000108{}", pin("0000"))), 0x9000);
    let (data, _) = tx(&mut card, &auth_apdu(&rand, &autn(&rand, sqn(5, 3))));
    let ms = sqn_ms(&rand, &data);
    // Resynchronisation: the network continues from SQN_MS (next SEQ) and is accepted.
    let next = (u64::from_be_bytes([0, 0, ms[0], ms[1], ms[2], ms[3], ms[4], ms[5]]) >> 5) + 1;
    assert_eq!(tx(&mut card, &auth_apdu(&rand, &autn(&rand, sqn(next, 3)))).0[0], 0xDB);
    // GSM context from the 3G keys: 04 SRES 08 Kc = c2(RES), c3(CK, IK).
    let (gsm, s) = tx(&mut card, &format!("008800801110{}00", hexs(&rand)));
    assert_eq!(s, 0x9000);
    let crypto = RustCrypto;
    let o = Milenage::new(core::array::from_fn(|i| i as u8), [0; 16]).f2345(&crypto, &rand);
    let sres: Vec<u8> = (0..4).map(|i| o.res[i] ^ o.res[i + 4]).collect();
    let kc: Vec<u8> = (0..8).map(|i| o.ck[i] ^ o.ck[i + 8] ^ o.ik[i] ^ o.ik[i + 8]).collect();
    assert_eq!(hexs(&gsm), format!("04{}08{}", hexs(&sres), hexs(&kc)));
    // RUN GSM ALGORITHM (class A0): SRES ‖ Kc through 9F0C + GET RESPONSE.
    assert_eq!(sw(&mut card, &format!("A088000010{}", hexs(&rand))), 0x9F0C);
    let (r, s) = tx(&mut card, "A0C000000C");
    assert_eq!((hexs(&r), s), (format!("{}{}", hexs(&sres), hexs(&kc)), 0x9000));
}

/// A TearingStorage holding the test kit's package, enabled.
fn tearing_start() -> TearingStorage {
    let mut storage = TearingStorage::new();
    support::sim_install(&mut storage, &[package()]);
    storage
}

#[test]
fn power_cuts_at_every_write_of_sim_commands_leave_before_or_after() {
    let config = veuicc::testkit::default_config();
    let start = tearing_start();
    let prelude = |card: &mut veuicc::card::Card<veuicc::testkit::tearing::TearingPlatform>| {
        card.reset();
        card.transmit(&hex(USIM));
        card.transmit(&hex(&format!("0020000108{}", pin("0000"))));
    };
    // UPDATE BINARY of EF.LOCI.
    let r = tear_every_write(&config, &start, |card| {
        prelude(card);
        card.transmit(&hex("00A4000C026F7E"));
        card.transmit(&hex("00D600000B1122334400F1100001FF00"));
    })
    .unwrap();
    assert!(r.ops > 0 && r.landed > 0, "{r:?}");
    // A wrong VERIFY (the counter).
    let r = tear_every_write(&config, &start, |card| {
        card.reset();
        card.transmit(&hex(&format!("0020000108{}", pin("1111"))));
    })
    .unwrap();
    assert!(r.landed > 0, "{r:?}");
    // AUTHENTICATE (the SQN array).
    let rand = [0x11u8; 16];
    let apdu = auth_apdu(&rand, &autn(&rand, [0, 0, 0, 0, 0, 0x41]));
    let r = tear_every_write(&config, &start, |card| {
        prelude(card);
        card.transmit(&hex(&apdu));
    })
    .unwrap();
    assert!(r.landed > 0, "{r:?}");
}

#[test]
fn traces_mask_pins_and_authenticate_outputs() {
    use veuicc::host::trace::Trace;
    let dir = std::env::temp_dir().join(format!("veuicc-trace-mask-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut card = sim_card(&[package()]);
    card.reset();
    let verify = hex(&format!("0020000108{}", pin("0000")));
    let rand = [0x33u8; 16];
    let auth = hex(&auth_apdu(&rand, &autn(&rand, [0, 0, 0, 0, 0, 0x61])));
    card.transmit(&hex(USIM));
    let verified = card.transmit(&verify);
    let answer = card.transmit(&auth);
    assert_eq!(&answer[..2], &[0xDB, 0x08]);
    for (name, secrets) in [("masked", false), ("clear", true)] {
        let path = dir.join(name);
        let t = Trace::create(&path, "test").unwrap();
        let mut trace = Some(if secrets { t.with_secrets() } else { t });
        Trace::exchange(&mut trace, &verify, &verified);
        Trace::exchange(&mut trace, &auth, &answer);
        drop(trace);
        let text = std::fs::read_to_string(&path).unwrap();
        let pin_hex = hexs(&hex(&pin("0000")));
        let res_hex = hexs(&answer[2..10]);
        assert_eq!(text.contains(&pin_hex), secrets, "{name}: {text}");
        assert_eq!(text.contains(&res_hex), secrets, "{name}: {text}");
        if !secrets {
            assert!(text.contains("> 0020000108FFFFFFFFFFFFFFFF\n"), "{text}");
            assert!(text.contains(&format!("< DB{}9000\n", "..".repeat(answer.len() - 3))), "{text}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
