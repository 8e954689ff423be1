//! Load tests of an ES9+ SM-DP+ (`veuicc loadtest`): N virtual cards, each with an EID and a
//! CERT.EUICC of its own, run M full SGP.22 downloads (or downloads for a while) against one
//! SM-DP+ over HTTP(S), C at a time, and every ES9+ function and ES10 step is timed into an
//! HdrHistogram histogram.
//!
//! * **Cards.** Card `i` of shard `K/N` is generated card `K·cards + i` of the embedded test PKI
//!   ([`TestPki::issue_card`]: EID `89999001 00001` + index, a key and CERT.EUICC issued by the
//!   test EUM — one key generation and one signature each, so every card has its own
//!   certificate). Shards with the same `cards` have disjoint EIDs. A card lives in memory
//!   (`MemStorage`) and runs on the chosen crypto provider. A card is made when first used and
//!   made anew, empty and with the same identity, before a download when the previous one left
//!   anything on it (a profile, or notifications not sent); making it is not timed.
//! * **Work.** C worker threads (started evenly over `ramp`) own the cards `i ≡ w (mod C)` and
//!   take turns over them; a shared counter hands out the M downloads (or the clock stops
//!   them). Each worker has its own HTTP agent, so connections are kept alive per worker.
//! * **A cycle** is one [`es9_lpa::download_observed`] (GetEUICCChallenge, GetEUICCInfo1,
//!   initiateAuthentication, AuthenticateServer, authenticateClient, PrepareDownload,
//!   getBoundProfilePackage, LoadBoundProfilePackage), then optionally EnableProfile (and
//!   DisableProfile when the profile is deleted after), DeleteProfile, and the notifications
//!   (RetrieveNotificationsList, handleNotification to the SM-DP+ under test — not to each
//!   notification's address —, RemoveNotificationFromList).
//! * **Errors.** A cycle that fails counts once, under the code of the first thing that went
//!   wrong in it: `es9:<function>:<subjectCode>/<reasonCode>` (an ES9+ error),
//!   `http:<function>:<status>`, `transport:<function>` (connection, TLS, timeout),
//!   `es9:<function>:malformed`, `es10:<step>:<name>(<code>)` (an SGP.22 result code in the
//!   card's answer, e.g. `es10:AuthenticateServer:invalidSignature(2)`), `es10:<step>:sw<SW>`,
//!   `lpa:<message>` (an answer the LPA could not use), `setup:card`. Each code keeps the first
//!   full message seen. Completed + failed = started, always.
//! * **Card latency** ([`CardLatency`]): delays per ES10 operation and per APDU added in the
//!   card's transport, so the SM-DP+ sees the session lengths of real cards.

use crate::card::Card;
use crate::crypto::CryptoProvider;
use crate::host::es9_client::HttpsTransport;
use crate::host::{HostPlatform, platform_with};
use crate::identity::Identity;
use crate::store::MemStorage;
use crate::testkit::es9_lpa::{self, Es9Failure, Es9Transport, Observer, Order};
use crate::testkit::pki::TestPki;
use crate::testkit::{ClientError, Es10Client, Transport};
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::format;
use std::string::{String, ToString};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};
use std::vec::Vec;

/// The largest value a histogram holds: one hour, in microseconds (values are recorded in µs).
const MAX_US: u64 = 3_600_000_000;

/// How the workers reach the SM-DP+.
#[derive(Debug, Clone)]
pub enum Tls {
    /// Plain HTTP (an SM-DP+ behind `smdp serve --plain-http`).
    Plain,
    /// HTTPS trusting these roots (DER): the cards' CI, and any CA file given.
    Roots(Vec<Vec<u8>>),
    /// HTTPS without checking the certificate.
    Insecure,
}

/// When the run stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// After this many cycles (`--count`).
    Count(u64),
    /// When this much time has passed; cycles under way finish (`--duration`).
    Duration(Duration),
}

/// Shard `index` of `count` (`--shard K/N`, K from 0): the EIDs of its cards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, 0-based.
    pub index: u64,
    /// How many shards run.
    pub count: u64,
}

impl Default for Shard {
    fn default() -> Self {
        Shard { index: 0, count: 1 }
    }
}

