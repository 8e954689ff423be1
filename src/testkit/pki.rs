//! Test PKI: a CI, an EUM with an EID-prefix constraint, eUICC identities and the SM-DP+
//! DPauth, DPpb and TLS certificates, all deterministic from a seed; plus loading a card
//! identity ([`IdentityFiles`]: `--identity DIR`, `--euicc-cert …`) or SM-DP+ keys
//! ([`SmdpFiles`]: `--smdp-keys DIR`, `--dpauth-cert …`) from DER/PEM files, recognised in a
//! directory by content (role policy, matching key) rather than by name.
//!
//! **Test material only**: the keys come from [`DetRng`], anyone with the seed has them.
//!
//! # Certificate profiles
//! Following GSMA SGP.22 v2.5 §4.5.2 (certificate profiles) as the GSMA SGP.26 test
//! certificates carry them (read with `openssl x509 -text`, see `fixtures/README.md`):
//!
//! | cert | extensions (critical marked `!`) | policy OID |
//! |---|---|---|
//! | CI | SKI; basicConstraints `cA` `!`; policy `!`; keyUsage keyCertSign+cRLSign `!`; SAN registeredID 2.999.1; CRL DP | `id-rspRole-ci` 2.23.146.1.2.1.0 |
//! | EUM | AKI; SKI; keyUsage keyCertSign `!`; policy `!`; SAN registeredID 2.999.5; basicConstraints `cA` pathLen 0 `!`; CRL DP; nameConstraints permitted DirName{O, serialNumber = EID prefix} `!` | `id-rspRole-eum` 2.23.146.1.2.1.2 |
//! | eUICC | AKI; SKI; keyUsage digitalSignature `!`; policy `!`; subject C, O (= the EUM's), serialNumber = EID, CN | `id-rspRole-euicc` 2.23.146.1.2.1.1 |
//! | DPauth / DPpb | AKI; SKI; SAN registeredID 2.999.10 (the SM-DP+ OID); keyUsage digitalSignature `!`; policy `!`; CRL DP | `id-rspRole-dp-auth` .1.4 / `id-rspRole-dp-pb` .1.5 |
//! | DPtls | keyUsage digitalSignature `!`; EKU serverAuth+clientAuth `!`; policy; SKI; AKI; SAN dNSName + registeredID; CRL DP | `id-rspRole-dp-tls` .1.3 |
//!
//! Role OIDs: SGP.22 RSPDefinitions `id-rspRole` (2.23.146.1.2.1). Keys: NIST P-256
//! (`id-ecPublicKey`, `prime256v1`, RFC 5480); signatures ecdsa-with-SHA256 (RFC 5758).
//! SKI: RFC 7093 §2 method 1 — the leftmost 160 bits of SHA-256 over the subjectPublicKey bits
//! (SGP.26 uses SHA-1, RFC 5280 §4.2.1.2; any method is allowed, and this avoids a SHA-1 dependency).
//! Dates: notBefore 2026-01-01; CI 35 years, EUM 34, SM-DP+ 10; eUICC notAfter 9999-12-31 (RFC 5280 §4.1.2.5).
//! EIDs: `89999001` `00001` + 17-digit card number + check digits (SGP.29 §10); the EUM permits
//! `O=veuicc Test EUM, serialNumber=89999001`.
//!
//! The DER is written by hand (below) rather than with a certificate builder, so tests can break
//! one field at a time through [`CertTemplate`]; `x509-cert` parses it back and `openssl verify`
//! checks it in `tests/pki_openssl.rs`.

use crate::config::Eid;
use crate::crypto::CryptoProvider;
use crate::crypto::cert::{Role, oid};
use crate::identity::{EuiccSecretKey, Identity, IdentityError};
use crate::testkit::DetRng;
use der::asn1::ObjectIdentifier;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use p256::elliptic_curve::Generate as _;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::sync::{Arc, OnceLock};
use std::vec::Vec;
use std::{format, fs, vec};
use zeroize::Zeroizing;

/// 2026-01-01T00:00:00Z, notBefore of every generated certificate.
pub const NOT_BEFORE: u64 = 1_767_225_600;
/// 9999-12-31T23:59:59Z, "no well-defined expiration" (RFC 5280 §4.1.2.5).
pub const NO_EXPIRY: u64 = 253_402_300_799;
const YEAR: u64 = 365 * 86_400 + 86_400 / 4;

/// The seed of the embedded default identity (`veuicc demo`, cards without `--identity`).
pub const DEFAULT_SEED: u64 = 0x7665_7569_6363; // "veuicc"

/// EID prefix the test EUM permits (its nameConstraints serialNumber).
pub const EID_PREFIX: &str = "89999001";
/// Organisation of the test EUM and of every eUICC subject under it.
pub const EUM_ORG: &str = "veuicc Test EUM";
/// SM-DP+ OID 2.999.10 in the DPauth/DPpb/DPtls subjectAltName (as in SGP.26), as OID
/// content bytes (`const-oid` does not take a first arc above 39 under root 2).
pub const SMDP_OID: [u8; 3] = [0x88, 0x37, 0x0A];
/// OID 2.999.1 (CI subjectAltName in SGP.26), content bytes.
const CI_SAN_OID: [u8; 2] = [0x88, 0x37];
/// OID 2.999.5 (EUM subjectAltName in SGP.26), content bytes.
const EUM_SAN_OID: [u8; 3] = [0x88, 0x37, 0x05];
/// Host name in the DPtls certificate.
pub const SMDP_HOST: &str = "testsmdpplus1.example.com";

const COUNTRY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.6");
const ORG_UNIT: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.11");
const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const SERVER_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");
const CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");

// ---------------------------------------------------------------- DER writing

/// A DER TLV with a one-byte tag.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.extend(u8::try_from(len));
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.extend(u8::try_from(0x80 + significant.len()));
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
    out
}

/// A SEQUENCE of already-encoded parts.
pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// An OBJECT IDENTIFIER.
pub fn oid_der(oid: &ObjectIdentifier) -> Vec<u8> {
    tlv(0x06, oid.as_bytes())
}

fn uint(n: u64) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(7);
    let mut content = bytes.get(skip..).unwrap_or_default().to_vec();
    if content.first().is_some_and(|b| b & 0x80 != 0) {
        content.insert(0, 0);
    }
    tlv(0x02, &content)
}

/// A DER BIT STRING of named bits (X.690 §11.2.2: trailing zero bits dropped).
fn named_bits(bits: &[usize]) -> Vec<u8> {
    let len = bits.iter().max().map_or(0, |b| b + 1);
    let mut bytes = vec![0u8; len.div_ceil(8)];
    for &b in bits {
        if let Some(byte) = bytes.get_mut(b / 8) {
            *byte |= 0x80 >> (b % 8);
        }
    }
    let unused = u8::try_from(bytes.len() * 8 - len).unwrap_or(0);
    let mut content = vec![unused];
    content.extend_from_slice(&bytes);
    tlv(0x03, &content)
}

/// Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5).
fn time(unix: u64) -> Vec<u8> {
    let secs = i64::try_from(unix).unwrap_or(i64::MAX);
    let (y, mo, d) = civil(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    let (h, mi, se) = (s / 3600, s / 60 % 60, s % 60);
    if y < 2050 {
        tlv(0x17, format!("{:02}{mo:02}{d:02}{h:02}{mi:02}{se:02}Z", y % 100).as_bytes())
    } else {
        tlv(0x18, format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{se:02}Z").as_bytes())
    }
}

/// A Name from (attribute, value) pairs in encoding order; C and serialNumber are
/// PrintableString, the rest UTF8String.
pub fn name(attrs: &[(ObjectIdentifier, &str)]) -> Vec<u8> {
    let rdns: Vec<Vec<u8>> = attrs
        .iter()
        .map(|(oid, value)| {
            let printable = *oid == COUNTRY || *oid == oid::SERIAL_NUMBER;
            let v = tlv(if printable { 0x13 } else { 0x0C }, value.as_bytes());
            tlv(0x31, &seq(&[&oid_der(oid), &v]))
        })
        .collect();
    tlv(0x30, &rdns.concat())
}

/// SubjectPublicKeyInfo of a P-256 key (id-ecPublicKey, prime256v1).
pub fn spki(key: &VerifyingKey) -> Vec<u8> {
    spki_on_curve(key, &oid::PRIME256V1)
}

/// SubjectPublicKeyInfo naming `curve` but carrying a P-256 point (to test curve checks).
pub fn spki_on_curve(key: &VerifyingKey, curve: &ObjectIdentifier) -> Vec<u8> {
    let point = key.to_sec1_point(false);
    let mut bits = vec![0u8];
    bits.extend_from_slice(point.as_bytes());
    seq(&[&seq(&[&oid_der(&oid::EC_PUBLIC_KEY), &oid_der(curve)]), &tlv(0x03, &bits)])
}

/// Key identifier: leftmost 160 bits of SHA-256 of the subjectPublicKey bits (RFC 7093 §2 method 1).
pub fn key_id(key: &VerifyingKey) -> Vec<u8> {
    let digest = Sha256::digest(key.to_sec1_point(false).as_bytes());
    digest.get(..20).unwrap_or_default().to_vec()
}

/// One extension: `SEQUENCE { extnID, critical DEFAULT FALSE, extnValue OCTET STRING }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ext {
    /// extnID.
    pub oid: ObjectIdentifier,
    /// critical.
    pub critical: bool,
    /// The DER inside extnValue.
    pub value: Vec<u8>,
}

impl Ext {
    fn der(&self) -> Vec<u8> {
        let crit = if self.critical { tlv(0x01, &[0xFF]) } else { Vec::new() };
        seq(&[&oid_der(&self.oid), &crit, &tlv(0x04, &self.value)])
    }

    /// subjectKeyIdentifier.
    pub fn ski(id: &[u8]) -> Ext {
        Ext { oid: oid::SUBJECT_KEY_IDENTIFIER, critical: false, value: tlv(0x04, id) }
    }
    /// authorityKeyIdentifier with keyIdentifier only.
    pub fn aki(id: &[u8]) -> Ext {
        Ext { oid: oid::AUTHORITY_KEY_IDENTIFIER, critical: false, value: tlv(0x30, &tlv(0x80, id)) }
    }
    /// keyUsage (critical) with the given bit numbers (0 digitalSignature, 5 keyCertSign, 6 cRLSign).
    pub fn key_usage(bits: &[usize]) -> Ext {
        Ext { oid: oid::KEY_USAGE, critical: true, value: named_bits(bits) }
    }
    /// certificatePolicies (critical) with one policy.
    pub fn policy(policy: &ObjectIdentifier, critical: bool) -> Ext {
        Ext { oid: oid::CERTIFICATE_POLICIES, critical, value: seq(&[&seq(&[&oid_der(policy)])]) }
    }
    /// basicConstraints (critical).
    pub fn basic_constraints(ca: bool, path_len: Option<u8>) -> Ext {
        let ca_der = if ca { tlv(0x01, &[0xFF]) } else { Vec::new() };
        let len = path_len.map(|n| uint(u64::from(n))).unwrap_or_default();
        Ext { oid: oid::BASIC_CONSTRAINTS, critical: true, value: seq(&[&ca_der, &len]) }
    }
    /// subjectAltName with a registeredID and optionally a dNSName.
    /// `registered` is the OID's content bytes.
    pub fn san(registered: &[u8], dns: Option<&str>) -> Ext {
        let dns = dns.map(|d| tlv(0x82, d.as_bytes())).unwrap_or_default();
        Ext { oid: oid::SUBJECT_ALT_NAME, critical: false, value: seq(&[&dns, &tlv(0x88, registered)]) }
    }
    /// nameConstraints (critical): permitted DirName{O, serialNumber = EID prefix}, the SGP.22 EUM form.
    pub fn eid_range(org: &str, prefix: &str) -> Ext {
        let dir = tlv(0xA4, &name(&[(oid::ORGANIZATION, org), (oid::SERIAL_NUMBER, prefix)]));
        Ext { oid: oid::NAME_CONSTRAINTS, critical: true, value: seq(&[&tlv(0xA0, &seq(&[&dir]))]) }
    }
    /// extKeyUsage (critical) serverAuth + clientAuth.
    pub fn tls_eku() -> Ext {
        Ext { oid: oid::EXT_KEY_USAGE, critical: true, value: seq(&[&oid_der(&SERVER_AUTH), &oid_der(&CLIENT_AUTH)]) }
    }
    /// cRLDistributionPoints with one URI.
    pub fn crl_dp(uri: &str) -> Ext {
        let full_name = tlv(0xA0, &tlv(0x86, uri.as_bytes()));
        Ext { oid: oid::CRL_DISTRIBUTION_POINTS, critical: false, value: seq(&[&seq(&[&tlv(0xA0, &full_name)])]) }
    }
}

/// Everything that goes into one certificate. Tests change one field and re-sign to get a
/// certificate broken in exactly one way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertTemplate {
    /// serialNumber.
    pub serial: u64,
    /// issuer Name (DER).
    pub issuer: Vec<u8>,
    /// subject Name (DER).
    pub subject: Vec<u8>,
    /// notBefore, Unix seconds.
    pub not_before: u64,
    /// notAfter, Unix seconds.
    pub not_after: u64,
    /// SubjectPublicKeyInfo (DER).
    pub spki: Vec<u8>,
    /// Extensions in order.
    pub extensions: Vec<Ext>,
}

/// AlgorithmIdentifier ecdsa-with-SHA256 (no parameters, RFC 5758 §3.2).
fn ecdsa_sha256() -> Vec<u8> {
    seq(&[&oid_der(&oid::ECDSA_WITH_SHA256)])
}

impl CertTemplate {
    /// The DER TBSCertificate.
    pub fn tbs(&self) -> Vec<u8> {
        let exts: Vec<u8> = self.extensions.iter().flat_map(Ext::der).collect();
        seq(&[
            &tlv(0xA0, &uint(2)),
            &uint(self.serial),
            &ecdsa_sha256(),
            &self.issuer,
            &seq(&[&time(self.not_before), &time(self.not_after)]),
            &self.subject,
            &self.spki,
            &tlv(0xA3, &tlv(0x30, &exts)),
        ])
    }

