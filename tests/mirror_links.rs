//! A mirror link's life (issue #19): revoke, renew, suspend while roaming and resume, through
//! each card's APDUs only — the LPA driver (`testkit::mirror`) relays the bytes. Three and five
//! cards; each secondary's USIM answers AUTHENTICATE while its instance is usable and refuses
//! (`6985`) when suspended or past renew-by, and has no profile once revoked; an instance past
//! renew-by is not enabled. Every update a secondary applies is refused with its code and no
//! state change when replayed, relayed to another card, forged (each byte flipped in turn),
//! re-signed by another card or meant for another card; a power cut at every write of each
//! update function (and of RedeemMirrorCode and ConfirmMirror) leaves the card before or after
//! it; every mirror event is a notification the operator verifies.
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
use support::mirror::{FULL, REAUTH, SOURCE, T0, enable_source, primary_with, secondary_n, set_time, token_req};
use support::{hexs, tx};
use veuicc::crypto::rustcrypto::RustCrypto;
use veuicc::mirror::asn::*;
use veuicc::sim::milenage::Milenage;
use veuicc::testkit::mirror::{self, APPLIED, MirrorError, Revoked, Step};
use veuicc::testkit::{Es10Client, TestCard};

const ROAMING: &str = "max=3,services=voice+sms+data,validity=24h,reauth=90d,roaming-suspend";

/// Pairs `secondary` with `primary` (a token targeted at it): the active link.
fn pair(primary: &mut TestCard, secondary: &mut TestCard) -> MirrorLink {
    let target = support::mirror::eid_of(secondary);
    let mut p = Es10Client::open(&mut *primary).unwrap();
    let mut s = Es10Client::open(&mut *secondary).unwrap();
    let paired = mirror::pair(&mut p, &mut s, &token_req(3600, Some(target))).unwrap();
    p.close().unwrap();
    s.close().unwrap();
    assert_eq!(paired.link.state, link_state::ACTIVE);
    paired.link
}

fn on<R>(card: &mut TestCard, f: impl FnOnce(&mut Es10Client<&mut TestCard>) -> R) -> R {
    let mut lpa = Es10Client::open(&mut *card).unwrap();
    let r = f(&mut lpa);
    lpa.close().unwrap();
    r
}

fn by_token(link: &MirrorLink) -> MirrorLinkRef {
    MirrorLinkRef::TokenId(link.token_id)
}

fn apply(card: &mut TestCard, update: &SignedMirrorLinkUpdate) -> u8 {
    on(card, |lpa| mirror::apply(lpa, update).unwrap())
}

fn links(card: &mut TestCard) -> Vec<MirrorLink> {
    match on(card, |lpa| lpa.call::<_, ListMirrorLinksResponse>(&ListMirrorLinksRequest { iccid: None }).unwrap()).0 {
        ListMirrorLinksResult::MirrorLinks(l) => l,
        ListMirrorLinksResult::MirrorError(e) => panic!("list: {}", result_name(e)),
    }
}

fn instance(card: &mut TestCard) -> Option<MirrorInstanceInfo> {
    match on(card, |lpa| lpa.call::<_, GetMirrorInfoResponse>(&GetMirrorInfoRequest { iccid: None }).unwrap()).0 {
        GetMirrorInfoResult::MirrorProfiles(p) => p.into_iter().find_map(|p| p.instance),
        GetMirrorInfoResult::MirrorError(e) => panic!("info: {}", result_name(e)),
    }
}

/// The network side of AUTHENTICATE 3G: `10 RAND 10 AUTN` for sequence number `seq` (index 0),
/// Milenage with the test kit's keys.
fn auth_apdu(seq: u64) -> String {
    let crypto = RustCrypto;
    let rand = [seq as u8 ^ 0x5A; 16];
    let sqn: [u8; 6] = (seq << 5).to_be_bytes()[2..].try_into().unwrap();
    let m = Milenage::new(core::array::from_fn(|i| i as u8), [0; 16]);
    let ak = m.f2345(&crypto, &rand).ak;
    let amf = [0x80, 0x00];
    let mut autn: Vec<u8> = sqn.iter().zip(ak.iter()).map(|(s, a)| s ^ a).collect();
    autn.extend_from_slice(&amf);
    autn.extend_from_slice(&m.f1(&crypto, &rand, &sqn, &amf).0);
    format!("008800812210{}10{}00", hexs(&rand), hexs(&autn))
}

