//! `Prepared`: keys are agreed on the card side; the BPP starts with its `BF36` header and
//! InitialiseSecureChannel (`BF23`, SGP.22 v2.5 §5.5.1 / `scp03t.md` §4).

use super::{Authenticated, ChannelSigner, Loading, Session, loading};
use crate::apdu::{Result, Status};
use crate::asn1::download::InitialiseSecureChannelRequest;
use crate::asn1::tlv::tlv;
use crate::crypto::SecretScalar;
use crate::platform::Platform;
use crate::scp03t::SessionKeys;
use crate::sd::isdp::{BppCommand, BppError, BppLoader, ErrorReason};
use crate::sd::isdr::Ctx;
use alloc::boxed::Box;
use alloc::vec::Vec;
use rasn::types::Integer;

/// Largest BF36 header + BF23 the card buffers before the secure owner is up.
const MAX_BPP_HEAD: usize = 1024;

/// What PrepareDownload added.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(super) auth: Authenticated,
    /// Who must have signed InitialiseSecureChannel (CERT.DPpb, checked in PrepareDownload).
    signer: Box<dyn ChannelSigner>,
    /// otSK.EUICC.ECKA.
    ot_sk: SecretScalar,
    /// otPK.EUICC.ECKA, `04 ‖ X ‖ Y`.
    ot_pk: Vec<u8>,
    /// BF36 header and BF23 bytes received so far.
    head: Vec<u8>,
    /// A mirror session's instance (BeginMirror), recorded with the profile at the install.
    mirror: Option<Box<super::MirrorPending>>,
}

/// Reads a BER header (tag, value length, header size); `None` until complete, or when it
/// is not one (more than 3 length octets, indefinite).
pub(super) fn header(b: &[u8]) -> Option<(u32, usize, usize)> {
    let h = crate::asn1::tlv::header(b, 3).ok()?;
    Some((h.tag.tag, h.len(), h.size()))
}

fn error(command: BppCommand, reason: ErrorReason) -> BppError {
    BppError { command, reason }
}

impl Prepared {
    pub(super) fn new(
        auth: Authenticated,
        signer: Box<dyn ChannelSigner>,
        ot_sk: SecretScalar,
        ot_pk: Vec<u8>,
    ) -> Prepared {
        Prepared { auth, signer, ot_sk, ot_pk, head: Vec::new(), mirror: None }
    }

    /// The session installs a mirror instance.
    pub(super) fn with_mirror(mut self, pending: super::MirrorPending) -> Prepared {
        self.mirror = Some(Box::new(pending));
        self
    }

    /// Takes BPP bytes until the `BF36` header and a complete `BF23` are in; then
    /// InitialiseSecureChannel: a refusal is the PIR (session over); success notes the load
    /// in the store (an interruption from here leaves a PIR) and the session is `Loading`.
    /// A start that is not `BF36` is `6A80` (session over).
    pub(super) fn load<P: Platform>(
        mut self: Box<Self>,
        payload: &[u8],
        ctx: &mut Ctx<'_, P>,
    ) -> (Session, Result<Vec<u8>>) {
        self.head.extend_from_slice(payload);
        let pir = self.auth.pir_session(self.signer.oid());
        if self.head.len() > MAX_BPP_HEAD {
            let e = error(BppCommand::InitialiseSecureChannel, ErrorReason::IncorrectInputValues);
            return (Session::Idle, loading::fail_install(ctx, &pir, e));
        }
        // BF36 header, then a complete BF23.
        let Some((0xBF36, bpp_len, bpp_hdr)) = header(&self.head) else {
            if self.head.first().is_some_and(|&b| b != 0xBF) || self.head.len() > 4 {
                return (Session::Idle, Err(Status::IncorrectData));
            }
            return (Session::Prepared(self), Ok(Vec::new()));
        };
        let rest = self.head.get(bpp_hdr..).unwrap_or_default();
        let Some((0xBF23, isc_len, isc_hdr)) = header(rest) else {
            return (Session::Prepared(self), Ok(Vec::new()));
        };
        let Some(isc) = rest.get(..isc_hdr + isc_len) else {
            return (Session::Prepared(self), Ok(Vec::new()));
        };
        let after = rest.get(isc_hdr + isc_len..).unwrap_or_default().to_vec();
        let remaining = bpp_len.checked_sub(isc_hdr + isc_len);
        let loader = match self.initialise_secure_channel(ctx, isc, remaining) {
            Ok(loader) => loader,
            Err(e) => return (Session::Idle, loading::fail_install(ctx, &pir, e)),
        };
        if let Err(e) = loading::note_install(ctx, &pir) {
            return (Session::Idle, Err(e));
        }
        Box::new(Loading::new(self.auth, pir.smdp_oid.to_vec(), loader, self.mirror)).feed(ctx, &after)
    }

    /// InitialiseSecureChannel (BF23) — SGP.22 v2.5 §5.5.1 / `scp03t.md` §4: `smdpSign`
    /// must verify with the session's [`ChannelSigner`].
    fn initialise_secure_channel<P: Platform>(
        &self,
        ctx: &mut Ctx<'_, P>,
        isc: &[u8],
        remaining: Option<usize>,
    ) -> core::result::Result<BppLoader, BppError> {
        let fail = |reason| error(BppCommand::InitialiseSecureChannel, reason);
        let remaining = remaining.ok_or(fail(ErrorReason::IncorrectInputValues))?;
        let req: InitialiseSecureChannelRequest =
            crate::asn1::ext::decode(isc).map_err(|_| fail(ErrorReason::IncorrectInputValues))?;
        if req.remote_op_id != Integer::from(1) {
            return Err(fail(ErrorReason::UnsupportedRemoteOperationType));
        }
        if req.transaction_id.as_ref() != self.auth.transaction_id() {
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
        msg.extend(tlv(&[0x5F, 0x49], &self.ot_pk));
        let crypto = ctx.platform.crypto();
        if !self.signer.verifies(crypto, &msg, &req.smdp_sign) {
            return Err(fail(ErrorReason::InvalidSignature));
        }
        let smdp_pk = crypto.public_key(&req.smdp_otpk).map_err(|_| fail(ErrorReason::IncorrectInputValues))?;
        let shared = crypto.ecdh(&self.ot_sk, &smdp_pk).map_err(|_| fail(ErrorReason::IncorrectInputValues))?;
        let keys = SessionKeys::derive(crypto, shared.expose(), 0x88, 0x10, &crt.host_id, ctx.config.eid.as_bytes())
            .map_err(|_| fail(ErrorReason::UnsupportedCrtValues))?;
        let used = u32::try_from(ctx.store.used_bytes()).unwrap_or(u32::MAX);
        let free = usize::try_from(ctx.config.nvm_bytes.saturating_sub(used)).unwrap_or(0);
        Ok(BppLoader::new(crypto, &keys, remaining, free).with_v3_metadata(ctx.config.sgp22.is_v3()))
    }
}
