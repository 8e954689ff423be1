//! ISD-P: one profile's security domain, built from a Bound Profile Package.
//!
//! Spec: SGP.22 v2.5 §2.5.5 (BPP structure), §5.7.6 (ES10b.LoadBoundProfilePackage),
//! §5.5 (ES8+ ConfigureISDP, StoreMetadata, ReplaceSessionKeys, LoadProfileElements).
//!
//! The BPP arrives as a byte stream, cut wherever the LPA likes (lpac: the BF36
//! header with BF23, then `A0…`, the `A1` header, each `88`, `A2…`, the `A3`
//! header, each `86`). [`BppLoader::feed`] consumes whole units as they complete
//! and keeps at most one unfinished unit (≤ one segment) buffered.
//!
//! ```text
//!  A0 { 87… }         ConfigureISDP        (encrypted; session keys)
//!  A1 { 88… }         StoreMetadata        (MAC only)
//!  A2 { 87 }?         ReplaceSessionKeys   (encrypted) → PPKs, counter and MCV restart
//!  A3 { 86… }         profile elements     (encrypted; PPKs if A2 came, else session keys)
//! ```
//! Anything out of this order, a bad C-MAC, bad padding or malformed content
//! stops the load with the `ErrorResult` (bppCommandId, errorReason) SGP.22 names.

use crate::asn1::download::{
    ConfigureIsdpRequest, ReplaceSessionKeysRequest, STORE_METADATA_V3_TAGS, StoreMetadataRequest,
};
use crate::crypto::CryptoProvider;
use crate::scp03t::{self, Bsp, SessionKeys};
use alloc::boxed::Box;
use alloc::vec::Vec;

pub use crate::asn1::codes::{BppCommandId as BppCommand, ErrorReason};

/// A load that stopped: which BPP command failed, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BppError {
    /// The failing command.
    pub command: BppCommand,
    /// The reason.
    pub reason: ErrorReason,
}

fn fail(command: BppCommand, reason: ErrorReason) -> BppError {
    BppError { command, reason }
}

fn scp(command: BppCommand, e: scp03t::Error) -> BppError {
    match e {
        scp03t::Error::Mac => fail(command, ErrorReason::Scp03tSecurityError),
        scp03t::Error::Structure | scp03t::Error::Kdf => fail(command, ErrorReason::Scp03tStructureError),
    }
}

/// Where the loader is in the BPP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Next: the `A0` header.
    ExpectA0,
    /// Inside `A0` (ConfigureISDP `87`s).
    InA0,
    /// Next: the `A1` header.
    ExpectA1,
    /// Inside `A1` (StoreMetadata `88`s).
    InA1,
    /// Next: `A2` (ReplaceSessionKeys) or `A3`.
    ExpectA2OrA3,
    /// Inside `A2`.
    InA2,
    /// Next: the `A3` header (after `A2`).
    ExpectA3,
    /// Inside `A3` (profile element `86`s).
    InA3,
    /// All of the BPP was consumed.
    Done,
}

impl Stage {
    fn command(self) -> BppCommand {
        match self {
            Stage::ExpectA0 | Stage::InA0 => BppCommand::ConfigureIsdp,
            Stage::ExpectA1 | Stage::InA1 => BppCommand::StoreMetadata,
            Stage::ExpectA2OrA3 | Stage::InA2 => BppCommand::ReplaceSessionKeys,
            Stage::ExpectA3 | Stage::InA3 | Stage::Done => BppCommand::LoadProfileElements,
        }
    }
}

/// What the loader has after a complete BPP.
#[derive(Debug)]
pub struct LoadedProfile {
    /// ConfigureISDP content.
    pub configure: ConfigureIsdpRequest,
    /// StoreMetadata content.
    pub metadata: StoreMetadataRequest,
    /// The Unprotected Profile Package: the profile elements exactly as delivered.
    pub upp: Vec<u8>,
}

/// Progress after a [`BppLoader::feed`].
#[derive(Debug)]
pub enum Progress {
    /// More of the BPP is expected.
    NeedMore,
    /// StoreMetadata is complete ([`BppLoader::metadata`]): the card checks it before any
    /// profile element is decrypted, then calls `feed(&[])` to go on with the bytes it holds.
    Metadata,
    /// The BPP is complete.
    Complete(Box<LoadedProfile>),
}

