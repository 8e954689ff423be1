//! `veuicc transfer --from OLD --to NEW ICCID [--identity DIR …] [--profile FILE] [--json]`:
//! SGP.22 v3 Device Change of one profile between the cards of two state directories, with the
//! built-in test SM-DP+ (`testkit::lpa`'s steps, each printed): PrepareDeviceChange on the old
//! card (the SM-DP+ confirms the order), VerifyDeviceChange (the old card deletes the profile and
//! queues its Delete Notification for Device Change), the SM-DP+ accepts that notification (it
//! releases the profile), and the new card downloads the same profile, which the SM-DP+
//! re-offers as `download` built it for that ICCID (the generated package, or `--profile FILE`;
//! the name, service provider and class the old card had; a deviceChangeConfiguration again).
//!
//! The old card keeps the identity and personality its directory keeps; the identity flags
//! (`--identity DIR`, `--sgp22 3.0`, …) are the new card's, kept in its directory on first use.
//! A profile moves only if its metadata allows it (`download --device-change`).
//!
//! Exit 0 when the profile moved; 1 with the SGP.22 result name when a card or the SM-DP+
//! refused a step; 2 for bad arguments.

use crate::common::{AnyCard, IdentityArgs, hex, json_str};
use crate::lpa::iccid_bytes;
use std::path::PathBuf;
use std::process::ExitCode;
use veuicc::asn1::codes::{AuthenticateErrorCode, DownloadErrorCode, ErrorReason};
use veuicc::asn1::rsp::{ProfileInfoListRequest, ProfileInfoListResult};
use veuicc::testkit::Es10Client;
use veuicc::testkit::lpa::{
    DownloadError, delete_notification_for_dc, download, prepare_device_change, verify_device_change,
};
use veuicc::testkit::pki::default_pki;
use veuicc::testkit::smdp::{ProfileToInstall, TestSmdp};

/// `veuicc transfer`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// State directory of the old card (it holds the profile).
    #[arg(long, value_name = "DIR")]
    from: PathBuf,
    /// State directory of the new card (its identity: the identity flags, or the one it keeps).
    #[arg(long, value_name = "DIR")]
    to: PathBuf,
    #[command(flatten)]
    identity: IdentityArgs,
    /// ICCID of the profile that moves, as printed.
    iccid: String,
    /// The profile package the SM-DP+ re-offers, as `download --profile` installed it; default:
    /// the generated one for ICCID.
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
    /// The SM-DP+ address (the profile's smdpAddressForDc, as `download --device-change` set it).
    #[arg(long, default_value = "smdp.veuicc.test")]
    smdp: String,
    /// Print JSON: `{"iccid", "from_eid", "to_eid", "steps": [{"step", "card", "detail"}],
    /// "new_notifications"}`.
    #[arg(long)]
    json: bool,
}

/// One step as printed: its name, the side it ran on, what happened.
struct Step {
    step: &'static str,
    card: &'static str,
    detail: String,
}

/// The transfer so far, printed as each step ends.
struct Report {
    json: bool,
    steps: Vec<Step>,
}

impl Report {
    fn step(&mut self, step: &'static str, card: &'static str, detail: String) {
        if !self.json {
            outln!("{card:<6} {step:<12} {detail}");
        }
        self.steps.push(Step { step, card, detail });
    }

    fn steps_json(&self) -> String {
        let steps: Vec<String> = self
            .steps
            .iter()
            .map(|s| {
                format!(
                    "{{\"step\":{},\"card\":{},\"detail\":{}}}",
                    json_str(s.step),
                    json_str(s.card),
                    json_str(&s.detail)
                )
            })
            .collect();
        format!("[{}]", steps.join(","))
    }
}

