//! The mirror functions of the ISD-R (`FF40` … `FF4D`, the module `VeuiccMirror`,
//! `src/mirror/Mirror.asn`): STORE DATA commands like ES10's, answered here.
//!
//! Answered here: IssueMirrorToken (`FF40`), RedeemMirrorCode (`FF41`), the pairing —
//! BeginMirror (`FF42`, secondary), ExportMirror (`FF43`, primary), ConfirmMirror (`FF44`,
//! primary) —, the link's life — RevokeMirror (`FF45`), RenewMirror (`FF47`), SuspendMirror
//! (`FF49`) and ResumeMirror (`FF4A`) on the primary, each signing a `MirrorLinkUpdate` that
//! the secondary applies with ApplyMirrorRevocation (`FF46`), ApplyMirrorRenewal (`FF48`) or
//! ApplyMirrorSuspension (`FF4B`) —, ListMirrorLinks (`FF4C`) and GetMirrorInfo (`FF4D`). A
//! malformed request, or one not in DER (its re-encoding differs), is `6A80`; `FF4E`/`FF4F`
//! answer `6A88`. Mirror support is always on: the tags are private-class, so they never
//! collide with a GSMA tag, and standard ES10 commands never reach this file.
//!
//! A mirror instance is usable while it is active and not past its renew-by
//! ([`crate::mirror::record::Gate`], card clock): otherwise EnableProfile answers
//! disallowedByPolicy (ES10c and RPM) and the SIM's AUTHENTICATE `6985`.
//!
//! The pairing: Begin leaves a mirror session in the download state machine — `Prepared`
//! (`download::Session::mirror`), the token id as transactionId, the primary's PK.EUICC as the
//! [`ChannelSigner`](super::download::ChannelSigner) of InitialiseSecureChannel, the instance to
//! record ([`MirrorPending`]). Export builds the mirror package with `sd::bpp`, the builder the
//! test SM-DP+ uses. The package then goes through the ordinary LoadBoundProfilePackage path;
//! its install records the instance with the profile, and the PIR is the standard signed one
//! (smdpOid `id-rspRole-euicc`, `MIRROR_SIGNER_OID`), which Confirm checks.
//!
//! Every state change is one commit of the profile's record `mirror.p<slot>`
//! ([`crate::mirror::record`]). Time is the card clock's (`Platform::Clock`): without one no
//! token is issued or checked (`clockNotSet`).
//!
//! | function | refusals, in the order checked |
//! |---|---|
//! | IssueMirrorToken | no signing identity → undefinedError; ICCID not on the card → unknownProfile; no policy, or `maxInstances` limited 0 → profileNotMirrorable; mode transfer not allowed by the policy (or on a v3 card, which transfers by Device Change) → transferNotAllowed, another mode → incorrectInputValues; services empty or past bit 7 → incorrectInputValues, not ⊆ the policy's → servicesExceeded; validity 0 → incorrectInputValues, > the policy's maxTokenValidity or > 24 h → validityExceeded; device class > other(5) or priority > high(2) → incorrectInputValues; no clock → clockNotSet; outstanding tokens + live links ≥ maxInstances, or the record already holds `MAX_ENTRIES` (32) tokens and links → instancesExceeded |
//! | RedeemMirrorCode | not eight digits → incorrectInputValues; ICCID not on the card → unknownProfile; no clock → clockNotSet; the code names a voided token → codeAttemptsExhausted, a revoked one → unknownToken, an exported one → tokenAlreadyRedeemed, an expired / not yet valid one → tokenExpired / tokenNotYetValid; no token has the code: no outstanding token → unknownToken, else one wrong attempt against each outstanding token in scope, the fifth voids it → codeAttemptsExhausted, else wrongCode |
//! | RevokeMirror | no token or link → unknownLink (also an already revoked or voided one); an outstanding token is voided (`tokenVoided`); a link gets a signed revocation (no signing identity → undefinedError, no clock → clockNotSet) |
//! | RenewMirror | no active or suspended link (a token, a pending link) → unknownLink; the profile lost its policy → profileNotMirrorable; no signing identity → undefinedError; no clock → clockNotSet |
//! | SuspendMirror, ResumeMirror | a link named but not active or suspended → unknownLink; no signing identity → undefinedError; no clock → clockNotSet; none named and no profile with suspendWhileRoaming has links → an empty list |
//! | ApplyMirrorRevocation, …Renewal, …Suspension | no mirror instance with the ICCID, token id and source EID → unknownLink; the signature fails under the pinned primary certificate → notFromPinnedPrimary; secondaryEid not this card's → wrongTargetEid; another action (a renewal without renewBy) → incorrectInputValues; a sequence number already passed → replayedMessage |
//! | BeginMirror | no signing identity → undefinedError; no clock → clockNotSet; CERT.EUM / CERT.EUICC not chaining to a trusted CI (or not valid now) → untrustedChain; the certificate's EID is not the token's sourceEid, or the signature fails → badSignature; mode transfer → transferNotAllowed; services empty, class or priority out of range → incorrectInputValues; before notBefore → tokenNotYetValid, after notAfter → tokenExpired; targetEid not this card's → wrongTargetEid; the ICCID on the card → iccidAlreadyPresent; profile capacity reached → noFreeSlot |
//! | ExportMirror | no signing identity → undefinedError; no clock → clockNotSet; the secondary's chain → untrustedChain; its certificate's EID not secondaryEid, or the signature fails → badSignature; no token with the id, or tokenHash not the hash of the token issued under it → unknownToken; token voided → codeAttemptsExhausted, revoked → unknownToken, exported → tokenAlreadyRedeemed; window → tokenNotYetValid / tokenExpired; targetEid not secondaryEid → wrongTargetEid; the profile lost its policy → profileNotMirrorable; the other live tokens and links reach maxInstances → instancesExceeded; otPK not a point → incorrectInputValues |
//! | ConfirmMirror | not a PIR → incorrectInputValues; no link with the transactionId → unknownLink (an active one → tokenAlreadyRedeemed); the signature under the secondary's certificate kept at export fails → badSignature; not the mirror signer's OID, not a success, or another ICCID → incorrectInputValues (the link stays pending); no clock → clockNotSet |
//! | ListMirrorLinks, GetMirrorInfo | ICCID not on the card → unknownProfile |
//!
//! The numeric code: eight uniform decimal digits from the card RNG, unique among the card's
//! codes, compared in constant time against every candidate (no early exit), wiped from the
//! handler's memory when done.

use super::Ctx;
use super::download::{MirrorPending, PinnedEuicc, Session, one_time_key};
use crate::apdu::{Result, Status};
use crate::app::{Selection, Signing};
use crate::crypto::cert::{self, VerifiedEuicc};
use crate::mirror::asn::{
    ApplyMirrorRenewalRequest, ApplyMirrorRenewalResponse, ApplyMirrorRevocationRequest, ApplyMirrorRevocationResponse,
    ApplyMirrorSuspensionRequest, ApplyMirrorSuspensionResponse, RenewMirrorRequest, RenewMirrorResponse,
    RenewMirrorResult, ResumeMirrorResponse, ResumeMirrorResult, SuspendMirrorResponse, SuspendMirrorResult,
};
use crate::mirror::asn::{
    BeginMirrorRequest, BeginMirrorResponse, BeginMirrorResult, ConfirmMirrorRequest, ConfirmMirrorResponse,
    ConfirmMirrorResult, ExportMirrorRequest, ExportMirrorResponse, ExportMirrorResult, MirrorRequest,
    SignedMirrorRequest,
};
use crate::mirror::asn::{
    GetMirrorInfoRequest, GetMirrorInfoResponse, GetMirrorInfoResult, IssueMirrorTokenRequest,
    IssueMirrorTokenResponse, IssueMirrorTokenResult, IssuedMirrorToken, ListMirrorLinksRequest,
    ListMirrorLinksResponse, ListMirrorLinksResult, MaxInstances, MirrorCommand, MirrorLink, MirrorLinkRef,
    MirrorLinkUpdate, MirrorPolicy, MirrorProfileInfo, MirrorResult, MirrorToken, RedeemMirrorCodeRequest,
    RedeemMirrorCodeResponse, RedeemMirrorCodeResult, RevokeMirrorRequest, RevokeMirrorResponse, RevokeMirrorResult,
    SignedMirrorLinkUpdate, SignedMirrorToken, action, link_state, mode, role, services_bits, services_of,
};
use crate::mirror::record::InstanceRecord;
use crate::mirror::record::{MirrorEntry, MirrorKind, MirrorRecord, key};
use crate::platform::Platform;
use crate::store::{CardState, Edit, NotificationEvent, NotificationRecord, ProfileRecord};
use alloc::vec::Vec;
use rand_core::Rng;
use rasn::types::{FixedOctetString, NumericString};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroizing;

