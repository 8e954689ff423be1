//! PINs and PUKs of the enabled profile (ETSI TS 102 221 §9.5, §11.1.9–§11.1.13) built from
//! the package's `pinCodes` and `pukCodes` (TCA SAIP §8.x, `PINConfiguration`).
//!
//! ```text
//! key reference  01–08 global PIN (PIN1 = 01)   11 universal PIN
//!                0A–0E, 8A–8E ADM               81–88 local PIN of the current ADF
//! ```
//!
//! A local reference resolves in the current application: the PINs the ADF's own `pinCodes`
//! defined, or those of the directory it shares (`pinCodes.filePath`). A global one resolves
//! card-wide. `pinAttributes` b1 is the enabled state (the TS.48 packages: PIN1 `06`
//! disabled, ADMs and PIN2 `03`/`07` enabled) and b3 allows DISABLE (an ADM, `03`, cannot be
//! disabled; a disable of it answers `6A81`). Values compare in constant time; the counter is
//! part of the same commit as the answer.
//!
//! Verification lasts until the next reset (the card keeps one security status; TS 102 221
//! §9.5.1's per-application status of local PINs is approximated by the key reference's own
//! binding to its ADF).

use alloc::vec::Vec;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::apdu::Status;
use crate::asn1::tlv::first_tlv;
use crate::saip::profile::Profile;

/// One PIN's live state.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
struct Pin {
    #[zeroize(skip)]
    dir: usize,
    key_ref: u8,
    value: [u8; 8],
    puk_ref: Option<u8>,
    enabled: bool,
    disable_allowed: bool,
    max: u8,
    left: u8,
    verified: bool,
}

/// One PUK's live state.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
struct Puk {
    key_ref: u8,
    value: [u8; 8],
    max: u8,
    left: u8,
}

/// The PINs and PUKs of a profile.
#[derive(Clone, Default)]
pub struct PinSet {
    pins: Vec<Pin>,
    puks: Vec<Puk>,
    /// `(directory, directory whose PINs it uses)`.
    shares: Vec<(usize, usize)>,
}

impl core::fmt::Debug for PinSet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PinSet").field("pins", &self.pins.len()).field("puks", &self.puks.len()).finish()
    }
}

/// What a PIN command asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinOp {
    /// VERIFY (`20`).
    Verify,
    /// CHANGE (`24`).
    Change,
    /// DISABLE (`26`).
    Disable,
    /// ENABLE (`28`).
    Enable,
    /// UNBLOCK (`2C`).
    Unblock,
}

/// The outcome of a PIN command that reached the PIN: whether the set changed (and must be
/// committed before the answer) and the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinOutcome {
    /// The persistent state changed.
    pub changed: bool,
    /// The status word: `Success`, `RemainingRetries`, `MethodBlocked`, ….
    pub status: Status,
}

/// A local key reference (`81`–`88`, `8A`–`8E`) resolves in the current application.
fn is_local(key_ref: u8) -> bool {
    key_ref & 0x80 != 0
}

/// The key references TS 102 221 §9.5.1 defines.
fn is_valid_ref(key_ref: u8) -> bool {
    matches!(key_ref, 0x01..=0x08 | 0x0A..=0x0E | 0x11 | 0x81..=0x88 | 0x8A..=0x8E)
}

impl PinSet {
    /// The PINs and PUKs `profile` defines, in their initial state.
    pub fn new(profile: &Profile) -> PinSet {
        let pins = profile
            .pins
            .iter()
            .map(|p| Pin {
                dir: p.dir,
                key_ref: p.key_ref,
                value: p.value,
                puk_ref: p.puk_ref,
                enabled: p.attributes & 0x01 != 0,
                disable_allowed: p.attributes & 0x04 != 0,
                max: p.max_attempts,
                left: p.retries_left.min(p.max_attempts),
                verified: false,
            })
            .collect();
        let puks = profile
            .puks
            .iter()
            .map(|p| Puk {
                key_ref: p.key_ref,
                value: p.value,
                max: p.max_attempts,
                left: p.retries_left.min(p.max_attempts),
            })
            .collect();
        PinSet { pins, puks, shares: profile.pin_shares.clone() }
    }

