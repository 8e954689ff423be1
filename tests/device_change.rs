//! SGP.22 v3 Device Change between two cards (two identities) through the test SM-DP+ and the
//! in-process LPA driver (`testkit::lpa::device_change`): the old card ends without the profile
//! and with its Delete Notification for Device Change queued (checked by an independent
//! verifier, Python `cryptography`), the new card with the same profile (the same IMSI read
//! through its SIM); refusals (no deviceChangeConfiguration, an unknown ICCID, forged and
//! replayed smdpSigned4/5, a forged delete notification); power cuts at every write of both
//! cards' steps; a v2.5 card answering BF4D/BF4B as any unknown tag.
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

use std::process::Command;
use support::{es10_sw, hex, hexs, tx};
use veuicc::asn1::dc::{DeviceChangeConfiguration, RequestToDp};
use veuicc::asn1::rsp::{ProfileIdentifier, ProfileInfoListRequest, ProfileInfoListResult};
use veuicc::config::Sgp22Version;
use veuicc::store::CardState;
use veuicc::store::MemStorage;
use veuicc::testkit::lpa::{
    DownloadError, delete_notification_for_dc, device_change, download, install_moved_profile, prepare_device_change,
    verify_device_change,
};
use veuicc::testkit::pki::{default_identity, default_pki};
use veuicc::testkit::saip::{TestProfile, encode_imsi};
use veuicc::testkit::smdp::{ProfileToInstall, TestSmdp};
use veuicc::testkit::tearing::{TearingStorage, card_on, tear_every_write, tear_every_write_allowing};
use veuicc::testkit::{DetRng, Es10Client, ManualClock, TestCard, default_config};

/// The profile that moves (it has a deviceChangeConfiguration).
const P: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x61];
/// A profile without deviceChangeConfiguration.
const Q: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x62];
/// On no card.
const UNKNOWN: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x69];

fn v3(config: veuicc::CardConfig) -> veuicc::CardConfig {
    veuicc::CardConfig { sgp22: Sgp22Version::V3_0, ..config }
}

fn dc_config() -> DeviceChangeConfiguration {
    DeviceChangeConfiguration::RequestToDp(RequestToDp {
        smdp_address_for_dc: "smdp.example.com".into(),
        allowed_ci_pkid: None,
        eid_required: None,
        tac_required: None,
    })
}

fn test_profile(iccid: [u8; 10]) -> TestProfile {
    TestProfile::new(iccid)
}

fn profile(iccid: [u8; 10], movable: bool) -> ProfileToInstall {
    let mut p = ProfileToInstall::from_package(test_profile(iccid).to_der()).unwrap();
    if movable {
        p.metadata.device_change_configuration = Some(rasn::types::Any::new(rasn::der::encode(&dc_config()).unwrap()));
    }
    p
}

fn smdp(seed: u64) -> TestSmdp {
    let mut s = TestSmdp::new(default_pki(), "smdp.example.com", seed);
    s.sgp22 = Sgp22Version::V3_0;
    s
}

/// The old card: the default identity, v3, P and Q installed (disabled).
fn old_card() -> TestCard {
    let mut card = TestCard::with_config(v3(default_config()), MemStorage::new(), 7);
    let mut s = smdp(3);
    let mut lpa = Es10Client::open(&mut card).unwrap();
    download(&mut lpa, &mut s, &profile(P, true)).unwrap();
    download(&mut lpa, &mut s, &profile(Q, false)).unwrap();
    lpa.close().unwrap();
    card
}

/// The second identity: generated card 5 of the test PKI (its own CERT.EUICC and EID).
fn second_identity() -> std::sync::Arc<veuicc::identity::Identity> {
    let pki = default_pki();
    let (issued, _) = pki.issue_card(5, 0x005E_C04D).unwrap();
    std::sync::Arc::new(pki.card_identity(&issued, &veuicc::crypto::RUST_CRYPTO).unwrap())
}

