//! ES10c profile lifecycle and ES10b notification list: every result code with
//! its exact bytes and the state after; a model-based property test; a power cut
//! at every storage operation of each command.
//!
//! Profiles are put into the store directly (as a completed download leaves them).
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
use support::{card, es10, es10_sw, hex, install};

use proptest::prelude::*;
use veuicc::card::Card;
use veuicc::store::{
    CardState, MemStorage, NotificationEvent, PPR1, PPR2, ProfileClass, ProfileRecord, ProfileState, Store,
};
use veuicc::testkit::tearing::{TearingPlatform, TearingStorage, card_on, tear_every_write};
use veuicc::testkit::{Es10Client, TestCard, default_config};

const ICCID_A: &str = "98001032547698103214";
const ICCID_B: &str = "98001032547698103222";
const ICCID_C: &str = "98001032547698103233";
const ICCID_D: &str = "98001032547698103244";

fn profile(iccid: &str, slot: u8, state: ProfileState, class: ProfileClass, ppr: u8, events: u8) -> ProfileRecord {
    support::profile_record(iccid, slot, state, class, ppr, events)
}

/// A: enabled operational, notifies enable/disable/delete. B: disabled test, notifies delete.
/// C: disabled operational with PPR1 and PPR2, notifies everything.
fn three_profiles() -> CardState {
    CardState {
        profiles: vec![
            profile(ICCID_A, 0x10, ProfileState::Enabled, ProfileClass::Operational, 0, 0b1110),
            profile(ICCID_B, 0x11, ProfileState::Disabled, ProfileClass::Test, 0, 0b1000),
            profile(ICCID_C, 0x12, ProfileState::Disabled, ProfileClass::Operational, PPR1 | PPR2, 0b1111),
        ],
        ..CardState::default()
    }
}

fn states(card: &TestCard) -> Vec<(String, ProfileState)> {
    card.0.state().profiles.iter().map(|p| (p.profile_name.clone(), p.state)).collect()
}

fn enable(iccid: &str) -> String {
    format!("BF3111 A00C 5A0A{iccid} 8101FF")
}
fn disable(iccid: &str) -> String {
    format!("BF3211 A00C 5A0A{iccid} 810100")
}
fn delete(iccid: &str) -> String {
    format!("BF330C 5A0A{iccid}")
}

#[test]
fn enable_profile_results() {
    // B operational here: the Test-profile rules have their own tests (tests/lifecycle_rules.rs).
    let mut state = three_profiles();
    state.profiles[1].class = ProfileClass::Operational;
    let mut c = card(&state);
    assert_eq!(es10(&mut c, &enable("98001032547698109999")), hex("BF3103800101"), "iccidOrAidNotFound");
    assert_eq!(es10(&mut c, &enable(ICCID_A)), hex("BF3103800102"), "profileNotInDisabledState");
    // By ISD-P AID too; B gets enabled, A implicitly disabled.
    assert_eq!(es10(&mut c, "BF3117 A0124F10A0000005591010FFFFFFFF8900001100 8101FF"), hex("BF3103800100"));
    assert!(c.0.take_refresh_request(), "refreshFlag FF asks for a refresh");
    assert!(!c.0.take_refresh_request(), "taken once");
    assert_eq!(
        states(&c),
        [
            ("profile 10".into(), ProfileState::Disabled),
            ("profile 11".into(), ProfileState::Enabled),
            ("profile 12".into(), ProfileState::Disabled)
        ]
    );
    // A's disable notification (B asked only for delete).
    let n = &c.0.state().notifications;
    assert_eq!(n.len(), 1);
    assert_eq!((n[0].seq, n[0].event), (1, NotificationEvent::Disable));
    // C has PPR1: once enabled, enabling another would disable it → disallowedByPolicy.
    assert_eq!(es10(&mut c, &enable(ICCID_C)), hex("BF3103800100"));
    assert_eq!(es10(&mut c, &enable(ICCID_A)), hex("BF3103800103"));
    assert_eq!(c.0.state().profiles[2].state, ProfileState::Enabled);
    assert_eq!(c.0.state().config.test_fallback, None, "no Test profile involved");
    // Enable C: B disabled (no notification for B), C enabled (notification): seq 2.
    let n = &c.0.state().notifications;
    assert_eq!(
        n.iter().map(|n| (n.seq, n.event)).collect::<Vec<_>>(),
        [(1, NotificationEvent::Disable), (2, NotificationEvent::Enable)]
    );
    // A wrong-sized ICCID breaks `Iccid ::= OCTET STRING (SIZE(10))`: malformed, 6A80.
    assert_eq!(es10_sw(&mut c, "BF310D A008 5A06000000000000 810100"), 0x6A80);
    let before = c.0.state().clone();
    assert_eq!(es10_sw(&mut c, "BF3211 A00C 4F11A0000005591010FFFFFFFF890000110000 810100"), 0x6A80, "17-byte AID");
    assert_eq!(*c.0.state(), before);
}

