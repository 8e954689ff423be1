//! Mirror instances on the primary card (issue #19, first slice): the operator policy in
//! StoreMetadata, IssueMirrorToken (`FF40`), RedeemMirrorCode (`FF41`), RevokeMirror (`FF45`),
//! ListMirrorLinks (`FF4C`), GetMirrorInfo (`FF4D`) — byte-level through `TestCard`, each result
//! code of the slice, the token's signature checked by Python `cryptography`, persistence
//! across a power cycle, a power cut at every write of Issue, malformed requests of every tag.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod support;

use rasn::types::{BitString, FixedOctetString, NumericString};
use veuicc::mirror::asn::*;
use veuicc::platform::UnixTime;
use veuicc::testkit::lpa::{DownloadError, download};
use veuicc::testkit::pki::default_pki;
use veuicc::testkit::smdp::{ProfileToInstall, TestSmdp, parse_mirror_policy};
use veuicc::testkit::{Es10Client, TestCard};

const SOURCE: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x51];
const PLAIN: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x52];
/// 2026-12-01T00:00:00Z.
const T0: u64 = 1_796_083_200;

fn policy(text: &str) -> MirrorPolicy {
    parse_mirror_policy(text).unwrap()
}

fn install(card: &mut TestCard, profile: &ProfileToInstall) -> Result<(), DownloadError> {
    let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 3);
    let mut lpa = Es10Client::open(&mut *card).unwrap();
    let r = download(&mut lpa, &mut smdp, profile).map(|_| ());
    lpa.close().unwrap();
    r
}

/// A card at `T0` holding SOURCE with `mirror` as its policy (if any) and PLAIN without one.
fn card_with(mirror: Option<&str>) -> TestCard {
    let mut card = TestCard::new(11);
    let mut source = ProfileToInstall::sample(SOURCE, 1200);
    if let Some(text) = mirror {
        source = source.with_mirror_policy(&policy(text));
    }
    install(&mut card, &source).unwrap();
    install(&mut card, &ProfileToInstall::sample(PLAIN, 1200)).unwrap();
    set_time(&mut card, Some(T0));
    card
}

fn set_time(card: &mut TestCard, t: Option<u64>) {
    card.0.platform_mut().clock.set(t.map(UnixTime));
}

/// One mirror command's response bytes (STORE DATA to the ISD-R).
fn send(card: &mut TestCard, der: &[u8]) -> Result<Vec<u8>, veuicc::testkit::ClientError> {
    let mut lpa = Es10Client::open(&mut *card).unwrap();
    let r = lpa.store_data(der);
    lpa.close().unwrap();
    r
}

fn call<Req: rasn::Encode, Resp: rasn::Decode>(card: &mut TestCard, req: &Req) -> Resp {
    let der = send(card, &rasn::der::encode(req).unwrap()).unwrap();
    rasn::der::decode(&der).unwrap_or_else(|e| panic!("{e}: {}", support::hexs(&der)))
}

fn issue_req(services: u8, validity: u32) -> IssueMirrorTokenRequest {
    IssueMirrorTokenRequest {
        iccid: FixedOctetString::new(SOURCE),
        mode: mode::MIRROR,
        services: services_bits(services),
        validity,
        target_eid: None,
        device_class: Some(device_class::WATCH),
        priority: None,
    }
}

fn issue(card: &mut TestCard, req: &IssueMirrorTokenRequest) -> Result<IssuedMirrorToken, u8> {
    match call::<_, IssueMirrorTokenResponse>(card, req).0 {
        IssueMirrorTokenResult::Issued(t) => Ok(t),
        IssueMirrorTokenResult::MirrorError(e) => Err(e),
    }
}

fn redeem(card: &mut TestCard, code: &[u8]) -> Result<SignedMirrorToken, u8> {
    let req = RedeemMirrorCodeRequest { numeric_code: NumericString::from_bytes(code).unwrap(), iccid: None };
    match call::<_, RedeemMirrorCodeResponse>(card, &req).0 {
        RedeemMirrorCodeResult::SignedMirrorToken(t) => Ok(t),
        RedeemMirrorCodeResult::MirrorError(e) => Err(e),
    }
}

