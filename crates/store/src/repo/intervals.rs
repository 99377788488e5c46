//! Quarter-hours: every version of each (channel, slot), the best of them in a day block.
//!
//! A quarter-hour has at most one version per (provenance, source), the source being "computed
//! from raw points" or "imported as such". The best version (higher provenance; at equal
//! provenance the imported one) lives in `interval_days`; the others in `intervals_superseded`,
//! so a settled value never loses the measured one beneath it. A recomputation from raw points
//! replaces the points' version whatever its provenance (and removes it when the points no
//! longer give one), so stored quarter-hours always follow from the raw points. Every change of
//! a best version changes `community_slots` by the same delta, in the same transaction.

use domain::{ChannelConfig, ChannelId, Interval, Slot};

use crate::backend::{params, Row, Sql};
use crate::encoding::days::{day_of, DayBlock, Stored};
use crate::repo::points::WriteSummary;
use crate::repo::totals::TotalsMap;
use crate::{Result, StoreError, Tx};

pub struct Intervals<'t, 'c>(pub(crate) &'t mut Tx<'c>);

pub(crate) fn load_blocks(
    db: &mut dyn Sql,
    channel: ChannelId,
    first: i64,
    last: i64,
) -> Result<Vec<DayBlock>> {
    let rows = db.query(
        "SELECT day, data FROM interval_days WHERE channel_id = ? AND day >= ? AND day <= ? ORDER BY day",
        params![channel, first, last],
    )?;
    rows.iter()
        .map(|r| Ok(DayBlock::decode(r.i64("day")?, r.blob("data")?)?))
        .collect()
}

fn load_block(db: &mut dyn Sql, channel: ChannelId, day: i64) -> Result<DayBlock> {
    Ok(load_blocks(db, channel, day, day)?
        .pop()
        .unwrap_or_else(|| DayBlock::empty(day)))
}

fn save_block(db: &mut dyn Sql, channel: ChannelId, block: &DayBlock) -> Result<()> {
    if block.is_empty() {
        db.exec(
            "DELETE FROM interval_days WHERE channel_id = ? AND day = ?",
            params![channel, block.day],
        )?;
    } else {
        db.exec(
            "INSERT INTO interval_days (channel_id, day, data) VALUES (?, ?, ?)
             ON CONFLICT (channel_id, day) DO UPDATE SET data = excluded.data",
            params![channel, block.day, block.encode()],
        )?;
    }
    Ok(())
}

fn superseded_from_row(r: &Row) -> Result<Stored> {
    let rank = r.i64("provenance")?;
    Ok(Stored {
        provenance: domain::Provenance::from_rank(rank)
            .ok_or_else(|| StoreError::corrupt(format!("provenance {rank}")))?,
        from_points: r.bool("from_points")?,
        energy_mwh: r.i64("energy_mwh")?,
        min_mw: r.i64("min_mw")?,
        max_mw: r.i64("max_mw")?,
        covered_ms: r.i64("covered_ms")?,
    })
}

fn load_superseded(db: &mut dyn Sql, channel: ChannelId, slot: Slot) -> Result<Vec<Stored>> {
    db.query(
        "SELECT provenance, from_points, energy_mwh, min_mw, max_mw, covered_ms FROM intervals_superseded
         WHERE channel_id = ? AND slot = ?",
        params![channel, slot.index()],
    )?
    .iter()
    .map(superseded_from_row)
    .collect()
}

/// How one quarter-hour changes.
pub(crate) enum Change {
    /// The raw points now give this version (or none).
    Points(Option<Stored>),
    /// A file brings this version.
    File(Stored),
}

/// Pending changes to `community_slots`: (kind, slot) → (mWh, channels).
pub(crate) type Deltas = TotalsMap;

/// Adds `more` into `deltas`.
pub(crate) fn merge(deltas: &mut Deltas, more: Deltas) {
    for (key, (mwh, channels)) in more {
        let entry = deltas.entry(key).or_default();
        entry.0 += mwh;
        entry.1 += channels;
    }
}

/// Applies changes to the quarter-hours of one channel, a day block at a time, and collects the
/// totals' deltas. Changes must come in slot order for the block cache to be effective.
pub(crate) struct Editor<'m> {
    channel: ChannelId,
    configs: &'m [ChannelConfig],
    block: Option<(DayBlock, bool)>,
    pub deltas: Deltas,
    pub changed: usize,
}

