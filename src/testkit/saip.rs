//! A generator of small, valid TCA SAIP profile packages, shaped like the GSMA TS.48 test profile
//! an SM-DP+ delivers (usim-saip.md §1.2, §1.5).
//!
//! [`TestProfile::to_der`] writes an Unprotected Profile Package (UPP): DER `ProfileElement`s per
//! `PEDefinitions` v3.3.1 (automatic tags), in the TS.48 order
//! `header → mf → pukCodes → pinCodes → [genericFileManagement padding] → usim → pinCodes → akaParameter → end`.
//! The file-system elements use the SAIP v2.3 templates (Annex A): `mf` = `2.23.143.1.2.1`
//! (MF, EF.PL, EF.ICCID, EF.DIR, EF.ARR), `usim` = `2.23.143.1.2.4` (ADF.USIM and its mandatory
//! EFs IMSI, ARR, UST, SPN, EST, ACC, ECC, plus AD). Only what a template leaves open is encoded:
//! contents, record layout of EF.DIR/EF.ARR, the ADF's AID and temporary FID, PIN status templates.
//!
//! The bytes are hand-built with [`crate::asn1::tlv::tlv`], independently of the rasn types the
//! card decodes with; `tests/saip.rs` decodes them with Python asn1tools as a third opinion.

use crate::asn1::download::StoreMetadataRequest;
use crate::asn1::tlv::tlv;
use crate::saip::{Algorithm, PeError, swap_nibbles};
use std::string::String;
use std::vec;
use std::vec::Vec;

/// AID of the USIM application (3GPP TS 31.102; TS.48 EF.DIR record 1).
pub const USIM_AID: [u8; 12] = [0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02, 0xFF, 0x49, 0xFF, 0x05, 0x89];
/// Template OID of the MF template, `2.23.143.1.2.1`, DER contents.
pub const TEMPLATE_MF: [u8; 6] = [0x67, 0x81, 0x0F, 0x01, 0x02, 0x01];
/// Template OID of the mandatory ADF.USIM template (SAIP v2.3), `2.23.143.1.2.4`, DER contents.
pub const TEMPLATE_USIM: [u8; 6] = [0x67, 0x81, 0x0F, 0x01, 0x02, 0x04];
/// Temporary FID of ADF.USIM inside the package (as in TS.48).
pub const USIM_TEMP_FID: [u8; 2] = [0x7F, 0xD0];
/// EF.UST of TS.48 cut to the 14 bytes the v2.3 USIM template sizes it to.
pub const UST: [u8; 14] = [0x9E, 0xFF, 0xBF, 0x1D, 0xFF, 0x3E, 0x00, 0x83, 0x41, 0x03, 0x10, 0x01, 0x04, 0x00];

/// A test profile's parameters; [`TestProfile::to_der`] turns them into a UPP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestProfile {
    /// ICCID in EF.ICCID byte order (nibble-swapped BCD, as SGP.22's `Iccid`):
    /// `98001032547698103214` is 89000123456789012341. EF.ICCID holds it so; the `header`
    /// holds it in printed order (`89000123456789012341`).
    pub iccid: [u8; 10],
    /// IMSI digits (6 to 15).
    pub imsi: String,
    /// MNC length for EF.AD (2 or 3).
    pub mnc_len: u8,
    /// K.
    pub k: [u8; 16],
    /// OPc (ignored by the test algorithm, still encoded).
    pub opc: [u8; 16],
    /// The AKA algorithm.
    pub algorithm: Algorithm,
    /// Service provider name for EF.SPN (at most 16 bytes are kept).
    pub spn: String,
    /// PIN1 (`pinAppl1`), ASCII digits, at most 8.
    pub pin1: String,
    /// PUK1 (`pukAppl1`), ASCII digits, at most 8.
    pub puk1: String,
    /// ADM1 (`adm1`), ASCII digits, at most 8.
    pub adm1: String,
    /// Second PIN of the USIM (`secondPINAppl1`), ASCII digits, at most 8.
    pub pin2: String,
    /// Target package length; 0 = no padding. See [`TestProfile::with_padding`].
    pub padding: usize,
}

