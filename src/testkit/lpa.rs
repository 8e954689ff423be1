//! An LPA driver: runs the SGP.22 profile download against a card over APDUs, the
//! way lpac does (`src/applet/profile/download.c`), with a [`TestSmdp`] in place of
//! the network: GetEUICCChallenge → GetEUICCInfo1 → AuthenticateServer →
//! PrepareDownload → LoadBoundProfilePackage (lpac's cuts) → PIR; on a failure before
//! the load it cancels the session (endUserRejection), as lpac does. An RPM package ([`rpm`])
//! and a Device Change ([`device_change`]) open their sessions the same way, up to
//! AuthenticateServer and the SM-DP+'s answer to it.

use super::client::{ClientError, Es10Client, Transport};
use super::smdp::{Bpp, ProfileToInstall, TestSmdp};
use crate::asn1::download::{
    AuthenticateServerResponse, AuthenticateServerResult, CancelSessionRequest, FinalResult, PrepareDownloadResponse,
    PrepareDownloadResult, ProfileInstallationResult, ProfileInstallationResultData,
};
use core::fmt;
use std::string::{String, ToString};
use std::vec::Vec;

/// How a download ended, when it did not install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadError {
    /// An APDU failed (status word) or a response did not decode.
    Card(ClientError),
    /// AuthenticateServer answered `authenticateResponseError` with this code.
    Authenticate(i64),
    /// PrepareDownload answered `downloadResponseError` with this code.
    Prepare(i64),
    /// The PIR says the install failed: `bppCommandId`, `errorReason`.
    Install {
        /// `BppCommandId`.
        command: i64,
        /// `ErrorReason`.
        reason: i64,
    },
    /// The SM-DP+ refused what the card sent.
    Smdp(String),
    /// The card answered the whole BPP without a PIR.
    NoResult,
    /// VerifyDeviceChange answered `verifyDeviceChangeError` with this code (SGP.22 v3).
    VerifyDeviceChange(i64),
}

impl fmt::Display for DownloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownloadError::Card(e) => write!(f, "card: {e}"),
            DownloadError::Authenticate(c) => write!(f, "AuthenticateServer error {c}"),
            DownloadError::Prepare(c) => write!(f, "PrepareDownload error {c}"),
            DownloadError::Install { command, reason } => {
                write!(f, "install failed: bppCommandId {command}, errorReason {reason}")
            }
            DownloadError::Smdp(e) => write!(f, "SM-DP+: {e}"),
            DownloadError::NoResult => f.write_str("no ProfileInstallationResult"),
            DownloadError::VerifyDeviceChange(code) => write!(f, "verifyDeviceChangeError {code}"),
        }
    }
}

impl std::error::Error for DownloadError {}

impl From<ClientError> for DownloadError {
    fn from(e: ClientError) -> Self {
        DownloadError::Card(e)
    }
}

/// A successful download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The new ISD-P's AID.
    pub isdp_aid: Vec<u8>,
    /// The signed PIR (`BF37 …`) as the card sent it.
    pub pir: Vec<u8>,
    /// The PIR's notification sequence number.
    pub seq: i64,
}

fn int(i: &rasn::types::Integer) -> i64 {
    i64::try_from(i).unwrap_or(i64::MIN)
}

/// Decodes a PIR: `Ok` for a successResult, the error otherwise.
pub fn read_pir(pir: &[u8]) -> Result<Installed, DownloadError> {
    let decode = |e: rasn::error::DecodeError| DownloadError::Card(ClientError::Decode(e.to_string()));
    let result: ProfileInstallationResult = rasn::der::decode(pir).map_err(decode)?;
    let data: ProfileInstallationResultData =
        rasn::der::decode(result.profile_installation_result_data.as_bytes()).map_err(decode)?;
    match data.final_result {
        FinalResult::Success(s) => Ok(Installed {
            isdp_aid: s.aid.to_vec(),
            pir: pir.to_vec(),
            seq: int(&data.notification_metadata.seq_number),
        }),
        FinalResult::Error(e) => {
            Err(DownloadError::Install { command: int(&e.bpp_command_id), reason: int(&e.error_reason) })
        }
    }
}

