//! Trace replay: builds the card a trace's header declares, sends each `>` command, and
//! checks each `<` response byte for byte (`..` matches any one byte). A mismatch is a
//! [`Mismatch`] whose `Display` shows the command, the expected and the actual response,
//! decoded as ISO 7816-4 / ES10 structures. Also the recorders' side: [`CardSpec::write_header`]
//! starts a trace for a card built the same way, so what is recorded replays.
//!
//! Header lines (`#! key value`, before the first exchange; see `apdu-traces/README.md`):
//! `format 1`, `about TEXT`, `source TEXT`, `identity default | pki SEED CARD`, `rng SEED`,
//! `clock none | UNIX-SECONDS`, `profile ICCID [enabled] [class=test|provisioning|operational]
//! [size=BYTES] [notify=none]` (repeatable: installed through the test SM-DP+ before the first
//! exchange, untraced), `state DIR` (a state-directory fixture, relative to the trace file,
//! copied before use), `sgp22 2.5|3.0|3.1` and `mep a1|a2|b PORTS` (the card's personality;
//! written only when not the v2.5 default, so older traces are unchanged).

use super::client::Es10Client;
use super::lpa::download;
use super::pki::{TestPki, default_identity, default_pki};
use super::smdp::{ProfileToInstall, TestSmdp};
use super::{DetRng, ManualClock, TestPlatform, default_config};
use crate::asn1::rsp::ProfileIdentifier;
use crate::card::Card;
use crate::host::fs_storage::DirStorage;
use crate::host::pcap::Pcap;
use crate::host::trace::{self, Event, Expected, ParseError, Parsed, Step, Trace, hex};
use crate::platform::{Parts, UnixTime};
use crate::store::MemStorage;
use core::fmt;
use std::boxed::Box;
use std::format;
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::sync::Arc;
use std::vec::Vec;

/// The SM-DP+ address of preinstalled profiles.
pub const SETUP_SMDP: &str = "smdp.example.com";

/// Which identity the card has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySpec {
    /// The embedded default test identity ([`super::DEFAULT_EID`]).
    Default,
    /// Card `card` of `TestPki::generate(seed, card + 1)`.
    Pki {
        /// The PKI seed.
        seed: u64,
        /// The card's index.
        card: usize,
    },
}

/// A profile installed before the trace starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSpec {
    /// As printed.
    pub iccid: String,
    /// Enabled after the install.
    pub enabled: bool,
    /// `profileClass`: 0 test, 1 provisioning, 2 operational (default).
    pub class: i64,
    /// Package size in bytes (the test profile padded).
    pub size: usize,
    /// The SM-DP+ asks for no notifications (`notify=none`).
    pub no_notify: bool,
}

/// The card a trace starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSpec {
    /// Its identity.
    pub identity: IdentitySpec,
    /// The card RNG's seed.
    pub rng: u64,
    /// The card's clock (`None`: unknown).
    pub clock: Option<u64>,
    /// Profiles installed first.
    pub profiles: Vec<ProfileSpec>,
    /// A state-directory fixture.
    pub state: Option<PathBuf>,
    /// The SGP.22 version the card is (`#! sgp22 3.0`; default 2.5, not written).
    pub sgp22: crate::config::Sgp22Version,
    /// Multiple Enabled Profiles (`#! mep a1|a2|b PORTS`; a v3 card only).
    pub mep: Option<crate::config::Mep>,
}

impl Default for CardSpec {
    fn default() -> Self {
        CardSpec {
            identity: IdentitySpec::Default,
            rng: 0,
            clock: None,
            profiles: Vec::new(),
            state: None,
            sgp22: crate::config::Sgp22Version::V2_5,
            mep: None,
        }
    }
}

fn perr(line: usize, message: impl Into<String>) -> ParseError {
    ParseError { line, message: message.into() }
}

fn number(line: usize, key: &str, v: &str) -> Result<u64, ParseError> {
    v.parse::<u64>().map_err(|_| perr(line, format!("{key}: {v:?} is not a number")))
}

