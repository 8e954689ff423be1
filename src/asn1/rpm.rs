//! rasn types for SGP.22 v3.0 Remote Profile Management (`#SupportedForRpmV3.0.0#`):
//! ES10b.LoadRpmPackage (`BF44`), the RPM package and its commands, the signed result, the
//! per-profile `RpmConfiguration` and ES6 `UpdateMetadataRequest` (an RPM command's payload).
//!
//! Source: `sgp22-v3.0-fixed/RSPDefinitions-v3.0.asn` (`DEFINITIONS AUTOMATIC TAGS`). Tags
//! follow X.680 as in [`super::rsp`]: automatic tagging only in a SEQUENCE/CHOICE none of whose
//! components is textually tagged, IMPLICIT except on an untagged CHOICE or open type. Two
//! results of that rule an implementer might not expect (see `FIXES.md` (f)):
//! * `LoadRpmPackageResultSigned` has no tagged component, so `loadRpmPackageResultDataSigned`
//!   is `A0` and `euiccSignRPR` is `81` (not `5F37`); `LoadRpmPackageResult`'s two
//!   alternatives are `A0` (signed) and `A1` (not signed) inside the explicit `BF44`.
//! * `RpmCommandResult.listProfileInfoResult [45] ProfileInfoListResponse` tags a *tagged*
//!   CHOICE type, which X.680 §31.2.7 tags implicitly: one `BF2D`, as ES10c.GetProfilesInfo
//!   answers. (asn1tools 0.169 writes it explicitly, `BF2D { BF2D … }`; the card follows X.680.)

use super::download::{EnterpriseConfiguration, NotificationConfigurationInformation, NotificationMetadata};
use super::download::{TransactionId, VendorSpecificData};
use super::rsp::{DeleteProfileResponse, DisableProfileResponse, EnableProfileResponse, ProfileInfoListResponse};
use alloc::vec::Vec;
use rasn::prelude::*;

/// `RpmType` bit numbers (`RpmType ::= BIT STRING`): the commands a managing SM-DP+ may send.
pub mod rpm_type {
    /// `enable(0)`.
    pub const ENABLE: usize = 0;
    /// `disable(1)`.
    pub const DISABLE: usize = 1;
    /// `delete(2)`.
    pub const DELETE: usize = 2;
    /// `listProfileInfo(3)`.
    pub const LIST_PROFILE_INFO: usize = 3;
    /// `contactPcmp(4)`.
    pub const CONTACT_PCMP: usize = 4;
}

/// `RpmConfiguration ::= SEQUENCE` — in StoreMetadata / UpdateMetadata / ProfileInfo under `BA`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "RpmConfiguration")]
pub struct RpmConfiguration {
    /// `managingDpList [0] SEQUENCE OF SEQUENCE {…}` — `A0`: the SM-DP+s that may manage the profile.
    #[rasn(tag(context, 0))]
    pub managing_dp_list: Vec<ManagingDp>,
    /// `pollingAddress [1] UTF8String OPTIONAL` — `81`.
    #[rasn(tag(context, 1))]
    pub polling_address: Option<Utf8String>,
    /// `allowedCiPKId [2] SubjectKeyIdentifier OPTIONAL` — `82`: the eSIM CA whose SM-DP+s may manage it.
    #[rasn(tag(context, 2))]
    pub allowed_ci_pkid: Option<OctetString>,
    /// `profileOwnerOid [3] OBJECT IDENTIFIER` — `83`.
    #[rasn(tag(context, 3))]
    pub profile_owner_oid: ObjectIdentifier,
}

/// One element of `managingDpList` (an inner SEQUENCE without a type name).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
pub struct ManagingDp {
    /// `managingDpOid [0] OBJECT IDENTIFIER` — `80`: the SM-DP+'s OID (CERT.DPauth).
    #[rasn(tag(context, 0))]
    pub managing_dp_oid: ObjectIdentifier,
    /// `rpmType [1] RpmType OPTIONAL` — `81`: [`rpm_type`] bits.
    #[rasn(tag(context, 1))]
    pub rpm_type: Option<BitString>,
    /// `tagList [APPLICATION 28] OCTET STRING OPTIONAL` — `5C`.
    #[rasn(tag(application, 28))]
    pub tag_list: Option<OctetString>,
}

