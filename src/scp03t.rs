//! SCP03t (SGP.22 v2.x) / BSP (v3.x): the protection of Bound Profile Package segments.
//!
//! Spec: GSMA SGP.22 v2.5 §2.6.6 (ECKA + KDF, session keys), §5.5 / Annex B
//! (BPP segments `87`/`88`/`86`), GlobalPlatform Amd. D (SCP03) for the C-MAC
//! chaining and the counter-derived ICV. Summarised and verified against
//! independent vectors in `../shared/spec/scp03t.md`.
//!
//! ```text
//! KDF   K_i = SHA-256(Z ‖ i as u32 BE ‖ SharedInfo), i = 1, 2   (ANSI X9.63)
//!       SharedInfo = keyType ‖ keyLength ‖ len(hostId) ‖ hostId ‖ len(EID) ‖ EID
//!       K_1‖K_2 [0..16] = initial MAC chaining value, [16..32] = S-ENC, [32..48] = S-MAC
//! seg   tag ‖ L ‖ body ‖ C-MAC(8)     L = BER length of body + 8
//!       body = AES-CBC(S-ENC, ICV, pad80(plaintext))   (87, 86)   or the plaintext (88)
//!       ICV  = AES(S-ENC, counter as 16 bytes BE); the counter starts at 1 and counts every segment
//!       MAC  = CMAC(S-MAC, MCV ‖ tag ‖ L ‖ body); C-MAC = its first 8 bytes; next MCV = all 16
//! ```
//! A segment is at most [`MAX_SEGMENT`] bytes. A wrong C-MAC is
//! `scp03tSecurityError`; a malformed TLV, length or padding is `scp03tStructureError`.
//!
//! Keys live in [`SessionKeys`] and [`Bsp`], both zeroized on drop; C-MACs are
//! compared in constant time. AES, CMAC and SHA-256 come from a
//! [`CryptoProvider`] (the card passes its platform's).

use crate::crypto::CryptoProvider;
use alloc::vec::Vec;
use core::fmt;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Largest segment, tag and length and C-MAC included (SGP.22: 1020 bytes).
pub const MAX_SEGMENT: usize = 1020;
/// Length of the C-MAC appended to each segment.
pub const CMAC_LEN: usize = 8;

/// Why a segment was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The TLV, its length, its size or its padding is wrong (`scp03tStructureError`).
    Structure,
    /// The C-MAC does not verify (`scp03tSecurityError`).
    Mac,
    /// KDF input out of range (host identifier longer than 255 bytes).
    Kdf,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Structure => "malformed SCP03t segment",
            Error::Mac => "SCP03t C-MAC does not verify",
            Error::Kdf => "KDF input out of range",
        })
    }
}

impl core::error::Error for Error {}

/// S-ENC, S-MAC and the initial MAC chaining value of one session (or the PPKs
/// of ReplaceSessionKeys).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SessionKeys {
    /// S-ENC (or PPK-ENC).
    s_enc: [u8; 16],
    /// S-MAC (or PPK-MAC).
    s_mac: [u8; 16],
    /// Initial MAC chaining value.
    initial_mcv: [u8; 16],
}

impl fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKeys(<secret>)")
    }
}

impl SessionKeys {
    /// Keys given directly (ReplaceSessionKeys, tests).
    pub fn new(s_enc: [u8; 16], s_mac: [u8; 16], initial_mcv: [u8; 16]) -> SessionKeys {
        SessionKeys { s_enc, s_mac, initial_mcv }
    }

    /// The SGP.22 KDF (ANSI X9.63 with SHA-256) over the ECKA shared secret `z`
    /// and the CRT of InitialiseSecureChannel (key type, key length, host id) and the EID.
    pub fn derive(
        crypto: &dyn CryptoProvider,
        z: &[u8],
        key_type: u8,
        key_length: u8,
        host_id: &[u8],
        eid: &[u8; 16],
    ) -> Result<SessionKeys, Error> {
        let host_len = u8::try_from(host_id.len()).map_err(|_| Error::Kdf)?;
        let mut shared_info = Vec::with_capacity(20 + host_id.len());
        shared_info.extend_from_slice(&[key_type, key_length, host_len]);
        shared_info.extend_from_slice(host_id);
        shared_info.push(16);
        shared_info.extend_from_slice(eid);
        let mut out = [0u8; 64];
        crypto.kdf_x963_sha256(z, &shared_info, &mut out);
        let mut keys = SessionKeys { s_enc: [0; 16], s_mac: [0; 16], initial_mcv: [0; 16] };
        let (mcv, rest) = out.split_at(16);
        let (enc, rest) = rest.split_at(16);
        let mac = rest.get(..16).ok_or(Error::Kdf)?;
        keys.initial_mcv.copy_from_slice(mcv);
        keys.s_enc.copy_from_slice(enc);
        keys.s_mac.copy_from_slice(mac);
        out.zeroize();
        Ok(keys)
    }

