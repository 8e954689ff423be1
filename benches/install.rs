//! Profile install, card side only, against the crypto floor measured in the same run.
//!
//! Run: `cargo bench --bench install`. A download is recorded once (the card's RNG is
//! seeded, so its challenge and one-time key are the same every time) and its APDUs
//! are replayed into a fresh card per iteration: the SM-DP+'s work is not timed.
//!
//! The floor is what the card cannot avoid: 5 ECDSA verifications (CERT.DPauth,
//! serverSignature1, CERT.DPpb, smdpSignature2, smdpSign), 3 signatures (euiccSignature1,
//! euiccSignature2, the PIR), 1 key generation, 1 ECDH, the KDF, and AES-CBC + CMAC
//! over every segment of the package. Goal: install ≤ 1.10 × floor; cost linear in size.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::cast_possible_truncation
)]

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::Generate;
use std::hint::black_box;
use veuicc::scp03t::{Bsp, SessionKeys};
use veuicc::testkit::lpa::download;
use veuicc::testkit::pki::default_pki;
use veuicc::testkit::smdp::{ProfileToInstall, TestSmdp};
use veuicc::testkit::{DetRng, Es10Client, TestCard, Transport};

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

/// Runs the recorded APDUs on a card that is already powered (its making, with SK.EUICC
/// prepared by the provider, is power-up work and happens in the untimed setup).
fn install(mut card: TestCard, apdus: &[Vec<u8>]) -> usize {
    let mut out = Vec::with_capacity(300);
    for apdu in apdus {
        card.0.transmit_into(apdu, &mut out);
    }
    assert_eq!(card.0.state().profiles.len(), 1);
    out.len()
}

fn bench(c: &mut Criterion) {
    let key = SigningKey::generate_from_rng(&mut DetRng::new(3));
    let mut g = c.benchmark_group("install");
    g.sample_size(20);
    for size in [12 * 1024, 64 * 1024, 256 * 1024] {
        let (apdus, profile) = record(size);
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_with_input(BenchmarkId::new("card install", size), &apdus, |b, apdus| {
            b.iter_batched(|| TestCard::new(1), |card| install(card, apdus), BatchSize::SmallInput)
        });
        // The floor's AES part: card-side unwrap only (segments prepared once per size).
        let keys = SessionKeys::new([1; 16], [2; 16], [3; 16]);
        let mut tx = Bsp::new(&veuicc::crypto::RUST_CRYPTO, &keys);
        let segments: Vec<Vec<u8>> = profile.upp.chunks(1007).map(|c| tx.wrap(0x86, c, true).unwrap()).collect();
        // The install-time check of the whole package (saip::decode_for), part of "card install".
        g.bench_with_input(BenchmarkId::new("package decode", size), &profile.upp, |b, upp| {
            b.iter(|| veuicc::saip::decode_for(black_box(upp), veuicc::saip::Services(u32::MAX)).unwrap())
        });
        let mut rng = DetRng::new(4);
        g.bench_with_input(BenchmarkId::new("crypto floor", size), &segments, |b, segments| {
            b.iter(|| {
                let msg = [0x5Au8; 200];
                let sig: Signature = key.sign(&msg);
                for _ in 0..5 {
                    key.verifying_key().verify(black_box(&msg), &sig).unwrap();
                }
                // Three signatures in all: the one made above for the verifications, and two more.
                for _ in 0..2 {
                    let _: Signature = key.sign(black_box(&msg));
                }
                let ot = p256::SecretKey::generate_from_rng(&mut rng);
                let shared = ot.diffie_hellman(&key.verifying_key().into());
                let _ = SessionKeys::derive(
                    &veuicc::crypto::RUST_CRYPTO,
                    shared.raw_secret_bytes().as_slice(),
                    0x88,
                    0x10,
                    b"host",
                    &[0x89; 16],
                );
                let mut rx = Bsp::new(&veuicc::crypto::RUST_CRYPTO, &keys);
                for seg in segments {
                    black_box(rx.unwrap(seg, 0x86, true).unwrap());
                }
            })
        });
    }
    g.finish();

    // The same 12 KB install with the state in a directory (fsync on) and in memory.
    let (apdus, _) = record(12 * 1024);
    let mut g = c.benchmark_group("install storage");
    g.sample_size(20);
    g.bench_function("in memory", |b| {
        b.iter_batched(|| TestCard::new(1), |card| install(card, &apdus), BatchSize::SmallInput)
    });
    let root = std::env::temp_dir().join(format!("veuicc-bench-install-{}", std::process::id()));
    let mut n = 0u32;
    g.bench_function("state directory (fsync)", |b| {
        b.iter_batched(
            || {
                n += 1;
                let dir = root.join(n.to_string());
                let storage = veuicc::host::fs_storage::DirStorage::open(&dir).unwrap();
                let config = veuicc::testkit::default_config();
                let platform = veuicc::platform::Parts {
                    storage,
                    rng: DetRng::new(1),
                    clock: veuicc::testkit::ManualClock::default(),
                };
                veuicc::Card::with_identity(config, veuicc::testkit::pki::default_identity(), platform).unwrap()
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

criterion_group!(benches, bench);
criterion_main!(benches);
