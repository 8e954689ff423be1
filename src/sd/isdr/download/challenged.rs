//! `Challenged`: a challenge was issued; AuthenticateServer may follow (SGP.22 v2.5 §5.7.13).

use super::{Authenticated, Session, now};
use crate::apdu::{Result, Status};
use crate::asn1::codes::AuthenticateErrorCode;
use crate::asn1::download::{
    AuthenticateResponseError, AuthenticateResponseOk, AuthenticateServerRequest, AuthenticateServerResponse,
    AuthenticateServerResult, EuiccSigned1, ServerSigned1,
};
use crate::asn1::rsp::GetEuiccInfo2Request;
use crate::crypto::cert::{self, CertError, Role};
use crate::platform::Platform;
use crate::sd::isdr::{Ctx, es10b};
use alloc::boxed::Box;
use alloc::vec::Vec;
use rasn::types::{Any, OctetString};

/// A challenge was issued on `owner`.
#[derive(Debug)]
pub(crate) struct Challenged {
    challenge: [u8; 16],
    owner: crate::app::Selection,
}

/// `serverSigned1` of the request, decoded (else `6A80`, the session unchanged).
pub(super) fn server_signed1(req: &AuthenticateServerRequest) -> Result<ServerSigned1> {
    crate::asn1::ext::decode(req.server_signed1.as_bytes()).map_err(|_| Status::IncorrectData)
}

fn auth_error(tid: &OctetString, code: AuthenticateErrorCode) -> AuthenticateServerResponse {
    AuthenticateServerResponse(AuthenticateServerResult::Error(AuthenticateResponseError {
        transaction_id: tid.clone(),
        authenticate_error_code: code.into(),
    }))
}

/// The answer outside `Challenged`: noSessionContext.
pub(super) fn no_session(tid: &OctetString) -> AuthenticateServerResponse {
    auth_error(tid, AuthenticateErrorCode::NoSessionContext)
}

impl Challenged {
    pub(super) fn new(challenge: [u8; 16], owner: crate::app::Selection) -> Challenged {
        Challenged { challenge, owner }
    }

    pub(super) fn owner(&self) -> crate::app::Selection {
        self.owner
    }

    /// ES10b.AuthenticateServer — SGP.22 v2.5 §5.7.13. Consumes the challenge: whatever
    /// the answer, the session is `Authenticated` or over.
    ///
    /// Checks, in order: a card identity (undefinedError); euiccCiPKIdToBeUsed is trusted
    /// and the card holds a chain to it (ciPKUnknown); the server certificate chains to that
    /// CI with a DPauth/DSauth policy (invalidCertificate, unsupportedCurve, invalidOid …);
    /// serverSignature1 verifies (invalidSignature); euiccChallenge matches
    /// (euiccChallengeMismatch). Then signs euiccSigned1.
    pub(super) fn authenticate_server<P: Platform>(
        self,
        req: AuthenticateServerRequest,
        signed: ServerSigned1,
        ctx: &mut Ctx<'_, P>,
    ) -> (Session, Result<AuthenticateServerResponse>) {
        match self.authenticate(req, signed, ctx) {
            Ok(Ok((auth, resp))) => (Session::Authenticated(Box::new(auth)), Ok(resp)),
            Ok(Err(refused)) => (Session::Idle, Ok(refused)),
            Err(e) => (Session::Idle, Err(e)),
        }
    }

