//! `veuicc rpm --state DIR <enable|disable|delete|list|update-metadata> ICCID [--json]`: Remote
//! Profile Management (SGP.22 v3) with the built-in test SM-DP+, which builds and signs the RPM
//! package; the card runs it through the LPA path (GetEUICCChallenge, AuthenticateServer,
//! LoadRpmPackage) and the SM-DP+ checks the signed result. The card queues the result (and the
//! profile's RPM notifications) like any notification.
//!
//! Exit 0 when the command succeeded; 1 with the SGP.22 result name otherwise; 2 for bad arguments.

use crate::common::{AnyCard, json_str};
use crate::lpa::{CardArgs, iccid_bytes};
use crate::state::iccid;
use std::process::ExitCode;
use veuicc::asn1::rpm::{
    ListProfileInfo, LoadRpmPackageResult, LoadRpmPackageResultChoice, RpmCommand, RpmCommandDetails,
    RpmCommandResultData, RpmFinalResult, RpmIccid, RpmSearchCriteria, RpmUpdateMetadata, UpdateMetadataRequest,
};
use veuicc::asn1::rsp::ProfileInfoListResult;
use veuicc::testkit::lpa::rpm;
use veuicc::testkit::pki::default_pki;
use veuicc::testkit::smdp::TestSmdp;

/// `veuicc rpm`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    card: CardArgs,
    /// The RPM command.
    #[arg(value_enum)]
    command: Which,
    /// ICCID as printed (e.g. 89000123456789012341).
    iccid: String,
    /// update-metadata: the new profile name.
    #[arg(long)]
    name: Option<String>,
    /// update-metadata: the new service provider name.
    #[arg(long)]
    spn: Option<String>,
    /// enable: the eSIM port to enable on (LoadRpmPackage's targetEsimPort, a MEP card).
    #[arg(long, value_name = "N")]
    port: Option<u8>,
    /// The SM-DP+ address (serverAddress; where the signed result goes).
    #[arg(long, default_value = "smdp.veuicc.test")]
    smdp: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// The RPM commands the CLI sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Which {
    Enable,
    Disable,
    Delete,
    List,
    UpdateMetadata,
}

const ENABLE: &[(i32, &str)] = &[
    (0, "ok"),
    (1, "iccidOrAidNotFound"),
    (2, "profileNotInDisabledState"),
    (3, "disallowedByPolicy"),
    (4, "wrongProfileReenabling"),
    (5, "catBusy"),
    (6, "disallowedByEnterpriseRule"),
    (7, "commandError"),
    (9, "disallowedForRpm"),
    (10, "noEsimPortAvailable"),
];
const DISABLE: &[(i32, &str)] = &[
    (0, "ok"),
    (1, "iccidOrAidNotFound"),
    (2, "profileNotInEnabledState"),
    (3, "disallowedByPolicy"),
    (5, "catBusy"),
    (10, "disallowedForRpm"),
];
const DELETE: &[(i32, &str)] =
    &[(0, "ok"), (1, "iccidOrAidNotFound"), (2, "profileNotInDisabledState"), (3, "disallowedByPolicy")];
const UPDATE: &[(i32, &str)] = &[
    (0, "ok"),
    (6, "enterpriseConfigurationNotAllowed"),
    (7, "commandError"),
    (12, "pprUpdateInvalidSetting"),
    (14, "invalidRpmConfiguration"),
    (15, "deleteNotAllowed"),
];
const LIST: &[(i32, &str)] = &[(1, "incorrectInputValues"), (11, "profileChangeOngoing")];
const TERMINATED: &[(i32, &str)] = &[
    (1, "resultSizeOverflow"),
    (2, "unknownOrDamagedCommand"),
    (3, "interruption"),
    (4, "commandsWithRefreshExceeded"),
    (5, "commandAfterContactPcmp"),
    (6, "commandPackageTooLarge"),
];
const SIGNED: &[(i32, &str)] = &[(2, "invalidSignature"), (5, "invalidTransactionId")];
const NOT_SIGNED: &[(i32, &str)] = &[(4, "noSession")];

