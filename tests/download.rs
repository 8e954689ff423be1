//! The SGP.22 profile download end to end over APDUs: test SM-DP+ ↔ LPA driver ↔ card.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

use veuicc::store::{NotificationEvent, ProfileState, Store};
use veuicc::testkit::lpa::{DownloadError, download};
use veuicc::testkit::pki::default_pki;
use veuicc::testkit::smdp::{Break, ProfileToInstall, TestSmdp};
use veuicc::testkit::{Es10Client, TestCard};

const ICCID: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14];

#[test]
fn download_installs_a_profile() {
    for (size, rsk) in [(3000, false), (12_000, true)] {
        let mut card = TestCard::new(1);
        let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 2);
        let mut profile = ProfileToInstall::sample(ICCID, size);
        profile.replace_session_keys = rsk;
        let mut lpa = Es10Client::open(&mut card).unwrap();
        let installed = download(&mut lpa, &mut smdp, &profile).unwrap();
        lpa.close().unwrap();
        assert_eq!(installed.isdp_aid, hex::decode("A0000005591010FFFFFFFF8900001000"));
        let state = card.0.state();
        assert_eq!(state.profiles.len(), 1);
        let p = &state.profiles[0];
        assert_eq!(p.iccid.as_ref(), ICCID);
        assert_eq!(p.state, ProfileState::Disabled, "a new profile is disabled");
        assert_eq!(p.profile_name, "veuicc test profile");
        // The install notification carries the PIR exactly as sent.
        let n = &state.notifications[0];
        assert_eq!((n.event, n.address.as_str()), (NotificationEvent::Install, "smdp.example.com"));
        assert_eq!(n.pir.as_deref(), Some(&installed.pir[..]));
        // The package is stored byte for byte.
        let store = Store::open(card.storage()).unwrap();
        assert_eq!(store.get("u.10"), Some(&profile.upp[..]), "size {size} rsk {rsk}");
    }
}

mod hex {
    pub(super) fn decode(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }
}

#[test]
fn every_download_error_code() {
    let cases: &[(Break, DownloadError)] = &[
        (Break::ServerSignature1, DownloadError::Authenticate(2)),
        (Break::EuiccChallenge, DownloadError::Authenticate(6)),
        (Break::CiPkId, DownloadError::Authenticate(7)),
        (Break::ServerCertificateRole, DownloadError::Authenticate(5)),
        (Break::TransactionId, DownloadError::Prepare(5)),
        (Break::SmdpSignature2, DownloadError::Prepare(2)),
        (Break::DpPbCertificateRole, DownloadError::Prepare(1)),
        (Break::ConfirmationCode, DownloadError::Prepare(127)),
        (Break::SmdpSign, DownloadError::Install { command: 0, reason: 2 }),
        (Break::BppTransactionId, DownloadError::Install { command: 0, reason: 3 }),
        (Break::CrtValues, DownloadError::Install { command: 0, reason: 4 }),
        (Break::MetadataMac, DownloadError::Install { command: 2, reason: 8 }),
        (Break::ProfileSegment, DownloadError::Install { command: 5, reason: 8 }),
        (Break::RemoteOpId, DownloadError::Install { command: 0, reason: 5 }),
        (Break::SmdpOtpk, DownloadError::Install { command: 0, reason: 1 }),
        (Break::SegmentTag, DownloadError::Install { command: 5, reason: 7 }),
    ];
    for (broken, expected) in cases {
        let mut card = TestCard::new(1);
        let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 2);
        smdp.broken = Some(*broken);
        let mut lpa = Es10Client::open(&mut card).unwrap();
        let got = download(&mut lpa, &mut smdp, &ProfileToInstall::sample(ICCID, 2500));
        lpa.close().unwrap();
        assert_eq!(got.as_ref().err(), Some(expected), "{broken:?}");
        assert!(card.0.state().profiles.is_empty(), "{broken:?}: nothing installed");
        // A failed load leaves exactly its PIR as a notification; earlier failures leave nothing.
        let pirs = card.0.state().notifications.len();
        assert_eq!(pirs, usize::from(matches!(expected, DownloadError::Install { .. })), "{broken:?}");
        // The next download works.
        let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 3);
        let mut lpa = Es10Client::open(&mut card).unwrap();
        download(&mut lpa, &mut smdp, &ProfileToInstall::sample(ICCID, 2500))
            .unwrap_or_else(|e| panic!("{broken:?}: retry {e}"));
    }
}