impl core::str::FromStr for Shard {
    type Err = String;
    fn from_str(text: &str) -> Result<Shard, String> {
        let bad = || {
            format!("shard {text:?}: K/N with 0 ≤ K < N (a Kubernetes JOB_COMPLETION_INDEX and the job's completions)")
        };
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u64 = k.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// What a run does.
#[derive(Debug, Clone)]
pub struct Config {
    /// The SM-DP+ address (`HOST:PORT`, what serverSigned1 names).
    pub address: String,
    /// The matchingId each download sends (`None`: none).
    pub matching_id: Option<String>,
    /// HTTP or HTTPS, and whom to trust.
    pub tls: Tls,
    /// How many cards.
    pub cards: usize,
    /// How long.
    pub stop: Stop,
    /// Cycles at a time (worker threads; no more than `cards`).
    pub concurrency: usize,
    /// The workers start evenly over this time.
    pub ramp: Duration,
    /// Send the notifications after each download.
    pub notifications: bool,
    /// Enable the profile after each download.
    pub enable: bool,
    /// Delete the profile after each download (disabling it first if enabled).
    pub delete: bool,
    /// The crypto provider the cards run on.
    pub crypto: &'static dyn CryptoProvider,
    /// Which EIDs.
    pub shard: Shard,
    /// Delays a real card would add.
    pub card_latency: Option<CardLatency>,
    /// Draw a progress bar on standard error (only when it is a terminal).
    pub progress: bool,
}

impl Config {
    /// One card, one download of the test SM-DP+'s default profile from `address` over HTTPS
    /// trusting the test CI, at RustCrypto speed, without extras.
    pub fn new(address: &str) -> Config {
        Config {
            address: address.to_string(),
            matching_id: Some(crate::testkit::es9p::DEFAULT_MATCHING_ID.to_string()),
            tls: Tls::Roots(std::vec![crate::testkit::pki::default_pki().ci.der.clone()]),
            cards: 1,
            stop: Stop::Count(1),
            concurrency: 1,
            ramp: Duration::ZERO,
            notifications: false,
            enable: false,
            delete: false,
            crypto: &crate::crypto::RUST_CRYPTO,
            shard: Shard::default(),
            card_latency: None,
            progress: false,
        }
    }
}

// ------------------------------------------------------------------ card latency

/// Delays per ES10 operation (and per APDU) of a real eUICC, added in the card's transport:
/// `step=ms` lines ([`CardLatency::parse`]) or the built-in [`CardLatency::real_card`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardLatency {
    per_apdu: Duration,
    steps: BTreeMap<&'static str, Duration>,
}

/// The operations a delay can be given for, with the built-in real-card value (ms) and why.
///
/// The model: a Java Card secure element signs with P-256 in about 241–392 ms and verifies in
/// about as long (the figures issue #21 quotes for Java Card eUICCs); key agreement costs about
/// one signature; writing a profile to flash dominates the BPP; every APDU pays the modem's or
/// reader's round trip (AT+CGLA, a telephony HAL) of some 10–20 ms. Totals then come to about
/// 9 s of card time for the 8 KiB test profile (8.7 s measured against `veuicc smdp serve` on
/// loopback) and 20–60 s for 50–200 KiB operator profiles, in line with end-to-end consumer
/// downloads of 26–89 s measured on phones (those include the network and the user). These are a model to load an SM-DP+ with realistic session lengths,
/// not a measurement by veuicc of one card: load a file of measured values to model another.
pub const CARD_LATENCY_STEPS: &[(&str, u64, &str)] = &[
    ("apdu", 15, "each C-APDU (STORE DATA block, GET RESPONSE, SELECT): the transport's round trip"),
    ("GetEUICCChallenge", 30, "a random number, kept for the session"),
    ("GetEUICCInfo1", 20, "a fixed answer"),
    ("GetEUICCInfo2", 40, "a fixed answer with resource counts"),
    ("AuthenticateServer", 1300, "two ECDSA verifications (CERT.DPauth, serverSignature1) and one signature"),
    ("PrepareDownload", 1500, "two verifications (CERT.DPpb, smdpSignature2), a key pair, one signature"),
    ("InitialiseSecureChannel", 900, "one verification, ECDH and the session key derivation"),
    ("ConfigureISDP", 400, "creating the ISD-P"),
    ("StoreMetadata", 150, "each StoreMetadata command (the A1 header, each 88 segment)"),
    ("ReplaceSessionKeys", 100, "unwrapping the PPK"),
    ("LoadProfileElements", 250, "each 86 segment (≤ 1 KiB): decrypt, MAC, parse, write to flash"),
    ("ProfileInstallationResult", 400, "signing the PIR and committing the profile"),
    ("CancelSession", 400, "one signature"),
    ("EnableProfile", 2000, "switching profiles, the REFRESH"),
    ("DisableProfile", 1200, "the REFRESH"),
    ("DeleteProfile", 1500, "erasing the ISD-P from flash"),
    ("RetrieveNotificationsList", 200, "reading the list"),
    ("RemoveNotificationFromList", 150, "one flash write"),
    ("GetProfilesInfo", 100, "reading the profile records"),
];

impl CardLatency {
    /// The built-in real-card table ([`CARD_LATENCY_STEPS`]).
    pub fn real_card() -> CardLatency {
        let mut l = CardLatency::default();
        for (step, ms, _) in CARD_LATENCY_STEPS {
            l.set(step, Duration::from_millis(*ms));
        }
        l
    }

    fn set(&mut self, step: &'static str, d: Duration) {
        if step == "apdu" {
            self.per_apdu = d;
        } else {
            self.steps.insert(step, d);
        }
    }