/// Wrong numeric codes a token survives; the fifth voids it.
pub(crate) const MAX_CODE_ATTEMPTS: u8 = 5;

/// Tokens and links a profile's record holds at most (live or not, until forgotten), so that
/// `maxInstances` unlimited cannot grow a record without bound: a card's own limit, answered
/// as instancesExceeded.
pub(crate) const MAX_ENTRIES: usize = 32;

/// Decodes one mirror request and runs its handler; the response's DER.
pub(super) fn dispatch<P: Platform>(
    der: &[u8],
    session: &mut Session,
    owner: Selection,
    ctx: &mut Ctx<'_, P>,
) -> Result<Vec<u8>> {
    use crate::mirror::asn::DecodeError;
    let command = MirrorCommand::decode(der).map_err(|e| match e {
        DecodeError::UnknownTag(_) => Status::ReferencedDataNotFound,
        DecodeError::Malformed(_) | DecodeError::NoTag => Status::IncorrectData,
    })?;
    // DER only: the decoder also takes some BER forms of the same value (a BIT STRING with
    // trailing zero bits, an INTEGER with a redundant leading octet, a primitive form marked
    // constructed). A signed part re-encoded would still verify, so a message would have
    // several encodings; the card takes the one.
    if command.encode().map_err(|_| Status::IncorrectData)? != der {
        return Err(Status::IncorrectData);
    }
    let encoded = match command {
        MirrorCommand::IssueMirrorToken(r) => rasn::der::encode(&issue(r, ctx)?),
        MirrorCommand::RedeemMirrorCode(r) => rasn::der::encode(&redeem(r, ctx)?),
        MirrorCommand::BeginMirror(r) => rasn::der::encode(&begin(r, session, owner, ctx)?),
        MirrorCommand::ExportMirror(r) => rasn::der::encode(&export(r, ctx)?),
        MirrorCommand::ConfirmMirror(r) => rasn::der::encode(&confirm(r, ctx)?),
        MirrorCommand::RevokeMirror(r) => rasn::der::encode(&revoke(r, ctx)?),
        MirrorCommand::ApplyMirrorRevocation(r) => rasn::der::encode(&apply_revocation(r, ctx)?),
        MirrorCommand::RenewMirror(r) => rasn::der::encode(&renew(r, ctx)?),
        MirrorCommand::ApplyMirrorRenewal(r) => rasn::der::encode(&apply_renewal(r, ctx)?),
        MirrorCommand::SuspendMirror(r) => {
            rasn::der::encode(&SuspendMirrorResponse(match suspend_or_resume(r.link.as_ref(), true, ctx)? {
                Ok(updates) => SuspendMirrorResult::Suspensions(updates),
                Err(e) => SuspendMirrorResult::MirrorError(e.value()),
            }))
        }
        MirrorCommand::ResumeMirror(r) => {
            rasn::der::encode(&ResumeMirrorResponse(match suspend_or_resume(r.link.as_ref(), false, ctx)? {
                Ok(updates) => ResumeMirrorResult::Resumptions(updates),
                Err(e) => ResumeMirrorResult::MirrorError(e.value()),
            }))
        }
        MirrorCommand::ApplyMirrorSuspension(r) => rasn::der::encode(&apply_suspension(r, ctx)?),
        MirrorCommand::ListMirrorLinks(r) => rasn::der::encode(&list(r, ctx)?),
        MirrorCommand::GetMirrorInfo(r) => rasn::der::encode(&info(r, ctx)?),
    };
    encoded.map_err(|_| Status::Unknown)
}

/// The mirror policy of `p`, if it carries a well-formed one (install refused the others).
pub(crate) fn policy(p: &ProfileRecord) -> Option<MirrorPolicy> {
    p.service_specific_data.as_deref().and_then(|d| crate::mirror::policy_of(d).ok().flatten())
}

/// The mirror record of profile `p` (empty when it has none); `Err` if it does not decode.
fn record(state: &CardState, p: &ProfileRecord) -> Result<MirrorRecord> {
    state.get::<MirrorKind, ()>(&key(p.slot())).map_err(|_| Status::Unknown).map(Option::unwrap_or_default)
}

/// Puts `record` as profile slot `slot`'s and commits it, with the mirror notification of
/// `event` for that profile in the same commit.
fn commit<P: Platform>(
    ctx: &mut Ctx<'_, P>,
    slot: u8,
    record: &MirrorRecord,
    event: Option<NotificationEvent>,
) -> Result<()> {
    let mut edit = Edit::new(&mut *ctx.state);
    edit.put::<MirrorKind>(&key(slot), record).map_err(|_| Status::Unknown)?;
    if let Some(event) = event {
        notify(&mut edit, slot, event);
    }
    super::commit_edit(ctx.store, ctx.platform, edit)?;
    Ok(())
}

/// Queues the mirror notification of `event` (`NotificationEvent` bits 24 … 29) for the
/// profile in slot `slot`, to its [mirror notification
/// address](ProfileRecord::mirror_notification_address): the operator's. A profile whose
/// metadata asked for no notifications gets none, as for the SGP.22 events. It is listed and
/// retrieved like any other (an `OtherSignedNotification` signed when retrieved).
fn notify(edit: &mut Edit<'_>, slot: u8, event: NotificationEvent) {
    let Some(p) = edit.state().profiles.iter().find(|p| p.slot() == slot) else { return };
    let Some(address) = p.mirror_notification_address() else { return };
    let (address, iccid) = (address.into(), Some(p.iccid.clone()));
    let seq = edit.next_seq();
    edit.push_notification(NotificationRecord { seq, event, address, iccid, pir: None });
}

fn profile_index(state: &CardState, iccid: &[u8]) -> Option<usize> {
    state.profiles.iter().position(|p| p.iccid.as_ref() == iccid)
}

/// Eight uniform decimal digits (ASCII) from `rng`.
fn numeric_code<R: Rng + ?Sized>(rng: &mut R) -> Zeroizing<[u8; 8]> {
    // 4_200_000_000 is the largest multiple of 10^8 below 2^32: below it, `% 10^8` is uniform.
    let mut n = rng.next_u32();
    while n >= 4_200_000_000 {
        n = rng.next_u32();
    }
    let mut n = Zeroizing::new(n % 100_000_000);
    let mut code = Zeroizing::new([b'0'; 8]);
    for digit in code.iter_mut().rev() {
        // `% 10` is below 10: the cast cannot truncate.
        *digit = b'0'.saturating_add((*n % 10) as u8);
        *n /= 10;
    }
    code
}

