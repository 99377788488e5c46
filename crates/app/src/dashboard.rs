//! The figures the pages and the JSON API show, with the rules they follow:
//!
//! - **energies** are sums of integer mWh over complete quarter-hours (the one in progress is
//!   not summed); each figure says which quarter-hours it summed;
//! - **power** in a curve is the energy of each bucket divided by its length (kWh per hour);
//!   at the finest resolution (one minute, from raw points) it is the energy measured in that
//!   minute, power samples integrated and counters differenced. Every bucket says how much of
//!   it was measured (`coverage`), summed channel by channel;
//! - **live power** comes from power channels, or from the last two readings of a counter;
//! - **sharing**: what members use at home behind their own meter and what they share between
//!   them are two figures (see `analytics::flows`).

use analytics::flows::Totals;
use analytics::quarter_hour::{self, CounterRules};
use domain::{Channel, ChannelKind, Community, MemberId, Slot, Unit, SLOT_MS};
use jiff::tz::TimeZone;
use store::Tx;

use crate::access::{
    own_member, visibility, visibility_in, visible_member, Viewer, Visibility, Withheld,
};
use crate::flows::MemberSet;
use crate::period::{RangeRequest, Window};
use crate::{App, AppError};

/// Energy figures over a window.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodTotals {
    pub window: Window,
    /// The quarter-hours summed: `[summed_from, summed_to)`, the window's complete ones.
    pub summed_from: Slot,
    pub summed_to: Slot,
    pub totals: Totals,
    /// What the member received from and gave to the neighbours (a member's totals, when the
    /// viewer may see the community's figures), by the key of `crate::energy`.
    pub share: Option<crate::energy::Share>,
}

/// Live figures of one member.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberLive {
    /// Latest consumption power (W), summed over the member's consumption channels.
    pub consumption_w: Option<f64>,
    pub production_w: Option<f64>,
    /// When the latest reading behind those figures was taken.
    pub as_of_ms: Option<i64>,
    /// When the member's meters last sent data.
    pub last_contact_ms: Option<i64>,
    pub today: PeriodTotals,
}

/// What a curve shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesKind {
    Consumption,
    Production,
    /// Local production consumed in the set: at home, or by another member.
    SelfConsumed,
}

impl SeriesKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SeriesKind::Consumption => "consumption",
            SeriesKind::Production => "production",
            SeriesKind::SelfConsumed => "self_consumed",
        }
    }
}

/// One series of a curve, one value per bucket (`None`: nothing measured).
#[derive(Debug, Clone, PartialEq)]
pub struct CurveSeries {
    pub kind: SeriesKind,
    pub power_w: Vec<Option<f64>>,
    pub energy_mwh: Vec<Option<i64>>,
    pub coverage: Vec<Option<f64>>,
}

/// A chart's data.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    pub resolution_s: i64,
    /// Bucket boundaries: `(start_ms, end_ms)`; days follow the local calendar.
    pub buckets: Vec<(i64, i64)>,
    pub series: Vec<CurveSeries>,
    pub window: Window,
}

/// The low-voltage cabin against the metered members behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CabinView {
    /// Net energy measured through the cabin (negative: local PV sent upstream).
    pub measured_mwh: i64,
    /// Metered members' net offtake minus net injection over the same quarter-hours.
    pub members_net_mwh: i64,
    /// Share of the cabin's flow that the metered members explain.
    pub coverage: Option<f64>,
    /// Quarter-hours in which the cabin sent energy upstream.
    pub reverse_flow_slots: usize,
    pub slots: usize,
}

/// Live power is taken from readings at most this old.
const LIVE_WINDOW_MS: i64 = 15 * 60_000;

/// The resolution a window is shown at: with raw points covering the window, 10 s up to three
/// hours (a zoomed curve) and minutes up to two days; then quarter-hours, hours, local days.
pub fn resolution_for(span_ms: i64, raw_available: bool) -> i64 {
    match span_ms {
        s if s <= 3 * 3_600_000 && raw_available => 10,
        s if s <= 2 * 86_400_000 && raw_available => 60,
        s if s <= 14 * 86_400_000 => 900,
        s if s <= 120 * 86_400_000 => 3600,
        _ => 86_400,
    }
}

