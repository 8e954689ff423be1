//! The USIM's check of the sequence number SQN in AUTN, with the parameters of a TCA SAIP
//! `akaParameter` (`sqnOptions`, `sqnDelta`, `sqnAgeLimit`, `sqnInit`).
//!
//! Rules and where they come from (3GPP TS 33.102):
//!
//! * SQN (48 bits) = SEQ ‖ IND, IND being the low 5 bits (Annex C.3.2 with a = 5, matching
//!   SAIP's 32 `sqnInit` entries). SAIP's `sqnInit`, `sqnDelta` and `sqnAgeLimit` are SEQ
//!   values without IND, at most `07FFFFFFFFFF` (the SAIP ASN.1 comments).
//! * Freshness, array scheme (Annex C.3.2): the USIM keeps SEQ_MS(i), the last accepted SEQ
//!   for each IND value i; SQN is fresh only if SEQ > SEQ_MS(IND).
//! * Wrap-around protection (Annex C.2.1): SEQ − SEQ_MS ≤ Δ, SEQ_MS being the highest SEQ
//!   accepted so far (any IND). Only with [`OPT_DELTA_CHECK`].
//! * Age limit (Annex C.2.2): SEQ_MS − SEQ ≤ L. Only with [`OPT_AGE_LIMIT_CHECK`].
//! * Accepting (Annex C.3.2): SEQ_MS(IND) := SEQ.
//! * Resynchronisation (§6.3.3, §6.3.5, Annex C.3.4): AUTS carries SQN_MS, the highest SQN
//!   accepted so far ([`SqnState::highest`]).
//! * Without the IND scheme ([`OPT_NO_IND`], Annex C.1's single counter) the whole 48-bit SQN
//!   is compared with the highest accepted SQN; Δ and L then apply to that difference.
//!
//! The `sqnOptions` bits used here: see [`OPT_DELTA_CHECK`], [`OPT_AGE_LIMIT_CHECK`] and
//! [`OPT_NO_IND`]. Only the first is backed by a public source (see its doc); the other two
//! positions are this crate's reading and are kept in [`SqnOptions::from_saip`] only, so a
//! correction touches one function.

use alloc::vec::Vec;
use core::fmt;

/// The highest SEQ SAIP allows in `sqnInit`, `sqnDelta` and `sqnAgeLimit` (43 bits).
pub(crate) const SEQ_MAX: u64 = 0x07FF_FFFF_FFFF;

/// Bits of IND in SQN (TS 33.102 Annex C.3.2, a = 5).
pub(crate) const IND_BITS: u32 = 5;

/// The 48-bit SQN mask.
const SQN_MASK: u64 = 0xFFFF_FFFF_FFFF;

/// `sqnOptions` bit: the Δ (wrap-around) check of TS 33.102 Annex C.2.1 is on. SAIP's default
/// `sqnOptions` is `02`, which GSMA TS.48's profile description calls "SQN wrap around"; the
/// Δ check is TS 33.102's protection against wrap-around of the USIM counter.
pub(crate) const OPT_DELTA_CHECK: u8 = 0x02;

/// `sqnOptions` bit: the age-limit check of TS 33.102 Annex C.2.2 is on. Bit position not
/// confirmed against the TCA SAIP text (not available here).
pub(crate) const OPT_AGE_LIMIT_CHECK: u8 = 0x04;

/// `sqnOptions` bit: IND is not used; one counter (the whole SQN) instead of the array.
/// Bit position not confirmed against the TCA SAIP text (not available here); clear in
/// SAIP's default `02`, so the default is the array scheme that `sqnInit`'s 32 entries imply.
pub(crate) const OPT_NO_IND: u8 = 0x01;

