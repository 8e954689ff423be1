//! `veuicc download --state DIR [--profile FILE.der] [--iccid ICCID] [--name NAME] [--spn NAME]
//! [--class CLASS] [--notify EVENTS | --no-notify] [--smdp-keys DIR | --dpauth-cert …]
//! [--accept-expired] [--identity DIR | --euicc-cert …]`: installs a profile package through the
//! in-process test SM-DP+ and the LPA driver, over APDUs, into the card whose state lives in DIR.

use crate::common::{AnyCard, IdentityArgs};
use crate::lpa::iccid_bytes;
use std::path::PathBuf;
use std::process::ExitCode;
use veuicc::testkit::lpa::{DownloadError, download};
use veuicc::testkit::pki::{SmdpFiles, default_pki};
use veuicc::testkit::saip::TestProfile;
use veuicc::testkit::smdp::{ProfileToInstall, SmdpKeys, TestSmdp};

/// The ICCID of the generated test package.
const DEFAULT_ICCID: &str = "89000123456789012341";

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Directory holding the card's persistent state.
    #[arg(long)]
    state: Option<PathBuf>,
    #[command(flatten)]
    identity: IdentityArgs,
    #[command(flatten)]
    smdp_keys: SmdpArgs,
    /// The profile package (UPP: DER profile elements) to install, as delivered; default: a generated one.
    #[arg(long)]
    profile: Option<PathBuf>,
    /// ICCID for the metadata, as printed on a SIM; default: the one in the package's
    /// ProfileHeader (89000123456789012341 for the generated package).
    #[arg(long)]
    iccid: Option<String>,
    /// Profile name for the metadata; default: the package's profileType.
    #[arg(long)]
    name: Option<String>,
    /// Service provider name for the metadata; default: "veuicc test operator".
    #[arg(long)]
    spn: Option<String>,
    /// Profile class for the metadata: test, provisioning or operational (the default).
    #[arg(long, value_parser = ["test", "provisioning", "operational"])]
    class: Option<String>,
    /// The events the SM-DP+ asks notifications for (StoreMetadata notificationConfigurationInfo,
    /// to the SM-DP+ address), comma-separated: install, enable, disable, delete, and on an SGP.22
    /// v3 card rpm-enable, rpm-disable, rpm-delete.
    #[arg(long, value_name = "EVENTS", default_value = "enable,disable,delete", conflicts_with = "no_notify")]
    notify: String,
    /// Ask for no notifications (only the install result, which the card always queues).
    #[arg(long)]
    no_notify: bool,
    /// Attach a mirror policy to the profile (veuicc's vendor data in StoreMetadata), e.g.
    /// `max=3,services=voice+sms+data,validity=24h,reauth=90d[,roaming-suspend][,transfer]`
    /// (`max=unlimited`).
    #[arg(long, value_name = "POLICY")]
    mirror: Option<String>,
    /// Let the built-in SM-DP+ manage the profile by RPM (an SGP.22 v3 card): the metadata gets
    /// an rpmConfiguration naming it (OID 2.999.10) for every command; see `veuicc rpm`.
    #[arg(long)]
    rpm: bool,
    /// Let the profile move to another device later (SGP.22 v3 Device Change, a v3 card): the metadata gets
    /// a deviceChangeConfiguration (requestToDp, naming the `--smdp` address); see `veuicc transfer`.
    #[arg(long)]
    device_change: bool,
    /// SM-DP+ address (where the notifications go).
    #[arg(long, default_value = "smdp.veuicc.test")]
    smdp: String,
    /// Let the SM-DP+ accept a CERT.EUICC or CERT.EUM that is expired or not yet valid at the
    /// system time (it refuses them otherwise, as a real SM-DP+ does).
    #[arg(long)]
    accept_expired: bool,
    #[cfg(feature = "lpa-http")]
    #[command(flatten)]
    remote: Remote,
}

