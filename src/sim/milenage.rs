//! MILENAGE (3GPP TS 35.206 §4), with the configurable rotation and xoring constants a SAIP
//! `akaParameter` may carry, and the USIM test algorithm of TS 34.108 §8.1.2.
//!
//! The block cipher is AES-128 through [`CryptoProvider`] (the card logic names no crypto
//! crate). K, OPc and every intermediate value are wiped on drop; `Debug` never shows them.
//! Known answers: TS 35.208 §4.3 test sets 1–6 (tests below).

use crate::crypto::provider::CryptoProvider;
use core::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// MILENAGE parameters: K, OPc and the constants r1…r5 (bits) and c1…c5.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Milenage {
    k: [u8; 16],
    opc: [u8; 16],
    #[zeroize(skip)]
    r: [u8; 5],
    #[zeroize(skip)]
    c: [[u8; 16]; 5],
}

impl fmt::Debug for Milenage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Milenage").field("k", &"<secret>").field("opc", &"<secret>").finish_non_exhaustive()
    }
}

/// The TS 35.206 default rotation constants in bits: r1 = 64, r2 = 0, r3 = 32, r4 = 64, r5 = 96.
pub const DEFAULT_ROTATION: [u8; 5] = [64, 0, 32, 64, 96];

/// The TS 35.206 default xoring constants: c1 = 0, c2 = …01, c3 = …02, c4 = …04, c5 = …08.
pub const DEFAULT_XORING: [[u8; 16]; 5] = {
    let mut c = [[0u8; 16]; 5];
    c[1][15] = 1;
    c[2][15] = 2;
    c[3][15] = 4;
    c[4][15] = 8;
    c
};

/// What f2–f5 give for one RAND.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Outputs {
    /// f2: RES (64 bits).
    pub res: [u8; 8],
    /// f3: CK.
    pub ck: [u8; 16],
    /// f4: IK.
    pub ik: [u8; 16],
    /// f5: AK.
    pub ak: [u8; 6],
}

impl fmt::Debug for Outputs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Outputs(<secret>)")
    }
}

impl Milenage {
    /// K and OPc with the default constants.
    pub fn new(k: [u8; 16], opc: [u8; 16]) -> Milenage {
        Milenage { k, opc, r: DEFAULT_ROTATION, c: DEFAULT_XORING }
    }

    /// K and OPc with the constants of a SAIP `akaParameter`: `rotationConstants` (5 bytes,
    /// each a bit count 0–127) and `xoringConstants` (80 bytes, c1…c5). `None` when a
    /// rotation is 128 bits or more.
    pub fn with_constants(k: [u8; 16], opc: [u8; 16], rotation: [u8; 5], xoring: &[u8; 80]) -> Option<Milenage> {
        if rotation.iter().any(|&r| r >= 128) {
            return None;
        }
        let mut c = [[0u8; 16]; 5];
        for (dst, src) in c.iter_mut().zip(xoring.chunks_exact(16)) {
            dst.copy_from_slice(src);
        }
        Some(Milenage { k, opc, r: rotation, c })
    }

    /// OPc = OP ⊕ E_K(OP) (TS 35.206 §4.1).
    pub fn opc_from_op(crypto: &dyn CryptoProvider, k: &[u8; 16], op: &[u8; 16]) -> [u8; 16] {
        let mut block = *op;
        crypto.aes128_encrypt_block(k, &mut block);
        xor_in(&mut block, op);
        block
    }

    /// TEMP = E_K(RAND ⊕ OPc).
    fn temp(&self, crypto: &dyn CryptoProvider, rand: &[u8; 16]) -> [u8; 16] {
        let mut temp = *rand;
        xor_in(&mut temp, &self.opc);
        crypto.aes128_encrypt_block(&self.k, &mut temp);
        temp
    }

    /// OUTn = E_K(rot(input ⊕ OPc, rn) ⊕ cn) ⊕ OPc for n = 1…5 (index 0…4).
    fn out(&self, crypto: &dyn CryptoProvider, n: usize, input: &[u8; 16]) -> [u8; 16] {
        let mut block = *input;
        xor_in(&mut block, &self.opc);
        let mut block = rotate_left(&block, self.r.get(n).copied().unwrap_or(0));
        if let Some(c) = self.c.get(n) {
            xor_in(&mut block, c);
        }
        crypto.aes128_encrypt_block(&self.k, &mut block);
        xor_in(&mut block, &self.opc);
        block
    }

