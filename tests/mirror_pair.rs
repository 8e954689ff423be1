//! Mirror pairing between two cards (issue #19, second slice), byte-level through each card's
//! APDUs: IssueMirrorToken on the primary → BeginMirror on the secondary → ExportMirror on the
//! primary → the mirror package through the secondary's LoadBoundProfilePackage (in lpac's
//! STORE DATA segments) → ConfirmMirror on the primary. Then the secondary runs the profile
//! (same ICCID, same IMSI through the SIM), reports the instance, and the primary the active
//! link. Every refusal of the slice with its code, a power cut at every write of Export and of
//! the install, and the package's InitialiseSecureChannel and the PIR checked by Python
//! `cryptography`.
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

use rasn::types::FixedOctetString;
use std::sync::Arc;
use support::mirror::{
    FULL, REAUTH, SOURCE, T0, card_of, eid_of, identity_of, install_source, primary_with, secondary_n, set_time,
    token_req,
};
use veuicc::asn1::download::{FinalResult, ProfileInstallationResult, ProfileInstallationResultData};
use veuicc::asn1::rsp::ProfileIdentifier;
use veuicc::mirror::asn::*;
use veuicc::platform::{Parts, UnixTime};
use veuicc::store::MemStorage;
use veuicc::testkit::es9_lpa::bpp_commands;
use veuicc::testkit::lpa::download;
use veuicc::testkit::pki::{TestPki, default_pki};
use veuicc::testkit::smdp::{ProfileToInstall, TestSmdp, parse_mirror_policy};
use veuicc::testkit::{DetRng, Es10Client, ManualClock, TestCard};

fn secondary() -> TestCard {
    secondary_n(1)
}

fn call<Req: rasn::Encode, Resp: rasn::Decode>(card: &mut TestCard, req: &Req) -> Resp {
    let mut lpa = Es10Client::open(&mut *card).unwrap();
    let der = lpa.store_data(&rasn::der::encode(req).unwrap()).unwrap();
    lpa.close().unwrap();
    rasn::der::decode(&der).unwrap_or_else(|e| panic!("{e}: {}", support::hexs(&der)))
}

fn issue(card: &mut TestCard, req: &IssueMirrorTokenRequest) -> SignedMirrorToken {
    match call::<_, IssueMirrorTokenResponse>(card, req).0 {
        IssueMirrorTokenResult::Issued(t) => t.signed_mirror_token,
        IssueMirrorTokenResult::MirrorError(e) => panic!("issue: {}", result_name(e)),
    }
}

fn begin_on<T: veuicc::testkit::Transport>(
    lpa: &mut Es10Client<T>,
    token: &SignedMirrorToken,
) -> Result<SignedMirrorRequest, u8> {
    let req = BeginMirrorRequest { signed_mirror_token: token.clone() };
    match lpa.call::<_, BeginMirrorResponse>(&req).unwrap().0 {
        BeginMirrorResult::SignedMirrorRequest(r) => Ok(r),
        BeginMirrorResult::MirrorError(e) => Err(e),
    }
}

fn begin(card: &mut TestCard, token: &SignedMirrorToken) -> Result<SignedMirrorRequest, u8> {
    let mut lpa = Es10Client::open(&mut *card).unwrap();
    let r = begin_on(&mut lpa, token);
    lpa.close().unwrap();
    r
}

fn export(card: &mut TestCard, request: &SignedMirrorRequest) -> Result<Vec<u8>, u8> {
    let req = ExportMirrorRequest { signed_mirror_request: request.clone() };
    match call::<_, ExportMirrorResponse>(card, &req).0 {
        ExportMirrorResult::BoundProfilePackage(bpp) => Ok(bpp.to_vec()),
        ExportMirrorResult::MirrorError(e) => Err(e),
    }
}

/// The mirror package through LoadBoundProfilePackage in lpac's segments: the PIR.
fn load<T: veuicc::testkit::Transport>(lpa: &mut Es10Client<T>, bpp: &[u8]) -> Vec<u8> {
    let mut last = Vec::new();
    for command in bpp_commands(bpp).unwrap() {
        last = lpa.store_data(&command).unwrap();
        if !last.is_empty() {
            break;
        }
    }
    last
}