fn name(names: &[(i32, &'static str)], code: i32) -> &'static str {
    names.iter().find(|(c, _)| *c == code).map_or("undefinedError", |(_, n)| n)
}

fn int(i: &rasn::types::Integer) -> i32 {
    i32::try_from(i).unwrap_or(-1)
}

fn command(args: &Args) -> Result<RpmCommand, String> {
    let bytes = iccid_bytes(&args.iccid)?;
    let id = || RpmIccid { iccid: bytes.clone().into() };
    Ok(RpmCommand::new(match args.command {
        Which::Enable => RpmCommandDetails::Enable(id()),
        Which::Disable => RpmCommandDetails::Disable(id()),
        Which::Delete => RpmCommandDetails::Delete(id()),
        Which::List => RpmCommandDetails::ListProfileInfo(ListProfileInfo {
            search_criteria: RpmSearchCriteria::Iccid(bytes.clone().into()),
            tag_list: Some(vec![0x5A, 0x9F, 0x70, 0x91, 0x92].into()),
        }),
        Which::UpdateMetadata => {
            let mut req = UpdateMetadataRequest::default();
            if args.name.is_none() && args.spn.is_none() {
                return Err("update-metadata: give --name and/or --spn".into());
            }
            req.profile_name = args.name.as_deref().map(veuicc::asn1::BoundedUtf8::truncated);
            req.service_provider_name = args.spn.as_deref().map(veuicc::asn1::BoundedUtf8::truncated);
            RpmCommandDetails::UpdateMetadata(Box::new(RpmUpdateMetadata {
                iccid: bytes.clone().into(),
                update_metadata_request: req,
            }))
        }
    }))
}

/// One listed profile: ICCID, state, service provider and profile name.
struct Listed {
    iccid: String,
    enabled: bool,
    spn: String,
    name: String,
}

pub(crate) fn run(args: Args) -> Result<ExitCode, String> {
    let command = command(&args)?;
    let card = AnyCard::open(args.card.state.as_ref(), &args.card.identity)?;
    if !card.config().sgp22.is_v3() {
        return Err(format!(
            "RPM is an SGP.22 v3 feature; this card is {} (create it with --sgp22 3.0)",
            card.config().sgp22
        ));
    }
    if card.identity().is_some_and(|id| !id.signs_for(&default_pki().ci_ski())) {
        return Err("the built-in SM-DP+ signs with the embedded veuicc test PKI, which this card's identity does \
                    not chain to"
            .into());
    }
    let mut lpa = card.es10()?;
    let mut smdp = TestSmdp::new(default_pki(), &args.smdp, std::process::id().into());
    let run = rpm(&mut lpa, &mut smdp, &[command], args.port).map_err(|e| e.to_string())?;
    lpa.close().map_err(|e| e.to_string())?;
    let what = format!("{:?}", args.command).to_lowercase().replace("updatemetadata", "update-metadata");
    let Some(data) = run.data else {
        let result: LoadRpmPackageResult = rasn::der::decode(&run.result).map_err(|e| e.to_string())?;
        let code = match result.0 {
            LoadRpmPackageResultChoice::NotSigned(n) => int(&n.load_rpm_package_error_code_not_signed),
            LoadRpmPackageResultChoice::Signed(_) => -1,
        };
        return fail(&args, &what, name(NOT_SIGNED, code), code, None);
    };
    let seq = i64::try_from(&data.notification_metadata.seq_number).unwrap_or(-1);
    let results = match data.final_result {
        RpmFinalResult::LoadRpmPackageErrorCodeSigned(code) => {
            let code = int(&code);
            return fail(&args, &what, name(SIGNED, code), code, Some(seq));
        }
        RpmFinalResult::RpmPackageExecutionResult(results) => results,
    };
    let Some(first) = results.into_iter().next() else { return fail(&args, &what, "noResult", -1, Some(seq)) };
    let mut listed = Vec::new();
    let (result, code) = match first.rpm_command_result_data {
        RpmCommandResultData::EnableResult(r) => (name(ENABLE, int(&r.enable_result)), int(&r.enable_result)),
        RpmCommandResultData::DisableResult(r) => (name(DISABLE, int(&r.disable_result)), int(&r.disable_result)),
        RpmCommandResultData::DeleteResult(r) => (name(DELETE, int(&r.delete_result)), int(&r.delete_result)),
        RpmCommandResultData::UpdateMetadataResult(r) => (name(UPDATE, int(&r.0)), int(&r.0)),
        RpmCommandResultData::ListProfileInfoResult(r) => match r.0 {
            ProfileInfoListResult::ProfileInfoListOk(list) => {
                for p in list {
                    listed.push(Listed {
                        iccid: p.iccid.as_ref().map_or_else(String::new, |i| iccid(i.as_slice())),
                        enabled: p.profile_state.as_ref().is_some_and(|s| int(s) == 1),
                        spn: p.service_provider_name.unwrap_or_default(),
                        name: p.profile_name.unwrap_or_default(),
                    });
                }
                ("ok", 0)
            }
            ProfileInfoListResult::ProfileInfoListError(code) => (name(LIST, int(&code)), int(&code)),
        },
        RpmCommandResultData::RpmProcessingTerminated(code) => (name(TERMINATED, int(&code)), int(&code)),
        RpmCommandResultData::ContactPcmpResult(_) => ("commandError", -1),
    };
    if code != 0 {
        return fail(&args, &what, result, code, Some(seq));
    }
    if args.json {
        let profiles: Vec<String> = listed
            .iter()
            .map(|p| {
                format!(
                    "{{\"iccid\":{},\"state\":\"{}\",\"serviceProviderName\":{},\"profileName\":{}}}",
                    json_str(&p.iccid),
                    if p.enabled { "enabled" } else { "disabled" },
                    json_str(&p.spn),
                    json_str(&p.name)
                )
            })
            .collect();
        let list =
            if args.command == Which::List { format!(",\"profiles\":[{}]", profiles.join(",")) } else { String::new() };
        outln!(
            "{{\"command\":{},\"iccid\":{},\"result\":\"ok\",\"code\":0,\"seqNumber\":{seq}{list}}}",
            json_str(&what),
            json_str(&args.iccid)
        );
    } else {
        outln!("{what} {}: ok (result queued as notification {seq})", args.iccid);
        for p in &listed {
            outln!("{} {} {} / {}", p.iccid, if p.enabled { "enabled" } else { "disabled" }, p.spn, p.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn fail(args: &Args, what: &str, result: &str, code: i32, seq: Option<i64>) -> Result<ExitCode, String> {
    if args.json {
        let seq = seq.map_or_else(|| "null".to_string(), |s| s.to_string());
        outln!(
            "{{\"command\":{},\"iccid\":{},\"result\":{},\"code\":{code},\"seqNumber\":{seq}}}",
            json_str(what),
            json_str(&args.iccid),
            json_str(result)
        );
    } else {
        errln!("veuicc: {what} {}: {result} ({code})", args.iccid);
    }
    Ok(ExitCode::from(1))
}
