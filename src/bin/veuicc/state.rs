//! `veuicc state check DIR` and `veuicc state show DIR [--json]`.

use crate::common::{hex, json_str};
use std::path::PathBuf;
use std::process::ExitCode;
use veuicc::host::fs_storage::DirStorage;
use veuicc::store::{CardState, ProfileClass, ProfileState, Store, check_invariants};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Verify every file of a state directory and the card's invariants; exit 0 when sound,
    /// 1 naming the file and the fault (or the broken invariant). Reads only: works on a
    /// read-only directory.
    Check {
        /// The state directory.
        dir: PathBuf,
    },
    /// Print the logical state held in a state directory (reads only).
    Show {
        /// The state directory.
        dir: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn load(dir: &PathBuf) -> Result<(Store, CardState), String> {
    let mut storage = DirStorage::open_read_only(dir).map_err(|e| e.to_string())?;
    let store = Store::open(&mut storage).map_err(|e| format!("{}: {e}", dir.display()))?;
    let state = CardState::load::<std::io::Error>(&store).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok((store, state))
}

fn check(dir: &PathBuf) -> Result<(Store, CardState), String> {
    let (store, state) = load(dir)?;
    check_invariants(&store, &state).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok((store, state))
}

pub(crate) fn run(args: Args) -> Result<ExitCode, String> {
    match args.command {
        Command::Check { dir } => match check(&dir) {
            Ok((store, state)) => {
                outln!(
                    "{}: sound (generation {}, {} records, {} bytes, {} profiles)",
                    dir.display(),
                    store.generation(),
                    store.names().count(),
                    store.used_bytes(),
                    state.profiles.len()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                errln!("{e}");
                Ok(ExitCode::from(1))
            }
        },
        Command::Show { dir, json } => {
            let (store, state) = load(&dir)?;
            if json {
                outln!("{}", to_json(&store, &state));
            } else {
                outln!("state directory  {}", dir.display());
                outln!("generation       {}", store.generation());
                outln!("stored bytes     {}", store.used_bytes());
                outln!("default SM-DP+   {}", state.config.default_dp_address.as_deref().unwrap_or("(none)"));
                outln!("profiles         {}", state.profiles.len());
                for p in &state.profiles {
                    outln!(
                        "  {}  {}  {:<8}  {:<12}  {}  {}",
                        iccid(&p.iccid),
                        hex(&p.isdp_aid),
                        state_name(p.state),
                        class_name(p.class),
                        p.service_provider_name,
                        p.profile_name
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The ICCID as printed on a SIM: EF.ICCID bytes nibble-swapped, `F` padding dropped.
pub(crate) fn iccid(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|b| [b & 0x0F, b >> 4])
        .filter(|&n| n != 0x0F)
        .map(|n| char::from_digit(u32::from(n), 16).unwrap_or('?'))
        .collect()
}

fn state_name(s: ProfileState) -> &'static str {
    match s {
        ProfileState::Enabled => "enabled",
        ProfileState::Disabled => "disabled",
    }
}

fn class_name(c: ProfileClass) -> &'static str {
    match c {
        ProfileClass::Test => "test",
        ProfileClass::Provisioning => "provisioning",
        ProfileClass::Operational => "operational",
    }
}

fn to_json(store: &Store, state: &CardState) -> String {
    let profiles: Vec<String> = state
        .profiles
        .iter()
        .map(|p| {
            format!(
                "{{\"iccid\":{},\"isdp_aid\":{},\"state\":{},\"nickname\":{},\"service_provider\":{},\"name\":{},\"class\":{},\"port\":{}}}",
                json_str(&iccid(&p.iccid)),
                json_str(&hex(&p.isdp_aid)),
                json_str(state_name(p.state)),
                p.nickname.as_deref().map_or("null".into(), json_str),
                json_str(&p.service_provider_name),
                json_str(&p.profile_name),
                json_str(class_name(p.class)),
                p.enabled_on().map_or("null".into(), |port| port.0.to_string()),
            )
        })
        .collect();
    format!(
        "{{\"generation\":{},\"stored_bytes\":{},\"default_dp_address\":{},\"profiles\":[{}]}}",
        store.generation(),
        store.used_bytes(),
        state.config.default_dp_address.as_deref().map_or("null".into(), json_str),
        profiles.join(",")
    )
}
