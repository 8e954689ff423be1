//! Two cards already paired — a primary holding a profile whose policy allows two instances
//! (suspended while roaming) and a secondary holding its mirror instance — and a sequence of
//! mirror steps between them.
//!
//! The pairing (a download from the test SM-DP+ to the primary, then IssueMirrorToken →
//! BeginMirror → ExportMirror → the mirror package → ConfirmMirror, fixed seeds, manual clocks
//! at 2026-12-01) runs once per process; each input starts from its stored state (both cards
//! are rebuilt from copies of their storage, so every input sees the same two cards, and the
//! rebuild is a cold start of the paired state).
//!
//! Input: repeated `selector, arguments…` (at most 48 steps; a step short of arguments reads
//! zeros). `selector % 12`:
//! * 0 / 1 — `t, len, body[len]`: a mirror STORE DATA to the primary / the secondary with
//!   tag `FF (40 | t & 0F)` and `body` as its content (`t & 80`: `body` is sent as it is after
//!   the tag, its own length octets included).
//! * 2 — `s, v`: IssueMirrorToken (services `s & 7`, validity from `v`, targeted at the
//!   secondary unless `s & 8`); `s & 10`: the whole pairing instead (`testkit::mirror::pair`;
//!   two per input at most, the rest are skipped).
//! * 3 / 4 — `r, m…`: RevokeMirror / RenewMirror on the primary for link `r` (a token id seen
//!   so far, the secondary's EID, or an unknown id), then the update delivered.
//! * 5 / 6 — `r, m…`: SuspendMirror / ResumeMirror (`r & 80`: every link), each update delivered.
//! * 7 — `m…`: the last update delivered again (a replay).
//! * 8 / 9 — `d`: the primary's / the secondary's clock advanced (a minute … 100 days).
//! * 10 / 11 — `p`: a warm reset (`p` even) or a power cycle of the primary / the secondary.
//!
//! A delivery `m…` is `m` (`m & 1`: mutate), then, when mutated, `hi, lo, x`: the byte at
//! `(hi, lo) % len` of the Apply… request's DER is XORed with `x | 1`.
//!
//! Invariants after each step: every answer is a well-formed R-APDU; a STORE DATA answered
//! `9000` carries the response type of the tag sent (decoded as DER, nothing after it), any
//! other status word is an error status (`6xxx`); the primary's live entries in ListMirrorLinks
//! (unexpired issued tokens, pending, active and suspended links) never exceed the policy's
//! maxInstances (2); the secondary holds at most one profile with the source ICCID, and it
//! reports at most one mirror instance (GetMirrorInfo). At the end both cards answer GetEID
//! with their own EIDs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rasn::types::FixedOctetString;
use std::sync::{Arc, OnceLock};
use veuicc::identity::Identity;
use veuicc::mirror::asn::*;
use veuicc::platform::{Clock, Parts, UnixTime};
use veuicc::store::MemStorage;
use veuicc::testkit::mirror::{self, Revoked};
use veuicc::testkit::smdp::{ProfileToInstall, TestSmdp, parse_mirror_policy};
use veuicc::testkit::{ClientError, DetRng, Es10Client, ManualClock, TestCard, lpa, pki};

const SOURCE: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x51];
/// 2026-12-01T00:00:00Z.
const T0: u64 = 1_796_083_200;
const POLICY: &str = "max=2,services=voice+sms+data,validity=24h,reauth=90d,roaming-suspend";
const MAX: usize = 2;
const STEPS: usize = 48;
/// Whole pairings an input may ask for (each costs a mirror package's crypto).
const MAX_PAIRINGS: usize = 2;

struct Paired {
    primary: MemStorage,
    secondary: MemStorage,
    identity: Arc<Identity>,
    primary_eid: [u8; 16],
    secondary_eid: [u8; 16],
    token: TokenId,
}

fn set_time(card: &mut TestCard, t: Option<u64>) {
    card.0.platform_mut().clock.set(t.map(UnixTime));
}

fn now(card: &mut TestCard) -> Option<u64> {
    card.0.platform_mut().clock.now().map(|t| t.0)
}

fn eid_of(card: &TestCard) -> [u8; 16] {
    *card.0.config().eid.as_bytes()
}

