//! `veuicc mirror …`: the mirror functions of a card (its private-class `FF40` … commands) as an
//! LPA drives them, over APDUs: `issue` (a token as a QR code, its base64 text and its numeric
//! code), `redeem` (the token a code names), `revoke`, `list` (linked devices) and `info` (each
//! profile's role and policy), and `pair` (the whole pairing of two local cards: Issue on the
//! primary, Begin on the secondary, Export, the install of the mirror package in lpac's
//! segments, Confirm — each step printed). `--json` on each.
//!
//! Exit 0 on success; 1 with the result name of `Mirror.asn` (`veuicc: instancesExceeded (2)`); 2 for
//! bad arguments.

use crate::common::{hex, json_str, unhex};
use crate::lpa::{CardArgs, iccid_bytes, session};
use crate::state::iccid;
use base64::Engine;
use rasn::types::{FixedOctetString, NumericString};
use std::process::ExitCode;
use veuicc::mirror::asn::{
    DEVICE_CLASS_NAMES, GetMirrorInfoRequest, GetMirrorInfoResponse, GetMirrorInfoResult, IssueMirrorTokenRequest,
    IssueMirrorTokenResponse, IssueMirrorTokenResult, LINK_STATE_NAMES, ListMirrorLinksRequest,
    ListMirrorLinksResponse, ListMirrorLinksResult, MaxInstances, MirrorLinkRef, PRIORITY_NAMES, ROLE_NAMES,
    RedeemMirrorCodeRequest, RedeemMirrorCodeResponse, RedeemMirrorCodeResult, RevokeMirrorRequest,
    RevokeMirrorResponse, RevokeMirrorResult, mode, name_of, result_name, service, services_bits, services_of,
};

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
    /// Revoke a token or a link by token id (32 hex digits) or secondary EID (RevokeMirror).
    Revoke(RevokeArgs),
    /// The linked devices and outstanding tokens (ListMirrorLinks).
    List(ListArgs),
    /// Each profile's mirror role, policy and live instances (GetMirrorInfo).
    Info(ListArgs),
    /// Pair two local cards: a token for the secondary, BeginMirror, ExportMirror, the mirror
    /// package through LoadBoundProfilePackage, ConfirmMirror.
    Pair(PairArgs),
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
struct RevokeArgs {
    #[command(flatten)]
    card: CardArgs,
    /// Token id (32 hex digits) or secondary EID (32 decimal digits, with `--eid`).
    link: String,
    /// The argument is the secondary's EID.
    #[arg(long)]
    eid: bool,
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
        Sub::Revoke(a) => revoke(a),
        Sub::List(a) => list(a),
        Sub::Info(a) => info(a),
        Sub::Pair(a) => pair(a),
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
    let numeric_code = NumericString::from_bytes(digits.as_bytes()).map_err(|_| "the code is eight digits")?;
    let mut lpa = session(&args.card)?;
    let token = match lpa
        .call::<_, RedeemMirrorCodeResponse>(&RedeemMirrorCodeRequest { numeric_code, iccid: None })
        .map_err(|e| e.to_string())?
        .0
    {
        RedeemMirrorCodeResult::SignedMirrorToken(t) => t,
        RedeemMirrorCodeResult::MirrorError(code) => return refused(code),
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

fn revoke(args: RevokeArgs) -> Result<ExitCode, String> {
    let link = if args.eid {
        MirrorLinkRef::SecondaryEid(eid16(&args.link)?)
    } else {
        let b: [u8; 16] = unhex(&args.link)?.try_into().map_err(|_| "a token id has 32 hex digits".to_string())?;
        MirrorLinkRef::TokenId(FixedOctetString::new(b))
    };
    let mut lpa = session(&args.card)?;
    match lpa.call::<_, RevokeMirrorResponse>(&RevokeMirrorRequest { link }).map_err(|e| e.to_string())?.0 {
        RevokeMirrorResult::TokenVoided(()) => outln!("token voided"),
        RevokeMirrorResult::Revocation(r) => {
            let der = rasn::der::encode(&r).map_err(|e| e.to_string())?;
            outln!("revoked; deliver to the secondary: {}", base64::engine::general_purpose::STANDARD.encode(der));
        }
        RevokeMirrorResult::MirrorError(code) => return refused(code),
    }
    Ok(ExitCode::SUCCESS)
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
                format!(
                    "{{\"iccid\":{},\"role\":{},\"policy\":{policy},\"live_instances\":{}}}",
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
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A step's refusal: `veuicc: <step>: <result name> (<code>)`, exit 1.
fn refused_at(step: &str, code: u8) -> Result<ExitCode, String> {
    errln!("veuicc: {step}: {} ({code})", result_name(code));
    Ok(ExitCode::from(1))
}

fn pair(args: PairArgs) -> Result<ExitCode, String> {
    use veuicc::asn1::download::{FinalResult, ProfileInstallationResult, ProfileInstallationResultData};
    use veuicc::mirror::asn::{
        BeginMirrorRequest, BeginMirrorResponse, BeginMirrorResult, ConfirmMirrorRequest, ConfirmMirrorResponse,
        ConfirmMirrorResult, ExportMirrorRequest, ExportMirrorResponse, ExportMirrorResult,
    };
    let services = veuicc::testkit::smdp::parse_services(&args.services)?;
    let validity = veuicc::testkit::smdp::parse_duration(&args.valid)?;
    let device_class = args.class.as_deref().map(|c| named(&DEVICE_CLASS_NAMES, c, "a device class")).transpose()?;
    let priority = args.priority.as_deref().map(|p| named(&PRIORITY_NAMES, p, "a priority")).transpose()?;
    let identity = crate::common::IdentityArgs::default();
    let mut primary = crate::common::AnyCard::open(Some(&args.primary), &identity)?.es10()?;
    let mut secondary = crate::common::AnyCard::open(Some(&args.secondary), &identity)?.es10()?;
    let say = |line: String| {
        if !args.json {
            outln!("{line}");
        }
    };
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
    let token = match primary.call::<_, IssueMirrorTokenResponse>(&req).map_err(|e| e.to_string())?.0 {
        IssueMirrorTokenResult::Issued(t) => t.signed_mirror_token,
        IssueMirrorTokenResult::MirrorError(code) => return refused_at("issue", code),
    };
    let token_id = hex(token.mirror_token.token_id.as_slice());
    say(format!(
        "primary:   token {token_id} for {}, valid until {}",
        hex(&secondary_eid),
        when(token.mirror_token.not_after)
    ));
    // A token the secondary refuses is voided at once: it would count against maxInstances.
    let void = |lpa: &mut veuicc::testkit::Es10Client<crate::common::AnyCard>, id| {
        let req = RevokeMirrorRequest { link: MirrorLinkRef::TokenId(id) };
        let _ = lpa.call::<_, RevokeMirrorResponse>(&req);
    };
    let id = token.mirror_token.token_id;
    let begin = BeginMirrorRequest { signed_mirror_token: token };
    let request = match secondary.call::<_, BeginMirrorResponse>(&begin).map_err(|e| e.to_string())?.0 {
        BeginMirrorResult::SignedMirrorRequest(r) => r,
        BeginMirrorResult::MirrorError(code) => {
            void(&mut primary, id);
            return refused_at("begin", code);
        }
    };
    say(format!(
        "secondary: mirror request signed (one-time key {}…)",
        hex(request.mirror_request.ot_pk.get(..9).unwrap_or_default())
    ));
    let export = ExportMirrorRequest { signed_mirror_request: request };
    let bpp = match primary.call::<_, ExportMirrorResponse>(&export).map_err(|e| e.to_string())?.0 {
        ExportMirrorResult::BoundProfilePackage(b) => b.to_vec(),
        ExportMirrorResult::MirrorError(code) => return refused_at("export", code),
    };
    say(format!("primary:   mirror package, {} bytes", bpp.len()));
    let commands = veuicc::testkit::es9_lpa::bpp_commands(&bpp)?;
    let mut pir = Vec::new();
    for command in &commands {
        pir = secondary.store_data(command).map_err(|e| format!("install: {e}"))?;
        if !pir.is_empty() {
            break;
        }
    }
    let result: ProfileInstallationResult =
        rasn::der::decode(&pir).map_err(|e| format!("install: no installation result: {e}"))?;
    let data: ProfileInstallationResultData = rasn::der::decode(result.profile_installation_result_data.as_bytes())
        .map_err(|e| format!("install: installation result: {e}"))?;
    if let FinalResult::Error(e) = &data.final_result {
        errln!("veuicc: install: bppCommandId {} errorReason {}", e.bpp_command_id, e.error_reason);
        return Ok(ExitCode::from(1));
    }
    say(format!("secondary: installed {} in {} commands", args.iccid, commands.len()));
    let confirm = ConfirmMirrorRequest { profile_installation_result: pir.into() };
    let link = match primary.call::<_, ConfirmMirrorResponse>(&confirm).map_err(|e| e.to_string())?.0 {
        ConfirmMirrorResult::MirrorLink(l) => l,
        ConfirmMirrorResult::MirrorError(code) => return refused_at("confirm", code),
    };
    primary.close().map_err(|e| e.to_string())?;
    secondary.close().map_err(|e| e.to_string())?;
    let opt = |v: Option<u64>| v.map_or_else(|| "null".to_string(), |t| t.to_string());
    if args.json {
        outln!(
            "{{\"token_id\":{},\"iccid\":{},\"secondary_eid\":{},\"package_bytes\":{},\"state\":{},\"linked_at\":{},\"renew_by\":{}}}",
            json_str(&token_id),
            json_str(&iccid(link.iccid.as_slice())),
            json_str(&hex(&secondary_eid)),
            bpp.len(),
            json_str(&name_of(&LINK_STATE_NAMES, link.state)),
            opt(link.linked_at),
            opt(link.renew_by),
        );
    } else {
        outln!(
            "primary:   link {}, renew by {}",
            name_of(&LINK_STATE_NAMES, link.state),
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
