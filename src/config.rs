//! Card identity and configuration: EID, capacity, versions, addresses.
//!
//! What a card *is* (fixed at manufacture) lives here; what ES10 commands change
//! lives in `store`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// eUICC identifier (GSMA SGP.29 §4): 32 decimal digits, carried as 16 bytes
/// with two digits per byte, most significant digit first (`89 04 90 32 …`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Eid([u8; 16]);

/// Why an EID was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EidError {
    /// Not exactly 32 characters.
    Length(usize),
    /// A character other than `0`–`9`.
    NotDecimal,
    /// The check digits are wrong: the number mod 97 must be 1 (SGP.29 §10, ISO 7064 MOD 97-10).
    CheckDigits,
}

impl fmt::Display for EidError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EidError::Length(n) => write!(f, "an EID has 32 digits, not {n}"),
            EidError::NotDecimal => f.write_str("an EID has decimal digits only"),
            EidError::CheckDigits => f.write_str("EID check digits are wrong (EID mod 97 must be 1)"),
        }
    }
}

impl core::error::Error for EidError {}

impl Eid {
    /// Parses and validates a 32-digit EID.
    pub fn parse(digits: &str) -> Result<Eid, EidError> {
        if digits.len() != 32 {
            return Err(EidError::Length(digits.len()));
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(EidError::NotDecimal);
        }
        if mod97(digits.bytes()) != 1 {
            return Err(EidError::CheckDigits);
        }
        let mut out = [0u8; 16];
        for (byte, pair) in out.iter_mut().zip(digits.as_bytes().chunks_exact(2)) {
            if let [hi, lo] = pair {
                *byte = ((hi - b'0') << 4) | (lo - b'0');
            }
        }
        Ok(Eid(out))
    }

    /// Validates the 16 bytes of an EID as sent in `GetEID`.
    pub fn from_bytes(bytes: [u8; 16]) -> Result<Eid, EidError> {
        let mut s = String::with_capacity(32);
        for b in bytes {
            for nibble in [b >> 4, b & 0x0F] {
                if nibble > 9 {
                    return Err(EidError::NotDecimal);
                }
                s.push(char::from(b'0' + nibble));
            }
        }
        Eid::parse(&s)
    }

    /// Completes 30 digits with the two check digits: `98 − (digits‖00 mod 97)`.
    pub fn with_check_digits(first30: &str) -> Result<Eid, EidError> {
        if first30.len() != 30 {
            return Err(EidError::Length(first30.len() + 2));
        }
        if !first30.bytes().all(|b| b.is_ascii_digit()) {
            return Err(EidError::NotDecimal);
        }
        let check = 98 - mod97(first30.bytes().chain(*b"00"));
        let mut s = String::from(first30);
        for digit in [check / 10, check % 10] {
            s.push(char::from_digit(digit, 10).ok_or(EidError::CheckDigits)?);
        }
        Eid::parse(&s)
    }

    /// An EID from bytes known to be valid (a constant checked by a test).
    #[cfg(feature = "testkit")]
    pub(crate) const fn from_raw(bytes: [u8; 16]) -> Eid {
        Eid(bytes)
    }

    /// The 16 bytes sent on the wire.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

fn mod97(digits: impl Iterator<Item = u8>) -> u32 {
    digits.fold(0u32, |acc, d| (acc * 10 + u32::from(d - b'0')) % 97)
}

impl fmt::Display for Eid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Eid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Eid({self})")
    }
}

/// A version number as SGP.22 codes it: major, minor, revision (`VersionType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u8, pub u8, pub u8);

impl Version {
    /// The three bytes on the wire.
    pub fn to_bytes(self) -> [u8; 3] {
        [self.0, self.1, self.2]
    }
}

/// An application identifier (ISO/IEC 7816-4 §8.2.1.2: 5–16 bytes), the name SELECT by
/// DF name (P1 `04`) finds an application by.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Aid {
    len: u8,
    bytes: [u8; 16],
}

/// The standard ISD-R AID (SGP.22 v2.5 §2.2.3; SGP.02 Annex H): `A0000005591010FFFFFFFF8900000100`.
pub const ISD_R_AID: Aid =
    Aid::from_array([0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00]);

/// An AID of the wrong length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AidError {
    /// The length given.
    pub len: usize,
}

