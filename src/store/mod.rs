//! Persistent card state and its atomic commit.
//!
//! **Architecture Invariant:** only this module writes [`Storage`]. A command's
//! changes are gathered in a [`Txn`] and land with one [`Store::commit`]: all of
//! them, or none.
//!
//! # On-storage layout (format version 1)
//!
//! ```text
//! root.0, root.1      two root slots; the valid one with the highest generation wins
//! r.<name>.0 / .1     two shadow slots per logical record
//! ```
//! The first commit formats the storage: an empty generation-0 root in *both* root
//! slots, flushed, before any record is written; from then on both root files always
//! exist, and on a backend with atomic writes a missing root is corruption, not an
//! older state (see [`Store::open`]).
//! A commit writes each changed record into the slot the current root does *not*
//! reference, flushes, writes the new root (generation + 1) into the other root
//! slot, and flushes again. A power cut before the second flush completes leaves
//! the old root as the newest valid one, and the slots it references were never
//! touched; after it, the new root is complete. Every file carries a magic, the
//! format version and a truncated SHA-256 digest (bound to the record name), so a
//! torn, bit-flipped or foreign file is detected and named, never silently used.
//! (sequential-storage's shut-off model and Java Card transactions are the
//! references; `ARCHITECTURE.md` compares the alternatives.)

mod invariants;
mod mem;
mod records;

pub use invariants::{Violation, check_invariants};

pub use mem::{MemStorage, MemStorageError};
pub use records::{
    CardState, ConfigRecord, Edit, Enterprise, EnterpriseRules, Icon, InstallRecord, MAX_NOTIFICATIONS, MAX_PORTS,
    NotificationConfig, NotificationEvent, NotificationRecord, Owner, PPR1, PPR2, Port, PortKind, PortRecord,
    ProfileClass, ProfileRecord, ProfileState, RecordKind, slot_key,
};

use crate::platform::Storage;
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use sha2::{Digest, Sha256};

/// Format version written by this code.
pub(crate) const FORMAT_VERSION: u8 = 1;
const RECORD_MAGIC: &[u8; 4] = b"VUIR";
const ROOT_MAGIC: &[u8; 4] = b"VUIS";
const DIGEST_LEN: usize = 16;
const ROOT_KEYS: [&str; 2] = ["root.0", "root.1"];