/// Bucket boundaries of a window at a resolution; days are local days.
fn buckets(window: &Window, resolution_s: i64, tz: &TimeZone) -> Result<Vec<(i64, i64)>, AppError> {
    let (from, to) = (window.from_ms(), window.to_ms());
    let mut out = Vec::new();
    if resolution_s >= 86_400 {
        let mut day = domain::LocalDay::containing(Slot::containing_ms(from).start(), tz)?;
        while day.first.start_ms() < to {
            out.push((day.first.start_ms().max(from), day.end.start_ms().min(to)));
            let next = day
                .date
                .tomorrow()
                .map_err(|e| AppError::invalid(e.to_string()))?;
            day = domain::LocalDay::new(next, tz)?;
        }
    } else {
        let step = resolution_s * 1000;
        let mut t = from;
        while t < to {
            out.push((t, (t + step).min(to)));
            t += step;
        }
    }
    Ok(out)
}

/// Which bucket an instant falls in.
fn bucket_index(buckets: &[(i64, i64)], ts_ms: i64) -> Option<usize> {
    let i = buckets.partition_point(|b| b.1 <= ts_ms);
    (i < buckets.len() && buckets[i].0 <= ts_ms).then_some(i)
}

/// Accumulates one series per bucket.
struct Acc {
    kind: SeriesKind,
    energy: Vec<i64>,
    /// Unrounded energy (Wh) of raw-resolution buckets, for their power.
    precise_wh: Vec<f64>,
    covered: Vec<i64>,
    any: Vec<bool>,
    channels: usize,
}

impl Acc {
    fn new(kind: SeriesKind, n: usize, channels: usize) -> Acc {
        Acc {
            kind,
            energy: vec![0; n],
            precise_wh: vec![f64::NAN; n],
            covered: vec![0; n],
            any: vec![false; n],
            channels,
        }
    }

    fn add_precise(&mut self, i: usize, energy_wh: f64) {
        self.precise_wh[i] = if self.precise_wh[i].is_nan() {
            energy_wh
        } else {
            self.precise_wh[i] + energy_wh
        };
    }

    fn add(&mut self, i: usize, energy_mwh: i64, covered_ms: i64) {
        self.energy[i] = self.energy[i].saturating_add(energy_mwh);
        self.covered[i] += covered_ms;
        self.any[i] = true;
    }

    /// The series, each bucket's power over the part of it that has passed at `now_ms`.
    fn finish(
        self,
        buckets: &[(i64, i64)],
        now_ms: i64,
        elapsed_granularity_ms: i64,
    ) -> CurveSeries {
        let mut s = CurveSeries {
            kind: self.kind,
            power_w: Vec::with_capacity(buckets.len()),
            energy_mwh: Vec::with_capacity(buckets.len()),
            coverage: Vec::with_capacity(buckets.len()),
        };
        for (i, (start, end)) in buckets.iter().enumerate() {
            // The part of the bucket that has passed (whole quarter-hours for quarter-hour data).
            let passed_end =
                (*end).min(now_ms.div_euclid(elapsed_granularity_ms) * elapsed_granularity_ms);
            let duration = (passed_end - start).max(0);
            if !self.any[i] || duration == 0 {
                s.power_w.push(None);
                s.energy_mwh.push(None);
                s.coverage.push(None);
                continue;
            }
            let power = if self.precise_wh[i].is_nan() {
                Some(domain::mean_mw(self.energy[i], duration) as f64 / 1000.0)
            } else {
                Some(self.precise_wh[i] * 3_600_000.0 / duration as f64)
            };
            // To the milliwatt: what the data can say.
            s.power_w.push(power.map(|w| (w * 1000.0).round() / 1000.0));
            s.energy_mwh.push(Some(self.energy[i]));
            let possible = duration as f64 * self.channels.max(1) as f64;
            s.coverage
                .push(Some((self.covered[i] as f64 / possible).clamp(0.0, 1.0)));
        }
        s
    }
}

