//! A state directory written by format version 1 code (`tests/fixtures/state-v1/`) still
//! opens, with the content it was written with, and its records still encode to the bytes on
//! disk. A change that breaks old state directories fails here.
//!
//! The fixture was written once by the format version 1 code of commit 39ea274 (its
//! `write_fixture`: `initial()` committed, then an enable, two nicknames and a default address
//! over ES10) and must never be rewritten by a later format: it is the old state that newer
//! code must keep opening.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

mod support;
use support::hex;

use std::path::{Path, PathBuf};
use veuicc::Card;
use veuicc::host::fs_storage::DirStorage;
use veuicc::host::platform;
use veuicc::store::{
    CardState, ConfigRecord, Icon, InstallRecord, NotificationConfig, NotificationEvent, NotificationRecord, Owner,
    PPR1, PPR2, ProfileClass, ProfileRecord, ProfileState, Store, check_invariants,
};
use veuicc::testkit::{Es10Client, default_config};

const FIXTURE: &str = "tests/fixtures/state-v1";
const ICCID_A: &str = "98001032547698103214";
const ICCID_B: &str = "98001032547698103222";
const ICCID_C: &str = "98001032547698103233";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE)
}

fn aid(slot: u8) -> Vec<u8> {
    let mut aid = hex("A0000005591010FFFFFFFF8900001000");
    aid[14] = slot;
    aid
}

fn package(slot: u8) -> Vec<u8> {
    vec![0xA0, 0x03, 0x80, 0x01, slot]
}

/// The state first committed: every field of every record kind has a value somewhere.
fn initial() -> (CardState, Vec<(u8, Vec<u8>)>) {
    let a = ProfileRecord {
        iccid: hex(ICCID_A).into(),
        isdp_aid: aid(0x10).into(),
        state: ProfileState::Enabled,
        nickname: Some("home".into()),
        service_provider_name: "Operator A".into(),
        profile_name: "A".into(),
        icon: Some(Icon { icon_type: 1.into(), data: hex("89504E47").into() }),
        class: ProfileClass::Operational,
        ppr: 0,
        notification_config: vec![
            NotificationConfig { events: 0b0110, address: "a.example.com".into() },
            NotificationConfig { events: 0b1000, address: "a-delete.example.com".into() },
        ],
        owner: Some(Owner { mcc_mnc: hex("21F354").into(), gid1: Some(hex("0102").into()), gid2: None }),
        dp_proprietary_data: Some(hex("3005 0603 2A0304").into()),
        port: None,
        hri_server_address: None,
        enterprise: None,
        service_description: None,
        service_specific_data: None,
        rpm_configuration: None,
        device_change_configuration: None,
    };
    let b = ProfileRecord {
        iccid: hex(ICCID_B).into(),
        isdp_aid: aid(0x11).into(),
        state: ProfileState::Disabled,
        nickname: None,
        service_provider_name: "Test SP".into(),
        profile_name: "B".into(),
        icon: None,
        class: ProfileClass::Test,
        ppr: 0,
        notification_config: vec![NotificationConfig { events: 0b0010, address: "b.example.com".into() }],
        owner: None,
        dp_proprietary_data: None,
        port: None,
        hri_server_address: None,
        enterprise: None,
        service_description: None,
        service_specific_data: None,
        rpm_configuration: None,
        device_change_configuration: None,
    };
    let c = ProfileRecord {
        iccid: hex(ICCID_C).into(),
        isdp_aid: aid(0x12).into(),
        state: ProfileState::Disabled,
        nickname: None,
        service_provider_name: "Operator C".into(),
        profile_name: "C".into(),
        icon: None,
        class: ProfileClass::Operational,
        ppr: PPR1 | PPR2,
        notification_config: vec![],
        owner: None,
        dp_proprietary_data: None,
        port: None,
        hri_server_address: None,
        enterprise: None,
        service_description: None,
        service_specific_data: None,
        rpm_configuration: None,
        device_change_configuration: None,
    };
    let state = CardState {
        config: ConfigRecord {
            default_dp_address: None,
            last_seq_number: 3,
            eid: Some(default_config().eid.as_bytes().to_vec().into()),
            test_fallback: None,
        },
        profiles: vec![a, b, c],
        notifications: vec![
            NotificationRecord {
                seq: 1,
                event: NotificationEvent::Install,
                address: "smdp.example.com".into(),
                iccid: Some(hex(ICCID_A).into()),
                pir: Some(hex("BF37 03 BF27 00").into()),
            },
            NotificationRecord {
                seq: 3,
                event: NotificationEvent::Enable,
                address: "a.example.com".into(),
                iccid: Some(hex(ICCID_A).into()),
                pir: None,
            },
        ],
        install: None,
        kinds: Default::default(),
    };
    (state, vec![(0x10, package(0x10)), (0x11, package(0x11)), (0x12, package(0x12))])
}

