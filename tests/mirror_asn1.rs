//! The mirror module's rasn types (`veuicc::mirror::asn`) against an independent codec:
//! Python asn1tools compiles `src/mirror/Mirror.asn` as it stands and the same sample values —
//! every message, each optional member present and absent, every CHOICE alternative — go both
//! ways (`tests/support/mirror_asn1.py` holds the Python side):
//! * our DER decodes in asn1tools to exactly the sample value;
//! * asn1tools' DER of the sample is byte for byte ours, decodes in our type to our value, and
//!   re-encodes identically.
//!
//! Needs Python `asn1tools` (`python3 -m pip install asn1tools`); without it the test says so
//! and passes, unless `VEUICC_REQUIRE_ASN1TOOLS` is set (CI), which makes a missing tool a failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

mod support;

use rasn::types::{BitString, FixedOctetString, NumericString, OctetString};
use std::fmt::Debug;
use std::io::Write;
use std::process::{Command, Stdio};
use veuicc::mirror::asn::*;

type Check = Box<dyn Fn(&[u8]) -> Result<(), String>>;

/// A sample: its label, our DER, and the check of asn1tools' DER against our value.
struct Case {
    label: &'static str,
    der: Vec<u8>,
    check: Check,
}

fn case<T: rasn::Encode + rasn::Decode + PartialEq + Debug + 'static>(label: &'static str, value: T) -> Case {
    let der = rasn::der::encode(&value).unwrap_or_else(|e| panic!("{label}: {e}"));
    let check = Box::new(move |theirs: &[u8]| {
        let decoded: T = rasn::der::decode(theirs).map_err(|e| format!("our type cannot decode it: {e}"))?;
        if decoded != value {
            return Err(format!("decodes to {decoded:?}, not {value:?}"));
        }
        let again = rasn::der::encode(&decoded).map_err(|e| e.to_string())?;
        if again != theirs {
            return Err(format!("re-encodes as {}", support::hexs(&again)));
        }
        Ok(())
    });
    Case { label, der, check }
}

fn bits(services: u8) -> BitString {
    services_bits(services)
}

fn fixed<const N: usize>(b: &[u8]) -> FixedOctetString<N> {
    FixedOctetString::new(b.try_into().unwrap())
}

fn code(s: &str) -> NumericString {
    NumericString::from_bytes(s.as_bytes()).unwrap()
}

