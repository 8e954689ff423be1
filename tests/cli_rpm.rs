//! `veuicc rpm` on a state directory: a v3 card, a profile `download --rpm` made manageable by
//! the built-in SM-DP+, each RPM command with its text and JSON output and exit code, a profile
//! the SM-DP+ does not manage (disallowedForRpm, exit 1), and a v2.5 card refused up front.
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

const MANAGED: &str = "89000123456789012341";
const OTHER: &str = "89000123456789012358";

fn dir(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("veuicc-cli-rpm-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.display().to_string()
}

#[test]
fn rpm_commands_from_the_command_line() {
    let d = dir("v3");
    let (code, out, err) = veuicc(&["download", "--state", &d, "--sgp22", "3.0", "--rpm", "--iccid", MANAGED]);
    assert_eq!((code, out.trim()), (0, MANAGED), "{err}");
    let (code, _, err) = veuicc(&["download", "--state", &d, "--iccid", OTHER]);
    assert_eq!(code, 0, "{err}");

    let (code, out, err) = veuicc(&["rpm", "--state", &d, "enable", MANAGED]);
    assert_eq!(
        (code, out.as_str()),
        (0, "enable 89000123456789012341: ok (result queued as notification 3)\n"),
        "{err}"
    );
    let (code, out, _) = veuicc(&["rpm", "--state", &d, "list", MANAGED, "--json"]);
    assert_eq!(code, 0);
    assert_eq!(
        out.trim(),
        r#"{"command":"list","iccid":"89000123456789012341","result":"ok","code":0,"seqNumber":4,"profiles":[{"iccid":"89000123456789012341","state":"enabled","serviceProviderName":"veuicc test operator","profileName":"veuicc test profile"}]}"#
    );
    let (code, _, _) = veuicc(&["rpm", "--state", &d, "update-metadata", MANAGED, "--name", "Renamed"]);
    assert_eq!(code, 0);
    let (_, out, _) = veuicc(&["profiles", "--state", &d, "--json"]);
    assert!(out.contains("Renamed"), "{out}");
    // Delete needs a disabled profile, as ES10c.DeleteProfile does.
    let (code, out, _) = veuicc(&["rpm", "--state", &d, "delete", MANAGED, "--json"]);
    assert_eq!(code, 1);
    assert_eq!(
        out.trim(),
        r#"{"command":"delete","iccid":"89000123456789012341","result":"profileNotInDisabledState","code":2,"seqNumber":6}"#
    );
    assert_eq!(veuicc(&["rpm", "--state", &d, "disable", MANAGED]).0, 0);
    assert_eq!(veuicc(&["rpm", "--state", &d, "delete", MANAGED]).0, 0);
    // The other profile has no rpmConfiguration: the SM-DP+ may not manage it.
    let (code, _, err) = veuicc(&["rpm", "--state", &d, "enable", OTHER]);
    assert_eq!((code, err.trim()), (1, "veuicc: enable 89000123456789012358: disallowedForRpm (9)"));
    let (_, out, _) = veuicc(&["notifications", "--state", &d]);
    assert_eq!(out.matches("rpm-result").count(), 7, "{out}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_v2_5_card_has_no_rpm() {
    let d = dir("v25");
    assert_eq!(veuicc(&["download", "--state", &d, "--iccid", MANAGED]).0, 0);
    let (code, _, err) = veuicc(&["rpm", "--state", &d, "enable", MANAGED]);
    assert_eq!(code, 2);
    assert!(err.contains("RPM is an SGP.22 v3 feature"), "{err}");
    let _ = std::fs::remove_dir_all(&d);
}