/// IssueMirrorToken (`FF40`): a signed token for a profile with a mirror policy, and its code.
fn issue<P: Platform>(req: IssueMirrorTokenRequest, ctx: &mut Ctx<'_, P>) -> Result<IssueMirrorTokenResponse> {
    let refuse = |r: MirrorResult| Ok(IssueMirrorTokenResponse(IssueMirrorTokenResult::MirrorError(r.value())));
    let Some(card) = ctx.signing() else { return refuse(MirrorResult::UndefinedError) };
    let Some(index) = profile_index(ctx.state, req.iccid.as_slice()) else {
        return refuse(MirrorResult::UnknownProfile);
    };
    let Some(profile) = ctx.state.profiles.get(index) else { return refuse(MirrorResult::UnknownProfile) };
    let slot = profile.slot();
    let mut rec = record(ctx.state, profile)?;
    let Some(policy) = policy(profile).filter(|_| rec.instance.is_none()) else {
        // No policy — or a mirror instance: a mirror of a mirror is refused.
        return refuse(MirrorResult::ProfileNotMirrorable);
    };
    if policy.max_instances == MaxInstances::Limited(0) {
        return refuse(MirrorResult::ProfileNotMirrorable);
    }
    match req.mode {
        mode::MIRROR => {}
        mode::TRANSFER if policy.transfer_allowed && !ctx.config.sgp22.is_v3() => {}
        mode::TRANSFER => return refuse(MirrorResult::TransferNotAllowed),
        _ => return refuse(MirrorResult::IncorrectInputValues),
    }
    let services = match services_of(&req.services) {
        Some(s) if s != 0 => s,
        _ => return refuse(MirrorResult::IncorrectInputValues),
    };
    if services & !services_of(&policy.services).unwrap_or(0) != 0 {
        return refuse(MirrorResult::ServicesExceeded);
    }
    if req.validity == 0 {
        return refuse(MirrorResult::IncorrectInputValues);
    }
    if req.validity > policy.max_token_validity.min(crate::mirror::asn::MAX_TOKEN_VALIDITY) {
        return refuse(MirrorResult::ValidityExceeded);
    }
    if req.device_class.is_some_and(|c| c > crate::mirror::asn::device_class::OTHER)
        || req.priority.is_some_and(|p| p > 2)
    {
        return refuse(MirrorResult::IncorrectInputValues);
    }
    let Some(now) = ctx.now() else { return refuse(MirrorResult::ClockNotSet) };
    // Tokens that expired unused (outstanding, voided or revoked before any export) no longer
    // count, and are forgotten.
    rec.entries.retain(|e| {
        let unused = matches!(e.state, link_state::ISSUED | link_state::VOIDED | link_state::REVOKED);
        !(unused && e.secondary_eid.is_none() && e.not_after < now)
    });
    let live = rec.entries.iter().filter(|e| e.is_live(now)).count();
    if !policy.max_instances.allows_another(live) || rec.entries.len() >= MAX_ENTRIES {
        return refuse(MirrorResult::InstancesExceeded);
    }
    let taken = codes_in_use(ctx.state)?;
    let (_, rng, _) = ctx.platform.split();
    let mut token_id = [0u8; 16];
    rng.fill_bytes(&mut token_id);
    let mut code = numeric_code(rng);
    let mut tries = 0u8;
    while taken.iter().any(|c| c.as_slice() == code.as_slice()) {
        tries = tries.saturating_add(1);
        if tries > 16 {
            return refuse(MirrorResult::UndefinedError);
        }
        code = numeric_code(rng);
    }
    let token = MirrorToken {
        token_id: FixedOctetString::new(token_id),
        source_eid: FixedOctetString::new(*ctx.config.eid.as_bytes()),
        iccid: req.iccid,
        mode: req.mode,
        services: services_bits(services),
        not_before: now,
        not_after: now.saturating_add(u64::from(req.validity)),
        target_eid: req.target_eid,
        device_class: req.device_class,
        priority: req.priority,
    };
    let tbs = rasn::der::encode(&token).map_err(|_| Status::Unknown)?;
    let signature = card.signer.sign(&tbs);
    let signed = SignedMirrorToken {
        mirror_token: token,
        euicc_signature: FixedOctetString::new(signature),
        euicc_certificate: card.identity.euicc_cert().to_vec().into(),
        eum_certificate: card.identity.eum_cert().to_vec().into(),
    };
    let signed_der = rasn::der::encode(&signed).map_err(|_| Status::Unknown)?;
    rec.entries.push(MirrorEntry {
        token_id: FixedOctetString::new(token_id),
        state: link_state::ISSUED,
        mode: req.mode,
        services,
        not_before: signed.mirror_token.not_before,
        not_after: signed.mirror_token.not_after,
        target_eid: req.target_eid,
        device_class: req.device_class,
        priority: req.priority,
        code: code.to_vec().into(),
        wrong_attempts: 0,
        signed_token: signed_der.into(),
        secondary_eid: None,
        linked_at: None,
        renew_by: None,
        secondary_certificate: None,
    });
    commit(ctx, slot, &rec, Some(NotificationEvent::MirrorIssued))?;
    let numeric_code = NumericString::from_bytes(code.as_slice()).map_err(|_| Status::Unknown)?;
    Ok(IssueMirrorTokenResponse(IssueMirrorTokenResult::Issued(IssuedMirrorToken {
        signed_mirror_token: signed,
        numeric_code,
    })))
}

/// The numeric codes of every token on the card that a code could still name.
fn codes_in_use(state: &CardState) -> Result<Vec<Zeroizing<Vec<u8>>>> {
    let mut out = Vec::new();
    for p in &state.profiles {
        for e in record(state, p)?.entries {
            out.push(Zeroizing::new(e.code.to_vec()));
        }
    }
    Ok(out)
}

/// RedeemMirrorCode (`FF41`): the token a numeric code names.
fn redeem<P: Platform>(req: RedeemMirrorCodeRequest, ctx: &mut Ctx<'_, P>) -> Result<RedeemMirrorCodeResponse> {
    let refuse = |r: MirrorResult| Ok(RedeemMirrorCodeResponse(RedeemMirrorCodeResult::MirrorError(r.value())));
    let given = Zeroizing::new(req.numeric_code.as_bytes().to_vec());
    if given.len() != 8 || !given.iter().all(u8::is_ascii_digit) {
        return refuse(MirrorResult::IncorrectInputValues);
    }
    let scope: Vec<usize> = match &req.iccid {
        Some(iccid) => match profile_index(ctx.state, iccid.as_slice()) {
            Some(i) => alloc::vec![i],
            None => return refuse(MirrorResult::UnknownProfile),
        },
        None => (0..ctx.state.profiles.len()).collect(),
    };
    let Some(now) = ctx.now() else { return refuse(MirrorResult::ClockNotSet) };
    // Every candidate is compared, and the match selected, in constant time: no early exit, no
    // branch on a comparison (codes are unique on the card, so at most one matches).
    let mut records = Vec::new();
    let (mut hit, mut hit_r, mut hit_j) = (Choice::from(0), 0u32, 0u32);
    for &i in &scope {
        let Some(p) = ctx.state.profiles.get(i) else { continue };
        let rec = record(ctx.state, p)?;
        let r = u32::try_from(records.len()).map_err(|_| Status::Unknown)?;
        for (j, e) in (0u32..).zip(rec.entries.iter()) {
            let equal = e.code.as_ref().ct_eq(given.as_slice());
            hit |= equal;
            hit_r.conditional_assign(&r, equal);
            hit_j.conditional_assign(&j, equal);
        }
        records.push((p.slot(), rec));
    }
    let found = bool::from(hit).then(|| (usize::try_from(hit_r).ok(), usize::try_from(hit_j).ok()));
    if let Some((Some(r), Some(j))) = found {
        let Some(e) = records.get(r).and_then(|(_, rec)| rec.entries.get(j)) else {
            return refuse(MirrorResult::UndefinedError);
        };
        return match e.state {
            link_state::VOIDED => refuse(MirrorResult::CodeAttemptsExhausted),
            link_state::REVOKED => refuse(MirrorResult::UnknownToken),
            link_state::ISSUED if now > e.not_after => refuse(MirrorResult::TokenExpired),
            link_state::ISSUED if now < e.not_before => refuse(MirrorResult::TokenNotYetValid),
            link_state::ISSUED => {
                let token = rasn::der::decode(&e.signed_token).map_err(|_| Status::Unknown)?;
                Ok(RedeemMirrorCodeResponse(RedeemMirrorCodeResult::SignedMirrorToken(token)))
            }
            _ => refuse(MirrorResult::TokenAlreadyRedeemed),
        };
    }
    // A wrong code: one attempt against every outstanding token in scope.
    let mut outstanding = false;
    let mut voided = false;
    for (_, rec) in &mut records {
        for e in rec.entries.iter_mut().filter(|e| e.state == link_state::ISSUED && now <= e.not_after) {
            outstanding = true;
            e.wrong_attempts = e.wrong_attempts.saturating_add(1);
            if e.wrong_attempts >= MAX_CODE_ATTEMPTS {
                e.state = link_state::VOIDED;
                voided = true;
            }
        }
    }
    if !outstanding {
        return refuse(MirrorResult::UnknownToken);
    }
    let mut edit = Edit::new(&mut *ctx.state);
    for (slot, rec) in &records {
        if rec.entries.iter().any(|e| e.state == link_state::ISSUED || e.state == link_state::VOIDED) {
            edit.put::<MirrorKind>(&key(*slot), rec).map_err(|_| Status::Unknown)?;
        }
    }
    super::commit_edit(ctx.store, ctx.platform, edit)?;
    refuse(if voided { MirrorResult::CodeAttemptsExhausted } else { MirrorResult::WrongCode })
}

