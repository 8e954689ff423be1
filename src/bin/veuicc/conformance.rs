//! `veuicc conformance --reader NAME | --state DIR [--identity DIR | --euicc-cert …] [--isd-r-aid HEX]
//! [--allow-changes] [--json]`: the conformance suite (`testkit::conformance`) against a card in a
//! PC/SC reader or a veuicc card; a pass/fail table, or JSON. Exit 0 when no check failed, 1 otherwise.

use crate::common::{AnyCard, IdentityArgs};
use std::path::PathBuf;
use std::process::ExitCode;
use veuicc::testkit::conformance::{Options, Report, run};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The PC/SC reader whose card to check (its name, or a part only one reader's name
    /// contains); needs a build with `--features pcsc`.
    #[arg(long, value_name = "NAME", conflicts_with = "state")]
    reader: Option<String>,
    /// Check the veuicc card whose state lives in DIR (default: a fresh card in memory).
    #[arg(long)]
    state: Option<PathBuf>,
    #[command(flatten)]
    identity: IdentityArgs,
    /// Also run the checks that change the card: download a profile from the test SM-DP+,
    /// enable, disable, nickname and delete it, remove its notifications (only on a card that
    /// trusts the test CI; a profile enabled before is enabled again).
    #[arg(long)]
    allow_changes: bool,
    /// Print JSON: {"checks": [{id, title, reference, result, detail}…], passed, failed, skipped}.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run_cmd(args: Args) -> Result<ExitCode, String> {
    let mut options = Options { allow_changes: args.allow_changes, ..Options::default() };
    let report = match &args.reader {
        Some(name) => {
            let only_aid = IdentityArgs { isd_r_aid: None, ..args.identity.clone() };
            if !only_aid.is_empty() {
                return Err("with --reader, the card is the reader's: identity flags do not apply".into());
            }
            if let Some(aid) = args.identity.isd_r_aid {
                options.isd_r_aid = aid.as_bytes().to_vec();
            }
            reader(name, &options)?
        }
        None => {
            let card = AnyCard::open(args.state.as_ref(), &args.identity)?;
            options.isd_r_aid = card.isd_r_aid().as_bytes().to_vec();
            run(card, &options)
        }
    };
    if args.json {
        outln!("{}", report.to_json());
    } else {
        outln!("{}", report.table());
    }
    Ok(if report.failed() == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

#[cfg(feature = "pcsc")]
fn reader(name: &str, options: &Options) -> Result<Report, String> {
    let reader = veuicc::host::pcsc::Reader::connect(name)?;
    if let Some((atr, protocol)) = reader.status() {
        errln!("veuicc: {}: ATR {}, {protocol}", reader.name(), crate::common::hex(&atr));
    }
    Ok(run(reader, options))
}

#[cfg(not(feature = "pcsc"))]
fn reader(_: &str, _: &Options) -> Result<Report, String> {
    Err("--reader needs PC/SC, which this veuicc was built without: build it with `--features pcsc` \
         (cargo install --path . --features pcsc; needs libpcsclite-dev)"
        .into())
}