fn confirm(card: &mut TestCard, pir: &[u8]) -> Result<MirrorLink, u8> {
    let req = ConfirmMirrorRequest { profile_installation_result: pir.to_vec().into() };
    match call::<_, ConfirmMirrorResponse>(card, &req).0 {
        ConfirmMirrorResult::MirrorLink(l) => Ok(l),
        ConfirmMirrorResult::MirrorError(e) => Err(e),
    }
}

fn links(card: &mut TestCard) -> Vec<MirrorLink> {
    match call::<_, ListMirrorLinksResponse>(card, &ListMirrorLinksRequest { iccid: None }).0 {
        ListMirrorLinksResult::MirrorLinks(l) => l,
        ListMirrorLinksResult::MirrorError(e) => panic!("list: {e}"),
    }
}

fn info(card: &mut TestCard) -> Vec<MirrorProfileInfo> {
    match call::<_, GetMirrorInfoResponse>(card, &GetMirrorInfoRequest { iccid: None }).0 {
        GetMirrorInfoResult::MirrorProfiles(p) => p,
        GetMirrorInfoResult::MirrorError(e) => panic!("info: {e}"),
    }
}

fn pir_data(pir: &[u8]) -> ProfileInstallationResultData {
    let pir: ProfileInstallationResult = rasn::der::decode(pir).unwrap();
    rasn::der::decode(pir.profile_installation_result_data.as_bytes()).unwrap()
}

/// Begin, Export and the install on one channel of the secondary: the request, the package, the PIR.
fn pair(
    primary: &mut TestCard,
    secondary: &mut TestCard,
    token: &SignedMirrorToken,
) -> (SignedMirrorRequest, Vec<u8>, Vec<u8>) {
    let mut lpa = Es10Client::open(&mut *secondary).unwrap();
    let request = begin_on(&mut lpa, token).unwrap();
    let bpp = export(primary, &request).unwrap();
    let pir = load(&mut lpa, &bpp);
    lpa.close().unwrap();
    (request, bpp, pir)
}

fn code(e: MirrorResult) -> u8 {
    e.value()
}

fn imsi(card: &mut TestCard) -> Vec<u8> {
    let mut lpa = Es10Client::open(&mut *card).unwrap();
    assert_eq!(lpa.enable_profile(ProfileIdentifier::Iccid(SOURCE.to_vec().into()), false).unwrap().to_string(), "0");
    lpa.close().unwrap();
    card.reset();
    assert_eq!(support::tx(card, "00A4040C07A0000000871002").1, 0x9000);
    assert_eq!(support::tx(card, "002000010830303030FFFFFFFF").1, 0x9000);
    assert_eq!(support::tx(card, "00A4000C026F07").1, 0x9000);
    let (imsi, sw) = support::tx(card, "00B0000009");
    assert_eq!(sw, 0x9000);
    imsi
}

