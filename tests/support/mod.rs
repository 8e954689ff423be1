//! Helpers shared by the integration tests (`mod support;` in each test file).
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

use std::process::Command;

/// Bytes from hex, ignoring white space (test data is written readably).
pub(crate) fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// Runs the `veuicc` binary: (exit code, stdout, stderr).
pub(crate) fn veuicc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_veuicc")).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}
