//! Profile install, card side only, against the crypto floor measured in the same run, on
//! each crypto provider the build has.
//!
//! Run: `cargo bench --bench install` (RustCrypto), `cargo bench --features aws-lc --bench
//! install` (RustCrypto and aws-lc, and the ratios between them). Each iteration is a whole
//! download into a fresh card, and only the card's `transmit` calls are timed: the SM-DP+'s
//! and the LPA's work is not. (A recorded download cannot be replayed into a card on aws-lc:
//! smdpSignature2 covers euiccSignature1, and AWS-LC's ECDSA nonces are random, so the card's
//! euiccSignature1 differs from the recorded one every time.) "install storage" replays a
//! recorded download into a RustCrypto card, in memory and in a state directory.
//!
//! The floor is what the card cannot avoid, through the same provider: 5 ECDSA verifications
//! (CERT.DPauth, serverSignature1, CERT.DPpb, smdpSignature2, smdpSign), 3 signatures
//! (euiccSignature1, euiccSignature2, the PIR), 1 key generation, 1 ECDH, the KDF, and
//! AES-CBC and CMAC over every segment of the package. At the end the run prints, per size and provider,
//! install / floor and aws-lc install / RustCrypto install (medians of criterion's samples).
//! Goals: install ≤ 1.10 × floor on RustCrypto; on aws-lc 12 KB ≤ 1.2 × floor and ≤ 0.35 ×
//! RustCrypto's install, 256 KB ≤ 1.3 × floor; cost linear in size. "floor parts" times each
//! kind of floor operation alone on each provider.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss
)]

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};
use veuicc::Card;
use veuicc::crypto::CryptoProvider;
use veuicc::platform::{Parts, WithCrypto};
use veuicc::scp03t::{Bsp, SessionKeys};
use veuicc::store::MemStorage;
use veuicc::testkit::lpa::download;
use veuicc::testkit::pki::{default_identity, default_pki};
use veuicc::testkit::smdp::{ProfileToInstall, TestSmdp};
use veuicc::testkit::{DetRng, Es10Client, ManualClock, TestCard, Transport, default_config};

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

/// The C-APDUs of one complete download of a `size`-byte package, and its segments' plaintexts.
fn record(size: usize) -> (Vec<Vec<u8>>, ProfileToInstall) {
    let mut card = TestCard::new(1);
    let profile = ProfileToInstall::sample([0x98, 0, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14], size);
    let mut rec = Recorder { card: &mut card, apdus: Vec::new() };
    let mut lpa = Es10Client::open(&mut rec).unwrap();
    download(&mut lpa, &mut TestSmdp::new(default_pki(), "smdp.example.com", 2), &profile).unwrap();
    lpa.close().unwrap();
    (rec.apdus, profile)
}

type BenchCard = Card<WithCrypto<Parts<MemStorage, DetRng, ManualClock>>>;

/// The recording card (`TestCard::new(1)`) on `crypto`: same identity, same RNG seed.
fn card_on(crypto: &'static dyn CryptoProvider) -> BenchCard {
    let platform = WithCrypto {
        inner: Parts { storage: MemStorage::new(), rng: DetRng::new(1), clock: ManualClock::default() },
        crypto,
    };
    Card::with_identity(default_config(), default_identity(), platform).unwrap()
}

/// A card whose `transmit` time is summed: the card's side of a live download.
struct Timed<'a, P: veuicc::platform::Platform> {
    card: &'a mut Card<P>,
    spent: Duration,
}

impl<P: veuicc::platform::Platform> Transport for Timed<'_, P> {
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        let t = Instant::now();
        let r = self.card.transmit(apdu);
        self.spent += t.elapsed();
        r
    }
}

/// One download of `profile` into a fresh card on `crypto`; the card's time only.
fn live_install(crypto: &'static dyn CryptoProvider, profile: &ProfileToInstall) -> Duration {
    let mut card = card_on(crypto);
    let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 2);
    let mut timed = Timed { card: &mut card, spent: Duration::ZERO };
    let mut lpa = Es10Client::open(&mut timed).unwrap();
    download(&mut lpa, &mut smdp, profile).unwrap();
    lpa.close().unwrap();
    let spent = timed.spent;
    assert_eq!(card.state().profiles.len(), 1);
    spent
}

