//! ES9+ (SGP.22 v2.5 §6.5): the test SM-DP+ ([`TestSmdp`]) behind the five JSON functions an
//! LPA calls — `initiateAuthentication`, `authenticateClient`, `getBoundProfilePackage`,
//! `handleNotification`, `cancelSession` — as a request → answer function ([`Es9Server::handle`])
//! with no network in it: the HTTP server (`host::smdp`) and the lpac stdio bridge
//! (`host::lpac`) both call it.
//!
//! Many sessions at once, keyed by transactionId, each with a [`TestSmdp`] of its own (its keys,
//! its randomness), a deadline ([`Limits::session_timeout`]) and a stage: a function called out
//! of order, a second time (a replay), or for a transaction that ended is answered with an ES9+
//! error, never served. Every field is checked before use: JSON, base64, DER, the transaction
//! ids inside what the card signed, the server challenge, the signatures (euiccSignature1/2, the
//! PIR, other notifications, CancelSession), the confirmation code's hashCc.
//!
//! Answers follow SGP.22 §6.5.1: HTTP 200 with `header.functionExecutionStatus`
//! `{"status":"Executed-Success"}`, or `{"status":"Failed","statusCodeData":{subjectCode,
//! reasonCode, subjectIdentifier, message}}`; handleNotification answers 204 with no body.
//! Subject/reason codes: where SGP.22 §5.6's ES9+ function tables name the case (as lpac's
//! `es9p_errors.c` lists them), that pair — `8.10.1/3.9` unknown transaction, `8.1/6.1` an eUICC
//! signature or the server challenge, `8.1.2`/`8.1.3` the EUM/eUICC certificate, `8.2.6/3.8` a
//! refused matchingId, `8.2.7/2.2|3.8` the confirmation code, `8.8.1/3.8` the SM-DP+ address,
//! `8.8.2/3.1` the CI. Otherwise a generic pair from SGP.22 §5.2.6's common tables (subject codes
//! §5.2.6.1: `1.2` Function Provider, `1.3.1` Protocol Format, `1.6` Function; reason codes
//! §5.2.6.2: `1.2` Not Allowed, `2.1` Invalid, `2.2` Mandatory Element Missing, `3.3` Already in
//! Use, `3.9` Unknown, `4.2` Execution Error):
//! - `1.3.1/2.1` the request is malformed: not JSON, not base64, not the expected DER, too long;
//! - `1.3.1/2.2` a mandatory field is missing (osmo-smdpp answers a missing ctxParams1 member so);
//! - `1.6/1.2` the function is not allowed now: out of order, or a replay;
//! - `1.6/3.3` a notification already handled; `1.6/3.9` no such ES9+ function (HTTP 404);
//! - `1.2/4.2` the SM-DP+ could not execute it (too many sessions, an internal failure).
//!
//! The offending field is named in `subjectIdentifier`.

use super::DetRng;
use super::smdp::{ProfileToInstall, SmdpKeys, TestSmdp, notification_config};
use crate::asn1::download::{
    CancelSessionResponse, CancelSessionResult, EuiccCancelSessionSigned, EuiccSigned1, EuiccSigned2,
    PrepareDownloadResponse, PrepareDownloadResult, ProfileInstallationResult, ProfileInstallationResultData,
    ServerSigned1,
};
use crate::asn1::tlv::next_tlv;
use crate::crypto::CryptoProvider;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rand_core::Rng;
use serde_json::{Map, Value, json};
use std::boxed::Box;
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::Write;
use std::path::Path;
use std::string::{String, ToString};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use std::vec::Vec;
use std::{format, vec};

/// The path prefix of every ES9+ function (SGP.22 §6.5.1).
pub const PATH_PREFIX: &str = "/gsma/rsp2/es9plus/";

/// The `X-Admin-Protocol` value the server answers with.
pub const ADMIN_PROTOCOL: &str = "gsma/rsp/v2.2.0";

/// What one ES9+ function answered with when it failed: the SGP.22 status code data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Es9Error {
    /// `subjectCode`, e.g. `8.10.1`.
    pub subject: &'static str,
    /// `reasonCode`, e.g. `3.9`.
    pub reason: &'static str,
    /// `subjectIdentifier`: the field or object concerned, if any.
    pub identifier: Option<&'static str>,
    /// A human-readable `message`.
    pub message: String,
}

impl Es9Error {
    fn new(subject: &'static str, reason: &'static str, message: impl Into<String>) -> Es9Error {
        Es9Error { subject, reason, identifier: None, message: message.into() }
    }
    fn on(mut self, field: &'static str) -> Es9Error {
        self.identifier = Some(field);
        self
    }
    fn format(field: &'static str, why: impl core::fmt::Display) -> Es9Error {
        Es9Error::new("1.3.1", "2.1", format!("{field}: {why}")).on(field)
    }
    fn missing(field: &'static str) -> Es9Error {
        Es9Error::new("1.3.1", "2.2", format!("{field} is missing or not a string")).on(field)
    }
    fn unknown_transaction() -> Es9Error {
        Es9Error::new("8.10.1", "3.9", "The RSP session identified by the TransactionID is unknown").on("transactionId")
    }
    fn wrong_order(function: &str, stage: Stage) -> Es9Error {
        Es9Error::new("1.6", "1.2", format!("{function} is not allowed now: the session is {}", stage.name()))
            .on("transactionId")
    }
    fn verification(message: impl Into<String>) -> Es9Error {
        Es9Error::new("8.1", "6.1", message)
    }
}

impl core::fmt::Display for Es9Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}/{}: {}", self.subject, self.reason, self.message)
    }
}

impl std::error::Error for Es9Error {}

/// An HTTP answer: status, JSON body (empty for 204).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status code.
    pub status: u16,
    /// The body (JSON, or empty).
    pub body: Vec<u8>,
}

