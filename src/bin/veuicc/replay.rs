//! `veuicc replay [--pcap FILE] [--quiet] FILE|DIR...`: replays `apdu-traces/` traces against
//! the card each declares and checks every response byte for byte.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use veuicc::host::pcap::{Pcap, Stamps};
use veuicc::testkit::replay::replay_file;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Also write every exchange replayed as GSMTAP SIM frames into this pcap file (Wireshark).
    #[arg(long, value_name = "FILE")]
    pcap: Option<PathBuf>,
    /// Print only failures.
    #[arg(long, short)]
    quiet: bool,
    /// Trace files, or folders: every `*.trace` below them.
    #[arg(required = true, value_name = "FILE|DIR")]
    files: Vec<PathBuf>,
}

/// Every `*.trace` file below `dir`, sorted.
pub(crate) fn traces_in(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut entries = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect::<Vec<_>>();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            traces_in(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "trace") {
            out.push(p);
        }
    }
    Ok(())
}

pub(crate) fn run(args: Args) -> Result<ExitCode, String> {
    let mut files = Vec::new();
    for f in &args.files {
        if f.is_dir() { traces_in(f, &mut files)? } else { files.push(f.clone()) }
    }
    let mut pcap = match &args.pcap {
        Some(p) => Some(Pcap::create(p, Stamps::Counter).map_err(|e| format!("{}: {e}", p.display()))?),
        None => None,
    };
    let mut failed = 0usize;
    for f in &files {
        match replay_file(f, pcap.as_mut()) {
            Ok(o) => {
                if !args.quiet {
                    outln!(
                        "ok {}: {} exchanges, {} events, {} masked bytes",
                        f.display(),
                        o.exchanges,
                        o.events,
                        o.wildcards
                    );
                }
            }
            Err(e) => {
                failed += 1;
                errln!("FAILED {e}");
            }
        }
    }
    if !args.quiet || failed > 0 {
        outln!("{} of {} traces replayed", files.len() - failed, files.len());
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
