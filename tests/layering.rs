//! Architecture invariants, checked on the source text (rust-analyzer style:
//! "all code invariants are tested by tests").
//!
//! * Only `host`, `testkit` and the CLI name `std`.
//! * Only `store` writes `Storage` (no `.write(` / `.remove(` on storage elsewhere).
//! * Each core module uses only the modules below it (the table in ARCHITECTURE.md).
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

/// Which crate modules each core module may `use`.
const ALLOWED: &[(&str, &[&str])] = &[
    ("apdu", &[]),
    ("asn1", &[]),
    ("platform", &[]),
    ("scp03t", &[]),
    ("saip", &["asn1"]),
    ("config", &["platform"]),
    ("store", &["platform"]),
    ("crypto", &["asn1", "platform", "config"]),
    ("identity", &["crypto", "asn1", "platform", "config"]),
    ("sd", &["apdu", "asn1", "config", "crypto", "identity", "platform", "scp03t", "store", "sd"]),
    ("card", &["apdu", "asn1", "config", "crypto", "identity", "platform", "scp03t", "sd", "store"]),
];

#[test]
fn core_modules_do_not_name_std() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    rust_files(&src, &mut files);
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
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    rust_files(&src, &mut files);
    let mut violations = vec![];
    for f in &files {
        let m = module_of(&src, f);
        let Some((_, allowed)) = ALLOWED.iter().find(|(name, _)| *name == m) else { continue };
        let text = code(&fs::read_to_string(f).unwrap());
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let target: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if target != m && !allowed.contains(&target.as_str()) {
                violations.push(format!("{} uses crate::{target}", f.display()));
            }
        }
        // `use super::…` cannot leave the module except from its root file.
    }
    assert!(violations.is_empty(), "layering violations: {violations:#?}");
}

#[test]
fn only_store_writes_storage() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    rust_files(&src, &mut files);
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
