//! Helpers shared by the subcommands.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use veuicc::Card;
use veuicc::config::CardConfig;
use veuicc::host::fs_storage::DirStorage;
use veuicc::host::{HostPlatform, platform};
use veuicc::identity::Identity;
use veuicc::store::MemStorage;
use veuicc::testkit::pki::{default_identity, load_identity_dir};
use veuicc::testkit::{Transport, default_config};

/// Writes one line to stdout. When that fails (the reader closed the pipe, as `head -1`
/// does, or the disk behind it is full) there is no one left to tell: the process ends at
/// once with exit 0, as a tool that SIGPIPE stops would, instead of panicking. Every command
/// has committed its card state by the time it prints, so nothing is left half done.
pub(crate) fn out_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{args}").and_then(|()| out.flush()).is_err() {
        std::process::exit(0);
    }
}

/// Writes one line to stderr; a closed stderr drops the line.
pub(crate) fn err_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{args}");
}

/// Upper-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02X}");
        s
    })
}

/// Parses hex, ignoring spaces, colons and underscores; anything else that is not a hex
/// digit (`+`, `-`, `0x`, …) is refused, naming the character and where it is.
pub(crate) fn unhex(text: &str) -> Result<Vec<u8>, String> {
    let mut digits = Vec::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        match c.to_digit(16) {
            Some(d) => digits.extend(u8::try_from(d).ok()),
            None if " :_".contains(c) => {}
            None => return Err(format!("{text:?}: not hex: {c:?} at offset {at}")),
        }
    }
    if !digits.len().is_multiple_of(2) {
        return Err(format!("{text:?}: odd number of hex digits"));
    }
    Ok(digits.chunks_exact(2).map(|p| p.iter().fold(0u8, |acc, d| (acc << 4) | d)).collect())
}

/// A JSON string literal.
pub(crate) fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A card whose state lives in `dir`, or in memory without one.
pub(crate) enum AnyCard {
    /// State in a directory.
    Dir(Box<Card<HostPlatform<DirStorage>>>),
    /// State in memory (lost on exit).
    Mem(Box<Card<HostPlatform<MemStorage>>>),
}

/// The identity in `dir` (`--identity DIR`: `euicc.pem`, `euicc_sk.pem`, `eum.pem`, `ci*.pem`,
/// DER twins accepted), or the embedded test identity, with the card configuration it implies.
pub(crate) fn card_identity(identity: Option<&Path>) -> Result<(CardConfig, Arc<Identity>), String> {
    match identity {
        Some(dir) => {
            let id = load_identity_dir(dir).map_err(|e| format!("identity: {e}"))?;
            Ok((id.card_config(), Arc::new(id)))
        }
        None => Ok((default_config(), default_identity())),
    }
}

impl AnyCard {
    pub(crate) fn open(state: Option<&PathBuf>, identity: Option<&Path>) -> Result<AnyCard, String> {
        let (config, identity) = card_identity(identity)?;
        match state {
            Some(dir) => {
                let storage = DirStorage::open(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                let card = Card::with_identity(config, identity, platform(storage))
                    .map_err(|e| format!("{}: {e}", dir.display()))?;
                Ok(AnyCard::Dir(Box::new(card)))
            }
            None => {
                let card =
                    Card::with_identity(config, identity, platform(MemStorage::new())).map_err(|e| e.to_string())?;
                Ok(AnyCard::Mem(Box::new(card)))
            }
        }
    }
}

impl Transport for AnyCard {
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        match self {
            AnyCard::Dir(c) => c.transmit(apdu),
            AnyCard::Mem(c) => c.transmit(apdu),
        }
    }
}

/// A transport that remembers every exchange.
pub(crate) struct Recorder<T> {
    pub(crate) inner: T,
    pub(crate) log: Vec<(Vec<u8>, Vec<u8>)>,
}

impl<T: Transport> Transport for Recorder<T> {
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        let r = self.inner.transmit(apdu);
        self.log.push((apdu.to_vec(), r.clone()));
        r
    }
}
