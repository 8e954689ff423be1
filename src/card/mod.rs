//! The card: ATR, power, logical channels, SELECT, MANAGE CHANNEL, GET RESPONSE.
//!
//! Spec: ISO/IEC 7816-4 §5.1 (APDUs), §11.1.1 (SELECT), §11.1.2 (MANAGE CHANNEL),
//! §11.2.? GET RESPONSE / `61xx`; ETSI TS 102 221 §8.4 (logical channels 0–19),
//! §11.1.19 (TERMINAL CAPABILITY); GlobalPlatform CS §11.9 (SELECT of a security domain).
//!
//! ```text
//! transmit(bytes) → CommandView::parse ─ Err → SW
//!   SM bits → 6882 · chaining bit → 6884 · channel not open → 6881
//!   C0 GET RESPONSE | 70 MANAGE CHANNEL | AA TERMINAL CAPABILITY      answered here
//!   A4 SELECT by DF name (P1 04) → the first registered App whose AID matches → App::select
//!   anything else, file SELECT (P1 00/08/09) included → App::call of the application selected
//!     on that channel (nothing selected: 6D00, file SELECT 6A82)
//!   → response data longer than Ne (or Le absent) → first part + 61xx, rest kept for GET RESPONSE
//! ```
//!
//! **Architecture Invariant:** `card` owns channels, MANAGE CHANNEL, GET RESPONSE and SELECT
//! by AID; an application owns everything after it, and never sees a channel number or GET
//! RESPONSE (see [`crate::app`]). `card` never parses ES10 or file-system data. Each channel
//! keeps its own selected application (under its own [`Selection`]) and its own pending
//! response, so the basic channel can hold one application and channel 1 another.

mod atr;
mod lsi;
mod toolkit;

pub use atr::{ATR, MEP_ATR};

use crate::apdu::{CommandView, Result, SHORT_NE_MAX, Status};
use crate::app::{App, Command, Ctx, Power, Selection};
use crate::config::CardConfig;
use crate::identity::Identity;
use crate::platform::Platform;
use crate::sd::ecasd::Ecasd;
use crate::sd::isdr::Isdr;
use crate::sim::app::Sim;
use crate::store::{self, CardState, Store};
use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

/// The standard ISD-R AID (SGP.22 v2.5 §2.2.3; SGP.02 Annex H); a card may be configured
/// with another ([`CardConfig::isd_r_aid`]).
pub const ISD_R_AID: [u8; 16] =
    [0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00];
/// ECASD AID.
pub use crate::sd::ecasd::ECASD_AID;
/// Logical channels: the basic channel 0 and further channels 1–19 (TS 102 221 §8.4).
pub const CHANNELS: usize = 20;

/// What a channel has selected: an application of the registry, under a selection handle.
#[derive(Clone, Copy, Debug)]
struct Selected {
    /// Index into `Card::apps`.
    app: usize,
    selection: Selection,
}

#[derive(Debug, Default)]
struct Channel {
    selected: Option<Selected>,
    /// Response bytes not yet fetched with GET RESPONSE.
    pending: Vec<u8>,
}

/// One logical SE interface (an eSIM port, ETSI TS 102 221 LSI): its logical channels and
/// its toolkit session. A single-port card has one; a MEP card one per port.
#[derive(Debug, Default)]
struct Interface {
    channels: [Option<Channel>; CHANNELS],
    /// TERMINAL PROFILE and the pending proactive command of this port's terminal.
    toolkit: toolkit::Toolkit,
}

/// Why a card could not start.
#[derive(Debug)]
pub enum Error<E> {
    /// The persistent state could not be loaded; the card refuses to start
    /// rather than drop what it cannot read.
    Store(store::Error<E>),
    /// The persistent state belongs to another card (another EID).
    WrongCard {
        /// The EID recorded in the state.
        state: crate::config::Eid,
        /// The EID of the card being started.
        card: crate::config::Eid,
    },
    /// The platform's crypto provider cannot prepare the identity's private key.
    Key,
}

