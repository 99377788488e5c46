//! Energy flows per member and per quarter-hour, and what a set of members shares.
//!
//! Two figures are kept apart, because they answer different questions:
//! - **used at home**: the part of a producer's own production consumed behind its own meter
//!   (`min(consumption, production)` of that member in that quarter-hour);
//! - **shared between members**: in each quarter-hour, what some members inject while others
//!   take from the grid, `min(Σ net offtake, Σ net injection)`. This is the energy a sharing key
//!   distributes.
//!
//! A member is read from what its meters say, by kind: gross consumption and production when
//! it has them; the grid operator's net offtake (`grid_import`) and injection (`grid_export`)
//! when it has those. A member whose only data is the grid operator's has its offtake as its
//! consumption: it is what the member is known to have used from outside.
//!
//! Everything is summed per quarter-hour in integer mWh, never netted over a longer period:
//! annual netting overstates both self-consumption and self-sufficiency.

use domain::ChannelKind;

/// What a member's channels measured in one quarter-hour, by kind, in mWh. `None`: no channel
/// of that kind has a value for this quarter-hour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Metered {
    pub consumption: Option<i64>,
    pub production: Option<i64>,
    pub grid_import: Option<i64>,
    pub grid_export: Option<i64>,
}

impl Metered {
    /// Adds one channel's quarter-hour (cabin channels are not a member's flows).
    pub fn add(&mut self, kind: ChannelKind, energy_mwh: i64) {
        let slot = match kind {
            ChannelKind::Consumption => &mut self.consumption,
            ChannelKind::Production => &mut self.production,
            ChannelKind::GridImport => &mut self.grid_import,
            ChannelKind::GridExport => &mut self.grid_export,
            ChannelKind::Cabin => return,
        };
        *slot = Some(slot.unwrap_or(0).saturating_add(energy_mwh));
    }

    pub fn is_empty(&self) -> bool {
        *self == Metered::default()
    }
}

/// A member's flows in one quarter-hour, in mWh.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flows {
    /// Gross consumption, or the grid offtake for a member measured by the grid operator only.
    pub consumption_mwh: Option<i64>,
    pub production_mwh: Option<i64>,
    /// Net energy taken from the grid.
    pub offtake_mwh: i64,
    /// Net energy sent to the grid.
    pub injection_mwh: i64,
    /// Own production consumed behind the member's own meter.
    pub used_at_home_mwh: i64,
}

/// The flows of one member in one quarter-hour; `None` when nothing was measured.
pub fn flows(m: &Metered) -> Option<Flows> {
    if m.is_empty() {
        return None;
    }
    let c = m.consumption.map(|v| v.max(0));
    let p = m.production.map(|v| v.max(0));
    let grid = m.grid_import.is_some() || m.grid_export.is_some();
    let (offtake, injection) = if grid {
        (
            m.grid_import.unwrap_or(0).max(0),
            m.grid_export.unwrap_or(0).max(0),
        )
    } else {
        let net = c.unwrap_or(0) - p.unwrap_or(0);
        (net.max(0), (-net).max(0))
    };
    let used_at_home = match (c, p) {
        (Some(c), Some(p)) => c.min(p),
        (None, Some(p)) if grid => (p - injection).max(0),
        _ => 0,
    };
    Some(Flows {
        consumption_mwh: c.or(m.grid_import.map(|v| v.max(0))),
        production_mwh: p,
        offtake_mwh: offtake,
        injection_mwh: injection,
        used_at_home_mwh: used_at_home,
    })
}

/// Totals of a set of members over a run of quarter-hours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub consumption_mwh: i64,
    pub production_mwh: i64,
    pub used_at_home_mwh: i64,
    pub offtake_mwh: i64,
    pub injection_mwh: i64,
    /// `min(Σ offtake, Σ injection)` per quarter-hour.
    pub shared_mwh: i64,
    /// Quarter-hours in which at least one member had data.
    pub quarter_hours: i64,
}

/// One quarter-hour of a set of members, summed member by member.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlotSum {
    sum: Totals,
    any: bool,
}

impl SlotSum {
    /// Adds the flows of one member that has data in this quarter-hour.
    pub fn add(&mut self, f: Flows) {
        let s = &mut self.sum;
        s.consumption_mwh = s
            .consumption_mwh
            .saturating_add(f.consumption_mwh.unwrap_or(0));
        s.production_mwh = s
            .production_mwh
            .saturating_add(f.production_mwh.unwrap_or(0));
        s.used_at_home_mwh = s.used_at_home_mwh.saturating_add(f.used_at_home_mwh);
        s.offtake_mwh = s.offtake_mwh.saturating_add(f.offtake_mwh);
        s.injection_mwh = s.injection_mwh.saturating_add(f.injection_mwh);
        self.any = true;
    }

    /// The quarter-hour's totals, what is shared following from the sums of every member;
    /// empty when no member had data.
    pub fn totals(&self) -> Totals {
        if !self.any {
            return Totals::default();
        }
        Totals {
            shared_mwh: self.sum.offtake_mwh.min(self.sum.injection_mwh),
            quarter_hours: 1,
            ..self.sum
        }
    }
}

impl Totals {
    /// Adds one quarter-hour of the set: the flows of each member that has data in it.
    pub fn add_slot(&mut self, members: impl IntoIterator<Item = Flows>) {
        let mut slot = SlotSum::default();
        for f in members {
            slot.add(f);
        }
        self.merge(&slot.totals());
    }