/// The EF.ICCID bytes of a printed ICCID (18 to 20 digits, nibble-swapped, `F`-padded).
pub fn iccid_bytes(printed: &str) -> Option<[u8; 10]> {
    if !(18..=20).contains(&printed.len()) || !printed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut nibbles: Vec<u8> = printed.bytes().map(|b| b - b'0').collect();
    nibbles.resize(20, 0x0F);
    let mut out = [0u8; 10];
    for (o, p) in out.iter_mut().zip(nibbles.chunks_exact(2)) {
        if let [lo, hi] = p {
            *o = (hi << 4) | lo;
        }
    }
    Some(out)
}

impl ProfileSpec {
    fn parse(line: usize, v: &str) -> Result<ProfileSpec, ParseError> {
        let mut words = v.split_whitespace();
        let iccid = words.next().ok_or_else(|| perr(line, "profile: ICCID missing"))?;
        if iccid_bytes(iccid).is_none() {
            return Err(perr(line, format!("profile: {iccid:?} is not an ICCID (18 to 20 digits)")));
        }
        let mut p = ProfileSpec { iccid: iccid.to_string(), enabled: false, class: 2, size: 1500, no_notify: false };
        for w in words {
            match w.split_once('=') {
                None if w == "enabled" => p.enabled = true,
                Some(("class", c)) => {
                    p.class = match c {
                        "test" => 0,
                        "provisioning" => 1,
                        "operational" => 2,
                        _ => {
                            return Err(perr(line, format!("profile: class {c:?}: test, provisioning or operational")));
                        }
                    }
                }
                Some(("size", s)) => {
                    p.size = usize::try_from(number(line, "size", s)?).unwrap_or(usize::MAX).min(1 << 20);
                }
                Some(("notify", "none")) => p.no_notify = true,
                _ => return Err(perr(line, format!("profile: unknown option {w:?}"))),
            }
        }
        Ok(p)
    }

    fn text(&self) -> String {
        let mut s = self.iccid.clone();
        if self.enabled {
            s.push_str(" enabled");
        }
        match self.class {
            0 => s.push_str(" class=test"),
            1 => s.push_str(" class=provisioning"),
            _ => {}
        }
        if self.size != 1500 {
            s.push_str(&format!(" size={}", self.size));
        }
        if self.no_notify {
            s.push_str(" notify=none");
        }
        s
    }
}

impl CardSpec {
    /// The card `parsed`'s header declares; `base` is the trace's folder (for `state`).
    /// Unknown keys are errors, so a misspelt one is not silently a different card.
    pub fn from_header(parsed: &Parsed, base: &Path) -> Result<CardSpec, ParseError> {
        let mut spec = CardSpec::default();
        for (line, key, v) in &parsed.header {
            let line = *line;
            match key.as_str() {
                "format" | "about" | "source" | "veuicc" => {}
                "identity" => {
                    let words: Vec<&str> = v.split_whitespace().collect();
                    spec.identity = match words.as_slice() {
                        ["default"] => IdentitySpec::Default,
                        ["pki", seed, card] => IdentitySpec::Pki {
                            seed: number(line, "identity seed", seed)?,
                            card: usize::try_from(number(line, "identity card", card)?.min(64)).unwrap_or(0),
                        },
                        _ => return Err(perr(line, "identity: `default` or `pki SEED CARD`")),
                    };
                }
                "rng" => spec.rng = number(line, "rng", v)?,
                "clock" => spec.clock = if v == "none" { None } else { Some(number(line, "clock", v)?) },
                "profile" => spec.profiles.push(ProfileSpec::parse(line, v)?),
                "sgp22" => {
                    spec.sgp22 = crate::config::Sgp22Version::parse(v)
                        .ok_or_else(|| perr(line, format!("sgp22: {v:?} is not 2.5, 3.0 or 3.1")))?;
                }
                "mep" => {
                    use crate::config::{Mep, MepMode};
                    let words: Vec<&str> = v.split_whitespace().collect();
                    let (mode, ports) = match words.as_slice() {
                        [mode, ports] => (*mode, *ports),
                        _ => return Err(perr(line, "mep: `a1|a2|b PORTS`")),
                    };
                    let mode = match mode {
                        "a1" => MepMode::A1,
                        "a2" => MepMode::A2,
                        "b" => MepMode::B,
                        _ => return Err(perr(line, format!("mep: {mode:?} is not a1, a2 or b"))),
                    };
                    let ports = u8::try_from(number(line, "mep ports", ports)?)
                        .ok()
                        .filter(|n| (1..=Mep::MAX_PORTS).contains(n))
                        .ok_or_else(|| perr(line, "mep: 1 to 31 ports"))?;
                    spec.mep = Some(Mep { mode, ports });
                }
                "state" => {
                    if v.is_empty() {
                        return Err(perr(line, "state: a directory"));
                    }
                    spec.state = Some(base.join(v));
                }
                other => return Err(perr(line, format!("unknown header key {other:?}"))),
            }
        }
        Ok(spec)
    }

