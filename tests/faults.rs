//! Storage errors (failing writes, removes, flushes, reads; a full disk), not power cuts:
//! the card never answers "failed" for a change it made without taking it in, never builds
//! on stale state, keeps answering what it can, and the invariants hold.
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
use support::{hex, install};

use proptest::prelude::*;
use veuicc::card::Card;
use veuicc::store::{CardState, InstallRecord, MemStorage, ProfileClass, ProfileRecord, ProfileState};
use veuicc::testkit::faults::{
    Fault, FaultKind, FaultPlatform, FaultStorage, OpKind, card_on, fault_every_op, fault_every_op_allowing,
    stored_state,
};
use veuicc::testkit::{Es10Client, default_config};

const ICCID_A: &str = "98001032547698103214";
const ICCID_B: &str = "98001032547698103222";
const ICCID_C: &str = "98001032547698103233";

fn profile(iccid: &str, slot: u8, state: ProfileState, class: ProfileClass) -> ProfileRecord {
    support::profile_record(iccid, slot, state, class, 0, 0b1110)
}

/// A enabled, B and C disabled; all notify enable, disable and delete.
fn three_profiles() -> CardState {
    CardState {
        profiles: vec![
            profile(ICCID_A, 0x10, ProfileState::Enabled, ProfileClass::Operational),
            profile(ICCID_B, 0x11, ProfileState::Disabled, ProfileClass::Operational),
            profile(ICCID_C, 0x12, ProfileState::Disabled, ProfileClass::Test),
        ],
        ..CardState::default()
    }
}

fn storage_with(state: &CardState) -> MemStorage {
    let mut storage = MemStorage::new();
    install(&mut storage, state);
    // Let the card write its EID and configuration, as after its first command.
    let mut card = card_on(&default_config(), FaultStorage::new(storage)).unwrap();
    let mut lpa = Es10Client::open(&mut card).unwrap();
    lpa.set_default_dp_address("smdp.example.com").unwrap();
    lpa.close().unwrap();
    card.into_platform().storage.into_inner()
}

