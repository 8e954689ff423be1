//! The trace corpus replays byte for byte (`apdu-traces/`), a wrong trace fails with a
//! readable diff, hostile trace files are errors naming the line, and `veuicc replay` /
//! `--pcap` work from the command line (tshark decodes the capture when it is installed).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use veuicc::testkit::replay::{ReplayError, replay, replay_file};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("apdu-traces")
}

fn traces(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            traces(&p, out);
        } else if p.extension().is_some_and(|x| x == "trace") {
            out.push(p);
        }
    }
}

fn all() -> Vec<PathBuf> {
    let mut out = Vec::new();
    traces(&corpus(), &mut out);
    out
}

/// The minimum corpus: its size and its areas.
const MIN_TRACES: usize = 60;

#[test]
fn every_trace_replays() {
    let files = all();
    assert!(files.len() >= MIN_TRACES, "{} traces", files.len());
    let mut areas: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let (mut exchanges, mut masked) = (0, 0);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(text.lines().any(|l| l.starts_with("#! about ")), "{}: no `#! about` line", f.display());
        assert!(text.lines().any(|l| l.starts_with("#! source ")), "{}: no `#! source` line", f.display());
        let area = f.parent().unwrap().strip_prefix(corpus()).unwrap().display().to_string();
        *areas.entry(area).or_default() += 1;
        match replay_file(f, None) {
            Ok(o) => {
                exchanges += o.exchanges;
                masked += o.wildcards;
            }
            Err(e) => failures.push(e),
        }
    }
    println!("{} traces, {exchanges} exchanges, {masked} masked bytes: {areas:?}", files.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

const GOOD: &str = "#! about test\n#! source test\n> 0070000001\n< 019000\n\
    > 01A4040010A0000005591010FFFFFFFF8900000100\n< 6121\n> 81E2910006BF3E035C015A\n< 6115\n\
    > 81C0000015\n< BF3E125A10899990010000100000000000000000389000\n";

#[test]
fn a_wrong_trace_fails_with_a_readable_diff() {
    replay(GOOD, Path::new("."), None).unwrap();
    // The EID's last byte is wrong.
    let wrong = GOOD.replace("0000389000", "0000399000");
    let Err(ReplayError::Mismatch(m)) = replay(&wrong, Path::new("."), None) else { panic!("must fail") };
    let text = m.to_string();
    println!("{text}");
    assert_eq!((m.line, m.response_line), (9, 10));
    for want in [
        "10: the response differs (command on line 9, response on line 10)",
        "> 81C0000015",
        "GET RESPONSE (INS C0) on channel 1, P1 00 P2 00, Le 21: continues the answer to ES10c.GetEID",
        "< BF3E125A10899990010000100000000000000000399000",
        "< BF3E125A10899990010000100000000000000000389000",
        "SW 9000: normal processing; 21 data bytes",
        "BF3E (18 bytes)  ES10c.GetEID",
        "  5A 89999001000010000000000000000039",
        "  5A 89999001000010000000000000000038",
        "first difference at byte 20: expected 39, actual 38 (23 bytes expected, 23 received)",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    // A status word that differs is named on both sides.
    let wrong = GOOD.replace("< 6115", "< 6A88");
    let Err(ReplayError::Mismatch(m)) = replay(&wrong, Path::new("."), None) else { panic!("must fail") };
    let text = m.to_string();
    assert!(
        text.contains("STORE DATA (INS E2) on channel 1, P1 91 P2 00, Lc 6, last block (block 0): ES10c.GetEID"),
        "{text}"
    );
    assert!(text.contains("SW 6A88: referenced data not found; 0 data bytes"), "{text}");
    assert!(text.contains("SW 6115: 21 (0x15) more bytes: GET RESPONSE; 0 data bytes"), "{text}");
    // A wildcard matches any one byte; the length must still match.
    replay(&GOOD.replace("0000389000", "0000..9000"), Path::new("."), None).unwrap();
    assert!(replay(&GOOD.replace("0000389000", "0000..389000"), Path::new("."), None).is_err(), "one byte too many");
}

#[test]
fn hostile_traces_are_errors_naming_the_line() {
    for (text, line) in [
        ("#! rng x\n", 1),
        ("#! identity pki 1\n", 1),
        ("#! profile 123\n", 1),
        ("#! profile 89000123456789012341 class=gold\n", 1),
        ("#! colour blue\n", 1),
        ("> 0070000001\n< 01\n", 2),
        ("\n\n> 00A4\n", 3),
        ("#! about x\n< 9000\n", 2),
        ("#! state no-such-fixture\n", 1),
    ] {
        match replay(text, Path::new("/nonexistent"), None) {
            Err(ReplayError::Parse(e)) => assert_eq!(e.line, line, "{text:?}: {e}"),
            Err(ReplayError::Setup(l, e)) => assert_eq!(l, line, "{text:?}: {e}"),
            other => panic!("{text:?}: {other:?}"),
        }
    }
    // Random damage to a good trace never panics the replayer.
    let bytes = GOOD.as_bytes();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..3000 {
        let mut t = bytes.to_vec();
        for _ in 0..3 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x as usize) % t.len();
            match x % 3 {
                0 => t[i] = (x >> 8) as u8,
                1 => {
                    t.remove(i);
                }
                _ => t.insert(i, b"#><.!\n 0F"[(x >> 16) as usize % 9]),
            }
        }
        let _ = replay(&String::from_utf8_lossy(&t), Path::new("."), None);
    }
}

