//! SAIP profile packages: `saip::check` on the test kit's generated package, one test per rule it
//! enforces, a never-panics property, and (with `VEUICC_SHARED`) an independent decode of the
//! generated package by Python asn1tools compiled from the TCA `PEDefinitions` v3.3.1.
//!
//! `VEUICC_UPP_DIR` (optional): a directory of real `.der` UPPs (e.g. pySim's `smdpp-data/upp`)
//! that `check` must accept; nothing of them is stored in this repository.
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
use support::hex;

use proptest::prelude::*;
use std::path::PathBuf;
use std::process::Command;
use veuicc::saip::{Algorithm, PeError, PeKind, Services, check, elements};
use veuicc::testkit::saip::TestProfile;

/// TS.48's ICCID 89000123456789012341 in EF.ICCID order.
const ICCID: &str = "98001032547698103214";

fn profile() -> TestProfile {
    TestProfile::new(hex(ICCID).try_into().unwrap())
}

/// The generated package split into its profile elements.
fn pes(upp: &[u8]) -> Vec<Vec<u8>> {
    elements(upp).map(|pe| pe.unwrap().raw.to_vec()).collect()
}

/// Index of the first element of `kind`.
fn index_of(pes: &[Vec<u8>], kind: PeKind) -> usize {
    pes.iter().position(|p| elements(p).next().unwrap().unwrap().kind() == Some(kind)).unwrap()
}

fn offset_of(pes: &[Vec<u8>], index: usize) -> usize {
    pes[..index].iter().map(Vec::len).sum()
}

/// A TLV with a one-byte tag (short or long length).
fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match value.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(value);
    out
}

/// `ProfileHeader` written out field by field, so the tests do not lean on the generator.
fn header(major: u8, iccid: &[u8], extra: &[u8]) -> Vec<u8> {
    header_with_services(major, iccid, &hex("8100 8400"), extra) // usim, milenage
}

fn header_with_services(major: u8, iccid: &[u8], services: &[u8], extra: &[u8]) -> Vec<u8> {
    let mut v = vec![0x80, 0x01, major, 0x81, 0x01, 0x03];
    v.extend(tlv(0x83, iccid));
    v.extend(tlv(0xA5, services));
    v.extend([0xA6, 0x00]);
    v.extend_from_slice(extra);
    tlv(0xA0, &v)
}

/// `PE-AKAParameter` with identification 6 and the given algorithm, K and OPc.
fn aka(algorithm: u8, k: &[u8], opc: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, 0x01, algorithm, 0x81, 0x01, 0x02];
    p.extend(tlv(0x82, k));
    p.extend(tlv(0x83, opc));
    let mut v = vec![0xA0, 0x03, 0x81, 0x01, 0x06];
    v.extend(tlv(0xA1, &tlv(0xA1, &p)));
    tlv(0xA4, &v)
}

fn replace(pes: &[Vec<u8>], kind: PeKind, with: Vec<u8>) -> Vec<u8> {
    let mut pes = pes.to_vec();
    let i = index_of(&pes, kind);
    pes[i] = with;
    pes.concat()
}

#[test]
fn generated_package_passes() {
    let upp = profile().to_der();
    let s = check(&upp).unwrap();
    // The header holds the ICCID in printed digit order; SGP.22's Iccid is the nibble swap.
    assert_eq!(s.header.iccid.to_vec(), hex("89000123456789012341"));
    assert_eq!(s.header.sgp22_iccid().to_vec(), hex(ICCID));
    assert_eq!((s.header.major_version, s.header.minor_version), (2, 3));
    assert_eq!(s.header.profile_type.as_deref(), Some("veuicc test profile"));
    assert!(s.header.mandatory_services.contains(Services::USIM | Services::MILENAGE));
    assert_eq!(s.header.mandatory_services.names().collect::<Vec<_>>(), ["usim", "milenage"]);
    assert_eq!(s.header.mandatory_templates, ["2.23.143.1.2.1", "2.23.143.1.2.4"]);
    let kinds: Vec<_> = s.order.iter().map(|(k, _)| *k).collect();
    use PeKind::*;
    assert_eq!(kinds, [Header, Mf, PukCodes, PinCodes, Usim, PinCodes, AkaParameter, End]);
    assert_eq!(s.elements, 8);
    let ids: Vec<_> = s.order.iter().filter_map(|(_, id)| *id).collect();
    assert_eq!(ids, (1..=7).collect::<Vec<u16>>());
    assert_eq!(s.aka.len(), 1);
    let a = &s.aka[0];
    assert_eq!((a.identification, a.algorithm, a.algorithm_options), (6, Some(Algorithm::Milenage), 2));
    assert_eq!((a.key_len, a.opc_len, a.mapping_source.as_ref()), (16, 16, None));

    // elements() reports offsets, raw TLVs and identifications that tile the package.
    let mut next = 0;
    for pe in elements(&upp) {
        let pe = pe.unwrap();
        assert_eq!(pe.offset, next);
        next += pe.raw.len();
    }
    assert_eq!(next, upp.len());
}

