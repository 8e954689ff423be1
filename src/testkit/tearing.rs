//! Power cuts on demand: a storage that tears, and a harness that cuts at every write.
//!
//! [`TearingStorage`] models a medium the way sequential-storage's mock flash
//! does, plus the two things real media do on power loss:
//! * **torn writes** — only a prefix of the interrupted write reaches the medium;
//! * **reordering** — writes not yet followed by a flush land in any subset.
//!
//! [`tear_every_write`] runs an operation with power lost at storage operation
//! 0, 1, 2, … (writes, removes and flushes) until it completes, in three flavours
//! per cut (clean, torn, torn with a random subset of unflushed writes lost),
//! then powers the card up again and requires:
//! it starts; its logical state and its profile packages (`u.<nn>`, which the logical
//! state does not hold) equal those before or after the operation, both from the same side;
//! it answers GetProfilesInfo; and a retried operation reaches the state after.

use super::{DetRng, Es10Client, ManualClock};
use crate::asn1::rsp::ProfileInfoListRequest;
use crate::card::Card;
use crate::config::CardConfig;
use crate::platform::{Parts, Storage};
use crate::store::{CardState, Store};
use rand_core::Rng;
use std::collections::BTreeMap;
use std::fmt;
use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

/// Errors of [`TearingStorage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TearingError {
    /// Power was lost; nothing works until the next power-up.
    PowerLost,
}

impl fmt::Display for TearingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("power lost")
    }
}

impl std::error::Error for TearingError {}

#[derive(Debug, Clone)]
enum Op {
    Write(String, Vec<u8>),
    Remove(String),
}

/// Where and how power is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    /// Index of the operation (write, remove or flush, counted together) that never completes.
    pub at_op: usize,
    /// Half of an interrupted write reaches the medium.
    pub torn: bool,
    /// Unflushed writes land in a random subset chosen by this seed (else all land).
    pub reorder_seed: Option<u64>,
}

/// An in-memory medium with explicit durability: writes are pending until `flush`.
#[derive(Debug, Clone, Default)]
pub struct TearingStorage {
    durable: BTreeMap<String, Vec<u8>>,
    pending: Vec<Op>,
    ops: usize,
    cut: Option<Cut>,
    dead: bool,
}

impl TearingStorage {
    /// An empty medium.
    pub fn new() -> TearingStorage {
        TearingStorage::default()
    }

    /// Plans a power cut.
    pub fn cut(&mut self, cut: Cut) {
        self.cut = Some(cut);
    }

    /// Writes, removes and flushes so far.
    pub fn ops(&self) -> usize {
        self.ops
    }

    /// True after the planned cut happened.
    pub fn lost_power(&self) -> bool {
        self.dead
    }

    /// Power comes back: unflushed writes that did not land are gone, the
    /// counters restart, and no cut is planned.
    pub fn power_up(&mut self) {
        if !self.dead {
            let pending = core::mem::take(&mut self.pending);
            self.land(pending, None);
        }
        self.pending.clear();
        self.dead = false;
        self.cut = None;
        self.ops = 0;
    }

    fn land(&mut self, ops: Vec<Op>, reorder_seed: Option<u64>) {
        let mut rng = reorder_seed.map(DetRng::new);
        for op in ops {
            if let Some(rng) = rng.as_mut()
                && rng.next_u32() & 1 == 0
            {
                continue;
            }
            match op {
                Op::Write(k, v) => {
                    self.durable.insert(k, v);
                }
                Op::Remove(k) => {
                    self.durable.remove(&k);
                }
            }
        }
    }

    /// Counts one operation (`None` = a flush); loses power if this is the planned one.
    fn spend(&mut self, op: Option<&Op>) -> Result<(), TearingError> {
        if self.dead {
            return Err(TearingError::PowerLost);
        }
        let index = self.ops;
        self.ops += 1;
        match self.cut {
            Some(cut) if cut.at_op == index => {
                let pending = core::mem::take(&mut self.pending);
                self.land(pending, cut.reorder_seed);
                if let (true, Some(Op::Write(k, v))) = (cut.torn, op) {
                    let prefix = v.get(..v.len() / 2).unwrap_or_default();
                    self.durable.insert(k.clone(), prefix.to_vec());
                }
                self.dead = true;
                Err(TearingError::PowerLost)
            }
            _ => Ok(()),
        }
    }

