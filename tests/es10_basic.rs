//! ES10a/b/c basics, checked with an independent decoder (RustCrypto `der`) and
//! with bytes derived by hand from the SGP.22 v2.5 ASN.1 — never only with the
//! encoder that produced them.
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
use support::{es10, hex};

use der::{Any, Decode, Reader, SliceReader, Tag, TagNumber, Tagged};
use veuicc::asn1::rsp::{ProfileInfoListRequest, ProfileInfoListResult, SearchCriteria};
use veuicc::config::{CardConfig, Eid, OperatorMatch, RatRule};
use veuicc::store::{Icon, MemStorage, ProfileClass, ProfileRecord, ProfileState, Store, Txn};
use veuicc::testkit::{ClientError, Es10Client, TestCard, default_config};

/// SGP.26 test eUICC EID and CI key identifier.
const SGP26_EID: &str = "89049032123451234512345678901235";
const SGP26_CI_SKI: &str = "F54172BDF98A95D65CBEB88A38A1C11D800A85C3";

fn sgp26_config() -> CardConfig {
    let mut config = CardConfig::new(Eid::parse(SGP26_EID).unwrap());
    config.ci_pkids_verification = vec![hex(SGP26_CI_SKI)];
    config.ci_pkids_signing = vec![hex(SGP26_CI_SKI)];
    config
}

/// The TLVs inside a constructed value, decoded by `der`.
fn children(value: &[u8]) -> Vec<Any> {
    let mut r = SliceReader::new(value).unwrap();
    let mut out = vec![];
    while !r.is_finished() {
        out.push(Any::decode(&mut r).unwrap());
    }
    out
}

fn ctx(n: u32, constructed: bool) -> Tag {
    Tag::ContextSpecific { constructed, number: TagNumber(n) }
}

#[test]
fn get_eid_bytes() {
    let mut card = TestCard::with_config(sgp26_config(), MemStorage::new(), 1);
    // GetEuiccDataResponse ::= [62] SEQUENCE { eidValue [APPLICATION 26] Octet16 }
    let r = es10(&mut card, "BF3E035C015A");
    assert_eq!(r, hex("BF3E 12 5A10 89049032123451234512345678901235"));
    let outer = Any::from_der(&r).unwrap();
    assert_eq!(outer.tag(), ctx(62, true));
    let inner = children(outer.value());
    assert_eq!(inner.len(), 1);
    assert_eq!(inner[0].tag(), Tag::Application { constructed: false, number: TagNumber(26) });
    assert_eq!(inner[0].value(), hex(SGP26_EID));
}

#[test]
fn euicc_info1_bytes() {
    let mut card = TestCard::with_config(sgp26_config(), MemStorage::new(), 1);
    let r = es10(&mut card, "BF2000");
    let ski = SGP26_CI_SKI;
    assert_eq!(r, hex(&format!("BF20 35 8203020500 A916 0414{ski} AA16 0414{ski}")));
    let fields = children(Any::from_der(&r).unwrap().value());
    let tags: Vec<Tag> = fields.iter().map(Any::tag).collect();
    assert_eq!(tags, [ctx(2, false), ctx(9, true), ctx(10, true)]);
    let list = children(fields[1].value());
    assert_eq!(list[0].tag(), Tag::OctetString);
    assert_eq!(list[0].value(), hex(ski));
}

