//! TCA SAIP profile packages: the checks the card runs on an Unprotected Profile Package (UPP).
//!
//! A UPP is a plain concatenation of DER `ProfileElement` values with no outer wrapper
//! (TCA eUICC Profile Package: Interoperable Format Technical Specification v2.3 / v3.3.1;
//! usim-saip.md §1). [`elements`] walks the outer TLVs; [`check`] enforces the package rules and
//! decodes the two elements the card needs in full, `header` and `akaParameter` (rasn types in
//! [`asn`]). Other elements are only checked to be well-formed DER on the outside and to start with
//! a `PEHeader`. Nothing here panics on any input, and no key bytes are kept: keys are only measured.
//!
//! Rules (TCA SAIP, profile element sequence; usim-saip.md §1.1):
//! * every element is one DER TLV; its tag is a known `ProfileElement` alternative, or a
//!   context-specific constructed tag this card does not know (a later version's element, or
//!   an `rfu` placeholder) whose `PEHeader` is not `mandated`: such an element is skipped and
//!   listed in [`Summary::skipped`] (SAIP: an eUICC ignores PEs it does not support unless they
//!   are mandated); a mandated one is refused;
//! * `header` is first and appears once; `end` is last and nothing follows it;
//! * `mf` appears once and before any other file-system element (`genericFileManagement` and the
//!   template elements `cd` … `opt-iot`);
//! * each element other than `header` starts with `PEHeader { mandated NULL OPTIONAL, identification UInt15 }`;
//! * `header`: a supported major version (2 or 3), an ICCID of exactly 10 bytes (kept in the
//!   header's printed digit order; [`ProfileHeader::sgp22_iccid`] gives the SGP.22 coding);
//! * `akaParameter`: algorithm 1 (Milenage), 2 (TUAK) or 3 (USIM test algorithm); a key of 16 or 32
//!   bytes (16 for Milenage); an OPc of 16 bytes for Milenage, 32 bytes (TOPc) for TUAK.
//!
//! The module is `EXTENSIBILITY IMPLIED`: fields a later SAIP version appends to `ProfileHeader`,
//! `ServicesList`, `PE-AKAParameter` or `AlgoParameter` are skipped, not refused; unknown mandatory
//! services are counted in [`ProfileHeader::unknown_mandatory_services`] for the installer to refuse.
//!
//! [`decode`] goes further: it runs [`check`], then decodes every element into a
//! [`profile::Profile`] (the file system each template or `genericFileManagement` element
//! creates, with FCP facts and contents; PINs, PUKs, AKA keys) and applies the install-time
//! rules (supported mandatory services and templates, NAA elements once per ADF, optional
//! file elements after their NAA, paths that exist, fills inside their files). See `fs.rs`.

pub mod asn;
mod der;
mod fs;
pub mod profile;
pub mod templates;

pub use fs::{SUPPORTED_SERVICES, decode, decode_for};

use crate::asn1::tlv::push_len;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// A `ProfileElement` CHOICE alternative (usim-saip.md §1.1; `PEDefinitions` v3.3.1, automatic tags).
///
/// `rfu1`…`rfu5` (`AB`–`AF`) are placeholders no eUICC implements; they are not listed, so
/// [`check`] treats them like any tag from a later version: skipped when their `PEHeader` is
/// not `mandated`, else [`PeError::UnknownTag`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum PeKind {
    Header,
    GenericFileManagement,
    PinCodes,
    PukCodes,
    AkaParameter,
    CdmaParameter,
    SecurityDomain,
    Rfm,
    Application,
    NonStandard,
    End,
    Mf,
    Cd,
    Telecom,
    Usim,
    OptUsim,
    Isim,
    OptIsim,
    Phonebook,
    GsmAccess,
    Csim,
    OptCsim,
    Eap,
    Df5gs,
    DfSaip,
    DfSnpn,
    Df5gProse,
    Iot,
    OptIot,
}

/// (tag, kind, ASN.1 name) in CHOICE order.
const KINDS: &[(u32, PeKind, &str)] = &[
    (0xA0, PeKind::Header, "header"),
    (0xA1, PeKind::GenericFileManagement, "genericFileManagement"),
    (0xA2, PeKind::PinCodes, "pinCodes"),
    (0xA3, PeKind::PukCodes, "pukCodes"),
    (0xA4, PeKind::AkaParameter, "akaParameter"),
    (0xA5, PeKind::CdmaParameter, "cdmaParameter"),
    (0xA6, PeKind::SecurityDomain, "securityDomain"),
    (0xA7, PeKind::Rfm, "rfm"),
    (0xA8, PeKind::Application, "application"),
    (0xA9, PeKind::NonStandard, "nonStandard"),
    (0xAA, PeKind::End, "end"),
    (0xB0, PeKind::Mf, "mf"),
    (0xB1, PeKind::Cd, "cd"),
    (0xB2, PeKind::Telecom, "telecom"),
    (0xB3, PeKind::Usim, "usim"),
    (0xB4, PeKind::OptUsim, "opt-usim"),
    (0xB5, PeKind::Isim, "isim"),
    (0xB6, PeKind::OptIsim, "opt-isim"),
    (0xB7, PeKind::Phonebook, "phonebook"),
    (0xB8, PeKind::GsmAccess, "gsm-access"),
    (0xB9, PeKind::Csim, "csim"),
    (0xBA, PeKind::OptCsim, "opt-csim"),
    (0xBB, PeKind::Eap, "eap"),
    (0xBC, PeKind::Df5gs, "df-5gs"),
    (0xBD, PeKind::DfSaip, "df-saip"),
    (0xBE, PeKind::DfSnpn, "df-snpn"),
    (0xBF1F, PeKind::Df5gProse, "df-5gprose"),
    (0xBF20, PeKind::Iot, "iot"),
    (0xBF21, PeKind::OptIot, "opt-iot"),
];

