//! SGP.22 v3 profile metadata: hriServerAddress, enterpriseConfiguration and serviceDescription
//! kept from StoreMetadata and returned by GetProfilesInfo with profileSize, byte for byte, on a
//! v3 card only (a v2.5 card's answers for the same download are what they were); the enterprise
//! rules (each refusal leaves the profiles as they were); power cuts over an install with
//! enterprise metadata; `BF56` (SGP.32's GetCerts) unanswered on every version.
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

use rasn::types::ObjectIdentifier;
use support::{es10, es10_sw, hexs, profile_record};
use veuicc::asn1::download::{EnterpriseConfiguration, EnterpriseRules, enterprise_rule};
use veuicc::config::{Mep, MepMode, Sgp22Version};
use veuicc::store::{CardState, Enterprise, MemStorage, ProfileClass, ProfileState};
use veuicc::testkit::lpa::{DownloadError, Installed, download};
use veuicc::testkit::pki::default_pki;
use veuicc::testkit::smdp::{ProfileToInstall, TestSmdp};
use veuicc::testkit::{Es10Client, TestCard, default_config};

const ENTERPRISE: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x41];
const OTHER: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x42];
const PLAIN: [u8; 10] = [0x98, 0x00, 0x10, 0x32, 0x54, 0x76, 0x98, 0x10, 0x32, 0x43];

fn config(sgp22: Sgp22Version) -> veuicc::CardConfig {
    veuicc::CardConfig { sgp22, ..default_config() }
}

fn card(sgp22: Sgp22Version) -> TestCard {
    TestCard::with_config(config(sgp22), MemStorage::new(), 7)
}

/// `EnterpriseConfiguration` of "Example Corp" (OID 2.999.7) with `bits` and `n` as its rules.
fn enterprise(bits: &[usize], n: i64) -> EnterpriseConfiguration {
    EnterpriseConfiguration::new(
        ObjectIdentifier::new(vec![2, 999, 7]).unwrap(),
        "Example Corp",
        Some(EnterpriseRules::new(bits, n)),
    )
}

/// The sample profile `iccid`, with `enterprise` as its enterpriseConfiguration.
fn profile(iccid: [u8; 10], enterprise: Option<EnterpriseConfiguration>) -> ProfileToInstall {
    let mut p = ProfileToInstall::sample(iccid, 1200);
    p.metadata.enterprise_configuration = enterprise;
    p
}

/// `profile` with every v3 member StoreMetadata has: the three the card keeps, and an RPM
/// configuration, a device-change configuration, a serviceProviderMessage and an
/// estimatedProfileSize, which it ignores. The RPM configuration (`BA`) comes before the
/// hriServerAddress (`9B`) the card takes, as the ASN.1 orders them.
fn with_v3_metadata(mut p: ProfileToInstall) -> ProfileToInstall {
    use rasn::types::Any;
    p.metadata.rpm_configuration = Some(Any::new(support::hex("A000 8303883701")));
    p.metadata.hri_server_address = Some("hri.example.com".into());
    p.metadata.service_provider_message = Some(Any::new(support::hex("0C02 6869")));
    p.metadata.service_description = Some([true, true].into_iter().collect());
    // usingStoredAc { activationCodeForDc }: automatic tags make the code `80` (the card now
    // checks the configuration, keeping it for Device Change).
    p.metadata.device_change_configuration = Some(Any::new(support::hex("A10A 8008 4143313233343536")));
    p.metadata.estimated_profile_size = Some(4096.into());
    p
}

fn install(card: &mut TestCard, profile: &ProfileToInstall) -> Result<Installed, DownloadError> {
    let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 3);
    let mut lpa = Es10Client::open(&mut *card).unwrap();
    let r = download(&mut lpa, &mut smdp, profile);
    lpa.close().unwrap();
    r
}

