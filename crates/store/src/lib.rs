//! Persistence for Voisins: one concrete [`Store`] over two backends, SQLite (embedded default,
//! one file in WAL mode) and PostgreSQL, behaving the same and passing the same contract test.
//!
//! Every use case runs in one transaction: `store.write(|tx| …)` or `store.read(|tx| …)`, and
//! reaches the tables through one repository per aggregate (`tx.members()`, `tx.points()`,
//! `tx.intervals()`, …; see `repo/`). When `write` returns `Ok`, everything it did is
//! committed and durable. Errors carry a [`ErrorKind`].
//!
//! Main types: [`Store`], [`Tx`], [`StoreSettings`], [`StoreError`]. The raw chunk codec is in
//! [`encoding::chunks`], the quarter-hour day blocks in [`encoding::days`].

mod backend;
pub mod encoding;
mod error;
mod migrations;
mod repo;

use std::path::Path;

use backend::postgres::PgBackend;
use backend::sqlite::{SqliteBackend, SqliteConn};
use backend::{lock, Sql};
use domain::limits::PowerLimits;

pub use error::{ErrorKind, Result, StoreError};
pub use migrations::names as migration_names;
pub use repo::audit::{Audit, AuditEntry, NewAuditEntry};
pub use repo::auth::{
    AccountLink, AccountLinks, LinkPurpose, NewUser, Session, Sessions, Tokens, Users,
};
pub use repo::channels::{Channels, NewChannel};
pub use repo::communities::Communities;
pub use repo::groups::Groups;
pub use repo::intervals::Intervals;
pub use repo::members::Members;
pub use repo::meters::Meters;
pub use repo::points::{Points, WriteSummary};
pub use repo::secrets::Secrets;
pub use repo::totals::{SlotTotal, Totals};

/// Tunables of the store, from the `[store]` section of the configuration.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    /// Raw points older than this are deleted by [`Points::prune`]; `None` keeps them.
    pub raw_retention_days: Option<u32>,
    /// SQLite page cache per connection, in KiB.
    pub sqlite_cache_kib: u32,
    /// Read connections (both backends).
    pub readers: usize,
    /// PostgreSQL write connections (SQLite has one writer).
    pub pg_writers: usize,
    /// Check a SQLite file's pages when opening it.
    pub check_at_open: bool,
    /// Physical limits: a counter rising faster than its channel's limit is a discontinuity.
    pub limits: PowerLimits,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            raw_retention_days: None,
            sqlite_cache_kib: 4 * 1024,
            readers: 4,
            pg_writers: 4,
            check_at_open: true,
            limits: PowerLimits::default(),
        }
    }
}

enum Backend {
    Sqlite(SqliteBackend),
    Postgres(PgBackend),
}

/// The store. Cheap to share behind an `Arc`; every method blocks (async code calls it on a
/// bounded pool of blocking threads).
pub struct Store {
    backend: Backend,
    settings: StoreSettings,
}

/// One transaction, read-only or read-write; its repositories are the only way to the tables.
pub struct Tx<'c> {
    db: &'c mut dyn Sql,
    settings: &'c StoreSettings,
    writable: bool,
}

impl<'c> Tx<'c> {
    pub fn communities(&mut self) -> Communities<'_, 'c> {
        Communities(self)
    }
    pub fn members(&mut self) -> Members<'_, 'c> {
        Members(self)
    }
    pub fn meters(&mut self) -> Meters<'_, 'c> {
        Meters(self)
    }
    pub fn groups(&mut self) -> Groups<'_, 'c> {
        Groups(self)
    }
    pub fn channels(&mut self) -> Channels<'_, 'c> {
        Channels(self)
    }
    pub fn points(&mut self) -> Points<'_, 'c> {
        Points(self)
    }
    pub fn intervals(&mut self) -> Intervals<'_, 'c> {
        Intervals(self)
    }
    pub fn totals(&mut self) -> Totals<'_, 'c> {
        Totals(self)
    }
    pub fn users(&mut self) -> Users<'_, 'c> {
        Users(self)
    }
    pub fn sessions(&mut self) -> Sessions<'_, 'c> {
        Sessions(self)
    }
    pub fn tokens(&mut self) -> Tokens<'_, 'c> {
        Tokens(self)
    }
    pub fn account_links(&mut self) -> AccountLinks<'_, 'c> {
        AccountLinks(self)
    }
    pub fn secrets(&mut self) -> Secrets<'_, 'c> {
        Secrets(self)
    }
    pub fn audit(&mut self) -> Audit<'_, 'c> {
        Audit(self)
    }

    pub fn settings(&self) -> &StoreSettings {
        self.settings
    }

