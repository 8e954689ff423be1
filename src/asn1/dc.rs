//! rasn types for SGP.22 v3.0 Device Change (`#SupportedForDcV3.0.0#`): the profile's
//! `DeviceChangeConfiguration` (metadata `BF20`), AuthenticateServer's `ctxParamsForDeviceChange`
//! and `ctxParamsForProfileRecovery`, ES10b.PrepareDeviceChange (`BF4D`), ES10b.VerifyDeviceChange
//! (`BF4B`), the Delete Notification for Device Change, and the ES9+ side
//! (ConfirmDeviceChange `BF4C`, AuthenticateClientOkDeviceChange).
//!
//! Source: `sgp22-v3.0-fixed/RSPDefinitions-v3.0.asn` (`DEFINITIONS AUTOMATIC TAGS`), tags by
//! X.680 as in [`super::rsp`]. What the module's text gives, which an implementer might not
//! expect (`FIXES.md` (b)–(e), (j)):
//! * `DeleteNotificationForDc` has no tagged component: automatic tags, `A0` (metadata) and `81`
//!   (signature), not `BF2F` / `5F37`.
//! * `AuthenticateClientOkDeviceChange` tags both `smdpSigned4` and `serviceProviderMessageForDc`
//!   `[1]` (`A1`); legal in a SEQUENCE read in order.
//! * `ConfirmDeviceChangeRequest.transactionId` is untagged (`04`) and `ConfirmDeviceChangeOk`'s
//!   `smdpSignature5` is a plain OCTET STRING (`04`); v3.1 changes both.

use super::download::{
    ControlRefTemplate, NotificationMetadata, PrepareDownloadResponse, TransactionId, VendorSpecificData,
};
use alloc::vec::Vec;
use rasn::prelude::*;

/// `DeviceChangeConfiguration ::= CHOICE { requestToDp [0], usingStoredAc [1] }` — in metadata
/// under the explicit `BF20`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, identifier = "DeviceChangeConfiguration")]
pub enum DeviceChangeConfiguration {
    /// `requestToDp [0] SEQUENCE` — `A0`: the SM-DP+ processes the change.
    #[rasn(tag(context, 0))]
    RequestToDp(RequestToDp),
    /// `usingStoredAc [1] SEQUENCE` — `A1`: an Activation Code stored with the profile.
    #[rasn(tag(context, 1))]
    UsingStoredAc(UsingStoredAc),
}

/// `requestToDp` of [`DeviceChangeConfiguration`] (automatic tags).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
pub struct RequestToDp {
    /// `smdpAddressForDc UTF8String` — `80`.
    pub smdp_address_for_dc: Utf8String,
    /// `allowedCiPKId SubjectKeyIdentifier OPTIONAL` — `81`.
    #[rasn(identifier = "allowedCiPKId")]
    pub allowed_ci_pkid: Option<OctetString>,
    /// `eidRequired NULL OPTIONAL` — `82`.
    pub eid_required: Option<()>,
    /// `tacRequired NULL OPTIONAL` — `83`.
    pub tac_required: Option<()>,
}

/// `usingStoredAc` of [`DeviceChangeConfiguration`] (automatic tags).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
pub struct UsingStoredAc {
    /// `activationCodeForDc UTF8String (SIZE(0..255))` — `80`.
    pub activation_code_for_dc: super::BoundedUtf8<255>,
    /// `deleteOldProfile NULL OPTIONAL` — `81`.
    pub delete_old_profile: Option<()>,
}

/// `CtxParamsForDeviceChange ::= SEQUENCE` — `ctxParams1`'s `[1]` alternative (`A1`).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "CtxParamsForDeviceChange")]
pub struct CtxParamsForDeviceChange {
    /// `iccid Iccid` — `5A`: the profile to move (decoded without its SIZE: a wrong one names
    /// no profile, `invalidIccid`).
    #[rasn(tag(application, 26))]
    pub iccid: OctetString,
    /// `deviceInfo [1] DeviceInfo` — `A1`, raw (its content; the card signs ctxParams1 as received).
    #[rasn(tag(context, 1))]
    pub device_info: Any,
    /// `targetEidValue [APPLICATION 26] Octet16 OPTIONAL` — `5A` again (after deviceInfo).
    #[rasn(tag(application, 26), size("16"))]
    pub target_eid_value: Option<OctetString>,
    /// `targetTacValue [2] Octet4 OPTIONAL` — `82`.
    #[rasn(tag(context, 2), size("4"))]
    pub target_tac_value: Option<OctetString>,
    /// `vendorSpecificExtension [3] VendorSpecificExtension OPTIONAL` — `A3`.
    #[rasn(tag(context, 3))]
    pub vendor_specific_extension: Option<Vec<VendorSpecificData>>,
}