    /// Reads `step=ms` lines (`#` starts a comment; blank lines are skipped): the operations of
    /// [`CARD_LATENCY_STEPS`], each at most once; those not named add nothing.
    pub fn parse(text: &str) -> Result<CardLatency, String> {
        let mut l = CardLatency::default();
        let mut seen: Vec<&str> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let at = || format!("card latency line {}", n + 1);
            let (step, ms) = line.split_once('=').ok_or_else(|| format!("{}: {line:?} is not step=ms", at()))?;
            let (step, ms) = (step.trim(), ms.trim());
            let known =
                CARD_LATENCY_STEPS.iter().find(|(s, _, _)| *s == step).map(|(s, _, _)| *s).ok_or_else(|| {
                    let names: Vec<&str> = CARD_LATENCY_STEPS.iter().map(|(s, _, _)| *s).collect();
                    format!("{}: {step:?} is not one of {}", at(), names.join(", "))
                })?;
            let ms: f64 = ms.parse().map_err(|_| format!("{}: {ms:?} is not a number of milliseconds", at()))?;
            if !ms.is_finite() || !(0.0..=600_000.0).contains(&ms) {
                return Err(format!("{}: {ms} ms is not between 0 and 600000", at()));
            }
            if seen.contains(&known) {
                return Err(format!("{}: {known} given twice", at()));
            }
            seen.push(known);
            l.set(known, Duration::from_secs_f64(ms / 1000.0));
        }
        Ok(l)
    }

    /// The delay of `step` (zero when not given).
    pub fn delay(&self, step: &str) -> Duration {
        if step == "apdu" {
            return self.per_apdu;
        }
        self.steps.get(step).copied().unwrap_or_default()
    }

    /// The ES10 operation a STORE DATA command starting with `data` is.
    fn operation(data: &[u8]) -> Option<&'static str> {
        Some(match data {
            [0xBF, 0x2E, ..] => "GetEUICCChallenge",
            [0xBF, 0x20, ..] => "GetEUICCInfo1",
            [0xBF, 0x22, ..] => "GetEUICCInfo2",
            [0xBF, 0x38, ..] => "AuthenticateServer",
            [0xBF, 0x21, ..] => "PrepareDownload",
            [0xBF, 0x36, ..] => "InitialiseSecureChannel",
            [0xBF, 0x41, ..] => "CancelSession",
            [0xBF, 0x31, ..] => "EnableProfile",
            [0xBF, 0x32, ..] => "DisableProfile",
            [0xBF, 0x33, ..] => "DeleteProfile",
            [0xBF, 0x2B, ..] => "RetrieveNotificationsList",
            [0xBF, 0x30, ..] => "RemoveNotificationFromList",
            [0xBF, 0x2D, ..] => "GetProfilesInfo",
            [0xA0, ..] => "ConfigureISDP",
            [0xA1, ..] | [0x88, ..] => "StoreMetadata",
            [0xA2, ..] => "ReplaceSessionKeys",
            [0x86, ..] => "LoadProfileElements",
            _ => return None,
        })
    }
}

/// A card transport that sleeps as a real card would take ([`CardLatency`]).
struct Paced<'a, T> {
    card: T,
    latency: Option<&'a CardLatency>,
    operation: Option<&'static str>,
}

impl<T: Transport> Transport for Paced<'_, T> {
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        let Some(latency) = self.latency else { return self.card.transmit(apdu) };
        let mut delay = latency.per_apdu;
        if let [cla, 0xE2, p1, p2, _, data @ ..] = apdu
            && cla & 0x80 != 0
        {
            if *p2 == 0 {
                self.operation = CardLatency::operation(data);
            }
            if p1 & 0x80 != 0 {
                delay += self.operation.take().map(|op| latency.delay(op)).unwrap_or_default();
            }
        }
        let response = self.card.transmit(apdu);
        if response.starts_with(&[0xBF, 0x37]) {
            delay += latency.delay("ProfileInstallationResult");
        }
        std::thread::sleep(delay);
        response
    }
}

// ------------------------------------------------------------------ recording

/// Whether a step is an ES9+ function, an ES10 step, or the whole download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StepKind {
    /// The whole download (GetEUICCChallenge to the PIR).
    Total,
    /// An ES9+ function (HTTP).
    Es9,
    /// An ES10 step (the card).
    Es10,
}

impl StepKind {
    /// `total`, `es9`, `es10`.
    pub fn name(self) -> &'static str {
        match self {
            StepKind::Total => "total",
            StepKind::Es9 => "es9",
            StepKind::Es10 => "es10",
        }
    }
}

/// The order steps are shown in: the download's, then what follows it.
const STEP_ORDER: &[&str] = &[
    "download",
    "GetEUICCChallenge",
    "GetEUICCInfo1",
    "initiateAuthentication",
    "AuthenticateServer",
    "authenticateClient",
    "PrepareDownload",
    "getBoundProfilePackage",
    "LoadBoundProfilePackage",
    "EnableProfile",
    "DisableProfile",
    "DeleteProfile",
    "RetrieveNotificationsList",
    "handleNotification",
    "RemoveNotificationFromList",
    "CancelSession",
    "cancelSession",
];

/// One step's timings (successful calls) and failed calls.
#[derive(Debug, Clone)]
pub struct StepStats {
    /// The step's name (an ES9+ function, an ES10 function, `download`).
    pub name: &'static str,
    /// What it is.
    pub kind: StepKind,
    /// The durations of its successful calls, in microseconds.
    pub histogram: Histogram<u64>,
    /// Calls that failed.
    pub errors: u64,
}

/// How many cycles failed with one code, and the first message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorCount {
    /// Cycles.
    pub count: u64,
    /// The first full message.
    pub example: String,
}

/// What a worker (and then the whole run) measured.
#[derive(Debug)]
struct Stats {
    template: Histogram<u64>,
    steps: BTreeMap<&'static str, StepStats>,
    errors: BTreeMap<String, ErrorCount>,
    /// Every failed call by code, the first of a cycle and those after it.
    calls: BTreeMap<String, u64>,
    /// This cycle's first failure: (code, message).
    first: Option<(String, String)>,
}

