//! ES9+ in process: the JSON functions of `testkit::es9p::Es9Server` driven by the LPA of
//! `testkit::es9_lpa` into a `TestCard`; every function's hostile inputs and the error each
//! one gets; the session table (order, replays, timeouts); the event log.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::type_complexity
)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use veuicc::testkit::es9_lpa::{Order, download, send_notifications};
use veuicc::testkit::es9p::{Answer, Catalogue, DEFAULT_MATCHING_ID, Es9Server, PATH_PREFIX};
use veuicc::testkit::pki::default_pki;
use veuicc::testkit::smdp::SmdpKeys;
use veuicc::testkit::{Es10Client, TestCard};

const ADDRESS: &str = "smdp.veuicc.test";

fn server() -> Es9Server {
    Es9Server::new(SmdpKeys::from_pki(default_pki()), Some(ADDRESS), Catalogue::default_test()).with_seed(7)
}

fn post(server: &Es9Server) -> impl FnMut(&str, &str, &[u8]) -> Result<(u16, Vec<u8>), String> + '_ {
    move |_address: &str, function: &str, body: &[u8]| {
        let a = server.handle(&format!("{PATH_PREFIX}{function}"), body);
        Ok((a.status, a.body))
    }
}

fn codes(a: &Answer) -> (String, String) {
    a.error_codes().unwrap_or_else(|| panic!("not an ES9+ error: {} {}", a.status, String::from_utf8_lossy(&a.body)))
}

/// A log sink the test can read.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);
impl std::io::Write for Log {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
impl Log {
    fn lines(&self) -> Vec<Value> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }
}

#[test]
fn a_download_then_notifications_verified_by_the_server() {
    let server = server();
    let log = Log::default();
    server.set_log(Box::new(log.clone()));
    let mut card = TestCard::new(1);
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let order = Order { address: ADDRESS, matching_id: Some(DEFAULT_MATCHING_ID), confirmation_code: None };
    let installed = download(&mut lpa, &mut post(&server), &order).unwrap();
    assert!(!installed.isdp_aid.is_empty());
    assert_eq!(server.open_sessions(), 1, "the session waits for its PIR");
    let sent = send_notifications(&mut lpa, &mut post(&server)).unwrap();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].1.is_ok(), "{sent:?}");
    assert_eq!(server.open_sessions(), 0, "the PIR ends the session");
    // Enable the profile: the card queues an enable notification for the SM-DP+.
    let iccid = veuicc::testkit::es9p::iccid_bytes(veuicc::testkit::es9p::DEFAULT_ICCID).unwrap();
    let r = lpa.enable_profile(veuicc::asn1::rsp::ProfileIdentifier::Iccid(iccid.to_vec().into()), false).unwrap();
    assert_eq!(r, 0.into());
    let pending = veuicc::testkit::es9_lpa::pending_notifications(&mut lpa).unwrap();
    assert_eq!(pending.len(), 1);
    let body = serde_json::to_vec(&json!({"pendingNotification": B64.encode(&pending[0].der)})).unwrap();
    let sent = send_notifications(&mut lpa, &mut post(&server)).unwrap();
    assert!(sent.iter().all(|(_, r)| r.is_ok()), "{sent:?}");
    assert!(veuicc::testkit::es9_lpa::pending_notifications(&mut lpa).unwrap().is_empty());
    // The same notification again is a replay.
    let again = server.handle(&format!("{PATH_PREFIX}handleNotification"), &body);
    // SGP.22 §5.2.6: subject 1.6 Function, reason 3.3 Already in Use (Uniqueness).
    assert_eq!(codes(&again), ("1.6".into(), "3.3".into()));

    let events = log.lines();
    let names: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "initiateAuthentication",
            "authenticateClient",
            "getBoundProfilePackage",
            "handleNotification",
            "handleNotification",
            "handleNotification"
        ]
    );
    assert_eq!(events[3]["notification"], "profileInstallationResult");
    assert_eq!(events[3]["verified"], true);
    assert_eq!(events[3]["result"], "success");
    assert_eq!(events[4]["operation"], "enable");
    assert_eq!(events[4]["verified"], true);
    assert_eq!(events[5]["status"], "Failed");
    assert!(events.iter().all(|e| e["time"].is_u64()));
}

