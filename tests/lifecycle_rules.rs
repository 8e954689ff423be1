//! The lifecycle rules beyond plain enable/disable/delete: Test profiles (SGP.21
//! TPRO8/TPRO10: replace a PPR1 profile, remember it, fall back to it), `catBusy(5)`
//! (a pending proactive session, a BPP being loaded), the Rules Authorisation Table
//! against the profile owner, `dpProprietaryData` in GetProfilesInfo, SetNickname
//! under pySim's `8F`. Exact response bytes and the state after each command; a
//! power cut at every storage operation of the Test-profile paths.
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
use support::{card, es10, hex, install};

use veuicc::card::Card;
use veuicc::config::{OperatorMatch, RatRule};
use veuicc::store::{CardState, MemStorage, NotificationEvent, Owner, PPR1, ProfileClass, ProfileRecord, ProfileState};
use veuicc::testkit::lpa::{DownloadError, download, read_pir};
use veuicc::testkit::pki::default_pki;
use veuicc::testkit::smdp::{ProfileToInstall, TestSmdp};
use veuicc::testkit::tearing::{TearingPlatform, TearingStorage, tear_every_write};
use veuicc::testkit::{Es10Client, TestCard, default_config};

/// A: operational with PPR1, enabled. T: test. U: a second test profile.
/// O: operational. P: provisioning. All notify enable and disable.
const ICCID_A: &str = "98001032547698103214";
const ICCID_T: &str = "98001032547698103222";
const ICCID_U: &str = "98001032547698103233";
const ICCID_O: &str = "98001032547698103244";
const ICCID_P: &str = "98001032547698103255";
const AID_A: &str = "A0000005591010FFFFFFFF8900001000";

fn aid(slot: u8) -> Vec<u8> {
    let mut aid = hex(AID_A);
    aid[14] = slot;
    aid
}

fn profile(iccid: &str, slot: u8, state: ProfileState, class: ProfileClass, ppr: u8) -> ProfileRecord {
    support::profile_record(iccid, slot, state, class, ppr, 0b0110)
}

fn five_profiles() -> CardState {
    CardState {
        profiles: vec![
            profile(ICCID_A, 0x10, ProfileState::Enabled, ProfileClass::Operational, PPR1),
            profile(ICCID_T, 0x11, ProfileState::Disabled, ProfileClass::Test, 0),
            profile(ICCID_U, 0x12, ProfileState::Disabled, ProfileClass::Test, 0),
            profile(ICCID_O, 0x13, ProfileState::Disabled, ProfileClass::Operational, 0),
            profile(ICCID_P, 0x14, ProfileState::Disabled, ProfileClass::Provisioning, 0),
        ],
        ..CardState::default()
    }
}

fn enable(iccid: &str) -> String {
    format!("BF3111 A00C 5A0A{iccid} 810100")
}
fn disable(iccid: &str) -> String {
    format!("BF3211 A00C 5A0A{iccid} 810100")
}
fn delete(iccid: &str) -> String {
    format!("BF330C 5A0A{iccid}")
}

/// The enabled profiles' names.
fn enabled(card: &TestCard) -> Vec<String> {
    card.0
        .state()
        .profiles
        .iter()
        .filter(|p| p.state == ProfileState::Enabled)
        .map(|p| p.profile_name.clone())
        .collect()
}

/// (event, profile slot) of the pending notifications after `from` (exclusive).
fn events_since(card: &TestCard, from: u64) -> Vec<(NotificationEvent, String)> {
    card.0
        .state()
        .notifications
        .iter()
        .filter(|n| n.seq > from)
        .map(|n| (n.event, n.address.trim_end_matches(".example.com").to_string()))
        .collect()
}

fn fallback(card: &TestCard) -> Option<Vec<u8>> {
    card.0.state().config.test_fallback.as_ref().map(|a| a.to_vec())
}

const OK_ENABLE: &str = "BF3103800100";
const OK_DISABLE: &str = "BF3203800100";

