//! The card's invariants over its persistent state: what every committed state must
//! satisfy, whatever commands, power cuts and storage errors led to it. Checked by
//! `veuicc state check` and by the fault-injection and tearing tests, from this one place.
//!
//! | invariant | why |
//! |---|---|
//! | at most one enabled profile per eSIM port, each on a port a state may name ([`MAX_PORTS`]; the configuration limits which) | SGP.22 v2 single enabled profile; v3 one per port |
//! | ICCIDs and ISD-P AIDs unique; each `p.<nn>` record holds the profile of ISD-P `nn` | lookups by either identifier |
//! | each profile has its package `u.<nn>`, each package its profile | install and delete commit them together |
//! | each `n.<seq>` record holds notification `seq`; sequence numbers increase and none exceeds the counter; at most [`MAX_NOTIFICATIONS`] | `seqNumber`s are never reused |
//! | an `install` record has a transactionId of 1–16 bytes | it must sign the interrupted load's PIR |
//! | each feature record keyed by a profile slot (`<kind>.p<xx>`: the SIM's, the SQN arrays, a mirror record) belongs to a profile in slot `xx` | `Edit::remove_profile` removes them with the profile: one left behind would be a leak, and would land on the next profile in that slot |
//! | a port's Test-profile fall-back names a non-test profile on the card while a Test profile is enabled on that port; `port.<n>` records decode, for ports the card has | SGP.21 TPRO8/TPRO10 |
//!
//! That the records the root references exist and match their digests is
//! [`Store::open`]'s check; this one runs on an opened store.

use super::{CardState, MAX_NOTIFICATIONS, MAX_PORTS, Port, PortKind, ProfileClass, RecordKind, Store};
use alloc::collections::{BTreeMap, BTreeSet};
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

/// Checks the card's invariants on `state`, the logical state loaded from `store`.
pub fn check_invariants(store: &Store, state: &CardState) -> Result<(), Violation> {
    let fail = |what: String| Err(Violation(what));
    let mut enabled: BTreeMap<Port, usize> = BTreeMap::new();
    for p in &state.profiles {
        if let Some(port) = p.enabled_on() {
            if port.0 >= MAX_PORTS {
                return fail(format!(
                    "profile {} is enabled on eSIM port {}, which the card lacks",
                    p.record_name(),
                    port.0
                ));
            }
            *enabled.entry(port).or_default() += 1;
        }
    }
    if let Some((port, n)) = enabled.iter().find(|(_, n)| **n > 1) {
        return fail(format!("{n} profiles are enabled on eSIM port {} (at most one per port)", port.0));
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
    let slots: BTreeSet<String> = state.profiles.iter().map(|p| super::slot_key(p.slot())).collect();
    for name in state.kinds.keys() {
        let Some((_, key)) = name.rsplit_once('.') else { continue };
        let per_slot = key.len() == 3
            && key.starts_with('p')
            && key.bytes().skip(1).all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if per_slot && !slots.contains(key) {
            return fail(format!("record {name} belongs to no profile (no profile in slot {key})"));
        }
    }
    let prefix = format!("{}.", PortKind::PREFIX);
    for name in state.kinds.keys().filter(|n| n.starts_with(&prefix)) {
        let port = name.get(prefix.len()..).and_then(|n| n.parse::<u8>().ok());
        let decodes = port.is_some_and(|n| state.get::<PortKind, ()>(&format!("{n}")).is_ok());
        if !port.is_some_and(|n| (1..MAX_PORTS).contains(&n)) || !decodes {
            return fail(format!("record {name} is no port's state"));
        }
    }
    for port in state.fallback_ports() {
        let Some(aid) = state.test_fallback(port) else { continue };
        let test_enabled = state.profiles.iter().any(|p| p.class == ProfileClass::Test && p.enabled_on() == Some(port));
        let there = state.profiles.iter().any(|p| p.isdp_aid == aid && p.class != ProfileClass::Test);
        if !test_enabled || !there {
            return fail(format!("the Test-profile fall-back of port {} names no profile to fall back to", port.0));
        }
    }
    Ok(())
}

#[cfg(all(test, feature = "testkit"))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::MemStorage;

    #[test]
    fn a_feature_record_of_a_slot_without_a_profile_is_a_leak() {
        let mut storage = MemStorage::new();
        let package = crate::testkit::saip::TestProfile::new([0x98; 10]).to_der();
        crate::testkit::install_profiles(&mut storage, &[package]).unwrap();
        let store = Store::open(&mut storage).unwrap();
        let mut state = CardState::load::<()>(&store).unwrap();
        let slot = format!("p{:02x}", state.profiles[0].slot());
        for kind in ["sim", "sqn", "mirror"] {
            state.kinds.insert(format!("{kind}.{slot}"), alloc::vec![0x30, 0x00]);
        }
        assert_eq!(check_invariants(&store, &state), Ok(()));
        state.kinds.insert("sqn.p1f".into(), alloc::vec![0x30, 0x00]);
        let err = check_invariants(&store, &state).unwrap_err();
        assert_eq!(err.0, "record sqn.p1f belongs to no profile (no profile in slot p1f)");
    }
}