/// The server's answer to `function` with `body`.
fn call(server: &Es9Server, function: &str, body: &Value) -> Answer {
    server.handle(&format!("{PATH_PREFIX}{function}"), &serde_json::to_vec(body).unwrap())
}

/// initiateAuthentication for the card behind `lpa`; returns the answer.
fn initiate(server: &Es9Server, lpa: &mut Es10Client<TestCard>) -> Value {
    let challenge = lpa.get_euicc_challenge().unwrap();
    let info1 = lpa.store_data(&[0xBF, 0x20, 0x00]).unwrap();
    let a = call(
        server,
        "initiateAuthentication",
        &json!({"smdpAddress": ADDRESS, "euiccChallenge": B64.encode(challenge), "euiccInfo1": B64.encode(info1)}),
    );
    assert_eq!(a.status, 200);
    assert_eq!(a.value()["header"]["functionExecutionStatus"]["status"], "Executed-Success", "{:?}", a.value());
    a.value()
}

const FUNCTIONS: [&str; 5] =
    ["initiateAuthentication", "authenticateClient", "getBoundProfilePackage", "handleNotification", "cancelSession"];

#[test]
fn hostile_bodies_get_es9_errors_for_every_function() {
    // The generic codes, SGP.22 §5.2.6.1 (subject) and §5.2.6.2 (reason): 1.3.1 Protocol Format
    // with 2.1 Invalid (not JSON, base64 or DER) or 2.2 Mandatory Element Missing.
    let server = server();
    for f in FUNCTIONS {
        for (body, want) in [
            (&b"{not json"[..], ("1.3.1", "2.1")),
            (b"[1,2,3]", ("1.3.1", "2.1")),
            (b"\"text\"", ("1.3.1", "2.1")),
            (b"{}", ("1.3.1", "2.2")),
            (b"", ("1.3.1", "2.1")),
            (b"\xff\xfe", ("1.3.1", "2.1")),
        ] {
            let a = server.handle(&format!("{PATH_PREFIX}{f}"), body);
            assert_eq!(a.status, 200, "{f} {body:?}");
            assert_eq!(codes(&a), (want.0.into(), want.1.into()), "{f} {:?}", String::from_utf8_lossy(body));
        }
    }
    // Bad base64 in each function's base64 field.
    let tid = "0123456789ABCDEF0123456789ABCDEF";
    let bad = "@@not-base64@@";
    for (f, body, field) in [
        (
            "initiateAuthentication",
            json!({"smdpAddress": ADDRESS, "euiccChallenge": bad, "euiccInfo1": "AA=="}),
            "euiccChallenge",
        ),
        (
            "authenticateClient",
            json!({"transactionId": tid, "authenticateServerResponse": bad}),
            "authenticateServerResponse",
        ),
        (
            "getBoundProfilePackage",
            json!({"transactionId": tid, "prepareDownloadResponse": bad}),
            "prepareDownloadResponse",
        ),
        ("handleNotification", json!({"pendingNotification": bad}), "pendingNotification"),
        ("cancelSession", json!({"transactionId": tid, "cancelSessionResponse": bad}), "cancelSessionResponse"),
    ] {
        let a = call(&server, f, &body);
        assert_eq!(codes(&a), ("1.3.1".into(), "2.1".into()), "{f}");
        assert_eq!(a.value()["header"]["functionExecutionStatus"]["statusCodeData"]["subjectIdentifier"], field);
    }
    // Base64 of bytes that are not the DER asked for.
    let junk = B64.encode([0x30, 0x03, 0x02, 0x01]);
    for (f, body) in [
        (
            "initiateAuthentication",
            json!({"smdpAddress": ADDRESS, "euiccChallenge": B64.encode([0u8; 16]), "euiccInfo1": junk}),
        ),
        ("authenticateClient", json!({"transactionId": tid, "authenticateServerResponse": junk})),
        ("getBoundProfilePackage", json!({"transactionId": tid, "prepareDownloadResponse": junk})),
        ("handleNotification", json!({"pendingNotification": junk})),
        ("cancelSession", json!({"transactionId": tid, "cancelSessionResponse": junk})),
    ] {
        assert_eq!(codes(&call(&server, f, &body)), ("1.3.1".into(), "2.1".into()), "{f}");
    }
    // A transactionId that is not hex, or too long.
    for t in ["XYZ", "", "0", &"00".repeat(17)] {
        let a = call(&server, "authenticateClient", &json!({"transactionId": t, "authenticateServerResponse": "AA=="}));
        assert_eq!(codes(&a), ("1.3.1".into(), "2.1".into()), "{t:?}");
    }
    // The wrong SM-DP+ address; a challenge of the wrong length.
    let a = call(
        &server,
        "initiateAuthentication",
        &json!({"smdpAddress": "other.example", "euiccChallenge": B64.encode([0u8; 16]), "euiccInfo1": "AA=="}),
    );
    assert_eq!(codes(&a), ("8.8.1".into(), "3.8".into()));
    let a = call(
        &server,
        "initiateAuthentication",
        &json!({"smdpAddress": ADDRESS, "euiccChallenge": B64.encode([0u8; 15]), "euiccInfo1": "AA=="}),
    );
    assert_eq!(codes(&a), ("1.3.1".into(), "2.1".into()));
    // An unknown path is a 404; an oversized body a 413 with an ES9+ error.
    // (SGP.22 §5.2.6: subject 1.6 Function, reason 3.9 Unknown.)
    for path in ["/gsma/rsp2/es9plus/deleteEverything", "/index.html"] {
        let a = server.handle(path, b"{}");
        assert_eq!(a.status, 404);
        assert_eq!(codes(&a), ("1.6".into(), "3.9".into()), "{path}");
    }
    for f in FUNCTIONS {
        let big = vec![b' '; server.limits.max_body + 1];
        let a = server.handle(&format!("{PATH_PREFIX}{f}"), &big);
        assert_eq!(a.status, 413);
        assert_eq!(codes(&a), ("1.3.1".into(), "2.1".into()));
    }
    // And the server still serves a whole download.
    still_serves(&server);
}