#[test]
fn a_whole_pairing_gives_the_secondary_the_same_subscription() {
    let mut primary = primary_with(FULL);
    let mut secondary = secondary();
    let token = issue(&mut primary, &token_req(3600, None));
    let (request, bpp, pir) = pair(&mut primary, &mut secondary, &token);
    assert_eq!(request.mirror_request.secondary_eid.as_slice(), &eid_of(&secondary));
    assert_eq!(request.mirror_request.token_id, token.mirror_token.token_id);
    let token_der = rasn::der::encode(&token.mirror_token).unwrap();
    assert_eq!(
        *request.mirror_request.token_hash,
        veuicc::crypto::CryptoProvider::sha256(&veuicc::crypto::RUST_CRYPTO, &[&token_der])
    );
    assert_eq!(links(&mut primary)[0].state, link_state::PENDING);

    // The secondary's PIR: a success for the token's transaction, naming the mirror signer.
    let data = pir_data(&pir);
    assert!(matches!(data.final_result, FinalResult::Success(_)), "{:?}", data.final_result);
    assert_eq!(data.transaction_id.as_ref(), token.mirror_token.token_id.as_slice());
    assert_eq!(data.notification_metadata.iccid.as_deref(), Some(&SOURCE[..]));
    let oid = rasn::der::encode(&data.smdp_oid).unwrap();
    assert_eq!(&oid[2..], &MIRROR_SIGNER_OID[..]);

    let link = confirm(&mut primary, &pir).unwrap();
    assert_eq!(link.state, link_state::ACTIVE);
    assert_eq!((link.linked_at, link.renew_by), (Some(T0), Some(T0 + REAUTH)));
    assert_eq!(link.secondary_eid.map(|e| *e), Some(eid_of(&secondary)));
    let listed = links(&mut primary);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0], link);
    assert_eq!(confirm(&mut primary, &pir), Err(code(MirrorResult::TokenAlreadyRedeemed)), "once");

    // The secondary holds the profile, marked as a mirror instance of the primary.
    let profiles = secondary.0.state().profiles.clone();
    assert_eq!(profiles.len(), 1);
    assert_eq!(profiles[0].iccid.as_ref(), &SOURCE[..]);
    let infos = info(&mut secondary);
    assert_eq!(infos.len(), 1);
    assert_eq!(infos[0].role, role::SECONDARY);
    let instance = infos[0].instance.clone().expect("a mirror instance");
    assert_eq!(*instance.source_eid, eid_of(&primary));
    assert_eq!(instance.token_id, token.mirror_token.token_id);
    assert_eq!(services_of(&instance.services), Some(service::VOICE | service::DATA));
    assert_eq!(instance.renew_by, T0 + REAUTH);
    assert_eq!((instance.state, instance.device_class, instance.priority), (link_state::ACTIVE, Some(2), Some(0)));
    assert_eq!(infos[0].policy.as_ref().map(|p| p.reauth_interval), Some(REAUTH as u32));
    // The pinned primary certificate is the one that signed the token.
    let record: veuicc::mirror::record::MirrorRecord = secondary
        .0
        .state()
        .get::<veuicc::mirror::record::MirrorKind, ()>(&veuicc::mirror::record::key(profiles[0].slot()))
        .unwrap()
        .unwrap();
    assert_eq!(record.instance.unwrap().primary_certificate, token.euicc_certificate);
    // A mirror of a mirror is refused.
    let refused = call::<_, IssueMirrorTokenResponse>(&mut secondary, &token_req(600, None)).0;
    assert_eq!(refused, IssueMirrorTokenResult::MirrorError(code(MirrorResult::ProfileNotMirrorable)));

    // The same subscription on both: the SIM of each answers the same IMSI.
    let a = imsi(&mut primary);
    let b = imsi(&mut secondary);
    assert_eq!(a, b);
    assert_eq!(a, veuicc::testkit::saip::encode_imsi(&veuicc::testkit::saip::TestProfile::new(SOURCE).imsi));

    // Independent checks: the package's InitialiseSecureChannel under the primary's CERT.EUICC
    // (SGP.22's smdpSign input with the secondary's otPK), the PIR under the secondary's.
    let isc = bpp_commands(&bpp).unwrap()[0].clone();
    let bf23 = &isc[isc.len() - (bpp_isc_len(&isc))..];
    let (signed_part, signature) = isc_parts(bf23);
    let mut msg = signed_part.to_vec();
    msg.extend([0x5F, 0x49, 0x41]);
    msg.extend(request.mirror_request.ot_pk.as_ref());
    verify_with_python(&token.euicc_certificate, &msg, &signature);
    let pir_whole: ProfileInstallationResult = rasn::der::decode(&pir).unwrap();
    verify_with_python(
        &request.euicc_certificate,
        pir_whole.profile_installation_result_data.as_bytes(),
        &pir_whole.euicc_sign_pir,
    );
}

/// The length of the `BF23` TLV at the end of the first command (after the BF36 header).
fn bpp_isc_len(first: &[u8]) -> usize {
    let at = first.windows(2).position(|w| w == [0xBF, 0x23]).unwrap();
    first.len() - at
}

