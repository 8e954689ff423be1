//! The card's identity from manufacture: EID, SK.EUICC.ECDSA, CERT.EUICC.ECDSA, CERT.EUM.ECDSA
//! and the trusted CI certificates (SGP.22 v2.5 §2.4 "eUICC certificates", §4.5.2).
//!
//! [`Identity::new`] checks everything at load: every CI certificate is a self-signed CI,
//! CERT.EUM chains to one of them, CERT.EUICC chains to CERT.EUM, the EUM's nameConstraints
//! permit the EID (the SGP.22 rule: subject O equal, EID prefix), and the private key matches
//! CERT.EUICC. Each failure is an [`IdentityError`] naming the part at fault.
//!
//! The PKID lists of EUICCInfo1/2 come from here: `euiccCiPKIdListForVerification` holds the
//! SubjectKeyIdentifier of every trusted CI, `euiccCiPKIdListForSigning` those the card's own
//! chain leads to (SGP.22 v2.5 §5.7.8).

use crate::config::{CardConfig, CiPkId, Eid};
use crate::crypto::cert::{self, CertError, TrustedCi};
use crate::crypto::{CryptoProvider, EcdsaSigner, PublicKey, SecretScalar};
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use p256::pkcs8::DecodePrivateKey as _;

/// SK.EUICC.ECDSA, the card's private key (a P-256 scalar).
///
/// Zeroized on drop; `Debug` prints `<secret>`; neither `Clone` nor `PartialEq`. The key
/// file formats are decoded here (with `p256`'s SEC1/PKCS#8 decoders); the arithmetic is the
/// crypto provider's ([`Identity::new_with`]).
pub struct EuiccSecretKey(SecretScalar);

impl EuiccSecretKey {
    /// From the big-endian scalar (24 to 32 bytes, left-padded; zero or not below the group
    /// order is an error).
    pub fn from_bytes(scalar: &[u8]) -> Result<EuiccSecretKey, KeyError> {
        let sk = p256::SecretKey::from_slice(scalar).map_err(|_| KeyError)?;
        Ok(EuiccSecretKey::from_secret_key(&sk))
    }

    /// From a DER SEC1 `ECPrivateKey` (RFC 5915; the `EC PRIVATE KEY` PEM label) or PKCS#8 `PrivateKeyInfo`.
    pub fn from_der(der: &[u8]) -> Result<EuiccSecretKey, KeyError> {
        let sk = p256::SecretKey::from_sec1_der(der)
            .or_else(|_| p256::SecretKey::from_pkcs8_der(der))
            .map_err(|_| KeyError)?;
        Ok(EuiccSecretKey::from_secret_key(&sk))
    }

    /// From a RustCrypto signing key (the test kit's keys).
    pub fn from_signing_key(key: p256::ecdsa::SigningKey) -> EuiccSecretKey {
        EuiccSecretKey::from_secret_key(&p256::SecretKey::from(key))
    }

    /// Copies the scalar, wiping the temporary copy.
    fn from_secret_key(sk: &p256::SecretKey) -> EuiccSecretKey {
        let bytes = zeroize::Zeroizing::new(sk.to_bytes());
        EuiccSecretKey(SecretScalar::from_slice(bytes.as_slice()))
    }
}

impl zeroize::ZeroizeOnDrop for EuiccSecretKey {}

impl fmt::Debug for EuiccSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

/// A private key that is not a P-256 key in SEC1 or PKCS#8 DER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyError;

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a P-256 private key (SEC1 ECPrivateKey or PKCS#8)")
    }
}

impl core::error::Error for KeyError {}

/// Why an identity was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdentityError {
    /// No trusted CI certificate was given.
    NoCi,
    /// Trusted CI number `index` (0-based, in the order given) is not a valid CI certificate.
    Ci {
        /// Which CI.
        index: usize,
        /// What is wrong with it.
        error: CertError,
    },
    /// CERT.EUM does not verify (`CiPkUnknown`: no trusted CI signed it).
    Eum(CertError),
    /// CERT.EUICC does not verify under CERT.EUM (`EidOutsideEum`: the EUM does not permit the EID).
    Euicc(CertError),
    /// The private key is not the key of CERT.EUICC.
    KeyMismatch,
    /// The private key is zero or not below the P-256 group order.
    BadKey,
    /// The EID expected by the caller is not the one in CERT.EUICC.
    EidMismatch {
        /// The EID in the certificate subject.
        in_certificate: Eid,
    },
}

