//! X.509 certificate checks for the SGP.22 PKI: CI → SM-DP+ (DPauth, DPpb, DPtls) and
//! CI → EUM → eUICC, with each failure mapped to the code an ES10 command returns.
//!
//! Sources: GSMA SGP.22 v2.5 §4.5.2 (certificate profiles), §5.7.13 (AuthenticateServer
//! checks, `AuthenticateErrorCode`), §5.7.5 (PrepareDownload, `DownloadErrorCode`); the role
//! OIDs `id-rspRole-*` from the RSPDefinitions ASN.1 module (`2.23.146.1.2.1.x`); fact sheet
//! `spec/sgp22.md` §1, §3.2 and §5; RFC 5280 for the X.509 structure.
//!
//! What is checked, for a certificate of role *R* issued by key *K* (the CI or the EUM):
//! * it parses as a DER X.509 v3 certificate of at most [`MAX_CERT_LEN`] bytes;
//! * its key is id-ecPublicKey on prime256v1 (anything else: [`CertError::UnsupportedCurve`]);
//! * it is signed with ecdsa-with-SHA256, the same algorithm inside and outside the TBS;
//! * its authorityKeyIdentifier names *K*'s subjectKeyIdentifier and the signature verifies with *K*;
//! * certificatePolicies holds the role OID of *R*; keyUsage is present with `keyCertSign`
//!   (CI, EUM) or `digitalSignature` (all leaves); basicConstraints `cA` for CI/EUM only;
//!   no critical extension that this module does not know; DPauth, DPpb and DSauth carry the
//!   server's OID as a subjectAltName registeredID; CI and EUM carry a SubjectKeyIdentifier,
//!   the EUM its nameConstraints;
//! * the validity period contains `now`, **only when the caller passes a time**. SGP.22 does
//!   not ask the eUICC to check dates (it has no trusted clock; `spec/sgp22.md` §3.2), so the
//!   card's download flow passes its [`Clock`](crate::platform::Clock) reading, usually `None`;
//! * for an eUICC certificate: the subject serialNumber is a valid EID, and the EUM's
//!   nameConstraints permit it **the SGP.22 way** — subject O equal to the permitted O and the
//!   EID starting with the permitted serialNumber. RFC 5280 name-constraint matching would reject
//!   every real eUICC certificate (`fixtures/README.md`), so it is not used.
//!
//! Parsing is bounded ([`MAX_CERT_LEN`]) and never panics: every failure is a [`CertError`].

use crate::asn1::codes::{AuthenticateErrorCode, DownloadErrorCode};
use crate::config::Eid;
use crate::crypto::provider::{CryptoProvider, PublicKey};
use crate::platform::UnixTime;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use der::asn1::ObjectIdentifier;
use der::{Decode, Reader, SliceReader, Tag, Tagged};
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies, KeyUsage, NameConstraints, SubjectKeyIdentifier,
};
use x509_cert::name::Name;

/// Largest certificate accepted, in bytes. SGP.22 certificates are well under 1 KB
/// (the SGP.26 ones are 500–800 bytes); the bound keeps hostile input cheap.
pub const MAX_CERT_LEN: usize = 2048;

/// OIDs used by the checks (SGP.22 v2.5 RSPDefinitions; RFC 5480; RFC 5758; X.520).
pub mod oid {
    use der::asn1::ObjectIdentifier;