fn still_serves(server: &Es9Server) {
    let mut card = TestCard::new(99);
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let order = Order { address: ADDRESS, matching_id: Some(DEFAULT_MATCHING_ID), confirmation_code: None };
    download(&mut lpa, &mut post(server), &order).unwrap();
    let sent = send_notifications(&mut lpa, &mut post(server)).unwrap();
    assert!(sent.iter().all(|(_, r)| r.is_ok()), "{sent:?}");
}

/// Runs a download by hand, step by step, so each step can be replayed or reordered.
struct Steps {
    lpa: Es10Client<TestCard>,
    tid: String,
}

impl Steps {
    fn new(server: &Es9Server, seed: u64) -> (Steps, Value) {
        let mut lpa = Es10Client::open(TestCard::new(seed)).unwrap();
        let init = initiate(server, &mut lpa);
        let tid = init["transactionId"].as_str().unwrap().to_string();
        (Steps { lpa, tid }, init)
    }
    fn lpa(&mut self) -> &mut Es10Client<TestCard> {
        &mut self.lpa
    }
    fn authenticate_server(&mut self, init: &Value, matching_id: &str) -> Vec<u8> {
        let f = |k: &str| B64.decode(init[k].as_str().unwrap()).unwrap();
        let mut body = f("serverSigned1");
        body.extend(f("serverSignature1"));
        body.extend(f("euiccCiPKIdToBeUsed"));
        body.extend(f("serverCertificate"));
        body.extend(veuicc::asn1::download::ctx_params1(Some(matching_id), [0x35, 0x29, 0x06, 0x11]));
        let cmd = veuicc::asn1::tlv::tlv(&[0xBF, 0x38], &body);
        self.lpa().store_data(&cmd).unwrap()
    }
    fn prepare(&mut self, auth: &Value) -> Vec<u8> {
        let f = |k: &str| B64.decode(auth[k].as_str().unwrap()).unwrap();
        let mut body = f("smdpSigned2");
        body.extend(f("smdpSignature2"));
        body.extend(f("smdpCertificate"));
        self.lpa().store_data(&veuicc::asn1::tlv::tlv(&[0xBF, 0x21], &body)).unwrap()
    }
    fn authenticate_client(&self, server: &Es9Server, response: &[u8]) -> Answer {
        call(
            server,
            "authenticateClient",
            &json!({"transactionId": self.tid, "authenticateServerResponse": B64.encode(response)}),
        )
    }
    fn get_bpp(&self, server: &Es9Server, response: &[u8]) -> Answer {
        call(
            server,
            "getBoundProfilePackage",
            &json!({"transactionId": self.tid, "prepareDownloadResponse": B64.encode(response)}),
        )
    }
}