/// `CtxParamsForProfileRecovery ::= SEQUENCE` — `ctxParams1`'s `[2]` alternative (`A2`).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "CtxParamsForProfileRecovery")]
pub struct CtxParamsForProfileRecovery {
    /// `iccid Iccid` — `5A`.
    #[rasn(tag(application, 26))]
    pub iccid: OctetString,
    /// `deviceInfo [1] DeviceInfo` — `A1`, raw (its content).
    #[rasn(tag(context, 1))]
    pub device_info: Any,
    /// `vendorSpecificExtension [2] VendorSpecificExtension OPTIONAL` — `A2`.
    #[rasn(tag(context, 2))]
    pub vendor_specific_extension: Option<Vec<VendorSpecificData>>,
}

/// `SmdpSigned4 ::= SEQUENCE { transactionId [0], ccRequiredFlag, activationCodeForProfileRecovery [1] OPTIONAL }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "SmdpSigned4")]
pub struct SmdpSigned4 {
    /// `transactionId [0]` — `80`.
    #[rasn(tag(context, 0))]
    pub transaction_id: TransactionId,
    /// `ccRequiredFlag BOOLEAN` — `01`.
    pub cc_required_flag: bool,
    /// `activationCodeForProfileRecovery [1] UTF8String (SIZE(0..255)) OPTIONAL` — `81`.
    #[rasn(tag(context, 1))]
    pub activation_code_for_profile_recovery: Option<super::BoundedUtf8<255>>,
}

/// `PrepareDeviceChangeRequest ::= [77] SEQUENCE` — `BF4D`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 77), identifier = "PrepareDeviceChangeRequest")]
#[non_exhaustive]
pub struct PrepareDeviceChangeRequest {
    /// `smdpSigned4 SmdpSigned4` — raw `30 …`, as signed.
    pub smdp_signed4: Any,
    /// `smdpSignature4 [APPLICATION 55] OCTET STRING` — `5F37`.
    #[rasn(tag(application, 55))]
    pub smdp_signature4: OctetString,
    /// `hashCc Octet32 OPTIONAL` — `04`.
    #[rasn(size("32"))]
    pub hash_cc: Option<OctetString>,
}

impl PrepareDeviceChangeRequest {
    /// A request (LPA side).
    pub fn new(smdp_signed4: Vec<u8>, smdp_signature4: Vec<u8>, hash_cc: Option<[u8; 32]>) -> Self {
        PrepareDeviceChangeRequest {
            smdp_signed4: Any::new(smdp_signed4),
            smdp_signature4: smdp_signature4.into(),
            hash_cc: hash_cc.map(|h| h.to_vec().into()),
        }
    }
}

/// `EUICCSigned3 ::= SEQUENCE { transactionId [0], euiccOtpk [APPLICATION 73] OPTIONAL, hashCc OPTIONAL, additionalInformation OPTIONAL }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "EUICCSigned3")]
pub struct EuiccSigned3 {
    /// `transactionId [0]` — `80`.
    #[rasn(tag(context, 0))]
    pub transaction_id: TransactionId,
    /// `euiccOtpk [APPLICATION 73] OCTET STRING OPTIONAL` — `5F49` (otPK.EUICC.KA).
    #[rasn(tag(application, 73))]
    pub euicc_otpk: Option<OctetString>,
    /// `hashCc Octet32 OPTIONAL` — `04`.
    #[rasn(size("32"))]
    pub hash_cc: Option<OctetString>,
    /// `additionalInformation VendorSpecificExtension OPTIONAL` — `30`.
    pub additional_information: Option<Vec<VendorSpecificData>>,
}

