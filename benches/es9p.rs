//! ES9+ server side: the cost of one download at the SM-DP+ (initiateAuthentication,
//! authenticateClient, getBoundProfilePackage, handleNotification with the PIR — JSON, base64,
//! DER, session table, event log off) against the server's own crypto floor, in one run.
//!
//! Run: `cargo bench --bench es9p`. Each iteration drives a whole download with a `TestCard`,
//! but only the time inside `Es9Server::handle` is counted (`iter_custom`).
//!
//! The floor is what the server cannot avoid: 3 ECDSA signatures (serverSignature1,
//! smdpSignature2, smdpSign), 5 verifications (CERT.EUM, CERT.EUICC, euiccSignature1,
//! euiccSignature2, the PIR), 1 key generation, 1 ECDH, the KDF, and AES-CBC + CMAC over the
//! package (8 KB, in 1007-byte segments) and the metadata. Goal: download ≤ 1.3 × floor.
//! At the end the bench prints both, their ratio, and what that means in downloads per
//! second on 2 cores (2 / server time: the server's work is per-request and parallel).
//!
//! Then it measures that figure: two threads replay recorded downloads (every request of a whole
//! download and its PIR, as `one` makes them, recorded first against a server with a fixed seed)
//! against a fresh server with the same seed, so they get the same answers and only the server's
//! work is on the clock; one server per thread, because with a shared one the two threads would
//! draw the shared seed in an order of their own and the recorded signatures would not verify.
//! Next to it, measured the same way, two threads running the floor, and the ratio. Last, the
//! end-to-end figure: two threads running `one` (cards included) against one shared `Es9Server`
//! (it is `Sync`: its tables are behind mutexes).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss
)]

use criterion::{Criterion, criterion_group, criterion_main};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::Generate;
use std::hint::black_box;
use std::time::{Duration, Instant};
use veuicc::scp03t::{Bsp, SessionKeys};
use veuicc::testkit::es9_lpa::{Es9Transport, Order, download, pending_notifications};
use veuicc::testkit::es9p::{Catalogue, DEFAULT_MATCHING_ID, Es9Server, PATH_PREFIX};
use veuicc::testkit::pki::default_pki;
use veuicc::testkit::smdp::SmdpKeys;
use veuicc::testkit::{DetRng, Es10Client, TestCard};

/// Calls the server in process, adds up the time spent in it and records each request.
struct Timed<'a> {
    server: &'a Es9Server,
    spent: Duration,
    requests: Vec<(String, Vec<u8>)>,
}

impl Es9Transport for Timed<'_> {
    fn post(&mut self, _address: &str, function: &str, body: &[u8]) -> Result<(u16, Vec<u8>), String> {
        let path = format!("{PATH_PREFIX}{function}");
        let t = Instant::now();
        let a = self.server.handle(&path, body);
        self.spent += t.elapsed();
        self.requests.push((path, body.to_vec()));
        Ok((a.status, a.body))
    }
}

/// One download and its PIR; returns the server's time.
fn one(server: &Es9Server, seed: u64) -> Duration {
    one_recorded(server, seed).0
}

/// One download and its PIR; returns the server's time and the requests made.
fn one_recorded(server: &Es9Server, seed: u64) -> (Duration, Vec<(String, Vec<u8>)>) {
    let mut card = TestCard::new(seed);
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let mut timed = Timed { server, spent: Duration::ZERO, requests: Vec::new() };
    let order = Order { address: "smdp.veuicc.test", matching_id: Some(DEFAULT_MATCHING_ID), confirmation_code: None };
    download(&mut lpa, &mut timed, &order).unwrap();
    let pir = pending_notifications(&mut lpa).unwrap().remove(0);
    let body = serde_json::to_vec(&serde_json::json!({
        "pendingNotification": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &pir.der)
    }))
    .unwrap();
    let (status, _) = timed.post("", "handleNotification", &body).unwrap();
    assert_eq!(status, 204);
    (timed.spent, timed.requests)
}

/// The requests of `n` whole downloads made against a server seeded `seed`.
fn record(seed: u64, n: u64) -> Vec<(String, Vec<u8>)> {
    let server = server_seeded(seed);
    (0..n).flat_map(|i| one_recorded(&server, seed * 1_000_000 + i).1).collect()
}

/// Replays recorded requests against a server seeded as the recording one was; every answer
/// must be a success (the same answers the cards got).
fn replay(server: &Es9Server, requests: &[(String, Vec<u8>)]) {
    for (path, body) in requests {
        let a = server.handle(path, body);
        assert!(a.status == 200 || a.status == 204, "{path}: {}", a.status);
        assert_eq!(a.error_codes(), None, "{path}: {}", String::from_utf8_lossy(&a.body));
    }
}

/// Runs `work(0)` and `work(1)` on two threads at once; returns the wall-clock time.
fn two_threads(work: impl Fn(usize) + Sync) -> Duration {
    let t = Instant::now();
    std::thread::scope(|s| {
        for i in 0..2 {
            let work = &work;
            s.spawn(move || work(i));
        }
    });
    t.elapsed()
}

