//! Any bytes as a profile package (UPP): the SAIP walk, checks and decoder never panic, every
//! element the walk yields lies inside the input and a package that passes has a header and
//! an end.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veuicc::saip::{self, PeKind};

fuzz_target!(|data: &[u8]| {
    for pe in saip::elements(data) {
        let Ok(pe) = pe else { break };
        assert!(pe.offset + pe.raw.len() <= data.len());
    }
    if let Ok(summary) = saip::check(data) {
        assert_eq!(summary.order.first().map(|(k, _)| *k), Some(PeKind::Header));
        assert_eq!(summary.order.last().map(|(k, _)| *k), Some(PeKind::End));
    }
    let _ = saip::decode(data);
    let _ = saip::decode_for(data, saip::Services(u32::MAX));
});