/// Where a link reference points on the primary: the profile's slot and ICCID, its record,
/// the entry's index.
struct Link {
    slot: u8,
    iccid: FixedOctetString<10>,
    record: MirrorRecord,
    entry: usize,
}

/// The first token or link `link` names that is still in play (not revoked, voided or
/// transferred), profile by profile in card order.
fn find_link(state: &CardState, link: &MirrorLinkRef) -> Result<Option<Link>> {
    for p in &state.profiles {
        let record = record(state, p)?;
        let hit = record.entries.iter().position(|e| {
            let live = !matches!(e.state, link_state::REVOKED | link_state::VOIDED | link_state::TRANSFERRED);
            live && match link {
                MirrorLinkRef::TokenId(id) => e.token_id == *id,
                MirrorLinkRef::SecondaryEid(eid) => e.secondary_eid.as_ref() == Some(eid),
            }
        });
        if let Some(entry) = hit {
            return Ok(Some(Link { slot: p.slot(), iccid: iccid_of(p)?, record, entry }));
        }
    }
    Ok(None)
}

/// Signs `action` on entry `entry` of `record` (profile `iccid`) at `issued_at`, under the
/// record's next sequence number, which moves on: the update for the link's secondary.
/// `None` for an entry with no secondary (never exported).
fn sign_update(
    card: Signing<'_>,
    source_eid: &[u8; 16],
    record: &mut MirrorRecord,
    entry: usize,
    iccid: FixedOctetString<10>,
    (action, issued_at, renew_by): (u8, u64, Option<u64>),
) -> Result<Option<SignedMirrorLinkUpdate>> {
    let sequence_number = record.next_sequence;
    let Some(e) = record.entries.get(entry) else { return Ok(None) };
    let Some(secondary_eid) = e.secondary_eid else { return Ok(None) };
    let update = MirrorLinkUpdate {
        token_id: e.token_id,
        source_eid: FixedOctetString::new(*source_eid),
        secondary_eid,
        iccid,
        action,
        sequence_number,
        issued_at,
        renew_by,
    };
    record.next_sequence = sequence_number.saturating_add(1);
    let tbs = rasn::der::encode(&update).map_err(|_| Status::Unknown)?;
    let signature = card.signer.sign(&tbs);
    Ok(Some(SignedMirrorLinkUpdate { mirror_link_update: update, euicc_signature: FixedOctetString::new(signature) }))
}

/// RevokeMirror (`FF45`): an outstanding token is voided; a link is revoked, with a signed
/// revocation for its secondary.
fn revoke<P: Platform>(req: RevokeMirrorRequest, ctx: &mut Ctx<'_, P>) -> Result<RevokeMirrorResponse> {
    let refuse = |r: MirrorResult| Ok(RevokeMirrorResponse(RevokeMirrorResult::MirrorError(r.value())));
    let Some(Link { slot, iccid, mut record, entry }) = find_link(ctx.state, &req.link)? else {
        return refuse(MirrorResult::UnknownLink);
    };
    let Some(e) = record.entries.get_mut(entry) else { return refuse(MirrorResult::UnknownLink) };
    if e.state == link_state::ISSUED {
        e.state = link_state::REVOKED;
        commit(ctx, slot, &record, Some(NotificationEvent::MirrorRevoked))?;
        return Ok(RevokeMirrorResponse(RevokeMirrorResult::TokenVoided(())));
    }
    let Some(card) = ctx.signing() else { return refuse(MirrorResult::UndefinedError) };
    let Some(time) = ctx.now() else { return refuse(MirrorResult::ClockNotSet) };
    let eid = *ctx.config.eid.as_bytes();
    let Some(update) = sign_update(card, &eid, &mut record, entry, iccid, (action::REVOKE, time, None))? else {
        return refuse(MirrorResult::UndefinedError);
    };
    if let Some(e) = record.entries.get_mut(entry) {
        e.state = link_state::REVOKED;
    }
    commit(ctx, slot, &record, Some(NotificationEvent::MirrorRevoked))?;
    Ok(RevokeMirrorResponse(RevokeMirrorResult::Revocation(update)))
}

/// RenewMirror (`FF47`, primary): an active or suspended link's renew-by moves to now + the
/// policy's reauthInterval, with a signed renewal for its secondary.
fn renew<P: Platform>(req: RenewMirrorRequest, ctx: &mut Ctx<'_, P>) -> Result<RenewMirrorResponse> {
    let refuse = |r: MirrorResult| Ok(RenewMirrorResponse(RenewMirrorResult::MirrorError(r.value())));
    let Some(Link { slot, iccid, mut record, entry }) = find_link(ctx.state, &req.link)? else {
        return refuse(MirrorResult::UnknownLink);
    };
    if !record.entries.get(entry).is_some_and(|e| matches!(e.state, link_state::ACTIVE | link_state::SUSPENDED)) {
        // An outstanding token or a pending link is not a link to renew yet.
        return refuse(MirrorResult::UnknownLink);
    }
    let Some(policy) = ctx.state.profiles.iter().find(|p| p.slot() == slot).and_then(policy) else {
        return refuse(MirrorResult::ProfileNotMirrorable);
    };
    let Some(card) = ctx.signing() else { return refuse(MirrorResult::UndefinedError) };
    let Some(time) = ctx.now() else { return refuse(MirrorResult::ClockNotSet) };
    let renew_by = time.saturating_add(u64::from(policy.reauth_interval));
    let eid = *ctx.config.eid.as_bytes();
    let what = (action::RENEW, time, Some(renew_by));
    let Some(update) = sign_update(card, &eid, &mut record, entry, iccid, what)? else {
        return refuse(MirrorResult::UndefinedError);
    };
    if let Some(e) = record.entries.get_mut(entry) {
        e.renew_by = Some(renew_by);
    }
    commit(ctx, slot, &record, Some(NotificationEvent::MirrorRenewed))?;
    Ok(RenewMirrorResponse(RenewMirrorResult::Renewal(update)))
}

