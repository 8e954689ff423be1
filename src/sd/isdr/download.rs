//! The ISD-R's download session: common mutual authentication, key agreement and
//! the BPP install (SGP.22 v2.5 §3.1.3, §5.7.5–§5.7.7, §5.7.13–§5.7.14).
//!
//! ```text
//!  Idle ──GetEUICCChallenge──▶ Challenged ──AuthenticateServer ok──▶ Authenticated
//!    ▲                                                                     │ PrepareDownload ok
//!    │                     LoadBoundProfilePackage (BF36 + BF23 ok)        ▼
//!    └──── PIR (success or error) ◀── Loading ◀────────────────────── Prepared
//!  CancelSession (right transactionId), a new challenge, reset or closing the
//!  session's channel: back to Idle (nothing installed).
//! ```
//! SGP.22 result codes travel inside `9000` responses; status words only say an
//! APDU itself was unusable (e.g. a part that is not DER at all).
//!
//! Every primitive goes through the platform's crypto provider (`Platform::crypto`).
//! Secrets: otSK.EUICC.ECKA is a [`SecretScalar`] (zeroized on drop); session
//! keys live in `scp03t` types (zeroized on drop); C-MACs compare in constant time.

use super::{Ctx, commit, es10b};
use crate::apdu::{Result, Status};
use crate::asn1::codes::{AuthenticateErrorCode, CancelSessionError, DownloadErrorCode};
use crate::asn1::download::{
    AuthenticateResponseError, AuthenticateResponseOk, AuthenticateServerRequest, AuthenticateServerResponse,
    AuthenticateServerResult, CancelSessionRequest, CancelSessionResponse, CancelSessionResponseOk,
    CancelSessionResult, ErrorResult, EuiccSigned1, EuiccSigned2, FinalResult, InitialiseSecureChannelRequest,
    NotificationMetadata, PrepareDownloadRequest, PrepareDownloadResponse, PrepareDownloadResponseError,
    PrepareDownloadResponseOk, PrepareDownloadResult, ServerSigned1, SmdpSigned2, StoreMetadataRequest, SuccessResult,
};
use crate::asn1::rsp::GetEuiccInfo2Request;
use crate::asn1::tlv::tlv;
use crate::crypto::cert::{self, CertError, Role, VerifiedCert};
use crate::crypto::{CryptoProvider, EcdsaSigner, SecretScalar};
use crate::platform::{Clock, Platform};
use crate::scp03t::SessionKeys;
use crate::sd::isdp::{BppCommand, BppError, BppLoader, ErrorReason, LoadedProfile, Progress};
use crate::store::{InstallRecord, NotificationEvent, NotificationRecord, ProfileRecord, Txn};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use rasn::types::{Any, Integer, OctetString};

/// Largest BF36 header + BF23 the card buffers before the secure channel is up.
const MAX_BPP_HEAD: usize = 1024;

/// What AuthenticateServer established.
#[derive(Debug)]
pub(crate) struct Authenticated {
    transaction_id: Vec<u8>,
    server_address: String,
    ci_pkid: Vec<u8>,
    /// SM-DP+ OID from CERT.DPauth (EuiccCancelSessionSigned.smdpOid).
    dp_auth_oid: Vec<u8>,
    euicc_signature1: [u8; 64],
}

/// What PrepareDownload added.
#[derive(Debug)]
pub(crate) struct Prepared {
    auth: Authenticated,
    dp_pb: VerifiedCert,
    /// otSK.EUICC.ECKA.
    ot_sk: SecretScalar,
    /// otPK.EUICC.ECKA, `04 ‖ X ‖ Y`.
    ot_pk: Vec<u8>,
    /// BF36 header and BF23 bytes received so far.
    head: Vec<u8>,
}

/// A BPP being loaded.
#[derive(Debug)]
pub(crate) struct Loading {
    auth: Authenticated,
    /// The SM-DP+ OID of CERT.DPpb (the PIR's smdpOid).
    smdp_oid: Vec<u8>,
    loader: BppLoader,
    /// The ISD-P record, made when StoreMetadata passed its checks. Profiles cannot change
    /// while a BPP loads (lifecycle commands answer catBusy/undefinedError), so it holds at
    /// the install.
    record: Option<ProfileRecord>,
}

