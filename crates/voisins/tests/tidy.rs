//! Repository checks: the layering as an allow-list of workspace dependencies, the invariants
//! about absence ("SQL only in store", "spawn only in runtime", "no wall clock outside the
//! clock", "app opens no socket"), and module docs.

use std::collections::BTreeMap;
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

const WORKSPACE: &[&str] = &[
    "domain",
    "analytics",
    "ingest",
    "store",
    "app",
    "runtime",
    "sim",
    "web",
    "testkit",
    "voisins",
];

#[test]
fn crates_depend_only_on_what_the_map_allows() {
    let allowed: BTreeMap<&str, &[&str]> = BTreeMap::from([
        ("domain", &[][..]),
        ("analytics", &["domain"][..]),
        ("ingest", &["domain"][..]),
        ("store", &["domain", "analytics"][..]),
        ("app", &["domain", "analytics", "ingest", "store"][..]),
        ("runtime", &[][..]),
        ("sim", &["domain", "store", "app"][..]),
        ("web", &["domain", "ingest", "app", "runtime"][..]),
        ("testkit", &["domain", "store", "app"][..]),
        (
            "voisins",
            &["domain", "store", "ingest", "app", "web", "runtime", "sim"][..],
        ),
    ]);
    let outside: BTreeMap<&str, &[&str]> = BTreeMap::from([
        (
            "domain",
            &[
                "tokio", "axum", "hyper", "rusqlite", "postgres", "ureq", "tracing",
            ][..],
        ),
        (
            "analytics",
            &[
                "tokio", "axum", "hyper", "rusqlite", "postgres", "ureq", "tracing", "jiff",
            ][..],
        ),
        (
            "ingest",
            &[
                "tokio", "axum", "hyper", "rusqlite", "postgres", "ureq", "tracing",
            ][..],
        ),
        ("store", &["tokio", "axum", "hyper", "ureq"][..]),
        (
            "app",
            &["tokio", "axum", "hyper", "ureq", "rusqlite", "postgres"][..],
        ),
        ("web", &["rusqlite", "postgres", "ureq"][..]),
    ]);
    let mut dirs: Vec<String> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut known: Vec<String> = WORKSPACE.iter().map(|s| s.to_string()).collect();
    known.sort();
    assert_eq!(dirs, known, "every crate has a place in the map");
    let architecture = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    for krate in WORKSPACE {
        assert!(
            architecture.contains(&format!("`crates/{krate}`")),
            "ARCHITECTURE.md's code map names crates/{krate}"
        );
    }
    for (krate, ok) in &allowed {
        for dep in dependencies(krate) {
            if WORKSPACE.contains(&dep.as_str()) {
                assert!(
                    ok.contains(&dep.as_str()),
                    "{krate} must not depend on {dep}"
                );
            }
            if let Some(forbidden) = outside.get(krate) {
                assert!(
                    !forbidden.contains(&dep.as_str()),
                    "{krate} must not depend on {dep}"
                );
            }
        }
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

/// Product source files (not tests, not the dev-only testkit), with their crate.
fn product_sources() -> Vec<(String, PathBuf, String)> {
    let mut out = Vec::new();
    for krate in WORKSPACE.iter().filter(|k| **k != "testkit") {
        let mut files = Vec::new();
        rust_files(&root().join("crates").join(krate).join("src"), &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            // Unit tests at the bottom of a file are not product code.
            let code = text.split("#[cfg(test)]").next().unwrap_or("").to_string();
            out.push((krate.to_string(), f, code));
        }
    }
    out
}

fn offenders(patterns: &[&str], allowed: impl Fn(&str, &Path) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    for (krate, path, code) in product_sources() {
        if allowed(&krate, &path) {
            continue;
        }
        for (n, line) in code.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for p in patterns {
                if line.contains(p) {
                    found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    found
}

#[test]
fn sql_lives_only_in_the_store() {
    let found = offenders(
        &[
            "\"SELECT ",
            "\"INSERT INTO",
            "\"UPDATE ",
            "\"DELETE FROM",
            "CREATE TABLE",
            "\"ALTER TABLE",
        ],
        |krate, _| krate == "store",
    );
    assert!(
        found.is_empty(),
        "SQL outside crates/store:\n{}",
        found.join("\n")
    );
}

#[test]
fn only_the_runtime_spawns() {
    let found = offenders(
        &[
            "tokio::spawn",
            "task::spawn",
            "thread::spawn",
            "spawn_blocking",
            "JoinSet",
            "s.spawn(",
            "scope.spawn(",
        ],
        // The benchmark's load clients are not the product's tasks.
        |krate, path| krate == "runtime" || path.ends_with("voisins/src/bench.rs"),
    );
    assert!(
        found.is_empty(),
        "spawning outside crates/runtime:\n{}",
        found.join("\n")
    );
}

#[test]
fn nothing_but_the_clock_reads_the_wall_clock() {
    let found = offenders(
        &[
            "Timestamp::now",
            "SystemTime::now",
            "Utc::now",
            "Local::now",
            "Zoned::now",
        ],
        |_, path| path.ends_with("app/src/ports.rs"),
    );
    assert!(
        found.is_empty(),
        "wall clock read outside app::ports:\n{}",
        found.join("\n")
    );
}

#[test]
fn app_never_opens_a_socket_nor_sleeps() {
    let found = offenders(
        &[
            "TcpStream",
            "TcpListener",
            "UdpSocket",
            "thread::sleep",
            "ureq::",
        ],
        |krate, _| krate != "app",
    );
    assert!(
        found.is_empty(),
        "app reaching outside:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_file_says_what_it_is() {
    let mut files = Vec::new();
    rust_files(&root().join("crates"), &mut files);
    assert!(files.len() > 40);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            text.starts_with("//!"),
            "{} must open with a //! line",
            f.display()
        );
    }
}
