//! Channels: the series a meter sends (one clamp, one counter, one register), their unit, and
//! the history of what they mean (consumption, production, …) with the time each meaning was
//! valid. A series name is unique per meter: a meter's token cannot take another meter's name.

use std::collections::BTreeMap;

use domain::{
    Channel, ChannelConfig, ChannelId, ChannelKind, CommunityId, MemberId, MeterId, Sampling,
    SeriesKey, Unit,
};

use crate::backend::{params, Dialect, Row, Sql};
use crate::{Result, StoreError, Tx};

pub struct Channels<'t, 'c>(pub(crate) &'t mut Tx<'c>);

/// What a new channel is.
#[derive(Debug, Clone)]
pub struct NewChannel {
    pub community_id: CommunityId,
    pub meter_id: Option<MeterId>,
    pub series_key: SeriesKey,
    pub unit: Unit,
    /// Its meaning from `valid_from_ms` on; `None` = unassigned.
    pub kind: Option<ChannelKind>,
    pub phase: Option<i64>,
    pub valid_from_ms: i64,
}

const SELECT: &str =
    "SELECT id, community_id, meter_id, series_key, unit, last_ts_ms, hold_ms FROM channels";

fn bare(r: &Row) -> Result<Channel> {
    let unit = r.text("unit")?;
    Ok(Channel {
        id: r.id("id")?,
        community_id: r.id("community_id")?,
        meter_id: r.opt_id("meter_id")?,
        series_key: r.text("series_key")?,
        unit: Unit::parse(&unit)
            .map_err(|_| StoreError::corrupt(format!("channel unit '{unit}'")))?,
        last_ts_ms: r.opt_i64("last_ts_ms")?,
        sampling: Sampling::from_hold_ms(r.opt_i64("hold_ms")?),
        configs: Vec::new(),
    })
}

fn config(r: &Row) -> Result<ChannelConfig> {
    let kind = r.text("kind")?;
    Ok(ChannelConfig {
        valid_from_ms: r.i64("valid_from_ms")?,
        valid_to_ms: r.opt_i64("valid_to_ms")?,
        kind: ChannelKind::parse(&kind)
            .map_err(|_| StoreError::corrupt(format!("channel kind '{kind}'")))?,
        phase: r.opt_i64("phase")?,
        note: r.text("note")?,
    })
}

const CONFIG_COLUMNS: &str =
    "cc.channel_id AS channel_id, cc.valid_from_ms AS valid_from_ms, cc.valid_to_ms AS valid_to_ms, cc.kind AS kind, cc.phase AS phase, cc.note AS note";

/// The configuration history of one channel, oldest first.
pub(crate) fn configs(db: &mut dyn Sql, channel: ChannelId) -> Result<Vec<ChannelConfig>> {
    db.query(
        &format!("SELECT {CONFIG_COLUMNS} FROM channel_configs cc WHERE cc.channel_id = ? ORDER BY cc.valid_from_ms"),
        params![channel],
    )?
    .iter()
    .map(config)
    .collect()
}

/// Channels from `rows`, with the configurations `config_rows` (ordered by channel, time).
fn assemble(rows: Vec<Row>, config_rows: Vec<Row>) -> Result<Vec<Channel>> {
    let mut by_id: BTreeMap<ChannelId, Vec<ChannelConfig>> = BTreeMap::new();
    for r in &config_rows {
        by_id
            .entry(r.id("channel_id")?)
            .or_default()
            .push(config(r)?);
    }
    rows.iter()
        .map(|r| {
            let mut c = bare(r)?;
            c.configs = by_id.remove(&c.id).unwrap_or_default();
            Ok(c)
        })
        .collect()
}

impl Channels<'_, '_> {
    /// Adds a channel (with its first meaning, if any); a second channel with the same name on
    /// the same meter is a conflict.
    pub fn add(&mut self, new: &NewChannel, now_ms: i64) -> Result<ChannelId> {
        self.0.communities().get(new.community_id)?;
        if let Some(m) = new.meter_id {
            self.0.meters().in_community(new.community_id, m)?;
        }
        if self
            .named(new.community_id, new.meter_id, new.series_key.as_str())?
            .is_some()
        {
            return Err(StoreError::conflict(format!(
                "a channel named '{}' exists already on this meter",
                new.series_key
            )));
        }
        let db = self.0.writing()?;
        let id: ChannelId = db
            .query_one(
                "INSERT INTO channels (community_id, meter_id, series_key, unit, created_ms) VALUES (?, ?, ?, ?, ?) RETURNING id",
                params![new.community_id, new.meter_id, new.series_key.as_str(), new.unit.as_str(), now_ms],
            )?
            .id("id")?;
        if let Some(kind) = new.kind {
            db.exec(
                "INSERT INTO channel_configs (channel_id, valid_from_ms, kind, phase, note) VALUES (?, ?, ?, ?, '')",
                params![id, new.valid_from_ms, kind.as_str(), new.phase],
            )?;
        }
        Ok(id)
    }