/// A `BF23` TLV's content without its `5F37` signature, and the signature.
fn isc_parts(bf23: &[u8]) -> (&[u8], Vec<u8>) {
    let (content_at, len) = match bf23[2] {
        0x81 => (4, bf23[3] as usize),
        0x82 => (5, (bf23[3] as usize) << 8 | bf23[4] as usize),
        n => (3, n as usize),
    };
    let content = &bf23[content_at..content_at + len];
    let sig_at = content.len() - 67;
    assert_eq!(&content[sig_at..sig_at + 3], &[0x5F, 0x37, 0x40]);
    (&content[..sig_at], content[sig_at + 3..].to_vec())
}

fn verify_with_python(cert: &[u8], msg: &[u8], sig: &[u8]) {
    let ok =
        std::process::Command::new("python3").args(["-c", "import cryptography"]).status().is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: python3 -m pip install cryptography for the independent signature check");
        return;
    }
    let script = r#"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
cert, msg, sig = (bytes.fromhex(a) for a in sys.argv[1:4])
r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
key = x509.load_der_x509_certificate(cert).public_key()
key.verify(encode_dss_signature(r, s), msg, ec.ECDSA(hashes.SHA256()))
tampered = bytearray(msg); tampered[-1] ^= 1
try:
    key.verify(encode_dss_signature(r, s), bytes(tampered), ec.ECDSA(hashes.SHA256()))
    sys.exit("a tampered message verified")
except Exception as e:
    if type(e).__name__ != "InvalidSignature": raise
print("verified")
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(support::hexs(cert))
        .arg(support::hexs(msg))
        .arg(support::hexs(sig))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "verified");
}

#[test]
fn begin_refuses_a_token_it_cannot_trust_or_use() {
    let mut primary = primary_with(FULL);
    let mut secondary = secondary();
    let token = issue(&mut primary, &token_req(3600, None));
    // The validity window, against the secondary's clock.
    set_time(&mut secondary, T0 + 3601);
    assert_eq!(begin(&mut secondary, &token), Err(code(MirrorResult::TokenExpired)));
    set_time(&mut secondary, T0 - 1);
    assert_eq!(begin(&mut secondary, &token), Err(code(MirrorResult::TokenNotYetValid)));
    secondary.0.platform_mut().clock.set(None);
    assert_eq!(begin(&mut secondary, &token), Err(code(MirrorResult::ClockNotSet)));
    set_time(&mut secondary, T0 + 3600);
    assert!(begin(&mut secondary, &token).is_ok(), "the last second of the window");
    set_time(&mut secondary, T0);
    // Signatures: a flipped signature bit, a changed token field, another card's certificate.
    let mut forged = token.clone();
    forged.euicc_signature = FixedOctetString::new({
        let mut s = *forged.euicc_signature;
        s[5] ^= 1;
        s
    });
    assert_eq!(begin(&mut secondary, &forged), Err(code(MirrorResult::BadSignature)));
    let mut widened = token.clone();
    widened.mirror_token.services = services_bits(service::ALL);
    assert_eq!(begin(&mut secondary, &widened), Err(code(MirrorResult::BadSignature)));
    let mut other_cert = token.clone();
    other_cert.euicc_certificate = identity_of(9).euicc_cert().to_vec().into();
    assert_eq!(begin(&mut secondary, &other_cert), Err(code(MirrorResult::BadSignature)));
    let mut garbage = token.clone();
    garbage.eum_certificate = vec![0x30, 0x03, 0x02, 0x01, 0x00].into();
    assert_eq!(begin(&mut secondary, &garbage), Err(code(MirrorResult::UntrustedChain)));
    // A target EID: another card's is refused, this card's is accepted.
    let elsewhere = issue(&mut primary, &token_req(3600, Some(eid_of(&card_of(identity_of(9), 1)))));
    assert_eq!(begin(&mut secondary, &elsewhere), Err(code(MirrorResult::WrongTargetEid)));
    let here = issue(&mut primary, &token_req(3600, Some(eid_of(&secondary))));
    assert!(begin(&mut secondary, &here).is_ok());
    // The ICCID already on the card: the primary itself.
    assert_eq!(begin(&mut primary, &token), Err(code(MirrorResult::IccidAlreadyPresent)));
    // Nothing of it reached storage.
    assert!(secondary.0.state().profiles.is_empty());
}

