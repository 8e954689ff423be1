//! A test SM-DP+: builds what an SM-DP+ sends over ES9+ (InitiateAuthentication,
//! AuthenticateClient, GetBoundProfilePackage) with the test PKI's DPauth and DPpb
//! keys, and checks what the card signs, as a real SM-DP+ would.
//!
//! Every message can be broken in exactly one way ([`Break`]) for negative tests.
//! Signature inputs follow SGP.22 v2.5 §2.6.7 / `../shared/spec/sgp22.md` §4;
//! the BPP follows §2.5.5 and `scp03t.md`.

use super::DetRng;
use super::pki::TestPki;
use crate::asn1::download::{
    AuthenticateServerRequest, AuthenticateServerResponse, AuthenticateServerResult, ConfigureIsdpRequest,
    EuiccSigned2, InitialiseSecureChannelRequest, NotificationConfigurationInformation, PrepareDownloadRequest,
    PrepareDownloadResponse, PrepareDownloadResult, ServerSigned1, SmdpSigned2, StoreMetadataRequest, ctx_params1,
};
use crate::asn1::tlv::tlv;
use crate::config::Eid;
use crate::crypto::cert;
use crate::scp03t::SessionKeys;
use crate::sd::bpp;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::elliptic_curve::Generate;
use p256::{PublicKey, SecretKey};
use rand_core::Rng;
use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;
use std::{format, vec};

/// One thing to get wrong on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Break {
    /// serverSignature1 does not verify.
    ServerSignature1,
    /// serverSigned1 carries another eUICC challenge.
    EuiccChallenge,
    /// euiccCiPKIdToBeUsed names a CI the card does not trust.
    CiPkId,
    /// The DPpb certificate is sent as serverCertificate (wrong policy).
    ServerCertificateRole,
    /// smdpSigned2 carries another transaction id.
    TransactionId,
    /// smdpSignature2 does not verify.
    SmdpSignature2,
    /// The DPauth certificate is sent as CERT.DPpb.
    DpPbCertificateRole,
    /// ccRequiredFlag is set and the LPA sends no hashCc.
    ConfirmationCode,
    /// smdpSign in InitialiseSecureChannel does not verify.
    SmdpSign,
    /// InitialiseSecureChannel carries another transaction id.
    BppTransactionId,
    /// InitialiseSecureChannel asks for unsupported key parameters.
    CrtValues,
    /// One bit of a profile element segment is flipped.
    ProfileSegment,
    /// One bit of the StoreMetadata segment's MAC is flipped.
    MetadataMac,
    /// InitialiseSecureChannel asks for remoteOpId 2 (only installBoundProfilePackage(1) exists).
    RemoteOpId,
    /// otPK.DP.ECKA in InitialiseSecureChannel is not a point on the curve (correctly signed).
    SmdpOtpk,
    /// The first profile-element segment carries tag `87` instead of `86` (correctly MACed).
    SegmentTag,
    /// smdpSignature3 (an RPM package) does not verify.
    SmdpSignature3,
    /// The RPM package's last command is `30 02 A7 00` (no RpmCommand: an unknown alternative),
    /// correctly signed.
    RpmCommandDamaged,
}

/// What to install.
#[derive(Debug, Clone)]
pub struct ProfileToInstall {
    /// StoreMetadata (ICCID, names, class, PPRs, notification configuration…).
    pub metadata: StoreMetadataRequest,
    /// The Unprotected Profile Package (profile elements), delivered as is.
    pub upp: Vec<u8>,
    /// Protect the profile elements with PPKs (ReplaceSessionKeys, `A2`).
    pub replace_session_keys: bool,
    /// ConfigureISDP (`BF24`: dpProprietaryData).
    pub configure: ConfigureIsdpRequest,
}

impl ProfileToInstall {
    /// A profile with ICCID `iccid` (EF.ICCID bytes), operational, whose package is the test
    /// kit's SAIP test profile ([`crate::testkit::saip::TestProfile`]) padded to `size` bytes
    /// (or its natural size, about 1.5 KB, if that is larger).
    pub fn sample(iccid: [u8; 10], size: usize) -> ProfileToInstall {
        ProfileToInstall {
            metadata: StoreMetadataRequest::new(iccid.to_vec(), "veuicc test operator", "veuicc test profile"),
            upp: crate::testkit::saip::TestProfile::new(iccid).with_padding(size).to_der(),
            replace_session_keys: false,
            configure: ConfigureIsdpRequest::default(),
        }
    }
}

impl ProfileToInstall {
    /// The profile with `policy` attached as an SM-DP+ does: a `VendorSpecificExtension`
    /// entry under veuicc's mirror policy OID in StoreMetadata's
    /// `serviceSpecificDataStoredInEuicc`, after any entries already there.
    pub fn with_mirror_policy(mut self, policy: &crate::mirror::asn::MirrorPolicy) -> ProfileToInstall {
        if let Ok(entry) = crate::mirror::policy_entry(policy) {
            let raw = rasn::der::encode(&entry).ok().and_then(|d| rasn::der::decode(&d).ok());
            if let Some(entry) = raw {
                self.metadata.service_specific_data_stored_in_euicc.get_or_insert_with(Vec::new).push(entry);
            }
        }
        self
    }
}

/// Parses a mirror policy as `veuicc download --mirror` takes it:
/// `max=3,services=voice+sms+data,validity=24h,reauth=90d[,roaming-suspend][,transfer]`
/// (`max=unlimited`; durations in `s`, `m`, `h` or `d`). Unnamed fields take the design's
/// defaults: max 0, no services, validity 24 h, reauth 90 days.
pub fn parse_mirror_policy(text: &str) -> Result<crate::mirror::asn::MirrorPolicy, String> {
    use crate::mirror::asn::{MaxInstances, MirrorPolicy, services_bits};
    let mut policy = MirrorPolicy {
        max_instances: MaxInstances::Limited(0),
        services: services_bits(0),
        max_token_validity: 24 * 3600,
        reauth_interval: 90 * 24 * 3600,
        transfer_allowed: false,
        suspend_while_roaming: false,
    };
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some(("max", "unlimited")) => policy.max_instances = MaxInstances::Unlimited(()),
            Some(("max", n)) => {
                policy.max_instances =
                    MaxInstances::Limited(n.parse().map_err(|_| format!("max={n}: a number 0..255 or unlimited"))?)
            }
            Some(("services", list)) => policy.services = services_bits(parse_services(list)?),
            Some(("validity", d)) => policy.max_token_validity = parse_duration(d)?,
            Some(("reauth", d)) => policy.reauth_interval = parse_duration(d)?,
            None if part == "roaming-suspend" => policy.suspend_while_roaming = true,
            None if part == "transfer" => policy.transfer_allowed = true,
            _ => {
                return Err(format!(
                    "{part}: expected max=, services=, validity=, reauth=, roaming-suspend or transfer"
                ));
            }
        }
    }
    Ok(policy)
}

