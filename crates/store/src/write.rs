//! The write path: raw points into compressed chunks, the quarter-hours they change, and the
//! community totals those change — all in the caller's transaction.
//!
//! Invariants:
//! - chunks of one channel never overlap in time and each spans at most [`MAX_CHUNK_SPAN_MS`];
//!   a point at an instant already stored replaces it (duplicates are idempotent);
//! - `interval_days` holds the highest-provenance version of each (channel, slot), a UTC day per
//!   row (see `days.rs`); a version it replaces, or a lower one arriving later, is kept in
//!   `intervals_superseded`;
//! - `community_slots` is the exact integer sum (mWh) of the best quarter-hours over the channels whose
//!   configuration is valid at the slot, maintained by deltas and rebuilt on reassignment.

use std::collections::HashMap;

use analytics::quarter_hour;
use domain::{ChannelKind, Interval, Point, Provenance, Slot, Unit, SLOT_MS};

use crate::days::{day_of, DayBlock, Stored};
use crate::sql::{params, Row, Sql};
use crate::{codec, ChannelConfig, Result, Store, StoreError};

/// A chunk never spans more than this, so time-range lookups stay index ranges.
pub const MAX_CHUNK_SPAN_MS: i64 = 6 * 3_600_000;
/// A chunk with fewer points than this is extended by the points that follow it.
const EXTEND_BELOW_POINTS: i64 = 2048;
const MAX_CHUNK_POINTS: usize = 4096;

/// Points of one channel, in any order, possibly with duplicates.
#[derive(Debug, Clone)]
pub struct ChannelPoints {
    pub channel_id: i64,
    pub points: Vec<Point>,
}

/// What a write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteSummary {
    pub points: usize,
    pub channels: usize,
    pub slots: usize,
}

struct ChannelMeta {
    community_id: i64,
    meter_id: Option<i64>,
    unit: Unit,
    max_gap_ms: i64,
    configs: Vec<ChannelConfig>,
}

impl Store {
    /// Stores raw points and updates the quarter-hours and community totals they change, in
    /// one transaction: when this returns `Ok`, everything is committed.
    pub fn write_points(&self, batch: &[ChannelPoints], received_ms: i64) -> Result<WriteSummary> {
        self.write(|db| {
            let mut summary = WriteSummary::default();
            let mut meters = std::collections::BTreeSet::new();
            for cp in batch {
                if cp.points.is_empty() {
                    continue;
                }
                let meta = channel_meta(db, cp.channel_id)?;
                let mut points = cp.points.clone();
                sort_dedup(&mut points);
                store_raw(db, cp.channel_id, &points)?;
                let (lo, hi) = (points[0].ts_ms, points[points.len() - 1].ts_ms);
                summary.slots += recompute_slots(db, cp.channel_id, &meta, lo, hi)?;
                summary.points += points.len();
                summary.channels += 1;
                db.exec(
                    "UPDATE channels SET last_ts_ms = ? WHERE id = ? AND (last_ts_ms IS NULL OR last_ts_ms < ?)",
                    params![hi, cp.channel_id, hi],
                )?;
                if let Some(meter) = meta.meter_id {
                    meters.insert(meter);
                }
            }
            for meter in &meters {
                db.exec("UPDATE meters SET last_contact_ms = ? WHERE id = ?", params![received_ms, *meter])?;
            }
            Ok(summary)
        })
    }

    /// Stores quarter-hours that come as such (grid-operator exports, cabin files, generated
    /// history), each with its provenance. A higher provenance replaces a lower one; nothing is
    /// lost.
    pub fn write_intervals(&self, channel_id: i64, intervals: &[Interval]) -> Result<WriteSummary> {
        self.write(|db| {
            let meta = channel_meta(db, channel_id)?;
            let mut deltas = SlotDeltas::default();
            upsert_intervals(db, channel_id, &meta, intervals, &mut deltas)?;
            deltas.apply(db, meta.community_id)?;
            Ok(WriteSummary {
                points: 0,
                channels: 1,
                slots: intervals.len(),
            })
        })
    }
}

