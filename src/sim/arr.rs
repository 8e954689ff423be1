//! Access rules in the expanded format (ISO/IEC 7816-4 §9.3, ETSI TS 102 221 §9.2.4): the
//! record of EF.ARR a file's `8B` security attribute names, read as a list of access-mode
//! data objects, each followed by the security conditions that grant it.
//!
//! ```text
//! AM_DO  80 01 am      am for an EF: b1 READ/SEARCH · b2 UPDATE/ERASE · b3 WRITE ·
//!                      b5 DEACTIVATE · b6 ACTIVATE · b7 TERMINATE (b8 = 0)
//!        84 nn ins…    the commands named by INS (e.g. 84 01 32 INCREASE)
//! SC_DO  90 00         always            97 00  never
//!        A4 {83 01 key-ref, [95 01 usage]}   that PIN verified (or disabled)
//!        A0 {SC_DO…}   any of them       AF {SC_DO…}  all of them
//! ```
//!
//! Several SC_DOs after one AM_DO are alternatives (ISO 7816-4: OR). An operation no AM_DO
//! names is never allowed. The EF.ARR is found by its FID from the file's directory upwards
//! (TS 102 221 §9.2.5: the current DF, then its parent, up to the MF).

use crate::asn1::tlv::first_tlv;

/// An operation on an EF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// READ BINARY / READ RECORD / SEARCH RECORD / RETRIEVE DATA (AM b1).
    Read,
    /// UPDATE BINARY / UPDATE RECORD / SET DATA (AM b2).
    Update,
    /// INCREASE: `84 … 32`, else the UPDATE bit.
    Increase,
}

impl Access {
    fn am_bit(self) -> u8 {
        match self {
            Access::Read => 0x01,
            Access::Update | Access::Increase => 0x02,
        }
    }

    fn ins(self) -> u8 {
        match self {
            Access::Read => 0xB0,
            Access::Update => 0xD6,
            Access::Increase => 0x32,
        }
    }
}

/// Whether `rule` (one EF.ARR record) grants `access`, with `pin(key_ref)` telling whether a
/// PIN's condition is fulfilled. Malformed rules grant nothing. No allocation: this runs
/// before every read and update.
pub fn allows(rule: &[u8], access: Access, pin: &dyn Fn(u8) -> bool) -> bool {
    if objects(rule).any(|o| o.is_none()) {
        return false;
    }
    let mut items = objects(rule).flatten().peekable();
    let mut granted_by_am: Option<bool> = None;
    while let Some((tag, value)) = items.next() {
        let names = match tag {
            0x80 => value.first().is_some_and(|am| am & 0x80 == 0 && am & access.am_bit() != 0),
            0x84 => value.contains(&access.ins()),
            _ => continue,
        };
        // The SC_DOs up to the next AM_DO.
        let mut any = false;
        while let Some((t, v)) = items.next_if(|(t, _)| !matches!(t, 0x80 | 0x84)) {
            any |= condition(t, v, pin);
        }
        if names {
            // The 84 form is the more specific: it wins when both name the command.
            if tag == 0x84 {
                return any;
            }
            granted_by_am.get_or_insert(any);
        }
    }
    granted_by_am.unwrap_or(false)
}

/// One SC_DO.
fn condition(tag: u32, value: &[u8], pin: &dyn Fn(u8) -> bool) -> bool {
    let well_formed = || objects(value).all(|o| o.is_some());
    match tag {
        0x90 => true,
        0x97 => false,
        0xA4 => {
            well_formed()
                && objects(value)
                    .flatten()
                    .find(|(t, _)| *t == 0x83)
                    .and_then(|(_, r)| r.first())
                    .is_some_and(|r| pin(*r))
        }
        0xA0 => well_formed() && objects(value).flatten().any(|(t, x)| condition(t, x, pin)),
        0xAF => {
            well_formed()
                && objects(value).next().is_some()
                && objects(value).flatten().all(|(t, x)| condition(t, x, pin))
        }
        _ => false,
    }
}

/// The BER-TLV objects of `b` in order, up to a record's `FF` padding; a malformed one is
/// `None` (and ends the walk).
fn objects(b: &[u8]) -> impl Iterator<Item = Option<(u32, &[u8])>> {
    let mut rest = b;
    core::iter::from_fn(move || {
        if rest.first().is_none_or(|f| *f == 0xFF) {
            return None;
        }
        match first_tlv(rest) {
            Some((tag, value, size)) => {
                rest = rest.get(size..).unwrap_or(&[]);
                Some(Some((tag, value)))
            }
            None => {
                rest = &[];
                Some(None)
            }
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn hex(s: &str) -> alloc::vec::Vec<u8> {
        let s: alloc::vec::Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
        s.chunks(2).map(|c| u8::from_str_radix(core::str::from_utf8(c).unwrap(), 16).unwrap()).collect()
    }

    fn pin1(r: u8) -> bool {
        r == 0x01
    }

    #[test]
    fn expanded_rules() {
        // TS.48 EF.ARR record 1 style: read always, update with ADM1.
        let adm = hex("8001019000 800102A406830101950108 FFFF");
        let nothing = |_: u8| false;
        assert!(allows(&adm, Access::Read, &nothing));
        assert!(!allows(&adm, Access::Update, &nothing));
        assert!(allows(&adm, Access::Update, &pin1));
        // Read and update with PIN1 (AM 03), never deactivate.
        let rule = hex("800103A406830101950108 800118 9700");
        assert!(!allows(&rule, Access::Read, &nothing));
        assert!(allows(&rule, Access::Read, &pin1));
        assert!(allows(&rule, Access::Increase, &pin1), "INCREASE falls under UPDATE");
        // 84 names INCREASE: its conditions win over the UPDATE bit.
        let inc = hex("800103 9000 840132 9700");
        assert!(allows(&inc, Access::Update, &nothing));
        assert!(!allows(&inc, Access::Increase, &nothing));
        // OR and AND templates.
        let or = hex("800101 A010 A406830101950108 A406830181950108");
        assert!(allows(&or, Access::Read, &|r| r == 0x81));
        let and = hex("800101 AF10 A406830101950108 A406830181950108");
        assert!(!allows(&and, Access::Read, &|r| r == 0x81));
        assert!(allows(&and, Access::Read, &|r| r == 0x81 || r == 0x01));
        // Two SC_DOs after one AM_DO are alternatives.
        let alt = hex("800101 A406830101950108 A40683010A950108");
        assert!(allows(&alt, Access::Read, &|r| r == 0x0A));
        // Never, nothing named, and garbage.
        assert!(!allows(&hex("8001019700"), Access::Read, &pin1));
        assert!(!allows(&hex("8001029000"), Access::Read, &pin1));
        assert!(!allows(&hex("800481"), Access::Read, &pin1));
        assert!(!allows(&hex(""), Access::Read, &pin1));
        assert!(!allows(&hex("A4"), Access::Read, &pin1));
        assert!(!allows(&hex("800181 9000"), Access::Read, &pin1), "b8 set: not an EF access mode");
    }
}
