//! SGP.22 v3 Multiple Enabled Profiles on the ES10 side: MEP-A1 (the LPA names the eSIM
//! port), MEP-A2 (the eUICC picks one) and MEP-B (the port the command came on), byte for byte; per-port Test-profile fall-back;
//! power cuts over every new state change; a single-port v3 card answers as a v2.5 one.
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

use support::{disable_profile, enable_profile, es10, hexs, profile_record};
use veuicc::config::{Mep, MepMode, Sgp22Version};
use veuicc::store::{CardState, Port, ProfileClass, ProfileState};
use veuicc::testkit::{TestCard, default_config};

const P1: &str = "98001032547698103211";
const P2: &str = "98001032547698103212";
const P3: &str = "98001032547698103213";
const TEST: &str = "98001032547698103214";

fn config(mep: Option<MepMode>) -> veuicc::CardConfig {
    let mut c = default_config();
    c.sgp22 = Sgp22Version::V3_0;
    c.mep = mep.map(|mode| Mep { mode, ports: 2 });
    c
}

/// Three disabled Operational profiles (enable/disable notifications configured) and a Test one.
fn state() -> CardState {
    let mut s = CardState::default();
    for (i, iccid) in [P1, P2, P3].into_iter().enumerate() {
        s.profiles.push(profile_record(
            iccid,
            0x10 + i as u8,
            ProfileState::Disabled,
            ProfileClass::Operational,
            0,
            0x06,
        ));
    }
    s.profiles.push(profile_record(TEST, 0x13, ProfileState::Disabled, ProfileClass::Test, 0, 0));
    s
}

fn card(mep: Option<MepMode>) -> TestCard {
    let mut storage = veuicc::store::MemStorage::new();
    support::install(&mut storage, &state());
    TestCard::with_config(config(mep), storage, 1)
}

/// `BF31 { A0 { 5A iccid }, 81 01 00 [, 82 01 port] }`.
fn enable(iccid: &str, port: Option<u8>) -> String {
    enable_profile(iccid, false, port)
}

fn disable(iccid: &str) -> String {
    disable_profile(iccid, false)
}

/// Which port each profile (by ICCID) is enabled on.
fn ports(card: &TestCard) -> Vec<(String, Option<u8>)> {
    card.0.state().profiles.iter().map(|p| (hexs(&p.iccid), p.enabled_on().map(|Port(n)| n))).collect()
}

fn on(card: &TestCard, iccid: &str) -> Option<u8> {
    ports(card).into_iter().find(|(i, _)| i == iccid).and_then(|(_, p)| p)
}

#[test]
fn mep_a2_the_card_picks_a_free_port() {
    let mut card = card(Some(MepMode::A2));
    // ok(0), targetEsimPort 1; then 2 (a port in the request is not the LPA's to choose).
    assert_eq!(hexs(&es10(&mut card, &enable(P1, None))), "BF3106800100810101");
    assert_eq!(hexs(&es10(&mut card, &enable(P2, Some(1)))), "BF3106800100810102");
    // Both profile ports taken: noEsimPortAvailable(10), nothing changes.
    assert_eq!(hexs(&es10(&mut card, &enable(P3, None))), "BF310380010A");
    assert_eq!((on(&card, P1), on(&card, P2), on(&card, P3)), (Some(1), Some(2), None));
    // GetProfilesInfo on a MEP card: enabledOnEsimPort (9F24) by default, for enabled ones only.
    let info = hexs(&es10(&mut card, "BF2D045C029F24"));
    assert_eq!(info, "BF2D12A010E3049F240101E3049F240102E300E300", "{info}");
    let info = hexs(&es10(&mut card, "BF2D00"));
    assert!(info.contains("9501029F240101") && info.contains("9501029F240102"), "{info}");
    // Disabling port 1's profile leaves port 2's alone; the freed port is picked next.
    assert_eq!(hexs(&es10(&mut card, &disable(P1))), "BF3203800100");
    assert_eq!((on(&card, P1), on(&card, P2)), (None, Some(2)));
    assert_eq!(hexs(&es10(&mut card, &enable(P3, None))), "BF3106800100810101");
    // Notifications: one per enable/disable that happened, none for the refused one.
    let events: Vec<_> =
        card.0.state().notifications.iter().map(|n| (hexs(n.iccid.as_deref().unwrap()), n.event)).collect();
    use veuicc::store::NotificationEvent::{Disable, Enable};
    let expected = [(P1, Enable), (P2, Enable), (P1, Disable), (P3, Enable)];
    assert_eq!(events, expected.map(|(i, e)| (i.to_string(), e)));
}

