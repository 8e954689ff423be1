//! [`decode`]: a profile package decoded whole into a [`Profile`], with the install-time checks.
//!
//! The package first passes [`check`](super::check) (its errors come first, whatever their
//! place in the package). Then each element, in package order:
//!
//! * `header`: every mandatory service must be in the supported set ([`SUPPORTED_SERVICES`]
//!   for [`decode`]), every mandatory template OID must be one of [`TEMPLATES`](super::templates::TEMPLATES) (not IoT).
//! * Template elements (`mf` … `df-5gprose`): `templateID` must name a template of this
//!   element kind. The element's `File` fields are read by context tag: tag *k* ≥ 2 is field
//!   *k* − 2 of [`pe_fields`]; later fields (a later version's) are ignored. Files are created
//!   in template row order, then fields without a row. Placement (`shared/spec/saip-templates/README.md`):
//!   `mf` is the root; `cd`, `telecom` and the NAAs (`usim`, `isim`, `csim`) go under the MF;
//!   `opt-usim`/`opt-isim`/`opt-csim` add files to the ADF of the closest preceding `usim`/
//!   `isim`/`csim`; `phonebook`, `gsm-access`, `df-5gs`, `df-saip`, `df-snpn`, `df-5gprose` and
//!   `eap` (README [U]: we take the USIM) create their DF in the closest preceding ADF.USIM.
//!   Missing parent → [`PeError::ParentMissing`]. A created-by-default template (MF, USIM,
//!   ISIM, CSIM) also creates the rows the element leaves out, unless the row needs data from
//!   the profile; `doNotCreate` suppresses a file except in the MF.
//! * `genericFileManagement`: each `FileManagement` starts in the MF; `filePath` selects a
//!   directory (FIDs below the MF, ADFs by temporary FID; a path to an EF selects that EF for
//!   the fills that follow); `createFCP` creates a file in the selected directory and makes it
//!   the fill target; a created DF is not entered (README [U], as `expand.py` does without
//!   `--gfm-enter-df`). A missing path → [`PeError::PathNotFound`].
//! * `pinCodes`: PINs bound to the current directory: the top directory of the latest template
//!   element (MF for `mf`, the DF of `cd`/`telecom`/`phonebook`/…, the ADF for an NAA or its
//!   optional files; `genericFileManagement` does not change it). The `filePath` alternative
//!   records a share. An unblocking PUK must be defined by an earlier `pukCodes`.
//! * `akaParameter`: the keys, bound to the ADF of the closest preceding NAA element.
//! * `cdmaParameter`, `securityDomain`, `rfm`, `application`, `nonStandard`: recorded.
//! * `iot`, `opt-iot`: refused ([`PeError::UnsupportedElement`]): Annex A data is missing.
//!
//! FCP rules: the template row gives the defaults, the `Fcp` overrides them. `fileDescriptor`
//! `FDB DCB [RL RL]`: FDB & 0x3F = 38 DF/ADF, 01 transparent, 02 linear fixed, 06 cyclic,
//! 39 BER-TLV; 0x40 shareable. Record count = `efFileSize` / record length (a size that is
//! not a multiple is refused). Without `efFileSize` and template size, the size is the extent
//! of the content written (CSIM files; a record file gets whole records, padded with `FF`).
//! `shortEFID`: SFI<<3; empty = no SFI; absent = template SFI, or FID & 0x1F for a file
//! `genericFileManagement` creates. A 1-byte `securityAttributesReferenced` is resolved to
//! `2F06` (MF, ADFs, files directly under the MF) or `6F06` (README [U]: we take the literal
//! ASN.1 comment, no nearest-DF search). Content: `fillPattern`/`repeatPattern`, else the
//! template default, else `FF`, per record for record files; fills with one cursor
//! (`fillFileOffset` moves it forward; `fillFileContent` writes and advances). BER-TLV
//! content is the written bytes as they are. A link file (`linkPath`) takes its target's
//! structure when it gives none, and has no content of its own.
//!
//! Bounded: one EF holds at most [`MAX_FILE_SIZE`] bytes, all EFs together at most the
//! package length plus [`MAX_TOTAL_EXTRA`]; beyond → [`PeError::TooLarge`], before allocating.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;
use zeroize::Zeroizing;

use super::der;
use super::profile::{AkaConfig, AkaKeys, AlgoKeys, FileKind, FileNode, PinConfig, Profile, PukConfig};
use super::templates::{Structure, Template, TemplateFile, pe_fields};
use super::{PeError, PeKind, ProfileElementRef, Services, asn, check, decode_aka_full, elements};

/// The mandatory services (`ServicesList` bits) [`decode`] accepts: `usim`(1), `isim`(2),
/// `csim`(3, files created and kept, not run), `milenage`(4), `tuak128`(5),
/// `multiple-usim`(13), `multiple-isim`(14), `tuak256`(16), `usim-test-algorithm`(17),
/// `ber-tlv`(18), `dfLink`(19) — what the card's default `uiccCapability` claims, plus CSIM.
/// Refused: `contactless`, `cave`, `gba-usim`, `gba-isim`, `mbms`, `eap`, `javacard`, `multos`,
/// `multiple-csim`, `cat-tp`, `get-identity`, `profile-a-x25519`, `profile-b-p256`,
/// `suciCalculatorApi`, `dns-resolution`, `scp11ac`, `scp11c-authorization-mechanism`,
/// `s16mode`, `eaka`, and any service of a later version.
pub const SUPPORTED_SERVICES: Services = Services(
    Services::USIM
        | Services::ISIM
        | Services::CSIM
        | Services::MILENAGE
        | 1 << 5
        | 1 << 13
        | 1 << 14
        | 1 << 16
        | Services::USIM_TEST_ALGORITHM
        | 1 << 18
        | 1 << 19,
);

/// The largest EF (bytes) a package may create: TS 102 221 file sizes have two bytes.
pub(crate) const MAX_FILE_SIZE: usize = 0xFFFF;
/// What all EFs together may hold beyond the package's own length, in bytes.
pub(crate) const MAX_TOTAL_EXTRA: usize = 2 * 1024 * 1024;

/// Decodes a UPP into a [`Profile`], accepting the mandatory services in [`SUPPORTED_SERVICES`].
pub fn decode(upp: &[u8]) -> Result<Profile, PeError> {
    decode_for(upp, SUPPORTED_SERVICES)
}

