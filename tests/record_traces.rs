//! The recorder of the `apdu-traces/` corpus. Every trace is recorded from a card built the
//! way the replayer builds it (`testkit::replay::CardSpec`: seeded RNG, manual clock, the
//! embedded identity), so it replays byte for byte:
//!
//! * through the test kit's `Es10Client` and LPA download driver (`source testkit …`);
//! * through the real lpac over the stdio bridge (`host::lpac::bridge`, `source lpac 2.3.0 …`;
//!   needs `VEUICC_LPAC`, see `tests/lpac_real.rs`);
//! * through the vpcd adapter's message handler (`host::vpcd::answer`: power, ATR, reset, the
//!   refresh reset; `source vpcd …`);
//! * raw command lists written by hand, each with the status word it must get, checked here
//!   as it is recorded (`source hand-written …`).
//!
//! `VEUICC_RECORD_TRACES=1 cargo test --test record_traces` rewrites the recorded files
//! (without it the test does nothing); then `cargo test --test replay` checks them.
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
use support::enable_profile;

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use veuicc::asn1::rsp::ProfileIdentifier;
use veuicc::host::trace::{Trace, TracedCard};
use veuicc::host::vpcd::{Message, Session, answer};
use veuicc::testkit::lpa::download;
use veuicc::testkit::pki::default_pki;
use veuicc::testkit::replay::{CardSpec, ProfileSpec, iccid_bytes};
use veuicc::testkit::smdp::{Break, ProfileToInstall, TestSmdp};
use veuicc::testkit::{Es10Client, TestPlatform};

type Traced<'a> = TracedCard<'a, TestPlatform>;

const ICCID1: &str = "89000123456789012341";
const ICCID2: &str = "8944000000000000012";

fn out_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("apdu-traces")
}

fn profile(iccid: &str, enabled: bool) -> ProfileSpec {
    ProfileSpec { iccid: iccid.into(), enabled, class: 2, size: 1500, no_notify: false }
}

fn spec(profiles: Vec<ProfileSpec>) -> CardSpec {
    CardSpec { profiles, ..CardSpec::default() }
}

