//! Notifications after a download and an enable: list, retrieve (signed), remove —
//! the signatures checked by OpenSSL, not by the code that made them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

use std::process::Command;
use veuicc::asn1::download::{NotificationConfigurationInformation, ProfileInstallationResult};
use veuicc::asn1::rsp::{
    NotificationSearch, ProfileIdentifier, RetrieveNotificationsListRequest, RetrieveNotificationsListResponse,
    RetrieveNotificationsListResult,
};
use veuicc::testkit::lpa::download;
use veuicc::testkit::pki::{default_identity, default_pki};
use veuicc::testkit::smdp::{ProfileToInstall, TestSmdp};
use veuicc::testkit::{Es10Client, TestCard};

const ICCID: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14];

/// (tag, value, whole TLV) of each TLV in `b`.
fn tlvs(mut b: &[u8]) -> Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    let mut out = vec![];
    while !b.is_empty() {
        let mut i = 1;
        if b[0] & 0x1F == 0x1F {
            while b[i] & 0x80 != 0 {
                i += 1;
            }
            i += 1;
        }
        let (len, n) = match b[i] {
            l @ 0..=0x7F => (l as usize, 1),
            0x81 => (b[i + 1] as usize, 2),
            0x82 => (((b[i + 1] as usize) << 8) | b[i + 2] as usize, 3),
            other => panic!("length form {other:02X}"),
        };
        let end = i + n + len;
        out.push((b[..i].to_vec(), b[i + n..end].to_vec(), b[..end].to_vec()));
        b = &b[end..];
    }
    out
}

/// DER `ECDSA-Sig-Value` from raw r ‖ s, written here rather than taken from the crate.
fn der_signature(raw: &[u8]) -> Vec<u8> {
    let int = |x: &[u8]| {
        let x: Vec<u8> = x.iter().copied().skip_while(|b| *b == 0).collect();
        let mut v = if x.first().is_some_and(|b| b & 0x80 != 0) { vec![0] } else { vec![] };
        v.extend(x);
        let mut t = vec![0x02, v.len() as u8];
        t.extend(v);
        t
    };
    let mut body = int(&raw[..32]);
    body.extend(int(&raw[32..]));
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

/// `openssl dgst -sha256 -verify` with the key of CERT.EUICC.
fn openssl_verifies(data: &[u8], raw_signature: &[u8]) -> bool {
    if Command::new("openssl").arg("version").output().is_err() {
        assert!(std::env::var("CI").is_err(), "openssl is required in CI (.ci/run installs it)");
        eprintln!("skipped: openssl not found");
        return true;
    }
    let dir = std::env::temp_dir().join(format!("veuicc-notif-{}-{}", std::process::id(), data.len()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("euicc.der"), default_identity().euicc_cert()).unwrap();
    std::fs::write(dir.join("data"), data).unwrap();
    std::fs::write(dir.join("sig.der"), der_signature(raw_signature)).unwrap();
    let pk = Command::new("openssl")
        .args(["x509", "-inform", "DER", "-in", "euicc.der", "-pubkey", "-noout", "-out", "pk.pem"])
        .current_dir(&dir)
        .status()
        .unwrap();
    assert!(pk.success());
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify", "pk.pem", "-signature", "sig.der", "data"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8_lossy(&out.stdout).contains("Verified OK")
}

fn retrieve(lpa: &mut Es10Client<&mut TestCard>, search: Option<NotificationSearch>) -> Vec<Vec<u8>> {
    let r: RetrieveNotificationsListResponse = lpa.call(&RetrieveNotificationsListRequest::new(search)).unwrap();
    match r.0 {
        RetrieveNotificationsListResult::NotificationList(list) => list.iter().map(|a| a.as_bytes().to_vec()).collect(),
        RetrieveNotificationsListResult::NotificationsListResultError(e) => panic!("error {e}"),
    }
}

#[test]
fn install_and_enable_notifications_are_signed_and_removable() {
    let mut card = TestCard::new(1);
    let mut profile = ProfileToInstall::sample(ICCID, 2000);
    let mut ops = rasn::types::BitString::repeat(false, 3);
    ops.set(1, true); // enable
    ops.set(2, true); // disable
    profile.metadata.notification_configuration_info = Some(vec![NotificationConfigurationInformation {
        profile_management_operation: ops,
        notification_address: "notify.example.com".into(),
    }]);
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 2);
    let installed = download(&mut lpa, &mut smdp, &profile).unwrap();
    assert_eq!(lpa.enable_profile(ProfileIdentifier::Iccid(ICCID.to_vec().into()), false).unwrap(), 0.into());

    let list = lpa.list_notifications().unwrap();
    let seqs: Vec<i64> = list.iter().map(|n| i64::try_from(&n.seq_number).unwrap()).collect();
    assert_eq!(seqs, [1, 2]);
    assert_eq!(list[0].notification_address, "smdp.example.com", "the install goes to the SM-DP+");
    assert_eq!(list[1].notification_address, "notify.example.com", "the enable to the configured address");

    let all = retrieve(&mut lpa, None);
    assert_eq!(all.len(), 2);
    // 1: the PIR exactly as the load returned it; its signature verifies with CERT.EUICC.
    assert_eq!(all[0], installed.pir);
    let pir: ProfileInstallationResult = rasn::der::decode(&all[0]).unwrap();
    assert!(openssl_verifies(pir.profile_installation_result_data.as_bytes(), &pir.euicc_sign_pir), "PIR signature");
    // 2: OtherSignedNotification { BF2F, 5F37, CERT.EUICC, CERT.EUM }.
    let other = &tlvs(&all[1])[0];
    assert_eq!(other.0, [0x30]);
    let parts = tlvs(&other.1);
    assert_eq!(
        parts.iter().map(|p| p.0.clone()).collect::<Vec<_>>(),
        [vec![0xBF, 0x2F], vec![0x5F, 0x37], vec![0x30], vec![0x30]]
    );
    assert_eq!(parts[2].2, default_identity().euicc_cert());
    assert!(openssl_verifies(&parts[0].2, &parts[1].1), "notification signature");
    // A tampered notification does not verify (the check can fail).
    let mut tampered = parts[0].2.clone();
    *tampered.last_mut().unwrap() ^= 1;
    assert!(!openssl_verifies(&tampered, &parts[1].1));

    // The SM-DP+ side (ES9+.HandleNotification) accepts both, and refuses a tampered one.
    assert_eq!(smdp.handle_notification(&all[0]), Ok(1));
    assert_eq!(smdp.handle_notification(&all[1]), Ok(2));
    let mut bad = all[1].clone();
    bad[8] ^= 1;
    assert!(smdp.handle_notification(&bad).is_err());

    // By sequence number (lpac asks one at a time), then removal.
    let one = retrieve(&mut lpa, Some(NotificationSearch::SeqNumber(2.into())));
    // Signatures are deterministic (RFC 6979), so the re-signed notification is the same bytes.
    assert_eq!(one, [all[1].clone()]);
    assert_eq!(lpa.remove_notification(1).unwrap(), 0.into());
    assert_eq!(retrieve(&mut lpa, None).len(), 1);
    assert_eq!(lpa.remove_notification(1).unwrap(), 1.into(), "nothingToDelete");
}
