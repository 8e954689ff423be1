//! Typed persistent records, DER-encoded (our own private ASN.1 module).
//!
//! Persisted types are a compatibility boundary: change them only with a new
//! [`super::FORMAT_VERSION`] and a migration. One change is compatible and needs
//! neither: an `Option` field added at the end of a record (automatic tags give it
//! the next context number), because a record written before it still decodes, with
//! the field `None`. Old code cannot read such a newer record; a card's state is
//! only ever opened by the same or newer code.
//!
//! | record name | content |
//! |---|---|
//! | `config` | [`ConfigRecord`]: default SM-DP+ address, last notification sequence number, the card's EID |
//! | `p.<nn>` | one [`ProfileRecord`] per installed profile (`nn` = byte 15 of its ISD-P AID) |
//! | `u.<nn>` | the profile's package (UPP), exactly as delivered (not part of [`CardState`]) |
//! | `n.<seq>` | one pending [`NotificationRecord`] (`seq` = 16 hex digits) |
//! | `install` | [`InstallRecord`]: a BPP load is under way (present from InitialiseSecureChannel to the PIR) |
//! | `<prefix>.<key>` | a record of a kind a feature adds ([`RecordKind`]), e.g. `port.<n>` ([`PortRecord`]) |
//!
//! **Adding a record kind** (mirror links, USIM file contents and SQN arrays, …) needs no
//! edit here: implement [`RecordKind`] (a name prefix and a DER type) next to the feature,
//! read with [`CardState::get`], change with [`Edit::put`] / [`Edit::remove`]. Such records
//! are loaded, diffed, committed and torn like the core kinds; this code keeps a record of a
//! kind it does not know byte for byte. Only invariants about them need `store::invariants`.

use super::{Error, Store, Txn};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use rasn::prelude::*;

/// Profile state (SGP.22 v2.5 `ProfileState`, tag `9F70`).
#[derive(AsnType, Encode, Decode, Debug, Clone, Copy, PartialEq, Eq)]
#[rasn(enumerated)]
pub enum ProfileState {
    /// `disabled(0)`
    Disabled = 0,
    /// `enabled(1)`
    Enabled = 1,
}

/// Profile class (SGP.22 v2.5 `ProfileClass`, tag `95`).
#[derive(AsnType, Encode, Decode, Debug, Clone, Copy, PartialEq, Eq)]
#[rasn(enumerated)]
pub enum ProfileClass {
    /// `test(0)`
    Test = 0,
    /// `provisioning(1)`
    Provisioning = 1,
    /// `operational(2)`
    Operational = 2,
}

/// Card-wide configuration that ES10 commands change.
#[derive(AsnType, Encode, Decode, Debug, Clone, Default, PartialEq, Eq)]
#[rasn(automatic_tags)]
pub struct ConfigRecord {
    /// Default SM-DP+ address (ES10a.SetDefaultDpAddress); `None` = none set.
    pub default_dp_address: Option<Utf8String>,
    /// The last notification sequence number handed out (card-wide, never reused,
    /// kept across eUICCMemoryReset).
    pub last_seq_number: u64,
    /// The EID of the card this state belongs to (written with the first commit): a card
    /// with another identity refuses to start on it.
    pub eid: Option<OctetString>,
    /// The ISD-P AID of the Operational or Provisioning profile that was enabled when
    /// a Test profile was enabled over it (SGP.21 TPRO8): disabling the Test profile
    /// re-enables it (TPRO10), and while the Test profile is enabled no other
    /// non-test profile may be enabled. `None` when no Test profile is enabled or
    /// none replaced another profile. Added after format version 1 shipped (compatible: see above).
    pub test_fallback: Option<OctetString>,
}

/// A profile-management event (SGP.22 `NotificationEvent` bit numbers).
#[derive(AsnType, Encode, Decode, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[rasn(enumerated)]
pub enum NotificationEvent {
    /// `notificationInstall(0)`
    Install = 0,
    /// `notificationEnable(1)`
    Enable = 1,
    /// `notificationDisable(2)`
    Disable = 2,
    /// `notificationDelete(3)`
    Delete = 3,
    /// v3 `notificationRpmEnable(4)`: a profile enabled by an RPM package.
    RpmEnable = 4,
    /// v3 `notificationRpmDisable(5)`: a profile disabled by an RPM package.
    RpmDisable = 5,
    /// v3 `notificationRpmDelete(6)`: a profile deleted by an RPM package.
    RpmDelete = 6,
    /// v3 `loadRpmPackageResult(7)`: the signed result of an RPM package (kept as signed).
    LoadRpmPackageResult = 7,
    /// veuicc `mirrorIssued(24)`: a mirror token was issued for the profile (primary).
    /// Bits 24 … 29 are veuicc's mirror events (`Mirror.asn`, `MirrorNotificationEvent`), far
    /// above the named bits of SGP.22 so that a later SGP.22 bit cannot collide; an LPA that
    /// knows only the standard bits lists them as an unknown operation and sends them on.
    MirrorIssued = 24,
    /// veuicc `mirrorConfirmed(25)`: a mirror link became active (primary).
    MirrorConfirmed = 25,
    /// veuicc `mirrorRevoked(26)`: a token or link was revoked (primary).
    MirrorRevoked = 26,
    /// veuicc `mirrorRenewed(27)`: a link was renewed (primary), or its renewal applied (secondary).
    MirrorRenewed = 27,
    /// veuicc `mirrorSuspended(28)`: a link was suspended (primary), or its suspension applied (secondary).
    MirrorSuspended = 28,
    /// veuicc `mirrorResumed(29)`: a link was resumed (primary), or its resumption applied (secondary).
    MirrorResumed = 29,
}