/// The new card: the second identity, v3, empty.
fn new_card() -> TestCard {
    let identity = second_identity();
    let platform =
        veuicc::platform::Parts { storage: MemStorage::new(), rng: DetRng::new(8), clock: ManualClock::default() };
    TestCard(veuicc::Card::with_identity(v3(identity.card_config()), identity, platform).unwrap())
}

fn iccids(card: &mut TestCard) -> Vec<Vec<u8>> {
    let mut lpa = Es10Client::open(&mut *card).unwrap();
    let r = lpa.get_profiles_info(&ProfileInfoListRequest::default()).unwrap();
    lpa.close().unwrap();
    match r.0 {
        ProfileInfoListResult::ProfileInfoListOk(list) => {
            list.iter().filter_map(|p| p.iccid.as_ref().map(|i| i.to_vec())).collect()
        }
        ProfileInfoListResult::ProfileInfoListError(e) => panic!("error {e}"),
    }
}

/// Python `cryptography`: `raw` (`r ‖ s`) is an ECDSA-SHA256 signature over `data` by `cert`.
fn python_verifies(cert: &[u8], data: &[u8], raw: &[u8]) -> bool {
    let script = "import sys\n\
        from cryptography import x509\n\
        from cryptography.hazmat.primitives import hashes\n\
        from cryptography.hazmat.primitives.asymmetric import ec, utils\n\
        cert = x509.load_der_x509_certificate(bytes.fromhex(sys.argv[1]))\n\
        s = bytes.fromhex(sys.argv[3])\n\
        der = utils.encode_dss_signature(int.from_bytes(s[:32], 'big'), int.from_bytes(s[32:], 'big'))\n\
        try:\n    cert.public_key().verify(der, bytes.fromhex(sys.argv[2]), ec.ECDSA(hashes.SHA256()))\n    print('ok')\n\
        except Exception:\n    print('bad')\n";
    let have = Command::new("python3").args(["-c", "import cryptography"]).status().is_ok_and(|s| s.success());
    if !have {
        assert!(std::env::var("CI").is_err(), "python3 with cryptography is required in CI");
        eprintln!("skipped: python3 -m pip install cryptography for the independent verifier");
        return true;
    }
    let out = Command::new("python3").args(["-c", script, &hexs(cert), &hexs(data), &hexs(raw)]).output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(said == "ok" || said == "bad", "verifier failed: {}", String::from_utf8_lossy(&out.stderr));
    said == "ok"
}

fn ok(card: &mut TestCard, apdu: &str) -> Vec<u8> {
    let (data, sw) = tx(card, apdu);
    assert_eq!(sw, 0x9000, "{apdu}: {sw:04X}");
    data
}

/// EF.IMSI of the enabled profile, read through the SIM (PIN1 0000 first).
fn read_imsi(card: &mut TestCard) -> Vec<u8> {
    card.reset();
    ok(card, "00A4000C022F00");
    let rec = ok(card, "00B2010400");
    let aid = rec[4..4 + rec[3] as usize].to_vec();
    ok(card, &format!("00A40404 {:02X} {} 00", aid.len(), hexs(&aid)));
    ok(card, "00A4000C026F07");
    ok(card, "0020000108 30303030FFFFFFFF");
    ok(card, "00B0000009")
}