impl PeKind {
    /// The kind of a `ProfileElement` tag (`0xB3` → `Usim`), `None` for unknown and `rfu` tags.
    pub(crate) fn from_tag(tag: u32) -> Option<PeKind> {
        KINDS.iter().find(|(t, _, _)| *t == tag).map(|(_, k, _)| *k)
    }

    /// The CHOICE tag, packed as read (`Df5gProse` → `0xBF1F`).
    pub fn tag(self) -> u32 {
        KINDS.iter().find(|(_, k, _)| *k == self).map_or(0, |(t, _, _)| *t)
    }

    /// The alternative's ASN.1 identifier (`"opt-usim"`).
    pub fn name(self) -> &'static str {
        KINDS.iter().find(|(_, k, _)| *k == self).map_or("?", |(_, _, n)| n)
    }

    /// Whether the element creates files under an MF created before it: `genericFileManagement`
    /// and every template element (`mf` … `df-5gprose`, tags `B0`–`BF1F`). `iot` and `opt-iot`
    /// are not: `PE-IoT` carries its own `mf` (the IoT Minimal profile has no `mf` element).
    pub(crate) fn is_file_system(self) -> bool {
        self == PeKind::GenericFileManagement || (self.tag() >= 0xB0 && !matches!(self, PeKind::Iot | PeKind::OptIot))
    }
}

impl fmt::Display for PeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One profile element as found in the package, not decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileElementRef<'a> {
    /// The CHOICE tag as read (`0xA0`, `0xB3`, `0xBF1F`); see [`PeKind::from_tag`].
    pub tag: u32,
    /// Byte offset of the element in the package.
    pub offset: usize,
    /// The whole TLV.
    pub raw: &'a [u8],
    /// `PEHeader.identification`, when the value starts with a well-formed `PEHeader`
    /// (never for `header`, which has none).
    pub identification: Option<u16>,
}

impl ProfileElementRef<'_> {
    /// The element's kind, `None` for an unknown tag.
    pub fn kind(&self) -> Option<PeKind> {
        PeKind::from_tag(self.tag)
    }
}

/// The profile elements of `upp`, in order. Each item is one outer TLV; after the first error the
/// iterator ends. Only the TLV framing is checked here; [`check`] applies the package rules.
pub fn elements(upp: &[u8]) -> Elements<'_> {
    Elements { upp, pos: 0, failed: false }
}

/// Iterator returned by [`elements`].
#[derive(Debug, Clone)]
pub struct Elements<'a> {
    upp: &'a [u8],
    pos: usize,
    failed: bool,
}

impl<'a> Iterator for Elements<'a> {
    type Item = Result<ProfileElementRef<'a>, PeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let rest = self.upp.get(self.pos..).filter(|r| !r.is_empty())?;
        let offset = self.pos;
        match der::read(rest) {
            Ok((tlv, _)) => {
                self.pos = offset.saturating_add(tlv.raw.len());
                let identification = if tlv.tag == 0xA0 { None } else { pe_header(tlv.value).map(|(_, id)| id) };
                Some(Ok(ProfileElementRef { tag: tlv.tag, offset, raw: tlv.raw, identification }))
            }
            Err(fault) => {
                self.failed = true;
                Some(Err(match fault {
                    der::Fault::Truncated => PeError::Truncated { offset },
                    der::Fault::BadTag => PeError::BadTag { offset },
                    der::Fault::BadLength => PeError::BadLength { offset },
                }))
            }
        }
    }
}

impl core::iter::FusedIterator for Elements<'_> {}