#[test]
fn iccid_already_installed() {
    let mut card = TestCard::new(1);
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let profile = ProfileToInstall::sample(ICCID, 2000);
    download(&mut lpa, &mut TestSmdp::new(default_pki(), "smdp.example.com", 2), &profile).unwrap();
    let err = download(&mut lpa, &mut TestSmdp::new(default_pki(), "smdp.example.com", 3), &profile).unwrap_err();
    assert_eq!(err, DownloadError::Install { command: 2, reason: 9 });
}

/// How a download gets interrupted.
#[derive(Debug, Clone, Copy)]
enum Interrupt {
    Reset,
    CloseChannel,
    Cancel,
}

/// Interrupts the session in `lpa` if `step == at` (`None`), else hands it back.
fn stop_at<'a>(
    lpa: Es10Client<&'a mut TestCard>,
    step: usize,
    at: usize,
    how: Interrupt,
    tid: &[u8],
) -> Option<Es10Client<&'a mut TestCard>> {
    use veuicc::asn1::download::{CancelSessionRequest, CancelSessionResponse, CancelSessionResult};
    if step != at {
        return Some(lpa);
    }
    match how {
        // The caller resets the card.
        Interrupt::Reset => None,
        Interrupt::CloseChannel => {
            lpa.close().unwrap();
            None
        }
        Interrupt::Cancel => {
            let mut lpa = lpa;
            let r: CancelSessionResponse = lpa.call(&CancelSessionRequest::new(tid.to_vec(), 1)).unwrap();
            // A session exists from AuthenticateServer on; before that the id is unknown.
            match (step, r.0) {
                (0, CancelSessionResult::Error(code)) => assert_eq!(code, 5.into()),
                (0, other) => panic!("cancel before authentication: {other:?}"),
                (_, CancelSessionResult::Ok(_)) => {}
                (_, other) => panic!("cancel at step {step}: {other:?}"),
            }
            lpa.close().unwrap();
            None
        }
    }
}

/// Interrupt the download after step `at` (0 = challenge, 1 = AuthenticateServer,
/// 2 = PrepareDownload, 3.. = each LoadBPP command); true if it was interrupted.
fn interrupted_download(card: &mut TestCard, at: usize, how: Interrupt) -> bool {
    let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 5);
    let profile = ProfileToInstall::sample(ICCID, 4000);
    let mut lpa = Es10Client::open(&mut *card).unwrap();
    let challenge = lpa.get_euicc_challenge().unwrap();
    let mut step = 0;
    let stop = |lpa, step, tid: &[u8]| stop_at(lpa, step, at, how, tid);
    let request = smdp.initiate_authentication(challenge, None);
    let tid = smdp.transaction_id().to_vec();
    let Some(mut lpa) = stop(lpa, step, &tid) else { return true };
    step += 1;
    let response = lpa.store_data(&request).unwrap();
    let Some(mut lpa) = stop(lpa, step, &tid) else { return true };
    step += 1;
    let prepare = smdp.authenticate_client(&response).unwrap();
    let response = lpa.store_data(&prepare).unwrap();
    let Some(mut lpa) = stop(lpa, step, &tid) else { return true };
    step += 1;
    let bpp = smdp.get_bound_profile_package(&response, &profile).unwrap();
    for command in bpp.lpac_commands() {
        let out = lpa.store_data(&command).unwrap();
        if !out.is_empty() {
            lpa.close().unwrap();
            return false;
        }
        match stop(lpa, step, &tid) {
            Some(l) => lpa = l,
            None => return true,
        }
        step += 1;
    }
    false
}

