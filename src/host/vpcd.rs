//! A virtual card for vsmartcard's `vpcd` reader driver, so pcscd — and every PC/SC
//! program on top of it — sees veuicc as a card in a real reader.
//!
//! Protocol (vsmartcard `virtualsmartcard/src/vpcd/vpcd.h`): the card connects as a
//! TCP client to vpcd (default port 35963, one port per reader slot). Every message,
//! both ways, is a big-endian `u16` length followed by that many bytes. vpcd sends a
//! one-byte control message — `00` power off, `01` power on, `02` reset, `04` ATR
//! request — or a C-APDU. The card answers an ATR request with its ATR and a C-APDU
//! with the R-APDU; power and reset messages get no answer.
//!
//! Oddities, handled without touching the card: an empty message (vpcd never sends
//! one) is ignored, and logged once per connection (a flood of them is one line); a length is at most 65 535, so every message can be
//! read whole and stays in step (a malformed APDU inside gets its status word from
//! the card); a connection that ends mid-message is dropped. Transient errors never
//! end [`serve`]: it reconnects with backoff.
//!
//! "Refresh" (SGP.22 Enable/DisableProfile with `refreshFlag`): once the whole
//! response has been delivered the card resets itself, as a real eUICC's REFRESH
//! would make the modem do. "Delivered" means the `61xx` chain is drained: the reset
//! comes after the GET RESPONSE that returns the last bytes (`9000`), or just before
//! the next command when that is not a GET RESPONSE on the same channel (the LPA
//! gave up on the rest). An LPA that sends STORE DATA without Le (lpac) gets `61xx`
//! first and fetches the result with GET RESPONSE; resetting at the `61xx` would turn
//! that fetch into `6881` and a done enable into a reported failure.
//!
//! What a slot serves is a [`Slot`]: a whole [`Card`] (every reader slot so far), or one eSIM
//! port of a MEP card shared by several slots ([`PortSlot`]: `veuicc serve --port-slots`), so
//! that each port's terminal — a modem stack, a PC/SC program — has "its" SIM in a reader of
//! its own. A port slot's power and reset messages reset that port alone
//! ([`Card::reset_port`]); a refresh of another port (an LPA on port 0 enabling a profile on
//! port 2) resets that port once its command is answered, and this slot's own port after the
//! response is delivered, as above.

use super::trace::Trace;
use crate::card::Card;
use crate::platform::Platform;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::string::{String, ToString};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use std::vec::Vec;
use std::{format, thread};

/// vpcd's default port (reader slot 0).
pub const DEFAULT_PORT: u16 = 35963;

/// What one vpcd reader slot holds: the card as the reader's terminal sees it.
pub trait Slot {
    /// Cold start: the ATR, or why the card does not start.
    fn power_on(&mut self) -> Result<Vec<u8>, String>;
    /// Power removed.
    fn power_off(&mut self);
    /// Warm reset: the ATR.
    fn reset(&mut self) -> Vec<u8>;
    /// The ATR.
    fn atr(&self) -> Vec<u8>;
    /// One C-APDU: the R-APDU.
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8>;
    /// The slot's card should be reset once this response is delivered (a refresh is due).
    fn take_refresh_request(&mut self) -> bool;
}

impl<P: Platform> Slot for Card<P>
where
    <P::Storage as crate::platform::Storage>::Error: core::fmt::Display,
{
    fn power_on(&mut self) -> Result<Vec<u8>, String> {
        Card::power_on(self).map_err(|e| e.to_string())
    }
    fn power_off(&mut self) {
        Card::power_off(self);
    }
    fn reset(&mut self) -> Vec<u8> {
        Card::reset(self)
    }
    fn atr(&self) -> Vec<u8> {
        Card::atr(self)
    }
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        Card::transmit(self, apdu)
    }
    fn take_refresh_request(&mut self) -> bool {
        Card::take_refresh_request(self)
    }
}

/// One eSIM port (logical SE interface) of a card that several slots share, one per port:
/// its commands go to that port ([`Card::transmit_on`]), its power and reset messages reset
/// that port alone.
pub struct PortSlot<P: Platform> {
    card: Arc<Mutex<Card<P>>>,
    port: u8,
}

impl<P: Platform> core::fmt::Debug for PortSlot<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PortSlot").field("port", &self.port).finish_non_exhaustive()
    }
}

impl<P: Platform> PortSlot<P> {
    /// Port `port` of `card`.
    pub fn new(card: Arc<Mutex<Card<P>>>, port: u8) -> PortSlot<P> {
        PortSlot { card, port }
    }

