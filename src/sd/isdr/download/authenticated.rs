//! `Authenticated`: the server passed AuthenticateServer; PrepareDownload may follow
//! (SGP.22 v2.5 §5.7.5), or CancelSession.

use super::{ChannelSigner, Prepared, Session, now, oid, raw_sig};
use crate::apdu::{Result, Status};
use crate::app::Signing;
use crate::asn1::codes::DownloadErrorCode;
use crate::asn1::download::{
    CancelSessionRequest, CancelSessionResponseOk, EuiccCancelSessionSigned, EuiccSigned2, PrepareDownloadRequest,
    PrepareDownloadResponse, PrepareDownloadResponseError, PrepareDownloadResponseOk, PrepareDownloadResult,
    SmdpSigned2,
};
use crate::asn1::tlv::tlv;
use crate::crypto::cert::{self, CertError, Role, VerifiedCert};
use crate::crypto::{CryptoProvider, SecretScalar};
use crate::platform::Platform;
use crate::sd::isdr::Ctx;
use crate::store::InstallRecord;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use rasn::types::{Any, OctetString};

/// What AuthenticateServer established (made only from the verified CERT.DPauth/DSauth).
#[derive(Debug)]
pub(crate) struct Authenticated {
    transaction_id: Vec<u8>,
    server_address: String,
    ci_pkid: Vec<u8>,
    /// SM-DP+ OID from CERT.DPauth (EuiccCancelSessionSigned.smdpOid).
    dp_auth_oid: Vec<u8>,
    euicc_signature1: [u8; 64],
    /// The verified serverCertificate (CERT.DPauth or CERT.DSauth): its key verifies an RPM
    /// package's smdpSignature3. `None` in a mirror session (no server).
    server: Option<VerifiedCert>,
    /// The selection the session runs in (its handle's byte).
    pub(super) owner: crate::app::Selection,
    /// v3 Device Change: the ICCID of ctxParamsForDeviceChange (a profile that may move).
    device_change_iccid: Option<Vec<u8>>,
}

/// `smdpSigned2` of the request, decoded (else `6A80`, the session unchanged).
pub(super) fn smdp_signed2(req: &PrepareDownloadRequest) -> Result<SmdpSigned2> {
    crate::asn1::ext::decode(req.smdp_signed2.as_bytes()).map_err(|_| Status::IncorrectData)
}

fn download_error(tid: &OctetString, code: DownloadErrorCode) -> PrepareDownloadResponse {
    PrepareDownloadResponse(PrepareDownloadResult::Error(PrepareDownloadResponseError {
        transaction_id: tid.clone(),
        download_error_code: code.into(),
    }))
}

/// The answer outside `Authenticated`: noSessionContext.
pub(super) fn no_session(tid: &OctetString) -> PrepareDownloadResponse {
    download_error(tid, DownloadErrorCode::NoSessionContext)
}

