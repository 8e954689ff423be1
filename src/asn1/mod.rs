//! ASN.1 types and the ES10 request/response enums: encode and decode only.
//!
//! * [`rsp`] — SGP.22 v2.5 `RSPDefinitions` messages (rasn, DER).
//! * [`Es10Request`] — one variant per ES10 function the ISD-R answers, decoded
//!   once at the boundary from the reassembled STORE DATA payload; handlers never
//!   see raw bytes.

pub mod download;
pub mod rsp;
pub mod tlv;

use alloc::vec::Vec;
use core::fmt;

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
    let (&first, rest) = der.split_first()?;
    let mut tag = u32::from(first);
    if first & 0x1F != 0x1F {
        return Some(tag);
    }
    for (i, &b) in rest.iter().enumerate() {
        if i >= 2 {
            return None;
        }
        tag = (tag << 8) | u32::from(b);
        if b & 0x80 == 0 {
            return Some(tag);
        }
    }
    None
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
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Es10Response {
            $( $(#[$doc])* $variant($resp), )*
        }

        impl Es10Request {
            /// Decodes one complete ES10 request (DER, exactly one TLV).
            pub fn decode(der: &[u8]) -> Result<Es10Request, DecodeError> {
                let tag = outer_tag(der).ok_or(DecodeError::NoTag)?;
                match tag {
                    $( $tag => rasn::der::decode::<$req>(der)
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