    /// `id-rspRole-ci` 2.23.146.1.2.1.0.
    pub const ROLE_CI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.146.1.2.1.0");
    /// `id-rspRole-euicc` 2.23.146.1.2.1.1.
    pub const ROLE_EUICC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.146.1.2.1.1");
    /// `id-rspRole-eum` 2.23.146.1.2.1.2.
    pub const ROLE_EUM: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.146.1.2.1.2");
    /// `id-rspRole-dp-tls` 2.23.146.1.2.1.3.
    pub const ROLE_DP_TLS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.146.1.2.1.3");
    /// `id-rspRole-dp-auth` 2.23.146.1.2.1.4.
    pub const ROLE_DP_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.146.1.2.1.4");
    /// `id-rspRole-dp-pb` 2.23.146.1.2.1.5.
    pub const ROLE_DP_PB: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.146.1.2.1.5");
    /// `id-rspRole-ds-tls` 2.23.146.1.2.1.6.
    pub const ROLE_DS_TLS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.146.1.2.1.6");
    /// `id-rspRole-ds-auth` 2.23.146.1.2.1.7.
    pub const ROLE_DS_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.146.1.2.1.7");
    /// SGP.22 v3's role OIDs under `id-rspRole-ci` (v3 renamed the v2 ones `*-v2`):
    /// `id-rspRole-dp-tls` 2.23.146.1.2.1.0.0.1.0 (`{id-rspRole-dpSubCa 0}`).
    pub const ROLE_V3_DP_TLS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.146.1.2.1.0.0.1.0");
    /// v3 `id-rspRole-dp-auth` 2.23.146.1.2.1.0.0.1.1.
    pub const ROLE_V3_DP_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.146.1.2.1.0.0.1.1");
    /// v3 `id-rspRole-dp-pb` 2.23.146.1.2.1.0.0.1.2.
    pub const ROLE_V3_DP_PB: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.146.1.2.1.0.0.1.2");
    /// v3 `id-rspRole-ds-tls` 2.23.146.1.2.1.0.0.2.0.
    pub const ROLE_V3_DS_TLS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.146.1.2.1.0.0.2.0");
    /// v3 `id-rspRole-ds-auth` 2.23.146.1.2.1.0.0.2.1.
    pub const ROLE_V3_DS_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.146.1.2.1.0.0.2.1");
    /// v3 `id-rspRole-eum` 2.23.146.1.2.1.0.0.0 (`{id-rspRole-ciSubCa 0}`).
    pub const ROLE_V3_EUM: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.146.1.2.1.0.0.0");
    /// v3 `id-rspRole-euicc` 2.23.146.1.2.1.0.0.0.0.0 (`{id-rspRole-eumSubCa 0}`).
    pub const ROLE_V3_EUICC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.146.1.2.1.0.0.0.0.0");
    /// `id-rsp-expDate` 2.23.146.1.2.0.1 (a known, ignorable extension).
    pub const RSP_EXP_DATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.146.1.2.0.1");
    /// `id-ecPublicKey` 1.2.840.10045.2.1 (RFC 5480).
    pub const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
    /// `prime256v1` / secp256r1 1.2.840.10045.3.1.7 (NIST P-256).
    pub const PRIME256V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
    /// `brainpoolP256r1` 1.3.36.3.3.2.8.1.1.7 (allowed by SGP.22, not supported by veuicc).
    pub const BRAINPOOL_P256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.36.3.3.2.8.1.1.7");
    /// `ecdsa-with-SHA256` 1.2.840.10045.4.3.2 (RFC 5758).
    pub const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
    /// X.520 `serialNumber` 2.5.4.5 (the EID in an eUICC subject, the EID prefix in an EUM constraint).
    pub const SERIAL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.5");
    /// X.520 `organizationName` 2.5.4.10.
    pub const ORGANIZATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
    /// `extKeyUsage` 2.5.29.37.
    pub const EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
    /// `cRLDistributionPoints` 2.5.29.31.
    pub const CRL_DISTRIBUTION_POINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.31");
    /// `subjectKeyIdentifier` 2.5.29.14.
    pub const SUBJECT_KEY_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
    /// `keyUsage` 2.5.29.15.
    pub const KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
    /// `subjectAltName` 2.5.29.17.
    pub const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
    /// `basicConstraints` 2.5.29.19.
    pub const BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
    /// `nameConstraints` 2.5.29.30.
    pub const NAME_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.30");
    /// `certificatePolicies` 2.5.29.32.
    pub const CERTIFICATE_POLICIES: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.32");
    /// `authorityKeyIdentifier` 2.5.29.35.
    pub const AUTHORITY_KEY_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
}

/// The role a certificate plays, named by its certificatePolicies OID (SGP.22 v2.5 §4.5.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// CERT.CI — the GSMA Certificate Issuer (root).
    Ci,
    /// CERT.EUICC.ECDSA — the card.
    Euicc,
    /// CERT.EUM.ECDSA — the eUICC manufacturer.
    Eum,
    /// CERT.DP.TLS — SM-DP+ TLS server.
    DpTls,
    /// CERT.DPauth.ECDSA — SM-DP+ authentication (AuthenticateServer).
    DpAuth,
    /// CERT.DPpb.ECDSA — SM-DP+ profile binding (PrepareDownload, BPP).
    DpPb,
    /// CERT.DS.TLS — SM-DS TLS server.
    DsTls,
    /// CERT.DSauth.ECDSA — SM-DS authentication (AuthenticateServer via an SM-DS).
    DsAuth,
}

impl Role {
    /// The `id-rspRole-*` policy OID.
    pub const fn oid(self) -> ObjectIdentifier {
        match self {
            Role::Ci => oid::ROLE_CI,
            Role::Euicc => oid::ROLE_EUICC,
            Role::Eum => oid::ROLE_EUM,
            Role::DpTls => oid::ROLE_DP_TLS,
            Role::DpAuth => oid::ROLE_DP_AUTH,
            Role::DpPb => oid::ROLE_DP_PB,
            Role::DsTls => oid::ROLE_DS_TLS,
            Role::DsAuth => oid::ROLE_DS_AUTH,
        }
    }

