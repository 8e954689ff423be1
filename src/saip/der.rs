//! A strict DER header reader for the outer TLV of each profile element (X.690 §8.1, §10.1).
//!
//! Stricter than [`crate::asn1::tlv::next_tlv`]: it rejects the indefinite form, non-minimal
//! lengths and non-minimal high tag numbers, because a profile package is DER
//! (TCA SAIP: profile elements are DER-encoded; usim-saip.md §1).

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

/// Reads the first TLV of `b`; returns it and what follows.
pub(crate) fn read(b: &[u8]) -> Result<(Tlv<'_>, &[u8]), Fault> {
    let (&first, mut rest) = b.split_first().ok_or(Fault::Truncated)?;
    let mut tag = u32::from(first);
    if first & 0x1F == 0x1F {
        // X.690 §8.1.2.4: base-128 tag number, no leading 0x80 byte, and only for numbers ≥ 31.
        let mut number = 0u32;
        for i in 0.. {
            let (&t, r) = rest.split_first().ok_or(Fault::Truncated)?;
            rest = r;
            if i >= 2 || (i == 0 && t == 0x80) {
                return Err(Fault::BadTag);
            }
            tag = (tag << 8) | u32::from(t);
            number = (number << 7) | u32::from(t & 0x7F);
            if t & 0x80 == 0 {
                break;
            }
        }
        if number < 31 {
            return Err(Fault::BadTag);
        }
    }
    let (&l0, mut rest) = rest.split_first().ok_or(Fault::Truncated)?;
    let len = match l0 {
        0..=0x7F => usize::from(l0),
        0x81..=0x84 => {
            let n = usize::from(l0 & 0x7F);
            let bytes = rest.get(..n).ok_or(Fault::Truncated)?;
            rest = rest.get(n..).ok_or(Fault::Truncated)?;
            // X.690 §10.1: the minimum number of length octets.
            if bytes.first() == Some(&0) {
                return Err(Fault::BadLength);
            }
            let len = bytes.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x));
            if len < 0x80 {
                return Err(Fault::BadLength);
            }
            usize::try_from(len).map_err(|_| Fault::Truncated)?
        }
        // 0x80: indefinite form (not DER); 0x85..: more than 4 GiB.
        _ => return Err(Fault::BadLength),
    };
    let header = b.len() - rest.len();
    let value = rest.get(..len).ok_or(Fault::Truncated)?;
    let end = header.checked_add(len).ok_or(Fault::Truncated)?;
    let raw = b.get(..end).ok_or(Fault::Truncated)?;
    let after = b.get(end..).ok_or(Fault::Truncated)?;
    Ok((Tlv { tag, value, raw }, after))
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
