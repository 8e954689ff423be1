//! Every GSMA TS.48 package in `$VEUICC_SHARED/fixtures/ts48/` (36, v1–v5, BER-TLV and not),
//! enabled, answers a modem's start-up sequence after reset with the bytes the package
//! defines: ATR, SELECT MF, EF.DIR, EF.ICCID, SELECT ADF.USIM (by the AID EF.DIR lists),
//! EF.IMSI, EF.AD, EF.UST, VERIFY PIN, AUTHENTICATE, READ and UPDATE of EF.LOCI — and the
//! update survives a power cycle. The expected contents come from `saip::decode`, which
//! `tests/saip_fs.rs` holds to the independent expander (`expand.py`) file for file.
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
use support::{hex, hexs, tx};

use veuicc::saip::profile::{FileKind, Profile};
use veuicc::testkit::TestCard;

fn packages() -> Option<Vec<(String, Vec<u8>)>> {
    support::ts48_packages("run the SIM start-up sequence on the 36 TS.48 packages")
}

/// A card with `upp` installed and enabled in slot 1 (the state a download and an enable leave).
fn card_with(upp: &[u8]) -> TestCard {
    support::sim_card(&[upp.to_vec()])
}

fn ok(card: &mut TestCard, name: &str, apdu: &str) -> Vec<u8> {
    let (data, sw) = tx(card, apdu);
    assert_eq!(sw, 0x9000, "{name}: {apdu} → {sw:04X}");
    data
}

/// The content of the file at `path` (FIDs under the MF; an ADF by its package FID).
fn content<'a>(p: &'a Profile, path: &[u16]) -> &'a [u8] {
    let mut at = 0;
    for fid in path {
        at = p.children(at).find(|&c| p.files[c].fid == *fid).unwrap_or_else(|| panic!("no {fid:04X}"));
    }
    let node = &p.files[at];
    match node.link {
        Some(t) => &p.files[t].content,
        None => &node.content,
    }
}

