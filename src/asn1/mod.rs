//! ASN.1 types and the ES10 request/response enums: encode and decode only.
//!
//! * [`rsp`] — SGP.22 v2.5 `RSPDefinitions` messages (rasn, DER).
//! * [`rpm`] — SGP.22 v3.0 Remote Profile Management (LoadRpmPackage, RPM commands, results).
//! * [`codes`] — the result codes, one type per ES10 function, with the SGP.22 names.
//! * [`Es10Request`] — one variant per ES10 function the ISD-R answers, decoded
//!   once at the boundary from the reassembled STORE DATA payload; handlers never
//!   see raw bytes.

pub mod codes;
pub mod dc;
pub mod download;
pub mod ext;
pub mod rpm;
pub mod rsp;
pub mod tlv;

use alloc::vec::Vec;
use core::fmt;

/// `UTF8String (SIZE(0..MAX))`: a string of at most `MAX` *characters* (X.680 §47: the size of a
/// UTF8String counts abstract characters, not octets). rasn's `size` constraint counts octets,
/// which would refuse a 64-character name in Cyrillic, so the bound is checked here.
#[derive(Debug, Clone, PartialEq, Eq, Default, PartialOrd, Ord, Hash)]
pub struct BoundedUtf8<const MAX: usize>(alloc::string::String);

impl<const MAX: usize> BoundedUtf8<MAX> {
    /// `s` if it has at most `MAX` characters.
    pub fn new(s: &str) -> Option<Self> {
        (s.chars().count() <= MAX).then(|| BoundedUtf8(s.into()))
    }

    /// The first `MAX` characters of `s`.
    pub fn truncated(s: &str) -> Self {
        BoundedUtf8(s.chars().take(MAX).collect())
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> From<BoundedUtf8<MAX>> for alloc::string::String {
    fn from(s: BoundedUtf8<MAX>) -> Self {
        s.0
    }
}

impl<const MAX: usize> core::ops::Deref for BoundedUtf8<MAX> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> rasn::AsnType for BoundedUtf8<MAX> {
    const TAG: rasn::types::Tag = rasn::types::Tag::UTF8_STRING;
}

impl<const MAX: usize> rasn::Decode for BoundedUtf8<MAX> {
    fn decode_with_tag_and_constraints<D: rasn::Decoder>(
        decoder: &mut D,
        tag: rasn::types::Tag,
        constraints: &rasn::types::Constraints,
    ) -> Result<Self, D::Error> {
        let codec = decoder.codec();
        let s = alloc::string::String::decode_with_tag_and_constraints(decoder, tag, constraints)?;
        if s.chars().count() > MAX {
            return Err(<D::Error as rasn::de::Error>::custom(
                alloc::format!("UTF8String of {} characters exceeds SIZE(0..{MAX})", s.chars().count()),
                codec,
            ));
        }
        Ok(BoundedUtf8(s))
    }
}

impl<const MAX: usize> rasn::Encode for BoundedUtf8<MAX> {
    fn encode_with_tag_and_constraints<'b, E: rasn::Encoder<'b>>(
        &self,
        encoder: &mut E,
        tag: rasn::types::Tag,
        constraints: &rasn::types::Constraints,
        identifier: rasn::types::Identifier,
    ) -> Result<(), E::Error> {
        self.0.encode_with_tag_and_constraints(encoder, tag, constraints, identifier)
    }
}

/// Why an ES10 request did not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The outer tag names no ES10 function this card implements.
    UnknownTag(u32),
    /// The outer tag is known but the DER is malformed or does not match the type.
    Malformed(u32),
    /// Not even a complete BER tag.
    NoTag,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::UnknownTag(t) => write!(f, "unknown ES10 tag {t:X}"),
            DecodeError::Malformed(t) => write!(f, "malformed DER for tag {t:X}"),
            DecodeError::NoTag => f.write_str("no BER tag"),
        }
    }
}

impl core::error::Error for DecodeError {}

/// Reads the leading BER tag of `der` as its raw bytes packed into a `u32`
/// (`BF3E` → `0xBF3E`). At most 3 tag bytes are accepted.
pub fn outer_tag(der: &[u8]) -> Option<u32> {
    tlv::tag(der).ok().map(|t| t.tag)
}

