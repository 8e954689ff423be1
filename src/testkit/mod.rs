//! Test kit: deterministic platform parts, a ready-made test card, a typed ES10 client.
//!
//! Everything here is for tests, benches, fuzzing and the demo; none of it is
//! used by the card itself.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod client;
pub mod conformance;
#[cfg(feature = "es9p")]
pub mod es9_lpa;
#[cfg(feature = "es9p")]
pub mod es9p;
pub mod faults;
pub mod lpa;
pub mod mirror;
pub mod pki;
pub mod replay;
pub mod saip;
pub mod smdp;
pub mod tearing;

pub use client::{ClientError, Es10Client, Transport, split_sw};

use crate::card::{ATR, Card};
use crate::config::{CardConfig, Eid};
use crate::platform::{Clock, Parts, UnixTime};
use crate::store::MemStorage;
use core::cell::Cell;
use core::convert::Infallible;
use rand_core::{TryCryptoRng, TryRng};
use sha2::{Digest, Sha256};
use std::vec::Vec;

/// A seeded, reproducible random generator: SHA-256(seed ‖ counter) blocks.
/// Deterministic by design — for tests only, never for a real card.
#[derive(Debug, Clone)]
pub struct DetRng {
    seed: u64,
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl DetRng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> DetRng {
        DetRng { seed, counter: 0, block: [0; 32], used: 32 }
    }
}

impl TryRng for DetRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_be_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_be_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for byte in dst {
            if self.used == self.block.len() {
                let mut h = Sha256::new();
                h.update(self.seed.to_be_bytes());
                h.update(self.counter.to_be_bytes());
                self.block.copy_from_slice(&h.finalize());
                self.counter += 1;
                self.used = 0;
            }
            *byte = self.block.get(self.used).copied().unwrap_or(0);
            self.used += 1;
        }
        Ok(())
    }
}

impl TryCryptoRng for DetRng {}

/// A clock the test sets by hand; starts unknown.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Cell<Option<UnixTime>>);

impl ManualClock {
    /// A clock reading `now`.
    pub fn at(now: UnixTime) -> ManualClock {
        ManualClock(Cell::new(Some(now)))
    }
    /// Sets the time.
    pub fn set(&self, now: Option<UnixTime>) {
        self.0.set(now);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Option<UnixTime> {
        self.0.get()
    }
}

/// The platform of test cards.
pub type TestPlatform = Parts<MemStorage, DetRng, ManualClock>;

/// The EID of the embedded default card.
pub const DEFAULT_EID: &str = "89999001000010000000000000000038";

/// The embedded default configuration (used by `veuicc demo` and test cards): the identity
/// of [`pki::default_identity`] (EID [`DEFAULT_EID`], CI PKIDs of the generated test CI).
pub fn default_config() -> CardConfig {
    let config = pki::default_identity().card_config();
    debug_assert_eq!(config.eid, DEFAULT_EID_VALUE);
    config
}

/// [`DEFAULT_EID`] as a value (its validity is checked by a unit test).
const DEFAULT_EID_VALUE: Eid =
    Eid::from_raw([0x89, 0x99, 0x90, 0x01, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x38]);

/// An in-memory card with a deterministic RNG, for tests, fuzzing and benches.
#[derive(Debug)]
pub struct TestCard(pub Card<TestPlatform>);

impl TestCard {
    /// A fresh card with empty storage; the RNG is seeded with `seed`.
    pub fn new(seed: u64) -> TestCard {
        TestCard::with_config(default_config(), MemStorage::new(), seed)
    }

    /// A card with the given configuration and storage. A configuration with the
    /// default EID gets the default test identity ([`pki::default_identity`]), so it
    /// can authenticate and sign; any other has none.
    ///
    /// # Panics
    /// If `storage` holds damaged state (tests want to know).
    #[allow(clippy::panic)]
    pub fn with_config(config: CardConfig, storage: MemStorage, seed: u64) -> TestCard {
        let platform = Parts { storage, rng: DetRng::new(seed), clock: ManualClock::default() };
        let card = if config.eid == DEFAULT_EID_VALUE {
            Card::with_identity(config, pki::default_identity(), platform)
        } else {
            Card::new(config, platform)
        };
        match card {
            Ok(card) => TestCard(card),
            Err(e) => panic!("test card does not start: {e}"),
        }
    }

    /// Sends one APDU.
    pub fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.0.transmit(apdu)
    }

    /// Cold start; returns the ATR (empty if the state does not load).
    pub fn power_on(&mut self) -> Vec<u8> {
        self.0.power_on().unwrap_or_default()
    }

    /// Removes power.
    pub fn power_off(&mut self) {
        self.0.power_off();
    }

    /// Warm reset; returns the ATR.
    pub fn reset(&mut self) -> Vec<u8> {
        self.0.reset()
    }

    /// The card's storage.
    pub fn storage(&mut self) -> &mut MemStorage {
        &mut self.0.platform_mut().storage
    }
}

impl Transport for TestCard {
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.0.transmit(apdu)
    }
}