/// otSK/otPK.EUICC.ECKA (SGP.22 v2.5 §2.6.6): 32 random bytes until they are a valid
/// scalar (rejection sampling; a miss has probability 2^-32). A generator that fails 8
/// times running is broken: `None`.
pub(crate) fn one_time_key(
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

impl Authenticated {
    pub(super) fn new(
        transaction_id: Vec<u8>,
        server_address: String,
        ci_pkid: Vec<u8>,
        server: VerifiedCert,
        euicc_signature1: [u8; 64],
        owner: crate::app::Selection,
    ) -> Authenticated {
        let dp_auth_oid = server.smdp_oid().unwrap_or_default().to_vec();
        Authenticated {
            transaction_id,
            server_address,
            ci_pkid,
            dp_auth_oid,
            euicc_signature1,
            server: Some(server),
            owner,
            device_change_iccid: None,
        }
    }

    /// The session was opened for a Device Change of the profile `iccid`.
    pub(super) fn for_device_change(mut self, iccid: Option<Vec<u8>>) -> Authenticated {
        self.device_change_iccid = iccid;
        self
    }

    /// The ICCID of the profile a Device Change session moves (ctxParamsForDeviceChange).
    pub(crate) fn device_change_iccid(&self) -> Option<&[u8]> {
        self.device_change_iccid.as_deref()
    }

    /// The verified serverCertificate of AuthenticateServer (`None` in a mirror session).
    pub(crate) fn server(&self) -> Option<&VerifiedCert> {
        self.server.as_ref()
    }

    /// euiccSignature1 (`r ‖ s`), which the SM-DP+'s later signatures cover.
    pub(crate) fn euicc_signature1(&self) -> &[u8; 64] {
        &self.euicc_signature1
    }

    /// The SM-DP+ OID of CERT.DPauth (OID content bytes).
    pub(crate) fn dp_auth_oid(&self) -> &[u8] {
        &self.dp_auth_oid
    }

    /// The CI the session uses (its SubjectKeyIdentifier).
    pub(crate) fn ci_pkid(&self) -> &[u8] {
        &self.ci_pkid
    }

    /// The server address of serverSigned1.
    pub(crate) fn server_address(&self) -> &str {
        &self.server_address
    }

    /// The session of a mirror package (BeginMirror): its transactionId is the token id, the
    /// party that binds the package an eUICC ([`MIRROR_SIGNER_OID`]); there is no server
    /// (no address, no CI of a server certificate, no euiccSignature1).
    ///
    /// [`MIRROR_SIGNER_OID`]: crate::mirror::asn::MIRROR_SIGNER_OID
    pub(super) fn mirror(transaction_id: Vec<u8>, owner: crate::app::Selection) -> Authenticated {
        Authenticated {
            transaction_id,
            server_address: String::new(),
            ci_pkid: Vec::new(),
            dp_auth_oid: crate::mirror::asn::MIRROR_SIGNER_OID.to_vec(),
            euicc_signature1: [0; 64],
            server: None,
            owner,
            device_change_iccid: None,
        }
    }

    /// The session's transactionId.
    pub(crate) fn transaction_id(&self) -> &[u8] {
        &self.transaction_id
    }

    /// The session facts a PIR names, with the OID of the party that signed the BPP.
    pub(super) fn pir_session(&self, smdp_oid: &[u8]) -> InstallRecord {
        InstallRecord {
            transaction_id: self.transaction_id.clone().into(),
            server_address: self.server_address.clone(),
            smdp_oid: smdp_oid.to_vec().into(),
        }
    }

    /// `EuiccCancelSessionSigned { transactionId, smdpOid (of CERT.DPauth), reason }` and
    /// the card's signature over it.
    pub(super) fn cancel_signed(
        &self,
        req: &CancelSessionRequest,
        card: Signing<'_>,
    ) -> Result<CancelSessionResponseOk> {
        let signed = EuiccCancelSessionSigned {
            transaction_id: self.transaction_id.clone().into(),
            smdp_oid: oid(&self.dp_auth_oid)?,
            reason: req.reason.clone(),
        };
        let signed = rasn::der::encode(&signed).map_err(|_| Status::Unknown)?;
        let signature = card.signer.sign(&signed);
        Ok(CancelSessionResponseOk {
            euicc_cancel_session_signed: Any::new(signed),
            euicc_cancel_session_signature: signature.to_vec().into(),
        })
    }

    /// ES10b.PrepareDownload — SGP.22 v2.5 §5.7.5.
    ///
    /// Checks: the same transactionId (invalidTransactionId); a card identity
    /// (undefinedError); CERT.DPpb from the session's CI with the DPpb policy
    /// (invalidCertificate …); smdpSignature2 over `smdpSigned2 ‖ 5F37 40 ‖ euiccSignature1`
    /// (invalidSignature); a confirmation code hash when required (undefinedError). A refusal
    /// keeps the session `Authenticated`. Then makes otPK/otSK.EUICC.ECKA and signs
    /// `euiccSigned2 ‖ 5F37 40 ‖ smdpSignature2`: `Prepared`, with CERT.DPpb as the
    /// [`ChannelSigner`] of the BPP.
    pub(super) fn prepare_download<P: Platform>(
        self: Box<Self>,
        req: PrepareDownloadRequest,
        signed: SmdpSigned2,
        ctx: &mut Ctx<'_, P>,
    ) -> (Session, Result<PrepareDownloadResponse>) {
        let tid = signed.transaction_id.clone();
        let refuse = |auth: Box<Authenticated>, code: DownloadErrorCode| {
            (Session::Authenticated(auth), Ok(download_error(&tid, code)))
        };
        if tid.as_ref() != self.transaction_id.as_slice() {
            return refuse(self, DownloadErrorCode::InvalidTransactionId);
        }
        let Some(card) = ctx.signing() else { return refuse(self, DownloadErrorCode::UndefinedError) };
        let now = now(ctx);
        let crypto = ctx.platform.crypto();
        let dp_pb = match cert::verify_server_cert(
            crypto,
            req.smdp_certificate.as_bytes(),
            &[Role::DpPb],
            card.identity.cis(),
            Some(&self.ci_pkid),
            now,
            ctx.config.sgp22.is_v3(),
        ) {
            Ok(v) => v,
            Err(e) => return refuse(self, e.download_code()),
        };
        let mut msg = req.smdp_signed2.as_bytes().to_vec();
        msg.extend(tlv(&[0x5F, 0x37], &self.euicc_signature1));
        if let Err(e) = dp_pb.verify(crypto, &msg, &req.smdp_signature2) {
            return refuse(self, e.download_code());
        }
        if signed.cc_required_flag && req.hash_cc.as_ref().is_none_or(|h| h.len() != 32) {
            return refuse(self, DownloadErrorCode::UndefinedError);
        }
        let Some(smdp_signature2) = raw_sig(&req.smdp_signature2) else {
            return refuse(self, CertError::BadSignature.download_code());
        };
        let (_, rng, _) = ctx.platform.split();
        let Some((ot_sk, ot_pk)) = one_time_key(crypto, rng) else {
            return refuse(self, DownloadErrorCode::UndefinedError);
        };
        let ot_pk = ot_pk.as_bytes().to_vec();
        let euicc_signed2 =
            EuiccSigned2 { transaction_id: tid.clone(), euicc_otpk: ot_pk.clone().into(), hash_cc: req.hash_cc };
        let signed2 = match rasn::der::encode(&euicc_signed2) {
            Ok(der) => der,
            Err(_) => return (Session::Idle, Err(Status::Unknown)),
        };
        let mut msg = signed2.clone();
        msg.extend(tlv(&[0x5F, 0x37], &smdp_signature2));
        let signature = card.signer.sign(&msg);
        let signer: Box<dyn ChannelSigner> = Box::new(dp_pb);
        let prepared = Prepared::new(*self, signer, ot_sk, ot_pk);
        let resp = PrepareDownloadResponse(PrepareDownloadResult::Ok(PrepareDownloadResponseOk {
            euicc_signed2: Any::new(signed2),
            euicc_signature2: signature.to_vec().into(),
        }));
        (Session::Prepared(Box::new(prepared)), Ok(resp))
    }
}
