//! The figures the pages and the JSON API show: live power, load curves at a resolution that
//! fits the span (day → year), and collective self-consumption at quarter-hour resolution.

use std::collections::BTreeMap;

use analytics::sharing::SelfConsumption;
use domain::{ChannelKind, Interval, LocalDay, Slot, SLOT_MS};
use jiff::tz::TimeZone;
use serde::Serialize;
use store::{Channel, Store};

use crate::AppError;

/// Energy figures over a period.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Totals {
    pub consumption_wh: f64,
    pub production_wh: f64,
    pub self_consumed_wh: f64,
    pub self_consumption_rate: Option<f64>,
    pub self_sufficiency_rate: Option<f64>,
}

impl From<SelfConsumption> for Totals {
    fn from(sc: SelfConsumption) -> Totals {
        Totals {
            consumption_wh: sc.consumption_wh,
            production_wh: sc.production_wh,
            self_consumed_wh: sc.self_consumed_wh,
            self_consumption_rate: sc.self_consumption_rate(),
            self_sufficiency_rate: sc.self_sufficiency_rate(),
        }
    }
}

/// A chart's data: bucket starts (Unix seconds) and one mean-power series (W) per kind.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Curve {
    pub resolution_s: i64,
    pub ts: Vec<i64>,
    pub series: Vec<CurveSeries>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CurveSeries {
    /// `consumption`, `production` or `self_consumed`.
    pub key: String,
    pub values: Vec<Option<f64>>,
}

/// The resolution a span is shown at: raw minutes up to two days, then quarter-hours, hours,
/// days.
pub fn resolution_for(span_ms: i64, raw_available: bool) -> i64 {
    match span_ms {
        s if s <= 2 * 86_400_000 && raw_available => 60,
        s if s <= 14 * 86_400_000 => 900,
        s if s <= 120 * 86_400_000 => 3600,
        _ => 86_400,
    }
}

fn timezone(store: &Store, community_id: i64) -> Result<TimeZone, AppError> {
    let c = store.community(community_id)?;
    TimeZone::get(&c.timezone)
        .map_err(|e| AppError::Invalid(format!("time zone {}: {e}", c.timezone)))
}

/// Bucket start (ms) of an instant at a resolution; days follow the local calendar.
fn bucket_of(ts_ms: i64, resolution_s: i64, tz: &TimeZone) -> i64 {
    if resolution_s >= 86_400 {
        let ts = jiff::Timestamp::from_millisecond(ts_ms).expect("in range");
        LocalDay::containing(ts, tz)
            .map(|d| d.first.start_ms())
            .unwrap_or(ts_ms)
    } else {
        ts_ms.div_euclid(resolution_s * 1000) * resolution_s * 1000
    }
}

/// Accumulates energy and covered time per bucket.
#[derive(Default)]
struct Buckets(BTreeMap<i64, (f64, f64)>); // bucket ms → (Wh, covered seconds)

impl Buckets {
    fn add_interval(&mut self, i: &Interval, resolution_s: i64, tz: &TimeZone) {
        let e = self
            .0
            .entry(bucket_of(i.slot.start_ms(), resolution_s, tz))
            .or_default();
        e.0 += i.energy_wh;
        e.1 += i.coverage * (SLOT_MS / 1000) as f64;
    }

    fn mean_w(&self, bucket: i64) -> Option<f64> {
        self.0
            .get(&bucket)
            .filter(|(_, s)| *s > 0.0)
            .map(|(wh, s)| wh * 3600.0 / s)
    }
}

fn grid(from_ms: i64, to_ms: i64, resolution_s: i64, tz: &TimeZone) -> Vec<i64> {
    let mut out = Vec::new();
    let mut t = bucket_of(from_ms, resolution_s, tz);
    while t < to_ms {
        out.push(t);
        t = if resolution_s >= 86_400 {
            bucket_of(t + 26 * 3_600_000, resolution_s, tz)
        } else {
            t + resolution_s * 1000
        };
    }
    out
}

