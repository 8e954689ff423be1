//! In-process APDU round trips: SELECT ISD-R + ES10c.GetEID.
//!
//! Run: `cargo bench --bench apdu`. The `baseline` group parses the same two
//! APDUs without executing them, so the report can give the card's cost as a
//! ratio to the bare wire-format work measured in the same run.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::cast_possible_truncation
)]

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use veuicc::apdu::CommandView;
use veuicc::testkit::TestCard;

const SELECT_ISDR: [u8; 21] = [
    0x00, 0xA4, 0x04, 0x0C, 0x10, 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00,
    0x01, 0x00,
];
/// STORE DATA with GetEID, case 4 (Le 00) so the EID comes back in one response.
const GET_EID: [u8; 12] = [0x80, 0xE2, 0x91, 0x00, 0x06, 0xBF, 0x3E, 0x03, 0x5C, 0x01, 0x5A, 0x00];

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("apdu");
    g.bench_function("baseline: parse SELECT + GetEID", |b| {
        b.iter(|| {
            black_box(CommandView::parse(black_box(&SELECT_ISDR)).unwrap());
            black_box(CommandView::parse(black_box(&GET_EID)).unwrap());
        })
    });
    let mut card = TestCard::new(1);
    let mut out = Vec::with_capacity(64);
    g.bench_function("SELECT ISD-R + GetEID round trip (2 APDUs)", |b| {
        b.iter(|| {
            card.0.transmit_into(black_box(&SELECT_ISDR), &mut out);
            debug_assert_eq!(out, [0x90, 0x00]);
            card.0.transmit_into(black_box(&GET_EID), &mut out);
            black_box(&out);
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