impl Stats {
    fn new(template: &Histogram<u64>) -> Stats {
        Stats {
            template: template.clone(),
            steps: BTreeMap::new(),
            errors: BTreeMap::new(),
            calls: BTreeMap::new(),
            first: None,
        }
    }

    fn step(&mut self, name: &'static str, kind: StepKind) -> &mut StepStats {
        let template = &self.template;
        self.steps.entry(name).or_insert_with(|| StepStats { name, kind, histogram: template.clone(), errors: 0 })
    }

    fn ok(&mut self, name: &'static str, kind: StepKind, took: Duration) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1);
        self.step(name, kind).histogram.saturating_record(us);
    }

    fn fail(&mut self, name: &'static str, kind: StepKind, code: String, message: String) {
        self.step(name, kind).errors += 1;
        *self.calls.entry(code.clone()).or_insert(0) += 1;
        if self.first.is_none() {
            self.first = Some((code, message));
        }
    }

    /// Ends a cycle that failed: counts it under its first failure, or under `fallback`.
    fn failed(&mut self, fallback: (String, String)) {
        let (code, message) = self.first.take().unwrap_or(fallback);
        let e = self.errors.entry(code).or_insert_with(|| ErrorCount { count: 0, example: message });
        e.count += 1;
    }

    fn merge(&mut self, other: Stats) {
        for (name, s) in other.steps {
            let mine = self.step(name, s.kind);
            mine.errors += s.errors;
            // Same bounds on both sides: adding cannot fail.
            let _ = mine.histogram.add(&s.histogram);
        }
        for (code, e) in other.errors {
            let mine = self.errors.entry(code).or_insert_with(|| ErrorCount { count: 0, example: e.example });
            mine.count += e.count;
        }
        for (code, n) in other.calls {
            *self.calls.entry(code).or_insert(0) += n;
        }
    }
}

/// The SGP.22 error inside a card's answer to `step`, as `name(code)`.
fn es10_error(step: &str, data: &[u8]) -> Option<String> {
    use crate::asn1::codes::{AuthenticateErrorCode, DownloadErrorCode, ErrorReason};
    use crate::asn1::tlv::{next_tlv, split_tlv};
    match step {
        "AuthenticateServer" | "PrepareDownload" => {
            let (_, value) = split_tlv(data)?;
            let (inner, _) = next_tlv(value)?;
            if inner.first() != Some(&0xA1) {
                return None;
            }
            let (_, mut rest) = split_tlv(inner)?;
            let mut code = None;
            while !rest.is_empty() {
                let (item, next) = next_tlv(rest)?;
                if item.first() == Some(&0x02) {
                    code = split_tlv(item).map(|(_, v)| int(v));
                }
                rest = next;
            }
            let code = code.unwrap_or(-1);
            let name = if step == "AuthenticateServer" {
                AuthenticateErrorCode::name_of(code)
            } else {
                DownloadErrorCode::name_of(code)
            };
            Some(format!("{name}({code})"))
        }
        "LoadBoundProfilePackage" => match crate::testkit::lpa::read_pir(data) {
            Ok(_) => None,
            Err(crate::testkit::lpa::DownloadError::Install { command, reason }) => {
                Some(format!("{}({reason})@bppCommandId{command}", ErrorReason::name_of(reason)))
            }
            Err(_) => Some("malformedPir".to_string()),
        },
        _ => None,
    }
}

fn int(bytes: &[u8]) -> i64 {
    let first = bytes.first().copied().unwrap_or(0);
    let start: i64 = if first & 0x80 != 0 { -1 } else { 0 };
    bytes.iter().take(8).fold(start, |acc, b| (acc << 8) | i64::from(*b))
}

fn client_code(step: &str, e: &ClientError) -> String {
    match e {
        ClientError::Status(sw) => format!("es10:{step}:sw{sw:04X}"),
        ClientError::NoStatus => format!("es10:{step}:noStatusWord"),
        ClientError::Decode(_) => format!("es10:{step}:malformed"),
        ClientError::Encode(_) => format!("es10:{step}:encode"),
    }
}

impl Observer for Stats {
    fn es10(&mut self, step: &'static str, took: Duration, outcome: Result<&[u8], &ClientError>) {
        match outcome {
            Err(e) => self.fail(step, StepKind::Es10, client_code(step, e), format!("{step}: card: {e}")),
            Ok(data) => match es10_error(step, data) {
                Some(error) => {
                    let message = format!("{step}: the card answered with the error {error}");
                    self.fail(step, StepKind::Es10, format!("es10:{step}:{error}"), message);
                }
                None => self.ok(step, StepKind::Es10, took),
            },
        }
    }

    fn es9(&mut self, function: &'static str, took: Duration, outcome: Result<(), &Es9Failure>) {
        let Err(f) = outcome else { return self.ok(function, StepKind::Es9, took) };
        let code = match f {
            Es9Failure::Smdp { subject, reason, .. } => format!("es9:{function}:{subject}/{reason}"),
            Es9Failure::Http(status) => format!("http:{function}:{status}"),
            Es9Failure::Transport(_) => format!("transport:{function}"),
            Es9Failure::NotJson(_) | Es9Failure::NoStatus | Es9Failure::Encode(_) => {
                format!("es9:{function}:malformed")
            }
        };
        self.fail(function, StepKind::Es9, code, f.describe(function));
    }
}