impl fmt::Display for AidError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an AID has 5 to 16 bytes, not {}", self.len)
    }
}

impl core::error::Error for AidError {}

impl Aid {
    /// A 16-byte AID.
    pub const fn from_array(bytes: [u8; 16]) -> Aid {
        Aid { len: 16, bytes }
    }

    /// An AID of 5–16 bytes.
    pub fn new(aid: &[u8]) -> Result<Aid, AidError> {
        let err = AidError { len: aid.len() };
        if aid.len() < 5 {
            return Err(err);
        }
        let mut bytes = [0; 16];
        bytes.get_mut(..aid.len()).ok_or(err)?.copy_from_slice(aid);
        Ok(Aid { len: u8::try_from(aid.len()).map_err(|_| err)?, bytes })
    }

    /// The AID's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&self.bytes)
    }

    /// True if SELECT by DF name with `name` finds this AID: an exact match or a prefix
    /// (partial selection, ISO/IEC 7816-4 §11.1.1; `name` has 5–16 bytes).
    pub fn matches(&self, name: &[u8]) -> bool {
        (5..=16).contains(&name.len()) && self.as_bytes().starts_with(name)
    }
}

impl fmt::Display for Aid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_bytes().iter().try_for_each(|b| write!(f, "{b:02X}"))
    }
}

impl fmt::Debug for Aid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Aid({self})")
    }
}

/// A CI public key identifier: the CI certificate's SubjectKeyIdentifier (20 bytes for SHA-1 SKIs).
pub type CiPkId = Vec<u8>;

/// Everything fixed about a card.
#[derive(Clone, Debug)]
pub struct CardConfig {
    /// The card's EID (`Identity::card_config` takes it from the identity's CERT.EUICC).
    pub eid: Eid,
    /// How many profiles fit (default 15).
    pub profile_capacity: u8,
    /// Non-volatile memory for profiles and state, in bytes; free NVM in
    /// GetEUICCInfo2 is this minus what the store holds.
    pub nvm_bytes: u32,
    /// Volatile memory reported in GetEUICCInfo2 (`extCardResource` tag `83`).
    pub ram_bytes: u16,
    /// CI key identifiers the card can verify with (`euiccCiPKIdListForVerification`);
    /// `Identity::card_config` fills it from the identity's trusted CIs.
    pub ci_pkids_verification: Vec<CiPkId>,
    /// CI key identifiers the card holds a certificate chain for (`euiccCiPKIdListForSigning`);
    /// `Identity::card_config` fills it from the identity's EUM chain.
    pub ci_pkids_signing: Vec<CiPkId>,
    /// Root SM-DS address (ES10a.GetEuiccConfiguredAddresses).
    pub root_ds_address: String,
    /// Default SM-DP+ address at manufacture, before any SetDefaultDpAddress.
    pub default_dp_address: Option<String>,
    /// Largest ES10 command the ISD-R reassembles from STORE DATA blocks.
    pub max_es10_command: usize,
    /// The AID the ISD-R is selected by: [`ISD_R_AID`] by default; real cards use others
    /// (e.g. `A0000005591010FFFFFFFF89000505`), and LPAs can be told (lpac's
    /// `LPAC_CUSTOM_ISD_R_AID`). The FCI names this AID.
    pub isd_r_aid: Aid,
    /// The Rules Authorisation Table (SGP.22 v2.5 §2.9.2, ES10b.GetRAT): which profile
    /// owners may set which profile policy rules. [`CardConfig::new`] allows PPR1 and
    /// PPR2 to every operator ([`RatRule::any_operator`]); an empty table allows no PPR,
    /// so a profile whose metadata sets one is refused with `pprNotAllowed(15)`.
    pub rat: Vec<RatRule>,
    /// What GetEUICCInfo2 reports beyond what the card computes (free memory, CI lists,
    /// `additionalProfile`): capabilities, versions, certification.
    pub info2: Info2Config,
    /// The SGP.22 version the card is ([`Sgp22Version::V2_5`] by default).
    pub sgp22: Sgp22Version,
    /// Multiple Enabled Profiles (SGP.22 v3; only on a v3 card): `None` is one enabled profile,
    /// on eSIM port 0, as on a v2.5 card.
    pub mep: Option<Mep>,
    /// Enterprise Profiles (SGP.22 v3 `enterpriseConfiguration`, the enterprise rules; a v3
    /// card only, `true` by default): a v3 card without them refuses a profile whose metadata
    /// has an enterpriseConfiguration (`enterpriseProfilesNotSupported(17)`) and does not
    /// advertise `enterpriseProfilesSupport(9)`. A v2.5 card ignores the field whatever this says.
    pub enterprise_profiles: bool,
}

