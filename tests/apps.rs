//! The application boundary (`veuicc::app`): a second application next to the ISD-R, both
//! driven on two channels at once, and the ISD-R under a configured custom AID (also through
//! the CLI's `--isd-r-aid`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

mod support;
use support::{hex, veuicc};

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use veuicc::apdu::{Result, Status};
use veuicc::app::{App, Command, Ctx, Power, Selection};
use veuicc::config::Aid;
use veuicc::platform::Platform;
use veuicc::store::MemStorage;
use veuicc::testkit::{Es10Client, TestCard, default_config};

/// The test application's AID.
const COUNTER_AID: &str = "F076657569636301";

/// What the card told the test application.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Select(Selection),
    Deselect(Selection),
    Power(Power),
}

/// A tiny application in the shape of a USIM: it answers file SELECT of the MF, counts
/// per selection (so per channel), and sends a response longer than one short Ne.
#[derive(Debug, Default)]
struct Counter {
    counts: BTreeMap<Selection, u8>,
    events: Arc<Mutex<Vec<Event>>>,
}

impl<P: Platform> App<P> for Counter {
    fn aid(&self) -> Aid {
        Aid::new(&hex(COUNTER_AID)).unwrap()
    }

    fn select(&mut self, selection: Selection, command: &Command<'_>, _: &mut Ctx<'_, P>) -> Result<Vec<u8>> {
        self.events.lock().unwrap().push(Event::Select(selection));
        self.counts.insert(selection, 0);
        Ok(if command.wants_fci() { hex(&format!("6F0A8408{COUNTER_AID}")) } else { vec![] })
    }

    fn call(&mut self, selection: Selection, command: &Command<'_>, _: &mut Ctx<'_, P>) -> Result<Vec<u8>> {
        match (command.ins, command.is_select(), command.data) {
            // SELECT the MF by file id: an FCP naming it.
            (_, true, [0x3F, 0x00]) => Ok(hex("62038302 3F00".replace(' ', "").as_str())),
            (_, true, _) => Err(Status::NotFound),
            (0x10, false, _) => {
                let n = self.counts.entry(selection).or_insert(0);
                *n += 1;
                Ok(vec![*n])
            }
            (0x12, false, _) => Ok((0..300u16).map(|i| i as u8).collect()),
            _ => Err(Status::InsNotSupported),
        }
    }

    fn deselect(&mut self, selection: Selection) {
        self.events.lock().unwrap().push(Event::Deselect(selection));
        self.counts.remove(&selection);
    }

    fn power(&mut self, event: Power) {
        self.events.lock().unwrap().push(Event::Power(event));
        self.counts.clear();
    }
}