// ------------------------------------------------------------------ running

/// One virtual card.
struct VirtualCard {
    card: Card<HostPlatform<MemStorage>>,
    /// Whether it may hold something from an earlier cycle.
    used: bool,
}

/// The test PKI's generated card `n` (its own CERT.EUICC), ready to download.
fn make_identity(n: u64, crypto: &'static dyn CryptoProvider) -> Result<Arc<Identity>, String> {
    let pki: &TestPki = crate::testkit::pki::default_pki();
    let (issued, eid) = pki.issue_card(n, 0x4C4F_4144_5445_5354 ^ n).ok_or_else(|| format!("card {n}: no EID"))?;
    let identity = pki.card_identity(&issued, crypto).map_err(|e| format!("card {n} (EID {eid}): identity: {e}"))?;
    Ok(Arc::new(identity))
}

fn make_card(identity: &Arc<Identity>, crypto: &'static dyn CryptoProvider) -> Result<VirtualCard, String> {
    let card = Card::with_identity(identity.card_config(), identity.clone(), platform_with(MemStorage::new(), crypto))
        .map_err(|e| format!("card: {e}"))?;
    Ok(VirtualCard { card, used: false })
}

/// Records an ES10c command's outcome: `Ok` for result 0.
fn es10_result(
    stats: &mut Stats,
    step: &'static str,
    r: Result<rasn::types::Integer, ClientError>,
    t: Instant,
) -> Result<(), (String, String)> {
    let took = t.elapsed();
    match r {
        Ok(code) if code == rasn::types::Integer::from(0) => {
            stats.ok(step, StepKind::Es10, took);
            Ok(())
        }
        Ok(code) => {
            let c = format!("es10:{step}:result{code}");
            let message = format!("{step}: the card answered result {code}");
            stats.fail(step, StepKind::Es10, c.clone(), message.clone());
            Err((c, message))
        }
        Err(e) => {
            let c = client_code(step, &e);
            let message = format!("{step}: card: {e}");
            stats.fail(step, StepKind::Es10, c.clone(), message.clone());
            Err((c, message))
        }
    }
}

/// Runs the steps after a download; `Err` is the fallback (code, message) when nothing was
/// recorded as the first failure.
fn after_download<T: Transport>(
    cfg: &Config,
    lpa: &mut Es10Client<T>,
    http: &mut dyn Es9Transport,
    stats: &mut Stats,
    aid: &[u8],
) -> Result<bool, (String, String)> {
    use crate::asn1::rsp::ProfileIdentifier;
    let id = || ProfileIdentifier::IsdpAid(aid.to_vec().into());
    if cfg.enable {
        let t = Instant::now();
        let r = lpa.enable_profile(id(), false);
        es10_result(stats, "EnableProfile", r, t)?;
        if cfg.delete {
            let t = Instant::now();
            let r = lpa.disable_profile(id(), false);
            es10_result(stats, "DisableProfile", r, t)?;
        }
    }
    let mut deleted = false;
    if cfg.delete {
        let t = Instant::now();
        let r = lpa.delete_profile(id());
        es10_result(stats, "DeleteProfile", r, t)?;
        deleted = true;
    }
    if !cfg.notifications {
        return Ok(false);
    }
    let t = Instant::now();
    let pending = es9_lpa::pending_notifications(lpa);
    let pending = match pending {
        Ok(p) => {
            stats.ok("RetrieveNotificationsList", StepKind::Es10, t.elapsed());
            p
        }
        Err(e) => {
            let c = "es10:RetrieveNotificationsList:failed".to_string();
            stats.fail("RetrieveNotificationsList", StepKind::Es10, c.clone(), e);
            return Err((c, String::new()));
        }
    };
    for p in &pending {
        if let Err(e) = es9_lpa::handle_notification(http, &cfg.address, p, stats) {
            return Err(("lpa:handleNotification".into(), e));
        }
        let t = Instant::now();
        let r = lpa.remove_notification(p.seq);
        es10_result(stats, "RemoveNotificationFromList", r, t)?;
    }
    Ok(deleted)
}

/// One cycle on `vc`: `Ok` when everything in it succeeded.
fn cycle(cfg: &Config, vc: &mut VirtualCard, http: &mut dyn Es9Transport, stats: &mut Stats) -> Result<(), ()> {
    stats.first = None;
    let outcome = (|| {
        vc.used = true;
        let paced = Paced { card: &mut vc.card, latency: cfg.card_latency.as_ref(), operation: None };
        let mut lpa = Es10Client::open(paced)
            .map_err(|e| (client_code("OpenChannel", &e), format!("opening a channel to the ISD-R: {e}")))?;
        let order = Order { address: &cfg.address, matching_id: cfg.matching_id.as_deref(), confirmation_code: None };
        let t = Instant::now();
        let installed = es9_lpa::download_observed(&mut lpa, http, &order, stats)
            .map_err(|e| (format!("lpa:{}", e.split(':').next().unwrap_or("download")), e))?;
        stats.ok("download", StepKind::Total, t.elapsed());
        let clean = after_download(cfg, &mut lpa, http, stats, &installed.isdp_aid)?;
        lpa.close().map_err(|e| (client_code("CloseChannel", &e), format!("closing the channel: {e}")))?;
        if clean {
            vc.used = false;
        }
        Ok(())
    })();
    outcome.map_err(|fallback| stats.failed(fallback))
}

