//! The UICC application of the enabled profile: the implicit [`App`] (selected on the
//! basic channel at reset, as a UICC's MF is), answering the file system, PIN and
//! AUTHENTICATE commands of ETSI TS 102 221 §11 / TS 31.102 §7 in classes `00`/`80`, and the
//! GSM class `A0` of TS 51.011 §9.
//!
//! ```text
//! power event → Latch::Stale
//! first command (or SELECT by AID) after it → latch(): the profile enabled on the eSIM
//!   port (logical SE interface) the command came on — port 0 on a single-port card; each
//!   port of a MEP card has a SIM of its own, latched and reset on its own —
//!   its package (`u.<slot>`) → saip::decode → fs::Tree + PinSet + AKA, then the record
//!   `sim.p<slot>` (changed contents, PIN counters, SQN) applied on top
//! every command → still enabled? (no: "no profile" until the next reset)
//!   → the selection's Cursor (current DF, EF, ADF, record pointer)
//!   → SELECT / STATUS / READ / UPDATE / SEARCH / INCREASE / RETRIEVE / SET DATA
//!     (EF.ARR checked first) · VERIFY … UNBLOCK PIN · AUTHENTICATE · TERMINAL PROFILE,
//!     FETCH, TERMINAL RESPONSE
//!   → a change: the record `sim.p<slot>` committed through the store (one commit per
//!     command; a failed commit undoes the change in memory and answers `6581`)
//! ```
//!
//! The profile is latched at reset: enabling another profile switches IMSI and keys only
//! after the next reset (the modem is told by the REFRESH or the adapter's reset), and a
//! profile disabled meanwhile is unreachable at once.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cell::RefCell;
use zeroize::Zeroize;

use super::aka::{self, Naa, Outcome};
use super::arr::{self, Access};
use super::fs::{self, RecordMode, Tree};
use super::pin::{self, PinOp, PinSet};
use super::sqn::SqnState;
use super::state::{self, FileContent, SimKind, SimRecord, SqnEntry, SqnKind, SqnRecord};
use crate::apdu::{Result, Status};
use crate::app::{App, Command, Ctx, Power, Selection};
use crate::config::Aid;
use crate::platform::Platform;
use crate::saip::profile::FileKind;
use crate::store::{Edit, Port};

/// The 3GPP USIM AID prefix (RID `A000000087`, application code `1002`), padded.
const USIM_AID: [u8; 16] = [0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0, 0, 0, 0];

/// `6986`: command not allowed, no EF selected (TS 102 221 §10.2.1.5).
const NO_EF: Status = Status::Other(0x6986);

/// The channel's position in the file system (TS 102 221 §8.4: one per logical channel).
#[derive(Debug, Clone, Copy)]
struct Cursor {
    /// The current DF (MF, DF or ADF).
    dir: usize,
    /// The current EF, if any.
    ef: Option<usize>,
    /// The application selected on the channel (its ADF), if any.
    adf: Option<usize>,
    /// The record pointer of the current EF.
    record: Option<u8>,
}

impl Cursor {
    const MF: Cursor = Cursor { dir: 0, ef: None, adf: None, record: None };
}

/// Access decisions already made: for the application `adf`, per file a byte with two bits
/// per operation (known, granted).
#[derive(Default)]
struct AccessCache {
    adf: Option<usize>,
    bits: Vec<u8>,
}

impl AccessCache {
    fn shift(access: Access) -> u8 {
        match access {
            Access::Read => 0,
            Access::Update => 2,
            Access::Increase => 4,
        }
    }

    fn get(&self, adf: Option<usize>, ef: usize, access: Access) -> Option<bool> {
        let b = (self.adf == adf).then(|| self.bits.get(ef)).flatten()? >> Self::shift(access);
        (b & 1 != 0).then_some(b & 2 != 0)
    }

    fn put(&mut self, adf: Option<usize>, ef: usize, access: Access, granted: bool, files: usize) {
        if self.adf != adf || self.bits.len() != files {
            self.adf = adf;
            self.bits.clear();
            self.bits.resize(files, 0);
        }
        if let Some(b) = self.bits.get_mut(ef) {
            *b |= (1 | u8::from(granted) << 1) << Self::shift(access);
        }
    }

    fn clear(&mut self) {
        self.bits.fill(0);
    }
}

/// The enabled profile, latched.
struct Loaded {
    /// The profile's ISD-P slot (its records are named by it).
    slot: u8,
    tree: Tree,
    pins: PinSet,
    /// The NAAs' keys and SQN arrays.
    naas: Vec<Naa>,
    /// What is persisted for it (kept in step with `tree` and the rest).
    record: SimRecord,
    /// Its SQN arrays as persisted (kept in step with `naas`).
    sqn: SqnRecord,
    /// The store generation at which the profile was last seen enabled on the port.
    checked: u64,
    /// Its mirror role (read at the latch and whenever the generation changes): whether it may
    /// answer AUTHENTICATE, what its USIM shows.
    mirror: crate::mirror::record::Gate,
    /// Access decisions already made, by (EF, operation, the channel's application): valid
    /// while no PIN state and no file content changes (both clear it; a reset starts afresh).
    access: RefCell<AccessCache>,
}

enum Latch {
    /// A power event happened: latch at the next command.
    Stale,
    /// No profile enabled on the port at its last reset (or it was disabled since).
    Empty,
    Loaded(Box<Loaded>),
}

/// The SIM application.
pub struct Sim {
    /// One latch per eSIM port, by port number (grown as ports are used).
    latches: Vec<Latch>,
    /// One cursor per selection (at most one per logical channel: a short list).
    cursors: Vec<(Selection, Cursor)>,
}

impl core::fmt::Debug for Sim {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let latched: Vec<&str> = self
            .latches
            .iter()
            .map(|l| match l {
                Latch::Stale => "stale",
                Latch::Empty => "no profile",
                Latch::Loaded(_) => "loaded",
            })
            .collect();
        f.debug_struct("Sim").field("latches", &latched).field("cursors", &self.cursors.len()).finish()
    }
}

impl Default for Sim {
    fn default() -> Self {
        Sim::new()
    }
}

