//! Loading a set of members' quarter-hours and turning them into per-quarter-hour flows
//! (`analytics::flows`), a month of block reads at a time and one member at a time, so memory
//! follows the number of quarter-hours, not quarter-hours times members.

use std::collections::BTreeMap;

use analytics::flows::{flows, Flows, Metered, SlotSum, Totals};
use domain::{Channel, ChannelKind, CommunityId, Member, MemberId, Slot};
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
    /// One member and the channels of its meters.
    pub fn one(member: MemberId, channels: Vec<Channel>) -> MemberSet {
        MemberSet {
            members: vec![(member, channels)],
        }
    }

    /// The community's members (as listed) with the channels of their meters, in two reads of
    /// the whole community rather than two per member.
    pub fn community(
        tx: &mut Tx<'_>,
        community: CommunityId,
        members: &[Member],
    ) -> store::Result<MemberSet> {
        let owner: BTreeMap<domain::MeterId, MemberId> = tx
            .meters()
            .list(community)?
            .into_iter()
            .filter_map(|m| Some((m.id, m.member_id?)))
            .collect();
        let mut by_member: BTreeMap<MemberId, Vec<Channel>> = BTreeMap::new();
        for ch in tx.channels().list(community)? {
            if let Some(member) = ch.meter_id.and_then(|m| owner.get(&m)) {
                by_member.entry(*member).or_default().push(ch);
            }
        }
        Ok(MemberSet {
            members: members
                .iter()
                .map(|m| (m.id, by_member.remove(&m.id).unwrap_or_default()))
                .collect(),
        })
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
        self.for_each_slot_by_member(tx, from, to, |slot, s, _| f(slot, s))
    }

    /// As [`MemberSet::for_each_slot`], with the flows of each member that has data in the
    /// quarter-hour (in the set's order).
    pub fn for_each_slot_by_member(
        &self,
        tx: &mut Tx<'_>,
        from: Slot,
        to: Slot,
        mut f: impl FnMut(Slot, &SlotFlows, &[(MemberId, Flows)]),
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
        f: &mut impl FnMut(Slot, &SlotFlows, &[(MemberId, Flows)]),
    ) -> store::Result<()> {
        type Acc = (SlotSum, SlotFlows, Vec<(MemberId, Flows)>);
        let mut slots: BTreeMap<Slot, Acc> = BTreeMap::new();
        for (member, channels) in &self.members {
            // slot → (metered, covered time of consumption, grid import, production)
            let mut mine: BTreeMap<Slot, (Metered, [i64; 3])> = BTreeMap::new();
            for ch in channels {
                if ch.configs.is_empty() {
                    continue;
                }
                for iv in tx.intervals().best(ch.id, from, to)? {
                    let Some(kind) = ch.kind_at(iv.slot.start_ms()) else {
                        continue;
                    };
                    let (metered, covered) = mine.entry(iv.slot).or_default();
                    metered.add(kind, iv.energy_mwh);
                    match kind {
                        ChannelKind::Consumption => covered[0] += iv.covered_ms,
                        ChannelKind::GridImport => covered[1] += iv.covered_ms,
                        ChannelKind::Production => covered[2] += iv.covered_ms,
                        _ => {}
                    }
                }
            }
            for (slot, (metered, covered)) in mine {
                let Some(fl) = flows(&metered) else { continue };
                let (sum, s, each) = slots.entry(slot).or_default();
                sum.add(fl);
                each.push((*member, fl));
                s.consumption_covered_ms += if metered.consumption.is_some() {
                    covered[0]
                } else {
                    covered[1]
                };
                s.production_covered_ms += covered[2];
            }
        }
        for (slot, (sum, mut s, each)) in slots {
            s.totals = sum.totals();
            f(slot, &s, &each);
        }
        Ok(())
    }
}
