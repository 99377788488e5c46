//! SQLite: one file in WAL mode with `synchronous = FULL`, one writer connection, a bounded pool
//! of read-only connections. At start the file is checked: an empty file, a file that is not a
//! database, or a damaged one is refused with a message saying what to do.

use std::path::Path;
use std::sync::{Arc, Mutex};

use super::{Connection, Dialect, Pool, Row, Sql, Value};
use crate::{migrations, Result, StoreError, StoreSettings};

/// Marks a file as a Voisins store (`PRAGMA application_id`, "Vois").
const APPLICATION_ID: i64 = 0x566f_6973;

pub(crate) struct SqliteBackend {
    pub writer: Mutex<rusqlite::Connection>,
    pub readers: Pool<rusqlite::Connection>,
}

impl Connection for rusqlite::Connection {
    fn is_broken(&mut self) -> bool {
        false
    }
}

/// A SQLite connection or transaction speaking [`Sql`].
pub(crate) struct SqliteConn<'a>(pub &'a rusqlite::Connection);

impl Sql for SqliteConn<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let mut stmt = self.0.prepare_cached(sql)?;
        Ok(stmt.execute(rusqlite::params_from_iter(params.iter()))? as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        use rusqlite::types::ValueRef;
        let mut stmt = self.0.prepare_cached(sql)?;
        let names: Arc<[Box<str>]> = stmt.column_names().into_iter().map(Box::from).collect();
        let columns = names.len();
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(match row.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::I64(v),
                    ValueRef::Real(v) => Value::F64(v),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                });
            }
            out.push(Row::new(names.clone(), values));
        }
        Ok(out)
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::I64(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::F64(v) => ToSqlOutput::Borrowed(ValueRef::Real(*v)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

fn connect(path: &Path, settings: &StoreSettings, read_only: bool) -> Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path).map_err(|e| explain(path, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    conn.execute_batch(&format!(
        "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -{}; PRAGMA temp_store = MEMORY;{}",
        settings.sqlite_cache_kib,
        if read_only {
            " PRAGMA query_only = ON;"
        } else {
            ""
        }
    ))
    .map_err(|e| explain(path, e))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// A store-level error about the file itself, saying what to do.
fn explain(path: &Path, e: rusqlite::Error) -> StoreError {
    let err = StoreError::from(e);
    match err.kind() {
        crate::ErrorKind::Corrupt => StoreError::corrupt(format!(
            "{} cannot be used: {}. Restore it from a backup; `sqlite3 {} .recover` can rescue \
             what is still readable.",
            path.display(),
            err.message(),
            path.display()
        )),
        _ => StoreError::new(err.kind(), format!("{}: {}", path.display(), err.message())),
    }
}

/// Opens (creating if needed) the store at `path`, checks it and migrates it.
pub(crate) fn open(path: &Path, settings: &StoreSettings) -> Result<SqliteBackend> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::unavailable(format!("cannot create {}: {e}", dir.display()))
        })?;
    }
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_dir() {
            return Err(StoreError::invalid(format!(
                "{} is a directory, not a store file",
                path.display()
            )));
        }
        if meta.len() == 0 {
            return Err(StoreError::corrupt(format!(
                "{} is empty (0 bytes), so it is not a Voisins store. Remove it to start a new, \
                 empty store, or restore the store from a backup.",
                path.display()
            )));
        }
    }
    let writer = connect(path, settings, false)?;
    check(path, &writer, settings)?;
    migrate(path, &writer)?;
    let (reader_path, reader_settings) = (path.to_path_buf(), settings.clone());
    Ok(SqliteBackend {
        writer: Mutex::new(writer),
        readers: Pool::new(
            settings.readers,
            std::time::Duration::from_secs(30),
            move || connect(&reader_path, &reader_settings, true),
        ),
    })
}

fn check(path: &Path, conn: &rusqlite::Connection, settings: &StoreSettings) -> Result<()> {
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(|e| explain(path, e))?;
    let app_id: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if tables > 0 && app_id != APPLICATION_ID && !(app_id == 0 && version >= 1) {
        return Err(StoreError::invalid(format!(
            "{} is a SQLite database of another application, not a Voisins store",
            path.display()
        )));
    }
    if settings.check_at_open && tables > 0 {
        let mut stmt = conn.prepare("PRAGMA quick_check")?;
        let problems: Vec<String> = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| explain(path, e))?
            .filter_map(|r| r.ok())
            .filter(|s| s != "ok")
            .take(3)
            .collect();
        if !problems.is_empty() {
            return Err(StoreError::corrupt(format!(
                "{} is damaged ({}). Restore it from a backup; `sqlite3 {} .recover` can rescue \
                 what is still readable.",
                path.display(),
                problems.join("; "),
                path.display()
            )));
        }
    }
    Ok(())
}

fn migrate(path: &Path, conn: &rusqlite::Connection) -> Result<()> {
    let pending = |conn: &rusqlite::Connection| -> Result<i64> {
        Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    };
    if pending(conn)? as usize >= migrations::SQLITE.len() {
        return Ok(());
    }
    // Table rebuilds need foreign keys off, which cannot change inside a transaction.
    conn.execute_batch("PRAGMA foreign_keys = OFF")?;
    let result = (|| -> Result<()> {
        loop {
            let tx = rusqlite::Transaction::new_unchecked(
                conn,
                rusqlite::TransactionBehavior::Immediate,
            )?;
            let version = pending(&tx)? as usize;
            let Some(migration) = migrations::SQLITE.get(version) else {
                return Ok(());
            };
            tx.execute_batch(migration.sql).map_err(|e| {
                StoreError::internal(format!(
                    "{}: migration {} failed: {e}",
                    path.display(),
                    migration.name
                ))
            })?;
            let broken: i64 =
                tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                    r.get(0)
                })?;
            if broken > 0 {
                return Err(StoreError::corrupt(format!(
                    "{}: migration {} left {broken} broken references",
                    path.display(),
                    migration.name
                )));
            }
            tx.pragma_update(None, "user_version", (version + 1) as i64)?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)?;
            tx.commit()?;
        }
    })();
    conn.execute_batch("PRAGMA foreign_keys = ON")?;
    result
}
