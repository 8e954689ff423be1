//! Helpers shared by the integration tests (`mod support;` in each test file).
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

use std::process::Command;

pub(crate) mod mirror;

/// Bytes from hex, ignoring white space (test data is written readably).
pub(crate) fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// Upper-case hex of `b`.
pub(crate) fn hexs(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// ES10c.EnableProfile (`BF31`) by ICCID (20 hex digits, as stored), with `refreshFlag` and,
/// on a MEP card, `targetEsimPort` (`82`), as hex DER.
pub(crate) fn enable_profile(iccid: &str, refresh: bool, port: Option<u8>) -> String {
    let port = port.map(|p| format!("8201{p:02X}")).unwrap_or_default();
    let body = format!("A00C5A0A{iccid}8101{}{port}", if refresh { "FF" } else { "00" });
    format!("BF31{:02X}{body}", body.len() / 2)
}

/// ES10c.DisableProfile (`BF32`) by ICCID, with `refreshFlag`, as hex DER.
pub(crate) fn disable_profile(iccid: &str, refresh: bool) -> String {
    format!("BF3211A00C5A0A{iccid}8101{}", if refresh { "FF" } else { "00" })
}

/// Sends `apdu` (hex) to a test card: the response data and the status word.
pub(crate) fn tx(card: &mut veuicc::testkit::TestCard, apdu: &str) -> (Vec<u8>, u16) {
    let r = card.transmit(&hex(apdu));
    let (data, sw) = r.split_at(r.len() - 2);
    (data.to_vec(), u16::from_be_bytes([sw[0], sw[1]]))
}

/// The 36 GSMA TS.48 packages of `$VEUICC_SHARED/fixtures/ts48/`, sorted by file name;
/// `None` (after saying how to run `what`) without `VEUICC_SHARED`.
pub(crate) fn ts48_packages(what: &str) -> Option<Vec<(String, Vec<u8>)>> {
    let shared = shared(what)?;
    let dir = std::path::PathBuf::from(shared).join("fixtures/ts48");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("VEUICC_SHARED is set but {}: {e}", dir.display()));
    let mut out: Vec<(String, Vec<u8>)> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "der"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    assert_eq!(out.len(), 36, "{} holds {} TS.48 packages, not 36", dir.display(), out.len());
    Some(out)
}

/// Runs the `veuicc` binary: (exit code, stdout, stderr).
pub(crate) fn veuicc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_veuicc")).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

/// Writes `state` (and a two-byte profile package per profile) into `storage`, as a
/// completed download leaves them.
pub(crate) fn install<S: veuicc::platform::Storage>(storage: &mut S, state: &veuicc::store::CardState) {
    use veuicc::store::{CardState, Store, Txn};
    let mut store = Store::open(storage).unwrap();
    let mut txn = Txn::new();
    CardState::default().diff_into::<()>(state, &mut txn).unwrap();
    for p in &state.profiles {
        txn.put(&p.package_name(), vec![0xA0, 0x00]);
    }
    store.commit(storage, txn).unwrap();
}

/// A default test card whose state is `state`.
pub(crate) fn card(state: &veuicc::store::CardState) -> veuicc::testkit::TestCard {
    let mut storage = veuicc::store::MemStorage::new();
    install(&mut storage, state);
    veuicc::testkit::TestCard::with_config(veuicc::testkit::default_config(), storage, 1)
}

/// One ES10 command (hex DER) on a fresh logical channel; the response DER.
pub(crate) fn es10(card: &mut veuicc::testkit::TestCard, der: &str) -> Vec<u8> {
    let mut lpa = veuicc::testkit::Es10Client::open(&mut *card).unwrap();
    let r = lpa.store_data(&hex(der)).unwrap();
    lpa.close().unwrap();
    r
}

/// The status word of one ES10 command (hex DER) that the card refuses as an APDU.
pub(crate) fn es10_sw(card: &mut veuicc::testkit::TestCard, der: &str) -> u16 {
    let mut lpa = veuicc::testkit::Es10Client::open(&mut *card).unwrap();
    let r = lpa.store_data(&hex(der));
    lpa.close().unwrap();
    match r {
        Err(veuicc::testkit::ClientError::Status(sw)) => sw,
        other => panic!("expected a refusing status word, got {other:02X?}"),
    }
}

