//! A conformance suite: the project's card checks, run against *any* card over a
//! [`Transport`] (a veuicc card in process, a reader through PC/SC), each with an id, a
//! title and the clause it checks, and a pass/fail/skip [`Outcome`].
//!
//! The checks look at structure, never at one card's bytes: a physical card has another EID,
//! other CIs, other profiles. Without [`Options::allow_changes`] nothing the card keeps is
//! changed: only reads, and the error answers of functions that change nothing when they fail
//! (Enable/Disable/Delete of an ICCID the card does not hold, AuthenticateServer with garbage,
//! CancelSession with no session). With it, a profile is downloaded from the test SM-DP+
//! ([`super::smdp::TestSmdp`], the embedded test PKI), enabled, disabled, nicknamed and
//! deleted, and its notifications are listed and removed; only on a card that trusts the test
//! CI (EUICCInfo1's CI key id lists), and a profile enabled before is enabled again.
//!
//! The card may answer anything: every answer is checked before it is used, and an answer
//! that is not what the clause says is a failed check naming the command, what was expected
//! and what came back.

use super::client::{Es10Client, Transport, split_sw};
use super::smdp::{ProfileToInstall, TestSmdp};
use crate::apdu::Cla;
use crate::asn1::download::{
    AuthenticateServerRequest, AuthenticateServerResponse, AuthenticateServerResult, CancelSessionRequest,
    CancelSessionResponse, CancelSessionResult, NotificationMetadata,
};
use crate::asn1::rsp::{
    DeleteProfileRequest, DeleteProfileResponse, DisableProfileRequest, DisableProfileResponse, EnableProfileRequest,
    EnableProfileResponse, EuiccConfiguredAddressesRequest, EuiccConfiguredAddressesResponse, EuiccInfo1, EuiccInfo2,
    GetEuiccChallengeRequest, GetEuiccChallengeResponse, GetEuiccDataRequest, GetEuiccDataResponse,
    GetEuiccInfo1Request, GetEuiccInfo2Request, GetRatRequest, GetRatResponse, ListNotificationRequest,
    ListNotificationResponse, ListNotificationResult, NotificationSentRequest, NotificationSentResponse,
    ProfileIdentifier, ProfileInfo, ProfileInfoListRequest, ProfileInfoListResponse, ProfileInfoListResult,
    SetNicknameRequest, SetNicknameResponse,
};
use crate::card::ISD_R_AID;
use crate::config::Eid;
use core::fmt::{self, Write as _};
use rasn::types::Integer;
use std::string::{String, ToString};
use std::vec::Vec;

/// What one check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The card did what the clause says.
    Pass,
    /// It did not.
    Fail(Failure),
    /// Not run, and why (`card does not trust the test CI`).
    Skip(String),
}

/// A failed check: the command, what the clause expects, what the card answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The command (an APDU in hex, or an ES10 function and its DER).
    pub command: String,
    /// What was expected.
    pub expected: String,
    /// What came back.
    pub got: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "command {}: expected {}, got {}", self.command, self.expected, self.got)
    }
}

/// One check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// A stable id (`iso.select.unknown-aid`, `es10.get-eid`, `change.download`, …).
    pub id: &'static str,
    /// One line saying what is checked.
    pub title: &'static str,
    /// The clause (`ISO 7816-4 §11.1.1`, `SGP.22 v2.5 §5.7.20`).
    pub reference: &'static str,
    /// The outcome.
    pub outcome: Outcome,
}

impl Check {
    /// `pass`, `fail` or `skip`.
    pub fn result(&self) -> &'static str {
        match self.outcome {
            Outcome::Pass => "pass",
            Outcome::Fail(_) => "fail",
            Outcome::Skip(_) => "skip",
        }
    }

    /// The failure (`command …: expected …, got …`), or why the check was skipped
    /// (`skipped: …`); `None` for a pass.
    pub fn detail(&self) -> Option<String> {
        match &self.outcome {
            Outcome::Pass => None,
            Outcome::Fail(f) => Some(f.to_string()),
            Outcome::Skip(why) => Some(std::format!("skipped: {why}")),
        }
    }
}

/// Every check of one run, in the order they ran.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The checks.
    pub checks: Vec<Check>,
}

impl Report {
    fn count(&self, result: &str) -> usize {
        self.checks.iter().filter(|c| c.result() == result).count()
    }

    /// How many passed.
    pub fn passed(&self) -> usize {
        self.count("pass")
    }

    /// How many failed.
    pub fn failed(&self) -> usize {
        self.count("fail")
    }

    /// How many were skipped.
    pub fn skipped(&self) -> usize {
        self.count("skip")
    }

    /// The check with this id.
    pub fn get(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// The summary line: `31 checks: 30 passed, 1 failed, 0 skipped`.
    pub fn summary(&self) -> String {
        std::format!(
            "{} checks: {} passed, {} failed, {} skipped",
            self.checks.len(),
            self.passed(),
            self.failed(),
            self.skipped()
        )
    }

    /// A table (id, result, reference; the detail of a failure or a skip on the next line)
    /// and the summary line.
    pub fn table(&self) -> String {
        let id_w = self.checks.iter().map(|c| c.id.len()).max().unwrap_or(2).max(2);
        let mut out = String::new();
        let _ = writeln!(out, "{:id_w$}  {:6}  reference", "id", "result");
        for c in &self.checks {
            let _ = writeln!(out, "{:id_w$}  {:6}  {}", c.id, c.result(), c.reference);
            if let Some(detail) = c.detail() {
                let _ = writeln!(out, "{:id_w$}    {}", "", detail);
            }
        }
        out.push_str(&self.summary());
        out
    }

    /// `{"checks": [{"id", "title", "reference", "result", "detail"}…], "passed", "failed", "skipped"}`;
    /// `detail` is `null` for a pass.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"checks\":[");
        for (i, c) in self.checks.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let detail = c.detail().map_or_else(|| "null".to_string(), |d| json_str(&d));
            let _ = write!(
                out,
                "{{\"id\":{},\"title\":{},\"reference\":{},\"result\":{},\"detail\":{}}}",
                json_str(c.id),
                json_str(c.title),
                json_str(c.reference),
                json_str(c.result()),
                detail
            );
        }
        let _ =
            write!(out, "],\"passed\":{},\"failed\":{},\"skipped\":{}}}", self.passed(), self.failed(), self.skipped());
        out
    }
}

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// How to run the suite.
#[derive(Debug, Clone)]
pub struct Options {
    /// The AID the card's ISD-R is selected by.
    pub isd_r_aid: Vec<u8>,
    /// Also run the checks that change the card (download, enable, disable, nickname,
    /// delete, notifications).
    pub allow_changes: bool,
    /// Seed of the test SM-DP+'s randomness (transaction ids, keys).
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options { isd_r_aid: ISD_R_AID.to_vec(), allow_changes: false, seed: 1 }
    }
}

/// Runs the suite against the card behind `transport`.
pub fn run<T: Transport>(transport: T, options: &Options) -> Report {
    let mut suite =
        Suite { t: transport, opts: options.clone(), report: Report::default(), channel: None, info1: None };
    suite.iso_checks();
    suite.es10_checks();
    if options.allow_changes {
        suite.changes();
    }
    suite.close_channel();
    suite.report
}

// ---------------------------------------------------------------- the checks' ids