impl Sim {
    /// A SIM application that latches the enabled profile at the first command.
    pub fn new() -> Sim {
        Sim { latches: Vec::new(), cursors: Vec::new() }
    }

    fn set_cursor(&mut self, selection: Selection, cursor: Cursor) {
        match self.cursors.iter_mut().find(|(s, _)| *s == selection) {
            Some((_, c)) => *c = cursor,
            None => self.cursors.push((selection, cursor)),
        }
    }

    /// The command's port's SIM: latches it (if stale) and checks that the latched profile
    /// is still enabled there.
    fn loaded<P: Platform>(&mut self, ctx: &mut Ctx<'_, P>) -> Result<Option<&mut Loaded>> {
        let reloaded = ctx.store.needs_reload();
        ctx.settle()?;
        if reloaded {
            // The state came back from storage: so must the SIM's, on every port.
            self.latches.iter_mut().for_each(|l| *l = Latch::Stale);
        }
        let port = Port(ctx.port);
        let i = usize::from(port.0);
        if self.latches.len() <= i {
            self.latches.resize_with(i + 1, || Latch::Stale);
        }
        let Some(latched) = self.latches.get_mut(i) else { return Err(Status::Unknown) };
        if matches!(latched, Latch::Stale) {
            *latched = match latch(ctx, port) {
                Some(l) => Latch::Loaded(Box::new(l)),
                None => Latch::Empty,
            };
        }
        if let Latch::Loaded(l) = latched {
            // The card state changes only by a commit: while the store's generation is the
            // one the latch was last checked at, the profile is still enabled on the port.
            let generation = ctx.store.generation();
            if l.checked != generation {
                let slot = l.slot;
                if ctx.state.profiles.iter().any(|p| p.slot() == slot && p.enabled_on() == Some(port)) {
                    l.checked = generation;
                    l.mirror = crate::mirror::record::Gate::of(ctx.state, slot);
                } else {
                    *latched = Latch::Empty;
                }
            }
        }
        match latched {
            Latch::Loaded(l) => Ok(Some(l)),
            _ => Ok(None),
        }
    }
}

/// The profile enabled on `port`, decoded, with its persisted state applied.
fn latch<P: Platform>(ctx: &mut Ctx<'_, P>, port: Port) -> Option<Loaded> {
    let record = ctx.state.profiles.iter().find(|p| p.enabled_on() == Some(port))?;
    let slot = record.slot();
    let upp = ctx.store.get(&record.package_name())?;
    // Every service: the package was accepted at install; what the card cannot run it
    // answers for command by command.
    let profile = crate::saip::decode_for(upp, crate::saip::Services(u32::MAX)).ok()?;
    let package = ctx.platform.crypto().sha256(&[upp]);
    let mut tree = Tree::new(&profile);
    let mut persisted = ctx.state.get::<SimKind, ()>(&state::key(slot)).ok().flatten().unwrap_or_default();
    if persisted.package.as_ref() != package.as_slice() {
        // Not this package's (cannot happen: the record goes with its profile); start fresh.
        persisted = SimRecord { package: package.to_vec().into(), ..SimRecord::default() };
    }
    // A content that no longer fits its file (cannot happen: the record goes with its
    // package) is dropped, not applied.
    persisted.files.retain(|f| usize::try_from(f.index).is_ok_and(|i| tree.restore(i, f.content.to_vec())));
    let _ = tree.take_dirty();
    // A mirror instance's USIM shows only the services its link allows (`services`).
    let mirror = crate::mirror::record::Gate::of(ctx.state, slot);
    if let Some(services) = mirror.services() {
        super::services::restrict(&mut tree, services);
    }
    let mut pins = PinSet::new(&profile);
    if let Some(saved) = &persisted.pins
        && !pins.apply(saved)
    {
        persisted.pins = None;
    }
    let mut naas = aka::naas(&profile.aka, &|i| tree.node(i).and_then(|n| n.aid.clone()));
    let mut sqn = ctx
        .state
        .get::<SqnKind, ()>(&state::key(slot))
        .ok()
        .flatten()
        .filter(|r| r.package.as_ref() == package.as_slice())
        .unwrap_or_else(|| SqnRecord { package: package.to_vec().into(), naas: Vec::new() });
    let mut apply = |e: &SqnEntry| {
        let naa = naas.iter_mut().find(|n| u32::try_from(n.adf).is_ok_and(|a| a == e.adf));
        match (naa, SqnState::from_bytes(&e.state)) {
            (Some(naa), Some(state)) => {
                naa.sqn = state;
                true
            }
            _ => false,
        }
    };
    // A state from before `sqn.p<slot>`: its arrays, until the first AUTHENTICATE moves them.
    persisted.sqn.retain(&mut apply);
    sqn.naas.retain(&mut apply);
    // Arrays only the older record holds join, so that moving them loses none.
    for e in &persisted.sqn {
        if !sqn.naas.iter().any(|n| n.adf == e.adf) {
            sqn.naas.push(e.clone());
        }
    }
    let checked = ctx.store.generation();
    Some(Loaded {
        slot,
        tree,
        pins,
        naas,
        record: persisted,
        sqn,
        checked,
        mirror,
        access: RefCell::new(AccessCache::default()),
    })
}

/// Commits `loaded.sqn` as `sqn.p<slot>` (after an accepted AUTHENTICATE); SQN arrays still
/// in `sim.p<slot>` (a state from before) move in the same commit. `6581` on failure.
fn persist_sqn<P: Platform>(ctx: &mut Ctx<'_, P>, loaded: &Loaded) -> Result<()> {
    let mut edit = Edit::new(ctx.state);
    let key = state::key(loaded.slot);
    edit.put::<SqnKind>(&key, &loaded.sqn).map_err(|_| Status::MemoryFailure)?;
    if !loaded.record.sqn.is_empty() {
        let moved = SimRecord { sqn: Vec::new(), ..loaded.record.clone() };
        edit.put::<SimKind>(&key, &moved).map_err(|_| Status::MemoryFailure)?;
    }
    let txn = edit.txn::<()>(ctx.store).map_err(|_| Status::MemoryFailure)?;
    let (storage, _, _) = ctx.platform.split();
    ctx.store.commit(storage, txn).map_err(|_| Status::MemoryFailure)?;
    edit.keep();
    Ok(())
}

