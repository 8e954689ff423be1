//! `veuicc transfer` (SGP.22 v3 Device Change) through the binary: a profile `download
//! --device-change` put on a v3 card moves to a second card (the second identity of a `veuicc
//! pki new` PKI, v3), each step printed, the JSON report; the old card ends without it and with
//! its delete notification, the new one with it and its install notification; a profile
//! without deviceChangeConfiguration is refused (exit 1) and stays; bad arguments exit 2.
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

const MOVABLE: &str = "89000123456789012341";
const FIXED: &str = "89000123456789012358";

/// Old, new and PKI directories under a fresh temporary directory.
fn dirs(name: &str) -> (std::path::PathBuf, String, String, String) {
    let dir = std::env::temp_dir().join(format!("veuicc-cli-transfer-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let s = |n: &str| dir.join(n).display().to_string();
    (dir.clone(), s("old"), s("new"), s("pki"))
}

fn iccids(state: &str) -> Vec<String> {
    let (code, out, err) = veuicc(&["profiles", "--state", state, "--json"]);
    assert_eq!(code, 0, "{err}");
    out.split("\"iccid\":\"").skip(1).map(|s| s.split('"').next().unwrap().to_string()).collect()
}

#[test]
fn transfer_moves_a_profile_between_two_state_directories() {
    let (dir, old, new, pki) = dirs("move");
    assert_eq!(veuicc(&["pki", "new", &pki, "--cards", "2"]).0, 0);
    let (code, out, err) =
        veuicc(&["download", "--state", &old, "--sgp22", "3.0", "--device-change", "--iccid", MOVABLE]);
    assert_eq!((code, out.trim()), (0, MOVABLE), "{err}");
    let (code, _, err) = veuicc(&["download", "--state", &old, "--iccid", FIXED]);
    assert_eq!(code, 0, "{err}");

    let card2 = format!("{pki}/card2");
    let (code, out, err) =
        veuicc(&["transfer", "--from", &old, "--to", &new, "--identity", &card2, "--sgp22", "3.0", MOVABLE]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    for (line, (card, step)) in
        lines.iter().zip([("old", "prepare"), ("old", "delete"), ("smdp", "notification"), ("new", "install")])
    {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(&words[..2], &[card, step], "{out}");
    }
    assert!(lines[1].contains("$DC-"), "{out}");
    assert!(lines[4].starts_with(&format!("{MOVABLE} moved from ")), "{out}");
    assert!(lines[4].ends_with("1 notification(s) queued on the new card"), "{out}");

    // The profile is on the new card only; the old card keeps the other one.
    assert_eq!(iccids(&old), vec![FIXED.to_string()]);
    assert_eq!(iccids(&new), vec![MOVABLE.to_string()]);
    let (_, out, _) = veuicc(&["notifications", "--state", &old]);
    assert!(out.lines().any(|l| l.contains("delete") && l.contains(MOVABLE)), "{out}");
    let (_, out, _) = veuicc(&["notifications", "--state", &new]);
    assert_eq!(out.lines().filter(|l| l.contains("install") && l.contains(MOVABLE)).count(), 1, "{out}");
    // The new card keeps its identity (another EID) and personality: no flags needed again.
    let (_, new_profiles, _) = veuicc(&["profiles", "--state", &new, "--json"]);
    assert!(new_profiles.contains("\"name\":\"veuicc test profile\""), "{new_profiles}");

    // The moved profile can move again (its metadata still allows it), back to the old card,
    // and the JSON report names both EIDs and every step.
    let (code, out, err) = veuicc(&["transfer", "--from", &new, "--to", &old, MOVABLE, "--json"]);
    assert_eq!(code, 0, "{err}");
    let out = out.trim();
    assert!(out.starts_with(&format!("{{\"iccid\":\"{MOVABLE}\",\"from_eid\":\"")), "{out}");
    assert!(out.contains("\"to_eid\":\"89999001000010000000000000000038\""), "{out}");
    for step in ["prepare", "delete", "notification", "install"] {
        assert!(out.contains(&format!("\"step\":\"{step}\"")), "{out}");
    }
    assert!(out.ends_with(",\"new_notifications\":1}"), "{out}");
    assert_eq!(iccids(&new), Vec::<String>::new());
    assert_eq!(iccids(&old).len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_profile_without_device_change_configuration_stays() {
    let (dir, old, new, pki) = dirs("refused");
    assert_eq!(veuicc(&["pki", "new", &pki, "--cards", "2"]).0, 0);
    assert_eq!(veuicc(&["download", "--state", &old, "--sgp22", "3.0", "--iccid", FIXED]).0, 0);
    let card2 = format!("{pki}/card2");
    let args = ["transfer", "--from", &old, "--to", &new, "--identity", &card2, "--sgp22", "3.0", FIXED];
    let (code, out, err) = veuicc(&args);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(err.trim(), format!("veuicc: transfer {FIXED}: prepare: invalidIccid (14) in AuthenticateServer"));
    assert_eq!(iccids(&old), vec![FIXED.to_string()]);
    assert_eq!(iccids(&new), Vec::<String>::new());
    let (code, out, _) = veuicc(&["transfer", "--from", &old, "--to", &new, FIXED, "--json"]);
    assert_eq!(code, 1);
    assert!(out.contains("\"steps\":[],\"failed\":\"prepare\",\"result\":\"invalidIccid (14)"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_arguments_exit_2() {
    let (dir, old, new, _) = dirs("args");
    assert_eq!(veuicc(&["download", "--state", &old, "--iccid", MOVABLE]).0, 0);
    // A v2.5 card has no Device Change.
    let (code, _, err) = veuicc(&["transfer", "--from", &old, "--to", &new, MOVABLE]);
    assert_eq!(code, 2);
    assert!(err.contains("Device Change is an SGP.22 v3 feature"), "{err}");
    // One directory for both cards; a malformed ICCID; the same identity on both.
    let (code, _, err) = veuicc(&["transfer", "--from", &old, "--to", &old, MOVABLE]);
    assert_eq!(code, 2);
    assert!(err.contains("the same state directory"), "{err}");
    assert_eq!(veuicc(&["transfer", "--from", &old, "--to", &new, "12AB"]).0, 2);
    let v3 = format!("{}/v3", dir.display());
    assert_eq!(veuicc(&["download", "--state", &v3, "--sgp22", "3.0", "--device-change"]).0, 0);
    let (code, _, err) = veuicc(&["transfer", "--from", &v3, "--to", &new, "--sgp22", "3.0", MOVABLE]);
    assert_eq!(code, 2);
    assert!(err.contains("both cards are EID"), "{err}");
    assert_eq!(iccids(&v3), vec![MOVABLE.to_string()]);
    let _ = std::fs::remove_dir_all(&dir);
}