/// How a Multiple Enabled Profiles card (SGP.22 v3) places profiles on eSIM ports.
///
/// An eSIM port is an ETSI TS 102 221 logical SE interface (LSI): its own logical channels,
/// its own selected applications, its own SIM (the profile enabled on it) and its own
/// toolkit session. In both MEP-A modes the ISD-R is on port 0 and the ES10 commands go
/// there; profiles are enabled on ports `1..=ports` (Android's "esim-mep" page: "ISD-R is
/// selected on port 0 (command port is 0) and profiles are selected on eSIM ports 1 and
/// higher"). In MEP-B the ISD-R is selectable on every port and a profile is enabled on the
/// port the command came on: ports `0..ports`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mep {
    /// Who picks the port.
    pub mode: MepMode,
    /// How many ports profiles are enabled on (1 to [`Mep::MAX_PORTS`]).
    pub ports: u8,
}

/// The MEP mode of a card ([`Mep`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MepMode {
    /// MEP-A1: the LPA names the port (`targetEsimPort`).
    A1,
    /// MEP-A2: the eUICC picks a free port and names it in its answer.
    A2,
    /// MEP-B: the ISD-R on every port; EnableProfile enables on the port it came on.
    B,
}

impl Mep {
    /// The most profile ports: ETSI TS 102 221's logical SE interfaces go up to `1F`, and
    /// port 0 is the ISD-R's.
    pub const MAX_PORTS: u8 = 31;

    /// The eSIM ports profiles are enabled on: `1..=ports` in MEP-A, `0..ports` in MEP-B.
    pub fn profile_ports(self) -> core::ops::RangeInclusive<u8> {
        let n = self.ports.clamp(1, Mep::MAX_PORTS);
        match self.mode {
            MepMode::A1 | MepMode::A2 => 1..=n,
            MepMode::B => 0..=n - 1,
        }
    }

    /// Whether the ISD-R is selectable on eSIM port `port` (port 0 in MEP-A, any in MEP-B).
    pub fn isd_r_on(self, port: u8) -> bool {
        match self.mode {
            MepMode::A1 | MepMode::A2 => port == 0,
            MepMode::B => true,
        }
    }
}

impl CardConfig {
    /// The eSIM ports a profile may be enabled on: port 0 on a single-port card, the MEP
    /// profile ports on a v3 MEP card.
    pub fn profile_ports(&self) -> core::ops::RangeInclusive<u8> {
        match self.mep() {
            Some(mep) => mep.profile_ports(),
            None => 0..=0,
        }
    }

    /// The card's logical SE interfaces (eSIM ports) `0..lsis()`: 1 on a single-port card, the
    /// ISD-R's port 0 and the profile ports in MEP-A, the profile ports in MEP-B.
    pub fn lsis(&self) -> u8 {
        match self.mep() {
            Some(mep) => mep.profile_ports().end() + 1,
            None => 1,
        }
    }

    /// The MEP configuration in effect (`None` on a v2.5 card whatever [`CardConfig::mep`] says).
    pub fn mep(&self) -> Option<Mep> {
        self.mep.filter(|_| self.sgp22.is_v3())
    }
}