/// `(mandated, identification)` of the `PEHeader` at the start of a PE's value: `A0 { [80 00] 81 <UInt15> }`.
fn pe_header(value: &[u8]) -> Option<(bool, u16)> {
    let (first, _) = der::read(value).ok()?;
    if first.tag != 0xA0 {
        return None;
    }
    let (mut field, rest) = der::read(first.value).ok()?;
    let mut rest = rest;
    let mandated = field.tag == 0x80;
    if mandated {
        if !field.value.is_empty() {
            return None;
        }
        (field, rest) = der::read(rest).ok()?;
    }
    // Later SAIP versions may extend PEHeader; extra fields after identification are allowed.
    let _ = rest;
    let id = der::uint16(field.value).filter(|&id| field.tag == 0x81 && id <= 0x7FFF)?;
    Some((mandated, id))
}

/// Mandatory services of a profile (`eUICC-Mandatory-services`): bit *n* is the *n*-th field of
/// `ServicesList` (`contactless` 0, `usim` 1, `isim` 2, `csim` 3, `milenage` 4, … `usim-test-algorithm` 17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Services(pub u32);

impl Services {
    /// `usim` (bit 1).
    pub const USIM: u32 = 1 << 1;
    /// `isim` (bit 2).
    pub const ISIM: u32 = 1 << 2;
    /// `csim` (bit 3).
    pub(crate) const CSIM: u32 = 1 << 3;
    /// `milenage` (bit 4).
    pub const MILENAGE: u32 = 1 << 4;
    /// `usim-test-algorithm` (bit 17).
    pub const USIM_TEST_ALGORITHM: u32 = 1 << 17;

    /// Whether every bit of `mask` is set.
    pub fn contains(self, mask: u32) -> bool {
        self.0 & mask == mask
    }

    /// The ASN.1 names of the set services, in definition order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        (0..32u32).filter(move |n| self.0 & (1u32 << n) != 0).filter_map(asn::ServicesList::name)
    }
}

/// The decoded `ProfileHeader` (TCA SAIP `ProfileHeader`; usim-saip.md §1.3), the parts the card keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileHeader {
    /// `major-version`.
    pub major_version: u8,
    /// `minor-version`.
    pub minor_version: u8,
    /// `profileType`.
    pub profile_type: Option<String>,
    /// `iccid` as the package holds it: the digits in printed order, two per byte, high nibble
    /// first, an odd count padded with `F` (TS.48: `89 00 01 23 45 67 89 01 23 41` is
    /// 89000123456789012341; a 19-digit ICCID ends `…3F`). Not the EF.ICCID coding: see
    /// [`ProfileHeader::sgp22_iccid`].
    pub iccid: [u8; 10],
    /// `eUICC-Mandatory-services`.
    pub mandatory_services: Services,
    /// Mandatory services from a later SAIP version than this card knows (`ServicesList`
    /// extension fields). An eUICC cannot offer a service it does not know, so the installer
    /// should refuse a profile where this is not 0 (TCA SAIP `ProfileHeader.eUICC-Mandatory-services`).
    pub unknown_mandatory_services: usize,
    /// `eUICC-Mandatory-GFSTEList`: the template OIDs, dotted (`"2.23.143.1.2.1"`).
    pub mandatory_templates: Vec<String>,
}

impl ProfileHeader {
    /// The ICCID as SGP.22's `Iccid` (StoreMetadata, ProfileInfo) and EF.ICCID code it: the
    /// header's bytes with their nibbles swapped (`89 00 01 …` → `98 00 10 …`, `…3F` → `…F3`).
    /// This is what an SM-DP+ puts in StoreMetadata for this package (SGP.22 v2.5 §5.5.3;
    /// osmo-smdpp swaps the header's ICCID the same way) and what the card compares it with.
    pub fn sgp22_iccid(&self) -> [u8; 10] {
        swap_nibbles(self.iccid)
    }
}

/// Each byte's two nibbles swapped: the one step between an ICCID in printed digit order
/// (SAIP `ProfileHeader.iccid`) and the EF.ICCID / SGP.22 `Iccid` coding, both ways.
pub fn swap_nibbles(bytes: [u8; 10]) -> [u8; 10] {
    bytes.map(|b| b.rotate_left(4))
}

/// An AKA algorithm (`AlgoParameter.algorithmID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `milenage(1)` — 3GPP TS 35.206.
    Milenage,
    /// `tuak(2)` — 3GPP TS 35.231.
    Tuak,
    /// `usim-test-algorithm(3)` — 3GPP TS 34.108 §8.1.2.
    TestAlgorithm,
}

impl Algorithm {
    /// The `algorithmID` value.
    pub fn id(self) -> u8 {
        match self {
            Algorithm::Milenage => 1,
            Algorithm::Tuak => 2,
            Algorithm::TestAlgorithm => 3,
        }
    }

    /// The algorithm for an `algorithmID` value.
    pub(crate) fn from_id(id: i64) -> Option<Algorithm> {
        match id {
            1 => Some(Algorithm::Milenage),
            2 => Some(Algorithm::Tuak),
            3 => Some(Algorithm::TestAlgorithm),
            _ => None,
        }
    }
}