/// Commits `loaded.record` (after a change) as `sim.p<slot>`; `6581` on failure.
fn persist<P: Platform>(ctx: &mut Ctx<'_, P>, loaded: &Loaded) -> Result<()> {
    let mut edit = Edit::new(ctx.state);
    edit.put::<SimKind>(&state::key(loaded.slot), &loaded.record).map_err(|_| Status::MemoryFailure)?;
    let txn = edit.txn::<()>(ctx.store).map_err(|_| Status::MemoryFailure)?;
    let (storage, _, _) = ctx.platform.split();
    ctx.store.commit(storage, txn).map_err(|_| Status::MemoryFailure)?;
    edit.keep();
    Ok(())
}

/// Records the contents `tree` changed into `record`.
fn note_dirty(loaded: &mut Loaded) {
    for i in loaded.tree.take_dirty() {
        let content: Vec<u8> = loaded.tree.node(i).map(|n| n.content.clone()).unwrap_or_default();
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        match loaded.record.files.iter_mut().find(|f| f.index == index) {
            Some(f) => f.content = content.into(),
            None => loaded.record.files.push(FileContent { index, content: content.into() }),
        }
    }
    loaded.record.files.sort_by_key(|f| f.index);
}

impl<P: Platform> App<P> for Sim {
    fn aid(&self) -> Aid {
        // For listings only: `claims` answers for the ADFs of the enabled profile.
        Aid::from_array(USIM_AID)
    }

    fn claims(&mut self, name: &[u8], ctx: &mut Ctx<'_, P>) -> bool {
        matches!(self.loaded(ctx), Ok(Some(l)) if l.tree.adf_by_name(name).is_some())
    }

    fn implicit(&self) -> bool {
        true
    }

    fn select(&mut self, selection: Selection, command: &Command<'_>, ctx: &mut Ctx<'_, P>) -> Result<Vec<u8>> {
        let loaded = self.loaded(ctx)?.ok_or(Status::NotFound)?;
        let adf = loaded.tree.adf_by_name(command.data).ok_or(Status::NotFound)?;
        let fcp = command.wants_fci().then(|| fcp(loaded, adf, Some(adf)));
        self.set_cursor(selection, Cursor { dir: adf, ef: None, adf: Some(adf), record: None });
        Ok(fcp.unwrap_or_default())
    }

    fn call(&mut self, selection: Selection, command: &Command<'_>, ctx: &mut Ctx<'_, P>) -> Result<Vec<u8>> {
        let cursor = self.cursors.iter().find(|(s, _)| *s == selection).map_or(Cursor::MF, |(_, c)| *c);
        let Some(loaded) = self.loaded(ctx)? else {
            // No profile: the card as it is without one (file SELECT 6A82, class A0 6E00).
            return match command.ins {
                _ if command.gsm => Err(Status::ClaNotSupported),
                0xA4 => Err(Status::NotFound),
                // STATUS polling still gets an answer (and carries a pending REFRESH's 91xx).
                0xF2 if command.proprietary && command.p2 == 0x0C => Ok(Vec::new()),
                _ => Err(Status::InsNotSupported),
            };
        };
        let mut cursor = cursor;
        if cursor.dir >= loaded.tree.len() {
            cursor = Cursor::MF;
        }
        let out = dispatch(loaded, &mut cursor, command, ctx);
        self.set_cursor(selection, cursor);
        out
    }

    fn deselect(&mut self, selection: Selection) {
        self.cursors.retain(|(s, _)| *s != selection);
    }

    fn power(&mut self, _event: Power) {
        self.cursors.clear();
        self.latches.clear();
    }

    /// That port's SIM latches again at its next command (the card deselected its channels).
    fn interface_reset(&mut self, port: u8) {
        if let Some(l) = self.latches.get_mut(usize::from(port)) {
            *l = Latch::Stale;
        }
    }
}

/// The FCP of file `i`, its PIN status template showing the live enabled states.
fn fcp(loaded: &Loaded, i: usize, adf: Option<usize>) -> Vec<u8> {
    let adf = adf_of(&loaded.tree, i).or(adf);
    let c6 = loaded.tree.node(i).map(|n| pin::pin_status(&n.pin_status, &loaded.pins, adf)).unwrap_or_default();
    loaded.tree.fcp(i, Some(&c6))
}

/// The ADF file `i` is in (or is), if any.
fn adf_of(tree: &Tree, mut i: usize) -> Option<usize> {
    loop {
        if tree.node(i)?.kind == FileKind::Adf {
            return Some(i);
        }
        i = tree.parent(i)?;
    }
}

/// Checks `access` to EF `ef` against the EF.ARR rule its `8B` attribute names (TS 102 221
/// §9.2.4–§9.2.5): the ARR searched from the EF's directory up to the MF; a missing ARR or
/// record grants nothing. A file without security attributes is free. `6982` when denied.
fn check_access(loaded: &Loaded, cursor: &Cursor, ef: usize, access: Access) -> Result<()> {
    let cached = loaded.access.try_borrow().ok().and_then(|c| c.get(cursor.adf, ef, access));
    let granted = match cached {
        Some(granted) => granted,
        None => {
            let granted = access_granted(loaded, cursor, ef, access);
            if let Ok(mut cache) = loaded.access.try_borrow_mut() {
                cache.put(cursor.adf, ef, access, granted, loaded.tree.len());
            }
            granted
        }
    };
    if granted { Ok(()) } else { Err(Status::SecurityStatusNotSatisfied) }
}