/// `UpdateMetadataRequest ::= [42] SEQUENCE` — `BF2A` (ES6.UpdateMetadata; the payload of the
/// RPM updateMetadata command). Members the card does not take are kept raw.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq, Default)]
#[rasn(tag(context, 42), identifier = "UpdateMetadataRequest")]
#[non_exhaustive]
pub struct UpdateMetadataRequest {
    /// `serviceProviderName [17] UTF8String (SIZE(0..32)) OPTIONAL` — `91`.
    #[rasn(tag(context, 17))]
    pub service_provider_name: Option<super::BoundedUtf8<32>>,
    /// `profileName [18] UTF8String (SIZE(0..64)) OPTIONAL` — `92`.
    #[rasn(tag(context, 18))]
    pub profile_name: Option<super::BoundedUtf8<64>>,
    /// `iconType [19] IconType OPTIONAL` — `93`.
    #[rasn(tag(context, 19))]
    pub icon_type: Option<Integer>,
    /// `icon [20] OCTET STRING (SIZE(0..1024)) OPTIONAL` — `94`.
    #[rasn(tag(context, 20), size("0..=1024"))]
    pub icon: Option<OctetString>,
    /// `profilePolicyRules [25] PprIds OPTIONAL` — `99`.
    #[rasn(tag(context, 25))]
    pub profile_policy_rules: Option<BitString>,
    /// `serviceSpecificDataStoredInEuicc [34] VendorSpecificExtension OPTIONAL` — `BF22`.
    #[rasn(tag(context, 34))]
    pub service_specific_data_stored_in_euicc: Option<Vec<VendorSpecificData>>,
    /// `notificationConfigurationInfo [22] SEQUENCE OF … OPTIONAL` — `B6`.
    #[rasn(tag(context, 22))]
    pub notification_configuration_info: Option<Vec<NotificationConfigurationInformation>>,
    /// `tagsForDeletion [APPLICATION 28] OCTET STRING OPTIONAL` — `5C`.
    #[rasn(tag(application, 28))]
    pub tags_for_deletion: Option<OctetString>,
    /// `rpmConfiguration [26] RpmConfiguration OPTIONAL` — `BA`.
    #[rasn(tag(context, 26))]
    pub rpm_configuration: Option<RpmConfiguration>,
    /// `hriServerAddress [27] UTF8String OPTIONAL` — `9B`.
    #[rasn(tag(context, 27))]
    pub hri_server_address: Option<Utf8String>,
    /// `lprConfiguration [28] LprConfiguration OPTIONAL` — `BC`. Raw (no LPA proxy).
    #[rasn(tag(context, 28))]
    pub lpr_configuration: Option<Any>,
    /// `enterpriseConfiguration [29] EnterpriseConfiguration OPTIONAL` — `BD`.
    #[rasn(tag(context, 29))]
    pub enterprise_configuration: Option<EnterpriseConfiguration>,
    /// `deviceChangeConfiguration [32] DeviceChangeConfiguration OPTIONAL` — `BF20`. Raw.
    #[rasn(tag(context, 32))]
    pub device_change_configuration: Option<Any>,
}

/// `UpdateMetadataResponse ::= [42] INTEGER` — `9F2A` (the module's comment says `BF2A`, but a
/// primitive INTEGER tagged [42] is `9F2A`): ok(0), enterpriseConfigurationNotAllowed(6),
/// commandError(7), pprUpdateInvalidSetting(12), invalidRpmConfiguration(14),
/// deleteNotAllowed(15), undefinedError(127).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, tag(context, 42), identifier = "UpdateMetadataResponse")]
pub struct UpdateMetadataResponse(pub Integer);

/// `SEQUENCE { iccid [APPLICATION 26] Iccid }` of the enable, disable and delete commands.
/// The ICCID is decoded without its SIZE: a wrong one names no profile (`iccidOrAidNotFound`).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
pub struct RpmIccid {
    /// `iccid` — `5A`.
    #[rasn(tag(application, 26))]
    pub iccid: OctetString,
}

/// `ListProfileInfo ::= [5] SEQUENCE { searchCriteria [0] CHOICE {…}, tagList OPTIONAL }` (RPM).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 5), identifier = "ListProfileInfo")]
pub struct ListProfileInfo {
    /// `searchCriteria [0] CHOICE` — `A0` (explicit: a tagged CHOICE).
    #[rasn(tag(explicit(context, 0)))]
    pub search_criteria: RpmSearchCriteria,
    /// `tagList [APPLICATION 28] OCTET STRING OPTIONAL` — `5C`.
    #[rasn(tag(application, 28))]
    pub tag_list: Option<OctetString>,
}

