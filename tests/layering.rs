//! Architecture invariants, checked on the source text (rust-analyzer style:
//! "all code invariants are tested by tests").
//!
//! * Only `host`, `testkit` and the CLI name `std`.
//! * Only `store` writes `Storage` (no `.write(` / `.remove(` on storage elsewhere).
//! * Each core module uses only the modules below it (the table in ARCHITECTURE.md).
//! * The application boundary (`app`): applications (`sd`) never see a channel number or
//!   GET RESPONSE; `card` never parses ES10 or file-system data and reaches an application
//!   only through `app::App`.
//! * The card logic names no crypto crate: every primitive goes through
//!   `crypto::CryptoProvider` (the RustCrypto provider is the only place `p256`, `aes`,
//!   `cbc`, `cmac` and `sha2` appear, with documented exceptions; the aws-lc provider the
//!   only place `aws_lc_rs` does).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/` and every Rust file below it.
fn src_files() -> (PathBuf, Vec<PathBuf>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    rust_files(&src, &mut files);
    (src, files)
}

/// The top-level module a file belongs to (`src/sd/isdr/es10a.rs` → `sd`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_string()
}

/// Code lines only: drops `//` comments and the trailing test module (tests may use anything):
/// `#[cfg(test)]` or `#[cfg(all(test, …))]` followed by `mod tests`.
fn code(text: &str) -> String {
    let test_module = ["#[cfg(test)]\nmod tests", "#[cfg(all(test"]
        .iter()
        .filter_map(|m| text.find(m))
        .filter(|&i| text[i..].lines().nth(1).is_some_and(|l| l.starts_with("mod tests")))
        .min();
    let body = match test_module {
        Some(i) => &text[..i],
        None => text,
    };
    body.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// Which crate modules each core module may `use`. `crypto::provider` (the provider trait,
/// its byte types and the RustCrypto provider) is a leaf of its own: the platform hands one out.
const ALLOWED: &[(&str, &[&str])] = &[
    ("apdu", &[]),
    ("asn1", &[]),
    ("platform", &["crypto::provider"]),
    ("scp03t", &["asn1", "crypto::provider"]),
    ("saip", &["asn1"]),
    ("config", &["platform"]),
    ("store", &["platform"]),
    ("crypto", &["asn1", "platform", "config"]),
    ("identity", &["crypto", "asn1", "platform", "config"]),
    ("app", &["apdu", "config", "crypto", "identity", "platform", "store"]),
    ("mirror", &["asn1", "store"]),
    (
        "sd",
        &["apdu", "app", "asn1", "config", "crypto", "identity", "mirror", "platform", "saip", "scp03t", "store", "sd"],
    ),
    ("sim", &["apdu", "app", "asn1", "config", "crypto::provider", "mirror", "platform", "saip", "store"]),
    ("card", &["apdu", "app", "config", "crypto", "identity", "platform", "sd", "sim", "store"]),
];

#[test]
fn core_modules_do_not_name_std() {
    let (src, files) = src_files();
    let mut offenders = vec![];
    for f in &files {
        let m = module_of(&src, f);
        if ["host", "testkit", "bin", "lib"].contains(&m.as_str()) {
            continue;
        }
        let text = code(&fs::read_to_string(f).unwrap());
        if text.contains("std::") || text.contains("extern crate std") {
            offenders.push(f.display().to_string());
        }
    }
    assert!(offenders.is_empty(), "core files naming std: {offenders:?}");
}

#[test]
fn core_modules_respect_the_layering() {
    let (src, files) = src_files();
    let mut violations = vec![];
    for f in &files {
        let m = module_of(&src, f);
        let Some((_, allowed)) = ALLOWED.iter().find(|(name, _)| *name == m) else { continue };
        let text = code(&fs::read_to_string(f).unwrap());
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let mut target: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if target == "crypto" {
                let next: String = rest["crypto::".len().min(rest.len())..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let provider_items = [
                    "provider",
                    "rustcrypto",
                    "CryptoProvider",
                    "RUST_CRYPTO",
                    "RustCrypto",
                    "PublicKey",
                    "SecretScalar",
                ];
                if provider_items.contains(&next.as_str()) {
                    target = "crypto::provider".into();
                }
            }
            let allowed_crypto = target == "crypto::provider" && (m == "crypto" || allowed.contains(&"crypto"));
            if target != m && !allowed_crypto && !allowed.contains(&target.as_str()) {
                violations.push(format!("{} uses crate::{target}", f.display()));
            }
        }
        // `use super::…` cannot leave the module except from its root file.
    }
    assert!(violations.is_empty(), "layering violations: {violations:#?}");
}

/// Core files that may name a crypto crate, and why.
const CRYPTO_CRATE_USERS: &[(&str, &str)] = &[
    ("crypto/rustcrypto.rs", "the RustCrypto provider itself"),
    ("crypto/awslc.rs", "the aws-lc-rs provider itself (feature aws-lc)"),
    ("crypto/ecdsa.rs", "raw/DER signature conversions for the test kit and tools, not used by the card"),
    ("identity.rs", "decodes SEC1/PKCS#8 key files with p256's decoders; arithmetic is the provider's"),
    ("store/mod.rs", "SHA-256 record checksums: integrity against torn or corrupted files, not security"),
];

#[test]
fn card_logic_calls_crypto_only_through_the_provider() {
    let (src, files) = src_files();
    let mut offenders = vec![];
    for f in &files {
        let m = module_of(&src, f);
        if ["host", "testkit", "bin"].contains(&m.as_str()) {
            continue;
        }
        let rel = f.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
        if CRYPTO_CRATE_USERS.iter().any(|(file, _)| *file == rel) {
            continue;
        }
        let text = code(&fs::read_to_string(f).unwrap());
        for krate in ["p256", "aes", "cbc", "cmac", "sha2", "ecdsa", "elliptic_curve", "aws_lc_rs"] {
            if text.contains(&format!("{krate}::")) && !text.contains(&format!("crypto::{krate}::")) {
                offenders.push(format!("{rel} names {krate}"));
            }
        }
    }
    assert!(offenders.is_empty(), "crypto outside the provider: {offenders:?}");
}

#[test]
fn only_store_writes_storage() {
    let (src, files) = src_files();
    for f in &files {
        let m = module_of(&src, f);
        if ["store", "host", "testkit", "bin", "platform"].contains(&m.as_str()) {
            continue;
        }
        let text = code(&fs::read_to_string(f).unwrap());
        for needle in ["storage.write(", "storage.remove(", "storage().write(", "storage.flush("] {
            assert!(!text.contains(needle), "{} writes storage directly ({needle})", f.display());
        }
    }
}

/// Code lines of every file of a module (`sd`, `card`, …), with their paths relative to `src/`.
fn module_code(module: &str) -> Vec<(String, String)> {
    let (src, files) = src_files();
    files
        .iter()
        .filter(|f| module_of(&src, f) == module)
        .map(|f| {
            let rel = f.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
            (rel, code(&fs::read_to_string(f).unwrap()))
        })
        .collect()
}

/// `text` has `needle` not inside a longer identifier (`Cla`, not `Class`).
fn names(text: &str, needle: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(needle).any(|(i, _)| {
        let before = text[..i].chars().next_back().is_none_or(|c| !ident(c));
        let after = text[i + needle.len()..].chars().next().is_none_or(|c| !ident(c));
        before && (after || !needle.chars().last().is_some_and(ident))
    })
}

/// Applications see a command through `app::Command`, which has no channel: they never
/// name the wire-level command or class byte, a channel, GET RESPONSE or `61xx`. (The
/// download session's owner is a selection handle's byte, `Session::owner`.)
#[test]
fn applications_never_see_channels_or_get_response() {
    let mut offenders = vec![];
    for (file, text) in module_code("sd").into_iter().chain(module_code("app")) {
        for needle in
            ["CommandView", "Cla", "cla.", "cmd.channel", "command.channel", "0xC0", "MoreAvailable", "CHANNELS"]
        {
            // `app::Command::from_view` is where the channel is dropped.
            let allowed = file == "app.rs" && ["CommandView", "cla."].contains(&needle);
            if names(&text, needle) && !allowed {
                offenders.push(format!("{file} names {needle}"));
            }
        }
        if text.contains(".channel()") {
            offenders.push(format!("{file} asks for a channel"));
        }
    }
    // The boundary type itself: `Command` is made from a `CommandView` and keeps no channel.
    let app = module_code("app").into_iter().map(|(_, t)| t).collect::<String>();
    let command = &app[app.find("pub struct Command").unwrap()..];
    let command = &command[..command.find('}').unwrap()];
    assert!(!command.contains("channel") && !command.contains("cla"), "app::Command carries the channel: {command}");
    assert!(offenders.is_empty(), "applications seeing channels: {offenders:?}");
}

/// `card` owns channels, MANAGE CHANNEL, GET RESPONSE and SELECT by AID, and nothing past
/// them: no ES10 (STORE DATA, DER), no file-system commands or data. It reaches the ISD-R and
/// the ECASD only to register them.
#[test]
fn card_never_parses_es10_or_file_system_data() {
    let mut offenders = vec![];
    for (file, text) in module_code("card") {
        for needle in
            ["asn1", "Es10", "tlv", "saip", "rasn", "der::", "0xE2", "0xB0", "0xB2", "0xD6", "0xDC", "0x88", "0xF2"]
        {
            // MANAGE LSI's data objects are card-level (TS 102 221), like MANAGE CHANNEL's:
            // card/lsi.rs reads and writes those TLVs, and nothing else.
            if needle == "tlv" && file.ends_with("card/lsi.rs") {
                continue;
            }
            if text.contains(needle) {
                offenders.push(format!("{file} names {needle}"));
            }
        }
        for (i, _) in text.match_indices("crate::sd::") {
            let path: String =
                text[i..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
            if !["crate::sd::isdr::Isdr", "crate::sd::ecasd::Ecasd", "crate::sd::ecasd::ECASD_AID"]
                .contains(&path.as_str())
            {
                offenders.push(format!("{file} reaches into {path}"));
            }
        }
        if text.contains("Isdr::") && text.matches("Isdr::new(").count() != text.matches("Isdr::").count() {
            offenders.push(format!("{file} calls the ISD-R past the App trait"));
        }
    }
    assert!(offenders.is_empty(), "card past its boundary: {offenders:?}");
}
