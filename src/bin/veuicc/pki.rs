//! `veuicc pki new DIR [--seed N] [--cards N]`: write a deterministic test PKI
//! (`veuicc::testkit::pki`) — CI, EUM, DPauth, DPpb, DPtls and one identity directory per card.

use std::path::PathBuf;
use std::process::ExitCode;
use veuicc::testkit::pki::{DEFAULT_SEED, TestPki};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: PkiCommand,
}

#[derive(Debug, clap::Subcommand)]
enum PkiCommand {
    /// Write `ci`, `eum`, `dpauth`, `dppb`, `dptls` (`.pem`, `.der`, `_sk.pem`) and `cardK/`
    /// identity directories (`euicc.*`, `euicc_sk.pem`, `eum.*`, `ci.*`, `eid.txt`) for `--identity`.
    New(NewArgs),
}

#[derive(Debug, clap::Args)]
struct NewArgs {
    /// Output directory (created if missing; existing files of the same names are replaced).
    dir: PathBuf,
    /// Seed of the deterministic key generator (same seed, same bytes). Default: the seed of the
    /// embedded identity, so `card1/` is the identity a card without `--identity` has.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// How many eUICC identities to issue.
    #[arg(long, default_value_t = 1)]
    cards: usize,
}

pub(crate) fn run(args: Args) -> Result<ExitCode, String> {
    match args.command {
        PkiCommand::New(a) => {
            if a.cards > 10_000 {
                return Err(format!("--cards {}: at most 10000", a.cards));
            }
            let pki = TestPki::generate(a.seed, a.cards);
            pki.write_dir(&a.dir).map_err(|e| format!("{}: {e}", a.dir.display()))?;
            outln!("test PKI (seed {}) written to {}", a.seed, a.dir.display());
            outln!("  CI PKID (SKI) {}", crate::common::hex(&pki.ci_ski()));
            for (n, eid) in pki.eids.iter().enumerate() {
                outln!("  card{}/  EID {eid}", n + 1);
            }
            outln!("TEST MATERIAL ONLY: anyone with the seed has every private key.");
            Ok(ExitCode::SUCCESS)
        }
    }
}
