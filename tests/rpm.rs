//! SGP.22 v3 Remote Profile Management: ES10b.LoadRpmPackage (`BF44`) on a v3 card, driven over
//! APDUs by the test LPA with the test SM-DP+ (`testkit::lpa::rpm`): every RPM command and its
//! result codes byte for byte (refusals included: a profile without rpmConfiguration, one whose
//! managing SM-DP+ may not send the command, an unknown ICCID), the package rules
//! (continueOnFailure, a damaged command, a package too large), the signed and unsigned
//! failures (bad smdpSignature3, wrong transactionId, no session), the signed result checked by
//! an independent verifier (Python `cryptography`), the notifications it queues, power cuts at
//! every write, and a v2.5 card that answers `BF44` as it always did.
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
use support::{es10, es10_sw, hexs};
use veuicc::asn1::rpm::{
    ListProfileInfo, RpmCommand, RpmCommandDetails as D, RpmContactPcmp, RpmIccid, RpmSearchCriteria,
    RpmUpdateMetadata, UpdateMetadataRequest, rpm_type,
};
use veuicc::asn1::rsp::{
    NotificationSearch, RetrieveNotificationsListRequest, RetrieveNotificationsListResponse,
    RetrieveNotificationsListResult,
};
use veuicc::config::Sgp22Version;
use veuicc::store::{MemStorage, NotificationEvent};
use veuicc::testkit::lpa::{RpmRun, download, rpm};
use veuicc::testkit::pki::{default_identity, default_pki};
use veuicc::testkit::smdp::{Break, ProfileToInstall, TestSmdp, notification_config, rpm_configuration};
use veuicc::testkit::{Es10Client, TestCard, default_config};

/// Managed by the test SM-DP+ for every command; notifications for every event to rpm.example.com.
const A: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x51];
/// Managed by the test SM-DP+ for disable only.
const B: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x52];
/// No rpmConfiguration: managed by nobody.
const C: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x53];
/// On no card.
const UNKNOWN: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x59];
/// The profile owner's OID, 2.999.99 (content bytes).
const OWNER: [u8; 3] = [0x88, 0x37, 0x63];

fn config(sgp22: Sgp22Version) -> veuicc::CardConfig {
    veuicc::CardConfig { sgp22, ..default_config() }
}

fn profiles() -> Vec<ProfileToInstall> {
    let mut a = ProfileToInstall::sample(A, 700);
    a.metadata.rpm_configuration = Some(rpm_configuration(None, &OWNER));
    a.metadata.notification_configuration_info = Some(notification_config(0x7E, "rpm.example.com"));
    let mut b = ProfileToInstall::sample(B, 700);
    b.metadata.rpm_configuration = Some(rpm_configuration(Some(&[rpm_type::DISABLE]), &OWNER));
    let c = ProfileToInstall::sample(C, 700);
    vec![a, b, c]
}

fn smdp() -> TestSmdp {
    TestSmdp::new(default_pki(), "smdp.example.com", 9)
}

/// A v3 card with A, B and C installed (all disabled); notifications 1, 2, 3 are their PIRs.
fn card() -> TestCard {
    let mut card = TestCard::with_config(config(Sgp22Version::V3_0), MemStorage::new(), 7);
    install_all(&mut card);
    card
}

fn install_all<T: veuicc::testkit::Transport>(card: &mut T) {
    let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 3);
    let mut lpa = Es10Client::open(card).unwrap();
    for p in profiles() {
        download(&mut lpa, &mut smdp, &p).unwrap();
    }
    lpa.close().unwrap();
}

fn run_with(card: &mut TestCard, smdp: &mut TestSmdp, commands: &[RpmCommand]) -> RpmRun {
    let mut lpa = Es10Client::open(&mut *card).unwrap();
    let run = rpm(&mut lpa, smdp, commands, None).unwrap();
    lpa.close().unwrap();
    run
}

fn run(card: &mut TestCard, commands: &[RpmCommand]) -> RpmRun {
    run_with(card, &mut smdp(), commands)
}

fn iccid(i: [u8; 10]) -> RpmIccid {
    RpmIccid { iccid: i.to_vec().into() }
}

fn enable(i: [u8; 10]) -> RpmCommand {
    RpmCommand::new(D::Enable(iccid(i)))
}

fn disable(i: [u8; 10]) -> RpmCommand {
    RpmCommand::new(D::Disable(iccid(i)))
}

fn delete(i: [u8; 10]) -> RpmCommand {
    RpmCommand::new(D::Delete(iccid(i)))
}

