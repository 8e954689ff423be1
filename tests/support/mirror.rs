//! Cards for the mirror tests: a primary holding the source profile with a mirror policy, and
//! secondaries with identities of their own under the same test CI, each on a manual clock.
#![allow(clippy::std_instead_of_alloc, clippy::std_instead_of_core, clippy::unwrap_used)]

use rasn::types::FixedOctetString;
use std::sync::Arc;
use veuicc::asn1::rsp::ProfileIdentifier;
use veuicc::identity::Identity;
use veuicc::mirror::asn::{IssueMirrorTokenRequest, device_class, mode, service, services_bits};
use veuicc::platform::{Parts, UnixTime};
use veuicc::store::MemStorage;
use veuicc::testkit::lpa::download;
use veuicc::testkit::pki::{TestPki, default_pki};
use veuicc::testkit::smdp::{ProfileToInstall, TestSmdp, parse_mirror_policy};
use veuicc::testkit::{DetRng, Es10Client, ManualClock, TestCard};

/// The source profile's ICCID (coded as SGP.22 codes it).
pub(crate) const SOURCE: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x51];
/// 2026-12-01T00:00:00Z.
pub(crate) const T0: u64 = 1_796_083_200;
/// A policy allowing three instances of every service, 24-hour tokens, 90-day renewal.
pub(crate) const FULL: &str = "max=3,services=voice+sms+data,validity=24h,reauth=90d";
/// 90 days.
pub(crate) const REAUTH: u64 = 90 * 86400;

pub(crate) fn set_time(card: &mut TestCard, t: u64) {
    card.0.platform_mut().clock.set(Some(UnixTime(t)));
}

/// A card with `identity` (its own EID and key under the identity's CI), empty, at `T0`.
pub(crate) fn card_of(identity: Arc<Identity>, seed: u64) -> TestCard {
    let platform = Parts { storage: MemStorage::new(), rng: DetRng::new(seed), clock: ManualClock::default() };
    let card = veuicc::Card::with_identity(identity.card_config(), identity, platform).unwrap();
    let mut card = TestCard(card);
    set_time(&mut card, T0);
    card
}

/// Generated card `n` of the default test PKI (another EID, another key, the same CI).
pub(crate) fn identity_of(n: u64) -> Arc<Identity> {
    let pki = default_pki();
    let (issued, _) = pki.issue_card(n, 0x5EC0 ^ n).unwrap();
    Arc::new(pki.card_identity(&issued, &veuicc::crypto::RUST_CRYPTO).unwrap())
}

/// Downloads SOURCE with `policy` (`veuicc download --mirror` syntax) from the test SM-DP+.
pub(crate) fn install_source(card: &mut TestCard, pki: &TestPki, policy: &str) {
    let mut smdp = TestSmdp::new(pki, "smdp.example.com", 3);
    let p = ProfileToInstall::sample(SOURCE, 1200).with_mirror_policy(&parse_mirror_policy(policy).unwrap());
    let mut lpa = Es10Client::open(&mut *card).unwrap();
    download(&mut lpa, &mut smdp, &p).unwrap();
    lpa.close().unwrap();
}

/// The default card (EID …0038) at `T0` holding SOURCE with `policy`.
pub(crate) fn primary_with(policy: &str) -> TestCard {
    let mut card = TestCard::new(11);
    install_source(&mut card, default_pki(), policy);
    set_time(&mut card, T0);
    card
}

/// Secondary number `n` (its own identity, generated card `n + 6`).
pub(crate) fn secondary_n(n: u64) -> TestCard {
    card_of(identity_of(6 + n), 20 + n)
}

pub(crate) fn eid_of(card: &TestCard) -> [u8; 16] {
    *card.0.config().eid.as_bytes()
}

/// An IssueMirrorToken for SOURCE: voice and data, a watch, low priority.
pub(crate) fn token_req(validity: u32, target: Option<[u8; 16]>) -> IssueMirrorTokenRequest {
    IssueMirrorTokenRequest {
        iccid: FixedOctetString::new(SOURCE),
        mode: mode::MIRROR,
        services: services_bits(service::VOICE | service::DATA),
        validity,
        target_eid: target.map(FixedOctetString::new),
        device_class: Some(device_class::WATCH),
        priority: Some(0),
    }
}

/// EnableProfile for SOURCE: its result code.
pub(crate) fn enable_source(card: &mut TestCard) -> String {
    let mut lpa = Es10Client::open(&mut *card).unwrap();
    let r = lpa.enable_profile(ProfileIdentifier::Iccid(SOURCE.to_vec().into()), false).unwrap().to_string();
    lpa.close().unwrap();
    r
}
