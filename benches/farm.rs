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
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::cast_precision_loss
)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use veuicc::platform::Parts;
use veuicc::store::MemStorage;
use veuicc::testkit::{DetRng, ManualClock, TestPlatform, default_config, pki::default_identity};

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
}

criterion_group!(benches, bench);
criterion_main!(benches);