impl NotificationEvent {
    /// Every event, by bit number.
    pub const ALL: [NotificationEvent; 14] = [
        NotificationEvent::Install,
        NotificationEvent::Enable,
        NotificationEvent::Disable,
        NotificationEvent::Delete,
        NotificationEvent::RpmEnable,
        NotificationEvent::RpmDisable,
        NotificationEvent::RpmDelete,
        NotificationEvent::LoadRpmPackageResult,
        NotificationEvent::MirrorIssued,
        NotificationEvent::MirrorConfirmed,
        NotificationEvent::MirrorRevoked,
        NotificationEvent::MirrorRenewed,
        NotificationEvent::MirrorSuspended,
        NotificationEvent::MirrorResumed,
    ];

    /// The bit number in `NotificationEvent`.
    pub fn bit(self) -> usize {
        self as usize
    }

    /// The event of bit `bit`, if it names one.
    pub fn from_bit(bit: usize) -> Option<NotificationEvent> {
        NotificationEvent::ALL.into_iter().find(|e| e.bit() == bit)
    }

    /// The name of the bit in SGP.22 v3 `NotificationEvent` (v2.5 names bits 1 … 3
    /// notificationEnable / Disable / Delete), or in veuicc's `MirrorNotificationEvent`.
    pub fn name(self) -> &'static str {
        match self {
            NotificationEvent::Install => "notificationInstall",
            NotificationEvent::Enable => "notificationLocalEnable",
            NotificationEvent::Disable => "notificationLocalDisable",
            NotificationEvent::Delete => "notificationLocalDelete",
            NotificationEvent::RpmEnable => "notificationRpmEnable",
            NotificationEvent::RpmDisable => "notificationRpmDisable",
            NotificationEvent::RpmDelete => "notificationRpmDelete",
            NotificationEvent::LoadRpmPackageResult => "loadRpmPackageResult",
            NotificationEvent::MirrorIssued => "mirrorIssued",
            NotificationEvent::MirrorConfirmed => "mirrorConfirmed",
            NotificationEvent::MirrorRevoked => "mirrorRevoked",
            NotificationEvent::MirrorRenewed => "mirrorRenewed",
            NotificationEvent::MirrorSuspended => "mirrorSuspended",
            NotificationEvent::MirrorResumed => "mirrorResumed",
        }
    }
}

/// Where a profile wants its notifications for some events (`NotificationConfigurationInformation`).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
pub struct NotificationConfig {
    /// Bit mask of [`NotificationEvent`] bits (bit n = event n).
    pub events: u8,
    /// The notification address (FQDN).
    pub address: Utf8String,
}

/// The profile owner (`OperatorId`).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
pub struct Owner {
    /// MCC and MNC, 3 bytes (3GPP TS 24.008).
    pub mcc_mnc: OctetString,
    /// EF.GID1 content.
    pub gid1: Option<OctetString>,
    /// EF.GID2 content.
    pub gid2: Option<OctetString>,
}

/// A pending notification, kept until the LPA removes it (ES10b.RemoveNotificationFromList).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
pub struct NotificationRecord {
    /// `seqNumber`.
    pub seq: u64,
    /// The event.
    pub event: NotificationEvent,
    /// `notificationAddress`.
    pub address: Utf8String,
    /// The profile's ICCID.
    pub iccid: Option<OctetString>,
    /// For an install: the signed ProfileInstallationResult (`BF37 …`) as sent; for an RPM
    /// package: its `PendingNotification` `loadRpmPackageResultSigned [1]` (`A1 …`) as sent.
    pub pir: Option<OctetString>,
}

/// One installed profile as the ISD-R knows it.
///
/// Several profiles may be enabled at once on an SGP.22 v3 card (one per eSIM
/// port): the state lives on each profile, never as "the enabled profile".
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
pub struct ProfileRecord {
    /// ICCID as coded in EF.ICCID (10 bytes, nibble-swapped BCD).
    pub iccid: OctetString,
    /// AID of the profile's ISD-P.
    pub isdp_aid: OctetString,
    /// Enabled or disabled.
    pub state: ProfileState,
    /// End-user nickname.
    pub nickname: Option<Utf8String>,
    /// Service provider name.
    pub service_provider_name: Utf8String,
    /// Profile name.
    pub profile_name: Utf8String,
    /// Icon type (`jpg(0)`, `png(1)`) and icon bytes.
    pub icon: Option<Icon>,
    /// Profile class.
    pub class: ProfileClass,
    /// Profile policy rules as the raw `PprIds` bit string bits (bit 1 = PPR1, bit 2 = PPR2).
    pub ppr: u8,
    /// Notification configuration from the metadata.
    pub notification_config: Vec<NotificationConfig>,
    /// Profile owner from the metadata.
    pub owner: Option<Owner>,
    /// `dpProprietaryData` (the DER of the `DpProprietaryData` SEQUENCE: the SM-DP+'s
    /// OID and whatever the SM-DP+ added), returned by GetProfilesInfo under `B8`.
    /// Added after format version 1 shipped (compatible: see the module docs).
    pub dp_proprietary_data: Option<OctetString>,
    /// The eSIM port the profile is enabled on, while it is enabled: `None` is port 0, so a
    /// single-port card writes its records exactly as format version 1 did (and every
    /// version 1 record means port 0). Read it with [`ProfileRecord::enabled_on`].
    /// Added after format version 1 shipped (compatible: see the module docs).
    pub port: Option<u8>,
    /// SGP.22 v3 `hriServerAddress` from the metadata (kept on a v3 card only). Added after
    /// format version 1 shipped, as are the two fields below (compatible: see the module docs).
    pub hri_server_address: Option<Utf8String>,
    /// SGP.22 v3 `enterpriseConfiguration` from the metadata: the profile is an Enterprise
    /// Profile (a v3 card only).
    pub enterprise: Option<Enterprise>,
    /// SGP.22 v3 `serviceDescription` from the metadata (`ServiceDescription` bits: voice(0),
    /// data(1)), as received (a v3 card only).
    pub service_description: Option<BitString>,
    /// `serviceSpecificDataStoredInEuicc` from the metadata: the DER of its
    /// `VendorSpecificExtension` (a SEQUENCE OF, every vendor's entries as received; a mirror
    /// policy among them is read with `mirror::policy_of`), returned by GetProfilesInfo under
    /// `BF22`. Added after format version 1 shipped (compatible: see the module docs).
    pub service_specific_data: Option<OctetString>,
    /// SGP.22 v3 `rpmConfiguration` from the metadata (the DER of the `RpmConfiguration`
    /// SEQUENCE): who may manage the profile by RPM (a v3 card only). Added after format
    /// version 1 shipped (compatible: see the module docs).
    pub rpm_configuration: Option<OctetString>,
    /// SGP.22 v3 `deviceChangeConfiguration` from the metadata (the DER of the
    /// `DeviceChangeConfiguration` CHOICE, the `BF20` value): the profile may move to another
    /// device (a v3 card only). Added after format version 1 shipped (compatible: see the
    /// module docs).
    pub device_change_configuration: Option<OctetString>,
}

