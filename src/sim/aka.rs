//! The USIM/ISIM side of AKA (3GPP TS 33.102 §6.3, TS 31.102 §7.1.2): the profile's
//! algorithm and keys (`akaParameter`), the check of AUTN, the SQN freshness rules
//! ([`super::sqn`]) and the outputs AUTHENTICATE answers.
//!
//! ```text
//! AUTN = SQN ⊕ AK ‖ AMF ‖ MAC       AK = f5(RAND)
//! XMAC = f1(SQN, RAND, AMF) ≠ MAC   → MacFailure (SW 9862)
//! SQN not fresh                      → SyncFailure: AUTS = SQN_MS ⊕ f5*(RAND) ‖ f1*(SQN_MS, RAND, 0000)
//! else                               → RES = f2, CK = f3, IK = f4 (and the SQN is accepted)
//! ```
//!
//! The test algorithm (TS 34.108 §8.1.2) checks no SQN (a test USIM accepts every fresh MAC;
//! the package's SQN options are ignored for it, as the TCA SAIP `akaParameter` says) and
//! answers a 64-bit RES. Milenage and TUAK answer a 64-bit RES and 128-bit CK/IK.

use alloc::vec::Vec;
use zeroize::{Zeroize, Zeroizing};

use super::milenage::{self, Milenage};
use super::sqn::SqnState;
use super::tuak::Tuak;
use crate::crypto::provider::CryptoProvider;
use crate::saip::Algorithm;
use crate::saip::profile::{AkaConfig, AkaKeys, AlgoKeys};

/// The algorithm of one NAA with its secrets.
pub enum Keys {
    /// MILENAGE (TS 35.206) with the package's constants.
    Milenage(Milenage),
    /// TUAK (TS 35.231).
    Tuak(Tuak),
    /// The USIM test algorithm (TS 34.108 §8.1.2): K only.
    Test(Zeroizing<[u8; 16]>),
}

impl core::fmt::Debug for Keys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Keys::Milenage(_) => "Keys::Milenage(<secret>)",
            Keys::Tuak(_) => "Keys::Tuak(<secret>)",
            Keys::Test(_) => "Keys::Test(<secret>)",
        })
    }
}

impl Keys {
    /// The keys `algo` describes; `None` when their lengths do not fit the algorithm.
    pub fn new(algo: &AlgoKeys) -> Option<Keys> {
        match algo.algorithm {
            Algorithm::Milenage => {
                let k: [u8; 16] = algo.key.as_slice().try_into().ok()?;
                let opc: [u8; 16] = algo.opc.as_slice().try_into().ok()?;
                Milenage::with_constants(k, opc, algo.rotation, &algo.xoring).map(Keys::Milenage)
            }
            Algorithm::Tuak => {
                let topc: [u8; 32] = algo.opc.as_slice().try_into().ok()?;
                Tuak::new(&algo.key, topc, algo.keccak_iterations.max(1)).map(Keys::Tuak)
            }
            Algorithm::TestAlgorithm => {
                let k: [u8; 16] = algo.key.as_slice().try_into().ok()?;
                Some(Keys::Test(Zeroizing::new(k)))
            }
        }
    }

    /// Whether the algorithm checks SQN freshness (not the test algorithm).
    pub(crate) fn checks_sqn(&self) -> bool {
        !matches!(self, Keys::Test(_))
    }

    /// f2–f5: RES (8 bytes), CK, IK, AK.
    fn f2345(&self, crypto: &dyn CryptoProvider, rand: &[u8; 16]) -> Vector {
        match self {
            Keys::Milenage(m) => {
                let o = m.f2345(crypto, rand);
                Vector { res: o.res, ck: o.ck, ik: o.ik, ak: o.ak }
            }
            Keys::Tuak(t) => {
                let o = t.f2345(rand);
                Vector { res: o.res, ck: o.ck, ik: o.ik, ak: o.ak }
            }
            Keys::Test(k) => {
                let o = milenage::test_algorithm(k, rand);
                let mut res = [0u8; 8];
                res.copy_from_slice(o.res.get(..8).unwrap_or(&[0; 8]));
                Vector { res, ck: o.ck, ik: o.ik, ak: o.ak }
            }
        }
    }

