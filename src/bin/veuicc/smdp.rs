//! `veuicc smdp serve [--listen ADDR] [--address HOST[:PORT]] [--plain-http] [--catalogue DIR]
//! [--smdp-keys DIR | …] [--tls-cert FILE --tls-key FILE] [--ca-out FILE] [--log FILE]`: the
//! test SM-DP+ over ES9+ (HTTPS, or plain HTTP behind a proxy). Prints each catalogue entry's
//! activation code and its QR code, then serves until stopped.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use veuicc::host::smdp::{Running, tls_config};
use veuicc::testkit::es9_lpa::{ActivationCode, check_address};
use veuicc::testkit::es9p::{Catalogue, Es9Server};
use veuicc::testkit::pki::{SmdpFiles, default_pki, read_der};
use veuicc::testkit::smdp::SmdpKeys;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Serve ES9+ (initiateAuthentication, authenticateClient, getBoundProfilePackage,
    /// handleNotification, cancelSession) for any LPA.
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// The SM-DP+ address LPAs use (host[:port]; in activation codes, serverSigned1 and the
    /// notification address); default: the listen address.
    #[arg(long, value_name = "HOST[:PORT]")]
    address: Option<String>,
    /// Plain HTTP, for a TLS-terminating proxy in front.
    #[arg(long)]
    plain_http: bool,
    /// Catalogue folder: `catalogue.json` (matchingId, package, iccid, spn, name, class, pprs,
    /// notifications, confirmationCode per entry) and the package files it names; default:
    /// the generated test profile under matchingId VEUICC-TEST-PROFILE.
    #[arg(long, value_name = "DIR")]
    catalogue: Option<PathBuf>,
    /// Directory with the SM-DP+ certificates and keys (CERT.DPauth, CERT.DPpb, their keys, the
    /// CI), recognised by content, e.g. the GSMA SGP.26 set; default: the embedded test PKI's.
    #[arg(long, value_name = "DIR")]
    smdp_keys: Option<PathBuf>,
    /// The TLS certificate (CERT.DP.TLS, PEM or DER); default with the embedded test PKI: one
    /// issued by its CI for the address's host.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The TLS certificate's private key (PEM or DER).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Write the CI certificate (PEM) here: what LPAs trust the TLS certificate with
    /// (`veuicc download --smdp-ca FILE`, curl's CA file).
    #[arg(long, value_name = "FILE")]
    ca_out: Option<PathBuf>,
    /// Append the event log (JSON lines) here; default: standard error.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    /// Seconds a download session may take.
    #[arg(long, default_value_t = 600)]
    session_timeout: u64,
    /// Accept a CERT.EUICC or CERT.EUM that is expired or not yet valid at the system time.
    #[arg(long)]
    accept_expired: bool,
    /// Runtime worker threads (connections; the crypto runs on a blocking pool).
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Print no QR codes (the activation codes still).
    #[arg(long)]
    no_qr: bool,
    /// The SGP.22 version the SM-DP+ is: 2.5 (the default), 3.0 or 3.1. A v3 server sends a v3
    /// card serverSigned1's sessionContext and serverRspCapability; a v2 card gets v2.5 messages.
    #[arg(long, value_name = "VERSION", value_parser = parse_sgp22, default_value = "2.5")]
    sgp22: veuicc::config::Sgp22Version,
}

fn parse_sgp22(text: &str) -> Result<veuicc::config::Sgp22Version, String> {
    veuicc::config::Sgp22Version::parse(text).ok_or_else(|| format!("{text:?}: the SM-DP+ is SGP.22 2.5, 3.0 or 3.1"))
}

pub(crate) fn run(args: Args) -> Result<ExitCode, String> {
    match args.command {
        Sub::Serve(a) => serve(a),
    }
}

/// The host part of an SM-DP+ address.
fn host(address: &str) -> &str {
    let h = match address.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && (!h.contains(':') || h.ends_with(']')) => h,
        _ => address,
    };
    h.trim_start_matches('[').trim_end_matches(']')
}