/// Counters the workers share with the progress bar.
#[derive(Debug, Default)]
struct Progress {
    started: AtomicU64,
    completed: AtomicU64,
    failed: AtomicU64,
}

impl Progress {
    /// Takes the next cycle, if the run is not over.
    fn claim(&self, stop: Stop, deadline: Instant) -> bool {
        match stop {
            Stop::Count(m) => {
                self.started.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |k| (k < m).then_some(k + 1)).is_ok()
            }
            Stop::Duration(_) => {
                if Instant::now() >= deadline {
                    return false;
                }
                self.started.fetch_add(1, Ordering::SeqCst);
                true
            }
        }
    }
}

fn transport(tls: &Tls) -> HttpsTransport {
    match tls {
        Tls::Plain => HttpsTransport::plain(),
        Tls::Roots(roots) => HttpsTransport::new(roots, false),
        Tls::Insecure => HttpsTransport::new(&[], true),
    }
}

fn worker(cfg: &Config, w: usize, workers: usize, progress: &Progress, deadline: Instant, stats: &mut Stats) {
    let delay = cfg.ramp.mul_f64(w as f64 / workers.max(1) as f64);
    if !delay.is_zero() {
        std::thread::sleep(delay);
    }
    let mut http = transport(&cfg.tls);
    let base = cfg.shard.index.saturating_mul(cfg.cards as u64);
    let own: Vec<u64> = (0..cfg.cards as u64).filter(|i| i % workers as u64 == w as u64).map(|i| base + i).collect();
    let mut identities: Vec<Option<Arc<Identity>>> = std::vec![None; own.len()];
    let mut cards: Vec<Option<VirtualCard>> = (0..own.len()).map(|_| None).collect();
    let mut turn = 0usize;
    while progress.claim(cfg.stop, deadline) {
        let slot = turn % own.len().max(1);
        turn += 1;
        let made = (|| {
            let n = own.get(slot).copied().ok_or("no card for this worker")?;
            let identity = match identities.get_mut(slot).and_then(Option::as_mut) {
                Some(id) => id.clone(),
                None => {
                    let id = make_identity(n, cfg.crypto)?;
                    if let Some(s) = identities.get_mut(slot) {
                        *s = Some(id.clone());
                    }
                    id
                }
            };
            let cell = cards.get_mut(slot).ok_or("no card for this worker")?;
            if cell.as_ref().is_none_or(|c| c.used) {
                *cell = Some(make_card(&identity, cfg.crypto)?);
            }
            Ok::<(), String>(())
        })();
        let ok = match (made, cards.get_mut(slot).and_then(Option::as_mut)) {
            (Ok(()), Some(vc)) => cycle(cfg, vc, &mut http, stats).is_ok(),
            (made, _) => {
                let message = made.err().unwrap_or_else(|| "no card".to_string());
                stats.first = None;
                stats.failed(("setup:card".into(), message));
                false
            }
        };
        let counter = if ok { &progress.completed } else { &progress.failed };
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

fn progress_bar(cfg: &Config) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    if !cfg.progress {
        return ProgressBar::hidden();
    }
    let (len, template) = match cfg.stop {
        Stop::Count(m) => (m, "{elapsed_precise} [{bar:32}] {pos}/{len} {msg}"),
        Stop::Duration(d) => (d.as_secs().max(1), "{elapsed_precise} [{bar:32}] {pos}/{len} s {msg}"),
    };
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Runs the load test `cfg` describes; `Err` only when it cannot start (nothing to do, a bad
/// configuration). Failed cycles are in the report.
pub fn run(cfg: &Config) -> Result<Report, String> {
    if cfg.cards == 0 {
        return Err("no cards: give at least one".into());
    }
    if cfg.concurrency == 0 {
        return Err("concurrency 0: give at least 1".into());
    }
    if cfg.stop == Stop::Count(0) {
        return Err("count 0: nothing to do".into());
    }
    es9_lpa::check_address(&cfg.address)?;
    let last = cfg.shard.index.saturating_add(1).saturating_mul(cfg.cards as u64);
    if crate::testkit::pki::card_eid(last.saturating_sub(1)).is_none() {
        return Err(format!("{} cards in shard {}: past the last EID of the test range", cfg.cards, cfg.shard.index));
    }
    let template = Histogram::<u64>::new_with_bounds(1, MAX_US, 3).map_err(|e| format!("histogram: {e}"))?;
    let workers = cfg.concurrency.min(cfg.cards);
    let progress = Progress::default();
    let start_time = SystemTime::now();
    let start = Instant::now();
    let deadline = match cfg.stop {
        Stop::Duration(d) => start + d,
        Stop::Count(_) => start + Duration::from_secs(u64::from(u32::MAX)),
    };
    let bar = progress_bar(cfg);
    let mut total = Stats::new(&template);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (progress, template) = (&progress, &template);
                s.spawn(move || {
                    let mut stats = Stats::new(template);
                    worker(cfg, w, workers, progress, deadline, &mut stats);
                    stats
                })
            })
            .collect();
        while !handles.iter().all(|h| h.is_finished()) {
            std::thread::sleep(Duration::from_millis(100));
            let done = progress.completed.load(Ordering::SeqCst);
            let failed = progress.failed.load(Ordering::SeqCst);
            let secs = start.elapsed().as_secs_f64();
            bar.set_position(match cfg.stop {
                Stop::Count(_) => done + failed,
                Stop::Duration(d) => start.elapsed().as_secs().min(d.as_secs()),
            });
            let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
            bar.set_message(format!("{done} done, {failed} failed, {rate:.1}/s"));
        }
        for h in handles {
            match h.join() {
                Ok(stats) => total.merge(stats),
                Err(_) => {
                    total.failed(("panic:worker".into(), "a worker thread panicked".into()));
                }
            }
        }
    });
    bar.finish_and_clear();
    let elapsed = start.elapsed();
    let mut steps: Vec<StepStats> = total.steps.into_values().collect();
    steps.sort_by_key(|s| (STEP_ORDER.iter().position(|n| *n == s.name).unwrap_or(usize::MAX), s.name));
    let eid = |n: u64| crate::testkit::pki::card_eid(n).map(|e| e.to_string()).unwrap_or_default();
    let first = cfg.shard.index.saturating_mul(cfg.cards as u64);
    Ok(Report {
        address: cfg.address.clone(),
        eids: (eid(first), eid(last.saturating_sub(1))),
        started: progress.started.load(Ordering::SeqCst),
        completed: progress.completed.load(Ordering::SeqCst),
        failed: progress.failed.load(Ordering::SeqCst),
        errors: total.errors,
        failed_calls: total.calls,
        elapsed,
        start_time,
        steps,
        cards: cfg.cards,
        concurrency: workers,
        shard: cfg.shard,
    })
}

