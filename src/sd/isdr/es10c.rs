//! ES10c: local profile management and the EID (SGP.22 v2.5 §5.7.14–§5.7.21).

use super::Ctx;
use crate::apdu::{Result, Status};
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
/// `ProfileInfoListError`: incorrectInputValues(1).
const INCORRECT_INPUT_VALUES: i32 = 1;

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
        profile_policy_rules: want(0x99).then(|| super::es10b::named_bits(&set_bits(p.ppr))),
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
        return ProfileInfoListResponse(ProfileInfoListResult::ProfileInfoListError(INCORRECT_INPUT_VALUES.into()));
    }
    let tags = match &req.tag_list {
        None => DEFAULT_TAGS.to_vec(),
        Some(list) => match split_tags(list) {
            Some(tags) => tags,
            None => {
                return ProfileInfoListResponse(ProfileInfoListResult::ProfileInfoListError(
                    INCORRECT_INPUT_VALUES.into(),
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

/// Pending notifications kept at most; when full, the oldest one is dropped to
/// make room (the newest events are the ones an SM-DP+ still needs).
pub(crate) const MAX_NOTIFICATIONS: usize = 64;

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
    state.notifications.push(NotificationRecord { seq, event, address, iccid, pir: None });
    while state.notifications.len() > MAX_NOTIFICATIONS {
        state.notifications.remove(0);
    }
}

fn set_state(state: &mut CardState, index: usize, to: ProfileState) {
    if let Some(p) = state.profiles.get_mut(index) {
        p.state = to;
    }
}

/// ES10c.EnableProfile — SGP.22 v2.5 §5.7.17.
///
/// One enabled profile at a time (SGP.22 v2): the enabled one is disabled first,
/// which PPR1 on it forbids (`disallowedByPolicy`). Notifications follow each
/// profile's configuration: the disable (if any) before the enable.
/// `wrongProfileReenabling(4)` and `catBusy(5)` are never produced: the card has
/// no fall-back state and no proactive sessions.
pub(super) fn enable_profile<P: Platform>(
    req: EnableProfileRequest,
    ctx: &mut Ctx<'_, P>,
) -> Result<EnableProfileResponse> {
    let answer = |code: i32| Ok(EnableProfileResponse { enable_result: code.into() });
    let mut new = ctx.state.clone();
    let Some(i) = find(&new, &req.profile_identifier) else { return answer(1) };
    if new.profiles.get(i).is_some_and(|p| p.state == ProfileState::Enabled) {
        return answer(2);
    }
    let enabled = |(o, p): (usize, &ProfileRecord)| (o != i && p.state == ProfileState::Enabled).then_some(o);
    let others: Vec<usize> = new.profiles.iter().enumerate().filter_map(enabled).collect();
    if new
        .profiles
        .iter()
        .enumerate()
        .filter_map(enabled)
        .any(|o| new.profiles.get(o).is_some_and(|p| p.ppr & PPR1 != 0))
    {
        return answer(3);
    }
    for o in others {
        set_state(&mut new, o, ProfileState::Disabled);
        notify(&mut new, o, NotificationEvent::Disable);
    }
    set_state(&mut new, i, ProfileState::Enabled);
    notify(&mut new, i, NotificationEvent::Enable);
    super::commit(ctx, new, Txn::new())?;
    answer(0)
}

/// ES10c.DisableProfile — SGP.22 v2.5 §5.7.18. PPR1 forbids it (`disallowedByPolicy`).
pub(super) fn disable_profile<P: Platform>(
    req: DisableProfileRequest,
    ctx: &mut Ctx<'_, P>,
) -> Result<DisableProfileResponse> {
    let answer = |code: i32| Ok(DisableProfileResponse { disable_result: code.into() });
    let mut new = ctx.state.clone();
    let Some(i) = find(&new, &req.profile_identifier) else { return answer(1) };
    let Some(p) = new.profiles.get(i) else { return answer(1) };
    if p.state != ProfileState::Enabled {
        return answer(2);
    }
    if p.ppr & PPR1 != 0 {
        return answer(3);
    }
    set_state(&mut new, i, ProfileState::Disabled);
    notify(&mut new, i, NotificationEvent::Disable);
    super::commit(ctx, new, Txn::new())?;
    answer(0)
}

/// ES10c.DeleteProfile — SGP.22 v2.5 §5.7.19. Only a disabled profile; PPR2 forbids it.
/// The ISD-P, its metadata and its profile package go in one commit.
pub(super) fn delete_profile<P: Platform>(
    req: DeleteProfileRequest,
    ctx: &mut Ctx<'_, P>,
) -> Result<DeleteProfileResponse> {
    let answer = |code: i32| Ok(DeleteProfileResponse { delete_result: code.into() });
    let mut new = ctx.state.clone();
    let Some(i) = find(&new, &req.0) else { return answer(1) };
    let Some(p) = new.profiles.get(i) else { return answer(1) };
    if p.state != ProfileState::Disabled {
        return answer(2);
    }
    if p.ppr & PPR2 != 0 {
        return answer(3);
    }
    let mut extra = Txn::new();
    extra.remove(&p.package_name());
    notify(&mut new, i, NotificationEvent::Delete);
    new.profiles.remove(i);
    super::commit(ctx, new, extra)?;
    answer(0)
}

/// ES10c.SetNickname — SGP.22 v2.5 §5.7.21: ok(0), iccidNotFound(1); a nickname
/// over 64 characters is `undefinedError(127)`.
pub(super) fn set_nickname<P: Platform>(req: SetNicknameRequest, ctx: &mut Ctx<'_, P>) -> Result<SetNicknameResponse> {
    let answer = |code: i32| Ok(SetNicknameResponse { set_nickname_result: code.into() });
    let mut new = ctx.state.clone();
    let Some(p) = new.profiles.iter_mut().find(|p| p.iccid == req.iccid) else { return answer(1) };
    if req.profile_nickname.chars().count() > 64 {
        return answer(127);
    }
    p.nickname = Some(req.profile_nickname).filter(|n| !n.is_empty());
    super::commit(ctx, new, Txn::new())?;
    answer(0)
}

/// ES10c.eUICCMemoryReset — SGP.22 v2.5 §5.7.20.
///
/// Option bits: deleteOperationalProfiles(0), deleteFieldLoadedTestProfiles(1)
/// (every test profile here was loaded in the field), resetDefaultSmdpAddress(2)
/// (back to the factory default). Profiles go whatever their state and PPRs;
/// provisioning profiles stay. No notifications are made, pending ones stay, and
/// the sequence counter keeps counting. `nothingToDelete(1)` when nothing changed.
pub(super) fn euicc_memory_reset<P: Platform>(
    req: EuiccMemoryResetRequest,
    ctx: &mut Ctx<'_, P>,
) -> Result<EuiccMemoryResetResponse> {
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
    if bit(2) {
        new.config.default_dp_address = ctx.config.default_dp_address.as_deref().map(Into::into);
    }
    if new == *ctx.state {
        return Ok(EuiccMemoryResetResponse { reset_result: 1.into() });
    }
    super::commit(ctx, new, extra)?;
    Ok(EuiccMemoryResetResponse { reset_result: 0.into() })
}
