//! The LPA side of ES9+: an activation code ([`ActivationCode`], SGP.22 §4.1), a profile
//! download from any ES9+ SM-DP+ into a card over APDUs ([`download`]), and notification
//! delivery ([`send_notifications`]). The HTTP exchange is a [`Es9Transport`]: `ureq` over
//! HTTPS in the CLI, [`Es9Server::handle`](super::es9p::Es9Server::handle) in process in tests.
//!
//! The card exchange is lpac's (`src/applet/profile/download.c`): GetEUICCChallenge,
//! GetEUICCInfo1 → initiateAuthentication → AuthenticateServer → authenticateClient →
//! PrepareDownload (with hashCc when a confirmation code is given) → getBoundProfilePackage →
//! LoadBoundProfilePackage in lpac's cuts → the PIR. A failure after initiateAuthentication
//! cancels the session on the card (endUserRejection) and at the SM-DP+, as lpac does.
//! [`download_observed`] does the same and tells an [`Observer`] how long each ES10 step and
//! each ES9+ function took and how it ended (`veuicc loadtest` times them so).

use super::client::{ClientError, Es10Client, Transport};
use super::lpa::{Installed, read_pir};
use crate::asn1::download::CancelSessionRequest;
use crate::asn1::tlv::{next_tlv, split_tlv, tlv};
use crate::crypto::CryptoProvider;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use std::string::{String, ToString};
use std::time::{Duration, Instant};
use std::vec::Vec;
use std::{format, vec};

/// An SGP.22 §4.1 activation code: `LPA:1$SM-DP+ address$AC token[$SM-DP+ OID[$confirmation
/// code required flag[$ESrv]]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivationCode {
    /// The SM-DP+ address (FQDN, optionally `:port`).
    pub address: String,
    /// The activation-code token (matchingId); may be empty.
    pub matching_id: String,
    /// The SM-DP+ OID, if given.
    pub smdp_oid: Option<String>,
    /// The confirmation code required flag (`1`).
    pub cc_required: bool,
}

impl core::str::FromStr for ActivationCode {
    type Err = String;
    /// Parses an activation code, with or without the `LPA:` scheme of a QR code.
    fn from_str(text: &str) -> Result<ActivationCode, String> {
        let text = text.trim();
        let body = text.strip_prefix("LPA:").or_else(|| text.strip_prefix("lpa:")).unwrap_or(text);
        if body.len() > 255 {
            return Err("activation code: longer than 255 characters".into());
        }
        if let Some(c) = body.chars().find(|c| c.is_control()) {
            return Err(format!("activation code: control character {c:?}"));
        }
        let fields: Vec<&str> = body.split('$').collect();
        let [format_id, rest @ ..] = fields.as_slice() else {
            return Err("activation code: empty".into());
        };
        if *format_id != "1" {
            return Err(format!("activation code: AC_Format {format_id:?} is not 1 (SGP.22 §4.1)"));
        }
        let [address, matching_id, optional @ ..] = rest else {
            return Err("activation code: needs at least `1$SM-DP+ address$AC token`".into());
        };
        if optional.len() > 3 {
            return Err("activation code: more than 5 `$`-separated fields".into());
        }
        check_address(address)?;
        if matching_id.chars().any(|c| !c.is_ascii_alphanumeric() && c != '-') {
            return Err(format!(
                "activation code: AC token {matching_id:?} may hold only A-Z, a-z, 0-9 and '-' (SGP.22 §4.1)"
            ));
        }
        let oid = optional.first().copied().filter(|o| !o.is_empty());
        if let Some(o) = oid
            && (o.split('.').count() < 2
                || !o.split('.').all(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit())))
        {
            return Err(format!("activation code: SM-DP+ OID {o:?} is not dotted decimal"));
        }
        let cc_required = match optional.get(1).copied() {
            None | Some("") | Some("0") => false,
            Some("1") => true,
            Some(other) => return Err(format!("activation code: confirmation code required flag {other:?} is not 1")),
        };
        Ok(ActivationCode {
            address: address.to_string(),
            matching_id: matching_id.to_string(),
            smdp_oid: oid.map(str::to_string),
            cc_required,
        })
    }
}