fn hexs(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn check(card: &mut TestCard, command: &str, expected: &str) {
    let got = card.transmit(&hex(command));
    assert_eq!(hexs(&got), expected, "command {command}");
}

const ISDR_FCI: &str = "6F1F8410A0000005591010FFFFFFFF8900000100A5049F6501FFE00582030205009000";
const EID: &str = "89999001000010000000000000000038";

/// The basic channel holds the test application (a modem's USIM), channel 1 the ISD-R (an
/// LPA's), at the same time; commands interleave, a STORE DATA chain on channel 1 survives
/// commands on channel 0, each channel's selection keeps its own state, and the card (not
/// the application) chains a long response with `61xx`.
#[test]
fn a_second_application_next_to_the_isd_r_on_two_channels() {
    let events = Arc::new(Mutex::new(vec![]));
    let mut card = TestCard::new(1);
    card.0.register_app(Box::new(Counter { counts: BTreeMap::new(), events: events.clone() }));

    check(&mut card, &format!("00A4040008{COUNTER_AID}00"), &format!("6F0A8408{COUNTER_AID}9000"));
    check(&mut card, "0070000001", "019000");
    check(&mut card, "01A4040010A0000005591010FFFFFFFF890000010000", ISDR_FCI);
    // GetEuiccData(EID) in two STORE DATA blocks on channel 1 …
    check(&mut card, "81E2110003BF3E03", "9000");
    // … while channel 0 talks to the other application, file SELECT included.
    check(&mut card, "0010000000", "019000");
    check(&mut card, "00A40004023F0000", "62038302 3F009000".replace(' ', "").as_str());
    check(&mut card, "0010000000", "029000");
    // The ISD-R has no files: 6A82, and its chain is untouched.
    check(&mut card, "01A40004023F0000", "6A82");
    check(&mut card, "81E29101035C015A00", &format!("BF3E125A10{EID}9000"));
    // Response data longer than Ne: the card keeps the rest for GET RESPONSE.
    let r = card.transmit(&hex("0012000000"));
    assert_eq!(r.len(), 258);
    assert_eq!(r[256..], [0x61, 0x2C]);
    let r = card.transmit(&hex("00C000002C"));
    assert_eq!(r.len(), 46);
    assert_eq!(r[..2], [0x00, 0x01]);
    assert_eq!(r[44..], [0x90, 0x00]);

    // A second selection of the test application (channel 2) counts on its own.
    check(&mut card, "00700002", "9000");
    check(&mut card, &format!("02A4040C08{COUNTER_AID}"), "9000");
    check(&mut card, "0210000000", "019000");
    check(&mut card, "0010000000", "039000");
    // A channel opened from channel 2 inherits the application under a new selection.
    check(&mut card, "0270000000", "039000");
    check(&mut card, "0310000000", "019000");
    // The ECASD replaces the ISD-R on channel 1; channel 0 is undisturbed.
    check(&mut card, "01A4040410A0000005591010FFFFFFFF8900000200", "611A");
    check(&mut card, "81E2910003BF2D00", "6D00");
    check(&mut card, "0010000000", "049000");
    // Closing channel 2 and a reset reach the application.
    check(&mut card, "0070800200", "9000");
    assert_eq!(card.reset()[0], 0x3B);
    check(&mut card, "0010000000", "6D00");

    let events = events.lock().unwrap().clone();
    // Registered after the card was made: no `Power::On` before the first SELECT.
    let [Event::Select(basic), Event::Select(second), Event::Deselect(closed), Event::Power(Power::Reset)] =
        events.as_slice()
    else {
        panic!("events: {events:?}");
    };
    assert_ne!(basic, second);
    assert_eq!(closed, second);
}

/// Each configured AID selects the ISD-R (the FCI names it), the standard one then does not;
/// the ES10 client reaches it by that AID.
#[test]
fn the_isd_r_by_a_configured_custom_aid() {
    for aid in ["A0000005591010FFFFFFFF89000505", "A0000005591010000000008900000300"] {
        let mut config = default_config();
        config.isd_r_aid = Aid::new(&hex(aid)).unwrap();
        let mut card = TestCard::with_config(config, MemStorage::new(), 1);
        let len = aid.len() / 2;
        check(
            &mut card,
            &format!("00A40400{len:02X}{aid}00"),
            &format!("6F{:02X}84{len:02X}{aid}A5049F6501FFE00582030205009000", len + 15),
        );
        check(&mut card, "00A4040010A0000005591010FFFFFFFF890000010000", "6A82");
        // The ECASD is where it was.
        check(&mut card, "00A4040C10A0000005591010FFFFFFFF8900000200", "9000");
        let mut client = Es10Client::open_with_aid(&mut card, &hex(aid)).unwrap();
        assert_eq!(hexs(&client.get_eid().unwrap()), EID);
    }
}

#[test]
fn the_cli_selects_the_isd_r_by_isd_r_aid() {
    let aid = "A0000005591010FFFFFFFF89000505";
    let (code, out, err) = veuicc(&[
        "apdu",
        "--isd-r-aid",
        aid,
        &format!("00A404000F{aid}00"),
        "00A4040010A0000005591010FFFFFFFF890000010000",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("< 6F1E840F{aid}A5049F6501FFE00582030205009000")), "{out}");
    assert!(out.contains("< 6A82"), "{out}");
    // The tool's own LPA selects it too.
    let (code, out, err) = veuicc(&["profiles", "--isd-r-aid", aid]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = veuicc(&["demo", "--isd-r-aid", aid]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(EID), "{out}");
    // An AID has 5 to 16 bytes.
    let (code, _, err) = veuicc(&["apdu", "--isd-r-aid", "A000000559", "00A4040005A000000559"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = veuicc(&["apdu", "--isd-r-aid", "A0000005", "00"]);
    assert_eq!(code, 2);
    assert!(err.contains("an AID has 5 to 16 bytes, not 4"), "{err}");
}

/// `veuicc lpac --isd-r-aid` hands the AID to lpac (`LPAC_CUSTOM_ISD_R_AID`), which then
/// selects it (the stand-in lpac does as the real one).
#[test]
fn lpac_is_told_the_custom_aid() {
    let fake = format!("{}/tests/support/fake_lpac.py", env!("CARGO_MANIFEST_DIR"));
    let aid = "A0000005591010000000008900000300";
    let (code, out, err) = veuicc(&["lpac", "--isd-r-aid", aid, "--lpac", &fake, "--", "chip", "info"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("\"eidValue\": \"{EID}\"")), "{out}");
}

/// A file system in the shape of a UICC's: selected implicitly (MF current) on the basic
/// channel and on channels opened from it, the only one class `A0` reaches, and claiming
/// the AIDs of its ADFs (partial AIDs too) through `App::claims`.
#[derive(Debug, Default)]
struct FileSystem {
    selected_by_aid: Arc<Mutex<Vec<Selection>>>,
}

const USIM_AID: &str = "A0000000871002FF49FF0589";

impl<P: Platform> App<P> for FileSystem {
    fn aid(&self) -> Aid {
        Aid::new(&hex(USIM_AID)).unwrap()
    }

    fn claims(&mut self, name: &[u8], _: &mut Ctx<'_, P>) -> bool {
        hex(USIM_AID).starts_with(name)
    }

    fn implicit(&self) -> bool {
        true
    }

    fn select(&mut self, selection: Selection, command: &Command<'_>, _: &mut Ctx<'_, P>) -> Result<Vec<u8>> {
        self.selected_by_aid.lock().unwrap().push(selection);
        Ok(if command.wants_fci() { hex("620383027FFF") } else { vec![] })
    }

    fn call(&mut self, _: Selection, command: &Command<'_>, _: &mut Ctx<'_, P>) -> Result<Vec<u8>> {
        match (command.gsm, command.ins, command.data) {
            (_, 0xA4, [0x3F, 0x00]) => Ok(hex("62038302 3F00".replace(' ', "").as_str())),
            (_, 0xA4, _) => Err(Status::NotFound),
            (true, 0xF2, _) => Ok(vec![0xA0; 3]),
            _ => Err(Status::InsNotSupported),
        }
    }

    fn deselect(&mut self, _: Selection) {}

    fn power(&mut self, _: Power) {}
}

#[test]
fn an_implicit_file_system_holds_the_basic_channel_and_class_a0() {
    let mut card = TestCard::new(1);
    let by_aid = Arc::new(Mutex::new(vec![]));
    card.0.register_app(Box::new(FileSystem { selected_by_aid: by_aid.clone() }));
    // Registered after the card was made: the next reset selects it.
    check(&mut card, "00A40004023F00", "6A82");
    card.reset();
    check(&mut card, "00A40004023F0000", "620383023F009000");
    // GSM class: `9Fxx`, then GET RESPONSE; MANAGE CHANNEL is not a GSM command.
    check(&mut card, "A0F20000", "9F03");
    check(&mut card, "A0C0000003", "A0A0A09000");
    check(&mut card, "A0F2000003", "A0A0A09000");
    check(&mut card, "A070000001", "6E00");
    // A channel opened from the basic channel has the MF selected too.
    check(&mut card, "0070000001", "019000");
    check(&mut card, "01A40004023F0000", "620383023F009000");
    // Class A0 is for the basic channel's file system only: the ISD-R there refuses it.
    check(&mut card, "00A4040010A0000005591010FFFFFFFF890000010000", ISDR_FCI);
    check(&mut card, "A0F20000", "6E00");
    // SELECT by a partial AID the file system claims.
    check(&mut card, "00A4040C07A0000000871002", "9000");
    check(&mut card, "A0F20000", "9F03");
    assert_eq!(by_aid.lock().unwrap().len(), 1);
    // Not claimed: 6A82, the selection stays.
    check(&mut card, "00A4040C07A0000000871004", "6A82");
}
