//! The SGP.22 v2.5 result codes, one type per ES10 function (and the `ErrorResult` of a
//! `ProfileInstallationResult`), with the names of `RSPDefinitions.asn`.
//!
//! A result code is *data* inside a `9000` response, never a status word. Each type converts
//! into the response's `INTEGER` (`.into()`), so a handler names the code, never a number;
//! `from_value` reads one back. [`AuthenticateErrorCode::name_of`], [`DownloadErrorCode::name_of`]
//! and [`ErrorReason::name_of`] are the names an LPA prints for a value a card answered.
//!
//! | ES10 function | type |
//! |---|---|
//! | SetDefaultDpAddress | [`SetDefaultDpAddressResult`] |
//! | AuthenticateServer | [`AuthenticateErrorCode`] |
//! | PrepareDownload | [`DownloadErrorCode`] |
//! | LoadBoundProfilePackage (PIR `ErrorResult`) | [`BppCommandId`], [`ErrorReason`] |
//! | CancelSession | [`CancelSessionError`] |
//! | GetProfilesInfo | [`ProfileInfoListError`] |
//! | EnableProfile | [`EnableProfileResult`] |
//! | DisableProfile | [`DisableProfileResult`] |
//! | DeleteProfile | [`DeleteProfileResult`] |
//! | SetNickname | [`SetNicknameResult`] |
//! | eUICCMemoryReset | [`EuiccMemoryResetResult`] |
//! | RemoveNotificationFromList | [`DeleteNotificationStatus`] |
//! | RetrieveNotificationsList | [`NotificationsListError`] |
//! | LoadRpmPackage (v3) | [`LoadRpmPackageErrorCodeSigned`], [`LoadRpmPackageErrorCodeNotSigned`], [`RpmProcessingTerminated`] |
//! | RPM updateMetadata / contactPcmp (v3) | [`UpdateMetadataResult`], [`ContactPcmpError`] |
//! | PrepareDeviceChange / VerifyDeviceChange (v3) | [`DownloadErrorCode`], [`VerifyDeviceChangeError`] |
//! | ES9+.ConfirmDeviceChange (v3, test SM-DP+) | [`ConfirmDeviceChangeError`] |

use rasn::types::Integer;