/// The decision of [`check_access`], made from EF.ARR and the PINs.
fn access_granted(loaded: &Loaded, cursor: &Cursor, ef: usize, access: Access) -> bool {
    let tree = &loaded.tree;
    let Some([hi, lo, record]) = tree.node(ef).and_then(|n| <[u8; 3]>::try_from(n.security.as_slice()).ok()) else {
        return true;
    };
    let arr_fid = u16::from_be_bytes([hi, lo]);
    let mut dir = tree.parent(ef);
    let rule = loop {
        let Some(d) = dir else { break None };
        if let Some(f) = tree.child(d, arr_fid).filter(|&c| !tree.is_dir(c)) {
            break tree.record(f, record).ok();
        }
        dir = tree.parent(d);
    };
    let adf = adf_of(tree, ef).or(cursor.adf);
    rule.is_some_and(|rule| arr::allows(rule, access, &|r| loaded.pins.satisfied(r, adf)))
}

/// Class check: interindustry commands under `0X` (or `A0`), the UICC's own under `8X`.
fn class_ok(command: &Command<'_>, proprietary: bool) -> Result<()> {
    if command.gsm || command.proprietary == proprietary { Ok(()) } else { Err(Status::ClaNotSupported) }
}

fn dispatch<P: Platform>(
    loaded: &mut Loaded,
    cursor: &mut Cursor,
    command: &Command<'_>,
    ctx: &mut Ctx<'_, P>,
) -> Result<Vec<u8>> {
    let out = dispatch_uicc(loaded, cursor, command, ctx);
    if !command.gsm {
        return out;
    }
    // TS 51.011 §9.4: the GSM status words for the same conditions.
    out.map_err(|sw| match sw {
        Status::RemainingRetries(0) | Status::MethodBlocked => Status::Other(0x9840),
        Status::SecurityStatusNotSatisfied | Status::RemainingRetries(_) => Status::Other(0x9804),
        Status::ReferenceDataInvalidated | Status::ConditionsNotSatisfied => Status::Other(0x9808),
        other => other,
    })
}

fn dispatch_uicc<P: Platform>(
    loaded: &mut Loaded,
    cursor: &mut Cursor,
    command: &Command<'_>,
    ctx: &mut Ctx<'_, P>,
) -> Result<Vec<u8>> {
    match command.ins {
        0x88 => {
            class_ok(command, false)?;
            authenticate(loaded, cursor, command, ctx)
        }
        0x20 | 0x24 | 0x26 | 0x28 | 0x2C => {
            class_ok(command, false)?;
            pin_command(loaded, cursor, command, ctx)
        }
        0xA4 => {
            class_ok(command, false)?;
            select(loaded, cursor, command)
        }
        0xF2 => {
            class_ok(command, true)?;
            status(loaded, cursor, command)
        }
        0xB0 => {
            class_ok(command, false)?;
            read_binary(loaded, cursor, command)
        }
        0xD6 => {
            class_ok(command, false)?;
            update_binary(loaded, cursor, command, ctx)
        }
        0xB2 => {
            class_ok(command, false)?;
            read_record(loaded, cursor, command)
        }
        0xDC => {
            class_ok(command, false)?;
            update_record(loaded, cursor, command, ctx)
        }
        0xA2 => {
            class_ok(command, false)?;
            search_record(loaded, cursor, command)
        }
        0x32 => {
            class_ok(command, !command.gsm)?;
            increase(loaded, cursor, command, ctx)
        }
        0xCB => {
            class_ok(command, false)?;
            retrieve_data(loaded, cursor, command)
        }
        0xDB => {
            class_ok(command, false)?;
            set_data(loaded, cursor, command, ctx)
        }
        _ => Err(Status::InsNotSupported),
    }
}

/// The EF a command works on: by SFI (`sfi` non-zero; it becomes the current EF) or the
/// current EF.
fn target_ef(loaded: &Loaded, cursor: &mut Cursor, sfi: Option<u8>) -> Result<usize> {
    match sfi {
        Some(sfi) => {
            let ef = loaded
                .tree
                .children(cursor.dir)
                .iter()
                .copied()
                .find(|&c| loaded.tree.node(c).is_some_and(|n| n.sfi == Some(sfi) && !n.kind.is_dir()))
                .ok_or(Status::NotFound)?;
            if cursor.ef != Some(ef) {
                cursor.ef = Some(ef);
                cursor.record = None;
            }
            Ok(ef)
        }
        None => cursor.ef.ok_or(NO_EF),
    }
}

/// SELECT (TS 102 221 §11.1.1; GSM: TS 51.011 §9.2.1).
fn select(loaded: &Loaded, cursor: &mut Cursor, command: &Command<'_>) -> Result<Vec<u8>> {
    let tree = &loaded.tree;
    let fid = || -> Result<u16> {
        match command.data {
            [a, b] => Ok(u16::from_be_bytes([*a, *b])),
            _ => Err(Status::WrongLength),
        }
    };
    if command.gsm {
        if command.p1 != 0 || command.p2 != 0 {
            return Err(Status::IncorrectP1P2);
        }
        let file = tree.select_fid(cursor.dir, cursor.adf, fid()?).ok_or(Status::NotFound)?;
        move_to(tree, cursor, file);
        return Ok(tree.gsm_response(file, [0x00, 0x00, 0x00], [0x00; 4]));
    }
    if !matches!(command.p2, 0x00 | 0x04 | 0x0C) {
        return Err(Status::IncorrectP1P2);
    }
    let file = match command.p1 {
        0x00 if command.data.is_empty() => Some(0),
        0x00 => tree.select_fid(cursor.dir, cursor.adf, fid()?),
        0x01 => tree.child(cursor.dir, fid()?).filter(|&c| tree.is_dir(c)),
        0x02 => tree.child(cursor.dir, fid()?).filter(|&c| !tree.is_dir(c)),
        0x03 if command.data.is_empty() => tree.parent(cursor.dir),
        0x03 => return Err(Status::WrongLength),
        0x04 => tree.adf_by_name(command.data),
        0x08 => tree.select_path(0, cursor.adf, command.data, true),
        0x09 => tree.select_path(cursor.dir, cursor.adf, command.data, false),
        _ => return Err(Status::IncorrectP1P2),
    }
    .ok_or(Status::NotFound)?;
    move_to(tree, cursor, file);
    if tree.node(file).is_some_and(|n| n.kind == FileKind::Adf) {
        cursor.adf = Some(file);
    }
    if command.p2 == 0x0C {
        return Ok(Vec::new());
    }
    Ok(fcp(loaded, file, cursor.adf))
}