#[test]
fn wrong_order_replays_and_unknown_transactions() {
    // Out of order or replayed: SGP.22 §5.2.6 subject 1.6 Function, reason 1.2 Not Allowed
    // (Authorisation); an unknown transaction is §5.6's 8.10.1/3.9.
    let server = server();
    let (mut s, init) = Steps::new(&server, 3);
    // getBoundProfilePackage before authenticateClient: wrong order.
    let a = s.get_bpp(&server, &[0xBF, 0x21, 0x03, 0xA1, 0x01, 0x00]);
    // (a malformed PrepareDownloadResponse is refused before the session is looked at)
    assert_eq!(codes(&a), ("1.3.1".into(), "2.1".into()));
    let fake_prepare = veuicc::asn1::tlv::tlv(
        &[0xBF, 0x21],
        &veuicc::asn1::tlv::tlv(
            &[0xA1],
            &[&veuicc::asn1::tlv::tlv(&[0x80], &[1u8; 16])[..], &[0x02, 0x01, 0x01]].concat(),
        ),
    );
    let a = s.get_bpp(&server, &fake_prepare);
    assert_eq!(codes(&a), ("1.6".into(), "1.2".into()), "{:?}", a.value());
    let response = s.authenticate_server(&init, DEFAULT_MATCHING_ID);
    // authenticateClient for another transaction: unknown.
    let other = call(
        &server,
        "authenticateClient",
        &json!({"transactionId": "00112233445566778899AABBCCDDEEFF", "authenticateServerResponse": B64.encode(&response)}),
    );
    assert_eq!(codes(&other), ("8.10.1".into(), "3.9".into()));
    let auth = s.authenticate_client(&server, &response);
    assert_eq!(auth.value()["header"]["functionExecutionStatus"]["status"], "Executed-Success");
    // The same authenticateClient again: a replay, refused.
    let replay = s.authenticate_client(&server, &response);
    assert_eq!(codes(&replay), ("1.6".into(), "1.2".into()));
    let prepared = s.prepare(&auth.value());
    let bpp = s.get_bpp(&server, &prepared);
    assert!(bpp.value()["boundProfilePackage"].is_string(), "{:?}", bpp.value());
    // getBoundProfilePackage again: refused (a BPP is bound once).
    assert_eq!(codes(&s.get_bpp(&server, &prepared)), ("1.6".into(), "1.2".into()));
    // cancelSession for an unknown transaction; then for ours.
    let cancel = |tid: &str, resp: &[u8]| {
        call(&server, "cancelSession", &json!({"transactionId": tid, "cancelSessionResponse": B64.encode(resp)}))
    };
    let card_cancel = {
        let tid = hex::decode(&s.tid);
        let req = veuicc::asn1::download::CancelSessionRequest::new(tid, 0);
        s.lpa().store_data(&rasn::der::encode(&req).unwrap()).unwrap()
    };
    assert_eq!(codes(&cancel("AABB", &card_cancel)), ("8.10.1".into(), "3.9".into()));
    let ok = cancel(&s.tid, &card_cancel);
    assert_eq!(ok.value()["header"]["functionExecutionStatus"]["status"], "Executed-Success", "{:?}", ok.value());
    // After the cancel the transaction is gone: every function says unknown.
    assert_eq!(codes(&cancel(&s.tid, &card_cancel)), ("8.10.1".into(), "3.9".into()));
    assert_eq!(codes(&s.authenticate_client(&server, &response)), ("8.10.1".into(), "3.9".into()));
    assert_eq!(server.open_sessions(), 0);
    still_serves(&server);
}