    fn current(&self) -> BTreeMap<String, Vec<u8>> {
        let mut view = self.durable.clone();
        for op in &self.pending {
            match op {
                Op::Write(k, v) => {
                    view.insert(k.clone(), v.clone());
                }
                Op::Remove(k) => {
                    view.remove(k);
                }
            }
        }
        view
    }
}

impl Storage for TearingStorage {
    type Error = TearingError;

    fn read(&mut self, key: &str) -> Result<Option<Vec<u8>>, TearingError> {
        if self.dead {
            return Err(TearingError::PowerLost);
        }
        for op in self.pending.iter().rev() {
            match op {
                Op::Write(k, v) if k == key => return Ok(Some(v.clone())),
                Op::Remove(k) if k == key => return Ok(None),
                _ => {}
            }
        }
        Ok(self.durable.get(key).cloned())
    }

    fn write(&mut self, key: &str, value: &[u8]) -> Result<(), TearingError> {
        let op = Op::Write(key.to_string(), value.to_vec());
        self.spend(Some(&op))?;
        self.pending.push(op);
        Ok(())
    }

    fn remove(&mut self, key: &str) -> Result<(), TearingError> {
        let op = Op::Remove(key.to_string());
        self.spend(Some(&op))?;
        self.pending.push(op);
        Ok(())
    }

    fn keys(&mut self) -> Result<Vec<String>, TearingError> {
        if self.dead {
            return Err(TearingError::PowerLost);
        }
        Ok(self.current().into_keys().collect())
    }

    fn flush(&mut self) -> Result<(), TearingError> {
        self.spend(None)?;
        let pending = core::mem::take(&mut self.pending);
        self.land(pending, None);
        Ok(())
    }
}

/// The profile packages (`u.<nn>` records) that `storage` holds, by record name.
pub fn packages(storage: &TearingStorage) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let mut storage = storage.clone();
    let store = Store::open(&mut storage).map_err(|e| format!("the store does not open: {e}"))?;
    Ok(store
        .names()
        .filter(|n| n.starts_with("u."))
        .map(|n| (n.to_string(), store.get(n).unwrap_or_default().to_vec()))
        .collect())
}

/// The platform of cards under the tearing harness.
pub type TearingPlatform = Parts<TearingStorage, DetRng, ManualClock>;

/// A card on `storage` (fresh RNG and clock, as after a real power-up).
pub fn card_on(
    config: &CardConfig,
    storage: TearingStorage,
) -> Result<Card<TearingPlatform>, crate::card::Error<TearingError>> {
    let platform = Parts { storage, rng: DetRng::new(0x7ea), clock: ManualClock::default() };
    if config.eid == super::default_config().eid {
        Card::with_identity(config.clone(), super::pki::default_identity(), platform)
    } else {
        Card::new(config.clone(), platform)
    }
}

/// What [`tear_every_write`] exercised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// Storage operations (writes, removes, flushes) the uninterrupted operation performs.
    pub ops: usize,
    /// Power cuts exercised (operations × flavours).
    pub cut_points: usize,
    /// Cuts after which the card came back in the "after" state.
    pub landed: usize,
    /// Cuts after which the card came back in an accepted intermediate state.
    pub between: usize,
}

/// Runs `op` on a card whose storage starts as `initial`, cutting power at every
/// write, and checks the guarantees listed in the module docs. `op` drives the
/// card over APDUs; its own result is ignored (it fails when power goes).
pub fn tear_every_write<F>(config: &CardConfig, initial: &TearingStorage, op: F) -> Result<Report, String>
where
    F: Fn(&mut Card<TearingPlatform>),
{
    tear_every_write_allowing(config, initial, op, |_, _| false)
}

