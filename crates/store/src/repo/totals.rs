//! Community totals: per channel kind and quarter-hour, the exact sum (mWh) of the best
//! quarter-hours of the channels whose configuration is valid at that slot, and how many
//! channels contributed. Maintained by deltas in the transaction that changes a quarter-hour
//! (SQL increments, atomic under concurrent writers), rebuilt when a channel is reassigned.
//! Energies are bounded by the plausibility limits, so no sum can overflow.

use std::collections::BTreeMap;

use domain::{ChannelKind, CommunityId, Slot};

use crate::backend::params;
use crate::repo::intervals::{load_blocks, Deltas};
use crate::{Result, StoreError, Tx};

pub struct Totals<'t, 'c>(pub(crate) &'t mut Tx<'c>);

/// A community's total of one kind in one quarter-hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotTotal {
    pub slot: Slot,
    pub energy_mwh: i64,
    /// How many channels contributed.
    pub channels: i64,
}

/// Totals by (kind, slot): (mWh, channels).
pub type TotalsMap = BTreeMap<(ChannelKind, Slot), (i64, i64)>;

impl Totals<'_, '_> {
    /// The total of one kind per quarter-hour in `[from, to)`; slots without data are absent.
    pub fn series(
        &mut self,
        community: CommunityId,
        kind: ChannelKind,
        from: Slot,
        to: Slot,
    ) -> Result<Vec<SlotTotal>> {
        self.0
            .db()
            .query(
                "SELECT slot, energy_mwh, channels FROM community_slots
                 WHERE community_id = ? AND kind = ? AND slot >= ? AND slot < ? ORDER BY slot",
                params![community, kind.as_str(), from.index(), to.index()],
            )?
            .iter()
            .map(|r| {
                Ok(SlotTotal {
                    slot: Slot::from_index(r.i64("slot")?),
                    energy_mwh: r.i64("energy_mwh")?,
                    channels: r.i64("channels")?,
                })
            })
            .collect()
    }

    /// Applies deltas, in (kind, slot) order so concurrent writers lock rows in one order.
    pub(crate) fn apply(&mut self, community: CommunityId, deltas: &Deltas) -> Result<()> {
        let db = self.0.writing()?;
        for ((kind, slot), (mwh, channels)) in deltas {
            if *mwh == 0 && *channels == 0 {
                continue;
            }
            db.exec(
                "INSERT INTO community_slots (community_id, slot, kind, energy_mwh, channels) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (community_id, kind, slot) DO UPDATE SET
                   energy_mwh = community_slots.energy_mwh + excluded.energy_mwh,
                   channels = community_slots.channels + excluded.channels",
                params![community, slot.index(), kind.as_str(), *mwh, *channels],
            )?;
            if *channels < 0 {
                db.exec(
                    "DELETE FROM community_slots WHERE community_id = ? AND kind = ? AND slot = ? AND channels <= 0",
                    params![community, kind.as_str(), slot.index()],
                )?;
            }
        }
        Ok(())
    }

    /// What the totals must be: recomputed from every channel's best quarter-hours and its
    /// configuration history.
    pub fn recompute(&mut self, community: CommunityId) -> Result<TotalsMap> {
        let mut totals = TotalsMap::new();
        for channel in self.0.channels().list(community)? {
            if channel.configs.is_empty() {
                continue;
            }
            for block in load_blocks(self.0.db(), channel.id, i64::MIN, i64::MAX)? {
                for (slot, stored) in block.iter() {
                    if let Some(config) = channel.config_at(slot.start_ms()) {
                        let entry = totals.entry((config.kind, slot)).or_default();
                        entry.0 = entry.0.checked_add(stored.energy_mwh).ok_or_else(|| {
                            StoreError::corrupt(format!(
                                "community total overflows at slot {}",
                                slot.index()
                            ))
                        })?;
                        entry.1 += 1;
                    }
                }
            }
        }
        Ok(totals)
    }

    /// The totals as stored.
    pub fn stored(&mut self, community: CommunityId) -> Result<TotalsMap> {
        let mut out = TotalsMap::new();
        for r in self.0.db().query(
            "SELECT kind, slot, energy_mwh, channels FROM community_slots WHERE community_id = ?",
            params![community],
        )? {
            let kind = r.text("kind")?;
            let kind = ChannelKind::parse(&kind)
                .map_err(|_| StoreError::corrupt(format!("total kind '{kind}'")))?;
            out.insert(
                (kind, Slot::from_index(r.i64("slot")?)),
                (r.i64("energy_mwh")?, r.i64("channels")?),
            );
        }
        Ok(out)
    }

    /// Recomputes a community's totals from its quarter-hours and channel configurations.
    pub(crate) fn rebuild(&mut self, community: CommunityId) -> Result<()> {
        let totals = self.recompute(community)?;
        self.0.writing()?.exec(
            "DELETE FROM community_slots WHERE community_id = ?",
            params![community],
        )?;
        self.apply(community, &totals)
    }
}