/// The install is refused at StoreMetadata (bppCommandId 2) with `reason`, and the card's
/// profiles and packages are what they were.
fn refused(card: &mut TestCard, profile: &ProfileToInstall, reason: i64) {
    let before = card.0.state().profiles.clone();
    let packages = |card: &mut TestCard| {
        let store = veuicc::store::Store::open(card.storage()).unwrap();
        store.names().filter(|n| n.starts_with("u.")).map(String::from).collect::<Vec<_>>()
    };
    let packages_before = packages(card);
    match install(card, profile) {
        Err(DownloadError::Install { command: 2, reason: r }) if r == reason => {}
        other => panic!("expected storeMetadata/{reason}, got {other:?}"),
    }
    assert_eq!(card.0.state().profiles, before, "a refused profile changes no profile");
    assert_eq!(packages(card), packages_before, "nor any package");
    assert!(card.0.state().install.is_none());
}

/// GetProfilesInfo asking for the ICCID and every v3 metadata tag: `5A 9B BD 9F1F 9F25`.
const V3_TAGS: &str = "BF2D095C075A9BBD9F1F9F25";

/// A v3 card keeps the metadata and answers it byte for byte, in the ASN.1's order (9B, BD,
/// 9F1F, 9F25); profileSize is the installed package's length. A v2.5 card, sent the very same
/// download, answers exactly as it does without the v3 metadata (PIR, profile list, state).
#[test]
fn v3_metadata_byte_for_byte_and_a_v2_5_card_unchanged() {
    let p = with_v3_metadata(profile(ENTERPRISE, Some(enterprise(&[enterprise_rule::PRIORITY], 2))));
    let size = p.upp.len();
    assert!((0x100..0x8000).contains(&size), "two INTEGER bytes: {size}");
    let iccid = hexs(&ENTERPRISE);
    let mut v3 = card(Sgp22Version::V3_0);
    install(&mut v3, &p).unwrap();
    let enterprise_der = "BD1C 800388 3707 810C 4578616D706C6520436F7270 A207 8002 0640 810102";
    let len = 12 + 17 + 30 + 5 + 5;
    let info = format!(
        "E3{len:02X} 5A0A{iccid} 9B0F {hri} {enterprise_der} 9F1F0206C0 9F2502{size:04X}",
        hri = hexs(b"hri.example.com"),
    );
    let expected = support::hex(&format!("BF2D{:02X} A0{:02X} {info}", len + 4, len + 2));
    assert_eq!(hexs(&es10(&mut v3, V3_TAGS)), hexs(&expected));
    // Only what is asked: the service description alone, the size alone.
    assert_eq!(hexs(&es10(&mut v3, "BF2D065C049F1F9F25")), format!("BF2D0EA00CE30A9F1F0206C09F2502{size:04X}"));
    let kept = &v3.0.state().profiles[0];
    assert_eq!(kept.hri_server_address.as_deref(), Some("hri.example.com"));
    assert_eq!(kept.enterprise.as_ref().map(|e| e.name.as_str()), Some("Example Corp"));
    // The default list is the v2.5 one (no v3 field unless asked).
    let default_v3 = es10(&mut v3, "BF2D00");
    assert!(!hexs(&default_v3).contains("9F25"));

    // v2.5: the same download, with and without the v3 members.
    let plain = profile(ENTERPRISE, None);
    let mut with = card(Sgp22Version::V2_5);
    let mut without = card(Sgp22Version::V2_5);
    let a = install(&mut with, &p).unwrap();
    let b = install(&mut without, &plain).unwrap();
    assert_eq!(hexs(&a.pir), hexs(&b.pir), "the PIR is the same");
    assert_eq!(with.0.state(), without.0.state(), "so is the state");
    for req in [V3_TAGS, "BF2D00", "BF2D0C5C0A5A4F9F709095B6B7B899"] {
        assert_eq!(hexs(&es10(&mut with, req)), hexs(&es10(&mut without, req)), "{req}");
    }
    assert_eq!(hexs(&es10(&mut with, V3_TAGS)), format!("BF2D10A00EE30C5A0A{iccid}"), "the ICCID only");
    assert_eq!(hexs(&es10(&mut with, "BF2D00")), hexs(&default_v3), "v3's default answer is v2.5's");
    assert!(with.0.state().profiles[0].enterprise.is_none());
}