    /// The certificate signed by `issuer` (ECDSA-SHA256, deterministic RFC 6979 nonce).
    pub fn sign(&self, issuer: &SigningKey) -> Vec<u8> {
        let tbs = self.tbs();
        let sig: DerSignature = issuer.sign(&tbs);
        let mut bits = vec![0u8];
        bits.extend_from_slice(sig.as_bytes());
        seq(&[&tbs, &ecdsa_sha256(), &tlv(0x03, &bits)])
    }

    /// Replaces (or adds) the extension with `ext.oid`.
    pub fn set_ext(&mut self, ext: Ext) {
        match self.extensions.iter_mut().find(|e| e.oid == ext.oid) {
            Some(slot) => *slot = ext,
            None => self.extensions.push(ext),
        }
    }

    /// Removes the extension `oid`.
    pub fn remove_ext(&mut self, oid: &ObjectIdentifier) {
        self.extensions.retain(|e| e.oid != *oid);
    }
}

/// A generated certificate with its template and private key.
#[derive(Debug, Clone)]
pub struct Issued {
    /// What was signed.
    pub template: CertTemplate,
    /// The certificate.
    pub der: Vec<u8>,
    /// Its private key (test material).
    pub key: SigningKey,
}

impl Issued {
    /// The public key.
    pub fn public_key(&self) -> &VerifyingKey {
        self.key.verifying_key()
    }
}

/// A complete test PKI (see the module docs for the profiles).
#[derive(Debug, Clone)]
pub struct TestPki {
    /// The seed it was generated from.
    pub seed: u64,
    /// CERT.CI (self-signed).
    pub ci: Issued,
    /// CERT.EUM, signed by the CI.
    pub eum: Issued,
    /// CERT.DPauth.ECDSA.
    pub dpauth: Issued,
    /// CERT.DPpb.ECDSA.
    pub dppb: Issued,
    /// CERT.DP.TLS.
    pub dptls: Issued,
    /// eUICC certificates, one per card, signed by the EUM.
    pub cards: Vec<Issued>,
    /// The EID of each card.
    pub eids: Vec<Eid>,
}

/// The EID of generated card `n` (0-based): `89999001 00001` + `n` on 17 digits + check digits.
pub fn card_eid(n: u64) -> Option<Eid> {
    Eid::with_check_digits(&format!("{EID_PREFIX}00001{n:017}")).ok()
}

fn ci_name() -> Vec<u8> {
    name(&[(COUNTRY, "XX"), (oid::ORGANIZATION, "VEUICCTEST"), (ORG_UNIT, "TESTCERT"), (COMMON_NAME, "veuicc Test CI")])
}

fn eum_name() -> Vec<u8> {
    name(&[(COUNTRY, "XX"), (oid::ORGANIZATION, EUM_ORG), (COMMON_NAME, "veuicc EUM")])
}

/// CERT.EUICC's template for card `n` (serial `0x1000 + n`, the EID as serialNumber).
fn card_template(n: u64, eid: &Eid, key: &SigningKey, eum_id: &[u8]) -> CertTemplate {
    let digits = eid.to_string();
    let cn = format!("veuicc eUICC card{}", n + 1);
    CertTemplate {
        serial: 0x1000 + n,
        issuer: eum_name(),
        subject: name(&[
            (COUNTRY, "XX"),
            (oid::ORGANIZATION, EUM_ORG),
            (oid::SERIAL_NUMBER, &digits),
            (COMMON_NAME, &cn),
        ]),
        not_before: NOT_BEFORE,
        not_after: NO_EXPIRY,
        spki: spki(key.verifying_key()),
        extensions: vec![
            Ext::aki(eum_id),
            Ext::ski(&key_id(key.verifying_key())),
            Ext::key_usage(&[0]),
            Ext::policy(&oid::ROLE_EUICC, true),
        ],
    }
}

fn issue(template: CertTemplate, key: SigningKey, issuer: &SigningKey) -> Issued {
    let der = template.sign(issuer);
    Issued { template, der, key }
}

impl TestPki {
    /// Generates a PKI with `cards` eUICC identities; the same seed gives the same bytes.
    pub fn generate(seed: u64, cards: usize) -> TestPki {
        let mut rng = DetRng::new(seed);
        let ci_key = SigningKey::generate_from_rng(&mut rng);
        let ci_id = key_id(ci_key.verifying_key());
        let crl = "http://ci.veuicc.test/CRL-A.crl";
        let ci = issue(
            CertTemplate {
                serial: 1,
                issuer: ci_name(),
                subject: ci_name(),
                not_before: NOT_BEFORE,
                not_after: NOT_BEFORE + 35 * YEAR,
                spki: spki(ci_key.verifying_key()),
                extensions: vec![
                    Ext::ski(&ci_id),
                    Ext::basic_constraints(true, None),
                    Ext::policy(&oid::ROLE_CI, true),
                    Ext::key_usage(&[5, 6]),
                    Ext::san(&CI_SAN_OID, None),
                    Ext::crl_dp(crl),
                ],
            },
            ci_key.clone(),
            &ci_key,
        );

        let eum_key = SigningKey::generate_from_rng(&mut rng);
        let eum_id = key_id(eum_key.verifying_key());
        let eum = issue(
            CertTemplate {
                serial: 2,
                issuer: ci_name(),
                subject: eum_name(),
                not_before: NOT_BEFORE,
                not_after: NOT_BEFORE + 34 * YEAR,
                spki: spki(eum_key.verifying_key()),
                extensions: vec![
                    Ext::aki(&ci_id),
                    Ext::ski(&eum_id),
                    Ext::key_usage(&[5]),
                    Ext::policy(&oid::ROLE_EUM, true),
                    Ext::san(&EUM_SAN_OID, None),
                    Ext::basic_constraints(true, Some(0)),
                    Ext::crl_dp(crl),
                    Ext::eid_range(EUM_ORG, EID_PREFIX),
                ],
            },
            eum_key.clone(),
            &ci_key,
        );

        let dp = |rng: &mut DetRng, serial: u64, role: Role| {
            let key = SigningKey::generate_from_rng(rng);
            let tls = role == Role::DpTls;
            let cn = if tls { SMDP_HOST } else { "veuicc TEST SM-DP+" };
            let mut extensions = vec![Ext::aki(&ci_id), Ext::ski(&key_id(key.verifying_key()))];
            if tls {
                extensions = vec![
                    Ext::key_usage(&[0]),
                    Ext::tls_eku(),
                    Ext::policy(&role.oid(), false),
                    Ext::ski(&key_id(key.verifying_key())),
                    Ext::aki(&ci_id),
                    Ext::san(&SMDP_OID, Some(SMDP_HOST)),
                    Ext::crl_dp(crl),
                ];
            } else {
                extensions.extend([
                    Ext::san(&SMDP_OID, None),
                    Ext::key_usage(&[0]),
                    Ext::policy(&role.oid(), true),
                    Ext::crl_dp(crl),
                ]);
            }
            let template = CertTemplate {
                serial,
                issuer: ci_name(),
                subject: name(&[(oid::ORGANIZATION, "VEUICCTEST"), (COMMON_NAME, cn)]),
                not_before: NOT_BEFORE,
                not_after: NOT_BEFORE + 10 * YEAR,
                spki: spki(key.verifying_key()),
                extensions,
            };
            issue(template, key, &ci_key)
        };
        let dpauth = dp(&mut rng, 3, Role::DpAuth);
        let dppb = dp(&mut rng, 4, Role::DpPb);
        let dptls = dp(&mut rng, 5, Role::DpTls);

        let mut card_certs = Vec::with_capacity(cards);
        let mut eids = Vec::with_capacity(cards);
        for (n, eid) in (0u64..).map_while(|n| card_eid(n).map(|e| (n, e))).take(cards) {
            let key = SigningKey::generate_from_rng(&mut rng);
            let template = card_template(n, &eid, &key, &eum_id);
            card_certs.push(issue(template, key, &eum_key));
            eids.push(eid);
        }
        TestPki { seed, ci, eum, dpauth, dppb, dptls, cards: card_certs, eids }
    }

