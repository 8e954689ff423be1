//! Helpers shared by the subcommands.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use veuicc::Card;
use veuicc::config::{Aid, CardConfig};
use veuicc::crypto::CryptoProvider;
use veuicc::host::fs_storage::DirStorage;
use veuicc::host::{HostPlatform, platform_with};
use veuicc::identity::Identity;
use veuicc::store::MemStorage;
use veuicc::testkit::pki::{
    IdentityDer, IdentityFiles, cert_validity, default_identity, iso_date, load_identity, load_identity_dir,
};
use veuicc::testkit::{Transport, default_config};

/// Writes one line to stdout. When that fails (the reader closed the pipe, as `head -1`
/// does, or the disk behind it is full) there is no one left to tell: the process ends at
/// once with exit 0, as a tool that SIGPIPE stops would, instead of panicking. Every command
/// has committed its card state by the time it prints, so nothing is left half done.
pub(crate) fn out_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{args}").and_then(|()| out.flush()).is_err() {
        std::process::exit(0);
    }
}

/// Writes one line to stderr; a closed stderr drops the line.
pub(crate) fn err_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{args}");
}

/// Upper-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02X}");
        s
    })
}

/// Parses hex, ignoring spaces, colons and underscores; anything else that is not a hex
/// digit (`+`, `-`, `0x`, …) is refused, naming the character and where it is.
pub(crate) fn unhex(text: &str) -> Result<Vec<u8>, String> {
    let mut digits = Vec::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        match c.to_digit(16) {
            Some(d) => digits.extend(u8::try_from(d).ok()),
            None if " :_".contains(c) => {}
            None => return Err(format!("{text:?}: not hex: {c:?} at offset {at}")),
        }
    }
    if !digits.len().is_multiple_of(2) {
        return Err(format!("{text:?}: odd number of hex digits"));
    }
    Ok(digits.chunks_exact(2).map(|p| p.iter().fold(0u8, |acc, d| (acc << 4) | d)).collect())
}

/// A JSON string literal.
pub(crate) fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A card whose state lives in `dir`, or in memory without one.
pub(crate) enum AnyCard {
    /// State in a directory.
    Dir(Box<Card<HostPlatform<DirStorage>>>),
    /// State in memory (lost on exit).
    Mem(Box<Card<HostPlatform<MemStorage>>>),
}

/// Where a card's identity comes from: a directory, explicit files, or both (the files
/// override or complete the directory). Without any, the identity a state directory keeps,
/// else the embedded test identity.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct IdentityArgs {
    /// Directory with the card's identity. Files are recognised by content, whatever their
    /// names: the eUICC certificate (exactly one), its private key, the EUM certificate that
    /// issued it and the P-256 CI certificates. A `veuicc pki new` card directory and the
    /// GSMA SGP.26 set (`fixtures/sgp26`) both work.
    #[arg(long, value_name = "DIR")]
    pub(crate) identity: Option<PathBuf>,
    /// CERT.EUICC (PEM or DER).
    #[arg(long, value_name = "FILE")]
    pub(crate) euicc_cert: Option<PathBuf>,
    /// SK.EUICC (PEM or DER; SEC1 `EC PRIVATE KEY` or PKCS#8).
    #[arg(long, value_name = "FILE")]
    pub(crate) euicc_key: Option<PathBuf>,
    /// CERT.EUM (PEM or DER).
    #[arg(long, value_name = "FILE")]
    pub(crate) eum_cert: Option<PathBuf>,
    /// A CI certificate the card trusts (PEM or DER); repeat for several.
    #[arg(long = "ci-cert", value_name = "FILE")]
    pub(crate) ci_certs: Vec<PathBuf>,
    /// The AID the card's ISD-R is selected by (5–16 bytes of hex; default
    /// A0000005591010FFFFFFFF8900000100). Real cards use others, e.g.
    /// A0000005591010FFFFFFFF89000505; this tool's LPA commands select it, and `veuicc lpac`
    /// hands it to lpac as LPAC_CUSTOM_ISD_R_AID.
    #[arg(long, value_name = "HEX", value_parser = parse_aid)]
    pub(crate) isd_r_aid: Option<Aid>,
    #[command(flatten)]
    pub(crate) personality: crate::personality::PersonalityArgs,
    /// The crypto provider the card runs on: `rustcrypto`, or `aws-lc` (AWS-LC's assembly
    /// P-256; the default when this build has the feature `aws-lc`).
    #[arg(long, value_name = "PROVIDER", value_parser = parse_crypto)]
    pub(crate) crypto: Option<&'static dyn CryptoProvider>,
}

/// A crypto provider by name (for `--crypto`).
pub(crate) fn parse_crypto(text: &str) -> Result<&'static dyn CryptoProvider, String> {
    veuicc::crypto::provider_named(text).ok_or_else(|| {
        let known: Vec<&str> = veuicc::crypto::providers().iter().map(|p| p.name()).collect();
        let hint = if text == "aws-lc" { " (this build has no feature aws-lc)" } else { "" };
        format!("{text:?}: not a crypto provider of this build{hint}; known: {}", known.join(", "))
    })
}