fn secondary_card(identity: &Arc<Identity>, storage: MemStorage, seed: u64) -> TestCard {
    let platform = Parts { storage, rng: DetRng::new(seed), clock: ManualClock::at(UnixTime(T0)) };
    TestCard(veuicc::Card::with_identity(identity.card_config(), identity.clone(), platform).expect("secondary starts"))
}

fn token_req(services: u8, validity: u32, target: Option<[u8; 16]>) -> IssueMirrorTokenRequest {
    IssueMirrorTokenRequest {
        iccid: FixedOctetString::new(SOURCE),
        mode: mode::MIRROR,
        services: services_bits(services),
        validity,
        target_eid: target.map(FixedOctetString::new),
        device_class: Some(device_class::WATCH),
        priority: Some(0),
    }
}

fn paired() -> &'static Paired {
    static P: OnceLock<Paired> = OnceLock::new();
    P.get_or_init(|| {
        let pki = pki::default_pki();
        let mut primary = TestCard::new(11);
        set_time(&mut primary, Some(T0));
        let mut smdp = TestSmdp::new(pki, "smdp.example.com", 3);
        let p = ProfileToInstall::sample(SOURCE, 1200).with_mirror_policy(&parse_mirror_policy(POLICY).unwrap());
        let mut l = Es10Client::open(&mut primary).unwrap();
        lpa::download(&mut l, &mut smdp, &p).expect("download");
        l.close().unwrap();
        set_time(&mut primary, Some(T0));
        let (issued, _) = pki.issue_card(7, 0x5EC0 ^ 7).unwrap();
        let identity = Arc::new(pki.card_identity(&issued, &veuicc::crypto::RUST_CRYPTO).unwrap());
        let mut secondary = secondary_card(&identity, MemStorage::new(), 27);
        let secondary_eid = eid_of(&secondary);
        let mut pc = Es10Client::open(&mut primary).unwrap();
        let mut sc = Es10Client::open(&mut secondary).unwrap();
        let pairing =
            mirror::pair(&mut pc, &mut sc, &token_req(service::VOICE | service::DATA, 3600, Some(secondary_eid)))
                .expect("pairing");
        pc.close().unwrap();
        sc.close().unwrap();
        Paired {
            primary_eid: eid_of(&primary),
            primary: primary.storage().clone(),
            secondary: secondary.storage().clone(),
            identity,
            secondary_eid,
            token: pairing.link.token_id,
        }
    })
}

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let Some((&b, rest)) = self.0.split_first() else { return 0 };
        self.0 = rest;
        b
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.0.len());
        let (b, rest) = self.0.split_at(n);
        self.0 = rest;
        b.to_vec()
    }
}

fn well_formed_sw(sw: u16) -> bool {
    matches!(sw >> 8, 0x61..=0x6F | 0x90..=0x9F)
}

/// Whether `resp` decodes (DER, nothing after it) as the response to the mirror request `tag`.
fn response_decodes(tag: u32, resp: &[u8]) -> bool {
    fn is<T: rasn::Decode>(b: &[u8]) -> bool {
        rasn::der::decode::<T>(b).is_ok()
    }
    match tag {
        0xFF40 => is::<IssueMirrorTokenResponse>(resp),
        0xFF41 => is::<RedeemMirrorCodeResponse>(resp),
        0xFF42 => is::<BeginMirrorResponse>(resp),
        0xFF43 => is::<ExportMirrorResponse>(resp),
        0xFF44 => is::<ConfirmMirrorResponse>(resp),
        0xFF45 => is::<RevokeMirrorResponse>(resp),
        0xFF46 => is::<ApplyMirrorRevocationResponse>(resp),
        0xFF47 => is::<RenewMirrorResponse>(resp),
        0xFF48 => is::<ApplyMirrorRenewalResponse>(resp),
        0xFF49 => is::<SuspendMirrorResponse>(resp),
        0xFF4A => is::<ResumeMirrorResponse>(resp),
        0xFF4B => is::<ApplyMirrorSuspensionResponse>(resp),
        0xFF4C => is::<ListMirrorLinksResponse>(resp),
        0xFF4D => is::<GetMirrorInfoResponse>(resp),
        _ => false,
    }
}

