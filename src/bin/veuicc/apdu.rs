//! `veuicc apdu [--state DIR] [--identity DIR | --euicc-cert …] [--trace FILE] [--pcap FILE] [--json] HEX...`

use crate::common::{AnyCard, IdentityArgs, hex, json_str, unhex};
use std::path::PathBuf;
use std::process::ExitCode;
use veuicc::testkit::Transport;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Directory holding the card's persistent state (created if missing); without it the state is in memory.
    #[arg(long)]
    state: Option<PathBuf>,
    #[command(flatten)]
    identity: IdentityArgs,
    /// Record the exchanges to this file (apdu-traces format).
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Capture the exchanges as GSMTAP SIM frames in this pcap file (Wireshark, tshark).
    #[arg(long, value_name = "FILE")]
    pcap: Option<PathBuf>,
    /// Print a JSON array of {"command","response","sw"} objects instead of `>`/`<` lines.
    #[arg(long)]
    json: bool,
    /// Command APDUs in hex (spaces inside one argument are allowed if quoted).
    #[arg(required = true, value_name = "HEX")]
    apdus: Vec<String>,
}

pub(crate) fn run(args: Args) -> Result<ExitCode, String> {
    let apdus = args.apdus.iter().map(|a| unhex(a)).collect::<Result<Vec<_>, _>>()?;
    let mut card = AnyCard::open(args.state.as_ref(), &args.identity)?;
    let mut trace = veuicc::host::trace::Trace::open(args.trace.as_deref(), args.pcap.as_deref(), "veuicc apdu")?;
    let mut items = Vec::new();
    for apdu in &apdus {
        let r = card.transmit(apdu);
        veuicc::host::trace::Trace::exchange(&mut trace, apdu, &r);
        if args.json {
            let (data, sw) = r.split_at(r.len().saturating_sub(2));
            items.push(format!(
                "{{\"command\":{},\"response\":{},\"sw\":{}}}",
                json_str(&hex(apdu)),
                json_str(&hex(data)),
                json_str(&hex(sw))
            ));
        } else {
            outln!("> {}", hex(apdu));
            outln!("< {}", hex(&r));
        }
    }
    if args.json {
        outln!("[{}]", items.join(","));
    }
    Ok(ExitCode::SUCCESS)
}