/// Runs the recorded APDUs on a card that is already powered (its making, with SK.EUICC
/// prepared by the provider, is power-up work and happens untimed).
fn install<P: veuicc::platform::Platform>(mut card: Card<P>, apdus: &[Vec<u8>]) -> usize {
    let mut out = Vec::with_capacity(300);
    for apdu in apdus {
        card.transmit_into(apdu, &mut out);
    }
    assert_eq!(card.state().profiles.len(), 1);
    out.len()
}

/// The floor on `crypto`: the card's unavoidable operations, nothing else.
struct Floor {
    crypto: &'static dyn CryptoProvider,
    signer: Box<dyn veuicc::crypto::EcdsaSigner>,
    rng: DetRng,
    keys: SessionKeys,
}

impl Floor {
    fn new(crypto: &'static dyn CryptoProvider) -> Floor {
        let mut rng = DetRng::new(3);
        let (sk, _) = keypair(crypto, &mut rng);
        let signer = crypto.signing_key(&sk).unwrap();
        Floor { crypto, signer, rng: DetRng::new(4), keys: SessionKeys::new([1; 16], [2; 16], [3; 16]) }
    }

    fn run(&mut self, segments: &[Vec<u8>]) {
        let c = self.crypto;
        let msg = [0x5Au8; 200];
        let public = self.signer.public_key();
        // Three signatures in all: the one made here for the verifications, and two more.
        let sig = self.signer.sign(&msg);
        for _ in 0..5 {
            assert!(c.verify(black_box(&public), black_box(&msg), &sig));
        }
        for _ in 0..2 {
            black_box(self.signer.sign(black_box(&msg)));
        }
        let (ot, _) = keypair(c, &mut self.rng);
        let shared = c.ecdh(&ot, &public).unwrap();
        let _ = SessionKeys::derive(c, shared.expose(), 0x88, 0x10, b"host", &[0x89; 16]);
        let mut rx = Bsp::new(c, &self.keys);
        for seg in segments {
            black_box(rx.unwrap(seg, 0x86, true).unwrap());
        }
    }
}

/// A key pair from the RNG, drawn as the card draws its one-time key.
fn keypair(crypto: &dyn CryptoProvider, rng: &mut DetRng) -> (veuicc::crypto::SecretScalar, veuicc::crypto::PublicKey) {
    loop {
        let mut random = [0u8; 32];
        rand_core::Rng::fill_bytes(rng, &mut random);
        if let Some(pair) = crypto.keypair_from_random(&random) {
            return pair;
        }
    }
}

/// `b.iter_custom` that also keeps each sample's time per iteration.
fn timed(log: &mut Vec<f64>, iters: u64, mut one: impl FnMut() -> Duration) -> Duration {
    let total: Duration = (0..iters).map(|_| one()).sum();
    log.push(total.as_nanos() as f64 / iters.max(1) as f64);
    total
}

/// (fastest, median) of the samples' ns per iteration. The fastest sample is the one least
/// disturbed by other load on the machine; the ratios use it.
fn stats(v: &[f64]) -> (f64, f64) {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    (v.first().copied().unwrap_or(f64::NAN), v.get(v.len() / 2).copied().unwrap_or(f64::NAN))
}

/// (fastest, median) ns per iteration, by (size, provider, what).
type Results = Vec<(usize, &'static str, &'static str, (f64, f64))>;

