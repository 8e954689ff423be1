//! ES10b: card information and (later issues) the download session (SGP.22 v2.5 §5.7.5–§5.7.13).

use super::Ctx;
use crate::apdu::Result;
use crate::asn1::codes::{DeleteNotificationStatus, NotificationsListError};
use crate::asn1::download::NotificationMetadata;
use crate::asn1::rsp::{
    CertificationDataObject, EuiccInfo1, EuiccInfo2, GetEuiccChallengeRequest, GetEuiccChallengeResponse,
    GetEuiccInfo1Request, GetEuiccInfo2Request, GetRatRequest, GetRatResponse, ListNotificationRequest,
    ListNotificationResponse, ListNotificationResult, NotificationSearch, NotificationSentRequest,
    NotificationSentResponse, OperatorId, ProfilePolicyAuthorisationRule, RetrieveNotificationsListRequest,
    RetrieveNotificationsListResponse, RetrieveNotificationsListResult, rsp_capability,
};
use crate::config::{FIRMWARE_VERSION, Version};
use crate::platform::Platform;
use crate::store::{Edit, NotificationRecord};
use alloc::vec::Vec;
use rand_core::Rng;
use rasn::types::{BitString, FixedOctetString, Integer, OctetString};

/// SAIP (TCA eUICC Profile Package) version reported as `profileVersion`.
pub(crate) const PROFILE_PACKAGE_VERSION: Version = Version(2, 3, 1);

/// A DER named-bit string with exactly the given bits set (trailing zeros dropped, X.690 §11.2.2).
pub(crate) fn named_bits(bits: &[usize]) -> BitString {
    let len = bits.iter().max().map_or(0, |&b| b + 1);
    let mut s = BitString::repeat(false, len);
    for &b in bits {
        s.set(b, true);
    }
    s
}

/// The BIT STRING whose bit n is bit n of `mask` (bits 0 … 7), DER's trailing zeros dropped.
pub(crate) fn mask_bits(mask: u8) -> BitString {
    named_bits(&(0..8).filter(|b| mask & (1 << b) != 0).collect::<Vec<_>>())
}

fn pkids(list: &[Vec<u8>]) -> Vec<OctetString> {
    list.iter().map(|k| OctetString::from(k.clone())).collect()
}

/// ES10b.GetEUICCInfo, EUICCInfo1 — SGP.22 v2.5 §5.7.8.
pub(super) fn get_euicc_info1<P: Platform>(_req: GetEuiccInfo1Request, ctx: &mut Ctx<'_, P>) -> EuiccInfo1 {
    let sgp22 = ctx.config.sgp22;
    let v3 = sgp22.is_v3();
    EuiccInfo1 {
        svn: FixedOctetString::new(sgp22.lowest_svn().to_bytes()),
        euicc_ci_pkid_list_for_verification: pkids(&ctx.config.ci_pkids_verification),
        euicc_ci_pkid_list_for_signing: pkids(&ctx.config.ci_pkids_signing),
        euicc_ci_pkid_list_for_signing_v3: None,
        euicc_rsp_capability: v3.then(|| rsp_capability(ctx)),
        highest_svn: v3.then(|| FixedOctetString::new(sgp22.svn().to_bytes())),
    }
}