fn cancel<T: Transport>(lpa: &mut Es10Client<T>, tid: &[u8]) {
    let _ = lpa.call::<_, crate::asn1::download::CancelSessionResponse>(&CancelSessionRequest::new(tid.to_vec(), 0));
}

fn decode_err(e: impl fmt::Display) -> DownloadError {
    DownloadError::Card(ClientError::Decode(e.to_string()))
}

/// What a session is opened for: it decides the ES9+.AuthenticateClient the SM-DP+ answers
/// with, and so the ES10 request [`open`] returns.
#[derive(Debug, Clone, Copy)]
enum Opening<'a> {
    /// A profile download: ES10b.PrepareDownload.
    Download,
    /// An RPM package of `commands` (SGP.22 v3): ES10b.LoadRpmPackage.
    Rpm {
        /// The package's commands.
        commands: &'a [crate::asn1::rpm::RpmCommand],
        /// The LoadRpmPackage request's targetEsimPort.
        target_esim_port: Option<u8>,
    },
    /// A Device Change of the profile `iccid` (SGP.22 v3): ES10b.PrepareDeviceChange.
    DeviceChange {
        /// The profile that moves (ctxParamsForDeviceChange).
        iccid: &'a [u8],
    },
}

/// The opening of every session (download, RPM, Device Change): GetEUICCChallenge →
/// GetEUICCInfo1 → (ES9+.InitiateAuthentication; a Device Change's names its profile) →
/// AuthenticateServer → (ES9+.AuthenticateClient as `opening` asks). Returns the session's
/// transactionId and the ES10 request the SM-DP+ answered with. An authenticateResponseError,
/// or an SM-DP+ that refuses the card's answer, cancels the session (endUserRejection) first.
fn open<T: Transport>(
    lpa: &mut Es10Client<T>,
    smdp: &mut TestSmdp,
    opening: Opening<'_>,
) -> Result<(Vec<u8>, Vec<u8>), DownloadError> {
    let challenge = lpa.get_euicc_challenge()?;
    let info1 = lpa.get_euicc_info1()?;
    if let Opening::DeviceChange { iccid } = opening {
        smdp.initiate_device_change(iccid);
    }
    let request = smdp.initiate_authentication_for(challenge, None, Some(&info1));
    let tid = smdp.transaction_id().to_vec();
    let response = lpa.store_data(&request)?;
    let auth: AuthenticateServerResponse = rasn::der::decode(&response).map_err(decode_err)?;
    if let AuthenticateServerResult::Error(e) = &auth.0 {
        cancel(lpa, &tid);
        return Err(DownloadError::Authenticate(int(&e.authenticate_error_code)));
    }
    let next = match opening {
        Opening::Download => smdp.authenticate_client(&response),
        Opening::Rpm { commands, target_esim_port } => {
            smdp.authenticate_client_rpm(&response, commands, false, target_esim_port)
        }
        Opening::DeviceChange { .. } => smdp.authenticate_client_device_change(&response),
    };
    match next {
        Ok(request) => Ok((tid, request)),
        Err(e) => {
            cancel(lpa, &tid);
            Err(DownloadError::Smdp(e))
        }
    }
}

/// Runs a whole download of `profile` from `smdp` into the card behind `lpa`.
pub fn download<T: Transport>(
    lpa: &mut Es10Client<T>,
    smdp: &mut TestSmdp,
    profile: &ProfileToInstall,
) -> Result<Installed, DownloadError> {
    let (tid, prepare) = open(lpa, smdp, Opening::Download)?;
    let response = lpa.store_data(&prepare)?;
    let prepared: PrepareDownloadResponse = rasn::der::decode(&response).map_err(decode_err)?;
    if let PrepareDownloadResult::Error(e) = &prepared.0 {
        cancel(lpa, &tid);
        return Err(DownloadError::Prepare(int(&e.download_error_code)));
    }
    let bpp = match smdp.get_bound_profile_package(&response, profile) {
        Ok(b) => b,
        Err(e) => {
            cancel(lpa, &tid);
            return Err(DownloadError::Smdp(e));
        }
    };
    load(lpa, &bpp)
}