const _: fn() = || {
    fn sync<T: Sync>() {}
    sync::<Es9Server>();
};

struct Floor {
    key: SigningKey,
    rng: DetRng,
    upp: Vec<u8>,
    keys: SessionKeys,
}

impl Floor {
    fn run(&mut self) {
        let msg = [0x5Au8; 200];
        let sig: Signature = self.key.sign(&msg);
        for _ in 0..5 {
            self.key.verifying_key().verify(black_box(&msg), &sig).unwrap();
        }
        for _ in 0..2 {
            let _: Signature = self.key.sign(black_box(&msg));
        }
        let ot = p256::SecretKey::generate_from_rng(&mut self.rng);
        let shared = ot.diffie_hellman(&self.key.verifying_key().into());
        let _ = SessionKeys::derive(
            &veuicc::crypto::RUST_CRYPTO,
            shared.raw_secret_bytes().as_slice(),
            0x88,
            0x10,
            b"veuicc-smdp",
            &[0x89; 16],
        );
        let mut tx = Bsp::new(&veuicc::crypto::RUST_CRYPTO, &self.keys);
        black_box(tx.wrap(0x87, &[0u8; 20], true).unwrap());
        black_box(tx.wrap(0x88, &[0u8; 150], false).unwrap());
        for c in self.upp.chunks(1007) {
            black_box(tx.wrap(0x86, c, true).unwrap());
        }
    }
}

fn server() -> Es9Server {
    server_seeded(1)
}

fn server_seeded(seed: u64) -> Es9Server {
    Es9Server::new(SmdpKeys::from_pki(default_pki()), Some("smdp.veuicc.test"), Catalogue::default_test())
        .with_seed(seed)
}

fn floor() -> Floor {
    Floor {
        key: SigningKey::generate_from_rng(&mut DetRng::new(3)),
        rng: DetRng::new(4),
        upp: Catalogue::default_test().entries[0].profile.upp.clone(),
        keys: SessionKeys::new([1; 16], [2; 16], [3; 16]),
    }
}

fn bench(c: &mut Criterion) {
    let server = server();
    let mut g = c.benchmark_group("es9p download (server side)");
    g.sample_size(20);
    let mut seed = 0u64;
    g.bench_function("server", |b| {
        b.iter_custom(|n| {
            (0..n)
                .map(|_| {
                    seed += 1;
                    one(&server, seed)
                })
                .sum()
        })
    });
    let mut f = floor();
    g.bench_function("crypto floor", |b| b.iter(|| f.run()));
    g.finish();

    // The ratio in one run, interleaved so that other load on the machine hits both alike.
    let n = 100;
    let (mut server_t, mut floor_t) = (Duration::ZERO, Duration::ZERO);
    for i in 0..n {
        server_t += one(&server, 10_000 + i);
        let t = Instant::now();
        f.run();
        floor_t += t.elapsed();
    }
    let server_ms = server_t.as_secs_f64() * 1000.0 / n as f64;
    let floor_ms = floor_t.as_secs_f64() * 1000.0 / n as f64;
    eprintln!(
        "es9p: server {server_ms:.2} ms per download, crypto floor {floor_ms:.2} ms, ratio {:.2}; \
         ≈ {:.0} downloads/s on 2 cores (floor: {:.0})",
        server_ms / floor_ms,
        2000.0 / server_ms,
        2000.0 / floor_ms
    );

    // Measured on two threads: recorded downloads replayed (the server's work only), one server
    // per thread; the floor run the same way.
    let per_thread = 100u64;
    let recorded: Vec<_> = (0..2).map(|i| record(200 + i, per_thread)).collect();
    let servers: Vec<_> = (0..2).map(|i| server_seeded(200 + i as u64)).collect();
    let server_wall = two_threads(|i| replay(&servers[i], &recorded[i]));
    let floor_wall = two_threads(|_| {
        let mut f = floor();
        for _ in 0..per_thread {
            f.run();
        }
    });
    let total = (2 * per_thread) as f64;
    let (server_rate, floor_rate) = (total / server_wall.as_secs_f64(), total / floor_wall.as_secs_f64());
    eprintln!(
        "es9p: measured on 2 threads, {total} downloads: server {server_rate:.0} downloads/s, crypto floor \
         {floor_rate:.0}/s, ratio {:.2} (floor rate / server rate)",
        floor_rate / server_rate
    );

    // End to end: two threads, one shared server, each running whole downloads with its card.
    let shared = server_seeded(300);
    let in_server = std::sync::Mutex::new(Duration::ZERO);
    let e2e_wall = two_threads(|i| {
        let spent: Duration = (0..per_thread).map(|k| one(&shared, 20_000 + i as u64 * per_thread + k)).sum();
        *in_server.lock().unwrap() += spent;
    });
    let in_server_ms = in_server.into_inner().unwrap().as_secs_f64() * 1000.0 / total;
    eprintln!(
        "es9p: end to end on 2 threads (cards included), shared server: {:.0} downloads/s; \
         {in_server_ms:.2} ms of each in the server",
        total / e2e_wall.as_secs_f64()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
