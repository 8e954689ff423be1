//! The mirror functions as an LPA drives them, over each card's APDUs ([`Es10Client`]): the
//! whole pairing of a primary and a secondary ([`pair`]: IssueMirrorToken → BeginMirror →
//! ExportMirror → the mirror package through LoadBoundProfilePackage, in lpac's STORE DATA
//! segments → ConfirmMirror), each of its steps on its own for two LPAs on two devices that
//! carry the messages between them ([`issue`] or [`redeem`], [`begin`], [`export`],
//! [`install`], [`confirm`]; [`void`] for a token the secondary refused), the link updates the primary signs ([`revoke`], [`renew`],
//! [`suspend`], [`resume`]) and their delivery to the secondary ([`apply`]). The LPA only
//! relays bytes: every check is the cards'. `veuicc mirror` and the tests run these.

use super::{ClientError, Es10Client, Transport};
use crate::asn1::download::{FinalResult, ProfileInstallationResult, ProfileInstallationResultData};
use crate::mirror::asn::{
    ApplyMirrorRenewalRequest, ApplyMirrorRenewalResponse, ApplyMirrorRevocationRequest, ApplyMirrorRevocationResponse,
    ApplyMirrorSuspensionRequest, ApplyMirrorSuspensionResponse, BeginMirrorRequest, BeginMirrorResponse,
    BeginMirrorResult, ConfirmMirrorRequest, ConfirmMirrorResponse, ConfirmMirrorResult, ExportMirrorRequest,
    ExportMirrorResponse, ExportMirrorResult, IssueMirrorTokenRequest, IssueMirrorTokenResponse,
    IssueMirrorTokenResult, MirrorLink, MirrorLinkRef, MirrorResult, RedeemMirrorCodeRequest, RedeemMirrorCodeResponse,
    RedeemMirrorCodeResult, RenewMirrorRequest, RenewMirrorResponse, RenewMirrorResult, ResumeMirrorRequest,
    ResumeMirrorResponse, ResumeMirrorResult, RevokeMirrorRequest, RevokeMirrorResponse, RevokeMirrorResult,
    SignedMirrorLinkUpdate, SignedMirrorRequest, SignedMirrorToken, SuspendMirrorRequest, SuspendMirrorResponse,
    SuspendMirrorResult, action, result_name,
};
use rasn::types::NumericString;
use std::string::String;
use std::vec::Vec;

/// A step of the pairing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// IssueMirrorToken on the primary.
    Issue,
    /// RedeemMirrorCode on the primary (the token a numeric code names).
    Redeem,
    /// BeginMirror on the secondary.
    Begin,
    /// ExportMirror on the primary.
    Export,
    /// The mirror package through the secondary's LoadBoundProfilePackage.
    Install,
    /// ConfirmMirror on the primary.
    Confirm,
    /// RevokeMirror on the primary.
    Revoke,
    /// RenewMirror on the primary.
    Renew,
    /// SuspendMirror on the primary.
    Suspend,
    /// ResumeMirror on the primary.
    Resume,
}

impl Step {
    /// The step's name, as `veuicc mirror pair` prints it.
    pub fn name(self) -> &'static str {
        match self {
            Step::Issue => "issue",
            Step::Redeem => "redeem",
            Step::Begin => "begin",
            Step::Export => "export",
            Step::Install => "install",
            Step::Confirm => "confirm",
            Step::Revoke => "revoke",
            Step::Renew => "renew",
            Step::Suspend => "suspend",
            Step::Resume => "resume",
        }
    }
}

/// Why a mirror exchange stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MirrorError {
    /// A card refused with a `MirrorResult` code.
    Refused(Step, u8),
    /// The secondary's install ended with a ProfileInstallationResult error (bppCommandId,
    /// errorReason).
    InstallFailed(u8, u8),
    /// An APDU exchange or a decode failed.
    Client(Step, String),
}

impl core::fmt::Display for MirrorError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            MirrorError::Refused(step, code) => write!(f, "{}: {} ({code})", step.name(), result_name(*code)),
            MirrorError::InstallFailed(command, reason) => {
                write!(f, "install: bppCommandId {command} errorReason {reason}")
            }
            MirrorError::Client(step, e) => write!(f, "{}: {e}", step.name()),
        }
    }
}

fn client(step: Step) -> impl Fn(ClientError) -> MirrorError {
    move |e| MirrorError::Client(step, std::format!("{e}"))
}

/// What a whole pairing went through.
#[derive(Debug, Clone)]
pub struct Pairing {
    /// The token the primary issued.
    pub token: SignedMirrorToken,
    /// The secondary's signed MirrorRequest.
    pub request: SignedMirrorRequest,
    /// The mirror package's length in bytes.
    pub package_len: usize,
    /// The STORE DATA commands the package took.
    pub install_commands: usize,
    /// The link, active, as the primary confirmed it.
    pub link: MirrorLink,
}