/// `rspCapability` (v3: `euiccRspCapability`): what the card does — test profiles (SGP.21),
/// device-info extensibility (ctxParams1 is copied as received, never parsed), and
/// `additionalProfile` while a slot is free; a v3 card also says EUICCInfo1 carries it, and that
/// it keeps and reports hriServerAddress, serviceDescription and profileSize, and Enterprise
/// Profiles with their rules (unless [`crate::config::CardConfig::enterprise_profiles`] is off).
/// A v3 card also runs RPM packages (ES10b.LoadRpmPackage: `rpmSupport(2)`) and Device Change
/// with plain DeviceChangeData (`deviceChangeSupport(11)`, not `encryptedDeviceChangeDataSupport`),
/// and keeps the metadata's serviceSpecificDataStoredInEuicc (`serviceSpecificDataSupport(5)`: the mirror
/// policy lives there). No CRL. A v2.5 card keeps that data too but does not say so, so that
/// its EUICCInfo stays byte for byte what it was.
fn rsp_capability<P: Platform>(ctx: &Ctx<'_, P>) -> BitString {
    let mut bits = alloc::vec![rsp_capability::TEST_PROFILE_SUPPORT, rsp_capability::DEVICE_INFO_EXTENSIBILITY_SUPPORT];
    if ctx.state.profiles.len() < usize::from(ctx.config.profile_capacity) {
        bits.push(rsp_capability::ADDITIONAL_PROFILE);
    }
    if ctx.config.sgp22.is_v3() {
        bits.push(rsp_capability::RPM_SUPPORT);
        // Profile metadata the card keeps and GetProfilesInfo returns.
        bits.push(rsp_capability::SERVICE_SPECIFIC_DATA_SUPPORT);
        bits.push(rsp_capability::HRI_SERVER_ADDRESS_SUPPORT);
        if ctx.config.enterprise_profiles {
            bits.push(rsp_capability::ENTERPRISE_PROFILES_SUPPORT);
        }
        bits.push(rsp_capability::SERVICE_DESCRIPTION_SUPPORT);
        bits.push(rsp_capability::DEVICE_CHANGE_SUPPORT);
        bits.push(rsp_capability::PROFILE_SIZE_IN_PROFILES_INFO_SUPPORT);
        bits.push(rsp_capability::EUICC_RSP_CAP_IN_INFO1);
    }
    named_bits(&bits)
}

/// `extCardResource` (ETSI TS 102 226 §8.2.1.3.2): installed applications `81`,
/// free non-volatile memory `82` (4 bytes), free volatile memory `83` (2 bytes).
fn ext_card_resource<P: Platform>(ctx: &Ctx<'_, P>) -> Vec<u8> {
    let installed = u8::try_from(ctx.state.profiles.len()).unwrap_or(u8::MAX);
    let used = u32::try_from(ctx.store.used_bytes()).unwrap_or(u32::MAX);
    let free_nvm = ctx.config.nvm_bytes.saturating_sub(used);
    let mut out = Vec::with_capacity(13);
    out.extend_from_slice(&[0x81, 0x01, installed, 0x82, 0x04]);
    out.extend_from_slice(&free_nvm.to_be_bytes());
    out.extend_from_slice(&[0x83, 0x02]);
    out.extend_from_slice(&ctx.config.ram_bytes.to_be_bytes());
    out
}