/// An Enterprise Profile's `EnterpriseConfiguration` (SGP.22 v3).
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
pub struct Enterprise {
    /// `enterpriseOid`.
    pub oid: ObjectIdentifier,
    /// `enterpriseName` (at most 64 characters).
    pub name: Utf8String,
    /// `enterpriseRules`, if the profile has any.
    pub rules: Option<EnterpriseRules>,
}

/// `enterpriseRules` of an [`Enterprise`] profile.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
pub struct EnterpriseRules {
    /// `enterpriseRuleBits` as received: referenceEnterpriseRule(0), priorityEnterpriseProfile(1),
    /// onlyEnterpriseProfilesCanBeInstalled(2).
    pub bits: BitString,
    /// `numberOfNonEnterpriseProfiles` (that can be enabled), as received.
    pub non_enterprise_profiles: Integer,
}

impl EnterpriseRules {
    /// Whether `enterpriseRuleBits` has bit `n` set.
    pub fn has(&self, n: usize) -> bool {
        self.bits.get(n).is_some_and(|b| *b)
    }
}

/// An eSIM port: a profile is enabled on one (SGP.22 v3 multiple enabled profiles); an
/// SGP.22 v2.5 card has port 0 only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Port(pub u8);

impl Port {
    /// Port 0: the only port of an SGP.22 v2.5 card.
    pub const FIRST: Port = Port(0);
}

/// eSIM ports a card's state may name: ETSI TS 102 221's logical SE interfaces `00`–`1F`
/// (a v2.5 card uses port 0 only; a MEP card the ports its configuration gives).
pub const MAX_PORTS: u8 = 32;

/// `PprIds` bit of PPR1: disabling this profile is not allowed.
pub const PPR1: u8 = 1 << 1;
/// `PprIds` bit of PPR2: deleting this profile is not allowed.
pub const PPR2: u8 = 1 << 2;

impl ProfileRecord {
    /// The record slot `nn` (byte 15 of the ISD-P AID).
    pub fn slot(&self) -> u8 {
        self.isdp_aid.get(14).copied().unwrap_or(0)
    }

    /// Name of this profile's record.
    pub fn record_name(&self) -> String {
        format!("p.{:02x}", self.slot())
    }

    /// Name of this profile's package record.
    pub fn package_name(&self) -> String {
        format!("u.{:02x}", self.slot())
    }

    /// The port this profile is enabled on; `None` while it is disabled.
    pub fn enabled_on(&self) -> Option<Port> {
        (self.state == ProfileState::Enabled).then_some(Port(self.port.unwrap_or(0)))
    }

    /// Enables the profile on `port`.
    pub(crate) fn enable_on(&mut self, port: Port) {
        self.state = ProfileState::Enabled;
        self.port = (port != Port::FIRST).then_some(port.0);
    }

    /// Disables the profile (it is on no port).
    pub fn disable(&mut self) {
        self.state = ProfileState::Disabled;
        self.port = None;
    }

    /// The rules of this profile if it holds the *reference enterprise rule*
    /// (`referenceEnterpriseRule(0)`: its rules govern the whole eUICC, SGP.22 v3).
    pub(crate) fn reference_enterprise_rules(&self) -> Option<&EnterpriseRules> {
        self.enterprise.as_ref().and_then(|e| e.rules.as_ref()).filter(|r| r.has(0))
    }

    /// The notification address for `event`, if the profile asked for that event (the SGP.22
    /// events, bits 0 … 7; a mirror event is never in `NotificationConfig::events`).
    pub fn notification_address(&self, event: NotificationEvent) -> Option<&str> {
        let mask = 1u32.checked_shl(u32::try_from(event.bit()).unwrap_or(u32::MAX)).unwrap_or(0);
        self.notification_config.iter().find(|c| u32::from(c.events) & mask != 0).map(|c| c.address.as_str())
    }

    /// Where this profile's mirror events go: the operator's address for notificationInstall,
    /// else its first notification address; `None` (no mirror notifications) when its metadata
    /// asked for none.
    pub fn mirror_notification_address(&self) -> Option<&str> {
        self.notification_address(NotificationEvent::Install)
            .or_else(|| self.notification_config.first().map(|c| c.address.as_str()))
    }
}

