//! ES9+ over HTTPS for the LPA side ([`crate::testkit::es9_lpa`]): `ureq` with rustls (ring).
//!
//! The SM-DP+'s TLS certificate (CERT.DP.TLS) is checked against the given roots — the card's
//! trusted CIs, which issue it under SGP.22, or an explicit CA file — never against the
//! system's web roots; `insecure` turns the check off, for expired test certificates, and the
//! caller says so. Answers are read up to [`MAX_ANSWER`] bytes.

use crate::testkit::es9_lpa::Es9Transport;
use crate::testkit::es9p::{ADMIN_PROTOCOL, PATH_PREFIX};
use std::format;
use std::string::String;
use std::time::Duration;
use std::vec::Vec;

/// The largest answer read (a BPP of a large profile is a few hundred KiB of base64).
pub const MAX_ANSWER: u64 = 16 << 20;

/// ES9+ over HTTP(S).
#[derive(Debug)]
pub struct HttpsTransport {
    agent: ureq::Agent,
    scheme: &'static str,
}

impl HttpsTransport {
    /// HTTPS trusting only `roots` (DER certificates), or anything with `insecure`.
    pub fn new(roots: &[Vec<u8>], insecure: bool) -> HttpsTransport {
        use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
        let certs: Vec<Certificate<'static>> = roots.iter().map(|d| Certificate::from_der(d).to_owned()).collect();
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(RootCerts::new_with_certs(&certs))
            .disable_verification(insecure)
            .build();
        HttpsTransport { agent: HttpsTransport::agent(tls), scheme: "https" }
    }

    /// Plain HTTP (an SM-DP+ behind `--plain-http`, tests).
    pub fn plain() -> HttpsTransport {
        HttpsTransport { agent: HttpsTransport::agent(ureq::tls::TlsConfig::default()), scheme: "http" }
    }

    fn agent(tls: ureq::tls::TlsConfig) -> ureq::Agent {
        ureq::Agent::config_builder()
            .tls_config(tls)
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .user_agent("veuicc-lpa")
            .build()
            .into()
    }
}

impl Es9Transport for HttpsTransport {
    fn post(&mut self, address: &str, function: &str, body: &[u8]) -> Result<(u16, Vec<u8>), String> {
        let url = format!("{}://{address}{PATH_PREFIX}{function}", self.scheme);
        let mut resp = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json")
            .header("X-Admin-Protocol", ADMIN_PROTOCOL)
            .send(body)
            .map_err(|e| format!("{url}: {e}"))?;
        let status = resp.status().as_u16();
        let rx = resp.body_mut().with_config().limit(MAX_ANSWER).read_to_vec().map_err(|e| format!("{url}: {e}"))?;
        Ok((status, rx))
    }
}

/// Reads PEM or DER certificates (a PEM file may hold several).
pub fn read_certificates(path: &std::path::Path) -> Result<Vec<Vec<u8>>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.first() == Some(&0x30) {
        return Ok(std::vec![bytes]);
    }
    let text = String::from_utf8_lossy(&bytes);
    let mut out = Vec::new();
    let mut rest: &str = &text;
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let tail = rest.get(start..).unwrap_or("");
        let Some(end) = tail.find("-----END CERTIFICATE-----") else { break };
        let block_end = end + "-----END CERTIFICATE-----".len();
        let block = tail.get(..block_end).unwrap_or("");
        let (_, der) = der::pem::decode_vec(block.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
        out.push(der);
        rest = tail.get(block_end..).unwrap_or("");
    }
    if out.is_empty() {
        return Err(format!("{}: no certificate (PEM or DER)", path.display()));
    }
    Ok(out)
}