/// Why an SQN was refused; each one makes AUTHENTICATE answer a synchronisation failure with
/// AUTS (TS 33.102 §6.3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SqnFailure {
    /// SEQ ≤ SEQ_MS(IND) (Annex C.3.2), or SQN ≤ SQN_MS without IND: a replay or an old vector.
    NotFresh,
    /// SEQ − SEQ_MS > Δ (Annex C.2.1).
    DeltaExceeded,
    /// SEQ_MS − SEQ > L (Annex C.2.2).
    AgeLimitExceeded,
}

impl fmt::Display for SqnFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SqnFailure::NotFresh => "SQN not fresh",
            SqnFailure::DeltaExceeded => "SQN beyond delta",
            SqnFailure::AgeLimitExceeded => "SQN older than the age limit",
        })
    }
}

/// The checks `sqnOptions` turns on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SqnOptions {
    /// The Δ check (Annex C.2.1).
    pub delta_check: bool,
    /// The age-limit check (Annex C.2.2).
    pub age_limit_check: bool,
    /// The IND array (Annex C.3.2); off means one counter.
    pub use_ind: bool,
}

impl SqnOptions {
    /// The checks of a SAIP `sqnOptions` byte; unknown bits are ignored.
    pub(crate) fn from_saip(options: u8) -> SqnOptions {
        SqnOptions {
            delta_check: options & OPT_DELTA_CHECK != 0,
            age_limit_check: options & OPT_AGE_LIMIT_CHECK != 0,
            use_ind: options & OPT_NO_IND == 0,
        }
    }
}

/// The USIM's SQN state: SEQ_MS(i) for the 32 IND values, the highest accepted SQN and the
/// `akaParameter` options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SqnState {
    /// SEQ_MS(i) per IND i (43 bits each).
    array: [u64; 32],
    /// SQN_MS: the highest SQN accepted so far (48 bits).
    highest: u64,
    /// The raw `sqnOptions` byte (kept for [`SqnState::to_bytes`]).
    options: u8,
    /// Δ (≤ [`SEQ_MAX`]).
    delta: u64,
    /// L (≤ [`SEQ_MAX`]).
    age_limit: u64,
}

/// Length of [`SqnState::to_bytes`]: version, options, Δ, L, SQN_MS, 32 × SEQ_MS(i).
const STATE_BYTES: usize = 2 + 6 + 6 + 6 + 32 * 6;

/// Version byte of the [`SqnState::to_bytes`] layout.
const STATE_VERSION: u8 = 1;

fn be48(b: &[u8; 6]) -> u64 {
    b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
}

fn be48_slice(b: &[u8]) -> Option<u64> {
    let a: &[u8; 6] = b.try_into().ok()?;
    Some(be48(a))
}

fn to_be48(v: u64) -> [u8; 6] {
    let mut out = [0u8; 6];
    if let Some(src) = v.to_be_bytes().get(2..) {
        out.copy_from_slice(src);
    }
    out
}

impl SqnState {
    /// The state a SAIP `akaParameter` installs: `sqnInit` (SEQ per IND, no IND bits),
    /// `sqnOptions`, `sqnDelta` and `sqnAgeLimit`. `None` when a value exceeds
    /// `07FFFFFFFFFF`. SQN_MS starts as the highest SQN the initial array stands for
    /// (SEQ_MS(i) ‖ i over the entries that are not zero), or 0.
    pub(crate) fn new(
        sqn_init: &[[u8; 6]; 32],
        sqn_options: u8,
        delta: [u8; 6],
        age_limit: [u8; 6],
    ) -> Option<SqnState> {
        let mut array = [0u64; 32];
        for (dst, src) in array.iter_mut().zip(sqn_init.iter()) {
            *dst = be48(src);
        }
        SqnState::from_parts(array, None, sqn_options, be48(&delta), be48(&age_limit))
    }