fn update(i: [u8; 10], req: UpdateMetadataRequest) -> RpmCommand {
    RpmCommand::new(D::UpdateMetadata(Box::new(RpmUpdateMetadata {
        iccid: i.to_vec().into(),
        update_metadata_request: req,
    })))
}

/// The DER length field of a value given as hex.
fn len(hex: &str) -> String {
    let n = hex.replace(' ', "").len() / 2;
    match n {
        0..0x80 => format!("{n:02X}"),
        0x80..0x100 => format!("81{n:02X}"),
        _ => format!("82{n:04X}"),
    }
}

/// One RpmCommandResult: `30 { 5A iccid, result }`.
fn result(i: [u8; 10], body: &str) -> String {
    let inner = format!("5A0A{}{}", hexs(&i), body.replace(' ', ""));
    format!("30{}{inner}", len(&inner))
}

/// `finalResult` of a package that ran: `A2 { A0 { results } }`.
fn executed(results: &[String]) -> String {
    let list: String = results.concat();
    let a0 = format!("A0{}{list}", len(&list));
    format!("A2{}{a0}", len(&a0))
}

/// The run's `finalResult`, as the card encoded it (the SM-DP+ verified euiccSignRPR).
fn final_result(run: &RpmRun) -> String {
    let data = run.data.as_ref().expect("a signed result");
    let der = rasn::der::encode(&data.final_result).unwrap();
    // `finalResult [2]` is explicit: A2 around the CHOICE.
    format!("A2{}{}", len(&hexs(&der)), hexs(&der))
}

fn profile_ids(card: &TestCard) -> Vec<Vec<u8>> {
    card.0.state().profiles.iter().map(|p| p.iccid.to_vec()).collect()
}

fn enabled(card: &TestCard, i: [u8; 10]) -> bool {
    card.0.state().profiles.iter().any(|p| p.iccid.as_ref() == i && p.enabled_on().is_some())
}

/// The signed data and euiccSignRPR, cut from the card's bytes by hand: `BF44 { A0 { A0 data,
/// 81 signature } }` (or, for the pending notification, `A1 { A0 data, 81 signature }`).
fn signed_parts(der: &[u8]) -> (Vec<u8>, Vec<u8>) {
    use veuicc::asn1::tlv::{next_tlv, split_tlv};
    let (tag, mut body) = split_tlv(der).unwrap();
    if tag == 0xBF44 {
        let (t, inner) = split_tlv(body).unwrap();
        assert_eq!(t, 0xA0, "loadRpmPackageResultSigned");
        body = inner;
    } else {
        assert_eq!(tag, 0xA1, "PendingNotification.loadRpmPackageResultSigned");
    }
    let (data, rest) = next_tlv(body).unwrap();
    let (sig, rest) = next_tlv(rest).unwrap();
    assert!(rest.is_empty());
    assert_eq!(data[0], 0xA0);
    let (t, raw) = split_tlv(sig).unwrap();
    assert_eq!(t, 0x81, "euiccSignRPR");
    (data.to_vec(), raw.to_vec())
}

/// Python `cryptography`: `raw` (`r ‖ s`) is an ECDSA-SHA256 signature over `data` by CERT.EUICC.
fn python_verifies(data: &[u8], raw: &[u8]) -> bool {
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
    let out = Command::new("python3")
        .args(["-c", script, &hexs(default_identity().euicc_cert()), &hexs(data), &hexs(raw)])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(said == "ok" || said == "bad", "verifier failed: {}", String::from_utf8_lossy(&out.stderr));
    said == "ok"
}

fn retrieve(card: &mut TestCard, search: Option<NotificationSearch>) -> Vec<Vec<u8>> {
    let mut lpa = Es10Client::open(&mut *card).unwrap();
    let r: RetrieveNotificationsListResponse = lpa.call(&RetrieveNotificationsListRequest::new(search)).unwrap();
    lpa.close().unwrap();
    match r.0 {
        RetrieveNotificationsListResult::NotificationList(list) => list.iter().map(|a| a.as_bytes().to_vec()).collect(),
        RetrieveNotificationsListResult::NotificationsListResultError(e) => panic!("error {e}"),
    }
}

