//! Any storage contents: opening the store and loading the card state never
//! panics — a damaged state is an error naming the file, not a crash.
//!
//! Input: repeated `name_len, name, value_len (2 bytes BE), value`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veuicc::platform::Storage;
use veuicc::store::{CardState, MemStorage, Store};

fuzz_target!(|data: &[u8]| {
    let mut storage = MemStorage::new();
    let mut rest = data;
    // Seed with names the store uses, so the fuzzer reaches its parsers quickly.
    const NAMES: [&str; 6] = ["root.0", "root.1", "r.config.0", "r.config.1", "r.p.10.0", "r.n.0000000000000001.1"];
    while let [sel, hi, lo, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(tail.len());
        let (value, tail) = tail.split_at(len);
        let _ = storage.write(NAMES[usize::from(*sel) % NAMES.len()], value);
        rest = tail;
    }
    if let Ok(store) = Store::open(&mut storage) {
        let _ = CardState::load::<()>(&store);
    }
});