/// A profile icon.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
pub struct Icon {
    /// `jpg(0)`, `png(1)`.
    pub icon_type: Integer,
    /// The image.
    pub data: OctetString,
}

/// The whole logical state of a card, as loaded from a [`Store`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardState {
    /// Card-wide configuration.
    pub config: ConfigRecord,
    /// Installed profiles, in ISD-P order.
    pub profiles: Vec<ProfileRecord>,
    /// Pending notifications, by increasing sequence number.
    pub notifications: Vec<NotificationRecord>,
    /// A profile load that started and has not ended: if the card finds one when no load is
    /// running, the load was interrupted (SGP.22 v2.5 §3.1.3: installFailedDueToInterruption).
    pub install: Option<InstallRecord>,
    /// Records of the kinds features add ([`RecordKind`]), DER by record name: read them with
    /// [`CardState::get`], change them with [`Edit::put`] and [`Edit::remove`].
    pub kinds: BTreeMap<String, Vec<u8>>,
}

/// The session facts a card needs to sign the PIR of a load it could not finish.
#[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
#[rasn(automatic_tags)]
pub struct InstallRecord {
    /// The session's transactionId.
    pub transaction_id: OctetString,
    /// The SM-DP+ address (the PIR's notificationAddress).
    pub server_address: Utf8String,
    /// The SM-DP+ OID from CERT.DPpb (the PIR's smdpOid), content bytes.
    pub smdp_oid: OctetString,
}

/// A kind of record that a feature adds to the card's state: records named
/// `<PREFIX>.<key>`, holding a DER-encoded [`RecordKind::Value`].
///
/// The prefix is the kind's identity on storage: unique among kinds, not one of the core
/// prefixes (`config`, `p`, `u`, `n`, `install`), lower-case letters and digits. `Value`
/// follows the compatibility rules of the module docs.
pub trait RecordKind {
    /// The record-name prefix.
    const PREFIX: &'static str;
    /// The record's content.
    type Value: Encode + Decode;

    /// The record name for `key` (letters, digits, `-` and `_`: a storage key).
    fn name(key: &str) -> String {
        format!("{}.{key}", Self::PREFIX)
    }
}

/// State of one eSIM port other than port 0 (port 0's lives in [`ConfigRecord`], where
/// format version 1 put it). No port other than 0 exists on an SGP.22 v2.5 card, so no
/// such record is written yet; an SGP.22 v3 card writes them without a change of shape.
#[derive(AsnType, Encode, Decode, Debug, Clone, Default, PartialEq, Eq)]
#[rasn(automatic_tags)]
pub struct PortRecord {
    /// As [`ConfigRecord::test_fallback`], for this port.
    pub test_fallback: Option<OctetString>,
}

/// Per-port state: `port.<n>` ([`PortRecord`]).
#[derive(Debug, Clone, Copy)]
pub struct PortKind;

impl RecordKind for PortKind {
    const PREFIX: &'static str = "port";
    type Value = PortRecord;
}

/// Record name of the configuration.
pub(crate) const CONFIG: &str = "config";
/// Pending notifications kept at most (see [`CardState::push_notification`]).
pub const MAX_NOTIFICATIONS: usize = 64;
/// Record name of the load in progress.
pub(crate) const INSTALL: &str = "install";

/// True for `<prefix>.<key>` names that are not a core kind's: records of a [`RecordKind`].
fn is_kind_name(name: &str) -> bool {
    match name.split_once('.') {
        Some((prefix, key)) => {
            !matches!(prefix, "p" | "u" | "n" | CONFIG | INSTALL)
                && !prefix.is_empty()
                && !key.is_empty()
                && prefix.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        }
        None => false,
    }
}

fn encode<T: Encode, E>(value: &T, what: &'static str) -> Result<Vec<u8>, Error<E>> {
    rasn::der::encode(value).map_err(|_| Error::LogicBug(what))
}

/// The key of profile slot `slot`'s records of every [`RecordKind`] (`p10` → `sim.p10`,
/// `mirror.p10`, …): removed with the profile (`Edit::remove_profile`), and a record keyed so
/// must belong to a profile (`check_invariants`).
pub fn slot_key(slot: u8) -> String {
    format!("p{slot:02x}")
}

fn notification_name(seq: u64) -> String {
    format!("n.{seq:016x}")
}

impl CardState {
    /// Decodes every record of `store`.
    pub fn load<E>(store: &Store) -> Result<CardState, Error<E>> {
        let mut state = CardState::default();
        for name in store.names() {
            let bytes = store.get(name).unwrap_or_default();
            let bad = || Error::BadRecord { name: String::from(name) };
            if name == CONFIG {
                state.config = rasn::der::decode(bytes).map_err(|_| bad())?;
            } else if name.starts_with("p.") {
                state.profiles.push(rasn::der::decode(bytes).map_err(|_| bad())?);
            } else if name.starts_with("n.") {
                state.notifications.push(rasn::der::decode(bytes).map_err(|_| bad())?);
            } else if name == INSTALL {
                state.install = Some(rasn::der::decode(bytes).map_err(|_| bad())?);
            } else if name.starts_with("u.") {
                // Profile packages are read on demand, not held in the logical state.
            } else if is_kind_name(name) {
                // Decoded by the feature that owns the kind, when it reads it.
                state.kinds.insert(String::from(name), bytes.to_vec());
            } else {
                return Err(Error::BadRecord { name: String::from(name) });
            }
        }
        Ok(state)
    }

    /// The record `key` of kind `K`: `None` if there is none, `Err` if it does not decode.
    pub fn get<K: RecordKind, E>(&self, key: &str) -> Result<Option<K::Value>, Error<E>> {
        let name = K::name(key);
        match self.kinds.get(&name) {
            None => Ok(None),
            Some(bytes) => rasn::der::decode(bytes).map(Some).map_err(|_| Error::BadRecord { name }),
        }
    }