/// Makes `file` current: a directory becomes the current DF, an EF the current EF (its
/// parent the current DF); the record pointer is cleared.
fn move_to(tree: &Tree, cursor: &mut Cursor, file: usize) {
    if tree.is_dir(file) {
        cursor.dir = file;
        cursor.ef = None;
    } else {
        cursor.dir = tree.parent(file).unwrap_or(0);
        cursor.ef = Some(file);
    }
    cursor.record = None;
}

/// STATUS (TS 102 221 §11.1.2): P2 `00` the FCP of the current DF, `01` its DF name, `0C`
/// nothing.
fn status(loaded: &Loaded, cursor: &Cursor, command: &Command<'_>) -> Result<Vec<u8>> {
    if command.gsm {
        return Ok(loaded.tree.gsm_response(cursor.dir, [0; 3], [0; 4]));
    }
    if command.p1 > 0x02 {
        return Err(Status::IncorrectP1P2);
    }
    match command.p2 {
        0x00 => Ok(fcp(loaded, cursor.dir, cursor.adf)),
        0x01 => {
            let adf = cursor.adf.ok_or(Status::ReferencedDataNotFound)?;
            let aid = loaded.tree.node(adf).and_then(|n| n.aid.clone()).unwrap_or_default();
            let mut out = Vec::new();
            fs::push_tlv(&mut out, 0x84, &aid);
            Ok(out)
        }
        0x0C => Ok(Vec::new()),
        _ => Err(Status::IncorrectP1P2),
    }
}

/// P1/P2 of READ/UPDATE BINARY: `(SFI, offset)` (P1 b8 = 1: SFI in b5–b1, offset P2).
fn binary_address(command: &Command<'_>) -> Result<(Option<u8>, usize)> {
    if command.p1 & 0x80 != 0 && !command.gsm {
        if command.p1 & 0x60 != 0 {
            return Err(Status::IncorrectP1P2);
        }
        let sfi = command.p1 & 0x1F;
        if sfi == 0 {
            return Err(Status::IncorrectP1P2);
        }
        Ok((Some(sfi), usize::from(command.p2)))
    } else {
        Ok((None, usize::from(command.p1 & 0x7F) << 8 | usize::from(command.p2)))
    }
}

fn read_binary(loaded: &Loaded, cursor: &mut Cursor, command: &Command<'_>) -> Result<Vec<u8>> {
    let (sfi, offset) = binary_address(command)?;
    let ef = target_ef(loaded, cursor, sfi)?;
    check_access(loaded, cursor, ef, Access::Read)?;
    let ne = command.ne.ok_or(Status::WrongLength)?;
    loaded.tree.read_binary(ef, offset, ne)
}

fn update_binary<P: Platform>(
    loaded: &mut Loaded,
    cursor: &mut Cursor,
    command: &Command<'_>,
    ctx: &mut Ctx<'_, P>,
) -> Result<Vec<u8>> {
    let (sfi, offset) = binary_address(command)?;
    let ef = target_ef(loaded, cursor, sfi)?;
    check_access(loaded, cursor, ef, Access::Update)?;
    if command.data.is_empty() {
        return Err(Status::WrongLength);
    }
    change(loaded, ctx, ef, |tree| tree.update_binary(ef, offset, command.data))?;
    Ok(Vec::new())
}

/// Runs `f` on the tree, then persists; on a failed commit the file's content is restored.
fn change<P: Platform, T>(
    loaded: &mut Loaded,
    ctx: &mut Ctx<'_, P>,
    ef: usize,
    f: impl FnOnce(&mut Tree) -> Result<T>,
) -> Result<T> {
    let owner = loaded.tree.owner(ef);
    let before = loaded.tree.content(owner).to_vec();
    let record_before = loaded.record.files.clone();
    let out = f(&mut loaded.tree)?;
    // An EF.ARR may be what changed.
    loaded.access.get_mut().clear();
    note_dirty(loaded);
    if let Err(sw) = persist(ctx, loaded) {
        loaded.tree.restore(owner, before);
        let _ = loaded.tree.take_dirty();
        loaded.record.files = record_before;
        return Err(sw);
    }
    Ok(out)
}

/// P2 of the record commands: `(SFI, mode)`.
fn record_address(command: &Command<'_>) -> Result<(Option<u8>, RecordMode)> {
    let sfi = (command.p2 >> 3) & 0x1F;
    if command.gsm && sfi != 0 {
        return Err(Status::IncorrectP1P2);
    }
    let mode = match command.p2 & 0x07 {
        0x04 => RecordMode::Absolute(command.p1),
        0x02 if command.p1 == 0 => RecordMode::Next,
        0x03 if command.p1 == 0 => RecordMode::Previous,
        _ => return Err(Status::IncorrectP1P2),
    };
    Ok(((sfi != 0).then_some(sfi), mode))
}

fn read_record(loaded: &Loaded, cursor: &mut Cursor, command: &Command<'_>) -> Result<Vec<u8>> {
    let (sfi, mode) = record_address(command)?;
    let ef = target_ef(loaded, cursor, sfi)?;
    check_access(loaded, cursor, ef, Access::Read)?;
    let (len, _, _) = loaded.tree.records(ef)?;
    let (r, pointer) = loaded.tree.resolve(ef, mode, cursor.record)?;
    if let Some(ne) = command.ne
        && ne < len
    {
        return Err(Status::WrongLe(u8::try_from(len).unwrap_or(0)));
    }
    let data = loaded.tree.record(ef, r)?.to_vec();
    cursor.record = pointer;
    Ok(data)
}

