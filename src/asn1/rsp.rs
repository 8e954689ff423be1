//! rasn types for the SGP.22 v2.5 module `RSPDefinitions` (ES10a/b/c messages).
//!
//! Source: `RSPDefinitions.asn`, `--Version V2.5` (module OID
//! `{2 23 146 1 asn1modules(1) sgp22v2(2)}`), `DEFINITIONS AUTOMATIC TAGS
//! EXTENSIBILITY IMPLIED`. Type and field names keep the spec's spelling in
//! `identifier`s; Rust names are snake_case. Tags follow X.680 §25.3: automatic
//! tagging applies only to a SEQUENCE/CHOICE none of whose components carry a tag,
//! and tags are IMPLICIT except on CHOICE types, which are always EXPLICIT.
//!
//! Request types carry `#[non_exhaustive]` (rasn's mark for an extensible type); rasn alone
//! still refuses fields it does not know, so requests are decoded through [`super::ext`],
//! which ignores a later SGP.22's extension additions.

use alloc::vec::Vec;
use rasn::prelude::*;

/// `VersionType ::= OCTET STRING (SIZE(3))`: major, minor, revision.
pub type VersionType = FixedOctetString<3>;
/// `Octet16 ::= OCTET STRING (SIZE(16))`.
pub type Octet16 = FixedOctetString<16>;
/// `SubjectKeyIdentifier ::= OCTET STRING` (RFC 5280).
pub type SubjectKeyIdentifier = OctetString;

// ---------------------------------------------------------------- ES10b.GetEUICCInfo

/// `GetEuiccInfo1Request ::= [32] SEQUENCE {}` — tag `BF20`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq, Default)]
#[rasn(tag(context, 32), identifier = "GetEuiccInfo1Request")]
#[non_exhaustive]
pub struct GetEuiccInfo1Request {}

/// `EUICCInfo1 ::= [32] SEQUENCE` — tag `BF20`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 32), identifier = "EUICCInfo1")]
pub struct EuiccInfo1 {
    /// `svn [2] VersionType` — GSMA SGP.22 version supported.
    #[rasn(tag(context, 2))]
    pub svn: VersionType,
    /// `euiccCiPKIdListForVerification [9] SEQUENCE OF SubjectKeyIdentifier`.
    #[rasn(tag(context, 9), identifier = "euiccCiPKIdListForVerification")]
    pub euicc_ci_pkid_list_for_verification: Vec<SubjectKeyIdentifier>,
    /// `euiccCiPKIdListForSigning [10] SEQUENCE OF SubjectKeyIdentifier`.
    #[rasn(tag(context, 10), identifier = "euiccCiPKIdListForSigning")]
    pub euicc_ci_pkid_list_for_signing: Vec<SubjectKeyIdentifier>,
    /// v3: `euiccCiPKIdListForSigningV3 [17] SEQUENCE OF SubjectKeyIdentifier OPTIONAL` — `B1`
    /// (#SupportedFromV3.0.0#: chains other than Variant O).
    #[rasn(tag(context, 17), identifier = "euiccCiPKIdListForSigningV3")]
    pub euicc_ci_pkid_list_for_signing_v3: Option<Vec<SubjectKeyIdentifier>>,
    /// v3: `euiccRspCapability [8] EuiccRspCapability OPTIONAL` — `88` (#MandatoryFromV3.0.0#).
    #[rasn(tag(context, 8))]
    pub euicc_rsp_capability: Option<BitString>,
    /// v3: `highestSvn [19] VersionType OPTIONAL` — `93` (#SupportedFromV3.0.0#).
    #[rasn(tag(context, 19))]
    pub highest_svn: Option<VersionType>,
}

/// `GetEuiccInfo2Request ::= [34] SEQUENCE {}` — tag `BF22`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq, Default)]
#[rasn(tag(context, 34), identifier = "GetEuiccInfo2Request")]
#[non_exhaustive]
pub struct GetEuiccInfo2Request {}