    /// Every record this state consists of, by name.
    pub fn records<E>(&self) -> Result<BTreeMap<String, Vec<u8>>, Error<E>> {
        let mut out = BTreeMap::new();
        out.insert(String::from(CONFIG), encode(&self.config, "encode config")?);
        for p in &self.profiles {
            out.insert(p.record_name(), encode(p, "encode profile")?);
        }
        for n in &self.notifications {
            out.insert(notification_name(n.seq), encode(n, "encode notification")?);
        }
        if let Some(i) = &self.install {
            out.insert(String::from(INSTALL), encode(i, "encode install")?);
        }
        for (name, bytes) in &self.kinds {
            out.insert(name.clone(), bytes.clone());
        }
        Ok(out)
    }

    /// The changes that turn `self` into `new`, added to `txn`. Records are compared as
    /// values; only the changed ones are encoded.
    pub fn diff_into<E>(&self, new: &CardState, txn: &mut Txn) -> Result<(), Error<E>> {
        if self.config != new.config {
            txn.put(CONFIG, encode(&new.config, "encode config")?);
        }
        let old: BTreeMap<String, &ProfileRecord> = self.profiles.iter().map(|p| (p.record_name(), p)).collect();
        let mut kept = BTreeSet::new();
        for p in &new.profiles {
            let name = p.record_name();
            if old.get(&name) != Some(&p) {
                txn.put(&name, encode(p, "encode profile")?);
            }
            kept.insert(name);
        }
        for name in old.keys().filter(|n| !kept.contains(*n)) {
            txn.remove(name);
        }
        let old: BTreeMap<u64, &NotificationRecord> = self.notifications.iter().map(|n| (n.seq, n)).collect();
        let mut kept = BTreeSet::new();
        for n in &new.notifications {
            if old.get(&n.seq) != Some(&n) {
                txn.put(&notification_name(n.seq), encode(n, "encode notification")?);
            }
            kept.insert(n.seq);
        }
        for seq in old.keys().filter(|s| !kept.contains(*s)) {
            txn.remove(&notification_name(*seq));
        }
        match (&self.install, &new.install) {
            (old, Some(i)) if old.as_ref() != Some(i) => {
                txn.put(INSTALL, encode(i, "encode install")?);
            }
            (Some(_), None) => {
                txn.remove(INSTALL);
            }
            _ => {}
        }
        for (name, bytes) in &new.kinds {
            if self.kinds.get(name) != Some(bytes) {
                txn.put(name, bytes.clone());
            }
        }
        for name in self.kinds.keys().filter(|n| !new.kinds.contains_key(*n)) {
            txn.remove(name);
        }
        Ok(())
    }

    /// Appends a pending notification; with more than [`MAX_NOTIFICATIONS`] pending, the
    /// oldest is dropped (the card goes through [`Edit`]; the unit tests build states so).
    #[cfg(test)]
    fn push_notification(&mut self, n: NotificationRecord) {
        self.notifications.push(n);
        let excess = self.notifications.len().saturating_sub(MAX_NOTIFICATIONS);
        self.notifications.drain(..excess);
    }

    /// Hands out the next notification sequence number (the unit tests' counterpart of
    /// [`Edit`]'s).
    #[cfg(test)]
    fn next_seq(&mut self) -> u64 {
        self.config.last_seq_number = self.config.last_seq_number.saturating_add(1);
        self.config.last_seq_number
    }

    /// Adds the record for the configuration to `txn`.
    pub(crate) fn put_config<E>(txn: &mut Txn, config: &ConfigRecord) -> Result<(), Error<E>> {
        txn.put(CONFIG, encode(config, "encode config")?);
        Ok(())
    }

    /// The Operational or Provisioning profile (its ISD-P AID) that disabling the Test
    /// profile enabled on `port` re-enables (SGP.21 TPRO10; see `ConfigRecord::test_fallback`).
    /// A `port.<n>` record that does not decode reads as none (`check_invariants` names it).
    pub fn test_fallback(&self, port: Port) -> Option<OctetString> {
        if port == Port::FIRST {
            return self.config.test_fallback.clone();
        }
        self.get::<PortKind, ()>(&port_key(port)).ok().flatten().and_then(|r| r.test_fallback)
    }

    /// The ports that remember a Test-profile fall-back ([`CardState::test_fallback`]), in
    /// order: read from the records there are, not by asking every port a card may have.
    pub(crate) fn fallback_ports(&self) -> Vec<Port> {
        let prefix = format!("{}.", PortKind::PREFIX);
        let others = self.kinds.keys().filter_map(|name| name.strip_prefix(&prefix)?.parse::<u8>().ok()).map(Port);
        let ports = self.config.test_fallback.is_some().then_some(Port::FIRST).into_iter().chain(others);
        ports.filter(|&port| self.test_fallback(port).is_some()).collect()
    }
}

fn port_key(port: Port) -> String {
    format!("{}", port.0)
}

/// What an [`Edit`] undoes, newest last.
#[derive(Debug)]
enum Undo {
    Config(ConfigRecord),
    Profile(usize, ProfileRecord),
    ProfileAdded,
    ProfileRemoved(usize, ProfileRecord),
    NotificationPushed,
    NotificationRemoved(usize, NotificationRecord),
    Install(Option<InstallRecord>),
    Kind(String, Option<Vec<u8>>),
}

