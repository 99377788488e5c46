//! Energy per hour, day or month (the bars of the charts), what of a member's consumption the
//! neighbours' panels covered, and how a member's day compares with its own past days and with
//! the neighbourhood's typical household.
//!
//! Rules, all in integer mWh over complete quarter-hours:
//! - a bar sums the quarter-hours of its hour, local day or local month that have ended; the bar
//!   of the hour, day or month in progress is marked `partial`, and bars after it are not given;
//! - **received from the neighbours** follows the prorata key of [`analytics::sharing`]: in each
//!   quarter-hour the community's shared energy is split between the members who took from the
//!   grid in proportion to their offtake; **given to the neighbours** splits it between the
//!   members who injected in proportion to their injection;
//! - the **typical household** is the median of the households (other than the viewer's) that
//!   have data in every compared quarter-hour, given only when there are at least
//!   `min_group_size` of them, so it never stands for one identifiable neighbour.

pub use analytics::flows::Totals;

use analytics::flows::Flows;
use analytics::sharing::prorata;
use domain::{LocalDay, MemberId, MemberKind, Slot};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use store::Tx;

use crate::access::{visibility, Viewer};
use crate::flows::MemberSet;
use crate::period::{RangeRequest, Window};
use crate::{App, AppError};

/// What one bar spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarUnit {
    Hour,
    Day,
    Month,
}

impl BarUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            BarUnit::Hour => "hour",
            BarUnit::Day => "day",
            BarUnit::Month => "month",
        }
    }

    /// Hours for a day, days up to two months, months beyond.
    pub fn for_span(span_ms: i64) -> BarUnit {
        match span_ms {
            s if s <= 2 * 86_400_000 => BarUnit::Hour,
            s if s <= 63 * 86_400_000 => BarUnit::Day,
            _ => BarUnit::Month,
        }
    }
}

/// What a member received from and gave to the neighbours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Share {
    /// Of the member's offtake, what the community's injection covered.
    pub received_mwh: i64,
    /// Of the member's injection, what other members used.
    pub given_mwh: i64,
}

impl Share {
    pub(crate) fn add(&mut self, other: Share) {
        self.received_mwh = self.received_mwh.saturating_add(other.received_mwh);
        self.given_mwh = self.given_mwh.saturating_add(other.given_mwh);
    }
}

/// One bar: the energies of its complete quarter-hours.
#[derive(Debug, Clone, PartialEq)]
pub struct EnergyBar {
    pub start_ms: i64,
    pub end_ms: i64,
    /// The hour, day or month is still in progress: not all of its quarter-hours have ended.
    pub partial: bool,
    pub totals: Totals,
    /// A member's share (when the viewer may see the community's figures).
    pub share: Option<Share>,
}

/// The bars of a window and their sum.
#[derive(Debug, Clone, PartialEq)]
pub struct Energy {
    pub unit: BarUnit,
    pub window: Window,
    /// The quarter-hours summed: `[window.from, summed_to)`.
    pub summed_to: Slot,
    pub bars: Vec<EnergyBar>,
    pub total: Totals,
    pub share: Option<Share>,
}

/// A member's consumption today so far against other days over the same hours.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Today's complete quarter-hours end here (local time of day, `HH:MM`).
    pub until: String,
    pub today_mwh: Option<i64>,
    pub yesterday_mwh: Option<i64>,
    /// The same weekday of the past four weeks over the same hours, those with data.
    pub same_weekday: Vec<(Date, i64)>,
    /// The households compared with (other than the viewer's), and their median.
    pub neighbours: usize,
    pub neighbours_median_mwh: Option<i64>,
    /// The smallest group the median may be taken over.
    pub min_group: usize,
}

impl Comparison {
    /// The mean of the same weekdays, rounded to the mWh.
    pub fn same_weekday_mean_mwh(&self) -> Option<i64> {
        let n = self.same_weekday.len() as i64;
        (n > 0).then(|| {
            let sum: i128 = self.same_weekday.iter().map(|(_, e)| i128::from(*e)).sum();
            domain::round_div(sum, i128::from(n)) as i64
        })
    }
}

