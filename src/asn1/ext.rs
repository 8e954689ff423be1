//! Decoding under `EXTENSIBILITY IMPLIED`: a request from a later SGP.22 decodes.
//!
//! SGP.22's modules are `EXTENSIBILITY IMPLIED` (X.680 §52.4): every SEQUENCE ends in an
//! implied extension marker, so a v3 LPA or SM-DP+ may append fields a v2.5 card has never
//! heard of (`targetEsimPort` on EnableProfile, `otherCertsInChain` on AuthenticateServer,
//! `sessionContext` in serverSigned1, `rpmPending` in smdpSigned2 …), and the receiver must
//! ignore them (X.680 §52.8, X.690 §8.1.1: the additions follow the root components).
//! rasn 0.30's DER decoder refuses any bytes left in a SEQUENCE after its last known field,
//! even for a `#[non_exhaustive]` type, so [`decode`] does what the marker asks for: when
//! the whole TLV does not decode, it drops trailing components whose tag none of the type's
//! fields can carry, one at a time from the end, and decodes again. A component with a known
//! tag is never dropped, so a malformed known field still fails as before, and nothing in
//! the root changes meaning. Types whose fields are positional [`rasn::types::Any`] (signed
//! parts) are covered too: an `Any` field has no tag of its own, so any trailing component
//! past the last one a decode accepts is an addition.
//!
//! The pruning is one level deep: nested SEQUENCEs that the card decodes as their own
//! values (serverSigned1, smdpSigned2, the BPP's TLVs) go through [`decode`] themselves.

use alloc::vec::Vec;
use rasn::types::{Class, Constructed, Tag, TagTree};

use super::{download, rsp, tlv};

/// At most this many trailing additions are dropped before giving up (bounds the work a
/// hostile input can cause: each retry is one decode of the remaining bytes).
const MAX_ADDITIONS: usize = 8;

/// Decodes DER `der` as `T`, ignoring extension additions `T` does not know (see the module
/// documentation). The error is the one the whole input gave.
pub fn decode<const RL: usize, const EL: usize, T>(der: &[u8]) -> Result<T, rasn::error::DecodeError>
where
    T: rasn::Decode + Constructed<RL, EL>,
{
    let error = match rasn::der::decode::<T>(der) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let Some((outer, mut components)) = split(der) else { return Err(error) };
    for _ in 0..MAX_ADDITIONS {
        let Some(&(last_tag, _)) = components.last() else { break };
        if knows::<RL, EL, T>(last_tag) {
            break;
        }
        components.pop();
        let mut inner = Vec::new();
        for (_, bytes) in &components {
            inner.extend_from_slice(bytes);
        }
        if let Ok(value) = rasn::der::decode::<T>(&tlv::tlv(outer, &inner)) {
            return Ok(value);
        }
    }
    Err(error)
}

/// [`decode`] of `der` with its top-level components tagged `skip` removed first, wherever
/// they stand. This is how a card ignores components a later version added that it does not
/// take (a v2.5 card and StoreMetadata's v3 members, `download::STORE_METADATA_V3_TAGS`): their
/// content is never looked at, and a known component after one of them still decodes (which
/// [`decode`] alone cannot do: it drops only *trailing* additions). Input that is not one
/// well-formed TLV of components decodes as it is (and fails as it would have).
pub(crate) fn decode_without<const RL: usize, const EL: usize, T>(
    der: &[u8],
    skip: &[Tag],
) -> Result<T, rasn::error::DecodeError>
where
    T: rasn::Decode + Constructed<RL, EL>,
{
    match split(der) {
        Some((outer, components)) if components.iter().any(|(tag, _)| skip.contains(tag)) => {
            let mut inner = Vec::new();
            for (_, bytes) in components.iter().filter(|(tag, _)| !skip.contains(tag)) {
                inner.extend_from_slice(bytes);
            }
            decode(&tlv::tlv(outer, &inner))
        }
        _ => decode(der),
    }
}

/// A request type as the ES10 decoder reads it: SEQUENCEs through [`decode`], CHOICEs (whose
/// unknown alternatives are not additions but unknown requests) as they are.
pub trait Request: Sized {
    /// Decodes DER `der`.
    fn decode_der(der: &[u8]) -> Result<Self, rasn::error::DecodeError>;
}

