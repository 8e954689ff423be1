//! `veuicc` — run a virtual eUICC from the command line.
//!
//! One file per subcommand; `common.rs` holds what they share (hex, JSON, card set-up).
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod apdu;
mod common;
mod demo;
mod state;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// A software eUICC (virtual eSIM card) speaking ISO 7816-4 and GSMA SGP.22.
#[derive(Debug, Parser)]
#[command(name = "veuicc", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the main job on embedded defaults: power on, open a channel, select
    /// the ISD-R, read the EID and EUICCInfo2, and print what happened.
    Demo(demo::Args),
    /// Send APDUs (hex) to one card in order and print `> C-APDU` / `< R-APDU` lines.
    Apdu(apdu::Args),
    /// Inspect a state directory: `check` verifies it, `show` prints the logical state.
    State(state::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Apdu(args) => apdu::run(args),
        Command::State(args) => state::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("veuicc: {e}");
            ExitCode::from(2)
        }
    }
}