fn channel_meta(db: &mut dyn Sql, channel_id: i64) -> Result<ChannelMeta> {
    let row = db
        .query_opt(
            "SELECT ch.community_id, ch.unit, c.max_gap_ms, ch.meter_id FROM channels ch
             JOIN communities c ON c.id = ch.community_id WHERE ch.id = ?",
            params![channel_id],
        )?
        .ok_or_else(|| StoreError::NotFound(format!("channel {channel_id}")))?;
    Ok(ChannelMeta {
        community_id: row.i64(0),
        unit: Unit::parse(&row.text(1)).map_err(|e| StoreError::Invalid(e.to_string()))?,
        max_gap_ms: row.i64(2),
        meter_id: row.opt_i64(3),
        configs: channel_configs(db, channel_id)?,
    })
}

pub(crate) fn channel_configs(db: &mut dyn Sql, channel_id: i64) -> Result<Vec<ChannelConfig>> {
    db.query(
        "SELECT valid_from_ms, valid_to_ms, kind, phase, note FROM channel_configs
         WHERE channel_id = ? ORDER BY valid_from_ms",
        params![channel_id],
    )?
    .iter()
    .map(|r| {
        Ok(ChannelConfig {
            valid_from_ms: r.i64(0),
            valid_to_ms: r.opt_i64(1),
            kind: ChannelKind::parse(&r.text(2)).map_err(|e| StoreError::Invalid(e.to_string()))?,
            phase: r.opt_i64(3),
            note: r.text(4),
        })
    })
    .collect()
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

/// Merges sorted, deduplicated `points` into the channel's chunks.
fn store_raw(db: &mut dyn Sql, channel_id: i64, points: &[Point]) -> Result<()> {
    let (lo, hi) = (points[0].ts_ms, points[points.len() - 1].ts_ms);
    let mut absorbed: Vec<Row> = db.query(
        "SELECT t_min_ms, data FROM raw_chunks
         WHERE channel_id = ? AND t_min_ms >= ? AND t_min_ms <= ? AND t_max_ms >= ?",
        params![channel_id, lo - MAX_CHUNK_SPAN_MS, hi, lo],
    )?;
    if let Some(prev) = db.query_opt(
        "SELECT t_min_ms, data, t_max_ms, n FROM raw_chunks
         WHERE channel_id = ? AND t_min_ms < ? ORDER BY t_min_ms DESC LIMIT 1",
        params![channel_id, lo],
    )? {
        let extendable = prev.i64(2) < lo
            && prev.i64(3) < EXTEND_BELOW_POINTS
            && hi - prev.i64(0) <= MAX_CHUNK_SPAN_MS;
        if extendable {
            absorbed.push(Row(prev.0[..2].to_vec()));
        }
    }
    // Chunks rewritten under their own key are updated in place (no page churn); the others
    // are deleted once the merged points are stored.
    let mut stale: Vec<i64> = absorbed.iter().map(|r| r.i64(0)).collect();
    let merged: Vec<Point> = if absorbed.is_empty() {
        points.to_vec()
    } else {
        let mut old = Vec::new();
        for row in &absorbed {
            codec::decode_into(row.blob(1), &mut old)
                .map_err(|source| StoreError::Codec { channel_id, source })?;
        }
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
                params![t_max, n, data, channel_id, t0],
            )?;
        } else {
            db.exec(
                "INSERT INTO raw_chunks (channel_id, t_min_ms, t_max_ms, n, data) VALUES (?, ?, ?, ?, ?)",
                params![channel_id, t0, t_max, n, data],
            )?;
        }
        start = end;
    }
    for key in stale {
        db.exec(
            "DELETE FROM raw_chunks WHERE channel_id = ? AND t_min_ms = ?",
            params![channel_id, key],
        )?;
    }
    Ok(())
}

