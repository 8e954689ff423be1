//! StoreMetadata checks: whether the card accepts a profile's metadata, and the
//! [`ProfileRecord`] it becomes (SGP.22 v2.5 §5.5.3 StoreMetadata, §2.9 profile
//! policy rules, §5.7.15 ProfileInfo fields).
//!
//! Run when the `A1` sequence completes, before any profile element is decrypted,
//! so a profile the card will refuse costs no more of the BPP than its metadata.

use crate::asn1::download::{ConfigureIsdpRequest, EnterpriseConfiguration, StoreMetadataRequest, enterprise_rule};
use crate::asn1::rsp::OperatorId;
use crate::config::CardConfig;
use crate::sd::isdp::{BppCommand, BppError, ErrorReason};
use crate::store::{CardState, Enterprise, EnterpriseRules, PPR1, PPR2, ProfileClass, ProfileRecord, ProfileState};

/// ISD-P AIDs: `A0000005591010FFFFFFFF8900 <nn> 00` (SGP.02 Annex H numbering, as real
/// cards do: `…8900001000`, `…8900001100`, …); `nn` starts at `10`.
const ISDP_AID_PREFIX: [u8; 14] = [0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00];

fn fail(command: BppCommand, reason: ErrorReason) -> BppError {
    BppError { command, reason }
}

/// Whether the Rules Authorisation Table lets the profile owner `owner` set the
/// profile policy rules `ppr` (SGP.22 v2.5 §2.9.2.2, the card's reading).
///
/// Each of PPR1 and PPR2 that the metadata sets needs a RAT rule that lists it and
/// names an operator matching `profileOwner` ([`crate::config::OperatorMatch::matches`]:
/// `E` nibbles are wildcards, GIDs compared when the rule has them). Different PPRs
/// may be granted by different rules. A PPR without a `profileOwner` matches no rule.
/// `pprUpdateControl(0)` is not a policy rule and needs no authorisation;
/// `consentRequired` is for the LPA (end-user consent before the download) and does
/// not change the card's answer.
fn pprs_allowed(config: &CardConfig, ppr: u8, owner: Option<&OperatorId>) -> bool {
    [PPR1, PPR2].into_iter().filter(|bit| ppr & bit != 0).all(|bit| {
        owner.is_some_and(|o| {
            config.rat.iter().filter(|rule| rule.ppr_ids & bit != 0).any(|rule| {
                rule.allowed_operators
                    .iter()
                    .any(|m| m.matches(o.mcc_mnc.as_slice(), o.gid1.as_deref(), o.gid2.as_deref()))
            })
        })
    })
}

