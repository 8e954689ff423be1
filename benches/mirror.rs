//! Mirror functions, card side, against the crypto they cannot avoid, measured in the same run
//! (RustCrypto).
//!
//! Run: `cargo bench --bench mirror`.
//!
//! * `issue` — IssueMirrorToken on the primary (STORE DATA in, signed token and code out, the
//!   record and the mirrorIssued notification committed; the LPA removes the notification
//!   after each call, untimed), against `sign (floor)`: one ECDSA P-256 signature. Goal ≤ 1.2 ×.
//! * `pairing` — IssueMirrorToken → BeginMirror → ExportMirror → the mirror package through
//!   LoadBoundProfilePackage → ConfirmMirror between two cards (`testkit::mirror::pair`, both
//!   cards' work and the LPA's relaying), against `pairing floor`: the crypto of those steps —
//!   4 signatures (token, MirrorRequest, InitialiseSecureChannel, PIR), 8 verifications (each
//!   card checks the other's CERT.EUM and CERT.EUICC and its signed message; the secondary the
//!   InitialiseSecureChannel, the primary the PIR), 2 one-time key pairs, 2 ECDH with the KDF,
//!   and SCP03t wrap and unwrap of every segment of the package. Goal ≤ 1.3 ×.
//!
//! The report prints each ratio from the fastest samples (the ones least disturbed by other
//! load on the machine).
#![allow(
    missing_docs,
    dead_code,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss
)]

#[path = "../tests/support/mirror.rs"]
mod cards;

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};
use veuicc::crypto::{CryptoProvider, RUST_CRYPTO};
use veuicc::platform::{Parts, UnixTime};
use veuicc::scp03t::{Bsp, SessionKeys};
use veuicc::testkit::{DetRng, Es10Client, ManualClock, TestCard, default_config};

const UNLIMITED: &str = "max=unlimited,services=voice+sms+data,validity=24h,reauth=90d";

fn timed(log: &mut Vec<f64>, iters: u64, mut one: impl FnMut() -> Duration) -> Duration {
    let total: Duration = (0..iters).map(|_| one()).sum();
    log.push(total.as_nanos() as f64 / iters.max(1) as f64);
    total
}