impl Answer {
    fn json(status: u16, v: &Value) -> Answer {
        Answer { status, body: serde_json::to_vec(v).unwrap_or_default() }
    }
    fn failed(status: u16, e: &Es9Error) -> Answer {
        Answer::json(status, &json!({ "header": header(Err(e)) }))
    }
    /// The body as JSON (`Null` if it is empty or not JSON).
    pub fn value(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    /// The `statusCodeData` (subjectCode, reasonCode) of a failed function, if this is one.
    pub fn error_codes(&self) -> Option<(String, String)> {
        let v = self.value();
        let d = v.pointer("/header/functionExecutionStatus/statusCodeData")?;
        Some((d.get("subjectCode")?.as_str()?.to_string(), d.get("reasonCode")?.as_str()?.to_string()))
    }
}

fn header(r: Result<(), &Es9Error>) -> Value {
    match r {
        Ok(()) => json!({ "functionExecutionStatus": { "status": "Executed-Success" } }),
        Err(e) => {
            let mut data = Map::new();
            data.insert("subjectCode".into(), e.subject.into());
            data.insert("reasonCode".into(), e.reason.into());
            if let Some(id) = e.identifier {
                data.insert("subjectIdentifier".into(), id.into());
            }
            data.insert("message".into(), e.message.clone().into());
            json!({ "functionExecutionStatus": { "status": "Failed", "statusCodeData": data } })
        }
    }
}

/// One profile the server hands out, and the order that goes with it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The matchingId (activation code token) that selects it; `""` selects it when the LPA
    /// sends none.
    pub matching_id: String,
    /// The package and its metadata.
    pub profile: ProfileToInstall,
    /// The confirmation code the end user must give, if any.
    pub confirmation_code: Option<String>,
    /// `NotificationEvent` bits asked for when the metadata has no notificationConfigurationInfo.
    pub notify: u8,
    /// An RPM order (SGP.22 v3): authenticateClient answers with this package
    /// (`AuthenticateClientOkRpm`: `smdpSigned3`, `smdpSignature3`) instead of a download, and
    /// the session waits for the signed result (handleNotification). Not read from a catalogue
    /// folder.
    pub rpm: Option<Vec<crate::asn1::rpm::RpmCommand>>,
}

/// What the server hands out, by matchingId.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    /// The entries, in the order they were given.
    pub entries: Vec<Entry>,
}

/// The matchingId of the default catalogue's one entry.
pub const DEFAULT_MATCHING_ID: &str = "VEUICC-TEST-PROFILE";

/// The ICCID (printed digit order) of the default catalogue's generated profile.
pub const DEFAULT_ICCID: &str = "89000123456789012341";

/// Swaps a printed ICCID into SGP.22's `Iccid` (nibble-swapped BCD, padded with `F`).
pub fn iccid_bytes(text: &str) -> Result<[u8; 10], String> {
    let digits: Vec<u8> = text.bytes().collect();
    if !(18..=20).contains(&digits.len()) || !digits.iter().all(u8::is_ascii_digit) {
        return Err(format!("ICCID {text:?}: 18 to 20 digits"));
    }
    let mut out = [0xFFu8; 10];
    for (i, pair) in digits.chunks(2).enumerate() {
        let lo = pair.first().map_or(0xF, |d| d - b'0');
        let hi = pair.get(1).map_or(0xF, |d| d - b'0');
        if let Some(b) = out.get_mut(i) {
            *b = (hi << 4) | lo;
        }
    }
    Ok(out)
}

impl Catalogue {
    /// The test kit's generated profile (ICCID [`DEFAULT_ICCID`], 8 KB) under
    /// [`DEFAULT_MATCHING_ID`], also served when the LPA sends no matchingId.
    pub fn default_test() -> Catalogue {
        let iccid = iccid_bytes(DEFAULT_ICCID).unwrap_or([0; 10]);
        let upp = super::saip::TestProfile::new(iccid).with_padding(8 * 1024).to_der();
        let profile = ProfileToInstall::from_package(upp).unwrap_or_else(|_| ProfileToInstall::sample(iccid, 8 * 1024));
        let entry = |m: &str| Entry {
            matching_id: m.into(),
            profile: profile.clone(),
            confirmation_code: None,
            notify: super::smdp::DEFAULT_NOTIFY,
            rpm: None,
        };
        Catalogue { entries: vec![entry(DEFAULT_MATCHING_ID), entry("")] }
    }

