//! An LPA driver: runs the SGP.22 profile download against a card over APDUs, the
//! way lpac does (`src/applet/profile/download.c`), with a [`TestSmdp`] in place of
//! the network: GetEUICCChallenge → GetEUICCInfo1 → AuthenticateServer →
//! PrepareDownload → LoadBoundProfilePackage (lpac's cuts) → PIR; on a failure before
//! the load it cancels the session (endUserRejection), as lpac does.

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

/// Runs a whole download of `profile` from `smdp` into the card behind `lpa`.
pub fn download<T: Transport>(
    lpa: &mut Es10Client<T>,
    smdp: &mut TestSmdp,
    profile: &ProfileToInstall,
) -> Result<Installed, DownloadError> {
    let challenge = lpa.get_euicc_challenge()?;
    let info1 = lpa.get_euicc_info1()?;
    let request = smdp.initiate_authentication_for(challenge, None, Some(&info1));
    let tid = smdp.transaction_id().to_vec();
    let response = lpa.store_data(&request)?;
    let auth: AuthenticateServerResponse =
        rasn::der::decode(&response).map_err(|e| DownloadError::Card(ClientError::Decode(e.to_string())))?;
    if let AuthenticateServerResult::Error(e) = &auth.0 {
        cancel(lpa, &tid);
        return Err(DownloadError::Authenticate(int(&e.authenticate_error_code)));
    }
    let prepare = match smdp.authenticate_client(&response) {
        Ok(p) => p,
        Err(e) => {
            cancel(lpa, &tid);
            return Err(DownloadError::Smdp(e));
        }
    };
    let response = lpa.store_data(&prepare)?;
    let prepared: PrepareDownloadResponse =
        rasn::der::decode(&response).map_err(|e| DownloadError::Card(ClientError::Decode(e.to_string())))?;
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
    let challenge = lpa.get_euicc_challenge()?;
    let info1 = lpa.get_euicc_info1()?;
    let request = smdp.initiate_authentication_for(challenge, None, Some(&info1));
    let tid = smdp.transaction_id().to_vec();
    let response = lpa.store_data(&request)?;
    let auth: AuthenticateServerResponse =
        rasn::der::decode(&response).map_err(|e| DownloadError::Card(ClientError::Decode(e.to_string())))?;
    if let AuthenticateServerResult::Error(e) = &auth.0 {
        cancel(lpa, &tid);
        return Err(DownloadError::Authenticate(int(&e.authenticate_error_code)));
    }
    let request = match smdp.authenticate_client_rpm(&response, commands, false, target_esim_port) {
        Ok(r) => r,
        Err(e) => {
            cancel(lpa, &tid);
            return Err(DownloadError::Smdp(e));
        }
    };
    let result = lpa.store_data(&request)?;
    let data = match smdp.handle_rpm_result(&result) {
        Ok(data) => Some(data),
        Err(e) if e.starts_with("loadRpmPackageResultNotSigned") => None,
        Err(e) => return Err(DownloadError::Smdp(e)),
    };
    Ok(RpmRun { request, result, data })
}