#[test]
fn mep_a1_the_lpa_names_the_port() {
    let mut card = card(Some(MepMode::A1));
    // No port, the ISD-R's port 0, a port the card lacks: commandError(7).
    for port in [None, Some(0), Some(3)] {
        assert_eq!(hexs(&es10(&mut card, &enable(P1, port))), "BF3103800107", "{port:?}");
    }
    assert_eq!(hexs(&es10(&mut card, &enable(P1, Some(2)))), "BF3106800100810102");
    // Enabling on a taken port replaces its profile (as on a v2.5 card's one port).
    assert_eq!(hexs(&es10(&mut card, &enable(P2, Some(2)))), "BF3106800100810102");
    assert_eq!((on(&card, P1), on(&card, P2)), (None, Some(2)));
    assert_eq!(hexs(&es10(&mut card, &enable(P3, Some(1)))), "BF3106800100810101");
    assert_eq!((on(&card, P2), on(&card, P3)), (Some(2), Some(1)));
    // Already enabled (on another port): profileNotInDisabledState(2).
    assert_eq!(hexs(&es10(&mut card, &enable(P3, Some(2)))), "BF3103800102");
}

#[test]
fn test_profile_fall_back_is_per_port() {
    let mut card = card(Some(MepMode::A1));
    es10(&mut card, &enable(P1, Some(1)));
    es10(&mut card, &enable(P2, Some(2)));
    // The Test profile replaces port 1's Operational profile, which is remembered for port 1.
    assert_eq!(hexs(&es10(&mut card, &enable(TEST, Some(1)))), "BF3106800100810101");
    assert_eq!(card.0.state().test_fallback(Port(1)).as_deref(), Some(&card.0.state().profiles[0].isdp_aid[..]));
    assert_eq!(card.0.state().test_fallback(Port(2)), None);
    // While it is enabled, another Operational profile may not take port 1 …
    assert_eq!(hexs(&es10(&mut card, &enable(P3, Some(1)))), "BF3103800104");
    // … and disabling it brings P1 back on port 1; port 2 never moved.
    assert_eq!(hexs(&es10(&mut card, &disable(TEST))), "BF3203800100");
    assert_eq!((on(&card, P1), on(&card, P2), on(&card, TEST)), (Some(1), Some(2), None));
    assert_eq!(card.0.state().test_fallback(Port(1)), None);
    // The remembered profile enabled on another port of its own: its old port forgets it, and
    // disabling the Test profile then re-enables nothing.
    es10(&mut card, &disable(P2));
    assert_eq!(hexs(&es10(&mut card, &enable(TEST, Some(1)))), "BF3106800100810101");
    assert!(card.0.state().test_fallback(Port(1)).is_some());
    assert_eq!(hexs(&es10(&mut card, &enable(P1, Some(2)))), "BF3106800100810102");
    assert_eq!(card.0.state().test_fallback(Port(1)), None);
    assert_eq!(hexs(&es10(&mut card, &disable(TEST))), "BF3203800100");
    assert_eq!((on(&card, P1), on(&card, TEST)), (Some(2), None));
}