/// `voice+sms+data` (or `,`-separated) → `mirror::asn::service` bits.
pub fn parse_services(list: &str) -> Result<u8, String> {
    use crate::mirror::asn::service;
    list.split(['+', ',']).filter(|s| !s.is_empty()).try_fold(0u8, |acc, s| match s {
        "voice" => Ok(acc | service::VOICE),
        "sms" => Ok(acc | service::SMS),
        "data" => Ok(acc | service::DATA),
        other => Err(format!("{other}: a service is voice, sms or data")),
    })
}

/// `90d`, `24h`, `30m`, `45s` or plain seconds → seconds.
pub fn parse_duration(text: &str) -> Result<u32, String> {
    let (number, unit) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&text[..i], c),
        _ => (text, 's'),
    };
    let n: u32 = number.parse().map_err(|_| format!("{text}: a duration like 24h, 90d, 30m or 45s"))?;
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86400,
        _ => return Err(format!("{text}: the unit is s, m, h or d")),
    };
    n.checked_mul(scale).ok_or_else(|| format!("{text}: too long"))
}

impl ProfileToInstall {
    /// The package `upp` as delivered, with the metadata an SM-DP+ makes from it
    /// ([`crate::testkit::saip::smdp_metadata`]). `Err` if the package does not pass `saip::check`.
    pub fn from_package(upp: Vec<u8>) -> Result<ProfileToInstall, crate::saip::PeError> {
        let metadata = crate::testkit::saip::smdp_metadata(&upp)?;
        Ok(ProfileToInstall { metadata, upp, replace_session_keys: false, configure: ConfigureIsdpRequest::default() })
    }
}

/// Opaque DER TLVs of about `size` bytes in the SAIP PE tag space (`A0` first, `AA` last)
/// that are *not* a valid SAIP package (no `mf`, no PE headers): the card refuses them with
/// installFailedDueToPEProcessingError. For negative tests.
pub fn opaque_upp(size: usize) -> Vec<u8> {
    let mut out = tlv(&[0xA0], &[0x80, 0x01, 0x02, 0x81, 0x01, 0x03]);
    let mut n = 0u8;
    while out.len() + 4 < size.saturating_sub(8) {
        let chunk = (size - out.len()).clamp(4, 900);
        out.extend(tlv(&[0xA1], &vec![n; chunk - 4]));
        n = n.wrapping_add(1);
    }
    out.extend(tlv(&[0xAA], &[0xA0, 0x00]));
    out
}

pub use crate::sd::bpp::Bpp;

/// What the SM-DP+ remembers between ES9+ calls.
#[derive(Debug, Default)]
struct Session {
    transaction_id: Vec<u8>,
    euicc_signature1: Vec<u8>,
    smdp_signature2: Vec<u8>,
    eid: Option<Eid>,
    euicc_key: Option<crate::crypto::PublicKey>,
    cc_required: bool,
}

/// What an SM-DP+ signs with: its DPauth and DPpb certificates and keys, and the CI
/// they chain to (whose SubjectKeyIdentifier it names as euiccCiPKIdToBeUsed).
#[derive(Debug, Clone)]
pub struct SmdpKeys {
    /// CERT.CI, DER.
    pub ci: Vec<u8>,
    /// CERT.DPauth.ECDSA, DER.
    pub dpauth: Vec<u8>,
    /// SK.DPauth.ECDSA.
    pub dpauth_key: SigningKey,
    /// CERT.DPpb.ECDSA, DER.
    pub dppb: Vec<u8>,
    /// SK.DPpb.ECDSA.
    pub dppb_key: SigningKey,
}

impl SmdpKeys {
    /// The SM-DP+ of a generated test PKI.
    pub fn from_pki(pki: &TestPki) -> SmdpKeys {
        SmdpKeys {
            ci: pki.ci.der.clone(),
            dpauth: pki.dpauth.der.clone(),
            dpauth_key: pki.dpauth.key.clone(),
            dppb: pki.dppb.der.clone(),
            dppb_key: pki.dppb.key.clone(),
        }
    }

    /// Reads certificates (PEM or DER) and SEC1/PKCS#8 keys, e.g. the GSMA SGP.26 test SM-DP+.
    pub fn from_files(
        ci: &Path,
        dpauth: &Path,
        dpauth_key: &Path,
        dppb: &Path,
        dppb_key: &Path,
    ) -> Result<SmdpKeys, String> {
        let cert = |p: &Path| super::pki::read_der(p, &["CERTIFICATE"]).map_err(|e| e.to_string());
        let key = |p: &Path| -> Result<SigningKey, String> {
            let der = zeroize::Zeroizing::new(
                super::pki::read_der(p, &["EC PRIVATE KEY", "PRIVATE KEY"]).map_err(|e| e.to_string())?,
            );
            let sk = SecretKey::from_sec1_der(&der)
                .or_else(|_| p256::pkcs8::DecodePrivateKey::from_pkcs8_der(&der))
                .map_err(|e| format!("{}: not a P-256 private key: {e}", p.display()))?;
            Ok(SigningKey::from(sk))
        };
        Ok(SmdpKeys {
            ci: cert(ci)?,
            dpauth: cert(dpauth)?,
            dpauth_key: key(dpauth_key)?,
            dppb: cert(dppb)?,
            dppb_key: key(dppb_key)?,
        })
    }
}

