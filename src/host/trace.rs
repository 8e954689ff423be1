//! APDU traces in the `apdu-traces/` text format (see `apdu-traces/README.md`):
//! `> C-APDU` / `< R-APDU` lines in hex, `#` lines for comments and events, `#!` header
//! lines declaring the card a trace starts from. [`Trace`] writes them (and, beside the text,
//! a GSMTAP pcap: [`super::pcap`]); [`parse`] reads one back for replay.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;

/// Upper-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02X}");
        s
    })
}

/// A trace being written: the text file, a pcap capture, or both. Write errors are reported
/// once and then ignored: a failing trace never stops a card.
#[derive(Debug)]
pub struct Trace {
    out: Option<BufWriter<File>>,
    pcap: Option<super::pcap::Pcap>,
    failed: bool,
    /// Write PIN values and AKA outputs as they are (the corpus recorder, on test data).
    secrets: bool,
}

impl Trace {
    /// Creates `path` and writes the header comment.
    pub fn create(path: &Path, header: &str) -> io::Result<Trace> {
        let mut out = BufWriter::new(File::create(path)?);
        writeln!(out, "# {header}")?;
        writeln!(out, "#! format {FORMAT}")?;
        Ok(Trace { out: Some(out), pcap: None, failed: false, secrets: false })
    }

    /// The recorders `--trace` and `--pcap` ask for: `None` when neither is given. The pcap
    /// stamps frames with the system time.
    pub fn open(text: Option<&Path>, pcap: Option<&Path>, header: &str) -> Result<Option<Trace>, String> {
        let mut trace = match text {
            Some(p) => Trace::create(p, header).map_err(|e| std::format!("{}: {e}", p.display()))?,
            None if pcap.is_some() => Trace { out: None, pcap: None, failed: false, secrets: false },
            None => return Ok(None),
        };
        if let Some(p) = pcap {
            let capture = super::pcap::Pcap::create(p, super::pcap::Stamps::System)
                .map_err(|e| std::format!("{}: {e}", p.display()))?;
            trace.pcap = Some(capture);
        }
        Ok(Some(trace))
    }

    /// A trace that writes only a pcap capture (frames stamped as `stamps` says).
    pub fn pcap_only(pcap: super::pcap::Pcap) -> Trace {
        Trace { out: None, pcap: Some(pcap), failed: false, secrets: false }
    }

    /// Writes PIN values and AUTHENTICATE outputs as they are, for a trace of test data that
    /// must replay byte for byte (the `apdu-traces/` recorder). Without it a trace masks them.
    pub fn with_secrets(mut self) -> Trace {
        self.secrets = true;
        self
    }

    fn line(&mut self, text: &str) {
        if self.failed {
            return;
        }
        let Some(out) = &mut self.out else { return };
        if writeln!(out, "{text}").and_then(|()| out.flush()).is_err() {
            self.failed = true;
        }
    }

    /// Records one exchange (if tracing).
    pub fn exchange(trace: &mut Option<Trace>, command: &[u8], response: &[u8]) {
        if let Some(t) = trace {
            if !t.secrets
                && let Some((command, response, text)) = redact(command, response)
            {
                t.line(&std::format!("> {}", hex(&command)));
                t.line(&std::format!("< {text}"));
                if let Some(p) = &mut t.pcap {
                    p.exchange(&command, &response);
                }
                return;
            }
            t.line(&std::format!("> {}", hex(command)));
            t.line(&std::format!("< {}", hex(response)));
            if let Some(p) = &mut t.pcap {
                p.exchange(command, response);
            }
        }
    }

    /// Records an event (power, reset, channel), as a `#` line (if tracing).
    pub fn event(trace: &mut Option<Trace>, what: &str) {
        if let Some(t) = trace {
            t.line(&std::format!("# {what}"));
        }
    }

    /// Records a header line, `#! key value` (if tracing): what the trace shows, where it
    /// came from, the card it starts from. Header lines go before the first exchange.
    pub fn header(trace: &mut Option<Trace>, key: &str, value: &str) {
        if let Some(t) = trace {
            t.line(std::format!("#! {key} {value}").trim_end());
        }
    }
}