/// The signed objects of every pending notification (RetrieveNotificationsList).
fn card_notifications(lpa: &mut Es10Client<&mut TestCard>) -> Vec<Vec<u8>> {
    use veuicc::asn1::rsp::{
        RetrieveNotificationsListRequest, RetrieveNotificationsListResponse, RetrieveNotificationsListResult,
    };
    let r: RetrieveNotificationsListResponse = lpa.call(&RetrieveNotificationsListRequest::new(None)).unwrap();
    match r.0 {
        RetrieveNotificationsListResult::NotificationList(list) => list.iter().map(|a| a.as_bytes().to_vec()).collect(),
        RetrieveNotificationsListResult::NotificationsListResultError(e) => panic!("error {e}"),
    }
}

fn err_command(e: &DownloadError) -> i64 {
    match e {
        DownloadError::Install { command, .. } => *command,
        other => panic!("not an install error: {other:?}"),
    }
}

fn card_has_no_install_marker(lpa: &mut Es10Client<&mut TestCard>) -> bool {
    lpa.transport().0.state().install.is_none()
}

#[test]
fn interrupted_downloads_leave_a_clean_card() {
    let mut cases = 0;
    for how in [Interrupt::Reset, Interrupt::CloseChannel, Interrupt::Cancel] {
        for at in 0.. {
            let mut card = TestCard::new(1);
            let was = interrupted_download(&mut card, at, how);
            if matches!(how, Interrupt::Reset) {
                card.reset();
            }
            if !was {
                assert_eq!(card.0.state().profiles.len(), 1, "{how:?}: the uninterrupted run installs");
                break;
            }
            cases += 1;
            assert!(card.0.state().profiles.is_empty(), "{how:?} at step {at}: nothing installed");
            assert!(card.0.state().notifications.is_empty(), "{how:?} at step {at}: no PIR yet");
            // Steps 0-2 end before the load starts: nothing to report. From the BF36 + BF23
            // command (step 3) on, a reset or a closed channel interrupts a load, and the first
            // ES10 command after it leaves that load's PIR: installFailedDueToInterruption(11).
            // CancelSession abandons the load: no PIR.
            let mut lpa = Es10Client::open(&mut card).unwrap();
            let listed = lpa.list_notifications().unwrap();
            let interrupted_load = at >= 3 && !matches!(how, Interrupt::Cancel);
            assert_eq!(listed.len(), usize::from(interrupted_load), "{how:?} at step {at}: {listed:?}");
            if interrupted_load {
                let n = &card_notifications(&mut lpa)[0];
                let err = veuicc::testkit::lpa::read_pir(n).unwrap_err();
                // The command that was running when a channel closed; after a reset the card no
                // longer knows it and names ConfigureISDP(1), the first after InitialiseSecureChannel.
                let command = err_command(&err);
                assert!((1..=5).contains(&command), "{how:?} at step {at}: {err:?}");
                if at == 3 || matches!(how, Interrupt::Reset) {
                    assert_eq!(command, 1, "{how:?} at step {at}");
                }
                assert_eq!(err, DownloadError::Install { command, reason: 11 }, "{how:?} at step {at}");
                assert!(card_has_no_install_marker(&mut lpa), "{how:?} at step {at}: marker cleared");
            }
            // The card is usable: a new download installs.
            download(
                &mut lpa,
                &mut TestSmdp::new(default_pki(), "smdp.example.com", 6),
                &ProfileToInstall::sample(ICCID, 3000),
            )
            .unwrap_or_else(|e| panic!("{how:?} at step {at}: next download fails: {e}"));
        }
    }
    assert!(cases > 3 * 10, "{cases} interruptions");
}

