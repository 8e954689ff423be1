//! ES10b.LoadRpmPackage: SGP.22 v3 Remote Profile Management on the card (`#SupportedForRpmV3.0.0#`).
//!
//! ```text
//! GetEUICCChallenge → AuthenticateServer (CERT.DPauth) → Authenticated
//!   → LoadRpmPackage (BF44 { smdpSigned3, smdpSignature3, targetEsimPort? })
//!       no authenticated SM-DP+ session           → notSigned noSession(4), the session stays
//!       transactionId ≠ the session's             → signed invalidTransactionId(5)
//!       smdpSignature3 does not verify            → signed invalidSignature(2)
//!       else every command in order               → signed rpmPackageExecutionResult
//!   every signed result is queued (loadRpmPackageResult notification) and ends the session
//! ```
//!
//! The card's reading of the v3.0 text (only the ASN.1 is at hand; each point is a choice):
//! * **Signature.** LoadRpmPackageRequest carries no certificate, so smdpSignature3 is checked with
//!   the session's CERT.DPauth (an SM-DS session has no SM-DP+: noSession), over
//!   `smdpSigned3 ‖ 5F37 40 ‖ euiccSignature1`, as smdpSignature2 is in PrepareDownload.
//!   `euiccSignRPR` covers the `loadRpmPackageResultDataSigned` TLV as it stands in the result
//!   (`A0 …`).
//! * **Who may manage a profile.** The profile's `rpmConfiguration` must list the session's
//!   SM-DP+ OID in `managingDpList` (and, with `allowedCiPKId`, the session must use that CI);
//!   the entry's `rpmType` must have the command's bit (no `rpmType`: every command). A profile
//!   without rpmConfiguration is managed by nobody. Refused: enable `disallowedForRpm(9)`,
//!   disable `disallowedForRpm(10)`, delete `disallowedByPolicy(3)` (DeleteProfileResponse has
//!   no RPM code), updateMetadata and contactPcmp `commandError(7)`; listProfileInfo lists only
//!   the profiles the SM-DP+ may list. An enable that would disable the profile enabled on its
//!   port needs the right to disable that one too (else `disallowedForRpm(9)`).
//! * **Lifecycle.** enable, disable and delete run ES10c's checks and changes
//!   (`es10c::enable_in`, `disable_in`, `delete_in`), with the RPM notification events
//!   (notificationRpmEnable/Disable/Delete, to the profile's configured address). No REFRESH is
//!   requested: an RPM command has no refreshFlag.
//! * **Atomicity.** One commit per package: the changes of every command that ran, their
//!   notifications and the signed result as a pending notification (`A1 …`, to the session's
//!   server address). A power cut leaves the card before the package or after all of it.
//! * **Order.** Commands run in order. One that fails stops the package unless it has
//!   `continueOnFailure`; what ran before stays. A command that does not decode ends it with
//!   `rpmProcessingTerminated(unknownOrDamagedCommand)`; any command after a successful
//!   contactPcmp with `commandAfterContactPcmp`; a package of more than [`MAX_COMMANDS`]
//!   runs nothing: `commandPackageTooLarge`.
//! * **profileChangeOngoing(11)** (listProfileInfo) and `catBusy` (enable, disable): while a
//!   proactive session is pending.
//! * **contactPcmp.** The card keeps no LPR configuration: an enabled managed profile answers
//!   `noLprConfiguration(13)`, a disabled one `profileNotEnabled(2)`.
//! * **updateMetadata.** See [`update_metadata`].