    /// Forgets every verification (reset, power).
    pub fn reset(&mut self) {
        for p in &mut self.pins {
            p.verified = false;
        }
    }

    /// The PIN `key_ref` names when `adf` is the current application.
    fn find(&self, key_ref: u8, adf: Option<usize>) -> Option<usize> {
        if !is_local(key_ref) {
            return self.pins.iter().position(|p| p.key_ref == key_ref);
        }
        let adf = adf?;
        let home = self.shares.iter().find(|(d, _)| *d == adf).map_or(adf, |(_, s)| *s);
        self.pins.iter().position(|p| p.key_ref == key_ref && p.dir == home)
    }

    /// Whether the PIN `key_ref` satisfies an access condition: verified, or disabled
    /// (TS 102 221 §9.5.1: a disabled PIN's condition is fulfilled). Unknown → `false`.
    pub fn satisfied(&self, key_ref: u8, adf: Option<usize>) -> bool {
        self.find(key_ref, adf).and_then(|i| self.pins.get(i)).is_some_and(|p| p.verified || !p.enabled)
    }

    /// Whether the PIN `key_ref` is enabled (for the `C6` PS_DO); `None` when unknown.
    pub fn enabled(&self, key_ref: u8, adf: Option<usize>) -> Option<bool> {
        self.find(key_ref, adf).and_then(|i| self.pins.get(i)).map(|p| p.enabled)
    }

    /// Runs a PIN command (P1 and the data already checked for shape by [`PinSet::run`]'s
    /// caller through [`check_shape`]).
    pub fn run(&mut self, op: PinOp, key_ref: u8, adf: Option<usize>, data: &[u8]) -> Result<PinOutcome, Status> {
        if !is_valid_ref(key_ref) {
            return Err(Status::IncorrectP1P2);
        }
        let i = self.find(key_ref, adf).ok_or(Status::ReferencedDataNotFound)?;
        if op == PinOp::Unblock {
            return self.unblock(i, data);
        }
        let pin = self.pins.get_mut(i).ok_or(Status::ReferencedDataNotFound)?;
        if data.is_empty() {
            // Only VERIFY may be sent without data: a retry-counter query (§11.1.9).
            return Ok(PinOutcome {
                changed: false,
                status: if pin.left == 0 {
                    Status::MethodBlocked
                } else if pin.verified || !pin.enabled {
                    Status::Success
                } else {
                    Status::RemainingRetries(pin.left)
                },
            });
        }
        if pin.left == 0 {
            return Ok(PinOutcome { changed: false, status: Status::MethodBlocked });
        }
        match op {
            PinOp::Change if !pin.enabled => return Err(Status::ReferenceDataInvalidated),
            PinOp::Disable if !pin.disable_allowed => return Err(Status::FunctionNotSupported),
            PinOp::Disable if !pin.enabled => return Err(Status::ConditionsNotSatisfied),
            PinOp::Enable if pin.enabled => return Err(Status::ConditionsNotSatisfied),
            _ => {}
        }
        let (given, new) = data.split_at(8.min(data.len()));
        if !bool::from(pin.value.as_slice().ct_eq(given)) {
            pin.left = pin.left.saturating_sub(1);
            pin.verified = false;
            return Ok(PinOutcome { changed: true, status: Status::RemainingRetries(pin.left) });
        }
        let mut changed = pin.left != pin.max;
        pin.left = pin.max;
        pin.verified = true;
        match op {
            PinOp::Change => {
                pin.value.copy_from_slice(new.get(..8).ok_or(Status::WrongLength)?);
                changed = true;
            }
            PinOp::Disable => {
                pin.enabled = false;
                changed = true;
            }
            PinOp::Enable => {
                pin.enabled = true;
                changed = true;
            }
            PinOp::Verify | PinOp::Unblock => {}
        }
        Ok(PinOutcome { changed, status: Status::Success })
    }

