//! rasn types for the module `VeuiccMirror` (`src/mirror/Mirror.asn`, the reference: this file
//! follows it type for type, with its names in `identifier`s).
//!
//! The module is `DEFINITIONS AUTOMATIC TAGS`: a SEQUENCE or CHOICE none of whose components is
//! tagged gets context tags `[0]`, `[1]`, … (implicit, explicit around a CHOICE); the signed
//! forms (`Signed…`) tag their components themselves, so their signed part keeps its `30`.
//! Top-level requests and responses carry `[PRIVATE 64]` … `[PRIVATE 77]` (`FF40` … `FF4D`):
//! implicit around a SEQUENCE, explicit around a CHOICE (X.680 §31.2.7).
//!
//! Named INTEGER types (`MirrorMode`, `DeviceClass`, `DataPriority`, `MirrorRole`,
//! `LinkState`, `MirrorAction`, `MirrorResult`) are `u8` here: their values are small, and a
//! value outside `0..=255` does not decode (an ill-formed message).

use alloc::vec::Vec;
use rasn::prelude::*;

/// `Iccid ::= OCTET STRING (SIZE(10))`.
pub type Iccid = FixedOctetString<10>;
/// `Eid ::= OCTET STRING (SIZE(16))`.
pub type Eid = FixedOctetString<16>;
/// `TokenId ::= OCTET STRING (SIZE(16))`.
pub type TokenId = FixedOctetString<16>;
/// `euiccSignature [APPLICATION 55] OCTET STRING (SIZE(64))` (the tag is written at each use).
pub type Signature = FixedOctetString<64>;
/// `NumericCode ::= NumericString (SIZE(8))`.
pub type NumericCode = NumericString;

/// Longest validity of a token, whatever the policy says (24 h).
pub const MAX_TOKEN_VALIDITY: u32 = 24 * 3600;

/// The DER content octets of the veuicc mirror policy OID
/// `2.25.212896302286074069483687652667310389900.1.1` (the `vendorOid` of a MirrorPolicy in
/// `serviceSpecificDataStoredInEuicc`). Kept as octets: its UUID arc exceeds rasn's 32-bit arcs.
pub const MIRROR_POLICY_OID: [u8; 22] = [
    0x69, 0x82, 0xC0, 0xAA, 0xAB, 0x86, 0xFA, 0xD6, 0xAA, 0xAD, 0xFF, 0x89, 0xF2, 0xC6, 0xE2, 0xA3, 0x85, 0xBA, 0xF5,
    0x0C, 0x01, 0x01,
];

/// The DER content octets of `id-rspRole-euicc` (2.23.146.1.2.1.1, SGP.22's RSPDefinitions):
/// the OID a mirror package names for the party that bound it — an eUICC, not an SM-DP+. It
/// is the `dpOid` of the package's ConfigureISDP `dpProprietaryData` and the `smdpOid` of the
/// secondary's ProfileInstallationResult.
pub const MIRROR_SIGNER_OID: [u8; 7] = [0x67, 0x81, 0x12, 0x01, 0x02, 0x01, 0x01];

/// `MirrorServices` bit numbers.
pub mod service {
    /// `voice(0)`.
    pub const VOICE: u8 = 1 << 0;
    /// `sms(1)`.
    pub const SMS: u8 = 1 << 1;
    /// `data(2)`.
    pub const DATA: u8 = 1 << 2;
    /// Every service.
    pub const ALL: u8 = VOICE | SMS | DATA;
}

/// `MirrorServices ::= BIT STRING { voice(0), sms(1), data(2) }` as bits (bit n = `1 << n`),
/// DER: trailing zero bits dropped (X.690 §11.2.2).
pub fn services_bits(services: u8) -> BitString {
    let len = (0..8).rev().find(|b| services & (1 << b) != 0).map_or(0, |b| b + 1);
    let mut s = BitString::repeat(false, len);
    for b in 0..len {
        s.set(b, services & (1 << b) != 0);
    }
    s
}

/// The services a `MirrorServices` names (bits beyond the first eight: `None`).
pub fn services_of(bits: &BitString) -> Option<u8> {
    if bits.iter().skip(8).any(|b| *b) {
        return None;
    }
    Some(bits.iter().take(8).enumerate().filter(|(_, b)| **b).fold(0u8, |acc, (i, _)| acc | (1 << i)))
}

/// `MirrorMode` values.
pub mod mode {
    /// `mirror(0)`.
    pub const MIRROR: u8 = 0;
    /// `transfer(1)`.
    pub const TRANSFER: u8 = 1;
}