    /// The role's SGP.22 v3 policy OID where v3 gave the server roles new ones
    /// (RSPDefinitions v3.0: `id-rspRole-dp-auth ::= {id-rspRole-dpSubCa 1}` …, the v2 OIDs
    /// kept as `id-rspRole-dp-auth-v2` …). A v3 card accepts a server certificate with either;
    /// CERT.EUM and CERT.EUICC (the card's own chain, and what an SM-DP+ checks) are accepted
    /// with either on every card, since a card's identity does not depend on its personality.
    pub const fn oid_v3(self) -> Option<ObjectIdentifier> {
        match self {
            Role::DpTls => Some(oid::ROLE_V3_DP_TLS),
            Role::DpAuth => Some(oid::ROLE_V3_DP_AUTH),
            Role::DpPb => Some(oid::ROLE_V3_DP_PB),
            Role::DsTls => Some(oid::ROLE_V3_DS_TLS),
            Role::DsAuth => Some(oid::ROLE_V3_DS_AUTH),
            Role::Eum => Some(oid::ROLE_V3_EUM),
            Role::Euicc => Some(oid::ROLE_V3_EUICC),
            // `id-rspRole-ci` is the same arc in both versions.
            Role::Ci => None,
        }
    }

    /// True for the roles that sign certificates (CI, EUM).
    pub const fn is_ca(self) -> bool {
        matches!(self, Role::Ci | Role::Eum)
    }
}

/// Why a certificate was refused. Each variant maps to one `AuthenticateErrorCode`
/// ([`CertError::code`]) and one `DownloadErrorCode` ([`CertError::download_code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertError {
    /// Not a DER X.509 certificate, longer than [`MAX_CERT_LEN`], or an extension does not decode.
    Malformed,
    /// The subject key is not EC on prime256v1 (e.g. brainpoolP256r1, or not EC at all).
    UnsupportedCurve,
    /// The certificate is not signed with ecdsa-with-SHA256 (or the two algorithm fields differ).
    UnsupportedAlgorithm,
    /// No trusted CI has the requested public key identifier (`euiccCiPKIdToBeUsed`).
    CiPkUnknown,
    /// The authorityKeyIdentifier is missing or does not name the expected issuer.
    WrongIssuer,
    /// The certificate's signature does not verify with the issuer's key.
    BadCertSignature,
    /// `now` is before notBefore.
    NotYetValid,
    /// `now` is after notAfter.
    Expired,
    /// certificatePolicies does not hold the OID of the expected role.
    WrongPolicy {
        /// The role that was expected (the first one when several were acceptable).
        expected: Role,
    },
    /// keyUsage is missing or lacks the bit the role needs.
    KeyUsage,
    /// basicConstraints contradicts the role (a CA without `cA`, a leaf with `cA`).
    BasicConstraints,
    /// A required extension is missing (named by its RFC 5280 name).
    MissingExtension(&'static str),
    /// A critical extension this module does not know.
    UnknownCriticalExtension,
    /// The eUICC subject has no serialNumber, or it is not a valid EID.
    BadEid,
    /// The EID (or subject O) is outside what the EUM's nameConstraints permit.
    EidOutsideEum,
    /// A message signature (serverSignature1, smdpSignature2, …) does not verify with the certificate's key.
    BadSignature,
}

impl CertError {
    /// The `AuthenticateErrorCode` ES10b.AuthenticateServer returns for this failure
    /// (SGP.22 v2.5 §5.7.13; order of checks in `spec/sgp22.md` §3.2).
    pub fn code(self) -> AuthenticateErrorCode {
        match self {
            CertError::Malformed => AuthenticateErrorCode::InvalidCertificate,
            CertError::UnsupportedCurve => AuthenticateErrorCode::UnsupportedCurve,
            CertError::UnsupportedAlgorithm => AuthenticateErrorCode::InvalidCertificate,
            CertError::CiPkUnknown => AuthenticateErrorCode::CiPkUnknown,
            CertError::WrongIssuer => AuthenticateErrorCode::InvalidCertificate,
            CertError::BadCertSignature => AuthenticateErrorCode::InvalidCertificate,
            CertError::NotYetValid => AuthenticateErrorCode::InvalidCertificate,
            CertError::Expired => AuthenticateErrorCode::InvalidCertificate,
            CertError::WrongPolicy { .. } => AuthenticateErrorCode::InvalidOid,
            CertError::KeyUsage => AuthenticateErrorCode::InvalidCertificate,
            CertError::BasicConstraints => AuthenticateErrorCode::InvalidCertificate,
            CertError::MissingExtension(_) => AuthenticateErrorCode::InvalidCertificate,
            CertError::UnknownCriticalExtension => AuthenticateErrorCode::InvalidCertificate,
            CertError::BadEid => AuthenticateErrorCode::InvalidCertificate,
            CertError::EidOutsideEum => AuthenticateErrorCode::InvalidCertificate,
            CertError::BadSignature => AuthenticateErrorCode::InvalidSignature,
        }
    }