fn links(card: &mut TestCard) -> Vec<MirrorLink> {
    match call::<_, ListMirrorLinksResponse>(card, &ListMirrorLinksRequest { iccid: None }).0 {
        ListMirrorLinksResult::MirrorLinks(l) => l,
        ListMirrorLinksResult::MirrorError(e) => panic!("list: {e}"),
    }
}

fn code(e: MirrorResult) -> Result<IssuedMirrorToken, u8> {
    Err(e.value())
}

const FULL: &str = "max=3,services=voice+sms+data,validity=24h,reauth=90d";

#[test]
fn policy_is_parsed_stored_and_reported_in_get_profiles_info() {
    let mut card = TestCard::new(5);
    // A foreign vendor's entry first (OID 2.999.1, an INTEGER), then ours.
    let foreign = hexs_to_entry("800388370130030201 05");
    let mut p = ProfileToInstall::sample(SOURCE, 1200);
    p.metadata.service_specific_data_stored_in_euicc = Some(vec![foreign]);
    let p = p.with_mirror_policy(&policy(&format!("{FULL},roaming-suspend")));
    install(&mut card, &p).unwrap();
    let record = &card.0.state().profiles[0];
    let stored = record.service_specific_data.clone().expect("kept with the profile");
    let expected = rasn::der::encode(p.metadata.service_specific_data_stored_in_euicc.as_ref().unwrap()).unwrap();
    assert_eq!(stored.as_ref(), &expected[..], "every vendor's entries, as received");
    let parsed = veuicc::mirror::policy_of(&stored).unwrap().unwrap();
    assert_eq!(parsed.max_instances, MaxInstances::Limited(3));
    assert!(parsed.suspend_while_roaming && !parsed.transfer_allowed);
    assert_eq!((parsed.max_token_validity, parsed.reauth_interval), (86400, 90 * 86400));
    // GetProfilesInfo with tagList { 5A, BF22 } answers serviceSpecificDataStoredInEuicc as received.
    let answer = send_tags(&mut card, &[0x5A, 0xBF, 0x22]);
    let entries_der = &expected[2..];
    assert!(support::hexs(&answer).contains(&support::hexs(entries_der)), "BF22 in {}", support::hexs(&answer));
    // Not asked for, not sent: the default answer is unchanged.
    let default = send(&mut card, &support::hex("BF2D00")).unwrap();
    assert!(!support::hexs(&default).contains("BF22"));
}

fn send_tags(card: &mut TestCard, tags: &[u8]) -> Vec<u8> {
    let mut inner = vec![0x5C, tags.len() as u8];
    inner.extend_from_slice(tags);
    let mut der = vec![0xBF, 0x2D, inner.len() as u8];
    der.extend(inner);
    send(card, &der).unwrap()
}

fn hexs_to_entry(hex: &str) -> veuicc::asn1::download::VendorSpecificData {
    // SEQUENCE { 80 OID-content, A1 { value } }
    let body = support::hex(hex);
    let (oid, value) = body.split_at(5);
    let mut der = vec![0x30, (oid.len() + 2 + value.len()) as u8];
    der.extend_from_slice(oid);
    der.extend([0xA1, value.len() as u8]);
    der.extend_from_slice(value);
    rasn::der::decode(&der).unwrap()
}

#[test]
fn a_malformed_policy_refuses_the_install_a_foreign_one_does_not() {
    let mut card = TestCard::new(6);
    let mut p = ProfileToInstall::sample(SOURCE, 1200);
    // Our OID, but an INTEGER where MirrorPolicy belongs.
    let mut ours = veuicc::mirror::policy_entry(&policy(FULL)).unwrap();
    ours.vendor_specific_data = rasn::types::Any::new(vec![0x02, 0x01, 0x05]);
    let ours: veuicc::asn1::download::VendorSpecificData =
        rasn::der::decode(&rasn::der::encode(&ours).unwrap()).unwrap();
    p.metadata.service_specific_data_stored_in_euicc = Some(vec![ours]);
    match install(&mut card, &p) {
        Err(DownloadError::Install { command: 2, reason: 1 }) => {}
        other => panic!("expected storeMetadata/incorrectInputValues, got {other:?}"),
    }
    assert!(card.0.state().profiles.is_empty());
    // A zero validity is not a policy either.
    let mut bad = policy(FULL);
    bad.max_token_validity = 0;
    let p = ProfileToInstall::sample(SOURCE, 1200).with_mirror_policy(&bad);
    assert!(matches!(install(&mut card, &p), Err(DownloadError::Install { command: 2, reason: 1 })));
    // Foreign data alone installs, and the profile is not mirrorable.
    let mut p = ProfileToInstall::sample(SOURCE, 1200);
    p.metadata.service_specific_data_stored_in_euicc = Some(vec![hexs_to_entry("800388370130030201 05")]);
    install(&mut card, &p).unwrap();
    set_time(&mut card, Some(T0));
    assert_eq!(issue(&mut card, &issue_req(service::DATA, 3600)), code(MirrorResult::ProfileNotMirrorable));
}

