//! rasn types for the SGP.22 v2.5 profile download (ES10b, ES8+ inside the BPP).
//!
//! Source: `RSPDefinitions.asn` v2.5 (see [`super::rsp`] for the tagging rules).
//! Signed parts and certificates are [`Any`]: the complete TLV exactly as it
//! travelled, so signatures are checked over the received bytes and nothing is
//! re-encoded on the way (SGP.22 §5.7.13: the eUICC verifies "the data as received").

use alloc::vec::Vec;
use rasn::prelude::*;

use super::rsp::{EuiccInfo2, OperatorId};

/// `TransactionId ::= OCTET STRING (SIZE(1..16))`.
pub type TransactionId = OctetString;

// ---------------------------------------------------------------- AuthenticateServer (BF38)

/// `AuthenticateServerRequest ::= [56] SEQUENCE` — tag `BF38`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 56), identifier = "AuthenticateServerRequest")]
#[non_exhaustive]
pub struct AuthenticateServerRequest {
    /// `serverSigned1 ServerSigned1` (raw `30 …`).
    pub server_signed1: Any,
    /// `serverSignature1 [APPLICATION 55]` — `5F37`, 64 bytes r‖s.
    #[rasn(tag(application, 55))]
    pub server_signature1: OctetString,
    /// `euiccCiPKIdToBeUsed SubjectKeyIdentifier` — `04 14 …`. Mandatory in v2.5; v3 makes it
    /// OPTIONAL ("MAY also have zero length"), the CI then coming from serverSigned1's
    /// `sessionContext.euiccCiPKIdToBeUsedV3` or the server certificate's issuer. A v2.5 card
    /// refuses its absence as a malformed request (`6A80`), as before.
    #[rasn(identifier = "euiccCiPKIdToBeUsed")]
    pub euicc_ci_pkid_to_be_used: Option<OctetString>,
    /// `serverCertificate Certificate` — CERT.XXauth.ECDSA (raw).
    pub server_certificate: Any,
    /// `ctxParams1 CtxParams1` (raw; copied into euiccSigned1 unchanged).
    pub ctx_params1: Any,
}

impl AuthenticateServerRequest {
    /// Builds a request (test SM-DP+ / LPA side).
    pub fn new(
        server_signed1: Vec<u8>,
        server_signature1: Vec<u8>,
        ci_pkid: Vec<u8>,
        server_certificate: Vec<u8>,
        ctx_params1: Vec<u8>,
    ) -> Self {
        AuthenticateServerRequest {
            server_signed1: Any::new(server_signed1),
            server_signature1: server_signature1.into(),
            euicc_ci_pkid_to_be_used: Some(ci_pkid.into()),
            server_certificate: Any::new(server_certificate),
            ctx_params1: Any::new(ctx_params1),
        }
    }
}

/// `ServerSigned1 ::= SEQUENCE` — `30 { 80 tid, 81 euiccChallenge, 83 serverAddress, 84 serverChallenge }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "ServerSigned1")]
#[non_exhaustive]
pub struct ServerSigned1 {
    /// `transactionId [0]` — 1 to 16 bytes.
    #[rasn(tag(context, 0), size("1..=16"))]
    pub transaction_id: TransactionId,
    /// `euiccChallenge [1] Octet16`.
    #[rasn(tag(context, 1))]
    pub euicc_challenge: FixedOctetString<16>,
    /// `serverAddress [3] UTF8String`.
    #[rasn(tag(context, 3))]
    pub server_address: Utf8String,
    /// `serverChallenge [4] Octet16`.
    #[rasn(tag(context, 4))]
    pub server_challenge: FixedOctetString<16>,
    /// v3: `sessionContext [5] SessionContext OPTIONAL` — `A5` (#SupportedFromV3.0.0#).
    #[rasn(tag(context, 5))]
    pub session_context: Option<SessionContext>,
    /// v3: `serverRspCapability [6] ServerRspCapability OPTIONAL` — `86`: crlStaplingV3Support(0),
    /// eventListSigningV3Support(1), pushServiceV3Support(2), cancelForEmptySpnPnSupport(3).
    #[rasn(tag(context, 6))]
    pub server_rsp_capability: Option<BitString>,
}