impl core::fmt::Display for ActivationCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "LPA:1${}${}", self.address, self.matching_id)?;
        match (&self.smdp_oid, self.cc_required) {
            (None, false) => Ok(()),
            (oid, false) => write!(f, "${}", oid.as_deref().unwrap_or("")),
            (oid, true) => write!(f, "${}$1", oid.as_deref().unwrap_or("")),
        }
    }
}

/// An SM-DP+ address: a host name (letters, digits, `-`, `.`) or an IP address, with an
/// optional `:port`.
pub fn check_address(address: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("SM-DP+ address {address:?}: {why}"));
    if address.is_empty() {
        return bad("empty");
    }
    let (host, port) = match address.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.ends_with(']') => (h, Some(p)),
        _ => (address, None),
    };
    if let Some(p) = port
        && !p.parse::<u16>().is_ok_and(|n| n != 0)
    {
        return bad("the port is not 1 to 65535");
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    let labels_ok = host.len() <= 253
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !labels_ok {
        return bad("not a host name or IP address");
    }
    Ok(())
}

/// One ES9+ HTTP POST: `(address, function, JSON body)` → `(HTTP status, body)`.
pub trait Es9Transport {
    /// POSTs `body` to `https://{address}/gsma/rsp2/es9plus/{function}`.
    fn post(&mut self, address: &str, function: &str, body: &[u8]) -> Result<(u16, Vec<u8>), String>;
}

impl<F: FnMut(&str, &str, &[u8]) -> Result<(u16, Vec<u8>), String>> Es9Transport for F {
    fn post(&mut self, address: &str, function: &str, body: &[u8]) -> Result<(u16, Vec<u8>), String> {
        self(address, function, body)
    }
}

/// Why an ES9+ call failed, kept apart for whoever counts them ([`Observer::es9`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Es9Failure {
    /// The request could not be encoded.
    Encode(String),
    /// The transport failed (connection, TLS, timeout): its message.
    Transport(String),
    /// The answer (with this HTTP status) is not JSON.
    NotJson(u16),
    /// The SM-DP+ answered an ES9+ error (SGP.22 §5.2.6 statusCodeData).
    Smdp {
        /// `subjectCode`, e.g. `8.1.1`.
        subject: String,
        /// `reasonCode`, e.g. `6.1`.
        reason: String,
        /// `message`.
        message: String,
    },
    /// An HTTP status other than 2xx, without an ES9+ error.
    Http(u16),
    /// A JSON answer without `functionExecutionStatus`.
    NoStatus,
}

impl Es9Failure {
    /// The message the download returns for this failure of `function`.
    pub fn describe(&self, function: &str) -> String {
        match self {
            Es9Failure::Encode(e) | Es9Failure::Transport(e) => e.clone(),
            Es9Failure::NotJson(status) => format!("{function}: HTTP {status}, not JSON"),
            Es9Failure::Smdp { subject, reason, message } => {
                format!("{function}: SM-DP+ error {subject}/{reason} ({message})")
            }
            Es9Failure::Http(status) => format!("{function}: HTTP {status}"),
            Es9Failure::NoStatus => format!("{function}: no functionExecutionStatus in the answer"),
        }
    }
}

/// What a download reports as it goes ([`download_observed`]): every ES10 step the card does
/// and every ES9+ function called, with how long it took and how it ended. Both methods do
/// nothing by default.
pub trait Observer {
    /// ES10 `step` (`GetEUICCChallenge`, `GetEUICCInfo1`, `AuthenticateServer`, `PrepareDownload`,
    /// `LoadBoundProfilePackage` — every command of the BPP together, its outcome the PIR —,
    /// `CancelSession`) took `took`: the response data, or what went wrong with the card. An
    /// SGP.22 error code inside the response (`BF38 { A1 … }`, a PIR's errorResult) is the
    /// observer's to read.
    fn es10(&mut self, step: &'static str, took: Duration, outcome: Result<&[u8], &ClientError>) {
        let _ = (step, took, outcome);
    }

    /// ES9+ `function` took `took` (the HTTP exchange and reading the answer).
    fn es9(&mut self, function: &'static str, took: Duration, outcome: Result<(), &Es9Failure>) {
        let _ = (function, took, outcome);
    }
}