    /// f1 (MAC-A).
    fn f1(&self, crypto: &dyn CryptoProvider, rand: &[u8; 16], sqn: &[u8; 6], amf: &[u8; 2]) -> [u8; 8] {
        match self {
            Keys::Milenage(m) => m.f1(crypto, rand, sqn, amf).0,
            Keys::Tuak(t) => t.f1(rand, sqn, amf),
            Keys::Test(k) => milenage::test_algorithm_mac(k, rand, sqn, amf),
        }
    }

    /// f1* (MAC-S) and f5* (AK for resynchronisation).
    fn resync(&self, crypto: &dyn CryptoProvider, rand: &[u8; 16], sqn: &[u8; 6]) -> ([u8; 8], [u8; 6]) {
        let amf = [0u8; 2];
        match self {
            Keys::Milenage(m) => (m.f1(crypto, rand, sqn, &amf).1, m.f5_star(crypto, rand)),
            Keys::Tuak(t) => (t.f1_star(rand, sqn, &amf), t.f5_star(rand)),
            // Never asked: the test algorithm has no SQN check. Its f1* and f5* are f1 and f5.
            Keys::Test(k) => (milenage::test_algorithm_mac(k, rand, sqn, &amf), milenage::test_algorithm(k, rand).ak),
        }
    }
}

/// f2–f5 of one RAND.
#[derive(Zeroize)]
#[zeroize(drop)]
struct Vector {
    res: [u8; 8],
    ck: [u8; 16],
    ik: [u8; 16],
    ak: [u8; 6],
}

/// One NAA's authentication state: its keys and SQN array.
pub(crate) struct Naa {
    /// The ADF (index into the profile's files).
    pub adf: usize,
    /// The algorithm and secrets.
    pub keys: Keys,
    /// The SQN array and policy.
    pub sqn: SqnState,
}

impl core::fmt::Debug for Naa {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Naa").field("adf", &self.adf).field("keys", &self.keys).finish_non_exhaustive()
    }
}

/// The NAAs of a profile: each `akaParameter` bound to its ADF; a `mappingParameter` takes
/// the keys of the NAA whose ADF has the `mappingSource` AID (keeping its own SQN array).
pub(crate) fn naas(configs: &[AkaConfig], aid_of: &dyn Fn(usize) -> Option<Vec<u8>>) -> Vec<Naa> {
    configs
        .iter()
        .filter_map(|c| {
            let algo = match &c.keys {
                AkaKeys::Algorithm(a) => a,
                AkaKeys::Mapping { source, .. } => configs
                    .iter()
                    .filter(|s| aid_of(s.adf).is_some_and(|aid| aid.starts_with(source) || source.starts_with(&aid)))
                    .find_map(own_keys)?,
            };
            let sqn = SqnState::new(&c.sqn_init, c.sqn_options, c.sqn_delta, c.sqn_age_limit)?;
            Some(Naa { adf: c.adf, keys: Keys::new(algo)?, sqn })
        })
        .collect()
}

fn own_keys(c: &AkaConfig) -> Option<&AlgoKeys> {
    match &c.keys {
        AkaKeys::Algorithm(a) => Some(a),
        AkaKeys::Mapping { .. } => None,
    }
}

/// The result of a 3G/IMS AUTHENTICATE.
pub enum Outcome {
    /// RES, CK, IK; the SQN was accepted (the state changed: persist it).
    Success {
        /// RES (8 bytes).
        res: Zeroizing<[u8; 8]>,
        /// CK.
        ck: Zeroizing<[u8; 16]>,
        /// IK.
        ik: Zeroizing<[u8; 16]>,
    },
    /// The SQN was not fresh: AUTS (14 bytes).
    SyncFailure([u8; 14]),
    /// MAC ≠ XMAC.
    MacFailure,
}