/// v3 `SessionContext ::= SEQUENCE` — `A5 { 80 serverSvn, 81 crlStaplingV3Used, 82 …, A3 … }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "SessionContext")]
#[non_exhaustive]
pub struct SessionContext {
    /// `serverSvn VersionType` — the RSP server's SGP.22 version ("for information only").
    pub server_svn: FixedOctetString<3>,
    /// `crlStaplingV3Used BOOLEAN` — CRLs were attached to the server's response.
    #[rasn(identifier = "crlStaplingV3Used")]
    pub crl_stapling_v3_used: bool,
    /// `euiccCiPKIdToBeUsedV3 SubjectKeyIdentifier OPTIONAL`.
    #[rasn(identifier = "euiccCiPKIdToBeUsedV3")]
    pub euicc_ci_pkid_to_be_used_v3: Option<OctetString>,
    /// `supportedPushServices SEQUENCE OF OBJECT IDENTIFIER OPTIONAL`.
    pub supported_push_services: Option<Vec<ObjectIdentifier>>,
}

impl SessionContext {
    /// A server of version `svn`, no CRLs attached.
    pub fn new(svn: [u8; 3]) -> SessionContext {
        SessionContext {
            server_svn: FixedOctetString::new(svn),
            crl_stapling_v3_used: false,
            euicc_ci_pkid_to_be_used_v3: None,
            supported_push_services: None,
        }
    }
}

impl ServerSigned1 {
    /// Builds the structure (test SM-DP+ side).
    pub fn new(
        transaction_id: Vec<u8>,
        euicc_challenge: [u8; 16],
        server_address: &str,
        server_challenge: [u8; 16],
    ) -> Self {
        ServerSigned1 {
            transaction_id: transaction_id.into(),
            euicc_challenge: FixedOctetString::new(euicc_challenge),
            server_address: server_address.into(),
            server_challenge: FixedOctetString::new(server_challenge),
            session_context: None,
            server_rsp_capability: None,
        }
    }
}

/// lpac's `ctxParams1` (`CtxParams1 ::= CHOICE { ctxParamsForCommonAuthentication }`, automatic
/// tags): `A0 { [80 matchingId], A1 deviceInfo { 80 04 TAC, A1 00 deviceCapabilities } }`.
/// The card never decodes ctxParams1: it copies the TLV into euiccSigned1 as received.
pub fn ctx_params1(matching_id: Option<&str>, tac: [u8; 4]) -> Vec<u8> {
    use super::tlv::tlv;
    let mut device_info = tlv(&[0x80], &tac);
    device_info.extend_from_slice(&[0xA1, 0x00]);
    let mut body = Vec::new();
    if let Some(id) = matching_id {
        body.extend(tlv(&[0x80], id.as_bytes()));
    }
    body.extend(tlv(&[0xA1], &device_info));
    tlv(&[0xA0], &body)
}

/// `AuthenticateServerResponse ::= [56] CHOICE` — `BF38 { A0 ok | A1 error }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, tag(explicit(context, 56)), identifier = "AuthenticateServerResponse")]
pub struct AuthenticateServerResponse(pub AuthenticateServerResult);

/// Alternatives of `AuthenticateServerResponse`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags)]
pub enum AuthenticateServerResult {
    /// `authenticateResponseOk`.
    Ok(AuthenticateResponseOk),
    /// `authenticateResponseError`.
    Error(AuthenticateResponseError),
}

/// `AuthenticateResponseOk ::= SEQUENCE`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "AuthenticateResponseOk")]
pub struct AuthenticateResponseOk {
    /// `euiccSigned1 EuiccSigned1` (raw, as signed).
    pub euicc_signed1: Any,
    /// `euiccSignature1 [APPLICATION 55]` — 64 bytes r‖s.
    #[rasn(tag(application, 55))]
    pub euicc_signature1: OctetString,
    /// `euiccCertificate Certificate` — CERT.EUICC.ECDSA.
    pub euicc_certificate: Any,
    /// `eumCertificate Certificate` — CERT.EUM.ECDSA.
    pub eum_certificate: Any,
}

/// `EuiccSigned1 ::= SEQUENCE` — `30 { 80 tid, 83 serverAddress, 84 serverChallenge, BF22 euiccInfo2, A0 ctxParams1 }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "EuiccSigned1")]
pub struct EuiccSigned1 {
    /// `transactionId [0]` — 1 to 16 bytes.
    #[rasn(tag(context, 0), size("1..=16"))]
    pub transaction_id: TransactionId,
    /// `serverAddress [3]`.
    #[rasn(tag(context, 3))]
    pub server_address: Utf8String,
    /// `serverChallenge [4]`.
    #[rasn(tag(context, 4))]
    pub server_challenge: FixedOctetString<16>,
    /// `euiccInfo2 [34] EUICCInfo2` — `BF22`.
    pub euicc_info2: EuiccInfo2,
    /// `ctxParams1` — copied from the request as received.
    pub ctx_params1: Any,
}