/// `PrepareDeviceChangeResponseOk ::= SEQUENCE { euiccSigned3, euiccSignature3 [APPLICATION 55] }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "PrepareDeviceChangeResponseOk")]
pub struct PrepareDeviceChangeResponseOk {
    /// `euiccSigned3` — `30`, raw as signed.
    pub euicc_signed3: Any,
    /// `euiccSignature3 [APPLICATION 55]` — `5F37` (`r ‖ s`).
    #[rasn(tag(application, 55))]
    pub euicc_signature3: OctetString,
}

/// `PrepareDeviceChangeResponseError ::= SEQUENCE { transactionId [0], downloadErrorCode }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "PrepareDeviceChangeResponseError")]
pub struct PrepareDeviceChangeResponseError {
    /// `transactionId [0]` — `80`.
    #[rasn(tag(context, 0))]
    pub transaction_id: TransactionId,
    /// `downloadErrorCode DownloadErrorCode` — `02` ([`super::codes::DownloadErrorCode`]).
    pub download_error_code: Integer,
}

/// `PrepareDeviceChangeResponse ::= [77] CHOICE` — `BF4D { A0 ok | A1 error }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, tag(explicit(context, 77)), identifier = "PrepareDeviceChangeResponse")]
pub struct PrepareDeviceChangeResponse(pub PrepareDeviceChangeResult);

/// The alternatives of [`PrepareDeviceChangeResponse`] (automatic tags; v3.0 names them
/// `downloadResponseOk` / `downloadResponseError`).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags)]
pub enum PrepareDeviceChangeResult {
    /// `downloadResponseOk` — `A0`.
    #[rasn(identifier = "downloadResponseOk")]
    Ok(PrepareDeviceChangeResponseOk),
    /// `downloadResponseError` — `A1`.
    #[rasn(identifier = "downloadResponseError")]
    Error(PrepareDeviceChangeResponseError),
}

/// `DeviceChangeData ::= SEQUENCE` — what the SM-DP+ answers for the new device.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "DeviceChangeData")]
pub struct DeviceChangeData {
    /// `iccid Iccid` — `5A`.
    #[rasn(tag(application, 26))]
    pub iccid: OctetString,
    /// `activationCodeForDc [0] UTF8String (SIZE(0..255))` — `80`.
    #[rasn(tag(context, 0))]
    pub activation_code_for_dc: super::BoundedUtf8<255>,
    /// `deleteOldProfile [1] NULL OPTIONAL` — `81`.
    #[rasn(tag(context, 1))]
    pub delete_old_profile: Option<()>,
    /// `deleteNotificationForDcSupport [2] NULL OPTIONAL` — `82`.
    #[rasn(tag(context, 2))]
    pub delete_notification_for_dc_support: Option<()>,
    /// `notificationAddress [3] UTF8String OPTIONAL` — `83`.
    #[rasn(tag(context, 3))]
    pub notification_address: Option<Utf8String>,
    /// `profileRecoverySupport [4] NULL OPTIONAL` — `84`.
    #[rasn(tag(context, 4))]
    pub profile_recovery_support: Option<()>,
    /// `profileRecoveryValidityPeriod [5] GeneralizedTime OPTIONAL` — `85`.
    #[rasn(tag(context, 5))]
    pub profile_recovery_validity_period: Option<GeneralizedTime>,
}

/// `EncryptedDeviceChangeData ::= SEQUENCE { controlRefTemplate [6], smdpOtpk [APPLICATION 73], sequenceOf87 [1] }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "EncryptedDeviceChangeData")]
pub struct EncryptedDeviceChangeData {
    /// `controlRefTemplate [6] IMPLICIT ControlRefTemplate` — `A6`.
    #[rasn(tag(context, 6))]
    pub control_ref_template: ControlRefTemplate,
    /// `smdpOtpk [APPLICATION 73] OCTET STRING` — `5F49` (otPK.DP.KA).
    #[rasn(tag(application, 73))]
    pub smdp_otpk: OctetString,
    /// `sequenceOf87 [1] SEQUENCE OF [7] OCTET STRING` — `A1 { 87 … }`.
    #[rasn(tag(context, 1))]
    pub sequence_of87: Vec<Segment87>,
}

