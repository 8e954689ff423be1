//! eSIM ports as logical SE interfaces (SGP.22 v3 MEP over ETSI TS 102 221 LSIs): each port
//! has its own channels, its own SIM (the profile enabled there) and its own toolkit; MANAGE
//! LSI addresses a port through one interface, [`Card::transmit_on`] addresses it directly
//! (a reader slot of its own); the ISD-R is on port 0 in MEP-A and on every port in MEP-B;
//! refresh reaches only the ports whose profile changed; the ATR says MEP.
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

use support::{disable_profile as disable, enable_profile as enable, hex, hexs};
use veuicc::card::{ATR, ISD_R_AID, MEP_ATR};
use veuicc::config::{Mep, MepMode, Sgp22Version};
use veuicc::store::{MemStorage, Port};
use veuicc::testkit::saip::{TestProfile, encode_imsi};
use veuicc::testkit::{TestCard, default_config, install_profiles_on};

const ICCIDS: [&str; 3] = ["98001032547698103214", "98001032547698103225", "98001032547698103236"];
const IMSIS: [&str; 3] = ["001010000000001", "001010000000002", "001010000000003"];

fn config(mode: MepMode, ports: u8) -> veuicc::CardConfig {
    let mut c = default_config();
    c.sgp22 = Sgp22Version::V3_0;
    c.mep = Some(Mep { mode, ports });
    c
}

/// Three profiles (IMSIs …001, …002, …003), enabled on the ports `on` names.
fn card(mode: MepMode, ports: u8, on: [Option<u8>; 3]) -> TestCard {
    let packages: Vec<Vec<u8>> = ICCIDS
        .iter()
        .zip(IMSIS)
        .map(|(iccid, imsi)| {
            let mut p = TestProfile::new(hex(iccid).try_into().unwrap());
            p.imsi = imsi.into();
            p.to_der()
        })
        .collect();
    let mut storage = MemStorage::new();
    install_profiles_on(&mut storage, &packages, &on).unwrap();
    TestCard::with_config(config(mode, ports), storage, 1)
}

/// One APDU on port `port`: (data, SW).
fn on(card: &mut TestCard, port: u8, apdu: &str) -> (Vec<u8>, u16) {
    let r = card.0.transmit_on(port, &hex(apdu));
    let (data, sw) = r.split_at(r.len() - 2);
    (data.to_vec(), u16::from_be_bytes([sw[0], sw[1]]))
}

fn sw(card: &mut TestCard, port: u8, apdu: &str) -> u16 {
    on(card, port, apdu).1
}

/// What a modem on `port` reads as its IMSI: SELECT USIM, VERIFY PIN1, SELECT and READ EF.IMSI.
fn imsi(card: &mut TestCard, port: u8) -> (Vec<u8>, u16) {
    let sw = sw(card, port, "00A4040C07A0000000871002");
    if sw != 0x9000 {
        return (Vec::new(), sw);
    }
    assert_eq!(on(card, port, "002000010830303030FFFFFFFF").1, 0x9000);
    assert_eq!(on(card, port, "00A4000C026F07").1, 0x9000);
    on(card, port, "00B0000009")
}

/// An ES10 command (hex DER) on a fresh logical channel of `port`: the response DER, or the SW.
fn es10_on(card: &mut TestCard, port: u8, der: &str) -> Result<String, u16> {
    let (ch, s) = on(card, port, "0070000001");
    assert_eq!(s, 0x9000);
    let cla = ch[0];
    let select = format!("{cla:02X}A4040010{}00", hexs(&ISD_R_AID));
    let s = sw(card, port, &select);
    let result = if s != 0x9000 && s >> 8 != 0x61 {
        Err(s)
    } else {
        let data = hex(der);
        let cmd = format!("{:02X}E29100{:02X}{der}00", 0x80 | cla, data.len());
        let (mut out, mut s) = on(card, port, &cmd);
        while s >> 8 == 0x61 {
            let (more, next) = on(card, port, &format!("{:02X}C00000{:02X}", 0x80 | cla, s & 0xFF));
            out.extend(more);
            s = next;
        }
        if s == 0x9000 { Ok(hexs(&out)) } else { Err(s) }
    };
    assert_eq!(sw(card, port, &format!("0070800{cla}00")), 0x9000);
    result
}