/// A package larger than the free memory fails with
/// installFailedDueToInsufficientMemoryForProfile, and nothing of it is stored.
#[test]
fn install_that_does_not_fit() {
    let mut config = veuicc::testkit::default_config();
    config.nvm_bytes = 6000;
    let mut card = TestCard::with_config(config, veuicc::store::MemStorage::new(), 1);
    let free_before = card.0.state().clone();
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let err = download(
        &mut lpa,
        &mut TestSmdp::new(default_pki(), "smdp.example.com", 2),
        &ProfileToInstall::sample(ICCID, 9000),
    )
    .unwrap_err();
    assert_eq!(err, DownloadError::Install { command: 5, reason: 10 });
    let info = lpa.get_euicc_info2().unwrap();
    lpa.close().unwrap();
    assert!(card.0.state().profiles.is_empty());
    assert_eq!(card.0.state().profiles, free_before.profiles);
    let store = Store::open(card.storage()).unwrap();
    assert!(store.names().all(|n| !n.starts_with("u.")), "no package stored");
    // What is stored is the error PIR and the counter: well under a kilobyte.
    let free = u32::from_be_bytes(info.ext_card_resource[5..9].try_into().unwrap());
    assert!(free > 5000, "free NVM {free}");
    // A package that fits installs.
    let mut lpa = Es10Client::open(&mut card).unwrap();
    download(
        &mut lpa,
        &mut TestSmdp::new(default_pki(), "smdp.example.com", 3),
        &ProfileToInstall::sample(ICCID, 3000),
    )
    .unwrap();
}

fn free_nvm(lpa: &mut Es10Client<&mut TestCard>) -> Vec<u8> {
    lpa.get_euicc_info2().unwrap().ext_card_resource.to_vec()
}

/// AuthenticateServer and PrepareDownload errors change nothing at all: same logical
/// state, same free memory, no notification.
#[test]
fn session_errors_change_nothing() {
    use veuicc::asn1::download::{
        AuthenticateServerResponse, AuthenticateServerResult, PrepareDownloadRequest, PrepareDownloadResponse,
        PrepareDownloadResult, SmdpSigned2,
    };
    let auth_code = |der: &[u8]| match rasn::der::decode::<AuthenticateServerResponse>(der).unwrap().0 {
        AuthenticateServerResult::Error(e) => i64::try_from(&e.authenticate_error_code).unwrap(),
        AuthenticateServerResult::Ok(_) => 0,
    };
    let mut card = TestCard::new(1);
    let before = card.0.state().clone();
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let nvm = free_nvm(&mut lpa);
    let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 2);

    // No challenge issued yet: noSessionContext.
    let request = smdp.initiate_authentication([7; 16], None);
    assert_eq!(auth_code(&lpa.store_data(&request).unwrap()), 4);
    // PrepareDownload without an authenticated server: noSessionContext.
    lpa.get_euicc_challenge().unwrap();
    let signed2 = rasn::der::encode(&SmdpSigned2::new(vec![1; 16], false, None)).unwrap();
    let prepare =
        rasn::der::encode(&PrepareDownloadRequest::new(signed2, vec![0; 64], None, default_pki().dppb.der.clone()))
            .unwrap();
    let r: PrepareDownloadResponse = rasn::der::decode(&lpa.store_data(&prepare).unwrap()).unwrap();
    assert!(matches!(r.0, PrepareDownloadResult::Error(e) if e.download_error_code == 4.into()));
    // A replayed AuthenticateServer: the challenge was used up, noSessionContext.
    let challenge = lpa.get_euicc_challenge().unwrap();
    let request = smdp.initiate_authentication(challenge, None);
    assert_eq!(auth_code(&lpa.store_data(&request).unwrap()), 0);
    assert_eq!(auth_code(&lpa.store_data(&request).unwrap()), 4, "replay");
    // A DPauth certificate from another PKI, presented under the trusted CI's id: invalidCertificate.
    let other = veuicc::testkit::pki::TestPki::generate(99, 1);
    let mut keys = veuicc::testkit::smdp::SmdpKeys::from_pki(default_pki());
    keys.dpauth = other.dpauth.der.clone();
    keys.dpauth_key = other.dpauth.key.clone();
    let mut foreign = TestSmdp::with_keys(keys, "smdp.example.com", 3);
    let challenge = lpa.get_euicc_challenge().unwrap();
    assert_eq!(auth_code(&lpa.store_data(&foreign.initiate_authentication(challenge, None)).unwrap()), 1);

    assert_eq!(free_nvm(&mut lpa), nvm, "free memory unchanged");
    lpa.close().unwrap();
    assert_eq!(*card.0.state(), before, "logical state unchanged");
}