/// The enabled profile's USIM after a reset: selected and PIN verified.
fn usim(card: &mut TestCard) {
    card.reset();
    assert_eq!(tx(card, "00A4040C07A0000000871002").1, 0x9000);
    assert_eq!(tx(card, "002000010830303030FFFFFFFF").1, 0x9000);
}

/// AUTHENTICATE 3G with sequence number `seq`: the status word (`DB …` checked on success).
fn authenticate(card: &mut TestCard, seq: u64) -> u16 {
    let (data, sw) = tx(card, &auth_apdu(seq));
    if sw == 0x9000 {
        assert_eq!(data.first(), Some(&0xDB), "{}", hexs(&data));
    }
    sw
}

/// GSM context (RUN GSM ALGORITHM through class `00`): refused the same way.
fn authenticate_gsm(card: &mut TestCard) -> u16 {
    tx(card, &format!("008800801110{}00", hexs(&[7u8; 16]))).1
}

fn enabled_source(card: &mut TestCard) {
    assert_eq!(enable_source(card), "0");
    usim(card);
}

fn code(r: MirrorResult) -> u8 {
    r.value()
}

#[test]
fn three_cards_revoke_one_suspend_while_roaming_and_resume() {
    let mut phone = primary_with(ROAMING);
    let mut watch = secondary_n(1);
    let mut tablet = secondary_n(2);
    let watch_link = pair(&mut phone, &mut watch);
    let tablet_link = pair(&mut phone, &mut tablet);
    enabled_source(&mut watch);
    enabled_source(&mut tablet);
    assert_eq!(authenticate(&mut watch, 1), 0x9000);
    assert_eq!(authenticate(&mut tablet, 1), 0x9000);

    // The lost watch, revoked from the phone: once the watch applies it, its instance is gone.
    let revocation = match on(&mut phone, |lpa| mirror::revoke(lpa, by_token(&watch_link))).unwrap() {
        Revoked::Revocation(r) => r,
        Revoked::TokenVoided => panic!("an active link is revoked, not voided"),
    };
    assert_eq!(revocation.mirror_link_update.action, action::REVOKE);
    assert_eq!(revocation.mirror_link_update.secondary_eid.as_slice(), support::mirror::eid_of(&watch));
    // Until it is delivered the watch still works (the card cannot know).
    assert_eq!(authenticate(&mut watch, 2), 0x9000);
    let _ = watch.0.take_refresh_ports();
    assert_eq!(apply(&mut watch, &revocation), APPLIED);
    assert_eq!(watch.0.take_refresh_ports(), 1, "the enabled profile's port is refreshed");
    assert_ne!(authenticate(&mut watch, 3), 0x9000, "no profile: no AUTHENTICATE");
    assert!(watch.0.state().profiles.is_empty());
    assert_eq!(instance(&mut watch), None);
    assert_eq!(apply(&mut watch, &revocation), code(MirrorResult::UnknownLink), "replayed: nothing left");
    let states: Vec<u8> = links(&mut phone).iter().map(|l| l.state).collect();
    assert_eq!(states, [link_state::REVOKED, link_state::ACTIVE]);
    // Revoked twice: unknown.
    assert_eq!(
        on(&mut phone, |lpa| mirror::revoke(lpa, by_token(&watch_link))),
        Err(MirrorError::Refused(Step::Revoke, code(MirrorResult::UnknownLink)))
    );

    // Roaming: the phone suspends every link of the profile (only the tablet's is left).
    let suspensions = on(&mut phone, |lpa| mirror::suspend(lpa, None)).unwrap();
    assert_eq!(suspensions.len(), 1);
    assert_eq!(suspensions[0].mirror_link_update.token_id, tablet_link.token_id);
    assert_eq!(links(&mut phone)[1].state, link_state::SUSPENDED);
    assert_eq!(apply(&mut tablet, &suspensions[0]), APPLIED);
    assert_eq!(authenticate(&mut tablet, 2), 0x6985);
    assert_eq!(authenticate_gsm(&mut tablet), 0x6985);
    assert_eq!(instance(&mut tablet).map(|i| i.state), Some(link_state::SUSPENDED));
    // Suspended, it is not enabled again.
    on(&mut tablet, |lpa| {
        let id = veuicc::asn1::rsp::ProfileIdentifier::Iccid(SOURCE.to_vec().into());
        assert_eq!(lpa.disable_profile(id, false).unwrap().to_string(), "0");
    });
    assert_eq!(enable_source(&mut tablet), "3", "disallowedByPolicy");
    // Home again: resumed.
    let resumptions = on(&mut phone, |lpa| mirror::resume(lpa, None)).unwrap();
    assert_eq!(resumptions.len(), 1);
    assert_eq!(apply(&mut tablet, &resumptions[0]), APPLIED);
    assert_eq!(instance(&mut tablet).map(|i| i.state), Some(link_state::ACTIVE));
    enabled_source(&mut tablet);
    assert_eq!(authenticate(&mut tablet, 3), 0x9000);
    // The suspension, replayed after the resumption: refused, the tablet keeps working.
    assert_eq!(apply(&mut tablet, &suspensions[0]), code(MirrorResult::ReplayedMessage));
    assert_eq!(authenticate(&mut tablet, 4), 0x9000);
}