#[test]
fn a_single_port_v3_card_answers_as_a_v2_5_card() {
    for sgp22 in Sgp22Version::ALL {
        let mut storage = veuicc::store::MemStorage::new();
        support::install(&mut storage, &state());
        let mut c = config(None);
        c.sgp22 = sgp22;
        // A MEP configuration means nothing on a v2.5 card.
        if sgp22 == Sgp22Version::V2_5 {
            c.mep = Some(Mep { mode: MepMode::A2, ports: 2 });
        }
        let mut card = TestCard::with_config(c, storage, 1);
        assert_eq!(hexs(&es10(&mut card, &enable(P1, Some(2)))), "BF3103800100", "{sgp22}");
        assert_eq!(hexs(&es10(&mut card, &enable(P2, None))), "BF3103800100", "{sgp22}");
        assert_eq!((on(&card, P1), on(&card, P2)), (None, Some(0)), "{sgp22}");
        assert!(!hexs(&es10(&mut card, "BF2D00")).contains("9F24"), "{sgp22}");
    }
}

#[test]
fn every_port_change_survives_every_power_cut() {
    use veuicc::card::Card;
    use veuicc::testkit::Es10Client;
    use veuicc::testkit::tearing::{TearingPlatform, TearingStorage, card_on, tear_every_write};
    /// Each command on an LPA channel of its own; `n:DER` sends DER on eSIM port n (MEP-B:
    /// MANAGE LSI selects the port first, and port 0 again after).
    fn send(ders: Vec<String>) -> impl Fn(&mut Card<TearingPlatform>) {
        move |card| {
            for der in &ders {
                let (port, der) = match der.split_once(':') {
                    Some((p, d)) => (p.parse::<u8>().unwrap(), d),
                    None => (0, der.as_str()),
                };
                card.transmit(&[0x80, 0x7C, 0x00, port]);
                let Ok(mut lpa) = Es10Client::open(&mut *card) else { return };
                let ok = lpa.store_data(&support::hex(der)).is_ok();
                let _ = lpa.close();
                card.transmit(&[0x80, 0x7C, 0x00, 0x00]);
                if !ok {
                    return;
                }
            }
        }
    }
    /// The storage after `setup` (commands that run uninterrupted).
    fn after(config: &veuicc::CardConfig, setup: Vec<String>) -> TearingStorage {
        let mut base = TearingStorage::new();
        support::install(&mut base, &state());
        let mut card = card_on(config, base).unwrap();
        send(setup)(&mut card);
        let mut storage = card.into_platform().storage;
        storage.power_up();
        storage
    }
    let a1 = config(Some(MepMode::A1));
    let a2 = config(Some(MepMode::A2));
    let b = config(Some(MepMode::B));
    let two = || vec![enable(P1, Some(1)), enable(P2, Some(2))];
    let cases = [
        // A1, from P1 on port 1 and P2 on port 2: a disable, a Test profile taking port 1
        // (remembering P1), an Operational profile replacing P2.
        (&a1, two(), disable(P1)),
        (&a1, two(), enable(TEST, Some(1))),
        (&a1, two(), enable(P3, Some(2))),
        // A1, the Test profile on port 1: disabling it brings P1 back in the same commit.
        (&a1, [two(), vec![enable(TEST, Some(1))]].concat(), disable(TEST)),
        // A2: the card picks port 2 for P2; a disable frees a port.
        (&a2, vec![enable(P1, None)], enable(P2, None)),
        (&a2, [vec![enable(P1, None)], vec![enable(P2, None)]].concat(), disable(P1)),
        // B: an enable on port 1 (the command's port), one replacing it there, a disable there.
        (&b, vec![format!("0:{}", enable(P2, None))], format!("1:{}", enable(P1, None))),
        (&b, vec![format!("1:{}", enable(P1, None)), enable(P2, None)], format!("1:{}", enable(P3, None))),
        (&b, vec![format!("1:{}", enable(P1, None)), enable(P2, None)], format!("1:{}", disable(P1))),
    ];
    let mut total = 0;
    for (config, setup, op) in cases {
        let initial = after(config, setup.clone());
        let report = tear_every_write(config, &initial, send(vec![op.clone()]))
            .unwrap_or_else(|e| panic!("{:?} after {setup:?}, {op}: {e}", config.mep));
        total += report.cut_points;
    }
    assert!(total > 50, "{total} cut points");
}