/// `(seq, event bit, address)` of every pending notification.
fn notifications(card: &mut TestCard) -> Vec<(i64, usize, String)> {
    let mut lpa = Es10Client::open(&mut *card).unwrap();
    let list = lpa.list_notifications().unwrap();
    lpa.close().unwrap();
    list.iter()
        .map(|n| {
            let bit = (0..8).find(|&b| n.profile_management_operation.get(b).is_some_and(|x| *x)).unwrap();
            (i64::try_from(&n.seq_number).unwrap(), bit, n.notification_address.clone())
        })
        .collect()
}

/// Enable, disable and delete in one package: each ok, byte for byte, the profile gone in the
/// end; the result's data is exact, its signature verifies independently, and the card queued
/// notificationRpmEnable/Disable/Delete (to the profile's address) and the signed result (to the
/// SM-DP+), which RetrieveNotificationsList returns exactly as LoadRpmPackage answered it.
#[test]
fn enable_disable_delete_in_one_package() {
    let mut card = card();
    let mut smdp = smdp();
    let run = run_with(&mut card, &mut smdp, &[enable(A), disable(A), delete(A)]);
    let ok = |r: &str| result(A, &format!("{r}03800100"));
    assert_eq!(final_result(&run), executed(&[ok("BF31"), ok("BF32"), ok("BF33")]));
    assert_eq!(profile_ids(&card), [B.to_vec(), C.to_vec()]);

    // The signed data, whole: transactionId, notificationMetadata (seq 7, loadRpmPackageResult(7),
    // the SM-DP+'s address, no ICCID), smdpOid 2.999.10, finalResult.
    let (data, sig) = signed_parts(&run.result);
    let meta = format!("800107 81020001 0C10{}", hexs(b"smdp.example.com"));
    let meta = format!("BF2F{}{meta}", len(&meta));
    let body = format!("8010{} {meta} 0603883 70A {}", hexs(smdp.transaction_id()), final_result(&run));
    assert_eq!(hexs(&data), format!("A0{}{}", len(&body), body.replace(' ', "")));
    assert!(python_verifies(&data, &sig), "euiccSignRPR");
    let mut tampered = data.clone();
    *tampered.last_mut().unwrap() ^= 1;
    assert!(!python_verifies(&tampered, &sig));

    let rpm_address = "rpm.example.com".to_string();
    assert_eq!(
        notifications(&mut card)[3..],
        [
            (4, NotificationEvent::RpmEnable.bit(), rpm_address.clone()),
            (5, NotificationEvent::RpmDisable.bit(), rpm_address.clone()),
            (6, NotificationEvent::RpmDelete.bit(), rpm_address),
            (7, NotificationEvent::LoadRpmPackageResult.bit(), "smdp.example.com".to_string()),
        ]
    );
    let all = retrieve(&mut card, None);
    assert_eq!(all.len(), 7);
    // The pending result is the answer's signed part under PendingNotification's [1].
    let pending = &all[6];
    let (_, signed) = veuicc::asn1::tlv::split_tlv(&run.result).unwrap();
    assert_eq!(pending[0], 0xA1);
    assert_eq!(&pending[1..], &signed[1..], "BF44 {{ A0 … }} → A1 …, the same bytes");
    let (pdata, psig) = signed_parts(pending);
    assert_eq!((pdata, psig.clone()), (data, sig));
    assert_eq!(smdp.handle_notification(pending).unwrap(), 7);
    // The RPM lifecycle notifications are OtherSignedNotifications the SM-DP+ accepts.
    for (n, seq) in all[3..6].iter().zip(4..) {
        assert_eq!(n[0], 0x30);
        assert_eq!(smdp.handle_notification(n).unwrap(), seq);
    }
    // Searching by event finds the result.
    let mut bits = rasn::types::BitString::repeat(false, 8);
    bits.set(7, true);
    assert_eq!(
        retrieve(&mut card, Some(NotificationSearch::ProfileManagementOperation(bits))),
        std::slice::from_ref(pending)
    );
}