/// What one `akaParameter` element carries, without the key bytes (TCA SAIP `PE-AKAParameter`; usim-saip.md §1.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AkaSummary {
    /// `aka-header.identification`.
    pub identification: u16,
    /// `algoParameter.algorithmID`; `None` for `mappingParameter` (keys shared with another NAA).
    pub algorithm: Option<Algorithm>,
    /// `algorithmOptions` (0 for a mapping).
    pub algorithm_options: u8,
    /// Length of K in bytes (0 for a mapping).
    pub key_len: usize,
    /// Length of OPc / TOPc in bytes (0 for a mapping).
    pub opc_len: usize,
    /// The `mappingSource` AID, for a mapping.
    pub mapping_source: Option<Vec<u8>>,
}

/// What [`check`] found in a valid package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The profile header.
    pub header: ProfileHeader,
    /// Number of profile elements, `header` and `end` included.
    pub elements: usize,
    /// Each element's kind and identification, in order (`None` for `header`).
    pub order: Vec<(PeKind, Option<u16>)>,
    /// Each `akaParameter`, in order.
    pub aka: Vec<AkaSummary>,
    /// Elements skipped as unknown and not mandated: `(tag, identification)`, in order.
    pub skipped: Vec<(u32, u16)>,
}

/// Why a profile package was refused. Offsets are byte offsets of the element in the package.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeError {
    /// The package ends inside an element's tag, length or value.
    Truncated {
        /// Offset of the element.
        offset: usize,
    },
    /// An element's tag is not DER (non-minimal high tag number, or more than 3 bytes).
    BadTag {
        /// Offset of the element.
        offset: usize,
    },
    /// An element's length is not DER (indefinite, non-minimal, or more than 4 bytes).
    BadLength {
        /// Offset of the element.
        offset: usize,
    },
    /// The tag is no `ProfileElement` alternative this card knows (or an `rfu` placeholder),
    /// and the element is `mandated` (or is no context-specific constructed TLV at all).
    UnknownTag {
        /// Offset of the element.
        offset: usize,
        /// The tag.
        tag: u32,
    },
    /// No `header` element in the package (the first element, if any, is something else).
    HeaderMissing,
    /// The `header` element is not the first.
    HeaderNotFirst {
        /// Offset of the header.
        offset: usize,
    },
    /// A second `header` element.
    DuplicateHeader {
        /// Offset of the second header.
        offset: usize,
    },
    /// The header does not decode as `ProfileHeader`.
    BadHeader {
        /// Offset of the header.
        offset: usize,
    },
    /// `major-version` is not one this card installs (SAIP 2.x, 3.x).
    UnsupportedVersion {
        /// `major-version`.
        major: u8,
        /// `minor-version`.
        minor: u8,
    },
    /// `iccid` is not exactly 10 bytes.
    BadIccidLength {
        /// Its length.
        len: usize,
    },
    /// An element other than `header` does not start with a `PEHeader`.
    BadPeHeader {
        /// Offset of the element.
        offset: usize,
        /// Its kind.
        kind: PeKind,
    },
    /// A file-system element comes before `mf`.
    MfMissing {
        /// Offset of the element.
        offset: usize,
        /// Its kind.
        kind: PeKind,
        /// Its identification.
        identification: u16,
    },
    /// A second `mf` element.
    DuplicateMf {
        /// Offset of the second `mf`.
        offset: usize,
        /// Its identification.
        identification: u16,
    },
    /// An `akaParameter` does not decode as `PE-AKAParameter`.
    BadAka {
        /// Offset of the element.
        offset: usize,
        /// Its identification.
        identification: u16,
    },
    /// `algorithmID` is not 1, 2 or 3.
    UnknownAlgorithm {
        /// Identification of the `akaParameter`.
        identification: u16,
        /// The value found.
        algorithm: i64,
    },
    /// K has a length the algorithm cannot use.
    BadKeyLength {
        /// Identification of the `akaParameter`.
        identification: u16,
        /// The algorithm.
        algorithm: Algorithm,
        /// Length of K.
        len: usize,
    },
    /// OPc / TOPc has a length the algorithm cannot use.
    BadOpcLength {
        /// Identification of the `akaParameter`.
        identification: u16,
        /// The algorithm.
        algorithm: Algorithm,
        /// Length of OPc.
        len: usize,
    },
    /// No `end` element.
    EndMissing,
    /// Bytes follow the `end` element.
    DataAfterEnd {
        /// Offset of the first byte after `end`.
        offset: usize,
    },
    /// The header mandates a service this card does not offer ([`SUPPORTED_SERVICES`]).
    UnsupportedService {
        /// The `ServicesList` field number (bit); 30 and above: a later version's service.
        bit: u32,
    },
    /// The header mandates a template (`eUICC-Mandatory-GFSTEList`) this card does not have.
    UnsupportedTemplate {
        /// The OID, dotted.
        oid: String,
    },
    /// An element's inner DER does not decode as its ASN.1 type (a field, `File`, `Fcp`,
    /// PIN or PUK configuration is malformed, or a value is out of its range).
    BadElement {
        /// Offset of the element.
        offset: usize,
        /// Its kind.
        kind: PeKind,
        /// Its identification.
        identification: u16,
    },
    /// A template element names a template this card does not know (or one for another element).
    UnknownTemplate {
        /// Offset of the element.
        offset: usize,
        /// Its identification.
        identification: u16,
        /// The `templateID`, dotted.
        oid: String,
    },
    /// A known element this card does not install (`iot`, `opt-iot`: no template data).
    UnsupportedElement {
        /// Offset of the element.
        offset: usize,
        /// Its kind.
        kind: PeKind,
        /// Its identification.
        identification: u16,
    },
    /// A second NAA element (`usim`, `isim`, `csim`) for an ADF that exists (same AID).
    DuplicateNaa {
        /// Offset of the element.
        offset: usize,
        /// Its identification.
        identification: u16,
    },
    /// An element needs a directory no earlier element created: an optional-files or DF
    /// element (`opt-usim`, `gsm-access`, `df-5gs`, …) without its NAA, an `akaParameter`
    /// without an NAA before it, a template file whose DF the element did not create.
    ParentMissing {
        /// Offset of the element.
        offset: usize,
        /// Its kind.
        kind: PeKind,
        /// Its identification.
        identification: u16,
    },
    /// A path (`filePath`, `linkPath`, a `pinCodes` share) names a file that does not exist
    /// (yet), or goes through an EF.
    PathNotFound {
        /// Offset of the element.
        offset: usize,
        /// Its identification.
        identification: u16,
        /// The path as FIDs, concatenated.
        path: Vec<u8>,
    },
    /// A file the element creates is not well defined: no FID, no AID for an ADF, an unknown
    /// file descriptor, a record length or count out of range, an FID that exists in the
    /// directory, content for a directory or a link.
    BadFile {
        /// Offset of the element.
        offset: usize,
        /// Its identification.
        identification: u16,
        /// The file's FID (0 if it has none).
        fid: u16,
        /// What is wrong.
        reason: &'static str,
    },
    /// `fillFileContent` writes past the end of the file.
    FillBeyondEnd {
        /// Offset of the element.
        offset: usize,
        /// Its identification.
        identification: u16,
        /// The file's FID.
        fid: u16,
    },
    /// A file is larger than this card gives one file, or the files together are.
    TooLarge {
        /// Offset of the element.
        offset: usize,
        /// Its identification.
        identification: u16,
        /// The size asked for, in bytes.
        size: usize,
    },
    /// A PIN names an unblocking PUK that no `pukCodes` element before it defined.
    PukMissing {
        /// Identification of the `pinCodes` element.
        identification: u16,
        /// The PUK key reference.
        key_ref: u8,
    },
}