/// A refused step by its SGP.22 name (v3 names where v3 added codes), with the code.
fn refusal(e: &DownloadError) -> Option<String> {
    Some(match e {
        DownloadError::Authenticate(14) => "invalidIccid (14) in AuthenticateServer".into(),
        DownloadError::Authenticate(c) => format!("{} ({c}) in AuthenticateServer", AuthenticateErrorCode::name_of(*c)),
        DownloadError::Prepare(c) => format!("{} ({c})", DownloadErrorCode::name_of(*c)),
        DownloadError::VerifyDeviceChange(c) => {
            let name = match c {
                2 => "invalidSignature",
                4 => "noSession",
                5 => "invalidTransactionId",
                6 => "unsupportedCrtValues",
                7 => "invalidData",
                8 => "profileNotInDisabledState",
                _ => "undefinedError",
            };
            format!("{name} ({c}) in VerifyDeviceChange")
        }
        DownloadError::Install { command, reason: r } => {
            format!("{} ({r}), bppCommandId {command}", ErrorReason::name_of(*r))
        }
        DownloadError::Smdp(e) => format!("SM-DP+: {e}"),
        DownloadError::NoResult => "no result".into(),
        DownloadError::Card(_) => return None,
    })
}

/// An open card that must be an SGP.22 v3 card the built-in SM-DP+ can talk to.
fn open(dir: &PathBuf, identity: &IdentityArgs, which: &str) -> Result<Es10Client<AnyCard>, String> {
    let card = AnyCard::open(Some(dir), identity)?;
    if !card.config().sgp22.is_v3() {
        return Err(format!(
            "Device Change is an SGP.22 v3 feature; the {which} card ({}) is {} (create it with --sgp22 3.0)",
            dir.display(),
            card.config().sgp22
        ));
    }
    if card.identity().is_some_and(|id| !id.signs_for(&default_pki().ci_ski())) {
        return Err(format!(
            "the built-in SM-DP+ signs with the embedded veuicc test PKI, which the {which} card's identity does not \
             chain to"
        ));
    }
    card.es10()
}

/// The name, service provider and class the old card has for `iccid`, into `profile`.
fn copy_metadata(old: &mut Es10Client<AnyCard>, iccid: &[u8], profile: &mut ProfileToInstall) -> Result<(), String> {
    let list = old.get_profiles_info(&ProfileInfoListRequest::default()).map_err(|e| e.to_string())?;
    let ProfileInfoListResult::ProfileInfoListOk(list) = list.0 else { return Ok(()) };
    let Some(info) = list.into_iter().find(|p| p.iccid.as_ref().is_some_and(|i| i.as_slice() == iccid)) else {
        return Ok(());
    };
    if let Some(name) = &info.profile_name {
        profile.metadata.profile_name = veuicc::asn1::BoundedUtf8::truncated(name);
    }
    if let Some(spn) = &info.service_provider_name {
        profile.metadata.service_provider_name = veuicc::asn1::BoundedUtf8::truncated(spn);
    }
    if info.profile_class.is_some() {
        profile.metadata.profile_class = info.profile_class;
    }
    Ok(())
}