fn cases() -> Vec<Case> {
    let tid: TokenId = fixed(&(0u8..16).collect::<Vec<_>>());
    let tid2: TokenId = fixed(&(16u8..32).collect::<Vec<_>>());
    let eid: Eid = fixed(&support::hex("89049032123451234512345678901235"));
    let eid2: Eid = fixed(&[0x89; 16]);
    let iccid: Iccid = fixed(&support::hex("98001032547698103251"));
    let sig: Signature = fixed(&(0u8..64).collect::<Vec<_>>());
    let cert: OctetString = support::hex("3003020101").into();
    let cert2: OctetString = support::hex("300402020102").into();
    let t: u64 = 1_796_083_200;
    let all = service::ALL;
    let data = service::DATA;

    let policy_full = MirrorPolicy {
        max_instances: MaxInstances::Unlimited(()),
        services: bits(all),
        max_token_validity: 86400,
        reauth_interval: 7_776_000,
        transfer_allowed: true,
        suspend_while_roaming: true,
    };
    let policy_min = MirrorPolicy {
        max_instances: MaxInstances::Limited(3),
        services: bits(data),
        max_token_validity: 3600,
        reauth_interval: 60,
        transfer_allowed: false,
        suspend_while_roaming: false,
    };
    let token_full = MirrorToken {
        token_id: tid,
        source_eid: eid,
        iccid,
        mode: mode::TRANSFER,
        services: bits(all),
        not_before: t,
        not_after: u64::MAX,
        target_eid: Some(eid2),
        device_class: Some(device_class::OTHER),
        priority: Some(2),
    };
    let token_min = MirrorToken {
        token_id: tid,
        source_eid: eid,
        iccid,
        mode: mode::MIRROR,
        services: bits(data),
        not_before: 0,
        not_after: t,
        target_eid: None,
        device_class: None,
        priority: None,
    };
    let signed_token = SignedMirrorToken {
        mirror_token: token_full.clone(),
        euicc_signature: sig,
        euicc_certificate: cert.clone(),
        eum_certificate: cert2.clone(),
    };
    let signed_token_min = SignedMirrorToken {
        mirror_token: token_min.clone(),
        euicc_signature: sig,
        euicc_certificate: OctetString::from_static(b""),
        eum_certificate: cert.clone(),
    };
    let request = MirrorRequest {
        token_id: tid,
        secondary_eid: eid2,
        ot_pk: [&[0x04][..], &[0x11; 64]].concat().into(),
        token_hash: fixed(&[0xAB; 32]),
        secondary_challenge: fixed(&[0xCD; 16]),
    };
    let signed_request = SignedMirrorRequest {
        mirror_request: request.clone(),
        euicc_signature: sig,
        euicc_certificate: cert.clone(),
        eum_certificate: cert2.clone(),
    };
    let update_full = MirrorLinkUpdate {
        token_id: tid,
        source_eid: eid,
        secondary_eid: eid2,
        iccid,
        action: action::RENEW,
        sequence_number: u32::MAX,
        issued_at: t,
        renew_by: Some(t + 7_776_000),
    };
    let update_min = MirrorLinkUpdate {
        token_id: tid2,
        source_eid: eid,
        secondary_eid: eid2,
        iccid,
        action: action::REVOKE,
        sequence_number: 0,
        issued_at: t,
        renew_by: None,
    };
    let signed_update = SignedMirrorLinkUpdate { mirror_link_update: update_full.clone(), euicc_signature: sig };
    let signed_update_min = SignedMirrorLinkUpdate { mirror_link_update: update_min.clone(), euicc_signature: sig };
    let link_full = MirrorLink {
        token_id: tid,
        iccid,
        state: link_state::ACTIVE,
        mode: mode::MIRROR,
        services: bits(service::VOICE),
        not_after: t,
        secondary_eid: Some(eid2),
        device_class: Some(device_class::WATCH),
        priority: Some(0),
        linked_at: Some(t),
        renew_by: Some(t + 60),
    };
    let link_min = MirrorLink {
        token_id: tid2,
        iccid,
        state: link_state::VOIDED,
        mode: mode::MIRROR,
        services: bits(0),
        not_after: t,
        secondary_eid: None,
        device_class: None,
        priority: None,
        linked_at: None,
        renew_by: None,
    };
    let instance_full = MirrorInstanceInfo {
        source_eid: eid,
        token_id: tid,
        services: bits(all),
        renew_by: t,
        state: link_state::SUSPENDED,
        device_class: Some(device_class::GLASSES),
        priority: Some(1),
    };
    let instance_min = MirrorInstanceInfo {
        source_eid: eid,
        token_id: tid,
        services: bits(data),
        renew_by: 0,
        state: link_state::ACTIVE,
        device_class: None,
        priority: None,
    };
    let profile_primary = MirrorProfileInfo {
        iccid,
        role: role::PRIMARY,
        policy: Some(policy_min.clone()),
        live_instances: Some(255),
        instance: None,
    };
    let profile_secondary = MirrorProfileInfo {
        iccid,
        role: role::SECONDARY,
        policy: None,
        live_instances: None,
        instance: Some(instance_full),
    };
    let profile_none =
        MirrorProfileInfo { iccid, role: role::NONE, policy: None, live_instances: None, instance: None };
    let issue_full = IssueMirrorTokenRequest {
        iccid,
        mode: mode::MIRROR,
        services: bits(all),
        validity: 86400,
        target_eid: Some(eid2),
        device_class: Some(device_class::WATCH),
        priority: Some(2),
    };
    let issue_min = IssueMirrorTokenRequest {
        iccid,
        mode: mode::TRANSFER,
        services: bits(data),
        validity: u32::MAX,
        target_eid: None,
        device_class: None,
        priority: None,
    };
    vec![
        case("MirrorPolicy/full", policy_full),
        case("MirrorPolicy/min", policy_min),
        case("MirrorToken/full", token_full),
        case("MirrorToken/min", token_min),
        case("SignedMirrorToken/full", signed_token.clone()),
        case("SignedMirrorToken/min", signed_token_min.clone()),
        case("MirrorRequest", request),
        case("SignedMirrorRequest", signed_request.clone()),
        case("MirrorLinkUpdate/full", update_full),
        case("MirrorLinkUpdate/min", update_min),
        case("SignedMirrorLinkUpdate", signed_update.clone()),
        case("MirrorLink/full", link_full.clone()),
        case("MirrorLink/min", link_min.clone()),
        case("MirrorInstanceInfo/min", instance_min),
        case("MirrorProfileInfo/primary", profile_primary.clone()),
        case("MirrorProfileInfo/secondary", profile_secondary.clone()),
        case("MirrorProfileInfo/none", profile_none.clone()),
        case("IssueMirrorTokenRequest/full", issue_full),
        case("IssueMirrorTokenRequest/min", issue_min),
        case(
            "IssueMirrorTokenResponse/issued",
            IssueMirrorTokenResponse(IssueMirrorTokenResult::Issued(IssuedMirrorToken {
                signed_mirror_token: signed_token.clone(),
                numeric_code: code("04711235"),
            })),
        ),
        case("IssueMirrorTokenResponse/error", IssueMirrorTokenResponse(IssueMirrorTokenResult::MirrorError(2))),
        case(
            "RedeemMirrorCodeRequest/full",
            RedeemMirrorCodeRequest { numeric_code: code("00000000"), iccid: Some(iccid) },
        ),
        case("RedeemMirrorCodeRequest/min", RedeemMirrorCodeRequest { numeric_code: code("99999999"), iccid: None }),
        case(
            "RedeemMirrorCodeResponse/token",
            RedeemMirrorCodeResponse(RedeemMirrorCodeResult::SignedMirrorToken(signed_token_min)),
        ),
        case("RedeemMirrorCodeResponse/error", RedeemMirrorCodeResponse(RedeemMirrorCodeResult::MirrorError(10))),
        case("BeginMirrorRequest", BeginMirrorRequest { signed_mirror_token: signed_token }),
        case(
            "BeginMirrorResponse/request",
            BeginMirrorResponse(BeginMirrorResult::SignedMirrorRequest(signed_request.clone())),
        ),
        case("BeginMirrorResponse/error", BeginMirrorResponse(BeginMirrorResult::MirrorError(14))),
        case("ExportMirrorRequest", ExportMirrorRequest { signed_mirror_request: signed_request }),
        case(
            "ExportMirrorResponse/package",
            ExportMirrorResponse(ExportMirrorResult::BoundProfilePackage(support::hex("BF3603A00100").into())),
        ),
        case("ExportMirrorResponse/error", ExportMirrorResponse(ExportMirrorResult::MirrorError(8))),
        case(
            "ConfirmMirrorRequest",
            ConfirmMirrorRequest { profile_installation_result: support::hex("BF3700").into() },
        ),
        case("ConfirmMirrorResponse/link", ConfirmMirrorResponse(ConfirmMirrorResult::MirrorLink(link_full.clone()))),
        case("ConfirmMirrorResponse/error", ConfirmMirrorResponse(ConfirmMirrorResult::MirrorError(127))),
        case("RevokeMirrorRequest/token", RevokeMirrorRequest { link: MirrorLinkRef::TokenId(tid) }),
        case("RevokeMirrorRequest/eid", RevokeMirrorRequest { link: MirrorLinkRef::SecondaryEid(eid2) }),
        case(
            "RevokeMirrorResponse/revocation",
            RevokeMirrorResponse(RevokeMirrorResult::Revocation(signed_update_min.clone())),
        ),
        case("RevokeMirrorResponse/voided", RevokeMirrorResponse(RevokeMirrorResult::TokenVoided(()))),
        case("RevokeMirrorResponse/error", RevokeMirrorResponse(RevokeMirrorResult::MirrorError(17))),
        case("ApplyMirrorRevocationRequest", ApplyMirrorRevocationRequest { revocation: signed_update_min.clone() }),
        case("ApplyMirrorRevocationResponse", ApplyMirrorRevocationResponse { mirror_result: 18 }),
        case("RenewMirrorRequest", RenewMirrorRequest { link: MirrorLinkRef::SecondaryEid(eid2) }),
        case("RenewMirrorResponse/renewal", RenewMirrorResponse(RenewMirrorResult::Renewal(signed_update.clone()))),
        case("RenewMirrorResponse/error", RenewMirrorResponse(RenewMirrorResult::MirrorError(17))),
        case("ApplyMirrorRenewalRequest", ApplyMirrorRenewalRequest { renewal: signed_update.clone() }),
        case("ApplyMirrorRenewalResponse", ApplyMirrorRenewalResponse { mirror_result: 0 }),
        case("SuspendMirrorRequest/one", SuspendMirrorRequest { link: Some(MirrorLinkRef::TokenId(tid)) }),
        case("SuspendMirrorRequest/all", SuspendMirrorRequest { link: None }),
        case(
            "SuspendMirrorResponse/list",
            SuspendMirrorResponse(SuspendMirrorResult::Suspensions(vec![
                signed_update.clone(),
                signed_update_min.clone(),
            ])),
        ),
        case("SuspendMirrorResponse/empty", SuspendMirrorResponse(SuspendMirrorResult::Suspensions(vec![]))),
        case("SuspendMirrorResponse/error", SuspendMirrorResponse(SuspendMirrorResult::MirrorError(19))),
        case("ResumeMirrorRequest/one", ResumeMirrorRequest { link: Some(MirrorLinkRef::SecondaryEid(eid)) }),
        case("ResumeMirrorRequest/all", ResumeMirrorRequest { link: None }),
        case(
            "ResumeMirrorResponse/list",
            ResumeMirrorResponse(ResumeMirrorResult::Resumptions(vec![signed_update_min])),
        ),
        case("ResumeMirrorResponse/error", ResumeMirrorResponse(ResumeMirrorResult::MirrorError(21))),
        case("ApplyMirrorSuspensionRequest", ApplyMirrorSuspensionRequest { update: signed_update }),
        case("ApplyMirrorSuspensionResponse", ApplyMirrorSuspensionResponse { mirror_result: 22 }),
        case("ListMirrorLinksRequest/iccid", ListMirrorLinksRequest { iccid: Some(iccid) }),
        case("ListMirrorLinksRequest/all", ListMirrorLinksRequest { iccid: None }),
        case(
            "ListMirrorLinksResponse/links",
            ListMirrorLinksResponse(ListMirrorLinksResult::MirrorLinks(vec![link_full, link_min])),
        ),
        case("ListMirrorLinksResponse/error", ListMirrorLinksResponse(ListMirrorLinksResult::MirrorError(20))),
        case("GetMirrorInfoRequest/iccid", GetMirrorInfoRequest { iccid: Some(iccid) }),
        case("GetMirrorInfoRequest/all", GetMirrorInfoRequest { iccid: None }),
        case(
            "GetMirrorInfoResponse/profiles",
            GetMirrorInfoResponse(GetMirrorInfoResult::MirrorProfiles(vec![
                profile_primary,
                profile_secondary,
                profile_none,
            ])),
        ),
        case("GetMirrorInfoResponse/error", GetMirrorInfoResponse(GetMirrorInfoResult::MirrorError(1))),
    ]
}