/// The download session (volatile: reset, power loss or closing its channel ends it).
#[derive(Debug, Default)]
pub(crate) enum Session {
    /// No session.
    #[default]
    Idle,
    /// A challenge was issued on `channel`.
    Challenged { challenge: [u8; 16], channel: u8 },
    /// The server is authenticated.
    Authenticated(Box<Authenticated>, u8),
    /// Keys are agreed on the card side; waiting for the BPP.
    Prepared(Box<Prepared>, u8),
    /// The BPP is arriving.
    Loading(Box<Loading>, u8),
}

impl Session {
    /// The BPP command under way, if a profile is loading.
    pub(crate) fn loading_command(&self) -> Option<BppCommand> {
        match self {
            Session::Loading(l, _) => Some(l.loader.current_command()),
            _ => None,
        }
    }

    /// The channel the session runs on.
    pub(crate) fn channel(&self) -> Option<u8> {
        match self {
            Session::Idle => None,
            Session::Challenged { channel, .. }
            | Session::Authenticated(_, channel)
            | Session::Prepared(_, channel)
            | Session::Loading(_, channel) => Some(*channel),
        }
    }
}

/// The card's identity and SK.EUICC as prepared by the platform's crypto provider.
fn identity<'a, P: Platform>(ctx: &Ctx<'a, P>) -> Option<(&'a crate::identity::Identity, &'a dyn EcdsaSigner)> {
    Some((ctx.identity?, ctx.signer?))
}

fn now<P: Platform>(ctx: &mut Ctx<'_, P>) -> Option<crate::platform::UnixTime> {
    let (_, _, clock) = ctx.platform.split();
    clock.now()
}

/// otSK/otPK.EUICC.ECKA (SGP.22 v2.5 §2.6.6): 32 random bytes until they are a valid
/// scalar (rejection sampling; a miss has probability 2^-32). A generator that fails 8
/// times running is broken: `None`.
fn one_time_key(
    crypto: &dyn CryptoProvider,
    rng: &mut impl rand_core::CryptoRng,
) -> Option<(SecretScalar, crate::crypto::PublicKey)> {
    let mut random = zeroize::Zeroizing::new([0u8; 32]);
    for _ in 0..8 {
        rng.fill_bytes(&mut *random);
        if let Some(pair) = crypto.keypair_from_random(&random) {
            return Some(pair);
        }
    }
    None
}

fn raw_sig(bytes: &[u8]) -> Option<[u8; 64]> {
    <[u8; 64]>::try_from(bytes).ok()
}

// ---------------------------------------------------------------- AuthenticateServer

fn auth_error(tid: &OctetString, code: AuthenticateErrorCode) -> AuthenticateServerResponse {
    AuthenticateServerResponse(AuthenticateServerResult::Error(AuthenticateResponseError {
        transaction_id: tid.clone(),
        authenticate_error_code: code.into(),
    }))
}

