//! What coordinators see of the members: their meters, channels and contact.

use std::collections::BTreeSet;

use domain::{Channel, Member, Meter, Slot};

use crate::access::Viewer;
use crate::period::{RangeRequest, Window};
use crate::{App, AppError};

/// A coordinator's line about one member.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub member: Member,
    pub meters: Vec<(Meter, Vec<Channel>)>,
    /// Whether this coordinator may open the member's curve now.
    pub curve_visible: bool,
    /// Today so far: the member's consumption (mWh), only when its curve is visible.
    pub today_consumption_mwh: Option<i64>,
    /// Today's complete quarter-hours for which every assigned channel of the member has data,
    /// out of `today_slots`.
    pub today_covered: i64,
    pub today_slots: i64,
}

impl App {
    /// Members with their meters and channels, for coordinators.
    pub fn members_overview(
        &self,
        viewer: &Viewer,
    ) -> Result<(Vec<MemberRow>, Vec<Channel>), AppError> {
        if !viewer.is_coordinator() {
            return Err(AppError::forbidden("coordinators only"));
        }
        let vis = self.visibility(viewer)?;
        let community = self.community_id();
        self.read(|tx| {
            let members = tx.members().list(community)?;
            let meters = tx.meters().list(community)?;
            let channels = tx.channels().list(community)?;
            let (_, tz) = self.community_in(tx)?;
            let now = self.now_ms();
            let today = Window::resolve(&RangeRequest::default(), &tz, now)?;
            let until = today.complete_until(now);
            let today_slots = (until.index() - today.from.index()).max(0);
            let mut covered = std::collections::HashMap::new();
            for m in &members {
                let mut common: Option<BTreeSet<Slot>> = None;
                let assigned = channels.iter().filter(|c| {
                    c.kind_at(now).is_some()
                        && meters
                            .iter()
                            .any(|x| Some(x.id) == c.meter_id && x.member_id == Some(m.id))
                });
                for c in assigned {
                    let slots: BTreeSet<Slot> = tx
                        .intervals()
                        .best(c.id, today.from, until)?
                        .iter()
                        .map(|i| i.slot)
                        .collect();
                    common = Some(match common {
                        None => slots,
                        Some(s) => s.intersection(&slots).copied().collect(),
                    });
                }
                covered.insert(m.id, common.map_or(0, |s| s.len() as i64));
            }
            let rows = members
                .into_iter()
                .map(|m| MemberRow {
                    today_consumption_mwh: None,
                    today_covered: covered.get(&m.id).copied().unwrap_or(0),
                    today_slots,
                    meters: meters
                        .iter()
                        .filter(|x| x.member_id == Some(m.id))
                        .map(|x| {
                            (
                                x.clone(),
                                channels
                                    .iter()
                                    .filter(|c| c.meter_id == Some(x.id))
                                    .cloned()
                                    .collect(),
                            )
                        })
                        .collect(),
                    curve_visible: vis.individuals.contains(&m.id),
                    member: m,
                })
                .collect();
            let unassigned = channels
                .into_iter()
                .filter(|c| c.configs.is_empty())
                .collect();
            Ok((rows, unassigned))
        })
        .and_then(|(mut rows, unassigned): (Vec<MemberRow>, _)| {
            // Today's energy by the same rule as the member's own page, where visible.
            for r in rows.iter_mut().filter(|r| r.curve_visible) {
                let totals =
                    self.member_totals(viewer, Some(r.member.id), &RangeRequest::default())?;
                r.today_consumption_mwh = Some(totals.totals.consumption_mwh);
            }
            Ok((rows, unassigned))
        })
    }
}