/// Metadata the card must refuse: a PPR without a profile owner (no RAT rule can allow it,
/// not even the default one for every operator), an unknown class.
/// (`tests/lifecycle_rules.rs` checks the RAT itself, empty and with rules.)
/// The profile is not installed; the only trace is the PIR notification SGP.22 asks for.
#[test]
fn metadata_the_card_refuses() {
    for (what, reason) in [("ppr1", 15), ("class 5", 6)] {
        let mut card = TestCard::new(1);
        let mut profile = ProfileToInstall::sample(ICCID, 2000);
        if what == "ppr1" {
            let mut ppr = rasn::types::BitString::repeat(false, 2);
            ppr.set(1, true);
            profile.metadata.profile_policy_rules = Some(ppr);
        } else {
            profile.metadata.profile_class = Some(5.into());
        }
        let mut lpa = Es10Client::open(&mut card).unwrap();
        let nvm = free_nvm(&mut lpa);
        let err = download(&mut lpa, &mut TestSmdp::new(default_pki(), "smdp.example.com", 2), &profile).unwrap_err();
        assert_eq!(err, DownloadError::Install { command: 2, reason }, "{what}");
        let nvm_after = free_nvm(&mut lpa);
        lpa.close().unwrap();
        assert!(card.0.state().profiles.is_empty(), "{what}");
        assert_eq!(card.0.state().notifications.len(), 1, "{what}: the PIR");
        // Free NVM (extCardResource tag 82) drops only by the stored PIR, well under a kilobyte.
        let free = |ext: &[u8]| u32::from_be_bytes(ext[5..9].try_into().unwrap());
        let used = free(&nvm) - free(&nvm_after);
        assert!(used > 0 && used < 1024, "{what}: {used} bytes");
        let store = Store::open(card.storage()).unwrap();
        assert!(store.names().all(|n| !n.starts_with("u.")), "{what}: no package stored");
    }
}

/// StoreMetadata is checked when its last `88` segment arrives: the card answers that
/// command with the PIR, before the LPA sends any profile element (`A3`).
#[test]
fn metadata_is_refused_before_any_profile_element() {
    let mut card = TestCard::new(1);
    let mut profile = ProfileToInstall::sample(ICCID, 6000);
    profile.metadata.profile_class = Some(5.into());
    let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 2);
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let challenge = lpa.get_euicc_challenge().unwrap();
    let request = smdp.initiate_authentication(challenge, None);
    let response = lpa.store_data(&request).unwrap();
    let prepare = smdp.authenticate_client(&response).unwrap();
    let response = lpa.store_data(&prepare).unwrap();
    let bpp = smdp.get_bound_profile_package(&response, &profile).unwrap();
    let commands = bpp.lpac_commands();
    let first_a3 = commands.iter().position(|c| c[0] == 0xA3).unwrap();
    let mut answered_at = None;
    for (i, command) in commands.iter().enumerate() {
        let out = lpa.store_data(command).unwrap();
        if !out.is_empty() {
            let err = veuicc::testkit::lpa::read_pir(&out).unwrap_err();
            assert_eq!(err, DownloadError::Install { command: 2, reason: 6 });
            answered_at = Some(i);
            break;
        }
    }
    assert_eq!(answered_at, Some(first_a3 - 1), "the PIR answers the last StoreMetadata segment");
    lpa.close().unwrap();
    assert!(card.0.state().profiles.is_empty());
    assert!(card.0.state().install.is_none());
}