    /// CERT.EUICC of generated card `n` (EID [`card_eid`]`(n)`, any `n`, not only the
    /// [`TestPki::cards`] made with the PKI) issued by this PKI's EUM, with a key drawn from
    /// `seed`; `None` when `n` has no EID. One key generation and one signature: what a farm of
    /// cards with an identity each costs per card.
    pub fn issue_card(&self, n: u64, seed: u64) -> Option<(Issued, Eid)> {
        let eid = card_eid(n)?;
        let key = SigningKey::generate_from_rng(&mut DetRng::new(seed));
        let template = card_template(n, &eid, &key, &key_id(self.eum.public_key()));
        Some((issue(template, key, &self.eum.key), eid))
    }

    /// The identity of an issued CERT.EUICC ([`TestPki::issue_card`]) under this PKI, its
    /// chain checked and SK.EUICC prepared by `crypto`.
    pub fn card_identity(&self, card: &Issued, crypto: &dyn CryptoProvider) -> Result<Identity, IdentityError> {
        Identity::new_with(
            crypto,
            EuiccSecretKey::from_signing_key(card.key.clone()),
            card.der.clone(),
            self.eum.der.clone(),
            &[&self.ci.der],
        )
    }

    /// A CERT.DP.TLS for `host` (a DNS name, or an IPv4/IPv6 address as an iPAddress
    /// subjectAltName) issued by this PKI's CI, with a key drawn from `seed`: what
    /// `veuicc smdp serve` presents when it listens on an address the PKI's own DPtls
    /// certificate (for [`SMDP_HOST`]) does not name. Valid as long as the PKI's DPtls.
    pub fn issue_dptls(&self, host: &str, seed: u64) -> Issued {
        let mut rng = DetRng::new(seed);
        let key = SigningKey::generate_from_rng(&mut rng);
        let ci_id = key_id(self.ci.public_key());
        let ip: Option<Vec<u8>> = match host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(a)) => Some(a.octets().to_vec()),
            Ok(std::net::IpAddr::V6(a)) => Some(a.octets().to_vec()),
            Err(_) => None,
        };
        let mut san = Ext::san(&SMDP_OID, if ip.is_some() { None } else { Some(host) });
        if let Some(ip) = &ip {
            san.value = seq(&[&tlv(0x87, ip), &tlv(0x88, &SMDP_OID)]);
        }
        let template = CertTemplate {
            serial: 6,
            issuer: ci_name(),
            subject: name(&[(oid::ORGANIZATION, "VEUICCTEST"), (COMMON_NAME, host)]),
            not_before: NOT_BEFORE,
            not_after: NOT_BEFORE + 10 * YEAR,
            spki: spki(key.verifying_key()),
            extensions: vec![
                Ext::key_usage(&[0]),
                Ext::tls_eku(),
                Ext::policy(&Role::DpTls.oid(), false),
                Ext::ski(&key_id(key.verifying_key())),
                Ext::aki(&ci_id),
                san,
                Ext::crl_dp("http://ci.veuicc.test/CRL-A.crl"),
            ],
        };
        issue(template, key, &self.ci.key)
    }

    /// The CI's SubjectKeyIdentifier (its CI PKID).
    pub fn ci_ski(&self) -> Vec<u8> {
        key_id(self.ci.public_key())
    }

    /// Card `n`'s identity (0-based).
    pub fn identity(&self, n: usize) -> Result<Identity, IdentityError> {
        let card = self.cards.get(n).ok_or(IdentityError::NoCi)?;
        Identity::new(
            EuiccSecretKey::from_signing_key(card.key.clone()),
            card.der.clone(),
            self.eum.der.clone(),
            &[&self.ci.der],
        )
    }

    /// Writes the PKI as `veuicc pki new` does: `ci`, `eum`, `dpauth`, `dppb`, `dptls` as
    /// `NAME.pem` + `NAME.der` + `NAME_sk.pem`, and `cardK/` (K from 1) holding one card's
    /// identity directory (`euicc.*`, `euicc_sk.pem`, `eum.*`, `ci.*`), ready for `--identity`.
    pub fn write_dir(&self, dir: &Path) -> std::io::Result<()> {
        fs::create_dir_all(dir)?;
        for (stem, issued) in [
            ("ci", &self.ci),
            ("eum", &self.eum),
            ("dpauth", &self.dpauth),
            ("dppb", &self.dppb),
            ("dptls", &self.dptls),
        ] {
            write_cert(dir, stem, &issued.der)?;
            write_key(dir, stem, &issued.key)?;
        }
        for (n, card) in self.cards.iter().enumerate() {
            let sub = dir.join(format!("card{}", n + 1));
            fs::create_dir_all(&sub)?;
            write_cert(&sub, "euicc", &card.der)?;
            write_key(&sub, "euicc", &card.key)?;
            write_cert(&sub, "eum", &self.eum.der)?;
            write_cert(&sub, "ci", &self.ci.der)?;
            if let Some(eid) = self.eids.get(n) {
                fs::write(sub.join("eid.txt"), format!("{eid}\n"))?;
            }
        }
        Ok(())
    }
}

fn invalid(e: impl fmt::Display) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())
}

fn write_cert(dir: &Path, stem: &str, der: &[u8]) -> std::io::Result<()> {
    fs::write(dir.join(format!("{stem}.der")), der)?;
    let pem = der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, der).map_err(invalid)?;
    fs::write(dir.join(format!("{stem}.pem")), pem)
}

fn write_key(dir: &Path, stem: &str, key: &SigningKey) -> std::io::Result<()> {
    let sec1 = p256::SecretKey::from(key).to_sec1_der().map_err(invalid)?;
    let pem = der::pem::encode_string("EC PRIVATE KEY", der::pem::LineEnding::LF, &sec1).map_err(invalid)?;
    fs::write(dir.join(format!("{stem}_sk.pem")), pem.as_bytes())
}

/// The embedded default identity: card 0 of [`TestPki::generate`]`(`[`DEFAULT_SEED`]`, 1)`,
/// EID [`crate::testkit::DEFAULT_EID`]. Generated once per process.
pub fn default_pki() -> &'static TestPki {
    static PKI: OnceLock<TestPki> = OnceLock::new();
    PKI.get_or_init(|| TestPki::generate(DEFAULT_SEED, 1))
}

/// The embedded default identity (see [`default_pki`]), shared.
///
/// # Panics
/// Never in practice: the generator's output is validated by a unit test.
#[allow(clippy::panic)]
pub fn default_identity() -> Arc<Identity> {
    static ID: OnceLock<Arc<Identity>> = OnceLock::new();
    ID.get_or_init(|| match default_pki().identity(0) {
        Ok(id) => Arc::new(id),
        Err(e) => panic!("the embedded test identity does not validate: {e}"),
    })
    .clone()
}