    /// The channel named `key` on `meter` (or unassigned to any meter), registering it if it
    /// is new. Returns it and whether it was created.
    pub fn register(
        &mut self,
        community: CommunityId,
        meter: Option<MeterId>,
        key: &SeriesKey,
        unit: Unit,
        sampling: Sampling,
        now_ms: i64,
    ) -> Result<(Channel, bool)> {
        if let Some(c) = self.named(community, meter, key.as_str())? {
            return Ok((c, false));
        }
        let inserted = self.0.writing()?.exec(
            "INSERT INTO channels (community_id, meter_id, series_key, unit, hold_ms, created_ms) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT DO NOTHING",
            params![community, meter, key.as_str(), unit.as_str(), sampling.hold_ms(), now_ms],
        )?;
        let channel = self
            .named(community, meter, key.as_str())?
            .ok_or_else(|| StoreError::internal(format!("channel '{key}' not registered")))?;
        Ok((channel, inserted > 0))
    }

    /// The channel named `key` on `meter` (`None`: not on any meter).
    pub fn named(
        &mut self,
        community: CommunityId,
        meter: Option<MeterId>,
        key: &str,
    ) -> Result<Option<Channel>> {
        let row = match meter {
            Some(m) => self.0.db().query_opt(
                &format!("{SELECT} WHERE community_id = ? AND meter_id = ? AND series_key = ?"),
                params![community, m, key],
            )?,
            None => self.0.db().query_opt(
                &format!("{SELECT} WHERE community_id = ? AND meter_id IS NULL AND series_key = ?"),
                params![community, key],
            )?,
        };
        row.map(|r| self.with_configs(bare(&r)?)).transpose()
    }

    /// Every channel of the community named `key` (on any meter, or none).
    pub fn by_key(&mut self, community: CommunityId, key: &str) -> Result<Vec<Channel>> {
        let rows = self.0.db().query(
            &format!("{SELECT} WHERE community_id = ? AND series_key = ? ORDER BY id"),
            params![community, key],
        )?;
        rows.iter()
            .map(|r| {
                let c = bare(r)?;
                self.with_configs(c)
            })
            .collect()
    }

    fn with_configs(&mut self, mut c: Channel) -> Result<Channel> {
        c.configs = configs(self.0.db(), c.id)?;
        Ok(c)
    }

    pub fn get(&mut self, id: ChannelId) -> Result<Channel> {
        self.find(id)?
            .ok_or_else(|| StoreError::not_found(format!("channel {id}")))
    }

    pub fn find(&mut self, id: ChannelId) -> Result<Option<Channel>> {
        let row = self
            .0
            .db()
            .query_opt(&format!("{SELECT} WHERE id = ?"), params![id])?;
        row.map(|r| self.with_configs(bare(&r)?)).transpose()
    }