    fn authenticate<P: Platform>(
        self,
        req: AuthenticateServerRequest,
        signed: ServerSigned1,
        ctx: &mut Ctx<'_, P>,
    ) -> Result<core::result::Result<(Authenticated, AuthenticateServerResponse), AuthenticateServerResponse>> {
        let tid = signed.transaction_id.clone();
        let refuse = |code| Ok(Err(auth_error(&tid, code)));
        let Some(card) = ctx.signing() else { return refuse(AuthenticateErrorCode::UndefinedError) };
        // The CI to use. v2.5: euiccCiPKIdToBeUsed, mandatory. v3: it is optional and may be
        // empty; then sessionContext's euiccCiPKIdToBeUsedV3, else the CI that issued the
        // server certificate (its AKI).
        let ci_pkid: Option<&[u8]> = match req.euicc_ci_pkid_to_be_used.as_deref() {
            Some(id) if !ctx.config.sgp22.is_v3() || !id.is_empty() => Some(id),
            None if !ctx.config.sgp22.is_v3() => return Err(Status::IncorrectData),
            _ => signed
                .session_context
                .as_ref()
                .and_then(|c| c.euicc_ci_pkid_to_be_used_v3.as_deref())
                .filter(|id| !id.is_empty()),
        };
        // The card must also hold a chain to that CI to sign euiccSigned1 for it.
        if ci_pkid.is_some_and(|id| !card.identity.signs_for(id)) {
            return refuse(CertError::CiPkUnknown.code());
        }
        let now = now(ctx);
        let crypto = ctx.platform.crypto();
        let server = match cert::verify_server_cert(
            crypto,
            req.server_certificate.as_bytes(),
            &[Role::DpAuth, Role::DsAuth],
            card.identity.cis(),
            ci_pkid,
            now,
            ctx.config.sgp22.is_v3(),
        ) {
            Ok(v) => v,
            Err(e) => return refuse(e.code()),
        };
        if !card.identity.signs_for(server.ci_pkid()) {
            return refuse(CertError::CiPkUnknown.code());
        }
        if let Err(e) = server.verify(crypto, req.server_signed1.as_bytes(), &req.server_signature1) {
            return refuse(e.code());
        }
        if signed.euicc_challenge.as_slice() != self.challenge {
            return refuse(AuthenticateErrorCode::EuiccChallengeMismatch);
        }
        if !(1..=16).contains(&tid.len()) {
            return Err(Status::IncorrectData);
        }
        // v3 Device Change: ctxParamsForDeviceChange must name a profile that may move.
        let device_change_iccid = match device_change_iccid(req.ctx_params1.as_bytes(), ctx) {
            Ok(iccid) => iccid,
            Err(code) => return refuse(code),
        };
        let euicc_signed1 = EuiccSigned1 {
            transaction_id: tid.clone(),
            server_address: signed.server_address.clone(),
            server_challenge: signed.server_challenge,
            euicc_info2: es10b::get_euicc_info2(GetEuiccInfo2Request::default(), ctx),
            ctx_params1: req.ctx_params1.clone(),
        };
        let signed1 = rasn::der::encode(&euicc_signed1).map_err(|_| Status::Unknown)?;
        let signature = card.signer.sign(&signed1);
        let auth = Authenticated::new(
            tid.to_vec(),
            signed.server_address,
            server.ci_pkid().to_vec(),
            server,
            signature,
            self.owner,
        )
        .for_device_change(device_change_iccid);
        let resp = AuthenticateServerResponse(AuthenticateServerResult::Ok(AuthenticateResponseOk {
            euicc_signed1: Any::new(signed1),
            euicc_signature1: signature.to_vec().into(),
            euicc_certificate: Any::new(card.identity.euicc_cert().to_vec()),
            eum_certificate: Any::new(card.identity.eum_cert().to_vec()),
        }));
        Ok(Ok((auth, resp)))
    }
}

/// The ICCID of a v3 ctxParamsForDeviceChange (`A1`) in `ctx_params1`, `None` for any other
/// context (and on a v2.5 card, which reads no ctxParams1). The profile must be installed and
/// carry a deviceChangeConfiguration, else `invalidIccid(14)`; a ctxParamsForDeviceChange that
/// does not decode is `undefinedError(127)`.
fn device_change_iccid<P: Platform>(
    ctx_params1: &[u8],
    ctx: &Ctx<'_, P>,
) -> core::result::Result<Option<Vec<u8>>, AuthenticateErrorCode> {
    if !ctx.config.sgp22.is_v3() || ctx_params1.first() != Some(&0xA1) {
        return Ok(None);
    }
    let h = crate::asn1::tlv::header(ctx_params1, 3).map_err(|_| AuthenticateErrorCode::UndefinedError)?;
    let end = h.total().ok_or(AuthenticateErrorCode::UndefinedError)?;
    let content = ctx_params1.get(h.size()..end).ok_or(AuthenticateErrorCode::UndefinedError)?;
    let der = crate::asn1::tlv::tlv(&[0x30], content);
    let params: crate::asn1::dc::CtxParamsForDeviceChange =
        crate::asn1::ext::decode::<5, 0, _>(&der).map_err(|_| AuthenticateErrorCode::UndefinedError)?;
    let movable = ctx
        .state
        .profiles
        .iter()
        .any(|p| p.iccid.as_ref() == params.iccid.as_ref() && p.device_change_configuration.is_some());
    if !movable {
        return Err(AuthenticateErrorCode::InvalidIccid);
    }
    Ok(Some(params.iccid.to_vec()))
}
