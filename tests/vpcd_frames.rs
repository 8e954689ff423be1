//! The vpcd protocol against a fake vpcd on loopback: control messages, APDUs, an
//! empty message, a connection dropped mid-message, reconnection with state kept.
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