/// Whether raw points serve the window: every quarter-hour in it was computed from raw points
/// still stored. Otherwise (raw points past retention, quarter-hours imported from the grid
/// operator) the chart shows the quarter-hours.
fn raw_serves(tx: &mut Tx<'_>, channels: &[&Channel], window: &Window) -> Result<bool, AppError> {
    let mut any = false;
    for c in channels {
        let quarter_hours = tx.intervals().best(c.id, window.from, window.to)?;
        if quarter_hours.is_empty() {
            continue;
        }
        let Some(first_raw) = tx.points().first_ts(c.id)? else {
            return Ok(false);
        };
        if quarter_hours
            .iter()
            .any(|q| !q.from_points || q.slot.end_ms() <= first_raw)
        {
            return Ok(false);
        }
        any = true;
    }
    Ok(any)
}

fn withheld_error(w: Option<Withheld>) -> AppError {
    match w {
        Some(Withheld::CommunityFigures { others, k }) => AppError::forbidden(format!(
            "the community's figures are not shown: with {others} other member(s), fewer than {k}, they would reveal a neighbour's consumption"
        )),
        _ => AppError::forbidden("the community's figures are not shown to this account"),
    }
}

/// What a figure of the community is computed from, read in the figure's transaction.
pub(crate) struct Scope {
    pub community: Community,
    pub tz: TimeZone,
    pub set: MemberSet,
}

/// The totals of a set over a window's complete quarter-hours.
fn totals_in(
    tx: &mut Tx<'_>,
    set: &MemberSet,
    window: Window,
    now_ms: i64,
) -> Result<PeriodTotals, AppError> {
    let until = window.complete_until(now_ms);
    let mut totals = Totals::default();
    set.for_each_slot(tx, window.from, until, |_, s| totals.merge(&s.totals))?;
    Ok(PeriodTotals {
        summed_from: window.from,
        summed_to: until,
        window,
        totals,
        share: None,
    })
}

impl App {
    /// The member a viewer asks about: its own (`None`) or one it may see.
    fn member_for(
        &self,
        tx: &mut Tx<'_>,
        viewer: &Viewer,
        member: Option<MemberId>,
    ) -> Result<MemberId, AppError> {
        match member {
            None => own_member(viewer),
            Some(id) => Ok(visible_member(tx, viewer, id, self.settings.min_group_size)?.id),
        }
    }

    /// The community and its time zone (a zone the store no longer knows is the server's
    /// fault, not the request's).
    pub(crate) fn community_in(&self, tx: &mut Tx<'_>) -> Result<(Community, TimeZone), AppError> {
        let community = tx.communities().get(self.community_id())?;
        let tz = community
            .time_zone()
            .map_err(|e| AppError::internal(e.to_string()))?;
        Ok((community, tz))
    }

    /// The member a viewer asks about (its own with `None`), the community, the window of
    /// `req` and the member's channels.
    pub(crate) fn member_scope(
        &self,
        tx: &mut Tx<'_>,
        viewer: &Viewer,
        member: Option<MemberId>,
        req: &RangeRequest,
        now_ms: i64,
    ) -> Result<(Community, Window, MemberSet), AppError> {
        let member = self.member_for(tx, viewer, member)?;
        let (community, tz) = self.community_in(tx)?;
        let window = Window::resolve(req, &tz, now_ms)?;
        let set = MemberSet::one(member, tx.channels().of_member(member)?);
        Ok((community, window, set))
    }

    /// How the community's counters of `kind` are read (the rule of the store's quarter-hours).
    fn counter_rules(&self, community: &Community, kind: Option<ChannelKind>) -> CounterRules {
        CounterRules::new(
            community.max_gap_ms,
            community.counter_fill_max_ms,
            self.settings.limits.max_w(kind),
        )
    }

    /// The community's members and their channels, when the viewer may see community figures.
    pub(crate) fn community_scope(
        &self,
        tx: &mut Tx<'_>,
        viewer: &Viewer,
    ) -> Result<Scope, AppError> {
        let (community, tz) = self.community_in(tx)?;
        let members = tx.members().list(community.id)?;
        let vis = visibility(viewer, &members, self.settings.min_group_size);
        if !vis.community {
            return Err(withheld_error(vis.withheld));
        }
        let set = MemberSet::community(tx, community.id, &members)?;
        Ok(Scope { community, tz, set })
    }

