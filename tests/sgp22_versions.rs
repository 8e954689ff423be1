//! SGP.22 version interoperability: requests a v3 LPA or SM-DP+ sends carry extension
//! additions (`EXTENSIBILITY IMPLIED`) that a v2.5 card must ignore, answering exactly as it
//! answers the same request without them — never `6A80`.
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
use veuicc::testkit::pki::default_pki;
use veuicc::testkit::smdp::{ProfileToInstall, TestSmdp};
use veuicc::testkit::{Es10Client, TestCard, lpa};

const ICCID: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x14];

/// `der` (one TLV) with `extra` appended inside it, as a later version's encoder adds fields.
fn with_additions(der: &[u8], extra: &[u8]) -> Vec<u8> {
    let (tag, value) = veuicc::asn1::tlv::split_tlv(der).expect("one TLV");
    let tag_bytes = &der[..veuicc::asn1::tlv::tag_len(tag)];
    let mut inner = value.to_vec();
    inner.extend_from_slice(extra);
    veuicc::asn1::tlv::tlv(tag_bytes, &inner)
}

/// Every ES10 answer of one whole download, with `extra(tag)` appended to each request the LPA
/// sends whose outer tag is `tag` (the BPP's pieces untouched).
fn download_answers(extra: impl Fn(u32) -> Vec<u8>) -> Vec<Vec<u8>> {
    let mut card = TestCard::new(1);
    let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 2);
    let profile = ProfileToInstall::sample(ICCID, 3000);
    let mut lpa = Es10Client::open(&mut card).unwrap();
    let mut answers = Vec::new();
    let send = |lpa: &mut Es10Client<&mut TestCard>, der: &[u8], answers: &mut Vec<Vec<u8>>| {
        let tag = veuicc::asn1::outer_tag(der).unwrap();
        let a = lpa.store_data(&with_additions(der, &extra(tag))).unwrap();
        answers.push(a.clone());
        a
    };
    let challenge = lpa.get_euicc_challenge().unwrap();
    let auth_req = smdp.initiate_authentication(challenge, None);
    let auth = send(&mut lpa, &auth_req, &mut answers);
    let prepare_req = smdp.authenticate_client(&auth).expect("the SM-DP+ accepts the card's answer");
    let prepared = send(&mut lpa, &prepare_req, &mut answers);
    let bpp = smdp.get_bound_profile_package(&prepared, &profile).expect("BPP");
    let installed = lpa::load(&mut lpa, &bpp).expect("installed");
    answers.push(installed.pir);
    // After the install: the lifecycle requests a v3 LPA sends.
    let iccid_tlv = [&[0x5A, 0x0A][..], &ICCID].concat();
    for der in [
        veuicc::asn1::tlv::tlv(&[0xBF, 0x2D], &[&[0x5C, 0x05, 0x5A, 0x9F, 0x70, 0x9F, 0x24][..]].concat()),
        veuicc::asn1::tlv::tlv(
            &[0xBF, 0x31],
            &[&veuicc::asn1::tlv::tlv(&[0xA0], &iccid_tlv)[..], &[0x81, 0x01, 0x00]].concat(),
        ),
        veuicc::asn1::tlv::tlv(&[0xBF, 0x2D], &[]),
        veuicc::asn1::tlv::tlv(
            &[0xBF, 0x32],
            &[&veuicc::asn1::tlv::tlv(&[0xA0], &iccid_tlv)[..], &[0x81, 0x01, 0x00]].concat(),
        ),
        veuicc::asn1::tlv::tlv(&[0xBF, 0x3F], &veuicc::asn1::tlv::tlv(&[0x80], b"smdp.example.org")),
        veuicc::asn1::tlv::tlv(&[0xBF, 0x3C], &[]),
        veuicc::asn1::tlv::tlv(&[0xBF, 0x20], &[]),
        veuicc::asn1::tlv::tlv(&[0xBF, 0x22], &[]),
    ] {
        send(&mut lpa, &der, &mut answers);
    }
    lpa.close().unwrap();
    answers
}

#[test]
fn a_v3_lpas_requests_get_a_v2_5_cards_normal_answers() {
    let plain = download_answers(|_| Vec::new());
    let cert_chain = hex("A10430020500"); // otherCertsInChain [1] (a stand-in certificate)
    let v3 = download_answers(|tag| match tag {
        // AuthenticateServerRequest: otherCertsInChain [1], crlList [2].
        0xBF38 => [cert_chain.clone(), hex("A200")].concat(),
        // EnableProfileRequest: targetEsimPort [2].
        0xBF31 => hex("820101"),
        // SetDefaultDpAddressRequest: allowedCiPKId [1].
        0xBF3F => hex("8114F54172BDF98A95D65CBEB88A38A1C11D800A85C3"),
        // Any other request: an addition the v3.0 module does not have (a later one might).
        _ => hex("9F7F0101"),
    });
    assert_eq!(plain.len(), v3.len());
    for (i, (a, b)) in plain.iter().zip(&v3).enumerate() {
        assert_eq!(support::hexs(a), support::hexs(b), "answer {i}");
    }
    // The answers are real ones: the profile was enabled and disabled (result ok = 80 01 00).
    assert!(support::hexs(&plain[4]).starts_with("BF3103800100"), "{}", support::hexs(&plain[4]));
}