/// Records one session: `run` drives the card through a [`TracedCard`].
fn record(path: &str, about: &str, source: &str, spec: &CardSpec, run: impl FnOnce(&mut Traced<'_>)) {
    let file = out_dir().join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    // The corpus is test data (the test kit's PINs and keys): written as is, to replay.
    let mut trace = Some(Trace::create(&file, &format!("apdu-traces/{path}")).unwrap().with_secrets());
    spec.write_header(&mut trace, about, source);
    let mut card = spec.build().unwrap();
    let mut t = TracedCard { card: card.mem().unwrap(), trace };
    run(&mut t);
}

fn id(iccid: &str) -> ProfileIdentifier {
    ProfileIdentifier::Iccid(iccid_bytes(iccid).unwrap().to_vec().into())
}

fn hexd(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// ES10 requests (DER hex) through an `Es10Client` on a logical channel, as lpac sends them.
fn es10<'r>(requests: &'r [&'r str]) -> impl FnOnce(&mut Traced<'_>) + 'r {
    move |t| {
        let mut lpa = Es10Client::open(&mut *t).unwrap();
        for r in requests {
            lpa.store_data(&hexd(r)).unwrap();
        }
        lpa.close().unwrap();
    }
}

/// Raw APDUs, each with the status word it must get (checked while recording) and a comment.
fn raw(steps: &'static [(&'static str, &'static str, u16)]) -> impl FnOnce(&mut Traced<'_>) {
    move |t| {
        for (comment, apdu, sw) in steps {
            if apdu.starts_with('!') {
                match *apdu {
                    "!reset" => drop(t.reset()),
                    "!cycle" => {
                        t.power_off();
                        t.power_on();
                    }
                    other => panic!("{other}"),
                }
                continue;
            }
            t.comment(&format!("{comment} (expect {sw:04X})"));
            let r = t.transmit(&hexd(apdu));
            let got = u16::from_be_bytes([r[r.len() - 2], r[r.len() - 1]]);
            let ok = if *sw & 0xFF == 0xFF { got >> 8 == sw >> 8 } else { got == *sw };
            if !ok {
                println!("MISMATCH {comment}: {apdu} answered {got:04X}, expected {sw:04X}");
            }
        }
    }
}

/// A raw trace: name, what it shows, (comment, APDU or `!reset`/`!cycle`, status word) steps.
type RawCase = (&'static str, &'static str, &'static [(&'static str, &'static str, u16)]);

const SELECT_ISDR: &str = "00A4040010A0000005591010FFFFFFFF8900000100";

fn smdp() -> TestSmdp {
    TestSmdp::new(default_pki(), "smdp.example.com", 7)
}

fn record_es10_info() {
    let src =
        "testkit Es10Client (the frames lpac sends: MANAGE CHANNEL, SELECT ISD-R, STORE DATA without Le, GET RESPONSE)";
    let empty = spec(vec![]);
    let two = spec(vec![profile(ICCID1, true), profile(ICCID2, false)]);
    let cases: &[(&str, &str, &CardSpec, &[&str])] = &[
        ("get-eid", "ES10c.GetEID on a fresh card", &empty, &["BF3E035C015A"]),
        ("euicc-info1", "ES10b.GetEUICCInfo1: SVN, CI PKIDs for verification and signing", &empty, &["BF2000"]),
        ("euicc-info2", "ES10b.GetEUICCInfo2: the whole EUICCInfo2, several GET RESPONSE blocks", &empty, &["BF2200"]),
        (
            "configured-addresses",
            "ES10a.GetEuiccConfiguredAddresses: no default SM-DP+, the root SM-DS",
            &empty,
            &["BF3C00"],
        ),
        (
            "set-default-dp-address",
            "ES10a.SetDefaultDpAddress then GetEuiccConfiguredAddresses shows it",
            &empty,
            &["BF3F128010736D64702E6578616D706C652E6F7267", "BF3C00"],
        ),
        ("get-rat", "ES10b.GetRAT: the Rules Authorisation Table", &empty, &["BF4300"]),
        (
            "challenge",
            "ES10b.GetEUICCChallenge twice: a new challenge from the card's seeded RNG each time",
            &empty,
            &["BF2E00", "BF2E00"],
        ),
        ("profiles-empty", "ES10c.GetProfilesInfo on a card without profiles", &empty, &["BF2D00"]),
        ("profiles-two", "ES10c.GetProfilesInfo with one enabled and one disabled profile", &two, &["BF2D00"]),
        (
            "profiles-tag-list",
            "ES10c.GetProfilesInfo asking only for ICCID, state and name (tag list 5C)",
            &two,
            &["BF2D065C045A9F7092"],
        ),
        (
            "profiles-by-iccid",
            "ES10c.GetProfilesInfo searching one ICCID",
            &two,
            &["BF2D0EA00C5A0A98001032547698103214"],
        ),
        (
            "profiles-by-aid",
            "ES10c.GetProfilesInfo searching an ISD-P AID",
            &two,
            &["BF2D14A0124F10A0000005591010FFFFFFFF8900001000"],
        ),
        (
            "lpac-chip-info-sequence",
            "the ES10 requests of `lpac chip info` in its order: EID, addresses, EUICCInfo2",
            &empty,
            &["BF3E035C015A", "BF3C00", "BF2200"],
        ),
    ];
    for (name, about, spec, reqs) in cases {
        record(&format!("es10-info/{name}.trace"), about, src, spec, es10(reqs));
    }
    let pki =
        CardSpec { identity: veuicc::testkit::replay::IdentitySpec::Pki { seed: 3, card: 1 }, ..CardSpec::default() };
    record(
        "es10-info/pki-card-eid.trace",
        "GetEID and EUICCInfo1 of card 1 of the test PKI with seed 3 (not the embedded identity)",
        src,
        &pki,
        es10(&["BF3E035C015A", "BF2000"]),
    );
}

fn record_download() {
    let src = "testkit LPA download driver (lpac's order and BPP cuts) against the test SM-DP+ (seed 7)";
    let iccid = iccid_bytes(ICCID1).unwrap();
    let ok: &[(&str, &str, usize, bool, Option<i64>)] = &[
        (
            "install-small",
            "a whole download: challenge, EUICCInfo1, AuthenticateServer, PrepareDownload, a 1.5 KB BPP, PIR",
            1500,
            false,
            None,
        ),
        ("install-12k", "a 12 KB BPP in lpac's cuts", 12_000, false, None),
        ("install-rsk", "a 3 KB BPP protected with ReplaceSessionKeys (PPK)", 3000, true, None),
        ("install-provisioning-class", "a Provisioning-class profile (profileClass 1)", 1500, false, Some(1)),
    ];
    for (name, about, size, rsk, class) in ok {
        record(&format!("download/{name}.trace"), about, src, &spec(vec![]), |t| {
            let mut lpa = Es10Client::open(&mut *t).unwrap();
            let mut p = ProfileToInstall::sample(iccid, *size);
            p.replace_session_keys = *rsk;
            if let Some(c) = class {
                p.metadata.profile_class = Some((*c).into());
            }
            download(&mut lpa, &mut smdp(), &p).unwrap_or_else(|e| panic!("{name}: {e}"));
            lpa.store_data(&hexd("BF2D00")).unwrap();
            lpa.close().unwrap();
        });
    }
    record(
        "download/error-test-class-keys.trace",
        "a Test-class profile (profileClass 0) whose package does not carry the test NAA keys: PIR testProfileInstallFailedDueToInvalidNaaKey (14)",
        src,
        &spec(vec![]),
        |t| {
            let mut lpa = Es10Client::open(&mut *t).unwrap();
            let mut p = ProfileToInstall::sample(iccid, 1500);
            p.metadata.profile_class = Some(0.into());
            let e = download(&mut lpa, &mut smdp(), &p).unwrap_err();
            assert_eq!(e.to_string(), "install failed: bppCommandId 5, errorReason 14");
            lpa.close().unwrap();
        },
    );
    record(
        "download/install-second.trace",
        "a second profile next to a preinstalled one: ISD-P AID ...1100",
        src,
        &spec(vec![profile(ICCID2, true)]),
        |t| {
            let mut lpa = Es10Client::open(&mut *t).unwrap();
            download(&mut lpa, &mut smdp(), &ProfileToInstall::sample(iccid, 1500)).unwrap();
            lpa.close().unwrap();
        },
    );
    let broken: &[(&str, Break, &str)] = &[
        (
            "error-server-signature1",
            Break::ServerSignature1,
            "AuthenticateServer: serverSignature1 wrong → invalidSignature (2), then CancelSession",
        ),
        (
            "error-euicc-challenge",
            Break::EuiccChallenge,
            "AuthenticateServer: another euiccChallenge → eUICCChallengeNotMatching? no: euiccChallenge mismatch (6)",
        ),
        ("error-ci-pkid", Break::CiPkId, "AuthenticateServer: an unknown CI PKID → ciPKUnknown (7)"),
        (
            "error-server-cert-role",
            Break::ServerCertificateRole,
            "AuthenticateServer: CERT.DPauth with the wrong role → invalidCertificate (5)",
        ),
        (
            "error-transaction-id",
            Break::TransactionId,
            "PrepareDownload: another transactionId → invalidTransactionId (5)",
        ),
        (
            "error-smdp-signature2",
            Break::SmdpSignature2,
            "PrepareDownload: smdpSignature2 wrong → invalidSignature (2)",
        ),
        ("error-smdp-sign", Break::SmdpSign, "InitialiseSecureChannel: smdpSign wrong → PIR with invalidSignature"),
        (
            "error-metadata-mac",
            Break::MetadataMac,
            "StoreMetadata segment with a bad MAC → PIR with invalidMac (bppCommandId 2)",
        ),
        (
            "error-profile-segment",
            Break::ProfileSegment,
            "a profile-element segment with a bad MAC → PIR with invalidMac (bppCommandId 5)",
        ),
        (
            "error-smdp-otpk",
            Break::SmdpOtpk,
            "InitialiseSecureChannel: otPK.DP.ECKA not on the curve → PIR (errorReason 1)",
        ),
    ];
    for (name, b, about) in broken {
        let about = about
            .replace("→ eUICCChallengeNotMatching? no: euiccChallenge mismatch (6)", "→ eUICCChallengeNotMatching (6)");
        record(&format!("download/{name}.trace"), &about, src, &spec(vec![]), |t| {
            let mut s = smdp();
            s.broken = Some(*b);
            let mut lpa = Es10Client::open(&mut *t).unwrap();
            assert!(download(&mut lpa, &mut s, &ProfileToInstall::sample(iccid, 2500)).is_err());
            lpa.close().unwrap();
        });
    }
}

fn record_lifecycle() {
    let src = "testkit Es10Client (lpac's frames)";
    let one = spec(vec![profile(ICCID1, false)]);
    let on = spec(vec![profile(ICCID1, true)]);
    let two = spec(vec![profile(ICCID1, true), profile(ICCID2, false)]);
    let op = |f: fn(&mut Es10Client<&mut Traced<'_>>)| {
        move |t: &mut Traced<'_>| {
            let mut lpa = Es10Client::open(&mut *t).unwrap();
            f(&mut lpa);
            lpa.close().unwrap();
        }
    };
    record(
        "lifecycle/enable.trace",
        "EnableProfile by ICCID without refresh: ok (0), then GetProfilesInfo",
        src,
        &one,
        op(|l| {
            assert_eq!(l.enable_profile(id(ICCID1), false).unwrap(), 0.into());
            l.store_data(&hexd("BF2D00")).unwrap();
        }),
    );
    record(
        "lifecycle/enable-refresh.trace",
        "EnableProfile with refreshFlag: ok (0); the card asks for a refresh",
        src,
        &one,
        op(|l| {
            assert_eq!(l.enable_profile(id(ICCID1), true).unwrap(), 0.into());
        }),
    );
    record(
        "lifecycle/enable-already-enabled.trace",
        "EnableProfile of the enabled profile: profileNotInDisabledState (2)",
        src,
        &on,
        op(|l| {
            assert_eq!(l.enable_profile(id(ICCID1), false).unwrap(), 2.into());
        }),
    );
    record(
        "lifecycle/enable-unknown.trace",
        "EnableProfile of an ICCID the card does not have: iccidOrAidNotFound (1)",
        src,
        &on,
        op(|l| {
            assert_eq!(l.enable_profile(id(ICCID2), false).unwrap(), 1.into());
        }),
    );
    record(
        "lifecycle/switch.trace",
        "EnableProfile of the disabled profile disables the enabled one",
        src,
        &two,
        op(|l| {
            assert_eq!(l.enable_profile(id(ICCID2), false).unwrap(), 0.into());
            l.store_data(&hexd("BF2D065C045A9F7092")).unwrap();
        }),
    );
    record(
        "lifecycle/disable.trace",
        "DisableProfile of the enabled profile: ok (0)",
        src,
        &on,
        op(|l| {
            assert_eq!(l.disable_profile(id(ICCID1), false).unwrap(), 0.into());
        }),
    );
    record(
        "lifecycle/disable-disabled.trace",
        "DisableProfile of a disabled profile: profileNotInEnabledState (2)",
        src,
        &one,
        op(|l| {
            assert_eq!(l.disable_profile(id(ICCID1), false).unwrap(), 2.into());
        }),
    );
    record(
        "lifecycle/delete.trace",
        "DeleteProfile of a disabled profile: ok (0); GetProfilesInfo is empty",
        src,
        &one,
        op(|l| {
            assert_eq!(l.delete_profile(id(ICCID1)).unwrap(), 0.into());
            l.store_data(&hexd("BF2D00")).unwrap();
        }),
    );
    record(
        "lifecycle/delete-enabled.trace",
        "DeleteProfile of the enabled profile: profileNotInDisabledState (2)",
        src,
        &on,
        op(|l| {
            assert_eq!(l.delete_profile(id(ICCID1)).unwrap(), 2.into());
        }),
    );
    record(
        "lifecycle/nickname.trace",
        "SetNickname, then GetProfilesInfo shows it",
        src,
        &one,
        op(|l| {
            assert_eq!(l.set_nickname(&iccid_bytes(ICCID1).unwrap(), "work phone").unwrap(), 0.into());
            l.store_data(&hexd("BF2D00")).unwrap();
        }),
    );
    record(
        "lifecycle/memory-reset.trace",
        "eUICCMemoryReset of operational profiles and the default SM-DP+ address",
        src,
        &two,
        op(|l| {
            assert_eq!(l.memory_reset(&[0, 2]).unwrap(), 0.into());
            l.store_data(&hexd("BF2D00")).unwrap();
        }),
    );
    record(
        "lifecycle/enable-by-aid.trace",
        "EnableProfile naming the ISD-P AID instead of the ICCID",
        src,
        &one,
        op(|l| {
            let aid = ProfileIdentifier::IsdpAid(hexd("A0000005591010FFFFFFFF8900001000").into());
            assert_eq!(l.enable_profile(aid, false).unwrap(), 0.into());
        }),
    );
}

fn record_notifications() {
    let src = "testkit Es10Client (lpac's frames)";
    let one = spec(vec![profile(ICCID1, false)]);
    let op = |f: fn(&mut Es10Client<&mut Traced<'_>>)| {
        move |t: &mut Traced<'_>| {
            let mut lpa = Es10Client::open(&mut *t).unwrap();
            f(&mut lpa);
            lpa.close().unwrap();
        }
    };
    record(
        "notifications/list-after-install.trace",
        "ListNotification: the install notification (seq 1)",
        src,
        &one,
        op(|l| {
            l.store_data(&hexd("BF2800")).unwrap();
        }),
    );
    record(
        "notifications/retrieve.trace",
        "RetrieveNotificationsList: the signed PIR of the install",
        src,
        &one,
        op(|l| {
            l.store_data(&hexd("BF2B00")).unwrap();
        }),
    );
    record(
        "notifications/remove.trace",
        "RemoveNotificationFromList of seq 1: ok; the list is empty",
        src,
        &one,
        op(|l| {
            assert_eq!(l.remove_notification(1).unwrap(), 0.into());
            l.store_data(&hexd("BF2800")).unwrap();
        }),
    );
    record(
        "notifications/remove-unknown.trace",
        "RemoveNotificationFromList of a sequence number that does not exist: nothingToDelete (1)",
        src,
        &one,
        op(|l| {
            assert_eq!(l.remove_notification(9).unwrap(), 1.into());
        }),
    );
    record(
        "notifications/enable-disable-delete.trace",
        "enable, disable, delete queue one notification each (the SM-DP+ asked for them); ListNotification shows four",
        src,
        &one,
        op(|l| {
            l.enable_profile(id(ICCID1), false).unwrap();
            l.disable_profile(id(ICCID1), false).unwrap();
            l.delete_profile(id(ICCID1)).unwrap();
            l.store_data(&hexd("BF2800")).unwrap();
        }),
    );
    let quiet = spec(vec![ProfileSpec { no_notify: true, ..profile(ICCID1, false) }]);
    record(
        "notifications/not-asked.trace",
        "a profile whose SM-DP+ asked for no notifications: enabling it queues none",
        src,
        &quiet,
        op(|l| {
            l.enable_profile(id(ICCID1), false).unwrap();
            l.store_data(&hexd("BF2800")).unwrap();
        }),
    );
    record(
        "notifications/filter-by-event.trace",
        "ListNotification filtered to enable events (profileManagementOperation 81)",
        src,
        &one,
        op(|l| {
            l.enable_profile(id(ICCID1), false).unwrap();
            l.store_data(&hexd("BF2804810206 40")).unwrap();
        }),
    );
    record(
        "notifications/seq-never-reused.trace",
        "remove the newest notification, queue another: its sequence number is new",
        src,
        &one,
        op(|l| {
            l.remove_notification(1).unwrap();
            l.enable_profile(id(ICCID1), false).unwrap();
            l.store_data(&hexd("BF2800")).unwrap();
        }),
    );
}

