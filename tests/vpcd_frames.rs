//! The vpcd protocol against a fake vpcd on loopback: control messages, APDUs, an
//! empty message (and a flood of them), a connection dropped mid-message,
//! reconnection with state kept, and when a refresh resets the card.
#![cfg(feature = "vpcd")]
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
use support::hex;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use veuicc::card::ATR;
use veuicc::host::vpcd;
use veuicc::store::{CardState, NotificationConfig, ProfileClass, ProfileRecord, ProfileState};
use veuicc::testkit::TestCard;

fn send(s: &mut TcpStream, payload: &[u8]) {
    let mut frame = (payload.len() as u16).to_be_bytes().to_vec();
    frame.extend_from_slice(payload);
    s.write_all(&frame).unwrap();
}

fn recv(s: &mut TcpStream) -> Vec<u8> {
    let mut len = [0u8; 2];
    s.read_exact(&mut len).unwrap();
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
    s.read_exact(&mut buf).unwrap();
    buf
}

#[test]
fn speaks_vpcd() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let logs = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = logs.clone();
    let server = std::thread::spawn(move || {
        let mut card = TestCard::new(1).0;
        let mut log = |m: &str| sink.lock().unwrap().push(m.to_string());
        vpcd::serve(&mut card, &addr, &flag, &mut None, &mut log);
    });
    let (mut s, _) = listener.accept().unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    send(&mut s, &[0x01]); // power on: no answer
    send(&mut s, &[0x04]); // ATR request
    assert_eq!(recv(&mut s), ATR);
    send(&mut s, &[]); // an empty message is ignored
    send(&mut s, &hex("00A4040C10A0000005591010FFFFFFFF8900000100"));
    assert_eq!(recv(&mut s), [0x90, 0x00]);
    send(&mut s, &hex("80E2910015BF3F128010736D64702E6578616D706C652E636F6D00"));
    assert_eq!(recv(&mut s), hex("BF3F038001009000"));
    send(&mut s, &[0x02]); // reset: no answer, selection gone
    send(&mut s, &hex("80E2910003BF3C0000"));
    assert_eq!(recv(&mut s), [0x6D, 0x00]);
    send(&mut s, &[0x00]); // power off
    send(&mut s, &hex("00A4040C10A0000005591010FFFFFFFF8900000100"));
    assert_eq!(recv(&mut s), [0x6F, 0x00], "an unpowered card answers 6F00");
    // The connection dies mid-message: the card reconnects, powered off, state kept.
    s.write_all(&[0x00, 0x10, 0x80, 0xE2]).unwrap();
    drop(s);
    let (mut s, _) = listener.accept().unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    send(&mut s, &[0x01]);
    send(&mut s, &hex("00A4040C10A0000005591010FFFFFFFF8900000100"));
    assert_eq!(recv(&mut s), [0x90, 0x00]);
    send(&mut s, &hex("80E2910003BF3C0000"));
    assert_eq!(recv(&mut s)[..21], hex("BF3C238010736D64702E6578616D706C652E636F6D")[..]);
    stop.store(true, Ordering::Relaxed);
    drop(s);
    server.join().unwrap();
    let logs = logs.lock().unwrap();
    assert!(logs.iter().any(|l| l.contains("empty message")), "{logs:?}");
    assert!(logs.iter().any(|l| l.contains("reconnecting")), "{logs:?}");
}

#[test]
fn keeps_trying_until_vpcd_is_there() {
    // Reserve a port, then close it: nothing listens there yet.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let target = addr.clone();
    let logs = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = logs.clone();
    let server = std::thread::spawn(move || {
        let mut card = TestCard::new(1).0;
        let mut log = |m: &str| sink.lock().unwrap().push(m.to_string());
        vpcd::serve(&mut card, &target, &flag, &mut None, &mut log);
    });
    std::thread::sleep(Duration::from_millis(500));
    let listener = TcpListener::bind(&addr).unwrap();
    let (mut s, _) = listener.accept().unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    send(&mut s, &[0x04]);
    assert_eq!(recv(&mut s), ATR);
    stop.store(true, Ordering::Relaxed);
    drop(s);
    server.join().unwrap();
    let logs = logs.lock().unwrap();
    assert_eq!(logs.iter().filter(|l| l.contains("not reachable")).count(), 1, "said once, not per retry: {logs:?}");
    assert_eq!(vpcd::slot_address("127.0.0.1:35963", 1).unwrap(), "127.0.0.1:35964");
}