/// `storage` with a load under way (its install record committed, as InitialiseSecureChannel
/// leaves it).
fn with_load_under_way(mut storage: MemStorage) -> MemStorage {
    use veuicc::store::{Store, Txn};
    let mut store = Store::open(&mut storage).unwrap();
    let state = CardState::load::<()>(&store).unwrap();
    let mut new = state.clone();
    new.install = Some(InstallRecord {
        transaction_id: hex("0102030405060708").into(),
        server_address: "smdp.example.com".into(),
        smdp_oid: hex("2B0601040182E91A0A").into(),
    });
    let mut txn = Txn::new();
    state.diff_into::<()>(&new, &mut txn).unwrap();
    store.commit(&mut storage, txn).unwrap();
    storage
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
fn nickname(iccid: &str, name: &str) -> String {
    let n: String = name.bytes().map(|b| format!("{b:02X}")).collect();
    format!("BF29{:02X} 5A0A{iccid} 90{:02X}{n}", 14 + name.len(), name.len())
}
const MEMORY_RESET: &str = "BF3404 8202 05E0";
const GET_EID: &str = "BF3E035C015A";
const PROFILES_INFO: &str = "BF2D00";

/// Sends one ES10 command on a fresh channel: `Ok(response)` on `9000`, `Err(sw)` otherwise.
fn es10(card: &mut Card<FaultPlatform>, der: &str) -> Result<Vec<u8>, u16> {
    let mut lpa = Es10Client::open(&mut *card).map_err(|_| 0u16)?;
    let r = lpa.store_data(&hex(der)).map_err(|e| match e {
        veuicc::testkit::ClientError::Status(sw) => sw,
        _ => 0,
    });
    let _ = lpa.close();
    r
}

/// True when the command answered `9000` with result code ok(0).
fn ok(card: &mut Card<FaultPlatform>, der: &str) -> bool {
    es10(card, der).is_ok_and(|r| r.ends_with(&[0x80, 0x01, 0x00]))
}

fn run(der: String) -> impl Fn(&mut Card<FaultPlatform>) -> bool {
    move |card| ok(card, &der)
}

/// More commands in the same session: read, then change something that touches every profile.
fn more(card: &mut Card<FaultPlatform>) {
    assert!(es10(card, GET_EID).is_ok(), "GetEID after the fault");
    assert!(es10(card, PROFILES_INFO).is_ok(), "GetProfilesInfo after the fault");
    for iccid in [ICCID_A, ICCID_B, ICCID_C] {
        let _ = es10(card, &nickname(iccid, "after"));
    }
}

#[test]
fn every_command_with_every_storage_error() {
    let config = default_config();
    let three = storage_with(&three_profiles());
    let mut with_notes = three.clone();
    {
        let mut card = card_on(&config, FaultStorage::new(with_notes)).unwrap();
        assert!(ok(&mut card, &disable(ICCID_A)));
        with_notes = card.into_platform().storage.into_inner();
    }
    let cases: Vec<(&str, &MemStorage, String)> = vec![
        ("set default SM-DP+", &three, der(&Cmd::SetDp(1))),
        ("enable (implicit disable)", &three, enable(ICCID_B)),
        ("disable", &three, disable(ICCID_A)),
        ("delete", &three, delete(ICCID_B)),
        ("nickname", &three, nickname(ICCID_A, "work")),
        ("memory reset", &three, MEMORY_RESET.into()),
        ("notification removal", &with_notes, "BF3003 800101".into()),
    ];
    let mut runs = 0;
    for (name, initial, der) in cases {
        let report = fault_every_op(&config, initial, run(der), more).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(report.done > 0 && report.failed_before > 0, "{name}: {report:?}");
        eprintln!("{name}: {report:?}");
        runs += report.runs;
    }
    eprintln!("fault runs: {runs}");
}

#[test]
fn a_download_with_every_storage_error() {
    use veuicc::testkit::lpa::download;
    use veuicc::testkit::pki::default_pki;
    use veuicc::testkit::smdp::{ProfileToInstall, TestSmdp};
    let config = default_config();
    let install = |card: &mut Card<FaultPlatform>| {
        let Ok(mut lpa) = Es10Client::open(&mut *card) else { return false };
        let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 9);
        let profile = ProfileToInstall::sample([0x98, 0, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14], 3000);
        download(&mut lpa, &mut smdp, &profile).is_ok()
    };
    // A fault after InitialiseSecureChannel's commit leaves the note that a load is under way.
    let load_started = |before: &CardState, state: &CardState| {
        state.install.is_some() && CardState { install: None, ..state.clone() } == *before
    };
    let report = fault_every_op_allowing(&config, &MemStorage::new(), install, more, load_started).unwrap();
    assert!(report.done > 0 && report.between > 0, "{report:?}");
    eprintln!("download: {report:?}");
}

/// The index of the last flush of `der` on `initial`: the flush that makes its root durable.
fn root_flush(initial: &MemStorage, der: &str) -> usize {
    let mut card = card_on(&default_config(), FaultStorage::new(initial.clone())).unwrap();
    card.platform_mut().storage.plan(Fault { at_op: usize::MAX, kind: FaultKind::Fail });
    assert!(ok(&mut card, der));
    let history = card.platform_mut().storage.history();
    history.iter().rposition(|k| *k == OpKind::Flush).unwrap()
}

fn enabled(state: &CardState) -> Vec<&str> {
    state.profiles.iter().filter(|p| p.state == ProfileState::Enabled).map(|p| p.profile_name.as_str()).collect()
}

/// EnableProfile whose root flush fails once: the retried flush and re-read show the new
/// root, so the answer is ok — and a SetNickname after it builds on the new state (it
/// used to answer 6581, keep the old state, and leave two profiles enabled on storage).
#[test]
fn a_failed_root_flush_that_landed_is_answered_as_done() {
    let config = default_config();
    let initial = storage_with(&three_profiles());
    let at_op = root_flush(&initial, &enable(ICCID_B));
    let mut card = card_on(&config, FaultStorage::new(initial.clone())).unwrap();
    card.platform_mut().storage.plan(Fault { at_op, kind: FaultKind::Fail });
    assert_eq!(es10(&mut card, &enable(ICCID_B)).map(|r| r.ends_with(&[0x80, 1, 0])), Ok(true));
    assert_eq!(card.platform_mut().storage.injected(), 1);
    assert!(ok(&mut card, &nickname(ICCID_A, "old")));
    let disk = stored_state(&config, card.platform_mut().storage.inner()).unwrap();
    assert_eq!(enabled(&disk), ["profile 11"]);
    assert_eq!(disk.profiles[0].nickname.as_deref(), Some("old"));
    assert_eq!(*card.state(), disk);
}