    /// Checks the ranges and the SQN_MS invariant; `highest: None` derives it from the array.
    fn from_parts(array: [u64; 32], highest: Option<u64>, options: u8, delta: u64, age_limit: u64) -> Option<SqnState> {
        if delta > SEQ_MAX || age_limit > SEQ_MAX || array.iter().any(|&s| s > SEQ_MAX) {
            return None;
        }
        let derived = (0u64..)
            .zip(array.iter())
            .filter(|&(_, &seq)| seq != 0)
            .map(|(ind, &seq)| (seq << IND_BITS) | ind)
            .max()
            .unwrap_or(0);
        let highest = match highest {
            None => derived,
            Some(h) if h <= SQN_MASK && h >= derived => h,
            Some(_) => return None,
        };
        Some(SqnState { array, highest, options, delta, age_limit })
    }

    /// The checks in force.
    pub(crate) fn options(&self) -> SqnOptions {
        SqnOptions::from_saip(self.options)
    }

    /// Whether `sqn` (from AUTN, AK removed) may be accepted (see the module doc for the
    /// rules). Does not change the state; call [`SqnState::accept`] once the MAC matched.
    pub(crate) fn check(&self, sqn: &[u8; 6]) -> Result<(), SqnFailure> {
        let sqn = be48(sqn);
        let opts = self.options();
        let (new, last, highest) = if opts.use_ind {
            let ind = usize::try_from(sqn & 0x1F).unwrap_or(0);
            let last = self.array.get(ind).copied().unwrap_or(u64::MAX);
            (sqn >> IND_BITS, last, self.highest >> IND_BITS)
        } else {
            (sqn, self.highest, self.highest)
        };
        if new <= last {
            return Err(SqnFailure::NotFresh);
        }
        if opts.delta_check && new > highest && new - highest > self.delta {
            return Err(SqnFailure::DeltaExceeded);
        }
        if opts.age_limit_check && highest > new && highest - new > self.age_limit {
            return Err(SqnFailure::AgeLimitExceeded);
        }
        Ok(())
    }

    /// Stores `sqn` as accepted: SEQ_MS(IND) := SEQ, and SQN_MS := SQN when higher. The caller
    /// has checked it with [`SqnState::check`].
    pub(crate) fn accept(&mut self, sqn: &[u8; 6]) {
        let sqn = be48(sqn);
        let ind = usize::try_from(sqn & 0x1F).unwrap_or(0);
        if let Some(slot) = self.array.get_mut(ind) {
            *slot = sqn >> IND_BITS;
        }
        self.highest = self.highest.max(sqn);
    }

    /// SQN_MS, the highest SQN accepted so far, for AUTS (TS 33.102 §6.3.3, Annex C.3.4).
    pub(crate) fn highest(&self) -> [u8; 6] {
        to_be48(self.highest)
    }

