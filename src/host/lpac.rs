//! lpac's stdio APDU backend (`LPAC_APDU=stdio`): lpac writes one JSON object per
//! line on its stdout and reads the answer on its stdin.
//!
//! Shapes (lpac `driver/apdu/stdio.c`, `docs/backends/stdio.md`; see
//! `../shared/spec/lpac-interop.md` §1):
//!
//! | lpac → bridge | bridge → lpac |
//! |---|---|
//! | `{"type":"apdu","payload":{"func":"connect","param":null}}` | `{"type":"apdu","payload":{"ecode":0}}` |
//! | `… "func":"logic_channel_open","param":"<AID hex>"` | `ecode` = the channel (the bridge opens it and SELECTs the AID) or `-1` |
//! | `… "func":"transmit","param":"<C-APDU hex>"` | `{"ecode":0,"data":"<R-APDU hex, SW included>"}` |
//! | `… "func":"logic_channel_close","param":"<channel hex>"` | `ecode` 0 |
//! | `… "func":"disconnect","param":null` | `ecode` 0 (the card is powered off, as PC/SC unpowers it) |
//!
//! Every other line lpac prints (its `"type":"lpa"` result, progress) is passed
//! through. A line that is not JSON, or an APDU request of an unknown shape, is a
//! [`BridgeError`] naming the line, never a panic.

use super::trace::{Trace, hex};
use serde_json::{Value, json};
use std::fmt;
use std::format;
use std::io::{self, BufRead, Write};
use std::string::String;
use std::vec::Vec;

/// What the bridge needs from a card.
pub trait Card {
    /// One APDU exchange.
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8>;
    /// Powers the card on (`true`) or off.
    fn power(&mut self, on: bool);
}

impl<P: crate::platform::Platform> Card for crate::card::Card<P> {
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        crate::card::Card::transmit(self, apdu)
    }
    fn power(&mut self, on: bool) {
        if on {
            let _ = self.power_on();
        } else {
            self.power_off();
        }
    }
}

/// Why the bridge stopped.
#[derive(Debug)]
pub enum BridgeError {
    /// Reading from or writing to lpac failed.
    Io(io::Error),
    /// lpac sent a line that is not an APDU request the bridge understands.
    Malformed(String),
}

impl fmt::Display for BridgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BridgeError::Io(e) => write!(f, "talking to lpac: {e}"),
            BridgeError::Malformed(line) => write!(f, "lpac sent a malformed request: {line}"),
        }
    }
}

impl std::error::Error for BridgeError {}

impl From<io::Error> for BridgeError {
    fn from(e: io::Error) -> Self {
        BridgeError::Io(e)
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok())).collect()
}

fn sw(r: &[u8]) -> u16 {
    match r {
        [.., a, b] => u16::from_be_bytes([*a, *b]),
        _ => 0,
    }
}

/// Answers one APDU request; `Err` names what is wrong with it.
fn answer(card: &mut dyn Card, func: &str, param: &Value, trace: &mut Option<Trace>) -> Result<Value, String> {
    let text = || param.as_str().ok_or_else(|| format!("{func}: param must be a string"));
    Ok(match func {
        "connect" => {
            card.power(true);
            Trace::event(trace, "lpac connect: power on");
            json!({"ecode": 0})
        }
        "disconnect" => {
            card.power(false);
            Trace::event(trace, "lpac disconnect: power off");
            json!({"ecode": 0})
        }
        "logic_channel_open" => {
            let aid = unhex(text()?).filter(|a| (1..=16).contains(&a.len())).ok_or("logic_channel_open: bad AID")?;
            let open = [0x00, 0x70, 0x00, 0x00, 0x01];
            let r = card.transmit(&open);
            Trace::exchange(trace, &open, &r);
            let channel = match r.as_slice() {
                [ch, 0x90, 0x00] => *ch,
                _ => return Ok(json!({"ecode": -1})),
            };
            let cla = crate::apdu::Cla::encode(channel, false).unwrap_or(0);
            let mut select = std::vec![cla, 0xA4, 0x04, 0x00, u8::try_from(aid.len()).unwrap_or(0)];
            select.extend_from_slice(&aid);
            let r = card.transmit(&select);
            Trace::exchange(trace, &select, &r);
            if matches!(sw(&r) >> 8, 0x90 | 0x61) { json!({"ecode": channel}) } else { json!({"ecode": -1}) }
        }
        "logic_channel_close" => {
            let ch = unhex(text()?).and_then(|b| b.last().copied()).ok_or("logic_channel_close: bad channel")?;
            let close = [0x00, 0x70, 0x80, ch, 0x00];
            let r = card.transmit(&close);
            Trace::exchange(trace, &close, &r);
            json!({"ecode": 0})
        }
        "transmit" => {
            let apdu = unhex(text()?).ok_or("transmit: param is not hex")?;
            let r = card.transmit(&apdu);
            Trace::exchange(trace, &apdu, &r);
            json!({"ecode": 0, "data": hex(&r)})
        }
        other => return Err(format!("unknown function {other:?}")),
    })
}

/// Serves lpac: reads its stdout (`from`), answers APDU requests on its stdin (`to`),
/// and copies every other line to `out`. Returns when lpac closes its stdout.
pub fn bridge(
    card: &mut dyn Card,
    from: impl BufRead,
    mut to: impl Write,
    mut out: impl Write,
    trace: &mut Option<Trace>,
) -> Result<(), BridgeError> {
    for line in from.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(_) => return Err(BridgeError::Malformed(line)),
        };
        if value.get("type").and_then(Value::as_str) != Some("apdu") {
            writeln!(out, "{line}")?;
            continue;
        }
        let payload = value.get("payload").ok_or_else(|| BridgeError::Malformed(line.clone()))?;
        let func = payload.get("func").and_then(Value::as_str).ok_or_else(|| BridgeError::Malformed(line.clone()))?;
        let param = payload.get("param").unwrap_or(&Value::Null);
        let reply = answer(card, func, param, trace).map_err(|e| BridgeError::Malformed(format!("{e}: {line}")))?;
        writeln!(to, "{}", json!({"type": "apdu", "payload": reply}))?;
        to.flush()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_lines_are_errors() {
        let mut card = crate::testkit::TestCard::new(1).0;
        for bad in [
            "not json",
            r#"{"type":"apdu"}"#,
            r#"{"type":"apdu","payload":{"func":"transmit","param":"zz"}}"#,
            r#"{"type":"apdu","payload":{"func":"format_card","param":null}}"#,
            r#"{"type":"apdu","payload":{"func":"logic_channel_open","param":7}}"#,
        ] {
            let r = bridge(&mut card, bad.as_bytes(), Vec::new(), Vec::new(), &mut None);
            assert!(matches!(r, Err(BridgeError::Malformed(_))), "{bad}");
        }
        let mut out = Vec::new();
        bridge(&mut card, &b"{\"type\":\"lpa\",\"payload\":{}}\n"[..], Vec::new(), &mut out, &mut None).unwrap();
        assert_eq!(out, b"{\"type\":\"lpa\",\"payload\":{}}\n");
    }
}
