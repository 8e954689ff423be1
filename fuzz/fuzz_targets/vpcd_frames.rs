//! vpcd's byte stream into the vpcd adapter: `u16` big-endian length ‖ payload frames, each
//! classified (`Message::parse`) and answered by one card (`vpcd::answer`, with its refresh
//! logic). Every APDU reply is a well-formed R-APDU; an ATR request gets the ATR.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veuicc::host::vpcd::{Message, Session, answer};
use veuicc::testkit::TestCard;

fuzz_target!(|data: &[u8]| {
    let mut card = TestCard::new(0).0;
    let mut session = Session::new();
    let mut rest = data;
    while let [a, b, tail @ ..] = rest {
        let n = usize::from(u16::from_be_bytes([*a, *b])).min(tail.len());
        let (payload, tail) = tail.split_at(n);
        rest = tail;
        let message = Message::parse(payload);
        let reply = answer(&mut card, &mut session, message, &mut None, &mut |_| {});
        match message {
            Message::Apdu(_) => {
                let r = reply.expect("an APDU is answered");
                assert!(r.len() >= 2, "{payload:02X?} -> {r:02X?}");
            }
            Message::AtrRequest => assert_eq!(reply.as_deref(), Some(&veuicc::card::ATR[..])),
            _ => assert!(reply.is_none()),
        }
    }
});
