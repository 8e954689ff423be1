//! `veuicc mirror …`: the mirror functions of a card (its private-class `FF40` … commands) as an
//! LPA drives them, over APDUs: `issue` (a token as a QR code, its base64 text and its numeric
//! code), `redeem` (the token a code names), `revoke`, `renew`, `suspend`, `resume` (signed
//! link updates, printed as base64 or `--deliver`ed to local secondaries), `apply` (updates on
//! the secondary), `list` (linked devices) and `info` (each profile's role and policy), and
//! `pair` (the whole pairing of two local cards, `testkit::mirror::pair`: Issue on the
//! primary, Begin on the secondary, Export, the install of the mirror package in lpac's
//! segments, Confirm — each step printed), and the same pairing as two LPAs on two devices
//! carry it, in base64 text: `join` on the secondary (Begin, prints the signed request, then
//! reads the mirror package from stdin or `--package FILE` and installs it in the same process —
//! the card's mirror session is volatile — and prints the signed installation result), `export`
//! and `confirm` on the primary. `issue --png FILE` writes the QR code as a PNG. `--json` on
//! each; prompts go to stderr.
//!
//! Exit 0 on success; 1 with the result name of `Mirror.asn` (`veuicc: instancesExceeded (2)`;
//! `veuicc: export: unknownToken (16)` for a step of the pairing); 2 for bad arguments and
//! malformed input.

use crate::common::{hex, json_str, unhex};
use crate::lpa::{CardArgs, iccid_bytes, session};
use crate::state::iccid;
use base64::Engine;
use rasn::types::{FixedOctetString, NumericString};
use std::process::ExitCode;
use veuicc::mirror::asn::{
    DEVICE_CLASS_NAMES, GetMirrorInfoRequest, GetMirrorInfoResponse, GetMirrorInfoResult, IssueMirrorTokenRequest,
    IssueMirrorTokenResponse, IssueMirrorTokenResult, LINK_STATE_NAMES, ListMirrorLinksRequest,
    ListMirrorLinksResponse, ListMirrorLinksResult, MaxInstances, MirrorLinkRef, PRIORITY_NAMES, ROLE_NAMES, mode,
    name_of, result_name, service, services_bits, services_of,
};
use veuicc::testkit::mirror::{self, MirrorError, Revoked, Step};

/// `veuicc mirror`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Issue a mirror token for a profile whose operator allows mirroring (IssueMirrorToken).
    Issue(IssueArgs),
    /// The token a numeric code names, as base64 (RedeemMirrorCode).
    Redeem(RedeemArgs),
    /// Revoke a token or a link by token id (32 hex digits) or secondary EID (RevokeMirror):
    /// the signed revocation for the secondary.
    Revoke(UpdateArgs),
    /// Renew a link: its renew-by moves to now + the policy's reauthInterval (RenewMirror).
    Renew(UpdateArgs),
    /// Suspend a link, or without one every link of a profile that suspends while roaming
    /// (SuspendMirror).
    Suspend(UpdateArgs),
    /// Resume a link, or without one every link of a profile that suspends while roaming
    /// (ResumeMirror).
    Resume(UpdateArgs),
    /// Apply signed link updates (base64, from revoke / renew / suspend / resume) on the
    /// secondary (ApplyMirrorRevocation, ApplyMirrorRenewal, ApplyMirrorSuspension).
    Apply(ApplyArgs),
    /// The linked devices and outstanding tokens (ListMirrorLinks).
    List(ListArgs),
    /// Each profile's mirror role, policy and live instances (GetMirrorInfo).
    Info(ListArgs),
    /// Pair two local cards: a token for the secondary, BeginMirror, ExportMirror, the mirror
    /// package through LoadBoundProfilePackage, ConfirmMirror.
    Pair(PairArgs),
    /// The secondary's side of a pairing carried as text: BeginMirror with a token (base64,
    /// or `--code` redeemed on a local primary), the signed request printed; then the mirror
    /// package (base64) read from stdin (one line) or `--package FILE`, installed; the signed
    /// installation result printed for `confirm`.
    Join(JoinArgs),
    /// The mirror package (base64) for a secondary's signed request from `join`
    /// (ExportMirror).
    Export(ExportArgs),
    /// The link, from the secondary's signed installation result that `join` printed
    /// (ConfirmMirror).
    Confirm(ConfirmArgs),
}