/// The streaming loader of one BPP, after InitialiseSecureChannel.
#[derive(Debug)]
pub struct BppLoader {
    bsp: Bsp,
    stage: Stage,
    /// Bytes received but not yet consumed (at most one unit).
    pending: Vec<u8>,
    /// Bytes of the BF36 value still to come.
    remaining_bpp: usize,
    /// Bytes of the current `A0`–`A3` value still to come.
    remaining_seq: usize,
    /// Plaintext gathered inside the current sequence.
    plain: Vec<u8>,
    configure: Option<ConfigureIsdpRequest>,
    metadata: Option<StoreMetadataRequest>,
    /// StoreMetadata just completed and was not yet reported.
    metadata_new: bool,
    upp: Vec<u8>,
    max_upp: usize,
    /// StoreMetadata's SGP.22 v3 members are decoded (a v3 card), else stripped unread.
    v3_metadata: bool,
}

/// Reads a BER header (one-byte tag, definite length ≤ 3 length bytes):
/// `Ok(None)` if `b` does not yet hold all of it.
fn header(b: &[u8]) -> Result<Option<(u8, usize, usize)>, ()> {
    let Some(&tag) = b.first() else { return Ok(None) };
    if tag & 0x1F == 0x1F {
        return Err(());
    }
    match crate::asn1::tlv::length(b.get(1..).unwrap_or_default(), 3) {
        Ok(l) => Ok(Some((tag, l.len, 1 + l.size))),
        Err(crate::asn1::tlv::Fault::Truncated) => Ok(None),
        Err(_) => Err(()),
    }
}

impl BppLoader {
    /// A loader for a BPP whose BF36 value (after the BF23 TLV) has `remaining_bpp`
    /// more bytes, protected with `keys`. `max_upp` bounds the profile size
    /// (free memory): a larger profile fails with `installFailedDueToInsufficientMemoryForProfile`.
    pub fn new(
        crypto: &'static dyn CryptoProvider,
        keys: &SessionKeys,
        remaining_bpp: usize,
        max_upp: usize,
    ) -> BppLoader {
        BppLoader {
            bsp: Bsp::new(crypto, keys),
            stage: Stage::ExpectA0,
            pending: Vec::new(),
            remaining_bpp,
            remaining_seq: 0,
            plain: Vec::new(),
            configure: None,
            metadata: None,
            metadata_new: false,
            upp: Vec::new(),
            max_upp,
            v3_metadata: false,
        }
    }

    /// The loader of a v3 card (`v3`): StoreMetadata's SGP.22 v3 members
    /// (`download::STORE_METADATA_V3_TAGS`) are decoded and kept in [`BppLoader::metadata`].
    /// Without it (a v2.5 card) they are removed before StoreMetadata is decoded, whatever they
    /// hold, so the card ignores them as it always did.
    pub fn with_v3_metadata(mut self, v3: bool) -> BppLoader {
        self.v3_metadata = v3;
        self
    }

    /// The ConfigureISDP content, once its sequence is complete.
    pub fn configure(&self) -> Option<&ConfigureIsdpRequest> {
        self.configure.as_ref()
    }

    /// The StoreMetadata content, once its sequence is complete.
    pub fn metadata(&self) -> Option<&StoreMetadataRequest> {
        self.metadata.as_ref()
    }

    /// The BPP command the loader is working on (for an interruption's ErrorResult).
    pub(crate) fn current_command(&self) -> BppCommand {
        self.stage.command()
    }

