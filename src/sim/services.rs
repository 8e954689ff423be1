//! What a mirror instance's USIM shows of the services its link allows (`design/mirror.md`:
//! "the USIM of the instance hides what it may not use"). The card cannot stop the network
//! from carrying a service — the operator, told by the mirror notifications, enforces it —
//! but it can tell the ME, with the USIM's own controls (TS 31.102), not to use it:
//!
//! | not allowed | the instance's USIM, as latched |
//! |---|---|
//! | voice or SMS | Fixed Dialling Numbers on and empty: UST service n°2 (FDN) set, EF.EST b1 (FDN enabled) set, every EF.FDN record empty — the ME then places no call and sends no SMS but to emergency numbers (TS 22.101 FDN) |
//! | data | the APN Control List on and empty: UST service n°35 (ACL) set, EF.EST b3 (ACL enabled) set, EF.ACL holding no APN — the ME then opens no PDN connection (TS 31.102 §4.2.48) |
//!
//! The change is made in memory each time the SIM latches the profile (never persisted, so an
//! UPDATE of EF.EST with PIN2 lasts until the next reset at most) and only where the files
//! exist: a package without EF.FDN or EF.ACL gets the service table and EF.EST bits alone.

use super::fs::Tree;
use crate::mirror::asn::service;

/// The 3GPP USIM AID prefix (RID `A000000087`, application code `1002`).
const USIM: [u8; 7] = [0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02];
const EF_UST: u16 = 0x6F38;
const EF_EST: u16 = 0x6F56;
const EF_FDN: u16 = 0x6F3B;
const EF_ACL: u16 = 0x6F57;

/// Applies the table above to `tree` for an instance allowed `services` (`asn::service` bits).
pub(crate) fn restrict(tree: &mut Tree, services: u8) {
    let calls_barred = services & (service::VOICE | service::SMS) != service::VOICE | service::SMS;
    let data_barred = services & service::DATA == 0;
    if !calls_barred && !data_barred {
        return;
    }
    let Some(adf) = tree.adf_by_name(&USIM) else { return };
    let mut set = |fid: u16, byte: usize, bit: u8| {
        if let Some(ef) = tree.child(adf, fid) {
            let mut content = tree.content(ef).to_vec();
            if let Some(b) = content.get_mut(byte) {
                *b |= 1 << bit;
                tree.restore(ef, content);
            }
        }
    };
    if calls_barred {
        set(EF_UST, 0, 1); // service n°2
        set(EF_EST, 0, 0); // b1
    }
    if data_barred {
        set(EF_UST, 4, 2); // service n°35
        set(EF_EST, 0, 2); // b3
    }
    if calls_barred && let Some(fdn) = tree.child(adf, EF_FDN) {
        let empty = alloc::vec![0xFF; tree.content(fdn).len()];
        tree.restore(fdn, empty);
    }
    if data_barred && let Some(acl) = tree.child(adf, EF_ACL) {
        // Number of APNs (0), then nothing: TS 31.102 §4.2.48.
        let mut empty = alloc::vec![0xFF; tree.content(acl).len()];
        if let Some(n) = empty.first_mut() {
            *n = 0;
        }
        tree.restore(acl, empty);
    }
}