#[test]
fn past_renew_by_an_instance_is_suspended_until_renewed() {
    let mut phone = primary_with(FULL);
    let mut tablet = secondary_n(2);
    let link = pair(&mut phone, &mut tablet);
    assert_eq!(link.renew_by, Some(T0 + REAUTH));
    enabled_source(&mut tablet);
    assert_eq!(authenticate(&mut tablet, 1), 0x9000);
    // The last second of the interval still works; the next does not.
    set_time(&mut tablet, T0 + REAUTH);
    assert_eq!(authenticate(&mut tablet, 2), 0x9000);
    set_time(&mut tablet, T0 + REAUTH + 1);
    assert_eq!(authenticate(&mut tablet, 3), 0x6985);
    assert_eq!(instance(&mut tablet).map(|i| i.state), Some(link_state::SUSPENDED));
    on(&mut tablet, |lpa| {
        let id = veuicc::asn1::rsp::ProfileIdentifier::Iccid(SOURCE.to_vec().into());
        assert_eq!(lpa.disable_profile(id, false).unwrap().to_string(), "0");
    });
    assert_eq!(enable_source(&mut tablet), "3", "disallowedByPolicy past renew-by");
    // A card without time cannot tell: it refuses too.
    tablet.0.platform_mut().clock.set(None);
    assert_eq!(enable_source(&mut tablet), "3");
    set_time(&mut tablet, T0 + REAUTH + 1);

    // The phone renews on day 90: renew-by moves to then + 90 days.
    let day90 = T0 + REAUTH + 60;
    set_time(&mut phone, day90);
    let renewal = on(&mut phone, |lpa| mirror::renew(lpa, by_token(&link))).unwrap();
    assert_eq!(renewal.mirror_link_update.action, action::RENEW);
    assert_eq!(renewal.mirror_link_update.renew_by, Some(day90 + REAUTH));
    assert_eq!(links(&mut phone)[0].renew_by, Some(day90 + REAUTH));
    assert_eq!(apply(&mut tablet, &renewal), APPLIED);
    assert_eq!(instance(&mut tablet).map(|i| (i.state, i.renew_by)), Some((link_state::ACTIVE, day90 + REAUTH)));
    enabled_source(&mut tablet);
    assert_eq!(authenticate(&mut tablet, 4), 0x9000);
    assert_eq!(apply(&mut tablet, &renewal), code(MirrorResult::ReplayedMessage));
}

#[test]
fn five_cards_reach_the_operators_limit_and_a_revocation_frees_a_place() {
    let mut phone = primary_with(FULL);
    let mut others: Vec<TestCard> = (1..=4).map(secondary_n).collect();
    let mut made = Vec::new();
    for card in others.iter_mut().take(3) {
        made.push(pair(&mut phone, card));
    }
    // A fourth device: maxInstances 3.
    let target = support::mirror::eid_of(&others[3]);
    let refused =
        on(&mut phone, |lpa| lpa.call::<_, IssueMirrorTokenResponse>(&token_req(3600, Some(target))).unwrap());
    assert_eq!(refused.0, IssueMirrorTokenResult::MirrorError(code(MirrorResult::InstancesExceeded)));
    for card in others.iter_mut().take(3) {
        enabled_source(card);
        assert_eq!(authenticate(card, 1), 0x9000);
    }
    // The second device is revoked: the fourth may join, and all three live ones authenticate.
    let Revoked::Revocation(r) = on(&mut phone, |lpa| mirror::revoke(lpa, by_token(&made[1]))).unwrap() else {
        panic!("revoked")
    };
    assert_eq!(apply(&mut others[1], &r), APPLIED);
    let (first, rest) = others.split_at_mut(3);
    let _ = first;
    pair(&mut phone, &mut rest[0]);
    enabled_source(&mut others[3]);
    for (i, card) in others.iter_mut().enumerate() {
        let sw = authenticate(card, 2);
        if i == 1 {
            assert_ne!(sw, 0x9000, "the revoked device");
        } else {
            assert_eq!(sw, 0x9000, "device {i}");
        }
    }
    let live = links(&mut phone).iter().filter(|l| l.state == link_state::ACTIVE).count();
    assert_eq!(live, 3);
    // Renewal or suspension of a revoked link: unknown.
    assert_eq!(
        on(&mut phone, |lpa| mirror::renew(lpa, by_token(&made[1]))),
        Err(MirrorError::Refused(Step::Renew, code(MirrorResult::UnknownLink)))
    );
    assert_eq!(
        on(&mut phone, |lpa| mirror::suspend(lpa, Some(by_token(&made[1])))),
        Err(MirrorError::Refused(Step::Suspend, code(MirrorResult::UnknownLink)))
    );
    // Without roaming-suspend in the policy, a roaming report suspends nothing.
    assert_eq!(on(&mut phone, |lpa| mirror::suspend(lpa, None)), Ok(vec![]));
    // By the secondary's EID.
    let by_eid = MirrorLinkRef::SecondaryEid(FixedOctetString::new(support::mirror::eid_of(&others[0])));
    let s = on(&mut phone, |lpa| mirror::suspend(lpa, Some(by_eid))).unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(apply(&mut others[0], &s[0]), APPLIED);
    assert_eq!(authenticate(&mut others[0], 3), 0x6985);
}