/// Refused commands, byte for byte, and nothing changes: a profile without rpmConfiguration
/// (enable disallowedForRpm(9), disable disallowedForRpm(10), delete disallowedByPolicy(3),
/// updateMetadata and contactPcmp commandError(7)); B, which may only be disabled (enable 9);
/// an unknown ICCID (iccidOrAidNotFound(1), updateMetadata commandError(7)). Each command has
/// continueOnFailure, so all run.
#[test]
fn refusals_byte_for_byte() {
    let mut card = card();
    // C enabled locally, so its disable is refused for the policy, not the state.
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let id = veuicc::asn1::rsp::ProfileIdentifier::Iccid(C.to_vec().into());
    assert_eq!(lpa.enable_profile(id, false).unwrap(), 0.into());
    lpa.close().unwrap();
    let before = card.0.state().profiles.clone();
    let go = |d: D| RpmCommand::continuing(d);
    let commands = [
        go(D::Enable(iccid(B))),
        go(D::Enable(iccid(C))),
        go(D::Disable(iccid(C))),
        go(D::Delete(iccid(C))),
        go(D::UpdateMetadata(Box::new(RpmUpdateMetadata {
            iccid: C.to_vec().into(),
            update_metadata_request: UpdateMetadataRequest::default(),
        }))),
        go(D::ContactPcmp(RpmContactPcmp { iccid: C.to_vec().into(), dpi_rpm: None })),
        go(D::Enable(iccid(UNKNOWN))),
        go(D::Disable(iccid(UNKNOWN))),
        go(D::Delete(iccid(UNKNOWN))),
        go(D::UpdateMetadata(Box::new(RpmUpdateMetadata {
            iccid: UNKNOWN.to_vec().into(),
            update_metadata_request: UpdateMetadataRequest::default(),
        }))),
    ];
    let run = run(&mut card, &commands);
    assert_eq!(
        final_result(&run),
        executed(&[
            result(B, "BF3103800109"),
            result(C, "BF3103800109"),
            result(C, "BF320380010A"),
            result(C, "BF3303800103"),
            result(C, "9F2A0107"),
            result(C, "A003810107"),
            result(UNKNOWN, "BF3103800101"),
            result(UNKNOWN, "BF3203800101"),
            result(UNKNOWN, "BF3303800101"),
            result(UNKNOWN, "9F2A0107"),
        ])
    );
    assert_eq!(card.0.state().profiles, before, "nothing changed");
}

/// Enabling A over an enabled profile the SM-DP+ may not disable (C) is disallowedForRpm(9);
/// over B (which it may disable) it is ok and B is disabled. Disabling B (allowed) works.
#[test]
fn enable_needs_the_right_to_disable_the_replaced_profile() {
    let mut card = card();
    let mut lpa = Es10Client::open(&mut card).unwrap();
    assert_eq!(
        lpa.enable_profile(veuicc::asn1::rsp::ProfileIdentifier::Iccid(C.to_vec().into()), false).unwrap(),
        0.into()
    );
    lpa.close().unwrap();
    let run1 = run(&mut card, &[enable(A)]);
    assert_eq!(final_result(&run1), executed(&[result(A, "BF3103800109")]));
    assert!(enabled(&card, C) && !enabled(&card, A));

    let mut lpa = Es10Client::open(&mut card).unwrap();
    assert_eq!(
        lpa.disable_profile(veuicc::asn1::rsp::ProfileIdentifier::Iccid(C.to_vec().into()), false).unwrap(),
        0.into()
    );
    assert_eq!(
        lpa.enable_profile(veuicc::asn1::rsp::ProfileIdentifier::Iccid(B.to_vec().into()), false).unwrap(),
        0.into()
    );
    lpa.close().unwrap();
    let run2 = run(&mut card, &[enable(A)]);
    assert_eq!(final_result(&run2), executed(&[result(A, "BF3103800100")]));
    assert!(enabled(&card, A) && !enabled(&card, B));
    // B's disable by RPM, now that B is disabled: profileNotInEnabledState(2), ES10c's answer.
    let run3 = run(&mut card, &[disable(B)]);
    assert_eq!(final_result(&run3), executed(&[result(B, "BF3203800102")]));
}

/// Without continueOnFailure a failed command ends the package; with it the next one runs.
/// Commands before the failure stay done.
#[test]
fn continue_on_failure() {
    let mut card = card();
    let stopped = run(&mut card, &[enable(A), enable(UNKNOWN), disable(A)]);
    assert_eq!(final_result(&stopped), executed(&[result(A, "BF3103800100"), result(UNKNOWN, "BF3103800101")]));
    assert!(enabled(&card, A), "the enable before the failure stays");
    let went_on = run(&mut card, &[RpmCommand::continuing(D::Enable(iccid(UNKNOWN))), disable(A)]);
    assert_eq!(final_result(&went_on), executed(&[result(UNKNOWN, "BF3103800101"), result(A, "BF3203800100")]));
    assert!(!enabled(&card, A));
}

fn list(criteria: RpmSearchCriteria, tags: Option<&[u8]>) -> RpmCommand {
    RpmCommand::new(D::ListProfileInfo(ListProfileInfo {
        search_criteria: criteria,
        tag_list: tags.map(|t| t.to_vec().into()),
    }))
}