/// Store errors.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error<E> {
    /// The backend failed; nothing of the commit is visible.
    Storage(E),
    /// The backend failed while or after the new root was written, and the store could
    /// not find out whether it landed: the commit may or may not be visible (now or after
    /// a power cut). The store must be reopened ([`Store::needs_reload`]) and the logical
    /// state reloaded from it before anything else is built on it.
    Uncertain(E),
    /// The store failed an earlier commit with an unknown outcome and has not been
    /// reopened since: a transaction built on its state may be stale. Reload first.
    NeedsReload,
    /// A file is damaged, from another format version, or foreign.
    Corrupted {
        /// The storage key of the file.
        key: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A record's content does not decode.
    BadRecord {
        /// The record name.
        name: String,
    },
    /// Something that would otherwise have been a panic (sequential-storage's `LogicBug`).
    LogicBug(&'static str),
}

impl<E: fmt::Display> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Storage(e) => write!(f, "storage: {e}"),
            Error::Uncertain(e) => write!(f, "storage: {e} (the commit may or may not have landed)"),
            Error::NeedsReload => f.write_str("the state must be reloaded after a failed commit"),
            Error::Corrupted { key, reason } => write!(f, "{key}: {reason}"),
            Error::BadRecord { name } => write!(f, "record {name}: content does not decode"),
            Error::LogicBug(what) => write!(f, "internal error: {what}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> core::error::Error for Error<E> {}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    slot: u8,
    len: u32,
    digest: [u8; DIGEST_LEN],
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Root {
    generation: u64,
    entries: BTreeMap<String, Entry>,
}

/// A set of record changes that commit together.
#[derive(Debug, Default, Clone)]
pub struct Txn {
    puts: BTreeMap<String, Vec<u8>>,
    removes: Vec<String>,
}

impl Txn {
    /// An empty transaction.
    pub fn new() -> Txn {
        Txn::default()
    }

    /// Sets record `name` to `value`.
    pub fn put(&mut self, name: &str, value: Vec<u8>) -> &mut Txn {
        self.removes.retain(|n| n != name);
        self.puts.insert(name.to_string(), value);
        self
    }

    /// Deletes record `name`.
    pub fn remove(&mut self, name: &str) -> &mut Txn {
        self.puts.remove(name);
        self.removes.push(name.to_string());
        self
    }

    /// True if the transaction changes nothing.
    pub fn is_empty(&self) -> bool {
        self.puts.is_empty() && self.removes.is_empty()
    }
}

/// The loaded store: the newest committed root and every record's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    root: Root,
    records: BTreeMap<String, Vec<u8>>,
    /// A commit failed half-way: reload from storage before the next commit.
    poisoned: bool,
    /// A valid root exists on the storage (else the first commit formats it).
    formatted: bool,
}

impl Store {
    /// Opens the store: picks the newest valid root and loads every record it
    /// references. An empty storage opens as an empty store.
    ///
    /// On a backend with atomic writes ([`Storage::ATOMIC_WRITES`]) both root files exist
    /// once the storage is formatted, and a missing one is corruption, named: the store
    /// would otherwise open one commit back (newest root gone) or as a fresh card (both
    /// gone). The only states without both roots are an empty storage and an interrupted
    /// format (`root.0` of generation 0 alone, no record written yet).
    pub fn open<S: Storage>(storage: &mut S) -> Result<Store, Error<S::Error>> {
        let keys = storage.keys().map_err(Error::Storage)?;
        for key in &keys {
            if !is_store_key(key) {
                return Err(Error::Corrupted { key: key.clone(), reason: "foreign file: not part of a veuicc state" });
            }
        }
        let records_present = keys.iter().any(|k| k.starts_with("r."));
        let mut best: Option<Root> = None;
        let mut damaged: Option<(String, &'static str)> = None;
        let mut present = 0;
        let mut generations: [Option<u64>; 2] = [None, None];
        for (key, generation) in ROOT_KEYS.iter().zip(generations.iter_mut()) {
            match storage.read(key).map_err(Error::Storage)? {
                None => {}
                Some(bytes) => match decode_root(&bytes).inspect(|_| present += 1).inspect_err(|_| present += 1) {
                    Ok(root) => {
                        *generation = Some(root.generation);
                        if best.as_ref().is_none_or(|b| root.generation > b.generation) {
                            best = Some(root);
                        }
                    }
                    Err(reason) => damaged = Some((key.to_string(), reason)),
                },
            }
        }
        let fresh = || Root { generation: 0, entries: BTreeMap::new() };
        if S::ATOMIC_WRITES {
            if let Some((key, reason)) = damaged {
                // Writes cannot tear on this medium: a damaged root is corruption, and
                // falling back to the older root would silently drop the last commit.
                return Err(Error::Corrupted { key, reason });
            }
            let missing = |key: &str| Err(Error::Corrupted { key: key.to_string(), reason: "missing root file" });
            let (root, formatted) = match (generations, best) {
                ([None, None], _) if records_present => return missing(ROOT_KEYS[0]),
                ([None, None], _) => (fresh(), false),
                // The format was interrupted after its first write: nothing else was written.
                ([Some(0), None], Some(root)) if !records_present && root.entries.is_empty() => (root, false),
                ([Some(_), None], _) => return missing(ROOT_KEYS[1]),
                ([None, Some(_)], _) => return missing(ROOT_KEYS[0]),
                ([Some(a), Some(b)], Some(root)) if a.abs_diff(b) <= 1 => (root, true),
                ([Some(a), Some(b)], _) => {
                    return Err(Error::Corrupted {
                        key: (if b < a { ROOT_KEYS[1] } else { ROOT_KEYS[0] }).to_string(),
                        reason: "root is not the other root's predecessor or successor",
                    });
                }
            };
            return Store::load(storage, root, formatted);
        }
        let (root, formatted) = match (best, damaged) {
            (Some(root), _) => (root, true),
            // A lone damaged root.0 and nothing else: the format write of the
            // first commit was interrupted, so the card was empty.
            (None, Some((key, _))) if key == ROOT_KEYS[0] && present == 1 && !records_present => (fresh(), false),
            (None, Some((key, reason))) => return Err(Error::Corrupted { key, reason }),
            (None, None) => (fresh(), false),
        };
        Store::load(storage, root, formatted)
    }

    /// Loads and verifies every record `root` references.
    fn load<S: Storage>(storage: &mut S, root: Root, formatted: bool) -> Result<Store, Error<S::Error>> {
        let mut records = BTreeMap::new();
        for (name, entry) in &root.entries {
            let key = record_key(name, entry.slot);
            let bytes = storage
                .read(&key)
                .map_err(Error::Storage)?
                .ok_or(Error::Corrupted { key: key.clone(), reason: "missing record file" })?;
            let payload =
                decode_record(name, &bytes).map_err(|reason| Error::Corrupted { key: key.clone(), reason })?;
            if u32::try_from(payload.len()).ok() != Some(entry.len) || digest(name, payload) != entry.digest {
                return Err(Error::Corrupted { key, reason: "record does not match the root" });
            }
            records.insert(name.clone(), payload.to_vec());
        }
        Ok(Store { root, records, poisoned: false, formatted })
    }

    /// True after a commit whose outcome is unknown ([`Error::Uncertain`]): the store
    /// refuses further commits ([`Error::NeedsReload`]) until it is reopened, and the
    /// logical state built on it must be reloaded too.
    pub(crate) fn needs_reload(&self) -> bool {
        self.poisoned
    }

    /// The committed value of record `name`.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.records.get(name).map(Vec::as_slice)
    }

    /// Names of all records.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.records.keys().map(String::as_str)
    }

    /// Generation of the committed root (0 for a fresh store).
    pub fn generation(&self) -> u64 {
        self.root.generation
    }

    /// Bytes the records occupy (payloads only), for memory accounting.
    pub fn used_bytes(&self) -> usize {
        self.records.values().map(Vec::len).sum()
    }

    /// Atomically applies `txn`.
    ///
    /// * `Ok`: committed and durable.
    /// * [`Error::Storage`]: nothing of it is visible, now or after a power cut.
    /// * [`Error::Uncertain`]: the new root was being written or flushed when the backend
    ///   failed, and a retried flush and a re-read could not settle whether it landed. The
    ///   store is then poisoned ([`Store::needs_reload`]). When the retry and re-read *can*
    ///   settle it, the answer is `Ok` (the new root is in place and durable) or
    ///   `Error::Storage` (the old root is still the newest).
    pub fn commit<S: Storage>(&mut self, storage: &mut S, txn: Txn) -> Result<(), Error<S::Error>> {
        if txn.is_empty() {
            return Ok(());
        }
        if self.poisoned {
            // The transaction was built on state that may not be what storage holds.
            return Err(Error::NeedsReload);
        }
        let mut written = Vec::new();
        let update = match self.write_root(storage, &txn, &mut written) {
            Ok(update) => update,
            Err(Error::Uncertain(e)) => return self.settle(storage, txn, e, &written),
            Err(e) => {
                drop_unreferenced(storage, &written);
                return Err(e);
            }
        };
        self.finish(storage, txn, update);
        Ok(())
    }

    /// After a failed root write or flush: flush again and re-read the roots.
    fn settle<S: Storage>(
        &mut self,
        storage: &mut S,
        txn: Txn,
        e: S::Error,
        written: &[String],
    ) -> Result<(), Error<S::Error>> {
        let flushed = storage.flush().is_ok();
        let again = Store::open(storage);
        match again {
            Ok(again) if again.root == self.root => {
                // The old root is still the newest: the new one never landed, and the
                // record slots it would have referenced are unreferenced.
                *self = again;
                drop_unreferenced(storage, written);
                Err(Error::Storage(e))
            }
            Ok(again) if flushed && again.root.generation == self.root.generation.saturating_add(1) => {
                let update = self.root_update(&txn)?;
                let mut expected = self.clone();
                expected.finish(&mut MemStorage::new(), txn.clone(), update.clone());
                if expected.records != again.records || expected.root != again.root {
                    self.poisoned = true;
                    return Err(Error::Uncertain(e));
                }
                // The new root is in place and durable: committed after all.
                self.finish(storage, txn, update);
                Ok(())
            }
            _ => {
                self.poisoned = true;
                Err(Error::Uncertain(e))
            }
        }
    }

    /// The root entries `txn` changes (`None`: removed), each put into the slot the current
    /// root does not reference, with the next generation. The current root is not copied:
    /// a commit costs what it changes plus one pass over the names to encode the root.
    fn root_update<E>(&self, txn: &Txn) -> Result<RootUpdate, Error<E>> {
        let generation = self.root.generation.checked_add(1).ok_or(Error::LogicBug("generation overflow"))?;
        let mut changes = BTreeMap::new();
        for name in &txn.removes {
            if self.root.entries.contains_key(name) {
                changes.insert(name.clone(), None);
            }
        }
        for (name, value) in &txn.puts {
            if !crate::platform::is_valid_key(&record_key(name, 0)) {
                return Err(Error::LogicBug("invalid record name"));
            }
            let slot = self.root.entries.get(name).map_or(0, |e| 1 - e.slot);
            let len = u32::try_from(value.len()).map_err(|_| Error::LogicBug("record too large"))?;
            changes.insert(name.clone(), Some(Entry { slot, len, digest: digest(name, value) }));
        }
        Ok(RootUpdate { generation, changes })
    }

    /// Writes the records and the new root, flushed; returns the new root.
    /// `written` collects the record files written (into slots the current root does not
    /// reference), for [`drop_unreferenced`] if the commit fails.
    fn write_root<S: Storage>(
        &mut self,
        storage: &mut S,
        txn: &Txn,
        written: &mut Vec<String>,
    ) -> Result<RootUpdate, Error<S::Error>> {
        if !self.formatted {
            // Format: an empty generation-0 root in both slots, so that every later commit
            // has a valid older root to fall back on, and a missing root file is detectable.
            let empty = encode_root(0, &BTreeMap::new(), &BTreeMap::new())?;
            storage.write(ROOT_KEYS[0], &empty).map_err(Error::Storage)?;
            storage.flush().map_err(Error::Storage)?;
            storage.write(ROOT_KEYS[1], &empty).map_err(Error::Storage)?;
            storage.flush().map_err(Error::Storage)?;
            self.formatted = true;
        }
        let update = self.root_update(txn)?;
        for (name, value) in &txn.puts {
            let Some(Some(entry)) = update.changes.get(name) else {
                return Err(Error::LogicBug("a put without its root entry"));
            };
            let key = record_key(name, entry.slot);
            written.push(key.clone());
            storage.write(&key, &encode_record(value, &entry.digest)).map_err(Error::Storage)?;
        }
        storage.flush().map_err(Error::Storage)?;
        let root_key = ROOT_KEYS.get(usize::from(update.generation % 2 == 1)).ok_or(Error::LogicBug("root key"))?;
        let bytes = encode_root(update.generation, &self.root.entries, &update.changes)?;
        // From here a failure may leave the new root in place: the outcome is unknown.
        storage.write(root_key, &bytes).map_err(Error::Uncertain)?;
        storage.flush().map_err(Error::Uncertain)?;
        Ok(update)
    }

    /// The commit of `txn` as `update` is durable: drop removed records' files and update
    /// memory (the transaction's values move in, nothing is copied).
    fn finish<S: Storage>(&mut self, storage: &mut S, txn: Txn, update: RootUpdate) {
        // Best effort: leftovers are never referenced and are overwritten if the name comes back.
        for (name, change) in &update.changes {
            if change.is_none() {
                let _ = storage.remove(&record_key(name, 0));
                let _ = storage.remove(&record_key(name, 1));
            }
        }
        for name in &txn.removes {
            self.records.remove(name);
        }
        for (name, value) in txn.puts {
            self.records.insert(name, value);
        }
        for (name, change) in update.changes {
            match change {
                Some(entry) => match self.root.entries.get_mut(&name) {
                    Some(e) => *e = entry,
                    None => {
                        self.root.entries.insert(name, entry);
                    }
                },
                None => {
                    self.root.entries.remove(&name);
                }
            }
        }
        self.root.generation = update.generation;
    }
}

