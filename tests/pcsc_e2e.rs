//! veuicc as a real card in a real reader: pcscd + vsmartcard's vpcd driver, driven
//! through the `pcsc` crate and through OpenSC's `opensc-tool`.
//!
//! Needs the feature `pcsc` and the environment variable `VEUICC_PCSC_E2E=1` (set by
//! `.ci/run` after it installs `pcscd vsmartcard-vpcd opensc libpcsclite-dev`). The test
//! starts its own `pcscd -f` (as root; Debian's pcscd listens on /run/pcscd/pcscd.comm)
//! and serves the card in-process on vpcd's slot-0 port 35963.
#![cfg(feature = "pcsc")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

use std::ffi::CString;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};
use veuicc::Card;
use veuicc::card::ATR;
use veuicc::host::fs_storage::DirStorage;
use veuicc::host::{platform, vpcd};
use veuicc::testkit::pki::default_identity;
use veuicc::testkit::{Es10Client, Transport, default_config};

const READER: &str = "Virtual PCD 00 00";

/// Both tests start their own pcscd: one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `pcscd -f`, killed on drop.
struct Pcscd(Child);

impl Pcscd {
    fn start() -> Pcscd {
        let _ = Command::new("pkill").arg("-x").arg("pcscd").status();
        thread::sleep(Duration::from_millis(300));
        let _ = std::fs::remove_file("/run/pcscd/pcscd.comm");
        let child = Command::new("pcscd")
            .arg("-f")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pcscd starts (apt-get install pcscd vsmartcard-vpcd)");
        Pcscd(child)
    }
}

impl Drop for Pcscd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A card served through vpcd on a thread; stopped on drop.
struct Served {
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Served {
    fn start(state: &std::path::Path) -> Served {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let state = state.to_path_buf();
        let thread = thread::spawn(move || {
            let storage = DirStorage::open(&state).unwrap();
            let mut card = Card::with_identity(default_config(), default_identity(), platform(storage)).unwrap();
            let mut log = |m: &str| eprintln!("vpcd: {m}");
            vpcd::serve(&mut card, "127.0.0.1:35963", &flag, &mut None, &mut log);
        });
        Served { stop, thread: Some(thread) }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn enabled() -> bool {
    if std::env::var("VEUICC_PCSC_E2E").is_ok() {
        return true;
    }
    eprintln!("skipped: set VEUICC_PCSC_E2E=1 with pcscd, vsmartcard-vpcd and opensc installed (.ci/run does)");
    false
}

/// A PC/SC connection to the veuicc reader once a card is in it.
fn connect(deadline: Duration) -> (pcsc::Context, pcsc::Card) {
    let start = Instant::now();
    loop {
        let attempt = pcsc::Context::establish(pcsc::Scope::User).and_then(|ctx| {
            let reader = CString::new(READER).unwrap();
            let card = ctx.connect(&reader, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)?;
            Ok((ctx, card))
        });
        match attempt {
            Ok(pair) => return pair,
            Err(e) if start.elapsed() < deadline => {
                let _ = e;
                thread::sleep(Duration::from_millis(200));
            }
            Err(e) => panic!("no card in {READER:?} after {deadline:?}: {e}"),
        }
    }
}

/// The `pcsc` crate as a [`Transport`].
struct Pcsc<'a>(&'a pcsc::Card);

impl Transport for Pcsc<'_> {
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        let mut buf = [0u8; 300];
        self.0.transmit(apdu, &mut buf).map(<[u8]>::to_vec).unwrap_or_else(|e| panic!("SCardTransmit: {e}"))
    }
}