impl TestProfile {
    /// A profile with TS.48 values (usim-saip.md §1.5): IMSI 001010123456063, K = 00 01 … 0F,
    /// OPc = 0, PIN1 0000, ADM1 55555555, second PIN 9999; PUK1 12345678 (a test value);
    /// Milenage (TS.48 itself uses the test algorithm; set `algorithm` for that).
    pub fn new(iccid: [u8; 10]) -> TestProfile {
        let mut k = [0u8; 16];
        for (i, b) in (0u8..).zip(k.iter_mut()) {
            *b = i;
        }
        TestProfile {
            iccid,
            imsi: "001010123456063".into(),
            mnc_len: 2,
            k,
            opc: [0; 16],
            algorithm: Algorithm::Milenage,
            spn: "veuicc".into(),
            pin1: "0000".into(),
            puk1: "12345678".into(),
            adm1: "55555555".into(),
            pin2: "9999".into(),
            padding: 0,
        }
    }

    /// Pads the package to `total_len` bytes with a `genericFileManagement` element that creates
    /// transparent EFs (`2F40`, `2F41`, … under the MF, at most 32 000 bytes each) — for benches that
    /// need 12/64/256 KB packages. A length below the unpadded size (about 1.3 KB) leaves the package
    /// unpadded; otherwise the package has exactly `total_len` bytes, or, where a TLV length field
    /// jumps, the next length reachable.
    pub fn with_padding(mut self, total_len: usize) -> TestProfile {
        self.padding = total_len;
        self
    }

    /// The UPP: concatenated DER profile elements.
    pub fn to_der(&self) -> Vec<u8> {
        let (head, tail) = self.parts(0);
        let base = head.len() + tail.len();
        let mut out = head;
        if self.padding > base {
            let first_id = 4;
            let need = self.padding - base;
            let mut content = need.saturating_sub(64);
            let mut pe = padding_pe(first_id, content);
            for _ in 0..8 {
                if pe.len() == need {
                    break;
                }
                content = (content + need).saturating_sub(pe.len());
                pe = padding_pe(first_id, content);
            }
            if pe.len() != need {
                // Near a jump of a length field: search around for an exact fit, else the next longer.
                let fits = (content.saturating_sub(64)..content + 64).map(|c| padding_pe(first_id, c));
                if let Some(best) = fits.filter(|p| p.len() >= need).min_by_key(Vec::len) {
                    pe = best;
                }
            }
            let (_, tail) = self.parts(1);
            out.extend(pe);
            out.extend(tail);
        } else {
            out.extend(tail);
        }
        out
    }

    /// The package before and after the padding element; `extra` identifications are reserved for it.
    fn parts(&self, extra: u16) -> (Vec<u8>, Vec<u8>) {
        let mut head = self.header();
        head.extend(self.mf(1));
        head.extend(self.puk_codes(2));
        head.extend(self.pin_codes_mf(3));
        let next = 4 + extra;
        let mut tail = self.usim(next);
        tail.extend(self.pin_codes_usim(next + 1));
        tail.extend(self.aka(next + 2));
        tail.extend(tlv(&[0xAA], &pe_header(next + 3)));
        (head, tail)
    }

    /// `header` (`A0`, `ProfileHeader`; usim-saip.md §1.3): version 2.3, profileType, iccid, mandatory services
    /// (usim + the algorithm), mandatory templates (MF, USIM).
    fn header(&self) -> Vec<u8> {
        let algo_service: &[u8] = match self.algorithm {
            Algorithm::Milenage => &[0x84, 0x00],
            Algorithm::Tuak => &[0x85, 0x00],
            Algorithm::TestAlgorithm => &[0x91, 0x00],
        };
        let services = cat(&[&[0x81, 0x00], algo_service]);
        let templates = cat(&[&tlv(&[0x06], &TEMPLATE_MF), &tlv(&[0x06], &TEMPLATE_USIM)]);
        tlv(
            &[0xA0],
            &cat(&[
                &[0x80, 0x01, 0x02, 0x81, 0x01, 0x03],
                &tlv(&[0x82], b"veuicc test profile"),
                // ProfileHeader.iccid: printed digit order (usim-saip.md §1.3), unlike EF.ICCID.
                &tlv(&[0x83], &swap_nibbles(self.iccid)),
                &tlv(&[0xA5], &services),
                &tlv(&[0xA6], &templates),
            ]),
        )
    }