/// [`decode`] for a card that offers the mandatory services in `supported` (a package that
/// mandates any other, or one of a later SAIP version, is refused).
pub fn decode_for(upp: &[u8], supported: Services) -> Result<Profile, PeError> {
    let summary = check(upp)?;
    let header = summary.header;
    if let Some(bit) = (0..32u32).find(|n| header.mandatory_services.0 & !supported.0 & (1u32 << n) != 0) {
        return Err(PeError::UnsupportedService { bit });
    }
    if header.unknown_mandatory_services != 0 {
        return Err(PeError::UnsupportedService { bit: 30 });
    }
    for oid in &header.mandatory_templates {
        let known = Template::by_oid(oid).is_some_and(|t| !matches!(t.kind, PeKind::Iot | PeKind::OptIot));
        if !known {
            return Err(PeError::UnsupportedTemplate { oid: oid.clone() });
        }
    }
    let mut b = Builder {
        budget: upp.len().saturating_add(MAX_TOTAL_EXTRA),
        profile: Profile {
            header,
            files: Vec::new(),
            pins: Vec::new(),
            pin_shares: Vec::new(),
            puks: Vec::new(),
            aka: Vec::new(),
            recorded: Vec::new(),
            skipped: summary.skipped.iter().map(|&(tag, id)| (tag, Some(id))).collect(),
        },
        last_usim: None,
        last_isim: None,
        last_csim: None,
        last_naa: None,
        current: None,
    };
    for item in elements(upp) {
        let pe = item?;
        let Some(kind) = pe.kind() else { continue };
        let Some(id) = pe.identification else { continue };
        let ctx = Ctx { offset: pe.offset, id, kind };
        match kind {
            PeKind::Header | PeKind::End => {}
            PeKind::GenericFileManagement => b.gfm(&ctx, &pe)?,
            PeKind::PinCodes => b.pin_codes(&ctx, &pe)?,
            PeKind::PukCodes => b.puk_codes(&ctx, &pe)?,
            PeKind::AkaParameter => b.aka(&ctx, &pe)?,
            PeKind::CdmaParameter
            | PeKind::SecurityDomain
            | PeKind::Rfm
            | PeKind::Application
            | PeKind::NonStandard => b.profile.recorded.push((kind, id)),
            PeKind::Iot | PeKind::OptIot => {
                return Err(PeError::UnsupportedElement { offset: pe.offset, kind, identification: id });
            }
            _ => b.template(&ctx, &pe)?,
        }
    }
    Ok(b.profile)
}

/// The element being decoded, for errors.
struct Ctx {
    offset: usize,
    id: u16,
    kind: PeKind,
}

impl Ctx {
    fn bad(&self) -> PeError {
        PeError::BadElement { offset: self.offset, kind: self.kind, identification: self.id }
    }

    fn bad_file(&self, fid: u16, reason: &'static str) -> PeError {
        PeError::BadFile { offset: self.offset, identification: self.id, fid, reason }
    }

    fn parent_missing(&self) -> PeError {
        PeError::ParentMissing { offset: self.offset, kind: self.kind, identification: self.id }
    }

    fn not_found(&self, path: &[u8]) -> PeError {
        PeError::PathNotFound { offset: self.offset, identification: self.id, path: path.to_vec() }
    }
}

struct Builder {
    profile: Profile,
    /// Bytes of EF content still allowed.
    budget: usize,
    last_usim: Option<usize>,
    last_isim: Option<usize>,
    last_csim: Option<usize>,
    last_naa: Option<usize>,
    /// The directory a `pinCodes` element applies to.
    current: Option<usize>,
}

/// One item of a `File` or `FileManagement`.
enum Item<'a> {
    DoNotCreate,
    Fcp(&'a [u8]),
    Path(&'a [u8]),
    Offset(usize),
    Content(&'a [u8]),
}

/// The TLVs of a value, all of them, or `None` if they are not DER.
fn tlvs(mut value: &[u8]) -> Option<Vec<der::Tlv<'_>>> {
    let mut out = Vec::new();
    while !value.is_empty() {
        let (t, rest) = der::read(value).ok()?;
        out.push(t);
        value = rest;
    }
    Some(out)
}

/// The number of a context-specific tag as packed by [`der::read`] (`A5` → 5, `BF 1F` → 31,
/// `BF 81 00` → 128), with its constructed bit; `None` for other classes.
fn context_number(tag: u32) -> Option<(u32, bool)> {
    let bytes = tag.to_be_bytes();
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(3);
    let tail = bytes.get(start..).unwrap_or_default();
    let (&first, rest) = tail.split_first()?;
    if first & 0xC0 != 0x80 {
        return None;
    }
    let constructed = first & 0x20 != 0;
    if rest.is_empty() {
        return Some((u32::from(first & 0x1F), constructed));
    }
    let n = rest.iter().fold(0u32, |n, b| (n << 7) | u32::from(b & 0x7F));
    Some((n, constructed))
}

/// A dotted OID from its DER contents.
fn oid_string(bytes: &[u8]) -> Option<String> {
    let mut arcs: Vec<u64> = Vec::new();
    let mut acc: u64 = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if acc == 0 && b == 0x80 {
            return None; // non-minimal
        }
        acc = acc.checked_mul(128)?.checked_add(u64::from(b & 0x7F))?;
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (acc / 40).min(2);
                arcs.push(first);
                arcs.push(acc - first * 40);
            } else {
                arcs.push(acc);
            }
            acc = 0;
        } else if i + 1 == bytes.len() {
            return None;
        }
    }
    if arcs.is_empty() {
        return None;
    }
    let mut s = String::new();
    for (i, arc) in arcs.iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        let _ = write!(s, "{arc}");
    }
    Some(s)
}

/// A non-negative DER INTEGER of at most `max`.
fn uint(value: &[u8], max: u16) -> Option<u16> {
    der::uint16(value).filter(|&n| n <= max)
}

/// An unsigned big-endian size (`efFileSize`, `maximumFileSize`), at most 4 bytes.
fn size(value: &[u8]) -> Option<usize> {
    if value.is_empty() || value.len() > 4 {
        return None;
    }
    Some(value.iter().fold(0usize, |n, &b| (n << 8) | usize::from(b)))
}