fn record_iso7816() {
    let src = "hand-written commands; each status word asserted by the recorder (ISO 7816-4, ETSI TS 102 221)";
    let s = spec(vec![]);
    let cases: &[RawCase] = &[
        (
            "select-isdr-basic",
            "SELECT ISD-R on the basic channel, FCI by GET RESPONSE",
            &[("SELECT ISD-R", SELECT_ISDR, 0x61FF), ("GET RESPONSE", "00C0000021", 0x9000)],
        ),
        (
            "select-isdr-with-le",
            "SELECT ISD-R with Le 00: the FCI at once",
            &[("SELECT ISD-R, Le 00", "00A4040010A0000005591010FFFFFFFF890000010000", 0x9000)],
        ),
        (
            "select-partial-aid",
            "SELECT by a partial (right-truncated) AID of the ISD-R",
            &[("SELECT A0000005591010FFFFFFFF89, Le 00", "00A404000CA0000005591010FFFFFFFF8900", 0x9000)],
        ),
        ("select-ecasd", "SELECT the ECASD", &[("SELECT ECASD", "00A4040010A0000005591010FFFFFFFF8900000200", 0x61FF)]),
        (
            "select-unknown-aid",
            "SELECT an AID the card does not have: 6A82",
            &[("SELECT unknown", "00A4040005A000000001", 0x6A82)],
        ),
        (
            "manage-channel",
            "open channels 1 and 2, close 2, open again gets 2",
            &[
                ("open", "0070000001", 0x9000),
                ("open", "0070000001", 0x9000),
                ("close 2", "0070800200", 0x9000),
                ("open", "0070000001", 0x9000),
            ],
        ),
        (
            "manage-channel-close-closed",
            "closing a channel that is not open: 6A86 (P2 names no open channel)",
            &[("close 5", "0070800500", 0x6A86)],
        ),
        (
            "further-interindustry-class",
            "channel 4 and up use the further interindustry class (40+): SELECT ISD-R on channel 4",
            &[
                ("open", "0070000001", 0x9000),
                ("open", "0070000001", 0x9000),
                ("open", "0070000001", 0x9000),
                ("open", "0070000001", 0x9000),
                ("SELECT on channel 4", "40A4040010A0000005591010FFFFFFFF8900000100", 0x61FF),
            ],
        ),
        (
            "get-response-in-pieces",
            "GetEID answered in two GET RESPONSE pieces (Le 10, then the rest)",
            &[
                ("SELECT ISD-R", SELECT_ISDR, 0x61FF),
                ("GetEID", "80E2910006BF3E035C015A", 0x6115),
                ("GET RESPONSE 16", "80C0000010", 0x6105),
                ("GET RESPONSE 5", "80C0000005", 0x9000),
            ],
        ),
        (
            "store-data-with-le",
            "STORE DATA with Le 00: the answer at once, no 61xx",
            &[("SELECT ISD-R", SELECT_ISDR, 0x61FF), ("GetEID, Le 00", "80E2910006BF3E035C015A00", 0x9000)],
        ),
        (
            "extended-length",
            "STORE DATA as an extended-length APDU",
            &[("SELECT ISD-R", SELECT_ISDR, 0x61FF), ("GetEID, extended", "80E29100000006BF3E035C015A0000", 0x9000)],
        ),
        (
            "terminal-capability",
            "TERMINAL CAPABILITY (eUICC-related capabilities, ETSI TS 102 221 §11.1.19)",
            &[("TERMINAL CAPABILITY", "80AA000006A904830207 00", 0x9000)],
        ),
        (
            "store-data-two-blocks",
            "one ES10 command in two STORE DATA blocks (P1 11 block 0, P1 91 block 1)",
            &[
                ("SELECT ISD-R", SELECT_ISDR, 0x61FF),
                ("block 0", "80E2110003BF3E03", 0x9000),
                ("block 1", "80E29101035C015A", 0x6115),
            ],
        ),
        (
            "reset-closes-channels",
            "a warm reset closes logical channels: the STORE DATA after it on channel 1 gets 6881",
            &[
                ("open", "0070000001", 0x9000),
                ("SELECT on 1", "01A4040010A0000005591010FFFFFFFF8900000100", 0x61FF),
                ("", "!reset", 0),
                ("GetEID on 1", "81E2910006BF3E035C015A", 0x6881),
            ],
        ),
        (
            "power-cycle-keeps-state",
            "a default SM-DP+ address set before a power cycle is still there after it",
            &[
                ("SELECT ISD-R", SELECT_ISDR, 0x61FF),
                ("SetDefaultDpAddress", "80E2910011BF3F0E800C736D64702E6578616D706C65", 0x61FF),
                ("", "!cycle", 0),
                ("SELECT ISD-R", SELECT_ISDR, 0x61FF),
                ("GetEuiccConfiguredAddresses, Le 00", "80E2910003BF3C0000", 0x9000),
            ],
        ),
    ];
    for (name, about, steps) in cases {
        record(&format!("iso7816/{name}.trace"), about, src, &s, raw(steps));
    }
}

