//! Identities users have, through the `veuicc` binary: the README's SGP.26 commands run as
//! written, identity files by flag or found by content, the identity a state directory keeps,
//! the SM-DP+ keys of another PKI, expired certificates, and the notifications the test SM-DP+
//! asks for.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

mod support;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::veuicc;
use veuicc::testkit::pki::TestPki;

const SELECT_ISDR: &str = "00A4040C10A0000005591010FFFFFFFF8900000100";
const GET_EID: &str = "80E2910006BF3E035C015A00";

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("veuicc-id-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Splits one shell command line the way `sh` would for the README's commands: words,
/// double quotes, `$F`, and a trailing `# comment`.
fn words(line: &str, f: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word: Option<String> = None;
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                word.get_or_insert_with(String::new);
            }
            '#' if !quoted && word.is_none() => break,
            c if c.is_whitespace() && !quoted => out.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    out.extend(word);
    out.into_iter().map(|w| w.replace("$F", f)).collect()
}

/// The commands of the README block `<!-- cli_identity: NAME -->`, continuation lines joined;
/// `F=…` is checked to be the shared fixtures path and replaced by `fixtures`.
fn readme_commands(name: &str, fixtures: &str) -> Vec<Vec<String>> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find(&format!("<!-- cli_identity: {name} -->")).expect("README block");
    let block = &readme[start..];
    let block = &block[..block.find("<!-- /cli_identity -->").unwrap()];
    let joined = block.replace("\\\n", " ");
    let mut out = Vec::new();
    for line in joined.lines().map(str::trim) {
        if let Some(value) = line.strip_prefix("F=") {
            assert_eq!(value, "../shared/fixtures", "the README's fixtures path");
        } else if line.starts_with("veuicc ") {
            out.push(words(line, fixtures));
        }
    }
    assert!(!out.is_empty(), "no commands in README block {name}");
    out
}