/// The notifications the test SM-DP+ asks for by default: enable, disable, delete.
pub const DEFAULT_NOTIFY: u8 = 0b1110;

/// `notificationConfigurationInfo` asking for `events` (bit n = NotificationEvent n) at `address`.
pub fn notification_config(events: u8, address: &str) -> Vec<NotificationConfigurationInformation> {
    if events == 0 {
        return Vec::new();
    }
    let len = 8 - usize::try_from(events.leading_zeros()).unwrap_or(0);
    let mut bits = rasn::types::BitString::repeat(false, len);
    for i in 0..len {
        bits.set(i, events & (1 << i) != 0);
    }
    vec![NotificationConfigurationInformation {
        profile_management_operation: bits,
        notification_address: address.into(),
    }]
}

/// An `rpmConfiguration` naming the test PKI's SM-DP+ (OID 2.999.10, [`crate::testkit::pki::SMDP_OID`])
/// as the one managing SM-DP+, allowed the commands of `rpm_type` bits (`None`: every command), for
/// profile owner `owner` (OID content bytes); as StoreMetadata carries it (the `BA` value).
pub fn rpm_configuration(rpm_type: Option<&[usize]>, owner: &[u8]) -> rasn::types::Any {
    use crate::asn1::rpm::{ManagingDp, RpmConfiguration};
    let oid = |content: &[u8]| {
        rasn::der::decode::<rasn::types::ObjectIdentifier>(&tlv(&[0x06], content))
            .unwrap_or_else(|_| rasn::types::ObjectIdentifier::new_unchecked(std::borrow::Cow::Borrowed(&[2, 999])))
    };
    let bits = rpm_type.map(|bits| {
        let len = bits.iter().max().map_or(0, |&b| b + 1);
        let mut s = rasn::types::BitString::repeat(false, len);
        for &b in bits {
            s.set(b, true);
        }
        s
    });
    let config = RpmConfiguration {
        managing_dp_list: vec![ManagingDp {
            managing_dp_oid: oid(&crate::testkit::pki::SMDP_OID),
            rpm_type: bits,
            tag_list: None,
        }],
        polling_address: None,
        allowed_ci_pkid: None,
        profile_owner_oid: oid(owner),
    };
    let der = rasn::der::encode(&config).unwrap_or_default();
    let content = crate::asn1::tlv::split_tlv(&der).map(|(_, v)| v.to_vec()).unwrap_or_default();
    rasn::types::Any::new(content)
}

/// A test SM-DP+.
#[derive(Debug)]
pub struct TestSmdp {
    keys: SmdpKeys,
    /// The SM-DP+ address (serverAddress, notification address).
    pub address: String,
    /// What to break, if anything.
    pub broken: Option<Break>,
    /// The time at which CERT.EUICC and CERT.EUM must be valid, as a real SM-DP+ checks them
    /// against its clock; `None` does not check dates (the default: tests are deterministic).
    pub now: Option<crate::platform::UnixTime>,
    /// The events (`NotificationEvent` bits: 1 enable, 2 disable, 3 delete, 0 install) for which
    /// StoreMetadata asks the card for notifications to [`TestSmdp::address`], when the profile's
    /// metadata has no notificationConfigurationInfo of its own. Default: enable, disable and
    /// delete, as operators' SM-DP+s and osmo-smdpp ask; 0 asks for none.
    pub notify: u8,
    /// Ask for a confirmation code (smdpSigned2's ccRequiredFlag), as a download order with
    /// one does; the ES9+ server checks the hashCc the card then signs in euiccSigned2.
    pub require_cc: bool,
    /// The CI checked once (a server with many sessions parses and verifies it once, not per
    /// request); `None`: from the keys, each time.
    pub ci: Option<cert::TrustedCi>,
    /// The SGP.22 version this SM-DP+ is (v2.5 by default). A v3 server puts its v3 fields
    /// (serverSigned1's sessionContext and serverRspCapability) in front of a v3 card only: one
    /// whose EUICCInfo1 has a highestSvn of 3 or more (SGP.22 v3 §2.11: a card without it is v2).
    pub sgp22: crate::config::Sgp22Version,
    /// A v3 server that sends its v3 fields to every card (a v2 card must ignore them).
    pub v3_fields_to_every_card: bool,
    rng: DetRng,
    session: Session,
    /// SGP.22 v3 Device Change: the ICCID the next InitiateAuthentication names in
    /// ctxParamsForDeviceChange (set by [`TestSmdp::initiate_device_change`]).
    device_change_iccid: Option<Vec<u8>>,
    /// The Device Change of the current session, once PrepareDeviceChange was asked for.
    device_change: Option<DeviceChangeSession>,
    /// Device Change orders confirmed (ConfirmDeviceChange), by ICCID: the old card's key, and
    /// whether its Delete Notification for Device Change arrived (the profile is released).
    device_change_orders: Vec<DeviceChangeOrder>,
}

/// The SM-DP+'s side of one Device Change session.
#[derive(Debug, Clone)]
struct DeviceChangeSession {
    iccid: Vec<u8>,
    smdp_signature4: Vec<u8>,
}

/// A confirmed Device Change order (the profile `iccid` moves to a new device).
#[derive(Debug, Clone)]
pub struct DeviceChangeOrder {
    /// The profile's ICCID.
    pub iccid: Vec<u8>,
    /// The old card's CERT.EUICC key (it signs the Delete Notification for Device Change).
    pub old_card_key: crate::crypto::PublicKey,
    /// The old card's delete notification was verified: the new device may download the profile.
    pub released: bool,
}

/// Flips the lowest bit of byte `i` (if there is one).
fn flip(bytes: &mut [u8], i: usize) {
    if let Some(b) = bytes.get_mut(i) {
        *b ^= 1;
    }
}

fn sign(key: &SigningKey, msg: &[u8]) -> Vec<u8> {
    let sig: Signature = key.sign(msg);
    sig.to_bytes().to_vec()
}

impl TestSmdp {
    /// An SM-DP+ at `address` using `pki`'s SM-DP+ keys; its randomness comes from `seed`.
    pub fn new(pki: &TestPki, address: &str, seed: u64) -> TestSmdp {
        TestSmdp::with_keys(SmdpKeys::from_pki(pki), address, seed)
    }