/// The value of a PE, its fields.
fn pe_fields_of<'a>(ctx: &Ctx, pe: &ProfileElementRef<'a>) -> Result<Vec<der::Tlv<'a>>, PeError> {
    let (outer, _) = der::read(pe.raw).map_err(|_| ctx.bad())?;
    tlvs(outer.value).ok_or_else(|| ctx.bad())
}

/// The `Fcp` fields the decoder uses.
#[derive(Default)]
struct Fcp<'a> {
    descriptor: Option<&'a [u8]>,
    fid: Option<u16>,
    df_name: Option<&'a [u8]>,
    lcsi: Option<u8>,
    security: Option<&'a [u8]>,
    size: Option<usize>,
    pin_status: Option<&'a [u8]>,
    /// `Some(None)`: present and empty (no SFI).
    short_efid: Option<Option<u8>>,
    special: Option<u8>,
    /// (pattern, repeat).
    pattern: Option<(&'a [u8], bool)>,
    max_size: Option<usize>,
    link: Option<&'a [u8]>,
}

fn parse_fcp<'a>(value: &'a [u8]) -> Option<Fcp<'a>> {
    let mut f = Fcp::default();
    for t in tlvs(value)? {
        let v = t.value;
        match t.tag {
            0x82 => f.descriptor = Some(v).filter(|v| (2..=5).contains(&v.len())),
            0x83 => f.fid = Some(u16::from_be_bytes(v.try_into().ok()?)),
            0x84 => f.df_name = Some(v).filter(|v| (5..=16).contains(&v.len())),
            0x8A => f.lcsi = Some(single(v)?),
            0x8B => f.security = Some(v).filter(|v| v.len() == 1 || v.len() == 3),
            0x80 => f.size = Some(size(v)?),
            0xC6 => f.pin_status = Some(v),
            0x88 => {
                f.short_efid = Some(match v {
                    [] => None,
                    [b] => Some(*b),
                    _ => return None,
                })
            }
            0xA5 => {
                for p in tlvs(v)? {
                    match p.tag {
                        0xC0 => f.special = Some(single(p.value)?),
                        0xC1 => f.pattern = Some((p.value, false)).filter(|(p, _)| !p.is_empty()),
                        0xC2 => f.pattern = Some((p.value, true)).filter(|(p, _)| !p.is_empty()),
                        0x86 => f.max_size = Some(size(p.value)?),
                        _ => {}
                    }
                }
            }
            0xC7 => f.link = Some(v).filter(|v| v.len() <= 8 && v.len() % 2 == 0),
            // EXTENSIBILITY IMPLIED: later fields are ignored.
            _ => {}
        }
        // A field given with a value out of its range.
        let dropped = match t.tag {
            0x82 => f.descriptor.is_none(),
            0x84 => f.df_name.is_none(),
            0x8B => f.security.is_none(),
            0xC7 => f.link.is_none(),
            _ => false,
        };
        if dropped {
            return None;
        }
    }
    Some(f)
}

fn single(v: &[u8]) -> Option<u8> {
    match v {
        [b] => Some(*b),
        _ => None,
    }
}

/// The items of a template element's `File`.
fn file_items<'a>(value: &'a [u8]) -> Option<Vec<Item<'a>>> {
    tlvs(value)?
        .into_iter()
        .map(|t| match t.tag {
            0x80 if t.value.is_empty() => Some(Item::DoNotCreate),
            0xA1 => Some(Item::Fcp(t.value)),
            0x82 => Some(Item::Offset(usize::from(uint(t.value, u16::MAX)?))),
            0x83 => Some(Item::Content(t.value)),
            _ => None,
        })
        .collect()
}

/// The items of one `FileManagement`.
fn gfm_items<'a>(value: &'a [u8]) -> Option<Vec<Item<'a>>> {
    tlvs(value)?
        .into_iter()
        .map(|t| match t.tag {
            0x80 if t.value.len() <= 8 && t.value.len() % 2 == 0 => Some(Item::Path(t.value)),
            0x62 => Some(Item::Fcp(t.value)),
            0x02 => Some(Item::Offset(usize::from(uint(t.value, u16::MAX)?))),
            0x81 => Some(Item::Content(t.value)),
            _ => None,
        })
        .collect()
}