/// `EUICCInfo2 ::= [34] SEQUENCE` — tag `BF22`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 34), identifier = "EUICCInfo2")]
pub struct EuiccInfo2 {
    /// `profileVersion [1] VersionType` — base eUICC Profile Package version supported.
    #[rasn(tag(context, 1))]
    pub profile_version: VersionType,
    /// `svn [2] VersionType`.
    #[rasn(tag(context, 2))]
    pub svn: VersionType,
    /// `euiccFirmwareVer [3] VersionType`.
    #[rasn(tag(context, 3))]
    pub euicc_firmware_ver: VersionType,
    /// `extCardResource [4] OCTET STRING` — ETSI TS 102 226 §8.2.1.3.2 TLVs.
    #[rasn(tag(context, 4))]
    pub ext_card_resource: OctetString,
    /// `uiccCapability [5] UICCCapability` (SAIP PEDefinitions BIT STRING).
    #[rasn(tag(context, 5))]
    pub uicc_capability: BitString,
    /// `ts102241Version [6] VersionType OPTIONAL`.
    #[rasn(tag(context, 6))]
    pub ts102241_version: Option<VersionType>,
    /// `globalplatformVersion [7] VersionType OPTIONAL`.
    #[rasn(tag(context, 7), identifier = "globalplatformVersion")]
    pub globalplatform_version: Option<VersionType>,
    /// `rspCapability [8] RspCapability`.
    #[rasn(tag(context, 8))]
    pub rsp_capability: BitString,
    /// `euiccCiPKIdListForVerification [9]`.
    #[rasn(tag(context, 9), identifier = "euiccCiPKIdListForVerification")]
    pub euicc_ci_pkid_list_for_verification: Vec<SubjectKeyIdentifier>,
    /// `euiccCiPKIdListForSigning [10]`.
    #[rasn(tag(context, 10), identifier = "euiccCiPKIdListForSigning")]
    pub euicc_ci_pkid_list_for_signing: Vec<SubjectKeyIdentifier>,
    /// `euiccCategory [11] INTEGER OPTIONAL` — other(0), basicEuicc(1), mediumEuicc(2), contactlessEuicc(3).
    #[rasn(tag(context, 11))]
    pub euicc_category: Option<Integer>,
    /// `forbiddenProfilePolicyRules [25] PprIds OPTIONAL` — tag `99`.
    #[rasn(tag(context, 25))]
    pub forbidden_profile_policy_rules: Option<BitString>,
    /// `ppVersion VersionType` — Protection Profile version (universal `04`).
    pub pp_version: VersionType,
    /// `sasAcreditationNumber UTF8String (SIZE(0..64))` (universal `0C`).
    #[rasn(identifier = "sasAcreditationNumber")]
    pub sas_acreditation_number: Utf8String,
    /// `certificationDataObject [12] CertificationDataObject OPTIONAL` — `AC`.
    #[rasn(tag(context, 12))]
    pub certification_data_object: Option<CertificationDataObject>,
    /// `treProperties [13] BIT STRING {isDiscrete(0), isIntegrated(1), usesRemoteMemory(2)} OPTIONAL` — `8D`.
    #[rasn(tag(context, 13))]
    pub tre_properties: Option<BitString>,
    /// `treProductReference [14] UTF8String OPTIONAL` — `8E`, the GlobalPlatform DLOA Platform_Label.
    #[rasn(tag(context, 14))]
    pub tre_product_reference: Option<Utf8String>,
    /// `additionalEuiccProfilePackageVersions [15] SEQUENCE OF VersionType OPTIONAL` — `AF`.
    #[rasn(tag(context, 15))]
    pub additional_euicc_profile_package_versions: Option<Vec<VersionType>>,
    /// v3: `lpaMode [16] LpaMode OPTIONAL` — `90`, lpad(0), lpae(1) (#MandatoryFromV3.0.0#).
    #[rasn(tag(context, 16))]
    pub lpa_mode: Option<Integer>,
    /// v3: `euiccCiPKIdListForSigningV3 [17] SEQUENCE OF SubjectKeyIdentifier OPTIONAL` — `B1`.
    #[rasn(tag(context, 17), identifier = "euiccCiPKIdListForSigningV3")]
    pub euicc_ci_pkid_list_for_signing_v3: Option<Vec<SubjectKeyIdentifier>>,
    /// v3: `additionalEuiccInfo [18] OCTET STRING (SIZE(0..32)) OPTIONAL` — `92`.
    #[rasn(tag(context, 18), size("0..=32"))]
    pub additional_euicc_info: Option<OctetString>,
    /// v3: `highestSvn [19] VersionType OPTIONAL` — `93`.
    #[rasn(tag(context, 19))]
    pub highest_svn: Option<VersionType>,
}

/// `CertificationDataObject ::= SEQUENCE { platformLabel UTF8String, discoveryBaseURL UTF8String }`
/// (automatic tags `80`, `81`) — GlobalPlatform DLOA.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "CertificationDataObject")]
pub struct CertificationDataObject {
    /// `platformLabel` — Platform_Label.
    pub platform_label: Utf8String,
    /// `discoveryBaseURL` — the SE's default DLOA Registrar.
    #[rasn(identifier = "discoveryBaseURL")]
    pub discovery_base_url: Utf8String,
}

