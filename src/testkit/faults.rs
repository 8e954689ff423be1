//! Storage errors on demand: a backend whose operations *fail* (not lose power), and a
//! harness that fails every storage operation of a command in turn.
//!
//! [`FaultStorage`] wraps any [`Storage`] and fails the operation it is told to:
//! * [`FaultKind::Fail`]: that one operation fails and does nothing;
//! * [`FaultKind::FailLanded`]: a write or remove is done, and still reports failure
//!   (an error after the rename, a flush of the directory that fails afterwards);
//! * [`FaultKind::Sticky`]: that operation and every later one fails until
//!   [`FaultStorage::heal`] (a disk gone read-only, an unplugged medium).
//!
//! It can also stand for a full disk: with a quota, a write that would take the stored
//! bytes over it fails ([`FaultError::Full`]), and removes give space back.
//!
//! [`fault_every_op`] runs a command with a fault at storage operation 0, 1, 2, … in each
//! kind, then more commands in the same session (healed), and requires each time:
//! the storage holds the state before or after; a command the card answered as done is
//! after; the card's state is what storage holds (or the card says it is in doubt and
//! refuses, see [`Card::in_doubt`]); after the further commands it is not in doubt and
//! still holds what storage holds; and the store's invariants hold throughout.

use super::{DetRng, ManualClock};
use crate::card::Card;
use crate::config::CardConfig;
use crate::platform::{Parts, Storage};
use crate::store::{CardState, MemStorage, Store, check_invariants};
use std::fmt;
use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

/// Which storage operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// `read`
    Read,
    /// `write`
    Write,
    /// `remove`
    Remove,
    /// `keys`
    Keys,
    /// `flush`
    Flush,
}

/// How the chosen operation fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Fails, doing nothing.
    Fail,
    /// A write or remove takes effect and reports failure anyway (others: as `Fail`).
    FailLanded,
    /// Fails, and so does every later operation until [`FaultStorage::heal`].
    Sticky,
}

/// Errors of [`FaultStorage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultError<E> {
    /// An injected failure of this operation.
    Injected(OpKind),
    /// The write would exceed the quota.
    Full,
    /// The wrapped storage failed.
    Inner(E),
}

impl<E: fmt::Display> fmt::Display for FaultError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultError::Injected(op) => write!(f, "injected {op:?} failure"),
            FaultError::Full => f.write_str("no space left on device"),
            FaultError::Inner(e) => write!(f, "{e}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for FaultError<E> {}

/// A planned failure: the operation with this index (every operation counts, reads too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// Index of the failing operation, counted from the last [`FaultStorage::plan`].
    pub at_op: usize,
    /// How it fails.
    pub kind: FaultKind,
}

/// A storage that fails on demand (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct FaultStorage<S> {
    inner: S,
    ops: usize,
    fault: Option<Fault>,
    stuck: bool,
    quota: Option<usize>,
    injected: usize,
    history: Vec<OpKind>,
}

impl<S: Storage> FaultStorage<S> {
    /// Wraps `inner`; nothing fails until told to.
    pub fn new(inner: S) -> FaultStorage<S> {
        FaultStorage { inner, ops: 0, fault: None, stuck: false, quota: None, injected: 0, history: Vec::new() }
    }

    /// Plans `fault`; the operation count restarts at 0.
    pub fn plan(&mut self, fault: Fault) {
        self.fault = Some(fault);
        self.ops = 0;
        self.history.clear();
    }

    /// The kinds of the operations since the last [`FaultStorage::plan`], in order.
    pub fn history(&self) -> &[OpKind] {
        &self.history
    }

    /// Ends a sticky failure and forgets the planned one.
    pub fn heal(&mut self) {
        self.fault = None;
        self.stuck = false;
    }

    /// Stored bytes may not exceed `quota` (`None`: no limit).
    pub fn set_quota(&mut self, quota: Option<usize>) {
        self.quota = quota;
    }

    /// Operations since the last [`FaultStorage::plan`] (or since creation).
    pub fn ops(&self) -> usize {
        self.ops
    }

    /// Failures injected so far (planned or sticky; quota refusals not counted).
    pub fn injected(&self) -> usize {
        self.injected
    }

    /// The wrapped storage.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Unwraps the storage.
    pub fn into_inner(self) -> S {
        self.inner
    }