/// A content pattern: (bytes, repeat) from an `Fcp`, or a template's notation.
#[derive(Clone, Copy)]
enum Pattern<'a> {
    Ff,
    /// TS 102 222 `C1`: the bytes, then the last byte repeated.
    Fill(&'a [u8]),
    /// TS 102 222 `C2`: the bytes repeated.
    Repeat(&'a [u8]),
    /// Template notation (see [`TemplateFile::pattern`]).
    Template(&'static str),
}

fn unhex(s: &str) -> Vec<u8> {
    let digit = |c: u8| char::from(c).to_digit(16).and_then(|d| u8::try_from(d).ok()).unwrap_or(0xF);
    s.as_bytes().chunks(2).map(|p| p.iter().fold(0u8, |a, &c| (a << 4) | digit(c))).collect()
}

/// `len` bytes of `pattern`.
fn expand(pattern: Pattern<'_>, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    match pattern {
        Pattern::Ff => {}
        Pattern::Fill(p) => {
            out.extend(p.iter().take(len));
            let last = p.last().copied().unwrap_or(0xFF);
            out.resize(len, last);
        }
        Pattern::Repeat(p) => {
            out.extend(p.iter().cycle().take(len));
        }
        Pattern::Template(t) => {
            if let Some(p) = t.strip_suffix('*') {
                return expand(Pattern::Repeat(&unhex(p)), len);
            }
            match t.split_once("...") {
                Some((pre, suf)) => {
                    let (pre, suf) = (unhex(pre), unhex(suf));
                    let pad = len.saturating_sub(pre.len() + suf.len());
                    out.extend(&pre);
                    out.resize(pre.len() + pad, pre.last().copied().unwrap_or(0xFF));
                    out.extend(&suf);
                    out.truncate(len);
                }
                None => {
                    out.extend(unhex(t).into_iter().take(len));
                }
            }
        }
    }
    out.resize(len, 0xFF);
    out
}

/// What a new file starts from: a template row (if any) and whether `genericFileManagement` creates it.
struct Spec {
    row: Option<&'static TemplateFile>,
    gfm: bool,
}

/// The fill cursor on one EF.
struct Writer {
    node: usize,
    cursor: usize,
    /// The size follows the content (no size given).
    grow: bool,
}

impl Builder {
    fn files(&self) -> &[FileNode] {
        &self.profile.files
    }

    fn mf(&self) -> Option<usize> {
        self.files().first().map(|_| 0)
    }

    /// The node at FID path `path` (2-byte FIDs below the MF, a leading `3F00` allowed).
    fn resolve(&self, path: &[u8]) -> Option<usize> {
        let mut cur = self.mf()?;
        for (i, fid) in path.chunks(2).enumerate() {
            let fid = u16::from_be_bytes(fid.try_into().ok()?);
            if i == 0 && fid == 0x3F00 {
                continue;
            }
            if !self.files().get(cur)?.kind.is_dir() {
                return None;
            }
            cur = self.profile.children(cur).find(|&c| self.files().get(c).is_some_and(|n| n.fid == fid))?;
        }
        Some(cur)
    }

    /// Takes `n` bytes from the content budget.
    fn reserve(&mut self, ctx: &Ctx, n: usize) -> Result<(), PeError> {
        if n > MAX_FILE_SIZE || n > self.budget {
            return Err(PeError::TooLarge { offset: ctx.offset, identification: ctx.id, size: n });
        }
        self.budget -= n;
        Ok(())
    }

    /// Creates one file under `parent` from its template row and `Fcp`.
    fn create(&mut self, ctx: &Ctx, parent: Option<usize>, spec: &Spec, fcp: &Fcp<'_>) -> Result<Writer, PeError> {
        let row = spec.row;
        let mut fid = row.map_or(0, |r| if r.fid_hi == 0 { r.fid } else { 0 });
        if let Some(f) = fcp.fid {
            fid = f;
        }
        let mut structure = row.map_or(Structure::Unknown, |r| r.structure);
        let mut record_len = row.map_or(0, |r| usize::from(r.record_len));
        let mut shareable = true;
        if let Some(d) = fcp.descriptor {
            let fdb = d.first().copied().unwrap_or(0);
            shareable = fdb & 0x40 != 0;
            structure = match fdb & 0x3F {
                0x38 if matches!(structure, Structure::Mf | Structure::Adf) => structure,
                0x38 if fcp.df_name.is_some() => Structure::Adf,
                0x38 => Structure::Df,
                0x01 => Structure::Transparent,
                0x02 => Structure::LinearFixed,
                0x06 => Structure::Cyclic,
                0x39 => Structure::BerTlv,
                _ => return Err(ctx.bad_file(fid, "unknown file descriptor byte")),
            };
            match d.get(2..) {
                Some([rl]) => record_len = usize::from(*rl),
                Some([a, b, ..]) => record_len = usize::from(u16::from_be_bytes([*a, *b])),
                _ => {}
            }
        }
        if structure == Structure::Unknown {
            // A file without template data and without a file descriptor.
            structure = match (fcp.df_name, fcp.pin_status, spec.gfm || row.is_none_or(|r| r.name.is_empty())) {
                (Some(_), _, _) => Structure::Adf,
                (None, Some(_), _) => Structure::Df,
                _ => Structure::Transparent,
            };
        }
        if structure == Structure::Df && fcp.df_name.is_some() {
            structure = Structure::Adf;
        }
        let is_dir = matches!(structure, Structure::Mf | Structure::Df | Structure::Adf);
        if structure == Structure::Mf {
            if fid != 0x3F00 && fid != 0 {
                return Err(ctx.bad_file(fid, "the MF's file ID is not 3F00"));
            }
            fid = 0x3F00;
        }
        if fid == 0 {
            return Err(ctx.bad_file(fid, "no file ID"));
        }
        if matches!(fid, 0x3FFF | 0x7FFF | 0xFFFF) || (structure != Structure::Mf && fid == 0x3F00) {
            return Err(ctx.bad_file(fid, "reserved file ID"));
        }
        if let (Some(r), Some(f)) = (row, fcp.fid)
            && r.fid_hi != 0
            && !(r.fid..=r.fid_hi).contains(&f)
        {
            return Err(ctx.bad_file(fid, "file ID outside the template's range"));
        }
        let aid = fcp.df_name.map(<[u8]>::to_vec);
        if structure == Structure::Adf {
            let Some(aid) = aid.as_deref() else { return Err(ctx.bad_file(fid, "an ADF without dfName")) };
            if self.profile.adf_by_aid(aid).is_some() {
                return Err(PeError::DuplicateNaa { offset: ctx.offset, identification: ctx.id });
            }
        }
        if let Some(p) = parent {
            if self.profile.children(p).any(|c| self.files().get(c).is_some_and(|n| n.fid == fid)) {
                return Err(ctx.bad_file(fid, "a file with this ID exists in the directory"));
            }
        } else if !self.files().is_empty() {
            return Err(ctx.bad_file(fid, "a second MF"));
        }
        let link = match fcp.link {
            Some(path) if !path.is_empty() => Some(self.resolve(path).ok_or_else(|| ctx.not_found(path))?),
            _ => None,
        };
        // Geometry.
        let given_size = match structure {
            Structure::BerTlv => fcp.max_size.or(fcp.size),
            _ => fcp.size,
        };
        let template_size = row.map(|r| usize::from(r.size)).filter(|&s| s != 0);
        let mut size = given_size.or(template_size);
        let mut records = row.map_or(0, |r| usize::from(r.records));
        let record = matches!(structure, Structure::LinearFixed | Structure::Cyclic);
        let mut grow = false;
        let link_kind = link.and_then(|l| self.files().get(l)).map(|n| n.kind);
        if record {
            if record_len == 0 {
                match link_kind {
                    Some(FileKind::LinearFixed { record_len: rl, .. } | FileKind::Cyclic { record_len: rl, .. }) => {
                        record_len = usize::from(rl)
                    }
                    _ => return Err(ctx.bad_file(fid, "no record length")),
                }
            }
            if record_len > 255 {
                return Err(ctx.bad_file(fid, "record length above 255"));
            }
            if let Some(s) = given_size {
                if s % record_len != 0 {
                    return Err(ctx.bad_file(fid, "file size is not a multiple of the record length"));
                }
                records = s / record_len;
            } else if records == 0
                && let Some(s) = template_size
            {
                records = s / record_len;
            }
            size = Some(record_len.saturating_mul(records));
        }
        if link.is_none() && !is_dir && (size.is_none() || (record && records == 0)) {
            grow = true;
            size = Some(0);
        }
        let kind = match (structure, link_kind) {
            (Structure::Mf, _) => FileKind::Mf,
            (Structure::Df, _) => FileKind::Df,
            (Structure::Adf, _) => FileKind::Adf,
            (_, Some(k)) if given_size.is_none() && template_size.is_none() && !k.is_dir() => k,
            (Structure::Transparent, _) => FileKind::Transparent { size: size.unwrap_or(0) },
            (Structure::BerTlv, _) => FileKind::BerTlv { max_size: size.unwrap_or(0) },
            (Structure::LinearFixed, _) | (Structure::Cyclic, _) => {
                let rl = u8::try_from(record_len).map_err(|_| ctx.bad_file(fid, "record length above 255"))?;
                let n = u8::try_from(records).ok().filter(|&n| n <= 254);
                let n = n.ok_or_else(|| ctx.bad_file(fid, "more than 254 records"))?;
                if structure == Structure::Cyclic {
                    FileKind::Cyclic { record_len: rl, records: n }
                } else {
                    FileKind::LinearFixed { record_len: rl, records: n }
                }
            }
            (Structure::Unknown, _) => FileKind::Transparent { size: size.unwrap_or(0) },
        };
        if let FileKind::Transparent { size: s } | FileKind::BerTlv { max_size: s } = kind
            && s > MAX_FILE_SIZE
        {
            return Err(PeError::TooLarge { offset: ctx.offset, identification: ctx.id, size: s });
        }
        // SFI.
        let sfi = if is_dir {
            None
        } else {
            match fcp.short_efid {
                Some(Some(b)) => Some(b >> 3).filter(|&s| (1..=30).contains(&s)),
                Some(None) => None,
                None if spec.gfm => Some(u8::try_from(fid & 0x1F).unwrap_or(0)).filter(|&s| (1..=30).contains(&s)),
                None => row.map(|r| r.sfi).filter(|&s| s != 0),
            }
        };
        // Security attributes, always 3 bytes.
        let implicit_arr: u16 =
            if matches!(structure, Structure::Mf | Structure::Adf) || parent == self.mf() { 0x2F06 } else { 0x6F06 };
        let security = match fcp.security {
            Some([a, b, r]) => alloc::vec![*a, *b, *r],
            Some([r]) => [&implicit_arr.to_be_bytes()[..], &[*r]].concat(),
            Some(_) => return Err(ctx.bad_file(fid, "bad securityAttributesReferenced")),
            None => match row.map(|r| r.arr).filter(|&r| r != 0) {
                Some(r) => [&implicit_arr.to_be_bytes()[..], &[r]].concat(),
                None => Vec::new(),
            },
        };
        // Initial content.
        let pattern = match fcp.pattern {
            Some((p, false)) => Pattern::Fill(p),
            Some((p, true)) => Pattern::Repeat(p),
            None => match row.map(|r| r.pattern).filter(|p| !p.is_empty()) {
                Some(t) => Pattern::Template(t),
                None => Pattern::Ff,
            },
        };
        let content = match kind {
            _ if link.is_some() || grow => Vec::new(),
            FileKind::Transparent { size } => {
                self.reserve(ctx, size)?;
                expand(pattern, size)
            }
            FileKind::LinearFixed { record_len, records } | FileKind::Cyclic { record_len, records } => {
                let total = usize::from(record_len) * usize::from(records);
                self.reserve(ctx, total)?;
                let one = expand(pattern, usize::from(record_len));
                let mut c = Vec::with_capacity(total);
                for _ in 0..records {
                    c.extend_from_slice(&one);
                }
                c
            }
            _ => Vec::new(),
        };
        let node = FileNode {
            fid,
            parent,
            kind,
            aid,
            sfi,
            lcsi: fcp.lcsi.unwrap_or(0x05),
            security,
            shareable,
            pin_status: fcp.pin_status.map(<[u8]>::to_vec).unwrap_or_default(),
            special: fcp.special.unwrap_or(0),
            link,
            content,
            name: row.map(|r| r.name).filter(|n| !n.is_empty()),
        };
        let index = self.files().len();
        self.profile.files.push(node);
        Ok(Writer { node: index, cursor: 0, grow })
    }

    /// `fillFileOffset` / `fillFileContent` on the writer's file.
    fn fill(&mut self, ctx: &Ctx, w: &mut Writer, item: &Item<'_>) -> Result<(), PeError> {
        let Some(node) = self.profile.files.get(w.node) else { return Err(ctx.bad()) };
        let fid = node.fid;
        if node.kind.is_dir() || node.link.is_some() {
            return Err(ctx.bad_file(fid, "content for a directory or a link file"));
        }
        let ber = matches!(node.kind, FileKind::BerTlv { .. });
        let have = node.content.len();
        match *item {
            Item::Offset(n) => {
                w.cursor = w.cursor.saturating_add(n);
                if w.grow && !ber && w.cursor > have {
                    let more = w.cursor - have;
                    self.reserve(ctx, have + more).map(|()| self.budget += have)?;
                    if let Some(n) = self.profile.files.get_mut(w.node) {
                        n.content.resize(w.cursor, 0xFF);
                    }
                }
            }
            Item::Content(data) => {
                if ber {
                    let max = match node.kind {
                        FileKind::BerTlv { max_size } if !w.grow => max_size,
                        _ => MAX_FILE_SIZE,
                    };
                    if have + data.len() > max {
                        return Err(PeError::FillBeyondEnd { offset: ctx.offset, identification: ctx.id, fid });
                    }
                    self.reserve(ctx, data.len()).map_err(|_| PeError::TooLarge {
                        offset: ctx.offset,
                        identification: ctx.id,
                        size: have + data.len(),
                    })?;
                    if let Some(n) = self.profile.files.get_mut(w.node) {
                        n.content.extend_from_slice(data);
                    }
                    return Ok(());
                }
                let end = w.cursor.saturating_add(data.len());
                if end > have {
                    if !w.grow {
                        return Err(PeError::FillBeyondEnd { offset: ctx.offset, identification: ctx.id, fid });
                    }
                    // Check the whole file against the per-file limit, charge only the growth.
                    self.reserve(ctx, end).map(|()| self.budget += have)?;
                }
                let start = w.cursor;
                if let Some(n) = self.profile.files.get_mut(w.node) {
                    if end > n.content.len() {
                        n.content.resize(end, 0xFF);
                    }
                    if let Some(dst) = n.content.get_mut(start..end) {
                        dst.copy_from_slice(data);
                    }
                }
                w.cursor = end;
            }
            _ => return Err(ctx.bad()),
        }
        Ok(())
    }

    /// Ends writing a file: a file sized by its content gets its size (whole records).
    fn finish(&mut self, ctx: &Ctx, w: &Writer) -> Result<(), PeError> {
        if !w.grow {
            return Ok(());
        }
        let Some(n) = self.profile.files.get_mut(w.node) else { return Ok(()) };
        let fid = n.fid;
        let len = n.content.len();
        match &mut n.kind {
            FileKind::Transparent { size } => *size = len,
            FileKind::BerTlv { max_size } => *max_size = len,
            FileKind::LinearFixed { record_len, records } | FileKind::Cyclic { record_len, records } => {
                let rl = usize::from(*record_len).max(1);
                let count = len.div_ceil(rl);
                *records = u8::try_from(count).ok().filter(|&c| c <= 254).ok_or(PeError::BadFile {
                    offset: ctx.offset,
                    identification: ctx.id,
                    fid,
                    reason: "more than 254 records",
                })?;
                let total = count * rl;
                if total > len {
                    let pad = total - len;
                    self.budget = self.budget.checked_sub(pad).ok_or(PeError::TooLarge {
                        offset: ctx.offset,
                        identification: ctx.id,
                        size: total,
                    })?;
                    n.content.resize(total, 0xFF);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A template element (`mf` … `df-5gprose`).
    fn template(&mut self, ctx: &Ctx, pe: &ProfileElementRef<'_>) -> Result<(), PeError> {
        let fields = pe_fields_of(ctx, pe)?;
        let oid = fields.iter().find(|t| t.tag == 0x81).ok_or_else(|| ctx.bad())?;
        let oid = oid_string(oid.value).ok_or_else(|| ctx.bad())?;
        let template = Template::by_oid(&oid)
            .filter(|t| t.kind == ctx.kind)
            .ok_or_else(|| PeError::UnknownTemplate { offset: ctx.offset, identification: ctx.id, oid: oid.clone() })?;
        let names = pe_fields(ctx.kind);
        // Field index → its File items, in tag order.
        let mut present: Vec<(usize, Vec<Item<'_>>)> = Vec::new();
        let mut last = 1u32;
        for t in &fields {
            let (n, constructed) = context_number(t.tag).ok_or_else(|| ctx.bad())?;
            if n <= 1 {
                continue;
            }
            if n <= last {
                return Err(ctx.bad());
            }
            last = n;
            let index = usize::try_from(n - 2).map_err(|_| ctx.bad())?;
            if index >= names.len() {
                continue; // a later version's field
            }
            if !constructed {
                return Err(ctx.bad());
            }
            present.push((index, file_items(t.value).ok_or_else(|| ctx.bad())?));
        }
        // Where the files go.
        let base = match ctx.kind {
            PeKind::Mf => None,
            PeKind::Cd | PeKind::Telecom | PeKind::Usim | PeKind::Isim | PeKind::Csim => {
                Some(self.mf().ok_or_else(|| ctx.parent_missing())?)
            }
            PeKind::OptUsim => Some(self.last_usim.ok_or_else(|| ctx.parent_missing())?),
            PeKind::OptIsim => Some(self.last_isim.ok_or_else(|| ctx.parent_missing())?),
            PeKind::OptCsim => Some(self.last_csim.ok_or_else(|| ctx.parent_missing())?),
            _ => Some(self.last_usim.ok_or_else(|| ctx.parent_missing())?),
        };
        // Order: template rows, then fields without a row.
        let mut order: Vec<(Option<usize>, Option<usize>)> = Vec::new(); // (row, present index)
        for (r, row) in template.files.iter().enumerate() {
            let p = present.iter().position(|(i, _)| names.get(*i) == Some(&row.field));
            order.push((Some(r), p));
        }
        for (p, (i, _)) in present.iter().enumerate() {
            let name = names.get(*i).copied().unwrap_or_default();
            if template.row(name).is_none() {
                order.push((None, Some(p)));
            }
        }
        let mut created: Vec<Option<usize>> = alloc::vec![None; template.files.len()];
        let mut top: Option<usize> =
            if matches!(ctx.kind, PeKind::OptUsim | PeKind::OptIsim | PeKind::OptCsim) { base } else { None };
        let empty: Vec<Item<'_>> = Vec::new();
        for (r, p) in order {
            let row = r.and_then(|r| template.files.get(r));
            let items = match p.and_then(|p| present.get(p)) {
                Some((_, items)) => items,
                None => {
                    let Some(row) = row else { continue };
                    if !template.created_by_default || row.needs_profile || row.structure == Structure::Unknown {
                        continue;
                    }
                    &empty
                }
            };
            if ctx.kind != PeKind::Mf && items.iter().any(|i| matches!(i, Item::DoNotCreate)) {
                continue;
            }
            let parent = match row.map(|r| (r.structure, r.parent)) {
                Some((Structure::Mf, _)) => None,
                Some((Structure::Adf, _)) => Some(self.mf().ok_or_else(|| ctx.parent_missing())?),
                Some((_, Some(pr))) => {
                    let slot = created.get(usize::from(pr)).copied().flatten();
                    Some(slot.ok_or_else(|| ctx.parent_missing())?)
                }
                // Fields without a row go into the element's own directory.
                Some((_, None)) | None => top.or(base),
            };
            if parent.is_none() && ctx.kind != PeKind::Mf {
                return Err(ctx.parent_missing());
            }
            let mut fcps = items.iter().filter_map(|i| if let Item::Fcp(f) = i { Some(*f) } else { None });
            let fcp = match fcps.next() {
                Some(f) => parse_fcp(f).ok_or_else(|| ctx.bad())?,
                None => Fcp::default(),
            };
            if fcps.next().is_some() {
                return Err(ctx.bad());
            }
            let mut w = self.create(ctx, parent, &Spec { row, gfm: false }, &fcp)?;
            for item in items {
                if matches!(item, Item::Offset(_) | Item::Content(_)) {
                    self.fill(ctx, &mut w, item)?;
                }
            }
            self.finish(ctx, &w)?;
            if let Some(slot) = r.and_then(|r| created.get_mut(r)) {
                *slot = Some(w.node);
            }
            let kind = self.files().get(w.node).map(|n| n.kind);
            if top.is_none() && kind.is_some_and(FileKind::is_dir) {
                top = Some(w.node);
            }
            if kind == Some(FileKind::Adf) {
                match ctx.kind {
                    PeKind::Usim => self.last_usim = Some(w.node),
                    PeKind::Isim => self.last_isim = Some(w.node),
                    PeKind::Csim => self.last_csim = Some(w.node),
                    _ => {}
                }
                if matches!(ctx.kind, PeKind::Usim | PeKind::Isim | PeKind::Csim) {
                    self.last_naa = Some(w.node);
                }
            }
        }
        if matches!(ctx.kind, PeKind::Usim | PeKind::Isim | PeKind::Csim) && top.is_none() {
            return Err(ctx.bad_file(0, "the NAA element creates no ADF"));
        }
        if top.is_some() {
            self.current = top;
        }
        Ok(())
    }

    /// `genericFileManagement`.
    fn gfm(&mut self, ctx: &Ctx, pe: &ProfileElementRef<'_>) -> Result<(), PeError> {
        let fields = pe_fields_of(ctx, pe)?;
        let cmds = fields.iter().find(|t| t.tag == 0xA1).ok_or_else(|| ctx.bad())?;
        let cmds = tlvs(cmds.value).ok_or_else(|| ctx.bad())?;
        if cmds.is_empty() {
            return Err(ctx.bad());
        }
        for fm in cmds {
            if fm.tag != 0x30 {
                return Err(ctx.bad());
            }
            let items = gfm_items(fm.value).ok_or_else(|| ctx.bad())?;
            let mut dir = self.mf().ok_or_else(|| ctx.parent_missing())?;
            let mut w: Option<Writer> = None;
            for item in &items {
                match item {
                    Item::Path(path) => {
                        if let Some(w) = w.take() {
                            self.finish(ctx, &w)?;
                        }
                        let node = self.resolve(path).ok_or_else(|| ctx.not_found(path))?;
                        if self.files().get(node).is_some_and(|n| n.kind.is_dir()) {
                            dir = node;
                        } else {
                            w = Some(Writer { node, cursor: 0, grow: false });
                        }
                    }
                    Item::Fcp(f) => {
                        if let Some(w) = w.take() {
                            self.finish(ctx, &w)?;
                        }
                        let fcp = parse_fcp(f).ok_or_else(|| ctx.bad())?;
                        w = Some(self.create(ctx, Some(dir), &Spec { row: None, gfm: true }, &fcp)?);
                    }
                    Item::Offset(_) | Item::Content(_) => match w.as_mut() {
                        Some(w) => self.fill(ctx, w, item)?,
                        None => return Err(ctx.bad_file(0, "content with no file to write")),
                    },
                    Item::DoNotCreate => return Err(ctx.bad()),
                }
            }
            if let Some(w) = w.take() {
                self.finish(ctx, &w)?;
            }
        }
        Ok(())
    }

    /// `pukCodes`.
    fn puk_codes(&mut self, ctx: &Ctx, pe: &ProfileElementRef<'_>) -> Result<(), PeError> {
        let fields = pe_fields_of(ctx, pe)?;
        let list = fields.iter().find(|t| t.tag == 0xA1).ok_or_else(|| ctx.bad())?;
        for c in tlvs(list.value).ok_or_else(|| ctx.bad())? {
            let puk = parse_puk(&c).ok_or_else(|| ctx.bad())?;
            if self.profile.puks.iter().any(|p| p.key_ref == puk.key_ref) {
                return Err(ctx.bad());
            }
            self.profile.puks.push(puk);
        }
        Ok(())
    }

    /// `pinCodes`.
    fn pin_codes(&mut self, ctx: &Ctx, pe: &ProfileElementRef<'_>) -> Result<(), PeError> {
        let fields = pe_fields_of(ctx, pe)?;
        let choice = fields.iter().find(|t| t.tag == 0xA1).ok_or_else(|| ctx.bad())?;
        let (alt, _) = der::read(choice.value).map_err(|_| ctx.bad())?;
        let dir = self.current.ok_or_else(|| ctx.parent_missing())?;
        match alt.tag {
            0xA0 => {
                let start = self.profile.pins.len();
                for c in tlvs(alt.value).ok_or_else(|| ctx.bad())? {
                    let pin = parse_pin(&c, dir).ok_or_else(|| ctx.bad())?;
                    let dup =
                        self.profile.pins.get(start..).unwrap_or_default().iter().any(|p| p.key_ref == pin.key_ref);
                    if dup {
                        return Err(ctx.bad());
                    }
                    if let Some(puk) = pin.puk_ref
                        && !self.profile.puks.iter().any(|p| p.key_ref == puk)
                    {
                        return Err(PeError::PukMissing { identification: ctx.id, key_ref: puk });
                    }
                    self.profile.pins.push(pin);
                }
                Ok(())
            }
            0x81 if alt.value.len() <= 8 && alt.value.len() % 2 == 0 => {
                let other = self.resolve(alt.value).ok_or_else(|| ctx.not_found(alt.value))?;
                if !self.files().get(other).is_some_and(|n| n.kind.is_dir()) {
                    return Err(ctx.not_found(alt.value));
                }
                self.profile.pin_shares.push((dir, other));
                Ok(())
            }
            _ => Err(ctx.bad()),
        }
    }

    /// `akaParameter`: the keys, bound to the latest NAA's ADF.
    fn aka(&mut self, ctx: &Ctx, pe: &ProfileElementRef<'_>) -> Result<(), PeError> {
        let adf = self.last_naa.ok_or_else(|| ctx.parent_missing())?;
        let (summary, a) = decode_aka_full(pe, ctx.id)?;
        let bad = || PeError::BadAka { offset: ctx.offset, identification: ctx.id };
        let keys = match a.algo_configuration {
            asn::AlgoConfiguration::MappingParameter(m) => AkaKeys::Mapping {
                options: single(&m.mapping_options).ok_or_else(bad)?,
                source: m.mapping_source.to_vec(),
            },
            asn::AlgoConfiguration::AlgoParameter(p) => {
                let algorithm = summary.algorithm.ok_or_else(bad)?;
                let rotation = match p.rotation_constants.as_deref() {
                    Some(r) => r.try_into().map_err(|_| bad())?,
                    None => [0x40, 0x00, 0x20, 0x40, 0x60],
                };
                let xoring = match p.xoring_constants.as_deref() {
                    Some(x) => x.try_into().map_err(|_| bad())?,
                    None => {
                        let mut x = [0u8; 80];
                        for (i, v) in [(31usize, 1u8), (47, 2), (63, 4), (79, 8)] {
                            if let Some(b) = x.get_mut(i) {
                                *b = v;
                            }
                        }
                        x
                    }
                };
                let auth_counter_max = match p.auth_counter_max.as_deref() {
                    Some(c) => Some(c.try_into().map_err(|_| bad())?),
                    None => None,
                };
                AkaKeys::Algorithm(AlgoKeys {
                    algorithm,
                    options: summary.algorithm_options,
                    key: Zeroizing::new(p.key.to_vec()),
                    opc: Zeroizing::new(p.opc.to_vec()),
                    rotation,
                    xoring,
                    auth_counter_max,
                    keccak_iterations: p.number_of_keccak.unwrap_or(1),
                })
            }
        };
        let six = |v: Option<&[u8]>| -> Result<[u8; 6], PeError> {
            match v {
                Some(v) => v.try_into().map_err(|_| bad()),
                None => Ok([0x00, 0x00, 0x10, 0x00, 0x00, 0x00]),
            }
        };
        let mut sqn_init = [[0u8; 6]; 32];
        if let Some(list) = &a.sqn_init {
            if list.len() != 32 {
                return Err(bad());
            }
            for (dst, v) in sqn_init.iter_mut().zip(list) {
                *dst = v.as_ref().try_into().map_err(|_| bad())?;
            }
        }
        self.profile.aka.push(AkaConfig {
            identification: ctx.id,
            adf,
            keys,
            sqn_options: match a.sqn_options.as_deref() {
                Some(o) => single(o).ok_or_else(bad)?,
                None => 0x02,
            },
            sqn_delta: six(a.sqn_delta.as_deref())?,
            sqn_age_limit: six(a.sqn_age_limit.as_deref())?,
            sqn_init,
        });
        Ok(())
    }
}

/// PINKeyReferenceValue: global PINs 1–8, ADM 10–14 and 138–142, local PINs 129–136.
fn pin_ref_ok(r: u16) -> bool {
    matches!(r, 1..=8 | 10..=14 | 129..=136 | 138..=142)
}

/// PUKKeyReferenceValue: 1–8, 129–136.
fn puk_ref_ok(r: u16) -> bool {
    matches!(r, 1..=8 | 129..=136)
}

fn parse_pin(c: &der::Tlv<'_>, dir: usize) -> Option<PinConfig> {
    if c.tag != 0x30 {
        return None;
    }
    let mut key_ref = None;
    let mut value = None;
    let mut puk_ref = None;
    let mut attributes = 7;
    let mut attempts = 0x33;
    for f in tlvs(c.value)? {
        match f.tag {
            0x80 => key_ref = Some(uint(f.value, 255).filter(|&r| pin_ref_ok(r))?),
            0x81 => value = Some(<[u8; 8]>::try_from(f.value).ok()?),
            0x82 => puk_ref = Some(uint(f.value, 255).filter(|&r| puk_ref_ok(r))?),
            0x83 => attributes = uint(f.value, 255)?,
            0x84 => attempts = uint(f.value, 255)?,
            _ => {}
        }
    }
    let attempts = u8::try_from(attempts).ok()?;
    Some(PinConfig {
        dir,
        key_ref: u8::try_from(key_ref?).ok()?,
        value: value?,
        puk_ref: puk_ref.and_then(|r| u8::try_from(r).ok()),
        attributes: u8::try_from(attributes).ok()?,
        max_attempts: attempts >> 4,
        retries_left: attempts & 0x0F,
    })
}

fn parse_puk(c: &der::Tlv<'_>) -> Option<PukConfig> {
    if c.tag != 0x30 {
        return None;
    }
    let mut key_ref = None;
    let mut value = None;
    let mut attempts = 0xAA;
    for f in tlvs(c.value)? {
        match f.tag {
            0x80 => key_ref = Some(uint(f.value, 255).filter(|&r| puk_ref_ok(r))?),
            0x81 => value = Some(<[u8; 8]>::try_from(f.value).ok()?),
            0x82 => attempts = uint(f.value, 255)?,
            _ => {}
        }
    }
    let attempts = u8::try_from(attempts).ok()?;
    Some(PukConfig {
        key_ref: u8::try_from(key_ref?).ok()?,
        value: value?,
        max_attempts: attempts >> 4,
        retries_left: attempts & 0x0F,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saip::templates::TEMPLATES;

    #[test]
    fn tags_oids_patterns() {
        assert_eq!(context_number(0xA5), Some((5, true)));
        assert_eq!(context_number(0x81), Some((1, false)));
        assert_eq!(context_number(0xBF1F), Some((31, true)));
        assert_eq!(context_number(0xBF8100), Some((128, true)));
        assert_eq!(context_number(0x30), None);
        assert_eq!(oid_string(&[0x67, 0x81, 0x0F, 0x01, 0x02, 0x04, 0x02]).as_deref(), Some("2.23.143.1.2.4.2"));
        assert_eq!(oid_string(&[0x67, 0x81]), None);
        assert_eq!(expand(Pattern::Template("FF...FF07"), 4), [0xFF, 0xFF, 0xFF, 0x07]);
        assert_eq!(expand(Pattern::Template("00FF...FF"), 3), [0x00, 0xFF, 0xFF]);
        assert_eq!(expand(Pattern::Template("0000"), 3), [0x00, 0x00, 0xFF]);
        assert_eq!(expand(Pattern::Template("0102*"), 5), [1, 2, 1, 2, 1]);
        assert_eq!(expand(Pattern::Fill(&[0x00, 0x01]), 4), [0, 1, 1, 1]);
        assert_eq!(expand(Pattern::Repeat(&[0x00, 0x01]), 3), [0, 1, 0]);
        assert_eq!(expand(Pattern::Ff, 2), [0xFF, 0xFF]);
    }

    #[test]
    fn tables_are_consistent() {
        for t in TEMPLATES {
            let fields = pe_fields(t.kind);
            for (i, f) in t.files.iter().enumerate() {
                assert!(fields.contains(&f.field), "{} {}", t.oid, f.field);
                if let Some(p) = f.parent {
                    assert!(usize::from(p) < i, "{} {}", t.oid, f.field);
                }
            }
        }
    }
}
