//! rasn types for the two profile elements the card decodes in full: `ProfileHeader` (`A0`) and
//! `PE-AKAParameter` (`A4`).
//!
//! Source: TCA eUICC Profile Package `PEDefinitions` v3.3.1 (module OID `{2 23 143 1 1 3}`),
//! `DEFINITIONS AUTOMATIC TAGS EXTENSIBILITY IMPLIED`. Each type carries the context tag it has as an
//! alternative of the `ProfileElement` CHOICE (`header [0]`, `akaParameter [4]`; usim-saip.md §1.1),
//! so the bytes of one element decode as they are. Every SEQUENCE is extensible (`#[non_exhaustive]`),
//! so a package from a later SAIP version with extra fields still decodes. Fields with a `DEFAULT`
//! are `Option`s: absent means the default.

use rasn::prelude::*;

/// `PEHeader ::= SEQUENCE { mandated NULL OPTIONAL, identification UInt15 }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "PEHeader")]
#[non_exhaustive]
pub(crate) struct PeHeader {
    /// `mandated NULL OPTIONAL` — support of this PE is mandatory.
    pub mandated: Option<()>,
    /// `identification UInt15` — reported back in `PEStatus`.
    pub identification: u16,
}

/// `ProfileHeader ::= SEQUENCE` as the `header` alternative of `ProfileElement` — tag `A0`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 0), automatic_tags, identifier = "ProfileHeader")]
#[non_exhaustive]
pub struct ProfileHeader {
    /// `major-version UInt8`.
    #[rasn(identifier = "major-version")]
    pub major_version: u8,
    /// `minor-version UInt8`.
    #[rasn(identifier = "minor-version")]
    pub minor_version: u8,
    /// `profileType UTF8String (SIZE (1..100)) OPTIONAL`.
    #[rasn(identifier = "profileType")]
    pub profile_type: Option<Utf8String>,
    /// `iccid OCTET STRING (SIZE (10))` — digits in printed order, `F`-padded (not the EF.ICCID
    /// coding); the size is checked by `saip::check`.
    pub iccid: OctetString,
    /// `pol OCTET STRING OPTIONAL`.
    pub pol: Option<OctetString>,
    /// `eUICC-Mandatory-services ServicesList`.
    #[rasn(identifier = "eUICC-Mandatory-services")]
    pub mandatory_services: ServicesList,
    /// `eUICC-Mandatory-GFSTEList SEQUENCE OF OBJECT IDENTIFIER` — template OIDs.
    #[rasn(identifier = "eUICC-Mandatory-GFSTEList")]
    pub mandatory_gfste_list: SequenceOf<ObjectIdentifier>,
    /// `connectivityParameters OCTET STRING OPTIONAL`.
    #[rasn(identifier = "connectivityParameters")]
    pub connectivity_parameters: Option<OctetString>,
    /// `eUICC-Mandatory-AIDs SEQUENCE OF SEQUENCE { aid, version } OPTIONAL`.
    #[rasn(identifier = "eUICC-Mandatory-AIDs")]
    pub mandatory_aids: Option<SequenceOf<MandatoryAid>>,
    /// `iotOptions IotOptions OPTIONAL`.
    #[rasn(identifier = "iotOptions")]
    pub iot_options: Option<IotOptions>,
}

/// An element of `eUICC-Mandatory-AIDs`: `SEQUENCE { aid ApplicationIdentifier, version OCTET STRING (SIZE(2)) }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
#[non_exhaustive]
pub struct MandatoryAid {
    /// `aid ApplicationIdentifier`.
    pub aid: OctetString,
    /// `version OCTET STRING (SIZE(2))`.
    pub version: OctetString,
}

/// `IotOptions ::= SEQUENCE { pix OCTET STRING (SIZE (7..11)) }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "IotOptions")]
#[non_exhaustive]
pub struct IotOptions {
    /// `pix` — PIX for IoT Minimal Profiles.
    pub pix: OctetString,
}

