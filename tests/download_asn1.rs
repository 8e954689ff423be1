//! The download message types against golden DER produced by asn1tools from the
//! SGP.22 ASN.1 (an independent encoder): decode, re-encode, compare bytes.
//! Needs `VEUICC_SHARED`; without it the test says how to enable it and passes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

mod support;
use support::hex;

use veuicc::asn1::download::*;

fn round<T: rasn::Decode + rasn::Encode>(der: &[u8]) -> Vec<u8> {
    rasn::der::encode(&rasn::der::decode::<T>(der).unwrap()).unwrap()
}

#[test]
fn asn1tools_golden_download_types() {
    let Some(shared) = support::shared("check the asn1tools golden encodings") else {
        return;
    };
    let path = std::path::Path::new(&shared).join("spec/vectors/es10_der_examples.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut checked = vec![];
    for e in json["encodings"].as_array().unwrap() {
        let der = hex(e["der"].as_str().unwrap());
        let t = e["type"].as_str().unwrap();
        let again = match t {
            "ServerSigned1" => round::<ServerSigned1>(&der),
            "AuthenticateServerResponse" => round::<AuthenticateServerResponse>(&der),
            "SmdpSigned2" => round::<SmdpSigned2>(&der),
            "EUICCSigned2" => round::<EuiccSigned2>(&der),
            "PrepareDownloadResponse" => round::<PrepareDownloadResponse>(&der),
            "CancelSessionRequest" => round::<CancelSessionRequest>(&der),
            "CancelSessionResponse" => round::<CancelSessionResponse>(&der),
            "EuiccCancelSessionSigned" => round::<EuiccCancelSessionSigned>(&der),
            "InitialiseSecureChannelRequest" => round::<InitialiseSecureChannelRequest>(&der),
            "ConfigureISDPRequest" => round::<ConfigureIsdpRequest>(&der),
            "ReplaceSessionKeysRequest" => round::<ReplaceSessionKeysRequest>(&der),
            "StoreMetadataRequest" => round::<StoreMetadataRequest>(&der),
            "NotificationMetadata" => round::<NotificationMetadata>(&der),
            "ProfileInstallationResultData" => round::<ProfileInstallationResultData>(&der),
            "ProfileInstallationResult" => round::<ProfileInstallationResult>(&der),
            "CtxParams1" => {
                // python_value: matchingId "ABC", TAC 35290611, empty capabilities.
                ctx_params1(Some("ABC"), [0x35, 0x29, 0x06, 0x11])
            }
            _ => continue,
        };
        assert_eq!(again, der, "{t}");
        checked.push(t);
    }
    assert_eq!(checked.len(), 17, "{checked:?}");
}
