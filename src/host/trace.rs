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