/// The bars' boundaries over a window, local hours, days or months, clipped to it.
fn bar_bounds(window: &Window, unit: BarUnit) -> Result<Vec<(i64, i64)>, AppError> {
    let (from, to) = (window.from_ms(), window.to_ms());
    let tz = &window.tz;
    let mut out = Vec::new();
    match unit {
        BarUnit::Hour => {
            // Local hours: whole-hour offsets keep them on UTC hours; other offsets start the
            // hour at the local :00 all the same.
            let z = jiff::Timestamp::from_millisecond(from)
                .map_err(|e| AppError::internal(e.to_string()))?
                .to_zoned(tz.clone());
            let into_hour = i64::from(z.minute()) * 60_000 + i64::from(z.second()) * 1000;
            let mut t = from - into_hour;
            while t < to {
                out.push((t.max(from), (t + 3_600_000).min(to)));
                t += 3_600_000;
            }
        }
        BarUnit::Day | BarUnit::Month => {
            let mut day = LocalDay::containing(Slot::containing_ms(from).start(), tz)?;
            while day.first.start_ms() < to {
                let end = if unit == BarUnit::Day {
                    day.date.tomorrow()
                } else {
                    day.date.last_of_month().tomorrow()
                }
                .map_err(|e| AppError::invalid(e.to_string()))?;
                let next = LocalDay::new(end, tz)?;
                out.push((
                    day.first.start_ms().max(from),
                    next.first.start_ms().min(to),
                ));
                day = next;
            }
        }
    }
    Ok(out)
}

fn flows_totals(f: Flows) -> Totals {
    let mut t = Totals::default();
    t.add_slot([f]);
    t
}

/// The window's bars, from `for_each` which hands each complete quarter-hour's totals (and a
/// member's share) in order.
fn bars_of(
    window: Window,
    unit: BarUnit,
    now_ms: i64,
    with_share: bool,
    for_each: impl FnOnce(Slot, &mut dyn FnMut(Slot, Totals, Option<Share>)) -> Result<(), AppError>,
) -> Result<Energy, AppError> {
    let until = window.complete_until(now_ms);
    let bounds = bar_bounds(&window, unit)?;
    let mut bars: Vec<EnergyBar> = bounds
        .iter()
        .take_while(|(start, _)| *start < now_ms)
        .map(|&(start_ms, end_ms)| EnergyBar {
            start_ms,
            end_ms,
            partial: end_ms > until.start_ms(),
            totals: Totals::default(),
            share: with_share.then_some(Share::default()),
        })
        .collect();
    let mut total = Totals::default();
    let mut share_total = with_share.then_some(Share::default());
    let mut i = 0;
    for_each(until, &mut |slot, t, share| {
        let start = slot.start_ms();
        while i < bars.len() && bars[i].end_ms <= start {
            i += 1;
        }
        let Some(bar) = bars.get_mut(i).filter(|b| b.start_ms <= start) else {
            return;
        };
        bar.totals.merge(&t);
        total.merge(&t);
        if let (Some(s), Some(b), Some(all)) = (share, bar.share.as_mut(), share_total.as_mut()) {
            b.add(s);
            all.add(s);
        }
    })?;
    Ok(Energy {
        unit,
        summed_to: until,
        window,
        bars,
        total,
        share: share_total,
    })
}

/// One member's totals and share per complete quarter-hour, from the whole community's flows.
pub(crate) fn member_in_community(
    tx: &mut Tx<'_>,
    community: &MemberSet,
    member: MemberId,
    from: Slot,
    until: Slot,
    f: &mut dyn FnMut(Slot, Totals, Option<Share>),
) -> Result<(), AppError> {
    let mut offtakes = Vec::new();
    let mut injections = Vec::new();
    community.for_each_slot_by_member(tx, from, until, |slot, s, each| {
        let Some(me) = each.iter().position(|(id, _)| *id == member) else {
            return;
        };
        offtakes.clear();
        injections.clear();
        offtakes.extend(each.iter().map(|(_, fl)| fl.offtake_mwh));
        injections.extend(each.iter().map(|(_, fl)| fl.injection_mwh));
        let shared = s.totals.shared_mwh;
        let share = Share {
            received_mwh: prorata(shared, &offtakes)[me],
            given_mwh: prorata(shared, &injections)[me],
        };
        f(slot, flows_totals(each[me].1), Some(share));
    })?;
    Ok(())
}