fn record_negative() {
    let src = "hand-written commands; each status word asserted by the recorder";
    let s = spec(vec![]);
    let cases: &[RawCase] = &[
        ("unknown-cla", "class FF: 6E00", &[("CLA FF", "FFA4040000", 0x6E00)]),
        ("unknown-ins", "an instruction the card does not know: 6D00", &[("INS 02", "0002000000", 0x6D00)]),
        ("too-short", "APDUs shorter than a header: 6700", &[("3 bytes", "00A404", 0x6700), ("1 byte", "00", 0x6700)]),
        ("wrong-lc", "Lc larger than the data: 6700", &[("Lc 10, 2 bytes", "00A4040010A000", 0x6700)]),
        (
            "secure-messaging",
            "SM bits in the class byte: 6882",
            &[("SELECT with SM", "0CA4040010A0000005591010FFFFFFFF8900000100", 0x6882)],
        ),
        (
            "command-chaining",
            "the ISO chaining bit in the class byte: 6884",
            &[("SELECT chained", "10A4040010A0000005591010FFFFFFFF8900000100", 0x6884)],
        ),
        (
            "store-data-no-app",
            "STORE DATA with nothing selected: 6D00",
            &[("GetEID, nothing selected", "80E2910006BF3E035C015A", 0x6D00)],
        ),
        (
            "store-data-closed-channel",
            "STORE DATA on a channel that is not open: 6881",
            &[("GetEID on channel 3", "83E2910006BF3E035C015A", 0x6881)],
        ),
        (
            "es10-unknown-tag",
            "an ES10 command with an unknown tag: 6A88",
            &[("SELECT ISD-R", SELECT_ISDR, 0x61FF), ("tag BF7F", "80E2910003BF7F00", 0x6A88)],
        ),
        (
            "es10-bad-der",
            "an ES10 command whose DER is broken: 6A80",
            &[
                ("SELECT ISD-R", SELECT_ISDR, 0x61FF),
                ("GetEID with a length past the end", "80E2910006BF3E095C015A", 0x6A80),
            ],
        ),
        (
            "store-data-bad-block",
            "a STORE DATA block number out of sequence: the chain is refused",
            &[("SELECT ISD-R", SELECT_ISDR, 0x61FF), ("block 1 first", "80E2910103BF3E00", 0x6AFF)],
        ),
        ("get-response-nothing", "GET RESPONSE with nothing waiting: 6985", &[("GET RESPONSE", "00C0000010", 0x6985)]),
        (
            "select-bad-p1",
            "SELECT with P1 that is not by-name: 6A86 or 6A82",
            &[("SELECT P1 02", "00A4020002 3F00", 0x6AFF)],
        ),
        (
            "manage-channel-bad-p2",
            "MANAGE CHANNEL open with P2 naming a channel: refused",
            &[("open channel 25", "0070001900", 0x6AFF)],
        ),
        (
            "ecasd-store-data",
            "STORE DATA to the ECASD: 6D00 (it answers no ES10)",
            &[
                ("SELECT ECASD", "00A4040010A0000005591010FFFFFFFF8900000200", 0x61FF),
                ("GetEID to the ECASD", "80E2910006BF3E035C015A", 0x6DFF),
            ],
        ),
    ];
    for (name, about, steps) in cases {
        record(&format!("negative/{name}.trace"), about, src, &s, raw(steps));
    }
}

/// The vpcd adapter's messages in order: what pcscd sends through vpcd.
fn record_vpcd() {
    let src = "vpcd adapter (host::vpcd::answer): vpcd's power/reset/ATR messages and APDUs, as pcscd sends them";
    let vp = |path: &str, about: &str, spec: CardSpec, msgs: &'static [&'static str]| {
        let file = out_dir().join(path);
        let mut trace = Some(Trace::create(&file, &format!("apdu-traces/{path}")).unwrap());
        spec.write_header(&mut trace, about, src);
        let mut card = spec.build().unwrap();
        let card = card.mem().unwrap();
        let mut session = Session::new();
        for m in msgs {
            let bytes = match *m {
                "off" => vec![0],
                "on" => vec![1],
                "reset" => vec![2],
                "atr" => vec![4],
                apdu => hexd(apdu),
            };
            answer(card, &mut session, Message::parse(&bytes), &mut trace, &mut |_| {});
        }
    };
    vp(
        "iso7816/vpcd-power-on-geteid.trace",
        "power on, ATR request, SELECT ISD-R, GetEID, GET RESPONSE, power off",
        spec(vec![]),
        &["on", "atr", SELECT_ISDR, "80E2910006BF3E035C015A", "80C0000015", "off"],
    );
    vp(
        "iso7816/vpcd-reset.trace",
        "a reset between two SELECTs (pcscd's SCardReconnect with reset)",
        spec(vec![]),
        &["on", SELECT_ISDR, "reset", SELECT_ISDR, "00C0000021"],
    );
    vp(
        "lifecycle/vpcd-enable-refresh.trace",
        "EnableProfile with refreshFlag over vpcd: the card resets once GET RESPONSE has fetched the answer",
        spec(vec![profile(ICCID1, false)]),
        &[
            "on",
            SELECT_ISDR,
            "80E2910014BF3111A00C5A0A98001032547698103214 8101FF",
            "80C0000006",
            "80E2910006BF3E035C015A",
        ],
    );
    vp(
        "lifecycle/vpcd-refresh-not-fetched.trace",
        "EnableProfile with refreshFlag; the LPA sends another command instead of GET RESPONSE: the reset comes before it",
        spec(vec![profile(ICCID1, false)]),
        &["on", SELECT_ISDR, "80E2910014BF3111A00C5A0A98001032547698103214 8101FF", SELECT_ISDR],
    );
    vp(
        "notifications/vpcd-power-cycle.trace",
        "a notification survives a power cycle (persistent state)",
        spec(vec![profile(ICCID1, false)]),
        &["on", SELECT_ISDR, "80E2910003BF280000", "off", "on", SELECT_ISDR, "80E2910003BF280000"],
    );
}