/// The fixed fields of EUICCInfo2 (SGP.22 v2.5 §5.7.8), set at manufacture.
///
/// The defaults describe veuicc as a card would: the UICC features its profiles may
/// use, the specification versions it follows, and a test accreditation label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Info2Config {
    /// `uiccCapability` bits set (SAIP `UICCCapability` bit numbers, see [`uicc_capability`]).
    pub uicc_capability: Vec<usize>,
    /// `ts102241Version`: the ETSI TS 102 241 (UICC API for Java Card) version, if any.
    pub ts102241_version: Option<Version>,
    /// `globalplatformVersion`: the GlobalPlatform Card Specification version, if any.
    pub globalplatform_version: Option<Version>,
    /// `ppVersion`: the Protection Profile (SGP.25) version.
    pub pp_version: Version,
    /// `sasAcreditationNumber` (at most 64 characters; longer is cut).
    pub sas_accreditation_number: String,
    /// `euiccCategory`: other(0), basicEuicc(1), mediumEuicc(2), contactlessEuicc(3); `None` omits it.
    pub euicc_category: Option<u8>,
    /// `forbiddenProfilePolicyRules` as a `PprIds` mask (bit 1 = PPR1, bit 2 = PPR2); `None` omits it.
    pub forbidden_ppr: Option<u8>,
    /// v3 `certificationDataObject` (#MandatoryFromV3.0.0#; a v2.5 card omits it): the
    /// GlobalPlatform DLOA Platform_Label and the discovery base URL of its DLOA registrar.
    pub certification: (String, String),
    /// v3 `treProperties` bits (#MandatoryFromV3.0.0#): isDiscrete(0), isIntegrated(1),
    /// usesRemoteMemory(2).
    pub tre_properties: Vec<usize>,
}

/// `UICCCapability` bit numbers (TCA SAIP PEDefinitions).
pub mod uicc_capability {
    /// `usimSupport(1)`.
    pub const USIM: usize = 1;
    /// `isimSupport(2)`.
    pub const ISIM: usize = 2;
    /// `csimSupport(3)`.
    pub const CSIM: usize = 3;
    /// `akaMilenage(4)`.
    pub const AKA_MILENAGE: usize = 4;
    /// `akaTuak128(6)`.
    pub const AKA_TUAK128: usize = 6;
    /// `akaTuak256(7)`.
    pub const AKA_TUAK256: usize = 7;
    /// `usimTestAlgorithm(8)`.
    pub const USIM_TEST_ALGORITHM: usize = 8;
    /// `multipleUsimSupport(16)`.
    pub const MULTIPLE_USIM: usize = 16;
    /// `multipleIsimSupport(17)`.
    pub const MULTIPLE_ISIM: usize = 17;
    /// `berTlvFileSupport(19)`.
    pub const BER_TLV_FILE: usize = 19;
    /// `dfLinkSupport(20)`.
    pub const DF_LINK: usize = 20;
    /// `getIdentity(22)`.
    pub const GET_IDENTITY: usize = 22;
}

impl Default for Info2Config {
    /// USIM and ISIM with Milenage, TUAK and the test algorithm, BER-TLV files and
    /// linked DFs (what the GSMA TS.48 test profiles use); ETSI TS 102 241 v15.1.0,
    /// GlobalPlatform 2.3.0, Protection Profile 1.0.0 (the values real consumer eUICCs
    /// report), accreditation `VEUICC-TEST`, category basicEuicc; for a v3 card a test DLOA
    /// label (`.invalid`: no registrar answers for it) and a discrete TRE (a card in a reader).
    fn default() -> Info2Config {
        use uicc_capability::*;
        Info2Config {
            uicc_capability: alloc::vec![
                USIM,
                ISIM,
                AKA_MILENAGE,
                AKA_TUAK128,
                AKA_TUAK256,
                USIM_TEST_ALGORITHM,
                MULTIPLE_USIM,
                MULTIPLE_ISIM,
                BER_TLV_FILE,
                DF_LINK,
            ],
            ts102241_version: Some(Version(15, 1, 0)),
            globalplatform_version: Some(Version(2, 3, 0)),
            pp_version: Version(1, 0, 0),
            sas_accreditation_number: String::from("VEUICC-TEST"),
            euicc_category: Some(1),
            forbidden_ppr: None,
            certification: (String::from("VEUICC-TEST-PLATFORM"), String::from("https://dloa.veuicc.invalid/")),
            tre_properties: alloc::vec![0],
        }
    }
}

/// One `ProfilePolicyAuthorisationRule` of the Rules Authorisation Table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RatRule {
    /// `pprIds` as a bit mask: bit n = `PprIds` bit n (1 = PPR1, 2 = PPR2; the same
    /// coding as `store::ProfileRecord::ppr`).
    pub ppr_ids: u8,
    /// `allowedOperators`: the profile owners this rule lets set the PPRs in `ppr_ids`.
    pub allowed_operators: Vec<OperatorMatch>,
    /// `pprFlags` bit `consentRequired(0)`: the LPA asks the end user before installing
    /// such a profile. The card only reports it; it never asks anyone.
    pub consent_required: bool,
}