/// The instance as the secondary reports it, and its stored state: what a refused update must
/// not change.
fn snapshot(card: &mut TestCard) -> (Option<MirrorInstanceInfo>, veuicc::store::CardState) {
    (instance(card), card.0.state().clone())
}

/// `update` re-signed by the default identity (the primary of `primary_with`) after `change`.
fn resigned(update: &SignedMirrorLinkUpdate, change: impl FnOnce(&mut MirrorLinkUpdate)) -> SignedMirrorLinkUpdate {
    let mut u = update.mirror_link_update.clone();
    change(&mut u);
    let sig = veuicc::testkit::pki::default_identity().sign(&rasn::der::encode(&u).unwrap());
    SignedMirrorLinkUpdate { mirror_link_update: u, euicc_signature: FixedOctetString::new(sig) }
}

#[test]
fn a_secondary_refuses_forged_replayed_relayed_and_misdirected_updates() {
    let mut phone = primary_with(ROAMING);
    let mut watch = secondary_n(1);
    let mut tablet = secondary_n(2);
    let link = pair(&mut phone, &mut watch);
    pair(&mut phone, &mut tablet);
    set_time(&mut phone, T0 + 86400);
    let renewal = on(&mut phone, |lpa| mirror::renew(lpa, by_token(&link))).unwrap();
    let before = snapshot(&mut watch);

    // Every byte of the signed update's content (the MirrorLinkUpdate and its signature)
    // flipped in turn: refused (a code, or 6A80 when it no longer decodes), nothing changed.
    let der = rasn::der::encode(&renewal).unwrap();
    let content = der[1 + len_of_len(&der)..].to_vec();
    // ApplyMirrorRenewalRequest ::= [PRIVATE 72] SEQUENCE { renewal SignedMirrorLinkUpdate }:
    // the update's content under [0] (automatic tags: implicit, so A0 stands for its 30).
    let req_der = |content: &[u8]| {
        let mut inner = vec![0xA0];
        inner.extend_from_slice(&der_len(content.len()));
        inner.extend_from_slice(content);
        let mut out = vec![0xFF, 0x48];
        out.extend_from_slice(&der_len(inner.len()));
        out.extend_from_slice(&inner);
        out
    };
    assert_eq!(req_der(&content), rasn::der::encode(&ApplyMirrorRenewalRequest { renewal: renewal.clone() }).unwrap());
    for i in 0..content.len() {
        let mut flipped = content.clone();
        flipped[i] ^= 0x01;
        let answer = on(&mut watch, |lpa| lpa.store_data(&req_der(&flipped)));
        if let Ok(answer) = answer {
            let r: ApplyMirrorRenewalResponse =
                rasn::der::decode(&answer).unwrap_or_else(|e| panic!("byte {i}: {e}: {}", hexs(&answer)));
            assert_ne!(r.mirror_result, APPLIED, "byte {i} flipped was applied");
        }
        assert_eq!(snapshot(&mut watch), before, "byte {i} flipped changed the card");
    }

    // Signed by another card (the tablet, itself a card of the same CI): not the pinned primary.
    let mut forged = renewal.clone();
    forged.mirror_link_update.renew_by = Some(T0 + 10 * REAUTH);
    let tablet_sig = support::mirror::identity_of(8).sign(&rasn::der::encode(&forged.mirror_link_update).unwrap());
    forged.euicc_signature = FixedOctetString::new(tablet_sig);
    assert_eq!(apply(&mut watch, &forged), code(MirrorResult::NotFromPinnedPrimary));
    // The watch's renewal relayed to the tablet: not its link.
    assert_eq!(apply(&mut tablet, &renewal), code(MirrorResult::UnknownLink));
    // Genuinely signed by the primary but for another card, or another action, or no renewBy.
    let tablet_eid = FixedOctetString::new(support::mirror::eid_of(&tablet));
    assert_eq!(
        apply(&mut watch, &resigned(&renewal, |u| u.secondary_eid = tablet_eid)),
        code(MirrorResult::WrongTargetEid)
    );
    let as_suspension = resigned(&renewal, |u| u.action = action::SUSPEND);
    let req = ApplyMirrorRenewalRequest { renewal: as_suspension };
    let r: ApplyMirrorRenewalResponse = on(&mut watch, |lpa| lpa.call(&req).unwrap());
    assert_eq!(r.mirror_result, code(MirrorResult::IncorrectInputValues), "a suspension is not a renewal");
    let no_date = resigned(&renewal, |u| u.renew_by = None);
    assert_eq!(apply(&mut watch, &no_date), code(MirrorResult::IncorrectInputValues));
    let as_revocation = resigned(&renewal, |u| u.action = action::RESUME + 1);
    assert_eq!(apply(&mut watch, &as_revocation), code(MirrorResult::IncorrectInputValues));
    assert_eq!(snapshot(&mut watch), before, "refusals changed the card");

    // The genuine one applies once; then it, and anything older, is a replay.
    assert_eq!(apply(&mut watch, &renewal), APPLIED);
    assert_eq!(apply(&mut watch, &renewal), code(MirrorResult::ReplayedMessage));
    let older = resigned(&renewal, |u| u.sequence_number = 0);
    assert_eq!(apply(&mut watch, &older), code(MirrorResult::ReplayedMessage));
    // A revocation from a card that is not the primary: refused, the instance stays.
    let mut fake_revoke = resigned(&renewal, |u| {
        u.action = action::REVOKE;
        u.sequence_number = 99;
        u.renew_by = None;
    });
    let sig = support::mirror::identity_of(8).sign(&rasn::der::encode(&fake_revoke.mirror_link_update).unwrap());
    fake_revoke.euicc_signature = FixedOctetString::new(sig);
    assert_eq!(apply(&mut watch, &fake_revoke), code(MirrorResult::NotFromPinnedPrimary));
    assert!(instance(&mut watch).is_some());
    // A card that holds no instance: unknown link.
    let mut stranger = secondary_n(3);
    assert_eq!(apply(&mut stranger, &renewal), code(MirrorResult::UnknownLink));
    // A mirror of a mirror is refused.
    let req = IssueMirrorTokenRequest { target_eid: None, ..token_req(3600, None) };
    let r: IssueMirrorTokenResponse = on(&mut watch, |lpa| lpa.call(&req).unwrap());
    assert_eq!(r.0, IssueMirrorTokenResult::MirrorError(code(MirrorResult::ProfileNotMirrorable)));
}