#[test]
fn a_profile_moves_to_the_new_card_and_is_deleted_on_the_old_one() {
    let mut old = old_card();
    let mut new = new_card();
    // GetProfilesInfo reports the configuration (tagList BF20) on the v3 card.
    let mut lpa = Es10Client::open(&mut old).unwrap();
    let out = lpa.store_data(&hex(&format!("BF2D12 A00C 5A0A{} 5C02BF20", hexs(&P)))).unwrap();
    lpa.close().unwrap();
    let config = rasn::der::encode(&dc_config()).unwrap();
    assert!(hexs(&out).contains(&format!("BF20{:02X}{}", config.len(), hexs(&config))), "{}", hexs(&out));

    let mut s = smdp(11);
    let mut old_lpa = Es10Client::open(&mut old).unwrap();
    let mut new_lpa = Es10Client::open(&mut new).unwrap();
    let run = device_change(&mut old_lpa, &mut new_lpa, &mut s, &profile(P, true)).unwrap();
    old_lpa.close().unwrap();
    new_lpa.close().unwrap();
    assert_eq!(run.data.iccid.to_vec(), P.to_vec());
    assert!(run.data.delete_old_profile.is_some());

    // The old card: without P, Q kept; its delete notification queued, signed by CERT.EUICC.
    assert_eq!(iccids(&mut old), vec![Q.to_vec()]);
    let mut lpa = Es10Client::open(&mut old).unwrap();
    let queued = delete_notification_for_dc(&mut lpa, &P).unwrap().expect("queued");
    lpa.close().unwrap();
    assert_eq!(queued, run.delete_notification);
    assert_eq!(queued.notification_metadata.notification_address.as_str(), "smdp.example.com");
    let tbs = rasn::der::encode(&queued.notification_metadata).unwrap();
    assert!(python_verifies(default_identity().euicc_cert(), &tbs, &queued.euicc_notification_signature));
    assert!(!python_verifies(second_identity().euicc_cert(), &tbs, &queued.euicc_notification_signature));

    // The new card: P, enabled, the same IMSI through its SIM.
    assert_eq!(iccids(&mut new), vec![P.to_vec()]);
    let mut lpa = Es10Client::open(&mut new).unwrap();
    assert_eq!(lpa.enable_profile(ProfileIdentifier::Iccid(P.to_vec().into()), false).unwrap(), 0.into());
    lpa.close().unwrap();
    assert_eq!(read_imsi(&mut new), encode_imsi(&test_profile(P).imsi));
    // The SM-DP+ released it once: a second install is refused.
    let mut lpa = Es10Client::open(&mut new).unwrap();
    assert!(install_moved_profile(&mut lpa, &mut s, &queued, &profile(P, true)).is_err());
}

#[test]
fn authenticate_server_refuses_a_profile_that_may_not_move() {
    let mut old = old_card();
    for iccid in [Q, UNKNOWN] {
        let mut lpa = Es10Client::open(&mut old).unwrap();
        let r = prepare_device_change(&mut lpa, &mut smdp(12), &iccid);
        assert!(matches!(r, Err(DownloadError::Authenticate(14))), "{iccid:02X?}: {r:?}");
        lpa.close().unwrap();
    }
    assert_eq!(iccids(&mut old), vec![P.to_vec(), Q.to_vec()]);
}

/// Flips bit 0 of the last byte of the `5F37` signature inside `der` (which ends with it).
fn forge_last_signature(der: &[u8]) -> Vec<u8> {
    let mut forged = der.to_vec();
    let n = forged.len();
    forged[n - 1] ^= 1;
    forged
}