/// Community consumption, production and collectively self-consumed power over a range. The
/// quarter-hour in progress at `now_ms` is left out: it is not complete yet.
pub fn community_curve(
    store: &Store,
    community_id: i64,
    from_ms: i64,
    to_ms: i64,
    now_ms: i64,
) -> Result<Curve, AppError> {
    let tz = timezone(store, community_id)?;
    let resolution_s = resolution_for(to_ms - from_ms, false);
    let (from, to) = (
        Slot::containing_ms(from_ms),
        Slot::containing_ms(to_ms - 1).next(),
    );
    let complete = |s: &store::SlotEnergy| s.slot.end_ms() <= now_ms;
    let mut cons = store.community_series(community_id, ChannelKind::Consumption, from, to)?;
    let mut prod = store.community_series(community_id, ChannelKind::Production, from, to)?;
    cons.retain(complete);
    prod.retain(complete);
    let mut b_cons = Buckets::default();
    let mut b_prod = Buckets::default();
    let mut b_self = Buckets::default();
    let prod_by_slot: BTreeMap<Slot, f64> = prod.iter().map(|s| (s.slot, s.energy_wh)).collect();
    let full =
        |slot: Slot, energy_wh: f64| Interval::flat(slot, energy_wh, domain::Provenance::Measured);
    for s in &cons {
        b_cons.add_interval(&full(s.slot, s.energy_wh), resolution_s, &tz);
        let p = prod_by_slot.get(&s.slot).copied().unwrap_or(0.0);
        b_self.add_interval(
            &full(s.slot, s.energy_wh.min(p).max(0.0)),
            resolution_s,
            &tz,
        );
    }
    for s in &prod {
        b_prod.add_interval(&full(s.slot, s.energy_wh), resolution_s, &tz);
    }
    let ts = grid(from_ms, to_ms, resolution_s, &tz);
    let series = [
        ("consumption", &b_cons),
        ("production", &b_prod),
        ("self_consumed", &b_self),
    ]
    .into_iter()
    .map(|(key, b)| CurveSeries {
        key: key.into(),
        values: ts.iter().map(|t| b.mean_w(*t)).collect(),
    })
    .collect();
    Ok(Curve {
        resolution_s,
        ts: ts.iter().map(|t| t / 1000).collect(),
        series,
    })
}

/// The community's energy of one kind per quarter-hour in `[from, to)`.
fn energy_by_slot(
    store: &Store,
    community_id: i64,
    kind: ChannelKind,
    from: Slot,
    to: Slot,
) -> Result<BTreeMap<Slot, f64>, AppError> {
    Ok(store
        .community_series(community_id, kind, from, to)?
        .into_iter()
        .map(|s| (s.slot, s.energy_wh))
        .collect())
}

/// Community totals over `[from, to)`, self-consumption netted per quarter-hour.
pub fn community_totals(
    store: &Store,
    community_id: i64,
    from: Slot,
    to: Slot,
) -> Result<Totals, AppError> {
    let cons = store.community_series(community_id, ChannelKind::Consumption, from, to)?;
    let prod = energy_by_slot(store, community_id, ChannelKind::Production, from, to)?;
    let mut sc = SelfConsumption::default();
    let mut seen = std::collections::BTreeSet::new();
    for s in &cons {
        sc.add(s.energy_wh, prod.get(&s.slot).copied().unwrap_or(0.0));
        seen.insert(s.slot);
    }
    for (slot, p) in &prod {
        if !seen.contains(slot) {
            sc.add(0.0, *p);
        }
    }
    Ok(sc.into())
}

/// A member's channels of one kind (by their current meaning).
fn of_kind(channels: &[Channel], kind: ChannelKind) -> Vec<&Channel> {
    channels.iter().filter(|c| c.kind() == Some(kind)).collect()
}

/// Live figures of one member.
#[derive(Debug, Clone, Serialize)]
pub struct MemberLive {
    /// Latest consumption power (W), summed over the member's consumption channels.
    pub power_w: Option<f64>,
    pub production_w: Option<f64>,
    /// When the latest reading was taken (ms).
    pub as_of_ms: Option<i64>,
    pub today: Totals,
}

pub fn member_live(
    store: &Store,
    community_id: i64,
    member_id: i64,
    now_ms: i64,
) -> Result<MemberLive, AppError> {
    let tz = timezone(store, community_id)?;
    let channels = store.member_channels(member_id)?;
    let mut as_of: Option<i64> = None;
    let mut latest = |kind| -> Result<Option<f64>, AppError> {
        let mut total: Option<f64> = None;
        for c in of_kind(&channels, kind) {
            if let Some(p) = store.last_point(c.id)? {
                if now_ms - p.ts_ms <= 15 * 60_000 {
                    *total.get_or_insert(0.0) += p.value;
                    as_of = Some(as_of.map_or(p.ts_ms, |a: i64| a.max(p.ts_ms)));
                }
            }
        }
        Ok(total)
    };
    let power_w = latest(ChannelKind::Consumption)?;
    let production_w = latest(ChannelKind::Production)?;
    let day = LocalDay::containing(
        jiff::Timestamp::from_millisecond(now_ms).map_err(|e| AppError::Invalid(e.to_string()))?,
        &tz,
    )
    .map_err(|e| AppError::Invalid(e.to_string()))?;
    let today = member_totals(store, &channels, day.first, day.end)?;
    Ok(MemberLive {
        power_w,
        production_w,
        as_of_ms: as_of,
        today,
    })
}