#[test]
fn disable_profile_results() {
    let mut c = card(&three_profiles());
    assert_eq!(es10(&mut c, &disable("98001032547698109999")), hex("BF3203800101"));
    assert_eq!(es10(&mut c, &disable(ICCID_B)), hex("BF3203800102"), "profileNotInEnabledState");
    assert!(!c.0.take_refresh_request());
    assert_eq!(es10(&mut c, &disable(ICCID_A)), hex("BF3203800100"));
    assert!(!c.0.take_refresh_request(), "refreshFlag 00: no refresh");
    assert_eq!(c.0.state().profiles[0].state, ProfileState::Disabled);
    es10(&mut c, &enable(ICCID_C));
    assert_eq!(es10(&mut c, &disable(ICCID_C)), hex("BF3203800103"), "PPR1: disallowedByPolicy");
}

#[test]
fn delete_profile_results() {
    let mut c = card(&three_profiles());
    assert_eq!(es10(&mut c, &delete("98001032547698109999")), hex("BF3303800101"));
    assert_eq!(es10(&mut c, &delete(ICCID_A)), hex("BF3303800102"), "enabled: profileNotInDisabledState");
    assert_eq!(es10(&mut c, &delete(ICCID_C)), hex("BF3303800103"), "PPR2: disallowedByPolicy");
    let package = |c: &mut TestCard| Store::open(c.storage()).unwrap().get("u.11").map(<[u8]>::to_vec);
    assert_eq!(package(&mut c), Some(vec![0xA0, 0x00]));
    assert_eq!(es10(&mut c, "BF3312 4F10A0000005591010FFFFFFFF8900001100"), hex("BF3303800100"), "by AID");
    assert_eq!(c.0.state().profiles.len(), 2);
    assert_eq!(package(&mut c), None, "the package went with it");
    let n = &c.0.state().notifications;
    assert_eq!((n[0].event, n[0].address.as_str()), (NotificationEvent::Delete, "smdp11.example.com"));
    assert_eq!(n[0].iccid.as_deref(), Some(&hex(ICCID_B)[..]));
}

#[test]
fn set_nickname_results() {
    let mut c = card(&three_profiles());
    assert_eq!(es10(&mut c, &format!("BF2912 5A0A{ICCID_B} 9004776F726B")), hex("BF2903800100"));
    assert_eq!(c.0.state().profiles[1].nickname.as_deref(), Some("work"));
    assert_eq!(es10(&mut c, "BF2912 5A0A98001032547698109999 9004776F726B"), hex("BF2903800101"));
    // profileNickname is UTF8String (SIZE(0..64)), counted in characters: 64 of them in
    // two-byte UTF-8 fit, 65 are malformed (6A80) and change nothing.
    let cyrillic = "D0B4".repeat(64);
    assert_eq!(es10(&mut c, &format!("BF2981 8F 5A0A{ICCID_B} 908180{cyrillic}")), hex("BF2903800100"));
    assert_eq!(c.0.state().profiles[1].nickname.as_deref().map(|n| n.chars().count()), Some(64));
    let long = "61".repeat(65);
    assert_eq!(es10_sw(&mut c, &format!("BF294F 5A0A{ICCID_B} 9041{long}")), 0x6A80);
    assert_eq!(es10_sw(&mut c, &format!("BF294F 5A0A{ICCID_B} 8F41{long}")), 0x6A80, "pySim's 8F too");
    assert_eq!(c.0.state().profiles[1].nickname.as_deref().map(|n| n.chars().count()), Some(64));
    // An empty nickname removes it.
    assert_eq!(es10(&mut c, &format!("BF290E 5A0A{ICCID_B} 9000")), hex("BF2903800100"));
    assert_eq!(c.0.state().profiles[1].nickname, None);
}