/// `searchCriteria` of [`ListProfileInfo`].
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice)]
pub enum RpmSearchCriteria {
    /// `iccid Iccid` — `5A`.
    #[rasn(tag(application, 26))]
    Iccid(OctetString),
    /// `profileOwnerOid [0] OBJECT IDENTIFIER` — `80`.
    #[rasn(tag(context, 0))]
    ProfileOwnerOid(ObjectIdentifier),
}

/// `updateMetadata [5] SEQUENCE { iccid, updateMetadataRequest }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
pub struct RpmUpdateMetadata {
    /// `iccid` — `5A`.
    #[rasn(tag(application, 26))]
    pub iccid: OctetString,
    /// `updateMetadataRequest` — `BF2A`.
    pub update_metadata_request: UpdateMetadataRequest,
}

/// `contactPcmp [6] SEQUENCE { iccid, dpiRpm UTF8String OPTIONAL }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
pub struct RpmContactPcmp {
    /// `iccid` — `5A`.
    #[rasn(tag(application, 26))]
    pub iccid: OctetString,
    /// `dpiRpm UTF8String OPTIONAL` — `0C`.
    pub dpi_rpm: Option<Utf8String>,
}

/// `rpmCommandDetails CHOICE` of [`RpmCommand`] — `A1` … `A6`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice)]
pub enum RpmCommandDetails {
    /// `enable [1]`.
    #[rasn(tag(context, 1))]
    Enable(RpmIccid),
    /// `disable [2]`.
    #[rasn(tag(context, 2))]
    Disable(RpmIccid),
    /// `delete [3]`.
    #[rasn(tag(context, 3))]
    Delete(RpmIccid),
    /// `listProfileInfo [4] ListProfileInfo` — `A4` (implicit over ListProfileInfo's `[5]`).
    #[rasn(tag(context, 4))]
    ListProfileInfo(ListProfileInfo),
    /// `updateMetadata [5]` (boxed: the large one).
    #[rasn(tag(context, 5))]
    UpdateMetadata(alloc::boxed::Box<RpmUpdateMetadata>),
    /// `contactPcmp [6]`.
    #[rasn(tag(context, 6))]
    ContactPcmp(RpmContactPcmp),
}

/// `RpmCommand ::= SEQUENCE { continueOnFailure [0] NULL OPTIONAL, rpmCommandDetails CHOICE }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "RpmCommand")]
pub struct RpmCommand {
    /// `continueOnFailure [0] NULL OPTIONAL` — `80 00`: the next command runs even if this one fails.
    #[rasn(tag(context, 0))]
    pub continue_on_failure: Option<()>,
    /// The command.
    pub rpm_command_details: RpmCommandDetails,
}

impl RpmCommand {
    /// A command that stops the package when it fails.
    pub fn new(details: RpmCommandDetails) -> RpmCommand {
        RpmCommand { continue_on_failure: None, rpm_command_details: details }
    }

    /// A command after which the package goes on whatever its result.
    pub fn continuing(details: RpmCommandDetails) -> RpmCommand {
        RpmCommand { continue_on_failure: Some(()), rpm_command_details: details }
    }
}

/// `SmdpSigned3 ::= SEQUENCE { transactionId [0], rpmPackage [1] RpmPackage, rpmPending [2] NULL OPTIONAL }`.
///
/// `rpmPackage` (`RpmPackage ::= SEQUENCE OF RpmCommand`) is kept as each command's TLV: the card
/// decodes the commands one by one, so a damaged command ends the package with
/// `rpmProcessingTerminated(unknownOrDamagedCommand)` after the ones before it ran.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "SmdpSigned3")]
#[non_exhaustive]
pub struct SmdpSigned3 {
    /// `transactionId [0]` — `80`.
    #[rasn(tag(context, 0))]
    pub transaction_id: TransactionId,
    /// `rpmPackage [1]` — `A1`, one `30` TLV per command.
    #[rasn(tag(context, 1))]
    pub rpm_package: Vec<Any>,
    /// `rpmPending [2] NULL OPTIONAL` — `82 00`: more packages wait at the SM-DP+.
    #[rasn(tag(context, 2))]
    pub rpm_pending: Option<()>,
}

