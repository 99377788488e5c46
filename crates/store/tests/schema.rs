//! The two dialects build the same schema: the same migration files, and after migrating, the
//! same tables, columns (name, type family, nullability), unique keys and indexes.

use testkit::TestStore;

#[test]
fn both_dialects_have_the_same_migration_files() {
    let (sqlite, postgres) = store::migration_names();
    assert_eq!(sqlite, postgres);
    for dialect in ["sqlite", "postgres"] {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(dialect);
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .trim_end_matches(".sql")
                    .to_string()
            })
            .collect();
        on_disk.sort();
        assert_eq!(
            on_disk, sqlite,
            "{dialect}: every file is embedded, in order"
        );
    }
}

#[test]
fn migrated_schemas_are_the_same_on_both_backends() {
    let sqlite = TestStore::sqlite("schema").describe_schema().unwrap();
    assert!(
        sqlite.iter().any(|(t, k, d)| t == "channels"
            && k == "unique"
            && d == "community_id,<expr>,series_key"),
        "{sqlite:#?}"
    );
    let Some(pg) = TestStore::postgres("schema") else {
        return;
    };
    let postgres = pg.describe_schema().unwrap();
    let only = |a: &[(String, String, String)], b: &[(String, String, String)]| -> Vec<String> {
        a.iter()
            .filter(|x| !b.contains(x))
            .map(|(t, k, d)| format!("{t} {k} {d}"))
            .collect()
    };
    assert!(
        sqlite == postgres,
        "only in SQLite: {:#?}\nonly in PostgreSQL: {:#?}",
        only(&sqlite, &postgres),
        only(&postgres, &sqlite)
    );
}