    /// `mf` (`B0`, PE-MF): MF with its PIN status template, EF.PL "en", EF.ICCID, EF.DIR with the
    /// USIM record, EF.ARR with 15 rules.
    fn mf(&self, id: u16) -> Vec<u8> {
        // TS 102 221 PIN status template DO: PS_DO, key references 01 and 0A (the card answers the PS_DO bits from the PINs' live enabled states; PIN1 is enabled, pinAttributes 7).
        let ps_mf = [0x90, 0x01, 0x40, 0x83, 0x01, 0x01, 0x83, 0x01, 0x0A];
        let mut usim_record = tlv(&[0x61], &cat(&[&tlv(&[0x4F], &USIM_AID), &tlv(&[0x50], b"USIM")]));
        usim_record.resize(DIR_RECORD, 0xFF);
        let mut dir = usim_record;
        dir.resize(2 * DIR_RECORD, 0xFF);
        tlv(
            &[0xB0],
            &cat(&[
                &pe_header(id),
                &tlv(&[0x81], &TEMPLATE_MF),
                &file(0xA2, &[Fcp { pin_status: Some(&ps_mf), ..Fcp::default() }.encode(0xA1)]),
                &file(0xA3, &[fill(b"en")]),
                &file(0xA4, &[fill(&self.iccid)]),
                &file(0xA5, &[linear_fixed(DIR_RECORD, dir.len()), fill(&dir)]),
                &arr_file(0xA6, 15),
            ]),
        )
    }

    /// `pukCodes` (`A3`): PUK1.
    fn puk_codes(&self, id: u16) -> Vec<u8> {
        let puk = tlv(&[0x30], &cat(&[&[0x80, 0x01, 0x01], &tlv(&[0x81], &secret8(&self.puk1))]));
        tlv(&[0xA3], &cat(&[&pe_header(id), &tlv(&[0xA1], &puk)]))
    }

    /// `pinCodes` (`A2`) in the MF context: PIN1 (unblocked by PUK1) and ADM1, global references.
    fn pin_codes_mf(&self, id: u16) -> Vec<u8> {
        let pin1 = tlv(&[0x30], &cat(&[&[0x80, 0x01, 0x01], &tlv(&[0x81], &secret8(&self.pin1)), &[0x82, 0x01, 0x01]]));
        let adm1 = tlv(&[0x30], &cat(&[&[0x80, 0x01, 0x0A], &tlv(&[0x81], &secret8(&self.adm1))]));
        let config = tlv(&[0xA0], &cat(&[&pin1, &adm1]));
        tlv(&[0xA2], &cat(&[&pe_header(id), &tlv(&[0xA1], &config)]))
    }

    /// `pinCodes` (`A2`) in the ADF.USIM context: the local second PIN (`secondPINAppl1` = 129).
    fn pin_codes_usim(&self, id: u16) -> Vec<u8> {
        let pin2 = tlv(&[0x30], &cat(&[&[0x80, 0x02, 0x00, 0x81], &tlv(&[0x81], &secret8(&self.pin2))]));
        let config = tlv(&[0xA0], &pin2);
        tlv(&[0xA2], &cat(&[&pe_header(id), &tlv(&[0xA1], &config)]))
    }

