//! The conformance suite (`testkit::conformance`, `veuicc conformance`) against veuicc, and
//! against cards broken on purpose: each break must fail the check that looks at it, with a
//! detail that says what was sent, expected and received.
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
use veuicc::testkit::conformance::{Options, Outcome, Report, run};
use veuicc::testkit::{TestCard, Transport};

fn failures(report: &Report) -> Vec<String> {
    report
        .checks
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Fail(_)))
        .map(|c| format!("{}: {}", c.id, c.detail().unwrap_or_default()))
        .collect()
}

#[test]
fn veuicc_passes_every_check_that_changes_nothing() {
    let mut card = TestCard::new(1);
    let report = run(&mut card, &Options::default());
    assert_eq!(failures(&report), Vec::<String>::new(), "{}", report.table());
    assert_eq!(report.skipped(), 0, "{}", report.table());
    assert!(report.passed() >= 30, "{}", report.table());
    // Nothing changed: no profile, no notification, and the card still answers.
    let mut lpa = veuicc::testkit::Es10Client::open(&mut card).unwrap();
    assert!(lpa.list_notifications().unwrap().is_empty());
    let profiles = lpa.get_profiles_info(&Default::default()).unwrap();
    assert_eq!(format!("{profiles:?}"), "ProfileInfoListResponse(ProfileInfoListOk([]))");
}

#[test]
fn veuicc_passes_every_check_with_changes_and_is_left_as_it_was() {
    // A card holding an enabled profile: the checks enable theirs, then enable it again.
    let mut card = veuicc::testkit::sim_card(&[veuicc::testkit::saip::TestProfile::new([
        0x98, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0xF2,
    ])
    .to_der()]);
    let options = Options { allow_changes: true, ..Options::default() };
    let report = run(&mut card, &options);
    assert_eq!(failures(&report), Vec::<String>::new(), "{}", report.table());
    assert_eq!(report.skipped(), 0, "{}", report.table());
    for id in ["change.download", "change.enable", "change.disable", "change.delete", "change.notifications"] {
        assert_eq!(report.get(id).map(|c| c.result()), Some("pass"), "{id}\n{}", report.table());
    }
    let mut lpa = veuicc::testkit::Es10Client::open(&mut card).unwrap();
    let profiles = format!("{:?}", lpa.get_profiles_info(&Default::default()).unwrap());
    assert_eq!(profiles.matches("iccid: Some").count(), 1, "{profiles}");
    assert!(
        profiles.contains("profile_state: Some(Integer(Primitive(1)))"),
        "the profile enabled before is enabled again: {profiles}"
    );
    // Only the earlier profile's notifications (its disable and enable) are left.
    for n in lpa.list_notifications().unwrap() {
        assert_eq!(n.iccid.as_deref(), Some(&hex("984400000000000010F2")[..]), "{n:?}");
    }
}

#[test]
fn a_card_that_does_not_trust_the_test_ci_skips_the_changes() {
    let pki = veuicc::testkit::pki::TestPki::generate(77, 1);
    let identity = pki.identity(0).unwrap();
    let card = veuicc::Card::with_identity(
        identity.card_config(),
        std::sync::Arc::new(identity),
        veuicc::platform::Parts {
            storage: veuicc::store::MemStorage::new(),
            rng: veuicc::testkit::DetRng::new(1),
            clock: veuicc::testkit::ManualClock::default(),
        },
    )
    .unwrap();
    let mut card = card;
    let report = run(&mut card, &Options { allow_changes: true, ..Options::default() });
    assert_eq!(failures(&report), Vec::<String>::new(), "{}", report.table());
    let download = report.get("change.download").unwrap();
    assert_eq!(download.detail().as_deref(), Some("skipped: card does not trust the test CI"));
    assert_eq!(report.skipped(), 7, "{}", report.table());
}

/// A card with one answer corrupted.
struct Broken<F> {
    card: TestCard,
    corrupt: F,
}

