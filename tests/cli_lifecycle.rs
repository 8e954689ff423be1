//! `veuicc profiles|enable|disable|delete|nickname|notifications|memory-reset` on a
//! state directory, each going through APDUs like an LPA.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

mod support;
use support::veuicc;

use veuicc::host::fs_storage::DirStorage;
use veuicc::store::{CardState, NotificationConfig, PPR2, ProfileClass, ProfileRecord, ProfileState, Store, Txn};

fn profile(iccid: &[u8], slot: u8, state: ProfileState, ppr: u8) -> ProfileRecord {
    let mut aid = vec![0xA0, 0, 0, 5, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0, 0, 0x10, 0];
    aid[14] = slot;
    ProfileRecord {
        iccid: iccid.to_vec().into(),
        isdp_aid: aid.into(),
        state,
        nickname: None,
        service_provider_name: "Operator".into(),
        profile_name: format!("Profile {slot:02X}"),
        icon: None,
        class: ProfileClass::Operational,
        ppr,
        notification_config: vec![NotificationConfig { events: 0b1110, address: "smdp.example.com".into() }],
        owner: None,
        dp_proprietary_data: None,
        port: None,
        hri_server_address: None,
        enterprise: None,
        service_description: None,
        service_specific_data: None,
        rpm_configuration: None,
        device_change_configuration: None,
    }
}

#[test]
fn lifecycle_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("veuicc-cli-lc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    {
        // 8900012345678901234 (19 digits) and 89000123456789012350.
        let state = CardState {
            profiles: vec![
                profile(&[0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0xF4], 0x10, ProfileState::Enabled, 0),
                profile(
                    &[0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x05],
                    0x11,
                    ProfileState::Disabled,
                    PPR2,
                ),
            ],
            ..CardState::default()
        };
        let mut storage = DirStorage::open(&dir).unwrap();
        let mut store = Store::open(&mut storage).unwrap();
        let mut txn = Txn::new();
        CardState::default().diff_into::<()>(&state, &mut txn).unwrap();
        store.commit(&mut storage, txn).unwrap();
    }
    let d = dir.to_str().unwrap();
    let (code, out, _) = veuicc(&["profiles", "--state", d, "--json"]);
    assert_eq!(code, 0);
    assert_eq!(
        out.trim(),
        r#"[{"iccid":"8900012345678901234","isdp_aid":"A0000005591010FFFFFFFF8900001000","state":"enabled","nickname":"","service_provider":"Operator","name":"Profile 10","class":"operational","port":0},{"iccid":"89000123456789012350","isdp_aid":"A0000005591010FFFFFFFF8900001100","state":"disabled","nickname":"","service_provider":"Operator","name":"Profile 11","class":"operational","port":null}]"#
    );
    // Result codes become names and a non-zero exit.
    let (code, _, err) = veuicc(&["enable", "--state", d, "8900012345678901234"]);
    assert_eq!((code, err.trim()), (1, "veuicc: profileNotInDisabledState (2)"));
    let (code, _, err) = veuicc(&["delete", "--state", d, "89000123456789012350"]);
    assert_eq!((code, err.trim()), (1, "veuicc: disallowedByPolicy (3)"));
    let (code, _, err) = veuicc(&["disable", "--state", d, "89000000000000000000"]);
    assert_eq!((code, err.trim()), (1, "veuicc: iccidOrAidNotFound (1)"));
    assert_eq!(veuicc(&["enable", "--state", d, "12ab"]).0, 2, "bad argument");
    // Switch by ISD-P AID, name it, look at the notifications, remove one.
    assert_eq!(veuicc(&["enable", "--state", d, "A0000005591010FFFFFFFF8900001100"]).0, 0);
    assert_eq!(veuicc(&["nickname", "--state", d, "89000123456789012350", "travel"]).0, 0);
    let (_, out, _) = veuicc(&["profiles", "--state", d]);
    assert!(out.contains("enabled   operational   travel"), "{out}");
    let (code, out, _) = veuicc(&["notifications", "--state", d, "--json"]);
    assert_eq!(code, 0);
    assert_eq!(
        out.trim(),
        r#"[{"seq":1,"event":"disable","iccid":"8900012345678901234","address":"smdp.example.com"},{"seq":2,"event":"enable","iccid":"89000123456789012350","address":"smdp.example.com"}]"#
    );
    assert_eq!(veuicc(&["notifications", "--state", d, "--remove", "1"]).0, 0);
    let (code, _, err) = veuicc(&["notifications", "--state", d, "--remove", "1"]);
    assert_eq!((code, err.trim()), (1, "veuicc: nothingToDelete (1)"));
    // Memory reset: operational profiles go, PPRs or not.
    assert_eq!(veuicc(&["memory-reset", "--state", d, "--operational"]).0, 0);
    assert_eq!(veuicc(&["profiles", "--state", d]).1.trim(), "no profiles");
    let (code, _, err) = veuicc(&["memory-reset", "--state", d, "--operational"]);
    assert_eq!((code, err.trim()), (1, "veuicc: nothingToDelete (1)"));
    std::fs::remove_dir_all(&dir).unwrap();
}