/// ES10b.AuthenticateServer — SGP.22 v2.5 §5.7.13.
///
/// Checks, in order: serverSigned1 decodes (else `6A80`); a challenge was issued
/// (noSessionContext); euiccCiPKIdToBeUsed is trusted and the card holds a chain to it
/// (ciPKUnknown); the server
/// certificate chains to that CI with a DPauth/DSauth policy (invalidCertificate,
/// unsupportedCurve, invalidOid …); serverSignature1 verifies (invalidSignature);
/// euiccChallenge matches (euiccChallengeMismatch). Then signs euiccSigned1.
pub(super) fn authenticate_server<P: Platform>(
    req: AuthenticateServerRequest,
    ctx: &mut Ctx<'_, P>,
    session: &mut Session,
    channel: u8,
) -> Result<AuthenticateServerResponse> {
    let signed: ServerSigned1 = rasn::der::decode(req.server_signed1.as_bytes()).map_err(|_| Status::IncorrectData)?;
    let tid = signed.transaction_id.clone();
    let challenge = match core::mem::take(session) {
        Session::Challenged { challenge, .. } => challenge,
        _ => return Ok(auth_error(&tid, AuthenticateErrorCode::NoSessionContext)),
    };
    let Some((id, signer)) = identity(ctx) else { return Ok(auth_error(&tid, AuthenticateErrorCode::UndefinedError)) };
    // The card must also hold a chain to that CI to sign euiccSigned1 for it.
    if !id.signs_for(&req.euicc_ci_pkid_to_be_used) {
        return Ok(auth_error(&tid, CertError::CiPkUnknown.code()));
    }
    let now = now(ctx);
    let crypto = ctx.platform.crypto();
    let server = match cert::verify_dp_cert(
        crypto,
        req.server_certificate.as_bytes(),
        &[Role::DpAuth, Role::DsAuth],
        id.cis(),
        Some(&req.euicc_ci_pkid_to_be_used),
        now,
    ) {
        Ok(v) => v,
        Err(e) => return Ok(auth_error(&tid, e.code())),
    };
    if let Err(e) = server.verify(crypto, req.server_signed1.as_bytes(), &req.server_signature1) {
        return Ok(auth_error(&tid, e.code()));
    }
    if signed.euicc_challenge.as_slice() != challenge {
        return Ok(auth_error(&tid, AuthenticateErrorCode::EuiccChallengeMismatch));
    }
    if !(1..=16).contains(&tid.len()) {
        return Err(Status::IncorrectData);
    }
    let euicc_signed1 = EuiccSigned1 {
        transaction_id: tid.clone(),
        server_address: signed.server_address.clone(),
        server_challenge: signed.server_challenge,
        euicc_info2: es10b::get_euicc_info2(GetEuiccInfo2Request::default(), ctx),
        ctx_params1: req.ctx_params1.clone(),
    };
    let signed1 = rasn::der::encode(&euicc_signed1).map_err(|_| Status::Unknown)?;
    let signature = signer.sign(&signed1);
    *session = Session::Authenticated(
        Box::new(Authenticated {
            transaction_id: tid.to_vec(),
            server_address: signed.server_address,
            ci_pkid: req.euicc_ci_pkid_to_be_used.to_vec(),
            dp_auth_oid: server.smdp_oid.unwrap_or_default(),
            euicc_signature1: signature,
        }),
        channel,
    );
    Ok(AuthenticateServerResponse(AuthenticateServerResult::Ok(AuthenticateResponseOk {
        euicc_signed1: Any::new(signed1),
        euicc_signature1: signature.to_vec().into(),
        euicc_certificate: Any::new(id.euicc_cert().to_vec()),
        eum_certificate: Any::new(id.eum_cert().to_vec()),
    })))
}

// ---------------------------------------------------------------- PrepareDownload

fn download_error(tid: &OctetString, code: DownloadErrorCode) -> PrepareDownloadResponse {
    PrepareDownloadResponse(PrepareDownloadResult::Error(PrepareDownloadResponseError {
        transaction_id: tid.clone(),
        download_error_code: code.into(),
    }))
}