/// AUTHENTICATE 3G for the test kit's package (MILENAGE, K = 00…0F, OPc = 0): RAND of TS 35.208
/// test set 1, SQN 000000000021 (SEQ 1, IND 1), AMF 8000; AUTN = SQN ⊕ AK ‖ AMF ‖ MAC-A.
const SIM_RAND: &str = "23553CBE9637A89D218AE64DAE47BF35";
const SIM_AUTN: &str = "3BE6270BFEA4800055D1B1854BD34A8B";

/// What that AUTHENTICATE must answer: `DB 08 RES 10 CK 10 IK 08 Kc` (UST service 27 is on).
fn sim_auth_answer() -> Vec<u8> {
    use veuicc::sim::milenage::Milenage;
    let p = veuicc::testkit::saip::TestProfile::new([0; 10]);
    let m = Milenage::new(p.k, p.opc);
    let rand: [u8; 16] = hexd(SIM_RAND).try_into().unwrap();
    let sqn: [u8; 6] = hexd("000000000021").try_into().unwrap();
    let o = m.f2345(&veuicc::crypto::RUST_CRYPTO, &rand);
    let (mac, _) = m.f1(&veuicc::crypto::RUST_CRYPTO, &rand, &sqn, &[0x80, 0x00]);
    let mut autn: Vec<u8> = sqn.iter().zip(&o.ak).map(|(s, a)| s ^ a).collect();
    autn.extend_from_slice(&[0x80, 0x00]);
    autn.extend_from_slice(&mac);
    assert_eq!(autn, hexd(SIM_AUTN), "SIM_AUTN is not MILENAGE's AUTN for SQN 000000000021");
    let kc: Vec<u8> = (0..8).map(|i| o.ck[i] ^ o.ck[i + 8] ^ o.ik[i] ^ o.ik[i + 8]).collect();
    [&[0xDB, 0x08][..], &o.res, &[0x10], &o.ck, &[0x10], &o.ik, &[0x08], &kc, &[0x90, 0x00]].concat()
}

/// A modem's start-up on the enabled profile's SIM (the test kit's package): every status word
/// and the contents the package defines are asserted while recording.
fn record_sim() {
    let src = "hand-written commands (a modem's start-up, as tests/sim_ts48.rs sends it); status words and \
               contents asserted by the recorder (ETSI TS 102 221, 3GPP TS 31.102)";
    let auth = format!("008800812210{SIM_RAND}10{SIM_AUTN}00");
    let auth_answer = sim_auth_answer();
    let iccid = format!("{}9000", "98001032547698103214");
    let imsi = veuicc::testkit::saip::encode_imsi(&veuicc::testkit::saip::TestProfile::new([0; 10]).imsi);
    let imsi = [imsi, vec![0x90, 0x00]].concat();
    let loci = hexd("FFFFFFFFFFFFFF0000FF01 9000");
    let steps: Vec<(&str, &str, u16, Option<Vec<u8>>)> = vec![
        ("SELECT MF, FCP", "00A40004023F0000", 0x9000, None),
        ("SELECT EF.DIR", "00A4000C022F00", 0x9000, None),
        ("READ RECORD 1 of EF.DIR: the USIM", "00B2010400", 0x9000, None),
        ("SELECT EF.ICCID", "00A4000C022FE2", 0x9000, None),
        ("READ BINARY EF.ICCID", "00B000000A", 0x9000, Some(hexd(&iccid))),
        ("SELECT ADF.USIM by its AID, FCP", "00A404040CA0000000871002FF49FF058900", 0x9000, None),
        ("SELECT EF.IMSI", "00A4000C026F07", 0x9000, None),
        ("VERIFY PIN1, status query: 3 tries left", "0020000100", 0x63C3, None),
        ("VERIFY PIN1 0000", "002000010830303030FFFFFFFF", 0x9000, None),
        ("READ BINARY EF.IMSI", "00B0000009", 0x9000, Some(imsi)),
        ("SELECT EF.AD", "00A4000C026FAD", 0x9000, None),
        ("READ BINARY EF.AD", "00B0000000", 0x9000, None),
        ("SELECT EF.UST", "00A4000C026F38", 0x9000, None),
        ("READ BINARY EF.UST", "00B000000E", 0x9000, Some([&veuicc::testkit::saip::UST[..], &[0x90, 0x00]].concat())),
        ("AUTHENTICATE 3G, MILENAGE, SQN 000000000021", &auth, 0x9000, Some(auth_answer)),
        ("SELECT EF.LOCI", "00A4000C026F7E", 0x9000, None),
        ("READ BINARY EF.LOCI", "00B000000B", 0x9000, Some(loci)),
        ("UPDATE BINARY EF.LOCI", "00D600000B1122334400F1100001FF00", 0x9000, None),
    ];
    record(
        "sim/start-up.trace",
        "a modem's start-up on the enabled test-kit profile: reset, MF, EF.DIR, EF.ICCID, ADF.USIM, EF.IMSI \
         behind PIN1, EF.AD, EF.UST, AUTHENTICATE (MILENAGE), EF.LOCI read and update",
        src,
        &spec(vec![profile(ICCID1, true)]),
        |t| {
            t.reset();
            for (comment, apdu, sw, want) in steps {
                t.comment(&format!("{comment} (expect {sw:04X})"));
                let r = t.transmit(&hexd(apdu));
                let got = u16::from_be_bytes([r[r.len() - 2], r[r.len() - 1]]);
                assert_eq!(got, sw, "{comment}: {apdu} answered {r:02X?}");
                if let Some(want) = want {
                    assert_eq!(r, want, "{comment}: {apdu}");
                }
            }
        },
    );
}

/// A v3 card (`#! sgp22 3.0`), with MEP (`#! mep …`) where the trace is about ports.
fn v3_spec(mep: Option<veuicc::config::Mep>, profiles: Vec<ProfileSpec>) -> CardSpec {
    CardSpec { sgp22: veuicc::config::Sgp22Version::V3_0, mep, ..spec(profiles) }
}