/// The same with the storage failing from the root flush on (a directory that cannot be
/// opened or synced any more): the outcome is unknown, the card answers 6581 and is in
/// doubt, refuses to change anything while it cannot read storage, and once storage works
/// again it reloads before the next command.
#[test]
fn an_unknown_outcome_is_reloaded_before_the_next_command() {
    let config = default_config();
    let initial = storage_with(&three_profiles());
    let at_op = root_flush(&initial, &enable(ICCID_B));
    let mut card = card_on(&config, FaultStorage::new(initial.clone())).unwrap();
    card.platform_mut().storage.plan(Fault { at_op, kind: FaultKind::Sticky });
    assert_eq!(es10(&mut card, &enable(ICCID_B)), Err(0x6581));
    assert!(card.in_doubt());
    // Storage still fails: the card refuses rather than build on what it does not know.
    assert_eq!(es10(&mut card, &nickname(ICCID_A, "old")), Err(0x6581));
    card.platform_mut().storage.heal();
    assert!(ok(&mut card, &nickname(ICCID_A, "old")));
    assert!(!card.in_doubt());
    let disk = stored_state(&config, card.platform_mut().storage.inner()).unwrap();
    // The enable had landed (the root was written before its flush failed).
    assert_eq!(enabled(&disk), ["profile 11"]);
    assert_eq!(disk.profiles[0].nickname.as_deref(), Some("old"));
    assert_eq!(*card.state(), disk);
}

/// A load under way (its install record committed) on a full storage: the PIR cannot be
/// committed. Read-only commands still answer, Delete and eUICCMemoryReset run (with the
/// little space there is), and the PIR is made once there is room.
#[test]
fn a_full_disk_after_a_failed_download() {
    let config = default_config();
    let initial = with_load_under_way(storage_with(&three_profiles()));
    for (name, der, gone) in [
        ("delete", delete(ICCID_B), vec!["profile 11"]),
        ("memory reset", MEMORY_RESET.to_string(), vec!["profile 10", "profile 11", "profile 12"]),
    ] {
        let mut storage = FaultStorage::new(initial.clone());
        // Room for one small commit (Delete needs 360 bytes), not for the signed PIR's (510).
        let used = storage.used().unwrap();
        storage.set_quota(Some(used + 420));
        let mut card = card_on(&config, storage).unwrap();
        assert_eq!(es10(&mut card, GET_EID).map(|r| r.len()), Ok(21), "{name}");
        assert!(es10(&mut card, PROFILES_INFO).is_ok(), "{name}");
        assert!(es10(&mut card, "BF2800").is_ok(), "{name}: ListNotification");
        assert!(card.state().install.is_some(), "{name}: the PIR did not fit");
        assert!(ok(&mut card, &der), "{name}");
        let names: Vec<&str> = card.state().profiles.iter().map(|p| p.profile_name.as_str()).collect();
        assert!(gone.iter().all(|g| !names.contains(g)), "{name}: {names:?}");
        // Space comes back: the next command makes the PIR.
        card.platform_mut().storage.set_quota(None);
        assert!(es10(&mut card, GET_EID).is_ok());
        assert!(card.state().install.is_none(), "{name}: the PIR is made");
        assert!(card.state().notifications.iter().any(|n| n.pir.is_some()), "{name}");
        let disk = stored_state(&config, card.platform_mut().storage.inner()).unwrap();
        assert_eq!(*card.state(), disk);
    }
}