#[test]
fn memory_reset_results() {
    let mut c = card(&three_profiles());
    es10(&mut c, &disable(ICCID_A)); // one notification, seq 1
    // Test profiles only.
    assert_eq!(es10(&mut c, "BF3404 8202 0640"), hex("BF3403800100"));
    assert_eq!(c.0.state().profiles.len(), 2);
    // Operational ones go whatever their PPRs; the default address too.
    es10(&mut c, "BF3F12 8010 736D64702E6578616D706C652E636F6D");
    assert_eq!(es10(&mut c, "BF3404 8202 05E0"), hex("BF3403800100"));
    assert!(c.0.state().profiles.is_empty());
    assert_eq!(c.0.state().config.default_dp_address, None);
    assert_eq!(
        Store::open(c.storage()).unwrap().names().filter(|n| n.starts_with("u.")).count(),
        0,
        "packages removed"
    );
    // Nothing left to delete.
    assert_eq!(es10(&mut c, "BF3404 8202 05E0"), hex("BF3403800101"));
    // Pending notifications stay; the counter goes on.
    assert_eq!(c.0.state().notifications.len(), 1);
    assert_eq!(c.0.state().config.last_seq_number, 1);
    // Malformed BIT STRINGs: unused bits without data, a set unused bit, too many unused bits.
    for bad in ["BF3403 820107", "BF3404 8202 0101", "BF3404 8202 0880", "BF3402 8200"] {
        assert_eq!(es10_sw(&mut c, bad), 0x6A80, "{bad}");
    }
}

/// pySim's `euicc_memory_reset` sends `82 01 E0`: the three option bits without the BIT
/// STRING's unused-bits octet. A lone content octet above 7 cannot be an unused-bits count, so
/// the card reads it as the option bits, as pySim means it.
#[test]
fn memory_reset_as_pysim_sends_it() {
    let mut c = card(&three_profiles());
    es10(&mut c, "BF3F12 8010 736D64702E6578616D706C652E636F6D");
    assert_eq!(es10(&mut c, "BF3403 8201 E0"), hex("BF3403800100"));
    assert!(c.0.state().profiles.is_empty());
    assert_eq!(c.0.state().config.default_dp_address, None);
    // Only deleteFieldLoadedTestProfiles (bit 1): `40`.
    let mut c = card(&three_profiles());
    assert_eq!(es10(&mut c, "BF3403 8201 40"), hex("BF3403800100"));
    assert_eq!(c.0.state().profiles.len(), 2, "only the Test profile went");
}

#[test]
fn notification_list_and_removal() {
    let mut c = card(&three_profiles());
    assert_eq!(es10(&mut c, "BF2800"), hex("BF2802A000"));
    es10(&mut c, &disable(ICCID_A)); // seq 1: disable A
    es10(&mut c, &enable(ICCID_A)); // seq 2: enable A
    // BF2F { 80 seq, 81 op, 0C address, 5A iccid }
    let meta = |seq: u8, op: &str| {
        let addr = "736D647031302E6578616D706C652E636F6D"; // smdp10.example.com
        format!("BF2F27 8001{seq:02X} 81{op} 0C12{addr} 5A0A{ICCID_A}")
    };
    let all = format!("BF2856 A054 {} {}", meta(1, "020520"), meta(2, "020640"));
    assert_eq!(es10(&mut c, "BF2800"), hex(&all));
    // Filter: enable events only (bit 1).
    assert_eq!(es10(&mut c, "BF2804 81020640"), hex(&format!("BF282C A02A {}", meta(2, "020640"))));
    assert_eq!(es10(&mut c, "BF3003 800101"), hex("BF3003800100"));
    assert_eq!(es10(&mut c, "BF3003 800101"), hex("BF3003800101"), "nothingToDelete");
    assert_eq!(es10(&mut c, "BF3003 800163"), hex("BF3003800101"));
    assert_eq!(c.0.state().notifications.len(), 1);
}

