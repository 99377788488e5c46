//! Repository checks: layering (the pure crates stay pure) and module docs.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn dependencies(krate: &str) -> Vec<String> {
    let text =
        std::fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml")).unwrap();
    let manifest: toml::Table = toml::from_str(&text).unwrap();
    manifest
        .get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn pure_crates_know_no_outside_world() {
    const OUTSIDE: &[&str] = &[
        "tokio", "axum", "hyper", "rusqlite", "postgres", "sqlx", "ureq", "reqwest", "tracing",
        "store", "web", "app",
    ];
    for krate in ["domain", "analytics", "ingest"] {
        for dep in dependencies(krate) {
            assert!(
                !OUTSIDE.contains(&dep.as_str()),
                "{krate} must not depend on {dep}"
            );
        }
    }
    for dep in dependencies("store") {
        assert!(
            !["axum", "tokio", "web", "app"].contains(&dep.as_str()),
            "store must not depend on {dep}"
        );
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_file_says_what_it_is() {
    let mut files = Vec::new();
    rust_files(&root().join("crates"), &mut files);
    assert!(files.len() > 20);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            text.starts_with("//!"),
            "{} must open with a //! line",
            f.display()
        );
    }
}
