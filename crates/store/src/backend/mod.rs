//! The one place that knows both SQL dialects: dynamic values, rows read by column name, the
//! [`Sql`] trait the repositories are written against once, and a small bounded pool of
//! connections. Queries use `?` placeholders; the PostgreSQL side rewrites them to `$n`.

pub(crate) mod postgres;
pub(crate) mod sqlite;

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::{Result, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    I64(i64),
    F64(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::I64(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::F64(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Blob(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::I64(v as i64)
    }
}
impl<T> From<domain::Id<T>> for Value {
    fn from(v: domain::Id<T>) -> Self {
        Value::I64(v.get())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// Builds a `&[Value]` from heterogeneous arguments.
macro_rules! params {
    ($($v:expr),* $(,)?) => { &[$($crate::backend::Value::from($v)),*][..] };
}
pub(crate) use params;

/// One result row, read by column name.
#[derive(Debug)]
pub(crate) struct Row {
    names: Arc<[Box<str>]>,
    values: Vec<Value>,
}

impl Row {
    pub fn new(names: Arc<[Box<str>]>, values: Vec<Value>) -> Row {
        Row { names, values }
    }

    fn get(&self, name: &str) -> Result<&Value> {
        self.names
            .iter()
            .position(|n| &**n == name)
            .map(|i| &self.values[i])
            .ok_or_else(|| StoreError::internal(format!("query has no column '{name}'")))
    }

    fn mismatch(name: &str, wanted: &str, got: &Value) -> StoreError {
        StoreError::corrupt(format!("column '{name}': expected {wanted}, found {got:?}"))
    }

    pub fn i64(&self, name: &str) -> Result<i64> {
        match self.get(name)? {
            Value::I64(v) => Ok(*v),
            other => Err(Row::mismatch(name, "an integer", other)),
        }
    }

    pub fn opt_i64(&self, name: &str) -> Result<Option<i64>> {
        match self.get(name)? {
            Value::Null => Ok(None),
            Value::I64(v) => Ok(Some(*v)),
            other => Err(Row::mismatch(name, "an integer", other)),
        }
    }

    pub fn id<T>(&self, name: &str) -> Result<domain::Id<T>> {
        self.i64(name).map(domain::Id::new)
    }

    pub fn opt_id<T>(&self, name: &str) -> Result<Option<domain::Id<T>>> {
        Ok(self.opt_i64(name)?.map(domain::Id::new))
    }

    pub fn bool(&self, name: &str) -> Result<bool> {
        Ok(self.i64(name)? != 0)
    }

    pub fn text(&self, name: &str) -> Result<String> {
        match self.get(name)? {
            Value::Text(s) => Ok(s.clone()),
            other => Err(Row::mismatch(name, "text", other)),
        }
    }

    pub fn opt_text(&self, name: &str) -> Result<Option<String>> {
        match self.get(name)? {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s.clone())),
            other => Err(Row::mismatch(name, "text", other)),
        }
    }

    pub fn blob(&self, name: &str) -> Result<&[u8]> {
        match self.get(name)? {
            Value::Blob(b) => Ok(b),
            other => Err(Row::mismatch(name, "bytes", other)),
        }
    }
}

/// What every backend offers the repositories.
pub(crate) trait Sql {
    fn dialect(&self) -> Dialect;
    fn exec(&mut self, sql: &str, params: &[Value]) -> Result<u64>;
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>>;

    fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Row> {
        self.query_opt(sql, params)?
            .ok_or_else(|| StoreError::internal(format!("no row for: {sql}")))
    }
}

/// Connections that can report they are no longer usable.
pub(crate) trait Connection: Send {
    fn is_broken(&mut self) -> bool;
}

/// A bounded pool: at most `max` connections; a caller waits (up to `wait`) for a free one.
pub(crate) struct Pool<C> {
    state: Mutex<PoolState<C>>,
    freed: Condvar,
    max: usize,
    wait: Duration,
    connect: Box<dyn Fn() -> Result<C> + Send + Sync>,
}

struct PoolState<C> {
    idle: Vec<C>,
    open: usize,
}

/// A connection on loan from a [`Pool`].
pub(crate) struct Loan<'p, C: Connection> {
    pool: &'p Pool<C>,
    conn: Option<C>,
}

/// Locks a mutex, recovering it when a panicking holder poisoned it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<C: Connection> Pool<C> {
    pub fn new(
        max: usize,
        wait: Duration,
        connect: impl Fn() -> Result<C> + Send + Sync + 'static,
    ) -> Pool<C> {
        Pool {
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
            max: max.max(1),
            wait,
            connect: Box::new(connect),
        }
    }

    /// How many connections it opens at most.
    pub fn capacity(&self) -> usize {
        self.max
    }

    /// A connection: an idle one that still works, a new one while under `max`, or the next
    /// one returned.
    pub fn get(&self) -> Result<Loan<'_, C>> {
        let deadline = std::time::Instant::now() + self.wait;
        let mut state = lock(&self.state);
        loop {
            while let Some(mut conn) = state.idle.pop() {
                if conn.is_broken() {
                    state.open -= 1;
                    continue;
                }
                return Ok(Loan {
                    pool: self,
                    conn: Some(conn),
                });
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return match (self.connect)() {
                    Ok(conn) => Ok(Loan {
                        pool: self,
                        conn: Some(conn),
                    }),
                    Err(e) => {
                        lock(&self.state).open -= 1;
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return Err(
                    StoreError::unavailable("every database connection is busy").retryable()
                );
            }
            state = self
                .freed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Opens one connection now (at start, to fail early on a wrong URL).
    pub fn warm(&self) -> Result<()> {
        self.get().map(drop)
    }
}

impl<C: Connection> Loan<'_, C> {
    pub fn conn(&mut self) -> &mut C {
        self.conn.as_mut().expect("present until dropped")
    }
}

impl<C: Connection> Drop for Loan<'_, C> {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            let mut state = lock(&self.pool.state);
            if conn.is_broken() {
                state.open -= 1;
            } else {
                state.idle.push(conn);
            }
            drop(state);
            self.pool.freed.notify_one();
        }
    }
}