/// The rspCapability bits: rpmSupport(2), serviceSpecificDataSupport(5),
/// hriServerAddressSupport(6), enterpriseProfilesSupport(9), serviceDescriptionSupport(10),
/// deviceChangeSupport(11), profileSizeInProfilesInfoSupport(14) on a v3 card (9 only with Enterprise Profiles
/// configured), none of them on a v2.5 card.
#[test]
fn capabilities() {
    let info2 = |card: &mut TestCard| hexs(&es10(card, "BF2200"));
    // additionalProfile(0), testProfileSupport(3), deviceInfoExtensibilitySupport(4).
    assert!(info2(&mut card(Sgp22Version::V2_5)).contains("88020398"));
    // … 2, 5, 6, 9, 10, 11, 14, euiccRspCapInInfo1(18): 5 unused bits, 10111110 01110010 00100000.
    let v3 = info2(&mut card(Sgp22Version::V3_0));
    assert!(v3.contains("880405BE7220"), "{v3}");
    let mut off = TestCard::with_config(
        veuicc::CardConfig { enterprise_profiles: false, ..config(Sgp22Version::V3_1) },
        MemStorage::new(),
        7,
    );
    let off = info2(&mut off);
    assert!(off.contains("880405BE3220"), "{off}");
}

/// (17) A v3 card configured without Enterprise Profiles refuses an enterpriseConfiguration
/// (and installs the profile without one).
#[test]
fn enterprise_profiles_not_supported() {
    let mut off = TestCard::with_config(
        veuicc::CardConfig { enterprise_profiles: false, ..config(Sgp22Version::V3_0) },
        MemStorage::new(),
        7,
    );
    refused(&mut off, &profile(ENTERPRISE, Some(enterprise(&[], 0))), 17);
    install(&mut off, &profile(PLAIN, None)).unwrap();
    // A v2.5 card ignores the field, whatever its configuration.
    let mut v2 = TestCard::with_config(
        veuicc::CardConfig { enterprise_profiles: false, ..config(Sgp22Version::V2_5) },
        MemStorage::new(),
        7,
    );
    install(&mut v2, &profile(ENTERPRISE, Some(enterprise(&[0, 2], 0)))).unwrap();
    install(&mut v2, &profile(PLAIN, None)).unwrap();
}

/// (22) While the reference enterprise rule says only enterprise profiles, a profile without an
/// enterpriseConfiguration is refused; another enterprise profile is not. Deleting the reference
/// profile lifts the rule.
#[test]
fn only_enterprise_profiles() {
    let mut v3 = card(Sgp22Version::V3_0);
    let rules = [enterprise_rule::REFERENCE, enterprise_rule::ONLY_ENTERPRISE_PROFILES];
    install(&mut v3, &profile(ENTERPRISE, Some(enterprise(&rules, 1)))).unwrap();
    refused(&mut v3, &profile(PLAIN, None), 22);
    install(&mut v3, &profile(OTHER, Some(enterprise(&[], 0)))).unwrap();
    assert_eq!(v3.0.state().profiles.len(), 2);
    // Without onlyEnterpriseProfilesCanBeInstalled the rule does not apply.
    let mut v3 = card(Sgp22Version::V3_0);
    install(&mut v3, &profile(ENTERPRISE, Some(enterprise(&[enterprise_rule::REFERENCE], 1)))).unwrap();
    install(&mut v3, &profile(PLAIN, None)).unwrap();
    // Nor once the reference profile is gone.
    let mut v3 = card(Sgp22Version::V3_0);
    install(&mut v3, &profile(ENTERPRISE, Some(enterprise(&rules, 1)))).unwrap();
    assert_eq!(hexs(&es10(&mut v3, &format!("BF330C5A0A{}", hexs(&ENTERPRISE)))), "BF3303800100");
    install(&mut v3, &profile(PLAIN, None)).unwrap();
}

