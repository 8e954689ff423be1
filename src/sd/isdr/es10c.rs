//! ES10c: local profile management and the EID (SGP.22 v2.5 §5.7.14–§5.7.21).

use super::Ctx;
use crate::apdu::{Result, Status};
use crate::asn1::rsp::{
    GetEuiccDataRequest, GetEuiccDataResponse, ProfileInfo, ProfileInfoListRequest, ProfileInfoListResponse,
    ProfileInfoListResult, SearchCriteria,
};
use crate::asn1::tlv::split_tags;
use crate::platform::Platform;
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
        profile_policy_rules: want(0x99).then(|| super::es10b::named_bits(&ppr_bits(p.ppr))),
    }
}

fn ppr_bits(ppr: u8) -> Vec<usize> {
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