/// The secrets of a SIM exchange, masked: a PIN command's data (VERIFY, CHANGE, DISABLE,
/// ENABLE, UNBLOCK: `FF` bytes in its place) and AUTHENTICATE's answer (RES, CK, IK, Kc, AUTS:
/// `..` in the text, `00` in the capture; the tags and the status word stay). `None` for
/// every other exchange: `(command, response bytes for the capture, response text)`.
fn redact(command: &[u8], response: &[u8]) -> Option<(Vec<u8>, Vec<u8>, String)> {
    let (&cla, rest) = command.split_first()?;
    let &ins = rest.first()?;
    // Interindustry classes and GSM's A0 (a proprietary 8X class carries no PIN command).
    if cla & 0x80 != 0 && cla != 0xA0 {
        return None;
    }
    match ins {
        0x20 | 0x24 | 0x26 | 0x28 | 0x2C if command.len() > 5 => {
            let lc = usize::from(*command.get(4)?);
            let end = (5 + lc).min(command.len());
            let mut masked = command.to_vec();
            masked.get_mut(5..end)?.fill(0xFF);
            Some((masked, response.to_vec(), hex(response)))
        }
        0x88 if response.len() > 2 => {
            let data = response.len() - 2;
            let keep = |i: usize| i == 0 || i >= data;
            let text: String = response
                .iter()
                .enumerate()
                .map(|(i, b)| if keep(i) { std::format!("{b:02X}") } else { "..".to_string() })
                .collect();
            let bytes = response.iter().enumerate().map(|(i, b)| if keep(i) { *b } else { 0 }).collect();
            Some((command.to_vec(), bytes, text))
        }
        _ => None,
    }
}

/// The format version `#! format` names. Version 1: this module's grammar.
pub const FORMAT: u32 = 1;

/// The longest trace [`parse`] reads (bytes): far above any real session (a 256 KB profile
/// download is about 600 KB of hex).
pub const MAX_TRACE: usize = 32 << 20;

/// An event line: what happened to the card between exchanges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `# power on` or `# power on, ATR HEX` (and lpac's `# lpac connect: power on`).
    PowerOn(Option<Vec<u8>>),
    /// `# power off` (and `# lpac disconnect: power off`).
    PowerOff,
    /// `# reset`, `# reset, ATR HEX`, or a refresh: `# refresh: …`.
    Reset(Option<Vec<u8>>),
}

/// An expected response: bytes, each either exact or `..` (any byte).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected(pub Vec<Option<u8>>);

impl Expected {
    /// True when `actual` has the same length and every exact byte matches.
    pub fn matches(&self, actual: &[u8]) -> bool {
        self.0.len() == actual.len() && self.0.iter().zip(actual).all(|(e, a)| e.is_none_or(|e| e == *a))
    }

    /// The offset of the first byte that does not match (or where one side ends).
    pub fn first_difference(&self, actual: &[u8]) -> Option<usize> {
        let n = self.0.len().min(actual.len());
        (0..n).find(|&i| matches!((self.0.get(i), actual.get(i)), (Some(Some(e)), Some(a)) if e != a)).or((self
            .0
            .len()
            != actual.len())
        .then_some(n))
    }

    /// The expected bytes with each wildcard taken from `actual` (for decoding), or 00.
    pub fn filled(&self, actual: &[u8]) -> Vec<u8> {
        self.0.iter().enumerate().map(|(i, e)| e.or_else(|| actual.get(i).copied()).unwrap_or(0)).collect()
    }

    /// As written in a trace (`..` for wildcards).
    pub fn text(&self) -> String {
        self.0.iter().fold(String::new(), |mut s, b| {
            match b {
                Some(b) => {
                    let _ = write!(s, "{b:02X}");
                }
                None => s.push_str(".."),
            }
            s
        })
    }
}

/// One step of a trace, with the line it is on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A `>` line and the `<` line after it.
    Exchange {
        /// The `>` line's number.
        line: usize,
        /// The command APDU.
        command: Vec<u8>,
        /// The `<` line's number.
        response_line: usize,
        /// The response it must get.
        expected: Expected,
    },
    /// An event line.
    Event {
        /// The line's number.
        line: usize,
        /// What happened.
        event: Event,
    },
}

/// A parsed trace: its header lines (`#!`, key and value, with their line numbers) and steps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// `#! key value` lines, in order.
    pub header: Vec<(usize, String, String)>,
    /// Exchanges and events, in order.
    pub steps: Vec<Step>,
}

impl Parsed {
    /// The value of the first header line named `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.header.iter().find(|(_, k, _)| k == key).map(|(_, _, v)| v.as_str())
    }
}

/// Why a trace does not parse: the line (1-based) and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The line number (0: the file as a whole).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl core::fmt::Display for ParseError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

fn err(line: usize, message: impl Into<String>) -> ParseError {
    ParseError { line, message: message.into() }
}