/// Runs `veuicc ARGS` in `cwd`: (exit code, stdout, stderr).
fn run_in(cwd: &Path, args: &[String]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_veuicc")).args(args).current_dir(cwd).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

fn get_eid(state: &Path) -> String {
    let (code, out, err) = veuicc(&["apdu", "--state", s(state), SELECT_ISDR, GET_EID]);
    assert_eq!(code, 0, "{err}");
    out.lines().nth(3).unwrap().to_string()
}

fn shared_fixtures() -> Option<PathBuf> {
    support::shared("run the README's SGP.26 identity commands").map(|s| PathBuf::from(s).join("fixtures"))
}

#[test]
fn readme_sgp26_card_installs_with_the_sgp26_smdp() {
    let Some(fixtures) = shared_fixtures() else { return };
    let cwd = temp_dir("readme-sgp26");
    let cmds = readme_commands("sgp26", s(&fixtures));
    let outs: Vec<(i32, String, String)> = cmds.iter().map(|c| run_in(&cwd, &c[1..])).collect();
    for (cmd, (code, _, err)) in cmds.iter().zip(&outs) {
        assert_eq!(*code, 0, "{cmd:?}: {err}");
    }
    let state = cwd.join("sgp26-card");
    // The state directory kept the identity: later commands had only --state.
    let kept = state.join(".identity");
    assert_eq!(std::fs::metadata(&kept).unwrap().permissions().mode() & 0o777, 0o700);
    let mut names: Vec<String> =
        std::fs::read_dir(&kept).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["ci1.der", "ci2.der", "euicc.der", "euicc_sk.der", "eum.der"]);
    for n in &names {
        assert_eq!(std::fs::metadata(kept.join(n)).unwrap().permissions().mode() & 0o777, 0o600, "{n}");
    }
    assert_eq!(
        std::fs::read(kept.join("euicc.der")).unwrap(),
        std::fs::read(fixtures.join("sgp26/euicc2017_nist.der")).unwrap()
    );
    // The EUM whose subject is the certificate's issuer (the 2017 one), not its C=ES twin.
    assert_eq!(
        std::fs::read(kept.join("eum.der")).unwrap(),
        std::fs::read(fixtures.join("sgp26/eum2017_nist.der")).unwrap()
    );
    assert_eq!(get_eid(&state), "< BF3E125A10890490321234512345123456789012359000");
    // download printed the ICCID; the SM-DP+ used was SGP.26's TEST SM-DP+ (the note names SM-DP+2).
    let (_, out, err) = &outs[1];
    assert_eq!(out.trim(), "89000123456789012341", "{err}");
    assert!(err.contains("TEST SM-DP\\+2") && err.contains("--dpauth-cert"), "{err}");
    // The SM-DP+ asked for enable notifications: the LPA sees install and enable, to its address.
    let (_, out, _) = &outs[3];
    let rows: Vec<Vec<&str>> = out.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(
        rows,
        [
            ["1", "install", "89000123456789012341", "testsmdpplus1.example.com"],
            ["2", "enable", "89000123456789012341", "testsmdpplus1.example.com"]
        ]
    );
    // The embedded SM-DP+ would fail ciPKUnknown: said up front instead.
    let (code, _, err) = veuicc(&["download", "--state", s(&state), "--iccid", "89000123456789012359"]);
    assert_eq!(code, 2);
    assert!(err.contains("does not chain to") && err.contains("--smdp-keys DIR"), "{err}");
    // The directory keeps its identity: another one is refused, naming both EIDs.
    let (code, _, err) = veuicc(&[
        "profiles",
        "--state",
        s(&state),
        "--euicc-cert",
        s(&fixtures.join("veuicc/card1_euicc.der")),
        "--euicc-key",
        s(&fixtures.join("veuicc/card1_euicc_sk.pem")),
        "--eum-cert",
        s(&fixtures.join("sgp26/eum_nist.der")),
        "--ci-cert",
        s(&fixtures.join("sgp26/ci_nist.der")),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("keeps the identity of EID 89049032123451234512345678901235")
            && err.contains("cannot take EID 89049032000010000000000000000146"),
        "{err}"
    );
    assert_eq!(veuicc(&["state", "check", s(&state)]).0, 0);
    std::fs::remove_dir_all(&cwd).unwrap();
}

#[test]
fn readme_veuicc_card1_by_files() {
    let Some(fixtures) = shared_fixtures() else { return };
    let cwd = temp_dir("readme-card1");
    let cmds = readme_commands("card1", s(&fixtures));
    let outs: Vec<(i32, String, String)> = cmds.iter().map(|c| run_in(&cwd, &c[1..])).collect();
    for (cmd, (code, _, err)) in cmds.iter().zip(&outs) {
        assert_eq!(*code, 0, "{cmd:?}: {err}");
    }
    assert_eq!(outs[1].1.trim(), "89000123456789012341");
    assert!(outs[2].1.contains("Travel") && outs[2].1.contains("[SGP.26 operator]"), "{}", outs[2].1);
    assert_eq!(get_eid(&cwd.join("card1")), "< BF3E125A10890490320000100000000000000001469000");
    // The directory form on fixtures/veuicc: two cards and no EUM/CI, each named with its flag.
    let dir = fixtures.join("veuicc");
    let (code, _, err) = veuicc(&["profiles", "--identity", s(&dir)]);
    assert_eq!(code, 2);
    assert!(err.contains("2 eUICC certificates") && err.contains("--euicc-cert FILE"), "{err}");
    let (code, _, err) = veuicc(&["profiles", "--identity", s(&dir), "--euicc-cert", s(&dir.join("card2_euicc.pem"))]);
    assert_eq!(code, 2);
    assert!(err.contains("no EUM certificate") && err.contains("--eum-cert FILE"), "{err}");
    std::fs::remove_dir_all(&cwd).unwrap();
}

/// A `veuicc pki new` PKI in `dir`, its card1 certificate re-issued valid only from
/// `not_before` to `not_after`.
fn pki_with_card1_dates(dir: &Path, not_before: u64, not_after: u64) -> PathBuf {
    let pki = TestPki::generate(21, 1);
    pki.write_dir(dir).unwrap();
    let mut template = pki.cards[0].template.clone();
    template.not_before = not_before;
    template.not_after = not_after;
    let card1 = dir.join("card1");
    std::fs::remove_file(card1.join("euicc.pem")).unwrap();
    std::fs::write(card1.join("euicc.der"), template.sign(&pki.eum.key)).unwrap();
    card1
}

#[test]
fn expired_euicc_certificate_warns_and_the_smdp_refuses_it() {
    let dir = temp_dir("expired");
    let card1 = pki_with_card1_dates(&dir.join("pki"), 1_577_836_800, 1_609_459_200); // 2020 → 2021
    let state = dir.join("state");
    let smdp_dir = dir.join("pki");
    let download = |extra: &[&str]| {
        let mut a = vec!["download", "--state", s(&state), "--identity", s(&card1), "--smdp-keys", s(&smdp_dir)];
        a.extend_from_slice(extra);
        veuicc(&a)
    };
    let (code, out, err) = download(&[]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("warning: CERT.EUICC of EID") && err.contains("expired on 2021-01-01"), "{err}");
    assert!(err.contains("veuicc: SM-DP+: CERT.EUICC: expired"), "{err}");
    let (code, out, err) = download(&["--accept-expired"]);
    assert_eq!((code, out.trim()), (0, "89000123456789012341"), "{err}");
    assert!(err.contains("expired on 2021-01-01"), "still warned: {err}");

    // Not valid yet: notBefore in 2090.
    let dir2 = temp_dir("not-yet");
    let card1 = pki_with_card1_dates(&dir2.join("pki"), 3_786_912_000, 3_818_448_000);
    let (code, _, err) = veuicc(&["profiles", "--identity", s(&card1)]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("is not valid before 2090-01-01"), "{err}");
    let state = dir2.join("state");
    let (code, _, err) =
        veuicc(&["download", "--state", s(&state), "--identity", s(&card1), "--smdp-keys", s(&dir2.join("pki"))]);
    assert_eq!(code, 1);
    assert!(err.contains("veuicc: SM-DP+: CERT.EUICC: not valid yet"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&dir2).unwrap();
}

#[test]
fn identity_flags_and_smdp_keys_of_a_generated_pki() {
    let dir = temp_dir("flags");
    let pki = TestPki::generate(22, 2);
    pki.write_dir(&dir.join("pki")).unwrap();
    let p = dir.join("pki");
    let card2 = p.join("card2");
    // Files by flag: PEM and DER mixed; a state directory keeps them.
    let state = dir.join("state");
    let (code, _, err) = veuicc(&[
        "download",
        "--state",
        s(&state),
        "--euicc-cert",
        s(&card2.join("euicc.der")),
        "--euicc-key",
        s(&card2.join("euicc_sk.pem")),
        "--eum-cert",
        s(&p.join("eum.pem")),
        "--ci-cert",
        s(&p.join("ci.der")),
        "--dpauth-cert",
        s(&p.join("dpauth.pem")),
        "--dpauth-key",
        s(&p.join("dpauth_sk.pem")),
        "--dppb-cert",
        s(&p.join("dppb.der")),
        "--dppb-key",
        s(&p.join("dppb_sk.pem")),
    ]);
    assert_eq!(code, 0, "{err}");
    let eid = pki.eids[1].to_string();
    assert_eq!(get_eid(&state), format!("< BF3E125A10{eid}9000"));
    // The CI came from the card's own trusted CIs; and --smdp-keys on the PKI directory works the same.
    let (code, out, err) =
        veuicc(&["download", "--state", s(&state), "--smdp-keys", s(&p), "--iccid", "89000123456789012359"]);
    assert_eq!((code, out.trim()), (0, "89000123456789012359"), "{err}");
    // What is missing is named.
    let (code, _, err) = veuicc(&["profiles", "--euicc-cert", s(&card2.join("euicc.der"))]);
    assert_eq!(code, 2);
    assert!(err.contains("missing --euicc-key, --eum-cert, --ci-cert"), "{err}");
    let (code, _, err) = veuicc(&["profiles", "--identity", s(&p)]);
    assert_eq!(code, 2);
    assert!(err.contains("no eUICC certificate") && err.contains("--euicc-cert FILE"), "{err}");
    let (code, _, err) = veuicc(&[
        "download",
        "--state",
        s(&state),
        "--dpauth-cert",
        s(&p.join("dpauth.pem")),
        "--iccid",
        "89000123456789012367",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("missing --dpauth-key, --dppb-cert, --dppb-key"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn notification_rows(state: &Path) -> Vec<(String, String)> {
    let (code, out, err) = veuicc(&["notifications", "--state", s(state)]);
    assert_eq!(code, 0, "{err}");
    out.lines()
        .filter(|l| *l != "no notifications")
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w[1].to_string(), w[3].to_string())
        })
        .collect()
}

#[test]
fn the_test_smdp_asks_for_notifications() {
    const ICCID: &str = "89000123456789012341";
    let dir = temp_dir("notify");
    let pair = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
    // By default: enable, disable and delete, to the SM-DP+ address.
    let state = dir.join("default");
    let (code, _, err) = veuicc(&["download", "--state", s(&state), "--smdp", "rsp.example.com"]);
    assert_eq!(code, 0, "{err}");
    for op in ["enable", "disable", "delete"] {
        assert_eq!(veuicc(&[op, "--state", s(&state), ICCID]).0, 0, "{op}");
    }
    assert_eq!(
        notification_rows(&state),
        pair(&[
            ("install", "rsp.example.com"),
            ("enable", "rsp.example.com"),
            ("disable", "rsp.example.com"),
            ("delete", "rsp.example.com")
        ])
    );
    // --no-notify: only the install result.
    let state = dir.join("none");
    assert_eq!(veuicc(&["download", "--state", s(&state), "--no-notify"]).0, 0);
    assert_eq!(veuicc(&["enable", "--state", s(&state), ICCID]).0, 0);
    assert_eq!(notification_rows(&state), pair(&[("install", "smdp.veuicc.test")]));
    // --notify chooses; --class and --spn go into the metadata.
    let state = dir.join("some");
    let (code, _, err) = veuicc(&[
        "download",
        "--state",
        s(&state),
        "--notify",
        "disable",
        "--class",
        "provisioning",
        "--spn",
        "Example Telecom",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(veuicc(&["enable", "--state", s(&state), ICCID]).0, 0);
    assert_eq!(veuicc(&["disable", "--state", s(&state), ICCID]).0, 0);
    assert_eq!(notification_rows(&state), pair(&[("install", "smdp.veuicc.test"), ("disable", "smdp.veuicc.test")]));
    let (_, out, _) = veuicc(&["profiles", "--json", "--state", s(&state)]);
    assert!(
        out.contains(r#""service_provider":"Example Telecom""#) && out.contains(r#""class":"provisioning""#),
        "{out}"
    );
    let (code, _, err) = veuicc(&["download", "--state", s(&state), "--notify", "enable,refresh"]);
    assert_eq!(code, 2);
    assert!(err.contains(r#""refresh" is not install, enable, disable or delete"#), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