impl PeError {
    /// The `PEStatus.status` an eUICC reports for this error (`PEDefinitions` `PEStatus`):
    /// `pe-not-supported(1)`, `bad-values(3)`, `not-enough-memory(4)`,
    /// `invalid-request-format(5)`, `invalid-parameter(6)`, `template-not-supported(9)`,
    /// `feature-not-supported(10)` or `unsupported-profile-version(31)`.
    pub fn pe_status(&self) -> u8 {
        match self {
            PeError::UnknownTag { .. } | PeError::UnsupportedElement { .. } => 1,
            PeError::UnsupportedVersion { .. } => 31,
            PeError::BadIccidLength { .. }
            | PeError::UnknownAlgorithm { .. }
            | PeError::BadKeyLength { .. }
            | PeError::BadOpcLength { .. }
            | PeError::FillBeyondEnd { .. }
            | PeError::PukMissing { .. } => 3,
            PeError::TooLarge { .. } => 4,
            PeError::DuplicateNaa { .. }
            | PeError::ParentMissing { .. }
            | PeError::PathNotFound { .. }
            | PeError::BadFile { .. } => 6,
            PeError::UnknownTemplate { .. } | PeError::UnsupportedTemplate { .. } => 9,
            PeError::UnsupportedService { .. } => 10,
            _ => 5,
        }
    }

    /// The `identification` of the offending element, when it has one.
    pub fn identification(&self) -> Option<u16> {
        match self {
            PeError::MfMissing { identification, .. }
            | PeError::DuplicateMf { identification, .. }
            | PeError::BadAka { identification, .. }
            | PeError::UnknownAlgorithm { identification, .. }
            | PeError::BadKeyLength { identification, .. }
            | PeError::BadOpcLength { identification, .. }
            | PeError::BadElement { identification, .. }
            | PeError::UnknownTemplate { identification, .. }
            | PeError::UnsupportedElement { identification, .. }
            | PeError::DuplicateNaa { identification, .. }
            | PeError::ParentMissing { identification, .. }
            | PeError::PathNotFound { identification, .. }
            | PeError::BadFile { identification, .. }
            | PeError::FillBeyondEnd { identification, .. }
            | PeError::TooLarge { identification, .. }
            | PeError::PukMissing { identification, .. } => Some(*identification),
            _ => None,
        }
    }
}

