//! The card's one BER-TLV reader (X.690 §8.1, ISO/IEC 7816-4 §5.2) and the small builders
//! for hand-built templates (FCI, ISO/IEC 7816-4 §6.3).
//!
//! [`tag`] and [`length`] read one header field each and say whether it is in DER's minimal
//! form; [`header`] reads both. Each caller applies its own rule on top: the ES10 decoder
//! refuses non-minimal lengths ([`der_lengths_minimal`]), the SAIP reader wants strict DER,
//! the BPP stream readers take a header that is not complete yet as "wait for more".

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

/// Why a BER-TLV header could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The input ends inside the tag or the length (or, for [`next_tlv`], the value).
    Truncated,
    /// A tag of more than 3 bytes.
    BadTag,
    /// Indefinite length, or more length octets than the caller allows.
    BadLength,
}

/// A tag: its raw bytes packed into a `u32` (`BF3E` → `0xBF3E`, as [`super::outer_tag`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    /// The packed tag.
    pub tag: u32,
    /// Its length in bytes (1 to 3).
    pub size: usize,
    /// DER's minimal form (X.690 §8.1.2.4): a high tag number has no leading `80` byte and is ≥ 31.
    pub der: bool,
}

/// Reads the leading tag of `b` (at most 3 bytes).
pub fn tag(b: &[u8]) -> Result<Tag, Fault> {
    let (&first, rest) = b.split_first().ok_or(Fault::Truncated)?;
    let mut tag = u32::from(first);
    if first & 0x1F != 0x1F {
        return Ok(Tag { tag, size: 1, der: true });
    }
    let mut number = 0u32;
    for (i, &t) in rest.iter().enumerate() {
        if i >= 2 {
            return Err(Fault::BadTag);
        }
        tag = (tag << 8) | u32::from(t);
        number = (number << 7) | u32::from(t & 0x7F);
        if t & 0x80 == 0 {
            let leading_zero = rest.first() == Some(&0x80);
            return Ok(Tag { tag, size: i + 2, der: !leading_zero && number >= 31 });
        }
    }
    Err(Fault::Truncated)
}

/// A definite length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Length {
    /// The value's length.
    pub len: usize,
    /// The length field's size in bytes (1 for the short form).
    pub size: usize,
    /// DER's minimal form (X.690 §10.1): no long form below 128, no leading zero octet.
    pub der: bool,
}

/// Reads a definite length at the start of `b`, with at most `max_octets` long-form octets
/// (a first byte `80`, indefinite, or announcing more octets is [`Fault::BadLength`], checked
/// before the octets are looked for).
pub fn length(b: &[u8], max_octets: u8) -> Result<Length, Fault> {
    let (&first, rest) = b.split_first().ok_or(Fault::Truncated)?;
    match first {
        0..=0x7F => Ok(Length { len: usize::from(first), size: 1, der: true }),
        0x81..=0x84 if first & 0x7F <= max_octets => {
            let n = usize::from(first & 0x7F);
            let bytes = rest.get(..n).ok_or(Fault::Truncated)?;
            let len = bytes.iter().try_fold(0usize, |a, &x| a.checked_mul(256).map(|a| a | usize::from(x)));
            let len = len.ok_or(Fault::BadLength)?;
            let der = bytes.first().is_some_and(|&x| x != 0) && (n > 1 || len >= 0x80);
            Ok(Length { len, size: 1 + n, der })
        }
        _ => Err(Fault::BadLength),
    }
}

/// A TLV header: its tag and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The tag.
    pub tag: Tag,
    /// The length.
    pub length: Length,
}

impl Header {
    /// The header's size in bytes (tag and length fields).
    pub fn size(&self) -> usize {
        self.tag.size + self.length.size
    }

    /// The value's length.
    pub fn len(&self) -> usize {
        self.length.len
    }

    /// True for an empty value.
    pub fn is_empty(&self) -> bool {
        self.length.len == 0
    }

    /// The whole TLV's size, if it fits a `usize`.
    pub fn total(&self) -> Option<usize> {
        self.size().checked_add(self.length.len)
    }
}

/// Reads the header at the start of `b` (the value need not be there yet).
pub fn header(b: &[u8], max_len_octets: u8) -> Result<Header, Fault> {
    let tag = tag(b)?;
    let length = length(b.get(tag.size..).unwrap_or_default(), max_len_octets)?;
    Ok(Header { tag, length })
}

/// Splits a sequence of BER tags (as in a `tagList`) into raw tags packed as `u32`.
/// `None` if a tag is truncated or longer than 3 bytes.
pub(crate) fn split_tags(mut list: &[u8]) -> Option<Vec<u32>> {
    let mut tags = Vec::new();
    while !list.is_empty() {
        let t = tag(list).ok()?;
        tags.push(t.tag);
        list = list.get(t.size..)?;
    }
    Some(tags)
}

/// The first TLV of `b` (definite length, up to 3 length bytes) and what follows it.
pub fn next_tlv(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = header(b, 3).ok()?.total()?;
    Some((b.get(..end)?, b.get(end..)?))
}

/// Whether every length in the TLV tree of `b` (one or more TLVs, nested into constructed
/// ones, at most `depth` levels) is in DER's minimal definite form (X.690 §10.1, §8.1.3.5):
/// no indefinite length, no long form for lengths below 128, no leading zero length octets.
/// rasn's DER decoder accepts `84 00 00 00 03`; the card must refuse it (`6A80`).
pub(crate) fn der_lengths_minimal(mut b: &[u8], depth: u8) -> bool {
    while !b.is_empty() {
        let Ok(h) = header(b, 4) else { return false };
        if !h.length.der {
            return false;
        }
        let Some(value) = h.total().and_then(|end| b.get(h.size()..end)) else { return false };
        let constructed = b.first().is_some_and(|&t| t & 0x20 != 0);
        if constructed && (depth == 0 || !der_lengths_minimal(value, depth - 1)) {
            return false;
        }
        b = b.get(h.size() + h.len()..).unwrap_or_default();
    }
    true
}

/// The leading TLV of `b`: its tag, its value and its whole size (lengths of up to 3 octets).
pub fn first_tlv(b: &[u8]) -> Option<(u32, &[u8], usize)> {
    let h = header(b, 3).ok()?;
    let total = h.total()?;
    Some((h.tag.tag, b.get(h.size()..total)?, total))
}

/// The tag and value of a single TLV filling `b` exactly.
pub fn split_tlv(b: &[u8]) -> Option<(u32, &[u8])> {
    let h = header(b, 3).ok()?;
    if h.total()? != b.len() {
        return None;
    }
    Some((h.tag.tag, b.get(h.size()..)?))
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
