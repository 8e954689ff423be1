//! `veuicc lpac` end to end with a fake lpac that speaks lpac's stdio protocol and
//! sends what `lpac chip info` sends; with the real lpac too when it is on PATH.
#![cfg(feature = "lpac")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

mod support;
use support::veuicc;

use std::process::Command;

fn fake() -> String {
    format!("{}/tests/support/fake_lpac.py", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn chip_info_through_the_stdio_backend() {
    let trace = std::env::temp_dir().join(format!("veuicc-lpac-{}.trace", std::process::id()));
    let (code, out, err) =
        veuicc(&["lpac", "--lpac", &fake(), "--trace", trace.to_str().unwrap(), "--", "chip", "info"]);
    assert_eq!(code, 0, "{err}");
    let line = out.lines().find(|l| l.contains("\"type\": \"lpa\"")).unwrap_or_else(|| panic!("no lpa line: {out}"));
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    let data = &v["payload"]["data"];
    assert_eq!(data["eidValue"], "89999001000010000000000000000038");
    assert_eq!(data["EuiccConfiguredAddresses"], "BF3C11810F6C70612E64732E67736D612E636F6D");
    // The default RAT: PPR1 and PPR2 for every operator (mccMnc EEEEEE), no consent.
    assert_eq!(data["rulesAuthorisationTable"], "BF4314A012301080020560A10730058003EEEEEE820100");
    assert!(data["EUICCInfo2"].as_str().unwrap().starts_with("BF22"), "{data}");
    assert_eq!(data["channel"], 1, "lpac wants channels 1-3");
    // The trace has every exchange, the channel open/select and the power events.
    let trace_text = std::fs::read_to_string(&trace).unwrap();
    assert!(trace_text.contains("> 0070000001\n< 019000"), "{trace_text}");
    assert!(trace_text.contains("# lpac disconnect: power off"), "{trace_text}");
    let _ = std::fs::remove_file(&trace);
}

#[test]
fn malformed_output_from_lpac_is_an_error() {
    let (code, out, err) = veuicc(&["lpac", "--lpac", &fake(), "--", "garbage"]);
    assert_eq!(code, 2);
    assert_eq!(out, "this is not json\n", "a line that is not JSON reaches the user");
    assert!(err.contains("malformed request: unknown function \"format_card\""), "{err}");
    let (code, out, err) = veuicc(&["lpac", "--lpac", &fake(), "--", "huge"]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert!(err.contains("a line longer than 65536 bytes: {\"type\":\"apdu\",\"payload\""), "{err}");
    assert!(err.len() < 1000, "the 1 MiB line is not echoed: {} bytes on stderr", err.len());
    let (code, _, err) = veuicc(&["lpac", "--lpac", "/nonexistent/lpac", "--", "chip", "info"]);
    assert_eq!(code, 2);
    assert!(err.contains("install lpac"), "{err}");
}

#[test]
fn usage_text_reaches_the_user() {
    let (code, out, err) = veuicc(&["lpac", "--lpac", &fake(), "--", "usage"]);
    assert_eq!(code, 255, "lpac's exit code: {err}");
    assert_eq!(out, "Usage: lpac <driver|chip|profile|notification|version>\n");
    assert!(!err.contains("malformed"), "{err}");
}

#[test]
fn http_requests_are_answered_with_an_error_status_with_network() {
    // With --network the bridge serves no ES9+: an LPAC_HTTP=stdio request gets 503.
    let (code, out, err) = veuicc(&["lpac", "--network", "--lpac", &fake(), "--", "http"]);
    assert_eq!(code, 255, "{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["payload"]["message"], "HTTP status code error");
    assert_eq!(v["payload"]["data"], "503");
    assert!(err.contains("initiateAuthentication over LPAC_HTTP=stdio"), "{err}");
    assert!(err.contains("answered HTTP 503"), "{err}");
}

#[test]
fn real_lpac_if_installed() {
    if Command::new("lpac").arg("version").output().is_err() {
        eprintln!("skipped: lpac is not on PATH");
        return;
    }
    let (code, out, err) = veuicc(&["lpac", "--", "chip", "info"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("89999001000010000000000000000038"), "{out}");
}