// ------------------------------------------------------------------ the report

/// What a run measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// The SM-DP+ address.
    pub address: String,
    /// Cycles begun.
    pub started: u64,
    /// Cycles that succeeded.
    pub completed: u64,
    /// Cycles that failed (the sum of [`Report::errors`]).
    pub failed: u64,
    /// Failed cycles by code ([module docs](self)).
    pub errors: BTreeMap<String, ErrorCount>,
    /// Every failed ES9+ or ES10 call by code: besides each failed download's first failure,
    /// what followed it (the SM-DP+'s answer to the card's error, a cancelled session).
    pub failed_calls: BTreeMap<String, u64>,
    /// How long the run took.
    pub elapsed: Duration,
    /// When it began.
    pub start_time: SystemTime,
    /// Per step (`download`, ES9+ functions, ES10 steps), in protocol order.
    pub steps: Vec<StepStats>,
    /// Cards.
    pub cards: usize,
    /// Workers that ran (the concurrency, no more than the cards).
    pub concurrency: usize,
    /// The shard.
    pub shard: Shard,
    /// The EIDs of its first and last card.
    pub eids: (String, String),
}

fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        return 0.0;
    }
    h.value_at_quantile(q) as f64 / 1000.0
}

impl Report {
    /// Completed cycles per second.
    pub fn throughput(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { self.completed as f64 / secs } else { 0.0 }
    }

    /// One step's figures.
    pub fn step(&self, name: &str) -> Option<&StepStats> {
        self.steps.iter().find(|s| s.name == name)
    }