/// ES10b.PrepareDownload — SGP.22 v2.5 §5.7.5.
///
/// Checks: a server-authenticated session (noSessionContext); the same
/// transactionId (invalidTransactionId); CERT.DPpb from the session's CI with the
/// DPpb policy (invalidCertificate …); smdpSignature2 over `smdpSigned2 ‖ 5F37 40 ‖
/// euiccSignature1` (invalidSignature); a confirmation code hash when required
/// (undefinedError). Then makes otPK/otSK.EUICC.ECKA and signs `euiccSigned2 ‖ 5F37 40 ‖ smdpSignature2`.
pub(super) fn prepare_download<P: Platform>(
    req: PrepareDownloadRequest,
    ctx: &mut Ctx<'_, P>,
    session: &mut Session,
) -> Result<PrepareDownloadResponse> {
    let signed: SmdpSigned2 = rasn::der::decode(req.smdp_signed2.as_bytes()).map_err(|_| Status::IncorrectData)?;
    let tid = signed.transaction_id.clone();
    let (auth, channel) = match core::mem::take(session) {
        Session::Authenticated(auth, channel) => (auth, channel),
        other => {
            *session = other;
            return Ok(download_error(&tid, DownloadErrorCode::NoSessionContext));
        }
    };
    let fail = |session: &mut Session, auth: Box<Authenticated>, code: DownloadErrorCode| {
        *session = Session::Authenticated(auth, channel);
        Ok(download_error(&tid, code))
    };
    if tid.as_ref() != auth.transaction_id.as_slice() {
        return fail(session, auth, DownloadErrorCode::InvalidTransactionId);
    }
    let Some((id, signer)) = identity(ctx) else { return fail(session, auth, DownloadErrorCode::UndefinedError) };
    let now = now(ctx);
    let crypto = ctx.platform.crypto();
    let dp_pb = match cert::verify_dp_cert(
        crypto,
        req.smdp_certificate.as_bytes(),
        &[Role::DpPb],
        id.cis(),
        Some(&auth.ci_pkid),
        now,
    ) {
        Ok(v) => v,
        Err(e) => return fail(session, auth, e.download_code()),
    };
    let mut msg = req.smdp_signed2.as_bytes().to_vec();
    msg.extend(tlv(&[0x5F, 0x37], &auth.euicc_signature1));
    if let Err(e) = dp_pb.verify(crypto, &msg, &req.smdp_signature2) {
        return fail(session, auth, e.download_code());
    }
    if signed.cc_required_flag && req.hash_cc.as_ref().is_none_or(|h| h.len() != 32) {
        return fail(session, auth, DownloadErrorCode::UndefinedError);
    }
    let Some(smdp_signature2) = raw_sig(&req.smdp_signature2) else {
        return fail(session, auth, CertError::BadSignature.download_code());
    };
    let (_, rng, _) = ctx.platform.split();
    let Some((ot_sk, ot_pk)) = one_time_key(crypto, rng) else {
        return fail(session, auth, DownloadErrorCode::UndefinedError);
    };
    let ot_pk = ot_pk.as_bytes().to_vec();
    let euicc_signed2 =
        EuiccSigned2 { transaction_id: tid.clone(), euicc_otpk: ot_pk.clone().into(), hash_cc: req.hash_cc };
    let signed2 = rasn::der::encode(&euicc_signed2).map_err(|_| Status::Unknown)?;
    let mut msg = signed2.clone();
    msg.extend(tlv(&[0x5F, 0x37], &smdp_signature2));
    let signature = signer.sign(&msg);
    *session = Session::Prepared(Box::new(Prepared { auth: *auth, dp_pb, ot_sk, ot_pk, head: Vec::new() }), channel);
    Ok(PrepareDownloadResponse(PrepareDownloadResult::Ok(PrepareDownloadResponseOk {
        euicc_signed2: Any::new(signed2),
        euicc_signature2: signature.to_vec().into(),
    })))
}

// ---------------------------------------------------------------- CancelSession

/// ES10b.CancelSession — SGP.22 v2.5 §5.7.14.
///
/// With the session's transactionId: a signed `EuiccCancelSessionSigned { tid,
/// smdpOid (of CERT.DPauth), reason }` and the session ends. Otherwise (also
/// after a finished load, which lpac cancels anyway) `invalidTransactionId(5)`.
pub(super) fn cancel_session<P: Platform>(
    req: CancelSessionRequest,
    ctx: &mut Ctx<'_, P>,
    session: &mut Session,
) -> Result<CancelSessionResponse> {
    let auth = match session {
        Session::Authenticated(a, _) => Some(&**a),
        Session::Prepared(p, _) => Some(&p.auth),
        Session::Loading(l, _) => Some(&l.auth),
        Session::Idle | Session::Challenged { .. } => None,
    };
    let Some(auth) = auth.filter(|a| a.transaction_id.as_slice() == req.transaction_id.as_ref()) else {
        return Ok(CancelSessionResponse(CancelSessionResult::Error(CancelSessionError::InvalidTransactionId.into())));
    };
    let Some((_, signer)) = identity(ctx) else {
        return Ok(CancelSessionResponse(CancelSessionResult::Error(CancelSessionError::UndefinedError.into())));
    };
    // EuiccCancelSessionSigned ::= SEQUENCE { transactionId [0], smdpOid [1] (implicit OID), reason [2] }
    let reason = rasn::der::encode(&req.reason).map_err(|_| Status::Unknown)?;
    let mut body = tlv(&[0x80], &auth.transaction_id);
    body.extend(tlv(&[0x81], &auth.dp_auth_oid));
    body.extend(tlv(&[0x82], reason.get(2..).unwrap_or_default()));
    let signed = tlv(&[0x30], &body);
    let signature = signer.sign(&signed);
    if matches!(session, Session::Loading(..)) && ctx.state.install.is_some() {
        // An abandoned load, not an interrupted one: no PIR.
        let mut new = ctx.state.clone();
        new.install = None;
        commit(ctx, new, Txn::new())?;
    }
    *session = Session::Idle;
    Ok(CancelSessionResponse(CancelSessionResult::Ok(CancelSessionResponseOk {
        euicc_cancel_session_signed: Any::new(signed),
        euicc_cancel_session_signature: signature.to_vec().into(),
    })))
}