impl<F: FnMut(&[u8], Vec<u8>) -> Vec<u8>> Transport for Broken<F> {
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        let r = self.card.transmit(apdu);
        (self.corrupt)(apdu, r)
    }
}

#[test]
fn a_flipped_status_word_of_get_eid_fails_get_eid() {
    let mut last_was_get_eid = false;
    let broken = Broken {
        card: TestCard::new(1),
        corrupt: move |apdu: &[u8], mut r: Vec<u8>| {
            // GetEID, and the GET RESPONSE that fetches its answer.
            let get_eid = apdu.ends_with(&hex("BF3E035C015A"));
            let fetch = last_was_get_eid && apdu.get(1) == Some(&0xC0);
            last_was_get_eid = get_eid;
            if fetch && r.ends_with(&[0x90, 0x00]) {
                let n = r.len();
                r[n - 2..].copy_from_slice(&[0x6F, 0x00]);
            }
            r
        },
    };
    let report = run(broken, &Options::default());
    assert_eq!(failures(&report).len(), 1, "{}", report.table());
    let check = report.get("es10.get-eid").unwrap();
    assert_eq!(check.result(), "fail");
    assert_eq!(check.reference, "SGP.22 v2.5 §5.7.20");
    let detail = check.detail().unwrap();
    assert!(detail.starts_with("command GetEID (STORE DATA BF3E035C015A)"), "{detail}");
    assert!(detail.contains("expected 9000 and BF3E { 5A 16 bytes }"), "{detail}");
    assert!(detail.contains("got BF3E125A1089999001000010000000000000000038 6F00"), "{detail}");
    assert!(report.table().contains("1 failed"), "{}", report.table());
}

#[test]
fn a_card_that_drops_the_61xx_chain_fails_the_chaining_check() {
    // GET RESPONSE answers the first piece with 9000: the rest of the answer is lost.
    let broken = Broken {
        card: TestCard::new(1),
        corrupt: |apdu: &[u8], mut r: Vec<u8>| {
            if apdu.get(1) == Some(&0xC0) && r.len() >= 2 && r[r.len() - 2] == 0x61 {
                let n = r.len();
                r[n - 2..].copy_from_slice(&[0x90, 0x00]);
            }
            r
        },
    };
    let report = run(broken, &Options::default());
    let check = report.get("iso.get-response.chaining").unwrap();
    assert_eq!(check.result(), "fail", "{}", report.table());
    let detail = check.detail().unwrap();
    assert!(detail.contains("GetEUICCInfo2 (STORE DATA BF2200) without Le, then GET RESPONSE"), "{detail}");
    assert!(detail.contains("expected 61"), "{detail}");
    assert!(detail.contains("got ") && detail.ends_with(" 9000"), "{detail}");
}

#[test]
fn a_card_whose_enable_answers_an_error_fails_enable_and_skips_what_needs_it() {
    // EnableProfile's ok(0) becomes profileNotInDisabledState(2); the profile is enabled all the same.
    let broken = Broken {
        card: TestCard::new(1),
        corrupt: |_: &[u8], r: Vec<u8>| if r == hex("BF3103800100 9000") { hex("BF3103800102 9000") } else { r },
    };
    let report = run(broken, &Options { allow_changes: true, ..Options::default() });
    let enable = report.get("change.enable").unwrap();
    assert_eq!(enable.result(), "fail", "{}", report.table());
    assert_eq!(
        enable.detail().unwrap(),
        "command EnableProfile of the downloaded profile: expected enableResult ok(0), got result 2"
    );
    let disable = report.get("change.disable").unwrap();
    assert_eq!(disable.detail().as_deref(), Some("skipped: change.enable failed"));
    assert_eq!(report.get("change.notifications").unwrap().result(), "skip");
    // The profile is deleted all the same (disabled first: the card lists it enabled).
    assert_eq!(report.get("change.delete").unwrap().result(), "pass", "{}", report.table());
    assert_eq!(report.failed(), 1, "{}", report.table());
}