/// `RspCapability` bit numbers.
pub mod rsp_capability {
    /// `additionalProfile(0)` — at least one more profile can be installed.
    pub const ADDITIONAL_PROFILE: usize = 0;
    /// `crlSupport(1)`.
    pub const CRL_SUPPORT: usize = 1;
    /// `rpmSupport(2)`.
    pub const RPM_SUPPORT: usize = 2;
    /// `testProfileSupport(3)`.
    pub const TEST_PROFILE_SUPPORT: usize = 3;
    /// `deviceInfoExtensibilitySupport(4)`.
    pub const DEVICE_INFO_EXTENSIBILITY_SUPPORT: usize = 4;
    /// `serviceSpecificDataSupport(5)`.
    pub const SERVICE_SPECIFIC_DATA_SUPPORT: usize = 5;
    /// v3 `EuiccRspCapability`: `hriServerAddressSupport(6)`.
    pub const HRI_SERVER_ADDRESS_SUPPORT: usize = 6;
    /// v3 `EuiccRspCapability`: `enterpriseProfilesSupport(9)`.
    pub const ENTERPRISE_PROFILES_SUPPORT: usize = 9;
    /// v3 `EuiccRspCapability`: `serviceDescriptionSupport(10)`.
    pub const SERVICE_DESCRIPTION_SUPPORT: usize = 10;
    /// v3 `EuiccRspCapability`: `deviceChangeSupport(11)`.
    pub const DEVICE_CHANGE_SUPPORT: usize = 11;
    /// v3 `EuiccRspCapability`: `profileSizeInProfilesInfoSupport(14)`.
    pub const PROFILE_SIZE_IN_PROFILES_INFO_SUPPORT: usize = 14;
    /// v3 `EuiccRspCapability`: `euiccRspCapInInfo1(18)` — EUICCInfo1 carries euiccRspCapability.
    pub const EUICC_RSP_CAP_IN_INFO1: usize = 18;
}

// ---------------------------------------------------------------- ES10b.GetEUICCChallenge

/// `GetEuiccChallengeRequest ::= [46] SEQUENCE {}` — tag `BF2E`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq, Default)]
#[rasn(tag(context, 46), identifier = "GetEuiccChallengeRequest")]
#[non_exhaustive]
pub struct GetEuiccChallengeRequest {}

/// `GetEuiccChallengeResponse ::= [46] SEQUENCE { euiccChallenge Octet16 }` — `BF2E { 80 10 … }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 46), automatic_tags, identifier = "GetEuiccChallengeResponse")]
pub struct GetEuiccChallengeResponse {
    /// `euiccChallenge` — 16 random bytes.
    pub euicc_challenge: Octet16,
}

// ---------------------------------------------------------------- ES10c.GetEID

/// `GetEuiccDataRequest ::= [62] SEQUENCE { tagList [APPLICATION 28] Octet1 }` — `BF3E { 5C 01 5A }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 62), identifier = "GetEuiccDataRequest")]
#[non_exhaustive]
pub struct GetEuiccDataRequest {
    /// `tagList [APPLICATION 28] Octet1` — SHALL be `5A`.
    #[rasn(tag(application, 28))]
    pub tag_list: FixedOctetString<1>,
}

impl GetEuiccDataRequest {
    /// The request for the EID (`tagList = 5A`).
    pub fn eid() -> GetEuiccDataRequest {
        GetEuiccDataRequest { tag_list: FixedOctetString::new([0x5A]) }
    }
}

/// `GetEuiccDataResponse ::= [62] SEQUENCE { eidValue [APPLICATION 26] Octet16 }` — `BF3E { 5A 10 … }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 62), identifier = "GetEuiccDataResponse")]
pub struct GetEuiccDataResponse {
    /// `eidValue [APPLICATION 26] Octet16`.
    #[rasn(tag(application, 26))]
    pub eid_value: Octet16,
}

// ---------------------------------------------------------------- ES10c.GetProfilesInfo

/// `ProfileInfoListRequest ::= [45] SEQUENCE` — tag `BF2D`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq, Default)]
#[rasn(tag(context, 45), identifier = "ProfileInfoListRequest")]
#[non_exhaustive]
pub struct ProfileInfoListRequest {
    /// `searchCriteria [0] CHOICE {…} OPTIONAL` (explicit: a tagged CHOICE).
    #[rasn(tag(explicit(context, 0)))]
    pub search_criteria: Option<SearchCriteria>,
    /// `tagList [APPLICATION 28] OCTET STRING OPTIONAL` — tag `5C`.
    #[rasn(tag(application, 28))]
    pub tag_list: Option<OctetString>,
}

impl ProfileInfoListRequest {
    /// A request with the given criteria and tag list.
    pub fn new(search_criteria: Option<SearchCriteria>, tag_list: Option<Vec<u8>>) -> ProfileInfoListRequest {
        ProfileInfoListRequest { search_criteria, tag_list: tag_list.map(OctetString::from) }
    }
}

/// `searchCriteria` of `ProfileInfoListRequest`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice)]
pub enum SearchCriteria {
    /// `isdpAid [APPLICATION 15] OctetTo16` — tag `4F`.
    #[rasn(tag(application, 15))]
    IsdpAid(OctetString),
    /// `iccid Iccid` — `[APPLICATION 26]`, tag `5A`. Decoded without its size
    /// constraint so a wrong size can be answered with `incorrectInputValues`.
    #[rasn(tag(application, 26))]
    Iccid(OctetString),
    /// `profileClass [21] ProfileClass` — tag `95`.
    #[rasn(tag(context, 21))]
    ProfileClass(Integer),
}

/// `ProfileInfoListResponse ::= [45] CHOICE` — tag `BF2D` (explicit around the CHOICE).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, tag(explicit(context, 45)), identifier = "ProfileInfoListResponse")]
pub struct ProfileInfoListResponse(pub ProfileInfoListResult);