macro_rules! requests {
    (sequences: $($seq:ty),* ; choices: $($choice:ty),* $(,)?) => {
        $( impl Request for $seq {
            fn decode_der(der: &[u8]) -> Result<Self, rasn::error::DecodeError> { decode(der) }
        } )*
        $( impl Request for $choice {
            fn decode_der(der: &[u8]) -> Result<Self, rasn::error::DecodeError> { rasn::der::decode(der) }
        } )*
    };
}

requests! {
    sequences: rsp::GetEuiccInfo1Request, rsp::GetEuiccInfo2Request, rsp::ProfileInfoListRequest,
        download::PrepareDownloadRequest, download::AuthenticateServerRequest, download::CancelSessionRequest,
        rsp::GetEuiccChallengeRequest, rsp::EuiccConfiguredAddressesRequest, rsp::GetEuiccDataRequest,
        rsp::SetDefaultDpAddressRequest, rsp::GetRatRequest, rsp::RetrieveNotificationsListRequest,
        rsp::ListNotificationRequest, rsp::SetNicknameRequest, rsp::NotificationSentRequest,
        rsp::EnableProfileRequest, rsp::DisableProfileRequest, rsp::EuiccMemoryResetRequest,
        super::rpm::LoadRpmPackageRequest, super::dc::PrepareDeviceChangeRequest;
    choices: rsp::DeleteProfileRequest, super::dc::VerifyDeviceChangeRequest,
}

/// One component of a SEQUENCE: its tag and its whole TLV.
type Component<'a> = (Tag, &'a [u8]);

/// The outer tag bytes of a single TLV filling `der`, and its components.
fn split(der: &[u8]) -> Option<(&[u8], Vec<Component<'_>>)> {
    let h = tlv::header(der, 3).ok()?;
    if h.total()? != der.len() {
        return None;
    }
    let outer = der.get(..h.tag.size)?;
    let mut rest = der.get(h.size()..)?;
    let mut components = Vec::new();
    while !rest.is_empty() {
        let (_, _, size) = tlv::first_tlv(rest)?;
        let tag = rasn_tag(rest)?;
        components.push((tag, rest.get(..size)?));
        rest = rest.get(size..)?;
    }
    Some((outer, components))
}

/// The rasn tag (class and number) of the TLV at the start of `b`.
fn rasn_tag(b: &[u8]) -> Option<Tag> {
    let (&first, rest) = b.split_first()?;
    let class = match first >> 6 {
        0 => Class::Universal,
        1 => Class::Application,
        2 => Class::Context,
        _ => Class::Private,
    };
    if first & 0x1F != 0x1F {
        return Some(Tag::new(class, u32::from(first & 0x1F)));
    }
    let mut number: u32 = 0;
    for &byte in rest.iter().take(3) {
        number = number.checked_mul(128)?.checked_add(u32::from(byte & 0x7F))?;
        if byte & 0x80 == 0 {
            return Some(Tag::new(class, number));
        }
    }
    None
}