fn install_record() -> InstallRecord {
    InstallRecord {
        transaction_id: hex("0102030405060708090A0B0C0D0E0F10").into(),
        server_address: "smdp.example.com".into(),
        smdp_oid: hex("2A0304").into(),
    }
}

fn es10(card: &mut Card<veuicc::host::HostPlatform<DirStorage>>, der: &str) -> Vec<u8> {
    let mut lpa = Es10Client::open(card).unwrap();
    let r = lpa.store_data(&hex(der)).unwrap();
    lpa.close().unwrap();
    r
}

/// The fixture's files, copied into a fresh directory (the card locks and writes its own).
fn copy_fixture(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("veuicc-fixture-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut n = 0;
    for entry in std::fs::read_dir(fixture()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
        n += 1;
    }
    assert!(n > 5, "the fixture is missing ({n} files in {FIXTURE})");
    dir
}

/// What the fixture holds, written out (not derived from the code that reads it).
fn expected() -> CardState {
    let (mut state, _) = initial();
    state.profiles[0].state = ProfileState::Disabled;
    state.profiles[1].state = ProfileState::Enabled;
    state.profiles[2].nickname = Some("work2".into());
    state.config.last_seq_number = 5;
    state.config.test_fallback = Some(aid(0x10).into());
    state.config.default_dp_address = Some("smdp.example.com".into());
    state.notifications.push(NotificationRecord {
        seq: 4,
        event: NotificationEvent::Disable,
        address: "a.example.com".into(),
        iccid: Some(hex(ICCID_A).into()),
        pir: None,
    });
    state.notifications.push(NotificationRecord {
        seq: 5,
        event: NotificationEvent::Enable,
        address: "b.example.com".into(),
        iccid: Some(hex(ICCID_B).into()),
        pir: None,
    });
    state.install = Some(install_record());
    state
}

#[test]
fn format_version_1_state_directory_opens_with_its_content() {
    let dir = copy_fixture("open");
    let mut storage = DirStorage::open_read_only(&dir).unwrap();
    let store = Store::open(&mut storage).unwrap();
    assert_eq!(store.generation(), 6);
    let state = CardState::load::<std::io::Error>(&store).unwrap();
    assert_eq!(state, expected());
    check_invariants(&store, &state).unwrap();
    for slot in [0x10, 0x11, 0x12] {
        assert_eq!(store.get(&format!("u.{slot:02x}")), Some(&package(slot)[..]), "package u.{slot:02x}");
    }
    // Every record as today's code encodes it is the byte string on disk: the encoding of
    // the fields version 1 wrote never changes (a new field must be an `Option` at the end).
    let mut names: Vec<&str> = store.names().collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "config",
            "install",
            "n.0000000000000001",
            "n.0000000000000003",
            "n.0000000000000004",
            "n.0000000000000005",
            "p.10",
            "p.11",
            "p.12",
            "u.10",
            "u.11",
            "u.12"
        ]
    );
    assert_eq!(store.get("config"), Some(&rasn::der::encode(&state.config).unwrap()[..]));
    assert_eq!(store.get("install"), Some(&rasn::der::encode(&install_record()).unwrap()[..]));
    for p in &state.profiles {
        assert_eq!(store.get(&p.record_name()), Some(&rasn::der::encode(p).unwrap()[..]), "{}", p.record_name());
    }
    for n in &state.notifications {
        let name = format!("n.{:016x}", n.seq);
        assert_eq!(store.get(&name), Some(&rasn::der::encode(n).unwrap()[..]), "{name}");
    }
    drop(storage);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn format_version_1_state_directory_runs_a_card() {
    let dir = copy_fixture("card");
    let mut card = Card::new(default_config(), platform(DirStorage::open(&dir).unwrap())).unwrap();
    assert_eq!(*card.state(), expected());
    // The interrupted load's PIR is made at the next command; disabling the Test profile
    // falls back to A.
    assert_eq!(es10(&mut card, &format!("BF3211 A00C 5A0A{ICCID_B} 810100")), hex("BF3203800100"));
    let state = card.state().clone();
    assert_eq!(state.install, None);
    assert_eq!(
        state.profiles.iter().map(|p| p.state).collect::<Vec<_>>(),
        [ProfileState::Enabled, ProfileState::Disabled, ProfileState::Disabled]
    );
    assert_eq!(state.config.test_fallback, None);
    drop(card);
    let mut storage = DirStorage::open_read_only(&dir).unwrap();
    let store = Store::open(&mut storage).unwrap();
    assert_eq!(CardState::load::<std::io::Error>(&store).unwrap(), state);
    check_invariants(&store, &state).unwrap();
    drop(storage);
    let _ = std::fs::remove_dir_all(&dir);
}