#[test]
fn test_algorithm_and_padding() {
    let mut p = profile();
    p.algorithm = Algorithm::TestAlgorithm;
    let s = check(&p.to_der()).unwrap();
    assert_eq!(s.aka[0].algorithm, Some(Algorithm::TestAlgorithm));
    assert!(s.header.mandatory_services.contains(Services::USIM_TEST_ALGORITHM));
    for len in [12 * 1024, 64 * 1024, 256 * 1024] {
        let upp = profile().with_padding(len).to_der();
        assert_eq!(upp.len(), len);
        let s = check(&upp).unwrap();
        assert_eq!(s.order[4].0, PeKind::GenericFileManagement);
        assert_eq!(s.order.last().unwrap(), &(PeKind::End, Some(8)));
    }
    // Too small a target: no padding.
    assert_eq!(profile().with_padding(100).to_der(), profile().to_der());
}

#[test]
fn header_missing_or_misplaced() {
    let pes = pes(&profile().to_der());
    assert_eq!(check(&pes[1..].concat()), Err(PeError::HeaderMissing));
    assert_eq!(check(&[]), Err(PeError::HeaderMissing));
    let mut swapped = pes.clone();
    swapped.swap(0, 1);
    assert_eq!(check(&swapped.concat()), Err(PeError::HeaderNotFirst { offset: pes[1].len() }));
    let mut two = pes.clone();
    two.insert(2, pes[0].clone());
    assert_eq!(check(&two.concat()), Err(PeError::DuplicateHeader { offset: offset_of(&pes, 2) }));
}

#[test]
fn end_missing_or_followed() {
    let upp = profile().to_der();
    let pes = pes(&upp);
    assert_eq!(check(&pes[..pes.len() - 1].concat()), Err(PeError::EndMissing));
    let mut extra = upp.clone();
    extra.push(0x00);
    assert_eq!(check(&extra), Err(PeError::DataAfterEnd { offset: upp.len() }));
    let mut two_ends = upp.clone();
    two_ends.extend(pes.last().unwrap());
    assert_eq!(check(&two_ends), Err(PeError::DataAfterEnd { offset: upp.len() }));
}

#[test]
fn unknown_tags() {
    let pes = pes(&profile().to_der());
    let at = offset_of(&pes, 2);
    // rfu1 (AB) is a placeholder; BF22 is past opt-iot; 30 is no context tag at all.
    // Mandated (PEHeader with `mandated`), each is refused. (Until saip::decode, a PEHeader
    // without `mandated` was refused as well; now such an element is skipped: see below.)
    for (pe, tag) in [
        (hex("AB07 A005 8000 810109"), 0xAB),
        (hex("BF22 07 A005 8000 810109"), 0xBF22),
        (hex("3005 A003 810109"), 0x30),
    ] {
        let mut v = pes.clone();
        v.insert(2, pe);
        assert_eq!(check(&v.concat()), Err(PeError::UnknownTag { offset: at, tag }));
    }
    // Not mandated: skipped and listed (SAIP: an eUICC ignores an unknown PE not mandated).
    for (pe, tag) in [(hex("AB05 A003 810109"), 0xAB), (hex("BF22 05 A003 810109"), 0xBF22)] {
        let mut v = pes.clone();
        v.insert(2, pe);
        let s = check(&v.concat()).unwrap();
        assert_eq!((s.skipped, s.elements), (vec![(tag, 9)], 8));
    }
    // Known high-tag-number alternatives pass the tag check (then need the MF, which is there).
    let mut v = pes.clone();
    v.insert(2, hex("BF1F 05 A003 810109"));
    assert!(check(&v.concat()).is_ok());
}