    /// Adds totals of other quarter-hours (never the same quarter-hours twice: sharing is
    /// computed per quarter-hour).
    pub fn merge(&mut self, other: &Totals) {
        self.consumption_mwh = self.consumption_mwh.saturating_add(other.consumption_mwh);
        self.production_mwh = self.production_mwh.saturating_add(other.production_mwh);
        self.used_at_home_mwh = self.used_at_home_mwh.saturating_add(other.used_at_home_mwh);
        self.offtake_mwh = self.offtake_mwh.saturating_add(other.offtake_mwh);
        self.injection_mwh = self.injection_mwh.saturating_add(other.injection_mwh);
        self.shared_mwh = self.shared_mwh.saturating_add(other.shared_mwh);
        self.quarter_hours = self.quarter_hours.saturating_add(other.quarter_hours);
    }

    /// Local production consumed in the set (at home or by another member).
    pub fn self_consumed_mwh(&self) -> i64 {
        self.used_at_home_mwh.saturating_add(self.shared_mwh)
    }

    /// Bought from outside the set: offtake not covered by another member's injection.
    pub fn from_grid_mwh(&self) -> i64 {
        self.offtake_mwh - self.shared_mwh
    }

    /// Sent outside the set: injection no other member used.
    pub fn to_grid_mwh(&self) -> i64 {
        self.injection_mwh - self.shared_mwh
    }

    /// Share of the production consumed in the set.
    pub fn self_consumption_rate(&self) -> Option<f64> {
        ratio(self.self_consumed_mwh(), self.production_mwh)
    }

    /// Share of the consumption covered by the set's own production.
    pub fn self_sufficiency_rate(&self) -> Option<f64> {
        ratio(self.self_consumed_mwh(), self.consumption_mwh)
    }

    /// Share of the production used behind the producers' own meters.
    pub fn used_at_home_rate(&self) -> Option<f64> {
        ratio(self.used_at_home_mwh, self.production_mwh)
    }

    /// Share of the injected energy that another member used in the same quarter-hour.
    pub fn shared_rate(&self) -> Option<f64> {
        ratio(self.shared_mwh, self.injection_mwh)
    }
}

fn ratio(num: i64, den: i64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metered(c: Option<i64>, p: Option<i64>, i: Option<i64>, e: Option<i64>) -> Metered {
        Metered {
            consumption: c,
            production: p,
            grid_import: i,
            grid_export: e,
        }
    }

    #[test]
    fn a_pv_household_uses_some_at_home_and_injects_the_rest() {
        let f = flows(&metered(Some(300), Some(1000), None, None)).unwrap();
        assert_eq!(
            (f.used_at_home_mwh, f.offtake_mwh, f.injection_mwh),
            (300, 0, 700)
        );
        let night = flows(&metered(Some(400), Some(0), None, None)).unwrap();
        assert_eq!((night.used_at_home_mwh, night.offtake_mwh), (0, 400));
        assert!(flows(&Metered::default()).is_none());
    }

    #[test]
    fn a_member_known_by_the_grid_operator_only_shows_its_offtake_as_consumption() {
        let f = flows(&metered(None, None, Some(250), Some(0))).unwrap();
        assert_eq!(f.consumption_mwh, Some(250));
        assert_eq!(
            (f.offtake_mwh, f.injection_mwh, f.used_at_home_mwh),
            (250, 0, 0)
        );
        // With a PV meter beside the grid data: used at home = production − injection.
        let g = flows(&metered(None, Some(900), Some(0), Some(600))).unwrap();
        assert_eq!((g.used_at_home_mwh, g.injection_mwh), (300, 600));
    }

    #[test]
    fn shared_energy_is_what_neighbours_take_while_producers_inject() {
        // Quarter-hour 1: A produces 1000 and uses 200; B uses 500; C uses 100.
        // Used at home 200; injected 800; neighbours take 600 → shared 600.
        // Quarter-hour 2: A uses 300 with no sun; B 200: nothing shared.
        let mut t = Totals::default();
        t.add_slot([
            flows(&metered(Some(200), Some(1000), None, None)).unwrap(),
            flows(&metered(Some(500), None, None, None)).unwrap(),
            flows(&metered(Some(100), None, None, None)).unwrap(),
        ]);
        t.add_slot([
            flows(&metered(Some(300), Some(0), None, None)).unwrap(),
            flows(&metered(Some(200), None, None, None)).unwrap(),
        ]);
        assert_eq!(t.used_at_home_mwh, 200);
        assert_eq!(t.shared_mwh, 600);
        assert_eq!(t.injection_mwh, 800);
        assert_eq!(t.to_grid_mwh(), 200);
        assert_eq!(t.from_grid_mwh(), 500, "300 + 200 bought in the evening");
        assert_eq!(t.consumption_mwh, 1300);
        assert_eq!(t.self_consumption_rate(), Some(0.8));
        assert_eq!(t.used_at_home_rate(), Some(0.2));
        assert_eq!(t.shared_rate(), Some(0.75));
        assert_eq!(t.quarter_hours, 2);
    }

    #[test]
    fn quarter_hour_netting_is_not_annual_netting() {
        let mut t = Totals::default();
        t.add_slot([flows(&metered(Some(100), Some(300), None, None)).unwrap()]);
        t.add_slot([flows(&metered(Some(300), Some(100), None, None)).unwrap()]);
        assert_eq!(
            t.self_consumed_mwh(),
            200,
            "not 400 as a period balance would say"
        );
        assert_eq!(t.self_consumption_rate(), Some(0.5));
        assert_eq!(Totals::default().self_consumption_rate(), None);
    }
}
