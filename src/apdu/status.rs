//! ISO/IEC 7816-4 status words (SW1-SW2), §5.6 and ETSI TS 102 221 §10.2.1.

use core::fmt;

/// One SW1-SW2 status word.
///
/// The variants are the status words veuicc sends; [`Status::from`] maps any other
/// `u16` to [`Status::Other`], so the conversion is total both ways.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// `90 00` normal processing.
    Success,
    /// `61 xx` more response bytes available; `xx` of them (`00` = 256 or more).
    MoreAvailable(u8),
    /// `62 00` warning, no information given, non-volatile memory unchanged.
    Warning,
    /// `62 82` end of file or record reached before reading Ne bytes (READ BINARY/RECORD,
    /// SEARCH RECORD: no record found).
    EndOfFile,
    /// `62 83` selected file invalidated (deactivated).
    FileInvalidated,
    /// `63 Cx` verification failed, `x` retries left (TS 102 221 §10.2.1.3).
    RemainingRetries(u8),
    /// `65 81` memory failure (a persistent write failed; state unchanged).
    MemoryFailure,
    /// `67 00` wrong length (Lc/Le fields inconsistent with the command).
    WrongLength,
    /// `68 81` logical channel not supported (or not open).
    LogicalChannelNotSupported,
    /// `68 82` secure messaging not supported.
    SecureMessagingNotSupported,
    /// `68 83` last command of the chain expected.
    LastCommandOfChainExpected,
    /// `68 84` command chaining not supported.
    CommandChainingNotSupported,
    /// `69 81` command incompatible with file structure.
    IncompatibleFileStructure,
    /// `69 82` security status not satisfied.
    SecurityStatusNotSatisfied,
    /// `69 83` authentication/verification method blocked.
    MethodBlocked,
    /// `69 84` referenced data invalidated (e.g. a disabled PIN verified or changed).
    ReferenceDataInvalidated,
    /// `69 85` conditions of use not satisfied.
    ConditionsNotSatisfied,
    /// `6A 80` incorrect parameters in the command data field.
    IncorrectData,
    /// `6A 81` function not supported.
    FunctionNotSupported,
    /// `6A 82` file or application not found.
    NotFound,
    /// `6A 83` record not found.
    RecordNotFound,
    /// `6A 84` not enough memory space.
    NotEnoughMemory,
    /// `6A 86` incorrect parameters P1-P2.
    IncorrectP1P2,
    /// `6A 88` referenced data or reference data not found.
    ReferencedDataNotFound,
    /// `6B 00` wrong parameters P1-P2 (offset outside the EF).
    WrongP1P2,
    /// `6C xx` wrong Le field; `xx` is the exact number of available bytes.
    WrongLe(u8),
    /// `6D 00` instruction code not supported or invalid.
    InsNotSupported,
    /// `6E 00` class not supported.
    ClaNotSupported,
    /// `91 xx` normal ending, a proactive command of `xx` bytes is pending (TS 102 221 §10.2.1.1).
    ProactivePending(u8),
    /// `98 62` authentication error, incorrect MAC (TS 31.102 §7.3).
    AuthenticationError,
    /// `9F xx` (GSM class `A0`, TS 51.011 §9.4.1): `xx` response bytes to fetch with GET RESPONSE.
    GsmResponse(u8),
    /// `6F 00` technical problem, no precise diagnosis.
    Unknown,
    /// Any other status word.
    Other(u16),
}

/// `Result` whose error is the status word that answers the APDU.
pub type Result<T = ()> = core::result::Result<T, Status>;

impl Status {
    /// The status word as the two bytes SW1, SW2.
    pub fn to_bytes(self) -> [u8; 2] {
        u16::from(self).to_be_bytes()
    }

    /// True for `90 00` and `61 xx` (the command was processed).
    pub fn is_success(self) -> bool {
        matches!(self, Status::Success | Status::MoreAvailable(_))
    }
}