#[test]
fn an_addition_does_not_hide_a_malformed_request() {
    let mut card = TestCard::new(1);
    let mut lpa = Es10Client::open(&mut card).unwrap();
    // EnableProfileRequest without its mandatory refreshFlag, an addition in its place.
    let der = hex("BF3111A00C5A0A98001032547698103214820101");
    let got = lpa.store_data(&der);
    assert!(matches!(got, Err(veuicc::testkit::ClientError::Status(0x6A80))), "{got:?}");
}

/// A card of version `card` (and its EUICCInfo1) downloading from an SM-DP+ of version `smdp`:
/// whether serverSigned1 carried the v3 fields, and the install result.
fn download_between(
    card: veuicc::config::Sgp22Version,
    smdp: veuicc::config::Sgp22Version,
    to_every_card: bool,
) -> (bool, Result<lpa::Installed, lpa::DownloadError>) {
    let mut config = veuicc::testkit::default_config();
    config.sgp22 = card;
    let mut card = TestCard::with_config(config, veuicc::store::MemStorage::new(), 1);
    let mut server = TestSmdp::new(default_pki(), "smdp.example.com", 2);
    server.sgp22 = smdp;
    server.v3_fields_to_every_card = to_every_card;
    let mut lpa = Es10Client::open(&mut card).unwrap();
    // What the server put in serverSigned1 (a dry run with the same seed and challenge).
    let challenge = [7; 16];
    let info1 = lpa.get_euicc_info1().unwrap();
    let mut probe = TestSmdp::new(default_pki(), "smdp.example.com", 2);
    probe.sgp22 = smdp;
    probe.v3_fields_to_every_card = to_every_card;
    let request = probe.initiate_authentication_for(challenge, None, Some(&info1));
    let request: veuicc::asn1::download::AuthenticateServerRequest = rasn::der::decode(&request).unwrap();
    let signed1: veuicc::asn1::download::ServerSigned1 = rasn::der::decode(request.server_signed1.as_bytes()).unwrap();
    let v3_fields = signed1.session_context.is_some();
    assert_eq!(v3_fields, signed1.server_rsp_capability.is_some());
    let result = lpa::download(&mut lpa, &mut server, &ProfileToInstall::sample(ICCID, 3000));
    lpa.close().unwrap();
    (v3_fields, result)
}

#[test]
fn every_card_version_downloads_from_every_smdp_version() {
    use veuicc::config::Sgp22Version::{self, V2_5};
    for card in Sgp22Version::ALL {
        for smdp in Sgp22Version::ALL {
            let (v3_fields, result) = download_between(card, smdp, false);
            // A v3 server sends its v3 fields to a v3 card only (SGP.22 v3 §2.11).
            assert_eq!(v3_fields, card.is_v3() && smdp.is_v3(), "card {card}, SM-DP+ {smdp}");
            let installed = result.unwrap_or_else(|e| panic!("card {card}, SM-DP+ {smdp}: {e:?}"));
            assert!(!installed.pir.is_empty());
        }
    }
    // A v3 server that sends them to a v2.5 card anyway: the card ignores the additions inside
    // the signed serverSigned1 (its signature still covers the bytes as received).
    let (v3_fields, result) = download_between(V2_5, Sgp22Version::V3_0, true);
    assert!(v3_fields);
    result.expect("a v2.5 card ignores serverSigned1's v3 fields");
}

/// SGP.22 v3 makes AuthenticateServer's euiccCiPKIdToBeUsed OPTIONAL ("MAY also have zero
/// length"): a v3 card then takes the CI from the server certificate (no sessionContext CI
/// here) and the SM-DP+ accepts its answer; a v2.5 card refuses the absent field as the
/// malformed request it is there (6A80), and an empty one with ciPKUnknown(7), as before.
#[test]
fn a_v3_card_takes_authenticate_server_without_a_ci_pkid() {
    use veuicc::asn1::download::AuthenticateServerRequest;
    use veuicc::config::Sgp22Version::{V2_5, V3_0};
    for (version, field, expect) in [
        (V3_0, None, Ok(())),
        (V3_0, Some(Vec::new()), Ok(())),
        (V2_5, None, Err("6A80")),
        (V2_5, Some(Vec::new()), Err("ciPKUnknown")),
    ] {
        let mut config = veuicc::testkit::default_config();
        config.sgp22 = version;
        let mut card = TestCard::with_config(config, veuicc::store::MemStorage::new(), 1);
        let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 2);
        smdp.sgp22 = V3_0;
        let mut lpa = Es10Client::open(&mut card).unwrap();
        let info1 = lpa.get_euicc_info1().unwrap();
        let challenge = lpa.get_euicc_challenge().unwrap();
        let request = smdp.initiate_authentication_for(challenge, None, Some(&info1));
        let mut request: AuthenticateServerRequest = rasn::der::decode(&request).unwrap();
        request.euicc_ci_pkid_to_be_used = field.clone().map(Into::into);
        let answer = lpa.store_data(&rasn::der::encode(&request).unwrap());
        let got = match answer {
            Err(veuicc::testkit::ClientError::Status(0x6A80)) => Err("6A80"),
            Err(e) => panic!("{version} {field:?}: {e}"),
            // AuthenticateServerResponse: BF38 { A0 ok } or { 02 error }.
            Ok(a) if a.get(3 + usize::from(a[2] & 0x7F) * usize::from(a[2] >> 7)) == Some(&0xA0) => {
                smdp.authenticate_client(&a).unwrap_or_else(|e| panic!("{version} {field:?}: the SM-DP+ refuses: {e}"));
                Ok(())
            }
            Ok(a) => {
                assert!(support::hexs(&a).ends_with("020107"), "{version} {field:?}: {}", support::hexs(&a));
                Err("ciPKUnknown")
            }
        };
        assert_eq!(got, expect, "{version}, euiccCiPKIdToBeUsed {field:?}");
        lpa.close().unwrap();
    }
}