#[test]
fn euicc_info2_fields() {
    let mut card = TestCard::with_config(sgp26_config(), MemStorage::new(), 1);
    let r = es10(&mut card, "BF2200");
    let outer = Any::from_der(&r).unwrap();
    assert_eq!(outer.tag(), ctx(34, true));
    let fields = children(outer.value());
    let tags: Vec<Tag> = fields.iter().map(Any::tag).collect();
    assert_eq!(
        tags,
        [
            ctx(1, false),    // profileVersion
            ctx(2, false),    // svn
            ctx(3, false),    // euiccFirmwareVer
            ctx(4, false),    // extCardResource
            ctx(5, false),    // uiccCapability
            ctx(6, false),    // ts102241Version
            ctx(7, false),    // globalplatformVersion
            ctx(8, false),    // rspCapability
            ctx(9, true),     // euiccCiPKIdListForVerification
            ctx(10, true),    // euiccCiPKIdListForSigning
            ctx(11, false),   // euiccCategory
            Tag::OctetString, // ppVersion
            Tag::Utf8String,  // sasAcreditationNumber
        ]
    );
    // The configured defaults: TS 102 241 v15.1.0, GlobalPlatform 2.3.0, basicEuicc,
    // Protection Profile 1.0.0, a test accreditation label.
    assert_eq!((fields[5].value(), fields[6].value()), (&[15, 1, 0][..], &[2, 3, 0][..]));
    assert_eq!(fields[10].value(), [1]);
    assert_eq!((fields[11].value(), fields[12].value()), (&[1, 0, 0][..], &b"VEUICC-TEST"[..]));
    assert_eq!(fields[1].value(), [2, 5, 0]);
    // extCardResource: 0 applications, 1 MiB free NVM (nothing stored yet), 16 KiB RAM.
    assert_eq!(fields[3].value(), hex("810100 820400100000 83024000"));
    // rspCapability: additionalProfile(0), testProfileSupport(3), deviceInfoExtensibilitySupport(4)
    // (`03 98`, as a sysmoEUICC1 answers); uiccCapability: usim, isim, Milenage, TUAK-128/256,
    // test algorithm, multiple USIM/ISIM, BER-TLV files, DF links.
    assert_eq!(fields[7].value(), [0x03, 0x98]);
    assert_eq!(fields[4].value(), [0x03, 0x6B, 0x80, 0xD8]);
    assert_eq!(children(fields[8].value())[0].value(), hex(SGP26_CI_SKI));
}

#[test]
fn challenge_is_fresh_and_well_formed() {
    let mut card = TestCard::new(7);
    let a = es10(&mut card, "BF2E00");
    let b = es10(&mut card, "BF2E00");
    for r in [&a, &b] {
        assert_eq!(r[..5], hex("BF2E128010"));
        let inner = children(Any::from_der(r).unwrap().value());
        assert_eq!(inner[0].tag(), ctx(0, false));
        assert_eq!(inner[0].value().len(), 16);
    }
    assert_ne!(a, b);
    // The RNG is the platform's: the same seed gives the same challenge.
    assert_eq!(es10(&mut TestCard::new(7), "BF2E00"), a);
}

#[test]
fn configured_addresses_and_set_default() {
    let mut card = TestCard::new(1);
    // Fresh card: only the root SM-DS address.
    assert_eq!(es10(&mut card, "BF3C00"), hex("BF3C11 810F 6C70612E64732E67736D612E636F6D"));
    // SetDefaultDpAddress("smdp.example.com") → ok(0).
    assert_eq!(es10(&mut card, "BF3F12 8010 736D64702E6578616D706C652E636F6D"), hex("BF3F03800100"));
    let expected = hex("BF3C23 8010 736D64702E6578616D706C652E636F6D 810F 6C70612E64732E67736D612E636F6D");
    assert_eq!(es10(&mut card, "BF3C00"), expected);
    // Persistent: survives a power cycle (the state is reloaded from storage).
    card.power_off();
    card.power_on();
    assert_eq!(es10(&mut card, "BF3C00"), expected);
    // An empty address removes it.
    assert_eq!(es10(&mut card, "BF3F02 8000"), hex("BF3F03800100"));
    assert_eq!(es10(&mut card, "BF3C00"), hex("BF3C11 810F 6C70612E64732E67736D612E636F6D"));
}

