//! The ISD-R's download session: common mutual authentication, key agreement and
//! the BPP install (SGP.22 v2.5 §3.1.3, §5.7.5–§5.7.7, §5.7.13–§5.7.14).
//!
//! ```text
//!  Idle ──GetEUICCChallenge──▶ Challenged ──AuthenticateServer ok──▶ Authenticated
//!    ▲                                                                     │ PrepareDownload ok
//!    │                     LoadBoundProfilePackage (BF36 + BF23 ok)        ▼
//!    └──── PIR (success or error) ◀── Loading ◀────────────────────── Prepared
//!  CancelSession (right transactionId), a new challenge, reset or closing the
//!  session's owner: back to Idle (nothing installed).
//!
//!  Idle ──BeginMirror ok (FF42, sd::isdr::mirror)──▶ Prepared   (a mirror session)
//! ```
//! A mirror session ([`Session::mirror`]) skips the server authentication: its `Prepared`
//! holds the one-time key pair BeginMirror made, the token id as transactionId, the primary's
//! PK.EUICC ([`PinnedEuicc`]) as the [`ChannelSigner`], and the instance to record
//! ([`MirrorPending`]); from there the BPP runs the standard path.
//! One file per state: [`challenged`], [`authenticated`], [`prepared`], [`loading`]. Each
//! state is a value; a step consumes it and returns the next [`Session`] with the answer
//! (rustls style), so a state is never taken out and put back by hand. What a state needs
//! from an earlier check it holds as a witness only the check can make: `Authenticated`
//! exists only after serverSignature1 verified, `Prepared` holds the [`ChannelSigner`]
//! (today the [`VerifiedCert`] of CERT.DPpb) that InitialiseSecureChannel must verify with.
//! The steps that sign take the card's [`Signing`] identity: a card without one cannot
//! leave `Challenged`.
//!
//! SGP.22 result codes travel inside `9000` responses; status words only say an
//! APDU itself was unusable (e.g. a part that is not DER at all).
//!
//! Every primitive goes through the platform's crypto provider (`Platform::crypto`).
//! Secrets: otSK.EUICC.ECKA is a [`SecretScalar`](crate::crypto::SecretScalar) (zeroized on
//! drop); session keys live in `scp03t` types (zeroized on drop); C-MACs compare in constant time.

mod authenticated;
mod challenged;
mod loading;
mod prepared;

use super::Ctx;
use crate::apdu::{Result, Status};
use crate::asn1::codes::CancelSessionError;
use crate::asn1::download::{
    AuthenticateServerRequest, AuthenticateServerResponse, CancelSessionRequest, CancelSessionResponse,
    CancelSessionResult, PrepareDownloadRequest, PrepareDownloadResponse,
};
use crate::crypto::CryptoProvider;
use crate::crypto::cert::VerifiedCert;
use crate::platform::Platform;
use crate::sd::isdp::BppCommand;
use alloc::boxed::Box;
use alloc::vec::Vec;

pub(crate) use authenticated::{Authenticated, one_time_key};
pub(crate) use challenged::Challenged;
pub(crate) use loading::{Loading, settle_interrupted};
pub(crate) use prepared::Prepared;

/// The party whose key signs InitialiseSecureChannel (`smdpSign`, SGP.22 v2.5 §5.5.1) and
/// whose OID the PIR names. PrepareDownload makes it: today an SM-DP+ whose CERT.DPpb chains
/// to the session's CI ([`VerifiedCert`]); a pinned peer eUICC (mirror packages) can be another.
pub(crate) trait ChannelSigner: core::fmt::Debug + Send + Sync {
    /// Whether `raw_signature` (`r ‖ s`) over `msg` verifies with the signer's key.
    fn verifies(&self, crypto: &dyn CryptoProvider, msg: &[u8], raw_signature: &[u8]) -> bool;
    /// The OID the PIR names (`smdpOid`), as OID content bytes.
    fn oid(&self) -> &[u8];
}

impl ChannelSigner for VerifiedCert {
    fn verifies(&self, crypto: &dyn CryptoProvider, msg: &[u8], raw_signature: &[u8]) -> bool {
        self.verify(crypto, msg, raw_signature).is_ok()
    }

