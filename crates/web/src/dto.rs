//! Wire types: what the JSON API and CSV downloads say, built from the use cases' types.
//! Energies are sent in Wh, converted once from integer mWh (so `13800.008`, never
//! `13800.007999999998`); instants as RFC 3339 with the offset of the community's zone, which
//! every window carries.

use app::dashboard::{Curve, MemberLive, PeriodTotals};
use app::period::Window;
use domain::Slot;
use jiff::tz::TimeZone;
use serde::Serialize;

pub fn wh(mwh: i64) -> f64 {
    mwh as f64 / 1000.0
}

/// An instant in local time with its offset: `2024-10-27T02:15:00+01:00`.
pub fn local(ts_ms: i64, tz: &TimeZone) -> String {
    local_fmt(ts_ms, tz, "%Y-%m-%dT%H:%M:%S%:z")
}

/// An instant in local time, `strftime`-formatted.
pub fn local_fmt(ts_ms: i64, tz: &TimeZone, format: &str) -> String {
    jiff::Timestamp::from_millisecond(ts_ms)
        .map(|t| t.to_zoned(tz.clone()).strftime(format).to_string())
        .unwrap_or_default()
}

/// The period that was asked for.
#[derive(Serialize)]
pub struct PeriodDto {
    pub range: Option<String>,
    pub first_day: Option<String>,
    pub last_day: Option<String>,
    pub from: String,
    pub to: String,
}

impl PeriodDto {
    pub fn new(w: &Window) -> PeriodDto {
        let tz = &w.tz;
        PeriodDto {
            range: w.kind.map(|k| k.as_string()),
            first_day: w.period.as_ref().map(|p| p.first.to_string()),
            last_day: w.period.as_ref().map(|p| p.last.to_string()),
            from: local(w.from_ms(), tz),
            to: local(w.to_ms(), tz),
        }
    }
}

/// Energy totals and what they summed.
#[derive(Serialize)]
pub struct TotalsDto {
    pub period: PeriodDto,
    /// The quarter-hours summed, `[from, to)`: the period's complete ones.
    pub from: String,
    pub to: String,
    pub quarter_hours: i64,
    pub quarter_hours_with_data: i64,
    pub consumption_wh: f64,
    pub production_wh: f64,
    /// Production used behind the producer's own meter.
    pub used_at_home_wh: f64,
    /// Energy injected by some members while others took it, quarter-hour by quarter-hour.
    pub shared_wh: f64,
    /// Used at home plus shared.
    pub self_consumed_wh: f64,
    pub offtake_wh: f64,
    pub injection_wh: f64,
    /// Bought from outside: offtake not covered by members' injection.
    pub from_grid_wh: f64,
    /// Sent outside: injection no member used.
    pub to_grid_wh: f64,
    pub self_consumption_rate: Option<f64>,
    pub self_sufficiency_rate: Option<f64>,
    pub used_at_home_rate: Option<f64>,
    pub shared_rate: Option<f64>,
}

impl TotalsDto {
    pub fn new(p: &PeriodTotals) -> TotalsDto {
        let (t, tz) = (&p.totals, &p.window.tz);
        TotalsDto {
            period: PeriodDto::new(&p.window),
            from: local(p.summed_from.start_ms(), tz),
            to: local(p.summed_to.start_ms(), tz),
            quarter_hours: p.summed_to.index() - p.summed_from.index(),
            quarter_hours_with_data: t.quarter_hours,
            consumption_wh: wh(t.consumption_mwh),
            production_wh: wh(t.production_mwh),
            used_at_home_wh: wh(t.used_at_home_mwh),
            shared_wh: wh(t.shared_mwh),
            self_consumed_wh: wh(t.self_consumed_mwh()),
            offtake_wh: wh(t.offtake_mwh),
            injection_wh: wh(t.injection_mwh),
            from_grid_wh: wh(t.from_grid_mwh()),
            to_grid_wh: wh(t.to_grid_mwh()),
            self_consumption_rate: t.self_consumption_rate(),
            self_sufficiency_rate: t.self_sufficiency_rate(),
            used_at_home_rate: t.used_at_home_rate(),
            shared_rate: t.shared_rate(),
        }
    }
}

#[derive(Serialize)]
pub struct LiveDto {
    /// Consumption power now (W).
    pub power_w: Option<f64>,
    pub production_w: Option<f64>,
    pub as_of: Option<String>,
    pub as_of_ms: Option<i64>,
    pub last_contact_ms: Option<i64>,
    pub today: TotalsDto,
}

