//! Local profile management like an LPA does it, over APDUs to the card:
//! `profiles`, `enable`, `disable`, `delete`, `nickname`, `notifications`, `memory-reset`.
//!
//! Exit 0 on success; 1 with the SGP.22 result name (e.g. `profileNotInDisabledState`)
//! or the status word otherwise; 2 for bad arguments.

use crate::common::{AnyCard, IdentityArgs, hex, json_str};
use crate::state::iccid;
use std::path::PathBuf;
use std::process::ExitCode;
use veuicc::asn1::rsp::{ProfileIdentifier, ProfileInfoListRequest, ProfileInfoListResult};
use veuicc::testkit::{ClientError, Es10Client, Transport};

/// Where the card's state lives.
#[derive(Debug, clap::Args)]
pub(crate) struct CardArgs {
    /// Directory holding the card's persistent state.
    #[arg(long)]
    pub(crate) state: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) identity: IdentityArgs,
}

/// `veuicc enable|disable|delete ICCID`.
#[derive(Debug, clap::Args)]
pub(crate) struct ProfileArgs {
    #[command(flatten)]
    card: CardArgs,
    /// ICCID as printed (e.g. 8900012345678901234) or the ISD-P AID (32 hex digits).
    profile: String,
    /// Ask the card to refresh (enable/disable only).
    #[arg(long)]
    refresh: bool,
    /// Enable on this eSIM port: a MEP-A1 card (`--mep a1`, ports 1 and up) is told the port
    /// (`targetEsimPort`); on a MEP-B card (`--mep b`, ports 0 and up) the command goes to that
    /// port (MANAGE LSI selects it), as a MEP-B device sends it on the target port.
    #[arg(long, value_name = "N")]
    port: Option<u8>,
}

/// `veuicc profiles`.
#[derive(Debug, clap::Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    card: CardArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `veuicc nickname ICCID TEXT`.
#[derive(Debug, clap::Args)]
pub(crate) struct NicknameArgs {
    #[command(flatten)]
    card: CardArgs,
    /// ICCID as printed.
    iccid: String,
    /// The nickname (empty removes it).
    text: String,
}

/// `veuicc notifications [--remove SEQ]`.
#[derive(Debug, clap::Args)]
pub(crate) struct NotificationArgs {
    #[command(flatten)]
    card: CardArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Remove the notification with this sequence number (RemoveNotificationFromList).
    #[arg(long)]
    remove: Option<u64>,
    /// Send every pending notification to its SM-DP+ (ES9+ handleNotification over HTTPS) and
    /// remove the ones it took.
    #[cfg(feature = "lpa-http")]
    #[arg(long, conflicts_with = "remove")]
    send: bool,
    /// With --send: trust these CA certificates (PEM or DER) too, besides the card's CIs.
    #[cfg(feature = "lpa-http")]
    #[arg(long, value_name = "FILE", requires = "send")]
    smdp_ca: Vec<PathBuf>,
    /// With --send: do not check the SM-DP+'s TLS certificate.
    #[cfg(feature = "lpa-http")]
    #[arg(long, requires = "send")]
    insecure: bool,
    /// With --send: plain HTTP.
    #[cfg(feature = "lpa-http")]
    #[arg(long, requires = "send", conflicts_with = "insecure")]
    plain_http: bool,
}

/// `veuicc memory-reset`.
#[derive(Debug, clap::Args)]
pub(crate) struct ResetArgs {
    #[command(flatten)]
    card: CardArgs,
    /// Delete operational profiles.
    #[arg(long)]
    operational: bool,
    /// Delete field-loaded test profiles.
    #[arg(long)]
    test: bool,
    /// Reset the default SM-DP+ address.
    #[arg(long)]
    default_address: bool,
}

/// The EF.ICCID bytes of a printed ICCID: digits nibble-swapped, padded with `F`.
pub(crate) fn iccid_bytes(printed: &str) -> Result<Vec<u8>, String> {
    if !(18..=20).contains(&printed.len()) || !printed.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{printed:?}: an ICCID has 18 to 20 digits"));
    }
    let mut nibbles: Vec<u8> = printed.bytes().map(|b| b - b'0').collect();
    nibbles.resize(20, 0x0F);
    Ok(nibbles
        .chunks_exact(2)
        .map(|p| match p {
            [lo, hi] => (hi << 4) | lo,
            _ => 0xFF,
        })
        .collect())
}

pub(crate) fn identifier(text: &str) -> Result<ProfileIdentifier, String> {
    if text.len() == 32 {
        let aid = crate::common::unhex(text)?;
        return Ok(ProfileIdentifier::IsdpAid(aid.into()));
    }
    Ok(ProfileIdentifier::Iccid(iccid_bytes(text)?.into()))
}