    /// An SM-DP+ with the given keys.
    pub fn with_keys(keys: SmdpKeys, address: &str, seed: u64) -> TestSmdp {
        TestSmdp {
            keys,
            address: address.to_string(),
            broken: None,
            now: None,
            notify: DEFAULT_NOTIFY,
            require_cc: false,
            ci: None,
            sgp22: crate::config::Sgp22Version::V2_5,
            v3_fields_to_every_card: false,
            rng: DetRng::new(seed),
            session: Session::default(),
            device_change_iccid: None,
            device_change: None,
            device_change_orders: Vec::new(),
        }
    }

    fn is(&self, b: Break) -> bool {
        self.broken == Some(b)
    }

    /// The transaction id of the current session.
    pub fn transaction_id(&self) -> &[u8] {
        &self.session.transaction_id
    }

    /// ES9+.InitiateAuthentication: the ES10b.AuthenticateServer request (DER) for the card.
    pub fn initiate_authentication(&mut self, euicc_challenge: [u8; 16], matching_id: Option<&str>) -> Vec<u8> {
        self.initiate_authentication_for(euicc_challenge, matching_id, None)
    }

    /// [`TestSmdp::initiate_authentication`] for a card whose EUICCInfo1 is `info1` (the
    /// version it says decides the v3 fields, see [`TestSmdp::sgp22`]).
    pub fn initiate_authentication_for(
        &mut self,
        euicc_challenge: [u8; 16],
        matching_id: Option<&str>,
        info1: Option<&crate::asn1::rsp::EuiccInfo1>,
    ) -> Vec<u8> {
        let v3_card =
            info1.and_then(|i| i.highest_svn.as_ref()).is_some_and(|svn| svn.first().is_some_and(|&m| m >= 3));
        let mut tid = vec![0u8; 16];
        self.rng.fill_bytes(&mut tid);
        let mut server_challenge = [0u8; 16];
        self.rng.fill_bytes(&mut server_challenge);
        let mut challenge = euicc_challenge;
        if self.is(Break::EuiccChallenge) {
            flip(&mut challenge, 0);
        }
        let mut signed1 = ServerSigned1::new(tid.clone(), challenge, &self.address, server_challenge);
        if self.sgp22.is_v3() && (v3_card || self.v3_fields_to_every_card) {
            signed1.session_context = Some(crate::asn1::download::SessionContext::new(self.sgp22.svn().to_bytes()));
            signed1.server_rsp_capability = Some(rasn::types::BitString::new());
        }
        let signed1 = rasn::der::encode(&signed1).unwrap_or_default();
        let mut signature = sign(&self.keys.dpauth_key, &signed1);
        if self.is(Break::ServerSignature1) {
            flip(&mut signature, 5);
        }
        let mut ci_pkid = cert::subject_key_identifier(&self.keys.ci).ok().flatten().unwrap_or_default();
        if self.is(Break::CiPkId) {
            flip(&mut ci_pkid, 0);
        }
        let server_cert = if self.is(Break::ServerCertificateRole) { &self.keys.dppb } else { &self.keys.dpauth };
        self.session = Session { transaction_id: tid, ..Session::default() };
        let req = AuthenticateServerRequest::new(
            signed1,
            signature,
            ci_pkid,
            server_cert.clone(),
            self.ctx_params1(matching_id),
        );
        // A Device Change session is one session: the next one is a common one again.
        if let Some(iccid) = self.device_change_iccid.take() {
            self.device_change = Some(DeviceChangeSession { iccid, smdp_signature4: Vec::new() });
        }
        rasn::der::encode(&req).unwrap_or_default()
    }

    /// ES9+.AuthenticateClient: verifies the card's chain and euiccSignature1, then
    /// returns the ES10b.PrepareDownload request (DER).
    pub fn authenticate_client(&mut self, response: &[u8]) -> Result<Vec<u8>, String> {
        self.verify_client(response)?;
        let mut tid = self.session.transaction_id.clone();
        if self.is(Break::TransactionId) {
            flip(&mut tid, 0);
        }
        self.session.cc_required = self.is(Break::ConfirmationCode) || self.require_cc;
        let signed2 = rasn::der::encode(&SmdpSigned2::new(tid, self.session.cc_required, None)).unwrap_or_default();
        let mut msg = signed2.clone();
        msg.extend(tlv(&[0x5F, 0x37], &self.session.euicc_signature1));
        let mut signature = sign(&self.keys.dppb_key, &msg);
        if self.is(Break::SmdpSignature2) {
            flip(&mut signature, 7);
        }
        self.session.smdp_signature2 = signature.clone();
        let cert = if self.is(Break::DpPbCertificateRole) { &self.keys.dpauth } else { &self.keys.dppb };
        let req = PrepareDownloadRequest::new(signed2, signature, None, cert.clone());
        Ok(rasn::der::encode(&req).unwrap_or_default())
    }

    /// The checks of ES9+.AuthenticateClient: the card's chain and euiccSignature1; the session
    /// then knows the card (its EID and key).
    fn verify_client(&mut self, response: &[u8]) -> Result<(), String> {
        let resp: AuthenticateServerResponse = rasn::der::decode(response).map_err(|e| e.to_string())?;
        let ok = match resp.0 {
            AuthenticateServerResult::Ok(ok) => ok,
            AuthenticateServerResult::Error(e) => {
                return Err(format!("authenticateResponseError {}", e.authenticate_error_code));
            }
        };
        let ci = self.trusted_ci()?;
        let eum = cert::verify_eum(&crate::crypto::RUST_CRYPTO, ok.eum_certificate.as_bytes(), &[ci], self.now)
            .map_err(|e| format!("CERT.EUM: {e}"))?;
        let euicc = cert::verify_euicc(&crate::crypto::RUST_CRYPTO, ok.euicc_certificate.as_bytes(), &eum, self.now)
            .map_err(|e| format!("CERT.EUICC: {e}"))?;
        if !crate::crypto::CryptoProvider::verify(
            &crate::crypto::RUST_CRYPTO,
            &euicc.key,
            ok.euicc_signed1.as_bytes(),
            &ok.euicc_signature1,
        ) {
            return Err("euiccSignature1 does not verify".into());
        }
        self.session.euicc_signature1 = ok.euicc_signature1.to_vec();
        self.session.eid = Some(euicc.eid);
        self.session.euicc_key = Some(euicc.key);
        Ok(())
    }

