//! Building a Bound Profile Package (SGP.22 v2.5 §2.5.5, `scp03t.md`): the sender's side of
//! what `sd::isdp::BppLoader` reads. Two senders use it: the test SM-DP+
//! (`testkit::smdp`, signing InitialiseSecureChannel with SK.DPpb) and a primary card
//! exporting a mirror package (`sd::isdr::mirror`, signing it with SK.EUICC). Every
//! primitive goes through the [`CryptoProvider`]; the session keys are the caller's
//! ([`SessionKeys::derive`] over the ECKA shared secret, zeroized on drop).
//!
//! ```text
//! BF36 { BF23 InitialiseSecureChannel
//!        A0 { 87 ConfigureISDP }            (encrypted, MACed)
//!        A1 { 88 … StoreMetadata }           (MACed, 1000-byte chunks)
//!        A2 { 87 ReplaceSessionKeys }?       (encrypted, MACed; PPKs from here on)
//!        A3 { 86 … profile elements } }      (encrypted, MACed, 1007-byte chunks)
//! ```

use crate::asn1::download::ReplaceSessionKeysRequest;
use crate::asn1::tlv::tlv;
use crate::crypto::CryptoProvider;
use crate::scp03t::{Bsp, Error, SessionKeys};
use alloc::vec::Vec;

/// StoreMetadata is cut into segments of at most this many bytes.
pub const METADATA_CHUNK: usize = 1000;
/// The profile package is cut into segments of at most this many bytes.
pub const PROFILE_CHUNK: usize = 1007;

/// The BPP in the pieces an LPA sends as separate ES10b.LoadBoundProfilePackage commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bpp {
    /// `BF23` InitialiseSecureChannel TLV.
    pub initialise_secure_channel: Vec<u8>,
    /// `A0 { 87 }`.
    pub configure_isdp: Vec<u8>,
    /// The `88` segments of `A1`.
    pub store_metadata: Vec<Vec<u8>>,
    /// `A2 { 87 }` (ReplaceSessionKeys), if any.
    pub replace_session_keys: Option<Vec<u8>>,
    /// The `86` segments of `A3`.
    pub profile_elements: Vec<Vec<u8>>,
}

fn header(tag: &[u8], len: usize) -> Vec<u8> {
    let mut out = tag.to_vec();
    crate::asn1::tlv::push_len(&mut out, len);
    out
}

impl Bpp {
    fn a1_len(&self) -> usize {
        self.store_metadata.iter().map(Vec::len).sum()
    }

    fn a3_len(&self) -> usize {
        self.profile_elements.iter().map(Vec::len).sum()
    }

    fn body_len(&self) -> usize {
        self.initialise_secure_channel.len()
            + self.configure_isdp.len()
            + header(&[0xA1], self.a1_len()).len()
            + self.a1_len()
            + self.replace_session_keys.as_ref().map_or(0, Vec::len)
            + header(&[0xA3], self.a3_len()).len()
            + self.a3_len()
    }

    /// The whole `BF36` TLV.
    pub fn der(&self) -> Vec<u8> {
        let mut body = self.initialise_secure_channel.clone();
        body.extend(&self.configure_isdp);
        body.extend(header(&[0xA1], self.a1_len()));
        self.store_metadata.iter().for_each(|s| body.extend(s));
        body.extend(self.replace_session_keys.iter().flatten());
        body.extend(header(&[0xA3], self.a3_len()));
        self.profile_elements.iter().for_each(|s| body.extend(s));
        tlv(&[0xBF, 0x36], &body)
    }

    /// The ES10b commands as lpac cuts them (`es10b_load_bound_profile_package`):
    /// BF36 header + BF23; A0; A1 header; each 88; A2; A3 header; each 86.
    pub fn lpac_commands(&self) -> Vec<Vec<u8>> {
        let mut first = header(&[0xBF, 0x36], self.body_len());
        first.extend(&self.initialise_secure_channel);
        let mut out = alloc::vec![first, self.configure_isdp.clone(), header(&[0xA1], self.a1_len())];
        out.extend(self.store_metadata.iter().cloned());
        out.extend(self.replace_session_keys.iter().cloned());
        out.push(header(&[0xA3], self.a3_len()));
        out.extend(self.profile_elements.iter().cloned());
        out
    }
}