/// Writes `packages` into `storage` as installed profiles in slots 1, 2, … with the first one
/// enabled: the state a download and an enable leave (ISD-P AID `…89000010 <slot> 00`,
/// service provider "SP", name "profile <slot>") — for SIM tests, benches and fuzzing.
pub fn install_profiles<S: crate::platform::Storage>(
    storage: &mut S,
    packages: &[Vec<u8>],
) -> Result<(), std::string::String> {
    let ports: Vec<Option<u8>> = (0..packages.len()).map(|i| (i == 0).then_some(0)).collect();
    install_profiles_on(storage, packages, &ports)
}

/// [`install_profiles`] with each profile enabled on the eSIM port `ports` names (`None`:
/// disabled; a missing entry: disabled) — a MEP card's state with several SIMs at once.
pub fn install_profiles_on<S: crate::platform::Storage>(
    storage: &mut S,
    packages: &[Vec<u8>],
    ports: &[Option<u8>],
) -> Result<(), std::string::String> {
    use crate::store::{CardState, ProfileClass, ProfileRecord, ProfileState, Store, Txn};
    let mut state = CardState::default();
    for ((slot, upp), port) in (1u8..).zip(packages).zip(ports.iter().copied().chain(core::iter::repeat(None))) {
        let summary = crate::saip::check(upp).map_err(|e| std::format!("package {slot}: {e}"))?;
        let mut aid = std::vec![0xA0, 0, 0, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0, 0, 0x10, 0];
        if let Some(b) = aid.get_mut(14) {
            *b = slot;
        }
        state.profiles.push(ProfileRecord {
            iccid: summary.header.sgp22_iccid().to_vec().into(),
            isdp_aid: aid.into(),
            state: if port.is_some() { ProfileState::Enabled } else { ProfileState::Disabled },
            nickname: None,
            service_provider_name: "SP".into(),
            profile_name: std::format!("profile {slot:02x}"),
            icon: None,
            class: ProfileClass::Operational,
            ppr: 0,
            notification_config: Vec::new(),
            owner: None,
            dp_proprietary_data: None,
            // Port 0 is `None`, as a single-port card writes it.
            port: port.filter(|&p| p != 0),
            hri_server_address: None,
            enterprise: None,
            service_description: None,
            service_specific_data: None,
            rpm_configuration: None,
            device_change_configuration: None,
        });
    }
    let mut store = Store::open(storage).map_err(|e| std::format!("{e}"))?;
    let mut txn = Txn::new();
    CardState::default().diff_into::<S::Error>(&state, &mut txn).map_err(|e| std::format!("{e}"))?;
    for (p, upp) in state.profiles.iter().zip(packages) {
        txn.put(&p.package_name(), upp.clone());
    }
    store.commit(storage, txn).map_err(|e| std::format!("{e}"))
}

/// A test card holding `packages` ([`install_profiles`]): the first one is the SIM.
///
/// # Panics
/// If a package is not one the card accepts (tests want to know).
#[allow(clippy::panic)]
pub fn sim_card(packages: &[Vec<u8>]) -> TestCard {
    let mut storage = MemStorage::new();
    if let Err(e) = install_profiles(&mut storage, packages) {
        panic!("{e}");
    }
    TestCard::with_config(default_config(), storage, 1)
}

/// Drives `card` with a fuzzer's byte stream: repeated `selector, [len, APDU bytes…]`;
/// selector % 16 == 0 power-cycles (the card must come back: `false` otherwise), == 1
/// resets, == 3 takes a two-byte big-endian `len` (BPP blocks), any other a one-byte `len`.
/// `each(apdu, response)` sees every exchange. The `card` and `sim` fuzz targets share it.
pub fn drive(card: &mut TestCard, data: &[u8], mut each: impl FnMut(&[u8], &[u8])) -> bool {
    let mut rest = data;
    while let Some((&sel, tail)) = rest.split_first() {
        rest = tail;
        match sel % 16 {
            0 => {
                card.power_off();
                if card.power_on().is_empty() {
                    return false;
                }
            }
            1 => {
                card.reset();
            }
            sel => {
                let (n, tail) = match (sel, rest) {
                    (3, [a, b, tail @ ..]) => (usize::from(u16::from_be_bytes([*a, *b])), tail),
                    (3, _) => break,
                    (_, [len, tail @ ..]) => (usize::from(*len), tail),
                    _ => break,
                };
                let (apdu, tail) = tail.split_at(n.min(tail.len()));
                rest = tail;
                let r = card.transmit(apdu);
                each(apdu, &r);
            }
        }
    }
    true
}

/// The ATR every veuicc card sends.
pub fn atr() -> &'static [u8] {
    &ATR
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::Rng;

    #[test]
    fn default_eid_is_valid() {
        assert_eq!(Eid::parse(DEFAULT_EID), Ok(DEFAULT_EID_VALUE));
    }

    #[test]
    fn det_rng_is_reproducible() {
        let (mut a, mut b, mut c) = (DetRng::new(1), DetRng::new(1), DetRng::new(2));
        let (mut x, mut y, mut z) = ([0u8; 40], [0u8; 40], [0u8; 40]);
        a.fill_bytes(&mut x);
        b.fill_bytes(&mut y);
        c.fill_bytes(&mut z);
        assert_eq!(x, y);
        assert_ne!(x, z);
    }
}