impl fmt::Display for PeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeError::Truncated { offset } => write!(f, "profile element at offset {offset} is truncated"),
            PeError::BadTag { offset } => write!(f, "profile element at offset {offset}: tag is not DER"),
            PeError::BadLength { offset } => write!(f, "profile element at offset {offset}: length is not DER"),
            PeError::UnknownTag { offset, tag } => {
                write!(f, "profile element at offset {offset}: unknown ProfileElement tag {tag:X}")
            }
            PeError::HeaderMissing => f.write_str("no header profile element"),
            PeError::HeaderNotFirst { offset } => {
                write!(f, "header profile element at offset {offset} is not the first")
            }
            PeError::DuplicateHeader { offset } => write!(f, "second header profile element at offset {offset}"),
            PeError::BadHeader { offset } => write!(f, "header at offset {offset} is not a ProfileHeader"),
            PeError::UnsupportedVersion { major, minor } => {
                write!(f, "profile package version {major}.{minor} is not supported")
            }
            PeError::BadIccidLength { len } => write!(f, "header iccid has {len} bytes, not 10"),
            PeError::BadPeHeader { offset, kind } => {
                write!(f, "{kind} at offset {offset} does not start with a PEHeader")
            }
            PeError::MfMissing { offset, kind, identification } => {
                write!(f, "{kind} (identification {identification}) at offset {offset} comes before the mf")
            }
            PeError::DuplicateMf { offset, identification } => {
                write!(f, "second mf (identification {identification}) at offset {offset}")
            }
            PeError::BadAka { offset, identification } => {
                write!(f, "akaParameter (identification {identification}) at offset {offset} is not a PE-AKAParameter")
            }
            PeError::UnknownAlgorithm { identification, algorithm } => {
                write!(f, "akaParameter (identification {identification}): unknown algorithmID {algorithm}")
            }
            PeError::BadKeyLength { identification, algorithm, len } => {
                write!(f, "akaParameter (identification {identification}): {len}-byte key for {algorithm:?}")
            }
            PeError::BadOpcLength { identification, algorithm, len } => {
                write!(f, "akaParameter (identification {identification}): {len}-byte OPc for {algorithm:?}")
            }
            PeError::EndMissing => f.write_str("no end profile element"),
            PeError::DataAfterEnd { offset } => write!(f, "data after the end profile element at offset {offset}"),
            PeError::UnsupportedService { bit } => match asn::ServicesList::name(*bit) {
                Some(name) => write!(f, "mandatory service {name} is not supported"),
                None => write!(f, "mandatory service number {bit} (a later SAIP version) is not supported"),
            },
            PeError::UnsupportedTemplate { oid } => write!(f, "mandatory template {oid} is not supported"),
            PeError::BadElement { offset, kind, identification } => {
                write!(f, "{kind} (identification {identification}) at offset {offset} does not decode")
            }
            PeError::UnknownTemplate { offset, identification, oid } => {
                write!(f, "element (identification {identification}) at offset {offset}: unknown template {oid}")
            }
            PeError::UnsupportedElement { offset, kind, identification } => {
                write!(f, "{kind} (identification {identification}) at offset {offset} is not supported")
            }
            PeError::DuplicateNaa { offset, identification } => {
                write!(f, "NAA element (identification {identification}) at offset {offset}: its ADF exists")
            }
            PeError::ParentMissing { offset, kind, identification } => {
                write!(f, "{kind} (identification {identification}) at offset {offset}: its parent is not created")
            }
            PeError::PathNotFound { offset, identification, path } => {
                write!(f, "element (identification {identification}) at offset {offset}: no file at path ")?;
                path.iter().try_for_each(|b| write!(f, "{b:02X}"))
            }
            PeError::BadFile { offset, identification, fid, reason } => {
                write!(f, "element (identification {identification}) at offset {offset}: file {fid:04X}: {reason}")
            }
            PeError::FillBeyondEnd { offset, identification, fid } => write!(
                f,
                "element (identification {identification}) at offset {offset}: content past the end of file {fid:04X}"
            ),
            PeError::TooLarge { offset, identification, size } => {
                write!(f, "element (identification {identification}) at offset {offset}: {size} bytes is too large")
            }
            PeError::PukMissing { identification, key_ref } => {
                write!(f, "pinCodes (identification {identification}): PUK {key_ref:02X} is not defined")
            }
        }
    }
}

impl core::error::Error for PeError {}