#[test]
fn set_default_dp_address_storage_failure_changes_nothing() {
    let mut card = TestCard::new(1);
    es10(&mut card, "BF3F12 8010 736D64702E6578616D706C652E636F6D");
    let before = card.storage().clone();
    card.storage().cut_after_writes(0, true);
    let mut client = Es10Client::open(&mut card).unwrap();
    let r = client.store_data(&hex("BF3F0A 8008 6F746865722E6578"));
    assert_eq!(r, Err(ClientError::Status(0x6581)), "memory problem, not a result code");
    client.close().unwrap();
    card.storage().restore_power();
    card.power_on();
    assert_eq!(
        es10(&mut card, "BF3C00"),
        hex("BF3C23 8010 736D64702E6578616D706C652E636F6D 810F 6C70612E64732E67736D612E636F6D")
    );
    // Power cut at every write of the command: the card comes back with the old or the new address.
    for n in 0..6 {
        for torn in [false, true] {
            let mut storage = before.clone();
            storage.cut_after_writes(n, torn);
            let mut card = TestCard::with_config(default_config(), storage, 1);
            let _ = Es10Client::open(&mut card).and_then(|mut c| c.store_data(&hex("BF3F0A 8008 6F746865722E6578")));
            card.storage().restore_power();
            card.power_on();
            let got = es10(&mut card, "BF3C00");
            let old = hex("BF3C23 8010 736D64702E6578616D706C652E636F6D 810F 6C70612E64732E67736D612E636F6D");
            let new = hex("BF3C1B 8008 6F746865722E6578 810F 6C70612E64732E67736D612E636F6D");
            assert!(got == old || got == new, "cut after {n} writes (torn {torn}): {got:02X?}");
        }
    }
}

#[test]
fn rat_and_empty_profile_list() {
    let mut card = TestCard::new(1);
    // Default RAT: one rule, PPR1 and PPR2 (80 02 05 60) for every operator (mccMnc EEEEEE), no consent (82 01 00).
    assert_eq!(es10(&mut card, "BF4300"), hex("BF4314 A012 3010 80020560 A107 3005 8003EEEEEE 820100"));
    assert_eq!(es10(&mut card, "BF2D00"), hex("BF2D02A000"));
    // Search by ICCID with a tag list: still empty.
    assert_eq!(es10(&mut card, "BF2D14 A00C5A0A98001032547698103214 5C045A4F9F70"), hex("BF2D02A000"));
    // A tag list that is not a list of tags: incorrectInputValues(1).
    assert_eq!(es10(&mut card, "BF2D03 5C019F"), hex("BF2D03810101"));
}

#[test]
fn rat_from_the_configuration() {
    // No RAT at all.
    let mut config = default_config();
    config.rat.clear();
    let mut card = TestCard::with_config(config.clone(), MemStorage::new(), 1);
    assert_eq!(es10(&mut card, "BF4300"), hex("BF4302A000"));
    // The GetRAT example of the fact sheet: PPR1 for MCC 001 / MNC 01, end-user consent required.
    config.rat = vec![RatRule {
        ppr_ids: 1 << 1,
        allowed_operators: vec![OperatorMatch { mcc_mnc: [0x00, 0xF1, 0x10], gid1: None, gid2: None }],
        consent_required: true,
    }];
    let mut card = TestCard::with_config(config.clone(), MemStorage::new(), 1);
    assert_eq!(es10(&mut card, "BF4300"), hex("bf4315a013301180020640a1073005800300f11082020780"));
    // Two rules, GIDs, two operators.
    config.rat.push(RatRule {
        ppr_ids: 1 << 2,
        allowed_operators: vec![
            OperatorMatch { mcc_mnc: [0x62, 0xF2, 0x10], gid1: Some(vec![0xAB]), gid2: Some(vec![0x01, 0x02]) },
            OperatorMatch { mcc_mnc: OperatorMatch::ANY, gid1: None, gid2: None },
        ],
        consent_required: false,
    });
    let mut card = TestCard::with_config(config, MemStorage::new(), 1);
    assert_eq!(
        es10(&mut card, "BF4300"),
        hex("BF4335 A033 3011 80020640 A107 3005 800300F110 82020780 \
             301E 80020520 A115 300C 800362F210 8101AB 82020102 3005 8003EEEEEE 820100")
    );
}