/// Downloading from an SM-DP+ over ES9+ (HTTPS) instead of the built-in one.
#[cfg(feature = "lpa-http")]
#[derive(Debug, clap::Args)]
struct Remote {
    /// Download from the SM-DP+ this activation code names (`LPA:1$host[:port]$MATCHING-ID`,
    /// SGP.22 §4.1) over ES9+ (HTTPS), then deliver the card's notifications.
    #[arg(long, value_name = "CODE", conflicts_with_all = ["profile", "iccid", "name", "spn", "class", "smdp_keys"])]
    activation_code: Option<String>,
    /// The confirmation code the download order asks for.
    #[arg(long, value_name = "CODE", requires = "activation_code")]
    confirmation_code: Option<String>,
    /// Trust these CA certificates (PEM or DER) for the SM-DP+'s TLS certificate, besides the
    /// card's CIs (which issue CERT.DP.TLS under SGP.22).
    #[arg(long, value_name = "FILE", requires = "activation_code")]
    smdp_ca: Vec<PathBuf>,
    /// Do not check the SM-DP+'s TLS certificate at all (expired test certificates).
    #[arg(long, requires = "activation_code")]
    insecure: bool,
    /// Plain HTTP (an SM-DP+ behind `smdp serve --plain-http`).
    #[arg(long, requires = "activation_code", conflicts_with = "insecure")]
    plain_http: bool,
    /// Leave the notifications (the install result) on the card instead of sending them.
    #[arg(long, requires = "activation_code")]
    keep_notifications: bool,
}

/// An ES9+ transport for these flags; `roots` are the card's CIs.
#[cfg(feature = "lpa-http")]
pub(crate) fn transport(
    roots: Vec<Vec<u8>>,
    extra: &[PathBuf],
    insecure: bool,
    plain: bool,
) -> Result<veuicc::host::es9_client::HttpsTransport, String> {
    use veuicc::host::es9_client::{HttpsTransport, read_certificates};
    if plain {
        return Ok(HttpsTransport::plain());
    }
    let mut roots = roots;
    for f in extra {
        roots.extend(read_certificates(f)?);
    }
    if insecure {
        errln!("veuicc: warning: --insecure: the SM-DP+'s TLS certificate is not checked");
    }
    Ok(HttpsTransport::new(&roots, insecure))
}

#[cfg(feature = "lpa-http")]
fn remote(args: &Args, code: &str) -> Result<ExitCode, String> {
    use veuicc::testkit::es9_lpa::{ActivationCode, Order, download, send_notifications};
    let remote = &args.remote;
    let ac: ActivationCode = code.parse()?;
    if ac.cc_required && remote.confirmation_code.is_none() {
        return Err("this activation code needs a confirmation code: give --confirmation-code".into());
    }
    let card = AnyCard::open(args.state.as_ref(), &args.identity)?;
    let roots: Vec<Vec<u8>> =
        card.identity().map(|id| id.cis().iter().map(|c| c.der().to_vec()).collect()).unwrap_or_default();
    let mut http = transport(roots, &remote.smdp_ca, remote.insecure, remote.plain_http)?;
    let mut lpa = card.es10()?;
    let order = Order {
        address: &ac.address,
        matching_id: Some(ac.matching_id.as_str()).filter(|m| !m.is_empty()),
        confirmation_code: remote.confirmation_code.as_deref(),
    };
    let installed = match download(&mut lpa, &mut http, &order) {
        Ok(i) => i,
        Err(e) => {
            errln!("veuicc: {e}");
            let _ = lpa.close();
            return Ok(ExitCode::from(1));
        }
    };
    let iccid = pir_iccid(&installed.pir).unwrap_or_default();
    if !remote.keep_notifications {
        for (seq, outcome) in send_notifications(&mut lpa, &mut http)? {
            if let Err(e) = outcome {
                errln!("veuicc: notification {seq} not delivered: {e}");
            }
        }
    }
    lpa.close().map_err(|e| e.to_string())?;
    outln!("{iccid}");
    Ok(ExitCode::SUCCESS)
}

/// The ICCID (printed digit order) in a PIR's notification metadata.
#[cfg(feature = "lpa-http")]
fn pir_iccid(pir: &[u8]) -> Option<String> {
    use veuicc::asn1::download::{ProfileInstallationResult, ProfileInstallationResultData};
    let r: ProfileInstallationResult = rasn::der::decode(pir).ok()?;
    let d: ProfileInstallationResultData = rasn::der::decode(r.profile_installation_result_data.as_bytes()).ok()?;
    Some(crate::state::iccid(&d.notification_metadata.iccid?))
}