use super::Ctx;
use super::download::{Authenticated, Session};
use super::es10c::{self, Busy, Cause};
use crate::apdu::{Result, Status};
use crate::asn1::codes::{
    ContactPcmpError, DeleteProfileResult, DisableProfileResult, EnableProfileResult, LoadRpmPackageErrorCodeNotSigned,
    LoadRpmPackageErrorCodeSigned, ProfileInfoListError, RpmProcessingTerminated, UpdateMetadataResult,
};
use crate::asn1::download::NotificationMetadata;
use crate::asn1::rpm::{
    ContactPcmpResponse, LoadRpmPackageRequest, LoadRpmPackageResult, LoadRpmPackageResultChoice,
    LoadRpmPackageResultDataSigned, LoadRpmPackageResultNotSigned, LoadRpmPackageResultSigned, ManagingDp, RpmCommand,
    RpmCommandDetails, RpmCommandResult, RpmCommandResultData, RpmConfiguration, RpmFinalResult, RpmSearchCriteria,
    SmdpSigned3, UpdateMetadataRequest, UpdateMetadataResponse, rpm_type,
};
use crate::asn1::rsp::{
    DeleteProfileResponse, DisableProfileResponse, EnableProfileRequest, EnableProfileResponse, ProfileIdentifier,
    ProfileInfoListResponse, ProfileInfoListResult,
};
use crate::asn1::tlv::{split_tags, tlv};
use crate::crypto::cert::Role;
use crate::platform::Platform;
use crate::store::{Edit, Icon, NotificationConfig, NotificationEvent, NotificationRecord, PPR1, PPR2, ProfileRecord};
use alloc::vec::Vec;
use rasn::types::{Integer, ObjectIdentifier, OctetString};

/// The most commands a package may hold (the card's limit; more is `commandPackageTooLarge`).
pub(super) const MAX_COMMANDS: usize = 32;

/// ES10b.LoadRpmPackage — see the module documentation. `session` is consumed and the next
/// one returned with the answer; `busy` is ES10c's.
pub(super) fn load_rpm_package<P: Platform>(
    session: Session,
    req: LoadRpmPackageRequest,
    ctx: &mut Ctx<'_, P>,
    busy: Busy,
) -> (Session, Result<LoadRpmPackageResult>) {
    let Ok(signed) = crate::asn1::ext::decode::<3, 0, SmdpSigned3>(req.smdp_signed3.as_bytes()) else {
        return (session, Err(Status::IncorrectData));
    };
    let not_signed = |code: LoadRpmPackageErrorCodeNotSigned| {
        Ok(LoadRpmPackageResult(LoadRpmPackageResultChoice::NotSigned(LoadRpmPackageResultNotSigned {
            transaction_id: signed.transaction_id.clone(),
            load_rpm_package_error_code_not_signed: code.into(),
        })))
    };
    let auth = match session {
        Session::Authenticated(auth) if auth.server().is_some_and(|s| s.role() == Role::DpAuth) => auth,
        other => return (other, not_signed(LoadRpmPackageErrorCodeNotSigned::NoSession)),
    };
    if ctx.signing().is_none() {
        return (Session::Authenticated(auth), not_signed(LoadRpmPackageErrorCodeNotSigned::UndefinedError));
    }
    let final_result = if signed.transaction_id.as_ref() != auth.transaction_id() {
        Verdict::Refused(LoadRpmPackageErrorCodeSigned::InvalidTransactionId)
    } else if !signature_ok(&auth, &req, ctx) {
        Verdict::Refused(LoadRpmPackageErrorCodeSigned::InvalidSignature)
    } else {
        Verdict::Run
    };
    match finish(&auth, &signed, &req, final_result, ctx, busy) {
        Ok(result) => (Session::Idle, Ok(result)),
        // Storage failed: nothing changed; the session stays for a retry.
        Err(e) => (Session::Authenticated(auth), Err(e)),
    }
}

/// Whether the package runs or why it is refused (signed).
enum Verdict {
    Run,
    Refused(LoadRpmPackageErrorCodeSigned),
}

/// smdpSignature3 over `smdpSigned3 ‖ 5F37 40 ‖ euiccSignature1` with PK.DPauth.
fn signature_ok<P: Platform>(auth: &Authenticated, req: &LoadRpmPackageRequest, ctx: &mut Ctx<'_, P>) -> bool {
    let mut msg = req.smdp_signed3.as_bytes().to_vec();
    msg.extend(tlv(&[0x5F, 0x37], auth.euicc_signature1()));
    auth.server().is_some_and(|s| s.verify(ctx.platform.crypto(), &msg, &req.smdp_signature3).is_ok())
}