/// One `[7] OCTET STRING` (`87`) of [`EncryptedDeviceChangeData`].
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, tag(context, 7))]
pub struct Segment87(pub OctetString);

/// `DeviceChangeResponse ::= CHOICE { deviceChangeData [0], encryptedDeviceChangeData [1] }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, identifier = "DeviceChangeResponse")]
pub enum DeviceChangeResponse {
    /// `deviceChangeData [0]` — `A0`.
    #[rasn(tag(context, 0))]
    DeviceChangeData(DeviceChangeData),
    /// `encryptedDeviceChangeData [1]` — `A1`.
    #[rasn(tag(context, 1))]
    EncryptedDeviceChangeData(EncryptedDeviceChangeData),
}

/// `SmdpSigned5 ::= SEQUENCE { transactionId [0], deviceChangeResponse [1] OPTIONAL }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "SmdpSigned5")]
pub struct SmdpSigned5 {
    /// `transactionId [0]` — `80`.
    #[rasn(tag(context, 0))]
    pub transaction_id: TransactionId,
    /// `deviceChangeResponse [1] DeviceChangeResponse OPTIONAL` — explicit `A1` (a CHOICE).
    #[rasn(tag(explicit(context, 1)))]
    pub device_change_response: Option<DeviceChangeResponse>,
}

/// `deviceChangeConfirmation [0] SEQUENCE { smdpSigned5, smdpSignature5 }` of
/// [`VerifyDeviceChangeRequest`].
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
pub struct DeviceChangeConfirmation {
    /// `smdpSigned5` — raw `30 …`, as signed.
    pub smdp_signed5: Any,
    /// `smdpSignature5 [APPLICATION 55]` — `5F37`.
    #[rasn(tag(application, 55))]
    pub smdp_signature5: OctetString,
}

/// `profileRecoveryResponse [1] SEQUENCE { smdpSigned4, smdpSignature4 }` of
/// [`VerifyDeviceChangeRequest`].
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
pub struct ProfileRecoveryResponse {
    /// `smdpSigned4` — raw `30 …`, as signed.
    pub smdp_signed4: Any,
    /// `smdpSignature4 [APPLICATION 55]` — `5F37`.
    #[rasn(tag(application, 55))]
    pub smdp_signature4: OctetString,
}

/// `VerifyDeviceChangeRequest ::= [75] CHOICE` — `BF4B { A0 confirmation | A1 recovery }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, tag(explicit(context, 75)), identifier = "VerifyDeviceChangeRequest")]
pub struct VerifyDeviceChangeRequest(pub VerifyDeviceChangeChoice);

/// The alternatives of [`VerifyDeviceChangeRequest`].
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice)]
pub enum VerifyDeviceChangeChoice {
    /// `deviceChangeConfirmation [0]` — `A0`.
    #[rasn(tag(context, 0))]
    DeviceChangeConfirmation(DeviceChangeConfirmation),
    /// `profileRecoveryResponse [1]` — `A1`.
    #[rasn(tag(context, 1))]
    ProfileRecoveryResponse(ProfileRecoveryResponse),
}

/// `verifyDeviceChangeOk CHOICE { verifyDeviceChangeNull [0], verifyDeviceChangeData [1] }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice)]
pub enum VerifyDeviceChangeOk {
    /// `verifyDeviceChangeNull [0] NULL` — `80 00`.
    #[rasn(tag(context, 0))]
    Null(()),
    /// `verifyDeviceChangeData [1] DeviceChangeData` — `A1`.
    #[rasn(tag(context, 1))]
    Data(DeviceChangeData),
}

/// The alternatives of [`VerifyDeviceChangeResponse`]. None is textually tagged, so automatic
/// tags apply: `verifyDeviceChangeOk` is `A0` (explicit: a CHOICE), the error `81`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice)]
pub enum VerifyDeviceChangeResult {
    /// `verifyDeviceChangeOk` — `A0 { 80 00 | A1 … }`.
    #[rasn(tag(explicit(context, 0)))]
    Ok(VerifyDeviceChangeOk),
    /// `verifyDeviceChangeError INTEGER` — `81` ([`super::codes::VerifyDeviceChangeError`]).
    #[rasn(tag(context, 1))]
    Error(Integer),
}