#[test]
fn begin_refuses_a_chain_to_a_ci_it_does_not_trust() {
    // A primary whose identity and SM-DP+ live under another CI.
    let other = TestPki::generate(0xA11E, 1);
    let identity = Arc::new(other.identity(0).unwrap());
    let mut primary = card_of(identity, 5);
    install_source(&mut primary, &other, FULL);
    set_time(&mut primary, T0);
    let token = issue(&mut primary, &token_req(3600, None));
    let mut secondary = secondary();
    assert_eq!(begin(&mut secondary, &token), Err(code(MirrorResult::UntrustedChain)));
}

#[test]
fn begin_needs_a_free_profile_slot() {
    let mut primary = primary_with(FULL);
    let identity = identity_of(7);
    let mut config = identity.card_config();
    config.profile_capacity = 1;
    let platform = Parts { storage: MemStorage::new(), rng: DetRng::new(3), clock: ManualClock::default() };
    let mut secondary = TestCard(veuicc::Card::with_identity(config, identity, platform).unwrap());
    let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 4);
    let other: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x52];
    let mut lpa = Es10Client::open(&mut secondary).unwrap();
    download(&mut lpa, &mut smdp, &ProfileToInstall::sample(other, 1200)).unwrap();
    lpa.close().unwrap();
    set_time(&mut secondary, T0);
    let token = issue(&mut primary, &token_req(3600, None));
    assert_eq!(begin(&mut secondary, &token), Err(code(MirrorResult::NoFreeSlot)));
}

#[test]
fn export_refuses_replays_strangers_and_forgeries() {
    let mut primary = primary_with(FULL);
    let mut secondary = secondary();
    let token = issue(&mut primary, &token_req(3600, None));
    let request = begin(&mut secondary, &token).unwrap();
    // A forged request: a flipped signature, a changed otPK.
    let mut forged = request.clone();
    forged.euicc_signature = FixedOctetString::new({
        let mut s = *forged.euicc_signature;
        s[7] ^= 1;
        s
    });
    assert_eq!(export(&mut primary, &forged), Err(code(MirrorResult::BadSignature)));
    let mut swapped = request.clone();
    swapped.mirror_request.secondary_eid = FixedOctetString::new(eid_of(&primary));
    assert_eq!(export(&mut primary, &swapped), Err(code(MirrorResult::BadSignature)));
    // The primary's clock decides too.
    set_time(&mut primary, T0 + 3601);
    assert_eq!(export(&mut primary, &request), Err(code(MirrorResult::TokenExpired)));
    set_time(&mut primary, T0);
    let bpp = export(&mut primary, &request).unwrap();
    assert_eq!(bpp[..2], [0xBF, 0x36]);
    // The same request again once the link exists: the token is used.
    assert_eq!(export(&mut primary, &request), Err(code(MirrorResult::TokenAlreadyRedeemed)));
    // A request for a token this card never issued.
    let mut stranger = primary_with(FULL);
    assert_eq!(export(&mut stranger, &request), Err(code(MirrorResult::UnknownToken)));
    // A revoked token.
    let revoked = issue(&mut primary, &token_req(3600, None));
    let revoked_request = begin(&mut secondary, &revoked).unwrap();
    let req = RevokeMirrorRequest { link: MirrorLinkRef::TokenId(revoked.mirror_token.token_id) };
    let _: RevokeMirrorResponse = call(&mut primary, &req);
    assert_eq!(export(&mut primary, &revoked_request), Err(code(MirrorResult::UnknownToken)));
}