/// `AuthenticateResponseError ::= SEQUENCE { transactionId [0], authenticateErrorCode INTEGER }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "AuthenticateResponseError")]
pub struct AuthenticateResponseError {
    /// `transactionId [0]` — 1 to 16 bytes.
    #[rasn(tag(context, 0), size("1..=16"))]
    pub transaction_id: TransactionId,
    /// `authenticateErrorCode` (see `sd::isdr` for the values).
    pub authenticate_error_code: Integer,
}

// ---------------------------------------------------------------- PrepareDownload (BF21)

/// `PrepareDownloadRequest ::= [33] SEQUENCE` — tag `BF21`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 33), identifier = "PrepareDownloadRequest")]
#[non_exhaustive]
pub struct PrepareDownloadRequest {
    /// `smdpSigned2 SmdpSigned2` (raw).
    pub smdp_signed2: Any,
    /// `smdpSignature2 [APPLICATION 55]`.
    #[rasn(tag(application, 55))]
    pub smdp_signature2: OctetString,
    /// `hashCc Octet32 OPTIONAL` — SHA-256(SHA-256(CC) ‖ transactionId), made by the LPA.
    #[rasn(size("32"))]
    pub hash_cc: Option<OctetString>,
    /// `smdpCertificate Certificate` — CERT.DPpb.ECDSA (raw).
    pub smdp_certificate: Any,
}

impl PrepareDownloadRequest {
    /// Builds a request (LPA side).
    pub fn new(
        smdp_signed2: Vec<u8>,
        smdp_signature2: Vec<u8>,
        hash_cc: Option<Vec<u8>>,
        certificate: Vec<u8>,
    ) -> Self {
        PrepareDownloadRequest {
            smdp_signed2: Any::new(smdp_signed2),
            smdp_signature2: smdp_signature2.into(),
            hash_cc: hash_cc.map(Into::into),
            smdp_certificate: Any::new(certificate),
        }
    }
}

/// `SmdpSigned2 ::= SEQUENCE { transactionId [0], ccRequiredFlag BOOLEAN, bppEuiccOtpk [APPLICATION 73] OPTIONAL }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "SmdpSigned2")]
#[non_exhaustive]
pub struct SmdpSigned2 {
    /// `transactionId [0]` — 1 to 16 bytes.
    #[rasn(tag(context, 0), size("1..=16"))]
    pub transaction_id: TransactionId,
    /// `ccRequiredFlag BOOLEAN`.
    pub cc_required_flag: bool,
    /// `bppEuiccOtpk [APPLICATION 73]` — otPK.EUICC.ECKA already bound to a BPP.
    #[rasn(tag(application, 73))]
    pub bpp_euicc_otpk: Option<OctetString>,
}

impl SmdpSigned2 {
    /// Builds the structure (test SM-DP+ side).
    pub fn new(transaction_id: Vec<u8>, cc_required: bool, bpp_euicc_otpk: Option<Vec<u8>>) -> Self {
        SmdpSigned2 {
            transaction_id: transaction_id.into(),
            cc_required_flag: cc_required,
            bpp_euicc_otpk: bpp_euicc_otpk.map(Into::into),
        }
    }
}

/// `PrepareDownloadResponse ::= [33] CHOICE` — `BF21 { A0 ok | A1 error }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, tag(explicit(context, 33)), identifier = "PrepareDownloadResponse")]
pub struct PrepareDownloadResponse(pub PrepareDownloadResult);

/// Alternatives of `PrepareDownloadResponse`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags)]
pub enum PrepareDownloadResult {
    /// `downloadResponseOk`.
    Ok(PrepareDownloadResponseOk),
    /// `downloadResponseError`.
    Error(PrepareDownloadResponseError),
}

/// `PrepareDownloadResponseOk ::= SEQUENCE { euiccSigned2, euiccSignature2 [APPLICATION 55] }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "PrepareDownloadResponseOk")]
pub struct PrepareDownloadResponseOk {
    /// `euiccSigned2 EUICCSigned2` (raw, as signed).
    pub euicc_signed2: Any,
    /// `euiccSignature2 [APPLICATION 55]`.
    #[rasn(tag(application, 55))]
    pub euicc_signature2: OctetString,
}