#[derive(Debug, clap::Args)]
struct JoinArgs {
    #[command(flatten)]
    card: CardArgs,
    /// The SignedMirrorToken, base64, as `issue` or `redeem` print it.
    #[arg(required_unless_present = "code", conflicts_with = "code")]
    token: Option<String>,
    /// The eight-digit code `issue` printed, redeemed on the local primary `--primary` first.
    #[arg(long, requires = "primary")]
    code: Option<String>,
    /// State directory of the primary that redeems `--code`.
    #[arg(long, value_name = "DIR", requires = "code")]
    primary: Option<std::path::PathBuf>,
    /// Wait for the mirror package (base64) in this file instead of reading it from stdin.
    #[arg(long, value_name = "FILE")]
    package: Option<std::path::PathBuf>,
    /// Print JSON lines: `{"request": base64}`, then `{"result": base64}`.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct ExportArgs {
    #[command(flatten)]
    card: CardArgs,
    /// The secondary's SignedMirrorRequest, base64, as `join` prints it.
    request: String,
    /// Print JSON: `{"package": base64, "package_bytes", "secondary_eid"}`.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct ConfirmArgs {
    #[command(flatten)]
    card: CardArgs,
    /// The secondary's signed ProfileInstallationResult, base64, as `join` prints it.
    result: String,
    /// Print JSON: `{"token_id", "iccid", "secondary_eid", "class", "state", "linked_at", "renew_by"}`.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct PairArgs {
    /// State directory of the primary card (it holds the source profile).
    #[arg(long, value_name = "DIR")]
    primary: std::path::PathBuf,
    /// State directory of the secondary card (its own identity, kept in the directory).
    #[arg(long, value_name = "DIR")]
    secondary: std::path::PathBuf,
    /// ICCID of the source profile, as printed.
    iccid: String,
    /// Services the mirror may use: voice, sms, data (comma- or plus-separated).
    #[arg(long, default_value = "voice,sms,data")]
    services: String,
    /// How long the token is valid (it is used at once).
    #[arg(long, default_value = "10m")]
    valid: String,
    /// The device class of the secondary: phone, tablet, watch, laptop, glasses, other.
    #[arg(long)]
    class: Option<String>,
    /// The data priority of the secondary: low, normal, high.
    #[arg(long)]
    priority: Option<String>,
    /// Print JSON: `{"token_id", "iccid", "secondary_eid", "package_bytes", "state", "linked_at", "renew_by"}`.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct IssueArgs {
    #[command(flatten)]
    card: CardArgs,
    /// ICCID of the source profile, as printed.
    iccid: String,
    /// Services the mirror may use: voice, sms, data (comma- or plus-separated).
    #[arg(long, default_value = "voice,sms,data")]
    services: String,
    /// How long the token is valid: 24h at most (and the policy's maxTokenValidity).
    #[arg(long, default_value = "24h")]
    valid: String,
    /// Only this card (EID, 32 digits) may use the token.
    #[arg(long, value_name = "EID")]
    target: Option<String>,
    /// The device class of the secondary: phone, tablet, watch, laptop, glasses, other.
    #[arg(long)]
    class: Option<String>,
    /// The data priority of the secondary: low, normal, high.
    #[arg(long)]
    priority: Option<String>,
    /// Do not draw the QR code.
    #[arg(long)]
    no_qr: bool,
    /// Also write the QR code as a PNG (8 px a module, a quiet zone of 4 modules).
    #[arg(long, value_name = "FILE")]
    png: Option<std::path::PathBuf>,
    /// Print JSON: `{"token": base64, "code": "…", "token_id": hex, "not_after": unix}`.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct RedeemArgs {
    #[command(flatten)]
    card: CardArgs,
    /// The eight-digit numeric code.
    code: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct UpdateArgs {
    #[command(flatten)]
    card: CardArgs,
    /// Token id (32 hex digits) or secondary EID (32 decimal digits, with `--eid`); suspend and
    /// resume take none for every link of the profiles that suspend while roaming.
    link: Option<String>,
    /// The argument is the secondary's EID.
    #[arg(long)]
    eid: bool,
    /// Deliver the updates at once to these local secondaries' state directories (each gets
    /// the updates for its EID).
    #[arg(long, value_name = "DIR")]
    deliver: Vec<std::path::PathBuf>,
    /// Print JSON: `{"token_voided": bool, "updates": [{"action", "secondary_eid", "sequence",
    /// "renew_by", "update": base64, "delivered": result name or null}]}`.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct ApplyArgs {
    #[command(flatten)]
    card: CardArgs,
    /// Signed link updates, base64, in the order the primary made them.
    #[arg(required = true)]
    updates: Vec<String>,
    /// Print JSON: `{"results": [{"action", "sequence", "result"}]}`.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    #[command(flatten)]
    card: CardArgs,
    /// Only this profile (ICCID as printed).
    #[arg(long)]
    iccid: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> Result<ExitCode, String> {
    match args.command {
        Sub::Issue(a) => issue(a),
        Sub::Redeem(a) => redeem(a),
        Sub::Revoke(a) => update(a, Step::Revoke),
        Sub::Renew(a) => update(a, Step::Renew),
        Sub::Suspend(a) => update(a, Step::Suspend),
        Sub::Resume(a) => update(a, Step::Resume),
        Sub::Apply(a) => apply(a),
        Sub::List(a) => list(a),
        Sub::Info(a) => info(a),
        Sub::Pair(a) => pair(a),
        Sub::Join(a) => join(a),
        Sub::Export(a) => export(a),
        Sub::Confirm(a) => confirm(a),
    }
}

fn refused(code: u8) -> Result<ExitCode, String> {
    errln!("veuicc: {} ({code})", result_name(code));
    Ok(ExitCode::from(1))
}

fn iccid10(printed: &str) -> Result<FixedOctetString<10>, String> {
    let b: [u8; 10] = iccid_bytes(printed)?.try_into().map_err(|_| "ICCID: 10 bytes".to_string())?;
    Ok(FixedOctetString::new(b))
}

fn eid16(text: &str) -> Result<FixedOctetString<16>, String> {
    let b: [u8; 16] = unhex(text)?.try_into().map_err(|_| format!("{text}: an EID has 32 digits"))?;
    Ok(FixedOctetString::new(b))
}

fn named(names: &[&str], text: &str, what: &str) -> Result<u8, String> {
    names
        .iter()
        .position(|n| *n == text)
        .and_then(|i| u8::try_from(i).ok())
        .ok_or_else(|| format!("{text}: {what} is one of {}", names.join(", ")))
}

fn services_text(bits: u8) -> String {
    let names: Vec<&str> = [(service::VOICE, "voice"), (service::SMS, "sms"), (service::DATA, "data")]
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| *n)
        .collect();
    if names.is_empty() { "none".into() } else { names.join("+") }
}

fn services_json(bits: u8) -> String {
    let names: Vec<String> = [(service::VOICE, "voice"), (service::SMS, "sms"), (service::DATA, "data")]
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| json_str(n))
        .collect();
    format!("[{}]", names.join(","))
}

