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
//! Every other line lpac prints (its `"type":"lpa"` result, progress, and lines that
//! are not JSON, such as its usage text) is passed through. lpac's HTTP requests
//! (`LPAC_HTTP=stdio`: `{"type":"http","payload":{"url":…,"tx":…,"headers":[…]}}`, `tx` the
//! request body in hex) are answered from an in-process ES9+ server ([`bridge_with_smdp`]:
//! `{"type":"http","payload":{"rcode":200,"rx":<answer hex>}}`), or, without one, with
//! `rcode` 503 — never left waiting. An APDU request of an unknown shape, or a line longer
//! than [`MAX_LINE`], is a [`BridgeError`] quoting the start of the line, never a panic.

use super::trace::{Trace, hex};
use serde_json::{Value, json};
use std::fmt;
use std::format;
use std::io::{self, BufRead, Read, Write};
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

/// The longest line the bridge reads from lpac. lpac's own lines are far shorter (an
/// APDU request is at most ~540 bytes; an ES9+ request over `LPAC_HTTP=stdio` a few KiB).
pub const MAX_LINE: usize = 64 * 1024;

/// How much of a bad line an error message quotes.
const QUOTE: usize = 200;

/// The HTTP status the bridge answers lpac's `LPAC_HTTP=stdio` requests with: the
/// bridge serves no ES9+ yet, and lpac reports a non-2xx code as
/// `"HTTP status code error"` with the code, instead of waiting forever.
pub const HTTP_UNSERVED: u16 = 503;

/// The start of `line` for an error message: at most [`QUOTE`] bytes, lossy UTF-8.
fn quote(line: &[u8]) -> String {
    let head = line.get(..QUOTE).unwrap_or(line);
    let mut q = String::from_utf8_lossy(head).into_owned();
    if head.len() < line.len() {
        q.push('…');
    }
    q
}

/// Reads one line (without its `\n`) into `buf`; `false` at the end of input. A line
/// longer than [`MAX_LINE`] is an error that quotes only its start.
fn read_line(from: &mut impl BufRead, buf: &mut Vec<u8>) -> Result<bool, BridgeError> {
    buf.clear();
    let limit = u64::try_from(MAX_LINE).unwrap_or(u64::MAX).saturating_add(1);
    let n = from.by_ref().take(limit).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(false);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
    } else if buf.len() > MAX_LINE {
        return Err(BridgeError::Malformed(format!("a line longer than {MAX_LINE} bytes: {}", quote(buf))));
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(true)
}

/// Serves lpac: reads its stdout (`from`), answers APDU requests on its stdin (`to`),
/// and copies every other line to `out` — its JSON results and progress, and lines
/// that are not JSON at all (lpac's usage text). An HTTP request (`LPAC_HTTP=stdio`)
/// gets [`HTTP_UNSERVED`] and a line on `notes` (the user's stderr) saying why.
/// Returns when lpac closes its stdout.
pub fn bridge(
    card: &mut dyn Card,
    from: impl BufRead,
    to: impl Write,
    out: impl Write,
    notes: impl Write,
    trace: &mut Option<Trace>,
) -> Result<(), BridgeError> {
    bridge_inner(card, None, from, to, out, notes, trace)
}

/// [`bridge`], answering lpac's `LPAC_HTTP=stdio` requests from `smdp` in process: the URL's
/// path picks the ES9+ function (the host is not looked at: every address is this server),
/// the hex `tx` is the body.
#[cfg(feature = "es9p")]
pub fn bridge_with_smdp(
    card: &mut dyn Card,
    smdp: &crate::testkit::es9p::Es9Server,
    from: impl BufRead,
    to: impl Write,
    out: impl Write,
    notes: impl Write,
    trace: &mut Option<Trace>,
) -> Result<(), BridgeError> {
    bridge_inner(card, Some(smdp), from, to, out, notes, trace)
}

#[cfg(feature = "es9p")]
type Smdp<'a> = Option<&'a crate::testkit::es9p::Es9Server>;
#[cfg(not(feature = "es9p"))]
type Smdp<'a> = Option<&'a core::convert::Infallible>;

/// The answer to one `LPAC_HTTP=stdio` request: `(rcode, rx)`, or `None` if no server.
#[cfg(feature = "es9p")]
fn http_answer(smdp: Smdp<'_>, url: &str, tx: &[u8]) -> Option<(u16, Vec<u8>)> {
    let smdp = smdp?;
    // https://HOST[:PORT]/gsma/rsp2/es9plus/FUNCTION
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').and_then(|i| after_scheme.get(i..)).unwrap_or("/");
    let a = smdp.handle(path, tx);
    Some((a.status, a.body))
}