/// Which keys the built-in SM-DP+ signs with; default: the embedded veuicc test PKI's.
#[derive(Debug, clap::Args)]
struct SmdpArgs {
    /// Directory with the SM-DP+ certificates and keys, recognised by content: CERT.DPauth and
    /// CERT.DPpb with their private keys, and the CI (the GSMA SGP.26 set, a `veuicc pki new` PKI).
    #[arg(long, value_name = "DIR")]
    smdp_keys: Option<PathBuf>,
    /// CERT.DPauth.ECDSA (PEM or DER).
    #[arg(long, value_name = "FILE")]
    dpauth_cert: Option<PathBuf>,
    /// SK.DPauth.ECDSA (PEM or DER).
    #[arg(long, value_name = "FILE")]
    dpauth_key: Option<PathBuf>,
    /// CERT.DPpb.ECDSA (PEM or DER).
    #[arg(long, value_name = "FILE")]
    dppb_cert: Option<PathBuf>,
    /// SK.DPpb.ECDSA (PEM or DER).
    #[arg(long, value_name = "FILE")]
    dppb_key: Option<PathBuf>,
    /// The CI certificate of the SM-DP+ (default: the one in --smdp-keys DIR, else the card's
    /// trusted CI that issued CERT.DPauth).
    #[arg(long, value_name = "FILE")]
    smdp_ci: Option<PathBuf>,
}

impl SmdpArgs {
    /// The SM-DP+ keys these flags name, or `None` without any.
    fn load(&self, card_cis: &[&[u8]]) -> Result<Option<SmdpKeys>, String> {
        let files = SmdpFiles {
            dpauth_cert: self.dpauth_cert.clone(),
            dpauth_key: self.dpauth_key.clone(),
            dppb_cert: self.dppb_cert.clone(),
            dppb_key: self.dppb_key.clone(),
            ci: self.smdp_ci.clone(),
        };
        let files = match &self.smdp_keys {
            None if files.is_empty() => return Ok(None),
            None => files,
            Some(dir) => {
                let (files, note) = files.fill_from_dir(dir).map_err(|e| format!("SM-DP+ keys: {e}"))?;
                if let Some(note) = note {
                    errln!("veuicc: note: {note}");
                }
                files
            }
        };
        files.load(card_cis).map(Some).map_err(|e| e.to_string())
    }
}

/// NotificationEvent bits from `install,enable,disable,delete`.
fn events(list: &str) -> Result<u8, String> {
    list.split(',').map(str::trim).filter(|e| !e.is_empty()).try_fold(0u8, |acc, e| {
        let bit = match e {
            "install" => 0,
            "enable" => 1,
            "disable" => 2,
            "delete" => 3,
            "rpm-enable" => 4,
            "rpm-disable" => 5,
            "rpm-delete" => 6,
            other => {
                return Err(format!(
                    "--notify: {other:?} is not install, enable, disable or delete (or rpm-enable, rpm-disable, rpm-delete)"
                ));
            }
        };
        Ok(acc | (1 << bit))
    })
}

/// A failed download as the CLI prints it: the card's codes by their SGP.22 v2.5 names (`name_of`
/// of AuthenticateErrorCode / DownloadErrorCode / ErrorReason).
pub(crate) fn name(e: &DownloadError) -> String {
    use veuicc::asn1::codes::{AuthenticateErrorCode, DownloadErrorCode, ErrorReason};
    match e {
        DownloadError::Authenticate(c) => format!("{} ({c}) in AuthenticateServer", AuthenticateErrorCode::name_of(*c)),
        DownloadError::Prepare(c) => format!("{} ({c}) in PrepareDownload", DownloadErrorCode::name_of(*c)),
        DownloadError::Install { command, reason: r } => {
            format!("{} ({r}), bppCommandId {command}", ErrorReason::name_of(*r))
        }
        other => other.to_string(),
    }
}

/// The profile owner OID a `--rpm` profile names (2.999.99, OID content bytes).
pub(crate) const RPM_OWNER: [u8; 3] = [0x88, 0x37, 0x63];

/// The profile the built-in SM-DP+ offers for `package` (default: the generated one for
/// `iccid`, else for 89000123456789012341) before `download`'s metadata flags: the metadata an
/// SM-DP+ makes from the package (its header's ICCID, swapped into `Iccid`); a package that
/// does not parse goes as it is, for the card to judge. The generated package carries `iccid`
/// in its header and EF.ICCID; a given package keeps its own, and `iccid` then changes only the
/// metadata. `veuicc transfer` re-offers a profile built the same way.
pub(crate) fn offered_profile(package: Option<Vec<u8>>, iccid: Option<&str>) -> Result<ProfileToInstall, String> {
    let generated = package.is_none();
    let default_iccid: [u8; 10] =
        iccid_bytes(iccid.unwrap_or(DEFAULT_ICCID))?.try_into().map_err(|_| "ICCID: 10 bytes".to_string())?;
    let upp = package.unwrap_or_else(|| TestProfile::new(default_iccid).with_padding(8 * 1024).to_der());
    let mut profile = ProfileToInstall::from_package(upp.clone()).unwrap_or_else(|_| {
        let mut p = ProfileToInstall::sample(default_iccid, 0);
        p.upp = upp;
        p
    });
    if let Some(text) = iccid.filter(|_| !generated) {
        profile.metadata.iccid = iccid_bytes(text)?.into();
    }
    Ok(profile)
}