impl SmdpSigned3 {
    /// The signed part for `commands` (test SM-DP+ side).
    pub fn new(
        transaction_id: Vec<u8>,
        commands: &[RpmCommand],
        rpm_pending: bool,
    ) -> Result<Self, rasn::error::EncodeError> {
        let rpm_package = commands.iter().map(|c| rasn::der::encode(c).map(Any::new)).collect::<Result<Vec<_>, _>>()?;
        Ok(SmdpSigned3 { transaction_id: transaction_id.into(), rpm_package, rpm_pending: rpm_pending.then_some(()) })
    }
}

/// `LoadRpmPackageRequest ::= [68] SEQUENCE` — `BF44 { 30 smdpSigned3, 5F37 smdpSignature3,
/// 02 targetEsimPort? }` (ES10b.LoadRpmPackage).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 68), identifier = "LoadRpmPackageRequest")]
#[non_exhaustive]
pub struct LoadRpmPackageRequest {
    /// `smdpSigned3 SmdpSigned3` — raw `30 …`, as signed.
    pub smdp_signed3: Any,
    /// `smdpSignature3 [APPLICATION 55] OCTET STRING` — `5F37`.
    #[rasn(tag(application, 55))]
    pub smdp_signature3: OctetString,
    /// `targetEsimPort INTEGER OPTIONAL` — `02`: the port an enable command enables on (MEP).
    pub target_esim_port: Option<Integer>,
}

impl LoadRpmPackageRequest {
    /// A request (LPA side).
    pub fn new(smdp_signed3: Vec<u8>, smdp_signature3: Vec<u8>, target_esim_port: Option<u8>) -> Self {
        LoadRpmPackageRequest {
            smdp_signed3: Any::new(smdp_signed3),
            smdp_signature3: smdp_signature3.into(),
            target_esim_port: target_esim_port.map(Integer::from),
        }
    }
}

/// `ContactPcmpResponse ::= CHOICE` — `A0 { 80 pcmpAddress } | 81 error` (automatic tags).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags, identifier = "ContactPcmpResponse")]
pub enum ContactPcmpResponse {
    /// `contactPcmpResponseOk SEQUENCE { pcmpAddress UTF8String }`.
    ContactPcmpResponseOk(ContactPcmpResponseOk),
    /// `contactPcmpResponseError` — profileNotEnabled(2), commandError(7), noLprConfiguration(13),
    /// undefinedError(127).
    ContactPcmpResponseError(Integer),
}

/// `contactPcmpResponseOk SEQUENCE { pcmpAddress UTF8String }` — `80`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
pub struct ContactPcmpResponseOk {
    /// `pcmpAddress`.
    pub pcmp_address: Utf8String,
}

/// `rpmCommandResultData CHOICE` of [`RpmCommandResult`].
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice)]
pub enum RpmCommandResultData {
    /// `enableResult [49] EnableProfileResponse` — `BF31`.
    EnableResult(EnableProfileResponse),
    /// `disableResult [50] DisableProfileResponse` — `BF32`.
    DisableResult(DisableProfileResponse),
    /// `deleteResult [51] DeleteProfileResponse` — `BF33`.
    DeleteResult(DeleteProfileResponse),
    /// `listProfileInfoResult [45] ProfileInfoListResponse` — `BF2D` (see the module docs).
    ListProfileInfoResult(ProfileInfoListResponse),
    /// `updateMetadataResult [42] UpdateMetadataResponse` — `9F2A`.
    UpdateMetadataResult(UpdateMetadataResponse),
    /// `contactPcmpResult [0] ContactPcmpResponse` — `A0` (explicit: an untagged CHOICE).
    #[rasn(tag(explicit(context, 0)))]
    ContactPcmpResult(ContactPcmpResponse),
    /// `rpmProcessingTerminated INTEGER` — `02`: resultSizeOverflow(1), unknownOrDamagedCommand(2),
    /// interruption(3), commandsWithRefreshExceeded(4), commandAfterContactPcmp(5),
    /// commandPackageTooLarge(6).
    RpmProcessingTerminated(Integer),
}

/// `RpmCommandResult ::= SEQUENCE { iccid [APPLICATION 26] OPTIONAL, rpmCommandResultData }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "RpmCommandResult")]
pub struct RpmCommandResult {
    /// `iccid` — `5A`; present except for listProfileInfoResult and rpmProcessingTerminated.
    #[rasn(tag(application, 26))]
    pub iccid: Option<OctetString>,
    /// The command's result.
    pub rpm_command_result_data: RpmCommandResultData,
}

