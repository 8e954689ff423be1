//! ES9+ requests as an LPA (or anyone on the network) sends them: any function name and any
//! body into the test SM-DP+'s `Es9Server::handle`. It never panics, every answer body is
//! JSON (or empty), and a refused request carries SGP.22 subject/reason codes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use veuicc::testkit::es9p::{Catalogue, Es9Server, PATH_PREFIX};
use veuicc::testkit::pki::default_pki;
use veuicc::testkit::smdp::SmdpKeys;

const FUNCTIONS: [&str; 6] = [
    "initiateAuthentication",
    "authenticateClient",
    "getBoundProfilePackage",
    "handleNotification",
    "cancelSession",
    "noSuchFunction",
];

/// One server for the whole run: sessions opened by one input are there for the next (the
/// session table is bounded by the server's limits).
static SERVER: OnceLock<Es9Server> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let server = SERVER.get_or_init(|| {
        Es9Server::new(SmdpKeys::from_pki(default_pki()), Some("smdp.veuicc.test"), Catalogue::default_test())
            .with_seed(1)
    });
    let Some((&f, body)) = data.split_first() else { return };
    let path = format!("{PATH_PREFIX}{}", FUNCTIONS[usize::from(f) % FUNCTIONS.len()]);
    let a = server.handle(&path, body);
    if a.body.is_empty() {
        return;
    }
    let v: serde_json::Value = serde_json::from_slice(&a.body).expect("every answer body is JSON");
    let status = &v["header"]["functionExecutionStatus"]["status"];
    if status == "Failed" {
        assert!(a.error_codes().is_some(), "a failure names its codes: {v}");
    }
});