/// The record a profile with metadata `md` gets on a card in `state`, or the
/// `ErrorResult` that refuses it: ICCID not 10 bytes → incorrectInputValues(1), a
/// `serviceSpecificDataStoredInEuicc` whose veuicc mirror policy is malformed
/// (`mirror::policy_of`) → incorrectInputValues(1),
/// ICCID present → installFailedDueToIccidAlreadyExistsOnEuicc(9), class outside
/// test/provisioning/operational → unsupportedProfileClass(6), a PPR the RAT does
/// not allow for the profile's owner → pprNotAllowed(15) ([`pprs_allowed`]), on a v3 card
/// the enterprise rules ([`enterprise_refusal`]: 17, 22, 18), no free ISD-P slot →
/// insufficient memory(10).
///
/// A v3 card keeps the metadata's hriServerAddress, enterpriseConfiguration and
/// serviceDescription for GetProfilesInfo (a v2.5 card never has them: its loader strips them),
/// and its rpmConfiguration for RPM (a malformed one is incorrectInputValues(1)); the other v3 members
/// (LPA proxy, device change, serviceProviderMessage, estimatedProfileSize) are accepted and ignored.
///
/// The record keeps the `dpProprietaryData` (`B8`) of the BPP's ConfigureISDP command
/// (SGP.22 v2.5 §5.5.2; in v2.5 the field is part of `ConfigureISDPRequest`, not of
/// `StoreMetadataRequest`), so GetProfilesInfo can return it. Stored as the DER of the
/// `DpProprietaryData` SEQUENCE.
pub(super) fn profile_record(
    config: &CardConfig,
    state: &CardState,
    configure: &ConfigureIsdpRequest,
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
    if !pprs_allowed(config, ppr, md.profile_owner.as_ref()) {
        return Err(refuse(ErrorReason::PprNotAllowed));
    }
    let v3 = config.sgp22.is_v3();
    let enterprise = if v3 { md.enterprise_configuration.as_ref() } else { None };
    if let Some(reason) = enterprise_refusal(config, state, enterprise) {
        return Err(refuse(reason));
    }
    let service_specific_data = match &md.service_specific_data_stored_in_euicc {
        None => None,
        Some(list) => {
            let der = rasn::der::encode(list).map_err(|_| refuse(ErrorReason::IncorrectInputValues))?;
            // A mirror policy under veuicc's OID must be well formed; other vendors' data is
            // kept as received and never read.
            if crate::mirror::policy_of(&der).is_err() {
                return Err(refuse(ErrorReason::IncorrectInputValues));
            }
            Some(der.into())
        }
    };
    // v3 RPM: the configuration must be an RpmConfiguration; it is kept as its DER.
    let rpm_configuration = match md.rpm_configuration.as_ref().filter(|_| v3) {
        None => None,
        Some(raw) => Some(rpm_configuration_der(raw.as_bytes()).ok_or(refuse(ErrorReason::IncorrectInputValues))?),
    };
    // v3 Device Change: the configuration must be a DeviceChangeConfiguration; kept as its DER.
    let device_change_configuration = match md.device_change_configuration.as_ref().filter(|_| v3) {
        None => None,
        Some(raw) => {
            Some(device_change_configuration_der(raw.as_bytes()).ok_or(refuse(ErrorReason::IncorrectInputValues))?)
        }
    };
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
        service_provider_name: md.service_provider_name.as_str().into(),
        profile_name: md.profile_name.as_str().into(),
        icon: md.icon_type.clone().zip(md.icon.clone()).map(|(icon_type, data)| crate::store::Icon { icon_type, data }),
        class,
        ppr,
        notification_config,
        owner: md.profile_owner.as_ref().map(|o| crate::store::Owner {
            mcc_mnc: o.mcc_mnc.to_vec().into(),
            gid1: o.gid1.clone(),
            gid2: o.gid2.clone(),
        }),
        dp_proprietary_data: configure
            .dp_proprietary_data
            .as_ref()
            .and_then(|d| rasn::der::encode(d).ok())
            .map(Into::into),
        port: None,
        hri_server_address: md.hri_server_address.clone().filter(|_| v3),
        enterprise: enterprise.map(|e| Enterprise {
            oid: e.enterprise_oid.clone(),
            name: e.enterprise_name.as_str().into(),
            rules: e.enterprise_rules.as_ref().map(|r| EnterpriseRules {
                bits: r.enterprise_rule_bits.clone(),
                non_enterprise_profiles: r.number_of_non_enterprise_profiles.clone(),
            }),
        }),
        service_description: md.service_description.clone().filter(|_| v3),
        service_specific_data,
        rpm_configuration: rpm_configuration.map(Into::into),
        device_change_configuration: device_change_configuration.map(Into::into),
    })
}

/// The DER of the `DeviceChangeConfiguration` CHOICE `der` (the `BF20` value), if it is one.
fn device_change_configuration_der(der: &[u8]) -> Option<alloc::vec::Vec<u8>> {
    let parsed: crate::asn1::dc::DeviceChangeConfiguration = rasn::der::decode(der).ok()?;
    rasn::der::encode(&parsed).ok()
}

