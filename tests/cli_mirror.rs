//! `veuicc download --mirror …` and `veuicc mirror issue|redeem|revoke|renew|suspend|resume|apply|
//! list|info|pair` on state directories, through the binary: exit codes, the result names, the
//! JSON shapes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use support::veuicc;

const ICCID: &str = "89000123456789012341";

#[test]
fn issue_list_info_redeem_revoke_on_a_state_directory() {
    let dir = std::env::temp_dir().join(format!("veuicc-cli-mirror-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let state = dir.to_str().unwrap();
    let (code, out, err) = veuicc(&[
        "download",
        "--state",
        state,
        "--mirror",
        "max=2,services=voice+sms+data,validity=24h,reauth=90d,roaming-suspend",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), ICCID);

    let (code, out, _) = veuicc(&["mirror", "info", "--state", state, "--json"]);
    assert_eq!(code, 0);
    let info: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(info[0]["iccid"], ICCID);
    assert_eq!(info[0]["role"], "none");
    assert_eq!(info[0]["policy"]["max_instances"], 2);
    assert_eq!(info[0]["policy"]["services"], serde_json::json!(["voice", "sms", "data"]));
    assert_eq!(info[0]["policy"]["suspend_while_roaming"], true);

    let (code, out, err) = veuicc(&[
        "mirror",
        "issue",
        "--state",
        state,
        ICCID,
        "--services",
        "data",
        "--valid",
        "2h",
        "--class",
        "laptop",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let issued: serde_json::Value = serde_json::from_str(&out).unwrap();
    let token = issued["token"].as_str().unwrap().to_string();
    let code_digits = issued["code"].as_str().unwrap().to_string();
    assert_eq!(code_digits.len(), 8);
    // The text form is the SignedMirrorToken's DER in base64.
    use base64::Engine;
    let der = base64::engine::general_purpose::STANDARD.decode(&token).unwrap();
    let signed: veuicc::mirror::asn::SignedMirrorToken = rasn::der::decode(&der).unwrap();
    assert_eq!(signed.mirror_token.device_class, Some(veuicc::mirror::asn::device_class::LAPTOP));

    // The terminal form: a QR code, the token text and the code.
    let (code, out, _) = veuicc(&["mirror", "issue", "--state", state, ICCID, "--valid", "1h", "--class", "watch"]);
    assert_eq!(code, 0);
    assert!(out.contains('█') && out.contains("token: ") && out.contains("code:  "), "{out}");

    // The limit of 2 is reached.
    let (code, _, err) = veuicc(&["mirror", "issue", "--state", state, ICCID, "--valid", "1h"]);
    assert_eq!((code, err.trim()), (1, "veuicc: instancesExceeded (2)"));
    let (code, _, err) = veuicc(&["mirror", "issue", "--state", state, ICCID, "--valid", "25h"]);
    assert_eq!((code, err.trim()), (1, "veuicc: validityExceeded (4)"));

    let (code, out, _) = veuicc(&["mirror", "list", "--state", state, "--json"]);
    assert_eq!(code, 0);
    let links: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(links.as_array().unwrap().len(), 2);
    assert_eq!(links[0]["class"], "laptop");
    assert_eq!(links[0]["services"], serde_json::json!(["data"]));
    assert_eq!(links[0]["state"], "issued");
    assert_eq!(links[0]["secondary_eid"], serde_json::Value::Null);
    assert!(links[0]["renew_by"].is_null());

    let (code, out, _) = veuicc(&["mirror", "redeem", "--state", state, &code_digits, "--json"]);
    assert_eq!(code, 0);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap()["token"], token.as_str());

    let id = links[0]["token_id"].as_str().unwrap();
    let (code, out, _) = veuicc(&["mirror", "revoke", "--state", state, id]);
    assert_eq!((code, out.trim()), (0, "token voided"));
    let (code, _, err) = veuicc(&["mirror", "revoke", "--state", state, id]);
    assert_eq!((code, err.trim()), (1, "veuicc: unknownLink (17)"));
    let (code, _, err) = veuicc(&["mirror", "redeem", "--state", state, &code_digits]);
    assert_eq!((code, err.trim()), (1, "veuicc: unknownToken (16)"));

    let (code, out, _) = veuicc(&["mirror", "list", "--state", state]);
    assert_eq!(code, 0);
    assert!(out.contains("revoked") && out.contains("laptop"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pair_two_state_directories() {
    let dir = std::env::temp_dir().join(format!("veuicc-cli-mirror-pair-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (primary, secondary, pki) = (dir.join("p"), dir.join("s"), dir.join("pki"));
    let (primary, secondary, pki) = (primary.to_str().unwrap(), secondary.to_str().unwrap(), pki.to_str().unwrap());
    assert_eq!(veuicc(&["pki", "new", pki, "--cards", "2"]).0, 0);
    let (code, _, err) =
        veuicc(&["download", "--state", primary, "--mirror", "max=2,services=voice+data,validity=24h,reauth=30d"]);
    assert_eq!(code, 0, "{err}");
    // The secondary's directory keeps the second identity of the PKI (another EID, the same CI).
    let card2 = format!("{pki}/card2");
    assert_eq!(veuicc(&["mirror", "info", "--state", secondary, "--identity", &card2]).0, 0);
    let (code, out, err) = veuicc(&[
        "mirror",
        "pair",
        "--primary",
        primary,
        "--secondary",
        secondary,
        ICCID,
        "--services",
        "data",
        "--class",
        "laptop",
    ]);
    assert_eq!(code, 0, "{err}");
    for step in [
        "primary:   token",
        "secondary: mirror request",
        "primary:   mirror package",
        "secondary: installed",
        "primary:   link active",
    ] {
        assert!(out.contains(step), "{step} in {out}");
    }
    let (code, out, _) = veuicc(&["mirror", "info", "--state", secondary, "--json"]);
    assert_eq!(code, 0);
    let info: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((info[0]["iccid"].as_str(), info[0]["role"].as_str()), (Some(ICCID), Some("secondary")));
    let (code, out, _) = veuicc(&["mirror", "list", "--state", primary, "--json"]);
    assert_eq!(code, 0);
    let links: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((links[0]["state"].as_str(), links[0]["class"].as_str()), (Some("active"), Some("laptop")));
    // Again: the secondary has the ICCID; the token is voided (it would hold a place of the two).
    let again =
        ["mirror", "pair", "--primary", primary, "--secondary", secondary, ICCID, "--services", "data", "--json"];
    let (code, _, err) = veuicc(&again);
    assert_eq!(code, 1);
    assert!(err.contains("begin: iccidAlreadyPresent (14)"), "{err}");
    let (_, out, _) = veuicc(&["mirror", "list", "--state", primary, "--json"]);
    let links: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(links[1]["state"].as_str(), Some("revoked"));
    let token_id = links[0]["token_id"].as_str().unwrap().to_string();
    let secondary_eid = links[0]["secondary_eid"].as_str().unwrap().to_string();

    // Renew by the secondary's EID: the update as text, applied on the secondary, then a replay.
    let (code, out, err) = veuicc(&["mirror", "renew", "--state", primary, "--eid", &secondary_eid, "--json"]);
    assert_eq!(code, 0, "{err}");
    let renewed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(renewed["updates"][0]["action"], "renew");
    assert_eq!(renewed["updates"][0]["secondary_eid"].as_str(), Some(secondary_eid.as_str()));
    assert!(renewed["updates"][0]["delivered"].is_null());
    let update = renewed["updates"][0]["update"].as_str().unwrap().to_string();
    let (code, out, err) = veuicc(&["mirror", "apply", "--state", secondary, &update, "--json"]);
    assert_eq!(code, 0, "{err}");
    let applied: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(applied["results"][0]["result"], "ok");
    let (code, _, err) = veuicc(&["mirror", "apply", "--state", secondary, &update]);
    assert_eq!((code, err.trim()), (1, "veuicc: replayedMessage (19)"));
    let (code, _, err) = veuicc(&["mirror", "apply", "--state", secondary, "bm90IGFuIHVwZGF0ZQ=="]);
    assert_eq!(code, 2, "not an update: {err}");
    assert!(err.contains("not a SignedMirrorLinkUpdate"), "{err}");
    let (code, _, err) = veuicc(&["mirror", "renew", "--state", primary]);
    assert_eq!(code, 2, "renew names its link: {err}");

    // Suspend and resume by token id, delivered at once.
    let (code, out, err) = veuicc(&["mirror", "suspend", "--state", primary, &token_id, "--deliver", secondary]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("suspend ") && out.contains("delivered: ok"), "{out}");
    let (_, out, _) = veuicc(&["mirror", "info", "--state", secondary, "--json"]);
    let info: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(info[0]["instance"]["state"], "suspended");
    assert_eq!(info[0]["instance"]["token_id"].as_str(), Some(token_id.as_str()));
    assert_eq!(info[0]["instance"]["services"], serde_json::json!(["data"]));
    let (code, out, err) =
        veuicc(&["mirror", "resume", "--state", primary, &token_id, "--deliver", secondary, "--json"]);
    assert_eq!(code, 0, "{err}");
    let resumed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(resumed["updates"][0]["delivered"], "ok");
    let (_, out, _) = veuicc(&["mirror", "info", "--state", secondary, "--json"]);
    let info: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(info[0]["instance"]["state"], "active");
    // Without roaming-suspend in the policy a roaming report suspends nothing.
    let (code, out, _) = veuicc(&["mirror", "suspend", "--state", primary]);
    assert_eq!((code, out.trim()), (0, "no link to suspend"));

    // Revoked and delivered: the secondary no longer holds the profile.
    let (code, out, err) = veuicc(&["mirror", "revoke", "--state", primary, &token_id, "--deliver", secondary]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("delivered: ok"), "{out}");
    let (_, out, _) = veuicc(&["mirror", "info", "--state", secondary, "--json"]);
    assert_eq!(out.trim(), "[]");
    let (_, out, _) = veuicc(&["mirror", "list", "--state", primary, "--json"]);
    let links: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(links[0]["state"].as_str(), Some("revoked"));
    let _ = std::fs::remove_dir_all(&dir);
}