/// A card whose store already holds two profiles (as a download would leave them).
fn card_with_profiles() -> TestCard {
    let mut storage = MemStorage::new();
    let mut store = Store::open(&mut storage).unwrap();
    let profiles = [
        ProfileRecord {
            iccid: hex("98001032547698103214").into(),
            isdp_aid: hex("A0000005591010FFFFFFFF8900001000").into(),
            state: ProfileState::Enabled,
            nickname: Some("work".into()),
            service_provider_name: "SP".into(),
            profile_name: "Name".into(),
            icon: Some(Icon { icon_type: 1.into(), data: vec![0x89, 0x50].into() }),
            class: ProfileClass::Operational,
            ppr: 0b010,
            notification_config: vec![],
            owner: None,
            dp_proprietary_data: None,
            port: None,
            hri_server_address: None,
            enterprise: None,
            service_description: None,
            service_specific_data: None,
            rpm_configuration: None,
            device_change_configuration: None,
        },
        ProfileRecord {
            iccid: hex("98001032547698103222").into(),
            isdp_aid: hex("A0000005591010FFFFFFFF8900001100").into(),
            state: ProfileState::Disabled,
            nickname: None,
            service_provider_name: "T".into(),
            profile_name: "Test".into(),
            icon: None,
            class: ProfileClass::Test,
            ppr: 0,
            notification_config: vec![],
            owner: None,
            dp_proprietary_data: None,
            port: None,
            hri_server_address: None,
            enterprise: None,
            service_description: None,
            service_specific_data: None,
            rpm_configuration: None,
            device_change_configuration: None,
        },
    ];
    let mut txn = Txn::new();
    for p in &profiles {
        txn.put(&p.record_name(), rasn::der::encode(p).unwrap());
    }
    store.commit(&mut storage, txn).unwrap();
    TestCard::with_config(default_config(), storage, 1)
}

#[test]
fn profiles_info_fields_and_filters() {
    let mut card = card_with_profiles();
    // The example of the SGP.22 ASN.1 (asn1tools-encoded): ICCID, AID, state, class.
    assert_eq!(
        es10(&mut card, "BF2D 0B A0 07 5A05 0000000000 5C00"),
        hex("BF2D03810101"),
        "an ICCID of the wrong length is incorrectInputValues"
    );
    let r = es10(&mut card, "BF2D14 A00C5A0A98001032547698103214 5C045A4F9F70");
    assert_eq!(r, hex("BF2D 26 A0 24 E3 22 5A0A98001032547698103214 4F10A0000005591010FFFFFFFF8900001000 9F700101"));
    // No tag list: the default set, in ASN.1 order; nickname only where set.
    let r = es10(&mut card, "BF2D00");
    let list = children(children(Any::from_der(&r).unwrap().value())[0].value());
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].tag(), Tag::Private { constructed: true, number: TagNumber(3) });
    let first: Vec<Tag> = children(list[0].value()).iter().map(Any::tag).collect();
    let app = |n| Tag::Application { constructed: false, number: TagNumber(n) };
    assert_eq!(
        first,
        [
            app(26),
            app(15),
            ctx(112, false),
            ctx(16, false),
            ctx(17, false),
            ctx(18, false),
            ctx(19, false),
            ctx(20, false),
            ctx(21, false)
        ]
    );
    let second: Vec<Tag> = children(list[1].value()).iter().map(Any::tag).collect();
    assert_eq!(second, [app(26), app(15), ctx(112, false), ctx(17, false), ctx(18, false), ctx(21, false)]);
    // By class (test = 0) and by ISD-P AID; PPRs on request.
    let mut client = Es10Client::open(&mut card).unwrap();
    let by_class = client
        .get_profiles_info(&ProfileInfoListRequest::new(Some(SearchCriteria::ProfileClass(0.into())), Some(vec![0x5A])))
        .unwrap();
    let ProfileInfoListResult::ProfileInfoListOk(list) = by_class.0 else { panic!() };
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].iccid.as_ref().unwrap().as_slice(), hex("98001032547698103222"));
    assert!(list[0].isdp_aid.is_none());
    let by_aid = client
        .get_profiles_info(&ProfileInfoListRequest::new(
            Some(SearchCriteria::IsdpAid(hex("A0000005591010FFFFFFFF8900001000").into())),
            Some(vec![0x99]),
        ))
        .unwrap();
    let raw = rasn::der::encode(&by_aid).unwrap();
    // E3 { 99 02 06 40 }: PprIds with ppr1 set.
    assert_eq!(raw, hex("BF2D08 A006 E304 9902 0640"));
}

