//! PostgreSQL: pools of writer and reader connections (each with its statement cache), a
//! connection that breaks (PostgreSQL restarted) is replaced at the next checkout, migrations
//! run under an advisory lock so two processes starting together do not both migrate, and
//! writers take row locks on the channels they change (see `repo::channels::lock`).

use std::collections::HashMap;
use std::sync::Arc;

use bytes::BytesMut;
use postgres::types::{IsNull, ToSql as PgToSql, Type};

use super::{numbered_placeholders, Connection, Dialect, Loan, Pool, Row, Sql, Value};
use crate::{migrations, Result, StoreError, StoreSettings};

/// The advisory lock key held while migrating ("Voisins" in a number).
const MIGRATION_LOCK: i64 = 0x0056_6f69_7369_6e73;

/// Prepared statements of one connection, with their column names.
type StatementCache = HashMap<String, (postgres::Statement, Arc<[Box<str>]>)>;

pub(crate) struct PgConn {
    pub client: postgres::Client,
    cache: StatementCache,
    broken: bool,
    last_used: std::time::Instant,
}

impl Connection for PgConn {
    fn is_broken(&mut self) -> bool {
        self.broken || self.client.is_closed()
    }
}

pub(crate) struct PgBackend {
    pub writers: Pool<PgConn>,
    pub readers: Pool<PgConn>,
}

fn valid_schema(schema: &str) -> Result<()> {
    if schema.is_empty()
        || schema.len() > 63
        || !schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        || schema.starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(StoreError::invalid(format!(
            "schema name '{schema}': 1 to 63 letters, digits and _, not starting with a digit"
        )));
    }
    Ok(())
}

fn connect(url: &str, schema: Option<&str>) -> Result<PgConn> {
    let mut client = postgres::Client::connect(url, postgres::NoTls).map_err(|e| {
        StoreError::unavailable(format!("cannot connect to PostgreSQL: {e}")).with_source(e)
    })?;
    if let Some(schema) = schema {
        client.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {schema}; SET search_path TO {schema}"
        ))?;
    }
    Ok(PgConn {
        client,
        cache: HashMap::new(),
        broken: false,
        last_used: std::time::Instant::now(),
    })
}

/// Connects, migrates under the advisory lock, and prepares the pools.
pub(crate) fn open(url: &str, schema: Option<&str>, settings: &StoreSettings) -> Result<PgBackend> {
    if let Some(s) = schema {
        valid_schema(s)?;
    }
    let mut first = connect(url, schema)?;
    migrate(&mut first.client)?;
    let (url_w, schema_w) = (url.to_string(), schema.map(str::to_string));
    let (url_r, schema_r) = (url_w.clone(), schema_w.clone());
    let wait = std::time::Duration::from_secs(30);
    let backend = PgBackend {
        writers: Pool::new(settings.pg_writers, wait, move || {
            connect(&url_w, schema_w.as_deref())
        }),
        readers: Pool::new(settings.readers, wait, move || {
            connect(&url_r, schema_r.as_deref())
        }),
    };
    drop(first);
    backend.readers.warm()?;
    Ok(backend)
}

fn migrate(client: &mut postgres::Client) -> Result<()> {
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])?;
    let result = (|| -> Result<()> {
        client
            .batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")?;
        let current: i64 = client
            .query_opt("SELECT version FROM schema_version", &[])?
            .map_or(0, |r| r.get(0));
        for (i, migration) in migrations::POSTGRES
            .iter()
            .enumerate()
            .skip(current as usize)
        {
            let mut tx = client.transaction()?;
            tx.batch_execute(migration.sql).map_err(|e| {
                StoreError::internal(format!("migration {} failed: {e}", migration.name))
                    .with_source(e)
            })?;
            tx.execute("DELETE FROM schema_version", &[])?;
            tx.execute(
                "INSERT INTO schema_version VALUES ($1)",
                &[&((i + 1) as i64)],
            )?;
            tx.commit()?;
        }
        Ok(())
    })();
    let unlocked = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    result?;
    unlocked?;
    Ok(())
}

/// Drops a schema and everything in it (tests give each store a schema of its own).
pub(crate) fn drop_schema(url: &str, schema: &str) -> Result<()> {
    valid_schema(schema)?;
    let mut client = connect(url, None)?.client;
    client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?;
    Ok(())
}

