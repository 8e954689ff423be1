//! Mirror instances: one subscription on several eUICCs (issue #19; the design is the
//! project's `design/mirror.md`).
//!
//! * `Mirror.asn` — the ASN.1 module `VeuiccMirror`, the reference for every encoder: the
//!   operator's [`asn::MirrorPolicy`], the signed token, request, link updates, and the
//!   private-class functions `FF40` … `FF4D` (STORE DATA to the ISD-R, like ES10).
//! * [`asn`] — its rasn types.
//! * [`record`] — what a card keeps: the record `mirror.p<slot>` ([`record::MirrorKind`]) of a
//!   profile: its tokens and links (primary), its mirror-instance facts (secondary; later).
//! * [`policy_of`] — the policy a profile's `serviceSpecificDataStoredInEuicc` carries.
//!
//! The card's handlers are in `sd::isdr::mirror`. Mirror support is always on: the
//! private-class tags cannot collide with a GSMA tag, and a profile without a policy cannot be
//! mirrored, so a card that is never asked behaves exactly as before.

pub mod asn;
pub mod record;

use alloc::vec::Vec;
use rasn::prelude::*;

/// One entry of `VendorSpecificExtension` as the card reads it (the SGP.22 type, redefined
/// here with the `vendorOid` kept as raw OID content octets).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
pub struct VendorData {
    /// `vendorOid [0] OBJECT IDENTIFIER` — its content octets.
    #[rasn(tag(context, 0))]
    pub vendor_oid: OctetString,
    /// `vendorSpecificData [1] ANY` (explicit).
    #[rasn(tag(explicit(context, 1)))]
    pub vendor_specific_data: Any,
}

/// Why a `serviceSpecificDataStoredInEuicc` is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedPolicy;

/// The mirror policy in `service_specific_data` (the DER of a `VendorSpecificExtension`, a
/// SEQUENCE OF): `Ok(None)` when no entry carries our OID (foreign vendors' entries are kept
/// and ignored), `Err` when ours does not decode or makes no sense (a zero validity or
/// re-authentication interval), or when it appears twice.
pub fn policy_of(service_specific_data: &[u8]) -> Result<Option<asn::MirrorPolicy>, MalformedPolicy> {
    let entries: Vec<VendorData> = rasn::der::decode(service_specific_data).map_err(|_| MalformedPolicy)?;
    let mut ours = entries.iter().filter(|e| e.vendor_oid.as_ref() == asn::MIRROR_POLICY_OID);
    let Some(entry) = ours.next() else { return Ok(None) };
    if ours.next().is_some() {
        return Err(MalformedPolicy);
    }
    let policy: asn::MirrorPolicy =
        rasn::der::decode(entry.vendor_specific_data.as_bytes()).map_err(|_| MalformedPolicy)?;
    if policy.max_token_validity == 0 || policy.reauth_interval == 0 || asn::services_of(&policy.services).is_none() {
        return Err(MalformedPolicy);
    }
    Ok(Some(policy))
}

/// The `VendorSpecificExtension` entry an SM-DP+ attaches for `policy` (test SM-DP+ side).
pub fn policy_entry(policy: &asn::MirrorPolicy) -> Result<VendorData, rasn::error::EncodeError> {
    Ok(VendorData {
        vendor_oid: asn::MIRROR_POLICY_OID.to_vec().into(),
        vendor_specific_data: Any::new(rasn::der::encode(policy)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn policy() -> asn::MirrorPolicy {
        asn::MirrorPolicy {
            max_instances: asn::MaxInstances::Limited(3),
            services: asn::services_bits(asn::service::ALL),
            max_token_validity: 86400,
            reauth_interval: 90 * 86400,
            transfer_allowed: false,
            suspend_while_roaming: true,
        }
    }

    fn list(entries: &[VendorData]) -> Vec<u8> {
        rasn::der::encode(&entries.to_vec()).unwrap()
    }

    fn foreign() -> VendorData {
        // 2.999.1, an INTEGER.
        VendorData { vendor_oid: vec![0x88, 0x37, 0x01].into(), vendor_specific_data: Any::new(vec![0x02, 0x01, 0x05]) }
    }

    #[test]
    fn our_entry_among_others() {
        assert_eq!(policy_of(&list(&[])), Ok(None));
        assert_eq!(policy_of(&list(&[foreign()])), Ok(None), "foreign data is ignored");
        let ours = policy_entry(&policy()).unwrap();
        assert_eq!(policy_of(&list(&[foreign(), ours.clone()])), Ok(Some(policy())));
        assert_eq!(policy_of(&list(&[ours.clone(), ours.clone()])), Err(MalformedPolicy), "twice");
        let mut bad = ours.clone();
        bad.vendor_specific_data = Any::new(vec![0x02, 0x01, 0x05]);
        assert_eq!(policy_of(&list(&[bad])), Err(MalformedPolicy));
        let mut zero = policy();
        zero.reauth_interval = 0;
        assert_eq!(policy_of(&list(&[policy_entry(&zero).unwrap()])), Err(MalformedPolicy));
        assert_eq!(policy_of(&[0x30, 0x03, 0x02]), Err(MalformedPolicy), "not even a list");
    }

    #[test]
    fn the_entry_is_sgp22s_vendor_specific_extension() {
        // SEQUENCE { 80 <22 octets of OID content> A1 { MirrorPolicy } }
        let der = rasn::der::encode(&policy_entry(&policy()).unwrap()).unwrap();
        assert_eq!(der.get(..4), Some(&[0x30, der[1], 0x80, 22][..]));
        assert_eq!(der.get(4..26), Some(&asn::MIRROR_POLICY_OID[..]));
        assert_eq!(der.get(26), Some(&0xA1));
        let sgp22: crate::asn1::download::VendorSpecificData = rasn::der::decode(&der).unwrap();
        assert_eq!(sgp22.vendor_oid.as_ref(), &asn::MIRROR_POLICY_OID[..]);
    }
}
