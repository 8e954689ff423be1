//! Any bytes as one reassembled ES10 command: decoding never panics, and whatever
//! decodes encodes to bytes that decode to the same request. The mirror functions'
//! private-class tags (`FF40` … `FF4F`) bypass the ES10 table in the ISD-R and are decoded by
//! `mirror::asn::MirrorCommand`: the same property holds there.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veuicc::asn1::Es10Request;
use veuicc::mirror::asn::MirrorCommand;

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = Es10Request::decode(data) {
        let der = req.encode().expect("a decoded request encodes");
        assert_eq!(Es10Request::decode(&der).expect("re-decodes"), req);
    }
    if let Ok(req) = MirrorCommand::decode(data) {
        let der = req.encode().expect("a decoded mirror request encodes");
        assert_eq!(MirrorCommand::decode(&der).expect("re-decodes"), req);
    }
});