/// Sends a BPP in lpac's cuts; returns the decoded PIR.
pub fn load<T: Transport>(lpa: &mut Es10Client<T>, bpp: &Bpp) -> Result<Installed, DownloadError> {
    for command in bpp.lpac_commands() {
        let out = lpa.store_data(&command)?;
        if !out.is_empty() {
            return read_pir(&out);
        }
    }
    Err(DownloadError::NoResult)
}

/// An RPM package's run (SGP.22 v3, [`rpm`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmRun {
    /// The ES10b.LoadRpmPackage request (`BF44 …`) the LPA sent.
    pub request: Vec<u8>,
    /// The card's `LoadRpmPackageResult` (`BF44 …`) as it answered.
    pub result: Vec<u8>,
    /// The signed result's data, its euiccSignRPR verified by the SM-DP+ (`None`: not signed).
    pub data: Option<crate::asn1::rpm::LoadRpmPackageResultDataSigned>,
}

/// Runs an RPM package from `smdp` on the card behind `lpa` (SGP.22 v3 RPM download and
/// execution): GetEUICCChallenge → GetEUICCInfo1 → AuthenticateServer → (ES9+.AuthenticateClient
/// answering with the package) → LoadRpmPackage; the SM-DP+ then checks the signed result.
pub fn rpm<T: Transport>(
    lpa: &mut Es10Client<T>,
    smdp: &mut TestSmdp,
    commands: &[crate::asn1::rpm::RpmCommand],
    target_esim_port: Option<u8>,
) -> Result<RpmRun, DownloadError> {
    let (_, request) = open(lpa, smdp, Opening::Rpm { commands, target_esim_port })?;
    let result = lpa.store_data(&request)?;
    let data = match smdp.handle_rpm_result(&result) {
        Ok(data) => Some(data),
        Err(e) if e.starts_with("loadRpmPackageResultNotSigned") => None,
        Err(e) => return Err(DownloadError::Smdp(e)),
    };
    Ok(RpmRun { request, result, data })
}

/// The steps of a Device Change (SGP.22 v3, [`device_change`]), as they happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceChangeRun {
    /// The DeviceChangeData the old card returned (VerifyDeviceChange, verifyDeviceChangeData).
    pub data: crate::asn1::dc::DeviceChangeData,
    /// The old card's Delete Notification for Device Change, as the new device presents it.
    pub delete_notification: crate::asn1::dc::DeleteNotificationForDc,
    /// The profile installed on the new card.
    pub installed: Installed,
}

/// The old card's half of a Device Change up to the SM-DP+'s confirmation: GetEUICCChallenge →
/// GetEUICCInfo1 → AuthenticateServer (ctxParamsForDeviceChange naming `iccid`) →
/// (ES9+.AuthenticateClient) → PrepareDeviceChange → (ES9+.ConfirmDeviceChange). Returns the
/// ES10b.VerifyDeviceChange request the SM-DP+ answered with.
pub fn prepare_device_change<T: Transport>(
    old: &mut Es10Client<T>,
    smdp: &mut TestSmdp,
    iccid: &[u8],
) -> Result<Vec<u8>, DownloadError> {
    let (_, prepare) = open(old, smdp, Opening::DeviceChange { iccid })?;
    let response = old.store_data(&prepare)?;
    let prepared: crate::asn1::dc::PrepareDeviceChangeResponse = rasn::der::decode(&response).map_err(decode_err)?;
    if let crate::asn1::dc::PrepareDeviceChangeResult::Error(e) = &prepared.0 {
        return Err(DownloadError::Prepare(int(&e.download_error_code)));
    }
    smdp.confirm_device_change(&response).map_err(DownloadError::Smdp)
}

/// Sends the VerifyDeviceChange request to the old card; returns its DeviceChangeData.
pub fn verify_device_change<T: Transport>(
    old: &mut Es10Client<T>,
    request: &[u8],
) -> Result<crate::asn1::dc::DeviceChangeData, DownloadError> {
    use crate::asn1::dc::{VerifyDeviceChangeOk, VerifyDeviceChangeResponse, VerifyDeviceChangeResult};
    let out = old.store_data(request)?;
    let resp: VerifyDeviceChangeResponse = rasn::der::decode(&out).map_err(decode_err)?;
    match resp.0 {
        VerifyDeviceChangeResult::Ok(VerifyDeviceChangeOk::Data(data)) => Ok(data),
        VerifyDeviceChangeResult::Ok(VerifyDeviceChangeOk::Null(())) => Err(DownloadError::NoResult),
        VerifyDeviceChangeResult::Error(code) => Err(DownloadError::VerifyDeviceChange(int(&code))),
    }
}