    /// Takes the next bytes of the BPP stream.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Progress, BppError> {
        let command = self.stage.command();
        let structure = || fail(command, ErrorReason::Scp03tStructureError);
        if self.pending.len().saturating_add(bytes.len()) > self.remaining_bpp {
            return Err(structure());
        }
        self.pending.extend_from_slice(bytes);
        loop {
            if self.stage == Stage::Done {
                return Ok(Progress::Complete(Box::new(self.finish()?)));
            }
            match self.step()? {
                true if core::mem::take(&mut self.metadata_new) => return Ok(Progress::Metadata),
                true => continue,
                false => {
                    if self.pending.len() > scp03t::MAX_SEGMENT {
                        return Err(fail(self.stage.command(), ErrorReason::Scp03tStructureError));
                    }
                    return Ok(Progress::NeedMore);
                }
            }
        }
    }

    /// Consumes one unit if complete; `Ok(false)` if more bytes are needed.
    fn step(&mut self) -> Result<bool, BppError> {
        let command = self.stage.command();
        let structure = fail(command, ErrorReason::Scp03tStructureError);
        let Some((tag, len, hdr)) = header(&self.pending).map_err(|()| structure)? else {
            return Ok(false);
        };
        let expect_seq = |want: &[u8]| if want.contains(&tag) { Ok(()) } else { Err(structure) };
        match self.stage {
            Stage::ExpectA0 | Stage::ExpectA1 | Stage::ExpectA2OrA3 | Stage::ExpectA3 => {
                let next = match (self.stage, tag) {
                    (Stage::ExpectA0, 0xA0) => Stage::InA0,
                    (Stage::ExpectA1, 0xA1) => Stage::InA1,
                    (Stage::ExpectA2OrA3, 0xA2) => Stage::InA2,
                    (Stage::ExpectA2OrA3 | Stage::ExpectA3, 0xA3) => Stage::InA3,
                    _ => {
                        return Err(fail(
                            if tag == 0xA3 { BppCommand::LoadProfileElements } else { command },
                            ErrorReason::Scp03tStructureError,
                        ));
                    }
                };
                self.remaining_bpp = self.remaining_bpp.checked_sub(hdr).ok_or(structure)?;
                if len == 0 || len > self.remaining_bpp {
                    return Err(structure);
                }
                self.pending.drain(..hdr);
                self.remaining_seq = len;
                self.stage = next;
                Ok(true)
            }
            Stage::InA0 | Stage::InA1 | Stage::InA2 | Stage::InA3 => {
                let (seg_tag, encrypted) = match self.stage {
                    Stage::InA0 | Stage::InA2 => (0x87, true),
                    Stage::InA1 => (0x88, false),
                    _ => (0x86, true),
                };
                expect_seq(&[seg_tag])?;
                let total = hdr.checked_add(len).ok_or(structure)?;
                if total > self.remaining_seq || total > scp03t::MAX_SEGMENT {
                    return Err(structure);
                }
                let Some(segment) = self.pending.get(..total) else { return Ok(false) };
                let plain = self.bsp.unwrap(segment, seg_tag, encrypted).map_err(|e| scp(command, e))?;
                self.pending.drain(..total);
                self.remaining_seq -= total;
                self.remaining_bpp = self.remaining_bpp.checked_sub(total).ok_or(structure)?;
                if self.stage == Stage::InA3 {
                    if self.upp.len().saturating_add(plain.len()) > self.max_upp {
                        return Err(fail(command, ErrorReason::InsufficientMemory));
                    }
                    self.upp.extend_from_slice(&plain);
                } else {
                    self.plain.extend_from_slice(&plain);
                }
                if self.remaining_seq == 0 {
                    self.close_sequence()?;
                }
                Ok(true)
            }
            Stage::Done => Ok(false),
        }
    }

    /// The last segment of a sequence arrived: decode its content and move on.
    fn close_sequence(&mut self) -> Result<(), BppError> {
        let content = core::mem::take(&mut self.plain);
        let command = self.stage.command();
        let bad = fail(command, ErrorReason::IncorrectInputValues);
        self.stage = match self.stage {
            Stage::InA0 => {
                self.configure = Some(crate::asn1::ext::decode(&content).map_err(|_| bad)?);
                Stage::ExpectA1
            }
            Stage::InA1 => {
                let skip: &[_] = if self.v3_metadata { &[] } else { &STORE_METADATA_V3_TAGS };
                self.metadata = Some(crate::asn1::ext::decode_without(&content, skip).map_err(|_| bad)?);
                self.metadata_new = true;
                Stage::ExpectA2OrA3
            }
            Stage::InA2 => {
                let rsk: ReplaceSessionKeysRequest = crate::asn1::ext::decode(&content).map_err(|_| bad)?;
                let key = |v: &[u8]| <[u8; 16]>::try_from(v).map_err(|_| bad);
                let keys =
                    SessionKeys::new(key(&rsk.ppk_enc)?, key(&rsk.ppk_cmac)?, key(&rsk.initial_mac_chaining_value)?);
                self.bsp.replace_keys(&keys);
                Stage::ExpectA3
            }
            Stage::InA3 => {
                if self.remaining_bpp != 0 {
                    return Err(fail(BppCommand::LoadProfileElements, ErrorReason::Scp03tStructureError));
                }
                Stage::Done
            }
            other => other,
        };
        Ok(())
    }

    fn finish(&mut self) -> Result<LoadedProfile, BppError> {
        let missing = fail(BppCommand::LoadProfileElements, ErrorReason::Scp03tStructureError);
        if !self.pending.is_empty() {
            return Err(missing);
        }
        Ok(LoadedProfile {
            configure: self.configure.take().ok_or(missing)?,
            metadata: self.metadata.take().ok_or(missing)?,
            upp: core::mem::take(&mut self.upp),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asn1::tlv::tlv;
    use crate::crypto::RUST_CRYPTO;
    use alloc::vec;

    fn keys() -> SessionKeys {
        SessionKeys::new([1; 16], [2; 16], [3; 16])
    }

    /// Builds the BF36 value after BF23 the way an SM-DP+ does.
    fn bpp_body(upp: &[u8], with_rsk: bool) -> Vec<u8> {
        let md = rasn::der::encode(&StoreMetadataRequest::new(vec![0x98; 10], "SP", "Name")).unwrap();
        bpp_body_with_metadata(upp, with_rsk, &md)
    }

    fn bpp_body_with_metadata(upp: &[u8], with_rsk: bool, md: &[u8]) -> Vec<u8> {
        let mut tx = Bsp::new(&RUST_CRYPTO, &keys());
        let mut out = vec![];
        let configure = tx.wrap(0x87, &[0xBF, 0x24, 0x00], true).unwrap();
        out.extend(tlv(&[0xA0], &configure));
        let mut segs = vec![];
        for chunk in md.chunks(5) {
            segs.extend(tx.wrap(0x88, chunk, false).unwrap());
        }
        out.extend(tlv(&[0xA1], &segs));
        if with_rsk {
            let rsk = rasn::der::encode(&ReplaceSessionKeysRequest::new([9; 16], [7; 16], [8; 16])).unwrap();
            out.extend(tlv(&[0xA2], &tx.wrap(0x87, &rsk, true).unwrap()));
            tx.replace_keys(&SessionKeys::new([7; 16], [8; 16], [9; 16]));
        }
        let mut segs = vec![];
        for chunk in upp.chunks(1007) {
            segs.extend(tx.wrap(0x86, chunk, true).unwrap());
        }
        out.extend(tlv(&[0xA3], &segs));
        out
    }

    fn load(body: &[u8], cut: usize) -> Result<LoadedProfile, BppError> {
        let mut loader = BppLoader::new(&RUST_CRYPTO, &keys(), body.len(), 1 << 20);
        let mut last = None;
        for piece in body.chunks(cut.max(1)) {
            let mut progress = loader.feed(piece)?;
            while let Progress::Metadata = progress {
                assert_eq!(loader.metadata().unwrap().profile_name.as_str(), "Name");
                progress = loader.feed(&[])?;
            }
            if let Progress::Complete(p) = progress {
                last = Some(*p);
            }
        }
        last.ok_or(fail(BppCommand::LoadProfileElements, ErrorReason::Interruption))
    }

    /// StoreMetadata fields outside their SIZE are refused as incorrectInputValues before
    /// anything is kept: a 100,000-character profileName (SIZE(0..64)), a 33-character
    /// serviceProviderName (SIZE(0..32)), a 9-byte ICCID (SIZE(10)).
    #[test]
    fn store_metadata_size_limits() {
        let md = |iccid: &[u8], spn: &str, name: &str| {
            let mut body = tlv(&[0x5A], iccid);
            body.extend(tlv(&[0x91], spn.as_bytes()));
            body.extend(tlv(&[0x92], name.as_bytes()));
            tlv(&[0xBF, 0x25], &body)
        };
        let refused = fail(BppCommand::StoreMetadata, ErrorReason::IncorrectInputValues);
        let long_name = "n".repeat(100_000);
        for bad in
            [md(&[0x98; 10], "SP", &long_name), md(&[0x98; 10], &"s".repeat(33), "Name"), md(&[0x98; 9], "SP", "Name")]
        {
            let body = bpp_body_with_metadata(&[0xA0, 0x00], false, &bad);
            let mut loader = BppLoader::new(&RUST_CRYPTO, &keys(), body.len(), 1 << 20);
            assert_eq!(loader.feed(&body).err(), Some(refused));
            assert!(loader.metadata().is_none());
        }
        // At the bounds: 64 and 32 characters of two-byte UTF-8 are fine.
        let ok = md(&[0x98; 10], &"é".repeat(32), &"é".repeat(64));
        let body = bpp_body_with_metadata(&[0xA0, 0x00], false, &ok);
        let mut loader = BppLoader::new(&RUST_CRYPTO, &keys(), body.len(), 1 << 20);
        assert!(matches!(loader.feed(&body), Ok(Progress::Metadata)));
        assert_eq!(loader.metadata().map(|m| m.profile_name.chars().count()), Some(64));
    }

    #[test]
    fn loads_in_any_cut() {
        let upp: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
        for rsk in [false, true] {
            let body = bpp_body(&upp, rsk);
            for cut in [1, 7, 100, 1020, 5000] {
                let p = load(&body, cut).unwrap();
                assert_eq!(p.upp, upp, "cut {cut} rsk {rsk}");
                assert_eq!(p.metadata.profile_name.as_str(), "Name");
            }
        }
    }

    #[test]
    fn every_flipped_bit_is_caught() {
        let body = bpp_body(&[0xAA; 40], true);
        for i in (0..body.len()).step_by(3) {
            let mut bad = body.clone();
            bad[i] ^= 0x04;
            let r = load(&bad, 64);
            assert!(r.is_err(), "flip at {i} went unnoticed");
        }
    }

    #[test]
    fn error_codes() {
        let body = bpp_body(&[0xAA; 40], false);
        // Tamper with the MAC of the ConfigureISDP segment (last byte of A0).
        let a0_len = usize::from(body[1]) + 2;
        let mut bad = body.clone();
        bad[a0_len - 1] ^= 1;
        assert_eq!(load(&bad, 2000).unwrap_err(), fail(BppCommand::ConfigureIsdp, ErrorReason::Scp03tSecurityError));
        // Sequences out of order: A1 first.
        let mut bad = body.clone();
        bad[0] = 0xA1;
        assert_eq!(load(&bad, 2000).unwrap_err(), fail(BppCommand::ConfigureIsdp, ErrorReason::Scp03tStructureError));
        // Too little memory for the profile.
        let mut loader = BppLoader::new(&RUST_CRYPTO, &keys(), body.len(), 10);
        assert!(matches!(loader.feed(&body), Ok(Progress::Metadata)), "the loader stops after StoreMetadata");
        assert_eq!(
            loader.feed(&[]).unwrap_err(),
            fail(BppCommand::LoadProfileElements, ErrorReason::InsufficientMemory)
        );
        // More bytes than BF36 announced.
        let mut loader = BppLoader::new(&RUST_CRYPTO, &keys(), body.len() - 1, 1 << 20);
        assert!(loader.feed(&body).is_err());
    }

    proptest::proptest! {
        #[test]
        fn hostile_streams_never_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..3000),
            cut in 1usize..600,
            announced in 0usize..4000,
        ) {
            let mut loader = BppLoader::new(&RUST_CRYPTO, &keys(), announced, 2000);
            for piece in bytes.chunks(cut) {
                if loader.feed(piece).is_err() {
                    break;
                }
            }
        }

        #[test]
        fn mutated_bpps_never_panic(pos in 0usize..4000, xor in 1u8..=255, cut in 1usize..900) {
            let mut body = bpp_body(&[0x5A; 2500], true);
            let i = pos % body.len();
            body[i] ^= xor;
            let _ = load(&body, cut);
        }
    }
}