mod hex {
    pub(super) fn decode(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }
}

#[test]
fn a_refused_matching_id_and_a_forged_signature() {
    let server = server();
    let (mut s, init) = Steps::new(&server, 4);
    let response = s.authenticate_server(&init, "NO-SUCH-ORDER");
    assert_eq!(codes(&s.authenticate_client(&server, &response)), ("8.2.6".into(), "3.8".into()));
    assert_eq!(server.open_sessions(), 0, "a failed authentication ends the session");

    let (mut s, init) = Steps::new(&server, 5);
    let mut response = s.authenticate_server(&init, DEFAULT_MATCHING_ID);
    // Flip a bit in the last byte of euiccSignature1's r‖s (it ends the A0 before the certificates).
    let n = response.len();
    let pos = (0..n).rev().find(|&i| response[i..].starts_with(&[0x5F, 0x37, 0x40])).unwrap() + 3 + 10;
    response[pos] ^= 1;
    assert_eq!(codes(&s.authenticate_client(&server, &response)), ("8.1".into(), "6.1".into()));
    still_serves(&server);
}

#[test]
fn sessions_time_out() {
    let mut server = server();
    server.limits.session_timeout = Duration::from_secs(60);
    let (mut s, init) = Steps::new(&server, 6);
    let response = s.authenticate_server(&init, DEFAULT_MATCHING_ID);
    let later = Instant::now() + Duration::from_secs(61);
    let body = json!({"transactionId": s.tid, "authenticateServerResponse": B64.encode(&response)});
    let a = server.handle_at(&format!("{PATH_PREFIX}authenticateClient"), &serde_json::to_vec(&body).unwrap(), later);
    assert_eq!(codes(&a), ("8.10.1".into(), "3.9".into()));
    assert_eq!(server.open_sessions(), 0);
}

#[test]
fn confirmation_codes() {
    let mut catalogue = Catalogue::default_test();
    catalogue.entries[0].confirmation_code = Some("4711".into());
    let server = Es9Server::new(SmdpKeys::from_pki(default_pki()), Some(ADDRESS), catalogue).with_seed(9);
    for (cc, want) in [(None, Some("8.2.7/2.2")), (Some("1234"), Some("8.2.7/3.8")), (Some("4711"), None)] {
        let mut card = TestCard::new(11);
        let mut lpa = Es10Client::open(&mut card).unwrap();
        let order = Order { address: ADDRESS, matching_id: Some(DEFAULT_MATCHING_ID), confirmation_code: cc };
        let r = download(&mut lpa, &mut post(&server), &order);
        match want {
            None => assert!(r.is_ok(), "{r:?}"),
            Some(code) => {
                let e = r.unwrap_err();
                // Without a code the card itself may refuse PrepareDownload first.
                assert!(e.contains(code) || (cc.is_none() && e.contains("SM-DP+ error")), "{cc:?}: {e}");
            }
        }
    }
    assert_eq!(server.open_sessions(), 1, "only the good download waits for its PIR");
}

