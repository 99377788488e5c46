//! Raw points: compressed chunks per channel, and the write path that keeps the quarter-hours
//! (and community totals) following from them — all in the caller's transaction.
//!
//! Invariants:
//! - chunks of one channel never overlap in time, hold at most 4,096 points and span at most
//!   [`MAX_CHUNK_SPAN_MS`]; a point at an instant already stored replaces it (duplicates are
//!   idempotent, late and out-of-order points merge into place);
//! - after a write, every quarter-hour the new points can change has been recomputed from the
//!   raw points: the slots of each cluster of new points, out to the neighbouring stored points
//!   that pair with them (one gap for power, the counter fill limit for counters). Points far
//!   apart are separate clusters, so a batch with a point in 2009 and one now recomputes two
//!   small runs of quarter-hours, not seventeen years.

use std::collections::BTreeMap;

use analytics::quarter_hour::{self, CounterRules};
use domain::{ChannelConfig, ChannelId, CommunityId, MeterId, Point, Sampling, Slot, Unit};

use crate::backend::{params, Row, Sql};
use crate::encoding::chunks as codec;
use crate::encoding::days::Stored;
use crate::repo::channels;
use crate::repo::intervals::{self, Change, Deltas, Editor};
use crate::{Result, StoreError, Tx};

/// A chunk never spans more than this, so time-range lookups stay index ranges.
pub const MAX_CHUNK_SPAN_MS: i64 = 6 * 3_600_000;
/// A chunk with fewer points than this is extended by the points that follow it.
const EXTEND_BELOW_POINTS: i64 = 2048;
const MAX_CHUNK_POINTS: usize = 4096;

pub struct Points<'t, 'c>(pub(crate) &'t mut Tx<'c>);

/// What a write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteSummary {
    pub points: usize,
    pub channels: usize,
    /// Quarter-hours whose best version changed.
    pub slots: usize,
}

impl WriteSummary {
    pub fn add(&mut self, other: WriteSummary) {
        self.points += other.points;
        self.channels += other.channels;
        self.slots += other.slots;
    }
}

struct Meta {
    community: CommunityId,
    meter: Option<MeterId>,
    unit: Unit,
    max_gap_ms: i64,
    fill_max_ms: i64,
    sampling: Sampling,
    configs: Vec<ChannelConfig>,
}

fn meta(db: &mut dyn Sql, channel: ChannelId) -> Result<Meta> {
    let r = db
        .query_opt(
            "SELECT ch.community_id AS community_id, ch.unit AS unit, ch.meter_id AS meter_id,
                    ch.hold_ms AS hold_ms, c.max_gap_ms AS max_gap_ms, c.counter_fill_max_ms AS fill_max_ms
             FROM channels ch JOIN communities c ON c.id = ch.community_id WHERE ch.id = ?",
            params![channel],
        )?
        .ok_or_else(|| StoreError::not_found(format!("channel {channel}")))?;
    let unit = r.text("unit")?;
    Ok(Meta {
        community: r.id("community_id")?,
        meter: r.opt_id("meter_id")?,
        unit: Unit::parse(&unit).map_err(|_| StoreError::corrupt(format!("unit '{unit}'")))?,
        max_gap_ms: r.i64("max_gap_ms")?,
        fill_max_ms: r.i64("fill_max_ms")?,
        sampling: Sampling::from_hold_ms(r.opt_i64("hold_ms")?),
        configs: channels::configs(db, channel)?,
    })
}

/// Sorts by time and keeps the last of several points at one instant.
fn sort_dedup(points: &mut Vec<Point>) {
    points.sort_by_key(|p| p.ts_ms); // stable: later duplicates stay after earlier ones
    let mut out: Vec<Point> = Vec::with_capacity(points.len());
    for p in points.drain(..) {
        match out.last_mut() {
            Some(last) if last.ts_ms == p.ts_ms => *last = p,
            _ => out.push(p),
        }
    }
    *points = out;
}

