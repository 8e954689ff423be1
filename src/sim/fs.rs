//! The runtime file system of an enabled profile (ETSI TS 102 221 §8, §11.1): the tree a
//! [`Profile`] describes, with each EF's current content, file selection, the FCP and the
//! GSM (TS 51.011 §9.2.1) response, and the EF operations (binary, record, search, increase).
//!
//! Pure: no access conditions (the SIM application checks EF.ARR before calling in), no
//! persistence (the application records which files changed, [`Tree::take_dirty`]).
//!
//! Facts used:
//! * File selection by FID (TS 102 221 §8.4.1): from the current DF, the MF (`3F00`), the
//!   current DF itself, an immediate child of it, its parent, a DF child of its parent, and
//!   the current application's ADF (`7FFF`). An ADF is never selected by its package FID.
//! * Cyclic EFs keep record 1 as the most recently written (§8.2.3); here the content is
//!   stored in that logical order, so a write rotates the records.
//! * FCP (§11.1.1.3): `62 { 82 FDB DCB [rec len 2, n 1], 83 FID, [84 AID], [A5 …], 8A LCSI,
//!   8B ARR, [C6 PIN status] | 80 size, 88 SFI }`; FDB: shareable `40` | transparent `01`,
//!   linear fixed `02`, cyclic `06`, BER-TLV `39`, DF `38`; DCB `21`.

use alloc::vec::Vec;

use crate::apdu::Status;
use crate::asn1::tlv::first_tlv;
use crate::saip::profile::{FileKind, FileNode, Profile};

/// The MF's file ID.
pub const MF: u16 = 0x3F00;
/// The current application's ADF (TS 102 221 §8.4.1).
pub(crate) const CURRENT_ADF: u16 = 0x7FFF;
/// Longest chain of link files followed to reach the content.
const LINK_DEPTH: usize = 4;

/// The files of one enabled profile.
#[derive(Clone)]
pub(crate) struct Tree {
    files: Vec<FileNode>,
    /// Children of each file, in creation order.
    children: Vec<Vec<usize>>,
    /// Files whose content changed since the last [`Tree::take_dirty`] (by content owner).
    dirty: Vec<usize>,
}

impl core::fmt::Debug for Tree {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Tree").field("files", &self.files.len()).finish_non_exhaustive()
    }
}

/// What a record command addresses (TS 102 221 §11.1.5 P2 b3–b1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecordMode {
    /// `04`: record P1, or the current record when P1 is `00`.
    Absolute(u8),
    /// `02`: the next record.
    Next,
    /// `03`: the previous record.
    Previous,
}

impl Tree {
    /// The tree of `profile`'s files with their initial content.
    pub(crate) fn new(profile: &Profile) -> Tree {
        let files = profile.files.clone();
        let mut children = alloc::vec![Vec::new(); files.len()];
        for (i, f) in files.iter().enumerate() {
            if let Some(list) = f.parent.and_then(|p| children.get_mut(p)) {
                list.push(i);
            }
        }
        Tree { files, children, dirty: Vec::new() }
    }

    /// File `i`.
    pub(crate) fn node(&self, i: usize) -> Option<&FileNode> {
        self.files.get(i)
    }

    /// Number of files.
    pub(crate) fn len(&self) -> usize {
        self.files.len()
    }

