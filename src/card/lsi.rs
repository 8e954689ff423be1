//! MANAGE LSI's data objects (ETSI TS 102 221 Rel-16, logical SE interfaces; SGP.22 v3 adds
//! the MEP-mode objects `90`/`91`): the proposal of "configure LSIs" and the card's answer,
//! and the ATR of "reset LSE". Card-level data like MANAGE CHANNEL's, not ES10 or file data.
//! The coding is our reading of a second-hand description (see `Card::manage_lsi`).

use crate::config::{Mep, MepMode};
use alloc::vec::Vec;

/// "Reset LSE": the reset port's ATR in tag `80`.
pub(super) fn reset_answer(atr: &[u8]) -> Vec<u8> {
    short_tlv(0x80, atr)
}

/// "Configure LSIs": `80` the card's highest LSI, `81` `00` (no NAD addressing), `90` the mode
/// chosen (`00`: the device did not offer the card's) then the card's mode, `91` the profile
/// ports both support. `None`: the proposal is malformed.
pub(super) fn configure(mep: Mep, lsis: u8, data: &[u8]) -> Option<Vec<u8>> {
    let proposal = proposal(data)?;
    let code = match mep.mode {
        MepMode::A1 => 0x01,
        MepMode::A2 => 0x02,
        MepMode::B => 0x03,
    };
    let chosen = if proposal.modes.contains(&code) { code } else { 0x00 };
    let ports = proposal.ports.map_or(mep.ports, |n| n.min(mep.ports));
    let mut out = Vec::new();
    out.extend(short_tlv(0x80, &[lsis.saturating_sub(1)]));
    out.extend(short_tlv(0x81, &[0x00]));
    out.extend(short_tlv(0x90, &[chosen, code]));
    out.extend(short_tlv(0x91, &[ports]));
    Some(out)
}

/// A one-byte tag, a one-byte length (values under 128 bytes: MANAGE LSI's are) and `value`.
fn short_tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let len = u8::try_from(value.len()).unwrap_or(0x7F).min(0x7F);
    let mut out = alloc::vec![tag, len];
    out.extend(value.iter().take(usize::from(len)));
    out
}

/// What a device proposes in MANAGE LSI "configure LSIs".
struct Proposal<'a> {
    /// MEP modes in the device's order of preference (`01` A1, `02` A2, `03` B).
    modes: &'a [u8],
    /// How many ports the device can run enabled profiles on.
    ports: Option<u8>,
}

/// The TLVs of a configure-LSIs command: `80` and `81` one byte each, `90` a list of modes,
/// `91` one byte, each at most once, nothing else (`None`: malformed).
fn proposal(mut data: &[u8]) -> Option<Proposal<'_>> {
    let mut proposal = Proposal { modes: &[], ports: None };
    let mut seen = 0u8;
    while !data.is_empty() {
        let [tag, len, rest @ ..] = data else { return None };
        let len = usize::from(*len);
        if len >= 0x80 || rest.len() < len {
            return None;
        }
        let (value, tail) = rest.split_at(len);
        let bit = match tag {
            0x80 => 1,
            0x81 => 2,
            0x90 => 4,
            0x91 => 8,
            _ => return None,
        };
        if seen & bit != 0 || (*tag != 0x90 && len != 1) {
            return None;
        }
        seen |= bit;
        match tag {
            0x90 => proposal.modes = value,
            0x91 => proposal.ports = value.first().copied(),
            _ => {}
        }
        data = tail;
    }
    Some(proposal)
}