fn opensc(args: &[&str]) -> String {
    let out = Command::new("opensc-tool").args(args).output().expect("opensc-tool (apt-get install opensc)");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn card_in_a_real_reader() {
    if !enabled() {
        return;
    }
    let _serial = serial();
    let state = std::env::temp_dir().join(format!("veuicc-pcsc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    let mut pcscd = Some(Pcscd::start());
    let served = Served::start(&state);

    // pcsc crate: readers, ATR, channel, SELECT ISD-R, GetEID, EUICCInfo2 (GET RESPONSE), close.
    let (ctx, mut card) = connect(Duration::from_secs(15));
    let readers = ctx.list_readers_owned().unwrap();
    assert!(readers.iter().any(|r| r.to_str() == Ok(READER)), "{readers:?}");
    let status = card.status2_owned().unwrap();
    assert_eq!(status.atr(), ATR);
    {
        let mut lpa = Es10Client::open(Pcsc(&card)).unwrap();
        assert_eq!(lpa.channel(), 1);
        assert_eq!(lpa.get_eid().unwrap()[..4], [0x89, 0x99, 0x90, 0x01]);
        let info2 = lpa.get_euicc_info2().unwrap();
        assert_eq!(info2.svn.as_slice(), [2, 5, 0]);
        lpa.set_default_dp_address("kept.example.com").unwrap();
        lpa.close().unwrap();
    }
    // Power cycle through PC/SC: the ATR comes back, channels are gone, state stays.
    card.reconnect(pcsc::ShareMode::Shared, pcsc::Protocols::ANY, pcsc::Disposition::UnpowerCard).unwrap();
    assert_eq!(card.status2_owned().unwrap().atr(), ATR);
    let mut buf = [0u8; 300];
    assert_eq!(card.transmit(&[0x81, 0xE2, 0x91, 0x00, 0x03, 0xBF, 0x2E, 0x00], &mut buf).unwrap(), [0x68, 0x81]);
    drop(card);
    drop(ctx);

    // A program nobody here wrote: OpenSC.
    let atr = opensc(&["-r", READER, "-a"]);
    assert!(atr.contains("3b:9e:96:80:1f:c7:80:31:e0:73:fe:21:5f:56:76:65:75:69:63:63:ab"), "{atr}");
    let out = opensc(&[
        "-r",
        READER,
        "-s",
        "00A4040010A0000005591010FFFFFFFF8900000100",
        "-s",
        "80E2910006BF3E035C015A",
        "-s",
        "80C0000015",
    ]);
    assert!(out.contains("BF 3E 12 5A 10 89 99 90 01 00 00 10 00 00 00 00"), "{out}");

    // pcscd dies mid-session and comes back: the card reconnects and still holds its state.
    drop(pcscd.take());
    thread::sleep(Duration::from_millis(500));
    pcscd = Some(Pcscd::start());
    let (_ctx, card) = connect(Duration::from_secs(20));
    let mut lpa = Es10Client::open(Pcsc(&card)).unwrap();
    let addresses = lpa.get_configured_addresses().unwrap();
    assert_eq!(addresses.default_dp_address.as_deref(), Some("kept.example.com"));
    lpa.close().unwrap();
    drop(card);
    drop(served);
    drop(pcscd);
    let _ = std::fs::remove_dir_all(&state);
}

/// `veuicc serve --cards 2`: two readers, two cards, two EIDs.
#[test]
fn two_cards_in_two_slots() {
    if !enabled() {
        return;
    }
    let _serial = serial();
    let _pcscd = Pcscd::start();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_veuicc"))
        .args(["serve", "--cards", "2", "--vpcd", "127.0.0.1:35963"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let eid_in = |reader: &str| {
        let start = Instant::now();
        loop {
            let got = pcsc::Context::establish(pcsc::Scope::User).and_then(|ctx| {
                let card =
                    ctx.connect(&CString::new(reader).unwrap(), pcsc::ShareMode::Shared, pcsc::Protocols::ANY)?;
                let mut lpa = Es10Client::open(Pcsc(&card)).unwrap();
                let eid = lpa.get_eid().unwrap();
                lpa.close().unwrap();
                Ok(eid)
            });
            match got {
                Ok(eid) => return eid,
                Err(e) if start.elapsed() < Duration::from_secs(15) => {
                    let _ = e;
                    thread::sleep(Duration::from_millis(200));
                }
                Err(e) => panic!("{reader}: {e}"),
            }
        }
    };
    let (a, b) = (eid_in("Virtual PCD 00 00"), eid_in("Virtual PCD 00 01"));
    let _ = serve.kill();
    let _ = serve.wait();
    assert_eq!(veuicc::Eid::from_bytes(a).unwrap().to_string(), "89999001000010000000000000000038");
    assert_ne!(a, b, "each card has its own EID");
    assert!(veuicc::Eid::from_bytes(b).is_ok());
}

/// `veuicc conformance --reader …` against `veuicc serve` through pcscd: every check passes,
/// the ones that change the card too.
#[test]
fn conformance_through_a_real_reader() {
    if !enabled() {
        return;
    }
    let _serial = serial();
    let state = std::env::temp_dir().join(format!("veuicc-pcsc-conformance-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    let _pcscd = Pcscd::start();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_veuicc"))
        .args(["serve", "--vpcd", "127.0.0.1:35963", "--state"])
        .arg(&state)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the card, then let go of it.
    drop(connect(Duration::from_secs(15)));
    let out = Command::new(env!("CARGO_BIN_EXE_veuicc"))
        .args(["conformance", "--reader", READER, "--allow-changes", "--json"])
        .output()
        .unwrap();
    let _ = serve.kill();
    let _ = serve.wait();
    let _ = std::fs::remove_dir_all(&state);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((json["failed"].as_u64(), json["skipped"].as_u64()), (Some(0), Some(0)), "{stdout}");
    let checks = json["checks"].as_array().unwrap();
    assert_eq!(json["passed"].as_u64(), Some(checks.len() as u64));
    for id in ["iso.get-response.chaining", "es10.get-eid", "change.download", "change.notifications"] {
        assert!(checks.iter().any(|c| c["id"] == id && c["result"] == "pass"), "{id}: {stdout}");
    }
    // The reader's name was resolved and the ATR reported.
    assert!(stderr.contains("ATR 3B9E96801FC78031E073FE215F567665756963"), "{stderr}");
}
