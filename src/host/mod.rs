//! `std` adapters: OS randomness, the system clock (or `VEUICC_NOW`), a state directory.
//!
//! **Architecture Invariant:** only `host`, `testkit` and the CLI name `std`.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

#[cfg(feature = "lpa-http")]
pub mod es9_client;
pub mod fs_storage;
#[cfg(feature = "loadtest")]
pub mod loadtest;
#[cfg(feature = "lpac")]
pub mod lpac;
pub mod pcap;
#[cfg(feature = "pcsc")]
pub mod pcsc;
#[cfg(feature = "smdp")]
pub mod smdp;
pub mod trace;
#[cfg(feature = "vpcd")]
pub mod vpcd;

use crate::crypto::CryptoProvider;
use crate::platform::{Clock, Parts, UnixTime, WithCrypto};
use rand_core::UnwrapErr;

/// The operating system's random number generator.
pub type OsRng = UnwrapErr<getrandom::SysRng>;

/// The environment variable that sets the card clock of the host adapters: Unix seconds.
pub const NOW_VAR: &str = "VEUICC_NOW";

/// The system clock, or the time `VEUICC_NOW` gives (Unix seconds, e.g.
/// `VEUICC_NOW=$(( $(date +%s) + 91*86400 ))` for a card 91 days ahead) when it is set. It is
/// the card clock of every state directory the CLI opens ([`platform`]), so token windows,
/// renew-by and certificate validity can be tried at any date without waiting. A value that is
/// not a number of seconds is ignored (system time).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl SystemClock {
    /// The time `VEUICC_NOW` sets, if it is set to a number of seconds.
    pub fn injected() -> Option<UnixTime> {
        std::env::var(NOW_VAR).ok().and_then(|v| v.trim().parse::<u64>().ok()).map(UnixTime)
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Option<UnixTime> {
        Self::injected().or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok().map(|d| UnixTime(d.as_secs()))
        })
    }
}

/// A platform on the host: the given storage, the OS RNG, the system clock, a crypto provider.
pub type HostPlatform<S> = WithCrypto<Parts<S, OsRng, SystemClock>>;

/// A host platform around `storage`, with the fastest provider this build has
/// ([`crate::crypto::fastest`]: aws-lc with the feature `aws-lc`, else RustCrypto).
pub fn platform<S>(storage: S) -> HostPlatform<S> {
    platform_with(storage, crate::crypto::fastest())
}

/// A host platform around `storage` whose card runs on `crypto`.
pub fn platform_with<S>(storage: S, crypto: &'static dyn CryptoProvider) -> HostPlatform<S> {
    WithCrypto { inner: Parts { storage, rng: UnwrapErr(getrandom::SysRng), clock: SystemClock }, crypto }
}
