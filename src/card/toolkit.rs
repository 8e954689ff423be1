//! The card's proactive side (ETSI TS 102 223 §6, TS 102 221 §7.4.2.2), as much as a profile
//! state change needs: TERMINAL PROFILE, the `91xx` indication, FETCH and TERMINAL RESPONSE
//! for one proactive command, REFRESH in mode "eUICC Profile State Change" (SGP.22 v2.5
//! §3.2.1: after an Enable/DisableProfile with `refreshFlag`).
//!
//! ```text
//! terminal: 80 10 TERMINAL PROFILE (byte 3 b8 = REFRESH supported)
//! LPA:      ES10c EnableProfile(refreshFlag) ok  → REFRESH queued (no adapter reset)
//! terminal: a command of its own on the basic channel (file system selected; not MANAGE
//!           CHANNEL, not an LPA's ISD-R) answered 9000 → 91 0B instead
//!           80 12 00 00 0B FETCH → D0 09 81 03 01 01 09 82 02 81 82 · 9000
//!           80 14 TERMINAL RESPONSE (81 03 01 01 09 82 02 82 81 83 01 00) → 9000
//!           then resets the UICC: the newly enabled profile is latched
//! ```
//!
//! Until the TERMINAL RESPONSE the card is in a proactive session: ES10c Enable, Disable and
//! eUICCMemoryReset answer `catBusy`. A terminal that sent no TERMINAL PROFILE, or one
//! without REFRESH, gets today's behaviour: the adapter resets the card
//! ([`super::Card::take_refresh_request`]).

use alloc::vec::Vec;

use crate::apdu::{Result, Status};

/// REFRESH, qualifier `09` (eUICC Profile State Change), UICC → terminal.
const REFRESH: [u8; 11] = [0xD0, 0x09, 0x81, 0x03, 0x01, 0x01, 0x09, 0x82, 0x02, 0x81, 0x82];

/// The toolkit state of one card session (volatile: a reset clears it).
#[derive(Debug, Default)]
pub(crate) struct Toolkit {
    /// The last TERMINAL PROFILE.
    profile: Option<Vec<u8>>,
    /// The proactive command waiting for FETCH / TERMINAL RESPONSE, and whether it was fetched.
    pending: Option<(Vec<u8>, bool)>,
}

impl Toolkit {
    /// The terminal said it supports REFRESH (TERMINAL PROFILE byte 3, b8).
    pub(crate) fn supports_refresh(&self) -> bool {
        self.profile.as_ref().and_then(|p| p.get(2)).is_some_and(|b| b & 0x80 != 0)
    }

    /// Queues the REFRESH of a profile state change.
    pub(crate) fn queue_refresh(&mut self) {
        self.pending = Some((REFRESH.to_vec(), false));
    }

    /// A proactive session is open (queued, fetched or not, until the TERMINAL RESPONSE).
    pub(crate) fn busy(&self) -> bool {
        self.pending.is_some()
    }

    /// The length to announce in `91xx`: a command is waiting that was not fetched.
    pub(crate) fn announce(&self) -> Option<u8> {
        match &self.pending {
            Some((cmd, false)) => u8::try_from(cmd.len()).ok(),
            _ => None,
        }
    }

    /// TERMINAL PROFILE (`80 10 00 00`, TS 102 221 §11.2.1).
    pub(crate) fn terminal_profile(&mut self, p1: u8, p2: u8, data: &[u8]) -> Result<Vec<u8>> {
        if p1 != 0 || p2 != 0 {
            return Err(Status::IncorrectP1P2);
        }
        if data.is_empty() {
            return Err(Status::WrongLength);
        }
        self.profile = Some(data.to_vec());
        Ok(Vec::new())
    }

    /// FETCH (`80 12 00 00 Le`, §11.2.3): the pending command; Le must be its length (or
    /// `00`; else `6Cxx`); nothing pending → `6985`.
    pub(crate) fn fetch(&mut self, p1: u8, p2: u8, ne: Option<usize>) -> Result<Vec<u8>> {
        if p1 != 0 || p2 != 0 {
            return Err(Status::IncorrectP1P2);
        }
        let (cmd, fetched) = self.pending.as_mut().ok_or(Status::ConditionsNotSatisfied)?;
        match ne {
            Some(n) if n == cmd.len() || n == 256 => {}
            _ => return Err(Status::WrongLe(u8::try_from(cmd.len()).unwrap_or(0))),
        }
        *fetched = true;
        Ok(cmd.clone())
    }

    /// TERMINAL RESPONSE (`80 14 00 00`, §11.2.4): ends the proactive session. A response
    /// that names another command (its command details differ) → `6A80`.
    pub(crate) fn terminal_response(&mut self, p1: u8, p2: u8, data: &[u8]) -> Result<Vec<u8>> {
        if p1 != 0 || p2 != 0 {
            return Err(Status::IncorrectP1P2);
        }
        let Some((cmd, true)) = &self.pending else { return Err(Status::ConditionsNotSatisfied) };
        // Command details (tag 01/81, 3 bytes) come first (TS 102 223 §6.8) and must be those
        // of the fetched command (whose value starts after `D0 len`).
        let details = |b: &[u8]| match b {
            [tag, 3, v @ ..] if tag & 0x7F == 0x01 => v.first_chunk::<3>().copied(),
            _ => None,
        };
        if details(data).is_none() || details(data) != details(cmd.get(2..).unwrap_or(&[])) {
            return Err(Status::IncorrectData);
        }
        self.pending = None;
        Ok(Vec::new())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn refresh_session() {
        let mut t = Toolkit::default();
        assert!(!t.supports_refresh());
        assert_eq!(t.terminal_profile(0, 0, &[0xFF, 0xFF, 0x7F]), Ok(Vec::new()));
        assert!(!t.supports_refresh());
        t.terminal_profile(0, 0, &[0xFF, 0xFF, 0xFF]).unwrap();
        assert!(t.supports_refresh());
        assert_eq!(t.fetch(0, 0, Some(11)), Err(Status::ConditionsNotSatisfied));
        t.queue_refresh();
        assert!(t.busy());
        assert_eq!(t.announce(), Some(11));
        assert_eq!(t.terminal_response(0, 0, &[0x81, 0x03, 0x01, 0x01, 0x09]), Err(Status::ConditionsNotSatisfied));
        assert_eq!(t.fetch(0, 0, Some(5)), Err(Status::WrongLe(11)));
        assert_eq!(t.fetch(0, 0, Some(11)).unwrap(), REFRESH);
        assert_eq!(t.announce(), None);
        assert!(t.busy());
        assert_eq!(t.terminal_response(0, 0, &[0x81, 0x03, 0x01, 0x02, 0x00]), Err(Status::IncorrectData));
        assert_eq!(t.terminal_response(0, 0, &[0x83, 0x01, 0x00]), Err(Status::IncorrectData));
        let tr = [0x81, 0x03, 0x01, 0x01, 0x09, 0x82, 0x02, 0x82, 0x81, 0x83, 0x01, 0x00];
        assert_eq!(t.terminal_response(0, 0, &tr), Ok(Vec::new()));
        assert!(!t.busy());
    }
}