    /// The entry for `matching_id` (`""` for none).
    pub fn find(&self, matching_id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.matching_id == matching_id)
    }

    /// Reads `DIR/catalogue.json`: an array of entries
    /// `{"matchingId", "package" (a file in DIR, DER profile elements; absent: the generated
    /// test profile), "iccid", "spn", "name", "class" (test|provisioning|operational),
    /// "pprs" (["ppr1","ppr2"]), "notifications" (["install","enable","disable","delete"]),
    /// "confirmationCode"}`; every field but matchingId is optional.
    pub fn load_dir(dir: &Path) -> Result<Catalogue, String> {
        let file = dir.join("catalogue.json");
        let text = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        if text.len() > 1 << 20 {
            return Err(format!("{}: larger than 1 MiB", file.display()));
        }
        let v: Value = serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        let list = v.as_array().ok_or_else(|| format!("{}: not a JSON array of entries", file.display()))?;
        let mut entries = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let entry = Catalogue::entry(dir, item).map_err(|e| format!("{} entry {i}: {e}", file.display()))?;
            if entries.iter().any(|e: &Entry| e.matching_id == entry.matching_id) {
                return Err(format!("{} entry {i}: matchingId {:?} twice", file.display(), entry.matching_id));
            }
            entries.push(entry);
        }
        Ok(Catalogue { entries })
    }

    fn entry(dir: &Path, item: &Value) -> Result<Entry, String> {
        let s = |k: &str| item.get(k).and_then(Value::as_str);
        let matching_id = s("matchingId").ok_or("no matchingId")?.to_string();
        if matching_id.len() > 255 || !matching_id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!("matchingId {matching_id:?}: printable ASCII, at most 255 characters"));
        }
        let iccid = match s("iccid") {
            Some(t) => Some(iccid_bytes(t)?),
            None => None,
        };
        let mut profile = match s("package") {
            Some(name) => {
                let name = Path::new(name);
                if name.components().count() != 1 {
                    return Err(format!("package {}: a file name in the catalogue folder", name.display()));
                }
                let path = dir.join(name);
                let upp = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                ProfileToInstall::from_package(upp).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => {
                let iccid = iccid.unwrap_or(iccid_bytes(DEFAULT_ICCID)?);
                let upp = super::saip::TestProfile::new(iccid).with_padding(8 * 1024).to_der();
                ProfileToInstall::from_package(upp).map_err(|e| e.to_string())?
            }
        };
        let md = &mut profile.metadata;
        if let Some(iccid) = iccid {
            md.iccid = iccid.to_vec().into();
        }
        if let Some(spn) = s("spn") {
            md.service_provider_name = crate::asn1::BoundedUtf8::new(spn).ok_or("spn: at most 32 characters")?;
        }
        if let Some(name) = s("name") {
            md.profile_name = crate::asn1::BoundedUtf8::new(name).ok_or("name: at most 64 characters")?;
        }
        if let Some(class) = s("class") {
            let c: i32 = match class {
                "test" => 0,
                "provisioning" => 1,
                "operational" => 2,
                other => return Err(format!("class {other:?}: test, provisioning or operational")),
            };
            md.profile_class = Some(c.into());
        }
        let names = |k: &str| -> Result<Vec<String>, String> {
            match item.get(k) {
                None => Ok(Vec::new()),
                Some(Value::Array(a)) => {
                    a.iter().map(|v| v.as_str().map(str::to_string).ok_or(format!("{k}: strings"))).collect()
                }
                Some(_) => Err(format!("{k}: an array of strings")),
            }
        };
        let pprs = names("pprs")?;
        if !pprs.is_empty() {
            let mut bits = rasn::types::BitString::repeat(false, 3);
            for p in &pprs {
                let i = match p.as_str() {
                    "ppr1" => 1,
                    "ppr2" => 2,
                    other => return Err(format!("pprs: {other:?} is not ppr1 or ppr2")),
                };
                bits.set(i, true);
            }
            md.profile_policy_rules = Some(bits);
        }
        let notify = match item.get("notifications") {
            None => super::smdp::DEFAULT_NOTIFY,
            Some(_) => names("notifications")?.iter().try_fold(0u8, |acc, e| {
                let bit = match e.as_str() {
                    "install" => 0,
                    "enable" => 1,
                    "disable" => 2,
                    "delete" => 3,
                    other => return Err(format!("notifications: {other:?} is not install, enable, disable or delete")),
                };
                Ok(acc | (1 << bit))
            })?,
        };
        let confirmation_code = s("confirmationCode").map(str::to_string);
        Ok(Entry { matching_id, profile, confirmation_code, notify, rpm: None })
    }
}

/// The server's bounds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest request body read, in bytes.
    pub max_body: usize,
    /// How long a session lives after initiateAuthentication.
    pub session_timeout: Duration,
    /// How many sessions may be open at once.
    pub max_sessions: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_body: 64 * 1024, session_timeout: Duration::from_secs(600), max_sessions: 10_000 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// initiateAuthentication answered.
    Initiated,
    /// authenticateClient answered.
    Authenticated,
    /// getBoundProfilePackage answered: waiting for the PIR.
    Bound,
    /// authenticateClient delivered an RPM package: waiting for its signed result.
    Rpm,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Stage::Initiated => "authenticating (initiateAuthentication done)",
            Stage::Authenticated => "authenticated (authenticateClient done)",
            Stage::Bound => "bound (getBoundProfilePackage done, waiting for the install result)",
            Stage::Rpm => "rpm (authenticateClient delivered an RPM package, waiting for its result)",
        }
    }
}

#[derive(Debug)]
struct Session {
    smdp: TestSmdp,
    stage: Stage,
    deadline: Instant,
    server_challenge: [u8; 16],
    profile: Option<ProfileToInstall>,
    confirmation_code: Option<String>,
    /// The key of the CERT.EUICC authenticateClient verified: what the PIR is checked with.
    euicc_key: Option<crate::crypto::PublicKey>,
}

/// The digests of handled notifications: a set, and their order for forgetting the oldest.
type Seen = (HashSet<[u8; 32]>, VecDeque<[u8; 32]>);

/// How many handled notifications the server remembers to refuse replays.
const SEEN_NOTIFICATIONS: usize = 4096;

/// The ES9+ server: the catalogue, the open sessions, the event log.
#[derive(Debug)]
pub struct Es9Server {
    keys: SmdpKeys,
    ci: Option<crate::crypto::cert::TrustedCi>,
    ci_pkid: Vec<u8>,
    address: Option<String>,
    catalogue: Catalogue,
    /// Bounds on bodies, sessions and their lifetime.
    pub limits: Limits,
    /// Check CERT.EUICC/EUM dates against the system clock (default: yes).
    pub check_dates: bool,
    /// The SGP.22 version the server is (default 2.5): a v3 server sends serverSigned1's
    /// sessionContext and serverRspCapability to a card whose EUICCInfo1 says v3
    /// (`TestSmdp::sgp22`).
    pub sgp22: crate::config::Sgp22Version,
    sessions: Mutex<HashMap<String, Session>>,
    seen: Mutex<Seen>,
    seeds: Mutex<Option<DetRng>>,
    log: Mutex<Option<LogSink>>,
}

struct LogSink(Box<dyn Write + Send>);

impl core::fmt::Debug for LogSink {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("LogSink")
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok())).collect()
}