    /// What the viewer may see of the community.
    pub fn visibility(&self, viewer: &Viewer) -> Result<Visibility, AppError> {
        let k = self.settings.min_group_size;
        self.read(|tx| visibility_in(tx, viewer, k))
    }

    /// The name of a member (of the community served).
    pub fn member_name(&self, member: MemberId) -> Result<String, AppError> {
        let c = self.community_id();
        Ok(self
            .store
            .read(|tx| tx.members().in_community(c, member))?
            .name)
    }

    pub fn community(&self) -> Result<Community, AppError> {
        Ok(self
            .store
            .read(|tx| tx.communities().get(self.community_id()))?)
    }

    /// A member's totals over a window (its own with `None`).
    pub fn member_totals(
        &self,
        viewer: &Viewer,
        member: Option<MemberId>,
        req: &RangeRequest,
    ) -> Result<PeriodTotals, AppError> {
        let now = self.now_ms();
        let k = self.settings.min_group_size;
        self.read(|tx| {
            let (community, window, set) = self.member_scope(tx, viewer, member, req, now)?;
            let members = tx.members().list(community.id)?;
            if !crate::access::visibility(viewer, &members, k).community {
                return totals_in(tx, &set, window, now);
            }
            // The same quarter-hours and key as the member's energy bars.
            let all = MemberSet::community(tx, community.id, &members)?;
            let until = window.complete_until(now);
            let mut totals = Totals::default();
            let mut share = crate::energy::Share::default();
            crate::energy::member_in_community(
                tx,
                &all,
                set.members[0].0,
                window.from,
                until,
                &mut |_, t, s| {
                    totals.merge(&t);
                    share.add(s.unwrap_or_default());
                },
            )?;
            Ok(PeriodTotals {
                summed_from: window.from,
                summed_to: until,
                window,
                totals,
                share: Some(share),
            })
        })
    }

    /// The community's totals over a window, when the viewer may see them.
    pub fn community_totals(
        &self,
        viewer: &Viewer,
        req: &RangeRequest,
    ) -> Result<PeriodTotals, AppError> {
        let now = self.now_ms();
        self.read(|tx| {
            let scope = self.community_scope(tx, viewer)?;
            let window = Window::resolve(req, &scope.tz, now)?;
            totals_in(tx, &scope.set, window, now)
        })
    }

    /// Live power and today's totals of a member (its own with `None`).
    pub fn member_live(
        &self,
        viewer: &Viewer,
        member: Option<MemberId>,
    ) -> Result<MemberLive, AppError> {
        let now = self.now_ms();
        self.read(|tx| {
            let (community, window, set) =
                self.member_scope(tx, viewer, member, &RangeRequest::default(), now)?;
            let (member, channels) = &set.members[0];
            let meters = tx.meters().of_member(*member)?;
            let mut as_of: Option<i64> = None;
            let mut latest = |tx: &mut Tx<'_>,
                              kind: ChannelKind|
             -> Result<Option<f64>, AppError> {
                let rules = self.counter_rules(&community, Some(kind));
                let mut total: Option<f64> = None;
                for c in channels.iter().filter(|c| c.kind_at(now) == Some(kind)) {
                    let last = tx.points().last(c.id, 2, now)?;
                    let reading = match c.unit {
                        Unit::Watt => last.last().map(|p| (p.ts_ms, p.value)),
                        // The counter rule of the quarter-hours, for a pair measured (no gap).
                        Unit::WattHour => match last.as_slice() {
                            [a, b] if b.ts_ms - a.ts_ms <= community.max_gap_ms => {
                                rules.pair_power_w(*a, *b).map(|w| (b.ts_ms, w))
                            }
                            _ => None,
                        },
                    };
                    if let Some((ts, w)) = reading.filter(|(ts, _)| now - ts <= LIVE_WINDOW_MS) {
                        *total.get_or_insert(0.0) += w;
                        as_of = Some(as_of.map_or(ts, |a| a.max(ts)));
                    }
                }
                Ok(total)
            };
            let consumption_w = latest(tx, ChannelKind::Consumption)?;
            let production_w = latest(tx, ChannelKind::Production)?;
            Ok(MemberLive {
                consumption_w,
                production_w,
                as_of_ms: as_of,
                last_contact_ms: meters.iter().filter_map(|m| m.last_contact_ms).max(),
                today: totals_in(tx, &set, window, now)?,
            })
        })
    }

