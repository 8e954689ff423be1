//! The mirror functions of the ISD-R (`FF40` … `FF4D`, the module `VeuiccMirror`,
//! `src/mirror/Mirror.asn`): STORE DATA commands like ES10's, answered here.
//!
//! This slice answers the primary's side: IssueMirrorToken (`FF40`), RedeemMirrorCode
//! (`FF41`), RevokeMirror (`FF45`), ListMirrorLinks (`FF4C`) and GetMirrorInfo (`FF4D`). The
//! other tags decode (a malformed one is `6A80`) and answer `6A88`, as a function the card does
//! not have: Begin, Export, Confirm, the secondary's Apply… and Renew / Suspend / Resume come
//! with the mirror package. Mirror support is always on: the tags are private-class, so they
//! never collide with a GSMA tag, and standard ES10 commands never reach this file.
//!
//! Every state change is one commit of the profile's record `mirror.p<slot>`
//! ([`crate::mirror::record`]). Time is the card clock's (`Platform::Clock`): without one no
//! token is issued or checked (`clockNotSet`).
//!
//! | function | refusals, in the order checked |
//! |---|---|
//! | IssueMirrorToken | no signing identity → undefinedError; ICCID not on the card → unknownProfile; no policy, or `maxInstances` limited 0 → profileNotMirrorable; mode transfer not allowed by the policy (or on a v3 card, which transfers by Device Change) → transferNotAllowed, another mode → incorrectInputValues; services empty or past bit 7 → incorrectInputValues, not ⊆ the policy's → servicesExceeded; validity 0 → incorrectInputValues, > the policy's maxTokenValidity or > 24 h → validityExceeded; device class > other(5) or priority > high(2) → incorrectInputValues; no clock → clockNotSet; outstanding tokens + live links ≥ maxInstances, or the record already holds `MAX_ENTRIES` (32) tokens and links → instancesExceeded |
//! | RedeemMirrorCode | not eight digits → incorrectInputValues; ICCID not on the card → unknownProfile; no clock → clockNotSet; the code names a voided token → codeAttemptsExhausted, a revoked one → unknownToken, an exported one → tokenAlreadyRedeemed, an expired / not yet valid one → tokenExpired / tokenNotYetValid; no token has the code: no outstanding token → unknownToken, else one wrong attempt against each outstanding token in scope, the fifth voids it → codeAttemptsExhausted, else wrongCode |
//! | RevokeMirror | no token or link → unknownLink (also an already revoked or voided one); an outstanding token is voided (`tokenVoided`); a link gets a signed revocation (no clock → clockNotSet) |
//! | ListMirrorLinks, GetMirrorInfo | ICCID not on the card → unknownProfile |
//!
//! The numeric code: eight uniform decimal digits from the card RNG, unique among the card's
//! codes, compared in constant time against every candidate (no early exit), wiped from the
//! handler's memory when done.