/// The alternatives of `ProfileInfoListResponse` (automatic tags `A0` / `81`).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags)]
pub enum ProfileInfoListResult {
    /// `profileInfoListOk SEQUENCE OF ProfileInfo`.
    ProfileInfoListOk(Vec<ProfileInfo>),
    /// `profileInfoListError ProfileInfoListError` — incorrectInputValues(1), undefinedError(127).
    ProfileInfoListError(Integer),
}

/// `ProfileInfo ::= [PRIVATE 3] SEQUENCE` — tag `E3`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq, Default)]
#[rasn(tag(private, 3), identifier = "ProfileInfo")]
pub struct ProfileInfo {
    /// `iccid Iccid OPTIONAL` — tag `5A`.
    #[rasn(tag(application, 26))]
    pub iccid: Option<FixedOctetString<10>>,
    /// `isdpAid [APPLICATION 15] OctetTo16 OPTIONAL` — tag `4F`.
    #[rasn(tag(application, 15))]
    pub isdp_aid: Option<OctetString>,
    /// `profileState [112] ProfileState OPTIONAL` — tag `9F70`; disabled(0), enabled(1).
    #[rasn(tag(context, 112))]
    pub profile_state: Option<Integer>,
    /// `profileNickname [16] UTF8String (SIZE(0..64)) OPTIONAL` — tag `90`.
    #[rasn(tag(context, 16))]
    pub profile_nickname: Option<Utf8String>,
    /// `serviceProviderName [17] UTF8String (SIZE(0..32)) OPTIONAL` — tag `91`.
    #[rasn(tag(context, 17))]
    pub service_provider_name: Option<Utf8String>,
    /// `profileName [18] UTF8String (SIZE(0..64)) OPTIONAL` — tag `92`.
    #[rasn(tag(context, 18))]
    pub profile_name: Option<Utf8String>,
    /// `iconType [19] IconType OPTIONAL` — tag `93`; jpg(0), png(1).
    #[rasn(tag(context, 19))]
    pub icon_type: Option<Integer>,
    /// `icon [20] OCTET STRING (SIZE(0..1024)) OPTIONAL` — tag `94`.
    #[rasn(tag(context, 20))]
    pub icon: Option<OctetString>,
    /// `profileClass [21] ProfileClass OPTIONAL` — tag `95`; test(0), provisioning(1), operational(2).
    #[rasn(tag(context, 21))]
    pub profile_class: Option<Integer>,
    /// `notificationConfigurationInfo [22] SEQUENCE OF NotificationConfigurationInformation OPTIONAL` — `B6`.
    #[rasn(tag(context, 22))]
    pub notification_configuration_info: Option<Vec<super::download::NotificationConfigurationInformation>>,
    /// `profileOwner [23] OperatorId OPTIONAL` — `B7`.
    #[rasn(tag(context, 23))]
    pub profile_owner: Option<OperatorId>,
    /// `dpProprietaryData [24] DpProprietaryData OPTIONAL` — `B8`.
    #[rasn(tag(context, 24))]
    pub dp_proprietary_data: Option<super::download::DpProprietaryData>,
    /// `profilePolicyRules [25] PprIds OPTIONAL` — tag `99`.
    #[rasn(tag(context, 25))]
    pub profile_policy_rules: Option<BitString>,
    /// `serviceSpecificDataStoredInEuicc [34] VendorSpecificExtension OPTIONAL` — `BF22`.
    #[rasn(tag(context, 34))]
    pub service_specific_data_stored_in_euicc: Option<Vec<super::download::VendorSpecificData>>,
    /// v3: `rpmConfiguration [26] RpmConfiguration OPTIONAL` — `BA`. Raw; the card does no RPM
    /// and never sends it.
    #[rasn(tag(context, 26))]
    pub rpm_configuration: Option<Any>,
    /// v3: `hriServerAddress [27] UTF8String OPTIONAL` — `9B` (#SupportedFromV3.0.0#).
    #[rasn(tag(context, 27))]
    pub hri_server_address: Option<Utf8String>,
    /// v3: `lprConfiguration [28] LprConfiguration OPTIONAL` — `BC`. Raw; never sent.
    #[rasn(tag(context, 28))]
    pub lpr_configuration: Option<Any>,
    /// v3: `enterpriseConfiguration [29] EnterpriseConfiguration OPTIONAL` — `BD`.
    #[rasn(tag(context, 29))]
    pub enterprise_configuration: Option<super::download::EnterpriseConfiguration>,
    /// v3: `serviceDescription [31] ServiceDescription OPTIONAL` — `9F1F`.
    #[rasn(tag(context, 31))]
    pub service_description: Option<BitString>,
    /// v3: `deviceChangeConfiguration [32] DeviceChangeConfiguration OPTIONAL` — `BF20`. Raw
    /// (the CHOICE's explicit tag content); never sent.
    #[rasn(tag(context, 32))]
    pub device_change_configuration: Option<Any>,
    /// v3: `enabledOnEsimPort [36] INTEGER OPTIONAL` — `9F24` (#SupportedForMEPV3.0.0#).
    #[rasn(tag(context, 36))]
    pub enabled_on_esim_port: Option<Integer>,
    /// v3: `profileSize [37] INTEGER OPTIONAL` — `9F25` (#SupportedFromV3.0.0#).
    #[rasn(tag(context, 37))]
    pub profile_size: Option<Integer>,
}