/// listProfileInfo lists only the profiles the SM-DP+ may list: by owner OID, A (B's entry has
/// no listProfileInfo bit, C has no rpmConfiguration); by C's ICCID, nothing. The tag list is
/// honoured (`5A 9F70 BA`: the rpmConfiguration comes back as stored). No ICCID in the result.
#[test]
fn list_profile_info() {
    let mut card = card();
    let owner = rasn::der::decode(&support::hex("0603883763")).unwrap();
    let run = run(
        &mut card,
        &[
            RpmCommand::continuing(D::ListProfileInfo(ListProfileInfo {
                search_criteria: RpmSearchCriteria::ProfileOwnerOid(owner),
                tag_list: Some(support::hex("5A9F70BA").into()),
            })),
            list(RpmSearchCriteria::Iccid(C.to_vec().into()), None),
            list(RpmSearchCriteria::Iccid(vec![1, 2, 3].into()), None),
        ],
    );
    let rpm_config = hexs(rpm_configuration(None, &OWNER).as_bytes());
    let e3 = format!("5A0A{} 9F700100 BA{}{rpm_config}", hexs(&A), len(&rpm_config));
    let e3 = format!("E3{}{}", len(&e3), e3.replace(' ', ""));
    let ok = format!("A0{}{e3}", len(&e3));
    let bf2d = format!("BF2D{}{ok}", len(&ok));
    let r1 = format!("30{}{bf2d}", len(&bf2d));
    assert_eq!(final_result(&run), executed(&[r1, "3005BF2D02A000".into(), "3006BF2D03810101".into()]));
}

/// updateMetadata: a new profile name (ok, GetProfilesInfo shows it); each refusal leaves the
/// profile as it was: the mandatory profileName deleted (deleteNotAllowed(15)), a policy rule
/// set (pprUpdateInvalidSetting(12)), an rpmConfiguration with no managing SM-DP+
/// (invalidRpmConfiguration(14)), an enterpriseConfiguration (enterpriseConfigurationNotAllowed(6)),
/// an icon without its type (commandError(7)).
#[test]
fn update_metadata() {
    let mut card = card();
    let mut renamed = UpdateMetadataRequest::default();
    renamed.profile_name = veuicc::asn1::BoundedUtf8::new("Renamed");
    renamed.hri_server_address = Some("hri.example.com".into());
    let run1 = run(&mut card, &[update(A, renamed)]);
    assert_eq!(final_result(&run1), executed(&[result(A, "9F2A0100")]));
    let a = card.0.state().profiles.iter().find(|p| p.iccid.as_ref() == A).unwrap().clone();
    assert_eq!((a.profile_name.as_str(), a.hri_server_address.as_deref()), ("Renamed", Some("hri.example.com")));
    let req = format!("A00C5A0A{}5C02929B", hexs(&A));
    let info = es10(&mut card, &format!("BF2D{}{req}", len(&req)));
    let e3 = format!("9207{}9B0F{}", hexs(b"Renamed"), hexs(b"hri.example.com"));
    let e3 = format!("E3{}{e3}", len(&e3));
    let a0 = format!("A0{}{e3}", len(&e3));
    assert_eq!(hexs(&info), format!("BF2D{}{a0}", len(&a0)));

    let before = card.0.state().profiles.clone();
    let with = |f: &dyn Fn(&mut UpdateMetadataRequest)| {
        let mut r = UpdateMetadataRequest::default();
        f(&mut r);
        RpmCommand::continuing(D::UpdateMetadata(Box::new(RpmUpdateMetadata {
            iccid: A.to_vec().into(),
            update_metadata_request: r,
        })))
    };
    let mut ppr1 = rasn::types::BitString::repeat(false, 2);
    ppr1.set(1, true);
    let mut empty_rpm: veuicc::asn1::rpm::RpmConfiguration = rasn::der::decode(&{
        let mut d = vec![0x30, rpm_configuration(None, &OWNER).as_bytes().len() as u8];
        d.extend(rpm_configuration(None, &OWNER).as_bytes());
        d
    })
    .unwrap();
    empty_rpm.managing_dp_list.clear();
    let enterprise = veuicc::asn1::download::EnterpriseConfiguration::new(
        rasn::types::ObjectIdentifier::new(vec![2, 999, 7]).unwrap(),
        "Corp",
        None,
    );
    let run2 = run(
        &mut card,
        &[
            with(&|r| r.tags_for_deletion = Some(vec![0x92].into())),
            with(&|r| r.profile_policy_rules = Some(ppr1.clone())),
            with(&|r| r.rpm_configuration = Some(empty_rpm.clone())),
            with(&|r| r.enterprise_configuration = Some(enterprise.clone())),
            with(&|r| r.icon = Some(vec![1, 2].into())),
        ],
    );
    assert_eq!(
        final_result(&run2),
        executed(&[
            result(A, "9F2A010F"),
            result(A, "9F2A010C"),
            result(A, "9F2A010E"),
            result(A, "9F2A0106"),
            result(A, "9F2A0107"),
        ])
    );
    assert_eq!(card.0.state().profiles, before);
}