impl PgToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::I64(v) if *ty == Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
            Value::I64(v) if *ty == Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
            Value::I64(v) if *ty == Type::FLOAT8 => (*v as f64).to_sql(ty, out),
            Value::I64(v) if *ty == Type::BOOL => (*v != 0).to_sql(ty, out),
            Value::I64(v) => v.to_sql(ty, out),
            Value::F64(v) => v.to_sql(ty, out),
            Value::Text(s) => s.to_sql(ty, out),
            Value::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

fn pg_value(row: &postgres::Row, i: usize) -> Result<Value> {
    let ty = row.columns()[i].type_();
    Ok(match *ty {
        Type::INT8 => row
            .try_get::<_, Option<i64>>(i)?
            .map_or(Value::Null, Value::I64),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(i)?
            .map_or(Value::Null, |v| Value::I64(v.into())),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(i)?
            .map_or(Value::Null, |v| Value::I64(v.into())),
        Type::BOOL => row
            .try_get::<_, Option<bool>>(i)?
            .map_or(Value::Null, |v| Value::I64(v as i64)),
        Type::FLOAT8 => row
            .try_get::<_, Option<f64>>(i)?
            .map_or(Value::Null, Value::F64),
        Type::FLOAT4 => row
            .try_get::<_, Option<f32>>(i)?
            .map_or(Value::Null, |v| Value::F64(v.into())),
        Type::BYTEA => row
            .try_get::<_, Option<Vec<u8>>>(i)?
            .map_or(Value::Null, Value::Blob),
        Type::NUMERIC => {
            return Err(StoreError::internal(
                "NUMERIC columns must be cast to BIGINT in the query",
            ))
        }
        _ => row
            .try_get::<_, Option<String>>(i)?
            .map_or(Value::Null, Value::Text),
    })
}

/// A PostgreSQL transaction with its connection's statement cache.
pub(crate) struct PgTx<'a> {
    pub tx: postgres::Transaction<'a>,
    pub cache: &'a mut StatementCache,
}

/// A connection that answers: one idle for more than a second is checked with an empty query
/// first, since after a PostgreSQL restart a pooled connection only learns it was cut when it
/// is next used. A dead one is dropped and the next tried, until the pool opens a new one.
pub(crate) fn begin_usable(pool: &Pool<PgConn>) -> Result<Loan<'_, PgConn>> {
    // Every idle connection may be dead: at most that many are dropped before a new one.
    for _ in 0..pool.capacity() {
        let mut loan = pool.get()?;
        let conn = loan.conn();
        if conn.last_used.elapsed() < std::time::Duration::from_secs(1)
            || conn
                .client
                .is_valid(std::time::Duration::from_secs(5))
                .is_ok()
        {
            return Ok(loan);
        }
        loan.conn().broken = true;
    }
    pool.get()
}

impl PgConn {
    /// Starts a transaction (read-only for readers).
    pub fn begin(&mut self, read_only: bool) -> Result<PgTx<'_>> {
        self.last_used = std::time::Instant::now();
        let PgConn { client, cache, .. } = self;
        let tx = client.build_transaction().read_only(read_only).start()?;
        Ok(PgTx { tx, cache })
    }
}

impl PgTx<'_> {
    fn statement(&mut self, sql: &str) -> Result<(postgres::Statement, Arc<[Box<str>]>)> {
        if let Some(found) = self.cache.get(sql) {
            return Ok(found.clone());
        }
        let stmt = self.tx.prepare(&numbered_placeholders(sql))?;
        let names: Arc<[Box<str>]> = stmt.columns().iter().map(|c| Box::from(c.name())).collect();
        self.cache
            .insert(sql.to_string(), (stmt.clone(), names.clone()));
        Ok((stmt, names))
    }
}

impl Sql for PgTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let (stmt, _) = self.statement(sql)?;
        let refs: Vec<&(dyn PgToSql + Sync)> = params.iter().map(|v| v as _).collect();
        Ok(self.tx.execute(&stmt, &refs)?)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let (stmt, names) = self.statement(sql)?;
        let refs: Vec<&(dyn PgToSql + Sync)> = params.iter().map(|v| v as _).collect();
        let rows = self.tx.query(&stmt, &refs)?;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| pg_value(row, i))
                    .collect::<Result<Vec<_>>>()
                    .map(|values| Row::new(names.clone(), values))
            })
            .collect()
    }
}