    /// S-ENC (tests compare it with known-answer vectors).
    pub fn s_enc(&self) -> &[u8; 16] {
        &self.s_enc
    }

    /// S-MAC.
    pub fn s_mac(&self) -> &[u8; 16] {
        &self.s_mac
    }

    /// Initial MAC chaining value.
    pub fn initial_mcv(&self) -> &[u8; 16] {
        &self.initial_mcv
    }
}

/// One direction of a BSP session: keys, MAC chaining value and block counter.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Bsp {
    #[zeroize(skip)]
    crypto: &'static dyn CryptoProvider,
    s_enc: [u8; 16],
    s_mac: [u8; 16],
    mcv: [u8; 16],
    counter: u128,
}

impl fmt::Debug for Bsp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bsp").field("counter", &self.counter).finish_non_exhaustive()
    }
}

/// BER length bytes of `len` (SCP03t segments use `L`, `81 L` or `82 LL`).
fn ber_len(len: usize) -> Result<Vec<u8>, Error> {
    match len {
        0..=0x7F => Ok(alloc::vec![u8::try_from(len).map_err(|_| Error::Structure)?]),
        0x80..=0xFF => Ok(alloc::vec![0x81, u8::try_from(len).map_err(|_| Error::Structure)?]),
        0x100..=0xFFFF => {
            let [hi, lo] = u16::try_from(len).map_err(|_| Error::Structure)?.to_be_bytes();
            Ok(alloc::vec![0x82, hi, lo])
        }
        _ => Err(Error::Structure),
    }
}

/// Splits `tag ‖ L ‖ value` with a one-byte tag and a definite length of at most two length
/// octets (the crate's one BER-TLV reader, `asn1::tlv::length`); the TLV must fill `segment`
/// exactly. Returns (tag, length bytes, value).
fn split_segment(segment: &[u8]) -> Result<(u8, &[u8], &[u8]), Error> {
    let (&tag, rest) = segment.split_first().ok_or(Error::Structure)?;
    let length = crate::asn1::tlv::length(rest, 2).map_err(|_| Error::Structure)?;
    let (l, value) = rest.split_at_checked(length.size).ok_or(Error::Structure)?;
    if value.len() != length.len {
        return Err(Error::Structure);
    }
    Ok((tag, l, value))
}

/// Removes ISO/IEC 9797-1 method 2 padding: zero or more `00` after one `80`, all inside
/// the last block. Anything else is `scp03tStructureError`.
fn unpad(plain: &mut Vec<u8>) -> Result<(), Error> {
    let zeros = plain.iter().rev().take_while(|&&b| b == 0).count();
    if zeros >= 16 {
        return Err(Error::Structure);
    }
    let marker = plain.len().checked_sub(zeros + 1).ok_or(Error::Structure)?;
    if plain.get(marker) != Some(&0x80) {
        return Err(Error::Structure);
    }
    plain.truncate(marker);
    Ok(())
}

impl Bsp {
    /// A session starting with `keys` and the block counter at 1.
    pub fn new(crypto: &'static dyn CryptoProvider, keys: &SessionKeys) -> Bsp {
        Bsp { crypto, s_enc: keys.s_enc, s_mac: keys.s_mac, mcv: keys.initial_mcv, counter: 1 }
    }

    /// ReplaceSessionKeys: the PPKs and their chaining value take over; the counter restarts at 1.
    pub fn replace_keys(&mut self, keys: &SessionKeys) {
        *self = Bsp::new(self.crypto, keys);
    }

    fn icv(&self) -> [u8; 16] {
        let mut block = self.counter.to_be_bytes();
        self.crypto.aes128_encrypt_block(&self.s_enc, &mut block);
        block
    }

    fn cmac(&self, tag: u8, len: &[u8], body: &[u8]) -> [u8; 16] {
        self.crypto.aes128_cmac(&self.s_mac, &[&self.mcv, &[tag], len, body])
    }

    fn advance(&mut self, mcv: [u8; 16]) -> Result<(), Error> {
        self.mcv = mcv;
        self.counter = self.counter.checked_add(1).ok_or(Error::Structure)?;
        Ok(())
    }

    /// Protects `plaintext` as one segment with `tag`: encrypted and MACed, or MACed only.
    pub fn wrap(&mut self, tag: u8, plaintext: &[u8], encrypt: bool) -> Result<Vec<u8>, Error> {
        let body = if encrypt {
            let icv = self.icv();
            // ISO/IEC 9797-1 method 2: 80, then 00 up to a whole block.
            let mut body = Vec::with_capacity((plaintext.len() / 16 + 1) * 16);
            body.extend_from_slice(plaintext);
            body.push(0x80);
            body.resize(body.len().div_ceil(16) * 16, 0);
            self.crypto.aes128_cbc_encrypt(&self.s_enc, &icv, &mut body).map_err(|_| Error::Structure)?;
            body
        } else {
            plaintext.to_vec()
        };
        let len = ber_len(body.len() + CMAC_LEN)?;
        let mac = self.cmac(tag, &len, &body);
        let mut out = Vec::with_capacity(1 + len.len() + body.len() + CMAC_LEN);
        out.push(tag);
        out.extend_from_slice(&len);
        out.extend_from_slice(&body);
        out.extend_from_slice(mac.get(..CMAC_LEN).ok_or(Error::Structure)?);
        if out.len() > MAX_SEGMENT {
            return Err(Error::Structure);
        }
        self.advance(mac)?;
        Ok(out)
    }