/// A check's id, title and reference.
struct Meta(&'static str, &'static str, &'static str);

const OPEN: Meta = Meta(
    "iso.manage-channel.open",
    "MANAGE CHANNEL open answers one byte: a free channel 1-19",
    "ISO 7816-4 §11.1.2; ETSI TS 102 221 §8.4",
);
const SELECT_LOGICAL: Meta = Meta(
    "iso.select.isd-r.logical",
    "SELECT ISD-R by AID on the logical channel answers 9000 or 61xx",
    "ISO 7816-4 §11.1.1; SGP.22 v2.5 §2.2.3",
);
const SELECT_BASIC: Meta = Meta(
    "iso.select.isd-r.basic",
    "SELECT ISD-R by AID on the basic channel answers 9000 or 61xx",
    "ISO 7816-4 §11.1.1; SGP.22 v2.5 §2.2.3",
);
const FCI: Meta = Meta(
    "iso.select.fci",
    "the SELECT answer is an FCI: 6F { 84 the ISD-R AID, A5 proprietary data }",
    "ISO 7816-4 §11.1.1 (SELECT response); GP CS §11.9 (SELECT)",
);
const UNKNOWN_AID: Meta =
    Meta("iso.select.unknown-aid", "SELECT by an AID no application has answers 6A82", "ISO 7816-4 §11.1.1, §5.6");
const CHAINING: Meta = Meta(
    "iso.get-response.chaining",
    "an answer to a command without Le comes behind 61xx; GET RESPONSE in pieces gives it whole, 61xx counting what is left",
    "ISO 7816-4 §5.6 (61xx), GET RESPONSE; SGP.22 v2.5 §5.7.2 (STORE DATA)",
);
const NOTHING_PENDING: Meta = Meta(
    "iso.get-response.nothing-pending",
    "GET RESPONSE with nothing pending is refused (an error status word, e.g. 6985)",
    "ISO 7816-4 §5.6, GET RESPONSE",
);
const WRONG_CLA: Meta = Meta(
    "iso.cla.invalid",
    "a command with CLA FF answers 6E00",
    "ISO 7816-4 §5.4.1 (class byte), §5.6 (status bytes)",
);
const WRONG_INS: Meta =
    Meta("iso.ins.unknown", "an unknown INS to the ISD-R (80 02) answers 6D00", "ISO 7816-4 §5.6 (status bytes)");
const WRONG_P1P2: Meta =
    Meta("iso.p1p2.wrong", "MANAGE CHANNEL with P1 40 answers 6A86 (or 6B00)", "ISO 7816-4 §11.1.2, §5.6");
const WRONG_LC: Meta = Meta(
    "iso.lc.wrong",
    "SELECT whose Lc is longer than its data answers 6700",
    "ISO 7816-4 §5.1 (command APDU), §5.6 (status bytes)",
);
const UNEXPECTED_DATA: Meta =
    Meta("iso.lc.unexpected-data", "MANAGE CHANNEL open with a data field answers 6700", "ISO 7816-4 §11.1.2, §5.6");
const CLOSE: Meta = Meta(
    "iso.manage-channel.close",
    "MANAGE CHANNEL close answers 9000; the closed channel then refuses commands",
    "ISO 7816-4 §11.1.2, §5.6",
);

const GET_EID: Meta =
    Meta("es10.get-eid", "GetEID answers BF3E { 5A EID }: 32 digits, check digits valid", "SGP.22 v2.5 §5.7.20");
const INFO1: Meta =
    Meta("es10.euicc-info1", "GetEUICCInfo1 decodes, with an SVN and non-empty CI key id lists", "SGP.22 v2.5 §5.7.8");
const INFO2: Meta =
    Meta("es10.euicc-info2", "GetEUICCInfo2 decodes; its SVN and CI lists are EUICCInfo1's", "SGP.22 v2.5 §5.7.8");
const CHALLENGE: Meta =
    Meta("es10.euicc-challenge", "GetEUICCChallenge answers 16 bytes, fresh each time", "SGP.22 v2.5 §5.7.7");
const RAT: Meta = Meta("es10.get-rat", "GetRAT answers a Rules Authorisation Table", "SGP.22 v2.5 §5.7.22");
const ADDRESSES: Meta = Meta(
    "es10.configured-addresses",
    "GetEuiccConfiguredAddresses answers BF3C { 80 default SM-DP+?, 81 root SM-DS }",
    "SGP.22 v2.5 §5.7.3",
);
const PROFILES: Meta = Meta(
    "es10.profiles-info",
    "GetProfilesInfo answers a list; each profile has a 10-byte ICCID and a state (0 or 1)",
    "SGP.22 v2.5 §5.7.15",
);
const LIST_NOTIFICATIONS: Meta = Meta(
    "es10.list-notification",
    "ListNotification answers a list of metadata, each with one operation bit",
    "SGP.22 v2.5 §5.7.9",
);
const MALFORMED: Meta = Meta(
    "es10.malformed-der",
    "STORE DATA of malformed DER (a length past the end) answers 6A80",
    "SGP.22 v2.5 §5.7.2; ISO 7816-4 §5.6",
);
const UNKNOWN_TAG: Meta = Meta(
    "es10.unknown-tag",
    "an ES10 request with an unknown tag (BF7F) is refused with an error status word",
    "SGP.22 v2.5 §5.7.2; ISO 7816-4 §5.6",
);
const RPM_NO_SESSION: Meta = Meta(
    "es10.rpm.no-session",
    "LoadRpmPackage (BF44) outside an RPM session: a card announcing rpmSupport answers \
     loadRpmPackageResultNotSigned noSession(4) with the request's transactionId; another card \
     refuses the tag it does not know with an error status word",
    "SGP.22 v3.0 ES10b.LoadRpmPackage, EuiccRspCapability rpmSupport(2); SGP.22 v2.5 §5.7.2",
);
const CANCEL_NO_SESSION: Meta = Meta(
    "es10.cancel-session.no-session",
    "CancelSession of a transaction that is not under way answers invalidTransactionId(5)",
    "SGP.22 v2.5 §5.7.14",
);
const AUTH_CI_UNKNOWN: Meta = Meta(
    "es10.authenticate-server.ci-unknown",
    "AuthenticateServer naming a CI the card does not know answers ciPKUnknown(7)",
    "SGP.22 v2.5 §5.7.13",
);
const AUTH_BAD_CERT: Meta = Meta(
    "es10.authenticate-server.bad-certificate",
    "AuthenticateServer with a garbage serverCertificate answers invalidCertificate(1)",
    "SGP.22 v2.5 §5.7.13",
);
const ENABLE_NOT_FOUND: Meta = Meta(
    "es10.enable.not-found",
    "EnableProfile of an ICCID the card does not hold answers iccidOrAidNotFound(1)",
    "SGP.22 v2.5 §5.7.16",
);
const DISABLE_NOT_FOUND: Meta = Meta(
    "es10.disable.not-found",
    "DisableProfile of an ICCID the card does not hold answers iccidOrAidNotFound(1)",
    "SGP.22 v2.5 §5.7.17",
);
const DELETE_NOT_FOUND: Meta = Meta(
    "es10.delete.not-found",
    "DeleteProfile of an ICCID the card does not hold answers iccidOrAidNotFound(1)",
    "SGP.22 v2.5 §5.7.18",
);
const NICKNAME_NOT_FOUND: Meta = Meta(
    "es10.nickname.not-found",
    "SetNickname of an ICCID the card does not hold answers iccidNotFound(1)",
    "SGP.22 v2.5 §5.7.21",
);
const REMOVE_NOT_FOUND: Meta = Meta(
    "es10.remove-notification.not-found",
    "RemoveNotificationFromList of a sequence number not listed answers nothingToDelete(1)",
    "SGP.22 v2.5 §5.7.11",
);

const DOWNLOAD: Meta = Meta(
    "change.download",
    "a profile downloads from the test SM-DP+: authentication, key agreement, BPP, PIR successResult",
    "SGP.22 v2.5 §3.1.3, §5.7.13, §5.7.5, §5.7.6",
);
const LISTED: Meta = Meta(
    "change.listed",
    "the downloaded profile is listed, disabled, with its ICCID and the metadata's names",
    "SGP.22 v2.5 §5.7.15",
);
const ENABLE: Meta =
    Meta("change.enable", "EnableProfile answers ok(0) and the profile is listed enabled", "SGP.22 v2.5 §5.7.16");
const DISABLE: Meta = Meta(
    "change.disable",
    "DisableProfile answers ok(0) and the profile is listed disabled (the profile enabled before is enabled again)",
    "SGP.22 v2.5 §5.7.17",
);
const NICKNAME: Meta =
    Meta("change.nickname", "SetNickname answers ok(0) and the nickname is listed", "SGP.22 v2.5 §5.7.21");
const DELETE: Meta =
    Meta("change.delete", "DeleteProfile answers ok(0) and the profile is no longer listed", "SGP.22 v2.5 §5.7.18");
const NOTIFICATIONS: Meta = Meta(
    "change.notifications",
    "the card queued install, enable, disable and delete notifications for the profile in ascending order; each removes with ok(0)",
    "SGP.22 v2.5 §5.7.9, §5.7.11",
);

/// The change checks, in order.
const CHANGES: [Meta; 7] = [DOWNLOAD, LISTED, ENABLE, DISABLE, NICKNAME, DELETE, NOTIFICATIONS];

// ---------------------------------------------------------------- running them

/// Why a check did not pass.
enum Fail {
    Failed(Failure),
    Skipped(String),
}

impl From<Failure> for Fail {
    fn from(f: Failure) -> Fail {
        Fail::Failed(f)
    }
}

type Step<T = ()> = Result<T, Fail>;

/// An answer, after any `61xx` / GET RESPONSE and `6Cxx` exchanges.
struct Answer {
    /// The command as sent (for the detail of a failure).
    command: String,
    data: Vec<u8>,
    sw: u16,
    /// The status word of the first response (`61xx` when the answer was chained).
    first_sw: u16,
}

impl Answer {
    fn got(&self) -> String {
        got(&self.data, self.sw)
    }

    fn fail(&self, expected: impl Into<String>) -> Failure {
        Failure { command: self.command.clone(), expected: expected.into(), got: self.got() }
    }
}

/// `6A82` or `BF3E…(18 bytes) 9000`.
fn got(data: &[u8], sw: u16) -> String {
    if data.is_empty() { std::format!("{sw:04X}") } else { std::format!("{} {sw:04X}", short_hex(data)) }
}

/// Upper-case hex, cut after 48 bytes with the total length.
fn short_hex(bytes: &[u8]) -> String {
    const MAX: usize = 48;
    let mut s = String::new();
    for b in bytes.iter().take(MAX) {
        let _ = write!(s, "{b:02X}");
    }
    if bytes.len() > MAX {
        let _ = write!(s, "…({} bytes)", bytes.len());
    }
    s
}

fn is_error(sw: u16) -> bool {
    matches!(sw >> 8, 0x64..=0x6B | 0x6D..=0x6F)
}

fn int(i: &Integer) -> i64 {
    i64::try_from(i).unwrap_or(i64::MIN)
}

struct Suite<T> {
    t: T,
    opts: Options,
    report: Report,
    /// The logical channel the ISD-R is selected on.
    channel: Option<u8>,
    info1: Option<EuiccInfo1>,
}

impl<T: Transport> Suite<T> {
    fn record(&mut self, meta: &Meta, outcome: Outcome) {
        let Meta(id, title, reference) = *meta;
        self.report.checks.push(Check { id, title, reference, outcome });
    }

    fn check(&mut self, meta: &Meta, f: impl FnOnce(&mut Self) -> Step) {
        let outcome = match f(self) {
            Ok(()) => Outcome::Pass,
            Err(Fail::Failed(f)) => Outcome::Fail(f),
            Err(Fail::Skipped(why)) => Outcome::Skip(why),
        };
        self.record(meta, outcome);
    }

    /// One exchange, no GET RESPONSE: data and SW, or a failure when there is no SW.
    fn raw(&mut self, apdu: &[u8]) -> Result<(Vec<u8>, u16), Failure> {
        let r = self.t.transmit(apdu);
        match split_sw(&r) {
            Ok((data, sw)) => Ok((data.to_vec(), sw)),
            Err(_) => Err(Failure {
                command: short_hex(apdu),
                expected: "a response with a status word".into(),
                got: match self.t.last_error() {
                    Some(e) => std::format!("no response ({e})"),
                    None => std::format!("{} byte(s): {}", r.len(), short_hex(&r)),
                },
            }),
        }
    }

    /// Sends `apdu`; `61xx` is followed with GET RESPONSE (Le = xx) on the same channel and
    /// `6Cxx` answered by sending the command again with Le = xx, as an LPA does.
    fn send(&mut self, apdu: &[u8]) -> Result<Answer, Failure> {
        let command = short_hex(apdu);
        let (mut data, mut sw) = self.raw(apdu)?;
        if sw >> 8 == 0x6C {
            // The same command with Le = xx: Le replaced (case 2 or 4) or added (case 1 or 3).
            let lc = apdu.get(4).map_or(0, |&l| usize::from(l));
            let mut again = apdu.to_vec();
            if apdu.len() == 5 || apdu.len() == 6 + lc {
                again.pop();
            }
            if apdu.len() == 4 || apdu.len() == 5 || apdu.len() == 5 + lc || apdu.len() == 6 + lc {
                again.push(sw.to_be_bytes()[1]);
                (data, sw) = self.raw(&again)?;
            }
        }
        let first_sw = sw;
        let cla = apdu.first().copied().unwrap_or(0);
        let channel = Cla::parse(cla).map_or(0, |c| c.channel);
        // A bound on the exchanges: a card that answers 61xx for ever fails the check.
        for _ in 0..64 {
            if sw >> 8 != 0x61 {
                return Ok(Answer { command, data, sw, first_sw });
            }
            let get = [Cla::encode(channel, false).unwrap_or(0), 0xC0, 0x00, 0x00, sw.to_be_bytes()[1]];
            let (more, next) = self.raw(&get)?;
            data.extend_from_slice(&more);
            sw = next;
        }
        Err(Failure { command, expected: "the chain of 61xx to end".into(), got: "61xx after 64 GET RESPONSEs".into() })
    }

    fn isdr_channel(&self) -> Step<u8> {
        self.channel.ok_or_else(|| Fail::Skipped("no logical channel with the ISD-R selected".into()))
    }

    /// Sends an ES10 request (DER) in STORE DATA blocks of at most 120 bytes on the ISD-R's
    /// channel; the answer to the last block.
    fn es10(&mut self, name: &str, der: &[u8]) -> Step<Answer> {
        let channel = self.isdr_channel()?;
        let cla = Cla::encode(channel, true).unwrap_or(0x80);
        let blocks: Vec<&[u8]> = der.chunks(120).collect();
        let command = std::format!("{name} (STORE DATA {})", short_hex(der));
        for (i, block) in blocks.iter().enumerate() {
            let last = i + 1 == blocks.len();
            let mut apdu = std::vec![cla, 0xE2, if last { 0x91 } else { 0x11 }, u8::try_from(i).unwrap_or(0xFF)];
            apdu.push(u8::try_from(block.len()).unwrap_or(0xFF));
            apdu.extend_from_slice(block);
            let mut answer = self.send(&apdu).map_err(|mut f| {
                f.command = command.clone();
                f
            })?;
            answer.command = command.clone();
            if last || answer.sw != 0x9000 {
                if !last {
                    return Err(answer.fail(std::format!("9000 to STORE DATA block {i}")).into());
                }
                return Ok(answer);
            }
        }
        Err(Failure { command, expected: "a request".into(), got: "nothing to send".into() }.into())
    }

    /// Sends an ES10 request and decodes the `9000` answer as `R`.
    fn call<Req: rasn::Encode, R: rasn::Decode>(&mut self, name: &str, req: &Req, expected: &str) -> Step<R> {
        let der = rasn::der::encode(req).map_err(|e| Fail::Skipped(std::format!("{name} does not encode: {e}")))?;
        self.call_der(name, &der, expected)
    }

    fn call_der<R: rasn::Decode>(&mut self, name: &str, der: &[u8], expected: &str) -> Step<R> {
        let answer = self.es10(name, der)?;
        if answer.sw != 0x9000 {
            return Err(answer.fail(std::format!("9000 and {expected}")).into());
        }
        rasn::der::decode(&answer.data).map_err(|e| {
            let mut f = answer.fail(expected.to_string());
            f.got = std::format!("{} (does not decode: {e})", f.got);
            f.into()
        })
    }

    fn expect_sw(&mut self, apdu: &[u8], allowed: &[u16]) -> Step {
        let (data, sw) = self.raw(apdu)?;
        if allowed.contains(&sw) && data.is_empty() {
            return Ok(());
        }
        let expected = allowed.iter().map(|sw| std::format!("{sw:04X}")).collect::<Vec<_>>().join(" or ");
        Err(Failure { command: short_hex(apdu), expected, got: got(&data, sw) }.into())
    }

    // ------------------------------------------------------------ ISO 7816-4

    fn select_apdu(channel: u8, aid: &[u8]) -> Vec<u8> {
        let mut apdu = std::vec![Cla::encode(channel, false).unwrap_or(0), 0xA4, 0x04, 0x00];
        apdu.push(u8::try_from(aid.len()).unwrap_or(0xFF));
        apdu.extend_from_slice(aid);
        apdu
    }

    fn iso_checks(&mut self) {
        self.check(&OPEN, |s| {
            let apdu = [0x00, 0x70, 0x00, 0x00, 0x01];
            let (data, sw) = s.raw(&apdu)?;
            match (data.as_slice(), sw) {
                ([ch @ 1..=19], 0x9000) => {
                    s.channel = Some(*ch);
                    Ok(())
                }
                _ => Err(Failure {
                    command: short_hex(&apdu),
                    expected: "one byte 01-13 and 9000".into(),
                    got: got(&data, sw),
                }
                .into()),
            }
        });
        let aid = self.opts.isd_r_aid.clone();
        let mut fci = None;
        self.check(&SELECT_LOGICAL, |s| {
            let channel = s.isdr_channel()?;
            let answer = s.send(&Self::select_apdu(channel, &aid))?;
            let chained = answer.first_sw >> 8 == 0x61 || answer.first_sw == 0x9000;
            if answer.sw != 0x9000 || !chained {
                s.channel = None;
                return Err(answer.fail("9000 or 61xx").into());
            }
            fci = Some(answer);
            Ok(())
        });
        self.check(&SELECT_BASIC, |s| {
            let answer = s.send(&Self::select_apdu(0, &aid))?;
            if answer.sw == 0x9000 && (answer.first_sw >> 8 == 0x61 || answer.first_sw == 0x9000) {
                return Ok(());
            }
            Err(answer.fail("9000 or 61xx").into())
        });
        self.check(&FCI, |_| {
            let answer = fci.ok_or_else(|| Fail::Skipped("the ISD-R was not selected".into()))?;
            check_fci(&answer.data, &aid).map_err(|why| answer.fail(why).into())
        });
        self.check(&UNKNOWN_AID, |s| {
            // A proprietary RID (F0) and "veuicc": no card has an application by it.
            let channel = s.isdr_channel().unwrap_or(0);
            let apdu = Self::select_apdu(channel, &[0xF0, 0x76, 0x65, 0x75, 0x69, 0x63, 0x63, 0x00, 0x01]);
            let result = s.expect_sw(&apdu, &[0x6A82]);
            // The failed SELECT leaves the ISD-R selected (ISO 7816-4 §11.1.1); select it again
            // anyway, in case the card deselected it.
            if let Ok(ch) = s.isdr_channel() {
                let _ = s.send(&Self::select_apdu(ch, &aid));
            }
            result
        });
        self.check(&CHAINING, Self::chaining);
        self.check(&NOTHING_PENDING, |s| {
            let channel = s.isdr_channel()?;
            let apdu = [Cla::encode(channel, false).unwrap_or(0), 0xC0, 0x00, 0x00, 0x10];
            let (data, sw) = s.raw(&apdu)?;
            if is_error(sw) && data.is_empty() {
                return Ok(());
            }
            Err(Failure {
                command: short_hex(&apdu),
                expected: "an error status word (6985)".into(),
                got: got(&data, sw),
            }
            .into())
        });
        self.check(&WRONG_CLA, |s| s.expect_sw(&[0xFF, 0xA4, 0x04, 0x00, 0x00], &[0x6E00]));
        self.check(&WRONG_INS, |s| {
            let channel = s.isdr_channel()?;
            s.expect_sw(&[Cla::encode(channel, true).unwrap_or(0x80), 0x02, 0x00, 0x00, 0x00], &[0x6D00])
        });
        self.check(&WRONG_P1P2, |s| s.expect_sw(&[0x00, 0x70, 0x40, 0x00, 0x01], &[0x6A86, 0x6B00]));
        self.check(&WRONG_LC, |s| s.expect_sw(&[0x00, 0xA4, 0x04, 0x00, 0x10, 0xA0, 0x00], &[0x6700]));
        self.check(&UNEXPECTED_DATA, |s| {
            let apdu = [0x00, 0x70, 0x00, 0x00, 0x01, 0x00];
            let (data, sw) = s.raw(&apdu)?;
            if sw == 0x9000 {
                // It opened a channel after all: close it again.
                if let [ch] = data.as_slice() {
                    let _ = s.raw(&[0x00, 0x70, 0x80, *ch, 0x00]);
                }
            }
            if sw == 0x6700 && data.is_empty() {
                return Ok(());
            }
            Err(Failure { command: short_hex(&apdu), expected: "6700".into(), got: got(&data, sw) }.into())
        });
    }

    /// GetEUICCInfo2 without Le: `61xx`, then GET RESPONSE 16 bytes at a time; each `61xx`
    /// must count the bytes left (`00`: 256 or more), the whole must decode.
    fn chaining(&mut self) -> Step {
        let channel = self.isdr_channel()?;
        let der = [0xBF, 0x22, 0x00];
        let store = [Cla::encode(channel, true).unwrap_or(0x80), 0xE2, 0x91, 0x00, 0x03, 0xBF, 0x22, 0x00];
        let command = std::format!("GetEUICCInfo2 (STORE DATA {}) without Le", short_hex(&der));
        let (data, mut sw) = self.raw(&store)?;
        if sw >> 8 != 0x61 || !data.is_empty() {
            return Err(
                Failure { command, expected: "61xx and no data (no Le was sent)".into(), got: got(&data, sw) }.into()
            );
        }
        let announced = usize::from(sw.to_be_bytes()[1]);
        let mut whole = Vec::new();
        for _ in 0..256 {
            let left = usize::from(sw.to_be_bytes()[1]);
            let le = if left == 0 { 16 } else { left.min(16) };
            let get = [Cla::encode(channel, false).unwrap_or(0), 0xC0, 0x00, 0x00, u8::try_from(le).unwrap_or(16)];
            let (chunk, next) = self.raw(&get)?;
            let fail = |expected: String| Failure {
                command: std::format!("{command}, then GET RESPONSE {}", short_hex(&get)),
                expected,
                got: got(&chunk, next),
            };
            if next != 0x9000 && next >> 8 != 0x61 {
                return Err(fail(std::format!("{le} bytes and 9000 or 61xx")).into());
            }
            if chunk.len() != le {
                return Err(fail(std::format!("{le} bytes (Le) with {left:02X} left")).into());
            }
            whole.extend_from_slice(&chunk);
            let rest = usize::from(next.to_be_bytes()[1]);
            let counted = match next >> 8 {
                // `61xx` counts exactly what is left; `6100` says 256 or more.
                0x61 if left != 0 => rest + le == left,
                0x61 => rest == 0 || rest + le >= 256,
                _ => left == le,
            };
            if !counted {
                return Err(
                    fail(std::format!("61{:02X} or 9000 after {le} of {left} bytes", left.saturating_sub(le))).into()
                );
            }
            sw = next;
            if sw == 0x9000 {
                break;
            }
        }
        if sw != 0x9000 {
            return Err(Failure {
                command,
                expected: "the chain to end".into(),
                got: "61xx after 256 GET RESPONSEs".into(),
            }
            .into());
        }
        if announced != 0 && whole.len() != announced {
            return Err(Failure {
                command,
                expected: std::format!("{announced} bytes in all (61{announced:02X})"),
                got: std::format!("{} bytes", whole.len()),
            }
            .into());
        }
        rasn::der::decode::<EuiccInfo2>(&whole).map(|_| ()).map_err(|e| {
            Failure { command, expected: "EUICCInfo2 (BF22)".into(), got: std::format!("{} ({e})", short_hex(&whole)) }
                .into()
        })
    }

    fn close_channel(&mut self) {
        let Some(channel) = self.channel.take() else {
            return self.record(&CLOSE, Outcome::Skip("no logical channel was opened".into()));
        };
        self.check(&CLOSE, |s| {
            s.expect_sw(&[0x00, 0x70, 0x80, channel, 0x00], &[0x9000])?;
            let store = [Cla::encode(channel, true).unwrap_or(0x80), 0xE2, 0x91, 0x00, 0x03, 0xBF, 0x2E, 0x00];
            let (data, sw) = s.raw(&store)?;
            if is_error(sw) && data.is_empty() {
                return Ok(());
            }
            Err(Failure {
                command: std::format!("{} on the closed channel", short_hex(&store)),
                expected: "an error status word (6881)".into(),
                got: got(&data, sw),
            }
            .into())
        });
    }

    // ------------------------------------------------------------ ES10, nothing changed

    fn profiles(&mut self) -> Step<Vec<ProfileInfo>> {
        let r: ProfileInfoListResponse =
            self.call("GetProfilesInfo", &ProfileInfoListRequest::default(), "ProfileInfoListResponse (BF2D)")?;
        match r.0 {
            ProfileInfoListResult::ProfileInfoListOk(list) => Ok(list),
            ProfileInfoListResult::ProfileInfoListError(code) => Err(Failure {
                command: "GetProfilesInfo (STORE DATA BF2D00)".into(),
                expected: "profileInfoListOk".into(),
                got: std::format!("profileInfoListError {code}"),
            }
            .into()),
        }
    }

    fn notifications(&mut self) -> Step<Vec<NotificationMetadata>> {
        let r: ListNotificationResponse =
            self.call("ListNotification", &ListNotificationRequest::new(None), "ListNotificationResponse (BF28)")?;
        match r.0 {
            ListNotificationResult::NotificationMetadataList(list) => Ok(list),
            ListNotificationResult::ListNotificationsResultError(code) => Err(Failure {
                command: "ListNotification (STORE DATA BF2800)".into(),
                expected: "notificationMetadataList".into(),
                got: std::format!("listNotificationsResultError {code}"),
            }
            .into()),
        }
    }

    /// A fresh GetEUICCChallenge (a session for AuthenticateServer).
    fn challenge(&mut self) -> Step<[u8; 16]> {
        let r: GetEuiccChallengeResponse = self.call(
            "GetEUICCChallenge",
            &GetEuiccChallengeRequest::default(),
            "GetEuiccChallengeResponse (BF2E { 80 16 bytes })",
        )?;
        Ok(*r.euicc_challenge)
    }

    fn es10_checks(&mut self) {
        self.check(&GET_EID, |s| {
            let r: GetEuiccDataResponse = s.call("GetEID", &GetEuiccDataRequest::eid(), "BF3E { 5A 16 bytes }")?;
            Eid::from_bytes(*r.eid_value).map(|_| ()).map_err(|e| {
                Failure {
                    command: "GetEID (STORE DATA BF3E035C015A)".into(),
                    expected: "a valid EID".into(),
                    got: std::format!("{} ({e})", short_hex(r.eid_value.as_slice())),
                }
                .into()
            })
        });
        self.check(&INFO1, |s| {
            let info: EuiccInfo1 = s.call("GetEUICCInfo1", &GetEuiccInfo1Request::default(), "EUICCInfo1 (BF20)")?;
            let fail = |got: String| Failure {
                command: "GetEUICCInfo1 (STORE DATA BF2000)".into(),
                expected: "non-empty euiccCiPKIdListForVerification and …ForSigning".into(),
                got,
            };
            if info.euicc_ci_pkid_list_for_verification.is_empty() || info.euicc_ci_pkid_list_for_signing.is_empty() {
                return Err(fail(std::format!(
                    "{} for verification, {} for signing",
                    info.euicc_ci_pkid_list_for_verification.len(),
                    info.euicc_ci_pkid_list_for_signing.len()
                ))
                .into());
            }
            s.info1 = Some(info);
            Ok(())
        });
        self.check(&INFO2, |s| {
            let info2: EuiccInfo2 = s.call("GetEUICCInfo2", &GetEuiccInfo2Request::default(), "EUICCInfo2 (BF22)")?;
            let info1 = s.info1.clone().ok_or_else(|| Fail::Skipped("EUICCInfo1 did not decode".into()))?;
            let fail = |expected: &str, got: String| Failure {
                command: "GetEUICCInfo2 (STORE DATA BF2200)".into(),
                expected: expected.into(),
                got,
            };
            if info2.svn != info1.svn {
                return Err(fail(
                    &std::format!("svn {} (EUICCInfo1's)", short_hex(info1.svn.as_slice())),
                    std::format!("svn {}", short_hex(info2.svn.as_slice())),
                )
                .into());
            }
            if info2.euicc_ci_pkid_list_for_verification != info1.euicc_ci_pkid_list_for_verification
                || info2.euicc_ci_pkid_list_for_signing != info1.euicc_ci_pkid_list_for_signing
            {
                return Err(fail("EUICCInfo1's CI key id lists", "other lists".into()).into());
            }
            Ok(())
        });
        self.check(&CHALLENGE, |s| {
            let (a, b) = (s.challenge()?, s.challenge()?);
            if a == b {
                return Err(Failure {
                    command: "GetEUICCChallenge (STORE DATA BF2E00), twice".into(),
                    expected: "two different challenges".into(),
                    got: std::format!("{} twice", short_hex(&a)),
                }
                .into());
            }
            Ok(())
        });
        self.check(&RAT, |s| {
            s.call::<_, GetRatResponse>("GetRAT", &GetRatRequest::default(), "GetRatResponse (BF43)").map(|_| ())
        });
        self.check(&ADDRESSES, |s| {
            s.call::<_, EuiccConfiguredAddressesResponse>(
                "GetEuiccConfiguredAddresses",
                &EuiccConfiguredAddressesRequest::default(),
                "EuiccConfiguredAddressesResponse (BF3C)",
            )
            .map(|_| ())
        });
        let mut iccids = Vec::new();
        self.check(&PROFILES, |s| {
            let list = s.profiles()?;
            for p in &list {
                let iccid = p.iccid.as_ref().map(|i| i.to_vec());
                let state = p.profile_state.as_ref().map(int);
                if iccid.is_none() || !matches!(state, Some(0 | 1)) {
                    return Err(Failure {
                        command: "GetProfilesInfo (STORE DATA BF2D00)".into(),
                        expected: "each ProfileInfo with 5A (10 bytes) and 9F70 (0 or 1)".into(),
                        got: std::format!(
                            "iccid {}, state {}",
                            iccid.as_deref().map_or("absent".into(), short_hex),
                            state.map_or("absent".into(), |s| s.to_string())
                        ),
                    }
                    .into());
                }
                iccids.extend(iccid);
            }
            Ok(())
        });
        let mut seqs = Vec::new();
        self.check(&LIST_NOTIFICATIONS, |s| {
            for n in s.notifications()? {
                let bits = n.profile_management_operation.iter().filter(|b| **b).count();
                if bits != 1 {
                    return Err(Failure {
                        command: "ListNotification (STORE DATA BF2800)".into(),
                        expected: "one profileManagementOperation bit per notification".into(),
                        got: std::format!("{bits} bits in notification {}", n.seq_number),
                    }
                    .into());
                }
                seqs.push(int(&n.seq_number));
            }
            Ok(())
        });
        self.check(&MALFORMED, |s| {
            let answer = s.es10("GetEID with a length past the end", &[0xBF, 0x3E, 0x09, 0x5C, 0x01, 0x5A])?;
            if answer.sw == 0x6A80 && answer.data.is_empty() { Ok(()) } else { Err(answer.fail("6A80").into()) }
        });
        self.check(&UNKNOWN_TAG, |s| {
            let answer = s.es10("an unknown ES10 request", &[0xBF, 0x7F, 0x00])?;
            if is_error(answer.sw) && answer.data.is_empty() {
                Ok(())
            } else {
                Err(answer.fail("an error status word (6A88)").into())
            }
        });
        self.check(&RPM_NO_SESSION, |s| {
            use crate::asn1::rpm::{LoadRpmPackageRequest, LoadRpmPackageResult, LoadRpmPackageResultChoice};
            let info2: EuiccInfo2 = s.call("GetEUICCInfo2", &GetEuiccInfo2Request::default(), "EUICCInfo2 (BF22)")?;
            let rpm = crate::asn1::rsp::rsp_capability::RPM_SUPPORT;
            // smdpSigned3 { transactionId 7E…7E, an empty rpmPackage }, a zero signature.
            let tid = [0x7Eu8; 16];
            let mut signed3 = std::vec![0x30, 0x14, 0x80, 0x10];
            signed3.extend_from_slice(&tid);
            signed3.extend_from_slice(&[0xA1, 0x00]);
            let req = LoadRpmPackageRequest::new(signed3, std::vec![0; 64], None);
            if !info2.rsp_capability.get(rpm).is_some_and(|b| *b) {
                let der = rasn::der::encode(&req).map_err(|e| Fail::Skipped(std::format!("{e}")))?;
                let answer = s.es10("LoadRpmPackage on a card without rpmSupport", &der)?;
                return if is_error(answer.sw) && answer.data.is_empty() {
                    Ok(())
                } else {
                    Err(answer.fail("an error status word (6A88): the card does not announce rpmSupport(2)").into())
                };
            }
            let r: LoadRpmPackageResult = s.call("LoadRpmPackage", &req, "LoadRpmPackageResult (BF44)")?;
            match r.0 {
                LoadRpmPackageResultChoice::NotSigned(n)
                    if n.transaction_id.as_ref() == tid && int(&n.load_rpm_package_error_code_not_signed) == 4 =>
                {
                    Ok(())
                }
                other => Err(Failure {
                    command: "LoadRpmPackage (BF44, transactionId 7E…7E, outside a session)".into(),
                    expected: "loadRpmPackageResultNotSigned { transactionId 7E…7E, noSession(4) }".into(),
                    got: std::format!("{other:?}"),
                }
                .into()),
            }
        });
        self.check(&CANCEL_NO_SESSION, |s| {
            let req = CancelSessionRequest::new(std::vec![0x7E; 16], 0);
            let r: CancelSessionResponse = s.call("CancelSession", &req, "CancelSessionResponse (BF41)")?;
            match r.0 {
                CancelSessionResult::Error(code) if int(&code) == 5 => Ok(()),
                other => Err(Failure {
                    command: "CancelSession (BF41, transactionId 7E…7E)".into(),
                    expected: "cancelSessionResponseError invalidTransactionId(5)".into(),
                    got: match other {
                        CancelSessionResult::Error(code) => std::format!("cancelSessionResponseError {code}"),
                        CancelSessionResult::Ok(_) => "cancelSessionResponseOk".into(),
                    },
                }
                .into()),
            }
        });
        self.check(&AUTH_CI_UNKNOWN, |s| s.authenticate_garbage(false));
        self.check(&AUTH_BAD_CERT, |s| s.authenticate_garbage(true));
        let absent = absent_iccid(&iccids);
        let id = || ProfileIdentifier::Iccid(absent.to_vec().into());
        self.check(&ENABLE_NOT_FOUND, |s| {
            let r: EnableProfileResponse =
                s.call("EnableProfile", &EnableProfileRequest::new(id(), false), "EnableProfileResponse (BF31)")?;
            result_is(&r.enable_result, 1, "EnableProfile of an absent ICCID", "enableResult iccidOrAidNotFound(1)")
        });
        self.check(&DISABLE_NOT_FOUND, |s| {
            let r: DisableProfileResponse =
                s.call("DisableProfile", &DisableProfileRequest::new(id(), false), "DisableProfileResponse (BF32)")?;
            result_is(&r.disable_result, 1, "DisableProfile of an absent ICCID", "disableResult iccidOrAidNotFound(1)")
        });
        self.check(&DELETE_NOT_FOUND, |s| {
            let r: DeleteProfileResponse =
                s.call("DeleteProfile", &DeleteProfileRequest(id()), "DeleteProfileResponse (BF33)")?;
            result_is(&r.delete_result, 1, "DeleteProfile of an absent ICCID", "deleteResult iccidOrAidNotFound(1)")
        });
        self.check(&NICKNAME_NOT_FOUND, |s| {
            let req = SetNicknameRequest::new(absent.to_vec(), "veuicc conformance");
            let r: SetNicknameResponse = s.call("SetNickname", &req, "SetNicknameResponse (BF29)")?;
            result_is(&r.set_nickname_result, 1, "SetNickname of an absent ICCID", "setNicknameResult iccidNotFound(1)")
        });
        self.check(&REMOVE_NOT_FOUND, |s| {
            let seq = seqs.iter().copied().max().unwrap_or(0).saturating_add(1000);
            let req = NotificationSentRequest::new(u64::try_from(seq).unwrap_or(1000));
            let r: NotificationSentResponse =
                s.call("RemoveNotificationFromList", &req, "NotificationSentResponse (BF30)")?;
            result_is(
                &r.delete_notification_status,
                1,
                &std::format!("RemoveNotificationFromList of seq {seq}, not listed"),
                "deleteNotificationStatus nothingToDelete(1)",
            )
        });
    }

    /// AuthenticateServer after a fresh challenge, with a well-formed serverSigned1 (the
    /// card's challenge), a garbage signature and certificate (`30 03 02 01 00`), naming a
    /// CI the card lists (`known_ci`: invalidCertificate(1) is the answer) or one of twenty
    /// zero bytes (ciPKUnknown(7)).
    fn authenticate_garbage(&mut self, known_ci: bool) -> Step {
        let ci = if known_ci {
            let info1 = self.info1.as_ref().ok_or_else(|| Fail::Skipped("EUICCInfo1 did not decode".into()))?;
            let ci = info1
                .euicc_ci_pkid_list_for_verification
                .iter()
                .find(|ci| info1.euicc_ci_pkid_list_for_signing.contains(ci));
            ci.ok_or_else(|| Fail::Skipped("EUICCInfo1 lists no CI for both verification and signing".into()))?.to_vec()
        } else {
            std::vec![0; 20]
        };
        let challenge = self.challenge()?;
        let tid = [0x7E, 0x57, 0x00, 0x01];
        let mut signed1 = Vec::new();
        signed1.extend(crate::asn1::tlv::tlv(&[0x80], &tid));
        signed1.extend(crate::asn1::tlv::tlv(&[0x81], &challenge));
        signed1.extend(crate::asn1::tlv::tlv(&[0x83], b"conformance.veuicc.test"));
        signed1.extend(crate::asn1::tlv::tlv(&[0x84], &[0x5A; 16]));
        let signed1 = crate::asn1::tlv::tlv(&[0x30], &signed1);
        let ctx = crate::asn1::tlv::tlv(
            &[0xA0],
            &crate::asn1::tlv::tlv(&[0xA1], &[0x80, 0x04, 0x35, 0x29, 0x06, 0x11, 0xA1, 0x00]),
        );
        let req = AuthenticateServerRequest::new(
            signed1,
            std::vec![0x55; 64],
            ci,
            std::vec![0x30, 0x03, 0x02, 0x01, 0x00],
            ctx,
        );
        let (code, name) = if known_ci { (1, "invalidCertificate(1)") } else { (7, "ciPKUnknown(7)") };
        let r: AuthenticateServerResponse =
            self.call("AuthenticateServer", &req, "AuthenticateServerResponse (BF38)")?;
        let command = std::format!(
            "AuthenticateServer ({}, garbage serverCertificate)",
            if known_ci { "a CI the card lists" } else { "CI 00…00" }
        );
        let expected = std::format!("authenticateResponseError {name} with transactionId {}", short_hex(&tid));
        match r.0 {
            AuthenticateServerResult::Error(e)
                if int(&e.authenticate_error_code) == code && e.transaction_id.as_ref() == tid =>
            {
                Ok(())
            }
            AuthenticateServerResult::Error(e) => Err(Failure {
                command,
                expected,
                got: std::format!(
                    "authenticateResponseError {} with transactionId {}",
                    e.authenticate_error_code,
                    short_hex(&e.transaction_id)
                ),
            }
            .into()),
            AuthenticateServerResult::Ok(_) => {
                Err(Failure { command, expected, got: "authenticateResponseOk".into() }.into())
            }
        }
    }

    // ------------------------------------------------------------ changes

    fn changes(&mut self) {
        let trusted = {
            let ours = super::pki::default_pki().ci_ski();
            match &self.info1 {
                None => Err("EUICCInfo1 did not decode".to_string()),
                Some(i)
                    if i.euicc_ci_pkid_list_for_verification.iter().any(|c| c.as_ref() == ours)
                        && i.euicc_ci_pkid_list_for_signing.iter().any(|c| c.as_ref() == ours) =>
                {
                    Ok(())
                }
                Some(_) => Err("card does not trust the test CI".to_string()),
            }
        };
        if let Err(why) = trusted.and_then(|()| self.isdr_channel().map(|_| ()).map_err(|_| "no ISD-R channel".into()))
        {
            for meta in &CHANGES {
                self.record(meta, Outcome::Skip(why.clone()));
            }
            return;
        }
        let mut changes = Changes::default();
        let downloaded = self.download(&mut changes);
        let ok = downloaded.is_ok();
        self.check(&DOWNLOAD, |_| downloaded);
        if !ok {
            for meta in CHANGES.iter().skip(1) {
                self.record(meta, Outcome::Skip(std::format!("{} failed", DOWNLOAD.0)));
            }
            return;
        }
        self.check(&LISTED, |s| s.listed(&changes));
        let enabled = self.enable(&mut changes);
        let mut lifecycle_ok = enabled.is_ok();
        self.check(&ENABLE, |_| enabled);
        if lifecycle_ok {
            let disabled = self.disable(&mut changes);
            lifecycle_ok = disabled.is_ok();
            self.check(&DISABLE, |_| disabled);
        } else {
            self.record(&DISABLE, Outcome::Skip(std::format!("{} failed", ENABLE.0)));
        }
        self.check(&NICKNAME, |s| s.nickname(&changes));
        let deleted = self.delete(&mut changes);
        let deleted_ok = deleted.is_ok();
        self.check(&DELETE, |_| deleted);
        if lifecycle_ok && deleted_ok {
            self.check(&NOTIFICATIONS, |s| s.remove_notifications(&changes));
        } else {
            let why = std::format!("{} failed", if deleted_ok { "an enable or disable" } else { DELETE.0 });
            self.record(&NOTIFICATIONS, Outcome::Skip(why));
        }
    }

    fn download(&mut self, changes: &mut Changes) -> Step {
        let before = self.profiles()?;
        let iccids: Vec<Vec<u8>> = before.iter().filter_map(|p| p.iccid.as_ref().map(|i| i.to_vec())).collect();
        changes.enabled_before = before
            .iter()
            .filter(|p| p.profile_state.as_ref().map(int) == Some(1))
            .filter_map(|p| p.iccid.as_ref().map(|i| i.to_vec()))
            .collect();
        let iccid = absent_iccid(&iccids);
        let profile = ProfileToInstall::from_package(super::saip::TestProfile::new(iccid).to_der())
            .map_err(|e| Fail::Skipped(std::format!("the test package does not build: {e}")))?;
        let mut smdp = TestSmdp::new(super::pki::default_pki(), "smdp.veuicc.test", self.opts.seed);
        // Notifications for every event, so that the card's queue is checked too.
        smdp.notify = 0b1111;
        let aid = self.opts.isd_r_aid.clone();
        let command = "Download (MANAGE CHANNEL, SELECT ISD-R, GetEUICCChallenge … LoadBoundProfilePackage)";
        let fail = |got: String| Failure { command: command.into(), expected: "a PIR with successResult".into(), got };
        let mut lpa = Es10Client::open_with_aid(&mut self.t, &aid).map_err(|e| fail(std::format!("{e}")))?;
        let result = super::lpa::download(&mut lpa, &mut smdp, &profile);
        let _ = lpa.close();
        let installed = result.map_err(|e| fail(e.to_string()))?;
        changes.installed = Some(iccid);
        changes.isdp_aid = installed.isdp_aid;
        changes.names = (profile.metadata.service_provider_name.to_string(), profile.metadata.profile_name.to_string());
        Ok(())
    }

    /// The profile `iccid` as listed, or `None`.
    fn find(&mut self, iccid: &[u8]) -> Step<Option<ProfileInfo>> {
        Ok(self.profiles()?.into_iter().find(|p| p.iccid.as_ref().is_some_and(|i| i.as_slice() == iccid)))
    }

    fn expect_listed(
        &mut self,
        changes: &Changes,
        after: &str,
        want: impl Fn(&ProfileInfo) -> Result<(), String>,
    ) -> Step {
        let iccid = changes.installed.ok_or_else(|| Fail::Skipped("no profile was installed".into()))?;
        let command = std::format!("GetProfilesInfo after {after}");
        match self.find(&iccid)? {
            None => Err(Failure {
                command,
                expected: std::format!("ICCID {} listed", short_hex(&iccid)),
                got: "not listed".into(),
            }
            .into()),
            Some(p) => want(&p).map_err(|why| {
                let (expected, got) = why.split_once(" / ").unwrap_or((why.as_str(), ""));
                Failure { command, expected: expected.into(), got: got.into() }.into()
            }),
        }
    }

    fn listed(&mut self, changes: &Changes) -> Step {
        let (spn, name) = changes.names.clone();
        let aid = changes.isdp_aid.clone();
        self.expect_listed(changes, "the download", |p| {
            let state = p.profile_state.as_ref().map(int);
            let got_spn = p.service_provider_name.as_deref().unwrap_or_default();
            let got_name = p.profile_name.as_deref().unwrap_or_default();
            let got_aid = p.isdp_aid.as_ref().map(|a| a.to_vec()).unwrap_or_default();
            if state == Some(0) && got_spn == spn && got_name == name && got_aid == aid {
                return Ok(());
            }
            Err(std::format!(
                "disabled (0), ISD-P {}, {spn:?}, {name:?} / state {state:?}, ISD-P {}, {got_spn:?}, {got_name:?}",
                short_hex(&aid),
                short_hex(&got_aid)
            ))
        })
    }

    /// EnableProfile as an LPA sends it: without a port, and — when a card answers
    /// `commandError(7)`, as an SGP.22 v3 MEP-A1 card does for a request that names no eSIM
    /// port — again naming port 1, the first profile port of MEP-A1.
    fn enable_profile(&mut self, iccid: &[u8]) -> Result<EnableProfileResponse, Fail> {
        let id = || ProfileIdentifier::Iccid(iccid.to_vec().into());
        let r: EnableProfileResponse =
            self.call("EnableProfile", &EnableProfileRequest::new(id(), false), "EnableProfileResponse (BF31)")?;
        if int(&r.enable_result) != 7 {
            return Ok(r);
        }
        self.call("EnableProfile", &EnableProfileRequest::on_port(id(), false, 1), "EnableProfileResponse (BF31)")
    }

    fn enable(&mut self, changes: &mut Changes) -> Step {
        let iccid = changes.installed.ok_or_else(|| Fail::Skipped("no profile was installed".into()))?;
        let r = self.enable_profile(&iccid)?;
        result_is(&r.enable_result, 0, "EnableProfile of the downloaded profile", "enableResult ok(0)")?;
        changes.enabled = true;
        self.expect_listed(changes, "EnableProfile", |p| match p.profile_state.as_ref().map(int) {
            Some(1) => Ok(()),
            other => Err(std::format!("state enabled (1) / state {other:?}")),
        })
    }

    fn disable(&mut self, changes: &mut Changes) -> Step {
        let iccid = changes.installed.ok_or_else(|| Fail::Skipped("no profile was installed".into()))?;
        let id = ProfileIdentifier::Iccid(iccid.to_vec().into());
        let r: DisableProfileResponse =
            self.call("DisableProfile", &DisableProfileRequest::new(id, false), "DisableProfileResponse (BF32)")?;
        result_is(&r.disable_result, 0, "DisableProfile of the downloaded profile", "disableResult ok(0)")?;
        changes.enabled = false;
        self.expect_listed(changes, "DisableProfile", |p| match p.profile_state.as_ref().map(int) {
            Some(0) => Ok(()),
            other => Err(std::format!("state disabled (0) / state {other:?}")),
        })?;
        for before in changes.enabled_before.clone() {
            let r = self.enable_profile(&before)?;
            result_is(
                &r.enable_result,
                0,
                &std::format!("EnableProfile of {}, enabled before the checks", short_hex(&before)),
                "enableResult ok(0)",
            )?;
        }
        Ok(())
    }

    fn nickname(&mut self, changes: &Changes) -> Step {
        let iccid = changes.installed.ok_or_else(|| Fail::Skipped("no profile was installed".into()))?;
        let nickname = "veuicc conformance";
        let r: SetNicknameResponse =
            self.call("SetNickname", &SetNicknameRequest::new(iccid.to_vec(), nickname), "SetNicknameResponse (BF29)")?;
        result_is(&r.set_nickname_result, 0, "SetNickname of the downloaded profile", "setNicknameResult ok(0)")?;
        self.expect_listed(changes, "SetNickname", |p| match p.profile_nickname.as_deref() {
            Some(n) if n == nickname => Ok(()),
            other => Err(std::format!("nickname {nickname:?} / nickname {other:?}")),
        })
    }

    fn delete(&mut self, changes: &mut Changes) -> Step {
        let iccid = changes.installed.ok_or_else(|| Fail::Skipped("no profile was installed".into()))?;
        let id = || ProfileIdentifier::Iccid(iccid.to_vec().into());
        // Disabled first if the card lists it enabled (whatever an earlier answer said).
        let listed_enabled = self.find(&iccid)?.is_some_and(|p| p.profile_state.as_ref().map(int) == Some(1));
        if changes.enabled || listed_enabled {
            let _: Result<DisableProfileResponse, _> =
                self.call("DisableProfile", &DisableProfileRequest::new(id(), false), "DisableProfileResponse (BF32)");
        }
        let r: DeleteProfileResponse =
            self.call("DeleteProfile", &DeleteProfileRequest(id()), "DeleteProfileResponse (BF33)")?;
        result_is(&r.delete_result, 0, "DeleteProfile of the downloaded profile", "deleteResult ok(0)")?;
        changes.deleted = true;
        match self.find(&iccid)? {
            None => Ok(()),
            Some(_) => Err(Failure {
                command: "GetProfilesInfo after DeleteProfile".into(),
                expected: std::format!("ICCID {} not listed", short_hex(&iccid)),
                got: "still listed".into(),
            }
            .into()),
        }
    }

    fn remove_notifications(&mut self, changes: &Changes) -> Step {
        let iccid = changes.installed.ok_or_else(|| Fail::Skipped("no profile was installed".into()))?;
        let ours: Vec<NotificationMetadata> = self
            .notifications()?
            .into_iter()
            .filter(|n| n.iccid.as_ref().is_some_and(|i| i.as_ref() == iccid))
            .collect();
        // NotificationEvent bits: install 0, enable 1, disable 2, delete 3; in the order of
        // their sequence numbers, which the card hands out ascending.
        let mut events: Vec<(i64, Option<usize>)> =
            ours.iter().map(|n| (int(&n.seq_number), n.profile_management_operation.iter().position(|b| *b))).collect();
        events.sort_unstable();
        let seqs: Vec<i64> = events.iter().map(|(seq, _)| *seq).collect();
        let order: Vec<Option<usize>> = events.iter().map(|(_, event)| *event).collect();
        if order != [Some(0), Some(1), Some(2), Some(3)] {
            let names: Vec<String> = events
                .iter()
                .map(|(seq, event)| {
                    let name = match event {
                        Some(0) => "install",
                        Some(1) => "enable",
                        Some(2) => "disable",
                        Some(3) => "delete",
                        _ => "other",
                    };
                    std::format!("{seq} {name}")
                })
                .collect();
            return Err(Failure {
                command: "ListNotification after the download, enable, disable and delete".into(),
                expected: "the profile's install, enable, disable and delete notifications, in this order".into(),
                got: if names.is_empty() { "none".into() } else { names.join(", ") },
            }
            .into());
        }
        for seq in &seqs {
            let req = NotificationSentRequest::new(u64::try_from(*seq).unwrap_or(0));
            let r: NotificationSentResponse =
                self.call("RemoveNotificationFromList", &req, "NotificationSentResponse (BF30)")?;
            result_is(
                &r.delete_notification_status,
                0,
                &std::format!("RemoveNotificationFromList of seq {seq}"),
                "deleteNotificationStatus ok(0)",
            )?;
        }
        let left: Vec<i64> =
            self.notifications()?.iter().map(|n| int(&n.seq_number)).filter(|s| seqs.contains(s)).collect();
        if !left.is_empty() {
            return Err(Failure {
                command: "ListNotification after removing them".into(),
                expected: "none of them listed".into(),
                got: std::format!("seqNumbers {left:?} still listed"),
            }
            .into());
        }
        Ok(())
    }
}

/// What the change checks did so far.
#[derive(Debug, Default)]
struct Changes {
    installed: Option<[u8; 10]>,
    isdp_aid: Vec<u8>,
    names: (String, String),
    enabled: bool,
    deleted: bool,
    enabled_before: Vec<Vec<u8>>,
}

fn result_is(result: &Integer, want: i64, command: &str, expected: &str) -> Step {
    if int(result) == want {
        return Ok(());
    }
    Err(Failure { command: command.into(), expected: expected.into(), got: std::format!("result {result}") }.into())
}

/// An ICCID (EF.ICCID bytes) none of `iccids` is: 89000123456789012341, or one like it.
fn absent_iccid(iccids: &[Vec<u8>]) -> [u8; 10] {
    let mut iccid = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14];
    // 23 first: digits 17 and 18 of 89000123456789012341 itself.
    for k in (23u8..100).chain(0..23) {
        if let Some(b) = iccid.get_mut(8) {
            // Digits 17 and 18 (nibble-swapped BCD): k as two decimal digits.
            *b = ((k % 10) << 4) | (k / 10);
        }
        if !iccids.iter().any(|i| i.as_slice() == iccid) {
            break;
        }
    }
    iccid
}

