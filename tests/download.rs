//! The SGP.22 profile download end to end over APDUs: test SM-DP+ ↔ LPA driver ↔ card.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

use veuicc::store::{NotificationEvent, ProfileState, Store};
use veuicc::testkit::lpa::{DownloadError, download};
use veuicc::testkit::pki::default_pki;
use veuicc::testkit::smdp::{Break, ProfileToInstall, TestSmdp};
use veuicc::testkit::{Es10Client, TestCard};

const ICCID: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14];

#[test]
fn download_installs_a_profile() {
    for (size, rsk) in [(3000, false), (12_000, true)] {
        let mut card = TestCard::new(1);
        let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 2);
        let mut profile = ProfileToInstall::sample(ICCID, size);
        profile.replace_session_keys = rsk;
        let mut lpa = Es10Client::open(&mut card).unwrap();
        let installed = download(&mut lpa, &mut smdp, &profile).unwrap();
        lpa.close().unwrap();
        assert_eq!(installed.isdp_aid, hex::decode("A0000005591010FFFFFFFF8900001000"));
        let state = card.0.state();
        assert_eq!(state.profiles.len(), 1);
        let p = &state.profiles[0];
        assert_eq!(p.iccid.as_ref(), ICCID);
        assert_eq!(p.state, ProfileState::Disabled, "a new profile is disabled");
        assert_eq!(p.profile_name, "veuicc test profile");
        // The install notification carries the PIR exactly as sent.
        let n = &state.notifications[0];
        assert_eq!((n.event, n.address.as_str()), (NotificationEvent::Install, "smdp.example.com"));
        assert_eq!(n.pir.as_deref(), Some(&installed.pir[..]));
        // The package is stored byte for byte.
        let store = Store::open(card.storage()).unwrap();
        assert_eq!(store.get("u.10"), Some(&profile.upp[..]), "size {size} rsk {rsk}");
    }
}

mod hex {
    pub(super) fn decode(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }
}

#[test]
fn every_download_error_code() {
    let cases: &[(Break, DownloadError)] = &[
        (Break::ServerSignature1, DownloadError::Authenticate(2)),
        (Break::EuiccChallenge, DownloadError::Authenticate(6)),
        (Break::CiPkId, DownloadError::Authenticate(7)),
        (Break::ServerCertificateRole, DownloadError::Authenticate(5)),
        (Break::TransactionId, DownloadError::Prepare(5)),
        (Break::SmdpSignature2, DownloadError::Prepare(2)),
        (Break::DpPbCertificateRole, DownloadError::Prepare(1)),
        (Break::ConfirmationCode, DownloadError::Prepare(127)),
        (Break::SmdpSign, DownloadError::Install { command: 0, reason: 2 }),
        (Break::BppTransactionId, DownloadError::Install { command: 0, reason: 3 }),
        (Break::CrtValues, DownloadError::Install { command: 0, reason: 4 }),
        (Break::MetadataMac, DownloadError::Install { command: 2, reason: 8 }),
        (Break::ProfileSegment, DownloadError::Install { command: 5, reason: 8 }),
    ];
    for (broken, expected) in cases {
        let mut card = TestCard::new(1);
        let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 2);
        smdp.broken = Some(*broken);
        let mut lpa = Es10Client::open(&mut card).unwrap();
        let got = download(&mut lpa, &mut smdp, &ProfileToInstall::sample(ICCID, 2500));
        lpa.close().unwrap();
        assert_eq!(got.as_ref().err(), Some(expected), "{broken:?}");
        assert!(card.0.state().profiles.is_empty(), "{broken:?}: nothing installed");
        // A failed load leaves exactly its PIR as a notification; earlier failures leave nothing.
        let pirs = card.0.state().notifications.len();
        assert_eq!(pirs, usize::from(matches!(expected, DownloadError::Install { .. })), "{broken:?}");
        // The next download works.
        let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 3);
        let mut lpa = Es10Client::open(&mut card).unwrap();
        download(&mut lpa, &mut smdp, &ProfileToInstall::sample(ICCID, 2500))
            .unwrap_or_else(|e| panic!("{broken:?}: retry {e}"));
    }
}

#[test]
fn iccid_already_installed() {
    let mut card = TestCard::new(1);
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let profile = ProfileToInstall::sample(ICCID, 2000);
    download(&mut lpa, &mut TestSmdp::new(default_pki(), "smdp.example.com", 2), &profile).unwrap();
    let err = download(&mut lpa, &mut TestSmdp::new(default_pki(), "smdp.example.com", 3), &profile).unwrap_err();
    assert_eq!(err, DownloadError::Install { command: 2, reason: 9 });
}