/// `BF31 { A0 { 5A iccid }, 81 01 00 [, 82 01 port] }` for ICCID bytes (hex).
fn record_v3() {
    use veuicc::config::{Mep, MepMode};
    let a1 = Some(Mep { mode: MepMode::A1, ports: 2 });
    let (p1, p2) = ("98001032547698103214", "984400000000000010F2");
    record(
        "v3/info.trace",
        "an SGP.22 v3.0 card's EUICCInfo1 (euiccRspCapability, highestSvn), EUICCInfo2 (lpaMode, \
         certificationDataObject, treProperties) and an empty GetProfilesInfo",
        "testkit Es10Client (lpac's framing)",
        &v3_spec(None, vec![]),
        es10(&["BF2000", "BF2200", "BF2D00"]),
    );
    let (e1, e2, e0) =
        (enable_profile(p1, false, Some(1)), enable_profile(p2, false, Some(2)), enable_profile(p1, false, None));
    record(
        "v3/mep-a1-ports.trace",
        "MEP-A1 with two profile ports: EnableProfile names port 1, then port 2 (both enabled at once), \
         an EnableProfile without a port is commandError(7); GetProfilesInfo shows enabledOnEsimPort (9F24)",
        "testkit Es10Client (lpac's framing)",
        &v3_spec(a1, vec![profile(ICCID1, false), profile(ICCID2, false)]),
        es10(&[&e1, &e2, &e0, "BF2D055C035A9F70", "BF2D065C049F709F24"]),
    );
    const PORTS_SIM: &[(&str, &str, u16)] = &[
        ("MANAGE LSI: select eSIM port 1", "807C0001", 0x9000),
        ("SELECT ADF.USIM on port 1", "00A4040C07A0000000871002", 0x9000),
        ("VERIFY PIN1 on port 1", "002000010830303030FFFFFFFF", 0x9000),
        ("SELECT EF.IMSI", "00A4000C026F07", 0x9000),
        ("READ BINARY EF.IMSI: port 1's SIM", "00B0000009", 0x9000),
        ("MANAGE LSI: select eSIM port 2", "807C0002", 0x9000),
        ("READ BINARY on port 2: nothing selected there yet", "00B0000009", 0x6986),
        ("SELECT ADF.USIM on port 2", "00A4040C07A0000000871002", 0x9000),
        ("SELECT EF.IMSI on port 2 (PIN1 not verified on this port)", "00A4000C026F07", 0x9000),
        ("READ BINARY EF.IMSI on port 2: PIN1 is per port", "00B0000009", 0x6982),
        ("MANAGE LSI: back to port 1, its selection kept", "807C0001", 0x9000),
        ("READ BINARY EF.IMSI on port 1 again", "00B0000009", 0x9000),
        ("MANAGE LSI: port 0, the ISD-R's", "807C0000", 0x9000),
        ("SELECT ADF.USIM on port 0: no SIM there", "00A4040C07A0000000871002", 0x6A82),
    ];
    record(
        "v3/mep-a1-two-sims.trace",
        "MEP-A1, profiles enabled on ports 1 and 2: MANAGE LSI switches the interface; each port is its \
         own SIM with its own selections and PIN state; port 0 has none",
        "hand-written commands; each status word asserted by the recorder (ETSI TS 102 221 LSIs)",
        &v3_spec(a1, vec![profile(ICCID1, false), profile(ICCID2, false)]),
        |t| {
            es10(&[&e1, &e2])(t);
            t.reset();
            raw(PORTS_SIM)(t);
        },
    );
    const LSI: &[(&str, &str, u16)] = &[
        ("select LSI 3: the card has ports 0-2", "807C0003", 0x6A86),
        ("select LSI with data", "807C00010100", 0x6700),
        ("SWP assignment: not supported", "807C020000", 0x6A81),
        ("configure LSIs, a truncated proposal", "807C04000480011F80", 0x6A80),
        ("configure LSIs, P2 not 00", "807C0401", 0x6A86),
        ("an unknown P1", "807C0500", 0x6A86),
        ("configure LSIs: device offers B then A1, 4 ports", "807C04000D80011F8101009002030191010400", 0x9000),
        ("reset LSE of port 2: its ATR", "807C010200", 0x9000),
        ("select LSI 1", "807C0001", 0x9000),
        ("SELECT ISD-R on port 1: MEP-A has it on port 0 only", SELECT_ISDR, 0x6A82),
        ("select LSI 0", "807C0000", 0x9000),
        ("SELECT ISD-R on port 0", SELECT_ISDR, 0x9000),
    ];
    record(
        "v3/manage-lsi.trace",
        "MANAGE LSI on a MEP-A1 card: select, reset, configure, and its refusals",
        "hand-written commands; each status word asserted by the recorder (coding: our reading of TS 102 221 Rel-16)",
        &v3_spec(a1, vec![]),
        raw(LSI),
    );
    const SINGLE: &[(&str, &str, u16)] =
        &[("MANAGE LSI on a single-port card: not an instruction it has", "807C0001", 0x6D00)];
    record(
        "v3/manage-lsi-single-port.trace",
        "a v2.5 card (one interface) has no MANAGE LSI",
        "hand-written commands; each status word asserted by the recorder",
        &spec(vec![]),
        raw(SINGLE),
    );
    let eb = enable_profile(p1, false, None);
    record(
        "v3/mep-b.trace",
        "MEP-B: the ISD-R on every port; EnableProfile sent on port 1 (MANAGE LSI) enables the profile there",
        "hand-written MANAGE LSI, then testkit Es10Client (lpac's framing) on port 1",
        &v3_spec(Some(Mep { mode: MepMode::B, ports: 2 }), vec![profile(ICCID1, false)]),
        |t| {
            t.comment("MANAGE LSI: select eSIM port 1");
            assert_eq!(t.transmit(&hexd("807C0001")), [0x90, 0x00]);
            es10(&[&eb, "BF2D065C045A9F9F24"])(t);
        },
    );
    record(
        "v3/download.trace",
        "a download on an SGP.22 v3.0 card from a v3.0 SM-DP+: serverSigned1 with sessionContext and \
         serverRspCapability",
        "testkit LPA driver (lpac's ES10 sequence) against the test SM-DP+",
        &v3_spec(None, vec![]),
        |t| {
            let mut server = smdp();
            server.sgp22 = veuicc::config::Sgp22Version::V3_0;
            let mut lpa = Es10Client::open(&mut *t).unwrap();
            download(&mut lpa, &mut server, &ProfileToInstall::sample(iccid_bytes(ICCID1).unwrap(), 1500)).unwrap();
            lpa.close().unwrap();
        },
    );
}

fn lpac_binary() -> Option<PathBuf> {
    std::env::var_os("VEUICC_LPAC").map(PathBuf::from).filter(|p| p.is_file())
}

/// `lpac ARGS` against the card through the stdio bridge.
fn record_lpac(lpac: &Path) {
    let src = "lpac 2.3.0 (LPAC_APDU=stdio) through host::lpac::bridge";
    let runs: &[(&str, &str, CardSpec, &[&str])] = &[
        (
            "es10-info/lpac-chip-info",
            "`lpac chip info`: EID, configured addresses, EUICCInfo2",
            spec(vec![]),
            &["chip", "info"],
        ),
        (
            "es10-info/lpac-profile-list",
            "`lpac profile list` with two profiles",
            spec(vec![profile(ICCID1, true), profile(ICCID2, false)]),
            &["profile", "list"],
        ),
        (
            "es10-info/lpac-defaultsmdp",
            "`lpac chip defaultsmdp smdp.example.org`",
            spec(vec![]),
            &["chip", "defaultsmdp", "smdp.example.org"],
        ),
        (
            "lifecycle/lpac-enable",
            "`lpac profile enable ICCID` (lpac asks for a refresh)",
            spec(vec![profile(ICCID1, false)]),
            &["profile", "enable", ICCID1],
        ),
        (
            "lifecycle/lpac-disable",
            "`lpac profile disable ICCID`",
            spec(vec![profile(ICCID1, true)]),
            &["profile", "disable", ICCID1],
        ),
        (
            "lifecycle/lpac-nickname",
            "`lpac profile nickname ICCID travel`",
            spec(vec![profile(ICCID1, false)]),
            &["profile", "nickname", ICCID1, "travel"],
        ),
        (
            "lifecycle/lpac-delete",
            "`lpac profile delete ICCID`",
            spec(vec![profile(ICCID1, false)]),
            &["profile", "delete", ICCID1],
        ),
        (
            "notifications/lpac-list",
            "`lpac notification list` after an install",
            spec(vec![profile(ICCID1, false)]),
            &["notification", "list"],
        ),
        (
            "notifications/lpac-remove",
            "`lpac notification remove 1`",
            spec(vec![profile(ICCID1, false)]),
            &["notification", "remove", "1"],
        ),
    ];
    for (path, about, spec, args) in runs {
        let file = out_dir().join(format!("{path}.trace"));
        let mut trace = Some(Trace::create(&file, &format!("apdu-traces/{path}.trace")).unwrap());
        spec.write_header(&mut trace, about, src);
        let mut card = spec.build().unwrap();
        let card = card.mem().unwrap();
        let mut child = Command::new(lpac)
            .args(*args)
            .env("LPAC_APDU", "stdio")
            .env_remove("LPAC_HTTP")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (to, from) = (child.stdin.take().unwrap(), child.stdout.take().unwrap());
        let mut out = Vec::new();
        veuicc::host::lpac::bridge(card, BufReader::new(from), to, &mut out, Vec::new(), &mut trace).unwrap();
        child.wait().unwrap();
        let out = String::from_utf8_lossy(&out);
        assert!(out.contains("\"code\":0"), "{path}: {out}");
    }
}