    /// The header lines (`#! key value`) that declare this card.
    pub fn header_lines(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        out.push((
            "identity",
            match &self.identity {
                IdentitySpec::Default => "default".to_string(),
                IdentitySpec::Pki { seed, card } => format!("pki {seed} {card}"),
            },
        ));
        out.push(("rng", self.rng.to_string()));
        out.push(("clock", self.clock.map_or("none".to_string(), |c| c.to_string())));
        if self.sgp22 != crate::config::Sgp22Version::V2_5 {
            out.push(("sgp22", self.sgp22.to_string()));
        }
        if let Some(mep) = self.mep {
            let mode = match mep.mode {
                crate::config::MepMode::A1 => "a1",
                crate::config::MepMode::A2 => "a2",
                crate::config::MepMode::B => "b",
            };
            out.push(("mep", format!("{mode} {}", mep.ports)));
        }
        for p in &self.profiles {
            out.push(("profile", p.text()));
        }
        out
    }

    /// Writes `about`, `source` and this card's header lines into a freshly created trace.
    pub fn write_header(&self, trace: &mut Option<Trace>, about: &str, source: &str) {
        Trace::header(trace, "about", about);
        Trace::header(trace, "source", source);
        Trace::header(trace, "veuicc", env!("CARGO_PKG_VERSION"));
        for (k, v) in self.header_lines() {
            Trace::header(trace, k, &v);
        }
    }

    /// Builds the card: identity, seeded RNG, clock, storage (empty or a copy of the fixture),
    /// then the preinstalled profiles.
    pub fn build(&self) -> Result<ReplayCard, String> {
        let (mut config, identity, pki) = match &self.identity {
            IdentitySpec::Default => (default_config(), default_identity(), None),
            IdentitySpec::Pki { seed, card } => {
                let pki = TestPki::generate(*seed, card + 1);
                let id = pki.identity(*card).map_err(|e| format!("identity: {e}"))?;
                (id.card_config(), Arc::new(id), Some(pki))
            }
        };
        config.sgp22 = self.sgp22;
        config.mep = self.mep;
        let clock = self.clock.map_or_else(ManualClock::default, |t| ManualClock::at(UnixTime(t)));
        let rng = DetRng::new(self.rng);
        let mut card = match &self.state {
            None => {
                let card = Card::with_identity(config, identity, Parts { storage: MemStorage::new(), rng, clock })
                    .map_err(|e| format!("the card does not start: {e}"))?;
                ReplayCard::Mem(Box::new(card))
            }
            Some(fixture) => {
                let dir = TempDir::copy_of(fixture)?;
                let storage = DirStorage::open(&dir.0).map_err(|e| format!("{}: {e}", fixture.display()))?;
                let card = Card::with_identity(config, identity, Parts { storage, rng, clock })
                    .map_err(|e| format!("{}: the card does not start: {e}", fixture.display()))?;
                ReplayCard::Dir(Box::new(card), dir)
            }
        };
        let pki = pki.as_ref().unwrap_or_else(|| default_pki());
        for (i, p) in self.profiles.iter().enumerate() {
            let seed = 100 + u64::try_from(i).unwrap_or(0);
            match &mut card {
                ReplayCard::Mem(c) => install(c.as_mut(), pki, p, seed)?,
                ReplayCard::Dir(c, _) => install(c.as_mut(), pki, p, seed)?,
            }
        }
        Ok(card)
    }
}

