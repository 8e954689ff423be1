//! `host::loadtest` against the test SM-DP+ on loopback (`host::smdp::Running`): the counts add
//! up and every step is timed once per download; a SM-DP+ that signs with the wrong key fails
//! every download under the card's AuthenticateServer code; card latency from a file is
//! added; `veuicc loadtest --json --hdr-log` against `veuicc smdp serve`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::Arc;
use veuicc::host::loadtest::{CardLatency, Config, Stop, Tls, run};
use veuicc::host::smdp::{Running, tls_config};
use veuicc::testkit::es9p::{Catalogue, Es9Server};
use veuicc::testkit::pki::default_pki;
use veuicc::testkit::smdp::SmdpKeys;

/// The ES10 steps and ES9+ functions of one download, and the download itself.
const DOWNLOAD_STEPS: [&str; 9] = [
    "download",
    "GetEUICCChallenge",
    "GetEUICCInfo1",
    "initiateAuthentication",
    "AuthenticateServer",
    "authenticateClient",
    "PrepareDownload",
    "getBoundProfilePackage",
    "LoadBoundProfilePackage",
];

fn start(keys: SmdpKeys) -> (Running, Arc<Es9Server>, String) {
    // Bind first to learn the port: the address is part of what the SM-DP+ signs.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let address = addr.to_string();
    let server = Arc::new(Es9Server::new(keys, Some(&address), Catalogue::default_test()));
    let issued = default_pki().issue_dptls("127.0.0.1", 1);
    let key = p256::pkcs8::EncodePrivateKey::to_pkcs8_der(&p256::SecretKey::from(&issued.key)).unwrap();
    let tls = tls_config(std::slice::from_ref(&issued.der), key.as_bytes()).unwrap();
    let running = Running::start(addr, server.clone(), Some(tls), 2).unwrap();
    (running, server, address)
}

fn config(address: &str, cards: usize, count: u64, concurrency: usize) -> Config {
    let mut cfg = Config::new(address);
    cfg.cards = cards;
    cfg.stop = Stop::Count(count);
    cfg.concurrency = concurrency;
    cfg
}

#[test]
fn twenty_downloads_on_four_cards_are_timed_step_by_step() {
    let (_running, server, address) = start(SmdpKeys::from_pki(default_pki()));
    let report = run(&config(&address, 4, 20, 4)).unwrap();
    eprintln!("{}", report.table());
    assert_eq!(report.started, 20);
    assert_eq!(report.completed + report.failed, report.started);
    assert_eq!(report.completed, 20, "{:?}", report.errors);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let names: Vec<&str> = report.steps.iter().map(|s| s.name).collect();
    assert_eq!(names, DOWNLOAD_STEPS, "steps in protocol order, nothing else");
    for s in &report.steps {
        assert_eq!(s.histogram.len(), report.completed, "{}", s.name);
        assert_eq!(s.errors, 0, "{}", s.name);
    }
    // Each step takes part of the download.
    let whole = report.step("download").unwrap().histogram.max();
    assert!(report.steps.iter().all(|s| s.histogram.min() <= whole));
    assert!(report.throughput() > 0.0);
    // The SM-DP+ waits for each download's install result (no --notifications here).
    assert_eq!(server.open_sessions(), 20);
    let json = report.to_json();
    assert_eq!(json["completed"], 20);
    assert_eq!(json["steps"].as_array().unwrap().len(), DOWNLOAD_STEPS.len());

    // With enable, delete and the notifications each card is reused, and the counts hold.
    let mut cfg = config(&address, 2, 6, 2);
    (cfg.enable, cfg.delete, cfg.notifications) = (true, true, true);
    let report = run(&cfg).unwrap();
    assert_eq!((report.completed, report.failed), (6, 0), "{:?}", report.errors);
    for step in ["EnableProfile", "DisableProfile", "DeleteProfile", "RetrieveNotificationsList"] {
        assert_eq!(report.step(step).unwrap().histogram.len(), 6, "{step}");
    }
    // The install result at least, then what the SM-DP+ asked for.
    assert!(report.step("handleNotification").unwrap().histogram.len() >= 6);
    // Those six sessions ended with their install results.
    assert_eq!(server.open_sessions(), 20);
}

#[test]
fn a_server_signing_with_the_wrong_key_fails_every_download_by_its_code() {
    // serverSigned1 signed with SK.DPpb instead of SK.DPauth: the card refuses serverSignature1.
    let mut keys = SmdpKeys::from_pki(default_pki());
    keys.dpauth_key = default_pki().dppb.key.clone();
    let (_running, _server, address) = start(keys);
    let report = run(&config(&address, 2, 6, 2)).unwrap();
    eprintln!("{}", report.table());
    assert_eq!((report.started, report.completed, report.failed), (6, 0, 6));
    let codes: Vec<(&str, u64)> = report.errors.iter().map(|(c, e)| (c.as_str(), e.count)).collect();
    assert_eq!(codes, [("es10:AuthenticateServer:invalidSignature(2)", 6)]);
    let auth = report.step("AuthenticateServer").unwrap();
    assert_eq!((auth.histogram.len(), auth.errors), (0, 6));
    // The card's error goes on to the SM-DP+, which answers authenticateClient with an ES9+ error.
    assert_eq!(report.step("authenticateClient").unwrap().errors, 6);
    let es9: Vec<(&str, u64)> = report
        .failed_calls
        .iter()
        .filter(|(c, _)| c.starts_with("es9:authenticateClient:"))
        .map(|(c, n)| (c.as_str(), *n))
        .collect();
    // SGP.22 §5.2.6: the SM-DP+ names the eUICC's refusal with a subject and reason code.
    assert_eq!(es9.len(), 1, "{:?}", report.failed_calls);
    assert_eq!(es9[0].1, 6);
    assert_eq!(report.failed_calls["es10:AuthenticateServer:invalidSignature(2)"], 6);
    assert!(report.step("download").is_none(), "no download completed");
    let json = report.to_json();
    assert_eq!(json["completed"], 0);
    assert_eq!(json["errors"]["es10:AuthenticateServer:invalidSignature(2)"], 6);
}

