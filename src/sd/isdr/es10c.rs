//! ES10c: local profile management and the EID (SGP.22 v2.5 §5.7.14–§5.7.21).

use super::Ctx;
use crate::apdu::{Result, Status};
use crate::asn1::codes::{
    DeleteProfileResult, DisableProfileResult, EnableProfileResult, EuiccMemoryResetResult, ProfileInfoListError,
    SetNicknameResult,
};
use crate::asn1::download::NotificationConfigurationInformation;
use crate::asn1::rsp::OperatorId;
use crate::asn1::rsp::{
    DeleteProfileRequest, DeleteProfileResponse, DisableProfileRequest, DisableProfileResponse, EnableProfileRequest,
    EnableProfileResponse, EuiccMemoryResetRequest, EuiccMemoryResetResponse, GetEuiccDataRequest,
    GetEuiccDataResponse, ProfileIdentifier, ProfileInfo, ProfileInfoListRequest, ProfileInfoListResponse,
    ProfileInfoListResult, SearchCriteria, SetNicknameRequest, SetNicknameResponse,
};
use crate::asn1::tlv::split_tags;
use crate::platform::Platform;
use crate::store::{CardState, NotificationEvent, NotificationRecord, PPR1, PPR2, Txn};
use crate::store::{ProfileClass, ProfileRecord, ProfileState};
use alloc::vec::Vec;
use rasn::types::{FixedOctetString, Integer};

/// ES10c.GetEID — SGP.22 v2.5 §5.7.20. `tagList` SHALL be `5A`; anything else is `6A80`.
pub(super) fn get_eid<P: Platform>(req: GetEuiccDataRequest, ctx: &mut Ctx<'_, P>) -> Result<GetEuiccDataResponse> {
    if *req.tag_list != [0x5A] {
        return Err(Status::IncorrectData);
    }
    Ok(GetEuiccDataResponse { eid_value: FixedOctetString::new(*ctx.config.eid.as_bytes()) })
}

/// Tags returned when the request has no `tagList`.
const DEFAULT_TAGS: [u32; 9] = [0x5A, 0x4F, 0x9F70, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95];
fn class_code(c: ProfileClass) -> i32 {
    match c {
        ProfileClass::Test => 0,
        ProfileClass::Provisioning => 1,
        ProfileClass::Operational => 2,
    }
}

fn matches(p: &ProfileRecord, criteria: &Option<SearchCriteria>) -> bool {
    match criteria {
        None => true,
        Some(SearchCriteria::IsdpAid(aid)) => p.isdp_aid == *aid,
        Some(SearchCriteria::Iccid(iccid)) => p.iccid == *iccid,
        Some(SearchCriteria::ProfileClass(c)) => Integer::from(class_code(p.class)) == *c,
    }
}

/// The `ProfileInfo` of `p` with exactly the fields named in `tags`.
fn profile_info(p: &ProfileRecord, tags: &[u32]) -> ProfileInfo {
    let want = |t: u32| tags.contains(&t);
    let (icon_type, icon) = match &p.icon {
        Some(icon) => (Some(icon.icon_type.clone()), Some(icon.data.clone())),
        None => (None, None),
    };
    ProfileInfo {
        iccid: want(0x5A).then(|| FixedOctetString::try_from(p.iccid.to_vec()).ok()).flatten(),
        isdp_aid: want(0x4F).then(|| p.isdp_aid.clone()),
        profile_state: want(0x9F70).then(|| Integer::from(i32::from(p.state == ProfileState::Enabled))),
        profile_nickname: want(0x90).then(|| p.nickname.clone()).flatten(),
        service_provider_name: want(0x91).then(|| p.service_provider_name.clone()),
        profile_name: want(0x92).then(|| p.profile_name.clone()),
        icon_type: want(0x93).then_some(icon_type).flatten(),
        icon: want(0x94).then_some(icon).flatten(),
        profile_class: want(0x95).then(|| Integer::from(class_code(p.class))),
        notification_configuration_info: want(0xB6).then(|| {
            p.notification_config
                .iter()
                .map(|c| NotificationConfigurationInformation {
                    profile_management_operation: super::es10b::named_bits(&set_bits(c.events)),
                    notification_address: c.address.clone(),
                })
                .collect()
        }),
        profile_owner: want(0xB7).then_some(p.owner.as_ref()).flatten().and_then(|o| {
            Some(OperatorId {
                mcc_mnc: FixedOctetString::try_from(o.mcc_mnc.to_vec()).ok()?,
                gid1: o.gid1.clone(),
                gid2: o.gid2.clone(),
            })
        }),
        dp_proprietary_data: want(0xB8)
            .then_some(p.dp_proprietary_data.as_ref())
            .flatten()
            .and_then(|d| rasn::der::decode(d).ok()),
        profile_policy_rules: want(0x99).then(|| super::es10b::named_bits(&set_bits(p.ppr))),
        service_specific_data_stored_in_euicc: None,
    }
}