impl<E: fmt::Display> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Store(e) => write!(f, "card state: {e}"),
            Error::WrongCard { state, card } => {
                write!(f, "card state belongs to the card with EID {state}, not to this one ({card})")
            }
            Error::Key => f.write_str("the platform's crypto provider refuses SK.EUICC"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> core::error::Error for Error<E> {}

/// A virtual eUICC. A plain value: no globals, so one process can run many.
pub struct Card<P: Platform> {
    config: CardConfig,
    /// The card's identity and SK.EUICC as prepared by the platform's crypto provider: both or
    /// neither (a card without an identity cannot sign).
    signing: Option<(Arc<Identity>, Box<dyn crate::crypto::EcdsaSigner>)>,
    platform: P,
    store: Store,
    state: CardState,
    powered: bool,
    /// The logical SE interfaces, by port number ([`CardConfig::lsis`]).
    lsis: Vec<Interface>,
    /// The interface [`Card::transmit`] addresses: port 0 after a reset, another after
    /// MANAGE LSI selects it.
    current: u8,
    /// The registry, in the order SELECT by AID tries them: the ISD-R, the ECASD, then
    /// what [`Card::register_app`] added.
    apps: Vec<Box<dyn App<P>>>,
    /// The value the next selection handle is tried with.
    next_selection: u16,
    /// A proactive session is pending (test hook, see [`Card::set_cat_busy`]).
    cat_busy: bool,
    /// The eSIM ports an application asked a refresh for, bit n = port n (see
    /// [`Card::take_refresh_request`]).
    refresh_requested: u32,
}

impl<P: Platform> fmt::Debug for Card<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Card").field("eid", &self.config.eid).field("powered", &self.powered).finish_non_exhaustive()
    }
}

type StorageError<P> = <<P as Platform>::Storage as crate::platform::Storage>::Error;

impl<P: Platform> Card<P> {
    /// Makes a card from its configuration and platform, loads its persistent
    /// state, and powers it on.
    pub fn new(config: CardConfig, mut platform: P) -> core::result::Result<Card<P>, Error<StorageError<P>>> {
        let (store, state) = Self::load(&config, &mut platform)?;
        let apps: Vec<Box<dyn App<P>>> =
            alloc::vec![Box::new(Isdr::new(config.isd_r_aid)), Box::new(Ecasd), Box::new(Sim::new())];
        let mut card = Card {
            config,
            signing: None,
            platform,
            store,
            state,
            powered: true,
            lsis: Vec::new(),
            current: 0,
            apps,
            next_selection: 0,
            cat_busy: false,
            refresh_requested: 0,
        };
        card.reset_volatile(Power::On);
        Ok(card)
    }

    /// Adds an application to the card, after the ISD-R and the ECASD (so SELECT by AID
    /// tries it last; a partial AID that matches an earlier one selects that one). It gets
    /// every power event from now on. See [`crate::app`]: the boundary is not API.
    pub fn register_app(&mut self, app: Box<dyn App<P>>) {
        self.apps.push(app);
    }

    /// A card that holds `identity` (SK.EUICC, CERT.EUICC, CERT.EUM, trusted CIs) and can
    /// therefore authenticate itself and sign: the download needs it. `config` normally
    /// comes from [`Identity::card_config`].
    pub fn with_identity(
        config: CardConfig,
        identity: Arc<Identity>,
        platform: P,
    ) -> core::result::Result<Card<P>, Error<StorageError<P>>> {
        let mut card = Card::new(config, platform)?;
        // Signing goes through the platform's provider, like every other primitive.
        let signer = identity.signer_for(card.platform.crypto()).map_err(|_| Error::Key)?;
        card.signing = Some((identity, signer));
        Ok(card)
    }

    /// The card's PKI identity, if it has one.
    pub fn identity(&self) -> Option<&Identity> {
        self.signing.as_ref().map(|(identity, _)| &**identity)
    }

    /// [`Card::load`] for the applications' `Ctx::settle` (reloading after a commit with an
    /// unknown outcome): `None` when storage cannot be read, and the store stays in doubt.
    fn reload_state(config: &CardConfig, platform: &mut P) -> Option<(Store, CardState)> {
        Self::load(config, platform).ok()
    }

    fn load(config: &CardConfig, platform: &mut P) -> core::result::Result<(Store, CardState), Error<StorageError<P>>> {
        let (storage, _, _) = platform.split();
        let store = Store::open(storage).map_err(Error::Store)?;
        let mut state = CardState::load(&store).map_err(Error::Store)?;
        if store.get("config").is_none() {
            // Factory state: what the card was configured with, until an ES10 command changes it.
            state.config.default_dp_address = config.default_dp_address.as_deref().map(Into::into);
        }
        match state.config.eid.as_deref().map(<[u8; 16]>::try_from) {
            None => state.config.eid = Some(config.eid.as_bytes().to_vec().into()),
            Some(Ok(eid)) if eid == *config.eid.as_bytes() => {}
            Some(Ok(eid)) => {
                let state = crate::config::Eid::from_bytes(eid)
                    .map_err(|_| Error::Store(store::Error::BadRecord { name: "config".into() }))?;
                return Err(Error::WrongCard { state, card: config.eid });
            }
            Some(Err(_)) => return Err(Error::Store(store::Error::BadRecord { name: "config".into() })),
        }
        Ok((store, state))
    }