/// SGP.22 v3 gave the server roles new policy OIDs (`id-rspRole-dp-auth ::= {id-rspRole-dpSubCa
/// 1}` = 2.23.146.1.2.1.0.0.1.1, …; the v2 ones became `*-v2`). A v3 card downloads from an
/// SM-DP+ whose CERT.DPauth and CERT.DPpb carry them; a v2.5 card refuses such a CERT.DPauth
/// with invalidOid(5), as it refuses any policy it does not know.
#[test]
fn a_v3_card_accepts_the_v3_role_oids() {
    use veuicc::crypto::cert::oid::{ROLE_V3_DP_AUTH, ROLE_V3_DP_PB};
    use veuicc::testkit::pki::Ext;
    use veuicc::testkit::smdp::SmdpKeys;
    let pki = default_pki();
    let reissue = |issued: &veuicc::testkit::pki::Issued, policy| {
        let mut t = issued.template.clone();
        t.set_ext(Ext::policy(policy, true));
        t.sign(&pki.ci.key)
    };
    let mut keys = SmdpKeys::from_pki(pki);
    keys.dpauth = reissue(&pki.dpauth, &ROLE_V3_DP_AUTH);
    keys.dppb = reissue(&pki.dppb, &ROLE_V3_DP_PB);
    for version in veuicc::config::Sgp22Version::ALL {
        let mut config = veuicc::testkit::default_config();
        config.sgp22 = version;
        let mut card = TestCard::with_config(config, veuicc::store::MemStorage::new(), 1);
        let mut server = TestSmdp::with_keys(keys.clone(), "smdp.example.com", 2);
        server.sgp22 = veuicc::config::Sgp22Version::V3_0;
        let mut lpa = Es10Client::open(&mut card).unwrap();
        let result = lpa::download(&mut lpa, &mut server, &ProfileToInstall::sample(ICCID, 1500));
        if version.is_v3() {
            result.unwrap_or_else(|e| panic!("{version}: {e:?}"));
        } else {
            let e = format!("{:?}", result.expect_err("a v2.5 card does not know the v3 OIDs"));
            // AuthenticateErrorCode invalidOid(5).
            assert_eq!(e, "Authenticate(5)", "{version}");
        }
    }
}

/// A card whose own chain is of the v3 PKI (CERT.EUM with `id-rspRole-eum` 2.23.146.1.2.1.0.0.0,
/// CERT.EUICC with `id-rspRole-euicc` …0.0.0.0.0) starts, and the SM-DP+ accepts its chain.
#[test]
fn a_card_with_a_v3_pki_chain_downloads() {
    use veuicc::crypto::cert::oid::{ROLE_V3_EUICC, ROLE_V3_EUM};
    use veuicc::testkit::pki::Ext;
    let mut pki = default_pki().clone();
    let mut eum = pki.eum.template.clone();
    eum.set_ext(Ext::policy(&ROLE_V3_EUM, true));
    pki.eum.der = eum.sign(&pki.ci.key);
    let mut euicc = pki.cards[0].template.clone();
    euicc.set_ext(Ext::policy(&ROLE_V3_EUICC, true));
    pki.cards[0].der = euicc.sign(&pki.eum.key);
    let identity = std::sync::Arc::new(pki.identity(0).expect("a v3 chain is a valid identity"));
    let mut config = identity.card_config();
    config.sgp22 = veuicc::config::Sgp22Version::V3_0;
    let platform = veuicc::platform::Parts {
        storage: veuicc::store::MemStorage::new(),
        rng: veuicc::testkit::DetRng::new(1),
        clock: veuicc::testkit::ManualClock::default(),
    };
    let mut card = veuicc::Card::with_identity(config, identity, platform).unwrap();
    let mut server = TestSmdp::new(&pki, "smdp.example.com", 2);
    let mut lpa = Es10Client::open(&mut card).unwrap();
    lpa::download(&mut lpa, &mut server, &ProfileToInstall::sample(ICCID, 1500)).expect("the SM-DP+ accepts the chain");
}
