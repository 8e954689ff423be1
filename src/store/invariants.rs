//! The card's invariants over its persistent state: what every committed state must
//! satisfy, whatever commands, power cuts and storage errors led to it. Checked by
//! `veuicc state check` and by the fault-injection and tearing tests, from this one place.
//!
//! | invariant | why |
//! |---|---|
//! | at most one enabled profile per eSIM port (this card has one port) | SGP.22 v2 single enabled profile |
//! | ICCIDs and ISD-P AIDs unique; each `p.<nn>` record holds the profile of ISD-P `nn` | lookups by either identifier |
//! | each profile has its package `u.<nn>`, each package its profile | install and delete commit them together |
//! | each `n.<seq>` record holds notification `seq`; sequence numbers increase and none exceeds the counter; at most [`MAX_NOTIFICATIONS`] | `seqNumber`s are never reused |
//! | an `install` record has a transactionId of 1–16 bytes | it must sign the interrupted load's PIR |
//! | a Test-profile fall-back names a non-test profile on the card while a Test profile is enabled | SGP.21 TPRO8/TPRO10 |
//!
//! That the records the root references exist and match their digests is
//! [`Store::open`]'s check; this one runs on an opened store.

use super::{CardState, MAX_NOTIFICATIONS, ProfileClass, ProfileState, Store};
use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;
use core::fmt;

/// An invariant the state breaks, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation(pub String);

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invariant broken: {}", self.0)
    }
}

impl core::error::Error for Violation {}

/// eSIM ports of this card (SGP.22 v2: one).
const PORTS: usize = 1;

/// Checks the card's invariants on `state`, the logical state loaded from `store`.
pub fn check_invariants(store: &Store, state: &CardState) -> Result<(), Violation> {
    let fail = |what: String| Err(Violation(what));
    let enabled = state.profiles.iter().filter(|p| p.state == ProfileState::Enabled).count();
    if enabled > PORTS {
        return fail(format!("{enabled} profiles are enabled on a card with {PORTS} eSIM port"));
    }
    let mut iccids = BTreeSet::new();
    let mut aids = BTreeSet::new();
    let mut names = BTreeSet::new();
    for p in &state.profiles {
        if !iccids.insert(p.iccid.as_ref()) || !aids.insert(p.isdp_aid.as_ref()) || !names.insert(p.record_name()) {
            return fail(format!("profile {} is on the card twice", p.record_name()));
        }
        if store.get(&p.package_name()).is_none() {
            return fail(format!("profile {} has no package {}", p.record_name(), p.package_name()));
        }
    }
    let stored: BTreeSet<String> = store.names().filter(|n| n.starts_with("p.")).map(String::from).collect();
    if stored != names {
        return fail(format!("profile records {stored:?} do not hold the profiles {names:?}"));
    }
    for package in store.names().filter(|n| n.starts_with("u.")) {
        if !state.profiles.iter().any(|p| p.package_name() == package) {
            return fail(format!("package {package} belongs to no profile"));
        }
    }
    let notes: BTreeSet<String> = store.names().filter(|n| n.starts_with("n.")).map(String::from).collect();
    let held: BTreeSet<String> = state.notifications.iter().map(|n| format!("n.{:016x}", n.seq)).collect();
    if notes != held {
        return fail(format!("notification records {notes:?} do not hold their sequence numbers"));
    }
    let mut last = 0;
    for n in &state.notifications {
        if n.seq <= last && last != 0 {
            return fail(format!("notification {} does not follow {last}", n.seq));
        }
        if n.seq == 0 || n.seq > state.config.last_seq_number {
            return fail(format!(
                "notification {} was never handed out (counter at {})",
                n.seq, state.config.last_seq_number
            ));
        }
        last = n.seq;
    }
    if state.notifications.len() > MAX_NOTIFICATIONS {
        return fail(format!("{} notifications pending (at most {MAX_NOTIFICATIONS})", state.notifications.len()));
    }
    if let Some(install) = &state.install
        && !(1..=16).contains(&install.transaction_id.len())
    {
        return fail(format!("the install record's transactionId has {} bytes", install.transaction_id.len()));
    }
    if let Some(aid) = &state.config.test_fallback {
        let test_enabled =
            state.profiles.iter().any(|p| p.class == ProfileClass::Test && p.state == ProfileState::Enabled);
        let there = state.profiles.iter().any(|p| p.isdp_aid == *aid && p.class != ProfileClass::Test);
        if !test_enabled || !there {
            return fail(String::from("the Test-profile fall-back names no profile to fall back to"));
        }
    }
    Ok(())
}
