//! All 36 GSMA TS.48 test profile packages in `$VEUICC_SHARED/fixtures/ts48/` install through
//! the real download flow (LPA driver ↔ test SM-DP+ ↔ card, over APDUs), with the metadata an
//! SM-DP+ makes from each package (`ProfileToInstall::from_package`: the header's ICCID,
//! printed digit order, nibble-swapped into `Iccid`), are listed by GetProfilesInfo under that
//! `Iccid`, and are enabled by their printed ICCID. The same through the CLI for two of them.
//!
//! The expected ICCIDs are read off the raw package bytes here (`83 0A` in the header), not
//! through the card's or the test kit's decoder. Without `VEUICC_SHARED` the tests print how to
//! run them and pass; with it, a folder without the 36 packages fails.
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
use support::{hex, veuicc};

use std::path::PathBuf;
use veuicc::asn1::rsp::ProfileIdentifier;
use veuicc::store::MemStorage;
use veuicc::testkit::lpa::download;
use veuicc::testkit::pki::default_pki;
use veuicc::testkit::smdp::{ProfileToInstall, TestSmdp};
use veuicc::testkit::{Es10Client, TestCard, default_config};

/// The TS.48 packages, sorted by file name; `None` (after saying how to run) without `VEUICC_SHARED`.
fn packages() -> Option<Vec<(String, Vec<u8>)>> {
    support::ts48_packages("install the 36 TS.48 packages of fixtures/ts48/")
}

/// DER header of a TLV with a one-byte tag: (value start, value length).
fn tlv_at(b: &[u8], at: usize) -> (usize, usize) {
    match b[at + 1] {
        n if n < 0x80 => (at + 2, usize::from(n)),
        0x81 => (at + 3, usize::from(b[at + 2])),
        0x82 => (at + 4, usize::from(b[at + 2]) << 8 | usize::from(b[at + 3])),
        other => panic!("length byte {other:02X}"),
    }
}

/// The `iccid` field (`83`) of the package's first element, the `ProfileHeader` (`A0`), as it is.
fn header_iccid(upp: &[u8]) -> [u8; 10] {
    assert_eq!(upp[0], 0xA0, "a package starts with its header");
    let (start, len) = tlv_at(upp, 0);
    let mut at = start;
    while at < start + len {
        let (v, l) = tlv_at(upp, at);
        if upp[at] == 0x83 {
            return upp[v..v + l].try_into().unwrap();
        }
        at = v + l;
    }
    panic!("no iccid in the header")
}

/// The printed ICCID of a header `iccid`: its hex digits, the `F` filler dropped.
fn printed(header: &[u8; 10]) -> String {
    let s: String = header.iter().map(|b| format!("{b:02x}")).collect();
    s.trim_end_matches('f').to_string()
}

/// SGP.22 `Iccid` (and EF.ICCID) of a printed ICCID: `F`-padded to 20 digits, each pair swapped.
fn iccid(printed: &str) -> Vec<u8> {
    let mut digits: Vec<u8> = printed.bytes().map(|d| d - b'0').collect();
    digits.resize(20, 0xF);
    digits.chunks(2).map(|p| p[1] << 4 | p[0]).collect()
}

/// A DER TLV (the lengths GetProfilesInfo answers need).
fn tlv(tag: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = tag.to_vec();
    match value.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(value);
    out
}

/// `GetProfilesInfo` answer listing `iccids` in order, tag list `5A`:
/// `BF2D { A0 { E3 { 5A 0A … } … } }`.
fn listing(iccids: &[Vec<u8>]) -> Vec<u8> {
    let infos: Vec<u8> = iccids.iter().flat_map(|i| tlv(&[0xE3], &tlv(&[0x5A], i))).collect();
    tlv(&[0xBF, 0x2D], &tlv(&[0xA0], &infos))
}

#[test]
fn headers_hold_printed_iccids() {
    let Some(packages) = packages() else { return };
    for (name, upp) in &packages {
        let h = header_iccid(upp);
        let p = printed(&h);
        assert!(p.len() == 19 || p.len() == 20, "{name}: {p}");
        assert!(p.starts_with("89") && p.bytes().all(|d| d.is_ascii_digit()), "{name}: {p}");
        // Our decoder keeps the header as it is and gives the swapped Iccid; the SM-DP+-style
        // metadata carries that.
        let s = veuicc::saip::check(upp).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s.header.iccid, h, "{name}");
        assert_eq!(s.header.sgp22_iccid().to_vec(), iccid(&p), "{name}");
        let md = ProfileToInstall::from_package(upp.clone()).unwrap().metadata;
        assert_eq!(md.iccid.to_vec(), iccid(&p), "{name}");
    }
    // The two codings, on the bytes TS.48 v5 and one UNIQUE package (19 digits) hold.
    let v5 = &packages.iter().find(|(n, _)| n == "TS48v5_SAIP2.3_NoBERTLV.der").unwrap().1;
    assert_eq!(header_iccid(v5).to_vec(), hex("89000123456789012341"));
    assert_eq!(iccid("89000123456789012341"), hex("98001032547698103214"));
    let unique = &packages.iter().find(|(n, _)| n == "TS48V1-A-UNIQUE.der").unwrap().1;
    assert_eq!(header_iccid(unique).to_vec(), hex("8949449999999990023F"));
    assert_eq!(iccid("8949449999999990023"), hex("9894449999999909 20F3"));
}