    /// `usim` (`B3`, PE-USIM, template `2.23.143.1.2.4`).
    fn usim(&self, id: u16) -> Vec<u8> {
        // PS_DO: 01 and 81 disabled, 0A enabled.
        let ps_adf = [0x90, 0x01, 0x20, 0x83, 0x01, 0x01, 0x83, 0x01, 0x81, 0x83, 0x01, 0x0A];
        let adf =
            Fcp { fid: Some(USIM_TEMP_FID), df_name: Some(&USIM_AID), pin_status: Some(&ps_adf), ..Fcp::default() };
        let mut spn = vec![0x00];
        spn.extend(self.spn.bytes().take(16));
        spn.resize(17, 0xFF);
        let last_digit = self.imsi.bytes().last().map_or(0, |d| u32::from(d.wrapping_sub(b'0')) % 10);
        let acc = u16::try_from(1u32 << last_digit).unwrap_or(1).to_be_bytes();
        tlv(
            &[0xB3],
            &cat(&[
                &pe_header(id),
                &tlv(&[0x81], &TEMPLATE_USIM),
                &file(0xA2, &[adf.encode(0xA1)]),                        // adf-usim
                &file(0xA3, &[fill(&encode_imsi(&self.imsi))]),          // ef-imsi
                &arr_file(0xA4, 10),                                     // ef-arr
                &file(0xA8, &[fill(&UST)]),                              // ef-ust
                &file(0xAD, &[fill(&spn)]),                              // ef-spn
                &file(0xAE, &[fill(&[0x00])]),                           // ef-est
                &file(0xB2, &[fill(&acc)]),                              // ef-acc
                &file(0xB5, &[fill(&[0x80, 0x00, 0x00, self.mnc_len])]), // ef-ad
                &file(0xB6, &[fill(&[0x11, 0xF2, 0xFF, 0x00])]),         // ef-ecc: 112
            ]),
        )
    }

    /// `akaParameter` (`A4`): `algoParameter` with algorithmOptions `02`, K, OPc; every constant
    /// and SQN parameter at its DEFAULT, so omitted (DER, X.690 §11.5).
    fn aka(&self, id: u16) -> Vec<u8> {
        let params = cat(&[
            &[0x80, 0x01, self.algorithm.id(), 0x81, 0x01, 0x02],
            &tlv(&[0x82], &self.k),
            &tlv(&[0x83], &self.opc),
        ]);
        tlv(&[0xA4], &cat(&[&pe_header(id), &tlv(&[0xA1], &tlv(&[0xA1], &params))]))
    }
}

/// `serviceProviderName` the test SM-DP+ announces: a SAIP package does not carry one in its header.
pub const DEFAULT_SERVICE_PROVIDER: &str = "veuicc test operator";
/// `profileName` for a package whose header has no `profileType`.
pub const DEFAULT_PROFILE_NAME: &str = "veuicc test profile";

/// StoreMetadata for the package `upp`, made the way an SM-DP+ makes it from the package it
/// binds (SGP.22 v2.5 §5.5.3; osmo-smdpp reads the `ProfileHeader` and nibble-swaps its ICCID):
/// * `iccid` (`5A`): the header's ICCID, printed digit order, nibble-swapped into the `Iccid`
///   coding (`89 00 01 … 41` → `98 00 10 … 14`; a 19-digit `… 23 3F` → `… 32 F3`);
/// * `serviceProviderName`: [`DEFAULT_SERVICE_PROVIDER`] (the header has none);
/// * `profileName`: the header's `profileType`, else [`DEFAULT_PROFILE_NAME`];
/// * `profileClass`: operational(2), written out as osmo-smdpp does; no icon, PPRs or
///   notification configuration.
///
/// Callers change fields of the result for what they are told (a name, a class).
/// `Err` if `saip::check` refuses the package.
pub fn smdp_metadata(upp: &[u8]) -> Result<StoreMetadataRequest, PeError> {
    let header = crate::saip::check(upp)?.header;
    let name = header.profile_type.as_deref().filter(|t| !t.is_empty()).unwrap_or(DEFAULT_PROFILE_NAME);
    let mut md = StoreMetadataRequest::new(header.sgp22_iccid().to_vec(), DEFAULT_SERVICE_PROVIDER, name);
    md.profile_class = Some(2.into());
    Ok(md)
}

/// EF.DIR record length.
const DIR_RECORD: usize = 0x20;
/// EF.ARR record length.
const ARR_RECORD: usize = 0x20;