/// `DeviceClass` values.
pub mod device_class {
    /// `phone(0)`.
    pub const PHONE: u8 = 0;
    /// `tablet(1)`.
    pub const TABLET: u8 = 1;
    /// `watch(2)`.
    pub const WATCH: u8 = 2;
    /// `laptop(3)`.
    pub const LAPTOP: u8 = 3;
    /// `glasses(4)`.
    pub const GLASSES: u8 = 4;
    /// `other(5)`.
    pub const OTHER: u8 = 5;
}

/// `MirrorRole` values.
pub mod role {
    /// `none(0)`.
    pub const NONE: u8 = 0;
    /// `primary(1)`.
    pub const PRIMARY: u8 = 1;
    /// `secondary(2)`.
    pub const SECONDARY: u8 = 2;
}

/// `LinkState` values.
pub mod link_state {
    /// `issued(0)`: token outstanding.
    pub const ISSUED: u8 = 0;
    /// `pending(1)`: exported, not yet confirmed.
    pub const PENDING: u8 = 1;
    /// `active(2)`.
    pub const ACTIVE: u8 = 2;
    /// `suspended(3)`.
    pub const SUSPENDED: u8 = 3;
    /// `revoked(4)`.
    pub const REVOKED: u8 = 4;
    /// `transferred(5)`.
    pub const TRANSFERRED: u8 = 5;
    /// `voided(6)`: numeric-code attempts exhausted.
    pub const VOIDED: u8 = 6;
}

/// `MirrorAction` values.
pub mod action {
    /// `revoke(0)`.
    pub const REVOKE: u8 = 0;
    /// `renew(1)`.
    pub const RENEW: u8 = 1;
    /// `suspend(2)`.
    pub const SUSPEND: u8 = 2;
    /// `resume(3)`.
    pub const RESUME: u8 = 3;
}

/// `MirrorResult`: one result code for every mirror function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MirrorResult {
    /// ok
    Ok = 0,
    /// profileNotMirrorable
    ProfileNotMirrorable = 1,
    /// instancesExceeded
    InstancesExceeded = 2,
    /// servicesExceeded
    ServicesExceeded = 3,
    /// validityExceeded
    ValidityExceeded = 4,
    /// transferNotAllowed
    TransferNotAllowed = 5,
    /// tokenExpired
    TokenExpired = 6,
    /// tokenNotYetValid
    TokenNotYetValid = 7,
    /// tokenAlreadyRedeemed
    TokenAlreadyRedeemed = 8,
    /// wrongTargetEid
    WrongTargetEid = 9,
    /// codeAttemptsExhausted
    CodeAttemptsExhausted = 10,
    /// wrongCode
    WrongCode = 11,
    /// badSignature
    BadSignature = 12,
    /// untrustedChain
    UntrustedChain = 13,
    /// iccidAlreadyPresent
    IccidAlreadyPresent = 14,
    /// noFreeSlot
    NoFreeSlot = 15,
    /// unknownToken
    UnknownToken = 16,
    /// unknownLink
    UnknownLink = 17,
    /// notFromPinnedPrimary
    NotFromPinnedPrimary = 18,
    /// replayedMessage
    ReplayedMessage = 19,
    /// unknownProfile
    UnknownProfile = 20,
    /// clockNotSet
    ClockNotSet = 21,
    /// incorrectInputValues
    IncorrectInputValues = 22,
    /// undefinedError
    UndefinedError = 127,
}

impl MirrorResult {
    /// Every code, in value order.
    pub const ALL: [MirrorResult; 24] = [
        MirrorResult::Ok,
        MirrorResult::ProfileNotMirrorable,
        MirrorResult::InstancesExceeded,
        MirrorResult::ServicesExceeded,
        MirrorResult::ValidityExceeded,
        MirrorResult::TransferNotAllowed,
        MirrorResult::TokenExpired,
        MirrorResult::TokenNotYetValid,
        MirrorResult::TokenAlreadyRedeemed,
        MirrorResult::WrongTargetEid,
        MirrorResult::CodeAttemptsExhausted,
        MirrorResult::WrongCode,
        MirrorResult::BadSignature,
        MirrorResult::UntrustedChain,
        MirrorResult::IccidAlreadyPresent,
        MirrorResult::NoFreeSlot,
        MirrorResult::UnknownToken,
        MirrorResult::UnknownLink,
        MirrorResult::NotFromPinnedPrimary,
        MirrorResult::ReplayedMessage,
        MirrorResult::UnknownProfile,
        MirrorResult::ClockNotSet,
        MirrorResult::IncorrectInputValues,
        MirrorResult::UndefinedError,
    ];

    /// The value on the wire.
    pub const fn value(self) -> u8 {
        self as u8
    }

    /// The code with value `v`, if there is one.
    pub fn from_value(v: u8) -> Option<MirrorResult> {
        MirrorResult::ALL.into_iter().find(|r| r.value() == v)
    }