/// An AID in hex (for `--isd-r-aid`).
fn parse_aid(text: &str) -> Result<Aid, String> {
    Aid::new(&unhex(text)?).map_err(|e| format!("{text:?}: {e}"))
}

impl IdentityArgs {
    fn files(&self) -> IdentityFiles {
        IdentityFiles {
            euicc_cert: self.euicc_cert.clone(),
            euicc_key: self.euicc_key.clone(),
            eum_cert: self.eum_cert.clone(),
            ci_certs: self.ci_certs.clone(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.identity.is_none() && self.files().is_empty()
    }

    /// The identity these flags name, or `None` without any.
    fn load(&self) -> Result<Option<(Identity, IdentityDer)>, String> {
        if self.is_empty() {
            return Ok(None);
        }
        let loaded = match &self.identity {
            Some(dir) => load_identity(dir, self.files()),
            None => {
                let missing = self.files().missing();
                if !missing.is_empty() {
                    return Err(format!(
                        "identity: missing {} (give each file, or --identity DIR holding them)",
                        missing.join(", ")
                    ));
                }
                self.files().load()
            }
        };
        loaded.map(Some).map_err(|e| format!("identity: {e}"))
    }
}

/// Where a state directory keeps the identity it was first used with (hidden, so the store
/// ignores it; directory 0700, files 0600).
pub(crate) const KEPT_IDENTITY: &str = ".identity";

/// A card's identity and configuration, and the identity still to be written into the state
/// directory (see [`CardSetup::keep`]).
pub(crate) struct CardSetup {
    pub(crate) config: CardConfig,
    pub(crate) identity: Arc<Identity>,
    to_keep: Option<(PathBuf, IdentityDer)>,
    /// The personality still to be written into the state directory.
    personality_to_keep: Option<(PathBuf, String)>,
    /// Not the embedded default: named by flags or kept by the state directory.
    own: bool,
    /// The provider the card runs on (`--crypto`, else [`veuicc::crypto::fastest`]).
    pub(crate) crypto: &'static dyn CryptoProvider,
}

/// Warns on stderr when CERT.EUICC is not valid at the system time: a real SM-DP+ refuses it.
fn warn_validity(identity: &Identity) {
    let Some((not_before, not_after)) = cert_validity(identity.euicc_cert()) else { return };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let problem = if now < not_before {
        format!("is not valid before {}", iso_date(not_before))
    } else if now > not_after {
        format!("expired on {}", iso_date(not_after))
    } else {
        return;
    };
    errln!(
        "veuicc: warning: CERT.EUICC of EID {} {problem} (system time {}); an SM-DP+ refuses it \
         (`veuicc download --accept-expired` accepts it)",
        identity.eid(),
        iso_date(now)
    );
}

/// The card identity for `state` and `args`: the one the flags name (a state directory
/// keeps it on first use: [`CardSetup::keep`]), else the one `state` keeps, else the embedded
/// test identity. A state directory keeps one identity: flags naming another are refused.
pub(crate) fn card_setup(state: Option<&Path>, args: &IdentityArgs) -> Result<CardSetup, String> {
    let mut setup = identity_setup(state, args)?;
    setup.crypto = args.crypto.unwrap_or_else(veuicc::crypto::fastest);
    if let Some(aid) = args.isd_r_aid {
        setup.config.isd_r_aid = aid;
    }
    let text = crate::personality::apply(state, &args.personality, &mut setup.config)?;
    setup.personality_to_keep = state.zip(text).map(|(d, t)| (d.to_path_buf(), t));
    Ok(setup)
}

fn identity_setup(state: Option<&Path>, args: &IdentityArgs) -> Result<CardSetup, String> {
    let given = args.load()?;
    let kept_dir = state.map(|d| d.join(KEPT_IDENTITY)).filter(|d| d.is_dir());
    let kept = match &kept_dir {
        Some(dir) => Some(load_identity_dir(dir).map_err(|e| format!("identity kept in the state directory: {e}"))?),
        None => None,
    };
    let (identity, to_keep) = match (given, kept, state) {
        (Some((id, _)), Some(kept), Some(dir)) => {
            if id.euicc_cert() != kept.euicc_cert() {
                return Err(format!(
                    "{} keeps the identity of EID {} (in {}); it cannot take EID {}: use another state directory",
                    dir.display(),
                    kept.eid(),
                    dir.join(KEPT_IDENTITY).display(),
                    id.eid()
                ));
            }
            (id, None)
        }
        (Some((id, der)), None, Some(dir)) => (id, Some((dir.to_path_buf(), der))),
        (Some((id, _)), _, None) | (None, Some(id), _) => (id, None),
        (None, None, _) => {
            return Ok(CardSetup {
                config: default_config(),
                identity: default_identity(),
                to_keep: None,
                personality_to_keep: None,
                own: false,
                crypto: veuicc::crypto::fastest(),
            });
        }
    };
    warn_validity(&identity);
    Ok(CardSetup {
        config: identity.card_config(),
        identity: Arc::new(identity),
        to_keep,
        personality_to_keep: None,
        own: true,
        crypto: veuicc::crypto::fastest(),
    })
}

impl CardSetup {
    /// True unless this is the embedded default identity.
    pub(crate) fn keeps_own(&self) -> bool {
        self.own
    }

    /// Writes the identity into the state directory if it is the first one used there:
    /// `DIR/.identity/` (0700) with `euicc.der`, `euicc_sk.der`, `eum.der`, `ciN.der` (0600),
    /// written beside it and renamed into place, so it is there whole or not at all.
    pub(crate) fn keep(&mut self) -> Result<(), String> {
        if let Some((dir, text)) = self.personality_to_keep.take() {
            crate::personality::keep(&dir, &text)?;
        }
        let Some((dir, der)) = self.to_keep.take() else { return Ok(()) };
        let err = |e: std::io::Error| format!("{}: keeping the identity: {e}", dir.display());
        let tmp = dir.join(".identity-new");
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(err)?;
        }
        write_private_dir(&tmp, &der).map_err(err)?;
        std::fs::rename(&tmp, dir.join(KEPT_IDENTITY)).map_err(err)?;
        std::fs::File::open(&dir).and_then(|d| d.sync_all()).map_err(err)
    }
}

fn write_private_dir(dir: &Path, der: &IdentityDer) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
    std::fs::DirBuilder::new().mode(0o700).create(dir)?;
    let mut files: Vec<(String, &[u8])> = vec![
        ("euicc.der".into(), &der.euicc_cert),
        ("euicc_sk.der".into(), &der.euicc_key),
        ("eum.der".into(), &der.eum_cert),
    ];
    for (n, ci) in der.ci_certs.iter().enumerate() {
        files.push((format!("ci{}.der", n + 1), ci));
    }
    for (name, bytes) in files {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(dir.join(name))?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::File::open(dir)?.sync_all()
}

impl AnyCard {
    pub(crate) fn open(state: Option<&PathBuf>, identity: &IdentityArgs) -> Result<AnyCard, String> {
        match state {
            Some(dir) => {
                // The lock first: the kept identity is read and written under it.
                let storage = DirStorage::open(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                let mut setup = card_setup(Some(dir), identity)?;
                let card = Card::with_identity(
                    setup.config.clone(),
                    setup.identity.clone(),
                    platform_with(storage, setup.crypto),
                )
                .map_err(|e| format!("{}: {e}", dir.display()))?;
                setup.keep()?;
                Ok(AnyCard::Dir(Box::new(card)))
            }
            None => {
                let setup = card_setup(None, identity)?;
                let card =
                    Card::with_identity(setup.config, setup.identity, platform_with(MemStorage::new(), setup.crypto))
                        .map_err(|e| e.to_string())?;
                Ok(AnyCard::Mem(Box::new(card)))
            }
        }
    }

    /// The AID the card's ISD-R is selected by.
    pub(crate) fn isd_r_aid(&self) -> Aid {
        match self {
            AnyCard::Dir(c) => c.config().isd_r_aid,
            AnyCard::Mem(c) => c.config().isd_r_aid,
        }
    }

    /// An ES10 session with the card's ISD-R on a new logical channel.
    pub(crate) fn es10(self) -> Result<veuicc::testkit::Es10Client<AnyCard>, String> {
        let aid = self.isd_r_aid();
        veuicc::testkit::Es10Client::open_with_aid(self, aid.as_bytes()).map_err(|e| e.to_string())
    }

    /// The card's configuration.
    pub(crate) fn config(&self) -> &CardConfig {
        match self {
            AnyCard::Dir(c) => c.config(),
            AnyCard::Mem(c) => c.config(),
        }
    }

    /// One APDU to eSIM port `port` (a MEP card's logical SE interface; port 0 otherwise).
    pub(crate) fn transmit_on(&mut self, port: u8, apdu: &[u8]) -> Vec<u8> {
        match self {
            AnyCard::Dir(c) => c.transmit_on(port, apdu),
            AnyCard::Mem(c) => c.transmit_on(port, apdu),
        }
    }

    /// The card's identity.
    pub(crate) fn identity(&self) -> Option<&Identity> {
        match self {
            AnyCard::Dir(c) => c.identity(),
            AnyCard::Mem(c) => c.identity(),
        }
    }
}

impl Transport for AnyCard {
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        match self {
            AnyCard::Dir(c) => c.transmit(apdu),
            AnyCard::Mem(c) => c.transmit(apdu),
        }
    }
}

/// A transport that remembers every exchange.
pub(crate) struct Recorder<T> {
    pub(crate) inner: T,
    pub(crate) log: Vec<(Vec<u8>, Vec<u8>)>,
}

impl<T: Transport> Transport for Recorder<T> {
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        let r = self.inner.transmit(apdu);
        self.log.push((apdu.to_vec(), r.clone()));
        r
    }
}
