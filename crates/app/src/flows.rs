//! Loading a set of members' quarter-hours and turning them into per-quarter-hour flows
//! (`analytics::flows`), a month of block reads at a time so a year costs no more memory than a
//! month.

use std::collections::BTreeMap;

use analytics::flows::{flows, Metered, Totals};
use domain::{Channel, ChannelKind, MemberId, Slot};
use store::Tx;

/// Members and their channels.
pub(crate) struct MemberSet {
    pub members: Vec<(MemberId, Vec<Channel>)>,
}

/// One quarter-hour of a set: its flows and how much of it was measured.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SlotFlows {
    pub totals: Totals,
    /// Measured time of the channels behind the consumption and production figures.
    pub consumption_covered_ms: i64,
    pub production_covered_ms: i64,
}

/// Days of quarter-hours read at a time.
const CHUNK_SLOTS: i64 = 31 * 96;

impl MemberSet {
    pub fn load(tx: &mut Tx<'_>, members: &[MemberId]) -> store::Result<MemberSet> {
        let mut out = Vec::with_capacity(members.len());
        for m in members {
            out.push((*m, tx.channels().of_member(*m)?));
        }
        Ok(MemberSet { members: out })
    }

    /// How many channels stand behind the consumption and the production figures.
    pub fn channel_counts(&self) -> (usize, usize) {
        let mut consumption = 0;
        let mut production = 0;
        for (_, channels) in &self.members {
            let has = |k| channels.iter().filter(|c| c.ever(k)).count();
            let gross = has(ChannelKind::Consumption);
            consumption += if gross > 0 {
                gross
            } else {
                has(ChannelKind::GridImport)
            };
            production += has(ChannelKind::Production);
        }
        (consumption, production)
    }

    /// Calls `f` for every quarter-hour in `[from, to)` in which some member has data, in order.
    pub fn for_each_slot(
        &self,
        tx: &mut Tx<'_>,
        from: Slot,
        to: Slot,
        mut f: impl FnMut(Slot, &SlotFlows),
    ) -> store::Result<()> {
        let mut start = from;
        while start < to {
            let end = Slot::from_index((start.index() + CHUNK_SLOTS).min(to.index()));
            self.chunk(tx, start, end, &mut f)?;
            start = end;
        }
        Ok(())
    }

    fn chunk(
        &self,
        tx: &mut Tx<'_>,
        from: Slot,
        to: Slot,
        f: &mut impl FnMut(Slot, &SlotFlows),
    ) -> store::Result<()> {
        // slot → per member: (metered, consumption covered, grid import covered, production covered)
        let mut slots: BTreeMap<Slot, Vec<(Metered, [i64; 3])>> = BTreeMap::new();
        let n = self.members.len();
        for (mi, (_, channels)) in self.members.iter().enumerate() {
            for ch in channels {
                if ch.configs.is_empty() {
                    continue;
                }
                for iv in tx.intervals().best(ch.id, from, to)? {
                    let Some(kind) = ch.kind_at(iv.slot.start_ms()) else {
                        continue;
                    };
                    let row = slots
                        .entry(iv.slot)
                        .or_insert_with(|| vec![(Metered::default(), [0; 3]); n]);
                    row[mi].0.add(kind, iv.energy_mwh);
                    match kind {
                        ChannelKind::Consumption => row[mi].1[0] += iv.covered_ms,
                        ChannelKind::GridImport => row[mi].1[1] += iv.covered_ms,
                        ChannelKind::Production => row[mi].1[2] += iv.covered_ms,
                        _ => {}
                    }
                }
            }
        }
        for (slot, row) in slots {
            let mut s = SlotFlows::default();
            let mut members = Vec::with_capacity(row.len());
            for (metered, covered) in &row {
                if let Some(fl) = flows(metered) {
                    members.push(fl);
                    s.consumption_covered_ms += if metered.consumption.is_some() {
                        covered[0]
                    } else {
                        covered[1]
                    };
                    s.production_covered_ms += covered[2];
                }
            }
            s.totals.add_slot(members);
            if s.totals.quarter_hours > 0 {
                f(slot, &s);
            }
        }
        Ok(())
    }
}
