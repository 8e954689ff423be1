//! The README's mirror walk-through, command for command, through the binary: a phone with a
//! mirrorable profile (at most 3 instances, renew every 90 days); a watch that joins with the
//! token as text (join / export / confirm, the package on join's stdin), a tablet that joins
//! with the eight-digit code (the package in a file), a laptop paired locally with data only;
//! a fourth device refused by the operator's limit; the lost watch revoked and the revocation
//! applied; 91 days later (`VEUICC_NOW`) the tablet's instance suspended until the renewal the
//! phone signs is applied. Every command of the README block `<!-- cli_mirror_walk -->` is one
//! this test runs (placeholders such as TOKEN for the values of the run).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use serde_json::Value;
use support::{Spawned, spawn_veuicc, veuicc_env};

const ICCID: &str = "89000123456789012341";

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The commands run, as the README writes them: the temporary directory left out, the values
/// of the run as their placeholders, `--json` dropped.
struct Walk {
    dir: String,
    names: Vec<(String, &'static str)>,
    ran: Vec<String>,
}

impl Walk {
    fn name(&mut self, value: &str, placeholder: &'static str) {
        self.names.push((value.to_string(), placeholder));
    }

    fn record(&mut self, args: &[&str]) {
        let prefix = format!("{}/", self.dir);
        let words: Vec<String> = args
            .iter()
            .filter(|a| **a != "--json")
            .map(|a| match self.names.iter().find(|(v, _)| v == a) {
                Some((_, p)) => (*p).to_string(),
                None => a.strip_prefix(&prefix).unwrap_or(a).to_string(),
            })
            .collect();
        self.ran.push(format!("veuicc {}", words.join(" ")));
    }

    fn run(&mut self, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
        self.record(args);
        veuicc_env(args, env)
    }

    fn spawn(&mut self, args: &[&str]) -> Spawned {
        self.record(args);
        spawn_veuicc(args, &[])
    }

    /// `veuicc mirror info --state DIR --json`.
    fn info(&mut self, dir: &str, env: &[(&str, &str)]) -> Value {
        let (code, out, err) = self.run(&["mirror", "info", "--state", dir, "--json"], env);
        assert_eq!(code, 0, "{err}");
        json(&out)
    }

    /// The primary's link for `class`, from `mirror list --json`.
    fn link(&mut self, phone: &str, class: &str) -> Value {
        let (code, out, _) = self.run(&["mirror", "list", "--state", phone, "--json"], &[]);
        assert_eq!(code, 0);
        json(&out).as_array().unwrap().iter().find(|l| l["class"] == class && l["state"] != "revoked").unwrap().clone()
    }
}

/// The `veuicc` commands of the README block `<!-- cli_mirror_walk -->`: continuation lines
/// joined, comments, redirections and `--json` dropped.
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("<!-- cli_mirror_walk -->").expect("the README block");
    let block = &readme[start..];
    let body = &block[block.find("```sh\n").unwrap() + 6..];
    let body = &body[..body.find("```").unwrap()];
    let mut out = Vec::new();
    let mut line = String::new();
    for l in body.lines() {
        let l = l.split(" #").next().unwrap().trim();
        if let Some(head) = l.strip_suffix('\\') {
            line.push_str(head);
            continue;
        }
        line.push_str(l);
        let command = line.split(" > ").next().unwrap().to_string();
        line.clear();
        if command.starts_with("veuicc ") {
            out.push(command.split_whitespace().filter(|w| *w != "--json").collect::<Vec<_>>().join(" "));
        }
    }
    out
}

