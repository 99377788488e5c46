//! The migrations, numbered files per dialect under `migrations/`, embedded in the binary. Both
//! lists describe the same tables (checked by `tests/schema.rs`); only types differ.

/// One migration: its file name and its SQL.
pub(crate) struct Migration {
    pub name: &'static str,
    pub sql: &'static str,
}

macro_rules! migrations {
    ($dialect:literal: $($name:literal),+ $(,)?) => {
        &[$(Migration {
            name: $name,
            sql: include_str!(concat!("../migrations/", $dialect, "/", $name, ".sql")),
        }),+]
    };
}

/// SQLite migrations; the position in the list + 1 is the schema version (`user_version`).
pub(crate) const SQLITE: &[Migration] = migrations!("sqlite":
    "0001_initial",
    "0002_per_meter_series_and_sources",
    "0003_audit_log",
    "0004_accounts",
    "0005_on_change_sampling",
);

/// PostgreSQL migrations; same names and versions as [`SQLITE`].
pub(crate) const POSTGRES: &[Migration] = migrations!("postgres":
    "0001_initial",
    "0002_per_meter_series_and_sources",
    "0003_audit_log",
    "0004_accounts",
    "0005_on_change_sampling",
);

/// The migration names, for the test that checks both dialects have the same files.
pub fn names() -> (Vec<&'static str>, Vec<&'static str>) {
    (
        SQLITE.iter().map(|m| m.name).collect(),
        POSTGRES.iter().map(|m| m.name).collect(),
    )
}
