//! One primary and two to four secondaries under any interleaving of pair (issue → begin →
//! export → install → confirm), revoke, renew, suspend and resume (one link or, roaming, all),
//! delivery of the signed updates (in order, or a delivered one replayed), the secondary's LPA
//! deleting the instance or resetting the card's memory, the clock moving on and power cycles
//! — against a model. After every step the primary's live links never exceed the policy's
//! maxInstances and agree with the model; once a secondary's updates are delivered, the link's
//! state agrees between the primary and that secondary (active, suspended — also past renew-by
//! — or gone after a revocation), and its instance can be enabled exactly when it is usable.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use proptest::prelude::*;
use rasn::types::FixedOctetString;
use support::mirror::{REAUTH, SOURCE, T0, eid_of, primary_with, secondary_n, set_time, token_req};
use veuicc::asn1::rsp::ProfileIdentifier;
use veuicc::mirror::asn::*;
use veuicc::testkit::mirror::{self, APPLIED, MirrorError, Revoked, Step};
use veuicc::testkit::{Es10Client, TestCard};

const MAX: usize = 2;
const POLICY: &str = "max=2,services=voice+sms+data,validity=24h,reauth=90d,roaming-suspend";

#[derive(Debug, Clone, Copy)]
enum Op {
    Pair(usize),
    Revoke(usize),
    Renew(usize),
    Suspend(Option<usize>),
    Resume(Option<usize>),
    Deliver(usize),
    Replay(usize),
    DeleteLocally(usize),
    MemoryReset(usize),
    Advance(u64),
    PowerCycle(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let k = 0usize..4;
    prop_oneof![
        4 => k.clone().prop_map(Op::Pair),
        2 => k.clone().prop_map(Op::Revoke),
        2 => k.clone().prop_map(Op::Renew),
        2 => proptest::option::of(k.clone()).prop_map(Op::Suspend),
        2 => proptest::option::of(k.clone()).prop_map(Op::Resume),
        5 => k.clone().prop_map(Op::Deliver),
        1 => k.clone().prop_map(Op::Replay),
        1 => k.clone().prop_map(Op::DeleteLocally),
        1 => k.clone().prop_map(Op::MemoryReset),
        1 => prop_oneof![Just(3600u64), Just(30 * 86400), Just(REAUTH)].prop_map(Op::Advance),
        1 => (0usize..5).prop_map(Op::PowerCycle),
    ]
}

/// The model of one link, on the primary.
#[derive(Debug, Clone)]
struct Link {
    token_id: FixedOctetString<16>,
    secondary: usize,
    /// Active, suspended or revoked.
    state: u8,
    renew_by: u64,
    /// The secondary no longer holds the instance (deleted there): the primary cannot know.
    orphaned: bool,
}

struct Fleet {
    primary: TestCard,
    secondaries: Vec<TestCard>,
    links: Vec<Link>,
    /// Per secondary: updates made for it, not yet delivered; and the last one delivered.
    pending: Vec<Vec<SignedMirrorLinkUpdate>>,
    delivered: Vec<Option<SignedMirrorLinkUpdate>>,
    now: u64,
}

fn on<R>(card: &mut TestCard, f: impl FnOnce(&mut Es10Client<&mut TestCard>) -> R) -> R {
    let mut lpa = Es10Client::open(&mut *card).unwrap();
    let r = f(&mut lpa);
    lpa.close().unwrap();
    r
}

fn source() -> ProfileIdentifier {
    ProfileIdentifier::Iccid(SOURCE.to_vec().into())
}

impl Fleet {
    fn new(n: usize) -> Fleet {
        Fleet {
            primary: primary_with(POLICY),
            secondaries: (1..=n as u64).map(secondary_n).collect(),
            links: Vec::new(),
            pending: vec![Vec::new(); n],
            delivered: vec![None; n],
            now: T0,
        }
    }

    /// The model's link of secondary `k` that is still in play on the primary (the newest).
    fn live_link(&self, k: usize) -> Option<usize> {
        self.links.iter().rposition(|l| l.secondary == k && l.state != link_state::REVOKED)
    }

    fn holds_instance(&self, k: usize) -> bool {
        self.secondaries[k].0.state().profiles.iter().any(|p| p.iccid.as_ref() == SOURCE)
    }

    fn queue(&mut self, updates: Vec<SignedMirrorLinkUpdate>) {
        for u in updates {
            let k = self
                .secondaries
                .iter()
                .position(|s| eid_of(s) == *u.mirror_link_update.secondary_eid)
                .expect("an update for a card of the fleet");
            self.pending[k].push(u);
        }
    }