/// `EUICCSigned2 ::= SEQUENCE { transactionId [0], euiccOtpk [APPLICATION 73], hashCc Octet32 OPTIONAL }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "EUICCSigned2")]
pub struct EuiccSigned2 {
    /// `transactionId [0]` — 1 to 16 bytes.
    #[rasn(tag(context, 0), size("1..=16"))]
    pub transaction_id: TransactionId,
    /// `euiccOtpk [APPLICATION 73]` — otPK.EUICC.ECKA, `04 ‖ X ‖ Y`.
    #[rasn(tag(application, 73))]
    pub euicc_otpk: OctetString,
    /// `hashCc Octet32 OPTIONAL`.
    pub hash_cc: Option<OctetString>,
}

/// `PrepareDownloadResponseError ::= SEQUENCE { transactionId [0], downloadErrorCode INTEGER }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "PrepareDownloadResponseError")]
pub struct PrepareDownloadResponseError {
    /// `transactionId [0]` — 1 to 16 bytes.
    #[rasn(tag(context, 0), size("1..=16"))]
    pub transaction_id: TransactionId,
    /// `downloadErrorCode`.
    pub download_error_code: Integer,
}

// ---------------------------------------------------------------- CancelSession (BF41)

/// `CancelSessionRequest ::= [65] SEQUENCE { transactionId, reason }` — `BF41 { 80 …, 81 … }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 65), automatic_tags, identifier = "CancelSessionRequest")]
#[non_exhaustive]
pub struct CancelSessionRequest {
    /// `transactionId TransactionId` — 1 to 16 bytes.
    #[rasn(size("1..=16"))]
    pub transaction_id: TransactionId,
    /// `reason CancelSessionReason`.
    pub reason: Integer,
}

impl CancelSessionRequest {
    /// Builds a request (LPA side).
    pub fn new(transaction_id: Vec<u8>, reason: i32) -> Self {
        CancelSessionRequest { transaction_id: transaction_id.into(), reason: reason.into() }
    }
}

/// `CancelSessionResponse ::= [65] CHOICE` — `BF41 { A0 ok | 81 error }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, tag(explicit(context, 65)), identifier = "CancelSessionResponse")]
pub struct CancelSessionResponse(pub CancelSessionResult);

/// Alternatives of `CancelSessionResponse`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags)]
pub enum CancelSessionResult {
    /// `cancelSessionResponseOk`.
    Ok(CancelSessionResponseOk),
    /// `cancelSessionResponseError` — invalidTransactionId(5), undefinedError(127).
    Error(Integer),
}

/// `CancelSessionResponseOk ::= SEQUENCE { euiccCancelSessionSigned, euiccCancelSessionSignature [APPLICATION 55] }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "CancelSessionResponseOk")]
pub struct CancelSessionResponseOk {
    /// `euiccCancelSessionSigned` (raw, as signed).
    pub euicc_cancel_session_signed: Any,
    /// `euiccCancelSessionSignature [APPLICATION 55]`.
    #[rasn(tag(application, 55))]
    pub euicc_cancel_session_signature: OctetString,
}

/// `EuiccCancelSessionSigned ::= SEQUENCE` — `30 { 80 tid, 81 smdpOid, 82 reason }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "EuiccCancelSessionSigned")]
pub struct EuiccCancelSessionSigned {
    /// `transactionId`.
    pub transaction_id: TransactionId,
    /// `smdpOid OBJECT IDENTIFIER` — implicitly tagged: `81 <OID content>`.
    pub smdp_oid: ObjectIdentifier,
    /// `reason`.
    pub reason: Integer,
}

// ---------------------------------------------------------------- inside the BPP

/// `ControlRefTemplate ::= SEQUENCE { keyType [0] Octet1, keyLen [1] Octet1, hostId [4] OctetTo16 }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "ControlRefTemplate")]
pub struct ControlRefTemplate {
    /// `keyType [0] Octet1` — `88` = AES.
    #[rasn(tag(context, 0), size("1"))]
    pub key_type: OctetString,
    /// `keyLen [1] Octet1` — `10` = 16 bytes.
    #[rasn(tag(context, 1), size("1"))]
    pub key_len: OctetString,
    /// `hostId [4] OctetTo16`.
    #[rasn(tag(context, 4), size("1..=16"))]
    pub host_id: OctetString,
}