fn len_of_len(tlv: &[u8]) -> usize {
    if tlv[1] < 0x80 { 1 } else { 1 + usize::from(tlv[1] & 0x7F) }
}

fn der_len(n: usize) -> Vec<u8> {
    match n {
        0..=0x7F => vec![n as u8],
        0x80..=0xFF => vec![0x81, n as u8],
        _ => vec![0x82, (n >> 8) as u8, n as u8],
    }
}

mod power_cuts {
    use super::*;
    use veuicc::testkit::tearing::{TearingPlatform, TearingStorage, card_on, tear_every_write};

    type Tearing = veuicc::Card<TearingPlatform>;

    /// The default-identity card under the tearing harness as a secondary of a generated
    /// primary, paired, with the instance enabled: its storage, and the primary.
    fn paired_secondary() -> (TearingStorage, TestCard, MirrorLink) {
        let config = veuicc::testkit::default_config();
        let mut secondary = card_on(&config, TearingStorage::new()).unwrap();
        secondary.platform_mut().clock.set(Some(veuicc::platform::UnixTime(T0)));
        let mut primary = support::mirror::card_of(support::mirror::identity_of(7), 21);
        support::mirror::install_source(&mut primary, veuicc::testkit::pki::default_pki(), ROAMING);
        set_time(&mut primary, T0);
        let mut p = Es10Client::open(&mut primary).unwrap();
        let mut s = Es10Client::open(&mut secondary).unwrap();
        let link = mirror::pair(&mut p, &mut s, &token_req(3600, None)).unwrap().link;
        let id = veuicc::asn1::rsp::ProfileIdentifier::Iccid(SOURCE.to_vec().into());
        assert_eq!(s.enable_profile(id, false).unwrap().to_string(), "0");
        p.close().unwrap();
        s.close().unwrap();
        let mut storage = secondary.into_platform().storage;
        storage.power_up();
        (storage, primary, link)
    }