/// `PEHeader { mandated NULL, identification }` as the first field (`[0]`) of a PE.
fn pe_header(id: u16) -> Vec<u8> {
    tlv(&[0xA0], &cat(&[&[0x80, 0x00], &tlv(&[0x81], &uint(u64::from(id)))]))
}

/// DER INTEGER contents of a non-negative number (X.690 §8.3: minimal, sign bit clear).
pub fn uint(n: u64) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(7);
    let mut out: Vec<u8> = bytes.get(skip..).unwrap_or_default().to_vec();
    if out.first().is_some_and(|b| b & 0x80 != 0) {
        out.insert(0, 0);
    }
    out
}

/// Minimal unsigned big-endian bytes (efFileSize: "no leading bytes set to '00'").
fn min_be(n: usize) -> Vec<u8> {
    let bytes = u64::try_from(n).unwrap_or(u64::MAX).to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(7);
    bytes.get(skip..).unwrap_or_default().to_vec()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// A `File` (`SEQUENCE OF CHOICE`) under the context tag of its PE field.
fn file(tag: u8, items: &[Vec<u8>]) -> Vec<u8> {
    tlv(&[tag], &items.concat())
}

/// `fillFileContent` (`[3]` of the `File` CHOICE).
fn fill(content: &[u8]) -> Vec<u8> {
    tlv(&[0x83], content)
}

/// The `Fcp` fields this generator sets, encoded in definition order (DER SEQUENCE).
#[derive(Default)]
struct Fcp<'a> {
    descriptor: Option<&'a [u8]>,
    fid: Option<[u8; 2]>,
    df_name: Option<&'a [u8]>,
    arr: Option<&'a [u8]>,
    size: Option<usize>,
    pin_status: Option<&'a [u8]>,
}

impl Fcp<'_> {
    fn encode(&self, tag: u8) -> Vec<u8> {
        let mut v = Vec::new();
        if let Some(d) = self.descriptor {
            v.extend(tlv(&[0x82], d));
        }
        if let Some(f) = self.fid {
            v.extend(tlv(&[0x83], &f));
        }
        if let Some(n) = self.df_name {
            v.extend(tlv(&[0x84], n));
        }
        if let Some(a) = self.arr {
            v.extend(tlv(&[0x8B], a));
        }
        if let Some(s) = self.size {
            v.extend(tlv(&[0x80], &min_be(s)));
        }
        if let Some(p) = self.pin_status {
            v.extend(tlv(&[0xC6], p));
        }
        tlv(&[tag], &v)
    }
}

/// `fileDescriptor` Fcp of a linear fixed EF (TS 102 222: `42 21` ‖ record length) of `size` bytes.
fn linear_fixed(record: usize, size: usize) -> Vec<u8> {
    let rl = u16::try_from(record).unwrap_or(0xFF).to_be_bytes();
    let descriptor = [0x42, 0x21, rl[0], rl[1]];
    Fcp { descriptor: Some(&descriptor), size: Some(size), ..Fcp::default() }.encode(0xA1)
}

/// An EF.ARR (`tag` = its field in the PE) with `n` records (TS 102 221 security attributes, expanded format).
/// The template record numbers mean: 1, 10, 11, 14 readable always; 5 read/update with PIN1;
/// the rest read with PIN1. Everything else needs ADM1. A small rule set, not TS.48's bytes.
fn arr_file(tag: u8, n: usize) -> Vec<u8> {
    const ALWAYS: &[u8] =
        &[0x80, 0x01, 0x01, 0x90, 0x00, 0x80, 0x01, 0x7E, 0xA4, 0x06, 0x83, 0x01, 0x0A, 0x95, 0x01, 0x08];
    const PIN1_RW: &[u8] = &[
        0x80, 0x01, 0x03, 0xA4, 0x06, 0x83, 0x01, 0x01, 0x95, 0x01, 0x08, 0x80, 0x01, 0x7C, 0xA4, 0x06, 0x83, 0x01,
        0x0A, 0x95, 0x01, 0x08,
    ];
    const PIN1_R: &[u8] = &[
        0x80, 0x01, 0x01, 0xA4, 0x06, 0x83, 0x01, 0x01, 0x95, 0x01, 0x08, 0x80, 0x01, 0x7E, 0xA4, 0x06, 0x83, 0x01,
        0x0A, 0x95, 0x01, 0x08,
    ];
    let mut content = Vec::with_capacity(n * ARR_RECORD);
    for record in 1..=n {
        let rule = match record {
            1 | 10 | 11 | 14 => ALWAYS,
            5 => PIN1_RW,
            _ => PIN1_R,
        };
        let start = content.len();
        content.extend_from_slice(rule);
        content.resize(start + ARR_RECORD, 0xFF);
    }
    file(tag, &[linear_fixed(ARR_RECORD, content.len()), fill(&content)])
}