/// `BF31 { A0 { 5A iccid }, 81 01 refresh [, 82 01 port] }`.
fn port_of(card: &TestCard, iccid: &str) -> Option<u8> {
    card.0.state().profiles.iter().find(|p| hexs(&p.iccid) == iccid).and_then(|p| p.enabled_on()).map(|Port(n)| n)
}

#[test]
fn two_sims_answer_at_once_each_on_its_port() {
    let mut card = card(MepMode::A1, 2, [Some(1), Some(2), None]);
    assert_eq!(card.0.ports(), 3, "the ISD-R's port 0 and two profile ports");
    assert_eq!(imsi(&mut card, 1), (encode_imsi(IMSIS[0]), 0x9000));
    assert_eq!(imsi(&mut card, 2), (encode_imsi(IMSIS[1]), 0x9000));
    // Port 0 is the ISD-R's: no SIM there.
    assert_eq!(sw(&mut card, 0, "00A4000C023F00"), 0x6A82);
    assert_eq!(sw(&mut card, 0, "00A4040C07A0000000871002"), 0x6A82);
    // Interleaved: each port keeps its own selection (EF.IMSI on 1, the MF on 2).
    assert_eq!(sw(&mut card, 2, "00A4000C023F00"), 0x9000);
    assert_eq!(on(&mut card, 1, "00B0000009"), (encode_imsi(IMSIS[0]), 0x9000));
    assert_eq!(sw(&mut card, 2, "00B0000009"), 0x6986, "no EF selected on port 2");
    // Logical channels are per port: channel 1 opened on port 1 is not open on port 2.
    assert_eq!(on(&mut card, 1, "0070000001"), (vec![1], 0x9000));
    assert_eq!(sw(&mut card, 2, "01A4000C023F00"), 0x6881);
    assert_eq!(sw(&mut card, 1, "01A4000C023F00"), 0x9000);
    // A port the card does not have.
    assert_eq!(sw(&mut card, 3, "00A4000C023F00"), 0x6F00);
    // MANAGE LSI on the one interface: select port 2, then plain transmit goes there.
    assert_eq!(support::tx(&mut card, "807C0002"), (vec![], 0x9000));
    assert_eq!(card.0.current_port(), 2);
    assert_eq!(support::tx(&mut card, "00A4040C07A0000000871002").1, 0x9000);
    assert_eq!(support::tx(&mut card, "002000010830303030FFFFFFFF").1, 0x9000);
    assert_eq!(support::tx(&mut card, "00A4000C026F07").1, 0x9000);
    assert_eq!(support::tx(&mut card, "00B0000009"), (encode_imsi(IMSIS[1]), 0x9000));
    // A warm reset of the card resets every port and MANAGE LSI's choice.
    card.reset();
    assert_eq!(card.0.current_port(), 0);
}

#[test]
fn disabling_one_port_leaves_the_other_running() {
    let mut card = card(MepMode::A1, 2, [Some(1), Some(2), None]);
    assert_eq!(imsi(&mut card, 1).1, 0x9000);
    assert_eq!(imsi(&mut card, 2).1, 0x9000);
    assert_eq!(es10_on(&mut card, 0, &disable(ICCIDS[0], false)), Ok("BF3203800100".into()));
    // Port 1's files are gone at once; port 2 goes on without a reset.
    assert_eq!(sw(&mut card, 1, "00B0000009"), 0x6D00);
    assert_eq!(on(&mut card, 2, "00B0000009"), (encode_imsi(IMSIS[1]), 0x9000));
    // Enabling the third on port 1: it appears there after port 1's reset only.
    assert_eq!(es10_on(&mut card, 0, &enable(ICCIDS[2], false, Some(1))), Ok("BF3106800100810101".into()));
    assert_eq!(sw(&mut card, 1, "00A4040C07A0000000871002"), 0x6A82, "latched at the port's reset");
    card.0.reset_port(1);
    assert_eq!(imsi(&mut card, 1), (encode_imsi(IMSIS[2]), 0x9000));
    assert_eq!(on(&mut card, 2, "00B0000009"), (encode_imsi(IMSIS[1]), 0x9000), "port 2 kept its selection");
}