/// The DER of the `RpmConfiguration` whose content (the `BA` value) is `content`, if it is one.
pub(super) fn rpm_configuration_der(content: &[u8]) -> Option<alloc::vec::Vec<u8>> {
    let der = crate::asn1::tlv::tlv(&[0x30], content);
    let parsed: crate::asn1::rpm::RpmConfiguration = rasn::der::decode(&der).ok()?;
    rasn::der::encode(&parsed).ok()
}

/// Why a v3 card refuses a profile for its enterpriseConfiguration `enterprise` (or its
/// absence), if it does. The card's reading of the enterprise rules (the SGP.22 v3 prose is not
/// at hand; only what the ASN.1 names say unambiguously, each rule as one check):
/// * a card configured without Enterprise Profiles ([`CardConfig::enterprise_profiles`])
///   refuses any enterpriseConfiguration: `enterpriseProfilesNotSupported(17)`;
/// * while an installed profile holds the reference enterprise rule
///   (`referenceEnterpriseRule(0)`, enabled or not) with `onlyEnterpriseProfilesCanBeInstalled(2)`,
///   a profile without enterpriseConfiguration is refused: `enterpriseProfilesOnly(22)`;
/// * the reference enterprise rule is one per eUICC: a profile carrying it while an installed
///   one does is refused: `enterpriseRulesNotAllowed(18)`.
///
/// Not enforced (their meaning needs the prose): `priorityEnterpriseProfile(1)`, and the other
/// v3 enterprise codes (enterpriseProfileNotAllowed(19), enterpriseOidMismatch(20),
/// enterpriseRulesError(21)). The device's own enterprise capability (an LPA matter) is not
/// the card's to check.
fn enterprise_refusal(
    config: &CardConfig,
    state: &CardState,
    enterprise: Option<&EnterpriseConfiguration>,
) -> Option<ErrorReason> {
    if !config.sgp22.is_v3() {
        return None;
    }
    if !config.enterprise_profiles {
        return enterprise.is_some().then_some(ErrorReason::EnterpriseProfilesNotSupported);
    }
    let reference = state.profiles.iter().find_map(ProfileRecord::reference_enterprise_rules);
    if enterprise.is_none() && reference.is_some_and(|r| r.has(enterprise_rule::ONLY_ENTERPRISE_PROFILES)) {
        return Some(ErrorReason::EnterpriseProfilesOnly);
    }
    let carries_reference = enterprise
        .and_then(|e| e.enterprise_rules.as_ref())
        .is_some_and(|r| r.enterprise_rule_bits.get(enterprise_rule::REFERENCE).is_some_and(|b| *b));
    if carries_reference && reference.is_some() {
        return Some(ErrorReason::EnterpriseRulesNotAllowed);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asn1::download::DpProprietaryData;
    use crate::config::Eid;
    use alloc::vec;
    use rasn::types::ObjectIdentifier;

    #[test]
    fn dp_proprietary_data_comes_from_configure_isdp() {
        let config = CardConfig::new(Eid::parse("89049032123451234512345678901235").unwrap());
        let md = StoreMetadataRequest::new(vec![0x98; 10], "SP", "Name");
        let plain = profile_record(&config, &CardState::default(), &ConfigureIsdpRequest::default(), &md).unwrap();
        assert_eq!(plain.dp_proprietary_data, None);
        let mut configure = ConfigureIsdpRequest::default();
        let oid = ObjectIdentifier::new(vec![2, 999, 10]).unwrap();
        configure.dp_proprietary_data = Some(DpProprietaryData::new(oid));
        let record = profile_record(&config, &CardState::default(), &configure, &md).unwrap();
        // SEQUENCE { OBJECT IDENTIFIER 2.999.10 }
        assert_eq!(record.dp_proprietary_data.as_deref(), Some(&[0x30, 0x05, 0x80, 0x03, 0x88, 0x37, 0x0A][..]));
    }
}