/// `InitialiseSecureChannelRequest ::= [35] SEQUENCE` — tag `BF23`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 35), identifier = "InitialiseSecureChannelRequest")]
#[non_exhaustive]
pub struct InitialiseSecureChannelRequest {
    /// `remoteOpId RemoteOpId ::= [2] INTEGER` — installBoundProfilePackage(1).
    #[rasn(tag(context, 2))]
    pub remote_op_id: Integer,
    /// `transactionId [0]` — 1 to 16 bytes.
    #[rasn(tag(context, 0), size("1..=16"))]
    pub transaction_id: TransactionId,
    /// `controlRefTemplate [6] IMPLICIT ControlRefTemplate` — `A6`.
    #[rasn(tag(context, 6))]
    pub control_ref_template: ControlRefTemplate,
    /// `smdpOtpk [APPLICATION 73]` — otPK.DP.ECKA.
    #[rasn(tag(application, 73))]
    pub smdp_otpk: OctetString,
    /// `smdpSign [APPLICATION 55]`.
    #[rasn(tag(application, 55))]
    pub smdp_sign: OctetString,
}

impl InitialiseSecureChannelRequest {
    /// Builds the request (test SM-DP+ side).
    pub fn new(transaction_id: Vec<u8>, host_id: Vec<u8>, smdp_otpk: Vec<u8>, smdp_sign: Vec<u8>) -> Self {
        InitialiseSecureChannelRequest {
            remote_op_id: 1.into(),
            transaction_id: transaction_id.into(),
            control_ref_template: ControlRefTemplate {
                key_type: alloc::vec![0x88].into(),
                key_len: alloc::vec![0x10].into(),
                host_id: host_id.into(),
            },
            smdp_otpk: smdp_otpk.into(),
            smdp_sign: smdp_sign.into(),
        }
    }
}

/// `DpProprietaryData ::= SEQUENCE { dpOid OBJECT IDENTIFIER, … }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "DpProprietaryData")]
#[non_exhaustive]
pub struct DpProprietaryData {
    /// `dpOid OBJECT IDENTIFIER` — automatic tag `80` (the module is `AUTOMATIC TAGS`).
    pub dp_oid: ObjectIdentifier,
}

impl DpProprietaryData {
    /// `dpProprietaryData` naming the SM-DP+ `dp_oid`.
    pub fn new(dp_oid: ObjectIdentifier) -> Self {
        DpProprietaryData { dp_oid }
    }
}

/// `ConfigureISDPRequest ::= [36] SEQUENCE { dpProprietaryData [24] OPTIONAL }` — `BF24`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq, Default)]
#[rasn(tag(context, 36), identifier = "ConfigureISDPRequest")]
#[non_exhaustive]
pub struct ConfigureIsdpRequest {
    /// `dpProprietaryData [24]` — `B8`.
    #[rasn(tag(context, 24))]
    pub dp_proprietary_data: Option<DpProprietaryData>,
}

/// `NotificationConfigurationInformation ::= SEQUENCE { profileManagementOperation, notificationAddress }`
/// — `30 { 80 …, 81 … }` (no component is tagged, so the module's automatic tags apply).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "NotificationConfigurationInformation")]
pub struct NotificationConfigurationInformation {
    /// `profileManagementOperation NotificationEvent` — `80`.
    pub profile_management_operation: BitString,
    /// `notificationAddress UTF8String` — `81`.
    pub notification_address: Utf8String,
}

/// One entry of `VendorSpecificExtension ::= SEQUENCE OF SEQUENCE { vendorOid [0], vendorSpecificData [1] }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "VendorSpecificExtension")]
pub struct VendorSpecificData {
    /// `vendorOid [0] OBJECT IDENTIFIER`, as its content octets (X.690 §8.19; the wire form is
    /// the same): an X.667 UUID OID (`2.25.<128 bits>`, veuicc's own among them) has arcs wider
    /// than rasn's 32-bit ones, and the card only compares vendor OIDs.
    #[rasn(tag(context, 0))]
    pub vendor_oid: OctetString,
    /// `vendorSpecificData [1] ANY` (an open type: explicit tag).
    #[rasn(tag(explicit(context, 1)))]
    pub vendor_specific_data: Any,
}