/// Hex digits, spaces allowed between bytes; `..` is one wildcard byte when `wild`.
fn parse_bytes(text: &str, wild: bool, line: usize) -> Result<Vec<Option<u8>>, ParseError> {
    let digits: Vec<(usize, char)> = text.char_indices().filter(|(_, c)| !c.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err(err(line, "odd number of hex digits"));
    }
    let mut out = Vec::with_capacity(digits.len() / 2);
    for pair in digits.chunks_exact(2) {
        let (Some(&(at, a)), Some(&(_, b))) = (pair.first(), pair.get(1)) else { continue };
        match (a, b) {
            ('.', '.') if wild => out.push(None),
            ('.', '.') => return Err(err(line, "`..` (any byte) is allowed in responses only")),
            _ => match (a.to_digit(16), b.to_digit(16)) {
                (Some(h), Some(l)) => out.push(u8::try_from(h * 16 + l).ok()),
                _ => {
                    let bad = if a.is_ascii_hexdigit() { b } else { a };
                    return Err(err(line, std::format!("not hex: {bad:?} (near column {})", at + 3)));
                }
            },
        }
    }
    Ok(out)
}

fn exact(bytes: Vec<Option<u8>>) -> Vec<u8> {
    bytes.into_iter().flatten().collect()
}

/// The event a `#` line's text names, if it is one (exact forms only; anything else is a comment).
fn event(text: &str, line: usize) -> Result<Option<Event>, ParseError> {
    let atr = |rest: &str| -> Result<Option<Vec<u8>>, ParseError> {
        match rest {
            "" => Ok(None),
            r => match r.strip_prefix(", ATR ") {
                Some(h) => Ok(Some(exact(parse_bytes(h, false, line)?))),
                None => Err(err(line, std::format!("event {text:?}: expected `, ATR HEX` or nothing after it"))),
            },
        }
    };
    Ok(match text {
        "power off" | "lpac disconnect: power off" => Some(Event::PowerOff),
        "lpac connect: power on" => Some(Event::PowerOn(None)),
        t if t.starts_with("refresh:") => Some(Event::Reset(None)),
        t => {
            if let Some(rest) = t.strip_prefix("power on").filter(|r| r.is_empty() || r.starts_with(',')) {
                Some(Event::PowerOn(atr(rest)?))
            } else if let Some(rest) = t.strip_prefix("reset").filter(|r| r.is_empty() || r.starts_with(',')) {
                Some(Event::Reset(atr(rest)?))
            } else {
                None
            }
        }
    })
}

/// Parses a trace. Never panics, whatever the input; an error names the line.
pub fn parse(text: &str) -> Result<Parsed, ParseError> {
    if text.len() > MAX_TRACE {
        return Err(err(0, std::format!("longer than {MAX_TRACE} bytes")));
    }
    let mut parsed = Parsed::default();
    let mut pending: Option<(usize, Vec<u8>)> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        let Some(kind) = line.chars().next() else { continue };
        let rest = line.get(kind.len_utf8()..).unwrap_or("");
        // `#` comments end a `>`/`<` line; `#!` and `#` lines stand alone.
        let body = |r: &str| r.split('#').next().unwrap_or("").to_string();
        match kind {
            '#' => {
                if let Some(h) = rest.strip_prefix('!') {
                    if !parsed.steps.is_empty() || pending.is_some() {
                        return Err(err(n, "header line (`#!`) after the first exchange or event"));
                    }
                    let h = h.trim();
                    let (key, value) = h.split_once(char::is_whitespace).unwrap_or((h, ""));
                    if key.is_empty() {
                        return Err(err(n, "empty header line"));
                    }
                    parsed.header.push((n, key.to_string(), value.trim().to_string()));
                    continue;
                }
                if let Some(e) = event(rest.trim(), n)? {
                    if let Some((c, _)) = pending {
                        return Err(err(n, std::format!("event between the command on line {c} and its response")));
                    }
                    parsed.steps.push(Step::Event { line: n, event: e });
                }
            }
            '>' => {
                if let Some((c, _)) = pending {
                    return Err(err(n, std::format!("the command on line {c} has no `<` response line")));
                }
                let command = exact(parse_bytes(&body(rest), false, n)?);
                if command.is_empty() {
                    return Err(err(n, "empty command APDU"));
                }
                pending = Some((n, command));
            }
            '<' => {
                let Some((line, command)) = pending.take() else {
                    return Err(err(n, "a response (`<`) with no command (`>`) before it"));
                };
                let expected = Expected(parse_bytes(&body(rest), true, n)?);
                if expected.0.len() < 2 {
                    return Err(err(n, "a response needs at least SW1 SW2"));
                }
                parsed.steps.push(Step::Exchange { line, command, response_line: n, expected });
            }
            _ => {
                let shown: String = line.chars().take(40).collect();
                return Err(err(n, std::format!("expected `>`, `<`, `#` or `#!`, found {shown:?}")));
            }
        }
    }
    if let Some((c, _)) = pending {
        return Err(err(c, "the command has no `<` response line (end of file)"));
    }
    if let Some((n, _, v)) =
        parsed.header.iter().find(|(_, k, v)| k == "format" && v.parse::<u32>().ok() != Some(FORMAT))
    {
        return Err(err(*n, std::format!("format {v:?}: this reader knows format {FORMAT}")));
    }
    Ok(parsed)
}