    /// f1 and f1*: MAC-A and MAC-S (64 bits each) over SQN ‖ AMF.
    pub fn f1(&self, crypto: &dyn CryptoProvider, rand: &[u8; 16], sqn: &[u8; 6], amf: &[u8; 2]) -> ([u8; 8], [u8; 8]) {
        let mut temp = self.temp(crypto, rand);
        let mut in1 = [0u8; 16];
        for (i, b) in in1.iter_mut().enumerate() {
            let j = i % 8;
            *b = if j < 6 { sqn.get(j).copied().unwrap_or(0) } else { amf.get(j - 6).copied().unwrap_or(0) };
        }
        // OUT1 = E_K(TEMP ⊕ rot(IN1 ⊕ OPc, r1) ⊕ c1) ⊕ OPc.
        let mut x = in1;
        xor_in(&mut x, &self.opc);
        let mut block = rotate_left(&x, self.r[0]);
        xor_in(&mut block, &temp);
        xor_in(&mut block, &self.c[0]);
        crypto.aes128_encrypt_block(&self.k, &mut block);
        xor_in(&mut block, &self.opc);
        let mut mac_a = [0u8; 8];
        let mut mac_s = [0u8; 8];
        mac_a.copy_from_slice(block.get(..8).unwrap_or(&[0; 8]));
        mac_s.copy_from_slice(block.get(8..).unwrap_or(&[0; 8]));
        temp.zeroize();
        x.zeroize();
        block.zeroize();
        (mac_a, mac_s)
    }

    /// f2, f3, f4, f5 for `rand`.
    pub fn f2345(&self, crypto: &dyn CryptoProvider, rand: &[u8; 16]) -> Outputs {
        let mut temp = self.temp(crypto, rand);
        let mut o2 = self.out(crypto, 1, &temp);
        let mut o3 = self.out(crypto, 2, &temp);
        let mut o4 = self.out(crypto, 3, &temp);
        let mut out = Outputs { res: [0; 8], ck: o3, ik: o4, ak: [0; 6] };
        out.res.copy_from_slice(o2.get(8..).unwrap_or(&[0; 8]));
        out.ak.copy_from_slice(o2.get(..6).unwrap_or(&[0; 6]));
        temp.zeroize();
        o2.zeroize();
        o3.zeroize();
        o4.zeroize();
        out
    }

    /// f5*: AK for resynchronisation (AUTS).
    pub fn f5_star(&self, crypto: &dyn CryptoProvider, rand: &[u8; 16]) -> [u8; 6] {
        let mut temp = self.temp(crypto, rand);
        let mut o5 = self.out(crypto, 4, &temp);
        let mut ak = [0u8; 6];
        ak.copy_from_slice(o5.get(..6).unwrap_or(&[0; 6]));
        temp.zeroize();
        o5.zeroize();
        ak
    }
}

/// The USIM test algorithm (3GPP TS 34.108 §8.1.2): XDOUT = K ⊕ RAND; RES = XDOUT (its first
/// `res_len` bytes, 4–16); CK = XDOUT rotated left by 8 bits; IK = rotated by 16 bits;
/// AK = XDOUT bytes 3…8 (bits 24…71); XMAC = XDOUT bytes 0…7 ⊕ CDOUT, CDOUT = SQN ‖ AMF.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct TestAlgorithmOutputs {
    /// RES: all 16 bytes of XDOUT (the caller takes the length it uses).
    pub res: [u8; 16],
    /// CK.
    pub ck: [u8; 16],
    /// IK.
    pub ik: [u8; 16],
    /// AK.
    pub ak: [u8; 6],
}

impl fmt::Debug for TestAlgorithmOutputs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TestAlgorithmOutputs(<secret>)")
    }
}

/// The test algorithm's f2–f5 (see [`TestAlgorithmOutputs`]).
pub fn test_algorithm(k: &[u8; 16], rand: &[u8; 16]) -> TestAlgorithmOutputs {
    let mut xdout = *k;
    xor_in(&mut xdout, rand);
    let mut ak = [0u8; 6];
    ak.copy_from_slice(xdout.get(3..9).unwrap_or(&[0; 6]));
    let out = TestAlgorithmOutputs { res: xdout, ck: rotate_left(&xdout, 8), ik: rotate_left(&xdout, 16), ak };
    xdout.zeroize();
    out
}

