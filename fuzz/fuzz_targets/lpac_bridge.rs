//! lpac's side of the stdio bridge: arbitrary lines (JSON or not) into `host::lpac::bridge`
//! with one card behind it. It answers, passes lines through or returns an error; it never
//! panics and never writes an answer line that is not JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veuicc::testkit::TestCard;

fuzz_target!(|data: &[u8]| {
    let mut card = TestCard::new(0).0;
    let (mut to, mut out, mut notes) = (Vec::new(), Vec::new(), Vec::new());
    let _ = veuicc::host::lpac::bridge(&mut card, data, &mut to, &mut out, &mut notes, &mut None);
    for line in to.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        assert!(line.first() == Some(&b'{') && line.last() == Some(&b'}'), "{:?}", String::from_utf8_lossy(line));
    }
});