    /// The `DownloadErrorCode` ES10b.PrepareDownload returns for this failure (SGP.22 v2.5 §5.7.5):
    /// anything wrong with CERT.DPpb, its policy included, is invalidCertificate.
    pub fn download_code(self) -> DownloadErrorCode {
        match self {
            CertError::UnsupportedCurve => DownloadErrorCode::UnsupportedCurve,
            CertError::BadSignature => DownloadErrorCode::InvalidSignature,
            CertError::Malformed
            | CertError::UnsupportedAlgorithm
            | CertError::CiPkUnknown
            | CertError::WrongIssuer
            | CertError::BadCertSignature
            | CertError::NotYetValid
            | CertError::Expired
            | CertError::WrongPolicy { .. }
            | CertError::KeyUsage
            | CertError::BasicConstraints
            | CertError::MissingExtension(_)
            | CertError::UnknownCriticalExtension
            | CertError::BadEid
            | CertError::EidOutsideEum => DownloadErrorCode::InvalidCertificate,
        }
    }
}

impl fmt::Display for CertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertError::Malformed => write!(f, "not a DER X.509 certificate of at most {MAX_CERT_LEN} bytes"),
            CertError::UnsupportedCurve => f.write_str("the key is not on NIST P-256"),
            CertError::UnsupportedAlgorithm => f.write_str("not signed with ecdsa-with-SHA256"),
            CertError::CiPkUnknown => f.write_str("no trusted CI has that public key identifier"),
            CertError::WrongIssuer => f.write_str("authorityKeyIdentifier does not name the issuer"),
            CertError::BadCertSignature => f.write_str("the signature does not verify with the issuer's key"),
            CertError::NotYetValid => f.write_str("not valid yet (before notBefore)"),
            CertError::Expired => f.write_str("expired (after notAfter)"),
            CertError::WrongPolicy { expected } => {
                write!(f, "certificatePolicies lacks {} ({expected:?})", expected.oid())
            }
            CertError::KeyUsage => f.write_str("keyUsage is missing or lacks the bit the role needs"),
            CertError::BasicConstraints => f.write_str("basicConstraints contradicts the role"),
            CertError::MissingExtension(name) => write!(f, "the {name} extension is missing"),
            CertError::UnknownCriticalExtension => f.write_str("an unknown extension is marked critical"),
            CertError::BadEid => f.write_str("the subject serialNumber is not a valid EID"),
            CertError::EidOutsideEum => f.write_str(
                "the EUM does not permit this EID (subject O and EID prefix must match its nameConstraints)",
            ),
            CertError::BadSignature => f.write_str("the signature does not verify with the certificate's key"),
        }
    }
}

impl core::error::Error for CertError {}

/// A parsed certificate and the exact bytes its signature covers.
struct Parsed<'a> {
    cert: Certificate,
    tbs: &'a [u8],
}

/// Parses one certificate, bounded by [`MAX_CERT_LEN`]; trailing bytes are an error.
fn parse(der: &[u8]) -> Result<Parsed<'_>, CertError> {
    if der.len() > MAX_CERT_LEN {
        return Err(CertError::Malformed);
    }
    let cert = Certificate::from_der(der).map_err(|_| CertError::Malformed)?;
    // The TBS exactly as received: the signature covers these bytes, not a re-encoding.
    let mut reader = SliceReader::new(der).map_err(|_| CertError::Malformed)?;
    let outer = der::Header::decode(&mut reader).map_err(|_| CertError::Malformed)?;
    if outer.tag() != Tag::Sequence {
        return Err(CertError::Malformed);
    }
    let tbs = reader.tlv_bytes().map_err(|_| CertError::Malformed)?;
    Ok(Parsed { cert, tbs })
}