/// The observer of [`download`], [`rpm`] and [`send_notifications`]: nothing.
struct Unobserved;

impl Observer for Unobserved {}

/// Calls one ES9+ function; `Ok` is the answer's JSON on `Executed-Success`.
fn call(
    http: &mut dyn Es9Transport,
    address: &str,
    function: &'static str,
    request: &Value,
    obs: &mut dyn Observer,
) -> Result<Value, String> {
    let start = Instant::now();
    let answer = exchange(http, address, function, request);
    obs.es9(function, start.elapsed(), answer.as_ref().map(|_| ()));
    answer.map_err(|e| e.describe(function))
}

fn exchange(http: &mut dyn Es9Transport, address: &str, function: &str, request: &Value) -> Result<Value, Es9Failure> {
    let body = serde_json::to_vec(request).map_err(|e| Es9Failure::Encode(e.to_string()))?;
    let (status, rx) = http.post(address, function, &body).map_err(Es9Failure::Transport)?;
    if status == 204 {
        return Ok(Value::Null);
    }
    let v: Value = serde_json::from_slice(&rx).map_err(|_| Es9Failure::NotJson(status))?;
    let st = v.pointer("/header/functionExecutionStatus/status").and_then(Value::as_str);
    if let Some(data) = v.pointer("/header/functionExecutionStatus/statusCodeData") {
        let s = |k: &str| data.get(k).and_then(Value::as_str).unwrap_or("?").to_string();
        return Err(Es9Failure::Smdp { subject: s("subjectCode"), reason: s("reasonCode"), message: s("message") });
    }
    if status / 100 != 2 {
        return Err(Es9Failure::Http(status));
    }
    match st {
        Some(s) if s.starts_with("Executed") => Ok(v),
        _ => Err(Es9Failure::NoStatus),
    }
}

/// Times one ES10 command for `obs`.
fn es10<R: AsRef<[u8]>>(
    obs: &mut dyn Observer,
    step: &'static str,
    command: impl FnOnce() -> Result<R, ClientError>,
) -> Result<R, ClientError> {
    let start = Instant::now();
    let out = command();
    obs.es10(step, start.elapsed(), out.as_ref().map(AsRef::as_ref));
    out
}

fn field(v: &Value, function: &str, k: &str) -> Result<Vec<u8>, String> {
    let text = v.get(k).and_then(Value::as_str).ok_or_else(|| format!("{function}: no {k} in the answer"))?;
    B64.decode(text.trim()).map_err(|e| format!("{function}: {k} is not base64: {e}"))
}

/// The ES10b commands of a `BF36` BPP in lpac's cuts: BF36 header + BF23; A0; A1 header;
/// each 88; A2; A3 header; each 86.
pub fn bpp_commands(bpp: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let bad = || "boundProfilePackage: not a BF36 BPP".to_string();
    let (whole, rest) = next_tlv(bpp).ok_or_else(bad)?;
    if !rest.is_empty() || !whole.starts_with(&[0xBF, 0x36]) {
        return Err(bad());
    }
    let (_, value) = split_tlv(whole).ok_or_else(bad)?;
    let header_len = whole.len() - value.len();
    let mut items = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let (tlv, next) = next_tlv(rest).ok_or_else(bad)?;
        items.push(tlv);
        rest = next;
    }
    let mut out: Vec<Vec<u8>> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let tag = item.first().copied().unwrap_or(0);
        if i == 0 {
            let mut first = whole.get(..header_len).ok_or_else(bad)?.to_vec();
            first.extend_from_slice(item);
            out.push(first);
        } else if tag == 0xA1 || tag == 0xA3 {
            let (_, v) = split_tlv(item).ok_or_else(bad)?;
            out.push(item.get(..item.len() - v.len()).ok_or_else(bad)?.to_vec());
            let mut r = v;
            while !r.is_empty() {
                let (seg, next) = next_tlv(r).ok_or_else(bad)?;
                out.push(seg.to_vec());
                r = next;
            }
        } else {
            out.push(item.to_vec());
        }
    }
    Ok(out)
}

