//! ES9+ over the network: `host::smdp` (hyper + rustls) serving `Es9Server`, the native LPA
//! (`host::es9_client`, ureq) downloading through it into `TestCard`s; TLS trust; hostile HTTP
//! (oversized bodies, wrong methods and headers, garbage); the `veuicc smdp serve` and
//! `veuicc download --activation-code` commands end to end.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use veuicc::host::es9_client::HttpsTransport;
use veuicc::host::smdp::{Running, tls_config};
use veuicc::testkit::es9_lpa::{Order, download, send_notifications};
use veuicc::testkit::es9p::{Catalogue, DEFAULT_MATCHING_ID, Es9Server};
use veuicc::testkit::pki::default_pki;
use veuicc::testkit::smdp::SmdpKeys;
use veuicc::testkit::{Es10Client, TestCard};

fn start(tls: bool) -> (Running, Arc<Es9Server>, String) {
    // Bind first to learn the port: the address is part of what the SM-DP+ signs.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let address = addr.to_string();
    let server = Arc::new(Es9Server::new(SmdpKeys::from_pki(default_pki()), Some(&address), Catalogue::default_test()));
    let tls = tls.then(|| {
        let issued = default_pki().issue_dptls("127.0.0.1", 1);
        let key = p256::pkcs8::EncodePrivateKey::to_pkcs8_der(&p256::SecretKey::from(&issued.key)).unwrap();
        tls_config(std::slice::from_ref(&issued.der), key.as_bytes()).unwrap()
    });
    let running = Running::start(addr, server.clone(), tls, 2).unwrap();
    (running, server, address)
}

fn get(http: &mut HttpsTransport, address: &str, seed: u64) -> Result<(), String> {
    let mut card = TestCard::new(seed);
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let order = Order { address, matching_id: Some(DEFAULT_MATCHING_ID), confirmation_code: None };
    download(&mut lpa, http, &order)?;
    let sent = send_notifications(&mut lpa, http)?;
    assert_eq!(sent.len(), 1);
    sent.into_iter().try_for_each(|(_, r)| r)
}

#[test]
fn downloads_over_https_trusting_the_ci() {
    let (_running, server, address) = start(true);
    let mut http = HttpsTransport::new(&[default_pki().ci.der.clone()], false);
    let t = Instant::now();
    get(&mut http, &address, 1).unwrap();
    eprintln!("one download + PIR over HTTPS: {:?}", t.elapsed());
    assert_eq!(server.open_sessions(), 0);
    // A client that trusts another CI refuses the TLS certificate…
    let sgp26 = veuicc::testkit::pki::TestPki::generate(12345, 0);
    let mut other = HttpsTransport::new(std::slice::from_ref(&sgp26.ci.der), false);
    let e = get(&mut other, &address, 2).unwrap_err();
    assert!(e.contains("initiateAuthentication") || e.contains("https://"), "{e}");
    assert!(e.to_lowercase().contains("certificate") || e.to_lowercase().contains("tls"), "{e}");
    // …unless told not to check.
    let mut insecure = HttpsTransport::new(&[], true);
    get(&mut insecure, &address, 3).unwrap();
}

