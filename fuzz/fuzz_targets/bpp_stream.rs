//! Any bytes, cut anywhere, fed to the ISD-P's BPP loader: it never panics and never
//! accepts more than the announced length.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veuicc::scp03t::SessionKeys;
use veuicc::sd::isdp::{BppLoader, Progress};

fuzz_target!(|data: &[u8]| {
    let Some((&cut, rest)) = data.split_first() else { return };
    let keys = SessionKeys::new([1; 16], [2; 16], [3; 16]);
    let mut loader = BppLoader::new(&veuicc::crypto::RUST_CRYPTO, &keys, rest.len(), 64 * 1024);
    for piece in rest.chunks(usize::from(cut).max(1)) {
        let mut progress = loader.feed(piece);
        while let Ok(Progress::Metadata) = progress {
            let _ = loader.metadata();
            progress = loader.feed(&[]);
        }
        match progress {
            Ok(Progress::NeedMore | Progress::Metadata) => {}
            Ok(Progress::Complete(_)) | Err(_) => break,
        }
    }
});
