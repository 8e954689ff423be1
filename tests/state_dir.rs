//! State directories: every kind of damaged file is refused and named, by the
//! card and by `veuicc state check`; a directory in use is refused to a second
//! opener; free memory reflects what is stored.
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
use support::veuicc;

use std::path::{Path, PathBuf};
use veuicc::Card;
use veuicc::host::fs_storage::{DirStorage, OpenError};
use veuicc::host::platform;
use veuicc::testkit::{Es10Client, TestCard, default_config};

/// Tests here fork subprocesses while other tests hold directory locks; a forked
/// child shares the parent's open lock files until it execs, so a lock released
/// in one thread can look held in another. Run these tests one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("veuicc-state-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A state directory after two SetDefaultDpAddress commands (root.0, root.1, both record slots).
fn populated(dir: &Path) {
    let storage = DirStorage::open(dir).unwrap();
    let mut card = Card::new(default_config(), platform(storage)).unwrap();
    let mut lpa = Es10Client::open(&mut card).unwrap();
    lpa.set_default_dp_address("first.example.com").unwrap();
    lpa.set_default_dp_address("smdp.example.com").unwrap();
    lpa.close().unwrap();
}

fn start(dir: &Path) -> Result<(), String> {
    let storage = DirStorage::open(dir).map_err(|e| e.to_string())?;
    Card::new(default_config(), platform(storage)).map(|_| ()).map_err(|e| e.to_string())
}

#[test]
fn sound_directory_checks_and_shows() {
    let _serial = serial();
    let dir = TempDir::new("sound");
    populated(&dir.0);
    let d = dir.0.to_str().unwrap();
    let (code, out, _) = veuicc(&["state", "check", d]);
    assert_eq!(code, 0);
    assert!(out.contains("sound (generation 2"), "{out}");
    let (code, out, _) = veuicc(&["state", "show", "--json", d]);
    assert_eq!(code, 0);
    assert!(out.contains("\"default_dp_address\":\"smdp.example.com\""), "{out}");
    let mut files: Vec<String> =
        std::fs::read_dir(&dir.0).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    assert_eq!(files, [".lock", "r.config.0", "r.config.1", "root.0", "root.1"]);
}

#[test]
fn every_damaged_file_is_refused_and_named() {
    let _serial = serial();
    type Damage = fn(&mut Vec<u8>);
    let damages: [(&str, Damage, &str); 4] = [
        ("truncated", |b| b.truncate(b.len() - 3), "checksum mismatch"),
        ("bit flip", |b| b[7] ^= 0x10, "checksum mismatch"),
        ("wrong version", |b| b[4] = 99, "unsupported format version"),
        ("foreign content", |b| *b = b"hello, world".to_vec(), "not a veuicc"),
    ];
    // Newest root (generation 2 is root.0) and the record it references (slot 1).
    for file in ["root.0", "root.1", "r.config.1"] {
        for (what, damage, reason) in damages {
            let dir = TempDir::new("damage");
            populated(&dir.0);
            let path = dir.0.join(file);
            let mut bytes = std::fs::read(&path).unwrap();
            damage(&mut bytes);
            std::fs::write(&path, bytes).unwrap();
            let err = start(&dir.0).unwrap_err();
            assert!(err.contains(file), "{file} {what}: {err}");
            let (code, _, err) = veuicc(&["state", "check", dir.0.to_str().unwrap()]);
            assert_eq!(code, 1, "{file} {what}");
            assert!(err.contains(file) && err.contains(reason), "{file} {what}: {err}");
        }
    }
}

