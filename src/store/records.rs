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

use super::{Error, Store, Txn};
use alloc::collections::BTreeMap;
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
}

impl NotificationEvent {
    /// The bit number in `NotificationEvent`.
    pub fn bit(self) -> usize {
        self as usize
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
    /// For an install: the signed ProfileInstallationResult (`BF37 …`) as sent.
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
}

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

    /// The notification address for `event`, if the profile asked for that event.
    pub fn notification_address(&self, event: NotificationEvent) -> Option<&str> {
        self.notification_config.iter().find(|c| c.events & (1 << event.bit()) != 0).map(|c| c.address.as_str())
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

/// Record name of the configuration.
pub(crate) const CONFIG: &str = "config";
/// Pending notifications kept at most (see [`CardState::push_notification`]).
pub const MAX_NOTIFICATIONS: usize = 64;
/// Record name of the load in progress.
pub(crate) const INSTALL: &str = "install";

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
            } else {
                return Err(Error::BadRecord { name: String::from(name) });
            }
        }
        Ok(state)
    }

    /// Every record this state consists of, by name.
    pub fn records<E>(&self) -> Result<BTreeMap<String, Vec<u8>>, Error<E>> {
        let enc = |what| move |_| Error::LogicBug(what);
        let mut out = BTreeMap::new();
        out.insert(String::from(CONFIG), rasn::der::encode(&self.config).map_err(enc("encode config"))?);
        for p in &self.profiles {
            out.insert(p.record_name(), rasn::der::encode(p).map_err(enc("encode profile"))?);
        }
        for n in &self.notifications {
            out.insert(format!("n.{:016x}", n.seq), rasn::der::encode(n).map_err(enc("encode notification"))?);
        }
        if let Some(i) = &self.install {
            out.insert(String::from(INSTALL), rasn::der::encode(i).map_err(enc("encode install"))?);
        }
        Ok(out)
    }

    /// The changes that turn `self` into `new`, added to `txn`.
    pub fn diff_into<E>(&self, new: &CardState, txn: &mut Txn) -> Result<(), Error<E>> {
        let old = self.records()?;
        let new = new.records()?;
        for (name, bytes) in &new {
            if old.get(name) != Some(bytes) {
                txn.put(name, bytes.clone());
            }
        }
        for name in old.keys().filter(|n| !new.contains_key(*n)) {
            txn.remove(name);
        }
        Ok(())
    }

    /// Appends a pending notification; with more than [`MAX_NOTIFICATIONS`] pending, the
    /// oldest is dropped (the newest events are the ones an SM-DP+ still needs).
    pub fn push_notification(&mut self, n: NotificationRecord) {
        self.notifications.push(n);
        let excess = self.notifications.len().saturating_sub(MAX_NOTIFICATIONS);
        self.notifications.drain(..excess);
    }

    /// Hands out the next notification sequence number.
    pub fn next_seq(&mut self) -> u64 {
        self.config.last_seq_number = self.config.last_seq_number.saturating_add(1);
        self.config.last_seq_number
    }

    /// Adds the record for the configuration to `txn`.
    pub fn put_config<E>(txn: &mut Txn, config: &ConfigRecord) -> Result<(), Error<E>> {
        let bytes = rasn::der::encode(config).map_err(|_| Error::LogicBug("encode config"))?;
        txn.put(CONFIG, bytes);
        Ok(())
    }

    /// Record name of the profile in ISD-P number `n`.
    pub fn profile_record_name(n: u16) -> String {
        format!("p.{n:04x}")
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
        assert_eq!((new.iccid, new.class, new.ppr, new.dp_proprietary_data), (old.iccid, old.class, PPR1, None));
    }
}