/// A Unix time as `YYYY-MM-DD HH:MM UTC`.
fn when(t: u64) -> String {
    let days = i64::try_from(t / 86400).unwrap_or(i64::MAX);
    let secs = t % 86400;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", secs / 3600, secs % 3600 / 60)
}

fn issue(args: IssueArgs) -> Result<ExitCode, String> {
    let services = veuicc::testkit::smdp::parse_services(&args.services)?;
    let validity = veuicc::testkit::smdp::parse_duration(&args.valid)?;
    let req = IssueMirrorTokenRequest {
        iccid: iccid10(&args.iccid)?,
        mode: mode::MIRROR,
        services: services_bits(services),
        validity,
        target_eid: args.target.as_deref().map(eid16).transpose()?,
        device_class: args.class.as_deref().map(|c| named(&DEVICE_CLASS_NAMES, c, "a device class")).transpose()?,
        priority: args.priority.as_deref().map(|p| named(&PRIORITY_NAMES, p, "a priority")).transpose()?,
    };
    let mut lpa = session(&args.card)?;
    let issued = match lpa.call::<_, IssueMirrorTokenResponse>(&req).map_err(|e| e.to_string())?.0 {
        IssueMirrorTokenResult::Issued(t) => t,
        IssueMirrorTokenResult::MirrorError(code) => return refused(code),
    };
    let der = rasn::der::encode(&issued.signed_mirror_token).map_err(|e| e.to_string())?;
    let text = base64::engine::general_purpose::STANDARD.encode(&der);
    let code = String::from_utf8_lossy(issued.numeric_code.as_bytes()).into_owned();
    let token = &issued.signed_mirror_token.mirror_token;
    if let Some(file) = &args.png {
        let side = write_png(&text, file)?;
        if !args.json {
            outln!("QR code: {} ({side}×{side} px)", file.display());
        }
    }
    if args.json {
        outln!(
            "{{\"token\":{},\"code\":{},\"token_id\":{},\"not_after\":{}}}",
            json_str(&text),
            json_str(&code),
            json_str(&hex(token.token_id.as_slice())),
            token.not_after
        );
        return Ok(ExitCode::SUCCESS);
    }
    if !args.no_qr {
        match qrcode::QrCode::new(text.as_bytes()) {
            Ok(qr) => {
                let art = qr
                    .render::<qrcode::render::unicode::Dense1x2>()
                    .dark_color(qrcode::render::unicode::Dense1x2::Light)
                    .light_color(qrcode::render::unicode::Dense1x2::Dark)
                    .quiet_zone(true)
                    .build();
                outln!("{art}");
            }
            Err(e) => errln!("(no QR code: {e})"),
        }
    }
    outln!("token: {text}");
    outln!("code:  {} {}", code.get(..4).unwrap_or(&code), code.get(4..).unwrap_or(""));
    outln!(
        "{} for {}, valid until {} (token {})",
        services_text(services_of(&token.services).unwrap_or(0)),
        token.device_class.map_or_else(|| "any device".to_string(), |c| name_of(&DEVICE_CLASS_NAMES, c)),
        when(token.not_after),
        hex(token.token_id.as_slice())
    );
    Ok(ExitCode::SUCCESS)
}

fn redeem(args: RedeemArgs) -> Result<ExitCode, String> {
    let digits: String = args.code.chars().filter(|c| !c.is_whitespace()).collect();
    if NumericString::from_bytes(digits.as_bytes()).is_err() {
        return Err("the code is eight digits".into());
    }
    let mut lpa = session(&args.card)?;
    let token = match mirror::redeem(&mut lpa, &digits) {
        Ok(t) => t,
        Err(MirrorError::Refused(_, code)) => return refused(code),
        Err(e) => return Err(e.to_string()),
    };
    let der = rasn::der::encode(&token).map_err(|e| e.to_string())?;
    let text = base64::engine::general_purpose::STANDARD.encode(&der);
    if args.json {
        outln!("{{\"token\":{}}}", json_str(&text));
    } else {
        outln!("{text}");
    }
    Ok(ExitCode::SUCCESS)
}

fn link_ref(args: &UpdateArgs) -> Result<Option<MirrorLinkRef>, String> {
    let Some(link) = &args.link else { return Ok(None) };
    if args.eid {
        return Ok(Some(MirrorLinkRef::SecondaryEid(eid16(link)?)));
    }
    let b: [u8; 16] = unhex(link)?.try_into().map_err(|_| "a token id has 32 hex digits".to_string())?;
    Ok(Some(MirrorLinkRef::TokenId(FixedOctetString::new(b))))
}

