//! A typed ES10 client that drives a card over APDUs the way lpac does.
//!
//! Framing (lpac `euicc/euicc.c`, `driver/apdu/pcsc.c`): MANAGE CHANNEL open,
//! SELECT ISD-R without Le, STORE DATA blocks of at most 120 bytes with P1
//! `11`/`91` and P2 counting from 0, `61xx` answered with GET RESPONSE under the
//! proprietary class.

use crate::apdu::Cla;
use crate::asn1::download::NotificationMetadata;
use crate::asn1::rsp::{
    DeleteProfileRequest, DeleteProfileResponse, DisableProfileRequest, DisableProfileResponse, EnableProfileRequest,
    EnableProfileResponse, EuiccConfiguredAddressesRequest, EuiccConfiguredAddressesResponse, EuiccInfo1, EuiccInfo2,
    EuiccMemoryResetRequest, EuiccMemoryResetResponse, GetEuiccChallengeRequest, GetEuiccChallengeResponse,
    GetEuiccDataRequest, GetEuiccDataResponse, GetEuiccInfo1Request, GetEuiccInfo2Request, GetRatRequest,
    GetRatResponse, ListNotificationRequest, ListNotificationResponse, ListNotificationResult, NotificationSentRequest,
    NotificationSentResponse, ProfileIdentifier, ProfileInfoListRequest, ProfileInfoListResponse,
    SetDefaultDpAddressRequest, SetDefaultDpAddressResponse, SetNicknameRequest, SetNicknameResponse,
};
use crate::card::ISD_R_AID;
use core::fmt;
use rasn::types::{BitString, Integer};
use std::string::{String, ToString};
use std::vec::Vec;

/// Anything that carries one C-APDU to a card and brings back the R-APDU.
pub trait Transport {
    /// Sends `apdu`, returns data ‖ SW1 SW2.
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8>;

    /// Why the last exchange brought back no response (an empty one), when the transport
    /// knows (a reader error); `None` by default.
    fn last_error(&self) -> Option<String> {
        None
    }
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        (**self).transmit(apdu)
    }

    fn last_error(&self) -> Option<String> {
        (**self).last_error()
    }
}

impl<P: crate::platform::Platform> Transport for crate::card::Card<P> {
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        crate::card::Card::transmit(self, apdu)
    }
}

/// What went wrong talking to the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientError {
    /// The card answered with this status word.
    Status(u16),
    /// The response was shorter than a status word.
    NoStatus,
    /// The response did not decode as the expected type.
    Decode(String),
    /// A request could not be encoded.
    Encode(String),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Status(sw) => write!(f, "card answered {sw:04X}"),
            ClientError::NoStatus => f.write_str("response without a status word"),
            ClientError::Decode(e) => write!(f, "response does not decode: {e}"),
            ClientError::Encode(e) => write!(f, "request does not encode: {e}"),
        }
    }
}

impl std::error::Error for ClientError {}

/// Splits an R-APDU into data and SW.
pub fn split_sw(rapdu: &[u8]) -> Result<(&[u8], u16), ClientError> {
    let at = rapdu.len().checked_sub(2).ok_or(ClientError::NoStatus)?;
    let (data, sw) = rapdu.split_at(at);
    let sw: [u8; 2] = sw.try_into().map_err(|_| ClientError::NoStatus)?;
    Ok((data, u16::from_be_bytes(sw)))
}

/// An ES10 session on one logical channel with the ISD-R selected.
#[derive(Debug)]
pub struct Es10Client<T> {
    transport: T,
    channel: u8,
    /// Largest STORE DATA block (lpac's default is 120).
    pub block_size: usize,
}

impl<T: Transport> Es10Client<T> {
    /// Opens a logical channel and selects the ISD-R on it (what lpac does).
    pub fn open(transport: T) -> Result<Es10Client<T>, ClientError> {
        Es10Client::open_with_aid(transport, &ISD_R_AID)
    }

    /// Opens a logical channel and selects the ISD-R by `aid` on it (lpac with
    /// `LPAC_CUSTOM_ISD_R_AID`; see `CardConfig::isd_r_aid`).
    pub fn open_with_aid(mut transport: T, aid: &[u8]) -> Result<Es10Client<T>, ClientError> {
        let r = transport.transmit(&[0x00, 0x70, 0x00, 0x00, 0x01]);
        let (data, sw) = split_sw(&r)?;
        let channel = match (data, sw) {
            ([ch], 0x9000) => *ch,
            (_, 0x9000) => return Err(ClientError::Decode("MANAGE CHANNEL answer is not one byte".into())),
            (_, sw) => return Err(ClientError::Status(sw)),
        };
        let mut client = Es10Client { transport, channel, block_size: 120 };
        client.select_isdr(aid)?;
        Ok(client)
    }