#[test]
fn all_36_install_list_and_enable_by_printed_iccid() {
    let Some(packages) = packages() else { return };
    // 20 distinct ICCIDs among the 36 packages; a package whose ICCID comes again later is
    // deleted after its turn, the others stay.
    let mut config = default_config();
    config.profile_capacity = 36;
    let mut card = TestCard::with_config(config, MemStorage::new(), 1);
    let mut on_card: Vec<Vec<u8>> = Vec::new();
    for (i, (name, upp)) in packages.iter().enumerate() {
        let p = printed(&header_iccid(upp));
        let want = iccid(&p);
        let profile = ProfileToInstall::from_package(upp.clone()).unwrap();
        let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 100 + i as u64);
        let mut lpa = Es10Client::open(&mut card).unwrap();
        let installed = download(&mut lpa, &mut smdp, &profile).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(installed.isdp_aid.len(), 16, "{name}");
        on_card.push(want.clone());
        // GetProfilesInfo (tag list 5A): every profile on the card, this one under its Iccid.
        assert_eq!(lpa.store_data(&hex("BF2D03 5C015A")).unwrap(), listing(&on_card), "{name}");
        // Enabled by the printed ICCID; the one enabled before is disabled.
        let id = || ProfileIdentifier::Iccid(iccid(&p).into());
        assert_eq!(lpa.enable_profile(id(), false).unwrap(), 0.into(), "{name}: enable {p}");
        let state = lpa.store_data(&hex("BF2D05 5C035A9F70")).unwrap();
        let infos: Vec<u8> = on_card
            .iter()
            .flat_map(|c| tlv(&[0xE3], &[tlv(&[0x5A], c), tlv(&[0x9F, 0x70], &[u8::from(*c == want)])].concat()))
            .collect();
        assert_eq!(state, tlv(&[0xBF, 0x2D], &tlv(&[0xA0], &infos)), "{name}: only {p} enabled");
        let again = packages[i + 1..].iter().any(|(_, later)| printed(&header_iccid(later)) == p);
        if again {
            assert_eq!(lpa.disable_profile(id(), false).unwrap(), 0.into(), "{name}");
            assert_eq!(lpa.delete_profile(id()).unwrap(), 0.into(), "{name}");
            on_card.pop();
        }
        lpa.close().unwrap();
    }
    assert_eq!(on_card.len(), 20, "distinct ICCIDs");
    let state = card.0.state();
    assert_eq!(state.profiles.iter().map(|p| p.iccid.to_vec()).collect::<Vec<_>>(), on_card);
    assert_eq!(state.profiles.iter().filter(|p| p.profile_name == "GSMA Generic eUICC Test Profile").count(), 20);
}

/// `veuicc download --profile` names a TS.48 package by its printed ICCID, lists it so, and
/// `veuicc enable <printed ICCID>` finds it: 20 digits and 19 digits (`F` filler).
#[test]
fn cli_downloads_and_enables_by_printed_iccid() {
    let Some(packages) = packages() else { return };
    let dir = std::env::temp_dir().join(format!("veuicc-ts48-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    let Some(shared) = support::shared("install TS.48 packages through the CLI") else { return };
    let shared = PathBuf::from(shared).join("fixtures/ts48");
    for (file, want) in
        [("TS48v5_SAIP2.3_NoBERTLV.der", "89000123456789012341"), ("TS48V1-A-UNIQUE.der", "8949449999999990023")]
    {
        assert!(packages.iter().any(|(n, _)| n == file));
        let path = shared.join(file);
        let (code, out, err) = veuicc(&["download", "--state", d, "--profile", path.to_str().unwrap()]);
        assert_eq!((code, out.trim()), (0, want), "{file}: {err}");
        let (code, _, err) = veuicc(&["enable", "--state", d, want]);
        assert_eq!(code, 0, "{file}: enable {want}: {err}");
        let (_, out, _) = veuicc(&["profiles", "--json", "--state", d]);
        assert!(out.contains(&format!(r#""iccid":"{want}","#)), "{out}");
        assert!(out.contains(&format!(r#""iccid":"{want}","isdp_aid":"#)), "{out}");
        let enabled = out.split("},{").filter(|p| p.contains(r#""state":"enabled""#)).collect::<Vec<_>>();
        assert_eq!(enabled.len(), 1, "{out}");
        assert!(enabled[0].contains(want), "{out}");
        assert!(out.contains(r#""name":"GSMA Generic eUICC Test Profile""#), "{out}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
