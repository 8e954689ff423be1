//! `Loading`: the BPP streams into the ISD-P loader; the install commit and the signed
//! `ProfileInstallationResult` (SGP.22 v2.5 §5.7.6, §3.1.3).

use super::{Authenticated, Session, oid};
use crate::apdu::{Result, Status};
use crate::asn1::download::{
    ErrorResult, FinalResult, NotificationMetadata, ProfileInstallationResult, ProfileInstallationResultData,
    StoreMetadataRequest, SuccessResult,
};
use crate::mirror::record::{InstanceRecord, MirrorKind, MirrorRecord};
use crate::platform::Platform;
use crate::sd::isdp::{BppCommand, BppError, BppLoader, ErrorReason, LoadedProfile, Progress};
use crate::sd::isdr::{Ctx, commit_edit, es10b};
use crate::store::{Edit, InstallRecord, NotificationEvent, NotificationRecord, ProfileRecord};
use alloc::boxed::Box;
use alloc::vec::Vec;
use rasn::types::{Any, OctetString};

/// A BPP being loaded.
#[derive(Debug)]
pub(crate) struct Loading {
    pub(super) auth: Authenticated,
    /// The OID of the party that signed InitialiseSecureChannel (the PIR's smdpOid).
    smdp_oid: Vec<u8>,
    loader: BppLoader,
    /// The ISD-P record, made when StoreMetadata passed its checks. Profiles cannot change
    /// while a BPP loads (lifecycle commands answer catBusy/undefinedError), so it holds at
    /// the install.
    record: Option<ProfileRecord>,
    /// A mirror session's instance (BeginMirror): recorded with the profile.
    mirror: Option<Box<super::MirrorPending>>,
}

fn error(command: BppCommand, reason: ErrorReason) -> BppError {
    BppError { command, reason }
}

/// Notes in the store that a load is under way: from here an interruption must leave a PIR.
pub(super) fn note_install<P: Platform>(ctx: &mut Ctx<'_, P>, pir: &InstallRecord) -> Result<()> {
    let mut edit = Edit::new(ctx.state);
    edit.set_install(Some(pir.clone()));
    commit_edit(ctx.store, ctx.platform, edit).map(|_| ())
}

/// Forgets the note of a load under way (an abandoned load, CancelSession: no PIR).
pub(super) fn forget_install<P: Platform>(ctx: &mut Ctx<'_, P>) -> Result<()> {
    if ctx.state.install.is_none() {
        return Ok(());
    }
    let mut edit = Edit::new(ctx.state);
    edit.set_install(None);
    commit_edit(ctx.store, ctx.platform, edit).map(|_| ())
}

impl Loading {
    pub(super) fn new(
        auth: Authenticated,
        smdp_oid: Vec<u8>,
        loader: BppLoader,
        mirror: Option<Box<super::MirrorPending>>,
    ) -> Loading {
        Loading { auth, smdp_oid, loader, record: None, mirror }
    }

    /// The BPP command under way (for an interruption's PIR).
    pub(super) fn current_command(&self) -> BppCommand {
        self.loader.current_command()
    }

    /// What its PIR names (also the store's note that a load is under way).
    fn pir(&self) -> InstallRecord {
        self.auth.pir_session(&self.smdp_oid)
    }

    /// The next bytes of the BPP: `Loading` while more is to come, else the PIR (the
    /// install committed, or the error) and the session is over.
    pub(super) fn feed<P: Platform>(
        mut self: Box<Self>,
        ctx: &mut Ctx<'_, P>,
        bytes: &[u8],
    ) -> (Session, Result<Vec<u8>>) {
        let mut progress = self.loader.feed(bytes);
        while let Ok(Progress::Metadata) = progress {
            // StoreMetadata is checked as soon as it is complete (SGP.22 v2.5 §5.5.3): a
            // profile the card refuses costs no profile-element decryption.
            let record = match (self.loader.configure(), self.loader.metadata()) {
                (Some(configure), Some(md)) => {
                    crate::sd::isdr::metadata::profile_record(ctx.config, ctx.state, configure, md)
                }
                _ => Err(error(BppCommand::StoreMetadata, ErrorReason::Scp03tStructureError)),
            }
            .and_then(|record| match &self.mirror {
                Some(m) => mirror_metadata(m, record),
                None => Ok(record),
            });
            progress = record.and_then(|record| {
                self.record = Some(record);
                self.loader.feed(&[])
            });
        }
        match progress {
            Ok(Progress::NeedMore | Progress::Metadata) => (Session::Loading(self), Ok(Vec::new())),
            Ok(Progress::Complete(profile)) => (Session::Idle, self.install(ctx, *profile)),
            Err(e) => (Session::Idle, fail_install(ctx, &self.pir(), e)),
        }
    }