/// The subject key, if it is an EC key on P-256.
fn subject_key(crypto: &dyn CryptoProvider, cert: &Certificate) -> Result<PublicKey, CertError> {
    let spki = cert.tbs_certificate().subject_public_key_info();
    if spki.algorithm.oid != oid::EC_PUBLIC_KEY {
        return Err(CertError::UnsupportedCurve);
    }
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
        .ok_or(CertError::UnsupportedCurve)?;
    if curve != oid::PRIME256V1 {
        return Err(CertError::UnsupportedCurve);
    }
    let point = spki.subject_public_key.as_bytes().ok_or(CertError::Malformed)?;
    crypto.public_key(point).map_err(|_| CertError::Malformed)
}

/// Checks the algorithm and verifies the signature with the issuer's key.
fn check_signature(crypto: &dyn CryptoProvider, p: &Parsed<'_>, issuer: &PublicKey) -> Result<(), CertError> {
    let outer = p.cert.signature_algorithm();
    let inner = p.cert.tbs_certificate().signature();
    if outer.oid != oid::ECDSA_WITH_SHA256 || inner.oid != oid::ECDSA_WITH_SHA256 || outer != inner {
        return Err(CertError::UnsupportedAlgorithm);
    }
    let sig = p.cert.signature().as_bytes().ok_or(CertError::BadCertSignature)?;
    if crypto.verify_der(issuer, p.tbs, sig) { Ok(()) } else { Err(CertError::BadCertSignature) }
}

fn check_validity(cert: &Certificate, now: Option<UnixTime>) -> Result<(), CertError> {
    let Some(UnixTime(now)) = now else { return Ok(()) };
    let validity = cert.tbs_certificate().validity();
    if now < validity.not_before.to_unix_duration().as_secs() {
        return Err(CertError::NotYetValid);
    }
    if now > validity.not_after.to_unix_duration().as_secs() {
        return Err(CertError::Expired);
    }
    Ok(())
}

/// Extensions this module knows; an unknown one marked critical refuses the certificate.
const KNOWN_EXTENSIONS: [ObjectIdentifier; 10] = [
    oid::SUBJECT_KEY_IDENTIFIER,
    oid::KEY_USAGE,
    oid::SUBJECT_ALT_NAME,
    oid::BASIC_CONSTRAINTS,
    oid::NAME_CONSTRAINTS,
    oid::CRL_DISTRIBUTION_POINTS,
    oid::CERTIFICATE_POLICIES,
    oid::AUTHORITY_KEY_IDENTIFIER,
    oid::EXT_KEY_USAGE,
    oid::RSP_EXP_DATE,
];

fn ski(cert: &Certificate) -> Result<Option<Vec<u8>>, CertError> {
    let ext = cert.tbs_certificate().get_extension::<SubjectKeyIdentifier>().map_err(|_| CertError::Malformed)?;
    Ok(ext.map(|(_, s)| s.0.as_bytes().to_vec()))
}

fn aki(cert: &Certificate) -> Result<Option<Vec<u8>>, CertError> {
    let ext = cert.tbs_certificate().get_extension::<AuthorityKeyIdentifier>().map_err(|_| CertError::Malformed)?;
    Ok(ext.and_then(|(_, a)| a.key_identifier).map(|k| k.as_bytes().to_vec()))
}

/// Policy, keyUsage, basicConstraints and critical extensions for one of `roles`; returns the role found.
fn check_profile(cert: &Certificate, roles: &[Role]) -> Result<Role, CertError> {
    check_profile_for(cert, roles, false)
}

/// [`check_profile`]; with `v3`, a role's SGP.22 v3 policy OID ([`Role::oid_v3`]) counts too.
fn check_profile_for(cert: &Certificate, roles: &[Role], v3: bool) -> Result<Role, CertError> {
    let tbs = cert.tbs_certificate();
    for ext in tbs.extensions().map(|e| e.as_slice()).unwrap_or_default() {
        if ext.critical && !KNOWN_EXTENSIONS.contains(&ext.extn_id) {
            return Err(CertError::UnknownCriticalExtension);
        }
    }
    let expected = roles.first().copied().unwrap_or(Role::DpAuth);
    let policies = tbs
        .get_extension::<CertificatePolicies>()
        .map_err(|_| CertError::Malformed)?
        .map(|(_, p)| p.0)
        .unwrap_or_default();
    let role = roles
        .iter()
        .copied()
        .find(|r| {
            policies.iter().any(|p| p.policy_identifier == r.oid() || (v3 && r.oid_v3() == Some(p.policy_identifier)))
        })
        .ok_or(CertError::WrongPolicy { expected })?;
    let (_, usage) = tbs.get_extension::<KeyUsage>().map_err(|_| CertError::Malformed)?.ok_or(CertError::KeyUsage)?;
    let usage_ok = if role.is_ca() { usage.key_cert_sign() } else { usage.digital_signature() };
    if !usage_ok {
        return Err(CertError::KeyUsage);
    }
    let ca = tbs.get_extension::<BasicConstraints>().map_err(|_| CertError::Malformed)?.is_some_and(|(_, b)| b.ca);
    if ca != role.is_ca() {
        return Err(CertError::BasicConstraints);
    }
    Ok(role)
}