/// What a commit changes in the root: the next generation and the changed entries.
#[derive(Clone, Debug)]
struct RootUpdate {
    generation: u64,
    changes: BTreeMap<String, Option<Entry>>,
}

/// A commit failed before its root landed: remove the record files it wrote (best effort).
/// No valid root references them (they are the current root's shadow slots), and on a full
/// storage they hold the space the next command needs.
fn drop_unreferenced<S: Storage>(storage: &mut S, written: &[String]) {
    for key in written {
        let _ = storage.remove(key);
    }
}

/// True for the names this module writes: `root.0|1` and `r.<name>.0|1`.
fn is_store_key(key: &str) -> bool {
    if ROOT_KEYS.contains(&key) {
        return true;
    }
    key.strip_prefix("r.")
        .and_then(|rest| rest.strip_suffix(".0").or_else(|| rest.strip_suffix(".1")))
        .is_some_and(|name| !name.is_empty() && crate::platform::is_valid_key(key))
}

fn record_key(name: &str, slot: u8) -> String {
    let mut key = String::with_capacity(name.len() + 4);
    key.push_str("r.");
    key.push_str(name);
    key.push_str(if slot == 0 { ".0" } else { ".1" });
    key
}

fn digest(name: &str, payload: &[u8]) -> [u8; DIGEST_LEN] {
    let mut h = Sha256::new();
    h.update(RECORD_MAGIC);
    h.update([FORMAT_VERSION]);
    h.update((name.len() as u64).to_be_bytes());
    h.update(name.as_bytes());
    h.update(payload);
    let full = h.finalize();
    let mut out = [0u8; DIGEST_LEN];
    out.copy_from_slice(full.get(..DIGEST_LEN).unwrap_or(&[0; DIGEST_LEN]));
    out
}