    /// A member's curve (its own with `None`): consumption and, with PV, production.
    pub fn member_curve(
        &self,
        viewer: &Viewer,
        member: Option<MemberId>,
        req: &RangeRequest,
    ) -> Result<Curve, AppError> {
        let now = self.now_ms();
        self.read(|tx| {
            let (community, window, set) = self.member_scope(tx, viewer, member, req, now)?;
            let channels = &set.members[0].1;
            let flow_channels: Vec<&Channel> = channels
                .iter()
                .filter(|c| c.ever(ChannelKind::Consumption) || c.ever(ChannelKind::Production))
                .collect();
            let raw =
                window.span_ms() <= 2 * 86_400_000 && raw_serves(tx, &flow_channels, &window)?;
            let resolution_s = resolution_for(window.span_ms(), raw);
            let bounds = buckets(&window, resolution_s, &window.tz)?;
            let (n_cons, n_prod) = set.channel_counts();
            let mut cons = Acc::new(SeriesKind::Consumption, bounds.len(), n_cons);
            let mut prod = Acc::new(SeriesKind::Production, bounds.len(), n_prod);
            let granularity = if resolution_s < 900 { 1 } else { SLOT_MS };
            if resolution_s < 900 {
                for c in &flow_channels {
                    let kind = c.kind_at(now).or_else(|| c.configs.last().map(|x| x.kind));
                    let acc = match kind {
                        Some(ChannelKind::Consumption) => &mut cons,
                        Some(ChannelKind::Production) => &mut prod,
                        _ => continue,
                    };
                    // The rules and reach of the store's quarter-hours, so a minute's energy
                    // is the same energy.
                    let rules = self
                        .counter_rules(&community, kind)
                        .with_sampling(c.sampling);
                    let reach = match c.unit {
                        Unit::Watt => c.sampling.hold_ms().unwrap_or(community.max_gap_ms),
                        Unit::WattHour => rules.reach_ms(c.unit),
                    };
                    let points = tx.points().range(
                        c.id,
                        window.from_ms() - reach,
                        window.to_ms() + reach,
                    )?;
                    for (i, (start, end)) in bounds.iter().enumerate() {
                        let w = match c.unit {
                            Unit::Watt => quarter_hour::integrate_sampled(
                                &points,
                                *start,
                                *end,
                                community.max_gap_ms,
                                c.sampling,
                            ),
                            Unit::WattHour => {
                                quarter_hour::integrate_counter(&points, *start, *end, &rules)
                            }
                        };
                        if let Some(w) = w {
                            acc.add(i, w.energy_mwh, w.covered_ms);
                            acc.add_precise(i, w.energy_wh);
                        }
                    }
                }
            } else {
                let until = window.complete_until(now);
                set.for_each_slot(tx, window.from, until, |slot, s| {
                    if let Some(i) = bucket_index(&bounds, slot.start_ms()) {
                        if s.totals.consumption_mwh != 0 || s.consumption_covered_ms > 0 {
                            cons.add(i, s.totals.consumption_mwh, s.consumption_covered_ms);
                        }
                        if s.totals.production_mwh != 0 || s.production_covered_ms > 0 {
                            prod.add(i, s.totals.production_mwh, s.production_covered_ms);
                        }
                    }
                })?;
            }
            let mut series = vec![cons.finish(&bounds, now, granularity)];
            if n_prod > 0 {
                series.push(prod.finish(&bounds, now, granularity));
            }
            Ok(Curve {
                resolution_s,
                buckets: bounds,
                series,
                window,
            })
        })
    }

