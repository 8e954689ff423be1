//! The `veuicc` binary: demo, apdu, persistent state, argument errors.
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

const SELECT_ISDR: &str = "00A4040C10A0000005591010FFFFFFFF8900000100";

/// Without the feature `aws-lc`, `--crypto` knows RustCrypto only and says why aws-lc is missing.
#[cfg(not(feature = "aws-lc"))]
#[test]
fn crypto_flag_without_aws_lc() {
    let (code, out, err) = veuicc(&["demo", "--crypto", "rustcrypto"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("crypto rustcrypto"), "{out}");
    let (code, _, err) = veuicc(&["demo", "--crypto", "aws-lc"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no feature aws-lc"), "{err}");
}

#[test]
fn demo_reads_eid_and_info2() {
    let (code, out, err) = veuicc(&["demo"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("EID 89999001000010000000000000000038"), "{out}");
    assert!(out.contains("SGP.22 2.5.0"), "{out}");
    assert!(out.contains("< BF3E125A10899990010000100000000000000000389000"), "{out}");
    // A complete download from the in-process test SM-DP+.
    assert!(out.contains("ES10b.LoadBoundProfilePackage"), "{out}");
    assert!(out.contains(r#"ICCID 89000123456789012341 "veuicc test profile" disabled"#), "{out}");
    let (code, json, _) = veuicc(&["demo", "--json"]);
    assert_eq!(code, 0);
    assert!(json.starts_with("{\"atr\":\"3B9E"), "{json}");
    assert!(json.contains("\"eid\":\"89999001000010000000000000000038\""), "{json}");
}

#[test]
fn apdu_lines_and_state_dir() {
    let dir = std::env::temp_dir().join(format!("veuicc-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let state = dir.to_str().unwrap();
    // SetDefaultDpAddress("smdp.example.com") in one process …
    let (code, out, _) =
        veuicc(&["apdu", "--state", state, SELECT_ISDR, "80E2910015BF3F128010736D64702E6578616D706C652E636F6D00"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        format!(
            "> {SELECT_ISDR}\n< 9000\n> 80E2910015BF3F128010736D64702E6578616D706C652E636F6D00\n< BF3F038001009000\n"
        )
    );
    // … is there in the next.
    let (code, out, _) = veuicc(&["apdu", "--json", "--state", state, SELECT_ISDR, "80E2910003BF3C0000"]);
    assert_eq!(code, 0);
    assert!(out.contains("\"response\":\"BF3C238010736D64702E6578616D706C652E636F6D"), "{out}");
    // A damaged state file: the card refuses to start and names the file.
    std::fs::write(dir.join("root.1"), [0u8]).unwrap();
    let (code, _, err) = veuicc(&["apdu", "--state", state, SELECT_ISDR]);
    assert_ne!(code, 0);
    assert!(err.contains("root.1"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_arguments_exit_non_zero() {
    let (code, _, err) = veuicc(&["apdu", "0G"]);
    assert_eq!(code, 2);
    assert!(err.contains("not hex"), "{err}");
    let (code, _, err) = veuicc(&["apdu", "123"]);
    assert_eq!(code, 2);
    assert!(err.contains("odd number"), "{err}");
    assert_eq!(veuicc(&["apdu"]).0, 2);
    // `from_str_radix` takes a sign: "+1" would be 0x01. A hex digit is 0-9, a-f, A-F only.
    for (arg, bad) in [("+100", "'+' at offset 0"), ("00A4+400", "'+' at offset 4"), ("1-23", "'-' at offset 1")] {
        let (code, out, err) = veuicc(&["apdu", arg]);
        assert_eq!((code, out.as_str()), (2, ""), "{arg}");
        assert!(err.contains(&format!("not hex: {bad}")), "{arg}: {err}");
    }
    let (code, out, _) = veuicc(&["apdu", "00:70_00 00 01"]);
    assert_eq!((code, out.as_str()), (0, "> 0070000001\n< 019000\n"));
    // Malformed APDUs are the card's business, not an argument error.
    let (code, out, _) = veuicc(&["apdu", "00"]);
    assert_eq!((code, out.as_str()), (0, "> 00\n< 6700\n"));
}

/// A reader that goes away (`veuicc apdu … | head -1`): the tool stops quietly, no panic.
#[test]
fn closed_stdout_is_not_a_panic() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_veuicc"))
        .args(["apdu", "0070000001", "01A4040010A0000005591010FFFFFFFF8900000100", "81E2910006BF3E035C015A"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the read end is closed before the first line is written
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
    // stderr closed too, and an error to report: exit code 2, no panic (101).
    let mut child = Command::new(env!("CARGO_BIN_EXE_veuicc"))
        .args(["apdu", "0G"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    drop(child.stderr.take());
    assert_eq!(child.wait().unwrap().code(), Some(2));
}