impl From<Status> for u16 {
    fn from(sw: Status) -> u16 {
        match sw {
            Status::Success => 0x9000,
            Status::MoreAvailable(n) => 0x6100 | u16::from(n),
            Status::Warning => 0x6200,
            Status::EndOfFile => 0x6282,
            Status::FileInvalidated => 0x6283,
            Status::RemainingRetries(n) => 0x63C0 | u16::from(n & 0x0F),
            Status::MemoryFailure => 0x6581,
            Status::WrongLength => 0x6700,
            Status::LogicalChannelNotSupported => 0x6881,
            Status::SecureMessagingNotSupported => 0x6882,
            Status::LastCommandOfChainExpected => 0x6883,
            Status::CommandChainingNotSupported => 0x6884,
            Status::IncompatibleFileStructure => 0x6981,
            Status::SecurityStatusNotSatisfied => 0x6982,
            Status::MethodBlocked => 0x6983,
            Status::ReferenceDataInvalidated => 0x6984,
            Status::ConditionsNotSatisfied => 0x6985,
            Status::IncorrectData => 0x6A80,
            Status::FunctionNotSupported => 0x6A81,
            Status::NotFound => 0x6A82,
            Status::RecordNotFound => 0x6A83,
            Status::NotEnoughMemory => 0x6A84,
            Status::IncorrectP1P2 => 0x6A86,
            Status::ReferencedDataNotFound => 0x6A88,
            Status::WrongP1P2 => 0x6B00,
            Status::WrongLe(n) => 0x6C00 | u16::from(n),
            Status::InsNotSupported => 0x6D00,
            Status::ClaNotSupported => 0x6E00,
            Status::ProactivePending(n) => 0x9100 | u16::from(n),
            Status::AuthenticationError => 0x9862,
            Status::GsmResponse(n) => 0x9F00 | u16::from(n),
            Status::Unknown => 0x6F00,
            Status::Other(sw) => sw,
        }
    }
}

impl From<u16> for Status {
    fn from(sw: u16) -> Status {
        let [sw1, sw2] = sw.to_be_bytes();
        match (sw1, sw2) {
            (0x90, 0x00) => Status::Success,
            (0x61, n) => Status::MoreAvailable(n),
            (0x62, 0x00) => Status::Warning,
            (0x62, 0x82) => Status::EndOfFile,
            (0x62, 0x83) => Status::FileInvalidated,
            (0x63, n) if n & 0xF0 == 0xC0 => Status::RemainingRetries(n & 0x0F),
            (0x65, 0x81) => Status::MemoryFailure,
            (0x67, 0x00) => Status::WrongLength,
            (0x68, 0x81) => Status::LogicalChannelNotSupported,
            (0x68, 0x82) => Status::SecureMessagingNotSupported,
            (0x68, 0x83) => Status::LastCommandOfChainExpected,
            (0x68, 0x84) => Status::CommandChainingNotSupported,
            (0x69, 0x81) => Status::IncompatibleFileStructure,
            (0x69, 0x82) => Status::SecurityStatusNotSatisfied,
            (0x69, 0x83) => Status::MethodBlocked,
            (0x69, 0x84) => Status::ReferenceDataInvalidated,
            (0x69, 0x85) => Status::ConditionsNotSatisfied,
            (0x6A, 0x80) => Status::IncorrectData,
            (0x6A, 0x81) => Status::FunctionNotSupported,
            (0x6A, 0x82) => Status::NotFound,
            (0x6A, 0x83) => Status::RecordNotFound,
            (0x6A, 0x84) => Status::NotEnoughMemory,
            (0x6A, 0x86) => Status::IncorrectP1P2,
            (0x6A, 0x88) => Status::ReferencedDataNotFound,
            (0x6B, 0x00) => Status::WrongP1P2,
            (0x6C, n) => Status::WrongLe(n),
            (0x6D, 0x00) => Status::InsNotSupported,
            (0x6E, 0x00) => Status::ClaNotSupported,
            (0x6F, 0x00) => Status::Unknown,
            (0x91, n) => Status::ProactivePending(n),
            (0x98, 0x62) => Status::AuthenticationError,
            (0x9F, n) => Status::GsmResponse(n),
            _ => Status::Other(sw),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", u16::from(*self))
    }
}

impl core::error::Error for Status {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_u16() {
        for sw in 0..=u16::MAX {
            assert_eq!(u16::from(Status::from(sw)), sw);
        }
    }

    #[test]
    fn known_values() {
        assert_eq!(Status::Success.to_bytes(), [0x90, 0x00]);
        assert_eq!(Status::MoreAvailable(0x12).to_bytes(), [0x61, 0x12]);
        assert_eq!(Status::SecureMessagingNotSupported.to_bytes(), [0x68, 0x82]);
        assert_eq!(Status::ClaNotSupported.to_bytes(), [0x6E, 0x00]);
    }
}