/// An `Iccid` (nibble-swapped BCD) in printed digit order, padding dropped.
fn iccid_text(b: &[u8]) -> String {
    b.iter().flat_map(|x| [x & 0x0F, x >> 4]).filter(|d| *d < 10).map(|d| char::from(b'0' + d)).collect()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A request's JSON object, and its fields.
struct Fields(Map<String, Value>);

impl Fields {
    fn parse(body: &[u8]) -> Result<Fields, Es9Error> {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => Ok(Fields(m)),
            Ok(_) => Err(Es9Error::format("body", "not a JSON object")),
            Err(e) => Err(Es9Error::format("body", format!("not JSON: {e}"))),
        }
    }
    fn str(&self, k: &'static str) -> Result<&str, Es9Error> {
        self.0.get(k).and_then(Value::as_str).ok_or_else(|| Es9Error::missing(k))
    }
    fn b64(&self, k: &'static str) -> Result<Vec<u8>, Es9Error> {
        let text = self.str(k)?;
        B64.decode(text.trim()).map_err(|e| Es9Error::format(k, format!("not base64: {e}")))
    }
    /// The transactionId: 1 to 16 bytes as hex.
    fn tid(&self) -> Result<String, Es9Error> {
        let t = self.str("transactionId")?;
        if t.is_empty() || t.len() > 32 || !t.len().is_multiple_of(2) || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Es9Error::format("transactionId", "1 to 16 bytes as hex"));
        }
        Ok(t.to_ascii_uppercase())
    }
}

fn der<T: rasn::Decode>(field: &'static str, bytes: &[u8]) -> Result<T, Es9Error> {
    rasn::der::decode(bytes).map_err(|e| Es9Error::format(field, format!("not the expected DER: {e}")))
}

/// The outer TLVs of `body` (the value of a constructed TLV).
fn children(whole: &[u8]) -> Option<Vec<&[u8]>> {
    let (_, value) = crate::asn1::tlv::split_tlv(whole)?;
    let mut out = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let (tlv, next) = next_tlv(rest)?;
        out.push(tlv);
        rest = next;
    }
    Some(out)
}

fn b64(b: &[u8]) -> Value {
    Value::String(B64.encode(b))
}

impl Es9Server {
    /// A server signing with `keys`, handing out `catalogue`. `address` is the SM-DP+ address
    /// (host[:port]) it answers for: initiateAuthentication for another address is refused;
    /// `None` serves any address (the lpac bridge, which has no address of its own).
    pub fn new(keys: SmdpKeys, address: Option<&str>, catalogue: Catalogue) -> Es9Server {
        let ci = crate::crypto::cert::TrustedCi::from_der(&crate::crypto::RUST_CRYPTO, &keys.ci).ok();
        let ci_pkid = crate::crypto::cert::subject_key_identifier(&keys.ci).ok().flatten().unwrap_or_default();
        Es9Server {
            keys,
            ci,
            ci_pkid,
            address: address.map(str::to_string),
            catalogue,
            limits: Limits::default(),
            check_dates: true,
            sgp22: crate::config::Sgp22Version::V2_5,
            sessions: Mutex::new(HashMap::new()),
            seen: Mutex::new((HashSet::new(), VecDeque::new())),
            seeds: Mutex::new(None),
            log: Mutex::new(None),
        }
    }

    /// Deterministic session randomness (transaction ids, one-time keys) from `seed`, for tests;
    /// without it each session is seeded from the operating system.
    pub fn with_seed(self, seed: u64) -> Es9Server {
        *lock(&self.seeds) = Some(DetRng::new(seed));
        self
    }

    /// Writes one JSON line per event to `sink`.
    pub fn set_log(&self, sink: Box<dyn Write + Send>) {
        *lock(&self.log) = Some(LogSink(sink));
    }

    /// The catalogue.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// The SM-DP+ address this server answers for, if it has one.
    pub fn address(&self) -> Option<&str> {
        self.address.as_deref()
    }

    /// How many sessions are open.
    pub fn open_sessions(&self) -> usize {
        lock(&self.sessions).len()
    }

    fn event(&self, mut fields: Map<String, Value>) {
        let mut log = lock(&self.log);
        if let Some(LogSink(w)) = log.as_mut() {
            fields.insert("time".into(), unix_now().into());
            let line = Value::Object(fields).to_string();
            let _ = writeln!(w, "{line}").and_then(|()| w.flush());
        }
    }

    fn seed(&self) -> u64 {
        match lock(&self.seeds).as_mut() {
            Some(r) => r.next_u64(),
            None => {
                let mut os = rand_core::UnwrapErr(getrandom::SysRng);
                os.next_u64()
            }
        }
    }

    /// The sessions waiting for their install result (getBoundProfilePackage answered), as
    /// JSON `[{"transactionId", "euiccKey" (SEC1 hex), "expires" (Unix seconds)}]`: what a
    /// process that ends before the LPA sends the PIR (the lpac bridge: `profile download`
    /// and `notification process` are two lpac runs) keeps, to [`Es9Server::import_awaiting`]
    /// in the next.
    pub fn export_awaiting(&self, now: Instant) -> Value {
        let unix = unix_now();
        let sessions = lock(&self.sessions);
        let list: Vec<Value> = sessions
            .iter()
            .filter(|(_, s)| s.stage == Stage::Bound)
            .filter_map(|(tid, s)| {
                let key = s.euicc_key?;
                let left = s.deadline.saturating_duration_since(now).as_secs();
                Some(json!({"transactionId": tid, "euiccKey": hex(key.as_bytes()), "expires": unix + left}))
            })
            .collect();
        Value::Array(list)
    }

    /// Takes back sessions [`Es9Server::export_awaiting`] wrote; expired or malformed ones are
    /// dropped. Returns how many were taken.
    pub fn import_awaiting(&self, v: &Value, now: Instant) -> usize {
        let unix = unix_now();
        let mut n = 0;
        for item in v.as_array().map(Vec::as_slice).unwrap_or_default() {
            let tid = item.get("transactionId").and_then(Value::as_str).map(str::to_ascii_uppercase);
            let key = item.get("euiccKey").and_then(Value::as_str).and_then(unhex);
            let expires = item.get("expires").and_then(Value::as_u64).unwrap_or(0);
            let (Some(tid), Some(key)) = (tid, key) else { continue };
            let Ok(sec1) = <[u8; 65]>::try_from(key.as_slice()) else { continue };
            if p256::PublicKey::from_sec1_bytes(&sec1).is_err() || expires <= unix || tid.len() > 32 {
                continue;
            }
            if lock(&self.sessions).len() >= self.limits.max_sessions {
                break;
            }
            let session = Session {
                smdp: TestSmdp::with_keys(self.keys.clone(), self.address.as_deref().unwrap_or(""), 0),
                stage: Stage::Bound,
                deadline: now + Duration::from_secs(expires - unix).min(self.limits.session_timeout),
                server_challenge: [0; 16],
                profile: None,
                confirmation_code: None,
                euicc_key: Some(crate::crypto::PublicKey::from_validated(sec1)),
            };
            lock(&self.sessions).insert(tid, session);
            n += 1;
        }
        n
    }