impl fmt::Display for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentityError::NoCi => f.write_str("no trusted CI certificate"),
            IdentityError::Ci { index, error } => write!(f, "trusted CI #{index}: {error}"),
            IdentityError::Eum(e) => write!(f, "EUM certificate: {e}"),
            IdentityError::Euicc(e) => write!(f, "eUICC certificate: {e}"),
            IdentityError::KeyMismatch => f.write_str("the private key does not match the eUICC certificate"),
            IdentityError::BadKey => f.write_str("the private key is not a valid P-256 scalar"),
            IdentityError::EidMismatch { in_certificate } => {
                write!(f, "the eUICC certificate is for EID {in_certificate}, not the expected one")
            }
        }
    }
}

impl core::error::Error for IdentityError {}

/// A validated card identity (see the module docs).
pub struct Identity {
    eid: Eid,
    /// SK.EUICC.ECDSA, prepared by the crypto provider (it owns and wipes the scalar).
    signer: Box<dyn EcdsaSigner>,
    /// SK.EUICC.ECDSA, kept for other providers ([`Identity::signer_for`]).
    key: EuiccSecretKey,
    euicc_cert: Vec<u8>,
    eum_cert: Vec<u8>,
    cis: Vec<TrustedCi>,
    signing_ci: CiPkId,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("eid", &self.eid)
            .field("key", &"<secret>")
            .field("cis", &self.cis.len())
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// Builds and validates an identity with the default crypto provider (RustCrypto); dates
    /// are not checked: the card has no trusted clock.
    pub fn new(
        key: EuiccSecretKey,
        euicc_cert: Vec<u8>,
        eum_cert: Vec<u8>,
        ci_certs: &[&[u8]],
    ) -> Result<Identity, IdentityError> {
        Identity::new_with(&crate::crypto::RUST_CRYPTO, key, euicc_cert, eum_cert, ci_certs)
    }

    /// As [`Identity::new`], with `crypto` checking the chain and preparing SK.EUICC for signing.
    pub fn new_with(
        crypto: &dyn CryptoProvider,
        key: EuiccSecretKey,
        euicc_cert: Vec<u8>,
        eum_cert: Vec<u8>,
        ci_certs: &[&[u8]],
    ) -> Result<Identity, IdentityError> {
        if ci_certs.is_empty() {
            return Err(IdentityError::NoCi);
        }
        let cis = ci_certs
            .iter()
            .enumerate()
            .map(|(index, der)| TrustedCi::from_der(crypto, der).map_err(|error| IdentityError::Ci { index, error }))
            .collect::<Result<Vec<_>, _>>()?;
        let eum = cert::verify_eum(crypto, &eum_cert, &cis, None).map_err(IdentityError::Eum)?;
        let euicc = cert::verify_euicc(crypto, &euicc_cert, &eum, None).map_err(IdentityError::Euicc)?;
        let signer = crypto.signing_key(&key.0).map_err(|_| IdentityError::BadKey)?;
        if euicc.key != signer.public_key() {
            return Err(IdentityError::KeyMismatch);
        }
        Ok(Identity { eid: euicc.eid, signer, key, euicc_cert, eum_cert, cis, signing_ci: eum.ci_pkid })
    }

    /// As [`Identity::new`], and the certificate must carry `eid`.
    pub fn with_eid(
        eid: Eid,
        key: EuiccSecretKey,
        euicc_cert: Vec<u8>,
        eum_cert: Vec<u8>,
        ci_certs: &[&[u8]],
    ) -> Result<Identity, IdentityError> {
        let id = Identity::new(key, euicc_cert, eum_cert, ci_certs)?;
        if id.eid != eid {
            return Err(IdentityError::EidMismatch { in_certificate: id.eid });
        }
        Ok(id)
    }

    /// The EID (from the CERT.EUICC subject serialNumber).
    pub fn eid(&self) -> Eid {
        self.eid
    }