macro_rules! result_codes {
    ($( $(#[$doc:meta])* pub enum $name:ident { $( #[doc = $spec:literal] $variant:ident = $value:literal, )* } )*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            #[repr(u8)]
            pub enum $name {
                $( #[doc = $spec] $variant = $value, )*
            }

            impl $name {
                /// The code's value on the wire.
                pub const fn value(self) -> u8 {
                    self as u8
                }

                /// The code whose value on the wire is `value`, if this type has one.
                pub const fn from_value(value: i64) -> Option<Self> {
                    match value {
                        $( $value => Some(Self::$variant), )*
                        _ => None,
                    }
                }
            }

            impl From<$name> for Integer {
                fn from(code: $name) -> Integer {
                    Integer::from(code.value())
                }
            }
        )*
    };
}

result_codes! {
    /// `SetDefaultDpAddressResponse.setDefaultDpAddressResult` — ES10a.SetDefaultDpAddress.
    pub enum SetDefaultDpAddressResult {
        /// ok
        Ok = 0,
        /// undefinedError
        UndefinedError = 127,
    }

    /// `AuthenticateErrorCode` — ES10b.AuthenticateServer.
    pub enum AuthenticateErrorCode {
        /// invalidCertificate
        InvalidCertificate = 1,
        /// invalidSignature
        InvalidSignature = 2,
        /// unsupportedCurve
        UnsupportedCurve = 3,
        /// noSessionContext
        NoSessionContext = 4,
        /// invalidOid
        InvalidOid = 5,
        /// euiccChallengeMismatch
        EuiccChallengeMismatch = 6,
        /// ciPKUnknown
        CiPkUnknown = 7,
        /// invalidIccid (v3 Device Change: ctxParamsForDeviceChange names no profile that may move)
        InvalidIccid = 14,
        /// undefinedError
        UndefinedError = 127,
    }

    /// `DownloadErrorCode` — ES10b.PrepareDownload.
    pub enum DownloadErrorCode {
        /// invalidCertificate
        InvalidCertificate = 1,
        /// invalidSignature
        InvalidSignature = 2,
        /// unsupportedCurve
        UnsupportedCurve = 3,
        /// noSessionContext
        NoSessionContext = 4,
        /// invalidTransactionId
        InvalidTransactionId = 5,
        /// undefinedError
        UndefinedError = 127,
    }

    /// `ErrorResult.bppCommandId` — the BPP command a load stopped in (ES10b.LoadBoundProfilePackage).
    pub enum BppCommandId {
        /// initialiseSecureChannel
        InitialiseSecureChannel = 0,
        /// configureISDP
        ConfigureIsdp = 1,
        /// storeMetadata
        StoreMetadata = 2,
        /// storeMetadata2
        StoreMetadata2 = 3,
        /// replaceSessionKeys
        ReplaceSessionKeys = 4,
        /// loadProfileElements
        LoadProfileElements = 5,
    }

    /// `ErrorResult.errorReason` — why a load stopped (ES10b.LoadBoundProfilePackage).
    pub enum ErrorReason {
        /// incorrectInputValues
        IncorrectInputValues = 1,
        /// invalidSignature
        InvalidSignature = 2,
        /// invalidTransactionId
        InvalidTransactionId = 3,
        /// unsupportedCrtValues
        UnsupportedCrtValues = 4,
        /// unsupportedRemoteOperationType
        UnsupportedRemoteOperationType = 5,
        /// unsupportedProfileClass
        UnsupportedProfileClass = 6,
        /// scp03tStructureError
        Scp03tStructureError = 7,
        /// scp03tSecurityError
        Scp03tSecurityError = 8,
        /// installFailedDueToIccidAlreadyExistsOnEuicc
        IccidAlreadyExists = 9,
        /// installFailedDueToInsufficientMemoryForProfile
        InsufficientMemory = 10,
        /// installFailedDueToInterruption
        Interruption = 11,
        /// installFailedDueToPEProcessingError
        PeProcessingError = 12,
        /// installFailedDueToDataMismatch
        DataMismatch = 13,
        /// testProfileInstallFailedDueToInvalidNaaKey
        InvalidNaaKey = 14,
        /// pprNotAllowed
        PprNotAllowed = 15,
        /// enterpriseProfilesNotSupported (v3)
        EnterpriseProfilesNotSupported = 17,
        /// enterpriseRulesNotAllowed (v3: a second profile with referenceEnterpriseRule)
        EnterpriseRulesNotAllowed = 18,
        /// enterpriseProfilesOnly (v3: the reference enterprise rule allows only enterprise profiles)
        EnterpriseProfilesOnly = 22,
        /// installFailedDueToUnknownError
        UnknownError = 127,
    }

    /// `cancelSessionResponseError` — ES10b.CancelSession.
    pub enum CancelSessionError {
        /// invalidTransactionId
        InvalidTransactionId = 5,
        /// undefinedError
        UndefinedError = 127,
    }

    /// `profileInfoListError` — ES10c.GetProfilesInfo.
    pub enum ProfileInfoListError {
        /// incorrectInputValues
        IncorrectInputValues = 1,
        /// profileChangeOngoing (v3 RPM: a profile change is under way)
        ProfileChangeOngoing = 11,
        /// undefinedError
        UndefinedError = 127,
    }

    /// `EnableProfileResponse.enableResult` — ES10c.EnableProfile.
    pub enum EnableProfileResult {
        /// ok
        Ok = 0,
        /// iccidOrAidNotFound
        IccidOrAidNotFound = 1,
        /// profileNotInDisabledState
        ProfileNotInDisabledState = 2,
        /// disallowedByPolicy
        DisallowedByPolicy = 3,
        /// wrongProfileReenabling
        WrongProfileReenabling = 4,
        /// catBusy
        CatBusy = 5,
        /// disallowedByEnterpriseRule (v3: the reference enterprise rule's numberOfNonEnterpriseProfiles)
        DisallowedByEnterpriseRule = 6,
        /// commandError (v3; e.g. no or a wrong targetEsimPort on a MEP-A1 card)
        CommandError = 7,
        /// disallowedForRpm (v3 RPM: the managing SM-DP+ may not make this change)
        DisallowedForRpm = 9,
        /// noEsimPortAvailable (v3 MEP: every profile port holds an enabled profile)
        NoEsimPortAvailable = 10,
        /// undefinedError
        UndefinedError = 127,
    }

    /// `DisableProfileResponse.disableResult` — ES10c.DisableProfile.
    pub enum DisableProfileResult {
        /// ok
        Ok = 0,
        /// iccidOrAidNotFound
        IccidOrAidNotFound = 1,
        /// profileNotInEnabledState
        ProfileNotInEnabledState = 2,
        /// disallowedByPolicy
        DisallowedByPolicy = 3,
        /// catBusy
        CatBusy = 5,
        /// disallowedForRpm (v3 RPM: the managing SM-DP+ may not make this change)
        DisallowedForRpm = 10,
        /// undefinedError
        UndefinedError = 127,
    }

    /// `DeleteProfileResponse.deleteResult` — ES10c.DeleteProfile.
    pub enum DeleteProfileResult {
        /// ok
        Ok = 0,
        /// iccidOrAidNotFound
        IccidOrAidNotFound = 1,
        /// profileNotInDisabledState
        ProfileNotInDisabledState = 2,
        /// disallowedByPolicy
        DisallowedByPolicy = 3,
        /// undefinedError
        UndefinedError = 127,
    }

    /// `SetNicknameResponse.setNicknameResult` — ES10c.SetNickname.
    pub enum SetNicknameResult {
        /// ok
        Ok = 0,
        /// iccidNotFound
        IccidNotFound = 1,
        /// undefinedError
        UndefinedError = 127,
    }

    /// `EuiccMemoryResetResponse.resetResult` — ES10c.eUICCMemoryReset.
    pub enum EuiccMemoryResetResult {
        /// ok
        Ok = 0,
        /// nothingToDelete
        NothingToDelete = 1,
        /// catBusy
        CatBusy = 5,
        /// undefinedError
        UndefinedError = 127,
    }

    /// `NotificationSentResponse.deleteNotificationStatus` — ES10b.RemoveNotificationFromList.
    pub enum DeleteNotificationStatus {
        /// ok
        Ok = 0,
        /// nothingToDelete
        NothingToDelete = 1,
        /// undefinedError
        UndefinedError = 127,
    }

    /// `notificationsListResultError` — ES10b.RetrieveNotificationsList.
    pub enum NotificationsListError {
        /// undefinedError
        UndefinedError = 127,
    }

    /// `LoadRpmPackageErrorCodeSigned` — ES10b.LoadRpmPackage (v3 RPM), in a signed result.
    pub enum LoadRpmPackageErrorCodeSigned {
        /// invalidSignature
        InvalidSignature = 2,
        /// invalidTransactionId
        InvalidTransactionId = 5,
        /// undefinedError
        UndefinedError = 127,
    }

    /// `LoadRpmPackageErrorCodeNotSigned` — ES10b.LoadRpmPackage (v3 RPM), in a result the card
    /// cannot sign.
    pub enum LoadRpmPackageErrorCodeNotSigned {
        /// noSession
        NoSession = 4,
        /// undefinedError
        UndefinedError = 127,
    }

    /// `RpmCommandResult.rpmProcessingTerminated` — why the card stopped an RPM package.
    pub enum RpmProcessingTerminated {
        /// resultSizeOverflow
        ResultSizeOverflow = 1,
        /// unknownOrDamagedCommand
        UnknownOrDamagedCommand = 2,
        /// interruption
        Interruption = 3,
        /// commandsWithRefreshExceeded
        CommandsWithRefreshExceeded = 4,
        /// commandAfterContactPcmp
        CommandAfterContactPcmp = 5,
        /// commandPackageTooLarge
        CommandPackageTooLarge = 6,
    }

    /// `UpdateMetadataResponse` — the RPM updateMetadata command (ES6.UpdateMetadata).
    pub enum UpdateMetadataResult {
        /// ok
        Ok = 0,
        /// enterpriseConfigurationNotAllowed
        EnterpriseConfigurationNotAllowed = 6,
        /// commandError
        CommandError = 7,
        /// pprUpdateInvalidSetting
        PprUpdateInvalidSetting = 12,
        /// invalidRpmConfiguration
        InvalidRpmConfiguration = 14,
        /// deleteNotAllowed
        DeleteNotAllowed = 15,
        /// undefinedError
        UndefinedError = 127,
    }

    /// `ContactPcmpResponse.contactPcmpResponseError` — the RPM contactPcmp command.
    pub enum ContactPcmpError {
        /// profileNotEnabled
        ProfileNotEnabled = 2,
        /// commandError
        CommandError = 7,
        /// noLprConfiguration
        NoLprConfiguration = 13,
        /// undefinedError
        UndefinedError = 127,
    }
    /// `VerifyDeviceChangeResponse.verifyDeviceChangeError` — ES10b.VerifyDeviceChange (v3 Device Change).
    pub enum VerifyDeviceChangeError {
        /// invalidSignature
        InvalidSignature = 2,
        /// noSession
        NoSession = 4,
        /// invalidTransactionId
        InvalidTransactionId = 5,
        /// unsupportedCrtValues
        UnsupportedCrtValues = 6,
        /// invalidData
        InvalidData = 7,
        /// profileNotInDisabledState
        ProfileNotInDisabledState = 8,
        /// undefinedError
        UndefinedError = 127,
    }

    /// `ConfirmDeviceChangeResponse.confirmDeviceChangeError` — ES9+.ConfirmDeviceChange (v3 Device Change).
    pub enum ConfirmDeviceChangeError {
        /// invalidTransactionId
        InvalidTransactionId = 1,
        /// euiccSignatureInvalid
        EuiccSignatureInvalid = 2,
        /// confirmationCodeMissing
        ConfirmationCodeMissing = 3,
        /// confirmationCodeRefused
        ConfirmationCodeRefused = 4,
        /// confirmationCodeInvalidMatch
        ConfirmationCodeInvalidMatch = 5,
        /// confirmationCodeRetriesExceeded
        ConfirmationCodeRetriesExceeded = 6,
        /// invalidInputData
        InvalidInputData = 124,
        /// missingInputData
        MissingInputData = 125,
        /// functionProviderBusy
        FunctionProviderBusy = 126,
        /// undefinedError
        UndefinedError = 127,
    }
}

// The names an LPA prints for the codes it reads back from a card (the CLI's `download`, the
// load tester's failure keys): those of SGP.22 v2.5 `RSPDefinitions.asn`. A value v2.5 does not
// name (the v3 codes of these types among them) gets the type's catch-all name.
impl AuthenticateErrorCode {
    /// The v2.5 name of the `authenticateErrorCode` `value`; `undefinedError` for a value v2.5
    /// does not name (v3's invalidIccid(14) among them).
    pub const fn name_of(value: i64) -> &'static str {
        use AuthenticateErrorCode as C;
        match C::from_value(value) {
            Some(C::InvalidCertificate) => "invalidCertificate",
            Some(C::InvalidSignature) => "invalidSignature",
            Some(C::UnsupportedCurve) => "unsupportedCurve",
            Some(C::NoSessionContext) => "noSessionContext",
            Some(C::InvalidOid) => "invalidOid",
            Some(C::EuiccChallengeMismatch) => "euiccChallengeMismatch",
            Some(C::CiPkUnknown) => "ciPKUnknown",
            Some(C::InvalidIccid | C::UndefinedError) | None => "undefinedError",
        }
    }
}

impl DownloadErrorCode {
    /// The v2.5 name of the `downloadErrorCode` `value`; `undefinedError` for a value v2.5 does
    /// not name.
    pub const fn name_of(value: i64) -> &'static str {
        use DownloadErrorCode as C;
        match C::from_value(value) {
            Some(C::InvalidCertificate) => "invalidCertificate",
            Some(C::InvalidSignature) => "invalidSignature",
            Some(C::UnsupportedCurve) => "unsupportedCurve",
            Some(C::NoSessionContext) => "noSessionContext",
            Some(C::InvalidTransactionId) => "invalidTransactionId",
            Some(C::UndefinedError) | None => "undefinedError",
        }
    }
}