/// `HH:MM` of an instant in a zone.
fn hh_mm(ts_ms: i64, tz: &TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ts_ms)
        .map(|t| t.to_zoned(tz.clone()).strftime("%H:%M").to_string())
        .unwrap_or_default()
}

/// From local midnight of `date` to the same wall-clock time as `until` on `today` (the
/// quarter-hours of another day that match today's elapsed part).
fn same_hours(
    date: Date,
    today: &LocalDay,
    until: Slot,
    tz: &TimeZone,
) -> Result<(Slot, Slot), AppError> {
    let day = LocalDay::new(date, tz)?;
    if until >= today.end {
        return Ok((day.first, day.end));
    }
    let elapsed = jiff::Timestamp::from_millisecond(until.start_ms())
        .map_err(|e| AppError::internal(e.to_string()))?
        .to_zoned(tz.clone());
    let end = date
        .at(elapsed.hour(), elapsed.minute(), 0, 0)
        .to_zoned(tz.clone())
        .map_err(|e| AppError::internal(e.to_string()))?;
    let end = Slot::containing(end.timestamp())
        .max(day.first)
        .min(day.end);
    Ok((day.first, end))
}

impl App {
    /// A member's energy bars over a window (its own with `None`), with what it received from
    /// and gave to the neighbours when the viewer may see the community's figures.
    pub fn member_energy(
        &self,
        viewer: &Viewer,
        member: Option<MemberId>,
        req: &RangeRequest,
    ) -> Result<Energy, AppError> {
        let now = self.now_ms();
        let k = self.settings.min_group_size;
        self.read(|tx| {
            let (community, window, set) = self.member_scope(tx, viewer, member, req, now)?;
            let member = set.members[0].0;
            let members = tx.members().list(community.id)?;
            let unit = BarUnit::for_span(window.span_ms());
            let from = window.from;
            if visibility(viewer, &members, k).community {
                let all = MemberSet::community(tx, community.id, &members)?;
                bars_of(window, unit, now, true, |until, f| {
                    member_in_community(tx, &all, member, from, until, f)
                })
            } else {
                bars_of(window, unit, now, false, |until, f| {
                    set.for_each_slot(tx, from, until, |slot, s| f(slot, s.totals, None))?;
                    Ok(())
                })
            }
        })
    }

    /// The community's energy bars over a window, when the viewer may see them.
    pub fn community_energy(
        &self,
        viewer: &Viewer,
        req: &RangeRequest,
    ) -> Result<Energy, AppError> {
        let now = self.now_ms();
        self.read(|tx| {
            let scope = self.community_scope(tx, viewer)?;
            let window = Window::resolve(req, &scope.tz, now)?;
            let unit = BarUnit::for_span(window.span_ms());
            let from = window.from;
            bars_of(window, unit, now, false, |until, f| {
                scope
                    .set
                    .for_each_slot(tx, from, until, |slot, s| f(slot, s.totals, None))?;
                Ok(())
            })
        })
    }

