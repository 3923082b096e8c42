//! The layering that ARCHITECTURE.md promises, checked on every `cargo test`: the engine and
//! everything below it (routing, models, understanding, the domain) never name a platform,
//! HTTP, chart or storage-engine crate. Those belong to the adapters, the API and the store.

use std::path::{Path, PathBuf};

/// The layers that must stay free of I/O crates.
const PURE_LAYERS: [&str; 6] = ["engine", "routing", "models", "nlu", "sentiment", "domain"];

/// Crates the pure layers may not use: storage engines and drivers, chat platforms, HTTP.
const FORBIDDEN: [&str; 10] = [
    "sled",
    "sqlx",
    "tokio_postgres",
    "teloxide",
    "serenity",
    "axum",
    "hyper",
    "reqwest",
    "tower",
    "plotters",
];

/// Every `(line number, crate)` where `source` names a forbidden crate as a path root
/// (`use sled::…`, `sled::Db`, `extern crate sled`), comments skipped.
fn forbidden_uses(source: &str) -> Vec<(usize, &'static str)> {
    let mut found = Vec::new();
    for (n, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for krate in FORBIDDEN {
            let as_path = format!("{krate}::");
            let named = code.match_indices(&as_path).any(|(at, _)| {
                let before = code[..at].chars().next_back();
                // `crate::sled::x` or `my_sled::` are not the crate.
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
            }) || code.trim_start().starts_with(&format!("use {krate};"))
                || code.contains(&format!("extern crate {krate}"));
            if named {
                found.push((n + 1, krate));
            }
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_engine_and_the_layers_below_it_import_no_platform_http_or_storage_crate() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    let mut checked = 0;
    for layer in PURE_LAYERS {
        let mut files = Vec::new();
        rust_files(&src.join(layer), &mut files);
        for file in files {
            checked += 1;
            let text = std::fs::read_to_string(&file).unwrap();
            for (line, krate) in forbidden_uses(&text) {
                violations.push(format!("{}:{line} uses {krate}", file.display()));
            }
        }
    }
    assert!(
        checked > 30,
        "only {checked} files found under {}",
        src.display()
    );
    assert!(
        violations.is_empty(),
        "the pure layers must not import these crates (see ARCHITECTURE.md):\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_layer_check_sees_each_way_of_naming_a_crate() {
    assert_eq!(forbidden_uses("use sled::Db;"), vec![(1, "sled")]);
    assert_eq!(forbidden_uses("let db: sled::Db = x;"), vec![(1, "sled")]);
    assert_eq!(
        forbidden_uses("fn f() {}\nuse teloxide::prelude::*;"),
        vec![(2, "teloxide")]
    );
    assert_eq!(forbidden_uses("extern crate axum;"), vec![(1, "axum")]);
    assert_eq!(forbidden_uses("    use serenity;"), vec![(1, "serenity")]);
    assert!(forbidden_uses("// sled::Db is the store's").is_empty());
    assert!(forbidden_uses("use crate::store::sled::Tree;").is_empty());
    assert!(forbidden_uses("let disabled::x = 1;").is_empty());
}
