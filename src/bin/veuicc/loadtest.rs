//! `veuicc loadtest --smdp HOST:PORT [--insecure] [--cacert FILE] --cards N (--count M |
//! --duration S) --concurrency C [--ramp S] [--crypto rustcrypto|aws-lc] [--json]
//! [--hdr-log FILE] [--shard K/N] [--card-latency real-card|FILE]`: N virtual cards run full
//! SGP.22 downloads against an ES9+ SM-DP+ and the latency of every step is reported
//! (`veuicc::host::loadtest`).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use veuicc::crypto::CryptoProvider;
use veuicc::host::loadtest::{CardLatency, Config, Shard, Stop, Tls, run};

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("stop").required(true).args(["count", "duration"])))]
pub(crate) struct Args {
    /// The SM-DP+ (HOST:PORT, the address it signs in serverSigned1).
    #[arg(long, value_name = "HOST:PORT")]
    smdp: String,
    /// Do not check the SM-DP+'s TLS certificate.
    #[arg(long, conflicts_with = "plain_http")]
    insecure: bool,
    /// Trust this CA certificate (PEM or DER) for the SM-DP+'s TLS certificate, besides the
    /// cards' CI (the embedded test CI); repeat for several.
    #[arg(long, value_name = "FILE")]
    cacert: Vec<PathBuf>,
    /// Plain HTTP (an SM-DP+ behind `smdp serve --plain-http`).
    #[arg(long)]
    plain_http: bool,
    /// The matchingId each download sends ("" for none).
    #[arg(long, value_name = "ID", default_value = veuicc::testkit::es9p::DEFAULT_MATCHING_ID)]
    matching_id: String,
    /// How many cards (each with its own EID and CERT.EUICC).
    #[arg(long, default_value_t = 1)]
    cards: usize,
    /// Downloads in all.
    #[arg(long, value_name = "M")]
    count: Option<u64>,
    /// Run for this many seconds instead (downloads under way finish).
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
    /// Downloads at a time (worker threads; at most --cards).
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Start the workers evenly over this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 0.0)]
    ramp: f64,
    /// Send the notifications after each download (handleNotification to --smdp).
    #[arg(long)]
    notifications: bool,
    /// Enable the profile after each download.
    #[arg(long)]
    enable: bool,
    /// Delete the profile after each download (disabling it first with --enable).
    #[arg(long)]
    delete: bool,
    /// The crypto provider the cards run on: `rustcrypto`, or `aws-lc` (the default when this
    /// build has the feature `aws-lc`).
    #[arg(long, value_name = "PROVIDER", value_parser = crate::common::parse_crypto)]
    crypto: Option<&'static dyn CryptoProvider>,
    /// Print one JSON object instead of the table (and no progress bar).
    #[arg(long)]
    json: bool,
    /// Write the histograms here in HdrHistogram's interval-log format, one tagged entry per step.
    #[arg(long, value_name = "FILE")]
    hdr_log: Option<PathBuf>,
    /// Run shard K of N (K from 0): its cards get EIDs no other shard uses (give every shard
    /// the same --cards).
    #[arg(long, value_name = "K/N", default_value = "0/1")]
    shard: Shard,
    /// Add a real card's delays per ES10 operation: `real-card` (the built-in table), or a file
    /// of `step=ms` lines.
    #[arg(long, value_name = "real-card|FILE")]
    card_latency: Option<String>,
}

fn seconds(what: &str, s: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(s).map_err(|_| format!("{what} {s}: not a number of seconds ≥ 0"))
}

pub(crate) fn run_cmd(args: Args) -> Result<ExitCode, String> {
    let tls = if args.plain_http {
        Tls::Plain
    } else if args.insecure {
        errln!("veuicc: warning: --insecure: the SM-DP+'s TLS certificate is not checked");
        Tls::Insecure
    } else {
        let mut roots = vec![veuicc::testkit::pki::default_pki().ci.der.clone()];
        for f in &args.cacert {
            roots.extend(veuicc::host::es9_client::read_certificates(f)?);
        }
        Tls::Roots(roots)
    };
    let stop = match (args.count, args.duration) {
        (Some(m), _) => Stop::Count(m),
        (None, Some(s)) => Stop::Duration(seconds("--duration", s)?),
        (None, None) => return Err("give --count M or --duration SECS".into()),
    };
    let card_latency = match args.card_latency.as_deref() {
        None => None,
        Some("real-card") => Some(CardLatency::real_card()),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("--card-latency {path}: {e}"))?;
            Some(CardLatency::parse(&text).map_err(|e| format!("{path}: {e}"))?)
        }
    };
    let cfg = Config {
        address: args.smdp.clone(),
        matching_id: Some(args.matching_id.clone()).filter(|m| !m.is_empty()),
        tls,
        cards: args.cards,
        stop,
        concurrency: args.concurrency,
        ramp: seconds("--ramp", args.ramp)?,
        notifications: args.notifications,
        enable: args.enable,
        delete: args.delete,
        crypto: args.crypto.unwrap_or_else(veuicc::crypto::fastest),
        shard: args.shard,
        card_latency,
        progress: !args.json && std::io::stderr().is_terminal(),
    };
    if args.concurrency > args.cards {
        errln!(
            "veuicc: note: --concurrency {} > --cards {}: a card downloads once at a time, so {} run at a time",
            args.concurrency,
            args.cards,
            args.cards
        );
    }
    let report = run(&cfg)?;
    if let Some(path) = &args.hdr_log {
        let mut f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        report.write_hdr_log(&mut f).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    if args.json {
        outln!("{}", report.to_json());
    } else {
        for line in report.table().lines() {
            outln!("{line}");
        }
    }
    Ok(if report.failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