impl ErrorReason {
    /// The v2.5 name of the `errorReason` `value`; `installFailedDueToUnknownError` for a value
    /// v2.5 does not name (v3's enterprise codes 17, 18 and 22 among them).
    pub const fn name_of(value: i64) -> &'static str {
        use ErrorReason as C;
        match C::from_value(value) {
            Some(C::IncorrectInputValues) => "incorrectInputValues",
            Some(C::InvalidSignature) => "invalidSignature",
            Some(C::InvalidTransactionId) => "invalidTransactionId",
            Some(C::UnsupportedCrtValues) => "unsupportedCrtValues",
            Some(C::UnsupportedRemoteOperationType) => "unsupportedRemoteOperationType",
            Some(C::UnsupportedProfileClass) => "unsupportedProfileClass",
            Some(C::Scp03tStructureError) => "scp03tStructureError",
            Some(C::Scp03tSecurityError) => "scp03tSecurityError",
            Some(C::IccidAlreadyExists) => "installFailedDueToIccidAlreadyExistsOnEuicc",
            Some(C::InsufficientMemory) => "installFailedDueToInsufficientMemoryForProfile",
            Some(C::Interruption) => "installFailedDueToInterruption",
            Some(C::PeProcessingError) => "installFailedDueToPEProcessingError",
            Some(C::DataMismatch) => "installFailedDueToDataMismatch",
            Some(C::InvalidNaaKey) => "testProfileInstallFailedDueToInvalidNaaKey",
            Some(C::PprNotAllowed) => "pprNotAllowed",
            Some(
                C::EnterpriseProfilesNotSupported
                | C::EnterpriseRulesNotAllowed
                | C::EnterpriseProfilesOnly
                | C::UnknownError,
            )
            | None => "installFailedDueToUnknownError",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_names() {
        assert_eq!(Integer::from(EnableProfileResult::CatBusy), Integer::from(5));
        assert_eq!(AuthenticateErrorCode::CiPkUnknown.value(), 7);
        assert_eq!(ErrorReason::IccidAlreadyExists.value(), 9);
        assert_eq!(Integer::from(0), Integer::from(DisableProfileResult::Ok));
        assert_eq!(DownloadErrorCode::from_value(5), Some(DownloadErrorCode::InvalidTransactionId));
        assert_eq!(DownloadErrorCode::from_value(6), None);
        assert_eq!(ErrorReason::from_value(-1), None);
    }

    #[test]
    fn the_names_an_lpa_prints() {
        assert_eq!(AuthenticateErrorCode::name_of(7), "ciPKUnknown");
        assert_eq!(AuthenticateErrorCode::name_of(14), "undefinedError");
        assert_eq!(DownloadErrorCode::name_of(5), "invalidTransactionId");
        assert_eq!(DownloadErrorCode::name_of(i64::MIN), "undefinedError");
        assert_eq!(ErrorReason::name_of(12), "installFailedDueToPEProcessingError");
        assert_eq!(ErrorReason::name_of(17), "installFailedDueToUnknownError");
        assert_eq!(ErrorReason::name_of(16), "installFailedDueToUnknownError");
    }
}