fn update_record<P: Platform>(
    loaded: &mut Loaded,
    cursor: &mut Cursor,
    command: &Command<'_>,
    ctx: &mut Ctx<'_, P>,
) -> Result<Vec<u8>> {
    let (sfi, mode) = record_address(command)?;
    let ef = target_ef(loaded, cursor, sfi)?;
    check_access(loaded, cursor, ef, Access::Update)?;
    let (len, _, cyclic) = loaded.tree.records(ef)?;
    if command.data.len() != len {
        return Err(Status::WrongLength);
    }
    if cyclic {
        // A cyclic EF is written in previous mode only: the new record 1 (§11.1.6).
        if mode != RecordMode::Previous {
            return Err(Status::IncorrectP1P2);
        }
        change(loaded, ctx, ef, |tree| tree.push_cyclic(ef, command.data))?;
        cursor.record = Some(1);
        return Ok(Vec::new());
    }
    let (r, pointer) = loaded.tree.resolve(ef, mode, cursor.record)?;
    change(loaded, ctx, ef, |tree| tree.update_record(ef, r, command.data))?;
    cursor.record = pointer;
    Ok(Vec::new())
}

/// SEARCH RECORD, simple search (TS 102 221 §11.1.7): P2 b3–b1 `04` forward from P1, `05`
/// backward from P1 (P1 `00`: the current record). No match → `6282`.
fn search_record(loaded: &Loaded, cursor: &mut Cursor, command: &Command<'_>) -> Result<Vec<u8>> {
    let sfi = (command.p2 >> 3) & 0x1F;
    let forward = match command.p2 & 0x07 {
        0x04 => true,
        0x05 => false,
        _ => return Err(Status::IncorrectP1P2),
    };
    let ef = target_ef(loaded, cursor, (sfi != 0).then_some(sfi))?;
    check_access(loaded, cursor, ef, Access::Read)?;
    let from = if command.p1 == 0 { cursor.record.ok_or(Status::RecordNotFound)? } else { command.p1 };
    let found = loaded.tree.search(ef, from, forward, command.data)?;
    let first = *found.first().ok_or(Status::EndOfFile)?;
    cursor.record = Some(first);
    Ok(found)
}

fn increase<P: Platform>(
    loaded: &mut Loaded,
    cursor: &mut Cursor,
    command: &Command<'_>,
    ctx: &mut Ctx<'_, P>,
) -> Result<Vec<u8>> {
    if command.p1 != 0 || command.p2 != 0 {
        return Err(Status::IncorrectP1P2);
    }
    let ef = cursor.ef.ok_or(NO_EF)?;
    check_access(loaded, cursor, ef, Access::Increase)?;
    let out = change(loaded, ctx, ef, |tree| tree.increase(ef, command.data))?;
    cursor.record = Some(1);
    Ok(out)
}

/// RETRIEVE DATA (TS 102 221 §11.3.1), first block only: P1 `00`, data the tag; the whole
/// object is answered (the card's `61xx` path carries what does not fit).
fn retrieve_data(loaded: &Loaded, cursor: &mut Cursor, command: &Command<'_>) -> Result<Vec<u8>> {
    if command.p1 != 0 {
        return Err(Status::IncorrectP1P2);
    }
    let ef = cursor.ef.ok_or(NO_EF)?;
    check_access(loaded, cursor, ef, Access::Read)?;
    let tag = crate::asn1::tlv::tag(command.data).map_err(|_| Status::IncorrectData)?;
    if tag.size != command.data.len() {
        return Err(Status::IncorrectData);
    }
    loaded.tree.retrieve(ef, tag.tag)
}

/// SET DATA (§11.3.2), a whole object in one block: P1 `80` | first and last block.
fn set_data<P: Platform>(
    loaded: &mut Loaded,
    cursor: &mut Cursor,
    command: &Command<'_>,
    ctx: &mut Ctx<'_, P>,
) -> Result<Vec<u8>> {
    if command.p1 & 0x7F != 0 || command.p2 != 0 {
        return Err(Status::IncorrectP1P2);
    }
    let ef = cursor.ef.ok_or(NO_EF)?;
    check_access(loaded, cursor, ef, Access::Update)?;
    change(loaded, ctx, ef, |tree| tree.set_object(ef, command.data))?;
    Ok(Vec::new())
}

/// VERIFY, CHANGE, DISABLE, ENABLE and UNBLOCK PIN (TS 102 221 §11.1.9–§11.1.13; GSM:
/// TS 51.011 §9.2.9–§9.2.13, CHV1 = PIN1 `01`, CHV2 = the USIM's PIN2 `81`). A counter or
/// value that changed is committed before the answer; a failed commit leaves the PINs as
/// they were and answers `6581`.
fn pin_command<P: Platform>(
    loaded: &mut Loaded,
    cursor: &Cursor,
    command: &Command<'_>,
    ctx: &mut Ctx<'_, P>,
) -> Result<Vec<u8>> {
    let op = match command.ins {
        0x20 => PinOp::Verify,
        0x24 => PinOp::Change,
        0x26 => PinOp::Disable,
        0x28 => PinOp::Enable,
        _ => PinOp::Unblock,
    };
    let (key_ref, adf) = if command.gsm {
        // GSM DISABLE CHV has P1 00 and CHV1 only; UNBLOCK CHV P2 00 means CHV1.
        let usim = cursor.adf.or_else(|| loaded.tree.adf_by_name(&USIM_AID[..7]));
        let key_ref = match (op, command.p2) {
            (PinOp::Unblock, 0x00) | (_, 0x01) => 0x01,
            (PinOp::Unblock | PinOp::Verify | PinOp::Change, 0x02) => 0x81,
            _ => return Err(Status::IncorrectP1P2),
        };
        (key_ref, usim)
    } else {
        (command.p2, cursor.adf)
    };
    pin::check_shape(op, command.p1, command.data)?;
    loaded.access.get_mut().clear();
    let before = loaded.pins.clone();
    let outcome = loaded.pins.run(op, key_ref, adf, command.data)?;
    if outcome.changed {
        let record_before = loaded.record.pins.clone();
        loaded.record.pins = Some(loaded.pins.to_bytes().to_vec().into());
        if let Err(sw) = persist(ctx, loaded) {
            loaded.pins = before;
            loaded.record.pins = record_before;
            return Err(sw);
        }
    }
    match outcome.status {
        Status::Success => Ok(Vec::new()),
        sw => Err(sw),
    }
}

/// The ISIM AID prefix (application code `1004`).
const ISIM_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x04];

