//! The record `mirror.p<slot>`: what a card keeps about one profile's mirrors, written
//! atomically with the command that changed it and removed with the profile
//! (`Edit::remove_profile` drops every record keyed `p<slot>`).
//!
//! A primary's profile has [`MirrorRecord::entries`]: each token it issued, and the link that
//! token becomes. A secondary's mirror instance has [`MirrorRecord::instance`] (written with
//! the profile by the install of a mirror package, after BeginMirror). The numeric code is kept to compare against (the
//! record is the card's own storage, written `0600` by the state directory).

use super::asn::{Eid, TokenId};
use alloc::string::String;
use alloc::vec::Vec;
use rasn::prelude::*;

/// One token and the link it becomes (primary).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
pub struct MirrorEntry {
    /// The token id.
    pub token_id: TokenId,
    /// `LinkState` (`asn::link_state`).
    pub state: u8,
    /// `MirrorMode`.
    pub mode: u8,
    /// Services (`asn::service` bits).
    pub services: u8,
    /// The token's notBefore.
    pub not_before: u64,
    /// The token's notAfter.
    pub not_after: u64,
    /// The token's target EID.
    pub target_eid: Option<Eid>,
    /// The device class asked for.
    pub device_class: Option<u8>,
    /// The data priority asked for.
    pub priority: Option<u8>,
    /// The eight-digit numeric code (ASCII digits).
    pub code: OctetString,
    /// Wrong numeric codes counted against the token.
    pub wrong_attempts: u8,
    /// The `SignedMirrorToken` DER (RedeemMirrorCode gives it back).
    pub signed_token: OctetString,
    /// The secondary, once exported.
    pub secondary_eid: Option<Eid>,
    /// When the link became active.
    pub linked_at: Option<u64>,
    /// When the secondary must be renewed by.
    pub renew_by: Option<u64>,
    /// The secondary's CERT.EUICC, kept at export: its ProfileInstallationResult must verify
    /// under it (ConfirmMirror). Added after the first mirror slice (absent in its records).
    pub secondary_certificate: Option<OctetString>,
}

/// A mirror instance (secondary): written with the profile when a mirror package installs.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
pub struct InstanceRecord {
    /// The primary card's EID.
    pub source_eid: Eid,
    /// The token it was made from.
    pub token_id: TokenId,
    /// Services it may use (`asn::service` bits).
    pub services: u8,
    /// Renew by (past it: suspended).
    pub renew_by: u64,
    /// `LinkState`: active, suspended.
    pub state: u8,
    /// Device class.
    pub device_class: Option<u8>,
    /// Data priority.
    pub priority: Option<u8>,
    /// The primary's CERT.EUICC, pinned at install: updates must verify under it.
    pub primary_certificate: OctetString,
    /// The lowest `sequenceNumber` still accepted: one past the highest applied (0: none yet).
    /// A link update below it is a replay (`replayedMessage`).
    pub next_sequence: u32,
}

/// `mirror.p<slot>`.
#[derive(AsnType, Encode, Decode, Debug, Clone, Default, PartialEq, Eq)]
#[rasn(automatic_tags)]
pub struct MirrorRecord {
    /// The next `sequenceNumber` of a signed link update (primary).
    pub next_sequence: u32,
    /// Tokens and links (primary).
    pub entries: Vec<MirrorEntry>,
    /// The mirror instance (secondary).
    pub instance: Option<InstanceRecord>,
}

/// The record kind `mirror`.
#[derive(Debug, Clone, Copy)]
pub struct MirrorKind;

impl crate::store::RecordKind for MirrorKind {
    const PREFIX: &'static str = "mirror";
    type Value = MirrorRecord;
}

/// The key of profile slot `slot`'s record (`p10` → `mirror.p10`).
pub fn key(slot: u8) -> String {
    crate::store::slot_key(slot)
}

impl InstanceRecord {
    /// Whether the instance may be used at `now` (the card clock): active (not suspended for
    /// roaming) and not past its renew-by. Without a clock it cannot be shown in time, so it
    /// is not usable (fail closed).
    pub fn usable(&self, now: Option<u64>) -> bool {
        self.state == super::asn::link_state::ACTIVE && now.is_some_and(|t| t <= self.renew_by)
    }
}

/// What the card must know of a profile's mirror role to enable it or let its SIM answer
/// AUTHENTICATE: read once from its record (`Gate::of`); the SIM keeps it with its latch and
/// reads it again only when the store changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Not a mirror instance.
    Ordinary,
    /// A mirror instance.
    Instance(InstanceRecord),
    /// The record does not decode: nothing is allowed.
    Unreadable,
}

impl Gate {
    /// The gate of the profile in slot `slot`.
    pub fn of(state: &crate::store::CardState, slot: u8) -> Gate {
        match state.get::<MirrorKind, ()>(&key(slot)) {
            Ok(Some(MirrorRecord { instance: Some(instance), .. })) => Gate::Instance(instance),
            Ok(_) => Gate::Ordinary,
            Err(_) => Gate::Unreadable,
        }
    }

    /// Whether the profile may be enabled and answer AUTHENTICATE at `now`: any profile that
    /// is not a mirror instance, and an instance that is [usable](InstanceRecord::usable).
    pub fn usable(&self, now: Option<u64>) -> bool {
        match self {
            Gate::Ordinary => true,
            Gate::Instance(i) => i.usable(now),
            Gate::Unreadable => false,
        }
    }

    /// The services an instance may use (`asn::service` bits); `None` for an ordinary profile.
    pub fn services(&self) -> Option<u8> {
        match self {
            Gate::Ordinary => None,
            Gate::Instance(i) => Some(i.services),
            Gate::Unreadable => Some(0),
        }
    }
}

impl MirrorEntry {
    /// Whether the entry counts against `maxInstances` at `now`: an unexpired outstanding
    /// token, or a pending, active or suspended link.
    pub fn is_live(&self, now: u64) -> bool {
        use super::asn::link_state::*;
        match self.state {
            ISSUED => now <= self.not_after,
            PENDING | ACTIVE | SUSPENDED => true,
            _ => false,
        }
    }
}
