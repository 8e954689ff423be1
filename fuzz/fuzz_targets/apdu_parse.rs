//! Any bytes: `CommandView::parse` never panics, and what it accepts re-encodes to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veuicc::apdu::CommandView;

fuzz_target!(|data: &[u8]| {
    if let Ok(cmd) = CommandView::parse(data) {
        assert_eq!(cmd.to_bytes(), data);
    }
});