#[test]
fn export_holds_the_instance_limit() {
    use veuicc::mirror::record::{MirrorKind, MirrorRecord, key};
    use veuicc::store::{RecordKind, Store, Txn};
    let mut primary = primary_with("max=1,services=voice+sms+data,validity=24h,reauth=90d");
    let mut secondary = secondary();
    let token = issue(&mut primary, &token_req(3600, None));
    let request = begin(&mut secondary, &token).unwrap();
    // A record that already holds a live link beside the token (as storage written by
    // another rule could): the export would be one instance too many.
    let slot = primary.0.state().profiles[0].slot();
    let mut record: MirrorRecord = primary.0.state().get::<MirrorKind, ()>(&key(slot)).unwrap().unwrap();
    let mut other = record.entries[0].clone();
    other.token_id = FixedOctetString::new([0x77; 16]);
    other.state = link_state::ACTIVE;
    other.code = b"00000000".to_vec().into();
    record.entries.push(other);
    {
        let storage = primary.storage();
        let mut store = Store::open(storage).unwrap();
        let mut txn = Txn::new();
        txn.put(&MirrorKind::name(&key(slot)), rasn::der::encode(&record).unwrap());
        store.commit(storage, txn).unwrap();
    }
    primary.power_off();
    primary.power_on();
    set_time(&mut primary, T0);
    assert_eq!(export(&mut primary, &request), Err(code(MirrorResult::InstancesExceeded)));
}

#[test]
fn the_secondary_refuses_a_tampered_package_and_keeps_nothing() {
    let mut primary = primary_with(FULL);
    let mut secondary = secondary();
    let token = issue(&mut primary, &token_req(3600, None));
    let mut lpa = Es10Client::open(&mut secondary).unwrap();
    let request = begin_on(&mut lpa, &token).unwrap();
    let bpp = export(&mut primary, &request).unwrap();
    // One bit of the last profile-element segment: its MAC fails.
    let mut commands = bpp_commands(&bpp).unwrap();
    let last = commands.last_mut().unwrap();
    let i = last.len() - 20;
    last[i] ^= 0x01;
    let mut pir = Vec::new();
    for c in &commands {
        pir = lpa.store_data(c).unwrap();
        if !pir.is_empty() {
            break;
        }
    }
    lpa.close().unwrap();
    let data = pir_data(&pir);
    assert!(matches!(data.final_result, FinalResult::Error(_)), "{:?}", data.final_result);
    assert!(secondary.0.state().profiles.is_empty(), "nothing half-installed");
    assert!(info(&mut secondary).is_empty());
    // A failed install does not confirm the link; it stays pending.
    assert_eq!(confirm(&mut primary, &pir), Err(code(MirrorResult::IncorrectInputValues)));
    assert_eq!(links(&mut primary)[0].state, link_state::PENDING);

    // Another card with the same profile cannot answer for the primary's token.
    let mut impostor = card_of(identity_of(9), 8);
    install_source(&mut impostor, default_pki(), FULL);
    set_time(&mut impostor, T0);
    let token = issue(&mut primary, &token_req(3600, None));
    let mut lpa = Es10Client::open(&mut secondary).unwrap();
    let request = begin_on(&mut lpa, &token).unwrap();
    assert_eq!(export(&mut impostor, &request), Err(code(MirrorResult::UnknownToken)));
    lpa.close().unwrap();
}

#[test]
fn confirm_refuses_a_forged_pir() {
    let mut primary = primary_with(FULL);
    let mut secondary = secondary();
    let token = issue(&mut primary, &token_req(3600, None));
    let (_, _, pir) = pair(&mut primary, &mut secondary, &token);
    let mut whole: ProfileInstallationResult = rasn::der::decode(&pir).unwrap();
    let mut sig = whole.euicc_sign_pir.to_vec();
    sig[3] ^= 1;
    whole.euicc_sign_pir = sig.into();
    let forged = rasn::der::encode(&whole).unwrap();
    assert_eq!(confirm(&mut primary, &forged), Err(code(MirrorResult::BadSignature)));
    // Signed by the primary itself (a PIR of its own install is not the secondary's).
    assert_eq!(confirm(&mut primary, &[0xBF, 0x37, 0x00]), Err(code(MirrorResult::IncorrectInputValues)));
    assert_eq!(links(&mut primary)[0].state, link_state::PENDING);
    assert_eq!(confirm(&mut primary, &pir).map(|l| l.state), Ok(link_state::ACTIVE));
}