fn set_bits(ppr: u8) -> Vec<usize> {
    (0..8).filter(|b| ppr & (1 << b) != 0).collect()
}

/// ES10c.GetProfilesInfo — SGP.22 v2.5 §5.7.15.
///
/// Filters by `searchCriteria` (ISD-P AID, ICCID or class) and returns exactly
/// the fields whose tags are in `tagList` (the default set without one). A tag
/// list that does not parse as BER tags, an ICCID that is not 10 bytes or an
/// ISD-P AID outside 5..=16 bytes is `incorrectInputValues`.
pub(super) fn get_profiles_info<P: Platform>(
    req: ProfileInfoListRequest,
    ctx: &mut Ctx<'_, P>,
) -> ProfileInfoListResponse {
    let bad_criteria = match &req.search_criteria {
        Some(SearchCriteria::Iccid(iccid)) => iccid.len() != 10,
        Some(SearchCriteria::IsdpAid(aid)) => !(5..=16).contains(&aid.len()),
        _ => false,
    };
    if bad_criteria {
        return ProfileInfoListResponse(ProfileInfoListResult::ProfileInfoListError(
            ProfileInfoListError::IncorrectInputValues.into(),
        ));
    }
    let tags = match &req.tag_list {
        None => DEFAULT_TAGS.to_vec(),
        Some(list) => match split_tags(list) {
            Some(tags) => tags,
            None => {
                return ProfileInfoListResponse(ProfileInfoListResult::ProfileInfoListError(
                    ProfileInfoListError::IncorrectInputValues.into(),
                ));
            }
        },
    };
    let list = ctx
        .state
        .profiles
        .iter()
        .filter(|p| matches(p, &req.search_criteria))
        .map(|p| profile_info(p, &tags))
        .collect();
    ProfileInfoListResponse(ProfileInfoListResult::ProfileInfoListOk(list))
}

fn find(state: &CardState, id: &ProfileIdentifier) -> Option<usize> {
    match id {
        ProfileIdentifier::IsdpAid(aid) => state.profiles.iter().position(|p| p.isdp_aid == *aid),
        ProfileIdentifier::Iccid(iccid) => state.profiles.iter().position(|p| p.iccid == *iccid),
    }
}

/// Records a notification for `event` on profile `index` if its metadata asked for one.
fn notify(state: &mut CardState, index: usize, event: NotificationEvent) {
    let Some(p) = state.profiles.get(index) else { return };
    let Some(address) = p.notification_address(event).map(Into::into) else { return };
    let iccid = Some(p.iccid.clone());
    let seq = state.next_seq();
    state.push_notification(NotificationRecord { seq, event, address, iccid, pir: None });
}

fn set_state(state: &mut CardState, index: usize, to: ProfileState) {
    if let Some(p) = state.profiles.get_mut(index) {
        p.state = to;
    }
}

/// What keeps ES10c from changing profile states right now (volatile ISD-R state).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Busy {
    /// A proactive session is pending (`Card::set_cat_busy`, a test hook).
    pub(super) cat: bool,
    /// A download session is loading a BPP (between the `BF36` start and the PIR).
    pub(super) loading: bool,
}