    fn oid(&self) -> &[u8] {
        self.smdp_oid().unwrap_or_default()
    }
}

/// A peer eUICC's PK.EUICC, from a certificate chain BeginMirror verified: it signs the
/// InitialiseSecureChannel of a mirror package in place of SK.DPpb; the PIR names
/// [`MIRROR_SIGNER_OID`](crate::mirror::asn::MIRROR_SIGNER_OID).
#[derive(Debug)]
pub(crate) struct PinnedEuicc {
    pub(crate) key: crate::crypto::PublicKey,
}

impl ChannelSigner for PinnedEuicc {
    fn verifies(&self, crypto: &dyn CryptoProvider, msg: &[u8], raw_signature: &[u8]) -> bool {
        crypto.verify(&self.key, msg, raw_signature)
    }

    fn oid(&self) -> &[u8] {
        &crate::mirror::asn::MIRROR_SIGNER_OID
    }
}

/// What BeginMirror leaves for the install of the mirror package: the instance to record
/// with the profile (its `renew_by` is set at the install, from the package's policy), and
/// the ICCID the token names (the package's StoreMetadata must announce it).
#[derive(Debug, Clone)]
pub(crate) struct MirrorPending {
    pub(crate) iccid: [u8; 10],
    pub(crate) instance: crate::mirror::record::InstanceRecord,
}

/// The download session (volatile: reset, power loss or closing its owner ends it).
#[derive(Debug, Default)]
pub(crate) enum Session {
    /// No session.
    #[default]
    Idle,
    /// A challenge was issued.
    Challenged(Challenged),
    /// The server is authenticated.
    Authenticated(Box<Authenticated>),
    /// Keys are agreed on the card side; waiting for the BPP.
    Prepared(Box<Prepared>),
    /// The BPP is arriving.
    Loading(Box<Loading>),
}

impl Session {
    /// A new session with `challenge`, on `owner` (any earlier one is dropped by the caller).
    pub(crate) fn challenged(challenge: [u8; 16], owner: crate::app::Selection) -> Session {
        Session::Challenged(Challenged::new(challenge, owner))
    }

    /// A mirror session (BeginMirror, on the secondary): `Prepared` with the one-time key
    /// pair it made, waiting for the primary's mirror package through the ordinary
    /// LoadBoundProfilePackage; its InitialiseSecureChannel must verify with `primary`.
    pub(crate) fn mirror(
        transaction_id: [u8; 16],
        owner: crate::app::Selection,
        primary: PinnedEuicc,
        ot_sk: crate::crypto::SecretScalar,
        ot_pk: Vec<u8>,
        pending: MirrorPending,
    ) -> Session {
        let auth = Authenticated::mirror(transaction_id.to_vec(), owner);
        let prepared = Prepared::new(auth, Box::new(primary), ot_sk, ot_pk).with_mirror(pending);
        Session::Prepared(Box::new(prepared))
    }

    /// The BPP command under way, if a profile is loading.
    pub(crate) fn loading_command(&self) -> Option<BppCommand> {
        match self {
            Session::Loading(l) => Some(l.current_command()),
            _ => None,
        }
    }

    /// Whether a BPP is loading.
    pub(crate) fn is_loading(&self) -> bool {
        matches!(self, Session::Loading(_))
    }

    /// The selection the session runs in (its handle's byte).
    pub(crate) fn owner(&self) -> Option<crate::app::Selection> {
        match self {
            Session::Idle => None,
            Session::Challenged(c) => Some(c.owner()),
            Session::Authenticated(a) => Some(a.owner),
            Session::Prepared(p) => Some(p.auth.owner),
            Session::Loading(l) => Some(l.auth.owner),
        }
    }

    /// ES10b.AuthenticateServer — SGP.22 v2.5 §5.7.13: only from `Challenged`
    /// (see [`Challenged::authenticate_server`]); any other state is noSessionContext and ends.
    pub(crate) fn authenticate_server<P: Platform>(
        self,
        req: AuthenticateServerRequest,
        ctx: &mut Ctx<'_, P>,
    ) -> (Session, Result<AuthenticateServerResponse>) {
        let signed = match challenged::server_signed1(&req) {
            Ok(signed) => signed,
            Err(e) => return (self, Err(e)),
        };
        let Session::Challenged(challenged) = self else {
            return (Session::Idle, Ok(challenged::no_session(&signed.transaction_id)));
        };
        challenged.authenticate_server(req, signed, ctx)
    }