// ---------------------------------------------------------------- LoadBoundProfilePackage

/// Reads a BER header with a tag of 1 or 2 bytes; `None` until complete.
fn header(b: &[u8]) -> Option<(u32, usize, usize)> {
    let tag = crate::asn1::outer_tag(b)?;
    let tl = crate::asn1::tlv::tag_len(tag);
    let first = *b.get(tl)?;
    match first {
        0..=0x7F => Some((tag, usize::from(first), tl + 1)),
        0x81..=0x83 => {
            let n = usize::from(first & 0x7F);
            let bytes = b.get(tl + 1..tl + 1 + n)?;
            Some((tag, bytes.iter().fold(0usize, |a, &x| (a << 8) | usize::from(x)), tl + 1 + n))
        }
        _ => None,
    }
}

/// ES10b.LoadBoundProfilePackage — SGP.22 v2.5 §5.7.6, one STORE DATA command of
/// the BPP stream. Returns the response DER: empty while all is well, the signed
/// `ProfileInstallationResult` (`BF37`) at the end or at the first error.
pub(super) fn load_bpp<P: Platform>(payload: &[u8], ctx: &mut Ctx<'_, P>, session: &mut Session) -> Result<Vec<u8>> {
    match core::mem::take(session) {
        Session::Prepared(mut prepared, channel) => {
            prepared.head.extend_from_slice(payload);
            if prepared.head.len() > MAX_BPP_HEAD {
                let e = error(BppCommand::InitialiseSecureChannel, ErrorReason::IncorrectInputValues);
                return fail_install(
                    ctx,
                    &pir_session(&prepared.auth, prepared.dp_pb.smdp_oid.as_deref().unwrap_or_default()),
                    e,
                );
            }
            let head = prepared.head.clone();
            // BF36 header, then a complete BF23.
            let Some((0xBF36, bpp_len, bpp_hdr)) = header(&head) else {
                if head.first().is_some_and(|&b| b != 0xBF) || head.len() > 4 {
                    return Err(Status::IncorrectData);
                }
                *session = Session::Prepared(prepared, channel);
                return Ok(Vec::new());
            };
            let rest = head.get(bpp_hdr..).unwrap_or_default();
            let Some((0xBF23, isc_len, isc_hdr)) = header(rest) else {
                *session = Session::Prepared(prepared, channel);
                return Ok(Vec::new());
            };
            let Some(isc) = rest.get(..isc_hdr + isc_len) else {
                *session = Session::Prepared(prepared, channel);
                return Ok(Vec::new());
            };
            let after = rest.get(isc_hdr + isc_len..).unwrap_or_default().to_vec();
            let remaining = bpp_len.checked_sub(isc_hdr + isc_len);
            let pir = pir_session(&prepared.auth, prepared.dp_pb.smdp_oid.as_deref().unwrap_or_default());
            match initialise_secure_channel(ctx, &prepared, isc, remaining) {
                Err(e) => fail_install(ctx, &pir, e),
                Ok(loader) => {
                    // From here an interruption must leave a PIR: note the load in the store.
                    let mut new = ctx.state.clone();
                    new.install = Some(pir.clone());
                    commit(ctx, new, Txn::new())?;
                    let smdp_oid = pir.smdp_oid.to_vec();
                    let loading = Box::new(Loading { auth: prepared.auth, smdp_oid, loader, record: None });
                    feed(ctx, session, loading, channel, &after)
                }
            }
        }
        Session::Loading(loading, channel) => feed(ctx, session, loading, channel, payload),
        other => {
            *session = other;
            Err(Status::ConditionsNotSatisfied)
        }
    }
}