    /// The state as 212 bytes: version `01`, `sqnOptions`, Δ (6), L (6), SQN_MS (6), then
    /// SEQ_MS(0)…SEQ_MS(31) (6 each), all big-endian.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(STATE_BYTES);
        out.push(STATE_VERSION);
        out.push(self.options);
        out.extend_from_slice(&to_be48(self.delta));
        out.extend_from_slice(&to_be48(self.age_limit));
        out.extend_from_slice(&to_be48(self.highest));
        for seq in &self.array {
            out.extend_from_slice(&to_be48(*seq));
        }
        out
    }

    /// The state [`SqnState::to_bytes`] wrote. `None` for another length or version, a value
    /// out of range, or an SQN_MS below an SQN the array stands for.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<SqnState> {
        if bytes.len() != STATE_BYTES || bytes.first() != Some(&STATE_VERSION) {
            return None;
        }
        let options = *bytes.get(1)?;
        let delta = be48_slice(bytes.get(2..8)?)?;
        let age_limit = be48_slice(bytes.get(8..14)?)?;
        let highest = be48_slice(bytes.get(14..20)?)?;
        let mut array = [0u64; 32];
        for (dst, chunk) in array.iter_mut().zip(bytes.get(20..)?.chunks_exact(6)) {
            *dst = be48_slice(chunk)?;
        }
        SqnState::from_parts(array, Some(highest), options, delta, age_limit)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    /// SQN = SEQ ‖ IND.
    fn sqn(seq: u64, ind: u64) -> [u8; 6] {
        to_be48((seq << IND_BITS) | ind)
    }

    const DEFAULT_DELTA: [u8; 6] = [0x00, 0x00, 0x10, 0x00, 0x00, 0x00];

    fn state(options: u8, delta: u64, age: u64) -> SqnState {
        SqnState::new(&[[0; 6]; 32], options, to_be48(delta), to_be48(age)).unwrap()
    }

    #[test]
    fn saip_default_options() {
        let o = SqnOptions::from_saip(0x02);
        assert_eq!(o, SqnOptions { delta_check: true, age_limit_check: false, use_ind: true });
        let s = SqnState::new(&[[0; 6]; 32], 0x02, DEFAULT_DELTA, DEFAULT_DELTA).unwrap();
        assert_eq!(s.highest(), [0; 6]);
        assert_eq!(s.check(&sqn(1, 0)), Ok(()));
        assert_eq!(s.check(&sqn(0x1000_0000, 7)), Ok(()));
        assert_eq!(s.check(&sqn(0x1000_0001, 7)), Err(SqnFailure::DeltaExceeded));
    }

    #[test]
    fn fresh_accepted_then_replay_refused() {
        let mut s = state(0x02, 1000, 1000);
        let a = sqn(5, 3);
        assert_eq!(s.check(&a), Ok(()));
        s.accept(&a);
        assert_eq!(s.highest(), a);
        assert_eq!(s.check(&a), Err(SqnFailure::NotFresh));
    }

    #[test]
    fn same_ind_lower_or_equal_seq_refused() {
        let mut s = state(0x02, 1000, 1000);
        s.accept(&sqn(10, 4));
        assert_eq!(s.check(&sqn(9, 4)), Err(SqnFailure::NotFresh));
        assert_eq!(s.check(&sqn(10, 4)), Err(SqnFailure::NotFresh));
        assert_eq!(s.check(&sqn(11, 4)), Ok(()));
    }

    #[test]
    fn other_ind_accepted_even_with_lower_seq() {
        let mut s = state(0x02, 1000, 1000);
        s.accept(&sqn(10, 4));
        assert_eq!(s.check(&sqn(3, 5)), Ok(()));
        s.accept(&sqn(3, 5));
        // SQN_MS stays the highest accepted one.
        assert_eq!(s.highest(), sqn(10, 4));
        assert_eq!(s.check(&sqn(3, 5)), Err(SqnFailure::NotFresh));
    }

    #[test]
    fn delta_exceeded_refused_and_off_without_the_option() {
        let mut s = state(0x02, 100, 1000);
        s.accept(&sqn(50, 0));
        assert_eq!(s.check(&sqn(150, 1)), Ok(()));
        assert_eq!(s.check(&sqn(151, 1)), Err(SqnFailure::DeltaExceeded));
        let mut off = state(0x00, 100, 1000);
        off.accept(&sqn(50, 0));
        assert_eq!(off.check(&sqn(151, 1)), Ok(()));
        assert_eq!(off.check(&sqn(SEQ_MAX, 1)), Ok(()));
    }

    #[test]
    fn age_limit_exceeded_refused_and_off_without_the_option() {
        let mut s = state(OPT_DELTA_CHECK | OPT_AGE_LIMIT_CHECK, 1000, 10);
        s.accept(&sqn(100, 0));
        assert_eq!(s.check(&sqn(90, 1)), Ok(()));
        assert_eq!(s.check(&sqn(89, 1)), Err(SqnFailure::AgeLimitExceeded));
        let mut off = state(OPT_DELTA_CHECK, 1000, 10);
        off.accept(&sqn(100, 0));
        assert_eq!(off.check(&sqn(1, 1)), Ok(()));
    }

    #[test]
    fn without_ind_the_whole_sqn_is_one_counter() {
        let mut s = state(OPT_NO_IND | OPT_DELTA_CHECK, 1000, 1000);
        assert!(!s.options().use_ind);
        let a = to_be48(500);
        s.accept(&a);
        assert_eq!(s.check(&a), Err(SqnFailure::NotFresh));
        // Another IND but a lower SQN: refused, there is no array.
        assert_eq!(s.check(&to_be48(499)), Err(SqnFailure::NotFresh));
        assert_eq!(s.check(&to_be48(1500)), Ok(()));
        assert_eq!(s.check(&to_be48(1501)), Err(SqnFailure::DeltaExceeded));
    }

    #[test]
    fn sqn_init_sets_array_and_highest() {
        let mut init = [[0u8; 6]; 32];
        init[3] = to_be48(40);
        init[9] = to_be48(41);
        let s = SqnState::new(&init, 0x02, DEFAULT_DELTA, DEFAULT_DELTA).unwrap();
        assert_eq!(s.highest(), sqn(41, 9));
        assert_eq!(s.check(&sqn(40, 3)), Err(SqnFailure::NotFresh));
        assert_eq!(s.check(&sqn(41, 3)), Ok(()));
        assert_eq!(s.check(&sqn(1, 4)), Ok(()));
    }

    #[test]
    fn out_of_range_parameters_refused() {
        let big = to_be48(SEQ_MAX + 1);
        assert!(SqnState::new(&[[0; 6]; 32], 2, big, DEFAULT_DELTA).is_none());
        assert!(SqnState::new(&[[0; 6]; 32], 2, DEFAULT_DELTA, big).is_none());
        let mut init = [[0u8; 6]; 32];
        init[31] = big;
        assert!(SqnState::new(&init, 2, DEFAULT_DELTA, DEFAULT_DELTA).is_none());
        assert!(SqnState::new(&[[0; 6]; 32], 2, to_be48(SEQ_MAX), to_be48(SEQ_MAX)).is_some());
    }

    #[test]
    fn bytes_round_trip() {
        let mut s = state(0x06, 12345, 678);
        s.accept(&sqn(77, 1));
        s.accept(&sqn(70, 30));
        let b = s.to_bytes();
        assert_eq!(b.len(), 212);
        assert_eq!(b[0], 1);
        assert_eq!(b[1], 0x06);
        let back = SqnState::from_bytes(&b).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.highest(), sqn(77, 1));
        assert_eq!(back.check(&sqn(70, 30)), Err(SqnFailure::NotFresh));
    }

    #[test]
    fn hostile_bytes_refused() {
        let good = state(0x02, 100, 100).to_bytes();
        assert!(SqnState::from_bytes(&[]).is_none());
        assert!(SqnState::from_bytes(&good[..211]).is_none());
        let mut long = good.clone();
        long.push(0);
        assert!(SqnState::from_bytes(&long).is_none());
        let mut bad = good.clone();
        bad[0] = 2;
        assert!(SqnState::from_bytes(&bad).is_none(), "version");
        let mut bad = good.clone();
        bad[2] = 0x08;
        assert!(SqnState::from_bytes(&bad).is_none(), "delta above 07FFFFFFFFFF");
        let mut bad = good.clone();
        bad[8] = 0xFF;
        assert!(SqnState::from_bytes(&bad).is_none(), "age limit above 07FFFFFFFFFF");
        let mut bad = good.clone();
        bad[20 + 6 * 5] = 0x08;
        assert!(SqnState::from_bytes(&bad).is_none(), "SEQ above 07FFFFFFFFFF");
        let mut bad = good.clone();
        bad[20 + 6 * 5 + 5] = 1;
        assert!(SqnState::from_bytes(&bad).is_none(), "array above SQN_MS");
        assert!(SqnState::from_bytes(&[0xFF; 212]).is_none());
        assert!(SqnState::from_bytes(&good).is_some());
    }
}