/// `StoreMetadataRequest ::= [37] SEQUENCE` — `BF25`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 37), identifier = "StoreMetadataRequest")]
#[non_exhaustive]
pub struct StoreMetadataRequest {
    /// `iccid Iccid` — `5A`, 10 bytes.
    #[rasn(tag(application, 26), size("10"))]
    pub iccid: OctetString,
    /// `serviceProviderName [17] UTF8String (SIZE(0..32))` — `91`.
    #[rasn(tag(context, 17))]
    pub service_provider_name: super::BoundedUtf8<32>,
    /// `profileName [18] UTF8String (SIZE(0..64))` — `92`.
    #[rasn(tag(context, 18))]
    pub profile_name: super::BoundedUtf8<64>,
    /// `iconType [19] OPTIONAL` — `93`.
    #[rasn(tag(context, 19))]
    pub icon_type: Option<Integer>,
    /// `icon [20] OCTET STRING (SIZE(0..1024)) OPTIONAL` — `94`.
    #[rasn(tag(context, 20), size("0..=1024"))]
    pub icon: Option<OctetString>,
    /// `profileClass [21] DEFAULT operational` — `95`.
    #[rasn(tag(context, 21))]
    pub profile_class: Option<Integer>,
    /// `notificationConfigurationInfo [22] SEQUENCE OF … OPTIONAL` — `B6`.
    #[rasn(tag(context, 22))]
    pub notification_configuration_info: Option<Vec<NotificationConfigurationInformation>>,
    /// `profileOwner [23] OperatorId OPTIONAL` — `B7`.
    #[rasn(tag(context, 23))]
    pub profile_owner: Option<OperatorId>,
    /// `profilePolicyRules [25] PprIds OPTIONAL` — `99`.
    #[rasn(tag(context, 25))]
    pub profile_policy_rules: Option<BitString>,
    /// `serviceSpecificDataStoredInEuicc [34] VendorSpecificExtension OPTIONAL` — `BF22`.
    #[rasn(tag(context, 34))]
    pub service_specific_data_stored_in_euicc: Option<Vec<VendorSpecificData>>,
    /// `serviceSpecificDataNotStoredInEuicc [35] VendorSpecificExtension OPTIONAL` — `BF23`.
    #[rasn(tag(context, 35))]
    pub service_specific_data_not_stored_in_euicc: Option<Vec<VendorSpecificData>>,
    /// v3: `rpmConfiguration [26] RpmConfiguration OPTIONAL` — `BA` (#SupportedForRpmV3.0.0#).
    /// Kept raw (its content, without the `BA` header): the card does no RPM and ignores it.
    #[rasn(tag(context, 26))]
    pub rpm_configuration: Option<Any>,
    /// v3: `hriServerAddress [27] UTF8String OPTIONAL` — `9B` (#SupportedFromV3.0.0#).
    #[rasn(tag(context, 27))]
    pub hri_server_address: Option<Utf8String>,
    /// v3: `serviceProviderMessage [30] LocalisedTextMessage OPTIONAL` — `BE`. Raw, ignored.
    #[rasn(tag(context, 30))]
    pub service_provider_message: Option<Any>,
    /// v3: `lprConfiguration [28] LprConfiguration OPTIONAL` — `BC` (#SupportedForLpaProxyV3.0.0#).
    /// Raw, ignored (no LPA proxy).
    #[rasn(tag(context, 28))]
    pub lpr_configuration: Option<Any>,
    /// v3: `enterpriseConfiguration [29] EnterpriseConfiguration OPTIONAL` — `BD`
    /// (#SupportedForEnterpriseV3.0.0#).
    #[rasn(tag(context, 29))]
    pub enterprise_configuration: Option<EnterpriseConfiguration>,
    /// v3: `serviceDescription [31] ServiceDescription OPTIONAL` — `9F1F`: voice(0), data(1).
    #[rasn(tag(context, 31))]
    pub service_description: Option<BitString>,
    /// v3: `deviceChangeConfiguration [32] DeviceChangeConfiguration OPTIONAL` — `BF20` (a
    /// CHOICE, so explicitly tagged; #SupportedForDcV3.0.0#). Raw, ignored (no device change).
    #[rasn(tag(context, 32))]
    pub device_change_configuration: Option<Any>,
    /// v3: `estimatedProfileSize [33] INTEGER OPTIONAL` — `9F21`. Ignored: the card checks
    /// the real size as the profile elements arrive.
    #[rasn(tag(context, 33))]
    pub estimated_profile_size: Option<Integer>,
}