// ---------------------------------------------------------------- ES10a addresses

/// `EuiccConfiguredAddressesRequest ::= [60] SEQUENCE {}` — tag `BF3C`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq, Default)]
#[rasn(tag(context, 60), identifier = "EuiccConfiguredAddressesRequest")]
#[non_exhaustive]
pub struct EuiccConfiguredAddressesRequest {}

/// `EuiccConfiguredAddressesResponse ::= [60] SEQUENCE` — `BF3C { 80 …?, 81 … }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 60), automatic_tags, identifier = "EuiccConfiguredAddressesResponse")]
pub struct EuiccConfiguredAddressesResponse {
    /// `defaultDpAddress UTF8String OPTIONAL` — default SM-DP+ address (FQDN).
    pub default_dp_address: Option<Utf8String>,
    /// `rootDsAddress UTF8String` — root SM-DS address (FQDN).
    pub root_ds_address: Utf8String,
}

/// `SetDefaultDpAddressRequest ::= [63] SEQUENCE { defaultDpAddress UTF8String }` — `BF3F { 80 … }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 63), automatic_tags, identifier = "SetDefaultDpAddressRequest")]
#[non_exhaustive]
pub struct SetDefaultDpAddressRequest {
    /// `defaultDpAddress` — an empty string removes the address.
    pub default_dp_address: Utf8String,
}

impl SetDefaultDpAddressRequest {
    /// A request setting `address` (empty = remove).
    pub fn new(address: &str) -> SetDefaultDpAddressRequest {
        SetDefaultDpAddressRequest { default_dp_address: address.into() }
    }
}

/// `SetDefaultDpAddressResponse ::= [63] SEQUENCE { setDefaultDpAddressResult INTEGER }` — `BF3F { 80 01 xx }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 63), automatic_tags, identifier = "SetDefaultDpAddressResponse")]
pub struct SetDefaultDpAddressResponse {
    /// ok(0), undefinedError(127).
    pub set_default_dp_address_result: Integer,
}

// ---------------------------------------------------------------- ES10b.GetRAT

/// `GetRatRequest ::= [67] SEQUENCE {}` — tag `BF43`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq, Default)]
#[rasn(tag(context, 67), identifier = "GetRatRequest")]
#[non_exhaustive]
pub struct GetRatRequest {}

/// `GetRatResponse ::= [67] SEQUENCE { rat RulesAuthorisationTable }` — `BF43 { A0 { 30 … } }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 67), automatic_tags, identifier = "GetRatResponse")]
pub struct GetRatResponse {
    /// `rat RulesAuthorisationTable ::= SEQUENCE OF ProfilePolicyAuthorisationRule`.
    pub rat: Vec<ProfilePolicyAuthorisationRule>,
}

/// `ProfilePolicyAuthorisationRule ::= SEQUENCE` — `30 { 80 pprIds, A1 allowedOperators, 82 pprFlags }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "ProfilePolicyAuthorisationRule")]
pub struct ProfilePolicyAuthorisationRule {
    /// `pprIds PprIds` — pprUpdateControl(0), ppr1(1), ppr2(2).
    pub ppr_ids: BitString,
    /// `allowedOperators SEQUENCE OF OperatorId`.
    pub allowed_operators: Vec<OperatorId>,
    /// `pprFlags BIT STRING {consentRequired(0)}`.
    pub ppr_flags: BitString,
}

/// `OperatorId ::= SEQUENCE { mccMnc, gid1 OPTIONAL, gid2 OPTIONAL }` — `30 { 80 03 …, 81 …, 82 … }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "OperatorId")]
pub struct OperatorId {
    /// `mccMnc OCTET STRING (SIZE(3))` — 3GPP TS 24.008 coding (`F` fills a two-digit MNC);
    /// in a RAT rule an `E` nibble matches any nibble (SGP.22 v2.5 §2.9.2.2).
    pub mcc_mnc: FixedOctetString<3>,
    /// `gid1 OCTET STRING OPTIONAL` — EF.GID1 content.
    pub gid1: Option<OctetString>,
    /// `gid2 OCTET STRING OPTIONAL` — EF.GID2 content.
    pub gid2: Option<OctetString>,
}

// ---------------------------------------------------------------- ISD-R SELECT response