// ------------------------------------------------------------------ model-based property test

#[derive(Debug, Clone)]
enum Op {
    Enable(usize),
    Disable(usize),
    Delete(usize),
    Nickname(usize),
    MemoryReset(u8),
    Remove(u64),
    Reset,
    Install(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..5usize).prop_map(Op::Enable),
        (0..5usize).prop_map(Op::Disable),
        (0..5usize).prop_map(Op::Delete),
        (0..5usize).prop_map(Op::Nickname),
        (1..8u8).prop_map(Op::MemoryReset),
        (0..12u64).prop_map(Op::Remove),
        Just(Op::Reset),
        (0..5usize).prop_map(Op::Install),
    ]
}

/// ICCIDs for installs: two new ones, and the three already on the card.
const INSTALL_ICCIDS: [[u8; 10]; 5] = [
    [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x44, 0x11],
    [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x44, 0x22],
    [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14],
    [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x22],
    [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x33],
];

const ICCIDS: [&str; 5] = [ICCID_A, ICCID_B, ICCID_C, ICCID_D, "98001032547698109999"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn lifecycle_invariants(ops in proptest::collection::vec(op(), 1..30)) {
        // The three profiles and D, a second Test profile (for Test → Test switches).
        let mut initial = three_profiles();
        initial.profiles.push(profile(ICCID_D, 0x13, ProfileState::Disabled, ProfileClass::Test, 0, 0b0110));
        let mut storage = MemStorage::new();
        install(&mut storage, &initial);
        let mut config = default_config();
        config.profile_capacity = 5;
        let mut c = TestCard::with_config(config, storage, 1);
        let mut downloads = 0u64;
        let mut max_seq = 0u64;
        let mut ever_seen = std::collections::BTreeSet::new();
        for op in ops {
            let before = c.0.state().clone();
            let der = match &op {
                Op::Enable(i) => Some(enable(ICCIDS[*i])),
                Op::Disable(i) => Some(disable(ICCIDS[*i])),
                Op::Delete(i) => Some(delete(ICCIDS[*i])),
                Op::Nickname(i) => Some(format!("BF2910 5A0A{} 9002{:04X}", ICCIDS[*i], 0x6E00 | *i as u16)),
                Op::MemoryReset(bits) => Some(format!("BF3404 8202 05{:02X}", (*bits as u16) << 5)),
                Op::Remove(seq) => Some(format!("BF3003 8001{seq:02X}")),
                Op::Reset | Op::Install(_) => None,
            };
            let mut response = Vec::new();
            match (&op, der) {
                (_, Some(der)) => { response = es10(&mut c, &der); }
                (Op::Install(i), None) => {
                    downloads += 1;
                    let mut smdp = veuicc::testkit::smdp::TestSmdp::new(veuicc::testkit::pki::default_pki(), "smdp.example.com", downloads);
                    let profile = veuicc::testkit::smdp::ProfileToInstall::sample(INSTALL_ICCIDS[*i], 1500);
                    let mut lpa = Es10Client::open(&mut c).unwrap();
                    let result = veuicc::testkit::lpa::download(&mut lpa, &mut smdp, &profile);
                    lpa.close().unwrap();
                    let exists = before.profiles.iter().any(|p| p.iccid.as_ref() == INSTALL_ICCIDS[*i]);
                    let full = before.profiles.len() >= 5;
                    prop_assert_eq!(result.is_ok(), !exists && !full, "install {:?}: {:?}", i, result);
                }
                (_, None) => { c.reset(); }
            }
            let after = c.0.state().clone();
            // At most one enabled profile (SGP.22 v2).
            prop_assert!(after.profiles.iter().filter(|p| p.state == ProfileState::Enabled).count() <= 1);
            let target = |i: &usize| before.profiles.iter().find(|p| p.iccid.as_ref() == hex(ICCIDS[*i]).as_slice());
            let to_test = matches!(&op, Op::Enable(i) if target(i).is_some_and(|p| p.class == ProfileClass::Test));
            // PPRs: outside a memory reset, a PPR1 profile that was enabled stays enabled
            // (unless a Test profile replaced it: SGP.21 TPRO8), and a PPR2 profile is never deleted.
            if !matches!(op, Op::MemoryReset(_)) {
                for p in &before.profiles {
                    let now = after.profiles.iter().find(|q| q.iccid == p.iccid);
                    if p.ppr & PPR2 != 0 { prop_assert!(now.is_some(), "PPR2 profile deleted by {op:?}"); }
                    if p.ppr & PPR1 != 0 && p.state == ProfileState::Enabled && !to_test {
                        prop_assert_eq!(now.map(|q| q.state), Some(ProfileState::Enabled), "PPR1 profile disabled by {:?}", op);
                    }
                }
            }
            // Test-profile fall-back: remembered only while a Test profile is the enabled one,
            // and it names a disabled non-test profile on the card.
            if let Some(aid) = &after.config.test_fallback {
                let enabled: Vec<_> = after.profiles.iter().filter(|p| p.state == ProfileState::Enabled).collect();
                prop_assert!(enabled.len() == 1 && enabled[0].class == ProfileClass::Test, "{:?}", op);
                prop_assert!(after.profiles.iter().any(|p| p.isdp_aid == *aid && p.class != ProfileClass::Test && p.state == ProfileState::Disabled));
            }
            let enabled_before = before.profiles.iter().find(|p| p.state == ProfileState::Enabled);
            match &op {
                Op::Enable(i) => match target(i) {
                    // While a Test profile is enabled, only the remembered profile may come back.
                    Some(t) if t.class != ProfileClass::Test && t.state == ProfileState::Disabled
                        && before.config.test_fallback.as_ref().is_some_and(|aid| *aid != t.isdp_aid) => {
                        prop_assert_eq!(&response, &hex("BF3103800104"));
                        prop_assert_eq!(&after, &before);
                    }
                    // TPRO8: a Test profile replaces any non-test profile, PPR1 or not, and the card remembers it.
                    Some(t) if t.class == ProfileClass::Test && t.state == ProfileState::Disabled
                        && enabled_before.is_none_or(|e| e.class != ProfileClass::Test || e.ppr & PPR1 == 0) => {
                        prop_assert_eq!(&response, &hex("BF3103800100"));
                        let expected = match enabled_before {
                            Some(e) if e.class != ProfileClass::Test => Some(e.isdp_aid.clone()),
                            Some(_) => before.config.test_fallback.clone(),
                            None => None,
                        };
                        prop_assert_eq!(&after.config.test_fallback, &expected);
                    }
                    _ => {}
                },
                // TPRO10: disabling the Test profile re-enables the remembered one.
                Op::Disable(i) => match (target(i), &before.config.test_fallback) {
                    (Some(t), Some(aid)) if t.state == ProfileState::Enabled => {
                        prop_assert_eq!(&response, &hex("BF3203800100"));
                        let back = after.profiles.iter().find(|p| p.isdp_aid == *aid).map(|p| p.state);
                        prop_assert_eq!(back, Some(ProfileState::Enabled));
                        prop_assert_eq!(&after.config.test_fallback, &None);
                    }
                    _ => {}
                },
                Op::Install(_) | Op::Nickname(_) | Op::Remove(_) | Op::Reset => {
                    prop_assert_eq!(&after.config.test_fallback, &before.config.test_fallback);
                }
                _ => {}
            }
            // Sequence numbers strictly increase and never repeat, across everything.
            let fresh: Vec<_> = after.notifications.iter().filter(|n| !before.notifications.iter().any(|m| m.seq == n.seq)).collect();
            for n in &fresh {
                prop_assert!(n.seq > max_seq, "seq {} after {}", n.seq, max_seq);
                prop_assert!(ever_seen.insert(n.seq));
                max_seq = n.seq;
            }
            prop_assert!(after.notifications.windows(2).all(|w| w[0].seq < w[1].seq));
            // Exactly one notification per event whose profile asked for it; an install
            // (done or refused) leaves exactly its PIR.
            let mut expected = usize::from(matches!(op, Op::Install(_)));
            for p in &before.profiles {
                let now = after.profiles.iter().find(|q| q.iccid == p.iccid);
                let asked = |e: NotificationEvent| p.notification_config.iter().any(|c| c.events & (1 << e as u8) != 0);
                let event = match (p.state, now.map(|q| q.state)) {
                    (ProfileState::Enabled, Some(ProfileState::Disabled)) => Some(NotificationEvent::Disable),
                    (ProfileState::Disabled, Some(ProfileState::Enabled)) => Some(NotificationEvent::Enable),
                    (_, None) if !matches!(op, Op::MemoryReset(_) | Op::Install(_)) => Some(NotificationEvent::Delete),
                    _ => None,
                };
                if event.is_some_and(asked) { expected += 1; }
            }
            prop_assert_eq!(fresh.len(), expected, "{:?}", op);
            prop_assert!(after.profiles.len() <= usize::from(c.0.config().profile_capacity));
        }
    }
}