#[test]
fn a_test_profile_replaces_a_ppr1_profile_and_falls_back_to_it() {
    let mut c = card(&five_profiles());
    // PPR1 on A forbids replacing it by an operational profile…
    assert_eq!(es10(&mut c, &enable(ICCID_O)), hex("BF3103800103"));
    // …but not by a Test profile (TPRO8). A disable, T enable; A remembered.
    assert_eq!(es10(&mut c, &enable(ICCID_T)), hex(OK_ENABLE));
    assert_eq!(enabled(&c), ["profile 11"]);
    assert_eq!(fallback(&c), Some(aid(0x10)));
    use NotificationEvent::{Disable, Enable};
    assert_eq!(events_since(&c, 0), [(Disable, "smdp10".into()), (Enable, "smdp11".into())]);
    // Only A may come back while T is enabled: O (operational) and P (provisioning) are
    // wrongProfileReenabling(4), and nothing changes.
    let before = c.0.state().clone();
    assert_eq!(es10(&mut c, &enable(ICCID_O)), hex("BF3103800104"));
    assert_eq!(es10(&mut c, &enable(ICCID_P)), hex("BF3103800104"));
    assert_eq!(*c.0.state(), before);
    // The fall-back survives a power cycle.
    c.0.power_off();
    c.0.power_on().unwrap();
    assert_eq!(fallback(&c), Some(aid(0x10)));
    // Another Test profile may replace T; A stays remembered.
    assert_eq!(es10(&mut c, &enable(ICCID_U)), hex(OK_ENABLE));
    assert_eq!(enabled(&c), ["profile 12"]);
    assert_eq!(fallback(&c), Some(aid(0x10)));
    // Disabling the Test profile re-enables A (TPRO10): U's disable, then A's enable; A forgotten.
    assert_eq!(es10(&mut c, &disable(ICCID_U)), hex(OK_DISABLE));
    assert_eq!(enabled(&c), ["profile 10"]);
    assert_eq!(fallback(&c), None);
    assert_eq!(
        events_since(&c, 2),
        [(Disable, "smdp11".into()), (Enable, "smdp12".into()), (Disable, "smdp12".into()), (Enable, "smdp10".into())]
    );
    // A (PPR1) is protected again.
    assert_eq!(es10(&mut c, &enable(ICCID_O)), hex("BF3103800103"));
    assert_eq!(es10(&mut c, &disable(ICCID_A)), hex("BF3203800103"));
}

#[test]
fn enabling_the_remembered_profile_ends_the_test() {
    let mut c = card(&five_profiles());
    es10(&mut c, &enable(ICCID_T));
    assert_eq!(es10(&mut c, &enable(ICCID_A)), hex(OK_ENABLE), "the remembered one: ok");
    assert_eq!(enabled(&c), ["profile 10"]);
    assert_eq!(fallback(&c), None);
    use NotificationEvent::{Disable, Enable};
    assert_eq!(events_since(&c, 2), [(Disable, "smdp11".into()), (Enable, "smdp10".into())]);
}

#[test]
fn a_test_profile_enabled_from_nothing_remembers_nothing() {
    let mut state = five_profiles();
    state.profiles[0].state = ProfileState::Disabled;
    let mut c = card(&state);
    assert_eq!(es10(&mut c, &enable(ICCID_T)), hex(OK_ENABLE));
    assert_eq!(fallback(&c), None);
    // Nothing to fall back to: disabling T leaves no profile enabled …
    assert_eq!(es10(&mut c, &disable(ICCID_T)), hex(OK_DISABLE));
    assert!(enabled(&c).is_empty());
    // … and with nothing remembered any profile may replace a Test profile.
    es10(&mut c, &enable(ICCID_T));
    assert_eq!(es10(&mut c, &enable(ICCID_O)), hex(OK_ENABLE));
    assert_eq!(enabled(&c), ["profile 13"]);
    // A provisioning profile is remembered like an operational one.
    es10(&mut c, &enable(ICCID_P));
    es10(&mut c, &enable(ICCID_T));
    assert_eq!(fallback(&c), Some(aid(0x14)));
    assert_eq!(es10(&mut c, &disable(ICCID_T)), hex(OK_DISABLE));
    assert_eq!(enabled(&c), ["profile 14"]);
}