fn bench(c: &mut Criterion) {
    let mut results: Results = Vec::new();
    let mut g = c.benchmark_group("install");
    g.sample_size(30);
    for size in [12 * 1024, 64 * 1024, 256 * 1024] {
        let profile = ProfileToInstall::sample([0x98, 0, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14], size);
        g.throughput(Throughput::Bytes(size as u64));
        // The floor's AES part: card-side unwrap only (segments prepared once per size).
        let keys = SessionKeys::new([1; 16], [2; 16], [3; 16]);
        let mut tx = Bsp::new(&veuicc::crypto::RUST_CRYPTO, &keys);
        let segments: Vec<Vec<u8>> = profile.upp.chunks(1007).map(|c| tx.wrap(0x86, c, true).unwrap()).collect();
        for crypto in veuicc::crypto::providers() {
            let name = crypto.name();
            let mut log = Vec::new();
            g.bench_with_input(BenchmarkId::new(format!("card install/{name}"), size), &profile, |b, profile| {
                b.iter_custom(|iters| timed(&mut log, iters, || live_install(*crypto, profile)))
            });
            results.push((size, name, "install", stats(&log)));
            let mut log = Vec::new();
            let mut floor = Floor::new(*crypto);
            g.bench_with_input(BenchmarkId::new(format!("crypto floor/{name}"), size), &segments, |b, segments| {
                b.iter_custom(|iters| {
                    timed(&mut log, iters, || {
                        let t = Instant::now();
                        floor.run(segments);
                        t.elapsed()
                    })
                })
            });
            results.push((size, name, "floor", stats(&log)));
        }
        // The install-time check of the whole package (saip::decode_for), part of "card install".
        let mut log = Vec::new();
        g.bench_with_input(BenchmarkId::new("package decode", size), &profile.upp, |b, upp| {
            b.iter_custom(|iters| {
                timed(&mut log, iters, || {
                    let t = Instant::now();
                    black_box(veuicc::saip::decode_for(black_box(upp), veuicc::saip::Services(u32::MAX)).unwrap());
                    t.elapsed()
                })
            })
        });
        results.push((size, "-", "decode", stats(&log)));
    }
    g.finish();
    report(&results);
    floor_parts(c);

    // The same 12 KB install with the state in a directory (fsync on) and in memory.
    let (apdus, _) = record(12 * 1024);
    let mut g = c.benchmark_group("install storage");
    g.sample_size(20);
    g.bench_function("in memory", |b| {
        b.iter_batched(|| TestCard::new(1).0, |card| install(card, &apdus), BatchSize::SmallInput)
    });
    let root = std::env::temp_dir().join(format!("veuicc-bench-install-{}", std::process::id()));
    let mut n = 0u32;
    g.bench_function("state directory (fsync)", |b| {
        b.iter_batched(
            || {
                n += 1;
                let dir = root.join(n.to_string());
                let storage = veuicc::host::fs_storage::DirStorage::open(&dir).unwrap();
                let config = default_config();
                let platform = Parts { storage, rng: DetRng::new(1), clock: ManualClock::default() };
                Card::with_identity(config, default_identity(), platform).unwrap()
            },
            |mut card| {
                let mut out = Vec::new();
                for apdu in &apdus {
                    card.transmit_into(apdu, &mut out);
                }
                assert_eq!(card.state().profiles.len(), 1);
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&root);
}

/// The ratio table: install / floor per provider, aws-lc install / RustCrypto install, the goals.
fn report(results: &Results) {
    let get =
        |size: usize, p: &str, what: &str| results.iter().find(|r| r.0 == size && r.1 == p && r.2 == what).map(|r| r.3);
    println!("\ninstall ratios: fastest sample (median in brackets), ms per install");
    println!(
        "{:>7}  {:<10} {:>16} {:>16} {:>16} {:>16}",
        "size", "provider", "install", "floor", "install/floor", "vs rustcrypto"
    );
    let mut sizes: Vec<usize> = results.iter().map(|r| r.0).collect();
    sizes.dedup();
    for size in sizes {
        let rc = get(size, "rustcrypto", "install");
        for p in veuicc::crypto::providers() {
            let name = p.name();
            let (Some(inst), Some(floor)) = (get(size, name, "install"), get(size, name, "floor")) else { continue };
            let ratio = (inst.0 / floor.0, inst.1 / floor.1);
            let vs = rc.map_or((f64::NAN, f64::NAN), |rc| (inst.0 / rc.0, inst.1 / rc.1));
            println!(
                "{:>6}K  {:<10} {:>7.3} [{:>6.3}] {:>7.3} [{:>6.3}] {:>6.2}× [{:>5.2}×] {:>6.2}× [{:>5.2}×]",
                size / 1024,
                name,
                inst.0 / 1e6,
                inst.1 / 1e6,
                floor.0 / 1e6,
                floor.1 / 1e6,
                ratio.0,
                ratio.1,
                vs.0,
                vs.1
            );
            let goals: &[(&str, f64, f64)] = match (name, size) {
                ("rustcrypto", _) => &[("install ≤ 1.10 × floor", ratio.0, 1.10)],
                ("aws-lc", 12288) => {
                    &[("install ≤ 1.2 × floor", ratio.0, 1.2), ("≤ 0.35 × rustcrypto install", vs.0, 0.35)]
                }
                ("aws-lc", 262_144) => &[("install ≤ 1.3 × floor", ratio.0, 1.3)],
                _ => &[],
            };
            for (what, got, goal) in goals {
                let verdict = if *got <= *goal { "met" } else { "MISSED" };
                println!("         goal {what}: {got:.2} → {verdict}");
            }
        }
        if let Some(d) = get(size, "-", "decode") {
            println!("{:>6}K  package decode {:.3} ms [{:.3}]", size / 1024, d.0 / 1e6, d.1 / 1e6);
        }
    }
}

type Op<'a> = Box<dyn FnMut() + 'a>;

/// The floor's parts, one operation each, on every provider, and their RustCrypto / aws-lc
/// speed-ups: where the floor's time goes (the install's own overhead is the difference
/// between "card install" and "crypto floor").
fn floor_parts(c: &mut Criterion) {
    let mut g = c.benchmark_group("floor parts");
    g.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(2));
    let mut parts: Vec<(&'static str, &'static str, f64)> = Vec::new();
    let keys = SessionKeys::new([1; 16], [2; 16], [3; 16]);
    let segment = Bsp::new(&veuicc::crypto::RUST_CRYPTO, &keys).wrap(0x86, &[0x42; 1007], true).unwrap();
    for crypto in veuicc::crypto::providers() {
        let (c, name) = (*crypto, crypto.name());
        let mut rng = DetRng::new(5);
        let (sk, pk) = keypair(c, &mut rng);
        let signer = c.signing_key(&sk).unwrap();
        let msg = [0x5Au8; 200];
        let sig = signer.sign(&msg);
        let mut ops: Vec<(&'static str, Op<'_>)> = vec![
            ("verify", Box::new(|| assert!(c.verify(black_box(&pk), &msg, &sig)))),
            (
                "sign",
                Box::new(|| {
                    black_box(signer.sign(black_box(&msg)));
                }),
            ),
            ("keypair", Box::new(|| drop(black_box(keypair(c, &mut rng))))),
            ("ecdh", Box::new(|| drop(black_box(c.ecdh(&sk, black_box(&pk)).unwrap())))),
            (
                "segment unwrap (1 KB)",
                Box::new(|| drop(black_box(Bsp::new(c, &keys).unwrap(black_box(&segment), 0x86, true).unwrap()))),
            ),
        ];
        for (op, f) in &mut ops {
            let mut log = Vec::new();
            g.bench_function(BenchmarkId::new(*op, name), |b| {
                b.iter_custom(|iters| {
                    timed(&mut log, iters, || {
                        let t = Instant::now();
                        f();
                        t.elapsed()
                    })
                })
            });
            parts.push((op, name, stats(&log).0));
        }
    }
    g.finish();
    println!("\nfloor parts: fastest sample, µs per operation");
    let ops: Vec<&str> = parts.iter().filter(|p| p.1 == "rustcrypto").map(|p| p.0).collect();
    for op in ops {
        let get = |p: &str| parts.iter().find(|x| x.0 == op && x.1 == p).map(|x| x.2 / 1e3);
        match (get("rustcrypto"), get("aws-lc")) {
            (Some(rc), Some(fast)) => {
                println!("  {op:<22} rustcrypto {rc:>8.2}  aws-lc {fast:>8.2}  ({:.2}×)", rc / fast)
            }
            (Some(rc), None) => println!("  {op:<22} rustcrypto {rc:>8.2}"),
            _ => {}
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