fn action_name(a: u8) -> &'static str {
    ["revoke", "renew", "suspend", "resume"].get(usize::from(a)).copied().unwrap_or("unknown")
}

/// `revoke`, `renew`, `suspend`, `resume` on the primary: the signed updates, printed (and
/// delivered to `--deliver` secondaries).
fn update(args: UpdateArgs, step: Step) -> Result<ExitCode, String> {
    let link = link_ref(&args)?;
    let needs_link = matches!(step, Step::Revoke | Step::Renew);
    let Some(one) = link.clone().or_else(|| (!needs_link).then(|| MirrorLinkRef::TokenId(Default::default()))) else {
        return Err(format!("{}: name the link (a token id, or a secondary EID with --eid)", step.name()));
    };
    let mut primary = session(&args.card)?;
    let answer = match step {
        Step::Revoke => mirror::revoke(&mut primary, one).map(|r| match r {
            Revoked::TokenVoided => (true, vec![]),
            Revoked::Revocation(u) => (false, vec![u]),
        }),
        Step::Renew => mirror::renew(&mut primary, one).map(|u| (false, vec![u])),
        Step::Suspend => mirror::suspend(&mut primary, link).map(|u| (false, u)),
        _ => mirror::resume(&mut primary, link).map(|u| (false, u)),
    };
    let (voided, updates) = match answer {
        Ok(a) => a,
        Err(MirrorError::Refused(_, code)) => return refused(code),
        Err(e) => return Err(e.to_string()),
    };
    primary.close().map_err(|e| e.to_string())?;
    let mut delivered: Vec<Option<u8>> = vec![None; updates.len()];
    let identity = crate::common::IdentityArgs::default();
    for dir in &args.deliver {
        let mut secondary = crate::common::AnyCard::open(Some(dir), &identity)?.es10()?;
        let eid = secondary.get_eid().map_err(|e| e.to_string())?;
        for (u, d) in updates.iter().zip(delivered.iter_mut()) {
            if u.mirror_link_update.secondary_eid.as_slice() == eid {
                *d = Some(mirror::apply(&mut secondary, u).map_err(|e| format!("{}: {e}", dir.display()))?);
            }
        }
        secondary.close().map_err(|e| e.to_string())?;
    }
    let b64 = |u: &veuicc::mirror::asn::SignedMirrorLinkUpdate| {
        rasn::der::encode(u).map(|der| base64::engine::general_purpose::STANDARD.encode(der)).map_err(|e| e.to_string())
    };
    if args.json {
        let mut items = Vec::new();
        for (u, d) in updates.iter().zip(&delivered) {
            let m = &u.mirror_link_update;
            items.push(format!(
                "{{\"action\":{},\"secondary_eid\":{},\"sequence\":{},\"renew_by\":{},\"update\":{},\"delivered\":{}}}",
                json_str(action_name(m.action)),
                json_str(&hex(m.secondary_eid.as_slice())),
                m.sequence_number,
                m.renew_by.map_or_else(|| "null".to_string(), |t| t.to_string()),
                json_str(&b64(u)?),
                d.map_or_else(|| "null".to_string(), |c| json_str(result_name(c))),
            ));
        }
        outln!("{{\"token_voided\":{voided},\"updates\":[{}]}}", items.join(","));
    } else if voided {
        outln!("token voided");
    } else if updates.is_empty() {
        outln!("no link to {}", step.name());
    } else {
        for (u, d) in updates.iter().zip(&delivered) {
            let m = &u.mirror_link_update;
            let renew = m.renew_by.map_or_else(String::new, |t| format!(", renew by {}", when(t)));
            outln!(
                "{} {} (sequence {}{renew})",
                action_name(m.action),
                hex(m.secondary_eid.as_slice()),
                m.sequence_number
            );
            match d {
                Some(code) => outln!("  delivered: {}", result_name(*code)),
                None => outln!("  deliver to the secondary: {}", b64(u)?),
            }
        }
    }
    // A delivery the secondary refused is a failure of the command.
    match delivered.iter().flatten().find(|c| **c != mirror::APPLIED) {
        Some(code) => refused(*code),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// `apply` on the secondary.
fn apply(args: ApplyArgs) -> Result<ExitCode, String> {
    let mut updates = Vec::new();
    for text in &args.updates {
        let der = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|e| format!("an update is base64 ({e})"))?;
        let u: veuicc::mirror::asn::SignedMirrorLinkUpdate =
            rasn::der::decode(&der).map_err(|e| format!("not a SignedMirrorLinkUpdate: {e}"))?;
        updates.push(u);
    }
    let mut secondary = session(&args.card)?;
    let mut results = Vec::new();
    for u in &updates {
        results.push(mirror::apply(&mut secondary, u).map_err(|e| e.to_string())?);
    }
    secondary.close().map_err(|e| e.to_string())?;
    if args.json {
        let items: Vec<String> = updates
            .iter()
            .zip(&results)
            .map(|(u, r)| {
                format!(
                    "{{\"action\":{},\"sequence\":{},\"result\":{}}}",
                    json_str(action_name(u.mirror_link_update.action)),
                    u.mirror_link_update.sequence_number,
                    json_str(result_name(*r))
                )
            })
            .collect();
        outln!("{{\"results\":[{}]}}", items.join(","));
    } else {
        for (u, r) in updates.iter().zip(&results) {
            let m = &u.mirror_link_update;
            outln!("{} (sequence {}): {}", action_name(m.action), m.sequence_number, result_name(*r));
        }
    }
    match results.iter().find(|r| **r != mirror::APPLIED) {
        Some(code) => refused(*code),
        None => Ok(ExitCode::SUCCESS),
    }
}

fn list(args: ListArgs) -> Result<ExitCode, String> {
    let req = ListMirrorLinksRequest { iccid: args.iccid.as_deref().map(iccid10).transpose()? };
    let mut lpa = session(&args.card)?;
    let links = match lpa.call::<_, ListMirrorLinksResponse>(&req).map_err(|e| e.to_string())?.0 {
        ListMirrorLinksResult::MirrorLinks(l) => l,
        ListMirrorLinksResult::MirrorError(code) => return refused(code),
    };
    let opt = |v: Option<u64>| v.map_or_else(|| "null".to_string(), |t| t.to_string());
    if args.json {
        let objects: Vec<String> = links
            .iter()
            .map(|l| {
                format!(
                    "{{\"token_id\":{},\"iccid\":{},\"secondary_eid\":{},\"class\":{},\"services\":{},\"state\":{},\
                     \"priority\":{},\"not_after\":{},\"linked_at\":{},\"renew_by\":{}}}",
                    json_str(&hex(l.token_id.as_slice())),
                    json_str(&iccid(l.iccid.as_slice())),
                    l.secondary_eid.as_ref().map_or_else(|| "null".to_string(), |e| json_str(&hex(e.as_slice()))),
                    l.device_class.map_or_else(|| "null".to_string(), |c| json_str(&name_of(&DEVICE_CLASS_NAMES, c))),
                    services_json(services_of(&l.services).unwrap_or(0)),
                    json_str(&name_of(&LINK_STATE_NAMES, l.state)),
                    l.priority.map_or_else(|| "null".to_string(), |p| json_str(&name_of(&PRIORITY_NAMES, p))),
                    l.not_after,
                    opt(l.linked_at),
                    opt(l.renew_by),
                )
            })
            .collect();
        outln!("[{}]", objects.join(","));
    } else if links.is_empty() {
        outln!("no mirror tokens or links");
    } else {
        outln!(
            "{:<20}  {:<32}  {:<8}  {:<11}  {:<15}  {:<16}  renew by",
            "ICCID",
            "secondary",
            "class",
            "state",
            "services",
            "token until"
        );
        for l in &links {
            outln!(
                "{:<20}  {:<32}  {:<8}  {:<11}  {:<15}  {:<16}  {}",
                iccid(l.iccid.as_slice()),
                l.secondary_eid.as_ref().map_or_else(|| "-".to_string(), |e| hex(e.as_slice())),
                l.device_class.map_or_else(|| "-".to_string(), |c| name_of(&DEVICE_CLASS_NAMES, c)),
                name_of(&LINK_STATE_NAMES, l.state),
                services_text(services_of(&l.services).unwrap_or(0)),
                when(l.not_after).trim_end_matches(" UTC"),
                l.renew_by.map_or_else(|| "-".to_string(), when),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn info(args: ListArgs) -> Result<ExitCode, String> {
    let req = GetMirrorInfoRequest { iccid: args.iccid.as_deref().map(iccid10).transpose()? };
    let mut lpa = session(&args.card)?;
    let profiles = match lpa.call::<_, GetMirrorInfoResponse>(&req).map_err(|e| e.to_string())?.0 {
        GetMirrorInfoResult::MirrorProfiles(p) => p,
        GetMirrorInfoResult::MirrorError(code) => return refused(code),
    };
    let max = |m: MaxInstances| match m {
        MaxInstances::Limited(n) => n.to_string(),
        MaxInstances::Unlimited(()) => "unlimited".into(),
    };
    // JSON: a number, or the string "unlimited".
    let max_json = |m: MaxInstances| match m {
        MaxInstances::Limited(n) => n.to_string(),
        MaxInstances::Unlimited(()) => json_str("unlimited"),
    };
    if args.json {
        let objects: Vec<String> = profiles
            .iter()
            .map(|p| {
                let policy = p.policy.as_ref().map_or_else(
                    || "null".to_string(),
                    |pol| {
                        format!(
                            "{{\"max_instances\":{},\"services\":{},\"max_token_validity\":{},\"reauth_interval\":{},\
                             \"transfer_allowed\":{},\"suspend_while_roaming\":{}}}",
                            max_json(pol.max_instances),
                            services_json(services_of(&pol.services).unwrap_or(0)),
                            pol.max_token_validity,
                            pol.reauth_interval,
                            pol.transfer_allowed,
                            pol.suspend_while_roaming
                        )
                    },
                );
                let instance = p.instance.as_ref().map_or_else(
                    || "null".to_string(),
                    |i| {
                        format!(
                            "{{\"source_eid\":{},\"token_id\":{},\"services\":{},\"state\":{},\"renew_by\":{},\
                             \"class\":{}}}",
                            json_str(&hex(i.source_eid.as_slice())),
                            json_str(&hex(i.token_id.as_slice())),
                            services_json(services_of(&i.services).unwrap_or(0)),
                            json_str(&name_of(&LINK_STATE_NAMES, i.state)),
                            i.renew_by,
                            i.device_class
                                .map_or_else(|| "null".to_string(), |c| json_str(&name_of(&DEVICE_CLASS_NAMES, c)))
                        )
                    },
                );
                format!(
                    "{{\"iccid\":{},\"role\":{},\"policy\":{policy},\"live_instances\":{},\"instance\":{instance}}}",
                    json_str(&iccid(p.iccid.as_slice())),
                    json_str(&name_of(&ROLE_NAMES, p.role)),
                    p.live_instances.map_or_else(|| "null".to_string(), |n| n.to_string())
                )
            })
            .collect();
        outln!("[{}]", objects.join(","));
    } else if profiles.is_empty() {
        outln!("no profiles");
    } else {
        for p in &profiles {
            let policy = p.policy.as_ref().map_or_else(
                || "not mirrorable".to_string(),
                |pol| {
                    format!(
                        "max {} ({} live), {}, tokens ≤ {} s, reauth {} d{}",
                        max(pol.max_instances),
                        p.live_instances.unwrap_or(0),
                        services_text(services_of(&pol.services).unwrap_or(0)),
                        pol.max_token_validity,
                        pol.reauth_interval / 86400,
                        if pol.suspend_while_roaming { ", suspended while roaming" } else { "" }
                    )
                },
            );
            outln!("{:<20}  {:<9}  {policy}", iccid(p.iccid.as_slice()), name_of(&ROLE_NAMES, p.role));
            if let Some(i) = &p.instance {
                outln!(
                    "{:<20}  mirror of {}: {}, {}, renew by {}",
                    "",
                    hex(i.source_eid.as_slice()),
                    name_of(&LINK_STATE_NAMES, i.state),
                    services_text(services_of(&i.services).unwrap_or(0)),
                    when(i.renew_by)
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A step's refusal: `veuicc: <step>: <result name> (<code>)`, exit 1.
fn refused_at(step: &str, code: u8) -> Result<ExitCode, String> {
    errln!("veuicc: {step}: {} ({code})", result_name(code));
    Ok(ExitCode::from(1))
}

/// A pairing step that stopped: a refusal or a failed install exits 1, anything else 2.
fn failed(e: MirrorError) -> Result<ExitCode, String> {
    match e {
        MirrorError::Refused(step, code) => refused_at(step.name(), code),
        MirrorError::InstallFailed(command, reason) => {
            errln!("veuicc: install: bppCommandId {command} errorReason {reason}");
            Ok(ExitCode::from(1))
        }
        e => Err(e.to_string()),
    }
}

fn pair(args: PairArgs) -> Result<ExitCode, String> {
    let services = veuicc::testkit::smdp::parse_services(&args.services)?;
    let validity = veuicc::testkit::smdp::parse_duration(&args.valid)?;
    let device_class = args.class.as_deref().map(|c| named(&DEVICE_CLASS_NAMES, c, "a device class")).transpose()?;
    let priority = args.priority.as_deref().map(|p| named(&PRIORITY_NAMES, p, "a priority")).transpose()?;
    let identity = crate::common::IdentityArgs::default();
    let mut primary = crate::common::AnyCard::open(Some(&args.primary), &identity)?.es10()?;
    let mut secondary = crate::common::AnyCard::open(Some(&args.secondary), &identity)?.es10()?;
    let secondary_eid = secondary.get_eid().map_err(|e| e.to_string())?;
    let req = IssueMirrorTokenRequest {
        iccid: iccid10(&args.iccid)?,
        mode: mode::MIRROR,
        services: services_bits(services),
        validity,
        target_eid: Some(FixedOctetString::new(secondary_eid)),
        device_class,
        priority,
    };
    let paired = match mirror::pair(&mut primary, &mut secondary, &req) {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    primary.close().map_err(|e| e.to_string())?;
    secondary.close().map_err(|e| e.to_string())?;
    let token_id = hex(paired.token.mirror_token.token_id.as_slice());
    let link = &paired.link;
    let opt = |v: Option<u64>| v.map_or_else(|| "null".to_string(), |t| t.to_string());
    if args.json {
        outln!(
            "{{\"token_id\":{},\"iccid\":{},\"secondary_eid\":{},\"package_bytes\":{},\"state\":{},\"linked_at\":{},\"renew_by\":{}}}",
            json_str(&token_id),
            json_str(&iccid(link.iccid.as_slice())),
            json_str(&hex(&secondary_eid)),
            paired.package_len,
            json_str(&name_of(&LINK_STATE_NAMES, link.state)),
            opt(link.linked_at),
            opt(link.renew_by),
        );
    } else {
        outln!(
            "primary:   token {token_id} for {}, valid until {}",
            hex(&secondary_eid),
            when(paired.token.mirror_token.not_after)
        );
        let ot_pk = &paired.request.mirror_request.ot_pk;
        outln!("secondary: mirror request signed (one-time key {}…)", hex(ot_pk.get(..9).unwrap_or_default()));
        outln!("primary:   mirror package, {} bytes", paired.package_len);
        outln!("secondary: installed {} in {} commands", args.iccid, paired.install_commands);
        outln!(
            "primary:   link {}, renew by {}",
            name_of(&LINK_STATE_NAMES, link.state),
            link.renew_by.map_or_else(|| "-".to_string(), when)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The QR code of `text` as a grayscale PNG in `file`: 8 px a module, a quiet zone of 4
/// modules. Its side in pixels.
fn write_png(text: &str, file: &std::path::Path) -> Result<u32, String> {
    const PX: usize = 8;
    const QUIET: usize = 4;
    let qr = qrcode::QrCode::new(text.as_bytes()).map_err(|e| format!("QR code: {e}"))?;
    let modules = qr.width();
    let side = (modules + 2 * QUIET) * PX;
    let mut pixels = vec![0xFF_u8; side * side];
    let colors = qr.to_colors();
    for (y, row) in colors.chunks(modules.max(1)).enumerate() {
        for (x, color) in row.iter().enumerate() {
            if *color != qrcode::Color::Dark {
                continue;
            }
            for dy in 0..PX {
                let start = ((y + QUIET) * PX + dy) * side + (x + QUIET) * PX;
                if let Some(run) = pixels.get_mut(start..start + PX) {
                    run.fill(0);
                }
            }
        }
    }
    let side = u32::try_from(side).map_err(|_| "QR code: too large".to_string())?;
    let write = |e: png::EncodingError| format!("{}: {e}", file.display());
    let out = std::fs::File::create(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(out), side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(write)?;
    writer.write_image_data(&pixels).map_err(write)?;
    writer.finish().map_err(write)?;
    Ok(side)
}

/// Base64 `text` decoded as a `what` (DER): malformed input is an error (exit 2).
fn from_base64<T: rasn::Decode>(text: &str, what: &str) -> Result<T, String> {
    let der = base64_bytes(text, what)?;
    rasn::der::decode(&der).map_err(|e| format!("not a {what}: {e}"))
}

fn base64_bytes(text: &str, what: &str) -> Result<Vec<u8>, String> {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if text.is_empty() {
        return Err(format!("no {what}: it is base64 text"));
    }
    base64::engine::general_purpose::STANDARD.decode(text).map_err(|e| format!("the {what} is base64 ({e})"))
}

fn to_base64<T: rasn::Encode>(value: &T) -> Result<String, String> {
    rasn::der::encode(value).map(|der| base64::engine::general_purpose::STANDARD.encode(der)).map_err(|e| e.to_string())
}

/// How long `join --package FILE` waits for the file.
const PACKAGE_WAIT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// `text` (base64, maybe across lines) as a whole mirror package, once it holds one.
fn whole_package(text: &str) -> Option<Vec<u8>> {
    let bpp = base64_bytes(text, "mirror package").ok()?;
    veuicc::testkit::es9_lpa::bpp_commands(&bpp).is_ok().then_some(bpp)
}

/// The mirror package, base64: from stdin — one line, or lines (a terminal takes at most 4 KiB
/// a line, so `export` wraps its output there) up to a whole package, a line ending in `=`, an
/// empty line or the end —, or from `file` once it holds a whole package (a final newline, or
/// text that decodes as one).
fn read_package(file: Option<&std::path::Path>) -> Result<Vec<u8>, String> {
    const WHAT: &str = "mirror package";
    let Some(file) = file else {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            let n = std::io::stdin().read_line(&mut line).map_err(|e| format!("standard input: {e}"))?;
            let line = line.trim();
            if n == 0 || (line.is_empty() && !text.is_empty()) {
                break;
            }
            text.push_str(line);
            let base64 = line.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b));
            if !base64 || line.ends_with('=') || whole_package(&text).is_some() {
                break;
            }
        }
        if text.is_empty() {
            return Err("no mirror package on standard input".into());
        }
        return base64_bytes(&text, WHAT);
    };
    let deadline = std::time::Instant::now() + PACKAGE_WAIT;
    loop {
        match std::fs::read_to_string(file) {
            Ok(text) if text.ends_with('\n') => return base64_bytes(&text, WHAT),
            Ok(text) => {
                // Written without a final newline: take it once it is a whole package.
                if let Some(bpp) = whole_package(&text) {
                    return Ok(bpp);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", file.display())),
        }
        if std::time::Instant::now() >= deadline {
            return Err(format!("{}: no mirror package after {} min", file.display(), PACKAGE_WAIT.as_secs() / 60));
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// `join` on the secondary: Begin, the request out, the package in, the install, the result
/// out — one process, one card session.
fn join(args: JoinArgs) -> Result<ExitCode, String> {
    let identity = crate::common::IdentityArgs::default();
    let token: veuicc::mirror::asn::SignedMirrorToken = match (&args.token, &args.code, &args.primary) {
        (Some(text), _, _) => from_base64(text, "SignedMirrorToken")?,
        (None, Some(code), Some(dir)) => {
            let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
            if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("{code}: the code is eight digits"));
            }
            let mut primary = crate::common::AnyCard::open(Some(dir), &identity)?.es10()?;
            let token = match mirror::redeem(&mut primary, &digits) {
                Ok(t) => t,
                Err(e) => return failed(e),
            };
            // Closed before the secondary's session: `export` opens the primary again.
            primary.close().map_err(|e| e.to_string())?;
            token
        }
        _ => return Err("join takes a token (base64) or --code with --primary".into()),
    };
    let mut secondary = session(&args.card)?;
    let request = match mirror::begin(&mut secondary, &token) {
        Ok(r) => r,
        Err(e) => {
            if let (MirrorError::Refused(..), Some(dir)) = (&e, &args.primary) {
                // A local primary: the token is voided, as `pair` does, so it holds no place.
                let mut primary = crate::common::AnyCard::open(Some(dir), &identity)?.es10()?;
                mirror::void(&mut primary, &token);
                primary.close().map_err(|e| e.to_string())?;
            }
            return failed(e);
        }
    };
    let text = to_base64(&request)?;
    if args.json {
        outln!("{{\"request\":{}}}", json_str(&text));
    } else {
        outln!("{text}");
    }
    let iccid_text = iccid(token.mirror_token.iccid.as_slice());
    match &args.package {
        Some(file) => errln!(
            "secondary: mirror request for {iccid_text} above; on the primary: veuicc mirror export REQUEST\n\
             secondary: waiting for the mirror package in {} …",
            file.display()
        ),
        None => errln!(
            "secondary: mirror request for {iccid_text} above; on the primary: veuicc mirror export REQUEST\n\
             secondary: paste the mirror package, then Enter:"
        ),
    }
    let bpp = read_package(args.package.as_deref())?;
    let (pir, commands) = match mirror::install(&mut secondary, &bpp) {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    secondary.close().map_err(|e| e.to_string())?;
    let result = base64::engine::general_purpose::STANDARD.encode(&pir);
    if args.json {
        outln!("{{\"result\":{}}}", json_str(&result));
    } else {
        outln!("{result}");
    }
    errln!("secondary: installed {iccid_text} in {commands} commands; on the primary: veuicc mirror confirm RESULT");
    Ok(ExitCode::SUCCESS)
}

/// `export` on the primary.
fn export(args: ExportArgs) -> Result<ExitCode, String> {
    let request: veuicc::mirror::asn::SignedMirrorRequest = from_base64(&args.request, "SignedMirrorRequest")?;
    let mut primary = session(&args.card)?;
    let bpp = match mirror::export(&mut primary, &request) {
        Ok(b) => b,
        Err(e) => return failed(e),
    };
    primary.close().map_err(|e| e.to_string())?;
    let text = base64::engine::general_purpose::STANDARD.encode(&bpp);
    let eid = hex(request.mirror_request.secondary_eid.as_slice());
    if args.json {
        outln!(
            "{{\"package\":{},\"package_bytes\":{},\"secondary_eid\":{}}}",
            json_str(&text),
            bpp.len(),
            json_str(&eid)
        );
    } else if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        // A terminal line takes 4 KiB at most: wrapped for pasting into `join`.
        let bytes = text.as_bytes();
        for chunk in bytes.chunks(76) {
            outln!("{}", String::from_utf8_lossy(chunk));
        }
        errln!("primary: mirror package, {} bytes, for {eid}: paste it into the secondary's join", bpp.len());
    } else {
        outln!("{text}");
        errln!("primary: mirror package, {} bytes, for {eid}: give it to the secondary's join", bpp.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// `confirm` on the primary.
fn confirm(args: ConfirmArgs) -> Result<ExitCode, String> {
    let pir = base64_bytes(&args.result, "ProfileInstallationResult")?;
    rasn::der::decode::<veuicc::asn1::download::ProfileInstallationResult>(&pir)
        .map_err(|e| format!("not a ProfileInstallationResult: {e}"))?;
    let mut primary = session(&args.card)?;
    let link = match mirror::confirm(&mut primary, &pir) {
        Ok(l) => l,
        Err(e) => return failed(e),
    };
    primary.close().map_err(|e| e.to_string())?;
    let token_id = hex(link.token_id.as_slice());
    let eid = link.secondary_eid.as_ref().map(|e| hex(e.as_slice()));
    let opt = |v: Option<u64>| v.map_or_else(|| "null".to_string(), |t| t.to_string());
    if args.json {
        outln!(
            "{{\"token_id\":{},\"iccid\":{},\"secondary_eid\":{},\"class\":{},\"state\":{},\"linked_at\":{},\"renew_by\":{}}}",
            json_str(&token_id),
            json_str(&iccid(link.iccid.as_slice())),
            eid.as_deref().map_or_else(|| "null".to_string(), json_str),
            link.device_class.map_or_else(|| "null".to_string(), |c| json_str(&name_of(&DEVICE_CLASS_NAMES, c))),
            json_str(&name_of(&LINK_STATE_NAMES, link.state)),
            opt(link.linked_at),
            opt(link.renew_by),
        );
    } else {
        outln!(
            "primary:   link {} for {} on {} (token {token_id}), renew by {}",
            name_of(&LINK_STATE_NAMES, link.state),
            iccid(link.iccid.as_slice()),
            eid.as_deref().unwrap_or("-"),
            link.renew_by.map_or_else(|| "-".to_string(), when)
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::when(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::when(1_796_083_200), "2026-12-01 00:00 UTC");
        assert_eq!(super::when(951_782_400 + 3660), "2000-02-29 01:01 UTC");
    }
}