#[test]
fn many_sessions_at_once() {
    let server = Arc::new(server());
    let threads: Vec<_> = (0..4u64)
        .map(|i| {
            let server = server.clone();
            std::thread::spawn(move || {
                for j in 0..2 {
                    let mut card = TestCard::new(100 + i * 10 + j);
                    let mut lpa = Es10Client::open(&mut card).unwrap();
                    let order =
                        Order { address: ADDRESS, matching_id: Some(DEFAULT_MATCHING_ID), confirmation_code: None };
                    download(&mut lpa, &mut post(&server), &order).unwrap();
                    let sent = send_notifications(&mut lpa, &mut post(&server)).unwrap();
                    assert!(sent.iter().all(|(_, r)| r.is_ok()));
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(server.open_sessions(), 0);
}

#[test]
fn a_catalogue_folder() {
    let dir = std::env::temp_dir().join(format!("veuicc-es9p-catalogue-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let iccid = veuicc::testkit::es9p::iccid_bytes("89000123456789012358").unwrap();
    let upp = veuicc::testkit::saip::TestProfile::new(iccid).to_der();
    std::fs::write(dir.join("second.der"), &upp).unwrap();
    let write = |text: &str| std::fs::write(dir.join("catalogue.json"), text).unwrap();
    write(
        r#"[{"matchingId": "ORDER-1", "package": "second.der", "spn": "Op", "name": "Op data",
             "class": "test", "pprs": ["ppr2"], "notifications": ["install", "delete"], "confirmationCode": "4711"},
            {"matchingId": "TEST-1", "iccid": "89000123456789012366"}]"#,
    );
    let cat = Catalogue::load_dir(&dir).unwrap();
    assert_eq!(cat.entries.len(), 2);
    let e = cat.find("ORDER-1").unwrap();
    assert_eq!(e.profile.metadata.iccid.as_ref(), iccid);
    assert_eq!(e.profile.metadata.profile_class, Some(0.into()));
    assert_eq!(e.notify, 0b1001);
    assert_eq!(e.confirmation_code.as_deref(), Some("4711"));
    assert!(e.profile.metadata.profile_policy_rules.as_ref().unwrap()[2]);
    assert!(cat.find("").is_none(), "no entry for a missing matchingId");
    // The server hands out the entry for its matchingId, with its confirmation code.
    let server = Es9Server::new(SmdpKeys::from_pki(default_pki()), Some(ADDRESS), cat).with_seed(3);
    let mut card = TestCard::new(21);
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let order = Order { address: ADDRESS, matching_id: Some("TEST-1"), confirmation_code: None };
    download(&mut lpa, &mut post(&server), &order).unwrap();
    // Bad configurations say what is wrong.
    for (text, why) in [
        ("{}", "array"),
        ("[{}]", "matchingId"),
        (r#"[{"matchingId": "A"}, {"matchingId": "A"}]"#, "twice"),
        (r#"[{"matchingId": "A", "package": "../etc/passwd"}]"#, "file name"),
        (r#"[{"matchingId": "A", "package": "missing.der"}]"#, "missing.der"),
        (r#"[{"matchingId": "A", "class": "gold"}]"#, "class"),
        (r#"[{"matchingId": "A", "pprs": ["ppr9"]}]"#, "ppr9"),
        (r#"[{"matchingId": "A", "notifications": "all"}]"#, "array"),
        (r#"[{"matchingId": "A", "iccid": "12"}]"#, "ICCID"),
        (r#"[{"matchingId": "A B"}]"#, "matchingId"),
        ("not json", "catalogue.json"),
    ] {
        write(text);
        let e = Catalogue::load_dir(&dir).unwrap_err();
        assert!(e.contains(why), "{text}: {e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `Es9Server::sgp22` (`veuicc smdp serve --sgp22 3.0`): a v3 server gives a v3 card a
/// serverSigned1 with sessionContext, a v2.5 card a v2.5 one; both download.
#[test]
fn a_v3_server_speaks_v3_to_a_v3_card_only() {
    use veuicc::asn1::download::ServerSigned1;
    use veuicc::config::Sgp22Version;
    for card_version in [Sgp22Version::V2_5, Sgp22Version::V3_0] {
        let mut server = server();
        server.sgp22 = Sgp22Version::V3_1;
        let mut config = veuicc::testkit::default_config();
        config.sgp22 = card_version;
        let card = TestCard::with_config(config, veuicc::store::MemStorage::new(), 1);
        let mut lpa = Es10Client::open(card).unwrap();
        let answer = initiate(&server, &mut lpa);
        let signed1 = B64.decode(answer["serverSigned1"].as_str().unwrap()).unwrap();
        let signed1: ServerSigned1 = rasn::der::decode(&signed1).unwrap();
        let context = signed1.session_context.as_ref().map(|c| c.server_svn.to_vec());
        let expected = card_version.is_v3().then(|| vec![3, 1, 0]);
        assert_eq!(context, expected, "card {card_version}");
        let order = Order { address: ADDRESS, matching_id: Some(DEFAULT_MATCHING_ID), confirmation_code: None };
        download(&mut lpa, &mut post(&server), &order).unwrap_or_else(|e| panic!("card {card_version}: {e:?}"));
    }
}