macro_rules! es10_enums {
    ($( $(#[$doc:meta])* $tag:literal => $variant:ident($req:ty) -> $resp:ty; )*) => {
        /// A decoded ES10 request, one variant per ES10 function.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Es10Request {
            $( $(#[$doc])* $variant($req), )*
        }

        /// An ES10 response, one variant per ES10 function.
        // EUICCInfo2 is the large one; one response lives per APDU, so no box.
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Es10Response {
            $( $(#[$doc])* $variant($resp), )*
        }

        impl Es10Request {
            /// Decodes one complete ES10 request (DER, exactly one TLV).
            pub fn decode(der: &[u8]) -> Result<Es10Request, DecodeError> {
                let tag = outer_tag(der).ok_or(DecodeError::NoTag)?;
                // DER only: rasn accepts some non-minimal lengths (`84 00000003`).
                let minimal = || tlv::der_lengths_minimal(der, 16);
                match tag {
                    $( $tag if !minimal() => Err(DecodeError::Malformed(tag)),
                       $tag => <$req as ext::Request>::decode_der(der)
                        .map(Es10Request::$variant)
                        .map_err(|_| DecodeError::Malformed(tag)), )*
                    _ => Err(DecodeError::UnknownTag(tag)),
                }
            }

            /// Encodes the request to DER.
            pub fn encode(&self) -> Result<Vec<u8>, rasn::error::EncodeError> {
                match self {
                    $( Es10Request::$variant(r) => rasn::der::encode(r), )*
                }
            }
        }

        impl Es10Response {
            /// Encodes the response to DER.
            pub fn encode(&self) -> Result<Vec<u8>, rasn::error::EncodeError> {
                match self {
                    $( Es10Response::$variant(r) => rasn::der::encode(r), )*
                }
            }
        }
    };
}

es10_enums! {
    /// ES10b.GetEUICCInfo (EUICCInfo1) — `BF20`.
    0xBF20 => GetEuiccInfo1(rsp::GetEuiccInfo1Request) -> rsp::EuiccInfo1;
    /// ES10b.GetEUICCInfo (EUICCInfo2) — `BF22`.
    0xBF22 => GetEuiccInfo2(rsp::GetEuiccInfo2Request) -> rsp::EuiccInfo2;
    /// ES10c.GetProfilesInfo — `BF2D`.
    0xBF2D => GetProfilesInfo(rsp::ProfileInfoListRequest) -> rsp::ProfileInfoListResponse;
    /// ES10b.PrepareDownload — `BF21`.
    0xBF21 => PrepareDownload(download::PrepareDownloadRequest) -> download::PrepareDownloadResponse;
    /// ES10b.AuthenticateServer — `BF38`.
    0xBF38 => AuthenticateServer(download::AuthenticateServerRequest) -> download::AuthenticateServerResponse;
    /// ES10b.CancelSession — `BF41`.
    0xBF41 => CancelSession(download::CancelSessionRequest) -> download::CancelSessionResponse;
    /// ES10b.GetEUICCChallenge — `BF2E`.
    0xBF2E => GetEuiccChallenge(rsp::GetEuiccChallengeRequest) -> rsp::GetEuiccChallengeResponse;
    /// ES10a.GetEuiccConfiguredAddresses — `BF3C`.
    0xBF3C => GetEuiccConfiguredAddresses(rsp::EuiccConfiguredAddressesRequest) -> rsp::EuiccConfiguredAddressesResponse;
    /// ES10c.GetEID — `BF3E`.
    0xBF3E => GetEid(rsp::GetEuiccDataRequest) -> rsp::GetEuiccDataResponse;
    /// ES10a.SetDefaultDpAddress — `BF3F`.
    0xBF3F => SetDefaultDpAddress(rsp::SetDefaultDpAddressRequest) -> rsp::SetDefaultDpAddressResponse;
    /// ES10b.GetRAT — `BF43`.
    0xBF43 => GetRat(rsp::GetRatRequest) -> rsp::GetRatResponse;
    /// ES10b.RetrieveNotificationsList — `BF2B`.
    0xBF2B => RetrieveNotificationsList(rsp::RetrieveNotificationsListRequest) -> rsp::RetrieveNotificationsListResponse;
    /// ES10b.ListNotification — `BF28`.
    0xBF28 => ListNotification(rsp::ListNotificationRequest) -> rsp::ListNotificationResponse;
    /// ES10c.SetNickname — `BF29`.
    0xBF29 => SetNickname(rsp::SetNicknameRequest) -> rsp::SetNicknameResponse;
    /// ES10b.RemoveNotificationFromList (NotificationSent) — `BF30`.
    0xBF30 => RemoveNotificationFromList(rsp::NotificationSentRequest) -> rsp::NotificationSentResponse;
    /// ES10c.EnableProfile — `BF31`.
    0xBF31 => EnableProfile(rsp::EnableProfileRequest) -> rsp::EnableProfileResponse;
    /// ES10c.DisableProfile — `BF32`.
    0xBF32 => DisableProfile(rsp::DisableProfileRequest) -> rsp::DisableProfileResponse;
    /// ES10c.DeleteProfile — `BF33`.
    0xBF33 => DeleteProfile(rsp::DeleteProfileRequest) -> rsp::DeleteProfileResponse;
    /// ES10c.eUICCMemoryReset — `BF34`.
    0xBF34 => EuiccMemoryReset(rsp::EuiccMemoryResetRequest) -> rsp::EuiccMemoryResetResponse;
    /// ES10b.LoadRpmPackage — `BF44` (SGP.22 v3 only: a v2.5 card knows no such tag).
    0xBF44 => LoadRpmPackage(rpm::LoadRpmPackageRequest) -> rpm::LoadRpmPackageResult;
    /// ES10b.PrepareDeviceChange — `BF4D` (SGP.22 v3 Device Change only).
    0xBF4D => PrepareDeviceChange(dc::PrepareDeviceChangeRequest) -> dc::PrepareDeviceChangeResponse;
    /// ES10b.VerifyDeviceChange — `BF4B` (SGP.22 v3 Device Change only).
    0xBF4B => VerifyDeviceChange(dc::VerifyDeviceChangeRequest) -> dc::VerifyDeviceChangeResponse;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outer_tags() {
        assert_eq!(outer_tag(&[0xBF, 0x3E, 0x00]), Some(0xBF3E));
        assert_eq!(outer_tag(&[0x30, 0x00]), Some(0x30));
        assert_eq!(outer_tag(&[0xBF, 0x81, 0x01]), Some(0xBF8101));
        assert_eq!(outer_tag(&[0xBF]), None);
        assert_eq!(outer_tag(&[0xBF, 0x81, 0x81, 0x01]), None);
        assert_eq!(outer_tag(&[]), None);
    }
}