    /// Verifies and opens one segment that must carry `tag`; decrypts it when `encrypted`.
    pub fn unwrap(&mut self, segment: &[u8], tag: u8, encrypted: bool) -> Result<Vec<u8>, Error> {
        if segment.len() > MAX_SEGMENT {
            return Err(Error::Structure);
        }
        let (got_tag, len, value) = split_segment(segment)?;
        if got_tag != tag {
            return Err(Error::Structure);
        }
        let body_len = value.len().checked_sub(CMAC_LEN).ok_or(Error::Structure)?;
        let (body, cmac) = value.split_at_checked(body_len).ok_or(Error::Structure)?;
        let mac = self.cmac(got_tag, len, body);
        let expected = mac.get(..CMAC_LEN).ok_or(Error::Structure)?;
        if !bool::from(expected.ct_eq(cmac)) {
            return Err(Error::Mac);
        }
        let plaintext = if encrypted {
            if body.is_empty() || body.len() % 16 != 0 {
                return Err(Error::Structure);
            }
            let icv = self.icv();
            let mut plain = body.to_vec();
            self.crypto.aes128_cbc_decrypt(&self.s_enc, &icv, &mut plain).map_err(|_| Error::Structure)?;
            unpad(&mut plain)?;
            plain
        } else {
            body.to_vec()
        };
        self.advance(mac)?;
        Ok(plaintext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::RUST_CRYPTO;

    fn pair() -> (Bsp, Bsp) {
        let keys = SessionKeys::derive(&RUST_CRYPTO, &[7; 32], 0x88, 0x10, &[0x80; 8], &[0x89; 16]).unwrap();
        (Bsp::new(&RUST_CRYPTO, &keys), Bsp::new(&RUST_CRYPTO, &keys))
    }

    #[test]
    fn round_trip_every_length() {
        let (mut tx, mut rx) = pair();
        for n in 0..=200 {
            let data: Vec<u8> = (0..n).map(|i| i as u8).collect();
            let encrypt = n % 3 != 0;
            let seg = tx.wrap(0x86, &data, encrypt).unwrap();
            assert_eq!(rx.unwrap(&seg, 0x86, encrypt).unwrap(), data, "{n}");
        }
    }

    #[test]
    fn largest_segment_is_1020_bytes() {
        let (mut tx, mut rx) = pair();
        let seg = tx.wrap(0x86, &[0xAB; 1007], true).unwrap();
        assert_eq!(seg.len(), 1020);
        assert_eq!(seg[..4], [0x86, 0x82, 0x03, 0xF8]);
        assert_eq!(rx.unwrap(&seg, 0x86, true).unwrap(), [0xAB; 1007]);
        assert_eq!(tx.wrap(0x86, &[0; 1008], true), Err(Error::Structure));
    }

    #[test]
    fn tampering_is_caught() {
        let (mut tx, rx) = pair();
        let seg = tx.wrap(0x87, b"\xBF\x24\x00", true).unwrap();
        for i in 0..seg.len() {
            let mut bad = seg.clone();
            bad[i] ^= 0x01;
            let mut rx = Bsp { ..Bsp::new(&RUST_CRYPTO, &SessionKeys::new(rx.s_enc, rx.s_mac, rx.mcv)) };
            assert!(rx.unwrap(&bad, 0x87, true).is_err(), "flip at {i}");
        }
        let mut rx2 = Bsp::new(&RUST_CRYPTO, &SessionKeys::new(rx.s_enc, rx.s_mac, rx.mcv));
        assert_eq!(rx2.unwrap(&seg, 0x88, true), Err(Error::Structure), "wrong tag");
        assert_eq!(rx2.unwrap(&seg[..seg.len() - 1], 0x87, true), Err(Error::Structure), "short");
        // Replay out of order: the second segment cannot be opened first.
        let seg2 = tx.wrap(0x87, b"second", true).unwrap();
        let mut rx3 = Bsp::new(&RUST_CRYPTO, &SessionKeys::new(rx.s_enc, rx.s_mac, rx.mcv));
        assert_eq!(rx3.unwrap(&seg2, 0x87, true), Err(Error::Mac));
    }

    #[test]
    fn structure_errors_do_not_panic() {
        let (_, mut rx) = pair();
        for bad in [&[][..], &[0x86], &[0x86, 0x05, 1], &[0x86, 0x83, 0, 0, 1], &[0x86, 0x82, 0x00]] {
            assert_eq!(rx.unwrap(bad, 0x86, true), Err(Error::Structure), "{bad:02X?}");
        }
    }
}