    /// The name in `Mirror.asn` (`profileNotMirrorable`, …).
    pub const fn name(self) -> &'static str {
        match self {
            MirrorResult::Ok => "ok",
            MirrorResult::ProfileNotMirrorable => "profileNotMirrorable",
            MirrorResult::InstancesExceeded => "instancesExceeded",
            MirrorResult::ServicesExceeded => "servicesExceeded",
            MirrorResult::ValidityExceeded => "validityExceeded",
            MirrorResult::TransferNotAllowed => "transferNotAllowed",
            MirrorResult::TokenExpired => "tokenExpired",
            MirrorResult::TokenNotYetValid => "tokenNotYetValid",
            MirrorResult::TokenAlreadyRedeemed => "tokenAlreadyRedeemed",
            MirrorResult::WrongTargetEid => "wrongTargetEid",
            MirrorResult::CodeAttemptsExhausted => "codeAttemptsExhausted",
            MirrorResult::WrongCode => "wrongCode",
            MirrorResult::BadSignature => "badSignature",
            MirrorResult::UntrustedChain => "untrustedChain",
            MirrorResult::IccidAlreadyPresent => "iccidAlreadyPresent",
            MirrorResult::NoFreeSlot => "noFreeSlot",
            MirrorResult::UnknownToken => "unknownToken",
            MirrorResult::UnknownLink => "unknownLink",
            MirrorResult::NotFromPinnedPrimary => "notFromPinnedPrimary",
            MirrorResult::ReplayedMessage => "replayedMessage",
            MirrorResult::UnknownProfile => "unknownProfile",
            MirrorResult::ClockNotSet => "clockNotSet",
            MirrorResult::IncorrectInputValues => "incorrectInputValues",
            MirrorResult::UndefinedError => "undefinedError",
        }
    }
}

/// The name of result code `v` (`undefinedError` for a value `Mirror.asn` does not name).
pub fn result_name(v: u8) -> &'static str {
    MirrorResult::from_value(v).map_or("undefinedError", MirrorResult::name)
}

/// `DeviceClass` names, by value.
pub const DEVICE_CLASS_NAMES: [&str; 6] = ["phone", "tablet", "watch", "laptop", "glasses", "other"];
/// `DataPriority` names, by value.
pub const PRIORITY_NAMES: [&str; 3] = ["low", "normal", "high"];
/// `LinkState` names, by value.
pub const LINK_STATE_NAMES: [&str; 7] =
    ["issued", "pending", "active", "suspended", "revoked", "transferred", "voided"];
/// `MirrorRole` names, by value.
pub const ROLE_NAMES: [&str; 3] = ["none", "primary", "secondary"];

/// The name at `v` in `names`, or the number.
pub fn name_of(names: &[&str], v: u8) -> alloc::string::String {
    names.get(usize::from(v)).map_or_else(|| alloc::format!("{v}"), |n| alloc::string::String::from(*n))
}

/// `MaxInstances ::= CHOICE { limited INTEGER (0..255), unlimited NULL }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, Copy, PartialEq, Eq)]
#[rasn(choice, automatic_tags, identifier = "MaxInstances")]
pub enum MaxInstances {
    /// `limited` — `80`.
    Limited(u8),
    /// `unlimited` — `81 00`.
    Unlimited(()),
}

impl MaxInstances {
    /// Whether `n` live instances leave room for one more.
    pub fn allows_another(self, n: usize) -> bool {
        match self {
            MaxInstances::Limited(max) => n < usize::from(max),
            MaxInstances::Unlimited(()) => true,
        }
    }
}

/// `MirrorPolicy ::= SEQUENCE` — the operator's policy in StoreMetadata.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "MirrorPolicy")]
pub struct MirrorPolicy {
    /// `maxInstances` — `A0` (explicit around the CHOICE).
    pub max_instances: MaxInstances,
    /// `services` — `81`.
    pub services: BitString,
    /// `maxTokenValidity` (seconds) — `82`.
    pub max_token_validity: u32,
    /// `reauthInterval` (seconds) — `83`.
    pub reauth_interval: u32,
    /// `transferAllowed BOOLEAN DEFAULT FALSE` — `84` (absent when false).
    #[rasn(default)]
    pub transfer_allowed: bool,
    /// `suspendWhileRoaming BOOLEAN DEFAULT FALSE` — `85` (absent when false).
    #[rasn(default)]
    pub suspend_while_roaming: bool,
}