/// dpProprietaryData sent in ConfigureISDP (`BF24 { B8 { 80 dpOid } }`: the module's automatic
/// tags make `dpOid` `[0]`, as osmo-smdpp sends it) is kept with the
/// profile and returned by GetProfilesInfo when the tag list asks for `B8`.
#[test]
fn dp_proprietary_data_from_configure_isdp_is_kept() {
    use veuicc::asn1::download::DpProprietaryData;
    let mut card = TestCard::new(1);
    let mut profile = ProfileToInstall::sample(ICCID, 2000);
    let oid = rasn::types::ObjectIdentifier::new(vec![2, 999, 10]).unwrap();
    profile.configure.dp_proprietary_data = Some(DpProprietaryData::new(oid));
    let mut lpa = Es10Client::open(&mut card).unwrap();
    download(&mut lpa, &mut TestSmdp::new(default_pki(), "smdp.example.com", 2), &profile).unwrap();
    // BF2D { A0 { 5A iccid } 5C 01 B8 } → BF2D { A0 { E3 { B8 05 { 80 03 88 37 0A } } } }
    let mut req = hex::decode("BF2D11A00C5A0A");
    req.extend(ICCID);
    req.extend(hex::decode("5C01B8"));
    let out = lpa.store_data(&req).unwrap();
    assert_eq!(out, hex::decode("BF2D0BA009E307B80580038837 0A".replace(' ', "").as_str()));
}

/// CERT.DPauth / CERT.DPpb whose key is declared on brainpoolP256r1 (correctly signed by the
/// CI): AuthenticateServer and PrepareDownload answer unsupportedCurve(3), and nothing changes.
#[test]
fn certificates_on_another_curve() {
    use veuicc::crypto::cert::oid;
    use veuicc::testkit::pki::spki_on_curve;
    use veuicc::testkit::smdp::SmdpKeys;
    let pki = default_pki();
    let on_brainpool = |issued: &veuicc::testkit::pki::Issued| {
        let mut t = issued.template.clone();
        t.spki = spki_on_curve(issued.key.verifying_key(), &oid::BRAINPOOL_P256R1);
        t.sign(&pki.ci.key)
    };
    for (which, expected) in [("DPauth", DownloadError::Authenticate(3)), ("DPpb", DownloadError::Prepare(3))] {
        let mut keys = SmdpKeys::from_pki(pki);
        if which == "DPauth" {
            keys.dpauth = on_brainpool(&pki.dpauth);
        } else {
            keys.dppb = on_brainpool(&pki.dppb);
        }
        let mut card = TestCard::new(1);
        let mut lpa = Es10Client::open(&mut card).unwrap();
        let nvm = free_nvm(&mut lpa);
        let err = download(
            &mut lpa,
            &mut TestSmdp::with_keys(keys, "smdp.example.com", 2),
            &ProfileToInstall::sample(ICCID, 2000),
        )
        .unwrap_err();
        assert_eq!(err, expected, "{which}");
        assert_eq!(free_nvm(&mut lpa), nvm, "{which}");
        lpa.close().unwrap();
        assert!(card.0.state().profiles.is_empty() && card.0.state().notifications.is_empty(), "{which}");
    }
}