#[test]
fn issue_gives_a_signed_token_and_an_eight_digit_code() {
    let mut card = card_with(Some(FULL));
    let mut req = issue_req(service::VOICE | service::SMS, 3600);
    req.target_eid = Some(FixedOctetString::new([0x89; 16]));
    let issued = issue(&mut card, &req).unwrap();
    let code = issued.numeric_code.as_bytes().to_vec();
    assert_eq!(code.len(), 8);
    assert!(code.iter().all(u8::is_ascii_digit));
    let t = &issued.signed_mirror_token.mirror_token;
    assert_eq!(t.source_eid.as_slice(), card.0.config().eid.as_bytes());
    assert_eq!(t.iccid.as_slice(), &SOURCE);
    assert_eq!((t.not_before, t.not_after), (T0, T0 + 3600), "the card clock's window");
    assert_eq!(services_of(&t.services), Some(service::VOICE | service::SMS));
    assert_eq!(t.target_eid, req.target_eid);
    assert_eq!(t.device_class, Some(device_class::WATCH));
    // The token id comes from the card RNG: a second token has another one, and another code.
    let second = issue(&mut card, &req).unwrap();
    assert_ne!(second.signed_mirror_token.mirror_token.token_id, t.token_id);
    assert_ne!(second.numeric_code, issued.numeric_code);
    let id = veuicc::testkit::pki::default_identity();
    assert_eq!(issued.signed_mirror_token.euicc_certificate.as_ref(), id.euicc_cert());
    assert_eq!(issued.signed_mirror_token.eum_certificate.as_ref(), id.eum_cert());
    verify_with_python(&issued.signed_mirror_token);
    let l = links(&mut card);
    assert_eq!(l.len(), 2);
    assert_eq!(l[0].state, link_state::ISSUED);
    assert_eq!(l[0].token_id, t.token_id);
}

/// The token's signature, checked by Python `cryptography` against CERT.EUICC's key.
fn verify_with_python(signed: &SignedMirrorToken) {
    let ok =
        std::process::Command::new("python3").args(["-c", "import cryptography"]).status().is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: python3 -m pip install cryptography for the independent signature check");
        return;
    }
    let tbs = rasn::der::encode(&signed.mirror_token).unwrap();
    // The signed bytes are the token's TLV exactly as it stands in the message.
    let whole = rasn::der::encode(signed).unwrap();
    assert!(support::hexs(&whole).contains(&support::hexs(&tbs)));
    let script = r#"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
cert, tbs, sig = (bytes.fromhex(a) for a in sys.argv[1:4])
r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
x509.load_der_x509_certificate(cert).public_key().verify(encode_dss_signature(r, s), tbs, ec.ECDSA(hashes.SHA256()))
tampered = bytearray(tbs); tampered[-1] ^= 1
try:
    x509.load_der_x509_certificate(cert).public_key().verify(encode_dss_signature(r, s), bytes(tampered), ec.ECDSA(hashes.SHA256()))
    sys.exit("a tampered token verified")
except Exception as e:
    if type(e).__name__ != "InvalidSignature": raise
print("verified")
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(support::hexs(&signed.euicc_certificate))
        .arg(support::hexs(&tbs))
        .arg(support::hexs(signed.euicc_signature.as_slice()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "verified");
}