#[test]
fn deleting_or_resetting_forgets_the_fallback() {
    // Deleting the remembered profile (it is disabled and has no PPR2).
    let mut c = card(&five_profiles());
    es10(&mut c, &enable(ICCID_T));
    assert_eq!(es10(&mut c, &delete(ICCID_A)), hex("BF3303800100"));
    assert_eq!(fallback(&c), None);
    assert_eq!(es10(&mut c, &disable(ICCID_T)), hex(OK_DISABLE));
    assert!(enabled(&c).is_empty(), "nothing to re-enable");
    // A memory reset of the operational profiles deletes A: forgotten, T stays enabled.
    let mut c = card(&five_profiles());
    es10(&mut c, &enable(ICCID_T));
    assert_eq!(es10(&mut c, "BF3404 8202 0780"), hex("BF3403800100"));
    assert_eq!(fallback(&c), None);
    assert_eq!(enabled(&c), ["profile 11"]);
    // A memory reset of the test profiles deletes T: forgotten, and A is not re-enabled.
    let mut c = card(&five_profiles());
    es10(&mut c, &enable(ICCID_T));
    assert_eq!(es10(&mut c, "BF3404 8202 0640"), hex("BF3403800100"));
    assert_eq!(fallback(&c), None);
    assert!(enabled(&c).is_empty());
    // Resetting only the default SM-DP+ address keeps it.
    let mut c = card(&five_profiles());
    es10(&mut c, &enable(ICCID_T));
    es10(&mut c, "BF3F12 8010 736D64702E6578616D706C652E636F6D");
    assert_eq!(es10(&mut c, "BF3404 8202 0520"), hex("BF3403800100"));
    assert_eq!(fallback(&c), Some(aid(0x10)));
}

#[test]
fn cat_busy_hook() {
    let mut c = card(&five_profiles());
    let before = c.0.state().clone();
    c.0.set_cat_busy(true);
    assert_eq!(es10(&mut c, &enable(ICCID_T)), hex("BF3103800105"));
    assert_eq!(es10(&mut c, &disable(ICCID_A)), hex("BF3203800105"));
    assert_eq!(es10(&mut c, "BF3404 8202 05E0"), hex("BF3403800105"));
    assert_eq!(*c.0.state(), before, "nothing changed");
    assert!(!c.0.take_refresh_request());
    // DeleteProfile has no catBusy: a proactive session does not stop it.
    assert_eq!(es10(&mut c, &delete(ICCID_O)), hex("BF3303800100"));
    c.0.set_cat_busy(false);
    assert_eq!(es10(&mut c, &enable(ICCID_T)), hex(OK_ENABLE));
    // A reset ends the proactive session.
    c.0.set_cat_busy(true);
    c.reset();
    assert_eq!(es10(&mut c, &disable(ICCID_T)), hex(OK_DISABLE));
}

#[test]
fn lifecycle_commands_while_a_bpp_is_loading() {
    let mut c = card(&five_profiles());
    let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 2);
    let profile = ProfileToInstall::sample(hex("98001032547698103266").try_into().unwrap(), 3000);
    let mut lpa = Es10Client::open(&mut c).unwrap();
    let challenge = lpa.get_euicc_challenge().unwrap();
    let response = lpa.store_data(&smdp.initiate_authentication(challenge, None)).unwrap();
    let response = lpa.store_data(&smdp.authenticate_client(&response).unwrap()).unwrap();
    let bpp = smdp.get_bound_profile_package(&response, &profile).unwrap();
    let commands = bpp.lpac_commands();
    for command in &commands[..3] {
        assert_eq!(lpa.store_data(command).unwrap(), Vec::<u8>::new());
    }
    // Loading: Enable, Disable, MemoryReset are catBusy(5); Delete undefinedError(127).
    let mut ask = |der: &str| lpa.store_data(&hex(der)).unwrap();
    assert_eq!(ask(&enable(ICCID_T)), hex("BF3103800105"));
    assert_eq!(ask(&disable(ICCID_A)), hex("BF3203800105"));
    assert_eq!(ask("BF3404 8202 05E0"), hex("BF3403800105"));
    assert_eq!(ask(&delete(ICCID_O)), hex("BF330380017F"));
    // Reading is fine.
    assert_eq!(ask(&format!("BF2D12 A00C5A0A{ICCID_A} 5C029F70")), hex("BF2D08 A006 E304 9F700101"));
    // The load goes on undisturbed and installs.
    let mut pir = Vec::new();
    for command in &commands[3..] {
        pir = lpa.store_data(command).unwrap();
    }
    assert!(read_pir(&pir).is_ok());
    // Idle again: the commands work.
    assert_eq!(lpa.store_data(&hex(&delete(ICCID_O))).unwrap(), hex("BF3303800100"));
    lpa.close().unwrap();
    assert_eq!(c.0.state().profiles.len(), 5, "one installed, one deleted");
    assert_eq!(enabled(&c), ["profile 10"]);
}