fn error(command: BppCommand, reason: ErrorReason) -> BppError {
    BppError { command, reason }
}

/// InitialiseSecureChannel (BF23) — SGP.22 v2.5 §5.5.1 / `scp03t.md` §4.
fn initialise_secure_channel<P: Platform>(
    ctx: &mut Ctx<'_, P>,
    prepared: &Prepared,
    isc: &[u8],
    remaining: Option<usize>,
) -> core::result::Result<BppLoader, BppError> {
    let fail = |reason| error(BppCommand::InitialiseSecureChannel, reason);
    let remaining = remaining.ok_or(fail(ErrorReason::IncorrectInputValues))?;
    let req: InitialiseSecureChannelRequest =
        rasn::der::decode(isc).map_err(|_| fail(ErrorReason::IncorrectInputValues))?;
    if req.remote_op_id != Integer::from(1) {
        return Err(fail(ErrorReason::UnsupportedRemoteOperationType));
    }
    if req.transaction_id.as_ref() != prepared.auth.transaction_id.as_slice() {
        return Err(fail(ErrorReason::InvalidTransactionId));
    }
    let crt = &req.control_ref_template;
    if crt.key_type.as_ref() != [0x88] || crt.key_len.as_ref() != [0x10] || crt.host_id.len() > 16 {
        return Err(fail(ErrorReason::UnsupportedCrtValues));
    }
    // smdpSign covers the BF23 content without its 5F37 TLV, then 5F49 ‖ otPK.EUICC.ECKA.
    let sign_tlv = tlv(&[0x5F, 0x37], &req.smdp_sign);
    let content = header(isc).and_then(|(_, _, h)| isc.get(h..)).unwrap_or_default();
    let signed_part = content.get(..content.len().saturating_sub(sign_tlv.len())).unwrap_or_default();
    if content.get(signed_part.len()..) != Some(sign_tlv.as_slice()) {
        return Err(fail(ErrorReason::IncorrectInputValues));
    }
    let mut msg = signed_part.to_vec();
    msg.extend(tlv(&[0x5F, 0x49], &prepared.ot_pk));
    let crypto = ctx.platform.crypto();
    prepared.dp_pb.verify(crypto, &msg, &req.smdp_sign).map_err(|_| fail(ErrorReason::InvalidSignature))?;
    let smdp_pk = crypto.public_key(&req.smdp_otpk).map_err(|_| fail(ErrorReason::IncorrectInputValues))?;
    let shared = crypto.ecdh(&prepared.ot_sk, &smdp_pk).map_err(|_| fail(ErrorReason::IncorrectInputValues))?;
    let keys = SessionKeys::derive(crypto, shared.expose(), 0x88, 0x10, &crt.host_id, ctx.config.eid.as_bytes())
        .map_err(|_| fail(ErrorReason::UnsupportedCrtValues))?;
    let used = u32::try_from(ctx.store.used_bytes()).unwrap_or(u32::MAX);
    let free = usize::try_from(ctx.config.nvm_bytes.saturating_sub(used)).unwrap_or(0);
    Ok(BppLoader::new(crypto, &keys, remaining, free))
}

