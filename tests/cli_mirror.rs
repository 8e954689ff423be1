//! `veuicc download --mirror …` and `veuicc mirror issue|redeem|revoke|renew|suspend|resume|apply|
//! list|info|pair|join|export|confirm` on state directories, through the binary: exit codes, the
//! result names, the JSON shapes, the QR code as a PNG, the pairing carried as text between
//! processes (join reading the mirror package from its stdin).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use support::{spawn_veuicc, veuicc};

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

/// A temporary directory holding a test PKI of `cards` cards, a primary state directory with
/// the source profile downloaded under `policy`, and the path of a secondary's (not created):
/// (dir, primary, secondary, pki).
fn two_cards(name: &str, cards: u8, policy: &str) -> (std::path::PathBuf, String, String, String) {
    let dir = std::env::temp_dir().join(format!("veuicc-cli-mirror-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = |p: &str| dir.join(p).to_str().unwrap().to_string();
    let (primary, secondary, pki) = (path("p"), path("s"), path("pki"));
    assert_eq!(veuicc(&["pki", "new", &pki, "--cards", &cards.to_string()]).0, 0);
    let (code, _, err) = veuicc(&["download", "--state", &primary, "--mirror", policy]);
    assert_eq!(code, 0, "{err}");
    (dir, primary, secondary, pki)
}

#[test]
fn pair_two_state_directories() {
    let (dir, primary, secondary, pki) = two_cards("pair", 2, "max=2,services=voice+data,validity=24h,reauth=30d");
    let (primary, secondary, pki) = (primary.as_str(), secondary.as_str(), pki.as_str());
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

/// The width and height in a PNG's IHDR, after checking its signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn issue_writes_the_qr_code_as_a_png() {
    let dir = std::env::temp_dir().join(format!("veuicc-cli-mirror-png-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let state = dir.join("phone");
    let state = state.to_str().unwrap();
    assert_eq!(veuicc(&["download", "--state", state, "--mirror", "max=3,services=voice+sms+data"]).0, 0);
    let png = dir.join("token.png");
    let (code, out, err) = veuicc(&[
        "mirror",
        "issue",
        "--state",
        state,
        ICCID,
        "--valid",
        "1h",
        "--png",
        png.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let token = serde_json::from_str::<serde_json::Value>(&out).unwrap()["token"].as_str().unwrap().to_string();
    let modules = u32::try_from(qrcode::QrCode::new(token.as_bytes()).unwrap().width()).unwrap();
    let bytes = std::fs::read(&png).unwrap();
    // 8 px a module, a quiet zone of 4 modules each side.
    assert_eq!(png_size(&bytes), ((modules + 8) * 8, (modules + 8) * 8));
    // The terminal form says where it went.
    let (code, out, _) = veuicc(&[
        "mirror",
        "issue",
        "--state",
        state,
        ICCID,
        "--valid",
        "1h",
        "--no-qr",
        "--png",
        png.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert!(out.starts_with("QR code: ") && out.contains(" px)") && !out.contains('█'), "{out}");
    let (code, _, err) = veuicc(&["mirror", "issue", "--state", state, ICCID, "--png", "/nonexistent/dir/qr.png"]);
    assert_eq!(code, 2, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn join_export_confirm_between_processes() {
    let (dir, phone, watch, pki) = two_cards("join", 3, "max=2,services=voice+sms+data,reauth=30d");
    let (phone, watch, pki) = (phone.as_str(), watch.as_str(), pki.as_str());
    let (code, out, _) = veuicc(&["mirror", "issue", "--state", phone, ICCID, "--class", "watch", "--json"]);
    assert_eq!(code, 0);
    let token = serde_json::from_str::<serde_json::Value>(&out).unwrap()["token"].as_str().unwrap().to_string();
    let card2 = format!("{pki}/card2");

    // Text mode: the request is the first stdout line; the prompt is on stderr.
    let mut join = spawn_veuicc(&["mirror", "join", "--state", watch, "--identity", &card2, &token], &[]);
    let request = join.line();
    let der = base64_decode(&request);
    let signed: veuicc::mirror::asn::SignedMirrorRequest = rasn::der::decode(&der).unwrap();
    let (code, package, err) = veuicc(&["mirror", "export", "--state", phone, &request]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("mirror package,") && err.contains("bytes"), "{err}");
    // The same request again: the token is spent.
    let (code, _, err) = veuicc(&["mirror", "export", "--state", phone, &request]);
    assert_eq!((code, err.trim()), (1, "veuicc: export: tokenAlreadyRedeemed (8)"));
    // Wrapped as a terminal takes it (76 columns), stdin left open: join takes the lines
    // up to a whole package.
    let wrapped: Vec<String> =
        package.trim().as_bytes().chunks(76).map(|c| String::from_utf8(c.to_vec()).unwrap()).collect();
    assert!(wrapped.len() > 50);
    join.write(&(wrapped.join("\n") + "\n"));
    let result = join.line();
    let (code, rest, err) = join.finish();
    assert_eq!((code, rest.as_str()), (0, ""), "{err}");
    assert!(err.contains("paste the mirror package") && err.contains("installed"), "{err}");
    assert!(!result.is_empty(), "{err}");
    let (code, out, err) = veuicc(&["mirror", "confirm", "--state", phone, &result, "--json"]);
    assert_eq!(code, 0, "{err}");
    let link: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(link["state"], "active");
    assert_eq!(link["class"], "watch");
    assert_eq!(link["iccid"], ICCID);
    assert_eq!(link["secondary_eid"].as_str().unwrap(), support::hexs(signed.mirror_request.secondary_eid.as_slice()));
    assert!(link["renew_by"].as_u64().unwrap() > link["linked_at"].as_u64().unwrap());
    let (code, _, err) = veuicc(&["mirror", "confirm", "--state", phone, &result]);
    assert_eq!((code, err.trim()), (1, "veuicc: confirm: tokenAlreadyRedeemed (8)"));
    let (_, out, _) = veuicc(&["mirror", "info", "--state", watch, "--json"]);
    let info: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((info[0]["role"].as_str(), info[0]["instance"]["state"].as_str()), (Some("secondary"), Some("active")));

    // JSON mode, a refusal at Begin: the watch holds the ICCID already (exit 1, the step named).
    let (_, out, _) = veuicc(&["mirror", "issue", "--state", phone, ICCID, "--json"]);
    let token2 = serde_json::from_str::<serde_json::Value>(&out).unwrap()["token"].as_str().unwrap().to_string();
    let (code, out, err) = veuicc(&["mirror", "join", "--state", watch, &token2, "--json"]);
    assert_eq!((code, out.as_str(), err.trim()), (1, "", "veuicc: begin: iccidAlreadyPresent (14)"));

    // Malformed input: exit 2 with what was expected.
    let (code, _, err) = veuicc(&["mirror", "export", "--state", phone, "not base64!"]);
    assert_eq!(code, 2);
    assert!(err.contains("the SignedMirrorRequest is base64"), "{err}");
    let (code, _, err) = veuicc(&["mirror", "export", "--state", phone, "bm90IGEgcmVxdWVzdA=="]);
    assert_eq!(code, 2);
    assert!(err.contains("not a SignedMirrorRequest"), "{err}");
    let (code, _, err) = veuicc(&["mirror", "confirm", "--state", phone, "bm90IGEgcmVzdWx0"]);
    assert_eq!(code, 2);
    assert!(err.contains("not a ProfileInstallationResult"), "{err}");
    let (code, _, err) = veuicc(&["mirror", "join", "--state", watch, "bm90IGEgdG9rZW4="]);
    assert_eq!(code, 2);
    assert!(err.contains("not a SignedMirrorToken"), "{err}");
    let (code, _, err) = veuicc(&["mirror", "join", "--state", watch, "--code", "1234", "--primary", phone]);
    assert_eq!(code, 2);
    assert!(err.contains("eight digits"), "{err}");

    // A code redeemed on the local primary; the package arrives on a stdin that is closed
    // empty, then as something that is not base64: exit 2, and the card is left as it was.
    let (code, out, _) = veuicc(&["mirror", "issue", "--state", phone, ICCID, "--json"]);
    assert_eq!(code, 1, "the limit of 2: the watch and the outstanding token2: {out}");
    let id2 = {
        let der = base64_decode(&token2);
        let t: veuicc::mirror::asn::SignedMirrorToken = rasn::der::decode(&der).unwrap();
        support::hexs(t.mirror_token.token_id.as_slice())
    };
    assert_eq!(veuicc(&["mirror", "revoke", "--state", phone, &id2]).0, 0);
    // Begin refuses (the watch holds the ICCID): the token the code named is voided on the
    // local primary, so it holds no place of the two.
    let (_, out, _) = veuicc(&["mirror", "issue", "--state", phone, ICCID, "--json"]);
    let code3 = serde_json::from_str::<serde_json::Value>(&out).unwrap()["code"].as_str().unwrap().to_string();
    let (code, _, err) = veuicc(&["mirror", "join", "--state", watch, "--code", &code3, "--primary", phone]);
    assert_eq!((code, err.trim()), (1, "veuicc: begin: iccidAlreadyPresent (14)"));
    let (_, out, _) = veuicc(&["mirror", "list", "--state", phone, "--json"]);
    let links: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(links.as_array().unwrap().iter().all(|l| l["state"] != "issued"), "{links}");
    let (code, out, _) = veuicc(&["mirror", "issue", "--state", phone, ICCID, "--json"]);
    assert_eq!(code, 0);
    let code4 = serde_json::from_str::<serde_json::Value>(&out).unwrap()["code"].as_str().unwrap().to_string();
    let (tablet, card3) = (dir.join("tablet"), format!("{pki}/card3"));
    let tablet = tablet.to_str().unwrap();
    let args =
        ["mirror", "join", "--state", tablet, "--identity", &card3, "--code", &code4, "--primary", phone, "--json"];
    let mut join = spawn_veuicc(&args, &[]);
    let first: serde_json::Value = serde_json::from_str(&join.line()).unwrap();
    assert!(first["request"].is_string(), "{first}");
    join.send("%%% not base64 %%%");
    let (code, out, err) = join.finish();
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("the mirror package is base64"), "{err}");
    // Nothing installed: the tablet has no profile.
    let (_, out, _) = veuicc(&["mirror", "info", "--state", tablet, "--json"]);
    assert_eq!(out.trim(), "[]");
    let _ = std::fs::remove_dir_all(&dir);
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text.trim()).unwrap()
}