use super::Ctx;
use crate::apdu::{Result, Status};
use crate::mirror::asn::{
    GetMirrorInfoRequest, GetMirrorInfoResponse, GetMirrorInfoResult, IssueMirrorTokenRequest,
    IssueMirrorTokenResponse, IssueMirrorTokenResult, IssuedMirrorToken, ListMirrorLinksRequest,
    ListMirrorLinksResponse, ListMirrorLinksResult, MaxInstances, MirrorCommand, MirrorLink, MirrorLinkRef,
    MirrorLinkUpdate, MirrorPolicy, MirrorProfileInfo, MirrorResult, MirrorToken, RedeemMirrorCodeRequest,
    RedeemMirrorCodeResponse, RedeemMirrorCodeResult, RevokeMirrorRequest, RevokeMirrorResponse, RevokeMirrorResult,
    SignedMirrorLinkUpdate, SignedMirrorToken, action, link_state, mode, role, services_bits, services_of,
};
use crate::mirror::record::{MirrorEntry, MirrorKind, MirrorRecord, key};
use crate::platform::{Clock, Platform};
use crate::store::{CardState, Edit, ProfileRecord};
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
pub(super) fn dispatch<P: Platform>(der: &[u8], ctx: &mut Ctx<'_, P>) -> Result<Vec<u8>> {
    use crate::mirror::asn::DecodeError;
    let command = MirrorCommand::decode(der).map_err(|e| match e {
        DecodeError::UnknownTag(_) => Status::ReferencedDataNotFound,
        DecodeError::Malformed(_) | DecodeError::NoTag => Status::IncorrectData,
    })?;
    let encoded = match command {
        MirrorCommand::IssueMirrorToken(r) => rasn::der::encode(&issue(r, ctx)?),
        MirrorCommand::RedeemMirrorCode(r) => rasn::der::encode(&redeem(r, ctx)?),
        MirrorCommand::RevokeMirror(r) => rasn::der::encode(&revoke(r, ctx)?),
        MirrorCommand::ListMirrorLinks(r) => rasn::der::encode(&list(r, ctx)?),
        MirrorCommand::GetMirrorInfo(r) => rasn::der::encode(&info(r, ctx)?),
        // Later slices (the mirror package and the secondary's side).
        _ => return Err(Status::ReferencedDataNotFound),
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

fn now<P: Platform>(ctx: &mut Ctx<'_, P>) -> Option<u64> {
    let (_, _, clock) = ctx.platform.split();
    clock.now().map(|t| t.0)
}

/// Puts `record` as profile slot `slot`'s and commits it.
fn commit<P: Platform>(ctx: &mut Ctx<'_, P>, slot: u8, record: &MirrorRecord) -> Result<()> {
    let mut edit = Edit::new(&mut *ctx.state);
    edit.put::<MirrorKind>(&key(slot), record).map_err(|_| Status::Unknown)?;
    super::commit_edit(ctx.store, ctx.platform, edit)?;
    Ok(())
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
    let Some(now) = now(ctx) else { return refuse(MirrorResult::ClockNotSet) };
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
    });
    commit(ctx, slot, &rec)?;
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
    let Some(now) = now(ctx) else { return refuse(MirrorResult::ClockNotSet) };
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

/// RevokeMirror (`FF45`).
fn revoke<P: Platform>(req: RevokeMirrorRequest, ctx: &mut Ctx<'_, P>) -> Result<RevokeMirrorResponse> {
    let refuse = |r: MirrorResult| Ok(RevokeMirrorResponse(RevokeMirrorResult::MirrorError(r.value())));
    let mut target = None;
    for p in &ctx.state.profiles {
        let rec = record(ctx.state, p)?;
        let hit = rec.entries.iter().position(|e| {
            let live = !matches!(e.state, link_state::REVOKED | link_state::VOIDED | link_state::TRANSFERRED);
            live && match &req.link {
                MirrorLinkRef::TokenId(id) => e.token_id == *id,
                MirrorLinkRef::SecondaryEid(eid) => e.secondary_eid.as_ref() == Some(eid),
            }
        });
        if let Some(j) = hit {
            target = Some((p.slot(), p.iccid.clone(), rec, j));
            break;
        }
    }
    let Some((slot, iccid, mut rec, j)) = target else { return refuse(MirrorResult::UnknownLink) };
    let sequence = rec.next_sequence;
    let Some(e) = rec.entries.get_mut(j) else { return refuse(MirrorResult::UnknownLink) };
    if e.state == link_state::ISSUED {
        e.state = link_state::REVOKED;
        commit(ctx, slot, &rec)?;
        return Ok(RevokeMirrorResponse(RevokeMirrorResult::TokenVoided(())));
    }
    let Some(card) = ctx.signing() else { return refuse(MirrorResult::UndefinedError) };
    let (Some(secondary), Ok(iccid)) = (e.secondary_eid, FixedOctetString::<10>::try_from(iccid.to_vec())) else {
        return refuse(MirrorResult::UndefinedError);
    };
    let Some(issued_at) = now(ctx) else { return refuse(MirrorResult::ClockNotSet) };
    let Some(e) = rec.entries.get_mut(j) else { return refuse(MirrorResult::UnknownLink) };
    e.state = link_state::REVOKED;
    let update = MirrorLinkUpdate {
        token_id: e.token_id,
        source_eid: FixedOctetString::new(*ctx.config.eid.as_bytes()),
        secondary_eid: secondary,
        iccid,
        action: action::REVOKE,
        sequence_number: sequence,
        issued_at,
        renew_by: None,
    };
    rec.next_sequence = sequence.saturating_add(1);
    let tbs = rasn::der::encode(&update).map_err(|_| Status::Unknown)?;
    let signature = card.signer.sign(&tbs);
    commit(ctx, slot, &rec)?;
    Ok(RevokeMirrorResponse(RevokeMirrorResult::Revocation(SignedMirrorLinkUpdate {
        mirror_link_update: update,
        euicc_signature: FixedOctetString::new(signature),
    })))
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
            links.push(MirrorLink {
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
            });
        }
    }
    Ok(ListMirrorLinksResponse(ListMirrorLinksResult::MirrorLinks(links)))
}

/// GetMirrorInfo (`FF4D`): per profile, its role (secondary: a mirror instance; primary: it
/// has outstanding tokens or live links), its policy and its live instances.
fn info<P: Platform>(req: GetMirrorInfoRequest, ctx: &mut Ctx<'_, P>) -> Result<GetMirrorInfoResponse> {
    let Some(profiles) = covered(ctx.state, req.iccid.as_ref()) else {
        return Ok(GetMirrorInfoResponse(GetMirrorInfoResult::MirrorError(MirrorResult::UnknownProfile.value())));
    };
    let time = {
        let (_, _, clock) = ctx.platform.split();
        clock.now().map(|t| t.0)
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
                state: i.state,
                device_class: i.device_class,
                priority: i.priority,
            }),
        });
    }
    Ok(GetMirrorInfoResponse(GetMirrorInfoResult::MirrorProfiles(out)))
}