/// SuspendMirror (`FF49`) and ResumeMirror (`FF4A`), primary: the link named — or, without
/// one (the LPA reports roaming, or its end), every link of each profile whose policy has
/// suspendWhileRoaming — becomes suspended (active), each with a signed suspension
/// (resumption) for its secondary. Active and suspended links are both signed for, so an LPA
/// that lost an update asks again; the secondary applies each once (sequence numbers). All
/// changes are one commit.
fn suspend_or_resume<P: Platform>(
    link: Option<&MirrorLinkRef>,
    suspend: bool,
    ctx: &mut Ctx<'_, P>,
) -> Result<core::result::Result<Vec<SignedMirrorLinkUpdate>, MirrorResult>> {
    let in_play = |e: &MirrorEntry| matches!(e.state, link_state::ACTIVE | link_state::SUSPENDED);
    // (slot, ICCID, record, the entries to change)
    let mut targets: Vec<(u8, FixedOctetString<10>, MirrorRecord, Vec<usize>)> = Vec::new();
    match link {
        Some(link) => {
            let Some(Link { slot, iccid, record, entry }) = find_link(ctx.state, link)? else {
                return Ok(Err(MirrorResult::UnknownLink));
            };
            if !record.entries.get(entry).is_some_and(in_play) {
                return Ok(Err(MirrorResult::UnknownLink));
            }
            targets.push((slot, iccid, record, alloc::vec![entry]));
        }
        None => {
            for p in &ctx.state.profiles {
                if !policy(p).is_some_and(|policy| policy.suspend_while_roaming) {
                    continue;
                }
                let record = record(ctx.state, p)?;
                let entries: Vec<usize> =
                    record.entries.iter().enumerate().filter(|(_, e)| in_play(e)).map(|(j, _)| j).collect();
                if !entries.is_empty() {
                    targets.push((p.slot(), iccid_of(p)?, record, entries));
                }
            }
        }
    }
    let Some(card) = ctx.signing() else { return Ok(Err(MirrorResult::UndefinedError)) };
    let Some(time) = ctx.now() else { return Ok(Err(MirrorResult::ClockNotSet)) };
    let (act, state, event) = if suspend {
        (action::SUSPEND, link_state::SUSPENDED, NotificationEvent::MirrorSuspended)
    } else {
        (action::RESUME, link_state::ACTIVE, NotificationEvent::MirrorResumed)
    };
    let eid = *ctx.config.eid.as_bytes();
    let mut updates = Vec::new();
    let mut edit = Edit::new(&mut *ctx.state);
    for (slot, iccid, mut record, entries) in targets {
        for j in entries {
            if let Some(update) = sign_update(card, &eid, &mut record, j, iccid, (act, time, None))? {
                updates.push(update);
            }
            if let Some(e) = record.entries.get_mut(j) {
                e.state = state;
            }
        }
        edit.put::<MirrorKind>(&key(slot), &record).map_err(|_| Status::Unknown)?;
        notify(&mut edit, slot, event);
    }
    if !updates.is_empty() {
        super::commit_edit(ctx.store, ctx.platform, edit)?;
    }
    Ok(Ok(updates))
}

/// What a secondary found for a link update: the instance's profile (index) and record.
struct ForInstance {
    profile: usize,
    record: MirrorRecord,
}

/// The checks every update a secondary applies passes, in this order: a mirror instance with
/// the update's ICCID, token id and source EID on the card, else unknownLink; signed under
/// the primary's CERT.EUICC pinned at install, else notFromPinnedPrimary; for this card, else
/// wrongTargetEid; one of `actions`, else incorrectInputValues; a sequence number not yet
/// passed, else replayedMessage. On success the instance's next sequence number is past this
/// update's (in the returned record, not yet committed).
fn checked_update<P: Platform>(
    signed: &SignedMirrorLinkUpdate,
    actions: &[u8],
    ctx: &mut Ctx<'_, P>,
) -> Result<core::result::Result<ForInstance, MirrorResult>> {
    let update = &signed.mirror_link_update;
    let Some(profile) = profile_index(ctx.state, update.iccid.as_slice()) else {
        return Ok(Err(MirrorResult::UnknownLink));
    };
    let Some(p) = ctx.state.profiles.get(profile) else { return Ok(Err(MirrorResult::UnknownLink)) };
    let mut record = record(ctx.state, p)?;
    let Some(instance) = record.instance.as_mut() else { return Ok(Err(MirrorResult::UnknownLink)) };
    if instance.token_id != update.token_id || instance.source_eid != update.source_eid {
        return Ok(Err(MirrorResult::UnknownLink));
    }
    let crypto = ctx.platform.crypto();
    let Ok(key) = cert::certificate_key(crypto, &instance.primary_certificate) else {
        return Ok(Err(MirrorResult::UndefinedError));
    };
    let tbs = rasn::der::encode(update).map_err(|_| Status::Unknown)?;
    if !crypto.verify(&key, &tbs, signed.euicc_signature.as_slice()) {
        return Ok(Err(MirrorResult::NotFromPinnedPrimary));
    }
    if update.secondary_eid.as_slice() != ctx.config.eid.as_bytes() {
        return Ok(Err(MirrorResult::WrongTargetEid));
    }
    if !actions.contains(&update.action) {
        return Ok(Err(MirrorResult::IncorrectInputValues));
    }
    if update.sequence_number < instance.next_sequence {
        return Ok(Err(MirrorResult::ReplayedMessage));
    }
    instance.next_sequence = update.sequence_number.saturating_add(1);
    Ok(Ok(ForInstance { profile, record }))
}

/// ApplyMirrorRevocation (`FF46`, secondary): the mirror instance is deleted — disabled first
/// if enabled (its port is then refreshed, as after a DisableProfile with refreshFlag) — in
/// one commit, with the disable and delete notifications its metadata asks for; from this
/// command on its SIM is gone, so AUTHENTICATE cannot answer.
fn apply_revocation<P: Platform>(
    req: ApplyMirrorRevocationRequest,
    ctx: &mut Ctx<'_, P>,
) -> Result<ApplyMirrorRevocationResponse> {
    let answer = |r: MirrorResult| Ok(ApplyMirrorRevocationResponse { mirror_result: r.value() });
    let ForInstance { profile, .. } = match checked_update(&req.revocation, &[action::REVOKE], ctx)? {
        Ok(found) => found,
        Err(r) => return answer(r),
    };
    let Some(p) = ctx.state.profiles.get(profile) else { return answer(MirrorResult::UnknownLink) };
    let id = crate::asn1::rsp::ProfileIdentifier::Iccid(p.iccid.clone());
    let port = p.enabled_on();
    let idle = super::es10c::Busy::default();
    let mut edit = Edit::new(&mut *ctx.state);
    if port.is_some() {
        let r = super::es10c::disable_in(&mut edit, &id, idle, super::es10c::Cause::Local)?;
        if r.disable_result != crate::asn1::codes::DisableProfileResult::Ok.into() {
            return answer(MirrorResult::UndefinedError);
        }
    }
    let r = super::es10c::delete_in(&mut edit, &id, idle, super::es10c::Cause::Local)?;
    if r.delete_result != crate::asn1::codes::DeleteProfileResult::Ok.into() {
        return answer(MirrorResult::UndefinedError);
    }
    super::commit_edit(ctx.store, ctx.platform, edit)?;
    if let Some(port) = port {
        *ctx.refresh_requested |= 1u32.checked_shl(u32::from(port.0)).unwrap_or(0);
    }
    answer(MirrorResult::Ok)
}

/// Checks `signed` ([`checked_update`]), makes `change` to the instance and commits it with the
/// secondary's mirror notification of `event`: the result code.
fn apply_update<P: Platform>(
    signed: &SignedMirrorLinkUpdate,
    actions: &[u8],
    (event, change): (NotificationEvent, impl FnOnce(&mut InstanceRecord)),
    ctx: &mut Ctx<'_, P>,
) -> Result<MirrorResult> {
    let ForInstance { profile, mut record } = match checked_update(signed, actions, ctx)? {
        Ok(found) => found,
        Err(r) => return Ok(r),
    };
    if let Some(instance) = record.instance.as_mut() {
        change(instance);
    }
    let Some(slot) = ctx.state.profiles.get(profile).map(ProfileRecord::slot) else {
        return Ok(MirrorResult::UnknownLink);
    };
    commit(ctx, slot, &record, Some(event))?;
    Ok(MirrorResult::Ok)
}