/// The profile package is checked as a SAIP package once complete: a package that is not one
/// → installFailedDueToPEProcessingError(12); a header ICCID other than the metadata's →
/// installFailedDueToDataMismatch(13). Nothing is installed, only the PIR remains.
#[test]
fn profile_packages_the_card_refuses() {
    use veuicc::testkit::saip::TestProfile;
    let other_iccid = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x22];
    let mut truncated = TestProfile::new(ICCID).to_der();
    truncated.truncate(truncated.len() - 3);
    let cases: Vec<(&str, Vec<u8>, i64)> = vec![
        ("opaque TLVs", veuicc::testkit::smdp::opaque_upp(3000), 12),
        ("truncated end", truncated, 12),
        ("header ICCID differs", TestProfile::new(other_iccid).with_padding(3000).to_der(), 13),
    ];
    for (what, upp, reason) in cases {
        let mut card = TestCard::new(1);
        let mut profile = ProfileToInstall::sample(ICCID, 3000);
        profile.upp = upp;
        let mut lpa = Es10Client::open(&mut card).unwrap();
        let nvm = free_nvm(&mut lpa);
        let err = download(&mut lpa, &mut TestSmdp::new(default_pki(), "smdp.example.com", 2), &profile).unwrap_err();
        assert_eq!(err, DownloadError::Install { command: 5, reason }, "{what}");
        let nvm_after = free_nvm(&mut lpa);
        lpa.close().unwrap();
        assert!(card.0.state().profiles.is_empty(), "{what}");
        assert_eq!(card.0.state().notifications.len(), 1, "{what}: the PIR");
        let free = |ext: &[u8]| u32::from_be_bytes(ext[5..9].try_into().unwrap());
        assert!(free(&nvm) - free(&nvm_after) < 1024, "{what}: only the PIR is stored");
        let store = Store::open(card.storage()).unwrap();
        assert!(store.names().all(|n| !n.starts_with("u.")), "{what}: no package stored");
    }
}

/// A Test-class profile must use the USIM test algorithm (no network credentials, SGP.21
/// TPRO2): with Milenage keys → testProfileInstallFailedDueToInvalidNaaKey(14); with the test
/// algorithm it installs.
#[test]
fn test_profiles_carry_test_keys_only() {
    use veuicc::saip::Algorithm;
    use veuicc::testkit::saip::TestProfile;
    for (algorithm, expected) in [(Algorithm::Milenage, Some(14)), (Algorithm::TestAlgorithm, None)] {
        let mut card = TestCard::new(1);
        let mut profile = ProfileToInstall::sample(ICCID, 3000);
        profile.metadata.profile_class = Some(0.into());
        let mut package = TestProfile::new(ICCID).with_padding(3000);
        package.algorithm = algorithm;
        profile.upp = package.to_der();
        let mut lpa = Es10Client::open(&mut card).unwrap();
        let got = download(&mut lpa, &mut TestSmdp::new(default_pki(), "smdp.example.com", 2), &profile);
        lpa.close().unwrap();
        match expected {
            Some(reason) => {
                assert_eq!(got.unwrap_err(), DownloadError::Install { command: 5, reason }, "{algorithm:?}");
                assert!(card.0.state().profiles.is_empty());
            }
            None => {
                got.unwrap();
                assert_eq!(card.0.state().profiles.len(), 1);
            }
        }
    }
}

/// A card without a PKI identity cannot sign euiccSigned1: AuthenticateServer answers
/// undefinedError(127), the session ends, nothing changes.
#[test]
fn a_card_without_identity_answers_undefined_error() {
    use veuicc::asn1::download::{AuthenticateServerResponse, AuthenticateServerResult};
    let mut config = veuicc::testkit::default_config();
    config.eid = veuicc::config::Eid::parse("89049032123451234512345678901235").unwrap();
    let mut card = TestCard::with_config(config, veuicc::store::MemStorage::new(), 1);
    assert!(card.0.identity().is_none());
    let before = card.0.state().clone();
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let challenge = lpa.get_euicc_challenge().unwrap();
    let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 2);
    let out = lpa.store_data(&smdp.initiate_authentication(challenge, None)).unwrap();
    match rasn::der::decode::<AuthenticateServerResponse>(&out).unwrap().0 {
        AuthenticateServerResult::Error(e) => assert_eq!(e.authenticate_error_code, 127.into()),
        AuthenticateServerResult::Ok(_) => panic!("signed without an identity"),
    }
    lpa.close().unwrap();
    assert_eq!(*card.0.state(), before);
}

