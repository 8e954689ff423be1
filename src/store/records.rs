//! Typed persistent records, DER-encoded (our own private ASN.1 module).
//!
//! Persisted types are a compatibility boundary: change them only with a new
//! [`super::FORMAT_VERSION`] and a migration.
//!
//! | record name | content |
//! |---|---|
//! | `config` | [`ConfigRecord`]: default SM-DP+ address |
//! | `p.<nn>` | one [`ProfileRecord`] per installed profile (ISD-P number `nn`) |

use super::{Error, Store, Txn};
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
}

/// Record name of the configuration.
pub(crate) const CONFIG: &str = "config";

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
            } else {
                return Err(Error::BadRecord { name: String::from(name) });
            }
        }
        Ok(state)
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