/// ApplyMirrorRenewal (`FF48`, secondary): the instance's renew-by becomes the renewal's
/// (absent: incorrectInputValues).
fn apply_renewal<P: Platform>(
    req: ApplyMirrorRenewalRequest,
    ctx: &mut Ctx<'_, P>,
) -> Result<ApplyMirrorRenewalResponse> {
    let result = match req.renewal.mirror_link_update.renew_by {
        None => MirrorResult::IncorrectInputValues,
        Some(renew_by) => {
            let change = |i: &mut InstanceRecord| i.renew_by = renew_by;
            apply_update(&req.renewal, &[action::RENEW], (NotificationEvent::MirrorRenewed, change), ctx)?
        }
    };
    Ok(ApplyMirrorRenewalResponse { mirror_result: result.value() })
}

/// ApplyMirrorSuspension (`FF4B`, secondary): a suspension makes the instance suspended (it
/// cannot be enabled; enabled, its AUTHENTICATE refuses), a resumption active again.
fn apply_suspension<P: Platform>(
    req: ApplyMirrorSuspensionRequest,
    ctx: &mut Ctx<'_, P>,
) -> Result<ApplyMirrorSuspensionResponse> {
    let (state, event) = if req.update.mirror_link_update.action == action::SUSPEND {
        (link_state::SUSPENDED, NotificationEvent::MirrorSuspended)
    } else {
        (link_state::ACTIVE, NotificationEvent::MirrorResumed)
    };
    let actions = [action::SUSPEND, action::RESUME];
    let change = |i: &mut InstanceRecord| i.state = state;
    let result = apply_update(&req.update, &actions, (event, change), ctx)?;
    Ok(ApplyMirrorSuspensionResponse { mirror_result: result.value() })
}

/// The profiles a list / info request covers: the ICCID's, or all (`None`: no such profile).
fn covered<'s>(state: &'s CardState, iccid: Option<&FixedOctetString<10>>) -> Option<Vec<&'s ProfileRecord>> {
    match iccid {
        None => Some(state.profiles.iter().collect()),
        Some(iccid) => {
            profile_index(state, iccid.as_slice()).and_then(|i| state.profiles.get(i)).map(|p| alloc::vec![p])
        }
    }
}

fn iccid_of(p: &ProfileRecord) -> Result<FixedOctetString<10>> {
    FixedOctetString::try_from(p.iccid.to_vec()).map_err(|_| Status::Unknown)
}

/// ListMirrorLinks (`FF4C`): every token and link, profile by profile, in issue order.
fn list<P: Platform>(req: ListMirrorLinksRequest, ctx: &mut Ctx<'_, P>) -> Result<ListMirrorLinksResponse> {
    let Some(profiles) = covered(ctx.state, req.iccid.as_ref()) else {
        return Ok(ListMirrorLinksResponse(ListMirrorLinksResult::MirrorError(MirrorResult::UnknownProfile.value())));
    };
    let mut links = Vec::new();
    for p in profiles {
        let iccid = iccid_of(p)?;
        for e in record(ctx.state, p)?.entries {
            links.push(link_of(&e, iccid));
        }
    }
    Ok(ListMirrorLinksResponse(ListMirrorLinksResult::MirrorLinks(links)))
}

/// GetMirrorInfo (`FF4D`): per profile, its role (secondary: a mirror instance; primary: it
/// has outstanding tokens or live links), its policy and its live instances.
fn info<P: Platform>(req: GetMirrorInfoRequest, ctx: &mut Ctx<'_, P>) -> Result<GetMirrorInfoResponse> {
    let time = ctx.now();
    let Some(profiles) = covered(ctx.state, req.iccid.as_ref()) else {
        return Ok(GetMirrorInfoResponse(GetMirrorInfoResult::MirrorError(MirrorResult::UnknownProfile.value())));
    };
    let mut out = Vec::new();
    for p in profiles {
        let rec = record(ctx.state, p)?;
        let policy = policy(p);
        // Without a clock, an outstanding token counts as live (it cannot be shown expired).
        let live = rec.entries.iter().filter(|e| e.is_live(time.unwrap_or(0))).count();
        let role = if rec.instance.is_some() {
            role::SECONDARY
        } else if live > 0 {
            role::PRIMARY
        } else {
            role::NONE
        };
        out.push(MirrorProfileInfo {
            iccid: iccid_of(p)?,
            role,
            live_instances: policy.as_ref().map(|_| u8::try_from(live).unwrap_or(u8::MAX)),
            policy,
            instance: rec.instance.map(|i| crate::mirror::asn::MirrorInstanceInfo {
                source_eid: i.source_eid,
                token_id: i.token_id,
                services: services_bits(i.services),
                renew_by: i.renew_by,
                // Past its renew-by (or with no clock to tell) an active instance is suspended.
                state: if i.state == link_state::ACTIVE && !i.usable(time) { link_state::SUSPENDED } else { i.state },
                device_class: i.device_class,
                priority: i.priority,
            }),
        });
    }
    Ok(GetMirrorInfoResponse(GetMirrorInfoResult::MirrorProfiles(out)))
}

/// A peer card's CERT.EUICC, if it and its CERT.EUM chain to a CI this card trusts and are
/// valid at `now` — the checks the card's own identity passes (`cert::verify_eum`, then
/// `cert::verify_euicc`: EUM policy and name constraints, the EID inside the EUM's ranges).
fn peer_euicc(
    card: Signing<'_>,
    crypto: &dyn crate::crypto::CryptoProvider,
    euicc_certificate: &[u8],
    eum_certificate: &[u8],
    now: u64,
) -> Option<VerifiedEuicc> {
    let now = Some(crate::platform::UnixTime(now));
    let eum = cert::verify_eum(crypto, eum_certificate, card.identity.cis(), now).ok()?;
    cert::verify_euicc(crypto, euicc_certificate, &eum, now).ok()
}