/// `MirrorToken ::= SEQUENCE` — signed by the primary.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "MirrorToken")]
pub struct MirrorToken {
    /// `tokenId`.
    pub token_id: TokenId,
    /// `sourceEid`.
    pub source_eid: Eid,
    /// `iccid`.
    pub iccid: Iccid,
    /// `mode` ([`mode`]).
    pub mode: u8,
    /// `services`.
    pub services: BitString,
    /// `notBefore` (Unix seconds).
    pub not_before: u64,
    /// `notAfter` (Unix seconds).
    pub not_after: u64,
    /// `targetEid OPTIONAL`.
    pub target_eid: Option<Eid>,
    /// `deviceClass OPTIONAL` ([`device_class`]).
    pub device_class: Option<u8>,
    /// `priority OPTIONAL`.
    pub priority: Option<u8>,
}

/// `SignedMirrorToken ::= SEQUENCE { mirrorToken, euiccSignature 5F37, euiccCertificate 80,
/// eumCertificate 81 }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "SignedMirrorToken")]
pub struct SignedMirrorToken {
    /// `mirrorToken` — `30`, the signed bytes.
    pub mirror_token: MirrorToken,
    /// `euiccSignature [APPLICATION 55]` — r ‖ s.
    #[rasn(tag(application, 55))]
    pub euicc_signature: Signature,
    /// `euiccCertificate [0]` — CERT.EUICC's DER.
    #[rasn(tag(context, 0))]
    pub euicc_certificate: OctetString,
    /// `eumCertificate [1]` — CERT.EUM's DER.
    #[rasn(tag(context, 1))]
    pub eum_certificate: OctetString,
}

/// `MirrorRequest ::= SEQUENCE` — signed by the secondary.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "MirrorRequest")]
pub struct MirrorRequest {
    /// `tokenId`.
    pub token_id: TokenId,
    /// `secondaryEid`.
    pub secondary_eid: Eid,
    /// `otPk` — otPK.EUICC.ECKA.
    pub ot_pk: OctetString,
    /// `tokenHash` — SHA-256 of the token's DER.
    pub token_hash: FixedOctetString<32>,
    /// `secondaryChallenge`.
    pub secondary_challenge: FixedOctetString<16>,
}

/// `SignedMirrorRequest ::= SEQUENCE`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "SignedMirrorRequest")]
pub struct SignedMirrorRequest {
    /// `mirrorRequest` — `30`, the signed bytes.
    pub mirror_request: MirrorRequest,
    /// `euiccSignature [APPLICATION 55]`.
    #[rasn(tag(application, 55))]
    pub euicc_signature: Signature,
    /// `euiccCertificate [0]`.
    #[rasn(tag(context, 0))]
    pub euicc_certificate: OctetString,
    /// `eumCertificate [1]`.
    #[rasn(tag(context, 1))]
    pub eum_certificate: OctetString,
}

/// `MirrorLinkUpdate ::= SEQUENCE` — revocation, renewal, suspension, resumption.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "MirrorLinkUpdate")]
pub struct MirrorLinkUpdate {
    /// `tokenId`.
    pub token_id: TokenId,
    /// `sourceEid`.
    pub source_eid: Eid,
    /// `secondaryEid`.
    pub secondary_eid: Eid,
    /// `iccid`.
    pub iccid: Iccid,
    /// `action` ([`action`]).
    pub action: u8,
    /// `sequenceNumber`.
    pub sequence_number: u32,
    /// `issuedAt`.
    pub issued_at: u64,
    /// `renewBy OPTIONAL`.
    pub renew_by: Option<u64>,
}

/// `SignedMirrorLinkUpdate ::= SEQUENCE { mirrorLinkUpdate, euiccSignature 5F37 }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(identifier = "SignedMirrorLinkUpdate")]
pub struct SignedMirrorLinkUpdate {
    /// `mirrorLinkUpdate` — `30`, the signed bytes.
    pub mirror_link_update: MirrorLinkUpdate,
    /// `euiccSignature [APPLICATION 55]`.
    #[rasn(tag(application, 55))]
    pub euicc_signature: Signature,
}

/// `MirrorLinkRef ::= CHOICE { tokenId, secondaryEid }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(choice, automatic_tags, identifier = "MirrorLinkRef")]
pub enum MirrorLinkRef {
    /// `tokenId` — `80`.
    TokenId(TokenId),
    /// `secondaryEid` — `81`.
    SecondaryEid(Eid),
}

/// `MirrorLink ::= SEQUENCE` — one link as the primary reports it.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "MirrorLink")]
pub struct MirrorLink {
    /// `tokenId`.
    pub token_id: TokenId,
    /// `iccid`.
    pub iccid: Iccid,
    /// `state` ([`link_state`]).
    pub state: u8,
    /// `mode`.
    pub mode: u8,
    /// `services`.
    pub services: BitString,
    /// `notAfter` (the token's).
    pub not_after: u64,
    /// `secondaryEid OPTIONAL`.
    pub secondary_eid: Option<Eid>,
    /// `deviceClass OPTIONAL`.
    pub device_class: Option<u8>,
    /// `priority OPTIONAL`.
    pub priority: Option<u8>,
    /// `linkedAt OPTIONAL`.
    pub linked_at: Option<u64>,
    /// `renewBy OPTIONAL`.
    pub renew_by: Option<u64>,
}

