//! GetEID round trip: in-process against the vpcd socket framing over loopback
//! (a fake vpcd in this process; no pcscd). Run: `cargo bench --bench transport`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::cast_possible_truncation
)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use veuicc::host::vpcd;
use veuicc::testkit::TestCard;

const SELECT: [u8; 21] = [
    0x00, 0xA4, 0x04, 0x0C, 0x10, 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00,
    0x01, 0x00,
];
const GET_EID: [u8; 12] = [0x80, 0xE2, 0x91, 0x00, 0x06, 0xBF, 0x3E, 0x03, 0x5C, 0x01, 0x5A, 0x00];

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("transport");
    let mut card = TestCard::new(1);
    card.transmit(&SELECT);
    let mut out = Vec::new();
    g.bench_function("GetEID in-process", |b| {
        b.iter(|| {
            card.0.transmit_into(&GET_EID, &mut out);
            assert_eq!(out[out.len() - 2..], [0x90, 0x00]);
        })
    });

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let server = std::thread::spawn(move || {
        let mut card = TestCard::new(1).0;
        vpcd::serve(&mut card, &addr, &flag, &mut None, &mut |_| {});
    });
    let (mut s, _) = listener.accept().unwrap();
    s.set_nodelay(true).unwrap();
    s.write_all(&[0x00, 0x01, 0x01]).unwrap(); // power on (vpcd expects no answer)
    let mut roundtrip = |apdu: &[u8], reply: &mut Vec<u8>| {
        let mut frame = (apdu.len() as u16).to_be_bytes().to_vec();
        frame.extend_from_slice(apdu);
        s.write_all(&frame).unwrap();
        let mut len = [0u8; 2];
        s.read_exact(&mut len).unwrap();
        reply.resize(usize::from(u16::from_be_bytes(len)), 0);
        s.read_exact(reply).unwrap();
    };
    let mut reply = Vec::new();
    roundtrip(&SELECT, &mut reply);
    g.bench_function("GetEID through vpcd framing (loopback)", |b| {
        b.iter(|| {
            roundtrip(&GET_EID, &mut reply);
            assert_eq!(reply[reply.len() - 2..], [0x90, 0x00]);
        })
    });
    g.finish();
    stop.store(true, Ordering::Relaxed);
    drop(s);
    let _ = server.join();
}

criterion_group!(benches, bench);
criterion_main!(benches);