    /// Bytes stored (the sum of every value).
    pub fn used(&mut self) -> Result<usize, FaultError<S::Error>> {
        let mut total = 0;
        for key in self.inner.keys().map_err(FaultError::Inner)? {
            total += self.inner.read(&key).map_err(FaultError::Inner)?.map_or(0, |v| v.len());
        }
        Ok(total)
    }

    /// Counts one operation; `Some(kind)` if it is to fail.
    fn spend(&mut self, op: OpKind) -> Result<(), (FaultKind, FaultError<S::Error>)> {
        let index = self.ops;
        self.ops += 1;
        self.history.push(op);
        if self.stuck {
            self.injected += 1;
            return Err((FaultKind::Sticky, FaultError::Injected(op)));
        }
        match self.fault {
            Some(f) if f.at_op == index => {
                self.injected += 1;
                self.stuck = f.kind == FaultKind::Sticky;
                Err((f.kind, FaultError::Injected(op)))
            }
            _ => Ok(()),
        }
    }
}

impl<S: Storage> Storage for FaultStorage<S> {
    type Error = FaultError<S::Error>;
    const ATOMIC_WRITES: bool = S::ATOMIC_WRITES;

    fn read(&mut self, key: &str) -> Result<Option<Vec<u8>>, Self::Error> {
        self.spend(OpKind::Read).map_err(|(_, e)| e)?;
        self.inner.read(key).map_err(FaultError::Inner)
    }

    fn write(&mut self, key: &str, value: &[u8]) -> Result<(), Self::Error> {
        match self.spend(OpKind::Write) {
            Ok(()) => {}
            Err((FaultKind::FailLanded, e)) => {
                self.inner.write(key, value).map_err(FaultError::Inner)?;
                return Err(e);
            }
            Err((_, e)) => return Err(e),
        }
        if let Some(quota) = self.quota {
            // Write-new-then-rename: the new value needs its space before the old one goes.
            if self.used()?.saturating_add(value.len()) > quota {
                return Err(FaultError::Full);
            }
        }
        self.inner.write(key, value).map_err(FaultError::Inner)
    }

    fn remove(&mut self, key: &str) -> Result<(), Self::Error> {
        match self.spend(OpKind::Remove) {
            Ok(()) => {}
            Err((FaultKind::FailLanded, e)) => {
                self.inner.remove(key).map_err(FaultError::Inner)?;
                return Err(e);
            }
            Err((_, e)) => return Err(e),
        }
        self.inner.remove(key).map_err(FaultError::Inner)
    }

    fn keys(&mut self) -> Result<Vec<String>, Self::Error> {
        self.spend(OpKind::Keys).map_err(|(_, e)| e)?;
        self.inner.keys().map_err(FaultError::Inner)
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        self.spend(OpKind::Flush).map_err(|(_, e)| e)?;
        self.inner.flush().map_err(FaultError::Inner)
    }
}

/// The platform of cards under the fault harness.
pub type FaultPlatform = Parts<FaultStorage<MemStorage>, DetRng, ManualClock>;

/// A card on `storage` (fresh RNG and clock); the default test card has the default identity.
pub fn card_on(
    config: &CardConfig,
    storage: FaultStorage<MemStorage>,
) -> Result<Card<FaultPlatform>, crate::card::Error<FaultError<crate::store::MemStorageError>>> {
    let platform = Parts { storage, rng: DetRng::new(0xfa17), clock: ManualClock::default() };
    if config.eid == super::default_config().eid {
        Card::with_identity(config.clone(), super::pki::default_identity(), platform)
    } else {
        Card::new(config.clone(), platform)
    }
}

/// What storage holds, as a card starting on it sees it; checks the invariants.
pub fn stored_state(config: &CardConfig, storage: &MemStorage) -> Result<CardState, String> {
    let mut copy = storage.clone();
    let store = Store::open(&mut copy).map_err(|e| format!("storage does not open: {e}"))?;
    let raw = CardState::load::<crate::store::MemStorageError>(&store).map_err(|e| e.to_string())?;
    check_invariants(&store, &raw).map_err(|e| e.to_string())?;
    let card = card_on(config, FaultStorage::new(storage.clone())).map_err(|e| format!("card does not start: {e}"))?;
    Ok(card.state().clone())
}