impl LiveDto {
    pub fn new(l: &MemberLive) -> LiveDto {
        LiveDto {
            power_w: l.consumption_w.map(|w| w.round()),
            production_w: l.production_w.map(|w| w.round()),
            as_of: l.as_of_ms.map(|t| local(t, &l.today.window.tz)),
            as_of_ms: l.as_of_ms,
            last_contact_ms: l.last_contact_ms,
            today: TotalsDto::new(&l.today),
        }
    }
}

#[derive(Serialize)]
pub struct SeriesDto {
    /// `consumption`, `production` or `self_consumed`.
    pub key: &'static str,
    /// Mean power of each bucket (W): its energy over its length.
    pub values: Vec<Option<f64>>,
    pub energy_wh: Vec<Option<f64>>,
    /// Share of the bucket measured, channel by channel.
    pub coverage: Vec<Option<f64>>,
}

#[derive(Serialize)]
pub struct CurveDto {
    pub resolution_s: i64,
    pub timezone: String,
    pub period: PeriodDto,
    /// Bucket starts and ends, Unix seconds.
    pub ts: Vec<i64>,
    pub ends: Vec<i64>,
    pub series: Vec<SeriesDto>,
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

impl CurveDto {
    pub fn new(c: &Curve) -> CurveDto {
        CurveDto {
            resolution_s: c.resolution_s,
            timezone: c.window.tz.iana_name().unwrap_or("UTC").to_string(),
            period: PeriodDto::new(&c.window),
            ts: c.buckets.iter().map(|b| b.0 / 1000).collect(),
            ends: c.buckets.iter().map(|b| b.1 / 1000).collect(),
            series: c
                .series
                .iter()
                .map(|s| SeriesDto {
                    key: s.kind.as_str(),
                    values: s.power_w.iter().map(|v| v.map(round1)).collect(),
                    energy_wh: s.energy_mwh.iter().map(|v| v.map(wh)).collect(),
                    coverage: s
                        .coverage
                        .iter()
                        .map(|v| v.map(|c| (c * 1000.0).round() / 1000.0))
                        .collect(),
                })
                .collect(),
        }
    }

    /// What a page embeds to draw the chart at once: bucket starts and powers only, as the
    /// API gives them (it gives energies and coverage too).
    pub fn compact(c: &Curve) -> serde_json::Value {
        serde_json::json!({
            "resolution_s": c.resolution_s,
            "ts": c.buckets.iter().map(|b| b.0 / 1000).collect::<Vec<_>>(),
            "series": c.series.iter().map(|s| serde_json::json!({
                "key": s.kind.as_str(),
                "values": s.power_w.iter().map(|v| v.map(round1)).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }

    /// The curve as CSV: local start and end with their offset, then per series the mean power,
    /// the energy and the coverage of each bucket.
    pub fn csv(c: &Curve) -> String {
        let tz = &c.window.tz;
        let mut out = String::from("start,end");
        for s in &c.series {
            let k = s.kind.as_str();
            out.push_str(&format!(",{k}_w,{k}_kwh,{k}_coverage"));
        }
        out.push('\n');
        // Buckets after the last measured one (the rest of today) are left out.
        let last = (0..c.buckets.len())
            .rev()
            .find(|&i| c.series.iter().any(|s| s.energy_mwh[i].is_some()));
        let rows = last.map_or(0, |l| l + 1);
        for (i, (start, end)) in c.buckets.iter().enumerate().take(rows) {
            out.push_str(&local(*start, tz));
            out.push(',');
            out.push_str(&local(*end, tz));
            for s in &c.series {
                match (s.power_w[i], s.energy_mwh[i], s.coverage[i]) {
                    (Some(w), Some(e), Some(cov)) => {
                        out.push_str(&format!(",{:.1},{},{:.3}", w, e as f64 / 1e6, cov))
                    }
                    _ => out.push_str(",,,"),
                }
            }
            out.push('\n');
        }
        out
    }
}

/// A community total per quarter-hour.
#[derive(Serialize)]
pub struct QuarterHoursDto {
    pub kind: &'static str,
    pub resolution_s: i64,
    pub period: PeriodDto,
    pub from: String,
    pub to: String,
    pub slots: Vec<SlotDto>,
}

/// One quarter-hour of a community total.
#[derive(Serialize)]
pub struct SlotDto {
    pub start: i64,
    pub energy_wh: f64,
    pub channels: i64,
}

pub fn slot_dto(slot: Slot, energy_mwh: i64, channels: i64) -> SlotDto {
    SlotDto {
        start: slot.start_ms() / 1000,
        energy_wh: wh(energy_mwh),
        channels,
    }
}