#[test]
fn missing_record_and_stray_files() {
    let _serial = serial();
    let dir = TempDir::new("stray");
    populated(&dir.0);
    std::fs::remove_file(dir.0.join("r.config.1")).unwrap();
    assert!(start(&dir.0).unwrap_err().contains("r.config.1: missing record file"));
    let dir = TempDir::new("stray2");
    populated(&dir.0);
    std::fs::write(dir.0.join("notes.txt"), "x").unwrap();
    let err = start(&dir.0).unwrap_err();
    assert!(err.contains("notes.txt") && err.contains("foreign"), "{err}");
    // A temporary file left by an interrupted write is not an error: it is cleaned up.
    let dir = TempDir::new("tmp");
    populated(&dir.0);
    std::fs::write(dir.0.join(".root.1.tmp"), "half").unwrap();
    start(&dir.0).unwrap();
    assert!(!dir.0.join(".root.1.tmp").exists());
}

#[test]
fn a_directory_in_use_is_refused() {
    let _serial = serial();
    let dir = TempDir::new("lock");
    populated(&dir.0);
    // This process holds the directory with a running card.
    let storage = DirStorage::open(&dir.0).unwrap();
    let mut card = Card::new(default_config(), platform(storage)).unwrap();
    assert!(matches!(DirStorage::open(&dir.0), Err(OpenError::InUse(_))));
    let d = dir.0.to_str().unwrap();
    let (code, _, err) = veuicc(&["apdu", "--state", d, "00A4040C10A0000005591010FFFFFFFF8900000100"]);
    assert_eq!(code, 2);
    assert!(err.contains("in use by another veuicc process"), "{err}");
    let (code, _, err) = veuicc(&["state", "check", d]);
    assert_eq!(code, 1);
    assert!(err.contains("in use"), "{err}");
    // The first keeps working.
    let mut lpa = Es10Client::open(&mut card).unwrap();
    assert_eq!(lpa.set_default_dp_address("third.example.com").unwrap().set_default_dp_address_result, 0.into());
    lpa.close().unwrap();
    drop(card);
    assert_eq!(veuicc(&["state", "check", d]).0, 0);
}

#[test]
fn free_memory_reflects_what_is_stored() {
    let _serial = serial();
    fn free_nvm(card: &mut TestCard) -> u32 {
        let mut lpa = Es10Client::open(&mut *card).unwrap();
        let info = lpa.get_euicc_info2().unwrap();
        lpa.close().unwrap();
        // extCardResource: 81 01 nn 82 04 <free NVM> 83 02 <RAM>
        u32::from_be_bytes(info.ext_card_resource[5..9].try_into().unwrap())
    }
    let mut card = TestCard::new(1);
    let empty = free_nvm(&mut card);
    assert_eq!(empty, 1024 * 1024);
    let mut lpa = Es10Client::open(&mut card).unwrap();
    lpa.set_default_dp_address("smdp.example.com").unwrap();
    lpa.close().unwrap();
    let used = empty - free_nvm(&mut card);
    // The config record: DER SEQUENCE { [0] UTF8String "smdp.example.com", [1] INTEGER 0
    // (the notification counter), [2] OCTET STRING EID } = 2 + 18 + 3 + 18 bytes.
    assert_eq!(used, 41);
}

#[test]
fn a_state_directory_belongs_to_one_card() {
    let _serial = serial();
    let dir = TempDir::new("owner");
    populated(&dir.0);
    let other = veuicc::Eid::with_check_digits("899990010000100000000000000777").unwrap();
    let storage = DirStorage::open(&dir.0).unwrap();
    let err = Card::new(veuicc::CardConfig::new(other), platform(storage)).unwrap_err().to_string();
    assert!(err.contains("belongs to the card with EID 89999001000010000000000000000038"), "{err}");
    // Its own card still starts.
    start(&dir.0).unwrap();
}