/// The deviceChangeConfiguration a `--device-change` profile carries (StoreMetadata, SGP.22 v3):
/// requestToDp, the SM-DP+ at `smdp` deciding the Device Change, no CI, EID or TAC required.
pub(crate) fn device_change_configuration(smdp: &str) -> Result<rasn::types::Any, String> {
    use veuicc::asn1::dc::{DeviceChangeConfiguration, RequestToDp};
    let config = DeviceChangeConfiguration::RequestToDp(RequestToDp {
        smdp_address_for_dc: smdp.into(),
        allowed_ci_pkid: None,
        eid_required: None,
        tac_required: None,
    });
    rasn::der::encode(&config).map(rasn::types::Any::new).map_err(|e| e.to_string())
}

pub(crate) fn run(args: Args) -> Result<ExitCode, String> {
    #[cfg(feature = "lpa-http")]
    if let Some(code) = &args.remote.activation_code {
        return remote(&args, code);
    }
    let package = match &args.profile {
        Some(path) => Some(std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?),
        None => None,
    };
    // The metadata an SM-DP+ makes from the package, unless told otherwise (`offered_profile`).
    let mut profile = offered_profile(package, args.iccid.as_deref())?;
    if let Some(name) = &args.name {
        profile.metadata.profile_name = veuicc::asn1::BoundedUtf8::truncated(name);
    }
    let iccid = profile.metadata.iccid.to_vec();
    if let Some(spn) = &args.spn {
        profile.metadata.service_provider_name = veuicc::asn1::BoundedUtf8::truncated(spn);
    }
    if let Some(class) = &args.class {
        profile.metadata.profile_class = Some(
            match class.as_str() {
                "test" => 0,
                "provisioning" => 1,
                _ => 2,
            }
            .into(),
        );
    }
    if let Some(text) = &args.mirror {
        let policy = veuicc::testkit::smdp::parse_mirror_policy(text).map_err(|e| format!("--mirror: {e}"))?;
        profile = profile.with_mirror_policy(&policy);
    }
    if args.device_change {
        profile.metadata.device_change_configuration = Some(device_change_configuration(&args.smdp)?);
    }
    if args.rpm {
        profile.metadata.rpm_configuration = Some(veuicc::testkit::smdp::rpm_configuration(None, &RPM_OWNER));
    }
    let notify = if args.no_notify { 0 } else { events(&args.notify)? };
    let card = AnyCard::open(args.state.as_ref(), &args.identity)?;
    let card_cis: Vec<Vec<u8>> =
        card.identity().map(|id| id.cis().iter().map(|c| c.der().to_vec()).collect()).unwrap_or_default();
    let card_ci_refs: Vec<&[u8]> = card_cis.iter().map(Vec::as_slice).collect();
    let keys = match args.smdp_keys.load(&card_ci_refs)? {
        Some(keys) => keys,
        None => {
            // Say so now rather than let AuthenticateServer answer ciPKUnknown.
            let ours = default_pki().ci_ski();
            if card.identity().is_some_and(|id| !id.signs_for(&ours)) {
                return Err(format!(
                    "the built-in SM-DP+ signs with the embedded veuicc test PKI (CI {}), which this card's \
                     identity does not chain to: give the SM-DP+ keys of its PKI with --smdp-keys DIR \
                     (or --dpauth-cert/--dpauth-key/--dppb-cert/--dppb-key)",
                    crate::common::hex(&ours)
                ));
            }
            SmdpKeys::from_pki(default_pki())
        }
    };
    let mut lpa = card.es10()?;
    let mut smdp = TestSmdp::with_keys(keys, &args.smdp, std::process::id().into());
    smdp.notify = notify;
    if !args.accept_expired {
        // The card's clock (`VEUICC_NOW` when set), so the SM-DP+ and the card agree on the date.
        smdp.now = veuicc::platform::Clock::now(&veuicc::host::SystemClock);
    }
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