#[test]
fn issue_refusals_each_with_its_code() {
    let mut card = card_with(Some("max=2,services=voice+data,validity=2h,reauth=90d"));
    let base = issue_req(service::DATA, 3600);
    let unknown = IssueMirrorTokenRequest { iccid: FixedOctetString::new([0x98; 10]), ..base.clone() };
    assert_eq!(issue(&mut card, &unknown), code(MirrorResult::UnknownProfile));
    let plain = IssueMirrorTokenRequest { iccid: FixedOctetString::new(PLAIN), ..base.clone() };
    assert_eq!(issue(&mut card, &plain), code(MirrorResult::ProfileNotMirrorable));
    assert_eq!(issue(&mut card, &issue_req(service::SMS, 3600)), code(MirrorResult::ServicesExceeded));
    assert_eq!(issue(&mut card, &issue_req(service::ALL, 3600)), code(MirrorResult::ServicesExceeded));
    assert_eq!(issue(&mut card, &issue_req(service::DATA, 7201)), code(MirrorResult::ValidityExceeded));
    assert_eq!(issue(&mut card, &issue_req(0, 3600)), code(MirrorResult::IncorrectInputValues));
    assert_eq!(issue(&mut card, &issue_req(service::DATA, 0)), code(MirrorResult::IncorrectInputValues));
    let transfer = IssueMirrorTokenRequest { mode: mode::TRANSFER, ..base.clone() };
    assert_eq!(issue(&mut card, &transfer), code(MirrorResult::TransferNotAllowed));
    let odd_mode = IssueMirrorTokenRequest { mode: 7, ..base.clone() };
    assert_eq!(issue(&mut card, &odd_mode), code(MirrorResult::IncorrectInputValues));
    let odd_class = IssueMirrorTokenRequest { device_class: Some(9), ..base.clone() };
    assert_eq!(issue(&mut card, &odd_class), code(MirrorResult::IncorrectInputValues));
    set_time(&mut card, None);
    assert_eq!(issue(&mut card, &base), code(MirrorResult::ClockNotSet));
    set_time(&mut card, Some(T0));
    assert!(links(&mut card).is_empty(), "no refusal leaves a token");
    // Two live tokens reach max=2.
    issue(&mut card, &base).unwrap();
    issue(&mut card, &base).unwrap();
    assert_eq!(issue(&mut card, &base), code(MirrorResult::InstancesExceeded));
    // Once they expire they no longer count.
    set_time(&mut card, Some(T0 + 3601));
    issue(&mut card, &base).unwrap();
    assert_eq!(links(&mut card).len(), 1, "expired unused tokens are forgotten");
}

#[test]
fn validity_is_capped_at_24_hours_whatever_the_policy() {
    let mut card = card_with(Some("max=unlimited,services=data,validity=48h,reauth=90d"));
    assert_eq!(issue(&mut card, &issue_req(service::DATA, 86401)), code(MirrorResult::ValidityExceeded));
    issue(&mut card, &issue_req(service::DATA, 86400)).unwrap();
    for _ in 0..31 {
        issue(&mut card, &issue_req(service::DATA, 60)).unwrap();
    }
    // Unlimited for the operator, but a profile's record holds at most 32 tokens and links.
    assert_eq!(issue(&mut card, &issue_req(service::DATA, 60)), code(MirrorResult::InstancesExceeded));
    // Once the short ones expired unused they are forgotten and make room.
    set_time(&mut card, Some(T0 + 61));
    issue(&mut card, &issue_req(service::DATA, 60)).unwrap();
    assert_eq!(links(&mut card).len(), 2);
}

#[test]
fn max_zero_is_not_mirrorable() {
    let mut card = card_with(Some("max=0,services=data"));
    assert_eq!(issue(&mut card, &issue_req(service::DATA, 60)), code(MirrorResult::ProfileNotMirrorable));
}