/// Opens an ES10 session on `card` (the ISD-R always answers).
fn open(card: &mut TestCard) -> Es10Client<&mut TestCard> {
    Es10Client::open(card).unwrap_or_else(|e| panic!("the ISD-R must open: {e}"))
}

fn close(lpa: Es10Client<&mut TestCard>) {
    lpa.close().unwrap_or_else(|e| panic!("the channel must close: {e}"));
}

/// One STORE DATA with `der` (a mirror tag first): the answer checked against the tag.
fn send(card: &mut TestCard, der: &[u8]) -> Option<Vec<u8>> {
    let tag = match der {
        [0xFF, t, ..] => 0xFF00 | u32::from(*t),
        _ => 0,
    };
    let mut lpa = open(card);
    let r = lpa.store_data(der);
    close(lpa);
    match r {
        Ok(resp) => {
            assert!(response_decodes(tag, &resp), "{der:02X?} -> 9000 {resp:02X?}");
            Some(resp)
        }
        Err(ClientError::Status(sw)) => {
            assert!(well_formed_sw(sw) && sw >> 12 == 6, "{der:02X?} -> {sw:04X}");
            None
        }
        Err(e) => panic!("{der:02X?} -> {e}"),
    }
}

/// A typed call on `card`: `None` when the card refused with a status word.
fn call<Req: rasn::Encode, Resp: rasn::Decode>(card: &mut TestCard, req: &Req) -> Option<Resp> {
    let der = rasn::der::encode(req).expect("request encodes");
    send(card, &der).map(|resp| rasn::der::decode(&resp).expect("checked by send"))
}

/// Delivers `update` to the secondary with the function its action names, possibly mutated.
fn deliver(secondary: &mut TestCard, update: &SignedMirrorLinkUpdate, input: &mut Input) {
    let u = update.clone();
    let mut der = match u.mirror_link_update.action {
        action::REVOKE => rasn::der::encode(&ApplyMirrorRevocationRequest { revocation: u }),
        action::RENEW => rasn::der::encode(&ApplyMirrorRenewalRequest { renewal: u }),
        _ => rasn::der::encode(&ApplyMirrorSuspensionRequest { update: u }),
    }
    .expect("an update encodes");
    if input.byte() & 1 == 1 {
        let at = usize::from(u16::from_be_bytes([input.byte(), input.byte()])) % der.len();
        der[at] ^= input.byte() | 1;
    }
    send(secondary, &der);
}

fn link_ref(r: u8, known: &[TokenId], secondary_eid: [u8; 16]) -> MirrorLinkRef {
    match r % 4 {
        0 | 1 => MirrorLinkRef::TokenId(known[usize::from(r >> 2) % known.len()]),
        2 => MirrorLinkRef::SecondaryEid(FixedOctetString::new(secondary_eid)),
        _ => MirrorLinkRef::TokenId(FixedOctetString::new([r; 16])),
    }
}

fn live_links(primary: &mut TestCard) -> usize {
    let t = now(primary).unwrap_or(0);
    match call::<_, ListMirrorLinksResponse>(primary, &ListMirrorLinksRequest { iccid: None })
        .expect("ListMirrorLinks answers")
        .0
    {
        ListMirrorLinksResult::MirrorLinks(links) => links
            .iter()
            .filter(|l| match l.state {
                link_state::ISSUED => t <= l.not_after,
                link_state::PENDING | link_state::ACTIVE | link_state::SUSPENDED => true,
                _ => false,
            })
            .count(),
        ListMirrorLinksResult::MirrorError(e) => panic!("ListMirrorLinks: {}", result_name(e)),
    }
}

fn instances(secondary: &mut TestCard) -> usize {
    let held = secondary.0.state().profiles.iter().filter(|p| p.iccid.as_ref() == SOURCE).count();
    assert!(held <= 1, "the secondary holds {held} profiles with the source ICCID");
    match call::<_, GetMirrorInfoResponse>(secondary, &GetMirrorInfoRequest { iccid: None })
        .expect("GetMirrorInfo answers")
        .0
    {
        GetMirrorInfoResult::MirrorProfiles(p) => p.iter().filter(|p| p.instance.is_some()).count(),
        GetMirrorInfoResult::MirrorError(e) => panic!("GetMirrorInfo: {}", result_name(e)),
    }
}