    /// The table `veuicc loadtest` prints.
    pub fn table(&self) -> String {
        use core::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "veuicc loadtest: {} downloads from {}, {} cards (EIDs {} to {}), concurrency {}, shard {}/{}",
            self.started,
            self.address,
            self.cards,
            self.eids.0,
            self.eids.1,
            self.concurrency,
            self.shard.index,
            self.shard.count
        );
        let _ = writeln!(
            out,
            "completed {}  errors {}  in {:.1} s  throughput {:.2} downloads/s",
            self.completed,
            self.failed,
            self.elapsed.as_secs_f64(),
            self.throughput()
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<28} {:<5} {:>7} {:>6} {:>9} {:>9} {:>9} {:>9}",
            "step", "kind", "count", "errors", "p50 ms", "p90 ms", "p99 ms", "max ms"
        );
        for s in &self.steps {
            let h = &s.histogram;
            let max = if h.is_empty() { 0.0 } else { h.max() as f64 / 1000.0 };
            let _ = writeln!(
                out,
                "{:<28} {:<5} {:>7} {:>6} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
                s.name,
                s.kind.name(),
                h.len(),
                s.errors,
                ms(h, 0.5),
                ms(h, 0.9),
                ms(h, 0.99),
                max
            );
        }
        if !self.errors.is_empty() {
            let _ = writeln!(out);
            let _ = writeln!(out, "errors by code:");
            for (code, e) in &self.errors {
                let _ = writeln!(out, "  {:>6}  {code}  ({})", e.count, e.example);
            }
            let _ = writeln!(out);
            let _ = writeln!(out, "failed calls by code (each download's first failure and what followed it):");
            for (code, n) in &self.failed_calls {
                let _ = writeln!(out, "  {n:>6}  {code}");
            }
        }
        out
    }

    /// The report as one JSON object: `completed`, `errors` (code → count), `throughput`,
    /// `p50_ms`/`p90_ms`/`p99_ms`/`max_ms` of the whole download, `steps` (one object each).
    pub fn to_json(&self) -> Value {
        let whole = self.step("download").map(|s| &s.histogram);
        let q = |q: f64| whole.map_or(0.0, |h| ms(h, q));
        let steps: Vec<Value> = self
            .steps
            .iter()
            .map(|s| {
                let h = &s.histogram;
                json!({
                    "step": s.name, "kind": s.kind.name(), "count": h.len(), "errors": s.errors,
                    "p50_ms": ms(h, 0.5), "p90_ms": ms(h, 0.9), "p99_ms": ms(h, 0.99),
                    "max_ms": if h.is_empty() { 0.0 } else { h.max() as f64 / 1000.0 },
                    "mean_ms": h.mean() / 1000.0,
                })
            })
            .collect();
        let errors: serde_json::Map<String, Value> =
            self.errors.iter().map(|(c, e)| (c.clone(), Value::from(e.count))).collect();
        let examples: serde_json::Map<String, Value> =
            self.errors.iter().map(|(c, e)| (c.clone(), Value::from(e.example.clone()))).collect();
        json!({
            "smdp": self.address,
            "cards": self.cards,
            "concurrency": self.concurrency,
            "shard": format!("{}/{}", self.shard.index, self.shard.count),
            "eids": [self.eids.0, self.eids.1],
            "started": self.started,
            "completed": self.completed,
            "failed": self.failed,
            "errors": errors,
            "error_examples": examples,
            "failed_calls": self.failed_calls,
            "elapsed_s": self.elapsed.as_secs_f64(),
            "throughput": self.throughput(),
            "p50_ms": q(0.5),
            "p90_ms": q(0.9),
            "p99_ms": q(0.99),
            "max_ms": whole.filter(|h| !h.is_empty()).map_or(0.0, |h| h.max() as f64 / 1000.0),
            "steps": steps,
        })
    }

    /// Writes every step's histogram in HdrHistogram's interval-log format (V2 serializer),
    /// one interval covering the run per step, tagged `download`, `es9.<function>` or
    /// `es10.<step>`; values are microseconds (the max column in milliseconds).
    pub fn write_hdr_log(&self, out: &mut dyn std::io::Write) -> Result<(), String> {
        use hdrhistogram::serialization::V2Serializer;
        use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
        let mut serializer = V2Serializer::new();
        let mut writer = out;
        let mut log = IntervalLogWriterBuilder::new()
            .add_comment(&format!(
                "veuicc loadtest: {} from {}, shard {}/{}; values in microseconds",
                self.started, self.address, self.shard.index, self.shard.count
            ))
            .with_start_time(self.start_time)
            .with_base_time(self.start_time)
            .with_max_value_divisor(1000.0)
            .begin_log_with(&mut writer, &mut serializer)
            .map_err(|e| format!("hdr log: {e}"))?;
        for s in &self.steps {
            let tag = match s.kind {
                StepKind::Total => s.name.to_string(),
                kind => format!("{}.{}", kind.name(), s.name),
            };
            log.write_histogram(&s.histogram, Duration::ZERO, self.elapsed, Tag::new(&tag))
                .map_err(|e| format!("hdr log: {e}"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse() {
        assert_eq!("3/8".parse::<Shard>(), Ok(Shard { index: 3, count: 8 }));
        for bad in ["", "8/8", "1/0", "x/2", "1"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn card_latency_files_parse() {
        let l = CardLatency::parse("# measured\napdu = 12\nAuthenticateServer=1234.5\n\n").unwrap();
        assert_eq!(l.delay("apdu"), Duration::from_millis(12));
        assert_eq!(l.delay("AuthenticateServer"), Duration::from_micros(1_234_500));
        assert_eq!(l.delay("PrepareDownload"), Duration::ZERO);
        assert!(CardLatency::parse("Nothing=1").unwrap_err().contains("not one of"));
        assert!(CardLatency::parse("apdu").unwrap_err().contains("step=ms"));
        assert!(CardLatency::parse("apdu=-1").unwrap_err().contains("between"));
        assert!(CardLatency::parse("apdu=1\napdu=2").unwrap_err().contains("twice"));
        assert_eq!(CardLatency::real_card().delay("AuthenticateServer"), Duration::from_millis(1300));
    }

    #[test]
    fn card_errors_are_read_from_answers() {
        // BF38 { A1 { 80 01 00, 02 01 02 } }: invalidSignature.
        let auth = [0xBF, 0x38, 0x08, 0xA1, 0x06, 0x80, 0x01, 0x00, 0x02, 0x01, 0x02];
        assert_eq!(es10_error("AuthenticateServer", &auth).as_deref(), Some("invalidSignature(2)"));
        let prep = [0xBF, 0x21, 0x08, 0xA1, 0x06, 0x80, 0x01, 0x00, 0x02, 0x01, 0x05];
        assert_eq!(es10_error("PrepareDownload", &prep).as_deref(), Some("invalidTransactionId(5)"));
        assert_eq!(es10_error("AuthenticateServer", &[0xBF, 0x38, 0x03, 0xA0, 0x01, 0x00]), None);
    }
}
