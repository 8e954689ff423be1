//! `veuicc serve --vpcd HOST:PORT [--cards N] [--state DIR] [--identity DIR | --euicc-cert …] [--trace FILE] [--pcap FILE]`:
//! runs cards in vsmartcard vpcd reader slots, so pcscd and every PC/SC tool see them.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use veuicc::Card;
use veuicc::host::fs_storage::DirStorage;
use veuicc::host::platform;
use veuicc::host::trace::Trace;
use veuicc::host::vpcd;
use veuicc::store::MemStorage;
use veuicc::testkit::pki::{TestPki, default_pki};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// vpcd's address for the first card (reader slot 0); card K uses port + K.
    #[arg(long, default_value = "127.0.0.1:35963", value_name = "HOST:PORT")]
    vpcd: String,
    /// How many cards (reader slots), each with its own EID and state.
    #[arg(long, default_value_t = 1)]
    cards: u16,
    /// State directory; with several cards, card K keeps its state in DIR/cardK.
    #[arg(long)]
    state: Option<PathBuf>,
    /// The card's identity (one card only); default: the one the state directory keeps, else
    /// generated test identities.
    #[command(flatten)]
    identity: crate::common::IdentityArgs,
    /// Record every exchange to this file (card K > 0 writes FILE.K).
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Capture every exchange as GSMTAP SIM frames in this pcap file (card K > 0 writes FILE.K).
    #[arg(long, value_name = "FILE")]
    pcap: Option<PathBuf>,
}

static STOP: AtomicBool = AtomicBool::new(false);

pub(crate) fn run(args: Args) -> Result<ExitCode, String> {
    if args.cards == 0 {
        return Err("--cards must be at least 1".into());
    }
    if !args.identity.is_empty() && args.cards > 1 {
        return Err("--identity and --euicc-cert… give one card its identity; use them with --cards 1".into());
    }
    // Card 0 is the embedded default identity; more cards come from the same test PKI seed
    // (unless a card's state directory keeps another).
    let pki = (args.cards > 1).then(|| TestPki::generate(default_pki().seed, usize::from(args.cards)));
    let mut handles = Vec::new();
    for k in 0..args.cards {
        let state = args.state.as_ref().map(|d| if args.cards > 1 { d.join(format!("card{k}")) } else { d.clone() });
        // The state directory's lock first: a kept identity is read and written under it.
        let storage = match &state {
            Some(dir) => Some(DirStorage::open(dir).map_err(|e| e.to_string())?),
            None => None,
        };
        let mut setup = crate::common::card_setup(state.as_deref(), &args.identity)?;
        if let Some(pki) = &pki
            && !setup.keeps_own()
        {
            let id = pki.identity(usize::from(k)).map_err(|e| format!("card {k}: {e}"))?;
            setup.config = id.card_config();
            if let Some(aid) = args.identity.isd_r_aid {
                setup.config.isd_r_aid = aid;
            }
            setup.identity = Arc::new(id);
        }
        let (config, identity) = (setup.config.clone(), setup.identity.clone());
        let addr = vpcd::slot_address(&args.vpcd, k)?;
        let per_card = |t: &PathBuf| if k == 0 { t.clone() } else { t.with_extension(format!("{k}")) };
        let mut trace = Trace::open(
            args.trace.as_ref().map(per_card).as_deref(),
            args.pcap.as_ref().map(per_card).as_deref(),
            &format!("veuicc serve card {k} EID {} via vpcd {addr}", config.eid),
        )?;
        let eid = config.eid;
        errln!(
            "card {k}: EID {eid}, vpcd {addr}, state {}",
            state.as_ref().map_or("in memory".into(), |d| d.display().to_string())
        );
        let mut log = move |msg: &str| errln!("card {k}: {msg}");
        match (storage, state) {
            (Some(storage), Some(dir)) => {
                let mut card = Card::with_identity(config, identity, platform(storage))
                    .map_err(|e| format!("{}: {e}", dir.display()))?;
                setup.keep()?;
                handles.push(std::thread::spawn(move || vpcd::serve(&mut card, &addr, &STOP, &mut trace, &mut log)));
            }
            _ => {
                let mut card =
                    Card::with_identity(config, identity, platform(MemStorage::new())).map_err(|e| e.to_string())?;
                handles.push(std::thread::spawn(move || vpcd::serve(&mut card, &addr, &STOP, &mut trace, &mut log)));
            }
        }
    }
    for h in handles {
        let _ = h.join();
    }
    Ok(ExitCode::SUCCESS)
}