#[cfg(not(feature = "es9p"))]
fn http_answer(smdp: Smdp<'_>, _url: &str, _tx: &[u8]) -> Option<(u16, Vec<u8>)> {
    smdp.map(|never| match *never {})
}

#[allow(clippy::too_many_arguments)]
fn bridge_inner(
    card: &mut dyn Card,
    smdp: Smdp<'_>,
    mut from: impl BufRead,
    mut to: impl Write,
    mut out: impl Write,
    mut notes: impl Write,
    trace: &mut Option<Trace>,
) -> Result<(), BridgeError> {
    let mut line = Vec::new();
    while read_line(&mut from, &mut line)? {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let value: Value = match serde_json::from_slice(&line) {
            Ok(v) => v,
            Err(_) => {
                // Not JSON: lpac's usage text or another message meant for the user.
                out.write_all(&line)?;
                out.write_all(b"\n")?;
                out.flush()?;
                continue;
            }
        };
        let malformed = |why: &str| BridgeError::Malformed(format!("{why}: {}", quote(&line)));
        match value.get("type").and_then(Value::as_str) {
            Some("apdu") => {}
            Some("http") => {
                let url = value.pointer("/payload/url").and_then(Value::as_str).unwrap_or("?");
                let tx = value.pointer("/payload/tx").and_then(Value::as_str).and_then(unhex);
                let served = match tx {
                    Some(tx) => http_answer(smdp, url, &tx),
                    None if smdp.is_some() => Some((400, b"tx: not hex".to_vec())),
                    None => None,
                };
                if let Some((rcode, rx)) = served {
                    Trace::event(trace, &format!("lpac http {}: answered {rcode}", quote(url.as_bytes())));
                    writeln!(to, "{}", json!({"type": "http", "payload": {"rcode": rcode, "rx": hex(&rx)}}))?;
                    to.flush()?;
                    continue;
                }
                let url = quote(url.as_bytes());
                writeln!(
                    notes,
                    "veuicc lpac: lpac asked for {url} over LPAC_HTTP=stdio; the bridge serves no ES9+ yet \
                     and answered HTTP {HTTP_UNSERVED} (leave LPAC_HTTP unset to let lpac use the network)"
                )?;
                Trace::event(trace, &format!("lpac http {url}: answered {HTTP_UNSERVED}"));
                let rx = hex(b"veuicc lpac: ES9+ over stdio is not served");
                writeln!(to, "{}", json!({"type": "http", "payload": {"rcode": HTTP_UNSERVED, "rx": rx}}))?;
                to.flush()?;
                continue;
            }
            _ => {
                out.write_all(&line)?;
                out.write_all(b"\n")?;
                out.flush()?;
                continue;
            }
        }
        let payload = value.get("payload").ok_or_else(|| malformed("no payload"))?;
        let func = payload.get("func").and_then(Value::as_str).ok_or_else(|| malformed("no func"))?;
        let param = payload.get("param").unwrap_or(&Value::Null);
        let reply = answer(card, func, param, trace).map_err(|e| malformed(&e))?;
        writeln!(to, "{}", json!({"type": "apdu", "payload": reply}))?;
        to.flush()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8]) -> (Result<(), BridgeError>, String, String, String) {
        let mut card = crate::testkit::TestCard::new(1).0;
        let (mut to, mut out, mut notes) = (Vec::new(), Vec::new(), Vec::new());
        let r = bridge(&mut card, input, &mut to, &mut out, &mut notes, &mut None);
        let s = |v: Vec<u8>| String::from_utf8_lossy(&v).into_owned();
        (r, s(to), s(out), s(notes))
    }

    #[test]
    fn hostile_lines_are_errors() {
        for bad in [
            r#"{"type":"apdu"}"#,
            r#"{"type":"apdu","payload":{"func":"transmit","param":"zz"}}"#,
            r#"{"type":"apdu","payload":{"func":"format_card","param":null}}"#,
            r#"{"type":"apdu","payload":{"func":"logic_channel_open","param":7}}"#,
        ] {
            let (r, to, ..) = run(bad.as_bytes());
            assert!(matches!(r, Err(BridgeError::Malformed(_))), "{bad}");
            assert_eq!(to, "", "{bad}");
        }
        let (r, to, out, _) = run(b"{\"type\":\"lpa\",\"payload\":{}}\n");
        r.unwrap();
        assert_eq!((to.as_str(), out.as_str()), ("", "{\"type\":\"lpa\",\"payload\":{}}\n"));
    }

    #[test]
    fn lines_that_are_not_json_pass_through() {
        let input = b"Usage: lpac <driver|chip|profile|notification|version>\n\xff\xfe not utf-8\n\
            {\"type\":\"apdu\",\"payload\":{\"func\":\"connect\",\"param\":null}}\n";
        let (r, to, _, _) = run(input);
        r.unwrap();
        assert_eq!(to, "{\"payload\":{\"ecode\":0},\"type\":\"apdu\"}\n", "the bridge went on serving");
        let mut card = crate::testkit::TestCard::new(1).0;
        let mut out = Vec::new();
        bridge(&mut card, &input[..], Vec::new(), &mut out, Vec::new(), &mut None).unwrap();
        assert_eq!(out, b"Usage: lpac <driver|chip|profile|notification|version>\n\xff\xfe not utf-8\n");
    }

    #[test]
    fn http_requests_get_an_error_status() {
        let input = br#"{"type":"http","payload":{"url":"https://smdp.example.com/gsma/rsp2/es9plus/initiateAuthentication","tx":"7B7D","headers":["Content-Type: application/json"]}}"#;
        let (r, to, out, notes) = run(input);
        r.unwrap();
        let reply: Value = serde_json::from_str(&to).unwrap();
        assert_eq!(reply["type"], "http");
        assert_eq!(reply["payload"]["rcode"], 503);
        let rx = unhex(reply["payload"]["rx"].as_str().unwrap()).unwrap();
        assert_eq!(rx, b"veuicc lpac: ES9+ over stdio is not served");
        assert_eq!(out, "");
        assert!(notes.contains("https://smdp.example.com/gsma/rsp2/es9plus/initiateAuthentication"), "{notes}");
        assert!(notes.contains("HTTP 503"), "{notes}");
    }

    #[cfg(feature = "es9p")]
    #[test]
    fn http_requests_are_answered_by_the_in_process_smdp() {
        use crate::testkit::es9p::{Catalogue, Es9Server};
        let smdp = Es9Server::new(
            crate::testkit::smdp::SmdpKeys::from_pki(crate::testkit::pki::default_pki()),
            None,
            Catalogue::default_test(),
        );
        let tx = hex(b"{\"transactionId\":\"00\",\"cancelSessionResponse\":\"AA==\"}");
        let input = format!(
            "{{\"type\":\"http\",\"payload\":{{\"url\":\"https://x.example:8443/gsma/rsp2/es9plus/cancelSession\",\"tx\":\"{tx}\",\"headers\":[]}}}}\n\
             {{\"type\":\"http\",\"payload\":{{\"url\":\"https://x.example/gsma/rsp2/es9plus/cancelSession\",\"tx\":\"zz\",\"headers\":[]}}}}\n"
        );
        let mut card = crate::testkit::TestCard::new(1).0;
        let (mut to, mut out, mut notes) = (Vec::new(), Vec::new(), Vec::new());
        bridge_with_smdp(&mut card, &smdp, input.as_bytes(), &mut to, &mut out, &mut notes, &mut None).unwrap();
        let lines: Vec<Value> =
            String::from_utf8(to).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["payload"]["rcode"], 200);
        let rx: Value = serde_json::from_slice(&unhex(lines[0]["payload"]["rx"].as_str().unwrap()).unwrap()).unwrap();
        let data = &rx["header"]["functionExecutionStatus"]["statusCodeData"];
        assert_eq!((data["subjectCode"].as_str(), data["reasonCode"].as_str()), (Some("1.3.1"), Some("2.1")));
        assert_eq!(lines[1]["payload"]["rcode"], 400, "a tx that is not hex");
        assert!(out.is_empty());
    }

    #[test]
    fn a_huge_line_is_refused_without_echoing_it() {
        let mut input = b"{\"type\":\"apdu\",\"payload\":{\"func\":\"transmit\",\"param\":\"".to_vec();
        input.resize(4 << 20, b'A');
        let (r, to, out, _) = run(&input);
        let Err(BridgeError::Malformed(message)) = r else { panic!("{r:?}") };
        assert!(message.starts_with("a line longer than 65536 bytes: {\"type\":\"apdu\""), "{message}");
        assert!(message.len() < 400, "{} bytes", message.len());
        assert_eq!((to.as_str(), out.as_str()), ("", ""));
        // A line of exactly MAX_LINE bytes is still read (and, not being JSON, passed through).
        let mut input = std::vec![b'x'; MAX_LINE];
        input.push(b'\n');
        let (r, _, out, _) = run(&input);
        r.unwrap();
        assert_eq!(out.len(), MAX_LINE + 1);
    }
}