/// `6F { 84 aid, A5 … }`: the FCI of the ISD-R selected by `aid`.
fn check_fci(fci: &[u8], aid: &[u8]) -> Result<(), String> {
    let expected = std::format!("6F {{ 84 {}, A5 … }}", short_hex(aid));
    let (tag, body, rest) = tlv_split(fci).ok_or_else(|| std::format!("{expected} (a TLV)"))?;
    if tag != 0x6F || !rest.is_empty() {
        return Err(std::format!("{expected} (one 6F TLV)"));
    }
    let mut found_aid = None;
    let mut proprietary = false;
    let mut at = body;
    while !at.is_empty() {
        let (tag, value, rest) = tlv_split(at).ok_or_else(|| std::format!("{expected} (well-formed TLVs in 6F)"))?;
        match tag {
            0x84 => found_aid = Some(value),
            0xA5 => proprietary = true,
            _ => {}
        }
        at = rest;
    }
    match found_aid {
        Some(a) if a == aid && proprietary => Ok(()),
        Some(a) if a == aid => Err(std::format!("{expected} (no A5)")),
        Some(_) => Err(std::format!("{expected} (84 holds another AID)")),
        None => Err(std::format!("{expected} (no 84)")),
    }
}

/// The first BER-TLV of `bytes`: its tag (up to two bytes), its value, what follows.
fn tlv_split(bytes: &[u8]) -> Option<(u16, &[u8], &[u8])> {
    let (&first, rest) = bytes.split_first()?;
    let (tag, rest) = if first & 0x1F == 0x1F {
        let (&second, rest) = rest.split_first()?;
        if second & 0x80 != 0 {
            return None;
        }
        (u16::from_be_bytes([first, second]), rest)
    } else {
        (u16::from(first), rest)
    };
    let (&len, rest) = rest.split_first()?;
    let (len, rest) = match len {
        0..=0x7F => (usize::from(len), rest),
        0x81 => {
            let (&l, rest) = rest.split_first()?;
            (usize::from(l), rest)
        }
        0x82 => {
            let (l, rest) = rest.split_at_checked(2)?;
            (usize::from(u16::from_be_bytes(l.try_into().ok()?)), rest)
        }
        _ => return None,
    };
    let (value, rest) = rest.split_at_checked(len)?;
    Some((tag, value, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlv_split_is_total() {
        assert_eq!(tlv_split(&[0x6F, 0x02, 0x84, 0x00]), Some((0x6F, &[0x84, 0x00][..], &[][..])));
        assert_eq!(tlv_split(&[0xBF, 0x22, 0x81, 0x01, 0x00, 0x01]), Some((0xBF22, &[0x00][..], &[0x01][..])));
        for bad in [&[][..], &[0x6F], &[0x6F, 0x05, 0x00], &[0x1F], &[0x6F, 0x83, 0, 0, 1]] {
            assert_eq!(tlv_split(bad), None);
        }
    }

    #[test]
    fn json_escapes() {
        assert_eq!(json_str("a\"b\\c\n\u{1}"), "\"a\\\"b\\\\c\\n\\u0001\"");
    }

    #[test]
    fn absent_iccid_avoids_the_listed_ones() {
        let first = absent_iccid(&[]);
        assert_eq!(first, [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14]);
        let second = absent_iccid(&[first.to_vec()]);
        assert_ne!(first, second);
    }
}