pub(crate) fn run(args: Args) -> Result<ExitCode, String> {
    let iccid = iccid_bytes(&args.iccid)?;
    let same = match (std::fs::canonicalize(&args.from), std::fs::canonicalize(&args.to)) {
        (Ok(a), Ok(b)) => a == b,
        _ => args.from == args.to,
    };
    if same {
        return Err("--from and --to name the same state directory: a Device Change needs two cards".into());
    }
    let package = match &args.profile {
        Some(path) => Some(std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?),
        None => None,
    };
    let mut profile = crate::download::offered_profile(package, Some(&args.iccid))?;
    if profile.metadata.iccid.as_ref() != iccid.as_slice() {
        return Err(format!("{}: the package is for another ICCID", args.iccid));
    }
    profile.metadata.device_change_configuration = Some(crate::download::device_change_configuration(&args.smdp)?);

    let mut old = open(&args.from, &IdentityArgs::default(), "old")?;
    let mut new = open(&args.to, &args.identity, "new")?;
    let from_eid = hex(&old.get_eid().map_err(|e| e.to_string())?);
    let to_eid = hex(&new.get_eid().map_err(|e| e.to_string())?);
    if from_eid == to_eid {
        return Err(format!(
            "both cards are EID {from_eid}: give the new card its own identity (--identity DIR, e.g. card2 of \
             `veuicc pki new DIR --cards 2`)"
        ));
    }
    copy_metadata(&mut old, &iccid, &mut profile)?;
    let before = new.list_notifications().map_err(|e| e.to_string())?.len();

    let mut smdp = TestSmdp::new(default_pki(), &args.smdp, std::process::id().into());
    smdp.sgp22 = veuicc::config::Sgp22Version::V3_0;
    smdp.now = veuicc::platform::Clock::now(&veuicc::host::SystemClock);
    let mut report = Report { json: args.json, steps: Vec::new() };
    let result = steps(&mut old, &mut new, &mut smdp, &profile, &mut report);
    let after = match &result {
        Ok(()) => new.list_notifications().map_err(|e| e.to_string())?.len(),
        Err(_) => before,
    };
    let closed = old.close().map_err(|e| e.to_string()).and(new.close().map_err(|e| e.to_string()));
    let head = format!(
        "\"iccid\":{},\"from_eid\":{},\"to_eid\":{},\"steps\":{}",
        json_str(&args.iccid),
        json_str(&from_eid),
        json_str(&to_eid),
        report.steps_json()
    );
    match result {
        Ok(()) => {
            closed?;
            let queued = after.saturating_sub(before);
            if args.json {
                outln!("{{{head},\"new_notifications\":{queued}}}");
            } else {
                outln!(
                    "{} moved from {from_eid} to {to_eid}; {queued} notification(s) queued on the new card",
                    args.iccid
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err((step, e)) => {
            let Some(name) = refusal(&e) else { return Err(format!("{step}: {e}")) };
            if args.json {
                outln!("{{{head},\"failed\":{},\"result\":{}}}", json_str(step), json_str(&name));
            }
            errln!("veuicc: transfer {}: {step}: {name}", args.iccid);
            if report.steps.iter().any(|s| s.step == "delete") {
                errln!(
                    "veuicc: the old card deleted the profile; its Delete Notification for Device Change stays \
                     queued there"
                );
            }
            Ok(ExitCode::from(1))
        }
    }
}

/// The Device Change's steps, each reported as it ends; the failed step's name with its error.
fn steps(
    old: &mut Es10Client<AnyCard>,
    new: &mut Es10Client<AnyCard>,
    smdp: &mut TestSmdp,
    profile: &ProfileToInstall,
    report: &mut Report,
) -> Result<(), (&'static str, DownloadError)> {
    let iccid = profile.metadata.iccid.to_vec();
    let request = prepare_device_change(old, smdp, &iccid).map_err(|e| ("prepare", e))?;
    report.step("prepare", "old", "PrepareDeviceChange: the SM-DP+ confirmed the Device Change order".into());
    let data = verify_device_change(old, &request).map_err(|e| ("delete", e))?;
    report.step(
        "delete",
        "old",
        format!("VerifyDeviceChange: profile deleted; activation code {}", data.activation_code_for_dc.as_str()),
    );
    let notification = delete_notification_for_dc(old, &iccid)
        .map_err(|e| ("notification", e))?
        .ok_or(("notification", DownloadError::Smdp("the old card queued no delete notification".into())))?;
    let seq = i64::try_from(&notification.notification_metadata.seq_number).unwrap_or(-1);
    smdp.accept_delete_notification_for_dc(&notification).map_err(|e| ("notification", DownloadError::Smdp(e)))?;
    report.step(
        "notification",
        "smdp",
        format!("Delete Notification for Device Change (seq {seq}) verified: the profile is released"),
    );
    let installed = download(new, smdp, profile).map_err(|e| ("install", e))?;
    smdp.take_released(&iccid);
    report.step(
        "install",
        "new",
        format!(
            "installed in ISD-P {} (install result queued as notification {})",
            hex(&installed.isdp_aid),
            installed.seq
        ),
    );
    Ok(())
}