#[test]
fn every_ts48_package_answers_the_start_up_sequence() {
    let Some(packages) = packages() else { return };
    for (name, upp) in &packages {
        let profile = veuicc::saip::decode_for(upp, veuicc::saip::Services(u32::MAX)).unwrap();
        let usim = profile
            .files
            .iter()
            .position(|f| {
                f.kind == FileKind::Adf && f.aid.as_ref().is_some_and(|a| a.starts_with(&hex("A0000000871002")))
            })
            .unwrap_or_else(|| panic!("{name}: no USIM"));
        let usim_fid = profile.files[usim].fid;
        let mut card = card_with(upp);
        assert_eq!(card.reset(), veuicc::testkit::atr(), "{name}");
        let n = name.as_str();
        // SELECT MF with its FCP.
        let fcp = ok(&mut card, n, "00A40004023F0000");
        assert_eq!(fcp[0], 0x62, "{name}");
        // EF.DIR: every record as the package wrote it.
        ok(&mut card, n, "00A4000C022F00");
        let dir = content(&profile, &[0x2F00]);
        let FileKind::LinearFixed { record_len, records } =
            profile.files[profile.children(0).find(|&c| profile.files[c].fid == 0x2F00).unwrap()].kind
        else {
            panic!("{name}: EF.DIR is not linear fixed")
        };
        for r in 1..=records {
            let got = ok(&mut card, n, &format!("00B2{r:02X}04{record_len:02X}"));
            let start = usize::from(r - 1) * usize::from(record_len);
            assert_eq!(got, dir[start..start + usize::from(record_len)], "{name}: EF.DIR record {r}");
        }
        // EF.ICCID.
        ok(&mut card, n, "00A4000C022FE2");
        assert_eq!(ok(&mut card, n, "00B000000A"), content(&profile, &[0x2FE2]), "{name}: EF.ICCID");
        // SELECT ADF.USIM by its AID, read from EF.DIR's first USIM record.
        let aid = profile.files[usim].aid.clone().unwrap();
        let fcp = ok(&mut card, n, &format!("00A40404{:02X}{}00", aid.len(), hexs(&aid)));
        assert!(fcp.windows(aid.len()).any(|w| w == aid), "{name}: {}", hexs(&fcp));
        for (fid, what) in [(0x6F07u16, "EF.IMSI"), (0x6FAD, "EF.AD"), (0x6F38, "EF.UST")] {
            let want = content(&profile, &[usim_fid, fid]);
            ok(&mut card, n, &format!("00A4000C02{fid:04X}"));
            let got = ok(&mut card, n, &format!("00B00000{:02X}", want.len()));
            assert_eq!(got, want, "{name}: {what}");
        }
        // VERIFY PIN1 as a status query: TS.48 leaves PIN1 disabled (pinAttributes 06).
        assert_eq!(tx(&mut card, "0020000100").1, 0x9000, "{name}: PIN1 status");
        assert_eq!(tx(&mut card, "002000010830303030FFFFFFFF").1, 0x9000, "{name}: VERIFY PIN1 0000");
        // AUTHENTICATE, 3G context, with the test algorithm (TS 34.108 §8.1.2) computed here.
        let veuicc::saip::profile::AkaKeys::Algorithm(keys) = &profile.aka[0].keys else { panic!("{name}: mapping") };
        assert_eq!(keys.algorithm, veuicc::saip::Algorithm::TestAlgorithm, "{name}");
        let rand: Vec<u8> = (0..16u8).map(|i| i.wrapping_mul(37).wrapping_add(5)).collect();
        let xdout: Vec<u8> = keys.key.iter().zip(&rand).map(|(k, r)| k ^ r).collect();
        let (sqn, amf) = (hex("000000000021"), hex("8000"));
        let mut autn: Vec<u8> = sqn.iter().zip(&xdout[3..9]).map(|(s, ak)| s ^ ak).collect();
        autn.extend_from_slice(&amf);
        let cdout = [sqn.as_slice(), amf.as_slice()].concat();
        autn.extend(xdout[..8].iter().zip(&cdout).map(|(x, c)| x ^ c));
        let rot = |n: u32| u128::from_be_bytes(xdout.clone().try_into().unwrap()).rotate_left(n).to_be_bytes();
        let (ck, ik) = (rot(8), rot(16));
        let (data, sw) = tx(&mut card, &format!("008800812210{}10{}00", hexs(&rand), hexs(&autn)));
        assert_eq!(sw, 0x9000, "{name}: AUTHENTICATE");
        let mut want = [&[0xDB, 0x08][..], &xdout[..8], &[0x10], &ck, &[0x10], &ik].concat();
        let ust = content(&profile, &[usim_fid, 0x6F38]);
        if ust.get(3).is_some_and(|b| b & 0x04 != 0) {
            // Service 27 (GSM access): Kc = c3(CK, IK).
            want.push(0x08);
            want.extend((0..8).map(|i| ck[i] ^ ck[i + 8] ^ ik[i] ^ ik[i + 8]));
        }
        assert_eq!(hexs(&data), hexs(&want), "{name}: AUTHENTICATE response");
        let mut bad = autn.clone();
        bad[15] ^= 0x01;
        assert_eq!(tx(&mut card, &format!("008800812210{}10{}00", hexs(&rand), hexs(&bad))).1, 0x9862, "{name}");
        // EF.LOCI: read, update, read back.
        let loci = content(&profile, &[usim_fid, 0x6F7E]).to_vec();
        ok(&mut card, n, "00A4000C026F7E");
        assert_eq!(ok(&mut card, n, "00B000000B"), loci, "{name}: EF.LOCI");
        let new = "11223344 00F110 0001 FF 00";
        ok(&mut card, n, &format!("00D600000B{}", new.replace(' ', "")));
        assert_eq!(ok(&mut card, n, "00B000000B"), hex(new), "{name}: EF.LOCI updated");
        // Power cycle: the update persisted.
        card.power_off();
        card.power_on();
        ok(&mut card, n, &format!("00A4040C{:02X}{}", aid.len(), hexs(&aid)));
        ok(&mut card, n, "00A4080C047FFF6F7E");
        assert_eq!(ok(&mut card, n, "00B000000B"), hex(new), "{name}: EF.LOCI after a power cycle");
    }
}