    /// The answer to a request for `path` whose body is larger than [`Limits::max_body`]
    /// (the HTTP layer stops reading it): HTTP 413 with an ES9+ error, logged.
    pub fn oversized(&self, path: &str) -> Answer {
        let function = path.strip_prefix(PATH_PREFIX).unwrap_or(path);
        let e = Es9Error::format("body", format!("larger than {} bytes", self.limits.max_body));
        self.log_result(function, None, Err(&e), Map::new());
        Answer::failed(413, &e)
    }

    /// Answers one request for `path` whose body is `body`, at the current time.
    pub fn handle(&self, path: &str, body: &[u8]) -> Answer {
        self.handle_at(path, body, Instant::now())
    }

    /// Answers one request as if it came at `now` (tests of session timeouts).
    pub fn handle_at(&self, path: &str, body: &[u8], now: Instant) -> Answer {
        let Some(function) = path.strip_prefix(PATH_PREFIX) else {
            return Answer::failed(404, &Es9Error::new("1.6", "3.9", format!("no ES9+ function at {path}")));
        };
        let function: &'static str = match function {
            "initiateAuthentication" => "initiateAuthentication",
            "authenticateClient" => "authenticateClient",
            "getBoundProfilePackage" => "getBoundProfilePackage",
            "handleNotification" => "handleNotification",
            "cancelSession" => "cancelSession",
            _ => return Answer::failed(404, &Es9Error::new("1.6", "3.9", format!("no ES9+ function {function:?}"))),
        };
        if body.len() > self.limits.max_body {
            let e = Es9Error::format("body", format!("larger than {} bytes", self.limits.max_body));
            self.log_result(function, None, Err(&e), Map::new());
            return Answer::failed(413, &e);
        }
        self.expire(now);
        let mut extra = Map::new();
        let fields = Fields::parse(body);
        let tid = fields.as_ref().ok().and_then(|f| f.tid().ok());
        let result = fields.and_then(|f| match function {
            "initiateAuthentication" => self.initiate_authentication(&f, now, &mut extra),
            "authenticateClient" => self.authenticate_client(&f, &mut extra),
            "getBoundProfilePackage" => self.get_bound_profile_package(&f, &mut extra),
            "handleNotification" => self.handle_notification(&f, &mut extra).map(|()| Map::new()),
            _ => self.cancel_session(&f, &mut extra).map(|()| Map::new()),
        });
        let tid = tid.or_else(|| extra.get("transactionId").and_then(Value::as_str).map(str::to_string));
        self.log_result(function, tid.as_deref(), result.as_ref().map(|_| ()), extra);
        match result {
            Ok(_) if function == "handleNotification" => Answer { status: 204, body: Vec::new() },
            Ok(mut out) => {
                out.insert("header".into(), header(Ok(())));
                Answer::json(200, &Value::Object(out))
            }
            Err(e) => Answer::failed(200, &e),
        }
    }

    fn log_result(&self, function: &str, tid: Option<&str>, result: Result<(), &Es9Error>, extra: Map<String, Value>) {
        let mut m = extra;
        m.insert("event".into(), function.into());
        if let Some(t) = tid {
            m.insert("transactionId".into(), t.into());
        }
        match result {
            Ok(()) => {
                m.insert("status".into(), "Executed-Success".into());
            }
            Err(e) => {
                m.insert("status".into(), "Failed".into());
                m.insert("subjectCode".into(), e.subject.into());
                m.insert("reasonCode".into(), e.reason.into());
                m.insert("message".into(), e.message.clone().into());
            }
        }
        self.event(m);
    }

    fn expire(&self, now: Instant) {
        let mut expired = Vec::new();
        lock(&self.sessions).retain(|tid, s| {
            let keep = s.deadline > now;
            if !keep {
                expired.push(tid.clone());
            }
            keep
        });
        for tid in expired {
            let mut m = Map::new();
            m.insert("event".into(), "sessionExpired".into());
            m.insert("transactionId".into(), tid.into());
            self.event(m);
        }
    }

    /// Takes the session `tid` out of the table, if its stage is `want`.
    fn take(&self, tid: &str, want: Stage, function: &str) -> Result<Session, Es9Error> {
        let mut sessions = lock(&self.sessions);
        match sessions.get(tid) {
            None => Err(Es9Error::unknown_transaction()),
            Some(s) if s.stage != want => Err(Es9Error::wrong_order(function, s.stage)),
            Some(_) => sessions.remove(tid).ok_or_else(Es9Error::unknown_transaction),
        }
    }

    fn put(&self, tid: String, s: Session) {
        lock(&self.sessions).insert(tid, s);
    }

    fn initiate_authentication(
        &self,
        f: &Fields,
        now: Instant,
        extra: &mut Map<String, Value>,
    ) -> Result<Map<String, Value>, Es9Error> {
        let address = f.str("smdpAddress")?;
        if let Some(ours) = &self.address
            && !address.eq_ignore_ascii_case(ours)
        {
            return Err(Es9Error::new("8.8.1", "3.8", format!("Invalid SM-DP+ Address {address:?}: this is {ours}"))
                .on("smdpAddress"));
        }
        if address.is_empty() || address.len() > 255 {
            return Err(Es9Error::format("smdpAddress", "1 to 255 characters"));
        }
        let challenge: [u8; 16] =
            f.b64("euiccChallenge")?.try_into().map_err(|_| Es9Error::format("euiccChallenge", "not 16 bytes"))?;
        let info1: crate::asn1::rsp::EuiccInfo1 = der("euiccInfo1", &f.b64("euiccInfo1")?)?;
        let ours = &self.ci_pkid;
        let knows =
            |list: &[crate::asn1::rsp::SubjectKeyIdentifier]| list.iter().any(|k| k.as_ref() == ours.as_slice());
        if !knows(&info1.euicc_ci_pkid_list_for_verification) || !knows(&info1.euicc_ci_pkid_list_for_signing) {
            return Err(Es9Error::new(
                "8.8.2",
                "3.1",
                format!(
                    "None of the proposed Public Key Identifiers is supported by the SM-DP+ (it uses CI {})",
                    hex(ours)
                ),
            )
            .on("euiccInfo1"));
        }
        if lock(&self.sessions).len() >= self.limits.max_sessions {
            return Err(Es9Error::new("1.2", "4.2", "too many open sessions; try again later"));
        }
        let mut smdp = TestSmdp::with_keys(self.keys.clone(), address, self.seed());
        smdp.ci = self.ci.clone();
        smdp.sgp22 = self.sgp22;
        if self.check_dates {
            smdp.now = Some(crate::platform::UnixTime(unix_now()));
        }
        let request = smdp.initiate_authentication_for(challenge, None, Some(&info1));
        let parts = children(&request).unwrap_or_default();
        let [signed1, signature1, ci_pkid, cert, ..] = parts.as_slice() else {
            return Err(Es9Error::new("1.2", "4.2", "could not build serverSigned1"));
        };
        let server_signed1: ServerSigned1 = der("serverSigned1", signed1)?;
        let tid = hex(smdp.transaction_id());
        let mut out = Map::new();
        out.insert("transactionId".into(), tid.clone().into());
        out.insert("serverSigned1".into(), b64(signed1));
        out.insert("serverSignature1".into(), b64(signature1));
        out.insert("euiccCiPKIdToBeUsed".into(), b64(ci_pkid));
        out.insert("serverCertificate".into(), b64(cert));
        extra.insert("transactionId".into(), tid.clone().into());
        extra.insert("smdpAddress".into(), address.into());
        let session = Session {
            smdp,
            stage: Stage::Initiated,
            deadline: now + self.limits.session_timeout,
            server_challenge: *server_signed1.server_challenge,
            profile: None,
            confirmation_code: None,
            euicc_key: None,
        };
        let mut sessions = lock(&self.sessions);
        if sessions.contains_key(&tid) {
            return Err(Es9Error::new("1.2", "4.2", "transaction id collision"));
        }
        sessions.insert(tid, session);
        Ok(out)
    }

    fn authenticate_client(&self, f: &Fields, extra: &mut Map<String, Value>) -> Result<Map<String, Value>, Es9Error> {
        let tid = f.tid()?;
        let response = f.b64("authenticateServerResponse")?;
        // A malformed request leaves the session as it was: only its rightful LPA ends it.
        der::<crate::asn1::download::AuthenticateServerResponse>("authenticateServerResponse", &response)?;
        let mut s = self.take(&tid, Stage::Initiated, "authenticateClient")?;
        // A failed authentication ends the session (the SM-DP+ terminates it).
        let out = self.authenticate_client_in(&tid, &mut s, &response, extra)?;
        s.euicc_key = s.smdp.euicc_key();
        s.stage = if out.contains_key("smdpSigned3") { Stage::Rpm } else { Stage::Authenticated };
        self.put(tid, s);
        Ok(out)
    }

    fn authenticate_client_in(
        &self,
        tid: &str,
        s: &mut Session,
        response: &[u8],
        extra: &mut Map<String, Value>,
    ) -> Result<Map<String, Value>, Es9Error> {
        use crate::asn1::download::{AuthenticateServerResponse, AuthenticateServerResult};
        let resp: AuthenticateServerResponse = der("authenticateServerResponse", response)?;
        let ok = match resp.0 {
            AuthenticateServerResult::Ok(ok) => ok,
            AuthenticateServerResult::Error(e) => {
                return Err(Es9Error::new(
                    "8.1",
                    "4.2",
                    format!("the eUICC answered authenticateResponseError {}", e.authenticate_error_code),
                )
                .on("authenticateServerResponse"));
            }
        };
        let signed1: EuiccSigned1 = der("euiccSigned1", ok.euicc_signed1.as_bytes())?;
        if hex(&signed1.transaction_id) != tid {
            return Err(
                Es9Error::new("8.10.1", "3.9", "euiccSigned1 carries another transactionId").on("transactionId")
            );
        }
        if *signed1.server_challenge != s.server_challenge {
            return Err(Es9Error::verification("eUICC signature is invalid or serverChallenge is invalid"));
        }
        let matching_id = matching_id(signed1.ctx_params1.as_bytes());
        let entry = self.catalogue.find(matching_id.as_deref().unwrap_or("")).ok_or_else(|| {
            Es9Error::new("8.2.6", "3.8", format!("MatchingID {:?} is refused", matching_id.as_deref().unwrap_or("")))
                .on("matchingId")
        })?;
        extra.insert("matchingId".into(), matching_id.clone().unwrap_or_default().into());
        s.smdp.require_cc = entry.confirmation_code.is_some();
        let refused = |e: String| {
            if e.starts_with("CERT.EUM") {
                Es9Error::new("8.1.2", "6.1", e)
            } else if e.starts_with("CERT.EUICC") {
                Es9Error::new("8.1.3", "6.1", e)
            } else {
                Es9Error::verification(e)
            }
        };
        if let Some(commands) = &entry.rpm {
            let ok = s.smdp.authenticate_client_ok_rpm(response, commands).map_err(refused)?;
            let signed3 = rasn::der::encode(&ok.smdp_signed3)
                .map_err(|e| Es9Error::new("1.2", "4.2", format!("smdpSigned3: {e}")))?;
            let mut out = Map::new();
            out.insert("transactionId".into(), tid.into());
            out.insert("smdpSigned3".into(), b64(&signed3));
            out.insert("smdpSignature3".into(), b64(&crate::asn1::tlv::tlv(&[0x5F, 0x37], &ok.smdp_signature3)));
            extra.insert("rpmCommands".into(), commands.len().into());
            return Ok(out);
        }
        let prepare = s.smdp.authenticate_client(response).map_err(refused)?;
        let parts = children(&prepare).unwrap_or_default();
        let [signed2, signature2, cert] = parts.as_slice() else {
            return Err(Es9Error::new("1.2", "4.2", "could not build smdpSigned2"));
        };
        let mut profile = entry.profile.clone();
        if profile.metadata.notification_configuration_info.is_none() && entry.notify != 0 {
            profile.metadata.notification_configuration_info = Some(notification_config(entry.notify, &s.smdp.address));
        }
        s.smdp.notify = 0;
        let metadata = rasn::der::encode(&profile.metadata)
            .map_err(|e| Es9Error::new("1.2", "4.2", format!("profile metadata: {e}")))?;
        s.profile = Some(profile);
        s.confirmation_code = entry.confirmation_code.clone();
        let mut out = Map::new();
        out.insert("transactionId".into(), tid.into());
        out.insert("profileMetadata".into(), b64(&metadata));
        out.insert("smdpSigned2".into(), b64(signed2));
        out.insert("smdpSignature2".into(), b64(signature2));
        out.insert("smdpCertificate".into(), b64(cert));
        Ok(out)
    }

    /// handleNotification of an RPM package's signed result (`A1`, PendingNotification's
    /// loadRpmPackageResultSigned): checked with the session's CERT.EUICC key; the session ends.
    fn handle_rpm_result(&self, pending: &[u8], extra: &mut Map<String, Value>) -> Result<(), Es9Error> {
        let mut plain = pending.to_vec();
        if let Some(b) = plain.first_mut() {
            *b = 0x30;
        }
        let signed: crate::asn1::rpm::LoadRpmPackageResultSigned = der("pendingNotification", &plain)?;
        let tid = hex(&signed.load_rpm_package_result_data_signed.transaction_id);
        extra.insert("transactionId".into(), tid.clone().into());
        extra.insert("notification".into(), "loadRpmPackageResult".into());
        let s = self.take(&tid, Stage::Rpm, "handleNotification(loadRpmPackageResult)")?;
        let data = match s.smdp.handle_rpm_result(pending) {
            Ok(data) => data,
            Err(e) => {
                // A forged result does not end the session its rightful card is finishing.
                self.put(tid, s);
                return Err(Es9Error::verification(e).on("euiccSignRPR"));
            }
        };
        let seq = u64::try_from(&data.notification_metadata.seq_number).unwrap_or(0);
        extra.insert("seqNumber".into(), seq.into());
        extra.insert("verified".into(), true.into());
        let outcome = match &data.final_result {
            crate::asn1::rpm::RpmFinalResult::RpmPackageExecutionResult(r) => format!("executed: {} results", r.len()),
            crate::asn1::rpm::RpmFinalResult::LoadRpmPackageErrorCodeSigned(c) => format!("error {c}"),
        };
        extra.insert("result".into(), outcome.into());
        Ok(())
    }

    fn get_bound_profile_package(
        &self,
        f: &Fields,
        extra: &mut Map<String, Value>,
    ) -> Result<Map<String, Value>, Es9Error> {
        let tid = f.tid()?;
        let response = f.b64("prepareDownloadResponse")?;
        // A malformed request leaves the session as it was: only its rightful LPA ends it.
        let resp: PrepareDownloadResponse = der("prepareDownloadResponse", &response)?;
        let mut s = self.take(&tid, Stage::Authenticated, "getBoundProfilePackage")?;
        let ok = match resp.0 {
            PrepareDownloadResult::Ok(ok) => ok,
            PrepareDownloadResult::Error(e) => {
                return Err(Es9Error::new(
                    "8.1",
                    "4.2",
                    format!("the eUICC answered downloadResponseError {}", e.download_error_code),
                )
                .on("prepareDownloadResponse"));
            }
        };
        let signed2: EuiccSigned2 = der("euiccSigned2", ok.euicc_signed2.as_bytes())?;
        if hex(&signed2.transaction_id) != tid {
            return Err(
                Es9Error::new("8.10.1", "3.9", "euiccSigned2 carries another transactionId").on("transactionId")
            );
        }
        if let Some(cc) = &s.confirmation_code {
            let Some(hash_cc) = &signed2.hash_cc else {
                return Err(Es9Error::new("8.2.7", "2.2", "Confirmation Code is missing").on("hashCc"));
            };
            let inner = crate::crypto::RUST_CRYPTO.sha256(&[cc.as_bytes()]);
            let want = crate::crypto::RUST_CRYPTO.sha256(&[&inner, &signed2.transaction_id]);
            if !bool::from(subtle::ConstantTimeEq::ct_eq(hash_cc.as_ref(), want.as_slice())) {
                return Err(Es9Error::new("8.2.7", "3.8", "Confirmation Code is refused").on("hashCc"));
            }
        }
        let profile = s.profile.clone().ok_or_else(|| Es9Error::new("1.2", "4.2", "no profile chosen"))?;
        let bpp = s.smdp.get_bound_profile_package(&response, &profile).map_err(Es9Error::verification)?;
        let iccid = iccid_text(&profile.metadata.iccid);
        extra.insert("iccid".into(), iccid.into());
        s.stage = Stage::Bound;
        self.put(tid.clone(), s);
        let mut out = Map::new();
        out.insert("transactionId".into(), tid.into());
        out.insert("boundProfilePackage".into(), b64(&bpp.der()));
        Ok(out)
    }

    fn handle_notification(&self, f: &Fields, extra: &mut Map<String, Value>) -> Result<(), Es9Error> {
        let pending = f.b64("pendingNotification")?;
        if pending.first() == Some(&0xA1) {
            return self.handle_rpm_result(&pending, extra);
        }
        if pending.first() == Some(&0xBF) {
            let pir: ProfileInstallationResult = der("pendingNotification", &pending)?;
            let data: ProfileInstallationResultData =
                der("profileInstallationResultData", pir.profile_installation_result_data.as_bytes())?;
            let tid = hex(&data.transaction_id);
            extra.insert("transactionId".into(), tid.clone().into());
            extra.insert("notification".into(), "profileInstallationResult".into());
            let s = self.take(&tid, Stage::Bound, "handleNotification(PIR)")?;
            let key = s.euicc_key;
            let data_bytes = pir.profile_installation_result_data.as_bytes();
            if !key.is_some_and(|k| crate::crypto::RUST_CRYPTO.verify(&k, data_bytes, &pir.euicc_sign_pir)) {
                // A forged PIR does not end the session its rightful card is finishing.
                self.put(tid, s);
                return Err(Es9Error::verification("euiccSignPIR does not verify").on("euiccSignPIR"));
            }
            let seq = u64::try_from(&data.notification_metadata.seq_number).unwrap_or(0);
            extra.insert("seqNumber".into(), seq.into());
            extra.insert("verified".into(), true.into());
            let outcome = match &data.final_result {
                crate::asn1::download::FinalResult::Success(_) => "success".to_string(),
                crate::asn1::download::FinalResult::Error(e) => {
                    format!("error: bppCommandId {}, errorReason {}", e.bpp_command_id, e.error_reason)
                }
            };
            extra.insert("result".into(), outcome.into());
            if let Some(iccid) = &data.notification_metadata.iccid {
                extra.insert("iccid".into(), iccid_text(iccid).into());
            }
            return Ok(());
        }
        // OtherSignedNotification ::= SEQUENCE { BF2F tbs, 5F37 signature, CERT.EUICC, CERT.EUM }
        let tbs = match children(&pending).as_deref() {
            Some([tbs, _, _, _]) if pending.first() == Some(&0x30) => *tbs,
            _ => {
                return Err(Es9Error::format(
                    "pendingNotification",
                    "neither a ProfileInstallationResult (BF37) nor an OtherSignedNotification (30)",
                ));
            }
        };
        let meta: crate::asn1::download::NotificationMetadata = der("notificationMetadata", tbs)?;
        let digest = crate::crypto::RUST_CRYPTO.sha256(&[&pending]);
        if lock(&self.seen).0.contains(&digest) {
            return Err(Es9Error::new("1.6", "3.3", "this notification was already handled (a replay)")
                .on("pendingNotification"));
        }
        // OtherSignedNotification: no session; the signature chains to our CI.
        let mut checker = TestSmdp::with_keys(self.keys.clone(), self.address.as_deref().unwrap_or(""), 0);
        checker.ci = self.ci.clone();
        let seq =
            checker.handle_notification(&pending).map_err(|e| Es9Error::verification(e).on("pendingNotification"))?;
        extra.insert("notification".into(), "otherSignedNotification".into());
        extra.insert("seqNumber".into(), seq.into());
        extra.insert("verified".into(), true.into());
        {
            // The SGP.22 events by their short names; veuicc's mirror events (bits 24 … 29) by theirs.
            let op = (0..meta.profile_management_operation.len())
                .find(|&i| meta.profile_management_operation.get(i).is_some_and(|b| *b))
                .and_then(crate::store::NotificationEvent::from_bit);
            let name = match op {
                Some(crate::store::NotificationEvent::Install) => "install",
                Some(crate::store::NotificationEvent::Enable) => "enable",
                Some(crate::store::NotificationEvent::Disable) => "disable",
                Some(crate::store::NotificationEvent::Delete) => "delete",
                Some(e) => e.name(),
                None => "?",
            };
            extra.insert("operation".into(), name.into());
            if let Some(iccid) = &meta.iccid {
                extra.insert("iccid".into(), iccid_text(iccid).into());
            }
        }
        let mut seen = lock(&self.seen);
        if seen.0.insert(digest) {
            seen.1.push_back(digest);
        }
        while seen.1.len() > SEEN_NOTIFICATIONS {
            if let Some(old) = seen.1.pop_front() {
                seen.0.remove(&old);
            }
        }
        Ok(())
    }

    fn cancel_session(&self, f: &Fields, extra: &mut Map<String, Value>) -> Result<(), Es9Error> {
        let tid = f.tid()?;
        let response = f.b64("cancelSessionResponse")?;
        let resp: CancelSessionResponse = der("cancelSessionResponse", &response)?;
        let mut sessions = lock(&self.sessions);
        let s = sessions.get(&tid).ok_or_else(Es9Error::unknown_transaction)?;
        match &resp.0 {
            CancelSessionResult::Ok(ok) => {
                let signed: EuiccCancelSessionSigned =
                    der("euiccCancelSessionSigned", ok.euicc_cancel_session_signed.as_bytes())?;
                if hex(&signed.transaction_id) != tid {
                    return Err(Es9Error::new(
                        "8.10.1",
                        "3.9",
                        "euiccCancelSessionSigned carries another transactionId",
                    )
                    .on("transactionId"));
                }
                // Before authenticateClient the SM-DP+ has no CERT.EUICC to verify with.
                if let Some(key) = s.smdp.euicc_key() {
                    let signed_bytes = ok.euicc_cancel_session_signed.as_bytes();
                    if !crate::crypto::RUST_CRYPTO.verify(&key, signed_bytes, &ok.euicc_cancel_session_signature) {
                        return Err(Es9Error::verification("euiccCancelSessionSignature does not verify"));
                    }
                    extra.insert("verified".into(), true.into());
                }
                extra.insert("reason".into(), signed.reason.to_string().into());
            }
            CancelSessionResult::Error(code) => {
                extra.insert("cardError".into(), code.to_string().into());
            }
        }
        sessions.remove(&tid);
        Ok(())
    }
}

/// The matchingId in a ctxParams1 (`A0 { [80 matchingId] … }`), if there is one.
fn matching_id(ctx_params1: &[u8]) -> Option<String> {
    let parts = children(ctx_params1)?;
    let first = parts.first()?;
    let (tag, value) = crate::asn1::tlv::split_tlv(first)?;
    (tag == 0x80).then(|| String::from_utf8_lossy(value).into_owned())
}

/// Shares one server between threads.
pub type Shared = Arc<Es9Server>;
