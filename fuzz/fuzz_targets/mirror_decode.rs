//! The mirror decoders (`src/mirror/asn.rs`, `src/mirror/mod.rs`, `src/mirror/record.rs`) on
//! any bytes.
//!
//! Input: `selector, der…`. `selector % 26` picks the decoder: 0 every request through
//! `MirrorCommand::decode` (`FF40` … `FF4D`); 1–14 the fourteen responses, `FF40` … `FF4D` in
//! order; 15 `SignedMirrorToken`; 16 `SignedMirrorRequest`; 17 `SignedMirrorLinkUpdate`;
//! 18 `MirrorPolicy`; 19 `MirrorLink`; 20 `MirrorProfileInfo`; 21 `MirrorToken`;
//! 22 `MirrorLinkUpdate`; 23 `mirror::policy_of` on a `VendorSpecificExtension` list; 24 the
//! record `MirrorRecord`; 25 its `MirrorEntry` and `InstanceRecord`.
//!
//! Properties: no decoder panics. Whatever decodes re-encodes (encoding never fails on a
//! decoded value), the re-encoding decodes to an equal value, and encoding that value gives the
//! same bytes again (the encoding is a function of the value). When every length in the input
//! is minimal DER (always so for `MirrorCommand::decode`, which refuses any other), the
//! re-encoding is the input byte for byte but for the non-canonical forms rasn's DER decoder
//! accepts although X.690 forbids them — the constructed bit, non-zero unused bits of a BIT
//! STRING, redundant leading zeros of an INTEGER (see `same_but_lenient`): there only the
//! values are compared. `policy_of`: an `Ok(Some(policy))` has a non-zero validity and
//! re-authentication interval and services within the first eight bits, and the entry
//! `policy_entry` makes for it, alone in a list, gives the same policy back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rasn::{Decode, Encode};
use std::fmt::Debug;
use veuicc::mirror::asn::*;
use veuicc::mirror::record::{InstanceRecord, MirrorEntry, MirrorRecord};
use veuicc::mirror::{policy_entry, policy_of};

/// One TLV: the tag's octets (the constructed bit of the first cleared), whether it is
/// constructed, the content, and the rest of `b`. `None` unless the tag is in its shortest
/// form and the length definite and minimal (X.690 §8.1.2, §10.1).
fn tlv(b: &[u8]) -> Option<(Vec<u8>, bool, &[u8], &[u8])> {
    let first = *b.first()?;
    let mut i = 1;
    if first & 0x1F == 0x1F {
        if *b.get(1)? == 0x80 {
            return None;
        }
        loop {
            let t = *b.get(i)?;
            i += 1;
            if t & 0x80 == 0 {
                break;
            }
            if i > 5 {
                return None;
            }
        }
    }
    let mut tag = b[..i].to_vec();
    tag[0] &= !0x20;
    let l0 = *b.get(i)?;
    i += 1;
    let len = if l0 < 0x80 {
        usize::from(l0)
    } else {
        let n = usize::from(l0 & 0x7F);
        if n == 0 || n > 4 {
            return None;
        }
        let octets = b.get(i..i + n)?;
        i += n;
        if octets[0] == 0 {
            return None;
        }
        let len = octets.iter().fold(0usize, |acc, &o| acc << 8 | usize::from(o));
        if len < 0x80 {
            return None;
        }
        len
    };
    let content = b.get(i..i.checked_add(len)?)?;
    Some((tag, first & 0x20 != 0, content, &b[i + len..]))
}

