//! Security domains: the ISD-R, the ECASD (and, with the download issue, one ISD-P per
//! profile). The ISD-R and the ECASD are applications ([`crate::app::App`]).

pub mod bpp;
pub mod ecasd;
pub mod isdp;
pub mod isdr;

use crate::asn1::tlv::tlv;
use alloc::vec::Vec;

/// The FCI template a security domain returns to SELECT (GP CS §11.9.3.1); the ISD-R adds
/// `proprietary` (SGP.22 v2.5: `E0` ISDRProprietaryApplicationTemplate with its SVN).
///
/// ```text
/// 6F { 84 <AID>, A5 { 9F65 01 FF }, [proprietary] }
/// ```
pub(crate) fn fci(aid: &[u8], proprietary: &[u8]) -> Vec<u8> {
    let mut body = tlv(&[0x84], aid);
    body.extend(tlv(&[0xA5], &tlv(&[0x9F, 0x65], &[0xFF])));
    body.extend_from_slice(proprietary);
    tlv(&[0x6F], &body)
}