/// ES10b.GetEUICCInfo, EUICCInfo2 — SGP.22 v2.5 §5.7.8 (v3: the same function, the fields
/// marked `#SupportedFromV3.0.0#` / `#MandatoryFromV3.0.0#` added).
///
/// Computed: free memory (`extCardResource`), the CI key lists, [`rsp_capability`]. From
/// [`crate::config::Info2Config`]: uiccCapability, versions, category, forbidden PPRs,
/// accreditation; on a v3 card also certificationDataObject and treProperties, and
/// `lpaMode` lpad(0) (the LPA runs in the device), `highestSvn`.
pub(crate) fn get_euicc_info2<P: Platform>(_req: GetEuiccInfo2Request, ctx: &mut Ctx<'_, P>) -> EuiccInfo2 {
    let info = &ctx.config.info2;
    let sgp22 = ctx.config.sgp22;
    let v3 = sgp22.is_v3();
    let version = |v: Version| FixedOctetString::new(v.to_bytes());
    let sas: alloc::string::String = info.sas_accreditation_number.chars().take(64).collect();
    EuiccInfo2 {
        profile_version: version(PROFILE_PACKAGE_VERSION),
        svn: version(sgp22.lowest_svn()),
        euicc_firmware_ver: version(FIRMWARE_VERSION),
        ext_card_resource: ext_card_resource(ctx).into(),
        uicc_capability: named_bits(&info.uicc_capability),
        ts102241_version: info.ts102241_version.map(version),
        globalplatform_version: info.globalplatform_version.map(version),
        rsp_capability: rsp_capability(ctx),
        euicc_ci_pkid_list_for_verification: pkids(&ctx.config.ci_pkids_verification),
        euicc_ci_pkid_list_for_signing: pkids(&ctx.config.ci_pkids_signing),
        euicc_category: info.euicc_category.map(Integer::from),
        forbidden_profile_policy_rules: info
            .forbidden_ppr
            .map(|mask| named_bits(&(0..8).filter(|b| mask & (1 << b) != 0).collect::<Vec<_>>())),
        pp_version: version(info.pp_version),
        sas_acreditation_number: sas,
        certification_data_object: v3.then(|| CertificationDataObject {
            platform_label: info.certification.0.clone(),
            discovery_base_url: info.certification.1.clone(),
        }),
        tre_properties: v3.then(|| named_bits(&info.tre_properties)),
        tre_product_reference: None,
        additional_euicc_profile_package_versions: None,
        lpa_mode: v3.then(|| Integer::from(0)),
        euicc_ci_pkid_list_for_signing_v3: None,
        additional_euicc_info: None,
        highest_svn: v3.then(|| version(sgp22.svn())),
    }
}

/// ES10b.GetEUICCChallenge — SGP.22 v2.5 §5.7.7.
///
/// A fresh 16-byte challenge from the platform RNG; the caller starts a new
/// download session with it (any earlier session is dropped).
pub(super) fn get_euicc_challenge<P: Platform>(
    _req: GetEuiccChallengeRequest,
    ctx: &mut Ctx<'_, P>,
) -> (GetEuiccChallengeResponse, [u8; 16]) {
    let (_, rng, _) = ctx.platform.split();
    let mut challenge = [0u8; 16];
    rng.fill_bytes(&mut challenge);
    (GetEuiccChallengeResponse { euicc_challenge: FixedOctetString::new(challenge) }, challenge)
}

/// ES10b.GetRAT — SGP.22 v2.5 §5.7.16, §2.9.2.
///
/// The Rules Authorisation Table of the card configuration ([`crate::config::CardConfig::rat`]),
/// rule by rule: `30 { 80 pprIds, A1 { 30 { 80 03 mccMnc, 81 gid1?, 82 gid2? } … }, 82 pprFlags }`.
/// The default table answers `BF43 14 A0 12 30 10 80 02 05 60 A1 07 30 05 80 03 EEEEEE 82 01 00`
/// (PPR1 and PPR2 for every operator, no consent); an empty one `BF43 02 A0 00`.
pub(super) fn get_rat<P: Platform>(_req: GetRatRequest, ctx: &mut Ctx<'_, P>) -> GetRatResponse {
    let rat = ctx
        .config
        .rat
        .iter()
        .map(|rule| ProfilePolicyAuthorisationRule {
            ppr_ids: mask_bits(rule.ppr_ids),
            allowed_operators: rule
                .allowed_operators
                .iter()
                .map(|o| OperatorId {
                    mcc_mnc: FixedOctetString::new(o.mcc_mnc),
                    gid1: o.gid1.clone().map(Into::into),
                    gid2: o.gid2.clone().map(Into::into),
                })
                .collect(),
            ppr_flags: mask_bits(u8::from(rule.consent_required)),
        })
        .collect();
    GetRatResponse { rat }
}

/// The `NotificationMetadata` (`BF2F`) of a stored notification.
pub(crate) fn metadata(n: &NotificationRecord) -> NotificationMetadata {
    NotificationMetadata {
        seq_number: n.seq.into(),
        profile_management_operation: named_bits(&[n.event.bit()]),
        notification_address: n.address.clone(),
        iccid: n.iccid.clone(),
    }
}