/// A PIN/PUK value: ASCII digits padded with `FF` to 8 bytes (TS 102 221 PIN coding).
fn secret8(digits: &str) -> [u8; 8] {
    let mut v = [0xFF; 8];
    for (d, s) in v.iter_mut().zip(digits.bytes()) {
        *d = s;
    }
    v
}

/// EF.IMSI (TS 31.102 §4.2.2): length byte, then the digits as BCD, low nibble first, after a
/// first nibble of `9` (odd number of digits) or `1` (even); padded with `FF` to 9 bytes.
pub fn encode_imsi(imsi: &str) -> Vec<u8> {
    let digits: Vec<u8> = imsi.bytes().filter(u8::is_ascii_digit).map(|d| d - b'0').take(15).collect();
    let mut nibbles = vec![if digits.len() % 2 == 1 { 9 } else { 1 }];
    nibbles.extend(&digits);
    if nibbles.len() % 2 == 1 {
        nibbles.push(0xF);
    }
    let bcd: Vec<u8> = nibbles.chunks_exact(2).map(|p| p.iter().rev().fold(0, |a, n| (a << 4) | n)).collect();
    let mut out = vec![u8::try_from(bcd.len()).unwrap_or(8)];
    out.extend(bcd);
    out.resize(9, 0xFF);
    out
}

/// A `genericFileManagement` PE (`A1`) creating transparent EFs under the MF with `content` bytes in all.
fn padding_pe(id: u16, content: usize) -> Vec<u8> {
    const CHUNK: usize = 32_000;
    // Equal shares, so no EF is tiny and the overhead only changes when the EF count does.
    let files = content.div_ceil(CHUNK).max(1);
    let mut commands = Vec::new();
    let mut left = content;
    for (i, fid) in (0..files).zip(0x2F40u16..) {
        let n = left / (files - i);
        let data: Vec<u8> = (0..n).map(|i| u8::try_from(i % 251).unwrap_or(0)).collect();
        let fcp = Fcp {
            descriptor: Some(&[0x41, 0x21]),
            fid: Some(fid.to_be_bytes()),
            arr: Some(&[0x0A]),
            size: Some(n.max(1)),
            ..Fcp::default()
        };
        // FileManagement: filePath [0] (empty: the MF), createFCP [APPLICATION 2], fillFileContent [1].
        let cmd = cat(&[&[0x80, 0x00], &fcp.encode(0x62), &tlv(&[0x81], &data)]);
        commands.extend(tlv(&[0x30], &cmd));
        left -= n;
    }
    tlv(&[0xA1], &cat(&[&pe_header(id), &tlv(&[0xA1], &commands)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imsi_and_integers() {
        assert_eq!(encode_imsi("001010123456063"), [0x08, 0x09, 0x10, 0x10, 0x10, 0x32, 0x54, 0x06, 0x36]);
        assert_eq!(encode_imsi("00101012345606"), [0x08, 0x01, 0x10, 0x10, 0x10, 0x32, 0x54, 0x06, 0xF6]);
        assert_eq!(uint(0), [0]);
        assert_eq!(uint(127), [0x7F]);
        assert_eq!(uint(129), [0x00, 0x81]);
        assert_eq!(uint(0x7FFF), [0x7F, 0xFF]);
    }
}
