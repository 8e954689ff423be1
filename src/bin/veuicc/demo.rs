//! `veuicc demo [--json]`: the main job on embedded defaults — power on, channel,
//! ISD-R, EID, EUICCInfo2, then a complete SGP.22 download from the in-process test
//! SM-DP+ over APDUs, each step timed.

use crate::common::{Recorder, hex, json_str};
use std::process::ExitCode;
use std::time::Instant;
use veuicc::asn1::rsp::EuiccInfo2;
use veuicc::host::platform_with;
use veuicc::store::MemStorage;
use veuicc::testkit::Es10Client;
use veuicc::{Card, Eid};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    identity: crate::common::IdentityArgs,
}

/// ICCID of the demo profile (EF.ICCID coding of 89000123456789012341).
const DEMO_ICCID: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14];

fn version(v: &[u8]) -> String {
    v.iter().map(u8::to_string).collect::<Vec<_>>().join(".")
}

/// Decodes `extCardResource` (ETSI TS 102 226): installed apps, free NVM, free RAM.
fn resources(ext: &[u8]) -> (u64, u64, u64) {
    let mut out = (0, 0, 0);
    let mut rest = ext;
    while let [tag, len, tail @ ..] = rest {
        let Some(value) = tail.get(..usize::from(*len)) else { break };
        let n = value.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b));
        match tag {
            0x81 => out.0 = n,
            0x82 => out.1 = n,
            0x83 => out.2 = n,
            _ => {}
        }
        rest = tail.get(usize::from(*len)..).unwrap_or_default();
    }
    out
}