#[test]
fn redeem_gives_the_token_within_its_window() {
    let mut card = card_with(Some(FULL));
    let issued = issue(&mut card, &issue_req(service::DATA, 3600)).unwrap();
    let code = issued.numeric_code.as_bytes().to_vec();
    assert_eq!(redeem(&mut card, &code), Ok(issued.signed_mirror_token.clone()));
    assert_eq!(redeem(&mut card, b"1234567"), Err(MirrorResult::IncorrectInputValues.value()));
    assert_eq!(redeem(&mut card, b"1234567 "), Err(MirrorResult::IncorrectInputValues.value()));
    // The card clock decides: before notBefore, and after notAfter.
    set_time(&mut card, Some(T0 - 1));
    assert_eq!(redeem(&mut card, &code), Err(MirrorResult::TokenNotYetValid.value()));
    set_time(&mut card, Some(T0 + 3600));
    assert_eq!(redeem(&mut card, &code), Ok(issued.signed_mirror_token));
    set_time(&mut card, Some(T0 + 3601));
    assert_eq!(redeem(&mut card, &code), Err(MirrorResult::TokenExpired.value()));
    set_time(&mut card, None);
    assert_eq!(redeem(&mut card, &code), Err(MirrorResult::ClockNotSet.value()));
}

fn wrong(code: &[u8]) -> Vec<u8> {
    let mut w = code.to_vec();
    w[7] = if w[7] == b'9' { b'0' } else { w[7] + 1 };
    w
}

#[test]
fn five_wrong_codes_void_the_token() {
    let mut card = card_with(Some(FULL));
    let issued = issue(&mut card, &issue_req(service::DATA, 3600)).unwrap();
    let code = issued.numeric_code.as_bytes().to_vec();
    let bad = wrong(&code);
    for attempt in 1..=4 {
        assert_eq!(redeem(&mut card, &bad), Err(MirrorResult::WrongCode.value()), "attempt {attempt}");
    }
    assert_eq!(redeem(&mut card, &bad), Err(MirrorResult::CodeAttemptsExhausted.value()));
    // Void: even the right code is refused now, and after a power cycle.
    assert_eq!(redeem(&mut card, &code), Err(MirrorResult::CodeAttemptsExhausted.value()));
    card.power_off();
    card.power_on();
    set_time(&mut card, Some(T0));
    assert_eq!(redeem(&mut card, &code), Err(MirrorResult::CodeAttemptsExhausted.value()));
    assert_eq!(links(&mut card)[0].state, link_state::VOIDED);
    // A void token is no longer live: a new one may be issued.
    issue(&mut card, &issue_req(service::DATA, 3600)).unwrap();
}

#[test]
fn unknown_tokens_and_links() {
    let mut card = card_with(Some(FULL));
    assert_eq!(redeem(&mut card, b"00000000"), Err(MirrorResult::UnknownToken.value()));
    let revoke = RevokeMirrorRequest { link: MirrorLinkRef::TokenId(FixedOctetString::new([7; 16])) };
    let r: RevokeMirrorResponse = call(&mut card, &revoke);
    assert_eq!(r.0, RevokeMirrorResult::MirrorError(MirrorResult::UnknownLink.value()));
    let revoke = RevokeMirrorRequest { link: MirrorLinkRef::SecondaryEid(FixedOctetString::new([0x89; 16])) };
    let r: RevokeMirrorResponse = call(&mut card, &revoke);
    assert_eq!(r.0, RevokeMirrorResult::MirrorError(MirrorResult::UnknownLink.value()));
    let req = ListMirrorLinksRequest { iccid: Some(FixedOctetString::new([0x98; 10])) };
    let r: ListMirrorLinksResponse = call(&mut card, &req);
    assert_eq!(r.0, ListMirrorLinksResult::MirrorError(MirrorResult::UnknownProfile.value()));
    let req = GetMirrorInfoRequest { iccid: Some(FixedOctetString::new([0x98; 10])) };
    let r: GetMirrorInfoResponse = call(&mut card, &req);
    assert_eq!(r.0, GetMirrorInfoResult::MirrorError(MirrorResult::UnknownProfile.value()));
}