    /// Selects the ISD-R on the basic channel (what pySim-shell does).
    pub fn on_basic_channel(transport: T) -> Result<Es10Client<T>, ClientError> {
        let mut client = Es10Client { transport, channel: 0, block_size: 255 };
        client.select_isdr(&ISD_R_AID)?;
        Ok(client)
    }

    fn select_isdr(&mut self, aid: &[u8]) -> Result<(), ClientError> {
        let cla = Cla::encode(self.channel, false).unwrap_or(0);
        let lc = u8::try_from(aid.len()).map_err(|_| ClientError::Encode("AID too long".into()))?;
        let mut select = std::vec![cla, 0xA4, 0x04, 0x00, lc];
        select.extend_from_slice(aid);
        let r = self.transport.transmit(&select);
        match split_sw(&r)?.1 {
            0x9000 => Ok(()),
            sw if sw >> 8 == 0x61 => Ok(()),
            sw => Err(ClientError::Status(sw)),
        }
    }

    /// The logical channel in use.
    pub fn channel(&self) -> u8 {
        self.channel
    }

    /// The transport.
    pub fn transport(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Sends one APDU, following `61xx` with GET RESPONSE; returns data and the final SW.
    pub fn transmit(&mut self, apdu: &[u8]) -> Result<(Vec<u8>, u16), ClientError> {
        let mut data = Vec::new();
        let mut r = self.transport.transmit(apdu);
        loop {
            let (chunk, sw) = split_sw(&r)?;
            data.extend_from_slice(chunk);
            if sw >> 8 != 0x61 {
                return Ok((data, sw));
            }
            let cla = Cla::encode(self.channel, true).unwrap_or(0x80);
            r = self.transport.transmit(&[cla, 0xC0, 0x00, 0x00, sw.to_be_bytes()[1]]);
        }
    }

    /// Sends one ES10 command (DER) in STORE DATA blocks; returns the response DER.
    pub fn store_data(&mut self, der: &[u8]) -> Result<Vec<u8>, ClientError> {
        let cla = Cla::encode(self.channel, true).unwrap_or(0x80);
        let blocks: Vec<&[u8]> = der.chunks(self.block_size.clamp(1, 255)).collect();
        let mut out = Vec::new();
        for (i, block) in blocks.iter().enumerate() {
            let last = i + 1 == blocks.len();
            let p2 = u8::try_from(i % 256).unwrap_or(0);
            let lc = u8::try_from(block.len()).map_err(|_| ClientError::Encode("block too long".into()))?;
            let mut apdu = std::vec![cla, 0xE2, if last { 0x91 } else { 0x11 }, p2, lc];
            apdu.extend_from_slice(block);
            let (data, sw) = self.transmit(&apdu)?;
            if sw >> 8 != 0x90 {
                return Err(ClientError::Status(sw));
            }
            out.extend(data);
        }
        Ok(out)
    }

    /// Encodes `req`, sends it, decodes the answer as `Resp`.
    pub fn call<Req: rasn::Encode, Resp: rasn::Decode>(&mut self, req: &Req) -> Result<Resp, ClientError> {
        let der = rasn::der::encode(req).map_err(|e| ClientError::Encode(e.to_string()))?;
        let resp = self.store_data(&der)?;
        rasn::der::decode(&resp).map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// ES10c.GetEID: the 16 EID bytes.
    pub fn get_eid(&mut self) -> Result<[u8; 16], ClientError> {
        let r: GetEuiccDataResponse = self.call(&GetEuiccDataRequest::eid())?;
        Ok(*r.eid_value)
    }

    /// ES10b.GetEUICCInfo (EUICCInfo1).
    pub fn get_euicc_info1(&mut self) -> Result<EuiccInfo1, ClientError> {
        self.call(&GetEuiccInfo1Request::default())
    }

    /// ES10b.GetEUICCInfo (EUICCInfo2).
    pub fn get_euicc_info2(&mut self) -> Result<EuiccInfo2, ClientError> {
        self.call(&GetEuiccInfo2Request::default())
    }

    /// ES10b.GetEUICCChallenge.
    pub fn get_euicc_challenge(&mut self) -> Result<[u8; 16], ClientError> {
        let r: GetEuiccChallengeResponse = self.call(&GetEuiccChallengeRequest::default())?;
        Ok(*r.euicc_challenge)
    }

    /// ES10c.GetProfilesInfo.
    pub fn get_profiles_info(&mut self, req: &ProfileInfoListRequest) -> Result<ProfileInfoListResponse, ClientError> {
        self.call(req)
    }

    /// ES10a.GetEuiccConfiguredAddresses.
    pub fn get_configured_addresses(&mut self) -> Result<EuiccConfiguredAddressesResponse, ClientError> {
        self.call(&EuiccConfiguredAddressesRequest::default())
    }

    /// ES10a.SetDefaultDpAddress; returns `setDefaultDpAddressResult`.
    pub fn set_default_dp_address(&mut self, address: &str) -> Result<SetDefaultDpAddressResponse, ClientError> {
        self.call(&SetDefaultDpAddressRequest::new(address))
    }

    /// ES10b.GetRAT.
    pub fn get_rat(&mut self) -> Result<GetRatResponse, ClientError> {
        self.call(&GetRatRequest::default())
    }

    /// ES10c.EnableProfile; returns `enableResult`.
    pub fn enable_profile(&mut self, id: ProfileIdentifier, refresh: bool) -> Result<Integer, ClientError> {
        let r: EnableProfileResponse = self.call(&EnableProfileRequest::new(id, refresh))?;
        Ok(r.enable_result)
    }

    /// ES10c.DisableProfile; returns `disableResult`.
    pub fn disable_profile(&mut self, id: ProfileIdentifier, refresh: bool) -> Result<Integer, ClientError> {
        let r: DisableProfileResponse = self.call(&DisableProfileRequest::new(id, refresh))?;
        Ok(r.disable_result)
    }

    /// ES10c.DeleteProfile; returns `deleteResult`.
    pub fn delete_profile(&mut self, id: ProfileIdentifier) -> Result<Integer, ClientError> {
        let r: DeleteProfileResponse = self.call(&DeleteProfileRequest(id))?;
        Ok(r.delete_result)
    }

    /// ES10c.SetNickname; returns `setNicknameResult`.
    pub fn set_nickname(&mut self, iccid: &[u8], nickname: &str) -> Result<Integer, ClientError> {
        let r: SetNicknameResponse = self.call(&SetNicknameRequest::new(iccid.to_vec(), nickname))?;
        Ok(r.set_nickname_result)
    }

    /// ES10c.eUICCMemoryReset with the option bits (0 operational, 1 test, 2 default address).
    pub fn memory_reset(&mut self, options: &[usize]) -> Result<Integer, ClientError> {
        let len = options.iter().max().map_or(0, |m| m + 1);
        let mut bits = BitString::repeat(false, len);
        for &b in options {
            bits.set(b, true);
        }
        let r: EuiccMemoryResetResponse = self.call(&EuiccMemoryResetRequest::new(bits))?;
        Ok(r.reset_result)
    }

    /// ES10b.ListNotification (all events).
    pub fn list_notifications(&mut self) -> Result<Vec<NotificationMetadata>, ClientError> {
        let r: ListNotificationResponse = self.call(&ListNotificationRequest::new(None))?;
        match r.0 {
            ListNotificationResult::NotificationMetadataList(list) => Ok(list),
            ListNotificationResult::ListNotificationsResultError(code) => {
                Err(ClientError::Decode(std::format!("listNotificationsResultError {code}")))
            }
        }
    }

    /// ES10b.RemoveNotificationFromList; returns `deleteNotificationStatus`.
    pub fn remove_notification(&mut self, seq: u64) -> Result<Integer, ClientError> {
        let r: NotificationSentResponse = self.call(&NotificationSentRequest::new(seq))?;
        Ok(r.delete_notification_status)
    }

    /// Closes the channel (if not the basic one) and gives the transport back.
    pub fn close(mut self) -> Result<T, ClientError> {
        if self.channel != 0 {
            let r = self.transport.transmit(&[0x00, 0x70, 0x80, self.channel, 0x00]);
            let sw = split_sw(&r)?.1;
            if sw != 0x9000 {
                return Err(ClientError::Status(sw));
            }
        }
        Ok(self.transport)
    }
}