fn feed<P: Platform>(
    ctx: &mut Ctx<'_, P>,
    session: &mut Session,
    mut loading: Box<Loading>,
    channel: u8,
    bytes: &[u8],
) -> Result<Vec<u8>> {
    let mut progress = loading.loader.feed(bytes);
    while let Ok(Progress::Metadata) = progress {
        // StoreMetadata is checked as soon as it is complete (SGP.22 v2.5 §5.5.3): a
        // profile the card refuses costs no profile-element decryption.
        let record = match (loading.loader.configure(), loading.loader.metadata()) {
            (Some(configure), Some(md)) => super::metadata::profile_record(ctx.config, ctx.state, configure, md),
            _ => Err(error(BppCommand::StoreMetadata, ErrorReason::Scp03tStructureError)),
        };
        progress = record.and_then(|record| {
            loading.record = Some(record);
            loading.loader.feed(&[])
        });
    }
    match progress {
        Ok(Progress::NeedMore | Progress::Metadata) => {
            *session = Session::Loading(loading, channel);
            Ok(Vec::new())
        }
        Ok(Progress::Complete(profile)) => install(ctx, *loading, *profile),
        Err(e) => fail_install(ctx, &loading.pir(), e),
    }
}

/// Creates the ISD-P: checks the profile package, then commits the profile record (made
/// at StoreMetadata), its package and the install notification (with the PIR) together.
fn install<P: Platform>(ctx: &mut Ctx<'_, P>, loading: Loading, profile: LoadedProfile) -> Result<Vec<u8>> {
    let pir_facts = loading.pir();
    let Some(record) = loading.record else {
        let e = error(BppCommand::StoreMetadata, ErrorReason::Scp03tStructureError);
        return fail_install(ctx, &pir_facts, e);
    };
    if let Err(reason) = check_package(&profile.upp, &profile.metadata, record.class) {
        let e = error(BppCommand::LoadProfileElements, reason);
        return fail_install(ctx, &pir_facts, e);
    }
    let aid = record.isdp_aid.clone();
    let mut new = ctx.state.clone();
    let seq = new.next_seq();
    let final_result = FinalResult::Success(SuccessResult { aid, sima_response: OctetString::from_static(&[]) });
    let pir = signed_pir(ctx, &pir_facts, seq, Some(&record.iccid), final_result)?;
    let mut extra = Txn::new();
    extra.put(&record.package_name(), profile.upp);
    new.push_notification(NotificationRecord {
        seq,
        event: NotificationEvent::Install,
        address: pir_facts.server_address,
        iccid: Some(record.iccid.clone()),
        pir: Some(pir.clone().into()),
    });
    new.profiles.push(record);
    new.install = None;
    commit(ctx, new, extra)?;
    Ok(pir)
}

/// The profile package must be a well-formed SAIP package (TCA eUICC Profile Package:
/// header first, `end` last, `mf` before the file system, decodable header and AKA
/// parameters, no mandatory service the card does not know) →
/// else installFailedDueToPEProcessingError(12); its header's ICCID (printed digit order)
/// must be the one StoreMetadata announced (`Iccid`, nibble-swapped), compared after
/// converting → else installFailedDueToDataMismatch(13) (SGP.22 v2.5 §2.5.5; an older text
/// names it installFailedDueToIccidMismatch). A Test profile must not carry
/// network credentials (SGP.21 TPRO2): each of its `akaParameter`s uses the USIM test
/// algorithm (or maps another NAA's keys) → else testProfileInstallFailedDueToInvalidNaaKey(14)
/// (the card's reading; GSMA TS.48 test profiles use algorithm 3). The package is stored as
/// delivered either way: the check reads, it never rewrites.
fn check_package(
    upp: &[u8],
    md: &StoreMetadataRequest,
    class: crate::store::ProfileClass,
) -> core::result::Result<(), ErrorReason> {
    let summary = crate::saip::check(upp).map_err(|_| ErrorReason::PeProcessingError)?;
    if summary.header.unknown_mandatory_services != 0 {
        return Err(ErrorReason::PeProcessingError);
    }
    if summary.header.sgp22_iccid().as_slice() != md.iccid.as_ref() {
        return Err(ErrorReason::DataMismatch);
    }
    let network_key =
        |a: &crate::saip::AkaSummary| a.algorithm.is_some_and(|x| x != crate::saip::Algorithm::TestAlgorithm);
    if class == crate::store::ProfileClass::Test && summary.aka.iter().any(network_key) {
        return Err(ErrorReason::InvalidNaaKey);
    }
    Ok(())
}