impl<'m> Editor<'m> {
    pub fn new(channel: ChannelId, configs: &'m [ChannelConfig]) -> Editor<'m> {
        Editor {
            channel,
            configs,
            block: None,
            deltas: Deltas::new(),
            changed: 0,
        }
    }

    fn block(&mut self, db: &mut dyn Sql, day: i64) -> Result<&mut (DayBlock, bool)> {
        if self.block.as_ref().map(|(b, _)| b.day) != Some(day) {
            if let Some((done, dirty)) = self.block.take() {
                if dirty {
                    save_block(db, self.channel, &done)?;
                }
            }
            self.block = Some((load_block(db, self.channel, day)?, false));
        }
        Ok(self.block.as_mut().expect("loaded"))
    }

    pub fn apply(&mut self, db: &mut dyn Sql, slot: Slot, change: Change) -> Result<()> {
        let channel = self.channel;
        let (block, dirty) = self.block(db, day_of(slot))?;
        let old_top = block.get(slot);
        let had_displaced = block.has_displaced(slot);
        let mut versions: Vec<Stored> = old_top.into_iter().collect();
        if had_displaced {
            versions.extend(load_superseded(db, channel, slot)?);
        }
        versions.sort_by_key(|v| std::cmp::Reverse(v.rank()));
        let before = versions.clone();
        match change {
            Change::Points(new) => {
                versions.retain(|v| !v.from_points);
                versions.extend(new);
            }
            Change::File(new) => {
                versions.retain(|v| v.from_points || v.provenance != new.provenance);
                versions.push(new);
            }
        }
        versions.sort_by_key(|v| std::cmp::Reverse(v.rank()));
        let new_top = versions.first().copied();
        let rest = versions.get(1..).unwrap_or(&[]);
        if versions == before && had_displaced != rest.is_empty() {
            return Ok(()); // the same versions: nothing to write
        }
        if had_displaced || !rest.is_empty() {
            db.exec(
                "DELETE FROM intervals_superseded WHERE channel_id = ? AND slot = ?",
                params![channel, slot.index()],
            )?;
            for v in rest {
                db.exec(
                    "INSERT INTO intervals_superseded (channel_id, slot, provenance, from_points, energy_mwh, min_mw, max_mw, covered_ms)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    params![channel, slot.index(), v.provenance.rank(), v.from_points, v.energy_mwh, v.min_mw, v.max_mw, v.covered_ms],
                )?;
            }
        }
        block.set(slot, new_top);
        block.set_displaced(slot, !rest.is_empty());
        *dirty = true;
        if new_top != old_top {
            self.changed += 1;
            if let Some(config) = self.configs.iter().find(|c| c.valid_at(slot.start_ms())) {
                let entry = self.deltas.entry((config.kind, slot)).or_default();
                entry.0 +=
                    new_top.map_or(0, |s| s.energy_mwh) - old_top.map_or(0, |s| s.energy_mwh);
                entry.1 += i64::from(new_top.is_some()) - i64::from(old_top.is_some());
            }
        }
        Ok(())
    }

    /// Saves the last block; returns how many best versions changed and the totals' deltas,
    /// which the caller applies once for the whole transaction.
    pub fn finish(mut self, db: &mut dyn Sql) -> Result<(usize, Deltas)> {
        if let Some((done, true)) = self.block.take() {
            save_block(db, self.channel, &done)?;
        }
        Ok((self.changed, self.deltas))
    }
}

impl Intervals<'_, '_> {
    /// The best quarter-hours of a channel in `[from, to)`.
    pub fn best(&mut self, channel: ChannelId, from: Slot, to: Slot) -> Result<Vec<Interval>> {
        if to <= from {
            return Ok(Vec::new());
        }
        let blocks = load_blocks(
            self.0.db(),
            channel,
            day_of(from),
            day_of(Slot::from_index(to.index() - 1)),
        )?;
        Ok(blocks
            .iter()
            .flat_map(|b| b.iter())
            .filter(|(slot, _)| *slot >= from && *slot < to)
            .map(|(slot, stored)| stored.to_interval(slot))
            .collect())
    }

    /// Every stored version of one quarter-hour, best first.
    pub fn versions(&mut self, channel: ChannelId, slot: Slot) -> Result<Vec<Interval>> {
        let block = load_block(self.0.db(), channel, day_of(slot))?;
        let mut out: Vec<Stored> = block.get(slot).into_iter().collect();
        if block.has_displaced(slot) {
            out.extend(load_superseded(self.0.db(), channel, slot)?);
        }
        out.sort_by_key(|v| std::cmp::Reverse(v.rank()));
        Ok(out.into_iter().map(|s| s.to_interval(slot)).collect())
    }

    /// The first quarter-hour stored for a channel, if any.
    pub fn first_slot(&mut self, channel: ChannelId) -> Result<Option<Slot>> {
        let row = self.0.db().query_opt(
            "SELECT day, data FROM interval_days WHERE channel_id = ? ORDER BY day LIMIT 1",
            params![channel],
        )?;
        Ok(match row {
            Some(r) => DayBlock::decode(r.i64("day")?, r.blob("data")?)?
                .iter()
                .next()
                .map(|(s, _)| s),
            None => None,
        })
    }

    /// Stores quarter-hours that come as such (grid-operator exports, cabin files, generated
    /// history), each with its provenance: a version of higher provenance becomes the best one,
    /// and no version is lost. Importing the same file again changes nothing.
    pub fn write(&mut self, channel: ChannelId, intervals: &[Interval]) -> Result<WriteSummary> {
        if let Some(i) = intervals.iter().find(|i| i.from_points) {
            return Err(StoreError::invalid(format!(
                "quarter-hour {} is marked as computed from points; imports bring their own",
                i.slot.index()
            )));
        }
        self.0.channels().lock(&[channel])?;
        let meta = self.0.channels().get(channel)?;
        let mut sorted: Vec<&Interval> = intervals.iter().collect();
        sorted.sort_by_key(|i| i.slot);
        let mut editor = Editor::new(channel, &meta.configs);
        for i in sorted {
            editor.apply(
                self.0.writing()?,
                i.slot,
                Change::File(Stored::from_interval(i)),
            )?;
        }
        let (changed, deltas) = editor.finish(self.0.writing()?)?;
        self.0.totals().apply(meta.community_id, &deltas)?;
        Ok(WriteSummary {
            points: 0,
            channels: 1,
            slots: changed,
        })
    }
}
