//! `veuicc lpac [--state DIR] [--identity DIR] [--lpac PATH] [--trace FILE] [--pcap FILE] -- <lpac args>`:
//! runs lpac with its stdio APDU backend against the card, no pcscd needed.

use crate::common::{AnyCard, IdentityArgs};
use std::io::BufReader;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use veuicc::host::lpac::{self, bridge};
use veuicc::host::trace::Trace;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Directory holding the card's persistent state.
    #[arg(long)]
    state: Option<PathBuf>,
    #[command(flatten)]
    identity: IdentityArgs,
    /// The lpac program (default: `lpac` on PATH).
    #[arg(long, default_value = "lpac")]
    lpac: PathBuf,
    /// Record every exchange to this file.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Capture every exchange as GSMTAP SIM frames in this pcap file (Wireshark, tshark).
    #[arg(long, value_name = "FILE")]
    pcap: Option<PathBuf>,
    /// Arguments for lpac, e.g. `chip info`.
    #[arg(last = true)]
    args: Vec<String>,
}

impl lpac::Card for AnyCard {
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        veuicc::testkit::Transport::transmit(self, apdu)
    }
    fn power(&mut self, on: bool) {
        match (self, on) {
            (AnyCard::Dir(c), true) => drop(c.power_on()),
            (AnyCard::Mem(c), true) => drop(c.power_on()),
            (AnyCard::Dir(c), false) => c.power_off(),
            (AnyCard::Mem(c), false) => c.power_off(),
        }
    }
}

pub(crate) fn run(args: Args) -> Result<ExitCode, String> {
    let mut card = AnyCard::open(args.state.as_ref(), &args.identity)?;
    let mut trace = Trace::open(args.trace.as_deref(), args.pcap.as_deref(), "veuicc lpac")?;
    let mut command = Command::new(&args.lpac);
    if let Some(aid) = args.identity.isd_r_aid {
        command.env("LPAC_CUSTOM_ISD_R_AID", aid.to_string());
    }
    let mut child = command
        .args(&args.args)
        .env("LPAC_APDU", "stdio")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("{}: {e} (install lpac, or give --lpac PATH)", args.lpac.display()))?;
    let (Some(to), Some(from)) = (child.stdin.take(), child.stdout.take()) else {
        return Err("lpac's stdio could not be piped".into());
    };
    let result =
        bridge(&mut card, BufReader::new(from), to, std::io::stdout().lock(), std::io::stderr().lock(), &mut trace);
    if let Err(e) = result {
        let _ = child.kill();
        let _ = child.wait();
        return Err(e.to_string());
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::from(1),
    })
}