fn decode_row(row: &Row, out: &mut Vec<Point>) -> Result<()> {
    codec::decode_into(row.blob("data")?, out)?;
    Ok(())
}

/// Merges sorted, deduplicated `points` into the channel's chunks. Returns the points of the
/// chunks it rewrote: every stored point of the channel between the first and the last of them.
fn store_raw(db: &mut dyn Sql, channel: ChannelId, points: &[Point]) -> Result<Vec<Point>> {
    let (lo, hi) = (points[0].ts_ms, points[points.len() - 1].ts_ms);
    let mut absorbed: Vec<(i64, Vec<Point>)> = Vec::new();
    for row in db.query(
        "SELECT t_min_ms, data FROM raw_chunks
         WHERE channel_id = ? AND t_min_ms >= ? AND t_min_ms <= ? AND t_max_ms >= ?",
        params![channel, lo.saturating_sub(MAX_CHUNK_SPAN_MS), hi, lo],
    )? {
        let mut pts = Vec::new();
        decode_row(&row, &mut pts)?;
        absorbed.push((row.i64("t_min_ms")?, pts));
    }
    if let Some(prev) = db.query_opt(
        "SELECT t_min_ms, t_max_ms, n, data FROM raw_chunks
         WHERE channel_id = ? AND t_min_ms < ? ORDER BY t_min_ms DESC LIMIT 1",
        params![channel, lo],
    )? {
        let (t_min, t_max, n) = (prev.i64("t_min_ms")?, prev.i64("t_max_ms")?, prev.i64("n")?);
        let extendable =
            t_max < lo && n < EXTEND_BELOW_POINTS && hi.saturating_sub(t_min) <= MAX_CHUNK_SPAN_MS;
        if extendable {
            let mut pts = Vec::new();
            decode_row(&prev, &mut pts)?;
            absorbed.push((t_min, pts));
        }
    }
    // Chunks rewritten under their own key are updated in place (no page churn); the others
    // are deleted once the merged points are stored.
    let mut stale: Vec<i64> = absorbed.iter().map(|(k, _)| *k).collect();
    let merged: Vec<Point> = if absorbed.is_empty() {
        points.to_vec()
    } else {
        let mut old: Vec<Point> = absorbed.into_iter().flat_map(|(_, p)| p).collect();
        old.extend_from_slice(points); // new points last: they win over stored ones
        sort_dedup(&mut old);
        old
    };
    let mut start = 0;
    while start < merged.len() {
        let t0 = merged[start].ts_ms;
        let mut end = start + 1;
        while end < merged.len()
            && end - start < MAX_CHUNK_POINTS
            && merged[end].ts_ms - t0 <= MAX_CHUNK_SPAN_MS
        {
            end += 1;
        }
        let piece = &merged[start..end];
        let (t_max, n, data) = (
            piece[piece.len() - 1].ts_ms,
            piece.len() as i64,
            codec::encode(piece),
        );
        if let Some(i) = stale.iter().position(|&k| k == t0) {
            stale.swap_remove(i);
            db.exec(
                "UPDATE raw_chunks SET t_max_ms = ?, n = ?, data = ? WHERE channel_id = ? AND t_min_ms = ?",
                params![t_max, n, data, channel, t0],
            )?;
        } else {
            db.exec(
                "INSERT INTO raw_chunks (channel_id, t_min_ms, t_max_ms, n, data) VALUES (?, ?, ?, ?, ?)",
                params![channel, t0, t_max, n, data],
            )?;
        }
        start = end;
    }
    for key in stale {
        db.exec(
            "DELETE FROM raw_chunks WHERE channel_id = ? AND t_min_ms = ?",
            params![channel, key],
        )?;
    }
    Ok(merged)
}

/// Stored points of one channel around a write: those of the chunks just rewritten (every stored
/// point in their span), asking the database only for what lies outside it.
struct Around<'p> {
    channel: ChannelId,
    known: &'p [Point],
}

