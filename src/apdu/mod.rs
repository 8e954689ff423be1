//! ISO/IEC 7816-4 wire format: command APDUs, the class byte, status words.
//!
//! Spec: ISO/IEC 7816-4:2020 §5.1 (command-response pairs, cases 1–4, short and
//! extended length), §5.4.1 (class byte), §5.6 (status bytes); ETSI TS 102 221
//! §10.1.1 for the UICC coding of the class byte.
//!
//! **Contract** (smoltcp's `new_checked`): once [`CommandView::parse`] returns
//! `Ok`, no accessor panics, and [`CommandView::to_bytes`] gives back exactly the
//! bytes that were parsed (the short/extended form is kept).

mod status;

pub use status::{Result, Status};

use alloc::vec::Vec;

/// Largest Ne a short Le can ask for (`Le = 00`).
pub(crate) const SHORT_NE_MAX: usize = 256;
/// Largest Ne an extended Le can ask for (`Le = 00 00`).
pub(crate) const EXTENDED_NE_MAX: usize = 65_536;

/// The decoded class byte (ISO/IEC 7816-4 §5.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cla {
    /// The raw byte.
    pub raw: u8,
    /// Proprietary class (b8 = 1), e.g. GlobalPlatform `80`–`83`, `C0`–`CF`.
    pub proprietary: bool,
    /// Logical channel number, 0–19.
    pub channel: u8,
    /// Secure messaging indicated (any SM bit set).
    pub secure_messaging: bool,
    /// Command chaining bit (b5) set: not the last command of an ISO chain.
    pub chaining: bool,
    /// The GSM class `A0` (3GPP TS 51.011), which modems still send to a UICC for the
    /// GSM application: basic channel, no SM, no chaining; only the file system answers it.
    pub gsm: bool,
}

impl Cla {
    /// Decodes a class byte.
    ///
    /// * `0x00`–`0x1F` (and proprietary `0x80`–`0x9F`): first interindustry coding,
    ///   channels 0–3 in b2–b1, SM in b4–b3, chaining in b5.
    /// * `0x40`–`0x7F` (and proprietary `0xC0`–`0xFF` but `FF`): further interindustry
    ///   coding, channels 4–19 in b4–b1, SM in b6, chaining in b5.
    /// * `0xA0`: the GSM class (TS 51.011), on the basic channel ([`Cla::gsm`]).
    /// * `0x20`–`0x3F`, `0xA1`–`0xBF` (RFU) and `0xFF` (reserved for PPS): `6E00`.
    pub fn parse(raw: u8) -> Result<Cla> {
        if raw == 0xFF {
            return Err(Status::ClaNotSupported);
        }
        if raw == 0xA0 {
            return Ok(Cla {
                raw,
                proprietary: false,
                channel: 0,
                secure_messaging: false,
                chaining: false,
                gsm: true,
            });
        }
        let proprietary = raw & 0x80 != 0;
        let chaining = raw & 0x10 != 0;
        match raw & 0x60 {
            0x00 => Ok(Cla {
                raw,
                proprietary,
                channel: raw & 0x03,
                secure_messaging: raw & 0x0C != 0,
                chaining,
                gsm: false,
            }),
            0x40 | 0x60 => Ok(Cla {
                raw,
                proprietary,
                channel: 4 + (raw & 0x0F),
                secure_messaging: raw & 0x20 != 0,
                chaining,
                gsm: false,
            }),
            _ => Err(Status::ClaNotSupported),
        }
    }

    /// The class byte for `channel` (0–19) in the interindustry (`proprietary =
    /// false`) or GlobalPlatform proprietary coding, without SM or chaining.
    pub fn encode(channel: u8, proprietary: bool) -> Option<u8> {
        let base = if proprietary { 0x80 } else { 0x00 };
        match channel {
            0..=3 => Some(base | channel),
            4..=19 => Some(base | 0x40 | (channel - 4)),
            _ => None,
        }
    }
}

/// How the length fields of a command were coded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// Case 1: header only.
    One,
    /// Case 2: Le only.
    Two,
    /// Case 3: Lc and data.
    Three,
    /// Case 4: Lc, data and Le.
    Four,
}

/// A parsed command APDU borrowing its data field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandView<'a> {
    /// Class byte, decoded.
    pub cla: Cla,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data field (Nc bytes; empty in cases 1 and 2).
    pub data: &'a [u8],
    /// Ne, the maximum number of response bytes expected; `None` when Le is absent.
    pub ne: Option<usize>,
    /// Length fields were coded in extended form.
    pub extended: bool,
    /// The ISO case.
    pub case: Case,
}