fn fastest(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn keypair(crypto: &dyn CryptoProvider, rng: &mut DetRng) -> (veuicc::crypto::SecretScalar, veuicc::crypto::PublicKey) {
    loop {
        let mut random = [0u8; 32];
        rand_core::Rng::fill_bytes(rng, &mut random);
        if let Some(pair) = crypto.keypair_from_random(&random) {
            return pair;
        }
    }
}

/// A card on a copy of `storage`, with the default identity or `identity`.
fn card_from(
    storage: &veuicc::store::MemStorage,
    identity: Option<&std::sync::Arc<veuicc::identity::Identity>>,
    seed: u64,
) -> TestCard {
    let platform = Parts { storage: storage.clone(), rng: DetRng::new(seed), clock: ManualClock::default() };
    let card = match identity {
        Some(id) => veuicc::Card::with_identity(id.card_config(), id.clone(), platform).unwrap(),
        None => {
            veuicc::Card::with_identity(default_config(), veuicc::testkit::pki::default_identity(), platform).unwrap()
        }
    };
    let mut card = TestCard(card);
    cards::set_time(&mut card, cards::T0);
    card
}

fn clear_notifications<T: veuicc::testkit::Transport>(lpa: &mut Es10Client<T>) {
    for n in lpa.list_notifications().unwrap() {
        let seq = u64::try_from(&n.seq_number).unwrap();
        lpa.remove_notification(seq).unwrap();
    }
}

fn bench(c: &mut Criterion) {
    let crypto: &dyn CryptoProvider = &RUST_CRYPTO;
    let mut g = c.benchmark_group("mirror");
    g.sample_size(20).measurement_time(Duration::from_secs(4));

    // The floor of Issue: one signature over a token-sized message.
    let mut rng = DetRng::new(9);
    let (sk, pk) = keypair(crypto, &mut rng);
    let signer = crypto.signing_key(&sk).unwrap();
    let msg = [0x5Au8; 120];
    let mut sign_log = Vec::new();
    g.bench_function("sign (floor)", |b| {
        b.iter_custom(|iters| {
            timed(&mut sign_log, iters, || {
                let t = Instant::now();
                black_box(signer.sign(black_box(&msg)));
                t.elapsed()
            })
        })
    });

    // Issue: the clock moves past each token's validity, so the one before is forgotten and
    // the record stays one token long.
    let mut primary = cards::primary_with(UNLIMITED);
    let issue_der = rasn::der::encode(&cards::token_req(3600, None)).unwrap();
    let mut issue_log = Vec::new();
    {
        let mut lpa = Es10Client::open(&mut primary).unwrap();
        clear_notifications(&mut lpa);
        let mut now = cards::T0;
        g.bench_function("issue", |b| {
            b.iter_custom(|iters| {
                timed(&mut issue_log, iters, || {
                    now += 3601;
                    lpa.transport().0.platform_mut().clock.set(Some(UnixTime(now)));
                    let t = Instant::now();
                    let answer = lpa.store_data(black_box(&issue_der)).unwrap();
                    let e = t.elapsed();
                    assert_eq!(answer.get(..3), Some(&[0xFF, 0x40, 0x82][..]));
                    // The LPA sends the mirrorIssued notification and removes it (untimed), as
                    // it would: the list does not fill up to its cap.
                    clear_notifications(&mut lpa);
                    e
                })
            })
        });
        lpa.close().unwrap();
    }

    // Pairing: a fresh copy of the primary (SOURCE installed) and of an empty secondary each time.
    let source = cards::primary_with(UNLIMITED).0.into_platform().storage;
    let secondary_identity = cards::identity_of(7);
    let empty = veuicc::store::MemStorage::new();
    let req = cards::token_req(3600, None);
    let mut pair_log = Vec::new();
    let mut package = 0usize;
    let mut seed = 100;
    g.bench_function("pairing", |b| {
        b.iter_custom(|iters| {
            timed(&mut pair_log, iters, || {
                seed += 1;
                let mut primary = card_from(&source, None, seed);
                let mut secondary = card_from(&empty, Some(&secondary_identity), seed);
                let mut p = Es10Client::open(&mut primary).unwrap();
                let mut s = Es10Client::open(&mut secondary).unwrap();
                let t = Instant::now();
                let paired = veuicc::testkit::mirror::pair(&mut p, &mut s, black_box(&req)).unwrap();
                let e = t.elapsed();
                package = paired.package_len;
                e
            })
        })
    });

    // The pairing's floor.
    let keys = SessionKeys::new([1; 16], [2; 16], [3; 16]);
    let plain = vec![0x42u8; package.max(1)];
    let mut floor_log = Vec::new();
    g.bench_function("pairing floor", |b| {
        b.iter_custom(|iters| {
            timed(&mut floor_log, iters, || {
                let t = Instant::now();
                let sig = signer.sign(&msg);
                for _ in 0..3 {
                    black_box(signer.sign(black_box(&msg)));
                }
                for _ in 0..8 {
                    assert!(crypto.verify(black_box(&pk), black_box(&msg), &sig));
                }
                for _ in 0..2 {
                    let (ot, _) = keypair(crypto, &mut rng);
                    let shared = crypto.ecdh(&ot, &pk).unwrap();
                    black_box(SessionKeys::derive(crypto, shared.expose(), 0x88, 0x10, b"host", &[0x89; 16]).unwrap());
                }
                let mut tx = Bsp::new(crypto, &keys);
                let segments: Vec<Vec<u8>> = plain.chunks(1007).map(|c| tx.wrap(0x86, c, true).unwrap()).collect();
                let mut rx = Bsp::new(crypto, &keys);
                for seg in &segments {
                    black_box(rx.unwrap(seg, 0x86, true).unwrap());
                }
                t.elapsed()
            })
        })
    });
    g.finish();

    let (sign, issue) = (fastest(&sign_log), fastest(&issue_log));
    let (pairing, floor) = (fastest(&pair_log), fastest(&floor_log));
    println!(
        "mirror: issue {:.1} µs = {:.2} × one signature ({:.1} µs; goal ≤ 1.2); pairing {:.2} ms = {:.2} × its \
         crypto ({:.2} ms, a {package}-byte package; goal ≤ 1.3)",
        issue / 1e3,
        issue / sign,
        sign / 1e3,
        pairing / 1e6,
        pairing / floor,
        floor / 1e6
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