/// Golden encodings produced by asn1tools from the SGP.22 ASN.1 (`../shared/spec/vectors`):
/// every type the card implements must decode them and re-encode the same bytes.
#[test]
fn asn1tools_golden_encodings() {
    let Some(shared) = support::shared("check the asn1tools golden encodings") else {
        return;
    };
    let path = std::path::Path::new(&shared).join("spec/vectors/es10_der_examples.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    use veuicc::asn1::rsp::*;
    fn round<T: rasn::Decode + rasn::Encode>(der: &[u8]) -> Vec<u8> {
        rasn::der::encode(&rasn::der::decode::<T>(der).unwrap()).unwrap()
    }
    let mut checked = 0;
    for e in json["encodings"].as_array().unwrap() {
        let der = hex(e["der"].as_str().unwrap());
        let again = match e["type"].as_str().unwrap() {
            "GetEuiccChallengeRequest" => round::<GetEuiccChallengeRequest>(&der),
            "GetEuiccChallengeResponse" => round::<GetEuiccChallengeResponse>(&der),
            "EUICCInfo1" => round::<EuiccInfo1>(&der),
            "GetEuiccDataRequest" => round::<GetEuiccDataRequest>(&der),
            "GetEuiccDataResponse" => round::<GetEuiccDataResponse>(&der),
            "EuiccConfiguredAddressesRequest" => round::<EuiccConfiguredAddressesRequest>(&der),
            "EuiccConfiguredAddressesResponse" => round::<EuiccConfiguredAddressesResponse>(&der),
            "SetDefaultDpAddressRequest" => round::<SetDefaultDpAddressRequest>(&der),
            "SetDefaultDpAddressResponse" => round::<SetDefaultDpAddressResponse>(&der),
            "ProfileInfoListRequest" => round::<ProfileInfoListRequest>(&der),
            "ProfileInfoListResponse" => round::<ProfileInfoListResponse>(&der),
            "GetRatRequest" => round::<GetRatRequest>(&der),
            "GetEuiccInfo2Request" => round::<GetEuiccInfo2Request>(&der),
            _ => continue,
        };
        assert_eq!(again, der, "{}", e["type"]);
        checked += 1;
    }
    assert_eq!(checked, 15, "all implemented types were found in the vectors");
    // And the card's own answers equal the golden bytes where it can produce them.
    let mut card = TestCard::with_config(sgp26_config(), MemStorage::new(), 1);
    let golden = |t: &str| {
        json["encodings"].as_array().unwrap().iter().find(|e| e["type"] == t).map(|e| hex(e["der"].as_str().unwrap()))
    };
    assert_eq!(es10(&mut card, "BF3E035C015A"), golden("GetEuiccDataResponse").unwrap());
    let set_req = golden("SetDefaultDpAddressRequest").unwrap();
    let mut client = Es10Client::open(&mut card).unwrap();
    assert_eq!(client.store_data(&set_req).unwrap(), golden("SetDefaultDpAddressResponse").unwrap());
    client.close().unwrap();
    let addresses = es10(&mut card, "BF3C00");
    assert_eq!(addresses[..20], golden("EuiccConfiguredAddressesResponse").unwrap()[..20]);
}