/// contactPcmp: the card keeps no LPR configuration; a disabled profile is profileNotEnabled(2),
/// an enabled one noLprConfiguration(13). Neither succeeds, so the command after runs.
#[test]
fn contact_pcmp() {
    let mut card = card();
    let contact = |i: [u8; 10]| {
        RpmCommand::continuing(D::ContactPcmp(RpmContactPcmp { iccid: i.to_vec().into(), dpi_rpm: Some("dpi".into()) }))
    };
    let run1 = run(&mut card, &[contact(A), enable(A), contact(A)]);
    assert_eq!(
        final_result(&run1),
        executed(&[result(A, "A003810102"), result(A, "BF3103800100"), result(A, "A00381010D")])
    );
}

/// A damaged command (an unknown alternative `A7`) ends the package after the commands before
/// it: rpmProcessingTerminated(unknownOrDamagedCommand(2)), no ICCID. A package of 33 commands
/// runs nothing: commandPackageTooLarge(6).
#[test]
fn damaged_command_and_package_too_large() {
    let mut card = card();
    let mut smdp = smdp();
    smdp.broken = Some(Break::RpmCommandDamaged);
    let run1 = run_with(&mut card, &mut smdp, &[enable(A), disable(A)]);
    assert_eq!(final_result(&run1), executed(&[result(A, "BF3103800100"), "3003020102".into()]));
    assert!(enabled(&card, A));
    let many: Vec<RpmCommand> = (0..33).map(|_| disable(A)).collect();
    let run2 = run(&mut card, &many);
    assert_eq!(final_result(&run2), executed(&["3003020106".into()]));
    assert!(enabled(&card, A));
}

/// A bad smdpSignature3 and a wrong transactionId: signed refusals (invalidSignature(2),
/// invalidTransactionId(5)), no command runs, the result is queued like any other. A
/// LoadRpmPackage outside an authenticated session (here: the same request again, the session
/// having ended with the first result) is unsigned noSession(4), byte for byte, and queues nothing.
#[test]
fn signature_transaction_id_and_session() {
    let mut card = card();
    let before = card.0.state().profiles.clone();
    for (b, code) in [(Break::SmdpSignature3, "02"), (Break::TransactionId, "05")] {
        let mut smdp = smdp();
        smdp.broken = Some(b);
        let run = run_with(&mut card, &mut smdp, &[enable(A)]);
        assert_eq!(final_result(&run), format!("A2038101{code}"), "{b:?}");
        let (data, sig) = signed_parts(&run.result);
        assert!(python_verifies(&data, &sig));
    }
    assert_eq!(card.0.state().profiles, before);
    assert_eq!(notifications(&mut card).iter().map(|n| n.1).collect::<Vec<_>>(), [0, 0, 0, 7, 7]);

    let mut smdp = smdp();
    let run = run_with(&mut card, &mut smdp, &[enable(A)]);
    let again = es10(&mut card, &hexs(&run.request));
    let tid = hexs(smdp.transaction_id());
    assert_eq!(hexs(&again), format!("BF4417A1158010{tid}020104"));
    assert_eq!(notifications(&mut card).len(), 7, "the enable and the result; noSession queues nothing");
}

/// A pending proactive session: listProfileInfo is profileChangeOngoing(11), enable catBusy(5).
#[test]
fn profile_change_ongoing() {
    let mut card = card();
    card.0.set_cat_busy(true);
    let owner = rasn::der::decode(&support::hex("0603883763")).unwrap();
    let run = run(
        &mut card,
        &[
            RpmCommand::continuing(D::ListProfileInfo(ListProfileInfo {
                search_criteria: RpmSearchCriteria::ProfileOwnerOid(owner),
                tag_list: None,
            })),
            enable(A),
        ],
    );
    assert_eq!(final_result(&run), executed(&["3006BF2D0381010B".into(), result(A, "BF3103800105")]));
}