/// Runs the package (or not), queues the signed result and commits it all at once.
fn finish<P: Platform>(
    auth: &Authenticated,
    signed: &SmdpSigned3,
    req: &LoadRpmPackageRequest,
    verdict: Verdict,
    ctx: &mut Ctx<'_, P>,
    busy: Busy,
) -> Result<LoadRpmPackageResult> {
    let card = ctx.signing().ok_or(Status::Unknown)?;
    let smdp_oid = oid(auth.dp_auth_oid())?;
    let manager = Manager { oid: auth.dp_auth_oid(), ci_pkid: auth.ci_pkid() };
    let port = req.target_esim_port.as_ref().and_then(|n| u8::try_from(n).ok());
    let now = ctx.now();
    let env = Env { config: ctx.config, command_port: ctx.port, target_port: port, busy, now };
    let mut edit = Edit::new(&mut *ctx.state);
    let final_result = match verdict {
        Verdict::Refused(code) => RpmFinalResult::LoadRpmPackageErrorCodeSigned(code.into()),
        Verdict::Run => RpmFinalResult::RpmPackageExecutionResult(run_package(
            &mut edit,
            &env,
            &manager,
            &signed.rpm_package,
            ctx.store,
        )?),
    };
    let seq = edit.next_seq();
    let address: rasn::types::Utf8String = auth.server_address().into();
    let data = LoadRpmPackageResultDataSigned {
        transaction_id: signed.transaction_id.clone(),
        notification_metadata: NotificationMetadata {
            seq_number: seq.into(),
            profile_management_operation: super::es10b::named_bits(&[NotificationEvent::LoadRpmPackageResult.bit()]),
            notification_address: address.clone(),
            iccid: None,
        },
        smdp_oid,
        final_result,
    };
    // The data as it stands in the result: `A0` (automatic tag) instead of `30`.
    let data_tlv = retag(rasn::der::encode(&data).map_err(|_| Status::Unknown)?, 0xA0)?;
    let signature = card.signer.sign(&data_tlv);
    let result = LoadRpmPackageResultSigned {
        load_rpm_package_result_data_signed: data,
        euicc_sign_rpr: signature.to_vec().into(),
    };
    // The pending notification: `PendingNotification.loadRpmPackageResultSigned [1]`.
    let pending = retag(rasn::der::encode(&result).map_err(|_| Status::Unknown)?, 0xA1)?;
    edit.push_notification(NotificationRecord {
        seq,
        event: NotificationEvent::LoadRpmPackageResult,
        address,
        iccid: None,
        pir: Some(pending.into()),
    });
    super::commit_edit(ctx.store, ctx.platform, edit)?;
    Ok(LoadRpmPackageResult(LoadRpmPackageResultChoice::Signed(result)))
}

/// `der` (one TLV with a one-byte tag) under the one-byte tag `tag`.
fn retag(mut der: Vec<u8>, tag: u8) -> Result<Vec<u8>> {
    *der.first_mut().ok_or(Status::Unknown)? = tag;
    Ok(der)
}

/// OID content bytes as a rasn OID.
fn oid(content: &[u8]) -> Result<ObjectIdentifier> {
    rasn::der::decode(&tlv(&[0x06], content)).map_err(|_| Status::Unknown)
}

/// The OID's content bytes.
fn oid_content(oid: &ObjectIdentifier) -> Option<Vec<u8>> {
    let der = rasn::der::encode(oid).ok()?;
    let h = crate::asn1::tlv::header(&der, 3).ok()?;
    der.get(h.size()..).map(<[u8]>::to_vec)
}

/// The session's SM-DP+: its OID (CERT.DPauth) and CI.
struct Manager<'a> {
    oid: &'a [u8],
    ci_pkid: &'a [u8],
}

/// What the commands need from the card besides the state.
struct Env<'a> {
    config: &'a crate::config::CardConfig,
    command_port: u8,
    target_port: Option<u8>,
    /// ES10c's busy state: a download session cannot be loading (the RPM session is the card's
    /// one session); a pending proactive session counts.
    busy: Busy,
    /// The card clock's time (a mirror instance past its renew-by is not enabled).
    now: Option<u64>,
}