// ------------------------------------------------------------------ power cuts

fn tearing_initial(state: &CardState) -> TearingStorage {
    let mut storage = TearingStorage::new();
    install(&mut storage, state);
    storage.power_up();
    storage
}

fn run(der: String) -> impl Fn(&mut Card<TearingPlatform>) {
    move |card| {
        if let Ok(mut lpa) = Es10Client::open(&mut *card) {
            let _ = lpa.store_data(&hex(&der));
        }
    }
}

#[test]
fn every_lifecycle_command_survives_every_cut() {
    let config = default_config();
    let mut with_notifications = three_profiles();
    {
        // Two pending notifications to remove.
        let mut c = card(&with_notifications);
        es10(&mut c, &disable(ICCID_A));
        es10(&mut c, &enable(ICCID_A));
        with_notifications = c.0.state().clone();
    }
    let cases: Vec<(&str, CardState, String)> = vec![
        ("enable (implicit disable, two notifications)", three_profiles(), enable(ICCID_B)),
        ("disable", three_profiles(), disable(ICCID_A)),
        ("delete (profile, package, notification)", three_profiles(), delete(ICCID_B)),
        ("nickname", three_profiles(), format!("BF2912 5A0A{ICCID_B} 9004776F726B")),
        ("memory reset", three_profiles(), "BF3404 8202 05E0".into()),
        ("notification removal", with_notifications, "BF3003 800101".into()),
    ];
    let mut total = 0;
    for (name, state, der) in cases {
        let report =
            tear_every_write(&config, &tearing_initial(&state), run(der)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(report.landed > 0, "{name}: {report:?}");
        total += report.cut_points;
    }
    eprintln!("lifecycle cut points exercised: {total}");
    let _ = card_on;
}

#[test]
fn profiles_info_notification_configuration_and_owner() {
    let mut state = three_profiles();
    state.profiles[1].owner =
        Some(veuicc::store::Owner { mcc_mnc: hex("00F110").into(), gid1: Some(hex("AB").into()), gid2: None });
    let mut c = card(&state);
    // A: B6 { 30 { 80 02 04 70 (enable, disable, delete), 81 "smdp10.example.com" } }, no owner
    // (automatic tags: NotificationConfigurationInformation has no tagged component).
    let addr = "736D647031302E6578616D706C652E636F6D";
    assert_eq!(
        es10(&mut c, &format!("BF2D12 A00C5A0A{ICCID_A} 5C02B6B7")),
        hex(&format!("BF2D20 A01E E31C B61A 3018 80020470 8112{addr}"))
    );
    // B: delete only (80 02 04 10), owner { 80 03 00F110, 81 01 AB }.
    let addr = "736D647031312E6578616D706C652E636F6D";
    assert_eq!(
        es10(&mut c, &format!("BF2D12 A00C5A0A{ICCID_B} 5C02B6B7")),
        hex(&format!("BF2D2A A028 E326 B61A 3018 80020410 8112{addr} B708 800300F110 8101AB"))
    );
}
