//! `--sgp22`, `--mep`, `--ports` on the command line: kept with the state directory, an
//! SGP.22 v3 MEP card's ports in `veuicc enable` and `veuicc profiles`.
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
use support::{profile_record, veuicc};

use veuicc::host::fs_storage::DirStorage;
use veuicc::store::{CardState, ProfileClass, ProfileState};

/// A state directory with three disabled profiles (`ICCIDS`).
fn state_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("veuicc-cli-mep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut state = CardState::default();
    for (i, iccid) in ["98001032547698103211", "98001032547698103212", "98001032547698103213"].iter().enumerate() {
        state.profiles.push(profile_record(
            iccid,
            0x10 + i as u8,
            ProfileState::Disabled,
            ProfileClass::Operational,
            0,
            0,
        ));
    }
    let mut storage = DirStorage::open(&dir).unwrap();
    support::install(&mut storage, &state);
    dir
}

const ICCIDS: [&str; 3] = ["89000123456789012311", "89000123456789012321", "89000123456789012331"];

#[test]
fn a_mep_a2_card_from_the_command_line() {
    let dir = state_dir("a2");
    let d = dir.to_str().unwrap();
    // The first command names the personality; the directory keeps it.
    let (code, out, err) = veuicc(&["enable", "--state", d, "--sgp22", "3.0", "--mep", "a2", ICCIDS[0]]);
    assert_eq!((code, out.as_str()), (0, "ok\nport 1\n"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.join(".card")).unwrap(), "sgp22 3.0\nmep a2 2\n");
    let (code, out, _) = veuicc(&["enable", "--state", d, ICCIDS[1]]);
    assert_eq!((code, out.as_str()), (0, "ok\nport 2\n"));
    let (code, _, err) = veuicc(&["enable", "--state", d, ICCIDS[2]]);
    assert_eq!((code, err.trim()), (1, "veuicc: noEsimPortAvailable (10)"));
    let (code, out, _) = veuicc(&["profiles", "--state", d, "--json"]);
    assert_eq!(code, 0);
    let ports: Vec<&str> = out.match_indices("\"port\":").map(|(i, _)| &out[i + 7..i + 8]).collect();
    assert_eq!(ports, ["1", "2", "n"], "{out}");
    let (_, out, _) = veuicc(&["profiles", "--state", d]);
    assert!(out.lines().next().unwrap().contains("enabled 1"), "{out}");
    // The card is what it was made: another personality is refused, the same one is fine.
    let (code, _, err) = veuicc(&["profiles", "--state", d, "--sgp22", "2.5"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot become one of SGP.22 2.5"), "{err}");
    let (code, _, err) = veuicc(&["profiles", "--state", d, "--sgp22", "3.0", "--mep", "a2", "--ports", "2"]);
    assert_eq!(code, 0, "{err}");
    // EUICCInfo1 of the kept v3 card carries highestSvn 3.0.0 (`93 03 030000`).
    let (code, out, err) =
        veuicc(&["apdu", "--state", d, "00A4040010A0000005591010FFFFFFFF890000010000", "80E2910003BF200000"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.to_uppercase().contains("9303030000"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_mep_a1_card_takes_the_port_from_the_lpa() {
    let dir = state_dir("a1");
    let d = dir.to_str().unwrap();
    let (code, _, err) = veuicc(&["enable", "--state", d, "--sgp22", "3.1", "--mep", "a1", ICCIDS[0]]);
    assert_eq!((code, err.trim()), (1, "veuicc: commandError (7)"));
    let (code, out, err) = veuicc(&["enable", "--state", d, "--port", "2", ICCIDS[0]]);
    assert_eq!((code, out.as_str()), (0, "ok\nport 2\n"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_personalities_are_refused() {
    for (args, says) in [
        (&["--mep", "a1"][..], "an SGP.22 v3 feature"),
        (&["--sgp22", "4.0"], "2.5, 3.0 or 3.1"),
        (&["--sgp22", "3.0", "--mep", "b"], "logical SE interfaces"),
        (&["--sgp22", "3.0", "--ports", "2"], "--mep"),
    ] {
        let (code, _, err) = veuicc(&[&["profiles"][..], args].concat());
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