impl Around<'_> {
    /// The last stored point before `ts_ms`.
    fn before(&self, db: &mut dyn Sql, ts_ms: i64) -> Result<Option<Point>> {
        let k = self.known.partition_point(|p| p.ts_ms < ts_ms);
        if k > 0 && k < self.known.len() {
            return Ok(Some(self.known[k - 1]));
        }
        point_before(db, self.channel, ts_ms)
    }

    /// The first stored point after `ts_ms`.
    fn after(&self, db: &mut dyn Sql, ts_ms: i64) -> Result<Option<Point>> {
        let k = self.known.partition_point(|p| p.ts_ms <= ts_ms);
        if k > 0 && k < self.known.len() {
            return Ok(Some(self.known[k]));
        }
        point_after(db, self.channel, ts_ms)
    }

    /// Stored points in `[from_ms, to_ms)`.
    fn range(&self, db: &mut dyn Sql, from_ms: i64, to_ms: i64) -> Result<Vec<Point>> {
        match (self.known.first(), self.known.last()) {
            (Some(first), Some(last)) if first.ts_ms < from_ms && last.ts_ms >= to_ms => {
                let a = self.known.partition_point(|p| p.ts_ms < from_ms);
                let b = self.known.partition_point(|p| p.ts_ms < to_ms);
                Ok(self.known[a..b].to_vec())
            }
            _ => load_range(db, self.channel, from_ms, to_ms),
        }
    }
}