    /// The children of directory `dir`.
    pub(crate) fn children(&self, dir: usize) -> &[usize] {
        self.children.get(dir).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether file `i` is a directory.
    pub(crate) fn is_dir(&self, i: usize) -> bool {
        self.node(i).is_some_and(|n| n.kind.is_dir())
    }

    /// The parent directory of `i` (`None` for the MF).
    pub(crate) fn parent(&self, i: usize) -> Option<usize> {
        self.node(i).and_then(|n| n.parent)
    }

    /// The ADF with AID `aid`, exactly or as a prefix (≥ 5 bytes: a partial AID, TS 102 221
    /// §8.5.1 — the first ADF in EF.DIR order matching it).
    pub(crate) fn adf_by_name(&self, name: &[u8]) -> Option<usize> {
        let adfs = || self.files.iter().enumerate().filter(|(_, f)| f.kind == FileKind::Adf);
        // EF.DIR order: the order of the `4F` AIDs in EF.DIR, then any other ADF.
        let dir_order = self.ef_dir_aids();
        dir_order
            .iter()
            .filter(|aid| aid.starts_with(name))
            .find_map(|aid| adfs().find(|(_, f)| f.aid.as_deref() == Some(aid.as_slice())).map(|(i, _)| i))
            .or_else(|| adfs().find(|(_, f)| f.aid.as_deref().is_some_and(|a| a.starts_with(name))).map(|(i, _)| i))
    }

    /// The AIDs EF.DIR (`2F00` under the MF) lists, in record order.
    pub(crate) fn ef_dir_aids(&self) -> Vec<Vec<u8>> {
        let Some(dir) = self.child(0, 0x2F00) else { return Vec::new() };
        let Some(FileKind::LinearFixed { record_len, .. }) = self.node(dir).map(|n| n.kind) else {
            return Vec::new();
        };
        self.content(dir)
            .chunks(usize::from(record_len.max(1)))
            .filter_map(|rec| {
                // 61 L { 4F L AID, … }
                let (tag, value, _) = first_tlv(rec)?;
                if tag != 0x61 {
                    return None;
                }
                let (inner, aid, _) = first_tlv(value)?;
                (inner == 0x4F).then(|| aid.to_vec())
            })
            .collect()
    }

    /// The immediate child of `dir` with file ID `fid` (ADFs excluded: they are selected by
    /// AID or `7FFF`).
    pub(crate) fn child(&self, dir: usize, fid: u16) -> Option<usize> {
        self.children(dir)
            .iter()
            .copied()
            .find(|&c| self.node(c).is_some_and(|n| n.fid == fid && n.kind != FileKind::Adf))
    }

    /// SELECT by file ID from current directory `dir`, with `adf` the channel's current
    /// application (TS 102 221 §8.4.1).
    pub(crate) fn select_fid(&self, dir: usize, adf: Option<usize>, fid: u16) -> Option<usize> {
        if fid == MF {
            return Some(0);
        }
        if fid == CURRENT_ADF {
            return adf;
        }
        let cur = self.node(dir)?;
        if cur.kind != FileKind::Adf && cur.fid == fid && dir != 0 {
            return Some(dir);
        }
        if let Some(c) = self.child(dir, fid) {
            return Some(c);
        }
        let parent = cur.parent?;
        if self.node(parent).is_some_and(|p| p.fid == fid && p.kind != FileKind::Adf) {
            return Some(parent);
        }
        if parent == 0 && adf == Some(parent) {
            return None;
        }
        self.child(parent, fid).filter(|&s| self.is_dir(s))
    }

    /// SELECT by path (P1 `08` from the MF, `09` from `start`): FIDs, 2 bytes each. A leading
    /// `7FFF` is the current ADF; under P1 `08` a leading `3F00` is tolerated.
    pub(crate) fn select_path(&self, start: usize, adf: Option<usize>, path: &[u8], from_mf: bool) -> Option<usize> {
        if path.is_empty() || !path.len().is_multiple_of(2) {
            return None;
        }
        let mut at = start;
        for (n, pair) in path.chunks_exact(2).enumerate() {
            let fid = u16::from_be_bytes([*pair.first()?, *pair.get(1)?]);
            if !self.is_dir(at) {
                return None;
            }
            at = match fid {
                CURRENT_ADF if n == 0 => adf?,
                MF if n == 0 && from_mf => 0,
                _ => self.child(at, fid)?,
            };
        }
        Some(at)
    }

    /// The file that holds `i`'s content (a link file reads its target's).
    pub(crate) fn owner(&self, i: usize) -> usize {
        let mut at = i;
        for _ in 0..LINK_DEPTH {
            match self.node(at).and_then(|n| n.link) {
                Some(target) => at = target,
                None => break,
            }
        }
        at
    }

    /// The current content of EF `i`.
    pub(crate) fn content(&self, i: usize) -> &[u8] {
        self.node(self.owner(i)).map(|n| n.content.as_slice()).unwrap_or(&[])
    }

    /// Replaces the content of `i`'s owner (restoring persisted state; no length check
    /// beyond the file's kind). False if it does not fit.
    pub(crate) fn restore(&mut self, i: usize, content: Vec<u8>) -> bool {
        let owner = self.owner(i);
        let fits = match self.node(owner).map(|n| n.kind) {
            Some(FileKind::Transparent { size }) => content.len() == size,
            Some(FileKind::LinearFixed { record_len, records } | FileKind::Cyclic { record_len, records }) => {
                content.len() == usize::from(record_len) * usize::from(records)
            }
            Some(FileKind::BerTlv { max_size }) => content.len() <= max_size,
            _ => false,
        };
        match self.files.get_mut(owner) {
            Some(node) if fits => {
                node.content = content;
                true
            }
            _ => false,
        }
    }

    /// Files changed since the last call, with their content (each owner once).
    pub(crate) fn take_dirty(&mut self) -> Vec<usize> {
        let mut d = core::mem::take(&mut self.dirty);
        d.sort_unstable();
        d.dedup();
        d
    }

    /// Marks `i`'s owner as changed, and gives its content to change.
    fn content_mut(&mut self, i: usize) -> Option<&mut Vec<u8>> {
        let owner = self.owner(i);
        self.dirty.push(owner);
        self.files.get_mut(owner).map(|n| &mut n.content)
    }

    /// The kind of `i` as read and written: a link file's target's.
    pub(crate) fn kind(&self, i: usize) -> Option<FileKind> {
        self.node(self.owner(i)).map(|n| n.kind)
    }

    /// READ BINARY: up to `ne` bytes from `offset` (TS 102 221 §11.1.3). Offset past the
    /// end → `6B00`; not transparent → `6981`.
    pub(crate) fn read_binary(&self, i: usize, offset: usize, ne: usize) -> Result<Vec<u8>, Status> {
        let Some(FileKind::Transparent { size }) = self.kind(i) else {
            return Err(Status::IncompatibleFileStructure);
        };
        if offset >= size && !(offset == 0 && size == 0) {
            return Err(Status::WrongP1P2);
        }
        let data = self.content(i);
        let end = offset.saturating_add(ne).min(size);
        Ok(data.get(offset..end).unwrap_or(&[]).to_vec())
    }

    /// UPDATE BINARY (§11.1.4): `data` at `offset`. Offset past the end → `6B00`, data past
    /// the end → `6700`.
    pub(crate) fn update_binary(&mut self, i: usize, offset: usize, data: &[u8]) -> Result<(), Status> {
        let Some(FileKind::Transparent { size }) = self.kind(i) else {
            return Err(Status::IncompatibleFileStructure);
        };
        if offset >= size {
            return Err(Status::WrongP1P2);
        }
        if offset.saturating_add(data.len()) > size {
            return Err(Status::WrongLength);
        }
        let content = self.content_mut(i).ok_or(Status::Unknown)?;
        let slot = content.get_mut(offset..offset + data.len()).ok_or(Status::Unknown)?;
        slot.copy_from_slice(data);
        Ok(())
    }

    /// Record length and count of a record EF; whether it is cyclic.
    pub(crate) fn records(&self, i: usize) -> Result<(usize, u8, bool), Status> {
        match self.kind(i) {
            Some(FileKind::LinearFixed { record_len, records }) => Ok((usize::from(record_len), records, false)),
            Some(FileKind::Cyclic { record_len, records }) => Ok((usize::from(record_len), records, true)),
            _ => Err(Status::IncompatibleFileStructure),
        }
    }

    /// The record number a record command addresses, and the new record pointer
    /// (TS 102 221 §11.1.5: absolute mode leaves the pointer alone; next/previous move it
    /// and, on a linear fixed EF, stop at the ends with `6A83`; a cyclic EF wraps).
    pub(crate) fn resolve(&self, i: usize, mode: RecordMode, pointer: Option<u8>) -> Result<(u8, Option<u8>), Status> {
        let (_, n, cyclic) = self.records(i)?;
        if n == 0 {
            return Err(Status::RecordNotFound);
        }
        match mode {
            RecordMode::Absolute(0) => pointer.map(|p| (p, Some(p))).ok_or(Status::RecordNotFound),
            RecordMode::Absolute(r) if r <= n => Ok((r, pointer)),
            RecordMode::Absolute(_) => Err(Status::RecordNotFound),
            RecordMode::Next => {
                let r = match pointer {
                    None => 1,
                    Some(p) if p < n => p + 1,
                    Some(_) if cyclic => 1,
                    Some(_) => return Err(Status::RecordNotFound),
                };
                Ok((r, Some(r)))
            }
            RecordMode::Previous => {
                let r = match pointer {
                    None => n,
                    Some(p) if p > 1 => p - 1,
                    Some(_) if cyclic => n,
                    Some(_) => return Err(Status::RecordNotFound),
                };
                Ok((r, Some(r)))
            }
        }
    }

    /// Record `r` (1-based) of EF `i`.
    pub(crate) fn record(&self, i: usize, r: u8) -> Result<&[u8], Status> {
        let (len, n, _) = self.records(i)?;
        if r == 0 || r > n {
            return Err(Status::RecordNotFound);
        }
        let start = usize::from(r - 1) * len;
        self.content(i).get(start..start + len).ok_or(Status::RecordNotFound)
    }

    /// UPDATE RECORD of record `r`: `data` must be exactly one record long (`6700`).
    pub(crate) fn update_record(&mut self, i: usize, r: u8, data: &[u8]) -> Result<(), Status> {
        let (len, n, _) = self.records(i)?;
        if data.len() != len {
            return Err(Status::WrongLength);
        }
        if r == 0 || r > n {
            return Err(Status::RecordNotFound);
        }
        let start = usize::from(r - 1) * len;
        let content = self.content_mut(i).ok_or(Status::Unknown)?;
        content.get_mut(start..start + len).ok_or(Status::RecordNotFound)?.copy_from_slice(data);
        Ok(())
    }

    /// Writes `data` as the new record 1 of cyclic EF `i`: the oldest record goes.
    pub(crate) fn push_cyclic(&mut self, i: usize, data: &[u8]) -> Result<(), Status> {
        let (len, n, cyclic) = self.records(i)?;
        if !cyclic {
            return Err(Status::IncompatibleFileStructure);
        }
        if data.len() != len {
            return Err(Status::WrongLength);
        }
        if n == 0 {
            return Err(Status::RecordNotFound);
        }
        let content = self.content_mut(i).ok_or(Status::Unknown)?;
        content.rotate_right(len);
        content.get_mut(..len).ok_or(Status::Unknown)?.copy_from_slice(data);
        Ok(())
    }

    /// SEARCH RECORD, simple search (TS 102 221 §11.1.7): the records from `from` on
    /// (forward) or down to it (backward) whose bytes start with `pattern`... anywhere in
    /// the record, as ISO 7816-4's simple search asks: the record numbers.
    pub(crate) fn search(&self, i: usize, from: u8, forward: bool, pattern: &[u8]) -> Result<Vec<u8>, Status> {
        let (len, n, _) = self.records(i)?;
        if pattern.is_empty() || pattern.len() > len {
            return Err(Status::WrongLength);
        }
        if from == 0 || from > n {
            return Err(Status::RecordNotFound);
        }
        let order: Vec<u8> = if forward { (from..=n).collect() } else { (1..=from).rev().collect() };
        let mut found = Vec::new();
        for r in order {
            let rec = self.record(i, r)?;
            if rec.windows(pattern.len()).any(|w| w == pattern) {
                found.push(r);
            }
        }
        Ok(found)
    }

    /// INCREASE (§11.1.8): adds `value` to record 1 of cyclic EF `i` and writes the sum as
    /// the new record 1. Returns the new record ‖ the value added. Overflow → `9850`.
    pub(crate) fn increase(&mut self, i: usize, value: &[u8]) -> Result<Vec<u8>, Status> {
        let (len, _, cyclic) = self.records(i)?;
        if !cyclic {
            return Err(Status::IncompatibleFileStructure);
        }
        if value.is_empty() || value.len() > len {
            return Err(Status::WrongLength);
        }
        let current = self.record(i, 1)?.to_vec();
        let mut sum = current;
        let mut carry = 0u16;
        let mut addend = value.iter().rev();
        for byte in sum.iter_mut().rev() {
            let add = u16::from(addend.next().copied().unwrap_or(0));
            let s = u16::from(*byte) + add + carry;
            *byte = (s & 0xFF) as u8;
            carry = s >> 8;
        }
        if carry != 0 {
            return Err(Status::Other(0x9850));
        }
        self.push_cyclic(i, &sum)?;
        let mut out = sum;
        out.extend_from_slice(value);
        Ok(out)
    }

    /// The BER-TLV objects of BER-TLV EF `i`: `(tag, whole TLV)` in file order.
    fn tlv_objects(&self, i: usize) -> Vec<(u32, core::ops::Range<usize>)> {
        let data = self.content(i);
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(rest) = data.get(at..) {
            if rest.is_empty() || rest.first() == Some(&0xFF) || rest.first() == Some(&0x00) {
                break;
            }
            let Some((tag, _, total)) = first_tlv(rest) else { break };
            out.push((tag, at..at + total));
            at += total;
        }
        out
    }

    /// RETRIEVE DATA (TS 102 221 §11.3.1): the whole TLV object with `tag`.
    pub(crate) fn retrieve(&self, i: usize, tag: u32) -> Result<Vec<u8>, Status> {
        let Some(FileKind::BerTlv { .. }) = self.kind(i) else {
            return Err(Status::IncompatibleFileStructure);
        };
        let data = self.content(i);
        let (_, range) =
            self.tlv_objects(i).into_iter().find(|(t, _)| *t == tag).ok_or(Status::ReferencedDataNotFound)?;
        data.get(range).map(<[u8]>::to_vec).ok_or(Status::Unknown)
    }

    /// SET DATA (§11.3.2): `object` (one TLV) replaces the object with its tag, or is
    /// appended; a TLV with no value deletes it. Not enough room → `6A84`.
    pub(crate) fn set_object(&mut self, i: usize, object: &[u8]) -> Result<(), Status> {
        let Some(FileKind::BerTlv { max_size }) = self.kind(i) else {
            return Err(Status::IncompatibleFileStructure);
        };
        let (tag, value, total) = first_tlv(object).ok_or(Status::IncorrectData)?;
        if total != object.len() || tag == 0 {
            return Err(Status::IncorrectData);
        }
        let objects = self.tlv_objects(i);
        let old = self.content(i);
        let mut next = Vec::with_capacity(old.len() + object.len());
        for (t, range) in &objects {
            if *t != tag {
                next.extend_from_slice(old.get(range.clone()).unwrap_or(&[]));
            }
        }
        if !value.is_empty() {
            next.extend_from_slice(object);
        } else if !objects.iter().any(|(t, _)| *t == tag) {
            return Err(Status::ReferencedDataNotFound);
        }
        if next.len() > max_size {
            return Err(Status::NotEnoughMemory);
        }
        *self.content_mut(i).ok_or(Status::Unknown)? = next;
        Ok(())
    }

    /// The FCP template of file `i` (TS 102 221 §11.1.1.3); `pin_status` is the `C6` value
    /// for a directory (the PIN enable state now, not the package's).
    pub(crate) fn fcp(&self, i: usize, pin_status: Option<&[u8]>) -> Vec<u8> {
        let Some(node) = self.node(i) else { return Vec::new() };
        let kind = self.kind(i).unwrap_or(node.kind);
        let mut body = Vec::with_capacity(64);
        let share = if node.shareable { 0x40 } else { 0 };
        match kind {
            FileKind::Mf | FileKind::Df | FileKind::Adf => push_tlv(&mut body, 0x82, &[share | 0x38, 0x21]),
            FileKind::Transparent { .. } => push_tlv(&mut body, 0x82, &[share | 0x01, 0x21]),
            FileKind::LinearFixed { record_len, records } => {
                push_tlv(&mut body, 0x82, &[share | 0x02, 0x21, 0x00, record_len, records])
            }
            FileKind::Cyclic { record_len, records } => {
                push_tlv(&mut body, 0x82, &[share | 0x06, 0x21, 0x00, record_len, records])
            }
            FileKind::BerTlv { .. } => push_tlv(&mut body, 0x82, &[share | 0x39, 0x21]),
        }
        let fid = if node.kind == FileKind::Adf { CURRENT_ADF } else { node.fid };
        push_tlv(&mut body, 0x83, &fid.to_be_bytes());
        if let Some(aid) = node.aid.as_deref().filter(|_| node.kind == FileKind::Adf) {
            push_tlv(&mut body, 0x84, aid);
        }
        match node.kind {
            FileKind::Mf | FileKind::Adf => {
                // UICC characteristics (§11.1.1.4.6.1): clock stop allowed, 3 V and 1.8 V.
                let mut a5 = Vec::new();
                push_tlv(&mut a5, 0x80, &[0x71]);
                push_tlv(&mut body, 0xA5, &a5);
            }
            _ if node.special != 0 => {
                let mut a5 = Vec::new();
                push_tlv(&mut a5, 0xC0, &[node.special]);
                push_tlv(&mut body, 0xA5, &a5);
            }
            _ => {}
        }
        push_tlv(&mut body, 0x8A, &[node.lcsi]);
        if !node.security.is_empty() {
            push_tlv(&mut body, 0x8B, &node.security);
        }
        if kind.is_dir() {
            if let Some(c6) = pin_status.filter(|c| !c.is_empty()) {
                push_tlv(&mut body, 0xC6, c6);
            }
            push_tlv(&mut body, 0x81, &[0x00, 0x00]);
        } else {
            let size = match kind {
                FileKind::Transparent { size } | FileKind::BerTlv { max_size: size } => size,
                FileKind::LinearFixed { record_len, records } | FileKind::Cyclic { record_len, records } => {
                    usize::from(record_len) * usize::from(records)
                }
                _ => 0,
            };
            let size = u16::try_from(size).unwrap_or(u16::MAX);
            push_tlv(&mut body, 0x80, &size.to_be_bytes());
            match node.sfi {
                Some(sfi) => push_tlv(&mut body, 0x88, &[sfi << 3]),
                None => push_tlv(&mut body, 0x88, &[]),
            }
        }
        let mut out = Vec::with_capacity(body.len() + 3);
        push_tlv(&mut out, 0x62, &body);
        out
    }

    /// The response to a GSM SELECT (TS 51.011 §9.2.1), with `access` the three access
    /// condition bytes of an EF and `chv` the CHV status bytes of a DF (CHV1, UNBLOCK CHV1,
    /// CHV2, UNBLOCK CHV2).
    pub(crate) fn gsm_response(&self, i: usize, access: [u8; 3], chv: [u8; 4]) -> Vec<u8> {
        let Some(node) = self.node(i) else { return Vec::new() };
        let fid = node.fid.to_be_bytes();
        match self.kind(i).unwrap_or(node.kind) {
            FileKind::Mf | FileKind::Df | FileKind::Adf => {
                let dfs = self.children(i).iter().filter(|&&c| self.is_dir(c)).count();
                let efs = self.children(i).len() - dfs;
                let ty = if i == 0 { 0x01 } else { 0x02 };
                let mut out = alloc::vec![0x00, 0x00, 0x00, 0x00, fid[0], fid[1], ty, 0, 0, 0, 0, 0];
                // GSM specific data: characteristics, #DFs, #EFs, #CHVs, RFU, CHV statuses.
                out.extend_from_slice(&[10, 0xB0, sat_u8(dfs), sat_u8(efs), 0x04, 0x00]);
                out.extend_from_slice(&chv);
                out
            }
            kind => {
                let (size, structure, record_len) = match kind {
                    FileKind::Transparent { size } | FileKind::BerTlv { max_size: size } => (size, 0x00, 0),
                    FileKind::LinearFixed { record_len, records } => {
                        (usize::from(record_len) * usize::from(records), 0x01, record_len)
                    }
                    FileKind::Cyclic { record_len, records } => {
                        (usize::from(record_len) * usize::from(records), 0x03, record_len)
                    }
                    _ => (0, 0, 0),
                };
                let size = u16::try_from(size).unwrap_or(u16::MAX).to_be_bytes();
                let increase = if structure == 0x03 { 0x40 } else { 0x00 };
                let status = if node.lcsi & 0x01 != 0 { 0x01 } else { 0x00 };
                alloc::vec![
                    0x00, 0x00, size[0], size[1], fid[0], fid[1], 0x04, increase, access[0], access[1], access[2],
                    status, 0x02, structure, record_len,
                ]
            }
        }
    }
}

fn sat_u8(n: usize) -> u8 {
    u8::try_from(n).unwrap_or(u8::MAX)
}

/// Appends `tag` (1 byte) ‖ length ‖ `value`.
pub(crate) fn push_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    crate::asn1::tlv::push_len(out, value.len());
    out.extend_from_slice(value);
}