/// A member's own totals, self-consumption netted per quarter-hour.
pub fn member_totals(
    store: &Store,
    channels: &[Channel],
    from: Slot,
    to: Slot,
) -> Result<Totals, AppError> {
    let sum = |kind| -> Result<BTreeMap<Slot, f64>, AppError> {
        let mut m = BTreeMap::new();
        for c in of_kind(channels, kind) {
            for i in store.intervals(c.id, from, to)? {
                *m.entry(i.slot).or_insert(0.0) += i.energy_wh;
            }
        }
        Ok(m)
    };
    let cons = sum(ChannelKind::Consumption)?;
    let prod = sum(ChannelKind::Production)?;
    let mut sc = SelfConsumption::default();
    let slots: std::collections::BTreeSet<Slot> = cons.keys().chain(prod.keys()).copied().collect();
    for slot in slots {
        sc.add(
            cons.get(&slot).copied().unwrap_or(0.0),
            prod.get(&slot).copied().unwrap_or(0.0),
        );
    }
    Ok(sc.into())
}

/// A member's load curve (consumption and production) over a range.
pub fn member_curve(
    store: &Store,
    community_id: i64,
    member_id: i64,
    from_ms: i64,
    to_ms: i64,
) -> Result<Curve, AppError> {
    let tz = timezone(store, community_id)?;
    let channels = store.member_channels(member_id)?;
    let resolution_s = resolution_for(to_ms - from_ms, true);
    let ts = grid(from_ms, to_ms, resolution_s, &tz);
    let mut series = Vec::new();
    for kind in [ChannelKind::Consumption, ChannelKind::Production] {
        let chans = of_kind(&channels, kind);
        if chans.is_empty() {
            continue;
        }
        let values: Vec<Option<f64>> = if resolution_s < 900 {
            // Raw points: mean per bucket per channel, summed over channels.
            let mut sums: BTreeMap<i64, f64> = BTreeMap::new();
            for c in &chans {
                let mut acc: BTreeMap<i64, (f64, usize)> = BTreeMap::new();
                for p in store.raw_points(c.id, from_ms, to_ms)? {
                    let e = acc
                        .entry(bucket_of(p.ts_ms, resolution_s, &tz))
                        .or_default();
                    e.0 += p.value;
                    e.1 += 1;
                }
                for (b, (s, n)) in acc {
                    *sums.entry(b).or_insert(0.0) += s / n as f64;
                }
            }
            ts.iter().map(|t| sums.get(t).copied()).collect()
        } else {
            let mut buckets = Buckets::default();
            for c in &chans {
                for i in store.intervals(
                    c.id,
                    Slot::containing_ms(from_ms),
                    Slot::containing_ms(to_ms - 1).next(),
                )? {
                    buckets.add_interval(&i, resolution_s, &tz);
                }
            }
            let n = chans.len() as f64;
            ts.iter()
                .map(|t| buckets.mean_w(*t).map(|w| w * n))
                .collect()
        };
        series.push(CurveSeries {
            key: kind.as_str().into(),
            values,
        });
    }
    Ok(Curve {
        resolution_s,
        ts: ts.iter().map(|t| t / 1000).collect(),
        series,
    })
}

/// The low-voltage cabin against the metered members behind it.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct CabinView {
    /// Net energy measured through the cabin (negative: local PV sent upstream).
    pub measured_wh: f64,
    /// Metered members' consumption minus production over the same quarter-hours.
    pub members_net_wh: f64,
    /// Share of the cabin's flow that the metered members explain.
    pub coverage: Option<f64>,
    /// Quarter-hours in which the cabin sent energy upstream.
    pub reverse_flow_slots: usize,
    pub slots: usize,
}

/// Cabin figures over `[from, to)`, `None` when no cabin quarter-hour is stored.
pub fn cabin_view(
    store: &Store,
    community_id: i64,
    from: Slot,
    to: Slot,
) -> Result<Option<CabinView>, AppError> {
    let cabin = store.community_series(community_id, ChannelKind::Cabin, from, to)?;
    if cabin.is_empty() {
        return Ok(None);
    }
    let cons = energy_by_slot(store, community_id, ChannelKind::Consumption, from, to)?;
    let prod = energy_by_slot(store, community_id, ChannelKind::Production, from, to)?;
    let mut view = CabinView {
        measured_wh: 0.0,
        members_net_wh: 0.0,
        coverage: None,
        reverse_flow_slots: 0,
        slots: cabin.len(),
    };
    for s in &cabin {
        view.measured_wh += s.energy_wh;
        view.members_net_wh +=
            cons.get(&s.slot).copied().unwrap_or(0.0) - prod.get(&s.slot).copied().unwrap_or(0.0);
        if s.energy_wh < 0.0 {
            view.reverse_flow_slots += 1;
        }
    }
    view.coverage = (view.measured_wh > 0.0 && view.members_net_wh > 0.0)
        .then(|| (view.members_net_wh / view.measured_wh).min(1.0));
    Ok(Some(view))
}