// ---------------------------------------------------------------- loading

/// An identity directory or file that could not be used: which file, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file (or directory) at fault.
    pub path: PathBuf,
    /// What is wrong with it.
    pub problem: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.problem)
    }
}

impl std::error::Error for LoadError {}

fn load_err(path: &Path, problem: impl fmt::Display) -> LoadError {
    LoadError { path: path.to_path_buf(), problem: problem.to_string() }
}

/// Reads a DER file, or the first PEM block with one of `labels` (other blocks, such as a
/// leading `EC PARAMETERS`, are skipped). The file's text is wiped once read (it may be a key).
pub fn read_der(path: &Path, labels: &[&str]) -> Result<Vec<u8>, LoadError> {
    let bytes = Zeroizing::new(fs::read(path).map_err(|e| load_err(path, e))?);
    der_from_bytes(path, &bytes, labels)
}

/// As [`read_der`], for bytes already read from `path`.
fn der_from_bytes(path: &Path, bytes: &[u8], labels: &[&str]) -> Result<Vec<u8>, LoadError> {
    if bytes.first() == Some(&0x30) {
        return Ok(bytes.to_vec());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| load_err(path, "neither DER nor PEM"))?;
    for label in labels {
        let begin = format!("-----BEGIN {label}-----");
        let end = format!("-----END {label}-----");
        let Some(start) = text.find(&begin) else { continue };
        let rest = text.get(start..).unwrap_or_default();
        let Some(stop) = rest.find(&end) else { return Err(load_err(path, format!("{begin} without {end}"))) };
        let block = rest.get(..stop + end.len()).unwrap_or_default();
        let (_, der) = der::pem::decode_vec(block.as_bytes()).map_err(|e| load_err(path, format!("bad PEM: {e}")))?;
        return Ok(der);
    }
    Err(load_err(path, format!("no PEM block labelled {}", labels.join(" or "))))
}

const CERT: &[&str] = &["CERTIFICATE"];
const KEY: &[&str] = &["EC PRIVATE KEY", "PRIVATE KEY"];

/// A P-256 private key from SEC1 or PKCS#8 DER.
fn p256_key(der: &[u8]) -> Option<p256::SecretKey> {
    use p256::pkcs8::DecodePrivateKey as _;
    p256::SecretKey::from_sec1_der(der).ok().or_else(|| p256::SecretKey::from_pkcs8_der(der).ok())
}

/// The role a certificate's certificatePolicies name (SGP.22 `id-rspRole-*`), if it parses.
pub fn cert_role(der: &[u8]) -> Option<Role> {
    use der::Decode as _;
    let cert = x509_cert::Certificate::from_der(der).ok()?;
    let (_, policies) =
        cert.tbs_certificate().get_extension::<x509_cert::ext::pkix::CertificatePolicies>().ok().flatten()?;
    [Role::Ci, Role::Eum, Role::Euicc, Role::DpAuth, Role::DpPb, Role::DpTls, Role::DsTls, Role::DsAuth]
        .into_iter()
        .find(|r| policies.0.iter().any(|p| p.policy_identifier == r.oid()))
}

/// notBefore and notAfter of a certificate, Unix seconds.
pub fn cert_validity(der: &[u8]) -> Option<(u64, u64)> {
    use der::Decode as _;
    let cert = x509_cert::Certificate::from_der(der).ok()?;
    let v = cert.tbs_certificate().validity();
    Some((v.not_before.to_unix_duration().as_secs(), v.not_after.to_unix_duration().as_secs()))
}

/// A date as `YYYY-MM-DD` (UTC).
pub fn iso_date(unix: u64) -> String {
    let (y, m, d) = civil(i64::try_from(unix / 86_400).unwrap_or(i64::MAX));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Subject and issuer Name (DER), SKI and AKI of a certificate.
type NamesAndIds = (Vec<u8>, Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>);

/// Subject and issuer Name (DER), SKI and AKI of a certificate.
fn names_and_ids(der: &[u8]) -> Option<NamesAndIds> {
    use der::{Decode as _, Encode as _};
    let cert = x509_cert::Certificate::from_der(der).ok()?;
    let tbs = cert.tbs_certificate();
    let aki = tbs
        .get_extension::<x509_cert::ext::pkix::AuthorityKeyIdentifier>()
        .ok()
        .flatten()
        .and_then(|(_, a)| a.key_identifier)
        .map(|k| k.as_bytes().to_vec());
    let ski = crate::crypto::cert::subject_key_identifier(der).ok().flatten();
    Some((tbs.subject().to_der().ok()?, tbs.issuer().to_der().ok()?, ski, aki))
}

/// The subject as RFC 4514 text.
fn subject_text(der: &[u8]) -> String {
    use der::Decode as _;
    x509_cert::Certificate::from_der(der).map(|c| c.tbs_certificate().subject().to_string()).unwrap_or_default()
}

/// True if `key` (SEC1/PKCS#8 DER) is the private key of certificate `cert`.
fn key_matches(cert: &[u8], key: &[u8]) -> bool {
    let Ok(public) = crate::crypto::cert::certificate_key(&crate::crypto::RUST_CRYPTO, cert) else { return false };
    p256_key(key).is_some_and(|k| {
        VerifyingKey::from(k.public_key()).to_sec1_point(false).as_bytes() == public.as_bytes().as_slice()
    })
}

/// What a directory holds, recognised by content rather than by name: certificates by their
/// role policy, private keys by parsing as P-256 (brainpool and public keys are left out).
struct Scanned {
    certs: Vec<(PathBuf, Role, Vec<u8>)>,
    keys: Vec<(PathBuf, Zeroizing<Vec<u8>>)>,
}

fn scan(dir: &Path) -> Result<Scanned, LoadError> {
    let mut paths: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| load_err(dir, e))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "pem" || x == "der"))
        .collect();
    paths.sort();
    let mut out = Scanned { certs: Vec::new(), keys: Vec::new() };
    for path in paths {
        let Ok(bytes) = fs::read(&path).map(Zeroizing::new) else { continue };
        // A DER key file reads as "DER" here too: wiped unless it is a certificate.
        if let Ok(der) = der_from_bytes(&path, &bytes, CERT).map(Zeroizing::new)
            && let Some(role) = cert_role(&der)
        {
            if !out.certs.iter().any(|(_, _, d)| *d == *der) {
                out.certs.push((path, role, der.to_vec()));
            }
        } else if let Ok(der) = der_from_bytes(&path, &bytes, KEY).map(Zeroizing::new)
            && p256_key(&der).is_some()
        {
            out.keys.push((path, der));
        }
    }
    Ok(out)
}

fn file_names<'a>(paths: impl Iterator<Item = &'a PathBuf>) -> String {
    paths
        .map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The files of a card identity (`--euicc-cert`, `--euicc-key`, `--eum-cert`, `--ci-cert`),
/// each DER or PEM. Parts not given can be found in a directory ([`IdentityFiles::fill_from_dir`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityFiles {
    /// CERT.EUICC.ECDSA.
    pub euicc_cert: Option<PathBuf>,
    /// SK.EUICC.ECDSA (SEC1 `EC PRIVATE KEY` or PKCS#8).
    pub euicc_key: Option<PathBuf>,
    /// CERT.EUM.ECDSA.
    pub eum_cert: Option<PathBuf>,
    /// The CI certificates the card trusts.
    pub ci_certs: Vec<PathBuf>,
}