/// What a download needs besides the card and the transport.
#[derive(Debug, Clone, Default)]
pub struct Order<'a> {
    /// The SM-DP+ address.
    pub address: &'a str,
    /// The matchingId (`None`: none sent).
    pub matching_id: Option<&'a str>,
    /// The confirmation code, if the order has one.
    pub confirmation_code: Option<&'a str>,
}

/// Downloads the profile of `order` into the card behind `lpa`; returns the PIR. The SM-DP+'s
/// errors come back with their subject and reason codes; the card's as their SGP.22 codes.
pub fn download<T: Transport>(
    lpa: &mut Es10Client<T>,
    http: &mut dyn Es9Transport,
    order: &Order<'_>,
) -> Result<Installed, String> {
    download_observed(lpa, http, order, &mut Unobserved)
}

/// [`download`], telling `obs` about each ES10 step and ES9+ call as it ends.
pub fn download_observed<T: Transport>(
    lpa: &mut Es10Client<T>,
    http: &mut dyn Es9Transport,
    order: &Order<'_>,
    obs: &mut dyn Observer,
) -> Result<Installed, String> {
    let card = |e: ClientError| format!("card: {e}");
    let address = order.address;
    let (session, auth) = authenticate(lpa, http, order, obs)?;
    let tid_hex = session.tid_hex.as_str();
    let result = (|| {
        let f = "authenticateClient";
        let mut prepare = field(&auth, f, "smdpSigned2")?;
        prepare.extend(field(&auth, f, "smdpSignature2")?);
        if let Some(cc) = order.confirmation_code {
            let inner = crate::crypto::RUST_CRYPTO.sha256(&[cc.as_bytes()]);
            prepare.extend(tlv(&[0x04], &crate::crypto::RUST_CRYPTO.sha256(&[&inner, &session.tid])));
        }
        prepare.extend(field(&auth, f, "smdpCertificate")?);
        let response = es10(obs, "PrepareDownload", || lpa.store_data(&tlv(&[0xBF, 0x21], &prepare))).map_err(card)?;
        let bpp = call(
            http,
            address,
            "getBoundProfilePackage",
            &json!({"transactionId": tid_hex, "prepareDownloadResponse": B64.encode(&response)}),
            obs,
        )?;
        let bpp = field(&bpp, "getBoundProfilePackage", "boundProfilePackage")?;
        let commands = bpp_commands(&bpp)?;
        let pir = es10(obs, "LoadBoundProfilePackage", || {
            for command in &commands {
                let out = lpa.store_data(command)?;
                if !out.is_empty() {
                    return Ok(out);
                }
            }
            Ok(Vec::new())
        })
        .map_err(card)?;
        if pir.is_empty() {
            return Err("the card answered the whole BPP without a ProfileInstallationResult".to_string());
        }
        Ok(pir)
    })();
    let pir = match result {
        Ok(pir) => pir,
        Err(e) => {
            cancel(lpa, http, address, &session, obs);
            return Err(e);
        }
    };
    read_pir(&pir).map_err(|e| format!("{e}"))
}

/// A session an SM-DP+ opened (initiateAuthentication): its transactionId, and that as the
/// hex string the ES9+ requests carry.
struct Session {
    tid: Vec<u8>,
    tid_hex: String,
}