/// What [`fault_every_op`] exercised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultReport {
    /// Storage operations the command performs without faults.
    pub ops: usize,
    /// Runs (operations × fault kinds).
    pub runs: usize,
    /// Runs the card answered as done (storage then holds the state after).
    pub done: usize,
    /// Runs the card answered as failed and storage holds the state before.
    pub failed_before: usize,
    /// Runs answered as failed while storage holds the state after (unknown outcome:
    /// the card reloaded it).
    pub failed_after: usize,
    /// Runs after which the card was in doubt (storage unreadable) until healed.
    pub in_doubt: usize,
    /// Runs that left a state `between` accepted.
    pub between: usize,
}

/// Runs `op` on a card whose storage starts as `initial`, with each storage operation of
/// it failing in turn, in each [`FaultKind`]; then `more` in the same session, healed.
/// `op` returns true when the card answered that it did what was asked. See the module
/// docs for what is required.
pub fn fault_every_op<F, M>(config: &CardConfig, initial: &MemStorage, op: F, more: M) -> Result<FaultReport, String>
where
    F: Fn(&mut Card<FaultPlatform>) -> bool,
    M: Fn(&mut Card<FaultPlatform>),
{
    fault_every_op_allowing(config, initial, op, more, |_, _| false)
}

/// As [`fault_every_op`], for an `op` of several commands: a fault may also leave a state
/// that `between(before, state)` accepts (e.g. a download whose load had started), which
/// the card must then answer as failed.
pub fn fault_every_op_allowing<F, M, B>(
    config: &CardConfig,
    initial: &MemStorage,
    op: F,
    more: M,
    between: B,
) -> Result<FaultReport, String>
where
    F: Fn(&mut Card<FaultPlatform>) -> bool,
    M: Fn(&mut Card<FaultPlatform>),
    B: Fn(&CardState, &CardState) -> bool,
{
    let before = stored_state(config, initial).map_err(|e| format!("initial state: {e}"))?;
    let mut card = card_on(config, FaultStorage::new(initial.clone())).map_err(|e| e.to_string())?;
    card.platform_mut().storage.plan(Fault { at_op: usize::MAX, kind: FaultKind::Fail });
    if !op(&mut card) {
        return Err("the operation fails without faults".into());
    }
    let ops = card.platform_mut().storage.ops();
    let after = card.state().clone();
    if after == before {
        return Err("the operation changed nothing".into());
    }
    let mut report = FaultReport { ops, ..FaultReport::default() };
    for at_op in 0..ops {
        for kind in [FaultKind::Fail, FaultKind::FailLanded, FaultKind::Sticky] {
            let fault = Fault { at_op, kind };
            let mut card = card_on(config, FaultStorage::new(initial.clone())).map_err(|e| e.to_string())?;
            card.platform_mut().storage.plan(fault);
            let done = op(&mut card);
            let disk = stored_state(config, card.platform_mut().storage.inner())
                .map_err(|e| format!("{fault:?}: after the command: {e}"))?;
            let intermediate = disk != before && disk != after && between(&before, &disk);
            if intermediate {
                if done {
                    return Err(format!("{fault:?}: answered done, but storage holds an intermediate state"));
                }
                report.between += 1;
            } else if disk != before && disk != after {
                return Err(format!("{fault:?}: storage holds neither before nor after: {disk:?}"));
            }
            if card.platform_mut().storage.injected() == 0 {
                return Err(format!("{fault:?}: the command did not reach operation {at_op}"));
            }
            match (done, disk == after) {
                _ if intermediate => {}
                (true, true) => report.done += 1,
                (true, false) => return Err(format!("{fault:?}: answered done, but storage holds the state before")),
                (false, false) => report.failed_before += 1,
                (false, true) => report.failed_after += 1,
            }
            if card.in_doubt() {
                report.in_doubt += 1;
            } else if *card.state() != disk {
                return Err(format!("{fault:?}: the card's state is not what storage holds"));
            }
            card.platform_mut().storage.heal();
            more(&mut card);
            if card.in_doubt() {
                return Err(format!("{fault:?}: still in doubt after healing"));
            }
            let disk = stored_state(config, card.platform_mut().storage.inner())
                .map_err(|e| format!("{fault:?}: after more commands: {e}"))?;
            if *card.state() != disk {
                return Err(format!("{fault:?}: after more commands the card's state is not what storage holds"));
            }
            report.runs += 1;
        }
    }
    Ok(report)
}