/// `VerifyDeviceChangeResponse ::= [75] CHOICE` — `BF4B`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, tag(explicit(context, 75)), identifier = "VerifyDeviceChangeResponse")]
pub struct VerifyDeviceChangeResponse(pub VerifyDeviceChangeResult);

/// `DeleteNotificationForDc ::= SEQUENCE { notificationMetadata, euiccNotificationSignature }`
/// — automatic tags: `A0`, `81` (see the module docs).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "DeleteNotificationForDc")]
pub struct DeleteNotificationForDc {
    /// `notificationMetadata NotificationMetadata` — `A0` (implicit over BF2F's content).
    pub notification_metadata: NotificationMetadata,
    /// `euiccNotificationSignature EuiccSign` — `81`.
    pub euicc_notification_signature: OctetString,
}

/// `ConfirmDeviceChangeRequest ::= [76] SEQUENCE { transactionId, prepareDownloadResponse [33] }`
/// — `BF4C` (ES9+; v3.0's text: an untagged `04` transactionId).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 76), identifier = "ConfirmDeviceChangeRequest")]
pub struct ConfirmDeviceChangeRequest {
    /// `transactionId TransactionId` — `04`.
    pub transaction_id: TransactionId,
    /// `prepareDownloadResponse [33] PrepareDownloadResponse` — `BF21`.
    pub prepare_download_response: PrepareDownloadResponse,
}

/// `ConfirmDeviceChangeOk ::= SEQUENCE { transactionId [0], smdpSigned5, smdpSignature5 }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "ConfirmDeviceChangeOk")]
pub struct ConfirmDeviceChangeOk {
    /// `transactionId [0]` — `80`.
    #[rasn(tag(context, 0))]
    pub transaction_id: TransactionId,
    /// `smdpSigned5 SmdpSigned5` — `30`.
    pub smdp_signed5: SmdpSigned5,
    /// `smdpSignature5 OCTET STRING` — `04` (v3.0's text).
    pub smdp_signature5: OctetString,
}

/// The alternatives of [`ConfirmDeviceChangeResponse`] (untagged: automatic tags, `A0` / `81`).
// The test SM-DP+'s answer; one lives per request, so no box.
#[allow(clippy::large_enum_variant)]
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags)]
pub enum ConfirmDeviceChangeResult {
    /// `confirmDeviceChangeOk` — `A0`.
    Ok(ConfirmDeviceChangeOk),
    /// `confirmDeviceChangeError INTEGER` — `81` ([`super::codes::ConfirmDeviceChangeError`]).
    Error(Integer),
}

/// `ConfirmDeviceChangeResponse ::= [76] CHOICE` — `BF4C`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, tag(explicit(context, 76)), identifier = "ConfirmDeviceChangeResponse")]
pub struct ConfirmDeviceChangeResponse(pub ConfirmDeviceChangeResult);

/// `AuthenticateClientOkDeviceChange ::= SEQUENCE { transactionId [0], smdpSigned4 [1],
/// smdpSignature4 [APPLICATION 55], serviceProviderMessageForDc [1] OPTIONAL }` (ES9+).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "AuthenticateClientOkDeviceChange")]
pub struct AuthenticateClientOkDeviceChange {
    /// `transactionId [0]` — `80`.
    #[rasn(tag(context, 0))]
    pub transaction_id: TransactionId,
    /// `smdpSigned4 [1] SmdpSigned4` — `A1`.
    #[rasn(tag(context, 1))]
    pub smdp_signed4: SmdpSigned4,
    /// `smdpSignature4 [APPLICATION 55]` — `5F37`.
    #[rasn(tag(application, 55))]
    pub smdp_signature4: OctetString,
    /// `serviceProviderMessageForDc [1] LocalisedTextMessage OPTIONAL` — `A1`, raw.
    #[rasn(tag(context, 1))]
    pub service_provider_message_for_dc: Option<Any>,
}