#[test]
fn many_concurrent_downloads() {
    let (_running, server, address) = start(true);
    let t = Instant::now();
    let threads: Vec<_> = (0..6u64)
        .map(|i| {
            let address = address.clone();
            std::thread::spawn(move || {
                let mut http = HttpsTransport::new(&[default_pki().ci.der.clone()], false);
                for j in 0..3 {
                    get(&mut http, &address, 1000 + i * 10 + j).unwrap();
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    eprintln!("18 downloads from 6 clients over HTTPS: {:?}", t.elapsed());
    assert_eq!(server.open_sessions(), 0);
}

/// Sends raw bytes, returns the status line's code and the body.
fn raw(addr: &str, request: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr.parse::<SocketAddr>().unwrap()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(request);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let code = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (code, body)
}

fn post(path: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

#[test]
fn hostile_http_gets_answers_and_the_server_keeps_serving() {
    let (_running, server, address) = start(false);
    let f = "/gsma/rsp2/es9plus/initiateAuthentication";
    let ok_header = "X-Admin-Protocol: gsma/rsp/v2.2.0\r\n";
    // Malformed JSON: an ES9+ error in a 200.
    let (code, body) = raw(&address, &post(f, ok_header, b"{\"smdpAddress\":"));
    assert_eq!(code, 200);
    // SGP.22 §5.2.6: subject 1.3.1 Protocol Format, reason 2.1 Invalid.
    assert!(body.contains("\"subjectCode\":\"1.3.1\"") && body.contains("\"reasonCode\":\"2.1\""), "{body}");
    // A declared body over the limit: 413 with an ES9+ error, nothing read.
    let big = format!(
        "POST {f} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        server.limits.max_body + 1
    );
    let (code, body) = raw(&address, big.as_bytes());
    assert_eq!(code, 413);
    assert!(body.contains("larger than"), "{body}");
    // A chunked body that grows past the limit.
    let mut chunked =
        format!("POST {f} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n").into_bytes();
    for _ in 0..80 {
        chunked.extend_from_slice(b"400\r\n");
        chunked.extend_from_slice(&[b' '; 0x400]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(raw(&address, &chunked).0, 413);
    // Wrong method, wrong protocol header, unknown function, garbage.
    assert_eq!(raw(&address, format!("GET {f} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()).0, 405);
    assert_eq!(raw(&address, &post(f, "X-Admin-Protocol: gsma/rsp/v9\r\n", b"{}")).0, 400);
    assert_eq!(raw(&address, &post("/gsma/rsp2/es9plus/nothing", ok_header, b"{}")).0, 404);
    let _ = raw(&address, b"\x16\x03\x01 not http at all\r\n\r\n");
    // A client that connects and sends nothing does not hold anything up.
    let _idle = TcpStream::connect(address.parse::<SocketAddr>().unwrap()).unwrap();
    let mut http = HttpsTransport::plain();
    get(&mut http, &address, 7).unwrap();
}

/// `veuicc smdp serve` on a free port; `veuicc download --activation-code` from it.
#[test]
fn the_commands_end_to_end() {
    let dir = std::env::temp_dir().join(format!("veuicc-smdp-http-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let ca = dir.join("ci.pem");
    let log = dir.join("events.log");
    let mut serve = Command::new(env!("CARGO_BIN_EXE_veuicc"))
        .args(["smdp", "serve", "--listen", &listen, "--ca-out", ca.to_str().unwrap(), "--log"])
        .arg(&log)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(serve.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(first.contains(&format!("https://{listen}")), "{first}");
    let mut lines = String::new();
    for _ in 0..3 {
        out.read_line(&mut lines).unwrap();
    }
    let code = format!("LPA:1${listen}${DEFAULT_MATCHING_ID}");
    assert!(lines.contains(&code), "{lines}");
    // Keep draining stdout (the QR codes) so the server never blocks on it.
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = out.read_to_end(&mut sink);
    });
    let state = dir.join("state");
    let dl = Command::new(env!("CARGO_BIN_EXE_veuicc"))
        .args(["download", "--state", state.to_str().unwrap(), "--activation-code", &code, "--smdp-ca"])
        .arg(&ca)
        .output()
        .unwrap();
    assert!(dl.status.success(), "{}", String::from_utf8_lossy(&dl.stderr));
    assert_eq!(String::from_utf8_lossy(&dl.stdout).trim(), "89000123456789012341");
    // Enable it: the card queues an enable notification; `notifications --send` delivers it.
    let veuicc = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_veuicc")).args(args).output().unwrap();
    let st = state.to_str().unwrap();
    let en = veuicc(&["enable", "--state", st, "89000123456789012341"]);
    assert!(en.status.success(), "{}", String::from_utf8_lossy(&en.stderr));
    let send = veuicc(&["notifications", "--state", st, "--send", "--smdp-ca", ca.to_str().unwrap()]);
    assert!(send.status.success(), "{}", String::from_utf8_lossy(&send.stdout));
    assert_eq!(String::from_utf8_lossy(&send.stdout).trim(), "2  sent");
    assert_eq!(String::from_utf8_lossy(&veuicc(&["notifications", "--state", st]).stdout).trim(), "no notifications");
    let _ = Command::new("kill").arg(serve.id().to_string()).status();
    let _ = serve.wait();
    let events = std::fs::read_to_string(&log).unwrap();
    assert!(events.contains("\"notification\":\"profileInstallationResult\""), "{events}");
    assert!(events.contains("\"verified\":true"), "{events}");
    assert!(events.contains("\"operation\":\"enable\""), "{events}");
    let bad = Command::new(env!("CARGO_BIN_EXE_veuicc"))
        .args(["download", "--state", state.to_str().unwrap(), "--activation-code", "LPA:1$$X"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("SM-DP+ address"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