/// The generated package holds its ICCID as SAIP does: printed digit order in the header
/// (`83 0A 89 00 01 23 45 67 89 01 23 41`), nibble-swapped in EF.ICCID; the SM-DP+-style
/// metadata swaps the header's into `Iccid`, and the package installs with it. A 19-digit
/// ICCID has its `F` filler last in the header (`…23 3F`) and first in the swapped byte (`…32 F3`).
#[test]
fn generated_package_header_iccid_is_printed_order() {
    use veuicc::testkit::saip::{TestProfile, smdp_metadata};
    let cases: [([u8; 10], [u8; 10]); 2] = [
        (ICCID, [0x89, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0x01, 0x23, 0x41]),
        (
            [0x98, 0x94, 0x44, 0x99, 0x99, 0x99, 0x99, 0x09, 0x20, 0xF3],
            [0x89, 0x49, 0x44, 0x99, 0x99, 0x99, 0x99, 0x90, 0x02, 0x3F],
        ),
    ];
    for (ef, printed) in cases {
        let upp = TestProfile::new(ef).with_padding(3000).to_der();
        let header_len = usize::from(upp[1]) + 2;
        let header = &upp[..header_len];
        let at = |needle: &[u8], hay: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
        assert!(at(&[&[0x83, 0x0A][..], &printed].concat(), header), "header iccid printed order: {header:02X?}");
        assert!(!at(&ef, header));
        // EF.ICCID (`fillFileContent` of ef-iccid in the mf element) keeps the swapped form.
        assert!(at(&[&[0x83, 0x0A][..], &ef].concat(), &upp[header_len..]));
        let metadata = smdp_metadata(&upp).unwrap();
        assert_eq!(metadata.iccid.as_ref(), ef);
        let profile = ProfileToInstall::from_package(upp.clone()).unwrap();
        assert_eq!(profile.metadata, metadata);
        let mut card = TestCard::new(1);
        let mut lpa = Es10Client::open(&mut card).unwrap();
        download(&mut lpa, &mut TestSmdp::new(default_pki(), "smdp.example.com", 2), &profile).unwrap();
        lpa.close().unwrap();
        let state = card.0.state();
        assert_eq!(state.profiles.len(), 1);
        assert_eq!(state.profiles[0].iccid.as_ref(), ef);
    }
}

/// A header ICCID that disagrees with StoreMetadata's `Iccid` → installFailedDueToDataMismatch(13):
/// a header holding the swapped (EF.ICCID) coding of the metadata's ICCID, and one naming
/// another ICCID. Nothing is installed.
#[test]
fn header_iccid_disagreeing_with_metadata_is_a_data_mismatch() {
    use veuicc::testkit::saip::TestProfile;
    let upp = TestProfile::new(ICCID).with_padding(3000).to_der();
    let printed = [0x83, 0x0A, 0x89, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0x01, 0x23, 0x41];
    let at = upp.windows(printed.len()).position(|w| w == printed).unwrap();
    let with_header_iccid = |iccid: [u8; 10]| {
        let mut u = upp.clone();
        u[at + 2..at + 12].copy_from_slice(&iccid);
        u
    };
    let cases = [
        ("header in EF.ICCID coding", with_header_iccid(ICCID)),
        ("header names 89000123456789012342", with_header_iccid([0x89, 0, 1, 0x23, 0x45, 0x67, 0x89, 1, 0x23, 0x42])),
    ];
    for (what, package) in cases {
        veuicc::saip::check(&package).unwrap();
        let mut profile = ProfileToInstall::sample(ICCID, 0);
        profile.upp = package;
        let mut card = TestCard::new(1);
        let mut lpa = Es10Client::open(&mut card).unwrap();
        let err = download(&mut lpa, &mut TestSmdp::new(default_pki(), "smdp.example.com", 2), &profile).unwrap_err();
        lpa.close().unwrap();
        assert_eq!(err, DownloadError::Install { command: 5, reason: 13 }, "{what}");
        assert!(card.0.state().profiles.is_empty(), "{what}");
    }
}