/// A card identity's bytes, as read (before validation): what a state directory keeps.
pub struct IdentityDer {
    /// CERT.EUICC.ECDSA.
    pub euicc_cert: Vec<u8>,
    /// SK.EUICC.ECDSA, SEC1 or PKCS#8 DER; wiped on drop.
    pub euicc_key: Zeroizing<Vec<u8>>,
    /// CERT.EUM.ECDSA.
    pub eum_cert: Vec<u8>,
    /// The trusted CI certificates.
    pub ci_certs: Vec<Vec<u8>>,
}

impl fmt::Debug for IdentityDer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityDer").field("euicc_key", &"<secret>").field("ci_certs", &self.ci_certs.len()).finish()
    }
}

impl IdentityFiles {
    /// True if no part is given.
    pub fn is_empty(&self) -> bool {
        self == &IdentityFiles::default()
    }

    /// The flags of the parts still missing (`--euicc-cert`, …).
    pub fn missing(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for (absent, flag) in [
            (self.euicc_cert.is_none(), "--euicc-cert"),
            (self.euicc_key.is_none(), "--euicc-key"),
            (self.eum_cert.is_none(), "--eum-cert"),
            (self.ci_certs.is_empty(), "--ci-cert"),
        ] {
            if absent {
                out.push(flag);
            }
        }
        out
    }

    /// Completes the parts not given from `dir`, recognising files by what they are, not by
    /// their names (so a `veuicc pki new` card directory, the GSMA SGP.26 file set and
    /// `fixtures/veuicc` all work): the eUICC certificate by its `id-rspRole-euicc` policy
    /// (exactly one, or name it), the private key whose public key is CERT.EUICC's, the EUM
    /// certificate whose SKI is CERT.EUICC's AKI (the one whose subject is CERT.EUICC's issuer
    /// first), and every P-256 CI certificate. Errors name what is missing and the flag that
    /// gives it.
    pub fn fill_from_dir(mut self, dir: &Path) -> Result<IdentityFiles, LoadError> {
        let found = scan(dir)?;
        let of = |role: Role| found.certs.iter().filter(move |(_, r, _)| *r == role);
        if self.euicc_cert.is_none() {
            let euiccs: Vec<&PathBuf> = of(Role::Euicc).map(|(p, _, _)| p).collect();
            match euiccs.as_slice() {
                [] => {
                    return Err(load_err(
                        dir,
                        "no eUICC certificate (policy id-rspRole-euicc 2.23.146.1.2.1.1) in its .pem/.der files; \
                         give --euicc-cert FILE",
                    ));
                }
                [one] => self.euicc_cert = Some((*one).clone()),
                many => {
                    return Err(load_err(
                        dir,
                        format!(
                            "{} eUICC certificates ({}): pick one with --euicc-cert FILE",
                            many.len(),
                            file_names(many.iter().copied())
                        ),
                    ));
                }
            }
        }
        let euicc_path = self.euicc_cert.clone().unwrap_or_default();
        let euicc = read_der(&euicc_path, CERT)?;
        if self.euicc_key.is_none() {
            let key = found.keys.iter().find(|(_, k)| key_matches(&euicc, k)).map(|(p, _)| p.clone());
            self.euicc_key = Some(key.ok_or_else(|| {
                let others = if found.keys.is_empty() {
                    String::new()
                } else {
                    format!(" ({} here: does not match it)", file_names(found.keys.iter().map(|(p, _)| p)))
                };
                load_err(
                    dir,
                    format!(
                        "no private key of the eUICC certificate {} (SEC1 or PKCS#8 P-256 key whose public key is \
                         the certificate's){others}; give --euicc-key FILE",
                        euicc_path.display()
                    ),
                )
            })?);
        }
        let (_, issuer, _, aki) = names_and_ids(&euicc).ok_or_else(|| load_err(&euicc_path, "not a certificate"))?;
        if self.eum_cert.is_none() {
            let mut eums: Vec<(&PathBuf, Vec<u8>)> = of(Role::Eum)
                .filter_map(|(p, _, d)| {
                    names_and_ids(d).filter(|(_, _, ski, _)| ski.is_some() && *ski == aki).map(|(s, ..)| (p, s))
                })
                .collect();
            eums.sort_by_key(|(_, subject)| *subject != issuer);
            let eum = eums.first().map(|(p, _)| (*p).clone());
            self.eum_cert = Some(eum.ok_or_else(|| {
                load_err(
                    dir,
                    format!(
                        "no EUM certificate that issued {} (policy id-rspRole-eum, SKI = its AKI); give --eum-cert FILE",
                        euicc_path.display()
                    ),
                )
            })?);
        }
        if self.ci_certs.is_empty() {
            self.ci_certs = of(Role::Ci)
                .filter(|(_, _, d)| crate::crypto::cert::TrustedCi::from_der(&crate::crypto::RUST_CRYPTO, d).is_ok())
                .map(|(p, _, _)| p.clone())
                .collect();
            if self.ci_certs.is_empty() {
                // Files named like a CI that are something else.
                let misnamed: Vec<String> = found
                    .certs
                    .iter()
                    .filter(|(p, _, _)| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("ci")))
                    .map(|(p, r, _)| format!("{} is a {r:?} certificate, not a CI", file_names([p].into_iter())))
                    .collect();
                let misnamed = if misnamed.is_empty() { String::new() } else { format!(" ({})", misnamed.join("; ")) };
                return Err(load_err(
                    dir,
                    format!(
                        "no P-256 CI certificate (policy id-rspRole-ci 2.23.146.1.2.1.0){misnamed}; give --ci-cert \
                         FILE (repeatable)"
                    ),
                ));
            }
        }
        Ok(self)
    }

    /// Reads every part (DER or PEM); errors name the file, or the flags still missing.
    pub fn read(&self) -> Result<IdentityDer, LoadError> {
        let (Some(euicc), Some(key), Some(eum), false) =
            (&self.euicc_cert, &self.euicc_key, &self.eum_cert, self.ci_certs.is_empty())
        else {
            return Err(load_err(
                Path::new("identity"),
                format!("missing {} (give each file, or a directory holding them)", self.missing().join(", ")),
            ));
        };
        Ok(IdentityDer {
            euicc_cert: read_der(euicc, CERT)?,
            euicc_key: Zeroizing::new(read_der(key, KEY)?),
            eum_cert: read_der(eum, CERT)?,
            ci_certs: self.ci_certs.iter().map(|p| read_der(p, CERT)).collect::<Result<_, _>>()?,
        })
    }

    /// Reads and validates the identity; errors name the file at fault.
    pub fn load(&self) -> Result<(Identity, IdentityDer), LoadError> {
        let der = self.read()?;
        let id = der.identity().map_err(|e| {
            let euicc = self.euicc_cert.clone().unwrap_or_default();
            let eum = self.eum_cert.clone().unwrap_or_default();
            let key = self.euicc_key.clone().unwrap_or_default();
            match e {
                IdentityError::NoCi => load_err(&eum, "no trusted CI certificate given"),
                IdentityError::Ci { index, error } => load_err(
                    self.ci_certs.get(index).map_or(eum.as_path(), PathBuf::as_path),
                    format!("not a usable CI certificate: {error}"),
                ),
                IdentityError::Eum(error) => load_err(&eum, format!("EUM certificate refused: {error}")),
                IdentityError::Euicc(error) => load_err(&euicc, format!("eUICC certificate refused: {error}")),
                IdentityError::KeyMismatch => load_err(&key, "private key does not match the eUICC certificate"),
                IdentityError::BadKey => load_err(&key, "not a P-256 private key (SEC1 ECPrivateKey or PKCS#8)"),
                other => load_err(&euicc, other),
            }
        })?;
        Ok((id, der))
    }
}