    /// ES9+.AuthenticateClient for a pending RPM package (SGP.22 v3): verifies the card as
    /// [`TestSmdp::authenticate_client`] does, then returns the ES10b.LoadRpmPackage request
    /// (DER) carrying `commands`: `smdpSigned3 { transactionId, rpmPackage, rpmPending? }` and
    /// smdpSignature3 with SK.DPauth over `smdpSigned3 ‖ 5F37 40 ‖ euiccSignature1` (what the card
    /// checks, see `sd::isdr::rpm`). [`Break::TransactionId`] and [`Break::SmdpSignature3`]
    /// apply; `target_esim_port` is the LPA's.
    pub fn authenticate_client_rpm(
        &mut self,
        response: &[u8],
        commands: &[crate::asn1::rpm::RpmCommand],
        rpm_pending: bool,
        target_esim_port: Option<u8>,
    ) -> Result<Vec<u8>, String> {
        self.verify_client(response)?;
        let ok = self.rpm_package(commands, rpm_pending)?;
        let req = crate::asn1::rpm::LoadRpmPackageRequest::new(
            rasn::der::encode(&ok.smdp_signed3).map_err(|e| e.to_string())?,
            ok.smdp_signature3.to_vec(),
            target_esim_port,
        );
        rasn::der::encode(&req).map_err(|e| e.to_string())
    }

    /// ES9+.AuthenticateClient for a pending RPM package, as the ES9+ server answers it: verifies
    /// the card as [`TestSmdp::authenticate_client`] does and returns the `AuthenticateClientOkRpm`.
    pub fn authenticate_client_ok_rpm(
        &mut self,
        response: &[u8],
        commands: &[crate::asn1::rpm::RpmCommand],
    ) -> Result<crate::asn1::rpm::AuthenticateClientOkRpm, String> {
        self.verify_client(response)?;
        self.rpm_package(commands, false)
    }

    /// The `AuthenticateClientOkRpm` (ES9+) that delivers `commands` in the current session.
    pub fn rpm_package(
        &mut self,
        commands: &[crate::asn1::rpm::RpmCommand],
        rpm_pending: bool,
    ) -> Result<crate::asn1::rpm::AuthenticateClientOkRpm, String> {
        let mut tid = self.session.transaction_id.clone();
        if self.is(Break::TransactionId) {
            flip(&mut tid, 0);
        }
        let mut signed3 = crate::asn1::rpm::SmdpSigned3::new(tid, commands, rpm_pending).map_err(|e| e.to_string())?;
        if let Some(last) = signed3.rpm_package.last_mut().filter(|_| self.broken == Some(Break::RpmCommandDamaged)) {
            *last = rasn::types::Any::new(vec![0x30, 0x02, 0xA7, 0x00]);
        }
        let der = rasn::der::encode(&signed3).map_err(|e| e.to_string())?;
        let mut msg = der;
        msg.extend(tlv(&[0x5F, 0x37], &self.session.euicc_signature1));
        let mut signature = sign(&self.keys.dpauth_key, &msg);
        if self.is(Break::SmdpSignature3) {
            flip(&mut signature, 9);
        }
        Ok(crate::asn1::rpm::AuthenticateClientOkRpm {
            transaction_id: self.session.transaction_id.clone().into(),
            smdp_signed3: signed3,
            smdp_signature3: signature.into(),
        })
    }

    /// ES9+.HandleNotification for an RPM result: the card's `LoadRpmPackageResult` (`BF44`)
    /// or its pending notification (`A1`, `PendingNotification.loadRpmPackageResultSigned`).
    /// Checks euiccSignRPR with the key of the CERT.EUICC this SM-DP+ authenticated (over the
    /// `A0` TLV of loadRpmPackageResultDataSigned, as it stands in the result) and returns the data.
    pub fn handle_rpm_result(&self, der: &[u8]) -> Result<crate::asn1::rpm::LoadRpmPackageResultDataSigned, String> {
        use crate::asn1::rpm::{LoadRpmPackageResult, LoadRpmPackageResultChoice, LoadRpmPackageResultSigned};
        let signed: LoadRpmPackageResultSigned = match der.first() {
            Some(0xA1) => {
                let mut plain = der.to_vec();
                if let Some(b) = plain.first_mut() {
                    *b = 0x30;
                }
                rasn::der::decode(&plain).map_err(|e| e.to_string())?
            }
            _ => match rasn::der::decode::<LoadRpmPackageResult>(der).map_err(|e| e.to_string())?.0 {
                LoadRpmPackageResultChoice::Signed(s) => s,
                LoadRpmPackageResultChoice::NotSigned(n) => {
                    return Err(format!("loadRpmPackageResultNotSigned {}", n.load_rpm_package_error_code_not_signed));
                }
            },
        };
        let key = self.session.euicc_key.ok_or("no eUICC authenticated in this session")?;
        let mut data = rasn::der::encode(&signed.load_rpm_package_result_data_signed).map_err(|e| e.to_string())?;
        if let Some(b) = data.first_mut() {
            *b = 0xA0;
        }
        if !crate::crypto::CryptoProvider::verify(&crate::crypto::RUST_CRYPTO, &key, &data, &signed.euicc_sign_rpr) {
            return Err("euiccSignRPR does not verify".into());
        }
        Ok(signed.load_rpm_package_result_data_signed)
    }