impl Manager<'_> {
    /// The `managingDpList` entry of this SM-DP+ in `p`'s rpmConfiguration, if it manages `p`.
    fn entry(&self, p: &ProfileRecord) -> Option<ManagingDp> {
        let config: RpmConfiguration = rasn::der::decode(p.rpm_configuration.as_deref()?).ok()?;
        if config.allowed_ci_pkid.as_ref().is_some_and(|ci| ci.as_ref() != self.ci_pkid) {
            return None;
        }
        config.managing_dp_list.into_iter().find(|dp| oid_content(&dp.managing_dp_oid).as_deref() == Some(self.oid))
    }

    /// Whether this SM-DP+ may send the command of `rpm_type` bit `bit` for `p`.
    fn may(&self, p: &ProfileRecord, bit: usize) -> bool {
        self.entry(p).is_some_and(|dp| dp.rpm_type.is_none_or(|t| t.get(bit).is_some_and(|b| *b)))
    }
}

fn terminated(code: RpmProcessingTerminated) -> RpmCommandResult {
    RpmCommandResult {
        iccid: None,
        rpm_command_result_data: RpmCommandResultData::RpmProcessingTerminated(code.into()),
    }
}

/// Runs the commands of `package` on `edit`, in order; their results.
fn run_package(
    edit: &mut Edit<'_>,
    env: &Env<'_>,
    manager: &Manager<'_>,
    package: &[rasn::types::Any],
    store: &crate::store::Store,
) -> Result<Vec<RpmCommandResult>> {
    if package.len() > MAX_COMMANDS {
        return Ok(alloc::vec![terminated(RpmProcessingTerminated::CommandPackageTooLarge)]);
    }
    let mut results = Vec::new();
    let mut contacted = false;
    for raw in package {
        if contacted {
            results.push(terminated(RpmProcessingTerminated::CommandAfterContactPcmp));
            break;
        }
        let Ok(command) = crate::asn1::ext::decode::<2, 0, RpmCommand>(raw.as_bytes()) else {
            results.push(terminated(RpmProcessingTerminated::UnknownOrDamagedCommand));
            break;
        };
        let is_contact = matches!(command.rpm_command_details, RpmCommandDetails::ContactPcmp(_));
        let (result, ok) = run_command(edit, env, manager, command.rpm_command_details, store)?;
        results.push(result);
        contacted = is_contact && ok;
        if !ok && command.continue_on_failure.is_none() {
            break;
        }
    }
    Ok(results)
}