#[test]
fn refresh_reaches_only_the_port_whose_profile_changed() {
    let mut card = card(MepMode::A1, 2, [Some(1), Some(2), None]);
    // Both modems run a toolkit with REFRESH.
    for port in [1, 2] {
        assert_eq!(sw(&mut card, port, "8010000003FFFF80"), 0x9000);
    }
    assert_eq!(es10_on(&mut card, 0, &enable(ICCIDS[2], true, Some(2))), Ok("BF3106800100810102".into()));
    assert_eq!(card.0.take_refresh_ports(), 0, "the toolkit refresh replaces the adapter reset");
    assert_eq!(sw(&mut card, 1, "80F2000C00"), 0x9000, "port 1's profile did not change");
    assert_eq!(sw(&mut card, 2, "80F2000C00"), 0x910B);
    assert_eq!(on(&mut card, 2, "801200000B"), (hex("D009 810301 0109 82028182"), 0x9000));
    assert_eq!(sw(&mut card, 2, "801400000C810301010982028281830100"), 0x9000);
    // Without a toolkit on port 1, its refresh is the adapter's: port 1 alone.
    card.0.reset_port(1);
    assert_eq!(es10_on(&mut card, 0, &disable(ICCIDS[0], true)), Ok("BF3203800100".into()));
    assert_eq!(card.0.take_refresh_ports(), 1 << 1);
    // A MEP card's single-reader adapter still sees "a refresh is due".
    assert_eq!(es10_on(&mut card, 0, &enable(ICCIDS[0], true, Some(1))), Ok("BF3106800100810101".into()));
    assert!(card.0.take_refresh_request());
    assert!(!card.0.take_refresh_request());
}

#[test]
fn the_isd_r_is_on_port_0_in_mep_a_and_on_every_port_in_mep_b() {
    let mut a = card(MepMode::A2, 2, [None, None, None]);
    let select = format!("00A4040010{}00", hexs(&ISD_R_AID));
    assert_eq!(sw(&mut a, 0, &select), 0x9000);
    assert_eq!(sw(&mut a, 1, &select), 0x6A82);
    assert_eq!(sw(&mut a, 2, &select), 0x6A82);

    // MEP-B, ports 0 and 1: the ISD-R on both, and a profile is enabled on the port the
    // EnableProfile came on.
    let mut b = card(MepMode::B, 2, [None, None, None]);
    assert_eq!(b.0.ports(), 2);
    assert_eq!(sw(&mut b, 1, &select), 0x9000);
    assert_eq!(es10_on(&mut b, 1, &enable(ICCIDS[1], false, None)), Ok("BF3106800100810101".into()));
    assert_eq!(port_of(&b, ICCIDS[1]), Some(1));
    assert_eq!(es10_on(&mut b, 0, &enable(ICCIDS[0], false, None)), Ok("BF3106800100810100".into()));
    assert_eq!(port_of(&b, ICCIDS[0]), Some(0));
    // A targetEsimPort naming another port than the command's: commandError(7).
    assert_eq!(es10_on(&mut b, 0, &enable(ICCIDS[2], false, Some(1))), Ok("BF3103800107".into()));
    // The same port is fine: the third replaces the first on port 0.
    assert_eq!(es10_on(&mut b, 0, &enable(ICCIDS[2], false, Some(0))), Ok("BF3106800100810100".into()));
    assert_eq!((port_of(&b, ICCIDS[0]), port_of(&b, ICCIDS[2])), (None, Some(0)));
    b.0.reset_port(0);
    b.0.reset_port(1);
    assert_eq!(imsi(&mut b, 0), (encode_imsi(IMSIS[2]), 0x9000));
    assert_eq!(imsi(&mut b, 1), (encode_imsi(IMSIS[1]), 0x9000));
    // ES10 over MANAGE LSI: select port 1 on the one interface, then the LPA's usual exchange.
    assert_eq!(support::tx(&mut b, "807C0001").1, 0x9000);
    assert_eq!(hexs(&support::es10(&mut b, &disable(ICCIDS[1], false))), "BF3203800100");
    assert_eq!(port_of(&b, ICCIDS[1]), None);
}