/// `ISDRProprietaryApplicationTemplate ::= [PRIVATE 0] SEQUENCE` — tag `E0`, in the ISD-R FCI.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(private, 0), identifier = "ISDRProprietaryApplicationTemplate")]
pub struct IsdrProprietaryApplicationTemplate {
    /// `svn [2] VersionType` — `82 03 …`.
    #[rasn(tag(context, 2))]
    pub svn: VersionType,
    /// `lpaeSupport BIT STRING {lpaeUsingCat(0), lpaeUsingScws(1)} OPTIONAL` (universal `03`).
    pub lpae_support: Option<BitString>,
}

// ---------------------------------------------------------------- ES10c profile lifecycle

/// `profileIdentifier CHOICE { isdpAid [APPLICATION 15], iccid Iccid }` (also the whole of DeleteProfileRequest).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice)]
pub enum ProfileIdentifier {
    /// `isdpAid [APPLICATION 15] OctetTo16` — `4F`, 1 to 16 bytes.
    #[rasn(tag(application, 15), size("1..=16"))]
    IsdpAid(OctetString),
    /// `iccid Iccid` — `5A`, exactly 10 bytes.
    #[rasn(tag(application, 26), size("10"))]
    Iccid(OctetString),
}

/// `EnableProfileRequest ::= [49] SEQUENCE { profileIdentifier, refreshFlag }` — `BF31 { A0 { 4F|5A }, 81 01 xx }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 49), automatic_tags, identifier = "EnableProfileRequest")]
#[non_exhaustive]
pub struct EnableProfileRequest {
    /// Which profile.
    pub profile_identifier: ProfileIdentifier,
    /// `refreshFlag BOOLEAN` — the eUICC refreshes (resets) the UICC after the change.
    pub refresh_flag: bool,
    /// v3: `targetEsimPort INTEGER OPTIONAL` — `82` (#SupportedForMEPV3.0.0#): the eSIM port
    /// to enable the profile on (MEP-A1).
    pub target_esim_port: Option<Integer>,
}

/// `DisableProfileRequest ::= [50] SEQUENCE { profileIdentifier, refreshFlag }` — `BF32`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 50), automatic_tags, identifier = "DisableProfileRequest")]
#[non_exhaustive]
pub struct DisableProfileRequest {
    /// Which profile.
    pub profile_identifier: ProfileIdentifier,
    /// `refreshFlag BOOLEAN`.
    pub refresh_flag: bool,
}

impl EnableProfileRequest {
    /// A request for `id`.
    pub fn new(id: ProfileIdentifier, refresh: bool) -> Self {
        EnableProfileRequest { profile_identifier: id, refresh_flag: refresh, target_esim_port: None }
    }

    /// A request for `id` on eSIM port `port` (SGP.22 v3 MEP-A1).
    pub fn on_port(id: ProfileIdentifier, refresh: bool, port: u8) -> Self {
        EnableProfileRequest { profile_identifier: id, refresh_flag: refresh, target_esim_port: Some(port.into()) }
    }
}

impl DisableProfileRequest {
    /// A request for `id`.
    pub fn new(id: ProfileIdentifier, refresh: bool) -> Self {
        DisableProfileRequest { profile_identifier: id, refresh_flag: refresh }
    }
}

/// `DeleteProfileRequest ::= [51] CHOICE { isdpAid, iccid }` — `BF33 { 4F … | 5A … }` (explicit: a tagged CHOICE).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, tag(explicit(context, 51)), identifier = "DeleteProfileRequest")]
pub struct DeleteProfileRequest(pub ProfileIdentifier);

/// `EnableProfileResponse ::= [49] SEQUENCE { enableResult INTEGER }` — `BF31 { 80 01 xx }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 49), automatic_tags, identifier = "EnableProfileResponse")]
pub struct EnableProfileResponse {
    /// ok(0), iccidOrAidNotFound(1), profileNotInDisabledState(2), disallowedByPolicy(3),
    /// wrongProfileReenabling(4), catBusy(5), v3 commandError(7), noEsimPortAvailable(10),
    /// undefinedError(127).
    pub enable_result: Integer,
    /// v3: `targetEsimPort INTEGER OPTIONAL` — `81` (#SupportedForMEPV3.0.0#): the port the
    /// profile was enabled on (a MEP card's answer to a successful enable).
    pub target_esim_port: Option<Integer>,
}

/// `DisableProfileResponse ::= [50] SEQUENCE { disableResult INTEGER }` — `BF32 { 80 01 xx }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 50), automatic_tags, identifier = "DisableProfileResponse")]
pub struct DisableProfileResponse {
    /// ok(0), iccidOrAidNotFound(1), profileNotInEnabledState(2), disallowedByPolicy(3), catBusy(5), undefinedError(127).
    pub disable_result: Integer,
}

/// `DeleteProfileResponse ::= [51] SEQUENCE { deleteResult INTEGER }` — `BF33 { 80 01 xx }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 51), automatic_tags, identifier = "DeleteProfileResponse")]
pub struct DeleteProfileResponse {
    /// ok(0), iccidOrAidNotFound(1), profileNotInDisabledState(2), disallowedByPolicy(3), undefinedError(127).
    pub delete_result: Integer,
}