/// Whether the input `a` is the re-encoding `b` but for the forms rasn's DER decoder accepts
/// although X.690 forbids them — the only differences tolerated:
/// * the constructed bit of a tag: rasn ignores it, reading an explicit tag or a SEQUENCE
///   sent primitive as TLVs and an INTEGER or OCTET STRING sent constructed as content octets
///   (X.690 §8.14.3, §8.9.1, §8.3.1, §10.2 fix it).
/// * a BIT STRING whose unused bits are not zero (X.690 §11.2.1): rasn drops them. Tolerated
///   on any primitive leaf whose content is the re-encoding's but for the low `u` bits of
///   the last octet, `u` (1–7) being the first content octet of both.
/// * an INTEGER with redundant leading zero octets (X.690 §8.3.2): rasn reads the value.
///   Tolerated on any primitive leaf that is the re-encoding's content after zero octets.
///
/// Every length in `a` must be minimal (a TLV that is not, or trailing bytes: `false`).
fn same_but_lenient(mut a: &[u8], mut b: &[u8], depth: u8) -> bool {
    while !b.is_empty() {
        let (Some((ta, _, ca, ra)), Some((tb, cb, cb_content, rb))) = (tlv(a), tlv(b)) else { return false };
        if ta != tb {
            return false;
        }
        let same = if cb {
            depth > 0 && same_but_lenient(ca, cb_content, depth - 1)
        } else {
            ca == cb_content || unused_bits_differ(ca, cb_content) || leading_zeros(ca, cb_content)
        };
        if !same {
            return false;
        }
        (a, b) = (ra, rb);
    }
    a.is_empty()
}

/// Whether `a` and `b` are one BIT STRING's content but for its unused bits.
fn unused_bits_differ(a: &[u8], b: &[u8]) -> bool {
    let (Some((&la, ha)), Some((&lb, hb))) = (a.split_last(), b.split_last()) else { return false };
    let u = b[0];
    a.len() >= 2
        && a.len() == b.len()
        && a[0] == u
        && (1..=7).contains(&u)
        && ha == hb
        && la >> u == lb >> u
        && lb & ((1 << u) - 1) == 0
}

/// Whether `a` is `b` after redundant zero octets (`b` a minimal INTEGER's content).
fn leading_zeros(a: &[u8], b: &[u8]) -> bool {
    a.len() > b.len() && !b.is_empty() && a[..a.len() - b.len()].iter().all(|&z| z == 0) && a.ends_with(b)
}

/// One TLV read leniently (any definite length form): whether its length is minimal, its
/// content and the rest of `b`.
fn lenient_tlv(b: &[u8]) -> Option<(bool, &[u8], &[u8])> {
    let mut i = 1;
    // The high-tag-number form is minimal only for a number of 31 or more with no leading
    // zero group (X.690 §8.1.2.4): rasn also takes `9F 00` for [0].
    let mut tag_minimal = true;
    if b.first()? & 0x1F == 0x1F {
        let mut number = 0u64;
        tag_minimal = *b.get(1)? != 0x80;
        while b.get(i)? & 0x80 != 0 {
            number = number.saturating_mul(128).saturating_add(u64::from(b[i] & 0x7F));
            i += 1;
        }
        number = number.saturating_mul(128).saturating_add(u64::from(b[i] & 0x7F));
        tag_minimal &= number >= 31;
        i += 1;
    }
    let l0 = *b.get(i)?;
    i += 1;
    let (len, minimal) = if l0 < 0x80 {
        (usize::from(l0), true)
    } else {
        let n = usize::from(l0 & 0x7F);
        let octets = b.get(i..i + n).filter(|o| (1..=4).contains(&o.len()))?;
        i += n;
        let len = octets.iter().fold(0usize, |acc, &o| acc << 8 | usize::from(o));
        (len, octets[0] != 0 && len >= 0x80)
    };
    let content = b.get(i..i.checked_add(len)?)?;
    Some((minimal && tag_minimal, content, &b[i + len..]))
}

/// Whether `b`, read as TLVs to `depth` levels, has a tag or length that is not minimal DER. rasn
/// ignores the constructed bit, so the content of every TLV that parses as TLVs is walked,
/// primitive or not (an OCTET STRING holding such bytes is then not checked byte for byte:
/// a lost check, never a false alarm).
fn has_lax_length(mut b: &[u8], depth: u8) -> bool {
    while !b.is_empty() {
        let Some((minimal, content, rest)) = lenient_tlv(b) else { return false };
        if !minimal || (depth > 0 && has_lax_length(content, depth - 1)) {
            return true;
        }
        b = rest;
    }
    false
}