pub(crate) fn session(card: &CardArgs) -> Result<Es10Client<AnyCard>, String> {
    let card = AnyCard::open(card.state.as_ref(), &card.identity)?;
    card.es10()
}

fn outcome(result: Result<rasn::types::Integer, ClientError>, names: &[(i32, &str)]) -> Result<ExitCode, String> {
    let code = result.map_err(|e| e.to_string())?;
    let code = i32::try_from(&code).unwrap_or(-1);
    let name = names.iter().find(|(c, _)| *c == code).map_or("undefinedError", |(_, n)| n);
    if code == 0 {
        outln!("ok");
        Ok(ExitCode::SUCCESS)
    } else {
        errln!("veuicc: {name} ({code})");
        Ok(ExitCode::from(1))
    }
}

const ENABLE: &[(i32, &str)] = &[
    (0, "ok"),
    (1, "iccidOrAidNotFound"),
    (2, "profileNotInDisabledState"),
    (3, "disallowedByPolicy"),
    (4, "wrongProfileReenabling"),
    (5, "catBusy"),
    (7, "commandError"),
    (10, "noEsimPortAvailable"),
];
const DISABLE: &[(i32, &str)] =
    &[(0, "ok"), (1, "iccidOrAidNotFound"), (2, "profileNotInEnabledState"), (3, "disallowedByPolicy"), (5, "catBusy")];
const DELETE: &[(i32, &str)] =
    &[(0, "ok"), (1, "iccidOrAidNotFound"), (2, "profileNotInDisabledState"), (3, "disallowedByPolicy")];

pub(crate) fn enable(args: ProfileArgs) -> Result<ExitCode, String> {
    use veuicc::asn1::rsp::{EnableProfileRequest, EnableProfileResponse};
    let id = identifier(&args.profile)?;
    let mut card = AnyCard::open(args.card.state.as_ref(), &args.card.identity)?;
    let mep_b = card.config().mep().is_some_and(|m| m.mode == veuicc::config::MepMode::B);
    let request = match args.port {
        Some(port) if mep_b => {
            // MANAGE LSI, select LSI `port`: the ES10 session below runs on that port.
            let r = card.transmit(&[0x80, 0x7C, 0x00, port]);
            if r != [0x90, 0x00] {
                return Err(format!("the card has no eSIM port {port} (MANAGE LSI answered {})", hex(&r)));
            }
            EnableProfileRequest::new(id, args.refresh)
        }
        Some(port) => EnableProfileRequest::on_port(id, args.refresh, port),
        None => EnableProfileRequest::new(id, args.refresh),
    };
    let answer = card.es10()?.call::<_, EnableProfileResponse>(&request);
    // A MEP card names the port it enabled the profile on.
    let port = answer.as_ref().ok().and_then(|r| r.target_esim_port.as_ref()).and_then(|p| u8::try_from(p).ok());
    let code = outcome(answer.map(|r| r.enable_result), ENABLE)?;
    if let Some(port) = port {
        outln!("port {port}");
    }
    Ok(code)
}

pub(crate) fn disable(args: ProfileArgs) -> Result<ExitCode, String> {
    let id = identifier(&args.profile)?;
    outcome(session(&args.card)?.disable_profile(id, args.refresh), DISABLE)
}

pub(crate) fn delete(args: ProfileArgs) -> Result<ExitCode, String> {
    let id = identifier(&args.profile)?;
    outcome(session(&args.card)?.delete_profile(id), DELETE)
}

pub(crate) fn nickname(args: NicknameArgs) -> Result<ExitCode, String> {
    let iccid = iccid_bytes(&args.iccid)?;
    outcome(session(&args.card)?.set_nickname(&iccid, &args.text), &[(0, "ok"), (1, "iccidNotFound")])
}

pub(crate) fn memory_reset(args: ResetArgs) -> Result<ExitCode, String> {
    let options: Vec<usize> = [(args.operational, 0), (args.test, 1), (args.default_address, 2)]
        .into_iter()
        .filter_map(|(on, bit)| on.then_some(bit))
        .collect();
    outcome(session(&args.card)?.memory_reset(&options), &[(0, "ok"), (1, "nothingToDelete"), (5, "catBusy")])
}

fn class_name(code: Option<i32>) -> &'static str {
    match code {
        Some(0) => "test",
        Some(1) => "provisioning",
        Some(2) => "operational",
        _ => "unknown",
    }
}