    /// UNBLOCK PIN (§11.1.13): data empty → the PUK's retries; else PUK ‖ new PIN.
    fn unblock(&mut self, i: usize, data: &[u8]) -> Result<PinOutcome, Status> {
        let puk_ref = self.pins.get(i).and_then(|p| p.puk_ref).ok_or(Status::ReferencedDataNotFound)?;
        let puk = self.puks.iter_mut().find(|p| p.key_ref == puk_ref).ok_or(Status::ReferencedDataNotFound)?;
        if puk.left == 0 {
            return Ok(PinOutcome { changed: false, status: Status::MethodBlocked });
        }
        if data.is_empty() {
            return Ok(PinOutcome { changed: false, status: Status::RemainingRetries(puk.left) });
        }
        let (given, new) = data.split_at(8.min(data.len()));
        if !bool::from(puk.value.as_slice().ct_eq(given)) {
            puk.left = puk.left.saturating_sub(1);
            return Ok(PinOutcome { changed: true, status: Status::RemainingRetries(puk.left) });
        }
        puk.left = puk.max;
        let pin = self.pins.get_mut(i).ok_or(Status::ReferencedDataNotFound)?;
        pin.value.copy_from_slice(new.get(..8).ok_or(Status::WrongLength)?);
        pin.left = pin.max;
        pin.verified = true;
        Ok(PinOutcome { changed: true, status: Status::Success })
    }

    /// The persistent part (values, counters, enabled states) in a fixed layout:
    /// `01 ‖ n_pins ‖ n_puks ‖ (enabled ‖ left ‖ value[8])* ‖ (left ‖ value[8])*`.
    pub fn to_bytes(&self) -> zeroize::Zeroizing<Vec<u8>> {
        let mut out = zeroize::Zeroizing::new(Vec::with_capacity(3 + 10 * self.pins.len() + 9 * self.puks.len()));
        out.push(1);
        out.push(u8::try_from(self.pins.len()).unwrap_or(0));
        out.push(u8::try_from(self.puks.len()).unwrap_or(0));
        for p in &self.pins {
            out.push(u8::from(p.enabled));
            out.push(p.left);
            out.extend_from_slice(&p.value);
        }
        for p in &self.puks {
            out.push(p.left);
            out.extend_from_slice(&p.value);
        }
        out
    }

    /// Applies what [`PinSet::to_bytes`] wrote; `false` (nothing applied) when the bytes do
    /// not fit this profile's PINs.
    pub fn apply(&mut self, bytes: &[u8]) -> bool {
        let [1, n_pins, n_puks, rest @ ..] = bytes else { return false };
        if usize::from(*n_pins) != self.pins.len()
            || usize::from(*n_puks) != self.puks.len()
            || rest.len() != 10 * self.pins.len() + 9 * self.puks.len()
        {
            return false;
        }
        let (pins, puks) = rest.split_at(10 * self.pins.len());
        for (p, b) in self.pins.iter_mut().zip(pins.chunks_exact(10)) {
            if let [enabled, left, value @ ..] = b {
                p.enabled = *enabled != 0;
                p.left = (*left).min(p.max);
                p.value.copy_from_slice(value);
            }
        }
        for (p, b) in self.puks.iter_mut().zip(puks.chunks_exact(9)) {
            if let [left, value @ ..] = b {
                p.left = (*left).min(p.max);
                p.value.copy_from_slice(value);
            }
        }
        true
    }
}

/// The shape checks of TS 102 221 §11.1.9–§11.1.13 before a PIN is touched: P1 `00` (DISABLE
/// also `80`, "replace by the universal PIN", not supported → `6A81`), data 8 bytes (CHANGE
/// and UNBLOCK 16; VERIFY and UNBLOCK also none).
pub(crate) fn check_shape(op: PinOp, p1: u8, data: &[u8]) -> Result<(), Status> {
    match (op, p1) {
        (PinOp::Disable, 0x80) => return Err(Status::FunctionNotSupported),
        (_, 0x00) => {}
        _ => return Err(Status::WrongP1P2),
    }
    let ok = match op {
        PinOp::Verify => matches!(data.len(), 0 | 8),
        PinOp::Disable | PinOp::Enable => data.len() == 8,
        PinOp::Change => data.len() == 16,
        PinOp::Unblock => matches!(data.len(), 0 | 16),
    };
    if ok { Ok(()) } else { Err(Status::WrongLength) }
}