#[test]
fn set_nickname_under_8f_or_90() {
    let mut c = card(&five_profiles());
    // pySim: 8F.
    assert_eq!(es10(&mut c, &format!("BF2912 5A0A{ICCID_T} 8F04776F726B")), hex("BF2903800100"));
    assert_eq!(c.0.state().profiles[1].nickname.as_deref(), Some("work"));
    // The ASN.1: 90.
    assert_eq!(es10(&mut c, &format!("BF2912 5A0A{ICCID_T} 9004686F6D65")), hex("BF2903800100"));
    assert_eq!(c.0.state().profiles[1].nickname.as_deref(), Some("home"));
    assert_eq!(es10(&mut c, "BF2912 5A0A98001032547698109999 8F04776F726B"), hex("BF2903800101"));
    // Both or neither: malformed (6A80), nothing changes.
    let before = c.0.state().clone();
    for der in [format!("BF2918 5A0A{ICCID_T} 8F0161 9004686F6D65"), format!("BF290C 5A0A{ICCID_T}")] {
        let mut lpa = Es10Client::open(&mut c).unwrap();
        assert_eq!(lpa.store_data(&hex(&der)), Err(veuicc::testkit::ClientError::Status(0x6A80)), "{der}");
        lpa.close().unwrap();
    }
    assert_eq!(*c.0.state(), before);
}

#[test]
fn dp_proprietary_data_in_profiles_info() {
    let mut state = five_profiles();
    // DpProprietaryData { dpOid 1.2.3 } (automatic tag [0])
    state.profiles[1].dp_proprietary_data = Some(hex("3004 80022A03").into());
    let mut c = card(&state);
    assert_eq!(
        es10(&mut c, &format!("BF2D12 A00C5A0A{ICCID_T} 5C02B899")),
        hex("BF2D0D A00B E309 B804 80022A03 990100"),
        "B8 (implicit [24] on the SEQUENCE) before 99"
    );
    assert_eq!(es10(&mut c, &format!("BF2D11 A00C5A0A{ICCID_A} 5C01B8")), hex("BF2D04 A002 E300"), "none stored");
    // Not part of the default tag set.
    let all = es10(&mut c, &format!("BF2D0E A00C5A0A{ICCID_T}"));
    assert!(!all.windows(2).any(|w| w == [0xB8, 0x04]), "{all:02X?}");
}

// ------------------------------------------------------------------ RAT at install

fn with_pprs(ppr: &[usize], owner: Option<&str>, gid1: Option<&str>) -> ProfileToInstall {
    let mut profile = ProfileToInstall::sample(hex("98001032547698103266").try_into().unwrap(), 2000);
    let mut bits = rasn::types::BitString::repeat(false, 3);
    for &b in ppr {
        bits.set(b, true);
    }
    profile.metadata.profile_policy_rules = Some(bits);
    profile.metadata.profile_owner = owner.map(|o| veuicc::asn1::rsp::OperatorId {
        mcc_mnc: rasn::types::FixedOctetString::try_from(hex(o)).unwrap(),
        gid1: gid1.map(|g| hex(g).into()),
        gid2: None,
    });
    profile
}

fn install_with(rat: Option<Vec<RatRule>>, profile: &ProfileToInstall) -> (Result<u8, DownloadError>, TestCard) {
    let mut config = default_config();
    if let Some(rat) = rat {
        config.rat = rat;
    }
    let mut card = TestCard::with_config(config, MemStorage::new(), 1);
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let result = download(&mut lpa, &mut TestSmdp::new(default_pki(), "smdp.example.com", 2), profile);
    lpa.close().unwrap();
    let ppr = card.0.state().profiles.first().map(|p| p.ppr);
    (result.map(|_| ppr.unwrap()), card)
}

const NOT_ALLOWED: DownloadError = DownloadError::Install { command: 2, reason: 15 };