    fn applying(update: SignedMirrorLinkUpdate) -> impl Fn(&mut Tearing) {
        move |card: &mut Tearing| {
            card.platform_mut().clock.set(Some(veuicc::platform::UnixTime(T0 + 60)));
            if let Ok(mut lpa) = Es10Client::open(&mut *card) {
                let _ = mirror::apply(&mut lpa, &update);
            }
        }
    }

    #[test]
    fn each_update_applies_whole_or_not_at_all() {
        let config = veuicc::testkit::default_config();
        let (initial, mut primary, link) = paired_secondary();
        set_time(&mut primary, T0 + 60);
        let renewal = on(&mut primary, |lpa| mirror::renew(lpa, by_token(&link))).unwrap();
        let suspension = on(&mut primary, |lpa| mirror::suspend(lpa, None)).unwrap().remove(0);
        let Revoked::Revocation(revocation) = on(&mut primary, |lpa| mirror::revoke(lpa, by_token(&link))).unwrap()
        else {
            panic!("revoked")
        };
        for (what, update) in [("renewal", renewal), ("suspension", suspension), ("revocation", revocation)] {
            let report =
                tear_every_write(&config, &initial, applying(update)).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(report.landed > 0 && report.landed < report.cut_points, "{what}: {report:?}");
        }
    }

    #[test]
    fn the_primarys_updates_are_one_commit_each() {
        let config = veuicc::testkit::default_config();
        // The default-identity card as the primary this time (policy: 4 instances).
        let mut primary = card_on(&config, TearingStorage::new()).unwrap();
        {
            let mut lpa = Es10Client::open(&mut primary).unwrap();
            let mut smdp =
                veuicc::testkit::smdp::TestSmdp::new(veuicc::testkit::pki::default_pki(), "smdp.example.com", 3);
            let policy = veuicc::testkit::smdp::parse_mirror_policy(
                "max=4,services=voice+sms+data,validity=24h,reauth=90d,roaming-suspend",
            )
            .unwrap();
            let p = veuicc::testkit::smdp::ProfileToInstall::sample(SOURCE, 1200).with_mirror_policy(&policy);
            veuicc::testkit::lpa::download(&mut lpa, &mut smdp, &p).unwrap();
            lpa.close().unwrap();
        }
        primary.platform_mut().clock.set(Some(veuicc::platform::UnixTime(T0)));
        let mut watch = secondary_n(1);
        let mut tablet = secondary_n(2);
        for s in [&mut watch, &mut tablet] {
            let mut p = Es10Client::open(&mut primary).unwrap();
            let mut lpa = Es10Client::open(&mut *s).unwrap();
            mirror::pair(&mut p, &mut lpa, &token_req(3600, None)).unwrap();
            p.close().unwrap();
            lpa.close().unwrap();
        }
        // An outstanding token (a wrong code counts against it), and a third device whose
        // link is pending: its installation result still to be confirmed.
        let mut p = Es10Client::open(&mut primary).unwrap();
        mirror::issue(&mut p, &token_req(3600, None)).unwrap();
        let mut glasses = secondary_n(3);
        let mut g = Es10Client::open(&mut glasses).unwrap();
        let token = mirror::issue(&mut p, &token_req(3600, None)).unwrap();
        let request = mirror::begin(&mut g, &token).unwrap();
        let bpp = mirror::export(&mut p, &request).unwrap();
        let (pir, _) = mirror::install(&mut g, &bpp).unwrap();
        p.close().unwrap();
        g.close().unwrap();
        let mut initial = primary.into_platform().storage;
        initial.power_up();
        let wrong = RedeemMirrorCodeRequest {
            numeric_code: rasn::types::NumericString::from_bytes(b"00000000").unwrap(),
            iccid: None,
        };
        let requests: [(&str, Vec<u8>); 6] = [
            ("redeem a wrong code", rasn::der::encode(&wrong).unwrap()),
            ("confirm", rasn::der::encode(&ConfirmMirrorRequest { profile_installation_result: pir.into() }).unwrap()),
            ("resume all", rasn::der::encode(&ResumeMirrorRequest { link: None }).unwrap()),
            ("suspend all", rasn::der::encode(&SuspendMirrorRequest { link: None }).unwrap()),
            ("renew", {
                let eid = FixedOctetString::new(support::mirror::eid_of(&watch));
                rasn::der::encode(&RenewMirrorRequest { link: MirrorLinkRef::SecondaryEid(eid) }).unwrap()
            }),
            ("revoke", {
                let eid = FixedOctetString::new(support::mirror::eid_of(&tablet));
                rasn::der::encode(&RevokeMirrorRequest { link: MirrorLinkRef::SecondaryEid(eid) }).unwrap()
            }),
        ];
        for (what, der) in requests {
            let op = |card: &mut Tearing| {
                card.platform_mut().clock.set(Some(veuicc::platform::UnixTime(T0 + 60)));
                if let Ok(mut lpa) = Es10Client::open(&mut *card) {
                    let _ = lpa.store_data(&der);
                }
            };
            let report = tear_every_write(&config, &initial, op).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(report.landed > 0 && report.landed < report.cut_points, "{what}: {report:?}");
        }
    }
}