fn restart(card: &mut TestCard, p: u8) {
    if p & 1 == 0 {
        assert!(!card.reset().is_empty(), "reset: no ATR");
    } else {
        card.power_off();
        assert!(!card.power_on().is_empty(), "the card must come back");
    }
}

fuzz_target!(|data: &[u8]| {
    let setup = paired();
    let mut primary = TestCard::with_config(veuicc::testkit::default_config(), setup.primary.clone(), 101);
    set_time(&mut primary, Some(T0));
    let mut secondary = secondary_card(&setup.identity, setup.secondary.clone(), 127);
    let mut known = vec![setup.token];
    let mut last: Option<SignedMirrorLinkUpdate> = None;
    let mut input = Input(data);
    let mut pairings = 0;
    for _ in 0..STEPS {
        if input.0.is_empty() {
            break;
        }
        match input.byte() % 12 {
            s @ (0 | 1) => {
                let t = input.byte();
                let len = usize::from(input.byte());
                let body = input.bytes(len);
                let mut der = vec![0xFF, 0x40 | (t & 0x0F)];
                if t & 0x80 == 0 {
                    veuicc::asn1::tlv::push_len(&mut der, body.len());
                }
                der.extend_from_slice(&body);
                send(if s == 0 { &mut primary } else { &mut secondary }, &der);
            }
            2 => {
                let s = input.byte();
                let validity = [60, 3600, 86400, 86401, 0][usize::from(input.byte()) % 5];
                let target = (s & 8 == 0).then_some(setup.secondary_eid);
                let req = token_req(s & 7, validity, target);
                if s & 0x10 == 0 {
                    if let Some(IssueMirrorTokenResponse(IssueMirrorTokenResult::Issued(t))) = call(&mut primary, &req)
                    {
                        known.push(t.signed_mirror_token.mirror_token.token_id);
                    }
                } else if pairings < MAX_PAIRINGS {
                    pairings += 1;
                    let mut p = open(&mut primary);
                    let mut q = open(&mut secondary);
                    if let Ok(pairing) = mirror::pair(&mut p, &mut q, &req) {
                        known.push(pairing.link.token_id);
                    }
                    close(p);
                    close(q);
                }
            }
            s @ (3 | 4) => {
                let link = link_ref(input.byte(), &known, setup.secondary_eid);
                let mut p = open(&mut primary);
                let update = if s == 3 {
                    match mirror::revoke(&mut p, link) {
                        Ok(Revoked::Revocation(u)) => Some(u),
                        _ => None,
                    }
                } else {
                    mirror::renew(&mut p, link).ok()
                };
                close(p);
                if let Some(u) = update {
                    deliver(&mut secondary, &u, &mut input);
                    last = Some(u);
                }
            }
            s @ (5 | 6) => {
                let r = input.byte();
                let link = (r & 0x80 == 0).then(|| link_ref(r, &known, setup.secondary_eid));
                let mut p = open(&mut primary);
                let updates = if s == 5 { mirror::suspend(&mut p, link) } else { mirror::resume(&mut p, link) };
                close(p);
                for u in updates.unwrap_or_default() {
                    deliver(&mut secondary, &u, &mut input);
                    last = Some(u);
                }
            }
            7 => {
                if let Some(u) = last.clone() {
                    deliver(&mut secondary, &u, &mut input);
                }
            }
            s @ (8 | 9) => {
                let d = [60, 3600, 86400, 30 * 86400, 100 * 86400][usize::from(input.byte()) % 5];
                let card = if s == 8 { &mut primary } else { &mut secondary };
                let t = now(card).unwrap_or(T0) + d;
                set_time(card, Some(t));
            }
            s => restart(if s == 10 { &mut primary } else { &mut secondary }, input.byte()),
        }
        let live = live_links(&mut primary);
        assert!(live <= MAX, "{live} live links on the primary, the policy allows {MAX}");
        let held = instances(&mut secondary);
        assert!(held <= 1, "the secondary reports {held} mirror instances");
    }
    for (card, eid) in [(&mut primary, setup.primary_eid), (&mut secondary, setup.secondary_eid)] {
        let mut lpa = open(card);
        assert_eq!(lpa.get_eid().expect("GetEID answers"), eid, "GetEID");
        close(lpa);
    }
});
