//! `veuicc download` into a state directory, then the profile is there for the LPA-style commands.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

mod support;
use support::veuicc;

#[test]
fn download_then_manage() {
    let dir = std::env::temp_dir().join(format!("veuicc-cli-dl-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    // A package given as a file is stored byte for byte; the metadata takes its header's ICCID.
    let upp = veuicc::testkit::saip::TestProfile::new([0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14])
        .with_padding(5000)
        .to_der();
    let file = dir.with_extension("der");
    std::fs::write(&file, &upp).unwrap();
    let (code, out, err) = veuicc(&["download", "--state", d, "--profile", file.to_str().unwrap(), "--name", "Travel"]);
    assert_eq!((code, out.trim()), (0, "89000123456789012341"), "{err}");
    let (code, _, err) = veuicc(&["download", "--state", d, "--profile", file.to_str().unwrap()]);
    assert_eq!((code, err.trim()), (1, "veuicc: installFailedDueToIccidAlreadyExistsOnEuicc (9), bppCommandId 2"));
    let (_, out, _) = veuicc(&["profiles", "--json", "--state", d]);
    assert!(
        out.contains(
            r#""iccid":"89000123456789012341","isdp_aid":"A0000005591010FFFFFFFF8900001000","state":"disabled""#
        ),
        "{out}"
    );
    assert!(out.contains(r#""name":"Travel""#), "{out}");
    assert_eq!(veuicc(&["enable", "--state", d, "89000123456789012341"]).0, 0);
    let (_, out, _) = veuicc(&["notifications", "--json", "--state", d]);
    assert!(
        out.starts_with(r#"[{"seq":1,"event":"install","iccid":"89000123456789012341","address":"smdp.veuicc.test"}"#),
        "{out}"
    );
    {
        let mut storage = veuicc::host::fs_storage::DirStorage::open(&dir).unwrap();
        let store = veuicc::store::Store::open(&mut storage).unwrap();
        assert_eq!(store.get("u.10"), Some(&upp[..]));
    }
    assert_eq!(veuicc(&["state", "check", d]).0, 0);
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_file(&file).unwrap();
}