#[test]
fn forged_and_replayed_smdp_signed4_and_5_are_refused() {
    let mut old = old_card();
    // PrepareDeviceChange with a forged smdpSignature4: invalidSignature(2).
    let mut s = smdp(13);
    let mut lpa = Es10Client::open(&mut old).unwrap();
    let challenge = lpa.get_euicc_challenge().unwrap();
    let info1 = lpa.get_euicc_info1().unwrap();
    s.initiate_device_change(&P);
    let auth = lpa.store_data(&s.initiate_authentication_for(challenge, None, Some(&info1))).unwrap();
    let prepare = s.authenticate_client_device_change(&auth).unwrap();
    // PrepareDeviceChangeRequest ends with its smdpSignature4 (no hashCc).
    let out = lpa.store_data(&forge_last_signature(&prepare)).unwrap();
    assert_eq!(hexs(&out[out.len() - 3..]), "020102", "{}", hexs(&out));
    // The refusal ended the session: the genuine request now has none: noSession(4).
    let out = lpa.store_data(&prepare).unwrap();
    assert_eq!(hexs(&out[out.len() - 3..]), "020104", "{}", hexs(&out));
    lpa.close().unwrap();

    // A genuine session, then a forged smdpSignature5: invalidSignature(2), P still there.
    let mut s = smdp(14);
    let mut lpa = Es10Client::open(&mut old).unwrap();
    let verify = prepare_device_change(&mut lpa, &mut s, &P).unwrap();
    let r = verify_device_change(&mut lpa, &forge_last_signature(&verify));
    assert!(matches!(r, Err(DownloadError::VerifyDeviceChange(2))), "{r:?}");
    lpa.close().unwrap();
    assert_eq!(iccids(&mut old), vec![P.to_vec(), Q.to_vec()]);

    // Replays into a new session: the old smdpSigned4 names another transaction (5), the old
    // smdpSigned5 finds nothing prepared (4), then another transaction (5).
    let mut s2 = smdp(15);
    let mut lpa = Es10Client::open(&mut old).unwrap();
    let challenge = lpa.get_euicc_challenge().unwrap();
    let info1 = lpa.get_euicc_info1().unwrap();
    s2.initiate_device_change(&P);
    let auth = lpa.store_data(&s2.initiate_authentication_for(challenge, None, Some(&info1))).unwrap();
    let fresh = s2.authenticate_client_device_change(&auth).unwrap();
    let out = lpa.store_data(&prepare).unwrap();
    assert_eq!(hexs(&out[out.len() - 3..]), "020105", "{}", hexs(&out));
    let r = verify_device_change(&mut lpa, &verify);
    assert!(matches!(r, Err(DownloadError::VerifyDeviceChange(4))), "{r:?}");
    lpa.close().unwrap();
    let mut lpa = Es10Client::open(&mut old).unwrap();
    let verify2 = prepare_device_change(&mut lpa, &mut s2, &P).unwrap();
    let r = verify_device_change(&mut lpa, &verify);
    assert!(matches!(r, Err(DownloadError::VerifyDeviceChange(5) | DownloadError::VerifyDeviceChange(2))), "{r:?}");
    lpa.close().unwrap();
    let _ = (fresh, verify2);
    assert_eq!(iccids(&mut old), vec![P.to_vec(), Q.to_vec()]);
}

#[test]
fn the_new_card_gets_the_profile_only_with_the_old_cards_delete_notification() {
    let mut old = old_card();
    let mut s = smdp(16);
    let mut lpa = Es10Client::open(&mut old).unwrap();
    let verify = prepare_device_change(&mut lpa, &mut s, &P).unwrap();
    lpa.close().unwrap();
    // Not yet deleted: no notification; a forged one (another card's signature) is refused.
    let mut lpa = Es10Client::open(&mut old).unwrap();
    assert_eq!(delete_notification_for_dc(&mut lpa, &P).unwrap(), None);
    let data = verify_device_change(&mut lpa, &verify).unwrap();
    assert_eq!(data.iccid.to_vec(), P.to_vec());
    let mut notification = delete_notification_for_dc(&mut lpa, &P).unwrap().unwrap();
    lpa.close().unwrap();
    notification.euicc_notification_signature = forge_last_signature(&notification.euicc_notification_signature).into();
    let mut new = new_card();
    let mut lpa = Es10Client::open(&mut new).unwrap();
    assert!(install_moved_profile(&mut lpa, &mut s, &notification, &profile(P, true)).is_err());
    lpa.close().unwrap();
    assert!(iccids(&mut new).is_empty());
}

#[test]
fn v2_5_cards_answer_the_device_change_tags_as_unknown_ones() {
    let mut card = TestCard::new(1);
    let unknown = es10_sw(&mut card, "BF4E00");
    assert_eq!(es10_sw(&mut card, "BF4D00"), unknown);
    assert_eq!(es10_sw(&mut card, "BF4B00"), unknown);
    let mut card = TestCard::with_config(v3(default_config()), MemStorage::new(), 1);
    // A v3 card knows them: an empty one is malformed, not unknown.
    assert_ne!(es10_sw(&mut card, "BF4D00"), es10_sw(&mut card, "BF4E00"));
}