/// One command: its result and whether it succeeded.
fn run_command(
    edit: &mut Edit<'_>,
    env: &Env<'_>,
    manager: &Manager<'_>,
    details: RpmCommandDetails,
    store: &crate::store::Store,
) -> Result<(RpmCommandResult, bool)> {
    let position = |iccid: &OctetString| edit.state().profiles.iter().position(|p| p.iccid == *iccid);
    let with_iccid = |iccid: OctetString, data: RpmCommandResultData| RpmCommandResult {
        iccid: Some(iccid),
        rpm_command_result_data: data,
    };
    Ok(match details {
        RpmCommandDetails::Enable(c) => {
            let resp = enable(edit, env, manager, &c.iccid)?;
            let ok = resp.enable_result == EnableProfileResult::Ok.into();
            (with_iccid(c.iccid, RpmCommandResultData::EnableResult(resp)), ok)
        }
        RpmCommandDetails::Disable(c) => {
            let code = |code: DisableProfileResult| DisableProfileResponse { disable_result: code.into() };
            let resp = match position(&c.iccid).and_then(|i| edit.state().profiles.get(i)) {
                Some(p) if !manager.may(p, rpm_type::DISABLE) => code(DisableProfileResult::DisallowedForRpm),
                _ => es10c::disable_in(edit, &ProfileIdentifier::Iccid(c.iccid.clone()), env.busy, Cause::Rpm)?,
            };
            let ok = resp.disable_result == DisableProfileResult::Ok.into();
            (with_iccid(c.iccid, RpmCommandResultData::DisableResult(resp)), ok)
        }
        RpmCommandDetails::Delete(c) => {
            let code = |code: DeleteProfileResult| DeleteProfileResponse { delete_result: code.into() };
            let resp = match position(&c.iccid).and_then(|i| edit.state().profiles.get(i)) {
                Some(p) if !manager.may(p, rpm_type::DELETE) => code(DeleteProfileResult::DisallowedByPolicy),
                _ => es10c::delete_in(edit, &ProfileIdentifier::Iccid(c.iccid.clone()), env.busy, Cause::Rpm)?,
            };
            let ok = resp.delete_result == DeleteProfileResult::Ok.into();
            (with_iccid(c.iccid, RpmCommandResultData::DeleteResult(resp)), ok)
        }
        RpmCommandDetails::ListProfileInfo(c) => {
            let resp = list_profile_info(edit, env, manager, &c.search_criteria, c.tag_list.as_deref(), store);
            let ok = matches!(resp.0, ProfileInfoListResult::ProfileInfoListOk(_));
            let result = RpmCommandResult {
                iccid: None,
                rpm_command_result_data: RpmCommandResultData::ListProfileInfoResult(resp),
            };
            (result, ok)
        }
        RpmCommandDetails::UpdateMetadata(c) => {
            let code = match position(&c.iccid) {
                Some(i) => update_metadata(edit, manager, i, &c.update_metadata_request),
                None => UpdateMetadataResult::CommandError,
            };
            let ok = code == UpdateMetadataResult::Ok;
            let data = RpmCommandResultData::UpdateMetadataResult(UpdateMetadataResponse(code.into()));
            (with_iccid(c.iccid, data), ok)
        }
        RpmCommandDetails::ContactPcmp(c) => {
            let code = match position(&c.iccid).and_then(|i| edit.state().profiles.get(i)) {
                Some(p) if manager.may(p, rpm_type::CONTACT_PCMP) => match p.enabled_on() {
                    None => ContactPcmpError::ProfileNotEnabled,
                    Some(_) => ContactPcmpError::NoLprConfiguration,
                },
                _ => ContactPcmpError::CommandError,
            };
            let data =
                RpmCommandResultData::ContactPcmpResult(ContactPcmpResponse::ContactPcmpResponseError(code.into()));
            (with_iccid(c.iccid, data), false)
        }
    })
}

/// The enable command: the profile and the one it replaces on its port must be manageable.
fn enable(
    edit: &mut Edit<'_>,
    env: &Env<'_>,
    manager: &Manager<'_>,
    iccid: &OctetString,
) -> Result<EnableProfileResponse> {
    let refused =
        EnableProfileResponse { enable_result: EnableProfileResult::DisallowedForRpm.into(), target_esim_port: None };
    let id = ProfileIdentifier::Iccid(iccid.clone());
    let mut req = EnableProfileRequest::new(id, false);
    req.target_esim_port = env.target_port.map(Integer::from);
    let state = edit.state();
    if let Some(i) = state.profiles.iter().position(|p| p.iccid == *iccid) {
        if state.profiles.get(i).is_some_and(|p| !manager.may(p, rpm_type::ENABLE)) {
            return Ok(refused);
        }
        if let Ok(port) = es10c::target_port(env.config, state, &req, env.command_port) {
            let replaced = state.profiles.iter().enumerate().filter(|(o, p)| *o != i && p.enabled_on() == Some(port));
            if replaced.clone().any(|(_, p)| !manager.may(p, rpm_type::DISABLE)) {
                return Ok(refused);
            }
        }
    }
    es10c::enable_in(edit, env.config, &req, env.command_port, env.busy, env.now, Cause::Rpm)
}