/// (18) One reference enterprise rule per eUICC: a second profile carrying it is refused.
#[test]
fn one_reference_enterprise_rule() {
    let mut v3 = card(Sgp22Version::V3_1);
    install(&mut v3, &profile(ENTERPRISE, Some(enterprise(&[enterprise_rule::REFERENCE], 1)))).unwrap();
    refused(&mut v3, &profile(OTHER, Some(enterprise(&[enterprise_rule::REFERENCE], 3))), 18);
    install(&mut v3, &profile(OTHER, Some(enterprise(&[enterprise_rule::PRIORITY], 3)))).unwrap();
}

fn enable(iccid: &str) -> String {
    format!("BF3111A00C5A0A{iccid}810100")
}

/// The enterprise profile E (the reference rule with numberOfNonEnterpriseProfiles `n`) and
/// three other profiles: P1, P2 (no enterprise configuration) and E2 (an enterprise profile
/// without rules), all disabled.
fn enterprise_state(n: i64) -> CardState {
    let mut state = CardState::default();
    for (i, iccid) in [E, P1, P2, E2].into_iter().enumerate() {
        state.profiles.push(profile_record(
            iccid,
            0x10 + i as u8,
            ProfileState::Disabled,
            ProfileClass::Operational,
            0,
            0,
        ));
    }
    let record = |rules: bool| Enterprise {
        oid: ObjectIdentifier::new(vec![2, 999, 7]).unwrap(),
        name: "Example Corp".into(),
        rules: rules.then(|| veuicc::store::EnterpriseRules {
            bits: EnterpriseRules::new(&[enterprise_rule::REFERENCE], n).enterprise_rule_bits,
            non_enterprise_profiles: n.into(),
        }),
    };
    state.profiles[0].enterprise = Some(record(true));
    state.profiles[3].enterprise = Some(record(false));
    state
}

fn enterprise_card(n: i64, mep: Option<Mep>) -> TestCard {
    let mut storage = MemStorage::new();
    support::install(&mut storage, &enterprise_state(n));
    TestCard::with_config(veuicc::CardConfig { mep, ..config(Sgp22Version::V3_0) }, storage, 1)
}

const E: &str = "98001032547698103251";
const P1: &str = "98001032547698103252";
const P2: &str = "98001032547698103253";
const E2: &str = "98001032547698103254";

/// (6) EnableProfile of a profile without enterpriseConfiguration that would leave more of them
/// enabled than the reference rule's numberOfNonEnterpriseProfiles is refused, the state as it
/// was; enterprise profiles are not counted.
#[test]
fn number_of_non_enterprise_profiles() {
    let refuse = "BF3103800106";
    // None allowed: P1 is refused, E and E2 are not.
    let mut card = enterprise_card(0, None);
    let before = card.0.state().clone();
    assert_eq!(hexs(&es10(&mut card, &enable(P1))), refuse);
    assert_eq!(*card.0.state(), before, "nothing changed");
    assert_eq!(hexs(&es10(&mut card, &enable(E2))), "BF3103800100");
    assert_eq!(hexs(&es10(&mut card, &enable(E))), "BF3103800100");
    // One allowed on a single-port card: the enable replaces the enabled one, never two.
    let mut card = enterprise_card(1, None);
    assert_eq!(hexs(&es10(&mut card, &enable(P1))), "BF3103800100");
    assert_eq!(hexs(&es10(&mut card, &enable(P2))), "BF3103800100");
    // MEP-A2, two ports, one allowed: P1 on port 1, P2 on port 2 is one too many; E takes it.
    let a2 = Some(Mep { mode: MepMode::A2, ports: 2 });
    let mut card = enterprise_card(1, a2);
    assert_eq!(hexs(&es10(&mut card, &enable(P1))), "BF3106800100810101");
    let before = card.0.state().clone();
    assert_eq!(hexs(&es10(&mut card, &enable(P2))), refuse);
    assert_eq!(*card.0.state(), before, "nothing changed");
    assert_eq!(hexs(&es10(&mut card, &enable(E))), "BF3106800100810102");
    // Two allowed: both.
    let mut card = enterprise_card(2, a2);
    assert_eq!(hexs(&es10(&mut card, &enable(P1))), "BF3106800100810101");
    assert_eq!(hexs(&es10(&mut card, &enable(P2))), "BF3106800100810102");
    // A v2.5 card has no enterprise rules (the records' fields are not looked at).
    let mut storage = MemStorage::new();
    support::install(&mut storage, &enterprise_state(0));
    let mut v2 = TestCard::with_config(config(Sgp22Version::V2_5), storage, 1);
    assert_eq!(hexs(&es10(&mut v2, &enable(P1))), "BF3103800100");
}