/// Top-level components of `StoreMetadataRequest` that SGP.22 v3.0 added (`BA`, `9B`, `BE`,
/// `BC`, `BD`, `9F1F`, `BF20`, `9F21`): a v2.5 card strips them before it decodes
/// ([`super::ext::decode_without`]), so it ignores them whatever they hold, as it always did.
pub(crate) const STORE_METADATA_V3_TAGS: [Tag; 8] = [
    Tag::new(Class::Context, 26),
    Tag::new(Class::Context, 27),
    Tag::new(Class::Context, 30),
    Tag::new(Class::Context, 28),
    Tag::new(Class::Context, 29),
    Tag::new(Class::Context, 31),
    Tag::new(Class::Context, 32),
    Tag::new(Class::Context, 33),
];

/// v3 `EnterpriseConfiguration ::= SEQUENCE` — `BD { 80 enterpriseOid, 81 enterpriseName,
/// A2 enterpriseRules? }` (#SupportedForEnterpriseV3.0.0#).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "EnterpriseConfiguration")]
#[non_exhaustive]
pub struct EnterpriseConfiguration {
    /// `enterpriseOid [0] OBJECT IDENTIFIER`.
    #[rasn(tag(context, 0))]
    pub enterprise_oid: ObjectIdentifier,
    /// `enterpriseName [1] UTF8String (SIZE(0..64))`.
    #[rasn(tag(context, 1))]
    pub enterprise_name: super::BoundedUtf8<64>,
    /// `enterpriseRules [2] SEQUENCE { … } OPTIONAL`.
    #[rasn(tag(context, 2))]
    pub enterprise_rules: Option<EnterpriseRules>,
}

impl EnterpriseConfiguration {
    /// An enterprise configuration (test SM-DP+ side).
    pub fn new(oid: ObjectIdentifier, name: &str, rules: Option<EnterpriseRules>) -> Self {
        EnterpriseConfiguration {
            enterprise_oid: oid,
            enterprise_name: super::BoundedUtf8::truncated(name),
            enterprise_rules: rules,
        }
    }
}

/// `enterpriseRules` of [`EnterpriseConfiguration`] — `A2 { 80 enterpriseRuleBits,
/// 81 numberOfNonEnterpriseProfiles }` (an inner SEQUENCE with no type name of its own).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EnterpriseRules {
    /// `enterpriseRuleBits [0] BIT STRING` — [`enterprise_rule`] bit numbers.
    #[rasn(tag(context, 0))]
    pub enterprise_rule_bits: BitString,
    /// `numberOfNonEnterpriseProfiles [1] INTEGER` — "that can be Enabled".
    #[rasn(tag(context, 1))]
    pub number_of_non_enterprise_profiles: Integer,
}

impl EnterpriseRules {
    /// Rules with the given [`enterprise_rule`] bits set (trailing zero bits dropped, DER).
    pub fn new(bits: &[usize], number_of_non_enterprise_profiles: i64) -> Self {
        let len = bits.iter().max().map_or(0, |&b| b + 1);
        let mut s = BitString::repeat(false, len);
        for &b in bits {
            s.set(b, true);
        }
        EnterpriseRules {
            enterprise_rule_bits: s,
            number_of_non_enterprise_profiles: number_of_non_enterprise_profiles.into(),
        }
    }
}

/// `enterpriseRuleBits` bit numbers.
pub mod enterprise_rule {
    /// `referenceEnterpriseRule(0)`: this profile's rules govern the eUICC (one per eUICC).
    pub const REFERENCE: usize = 0;
    /// `priorityEnterpriseProfile(1)`.
    pub const PRIORITY: usize = 1;
    /// `onlyEnterpriseProfilesCanBeInstalled(2)`.
    pub const ONLY_ENTERPRISE_PROFILES: usize = 2;
}

impl StoreMetadataRequest {
    /// Metadata with the mandatory fields (test SM-DP+ side).
    pub fn new(iccid: Vec<u8>, service_provider_name: &str, profile_name: &str) -> Self {
        StoreMetadataRequest {
            iccid: iccid.into(),
            service_provider_name: super::BoundedUtf8::truncated(service_provider_name),
            profile_name: super::BoundedUtf8::truncated(profile_name),
            icon_type: None,
            icon: None,
            profile_class: None,
            notification_configuration_info: None,
            profile_owner: None,
            profile_policy_rules: None,
            service_specific_data_stored_in_euicc: None,
            service_specific_data_not_stored_in_euicc: None,
            rpm_configuration: None,
            hri_server_address: None,
            service_provider_message: None,
            lpr_configuration: None,
            enterprise_configuration: None,
            service_description: None,
            device_change_configuration: None,
            estimated_profile_size: None,
        }
    }
}