mod power_cuts {
    use super::*;
    use veuicc::store::CardState;
    use veuicc::testkit::tearing::{
        TearingPlatform, TearingStorage, card_on, tear_every_write, tear_every_write_allowing,
    };

    type Tearing = veuicc::Card<TearingPlatform>;

    fn store_data(card: &mut Tearing, der: &[u8]) -> Vec<u8> {
        let mut lpa = Es10Client::open(&mut *card).unwrap();
        let r = lpa.store_data(der).unwrap();
        lpa.close().unwrap();
        r
    }

    #[test]
    fn export_survives_a_power_cut_at_every_write() {
        let config = veuicc::testkit::default_config();
        let mut card = card_on(&config, TearingStorage::new()).unwrap();
        {
            let mut lpa = Es10Client::open(&mut card).unwrap();
            let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 3);
            let p = ProfileToInstall::sample(SOURCE, 1200).with_mirror_policy(&parse_mirror_policy(FULL).unwrap());
            download(&mut lpa, &mut smdp, &p).unwrap();
            lpa.close().unwrap();
        }
        card.platform_mut().clock.set(Some(UnixTime(T0)));
        let issued: IssueMirrorTokenResponse =
            rasn::der::decode(&store_data(&mut card, &rasn::der::encode(&token_req(3600, None)).unwrap())).unwrap();
        let IssueMirrorTokenResult::Issued(issued) = issued.0 else { panic!("issue") };
        let request = begin(&mut secondary(), &issued.signed_mirror_token).unwrap();
        let mut initial = card.into_platform().storage;
        initial.power_up();
        let export = rasn::der::encode(&ExportMirrorRequest { signed_mirror_request: request }).unwrap();
        let op = |card: &mut Tearing| {
            card.platform_mut().clock.set(Some(UnixTime(T0)));
            if let Ok(mut lpa) = Es10Client::open(&mut *card) {
                let _ = lpa.store_data(&export);
            }
        };
        let report = tear_every_write(&config, &initial, op).unwrap();
        assert!(report.landed > 0 && report.landed < report.cut_points, "{report:?}");
    }

    #[test]
    fn the_install_survives_a_power_cut_at_every_write() {
        let config = veuicc::testkit::default_config();
        let mut primary = card_of(identity_of(7), 21);
        install_source(&mut primary, default_pki(), FULL);
        set_time(&mut primary, T0);
        let token = issue(&mut primary, &token_req(3600, None));
        // The secondary's Begin is deterministic (a fresh card's RNG): the package made for the
        // first run's request fits every run.
        let mut probe = card_on(&config, TearingStorage::new()).unwrap();
        probe.platform_mut().clock.set(Some(UnixTime(T0)));
        let mut lpa = Es10Client::open(&mut probe).unwrap();
        let request = begin_on(&mut lpa, &token).unwrap();
        lpa.close().unwrap();
        let bpp = export(&mut primary, &request).unwrap();
        let commands = bpp_commands(&bpp).unwrap();
        let begin_der = rasn::der::encode(&BeginMirrorRequest { signed_mirror_token: token.clone() }).unwrap();
        let op = |card: &mut Tearing| {
            card.platform_mut().clock.set(Some(UnixTime(T0)));
            let Ok(mut lpa) = Es10Client::open(&mut *card) else { return };
            if lpa.store_data(&begin_der).is_err() {
                return;
            }
            for c in &commands {
                match lpa.store_data(c) {
                    Ok(answer) if answer.is_empty() => {}
                    _ => return,
                }
            }
        };
        // A cut after InitialiseSecureChannel noted the load: its PIR is still to be made.
        let load_started = |before: &CardState, state: &CardState| {
            state.install.is_some()
                && state.profiles == before.profiles
                && state.notifications == before.notifications
                && CardState { install: None, ..state.clone() } == *before
        };
        let report = tear_every_write_allowing(&config, &TearingStorage::new(), op, load_started).unwrap();
        assert!(report.landed > 0 && report.landed < report.cut_points, "{report:?}");
        assert!(report.between > 0, "{report:?}");
        // Uncut, the instance is recorded with the profile.
        let mut card = card_on(&config, TearingStorage::new()).unwrap();
        op(&mut card);
        let state = card.state().clone();
        assert_eq!(state.profiles.len(), 1);
        let slot = state.profiles[0].slot();
        let rec = state.get::<veuicc::mirror::record::MirrorKind, ()>(&veuicc::mirror::record::key(slot)).unwrap();
        assert_eq!(rec.and_then(|r| r.instance).map(|i| i.token_id), Some(token.mirror_token.token_id));
    }
}