/// The re-encoding `der` of the input `data`: where the input's lengths are all minimal, it is
/// the same bytes but for the leniencies of [`same_but_lenient`]; where the tree is canonical
/// in every respect, byte for byte.
fn check_bytes<T: Debug>(data: &[u8], der: &[u8], v: &T) {
    if !has_lax_length(data, 16) {
        assert!(
            same_but_lenient(data, der, 16),
            "minimal DER re-encodes to other bytes: {v:?}\n{data:02X?}\n{der:02X?}"
        );
    }
}

fn roundtrip<T: Decode + Encode + PartialEq + Debug>(data: &[u8]) {
    let Ok(v) = rasn::der::decode::<T>(data) else { return };
    let der = rasn::der::encode(&v).expect("a decoded value encodes");
    let back = rasn::der::decode::<T>(&der).unwrap_or_else(|e| panic!("re-encoding does not decode: {e}: {der:02X?}"));
    assert_eq!(back, v, "re-decoded value differs");
    assert_eq!(rasn::der::encode(&back).expect("encodes"), der, "encoding is not a function of the value");
    check_bytes(data, &der, &v);
}

fn command(data: &[u8]) {
    let Ok(req) = MirrorCommand::decode(data) else { return };
    let der = req.encode().expect("a decoded mirror request encodes");
    let back = MirrorCommand::decode(&der).unwrap_or_else(|e| panic!("re-encoding does not decode: {e:?}"));
    assert_eq!(back, req, "re-decoded request differs");
    assert_eq!(back.encode().expect("encodes"), der, "encoding is not a function of the value");
    check_bytes(data, &der, &req);
}

fn policy(data: &[u8]) {
    let Ok(Some(p)) = policy_of(data) else { return };
    assert!(p.max_token_validity != 0 && p.reauth_interval != 0, "{p:?}");
    assert!(services_of(&p.services).is_some(), "{p:?}");
    let entry = policy_entry(&p).expect("a decoded policy encodes");
    let list = rasn::der::encode(&vec![entry]).expect("the entry list encodes");
    assert_eq!(policy_of(&list), Ok(Some(p)), "the policy's own entry gives it back");
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, der)) = data.split_first() else { return };
    match selector % 26 {
        0 => command(der),
        1 => roundtrip::<IssueMirrorTokenResponse>(der),
        2 => roundtrip::<RedeemMirrorCodeResponse>(der),
        3 => roundtrip::<BeginMirrorResponse>(der),
        4 => roundtrip::<ExportMirrorResponse>(der),
        5 => roundtrip::<ConfirmMirrorResponse>(der),
        6 => roundtrip::<RevokeMirrorResponse>(der),
        7 => roundtrip::<ApplyMirrorRevocationResponse>(der),
        8 => roundtrip::<RenewMirrorResponse>(der),
        9 => roundtrip::<ApplyMirrorRenewalResponse>(der),
        10 => roundtrip::<SuspendMirrorResponse>(der),
        11 => roundtrip::<ResumeMirrorResponse>(der),
        12 => roundtrip::<ApplyMirrorSuspensionResponse>(der),
        13 => roundtrip::<ListMirrorLinksResponse>(der),
        14 => roundtrip::<GetMirrorInfoResponse>(der),
        15 => roundtrip::<SignedMirrorToken>(der),
        16 => roundtrip::<SignedMirrorRequest>(der),
        17 => roundtrip::<SignedMirrorLinkUpdate>(der),
        18 => roundtrip::<MirrorPolicy>(der),
        19 => roundtrip::<MirrorLink>(der),
        20 => roundtrip::<MirrorProfileInfo>(der),
        21 => roundtrip::<MirrorToken>(der),
        22 => roundtrip::<MirrorLinkUpdate>(der),
        23 => policy(der),
        24 => roundtrip::<MirrorRecord>(der),
        _ => {
            roundtrip::<MirrorEntry>(der);
            roundtrip::<InstanceRecord>(der);
        }
    }
});