/// Changes made in place to a [`CardState`], undone when the edit is dropped unless
/// [`Edit::keep`] was called (after the commit succeeded). Only what a change touches is
/// copied (for the undo) and encoded (for the transaction): a command never clones the
/// whole state nor encodes the records it leaves alone.
#[derive(Debug)]
pub struct Edit<'a> {
    state: &'a mut CardState,
    undo: Vec<Undo>,
    touched: BTreeSet<String>,
    /// Changes to records outside the logical state (profile packages).
    extra: Txn,
}

impl<'a> Edit<'a> {
    /// Starts changing `state`.
    pub fn new(state: &'a mut CardState) -> Edit<'a> {
        Edit { state, undo: Vec::new(), touched: BTreeSet::new(), extra: Txn::new() }
    }

    /// The state with the changes so far.
    pub fn state(&self) -> &CardState {
        self.state
    }

    fn config_mut(&mut self) -> &mut ConfigRecord {
        if !self.touched.contains(CONFIG) {
            self.undo.push(Undo::Config(self.state.config.clone()));
            self.touched.insert(String::from(CONFIG));
        }
        &mut self.state.config
    }

    /// Hands out the next notification sequence number.
    pub(crate) fn next_seq(&mut self) -> u64 {
        let config = self.config_mut();
        config.last_seq_number = config.last_seq_number.saturating_add(1);
        config.last_seq_number
    }

    /// Sets the default SM-DP+ address.
    pub fn set_default_dp_address(&mut self, address: Option<Utf8String>) {
        if self.state.config.default_dp_address != address {
            self.config_mut().default_dp_address = address;
        }
    }

    /// Sets the Test-profile fall-back of `port` (see [`CardState::test_fallback`]).
    pub(crate) fn set_test_fallback(&mut self, port: Port, aid: Option<OctetString>) -> Result<(), Error<()>> {
        if self.state.test_fallback(port) == aid {
            return Ok(());
        }
        if port == Port::FIRST {
            self.config_mut().test_fallback = aid;
            return Ok(());
        }
        let key = port_key(port);
        match aid {
            Some(aid) => self.put::<PortKind>(&key, &PortRecord { test_fallback: Some(aid) }),
            None => {
                self.remove::<PortKind>(&key);
                Ok(())
            }
        }
    }

    /// Profile `index`, to change.
    pub(crate) fn profile_mut(&mut self, index: usize) -> Option<&mut ProfileRecord> {
        let p = self.state.profiles.get(index)?;
        self.touched.insert(p.record_name());
        self.undo.push(Undo::Profile(index, p.clone()));
        self.state.profiles.get_mut(index)
    }

    /// Adds an installed profile with its package (the install commit).
    pub(crate) fn add_profile(&mut self, record: ProfileRecord, package: Vec<u8>) {
        self.touched.insert(record.record_name());
        self.extra.put(&record.package_name(), package);
        self.state.profiles.push(record);
        self.undo.push(Undo::ProfileAdded);
    }

    /// The sequence number [`Edit::next_seq`] will hand out (for a signature made before
    /// the edit starts).
    pub(crate) fn peek_seq(state: &CardState) -> u64 {
        state.config.last_seq_number.saturating_add(1)
    }

    /// Removes profile `index`, its package, and every record a feature keeps for it
    /// (a [`RecordKind`] record keyed `p<slot>`, slot in two lowercase hex digits).
    pub(crate) fn remove_profile(&mut self, index: usize) -> bool {
        if index >= self.state.profiles.len() {
            return false;
        }
        let p = self.state.profiles.remove(index);
        self.touched.insert(p.record_name());
        self.extra.remove(&p.package_name());
        // Records features keep per profile (`<kind>.p<slot>`, e.g. the SIM's) go with it.
        let suffix = format!(".p{:02x}", p.slot());
        let owned: Vec<String> = self.state.kinds.keys().filter(|n| n.ends_with(&suffix)).cloned().collect();
        for name in owned {
            let old = self.state.kinds.remove(&name);
            self.touched.insert(name.clone());
            self.undo.push(Undo::Kind(name, old));
        }
        self.undo.push(Undo::ProfileRemoved(index, p));
        true
    }

    /// Appends a pending notification (see [`CardState::push_notification`]).
    pub(crate) fn push_notification(&mut self, n: NotificationRecord) {
        self.touched.insert(notification_name(n.seq));
        self.state.notifications.push(n);
        self.undo.push(Undo::NotificationPushed);
        while self.state.notifications.len() > MAX_NOTIFICATIONS {
            let old = self.state.notifications.remove(0);
            self.touched.insert(notification_name(old.seq));
            self.undo.push(Undo::NotificationRemoved(0, old));
        }
    }

    /// Removes pending notification `seq`; false if there is none.
    pub fn remove_notification(&mut self, seq: u64) -> bool {
        let Some(i) = self.state.notifications.iter().position(|n| n.seq == seq) else { return false };
        let old = self.state.notifications.remove(i);
        self.touched.insert(notification_name(seq));
        self.undo.push(Undo::NotificationRemoved(i, old));
        true
    }

    /// Sets or clears the record of the load in progress.
    pub(crate) fn set_install(&mut self, install: Option<InstallRecord>) {
        self.touched.insert(String::from(INSTALL));
        let old = core::mem::replace(&mut self.state.install, install);
        self.undo.push(Undo::Install(old));
    }

    /// Sets record `key` of kind `K`.
    pub fn put<K: RecordKind>(&mut self, key: &str, value: &K::Value) -> Result<(), Error<()>> {
        let bytes = encode(value, "encode record")?;
        let name = K::name(key);
        let old = self.state.kinds.insert(name.clone(), bytes);
        self.touched.insert(name.clone());
        self.undo.push(Undo::Kind(name, old));
        Ok(())
    }

    /// Removes record `key` of kind `K`.
    pub fn remove<K: RecordKind>(&mut self, key: &str) {
        let name = K::name(key);
        let old = self.state.kinds.remove(&name);
        self.touched.insert(name.clone());
        self.undo.push(Undo::Kind(name, old));
    }

    /// The transaction that commits the edit on `store`: every touched record whose value
    /// differs from the committed one, plus the package changes. Empty when nothing changed.
    pub fn txn<E>(&mut self, store: &Store) -> Result<Txn, Error<E>> {
        let mut txn = core::mem::take(&mut self.extra);
        for name in &self.touched {
            let now = self.encoded(name)?;
            if now.as_deref() != store.get(name) {
                match now {
                    Some(bytes) => txn.put(name, bytes),
                    None => txn.remove(name),
                };
            }
        }
        Ok(txn)
    }

    /// The current bytes of record `name` (`None`: absent).
    fn encoded<E>(&self, name: &str) -> Result<Option<Vec<u8>>, Error<E>> {
        let s = &*self.state;
        if name == CONFIG {
            return encode(&s.config, "encode config").map(Some);
        }
        if name == INSTALL {
            return s.install.as_ref().map(|i| encode(i, "encode install")).transpose();
        }
        if name.starts_with("p.") {
            return s
                .profiles
                .iter()
                .find(|p| p.record_name() == name)
                .map(|p| encode(p, "encode profile"))
                .transpose();
        }
        if name.starts_with("n.") {
            let n = s.notifications.iter().find(|n| notification_name(n.seq) == name);
            return n.map(|n| encode(n, "encode notification")).transpose();
        }
        Ok(s.kinds.get(name).cloned())
    }

    /// The commit succeeded: the changes stay.
    pub fn keep(mut self) {
        self.undo.clear();
    }
}

impl Drop for Edit<'_> {
    fn drop(&mut self) {
        let s = &mut *self.state;
        while let Some(undo) = self.undo.pop() {
            match undo {
                Undo::Config(c) => s.config = c,
                Undo::Profile(i, p) => {
                    if let Some(slot) = s.profiles.get_mut(i) {
                        *slot = p;
                    }
                }
                Undo::ProfileAdded => {
                    s.profiles.pop();
                }
                Undo::ProfileRemoved(i, p) => s.profiles.insert(i.min(s.profiles.len()), p),
                Undo::NotificationPushed => {
                    s.notifications.pop();
                }
                Undo::NotificationRemoved(i, n) => s.notifications.insert(i.min(s.notifications.len()), n),
                Undo::Install(i) => s.install = i,
                Undo::Kind(name, Some(bytes)) => {
                    s.kinds.insert(name, bytes);
                }
                Undo::Kind(name, None) => {
                    s.kinds.remove(&name);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Past the bound, each new notification drops the oldest; sequence numbers go on.
    #[test]
    fn notifications_keep_the_newest() {
        let mut state = CardState::default();
        for _ in 0..MAX_NOTIFICATIONS + 3 {
            let seq = state.next_seq();
            let address = Utf8String::from("smdp.example.com");
            state.push_notification(NotificationRecord {
                seq,
                event: NotificationEvent::Install,
                address,
                iccid: None,
                pir: None,
            });
        }
        assert_eq!(state.notifications.len(), MAX_NOTIFICATIONS);
        assert_eq!(state.notifications.first().map(|n| n.seq), Some(4));
        assert_eq!(state.notifications.last().map(|n| n.seq), Some(MAX_NOTIFICATIONS as u64 + 3));
    }

    /// `ConfigRecord` as format version 1 first wrote it.
    #[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
    #[rasn(automatic_tags)]
    struct ConfigRecordV1 {
        default_dp_address: Option<Utf8String>,
        last_seq_number: u64,
        eid: Option<OctetString>,
    }

    /// `ProfileRecord` as format version 1 first wrote it.
    #[derive(AsnType, Encode, Decode, Debug, Clone, PartialEq, Eq)]
    #[rasn(automatic_tags)]
    struct ProfileRecordV1 {
        iccid: OctetString,
        isdp_aid: OctetString,
        state: ProfileState,
        nickname: Option<Utf8String>,
        service_provider_name: Utf8String,
        profile_name: Utf8String,
        icon: Option<Icon>,
        class: ProfileClass,
        ppr: u8,
        notification_config: Vec<NotificationConfig>,
        owner: Option<Owner>,
    }

    #[test]
    fn records_written_before_the_optional_fields_still_decode() {
        let old = ConfigRecordV1 {
            default_dp_address: Some("smdp.example.com".into()),
            last_seq_number: 7,
            eid: Some(OctetString::from_static(&[0x89; 16])),
        };
        let new: ConfigRecord = rasn::der::decode(&rasn::der::encode(&old).unwrap()).unwrap();
        assert_eq!(
            new,
            ConfigRecord {
                default_dp_address: old.default_dp_address,
                last_seq_number: 7,
                eid: old.eid,
                test_fallback: None
            }
        );
        let old = ProfileRecordV1 {
            iccid: OctetString::from_static(&[0x98; 10]),
            isdp_aid: OctetString::from_static(&[0xA0; 16]),
            state: ProfileState::Enabled,
            nickname: None,
            service_provider_name: "SP".into(),
            profile_name: "P".into(),
            icon: None,
            class: ProfileClass::Test,
            ppr: PPR1,
            notification_config: Vec::new(),
            owner: None,
        };
        let new: ProfileRecord = rasn::der::decode(&rasn::der::encode(&old).unwrap()).unwrap();
        assert_eq!((new.port, new.enabled_on()), (None, Some(Port::FIRST)), "a version 1 record means port 0");
        assert_eq!((new.iccid, new.class, new.ppr, new.dp_proprietary_data), (old.iccid, old.class, PPR1, None));
        assert_eq!((new.hri_server_address, new.enterprise, new.service_description), (None, None, None));
        assert_eq!(new.service_specific_data, None, "no vendor data (so no mirror policy) in an old record");
    }

    fn profile(slot: u8, state: ProfileState) -> ProfileRecord {
        let mut aid = alloc::vec![0xA0; 16];
        aid[14] = slot;
        ProfileRecord {
            iccid: OctetString::from(alloc::vec![slot; 10]),
            isdp_aid: aid.into(),
            state,
            nickname: None,
            service_provider_name: "SP".into(),
            profile_name: "P".into(),
            icon: None,
            class: ProfileClass::Operational,
            ppr: 0,
            notification_config: Vec::new(),
            owner: None,
            dp_proprietary_data: None,
            port: None,
            hri_server_address: None,
            enterprise: None,
            service_description: None,
            service_specific_data: None,
            rpm_configuration: None,
            device_change_configuration: None,
        }
    }

    /// Port 0 is written as format version 1 wrote it; another port is a field at the end.
    #[test]
    fn the_port_of_an_enabled_profile() {
        let mut p = profile(0x10, ProfileState::Disabled);
        let disabled = rasn::der::encode(&p).unwrap();
        assert_eq!(p.enabled_on(), None);
        p.enable_on(Port::FIRST);
        assert_eq!((p.port, p.enabled_on()), (None, Some(Port(0))));
        let on_0 = rasn::der::encode(&p).unwrap();
        assert_eq!(on_0.len(), disabled.len(), "port 0 adds nothing to the record");
        p.enable_on(Port(1));
        assert_eq!(p.enabled_on(), Some(Port(1)));
        let back: ProfileRecord = rasn::der::decode(&rasn::der::encode(&p).unwrap()).unwrap();
        assert_eq!(back, p);
        p.disable();
        assert_eq!((p.state, p.port), (ProfileState::Disabled, None));
    }

    struct Mirror;
    impl RecordKind for Mirror {
        const PREFIX: &'static str = "mirror";
        type Value = InstallRecord;
    }

    fn store_of(state: &CardState) -> (Store, super::super::MemStorage) {
        let mut storage = super::super::MemStorage::new();
        let mut store = Store::open(&mut storage).unwrap();
        let mut txn = Txn::new();
        CardState::default().diff_into::<()>(state, &mut txn).unwrap();
        store.commit(&mut storage, txn).unwrap();
        (store, storage)
    }

    /// A kind declared outside this module loads, diffs and commits like a core kind.
    #[test]
    fn a_record_kind_needs_no_edit_here() {
        let value = InstallRecord {
            transaction_id: OctetString::from_static(&[1; 16]),
            server_address: "peer".into(),
            smdp_oid: OctetString::from_static(&[0x2A]),
        };
        let mut state = CardState::default();
        {
            let mut edit = Edit::new(&mut state);
            edit.put::<Mirror>("1", &value).unwrap();
            edit.keep();
        }
        let (store, _) = store_of(&state);
        assert!(store.get("mirror.1").is_some());
        let loaded = CardState::load::<()>(&store).unwrap();
        assert_eq!(loaded, state);
        assert_eq!(loaded.get::<Mirror, ()>("1").unwrap(), Some(value));
        assert_eq!(loaded.get::<Mirror, ()>("2").unwrap(), None);
        let mut gone = loaded.clone();
        gone.kinds.clear();
        let mut txn = Txn::new();
        loaded.diff_into::<()>(&gone, &mut txn).unwrap();
        assert!(!txn.is_empty());
        // Names that are no kind's still refuse to load.
        assert!(!is_kind_name("Mirror.1") && !is_kind_name("p.10") && !is_kind_name("mirror.") && !is_kind_name("x"));
    }

    /// An edit copies and encodes only what it touches; dropped without `keep`, it is undone.
    #[test]
    fn an_edit_commits_what_changed_and_is_undone_otherwise() {
        let mut state = CardState {
            profiles: alloc::vec![profile(0x10, ProfileState::Enabled), profile(0x11, ProfileState::Disabled)],
            ..CardState::default()
        };
        for _ in 0..3 {
            let seq = state.next_seq();
            state.push_notification(NotificationRecord {
                seq,
                event: NotificationEvent::Enable,
                address: "a".into(),
                iccid: None,
                pir: None,
            });
        }
        let (store, _) = store_of(&state);
        let before = state.clone();
        {
            let mut edit = Edit::new(&mut state);
            if let Some(p) = edit.profile_mut(0) {
                p.disable();
            }
            edit.remove_profile(1);
            assert!(edit.remove_notification(2));
            assert!(!edit.remove_notification(9));
            let seq = edit.next_seq();
            edit.push_notification(NotificationRecord {
                seq,
                event: NotificationEvent::Disable,
                address: "a".into(),
                iccid: None,
                pir: None,
            });
            edit.set_test_fallback(Port(1), Some(OctetString::from_static(&[1]))).unwrap();
            edit.set_install(None);
            let txn = edit.txn::<()>(&store).unwrap();
            let mut names: Vec<&str> = txn.puts.keys().map(String::as_str).collect();
            names.extend(txn.removes.iter().map(String::as_str));
            names.sort_unstable();
            assert_eq!(
                names,
                ["config", "n.0000000000000002", "n.0000000000000004", "p.10", "p.11", "port.1", "u.11"],
                "the install record was touched but did not change"
            );
            // Dropped: undone.
        }
        assert_eq!(state, before);
        let mut edit = Edit::new(&mut state);
        if let Some(p) = edit.profile_mut(1) {
            p.nickname = None;
        }
        assert!(edit.txn::<()>(&store).unwrap().is_empty(), "a touch that changes nothing commits nothing");
    }
}