#[test]
fn tlv_framing() {
    let upp = profile().to_der();
    let pes = pes(&upp);
    let end_at = offset_of(&pes, pes.len() - 1);
    assert_eq!(check(&upp[..upp.len() - 1]), Err(PeError::Truncated { offset: end_at }));
    assert_eq!(check(&upp[..end_at + 1]), Err(PeError::Truncated { offset: end_at }));
    let mut long_form = pes.clone();
    *long_form.last_mut().unwrap() = hex("AA 81 07 A005 8000 810107");
    assert_eq!(check(&long_form.concat()), Err(PeError::BadLength { offset: end_at }));
    let mut indefinite = pes.clone();
    *indefinite.last_mut().unwrap() = hex("AA 80 A005 8000 810107 0000");
    assert_eq!(check(&indefinite.concat()), Err(PeError::BadLength { offset: end_at }));
    let mut bad_tag = pes.clone();
    *bad_tag.last_mut().unwrap() = hex("BF 05 00");
    assert_eq!(check(&bad_tag.concat()), Err(PeError::BadTag { offset: end_at }));
}

#[test]
fn mf_first_and_once() {
    let pes = pes(&profile().to_der());
    let mut no_mf = pes.clone();
    no_mf.remove(index_of(&pes, PeKind::Mf));
    let usim = index_of(&no_mf, PeKind::Usim);
    assert_eq!(
        check(&no_mf.concat()),
        Err(PeError::MfMissing { offset: offset_of(&no_mf, usim), kind: PeKind::Usim, identification: 4 })
    );
    let mut two = pes.clone();
    two.insert(2, pes[1].clone());
    assert_eq!(check(&two.concat()), Err(PeError::DuplicateMf { offset: offset_of(&pes, 2), identification: 1 }));
    // A genericFileManagement before the MF counts as a file-system element.
    let mut gfm = pes.clone();
    gfm.insert(1, hex("A1 05 A003 810109"));
    assert!(matches!(check(&gfm.concat()), Err(PeError::MfMissing { kind: PeKind::GenericFileManagement, .. })));
    // An IoT Minimal profile: `iot` (BF20) carries its own MF, no `mf` element before it.
    let iot = [
        header(3, &hex(ICCID), &[]),
        hex("BF20 05 A003 810102"),
        hex("A1 05 A003 810103"),
        aka(1, &[0x11; 16], &[0x22; 16]),
        hex("AA 07 A0 05 80 00 81 01 07"),
    ];
    let summary = check(&iot.concat()).unwrap();
    assert_eq!(summary.order.get(1).map(|(k, _)| *k), Some(PeKind::Iot));
}

#[test]
fn pe_header_required() {
    let pes = pes(&profile().to_der());
    let mut v = pes.clone();
    v.insert(2, hex("A3 03 300100"));
    assert_eq!(check(&v.concat()), Err(PeError::BadPeHeader { offset: offset_of(&pes, 2), kind: PeKind::PukCodes }));
    // identification is UInt15.
    let mut v = pes.clone();
    v.insert(2, hex("A3 07 A005 8103 00FFFF"));
    assert!(matches!(check(&v.concat()), Err(PeError::BadPeHeader { .. })));
}