/// ICCID 89000123456789012350 as the card stores it (nibble-swapped).
const ICCID: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x05];
const SELECT_ISDR_CH1: &str = "01A4040010A0000005591010FFFFFFFF8900000100";

/// A card holding one disabled profile.
fn card_with_a_profile() -> TestCard {
    let mut aid = vec![0xA0, 0, 0, 5, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0, 0, 0x10, 0];
    aid[14] = 0x10;
    let profile = ProfileRecord {
        iccid: ICCID.to_vec().into(),
        isdp_aid: aid.into(),
        state: ProfileState::Disabled,
        nickname: None,
        service_provider_name: "Operator".into(),
        profile_name: "Profile 10".into(),
        icon: None,
        class: ProfileClass::Operational,
        ppr: 0,
        notification_config: vec![NotificationConfig { events: 0, address: "smdp.example.com".into() }],
        owner: None,
        dp_proprietary_data: None,
        port: None,
        hri_server_address: None,
        enterprise: None,
        service_description: None,
        service_specific_data: None,
        rpm_configuration: None,
        device_change_configuration: None,
    };
    support::card(&CardState { profiles: vec![profile], ..CardState::default() })
}

type Logs = Arc<std::sync::Mutex<Vec<String>>>;

/// Serves `card` on a fresh loopback port; the caller gets the vpcd end, the
/// stop flag, the log and the thread (which gives the card back).
fn serve_on_loopback(card: TestCard) -> (TcpStream, Arc<AtomicBool>, Logs, std::thread::JoinHandle<TestCard>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let logs = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = logs.clone();
    let server = std::thread::spawn(move || {
        let mut card = card;
        let mut log = |m: &str| sink.lock().unwrap().push(m.to_string());
        vpcd::serve(&mut card.0, &addr, &flag, &mut None, &mut log);
        card
    });
    let (s, _) = listener.accept().unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    (s, stop, logs, server)
}

/// Powers on, opens channel 1 and selects the ISD-R there, as lpac does over PC/SC.
fn open_isdr_on_channel_1(s: &mut TcpStream) {
    send(s, &hex("0070000001"));
    assert_eq!(recv(s), hex("019000"));
    send(s, &hex(SELECT_ISDR_CH1));
    let sw = recv(s);
    assert!(sw == [0x90, 0x00] || sw[0] == 0x61, "SELECT: {sw:02X?}");
}

/// EnableProfile/DisableProfile (`tag` BF31/BF32) by ICCID with refreshFlag, STORE
/// DATA on channel 1 without Le (lpac's framing), then `le` if given.
fn lifecycle_with_refresh(tag: &str, le: Option<u8>) -> Vec<u8> {
    let iccid: String = ICCID.iter().map(|b| format!("{b:02X}")).collect();
    let mut apdu = hex(&format!("81E2910014{tag}11A00C5A0A{iccid}8101FF"));
    apdu.extend(le);
    apdu
}

