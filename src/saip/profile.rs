//! A profile package decoded whole: the file system the package creates, its PINs and PUKs,
//! the NAA keys, and the elements the card records without executing.
//!
//! This is the boundary between the package (`saip`) and the SIM that runs it (`sim`):
//! [`decode`](super::decode) builds a [`Profile`] from a UPP; the SIM application builds its
//! runtime file system from it, applies what it has persisted since install (updated file
//! contents, PIN counters, SQN state), and answers the modem. Decoding is deterministic: the
//! same package gives the same [`Profile`], node for node, so persisted state may name a node
//! by its index in [`Profile::files`].
//!
//! Secrets (PIN and PUK values, K, OPc) are zeroized on drop and never printed by `Debug`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{Algorithm, PeKind, ProfileHeader};

/// A decoded profile package.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The profile header.
    pub header: ProfileHeader,
    /// Every file the package creates, parents before children; `files[0]` is the MF.
    pub files: Vec<FileNode>,
    /// PINs, each bound to the directory whose `pinCodes` element defined it.
    pub pins: Vec<PinConfig>,
    /// `pinCodes` elements that share another directory's PINs (`filePath` alternative):
    /// `(directory, directory whose PINs it uses)`, both indices into [`Profile::files`].
    pub pin_shares: Vec<(usize, usize)>,
    /// PUKs (`pukCodes`; card-wide).
    pub puks: Vec<PukConfig>,
    /// NAA authentication parameters, in package order, each bound to an ADF.
    pub aka: Vec<AkaConfig>,
    /// Elements the card records but does not execute (`securityDomain`, `application`,
    /// `rfm`, `cdmaParameter`, `nonStandard`, CSIM file systems are *not* here: their files
    /// are created, only not run), with their identification.
    pub recorded: Vec<(PeKind, u16)>,
    /// Elements skipped because this card does not know them and the package did not mark
    /// them mandated (SAIP: "an eUICC shall ignore … not mandated"): `(tag, identification)`.
    pub skipped: Vec<(u32, Option<u16>)>,
}

impl Profile {
    /// The children of directory `dir` (indices into [`Profile::files`]), in creation order.
    pub fn children(&self, dir: usize) -> impl Iterator<Item = usize> + '_ {
        self.files.iter().enumerate().filter(move |(_, f)| f.parent == Some(dir)).map(|(i, _)| i)
    }

    /// The ADF whose AID is `aid` (the `dfName` of its FCP).
    pub fn adf_by_aid(&self, aid: &[u8]) -> Option<usize> {
        self.files.iter().position(|f| f.kind == FileKind::Adf && f.aid.as_deref() == Some(aid))
    }
}

/// One file: MF, DF, ADF or EF, with its FCP facts and, for an EF, its initial content.
#[derive(Clone, PartialEq, Eq)]
pub struct FileNode {
    /// The file ID. For an ADF this is the package's *temporary* FID, used for paths inside
    /// the package only; a modem selects an ADF by AID (or `7FFF`).
    pub fid: u16,
    /// The directory holding the file (`None` for the MF; an ADF's parent is the MF).
    pub parent: Option<usize>,
    /// File structure.
    pub kind: FileKind,
    /// An ADF's AID (`dfName`).
    pub aid: Option<Vec<u8>>,
    /// Short file identifier (1–30), if the EF has one.
    pub sfi: Option<u8>,
    /// Life cycle status integer (TS 102 221 §11.1.1.4.9; the package default `05`).
    pub lcsi: u8,
    /// `securityAttributesReferenced` as TS 102 221's `8B` value: EF.ARR FID (2 bytes) and a
    /// record number, always in the 3-byte form (a 1-byte package reference is resolved to
    /// its implicit ARR: `2F06` for the MF, ADFs and files under the MF, else `6F06`).
    /// Empty when the package gives none.
    pub security: Vec<u8>,
    /// The shareable bit of the file descriptor byte.
    pub shareable: bool,
    /// `pinStatusTemplateDO` (the value of FCP tag `C6`), for a DF or ADF.
    pub pin_status: Vec<u8>,
    /// `proprietaryEFInfo.specialFileInformation` (`80` high update, `40` readable and
    /// updatable when deactivated); 0 when absent.
    pub special: u8,
    /// The file shares the content of another file (`linkPath`): its index. The target is
    /// created before the link; a link file that gives no size has the target's [`FileKind`].
    pub link: Option<usize>,
    /// The EF's content after the package's fills: transparent — exactly `size` bytes;
    /// linear fixed and cyclic — `record_len × records` bytes; BER-TLV — the TLV objects as
    /// the package stores them. Empty for directories and for link files (read the target's).
    pub content: Vec<u8>,
    /// The template's name of the file (`"EF.IMSI"`), when a template created it.
    pub name: Option<&'static str>,
}

impl fmt::Debug for FileNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileNode")
            .field("fid", &format_args!("{:04X}", self.fid))
            .field("parent", &self.parent)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("sfi", &self.sfi)
            .field("content_len", &self.content.len())
            .finish_non_exhaustive()
    }
}

/// File structure (TS 102 221 §11.1.1.4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// The master file.
    Mf,
    /// A dedicated file.
    Df,
    /// An application dedicated file (an NAA: USIM, ISIM, CSIM).
    Adf,
    /// A transparent EF of `size` bytes.
    Transparent {
        /// File size in bytes.
        size: usize,
    },
    /// A linear fixed EF.
    LinearFixed {
        /// Record length, 1–255.
        record_len: u8,
        /// Number of records, 1–254 (0 only for a file with no template data, no
        /// `efFileSize` and no content: a CSIM EF sized by what the package writes).
        records: u8,
    },
    /// A cyclic EF.
    Cyclic {
        /// Record length, 1–255.
        record_len: u8,
        /// Number of records, 1–254.
        records: u8,
    },
    /// A BER-TLV structured EF (TS 102 221 §11.3) with room for `max_size` bytes.
    BerTlv {
        /// `maximumFileSize` (or `efFileSize`) in bytes.
        max_size: usize,
    },
}

