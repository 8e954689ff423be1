//! The application boundary: what the card selects by AID and hands commands to
//! (in the spirit of apdu-dispatch's `App::{select, call, deselect}`).
//!
//! ```text
//! card/   channels, MANAGE CHANNEL, GET RESPONSE, TERMINAL CAPABILITY, SELECT by AID (P1 04)
//!   │      finds the first registered App that claims the name (App::claims: its AID,
//!   │      exact or prefix); the implicit App (App::implicit, the file system) is selected
//!   │      on the basic channel at reset and on channels opened from it, and alone gets
//!   │      class A0 (GSM) commands
//!   ├─ App::select(selection, command, ctx)  → FCI (or nothing for P2 0C), or a status word
//!   ├─ App::call(selection, command, ctx)    → every other command on that channel, file
//!   │                                          SELECT (P1 00/08/09) included
//!   ├─ App::deselect(selection)              → another SELECT by AID on the channel, or it closes
//!   ├─ App::power(event)                     → power-on, power-off, warm reset
//!   └─ App::interface_reset(port)            → one eSIM port (LSI) of a MEP card reset
//! ```
//!
//! An application never sees a channel number or GET RESPONSE: a [`Command`] has no channel
//! bits, response data longer than Ne is the card's business, and what an application keeps
//! per channel it keys by the [`Selection`] the card hands it — an opaque handle naming one
//! selection on one channel, unique among the live selections (a channel opened from a
//! further channel inherits its application under a new handle that the application first
//! sees in `call`).
//!
//! This module is public so that a test (or an embedder) can register an application of its
//! own with `Card::register_app`; it is not part of the API boundary and changes with the card.

use crate::apdu::{CommandView, Result};
use crate::config::{Aid, CardConfig};
use crate::platform::Platform;
use crate::store::{CardState, Store};
use alloc::vec::Vec;
use core::fmt;

/// An application the card can select by AID.
///
/// Volatile state belongs to the application; persistent state goes through `ctx.store`.
/// `Send`, so that a card can be served from its own thread.
pub trait App<P: Platform>: Send {
    /// The AID SELECT by DF name finds this application by.
    fn aid(&self) -> Aid;

    /// SELECT by DF name matched this application on a channel, now named `selection`
    /// (P2 is `00` or `04`: the FCI is asked for; `0C`: no data). An error leaves nothing
    /// selected on the channel, so the application keeps nothing for `selection` then.
    fn select(&mut self, selection: Selection, command: &Command<'_>, ctx: &mut Ctx<'_, P>) -> Result<Vec<u8>>;

    /// Whether SELECT by DF name `name` (5–16 bytes) selects this application: by default
    /// its [`App::aid`] matches, exactly or as a prefix. An application with several AIDs
    /// (the file system of the enabled profile: each ADF of its EF.DIR) says so here.
    fn claims(&mut self, name: &[u8], ctx: &mut Ctx<'_, P>) -> bool {
        let _ = ctx;
        self.aid().matches(name)
    }

    /// Whether the card selects this application implicitly — on the basic channel at
    /// power-on and reset, and on a channel opened from the basic channel — as a UICC has
    /// its MF selected there (ETSI TS 102 221 §8.5, §11.1.17). At most one application
    /// is implicit; it first sees such a selection in [`App::call`]. Only the implicit
    /// application receives commands of the GSM class `A0` ([`Command::gsm`]).
    fn implicit(&self) -> bool {
        false
    }

    /// Every command on a channel where this application is selected that the card does not
    /// answer itself — including file SELECT (P1 `00`, `08`, `09`). Returns the response data.
    fn call(&mut self, selection: Selection, command: &Command<'_>, ctx: &mut Ctx<'_, P>) -> Result<Vec<u8>>;

    /// `selection` ended: another application (or this one again) was selected on its
    /// channel, or the channel closed. The application should clear what it kept for it
    /// (apdu-dispatch: "clear any sensitive state and reset security indicators").
    fn deselect(&mut self, selection: Selection);

    /// The card was powered on, powered off or reset: every selection is gone, and so
    /// must be all volatile state.
    fn power(&mut self, event: Power);

    /// One eSIM port (logical SE interface) of a MEP card was reset on its own (MANAGE LSI,
    /// its reader slot, its refresh): its selections were deselected first; what the
    /// application keeps per port starts afresh. The other ports are untouched.
    fn interface_reset(&mut self, port: u8) {
        let _ = port;
    }
}

/// One selection of an application on a channel: an opaque handle the card gives out at
/// SELECT (or when a channel inherits its application), valid until the matching
/// [`App::deselect`] or [`App::power`]. Ordered and hashable, to key per-selection state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Selection(u16);

impl Selection {
    /// A handle with this value (the card keeps the values of live selections distinct).
    pub(crate) fn new(value: u16) -> Selection {
        Selection(value)
    }