impl IdentityDer {
    /// Validates the identity ([`Identity::new`]).
    pub fn identity(&self) -> Result<Identity, IdentityError> {
        let sk = EuiccSecretKey::from_der(&self.euicc_key).map_err(|_| IdentityError::BadKey)?;
        let cis: Vec<&[u8]> = self.ci_certs.iter().map(Vec::as_slice).collect();
        Identity::new(sk, self.euicc_cert.clone(), self.eum_cert.clone(), &cis)
    }
}

/// The files of an SM-DP+ (`--dpauth-cert`, `--dpauth-key`, `--dppb-cert`, `--dppb-key`,
/// `--smdp-ci`), each DER or PEM; parts not given can be found in a directory
/// ([`SmdpFiles::fill_from_dir`]), e.g. the GSMA SGP.26 set or a `veuicc pki new` PKI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SmdpFiles {
    /// CERT.DPauth.ECDSA.
    pub dpauth_cert: Option<PathBuf>,
    /// SK.DPauth.ECDSA.
    pub dpauth_key: Option<PathBuf>,
    /// CERT.DPpb.ECDSA.
    pub dppb_cert: Option<PathBuf>,
    /// SK.DPpb.ECDSA.
    pub dppb_key: Option<PathBuf>,
    /// The CI certificate CERT.DPauth chains to.
    pub ci: Option<PathBuf>,
}

impl SmdpFiles {
    /// True if no part is given.
    pub fn is_empty(&self) -> bool {
        self == &SmdpFiles::default()
    }

    /// Completes the parts not given from `dir`, by content: a CERT.DPauth (policy
    /// `id-rspRole-dp-auth`) whose P-256 private key is in `dir`, the CERT.DPpb with the same
    /// subject (one SM-DP+) and its key, and the CI whose SKI is CERT.DPauth's AKI. When `dir`
    /// holds several SM-DP+ (SGP.26 has `TEST SM-DP+` and `TEST SM-DP+2`) the subject that sorts
    /// first is used and the returned note names the others.
    pub fn fill_from_dir(mut self, dir: &Path) -> Result<(SmdpFiles, Option<String>), LoadError> {
        let found = scan(dir)?;
        let with_key = |role: Role| -> Vec<(PathBuf, String, Vec<u8>)> {
            let mut v: Vec<_> = found
                .certs
                .iter()
                .filter(|(_, r, d)| *r == role && found.keys.iter().any(|(_, k)| key_matches(d, k)))
                .map(|(p, _, d)| (p.clone(), subject_text(d), d.clone()))
                .collect();
            v.sort_by(|a, b| a.1.cmp(&b.1));
            v
        };
        let key_of = |cert: &Path, flag: &str| -> Result<PathBuf, LoadError> {
            let der = read_der(cert, CERT)?;
            found.keys.iter().find(|(_, k)| key_matches(&der, k)).map(|(p, _)| p.clone()).ok_or_else(|| {
                load_err(dir, format!("no P-256 private key of {} here; give {flag} FILE", cert.display()))
            })
        };
        let mut note = None;
        if self.dpauth_cert.is_none() {
            let auths = with_key(Role::DpAuth);
            let Some((first, subject, _)) = auths.first() else {
                return Err(load_err(
                    dir,
                    "no SM-DP+ authentication certificate (policy id-rspRole-dp-auth 2.23.146.1.2.1.4) with its \
                     P-256 private key; give --dpauth-cert FILE --dpauth-key FILE",
                ));
            };
            if auths.len() > 1 {
                let others: Vec<String> =
                    auths.iter().skip(1).map(|(p, s, _)| format!("{s} in {}", file_names([p].into_iter()))).collect();
                note = Some(format!(
                    "{}: using the SM-DP+ {subject} ({}); also there: {} (choose with --dpauth-cert FILE)",
                    dir.display(),
                    file_names([first].into_iter()),
                    others.join("; ")
                ));
            }
            self.dpauth_cert = Some(first.clone());
        }
        let dpauth = self.dpauth_cert.clone().unwrap_or_default();
        if self.dpauth_key.is_none() {
            self.dpauth_key = Some(key_of(&dpauth, "--dpauth-key")?);
        }
        let dpauth_der = read_der(&dpauth, CERT)?;
        if self.dppb_cert.is_none() {
            let subject = subject_text(&dpauth_der);
            let mut pbs = with_key(Role::DpPb);
            pbs.sort_by_key(|(_, s, _)| *s != subject);
            let Some((first, _, _)) = pbs.first() else {
                return Err(load_err(
                    dir,
                    "no SM-DP+ binding certificate (policy id-rspRole-dp-pb 2.23.146.1.2.1.5) with its P-256 \
                     private key; give --dppb-cert FILE --dppb-key FILE",
                ));
            };
            self.dppb_cert = Some(first.clone());
        }
        if self.dppb_key.is_none() {
            let dppb = self.dppb_cert.clone().unwrap_or_default();
            self.dppb_key = Some(key_of(&dppb, "--dppb-key")?);
        }
        if self.ci.is_none() {
            let aki = names_and_ids(&dpauth_der).and_then(|(_, _, _, aki)| aki);
            self.ci = found
                .certs
                .iter()
                .find(|(_, r, d)| {
                    *r == Role::Ci
                        && aki.is_some()
                        && crate::crypto::cert::subject_key_identifier(d).ok().flatten() == aki
                })
                .map(|(p, _, _)| p.clone());
        }
        Ok((self, note))
    }

