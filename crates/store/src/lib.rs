//! Persistence for Voisins: one concrete [`Store`] over two backends, SQLite (embedded default,
//! one file in WAL mode) and PostgreSQL, behaving the same and passing the same contract test.
//!
//! Main types: [`Store`], [`ChannelPoints`], [`WriteSummary`], [`Channel`], [`Member`],
//! [`Meter`], [`User`], [`Session`], [`Token`]. The raw chunk codec is in [`codec`].
//!
//! Every method that returns `Ok` after writing has committed: the data is durable.

pub mod codec;
mod days;
mod model;
mod schema;
mod sql;
mod write;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use domain::{ChannelKind, Interval, MemberKind, Point, Slot, Unit};

pub use model::*;
use sql::{params, PgTx, Row, Sql, SqliteConn};
pub use write::{ChannelPoints, WriteSummary};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Backend(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("corrupt raw chunk of channel {channel_id}: {source}")]
    Codec {
        channel_id: i64,
        source: codec::CodecError,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Tunables of the store, from the `[store]` section of the configuration.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    /// Raw points older than this are deleted by [`Store::prune_raw`]; `None` keeps them.
    pub raw_retention_days: Option<u32>,
    /// SQLite page cache per connection, in KiB.
    pub sqlite_cache_kib: u32,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            raw_retention_days: None,
            sqlite_cache_kib: 8 * 1024,
        }
    }
}

enum Backend {
    Sqlite {
        writer: Mutex<rusqlite::Connection>,
        readers: Mutex<Vec<rusqlite::Connection>>,
        path: std::path::PathBuf,
    },
    Postgres {
        writer: Box<Mutex<PgConn>>,
        reader: Box<Mutex<PgConn>>,
    },
}

struct PgConn {
    client: postgres::Client,
    cache: HashMap<String, postgres::Statement>,
}