/// Whether service `n` is set in the USIM's EF.UST (`6F38`; TS 31.102 §4.2.8: service n is
/// bit (n−1) mod 8 of byte (n−1) / 8).
fn ust_has(loaded: &Loaded, adf: usize, n: usize) -> bool {
    let Some(ust) = loaded.tree.child(adf, 0x6F38) else { return false };
    let content = loaded.tree.content(loaded.tree.owner(ust));
    let (byte, bit) = ((n - 1) / 8, (n - 1) % 8);
    content.get(byte).is_some_and(|b| b & (1 << bit) != 0)
}

/// AUTHENTICATE (TS 102 221 §11.1.16, TS 31.102 §7.1.2, TS 31.103 §5.1.1; GSM RUN GSM
/// ALGORITHM, TS 51.011 §9.2.16). Needs the application's PIN (verified or disabled).
/// 3G/IMS context `81`: `10 RAND 10 AUTN` → `DB 08 RES 10 CK 10 IK [08 Kc]` (Kc when UST
/// service 27, GSM access, is on), `DC 0E AUTS` on a stale SQN, `9862` on a MAC failure.
/// GSM context `80` (service 27 on): `10 RAND` → `04 SRES 08 Kc`. An accepted SQN is
/// committed before the answer (a failed commit: `6581`, SQN state as before). The profile
/// of a mirror instance that is suspended or past its renew-by answers `6985` (conditions of
/// use not satisfied) in every context.
fn authenticate<P: Platform>(
    loaded: &mut Loaded,
    cursor: &Cursor,
    command: &Command<'_>,
    ctx: &mut Ctx<'_, P>,
) -> Result<Vec<u8>> {
    // A mirror instance that is suspended or past its renew-by answers no challenge.
    if !matches!(loaded.mirror, crate::mirror::record::Gate::Ordinary) && !loaded.mirror.usable(ctx.now()) {
        return Err(Status::ConditionsNotSatisfied);
    }
    if command.gsm {
        if command.p1 != 0 || command.p2 != 0 {
            return Err(Status::IncorrectP1P2);
        }
        let adf = cursor.adf.or_else(|| loaded.tree.adf_by_name(&USIM_AID[..7])).ok_or(Status::NotFound)?;
        if !loaded.pins.satisfied(0x01, Some(adf)) {
            return Err(Status::SecurityStatusNotSatisfied);
        }
        let rand: [u8; 16] = command.data.try_into().map_err(|_| Status::WrongLength)?;
        let naa = loaded.naas.iter().find(|n| n.adf == adf).ok_or(Status::ConditionsNotSatisfied)?;
        let (sres, kc) = naa.gsm(ctx.platform.crypto(), &rand);
        let mut out = sres.to_vec();
        out.extend_from_slice(kc.as_slice());
        return Ok(out);
    }
    if command.p1 != 0 {
        return Err(Status::IncorrectP1P2);
    }
    let adf = cursor.adf.ok_or(Status::ConditionsNotSatisfied)?;
    if !loaded.pins.satisfied(0x01, Some(adf)) {
        return Err(Status::SecurityStatusNotSatisfied);
    }
    let aid = loaded.tree.node(adf).and_then(|n| n.aid.clone()).unwrap_or_default();
    let isim = aid.starts_with(&ISIM_AID);
    let gsm_access = !isim && ust_has(loaded, adf, 27);
    let i = loaded.naas.iter().position(|n| n.adf == adf).ok_or(Status::Other(0x9864))?;
    let crypto = ctx.platform.crypto();
    match command.p2 {
        0x81 => {
            let (rand, autn) = command.data.split_at_checked(17).ok_or(Status::WrongLength)?;
            let (rand, autn) = (lv16(rand)?, lv16(autn)?);
            let naa = loaded.naas.get_mut(i).ok_or(Status::Unknown)?;
            let before = naa.sqn.clone();
            match naa.authenticate(crypto, &rand, &autn) {
                Outcome::MacFailure => Err(Status::AuthenticationError),
                Outcome::SyncFailure(auts) => {
                    let mut out = alloc::vec![0xDC, 0x0E];
                    out.extend_from_slice(&auts);
                    Ok(out)
                }
                Outcome::Success { res, ck, ik } => {
                    let mut out = Vec::with_capacity(53);
                    out.extend_from_slice(&[0xDB, 0x08]);
                    out.extend_from_slice(res.as_slice());
                    out.push(0x10);
                    out.extend_from_slice(ck.as_slice());
                    out.push(0x10);
                    out.extend_from_slice(ik.as_slice());
                    if gsm_access {
                        out.push(0x08);
                        out.extend_from_slice(aka::kc(&ck, &ik).as_slice());
                    }
                    if naa.keys.checks_sqn() {
                        let state = naa.sqn.to_bytes();
                        let index = u32::try_from(adf).unwrap_or(u32::MAX);
                        let sqn_before = loaded.sqn.naas.clone();
                        match loaded.sqn.naas.iter_mut().find(|e| e.adf == index) {
                            Some(e) => e.state = state.into(),
                            None => loaded.sqn.naas.push(SqnEntry { adf: index, state: state.into() }),
                        }
                        if let Err(sw) = persist_sqn(ctx, loaded) {
                            loaded.sqn.naas = sqn_before;
                            if let Some(naa) = loaded.naas.get_mut(i) {
                                naa.sqn = before;
                            }
                            out.zeroize();
                            return Err(sw);
                        }
                        // Moved to `sqn.p<slot>` by that commit.
                        loaded.record.sqn.clear();
                    }
                    Ok(out)
                }
            }
        }
        0x80 if gsm_access => {
            let rand = lv16(command.data)?;
            let naa = loaded.naas.get(i).ok_or(Status::Unknown)?;
            let (sres, kc) = naa.gsm(crypto, &rand);
            let mut out = alloc::vec![0x04];
            out.extend_from_slice(&sres);
            out.push(0x08);
            out.extend_from_slice(kc.as_slice());
            Ok(out)
        }
        _ => Err(Status::IncorrectP1P2),
    }
}