/// Raw points of a channel in `[from_ms, to_ms)`.
pub(crate) fn load_points(
    db: &mut dyn Sql,
    channel_id: i64,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<Point>> {
    let rows = db.query(
        "SELECT data FROM raw_chunks WHERE channel_id = ? AND t_min_ms >= ? AND t_min_ms < ? AND t_max_ms >= ?
         ORDER BY t_min_ms",
        params![channel_id, from_ms - MAX_CHUNK_SPAN_MS, to_ms, from_ms],
    )?;
    let mut points = Vec::new();
    for row in &rows {
        codec::decode_into(row.blob(0), &mut points)
            .map_err(|source| StoreError::Codec { channel_id, source })?;
    }
    points.retain(|p| p.ts_ms >= from_ms && p.ts_ms < to_ms);
    Ok(points)
}

/// Recomputes the measured quarter-hours that points in `[lo, hi]` can change.
fn recompute_slots(
    db: &mut dyn Sql,
    channel_id: i64,
    meta: &ChannelMeta,
    lo: i64,
    hi: i64,
) -> Result<usize> {
    let gap = meta.max_gap_ms;
    let slots: Vec<Slot> = quarter_hour::affected_slots(lo, hi, gap).collect();
    let from = slots[0].start_ms() - gap;
    let to = slots[slots.len() - 1].end_ms() + gap + 1;
    let points = load_points(db, channel_id, from, to)?;
    let mut computed = Vec::with_capacity(slots.len());
    for slot in slots {
        let a = points.partition_point(|p| p.ts_ms < slot.start_ms() - gap);
        let b = points.partition_point(|p| p.ts_ms <= slot.end_ms() + gap);
        let window = &points[a..b];
        let interval = match meta.unit {
            Unit::Watt => quarter_hour::from_power(window, slot, gap),
            Unit::WattHour => quarter_hour::from_counter(window, slot, gap),
        };
        computed.extend(interval);
    }
    let mut deltas = SlotDeltas::default();
    upsert_intervals(db, channel_id, meta, &computed, &mut deltas)?;
    deltas.apply(db, meta.community_id)?;
    Ok(computed.len())
}

fn superseded_params(s: &Stored, channel_id: i64, slot: i64) -> Vec<crate::sql::Value> {
    params![
        channel_id,
        slot,
        s.provenance,
        s.energy_mwh,
        s.mean_mw(),
        s.min_mw,
        s.max_mw,
        s.covered_ms
    ]
    .to_vec()
}

pub(crate) fn interval_from_row(r: &Row) -> Interval {
    Interval {
        slot: Slot::from_index(r.i64(0)),
        provenance: Provenance::from_rank(r.i64(1)).unwrap_or(Provenance::Measured),
        energy_wh: r.i64(2) as f64 / 1000.0,
        mean_w: r.i64(3) as f64 / 1000.0,
        min_w: r.i64(4) as f64 / 1000.0,
        max_w: r.i64(5) as f64 / 1000.0,
        coverage: r.i64(6) as f64 / SLOT_MS as f64,
    }
}

const UPSERT_SUPERSEDED: &str = "INSERT INTO intervals_superseded (channel_id, slot, provenance, energy_mwh, mean_mw, min_mw, max_mw, covered_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (channel_id, slot, provenance) DO UPDATE SET
       energy_mwh = excluded.energy_mwh, mean_mw = excluded.mean_mw, min_mw = excluded.min_mw,
       max_mw = excluded.max_mw, covered_ms = excluded.covered_ms";

/// Puts one quarter-hour into its day block: a higher (or equal) provenance replaces the stored
/// version, which is kept as superseded; a lower one is kept as superseded only.
fn upsert_interval(
    db: &mut dyn Sql,
    channel_id: i64,
    meta: &ChannelMeta,
    block: &mut DayBlock,
    interval: &Interval,
    deltas: &mut SlotDeltas,
) -> Result<()> {
    let slot = interval.slot.index();
    let new = Stored::from_interval(interval);
    let old = block.get(interval.slot);
    match &old {
        Some(old) if old.provenance > new.provenance => {
            db.exec(
                UPSERT_SUPERSEDED,
                &superseded_params(&new, channel_id, slot),
            )?;
            return Ok(());
        }
        Some(old) if old.provenance < new.provenance => {
            db.exec(UPSERT_SUPERSEDED, &superseded_params(old, channel_id, slot))?;
        }
        _ => {}
    }
    block.set(interval.slot, new);
    if let Some(config) = meta
        .configs
        .iter()
        .find(|c| c.valid_at(interval.slot.start_ms()))
    {
        let entry = deltas.0.entry((config.kind, slot)).or_default();
        entry.0 += new.energy_mwh - old.as_ref().map_or(0, |o| o.energy_mwh);
        entry.1 += i64::from(old.is_none());
    }
    Ok(())
}

/// Writes quarter-hours (sorted or not) of one channel through their day blocks.
fn upsert_intervals(
    db: &mut dyn Sql,
    channel_id: i64,
    meta: &ChannelMeta,
    intervals: &[Interval],
    deltas: &mut SlotDeltas,
) -> Result<()> {
    let mut sorted: Vec<&Interval> = intervals.iter().collect();
    sorted.sort_by_key(|i| i.slot);
    let mut block: Option<DayBlock> = None;
    for interval in sorted {
        let day = day_of(interval.slot);
        if block.as_ref().map(|b| b.day) != Some(day) {
            if let Some(done) = block.take() {
                done.save(db, channel_id)?;
            }
            block = Some(DayBlock::load(db, channel_id, day)?);
        }
        upsert_interval(
            db,
            channel_id,
            meta,
            block.as_mut().expect("loaded"),
            interval,
            deltas,
        )?;
    }
    if let Some(done) = block {
        done.save(db, channel_id)?;
    }
    Ok(())
}

/// Pending changes to `community_slots`: (kind, slot) → (mWh, channels).
#[derive(Default)]
struct SlotDeltas(HashMap<(ChannelKind, i64), (i64, i64)>);

impl SlotDeltas {
    fn apply(self, db: &mut dyn Sql, community_id: i64) -> Result<()> {
        for ((kind, slot), (mwh, channels)) in self.0 {
            if mwh == 0 && channels == 0 {
                continue;
            }
            db.exec(
                "INSERT INTO community_slots (community_id, slot, kind, energy_mwh, channels) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (community_id, kind, slot) DO UPDATE SET
                   energy_mwh = community_slots.energy_mwh + excluded.energy_mwh,
                   channels = community_slots.channels + excluded.channels",
                params![community_id, slot, kind.as_str(), mwh, channels],
            )?;
        }
        Ok(())
    }
}

/// Recomputes a community's totals from its quarter-hours and channel configurations.
pub(crate) fn rebuild_community_slots(db: &mut dyn Sql, community_id: i64) -> Result<()> {
    db.exec(
        "DELETE FROM community_slots WHERE community_id = ?",
        params![community_id],
    )?;
    let channels: Vec<i64> = db
        .query(
            "SELECT id FROM channels WHERE community_id = ? ORDER BY id",
            params![community_id],
        )?
        .iter()
        .map(|r| r.i64(0))
        .collect();
    let mut totals: HashMap<(ChannelKind, i64), (i64, i64)> = HashMap::new();
    for channel_id in channels {
        let configs = channel_configs(db, channel_id)?;
        if configs.is_empty() {
            continue;
        }
        for block in DayBlock::load_range(db, channel_id, i64::MIN, i64::MAX)? {
            for (slot, stored) in block.iter() {
                if let Some(config) = configs.iter().find(|c| c.valid_at(slot.start_ms())) {
                    let entry = totals.entry((config.kind, slot.index())).or_default();
                    entry.0 += stored.energy_mwh;
                    entry.1 += 1;
                }
            }
        }
    }
    SlotDeltas(totals).apply(db, community_id)
}
