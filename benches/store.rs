//! Commit latency: one ES10a.SetDefaultDpAddress (a record and a root, with their
//! flushes) on the state-directory backend (fsync on) against the in-memory one.
//!
//! Run: `cargo bench --bench store`. Report the ratio file/memory. Profile install
//! joins this bench when downloads land.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::cast_possible_truncation
)]

use criterion::{Criterion, criterion_group, criterion_main};
use veuicc::Card;
use veuicc::host::fs_storage::DirStorage;
use veuicc::host::platform;
use veuicc::testkit::{TestCard, Transport, default_config};

/// SELECT ISD-R (no FCI) and SetDefaultDpAddress("smdp.example.com"), case 4.
const SELECT: &str = "00A4040C10A0000005591010FFFFFFFF8900000100";
const SET_A: &str = "80E2910015BF3F128010736D64702E6578616D706C652E636F6D00";
const SET_B: &str = "80E2910015BF3F128010736D64702E6578616D706C652E636F6E00";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn bench(c: &mut Criterion) {
    let (select, a, b) = (hex(SELECT), hex(SET_A), hex(SET_B));
    let mut g = c.benchmark_group("commit");
    let mut mem = TestCard::new(1);
    mem.transmit(&select);
    let mut flip = false;
    g.bench_function("SetDefaultDpAddress, in memory", |bench| {
        bench.iter(|| {
            flip = !flip;
            let r = Transport::transmit(&mut mem, if flip { &a } else { &b });
            assert_eq!(r[r.len() - 2..], [0x90, 0x00]);
        })
    });
    let dir = std::env::temp_dir().join(format!("veuicc-bench-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut file = Card::new(default_config(), platform(DirStorage::open(&dir).unwrap())).unwrap();
    file.transmit(&select);
    g.sample_size(30);
    g.bench_function("SetDefaultDpAddress, state directory (fsync)", |bench| {
        bench.iter(|| {
            flip = !flip;
            let r = file.transmit(if flip { &a } else { &b });
            assert_eq!(r[r.len() - 2..], [0x90, 0x00]);
        })
    });
    g.finish();
    drop(file);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
