//! `veuicc` — run a virtual eUICC from the command line.
//!
//! One file per subcommand; `common.rs` holds what they share (hex, JSON, card set-up).
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

/// `println!` that never panics: when stdout is gone (`veuicc apdu … | head -1`) the process
/// ends quietly (see [`common::out_line`]).
macro_rules! outln {
    ($($arg:tt)*) => { $crate::common::out_line(format_args!($($arg)*)) };
}

/// `eprintln!` that never panics: a closed stderr loses the message, nothing else.
macro_rules! errln {
    ($($arg:tt)*) => { $crate::common::err_line(format_args!($($arg)*)) };
}

mod apdu;
mod common;
mod conformance;
mod demo;
mod download;
#[cfg(feature = "loadtest")]
mod loadtest;
mod lpa;
mod lpac;
mod mirror;
mod personality;
mod pki;
mod replay;
mod rpm;
mod serve;
mod sim;
#[cfg(feature = "smdp")]
mod smdp;
mod state;
mod transfer;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// A software eUICC (virtual eSIM card) speaking ISO 7816-4 and GSMA SGP.22.
#[derive(Debug, Parser)]
#[command(name = "veuicc", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// One value per process, parsed once: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Run the main job on embedded defaults: power on, open a channel, select
    /// the ISD-R, read the EID and EUICCInfo2, and print what happened.
    Demo(demo::Args),
    /// Send APDUs (hex) to one card in order and print `> C-APDU` / `< R-APDU` lines.
    Apdu(apdu::Args),
    /// Inspect a state directory: `check` verifies it, `show` prints the logical state.
    State(state::Args),
    /// Test PKI: `pki new DIR [--seed N] [--cards N]` writes a CI, EUM, SM-DP+ certificates and
    /// card identity directories for `--identity` (deterministic, test material only).
    Pki(pki::Args),
    /// Serve cards in vsmartcard vpcd reader slots (pcscd + vsmartcard-vpcd): every PC/SC
    /// program then sees them. Reconnects when vpcd or pcscd restarts.
    Serve(serve::Args),
    /// Run lpac against the card through lpac's stdio APDU backend (no pcscd needed):
    /// `veuicc lpac -- chip info`.
    Lpac(lpac::Args),
    /// Replay traces (`apdu-traces/` format) against the card each declares; every response
    /// must match byte for byte. Exits 1 when one does not, showing the difference.
    Replay(replay::Args),
    /// Install a profile package into a card through the test SM-DP+ and the LPA driver, over
    /// APDUs; prints the ICCID, or the SGP.22 error name and exits 1.
    Download(download::Args),
    /// The test SM-DP+ over ES9+ (HTTPS): `smdp serve --listen 127.0.0.1:8443 [--catalogue DIR]`.
    #[cfg(feature = "smdp")]
    Smdp(smdp::Args),
    /// Load-test an ES9+ SM-DP+: N virtual cards run M full downloads, C at a time, and every
    /// ES9+ function and ES10 step is timed (p50/p90/p99/max); errors by code.
    #[cfg(feature = "loadtest")]
    Loadtest(loadtest::Args),
    /// List the installed profiles (ES10c.GetProfilesInfo).
    Profiles(lpa::ListArgs),
    /// Enable a profile (ES10c.EnableProfile).
    Enable(lpa::ProfileArgs),
    /// Disable a profile (ES10c.DisableProfile).
    Disable(lpa::ProfileArgs),
    /// Delete a profile (ES10c.DeleteProfile).
    Delete(lpa::ProfileArgs),
    /// Set or clear a profile's nickname (ES10c.SetNickname).
    Nickname(lpa::NicknameArgs),
    /// List pending notifications, or remove one (ES10b.ListNotification / RemoveNotificationFromList).
    Notifications(lpa::NotificationArgs),
    /// Delete profiles and/or reset the default SM-DP+ address (ES10c.eUICCMemoryReset).
    MemoryReset(lpa::ResetArgs),
    /// Run the conformance checks (ISO 7816-4, ES10) against a card in a PC/SC reader
    /// (`--reader NAME`, built with `--features pcsc`) or a veuicc card; a pass/fail table.
    Conformance(conformance::Args),
    /// Remote Profile Management (an SGP.22 v3 card): the built-in test SM-DP+ builds and signs
    /// an RPM package for a profile (`download --rpm` makes one it manages), the card runs it
    /// through the LPA path (AuthenticateServer, LoadRpmPackage): `rpm enable ICCID`.
    Rpm(rpm::Args),
    /// Device Change (an SGP.22 v3 card): move a profile to another card with the built-in test
    /// SM-DP+ (`download --device-change` lets one move): `transfer --from OLD --to NEW ICCID`.
    Transfer(transfer::Args),
    /// Browse the enabled profile's SIM over APDUs: `sim ls [PATH]`, `sim cat PATH`, `sim auth RAND AUTN`.
    Sim(sim::Args),
    /// Mirror instances (one subscription on several cards): `mirror issue ICCID` prints a token
    /// as a QR code, its base64 text and its numeric code; `redeem`, `revoke`, `list`, `info`.
    Mirror(mirror::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Apdu(args) => apdu::run(args),
        Command::State(args) => state::run(args),
        Command::Pki(args) => pki::run(args),
        Command::Download(args) => download::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Lpac(args) => lpac::run(args),
        #[cfg(feature = "smdp")]
        Command::Smdp(args) => smdp::run(args),
        #[cfg(feature = "loadtest")]
        Command::Loadtest(args) => loadtest::run_cmd(args),
        Command::Profiles(args) => lpa::profiles(args),
        Command::Enable(args) => lpa::enable(args),
        Command::Disable(args) => lpa::disable(args),
        Command::Delete(args) => lpa::delete(args),
        Command::Nickname(args) => lpa::nickname(args),
        Command::Notifications(args) => lpa::notifications(args),
        Command::MemoryReset(args) => lpa::memory_reset(args),
        Command::Rpm(args) => rpm::run(args),
        Command::Transfer(args) => transfer::run(args),
        Command::Sim(args) => sim::run(args),
        Command::Mirror(args) => mirror::run(args),
        Command::Conformance(args) => conformance::run_cmd(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            errln!("veuicc: {e}");
            ExitCode::from(2)
        }
    }
}