/// Root files cannot go missing by themselves on a state directory (writes are atomic and
/// both roots exist from the first commit on): a missing one is named, never taken as an
/// older state or a fresh card.
#[test]
fn a_missing_root_is_refused_and_named() {
    let _serial = serial();
    // populated(): generation 2 in root.0 (newest), generation 1 in root.1.
    for (remove, named) in
        [(&["root.0"][..], "root.0"), (&["root.1"][..], "root.1"), (&["root.0", "root.1"][..], "root.0")]
    {
        let dir = TempDir::new("noroot");
        populated(&dir.0);
        for file in remove {
            std::fs::remove_file(dir.0.join(file)).unwrap();
        }
        let err = start(&dir.0).unwrap_err();
        assert!(err.contains(named) && err.contains("missing root file"), "{remove:?}: {err}");
        let (code, out, err) = veuicc(&["state", "check", dir.0.to_str().unwrap()]);
        assert_eq!(code, 1, "{remove:?}: {out}");
        assert!(err.contains(named) && err.contains("missing root file"), "{remove:?}: {err}");
    }
    // After one commit both roots exist too (the format writes both).
    let dir = TempDir::new("noroot1");
    {
        let storage = DirStorage::open(&dir.0).unwrap();
        let mut card = Card::new(default_config(), platform(storage)).unwrap();
        let mut lpa = Es10Client::open(&mut card).unwrap();
        lpa.set_default_dp_address("smdp.example.com").unwrap();
        lpa.close().unwrap();
    }
    std::fs::remove_file(dir.0.join("root.1")).unwrap();
    let err = start(&dir.0).unwrap_err();
    assert!(err.contains("root.1: missing root file"), "{err}");
    // An empty directory is a fresh card.
    let dir = TempDir::new("empty");
    std::fs::create_dir_all(&dir.0).unwrap();
    start(&dir.0).unwrap();
}

/// A state directory holds subscriber keys: it is created 0700, its files 0600.
#[test]
fn state_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let _serial = serial();
    let dir = TempDir::new("modes");
    populated(&dir.0);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.0), 0o700);
    for entry in std::fs::read_dir(&dir.0).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
}

/// `state check` and `state show` only read: they create no lock file, remove no
/// temporary file, and work on a directory this user cannot write.
#[test]
fn state_check_and_show_only_read() {
    use std::os::unix::fs::PermissionsExt;
    let _serial = serial();
    let dir = TempDir::new("readonly");
    populated(&dir.0);
    std::fs::remove_file(dir.0.join(".lock")).unwrap();
    std::fs::write(dir.0.join(".root.1.tmp"), "half").unwrap();
    let listing = || {
        let mut files: Vec<String> =
            std::fs::read_dir(&dir.0).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        files.sort();
        files
    };
    let before = listing();
    let d = dir.0.to_str().unwrap();
    let (code, out, err) = veuicc(&["state", "check", d]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(veuicc(&["state", "show", d]).0, 0);
    assert_eq!(listing(), before);
    // A read-only directory (meaningful when not running as root).
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o500)).unwrap();
    let (code, out, err) = veuicc(&["state", "check", d]);
    std::fs::set_permissions(&dir.0, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(code, 0, "{out}{err}");
    // A serving card's exclusive lock still keeps inspection out.
    let storage = DirStorage::open(&dir.0).unwrap();
    let (code, _, err) = veuicc(&["state", "check", d]);
    assert_eq!(code, 1);
    assert!(err.contains("in use"), "{err}");
    drop(storage);
}

/// `state check` checks the card's invariants too: two enabled profiles are not sound.
#[test]
fn state_check_names_a_broken_invariant() {
    use veuicc::store::{CardState, ProfileClass, ProfileRecord, ProfileState};
    let _serial = serial();
    let dir = TempDir::new("invariant");
    let profile = |slot: u8| ProfileRecord {
        iccid: vec![0x98, 0, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, slot].into(),
        isdp_aid: vec![0xA0, 0, 0, 5, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0, 0, slot, 0].into(),
        state: ProfileState::Enabled,
        nickname: None,
        service_provider_name: "SP".into(),
        profile_name: "P".into(),
        icon: None,
        class: ProfileClass::Operational,
        ppr: 0,
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
    let state = CardState { profiles: vec![profile(0x10), profile(0x11)], ..CardState::default() };
    let mut storage = DirStorage::open(&dir.0).unwrap();
    support::install(&mut storage, &state);
    drop(storage);
    let (code, out, err) = veuicc(&["state", "check", dir.0.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("invariant broken: 2 profiles are enabled"), "{err}");
}