#[test]
fn refresh_waits_until_the_response_is_fetched() {
    let (mut s, stop, _logs, server) = serve_on_loopback(card_with_a_profile());
    send(&mut s, &[0x01]);
    open_isdr_on_channel_1(&mut s);

    // lpac: no Le, so 6106 first; the GET RESPONSE must still find the response.
    send(&mut s, &lifecycle_with_refresh("BF31", None));
    assert_eq!(recv(&mut s), [0x61, 0x06]);
    send(&mut s, &hex("81C0000006"));
    assert_eq!(recv(&mut s), hex("BF3103800100 9000"), "enable ok(0), delivered before the refresh");
    // Then the refresh: the card was reset, channel 1 is closed.
    send(&mut s, &hex("81E2910003BF2D00"));
    assert_eq!(recv(&mut s), [0x68, 0x81], "the refresh reset the card after the last byte");

    // Fetched in two pieces: the reset waits for the last one.
    open_isdr_on_channel_1(&mut s);
    send(&mut s, &lifecycle_with_refresh("BF32", None));
    assert_eq!(recv(&mut s), [0x61, 0x06]);
    send(&mut s, &hex("81C0000002"));
    assert_eq!(recv(&mut s), hex("BF32 6104"));
    send(&mut s, &hex("81C0000004"));
    assert_eq!(recv(&mut s), hex("03800100 9000"), "disable ok(0)");
    send(&mut s, &hex("81E2910003BF2D00"));
    assert_eq!(recv(&mut s), [0x68, 0x81]);

    // The LPA never fetches: the reset comes before its next command.
    open_isdr_on_channel_1(&mut s);
    send(&mut s, &lifecycle_with_refresh("BF31", None));
    assert_eq!(recv(&mut s), [0x61, 0x06]);
    send(&mut s, &hex("81E2910003BF2D00"));
    assert_eq!(recv(&mut s), [0x68, 0x81], "a command that is not GET RESPONSE gets the reset card");

    // With Le (pySim's framing) the whole response comes at once and the reset follows it.
    open_isdr_on_channel_1(&mut s);
    send(&mut s, &lifecycle_with_refresh("BF32", Some(0x00)));
    assert_eq!(recv(&mut s), hex("BF3203800100 9000"));
    send(&mut s, &hex("81C0000006"));
    assert_eq!(recv(&mut s), [0x68, 0x81]);

    // Without refreshFlag nothing resets: the next command on channel 1 is served.
    open_isdr_on_channel_1(&mut s);
    let iccid: String = ICCID.iter().map(|b| format!("{b:02X}")).collect();
    send(&mut s, &hex(&format!("81E2910014BF3111A00C5A0A{iccid}810100")));
    assert_eq!(recv(&mut s), [0x61, 0x06]);
    send(&mut s, &hex("81C0000006"));
    assert_eq!(recv(&mut s), hex("BF3103800100 9000"));
    send(&mut s, &hex("81E2910003BF2E00"));
    assert_eq!(recv(&mut s), [0x61, 0x15], "GetEUICCChallenge on the same channel: no reset happened");

    stop.store(true, Ordering::Relaxed);
    drop(s);
    let card = server.join().unwrap();
    assert_eq!(card.0.state().profiles[0].state, ProfileState::Enabled);
}

#[test]
fn a_flood_of_empty_messages_is_logged_once() {
    let (mut s, stop, logs, server) = serve_on_loopback(TestCard::new(1));
    let flood: Vec<u8> = [0u8, 0].repeat(10_000);
    s.write_all(&flood).unwrap();
    send(&mut s, &[0x04]);
    assert_eq!(recv(&mut s), ATR, "still in step after 10 000 empty messages");
    send(&mut s, &[]);
    send(&mut s, &[0x04]);
    assert_eq!(recv(&mut s), ATR);
    stop.store(true, Ordering::Relaxed);
    drop(s);
    server.join().unwrap();
    let logs = logs.lock().unwrap();
    let first: Vec<_> = logs.iter().take(4).collect();
    assert_eq!(logs.iter().filter(|l| l.contains("empty message")).count(), 1, "{} lines: {first:?}…", logs.len());
}