/// One `10 ‖ 16 bytes` field of AUTHENTICATE's data: another length is `6700`, another
/// length byte `6A80`.
fn lv16(lv: &[u8]) -> Result<[u8; 16]> {
    let value: &[u8; 16] = lv.get(1..).and_then(|v| v.try_into().ok()).ok_or(Status::WrongLength)?;
    if lv.first() != Some(&0x10) {
        return Err(Status::IncorrectData);
    }
    Ok(*value)
}

#[cfg(all(test, feature = "testkit"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::state::{SimRecord, SqnRecord};
    use crate::crypto::RUST_CRYPTO;
    use crate::sim::milenage::Milenage;
    use crate::store::{Store, Txn};
    use crate::testkit::TestCard;
    use crate::testkit::saip::TestProfile;
    use alloc::vec::Vec;

    const RAND: [u8; 16] = [0x5A; 16];

    fn sqn(seq: u64, ind: u8) -> [u8; 6] {
        let v = ((seq << 5) | u64::from(ind)).to_be_bytes();
        core::array::from_fn(|i| v[i + 2])
    }

    /// The response data of AUTHENTICATE 3G for `sqn` (the network side with the test kit's keys).
    fn authenticate(card: &mut TestCard, sqn: [u8; 6]) -> Vec<u8> {
        let p = TestProfile::new([0; 10]);
        let m = Milenage::new(p.k, p.opc);
        let ak = m.f2345(&RUST_CRYPTO, &RAND).ak;
        let mut apdu = alloc::vec![0x00, 0x88, 0x00, 0x81, 0x22, 0x10];
        apdu.extend_from_slice(&RAND);
        apdu.push(0x10);
        apdu.extend(sqn.iter().zip(ak.iter()).map(|(s, a)| s ^ a));
        apdu.extend_from_slice(&[0x80, 0x00]);
        apdu.extend_from_slice(&m.f1(&RUST_CRYPTO, &RAND, &sqn, &[0x80, 0x00]).0);
        apdu.push(0x00);
        let r = card.transmit(&apdu);
        assert_eq!(r[r.len() - 2..], [0x90, 0x00]);
        r[..r.len() - 2].to_vec()
    }

    /// Reset, VERIFY PIN1, SELECT ADF.USIM.
    fn start(card: &mut TestCard) {
        card.reset();
        assert_eq!(card.transmit(&[0, 0x20, 0, 1, 8, 0x30, 0x30, 0x30, 0x30, 0xFF, 0xFF, 0xFF, 0xFF]), [0x90, 0]);
        let mut select = alloc::vec![0x00, 0xA4, 0x04, 0x0C, 0x07];
        select.extend_from_slice(&super::USIM_AID[..7]);
        assert_eq!(card.transmit(&select), [0x90, 0]);
    }

    fn record<T: rasn::Decode>(card: &TestCard, name: &str) -> Option<T> {
        card.0.state().kinds.get(name).map(|b| rasn::der::decode(b).unwrap())
    }

    #[test]
    fn an_accepted_authenticate_commits_only_the_sqn_record_and_a_file_update_only_the_sim_record() {
        let mut card = crate::testkit::sim_card(&[TestProfile::new([0x98; 10]).to_der()]);
        start(&mut card);
        let sim_before = card.0.state().kinds.get("sim.p01").cloned();
        assert_eq!(authenticate(&mut card, sqn(5, 3))[0], 0xDB);
        let after: SqnRecord = record(&card, "sqn.p01").unwrap();
        assert_eq!(after.naas.len(), 1);
        assert_eq!(card.0.state().kinds.get("sim.p01").cloned(), sim_before, "the SIM record is untouched");
        // UPDATE BINARY EF.LOCI: the SIM record changes, the SQN record does not.
        assert_eq!(card.transmit(&[0, 0xA4, 0, 0x0C, 2, 0x6F, 0x7E]), [0x90, 0]);
        let update = [0, 0xD6, 0, 0, 0x0B, 0x11, 0x22, 0x33, 0x44, 0x00, 0xF1, 0x10, 0x00, 0x01, 0xFF, 0x00];
        assert_eq!(card.transmit(&update), [0x90, 0]);
        let sim: SimRecord = record(&card, "sim.p01").unwrap();
        assert_eq!((sim.files.len(), sim.sqn.len()), (1, 0));
        assert_eq!(record::<SqnRecord>(&card, "sqn.p01"), Some(after));
    }

    #[test]
    fn sqn_arrays_of_an_older_state_are_read_and_moved_to_their_own_record() {
        let mut card = crate::testkit::sim_card(&[TestProfile::new([0x98; 10]).to_der()]);
        start(&mut card);
        assert_eq!(authenticate(&mut card, sqn(5, 3))[0], 0xDB);
        // Rewrite the state as a card before `sqn.p<slot>` kept it: the arrays in `sim.p01`.
        let sqn_record: SqnRecord = record(&card, "sqn.p01").unwrap();
        let mut sim: SimRecord = record(&card, "sim.p01").unwrap_or_default();
        sim.package = sqn_record.package.clone();
        sim.sqn = sqn_record.naas.clone();
        let mut txn = Txn::new();
        txn.put("sim.p01", rasn::der::encode(&sim).unwrap()).remove("sqn.p01");
        let mut store = Store::open(card.storage()).unwrap();
        store.commit(card.storage(), txn).unwrap();
        card.power_off();
        card.power_on();
        assert_eq!(record::<SqnRecord>(&card, "sqn.p01"), None);
        start(&mut card);
        // The older record's array is the card's: a replay is a synchronisation failure.
        assert_eq!(authenticate(&mut card, sqn(5, 3))[0], 0xDC);
        assert_eq!(authenticate(&mut card, sqn(6, 3))[0], 0xDB);
        // That commit moved the arrays: `sqn.p01` holds them, `sim.p01` no longer does.
        let moved: SqnRecord = record(&card, "sqn.p01").unwrap();
        assert_eq!(moved.naas.len(), 1);
        assert_eq!(record::<SimRecord>(&card, "sim.p01").unwrap().sqn.len(), 0);
        card.power_off();
        card.power_on();
        start(&mut card);
        assert_eq!(authenticate(&mut card, sqn(6, 3))[0], 0xDC, "the moved array survives a power cycle");
    }
}