impl core::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Outcome::Success { .. } => "Success(<secret>)",
            Outcome::SyncFailure(_) => "SyncFailure",
            Outcome::MacFailure => "MacFailure",
        })
    }
}

impl Naa {
    /// 3G/IMS authentication (TS 33.102 §6.3.3): checks AUTN, then the SQN; on success the
    /// SQN is accepted into the array.
    pub(crate) fn authenticate(&mut self, crypto: &dyn CryptoProvider, rand: &[u8; 16], autn: &[u8; 16]) -> Outcome {
        let v = self.keys.f2345(crypto, rand);
        let mut sqn = [0u8; 6];
        for (s, (a, k)) in sqn.iter_mut().zip(autn.iter().zip(v.ak.iter())) {
            *s = a ^ k;
        }
        let amf = [autn[6], autn[7]];
        let mac = self.keys.f1(crypto, rand, &sqn, &amf);
        let given = autn.get(8..16).unwrap_or(&[]);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(mac.as_slice(), given)) {
            return Outcome::MacFailure;
        }
        if self.keys.checks_sqn() {
            if self.sqn.check(&sqn).is_err() {
                let ms = self.sqn.highest();
                let (mac_s, ak_s) = self.keys.resync(crypto, rand, &ms);
                let mut auts = [0u8; 14];
                for (i, a) in auts.iter_mut().enumerate() {
                    *a = match i {
                        0..=5 => ms.get(i).copied().unwrap_or(0) ^ ak_s.get(i).copied().unwrap_or(0),
                        _ => mac_s.get(i - 6).copied().unwrap_or(0),
                    };
                }
                return Outcome::SyncFailure(auts);
            }
            self.sqn.accept(&sqn);
        }
        Outcome::Success { res: Zeroizing::new(v.res), ck: Zeroizing::new(v.ck), ik: Zeroizing::new(v.ik) }
    }

    /// GSM context (TS 31.102 §7.1.2.1, TS 33.102 §6.8.1.2): SRES = c2(RES), Kc = c3(CK, IK),
    /// from the 3G key set (no SQN involved).
    pub(crate) fn gsm(&self, crypto: &dyn CryptoProvider, rand: &[u8; 16]) -> ([u8; 4], Zeroizing<[u8; 8]>) {
        let v = self.keys.f2345(crypto, rand);
        (sres(&v.res), kc(&v.ck, &v.ik))
    }
}

/// c2 for a 64-bit RES: the two 32-bit halves xored.
pub fn sres(res: &[u8; 8]) -> [u8; 4] {
    let mut out = [0u8; 4];
    for (i, o) in out.iter_mut().enumerate() {
        *o = res.get(i).copied().unwrap_or(0) ^ res.get(i + 4).copied().unwrap_or(0);
    }
    out
}