/// Checks an Unprotected Profile Package against the rules in the module documentation and
/// returns what the card keeps of it. The first violation found, in package order, is returned.
pub fn check(upp: &[u8]) -> Result<Summary, PeError> {
    let mut header = None;
    let mut seen_mf = false;
    let mut order = Vec::new();
    let mut aka = Vec::new();
    let mut skipped = Vec::new();
    for (index, item) in elements(upp).enumerate() {
        let pe = item?;
        let kind = pe.kind();
        if index == 0 && kind != Some(PeKind::Header) {
            // Tell "no header at all" from "header in the wrong place".
            let later = elements(upp).skip(1).map_while(Result::ok).find(|p| p.tag == 0xA0);
            return Err(match later {
                Some(h) => PeError::HeaderNotFirst { offset: h.offset },
                None => PeError::HeaderMissing,
            });
        }
        let Some(kind) = kind else {
            // A later version's element (or an rfu placeholder): context-specific, constructed.
            let alternative = pe.raw.first().is_some_and(|b| b & 0xE0 == 0xA0);
            match pe_header(der::read(pe.raw).map(|(t, _)| t.value).unwrap_or_default()) {
                Some((false, id)) if alternative => {
                    skipped.push((pe.tag, id));
                    continue;
                }
                _ => return Err(PeError::UnknownTag { offset: pe.offset, tag: pe.tag }),
            }
        };
        if kind == PeKind::Header {
            if header.is_some() {
                return Err(PeError::DuplicateHeader { offset: pe.offset });
            }
            header = Some(decode_header(&pe)?);
            order.push((kind, None));
            continue;
        }
        let identification = pe.identification.ok_or(PeError::BadPeHeader { offset: pe.offset, kind })?;
        order.push((kind, Some(identification)));
        if kind == PeKind::Mf {
            if seen_mf {
                return Err(PeError::DuplicateMf { offset: pe.offset, identification });
            }
            seen_mf = true;
        } else if kind.is_file_system() && !seen_mf {
            return Err(PeError::MfMissing { offset: pe.offset, kind, identification });
        } else if kind == PeKind::Iot {
            // An IoT Minimal profile's MF comes with its `iot` element.
            seen_mf = true;
        }
        match kind {
            PeKind::AkaParameter => aka.push(decode_aka(&pe, identification)?),
            PeKind::End => {
                let after = pe.offset.saturating_add(pe.raw.len());
                if after < upp.len() {
                    return Err(PeError::DataAfterEnd { offset: after });
                }
                let header = header.ok_or(PeError::HeaderMissing)?;
                return Ok(Summary { header, elements: order.len(), order, aka, skipped });
            }
            _ => {}
        }
    }
    if header.is_none() {
        return Err(PeError::HeaderMissing);
    }
    Err(PeError::EndMissing)
}

/// Decodes `header` (`ProfileHeader`; usim-saip.md §1.3).
fn decode_header(pe: &ProfileElementRef<'_>) -> Result<ProfileHeader, PeError> {
    let bad = PeError::BadHeader { offset: pe.offset };
    // Extension fields of ProfileHeader (after iotOptions [9]) and of ServicesList (after eaka [29]).
    let mut unknown_services = 0;
    let known = prune(pe, 9, |tag, value| {
        if tag != 0xA5 {
            return Some(value.to_vec());
        }
        let (services, dropped) = prune_fields(value, 29, |_, v| Some(v.to_vec()))?;
        unknown_services = dropped;
        Some(services)
    })
    .ok_or(bad.clone())?;
    let h: asn::ProfileHeader = rasn::der::decode(&known).map_err(|_| bad)?;
    if !(2..=3).contains(&h.major_version) {
        return Err(PeError::UnsupportedVersion { major: h.major_version, minor: h.minor_version });
    }
    let iccid: [u8; 10] = h.iccid.as_ref().try_into().map_err(|_| PeError::BadIccidLength { len: h.iccid.len() })?;
    let mandatory_templates = h
        .mandatory_gfste_list
        .iter()
        .map(|oid| {
            let mut s = String::new();
            for (i, arc) in oid.iter().enumerate() {
                if i > 0 {
                    s.push('.');
                }
                // Writing to a String cannot fail.
                let _ = fmt::write(&mut s, format_args!("{arc}"));
            }
            s
        })
        .collect();
    Ok(ProfileHeader {
        major_version: h.major_version,
        minor_version: h.minor_version,
        profile_type: h.profile_type,
        iccid,
        mandatory_services: Services(h.mandatory_services.bits()),
        unknown_mandatory_services: unknown_services,
        mandatory_templates,
    })
}

/// Decodes `akaParameter` (`PE-AKAParameter`; usim-saip.md §1.4) and checks algorithm and key sizes.
fn decode_aka(pe: &ProfileElementRef<'_>, identification: u16) -> Result<AkaSummary, PeError> {
    decode_aka_full(pe, identification).map(|(summary, _)| summary)
}