/// Power lost at every storage operation of a download carrying enterprise metadata (after
/// a reference profile that limits nothing): the card comes back with the profile complete —
/// its enterprise configuration, hriServerAddress and serviceDescription with it — or not at all.
#[test]
fn an_enterprise_install_survives_every_power_cut() {
    use veuicc::card::Card;
    use veuicc::testkit::tearing::{TearingPlatform, TearingStorage, card_on, tear_every_write_allowing};
    let config = config(Sgp22Version::V3_0);
    let p = with_v3_metadata(profile(OTHER, Some(enterprise(&[enterprise_rule::PRIORITY], 0))));
    let op = move |card: &mut Card<TearingPlatform>| {
        if let Ok(mut lpa) = Es10Client::open(&mut *card) {
            let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 9);
            let _ = download(&mut lpa, &mut smdp, &p);
        }
    };
    // The reference profile, installed uninterrupted.
    let mut initial = TearingStorage::new();
    {
        let mut card = card_on(&config, initial.clone()).unwrap();
        let mut lpa = Es10Client::open(&mut card).unwrap();
        let mut smdp = TestSmdp::new(default_pki(), "smdp.example.com", 8);
        download(&mut lpa, &mut smdp, &profile(ENTERPRISE, Some(enterprise(&[enterprise_rule::REFERENCE], 1))))
            .unwrap();
        lpa.close().unwrap();
        initial = card.into_platform().storage;
        initial.power_up();
    }
    let load_started = |before: &CardState, state: &CardState| {
        state.install.is_some() && CardState { install: None, ..state.clone() } == *before
    };
    let report = tear_every_write_allowing(&config, &initial, &op, load_started).unwrap();
    assert!(report.landed > 0 && report.landed < report.cut_points, "{report:?}");
    assert!(report.between > 0, "no cut fell between InitialiseSecureChannel and the install: {report:?}");
    eprintln!("enterprise install cut points exercised: {} ({} storage operations)", report.cut_points, report.ops);
    // Uninterrupted, the profile lands with its metadata.
    let mut card = card_on(&config, initial).unwrap();
    op(&mut card);
    let kept = card.state().profiles.iter().find(|p| p.iccid.as_ref() == OTHER).unwrap();
    assert!(kept.enterprise.is_some() && kept.hri_server_address.is_some() && kept.service_description.is_some());
}

/// `BF56` is SGP.32's ES10b.GetCerts (IoT eUICC). pySim-shell tells an IoT eUICC from a consumer
/// one by whether it answers `BF56`, so a card of every SGP.22 version must go on refusing it as
/// an unknown ES10 tag (`6A88`, as it does any tag it does not know) — answering it would make
/// tools treat this SGP.22 card as an SGP.32 one.
#[test]
fn get_certs_bf56_stays_unanswered() {
    for version in Sgp22Version::ALL {
        let mut c = card(version);
        assert_eq!(es10_sw(&mut c, "BF5600"), 0x6A88, "{version}");
        assert_eq!(es10_sw(&mut c, "BF5600"), es10_sw(&mut c, "BF7E00"), "{version}: as any unknown tag");
    }
}