/// One slot per eSIM port of a MEP-A1 card (`veuicc serve --port-slots`): each slot's
/// terminal reads its own port's SIM; a slot's reset is its port's alone; an LPA on port 0
/// enabling a profile on port 2 with refresh resets port 2, not port 1.
#[test]
fn one_reader_slot_per_esim_port() {
    use std::sync::Mutex;
    use veuicc::card::MEP_ATR;
    use veuicc::config::{Mep, MepMode, Sgp22Version};
    use veuicc::testkit::saip::{TestProfile, encode_imsi};
    let imsis = ["001010000000001", "001010000000002", "001010000000003"];
    let iccids = ["98001032547698103214", "98001032547698103225", "98001032547698103236"];
    let packages: Vec<Vec<u8>> = iccids
        .iter()
        .zip(imsis)
        .map(|(iccid, imsi)| {
            let mut p = TestProfile::new(hex(iccid).try_into().unwrap());
            p.imsi = imsi.into();
            p.to_der()
        })
        .collect();
    let mut storage = veuicc::store::MemStorage::new();
    veuicc::testkit::install_profiles_on(&mut storage, &packages, &[Some(1), Some(2), None]).unwrap();
    let mut config = veuicc::testkit::default_config();
    config.sgp22 = Sgp22Version::V3_0;
    config.mep = Some(Mep { mode: MepMode::A1, ports: 2 });
    let card = Arc::new(Mutex::new(TestCard::with_config(config, storage, 1).0));

    let stop = Arc::new(AtomicBool::new(false));
    let mut streams = Vec::new();
    let mut servers = Vec::new();
    for port in 0..3u8 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let (flag, card) = (stop.clone(), card.clone());
        servers.push(std::thread::spawn(move || {
            let mut slot = vpcd::PortSlot::new(card, port);
            vpcd::serve(&mut slot, &addr, &flag, &mut None, &mut |_| {});
        }));
        let (s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        streams.push(s);
    }
    fn ex(streams: &mut [TcpStream], slot: usize, c: &str) -> Vec<u8> {
        send(&mut streams[slot], &hex(c));
        recv(&mut streams[slot])
    }
    fn read_imsi(streams: &mut [TcpStream], slot: usize) -> Vec<u8> {
        assert_eq!(ex(streams, slot, "00A4040C07A0000000871002"), [0x90, 0x00]);
        assert_eq!(ex(streams, slot, "002000010830303030FFFFFFFF"), [0x90, 0x00]);
        assert_eq!(ex(streams, slot, "00A4000C026F07"), [0x90, 0x00]);
        ex(streams, slot, "00B0000009")
    }
    for s in &mut streams {
        send(s, &[0x01]);
        send(s, &[0x04]);
        assert_eq!(recv(s), MEP_ATR);
    }
    assert_eq!(read_imsi(&mut streams, 1), [encode_imsi(imsis[0]), vec![0x90, 0x00]].concat());
    assert_eq!(read_imsi(&mut streams, 2), [encode_imsi(imsis[1]), vec![0x90, 0x00]].concat());
    assert_eq!(ex(&mut streams, 0, "00A4000C023F00"), [0x6A, 0x82], "port 0 is the ISD-R's: no SIM");
    // A reset of slot 2 is port 2's alone: slot 1 keeps EF.IMSI selected.
    send(&mut streams[2], &[0x02]);
    assert_eq!(ex(&mut streams, 2, "00B0000009"), [0x69, 0x86], "port 2 starts at the MF");
    assert_eq!(ex(&mut streams, 1, "00B0000009"), [encode_imsi(imsis[0]), vec![0x90, 0x00]].concat());
    // The LPA on slot 0 enables the third profile on port 2 with refresh (lpac's framing:
    // no Le, 61xx, GET RESPONSE).
    assert_eq!(ex(&mut streams, 2, "00A4040C07A0000000871002"), [0x90, 0x00]);
    assert_eq!(ex(&mut streams, 2, "00A4000C026F07"), [0x90, 0x00]);
    assert_eq!(ex(&mut streams, 0, "0070000001"), [0x01, 0x90, 0x00]);
    assert_eq!(ex(&mut streams, 0, "01A4040C10A0000005591010FFFFFFFF8900000100"), [0x90, 0x00]);
    let enable = format!("81E2910017BF3114A00C5A0A{}8101FF820102", iccids[2]);
    assert_eq!(ex(&mut streams, 0, &enable), [0x61, 0x09]);
    // Port 2 was reset once the command was answered (its EF selection is gone); port 1 not.
    assert_eq!(ex(&mut streams, 2, "00B0000009"), [0x69, 0x86]);
    assert_eq!(ex(&mut streams, 1, "00B0000009"), [encode_imsi(imsis[0]), vec![0x90, 0x00]].concat());
    assert_eq!(ex(&mut streams, 0, "81C0000009"), hex("BF31068001008101029000"));
    assert_eq!(read_imsi(&mut streams, 2), [encode_imsi(imsis[2]), vec![0x90, 0x00]].concat());
    stop.store(true, Ordering::Relaxed);
    drop(streams);
    for s in servers {
        s.join().unwrap();
    }
}