impl Loading {
    /// What its PIR names (also the store's note that a load is under way).
    fn pir(&self) -> InstallRecord {
        pir_session(&self.auth, &self.smdp_oid)
    }
}

/// The session facts a PIR names.
fn pir_session(auth: &Authenticated, smdp_oid: &[u8]) -> InstallRecord {
    InstallRecord {
        transaction_id: auth.transaction_id.clone().into(),
        server_address: auth.server_address.clone(),
        smdp_oid: smdp_oid.to_vec().into(),
    }
}

/// A load that was under way when the card lost power, was reset, or its channel closed
/// (the store still holds its [`InstallRecord`] while no load runs): its signed PIR with
/// `installFailedDueToInterruption(11)` becomes a notification, at the first ES10 command
/// after (SGP.22 v2.5 §3.1.3; `spec/sgp22.md` §6). `command` is the BPP command that was
/// running if the card knows it (a reset or power loss forgets it: then ConfigureISDP,
/// the first command after InitialiseSecureChannel).
pub(super) fn settle_interrupted<P: Platform>(ctx: &mut Ctx<'_, P>, command: Option<BppCommand>) -> Result<()> {
    let Some(install) = ctx.state.install.clone() else { return Ok(()) };
    let e = error(command.unwrap_or(BppCommand::ConfigureIsdp), ErrorReason::Interruption);
    if identity(ctx).is_none() {
        let mut new = ctx.state.clone();
        new.install = None;
        return commit(ctx, new, Txn::new());
    }
    fail_install(ctx, &install, e).map(|_| ())
}

/// The load failed: the signed PIR with `errorResult`, kept as a notification
/// (SGP.22 v2.5 §3.1.3: the PIR is delivered whether the install worked or not).
fn fail_install<P: Platform>(ctx: &mut Ctx<'_, P>, session: &InstallRecord, e: BppError) -> Result<Vec<u8>> {
    let mut new = ctx.state.clone();
    let seq = new.next_seq();
    let result = FinalResult::Error(ErrorResult {
        bpp_command_id: e.command.into(),
        error_reason: e.reason.into(),
        sima_response: None,
    });
    let pir = signed_pir(ctx, session, seq, None, result)?;
    new.push_notification(NotificationRecord {
        seq,
        event: NotificationEvent::Install,
        address: session.server_address.clone(),
        iccid: None,
        pir: Some(pir.clone().into()),
    });
    new.install = None;
    commit(ctx, new, Txn::new())?;
    Ok(pir)
}

/// `ProfileInstallationResult` (`BF37`): the result data and the eUICC's signature over it.
fn signed_pir<P: Platform>(
    ctx: &mut Ctx<'_, P>,
    session: &InstallRecord,
    seq: u64,
    iccid: Option<&OctetString>,
    final_result: FinalResult,
) -> Result<Vec<u8>> {
    let (_, signer) = identity(ctx).ok_or(Status::ConditionsNotSatisfied)?;
    let metadata = NotificationMetadata {
        seq_number: seq.into(),
        profile_management_operation: es10b::named_bits(&[NotificationEvent::Install.bit()]),
        notification_address: session.server_address.clone(),
        iccid: iccid.cloned(),
    };
    // ProfileInstallationResultData ::= [39] { [0] tid, BF2F metadata, OID smdpOid, [2] finalResult }
    let mut body = tlv(&[0x80], &session.transaction_id);
    body.extend(rasn::der::encode(&metadata).map_err(|_| Status::Unknown)?);
    body.extend(tlv(&[0x06], &session.smdp_oid));
    let result = rasn::der::encode(&final_result).map_err(|_| Status::Unknown)?;
    body.extend(tlv(&[0xA2], &result));
    let data = tlv(&[0xBF, 0x27], &body);
    let signature = signer.sign(&data);
    let mut pir = data;
    pir.extend(tlv(&[0x5F, 0x37], &signature));
    Ok(tlv(&[0xBF, 0x37], &pir))
}