/// The store. Cheap to share behind an `Arc`; every method blocks (call it from a blocking
/// thread in async code).
pub struct Store {
    backend: Backend,
    settings: StoreSettings,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Store {
    /// Opens (creating if needed) the SQLite store at `path`.
    pub fn open_sqlite(path: &Path, settings: StoreSettings) -> Result<Store> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Backend(format!("creating {}: {e}", dir.display())))?;
        }
        let writer = open_sqlite_conn(path, &settings)?;
        let version: i64 = writer.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (i, migration) in schema::SQLITE.iter().enumerate().skip(version as usize) {
            let tx = writer.unchecked_transaction()?;
            tx.execute_batch(migration)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(Store {
            backend: Backend::Sqlite {
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                path: path.to_path_buf(),
            },
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
        let connect = || -> Result<PgConn> {
            let mut client = postgres::Client::connect(url, postgres::NoTls)?;
            if let Some(schema) = schema {
                if !schema
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    return Err(StoreError::Invalid(format!("schema name '{schema}'")));
                }
                client.batch_execute(&format!(
                    "CREATE SCHEMA IF NOT EXISTS {schema}; SET search_path TO {schema}"
                ))?;
            }
            Ok(PgConn {
                client,
                cache: HashMap::new(),
            })
        };
        let mut writer = connect()?;
        writer
            .client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL);
             LOCK TABLE schema_version IN EXCLUSIVE MODE",
            )
            .or_else(|_| writer.client.batch_execute("SELECT 1"))?;
        let current: i64 = writer
            .client
            .query_opt("SELECT version FROM schema_version", &[])?
            .map_or(0, |r| r.get(0));
        for (i, migration) in schema::POSTGRES.iter().enumerate().skip(current as usize) {
            let mut tx = writer.client.transaction()?;
            tx.batch_execute(migration)?;
            tx.execute("DELETE FROM schema_version", &[])?;
            tx.execute(
                "INSERT INTO schema_version VALUES ($1)",
                &[&((i + 1) as i64)],
            )?;
            tx.commit()?;
        }
        let reader = connect()?;
        Ok(Store {
            backend: Backend::Postgres {
                writer: Box::new(Mutex::new(writer)),
                reader: Box::new(Mutex::new(reader)),
            },
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
            Err(StoreError::Invalid(format!(
                "store url '{url}': expected sqlite:PATH or postgres://…"
            )))
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres { .. } => "postgres",
        }
    }

    pub fn settings(&self) -> &StoreSettings {
        &self.settings
    }

    /// Runs `f` in one write transaction, committed when `f` returns `Ok`.
    fn write<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        match &self.backend {
            Backend::Sqlite { writer, .. } => {
                let mut conn = lock(writer);
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let out = f(&mut SqliteConn(&tx))?;
                tx.commit()?;
                Ok(out)
            }
            Backend::Postgres { writer, .. } => {
                let mut conn = lock(writer);
                let PgConn { client, cache } = &mut *conn;
                let tx = client.transaction()?;
                let mut pg = PgTx { tx, cache };
                let out = f(&mut pg)?;
                pg.tx.commit()?;
                Ok(out)
            }
        }
    }

    /// Runs `f` on a read connection (a consistent snapshot on both backends).
    fn read<T>(&self, f: impl FnOnce(&mut dyn Sql) -> Result<T>) -> Result<T> {
        match &self.backend {
            Backend::Sqlite { readers, path, .. } => {
                let conn = lock(readers).pop();
                let conn = match conn {
                    Some(c) => c,
                    None => open_sqlite_conn(path, &self.settings)?,
                };
                let out = {
                    let tx = conn.unchecked_transaction()?;
                    let out = f(&mut SqliteConn(&tx));
                    tx.finish()?;
                    out
                };
                let mut pool = lock(readers);
                if pool.len() < 4 {
                    pool.push(conn);
                }
                out
            }
            Backend::Postgres { reader, .. } => {
                let mut conn = lock(reader);
                let PgConn { client, cache } = &mut *conn;
                let tx = client.build_transaction().read_only(true).start()?;
                let mut pg = PgTx { tx, cache };
                let out = f(&mut pg)?;
                pg.tx.commit()?;
                Ok(out)
            }
        }
    }

    /// Folds the SQLite write-ahead log into the database file (no-op on PostgreSQL).
    pub fn checkpoint(&self) -> Result<()> {
        if let Backend::Sqlite { writer, .. } = &self.backend {
            lock(writer).execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?;
        }
        Ok(())
    }

    // ------------------------------------------------------------ communities and members

    pub fn create_community(&self, name: &str, timezone: &str, max_gap_ms: i64) -> Result<i64> {
        jiff::tz::TimeZone::get(timezone)
            .map_err(|e| StoreError::Invalid(format!("time zone '{timezone}': {e}")))?;
        self.write(|db| {
            Ok(db
                .query_one(
                    "INSERT INTO communities (name, timezone, max_gap_ms) VALUES (?, ?, ?) RETURNING id",
                    params![name, timezone, max_gap_ms],
                )?
                .i64(0))
        })
    }

    pub fn communities(&self) -> Result<Vec<Community>> {
        self.read(|db| {
            Ok(db
                .query(
                    "SELECT id, name, timezone, max_gap_ms FROM communities ORDER BY id",
                    &[],
                )?
                .iter()
                .map(Community::from_row)
                .collect())
        })
    }

    pub fn community(&self, id: i64) -> Result<Community> {
        self.read(|db| {
            db.query_opt(
                "SELECT id, name, timezone, max_gap_ms FROM communities WHERE id = ?",
                params![id],
            )?
            .map(|r| Community::from_row(&r))
            .ok_or_else(|| StoreError::NotFound(format!("community {id}")))
        })
    }

    pub fn add_member(
        &self,
        community_id: i64,
        name: &str,
        kind: MemberKind,
        consent_individual: bool,
    ) -> Result<i64> {
        self.write(|db| {
            Ok(db
                .query_one(
                    "INSERT INTO members (community_id, name, kind, consent_individual) VALUES (?, ?, ?, ?) RETURNING id",
                    params![community_id, name, kind.as_str(), consent_individual],
                )?
                .i64(0))
        })
    }

    pub fn members(&self, community_id: i64) -> Result<Vec<Member>> {
        self.read(|db| {
            Ok(db
                .query(
                    "SELECT id, community_id, name, kind, consent_individual FROM members WHERE community_id = ? ORDER BY id",
                    params![community_id],
                )?
                .iter()
                .map(Member::from_row)
                .collect())
        })
    }

    pub fn member(&self, id: i64) -> Result<Member> {
        self.read(|db| {
            db.query_opt(
                "SELECT id, community_id, name, kind, consent_individual FROM members WHERE id = ?",
                params![id],
            )?
            .map(|r| Member::from_row(&r))
            .ok_or_else(|| StoreError::NotFound(format!("member {id}")))
        })
    }

    pub fn add_group(&self, community_id: i64, name: &str, member_ids: &[i64]) -> Result<i64> {
        self.write(|db| {
            let id = db
                .query_one(
                    "INSERT INTO member_groups (community_id, name) VALUES (?, ?) RETURNING id",
                    params![community_id, name],
                )?
                .i64(0);
            for member_id in member_ids {
                db.exec(
                    "INSERT INTO group_members (group_id, member_id) VALUES (?, ?)",
                    params![id, *member_id],
                )?;
            }
            Ok(id)
        })
    }

    pub fn groups(&self, community_id: i64) -> Result<Vec<Group>> {
        self.read(|db| {
            let rows = db.query(
                "SELECT g.id, g.name, gm.member_id FROM member_groups g
                 LEFT JOIN group_members gm ON gm.group_id = g.id
                 WHERE g.community_id = ? ORDER BY g.id, gm.member_id",
                params![community_id],
            )?;
            let mut groups: Vec<Group> = Vec::new();
            for r in rows {
                let id = r.i64(0);
                if groups.last().map(|g| g.id) != Some(id) {
                    groups.push(Group {
                        id,
                        name: r.text(1),
                        member_ids: Vec::new(),
                    });
                }
                if let Some(m) = r.opt_i64(2) {
                    groups.last_mut().expect("pushed").member_ids.push(m);
                }
            }
            Ok(groups)
        })
    }

    pub fn add_meter(&self, community_id: i64, member_id: Option<i64>, name: &str) -> Result<i64> {
        self.write(|db| {
            Ok(db
                .query_one(
                    "INSERT INTO meters (community_id, member_id, name) VALUES (?, ?, ?) RETURNING id",
                    params![community_id, member_id, name],
                )?
                .i64(0))
        })
    }

    pub fn meters(&self, community_id: i64) -> Result<Vec<Meter>> {
        self.read(|db| {
            Ok(db
                .query(
                    "SELECT id, community_id, member_id, name, last_contact_ms FROM meters WHERE community_id = ? ORDER BY id",
                    params![community_id],
                )?
                .iter()
                .map(Meter::from_row)
                .collect())
        })
    }

    pub fn meter(&self, id: i64) -> Result<Meter> {
        self.read(|db| {
            db.query_opt(
                "SELECT id, community_id, member_id, name, last_contact_ms FROM meters WHERE id = ?",
                params![id],
            )?
            .map(|r| Meter::from_row(&r))
            .ok_or_else(|| StoreError::NotFound(format!("meter {id}")))
        })
    }

    // ------------------------------------------------------------ channels

    /// Adds a channel; with `kind`, it is assigned from `valid_from_ms` on.
    pub fn add_channel(&self, spec: &NewChannel) -> Result<i64> {
        self.write(|db| {
            let id = db
                .query_one(
                    "INSERT INTO channels (community_id, meter_id, series_key, unit) VALUES (?, ?, ?, ?) RETURNING id",
                    params![spec.community_id, spec.meter_id, spec.series_key.as_str(), spec.unit.as_str()],
                )?
                .i64(0);
            if let Some(kind) = spec.kind {
                db.exec(
                    "INSERT INTO channel_configs (channel_id, valid_from_ms, kind, phase, note) VALUES (?, ?, ?, ?, '')",
                    params![id, spec.valid_from_ms, kind.as_str(), spec.phase],
                )?;
            }
            Ok(id)
        })
    }

    /// The channel registered under `series_key`, registering it unassigned if it is new.
    pub fn ensure_channel(
        &self,
        community_id: i64,
        series_key: &str,
        unit: Unit,
    ) -> Result<Channel> {
        if let Some(c) = self.channel_by_key(community_id, series_key)? {
            return Ok(c);
        }
        self.write(|db| {
            db.exec(
                "INSERT INTO channels (community_id, series_key, unit) VALUES (?, ?, ?)
                 ON CONFLICT (community_id, series_key) DO NOTHING",
                params![community_id, series_key, unit.as_str()],
            )?;
            Ok(())
        })?;
        self.channel_by_key(community_id, series_key)?
            .ok_or_else(|| StoreError::NotFound(format!("channel '{series_key}'")))
    }

    pub fn channel_by_key(&self, community_id: i64, series_key: &str) -> Result<Option<Channel>> {
        self.read(|db| {
            let row = db.query_opt(
                &format!("{CHANNEL_SELECT} WHERE community_id = ? AND series_key = ?"),
                params![community_id, series_key],
            )?;
            row.map(|r| load_channel(db, &r)).transpose()
        })
    }

    pub fn channel(&self, id: i64) -> Result<Channel> {
        self.read(|db| {
            let row = db.query_opt(&format!("{CHANNEL_SELECT} WHERE id = ?"), params![id])?;
            row.map(|r| load_channel(db, &r))
                .transpose()?
                .ok_or_else(|| StoreError::NotFound(format!("channel {id}")))
        })
    }

    pub fn channels(&self, community_id: i64) -> Result<Vec<Channel>> {
        self.read(|db| {
            let rows = db.query(
                &format!("{CHANNEL_SELECT} WHERE community_id = ? ORDER BY id"),
                params![community_id],
            )?;
            rows.iter().map(|r| load_channel(db, r)).collect()
        })
    }

    /// Channels of the meters of one member.
    pub fn member_channels(&self, member_id: i64) -> Result<Vec<Channel>> {
        self.read(|db| {
            let rows = db.query(
                &format!(
                    "{CHANNEL_SELECT} WHERE meter_id IN (SELECT id FROM meters WHERE member_id = ?) ORDER BY id"
                ),
                params![member_id],
            )?;
            rows.iter().map(|r| load_channel(db, r)).collect()
        })
    }

    /// Puts an unassigned channel on a meter (without giving it a meaning yet).
    pub fn attach_channel_to_meter(&self, channel_id: i64, meter_id: i64) -> Result<()> {
        self.write(|db| {
            db.exec(
                "UPDATE channels SET meter_id = ? WHERE id = ? AND meter_id IS NULL
                 AND community_id = (SELECT community_id FROM meters WHERE id = ?)",
                params![meter_id, channel_id, meter_id],
            )
            .map(drop)
        })
    }

    /// Gives a channel a meter and a meaning from `valid_from_ms` on. The previous meaning stays
    /// valid before that instant (configuration history); community totals are rebuilt.
    pub fn assign_channel(
        &self,
        channel_id: i64,
        meter_id: i64,
        kind: ChannelKind,
        phase: Option<i64>,
        valid_from_ms: i64,
        note: &str,
    ) -> Result<()> {
        self.write(|db| {
            let community_id = db
                .query_opt("SELECT community_id FROM channels WHERE id = ?", params![channel_id])?
                .ok_or_else(|| StoreError::NotFound(format!("channel {channel_id}")))?
                .i64(0);
            let meter_community = db
                .query_opt("SELECT community_id FROM meters WHERE id = ?", params![meter_id])?
                .ok_or_else(|| StoreError::NotFound(format!("meter {meter_id}")))?
                .i64(0);
            if meter_community != community_id {
                return Err(StoreError::Invalid(format!(
                    "meter {meter_id} belongs to another community than channel {channel_id}"
                )));
            }
            db.exec("UPDATE channels SET meter_id = ? WHERE id = ?", params![meter_id, channel_id])?;
            db.exec(
                "DELETE FROM channel_configs WHERE channel_id = ? AND valid_from_ms >= ?",
                params![channel_id, valid_from_ms],
            )?;
            db.exec(
                "UPDATE channel_configs SET valid_to_ms = ? WHERE channel_id = ? AND (valid_to_ms IS NULL OR valid_to_ms > ?)",
                params![valid_from_ms, channel_id, valid_from_ms],
            )?;
            db.exec(
                "INSERT INTO channel_configs (channel_id, valid_from_ms, kind, phase, note) VALUES (?, ?, ?, ?, ?)",
                params![channel_id, valid_from_ms, kind.as_str(), phase, note],
            )?;
            write::rebuild_community_slots(db, community_id)
        })
    }

    // ------------------------------------------------------------ data

    /// Raw points of a channel in `[from_ms, to_ms)`, sorted by time.
    pub fn raw_points(&self, channel_id: i64, from_ms: i64, to_ms: i64) -> Result<Vec<Point>> {
        self.read(|db| write::load_points(db, channel_id, from_ms, to_ms))
    }

    /// The most recent raw point of a channel.
    pub fn last_point(&self, channel_id: i64) -> Result<Option<Point>> {
        self.read(|db| {
            let row = db.query_opt(
                "SELECT data FROM raw_chunks WHERE channel_id = ? ORDER BY t_min_ms DESC LIMIT 1",
                params![channel_id],
            )?;
            Ok(match row {
                Some(r) => codec::decode(r.blob(0))
                    .map_err(|source| StoreError::Codec { channel_id, source })?
                    .last()
                    .copied(),
                None => None,
            })
        })
    }

    /// The effective (highest-provenance) quarter-hours of a channel in `[from, to)`.
    pub fn intervals(&self, channel_id: i64, from: Slot, to: Slot) -> Result<Vec<Interval>> {
        if to <= from {
            return Ok(Vec::new());
        }
        self.read(|db| {
            let blocks = days::DayBlock::load_range(
                db,
                channel_id,
                days::day_of(from),
                days::day_of(Slot::from_index(to.index() - 1)),
            )?;
            Ok(blocks
                .iter()
                .flat_map(|b| b.iter())
                .filter(|(slot, _)| *slot >= from && *slot < to)
                .map(|(slot, stored)| stored.to_interval(slot))
                .collect())
        })
    }

    /// Every stored version of one quarter-hour, highest provenance first.
    pub fn interval_versions(&self, channel_id: i64, slot: Slot) -> Result<Vec<Interval>> {
        self.read(|db| {
            let mut out: Vec<Interval> = days::DayBlock::load(db, channel_id, days::day_of(slot))?
                .get(slot)
                .map(|s| s.to_interval(slot))
                .into_iter()
                .collect();
            let rows = db.query(
                "SELECT slot, provenance, energy_mwh, mean_mw, min_mw, max_mw, covered_ms FROM intervals_superseded
                 WHERE channel_id = ? AND slot = ?",
                params![channel_id, slot.index()],
            )?;
            out.extend(rows.iter().map(write::interval_from_row));
            out.sort_by_key(|i| std::cmp::Reverse(i.provenance));
            Ok(out)
        })
    }

    /// Community total of one channel kind per quarter-hour in `[from, to)`; slots without data
    /// are absent.
    pub fn community_series(
        &self,
        community_id: i64,
        kind: ChannelKind,
        from: Slot,
        to: Slot,
    ) -> Result<Vec<SlotEnergy>> {
        self.read(|db| {
            Ok(db
                .query(
                    "SELECT slot, energy_mwh, channels FROM community_slots
                     WHERE community_id = ? AND kind = ? AND slot >= ? AND slot < ? ORDER BY slot",
                    params![community_id, kind.as_str(), from.index(), to.index()],
                )?
                .iter()
                .map(|r| SlotEnergy {
                    slot: Slot::from_index(r.i64(0)),
                    energy_wh: r.i64(1) as f64 / 1000.0,
                    channels: r.i64(2),
                })
                .collect())
        })
    }

    /// Deletes raw chunks entirely older than the retention; quarter-hours are kept forever.
    pub fn prune_raw(&self, now_ms: i64) -> Result<u64> {
        let Some(days) = self.settings.raw_retention_days else {
            return Ok(0);
        };
        let cutoff = now_ms - i64::from(days) * 86_400_000;
        self.write(|db| db.exec("DELETE FROM raw_chunks WHERE t_max_ms < ?", params![cutoff]))
    }

    pub fn raw_point_count(&self) -> Result<i64> {
        self.read(|db| {
            Ok(db
                .query_one(
                    "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM raw_chunks",
                    &[],
                )?
                .i64(0))
        })
    }

    // ------------------------------------------------------------ users, sessions, tokens

    pub fn create_user(&self, user: &NewUser) -> Result<i64> {
        self.write(|db| {
            if db.query_opt("SELECT id FROM users WHERE login = ?", params![user.login.as_str()])?.is_some() {
                return Err(StoreError::Conflict(format!("login '{}' exists", user.login)));
            }
            Ok(db
                .query_one(
                    "INSERT INTO users (community_id, login, display_name, password_hash, role, member_id, lang)
                     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    params![
                        user.community_id,
                        user.login.as_str(),
                        user.display_name.as_str(),
                        user.password_hash.as_str(),
                        user.role.as_str(),
                        user.member_id,
                        user.lang.as_str()
                    ],
                )?
                .i64(0))
        })
    }

    pub fn user_by_login(&self, login: &str) -> Result<Option<User>> {
        self.read(|db| {
            Ok(db
                .query_opt(&format!("{USER_SELECT} WHERE login = ?"), params![login])?
                .map(|r| User::from_row(&r)))
        })
    }

    pub fn user(&self, id: i64) -> Result<User> {
        self.read(|db| {
            db.query_opt(&format!("{USER_SELECT} WHERE id = ?"), params![id])?
                .map(|r| User::from_row(&r))
                .ok_or_else(|| StoreError::NotFound(format!("user {id}")))
        })
    }

    pub fn users(&self, community_id: i64) -> Result<Vec<User>> {
        self.read(|db| {
            Ok(db
                .query(
                    &format!("{USER_SELECT} WHERE community_id = ? ORDER BY id"),
                    params![community_id],
                )?
                .iter()
                .map(User::from_row)
                .collect())
        })
    }

    pub fn set_user_lang(&self, user_id: i64, lang: &str) -> Result<()> {
        self.write(|db| {
            db.exec(
                "UPDATE users SET lang = ? WHERE id = ?",
                params![lang, user_id],
            )
            .map(drop)
        })
    }

    pub fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_ms: i64,
    ) -> Result<()> {
        self.write(|db| {
            db.exec(
                "INSERT INTO sessions (token_hash, user_id, csrf, expires_ms) VALUES (?, ?, ?, ?)",
                params![token_hash, user_id, csrf, expires_ms],
            )
            .map(drop)
        })
    }

    /// The live session with this token hash, `None` if unknown or expired at `now_ms`.
    pub fn session(&self, token_hash: &str, now_ms: i64) -> Result<Option<Session>> {
        self.read(|db| {
            let Some(row) = db.query_opt(
                "SELECT user_id, csrf, expires_ms FROM sessions WHERE token_hash = ? AND expires_ms > ?",
                params![token_hash, now_ms],
            )?
            else {
                return Ok(None);
            };
            let user = db
                .query_one(&format!("{USER_SELECT} WHERE id = ?"), params![row.i64(0)])
                .map(|r| User::from_row(&r))?;
            Ok(Some(Session { user, csrf: row.text(1), expires_ms: row.i64(2) }))
        })
    }

    pub fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.write(|db| {
            db.exec(
                "DELETE FROM sessions WHERE token_hash = ?",
                params![token_hash],
            )
            .map(drop)
        })
    }

    pub fn create_token(
        &self,
        token_hash: &str,
        community_id: i64,
        scope: TokenScope,
        label: &str,
    ) -> Result<()> {
        let (scope_name, meter_id, user_id) = match scope {
            TokenScope::MeterWrite { meter_id } => ("meter_write", Some(meter_id), None),
            TokenScope::UserRead { user_id } => ("user_read", None, Some(user_id)),
            TokenScope::CommunityWrite => ("community_write", None, None),
        };
        self.write(|db| {
            db.exec(
                "INSERT INTO tokens (token_hash, community_id, scope, meter_id, user_id, label) VALUES (?, ?, ?, ?, ?, ?)",
                params![token_hash, community_id, scope_name, meter_id, user_id, label],
            )
            .map(drop)
        })
    }

    pub fn token(&self, token_hash: &str) -> Result<Option<Token>> {
        self.read(|db| {
            let Some(r) = db.query_opt(
                "SELECT community_id, scope, meter_id, user_id, label FROM tokens WHERE token_hash = ?",
                params![token_hash],
            )?
            else {
                return Ok(None);
            };
            let scope = match r.text(1).as_str() {
                "meter_write" => TokenScope::MeterWrite { meter_id: r.i64(2) },
                "user_read" => TokenScope::UserRead { user_id: r.i64(3) },
                "community_write" => TokenScope::CommunityWrite,
                other => return Err(StoreError::Invalid(format!("token scope '{other}'"))),
            };
            Ok(Some(Token { community_id: r.i64(0), scope, label: r.text(4) }))
        })
    }
}

fn open_sqlite_conn(path: &Path, settings: &StoreSettings) -> Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    conn.execute_batch(&format!(
        "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -{}; PRAGMA temp_store = MEMORY;",
        settings.sqlite_cache_kib
    ))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

const CHANNEL_SELECT: &str =
    "SELECT id, community_id, meter_id, series_key, unit, last_ts_ms FROM channels";
const USER_SELECT: &str =
    "SELECT id, community_id, login, display_name, password_hash, role, member_id, lang FROM users";

fn load_channel(db: &mut dyn Sql, r: &Row) -> Result<Channel> {
    let id = r.i64(0);
    let configs = write::channel_configs(db, id)?;
    Ok(Channel {
        id,
        community_id: r.i64(1),
        meter_id: r.opt_i64(2),
        series_key: r.text(3),
        unit: Unit::parse(&r.text(4)).map_err(|e| StoreError::Invalid(e.to_string()))?,
        last_ts_ms: r.opt_i64(5),
        configs,
    })
}