/// A v2.5 card knows no BF44: it answers the request (well-formed or not) with `6A88`, as any
/// unknown tag. A v3 card answers a BF44 that is not DER with `6A80`.
#[test]
fn a_v2_5_card_answers_bf44_as_before() {
    let mut v3 = card();
    let req = run(&mut v3, &[enable(A)]).request;
    let mut v25 = TestCard::with_config(config(Sgp22Version::V2_5), MemStorage::new(), 7);
    assert_eq!(es10_sw(&mut v25, &hexs(&req)), 0x6A88);
    assert_eq!(es10_sw(&mut v25, "BF4400"), 0x6A88);
    assert_eq!(es10_sw(&mut v25, "BF440130"), 0x6A88);
    assert_eq!(es10_sw(&mut v3, "BF440130"), 0x6A80);
    assert_eq!(es10_sw(&mut v3, "BF4400"), 0x6A80);
}

/// Power cut at every storage write of a package (enable, disable, delete of A with their
/// notifications and the signed result): the card comes back before or after the whole package.
#[test]
fn load_rpm_package_survives_every_cut() {
    use veuicc::testkit::tearing::{TearingStorage, card_on, tear_every_write};
    let config = config(Sgp22Version::V3_0);
    let mut storage = TearingStorage::new();
    storage.power_up();
    let mut c = card_on(&config, storage).unwrap();
    install_all(&mut c);
    let initial = c.into_platform().storage;
    let report = tear_every_write(&config, &initial, |card| {
        let mut smdp = smdp();
        if let Ok(mut lpa) = Es10Client::open(&mut *card) {
            let _ = rpm(&mut lpa, &mut smdp, &[enable(A), disable(A), delete(A)], None);
        }
    })
    .unwrap();
    assert!(report.ops > 0 && report.landed > 0, "{report:?}");
    assert_eq!(report.between, 0);
}

/// A MEP-A1 card: the LPA's targetEsimPort (LoadRpmPackage) names the port the RPM enable
/// uses, as EnableProfile's does; without one the enable is commandError(7). The result says
/// the port (`BF31 { 80 00, 81 port }`).
#[test]
fn mep_a1_enable_on_the_lpa_s_port() {
    use veuicc::config::{Mep, MepMode};
    let mut config = config(Sgp22Version::V3_0);
    config.mep = Some(Mep { mode: MepMode::A1, ports: 2 });
    let mut card = TestCard::with_config(config, MemStorage::new(), 7);
    install_all(&mut card);
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let none = rpm(&mut lpa, &mut smdp(), &[enable(A)], None).unwrap();
    let on2 = rpm(&mut lpa, &mut smdp(), &[enable(A)], Some(2)).unwrap();
    lpa.close().unwrap();
    assert_eq!(final_result(&none), executed(&[result(A, "BF3103800107")]));
    assert_eq!(final_result(&on2), executed(&[result(A, "BF3106800100810102")]));
    let port = card.0.state().profiles.iter().find(|p| p.iccid.as_ref() == A).and_then(|p| p.enabled_on());
    assert_eq!(port.map(|p| p.0), Some(2));
}

/// StoreMetadata with an rpmConfiguration that is not one (a v3 card reads it): the install is
/// refused at storeMetadata with incorrectInputValues(1). A v2.5 card ignores the member, as
/// it always did, and installs.
#[test]
fn a_malformed_rpm_configuration_is_refused_on_v3() {
    use veuicc::testkit::lpa::DownloadError;
    let mut p = ProfileToInstall::sample(A, 700);
    p.metadata.rpm_configuration = Some(rasn::types::Any::new(support::hex("0400")));
    for (sgp22, expected) in
        [(Sgp22Version::V3_0, Err(DownloadError::Install { command: 2, reason: 1 })), (Sgp22Version::V2_5, Ok(()))]
    {
        let mut card = TestCard::with_config(config(sgp22), MemStorage::new(), 7);
        let mut lpa = Es10Client::open(&mut card).unwrap();
        let r = download(&mut lpa, &mut smdp(), &p).map(|_| ());
        lpa.close().unwrap();
        assert_eq!(r, expected, "{sgp22}");
    }
}