/// `OperatorId` in a RAT rule: which profile owners it matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorMatch {
    /// `mccMnc` (3GPP TS 24.008 coding, 3 bytes). A nibble `E` matches any nibble of
    /// the owner's `mccMnc` (a digit, or the `F` filler of a two-digit MNC); every
    /// other nibble must be equal. `EEEEEE` matches every operator.
    pub mcc_mnc: [u8; 3],
    /// `gid1`: if present, the owner's `gid1` must be present and equal; if absent, any.
    pub gid1: Option<Vec<u8>>,
    /// `gid2`: as `gid1`.
    pub gid2: Option<Vec<u8>>,
}

/// `PprIds` bit of PPR1 (disabling not allowed).
const RAT_PPR1: u8 = 1 << 1;
/// `PprIds` bit of PPR2 (deletion not allowed).
const RAT_PPR2: u8 = 1 << 2;

impl OperatorMatch {
    /// Matches every operator: `mccMnc` `EEEEEE`, no GIDs.
    pub const ANY: [u8; 3] = [0xEE, 0xEE, 0xEE];

    /// True if a profile owner with these values is one of the operators this entry names.
    pub fn matches(&self, mcc_mnc: &[u8], gid1: Option<&[u8]>, gid2: Option<&[u8]>) -> bool {
        let nibbles_match = mcc_mnc.len() == 3
            && self.mcc_mnc.iter().zip(mcc_mnc).all(|(&rule, &owner)| {
                let hi = rule >> 4 == 0xE || rule >> 4 == owner >> 4;
                let lo = rule & 0x0F == 0xE || rule & 0x0F == owner & 0x0F;
                hi && lo
            });
        let gid_match = |rule: &Option<Vec<u8>>, owner: Option<&[u8]>| match rule {
            None => true,
            Some(r) => owner == Some(r.as_slice()),
        };
        nibbles_match && gid_match(&self.gid1, gid1) && gid_match(&self.gid2, gid2)
    }
}

impl RatRule {
    /// PPR1 and PPR2 allowed to every operator (`mccMnc` `EEEEEE`), no end-user consent:
    /// the default table of a test card, which refuses no profile for its PPRs.
    pub fn any_operator() -> RatRule {
        RatRule {
            ppr_ids: RAT_PPR1 | RAT_PPR2,
            allowed_operators: alloc::vec![OperatorMatch { mcc_mnc: OperatorMatch::ANY, gid1: None, gid2: None }],
            consent_required: false,
        }
    }
}

/// The SGP.22 version a card is (its personality, [`CardConfig::sgp22`]).
///
/// A `V2_5` card answers as SGP.22 v2.5 (`svn` 2.5.0; no v3 field in any answer). A v3 card
/// says it serves v2 servers too (`lowestSvn` 2.5.0: it runs v2.5 sessions unchanged) and up to
/// its own version (`highestSvn`), and its answers carry the `#SupportedFromV3.0.0#` fields.
/// Requests of any version decode on every card ([`crate::asn1::ext`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sgp22Version {
    /// SGP.22 v2.5.
    #[default]
    V2_5,
    /// SGP.22 v3.0.
    V3_0,
    /// SGP.22 v3.1.
    V3_1,
}

impl Sgp22Version {
    /// Every personality, oldest first.
    pub const ALL: [Sgp22Version; 3] = [Sgp22Version::V2_5, Sgp22Version::V3_0, Sgp22Version::V3_1];

    /// The version number (`x.y.0`).
    pub const fn svn(self) -> Version {
        match self {
            Sgp22Version::V2_5 => Version(2, 5, 0),
            Sgp22Version::V3_0 => Version(3, 0, 0),
            Sgp22Version::V3_1 => Version(3, 1, 0),
        }
    }

    /// `lowestSvn` (v2.5: `svn`): the oldest version whose sessions the card runs.
    pub const fn lowest_svn(self) -> Version {
        Sgp22Version::V2_5.svn()
    }

    /// Whether the `#SupportedFromV3.0.0#` fields are the card's.
    pub const fn is_v3(self) -> bool {
        !matches!(self, Sgp22Version::V2_5)
    }