#[test]
fn revoke_voids_an_outstanding_token() {
    let mut card = card_with(Some("max=1,services=data"));
    let issued = issue(&mut card, &issue_req(service::DATA, 3600)).unwrap();
    let id = issued.signed_mirror_token.mirror_token.token_id;
    assert_eq!(issue(&mut card, &issue_req(service::DATA, 3600)), code(MirrorResult::InstancesExceeded));
    let revoke = RevokeMirrorRequest { link: MirrorLinkRef::TokenId(id) };
    let der = send(&mut card, &rasn::der::encode(&revoke).unwrap()).unwrap();
    assert_eq!(support::hexs(&der), "FF45028100", "tokenVoided");
    let r: RevokeMirrorResponse = call(&mut card, &revoke);
    assert_eq!(r.0, RevokeMirrorResult::MirrorError(MirrorResult::UnknownLink.value()), "once");
    assert_eq!(links(&mut card)[0].state, link_state::REVOKED);
    assert_eq!(redeem(&mut card, issued.numeric_code.as_bytes()), Err(MirrorResult::UnknownToken.value()));
    // The slot is free again.
    issue(&mut card, &issue_req(service::DATA, 3600)).unwrap();
}

#[test]
fn list_and_info_report_links_roles_and_policy() {
    let mut card = card_with(Some(FULL));
    let info =
        |card: &mut TestCard| match call::<_, GetMirrorInfoResponse>(card, &GetMirrorInfoRequest { iccid: None }).0 {
            GetMirrorInfoResult::MirrorProfiles(p) => p,
            GetMirrorInfoResult::MirrorError(e) => panic!("{e}"),
        };
    let before = info(&mut card);
    assert_eq!(before.len(), 2);
    assert_eq!((before[0].role, before[0].live_instances), (role::NONE, Some(0)));
    assert_eq!(before[0].policy, Some(policy(FULL)));
    assert_eq!((before[1].role, &before[1].policy, before[1].live_instances), (role::NONE, &None, None));
    let mut req = issue_req(service::DATA, 600);
    req.priority = Some(0);
    let issued = issue(&mut card, &req).unwrap();
    let after = info(&mut card);
    assert_eq!((after[0].role, after[0].live_instances), (role::PRIMARY, Some(1)));
    let l = links(&mut card);
    assert_eq!(l.len(), 1);
    let link = &l[0];
    assert_eq!(link.token_id, issued.signed_mirror_token.mirror_token.token_id);
    assert_eq!((link.iccid.as_slice(), link.state, link.mode), (&SOURCE[..], link_state::ISSUED, mode::MIRROR));
    assert_eq!((services_of(&link.services), link.not_after), (Some(service::DATA), T0 + 600));
    assert_eq!((link.device_class, link.priority, &link.secondary_eid), (Some(device_class::WATCH), Some(0), &None));
    let only_plain: ListMirrorLinksResponse =
        call(&mut card, &ListMirrorLinksRequest { iccid: Some(FixedOctetString::new(PLAIN)) });
    assert_eq!(only_plain.0, ListMirrorLinksResult::MirrorLinks(vec![]));
}

#[test]
fn tokens_persist_across_a_power_cycle_and_go_with_the_profile() {
    let mut card = card_with(Some(FULL));
    let issued = issue(&mut card, &issue_req(service::DATA, 3600)).unwrap();
    let before = links(&mut card);
    card.power_off();
    card.power_on();
    set_time(&mut card, Some(T0 + 5));
    assert_eq!(links(&mut card), before);
    assert_eq!(redeem(&mut card, issued.numeric_code.as_bytes()), Ok(issued.signed_mirror_token));
    // A card rebuilt on the same storage holds them too.
    let storage = card.storage().clone();
    let mut again = TestCard::with_config(veuicc::testkit::default_config(), storage, 99);
    assert_eq!(links(&mut again), before);
    // Deleting the source profile deletes its record.
    let mut lpa = Es10Client::open(&mut again).unwrap();
    let id = veuicc::asn1::rsp::ProfileIdentifier::Iccid(SOURCE.to_vec().into());
    assert_eq!(lpa.delete_profile(id).unwrap(), 0.into());
    lpa.close().unwrap();
    assert!(links(&mut again).is_empty());
    assert!(again.0.state().kinds.keys().all(|k| !k.starts_with("mirror.")));
}