/// The old card's completion step under a power cut at every storage write: VerifyDeviceChange
/// deletes the profile and queues its notification in one commit, so after any cut the card
/// holds the profile (no notification: the SM-DP+ releases nothing, the change is retried) or
/// has deleted it with the notification (the new card may install it).
#[test]
fn power_cuts_on_the_old_card_leave_the_profile_on_exactly_one_card() {
    let config = v3(default_config());
    let mut card = card_on(&config, TearingStorage::new()).unwrap();
    let mut s = smdp(3);
    let mut lpa = Es10Client::open(&mut card).unwrap();
    download(&mut lpa, &mut s, &profile(P, true)).unwrap();
    download(&mut lpa, &mut s, &profile(Q, false)).unwrap();
    lpa.close().unwrap();
    let mut initial = card.into_platform().storage;
    initial.power_up();
    let op = |card: &mut veuicc::Card<veuicc::testkit::tearing::TearingPlatform>| {
        let mut s = smdp(17);
        let Ok(mut lpa) = Es10Client::open(&mut *card) else { return };
        let Ok(verify) = prepare_device_change(&mut lpa, &mut s, &P) else { return };
        let _ = verify_device_change(&mut lpa, &verify);
    };
    let report = tear_every_write(&config, &initial, op).unwrap();
    assert!(report.cut_points > 0 && report.landed > 0, "{report:?}");
}

/// The new card's install under a power cut at every storage write: an ordinary download,
/// atomic — the profile is installed or absent (then the released download is retried).
#[test]
fn power_cuts_on_the_new_card_leave_the_install_all_or_nothing() {
    let config = v3(default_config());
    let op = |card: &mut veuicc::Card<veuicc::testkit::tearing::TearingPlatform>| {
        let mut s = smdp(18);
        let Ok(mut lpa) = Es10Client::open(&mut *card) else { return };
        let _ = download(&mut lpa, &mut s, &profile(P, true));
    };
    // A cut after InitialiseSecureChannel's commit leaves the state before plus the note that a
    // load is under way (the harness then checks the card answers and a retry works).
    let load_started = |before: &CardState, state: &CardState| {
        state.install.is_some() && CardState { install: None, ..state.clone() } == *before
    };
    let report = tear_every_write_allowing(&config, &TearingStorage::new(), op, load_started).unwrap();
    assert!(report.cut_points > 0 && report.landed > 0, "{report:?}");
}

/// Whether `card` holds profile `iccid`.
fn holds<T: veuicc::testkit::Transport>(card: &mut T, iccid: &[u8]) -> bool {
    let mut lpa = Es10Client::open(&mut *card).unwrap();
    let r = lpa.get_profiles_info(&ProfileInfoListRequest::default()).unwrap();
    lpa.close().unwrap();
    match r.0 {
        ProfileInfoListResult::ProfileInfoListOk(list) => {
            list.iter().any(|p| p.iccid.as_ref().is_some_and(|i| i.as_slice() == iccid))
        }
        ProfileInfoListResult::ProfileInfoListError(e) => panic!("error {e}"),
    }
}