    /// `2.5`, `3.0` or `3.1` (also `v3.0`, `3.0.0`).
    pub fn parse(s: &str) -> Option<Sgp22Version> {
        let s = s.strip_prefix('v').unwrap_or(s);
        let s = s.strip_suffix(".0").filter(|t| t.contains('.')).unwrap_or(s);
        match s {
            "2.5" => Some(Sgp22Version::V2_5),
            "3.0" => Some(Sgp22Version::V3_0),
            "3.1" => Some(Sgp22Version::V3_1),
            _ => None,
        }
    }
}

impl fmt::Display for Sgp22Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Version(major, minor, _) = self.svn();
        write!(f, "{major}.{minor}")
    }
}
/// The card's firmware version (`euiccFirmwareVer`): this crate's version.
pub const FIRMWARE_VERSION: Version = Version(0, 1, 0);

impl CardConfig {
    /// A configuration with the given EID and the defaults of a consumer eUICC.
    pub fn new(eid: Eid) -> CardConfig {
        CardConfig {
            eid,
            profile_capacity: 15,
            nvm_bytes: 1024 * 1024,
            ram_bytes: 16 * 1024,
            ci_pkids_verification: Vec::new(),
            ci_pkids_signing: Vec::new(),
            root_ds_address: String::from("lpa.ds.gsma.com"),
            default_dp_address: None,
            max_es10_command: 32 * 1024,
            isd_r_aid: ISD_R_AID,
            rat: alloc::vec![RatRule::any_operator()],
            info2: Info2Config::default(),
            sgp22: Sgp22Version::V2_5,
            mep: None,
            enterprise_profiles: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn known_eids() {
        // SGP.26 test eUICC and the example in SGP.29.
        let eid = Eid::parse("89049032123451234512345678901235").unwrap();
        assert_eq!(eid.as_bytes()[..4], [0x89, 0x04, 0x90, 0x32]);
        assert_eq!(eid.to_string(), "89049032123451234512345678901235");
        assert_eq!(Eid::from_bytes(*eid.as_bytes()), Ok(eid));
    }

    #[test]
    fn bad_eids() {
        assert_eq!(Eid::parse("8904903212345123451234567890123"), Err(EidError::Length(31)));
        assert_eq!(Eid::parse("8904903212345123451234567890123A"), Err(EidError::NotDecimal));
        assert_eq!(Eid::parse("89049032123451234512345678901234"), Err(EidError::CheckDigits));
        assert_eq!(Eid::from_bytes([0xFF; 16]), Err(EidError::NotDecimal));
    }

    #[test]
    fn operator_matching() {
        let any = OperatorMatch { mcc_mnc: OperatorMatch::ANY, gid1: None, gid2: None };
        // MCC 001, MNC 01 (two digits: F filler) and MCC 262, MNC 011.
        assert!(any.matches(&[0x00, 0xF1, 0x10], None, None));
        assert!(any.matches(&[0x62, 0x02, 0x11], Some(&[0xAB]), None));
        assert!(!any.matches(&[0x00, 0xF1], None, None), "mccMnc is 3 bytes");
        // MCC 262, any MNC; GID1 AB required.
        let mcc = OperatorMatch { mcc_mnc: [0x62, 0xE2, 0xEE], gid1: Some(alloc::vec![0xAB]), gid2: None };
        assert!(mcc.matches(&[0x62, 0x02, 0x11], Some(&[0xAB]), Some(&[0x01])));
        assert!(mcc.matches(&[0x62, 0xF2, 0x10], Some(&[0xAB]), None));
        assert!(!mcc.matches(&[0x62, 0x02, 0x11], None, None), "GID1 missing");
        assert!(!mcc.matches(&[0x62, 0x02, 0x11], Some(&[0xAC]), None), "GID1 differs");
        assert!(!mcc.matches(&[0x63, 0x02, 0x11], Some(&[0xAB]), None), "MCC differs");
    }

    #[test]
    fn check_digits() {
        let eid = Eid::with_check_digits("890490321234512345123456789012").unwrap();
        assert_eq!(eid.to_string(), "89049032123451234512345678901235");
        for n in 0..200u32 {
            let first30 = alloc::format!("8999900100001000000000000{n:05}");
            assert!(Eid::with_check_digits(&first30).is_ok());
        }
    }
}