fn install<P: crate::platform::Platform>(
    card: &mut Card<P>,
    pki: &TestPki,
    p: &ProfileSpec,
    seed: u64,
) -> Result<(), String> {
    let iccid = iccid_bytes(&p.iccid).ok_or("bad ICCID")?;
    let card_mep_a1 = card.config().mep().is_some_and(|m| m.mode == crate::config::MepMode::A1);
    let why = |e: &dyn fmt::Display| format!("preinstalling profile {}: {e}", p.iccid);
    let mut smdp = TestSmdp::new(pki, SETUP_SMDP, seed);
    if p.no_notify {
        smdp.notify = 0;
    }
    let mut profile = ProfileToInstall::sample(iccid, p.size);
    profile.metadata.profile_class = Some(p.class.into());
    let mut lpa = Es10Client::open(&mut *card).map_err(|e| why(&e))?;
    download(&mut lpa, &mut smdp, &profile).map_err(|e| why(&e))?;
    if p.enabled {
        let id = ProfileIdentifier::Iccid(iccid.to_vec().into());
        // A MEP-A1 card needs the port named: the first profile port.
        let a1 = card_mep_a1;
        let request = if a1 {
            crate::asn1::rsp::EnableProfileRequest::on_port(id, false, 1)
        } else {
            crate::asn1::rsp::EnableProfileRequest::new(id, false)
        };
        let r = lpa.call::<_, crate::asn1::rsp::EnableProfileResponse>(&request).map_err(|e| why(&e))?.enable_result;
        if r != 0.into() {
            return Err(why(&format!("EnableProfile answered {r}")));
        }
    }
    lpa.close().map_err(|e| why(&e))?;
    Ok(())
}

/// A scratch copy of a state-directory fixture, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    fn copy_of(fixture: &Path) -> Result<TempDir, String> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "veuicc-replay-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let e = |e: std::io::Error| format!("state fixture {}: {e}", fixture.display());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(e)?;
        let tmp = TempDir(dir);
        for entry in std::fs::read_dir(fixture).map_err(e)? {
            let entry = entry.map_err(e)?;
            if entry.file_type().map_err(e)?.is_file() {
                std::fs::copy(entry.path(), tmp.0.join(entry.file_name())).map_err(e)?;
            }
        }
        Ok(tmp)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The card a replay runs against.
#[derive(Debug)]
pub enum ReplayCard {
    /// In memory.
    Mem(Box<Card<TestPlatform>>),
    /// On a copy of a state-directory fixture.
    Dir(Box<Card<Parts<DirStorage, DetRng, ManualClock>>>, TempDir),
}

impl ReplayCard {
    /// One exchange.
    pub fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        match self {
            ReplayCard::Mem(c) => c.transmit(apdu),
            ReplayCard::Dir(c, _) => c.transmit(apdu),
        }
    }

    fn event(&mut self, event: &Event) -> Result<Option<Vec<u8>>, String> {
        Ok(match (self, event) {
            (ReplayCard::Mem(c), Event::PowerOn(_)) => Some(c.power_on().map_err(|e| e.to_string())?),
            (ReplayCard::Dir(c, _), Event::PowerOn(_)) => Some(c.power_on().map_err(|e| e.to_string())?),
            (ReplayCard::Mem(c), Event::PowerOff) => {
                c.power_off();
                None
            }
            (ReplayCard::Dir(c, _), Event::PowerOff) => {
                c.power_off();
                None
            }
            (ReplayCard::Mem(c), Event::Reset(_)) => Some(c.reset()),
            (ReplayCard::Dir(c, _), Event::Reset(_)) => Some(c.reset()),
        })
    }

    /// The in-memory card (recorders drive it through the host adapters).
    pub fn mem(&mut self) -> Option<&mut Card<TestPlatform>> {
        match self {
            ReplayCard::Mem(c) => Some(c.as_mut()),
            ReplayCard::Dir(..) => None,
        }
    }
}

impl<P: crate::platform::Platform> super::Transport for trace::TracedCard<'_, P> {
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        trace::TracedCard::transmit(self, apdu)
    }
}

/// What a replay checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Exchanges checked.
    pub exchanges: usize,
    /// Events applied.
    pub events: usize,
    /// Response bytes masked by `..`.
    pub wildcards: usize,
}

/// A response (or ATR) that is not what the trace says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The `>` line (or the event's line).
    pub line: usize,
    /// The `<` line.
    pub response_line: usize,
    /// The command sent (empty for an ATR).
    pub command: Vec<u8>,
    /// What the trace expects.
    pub expected: Expected,
    /// What the card answered.
    pub actual: Vec<u8>,
    /// The ES10 function a GET RESPONSE on this channel continues, if known.
    pub continues: Option<u32>,
}