/// ES10b.ListNotification — SGP.22 v2.5 §5.7.9.
///
/// The metadata of every pending notification, by increasing sequence number,
/// or only those whose event bit is set in `profileManagementOperation`.
pub(super) fn list_notification<P: Platform>(
    req: ListNotificationRequest,
    ctx: &mut Ctx<'_, P>,
) -> ListNotificationResponse {
    let wanted = |n: &&NotificationRecord| match &req.profile_management_operation {
        None => true,
        Some(filter) => filter.get(n.event.bit()).is_some_and(|b| *b),
    };
    let list = ctx.state.notifications.iter().filter(wanted).map(metadata).collect();
    ListNotificationResponse(ListNotificationResult::NotificationMetadataList(list))
}

/// ES10b.RemoveNotificationFromList — SGP.22 v2.5 §5.7.11: ok(0), nothingToDelete(1).
pub(super) fn remove_notification_from_list<P: Platform>(
    req: NotificationSentRequest,
    ctx: &mut Ctx<'_, P>,
) -> Result<NotificationSentResponse> {
    let seq = u64::try_from(&req.seq_number).ok();
    let mut edit = Edit::new(&mut *ctx.state);
    if !seq.is_some_and(|seq| edit.remove_notification(seq)) {
        return Ok(NotificationSentResponse {
            delete_notification_status: DeleteNotificationStatus::NothingToDelete.into(),
        });
    }
    super::commit_edit(ctx.store, ctx.platform, edit)?;
    Ok(NotificationSentResponse { delete_notification_status: DeleteNotificationStatus::Ok.into() })
}

/// ES10b.RetrieveNotificationsList — SGP.22 v2.5 §5.7.10.
///
/// Every pending notification (or the one with `seqNumber`, or those of one event):
/// an install is its stored `ProfileInstallationResult` exactly as first sent; any
/// other is an `OtherSignedNotification { BF2F metadata, 5F37 signature over it,
/// CERT.EUICC, CERT.EUM }` signed now. A card without an identity answers
/// `undefinedError(127)`.
pub(super) fn retrieve_notifications_list<P: Platform>(
    req: RetrieveNotificationsListRequest,
    ctx: &mut Ctx<'_, P>,
) -> Result<RetrieveNotificationsListResponse> {
    let error = || {
        RetrieveNotificationsListResponse(RetrieveNotificationsListResult::NotificationsListResultError(
            NotificationsListError::UndefinedError.into(),
        ))
    };
    let Some(card) = ctx.signing() else { return Ok(error()) };
    let wanted = |n: &&NotificationRecord| match &req.search_criteria {
        None => true,
        Some(NotificationSearch::SeqNumber(seq)) => u64::try_from(seq).ok() == Some(n.seq),
        Some(NotificationSearch::ProfileManagementOperation(ops)) => ops.get(n.event.bit()).is_some_and(|b| *b),
    };
    let mut list = Vec::new();
    for n in ctx.state.notifications.iter().filter(wanted) {
        match &n.pir {
            Some(pir) => list.push(rasn::types::Any::new(pir.to_vec())),
            None => {
                let tbs = rasn::der::encode(&metadata(n)).map_err(|_| crate::apdu::Status::Unknown)?;
                let signature = card.signer.sign(&tbs);
                let mut body = tbs;
                body.extend(crate::asn1::tlv::tlv(&[0x5F, 0x37], &signature));
                body.extend_from_slice(card.identity.euicc_cert());
                body.extend_from_slice(card.identity.eum_cert());
                list.push(rasn::types::Any::new(crate::asn1::tlv::tlv(&[0x30], &body)));
            }
        }
    }
    Ok(RetrieveNotificationsListResponse(RetrieveNotificationsListResult::NotificationList(list)))
}
