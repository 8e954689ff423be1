//! The card's only way to reach the world: randomness, time, persistent storage and its crypto provider.
//!
//! The core never reads a clock, seeds a generator or touches a file of its own:
//! everything comes through a [`Platform`] (trussed's `Platform`, smoltcp's
//! "time and randomness are inputs"). Tests plug in deterministic parts
//! (`testkit::DetRng`, `testkit::ManualClock`, `store::MemStorage`); the `std`
//! adapters plug in the OS generator, the system clock and a state directory.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

pub use rand_core::CryptoRng;

/// Seconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(pub u64);

/// A source of the current time.
///
/// A real eUICC has no trusted clock, so `None` ("unknown") is a legal answer
/// and SGP.22 checks that need time are skipped then (rustls' `TimeProvider`).
pub trait Clock {
    /// The current time, if known.
    fn now(&self) -> Option<UnixTime>;
}

/// A persistent key → bytes store, as simple as a flash page manager.
///
/// Keys are short ASCII names (`[a-z0-9._-]`, at most [`MAX_KEY_LEN`] bytes).
/// **Any write may fail or tear** (a power cut leaves a prefix of it), and writes
/// that were not followed by [`Storage::flush`] may reach the medium in any
/// order. Atomicity is *not* this trait's job: `store::Store::commit` builds it
/// on top, so the tearing tests test our code rather than a backend's promise.
pub trait Storage {
    /// The backend's error.
    type Error: fmt::Debug + fmt::Display;

    /// True if a single write is all-or-nothing even across a power cut (e.g.
    /// write-temp + fsync + rename). The store then treats any damaged file as
    /// corruption; on tearing media (`false`) a damaged newest root is taken as
    /// an interrupted commit and the previous root is used.
    const ATOMIC_WRITES: bool = false;

    /// Reads the value under `key`, `None` if there is none.
    fn read(&mut self, key: &str) -> Result<Option<Vec<u8>>, Self::Error>;
    /// Writes `value` under `key`, replacing any earlier value.
    fn write(&mut self, key: &str, value: &[u8]) -> Result<(), Self::Error>;
    /// Removes `key`; removing a missing key is not an error.
    fn remove(&mut self, key: &str) -> Result<(), Self::Error>;
    /// All keys present. A backend may also list names that are not valid keys
    /// (e.g. stray files in a directory); the store reports those as foreign.
    fn keys(&mut self) -> Result<Vec<String>, Self::Error>;
    /// Barrier: every earlier write and remove is durable before this returns.
    fn flush(&mut self) -> Result<(), Self::Error>;
}

/// Longest storage key.
pub const MAX_KEY_LEN: usize = 48;

/// True if `key` is a valid storage key.
pub fn is_valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_KEY_LEN
        && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

/// The world a card runs in.
pub trait Platform {
    /// Persistent storage.
    type Storage: Storage;
    /// Cryptographically secure random numbers.
    type Rng: CryptoRng;
    /// Time source.
    type Clock: Clock;

    /// Borrows all three parts at once (handlers often need storage and randomness together).
    fn split(&mut self) -> (&mut Self::Storage, &mut Self::Rng, &Self::Clock);

    /// The crypto provider every signature, key agreement and cipher of the card goes
    /// through (see [`crate::crypto::provider`]). Default: RustCrypto. A platform with a
    /// faster implementation (hardware, a std-only library) returns its own.
    fn crypto(&self) -> &'static dyn crate::crypto::CryptoProvider {
        &crate::crypto::RUST_CRYPTO
    }
}

/// The obvious platform: three owned parts.
#[derive(Debug)]
pub struct Parts<S, R, C> {
    /// Persistent storage.
    pub storage: S,
    /// Random number generator.
    pub rng: R,
    /// Clock.
    pub clock: C,
}

impl<S: Storage, R: CryptoRng, C: Clock> Platform for Parts<S, R, C> {
    type Storage = S;
    type Rng = R;
    type Clock = C;

    fn split(&mut self) -> (&mut S, &mut R, &C) {
        (&mut self.storage, &mut self.rng, &self.clock)
    }
}

/// A platform whose crypto provider is chosen when it is made: `inner`'s storage, randomness
/// and clock, `crypto`'s primitives (e.g. [`crate::crypto::provider_named`]`("aws-lc")`).
pub struct WithCrypto<P> {
    /// Storage, RNG and clock.
    pub inner: P,
    /// The provider [`Platform::crypto`] returns.
    pub crypto: &'static dyn crate::crypto::CryptoProvider,
}

impl<P: fmt::Debug> fmt::Debug for WithCrypto<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithCrypto").field("inner", &self.inner).field("crypto", &self.crypto.name()).finish()
    }
}

impl<P: Platform> Platform for WithCrypto<P> {
    type Storage = P::Storage;
    type Rng = P::Rng;
    type Clock = P::Clock;

    fn split(&mut self) -> (&mut P::Storage, &mut P::Rng, &P::Clock) {
        self.inner.split()
    }

    fn crypto(&self) -> &'static dyn crate::crypto::CryptoProvider {
        self.crypto
    }
}

/// A clock that never knows the time (what a real eUICC has).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoClock;

impl Clock for NoClock {
    fn now(&self) -> Option<UnixTime> {
        None
    }
}
