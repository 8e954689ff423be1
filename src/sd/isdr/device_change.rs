//! ES10b.PrepareDeviceChange and ES10b.VerifyDeviceChange: SGP.22 v3 Device Change on the old
//! card (`#SupportedForDcV3.0.0#`).
//!
//! ```text
//! GetEUICCChallenge → AuthenticateServer (ctxParamsForDeviceChange: the ICCID; CERT.DPauth)
//!   → PrepareDeviceChange (BF4D { smdpSigned4, smdpSignature4, hashCc? })
//!       no Device Change session of an SM-DP+    → noSession(4), the session stays
//!       transactionId ≠ the session's            → invalidTransactionId(5)
//!       smdpSignature4 does not verify           → invalidSignature(2)
//!       the profile is gone, or ccRequiredFlag without hashCc → undefinedError(127)
//!       else euiccSigned3 signed                 → the change is prepared
//!   → VerifyDeviceChange (BF4B { deviceChangeConfirmation { smdpSigned5, smdpSignature5 } })
//!       nothing prepared                         → noSession(4)
//!       smdpSigned5 does not decode, or its DeviceChangeData names another ICCID → invalidData(7)
//!       transactionId ≠ the prepared one         → invalidTransactionId(5)
//!       smdpSignature5 does not verify           → invalidSignature(2)
//!       encryptedDeviceChangeData                → unsupportedCrtValues(6)
//!       deleteOldProfile and the profile enabled → profileNotInDisabledState(8), still prepared
//!       else verifyDeviceChangeData (or verifyDeviceChangeNull without data); with
//!       deleteOldProfile the profile is deleted with its Delete Notification for Device Change
//! ```
//!
//! The card's reading of the v3.0 text (only the ASN.1 is at hand; each point is a choice):
//! * **Signatures** chain as in the download: smdpSignature4 covers
//!   `smdpSigned4 ‖ 5F37 40 ‖ euiccSignature1` (PK of the session's CERT.DPauth, as smdpSignature2),
//!   euiccSignature3 covers `euiccSigned3 ‖ 5F37 40 ‖ smdpSignature4` (as euiccSignature2), and
//!   smdpSignature5 covers `smdpSigned5 ‖ 5F37 40 ‖ euiccSignature3`. A replayed smdpSigned4/5
//!   names an old transaction or carries a signature over another session's euiccSignature.
//! * **Encryption.** The v3.0 text names EncryptedDeviceChangeData (a CRT, otPK.DP.KA, `87`
//!   segments) but not how its keys are derived; the card makes no otPK.EUICC.KA (euiccOtpk is
//!   absent from euiccSigned3, EUICCInfo2 does not claim encryptedDeviceChangeDataSupport) and
//!   answers encrypted data `unsupportedCrtValues(6)`.
//! * **Deletion.** With deleteOldProfile the profile is deleted through ES10c's `delete_in` (its
//!   checks: disabled, not PPR2 — refused `undefinedError`), one commit with the notification
//!   (notificationLocalDelete, to the data's notificationAddress, else the session's server).
//!   The LPA presents it to the SM-DP+ for the new device as `DeleteNotificationForDc`.
//! * **Profile Recovery** (profileRecoveryResponse) is not run: `undefinedError(127)`.

use super::Ctx;
use super::download::{Authenticated, Session};
use super::es10c::{self, Busy, Cause};
use crate::apdu::{Result, Status};
use crate::asn1::codes::{DeleteProfileResult, DownloadErrorCode, VerifyDeviceChangeError};
use crate::asn1::dc::{
    DeviceChangeResponse, EuiccSigned3, PrepareDeviceChangeRequest, PrepareDeviceChangeResponse,
    PrepareDeviceChangeResponseError, PrepareDeviceChangeResponseOk, PrepareDeviceChangeResult, SmdpSigned4,
    SmdpSigned5, VerifyDeviceChangeChoice, VerifyDeviceChangeOk, VerifyDeviceChangeRequest, VerifyDeviceChangeResponse,
    VerifyDeviceChangeResult,
};
use crate::asn1::rsp::ProfileIdentifier;
use crate::asn1::tlv::tlv;
use crate::crypto::cert::Role;
use crate::platform::Platform;
use crate::store::Edit;
use alloc::boxed::Box;
use alloc::vec::Vec;
use rasn::types::Any;

/// A prepared Device Change: the session it ran in and what VerifyDeviceChange checks.
#[derive(Debug)]
pub(crate) struct Prepared {
    auth: Box<Authenticated>,
    iccid: Vec<u8>,
    euicc_signature3: [u8; 64],
}