#[test]
fn the_rat_decides_which_pprs_a_profile_owner_may_set() {
    // Default RAT: PPR1 and PPR2 for every operator — but only with a profile owner.
    assert_eq!(install_with(None, &with_pprs(&[1, 2], Some("00F110"), None)).0, Ok(0b110));
    assert_eq!(install_with(None, &with_pprs(&[1], Some("62F210"), Some("AB"))).0, Ok(0b010));
    let (result, card) = install_with(None, &with_pprs(&[1], None, None));
    assert_eq!(result, Err(NOT_ALLOWED), "PPR without profileOwner");
    assert!(card.0.state().profiles.is_empty());
    assert_eq!(card.0.state().notifications.len(), 1, "only the PIR");
    // No PPR needs no owner and no rule.
    assert_eq!(install_with(Some(vec![]), &with_pprs(&[], None, None)).0, Ok(0));
    // pprUpdateControl is not a policy rule.
    assert_eq!(install_with(Some(vec![]), &with_pprs(&[0], None, None)).0, Ok(0b001));
    // Empty RAT: no PPR allowed.
    assert_eq!(install_with(Some(vec![]), &with_pprs(&[2], Some("00F110"), None)).0, Err(NOT_ALLOWED));
    // PPR1 for MCC 001 (any MNC) with GID1 AB; PPR2 for MCC 262 MNC 01 only.
    let rat = vec![
        RatRule {
            ppr_ids: PPR1,
            allowed_operators: vec![OperatorMatch { mcc_mnc: [0x00, 0xE1, 0xEE], gid1: Some(vec![0xAB]), gid2: None }],
            consent_required: true,
        },
        RatRule {
            ppr_ids: 1 << 2,
            allowed_operators: vec![OperatorMatch { mcc_mnc: [0x62, 0xF2, 0x10], gid1: None, gid2: None }],
            consent_required: false,
        },
    ];
    let rat = || Some(rat.clone());
    assert_eq!(install_with(rat(), &with_pprs(&[1], Some("00F110"), Some("AB"))).0, Ok(0b010));
    assert_eq!(install_with(rat(), &with_pprs(&[1], Some("00F199"), Some("AB"))).0, Ok(0b010), "any MNC");
    assert_eq!(install_with(rat(), &with_pprs(&[1], Some("00F110"), None)).0, Err(NOT_ALLOWED), "GID1 missing");
    assert_eq!(install_with(rat(), &with_pprs(&[1], Some("00F110"), Some("AC"))).0, Err(NOT_ALLOWED), "GID1");
    assert_eq!(install_with(rat(), &with_pprs(&[1], Some("62F210"), Some("AB"))).0, Err(NOT_ALLOWED), "MCC");
    assert_eq!(install_with(rat(), &with_pprs(&[2], Some("62F210"), None)).0, Ok(0b100));
    // Each PPR needs its own rule: MCC 262 may not set PPR1.
    assert_eq!(install_with(rat(), &with_pprs(&[1, 2], Some("62F210"), None)).0, Err(NOT_ALLOWED));
    // The profile owner is kept and reported.
    let (_, mut card) = install_with(None, &with_pprs(&[1], Some("00F110"), Some("AB")));
    assert_eq!(
        card.0.state().profiles[0].owner,
        Some(Owner { mcc_mnc: hex("00F110").into(), gid1: Some(hex("AB").into()), gid2: None })
    );
    assert_eq!(es10(&mut card, "BF2D04 5C02B799"), hex("BF2D12 A010 E30E B708 800300F110 8101AB 99020640"));
}

// ------------------------------------------------------------------ power cuts

fn run(ders: Vec<String>) -> impl Fn(&mut Card<TearingPlatform>) {
    move |card| {
        if let Ok(mut lpa) = Es10Client::open(&mut *card) {
            for der in &ders {
                let _ = lpa.store_data(&hex(der));
            }
        }
    }
}

#[test]
fn test_profile_switches_survive_every_cut() {
    let config = default_config();
    let mut test_enabled = five_profiles();
    test_enabled.profiles[0].state = ProfileState::Disabled;
    test_enabled.profiles[1].state = ProfileState::Enabled;
    test_enabled.config.test_fallback = Some(aid(0x10).into());
    let cases: Vec<(&str, CardState, String)> = vec![
        ("enable Test over PPR1 (remember, two notifications)", five_profiles(), enable(ICCID_T)),
        ("disable Test (fall back, two notifications, forget)", test_enabled.clone(), disable(ICCID_T)),
        ("enable the remembered profile", test_enabled.clone(), enable(ICCID_A)),
        ("delete the remembered profile", test_enabled, delete(ICCID_A)),
    ];
    for (name, state, der) in cases {
        let mut storage = TearingStorage::new();
        install(&mut storage, &state);
        storage.power_up();
        let report = tear_every_write(&config, &storage, run(vec![der])).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(report.landed > 0, "{name}: {report:?}");
    }
}