#[test]
fn header_contents() {
    let pes = pes(&profile().to_der());
    let iccid = hex(ICCID);
    let with = |h: Vec<u8>| {
        let mut v = pes.clone();
        v[0] = h;
        check(&v.concat())
    };
    // The hand-written header is accepted, also with an unknown extension field (EXTENSIBILITY IMPLIED).
    assert_eq!(with(header(2, &iccid, &[])).unwrap().header.iccid.to_vec(), iccid);
    let extended = with(header(3, &iccid, &hex("8F 01 00 BF22 00"))).unwrap().header;
    assert_eq!((extended.major_version, extended.unknown_mandatory_services), (3, 0));
    // ServicesList extensions: [30] and [31] are services this card does not know.
    let services = hex("8100 8400 9D00 9E00 BF1F00");
    let h = with(header_with_services(2, &iccid, &services, &[])).unwrap().header;
    assert_eq!(h.unknown_mandatory_services, 2);
    assert_eq!(h.mandatory_services.names().collect::<Vec<_>>(), ["usim", "milenage", "eaka"]);
    assert_eq!(with(header(2, &iccid[..9], &[])), Err(PeError::BadIccidLength { len: 9 }));
    let mut eleven = iccid.clone();
    eleven.push(0x55);
    assert_eq!(with(header(2, &eleven, &[])), Err(PeError::BadIccidLength { len: 11 }));
    assert_eq!(with(header(4, &iccid, &[])), Err(PeError::UnsupportedVersion { major: 4, minor: 3 }));
    assert_eq!(with(hex("A0 03 800102")), Err(PeError::BadHeader { offset: 0 }));
}

#[test]
fn aka_contents() {
    let pes = pes(&profile().to_der());
    let k16 = [0x11u8; 16];
    let k32 = [0x22u8; 32];
    let ok = |pe: Vec<u8>| check(&replace(&pes, PeKind::AkaParameter, pe)).map(|s| s.aka[0].clone());
    assert_eq!(ok(aka(1, &k16, &k16)).unwrap().algorithm, Some(Algorithm::Milenage));
    assert_eq!(ok(aka(2, &k32, &k32)).unwrap().key_len, 32);
    assert_eq!(ok(aka(3, &k32, &[])).unwrap().algorithm, Some(Algorithm::TestAlgorithm));
    assert_eq!(ok(aka(4, &k16, &k16)), Err(PeError::UnknownAlgorithm { identification: 6, algorithm: 4 }));
    assert_eq!(ok(aka(0, &k16, &k16)), Err(PeError::UnknownAlgorithm { identification: 6, algorithm: 0 }));
    assert_eq!(
        ok(aka(1, &k32, &k16)),
        Err(PeError::BadKeyLength { identification: 6, algorithm: Algorithm::Milenage, len: 32 })
    );
    assert_eq!(
        ok(aka(3, &k16[..8], &k16)),
        Err(PeError::BadKeyLength { identification: 6, algorithm: Algorithm::TestAlgorithm, len: 8 })
    );
    assert_eq!(
        ok(aka(1, &k16, &k16[..8])),
        Err(PeError::BadOpcLength { identification: 6, algorithm: Algorithm::Milenage, len: 8 })
    );
    assert_eq!(
        ok(aka(2, &k16, &k16)),
        Err(PeError::BadOpcLength { identification: 6, algorithm: Algorithm::Tuak, len: 16 })
    );
    // mappingParameter: keys of another NAA.
    let mut mapping = vec![0xA0, 0x03, 0x81, 0x01, 0x06];
    mapping.extend(tlv(0xA1, &tlv(0xA0, &hex("8001 01 8107 A0000000871004"))));
    let m = ok(tlv(0xA4, &mapping)).unwrap();
    assert_eq!((m.algorithm, m.mapping_source), (None, Some(hex("A0000000871004"))));
    // Extension fields (EXTENSIBILITY IMPLIED) are ignored at both levels.
    let mut p = vec![0x80, 0x01, 0x01, 0x81, 0x01, 0x02];
    p.extend(tlv(0x82, &k16));
    p.extend(tlv(0x83, &k16));
    p.extend(hex("8801 00")); // AlgoParameter [8]
    let mut v = vec![0xA0, 0x03, 0x81, 0x01, 0x06];
    v.extend(tlv(0xA1, &tlv(0xA1, &p)));
    v.extend(hex("8601 00")); // PE-AKAParameter [6]
    assert_eq!(ok(tlv(0xA4, &v)).unwrap().key_len, 16);
    // Not a PE-AKAParameter at all.
    let at = offset_of(&pes, index_of(&pes, PeKind::AkaParameter));
    assert_eq!(ok(hex("A4 07 A003 810106 0500")), Err(PeError::BadAka { offset: at, identification: 6 }));
}

