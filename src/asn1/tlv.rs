//! Minimal BER-TLV building for the few hand-built templates (FCI), ISO/IEC 7816-4 §6.3.

use alloc::vec::Vec;

/// Appends the BER length of `len` to `out` (definite form, short or long).
pub fn push_len(out: &mut Vec<u8>, len: usize) {
    let bytes = (len as u64).to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    let significant = bytes.get(skip..).unwrap_or_default();
    match u8::try_from(len) {
        Ok(short) if short < 0x80 => out.push(short),
        _ => {
            // At most 8 length bytes: the count fits the low bits of the first byte.
            out.push(0x80 | u8::try_from(significant.len()).unwrap_or(8));
            out.extend_from_slice(significant);
        }
    }
}

/// One TLV: `tag ‖ length ‖ value`.
pub fn tlv(tag: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(tag.len() + 4 + value.len());
    out.extend_from_slice(tag);
    push_len(&mut out, value.len());
    out.extend_from_slice(value);
    out
}

/// Splits a sequence of BER tags (as in a `tagList`) into raw tags packed as `u32`.
/// `None` if a tag is truncated or longer than 3 bytes.
pub fn split_tags(mut list: &[u8]) -> Option<Vec<u32>> {
    let mut tags = Vec::new();
    while !list.is_empty() {
        let tag = super::outer_tag(list)?;
        let n = tag_len(tag);
        tags.push(tag);
        list = list.get(n..)?;
    }
    Some(tags)
}

/// The first TLV of `b` (definite length, up to 3 length bytes) and what follows it.
pub fn next_tlv(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let tag = super::outer_tag(b)?;
    let tl = tag_len(tag);
    let first = *b.get(tl)?;
    let (len, hdr) = match first {
        0..=0x7F => (usize::from(first), tl + 1),
        0x81..=0x83 => {
            let n = usize::from(first & 0x7F);
            let bytes = b.get(tl + 1..tl + 1 + n)?;
            (bytes.iter().fold(0usize, |a, &x| (a << 8) | usize::from(x)), tl + 1 + n)
        }
        _ => return None,
    };
    let end = hdr.checked_add(len)?;
    Some((b.get(..end)?, b.get(end..)?))
}

/// Whether every length in the TLV tree of `b` (one or more TLVs, nested into constructed
/// ones, at most `depth` levels) is in DER's minimal definite form (X.690 §10.1, §8.1.3.5):
/// no indefinite length, no long form for lengths below 128, no leading zero length octets.
/// rasn's DER decoder accepts `84 00 00 00 03`; the card must refuse it (`6A80`).
pub fn der_lengths_minimal(mut b: &[u8], depth: u8) -> bool {
    while !b.is_empty() {
        let Some(tag) = super::outer_tag(b) else { return false };
        let tl = tag_len(tag);
        let Some(&first) = b.get(tl) else { return false };
        let (len, hdr) = match first {
            0..=0x7F => (usize::from(first), tl + 1),
            0x81..=0x84 => {
                let n = usize::from(first & 0x7F);
                let Some(bytes) = b.get(tl + 1..tl + 1 + n) else { return false };
                let len = bytes.iter().fold(0usize, |a, &x| (a << 8) | usize::from(x));
                let minimal = bytes.first().is_some_and(|&x| x != 0) && (n > 1 || len >= 0x80);
                if !minimal {
                    return false;
                }
                (len, tl + 1 + n)
            }
            _ => return false,
        };
        let Some(value) = hdr.checked_add(len).and_then(|end| b.get(hdr..end)) else { return false };
        let constructed = b.first().is_some_and(|&t| t & 0x20 != 0);
        if constructed && (depth == 0 || !der_lengths_minimal(value, depth - 1)) {
            return false;
        }
        b = b.get(hdr + len..).unwrap_or_default();
    }
    true
}

/// The tag and value of a single TLV filling `b` exactly.
pub fn split_tlv(b: &[u8]) -> Option<(u32, &[u8])> {
    let (whole, rest) = next_tlv(b)?;
    if !rest.is_empty() {
        return None;
    }
    let tag = super::outer_tag(whole)?;
    let tl = tag_len(tag);
    let hdr = match whole.get(tl)? {
        0..=0x7F => tl + 1,
        n => tl + 1 + usize::from(n & 0x7F),
    };
    Some((tag, whole.get(hdr..)?))
}

/// Number of bytes of a raw tag packed by [`super::outer_tag`].
pub fn tag_len(tag: u32) -> usize {
    match tag {
        0..=0xFF => 1,
        0x100..=0xFFFF => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_lengths() {
        assert!(der_lengths_minimal(&[0xBF, 0x2D, 0x03, 0x5C, 0x01, 0x5A], 4));
        assert!(der_lengths_minimal(&[0x04, 0x81, 0x80].iter().copied().chain([0; 128]).collect::<Vec<_>>(), 1));
        // Long forms that DER forbids, outer and nested; indefinite; truncated.
        assert!(!der_lengths_minimal(&[0xBF, 0x2D, 0x84, 0, 0, 0, 3, 0x5C, 0x01, 0x5A], 4));
        assert!(!der_lengths_minimal(&[0xBF, 0x2D, 0x81, 0x03, 0x5C, 0x01, 0x5A], 4));
        assert!(!der_lengths_minimal(&[0xBF, 0x2D, 0x04, 0x5C, 0x81, 0x01, 0x5A], 4));
        assert!(!der_lengths_minimal(&[0x04, 0x82, 0x00, 0x81], 1));
        assert!(!der_lengths_minimal(&[0x30, 0x80, 0x00, 0x00], 1));
        assert!(!der_lengths_minimal(&[0x30, 0x03, 0x04, 0x05], 1));
        // Nesting deeper than allowed is refused, not recursed into.
        assert!(!der_lengths_minimal(&[0x30, 0x02, 0x30, 0x00], 0));
    }

    #[test]
    fn lengths() {
        assert_eq!(tlv(&[0x84], &[1, 2]), [0x84, 2, 1, 2]);
        let mut out = Vec::new();
        push_len(&mut out, 0x7F);
        push_len(&mut out, 0x80);
        push_len(&mut out, 0x1234);
        assert_eq!(out, [0x7F, 0x81, 0x80, 0x82, 0x12, 0x34]);
        assert_eq!(split_tags(&[0x5A, 0x4F, 0x9F, 0x70]), Some(alloc::vec![0x5A, 0x4F, 0x9F70]));
        assert_eq!(split_tags(&[0x5A, 0x9F]), None);
    }
}
