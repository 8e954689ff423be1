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
        (&["--sgp22", "3.0", "--mep", "c"], "a1, a2 or b"),
        (&["--sgp22", "3.0", "--ports", "2"], "--mep"),
    ] {
        let (code, _, err) = veuicc(&[&["profiles"][..], args].concat());
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

/// MEP-B: `veuicc enable --port N` sends the EnableProfile on port N (MANAGE LSI), so the
/// profile is enabled there; `veuicc sim --port N` reads that port's SIM.
#[test]
fn a_mep_b_card_enables_on_the_port_the_command_goes_to() {
    use veuicc::testkit::saip::TestProfile;
    let dir = std::env::temp_dir().join(format!("veuicc-cli-mep-b-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut second = TestProfile::new(support::hex("98001032547698103225").try_into().unwrap());
    second.imsi = "001010000000002".into();
    let first = TestProfile::new(support::hex("98001032547698103214").try_into().unwrap());
    let mut storage = DirStorage::open(&dir).unwrap();
    veuicc::testkit::install_profiles_on(&mut storage, &[first.to_der(), second.to_der()], &[None, None]).unwrap();
    drop(storage);
    let d = dir.to_str().unwrap();
    let (code, out, err) =
        veuicc(&["enable", "--state", d, "--sgp22", "3.0", "--mep", "b", "--port", "1", "89000123456789012352"]);
    assert_eq!((code, out.as_str()), (0, "ok\nport 1\n"), "{err}");
    let (code, out, err) = veuicc(&["enable", "--state", d, "89000123456789012341"]);
    assert_eq!((code, out.as_str()), (0, "ok\nport 0\n"), "{err}");
    // A port the card does not have is a wrong argument (exit 2).
    let (code, _, err) = veuicc(&["enable", "--state", d, "--port", "2", "89000123456789012341"]);
    assert_eq!(code, 2);
    assert!(err.contains("no eSIM port 2"), "{err}");
    for (port, imsi) in [("0", "001010123456063"), ("1", "001010000000002")] {
        let (code, out, err) = veuicc(&["sim", "cat", "7FFF/6F07", "--state", d, "--pin", "0000", "--port", port]);
        assert_eq!(code, 0, "{err}");
        assert!(out.ends_with(&format!("IMSI {imsi}\n")), "port {port}: {out}");
    }
    let (code, out, err) = veuicc(&["disable", "--state", d, "89000123456789012341"]);
    assert_eq!((code, out.as_str()), (0, "ok\n"), "{err}");
    let (code, _, err) = veuicc(&["sim", "cat", "2FE2", "--state", d, "--port", "0"]);
    assert_eq!((code, err.trim()), (1, "veuicc: no profile enabled on eSIM port 0"));
    // Without --port: the lowest port with an enabled profile.
    let (code, out, err) = veuicc(&["sim", "cat", "2FE2", "--state", d]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ICCID 89000123456789012352"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `veuicc serve --port-slots`: a MEP-A1 card with 2 profile ports in three vpcd reader
/// slots (ports 0, 1, 2), each answering as its own port (fake vpcd listeners on loopback).
#[test]
fn serve_puts_each_esim_port_in_a_reader_slot_of_its_own() {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::time::Duration;
    // Three consecutive free TCP ports.
    let listeners = (0..50)
        .find_map(|_| {
            let first = TcpListener::bind("127.0.0.1:0").ok()?;
            let base = first.local_addr().ok()?.port();
            let rest: Option<Vec<_>> =
                (1..3).map(|k| TcpListener::bind(("127.0.0.1", base.checked_add(k)?)).ok()).collect();
            let mut all = vec![first];
            all.extend(rest?);
            Some(all)
        })
        .expect("three consecutive free ports");
    let base = listeners[0].local_addr().unwrap().port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_veuicc"))
        .args(["serve", "--vpcd", &format!("127.0.0.1:{base}"), "--sgp22", "3.0", "--mep", "a1", "--port-slots"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let exchange = |s: &mut std::net::TcpStream, payload: &[u8]| {
        let mut frame = (payload.len() as u16).to_be_bytes().to_vec();
        frame.extend_from_slice(payload);
        s.write_all(&frame).unwrap();
        let mut len = [0u8; 2];
        s.read_exact(&mut len).unwrap();
        let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
        s.read_exact(&mut buf).unwrap();
        buf
    };
    let select_isd_r = support::hex("00A4040C10A0000005591010FFFFFFFF8900000100");
    let mut answers = Vec::new();
    for l in &listeners {
        let (mut s, _) = l.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let atr = exchange(&mut s, &[0x04]);
        answers.push((atr, exchange(&mut s, &select_isd_r)));
    }
    child.kill().unwrap();
    let _ = child.wait();
    let mep_atr = veuicc::card::MEP_ATR.to_vec();
    assert_eq!(
        answers,
        [(mep_atr.clone(), vec![0x90, 0x00]), (mep_atr.clone(), vec![0x6A, 0x82]), (mep_atr, vec![0x6A, 0x82])],
        "the ISD-R is on port 0 only"
    );
}