impl FileKind {
    /// A directory: MF, DF or ADF.
    pub fn is_dir(self) -> bool {
        matches!(self, FileKind::Mf | FileKind::Df | FileKind::Adf)
    }
}

/// One PIN (`PINConfiguration`).
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct PinConfig {
    /// The directory whose `pinCodes` element defined it (the MF for global PINs and ADMs).
    #[zeroize(skip)]
    pub dir: usize,
    /// Key reference (`01`–`08` global PINs, `0A`–`0E`/`8A`–`8E` ADM, `81`–`88` local PINs).
    pub key_ref: u8,
    /// The PIN value, 8 bytes padded with `FF`.
    pub value: [u8; 8],
    /// The PUK that unblocks it.
    pub puk_ref: Option<u8>,
    /// `pinAttributes` (default 7; TCA SAIP: bit 1 = the PIN is enabled … see the SIM module).
    pub attributes: u8,
    /// Maximum number of attempts (high nibble of `maxNumOfAttemps-retryNumLeft`).
    pub max_attempts: u8,
    /// Attempts left (low nibble).
    pub retries_left: u8,
}

impl fmt::Debug for PinConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinConfig")
            .field("dir", &self.dir)
            .field("key_ref", &format_args!("{:02X}", self.key_ref))
            .field("value", &"<secret>")
            .field("puk_ref", &self.puk_ref)
            .field("attributes", &self.attributes)
            .field("max_attempts", &self.max_attempts)
            .field("retries_left", &self.retries_left)
            .finish()
    }
}

/// One PUK (`PUKConfiguration`).
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct PukConfig {
    /// Key reference (`01`–`08`, `81`–`88`).
    pub key_ref: u8,
    /// The PUK value, 8 bytes.
    pub value: [u8; 8],
    /// Maximum number of attempts.
    pub max_attempts: u8,
    /// Attempts left.
    pub retries_left: u8,
}

impl fmt::Debug for PukConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PukConfig")
            .field("key_ref", &format_args!("{:02X}", self.key_ref))
            .field("value", &"<secret>")
            .field("max_attempts", &self.max_attempts)
            .field("retries_left", &self.retries_left)
            .finish()
    }
}

/// One `akaParameter` element, bound to the ADF it follows.
#[derive(Clone)]
pub struct AkaConfig {
    /// The element's identification.
    pub identification: u16,
    /// The ADF (index into [`Profile::files`]) of the closest preceding NAA element.
    pub adf: usize,
    /// The keys, or the NAA whose keys this one uses.
    pub keys: AkaKeys,
    /// `sqnOptions` (default `02`).
    pub sqn_options: u8,
    /// `sqnDelta` Δ (default `000010000000`).
    pub sqn_delta: [u8; 6],
    /// `sqnAgeLimit` L (default `000010000000`).
    pub sqn_age_limit: [u8; 6],
    /// `sqnInit`: the 32 initial SQN values (default all zero).
    pub sqn_init: [[u8; 6]; 32],
}

impl fmt::Debug for AkaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AkaConfig")
            .field("identification", &self.identification)
            .field("adf", &self.adf)
            .field("keys", &self.keys)
            .field("sqn_options", &self.sqn_options)
            .finish_non_exhaustive()
    }
}

/// `algoConfiguration`.
#[derive(Clone)]
pub enum AkaKeys {
    /// `algoParameter`.
    Algorithm(AlgoKeys),
    /// `mappingParameter`: use the keys of the NAA with AID `source`.
    Mapping {
        /// `mappingOptions`.
        options: u8,
        /// `mappingSource`.
        source: Vec<u8>,
    },
}

impl fmt::Debug for AkaKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AkaKeys::Algorithm(a) => f.debug_tuple("Algorithm").field(a).finish(),
            AkaKeys::Mapping { options, source } => {
                f.debug_struct("Mapping").field("options", options).field("source_len", &source.len()).finish()
            }
        }
    }
}

/// `AlgoParameter`: the algorithm and its secrets.
#[derive(Clone)]
pub struct AlgoKeys {
    /// `algorithmID`.
    pub algorithm: Algorithm,
    /// `algorithmOptions`.
    pub options: u8,
    /// K (16 or 32 bytes).
    pub key: Zeroizing<Vec<u8>>,
    /// OPc (Milenage, 16 bytes) or TOPc (TUAK, 32 bytes); ignored by the test algorithm.
    pub opc: Zeroizing<Vec<u8>>,
    /// `rotationConstants` r1…r5 (default `4000204060`).
    pub rotation: [u8; 5],
    /// `xoringConstants` c1…c5 (default c1 = 0, c2 = …01, c3 = …02, c4 = …04, c5 = …08).
    pub xoring: [u8; 80],
    /// `authCounterMax`, when given.
    pub auth_counter_max: Option<[u8; 3]>,
    /// `numberOfKeccak` (TUAK; default 1).
    pub keccak_iterations: u8,
}

impl fmt::Debug for AlgoKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlgoKeys")
            .field("algorithm", &self.algorithm)
            .field("options", &self.options)
            .field("key", &"<secret>")
            .field("opc", &"<secret>")
            .finish_non_exhaustive()
    }
}

/// A name for a file, for listings: the template's name or the FID in hex.
pub fn display_name(node: &FileNode) -> String {
    match node.name {
        Some(name) => String::from(name),
        None => alloc::format!("{:04X}", node.fid),
    }
}