/// (event name, address, ICCID) of every pending notification, in order.
fn notification_list(card: &mut TestCard) -> Vec<(String, String, Vec<u8>)> {
    on(card, |lpa| lpa.list_notifications().unwrap())
        .into_iter()
        .map(|m| {
            let bits = &m.profile_management_operation;
            let set: Vec<usize> = (0..bits.len()).filter(|&i| bits[i]).collect();
            assert_eq!(set.len(), 1, "one bit set: {set:?}");
            let name = veuicc::store::NotificationEvent::from_bit(set[0]).map_or("?", |e| e.name());
            (name.to_string(), m.notification_address.to_string(), m.iccid.map(|i| i.to_vec()).unwrap_or_default())
        })
        .collect()
}

/// Every pending notification that is an OtherSignedNotification, checked as the operator's
/// SM-DP+ checks it (its certificates chain to the CI, its signature verifies): their sequence
/// numbers.
fn verified_by_the_operator(card: &mut TestCard) -> Vec<u64> {
    use veuicc::asn1::rsp::{
        RetrieveNotificationsListRequest, RetrieveNotificationsListResponse, RetrieveNotificationsListResult,
    };
    let all = on(card, |lpa| {
        lpa.call::<_, RetrieveNotificationsListResponse>(&RetrieveNotificationsListRequest::new(None)).unwrap()
    });
    let RetrieveNotificationsListResult::NotificationList(list) = all.0 else { panic!("no list") };
    let operator = veuicc::testkit::smdp::TestSmdp::new(veuicc::testkit::pki::default_pki(), "smdp.example.com", 15);
    list.iter()
        .filter(|n| n.as_bytes().first() == Some(&0x30))
        .map(|n| operator.handle_notification(n.as_bytes()).unwrap())
        .collect()
}