/// c3: Kc = CK1 ⊕ CK2 ⊕ IK1 ⊕ IK2 (64-bit halves).
pub fn kc(ck: &[u8; 16], ik: &[u8; 16]) -> Zeroizing<[u8; 8]> {
    let mut out = Zeroizing::new([0u8; 8]);
    for (i, o) in out.iter_mut().enumerate() {
        let at = |x: &[u8; 16], j: usize| x.get(j).copied().unwrap_or(0);
        *o = at(ck, i) ^ at(ck, i + 8) ^ at(ik, i) ^ at(ik, i + 8);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::crypto::rustcrypto::RustCrypto;

    fn h<const N: usize>(s: &str) -> [u8; N] {
        let v: Vec<u8> = (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect();
        v.try_into().unwrap()
    }

    fn milenage_naa() -> Naa {
        // TS 35.208 §4.3 test set 1 (its SQN is far above 0: no Δ check).
        let m = Milenage::new(h("465b5ce8b199b49faa5f0a2ee238a6bc"), h("cd63cb71954a9f4e48a5994e37a02baf"));
        Naa {
            adf: 1,
            keys: Keys::Milenage(m),
            sqn: SqnState::new(&[[0; 6]; 32], 0x00, h("000010000000"), h("000010000000")).unwrap(),
        }
    }

    #[test]
    fn milenage_set_1_end_to_end() {
        let crypto = RustCrypto;
        let rand: [u8; 16] = h("23553cbe9637a89d218ae64dae47bf35");
        // AUTN = SQN ⊕ AK ‖ AMF ‖ MAC for SQN ff9bb4d0b607, AMF b9b9 (TS 35.208 set 1).
        let autn: [u8; 16] = h("55f328b43577b9b94a9ffac354dfafb3");
        let mut naa = milenage_naa();
        let Outcome::Success { res, ck, ik } = naa.authenticate(&crypto, &rand, &autn) else { panic!("not accepted") };
        assert_eq!(*res, h::<8>("a54211d5e3ba50bf"));
        assert_eq!(*ck, h::<16>("b40ba9a3c58b2a05bbf0d987b21bf8cb"));
        assert_eq!(*ik, h::<16>("f769bcd751044604127672711c6d3441"));
        // The same AUTN again: a replay, answered with AUTS = SQN_MS ⊕ f5* ‖ f1*(SQN_MS, 0000).
        let Outcome::SyncFailure(auts) = naa.authenticate(&crypto, &rand, &autn) else { panic!("replay accepted") };
        let ms: [u8; 6] = h("ff9bb4d0b607");
        let ak_s: [u8; 6] = h("451e8beca43b");
        for i in 0..6 {
            assert_eq!(auts[i], ms[i] ^ ak_s[i]);
        }
        let m = Milenage::new(h("465b5ce8b199b49faa5f0a2ee238a6bc"), h("cd63cb71954a9f4e48a5994e37a02baf"));
        assert_eq!(auts[6..], m.f1(&crypto, &rand, &ms, &[0, 0]).1);
        // A flipped MAC bit.
        let mut bad = autn;
        bad[15] ^= 1;
        assert!(matches!(naa.authenticate(&crypto, &rand, &bad), Outcome::MacFailure));
    }

    #[test]
    fn gsm_conversions() {
        // c2/c3 on set 1's outputs.
        assert_eq!(sres(&h("a54211d5e3ba50bf")), h::<4>("46f8416a"));
        let kc = kc(&h("b40ba9a3c58b2a05bbf0d987b21bf8cb"), &h("f769bcd751044604127672711c6d3441"));
        let want: Vec<u8> = (0..8)
            .map(|i| {
                let ck: [u8; 16] = h("b40ba9a3c58b2a05bbf0d987b21bf8cb");
                let ik: [u8; 16] = h("f769bcd751044604127672711c6d3441");
                ck[i] ^ ck[i + 8] ^ ik[i] ^ ik[i + 8]
            })
            .collect();
        assert_eq!(kc.as_slice(), want.as_slice());
    }

    #[test]
    fn test_algorithm_accepts_without_sqn_checks() {
        let crypto = RustCrypto;
        let k: [u8; 16] = h("000102030405060708090a0b0c0d0e0f");
        let mut naa = Naa {
            adf: 1,
            keys: Keys::Test(Zeroizing::new(k)),
            sqn: SqnState::new(&[[0; 6]; 32], 2, [0; 6], [0; 6]).unwrap(),
        };
        let rand = [0x11u8; 16];
        let sqn = [0, 0, 0, 0, 0, 0x21];
        let amf = [0x80, 0x00];
        let o = milenage::test_algorithm(&k, &rand);
        let mut autn = [0u8; 16];
        for i in 0..6 {
            autn[i] = sqn[i] ^ o.ak[i];
        }
        autn[6..8].copy_from_slice(&amf);
        autn[8..].copy_from_slice(&milenage::test_algorithm_mac(&k, &rand, &sqn, &amf));
        for _ in 0..2 {
            let Outcome::Success { res, .. } = naa.authenticate(&crypto, &rand, &autn) else { panic!() };
            assert_eq!(res.as_slice(), &o.res[..8]);
        }
    }
}