/// Pairs two cards for `req` (its targetEid is usually the secondary's EID): [`issue`],
/// [`begin`], [`export`], [`install`], [`confirm`]. A token the secondary refuses is revoked on
/// the primary at once, so it does not count against the policy's maxInstances.
pub fn pair<T: Transport, U: Transport>(
    primary: &mut Es10Client<T>,
    secondary: &mut Es10Client<U>,
    req: &IssueMirrorTokenRequest,
) -> Result<Pairing, MirrorError> {
    let token = issue(primary, req)?;
    let request = match begin(secondary, &token) {
        Ok(r) => r,
        Err(e @ MirrorError::Refused(..)) => {
            void(primary, &token);
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    let bpp = export(primary, &request)?;
    let (pir, install_commands) = install(secondary, &bpp)?;
    let link = confirm(primary, &pir)?;
    Ok(Pairing { token, request, package_len: bpp.len(), install_commands, link })
}

/// IssueMirrorToken on the primary: the signed token (its numeric code is dropped).
pub fn issue<T: Transport>(
    primary: &mut Es10Client<T>,
    req: &IssueMirrorTokenRequest,
) -> Result<SignedMirrorToken, MirrorError> {
    match primary.call::<_, IssueMirrorTokenResponse>(req).map_err(client(Step::Issue))?.0 {
        IssueMirrorTokenResult::Issued(t) => Ok(t.signed_mirror_token),
        IssueMirrorTokenResult::MirrorError(code) => Err(MirrorError::Refused(Step::Issue, code)),
    }
}

/// RedeemMirrorCode on the primary: the token an eight-digit code names.
pub fn redeem<T: Transport>(primary: &mut Es10Client<T>, code: &str) -> Result<SignedMirrorToken, MirrorError> {
    let numeric_code = NumericString::from_bytes(code.as_bytes())
        .map_err(|_| MirrorError::Client(Step::Redeem, "the code is eight digits".into()))?;
    let req = RedeemMirrorCodeRequest { numeric_code, iccid: None };
    match primary.call::<_, RedeemMirrorCodeResponse>(&req).map_err(client(Step::Redeem))?.0 {
        RedeemMirrorCodeResult::SignedMirrorToken(t) => Ok(t),
        RedeemMirrorCodeResult::MirrorError(code) => Err(MirrorError::Refused(Step::Redeem, code)),
    }
}

/// Voids an outstanding `token` on the primary (RevokeMirror by its id), so a pairing that
/// stopped before the export does not hold a place of the policy's maxInstances. Best effort:
/// a failure is ignored (the token expires anyway).
pub fn void<T: Transport>(primary: &mut Es10Client<T>, token: &SignedMirrorToken) {
    let void = RevokeMirrorRequest { link: MirrorLinkRef::TokenId(token.mirror_token.token_id) };
    let _ = primary.call::<_, RevokeMirrorResponse>(&void);
}

/// BeginMirror on the secondary: its signed MirrorRequest for the primary. The mirror
/// session it opens lives in the card's volatile state: the package must reach [`install`]
/// on the same session (the same `Es10Client`, without a reset in between).
pub fn begin<U: Transport>(
    secondary: &mut Es10Client<U>,
    token: &SignedMirrorToken,
) -> Result<SignedMirrorRequest, MirrorError> {
    let begin = BeginMirrorRequest { signed_mirror_token: token.clone() };
    match secondary.call::<_, BeginMirrorResponse>(&begin).map_err(client(Step::Begin))?.0 {
        BeginMirrorResult::SignedMirrorRequest(r) => Ok(r),
        BeginMirrorResult::MirrorError(code) => Err(MirrorError::Refused(Step::Begin, code)),
    }
}

/// ExportMirror on the primary: the mirror package (a Bound Profile Package, DER) for the
/// secondary that signed `request`.
pub fn export<T: Transport>(
    primary: &mut Es10Client<T>,
    request: &SignedMirrorRequest,
) -> Result<Vec<u8>, MirrorError> {
    let export = ExportMirrorRequest { signed_mirror_request: request.clone() };
    match primary.call::<_, ExportMirrorResponse>(&export).map_err(client(Step::Export))?.0 {
        ExportMirrorResult::BoundProfilePackage(b) => Ok(b.to_vec()),
        ExportMirrorResult::MirrorError(code) => Err(MirrorError::Refused(Step::Export, code)),
    }
}

/// ConfirmMirror on the primary with the secondary's signed ProfileInstallationResult (DER,
/// as [`install`] gives it): the link, active.
pub fn confirm<T: Transport>(primary: &mut Es10Client<T>, pir: &[u8]) -> Result<MirrorLink, MirrorError> {
    let confirm = ConfirmMirrorRequest { profile_installation_result: pir.to_vec().into() };
    match primary.call::<_, ConfirmMirrorResponse>(&confirm).map_err(client(Step::Confirm))?.0 {
        ConfirmMirrorResult::MirrorLink(l) => Ok(l),
        ConfirmMirrorResult::MirrorError(code) => Err(MirrorError::Refused(Step::Confirm, code)),
    }
}

/// The mirror package through the secondary's LoadBoundProfilePackage, in lpac's segments:
/// the signed PIR of a successful install, and the number of STORE DATA commands it took.
pub fn install<U: Transport>(secondary: &mut Es10Client<U>, bpp: &[u8]) -> Result<(Vec<u8>, usize), MirrorError> {
    let commands = super::es9_lpa::bpp_commands(bpp).map_err(|e| MirrorError::Client(Step::Install, e))?;
    let mut pir = Vec::new();
    let mut sent = 0;
    for command in &commands {
        pir = secondary.store_data(command).map_err(client(Step::Install))?;
        sent += 1;
        if !pir.is_empty() {
            break;
        }
    }
    let no_result = |e: rasn::error::DecodeError| MirrorError::Client(Step::Install, std::format!("{e}"));
    let result: ProfileInstallationResult = rasn::der::decode(&pir).map_err(no_result)?;
    let data: ProfileInstallationResultData =
        rasn::der::decode(result.profile_installation_result_data.as_bytes()).map_err(no_result)?;
    if let FinalResult::Error(e) = &data.final_result {
        let command = u8::try_from(&e.bpp_command_id).unwrap_or(u8::MAX);
        let reason = u8::try_from(&e.error_reason).unwrap_or(u8::MAX);
        return Err(MirrorError::InstallFailed(command, reason));
    }
    Ok((pir, sent))
}

/// What RevokeMirror gave: a voided token (nothing to deliver) or a revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoked {
    /// An outstanding token, voided.
    TokenVoided,
    /// A link, revoked: deliver this to its secondary.
    Revocation(SignedMirrorLinkUpdate),
}

/// RevokeMirror on the primary.
pub fn revoke<T: Transport>(primary: &mut Es10Client<T>, link: MirrorLinkRef) -> Result<Revoked, MirrorError> {
    match primary.call::<_, RevokeMirrorResponse>(&RevokeMirrorRequest { link }).map_err(client(Step::Revoke))?.0 {
        RevokeMirrorResult::TokenVoided(()) => Ok(Revoked::TokenVoided),
        RevokeMirrorResult::Revocation(r) => Ok(Revoked::Revocation(r)),
        RevokeMirrorResult::MirrorError(code) => Err(MirrorError::Refused(Step::Revoke, code)),
    }
}

/// RenewMirror on the primary: the renewal to deliver.
pub fn renew<T: Transport>(
    primary: &mut Es10Client<T>,
    link: MirrorLinkRef,
) -> Result<SignedMirrorLinkUpdate, MirrorError> {
    match primary.call::<_, RenewMirrorResponse>(&RenewMirrorRequest { link }).map_err(client(Step::Renew))?.0 {
        RenewMirrorResult::Renewal(r) => Ok(r),
        RenewMirrorResult::MirrorError(code) => Err(MirrorError::Refused(Step::Renew, code)),
    }
}

/// SuspendMirror on the primary (`None`: every link of a profile that suspends while roaming).
pub fn suspend<T: Transport>(
    primary: &mut Es10Client<T>,
    link: Option<MirrorLinkRef>,
) -> Result<Vec<SignedMirrorLinkUpdate>, MirrorError> {
    match primary.call::<_, SuspendMirrorResponse>(&SuspendMirrorRequest { link }).map_err(client(Step::Suspend))?.0 {
        SuspendMirrorResult::Suspensions(u) => Ok(u),
        SuspendMirrorResult::MirrorError(code) => Err(MirrorError::Refused(Step::Suspend, code)),
    }
}

/// ResumeMirror on the primary.
pub fn resume<T: Transport>(
    primary: &mut Es10Client<T>,
    link: Option<MirrorLinkRef>,
) -> Result<Vec<SignedMirrorLinkUpdate>, MirrorError> {
    match primary.call::<_, ResumeMirrorResponse>(&ResumeMirrorRequest { link }).map_err(client(Step::Resume))?.0 {
        ResumeMirrorResult::Resumptions(u) => Ok(u),
        ResumeMirrorResult::MirrorError(code) => Err(MirrorError::Refused(Step::Resume, code)),
    }
}

/// Delivers a link update to the secondary with the function its action names
/// (ApplyMirrorRevocation, ApplyMirrorRenewal, ApplyMirrorSuspension): its `MirrorResult`
/// code (`ok(0)` when applied). An action no function takes is sent as a suspension, which
/// the card refuses (incorrectInputValues).
pub fn apply<U: Transport>(secondary: &mut Es10Client<U>, update: &SignedMirrorLinkUpdate) -> Result<u8, ClientError> {
    let update = update.clone();
    Ok(match update.mirror_link_update.action {
        action::REVOKE => {
            secondary
                .call::<_, ApplyMirrorRevocationResponse>(&ApplyMirrorRevocationRequest { revocation: update })?
                .mirror_result
        }
        action::RENEW => {
            secondary
                .call::<_, ApplyMirrorRenewalResponse>(&ApplyMirrorRenewalRequest { renewal: update })?
                .mirror_result
        }
        _ => {
            secondary.call::<_, ApplyMirrorSuspensionResponse>(&ApplyMirrorSuspensionRequest { update })?.mirror_result
        }
    })
}

/// `ok(0)` of [`apply`].
pub const APPLIED: u8 = MirrorResult::Ok as u8;
