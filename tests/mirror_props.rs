//! Mirror tokens under any order of operations (the design's "limits hold under any order of
//! operations"): random sequences of IssueMirrorToken, RedeemMirrorCode (with a token's code
//! or a wrong one), RevokeMirror, the card clock moving on and power cycles, against a model of
//! the primary card's rules — at most `maxInstances` live tokens, five wrong codes void every
//! outstanding token, an expired, voided or revoked token is never handed out, validity is
//! capped at the policy's and at 24 h, and ListMirrorLinks reports what the model holds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use proptest::prelude::*;
use rasn::types::{FixedOctetString, NumericString};
use veuicc::mirror::asn::*;
use veuicc::platform::UnixTime;
use veuicc::testkit::lpa::download;
use veuicc::testkit::pki::default_pki;
use veuicc::testkit::smdp::{ProfileToInstall, TestSmdp, parse_mirror_policy};
use veuicc::testkit::{Es10Client, TestCard};

const SOURCE: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x51];
/// 2026-12-01T00:00:00Z.
const T0: u64 = 1_796_083_200;
const MAX: usize = 3;
/// The policy's maxTokenValidity (12 h), below the card's own 24 h cap.
const POLICY_VALIDITY: u32 = 12 * 3600;

#[derive(Debug, Clone)]
enum Op {
    /// Services (bit 0 voice, 1 sms, 2 data) and a validity in seconds.
    Issue(u8, u32),
    /// The code of the model's token at this index (modulo their number), or a wrong code.
    Redeem(usize),
    RedeemWrong,
    /// The model's token at this index (modulo their number).
    Revoke(usize),
    /// The card clock moves on by this many seconds.
    Advance(u64),
    PowerCycle,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1u8..8, prop_oneof![Just(1u32), Just(600), Just(3600), Just(POLICY_VALIDITY), Just(POLICY_VALIDITY + 1), Just(86_401)])
            .prop_map(|(s, v)| Op::Issue(s, v)),
        2 => (0usize..8).prop_map(Op::Redeem),
        2 => Just(Op::RedeemWrong),
        1 => (0usize..8).prop_map(Op::Revoke),
        1 => prop_oneof![Just(0u64), Just(60), Just(3600), Just(6 * 3600), Just(13 * 3600)].prop_map(Op::Advance),
        1 => Just(Op::PowerCycle),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Issued,
    Voided,
    Revoked,
}

#[derive(Debug, Clone)]
struct Tok {
    id: [u8; 16],
    code: Vec<u8>,
    not_after: u64,
    state: State,
    wrong: u8,
}

fn send(card: &mut TestCard, der: &[u8]) -> Vec<u8> {
    let mut lpa = Es10Client::open(&mut *card).unwrap();
    let r = lpa.store_data(der).unwrap();
    lpa.close().unwrap();
    r
}

fn call<Req: rasn::Encode, Resp: rasn::Decode>(card: &mut TestCard, req: &Req) -> Resp {
    let der = send(card, &rasn::der::encode(req).unwrap());
    rasn::der::decode(&der).unwrap_or_else(|e| panic!("{e}: {}", support::hexs(&der)))
}

fn card() -> TestCard {
    let mut card = TestCard::new(21);
    let p = ProfileToInstall::sample(SOURCE, 1200).with_mirror_policy(
        &parse_mirror_policy(&format!("max={MAX},services=voice+sms+data,validity=12h,reauth=90d")).unwrap(),
    );
    let mut lpa = Es10Client::open(&mut card).unwrap();
    download(&mut lpa, &mut TestSmdp::new(default_pki(), "smdp.example.com", 3), &p).unwrap();
    lpa.close().unwrap();
    card.0.platform_mut().clock.set(Some(UnixTime(T0)));
    card
}

fn redeem(card: &mut TestCard, code: &[u8]) -> Result<SignedMirrorToken, u8> {
    let req = RedeemMirrorCodeRequest { numeric_code: NumericString::from_bytes(code).unwrap(), iccid: None };
    match call::<_, RedeemMirrorCodeResponse>(card, &req).0 {
        RedeemMirrorCodeResult::SignedMirrorToken(t) => Ok(t),
        RedeemMirrorCodeResult::MirrorError(e) => Err(e),
    }
}

/// A code no token in the model has (the card's are unique, so none on the card either).
fn wrong_code(toks: &[Tok]) -> Vec<u8> {
    (0u32..).map(|n| format!("{:08}", 12_345_678 + n).into_bytes()).find(|c| toks.iter().all(|t| &t.code != c)).unwrap()
}