macro_rules! services_list {
    ($( $(#[$doc:meta])* $field:ident = $name:literal; )*) => {
        /// `ServicesList ::= SEQUENCE { … NULL OPTIONAL … }`: the services the eUICC must offer
        /// for this profile, one `NULL` per service, tags `[0]`… in definition order.
        #[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq, Default)]
        #[rasn(automatic_tags, identifier = "ServicesList")]
        #[non_exhaustive]
        #[allow(missing_docs)]
        pub struct ServicesList {
            $( #[rasn(identifier = $name)] pub $field: Option<()>, )*
        }

        impl ServicesList {
            /// The present services as a bit set: bit *n* is field *n* (its context tag number).
            pub fn bits(&self) -> u32 {
                let mut bits = 0u32;
                for (n, on) in [$( self.$field.is_some() ),*].into_iter().enumerate() {
                    if on {
                        bits |= 1u32.checked_shl(u32::try_from(n).unwrap_or(31)).unwrap_or(0);
                    }
                }
                bits
            }

            /// The ASN.1 name of service bit `n` (`"usim"`, …).
            pub fn name(n: u32) -> Option<&'static str> {
                [$( $name ),*].get(usize::try_from(n).ok()?).copied()
            }
        }
    };
}

services_list! {
    contactless = "contactless";
    usim = "usim";
    isim = "isim";
    csim = "csim";
    milenage = "milenage";
    tuak128 = "tuak128";
    cave = "cave";
    gba_usim = "gba-usim";
    gba_isim = "gba-isim";
    mbms = "mbms";
    eap = "eap";
    javacard = "javacard";
    multos = "multos";
    multiple_usim = "multiple-usim";
    multiple_isim = "multiple-isim";
    multiple_csim = "multiple-csim";
    tuak256 = "tuak256";
    usim_test_algorithm = "usim-test-algorithm";
    ber_tlv = "ber-tlv";
    df_link = "dfLink";
    cat_tp = "cat-tp";
    get_identity = "get-identity";
    profile_a_x25519 = "profile-a-x25519";
    profile_b_p256 = "profile-b-p256";
    suci_calculator_api = "suciCalculatorApi";
    dns_resolution = "dns-resolution";
    scp11ac = "scp11ac";
    scp11c_authorization_mechanism = "scp11c-authorization-mechanism";
    s16mode = "s16mode";
    eaka = "eaka";
}

/// `PE-AKAParameter ::= SEQUENCE` as the `akaParameter` alternative of `ProfileElement` — tag `A4`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(tag(context, 4), automatic_tags, identifier = "PE-AKAParameter")]
#[non_exhaustive]
pub(crate) struct PeAkaParameter {
    /// `aka-header PEHeader`.
    #[rasn(identifier = "aka-header")]
    pub aka_header: PeHeader,
    /// `algoConfiguration CHOICE { mappingParameter, algoParameter }`.
    #[rasn(identifier = "algoConfiguration")]
    pub algo_configuration: AlgoConfiguration,
    /// `sqnOptions OCTET STRING (SIZE(1)) DEFAULT '02'H`.
    #[rasn(identifier = "sqnOptions")]
    pub sqn_options: Option<OctetString>,
    /// `sqnDelta OCTET STRING (SIZE(6)) DEFAULT '000010000000'H`.
    #[rasn(identifier = "sqnDelta")]
    pub sqn_delta: Option<OctetString>,
    /// `sqnAgeLimit OCTET STRING (SIZE(6)) DEFAULT '000010000000'H`.
    #[rasn(identifier = "sqnAgeLimit")]
    pub sqn_age_limit: Option<OctetString>,
    /// `sqnInit SEQUENCE (SIZE (32)) OF OCTET STRING (SIZE (6))` (default all zero).
    #[rasn(identifier = "sqnInit")]
    pub sqn_init: Option<SequenceOf<OctetString>>,
}

/// `algoConfiguration CHOICE { mappingParameter MappingParameter, algoParameter AlgoParameter }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags)]
#[non_exhaustive]
pub(crate) enum AlgoConfiguration {
    /// `mappingParameter` — reuse the keys of another NAA.
    #[rasn(identifier = "mappingParameter")]
    MappingParameter(MappingParameter),
    /// `algoParameter` — the algorithm and its keys.
    #[rasn(identifier = "algoParameter")]
    AlgoParameter(AlgoParameter),
}

/// `MappingParameter ::= SEQUENCE { mappingOptions OCTET STRING (SIZE(1)), mappingSource ApplicationIdentifier }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "MappingParameter")]
#[non_exhaustive]
pub(crate) struct MappingParameter {
    /// `mappingOptions`.
    #[rasn(identifier = "mappingOptions")]
    pub mapping_options: OctetString,
    /// `mappingSource` — AID of the NAA whose keys are reused.
    #[rasn(identifier = "mappingSource")]
    pub mapping_source: OctetString,
}

/// `AlgoParameter ::= SEQUENCE`: algorithm, options, K, OPc and the Milenage/TUAK constants.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "AlgoParameter")]
#[non_exhaustive]
pub struct AlgoParameter {
    /// `algorithmID INTEGER { milenage(1), tuak(2), usim-test-algorithm(3) }`.
    #[rasn(identifier = "algorithmID")]
    pub algorithm_id: i64,
    /// `algorithmOptions OCTET STRING (SIZE(1))`.
    #[rasn(identifier = "algorithmOptions")]
    pub algorithm_options: OctetString,
    /// `key OCTET STRING` — K.
    pub key: OctetString,
    /// `opc OCTET STRING` — OPc (Milenage), TOPc (TUAK), ignored by the test algorithm.
    pub opc: OctetString,
    /// `rotationConstants OCTET STRING (SIZE (5)) DEFAULT '4000204060'H`.
    #[rasn(identifier = "rotationConstants")]
    pub rotation_constants: Option<OctetString>,
    /// `xoringConstants OCTET STRING (SIZE (80)) DEFAULT` c1..c5.
    #[rasn(identifier = "xoringConstants")]
    pub xoring_constants: Option<OctetString>,
    /// `authCounterMax OCTET STRING (SIZE(3)) OPTIONAL`.
    #[rasn(identifier = "authCounterMax")]
    pub auth_counter_max: Option<OctetString>,
    /// `numberOfKeccak UInt8 DEFAULT 1` (TUAK only).
    #[rasn(identifier = "numberOfKeccak")]
    pub number_of_keccak: Option<u8>,
}
