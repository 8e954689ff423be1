//! ES10c: local profile management and the EID (SGP.22 v2.5 §5.7.14–§5.7.21).

use super::Ctx;
use super::errors::store_status;
use crate::apdu::{Result, Status};
use crate::asn1::codes::{
    DeleteProfileResult, DisableProfileResult, EnableProfileResult, EuiccMemoryResetResult, ProfileInfoListError,
    SetNicknameResult,
};
use crate::asn1::download::{EnterpriseConfiguration, EnterpriseRules, NotificationConfigurationInformation};
use crate::asn1::rsp::OperatorId;
use crate::asn1::rsp::{
    DeleteProfileRequest, DeleteProfileResponse, DisableProfileRequest, DisableProfileResponse, EnableProfileRequest,
    EnableProfileResponse, EuiccMemoryResetRequest, EuiccMemoryResetResponse, GetEuiccDataRequest,
    GetEuiccDataResponse, ProfileIdentifier, ProfileInfo, ProfileInfoListRequest, ProfileInfoListResponse,
    ProfileInfoListResult, SearchCriteria, SetNicknameRequest, SetNicknameResponse,
};
use crate::asn1::tlv::split_tags;
use crate::config::{CardConfig, MepMode};
use crate::platform::Platform;
use crate::store::{CardState, Edit, NotificationEvent, NotificationRecord, PPR1, PPR2, Port};
use crate::store::{ProfileClass, ProfileRecord, ProfileState};
use alloc::string::String;
use alloc::vec::Vec;
use rasn::types::{Any, FixedOctetString, Integer};

/// ES10c.GetEID — SGP.22 v2.5 §5.7.20. `tagList` SHALL be `5A`; anything else is `6A80`.
pub(super) fn get_eid<P: Platform>(req: GetEuiccDataRequest, ctx: &mut Ctx<'_, P>) -> Result<GetEuiccDataResponse> {
    if *req.tag_list != [0x5A] {
        return Err(Status::IncorrectData);
    }
    Ok(GetEuiccDataResponse { eid_value: FixedOctetString::new(*ctx.config.eid.as_bytes()) })
}

/// Tags returned when the request has no `tagList`.
pub(super) const DEFAULT_TAGS: [u32; 9] = [0x5A, 0x4F, 0x9F70, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95];
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

/// What a card's version and configuration let GetProfilesInfo say beyond v2.5's fields.
#[derive(Clone, Copy)]
pub(super) struct Extras {
    /// MEP: `enabledOnEsimPort` (9F24).
    pub(super) mep: bool,
    /// A v3 card: `hriServerAddress` (9B), `enterpriseConfiguration` (BD), `serviceDescription`
    /// (9F1F), `profileSize` (9F25), `rpmConfiguration` (BA), each only when the tag list asks for it.
    pub(super) v3: bool,
}

/// The `ProfileInfo` of `p` with exactly the fields named in `tags`; `size` is the length of
/// its stored package (`profileSize`).
pub(super) fn profile_info(p: &ProfileRecord, tags: &[u32], extras: Extras, size: Option<usize>) -> ProfileInfo {
    let want = |t: u32| tags.contains(&t);
    let v3 = |t: u32| extras.v3 && want(t);
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
        service_specific_data_stored_in_euicc: want(0xBF22)
            .then_some(p.service_specific_data.as_ref())
            .flatten()
            .and_then(|d| rasn::der::decode(d).ok()),
        rpm_configuration: v3(0xBA).then_some(p.rpm_configuration.as_deref()).flatten().and_then(content).map(Any::new),
        hri_server_address: v3(0x9B).then(|| p.hri_server_address.clone()).flatten(),
        lpr_configuration: None,
        enterprise_configuration: v3(0xBD).then_some(p.enterprise.as_ref()).flatten().map(|e| {
            EnterpriseConfiguration::new(
                e.oid.clone(),
                &e.name,
                e.rules.as_ref().map(|r| EnterpriseRules {
                    enterprise_rule_bits: r.bits.clone(),
                    number_of_non_enterprise_profiles: r.non_enterprise_profiles.clone(),
                }),
            )
        }),
        service_description: v3(0x9F1F).then(|| p.service_description.clone()).flatten(),
        device_change_configuration: v3(0xBF20)
            .then_some(p.device_change_configuration.as_deref())
            .flatten()
            .map(|d| Any::new(d.to_vec())),
        enabled_on_esim_port: (extras.mep && want(0x9F24))
            .then(|| p.enabled_on().map(|port| Integer::from(port.0)))
            .flatten(),
        profile_size: v3(0x9F25).then(|| size.map(Integer::from)).flatten(),
    }
}

