//! Every byte of each signed message of the pairing flipped in turn — the SignedMirrorToken
//! BeginMirror checks, the SignedMirrorRequest ExportMirror checks, the signed
//! ProfileInstallationResult ConfirmMirror checks — is refused, and nothing the card stores
//! changes; the genuine message then goes through. Also: a token used twice (its request
//! replayed), and the mirror package relayed to a third card.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

mod support;

use support::mirror::{FULL, eid_of, primary_with, secondary_n, token_req};
use veuicc::mirror::asn::*;
use veuicc::testkit::mirror::{self, MirrorError, Step};
use veuicc::testkit::{ClientError, Es10Client, TestCard};

/// The length of the outermost TLV header of `der` (tag, length).
fn header_len(der: &[u8]) -> usize {
    let tag = if der[0] & 0x1F == 0x1F { 2 } else { 1 };
    let l = der[tag];
    tag + if l < 0x80 { 1 } else { 1 + usize::from(l & 0x7F) }
}

/// Sends `der` with byte `i` (past the request's own header) flipped: `Err` for a status word,
/// else the answer. The card's stored state must not change.
fn flipped_each<F: FnMut(&[u8]) -> Result<Vec<u8>, ClientError>>(
    der: &[u8],
    mut send: F,
    refused: impl Fn(&[u8]) -> bool,
) {
    for i in header_len(der)..der.len() {
        let mut bad = der.to_vec();
        bad[i] ^= 0x01;
        if let Ok(answer) = send(&bad) {
            assert!(refused(&answer), "byte {i} flipped was accepted: {}", support::hexs(&answer));
        }
    }
}

fn mirror_error_of(answer: &[u8]) -> Option<u8> {
    // Each response is a CHOICE whose error alternative is `mirrorError` (an INTEGER); the
    // success alternatives are constructed: a primitive INTEGER under the response tag is a refusal.
    let body = &answer[header_len(answer)..];
    (body.first().is_some_and(|t| t & 0x20 == 0)).then(|| *body.last().unwrap())
}

#[test]
fn every_flipped_byte_of_the_pairings_signed_messages_is_refused() {
    let mut primary = primary_with(FULL);
    let mut secondary = secondary_n(1);
    let stored = |card: &TestCard| card.0.state().clone();

    // BeginMirror: the token (MirrorToken, signature, both certificates).
    let token = {
        let mut p = Es10Client::open(&mut primary).unwrap();
        let t = mirror::issue(&mut p, &token_req(3600, Some(eid_of(&secondary)))).unwrap();
        p.close().unwrap();
        t
    };
    let begin = rasn::der::encode(&BeginMirrorRequest { signed_mirror_token: token.clone() }).unwrap();
    let before = stored(&secondary);
    {
        let mut s = Es10Client::open(&mut secondary).unwrap();
        flipped_each(&begin, |der| s.store_data(der), |a| mirror_error_of(a).is_some());
        s.close().unwrap();
    }
    assert_eq!(stored(&secondary), before, "a refused BeginMirror changed the secondary");

    // ExportMirror: the secondary's signed request. Begin and the install share one channel.
    let mut s = Es10Client::open(&mut secondary).unwrap();
    let request = mirror::begin(&mut s, &token).unwrap();
    let export = rasn::der::encode(&ExportMirrorRequest { signed_mirror_request: request.clone() }).unwrap();
    let before = stored(&primary);
    {
        let mut p = Es10Client::open(&mut primary).unwrap();
        flipped_each(&export, |der| p.store_data(der), |a| mirror_error_of(a).is_some());
        p.close().unwrap();
    }
    assert_eq!(stored(&primary), before, "a refused ExportMirror changed the primary");
    let bpp = {
        let mut p = Es10Client::open(&mut primary).unwrap();
        let bpp = mirror::export(&mut p, &request).unwrap();
        // The same request again: the token is used.
        assert_eq!(
            mirror::export(&mut p, &request),
            Err(MirrorError::Refused(Step::Export, MirrorResult::TokenAlreadyRedeemed.value()))
        );
        p.close().unwrap();
        bpp
    };
    // The package relayed to a third card: it has no mirror session (and no key it was bound
    // to), so its install fails and the card keeps nothing.
    let mut third = secondary_n(2);
    {
        let mut t = Es10Client::open(&mut third).unwrap();
        assert!(mirror::install(&mut t, &bpp).is_err());
        t.close().unwrap();
    }
    assert!(third.0.state().profiles.is_empty());
    let (pir, _) = mirror::install(&mut s, &bpp).unwrap();
    s.close().unwrap();

    // ConfirmMirror: the signed PIR.
    let confirm = rasn::der::encode(&ConfirmMirrorRequest { profile_installation_result: pir.clone().into() }).unwrap();
    let before = stored(&primary);
    {
        let mut p = Es10Client::open(&mut primary).unwrap();
        flipped_each(&confirm, |der| p.store_data(der), |a| mirror_error_of(a).is_some());
        p.close().unwrap();
    }
    assert_eq!(stored(&primary), before, "a refused ConfirmMirror changed the primary");
    let mut p = Es10Client::open(&mut primary).unwrap();
    assert_eq!(mirror::confirm(&mut p, &pir).map(|l| l.state), Ok(link_state::ACTIVE));
    p.close().unwrap();
}