#[test]
fn garbage_answers_fail_checks_and_never_panic() {
    // Every answer replaced by something else: the suite reports, it does not panic.
    for garbage in [vec![], vec![0x90], vec![0x90, 0x00], vec![0x61, 0xFF], vec![0x6C, 0x05], hex("BF3E 9000")] {
        let g = garbage.clone();
        let broken = Broken { card: TestCard::new(1), corrupt: move |_: &[u8], _| g.clone() };
        let report = run(broken, &Options { allow_changes: true, ..Options::default() });
        assert!(report.failed() > 0, "{garbage:02X?}\n{}", report.table());
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(json["failed"].as_u64(), Some(report.failed() as u64));
    }
}

#[test]
fn json_has_every_check() {
    let mut card = TestCard::new(1);
    let report = run(&mut card, &Options::default());
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let checks = json["checks"].as_array().unwrap();
    assert_eq!(checks.len(), report.checks.len());
    for c in checks {
        for key in ["id", "title", "reference", "result"] {
            assert!(c[key].is_string(), "{c}");
        }
        assert!(c["detail"].is_null(), "{c}");
    }
    assert_eq!(json["passed"].as_u64(), Some(checks.len() as u64));
    assert_eq!((json["failed"].as_u64(), json["skipped"].as_u64()), (Some(0), Some(0)));
}

#[test]
fn cli_json_against_a_state_directory() {
    let dir = std::env::temp_dir().join(format!("veuicc-conformance-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let state = dir.to_str().unwrap();
    let (code, out, err) = veuicc(&["conformance", "--state", state, "--allow-changes", "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["failed"].as_u64(), Some(0), "{out}");
    assert_eq!(json["skipped"].as_u64(), Some(0), "{out}");
    assert!(json["passed"].as_u64().unwrap() >= 37, "{out}");
    // The table, and the card left without the test profile.
    let (code, table, _) = veuicc(&["conformance", "--state", state]);
    assert_eq!(code, 0, "{table}");
    assert!(table.contains("iso.select.unknown-aid"), "{table}");
    assert!(table.lines().last().unwrap().ends_with("0 failed, 0 skipped"), "{table}");
    let (code, profiles, _) = veuicc(&["profiles", "--state", state]);
    assert_eq!(code, 0);
    assert!(!profiles.contains("8900012345678901"), "{profiles}");
    // A card whose ISD-R is elsewhere fails the SELECT, and exits 1.
    let (code, out, _) = veuicc(&["conformance", "--isd-r-aid", "A0000005591010FFFFFFFF89000505", "--json"]);
    assert_eq!(code, 0, "the suite selects the AID it is given: {out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cli_reader_without_pcsc_says_how_to_build_it() {
    let (code, _, err) = veuicc(&["conformance", "--reader", "Some Reader 00 00"]);
    if cfg!(feature = "pcsc") {
        // Built with PC/SC: the reader is not there.
        assert_eq!(code, 2, "{err}");
        return;
    }
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--features pcsc"), "{err}");
}

/// An SGP.22 v3 card in each MEP mode passes the whole suite with changes: on MEP-A1 the
/// suite names eSIM port 1 after the card's `commandError(7)` for a port-less EnableProfile.
#[test]
fn every_mep_mode_passes_with_changes() {
    use veuicc::config::{Mep, MepMode, Sgp22Version};
    for mode in [MepMode::A1, MepMode::A2, MepMode::B] {
        let mut config = veuicc::testkit::default_config();
        config.sgp22 = Sgp22Version::V3_0;
        config.mep = Some(Mep { mode, ports: 2 });
        let mut card = TestCard::with_config(config, veuicc::store::MemStorage::new(), 1);
        let report = run(&mut card, &Options { allow_changes: true, ..Options::default() });
        assert_eq!(failures(&report), Vec::<String>::new(), "{mode:?}\n{}", report.table());
        assert_eq!(report.skipped(), 0, "{mode:?}\n{}", report.table());
    }
}