#[test]
fn malformed_requests_of_every_tag_are_errors_not_panics() {
    let mut card = card_with(Some(FULL));
    for n in 0x40u8..=0x4F {
        for body in [&[][..], &[0x80, 0x01, 0x00], &[0x05, 0x00], &[0xA0, 0x02, 0x80, 0x00], &[0xFF; 3]] {
            let mut der = vec![0xFF, n, body.len() as u8];
            der.extend_from_slice(body);
            let answer = send(&mut card, &der);
            // FF4E, FF4F name no function; an empty SEQUENCE of optional components is a
            // well-formed list, info, suspend or resume.
            let expected = match n {
                0x4E | 0x4F => Some(0x6A88),
                0x49 | 0x4A | 0x4C | 0x4D if body.is_empty() => None,
                _ => Some(0x6A80),
            };
            // A body that happens to be well formed: the pairing and the link functions answer
            // it with a result code (their own tag).
            let answers = matches!(n, 0x42..=0x4B);
            match (expected, answer) {
                (Some(0x6A80), Ok(answer)) if answers => assert_eq!(answer.get(..2), Some(&[0xFF, n][..])),
                (Some(sw), Err(veuicc::testkit::ClientError::Status(got))) => {
                    assert_eq!(got, sw, "FF{n:02X} {}", support::hexs(body))
                }
                (None, Ok(_)) => {}
                (e, other) => panic!("FF{n:02X} {}: expected {e:X?}, got {other:?}", support::hexs(body)),
            }
        }
        // Non-minimal length.
        let der = [0xFF, n, 0x81, 0x00];
        let sw = match send(&mut card, &der) {
            Err(veuicc::testkit::ClientError::Status(sw)) => sw,
            other => panic!("FF{n:02X} non-minimal: {other:?}"),
        };
        assert_eq!(sw, if n >= 0x4E { 0x6A88 } else { 0x6A80 }, "FF{n:02X} non-minimal");
    }
    // The card still answers.
    issue(&mut card, &issue_req(service::DATA, 60)).unwrap();
    // A reserved tag names no function: 6A88.
    let reserved = support::hex("FF4E00");
    assert_eq!(send(&mut card, &reserved).err(), Some(veuicc::testkit::ClientError::Status(0x6A88)));
}

#[test]
fn issue_survives_a_power_cut_at_every_write() {
    use veuicc::testkit::tearing::{TearingPlatform, TearingStorage, card_on, tear_every_write};
    let config = veuicc::testkit::default_config();
    let mut card = card_on(&config, TearingStorage::new()).unwrap();
    {
        let mut lpa = Es10Client::open(&mut card).unwrap();
        let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 3);
        let p = ProfileToInstall::sample(SOURCE, 1200).with_mirror_policy(&policy(FULL));
        download(&mut lpa, &mut smdp, &p).unwrap();
        lpa.close().unwrap();
    }
    let mut initial = card.into_platform().storage;
    initial.power_up();
    let op = |card: &mut veuicc::Card<TearingPlatform>| {
        card.platform_mut().clock.set(Some(UnixTime(T0)));
        if let Ok(mut lpa) = Es10Client::open(&mut *card) {
            let _ = lpa.store_data(&rasn::der::encode(&issue_req(service::DATA, 600)).unwrap());
        }
    };
    let report = tear_every_write(&config, &initial, op).unwrap();
    assert!(report.landed > 0 && report.landed < report.cut_points, "{report:?}");
}

#[test]
fn the_cli_policy_syntax() {
    let p = policy("max=unlimited,services=data,validity=30m,reauth=7d,roaming-suspend,transfer");
    assert_eq!(p.max_instances, MaxInstances::Unlimited(()));
    assert_eq!(services_of(&p.services), Some(service::DATA));
    assert_eq!((p.max_token_validity, p.reauth_interval), (1800, 7 * 86400));
    assert!(p.suspend_while_roaming && p.transfer_allowed);
    assert!(parse_mirror_policy("max=300").is_err());
    assert!(parse_mirror_policy("services=fax").is_err());
    assert!(parse_mirror_policy("validity=3w").is_err());
    let _: BitString = services_bits(0);
}