#[test]
fn every_mirror_event_is_a_notification_the_operator_verifies() {
    // The source profile asks for notifications of every SGP.22 event (install, enable,
    // disable, delete) at the operator's SM-DP+.
    let mut phone = TestCard::new(11);
    {
        let mut smdp =
            veuicc::testkit::smdp::TestSmdp::new(veuicc::testkit::pki::default_pki(), "smdp.example.com", 15);
        let policy = veuicc::testkit::smdp::parse_mirror_policy(ROAMING).unwrap();
        let p = veuicc::testkit::smdp::ProfileToInstall::sample(SOURCE, 1200).with_mirror_policy(&policy);
        on(&mut phone, |lpa| veuicc::testkit::lpa::download(lpa, &mut smdp, &p).unwrap());
        set_time(&mut phone, T0);
    }
    let mut watch = secondary_n(1);
    let link = pair(&mut phone, &mut watch);
    let renewal = on(&mut phone, |lpa| mirror::renew(lpa, by_token(&link))).unwrap();
    assert_eq!(apply(&mut watch, &renewal), APPLIED);
    let suspension = on(&mut phone, |lpa| mirror::suspend(lpa, None)).unwrap();
    assert_eq!(apply(&mut watch, &suspension[0]), APPLIED);
    let resumption = on(&mut phone, |lpa| mirror::resume(lpa, None)).unwrap();
    assert_eq!(apply(&mut watch, &resumption[0]), APPLIED);
    assert_eq!(enable_source(&mut watch), "0");
    let Revoked::Revocation(revocation) = on(&mut phone, |lpa| mirror::revoke(lpa, by_token(&link))).unwrap() else {
        panic!("revoked")
    };
    assert_eq!(apply(&mut watch, &revocation), APPLIED);

    let at = |events: &[&str]| -> Vec<(String, String, Vec<u8>)> {
        events.iter().map(|e| (e.to_string(), "smdp.example.com".to_string(), SOURCE.to_vec())).collect()
    };
    assert_eq!(
        notification_list(&mut phone),
        at(&[
            "notificationInstall",
            "mirrorIssued",
            "mirrorConfirmed",
            "mirrorRenewed",
            "mirrorSuspended",
            "mirrorResumed",
            "mirrorRevoked"
        ])
    );
    // The watch: its install (an OtherSignedNotification, for the operator never had a session
    // with it), the updates it applied, its own enable, and the disable and delete of the revocation.
    assert_eq!(
        notification_list(&mut watch),
        at(&[
            "notificationInstall",
            "mirrorRenewed",
            "mirrorSuspended",
            "mirrorResumed",
            "notificationLocalEnable",
            "notificationLocalDisable",
            "notificationLocalDelete"
        ])
    );
    // The operator's SM-DP+ verifies each (the phone's own install is the PIR of its download).
    assert_eq!(verified_by_the_operator(&mut phone).len(), 6);
    assert_eq!(verified_by_the_operator(&mut watch).len(), 7);
    // On the wire: NotificationMetadata's profileManagementOperation with bit 24 (mirrorIssued):
    // BIT STRING 81 05 07 00 00 00 80 — one bit, as SGP.22 asks, past its named ones.
    let der = on(&mut phone, |lpa| lpa.store_data(&support::hex("BF2800")).unwrap());
    assert!(hexs(&der).contains("8105070000008"), "{}", hexs(&der));
}

/// Pairs with a token for `services` only.
fn pair_for(primary: &mut TestCard, secondary: &mut TestCard, services: u8) {
    let target = support::mirror::eid_of(secondary);
    let req = IssueMirrorTokenRequest { services: services_bits(services), ..token_req(3600, Some(target)) };
    let mut p = Es10Client::open(&mut *primary).unwrap();
    let mut s = Es10Client::open(&mut *secondary).unwrap();
    mirror::pair(&mut p, &mut s, &req).unwrap();
    p.close().unwrap();
    s.close().unwrap();
}

/// EF.UST's first five bytes and EF.EST's first byte of the enabled profile's USIM.
fn ust_and_est(card: &mut TestCard) -> (Vec<u8>, u8) {
    usim(card);
    assert_eq!(tx(card, "00A4000C026F38").1, 0x9000);
    let (ust, sw) = tx(card, "00B0000005");
    assert_eq!(sw, 0x9000);
    assert_eq!(tx(card, "00A4000C026F56").1, 0x9000);
    let (est, sw) = tx(card, "00B0000001");
    assert_eq!(sw, 0x9000);
    (ust, est[0])
}

#[test]
fn an_instances_usim_shows_only_the_services_its_link_allows() {
    let mut phone = primary_with(FULL);
    assert_eq!(enable_source(&mut phone), "0");
    let (ust, est) = ust_and_est(&mut phone);
    // The source profile as the operator made it: FDN and ACL off.
    assert_eq!((ust[0] & 0x02, ust[4] & 0x04, est & 0x05), (0x02, 0x04, 0x00), "{}", hexs(&ust));
    let mut everything = secondary_n(1);
    let mut laptop = secondary_n(2);
    let mut watch = secondary_n(3);
    pair_for(&mut phone, &mut everything, service::ALL);
    pair_for(&mut phone, &mut laptop, service::DATA);
    pair_for(&mut phone, &mut watch, service::VOICE | service::SMS);
    for card in [&mut everything, &mut laptop, &mut watch] {
        enabled_source(card);
    }
    // All services: the USIM as the source's.
    assert_eq!(ust_and_est(&mut everything), (ust.clone(), est));
    // Data only: Fixed Dialling Numbers enabled (and empty).
    let (l_ust, l_est) = ust_and_est(&mut laptop);
    assert_eq!((l_ust[0] & 0x02, l_est & 0x05), (0x02, 0x01));
    // No data: the APN Control List enabled (and empty).
    let (w_ust, w_est) = ust_and_est(&mut watch);
    assert_eq!((w_ust[4] & 0x04, w_est & 0x05), (0x04, 0x04));
    // Still a working USIM for what is allowed.
    assert_eq!(authenticate(&mut laptop, 1), 0x9000);
    assert_eq!(authenticate(&mut watch, 1), 0x9000);
}