#[test]
fn errors_display_and_status() {
    let errors = [
        PeError::Truncated { offset: 7 },
        PeError::UnknownTag { offset: 7, tag: 0xBF22 },
        PeError::HeaderMissing,
        PeError::MfMissing { offset: 7, kind: PeKind::Usim, identification: 4 },
        PeError::BadKeyLength { identification: 6, algorithm: Algorithm::Milenage, len: 8 },
        PeError::UnsupportedVersion { major: 4, minor: 0 },
        PeError::DataAfterEnd { offset: 7 },
    ];
    for e in &errors {
        assert!(!e.to_string().is_empty());
    }
    assert!(errors[1].to_string().contains("BF22"));
    assert!(errors[3].to_string().contains("usim") && errors[3].to_string().contains("identification 4"));
    assert_eq!(errors[3].identification(), Some(4));
    assert_eq!(errors.iter().map(PeError::pe_status).collect::<Vec<_>>(), [5, 1, 5, 5, 3, 31, 5]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = check(&bytes);
        let _ = elements(&bytes).count();
    }

    #[test]
    fn mutated_packages_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut upp = profile().to_der();
        for (at, byte, op) in edits {
            let i = at.index(upp.len());
            match op {
                0 => upp[i] = byte,
                1 => upp[i] ^= 1 << (byte % 8),
                2 => upp.insert(i, byte),
                _ => { upp.remove(i); }
            }
        }
        let _ = check(&upp);
        let n = cut.index(upp.len() + 1);
        let _ = check(&upp[..n]);
    }

    #[test]
    fn random_header_and_aka_fields_never_panic(
        oid in proptest::collection::vec(any::<u8>(), 0..40),
        services in proptest::collection::vec(any::<u8>(), 0..40),
        algo in proptest::collection::vec(any::<u8>(), 0..80),
        tail in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let pes = pes(&profile().to_der());
        let mut h = vec![0x80, 0x01, 0x02, 0x81, 0x01, 0x03];
        h.extend(tlv(0x83, &hex(ICCID)));
        h.extend(tlv(0xA5, &services));
        h.extend(tlv(0xA6, &tlv(0x06, &oid)));
        h.extend_from_slice(&tail);
        let mut v = pes.clone();
        v[0] = tlv(0xA0, &h);
        let _ = check(&v.concat());
        let mut a = vec![0xA0, 0x03, 0x81, 0x01, 0x06];
        a.extend(tlv(0xA1, &tlv(0xA1, &algo)));
        a.extend_from_slice(&tail);
        let _ = check(&replace(&pes, PeKind::AkaParameter, tlv(0xA4, &a)));
    }

    #[test]
    fn shuffled_elements_never_panic(order in Just((0..8usize).collect::<Vec<_>>()).prop_shuffle()) {
        let pes = pes(&profile().to_der());
        let upp: Vec<u8> = order.iter().flat_map(|&i| pes[i].clone()).collect();
        let r = check(&upp);
        if order == (0..8).collect::<Vec<_>>() {
            prop_assert!(r.is_ok());
        }
    }
}

// ------------------------------------------------------------------ independent decoder

fn shared() -> Option<PathBuf> {
    let shared = support::shared("decode the package with asn1tools")?;
    Some(PathBuf::from(shared))
}

/// True if Python asn1tools can be imported. `.ci/run` installs it and sets
/// `VEUICC_REQUIRE_ASN1TOOLS=1`, which turns its absence into a failure.
fn asn1tools_available() -> bool {
    let ok = Command::new("python3").args(["-c", "import asn1tools"]).output().is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var_os("VEUICC_REQUIRE_ASN1TOOLS").is_none(),
        "VEUICC_REQUIRE_ASN1TOOLS is set but python3 cannot import asn1tools"
    );
    if !ok {
        eprintln!("skipped: pip install asn1tools");
    }
    ok
}

