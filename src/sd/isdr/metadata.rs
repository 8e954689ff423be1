//! StoreMetadata checks: whether the card accepts a profile's metadata, and the
//! [`ProfileRecord`] it becomes (SGP.22 v2.5 §5.5.3 StoreMetadata, §2.9 profile
//! policy rules, §5.7.15 ProfileInfo fields).
//!
//! Run when the `A1` sequence completes, before any profile element is decrypted,
//! so a profile the card will refuse costs no more of the BPP than its metadata.

use crate::asn1::download::StoreMetadataRequest;
use crate::config::CardConfig;
use crate::sd::isdp::{BppCommand, BppError, ErrorReason};
use crate::store::{CardState, ProfileClass, ProfileRecord, ProfileState};

/// ISD-P AIDs: `A0000005591010FFFFFFFF8900 <nn> 00` (SGP.02 Annex H numbering, as real
/// cards do: `…8900001000`, `…8900001100`, …); `nn` starts at `10`.
const ISDP_AID_PREFIX: [u8; 14] = [0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00];

fn fail(command: BppCommand, reason: ErrorReason) -> BppError {
    BppError { command, reason }
}

/// The record a profile with metadata `md` gets on a card in `state`, or the
/// `ErrorResult` that refuses it: ICCID not 10 bytes → incorrectInputValues(1),
/// ICCID present → installFailedDueToIccidAlreadyExistsOnEuicc(9), class outside
/// test/provisioning/operational → unsupportedProfileClass(6), a PPR the RAT does
/// not allow → pprNotAllowed(15), no free ISD-P slot → insufficient memory(10).
pub(super) fn profile_record(
    config: &CardConfig,
    state: &CardState,
    md: &StoreMetadataRequest,
) -> Result<ProfileRecord, BppError> {
    let refuse = |reason| fail(BppCommand::StoreMetadata, reason);
    if md.iccid.len() != 10 {
        return Err(refuse(ErrorReason::IncorrectInputValues));
    }
    if state.profiles.iter().any(|p| p.iccid == md.iccid) {
        return Err(refuse(ErrorReason::IccidAlreadyExists));
    }
    let class = match md.profile_class.as_ref().map(i32::try_from) {
        None => ProfileClass::Operational,
        Some(Ok(0)) => ProfileClass::Test,
        Some(Ok(1)) => ProfileClass::Provisioning,
        Some(Ok(2)) => ProfileClass::Operational,
        Some(_) => return Err(refuse(ErrorReason::UnsupportedProfileClass)),
    };
    let ppr = md
        .profile_policy_rules
        .as_ref()
        .map_or(0u8, |b| (0..8).filter(|&i| b.get(i).is_some_and(|x| *x)).fold(0, |acc, i| acc | (1 << i)));
    // The RAT allows no PPR yet (GetRAT answers an empty table).
    if ppr & (crate::store::PPR1 | crate::store::PPR2) != 0 {
        return Err(refuse(ErrorReason::PprNotAllowed));
    }
    let slot = (0x10..0x10u8.saturating_add(config.profile_capacity))
        .find(|s| !state.profiles.iter().any(|p| p.slot() == *s))
        .ok_or(fail(BppCommand::LoadProfileElements, ErrorReason::InsufficientMemory))?;
    let mut aid = ISDP_AID_PREFIX.to_vec();
    aid.extend_from_slice(&[slot, 0x00]);
    let notification_config = md
        .notification_configuration_info
        .iter()
        .flatten()
        .map(|n| crate::store::NotificationConfig {
            events: (0..8)
                .filter(|&i| n.profile_management_operation.get(i).is_some_and(|x| *x))
                .fold(0, |acc, i| acc | (1 << i)),
            address: n.notification_address.clone(),
        })
        .collect();
    Ok(ProfileRecord {
        iccid: md.iccid.clone(),
        isdp_aid: aid.into(),
        state: ProfileState::Disabled,
        nickname: None,
        service_provider_name: md.service_provider_name.clone(),
        profile_name: md.profile_name.clone(),
        icon: md.icon_type.clone().zip(md.icon.clone()).map(|(icon_type, data)| crate::store::Icon { icon_type, data }),
        class,
        ppr,
        notification_config,
        owner: md.profile_owner.as_ref().map(|o| crate::store::Owner {
            mcc_mnc: o.mcc_mnc.to_vec().into(),
            gid1: o.gid1.clone(),
            gid2: o.gid2.clone(),
        }),
    })
}