/// `SetNicknameRequest ::= [41] SEQUENCE { iccid Iccid, profileNickname [16] }` — `BF29 { 5A, 90 }`.
///
/// Decoding also accepts the nickname under `8F` (`[15]`): pySim's `SetNickname` sends
/// it there and real cards (sysmoEUICC1) answer ok. Exactly one of `8F`/`90` must be
/// present; encoding always writes `90`.
#[derive(AsnType, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 41), identifier = "SetNicknameRequest")]
#[non_exhaustive]
pub struct SetNicknameRequest {
    /// `iccid` — `5A`, exactly 10 bytes.
    #[rasn(tag(application, 26), size("10"))]
    pub iccid: OctetString,
    /// `profileNickname [16] UTF8String (SIZE(0..64))` — `90` (or `8F` when decoded).
    #[rasn(tag(context, 16))]
    pub profile_nickname: super::BoundedUtf8<64>,
}

/// What a `BF29` may hold on the wire: the nickname under `90` or pySim's `8F`.
#[derive(AsnType, Decode, Debug)]
#[rasn(tag(context, 41), identifier = "SetNicknameRequest")]
#[non_exhaustive]
struct SetNicknameWire {
    #[rasn(tag(application, 26), size("10"))]
    iccid: OctetString,
    #[rasn(tag(context, 15))]
    nickname_8f: Option<super::BoundedUtf8<64>>,
    #[rasn(tag(context, 16))]
    profile_nickname: Option<super::BoundedUtf8<64>>,
}

impl Decode for SetNicknameRequest {
    fn decode_with_tag_and_constraints<D: Decoder>(
        decoder: &mut D,
        tag: Tag,
        constraints: &Constraints,
    ) -> Result<Self, D::Error> {
        let wire = SetNicknameWire::decode_with_tag_and_constraints(decoder, tag, constraints)?;
        match (wire.nickname_8f, wire.profile_nickname) {
            (Some(nickname), None) | (None, Some(nickname)) => {
                Ok(SetNicknameRequest { iccid: wire.iccid, profile_nickname: nickname })
            }
            _ => Err(rasn::de::Error::missing_field("profileNickname", decoder.codec())),
        }
    }
}

impl SetNicknameRequest {
    /// A request.
    pub fn new(iccid: Vec<u8>, nickname: &str) -> Self {
        SetNicknameRequest { iccid: iccid.into(), profile_nickname: super::BoundedUtf8::truncated(nickname) }
    }
}

/// `SetNicknameResponse ::= [41] SEQUENCE { setNicknameResult INTEGER }` — `BF29 { 80 01 xx }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 41), automatic_tags, identifier = "SetNicknameResponse")]
pub struct SetNicknameResponse {
    /// ok(0), iccidNotFound(1), undefinedError(127).
    pub set_nickname_result: Integer,
}

/// `EuiccMemoryResetRequest ::= [52] SEQUENCE { resetOptions [2] BIT STRING }` — `BF34 { 82 … }`.
///
/// Decoding is lenient in one way: pySim's `euicc_memory_reset` sends `82 01 E0`, the option
/// bits without the BIT STRING's unused-bits octet. A one-byte content above 7 cannot be an
/// unused-bits octet (X.690 §8.6.2.2 allows 0..7), so it is read as the first byte of bits
/// (`E0` = all three options), never as anything else; every other malformed BIT STRING is
/// still refused. Encoding is always DER.
#[derive(AsnType, Encode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 52), identifier = "EuiccMemoryResetRequest")]
#[non_exhaustive]
pub struct EuiccMemoryResetRequest {
    /// deleteOperationalProfiles(0), deleteFieldLoadedTestProfiles(1), resetDefaultSmdpAddress(2).
    #[rasn(tag(context, 2))]
    pub reset_options: BitString,
}

/// What a `BF34` holds on the wire: `resetOptions` as its raw content octets.
#[derive(AsnType, Decode, Debug)]
#[rasn(tag(context, 52), identifier = "EuiccMemoryResetRequest")]
#[non_exhaustive]
struct EuiccMemoryResetWire {
    #[rasn(tag(context, 2))]
    reset_options: OctetString,
}

impl Decode for EuiccMemoryResetRequest {
    fn decode_with_tag_and_constraints<D: Decoder>(
        decoder: &mut D,
        tag: Tag,
        constraints: &Constraints,
    ) -> Result<Self, D::Error> {
        let wire = EuiccMemoryResetWire::decode_with_tag_and_constraints(decoder, tag, constraints)?;
        let codec = decoder.codec();
        let bad = || <D::Error as rasn::de::Error>::custom("resetOptions is not a BIT STRING", codec);
        let reset_options = match wire.reset_options.as_ref() {
            // pySim's form: the option bits alone.
            [bits] if *bits > 7 => BitString::from_slice(&[*bits]),
            [unused, bits @ ..] if *unused <= 7 && (!bits.is_empty() || *unused == 0) => {
                let mut s = BitString::from_slice(bits);
                let len = s.len().checked_sub(usize::from(*unused)).ok_or_else(bad)?;
                // DER: the unused bits are zero (X.690 §11.2.1).
                if s.get(len..).is_some_and(|tail| tail.any()) {
                    return Err(bad());
                }
                s.truncate(len);
                s
            }
            _ => return Err(bad()),
        };
        Ok(EuiccMemoryResetRequest { reset_options })
    }
}