#[test]
fn phone_watch_tablet_laptop() {
    let dir = std::env::temp_dir().join(format!("veuicc-cli-mirror-walk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut walk = Walk { dir: dir.to_str().unwrap().to_string(), names: vec![], ran: vec![] };
    walk.name(ICCID, "$ICCID");
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let (pki, phone, watch, tablet, laptop) =
        (path("PKI"), path("PHONE"), path("WATCH"), path("TABLET"), path("LAPTOP"));
    let card = |k: u8| format!("{pki}/card{k}");
    let none: &[(&str, &str)] = &[];

    assert_eq!(walk.run(&["pki", "new", &pki, "--cards", "4"], none).0, 0);
    let (code, out, err) = walk.run(
        &[
            "download",
            "--state",
            &phone,
            "--identity",
            &card(1),
            "--mirror",
            "max=3,services=voice+sms+data,validity=24h,reauth=90d",
        ],
        none,
    );
    assert_eq!((code, out.trim()), (0, ICCID), "{err}");
    let phone_info = walk.info(&phone, none);
    assert_eq!(phone_info[0]["role"], "none");
    assert_eq!(phone_info[0]["policy"]["max_instances"], 3);
    assert_eq!(phone_info[0]["policy"]["reauth_interval"], 90 * 86400);

    // The watch: the token as a QR code (PNG) and text; join / export / confirm, the package
    // on join's stdin.
    let png = path("watch-qr.png");
    let (code, out, err) =
        walk.run(&["mirror", "issue", "--state", &phone, ICCID, "--class", "watch", "--png", &png, "--json"], none);
    assert_eq!(code, 0, "{err}");
    let token = json(&out)["token"].as_str().unwrap().to_string();
    walk.name(&token, "TOKEN");
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG\r\n\x1a\n"));
    let mut join = walk.spawn(&["mirror", "join", "--state", &watch, "--identity", &card(2), &token, "--json"]);
    let request = json(&join.line())["request"].as_str().unwrap().to_string();
    walk.name(&request, "REQUEST");
    let (code, out, err) = walk.run(&["mirror", "export", "--state", &phone, &request, "--json"], none);
    assert_eq!(code, 0, "{err}");
    let package = json(&out);
    assert!(package["package_bytes"].as_u64().unwrap() > 0);
    join.send(package["package"].as_str().unwrap());
    let result_line = join.line();
    let (code, _, err) = join.finish();
    assert_eq!(code, 0, "{err}");
    let result = json(&result_line)["result"].as_str().unwrap().to_string();
    walk.name(&result, "RESULT");
    let (code, out, err) = walk.run(&["mirror", "confirm", "--state", &phone, &result, "--json"], none);
    assert_eq!(code, 0, "{err}");
    let watch_link = json(&out);
    assert_eq!((watch_link["state"].as_str(), watch_link["class"].as_str()), (Some("active"), Some("watch")));
    assert_eq!(watch_link["secondary_eid"], package["secondary_eid"]);
    let watch_eid = watch_link["secondary_eid"].as_str().unwrap().to_string();

    // The tablet: the eight-digit code, redeemed on the phone; the package through a file.
    let (code, out, err) =
        walk.run(&["mirror", "issue", "--state", &phone, ICCID, "--class", "tablet", "--no-qr"], none);
    assert_eq!(code, 0, "{err}");
    let digits: String =
        out.lines().find_map(|l| l.strip_prefix("code:  ")).unwrap().chars().filter(|c| c.is_ascii_digit()).collect();
    assert_eq!(digits.len(), 8, "{out}");
    walk.name(&digits, "CODE");
    let package_file = path("pkg.txt");
    let mut join = walk.spawn(&[
        "mirror",
        "join",
        "--state",
        &tablet,
        "--identity",
        &card(3),
        "--code",
        &digits,
        "--primary",
        &phone,
        "--package",
        &package_file,
    ]);
    let request = join.line();
    walk.name(&request, "REQUEST");
    let (code, package, err) = walk.run(&["mirror", "export", "--state", &phone, &request], none);
    assert_eq!(code, 0, "{err}");
    std::fs::write(&package_file, package).unwrap();
    let result = join.line();
    let (code, _, err) = join.finish();
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("waiting for the mirror package in"), "{err}");
    walk.name(&result, "RESULT");
    let (code, out, err) = walk.run(&["mirror", "confirm", "--state", &phone, &result, "--json"], none);
    assert_eq!(code, 0, "{err}");
    let tablet_confirmed = json(&out);
    assert_eq!(
        (tablet_confirmed["state"].as_str(), tablet_confirmed["class"].as_str()),
        (Some("active"), Some("tablet"))
    );

    // The laptop, data only: paired locally.
    assert_eq!(walk.run(&["mirror", "info", "--state", &laptop, "--identity", &card(4)], none).0, 0);
    let (code, out, err) = walk.run(
        &[
            "mirror",
            "pair",
            "--primary",
            &phone,
            "--secondary",
            &laptop,
            ICCID,
            "--services",
            "data",
            "--class",
            "laptop",
        ],
        none,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("primary:   link active"), "{out}");
    assert_eq!(walk.info(&laptop, none)[0]["instance"]["services"], serde_json::json!(["data"]));
    let (code, out, _) = walk.run(&["mirror", "info", "--state", &phone], none);
    assert_eq!(code, 0);
    assert!(out.contains("max 3 (3 live)"), "{out}");

    // A fourth device: the operator's limit of 3 is reached.
    let (code, out, err) = walk.run(&["mirror", "issue", "--state", &phone, ICCID, "--class", "glasses"], none);
    assert_eq!((code, out.as_str(), err.trim()), (1, "", "veuicc: instancesExceeded (2)"));

    // The watch is lost: revoked on the phone, the revocation applied on the watch.
    assert_eq!(walk.link(&phone, "watch")["secondary_eid"].as_str(), Some(watch_eid.as_str()));
    let (code, out, err) = walk.run(&["mirror", "revoke", "--state", &phone, "--eid", &watch_eid, "--json"], none);
    assert_eq!(code, 0, "{err}");
    let revoked = json(&out);
    assert_eq!(revoked["token_voided"], false);
    assert_eq!(revoked["updates"][0]["action"], "revoke");
    let update = revoked["updates"][0]["update"].as_str().unwrap().to_string();
    walk.name(&update, "UPDATE");
    let (code, out, err) = walk.run(&["mirror", "apply", "--state", &watch, &update, "--json"], none);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["results"][0]["result"], "ok");
    assert_eq!(walk.info(&watch, none), serde_json::json!([]), "the watch's instance is gone");
    assert_eq!(walk.info(&phone, none)[0]["live_instances"], 2);

    // 91 days later (a day past its renew-by) the tablet's instance is suspended, until the
    // renewal the phone signs is applied.
    let tablet_link = walk.link(&phone, "tablet");
    let later = (tablet_link["renew_by"].as_u64().unwrap() + 86400).to_string();
    let now = [("VEUICC_NOW", later.as_str())];
    assert_eq!(walk.info(&tablet, none)[0]["instance"]["state"], "active");
    let (code, out, _) = walk.run(&["mirror", "info", "--state", &tablet], &now);
    assert_eq!(code, 0);
    assert!(out.contains(": suspended, voice+sms+data, renew by "), "{out}");
    assert_eq!(walk.info(&tablet, &now)[0]["instance"]["state"], "suspended");
    let tablet_eid = tablet_link["secondary_eid"].as_str().unwrap();
    let (code, out, err) = walk.run(&["mirror", "renew", "--state", &phone, "--eid", tablet_eid, "--json"], &now);
    assert_eq!(code, 0, "{err}");
    let renewed = json(&out);
    assert_eq!(renewed["updates"][0]["action"], "renew");
    let renew_by = renewed["updates"][0]["renew_by"].as_u64().unwrap();
    assert_eq!(renew_by, later.parse::<u64>().unwrap() + 90 * 86400);
    assert_eq!(walk.info(&tablet, &now)[0]["instance"]["state"], "suspended", "not applied yet");
    let update = renewed["updates"][0]["update"].as_str().unwrap().to_string();
    walk.name(&update, "UPDATE");
    let (code, out, err) = walk.run(&["mirror", "apply", "--state", &tablet, &update], &now);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("renew (sequence ") && out.trim().ends_with(": ok"), "{out}");
    let tablet_info = walk.info(&tablet, &now);
    assert_eq!(tablet_info[0]["instance"]["state"], "active");
    assert_eq!(tablet_info[0]["instance"]["renew_by"], renew_by);
    // The laptop was not renewed: it stays suspended on that date.
    assert_eq!(walk.info(&laptop, &now)[0]["instance"]["state"], "suspended");

    // Every command of the README's walk-through ran here.
    let readme = readme_commands();
    assert!(readme.len() >= 20, "{readme:?}");
    for command in &readme {
        assert!(
            walk.ran.contains(command),
            "README: `{command}` is not run by this test; it ran:\n{}",
            walk.ran.join("\n")
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