/// Each channel keeps its own STORE DATA chain (a one-block command on another channel
/// used to throw the first channel's chain away).
#[test]
fn a_chain_survives_a_command_on_another_channel() {
    let mut card = card_on(&default_config(), FaultStorage::new(MemStorage::new())).unwrap();
    let select = |ch: u8| {
        let mut apdu = vec![ch, 0xA4, 0x04, 0x0C, 0x10];
        apdu.extend(hex("A0000005591010FFFFFFFF8900000100"));
        apdu
    };
    assert_eq!(card.transmit(&hex("0070000001")), [0x01, 0x90, 0x00]);
    assert_eq!(card.transmit(&hex("0070000002")), [0x02, 0x90, 0x00]);
    assert_eq!(card.transmit(&select(1)), [0x90, 0x00]);
    assert_eq!(card.transmit(&select(2)), [0x90, 0x00]);
    assert_eq!(card.transmit(&hex("81E2110002BF3E")), [0x90, 0x00]);
    let r = card.transmit(&hex("82E2910006BF3E035C015A00"));
    assert_eq!(&r[r.len() - 2..], [0x90, 0x00]);
    assert_eq!(&r[..5], hex("BF3E125A10"));
    let r = card.transmit(&hex("81E2910104035C015A00"));
    assert_eq!(&r[r.len() - 2..], [0x90, 0x00], "channel 1's chain went on: {r:02X?}");
    assert_eq!(&r[..5], hex("BF3E125A10"));
}

// ------------------------------------------------------------------ property test

#[derive(Debug, Clone)]
enum Cmd {
    Enable(usize),
    Disable(usize),
    Delete(usize),
    Nickname(usize, u8),
    SetDp(u8),
    MemoryReset,
    RemoveNotification(u8),
    Read,
}

fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        (0..3usize).prop_map(Cmd::Enable),
        (0..3usize).prop_map(Cmd::Disable),
        (0..3usize).prop_map(Cmd::Delete),
        (0..3usize, 0..4u8).prop_map(|(i, n)| Cmd::Nickname(i, n)),
        (0..4u8).prop_map(Cmd::SetDp),
        Just(Cmd::MemoryReset),
        (1..8u8).prop_map(Cmd::RemoveNotification),
        Just(Cmd::Read),
    ]
}

fn der(c: &Cmd) -> String {
    let iccid = |i: usize| [ICCID_A, ICCID_B, ICCID_C][i];
    match c {
        Cmd::Enable(i) => enable(iccid(*i)),
        Cmd::Disable(i) => disable(iccid(*i)),
        Cmd::Delete(i) => delete(iccid(*i)),
        Cmd::Nickname(i, n) => nickname(iccid(*i), &format!("nick{n}")),
        Cmd::SetDp(n) => format!("BF3F0F 800D 736D6470{:02X}2E6578616D706C65", b'0' + n),
        Cmd::MemoryReset => MEMORY_RESET.into(),
        Cmd::RemoveNotification(seq) => format!("BF3003 8001{seq:02X}"),
        Cmd::Read => PROFILES_INFO.into(),
    }
}

fn fault_kind() -> impl Strategy<Value = Option<(usize, FaultKind)>> {
    prop_oneof![
        2 => Just(None),
        3 => (0..12usize, prop_oneof![Just(FaultKind::Fail), Just(FaultKind::FailLanded), Just(FaultKind::Sticky)])
            .prop_map(Some),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random commands, each with a random storage error at a random operation (a sticky one
    /// healed after the command): after every step storage opens, the invariants hold, a
    /// command answered as done is on storage, and the card holds what storage holds (or is
    /// in doubt, and is not any more after the next command on healed storage).
    #[test]
    fn random_commands_with_random_storage_errors(steps in proptest::collection::vec((cmd(), fault_kind()), 1..14)) {
        let config = default_config();
        let mut card = card_on(&config, FaultStorage::new(storage_with(&three_profiles()))).unwrap();
        for (c, fault) in steps {
            if let Some((at_op, kind)) = fault {
                card.platform_mut().storage.plan(Fault { at_op, kind });
            }
            let answer = es10(&mut card, &der(&c));
            card.platform_mut().storage.heal();
            let disk = stored_state(&config, card.platform_mut().storage.inner())
                .map_err(|e| TestCaseError::fail(format!("{c:?} {fault:?}: {e}")))?;
            if answer == Err(0x6581) && !card.in_doubt() {
                // A known failure leaves the state before, an unknown outcome was reloaded.
                prop_assert_eq!(card.state(), &disk, "{:?} {:?}", c, fault);
            }
            if card.in_doubt() {
                prop_assert!(es10(&mut card, GET_EID).is_ok());
                prop_assert!(!card.in_doubt());
            }
            prop_assert_eq!(card.state(), &disk, "{:?} {:?}: the card's state is not storage's", c, fault);
        }
    }
}
