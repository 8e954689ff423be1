//! A card in a PC/SC reader (pcsc-lite, WinSCard) as a [`Transport`]: `veuicc conformance
//! --reader NAME`.
//!
//! APDUs go to the card as they are: T=0 or T=1, whichever the reader and the card agree
//! on; `61xx`, `6Cxx` and GET RESPONSE are left to the caller (the conformance checks test
//! how the card does them). A reader error is an empty response, and
//! [`Transport::last_error`] says what it was.

use crate::testkit::Transport;
use std::ffi::CString;
use std::string::{String, ToString};
use std::vec::Vec;

/// A connection to the card in one reader.
pub struct Reader {
    // Kept alive for `card`.
    _context: pcsc::Context,
    card: pcsc::Card,
    name: String,
    last_error: Option<String>,
}

impl core::fmt::Debug for Reader {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Reader").field("name", &self.name).finish_non_exhaustive()
    }
}

/// The names of the readers PC/SC knows.
pub fn readers() -> Result<Vec<String>, String> {
    let ctx = pcsc::Context::establish(pcsc::Scope::User).map_err(|e| std::format!("PC/SC: {e}"))?;
    let names = ctx.list_readers_owned().map_err(|e| std::format!("PC/SC: listing readers: {e}"))?;
    Ok(names.into_iter().map(|n| n.to_string_lossy().into_owned()).collect())
}

impl Reader {
    /// Connects (shared, T=0 or T=1) to the card in the reader named `name`: its full name,
    /// or a part of it that only one reader's name contains.
    pub fn connect(name: &str) -> Result<Reader, String> {
        let context = pcsc::Context::establish(pcsc::Scope::User).map_err(|e| std::format!("PC/SC: {e}"))?;
        let names: Vec<String> = match context.list_readers_owned() {
            Ok(names) => names.into_iter().map(|n| n.to_string_lossy().into_owned()).collect(),
            Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
            Err(e) => return Err(std::format!("PC/SC: listing readers: {e}")),
        };
        let full = match names.iter().find(|n| *n == name) {
            Some(n) => n.clone(),
            None => {
                let matching: Vec<&String> = names.iter().filter(|n| n.contains(name)).collect();
                match matching.as_slice() {
                    [one] => (*one).clone(),
                    [] => {
                        return Err(std::format!(
                            "no PC/SC reader {name:?}; readers: {}",
                            if names.is_empty() { "none".to_string() } else { names.join(", ") }
                        ));
                    }
                    many => {
                        let list: Vec<&str> = many.iter().map(|n| n.as_str()).collect();
                        return Err(std::format!("{name:?} names several readers: {}", list.join(", ")));
                    }
                }
            }
        };
        let cname = CString::new(full.clone()).map_err(|_| std::format!("{full:?}: not a reader name"))?;
        let card = context
            .connect(&cname, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
            .map_err(|e| std::format!("{full}: {e}"))?;
        Ok(Reader { _context: context, card, name: full, last_error: None })
    }

    /// The reader's full name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The card's ATR and the protocol in use (`T=0`, `T=1`), when the reader says.
    pub fn status(&self) -> Option<(Vec<u8>, &'static str)> {
        let status = self.card.status2_owned().ok()?;
        let protocol = match status.protocol2() {
            Some(pcsc::Protocol::T0) => "T=0",
            Some(pcsc::Protocol::T1) => "T=1",
            _ => "raw",
        };
        Some((status.atr().to_vec(), protocol))
    }

    /// Sends one APDU; the response data and status word.
    pub fn exchange(&mut self, apdu: &[u8]) -> Result<Vec<u8>, String> {
        let mut buf = std::vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        self.card.transmit(apdu, &mut buf).map(<[u8]>::to_vec).map_err(|e| std::format!("SCardTransmit: {e}"))
    }
}

impl Transport for Reader {
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        match self.exchange(apdu) {
            Ok(r) => {
                self.last_error = None;
                r
            }
            Err(e) => {
                self.last_error = Some(e);
                Vec::new()
            }
        }
    }

    fn last_error(&self) -> Option<String> {
        self.last_error.clone()
    }
}
