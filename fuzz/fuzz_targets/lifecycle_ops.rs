//! Structure-aware, stateful: sequences of lifecycle operations (`arbitrary` decodes the input
//! into them) on a card holding three real profile packages, in each personality — v2.5, v3
//! single-port, MEP-A1, MEP-A2, MEP-B. Random bytes rarely form a valid EnableProfile; these
//! operations always do, so the fuzzer spends its time in the lifecycle rules, the ports, the
//! SIMs and the toolkit. After every step each answer is a well-formed R-APDU and the stored
//! state passes `store::check_invariants` (one enabled profile per port, packages, sequence
//! numbers, fall-backs); at the end a cold start loads the same state.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use veuicc::asn1::rsp::{EnableProfileRequest, EnableProfileResponse, ProfileIdentifier};
use veuicc::config::{Mep, MepMode, Sgp22Version};
use veuicc::store::{CardState, MemStorage, Store, check_invariants};
use veuicc::testkit::saip::TestProfile;
use veuicc::testkit::{Es10Client, TestCard};

#[derive(Arbitrary, Debug)]
enum Op {
    Enable { profile: u8, port: Option<u8>, refresh: bool },
    Disable { profile: u8, refresh: bool },
    Delete { profile: u8 },
    List,
    Nickname { profile: u8, long: bool },
    MemoryReset { bits: u8 },
    SelectPort { port: u8 },
    TerminalProfile,
    Status,
    Fetch,
    TerminalResponse,
    ReadImsi,
    Reset,
    ResetPort { port: u8 },
    PowerCycle,
}

#[derive(Arbitrary, Debug)]
struct Input {
    personality: u8,
    ops: Vec<Op>,
}

const ICCIDS: [[u8; 10]; 3] = [
    [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14],
    [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x25],
    [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x36],
];

fn packages() -> &'static [Vec<u8>] {
    static P: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    P.get_or_init(|| ICCIDS.iter().map(|i| TestProfile::new(*i).to_der()).collect())
}

fn well_formed(r: &[u8]) -> bool {
    r.len() >= 2 && matches!(r[r.len() - 2], 0x61..=0x6F | 0x90..=0x9F)
}

fn stored(card: &mut TestCard) -> CardState {
    let mut copy = card.storage().clone();
    let store = Store::open(&mut copy).expect("storage opens");
    let state = CardState::load::<veuicc::store::MemStorageError>(&store).expect("state loads");
    check_invariants(&store, &state).unwrap_or_else(|e| panic!("invariant: {e}"));
    state
}

fuzz_target!(|input: Input| {
    let mut config = veuicc::testkit::default_config();
    let (mep, first) = match input.personality % 5 {
        0 => (None, 0),
        1 => (None, 0),
        2 => (Some(MepMode::A1), 1),
        3 => (Some(MepMode::A2), 1),
        _ => (Some(MepMode::B), 0),
    };
    if input.personality % 5 != 0 {
        config.sgp22 = Sgp22Version::V3_0;
    }
    config.mep = mep.map(|mode| Mep { mode, ports: 2 });
    let mut storage = MemStorage::new();
    veuicc::testkit::install_profiles_on(&mut storage, packages(), &[Some(first), None, None]).expect("install");
    let mut card = TestCard::with_config(config, storage, 0);
    let id = |p: u8| ProfileIdentifier::Iccid(ICCIDS[usize::from(p) % 3].to_vec().into());
    for op in input.ops.iter().take(64) {
        let mut tx = |apdu: &[u8]| {
            let r = card.transmit(apdu);
            assert!(well_formed(&r), "{op:?}: {apdu:02X?} -> {r:02X?}");
            r
        };
        match op {
            Op::SelectPort { port } => drop(tx(&[0x80, 0x7C, 0x00, port % 4])),
            Op::TerminalProfile => drop(tx(&[0x80, 0x10, 0x00, 0x00, 0x03, 0xFF, 0xFF, 0x80])),
            Op::Status => drop(tx(&[0x80, 0xF2, 0x00, 0x0C, 0x00])),
            Op::Fetch => drop(tx(&[0x80, 0x12, 0x00, 0x00, 0x0B])),
            Op::TerminalResponse => drop(tx(&[
                0x80, 0x14, 0x00, 0x00, 0x0C, 0x81, 0x03, 0x01, 0x01, 0x09, 0x82, 0x02, 0x82, 0x81, 0x83, 0x01, 0x00,
            ])),
            Op::ReadImsi => {
                for apdu in [
                    &[0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02][..],
                    &[0x00, 0x20, 0x00, 0x01, 0x08, 0x30, 0x30, 0x30, 0x30, 0xFF, 0xFF, 0xFF, 0xFF],
                    &[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x6F, 0x07],
                    &[0x00, 0xB0, 0x00, 0x00, 0x09],
                ] {
                    tx(apdu);
                }
            }
            Op::Reset => drop(card.reset()),
            Op::ResetPort { port } => drop(card.0.reset_port(port % 4)),
            Op::PowerCycle => {
                card.power_off();
                assert!(!card.power_on().is_empty(), "the card must come back");
            }
            _ => {
                // ES10: only where the ISD-R is (MEP-A: port 0).
                let Ok(mut lpa) = Es10Client::open(&mut card) else { continue };
                let _ = match op {
                    Op::Enable { profile, port, refresh } => {
                        let req = match port {
                            Some(p) => EnableProfileRequest::on_port(id(*profile), *refresh, p % 4),
                            None => EnableProfileRequest::new(id(*profile), *refresh),
                        };
                        lpa.call::<_, EnableProfileResponse>(&req).map(|_| ())
                    }
                    Op::Disable { profile, refresh } => lpa.disable_profile(id(*profile), *refresh).map(|_| ()),
                    Op::Delete { profile } => lpa.delete_profile(id(*profile)).map(|_| ()),
                    Op::List => lpa.get_profiles_info(&Default::default()).map(|_| ()),
                    Op::Nickname { profile, long } => {
                        let name = if *long { "x".repeat(65) } else { "watch".into() };
                        lpa.set_nickname(&ICCIDS[usize::from(*profile) % 3], &name).map(|_| ())
                    }
                    Op::MemoryReset { bits } => {
                        lpa.store_data(&[0xBF, 0x34, 0x04, 0x82, 0x02, 0x05, bits & 0xE0]).map(|_| ())
                    }
                    _ => Ok(()),
                };
                let _ = lpa.close();
            }
        }
        // The card's view is storage's (the configuration record aside: a factory card keeps
        // its EID and default address in memory until a command writes them).
        let stored = stored(&mut card);
        let live = card.0.state();
        assert_eq!((&stored.profiles, &stored.notifications), (&live.profiles, &live.notifications), "{op:?}");
    }
    let before = card.0.state().clone();
    card.power_off();
    assert!(!card.power_on().is_empty(), "the card must come back");
    assert_eq!(card.0.state(), &before, "a cold start loads the same state");
});
