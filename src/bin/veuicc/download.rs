//! `veuicc download --state DIR [--profile FILE.der] [--iccid ICCID] [--name NAME] [--identity DIR]`:
//! installs a profile package through the in-process test SM-DP+ and the LPA driver,
//! over APDUs, into the card whose state lives in DIR.

use crate::common::AnyCard;
use crate::lpa::iccid_bytes;
use std::path::PathBuf;
use std::process::ExitCode;
use veuicc::testkit::Es10Client;
use veuicc::testkit::lpa::{DownloadError, download};
use veuicc::testkit::pki::default_pki;
use veuicc::testkit::smdp::{ProfileToInstall, TestSmdp};

/// The ICCID of the generated test package.
const DEFAULT_ICCID: &str = "89000123456789012341";

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Directory holding the card's persistent state.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Directory with the card's identity; default: the embedded one.
    #[arg(long)]
    identity: Option<PathBuf>,
    /// The profile package (UPP: DER profile elements) to install, as delivered; default: a generated one.
    #[arg(long)]
    profile: Option<PathBuf>,
    /// ICCID for the metadata, as printed on a SIM; default: the one in the package's
    /// ProfileHeader (89000123456789012341 for the generated package).
    #[arg(long)]
    iccid: Option<String>,
    /// Profile name for the metadata.
    #[arg(long, default_value = "veuicc test profile")]
    name: String,
    /// SM-DP+ address (where the install notification goes).
    #[arg(long, default_value = "smdp.veuicc.test")]
    smdp: String,
}

/// SGP.22 names of AuthenticateErrorCode / DownloadErrorCode / ErrorReason values.
fn name(e: &DownloadError) -> String {
    let auth = |c: i64| match c {
        1 => "invalidCertificate",
        2 => "invalidSignature",
        3 => "unsupportedCurve",
        4 => "noSessionContext",
        5 => "invalidOid",
        6 => "euiccChallengeMismatch",
        7 => "ciPKUnknown",
        _ => "undefinedError",
    };
    let prep = |c: i64| match c {
        1 => "invalidCertificate",
        2 => "invalidSignature",
        3 => "unsupportedCurve",
        4 => "noSessionContext",
        5 => "invalidTransactionId",
        _ => "undefinedError",
    };
    let reason = |c: i64| match c {
        1 => "incorrectInputValues",
        2 => "invalidSignature",
        3 => "invalidTransactionId",
        4 => "unsupportedCrtValues",
        5 => "unsupportedRemoteOperationType",
        6 => "unsupportedProfileClass",
        7 => "scp03tStructureError",
        8 => "scp03tSecurityError",
        9 => "installFailedDueToIccidAlreadyExistsOnEuicc",
        10 => "installFailedDueToInsufficientMemoryForProfile",
        11 => "installFailedDueToInterruption",
        12 => "installFailedDueToPEProcessingError",
        13 => "installFailedDueToDataMismatch",
        14 => "testProfileInstallFailedDueToInvalidNaaKey",
        15 => "pprNotAllowed",
        _ => "installFailedDueToUnknownError",
    };
    match e {
        DownloadError::Authenticate(c) => format!("{} ({c}) in AuthenticateServer", auth(*c)),
        DownloadError::Prepare(c) => format!("{} ({c}) in PrepareDownload", prep(*c)),
        DownloadError::Install { command, reason: r } => format!("{} ({r}), bppCommandId {command}", reason(*r)),
        other => other.to_string(),
    }
}

pub(crate) fn run(args: Args) -> Result<ExitCode, String> {
    let package = match &args.profile {
        Some(path) => Some(std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?),
        None => None,
    };
    // The metadata names the ICCID of the package (as an SM-DP+ does), unless told otherwise;
    // a package that does not parse goes as it is, for the card to judge.
    let from_package = package.as_deref().and_then(|p| veuicc::saip::check(p).ok()).map(|s| s.header.iccid);
    let iccid: [u8; 10] = match (args.iccid.as_deref(), from_package) {
        (None, Some(iccid)) => iccid,
        (text, _) => {
            iccid_bytes(text.unwrap_or(DEFAULT_ICCID))?.try_into().map_err(|_| "ICCID: 10 bytes".to_string())?
        }
    };
    let mut profile = ProfileToInstall::sample(iccid, 8 * 1024);
    profile.metadata.profile_name = args.name.clone();
    if let Some(upp) = package {
        profile.upp = upp;
    }
    let card = AnyCard::open(args.state.as_ref(), args.identity.as_deref())?;
    let mut lpa = Es10Client::open(card).map_err(|e| e.to_string())?;
    let mut smdp = TestSmdp::new(default_pki(), &args.smdp, std::process::id().into());
    match download(&mut lpa, &mut smdp, &profile) {
        Ok(_) => {
            lpa.close().map_err(|e| e.to_string())?;
            outln!("{}", crate::state::iccid(&iccid));
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            errln!("veuicc: {}", name(&e));
            Ok(ExitCode::from(1))
        }
    }
}