/// Rewrites `?` placeholders to `$1, $2, …` (the store's SQL has no `?` inside literals).
pub(crate) fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered() {
        assert_eq!(
            numbered_placeholders("a = ? AND b IN (?, ?)"),
            "a = $1 AND b IN ($2, $3)"
        );
    }

    struct Fake(bool);
    impl Connection for Fake {
        fn is_broken(&mut self) -> bool {
            self.0
        }
    }

    #[test]
    fn the_pool_is_bounded_and_drops_broken_connections() {
        let opened = Arc::new(Mutex::new(0));
        let counter = opened.clone();
        let pool = Pool::new(2, Duration::from_millis(50), move || {
            *lock(&counter) += 1;
            Ok(Fake(false))
        });
        let a = pool.get().unwrap();
        let mut b = pool.get().unwrap();
        assert!(pool.get().is_err(), "a third caller waits, then gives up");
        b.conn().0 = true; // broken: not returned
        drop(b);
        drop(a);
        let _c = pool.get().unwrap();
        let _d = pool.get().unwrap();
        assert_eq!(*lock(&opened), 3, "one reconnect after the broken one");
    }

    #[test]
    fn rows_are_read_by_name_and_types_are_checked() {
        let names: Arc<[Box<str>]> = vec!["id".into(), "name".into()].into();
        let row = Row::new(names, vec![Value::I64(7), Value::Text("x".into())]);
        assert_eq!(row.i64("id").unwrap(), 7);
        assert_eq!(row.text("name").unwrap(), "x");
        assert_eq!(
            row.i64("name").unwrap_err().kind(),
            crate::ErrorKind::Corrupt
        );
        assert_eq!(
            row.i64("missing").unwrap_err().kind(),
            crate::ErrorKind::Internal
        );
    }
}