/// A CI certificate the card trusts: its key and its SubjectKeyIdentifier (the CI PKID
/// reported in `euiccCiPKIdListForVerification`, SGP.22 v2.5 §5.7.8).
#[derive(Clone, Debug)]
pub struct TrustedCi {
    ski: Vec<u8>,
    key: PublicKey,
    der: Vec<u8>,
}

impl TrustedCi {
    /// Parses and checks a CI certificate: self-signed with its own P-256 key, policy
    /// `id-rspRole-ci`, `cA` and `keyCertSign`, SubjectKeyIdentifier present. Dates are not checked.
    pub fn from_der(crypto: &dyn CryptoProvider, der: &[u8]) -> Result<TrustedCi, CertError> {
        let p = parse(der)?;
        let key = subject_key(crypto, &p.cert)?;
        check_signature(crypto, &p, &key)?;
        check_profile(&p.cert, &[Role::Ci])?;
        let ski = ski(&p.cert)?.ok_or(CertError::MissingExtension("subjectKeyIdentifier"))?;
        Ok(TrustedCi { ski, key, der: der.to_vec() })
    }

    /// The CI public key identifier (SubjectKeyIdentifier).
    pub fn ski(&self) -> &[u8] {
        &self.ski
    }

    /// The CI public key (PK.CI.ECDSA).
    pub fn key(&self) -> &PublicKey {
        &self.key
    }

    /// The certificate as loaded.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
}

/// An SM-DP+ (or SM-DS) certificate that passed [`verify_dp_cert`]: a witness. Its fields are
/// private and [`verify_dp_cert`] is the only function that makes one, so holding a
/// `VerifiedCert` proves the chain, policy and OID checks ran (neither `Clone` nor buildable
/// elsewhere).
#[derive(Debug)]
pub struct VerifiedCert {
    key: PublicKey,
    role: Role,
    smdp_oid: Option<Vec<u8>>,
    ci_pkid: Vec<u8>,
}

impl VerifiedCert {
    /// The certificate's public key (PK.DPauth.ECDSA, PK.DPpb.ECDSA, …).
    pub fn key(&self) -> &PublicKey {
        &self.key
    }

    /// The role its policy names (one of those asked for).
    pub fn role(&self) -> Role {
        self.role
    }

    /// The SM-DP+ OID: the first subjectAltName registeredID, if any (`smdpOid`, SGP.22 v2.5
    /// §4.5.2.1), as OID content bytes (what `smdpOid` carries on the wire, e.g. `88 37 0A` for
    /// 2.999.10; `const-oid` cannot hold such arcs, so the bytes are kept as they are).
    pub fn smdp_oid(&self) -> Option<&[u8]> {
        self.smdp_oid.as_deref()
    }

    /// The SubjectKeyIdentifier of the CI that signed it.
    pub fn ci_pkid(&self) -> &[u8] {
        &self.ci_pkid
    }

    /// Verifies a raw `r ‖ s` signature made with this certificate's key (serverSignature1,
    /// smdpSignature2, smdpSign …): [`CertError::BadSignature`] → invalidSignature.
    pub fn verify(&self, crypto: &dyn CryptoProvider, msg: &[u8], raw_signature: &[u8]) -> Result<(), CertError> {
        if crypto.verify(&self.key, msg, raw_signature) { Ok(()) } else { Err(CertError::BadSignature) }
    }
}

/// Verifies an SM-DP+ / SM-DS certificate issued directly by a CI (SGP.22 v2.5 §5.7.13 steps
/// for serverCertificate, §5.7.5 for CERT.DPpb).
///
/// * `roles`: the acceptable policies, e.g. `[DpAuth, DsAuth]` in AuthenticateServer, `[DpPb]` in PrepareDownload.
/// * `ci_pkid`: the CI to use (`euiccCiPKIdToBeUsed`, or the session's CI); it must be in `cis`
///   ([`CertError::CiPkUnknown`]) and the certificate's AKI must name it. With `None` the CI is
///   the one the AKI names.
/// * `now`: checks the validity period when `Some` (see the module docs).
pub fn verify_dp_cert(
    crypto: &dyn CryptoProvider,
    cert_der: &[u8],
    roles: &[Role],
    cis: &[TrustedCi],
    ci_pkid: Option<&[u8]>,
    now: Option<UnixTime>,
) -> Result<VerifiedCert, CertError> {
    verify_server_cert(crypto, cert_der, roles, cis, ci_pkid, now, false)
}