impl Busy {
    fn any(self) -> bool {
        self.cat || self.loading
    }
}

/// Forgets the Test-profile fall-back unless it still means something: a Test profile
/// is enabled and the remembered profile is still on the card (a disabled non-test one).
fn check_fallback(state: &mut CardState) {
    let test_enabled = state.profiles.iter().any(|p| p.class == ProfileClass::Test && p.state == ProfileState::Enabled);
    let remembered = |aid: &rasn::types::OctetString| {
        state.profiles.iter().any(|p| p.isdp_aid == *aid && p.class != ProfileClass::Test)
    };
    if !(test_enabled && state.config.test_fallback.as_ref().is_some_and(remembered)) {
        state.config.test_fallback = None;
    }
}

/// ES10c.EnableProfile — SGP.22 v2.5 §5.7.17.
///
/// One enabled profile at a time (SGP.22 v2): the enabled one is disabled first,
/// which PPR1 on it forbids (`disallowedByPolicy(3)`). Notifications follow each
/// profile's configuration: the disable (if any) before the enable.
///
/// Test profiles, the card's reading of SGP.21 TPRO8/TPRO10 (the SGP.22 v2.5 text
/// of §5.7.16–17 is not at hand; these are the rules it implements):
/// * Enabling a Test profile while an Operational or Provisioning profile is enabled
///   disables that one even if it has PPR1 (TPRO8 overrides POL RULE1), and the card
///   remembers it persistently (`ConfigRecord::test_fallback`, its ISD-P AID).
///   Switching from one Test profile to another keeps what is remembered.
/// * While a Test profile is enabled and a profile is remembered, enabling any other
///   Operational or Provisioning profile is `wrongProfileReenabling(4)`; enabling the
///   remembered one is ok (the Test profile is disabled) and forgets it.
/// * Disabling the Test profile re-enables the remembered one (TPRO10), see
///   [`disable_profile`].
/// * A Test profile enabled when no other profile was enabled remembers nothing:
///   disabling it leaves no profile enabled, and any profile may replace it.
/// * Deleting the remembered profile, or an eUICCMemoryReset that deletes it or the
///   enabled Test profile, forgets it; nothing is re-enabled then.
/// * A Test profile with PPR1 is protected like any other (TPRO8 lifts PPR1 only
///   from the non-test profile it replaces).
///
/// `catBusy(5)` while a proactive session is pending (`Card::set_cat_busy`) or a
/// download session is loading a BPP, checked before anything else; nothing changes then.
pub(super) fn enable_profile<P: Platform>(
    req: EnableProfileRequest,
    ctx: &mut Ctx<'_, P>,
    busy: Busy,
) -> Result<EnableProfileResponse> {
    let answer = |code: EnableProfileResult| Ok(EnableProfileResponse { enable_result: code.into() });
    if busy.any() {
        return answer(EnableProfileResult::CatBusy);
    }
    let mut new = ctx.state.clone();
    let Some(i) = find(&new, &req.profile_identifier) else { return answer(EnableProfileResult::IccidOrAidNotFound) };
    let Some(target) = new.profiles.get(i) else { return answer(EnableProfileResult::IccidOrAidNotFound) };
    if target.state == ProfileState::Enabled {
        return answer(EnableProfileResult::ProfileNotInDisabledState);
    }
    let to_test = target.class == ProfileClass::Test;
    let target_aid = target.isdp_aid.clone();
    let others: Vec<&ProfileRecord> = new
        .profiles
        .iter()
        .enumerate()
        .filter(|(o, p)| *o != i && p.state == ProfileState::Enabled)
        .map(|(_, p)| p)
        .collect();
    let test_enabled = others.iter().any(|p| p.class == ProfileClass::Test);
    if !to_test && test_enabled && new.config.test_fallback.as_ref().is_some_and(|aid| *aid != target_aid) {
        return answer(EnableProfileResult::WrongProfileReenabling);
    }
    // TPRO8: a Test profile may replace a non-test profile whatever its PPR1.
    if others.iter().any(|p| p.ppr & PPR1 != 0 && !(to_test && p.class != ProfileClass::Test)) {
        return answer(EnableProfileResult::DisallowedByPolicy);
    }
    let replaced = others.iter().find(|p| p.class != ProfileClass::Test).map(|p| p.isdp_aid.clone());
    new.config.test_fallback = match (to_test, replaced) {
        (true, Some(aid)) => Some(aid),
        (true, None) if test_enabled => new.config.test_fallback.take(),
        _ => None,
    };
    let others: Vec<usize> = new
        .profiles
        .iter()
        .enumerate()
        .filter(|(o, p)| *o != i && p.state == ProfileState::Enabled)
        .map(|(o, _)| o)
        .collect();
    for o in others {
        set_state(&mut new, o, ProfileState::Disabled);
        notify(&mut new, o, NotificationEvent::Disable);
    }
    set_state(&mut new, i, ProfileState::Enabled);
    notify(&mut new, i, NotificationEvent::Enable);
    super::commit(ctx, new, Txn::new())?;
    answer(EnableProfileResult::Ok)
}