    fn reset_volatile(&mut self, event: Power) {
        self.lsis.clear();
        self.current = 0;
        self.cat_busy = false;
        self.refresh_requested = 0;
        for app in &mut self.apps {
            app.power(event);
        }
        for _ in 0..self.config.lsis() {
            let interface = self.fresh_interface();
            self.lsis.push(interface);
        }
    }

    /// An interface just reset: the basic channel open, with the implicit application.
    fn fresh_interface(&mut self) -> Interface {
        let selected = self.implicit_selection();
        let mut interface = Interface::default();
        if let Some(basic) = interface.channels.first_mut() {
            *basic = Some(Channel { selected, pending: Vec::new() });
        }
        interface
    }

    /// Resets one eSIM port (logical SE interface) of a MEP card on its own, as its terminal
    /// sees a reset: its channels close (their applications are deselected), its toolkit
    /// session and refresh end, its SIM latches again at its next command; the other ports
    /// and the card's persistent state are untouched. Returns the ATR. A port the card does
    /// not have changes nothing. (On a single-port card this is [`Card::reset`] without the
    /// power event: the ISD-R's session ends as its channels close.)
    pub fn reset_port(&mut self, port: u8) -> Vec<u8> {
        let i = usize::from(port);
        if let Some(old) = self.lsis.get_mut(i).map(core::mem::take) {
            for channel in old.channels.into_iter().flatten() {
                self.deselect(channel.selected);
            }
            for app in &mut self.apps {
                app.interface_reset(port);
            }
            let fresh = self.fresh_interface();
            if let Some(slot) = self.lsis.get_mut(i) {
                *slot = fresh;
            }
            self.refresh_requested &= !(1u32.checked_shl(u32::from(port)).unwrap_or(0));
            self.powered = true;
        }
        self.atr()
    }

    /// The card's ATR: a MEP card's announces eUICC and MEP support in the global interface
    /// byte after T=15 ([`atr::MEP_ATR`]); every other card's is [`ATR`].
    pub fn atr(&self) -> Vec<u8> {
        if self.config.mep().is_some() { MEP_ATR.to_vec() } else { ATR.to_vec() }
    }

    /// Cold start: reloads the persistent state from storage (RAM is gone) and
    /// returns the ATR. On error the card stays off.
    pub fn power_on(&mut self) -> core::result::Result<Vec<u8>, Error<StorageError<P>>> {
        self.powered = false;
        let (store, state) = Self::load(&self.config, &mut self.platform)?;
        self.store = store;
        self.state = state;
        self.reset_volatile(Power::On);
        self.powered = true;
        Ok(self.atr())
    }

    /// True while the card does not know what its storage holds: a commit's outcome was
    /// unknown and storage could not be read since. ES10 commands answer `6581` until a
    /// reload succeeds (tried before each one).
    pub fn in_doubt(&self) -> bool {
        self.store.needs_reload()
    }

    /// Removes power: all volatile state (channels, selections, sessions) is lost.
    pub fn power_off(&mut self) {
        self.powered = false;
        self.reset_volatile(Power::Off);
    }

    /// Warm reset: closes every logical channel and clears volatile state;
    /// persistent state stays. Returns the ATR (a reset also powers an unpowered card on).
    pub fn reset(&mut self) -> Vec<u8> {
        self.reset_volatile(Power::Reset);
        self.powered = true;
        self.atr()
    }