    /// Creates the ISD-P: checks the profile package, then commits the profile record (made
    /// at StoreMetadata), its package and the install notification (with the PIR) together.
    fn install<P: Platform>(self, ctx: &mut Ctx<'_, P>, profile: LoadedProfile) -> Result<Vec<u8>> {
        let pir_facts = self.pir();
        let Some(record) = self.record else {
            let e = error(BppCommand::StoreMetadata, ErrorReason::Scp03tStructureError);
            return fail_install(ctx, &pir_facts, e);
        };
        if let Err(reason) = check_package(&profile.upp, &profile.metadata, record.class) {
            let e = error(BppCommand::LoadProfileElements, reason);
            return fail_install(ctx, &pir_facts, e);
        }
        let instance = self.mirror.as_ref().map(|m| mirror_instance(ctx, m, &record));
        let aid = record.isdp_aid.clone();
        let seq = Edit::peek_seq(ctx.state);
        let final_result = FinalResult::Success(SuccessResult { aid, sima_response: OctetString::from_static(&[]) });
        let pir = signed_pir(ctx, &pir_facts, seq, Some(&record.iccid), final_result)?;
        // A mirror install's PIR goes back to the primary (ConfirmMirror). Its install
        // notification goes to the operator, at the source profile's notification address
        // (copied into the mirror package), or nowhere when the operator asked for none — as
        // an OtherSignedNotification (no PIR kept): the operator had no session with this
        // card, so only a notification that carries the card's certificates can be checked.
        let (address, kept) = match &self.mirror {
            Some(_) => (record.mirror_notification_address().map(Into::into), None),
            None => (Some(pir_facts.server_address), Some(pir.clone().into())),
        };
        let mut edit = Edit::new(ctx.state);
        let next = edit.next_seq();
        debug_assert_eq!(next, seq, "the PIR signs the number the notification gets");
        if let Some(address) = address {
            edit.push_notification(NotificationRecord {
                seq,
                event: NotificationEvent::Install,
                address,
                iccid: Some(record.iccid.clone()),
                pir: kept,
            });
        }
        let slot = record.slot();
        edit.add_profile(record, profile.upp);
        if let Some(instance) = instance {
            let rec = MirrorRecord { next_sequence: 0, entries: Vec::new(), instance: Some(instance) };
            edit.put::<MirrorKind>(&crate::mirror::record::key(slot), &rec).map_err(|_| Status::Unknown)?;
        }
        edit.set_install(None);
        commit_edit(ctx.store, ctx.platform, edit)?;
        Ok(pir)
    }
}

/// A mirror package's StoreMetadata must announce the token's ICCID (else
/// installFailedDueToDataMismatch(13)) and carry a well-formed mirror policy — its
/// reauthInterval sets the instance's renew-by (else incorrectInputValues).
fn mirror_metadata(m: &super::MirrorPending, record: ProfileRecord) -> core::result::Result<ProfileRecord, BppError> {
    if record.iccid.as_ref() != m.iccid.as_slice() {
        return Err(error(BppCommand::StoreMetadata, ErrorReason::DataMismatch));
    }
    if crate::sd::isdr::mirror::policy(&record).is_none() {
        return Err(error(BppCommand::StoreMetadata, ErrorReason::IncorrectInputValues));
    }
    Ok(record)
}

/// The instance a mirror install records: renew-by is now (the card clock; without one, the
/// time BeginMirror checked the token at) + the policy's reauthInterval.
fn mirror_instance<P: Platform>(
    ctx: &mut Ctx<'_, P>,
    m: &super::MirrorPending,
    record: &ProfileRecord,
) -> InstanceRecord {
    let now = ctx.now().unwrap_or(m.instance.renew_by);
    let interval = crate::sd::isdr::mirror::policy(record).map_or(0, |p| p.reauth_interval);
    let mut instance = m.instance.clone();
    instance.renew_by = now.saturating_add(u64::from(interval));
    instance
}