/// The old card's pending delete notification for `iccid` (RetrieveNotificationsList), as a
/// `DeleteNotificationForDc` (its OtherSignedNotification's metadata and signature).
pub fn delete_notification_for_dc<T: Transport>(
    old: &mut Es10Client<T>,
    iccid: &[u8],
) -> Result<Option<crate::asn1::dc::DeleteNotificationForDc>, DownloadError> {
    use crate::asn1::download::NotificationMetadata;
    use crate::asn1::tlv::{next_tlv, split_tlv};
    let out = old.store_data(&[0xBF, 0x2B, 0x00])?;
    let bad = || decode_err("RetrieveNotificationsList: malformed answer");
    let (_, value) = split_tlv(&out).ok_or_else(bad)?;
    let (list, _) = next_tlv(value).ok_or_else(bad)?;
    if list.first() != Some(&0xA0) {
        return Ok(None);
    }
    let (_, mut rest) = split_tlv(list).ok_or_else(bad)?;
    while !rest.is_empty() {
        let (item, next) = next_tlv(rest).ok_or_else(bad)?;
        rest = next;
        if item.first() != Some(&0x30) {
            continue;
        }
        let Some((_, body)) = split_tlv(item) else { continue };
        let Some((tbs, after)) = next_tlv(body) else { continue };
        let Some((sig, _)) = next_tlv(after) else { continue };
        let Ok(meta) = rasn::der::decode::<NotificationMetadata>(tbs) else { continue };
        let delete = meta.profile_management_operation.get(3).is_some_and(|b| *b);
        if delete && meta.iccid.as_deref() == Some(iccid) {
            let Some((_, sig)) = split_tlv(sig) else { continue };
            return Ok(Some(crate::asn1::dc::DeleteNotificationForDc {
                notification_metadata: meta,
                euicc_notification_signature: sig.to_vec().into(),
            }));
        }
    }
    Ok(None)
}

/// The new device's half: presents the old card's delete notification to the SM-DP+
/// (AuthenticateClientRequest.deleteNotificationForDc), which releases the profile, then
/// downloads it as any profile (the same ICCID).
pub fn install_moved_profile<T: Transport>(
    new: &mut Es10Client<T>,
    smdp: &mut TestSmdp,
    notification: &crate::asn1::dc::DeleteNotificationForDc,
    profile: &ProfileToInstall,
) -> Result<Installed, DownloadError> {
    let iccid = smdp.accept_delete_notification_for_dc(notification).map_err(DownloadError::Smdp)?;
    if iccid.as_slice() != profile.metadata.iccid.as_ref() {
        return Err(DownloadError::Smdp("the profile is not the one released".into()));
    }
    let installed = download(new, smdp, profile)?;
    smdp.take_released(&iccid);
    Ok(installed)
}

/// A whole Device Change of `profile` (SGP.22 v3) from the card behind `old` to the card
/// behind `new`, through `smdp`: [`prepare_device_change`], [`verify_device_change`] (the old
/// card deletes the profile and queues its delete notification), [`delete_notification_for_dc`],
/// [`install_moved_profile`].
pub fn device_change<T: Transport, U: Transport>(
    old: &mut Es10Client<T>,
    new: &mut Es10Client<U>,
    smdp: &mut TestSmdp,
    profile: &ProfileToInstall,
) -> Result<DeviceChangeRun, DownloadError> {
    let request = prepare_device_change(old, smdp, &profile.metadata.iccid)?;
    let data = verify_device_change(old, &request)?;
    let delete_notification = delete_notification_for_dc(old, &profile.metadata.iccid)?
        .ok_or_else(|| DownloadError::Smdp("the old card queued no delete notification".into()))?;
    let installed = install_moved_profile(new, smdp, &delete_notification, profile)?;
    Ok(DeviceChangeRun { data, delete_notification, installed })
}