/// `MirrorInstanceInfo ::= SEQUENCE` — a mirror instance as the secondary reports it.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "MirrorInstanceInfo")]
pub struct MirrorInstanceInfo {
    /// `sourceEid`.
    pub source_eid: Eid,
    /// `tokenId`.
    pub token_id: TokenId,
    /// `services`.
    pub services: BitString,
    /// `renewBy`.
    pub renew_by: u64,
    /// `state`.
    pub state: u8,
    /// `deviceClass OPTIONAL`.
    pub device_class: Option<u8>,
    /// `priority OPTIONAL`.
    pub priority: Option<u8>,
}

/// `MirrorProfileInfo ::= SEQUENCE`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "MirrorProfileInfo")]
pub struct MirrorProfileInfo {
    /// `iccid`.
    pub iccid: Iccid,
    /// `role` ([`role`]).
    pub role: u8,
    /// `policy OPTIONAL`.
    pub policy: Option<MirrorPolicy>,
    /// `liveInstances OPTIONAL`.
    pub live_instances: Option<u8>,
    /// `instance OPTIONAL`.
    pub instance: Option<MirrorInstanceInfo>,
}

/// A request: `[PRIVATE n] SEQUENCE` (implicit).
macro_rules! request {
    ($(#[$doc:meta])* $name:ident, $n:literal, $id:literal { $( $(#[$fdoc:meta])* $field:ident : $ty:ty, )* }) => {
        $(#[$doc])*
        #[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
        #[rasn(tag(private, $n), automatic_tags, identifier = $id)]
        pub struct $name { $( $(#[$fdoc])* pub $field: $ty, )* }
    };
}

/// A response: `[PRIVATE n] CHOICE` (explicit around the CHOICE), as a newtype.
macro_rules! response {
    ($(#[$doc:meta])* $name:ident($result:ident), $n:literal, $id:literal { $( $(#[$vdoc:meta])* $variant:ident($ty:ty), )* }) => {
        $(#[$doc])*
        #[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
        #[rasn(delegate, tag(explicit(private, $n)), identifier = $id)]
        pub struct $name(pub $result);

        #[doc = concat!("The alternatives of `", $id, "` (automatic tags).")]
        #[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
        #[rasn(choice, automatic_tags)]
        #[allow(clippy::large_enum_variant)]
        pub enum $result { $( $(#[$vdoc])* $variant($ty), )* }
    };
}

request!(
    /// `IssueMirrorTokenRequest ::= [PRIVATE 64] SEQUENCE` — `FF40`.
    IssueMirrorTokenRequest, 64, "IssueMirrorTokenRequest" {
        /// `iccid`.
        iccid: Iccid,
        /// `mode`.
        mode: u8,
        /// `services`.
        services: BitString,
        /// `validity` (seconds).
        validity: u32,
        /// `targetEid OPTIONAL`.
        target_eid: Option<Eid>,
        /// `deviceClass OPTIONAL`.
        device_class: Option<u8>,
        /// `priority OPTIONAL`.
        priority: Option<u8>,
    }
);

/// `IssuedMirrorToken ::= SEQUENCE { signedMirrorToken, numericCode }`.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags, identifier = "IssuedMirrorToken")]
pub struct IssuedMirrorToken {
    /// `signedMirrorToken` — `A0`.
    pub signed_mirror_token: SignedMirrorToken,
    /// `numericCode` — `81`.
    pub numeric_code: NumericCode,
}

response!(
    /// `IssueMirrorTokenResponse ::= [PRIVATE 64] CHOICE` — `FF40`.
    IssueMirrorTokenResponse(IssueMirrorTokenResult), 64, "IssueMirrorTokenResponse" {
        /// `issued` — `A0`.
        Issued(IssuedMirrorToken),
        /// `mirrorError` — `81`.
        MirrorError(u8),
    }
);

request!(
    /// `RedeemMirrorCodeRequest ::= [PRIVATE 65] SEQUENCE` — `FF41`.
    RedeemMirrorCodeRequest, 65, "RedeemMirrorCodeRequest" {
        /// `numericCode`.
        numeric_code: NumericCode,
        /// `iccid OPTIONAL`.
        iccid: Option<Iccid>,
    }
);

response!(
    /// `RedeemMirrorCodeResponse ::= [PRIVATE 65] CHOICE` — `FF41`.
    RedeemMirrorCodeResponse(RedeemMirrorCodeResult), 65, "RedeemMirrorCodeResponse" {
        /// `signedMirrorToken` — `A0`.
        SignedMirrorToken(SignedMirrorToken),
        /// `mirrorError` — `81`.
        MirrorError(u8),
    }
);

request!(
    /// `BeginMirrorRequest ::= [PRIVATE 66] SEQUENCE` — `FF42`.
    BeginMirrorRequest, 66, "BeginMirrorRequest" {
        /// `signedMirrorToken`.
        signed_mirror_token: SignedMirrorToken,
    }
);

response!(
    /// `BeginMirrorResponse ::= [PRIVATE 66] CHOICE` — `FF42`.
    BeginMirrorResponse(BeginMirrorResult), 66, "BeginMirrorResponse" {
        /// `signedMirrorRequest`.
        SignedMirrorRequest(SignedMirrorRequest),
        /// `mirrorError`.
        MirrorError(u8),
    }
);

request!(
    /// `ExportMirrorRequest ::= [PRIVATE 67] SEQUENCE` — `FF43`.
    ExportMirrorRequest, 67, "ExportMirrorRequest" {
        /// `signedMirrorRequest`.
        signed_mirror_request: SignedMirrorRequest,
    }
);

response!(
    /// `ExportMirrorResponse ::= [PRIVATE 67] CHOICE` — `FF43`.
    ExportMirrorResponse(ExportMirrorResult), 67, "ExportMirrorResponse" {
        /// `boundProfilePackage` — the mirror package (`BF36 …`).
        BoundProfilePackage(OctetString),
        /// `mirrorError`.
        MirrorError(u8),
    }
);

request!(
    /// `ConfirmMirrorRequest ::= [PRIVATE 68] SEQUENCE` — `FF44`.
    ConfirmMirrorRequest, 68, "ConfirmMirrorRequest" {
        /// `profileInstallationResult` — the secondary's signed PIR (`BF37 …`).
        profile_installation_result: OctetString,
    }
);

response!(
    /// `ConfirmMirrorResponse ::= [PRIVATE 68] CHOICE` — `FF44`.
    ConfirmMirrorResponse(ConfirmMirrorResult), 68, "ConfirmMirrorResponse" {
        /// `mirrorLink`.
        MirrorLink(MirrorLink),
        /// `mirrorError`.
        MirrorError(u8),
    }
);

request!(
    /// `RevokeMirrorRequest ::= [PRIVATE 69] SEQUENCE` — `FF45`.
    RevokeMirrorRequest, 69, "RevokeMirrorRequest" {
        /// `link` — `A0` (explicit around the CHOICE).
        link: MirrorLinkRef,
    }
);

response!(
    /// `RevokeMirrorResponse ::= [PRIVATE 69] CHOICE` — `FF45`.
    RevokeMirrorResponse(RevokeMirrorResult), 69, "RevokeMirrorResponse" {
        /// `revocation` — `A0`.
        Revocation(SignedMirrorLinkUpdate),
        /// `tokenVoided` — `81 00`: an outstanding token, voided.
        TokenVoided(()),
        /// `mirrorError` — `82`.
        MirrorError(u8),
    }
);

request!(
    /// `ApplyMirrorRevocationRequest ::= [PRIVATE 70] SEQUENCE` — `FF46`.
    ApplyMirrorRevocationRequest, 70, "ApplyMirrorRevocationRequest" {
        /// `revocation`.
        revocation: SignedMirrorLinkUpdate,
    }
);

request!(
    /// `ApplyMirrorRevocationResponse ::= [PRIVATE 70] SEQUENCE` — `FF46`.
    ApplyMirrorRevocationResponse, 70, "ApplyMirrorRevocationResponse" {
        /// `mirrorResult`.
        mirror_result: u8,
    }
);

request!(
    /// `RenewMirrorRequest ::= [PRIVATE 71] SEQUENCE` — `FF47`.
    RenewMirrorRequest, 71, "RenewMirrorRequest" {
        /// `link`.
        link: MirrorLinkRef,
    }
);

response!(
    /// `RenewMirrorResponse ::= [PRIVATE 71] CHOICE` — `FF47`.
    RenewMirrorResponse(RenewMirrorResult), 71, "RenewMirrorResponse" {
        /// `renewal`.
        Renewal(SignedMirrorLinkUpdate),
        /// `mirrorError`.
        MirrorError(u8),
    }
);

request!(
    /// `ApplyMirrorRenewalRequest ::= [PRIVATE 72] SEQUENCE` — `FF48`.
    ApplyMirrorRenewalRequest, 72, "ApplyMirrorRenewalRequest" {
        /// `renewal`.
        renewal: SignedMirrorLinkUpdate,
    }
);

request!(
    /// `ApplyMirrorRenewalResponse ::= [PRIVATE 72] SEQUENCE` — `FF48`.
    ApplyMirrorRenewalResponse, 72, "ApplyMirrorRenewalResponse" {
        /// `mirrorResult`.
        mirror_result: u8,
    }
);

request!(
    /// `SuspendMirrorRequest ::= [PRIVATE 73] SEQUENCE` — `FF49`.
    SuspendMirrorRequest, 73, "SuspendMirrorRequest" {
        /// `link OPTIONAL` (absent: every live link).
        link: Option<MirrorLinkRef>,
    }
);

response!(
    /// `SuspendMirrorResponse ::= [PRIVATE 73] CHOICE` — `FF49`.
    SuspendMirrorResponse(SuspendMirrorResult), 73, "SuspendMirrorResponse" {
        /// `suspensions`.
        Suspensions(Vec<SignedMirrorLinkUpdate>),
        /// `mirrorError`.
        MirrorError(u8),
    }
);

request!(
    /// `ResumeMirrorRequest ::= [PRIVATE 74] SEQUENCE` — `FF4A`.
    ResumeMirrorRequest, 74, "ResumeMirrorRequest" {
        /// `link OPTIONAL`.
        link: Option<MirrorLinkRef>,
    }
);

response!(
    /// `ResumeMirrorResponse ::= [PRIVATE 74] CHOICE` — `FF4A`.
    ResumeMirrorResponse(ResumeMirrorResult), 74, "ResumeMirrorResponse" {
        /// `resumptions`.
        Resumptions(Vec<SignedMirrorLinkUpdate>),
        /// `mirrorError`.
        MirrorError(u8),
    }
);

request!(
    /// `ApplyMirrorSuspensionRequest ::= [PRIVATE 75] SEQUENCE` — `FF4B`.
    ApplyMirrorSuspensionRequest, 75, "ApplyMirrorSuspensionRequest" {
        /// `update` — a suspension or a resumption.
        update: SignedMirrorLinkUpdate,
    }
);

request!(
    /// `ApplyMirrorSuspensionResponse ::= [PRIVATE 75] SEQUENCE` — `FF4B`.
    ApplyMirrorSuspensionResponse, 75, "ApplyMirrorSuspensionResponse" {
        /// `mirrorResult`.
        mirror_result: u8,
    }
);

request!(
    /// `ListMirrorLinksRequest ::= [PRIVATE 76] SEQUENCE` — `FF4C`.
    ListMirrorLinksRequest, 76, "ListMirrorLinksRequest" {
        /// `iccid OPTIONAL`.
        iccid: Option<Iccid>,
    }
);

response!(
    /// `ListMirrorLinksResponse ::= [PRIVATE 76] CHOICE` — `FF4C`.
    ListMirrorLinksResponse(ListMirrorLinksResult), 76, "ListMirrorLinksResponse" {
        /// `mirrorLinks`.
        MirrorLinks(Vec<MirrorLink>),
        /// `mirrorError`.
        MirrorError(u8),
    }
);

request!(
    /// `GetMirrorInfoRequest ::= [PRIVATE 77] SEQUENCE` — `FF4D`.
    GetMirrorInfoRequest, 77, "GetMirrorInfoRequest" {
        /// `iccid OPTIONAL`.
        iccid: Option<Iccid>,
    }
);

response!(
    /// `GetMirrorInfoResponse ::= [PRIVATE 77] CHOICE` — `FF4D`.
    GetMirrorInfoResponse(GetMirrorInfoResult), 77, "GetMirrorInfoResponse" {
        /// `mirrorProfiles`.
        MirrorProfiles(Vec<MirrorProfileInfo>),
        /// `mirrorError`.
        MirrorError(u8),
    }
);

/// Why a mirror request did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// A private-class tag (or any tag) naming no mirror function.
    UnknownTag(u32),
    /// The tag is known but the DER is malformed, not minimal, or of the wrong shape.
    Malformed(u32),
    /// Not even a complete BER tag.
    NoTag,
}

macro_rules! mirror_requests {
    ($( $(#[$doc:meta])* $tag:literal => $variant:ident($req:ty); )*) => {
        /// A decoded mirror request (`FF40` … `FF4D`), one variant per function.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        #[allow(clippy::large_enum_variant)]
        pub enum MirrorCommand {
            $( $(#[$doc])* $variant($req), )*
        }

        impl MirrorCommand {
            /// Decodes one complete mirror request (DER, exactly one TLV).
            pub fn decode(der: &[u8]) -> Result<MirrorCommand, DecodeError> {
                let tag = crate::asn1::outer_tag(der).ok_or(DecodeError::NoTag)?;
                let minimal = || crate::asn1::tlv::der_lengths_minimal(der, 16);
                match tag {
                    $( $tag if !minimal() => Err(DecodeError::Malformed(tag)),
                       $tag => rasn::der::decode::<$req>(der)
                        .map(MirrorCommand::$variant)
                        .map_err(|_| DecodeError::Malformed(tag)), )*
                    _ => Err(DecodeError::UnknownTag(tag)),
                }
            }

            /// Encodes the request to DER.
            pub fn encode(&self) -> Result<Vec<u8>, rasn::error::EncodeError> {
                match self {
                    $( MirrorCommand::$variant(r) => rasn::der::encode(r), )*
                }
            }
        }
    };
}

mirror_requests! {
    /// IssueMirrorToken — `FF40`.
    0xFF40 => IssueMirrorToken(IssueMirrorTokenRequest);
    /// RedeemMirrorCode — `FF41`.
    0xFF41 => RedeemMirrorCode(RedeemMirrorCodeRequest);
    /// BeginMirror — `FF42`.
    0xFF42 => BeginMirror(BeginMirrorRequest);
    /// ExportMirror — `FF43`.
    0xFF43 => ExportMirror(ExportMirrorRequest);
    /// ConfirmMirror — `FF44`.
    0xFF44 => ConfirmMirror(ConfirmMirrorRequest);
    /// RevokeMirror — `FF45`.
    0xFF45 => RevokeMirror(RevokeMirrorRequest);
    /// ApplyMirrorRevocation — `FF46`.
    0xFF46 => ApplyMirrorRevocation(ApplyMirrorRevocationRequest);
    /// RenewMirror — `FF47`.
    0xFF47 => RenewMirror(RenewMirrorRequest);
    /// ApplyMirrorRenewal — `FF48`.
    0xFF48 => ApplyMirrorRenewal(ApplyMirrorRenewalRequest);
    /// SuspendMirror — `FF49`.
    0xFF49 => SuspendMirror(SuspendMirrorRequest);
    /// ResumeMirror — `FF4A`.
    0xFF4A => ResumeMirror(ResumeMirrorRequest);
    /// ApplyMirrorSuspension — `FF4B`.
    0xFF4B => ApplyMirrorSuspension(ApplyMirrorSuspensionRequest);
    /// ListMirrorLinks — `FF4C`.
    0xFF4C => ListMirrorLinks(ListMirrorLinksRequest);
    /// GetMirrorInfo — `FF4D`.
    0xFF4D => GetMirrorInfo(GetMirrorInfoRequest);
}

/// Whether `tag` (as [`crate::asn1::outer_tag`] packs it) is in the mirror functions'
/// private-class range `FF40` … `FF4F`.
pub fn is_mirror_tag(tag: u32) -> bool {
    (0xFF40..=0xFF4F).contains(&tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_are_der_bit_strings() {
        assert_eq!(rasn::der::encode(&services_bits(0)).unwrap(), [0x03, 0x01, 0x00]);
        assert_eq!(rasn::der::encode(&services_bits(service::ALL)).unwrap(), [0x03, 0x02, 0x05, 0xE0]);
        assert_eq!(rasn::der::encode(&services_bits(service::DATA)).unwrap(), [0x03, 0x02, 0x05, 0x20]);
        assert_eq!(services_of(&services_bits(service::SMS | service::DATA)), Some(6));
    }

    #[test]
    fn policy_omits_false_defaults() {
        let p = MirrorPolicy {
            max_instances: MaxInstances::Limited(3),
            services: services_bits(service::ALL),
            max_token_validity: 86400,
            reauth_interval: 7_776_000,
            transfer_allowed: false,
            suspend_while_roaming: false,
        };
        let der = rasn::der::encode(&p).unwrap();
        assert_eq!(hex(&der), "3013a003800103810205e08203015180830376a700");
        assert_eq!(rasn::der::decode::<MirrorPolicy>(&der).unwrap(), p);
    }

    #[test]
    fn top_level_tags() {
        let r = IssueMirrorTokenResponse(IssueMirrorTokenResult::MirrorError(4));
        assert_eq!(hex(&rasn::der::encode(&r).unwrap()), "ff4003810104");
        let r = RevokeMirrorResponse(RevokeMirrorResult::TokenVoided(()));
        assert_eq!(hex(&rasn::der::encode(&r).unwrap()), "ff45028100");
        let q = RedeemMirrorCodeRequest { numeric_code: NumericString::from_bytes(b"12345678").unwrap(), iccid: None };
        assert_eq!(hex(&rasn::der::encode(&q).unwrap()), "ff410a80083132333435363738");
    }

    fn hex(b: &[u8]) -> alloc::string::String {
        b.iter().map(|x| alloc::format!("{x:02x}")).collect()
    }
}