    /// ES9+.GetBoundProfilePackage: verifies euiccSignature2, agrees keys with the card's
    /// one-time key, and binds `profile` into a BPP.
    pub fn get_bound_profile_package(&mut self, response: &[u8], profile: &ProfileToInstall) -> Result<Bpp, String> {
        let resp: PrepareDownloadResponse = rasn::der::decode(response).map_err(|e| e.to_string())?;
        let ok = match resp.0 {
            PrepareDownloadResult::Ok(ok) => ok,
            PrepareDownloadResult::Error(e) => return Err(format!("downloadResponseError {}", e.download_error_code)),
        };
        let key = self.session.euicc_key.ok_or("no authenticated session")?;
        let mut msg = ok.euicc_signed2.as_bytes().to_vec();
        msg.extend(tlv(&[0x5F, 0x37], &self.session.smdp_signature2));
        if !crate::crypto::CryptoProvider::verify(&crate::crypto::RUST_CRYPTO, &key, &msg, &ok.euicc_signature2) {
            return Err("euiccSignature2 does not verify".into());
        }
        let signed2: EuiccSigned2 = rasn::der::decode(ok.euicc_signed2.as_bytes()).map_err(|e| e.to_string())?;
        let euicc_otpk = PublicKey::from_sec1_bytes(&signed2.euicc_otpk).map_err(|e| e.to_string())?;
        let ot_sk = SecretKey::generate_from_rng(&mut self.rng);
        let ot_pk = ot_sk.public_key().to_sec1_bytes().to_vec();
        let host_id = b"veuicc-smdp".to_vec();
        let eid = self.session.eid.ok_or("no EID")?;
        let shared = ot_sk.diffie_hellman(&euicc_otpk);
        let keys = SessionKeys::derive(
            &crate::crypto::RUST_CRYPTO,
            shared.raw_secret_bytes().as_slice(),
            0x88,
            0x10,
            &host_id,
            eid.as_bytes(),
        )
        .map_err(|e| e.to_string())?;

        // BF23: content = 82 01 01 ‖ 80 tid ‖ A6 CRT ‖ 5F49 otPK.DP; smdpSign over content ‖ 5F49 otPK.EUICC.
        let mut tid = self.session.transaction_id.clone();
        if self.is(Break::BppTransactionId) {
            flip(&mut tid, 0);
        }
        let mut sent_pk = ot_pk.clone();
        if self.is(Break::SmdpOtpk) {
            flip(&mut sent_pk, 64);
        }
        let channel = bpp::Channel {
            remote_op_id: if self.is(Break::RemoteOpId) { 0x02 } else { 0x01 },
            transaction_id: &tid,
            key_len: if self.is(Break::CrtValues) { 0x20 } else { 0x10 },
            host_id: &host_id,
            sender_ot_pk: &sent_pk,
        };
        let content = channel.content();
        let mut smdp_sign = sign(&self.keys.dppb_key, &bpp::channel_signed_part(&content, &signed2.euicc_otpk));
        if self.is(Break::SmdpSign) {
            flip(&mut smdp_sign, 9);
        }
        let isc = bpp::initialise_secure_channel(&content, &smdp_sign);
        debug_assert!(rasn::der::decode::<InitialiseSecureChannelRequest>(&isc).is_ok());

        let configure = rasn::der::encode(&profile.configure).unwrap_or_default();
        let metadata = if profile.metadata.notification_configuration_info.is_none() && self.notify != 0 {
            let mut md = profile.metadata.clone();
            md.notification_configuration_info = Some(notification_config(self.notify, &self.address));
            rasn::der::encode(&md)
        } else {
            rasn::der::encode(&profile.metadata)
        }
        .map_err(|e| e.to_string())?;
        let ppks = profile.replace_session_keys.then(|| {
            let mut k = [[0u8; 16]; 3];
            k.iter_mut().for_each(|k| self.rng.fill_bytes(k));
            zeroize::Zeroizing::new(k)
        });
        let contents = bpp::Contents {
            configure_isdp: &configure,
            store_metadata: &metadata,
            replace_session_keys: ppks.as_deref(),
            profile_package: &profile.upp,
            first_segment_tag: if self.is(Break::SegmentTag) { 0x87 } else { 0x86 },
        };
        let mut bpp = bpp::bind(&crate::crypto::RUST_CRYPTO, &keys, isc, &contents).map_err(|e| e.to_string())?;
        if self.is(Break::MetadataMac)
            && let Some(last) = bpp.store_metadata.first_mut().and_then(|s| s.last_mut())
        {
            *last ^= 1;
        }
        if self.is(Break::ProfileSegment)
            && let Some(b) = bpp.profile_elements.last_mut().and_then(|s| s.get_mut(6))
        {
            *b ^= 0x20;
        }
        Ok(bpp)
    }

    /// ES9+.HandleNotification: checks a pending notification as RetrieveNotificationsList
    /// returned it — a `ProfileInstallationResult` (`BF37`) or an RPM package's signed result
    /// (`A1`, [`TestSmdp::handle_rpm_result`]) signed with the key of the
    /// CERT.EUICC this SM-DP+ authenticated, or an `OtherSignedNotification` (`30`) whose
    /// own CERT.EUICC/EUM chain to this SM-DP+'s CI — and returns its sequence number.
    pub fn handle_notification(&self, pending: &[u8]) -> Result<u64, String> {
        use crate::asn1::download::{NotificationMetadata, ProfileInstallationResult, ProfileInstallationResultData};
        let seq = |m: &NotificationMetadata| u64::try_from(&m.seq_number).map_err(|e| e.to_string());
        if pending.first() == Some(&0xBF) {
            let pir: ProfileInstallationResult = rasn::der::decode(pending).map_err(|e| e.to_string())?;
            let key = self.session.euicc_key.ok_or("no eUICC authenticated in this session")?;
            let data = pir.profile_installation_result_data.as_bytes();
            if !crate::crypto::CryptoProvider::verify(&crate::crypto::RUST_CRYPTO, &key, data, &pir.euicc_sign_pir) {
                return Err("euiccSignPIR does not verify".into());
            }
            let data: ProfileInstallationResultData = rasn::der::decode(data).map_err(|e| e.to_string())?;
            return seq(&data.notification_metadata);
        }
        if pending.first() == Some(&0xA1) {
            let data = self.handle_rpm_result(pending)?;
            return seq(&data.notification_metadata);
        }
        // OtherSignedNotification ::= SEQUENCE { BF2F tbs, 5F37 signature, CERT.EUICC, CERT.EUM }
        let (tag, body) = crate::asn1::tlv::split_tlv(pending).ok_or("not a TLV")?;
        if tag != 0x30 {
            return Err("neither BF37 nor an OtherSignedNotification".into());
        }
        let mut parts = Vec::new();
        let mut rest = body;
        while !rest.is_empty() {
            let (whole, next) = crate::asn1::tlv::next_tlv(rest).ok_or("malformed OtherSignedNotification")?;
            parts.push(whole);
            rest = next;
        }
        let [tbs, sig, euicc, eum] = parts.as_slice() else { return Err("OtherSignedNotification has 4 parts".into()) };
        let ci = self.trusted_ci()?;
        let eum =
            cert::verify_eum(&crate::crypto::RUST_CRYPTO, eum, &[ci], None).map_err(|e| format!("CERT.EUM: {e}"))?;
        let euicc = cert::verify_euicc(&crate::crypto::RUST_CRYPTO, euicc, &eum, None)
            .map_err(|e| format!("CERT.EUICC: {e}"))?;
        let (_, raw_sig) = crate::asn1::tlv::split_tlv(sig).ok_or("no signature")?;
        if !crate::crypto::CryptoProvider::verify(&crate::crypto::RUST_CRYPTO, &euicc.key, tbs, raw_sig) {
            return Err("euiccNotificationSignature does not verify".into());
        }
        let meta: NotificationMetadata = rasn::der::decode(tbs).map_err(|e| e.to_string())?;
        seq(&meta)
    }