/// The value of the single TLV `der`.
fn content(der: &[u8]) -> Option<Vec<u8>> {
    let h = crate::asn1::tlv::header(der, 3).ok()?;
    der.get(h.size()..h.total()?).map(<[u8]>::to_vec)
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
///
/// A v3 card also returns, when the tag list names them (they are not in the default set:
/// our reading, which keeps a v3 card's default answer what it was), `hriServerAddress` (9B),
/// `enterpriseConfiguration` (BD) and `serviceDescription` (9F1F) from the profile's metadata,
/// and `profileSize` (9F25): the profile's size in bytes, read as the length of its installed
/// package as the card stores it (the Unprotected Profile Package, the profile elements exactly
/// as delivered; record `u.<nn>`), which old records answer too. A v2.5 card never sends them.
///
/// `serviceSpecificDataStoredInEuicc` (BF22, SGP.22 v2.5) is answered when the tag list names
/// it: the metadata's VendorSpecificExtension as received, every vendor's entries (veuicc's
/// mirror policy among them); not in the default set, so the default answer is unchanged.
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
    let mep = ctx.config.mep().is_some();
    let extras = Extras { mep, v3: ctx.config.sgp22.is_v3() };
    let tags = match &req.tag_list {
        // A MEP card also says where each enabled profile is.
        None if mep => [&DEFAULT_TAGS[..], &[0x9F24]].concat(),
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
        .map(|p| profile_info(p, &tags, extras, ctx.store.get(&p.package_name()).map(<[u8]>::len)))
        .collect();
    ProfileInfoListResponse(ProfileInfoListResult::ProfileInfoListOk(list))
}

pub(super) fn find(state: &CardState, id: &ProfileIdentifier) -> Option<usize> {
    match id {
        ProfileIdentifier::IsdpAid(aid) => state.profiles.iter().position(|p| p.isdp_aid == *aid),
        ProfileIdentifier::Iccid(iccid) => state.profiles.iter().position(|p| p.iccid == *iccid),
    }
}

/// Records a notification for `event` on profile `index` if its metadata asked for one.
fn notify(edit: &mut Edit<'_>, index: usize, event: NotificationEvent) {
    let Some(address) = edit.state().profiles.get(index).and_then(|p| p.notification_address(event)) else { return };
    let address = String::from(address);
    notify_to(edit, index, event, &address);
}

/// Queues the notification of `event` for profile `index` to `address`.
fn notify_to(edit: &mut Edit<'_>, index: usize, event: NotificationEvent, address: &str) {
    let Some(p) = edit.state().profiles.get(index) else { return };
    let address = address.into();
    let iccid = Some(p.iccid.clone());
    let seq = edit.next_seq();
    edit.push_notification(NotificationRecord { seq, event, address, iccid, pir: None });
}

fn enable_on(edit: &mut Edit<'_>, index: usize, port: Port) {
    if let Some(p) = edit.profile_mut(index) {
        p.enable_on(port);
    }
}

fn disable(edit: &mut Edit<'_>, index: usize) {
    if let Some(p) = edit.profile_mut(index) {
        p.disable();
    }
}

/// The port EnableProfile enables a profile on (`Err`: the answer instead):
/// * one enabled profile (v2.5, or v3 without MEP): port 0; a `targetEsimPort` is ignored.
/// * MEP-A1: the request's `targetEsimPort`, one of the profile ports; a missing or other
///   port is `commandError(7)`. A profile enabled there is replaced, as on port 0 of a v2.5 card.
/// * MEP-A2: the lowest profile port with no enabled profile (the request's port is not
///   the LPA's to choose); none free is `noEsimPortAvailable(10)`.
/// * MEP-B: the port the command came on (SGP.22 v3 names it the target port); a
///   `targetEsimPort` naming another port is `commandError(7)` (our reading: the request
///   contradicts itself). A profile enabled there is replaced.
pub(super) fn target_port(
    config: &CardConfig,
    state: &CardState,
    req: &EnableProfileRequest,
    command_port: u8,
) -> core::result::Result<Port, EnableProfileResult> {
    let Some(mep) = config.mep() else { return Ok(Port::FIRST) };
    let named = || req.target_esim_port.as_ref().map(|n| u8::try_from(n).ok());
    match mep.mode {
        MepMode::A1 => named()
            .flatten()
            .filter(|n| mep.profile_ports().contains(n))
            .map(Port)
            .ok_or(EnableProfileResult::CommandError),
        MepMode::A2 => mep
            .profile_ports()
            .map(Port)
            .find(|&port| !state.profiles.iter().any(|p| p.enabled_on() == Some(port)))
            .ok_or(EnableProfileResult::NoEsimPortAvailable),
        // The port the command came on; a `targetEsimPort` naming another is an error.
        MepMode::B => match named() {
            None => Ok(Port(command_port)),
            Some(Some(n)) if n == command_port => Ok(Port(n)),
            Some(_) => Err(EnableProfileResult::CommandError),
        },
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

/// Forgets each port's Test-profile fall-back unless it still means something: a Test
/// profile is enabled on that port and the remembered profile is still on the card (a
/// disabled non-test one).
fn check_fallback(edit: &mut Edit<'_>) -> Result<()> {
    for port in edit.state().fallback_ports() {
        let state = edit.state();
        let Some(aid) = state.test_fallback(port) else { continue };
        let test_enabled = state.profiles.iter().any(|p| p.class == ProfileClass::Test && p.enabled_on() == Some(port));
        let remembered = state
            .profiles
            .iter()
            .any(|p| p.isdp_aid == aid && p.class != ProfileClass::Test && p.state == ProfileState::Disabled);
        if !(test_enabled && remembered) {
            edit.set_test_fallback(port, None).map_err(store_status)?;
        }
    }
    Ok(())
}

/// Whether enabling profile `target` (replacing the profiles `replaced`) would break the
/// reference enterprise rule (SGP.22 v3, a card with Enterprise Profiles): the card's reading of
/// `numberOfNonEnterpriseProfiles` "that can be Enabled" — while an installed profile holds
/// `referenceEnterpriseRule`, at most that many profiles without an enterpriseConfiguration may
/// be enabled at once (on all eSIM ports together). Enabling an enterprise profile is never
/// limited by it. A negative number allows none. DisableProfile's TPRO10 re-enable is not
/// checked: it swaps the Test profile for the one it replaced on the same port, so the count
/// grows only if that Test profile was an enterprise one.
fn enterprise_limit_exceeded(config: &CardConfig, state: &CardState, target: usize, replaced: &[usize]) -> bool {
    if !(config.sgp22.is_v3() && config.enterprise_profiles) {
        return false;
    }
    let Some(rules) = state.profiles.iter().find_map(ProfileRecord::reference_enterprise_rules) else { return false };
    if state.profiles.get(target).is_none_or(|p| p.enterprise.is_some()) {
        return false;
    }
    let still_enabled = state
        .profiles
        .iter()
        .enumerate()
        .filter(|(o, p)| *o != target && !replaced.contains(o) && p.enterprise.is_none() && p.enabled_on().is_some())
        .count();
    let after = i128::try_from(still_enabled).unwrap_or(i128::MAX).saturating_add(1);
    // A limit beyond i128 limits nothing.
    i128::try_from(&rules.non_enterprise_profiles).is_ok_and(|limit| after > limit)
}

/// ES10c.EnableProfile — SGP.22 v2.5 §5.7.17.
///
/// One enabled profile per eSIM port: the profile is enabled on the port [`target_port`]
/// gives (port 0 of a single-port card), and the one enabled there is disabled first, which PPR1
/// on it forbids (`disallowedByPolicy(3)`). Profiles on other ports are left alone. Notifications follow each
/// profile's configuration: the disable (if any) before the enable.
///
/// Test profiles, the card's reading of SGP.21 TPRO8/TPRO10 (the SGP.22 v2.5 text
/// of §5.7.16–17 is not at hand; these are the rules it implements):
/// * Enabling a Test profile while an Operational or Provisioning profile is enabled
///   disables that one even if it has PPR1 (TPRO8 overrides POL RULE1), and the card
///   remembers it persistently for that port (`CardState::test_fallback`, its ISD-P AID).
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
/// On a v3 card, `disallowedByEnterpriseRule(6)` after the policy checks
/// ([`enterprise_limit_exceeded`]).
pub(super) fn enable_profile<P: Platform>(
    req: EnableProfileRequest,
    ctx: &mut Ctx<'_, P>,
    busy: Busy,
) -> Result<EnableProfileResponse> {
    let now = ctx.now();
    let mut edit = Edit::new(&mut *ctx.state);
    let resp = enable_in(&mut edit, ctx.config, &req, ctx.port, busy, now, Cause::Local)?;
    if resp.enable_result == EnableProfileResult::Ok.into() {
        super::commit_edit(ctx.store, ctx.platform, edit)?;
    }
    Ok(resp)
}

/// Who asked for a profile change: the end user through the LPA (ES10c) or an RPM package
/// (SGP.22 v3); it picks the notification events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cause<'a> {
    /// ES10c: notificationLocalEnable/Disable/Delete.
    Local,
    /// An RPM command: notificationRpmEnable/Disable/Delete.
    Rpm,
    /// v3 Device Change (ES10b.VerifyDeviceChange, deleteOldProfile): the Delete Notification
    /// for Device Change — notificationLocalDelete (NotificationEvent has no Device Change bit),
    /// always made, to this address (the SM-DP+'s `notificationAddress`, else the session's).
    DeviceChange(&'a str),
}

impl Cause<'_> {
    fn enable(self) -> NotificationEvent {
        match self {
            Cause::Local | Cause::DeviceChange(_) => NotificationEvent::Enable,
            Cause::Rpm => NotificationEvent::RpmEnable,
        }
    }

    fn disable(self) -> NotificationEvent {
        match self {
            Cause::Local | Cause::DeviceChange(_) => NotificationEvent::Disable,
            Cause::Rpm => NotificationEvent::RpmDisable,
        }
    }

    fn delete(self) -> NotificationEvent {
        match self {
            Cause::Local | Cause::DeviceChange(_) => NotificationEvent::Delete,
            Cause::Rpm => NotificationEvent::RpmDelete,
        }
    }
}

/// EnableProfile's checks and changes, made on `edit` and not committed (see [`enable_profile`];
/// the RPM enable command runs the same). On a refusal `edit` is left as it was. `now` is the
/// card clock's time: a mirror instance that is suspended or past its renew-by is not enabled
/// (`disallowedByPolicy`, the answer for a profile the card's rules keep disabled).
pub(super) fn enable_in(
    edit: &mut Edit<'_>,
    config: &CardConfig,
    req: &EnableProfileRequest,
    command_port: u8,
    busy: Busy,
    now: Option<u64>,
    cause: Cause<'_>,
) -> Result<EnableProfileResponse> {
    let answer =
        |code: EnableProfileResult| Ok(EnableProfileResponse { enable_result: code.into(), target_esim_port: None });
    if busy.any() {
        return answer(EnableProfileResult::CatBusy);
    }
    let state = edit.state();
    let Some(i) = find(state, &req.profile_identifier) else { return answer(EnableProfileResult::IccidOrAidNotFound) };
    let Some(target) = state.profiles.get(i) else { return answer(EnableProfileResult::IccidOrAidNotFound) };
    if target.state == ProfileState::Enabled {
        return answer(EnableProfileResult::ProfileNotInDisabledState);
    }
    if !crate::mirror::record::Gate::of(state, target.slot()).usable(now) {
        return answer(EnableProfileResult::DisallowedByPolicy);
    }
    let port = match target_port(config, state, req, command_port) {
        Ok(port) => port,
        Err(code) => return answer(code),
    };
    let to_test = target.class == ProfileClass::Test;
    // The profiles enabled on the port, which the target replaces (one at most).
    let others: Vec<usize> = state
        .profiles
        .iter()
        .enumerate()
        .filter(|(o, p)| *o != i && p.enabled_on() == Some(port))
        .map(|(o, _)| o)
        .collect();
    let on_port = || others.iter().filter_map(|o| state.profiles.get(*o));
    let test_enabled = on_port().any(|p| p.class == ProfileClass::Test);
    let fallback = state.test_fallback(port);
    if !to_test && test_enabled && fallback.as_ref().is_some_and(|aid| *aid != target.isdp_aid) {
        return answer(EnableProfileResult::WrongProfileReenabling);
    }
    // TPRO8: a Test profile may replace a non-test profile whatever its PPR1.
    if on_port().any(|p| p.ppr & PPR1 != 0 && !(to_test && p.class != ProfileClass::Test)) {
        return answer(EnableProfileResult::DisallowedByPolicy);
    }
    if enterprise_limit_exceeded(config, state, i, &others) {
        return answer(EnableProfileResult::DisallowedByEnterpriseRule);
    }
    let replaced = on_port().find(|p| p.class != ProfileClass::Test).map(|p| p.isdp_aid.clone());
    let fallback = match (to_test, replaced) {
        (true, Some(aid)) => Some(aid),
        (true, None) if test_enabled => fallback,
        _ => None,
    };
    edit.set_test_fallback(port, fallback).map_err(store_status)?;
    for o in others {
        disable(edit, o);
        notify(edit, o, cause.disable());
    }
    enable_on(edit, i, port);
    notify(edit, i, cause.enable());
    // On a MEP card the profile another port's Test profile would fall back to may be enabled
    // here, on a port of its own: that port then forgets it.
    check_fallback(edit)?;
    Ok(EnableProfileResponse {
        enable_result: EnableProfileResult::Ok.into(),
        target_esim_port: config.mep().map(|_| Integer::from(port.0)),
    })
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
    let mut edit = Edit::new(&mut *ctx.state);
    let resp = disable_in(&mut edit, &req.profile_identifier, busy, Cause::Local)?;
    if resp.disable_result == DisableProfileResult::Ok.into() {
        super::commit_edit(ctx.store, ctx.platform, edit)?;
    }
    Ok(resp)
}

/// DisableProfile's checks and changes, made on `edit` and not committed (see
/// [`disable_profile`]; the RPM disable command runs the same).
pub(super) fn disable_in(
    edit: &mut Edit<'_>,
    id: &ProfileIdentifier,
    busy: Busy,
    cause: Cause<'_>,
) -> Result<DisableProfileResponse> {
    let answer = |code: DisableProfileResult| Ok(DisableProfileResponse { disable_result: code.into() });
    if busy.any() {
        return answer(DisableProfileResult::CatBusy);
    }
    let state = edit.state();
    let Some(i) = find(state, id) else { return answer(DisableProfileResult::IccidOrAidNotFound) };
    let Some(p) = state.profiles.get(i) else { return answer(DisableProfileResult::IccidOrAidNotFound) };
    let Some(port) = p.enabled_on() else { return answer(DisableProfileResult::ProfileNotInEnabledState) };
    if p.ppr & PPR1 != 0 {
        return answer(DisableProfileResult::DisallowedByPolicy);
    }
    let from_test = p.class == ProfileClass::Test;
    let back = state
        .test_fallback(port)
        .filter(|_| from_test)
        .and_then(|aid| state.profiles.iter().position(|p| p.isdp_aid == aid && p.state == ProfileState::Disabled));
    disable(edit, i);
    notify(edit, i, cause.disable());
    edit.set_test_fallback(port, None).map_err(store_status)?;
    if let Some(r) = back {
        enable_on(edit, r, port);
        notify(edit, r, cause.enable());
    }
    check_fallback(edit)?;
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
    let mut edit = Edit::new(&mut *ctx.state);
    let resp = delete_in(&mut edit, &req.0, busy, Cause::Local)?;
    if resp.delete_result == DeleteProfileResult::Ok.into() {
        super::commit_edit(ctx.store, ctx.platform, edit)?;
    }
    Ok(resp)
}

/// DeleteProfile's checks and changes, made on `edit` and not committed (see
/// [`delete_profile`]; the RPM delete command runs the same).
pub(super) fn delete_in(
    edit: &mut Edit<'_>,
    id: &ProfileIdentifier,
    busy: Busy,
    cause: Cause<'_>,
) -> Result<DeleteProfileResponse> {
    let answer = |code: DeleteProfileResult| Ok(DeleteProfileResponse { delete_result: code.into() });
    if busy.loading {
        return answer(DeleteProfileResult::UndefinedError);
    }
    let Some(i) = find(edit.state(), id) else { return answer(DeleteProfileResult::IccidOrAidNotFound) };
    let Some(p) = edit.state().profiles.get(i) else { return answer(DeleteProfileResult::IccidOrAidNotFound) };
    if p.state != ProfileState::Disabled {
        return answer(DeleteProfileResult::ProfileNotInDisabledState);
    }
    if p.ppr & PPR2 != 0 {
        return answer(DeleteProfileResult::DisallowedByPolicy);
    }
    match cause {
        Cause::DeviceChange(address) => notify_to(edit, i, cause.delete(), address),
        _ => notify(edit, i, cause.delete()),
    }
    edit.remove_profile(i);
    check_fallback(edit)?;
    answer(DeleteProfileResult::Ok)
}

/// ES10c.SetNickname — SGP.22 v2.5 §5.7.21: ok(0), iccidNotFound(1); a nickname
/// over 64 characters is `undefinedError(127)`.
pub(super) fn set_nickname<P: Platform>(req: SetNicknameRequest, ctx: &mut Ctx<'_, P>) -> Result<SetNicknameResponse> {
    let answer = |code: SetNicknameResult| Ok(SetNicknameResponse { set_nickname_result: code.into() });
    let Some(i) = ctx.state.profiles.iter().position(|p| p.iccid == req.iccid) else {
        return answer(SetNicknameResult::IccidNotFound);
    };
    if req.profile_nickname.chars().count() > 64 {
        return answer(SetNicknameResult::UndefinedError);
    }
    let mut edit = Edit::new(&mut *ctx.state);
    if let Some(p) = edit.profile_mut(i) {
        p.nickname = Some(String::from(req.profile_nickname)).filter(|n| !n.is_empty());
    }
    super::commit_edit(ctx.store, ctx.platform, edit)?;
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
    let goes = |p: &ProfileRecord| {
        (bit(0) && p.class == ProfileClass::Operational) || (bit(1) && p.class == ProfileClass::Test)
    };
    let factory_address = ctx.config.default_dp_address.as_deref().map(Into::into);
    let mut edit = Edit::new(&mut *ctx.state);
    for i in (0..edit.state().profiles.len()).rev() {
        if edit.state().profiles.get(i).is_some_and(goes) {
            edit.remove_profile(i);
        }
    }
    check_fallback(&mut edit)?;
    if bit(2) {
        edit.set_default_dp_address(factory_address);
    }
    if !super::commit_edit(ctx.store, ctx.platform, edit)? {
        return Ok(EuiccMemoryResetResponse { reset_result: EuiccMemoryResetResult::NothingToDelete.into() });
    }
    Ok(EuiccMemoryResetResponse { reset_result: EuiccMemoryResetResult::Ok.into() })
}