    /// True once after an Enable/DisableProfile with `refreshFlag` succeeded and the
    /// terminal runs no toolkit with REFRESH.
    ///
    /// What "refresh" means: a real eUICC sends the REFRESH proactive command ("eUICC
    /// Profile State Change") so the modem re-reads the newly enabled profile; veuicc does
    /// too when the terminal's TERMINAL PROFILE announced REFRESH (`toolkit`: `91xx`, FETCH,
    /// TERMINAL RESPONSE). For a host without a toolkit (an LPA alone on PC/SC) the adapter
    /// that delivered the response resets the card once the LPA has it all (vpcd: after the
    /// GET RESPONSE that drains the `61xx` chain, as a card-initiated reset; in-process
    /// callers decide). Volatile: a reset or power cycle clears it.
    ///
    /// On a MEP card this is true when any port's profile changed; an adapter that serves
    /// each port on its own ([`Card::transmit_on`]) asks [`Card::take_refresh_ports`] instead
    /// and resets just those ([`Card::reset_port`]).
    pub fn take_refresh_request(&mut self) -> bool {
        core::mem::take(&mut self.refresh_requested) != 0
    }

    /// The eSIM ports (bit n = port n) whose refresh is due, as [`Card::take_refresh_request`].
    pub fn take_refresh_ports(&mut self) -> u32 {
        core::mem::take(&mut self.refresh_requested)
    }

    /// The eSIM ports (logical SE interfaces) the card has: 1, or [`CardConfig::lsis`] on a MEP card.
    pub fn ports(&self) -> u8 {
        self.config.lsis()
    }

    /// The port [`Card::transmit`] addresses now (MANAGE LSI selects another; a reset, port 0).
    pub fn current_port(&self) -> u8 {
        self.current
    }

    /// Test hook for LPA developers: while `busy`, the card acts as if a proactive
    /// (CAT) session were pending, and ES10c EnableProfile, DisableProfile and
    /// eUICCMemoryReset answer `catBusy(5)` without changing anything (DeleteProfile
    /// and every other command are unaffected). Volatile, like a real proactive
    /// session: a reset or power cycle ends it.
    ///
    /// The card also answers `catBusy(5)` by itself while a download session is
    /// loading a BPP (DeleteProfile then answers `undefinedError(127)`).
    pub fn set_cat_busy(&mut self, busy: bool) {
        self.cat_busy = busy;
    }

    /// True while powered.
    pub fn is_powered(&self) -> bool {
        self.powered
    }

    /// The card's configuration.
    pub fn config(&self) -> &CardConfig {
        &self.config
    }

    /// The persistent logical state as currently committed (see [`Card::in_doubt`]).
    pub fn state(&self) -> &CardState {
        &self.state
    }

    /// The platform (e.g. to reach the storage in tests).
    pub fn platform_mut(&mut self) -> &mut P {
        &mut self.platform
    }

    /// Consumes the card, giving back its platform.
    pub fn into_platform(self) -> P {
        self.platform
    }