// ------------------------------------------------------------------ model-based property test

mod model {
    use super::*;
    use proptest::prelude::*;
    use veuicc::store::{NotificationEvent, PPR1};

    #[derive(Debug, Clone)]
    enum Op {
        /// Enable profile `i`, naming port `p` (`None`: no targetEsimPort), sent on port
        /// `via` in MEP-B (MANAGE LSI selects it first; MEP-A sends on port 0).
        Enable(usize, Option<u8>, u8),
        Disable(usize),
        Delete(usize),
        Reset,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0..5usize, proptest::option::of(0..4u8), 0..2u8).prop_map(|(i, p, via)| Op::Enable(i, p, via)),
            2 => (0..5usize).prop_map(Op::Disable),
            1 => (0..5usize).prop_map(Op::Delete),
            1 => Just(Op::Reset),
        ]
    }

    /// P1–P3 Operational (P2 with PPR1), TEST and a second Test profile.
    fn initial() -> CardState {
        let mut s = state();
        s.profiles[1].ppr = PPR1;
        s.profiles.push(profile_record(
            "98001032547698103215",
            0x14,
            ProfileState::Disabled,
            ProfileClass::Test,
            0,
            0x06,
        ));
        s
    }

    const ICCIDS: [&str; 5] = [P1, P2, P3, TEST, "98001032547698103215"];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn ports_hold_their_invariants(mode in 0..3u8, ops in proptest::collection::vec(op(), 1..30)) {
            let mode = [MepMode::A1, MepMode::A2, MepMode::B][usize::from(mode)];
            // The profile ports: 1 and 2 in MEP-A (port 0 is the ISD-R's), 0 and 1 in MEP-B.
            let profile_ports = if mode == MepMode::B { 0..=1u8 } else { 1..=2u8 };
            let mut storage = veuicc::store::MemStorage::new();
            support::install(&mut storage, &initial());
            let mut c = TestCard::with_config(config(Some(mode)), storage, 1);
            for op in ops {
                let before = c.0.state().clone();
                let response = match &op {
                    Op::Enable(i, p, via) if mode == MepMode::B => {
                        assert_eq!(c.transmit(&[0x80, 0x7C, 0x00, *via]), [0x90, 0x00]);
                        let r = hexs(&es10(&mut c, &enable(ICCIDS[*i], *p)));
                        assert_eq!(c.transmit(&[0x80, 0x7C, 0x00, 0x00]), [0x90, 0x00]);
                        r
                    }
                    Op::Enable(i, p, _) => hexs(&es10(&mut c, &enable(ICCIDS[*i], *p))),
                    Op::Disable(i) => hexs(&es10(&mut c, &disable(ICCIDS[*i]))),
                    Op::Delete(i) => hexs(&es10(&mut c, &format!("BF330C5A0A{}", ICCIDS[*i]))),
                    Op::Reset => { c.reset(); String::new() }
                };
                let after = c.0.state().clone();
                // One enabled profile per port, each on a profile port.
                let mut used = std::collections::BTreeMap::new();
                for p in &after.profiles {
                    if let Some(Port(n)) = p.enabled_on() {
                        prop_assert!(profile_ports.contains(&n), "{op:?}: enabled on port {n}");
                        prop_assert!(used.insert(n, p.iccid.clone()).is_none(), "{op:?}: two on port {n}");
                    }
                }
                // A fall-back is remembered for a port only while a Test profile is enabled there,
                // and names a disabled non-test profile.
                for n in 0..=3u8 {
                    if let Some(aid) = after.test_fallback(Port(n)) {
                        prop_assert!(after.profiles.iter().any(|p| p.class == ProfileClass::Test && p.enabled_on() == Some(Port(n))));
                        prop_assert!(after.profiles.iter().any(|p| p.isdp_aid == aid && p.class != ProfileClass::Test && p.state == ProfileState::Disabled));
                    }
                }
                let find = |s: &CardState, i: usize| s.profiles.iter().find(|p| hexs(&p.iccid) == ICCIDS[i]).cloned();
                match &op {
                    Op::Enable(i, p, via) => {
                        let Some(t) = find(&before, *i) else {
                            prop_assert_eq!(response, "BF3103800101");
                            prop_assert_eq!(&after, &before);
                            continue;
                        };
                        if t.state == ProfileState::Enabled {
                            prop_assert_eq!(response, "BF3103800102");
                            continue;
                        }
                        let free = profile_ports.clone().find(|n| !before.profiles.iter().any(|q| q.enabled_on() == Some(Port(*n))));
                        let port = match mode {
                            MepMode::A1 => p.filter(|n| profile_ports.contains(n)),
                            MepMode::A2 => free,
                            // The port the command came on; a targetEsimPort naming another is refused.
                            MepMode::B => p.is_none_or(|n| n == *via).then_some(*via),
                        };
                        let Some(port) = port else {
                            let code = if mode == MepMode::A2 { "BF310380010A" } else { "BF3103800107" };
                            prop_assert_eq!(response, code);
                            prop_assert_eq!(&after, &before);
                            continue;
                        };
                        if response.starts_with("BF3106800100") {
                            prop_assert_eq!(response, format!("BF310680010081010{port}"));
                            prop_assert_eq!(find(&after, *i).and_then(|q| q.enabled_on()), Some(Port(port)));
                            // The other port's profile never moves.
                            for q in before.profiles.iter().filter(|q| q.enabled_on().is_some_and(|n| n != Port(port))) {
                                let now = after.profiles.iter().find(|r| r.iccid == q.iccid).and_then(|r| r.enabled_on());
                                prop_assert_eq!(now, q.enabled_on());
                            }
                        } else {
                            // Refused by a rule of the port's occupant (PPR1, Test fall-back): nothing changes.
                            prop_assert!(["BF3103800103", "BF3103800104"].contains(&response.as_str()), "{op:?}: {response}");
                            prop_assert_eq!(&after, &before);
                        }
                    }
                    Op::Disable(i) => {
                        if let Some(port) = find(&before, *i).and_then(|t| t.enabled_on()) {
                            // Other ports are untouched by a disable.
                            for q in before.profiles.iter().filter(|q| q.enabled_on().is_some_and(|n| n != port)) {
                                prop_assert_eq!(after.profiles.iter().find(|r| r.iccid == q.iccid).and_then(|r| r.enabled_on()), q.enabled_on());
                            }
                        }
                    }
                    _ => {}
                }
                // Notifications: one per enable or disable of a profile that asked for them.
                let fresh = after.notifications.iter().filter(|n| !before.notifications.iter().any(|m| m.seq == n.seq)).count();
                let mut expected = 0;
                for p in &before.profiles {
                    let now = after.profiles.iter().find(|q| q.iccid == p.iccid);
                    let asked = |e: NotificationEvent| p.notification_config.iter().any(|c| c.events & (1 << e as u8) != 0);
                    let event = match (p.state, now.map(|q| q.state)) {
                        (ProfileState::Enabled, Some(ProfileState::Disabled)) => Some(NotificationEvent::Disable),
                        (ProfileState::Disabled, Some(ProfileState::Enabled)) => Some(NotificationEvent::Enable),
                        (_, None) => Some(NotificationEvent::Delete),
                        _ => None,
                    };
                    if event.is_some_and(asked) { expected += 1; }
                }
                prop_assert_eq!(fresh, expected, "{:?}", op);
            }
        }
    }
}