/// The whole change with a power cut at every storage write of the old card's steps (the SM-DP+
/// keeps its orders across the cut, as a server does): after the cut the profile is on the old
/// card or (deleted, its notification queued) released to the new one — never on both; the LPA
/// then finishes (the released install, or the whole change again) and the profile is on
/// exactly one card, the new one.
#[test]
fn a_change_cut_anywhere_on_the_old_card_ends_with_the_profile_on_exactly_one_card() {
    let config = v3(default_config());
    let mut card = card_on(&config, TearingStorage::new()).unwrap();
    let mut s = smdp(3);
    let mut lpa = Es10Client::open(&mut card).unwrap();
    download(&mut lpa, &mut s, &profile(P, true)).unwrap();
    lpa.close().unwrap();
    let mut initial = card.into_platform().storage;
    initial.power_up();
    // The uninterrupted steps: how many storage operations they take.
    let steps = |card: &mut veuicc::Card<veuicc::testkit::tearing::TearingPlatform>, s: &mut TestSmdp| {
        let Ok(mut lpa) = Es10Client::open(&mut *card) else { return };
        let Ok(verify) = prepare_device_change(&mut lpa, s, &P) else { return };
        let _ = verify_device_change(&mut lpa, &verify);
    };
    let mut card = card_on(&config, initial.clone()).unwrap();
    steps(&mut card, &mut smdp(19));
    let ops = card.platform_mut().storage.ops();
    assert!(ops > 0);
    let mut deleted_first = 0;
    for at_op in 0..ops {
        for torn in [false, true] {
            let mut storage = initial.clone();
            storage.cut(veuicc::testkit::tearing::Cut { at_op, torn, reorder_seed: None });
            let mut s = smdp(19);
            let mut old = card_on(&config, storage).unwrap();
            steps(&mut old, &mut s);
            let mut storage = old.into_platform().storage;
            assert!(storage.lost_power(), "cut {at_op}");
            storage.power_up();
            let mut old = card_on(&config, storage).unwrap();
            let mut new = new_card();
            let on_old = holds(&mut old, &P);
            let mut lpa = Es10Client::open(&mut old).unwrap();
            let notification = delete_notification_for_dc(&mut lpa, &P).unwrap();
            lpa.close().unwrap();
            assert_eq!(on_old, notification.is_none(), "cut {at_op}/{torn}: profile and notification disagree");
            let mut new_lpa = Es10Client::open(&mut new).unwrap();
            match notification {
                Some(n) => {
                    deleted_first += 1;
                    install_moved_profile(&mut new_lpa, &mut s, &n, &profile(P, true)).unwrap();
                }
                None => {
                    let mut old_lpa = Es10Client::open(&mut old).unwrap();
                    device_change(&mut old_lpa, &mut new_lpa, &mut s, &profile(P, true)).unwrap();
                    old_lpa.close().unwrap();
                }
            }
            new_lpa.close().unwrap();
            assert!(!holds(&mut old, &P) && holds(&mut new, &P), "cut {at_op}/{torn}");
        }
    }
    assert!(deleted_first > 0, "no cut fell after the delete's commit");
}

/// A reset between PrepareDeviceChange and VerifyDeviceChange ends the prepared change: the
/// confirmation finds no session (noSession), the profile stays, a new change works.
#[test]
fn a_reset_before_the_confirmation_keeps_the_profile() {
    let mut old = old_card();
    let mut s = smdp(20);
    let mut lpa = Es10Client::open(&mut old).unwrap();
    let verify = prepare_device_change(&mut lpa, &mut s, &P).unwrap();
    lpa.close().unwrap();
    old.reset();
    let mut lpa = Es10Client::open(&mut old).unwrap();
    let r = verify_device_change(&mut lpa, &verify);
    assert!(matches!(r, Err(DownloadError::VerifyDeviceChange(4))), "{r:?}");
    lpa.close().unwrap();
    assert!(holds(&mut old, &P));
    let mut new = new_card();
    let mut old_lpa = Es10Client::open(&mut old).unwrap();
    let mut new_lpa = Es10Client::open(&mut new).unwrap();
    device_change(&mut old_lpa, &mut new_lpa, &mut s, &profile(P, true)).unwrap();
    old_lpa.close().unwrap();
    new_lpa.close().unwrap();
    assert!(!holds(&mut old, &P) && holds(&mut new, &P));
}

/// A v3 card refuses StoreMetadata whose deviceChangeConfiguration is not one (here
/// activationCodeForDc as a universal `0C` where automatic tags make it `80`):
/// incorrectInputValues; a v2.5 card drops the member unread, as before.
#[test]
fn a_malformed_device_change_configuration_is_refused_on_a_v3_card() {
    let mut p = profile(P, false);
    p.metadata.device_change_configuration = Some(rasn::types::Any::new(hex("A10A 0C08 4143313233343536")));
    let mut card = TestCard::with_config(v3(default_config()), MemStorage::new(), 7);
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let r = download(&mut lpa, &mut smdp(21), &p);
    assert!(matches!(r, Err(DownloadError::Install { reason: 1, .. })), "{r:?}");
    lpa.close().unwrap();
    let mut card = TestCard::new(7);
    let mut lpa = Es10Client::open(&mut card).unwrap();
    download(&mut lpa, &mut smdp(21), &p).unwrap();
}