/// ES10c.DisableProfile — SGP.22 v2.5 §5.7.18. PPR1 forbids it (`disallowedByPolicy`).
///
/// Disabling a Test profile that replaced an Operational or Provisioning profile
/// re-enables that profile in the same commit (SGP.21 TPRO10, see [`enable_profile`]),
/// with its enable notification after the Test profile's disable notification (each
/// if configured), and forgets it. `catBusy(5)` as for EnableProfile.
pub(super) fn disable_profile<P: Platform>(
    req: DisableProfileRequest,
    ctx: &mut Ctx<'_, P>,
    busy: Busy,
) -> Result<DisableProfileResponse> {
    let answer = |code: DisableProfileResult| Ok(DisableProfileResponse { disable_result: code.into() });
    if busy.any() {
        return answer(DisableProfileResult::CatBusy);
    }
    let mut new = ctx.state.clone();
    let Some(i) = find(&new, &req.profile_identifier) else { return answer(DisableProfileResult::IccidOrAidNotFound) };
    let Some(p) = new.profiles.get(i) else { return answer(DisableProfileResult::IccidOrAidNotFound) };
    if p.state != ProfileState::Enabled {
        return answer(DisableProfileResult::ProfileNotInEnabledState);
    }
    if p.ppr & PPR1 != 0 {
        return answer(DisableProfileResult::DisallowedByPolicy);
    }
    let from_test = p.class == ProfileClass::Test;
    set_state(&mut new, i, ProfileState::Disabled);
    notify(&mut new, i, NotificationEvent::Disable);
    if let Some(aid) = new.config.test_fallback.take().filter(|_| from_test) {
        let back = new.profiles.iter().position(|p| p.isdp_aid == aid && p.state == ProfileState::Disabled);
        if let Some(r) = back {
            set_state(&mut new, r, ProfileState::Enabled);
            notify(&mut new, r, NotificationEvent::Enable);
        }
    }
    check_fallback(&mut new);
    super::commit(ctx, new, Txn::new())?;
    answer(DisableProfileResult::Ok)
}