/// Raw points of a channel in `[from_ms, to_ms)`.
fn load_range(
    db: &mut dyn Sql,
    channel: ChannelId,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<Point>> {
    let rows = db.query(
        "SELECT data FROM raw_chunks WHERE channel_id = ? AND t_min_ms >= ? AND t_min_ms < ? AND t_max_ms >= ?
         ORDER BY t_min_ms",
        params![channel, from_ms.saturating_sub(MAX_CHUNK_SPAN_MS), to_ms, from_ms],
    )?;
    let mut points = Vec::new();
    for row in &rows {
        decode_row(row, &mut points)?;
    }
    points.retain(|p| p.ts_ms >= from_ms && p.ts_ms < to_ms);
    Ok(points)
}

/// The last stored point before `ts_ms`.
fn point_before(db: &mut dyn Sql, channel: ChannelId, ts_ms: i64) -> Result<Option<Point>> {
    let Some(row) = db.query_opt(
        "SELECT data FROM raw_chunks WHERE channel_id = ? AND t_min_ms < ? ORDER BY t_min_ms DESC LIMIT 1",
        params![channel, ts_ms],
    )?
    else {
        return Ok(None);
    };
    let mut pts = Vec::new();
    decode_row(&row, &mut pts)?;
    Ok(pts.into_iter().rev().find(|p| p.ts_ms < ts_ms))
}

/// The first stored point after `ts_ms`.
fn point_after(db: &mut dyn Sql, channel: ChannelId, ts_ms: i64) -> Result<Option<Point>> {
    let Some(row) = db.query_opt(
        "SELECT data FROM raw_chunks WHERE channel_id = ? AND t_min_ms > ? AND t_max_ms > ?
         ORDER BY t_min_ms LIMIT 1",
        params![channel, ts_ms.saturating_sub(MAX_CHUNK_SPAN_MS), ts_ms],
    )?
    else {
        return Ok(None);
    };
    let mut pts = Vec::new();
    decode_row(&row, &mut pts)?;
    Ok(pts.into_iter().find(|p| p.ts_ms > ts_ms))
}

impl Points<'_, '_> {
    /// Stores raw points of several channels (locked in id order) and updates the
    /// quarter-hours and totals they change. `contact_ms`: the server time at which a meter
    /// sent them live (`None` for imports, which do not make a meter look alive).
    pub fn write_batch(
        &mut self,
        batch: &[(ChannelId, Vec<Point>)],
        contact_ms: Option<i64>,
    ) -> Result<WriteSummary> {
        let slices: Vec<(ChannelId, &[Point])> =
            batch.iter().map(|(c, p)| (*c, p.as_slice())).collect();
        self.write_slices(&slices, contact_ms)
    }

    /// Stores raw points of one channel (see [`Points::write_batch`]).
    pub fn write(
        &mut self,
        channel: ChannelId,
        points: &[Point],
        contact_ms: Option<i64>,
    ) -> Result<WriteSummary> {
        self.write_slices(&[(channel, points)], contact_ms)
    }

    fn write_slices(
        &mut self,
        batch: &[(ChannelId, &[Point])],
        contact_ms: Option<i64>,
    ) -> Result<WriteSummary> {
        let ids: Vec<ChannelId> = batch
            .iter()
            .filter(|(_, p)| !p.is_empty())
            .map(|(c, _)| *c)
            .collect();
        self.0.channels().lock(&ids)?;
        let mut summary = WriteSummary::default();
        let mut meters: Vec<MeterId> = Vec::new();
        // One application of the totals per community for the whole batch: fewer statements,
        // and rows are locked in (kind, slot) order whatever the channels.
        let mut deltas: BTreeMap<CommunityId, Deltas> = BTreeMap::new();
        for (channel, points) in batch {
            if points.is_empty() {
                continue;
            }
            let (s, meter, community, d) = self.write_one(*channel, points)?;
            summary.add(s);
            meters.extend(meter);
            intervals::merge(deltas.entry(community).or_default(), d);
        }
        for (community, d) in deltas {
            self.0.totals().apply(community, &d)?;
        }
        if let Some(at) = contact_ms {
            meters.sort();
            meters.dedup();
            for m in meters {
                self.0.meters().touch(m, at)?;
            }
        }
        Ok(summary)
    }

    fn write_one(
        &mut self,
        channel: ChannelId,
        points: &[Point],
    ) -> Result<(WriteSummary, Option<MeterId>, CommunityId, Deltas)> {
        let db = self.0.writing()?;
        let meta = meta(db, channel)?;
        if let Some(p) = points.iter().find(|p| !p.value.is_finite()) {
            return Err(StoreError::invalid(format!(
                "point at {} ms is not a finite number",
                p.ts_ms
            )));
        }
        let mut sorted = points.to_vec();
        sort_dedup(&mut sorted);
        let kind = meta.configs.last().map(|c| c.kind);
        let max_gap = meta.max_gap_ms;
        let rules = CounterRules::new(
            max_gap,
            meta.fill_max_ms,
            self.0.settings().limits.max_w(kind),
        )
        .with_sampling(meta.sampling);
        // How far a power reading decides: one gap, or one hold when written on change.
        let power_reach = meta.sampling.hold_ms().unwrap_or(max_gap);
        let reach = match meta.unit {
            Unit::Watt => power_reach,
            Unit::WattHour => rules.reach_ms(meta.unit),
        };
        let db = self.0.writing()?;
        let mut editor = Editor::new(channel, &meta.configs);
        for (lo, hi) in quarter_hour::clusters(&sorted, reach) {
            let a = sorted.partition_point(|p| p.ts_ms < lo);
            let b = sorted.partition_point(|p| p.ts_ms <= hi);
            let rewritten = store_raw(db, channel, &sorted[a..b])?;
            let around = Around {
                channel,
                known: &rewritten,
            };
            // The quarter-hours the new points can change, and the points that decide them.
            let (start, end, window) = match meta.unit {
                // A power sample pairs only with neighbours up to one gap away: one range holds
                // them all.
                Unit::Watt => {
                    let (start, end) = (lo - power_reach, hi + power_reach);
                    let from = Slot::containing_ms(start).start_ms() - power_reach;
                    let to = Slot::containing_ms(end).end_ms() + power_reach + 1;
                    (start, end, around.range(db, from, to)?)
                }
                // A counter's delta reaches across silences up to the fill limit: find the
                // neighbours first, then read exactly what lies between them.
                Unit::WattHour => {
                    let start = match around.before(db, lo)? {
                        Some(p) if lo - p.ts_ms <= reach => p.ts_ms,
                        _ => lo,
                    };
                    let next = around.after(db, hi)?;
                    let end = match next {
                        Some(p) if p.ts_ms - hi <= reach => p.ts_ms,
                        _ => hi,
                    };
                    let first = Slot::containing_ms(start);
                    let last = Slot::containing_ms(end);
                    let mut window = Vec::new();
                    window.extend(around.before(db, first.start_ms())?);
                    window.extend(around.range(db, first.start_ms(), last.end_ms())?);
                    if next.is_some() {
                        // Nothing after `hi` means nothing after the quarter-hour's end either.
                        window.extend(around.after(db, last.end_ms() - 1)?);
                    }
                    (start, end, window)
                }
            };
            for slot in quarter_hour::slots_between(start, end) {
                let computed = match meta.unit {
                    Unit::Watt => {
                        quarter_hour::from_power_sampled(&window, slot, max_gap, meta.sampling)
                    }
                    Unit::WattHour => quarter_hour::from_counter(&window, slot, &rules),
                };
                editor.apply(
                    db,
                    slot,
                    Change::Points(computed.map(|i| Stored::from_interval(&i))),
                )?;
            }
        }
        let (changed, deltas) = editor.finish(db)?;
        self.0
            .channels()
            .mark_last(channel, sorted[sorted.len() - 1].ts_ms)?;
        Ok((
            WriteSummary {
                points: sorted.len(),
                channels: 1,
                slots: changed,
            },
            meta.meter,
            meta.community,
            deltas,
        ))
    }

    /// Raw points of a channel in `[from_ms, to_ms)`, sorted by time.
    pub fn range(&mut self, channel: ChannelId, from_ms: i64, to_ms: i64) -> Result<Vec<Point>> {
        load_range(self.0.db(), channel, from_ms, to_ms)
    }

    /// The last `n` points of a channel at or before `at_ms`, oldest first.
    pub fn last(&mut self, channel: ChannelId, n: usize, at_ms: i64) -> Result<Vec<Point>> {
        let rows = self.0.db().query(
            "SELECT data FROM raw_chunks WHERE channel_id = ? AND t_min_ms <= ? ORDER BY t_min_ms DESC LIMIT 2",
            params![channel, at_ms],
        )?;
        let mut out: Vec<Point> = Vec::new();
        for row in rows.iter().rev() {
            decode_row(row, &mut out)?;
        }
        out.retain(|p| p.ts_ms <= at_ms);
        let keep = out.len().saturating_sub(n);
        Ok(out.split_off(keep))
    }

    /// The instant of the channel's oldest stored point.
    pub fn first_ts(&mut self, channel: ChannelId) -> Result<Option<i64>> {
        self.0
            .db()
            .query_opt(
                "SELECT t_min_ms FROM raw_chunks WHERE channel_id = ? ORDER BY t_min_ms LIMIT 1",
                params![channel],
            )?
            .map(|r| r.i64("t_min_ms"))
            .transpose()
    }

    /// Deletes raw chunks entirely older than the retention; quarter-hours are kept forever.
    pub fn prune(&mut self, now_ms: i64) -> Result<u64> {
        let Some(days) = self.0.settings().raw_retention_days else {
            return Ok(0);
        };
        let cutoff = now_ms.saturating_sub(i64::from(days) * 86_400_000);
        self.0
            .writing()?
            .exec("DELETE FROM raw_chunks WHERE t_max_ms < ?", params![cutoff])
    }

    /// How many raw points are stored.
    pub fn count(&mut self) -> Result<i64> {
        self.0
            .db()
            .query_one(
                "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM raw_chunks",
                &[],
            )?
            .i64("n")
    }
}