/// Why a replay failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayError {
    /// The trace does not parse (or its header names no card that can be built).
    Parse(ParseError),
    /// The card could not be built or an event failed, at a line.
    Setup(usize, String),
    /// A response differs.
    Mismatch(Box<Mismatch>),
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::Parse(e) => write!(f, "{e}"),
            ReplayError::Setup(line, e) => write!(f, "line {line}: {e}"),
            ReplayError::Mismatch(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for ReplayError {}

/// Replays a trace's text; `base` is its folder. Each exchange also goes to `pcap`.
pub fn replay(text: &str, base: &Path, mut pcap: Option<&mut Pcap>) -> Result<Outcome, ReplayError> {
    let parsed = trace::parse(text).map_err(ReplayError::Parse)?;
    let spec = CardSpec::from_header(&parsed, base).map_err(ReplayError::Parse)?;
    let first = parsed.header.first().map_or(1, |h| h.0);
    let mut card = spec.build().map_err(|e| ReplayError::Setup(first, e))?;
    let mut outcome = Outcome::default();
    // The ES10 function each channel's last STORE DATA chain carried (for GET RESPONSE).
    let mut es10 = [None::<u32>; 20];
    for step in &parsed.steps {
        match step {
            Step::Event { line, event } => {
                let atr = card.event(event).map_err(|e| ReplayError::Setup(*line, e))?;
                outcome.events += 1;
                let want = match event {
                    Event::PowerOn(a) | Event::Reset(a) => a.as_ref(),
                    Event::PowerOff => None,
                };
                if let (Some(want), Some(got)) = (want, atr)
                    && *want != got
                {
                    return Err(ReplayError::Mismatch(Box::new(Mismatch {
                        line: *line,
                        response_line: *line,
                        command: Vec::new(),
                        expected: Expected(want.iter().copied().map(Some).collect()),
                        actual: got,
                        continues: None,
                    })));
                }
            }
            Step::Exchange { line, command, response_line, expected } => {
                let actual = card.transmit(command);
                if let Some(p) = pcap.as_deref_mut() {
                    p.exchange(command, &actual);
                }
                let view = crate::apdu::CommandView::parse(command).ok();
                let channel = usize::from(view.as_ref().map_or(0, |v| v.channel()));
                let continues = es10.get(channel).copied().flatten();
                if let Some(v) = &view
                    && v.ins == 0xE2
                    && v.p2 == 0
                    && let Some(slot) = es10.get_mut(channel)
                {
                    *slot = crate::asn1::tlv::split_tlv(v.data).map(|(t, _)| t);
                }
                if !expected.matches(&actual) {
                    return Err(ReplayError::Mismatch(Box::new(Mismatch {
                        line: *line,
                        response_line: *response_line,
                        command: command.clone(),
                        expected: expected.clone(),
                        actual,
                        continues: if view.as_ref().is_some_and(|v| v.ins == 0xC0) { continues } else { None },
                    })));
                }
                outcome.exchanges += 1;
                outcome.wildcards += expected.0.iter().filter(|b| b.is_none()).count();
            }
        }
    }
    Ok(outcome)
}

/// Replays a trace file; the error names the file (and line) and shows the diff.
pub fn replay_file(path: &Path, pcap: Option<&mut Pcap>) -> Result<Outcome, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.len() > u64::try_from(trace::MAX_TRACE).unwrap_or(u64::MAX) {
        return Err(format!("{}: longer than {} bytes", path.display(), trace::MAX_TRACE));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let line = e
            .as_bytes()
            .get(..e.utf8_error().valid_up_to())
            .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count() + 1);
        format!("{}:{line}: not UTF-8 text", path.display())
    })?;
    let base = path.parent().unwrap_or_else(|| Path::new("."));
    replay(&text, base, pcap).map_err(|e| match e {
        ReplayError::Parse(p) => format!("{}:{}: {}", path.display(), p.line, p.message),
        ReplayError::Setup(line, m) => format!("{}:{line}: {m}", path.display()),
        ReplayError::Mismatch(m) => format!("{}:{}", path.display(), m),
    })
}

// ------------------------------------------------------------------ decoding for the diff

