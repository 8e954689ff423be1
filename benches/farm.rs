//! Card farms: the memory an idle card costs in one process, and how long making one takes,
//! against a baseline measured in the same run.
//!
//! Run: `cargo bench --bench farm`. An idle card is a powered `Card` with its identity (the
//! test identity, shared: a farm's cards share their CI and EUM, and a per-EID identity adds
//! its own certificate, about 0.6 KiB), SK.EUICC prepared by the provider, empty in-memory
//! storage, the ISD-R, ECASD and SIM applications and a basic channel per interface — what
//! `veuicc serve --cards N` holds per card before its first APDU. The figure is the process's
//! resident set growth over 10,000 such cards, divided by 10,000 (Linux `/proc/self/statm`),
//! next to the same for 10,000 empty `Vec<u8>`s of 1 KiB (the allocator's baseline).
//! Goal (issue "card farms"): ≤ 32 KiB per idle card.
//!
//! `scaling`: installs of a 12 KB package (a recorded download replayed into fresh cards, the
//! card side only) on one thread against the same number split over two threads, each with
//! cards of its own; the printed figure is the 2-thread throughput over the 1-thread one.
//! Goal: ≥ 1.8 on 2 cores. Beside it, the machine's own scaling on the same two threads (ECDSA
//! signatures: no allocation, no shared state) and the install's scaling as a share of it, so a
//! figure below the goal says whether the card or the machine (shared cores, a busy host) held it.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::cast_precision_loss
)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};
use veuicc::platform::Parts;
use veuicc::store::MemStorage;
use veuicc::testkit::lpa::download;
use veuicc::testkit::pki::default_pki;
use veuicc::testkit::smdp::{ProfileToInstall, TestSmdp};
use veuicc::testkit::{
    DetRng, Es10Client, ManualClock, TestCard, TestPlatform, Transport, default_config, pki::default_identity,
};

/// Records the C-APDUs of one download into a seeded card (replayable: RustCrypto signs per RFC 6979).
struct Recorder<'a> {
    card: &'a mut TestCard,
    apdus: Vec<Vec<u8>>,
}

impl Transport for Recorder<'_> {
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.apdus.push(apdu.to_vec());
        self.card.transmit(apdu)
    }
}

fn recorded_download() -> Vec<Vec<u8>> {
    let mut card = TestCard::new(1);
    let mut rec = Recorder { card: &mut card, apdus: Vec::new() };
    let mut lpa = Es10Client::open(&mut rec).unwrap();
    let profile = ProfileToInstall::sample([0x98, 0, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14], 12 * 1024);
    download(&mut lpa, &mut TestSmdp::new(default_pki(), "smdp.example.com", 2), &profile).unwrap();
    lpa.close().unwrap();
    rec.apdus
}

/// `n` installs, each into a fresh card.
fn installs(apdus: &[Vec<u8>], n: u64) {
    let mut out = Vec::with_capacity(300);
    for _ in 0..n {
        let mut card = TestCard::new(1);
        for apdu in apdus {
            card.0.transmit_into(apdu, &mut out);
        }
        assert_eq!(card.0.state().profiles.len(), 1);
    }
}

const CARDS: usize = 10_000;

/// Resident set size in bytes (Linux).
fn rss() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn idle_card(seed: u64) -> veuicc::Card<TestPlatform> {
    let platform = Parts { storage: MemStorage::new(), rng: DetRng::new(seed), clock: ManualClock::default() };
    veuicc::Card::with_identity(default_config(), default_identity(), platform).unwrap()
}

fn per_item<T>(make: impl Fn(u64) -> T) -> Option<(f64, Vec<T>)> {
    let before = rss()?;
    let items: Vec<T> = (0..CARDS as u64).map(make).collect();
    let after = rss()?;
    Some((after.saturating_sub(before) as f64 / CARDS as f64, items))
}

fn bench(c: &mut Criterion) {
    // Warm the shared identity and the allocator first.
    drop(idle_card(0));
    if let (Some((card, cards)), Some((kib, vecs))) = (per_item(idle_card), per_item(|_| vec![0u8; 1024])) {
        println!(
            "farm: {CARDS} idle cards in one process: {:.1} KiB each (goal ≤ 32 KiB: {}); baseline: a 1 KiB Vec costs {:.2} KiB",
            card / 1024.0,
            if card <= 32.0 * 1024.0 { "met" } else { "ABOVE GOAL" },
            kib / 1024.0
        );
        black_box((cards, vecs));
    } else {
        println!("farm: /proc/self/statm not readable here: no memory figure");
    }
    let mut g = c.benchmark_group("farm");
    g.bench_function("make an idle card", |b| b.iter(|| black_box(idle_card(1))));
    g.bench_function("baseline: one ECDSA signature (SK.EUICC prepared per card)", |b| {
        let id = default_identity();
        let signer = id.signer_for(&veuicc::crypto::RUST_CRYPTO).unwrap();
        b.iter(|| black_box(signer.sign(black_box(b"veuicc"))))
    });
    g.finish();

    let apdus = std::sync::Arc::new(recorded_download());
    let mut g = c.benchmark_group("scaling");
    g.sample_size(10);
    let one = |iters: u64| {
        let t = Instant::now();
        installs(&apdus, 2 * iters);
        t.elapsed()
    };
    let two = |iters: u64| {
        let t = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| installs(&apdus, iters));
            }
        });
        t.elapsed()
    };
    g.bench_function("2 installs of 12 KB, one thread", |b| b.iter_custom(one));
    g.bench_function("2 installs of 12 KB, two threads", |b| b.iter_custom(two));
    g.finish();
    // The machine's own scaling, as the baseline: ECDSA signatures (no allocation, no shared
    // state) on one thread against the same number split over two.
    let id = default_identity();
    let signer = id.signer_for(&veuicc::crypto::RUST_CRYPTO).unwrap();
    let signs = |n: u64| {
        for _ in 0..n {
            black_box(signer.sign(black_box(b"veuicc")));
        }
    };
    let sign_one = |n: u64| {
        let t = Instant::now();
        signs(2 * n);
        t.elapsed()
    };
    let sign_two = |n: u64| {
        let t = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| signs(n));
            }
        });
        t.elapsed()
    };
    // The ratios, interleaved so that other load hits all four alike.
    let (mut t1, mut t2, mut s1, mut s2) = (Duration::ZERO, Duration::ZERO, Duration::ZERO, Duration::ZERO);
    for _ in 0..5 {
        t1 += one(20);
        t2 += two(20);
        s1 += sign_one(400);
        s2 += sign_two(400);
    }
    let install = t1.as_secs_f64() / t2.as_secs_f64();
    let machine = s1.as_secs_f64() / s2.as_secs_f64();
    println!(
        "farm: install throughput on 2 threads / 1 thread: {install:.2} (goal ≥ 1.8 on 2 cores; {} cores here); \
         the machine's own (ECDSA signatures, 2 threads / 1): {machine:.2}; install scaling / machine scaling: {:.2}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        install / machine
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