    /// The card (a panic in another slot's thread leaves it as that command left it).
    fn card(&self) -> MutexGuard<'_, Card<P>> {
        self.card.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<P: Platform> Slot for PortSlot<P> {
    fn power_on(&mut self) -> Result<Vec<u8>, String> {
        let port = self.port;
        Ok(self.card().reset_port(port))
    }
    fn power_off(&mut self) {
        let port = self.port;
        self.card().reset_port(port);
    }
    fn reset(&mut self) -> Vec<u8> {
        let port = self.port;
        self.card().reset_port(port)
    }
    fn atr(&self) -> Vec<u8> {
        self.card().atr()
    }
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        let port = self.port;
        self.card().transmit_on(port, apdu)
    }
    /// Other ports' refreshes are done here and now (their terminals see their port reset);
    /// this port's waits for its response to be delivered.
    fn take_refresh_request(&mut self) -> bool {
        let port = self.port;
        let mut card = self.card();
        let ports = card.take_refresh_ports();
        for other in (0..32u8).filter(|&n| n != port && ports & (1 << n) != 0) {
            card.reset_port(other);
        }
        ports & 1u32.checked_shl(u32::from(port)).unwrap_or(0) != 0
    }
}

/// One message from vpcd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// `00`: power off.
    PowerOff,
    /// `01`: power on.
    PowerOn,
    /// `02`: warm reset.
    Reset,
    /// `04`: send the ATR.
    AtrRequest,
    /// Anything else: a command APDU.
    Apdu(&'a [u8]),
    /// An empty message.
    Empty,
}

impl<'a> Message<'a> {
    /// Classifies a message payload.
    pub fn parse(payload: &'a [u8]) -> Message<'a> {
        match payload {
            [] => Message::Empty,
            [0x00] => Message::PowerOff,
            [0x01] => Message::PowerOn,
            [0x02] => Message::Reset,
            [0x04] => Message::AtrRequest,
            apdu => Message::Apdu(apdu),
        }
    }
}

/// Writes one message: length, then payload.
pub fn write_message(w: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    let len = u16::try_from(payload.len()).map_err(|_| io::Error::new(ErrorKind::InvalidInput, "message too long"))?;
    let mut frame = Vec::with_capacity(2 + payload.len());
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(payload);
    w.write_all(&frame)
}

/// What one vpcd connection remembers between messages.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Session {
    /// A refresh is due once the response chain on this channel is drained.
    refresh_after: Option<u8>,
    /// An empty message was logged on this connection already.
    empty_logged: bool,
}

impl Session {
    /// A new connection's session: nothing due.
    pub fn new() -> Session {
        Session::default()
    }

    /// True while a refresh waits for its response to be fetched.
    pub fn refresh_pending(&self) -> bool {
        self.refresh_after.is_some()
    }
}

/// The channel of a GET RESPONSE command, `None` for any other APDU.
fn get_response_channel(apdu: &[u8]) -> Option<u8> {
    crate::apdu::CommandView::parse(apdu).ok().filter(|c| c.ins == 0xC0).map(|c| c.channel())
}

/// Answers one vpcd message from `card`; `Some(bytes)` is the reply to send.
/// `session` carries what the connection remembers (a refresh waiting for its
/// response to be fetched; whether an empty message was logged).
pub fn answer<S: Slot + ?Sized>(
    card: &mut S,
    session: &mut Session,
    message: Message<'_>,
    trace: &mut Option<Trace>,
    log: &mut dyn FnMut(&str),
) -> Option<Vec<u8>> {
    if !matches!(message, Message::Apdu(_) | Message::Empty | Message::AtrRequest) {
        // A power event resets the card anyway: the refresh it waited for is done.
        session.refresh_after = None;
    }
    match message {
        Message::PowerOff => {
            card.power_off();
            Trace::event(trace, "power off");
            None
        }
        Message::PowerOn => {
            match card.power_on() {
                Ok(atr) => Trace::event(trace, &format!("power on, ATR {}", super::trace::hex(&atr))),
                Err(e) => log(&format!("card does not start: {e}")),
            }
            None
        }
        Message::Reset => {
            let atr = card.reset();
            Trace::event(trace, &format!("reset, ATR {}", super::trace::hex(&atr)));
            None
        }
        Message::AtrRequest => Some(card.atr()),
        Message::Apdu(apdu) => {
            if let Some(ch) = session.refresh_after
                && get_response_channel(apdu) != Some(ch)
            {
                session.refresh_after = None;
                card.reset();
                Trace::event(trace, "refresh: card reset (the rest of the response was not fetched)");
            }
            let r = card.transmit(apdu);
            Trace::exchange(trace, apdu, &r);
            let more = matches!(r.as_slice(), [.., 0x61, _]);
            if card.take_refresh_request() {
                // The command that asked for it parsed (it was answered by the ISD-R).
                let channel = crate::apdu::CommandView::parse(apdu).map_or(0, |c| c.channel());
                session.refresh_after = Some(channel);
            }
            if session.refresh_after.is_some() && !more {
                session.refresh_after = None;
                card.reset();
                Trace::event(trace, "refresh: card reset after the response");
            }
            Some(r)
        }
        Message::Empty => {
            if !core::mem::replace(&mut session.empty_logged, true) {
                log("vpcd sent an empty message; ignored (further ones on this connection are not logged)");
            }
            None
        }
    }
}