    /// The handle as a number (the card keeps live ones distinct).
    pub(crate) fn value(self) -> u16 {
        self.0
    }
}

/// A power event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Power {
    /// Cold start (also a card just made).
    On,
    /// Power removed.
    Off,
    /// Warm reset.
    Reset,
}

/// One command APDU as an application sees it: no channel, no secure messaging, no
/// chaining (the card refuses those before any application).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command<'a> {
    /// The class byte has the proprietary bit (`8x`/`Cx`/`Ex`).
    pub proprietary: bool,
    /// The GSM class `A0` (TS 51.011; never proprietary).
    pub gsm: bool,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data field.
    pub data: &'a [u8],
    /// Ne, the maximum number of response bytes expected; `None` when Le is absent. Longer
    /// response data is fine: the card keeps the rest for GET RESPONSE.
    pub ne: Option<usize>,
}

impl<'a> Command<'a> {
    /// The command without its channel.
    pub(crate) fn from_view(cmd: &CommandView<'a>) -> Command<'a> {
        Command {
            proprietary: cmd.cla.proprietary,
            gsm: cmd.cla.gsm,
            ins: cmd.ins,
            p1: cmd.p1,
            p2: cmd.p2,
            data: cmd.data,
            ne: cmd.ne,
        }
    }

    /// An interindustry SELECT (in [`App::call`]: a file SELECT, P1 `00`/`08`/`09`).
    pub fn is_select(&self) -> bool {
        !self.proprietary && self.ins == 0xA4
    }

    /// In [`App::select`]: the FCI is asked for (P2 `00`/`04`, not `0C`).
    pub fn wants_fci(&self) -> bool {
        self.p2 != 0x0C
    }
}

/// What an application may touch: configuration, identity, the persistent state, the
/// platform, and the card-wide flags.
pub struct Ctx<'a, P: Platform> {
    pub(crate) config: &'a CardConfig,
    /// The card's signing identity; `None` on a card without one (no signing functions).
    pub(crate) signing: Option<Signing<'a>>,
    pub(crate) store: &'a mut Store,
    pub(crate) state: &'a mut CardState,
    pub(crate) platform: &'a mut P,
    /// A proactive (CAT) session is pending (`Card::set_cat_busy`).
    pub(crate) cat_busy: bool,
    /// The eSIM ports (logical SE interfaces, bit n = port n) whose enabled profile changed
    /// in a command with `refreshFlag`: the card queues their REFRESH, or asks the adapter for
    /// a reset once the response is delivered (`Card::take_refresh_request`).
    pub(crate) refresh_requested: &'a mut u32,
    /// The eSIM port (logical SE interface) the command came on: 0 on a single-port card.
    pub(crate) port: u8,
    /// Reads the logical state from storage again (`None`: storage cannot be read).
    pub(crate) reload: fn(&CardConfig, &mut P) -> Option<(Store, CardState)>,
}

impl<P: Platform> Ctx<'_, P> {
    /// The card clock's time, in Unix seconds (`None`: the card has no time).
    pub(crate) fn now(&mut self) -> Option<u64> {
        use crate::platform::Clock;
        let (_, _, clock) = self.platform.split();
        clock.now().map(|t| t.0)
    }

    /// The card's configuration.
    pub fn config(&self) -> &CardConfig {
        self.config
    }

    /// Makes sure the logical state is what storage holds: after a commit with an unknown
    /// outcome it is reloaded; while storage cannot be read, `6581`. An application that
    /// reads or writes the persistent state calls this before it does.
    pub(crate) fn settle(&mut self) -> Result<()> {
        if self.store.needs_reload() {
            let (store, state) = (self.reload)(self.config, self.platform).ok_or(crate::apdu::Status::MemoryFailure)?;
            *self.store = store;
            *self.state = state;
        }
        Ok(())
    }
}

/// The card's signing identity: CERT.EUICC, CERT.EUM, the trusted CIs and SK.EUICC as
/// prepared by the platform's crypto provider — one value, so a card has both or neither.
/// The download steps that sign take one, so a card without an identity is a state the
/// type names ([`Ctx::signing`] is `None`), not a check each step repeats.
#[derive(Clone, Copy)]
pub(crate) struct Signing<'a> {
    pub(crate) identity: &'a crate::identity::Identity,
    pub(crate) signer: &'a dyn crate::crypto::EcdsaSigner,
}

impl<'a, P: Platform> Ctx<'a, P> {
    /// The card's signing identity, if it has one.
    pub(crate) fn signing(&self) -> Option<Signing<'a>> {
        self.signing
    }
}

impl<P: Platform> fmt::Debug for Ctx<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx").field("eid", &self.config.eid).field("cat_busy", &self.cat_busy).finish_non_exhaustive()
    }
}