    /// The CI as a trust anchor: [`TestSmdp::ci`] if set, else parsed (and its self-signature
    /// checked) from the keys.
    fn trusted_ci(&self) -> Result<cert::TrustedCi, String> {
        match &self.ci {
            Some(ci) => Ok(ci.clone()),
            None => cert::TrustedCi::from_der(&crate::crypto::RUST_CRYPTO, &self.keys.ci).map_err(|e| e.to_string()),
        }
    }

    /// The public key of the CERT.EUICC authenticated in this session (authenticateClient), if any.
    pub fn euicc_key(&self) -> Option<crate::crypto::PublicKey> {
        self.session.euicc_key
    }

    /// The DPpb key's public part.
    pub fn dppb_key(&self) -> VerifyingKey {
        *self.keys.dppb_key.verifying_key()
    }
}

/// SGP.22 v3 Device Change, the SM-DP+'s side (see `sd::isdr::device_change` for the card's):
///
/// ```text
/// old card: initiate_device_change(ICCID) → AuthenticateServer (ctxParamsForDeviceChange)
///   → authenticate_client_device_change → PrepareDeviceChange (smdpSigned4, SK.DPauth)
///   → confirm_device_change (euiccSignature3 checked) → VerifyDeviceChange (smdpSigned5:
///     DeviceChangeData { iccid, activationCodeForDc, deleteOldProfile, deleteNotificationForDcSupport })
///   → the card deletes the profile, its delete notification queued
/// new card: accept_delete_notification_for_dc (AuthenticateClientRequest.deleteNotificationForDc)
///   releases the order → an ordinary download of the same profile (same ICCID)
/// ```
///
/// The profile is released to the new device only once the old card's signed delete
/// notification is verified (deleteOldProfile), so it is never on two cards.
impl TestSmdp {
    /// The ctxParams1 of the next AuthenticateServer: ctxParamsForDeviceChange when a Device
    /// Change was started, else ctxParamsForCommonAuthentication.
    fn ctx_params1(&self, matching_id: Option<&str>) -> Vec<u8> {
        let common = ctx_params1(matching_id, [0x35, 0x29, 0x06, 0x11]);
        let Some(iccid) = &self.device_change_iccid else { return common };
        // deviceInfo as the common context has it: A0 { A1 deviceInfo } without a matchingId.
        let device_info = crate::asn1::tlv::split_tlv(&ctx_params1(None, [0x35, 0x29, 0x06, 0x11]))
            .map(|(_, v)| v.to_vec())
            .unwrap_or_default();
        let mut body = tlv(&[0x5A], iccid);
        body.extend(device_info);
        tlv(&[0xA1], &body)
    }

    /// Starts a Device Change of profile `iccid`: the next InitiateAuthentication names it in
    /// ctxParamsForDeviceChange.
    pub fn initiate_device_change(&mut self, iccid: &[u8]) {
        self.device_change_iccid = Some(iccid.to_vec());
        self.device_change = None;
    }

    /// ES9+.AuthenticateClient of a Device Change session: verifies the card, then returns the
    /// ES10b.PrepareDeviceChange request (DER): smdpSigned4 { transactionId, ccRequiredFlag }
    /// and smdpSignature4 with SK.DPauth over `smdpSigned4 ‖ 5F37 40 ‖ euiccSignature1`.
    pub fn authenticate_client_device_change(&mut self, response: &[u8]) -> Result<Vec<u8>, String> {
        let ok = self.authenticate_client_ok_device_change(response)?;
        let req = crate::asn1::dc::PrepareDeviceChangeRequest::new(
            rasn::der::encode(&ok.smdp_signed4).map_err(|e| e.to_string())?,
            ok.smdp_signature4.to_vec(),
            None,
        );
        rasn::der::encode(&req).map_err(|e| e.to_string())
    }

    /// ES9+.AuthenticateClient of a Device Change session as the ES9+ answer
    /// (`AuthenticateClientOkDeviceChange`).
    pub fn authenticate_client_ok_device_change(
        &mut self,
        response: &[u8],
    ) -> Result<crate::asn1::dc::AuthenticateClientOkDeviceChange, String> {
        let iccid = self.device_change.take().map(|d| d.iccid).ok_or("no Device Change session")?;
        self.verify_client(response)?;
        let mut tid = self.session.transaction_id.clone();
        if self.is(Break::TransactionId) {
            flip(&mut tid, 0);
        }
        let signed4 = crate::asn1::dc::SmdpSigned4 {
            transaction_id: tid.into(),
            cc_required_flag: false,
            activation_code_for_profile_recovery: None,
        };
        let mut msg = rasn::der::encode(&signed4).map_err(|e| e.to_string())?;
        msg.extend(tlv(&[0x5F, 0x37], &self.session.euicc_signature1));
        let signature = sign(&self.keys.dpauth_key, &msg);
        self.device_change = Some(DeviceChangeSession { iccid, smdp_signature4: signature.clone() });
        Ok(crate::asn1::dc::AuthenticateClientOkDeviceChange {
            transaction_id: self.session.transaction_id.clone().into(),
            smdp_signed4: signed4,
            smdp_signature4: signature.into(),
            service_provider_message_for_dc: None,
        })
    }