/// The profile package must be a well-formed SAIP package (TCA eUICC Profile Package:
/// header first, `end` last, `mf` before the file system, decodable header and AKA
/// parameters, no mandatory service the card does not know, and the whole package decoding
/// into a file system: `saip::decode_for`) →
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
    // The whole package must decode into the file system the SIM runs (inner DER, templates,
    // NAAs with their file systems, fills, PINs, AKA keys): never install a profile that
    // could not be latched. Services are judged above, as the header declares them.
    crate::saip::decode_for(upp, crate::saip::Services(u32::MAX)).map_err(|_| ErrorReason::PeProcessingError)?;
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

/// A load that was under way when the card lost power, was reset, or its owner closed
/// (the store still holds its [`InstallRecord`] while no load runs): its signed PIR with
/// `installFailedDueToInterruption(11)` becomes a notification, at the first ES10 command
/// after (SGP.22 v2.5 §3.1.3; `spec/sgp22.md` §6). `command` is the BPP command that was
/// running if the card knows it (a reset or power loss forgets it: then ConfigureISDP,
/// the first command after InitialiseSecureChannel). A card without an identity cannot sign
/// it: the note is dropped.
pub(crate) fn settle_interrupted<P: Platform>(ctx: &mut Ctx<'_, P>, command: Option<BppCommand>) -> Result<()> {
    let Some(install) = ctx.state.install.clone() else { return Ok(()) };
    let e = error(command.unwrap_or(BppCommand::ConfigureIsdp), ErrorReason::Interruption);
    if ctx.signing().is_none() {
        let mut edit = Edit::new(ctx.state);
        edit.set_install(None);
        return commit_edit(ctx.store, ctx.platform, edit).map(|_| ());
    }
    fail_install(ctx, &install, e).map(|_| ())
}

/// The load failed: the signed PIR with `errorResult`, kept as a notification
/// (SGP.22 v2.5 §3.1.3: the PIR is delivered whether the install worked or not).
pub(super) fn fail_install<P: Platform>(ctx: &mut Ctx<'_, P>, session: &InstallRecord, e: BppError) -> Result<Vec<u8>> {
    let seq = Edit::peek_seq(ctx.state);
    let result = FinalResult::Error(ErrorResult {
        bpp_command_id: e.command.into(),
        error_reason: e.reason.into(),
        sima_response: None,
    });
    let pir = signed_pir(ctx, session, seq, None, result)?;
    let mut edit = Edit::new(ctx.state);
    let next = edit.next_seq();
    debug_assert_eq!(next, seq, "the PIR signs the number the notification gets");
    edit.push_notification(NotificationRecord {
        seq,
        event: NotificationEvent::Install,
        address: session.server_address.clone(),
        iccid: None,
        pir: Some(pir.clone().into()),
    });
    edit.set_install(None);
    commit_edit(ctx.store, ctx.platform, edit)?;
    Ok(pir)
}

/// `ProfileInstallationResult` (`BF37`): the `ProfileInstallationResultData` (`BF27`) and
/// the eUICC's signature over it.
fn signed_pir<P: Platform>(
    ctx: &mut Ctx<'_, P>,
    session: &InstallRecord,
    seq: u64,
    iccid: Option<&OctetString>,
    final_result: FinalResult,
) -> Result<Vec<u8>> {
    let card = ctx.signing().ok_or(Status::ConditionsNotSatisfied)?;
    let data = ProfileInstallationResultData {
        transaction_id: session.transaction_id.clone(),
        notification_metadata: NotificationMetadata {
            seq_number: seq.into(),
            profile_management_operation: es10b::named_bits(&[NotificationEvent::Install.bit()]),
            notification_address: session.server_address.clone(),
            iccid: iccid.cloned(),
        },
        smdp_oid: oid(&session.smdp_oid)?,
        final_result,
    };
    let data = rasn::der::encode(&data).map_err(|_| Status::Unknown)?;
    let signature = card.signer.sign(&data);
    let pir = ProfileInstallationResult {
        profile_installation_result_data: Any::new(data),
        euicc_sign_pir: signature.to_vec().into(),
    };
    rasn::der::encode(&pir).map_err(|_| Status::Unknown)
}