/// Whether a field of `T` (root or known extension) can carry `tag`.
fn knows<const RL: usize, const EL: usize, T: Constructed<RL, EL>>(tag: Tag) -> bool {
    let in_tree = |tree: &TagTree| match tree {
        TagTree::Leaf(t) => *t == tag,
        TagTree::Choice(nodes) => TagTree::tag_contains(&tag, nodes),
    };
    T::FIELDS.iter().any(|f| in_tree(&f.tag_tree))
        || T::EXTENDED_FIELDS.is_some_and(|fields| fields.iter().any(|f| in_tree(&f.tag_tree)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asn1::rsp::{EnableProfileRequest, ProfileIdentifier};
    use alloc::format;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    const ICCID: &str = "5A0A89000000000000000001";

    #[test]
    fn a_later_addition_is_ignored() {
        // EnableProfileRequest with a field the card's types do not know ([127], 9F7F 01 01)
        // after v3's targetEsimPort [2] (82 01 01), which they do.
        let later = hex(&format!("BF3118A00C{ICCID}8101008201029F7F0101"));
        assert!(rasn::der::decode::<EnableProfileRequest>(&later).is_err(), "rasn alone refuses it");
        let r: EnableProfileRequest = decode(&later).unwrap();
        assert!(matches!(r.profile_identifier, ProfileIdentifier::Iccid(_)));
        assert!(!r.refresh_flag);
        assert_eq!(r.target_esim_port, Some(2.into()), "the known field is kept");
        // Several additions, one constructed.
        let more = hex(&format!("BF311BA00C{ICCID}810100820101A3039F7F00"));
        assert!(decode::<_, _, EnableProfileRequest>(&more).is_err(), "length mismatch is still an error");
        let more = hex(&format!("BF3119A00C{ICCID}810100820101A303840100"));
        let r: EnableProfileRequest = decode(&more).unwrap();
        assert!(!r.refresh_flag);
    }

    #[test]
    fn known_fields_still_fail() {
        // refreshFlag with a bad BOOLEAN length: known tag, never dropped.
        let bad = hex(&format!("BF3115A00C{ICCID}81020000820101"));
        assert!(decode::<_, _, EnableProfileRequest>(&bad).is_err());
        // Missing the mandatory refreshFlag, an addition in its place.
        let missing = hex(&format!("BF3111A00C{ICCID}820101"));
        assert!(decode::<_, _, EnableProfileRequest>(&missing).is_err());
        // Truncated.
        assert!(decode::<_, _, EnableProfileRequest>(&hex("BF3103A001")).is_err());
    }

    /// StoreMetadata's v3 members, the way a v3 SM-DP+ orders them: an RPM configuration (`BA`)
    /// the card does not take, then hriServerAddress (`9B`) and serviceDescription (`9F1F`),
    /// which a v3 card does. The v3 type holds them all (the unsupported ones raw); a v2.5 card
    /// strips them all before decoding, so even a malformed one (here `9F21`, an INTEGER with
    /// no content) is ignored, and the known `BF22` after them still decodes.
    #[test]
    fn a_known_member_after_an_unknown_one() {
        use crate::asn1::download::{STORE_METADATA_V3_TAGS, StoreMetadataRequest};
        let base = "5A0A98000000000000000010910253509204 4E616D65".replace(' ', "");
        let v3 = "BA07 A000 8303883701 9B0B 6872692E6578616D706C65 9F1F0206C0".replace(' ', "");
        let body = format!("{base}{v3}");
        let der = hex(&format!("BF25{:02X}{body}", body.len() / 2));
        let md: StoreMetadataRequest = decode(&der).unwrap();
        assert_eq!(md.hri_server_address.as_deref(), Some("hri.example"));
        assert_eq!(md.rpm_configuration.as_ref().map(|a| a.as_bytes().len()), Some(7), "kept raw");
        assert_eq!(md.service_description.as_ref().map(|b| (b.len(), b[0], b[1])), Some((2, true, true)));
        assert_eq!(rasn::der::encode(&md).unwrap(), der, "raw members re-encode as received");

        // A v2.5 card: the v3 members (a malformed one among them) go, a later BF22 stays.
        let body = format!("{base}{v3}9F2100BF2200");
        let der = hex(&format!("BF25{:02X}{body}", body.len() / 2));
        assert!(decode::<_, _, StoreMetadataRequest>(&der).is_err(), "the v3 type refuses the bad 9F21");
        let md: StoreMetadataRequest = decode_without(&der, &STORE_METADATA_V3_TAGS).unwrap();
        assert_eq!((md.hri_server_address, md.rpm_configuration, md.service_description), (None, None, None));
        assert_eq!(md.service_specific_data_stored_in_euicc, Some(Vec::new()));
        assert_eq!(md.profile_name.as_str(), "Name");
        // Nothing to strip: the same as decode, errors included.
        assert!(decode_without::<_, _, StoreMetadataRequest>(&der[..der.len() - 1], &STORE_METADATA_V3_TAGS).is_err());
    }

    #[test]
    fn additions_are_bounded() {
        let mut inner = hex(&format!("A00C{ICCID}810100"));
        for _ in 0..MAX_ADDITIONS + 1 {
            inner.extend_from_slice(&hex("9F7F00"));
        }
        let der = tlv::tlv(&[0xBF, 0x31], &inner);
        assert!(decode::<_, _, EnableProfileRequest>(&der).is_err());
    }
}