/// Every byte of a LoadRpmPackage request flipped, in an authenticated session: the card never
/// panics; it answers a status word (not DER, `6A80`) or a result, and nothing runs unless the
/// package still verifies (a flip the signature does not cover: the outer TLV headers are
/// rejected as not DER, so only `targetEsimPort`, absent here, could).
#[test]
fn every_flipped_byte_of_a_request_is_answered() {
    let mut card = card();
    let before = card.0.state().profiles.clone();
    let mut smdp = smdp();
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let mut template = None;
    let mut i = 0;
    loop {
        let challenge = lpa.get_euicc_challenge().unwrap();
        let info1 = lpa.get_euicc_info1().unwrap();
        let auth = smdp.initiate_authentication_for(challenge, None, Some(&info1));
        let response = lpa.store_data(&auth).unwrap();
        let req = smdp.authenticate_client_rpm(&response, &[enable(A)], false, None).unwrap();
        let template = template.get_or_insert(req.clone());
        if i >= template.len() {
            break;
        }
        let mut bad = req;
        bad[i] ^= 0x01;
        match lpa.store_data(&bad) {
            Ok(answer) => {
                let decoded: veuicc::asn1::rpm::LoadRpmPackageResult = rasn::der::decode(&answer).unwrap();
                if let veuicc::asn1::rpm::LoadRpmPackageResultChoice::Signed(s) = decoded.0 {
                    assert!(
                        matches!(
                            s.load_rpm_package_result_data_signed.final_result,
                            veuicc::asn1::rpm::RpmFinalResult::LoadRpmPackageErrorCodeSigned(_)
                        ),
                        "byte {i}: a flipped package ran"
                    );
                }
            }
            Err(veuicc::testkit::ClientError::Status(sw)) => {
                assert!(sw == 0x6A80 || sw == 0x6A88, "byte {i}: {sw:04X}")
            }
            Err(e) => panic!("byte {i}: {e}"),
        }
        i += 1;
    }
    lpa.close().unwrap();
    assert_eq!(card.0.state().profiles, before);
}

/// An RPM order over ES9+ (the test ES9+ server and the ES9+ LPA driver): authenticateClient
/// answers `smdpSigned3`/`smdpSignature3`, the LPA sends LoadRpmPackage, the package runs, and
/// handleNotification takes the signed result (checked with the session's CERT.EUICC key) and
/// the profile's notificationRpmEnable; the PIRs of the in-process downloads are not its own.
#[test]
fn an_rpm_order_over_es9_plus() {
    use veuicc::testkit::es9_lpa::{Order, rpm as es9_rpm, send_notifications};
    use veuicc::testkit::es9p::{Catalogue, Entry, Es9Server, PATH_PREFIX};
    use veuicc::testkit::smdp::SmdpKeys;
    let mut card = card();
    let mut catalogue = Catalogue::default_test();
    catalogue.entries.push(Entry {
        matching_id: "RPM-1".into(),
        profile: ProfileToInstall::sample(A, 10),
        confirmation_code: None,
        notify: 0,
        rpm: Some(vec![enable(A)]),
    });
    let server = Es9Server::new(SmdpKeys::from_pki(default_pki()), Some("smdp.example.com"), catalogue).with_seed(7);
    let mut post = |_address: &str, function: &str, body: &[u8]| {
        let a = server.handle(&format!("{PATH_PREFIX}{function}"), body);
        Ok((a.status, a.body))
    };
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let order = Order { address: "smdp.example.com", matching_id: Some("RPM-1"), confirmation_code: None };
    let answer = es9_rpm(&mut lpa, &mut post, &order).unwrap();
    let decoded: veuicc::asn1::rpm::LoadRpmPackageResult = rasn::der::decode(&answer).unwrap();
    let veuicc::asn1::rpm::LoadRpmPackageResultChoice::Signed(signed) = decoded.0 else { panic!("not signed") };
    let data = rasn::der::encode(&signed.load_rpm_package_result_data_signed.final_result).unwrap();
    assert_eq!(format!("A2{}{}", len(&hexs(&data)), hexs(&data)), executed(&[result(A, "BF3103800100")]));
    let (signed_data, sig) = signed_parts(&answer);
    assert!(python_verifies(&signed_data, &sig));
    let sent = send_notifications(&mut lpa, &mut post).unwrap();
    lpa.close().unwrap();
    let delivered: Vec<u64> = sent.iter().filter(|(_, r)| r.is_ok()).map(|(seq, _)| *seq).collect();
    assert_eq!(delivered, [4, 5], "{sent:?}");
    assert!(enabled(&card, A));
}