/// A wrong code (counted against the token) and a revocation, each one commit, survive a power
/// cut at every write: the card holds the state before or after.
#[test]
fn redeem_and_revoke_survive_a_power_cut_at_every_write() {
    use veuicc::testkit::tearing::{TearingPlatform, TearingStorage, card_on, tear_every_write};
    let config = veuicc::testkit::default_config();
    let mut card = card_on(&config, TearingStorage::new()).unwrap();
    let issued = {
        let mut lpa = Es10Client::open(&mut card).unwrap();
        let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 3);
        let p = ProfileToInstall::sample(SOURCE, 1200).with_mirror_policy(&policy(FULL));
        download(&mut lpa, &mut smdp, &p).unwrap();
        lpa.close().unwrap();
        card.platform_mut().clock.set(Some(UnixTime(T0)));
        let mut lpa = Es10Client::open(&mut card).unwrap();
        let der = lpa.store_data(&rasn::der::encode(&issue_req(service::DATA, 600)).unwrap()).unwrap();
        lpa.close().unwrap();
        match rasn::der::decode::<IssueMirrorTokenResponse>(&der).unwrap().0 {
            IssueMirrorTokenResult::Issued(t) => t,
            IssueMirrorTokenResult::MirrorError(e) => panic!("{e}"),
        }
    };
    let mut initial = card.into_platform().storage;
    initial.power_up();
    let bad = wrong(issued.numeric_code.as_bytes());
    let wrong_code = move |card: &mut veuicc::Card<TearingPlatform>| {
        card.platform_mut().clock.set(Some(UnixTime(T0 + 1)));
        if let Ok(mut lpa) = Es10Client::open(&mut *card) {
            let req = RedeemMirrorCodeRequest { numeric_code: NumericString::from_bytes(&bad).unwrap(), iccid: None };
            let _ = lpa.store_data(&rasn::der::encode(&req).unwrap());
        }
    };
    let report = tear_every_write(&config, &initial, wrong_code).unwrap();
    assert!(report.landed > 0 && report.landed < report.cut_points, "{report:?}");
    let id = issued.signed_mirror_token.mirror_token.token_id;
    let revoke = move |card: &mut veuicc::Card<TearingPlatform>| {
        if let Ok(mut lpa) = Es10Client::open(&mut *card) {
            let req = RevokeMirrorRequest { link: MirrorLinkRef::TokenId(id) };
            let _ = lpa.store_data(&rasn::der::encode(&req).unwrap());
        }
    };
    let report = tear_every_write(&config, &initial, revoke).unwrap();
    assert!(report.landed > 0 && report.landed < report.cut_points, "{report:?}");
}

/// A card without a signing identity cannot issue tokens: undefinedError, nothing stored.
#[test]
fn a_card_without_an_identity_issues_nothing() {
    let mut state = veuicc::store::CardState::default();
    let mut p = ProfileToInstall::sample(SOURCE, 1200).with_mirror_policy(&policy(FULL));
    let list = p.metadata.service_specific_data_stored_in_euicc.take().unwrap();
    let mut aid = vec![0xA0, 0, 0, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0, 0, 0x10, 0];
    aid[14] = 0x10;
    state.profiles.push(veuicc::store::ProfileRecord {
        iccid: SOURCE.to_vec().into(),
        isdp_aid: aid.into(),
        state: veuicc::store::ProfileState::Disabled,
        nickname: None,
        service_provider_name: "SP".into(),
        profile_name: "P".into(),
        icon: None,
        class: veuicc::store::ProfileClass::Operational,
        ppr: 0,
        notification_config: Vec::new(),
        owner: None,
        dp_proprietary_data: None,
        port: None,
        hri_server_address: None,
        enterprise: None,
        service_description: None,
        service_specific_data: Some(rasn::der::encode(&list).unwrap().into()),
        rpm_configuration: None,
        device_change_configuration: None,
    });
    let mut storage = veuicc::store::MemStorage::new();
    support::install(&mut storage, &state);
    let config = veuicc::CardConfig::new(veuicc::config::Eid::parse("89049032123451234512345678901235").unwrap());
    let mut card = TestCard::with_config(config, storage, 3);
    set_time(&mut card, Some(T0));
    assert_eq!(issue(&mut card, &issue_req(service::DATA, 60)), code(MirrorResult::UndefinedError));
    assert!(links(&mut card).is_empty());
    // It still reports the policy.
    let info: GetMirrorInfoResponse = call(&mut card, &GetMirrorInfoRequest { iccid: None });
    match info.0 {
        GetMirrorInfoResult::MirrorProfiles(p) => assert_eq!(p[0].policy, Some(policy(FULL))),
        GetMirrorInfoResult::MirrorError(e) => panic!("{e}"),
    }
}