/// An in-process card that records every exchange (the adapters record theirs the same way).
#[derive(Debug)]
pub struct TracedCard<'a, P: crate::platform::Platform> {
    /// The card.
    pub card: &'a mut crate::card::Card<P>,
    /// Where the exchanges go.
    pub trace: Option<Trace>,
}

impl<P: crate::platform::Platform> TracedCard<'_, P> {
    /// Sends one APDU and records the exchange.
    pub fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        let r = self.card.transmit(apdu);
        Trace::exchange(&mut self.trace, apdu, &r);
        r
    }

    /// Resets the card and records the event.
    pub fn reset(&mut self) -> Vec<u8> {
        let atr = self.card.reset();
        Trace::event(&mut self.trace, &std::format!("reset, ATR {}", hex(&atr)));
        atr
    }

    /// Powers the card on and records the event (the ATR, or nothing if it does not start).
    pub fn power_on(&mut self) -> Vec<u8> {
        let atr = self.card.power_on().unwrap_or_default();
        Trace::event(&mut self.trace, &std::format!("power on, ATR {}", hex(&atr)));
        atr
    }

    /// Powers the card off and records the event.
    pub fn power_off(&mut self) {
        self.card.power_off();
        Trace::event(&mut self.trace, "power off");
    }

    /// Records a comment line (`# text`).
    pub fn comment(&mut self, text: &str) {
        Trace::event(&mut self.trace, text);
    }
}

#[cfg(all(test, feature = "testkit"))]
mod tests {
    use super::*;

    #[test]
    fn in_process_trace() {
        let path = std::env::temp_dir().join(std::format!("veuicc-trace-{}.trace", std::process::id()));
        let mut card = crate::testkit::TestCard::new(1).0;
        let trace = Some(Trace::create(&path, "unit test").unwrap());
        let mut traced = TracedCard { card: &mut card, trace };
        traced.transmit(&[0x00, 0x70, 0x00, 0x00, 0x01]);
        traced.reset();
        drop(traced);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "# unit test\n#! format 1\n> 0070000001\n< 019000\n# reset, ATR 3B9E96801FC78031E073FE215F56766575696363AB\n"
        );
        let _ = std::fs::remove_file(&path);
        let parsed = parse(&text).unwrap();
        assert_eq!(parsed.get("format"), Some("1"));
        assert_eq!(parsed.steps.len(), 2);
    }

    #[test]
    fn parses_events_wildcards_and_comments() {
        let text = "# a comment\n#! about what it shows\n# power on, ATR 3B00\n> 00 70 00 00 01  # open\n< 01..\n\
            # refresh: card reset after the response\n# reset the card (a comment)\n# lpac disconnect: power off\n";
        let p = parse(text).unwrap();
        assert_eq!(p.get("about"), Some("what it shows"));
        assert_eq!(
            p.steps,
            std::vec![
                Step::Event { line: 3, event: Event::PowerOn(Some(std::vec![0x3B, 0x00])) },
                Step::Exchange {
                    line: 4,
                    command: std::vec![0, 0x70, 0, 0, 1],
                    response_line: 5,
                    expected: Expected(std::vec![Some(1), None]),
                },
                Step::Event { line: 6, event: Event::Reset(None) },
                Step::Event { line: 8, event: Event::PowerOff },
            ]
        );
        let Step::Exchange { expected, .. } = &p.steps[1] else { panic!() };
        assert!(expected.matches(&[1, 0x90]));
        assert!(!expected.matches(&[2, 0x90]));
        assert_eq!(expected.first_difference(&[1, 0x90, 0]), Some(2));
    }

    #[test]
    fn malformed_traces_name_the_line() {
        for (text, line, what) in [
            ("> 0070\n> 0070\n", 2, "no `<`"),
            ("< 9000\n", 1, "no command"),
            ("> 00A4\n< 9G00\n", 2, "not hex"),
            ("> 00A\n", 1, "odd"),
            ("> 00..\n< 9000\n", 1, "responses only"),
            ("> 0070000001\n< 019000\n#! rng 1\n", 3, "header line"),
            ("#! format 7\n", 1, "format"),
            ("hello\n", 1, "expected `>`"),
            ("é\n", 1, "expected `>`"),
            ("> 00\n# power off\n< 9000\n", 2, "between"),
            ("> 0070000001\n< 90\n", 2, "at least"),
            ("# power on, ATR zz\n", 1, "not hex"),
            ("> 00\n", 1, "end of file"),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.message.contains(what), "{text:?}: {e}");
        }
    }
}
