//! The real lpac (2.3.0, an LPA nobody here wrote) against veuicc, over lpac's stdio
//! backend (`veuicc lpac -- …`) and over PC/SC (pcscd + vsmartcard vpcd + `veuicc serve`):
//! chip info, defaultsmdp, profile list, enable/disable with and without refresh,
//! nickname, delete, notification list/remove, chip purge. Profiles get onto the card
//! first with `veuicc download --state DIR` (the in-process test SM-DP+). Every step
//! checks the values in lpac's JSON answer.
//!
//! Needs `VEUICC_LPAC=/path/to/lpac` (`../shared/tools/build-lpac.sh OUT` builds it;
//! `.ci/run` does and sets the variable). Without it the tests say how and pass, unless
//! `VEUICC_REQUIRE_LPAC=1` (set by `.ci/run`), which makes a missing lpac a failure. The
//! PC/SC half also needs `VEUICC_PCSC_E2E=1` (pcscd and vsmartcard-vpcd installed, run as
//! root): it starts its own `pcscd -f` with a vpcd reader on a free port.
#![cfg(feature = "cli")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const EID: &str = "89999001000010000000000000000038";
/// The ICCIDs of the two downloaded profiles, as printed.
const A: &str = "89000123456789012341";
const B: &str = "89000123456789012358";

