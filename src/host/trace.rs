//! APDU traces in the `apdu-traces/` text format (see `apdu-traces/README.md`):
//! `> C-APDU` / `< R-APDU` lines in hex, `#` lines for comments and events.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::string::String;

/// Upper-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02X}");
        s
    })
}

/// A trace file being written. Write errors are reported once and then ignored:
/// a failing trace never stops a card.
#[derive(Debug)]
pub struct Trace {
    out: BufWriter<File>,
    failed: bool,
}

impl Trace {
    /// Creates `path` and writes the header comment.
    pub fn create(path: &Path, header: &str) -> io::Result<Trace> {
        let mut out = BufWriter::new(File::create(path)?);
        writeln!(out, "# {header}")?;
        Ok(Trace { out, failed: false })
    }

    fn line(&mut self, text: &str) {
        if self.failed {
            return;
        }
        if writeln!(self.out, "{text}").and_then(|()| self.out.flush()).is_err() {
            self.failed = true;
        }
    }

    /// Records one exchange (if tracing).
    pub fn exchange(trace: &mut Option<Trace>, command: &[u8], response: &[u8]) {
        if let Some(t) = trace {
            t.line(&std::format!("> {}", hex(command)));
            t.line(&std::format!("< {}", hex(response)));
        }
    }

    /// Records an event (power, reset, channel), as a `#` line (if tracing).
    pub fn event(trace: &mut Option<Trace>, what: &str) {
        if let Some(t) = trace {
            t.line(&std::format!("# {what}"));
        }
    }
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
    pub fn transmit(&mut self, apdu: &[u8]) -> std::vec::Vec<u8> {
        let r = self.card.transmit(apdu);
        Trace::exchange(&mut self.trace, apdu, &r);
        r
    }

    /// Resets the card and records the event.
    pub fn reset(&mut self) -> std::vec::Vec<u8> {
        let atr = self.card.reset();
        Trace::event(&mut self.trace, &std::format!("reset, ATR {}", hex(&atr)));
        atr
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
            "# unit test\n> 0070000001\n< 019000\n# reset, ATR 3B9E96801FC78031E073FE215F56766575696363AB\n"
        );
        let _ = std::fs::remove_file(&path);
    }
}