fn veuicc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_veuicc")).args(args).output().unwrap()
}

#[test]
fn cli_replays_and_shows_the_diff() {
    let dir = std::env::temp_dir().join(format!("veuicc-replay-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.trace");
    let wrong = dir.join("wrong.trace");
    std::fs::write(&good, GOOD).unwrap();
    std::fs::write(&wrong, GOOD.replace("0000389000", "0000399000")).unwrap();
    let out = veuicc(&["replay", good.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("4 exchanges"), "{out:?}");
    let out = veuicc(&["replay", good.to_str().unwrap(), wrong.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("wrong.trace:10: the response differs"), "{err}");
    assert!(err.contains("first difference at byte 20"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 of 2 traces replayed"), "{out:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `tshark`, if installed; `VEUICC_REQUIRE_TSHARK=1` makes its absence a failure (CI).
fn tshark() -> Option<&'static str> {
    let found = Command::new("tshark").arg("--version").output().is_ok_and(|o| o.status.success());
    let required = std::env::var("VEUICC_REQUIRE_TSHARK").is_ok_and(|v| v == "1");
    match (found, required) {
        (true, _) => Some("tshark"),
        (false, true) => panic!("VEUICC_REQUIRE_TSHARK=1 but tshark is not installed (Debian: apt-get install tshark)"),
        (false, false) => {
            println!("tshark is not installed: the capture is not decoded (VEUICC_REQUIRE_TSHARK=1 requires it)");
            None
        }
    }
}

#[test]
fn pcap_captures_decode_in_tshark() {
    let dir = std::env::temp_dir().join(format!("veuicc-pcap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let from_replay = dir.join("replay.pcap");
    let from_apdu = dir.join("apdu.pcap");
    let trace = corpus().join("iso7816/readme-example.trace");
    let out = veuicc(&["replay", "--pcap", from_replay.to_str().unwrap(), trace.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let out = veuicc(&[
        "apdu",
        "--pcap",
        from_apdu.to_str().unwrap(),
        "00A4040010A0000005591010FFFFFFFF8900000100",
        "80E2910006BF3E035C015A",
    ]);
    assert!(out.status.success(), "{out:?}");
    // pcap header, then per frame a 16-byte record header and 58 bytes of headers before the APDUs.
    let bytes = std::fs::read(&from_apdu).unwrap();
    assert_eq!(&bytes[..4], &0xA1B2_C3D4u32.to_le_bytes());
    assert_eq!(bytes.len(), 24 + 2 * (16 + 58) + (21 + 2) + (11 + 2));
    let Some(tshark) = tshark() else { return };
    for file in [&from_replay, &from_apdu] {
        let out = Command::new(tshark)
            .args(["-r", file.to_str().unwrap(), "-T", "fields", "-e", "gsm_sim.apdu.ins", "-e", "gsm_sim.aid"])
            .args(["-e", "gsm_sim.apdu.p1", "-e", "gsm_sim.apdu.sw"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let rows = String::from_utf8_lossy(&out.stdout);
        println!("{}:\n{rows}", file.display());
        assert!(
            rows.lines().any(|r| r.starts_with("0xa4\ta0000005591010ffffffff8900000100\t") && r.ends_with("0x6121")),
            "no SELECT of the ISD-R decoded:\n{rows}"
        );
        assert!(
            rows.lines().any(|r| r == "0xe2\t\t0x91\t0x6115"),
            "no STORE DATA (last block, GetEID) decoded:\n{rows}"
        );
        let verbose = Command::new(tshark).args(["-r", file.to_str().unwrap(), "-V"]).output().unwrap();
        let text = String::from_utf8_lossy(&verbose.stdout);
        assert!(text.contains("APDU Payload: bf3e035c015a"), "the STORE DATA payload (GetEID) is not shown:\n{text}");
        assert!(text.contains("Instruction: SELECT (0xa4)"), "{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The stateful fuzz target's seeds made from the corpus (`fuzz/seeds/card/trace-*`, the
/// format of `fuzz/fuzz_targets/card.rs`). `VEUICC_WRITE_SEEDS=1` rewrites them; otherwise
/// they must be what the corpus makes.
#[test]
fn fuzz_seeds_come_from_the_corpus() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/card");
    let write = std::env::var("VEUICC_WRITE_SEEDS").is_ok_and(|v| v == "1");
    let mut stale = Vec::new();
    for f in all() {
        let rel = f.strip_prefix(corpus()).unwrap().with_extension("");
        let name = format!("trace-{}", rel.display().to_string().replace('/', "-"));
        let parsed = veuicc::host::trace::parse(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let seed = veuicc::testkit::replay::fuzz_seed(&parsed);
        let path = seeds.join(&name);
        if write {
            std::fs::create_dir_all(&seeds).unwrap();
            std::fs::write(&path, &seed).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(&seed[..]) {
            stale.push(name);
        }
    }
    assert!(stale.is_empty(), "stale or missing fuzz seeds (VEUICC_WRITE_SEEDS=1 cargo test --test replay): {stale:?}");
}
