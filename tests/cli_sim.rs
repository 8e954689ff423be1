//! `veuicc sim ls|cat|auth` against a state directory holding the test kit's package,
//! downloaded through the test SM-DP+ and enabled from the command line.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

mod support;
use support::{hex, hexs, veuicc};

/// The generated package's ICCID (`veuicc download` without `--profile`) and the test kit's IMSI.
const ICCID: &str = "89000123456789012341";
const IMSI: &str = "001010123456063";

/// A fresh state directory with the generated test package installed and enabled.
fn state_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("veuicc-cli-sim-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    let (code, out, err) = veuicc(&["download", "--state", d]);
    assert_eq!((code, out.trim()), (0, ICCID), "{err}");
    let (code, _, err) = veuicc(&["enable", "--state", d, ICCID]);
    assert_eq!(code, 0, "{err}");
    dir
}

#[test]
fn the_test_kit_holds_what_the_assertions_expect() {
    let p = veuicc::testkit::saip::TestProfile::new([0; 10]);
    assert_eq!(p.imsi, IMSI);
}

#[test]
fn cat_decodes_iccid_imsi_and_friends() {
    let dir = state_dir("cat");
    let d = dir.to_str().unwrap();
    let (code, out, err) = veuicc(&["sim", "cat", "2FE2", "--state", d]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, format!("98001032547698103214\nICCID {ICCID}\n"));
    // EF.IMSI is behind PIN1 (enabled in the test kit's package): without it the read is refused.
    let (code, _, err) = veuicc(&["sim", "cat", "7FFF/6F07", "--state", d]);
    assert_eq!(code, 1);
    assert!(err.contains("6982"), "{err}");
    let (code, _, err) = veuicc(&["sim", "cat", "7FFF/6F07", "--state", d, "--pin", "1111"]);
    assert_eq!(code, 1);
    assert!(err.contains("PIN1 wrong: 2 tries left (63C2)"), "{err}");
    for path in ["3F00/7FFF/6F07", "ADF.USIM/6F07", "7fff/6f07"] {
        let (code, out, err) = veuicc(&["sim", "cat", path, "--state", d, "--pin", "0000"]);
        assert_eq!(code, 0, "{path}: {err}");
        assert_eq!(out, format!("080910101032540636\nIMSI {IMSI}\n"), "{path}");
    }
    let (code, out, _) = veuicc(&["sim", "cat", "--raw", "2FE2", "--state", d]);
    assert_eq!((code, out.as_str()), (0, "98001032547698103214\n"));
    let (code, out, err) = veuicc(&["sim", "cat", "7FFF/6FAD", "--state", d, "--pin", "0000"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.ends_with("MNC length 2\n"), "{out}");
    let (code, out, err) = veuicc(&["sim", "cat", "7FFF/6F46", "--state", d, "--pin", "0000"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.ends_with("SPN \"veuicc\", display condition 00\n"), "{out}");
    let (code, out, err) = veuicc(&["sim", "cat", "7FFF/6F38", "--state", d, "--pin", "0000"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\nUST services "), "{out}");
    let (code, out, err) = veuicc(&["sim", "cat", "2F00", "--state", d]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("AID=A0000000871002"), "{out}");
    // Missing files: exit 1, the path named.
    for path in ["6F99", "7FFF/6F99", "7F10/6F3A"] {
        let (code, out, err) = veuicc(&["sim", "cat", path, "--state", d]);
        assert_eq!((code, out.as_str()), (1, ""), "{path}");
        assert!(err.contains(path) && err.contains("not found"), "{path}: {err}");
    }
    // A directory is not cat'ed; bad paths are argument errors.
    assert_eq!(veuicc(&["sim", "cat", "7FFF", "--state", d]).0, 1);
    assert_eq!(veuicc(&["sim", "cat", "6F0", "--state", d]).0, 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ls_lists_the_mf_and_the_usim() {
    let dir = state_dir("ls");
    let d = dir.to_str().unwrap();
    let (code, out, err) = veuicc(&["sim", "ls", "--state", d]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.lines().any(|l| l.starts_with("2FE2  EF.ICCID") && l.contains("transparent") && l.ends_with("10 bytes")),
        "{out}"
    );
    assert!(out.lines().any(|l| l.starts_with("2F00  EF.DIR") && l.contains("linear fixed")), "{out}");
    assert!(
        out.lines().any(|l| l.starts_with("A0000000871002") && l.contains("ADF.USIM") && l.ends_with("ADF")),
        "{out}"
    );
    let (code, out, err) = veuicc(&["sim", "ls", "ADF.USIM", "--state", d]);
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().any(|l| l.starts_with("6F07  EF.IMSI") && l.ends_with("9 bytes")), "{out}");
    assert_eq!(veuicc(&["sim", "ls", "7FFF", "--state", d]).1, out);
    let (code, _, err) = veuicc(&["sim", "ls", "2FE2", "--state", d]);
    assert_eq!(code, 1);
    assert!(err.contains("2FE2: not a directory"), "{err}");
    // Reading changes nothing.
    let before = std::fs::read_dir(&dir).unwrap().count();
    let (_, show_before, _) = veuicc(&["state", "show", d]);
    veuicc(&["sim", "cat", "7FFF/6F07", "--state", d, "--pin", "0000"]);
    let (_, show_after, _) = veuicc(&["state", "show", d]);
    assert_eq!((show_before, before), (show_after, std::fs::read_dir(&dir).unwrap().count()));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn auth_and_no_enabled_profile() {
    let dir = state_dir("auth");
    let d = dir.to_str().unwrap();
    let rand = "00112233445566778899AABBCCDDEEFF";
    let autn = "FFEEDDCCBBAA99887766554433221100";
    // PIN1 first.
    let (code, out, err) = veuicc(&["sim", "auth", "--state", d, rand, autn]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert_eq!(err.trim(), "veuicc: AUTHENTICATE needs PIN1 (6982): pass --pin");
    // A made-up AUTN: MAC failure.
    let (code, out, err) = veuicc(&["sim", "auth", "--state", d, "--pin", "0000", rand, autn]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert_eq!(err.trim(), "veuicc: MAC failure (9862)");
    // A network's AUTN (the test kit's Milenage K = 00…0F, OPc = 0; SQN 000000000021, AMF 8000).
    let crypto = veuicc::crypto::rustcrypto::RustCrypto;
    let k: [u8; 16] = core::array::from_fn(|i| u8::try_from(i).unwrap());
    let m = veuicc::sim::milenage::Milenage::new(k, [0; 16]);
    let rand_b: [u8; 16] = hex(rand).try_into().unwrap();
    let (sqn, amf) = ([0, 0, 0, 0, 0, 0x21], [0x80, 0x00]);
    let o = m.f2345(&crypto, &rand_b);
    let mut autn_b: Vec<u8> = sqn.iter().zip(o.ak.iter()).map(|(s, a)| s ^ a).collect();
    autn_b.extend_from_slice(&amf);
    autn_b.extend_from_slice(&m.f1(&crypto, &rand_b, &sqn, &amf).0);
    let good = hexs(&autn_b);
    let (code, out, err) = veuicc(&["sim", "auth", "--state", d, "--pin", "0000", rand, &good]);
    assert_eq!(code, 0, "{err}");
    let kc: Vec<u8> = (0..8).map(|i| o.ck[i] ^ o.ck[i + 8] ^ o.ik[i] ^ o.ik[i + 8]).collect();
    assert_eq!(out.trim(), format!("RES={} CK={} IK={} Kc={}", hexs(&o.res), hexs(&o.ck), hexs(&o.ik), hexs(&kc)));
    // The same again, in a new process: the SQN was kept, so it is a replay → AUTS.
    let (code, out, err) = veuicc(&["sim", "auth", "--state", d, "--pin", "0000", rand, &good]);
    assert_eq!(code, 1, "{err}");
    let auts = hex(out.trim().strip_prefix("sync failure AUTS=").unwrap());
    let ak_s = m.f5_star(&crypto, &rand_b);
    let ms: Vec<u8> = auts[..6].iter().zip(ak_s.iter()).map(|(a, k)| a ^ k).collect();
    assert_eq!(ms, sqn, "AUTS carries SQN_MS");
    assert_eq!(auts[6..], m.f1(&crypto, &rand_b, &sqn, &[0, 0]).1);
    // Argument errors.
    assert_eq!(veuicc(&["sim", "auth", "--state", d, "0011", autn]).0, 2);
    // No enabled profile.
    assert_eq!(veuicc(&["disable", "--state", d, ICCID]).0, 0);
    for args in [
        &["sim", "ls", "--state", d][..],
        &["sim", "cat", "2FE2", "--state", d],
        &["sim", "auth", "--state", d, rand, autn],
    ] {
        let (code, _, err) = veuicc(args);
        assert_eq!(code, 1, "{args:?}");
        assert!(err.contains("no enabled profile"), "{args:?}: {err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