/// The ES10 function of an outer tag.
pub fn es10_name(tag: u32) -> Option<&'static str> {
    Some(match tag {
        0xBF20 => "ES10b.GetEUICCInfo (EUICCInfo1)",
        0xBF22 => "ES10b.GetEUICCInfo (EUICCInfo2)",
        0xBF2D => "ES10c.GetProfilesInfo",
        0xBF21 => "ES10b.PrepareDownload",
        0xBF38 => "ES10b.AuthenticateServer",
        0xBF41 => "ES10b.CancelSession",
        0xBF2E => "ES10b.GetEUICCChallenge",
        0xBF3C => "ES10a.GetEuiccConfiguredAddresses",
        0xBF3E => "ES10c.GetEID",
        0xBF3F => "ES10a.SetDefaultDpAddress",
        0xBF43 => "ES10b.GetRAT",
        0xBF2B => "ES10b.RetrieveNotificationsList",
        0xBF28 => "ES10b.ListNotification",
        0xBF29 => "ES10c.SetNickname",
        0xBF30 => "ES10b.RemoveNotificationFromList",
        0xBF31 => "ES10c.EnableProfile",
        0xBF32 => "ES10c.DisableProfile",
        0xBF33 => "ES10c.DeleteProfile",
        0xBF34 => "ES10c.eUICCMemoryReset",
        0xBF36 => "ES8+ BoundProfilePackage (LoadBoundProfilePackage)",
        0xBF23 => "ES8+.InitialiseSecureChannel (LoadBoundProfilePackage)",
        0xBF37 => "ProfileInstallationResult",
        0xA0 => "BPP: ConfigureISDP / first sequence (A0)",
        0xA1 => "BPP: StoreMetadata sequence (A1)",
        0xA2 => "BPP: ReplaceSessionKeys sequence (A2)",
        0xA3 => "BPP: profile elements sequence (A3)",
        0x86 => "BPP: a segment (86)",
        0x87 => "BPP: ConfigureISDP / StoreMetadata segment (87)",
        0x88 => "BPP: StoreMetadata segment (88)",
        _ => return None,
    })
}

/// The instruction's name (ISO 7816-4, GlobalPlatform, ETSI TS 102 221).
pub fn ins_name(ins: u8) -> &'static str {
    match ins {
        0x70 => "MANAGE CHANNEL",
        0xA4 => "SELECT",
        0xC0 => "GET RESPONSE",
        0xE2 => "STORE DATA",
        0xAA => "TERMINAL CAPABILITY",
        0xCA | 0xCB => "GET DATA",
        0xB0 => "READ BINARY",
        0xB2 => "READ RECORD",
        0xD6 => "UPDATE BINARY",
        0xDC => "UPDATE RECORD",
        0xF2 => "STATUS",
        0x10 => "TERMINAL PROFILE",
        0x12 => "FETCH",
        0x14 => "TERMINAL RESPONSE",
        0xC2 => "ENVELOPE",
        0x20 => "VERIFY",
        0x84 => "GET CHALLENGE",
        0x88 => "AUTHENTICATE",
        0xE4 => "DELETE",
        0xE6 => "INSTALL",
        0x50 => "INITIALIZE UPDATE",
        _ => "unknown instruction",
    }
}

/// What a status word means (ISO 7816-4 §5.6 and the ones the card uses).
pub fn sw_meaning(sw: u16) -> String {
    let [sw1, sw2] = sw.to_be_bytes();
    match (sw1, sw2) {
        (0x90, 0x00) => "normal processing".into(),
        (0x61, n) => format!("{n} (0x{n:02X}) more bytes: GET RESPONSE"),
        (0x6C, n) => format!("wrong Le: {n} (0x{n:02X}) bytes available"),
        (0x62, 0x83) => "selected file deactivated".into(),
        (0x65, 0x81) => "memory failure".into(),
        (0x67, 0x00) => "wrong length".into(),
        (0x68, 0x81) => "logical channel not supported (or not open)".into(),
        (0x68, 0x82) => "secure messaging not supported".into(),
        (0x68, 0x83) => "last command of the chain expected".into(),
        (0x68, 0x84) => "command chaining not supported".into(),
        (0x69, 0x82) => "security status not satisfied".into(),
        (0x69, 0x85) => "conditions of use not satisfied".into(),
        (0x69, 0x86) => "command not allowed (no current EF)".into(),
        (0x6A, 0x80) => "incorrect parameters in the data field".into(),
        (0x6A, 0x81) => "function not supported".into(),
        (0x6A, 0x82) => "file or application not found".into(),
        (0x6A, 0x84) => "not enough memory space".into(),
        (0x6A, 0x86) => "incorrect parameters P1-P2".into(),
        (0x6A, 0x88) => "referenced data not found".into(),
        (0x6B, 0x00) => "wrong parameters P1-P2".into(),
        (0x6D, 0x00) => "instruction not supported".into(),
        (0x6E, 0x00) => "class not supported".into(),
        (0x6F, 0x00) => "no precise diagnosis".into(),
        _ => "?".into(),
    }
}