    /// ES9+.ConfirmDeviceChange: checks the card's PrepareDeviceChangeResponse (`BF4D`;
    /// euiccSignature3 with the session's CERT.EUICC key over `euiccSigned3 ‖ 5F37 40 ‖
    /// smdpSignature4`), records the order and returns the ES10b.VerifyDeviceChange request
    /// (DER): smdpSigned5 with DeviceChangeData (the same ICCID, an activation code for the new
    /// device, deleteOldProfile, deleteNotificationForDcSupport, this SM-DP+ as notification
    /// address), smdpSignature5 with SK.DPauth over `smdpSigned5 ‖ 5F37 40 ‖ euiccSignature3`.
    pub fn confirm_device_change(&mut self, prepare_response: &[u8]) -> Result<Vec<u8>, String> {
        use crate::asn1::dc::{
            DeviceChangeConfirmation, DeviceChangeData, DeviceChangeResponse, EuiccSigned3,
            PrepareDeviceChangeResponse, PrepareDeviceChangeResult, SmdpSigned5, VerifyDeviceChangeChoice,
            VerifyDeviceChangeRequest,
        };
        let dc = self.device_change.take().ok_or("no Device Change session")?;
        let resp: PrepareDeviceChangeResponse = rasn::der::decode(prepare_response).map_err(|e| e.to_string())?;
        let ok = match resp.0 {
            PrepareDeviceChangeResult::Ok(ok) => ok,
            PrepareDeviceChangeResult::Error(e) => {
                return Err(format!("prepareDeviceChangeError {}", e.download_error_code));
            }
        };
        let key = self.session.euicc_key.ok_or("no eUICC authenticated in this session")?;
        let mut msg = ok.euicc_signed3.as_bytes().to_vec();
        msg.extend(tlv(&[0x5F, 0x37], &dc.smdp_signature4));
        if !crate::crypto::CryptoProvider::verify(&crate::crypto::RUST_CRYPTO, &key, &msg, &ok.euicc_signature3) {
            return Err("euiccSignature3 does not verify".into());
        }
        let signed3: EuiccSigned3 = rasn::der::decode(ok.euicc_signed3.as_bytes()).map_err(|e| e.to_string())?;
        if signed3.transaction_id.as_ref() != self.session.transaction_id.as_slice() {
            return Err("euiccSigned3: another transaction".into());
        }
        let activation_code = format!("1${}$DC-{}", self.address, hex_string(&dc.iccid));
        let data = DeviceChangeData {
            iccid: dc.iccid.clone().into(),
            activation_code_for_dc: crate::asn1::BoundedUtf8::new(&activation_code)
                .ok_or("activation code too long")?,
            delete_old_profile: Some(()),
            delete_notification_for_dc_support: Some(()),
            notification_address: Some(self.address.as_str().into()),
            profile_recovery_support: None,
            profile_recovery_validity_period: None,
        };
        let signed5 = SmdpSigned5 {
            transaction_id: self.session.transaction_id.clone().into(),
            device_change_response: Some(DeviceChangeResponse::DeviceChangeData(data)),
        };
        let signed5 = rasn::der::encode(&signed5).map_err(|e| e.to_string())?;
        let mut msg = signed5.clone();
        msg.extend(tlv(&[0x5F, 0x37], &ok.euicc_signature3));
        let signature = sign(&self.keys.dpauth_key, &msg);
        self.device_change_orders.retain(|o| o.iccid != dc.iccid);
        self.device_change_orders.push(DeviceChangeOrder { iccid: dc.iccid, old_card_key: key, released: false });
        let req =
            VerifyDeviceChangeRequest(VerifyDeviceChangeChoice::DeviceChangeConfirmation(DeviceChangeConfirmation {
                smdp_signed5: rasn::types::Any::new(signed5),
                smdp_signature5: signature.into(),
            }));
        rasn::der::encode(&req).map_err(|e| e.to_string())
    }

    /// The new device's AuthenticateClientRequest.deleteNotificationForDc: verifies the old
    /// card's signature (over the notification metadata as the card signed it, `BF2F …`) with
    /// the key recorded at ConfirmDeviceChange, checks it is a delete of an ordered ICCID, and
    /// releases that profile for download.
    pub fn accept_delete_notification_for_dc(
        &mut self,
        notification: &crate::asn1::dc::DeleteNotificationForDc,
    ) -> Result<Vec<u8>, String> {
        let meta = &notification.notification_metadata;
        let iccid = meta.iccid.as_ref().map(|i| i.to_vec()).ok_or("the notification names no ICCID")?;
        let delete = meta.profile_management_operation.get(3).is_some_and(|b| *b);
        if !delete {
            return Err("not a delete notification".into());
        }
        let order = self.device_change_orders.iter_mut().find(|o| o.iccid == iccid).ok_or("no Device Change order")?;
        let tbs = rasn::der::encode(meta).map_err(|e| e.to_string())?;
        if !crate::crypto::CryptoProvider::verify(
            &crate::crypto::RUST_CRYPTO,
            &order.old_card_key,
            &tbs,
            &notification.euicc_notification_signature,
        ) {
            return Err("the Delete Notification for Device Change does not verify".into());
        }
        order.released = true;
        Ok(iccid)
    }

    /// Whether the profile `iccid` was released to a new device (its old card's delete
    /// notification verified); taking it ends the order (one download).
    pub fn take_released(&mut self, iccid: &[u8]) -> bool {
        let released = self.device_change_orders.iter().any(|o| o.iccid == iccid && o.released);
        if released {
            self.device_change_orders.retain(|o| o.iccid != iccid);
        }
        released
    }

    /// The confirmed Device Change orders.
    pub fn device_change_orders(&self) -> &[DeviceChangeOrder] {
        &self.device_change_orders
    }
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