/// [`verify_dp_cert`] for a card of either version: with `v3` (an SGP.22 v3 card) the roles'
/// v3 policy OIDs are accepted as well as the v2 ones ([`Role::oid_v3`]). Certificates
/// issued through a v3 SubCA (`otherCertsInChain`) are not followed: the certificate must be
/// issued by a trusted CI, as in v2.
pub fn verify_server_cert(
    crypto: &dyn CryptoProvider,
    cert_der: &[u8],
    roles: &[Role],
    cis: &[TrustedCi],
    ci_pkid: Option<&[u8]>,
    now: Option<UnixTime>,
    v3: bool,
) -> Result<VerifiedCert, CertError> {
    let chosen = match ci_pkid {
        Some(id) => Some(cis.iter().find(|c| c.ski == id).ok_or(CertError::CiPkUnknown)?),
        None => None,
    };
    let p = parse(cert_der)?;
    let key = subject_key(crypto, &p.cert)?;
    let aki = aki(&p.cert)?.ok_or(CertError::WrongIssuer)?;
    let ci = match chosen {
        Some(ci) if ci.ski == aki => ci,
        Some(_) => return Err(CertError::WrongIssuer),
        None => cis.iter().find(|c| c.ski == aki).ok_or(CertError::CiPkUnknown)?,
    };
    check_signature(crypto, &p, &ci.key)?;
    check_validity(&p.cert, now)?;
    let role = check_profile_for(&p.cert, roles, v3)?;
    let smdp_oid = registered_id(&p.cert)?;
    // The SM-DP+/SM-DS OID names the server in the session and in the PIR (`smdpOid`): the
    // auth and pb profiles carry it (SGP.22 v2.5 §4.5.2.1; every SGP.26 DPauth/DPpb has it).
    if smdp_oid.is_none() && matches!(role, Role::DpAuth | Role::DpPb | Role::DsAuth) {
        return Err(CertError::MissingExtension("subjectAltName registeredID"));
    }
    Ok(VerifiedCert { key, role, smdp_oid, ci_pkid: ci.ski.clone() })
}

/// The content bytes of the first `registeredID` ([8] IMPLICIT OBJECT IDENTIFIER) in subjectAltName.
/// Read as raw TLVs: `x509-cert`'s `GeneralName` cannot decode OIDs such as 2.999.10.
fn registered_id(cert: &Certificate) -> Result<Option<Vec<u8>>, CertError> {
    let Some(ext) =
        cert.tbs_certificate().extensions().and_then(|e| e.iter().find(|e| e.extn_id == oid::SUBJECT_ALT_NAME))
    else {
        return Ok(None);
    };
    let mut outer = SliceReader::new(ext.extn_value.as_bytes()).map_err(|_| CertError::Malformed)?;
    let names = der::asn1::AnyRef::decode(&mut outer).map_err(|_| CertError::Malformed)?;
    if names.tag() != Tag::Sequence || !outer.is_finished() {
        return Err(CertError::Malformed);
    }
    let mut reader = SliceReader::new(names.value()).map_err(|_| CertError::Malformed)?;
    while !reader.is_finished() {
        let name = der::asn1::AnyRef::decode(&mut reader).map_err(|_| CertError::Malformed)?;
        if name.tag() == (Tag::ContextSpecific { constructed: false, number: der::TagNumber(8) }) {
            return Ok(Some(name.value().to_vec()));
        }
    }
    Ok(None)
}

/// One permitted subtree of an EUM: subject O and EID prefix (SGP.22 v2.5 §4.5.2.1.0.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EidRange {
    /// The organisation every eUICC subject must carry.
    pub organization: String,
    /// The digits every EID must start with (the permitted serialNumber).
    pub eid_prefix: String,
}

/// An EUM certificate that passed [`verify_eum`].
#[derive(Clone, Debug)]
pub struct VerifiedEum {
    /// PK.EUM.ECDSA.
    pub key: PublicKey,
    /// Its SubjectKeyIdentifier (the AKI of the eUICC certificates it signs).
    pub ski: Vec<u8>,
    /// The SubjectKeyIdentifier of the CI that signed it.
    pub ci_pkid: Vec<u8>,
    /// The EID ranges its nameConstraints permit.
    pub ranges: Vec<EidRange>,
}