/// The test algorithm's f1: XMAC = XDOUT[0..8] ⊕ (SQN ‖ AMF).
pub fn test_algorithm_mac(k: &[u8; 16], rand: &[u8; 16], sqn: &[u8; 6], amf: &[u8; 2]) -> [u8; 8] {
    let mut mac = [0u8; 8];
    for (i, m) in mac.iter_mut().enumerate() {
        let cd = if i < 6 { sqn.get(i) } else { amf.get(i - 6) };
        *m = k.get(i).copied().unwrap_or(0) ^ rand.get(i).copied().unwrap_or(0) ^ cd.copied().unwrap_or(0);
    }
    mac
}

fn xor_in(dst: &mut [u8; 16], src: &[u8; 16]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d ^= s;
    }
}

/// The 128-bit value cyclically rotated towards the most significant bit by `bits` (0–127).
fn rotate_left(x: &[u8; 16], bits: u8) -> [u8; 16] {
    u128::from_be_bytes(*x).rotate_left(u32::from(bits)).to_be_bytes()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::crypto::RUST_CRYPTO;
    use alloc::format;

    fn h<const N: usize>(s: &str) -> [u8; N] {
        let v: alloc::vec::Vec<u8> =
            (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect();
        v.try_into().unwrap()
    }

    /// 3GPP TS 35.208 §4.3, MILENAGE implementers' test sets 1–6: K, RAND, SQN, AMF, OP, OPc,
    /// f1, f1*, f2, f5, f3, f4, f5*.
    const SETS: [[&str; 13]; 6] = [
        [
            "465b5ce8b199b49faa5f0a2ee238a6bc",
            "23553cbe9637a89d218ae64dae47bf35",
            "ff9bb4d0b607",
            "b9b9",
            "cdc202d5123e20f62b6d676ac72cb318",
            "cd63cb71954a9f4e48a5994e37a02baf",
            "4a9ffac354dfafb3",
            "01cfaf9ec4e871e9",
            "a54211d5e3ba50bf",
            "aa689c648370",
            "b40ba9a3c58b2a05bbf0d987b21bf8cb",
            "f769bcd751044604127672711c6d3441",
            "451e8beca43b",
        ],
        [
            "0396eb317b6d1c36f19c1c84cd6ffd16",
            "c00d603103dcee52c4478119494202e8",
            "fd8eef40df7d",
            "af17",
            "ff53bade17df5d4e793073ce9d7579fa",
            "53c15671c60a4b731c55b4a441c0bde2",
            "5df5b31807e258b0",
            "a8c016e51ef4a343",
            "d3a628ed988620f0",
            "c47783995f72",
            "58c433ff7a7082acd424220f2b67c556",
            "21a8c1f929702adb3e738488b9f5c5da",
            "30f1197061c1",
        ],
        [
            "fec86ba6eb707ed08905757b1bb44b8f",
            "9f7c8d021accf4db213ccff0c7f71a6a",
            "9d0277595ffc",
            "725c",
            "dbc59adcb6f9a0ef735477b7fadf8374",
            "1006020f0a478bf6b699f15c062e42b3",
            "9cabc3e99baf7281",
            "95814ba2b3044324",
            "8011c48c0c214ed2",
            "33484dc2136b",
            "5dbdbb2954e8f3cde665b046179a5098",
            "59a92d3b476a0443487055cf88b2307b",
            "deacdd848cc6",
        ],
        [
            "9e5944aea94b81165c82fbf9f32db751",
            "ce83dbc54ac0274a157c17f80d017bd6",
            "0b604a81eca8",
            "9e09",
            "223014c5806694c007ca1eeef57f004f",
            "a64a507ae1a2a98bb88eb4210135dc87",
            "74a58220cba84c49",
            "ac2cc74a96871837",
            "f365cd683cd92e96",
            "f0b9c08ad02e",
            "e203edb3971574f5a94b0d61b816345d",
            "0c4524adeac041c4dd830d20854fc46b",
            "6085a86c6f63",
        ],
        [
            "4ab1deb05ca6ceb051fc98e77d026a84",
            "74b0cd6031a1c8339b2b6ce2b8c4a186",
            "e880a1b580b6",
            "9f07",
            "2d16c5cd1fdf6b22383584e3bef2a8d8",
            "dcf07cbd51855290b92a07a9891e523e",
            "49e785dd12626ef2",
            "9e85790336bb3fa2",
            "5860fc1bce351e7e",
            "31e11a609118",
            "7657766b373d1c2138f307e3de9242f9",
            "1c42e960d89b8fa99f2744e0708ccb53",
            "fe2555e54aa9",
        ],
        [
            "6c38a116ac280c454f59332ee35c8c4f",
            "ee6466bc96202c5a557abbeff8babf63",
            "414b98222181",
            "4464",
            "1ba00a1a7c6700ac8c3ff3e96ad08725",
            "3803ef5363b947c6aaa225e58fae3934",
            "078adfb488241a57",
            "80246b8d0186bcf1",
            "16c8233f05a0ac28",
            "45b0f69ab06c",
            "3f8c7587fe8e4b233af676aede30ba3b",
            "a7466cc1e6b2a1337d49d3b66e95d7b4",
            "1f53cd2b1113",
        ],
    ];

    #[test]
    fn ts_35_208_test_sets_1_to_6() {
        for (n, s) in SETS.iter().enumerate() {
            let k = h::<16>(s[0]);
            let rand = h::<16>(s[1]);
            assert_eq!(Milenage::opc_from_op(&RUST_CRYPTO, &k, &h::<16>(s[4])), h::<16>(s[5]), "set {} OPc", n + 1);
            let m = Milenage::new(k, h::<16>(s[5]));
            let (mac_a, mac_s) = m.f1(&RUST_CRYPTO, &rand, &h::<6>(s[2]), &h::<2>(s[3]));
            assert_eq!((mac_a, mac_s), (h::<8>(s[6]), h::<8>(s[7])), "set {} f1/f1*", n + 1);
            let o = m.f2345(&RUST_CRYPTO, &rand);
            assert_eq!(o.res, h::<8>(s[8]), "set {} f2", n + 1);
            assert_eq!(o.ak, h::<6>(s[9]), "set {} f5", n + 1);
            assert_eq!(o.ck, h::<16>(s[10]), "set {} f3", n + 1);
            assert_eq!(o.ik, h::<16>(s[11]), "set {} f4", n + 1);
            assert_eq!(m.f5_star(&RUST_CRYPTO, &rand), h::<6>(s[12]), "set {} f5*", n + 1);
        }
    }

    /// The SAIP default constants (`4000204060`, c1 = 0, c2 = …01 …) are TS 35.206's, so a
    /// package that spells them out gives the same answers; other constants give others.
    #[test]
    fn package_constants() {
        let s = &SETS[0];
        let mut xoring = [0u8; 80];
        for (i, c) in DEFAULT_XORING.iter().enumerate() {
            xoring[i * 16..i * 16 + 16].copy_from_slice(c);
        }
        let m = Milenage::with_constants(h(s[0]), h(s[5]), [0x40, 0x00, 0x20, 0x40, 0x60], &xoring).unwrap();
        assert_eq!(m.f2345(&RUST_CRYPTO, &h(s[1])).res, h::<8>(s[8]));
        xoring[79] ^= 1;
        let other = Milenage::with_constants(h(s[0]), h(s[5]), [0x40, 0x00, 0x20, 0x40, 0x60], &xoring).unwrap();
        assert_eq!(other.f2345(&RUST_CRYPTO, &h(s[1])).res, h::<8>(s[8]), "c5 only feeds f5*");
        assert_ne!(other.f5_star(&RUST_CRYPTO, &h(s[1])), h::<6>(s[12]));
        assert!(Milenage::with_constants(h(s[0]), h(s[5]), [128, 0, 0, 0, 0], &xoring).is_none());
        assert!(!format!("{m:?}").contains("465b"));
    }

    /// TS 34.108 §8.1.2 worked by hand: K = 00…0F (the TS.48 test key), RAND = FF…FF gives
    /// XDOUT = FF FE FD … F0; CK/IK are it rotated by one and two bytes; AK its bytes 3–8.
    #[test]
    fn test_algorithm_by_hand() {
        let k: [u8; 16] = core::array::from_fn(|i| i as u8);
        let rand = [0xFF; 16];
        let o = test_algorithm(&k, &rand);
        let xdout: [u8; 16] = core::array::from_fn(|i| 0xFF - i as u8);
        assert_eq!(o.res, xdout);
        assert_eq!(o.ck[..15], xdout[1..]);
        assert_eq!(o.ck[15], xdout[0]);
        assert_eq!(o.ik[..14], xdout[2..]);
        assert_eq!(o.ak, [0xFC, 0xFB, 0xFA, 0xF9, 0xF8, 0xF7]);
        let mac = test_algorithm_mac(&k, &rand, &[0, 0, 0, 0, 0, 0x21], &[0x80, 0x00]);
        assert_eq!(mac, [0xFF, 0xFE, 0xFD, 0xFC, 0xFB, 0xFA ^ 0x21, 0xF9 ^ 0x80, 0xF8]);
    }
}