pub(crate) fn profiles(args: ListArgs) -> Result<ExitCode, String> {
    let mut lpa = session(&args.card)?;
    let list = match lpa.get_profiles_info(&ProfileInfoListRequest::default()).map_err(|e| e.to_string())?.0 {
        ProfileInfoListResult::ProfileInfoListOk(list) => list,
        ProfileInfoListResult::ProfileInfoListError(code) => return Err(format!("profileInfoListError {code}")),
    };
    let int = |v: &Option<rasn::types::Integer>| v.as_ref().and_then(|i| i32::try_from(i).ok());
    // The eSIM port of each enabled profile: a MEP card's enabledOnEsimPort, else port 0.
    let ports: Vec<Option<i32>> = list
        .iter()
        .map(|p| match (int(&p.profile_state), int(&p.enabled_on_esim_port)) {
            (Some(1), port) => Some(port.unwrap_or(0)),
            _ => None,
        })
        .collect();
    let mep = list.iter().any(|p| p.enabled_on_esim_port.is_some());
    let rows: Vec<[String; 7]> = list
        .iter()
        .map(|p| {
            [
                p.iccid.as_ref().map(|i| iccid(i.as_slice())).unwrap_or_default(),
                p.isdp_aid.as_ref().map(|a| hex(a)).unwrap_or_default(),
                if int(&p.profile_state) == Some(1) { "enabled" } else { "disabled" }.to_string(),
                p.profile_nickname.clone().unwrap_or_default(),
                p.service_provider_name.clone().unwrap_or_default(),
                p.profile_name.clone().unwrap_or_default(),
                class_name(int(&p.profile_class)).to_string(),
            ]
        })
        .collect();
    if args.json {
        let keys = ["iccid", "isdp_aid", "state", "nickname", "service_provider", "name", "class"];
        let objects: Vec<String> = rows
            .iter()
            .zip(&ports)
            .map(|(r, port)| {
                let mut fields: Vec<String> =
                    keys.iter().zip(r).map(|(k, v)| format!("\"{k}\":{}", json_str(v))).collect();
                fields.push(format!("\"port\":{}", port.map_or_else(|| "null".to_string(), |p| p.to_string())));
                format!("{{{}}}", fields.join(","))
            })
            .collect();
        outln!("[{}]", objects.join(","));
    } else if rows.is_empty() {
        outln!("no profiles");
    } else {
        for (r, port) in rows.iter().zip(&ports) {
            // A MEP card's enabled profiles say where they are ("enabled 2").
            let state = match port {
                Some(p) if mep => format!("{} {p}", r[2]),
                _ => r[2].clone(),
            };
            outln!("{:<20}  {}  {:<8}  {:<12}  {:<16}  {}  [{}]", r[0], r[1], state, r[6], r[3], r[5], r[4]);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn notifications(args: NotificationArgs) -> Result<ExitCode, String> {
    let mut lpa = session(&args.card)?;
    if let Some(seq) = args.remove {
        return outcome(lpa.remove_notification(seq), &[(0, "ok"), (1, "nothingToDelete")]);
    }
    #[cfg(feature = "lpa-http")]
    if args.send {
        let roots: Vec<Vec<u8>> = lpa
            .transport()
            .identity()
            .map(|id| id.cis().iter().map(|c| c.der().to_vec()).collect())
            .unwrap_or_default();
        let mut http = crate::download::transport(roots, &args.smdp_ca, args.insecure, args.plain_http)?;
        let report = veuicc::testkit::es9_lpa::send_notifications(&mut lpa, &mut http)?;
        let mut failed = false;
        for (seq, r) in report {
            match r {
                Ok(()) => outln!("{seq:>6}  sent"),
                Err(e) => {
                    failed = true;
                    outln!("{seq:>6}  not sent: {e}");
                }
            }
        }
        lpa.close().map_err(|e| e.to_string())?;
        return Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS });
    }
    let list = lpa.list_notifications().map_err(|e| e.to_string())?;
    let rows: Vec<(String, &str, String, String)> = list
        .iter()
        .map(|n| {
            let event = match n.profile_management_operation.first_one() {
                Some(0) => "install",
                Some(1) => "enable",
                Some(2) => "disable",
                Some(3) => "delete",
                Some(4) => "rpm-enable",
                Some(5) => "rpm-disable",
                Some(6) => "rpm-delete",
                Some(7) => "rpm-result",
                _ => "unknown",
            };
            let icc = n.iccid.as_ref().map(|i| iccid(i)).unwrap_or_default();
            (n.seq_number.to_string(), event, icc, n.notification_address.clone())
        })
        .collect();
    if args.json {
        let objects: Vec<String> = rows
            .iter()
            .map(|(seq, ev, icc, addr)| {
                format!(
                    "{{\"seq\":{seq},\"event\":{},\"iccid\":{},\"address\":{}}}",
                    json_str(ev),
                    json_str(icc),
                    json_str(addr)
                )
            })
            .collect();
        outln!("[{}]", objects.join(","));
    } else if rows.is_empty() {
        outln!("no notifications");
    } else {
        for (seq, ev, icc, addr) in rows {
            outln!("{seq:>6}  {ev:<8}  {icc:<20}  {addr}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