/// Verifies CERT.EUM against the trusted CI its AKI names (policy `id-rspRole-eum`, `cA`,
/// `keyCertSign`, SKI and nameConstraints present).
pub fn verify_eum(
    crypto: &dyn CryptoProvider,
    eum_der: &[u8],
    cis: &[TrustedCi],
    now: Option<UnixTime>,
) -> Result<VerifiedEum, CertError> {
    let p = parse(eum_der)?;
    let key = subject_key(crypto, &p.cert)?;
    let aki = aki(&p.cert)?.ok_or(CertError::WrongIssuer)?;
    // Several trusted certificates may carry one key (SGP.26 `ci_nist`, `ci2017_nist`): try each.
    let mut result = Err(CertError::CiPkUnknown);
    for ci in cis.iter().filter(|c| c.ski == aki) {
        result = check_signature(crypto, &p, &ci.key).map(|()| ci);
        if result.is_ok() {
            break;
        }
    }
    let ci = result?;
    check_validity(&p.cert, now)?;
    check_profile_for(&p.cert, &[Role::Eum], true)?;
    let ski = ski(&p.cert)?.ok_or(CertError::MissingExtension("subjectKeyIdentifier"))?;
    let (_, nc) = p
        .cert
        .tbs_certificate()
        .get_extension::<NameConstraints>()
        .map_err(|_| CertError::Malformed)?
        .ok_or(CertError::MissingExtension("nameConstraints"))?;
    let mut ranges = Vec::new();
    for subtree in nc.permitted_subtrees.unwrap_or_default() {
        // SGP.22 needs both parts; a subtree without an O or an EID prefix permits nothing
        // (read the RFC 5280 way it would permit every EID).
        if let GeneralName::DirectoryName(name) = subtree.base {
            let organization = attribute(&name, oid::ORGANIZATION).unwrap_or_default();
            let eid_prefix = attribute(&name, oid::SERIAL_NUMBER).unwrap_or_default();
            if !organization.is_empty() && !eid_prefix.is_empty() {
                ranges.push(EidRange { organization, eid_prefix });
            }
        }
    }
    Ok(VerifiedEum { key, ski, ci_pkid: ci.ski.clone(), ranges })
}

/// An eUICC certificate that passed [`verify_euicc`].
#[derive(Clone, Debug)]
pub struct VerifiedEuicc {
    /// PK.EUICC.ECDSA.
    pub key: PublicKey,
    /// The EID from the subject serialNumber.
    pub eid: Eid,
}

/// Verifies CERT.EUICC under a verified EUM: AKI = EUM SKI, signature, policy `id-rspRole-euicc`,
/// `digitalSignature`, EID valid and inside one of the EUM's ranges (the SGP.22 rule, not RFC 5280's).
pub fn verify_euicc(
    crypto: &dyn CryptoProvider,
    euicc_der: &[u8],
    eum: &VerifiedEum,
    now: Option<UnixTime>,
) -> Result<VerifiedEuicc, CertError> {
    let p = parse(euicc_der)?;
    let key = subject_key(crypto, &p.cert)?;
    if aki(&p.cert)?.as_deref() != Some(eum.ski.as_slice()) {
        return Err(CertError::WrongIssuer);
    }
    check_signature(crypto, &p, &eum.key)?;
    check_validity(&p.cert, now)?;
    check_profile_for(&p.cert, &[Role::Euicc], true)?;
    let subject = p.cert.tbs_certificate().subject();
    let digits = attribute(subject, oid::SERIAL_NUMBER).ok_or(CertError::BadEid)?;
    let eid = Eid::parse(&digits).map_err(|_| CertError::BadEid)?;
    let org = attribute(subject, oid::ORGANIZATION).unwrap_or_default();
    let permitted = eum.ranges.iter().any(|r| r.organization == org && digits.starts_with(r.eid_prefix.as_str()));
    if !permitted {
        return Err(CertError::EidOutsideEum);
    }
    Ok(VerifiedEuicc { key, eid })
}

/// The first value of attribute `oid` in `name` as text (UTF8String, PrintableString, IA5String).
fn attribute(name: &Name, oid: ObjectIdentifier) -> Option<String> {
    name.iter().filter(|atv| atv.oid == oid).find_map(|atv| {
        let value = &atv.value;
        match value.tag() {
            Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::TeletexString => {
                core::str::from_utf8(value.value()).ok().map(String::from)
            }
            _ => None,
        }
    })
}

/// The SubjectKeyIdentifier of a certificate, if it parses and has one.
pub fn subject_key_identifier(cert_der: &[u8]) -> Result<Option<Vec<u8>>, CertError> {
    ski(&parse(cert_der)?.cert)
}

/// The subject public key of a certificate (P-256 only).
pub fn certificate_key(crypto: &dyn CryptoProvider, cert_der: &[u8]) -> Result<PublicKey, CertError> {
    subject_key(crypto, &parse(cert_der)?.cert)
}