#[test]
fn card_latency_from_a_file_is_added_to_its_steps() {
    let (_running, _server, address) = start(SmdpKeys::from_pki(default_pki()));
    let mut cfg = config(&address, 1, 2, 1);
    cfg.card_latency = Some(CardLatency::parse("AuthenticateServer=120\napdu=1\n").unwrap());
    let report = run(&cfg).unwrap();
    assert_eq!(report.completed, 2, "{:?}", report.errors);
    let auth = report.step("AuthenticateServer").unwrap();
    assert!(auth.histogram.min() >= 120_000, "{} µs", auth.histogram.min());
    // PrepareDownload got no delay of its own: only its APDUs' 1 ms each.
    assert!(report.step("PrepareDownload").unwrap().histogram.max() < 120_000);
}

#[test]
fn an_unreachable_server_is_counted_as_transport_errors() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = probe.local_addr().unwrap().to_string();
    drop(probe);
    let mut cfg = config(&address, 1, 3, 1);
    cfg.tls = Tls::Plain;
    let report = run(&cfg).unwrap();
    assert_eq!((report.completed, report.failed), (0, 3));
    assert_eq!(report.errors["transport:initiateAuthentication"].count, 3);
}

/// `veuicc smdp serve --plain-http` on a free port; `veuicc loadtest --json --hdr-log` against it.
#[test]
fn the_command_prints_json_whose_counts_add_up() {
    let dir = std::env::temp_dir().join(format!("veuicc-loadtest-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let log = dir.join("events.log");
    let mut serve = Command::new(env!("CARGO_BIN_EXE_veuicc"))
        .args(["smdp", "serve", "--plain-http", "--no-qr", "--listen", &listen, "--log"])
        .arg(&log)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(serve.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(first.contains(&format!("http://{listen}")), "{first}");
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = out.read_to_end(&mut sink);
    });
    let hdr = dir.join("run.hlog");
    let lt = Command::new(env!("CARGO_BIN_EXE_veuicc"))
        .args(["loadtest", "--smdp", &listen, "--plain-http", "--cards", "3", "--count", "6"])
        .args(["--concurrency", "2", "--ramp", "0.2", "--notifications", "--json", "--shard", "1/4", "--hdr-log"])
        .arg(&hdr)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&lt.stdout);
    assert!(lt.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&lt.stderr));
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let errors: u64 = v["errors"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(v["completed"].as_u64().unwrap() + errors, 6, "{v}");
    assert_eq!(v["completed"], 6, "{v}");
    assert!(v["throughput"].as_f64().unwrap() > 0.0);
    assert!(v["p99_ms"].as_f64().unwrap() >= v["p50_ms"].as_f64().unwrap());
    assert_eq!(v["shard"], "1/4");
    let steps = v["steps"].as_array().unwrap();
    let step = |name: &str| steps.iter().find(|s| s["step"] == name).unwrap_or_else(|| panic!("{name}: {v}"));
    for name in DOWNLOAD_STEPS {
        assert_eq!(step(name)["count"], 6, "{name}");
    }
    assert_eq!(step("handleNotification")["errors"], 0);
    let text = std::fs::read_to_string(&hdr).unwrap();
    assert!(text.contains("Tag=download,"), "{text}");
    assert!(text.contains("Tag=es9.initiateAuthentication,"), "{text}");
    assert!(text.contains("Tag=es10.LoadBoundProfilePackage,"), "{text}");
    // The standard interval-log reader takes it back: one histogram per step, 6 downloads.
    use hdrhistogram::serialization::Deserializer;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
    let mut tags = Vec::new();
    for entry in IntervalLogIterator::new(text.as_bytes()) {
        let LogEntry::Interval(h) = entry.unwrap() else { continue };
        let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, h.encoded_histogram()).unwrap();
        let hist: hdrhistogram::Histogram<u64> = Deserializer::new().deserialize(&mut bytes.as_slice()).unwrap();
        let tag = h.tag().unwrap().as_str().to_string();
        if tag == "download" {
            assert_eq!(hist.len(), 6);
        }
        tags.push(tag);
    }
    assert_eq!(tags.len(), steps.len(), "{tags:?}");
    // Shard 1 of 4 with 3 cards each: the EIDs of cards 3 to 5.
    let eid = |n: u64| veuicc::testkit::pki::card_eid(n).unwrap().to_string();
    assert_eq!(v["eids"], serde_json::json!([eid(3), eid(5)]));
    let events = std::fs::read_to_string(&log).unwrap();
    assert!(events.contains("\"verified\":true"), "{events}");
    // A bad flag is refused with a message.
    let bad = Command::new(env!("CARGO_BIN_EXE_veuicc"))
        .args(["loadtest", "--smdp", &listen, "--count", "1", "--shard", "4/4"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("K/N"));
    let _ = Command::new("kill").arg(serve.id().to_string()).status();
    let _ = serve.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
