//! The BPP as an SM-DP+ builds it, from fuzzed plaintexts: ConfigureISDP, StoreMetadata and the
//! profile-element chunks are wrapped with the session keys the loader holds (valid C-MACs and
//! encryption, `scp03t::Bsp`), so the fuzzer reaches past the MAC into the loader's decoding
//! of each sequence. The loader never panics, and a complete load returns exactly the
//! profile elements sent.
//!
//! Input: a flags byte (bit 0: a v3 card's loader; bits 1–7: the cut size of the stream), then
//! parts `len_hi len_lo bytes…`: ConfigureISDP, StoreMetadata, then profile-element chunks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veuicc::scp03t::{Bsp, SessionKeys};
use veuicc::sd::isdp::{BppLoader, Progress};

fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match value.len() {
        n @ 0..=0x7F => out.push(n as u8),
        n @ 0x80..=0xFF => out.extend([0x81, n as u8]),
        n @ 0x100..=0xFFFF => out.extend([0x82, (n >> 8) as u8, n as u8]),
        n => out.extend([0x83, (n >> 16) as u8, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(value);
    out
}

fn parts(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let [hi, lo, rest @ ..] = data {
        let n = (usize::from(*hi) << 8 | usize::from(*lo)).min(rest.len());
        let (part, tail) = rest.split_at(n);
        out.push(part);
        data = tail;
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let parts = parts(rest);
    let [configure, metadata, elements @ ..] = parts.as_slice() else { return };
    let keys = SessionKeys::new([1; 16], [2; 16], [3; 16]);
    let mut tx = Bsp::new(&veuicc::crypto::RUST_CRYPTO, &keys);
    let Ok(configure) = tx.wrap(0x87, configure, true) else { return };
    let mut stream = tlv(0xA0, &configure);
    let mut md = Vec::new();
    for chunk in metadata.chunks(1000) {
        let Ok(seg) = tx.wrap(0x88, chunk, false) else { return };
        md.extend(seg);
    }
    stream.extend(tlv(0xA1, &md));
    let mut pe = Vec::new();
    for chunk in elements {
        let Ok(seg) = tx.wrap(0x86, &chunk[..chunk.len().min(1007)], true) else { return };
        pe.extend(seg);
    }
    stream.extend(tlv(0xA3, &pe));
    let sent: Vec<u8> = elements.iter().flat_map(|c| c[..c.len().min(1007)].iter().copied()).collect();

    let mut loader =
        BppLoader::new(&veuicc::crypto::RUST_CRYPTO, &keys, stream.len(), 64 * 1024).with_v3_metadata(flags & 1 != 0);
    let cut = usize::from(flags >> 1).max(1) * 17;
    for piece in stream.chunks(cut) {
        let mut progress = loader.feed(piece);
        while let Ok(Progress::Metadata) = progress {
            let _ = loader.metadata();
            progress = loader.feed(&[]);
        }
        match progress {
            Ok(Progress::NeedMore | Progress::Metadata) => {}
            Ok(Progress::Complete(profile)) => {
                assert_eq!(profile.upp, sent, "a complete load holds exactly the elements sent");
                return;
            }
            Err(_) => return,
        }
    }
});