const ISDR_AID: [u8; 16] = [0xA0, 0, 0, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0, 0, 0x01, 0];
const ECASD_AID: [u8; 16] = [0xA0, 0, 0, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0, 0, 0x02, 0];

/// One line saying what a command is.
pub fn describe_command(apdu: &[u8], continues: Option<u32>) -> String {
    let v = match crate::apdu::CommandView::parse(apdu) {
        Ok(v) => v,
        Err(e) => return format!("not a well-formed command APDU ({e:?})"),
    };
    let mut s =
        format!("{} (INS {:02X}) on channel {}, P1 {:02X} P2 {:02X}", ins_name(v.ins), v.ins, v.channel(), v.p1, v.p2);
    if !v.data.is_empty() {
        s.push_str(&format!(", Lc {}", v.data.len()));
    }
    if let Some(ne) = v.ne {
        s.push_str(&format!(", Le {ne}"));
    }
    match v.ins {
        0xA4 => {
            let what = if v.data == ISDR_AID {
                " (the ISD-R)"
            } else if v.data == ECASD_AID {
                " (the ECASD)"
            } else {
                ""
            };
            s.push_str(&format!(": AID {}{what}", hex(v.data)));
        }
        0x70 => s.push_str(if v.p1 == 0x80 { ": close" } else { ": open" }),
        0xE2 => {
            s.push_str(if v.p1 & 0x80 != 0 { ", last block" } else { ", more blocks follow" });
            s.push_str(&format!(" (block {})", v.p2));
            if let Some(name) = crate::asn1::tlv::split_tlv(v.data).and_then(|(t, _)| es10_name(t)) {
                s.push_str(&format!(": {name}"));
            }
        }
        0xC0 => {
            if let Some(name) = continues.and_then(es10_name) {
                s.push_str(&format!(": continues the answer to {name}"));
            }
        }
        _ => {}
    }
    s
}

/// A BER-TLV outline of `data` (tags and lengths, nested, at most `max` lines); `None` when
/// `data` is not a sequence of whole TLVs.
pub fn tlv_outline(data: &[u8], max: usize) -> Option<Vec<String>> {
    fn walk(mut b: &[u8], depth: usize, out: &mut Vec<String>, max: usize) -> Option<()> {
        while !b.is_empty() {
            let (tag, value, rest) = one(b)?;
            if out.len() >= max {
                out.push("…".into());
                return Some(());
            }
            let name =
                if depth == 0 { es10_name(tag).map(|n| format!("  {n}")).unwrap_or_default() } else { String::new() };
            let constructed = tag.to_be_bytes().iter().find(|&&x| x != 0).is_some_and(|&first| first & 0x20 != 0);
            if constructed && depth < 6 {
                out.push(format!("{:indent$}{tag:X} ({} bytes){name}", "", value.len(), indent = depth * 2));
                walk(value, depth + 1, out, max)?;
            } else {
                let shown = if value.len() > 24 {
                    format!("{}… ({} bytes)", hex(value.get(..24).unwrap_or(value)), value.len())
                } else {
                    hex(value)
                };
                out.push(format!("{:indent$}{tag:X} {shown}{name}", "", indent = depth * 2));
            }
            b = rest;
        }
        Some(())
    }
    fn one(b: &[u8]) -> Option<(u32, &[u8], &[u8])> {
        let (&t0, mut rest) = b.split_first()?;
        let mut tag = u32::from(t0);
        if t0 & 0x1F == 0x1F {
            loop {
                let (&t, r) = rest.split_first()?;
                rest = r;
                tag = tag.checked_mul(256)? | u32::from(t);
                if t & 0x80 == 0 {
                    break;
                }
                if tag > 0xFF_FFFF {
                    return None;
                }
            }
        }
        let (&l0, mut rest) = rest.split_first()?;
        let len = if l0 < 0x80 {
            usize::from(l0)
        } else {
            let n = usize::from(l0 & 0x7F);
            if n == 0 || n > 3 {
                return None;
            }
            let (lb, r) = rest.split_at_checked(n)?;
            rest = r;
            lb.iter().fold(0usize, |a, &x| (a << 8) | usize::from(x))
        };
        let (value, rest) = rest.split_at_checked(len)?;
        Some((tag, value, rest))
    }
    if data.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    walk(data, 0, &mut out, max)?;
    Some(out)
}