/// What InitialiseSecureChannel (`BF23`) says, before it is signed.
#[derive(Debug, Clone, Copy)]
pub struct Channel<'a> {
    /// `remoteOpId` (installBoundProfilePackage is 1).
    pub remote_op_id: u8,
    /// `transactionId`.
    pub transaction_id: &'a [u8],
    /// The CRT's key length (`81`, 16 for AES-128).
    pub key_len: u8,
    /// The CRT's host id (`84`).
    pub host_id: &'a [u8],
    /// The sender's one-time public key as sent (`5F49`: otPK.DP.ECKA, or the primary's).
    pub sender_ot_pk: &'a [u8],
}

impl Channel<'_> {
    /// The content of `BF23` without its signature: `82 remoteOpId ‖ 80 tid ‖ A6 CRT ‖ 5F49 otPK`.
    pub fn content(&self) -> Vec<u8> {
        let mut crt = tlv(&[0x80], &[0x88]);
        crt.extend(tlv(&[0x81], &[self.key_len]));
        crt.extend(tlv(&[0x84], self.host_id));
        let mut content = tlv(&[0x82], &[self.remote_op_id]);
        content.extend(tlv(&[0x80], self.transaction_id));
        content.extend(tlv(&[0xA6], &crt));
        content.extend(tlv(&[0x5F, 0x49], self.sender_ot_pk));
        content
    }
}

/// What `smdpSign` covers (SGP.22 v2.5 §5.5.1): the `BF23` content without its signature,
/// then `5F49 ‖ otPK.EUICC.ECKA` of the receiving card.
pub fn channel_signed_part(content: &[u8], receiver_ot_pk: &[u8]) -> Vec<u8> {
    let mut msg = content.to_vec();
    msg.extend(tlv(&[0x5F, 0x49], receiver_ot_pk));
    msg
}

/// The `BF23` TLV: `content ‖ 5F37 signature`.
pub fn initialise_secure_channel(content: &[u8], signature: &[u8]) -> Vec<u8> {
    let mut content = content.to_vec();
    content.extend(tlv(&[0x5F, 0x37], signature));
    tlv(&[0xBF, 0x23], &content)
}

/// What the secure channel carries after InitialiseSecureChannel.
#[derive(Debug, Clone, Copy)]
pub struct Contents<'a> {
    /// The DER of ConfigureISDP (`BF24`).
    pub configure_isdp: &'a [u8],
    /// The DER of StoreMetadata (`BF25`).
    pub store_metadata: &'a [u8],
    /// PPK keys `[initialMacChainingValue, ppkEnc, ppkCmac]` for ReplaceSessionKeys, if any.
    pub replace_session_keys: Option<&'a [[u8; 16]; 3]>,
    /// The profile package (profile elements), delivered as is.
    pub profile_package: &'a [u8],
    /// The tag of the first profile-element segment (`86`; a test may ask for another).
    pub first_segment_tag: u8,
}

/// Protects `contents` under `keys` after the signed `isc`: the BPP in its pieces.
pub fn bind(
    crypto: &'static dyn CryptoProvider,
    keys: &SessionKeys,
    isc: Vec<u8>,
    contents: &Contents<'_>,
) -> Result<Bpp, Error> {
    let mut bsp = Bsp::new(crypto, keys);
    let configure_isdp = tlv(&[0xA0], &bsp.wrap(0x87, contents.configure_isdp, true)?);
    let mut store_metadata = Vec::new();
    for chunk in contents.store_metadata.chunks(METADATA_CHUNK) {
        store_metadata.push(bsp.wrap(0x88, chunk, false)?);
    }
    let replace_session_keys = match contents.replace_session_keys {
        Some([mcv, enc, mac]) => {
            let rsk =
                rasn::der::encode(&ReplaceSessionKeysRequest::new(*mcv, *enc, *mac)).map_err(|_| Error::Structure)?;
            let rsk = zeroize::Zeroizing::new(rsk);
            let seg = tlv(&[0xA2], &bsp.wrap(0x87, &rsk, true)?);
            bsp.replace_keys(&SessionKeys::new(*enc, *mac, *mcv));
            Some(seg)
        }
        None => None,
    };
    let mut profile_elements = Vec::new();
    for (i, chunk) in contents.profile_package.chunks(PROFILE_CHUNK).enumerate() {
        let tag = if i == 0 { contents.first_segment_tag } else { 0x86 };
        profile_elements.push(bsp.wrap(tag, chunk, true)?);
    }
    Ok(Bpp { initialise_secure_channel: isc, configure_isdp, store_metadata, replace_session_keys, profile_elements })
}