/// ES10c.DeleteProfile — SGP.22 v2.5 §5.7.19. Only a disabled profile; PPR2 forbids it.
/// The ISD-P, its metadata and its profile package go in one commit. Deleting the
/// profile a Test profile will fall back to forgets it (see [`enable_profile`]).
/// While a download session is loading a BPP the answer is `undefinedError(127)`
/// (DeleteProfile has no `catBusy`) and nothing changes; a pending proactive session
/// does not matter here.
pub(super) fn delete_profile<P: Platform>(
    req: DeleteProfileRequest,
    ctx: &mut Ctx<'_, P>,
    busy: Busy,
) -> Result<DeleteProfileResponse> {
    let answer = |code: DeleteProfileResult| Ok(DeleteProfileResponse { delete_result: code.into() });
    if busy.loading {
        return answer(DeleteProfileResult::UndefinedError);
    }
    let mut new = ctx.state.clone();
    let Some(i) = find(&new, &req.0) else { return answer(DeleteProfileResult::IccidOrAidNotFound) };
    let Some(p) = new.profiles.get(i) else { return answer(DeleteProfileResult::IccidOrAidNotFound) };
    if p.state != ProfileState::Disabled {
        return answer(DeleteProfileResult::ProfileNotInDisabledState);
    }
    if p.ppr & PPR2 != 0 {
        return answer(DeleteProfileResult::DisallowedByPolicy);
    }
    let mut extra = Txn::new();
    extra.remove(&p.package_name());
    notify(&mut new, i, NotificationEvent::Delete);
    new.profiles.remove(i);
    check_fallback(&mut new);
    super::commit(ctx, new, extra)?;
    answer(DeleteProfileResult::Ok)
}

/// ES10c.SetNickname — SGP.22 v2.5 §5.7.21: ok(0), iccidNotFound(1); a nickname
/// over 64 characters is `undefinedError(127)`.
pub(super) fn set_nickname<P: Platform>(req: SetNicknameRequest, ctx: &mut Ctx<'_, P>) -> Result<SetNicknameResponse> {
    let answer = |code: SetNicknameResult| Ok(SetNicknameResponse { set_nickname_result: code.into() });
    let mut new = ctx.state.clone();
    let Some(p) = new.profiles.iter_mut().find(|p| p.iccid == req.iccid) else {
        return answer(SetNicknameResult::IccidNotFound);
    };
    if req.profile_nickname.chars().count() > 64 {
        return answer(SetNicknameResult::UndefinedError);
    }
    p.nickname = Some(alloc::string::String::from(req.profile_nickname)).filter(|n| !n.is_empty());
    super::commit(ctx, new, Txn::new())?;
    answer(SetNicknameResult::Ok)
}

/// ES10c.eUICCMemoryReset — SGP.22 v2.5 §5.7.20.
///
/// Option bits: deleteOperationalProfiles(0), deleteFieldLoadedTestProfiles(1)
/// (every test profile here was loaded in the field), resetDefaultSmdpAddress(2)
/// (back to the factory default). Profiles go whatever their state and PPRs;
/// provisioning profiles stay. No notifications are made, pending ones stay, and
/// the sequence counter keeps counting. `nothingToDelete(1)` when nothing changed.
/// A reset that deletes the enabled Test profile or the profile it would fall back to
/// forgets the fall-back and re-enables nothing (see [`enable_profile`]).
/// `catBusy(5)` as for EnableProfile.
pub(super) fn euicc_memory_reset<P: Platform>(
    req: EuiccMemoryResetRequest,
    ctx: &mut Ctx<'_, P>,
    busy: Busy,
) -> Result<EuiccMemoryResetResponse> {
    if busy.any() {
        return Ok(EuiccMemoryResetResponse { reset_result: EuiccMemoryResetResult::CatBusy.into() });
    }
    let bit = |n: usize| req.reset_options.get(n).is_some_and(|b| *b);
    let mut new = ctx.state.clone();
    let mut extra = Txn::new();
    new.profiles.retain(|p| {
        let goes = (bit(0) && p.class == ProfileClass::Operational) || (bit(1) && p.class == ProfileClass::Test);
        if goes {
            extra.remove(&p.package_name());
        }
        !goes
    });
    check_fallback(&mut new);
    if bit(2) {
        new.config.default_dp_address = ctx.config.default_dp_address.as_deref().map(Into::into);
    }
    if new == *ctx.state {
        return Ok(EuiccMemoryResetResponse { reset_result: EuiccMemoryResetResult::NothingToDelete.into() });
    }
    super::commit(ctx, new, extra)?;
    Ok(EuiccMemoryResetResponse { reset_result: EuiccMemoryResetResult::Ok.into() })
}