/// The `C6` PIN status template of a DF/ADF with its PS_DO (`90`) bits set from the live
/// enabled states (§9.5.2: b8 of the first byte is the first key reference listed; 1 =
/// enabled). Key references the set does not know keep the package's bit.
///
/// A package may give only the key references (TS.48 does: `01 0A 0B`, `81 01 0A 0B`): then
/// the template is built, `90 PS_DO ‖ (83 01 key-ref)*`.
pub fn pin_status(template: &[u8], pins: &PinSet, adf: Option<usize>) -> Vec<u8> {
    if template.first().is_some_and(|t| *t != 0x90) {
        let mut built = Vec::with_capacity(3 + template.len().div_ceil(8) + 3 * template.len());
        built.push(0x90);
        built.push(u8::try_from(template.len().div_ceil(8)).unwrap_or(1));
        built.resize(2 + template.len().div_ceil(8), 0);
        for r in template {
            built.extend_from_slice(&[0x83, 0x01, *r]);
        }
        return pin_status(&built, pins, adf);
    }
    let mut out = template.to_vec();
    let mut refs = Vec::new();
    let mut ps_do: Option<(usize, usize)> = None;
    let mut at = 0;
    while let Some((tag, value, size)) = template.get(at..).and_then(first_tlv) {
        match tag {
            // The value's offset in the template: the TLV ends at `at + size`.
            0x90 => ps_do = Some((at + size - value.len(), value.len())),
            0x83 => refs.extend(value.first()),
            _ => {}
        }
        at += size;
    }
    let Some((start, len)) = ps_do else { return out };
    for (n, r) in refs.iter().enumerate().take(len.saturating_mul(8)) {
        let Some(enabled) = pins.enabled(*r, adf) else { continue };
        let bit = 0x80u8 >> (n % 8);
        if let Some(byte) = out.get_mut(start + n / 8) {
            if enabled {
                *byte |= bit;
            } else {
                *byte &= !bit;
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn pad(s: &str) -> [u8; 8] {
        let mut v = [0xFF; 8];
        v[..s.len()].copy_from_slice(s.as_bytes());
        v
    }

    /// PIN1 `1234` enabled (3 tries, PUK 01 `12345678`, 10 tries); ADM `0A` not disablable;
    /// local PIN `81` of directory 5.
    fn set() -> PinSet {
        let pin = |dir, key_ref, value, puk_ref, enabled: bool, disable_allowed: bool| Pin {
            dir,
            key_ref,
            value: pad(value),
            puk_ref,
            enabled,
            disable_allowed,
            max: 3,
            left: 3,
            verified: false,
        };
        PinSet {
            pins: alloc::vec![
                pin(0, 0x01, "1234", Some(0x01), true, true),
                pin(0, 0x0A, "55555555", None, true, false),
                pin(5, 0x81, "9999", Some(0x01), true, true),
            ],
            puks: alloc::vec![Puk { key_ref: 0x01, value: pad("12345678"), max: 10, left: 10 }],
            shares: alloc::vec![(7, 5)],
        }
    }

    fn run(s: &mut PinSet, op: PinOp, r: u8, data: &[u8]) -> Result<Status, Status> {
        s.run(op, r, Some(5), data).map(|o| o.status)
    }

    #[test]
    fn verify_counts_down_blocks_and_resets_on_success() {
        let mut s = set();
        assert_eq!(run(&mut s, PinOp::Verify, 1, &[]), Ok(Status::RemainingRetries(3)));
        assert_eq!(run(&mut s, PinOp::Verify, 1, &pad("0000")), Ok(Status::RemainingRetries(2)));
        assert!(!s.satisfied(1, None));
        assert_eq!(run(&mut s, PinOp::Verify, 1, &pad("1234")), Ok(Status::Success));
        assert!(s.satisfied(1, None));
        assert_eq!(run(&mut s, PinOp::Verify, 1, &[]), Ok(Status::Success));
        for left in [2, 1, 0] {
            assert_eq!(run(&mut s, PinOp::Verify, 1, &pad("0000")), Ok(Status::RemainingRetries(left)));
        }
        assert!(!s.satisfied(1, None));
        assert_eq!(run(&mut s, PinOp::Verify, 1, &pad("1234")), Ok(Status::MethodBlocked));
        assert_eq!(run(&mut s, PinOp::Verify, 1, &[]), Ok(Status::MethodBlocked));
        // Unblock with a wrong PUK, then the right one and a new PIN.
        let mut data = pad("00000000").to_vec();
        data.extend_from_slice(&pad("4321"));
        assert_eq!(run(&mut s, PinOp::Unblock, 1, &data), Ok(Status::RemainingRetries(9)));
        assert_eq!(run(&mut s, PinOp::Unblock, 1, &[]), Ok(Status::RemainingRetries(9)));
        data[..8].copy_from_slice(&pad("12345678"));
        assert_eq!(run(&mut s, PinOp::Unblock, 1, &data), Ok(Status::Success));
        assert!(s.satisfied(1, None));
        s.reset();
        assert!(!s.satisfied(1, None));
        assert_eq!(run(&mut s, PinOp::Verify, 1, &pad("4321")), Ok(Status::Success));
        assert_eq!(run(&mut s, PinOp::Unblock, 1, &[]), Ok(Status::RemainingRetries(10)));
    }

    #[test]
    fn puk_blocks_after_its_tries() {
        let mut s = set();
        let mut data = pad("00000000").to_vec();
        data.extend_from_slice(&pad("4321"));
        for left in (0..10).rev() {
            assert_eq!(run(&mut s, PinOp::Unblock, 1, &data), Ok(Status::RemainingRetries(left)));
        }
        data[..8].copy_from_slice(&pad("12345678"));
        assert_eq!(run(&mut s, PinOp::Unblock, 1, &data), Ok(Status::MethodBlocked));
        // ADM has no PUK.
        assert_eq!(run(&mut s, PinOp::Unblock, 0x0A, &data), Err(Status::ReferencedDataNotFound));
    }

    #[test]
    fn change_disable_enable() {
        let mut s = set();
        let mut data = pad("1234").to_vec();
        data.extend_from_slice(&pad("8888"));
        assert_eq!(run(&mut s, PinOp::Change, 1, &data), Ok(Status::Success));
        assert_eq!(run(&mut s, PinOp::Verify, 1, &pad("1234")), Ok(Status::RemainingRetries(2)));
        assert_eq!(run(&mut s, PinOp::Disable, 1, &pad("8888")), Ok(Status::Success));
        assert_eq!(s.enabled(1, None), Some(false));
        assert!(s.satisfied(1, None), "a disabled PIN fulfils its condition");
        s.reset();
        assert!(s.satisfied(1, None));
        assert_eq!(run(&mut s, PinOp::Verify, 1, &[]), Ok(Status::Success));
        assert_eq!(run(&mut s, PinOp::Disable, 1, &pad("8888")), Err(Status::ConditionsNotSatisfied));
        assert_eq!(run(&mut s, PinOp::Change, 1, &data), Err(Status::ReferenceDataInvalidated));
        assert_eq!(run(&mut s, PinOp::Enable, 1, &pad("8888")), Ok(Status::Success));
        assert_eq!(run(&mut s, PinOp::Enable, 1, &pad("8888")), Err(Status::ConditionsNotSatisfied));
        assert_eq!(run(&mut s, PinOp::Disable, 0x0A, &pad("55555555")), Err(Status::FunctionNotSupported));
    }

    #[test]
    fn local_references_resolve_in_the_current_application() {
        let mut s = set();
        assert_eq!(s.run(PinOp::Verify, 0x81, None, &[]).map(|o| o.status), Err(Status::ReferencedDataNotFound));
        assert_eq!(s.run(PinOp::Verify, 0x81, Some(6), &[]).map(|o| o.status), Err(Status::ReferencedDataNotFound));
        assert_eq!(s.run(PinOp::Verify, 0x81, Some(7), &pad("9999")).map(|o| o.status), Ok(Status::Success));
        assert!(s.satisfied(0x81, Some(5)), "directory 7 shares directory 5's PINs");
        assert_eq!(s.run(PinOp::Verify, 0x82, Some(5), &[]).map(|o| o.status), Err(Status::ReferencedDataNotFound));
        assert_eq!(s.run(PinOp::Verify, 0x09, Some(5), &[]).map(|o| o.status), Err(Status::IncorrectP1P2));
    }

    #[test]
    fn shapes() {
        assert_eq!(check_shape(PinOp::Verify, 0, &[0; 8]), Ok(()));
        assert_eq!(check_shape(PinOp::Verify, 0, &[]), Ok(()));
        assert_eq!(check_shape(PinOp::Verify, 0, &[0; 4]), Err(Status::WrongLength));
        assert_eq!(check_shape(PinOp::Verify, 1, &[0; 8]), Err(Status::WrongP1P2));
        assert_eq!(check_shape(PinOp::Change, 0, &[0; 8]), Err(Status::WrongLength));
        assert_eq!(check_shape(PinOp::Disable, 0x80, &[0; 8]), Err(Status::FunctionNotSupported));
        assert_eq!(check_shape(PinOp::Enable, 0, &[]), Err(Status::WrongLength));
        assert_eq!(check_shape(PinOp::Unblock, 0, &[0; 16]), Ok(()));
        assert_eq!(check_shape(PinOp::Unblock, 0, &[0; 8]), Err(Status::WrongLength));
    }

    #[test]
    fn state_round_trips_and_refuses_a_foreign_layout() {
        let mut s = set();
        run(&mut s, PinOp::Verify, 1, &pad("0000")).unwrap();
        run(&mut s, PinOp::Disable, 0x81, &pad("9999")).unwrap();
        let bytes = s.to_bytes();
        let mut t = set();
        assert!(t.apply(&bytes));
        assert_eq!(t.to_bytes().as_slice(), bytes.as_slice());
        assert_eq!(t.run(PinOp::Verify, 1, None, &[]).unwrap().status, Status::RemainingRetries(2));
        assert_eq!(t.enabled(0x81, Some(5)), Some(false));
        let mut u = set();
        assert!(!u.apply(&bytes[..bytes.len() - 1]));
        assert!(!u.apply(&[]));
        assert!(!u.apply(&[2, 3, 1]));
        assert_eq!(u.to_bytes().as_slice(), set().to_bytes().as_slice());
    }

    #[test]
    fn ps_do_follows_the_enabled_states() {
        let mut s = set();
        // PS_DO 90 01 C0 (both enabled) · 83 01 01 · 83 01 81 · 95 01 08 · 83 01 0A
        let template = [0x90, 0x01, 0x00, 0x83, 0x01, 0x01, 0x83, 0x01, 0x81, 0x95, 0x01, 0x08, 0x83, 0x01, 0x0A];
        assert_eq!(pin_status(&template, &s, Some(5))[2], 0xE0);
        run(&mut s, PinOp::Disable, 1, &pad("1234")).unwrap();
        assert_eq!(pin_status(&template, &s, Some(5))[2], 0x60);
        assert_eq!(pin_status(&template, &s, None)[2], 0x20, "81 unknown without an ADF: the package's bit");
        assert_eq!(pin_status(&[0x90], &s, None), [0x90]);
        // Key references only (the TS.48 packages' form): the template is built.
        assert_eq!(
            pin_status(&[0x01, 0x0A, 0x0B], &s, None),
            [0x90, 0x01, 0x40, 0x83, 0x01, 0x01, 0x83, 0x01, 0x0A, 0x83, 0x01, 0x0B]
        );
    }
}