/// SGP.22 v3 RPM (issue #20): packages from the test SM-DP+ run on a v3 card.
fn record_rpm() {
    use veuicc::asn1::rpm::{RpmCommand, RpmCommandDetails, RpmIccid, rpm_type};
    use veuicc::testkit::lpa::rpm;
    use veuicc::testkit::smdp::rpm_configuration;
    let src = "testkit LPA RPM driver (GetEUICCChallenge, EUICCInfo1, AuthenticateServer, LoadRpmPackage) \
               against the test SM-DP+ (seed 9); the profiles downloaded from it (seed 7)";
    let owner = [0x88, 0x37, 0x63];
    let (a, b) = (iccid_bytes(ICCID1).unwrap(), iccid_bytes("89000123456789012358").unwrap());
    let cmd = |d: RpmCommandDetails| RpmCommand::new(d);
    let id = |i: [u8; 10]| RpmIccid { iccid: i.to_vec().into() };
    let install = |lpa: &mut Es10Client<&mut Traced<'_>>| {
        let mut pa = ProfileToInstall::sample(a, 700);
        pa.metadata.rpm_configuration = Some(rpm_configuration(None, &owner));
        let mut pb = ProfileToInstall::sample(b, 700);
        pb.metadata.rpm_configuration = Some(rpm_configuration(Some(&[rpm_type::DISABLE]), &owner));
        for p in [pa, pb] {
            download(lpa, &mut smdp(), &p).unwrap();
        }
    };
    let rpm_smdp = || TestSmdp::new(default_pki(), "smdp.example.com", 9);
    record(
        "v3/rpm-enable-disable-delete.trace",
        "an SGP.22 v3 card runs an RPM package from the SM-DP+ its profile names in rpmConfiguration: \
         enable, disable, delete of one profile; the signed LoadRpmPackageResult, then the RPM \
         notifications and the result in RetrieveNotificationsList",
        src,
        &v3_spec(None, vec![]),
        |t| {
            let mut lpa = Es10Client::open(&mut *t).unwrap();
            install(&mut lpa);
            let cmds = [
                cmd(RpmCommandDetails::Enable(id(a))),
                cmd(RpmCommandDetails::Disable(id(a))),
                cmd(RpmCommandDetails::Delete(id(a))),
            ];
            let run = rpm(&mut lpa, &mut rpm_smdp(), &cmds, None).unwrap();
            assert!(run.data.is_some(), "a signed result");
            lpa.store_data(&hexd("BF2B00")).unwrap();
            lpa.close().unwrap();
        },
    );
    record(
        "v3/rpm-refusals.trace",
        "RPM refusals on a v3 card: a package whose commands are not allowed — enable of a disable-only \
         profile (disallowedForRpm), with continueOnFailure, then an unknown ICCID — each result in one \
         signed answer; the same request again after the session ended (noSession, unsigned)",
        src,
        &v3_spec(None, vec![]),
        |t| {
            let mut lpa = Es10Client::open(&mut *t).unwrap();
            install(&mut lpa);
            let unknown = iccid_bytes("89000123456789012390").unwrap();
            let cmds =
                [RpmCommand::continuing(RpmCommandDetails::Enable(id(b))), cmd(RpmCommandDetails::Enable(id(unknown)))];
            let run = rpm(&mut lpa, &mut rpm_smdp(), &cmds, None).unwrap();
            // The session ended with that result: the same request again is noSession(4).
            lpa.store_data(&run.request).unwrap();
            lpa.close().unwrap();
        },
    );
}

/// Mirror instances (issue #19): the primary card's functions, byte for byte.
fn record_mirror() {
    use rasn::types::{FixedOctetString, NumericString};
    use veuicc::mirror::asn::*;
    use veuicc::testkit::smdp::parse_mirror_policy;
    let src = "testkit Es10Client (lpac's framing); the profile downloaded from the test SM-DP+ (seed 7)";
    let iccid = iccid_bytes(ICCID1).unwrap();
    // 2026-12-01T00:00:00Z: the card clock of both traces.
    let clocked = CardSpec { clock: Some(1_796_083_200), ..CardSpec::default() };
    // Services: bit 0 voice, 1 sms, 2 data.
    let issue = |bits: u8, validity: u32| IssueMirrorTokenRequest {
        iccid: FixedOctetString::new(iccid),
        mode: mode::MIRROR,
        services: services_bits(bits),
        validity,
        target_eid: None,
        device_class: Some(device_class::WATCH),
        priority: None,
    };
    let install = |lpa: &mut Es10Client<&mut Traced<'_>>, policy: Option<&str>| {
        let mut p = ProfileToInstall::sample(iccid, 1500);
        if let Some(text) = policy {
            p = p.with_mirror_policy(&parse_mirror_policy(text).unwrap());
        }
        download(lpa, &mut smdp(), &p).unwrap();
    };
    record(
        "mirror/issue-redeem-revoke.trace",
        "a profile whose metadata carries a mirror policy (max=3, voice+sms+data, 24 h, 90 d): GetMirrorInfo, \
         IssueMirrorToken for a watch (voice+sms, 1 h) with its signed token and numeric code, ListMirrorLinks, \
         RedeemMirrorCode with a wrong code (wrongCode) and with the right one (the token), RevokeMirror of the \
         outstanding token (tokenVoided), ListMirrorLinks again",
        src,
        &clocked,
        |t| {
            let mut lpa = Es10Client::open(&mut *t).unwrap();
            install(&mut lpa, Some("max=3,services=voice+sms+data,validity=24h,reauth=90d"));
            let get = |lpa: &mut Es10Client<&mut Traced<'_>>, der: Vec<u8>| lpa.store_data(&der).unwrap();
            get(&mut lpa, rasn::der::encode(&GetMirrorInfoRequest { iccid: None }).unwrap());
            let issued = get(&mut lpa, rasn::der::encode(&issue(0b011, 3600)).unwrap());
            let IssueMirrorTokenResult::Issued(token) =
                rasn::der::decode::<IssueMirrorTokenResponse>(&issued).unwrap().0
            else {
                panic!("not issued")
            };
            get(&mut lpa, rasn::der::encode(&ListMirrorLinksRequest { iccid: None }).unwrap());
            let code = token.numeric_code.as_bytes().to_vec();
            let wrong: Vec<u8> = code.iter().map(|d| if *d == b'9' { b'0' } else { d + 1 }).collect();
            for c in [wrong, code] {
                let req = RedeemMirrorCodeRequest { numeric_code: NumericString::from_bytes(&c).unwrap(), iccid: None };
                get(&mut lpa, rasn::der::encode(&req).unwrap());
            }
            let id = token.signed_mirror_token.mirror_token.token_id;
            let revoke = RevokeMirrorRequest { link: MirrorLinkRef::TokenId(id) };
            get(&mut lpa, rasn::der::encode(&revoke).unwrap());
            get(&mut lpa, rasn::der::encode(&ListMirrorLinksRequest { iccid: None }).unwrap());
            lpa.close().unwrap();
        },
    );
    record(
        "mirror/refusals.trace",
        "IssueMirrorToken refused: a profile without a mirror policy (profileNotMirrorable), then with one: \
         the profile deleted and downloaded again with a policy (max=1, data, 12 h): services beyond it (servicesExceeded), a validity over 24 h (validityExceeded); a malformed FF40 (6A80)",
        src,
        &clocked,
        |t| {
            let mut lpa = Es10Client::open(&mut *t).unwrap();
            install(&mut lpa, None);
            lpa.store_data(&rasn::der::encode(&issue(0b001, 3600)).unwrap()).unwrap();
            lpa.store_data(&hexd("BF330C5A0A98001032547698103214")).unwrap();
            install(&mut lpa, Some("max=1,services=data,validity=12h,reauth=90d"));
            lpa.store_data(&rasn::der::encode(&issue(0b011, 3600)).unwrap()).unwrap();
            lpa.store_data(&rasn::der::encode(&issue(0b100, 90_000)).unwrap()).unwrap();
            assert!(lpa.store_data(&hexd("FF4003800100")).is_err());
            lpa.close().unwrap();
        },
    );
}