#[test]
fn manage_lsi_byte_for_byte() {
    let mut c = card(MepMode::A1, 2, [None, None, None]);
    // Select LSI: ports 0–2 exist.
    assert_eq!(support::tx(&mut c, "807C0003"), (vec![], 0x6A86));
    assert_eq!(support::tx(&mut c, "807C00010100"), (vec![], 0x6700));
    assert_eq!(support::tx(&mut c, "807C0001"), (vec![], 0x9000));
    assert_eq!(support::tx(&mut c, "807C0000"), (vec![], 0x9000));
    // Reset LSE: the port's ATR in tag 80.
    let (data, s) = support::tx(&mut c, "807C010200");
    assert_eq!(s, 0x9000);
    assert_eq!(data, [&[0x80, MEP_ATR.len() as u8][..], &MEP_ATR].concat());
    // SWP assignment: not supported.
    assert_eq!(support::tx(&mut c, "807C020000").1, 0x6A81);
    assert_eq!(support::tx(&mut c, "807C030000").1, 0x6A81);
    // Configure LSIs: the device offers B then A1, up to 4 ports, LSIs up to 1F.
    assert_eq!(
        support::tx(&mut c, "807C04000D 80011F 810100 90020301 910104 00"),
        (hex("800102 810100 90020101 910102"), 0x9000)
    );
    // A device that offers only MEP-B: no mode in common (00), the card's is A1.
    assert_eq!(support::tx(&mut c, "807C040006 900103 910101 00").0, hex("800102 810100 90020001 910101"));
    // An empty proposal; malformed ones.
    assert_eq!(support::tx(&mut c, "807C040000").0, hex("800102 810100 90020001 910102"));
    assert_eq!(support::tx(&mut c, "807C04000480011F80").1, 0x6A80, "truncated");
    assert_eq!(support::tx(&mut c, "807C04000680011F80011F").1, 0x6A80, "80 twice");
    assert_eq!(support::tx(&mut c, "807C04000382010000").1, 0x6A80, "unknown tag");
    assert_eq!(support::tx(&mut c, "807C0401").1, 0x6A86);
    assert_eq!(support::tx(&mut c, "807C0500").1, 0x6A86);
    // Interindustry class: not MANAGE LSI.
    assert_eq!(support::tx(&mut c, "007C0001").1, 0x6D00);

    // A single-port card (v2.5, or v3 without MEP) has no MANAGE LSI.
    let mut v25 = TestCard::with_config(default_config(), MemStorage::new(), 1);
    assert_eq!(support::tx(&mut v25, "807C0001").1, 0x6D00);
    assert_eq!(v25.0.ports(), 1);
    assert_eq!(v25.0.transmit_on(1, &hex("00A4000C023F00")), hex("6F00"));
}

#[test]
fn the_atr_announces_mep() {
    let mut mep = card(MepMode::A2, 2, [None, None, None]);
    assert_eq!(mep.power_on(), MEP_ATR);
    assert_eq!(mep.reset(), MEP_ATR);
    let mut v3 = {
        let mut c = default_config();
        c.sgp22 = Sgp22Version::V3_0;
        TestCard::with_config(c, MemStorage::new(), 1)
    };
    assert_eq!(v3.power_on(), ATR, "a single-port v3 card keeps the v2.5 ATR");
}

#[test]
fn resetting_a_port_the_card_does_not_have_changes_nothing() {
    let mut card = card(MepMode::A1, 2, [Some(1), None, None]);
    card.0.power_off();
    // Port 3 does not exist (ports 0, 1, 2): its reset neither powers the card nor opens anything.
    card.0.reset_port(3);
    assert_eq!(sw(&mut card, 1, "00A4000C023F00"), 0x6F00, "the card stays off");
    assert_eq!(sw(&mut card, 3, "00A4000C023F00"), 0x6F00, "no such port");
    // A port it has: that terminal's reset powers the card.
    card.0.reset_port(1);
    assert_eq!(imsi(&mut card, 1), (encode_imsi(IMSIS[0]), 0x9000));
}
