//! The one place where layer errors become status words (exhaustive, no `_ =>`).
//!
//! SGP.22 v2.5 names no status word for a STORE DATA payload it cannot parse. The
//! choices, from ISO/IEC 7816-4 §5.6 and GP CS §11.11.3:
//!
//! | error | SW |
//! |---|---|
//! | outer tag of no ES10 function | `6A88` referenced data not found |
//! | known tag, DER malformed or of the wrong shape | `6A80` incorrect data |
//! | not even a BER tag | `6A80` |
//! | the store could not commit (state unchanged) | `6581` memory problem |
//! | the commit's outcome is unknown; the card reloads its state from storage before the next command | `6581` (ISO 7816-4: `65xx`, non-volatile memory may have changed) |

use crate::apdu::Status;
use crate::asn1::DecodeError;
use crate::store;

/// Status word for an ES10 request that did not decode.
pub(super) fn decode_status(e: DecodeError) -> Status {
    match e {
        DecodeError::UnknownTag(_) => Status::ReferencedDataNotFound,
        DecodeError::Malformed(_) => Status::IncorrectData,
        DecodeError::NoTag => Status::IncorrectData,
    }
}

/// Status word for a failed commit: the state is as before, except after
/// [`store::Error::Uncertain`] (the card then reloads it from storage).
pub(super) fn store_status<E>(e: store::Error<E>) -> Status {
    match e {
        store::Error::Storage(_) => Status::MemoryFailure,
        store::Error::Uncertain(_) => Status::MemoryFailure,
        store::Error::NeedsReload => Status::MemoryFailure,
        store::Error::Corrupted { .. } => Status::MemoryFailure,
        store::Error::BadRecord { .. } => Status::MemoryFailure,
        store::Error::LogicBug(_) => Status::Unknown,
    }
}