fn describe_response(r: &[u8]) -> Vec<String> {
    let (data, sw) = r.split_at(r.len().saturating_sub(2));
    let mut out = Vec::new();
    if let [a, b] = sw {
        let sw = u16::from_be_bytes([*a, *b]);
        out.push(format!("SW {sw:04X}: {}; {} data bytes", sw_meaning(sw), data.len()));
    }
    if let Some(lines) = tlv_outline(data, 16) {
        out.extend(lines);
    }
    out
}

/// At most `n` bytes of hex around `at` (all of it when short).
fn window(bytes: &str, at: usize, n: usize) -> String {
    let len = bytes.len() / 2;
    if len <= n {
        return bytes.to_string();
    }
    let start = at.saturating_sub(n / 2).min(len.saturating_sub(n));
    let end = (start + n).min(len);
    let body = bytes.get(start * 2..end * 2).unwrap_or("");
    format!(
        "{}{body}{} (bytes {start}..{end} of {len})",
        if start > 0 { "…" } else { "" },
        if end < len { "…" } else { "" }
    )
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.expected.first_difference(&self.actual).unwrap_or(0);
        let (exp, act) = (self.expected.text(), hex(&self.actual));
        if self.command.is_empty() {
            writeln!(f, "{}: the ATR differs", self.line)?;
            writeln!(f, "  expected  {exp}")?;
            return write!(f, "  actual    {act}");
        }
        writeln!(
            f,
            "{}: the response differs (command on line {}, response on line {})",
            self.response_line, self.line, self.response_line
        )?;
        writeln!(f, "  command   > {}", window(&hex(&self.command), 0, 48))?;
        writeln!(f, "              {}", describe_command(&self.command, self.continues))?;
        writeln!(f, "  expected  < {}", window(&exp, at, 48))?;
        for l in describe_response(&self.expected.filled(&self.actual)) {
            writeln!(f, "              {l}")?;
        }
        writeln!(f, "  actual    < {}", window(&act, at, 48))?;
        for l in describe_response(&self.actual) {
            writeln!(f, "              {l}")?;
        }
        let show = |b: Option<&Option<u8>>| match b {
            Some(Some(b)) => format!("{b:02X}"),
            Some(None) => "..".into(),
            None => "(end)".into(),
        };
        write!(
            f,
            "  first difference at byte {at}: expected {}, actual {} ({} bytes expected, {} received)",
            show(self.expected.0.get(at)),
            self.actual.get(at).map_or("(end)".into(), |b| format!("{b:02X}")),
            self.expected.0.len(),
            self.actual.len()
        )
    }
}

/// A card-fuzzer input (`fuzz/fuzz_targets/card.rs`) that replays the same session: events
/// become selector `00` (power cycle) and `01` (reset), each command selector `03` with a
/// two-byte big-endian length. Preinstalled profiles are not part of it.
pub fn fuzz_seed(parsed: &Parsed) -> Vec<u8> {
    let mut out = Vec::new();
    for step in &parsed.steps {
        match step {
            Step::Event { event: Event::PowerOff, .. } | Step::Event { event: Event::PowerOn(_), .. } => {
                // Power on and off come in pairs in traces; one power cycle stands for both.
                if !matches!(out.last(), Some(0)) {
                    out.push(0);
                }
            }
            Step::Event { event: Event::Reset(_), .. } => out.push(1),
            Step::Exchange { command, .. } => {
                let n = u16::try_from(command.len()).unwrap_or(u16::MAX);
                out.push(3);
                out.extend_from_slice(&n.to_be_bytes());
                out.extend(command.iter().take(usize::from(n)));
            }
        }
    }
    out
}
