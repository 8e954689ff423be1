//! A strict DER header reader for the outer TLV of each profile element (X.690 §8.1, §10.1).
//!
//! On top of [`crate::asn1::tlv`] (the card's one BER-TLV reader), stricter than
//! [`crate::asn1::tlv::next_tlv`]: it rejects the indefinite form, non-minimal
//! lengths and non-minimal high tag numbers, because a profile package is DER
//! (TCA SAIP: profile elements are DER-encoded; usim-saip.md §1).

use crate::asn1::tlv;

/// Why a TLV header is not DER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// The input ends inside the tag, the length or the value.
    Truncated,
    /// A high tag number that is not minimal or longer than 3 tag bytes.
    BadTag,
    /// Indefinite length, a non-minimal length or more than 4 length bytes.
    BadLength,
}

/// One TLV: the tag packed as in [`crate::asn1::outer_tag`] (`BF1F` → `0xBF1F`), the value and the whole TLV.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    pub(crate) tag: u32,
    pub(crate) value: &'a [u8],
    pub(crate) raw: &'a [u8],
}

/// Reads the first TLV of `b`; returns it and what follows. The header is read by
/// [`crate::asn1::tlv`], the card's one BER-TLV reader; DER is required on top.
pub(crate) fn read(b: &[u8]) -> Result<(Tlv<'_>, &[u8]), Fault> {
    // X.690 §8.1.2.4: a high tag number with a leading 0x80 byte is refused as soon as it is seen.
    if b.first().is_some_and(|&t| t & 0x1F == 0x1F) && b.get(1) == Some(&0x80) {
        return Err(Fault::BadTag);
    }
    let tag = tlv::tag(b).map_err(fault)?;
    if !tag.der {
        return Err(Fault::BadTag);
    }
    let length = tlv::length(b.get(tag.size..).unwrap_or_default(), 4).map_err(fault)?;
    // X.690 §10.1: the minimum number of length octets.
    if !length.der {
        return Err(Fault::BadLength);
    }
    let header = tag.size + length.size;
    let end = header.checked_add(length.len).ok_or(Fault::Truncated)?;
    let value = b.get(header..end).ok_or(Fault::Truncated)?;
    let raw = b.get(..end).ok_or(Fault::Truncated)?;
    let after = b.get(end..).ok_or(Fault::Truncated)?;
    Ok((Tlv { tag: tag.tag, value, raw }, after))
}

fn fault(f: tlv::Fault) -> Fault {
    match f {
        tlv::Fault::Truncated => Fault::Truncated,
        tlv::Fault::BadTag => Fault::BadTag,
        tlv::Fault::BadLength => Fault::BadLength,
    }
}

/// A DER INTEGER value (X.690 §8.3) that is non-negative and at most `u16::MAX`.
pub(crate) fn uint16(value: &[u8]) -> Option<u16> {
    match value {
        [b] if *b < 0x80 => Some(u16::from(*b)),
        [0, b] if *b >= 0x80 => Some(u16::from(*b)),
        [a, b] if *a != 0 && *a < 0x80 => Some(u16::from_be_bytes([*a, *b])),
        [0, a, b] if *a >= 0x80 => Some(u16::from_be_bytes([*a, *b])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        let (t, rest) = read(&[0xA0, 0x02, 0x80, 0x00, 0xAA]).unwrap();
        assert_eq!((t.tag, t.value, rest), (0xA0, &[0x80, 0x00][..], &[0xAA][..]));
        let (t, _) = read(&[0xBF, 0x1F, 0x00]).unwrap();
        assert_eq!(t.tag, 0xBF1F);
        let mut long = alloc::vec![0x30, 0x81, 0x80];
        long.extend([0u8; 0x80]);
        assert_eq!(read(&long).unwrap().0.value.len(), 0x80);
        assert_eq!(read(&[0x30, 0x81, 0x05, 0, 0, 0, 0, 0]).unwrap_err(), Fault::BadLength);
        assert_eq!(read(&[0x30, 0x82, 0x00, 0x80]).unwrap_err(), Fault::BadLength);
        assert_eq!(read(&[0x30, 0x80, 0x00, 0x00]).unwrap_err(), Fault::BadLength);
        assert_eq!(read(&[0x30, 0x03, 0x00]).unwrap_err(), Fault::Truncated);
        assert_eq!(read(&[0xBF, 0x05, 0x00]).unwrap_err(), Fault::BadTag);
        assert_eq!(read(&[0xBF, 0x80, 0x20, 0x00]).unwrap_err(), Fault::BadTag);
        assert_eq!(read(&[0xBF, 0x81, 0x81, 0x01, 0x00]).unwrap_err(), Fault::BadTag);
        assert_eq!(read(&[0xBF]).unwrap_err(), Fault::Truncated);
        assert_eq!(read(&[]).unwrap_err(), Fault::Truncated);
    }

    #[test]
    fn integers() {
        assert_eq!(uint16(&[0x05]), Some(5));
        assert_eq!(uint16(&[0x00, 0x80]), Some(128));
        assert_eq!(uint16(&[0x7F, 0xFF]), Some(0x7FFF));
        assert_eq!(uint16(&[0x00, 0x80, 0x00]), Some(0x8000));
        assert_eq!(uint16(&[0x00, 0x05]), None);
        assert_eq!(uint16(&[0x80]), None);
        assert_eq!(uint16(&[]), None);
    }
}
