//! What the SIM of a profile keeps across power cycles: the record `sim.p<slot>` (a
//! [`RecordKind`](crate::store::RecordKind)), one per installed profile, written atomically
//! with the command that changed it and removed with the profile (`Edit::remove_profile`
//! drops every record keyed `p<slot>`).
//!
//! It holds only what changed since install — file contents the modem updated, PIN and PUK
//! counters and values — bound to the package by its SHA-256, so a record never lands on
//! another package. The SQN arrays have a record of their own, `sqn.p<slot>` ([`SqnRecord`]):
//! every accepted AUTHENTICATE commits them, and a small record of their own keeps that commit
//! from re-encoding and re-hashing every file the modem changed (and a file update from
//! carrying the SQN arrays). States written before it keep their arrays in `sim.p<slot>`'s
//! `sqn`, read as a fall-back and moved to `sqn.p<slot>` by the first AUTHENTICATE. The state directory writes it `0600`: it may hold PIN
//! values (a changed PIN), never K or OPc (those stay in the package).

use alloc::string::String;
use alloc::vec::Vec;
use rasn::prelude::*;

/// The record `sim.p<slot>`.
#[derive(AsnType, Encode, Decode, Clone, Default, PartialEq, Eq)]
#[rasn(automatic_tags)]
pub(crate) struct SimRecord {
    /// SHA-256 of the profile package this state belongs to.
    pub package: OctetString,
    /// Files whose content changed: (index into `Profile::files`, content).
    pub files: Vec<FileContent>,
    /// The PIN and PUK state (`sim::pin::PinSet::counters_bytes`), once it changed.
    pub pins: Option<OctetString>,
    /// The SQN arrays as states before `sqn.p<slot>` kept them (empty once moved there).
    pub sqn: Vec<SqnEntry>,
}

/// The record `sqn.p<slot>`: the SQN array of each NAA that authenticated.
#[derive(AsnType, Encode, Decode, Debug, Clone, Default, PartialEq, Eq)]
#[rasn(automatic_tags)]
pub(crate) struct SqnRecord {
    /// SHA-256 of the profile package this state belongs to.
    pub package: OctetString,
    /// One entry per NAA (`sim::aka::SqnState::to_bytes`).
    pub naas: Vec<SqnEntry>,
}

/// The record kind `sqn`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SqnKind;

impl crate::store::RecordKind for SqnKind {
    const PREFIX: &'static str = "sqn";
    type Value = SqnRecord;
}

impl core::fmt::Debug for SimRecord {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SimRecord")
            .field("files", &self.files.len())
            .field("pins", &self.pins.as_ref().map(|_| "<secret>"))
            .field("sqn", &self.sqn.len())
            .finish()
    }
}

/// One changed file.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
pub(crate) struct FileContent {
    /// Index into `Profile::files` (decoding is deterministic, so indices are stable).
    pub index: u32,
    /// The content now.
    pub content: OctetString,
}

/// One NAA's SQN state.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
pub(crate) struct SqnEntry {
    /// The ADF (index into `Profile::files`).
    pub adf: u32,
    /// `SqnState::to_bytes`.
    pub state: OctetString,
}

/// The record kind `sim`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SimKind;

impl crate::store::RecordKind for SimKind {
    const PREFIX: &'static str = "sim";
    type Value = SimRecord;
}

/// The key of profile slot `slot`'s record (`p05` → `sim.p05`).
pub fn key(slot: u8) -> String {
    crate::store::slot_key(slot)
}