/// A profile record as a completed download leaves it: ISD-P AID `…89000010 <slot> 00`, SPN
/// "SP", name "profile <slot>", notifications for `events` (NotificationEvent bits) to
/// `smdp<slot>.example.com` (none for 0).
pub(crate) fn profile_record(
    iccid: &str,
    slot: u8,
    state: veuicc::store::ProfileState,
    class: veuicc::store::ProfileClass,
    ppr: u8,
    events: u8,
) -> veuicc::store::ProfileRecord {
    let mut aid = hex("A0000005591010FFFFFFFF8900001000");
    aid[14] = slot;
    veuicc::store::ProfileRecord {
        iccid: hex(iccid).into(),
        isdp_aid: aid.into(),
        state,
        nickname: None,
        service_provider_name: "SP".into(),
        profile_name: format!("profile {slot:02x}"),
        icon: None,
        class,
        ppr,
        notification_config: if events == 0 {
            vec![]
        } else {
            vec![veuicc::store::NotificationConfig { events, address: format!("smdp{slot:02x}.example.com") }]
        },
        owner: None,
        dp_proprietary_data: None,
        port: None,
        hri_server_address: None,
        enterprise: None,
        service_description: None,
        service_specific_data: None,
        rpm_configuration: None,
        device_change_configuration: None,
    }
}

/// The shared reference folder (`VEUICC_SHARED`), or `None` with a note on how to enable the
/// test that needs it (`what`). Under CI (`VEUICC_REQUIRE_SHARED=1`, set by `.ci/run`) a missing
/// or wrong folder is a failure, never a silent pass.
pub(crate) fn shared(what: &str) -> Option<String> {
    let require = std::env::var_os("VEUICC_REQUIRE_SHARED").is_some();
    match std::env::var("VEUICC_SHARED") {
        Ok(dir) => {
            let ok = std::path::Path::new(&dir).join("spec").is_dir()
                && std::path::Path::new(&dir).join("fixtures").is_dir();
            assert!(ok, "VEUICC_SHARED={dir} is not the shared reference folder (no spec/ and fixtures/)");
            Some(dir)
        }
        Err(_) => {
            assert!(!require, "VEUICC_REQUIRE_SHARED is set but VEUICC_SHARED is not: cannot {what}");
            eprintln!("skipped: set VEUICC_SHARED=/path/to/shared to {what}");
            None
        }
    }
}

/// Writes `packages` into `storage` as installed profiles (slot 1, 2, …), the first enabled.
pub(crate) fn sim_install<S: veuicc::platform::Storage>(storage: &mut S, packages: &[Vec<u8>]) {
    veuicc::testkit::install_profiles(storage, packages).unwrap();
}

/// A card holding `packages` (slot 1, 2, …), the first one enabled.
pub(crate) fn sim_card(packages: &[Vec<u8>]) -> veuicc::testkit::TestCard {
    veuicc::testkit::sim_card(packages)
}

/// A `veuicc` process with piped stdin, stdout and stderr (`mirror join` reads the mirror
/// package from stdin while its card session stays open).
pub(crate) struct Spawned {
    pub(crate) child: std::process::Child,
    pub(crate) stdout: std::io::BufReader<std::process::ChildStdout>,
}

/// Starts `veuicc ARGS` with piped standard streams.
pub(crate) fn spawn_veuicc(args: &[&str], env: &[(&str, &str)]) -> Spawned {
    use std::process::Stdio;
    let mut command = Command::new(env!("CARGO_BIN_EXE_veuicc"));
    command.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    Spawned { child, stdout }
}

impl Spawned {
    /// The next line of stdout, without its newline (empty at the end).
    pub(crate) fn line(&mut self) -> String {
        use std::io::BufRead;
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line.trim_end().to_string()
    }

    /// Writes `text` and a newline to stdin, then closes it.
    pub(crate) fn send(&mut self, text: &str) {
        use std::io::Write;
        let mut stdin = self.child.stdin.take().unwrap();
        writeln!(stdin, "{text}").unwrap();
    }

    /// Writes `text` to stdin and keeps it open.
    pub(crate) fn write(&mut self, text: &str) {
        use std::io::Write;
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Waits for the end: (exit code, the rest of stdout, stderr).
    pub(crate) fn finish(mut self) -> (i32, String, String) {
        use std::io::Read;
        drop(self.child.stdin.take());
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).unwrap();
        let mut err = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        let status = self.child.wait().unwrap();
        (status.code().unwrap_or(-1), rest, err)
    }
}

/// Runs `veuicc ARGS` with extra environment variables: (exit code, stdout, stderr).
pub(crate) fn veuicc_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_veuicc"));
    command.args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}