fn serve(args: ServeArgs) -> Result<ExitCode, String> {
    let address = match &args.address {
        Some(a) => a.clone(),
        None if args.listen.ip().is_unspecified() => {
            return Err(format!(
                "--listen {} is every interface: say which address LPAs use with --address",
                args.listen
            ));
        }
        None => args.listen.to_string(),
    };
    check_address(&address)?;
    let catalogue = match &args.catalogue {
        Some(dir) => Catalogue::load_dir(dir)?,
        None => Catalogue::default_test(),
    };
    if catalogue.entries.is_empty() {
        return Err("the catalogue has no entries".into());
    }
    let keys = match &args.smdp_keys {
        None => SmdpKeys::from_pki(default_pki()),
        Some(dir) => {
            let (files, note) = SmdpFiles::default().fill_from_dir(dir).map_err(|e| format!("SM-DP+ keys: {e}"))?;
            if let Some(note) = note {
                errln!("veuicc: note: {note}");
            }
            files.load(&[]).map_err(|e| e.to_string())?
        }
    };
    let tls = if args.plain_http {
        None
    } else {
        let (chain, key) = match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => {
                let cert = read_der(cert, &["CERTIFICATE"]).map_err(|e| e.to_string())?;
                let key = zeroize::Zeroizing::new(
                    read_der(key, &["EC PRIVATE KEY", "PRIVATE KEY"]).map_err(|e| e.to_string())?,
                );
                (vec![cert], key)
            }
            _ if args.smdp_keys.is_some() => {
                return Err("with --smdp-keys, give the TLS certificate and key too (--tls-cert, --tls-key), \
                            e.g. CERT.DP.TLS of the same PKI"
                    .into());
            }
            _ => {
                let issued = default_pki().issue_dptls(host(&address), 0x7E57);
                let key = p256::pkcs8::EncodePrivateKey::to_pkcs8_der(&p256::SecretKey::from(&issued.key))
                    .map_err(|e| format!("TLS key: {e}"))?;
                (vec![issued.der.clone()], zeroize::Zeroizing::new(key.as_bytes().to_vec()))
            }
        };
        Some(tls_config(&chain, &key)?)
    };
    if let Some(path) = &args.ca_out {
        let pem = der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, &keys.ci)
            .map_err(|e| format!("CI certificate: {e}"))?;
        std::fs::write(path, pem).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let mut server = Es9Server::new(keys, Some(&address), catalogue);
    server.limits.session_timeout = Duration::from_secs(args.session_timeout.max(1));
    server.check_dates = !args.accept_expired;
    server.sgp22 = args.sgp22;
    match &args.log {
        Some(path) => {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            server.set_log(Box::new(f));
        }
        None => server.set_log(Box::new(std::io::stderr())),
    }
    let server = Arc::new(server);
    let running = Running::start(args.listen, server.clone(), tls, args.workers)?;
    let scheme = if args.plain_http { "http" } else { "https" };
    outln!("veuicc SM-DP+ (ES9+) on {scheme}://{} as {address}", running.addr);
    for entry in &server.catalogue().entries {
        let code = ActivationCode {
            address: address.clone(),
            matching_id: entry.matching_id.clone(),
            smdp_oid: None,
            cc_required: entry.confirmation_code.is_some(),
        };
        let iccid: String = entry
            .profile
            .metadata
            .iccid
            .iter()
            .flat_map(|x| [x & 0x0F, x >> 4])
            .filter(|d| *d < 10)
            .map(|d| char::from(b'0' + d))
            .collect();
        outln!("");
        outln!("{code}    (ICCID {iccid}{})", if entry.matching_id.is_empty() { ", no matchingId" } else { "" });
        if !args.no_qr
            && let Ok(qr) = qrcode::QrCode::new(code.to_string().as_bytes())
        {
            let art = qr
                .render::<qrcode::render::unicode::Dense1x2>()
                .dark_color(qrcode::render::unicode::Dense1x2::Light)
                .light_color(qrcode::render::unicode::Dense1x2::Dark)
                .quiet_zone(true)
                .build();
            outln!("{art}");
        }
    }
    running.wait();
    Ok(ExitCode::SUCCESS)
}