/// BeginMirror (`FF42`, secondary): checks the primary's token, makes a one-time key pair
/// and answers the signed MirrorRequest; the download session becomes a mirror session
/// (`Prepared`, the primary's PK.EUICC as the signer of the package's InitialiseSecureChannel).
fn begin<P: Platform>(
    req: BeginMirrorRequest,
    session: &mut Session,
    owner: Selection,
    ctx: &mut Ctx<'_, P>,
) -> Result<BeginMirrorResponse> {
    let refuse = |r: MirrorResult| Ok(BeginMirrorResponse(BeginMirrorResult::MirrorError(r.value())));
    if session.is_loading() {
        // A load under way is never replaced. (The ISD-R reads a load's non-ES10 commands as
        // the BPP, so a BeginMirror does not get here then; this holds whatever the dispatch.)
        return Err(Status::ConditionsNotSatisfied);
    }
    let Some(card) = ctx.signing() else { return refuse(MirrorResult::UndefinedError) };
    let Some(time) = ctx.now() else { return refuse(MirrorResult::ClockNotSet) };
    let signed = req.signed_mirror_token;
    let token = &signed.mirror_token;
    let crypto = ctx.platform.crypto();
    let Some(primary) = peer_euicc(card, crypto, &signed.euicc_certificate, &signed.eum_certificate, time) else {
        return refuse(MirrorResult::UntrustedChain);
    };
    let tbs = rasn::der::encode(token).map_err(|_| Status::Unknown)?;
    // The token is the source card's: signed with the key of the certificate naming its sourceEid.
    let from_source = primary.eid.as_bytes() == token.source_eid.as_slice();
    if !from_source || !crypto.verify(&primary.key, &tbs, signed.euicc_signature.as_slice()) {
        return refuse(MirrorResult::BadSignature);
    }
    if token.mode != mode::MIRROR {
        return refuse(MirrorResult::TransferNotAllowed);
    }
    let services = match services_of(&token.services) {
        Some(s) if s != 0 => s,
        _ => return refuse(MirrorResult::IncorrectInputValues),
    };
    if token.device_class.is_some_and(|c| c > crate::mirror::asn::device_class::OTHER)
        || token.priority.is_some_and(|p| p > 2)
    {
        return refuse(MirrorResult::IncorrectInputValues);
    }
    if time < token.not_before {
        return refuse(MirrorResult::TokenNotYetValid);
    }
    if time > token.not_after {
        return refuse(MirrorResult::TokenExpired);
    }
    if token.target_eid.is_some_and(|t| t.as_slice() != ctx.config.eid.as_bytes()) {
        return refuse(MirrorResult::WrongTargetEid);
    }
    if profile_index(ctx.state, token.iccid.as_slice()).is_some() {
        return refuse(MirrorResult::IccidAlreadyPresent);
    }
    if ctx.state.profiles.len() >= usize::from(ctx.config.profile_capacity) {
        return refuse(MirrorResult::NoFreeSlot);
    }
    let (_, rng, _) = ctx.platform.split();
    let Some((ot_sk, ot_pk)) = one_time_key(crypto, rng) else { return refuse(MirrorResult::UndefinedError) };
    let mut challenge = [0u8; 16];
    rng.fill_bytes(&mut challenge);
    let ot_pk = ot_pk.as_bytes().to_vec();
    let request = MirrorRequest {
        token_id: token.token_id,
        secondary_eid: FixedOctetString::new(*ctx.config.eid.as_bytes()),
        ot_pk: ot_pk.clone().into(),
        token_hash: FixedOctetString::new(crypto.sha256(&[&tbs])),
        secondary_challenge: FixedOctetString::new(challenge),
    };
    let request_der = rasn::der::encode(&request).map_err(|_| Status::Unknown)?;
    let signature = card.signer.sign(&request_der);
    let pending = MirrorPending {
        iccid: *token.iccid,
        instance: InstanceRecord {
            source_eid: token.source_eid,
            token_id: token.token_id,
            services,
            // Set at the install (now + the package's reauthInterval); until then, when Begin ran.
            renew_by: time,
            state: link_state::ACTIVE,
            device_class: token.device_class,
            priority: token.priority,
            primary_certificate: signed.euicc_certificate.clone(),
            next_sequence: 0,
        },
    };
    *session = Session::mirror(*token.token_id, owner, PinnedEuicc { key: primary.key }, ot_sk, ot_pk, pending);
    Ok(BeginMirrorResponse(BeginMirrorResult::SignedMirrorRequest(SignedMirrorRequest {
        mirror_request: request,
        euicc_signature: FixedOctetString::new(signature),
        euicc_certificate: card.identity.euicc_cert().to_vec().into(),
        eum_certificate: card.identity.eum_cert().to_vec().into(),
    })))
}

/// The host identifier of a mirror package's secure channel (the CRT's `84`).
const MIRROR_HOST_ID: &[u8] = b"veuicc-mirror";

/// Where ExportMirror found the token: the profile's index, its record, the entry's index.
struct Found {
    profile: usize,
    record: MirrorRecord,
    entry: usize,
}

/// The entry of token `id` on the card, if any.
fn find_token(state: &CardState, id: &[u8]) -> Result<Option<Found>> {
    for (i, p) in state.profiles.iter().enumerate() {
        let record = record(state, p)?;
        if let Some(entry) = record.entries.iter().position(|e| e.token_id.as_slice() == id) {
            return Ok(Some(Found { profile: i, record, entry }));
        }
    }
    Ok(None)
}

/// StoreMetadata of a mirror package: the source profile's names, icon, class,
/// `serviceSpecificDataStoredInEuicc` (its mirror policy among them) and notification
/// configuration (the instance's install, enable, disable and delete notifications, and its
/// mirror events, go to the operator as the source's do). Its profile policy rules stay with
/// the source.
fn package_metadata(p: &ProfileRecord) -> Result<crate::asn1::download::StoreMetadataRequest> {
    use crate::store::ProfileClass;
    let mut md =
        crate::asn1::download::StoreMetadataRequest::new(p.iccid.to_vec(), &p.service_provider_name, &p.profile_name);
    if let Some(icon) = &p.icon {
        md.icon_type = Some(icon.icon_type.clone());
        md.icon = Some(icon.data.clone());
    }
    md.profile_class = Some(rasn::types::Integer::from(match p.class {
        ProfileClass::Test => 0,
        ProfileClass::Provisioning => 1,
        ProfileClass::Operational => 2,
    }));
    if let Some(data) = &p.service_specific_data {
        md.service_specific_data_stored_in_euicc = Some(rasn::der::decode(data).map_err(|_| Status::Unknown)?);
    }
    if !p.notification_config.is_empty() {
        md.notification_configuration_info = Some(
            p.notification_config
                .iter()
                .map(|c| crate::asn1::download::NotificationConfigurationInformation {
                    profile_management_operation: super::es10b::mask_bits(c.events),
                    notification_address: c.address.clone(),
                })
                .collect(),
        );
    }
    Ok(md)
}