/// A mirror link's life on each side (issue #19): the traced card as the secondary of an
/// untraced primary with its own identity, then as the primary of an untraced secondary. The
/// partner card is deterministic (seeded RNG, RFC 6979 signatures), so the recorded bytes replay.
fn record_mirror_links() {
    use support::mirror::{SOURCE, T0, card_of, identity_of, install_source, token_req};
    use veuicc::mirror::asn::*;
    use veuicc::testkit::mirror;
    let src = "testkit Es10Client (lpac's framing) and testkit::mirror relaying between two cards; the partner \
               card (generated identity 7 of the test PKI, seed 21) is not traced";
    let clocked = CardSpec { clock: Some(T0), ..CardSpec::default() };
    let info = rasn::der::encode(&GetMirrorInfoRequest { iccid: None }).unwrap();
    let list = rasn::der::encode(&ListMirrorLinksRequest { iccid: None }).unwrap();
    record(
        "mirror/secondary-link.trace",
        "the card as a mirror secondary: BeginMirror with a primary's token, the mirror package through \
         LoadBoundProfilePackage, GetMirrorInfo, then the primary's signed updates applied — a renewal, a \
         suspension (GetMirrorInfo: suspended), a resumption, the renewal again (replayedMessage), the \
         revocation (the instance deleted, GetMirrorInfo empty) — and the pending notifications",
        src,
        &clocked,
        |t| {
            let mut primary = card_of(identity_of(7), 21);
            install_source(
                &mut primary,
                default_pki(),
                "max=3,services=voice+sms+data,validity=24h,reauth=90d,roaming-suspend",
            );
            let mut p = Es10Client::open(&mut primary).unwrap();
            let mut s = Es10Client::open(&mut *t).unwrap();
            let paired = mirror::pair(&mut p, &mut s, &token_req(3600, None)).unwrap();
            s.store_data(&info).unwrap();
            let link = MirrorLinkRef::TokenId(paired.link.token_id);
            let renewal = mirror::renew(&mut p, link.clone()).unwrap();
            assert_eq!(mirror::apply(&mut s, &renewal).unwrap(), mirror::APPLIED);
            let suspension = mirror::suspend(&mut p, Some(link.clone())).unwrap();
            assert_eq!(mirror::apply(&mut s, &suspension[0]).unwrap(), mirror::APPLIED);
            s.store_data(&info).unwrap();
            let resumption = mirror::resume(&mut p, Some(link.clone())).unwrap();
            assert_eq!(mirror::apply(&mut s, &resumption[0]).unwrap(), mirror::APPLIED);
            assert_eq!(mirror::apply(&mut s, &renewal).unwrap(), MirrorResult::ReplayedMessage.value());
            let mirror::Revoked::Revocation(revocation) = mirror::revoke(&mut p, link).unwrap() else {
                panic!("revoked")
            };
            assert_eq!(mirror::apply(&mut s, &revocation).unwrap(), mirror::APPLIED);
            s.store_data(&info).unwrap();
            s.list_notifications().unwrap();
            s.close().unwrap();
            p.close().unwrap();
        },
    );
    record(
        "mirror/primary-link.trace",
        "the card as a mirror primary: the profile (mirror policy max=3, roaming-suspend) downloaded, a watch \
         paired (IssueMirrorToken, ExportMirror of its request, ConfirmMirror of its installation result), \
         ListMirrorLinks, RenewMirror, SuspendMirror with no link (roaming), ResumeMirror, RevokeMirror by the \
         secondary's EID, ListMirrorLinks, and the mirror notifications in ListNotification",
        src,
        &clocked,
        |t| {
            let mut watch = card_of(identity_of(7), 21);
            let watch_eid = support::mirror::eid_of(&watch);
            {
                let mut lpa = Es10Client::open(&mut *t).unwrap();
                let mut smdp = smdp();
                let policy = veuicc::testkit::smdp::parse_mirror_policy(
                    "max=3,services=voice+sms+data,validity=24h,reauth=90d,roaming-suspend",
                )
                .unwrap();
                let profile = ProfileToInstall::sample(SOURCE, 1500).with_mirror_policy(&policy);
                download(&mut lpa, &mut smdp, &profile).unwrap();
                lpa.close().unwrap();
            }
            let mut p = Es10Client::open(&mut *t).unwrap();
            let mut s = Es10Client::open(&mut watch).unwrap();
            let paired = mirror::pair(&mut p, &mut s, &token_req(3600, Some(watch_eid))).unwrap();
            p.store_data(&list).unwrap();
            let link = MirrorLinkRef::TokenId(paired.link.token_id);
            mirror::renew(&mut p, link).unwrap();
            mirror::suspend(&mut p, None).unwrap();
            mirror::resume(&mut p, None).unwrap();
            let by_eid = MirrorLinkRef::SecondaryEid(rasn::types::FixedOctetString::new(watch_eid));
            mirror::revoke(&mut p, by_eid).unwrap();
            p.store_data(&list).unwrap();
            p.list_notifications().unwrap();
            p.close().unwrap();
            s.close().unwrap();
        },
    );
}

#[test]
fn record_the_corpus() {
    if std::env::var("VEUICC_RECORD_TRACES").as_deref() != Ok("1") {
        println!("VEUICC_RECORD_TRACES=1 rewrites apdu-traces/ (not set: nothing recorded)");
        return;
    }
    record_iso7816();
    record_negative();
    record_es10_info();
    record_download();
    record_lifecycle();
    record_notifications();
    record_vpcd();
    record_sim();
    record_v3();
    record_mirror();
    record_mirror_links();
    record_rpm();
    match lpac_binary() {
        Some(l) => record_lpac(&l),
        None => println!("VEUICC_LPAC not set: the lpac traces are kept as they are"),
    }
}
