//! Any bytes as one reassembled ES10 command: decoding never panics, and whatever
//! decodes encodes to bytes that decode to the same request.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veuicc::asn1::Es10Request;

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = Es10Request::decode(data) {
        let der = req.encode().expect("a decoded request encodes");
        assert_eq!(Es10Request::decode(&der).expect("re-decodes"), req);
    }
});