#[test]
fn one_mirror_session_at_a_time() {
    let mut primary = primary_with(FULL);
    let mut secondary = secondary();
    let first = issue(&mut primary, &token_req(3600, None));
    let second = issue(&mut primary, &token_req(3600, None));
    let mut lpa = Es10Client::open(&mut secondary).unwrap();
    let request = begin_on(&mut lpa, &first).unwrap();
    let bpp = export(&mut primary, &request).unwrap();
    // A second Begin replaces the session: the first package is bound to a forgotten key.
    begin_on(&mut lpa, &second).unwrap();
    let pir = load(&mut lpa, &bpp);
    let data = pir_data(&pir);
    assert!(matches!(data.final_result, FinalResult::Error(_)), "{:?}", data.final_result);
    // During a load the ISD-R reads every command that is not an ES10 (`BF`) one as the BPP:
    // a BeginMirror there is BPP bytes, and the load fails with its PIR; nothing is installed.
    let request = begin_on(&mut lpa, &second).unwrap();
    let bpp = export(&mut primary, &request).unwrap();
    let commands = bpp_commands(&bpp).unwrap();
    assert!(lpa.store_data(&commands[0]).unwrap().is_empty());
    let der = rasn::der::encode(&BeginMirrorRequest { signed_mirror_token: first.clone() }).unwrap();
    let pir = lpa.store_data(&der).unwrap();
    assert!(matches!(pir_data(&pir).final_result, FinalResult::Error(_)));
    let secondary = lpa.close().unwrap();
    assert!(secondary.0.state().profiles.is_empty());
    assert!(secondary.0.state().install.is_none());
}

#[test]
fn the_package_must_be_signed_by_the_tokens_primary() {
    let mut primary = primary_with(FULL);
    let mut secondary = secondary();
    let token = issue(&mut primary, &token_req(3600, None));
    let mut lpa = Es10Client::open(&mut secondary).unwrap();
    let request = begin_on(&mut lpa, &token).unwrap();
    let bpp = export(&mut primary, &request).unwrap();
    // The same InitialiseSecureChannel signed by another card of the same CI.
    let mut commands = bpp_commands(&bpp).unwrap();
    let first = commands[0].clone();
    let bf23_at = first.len() - bpp_isc_len(&first);
    let (signed_part, _) = isc_parts(&first[bf23_at..]);
    let mut msg = signed_part.to_vec();
    msg.extend([0x5F, 0x49, 0x41]);
    msg.extend(request.mirror_request.ot_pk.as_ref());
    let forged = identity_of(9).sign(&msg);
    let sig_at = first.len() - 64;
    commands[0][sig_at..].copy_from_slice(&forged);
    let pir = lpa.store_data(&commands[0]).unwrap();
    lpa.close().unwrap();
    match pir_data(&pir).final_result {
        FinalResult::Error(e) => {
            assert_eq!((e.bpp_command_id.to_string(), e.error_reason.to_string()), ("0".into(), "2".into()));
        }
        other => panic!("{other:?}"),
    }
    assert!(secondary.0.state().profiles.is_empty());
}