/// The listProfileInfo command: the matching profiles this SM-DP+ may list, with the tags asked
/// for (ES10c's default set without a tag list) and, when its managingDpList entry has a tag
/// list, only those.
fn list_profile_info(
    edit: &Edit<'_>,
    env: &Env<'_>,
    manager: &Manager<'_>,
    criteria: &RpmSearchCriteria,
    tag_list: Option<&[u8]>,
    store: &crate::store::Store,
) -> ProfileInfoListResponse {
    let error =
        |code: ProfileInfoListError| ProfileInfoListResponse(ProfileInfoListResult::ProfileInfoListError(code.into()));
    if env.busy.cat {
        return error(ProfileInfoListError::ProfileChangeOngoing);
    }
    let tags = match tag_list {
        None => es10c::DEFAULT_TAGS.to_vec(),
        Some(list) => match split_tags(list) {
            Some(tags) => tags,
            None => return error(ProfileInfoListError::IncorrectInputValues),
        },
    };
    let owner = match criteria {
        RpmSearchCriteria::Iccid(iccid) if iccid.len() != 10 => {
            return error(ProfileInfoListError::IncorrectInputValues);
        }
        RpmSearchCriteria::Iccid(_) => None,
        RpmSearchCriteria::ProfileOwnerOid(oid) => Some(oid),
    };
    let wanted = |p: &ProfileRecord| match criteria {
        RpmSearchCriteria::Iccid(iccid) => p.iccid == *iccid,
        RpmSearchCriteria::ProfileOwnerOid(_) => p
            .rpm_configuration
            .as_deref()
            .and_then(|der| rasn::der::decode::<RpmConfiguration>(der).ok())
            .is_some_and(|c| Some(&c.profile_owner_oid) == owner),
    };
    let extras = es10c::Extras { mep: env.config.mep().is_some(), v3: true };
    let list = edit
        .state()
        .profiles
        .iter()
        .filter(|p| wanted(p))
        .filter_map(|p| {
            let entry = manager.entry(p)?;
            if !entry.rpm_type.as_ref().is_none_or(|t| t.get(rpm_type::LIST_PROFILE_INFO).is_some_and(|b| *b)) {
                return None;
            }
            let allowed = entry.tag_list.as_deref().and_then(split_tags);
            let tags: Vec<u32> =
                tags.iter().copied().filter(|t| allowed.as_ref().is_none_or(|a| a.contains(t))).collect();
            Some(es10c::profile_info(p, &tags, extras, store.get(&p.package_name()).map(<[u8]>::len)))
        })
        .collect();
    ProfileInfoListResponse(ProfileInfoListResult::ProfileInfoListOk(list))
}

/// The top-level tags an UpdateMetadataRequest touches (its members present, and the tags it
/// asks to delete).
fn touched_tags(req: &UpdateMetadataRequest, deleted: &[u32]) -> Vec<u32> {
    let present = [
        (req.service_provider_name.is_some(), 0x91),
        (req.profile_name.is_some(), 0x92),
        (req.icon_type.is_some(), 0x93),
        (req.icon.is_some(), 0x94),
        (req.profile_policy_rules.is_some(), 0x99),
        (req.service_specific_data_stored_in_euicc.is_some(), 0xBF22),
        (req.notification_configuration_info.is_some(), 0xB6),
        (req.rpm_configuration.is_some(), 0xBA),
        (req.hri_server_address.is_some(), 0x9B),
        (req.lpr_configuration.is_some(), 0xBC),
        (req.enterprise_configuration.is_some(), 0xBD),
        (req.device_change_configuration.is_some(), 0xBF20),
    ];
    present.iter().filter(|(on, _)| *on).map(|(_, t)| *t).chain(deleted.iter().copied()).collect()
}