/// A record file: magic, version, payload, and the payload's `digest` (computed once by the caller).
fn encode_record(payload: &[u8], digest: &[u8; DIGEST_LEN]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + payload.len() + DIGEST_LEN);
    out.extend_from_slice(RECORD_MAGIC);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(payload);
    out.extend_from_slice(digest);
    out
}

fn decode_record<'a>(name: &str, bytes: &'a [u8]) -> Result<&'a [u8], &'static str> {
    let (magic, rest) = bytes.split_at_checked(4).ok_or("truncated header")?;
    if magic != RECORD_MAGIC {
        return Err("not a veuicc record file");
    }
    let (&version, rest) = rest.split_first().ok_or("truncated header")?;
    if version != FORMAT_VERSION {
        return Err("unsupported format version");
    }
    let body_len = rest.len().checked_sub(DIGEST_LEN).ok_or("truncated")?;
    let (payload, tag) = rest.split_at_checked(body_len).ok_or("truncated")?;
    if digest(name, payload) != tag {
        return Err("checksum mismatch");
    }
    Ok(payload)
}

/// The root of `generation` holding `entries` with `changes` applied (`None`: removed),
/// encoded by merging the two sorted maps (nothing is copied first).
fn encode_root<E>(
    generation: u64,
    entries: &BTreeMap<String, Entry>,
    changes: &BTreeMap<String, Option<Entry>>,
) -> Result<Vec<u8>, Error<E>> {
    let mut count = entries.len();
    for (name, change) in changes {
        match (entries.contains_key(name), change.is_some()) {
            (false, true) => count += 1,
            (true, false) => count = count.saturating_sub(1),
            _ => {}
        }
    }
    let count = u16::try_from(count).map_err(|_| Error::LogicBug("too many records"))?;
    let mut out = Vec::with_capacity(15 + usize::from(count) * (22 + DIGEST_LEN) + DIGEST_LEN);
    out.extend_from_slice(ROOT_MAGIC);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&generation.to_be_bytes());
    out.extend_from_slice(&count.to_be_bytes());
    let mut put = |name: &str, e: &Entry| -> Result<(), Error<E>> {
        let len = u8::try_from(name.len()).map_err(|_| Error::LogicBug("record name too long"))?;
        out.push(len);
        out.extend_from_slice(name.as_bytes());
        out.push(e.slot);
        out.extend_from_slice(&e.len.to_be_bytes());
        out.extend_from_slice(&e.digest);
        Ok(())
    };
    let mut old = entries.iter().peekable();
    let mut new = changes.iter().peekable();
    loop {
        match (old.peek(), new.peek()) {
            (None, None) => break,
            (Some((o, _)), Some((n, _))) if o == n => {
                old.next();
            }
            (Some((o, e)), Some((n, _))) if o < n => {
                put(o, e)?;
                old.next();
            }
            (Some((o, e)), None) => {
                put(o, e)?;
                old.next();
            }
            (_, Some((n, change))) => {
                if let Some(e) = change {
                    put(n, e)?;
                }
                new.next();
            }
        }
    }
    let d = digest("", &out);
    out.extend_from_slice(&d);
    Ok(out)
}