    fn step(&mut self, op: Op, at: &str) {
        let n = self.secondaries.len();
        match op {
            Op::Pair(k) => {
                let k = k % n;
                let live = self.links.iter().filter(|l| l.state != link_state::REVOKED).count();
                let holds = self.holds_instance(k);
                let target = eid_of(&self.secondaries[k]);
                let mut p = Es10Client::open(&mut self.primary).unwrap();
                let mut s = Es10Client::open(&mut self.secondaries[k]).unwrap();
                let got = mirror::pair(&mut p, &mut s, &token_req(3600, Some(target)));
                p.close().unwrap();
                s.close().unwrap();
                match got {
                    Ok(paired) => {
                        assert!(live < MAX && !holds, "{at}: paired beyond the model");
                        let l = paired.link;
                        let renew_by = l.renew_by.unwrap();
                        self.links.push(Link {
                            token_id: l.token_id,
                            secondary: k,
                            state: link_state::ACTIVE,
                            renew_by,
                            orphaned: false,
                        });
                        // The new instance starts afresh: nothing older applies to it.
                        self.pending[k].clear();
                        self.delivered[k] = None;
                    }
                    Err(MirrorError::Refused(Step::Issue, c)) => {
                        assert_eq!(c, MirrorResult::InstancesExceeded.value(), "{at}");
                        assert!(live >= MAX, "{at}: refused below the limit");
                    }
                    Err(MirrorError::Refused(Step::Begin, c)) => {
                        assert_eq!(c, MirrorResult::IccidAlreadyPresent.value(), "{at}");
                        assert!(holds, "{at}");
                    }
                    Err(e) => panic!("{at}: {e}"),
                }
            }
            Op::Revoke(k) | Op::Renew(k) => {
                let Some(i) = self.live_link(k % n) else { return };
                let link = MirrorLinkRef::TokenId(self.links[i].token_id);
                if matches!(op, Op::Revoke(_)) {
                    let Ok(Revoked::Revocation(u)) = on(&mut self.primary, |lpa| mirror::revoke(lpa, link)) else {
                        panic!("{at}: an active link is revoked")
                    };
                    self.links[i].state = link_state::REVOKED;
                    self.queue(vec![u]);
                } else {
                    let u = on(&mut self.primary, |lpa| mirror::renew(lpa, link)).unwrap();
                    assert_eq!(u.mirror_link_update.renew_by, Some(self.now + REAUTH), "{at}");
                    self.links[i].renew_by = self.now + REAUTH;
                    self.queue(vec![u]);
                }
            }
            Op::Suspend(k) | Op::Resume(k) => {
                let suspend = matches!(op, Op::Suspend(_));
                let target = match k {
                    Some(k) => match self.live_link(k % n) {
                        Some(i) => Some(i),
                        None => return,
                    },
                    None => None,
                };
                let link = target.map(|i| MirrorLinkRef::TokenId(self.links[i].token_id));
                let updates =
                    on(
                        &mut self.primary,
                        |lpa| {
                            if suspend { mirror::suspend(lpa, link) } else { mirror::resume(lpa, link) }
                        },
                    )
                    .unwrap();
                let affected: Vec<usize> = match target {
                    Some(i) => vec![i],
                    None => (0..self.links.len()).filter(|&i| self.links[i].state != link_state::REVOKED).collect(),
                };
                assert_eq!(updates.len(), affected.len(), "{at}");
                for i in affected {
                    self.links[i].state = if suspend { link_state::SUSPENDED } else { link_state::ACTIVE };
                }
                self.queue(updates);
            }
            Op::Deliver(k) => {
                let k = k % n;
                for u in core::mem::take(&mut self.pending[k]) {
                    // An update for the instance the secondary holds applies; one for a link
                    // whose instance the LPA deleted (or replaced) has nothing to apply to.
                    let token = u.mirror_link_update.token_id;
                    let current = self.holds_instance(k)
                        && self.links.iter().any(|l| l.secondary == k && !l.orphaned && l.token_id == token);
                    let r = on(&mut self.secondaries[k], |lpa| mirror::apply(lpa, &u)).unwrap();
                    let expected = if current { APPLIED } else { MirrorResult::UnknownLink.value() };
                    assert_eq!(r, expected, "{at}: {}", result_name(r));
                    if r == APPLIED {
                        self.delivered[k] = Some(u);
                    }
                }
                self.check_agreement(k, at);
            }
            Op::Replay(k) => {
                let k = k % n;
                let Some(u) = self.delivered[k].clone() else { return };
                let before = self.secondaries[k].0.state().clone();
                let r = on(&mut self.secondaries[k], |lpa| mirror::apply(lpa, &u)).unwrap();
                assert_ne!(r, APPLIED, "{at}: a replay was applied");
                assert_eq!(self.secondaries[k].0.state(), &before, "{at}: a replay changed the card");
            }
            Op::DeleteLocally(k) | Op::MemoryReset(k) => {
                let k = k % n;
                if !self.holds_instance(k) {
                    return;
                }
                on(&mut self.secondaries[k], |lpa| {
                    if matches!(op, Op::MemoryReset(_)) {
                        assert_eq!(lpa.memory_reset(&[0, 1]).unwrap().to_string(), "0", "{at}");
                    } else {
                        let _ = lpa.disable_profile(source(), false).unwrap();
                        assert_eq!(lpa.delete_profile(source()).unwrap().to_string(), "0", "{at}");
                    }
                });
                assert!(!self.holds_instance(k), "{at}");
                for l in self.links.iter_mut().filter(|l| l.secondary == k) {
                    l.orphaned = true;
                }
            }
            Op::Advance(dt) => {
                self.now += dt;
                set_time(&mut self.primary, self.now);
                for s in &mut self.secondaries {
                    set_time(s, self.now);
                }
            }
            Op::PowerCycle(k) => {
                let card = if k == 0 { &mut self.primary } else { &mut self.secondaries[(k - 1) % n] };
                card.reset();
            }
        }
        self.check_primary(at);
    }