/// The opening a download and an RPM order share, each step told to `obs`: GetEUICCChallenge,
/// GetEUICCInfo1 → initiateAuthentication → AuthenticateServer → authenticateClient. Returns
/// the session and authenticateClient's answer (its JSON). A failure after
/// initiateAuthentication cancels the session on the card and at the SM-DP+ first.
fn authenticate<T: Transport>(
    lpa: &mut Es10Client<T>,
    http: &mut dyn Es9Transport,
    order: &Order<'_>,
    obs: &mut dyn Observer,
) -> Result<(Session, Value), String> {
    let card = |e: ClientError| format!("card: {e}");
    let address = order.address;
    let challenge = es10(obs, "GetEUICCChallenge", || lpa.get_euicc_challenge()).map_err(card)?;
    let info1 = es10(obs, "GetEUICCInfo1", || lpa.store_data(&[0xBF, 0x20, 0x00])).map_err(card)?;
    let init = call(
        http,
        address,
        "initiateAuthentication",
        &json!({"smdpAddress": address, "euiccChallenge": B64.encode(challenge), "euiccInfo1": B64.encode(&info1)}),
        obs,
    )?;
    let f = "initiateAuthentication";
    let tid_hex =
        init.get("transactionId").and_then(Value::as_str).ok_or("initiateAuthentication: no transactionId")?;
    let tid = unhex(tid_hex).ok_or("initiateAuthentication: transactionId is not hex")?;
    let session = Session { tid, tid_hex: tid_hex.to_string() };
    let mut body = field(&init, f, "serverSigned1")?;
    body.extend(field(&init, f, "serverSignature1")?);
    body.extend(field(&init, f, "euiccCiPKIdToBeUsed")?);
    body.extend(field(&init, f, "serverCertificate")?);
    body.extend(crate::asn1::download::ctx_params1(order.matching_id, [0x35, 0x29, 0x06, 0x11]));
    let auth = (|| {
        let response = es10(obs, "AuthenticateServer", || lpa.store_data(&tlv(&[0xBF, 0x38], &body))).map_err(card)?;
        // A BF38 { A1 error } goes to the SM-DP+ too: it ends the session with an error.
        call(
            http,
            address,
            "authenticateClient",
            &json!({"transactionId": session.tid_hex, "authenticateServerResponse": B64.encode(&response)}),
            obs,
        )
    })();
    match auth {
        Ok(auth) => Ok((session, auth)),
        Err(e) => {
            cancel(lpa, http, address, &session, obs);
            Err(e)
        }
    }
}

fn cancel<T: Transport>(
    lpa: &mut Es10Client<T>,
    http: &mut dyn Es9Transport,
    address: &str,
    session: &Session,
    obs: &mut dyn Observer,
) {
    let Ok(der) = rasn::der::encode(&CancelSessionRequest::new(session.tid.clone(), 0)) else { return };
    if let Ok(response) = es10(obs, "CancelSession", || lpa.store_data(&der)) {
        let _ = call(
            http,
            address,
            "cancelSession",
            &json!({"transactionId": session.tid_hex, "cancelSessionResponse": B64.encode(&response)}),
            obs,
        );
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok())).collect()
}

/// One pending notification as the card gave it, and where it goes.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Its sequence number.
    pub seq: u64,
    /// Where it goes (notificationAddress).
    pub address: String,
    /// `BF37 …` (a PIR) or `30 …` (OtherSignedNotification), as RetrieveNotificationsList gave it.
    pub der: Vec<u8>,
}

/// The card's pending notifications (RetrieveNotificationsList, all of them).
pub fn pending_notifications<T: Transport>(lpa: &mut Es10Client<T>) -> Result<Vec<Pending>, String> {
    use crate::asn1::download::{NotificationMetadata, ProfileInstallationResult, ProfileInstallationResultData};
    let out = lpa.store_data(&[0xBF, 0x2B, 0x00]).map_err(|e| format!("card: {e}"))?;
    let bad = || "RetrieveNotificationsList: malformed answer".to_string();
    let (_, value) = split_tlv(&out).ok_or_else(bad)?;
    let (list, _) = next_tlv(value).ok_or_else(bad)?;
    if list.first() != Some(&0xA0) {
        return Ok(Vec::new()); // notificationsListResultError: nothing pending
    }
    let (_, mut rest) = split_tlv(list).ok_or_else(bad)?;
    let mut pending = Vec::new();
    while !rest.is_empty() {
        let (item, next) = next_tlv(rest).ok_or_else(bad)?;
        rest = next;
        let meta: Option<NotificationMetadata> = if item.first() == Some(&0xBF) {
            rasn::der::decode::<ProfileInstallationResult>(item)
                .ok()
                .and_then(|p| {
                    rasn::der::decode::<ProfileInstallationResultData>(p.profile_installation_result_data.as_bytes())
                        .ok()
                })
                .map(|d| d.notification_metadata)
        } else if item.first() == Some(&0xA1) {
            // An RPM package's result: A1 { A0 loadRpmPackageResultDataSigned, 81 euiccSignRPR }.
            split_tlv(item)
                .and_then(|(_, v)| next_tlv(v))
                .and_then(|(data, _)| {
                    let mut data = data.to_vec();
                    *data.first_mut()? = 0x30;
                    rasn::der::decode::<crate::asn1::rpm::LoadRpmPackageResultDataSigned>(&data).ok()
                })
                .map(|d| d.notification_metadata)
        } else {
            split_tlv(item).and_then(|(_, v)| next_tlv(v)).and_then(|(tbs, _)| rasn::der::decode(tbs).ok())
        };
        let Some(meta) = meta else { continue };
        let seq = u64::try_from(&meta.seq_number).unwrap_or(0);
        pending.push(Pending { seq, address: meta.notification_address.to_string(), der: item.to_vec() });
    }
    Ok(pending)
}