/// As [`tear_every_write`], for an `op` of several commands: a cut between two of its
/// commands may also leave a state that `between(before, state)` accepts (the state after
/// a command in the middle, e.g. a download whose load had started). Such a state must
/// still start, answer, and lead to a working retry.
pub fn tear_every_write_allowing<F, B>(
    config: &CardConfig,
    initial: &TearingStorage,
    op: F,
    between: B,
) -> Result<Report, String>
where
    F: Fn(&mut Card<TearingPlatform>),
    B: Fn(&CardState, &CardState) -> bool,
{
    let mut start = initial.clone();
    start.power_up();
    let before = card_on(config, start.clone()).map_err(|e| format!("the initial state does not load: {e}"))?;
    let before: CardState = before.state().clone();
    let packages_before = packages(&start)?;

    let mut card = card_on(config, start.clone()).map_err(|e| e.to_string())?;
    op(&mut card);
    let after = card.state().clone();
    let ops = card.platform_mut().storage.ops();
    let packages_after = packages(&card.platform_mut().storage)?;
    if after == before {
        return Err("the operation changed nothing: there is nothing to tear".into());
    }

    let mut report = Report { ops, cut_points: 0, landed: 0, between: 0 };
    for at_op in 0..ops {
        for (torn, reorder_seed) in [(false, None), (true, None), (true, Some(at_op as u64))] {
            let cut = Cut { at_op, torn, reorder_seed };
            let mut storage = start.clone();
            storage.cut(cut);
            let mut card =
                card_on(config, storage).map_err(|e| format!("{cut:?}: card does not start before the op: {e}"))?;
            op(&mut card);
            let mut storage = card.into_platform().storage;
            if !storage.lost_power() {
                return Err(format!("{cut:?}: the operation did not reach storage operation {at_op} this time"));
            }
            storage.power_up();
            let held = packages(&storage).map_err(|e| format!("{cut:?}: {e}"))?;
            let mut card = card_on(config, storage).map_err(|e| format!("{cut:?}: card fails to start: {e}"))?;
            let state = card.state().clone();
            let intermediate = state != after && state != before && between(&before, &state);
            if state == after {
                report.landed += 1;
            } else if state != before && !intermediate {
                return Err(format!("{cut:?}: state is neither before nor after: {state:?}"));
            }
            let packages_ok = if state == after {
                held == packages_after
            } else if state == before {
                held == packages_before
            } else {
                held == packages_after || held == packages_before
            };
            if !packages_ok {
                let names: Vec<&String> = held.keys().collect();
                return Err(format!("{cut:?}: the profile packages {names:?} do not go with the state"));
            }
            let mut lpa = Es10Client::open(&mut card).map_err(|e| format!("{cut:?}: no ISD-R after power-up: {e}"))?;
            lpa.get_profiles_info(&ProfileInfoListRequest::default())
                .map_err(|e| format!("{cut:?}: GetProfilesInfo fails after power-up: {e}"))?;
            lpa.close().map_err(|e| format!("{cut:?}: {e}"))?;
            if intermediate {
                report.between += 1;
                // The interrupted command's own effects (e.g. its PIR) stay; the retry must
                // still reach the profiles of the state after.
                op(&mut card);
                if card.state().profiles != after.profiles {
                    return Err(format!("{cut:?}: the retry from an intermediate state does not install"));
                }
                if packages(&card.platform_mut().storage)? != packages_after {
                    return Err(format!("{cut:?}: the retry from an intermediate state leaves other packages"));
                }
            } else if state == before {
                op(&mut card);
                if *card.state() != after {
                    return Err(format!("{cut:?}: the retried operation does not reach the state after"));
                }
                if packages(&card.platform_mut().storage)? != packages_after {
                    return Err(format!("{cut:?}: the retried operation leaves other packages"));
                }
            }
            report.cut_points += 1;
        }
    }
    Ok(report)
}
