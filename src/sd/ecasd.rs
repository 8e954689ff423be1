//! ECASD, the eUICC Controlling Authority Security Domain (SGP.22 v2.5 §2.2.2): it holds the
//! eUICC's credentials. Selectable; it answers no command (`6D00`), and has no files (`6A82`).

use crate::apdu::{Result, Status};
use crate::app::{App, Command, Ctx, Power, Selection};
use crate::config::Aid;
use crate::platform::Platform;
use alloc::vec::Vec;

/// ECASD AID (SGP.02 Annex H): `A0000005591010FFFFFFFF8900000200`.
pub const ECASD_AID: [u8; 16] =
    [0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x02, 0x00];

/// The ECASD application (no state).
#[derive(Debug, Default, Clone, Copy)]
pub struct Ecasd;

impl<P: Platform> App<P> for Ecasd {
    fn aid(&self) -> Aid {
        Aid::from_array(ECASD_AID)
    }

    fn select(&mut self, _: Selection, command: &Command<'_>, _: &mut Ctx<'_, P>) -> Result<Vec<u8>> {
        Ok(if command.wants_fci() { super::fci(&ECASD_AID, &[]) } else { Vec::new() })
    }

    fn call(&mut self, _: Selection, command: &Command<'_>, _: &mut Ctx<'_, P>) -> Result<Vec<u8>> {
        Err(if command.is_select() { Status::NotFound } else { Status::InsNotSupported })
    }

    fn deselect(&mut self, _: Selection) {}

    fn power(&mut self, _: Power) {}
}