/// One notification's sequence number and whether the SM-DP+ took it.
pub type Delivery = (u64, Result<(), String>);

/// Sends each pending notification to its address (handleNotification) and removes the ones
/// the SM-DP+ took from the card; returns `(seq, outcome)` for each (`Ok` = delivered).
pub fn send_notifications<T: Transport>(
    lpa: &mut Es10Client<T>,
    http: &mut dyn Es9Transport,
) -> Result<Vec<Delivery>, String> {
    let mut report = vec![];
    for p in pending_notifications(lpa)? {
        let sent = handle_notification(http, &p.address, &p, &mut Unobserved);
        if sent.is_ok() {
            lpa.remove_notification(p.seq).map_err(|e| format!("card: {e}"))?;
        }
        report.push((p.seq, sent));
    }
    Ok(report)
}

/// ES9+ handleNotification of `pending` to `address`, told to `obs`; `Ok` when the SM-DP+
/// took it.
pub fn handle_notification(
    http: &mut dyn Es9Transport,
    address: &str,
    pending: &Pending,
    obs: &mut dyn Observer,
) -> Result<(), String> {
    let request = json!({"pendingNotification": B64.encode(&pending.der)});
    call(http, address, "handleNotification", &request, obs).map(|_| ())
}

/// Runs an RPM order over ES9+ (SGP.22 v3): the opening of [`download`] (GetEUICCChallenge,
/// GetEUICCInfo1 → initiateAuthentication → ES10b.AuthenticateServer → authenticateClient, whose
/// answer carries `smdpSigned3` and `smdpSignature3` instead of a download), then
/// ES10b.LoadRpmPackage (`BF44 { smdpSigned3, smdpSignature3 }`). Returns the card's `LoadRpmPackageResult` (`BF44 …`); its signed part is queued on the card, and
/// [`send_notifications`] delivers it to the SM-DP+.
pub fn rpm<T: Transport>(
    lpa: &mut Es10Client<T>,
    http: &mut dyn Es9Transport,
    order: &Order<'_>,
) -> Result<Vec<u8>, String> {
    let card = |e: ClientError| format!("card: {e}");
    let obs = &mut Unobserved;
    let (session, auth) = authenticate(lpa, http, order, obs)?;
    let result = (|| {
        let f = "authenticateClient";
        let mut request = field(&auth, f, "smdpSigned3")?;
        request.extend(field(&auth, f, "smdpSignature3")?);
        es10(obs, "LoadRpmPackage", || lpa.store_data(&tlv(&[0xBF, 0x44], &request))).map_err(card)
    })();
    result.inspect_err(|_| cancel(lpa, http, order.address, &session, obs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ac(s: &str) -> Result<ActivationCode, String> {
        s.parse()
    }

    #[test]
    fn activation_codes_of_sgp22_4_1() {
        let a = ac("LPA:1$smdp.example.com$04386-AGYFT-A74Y8-3F815").unwrap();
        assert_eq!(a.address, "smdp.example.com");
        assert_eq!(a.matching_id, "04386-AGYFT-A74Y8-3F815");
        assert_eq!((a.smdp_oid.as_deref(), a.cc_required), (None, false));
        assert_eq!(a.to_string(), "LPA:1$smdp.example.com$04386-AGYFT-A74Y8-3F815");
        // Without the LPA: scheme, with a port, an empty token.
        let a = ac("1$127.0.0.1:8443$").unwrap();
        assert_eq!((a.address.as_str(), a.matching_id.as_str()), ("127.0.0.1:8443", ""));
        // With an SM-DP+ OID; with the confirmation code flag (with and without OID).
        let a = ac("LPA:1$SMDP.GSMA.COM$04386-AGYFT-A74Y8-3F815$1.3.6.1.4.1.31746").unwrap();
        assert_eq!(a.smdp_oid.as_deref(), Some("1.3.6.1.4.1.31746"));
        let a = ac("LPA:1$SMDP.GSMA.COM$04386-AGYFT-A74Y8-3F815$1.3.6.1.4.1.31746$1").unwrap();
        assert!(a.cc_required);
        assert_eq!(a.to_string(), "LPA:1$SMDP.GSMA.COM$04386-AGYFT-A74Y8-3F815$1.3.6.1.4.1.31746$1");
        let a = ac("LPA:1$SMDP.GSMA.COM$04386-AGYFT-A74Y8-3F815$$1").unwrap();
        assert!(a.cc_required && a.smdp_oid.is_none());
        assert_eq!(a.to_string(), "LPA:1$SMDP.GSMA.COM$04386-AGYFT-A74Y8-3F815$$1");
        // ESrv field after the flag (v2.5 allows a fifth optional field).
        assert!(ac("LPA:1$smdp.example.com$X$$$esrv").is_ok());
        assert!(ac("  LPA:1$[::1]:8443$AB  ").is_ok());
    }

    #[test]
    fn bad_activation_codes_say_why() {
        for (bad, why) in [
            ("", "AC_Format"),
            ("LPA:", "AC_Format"),
            ("LPA:2$smdp.example.com$X", "AC_Format \"2\""),
            ("LPA:1$smdp.example.com", "at least"),
            ("LPA:1$$X", "empty"),
            ("LPA:1$smdp..example$X", "not a host name"),
            ("LPA:1$smdp.example.com:0$X", "port"),
            ("LPA:1$smdp.example.com:99999$X", "port"),
            ("LPA:1$smdp example.com$X", "not a host name"),
            ("LPA:1$smdp.example.com$A B", "AC token"),
            ("LPA:1$smdp.example.com$X$not-an-oid", "OID"),
            ("LPA:1$smdp.example.com$X$$2", "flag"),
            ("LPA:1$smdp.example.com$X$$1$e$extra", "more than 5"),
            ("LPA:1$smdp.example.com$X\u{7}", "control"),
        ] {
            let e = ac(bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
        assert!(ac(&format!("LPA:1$smdp.example.com${}", "A".repeat(300))).unwrap_err().contains("255"));
    }

    #[test]
    fn a_bpp_is_cut_like_lpac_cuts_it() {
        let seg = |t: u8, n: usize| tlv(&[t], &vec![0x55; n]);
        let isc = tlv(&[0xBF, 0x23], &[0x82, 0x01, 0x01]);
        let a0 = tlv(&[0xA0], &seg(0x87, 20));
        let a1 = tlv(&[0xA1], &[seg(0x88, 30), seg(0x88, 5)].concat());
        let a3 = tlv(&[0xA3], &[seg(0x86, 300), seg(0x86, 7)].concat());
        let bpp = tlv(&[0xBF, 0x36], &[isc.clone(), a0.clone(), a1, a3].concat());
        let cmds = bpp_commands(&bpp).unwrap();
        assert_eq!(cmds.len(), 8);
        assert!(cmds[0].starts_with(&[0xBF, 0x36]) && cmds[0].ends_with(&isc));
        assert_eq!(cmds[1], a0);
        assert_eq!(cmds[2], [0xA1, 0x27]);
        assert_eq!(cmds[5][..2], [0xA3, 0x82]);
        assert_eq!(cmds.concat(), bpp);
        for bad in [&[][..], &[0xBF, 0x36], &[0x30, 0x00], &[0xBF, 0x36, 0x05, 0xA0]] {
            assert!(bpp_commands(bad).is_err());
        }
    }
}