    /// ES10b.PrepareDownload — SGP.22 v2.5 §5.7.5: only from `Authenticated` (see
    /// [`Authenticated::prepare_download`]); any other state answers noSessionContext and stays.
    pub(crate) fn prepare_download<P: Platform>(
        self,
        req: PrepareDownloadRequest,
        ctx: &mut Ctx<'_, P>,
    ) -> (Session, Result<PrepareDownloadResponse>) {
        let signed = match authenticated::smdp_signed2(&req) {
            Ok(signed) => signed,
            Err(e) => return (self, Err(e)),
        };
        let Session::Authenticated(auth) = self else {
            return (self, Ok(authenticated::no_session(&signed.transaction_id)));
        };
        auth.prepare_download(req, signed, ctx)
    }

    /// ES10b.CancelSession — SGP.22 v2.5 §5.7.14.
    ///
    /// With the session's transactionId: a signed `EuiccCancelSessionSigned { tid,
    /// smdpOid (of CERT.DPauth), reason }` and the session ends. Otherwise (also
    /// after a finished load, which lpac cancels anyway) `invalidTransactionId(5)` and the
    /// session stays.
    pub(crate) fn cancel_session<P: Platform>(
        self,
        req: CancelSessionRequest,
        ctx: &mut Ctx<'_, P>,
    ) -> (Session, Result<CancelSessionResponse>) {
        let error = |code: CancelSessionError| Ok(CancelSessionResponse(CancelSessionResult::Error(code.into())));
        let auth = match &self {
            Session::Authenticated(a) => Some(&**a),
            Session::Prepared(p) => Some(&p.auth),
            Session::Loading(l) => Some(&l.auth),
            Session::Idle | Session::Challenged(_) => None,
        };
        let Some(auth) = auth.filter(|a| a.transaction_id() == req.transaction_id.as_ref()) else {
            return (self, error(CancelSessionError::InvalidTransactionId));
        };
        let Some(card) = ctx.signing() else { return (self, error(CancelSessionError::UndefinedError)) };
        let signed = match auth.cancel_signed(&req, card) {
            Ok(signed) => signed,
            Err(e) => return (self, Err(e)),
        };
        if let Session::Loading(_) = self {
            // An abandoned load, not an interrupted one: no PIR.
            if let Err(e) = loading::forget_install(ctx) {
                return (self, Err(e));
            }
        }
        (Session::Idle, Ok(CancelSessionResponse(CancelSessionResult::Ok(signed))))
    }

    /// ES10b.LoadBoundProfilePackage — SGP.22 v2.5 §5.7.6, one STORE DATA command of
    /// the BPP stream. Answers the response DER: empty while all is well, the signed
    /// `ProfileInstallationResult` (`BF37`) at the end or at the first error. Only in
    /// `Prepared` (the BF36 start) and `Loading`; elsewhere `6985` and the session stays.
    pub(crate) fn load_bpp<P: Platform>(self, payload: &[u8], ctx: &mut Ctx<'_, P>) -> (Session, Result<Vec<u8>>) {
        match self {
            Session::Prepared(prepared) => prepared.load(payload, ctx),
            Session::Loading(loading) => loading.feed(ctx, payload),
            other => (other, Err(Status::ConditionsNotSatisfied)),
        }
    }
}

fn now<P: Platform>(ctx: &mut Ctx<'_, P>) -> Option<crate::platform::UnixTime> {
    ctx.now().map(crate::platform::UnixTime)
}

fn raw_sig(bytes: &[u8]) -> Option<[u8; 64]> {
    <[u8; 64]>::try_from(bytes).ok()
}

/// `smdpOid` content bytes as a rasn OID (decoded from `06 ‖ L ‖ bytes`).
fn oid(content: &[u8]) -> Result<rasn::types::ObjectIdentifier> {
    rasn::der::decode(&crate::asn1::tlv::tlv(&[0x06], content)).map_err(|_| Status::Unknown)
}