    /// The primary's links are the model's, and never more live ones than the policy allows.
    fn check_primary(&mut self, at: &str) {
        let links = match on(&mut self.primary, |lpa| {
            lpa.call::<_, ListMirrorLinksResponse>(&ListMirrorLinksRequest { iccid: None }).unwrap()
        })
        .0
        {
            ListMirrorLinksResult::MirrorLinks(l) => l,
            ListMirrorLinksResult::MirrorError(e) => panic!("{at}: {}", result_name(e)),
        };
        let live = links
            .iter()
            .filter(|l| matches!(l.state, link_state::PENDING | link_state::ACTIVE | link_state::SUSPENDED));
        assert!(live.count() <= MAX, "{at}: more live links than maxInstances");
        for m in &self.links {
            let card = links.iter().find(|l| l.token_id == m.token_id).unwrap_or_else(|| panic!("{at}: link gone"));
            assert_eq!((card.state, card.renew_by), (m.state, Some(m.renew_by)), "{at}: primary vs model");
        }
    }

    /// Secondary `k` with nothing pending agrees with its link on the primary.
    fn check_agreement(&mut self, k: usize, at: &str) {
        let now = self.now;
        let model = self.links.iter().rev().find(|l| l.secondary == k && !l.orphaned).cloned();
        let info = match on(&mut self.secondaries[k], |lpa| {
            lpa.call::<_, GetMirrorInfoResponse>(&GetMirrorInfoRequest { iccid: None }).unwrap()
        })
        .0
        {
            GetMirrorInfoResult::MirrorProfiles(p) => p.into_iter().find_map(|p| p.instance),
            GetMirrorInfoResult::MirrorError(e) => panic!("{at}: {}", result_name(e)),
        };
        match (model, info) {
            (None, None) => {}
            (Some(m), None) => assert_eq!(m.state, link_state::REVOKED, "{at}: the instance vanished"),
            (Some(m), Some(i)) => {
                assert_ne!(m.state, link_state::REVOKED, "{at}: a delivered revocation left the instance");
                assert_eq!((i.token_id, i.renew_by), (m.token_id, m.renew_by), "{at}");
                let usable = m.state == link_state::ACTIVE && now <= m.renew_by;
                let effective = if usable { link_state::ACTIVE } else { link_state::SUSPENDED };
                assert_eq!(i.state, effective, "{at}: secondary vs primary");
                // Enabled exactly when usable.
                let secondary = &mut self.secondaries[k];
                let enabled =
                    secondary.0.state().profiles.iter().any(|p| p.iccid.as_ref() == SOURCE && p.enabled_on().is_some());
                if !enabled {
                    let r = on(secondary, |lpa| lpa.enable_profile(source(), false).unwrap().to_string());
                    assert_eq!(r, if usable { "0" } else { "3" }, "{at}: enable");
                }
            }
            (None, Some(_)) => panic!("{at}: an instance with no link"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn links_agree_and_limits_hold_under_any_interleaving(n in 2usize..=4, ops in proptest::collection::vec(op(), 1..40)) {
        let mut fleet = Fleet::new(n);
        for (i, op) in ops.iter().enumerate() {
            fleet.step(*op, &format!("step {i} {op:?}"));
        }
        // Everything delivered at the end: every secondary agrees.
        for k in 0..n {
            fleet.step(Op::Deliver(k), &format!("final delivery to {k}"));
        }
    }
}