/// The updateMetadata command on profile `index` (ES6.UpdateMetadata through RPM), the card's
/// reading of its rules:
/// * the SM-DP+ must manage the profile, and when its managingDpList entry has a tag list,
///   every tag the request touches must be in it: else `commandError(7)`; so must an icon come
///   with its type (`93` and `94` together);
/// * `tagsForDeletion` may remove the icon (`93`/`94`), `B6`, `BA`, `9B`; the mandatory `91`,
///   `92` and the policy rules `99` cannot go: `deleteNotAllowed(15)`; a tag list that does not
///   parse, or any other tag, is `commandError(7)`;
/// * profilePolicyRules may only clear rules, never set one: else `pprUpdateInvalidSetting(12)`;
/// * an enterpriseConfiguration is fixed at installation: `enterpriseConfigurationNotAllowed(6)`;
/// * an rpmConfiguration with an empty managingDpList is `invalidRpmConfiguration(14)`;
/// * serviceSpecificData, lprConfiguration and deviceChangeConfiguration are accepted and not
///   kept (as StoreMetadata does with them).
///
/// Nothing changes unless the answer is ok. No notification (the result is in the signed one).
fn update_metadata(
    edit: &mut Edit<'_>,
    manager: &Manager<'_>,
    index: usize,
    req: &UpdateMetadataRequest,
) -> UpdateMetadataResult {
    let Some(p) = edit.state().profiles.get(index) else { return UpdateMetadataResult::CommandError };
    let Some(entry) = manager.entry(p) else { return UpdateMetadataResult::CommandError };
    let deleted = match req.tags_for_deletion.as_deref().map(split_tags) {
        None => Vec::new(),
        Some(Some(tags)) => tags,
        Some(None) => return UpdateMetadataResult::CommandError,
    };
    let touched = touched_tags(req, &deleted);
    if let Some(allowed) = entry.tag_list.as_deref() {
        let Some(allowed) = split_tags(allowed) else { return UpdateMetadataResult::CommandError };
        if touched.iter().any(|t| !allowed.contains(t)) {
            return UpdateMetadataResult::CommandError;
        }
    }
    if req.icon.is_some() != req.icon_type.is_some() {
        return UpdateMetadataResult::CommandError;
    }
    for t in &deleted {
        match t {
            0x91 | 0x92 | 0x99 => return UpdateMetadataResult::DeleteNotAllowed,
            0x93 | 0x94 | 0xB6 | 0xBA | 0x9B => {}
            _ => return UpdateMetadataResult::CommandError,
        }
    }
    let ppr = req
        .profile_policy_rules
        .as_ref()
        .map(|b| (0..8).filter(|&i| b.get(i).is_some_and(|x| *x)).fold(0u8, |acc, i| acc | (1 << i)));
    if ppr.is_some_and(|new| new & !p.ppr & (PPR1 | PPR2) != 0) {
        return UpdateMetadataResult::PprUpdateInvalidSetting;
    }
    if req.enterprise_configuration.is_some() {
        return UpdateMetadataResult::EnterpriseConfigurationNotAllowed;
    }
    let rpm = match &req.rpm_configuration {
        Some(c) if c.managing_dp_list.is_empty() => return UpdateMetadataResult::InvalidRpmConfiguration,
        Some(c) => match rasn::der::encode(c) {
            Ok(der) => Some(der),
            Err(_) => return UpdateMetadataResult::UndefinedError,
        },
        None => None,
    };
    let Some(p) = edit.profile_mut(index) else { return UpdateMetadataResult::UndefinedError };
    for t in &deleted {
        match t {
            0x93 | 0x94 => p.icon = None,
            0xB6 => p.notification_config.clear(),
            0xBA => p.rpm_configuration = None,
            0x9B => p.hri_server_address = None,
            _ => {}
        }
    }
    if let Some(name) = &req.service_provider_name {
        p.service_provider_name = name.as_str().into();
    }
    if let Some(name) = &req.profile_name {
        p.profile_name = name.as_str().into();
    }
    if let Some((icon_type, data)) = req.icon_type.clone().zip(req.icon.clone()) {
        p.icon = Some(Icon { icon_type, data });
    }
    if let Some(ppr) = ppr {
        p.ppr = ppr;
    }
    if let Some(list) = &req.notification_configuration_info {
        p.notification_config = list
            .iter()
            .map(|n| NotificationConfig {
                events: (0..8)
                    .filter(|&i| n.profile_management_operation.get(i).is_some_and(|x| *x))
                    .fold(0, |acc, i| acc | (1 << i)),
                address: n.notification_address.clone(),
            })
            .collect();
    }
    if let Some(der) = rpm {
        p.rpm_configuration = Some(der.into());
    }
    if let Some(address) = &req.hri_server_address {
        p.hri_server_address = Some(address.clone());
    }
    UpdateMetadataResult::Ok
}