    /// Reads the keys for [`crate::testkit::smdp::TestSmdp::with_keys`]. Without a CI file,
    /// the CI is the one of `cis` (DER) whose SKI is CERT.DPauth's AKI (the card's own trusted
    /// CIs, say). Errors name the file, or the flags still missing.
    pub fn load(&self, cis: &[&[u8]]) -> Result<crate::testkit::smdp::SmdpKeys, LoadError> {
        let (Some(auth), Some(auth_key), Some(pb), Some(pb_key)) =
            (&self.dpauth_cert, &self.dpauth_key, &self.dppb_cert, &self.dppb_key)
        else {
            let missing: Vec<&str> = [
                (self.dpauth_cert.is_none(), "--dpauth-cert"),
                (self.dpauth_key.is_none(), "--dpauth-key"),
                (self.dppb_cert.is_none(), "--dppb-cert"),
                (self.dppb_key.is_none(), "--dppb-key"),
            ]
            .into_iter()
            .filter_map(|(absent, flag)| absent.then_some(flag))
            .collect();
            return Err(load_err(
                Path::new("SM-DP+ keys"),
                format!("missing {} (give each file, or --smdp-keys DIR holding them)", missing.join(", ")),
            ));
        };
        let key = |p: &Path| -> Result<SigningKey, LoadError> {
            let der = Zeroizing::new(read_der(p, KEY)?);
            p256_key(&der).map(SigningKey::from).ok_or_else(|| load_err(p, "not a P-256 private key (SEC1 or PKCS#8)"))
        };
        let dpauth = read_der(auth, CERT)?;
        let ci = match &self.ci {
            Some(p) => read_der(p, CERT)?,
            None => {
                let aki = names_and_ids(&dpauth).and_then(|(_, _, _, aki)| aki);
                cis.iter()
                    .find(|d| aki.is_some() && crate::crypto::cert::subject_key_identifier(d).ok().flatten() == aki)
                    .map(|d| d.to_vec())
                    .ok_or_else(|| {
                        load_err(auth, "no CI certificate with this certificate's AKI as SKI; give --smdp-ci FILE")
                    })?
            }
        };
        let keys = crate::testkit::smdp::SmdpKeys {
            ci,
            dpauth,
            dpauth_key: key(auth_key)?,
            dppb: read_der(pb, CERT)?,
            dppb_key: key(pb_key)?,
        };
        if !key_matches(&keys.dpauth, &Zeroizing::new(read_der(auth_key, KEY)?)) {
            return Err(load_err(auth_key, "not the private key of the DPauth certificate"));
        }
        if !key_matches(&keys.dppb, &Zeroizing::new(read_der(pb_key, KEY)?)) {
            return Err(load_err(pb_key, "not the private key of the DPpb certificate"));
        }
        Ok(keys)
    }
}

/// Loads an identity from explicit files (DER or PEM each); errors name the file at fault.
pub fn load_identity_files(euicc: &Path, key: &Path, eum: &Path, cis: &[PathBuf]) -> Result<Identity, LoadError> {
    let files = IdentityFiles {
        euicc_cert: Some(euicc.to_path_buf()),
        euicc_key: Some(key.to_path_buf()),
        eum_cert: Some(eum.to_path_buf()),
        ci_certs: cis.to_vec(),
    };
    if cis.is_empty() {
        return Err(load_err(eum, "no trusted CI certificate given"));
    }
    files.load().map(|(id, _)| id)
}

/// Loads an identity directory (`--identity DIR`), its files found by what they are
/// ([`IdentityFiles::fill_from_dir`]). If `eid.txt` exists, the certificate must carry that EID.
pub fn load_identity_dir(dir: &Path) -> Result<Identity, LoadError> {
    load_identity(dir, IdentityFiles::default()).map(|(id, _)| id)
}

/// Loads an identity from `dir` (if given) completed or overridden by `files`; checks
/// `dir/eid.txt` when present.
pub fn load_identity(dir: &Path, files: IdentityFiles) -> Result<(Identity, IdentityDer), LoadError> {
    let files = files.fill_from_dir(dir)?;
    let (id, der) = files.load()?;
    let eid_file = dir.join("eid.txt");
    if eid_file.is_file() {
        let text = fs::read_to_string(&eid_file).map_err(|e| load_err(&eid_file, e))?;
        let want = Eid::parse(text.trim()).map_err(|e| load_err(&eid_file, e))?;
        if want != id.eid() {
            return Err(load_err(
                files.euicc_cert.as_deref().unwrap_or(dir),
                format!("certificate is for EID {}, {} says {want}", id.eid(), eid_file.display()),
            ));
        }
    }
    Ok((id, der))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::cert::{self, CertError, TrustedCi};

    #[test]
    fn der_lengths() {
        assert_eq!(tlv(0x04, &[1, 2]), [0x04, 2, 1, 2]);
        assert_eq!(tlv(0x04, &[0; 200])[..3], [0x04, 0x81, 200]);
        assert_eq!(tlv(0x04, &[0; 300])[..4], [0x04, 0x82, 0x01, 0x2C]);
        assert_eq!(uint(0), [0x02, 1, 0]);
        assert_eq!(uint(0x80), [0x02, 2, 0, 0x80]);
        assert_eq!(named_bits(&[0]), [0x03, 2, 7, 0x80]);
        assert_eq!(named_bits(&[5]), [0x03, 2, 2, 0x04]);
        assert_eq!(named_bits(&[5, 6]), [0x03, 2, 1, 0x06]);
    }

    #[test]
    fn times() {
        assert_eq!(time(NOT_BEFORE), tlv(0x17, b"260101000000Z"));
        assert_eq!(time(NO_EXPIRY), tlv(0x18, b"99991231235959Z"));
        assert_eq!(time(2_524_608_000), tlv(0x18, b"20500101000000Z"));
    }

    #[test]
    fn default_identity_is_the_default_eid() {
        let id = default_identity();
        assert_eq!(id.eid().to_string(), crate::testkit::DEFAULT_EID);
        assert_eq!(card_eid(0).map(|e| e.to_string()).as_deref(), Some(crate::testkit::DEFAULT_EID));
    }

    #[test]
    fn generated_chain_verifies() {
        let pki = TestPki::generate(9, 3);
        let ci = TrustedCi::from_der(&crate::crypto::RUST_CRYPTO, &pki.ci.der).unwrap();
        assert_eq!(ci.ski(), pki.ci_ski());
        let cis = [ci];
        let eum = cert::verify_eum(
            &crate::crypto::RUST_CRYPTO,
            &pki.eum.der,
            &cis,
            Some(crate::platform::UnixTime(NOT_BEFORE)),
        )
        .unwrap();
        for (card, eid) in pki.cards.iter().zip(&pki.eids) {
            assert_eq!(cert::verify_euicc(&crate::crypto::RUST_CRYPTO, &card.der, &eum, None).unwrap().eid, *eid);
        }
        let auth = cert::verify_dp_cert(
            &crate::crypto::RUST_CRYPTO,
            &pki.dpauth.der,
            &[Role::DpAuth],
            &cis,
            Some(&pki.ci_ski()),
            None,
        )
        .unwrap();
        assert_eq!(auth.smdp_oid(), Some(&SMDP_OID[..]));
        cert::verify_dp_cert(&crate::crypto::RUST_CRYPTO, &pki.dppb.der, &[Role::DpPb], &cis, None, None).unwrap();
        cert::verify_dp_cert(&crate::crypto::RUST_CRYPTO, &pki.dptls.der, &[Role::DpTls], &cis, None, None).unwrap();
        assert_eq!(
            cert::verify_dp_cert(&crate::crypto::RUST_CRYPTO, &pki.dppb.der, &[Role::DpAuth], &cis, None, None)
                .unwrap_err(),
            CertError::WrongPolicy { expected: Role::DpAuth }
        );
    }

    #[test]
    fn deterministic() {
        let (a, b) = (TestPki::generate(5, 2), TestPki::generate(5, 2));
        assert_eq!(a.cards[1].der, b.cards[1].der);
        assert_eq!(a.dptls.der, b.dptls.der);
        assert_ne!(a.ci.der, TestPki::generate(6, 0).ci.der);
    }
}