    /// Refuses a write in a read transaction (a bug, not a user error).
    pub(crate) fn writing(&mut self) -> Result<&mut dyn Sql> {
        if !self.writable {
            return Err(StoreError::internal(
                "write attempted in a read transaction",
            ));
        }
        Ok(&mut *self.db)
    }

    pub(crate) fn db(&mut self) -> &mut dyn Sql {
        &mut *self.db
    }
}

impl Store {
    /// Opens (creating if needed) the SQLite store at `path`. An empty, foreign or damaged file
    /// is refused with a message saying what to do.
    pub fn open_sqlite(path: &Path, settings: StoreSettings) -> Result<Store> {
        Ok(Store {
            backend: Backend::Sqlite(backend::sqlite::open(path, &settings)?),
            settings,
        })
    }

    /// Connects to PostgreSQL (`postgres://…` or `host=… user=…`). With `schema`, every table
    /// lives in that schema (created if needed), which keeps tests and tenants apart.
    pub fn open_postgres(
        url: &str,
        schema: Option<&str>,
        settings: StoreSettings,
    ) -> Result<Store> {
        Ok(Store {
            backend: Backend::Postgres(backend::postgres::open(url, schema, &settings)?),
            settings,
        })
    }

    /// Opens `sqlite:PATH` or a PostgreSQL URL.
    pub fn open(url: &str, settings: StoreSettings) -> Result<Store> {
        if let Some(path) = url.strip_prefix("sqlite:") {
            Store::open_sqlite(Path::new(path), settings)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Store::open_postgres(url, None, settings)
        } else {
            Err(StoreError::invalid(format!(
                "store url '{url}': expected sqlite:PATH or postgres://…"
            )))
        }
    }

    /// Drops a PostgreSQL schema and everything in it.
    pub fn drop_postgres_schema(url: &str, schema: &str) -> Result<()> {
        backend::postgres::drop_schema(url, schema)
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    pub fn settings(&self) -> &StoreSettings {
        &self.settings
    }

    /// Runs `f` in one write transaction, committed when `f` returns `Ok`. A transaction that
    /// collides with another (deadlock, serialization failure, busy file) is run again, up to
    /// four times, so `f` may run more than once and must not have effects outside `tx`.
    pub fn write<T>(&self, mut f: impl FnMut(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let mut attempt = 0;
        loop {
            match self.write_once(&mut f) {
                Err(e) if e.is_retryable() && attempt < 4 => {
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_millis(5 << attempt));
                }
                other => return other,
            }
        }
    }

    fn write_once<T>(&self, f: &mut impl FnMut(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        match &self.backend {
            Backend::Sqlite(b) => {
                let mut conn = lock(&b.writer);
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let out = f(&mut Tx {
                    db: &mut SqliteConn(&tx),
                    settings: &self.settings,
                    writable: true,
                })?;
                tx.commit()?;
                Ok(out)
            }
            Backend::Postgres(b) => {
                let mut loan = backend::postgres::begin_usable(&b.writers)?;
                let mut tx = loan.conn().begin(false)?;
                let out = f(&mut Tx {
                    db: &mut tx,
                    settings: &self.settings,
                    writable: true,
                })?;
                tx.tx.commit()?;
                Ok(out)
            }
        }
    }

    /// Runs `f` on a read connection, in a consistent snapshot.
    pub fn read<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        match &self.backend {
            Backend::Sqlite(b) => {
                let mut loan = b.readers.get()?;
                let conn = loan.conn();
                let tx = conn.unchecked_transaction()?;
                let out = f(&mut Tx {
                    db: &mut SqliteConn(&tx),
                    settings: &self.settings,
                    writable: false,
                });
                tx.finish()?;
                out
            }
            Backend::Postgres(b) => {
                let mut loan = backend::postgres::begin_usable(&b.readers)?;
                let mut tx = loan.conn().begin(true)?;
                let out = f(&mut Tx {
                    db: &mut tx,
                    settings: &self.settings,
                    writable: false,
                })?;
                tx.tx.commit()?;
                Ok(out)
            }
        }
    }

    /// Folds the SQLite write-ahead log into the database file (no-op on PostgreSQL).
    pub fn checkpoint(&self) -> Result<()> {
        if let Backend::Sqlite(b) = &self.backend {
            lock(&b.writer).execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
        }
        Ok(())
    }

    /// The schema as the database describes it, for the parity test of the two dialects:
    /// `(table, kind, description)` rows where kind is `column`, `unique` or `index`.
    pub fn describe_schema(&self) -> Result<Vec<(String, String, String)>> {
        self.read(repo::schema::describe)
    }
}