    /// Sends one command APDU and returns the response APDU (data ‖ SW1 SW2).
    /// Total: every input gets a well-formed answer. An unpowered card answers `6F00`.
    pub fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        // Room for the longest short response (256 bytes and SW1 SW2): one allocation.
        let mut out = Vec::with_capacity(SHORT_NE_MAX + 2);
        self.transmit_into(apdu, &mut out);
        out
    }

    /// Like [`Card::transmit`], writing into a caller's buffer (cleared first).
    pub fn transmit_into(&mut self, apdu: &[u8], out: &mut Vec<u8>) {
        self.transmit_on_into(self.current, apdu, out);
    }

    /// Sends one command APDU to eSIM port `port` (logical SE interface) of a MEP card, as a
    /// terminal addressing it directly does (its own reader slot; TS 102 221's NAD addressing)
    /// — MANAGE LSI's selection is not consulted nor changed. A port the card does not have
    /// answers `6F00`. On a single-port card port 0 is [`Card::transmit`].
    pub fn transmit_on(&mut self, port: u8, apdu: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.transmit_on_into(port, apdu, &mut out);
        out
    }

    /// Like [`Card::transmit_on`], writing into a caller's buffer (cleared first).
    pub fn transmit_on_into(&mut self, port: u8, apdu: &[u8], out: &mut Vec<u8>) {
        out.clear();
        let sw =
            if self.powered && port < self.config.lsis() { self.process(port, apdu, out) } else { Status::Unknown };
        out.extend_from_slice(&sw.to_bytes());
    }

    fn process(&mut self, lsi: u8, apdu: &[u8], out: &mut Vec<u8>) -> Status {
        let cmd = match CommandView::parse(apdu) {
            Ok(cmd) => cmd,
            Err(sw) => return sw,
        };
        let sw = self.answer(lsi, &cmd, out);
        // A port whose terminal runs a toolkit with REFRESH is told, instead of the adapter reset.
        for (port, interface) in self.lsis.iter_mut().enumerate() {
            let bit = 1u32.checked_shl(u32::try_from(port).unwrap_or(u32::MAX)).unwrap_or(0);
            if self.refresh_requested & bit != 0 && interface.toolkit.supports_refresh() {
                self.refresh_requested &= !bit;
                interface.toolkit.queue_refresh();
            }
        }
        // 91xx goes to the terminal's own commands: the basic channel with the UICC file
        // system selected (STATUS polling, file access), not MANAGE CHANNEL or an LPA's ISD-R.
        let announce = self.lsis.get(usize::from(lsi)).and_then(|i| i.toolkit.announce());
        match announce {
            Some(n)
                if sw == Status::Success && cmd.channel() == 0 && cmd.ins != 0x70 && self.implicit_selected(lsi, 0) =>
            {
                Status::ProactivePending(n)
            }
            _ => sw,
        }
    }

    /// The status word of one parsed command on interface `lsi` (its data into `out`).
    fn answer(&mut self, lsi: u8, cmd: &CommandView<'_>, out: &mut Vec<u8>) -> Status {
        if cmd.cla.secure_messaging {
            return Status::SecureMessagingNotSupported;
        }
        if cmd.cla.chaining {
            return Status::CommandChainingNotSupported;
        }
        let ch = cmd.channel();
        let Some(Some(channel)) = self.channel_mut(lsi, ch) else {
            return Status::LogicalChannelNotSupported;
        };
        if cmd.ins == 0xC0 {
            return get_response(channel, cmd, out);
        }
        channel.pending.clear();
        if cmd.cla.gsm && !self.implicit_selected(lsi, ch) {
            // Class `A0` is the UICC file system's alone (its GSM application).
            return Status::ClaNotSupported;
        }
        let mep = self.config.mep().is_some();
        let result = match (cmd.ins, cmd.cla.proprietary) {
            (0x70 | 0xAA, _) if cmd.cla.gsm => Err(Status::ClaNotSupported),
            (0x70, false) => self.manage_channel(lsi, cmd),
            (0xA4, false) => self.select(lsi, cmd),
            (0xAA, true) => terminal_capability(cmd),
            (0x7C, true) if mep => self.manage_lsi(cmd),
            (0x10, _) if cmd.cla.proprietary || cmd.cla.gsm => {
                self.toolkit_mut(lsi).and_then(|t| t.terminal_profile(cmd.p1, cmd.p2, cmd.data))
            }
            (0x12, _) if cmd.cla.proprietary || cmd.cla.gsm => {
                self.toolkit_mut(lsi).and_then(|t| t.fetch(cmd.p1, cmd.p2, cmd.ne))
            }
            (0x14, _) if cmd.cla.proprietary || cmd.cla.gsm => {
                self.toolkit_mut(lsi).and_then(|t| t.terminal_response(cmd.p1, cmd.p2, cmd.data))
            }
            (0x70 | 0xA4, true) | (0xAA, false) => Err(Status::ClaNotSupported),
            _ => self.call_app(lsi, cmd, Status::InsNotSupported),
        };
        match result {
            Ok(data) => self.respond(lsi, ch, data, cmd, out),
            Err(sw) => sw,
        }
    }

    /// Channel `ch` of interface `lsi`: `None` when either does not exist, `Some(None)` when
    /// the channel is closed.
    fn channel_mut(&mut self, lsi: u8, ch: u8) -> Option<&mut Option<Channel>> {
        self.lsis.get_mut(usize::from(lsi))?.channels.get_mut(usize::from(ch))
    }

    fn toolkit_mut(&mut self, lsi: u8) -> Result<&mut toolkit::Toolkit> {
        self.lsis.get_mut(usize::from(lsi)).map(|i| &mut i.toolkit).ok_or(Status::Unknown)
    }

    fn channel(&self, lsi: u8, ch: u8) -> Option<&Channel> {
        self.lsis.get(usize::from(lsi))?.channels.get(usize::from(ch))?.as_ref()
    }

    /// Shapes response data into ≤ Ne bytes plus `61xx`, keeping the rest.
    fn respond(&mut self, lsi: u8, ch: u8, data: Vec<u8>, cmd: &CommandView<'_>, out: &mut Vec<u8>) -> Status {
        if data.is_empty() {
            return Status::Success;
        }
        if let Some(ne) = cmd.ne
            && data.len() <= ne
        {
            // It all fits: straight out, nothing kept for GET RESPONSE.
            out.extend_from_slice(&data);
            return Status::Success;
        }
        let Some(Some(channel)) = self.channel_mut(lsi, ch) else {
            return Status::Success;
        };
        channel.pending = data;
        if cmd.cla.gsm && cmd.ne.is_none() {
            // TS 51.011 §9.4.1: `9Fxx`, the response is fetched with GET RESPONSE.
            let n = channel.pending.len().min(SHORT_NE_MAX - 1);
            return Status::GsmResponse(u8::try_from(n).unwrap_or(u8::MAX));
        }
        send_pending(channel, cmd.ne.unwrap_or(0), out)
    }

    /// The implicit application (the file system) is the one selected on channel `ch`.
    fn implicit_selected(&self, lsi: u8, ch: u8) -> bool {
        let selected = self.channel(lsi, ch).and_then(|c| c.selected);
        selected.is_some_and(|s| self.apps.get(s.app).is_some_and(|app| app.implicit()))
    }

    /// A fresh selection of the implicit application, if there is one: the last registered
    /// one that is implicit (an embedder's file system takes the place of the built-in SIM).
    fn implicit_selection(&mut self) -> Option<Selected> {
        let app = self.apps.iter().rposition(|app| app.implicit())?;
        Some(Selected { app, selection: self.fresh_selection() })
    }

    /// The application selected on the command's channel handles `cmd`; with nothing
    /// selected the card answers `none`.
    fn call_app(&mut self, lsi: u8, cmd: &CommandView<'_>, none: Status) -> Result<Vec<u8>> {
        let selected = self.channel(lsi, cmd.channel()).and_then(|c| c.selected);
        let Some(Selected { app, selection }) = selected else {
            return Err(none);
        };
        self.run_app(lsi, app, |app, ctx| app.call(selection, &Command::from_view(cmd), ctx))
    }

    /// Runs `f` on application `app` with the application context of interface `lsi`.
    fn run_app(
        &mut self,
        lsi: u8,
        app: usize,
        f: impl FnOnce(&mut dyn App<P>, &mut Ctx<'_, P>) -> Result<Vec<u8>>,
    ) -> Result<Vec<u8>> {
        self.with_app(lsi, app, f).unwrap_or(Err(Status::Unknown))
    }

    /// Runs `f` on application `app` with the application context of interface `lsi`
    /// (`None`: no such app).
    fn with_app<T>(&mut self, lsi: u8, app: usize, f: impl FnOnce(&mut dyn App<P>, &mut Ctx<'_, P>) -> T) -> Option<T> {
        let toolkit_busy = self.lsis.get(usize::from(lsi)).is_some_and(|i| i.toolkit.busy());
        let app = self.apps.get_mut(app)?;
        let mut ctx = Ctx {
            config: &self.config,
            signing: self
                .signing
                .as_ref()
                .map(|(identity, signer)| crate::app::Signing { identity, signer: &**signer }),
            store: &mut self.store,
            state: &mut self.state,
            platform: &mut self.platform,
            cat_busy: self.cat_busy || toolkit_busy,
            refresh_requested: &mut self.refresh_requested,
            port: lsi,
            reload: Self::reload_state,
        };
        Some(f(app.as_mut(), &mut ctx))
    }

    /// A selection handle no open channel uses.
    fn fresh_selection(&mut self) -> Selection {
        for _ in 0..=u16::MAX {
            let value = self.next_selection;
            self.next_selection = value.wrapping_add(1);
            let in_use = self
                .lsis
                .iter()
                .flat_map(|i| i.channels.iter().flatten())
                .any(|c| c.selected.is_some_and(|s| s.selection.value() == value));
            if !in_use {
                return Selection::new(value);
            }
        }
        // Unreachable: at most CHANNELS handles per interface are in use at once.
        Selection::new(self.next_selection)
    }

    /// MANAGE CHANNEL (ISO/IEC 7816-4 §11.1.2).
    ///
    /// * open, P1 `00`: P2 `00` → the card picks the lowest free channel and
    ///   returns its number (one byte); P2 `01`–`13` → opens that channel, no data.
    ///   No free channel → `6A81`; requested channel already open → `6A86`.
    ///   A channel opened from channel 0 has the implicit application (the file system,
    ///   [`App::implicit`]) selected, or nothing; one opened from a further channel
    ///   inherits that channel's selection.
    /// * close, P1 `80`: P2 = channel 1–19, or `00` for the channel the command
    ///   came on. Closing channel 0 or a channel that is not open → `6A86`.
    fn manage_channel(&mut self, lsi: u8, cmd: &CommandView<'_>) -> Result<Vec<u8>> {
        if !cmd.data.is_empty() {
            return Err(Status::WrongLength);
        }
        let origin = cmd.channel();
        match cmd.p1 {
            0x00 => {
                let target = match cmd.p2 {
                    0 => (1..CHANNELS)
                        .find(|&i| {
                            self.lsis.get(usize::from(lsi)).and_then(|l| l.channels.get(i)).is_some_and(Option::is_none)
                        })
                        .ok_or(Status::FunctionNotSupported)?,
                    n if usize::from(n) < CHANNELS => usize::from(n),
                    _ => return Err(Status::IncorrectP1P2),
                };
                let number = u8::try_from(target).map_err(|_| Status::Unknown)?;
                if self.channel_mut(lsi, number).ok_or(Status::IncorrectP1P2)?.is_some() {
                    return Err(Status::IncorrectP1P2);
                }
                // The application, under a selection of its own.
                // From the basic channel: the implicit application (the MF), if any.
                let inherited = if origin == 0 { None } else { self.channel(lsi, origin).and_then(|c| c.selected) };
                let selected = match inherited {
                    Some(s) => Some(Selected { app: s.app, selection: self.fresh_selection() }),
                    None if origin == 0 => self.implicit_selection(),
                    None => None,
                };
                let slot = self.channel_mut(lsi, number).ok_or(Status::IncorrectP1P2)?;
                *slot = Some(Channel { selected, pending: Vec::new() });
                Ok(if cmd.p2 == 0 { alloc::vec![number] } else { Vec::new() })
            }
            0x80 => {
                let target = if cmd.p2 == 0 { origin } else { cmd.p2 };
                if target == 0 || usize::from(target) >= CHANNELS {
                    return Err(Status::IncorrectP1P2);
                }
                let slot = self.channel_mut(lsi, target).ok_or(Status::IncorrectP1P2)?;
                let Some(closed) = slot.take() else {
                    return Err(Status::IncorrectP1P2);
                };
                self.deselect(closed.selected);
                Ok(Vec::new())
            }
            _ => Err(Status::IncorrectP1P2),
        }
    }

    /// Tells an application its selection ended.
    fn deselect(&mut self, selected: Option<Selected>) {
        if let Some(Selected { app, selection }) = selected
            && let Some(app) = self.apps.get_mut(app)
        {
            app.deselect(selection);
        }
    }

    /// SELECT (ISO/IEC 7816-4 §11.1.1, GP CS §11.9).
    ///
    /// P1 `04`, by DF name, with an AID of 5–16 bytes: the first registered application
    /// that claims the name ([`App::claims`]: by default an exact or partial (prefix)
    /// match with its AID) is selected (the ISD-R, the ECASD, then registered ones); none → `6A82` and the selection stays. P2 `00` or `04` asks
    /// for the FCI, `0C` for nothing, others → `6A86`. The application selected before on
    /// the channel is deselected, then the new one answers (an error leaves nothing selected).
    /// P1 `00`/`08`/`09` (file id, path): the selected application's business (nothing
    /// selected → `6A82`).
    fn select(&mut self, lsi: u8, cmd: &CommandView<'_>) -> Result<Vec<u8>> {
        match cmd.p1 {
            0x04 => {}
            0x00 | 0x08 | 0x09 => return self.call_app(lsi, cmd, Status::NotFound),
            _ => return Err(Status::IncorrectP1P2),
        }
        if !matches!(cmd.p2, 0x00 | 0x04 | 0x0C) {
            return Err(Status::IncorrectP1P2);
        }
        let name = cmd.data;
        let app = (0..self.apps.len())
            .find(|&i| self.with_app(lsi, i, |app, ctx| app.claims(name, ctx)).unwrap_or(false))
            .ok_or(Status::NotFound)?;
        let ch = cmd.channel();
        let previous = self.channel_mut(lsi, ch).and_then(Option::as_mut).ok_or(Status::Unknown)?.selected.take();
        self.deselect(previous);
        let selection = self.fresh_selection();
        let fci = self.run_app(lsi, app, |app, ctx| app.select(selection, &Command::from_view(cmd), ctx))?;
        let channel = self.channel_mut(lsi, ch).and_then(Option::as_mut).ok_or(Status::Unknown)?;
        channel.selected = Some(Selected { app, selection });
        Ok(fci)
    }

    /// MANAGE LSI (`8X 7C`, ETSI TS 102 221 Rel-16 §11.1.x), on a MEP card only (a single-port
    /// card leaves `7C` to its applications, as before). The coding follows the TS 102 221
    /// description we could read second-hand (the standard's text was not at hand; see
    /// ARCHITECTURE.md): P2 names the interface.
    ///
    /// * P1 `00` select LSI: later commands of [`Card::transmit`] go to port P2; no data.
    /// * P1 `01` reset LSE: port P2 resets alone ([`Card::reset_port`]); answers `80` ‖ ATR.
    /// * P1 `02`/`03` (SWP assignment): not supported, `6A81`.
    /// * P1 `04` configure LSIs (P2 `00`): the device proposes `80` its highest LSI, `81` LSI
    ///   options, `90` its MEP modes in priority order (`01` A1, `02` A2, `03` B), `91` how
    ///   many ports it can run profiles on; the card answers `80` its highest LSI, `81` `00`
    ///   (no NAD addressing), `90` the mode chosen (`00`: none — the device did not offer the
    ///   card's) then the modes it supports (its configured one), `91` the profile ports both
    ///   support. The answer changes nothing: the card's mode is its configuration.
    ///
    /// A port the card does not have → `6A86`; data where none belongs → `6700`; a malformed
    /// proposal → `6A80`.
    fn manage_lsi(&mut self, cmd: &CommandView<'_>) -> Result<Vec<u8>> {
        let mep = self.config.mep().ok_or(Status::InsNotSupported)?;
        let lsis = self.config.lsis();
        match cmd.p1 {
            0x00 | 0x01 if cmd.p2 >= lsis => Err(Status::IncorrectP1P2),
            0x00 | 0x01 if !cmd.data.is_empty() => Err(Status::WrongLength),
            0x00 => {
                self.current = cmd.p2;
                Ok(Vec::new())
            }
            0x01 => {
                let atr = self.reset_port(cmd.p2);
                Ok(lsi::reset_answer(&atr))
            }
            0x02 | 0x03 => Err(Status::FunctionNotSupported),
            0x04 if cmd.p2 != 0 => Err(Status::IncorrectP1P2),
            0x04 => lsi::configure(mep, lsis, cmd.data).ok_or(Status::IncorrectData),
            _ => Err(Status::IncorrectP1P2),
        }
    }
}

/// TERMINAL CAPABILITY (ETSI TS 102 221 §11.1.19): `80 AA 00 00 Lc A9 …`.
/// The card records nothing; a well-formed `A9` template gets `9000`.
fn terminal_capability(cmd: &CommandView<'_>) -> Result<Vec<u8>> {
    if cmd.p1 != 0 || cmd.p2 != 0 {
        return Err(Status::IncorrectP1P2);
    }
    match cmd.data {
        [0xA9, len, rest @ ..] if usize::from(*len) == rest.len() && *len < 0x80 => Ok(Vec::new()),
        [] => Err(Status::WrongLength),
        _ => Err(Status::IncorrectData),
    }
}

/// GET RESPONSE (ISO/IEC 7816-4 §11.4.2? / T=0 `61xx` procedure): the next ≤ Ne
/// pending bytes. Accepted under both the interindustry and the proprietary
/// class (lpac sends `8N C0`).
fn get_response(channel: &mut Channel, cmd: &CommandView<'_>, out: &mut Vec<u8>) -> Status {
    if cmd.p1 != 0 || cmd.p2 != 0 {
        return Status::IncorrectP1P2;
    }
    let Some(ne) = cmd.ne.filter(|_| cmd.data.is_empty()) else {
        return Status::WrongLength;
    };
    if channel.pending.is_empty() {
        return Status::ConditionsNotSatisfied;
    }
    send_pending(channel, ne, out)
}

/// Moves up to `ne` pending bytes into `out`; `61xx` if more remain.
fn send_pending(channel: &mut Channel, ne: usize, out: &mut Vec<u8>) -> Status {
    let n = ne.min(channel.pending.len());
    out.extend(channel.pending.drain(..n));
    match channel.pending.len() {
        0 => Status::Success,
        rest if rest >= SHORT_NE_MAX => Status::MoreAvailable(0),
        rest => Status::MoreAvailable(u8::try_from(rest).unwrap_or(0)),
    }
}