/// Serves `card` over one connection until vpcd closes it or `stop` is set.
pub fn serve_connection<S: Slot + ?Sized>(
    card: &mut S,
    stream: &mut TcpStream,
    stop: &AtomicBool,
    trace: &mut Option<Trace>,
    log: &mut dyn FnMut(&str),
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut header = [0u8; 2];
    let mut session = Session::new();
    loop {
        // Wait for a message, checking `stop` now and then.
        stream.set_read_timeout(Some(Duration::from_millis(200)))?;
        match stream.read(&mut header[..1]) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted) => {
                if stop.load(Ordering::Relaxed) {
                    return Ok(());
                }
                continue;
            }
            Err(e) => return Err(e),
        }
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        stream.read_exact(&mut header[1..])?;
        let len = usize::from(u16::from_be_bytes(header));
        let mut payload = std::vec![0u8; len];
        stream.read_exact(&mut payload)?;
        if let Some(reply) = answer(card, &mut session, Message::parse(&payload), trace, log) {
            write_message(stream, &reply)?;
        }
    }
}

/// Runs `card` as the card in the vpcd reader at `addr` until `stop` is set:
/// connects, serves, and when vpcd is not there yet or goes away (pcscd restarts),
/// says so through `log` and reconnects with backoff (0.1 s doubling to 3 s).
/// Persistent state survives; a new connection starts with the card powered off
/// until vpcd powers it on.
pub fn serve<S: Slot + ?Sized>(
    card: &mut S,
    addr: &str,
    stop: &AtomicBool,
    trace: &mut Option<Trace>,
    log: &mut dyn FnMut(&str),
) {
    let mut backoff = Duration::from_millis(100);
    let mut announced = false;
    while !stop.load(Ordering::Relaxed) {
        let target = addr.to_socket_addrs().ok().and_then(|mut a| a.next());
        let connected = target.map(|t| TcpStream::connect_timeout(&t, Duration::from_secs(2)));
        match connected {
            Some(Ok(mut stream)) => {
                log(&format!("connected to vpcd at {addr}"));
                backoff = Duration::from_millis(100);
                announced = false;
                let result = serve_connection(card, &mut stream, stop, trace, log);
                card.power_off();
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                match result {
                    Ok(()) => log(&format!("vpcd at {addr} closed the connection; reconnecting")),
                    Err(e) => log(&format!("connection to vpcd at {addr} failed: {e}; reconnecting")),
                }
            }
            Some(Err(e)) => {
                if !announced {
                    log(&format!(
                        "vpcd not reachable at {addr} ({e}); retrying (is pcscd with vsmartcard-vpcd running?)"
                    ));
                    announced = true;
                }
            }
            None => {
                log(&format!("{addr}: not a host:port"));
                return;
            }
        }
        thread::sleep(backoff);
        backoff = (backoff * 2).min(Duration::from_secs(3));
    }
}

/// The `HOST:PORT` of reader slot `n` next to `base` (`--cards N` uses consecutive ports).
pub fn slot_address(base: &str, n: u16) -> Result<String, String> {
    let (host, port) = base.rsplit_once(':').ok_or_else(|| format!("{base}: expected HOST:PORT"))?;
    let port: u16 = port.parse().map_err(|_| format!("{base}: bad port"))?;
    let port = port.checked_add(n).ok_or_else(|| format!("{base}: port {port} + {n} overflows"))?;
    Ok(format!("{host}:{port}"))
}
