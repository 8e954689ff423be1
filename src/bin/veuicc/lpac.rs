//! `veuicc lpac [--state DIR] [--identity DIR] [--lpac PATH] [--trace FILE] [--pcap FILE]
//! [--catalogue DIR] [--smdp-log FILE] [--network] -- <lpac args>`: runs lpac with its stdio APDU
//! backend against the card, no pcscd needed, and (unless `--network`) its stdio HTTP backend
//! against the in-process test SM-DP+, no network needed.

use crate::common::{AnyCard, IdentityArgs};
use std::io::BufReader;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;
use veuicc::host::lpac::{self, bridge};
use veuicc::host::trace::Trace;
use veuicc::testkit::es9p::{Catalogue, Es9Server};
use veuicc::testkit::pki::default_pki;
use veuicc::testkit::smdp::SmdpKeys;

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
    /// Let lpac reach SM-DP+s over the network itself (its curl backend) instead of answering
    /// its ES9+ requests from the in-process test SM-DP+ (`LPAC_HTTP=stdio`).
    #[arg(long)]
    network: bool,
    /// The in-process SM-DP+'s catalogue folder (`catalogue.json` and packages; see
    /// `veuicc smdp serve`); default: the generated test profile under matchingId
    /// VEUICC-TEST-PROFILE, also served when lpac sends no matchingId.
    #[arg(long, value_name = "DIR", conflicts_with = "network")]
    catalogue: Option<PathBuf>,
    /// Append the in-process SM-DP+'s events (JSON lines) to this file.
    #[arg(long, value_name = "FILE", conflicts_with = "network")]
    smdp_log: Option<PathBuf>,
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
    let smdp = if args.network { None } else { Some(in_process_smdp(&args)?) };
    let mut command = Command::new(&args.lpac);
    command.args(&args.args).env("LPAC_APDU", "stdio");
    if let Some(aid) = args.identity.isd_r_aid {
        command.env("LPAC_CUSTOM_ISD_R_AID", aid.to_string());
    }
    if smdp.is_some() {
        command.env("LPAC_HTTP", "stdio");
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("{}: {e} (install lpac, or give --lpac PATH)", args.lpac.display()))?;
    let (Some(to), Some(from)) = (child.stdin.take(), child.stdout.take()) else {
        return Err("lpac's stdio could not be piped".into());
    };
    let (out, notes) = (std::io::stdout().lock(), std::io::stderr().lock());
    let result = match &smdp {
        Some(smdp) => lpac::bridge_with_smdp(&mut card, smdp, BufReader::new(from), to, out, notes, &mut trace),
        None => bridge(&mut card, BufReader::new(from), to, out, notes, &mut trace),
    };
    if let (Some(smdp), Some(state)) = (&smdp, &args.state) {
        save_awaiting(smdp, state)?;
    }
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

/// Where a state directory keeps the in-process SM-DP+'s sessions that wait for their install
/// result (`profile download` and `notification process` are two lpac runs). Hidden: the
/// card's store ignores it.
const AWAITING: &str = ".smdp-awaiting.json";

fn in_process_smdp(args: &Args) -> Result<Es9Server, String> {
    let catalogue = match &args.catalogue {
        Some(dir) => Catalogue::load_dir(dir)?,
        None => Catalogue::default_test(),
    };
    let smdp = Es9Server::new(SmdpKeys::from_pki(default_pki()), None, catalogue);
    if let Some(path) = &args.smdp_log {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        smdp.set_log(Box::new(f));
    }
    if let Some(state) = &args.state
        && let Ok(text) = std::fs::read(state.join(AWAITING))
        && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&text)
    {
        smdp.import_awaiting(&v, Instant::now());
    }
    Ok(smdp)
}

fn save_awaiting(smdp: &Es9Server, state: &std::path::Path) -> Result<(), String> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let path = state.join(AWAITING);
    let v = smdp.export_awaiting(Instant::now());
    if v.as_array().is_none_or(Vec::is_empty) {
        let _ = std::fs::remove_file(&path);
        return Ok(());
    }
    let tmp = state.join(".smdp-awaiting.json.tmp");
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
        f.write_all(v.to_string().as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| format!("{}: {e}", path.display()))
}