/// A bounds-checked reader over a byte slice.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], &'static str> {
        let (head, tail) = self.0.split_at_checked(n).ok_or("truncated")?;
        self.0 = tail;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], &'static str> {
        self.take(N)?.try_into().map_err(|_| "truncated")
    }
}

fn decode_root(bytes: &[u8]) -> Result<Root, &'static str> {
    if !bytes.starts_with(ROOT_MAGIC) {
        return Err("not a veuicc root file");
    }
    if bytes.get(4) != Some(&FORMAT_VERSION) {
        return Err("unsupported format version");
    }
    let body_len = bytes.len().checked_sub(DIGEST_LEN).ok_or("truncated")?;
    let (body, tag) = bytes.split_at_checked(body_len).ok_or("truncated")?;
    let mut r = Reader(body);
    if r.take(4)? != ROOT_MAGIC {
        return Err("not a veuicc root file");
    }
    if r.array::<1>()? != [FORMAT_VERSION] {
        return Err("unsupported format version");
    }
    if digest("", body) != tag {
        return Err("checksum mismatch");
    }
    let generation = u64::from_be_bytes(r.array()?);
    let count = u16::from_be_bytes(r.array()?);
    let mut entries = BTreeMap::new();
    for _ in 0..count {
        let [len] = r.array::<1>()?;
        let name = core::str::from_utf8(r.take(usize::from(len))?).map_err(|_| "bad record name")?;
        let [slot] = r.array::<1>()?;
        if slot > 1 {
            return Err("bad slot number");
        }
        let len = u32::from_be_bytes(r.array()?);
        let digest = r.array::<DIGEST_LEN>()?;
        entries.insert(name.to_string(), Entry { slot, len, digest });
    }
    if !r.0.is_empty() {
        return Err("trailing bytes");
    }
    Ok(Root { generation, entries })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn put(store: &mut Store, s: &mut MemStorage, pairs: &[(&str, &[u8])]) {
        let mut txn = Txn::new();
        for (n, v) in pairs {
            txn.put(n, v.to_vec());
        }
        store.commit(s, txn).unwrap();
    }

    #[test]
    fn fresh_store_is_empty() {
        let mut s = MemStorage::new();
        let store = Store::open(&mut s).unwrap();
        assert_eq!(store.generation(), 0);
        assert_eq!(store.names().count(), 0);
    }

    #[test]
    fn commit_and_reopen() {
        let mut s = MemStorage::new();
        let mut store = Store::open(&mut s).unwrap();
        put(&mut store, &mut s, &[("config", b"one"), ("p.1", b"profile")]);
        put(&mut store, &mut s, &[("config", b"two")]);
        let mut txn = Txn::new();
        txn.remove("p.1");
        store.commit(&mut s, txn).unwrap();
        let again = Store::open(&mut s).unwrap();
        assert_eq!(again.get("config"), Some(&b"two"[..]));
        assert_eq!(again.get("p.1"), None);
        assert_eq!(again.generation(), 3);
        assert!(!s.keys().unwrap().iter().any(|k| k.starts_with("r.p.1")));
    }

    /// Cut power at every write of a commit: the reopened store is before or after.
    #[test]
    fn power_cut_at_every_write_is_before_or_after() {
        let mut base = MemStorage::new();
        let mut store = Store::open(&mut base).unwrap();
        put(&mut store, &mut base, &[("a", b"a1"), ("b", b"b1")]);
        put(&mut store, &mut base, &[("a", b"a2")]);
        let before = Store::open(&mut base).unwrap();
        let mut n = 0;
        loop {
            for torn in [false, true] {
                let mut s = base.clone();
                s.cut_after_writes(n, torn);
                let mut st = before.clone();
                let mut txn = Txn::new();
                txn.put("a", b"a3-longer".to_vec()).put("c", vec![7; 40]).remove("b");
                let done = st.commit(&mut s, txn).is_ok();
                s.restore_power();
                let reopened = Store::open(&mut s).unwrap();
                let mut after = before.clone();
                let mut txn = Txn::new();
                txn.put("a", b"a3-longer".to_vec()).put("c", vec![7; 40]).remove("b");
                after.commit(&mut base.clone(), txn).unwrap();
                assert!(
                    reopened.records == before.records || reopened.records == after.records,
                    "cut at write {n} (torn {torn}) left a third state"
                );
                if done {
                    assert_eq!(reopened.records, after.records);
                }
                if done && !torn {
                    assert_eq!(n, 3, "two records and the root");
                    return;
                }
            }
            n += 1;
        }
    }

    #[test]
    fn damaged_files_are_named() {
        let mut s = MemStorage::new();
        let mut store = Store::open(&mut s).unwrap();
        put(&mut store, &mut s, &[("config", b"value")]);
        // Bit flip in the record.
        let mut bad = s.clone();
        let mut bytes = bad.read("r.config.0").unwrap().unwrap();
        bytes[6] ^= 1;
        bad.write("r.config.0", &bytes).unwrap();
        assert!(matches!(Store::open(&mut bad), Err(Error::Corrupted { key, .. }) if key == "r.config.0"));
        // Tearing medium: a damaged newest root is an interrupted commit → the previous root.
        let mut bad = s.clone();
        bad.write("root.1", b"VUIS\x01garbage").unwrap();
        assert_eq!(Store::open(&mut bad).unwrap().get("config"), None);
        // Both roots damaged: refuse to start.
        bad.write("root.0", b"VUIS\x01garbage").unwrap();
        assert!(matches!(Store::open(&mut bad), Err(Error::Corrupted { .. })));
        // A file that is not ours.
        let mut bad = s.clone();
        bad.write("notes.txt", b"hello").unwrap();
        assert!(matches!(Store::open(&mut bad), Err(Error::Corrupted { key, .. }) if key == "notes.txt"));
        // Wrong version.
        let mut bad = s.clone();
        let mut bytes = bad.read("r.config.0").unwrap().unwrap();
        bytes[4] = 9;
        bad.write("r.config.0", &bytes).unwrap();
        assert!(matches!(Store::open(&mut bad), Err(Error::Corrupted { reason: "unsupported format version", .. })));
    }
}
