//! `veuicc serve --vpcd HOST:PORT [--cards N] [--state DIR] [--identity DIR | --euicc-cert …] [--trace FILE] [--pcap FILE]`:
//! runs cards in vsmartcard vpcd reader slots, so pcscd and every PC/SC tool see them.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use veuicc::Card;
use veuicc::host::fs_storage::DirStorage;
use veuicc::host::platform_with;
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
    /// A MEP card (`--mep`) in one reader slot per eSIM port: the terminal of slot P talks to
    /// port P (its SIM, its channels), as a modem stack per port would. Slots are numbered
    /// on from vpcd's port, card by card; a single-port card has one. Traces: one per slot
    /// (slot S > 0 writes FILE.S).
    #[arg(long)]
    port_slots: bool,
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
    let mut next_slot: u16 = 0;
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
            // The identity's EID and CIs, with the personality (--sgp22, --mep) kept.
            let (sgp22, mep) = (setup.config.sgp22, setup.config.mep);
            setup.config = id.card_config();
            setup.config.sgp22 = sgp22;
            setup.config.mep = mep;
            if let Some(aid) = args.identity.isd_r_aid {
                setup.config.isd_r_aid = aid;
            }
            setup.identity = Arc::new(id);
        }
        let (config, identity, crypto) = (setup.config.clone(), setup.identity.clone(), setup.crypto);
        let eid = config.eid;
        let where_ = state.as_ref().map_or("in memory".into(), |d| d.display().to_string());
        let card = match (storage, &state) {
            (Some(storage), Some(dir)) => {
                let card = Card::with_identity(config, identity, platform_with(storage, crypto))
                    .map_err(|e| format!("{}: {e}", dir.display()))?;
                setup.keep()?;
                AnyServed::Dir(card)
            }
            _ => AnyServed::Mem(
                Card::with_identity(config, identity, platform_with(MemStorage::new(), crypto))
                    .map_err(|e| e.to_string())?,
            ),
        };
        let ports = if args.port_slots { card.ports() } else { 1 };
        let card = card.into_slots(args.port_slots);
        for (port, mut slot) in (0u8..).zip(card) {
            let addr = vpcd::slot_address(&args.vpcd, next_slot)?;
            let n = next_slot;
            next_slot = next_slot.checked_add(1).ok_or("too many reader slots")?;
            let per_slot = |t: &PathBuf| if n == 0 { t.clone() } else { t.with_extension(format!("{n}")) };
            let what = if args.port_slots { format!("card {k} eSIM port {port}") } else { format!("card {k}") };
            let mut trace = Trace::open(
                args.trace.as_ref().map(per_slot).as_deref(),
                args.pcap.as_ref().map(per_slot).as_deref(),
                &format!("veuicc serve {what} EID {eid} via vpcd {addr}"),
            )?;
            if args.port_slots && ports > 1 {
                errln!("{what}: EID {eid}, vpcd {addr}, state {where_}");
            } else {
                errln!("card {k}: EID {eid}, vpcd {addr}, state {where_}");
            }
            let mut log = move |msg: &str| errln!("{what}: {msg}");
            handles.push(std::thread::spawn(move || vpcd::serve(&mut *slot, &addr, &STOP, &mut trace, &mut log)));
        }
    }
    for h in handles {
        let _ = h.join();
    }
    Ok(ExitCode::SUCCESS)
}

/// A served card, by where its state lives.
enum AnyServed {
    Dir(Card<veuicc::host::HostPlatform<DirStorage>>),
    Mem(Card<veuicc::host::HostPlatform<MemStorage>>),
}

impl AnyServed {
    fn ports(&self) -> u8 {
        match self {
            AnyServed::Dir(c) => c.ports(),
            AnyServed::Mem(c) => c.ports(),
        }
    }

    /// The reader slots: the whole card in one, or (`per_port`) one per eSIM port sharing it.
    fn into_slots(self, per_port: bool) -> Vec<Box<dyn vpcd::Slot + Send>> {
        fn slots<P: veuicc::platform::Platform + Send + 'static>(
            card: Card<P>,
            per_port: bool,
        ) -> Vec<Box<dyn vpcd::Slot + Send>>
        where
            <P::Storage as veuicc::platform::Storage>::Error: core::fmt::Display,
        {
            if !per_port {
                return vec![Box::new(card)];
            }
            let ports = card.ports();
            let card = Arc::new(Mutex::new(card));
            (0..ports).map(|p| Box::new(vpcd::PortSlot::new(card.clone(), p)) as Box<dyn vpcd::Slot + Send>).collect()
        }
        match self {
            AnyServed::Dir(c) => slots(c, per_port),
            AnyServed::Mem(c) => slots(c, per_port),
        }
    }
}