/// `finalResult [2] CHOICE` of [`LoadRpmPackageResultDataSigned`] (automatic tags: `A0` / `81`).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags)]
pub enum RpmFinalResult {
    /// `rpmPackageExecutionResult SEQUENCE OF RpmCommandResult`.
    RpmPackageExecutionResult(Vec<RpmCommandResult>),
    /// `loadRpmPackageErrorCodeSigned` — invalidSignature(2), invalidTransactionId(5), undefinedError(127).
    LoadRpmPackageErrorCodeSigned(Integer),
}

/// `LoadRpmPackageResultDataSigned ::= SEQUENCE { transactionId [0], notificationMetadata [47],
/// smdpOid, finalResult [2] }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "LoadRpmPackageResultDataSigned")]
pub struct LoadRpmPackageResultDataSigned {
    /// `transactionId [0]` — `80`.
    #[rasn(tag(context, 0))]
    pub transaction_id: TransactionId,
    /// `notificationMetadata [47]` — `BF2F`, event loadRpmPackageResult(7).
    pub notification_metadata: NotificationMetadata,
    /// `smdpOid OBJECT IDENTIFIER` — from CERT.DPauth.SIG.
    pub smdp_oid: ObjectIdentifier,
    /// `finalResult [2] CHOICE` — explicit `A2`.
    #[rasn(tag(explicit(context, 2)))]
    pub final_result: RpmFinalResult,
}

/// `LoadRpmPackageResultSigned ::= SEQUENCE { loadRpmPackageResultDataSigned, euiccSignRPR }` —
/// automatic tags: `A0 { … }`, `81 signature` (see the module docs).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "LoadRpmPackageResultSigned")]
pub struct LoadRpmPackageResultSigned {
    /// `loadRpmPackageResultDataSigned` — `A0`.
    pub load_rpm_package_result_data_signed: LoadRpmPackageResultDataSigned,
    /// `euiccSignRPR EuiccSign` — `81`, the card's signature (`r ‖ s`) over the `A0` TLV above.
    #[rasn(identifier = "euiccSignRPR")]
    pub euicc_sign_rpr: OctetString,
}

/// `LoadRpmPackageResultNotSigned ::= SEQUENCE { transactionId [0], loadRpmPackageErrorCodeNotSigned }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "LoadRpmPackageResultNotSigned")]
pub struct LoadRpmPackageResultNotSigned {
    /// `transactionId [0]` — `80`.
    #[rasn(tag(context, 0))]
    pub transaction_id: TransactionId,
    /// `loadRpmPackageErrorCodeNotSigned INTEGER` — `02`: noSession(4), undefinedError(127).
    pub load_rpm_package_error_code_not_signed: Integer,
}

/// `LoadRpmPackageResult ::= [68] CHOICE` — `BF44 { A0 signed | A1 notSigned }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, tag(explicit(context, 68)), identifier = "LoadRpmPackageResult")]
pub struct LoadRpmPackageResult(pub LoadRpmPackageResultChoice);

/// The alternatives of [`LoadRpmPackageResult`] (automatic tags).
// The signed result is the large one; one response lives per APDU, so no box.
#[allow(clippy::large_enum_variant)]
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags)]
pub enum LoadRpmPackageResultChoice {
    /// `loadRpmPackageResultSigned` — `A0`.
    Signed(LoadRpmPackageResultSigned),
    /// `loadRpmPackageResultNotSigned` — `A1`.
    NotSigned(LoadRpmPackageResultNotSigned),
}

/// `AuthenticateClientOkRpm ::= SEQUENCE { transactionId [0], smdpSigned3 [3], smdpSignature3 }`
/// — ES9+.AuthenticateClient's answer that delivers an RPM package (test SM-DP+ side).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "AuthenticateClientOkRpm")]
pub struct AuthenticateClientOkRpm {
    /// `transactionId [0]` — `80`.
    #[rasn(tag(context, 0))]
    pub transaction_id: TransactionId,
    /// `smdpSigned3 [3] SmdpSigned3` — `A3`.
    #[rasn(tag(context, 3))]
    pub smdp_signed3: SmdpSigned3,
    /// `smdpSignature3 [APPLICATION 55]` — `5F37`.
    #[rasn(tag(application, 55))]
    pub smdp_signature3: OctetString,
}