pub(crate) fn run(args: Args) -> Result<ExitCode, String> {
    let started = Instant::now();
    let mut steps: Vec<(String, String, u128)> = Vec::new();
    let mut step = |name: &str, detail: String, t: Instant| steps.push((name.into(), detail, t.elapsed().as_micros()));

    let t = Instant::now();
    let setup = crate::common::card_setup(None, &args.identity)?;
    let crypto = setup.crypto.name();
    let mut card = Card::with_identity(setup.config, setup.identity, platform_with(MemStorage::new(), setup.crypto))
        .map_err(|e| e.to_string())?;
    let atr = card.power_on().map_err(|e| e.to_string())?;
    step("power on", format!("ATR {}, crypto {crypto}", hex(&atr)), t);

    let t = Instant::now();
    let aid = card.config().isd_r_aid;
    let mut client = Es10Client::open_with_aid(Recorder { inner: &mut card, log: Vec::new() }, aid.as_bytes())
        .map_err(|e| e.to_string())?;
    step("open channel + SELECT ISD-R", format!("logical channel {}", client.channel()), t);

    let t = Instant::now();
    let eid = client.get_eid().map_err(|e| e.to_string())?;
    let eid = Eid::from_bytes(eid).map_err(|e| format!("card sent a bad EID: {e}"))?;
    step("ES10c.GetEID", format!("EID {eid}"), t);

    let t = Instant::now();
    let info: EuiccInfo2 = client.get_euicc_info2().map_err(|e| e.to_string())?;
    let (apps, nvm, ram) = resources(&info.ext_card_resource);
    let cis: Vec<String> = info.euicc_ci_pkid_list_for_verification.iter().map(|k| hex(k)).collect();
    step(
        "ES10b.GetEUICCInfo2",
        format!(
            "SGP.22 {}, profile package {}, firmware {}, {} profiles installed, free NVM {} B, free RAM {} B, CI keys [{}]",
            version(info.svn.as_slice()),
            version(info.profile_version.as_slice()),
            version(info.euicc_firmware_ver.as_slice()),
            apps,
            nvm,
            ram,
            cis.join(", ")
        ),
        t,
    );

    // The download: a test SM-DP+ in-process, the LPA side over APDUs. It needs a card
    // that trusts the embedded test CI (a card from `veuicc pki new` trusts its own).
    let pki = veuicc::testkit::pki::default_pki();
    let test_ci = veuicc::testkit::pki::key_id(pki.ci.public_key());
    let mut profile_line = String::from("(no download)");
    if info.euicc_ci_pkid_list_for_verification.iter().any(|k| k.as_ref() == test_ci.as_slice()) {
        let mut smdp = veuicc::testkit::smdp::TestSmdp::new(pki, "smdp.veuicc.test", 1);
        let profile = veuicc::testkit::smdp::ProfileToInstall::sample(DEMO_ICCID, 12 * 1024);
        let t = Instant::now();
        let challenge = client.get_euicc_challenge().map_err(|e| e.to_string())?;
        client.get_euicc_info1().map_err(|e| e.to_string())?;
        step("ES10b.GetEUICCChallenge + Info1", format!("challenge {}", hex(&challenge)), t);
        let t = Instant::now();
        let request = smdp.initiate_authentication(challenge, Some("DEMO-MATCHING-ID"));
        let response = client.store_data(&request).map_err(|e| e.to_string())?;
        let prepare = smdp.authenticate_client(&response)?;
        step("ES10b.AuthenticateServer", "SM-DP+ verified; eUICC chain and euiccSignature1 verified".into(), t);
        let t = Instant::now();
        let response = client.store_data(&prepare).map_err(|e| e.to_string())?;
        let bpp = smdp.get_bound_profile_package(&response, &profile)?;
        step("ES10b.PrepareDownload", "otPK.EUICC.ECKA signed; BPP bound to it".into(), t);
        let t = Instant::now();
        let installed = veuicc::testkit::lpa::load(&mut client, &bpp).map_err(|e| e.to_string())?;
        step(
            "ES10b.LoadBoundProfilePackage",
            format!(
                "{} bytes in {} commands; ISD-P {}",
                bpp.der().len(),
                bpp.lpac_commands().len(),
                hex(&installed.isdp_aid)
            ),
            t,
        );
        let t = Instant::now();
        let list = client
            .get_profiles_info(&veuicc::asn1::rsp::ProfileInfoListRequest::default())
            .map_err(|e| e.to_string())?;
        profile_line = match list.0 {
            veuicc::asn1::rsp::ProfileInfoListResult::ProfileInfoListOk(list) => list
                .iter()
                .map(|p| {
                    let state = if p.profile_state == Some(1.into()) { "enabled" } else { "disabled" };
                    format!(
                        "ICCID {} \"{}\" {state}",
                        p.iccid.as_ref().map(|i| crate::state::iccid(i.as_slice())).unwrap_or_default(),
                        p.profile_name.clone().unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
            veuicc::asn1::rsp::ProfileInfoListResult::ProfileInfoListError(e) => format!("error {e}"),
        };
        step("ES10c.GetProfilesInfo", profile_line.clone(), t);
    } else {
        step(
            "profile download",
            format!("skipped: this card does not trust the embedded test CI {}", hex(&test_ci)),
            Instant::now(),
        );
    }

    let t = Instant::now();
    let recorder = client.close().map_err(|e| e.to_string())?;
    step("MANAGE CHANNEL close", String::new(), t);
    let log = recorder.log;
    let total = started.elapsed().as_micros();

    if args.json {
        let steps_json: Vec<String> = steps
            .iter()
            .map(|(n, d, us)| format!("{{\"step\":{},\"detail\":{},\"micros\":{us}}}", json_str(n), json_str(d)))
            .collect();
        let apdus: Vec<String> = log
            .iter()
            .map(|(c, r)| format!("{{\"command\":{},\"response\":{}}}", json_str(&hex(c)), json_str(&hex(r))))
            .collect();
        outln!(
            "{{\"atr\":{},\"eid\":{},\"svn\":{},\"free_nvm\":{nvm},\"profile\":{},\"steps\":[{}],\"apdus\":[{}],\"total_micros\":{total}}}",
            json_str(&hex(&atr)),
            json_str(&eid.to_string()),
            json_str(&version(info.svn.as_slice())),
            json_str(&profile_line),
            steps_json.join(","),
            apdus.join(",")
        );
    } else {
        outln!("veuicc demo: a virtual eUICC on embedded defaults (in-memory state)\n");
        for (name, detail, us) in &steps {
            outln!("{name:<30} {us:>6} µs  {detail}");
        }
        outln!("\n{} APDUs exchanged (first 12 shown; --json lists all):", log.len());
        for (c, r) in log.iter().take(12) {
            outln!("  > {}", hex(c));
            outln!("  < {}", hex(r));
        }
        outln!("\ntotal {total} µs");
    }
    Ok(ExitCode::SUCCESS)
}