    pub fn list(&mut self, community: CommunityId) -> Result<Vec<Channel>> {
        let db = self.0.db();
        let rows = db.query(
            &format!("{SELECT} WHERE community_id = ? ORDER BY id"),
            params![community],
        )?;
        let configs = db.query(
            &format!("SELECT {CONFIG_COLUMNS} FROM channel_configs cc JOIN channels ch ON ch.id = cc.channel_id
                      WHERE ch.community_id = ? ORDER BY cc.channel_id, cc.valid_from_ms"),
            params![community],
        )?;
        assemble(rows, configs)
    }

    /// Channels of the meters of one member.
    pub fn of_member(&mut self, member: MemberId) -> Result<Vec<Channel>> {
        let db = self.0.db();
        let rows = db.query(
            &format!("{SELECT} WHERE meter_id IN (SELECT id FROM meters WHERE member_id = ?) ORDER BY id"),
            params![member],
        )?;
        let configs = db.query(
            &format!("SELECT {CONFIG_COLUMNS} FROM channel_configs cc JOIN channels ch ON ch.id = cc.channel_id
                      JOIN meters m ON m.id = ch.meter_id WHERE m.member_id = ? ORDER BY cc.channel_id, cc.valid_from_ms"),
            params![member],
        )?;
        assemble(rows, configs)
    }

    /// Channels without any meaning yet, in the community.
    pub fn count_unassigned(&mut self, community: CommunityId) -> Result<i64> {
        self.0
            .db()
            .query_one(
                "SELECT count(*) AS n FROM channels ch WHERE ch.community_id = ?
                 AND NOT EXISTS (SELECT 1 FROM channel_configs cc WHERE cc.channel_id = ch.id)",
                params![community],
            )?
            .i64("n")
    }

    /// Gives a channel a meter and a meaning from `valid_from_ms` on. The previous meaning stays
    /// valid before that instant (configuration history); community totals are rebuilt.
    pub fn assign(
        &mut self,
        channel: ChannelId,
        meter: MeterId,
        kind: ChannelKind,
        phase: Option<i64>,
        valid_from_ms: i64,
        note: &str,
    ) -> Result<()> {
        let current = self.get(channel)?;
        let meter_row = self.0.meters().get(meter)?;
        if meter_row.community_id != current.community_id {
            return Err(StoreError::invalid(format!(
                "meter {meter} belongs to another community than channel {channel}"
            )));
        }
        if current.meter_id != Some(meter) {
            if let Some(other) =
                self.named(current.community_id, Some(meter), &current.series_key)?
            {
                return Err(StoreError::conflict(format!(
                    "meter {} already has a channel named '{}' (channel {})",
                    meter_row.name, current.series_key, other.id
                )));
            }
        }
        // Everyone who changes this community's totals waits until they are rebuilt.
        self.lock_community(current.community_id)?;
        let db = self.0.writing()?;
        db.exec(
            "UPDATE channels SET meter_id = ? WHERE id = ?",
            params![meter, channel],
        )?;
        db.exec(
            "DELETE FROM channel_configs WHERE channel_id = ? AND valid_from_ms >= ?",
            params![channel, valid_from_ms],
        )?;
        db.exec(
            "UPDATE channel_configs SET valid_to_ms = ? WHERE channel_id = ? AND (valid_to_ms IS NULL OR valid_to_ms > ?)",
            params![valid_from_ms, channel, valid_from_ms],
        )?;
        db.exec(
            "INSERT INTO channel_configs (channel_id, valid_from_ms, kind, phase, note) VALUES (?, ?, ?, ?, ?)",
            params![channel, valid_from_ms, kind.as_str(), phase, note],
        )?;
        self.0.totals().rebuild(current.community_id)
    }

    /// Locks channels against concurrent writers until the transaction ends (PostgreSQL row
    /// locks, taken in id order so two writers never wait on each other in a cycle; SQLite has
    /// one writer at a time already).
    pub(crate) fn lock(&mut self, channels: &[ChannelId]) -> Result<()> {
        let db = self.0.writing()?;
        if db.dialect() == Dialect::Sqlite {
            return Ok(());
        }
        let mut ids = channels.to_vec();
        ids.sort();
        ids.dedup();
        for id in ids {
            db.query(
                "SELECT id FROM channels WHERE id = ? FOR UPDATE",
                params![id],
            )?;
        }
        Ok(())
    }

    /// Locks every channel of a community (in id order), so totals can be rebuilt while no
    /// writer changes them.
    pub(crate) fn lock_community(&mut self, community: CommunityId) -> Result<()> {
        let db = self.0.writing()?;
        if db.dialect() == Dialect::Sqlite {
            return Ok(());
        }
        db.query(
            "SELECT id FROM channels WHERE community_id = ? ORDER BY id FOR UPDATE",
            params![community],
        )?;
        Ok(())
    }

    /// Moves the channel's newest-point mark forward.
    pub(crate) fn mark_last(&mut self, channel: ChannelId, ts_ms: i64) -> Result<()> {
        self.0.writing()?.exec(
            "UPDATE channels SET last_ts_ms = ? WHERE id = ? AND (last_ts_ms IS NULL OR last_ts_ms < ?)",
            params![ts_ms, channel, ts_ms],
        )?;
        Ok(())
    }
}