    /// CERT.EUICC.ECDSA, DER.
    pub fn euicc_cert(&self) -> &[u8] {
        &self.euicc_cert
    }

    /// CERT.EUM.ECDSA, DER.
    pub fn eum_cert(&self) -> &[u8] {
        &self.eum_cert
    }

    /// SK.EUICC.ECDSA prepared by `crypto` (a card prepares it with its platform's provider).
    /// The result signs for the same public key, or `KeyMismatch` if the provider disagrees.
    pub fn signer_for(&self, crypto: &dyn CryptoProvider) -> Result<Box<dyn EcdsaSigner>, IdentityError> {
        let signer = crypto.signing_key(&self.key.0).map_err(|_| IdentityError::BadKey)?;
        if signer.public_key() != self.signer.public_key() {
            return Err(IdentityError::KeyMismatch);
        }
        Ok(signer)
    }

    /// PK.EUICC.ECDSA.
    pub fn public_key(&self) -> PublicKey {
        self.signer.public_key()
    }

    /// The trusted CIs, in load order.
    pub fn cis(&self) -> &[TrustedCi] {
        &self.cis
    }

    /// `euiccCiPKIdListForVerification`: the SKI of every trusted CI, without repeats.
    pub fn ci_pkids_verification(&self) -> Vec<CiPkId> {
        let mut out: Vec<CiPkId> = Vec::new();
        for ci in &self.cis {
            if !out.iter().any(|k| k.as_slice() == ci.ski()) {
                out.push(ci.ski().to_vec());
            }
        }
        out
    }

    /// `euiccCiPKIdListForSigning`: the CI the card's EUM → eUICC chain leads to.
    pub fn ci_pkids_signing(&self) -> Vec<CiPkId> {
        alloc::vec![self.signing_ci.clone()]
    }

    /// True if the card holds a chain (CERT.EUICC → CERT.EUM) to the CI with this PKID, i.e. it
    /// is in `euiccCiPKIdListForSigning`. AuthenticateServer answers ciPKUnknown when
    /// `euiccCiPKIdToBeUsed` is not (SGP.22 v2.5 §5.7.13; `spec/sgp22.md` §3.2 check 1).
    pub fn signs_for(&self, ci_pkid: &[u8]) -> bool {
        self.signing_ci.as_slice() == ci_pkid
    }

    /// A card configuration for this identity: its EID and CI PKID lists (SGP.22 v2.5 §5.7.8),
    /// the rest the defaults of [`CardConfig::new`].
    pub fn card_config(&self) -> CardConfig {
        let mut config = CardConfig::new(self.eid);
        config.ci_pkids_verification = self.ci_pkids_verification();
        config.ci_pkids_signing = self.ci_pkids_signing();
        config
    }

    /// Signs `msg` with SK.EUICC.ECDSA: ECDSA-SHA256, raw `r ‖ s` (SGP.22 v2.5 §2.6.7.2,
    /// BSI TR-03111). The nonce is derived per RFC 6979, so the card needs no RNG here.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.signer.sign(msg)
    }
}

#[cfg(all(test, feature = "testkit"))]
mod tests {
    use crate::crypto::{CryptoProvider as _, RUST_CRYPTO};
    use crate::testkit::pki::TestPki;

    #[test]
    fn generated_identity_signs() {
        let pki = TestPki::generate(3, 1);
        let id = pki.identity(0).unwrap();
        let sig = id.sign(b"euiccSigned1");
        assert!(RUST_CRYPTO.verify(&id.public_key(), b"euiccSigned1", &sig));
        assert_eq!(id.ci_pkids_verification(), alloc::vec![pki.ci_ski()]);
        assert_eq!(id.ci_pkids_signing(), alloc::vec![pki.ci_ski()]);
        assert!(id.signs_for(&pki.ci_ski()));
        assert!(!id.signs_for(&[0u8; 20]));
        assert_eq!(alloc::format!("{:?}", super::EuiccSecretKey::from_bytes(&[1; 32]).unwrap()), "<secret>");
        assert!(alloc::format!("{id:?}").contains("<secret>"));
    }
}