/// `ReplaceSessionKeysRequest ::= [38] SEQUENCE` — `BF26 { 80 mcv, 81 ppkEnc, 82 ppkCmac }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 38), automatic_tags, identifier = "ReplaceSessionKeysRequest")]
#[non_exhaustive]
pub struct ReplaceSessionKeysRequest {
    /// `initialMacChainingValue`.
    pub initial_mac_chaining_value: OctetString,
    /// `ppkEnc` — PPK-ENC.
    pub ppk_enc: OctetString,
    /// `ppkCmac` — PPK-MAC.
    pub ppk_cmac: OctetString,
}

impl ReplaceSessionKeysRequest {
    /// Builds the request (test SM-DP+ side).
    pub fn new(mcv: [u8; 16], ppk_enc: [u8; 16], ppk_cmac: [u8; 16]) -> Self {
        ReplaceSessionKeysRequest {
            initial_mac_chaining_value: mcv.to_vec().into(),
            ppk_enc: ppk_enc.to_vec().into(),
            ppk_cmac: ppk_cmac.to_vec().into(),
        }
    }
}

// ---------------------------------------------------------------- results and notifications

/// `NotificationMetadata ::= [47] SEQUENCE` — `BF2F { 80 seq, 81 operation, 0C address, 5A iccid? }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 47), identifier = "NotificationMetadata")]
pub struct NotificationMetadata {
    /// `seqNumber [0] INTEGER`.
    #[rasn(tag(context, 0))]
    pub seq_number: Integer,
    /// `profileManagementOperation [1] NotificationEvent` — one bit set.
    #[rasn(tag(context, 1))]
    pub profile_management_operation: BitString,
    /// `notificationAddress UTF8String`.
    pub notification_address: Utf8String,
    /// `iccid Iccid OPTIONAL` — `5A`.
    #[rasn(tag(application, 26))]
    pub iccid: Option<OctetString>,
}

/// `ProfileInstallationResult ::= [55] SEQUENCE { profileInstallationResultData [39], euiccSignPIR }` — `BF37`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 55), identifier = "ProfileInstallationResult")]
pub struct ProfileInstallationResult {
    /// `profileInstallationResultData` — raw `BF27 …`, as signed.
    pub profile_installation_result_data: Any,
    /// `euiccSignPIR [APPLICATION 55]`.
    #[rasn(tag(application, 55))]
    pub euicc_sign_pir: OctetString,
}

/// `ProfileInstallationResultData ::= [39] SEQUENCE` — `BF27`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 39), identifier = "ProfileInstallationResultData")]
pub struct ProfileInstallationResultData {
    /// `transactionId [0]` — 1 to 16 bytes.
    #[rasn(tag(context, 0), size("1..=16"))]
    pub transaction_id: TransactionId,
    /// `notificationMetadata [47]` — `BF2F`.
    pub notification_metadata: NotificationMetadata,
    /// `smdpOid OBJECT IDENTIFIER` — from CERT.DPpb.
    pub smdp_oid: ObjectIdentifier,
    /// `finalResult [2] CHOICE` — explicit: `A2 { A0 … | A1 … }`.
    #[rasn(tag(explicit(context, 2)))]
    pub final_result: FinalResult,
}

/// `finalResult` alternatives (automatic tags).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags)]
pub enum FinalResult {
    /// `successResult`.
    Success(SuccessResult),
    /// `errorResult`.
    Error(ErrorResult),
}

/// `SuccessResult ::= SEQUENCE { aid [APPLICATION 15], simaResponse OCTET STRING }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "SuccessResult")]
pub struct SuccessResult {
    /// `aid` — the ISD-P AID (`4F`).
    #[rasn(tag(application, 15))]
    pub aid: OctetString,
    /// `simaResponse` — EUICCResponse(s) of the profile package processing.
    pub sima_response: OctetString,
}

/// `ErrorResult ::= SEQUENCE { bppCommandId, errorReason, simaResponse OPTIONAL }` — `80`, `81`, `82`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "ErrorResult")]
pub struct ErrorResult {
    /// `bppCommandId`.
    pub bpp_command_id: Integer,
    /// `errorReason`.
    pub error_reason: Integer,
    /// `simaResponse OPTIONAL`.
    pub sima_response: Option<OctetString>,
}