/// Runs `tests/support/saip_decode.py` on `upp`; its JSON output.
fn asn1tools_decode(shared: &std::path::Path, name: &str, upp: &[u8]) -> serde_json::Value {
    let dir = std::env::temp_dir().join(format!("veuicc-saip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, upp).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/saip_decode.py");
    let asn = shared.join("spec/asn1/saip/PE_Definitions-3.3.1.asn");
    let out = Command::new("python3").arg(script).arg(asn).arg(&path).output().unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "asn1tools rejected {name}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn asn1tools_decodes_the_generated_package() {
    let Some(shared) = shared() else { return };
    if !asn1tools_available() {
        return;
    }
    let mut variants = vec![("milenage.der", profile()), ("padded.der", profile().with_padding(12 * 1024))];
    let mut test_algo = profile();
    test_algo.algorithm = Algorithm::TestAlgorithm;
    test_algo.imsi = "00101987654321".into();
    test_algo.k = [0xA5; 16];
    variants.push(("test-algorithm.der", test_algo));
    for (name, p) in variants {
        let upp = p.to_der();
        let ours = check(&upp).unwrap();
        let theirs = asn1tools_decode(&shared, name, &upp);
        // Same elements, same offsets, same identifications.
        let els = theirs["elements"].as_array().unwrap();
        assert_eq!(els.len(), ours.elements, "{name}");
        for ((pe, (kind, id)), e) in elements(&upp).zip(&ours.order).zip(els) {
            let pe = pe.unwrap();
            assert_eq!(e["name"], kind.name(), "{name}");
            assert_eq!(e["offset"], pe.offset, "{name}");
            assert_eq!(e["length"], pe.raw.len(), "{name}");
            assert_eq!(e["identification"].as_u64().map(|v| v as u16), *id, "{name}");
        }
        let v = &theirs["values"];
        assert_eq!(v["header_iccid"], "89000123456789012341", "printed digit order");
        assert_eq!(v["ef_iccid"], ICCID);
        assert_eq!((v["major"].as_u64(), v["minor"].as_u64()), (Some(2), Some(3)));
        let services: Vec<_> = v["services"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
        let algo_service = if p.algorithm == Algorithm::Milenage { "milenage" } else { "usim-test-algorithm" };
        assert!(services.contains(&"usim") && services.contains(&algo_service), "{services:?}");
        assert_eq!(v["templates"], serde_json::json!(["2.23.143.1.2.1", "2.23.143.1.2.4"]));
        assert_eq!(v["usim_aid"], "a0000000871002ff49ff0589");
        assert!(v["ef_dir"].as_str().unwrap().starts_with("61144f0ca0000000871002ff49ff05895004"));
        // EF.IMSI per TS 31.102 §4.2.2, written out by hand here.
        let imsi = if p.imsi == "001010123456063" { "080910101032540636" } else { "0801101089674523f1" };
        assert_eq!(v["ef_imsi"].as_str().unwrap(), &imsi[..18]);
        assert_eq!(v["aka"]["choice"], "algoParameter");
        assert_eq!(v["aka"]["algorithmID"].as_u64(), Some(u64::from(p.algorithm.id())));
        assert_eq!(hex(v["aka"]["key"].as_str().unwrap()), p.k);
        assert_eq!(hex(v["aka"]["opc"].as_str().unwrap()), p.opc);
        let pins: Vec<(u64, String)> = v["pins"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_u64().unwrap(), p[1].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(
            pins,
            [
                (1, "30303030ffffffff".to_string()),
                (10, "3535353535353535".to_string()),
                (129, "39393939ffffffff".to_string())
            ]
        );
    }
}

/// Real packages from outside the repository, when `VEUICC_UPP_DIR` names a directory of them.
#[test]
fn external_packages_pass_check() {
    let Ok(dir) = std::env::var("VEUICC_UPP_DIR") else {
        eprintln!("skipped: set VEUICC_UPP_DIR to a directory of .der UPPs (e.g. pySim smdpp-data/upp)");
        return;
    };
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "der") {
            let upp = std::fs::read(&path).unwrap();
            let s = check(&upp).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            eprintln!("{}: {} elements, {} akaParameter", path.display(), s.elements, s.aka.len());
            n += 1;
        }
    }
    assert!(n > 0, "no .der files");
}