/// ExportMirror (`FF43`, primary): checks the secondary's signed request against a token this
/// card issued and binds the mirror package to the secondary's one-time key: a BPP as an
/// SM-DP+ makes it (`sd::bpp`), its InitialiseSecureChannel signed with SK.EUICC, session
/// keys from ECKA between a fresh one-time key of this card and the secondary's otPK (the
/// SGP.22 KDF, the secondary's EID as the eUICC's). The link becomes pending.
fn export<P: Platform>(req: ExportMirrorRequest, ctx: &mut Ctx<'_, P>) -> Result<ExportMirrorResponse> {
    let refuse = |r: MirrorResult| Ok(ExportMirrorResponse(ExportMirrorResult::MirrorError(r.value())));
    let Some(card) = ctx.signing() else { return refuse(MirrorResult::UndefinedError) };
    let Some(time) = ctx.now() else { return refuse(MirrorResult::ClockNotSet) };
    let signed = req.signed_mirror_request;
    let request = &signed.mirror_request;
    let crypto = ctx.platform.crypto();
    let Some(secondary) = peer_euicc(card, crypto, &signed.euicc_certificate, &signed.eum_certificate, time) else {
        return refuse(MirrorResult::UntrustedChain);
    };
    let tbs = rasn::der::encode(request).map_err(|_| Status::Unknown)?;
    let from_secondary = secondary.eid.as_bytes() == request.secondary_eid.as_slice();
    if !from_secondary || !crypto.verify(&secondary.key, &tbs, signed.euicc_signature.as_slice()) {
        return refuse(MirrorResult::BadSignature);
    }
    let Some(Found { profile, mut record, entry }) = find_token(ctx.state, request.token_id.as_slice())? else {
        return refuse(MirrorResult::UnknownToken);
    };
    let Some(e) = record.entries.get(entry) else { return refuse(MirrorResult::UnknownToken) };
    let token: SignedMirrorToken = rasn::der::decode(&e.signed_token).map_err(|_| Status::Unknown)?;
    let token_der = rasn::der::encode(&token.mirror_token).map_err(|_| Status::Unknown)?;
    if crypto.sha256(&[&token_der]) != *request.token_hash {
        // Not the token this card issued under that id.
        return refuse(MirrorResult::UnknownToken);
    }
    match e.state {
        link_state::ISSUED => {}
        link_state::VOIDED => return refuse(MirrorResult::CodeAttemptsExhausted),
        link_state::REVOKED => return refuse(MirrorResult::UnknownToken),
        _ => return refuse(MirrorResult::TokenAlreadyRedeemed),
    }
    if time < e.not_before {
        return refuse(MirrorResult::TokenNotYetValid);
    }
    if time > e.not_after {
        return refuse(MirrorResult::TokenExpired);
    }
    if e.target_eid.is_some_and(|t| t != request.secondary_eid) {
        return refuse(MirrorResult::WrongTargetEid);
    }
    let Some(source) = ctx.state.profiles.get(profile) else { return refuse(MirrorResult::UnknownProfile) };
    let Some(policy) = policy(source) else { return refuse(MirrorResult::ProfileNotMirrorable) };
    let others = record.entries.iter().enumerate().filter(|&(j, o)| j != entry && o.is_live(time)).count();
    if !policy.max_instances.allows_another(others) {
        return refuse(MirrorResult::InstancesExceeded);
    }
    let Ok(peer_ot_pk) = crypto.public_key(&request.ot_pk) else {
        return refuse(MirrorResult::IncorrectInputValues);
    };
    let metadata = rasn::der::encode(&package_metadata(source)?).map_err(|_| Status::Unknown)?;
    let signer_oid = rasn::der::decode(&crate::asn1::tlv::tlv(&[0x06], &crate::mirror::asn::MIRROR_SIGNER_OID))
        .map_err(|_| Status::Unknown)?;
    let configure = crate::asn1::download::ConfigureIsdpRequest {
        dp_proprietary_data: Some(crate::asn1::download::DpProprietaryData::new(signer_oid)),
    };
    let configure = rasn::der::encode(&configure).map_err(|_| Status::Unknown)?;
    let slot = source.slot();
    let Some(package) = ctx.store.get(&source.package_name()).map(|u| Zeroizing::new(u.to_vec())) else {
        return Err(Status::Unknown);
    };
    let (_, rng, _) = ctx.platform.split();
    let Some((ot_sk, ot_pk)) = one_time_key(crypto, rng) else { return refuse(MirrorResult::UndefinedError) };
    let Ok(shared) = crypto.ecdh(&ot_sk, &peer_ot_pk) else { return refuse(MirrorResult::IncorrectInputValues) };
    drop(ot_sk);
    let keys =
        crate::scp03t::SessionKeys::derive(crypto, shared.expose(), 0x88, 0x10, MIRROR_HOST_ID, &request.secondary_eid)
            .map_err(|_| Status::Unknown)?;
    drop(shared);
    let channel = crate::sd::bpp::Channel {
        remote_op_id: 1,
        transaction_id: request.token_id.as_slice(),
        key_len: 0x10,
        host_id: MIRROR_HOST_ID,
        sender_ot_pk: ot_pk.as_bytes(),
    };
    let content = channel.content();
    let signature = card.signer.sign(&crate::sd::bpp::channel_signed_part(&content, &request.ot_pk));
    let isc = crate::sd::bpp::initialise_secure_channel(&content, &signature);
    let contents = crate::sd::bpp::Contents {
        configure_isdp: &configure,
        store_metadata: &metadata,
        replace_session_keys: None,
        profile_package: &package,
        first_segment_tag: 0x86,
    };
    let bpp = crate::sd::bpp::bind(crypto, &keys, isc, &contents).map_err(|_| Status::Unknown)?;
    let Some(e) = record.entries.get_mut(entry) else { return refuse(MirrorResult::UnknownToken) };
    e.state = link_state::PENDING;
    e.secondary_eid = Some(request.secondary_eid);
    e.device_class = token.mirror_token.device_class;
    e.secondary_certificate = Some(signed.euicc_certificate.clone());
    commit(ctx, slot, &record, None)?;
    Ok(ExportMirrorResponse(ExportMirrorResult::BoundProfilePackage(bpp.der().into())))
}

/// The MirrorLink a primary reports for entry `e` of profile `iccid`.
fn link_of(e: &MirrorEntry, iccid: FixedOctetString<10>) -> MirrorLink {
    MirrorLink {
        token_id: e.token_id,
        iccid,
        state: e.state,
        mode: e.mode,
        services: services_bits(e.services),
        not_after: e.not_after,
        secondary_eid: e.secondary_eid,
        device_class: e.device_class,
        priority: e.priority,
        linked_at: e.linked_at,
        renew_by: e.renew_by,
    }
}

/// ConfirmMirror (`FF44`, primary): the secondary's signed ProfileInstallationResult for a
/// pending link — its transactionId is the token id, its smdpOid the mirror signer's — verified
/// under the CERT.EUICC kept at export; a success for the profile's ICCID makes the link active
/// (linkedAt now, renewBy now + the policy's reauthInterval).
fn confirm<P: Platform>(req: ConfirmMirrorRequest, ctx: &mut Ctx<'_, P>) -> Result<ConfirmMirrorResponse> {
    use crate::asn1::download::{FinalResult, ProfileInstallationResult, ProfileInstallationResultData};
    let refuse = |r: MirrorResult| Ok(ConfirmMirrorResponse(ConfirmMirrorResult::MirrorError(r.value())));
    let Ok(pir) = rasn::der::decode::<ProfileInstallationResult>(&req.profile_installation_result) else {
        return refuse(MirrorResult::IncorrectInputValues);
    };
    let signed = pir.profile_installation_result_data.as_bytes();
    let Ok(data) = rasn::der::decode::<ProfileInstallationResultData>(signed) else {
        return refuse(MirrorResult::IncorrectInputValues);
    };
    let Some(Found { profile, mut record, entry }) = find_token(ctx.state, &data.transaction_id)? else {
        return refuse(MirrorResult::UnknownLink);
    };
    let Some(e) = record.entries.get(entry) else { return refuse(MirrorResult::UnknownLink) };
    match e.state {
        link_state::PENDING => {}
        link_state::ACTIVE | link_state::SUSPENDED => return refuse(MirrorResult::TokenAlreadyRedeemed),
        _ => return refuse(MirrorResult::UnknownLink),
    }
    let Some(certificate) = &e.secondary_certificate else { return refuse(MirrorResult::UnknownLink) };
    let crypto = ctx.platform.crypto();
    let Ok(key) = cert::certificate_key(crypto, certificate) else { return refuse(MirrorResult::UndefinedError) };
    if !crypto.verify(&key, signed, &pir.euicc_sign_pir) {
        return refuse(MirrorResult::BadSignature);
    }
    let Some(source) = ctx.state.profiles.get(profile) else { return refuse(MirrorResult::UnknownProfile) };
    let oid = rasn::der::encode(&data.smdp_oid).map_err(|_| Status::Unknown)?;
    let ours = crate::asn1::tlv::tlv(&[0x06], &crate::mirror::asn::MIRROR_SIGNER_OID);
    let installed = matches!(data.final_result, FinalResult::Success(_))
        && data.notification_metadata.iccid.as_ref() == Some(&source.iccid);
    if oid != ours || !installed {
        // A failed install, or not the result of this mirror package: the link stays pending.
        return refuse(MirrorResult::IncorrectInputValues);
    }
    let Some(policy) = policy(source) else { return refuse(MirrorResult::ProfileNotMirrorable) };
    let iccid = iccid_of(source)?;
    let slot = source.slot();
    let Some(time) = ctx.now() else { return refuse(MirrorResult::ClockNotSet) };
    let Some(e) = record.entries.get_mut(entry) else { return refuse(MirrorResult::UnknownLink) };
    e.state = link_state::ACTIVE;
    e.linked_at = Some(time);
    e.renew_by = Some(time.saturating_add(u64::from(policy.reauth_interval)));
    let link = link_of(e, iccid);
    commit(ctx, slot, &record, Some(NotificationEvent::MirrorConfirmed))?;
    Ok(ConfirmMirrorResponse(ConfirmMirrorResult::MirrorLink(link)))
}
