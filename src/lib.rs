//! veuicc — a software eUICC (virtual eSIM card).
//!
//! It answers ISO/IEC 7816-4 APDUs the way a GSMA SGP.22 eUICC does, so modem
//! and LPA developers can test against it instead of a drawer of physical cards.
//!
//! # Layers (one hop each; see `ARCHITECTURE.md`)
//!
//! ```text
//! host (std: vpcd, lpac stdio, state dirs) ─► card ─► app::App ─► sd::isdr ─► asn1, store ─► platform
//!                                               │                 └► sd::ecasd
//!                                               └──► apdu (wire format, status words)
//! ```
//! * [`apdu`] — command APDU parsing (cases 1–4, short/extended), class byte, status words.
//! * [`card`] — [`Card::transmit`], the only entry point: ATR, channels, SELECT by AID,
//!   MANAGE CHANNEL, GET RESPONSE; everything else goes to the selected application.
//! * [`app`] — the application boundary: [`app::App`] (select, call, deselect, power), a
//!   command without its channel, an opaque handle per selection.
//! * [`sd::isdr`] — the ISD-R: STORE DATA reassembly and the ES10a/b/c handlers.
//! * [`sd::ecasd`] — the ECASD: selectable, answers no command.
//! * [`asn1`] — rasn types for SGP.22 `RSPDefinitions`; `Es10Request`/`Es10Response`.
//! * [`store`] — persistent records with an atomic, power-cut-safe commit.
//! * [`platform`] — the card's only way out: RNG, clock, storage.
//! * [`config`] — what a card is: EID, capacity, versions.
//! * [`crypto`] — ECDSA r‖s ↔ DER and the SGP.22 certificate checks with their error codes.
//! * [`identity`] — EID, SK.EUICC, CERT.EUICC/EUM, trusted CIs, validated at load.
//! * [`saip`] — TCA SAIP profile packages: profile element walk and the package checks.
//! * [`scp03t`] — SCP03t/BSP key derivation and BPP segment protection.
//! * `host` (feature `std`) and `testkit` (feature `testkit`) — adapters and test tools.
//!
//! The core is `#![no_std]` + `alloc`; only `host`, `testkit` and the CLI name `std`.
//!
//! # Example
//!
//! ```
//! # #[cfg(feature = "testkit")] {
//! let mut card = veuicc::testkit::TestCard::new(1);
//! // MANAGE CHANNEL open, then SELECT ISD-R on the new channel.
//! assert_eq!(card.transmit(&[0x00, 0x70, 0x00, 0x00, 0x01]), [0x01, 0x90, 0x00]);
//! let mut select = vec![0x01, 0xA4, 0x04, 0x00, 0x10];
//! select.extend_from_slice(&veuicc::card::ISD_R_AID);
//! assert_eq!(card.transmit(&select)[..1], [0x61]);
//! # }
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::cast_possible_truncation
    )
)]

extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod apdu;
pub mod app;
pub mod asn1;
pub mod card;
pub mod config;
pub mod crypto;
pub mod identity;
pub mod mirror;
pub mod platform;
pub mod saip;
pub mod scp03t;
pub mod sd;
pub mod sim;
pub mod store;

#[cfg(feature = "std")]
pub mod host;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use card::Card;
pub use config::{CardConfig, Eid};