impl<'a> CommandView<'a> {
    /// Parses a command APDU (ISO/IEC 7816-4 §5.1).
    ///
    /// Errors: fewer than 4 bytes or length fields that do not match the size
    /// → `6700`; invalid class → `6E00`; INS `6X`/`9X` (reserved for SW1) → `6D00`.
    pub fn parse(apdu: &'a [u8]) -> Result<CommandView<'a>> {
        let (header, body) = apdu.split_at_checked(4).ok_or(Status::WrongLength)?;
        let &[cla, ins, p1, p2] = header else {
            return Err(Status::WrongLength);
        };
        let cla = Cla::parse(cla)?;
        if ins & 0xF0 == 0x60 || ins & 0xF0 == 0x90 {
            return Err(Status::InsNotSupported);
        }
        let (data, ne, extended, case) = Self::parse_body(body)?;
        Ok(CommandView { cla, ins, p1, p2, data, ne, extended, case })
    }

    fn parse_body(body: &'a [u8]) -> Result<(&'a [u8], Option<usize>, bool, Case)> {
        let short_ne = |b: u8| if b == 0 { SHORT_NE_MAX } else { usize::from(b) };
        let ext_ne = |hi: u8, lo: u8| match u16::from_be_bytes([hi, lo]) {
            0 => EXTENDED_NE_MAX,
            n => usize::from(n),
        };
        match body {
            [] => Ok((&[], None, false, Case::One)),
            [le] => Ok((&[], Some(short_ne(*le)), false, Case::Two)),
            [0, hi, lo] => Ok((&[], Some(ext_ne(*hi, *lo)), true, Case::Two)),
            [0, hi, lo, rest @ ..] => {
                let nc = usize::from(u16::from_be_bytes([*hi, *lo]));
                if nc == 0 {
                    return Err(Status::WrongLength);
                }
                match (rest.get(..nc), rest.len().checked_sub(nc)) {
                    (Some(data), Some(0)) => Ok((data, None, true, Case::Three)),
                    (Some(data), Some(2)) => {
                        let [hi, lo] = [rest.get(nc).copied(), rest.get(nc + 1).copied()];
                        match (hi, lo) {
                            (Some(hi), Some(lo)) => Ok((data, Some(ext_ne(hi, lo)), true, Case::Four)),
                            _ => Err(Status::WrongLength),
                        }
                    }
                    _ => Err(Status::WrongLength),
                }
            }
            [lc, rest @ ..] => {
                // lc != 0 here: a leading 00 with fewer than 3 bytes is invalid.
                let nc = usize::from(*lc);
                if nc == 0 {
                    return Err(Status::WrongLength);
                }
                match (rest.get(..nc), rest.len().checked_sub(nc)) {
                    (Some(data), Some(0)) => Ok((data, None, false, Case::Three)),
                    (Some(data), Some(1)) => match rest.get(nc) {
                        Some(le) => Ok((data, Some(short_ne(*le)), false, Case::Four)),
                        None => Err(Status::WrongLength),
                    },
                    _ => Err(Status::WrongLength),
                }
            }
        }
    }

    /// The logical channel the command was sent on.
    pub fn channel(&self) -> u8 {
        self.cla.channel
    }

    /// Encodes the command back into bytes, in the form it was parsed from.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 3 + self.data.len() + 2);
        out.extend_from_slice(&[self.cla.raw, self.ins, self.p1, self.p2]);
        let nc = self.data.len();
        // Lengths come from a successful parse, so they fit their fields;
        // `to_be_bytes` of the truncating casts is still checked below.
        let le_short = |ne: usize| u8::try_from(ne % SHORT_NE_MAX).unwrap_or(0);
        let le_ext = |ne: usize| u16::try_from(ne % EXTENDED_NE_MAX).unwrap_or(0).to_be_bytes();
        let lc_short = u8::try_from(nc).unwrap_or(0);
        let lc_ext = u16::try_from(nc).unwrap_or(0).to_be_bytes();
        match (self.case, self.extended) {
            (Case::One, _) => {}
            (Case::Two, false) => out.push(le_short(self.ne.unwrap_or(0))),
            (Case::Two, true) => {
                out.push(0);
                out.extend_from_slice(&le_ext(self.ne.unwrap_or(0)));
            }
            (Case::Three, false) => {
                out.push(lc_short);
                out.extend_from_slice(self.data);
            }
            (Case::Three, true) => {
                out.push(0);
                out.extend_from_slice(&lc_ext);
                out.extend_from_slice(self.data);
            }
            (Case::Four, false) => {
                out.push(lc_short);
                out.extend_from_slice(self.data);
                out.push(le_short(self.ne.unwrap_or(0)));
            }
            (Case::Four, true) => {
                out.push(0);
                out.extend_from_slice(&lc_ext);
                out.extend_from_slice(self.data);
                out.extend_from_slice(&le_ext(self.ne.unwrap_or(0)));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    fn parse(bytes: &[u8]) -> Result<CommandView<'_>> {
        CommandView::parse(bytes)
    }

    #[test]
    fn case1() {
        let c = parse(&[0x00, 0x70, 0x80, 0x01]).unwrap();
        assert_eq!((c.case, c.ne, c.data.len()), (Case::One, None, 0));
    }

    #[test]
    fn case2_short_and_extended() {
        let c = parse(&[0x00, 0xC0, 0x00, 0x00, 0x00]).unwrap();
        assert_eq!((c.case, c.ne, c.extended), (Case::Two, Some(256), false));
        let c = parse(&[0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00]).unwrap();
        assert_eq!((c.case, c.ne, c.extended), (Case::Two, Some(65_536), true));
        let c = parse(&[0x00, 0xC0, 0x00, 0x00, 0x00, 0x01, 0x2C]).unwrap();
        assert_eq!(c.ne, Some(300));
    }

    #[test]
    fn case3_and_4_short() {
        let c = parse(&[0x80, 0xE2, 0x91, 0x00, 0x03, 0xBF, 0x2E, 0x00]).unwrap();
        assert_eq!((c.case, c.data, c.ne), (Case::Three, &[0xBF, 0x2E, 0x00][..], None));
        let c = parse(&[0x80, 0xE2, 0x91, 0x00, 0x03, 0xBF, 0x2E, 0x00, 0x00]).unwrap();
        assert_eq!((c.case, c.ne), (Case::Four, Some(256)));
    }

    #[test]
    fn case3_and_4_extended() {
        let mut apdu = vec![0x80, 0xE2, 0x91, 0x00, 0x00, 0x01, 0x00];
        apdu.extend(core::iter::repeat_n(0xAA, 256));
        let c = parse(&apdu).unwrap();
        assert_eq!((c.case, c.data.len(), c.extended), (Case::Three, 256, true));
        apdu.extend([0x00, 0x00]);
        let c = parse(&apdu).unwrap();
        assert_eq!((c.case, c.ne), (Case::Four, Some(65_536)));
    }

    #[test]
    fn wrong_lengths() {
        for bad in [
            &[][..],
            &[0x00],
            &[0x00, 0xA4, 0x04],
            &[0x00, 0xA4, 0x04, 0x00, 0x02, 0xAA], // Lc says 2, 1 byte follows
            &[0x00, 0xA4, 0x04, 0x00, 0x01, 0xAA, 0x00, 0x00], // 2 trailing bytes
            &[0x00, 0xA4, 0x04, 0x00, 0x00, 0x00], // 00 + one byte
            &[0x00, 0xA4, 0x04, 0x00, 0x00, 0x00, 0x00, 0xAA], // extended Lc = 0
            &[0x00, 0xA4, 0x04, 0x00, 0x00, 0x00, 0x02, 0xAA], // extended, short data
        ] {
            assert_eq!(parse(bad), Err(Status::WrongLength), "{bad:02X?}");
        }
    }

    #[test]
    fn class_bytes() {
        assert_eq!(Cla::parse(0x03).unwrap().channel, 3);
        assert_eq!(Cla::parse(0x83).unwrap().channel, 3);
        assert!(Cla::parse(0x83).unwrap().proprietary);
        assert_eq!(Cla::parse(0x40).unwrap().channel, 4);
        assert_eq!(Cla::parse(0x4F).unwrap().channel, 19);
        assert_eq!(Cla::parse(0xCF).unwrap().channel, 19);
        assert!(Cla::parse(0x0C).unwrap().secure_messaging);
        assert!(Cla::parse(0x64).unwrap().secure_messaging);
        assert!(Cla::parse(0x10).unwrap().chaining);
        for bad in [0x20, 0x3F, 0xA1, 0xBF, 0xFF] {
            assert_eq!(Cla::parse(bad), Err(Status::ClaNotSupported), "{bad:02X}");
        }
        for ch in 0..20 {
            for prop in [false, true] {
                let raw = Cla::encode(ch, prop).unwrap();
                let cla = Cla::parse(raw).unwrap();
                assert_eq!((cla.channel, cla.proprietary, cla.secure_messaging), (ch, prop, false));
            }
        }
        assert_eq!(Cla::encode(20, false), None);
    }

    #[test]
    fn reserved_ins() {
        assert_eq!(parse(&[0x00, 0x61, 0, 0]), Err(Status::InsNotSupported));
        assert_eq!(parse(&[0x00, 0x9F, 0, 0]), Err(Status::InsNotSupported));
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(cmd) = CommandView::parse(&bytes) {
                prop_assert_eq!(cmd.to_bytes(), bytes);
            }
        }

        #[test]
        fn well_formed_short_commands_parse(
            header in any::<[u8; 4]>(),
            data in proptest::collection::vec(any::<u8>(), 1..=255),
            le in proptest::option::of(any::<u8>()),
        ) {
            let mut apdu = header.to_vec();
            apdu.push(data.len() as u8);
            apdu.extend(&data);
            apdu.extend(le);
            match CommandView::parse(&apdu) {
                Ok(cmd) => {
                    prop_assert_eq!(cmd.data, &data[..]);
                    prop_assert_eq!(cmd.ne, le.map(|b| if b == 0 { 256 } else { usize::from(b) }));
                }
                Err(sw) => prop_assert!(matches!(sw, Status::ClaNotSupported | Status::InsNotSupported)),
            }
        }
    }
}