/// [`decode_aka`], with the decoded element (keys included) as well.
fn decode_aka_full(
    pe: &ProfileElementRef<'_>,
    identification: u16,
) -> Result<(AkaSummary, asn::PeAkaParameter), PeError> {
    let bad = PeError::BadAka { offset: pe.offset, identification };
    // Extension fields of PE-AKAParameter (after sqnInit [5]), AlgoParameter (after numberOfKeccak [7])
    // and MappingParameter (after mappingSource [1]).
    let known = prune(pe, 5, |tag, value| {
        if tag != 0xA1 {
            return Some(value.to_vec());
        }
        let (choice, rest) = der::read(value).ok()?;
        let max = match choice.tag {
            0xA0 => 1,
            0xA1 => 7,
            _ => return Some(value.to_vec()),
        };
        let (inner, _) = prune_fields(choice.value, max, |_, v| Some(v.to_vec()))?;
        let mut out = Vec::with_capacity(value.len());
        out.push(u8::try_from(choice.tag).ok()?);
        push_len(&mut out, inner.len());
        out.extend_from_slice(&inner);
        out.extend_from_slice(rest);
        Some(out)
    })
    .ok_or(bad.clone())?;
    let a: asn::PeAkaParameter = rasn::der::decode(&known).map_err(|_| bad)?;
    let p = match &a.algo_configuration {
        asn::AlgoConfiguration::AlgoParameter(p) => p,
        asn::AlgoConfiguration::MappingParameter(m) => {
            let summary = AkaSummary {
                identification,
                algorithm: None,
                algorithm_options: 0,
                key_len: 0,
                opc_len: 0,
                mapping_source: Some(m.mapping_source.to_vec()),
            };
            return Ok((summary, a));
        }
    };
    let algorithm = Algorithm::from_id(p.algorithm_id)
        .ok_or(PeError::UnknownAlgorithm { identification, algorithm: p.algorithm_id })?;
    let (key_len, opc_len) = (p.key.len(), p.opc.len());
    let key_ok = match algorithm {
        Algorithm::Milenage => key_len == 16,
        Algorithm::Tuak | Algorithm::TestAlgorithm => key_len == 16 || key_len == 32,
    };
    if !key_ok {
        return Err(PeError::BadKeyLength { identification, algorithm, len: key_len });
    }
    let opc_ok = match algorithm {
        Algorithm::Milenage => opc_len == 16,
        Algorithm::Tuak => opc_len == 32,
        Algorithm::TestAlgorithm => true,
    };
    if !opc_ok {
        return Err(PeError::BadOpcLength { identification, algorithm, len: opc_len });
    }
    let algorithm_options = match p.algorithm_options.as_ref() {
        [o] => *o,
        _ => return Err(PeError::BadAka { offset: pe.offset, identification }),
    };
    let summary = AkaSummary {
        identification,
        algorithm: Some(algorithm),
        algorithm_options,
        key_len,
        opc_len,
        mapping_source: None,
    };
    Ok((summary, a))
}

/// The element `pe` re-encoded without the extension fields of its SEQUENCE: fields whose tag is
/// not a context tag numbered `..= max_known` are dropped (`EXTENSIBILITY IMPLIED`: a later SAIP
/// version may append fields, which this card ignores; rasn 0.30 refuses unknown trailing fields
/// even in a `#[non_exhaustive]` type). `map` rewrites each kept field's value (to prune a nested
/// SEQUENCE). `None` if the fields are not DER TLVs.
fn prune(
    pe: &ProfileElementRef<'_>,
    max_known: u32,
    map: impl FnMut(u32, &[u8]) -> Option<Vec<u8>>,
) -> Option<Vec<u8>> {
    let (outer, _) = der::read(pe.raw).ok()?;
    let (value, _) = prune_fields(outer.value, max_known, map)?;
    let mut out = Vec::with_capacity(pe.raw.len());
    out.push(u8::try_from(outer.tag).ok()?);
    push_len(&mut out, value.len());
    out.extend_from_slice(&value);
    Some(out)
}

/// The fields of a SEQUENCE value with context tags numbered `..= max_known`, each value passed
/// through `map`; and how many fields were dropped.
fn prune_fields(
    mut value: &[u8],
    max_known: u32,
    mut map: impl FnMut(u32, &[u8]) -> Option<Vec<u8>>,
) -> Option<(Vec<u8>, usize)> {
    let mut out = Vec::with_capacity(value.len());
    let mut dropped = 0;
    while !value.is_empty() {
        let (field, rest) = der::read(value).ok()?;
        value = rest;
        // Single-byte context tags only: [0]..[30]; a multi-byte tag is [31] or more.
        let known = field.tag <= 0xFF && field.tag & 0xC0 == 0x80 && field.tag & 0x1F <= max_known.min(30);
        if !known {
            dropped += 1;
            continue;
        }
        let tag = u8::try_from(field.tag).ok()?;
        let mapped = map(field.tag, field.value)?;
        out.push(tag);
        push_len(&mut out, mapped.len());
        out.extend_from_slice(&mapped);
    }
    Some((out, dropped))
}