    /// A member's consumption today so far against yesterday, the same weekday of the past
    /// four weeks and the neighbourhood's typical household, over the same hours.
    pub fn member_comparison(
        &self,
        viewer: &Viewer,
        member: Option<MemberId>,
    ) -> Result<Comparison, AppError> {
        let now = self.now_ms();
        let k = self.settings.min_group_size;
        self.read(|tx| {
            let (community, window, set) =
                self.member_scope(tx, viewer, member, &RangeRequest::default(), now)?;
            let tz = window.tz.clone();
            let period = window
                .period
                .clone()
                .ok_or_else(|| AppError::internal("today has no date"))?;
            let today = LocalDay::new(period.first, &tz)?;
            let until = window.complete_until(now);
            let consumption =
                |tx: &mut Tx<'_>, from: Slot, to: Slot| -> Result<Option<i64>, AppError> {
                    let mut sum: Option<i64> = None;
                    set.for_each_slot(tx, from, to, |_, s| {
                        *sum.get_or_insert(0) += s.totals.consumption_mwh;
                    })?;
                    Ok(sum)
                };
            let today_mwh = consumption(tx, today.first, until)?;
            let mut past = Vec::new();
            for back in [1i64, 7, 14, 21, 28] {
                let date = period
                    .first
                    .checked_sub(jiff::Span::new().days(back))
                    .map_err(|e| AppError::internal(e.to_string()))?;
                let (from, to) = same_hours(date, &today, until, &tz)?;
                past.push((back, date, consumption(tx, from, to)?));
            }
            let yesterday_mwh = past[0].2;
            let same_weekday = past[1..]
                .iter()
                .filter_map(|(_, d, e)| e.map(|e| (*d, e)))
                .collect();
            // The neighbourhood: other households with data in every quarter-hour compared.
            let me = set.members[0].0;
            let members = tx.members().list(community.id)?;
            let mut median = None;
            let mut neighbours = 0;
            if visibility(viewer, &members, k).community && until > today.first {
                let households: Vec<_> = members
                    .into_iter()
                    .filter(|m| m.kind == MemberKind::Household && m.id != me)
                    .collect();
                let all = MemberSet::community(tx, community.id, &households)?;
                let slots = (until.index() - today.first.index()) as usize;
                let mut per: std::collections::BTreeMap<MemberId, (i64, usize)> =
                    std::collections::BTreeMap::new();
                all.for_each_slot_by_member(tx, today.first, until, |_, _, each| {
                    for (id, fl) in each {
                        if let Some(c) = fl.consumption_mwh {
                            let e = per.entry(*id).or_default();
                            e.0 += c;
                            e.1 += 1;
                        }
                    }
                })?;
                let mut values: Vec<i64> = per
                    .values()
                    .filter(|(_, n)| *n == slots)
                    .map(|(e, _)| *e)
                    .collect();
                neighbours = values.len();
                if neighbours >= k.max(2) {
                    values.sort_unstable();
                    let mid = neighbours / 2;
                    median = Some(if neighbours % 2 == 1 {
                        values[mid]
                    } else {
                        domain::round_div(i128::from(values[mid - 1]) + i128::from(values[mid]), 2)
                            as i64
                    });
                }
            }
            Ok(Comparison {
                until: hh_mm(until.start_ms(), &tz),
                today_mwh,
                yesterday_mwh,
                same_weekday,
                neighbours,
                neighbours_median_mwh: median,
                min_group: k,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(range: &str, date: &str) -> Window {
        let tz = TimeZone::get("Europe/Brussels").unwrap();
        let req = RangeRequest::parse(Some(range), Some(date), None, None).unwrap();
        Window::resolve(&req, &tz, 0).unwrap()
    }

    #[test]
    fn bars_follow_the_local_calendar_on_dst_days() {
        let w = window("day", "2024-10-27");
        let hours = bar_bounds(&w, BarUnit::Hour).unwrap();
        assert_eq!(hours.len(), 25);
        assert!(hours.iter().all(|(a, b)| b - a == 3_600_000));
        assert_eq!(
            bar_bounds(&window("day", "2024-03-31"), BarUnit::Hour)
                .unwrap()
                .len(),
            23
        );
        let days = bar_bounds(&window("month", "2024-10-15"), BarUnit::Day).unwrap();
        assert_eq!(days.len(), 31);
        assert_eq!(days[26].1 - days[26].0, 25 * 3_600_000);
        let months = bar_bounds(&window("year", "2024-06-01"), BarUnit::Month).unwrap();
        assert_eq!(months.len(), 12);
        assert_eq!(months[0].0, w_from("2024-01-01"));
        assert_eq!(months[11].1, w_from("2025-01-01"));
    }

    fn w_from(date: &str) -> i64 {
        window("day", date).from_ms()
    }

    #[test]
    fn units_by_span() {
        assert_eq!(
            BarUnit::for_span(window("day", "2024-10-27").span_ms()),
            BarUnit::Hour
        );
        assert_eq!(
            BarUnit::for_span(window("week", "2024-10-27").span_ms()),
            BarUnit::Day
        );
        assert_eq!(
            BarUnit::for_span(window("month", "2024-10-27").span_ms()),
            BarUnit::Day
        );
        assert_eq!(
            BarUnit::for_span(window("year", "2024-10-27").span_ms()),
            BarUnit::Month
        );
    }
}