impl EuiccMemoryResetRequest {
    /// A request with the given option bits.
    pub fn new(options: BitString) -> Self {
        EuiccMemoryResetRequest { reset_options: options }
    }
}

/// `EuiccMemoryResetResponse ::= [52] SEQUENCE { resetResult INTEGER }` — `BF34 { 80 01 xx }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 52), automatic_tags, identifier = "EuiccMemoryResetResponse")]
pub struct EuiccMemoryResetResponse {
    /// ok(0), nothingToDelete(1), catBusy(5), undefinedError(127).
    pub reset_result: Integer,
}

// ---------------------------------------------------------------- ES10b notifications

/// `ListNotificationRequest ::= [40] SEQUENCE { profileManagementOperation [1] NotificationEvent OPTIONAL }` — `BF28`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq, Default)]
#[rasn(tag(context, 40), identifier = "ListNotificationRequest")]
#[non_exhaustive]
pub struct ListNotificationRequest {
    /// Only notifications of these events.
    #[rasn(tag(context, 1))]
    pub profile_management_operation: Option<BitString>,
}

impl ListNotificationRequest {
    /// A request, optionally filtered.
    pub fn new(filter: Option<BitString>) -> Self {
        ListNotificationRequest { profile_management_operation: filter }
    }
}

/// `ListNotificationResponse ::= [40] CHOICE` — `BF28 { A0 { BF2F … } | 81 error }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, tag(explicit(context, 40)), identifier = "ListNotificationResponse")]
pub struct ListNotificationResponse(pub ListNotificationResult);

/// Alternatives of `ListNotificationResponse`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags)]
pub enum ListNotificationResult {
    /// `notificationMetadataList SEQUENCE OF NotificationMetadata`.
    NotificationMetadataList(Vec<super::download::NotificationMetadata>),
    /// `listNotificationsResultError` — undefinedError(127).
    ListNotificationsResultError(Integer),
}

/// `NotificationSentRequest ::= [48] SEQUENCE { seqNumber [0] INTEGER }` — `BF30 { 80 … }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 48), identifier = "NotificationSentRequest")]
#[non_exhaustive]
pub struct NotificationSentRequest {
    /// `seqNumber [0]`.
    #[rasn(tag(context, 0))]
    pub seq_number: Integer,
}

impl NotificationSentRequest {
    /// A request.
    pub fn new(seq: u64) -> Self {
        NotificationSentRequest { seq_number: seq.into() }
    }
}

/// `NotificationSentResponse ::= [48] SEQUENCE { deleteNotificationStatus INTEGER }` — `BF30 { 80 01 xx }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 48), automatic_tags, identifier = "NotificationSentResponse")]
pub struct NotificationSentResponse {
    /// ok(0), nothingToDelete(1), undefinedError(127).
    pub delete_notification_status: Integer,
}

/// `RetrieveNotificationsListRequest ::= [43] SEQUENCE { searchCriteria CHOICE {…} OPTIONAL }`
/// — `BF2B { A0 { 80 seq | 81 operation } }` (automatic tags; a CHOICE is tagged explicitly).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq, Default)]
#[rasn(tag(context, 43), identifier = "RetrieveNotificationsListRequest")]
#[non_exhaustive]
pub struct RetrieveNotificationsListRequest {
    /// Which notifications.
    #[rasn(tag(explicit(context, 0)))]
    pub search_criteria: Option<NotificationSearch>,
}

impl RetrieveNotificationsListRequest {
    /// A request, optionally narrowed.
    pub fn new(search_criteria: Option<NotificationSearch>) -> Self {
        RetrieveNotificationsListRequest { search_criteria }
    }
}

/// `searchCriteria` of RetrieveNotificationsList.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags)]
pub enum NotificationSearch {
    /// `seqNumber [0] INTEGER`.
    SeqNumber(Integer),
    /// `profileManagementOperation [1] NotificationEvent`.
    ProfileManagementOperation(BitString),
}

/// `RetrieveNotificationsListResponse ::= [43] CHOICE` — `BF2B { A0 { BF37… | 30… } | 81 error }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(delegate, tag(explicit(context, 43)), identifier = "RetrieveNotificationsListResponse")]
pub struct RetrieveNotificationsListResponse(pub RetrieveNotificationsListResult);

/// Alternatives of `RetrieveNotificationsListResponse`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags)]
pub enum RetrieveNotificationsListResult {
    /// `notificationList SEQUENCE OF PendingNotification`: each a `BF37`
    /// ProfileInstallationResult or a `30` OtherSignedNotification, as signed.
    NotificationList(Vec<Any>),
    /// `notificationsListResultError` — undefinedError(127).
    NotificationsListResultError(Integer),
}