    /// The community's curve: consumption, production and what of it was consumed locally.
    pub fn community_curve(&self, viewer: &Viewer, req: &RangeRequest) -> Result<Curve, AppError> {
        let now = self.now_ms();
        self.read(|tx| {
            let scope = self.community_scope(tx, viewer)?;
            let window = Window::resolve(req, &scope.tz, now)?;
            let resolution_s = resolution_for(window.span_ms(), false);
            let bounds = buckets(&window, resolution_s, &scope.tz)?;
            let until = window.complete_until(now);
            let (n_cons, n_prod) = scope.set.channel_counts();
            let mut cons = Acc::new(SeriesKind::Consumption, bounds.len(), n_cons);
            let mut prod = Acc::new(SeriesKind::Production, bounds.len(), n_prod);
            let mut selfc = Acc::new(SeriesKind::SelfConsumed, bounds.len(), n_prod);
            scope.set.for_each_slot(tx, window.from, until, |slot, s| {
                if let Some(i) = bucket_index(&bounds, slot.start_ms()) {
                    cons.add(i, s.totals.consumption_mwh, s.consumption_covered_ms);
                    prod.add(i, s.totals.production_mwh, s.production_covered_ms);
                    selfc.add(i, s.totals.self_consumed_mwh(), s.production_covered_ms);
                }
            })?;
            Ok(Curve {
                resolution_s,
                series: vec![
                    cons.finish(&bounds, now, SLOT_MS),
                    prod.finish(&bounds, now, SLOT_MS),
                    selfc.finish(&bounds, now, SLOT_MS),
                ],
                buckets: bounds,
                window,
            })
        })
    }

    /// The community total of one channel kind per quarter-hour (the store's running totals).
    pub fn community_quarter_hours(
        &self,
        viewer: &Viewer,
        kind: ChannelKind,
        req: &RangeRequest,
    ) -> Result<(Window, Slot, Vec<store::SlotTotal>), AppError> {
        let now = self.now_ms();
        let k = self.settings.min_group_size;
        self.read(|tx| {
            let vis = visibility_in(tx, viewer, k)?;
            if !vis.community {
                return Err(withheld_error(vis.withheld));
            }
            let (community, tz) = self.community_in(tx)?;
            let window = Window::resolve(req, &tz, now)?;
            let until = window.complete_until(now);
            let rows = tx.totals().series(community.id, kind, window.from, until)?;
            Ok((window, until, rows))
        })
    }

    /// The cabin against the metered members, when a cabin is measured and the viewer may see
    /// community figures.
    pub fn cabin(
        &self,
        viewer: &Viewer,
        req: &RangeRequest,
    ) -> Result<Option<CabinView>, AppError> {
        let now = self.now_ms();
        self.read(|tx| {
            let scope = match self.community_scope(tx, viewer) {
                Ok(scope) => scope,
                Err(e) if e.kind == crate::Kind::Forbidden => return Ok(None),
                Err(e) => return Err(e),
            };
            let window = Window::resolve(req, &scope.tz, now)?;
            let until = window.complete_until(now);
            let cabin =
                tx.totals()
                    .series(scope.community.id, ChannelKind::Cabin, window.from, until)?;
            if cabin.is_empty() {
                return Ok(None);
            }
            let mut net: std::collections::BTreeMap<Slot, i64> = std::collections::BTreeMap::new();
            scope.set.for_each_slot(tx, window.from, until, |slot, s| {
                net.insert(slot, s.totals.offtake_mwh - s.totals.injection_mwh);
            })?;
            let mut view = CabinView {
                measured_mwh: 0,
                members_net_mwh: 0,
                coverage: None,
                reverse_flow_slots: 0,
                slots: cabin.len(),
            };
            for s in &cabin {
                view.measured_mwh += s.energy_mwh;
                view.members_net_mwh += net.get(&s.slot).copied().unwrap_or(0);
                if s.energy_mwh < 0 {
                    view.reverse_flow_slots += 1;
                }
            }
            view.coverage = (view.measured_mwh > 0 && view.members_net_mwh > 0)
                .then(|| (view.members_net_mwh as f64 / view.measured_mwh as f64).min(1.0));
            Ok(Some(view))
        })
    }
}