/// ES10b.PrepareDeviceChange — see the module documentation. `session` is consumed; the next
/// session and, on success, the prepared change are returned with the answer.
pub(super) fn prepare_device_change<P: Platform>(
    session: Session,
    req: PrepareDeviceChangeRequest,
    ctx: &mut Ctx<'_, P>,
) -> (Session, Option<Prepared>, Result<PrepareDeviceChangeResponse>) {
    let Ok(signed) = crate::asn1::ext::decode::<3, 0, SmdpSigned4>(req.smdp_signed4.as_bytes()) else {
        return (session, None, Err(Status::IncorrectData));
    };
    let error = |code: DownloadErrorCode| {
        Ok(PrepareDeviceChangeResponse(PrepareDeviceChangeResult::Error(PrepareDeviceChangeResponseError {
            transaction_id: signed.transaction_id.clone(),
            download_error_code: code.into(),
        })))
    };
    let auth = match session {
        Session::Authenticated(auth)
            if auth.server().is_some_and(|s| s.role() == Role::DpAuth) && auth.device_change_iccid().is_some() =>
        {
            auth
        }
        other => return (other, None, error(DownloadErrorCode::NoSessionContext)),
    };
    let Some(card) = ctx.signing() else { return (Session::Idle, None, error(DownloadErrorCode::UndefinedError)) };
    if signed.transaction_id.as_ref() != auth.transaction_id() {
        return (Session::Idle, None, error(DownloadErrorCode::InvalidTransactionId));
    }
    let mut msg = req.smdp_signed4.as_bytes().to_vec();
    msg.extend(tlv(&[0x5F, 0x37], auth.euicc_signature1()));
    if auth.server().is_none_or(|s| s.verify(ctx.platform.crypto(), &msg, &req.smdp_signature4).is_err()) {
        return (Session::Idle, None, error(DownloadErrorCode::InvalidSignature));
    }
    let iccid = auth.device_change_iccid().unwrap_or_default().to_vec();
    let present = ctx.state.profiles.iter().any(|p| p.iccid.as_ref() == iccid.as_slice());
    if !present || (signed.cc_required_flag && req.hash_cc.is_none()) {
        return (Session::Idle, None, error(DownloadErrorCode::UndefinedError));
    }
    let signed3 = EuiccSigned3 {
        transaction_id: signed.transaction_id.clone(),
        euicc_otpk: None,
        hash_cc: req.hash_cc.clone(),
        additional_information: None,
    };
    let Ok(signed3) = rasn::der::encode(&signed3) else { return (Session::Idle, None, Err(Status::Unknown)) };
    let mut msg = signed3.clone();
    msg.extend(tlv(&[0x5F, 0x37], &req.smdp_signature4));
    let signature = card.signer.sign(&msg);
    let answer = PrepareDeviceChangeResponse(PrepareDeviceChangeResult::Ok(PrepareDeviceChangeResponseOk {
        euicc_signed3: Any::new(signed3),
        euicc_signature3: signature.to_vec().into(),
    }));
    (Session::Idle, Some(Prepared { auth, iccid, euicc_signature3: signature }), Ok(answer))
}

/// ES10b.VerifyDeviceChange — see the module documentation. `prepared` is consumed; it is
/// returned when the change stays prepared (the profile still enabled, storage failed).
pub(super) fn verify_device_change<P: Platform>(
    prepared: Option<Prepared>,
    req: VerifyDeviceChangeRequest,
    ctx: &mut Ctx<'_, P>,
    busy: Busy,
) -> (Option<Prepared>, Result<VerifyDeviceChangeResponse>) {
    let error =
        |code: VerifyDeviceChangeError| Ok(VerifyDeviceChangeResponse(VerifyDeviceChangeResult::Error(code.into())));
    let Some(prepared) = prepared else { return (None, error(VerifyDeviceChangeError::NoSession)) };
    let confirmation = match req.0 {
        VerifyDeviceChangeChoice::DeviceChangeConfirmation(c) => c,
        VerifyDeviceChangeChoice::ProfileRecoveryResponse(_) => {
            return (None, error(VerifyDeviceChangeError::UndefinedError));
        }
    };
    let Ok(signed) = crate::asn1::ext::decode::<2, 0, SmdpSigned5>(confirmation.smdp_signed5.as_bytes()) else {
        return (None, error(VerifyDeviceChangeError::InvalidData));
    };
    if signed.transaction_id.as_ref() != prepared.auth.transaction_id() {
        return (None, error(VerifyDeviceChangeError::InvalidTransactionId));
    }
    let mut msg = confirmation.smdp_signed5.as_bytes().to_vec();
    msg.extend(tlv(&[0x5F, 0x37], &prepared.euicc_signature3));
    if prepared
        .auth
        .server()
        .is_none_or(|s| s.verify(ctx.platform.crypto(), &msg, &confirmation.smdp_signature5).is_err())
    {
        return (None, error(VerifyDeviceChangeError::InvalidSignature));
    }
    let data = match signed.device_change_response {
        None => {
            return (
                None,
                Ok(VerifyDeviceChangeResponse(VerifyDeviceChangeResult::Ok(VerifyDeviceChangeOk::Null(())))),
            );
        }
        Some(DeviceChangeResponse::EncryptedDeviceChangeData(_)) => {
            return (None, error(VerifyDeviceChangeError::UnsupportedCrtValues));
        }
        Some(DeviceChangeResponse::DeviceChangeData(data)) => data,
    };
    if data.iccid.as_ref() != prepared.iccid.as_slice() {
        return (None, error(VerifyDeviceChangeError::InvalidData));
    }
    let ok = Ok(VerifyDeviceChangeResponse(VerifyDeviceChangeResult::Ok(VerifyDeviceChangeOk::Data(data.clone()))));
    if data.delete_old_profile.is_none() {
        return (None, ok);
    }
    let address = data.notification_address.as_deref().unwrap_or(prepared.auth.server_address());
    let mut edit = Edit::new(&mut *ctx.state);
    let deleted = match es10c::delete_in(
        &mut edit,
        &ProfileIdentifier::Iccid(prepared.iccid.clone().into()),
        busy,
        Cause::DeviceChange(address),
    ) {
        Ok(resp) => resp.delete_result,
        Err(e) => return (Some(prepared), Err(e)),
    };
    if deleted == DeleteProfileResult::ProfileNotInDisabledState.into() {
        return (Some(prepared), error(VerifyDeviceChangeError::ProfileNotInDisabledState));
    }
    if deleted != DeleteProfileResult::Ok.into() {
        return (None, error(VerifyDeviceChangeError::UndefinedError));
    }
    match super::commit_edit(ctx.store, ctx.platform, edit) {
        Ok(_) => (None, ok),
        // Storage failed: nothing changed; the change stays prepared for a retry.
        Err(e) => (Some(prepared), Err(e)),
    }
}