fn run(ops: &[Op]) {
    let mut card = card();
    let mut now = T0;
    let mut toks: Vec<Tok> = Vec::new();
    for (step, op) in ops.iter().enumerate() {
        let at = format!("step {step} {op:?}");
        match op {
            Op::Issue(services, validity) => {
                let req = IssueMirrorTokenRequest {
                    iccid: FixedOctetString::new(SOURCE),
                    mode: mode::MIRROR,
                    services: services_bits(*services),
                    validity: *validity,
                    target_eid: None,
                    device_class: Some(device_class::WATCH),
                    priority: None,
                };
                let got = call::<_, IssueMirrorTokenResponse>(&mut card, &req).0;
                let expected = if *validity > POLICY_VALIDITY {
                    Err(MirrorResult::ValidityExceeded.value())
                } else {
                    // Unused tokens that expired are forgotten by an Issue that succeeds; the
                    // live ones count.
                    let kept = toks.iter().filter(|t| t.not_after >= now).count();
                    let live = toks.iter().filter(|t| t.state == State::Issued && now <= t.not_after).count();
                    if live >= MAX || kept >= 32 { Err(MirrorResult::InstancesExceeded.value()) } else { Ok(()) }
                };
                match (got, expected) {
                    (IssueMirrorTokenResult::Issued(t), Ok(())) => {
                        let token = &t.signed_mirror_token.mirror_token;
                        assert_eq!((token.not_before, token.not_after), (now, now + u64::from(*validity)), "{at}");
                        assert_eq!(services_of(&token.services), Some(*services), "{at}");
                        let code = t.numeric_code.as_bytes().to_vec();
                        assert!(toks.iter().all(|o| o.code != code), "{at}: a code in use was handed out again");
                        toks.retain(|t| t.not_after >= now);
                        toks.push(Tok {
                            id: *token.token_id,
                            code,
                            not_after: token.not_after,
                            state: State::Issued,
                            wrong: 0,
                        });
                    }
                    (IssueMirrorTokenResult::MirrorError(e), Err(x)) => assert_eq!(e, x, "{at}"),
                    (got, expected) => panic!("{at}: got {got:?}, the model says {expected:?}"),
                }
            }
            Op::Redeem(i) if !toks.is_empty() => {
                let k = i % toks.len();
                let t = toks[k].clone();
                let got = redeem(&mut card, &t.code);
                let expected = match t.state {
                    State::Voided => Err(MirrorResult::CodeAttemptsExhausted.value()),
                    State::Revoked => Err(MirrorResult::UnknownToken.value()),
                    State::Issued if now > t.not_after => Err(MirrorResult::TokenExpired.value()),
                    State::Issued => Ok(t.id),
                };
                assert_eq!(got.map(|s| *s.mirror_token.token_id), expected, "{at}");
            }
            Op::Redeem(_) | Op::RedeemWrong => {
                let got = redeem(&mut card, &wrong_code(&toks));
                let mut outstanding = false;
                let mut voided = false;
                for t in toks.iter_mut().filter(|t| t.state == State::Issued && now <= t.not_after) {
                    outstanding = true;
                    t.wrong += 1;
                    if t.wrong >= 5 {
                        t.state = State::Voided;
                        voided = true;
                    }
                }
                let expected = match (outstanding, voided) {
                    (false, _) => MirrorResult::UnknownToken,
                    (true, true) => MirrorResult::CodeAttemptsExhausted,
                    (true, false) => MirrorResult::WrongCode,
                };
                assert_eq!(got.map(|_| ()), Err(expected.value()), "{at}");
            }
            Op::Revoke(i) => {
                let target = (!toks.is_empty()).then(|| i % toks.len());
                let id = target.map_or([0xEE; 16], |k| toks[k].id);
                let req = RevokeMirrorRequest { link: MirrorLinkRef::TokenId(FixedOctetString::new(id)) };
                let got = call::<_, RevokeMirrorResponse>(&mut card, &req).0;
                match target.map(|k| (k, toks[k].state)) {
                    Some((k, State::Issued)) => {
                        assert!(matches!(got, RevokeMirrorResult::TokenVoided(())), "{at}: {got:?}");
                        toks[k].state = State::Revoked;
                    }
                    _ => assert!(
                        matches!(got, RevokeMirrorResult::MirrorError(e) if e == MirrorResult::UnknownLink.value()),
                        "{at}: {got:?}"
                    ),
                }
            }
            Op::Advance(secs) => {
                now += secs;
                card.0.platform_mut().clock.set(Some(UnixTime(now)));
            }
            Op::PowerCycle => {
                card.power_off();
                card.power_on();
            }
        }
        // ListMirrorLinks reports exactly the model's tokens (as issued, voided or revoked).
        let listed = match call::<_, ListMirrorLinksResponse>(&mut card, &ListMirrorLinksRequest { iccid: None }).0 {
            ListMirrorLinksResult::MirrorLinks(l) => l,
            ListMirrorLinksResult::MirrorError(e) => panic!("{at}: list: {e}"),
        };
        let mut got: Vec<([u8; 16], u8)> = listed.iter().map(|l| (*l.token_id, l.state)).collect();
        let mut want: Vec<([u8; 16], u8)> = toks
            .iter()
            .map(|t| {
                let s = match t.state {
                    State::Issued => link_state::ISSUED,
                    State::Voided => link_state::VOIDED,
                    State::Revoked => link_state::REVOKED,
                };
                (t.id, s)
            })
            .collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "{at}: ListMirrorLinks");
        let live = toks.iter().filter(|t| t.state == State::Issued && now <= t.not_after).count();
        assert!(live <= MAX, "{at}: {live} live tokens");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn mirror_tokens_follow_the_rules_under_any_order(ops in proptest::collection::vec(op(), 1..40)) {
        run(&ops);
    }
}

/// Five wrong codes void the outstanding tokens, the fifth answering codeAttemptsExhausted;
/// their codes then answer codeAttemptsExhausted too (a fixed sequence, beside the random ones).
#[test]
fn five_wrong_codes_void_every_outstanding_token() {
    run(&[
        Op::Issue(0b001, 3600),
        Op::Issue(0b110, 3600),
        Op::RedeemWrong,
        Op::RedeemWrong,
        Op::RedeemWrong,
        Op::RedeemWrong,
        Op::RedeemWrong,
        Op::Redeem(0),
        Op::Redeem(1),
        Op::RedeemWrong,
        Op::Issue(0b100, 3600),
    ]);
}