fn asn1tools_available() -> bool {
    let require = std::env::var_os("VEUICC_REQUIRE_ASN1TOOLS").is_some();
    let ok = Command::new("python3").args(["-c", "import asn1tools"]).status().is_ok_and(|s| s.success());
    if !ok {
        assert!(!require, "VEUICC_REQUIRE_ASN1TOOLS is set but python3 cannot import asn1tools");
        eprintln!("skipped: python3 -m pip install asn1tools for the mirror module test");
    }
    ok
}

#[test]
fn every_mirror_message_both_ways_against_asn1tools() {
    if !asn1tools_available() {
        return;
    }
    let cases = cases();
    let asked: Vec<_> =
        cases.iter().map(|c| serde_json::json!({"label": c.label, "der": support::hexs(&c.der)})).collect();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/mirror_asn1.py");
    let mut child = Command::new("python3").arg(script).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(serde_json::Value::from(asked).to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "mirror_asn1.py failed");
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let missing = answer["missing"].as_array().unwrap();
    assert!(missing.is_empty(), "samples only the Python side has: {missing:?}");
    let mut failures = Vec::new();
    let mut covered = std::collections::BTreeSet::new();
    for (c, r) in cases.iter().zip(answer["results"].as_array().unwrap()) {
        assert_eq!(r["label"].as_str(), Some(c.label));
        covered.insert(r["type"].as_str().unwrap().to_string());
        if r["matches"].as_bool() != Some(true) {
            failures.push(format!("{}: our DER {}: {}", c.label, support::hexs(&c.der), r["error"]));
            continue;
        }
        let theirs = support::hex(r["der"].as_str().unwrap());
        if theirs != c.der {
            failures.push(format!(
                "{}: asn1tools encodes {}\n  we encode        {}",
                c.label,
                support::hexs(&theirs),
                support::hexs(&c.der)
            ));
        }
        if let Err(e) = (c.check)(&theirs) {
            failures.push(format!("{}: {e}", c.label));
        }
    }
    assert!(failures.is_empty(), "{} differences with asn1tools:\n{}", failures.len(), failures.join("\n"));
    // Every message of the module has a sample.
    let messages: Vec<String> = answer["types"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t.as_str())
        .filter(|t| {
            t.ends_with("Request") || t.ends_with("Response") || t.starts_with("Signed") || *t == "MirrorPolicy"
        })
        .map(String::from)
        .collect();
    let uncovered: Vec<_> = messages.iter().filter(|t| !covered.contains(*t)).collect();
    assert!(uncovered.is_empty(), "messages without a sample: {uncovered:?}");
    eprintln!("{} samples of {} messages agree with asn1tools", cases.len(), messages.len());
}

/// The module's header names the OID the card compares: its DER content octets.
#[test]
fn the_policy_oid_is_the_modules() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/mirror/Mirror.asn")).unwrap();
    assert!(text.contains("MirrorPolicy  2.25.212896302286074069483687652667310389900.1.1"));
    if !asn1tools_available() {
        return;
    }
    let out = Command::new("python3")
        .args([
            "-c",
            "import asn1tools; s = asn1tools.compile_string('M DEFINITIONS ::= BEGIN O ::= OBJECT IDENTIFIER END', 'der'); \
             print(s.encode('O', '2.25.212896302286074069483687652667310389900.1.1').hex().upper())",
        ])
        .output()
        .unwrap();
    let der = support::hex(String::from_utf8_lossy(&out.stdout).trim());
    assert_eq!(&der[2..], &MIRROR_POLICY_OID[..]);
}