/// The lpac binary from `VEUICC_LPAC`, or `None` (after saying how to get it) when the
/// variable is unset and `VEUICC_REQUIRE_LPAC` is not `1`.
fn lpac() -> Option<PathBuf> {
    let required = std::env::var("VEUICC_REQUIRE_LPAC").is_ok_and(|v| v == "1");
    match std::env::var_os("VEUICC_LPAC") {
        Some(p) => {
            let p = PathBuf::from(p);
            assert!(p.is_file(), "VEUICC_LPAC={} is not a file (build it: build-lpac.sh OUT)", p.display());
            Some(p)
        }
        None if required => panic!(
            "VEUICC_REQUIRE_LPAC=1 but VEUICC_LPAC is not set: build lpac with \
             $VEUICC_SHARED/tools/build-lpac.sh OUT_DIR and set VEUICC_LPAC=OUT_DIR/lpac"
        ),
        None => {
            eprintln!(
                "skipped: the real-lpac tests need VEUICC_LPAC=/path/to/lpac \
                 ($VEUICC_SHARED/tools/build-lpac.sh OUT_DIR prints it; .ci/run does this)"
            );
            None
        }
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("veuicc-lpac-real-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Installs the two test profiles with `veuicc download --state DIR`.
fn download_two_profiles(state: &Path) {
    let state = state.to_str().unwrap();
    for args in
        [vec!["download", "--state", state], vec!["download", "--state", state, "--iccid", B, "--name", "second"]]
    {
        let out = Command::new(env!("CARGO_BIN_EXE_veuicc")).args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// How lpac reaches the card.
enum Via {
    /// `veuicc lpac --state DIR --lpac LPAC -- …`.
    Stdio(PathBuf),
    /// `veuicc lpac --state DIR --lpac LPAC FLAGS… -- …`.
    StdioWith(PathBuf, Vec<String>),
    /// lpac's own PC/SC backend, against the reader `veuicc serve` sits in.
    Pcsc,
}

/// One lpac run's outcome.
struct Run {
    /// lpac's exit code (through the bridge: the bridge's).
    code: i32,
    /// The `payload` of lpac's `"type":"lpa"` line (`null` when it printed none).
    payload: Value,
    /// lpac's stdout.
    stdout: String,
    /// Everything, for failure messages.
    transcript: String,
}

fn run(lpac: &Path, via: &Via, args: &[&str]) -> Run {
    run_with(lpac, via, args, &[])
}

/// [`run`] with lpac's environment variables `env` (`LPAC_HTTP` is unset otherwise).
fn run_with(lpac: &Path, via: &Via, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = match via {
        Via::Stdio(state) => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_veuicc"));
            c.arg("lpac").arg("--state").arg(state).arg("--lpac").arg(lpac).arg("--").args(args);
            c
        }
        Via::StdioWith(state, flags) => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_veuicc"));
            c.arg("lpac").arg("--state").arg(state).arg("--lpac").arg(lpac).args(flags).arg("--").args(args);
            c
        }
        Via::Pcsc => {
            let mut c = Command::new(lpac);
            c.args(args).env("LPAC_APDU", "pcsc").env("LPAC_APDU_PCSC_DRV_NAME", "Virtual PCD");
            c
        }
    };
    cmd.env_remove("LPAC_HTTP").envs(env.iter().copied());
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let transcript = format!("lpac {args:?}\nstdout:\n{stdout}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr));
    let payload = stdout
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["type"] == "lpa")
        .map_or(Value::Null, |v| v["payload"].clone());
    Run { code: out.status.code().unwrap_or(-1), payload, stdout, transcript }
}

/// Runs lpac and requires success; returns `payload.data`.
fn ok(lpac: &Path, via: &Via, args: &[&str]) -> Value {
    let r = run(lpac, via, args);
    assert_eq!(
        (r.code, &r.payload["code"], &r.payload["message"]),
        (0, &0.into(), &"success".into()),
        "{}",
        r.transcript
    );
    r.payload["data"].clone()
}

/// `profile list` as (ICCID, state, nickname) triples.
fn profiles(lpac: &Path, via: &Via) -> Vec<(String, String, Value)> {
    let data = ok(lpac, via, &["profile", "list"]);
    data.as_array()
        .unwrap_or_else(|| panic!("profile list data: {data}"))
        .iter()
        .map(|p| {
            (
                p["iccid"].as_str().unwrap().to_string(),
                p["profileState"].as_str().unwrap().to_string(),
                p["profileNickname"].clone(),
            )
        })
        .collect()
}

fn states(lpac: &Path, via: &Via) -> Vec<(String, String)> {
    profiles(lpac, via).into_iter().map(|(i, s, _)| (i, s)).collect()
}

fn pair(iccid: &str, state: &str) -> (String, String) {
    (iccid.to_string(), state.to_string())
}

/// `notification list` as (seqNumber, operation, ICCID) triples.
fn notifications(lpac: &Path, via: &Via) -> Vec<(u64, String, String)> {
    let data = ok(lpac, via, &["notification", "list"]);
    data.as_array()
        .unwrap_or_else(|| panic!("notification list data: {data}"))
        .iter()
        .map(|n| {
            (
                n["seqNumber"].as_u64().unwrap(),
                n["profileManagementOperation"].as_str().unwrap().to_string(),
                n["iccid"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The whole session, the same over either transport.
fn exercise(lpac: &Path, via: &Via) {
    // chip info, defaultsmdp.
    let info = ok(lpac, via, &["chip", "info"]);
    assert_eq!(info["eidValue"], EID);
    assert_eq!(info["EUICCInfo2"]["svn"], "2.5.0");
    assert_eq!(info["EuiccConfiguredAddresses"]["defaultDpAddress"], Value::Null);
    assert_eq!(ok(lpac, via, &["chip", "defaultsmdp", "smdp.example.com"]), Value::Null);
    let info = ok(lpac, via, &["chip", "info"]);
    assert_eq!(info["EuiccConfiguredAddresses"]["defaultDpAddress"], "smdp.example.com");

    // The two downloaded profiles and their install notifications.
    let list = ok(lpac, via, &["profile", "list"]);
    assert_eq!(list[0]["iccid"], A);
    assert_eq!(list[0]["profileName"], "veuicc test profile");
    assert_eq!(list[1]["iccid"], B);
    assert_eq!(list[1]["profileName"], "second");
    assert_eq!(states(lpac, via), [pair(A, "disabled"), pair(B, "disabled")]);
    let installs = vec![(1, "install".to_string(), A.to_string()), (2, "install".to_string(), B.to_string())];
    assert_eq!(notifications(lpac, via), installs);

    // Enable/disable, with and without refresh (lpac's second argument).
    ok(lpac, via, &["profile", "enable", A]);
    assert_eq!(states(lpac, via), [pair(A, "enabled"), pair(B, "disabled")]);
    ok(lpac, via, &["profile", "enable", B, "1"]);
    assert_eq!(states(lpac, via), [pair(A, "disabled"), pair(B, "enabled")], "enabling B disables A");
    ok(lpac, via, &["profile", "disable", B, "1"]);
    assert_eq!(states(lpac, via), [pair(A, "disabled"), pair(B, "disabled")]);
    ok(lpac, via, &["profile", "enable", A, "0"]);
    ok(lpac, via, &["profile", "disable", A]);
    assert_eq!(states(lpac, via), [pair(A, "disabled"), pair(B, "disabled")]);
    // The card's refusal reaches lpac as the SGP.22 result (profileNotInEnabledState(2)).
    let r = run(lpac, via, &["profile", "disable", A]);
    assert_eq!(r.code, 255, "{}", r.transcript);
    assert_eq!(
        (&r.payload["code"], &r.payload["message"], &r.payload["data"]),
        (&(-1).into(), &"es10c_disable_profile".into(), &"profile not in enabled state".into()),
        "{}",
        r.transcript
    );
    ok(lpac, via, &["profile", "enable", B, "yes"]);

    // Nickname, delete.
    ok(lpac, via, &["profile", "nickname", A, "Work phone"]);
    let list = profiles(lpac, via);
    assert_eq!(list[0], (A.to_string(), "disabled".to_string(), "Work phone".into()));
    assert_eq!(list[1], (B.to_string(), "enabled".to_string(), Value::Null));
    let r = run(lpac, via, &["profile", "delete", B]);
    assert_eq!((r.code, &r.payload["data"]), (255, &"profile not in disabled state".into()), "{}", r.transcript);
    ok(lpac, via, &["profile", "disable", B]);
    ok(lpac, via, &["profile", "delete", B]);
    assert_eq!(states(lpac, via), [pair(A, "disabled")]);

    // Notifications: the installs are still there (with whatever the profiles' notification
    // configuration added for enable/disable/delete); remove one, then all.
    let list = notifications(lpac, via);
    assert_eq!(list[..2], installs[..], "{list:?}");
    assert!(list.windows(2).all(|w| w[0].0 < w[1].0), "seq numbers increase: {list:?}");
    for (_, op, iccid) in &list[2..] {
        assert!(["enable", "disable", "delete"].contains(&op.as_str()) && (iccid == A || iccid == B), "{list:?}");
    }
    ok(lpac, via, &["notification", "remove", "1"]);
    let rest = notifications(lpac, via);
    assert_eq!(rest, list[1..], "only seq 1 went");
    ok(lpac, via, &["notification", "remove", "-a"]);
    assert_eq!(notifications(lpac, via), []);

    // chip purge: profiles and the default SM-DP+ address go.
    let r = run(lpac, via, &["chip", "purge", "no"]);
    assert_eq!((r.code, r.stdout.as_str()), (255, "Purge canceled\n"), "lpac's plain-text answer: {}", r.transcript);
    assert_eq!(states(lpac, via), [pair(A, "disabled")], "purge without 'yes' does nothing");
    assert_eq!(ok(lpac, via, &["chip", "purge", "yes"]), Value::Null);
    assert_eq!(states(lpac, via), []);
    let info = ok(lpac, via, &["chip", "info"]);
    assert_eq!(info["EuiccConfiguredAddresses"]["defaultDpAddress"], Value::Null);
    assert_eq!(info["eidValue"], EID);
}

#[test]
fn real_lpac_over_stdio() {
    let Some(lpac) = lpac() else { return };
    let state = temp_dir("stdio");
    download_two_profiles(&state);
    let start = Instant::now();
    let via = Via::Stdio(state.clone());
    exercise(&lpac, &via);
    eprintln!("real lpac over stdio: {:?}", start.elapsed());
    // With --network and LPAC_HTTP=stdio anyway, lpac's HTTP over stdio gets an error status
    // it reports, instead of waiting forever.
    let args = ["profile", "download", "-s", "smdp.example.com", "-m", "TEST"];
    let via = Via::StdioWith(state.clone(), vec!["--network".into()]);
    let r = run_with(&lpac, &via, &args, &[("LPAC_HTTP", "stdio")]);
    assert_eq!(
        (r.code, &r.payload["message"], &r.payload["data"]),
        (255, &"es9p_initiate_authentication".into(), &"HTTP status code error".into()),
        "{}",
        r.transcript
    );
    assert!(r.transcript.contains("answered HTTP 503"), "{}", r.transcript);
    let _ = std::fs::remove_dir_all(&state);
}

/// lpac downloads from the in-process test SM-DP+ through the bridge (`LPAC_HTTP=stdio`, no
/// network), enables, has its notifications processed (the SM-DP+ verifies each signature and
/// logs it), disables and deletes; a refused matchingId comes back with its ES9+ codes.
#[test]
fn real_lpac_downloads_from_the_in_process_smdp() {
    let Some(lpac) = lpac() else { return };
    let dir = temp_dir("es9p");
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("state");
    let log = dir.join("smdp.log");
    let via = Via::StdioWith(state.clone(), vec!["--smdp-log".into(), log.to_str().unwrap().into()]);
    let start = Instant::now();
    let data = ok(&lpac, &via, &["profile", "download", "-s", "smdp.veuicc.test", "-m", "VEUICC-TEST-PROFILE"]);
    assert_eq!(data["iccid"], A, "{data}");
    eprintln!("real lpac download over the stdio bridge: {:?}", start.elapsed());
    assert_eq!(states(&lpac, &via), [pair(A, "disabled")]);
    ok(&lpac, &via, &["profile", "enable", A]);
    assert_eq!(notifications(&lpac, &via), [(1, "install".into(), A.into()), (2, "enable".into(), A.into())]);
    ok(&lpac, &via, &["notification", "process", "-a", "-r"]);
    assert!(notifications(&lpac, &via).is_empty());
    ok(&lpac, &via, &["profile", "disable", A]);
    ok(&lpac, &via, &["profile", "delete", A]);
    assert!(states(&lpac, &via).is_empty());
    ok(&lpac, &via, &["notification", "process", "-a", "-r"]);
    assert!(notifications(&lpac, &via).is_empty());
    // A matchingId the SM-DP+ does not know: lpac reports the ES9+ message (the log has the
    // subject and reason codes, checked below) and cancels the session.
    let r = run(&lpac, &via, &["profile", "download", "-s", "smdp.veuicc.test", "-m", "NO-SUCH-ORDER"]);
    assert_ne!(r.code, 0, "{}", r.transcript);
    assert_eq!(r.payload["data"], "MatchingID \"NO-SUCH-ORDER\" is refused", "{}", r.transcript);

    let events: Vec<Value> =
        std::fs::read_to_string(&log).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let handled: Vec<(&str, &str, bool)> = events
        .iter()
        .filter(|e| e["event"] == "handleNotification")
        .map(|e| {
            let what = e["operation"].as_str().or(e["notification"].as_str()).unwrap();
            (what, e["status"].as_str().unwrap(), e["verified"] == true)
        })
        .collect();
    assert_eq!(
        handled,
        [
            ("profileInstallationResult", "Executed-Success", true),
            ("enable", "Executed-Success", true),
            ("disable", "Executed-Success", true),
            ("delete", "Executed-Success", true),
        ],
        "{events:#?}"
    );
    let refused = events.iter().find(|e| e["event"] == "authenticateClient" && e["status"] == "Failed").unwrap();
    assert_eq!((refused["subjectCode"].as_str(), refused["reasonCode"].as_str()), (Some("8.2.6"), Some("3.8")));
    let _ = std::fs::remove_dir_all(&dir);
}

/// lpac over PC/SC with its own HTTP backend (curl, HTTPS) downloads from `veuicc smdp serve`,
/// enables, processes notifications (the server verifies each one), disables and deletes.
/// lpac's curl backend does not verify TLS certificates (`CURLOPT_SSL_VERIFYPEER` 0 in
/// `driver/http/curl.c`), so it needs no CA; the server's DPtls certificate is the test CI's.
#[cfg(feature = "smdp")]
fn download_from_smdp_serve(lpac: &Path, dir: &Path) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let address = format!("127.0.0.1:{port}");
    let log = dir.join("smdp-events.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_veuicc"))
        .args(["smdp", "serve", "--no-qr", "--listen", &address, "--log", log.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    // Read the first line, then keep draining: the server prints the activation codes after it,
    // and a closed stdout ends it (quietly, as a CLI should).
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut out, &mut first).unwrap();
    assert!(first.contains(&address), "{first}");
    thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let _serve = Killed(child);
    let via = Via::Pcsc;
    let start = Instant::now();
    let data = ok(lpac, &via, &["profile", "download", "-s", &address, "-m", "VEUICC-TEST-PROFILE"]);
    assert_eq!(data["iccid"], A, "{data}");
    eprintln!("real lpac over PC/SC + curl from veuicc smdp serve: download in {:?}", start.elapsed());
    ok(lpac, &via, &["profile", "enable", A]);
    ok(lpac, &via, &["notification", "process", "-a", "-r"]);
    assert_eq!(notifications(lpac, &via), []);
    ok(lpac, &via, &["profile", "disable", A]);
    ok(lpac, &via, &["profile", "delete", A]);
    ok(lpac, &via, &["notification", "process", "-a", "-r"]);
    assert_eq!(notifications(lpac, &via), []);
    assert!(states(lpac, &via).is_empty());
    let events: Vec<Value> =
        std::fs::read_to_string(&log).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let handled: Vec<(&str, bool)> = events
        .iter()
        .filter(|e| e["event"] == "handleNotification" && e["status"] == "Executed-Success")
        .map(|e| (e["operation"].as_str().or(e["notification"].as_str()).unwrap(), e["verified"] == true))
        .collect();
    assert_eq!(
        handled,
        [("profileInstallationResult", true), ("enable", true), ("disable", true), ("delete", true)],
        "{events:#?}"
    );
}

/// A child process stopped (by its id) on drop: SIGTERM, so pcscd removes its socket
/// and pid file; SIGKILL if it is still there after 2 s.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(2) {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `pcscd -f` with one vpcd reader listening on `port` (its own reader.conf.d in `dir`).
fn pcscd(dir: &Path, port: u16) -> Killed {
    let conf = dir.join("reader.conf.d");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(
        conf.join("vpcd"),
        format!(
            "FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME   /dev/null:0x{port:04X}\n\
             LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID    0x{port:04X}\n"
        ),
    )
    .unwrap();
    let mut child = Command::new("pcscd")
        .arg("-f")
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("pcscd.log")).unwrap())
        .spawn()
        .expect("pcscd starts (apt-get install pcscd vsmartcard-vpcd)");
    thread::sleep(Duration::from_millis(300));
    if let Ok(Some(status)) = child.try_wait() {
        let log = std::fs::read_to_string(dir.join("pcscd.log")).unwrap_or_default();
        panic!("pcscd exited ({status}); is another pcscd running?\n{log}");
    }
    Killed(child)
}

#[test]
fn real_lpac_over_pcsc() {
    let Some(lpac) = lpac() else { return };
    if std::env::var("VEUICC_PCSC_E2E").is_err() {
        eprintln!("skipped: lpac over PC/SC also needs VEUICC_PCSC_E2E=1 with pcscd and vsmartcard-vpcd (.ci/run)");
        return;
    }
    let dir = temp_dir("pcsc");
    let state = dir.join("state");
    download_two_profiles(&state);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let _pcscd = pcscd(&dir, port);
    let serve_log = dir.join("serve.log");
    let _serve = Killed(
        Command::new(env!("CARGO_BIN_EXE_veuicc"))
            .args(["serve", "--vpcd", &format!("127.0.0.1:{port}"), "--state", state.to_str().unwrap()])
            .stderr(std::fs::File::create(&serve_log).unwrap())
            .spawn()
            .unwrap(),
    );
    // Wait until the card is in the reader.
    let start = Instant::now();
    loop {
        let r = run(&lpac, &Via::Pcsc, &["chip", "info"]);
        if r.code == 0 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no card in the reader after 20 s\n{}\nserve:\n{}",
            r.transcript,
            std::fs::read_to_string(&serve_log).unwrap_or_default()
        );
        thread::sleep(Duration::from_millis(200));
    }
    eprintln!("card in the reader after {:?}", start.elapsed());
    let start = Instant::now();
    exercise(&lpac, &Via::Pcsc);
    eprintln!("real lpac over PC/SC: {:?}", start.elapsed());
    #[cfg(feature = "smdp")]
    download_from_smdp_serve(&lpac, &dir);
    let serve = std::fs::read_to_string(&serve_log).unwrap_or_default();
    assert!(!serve.contains("empty message"), "{serve}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// veuicc's mirror events (bits 24 … 29 of `profileManagementOperation`) through the real lpac:
/// it lists them as an operation it does not know and sends them on with `notification
/// process`, and the in-process SM-DP+ verifies each as an OtherSignedNotification.
#[test]
fn real_lpac_lists_and_sends_mirror_notifications() {
    let Some(lpac) = lpac() else { return };
    let dir = temp_dir("mirror");
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("phone");
    let s = state.to_str().unwrap();
    let veuicc = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_veuicc")).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    veuicc(&["download", "--state", s, "--mirror", "max=2,services=data,validity=24h,reauth=90d"]);
    let issued: Value =
        serde_json::from_str(&veuicc(&["mirror", "issue", "--state", s, A, "--services", "data", "--json"])).unwrap();
    let token_id = issued["token_id"].as_str().unwrap().to_string();
    veuicc(&["mirror", "revoke", "--state", s, &token_id]);
    let log = dir.join("smdp.log");
    let via = Via::StdioWith(state.clone(), vec!["--smdp-log".into(), log.to_str().unwrap().into()]);
    // The download's own install notification (a PIR for the SM-DP+ of that session) goes first.
    assert_eq!(
        notifications(&lpac, &via),
        [(1, "install".into(), A.into()), (2, "unknown".into(), A.into()), (3, "unknown".into(), A.into())]
    );
    ok(&lpac, &via, &["notification", "remove", "1"]);
    ok(&lpac, &via, &["notification", "process", "-a", "-r"]);
    assert_eq!(notifications(&lpac, &via), []);
    let handled: Vec<(String, bool)> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["event"] == "handleNotification")
        .map(|e| (e["operation"].as_str().unwrap_or("?").to_string(), e["verified"] == true))
        .collect();
    assert_eq!(handled, [("mirrorIssued".to_string(), true), ("mirrorRevoked".to_string(), true)]);
    let _ = std::fs::remove_dir_all(&dir);
}
