//! Wire types: what the JSON API and CSV downloads say, built from the use cases' types.
//! Energies are sent in Wh, converted once from integer mWh (so `13800.008`, never
//! `13800.007999999998`); instants as RFC 3339 with the offset of the community's zone, which
//! every window carries.

use app::dashboard::{Curve, MemberLive, PeriodTotals};
use app::energy::Energy;
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
    /// A member's part of what was shared: of its offtake, what the neighbours' injection
    /// covered, and of its injection, what the neighbours used (prorata key; absent when the
    /// viewer may not see the community's figures). For the community: what was shared.
    pub from_neighbours_wh: Option<f64>,
    pub to_neighbours_wh: Option<f64>,
    /// Bought from outside: offtake not covered by the neighbours' injection.
    pub from_grid_wh: f64,
    /// Sent outside: injection no neighbour used.
    pub to_grid_wh: f64,
    /// Of the production, what was used at home or by the neighbours.
    pub self_consumption_rate: Option<f64>,
    /// Of the consumption, what was covered at home or by the neighbours.
    pub self_sufficiency_rate: Option<f64>,
    pub used_at_home_rate: Option<f64>,
    pub shared_rate: Option<f64>,
}

impl TotalsDto {
    /// `community`: the totals of the whole community, whose neighbours' part is what it
    /// shared; otherwise a member's, with its share when there is one. The rates are those of
    /// the energy panel ([`EnergyParts`]).
    pub fn new(p: &PeriodTotals, community: bool) -> TotalsDto {
        let (t, tz) = (&p.totals, &p.window.tz);
        let parts = EnergyParts::new(t, p.share, community);
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
            from_neighbours_wh: parts.from_neighbours.map(wh),
            to_neighbours_wh: parts.to_neighbours.map(wh),
            from_grid_wh: wh(parts.from_grid),
            to_grid_wh: wh(parts.to_grid),
            self_consumption_rate: parts.self_consumption_rate(),
            self_sufficiency_rate: parts.self_sufficiency_rate(),
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
            today: TotalsDto::new(&l.today, false),
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
    /// the energy and the coverage of each bucket; buckets after the last measured one (the
    /// rest of today) are left out.
    pub fn csv(c: &Curve, style: CsvStyle) -> String {
        let tz = &c.window.tz;
        let mut out = style.header(&["start", "end"]);
        for s in &c.series {
            let k = s.kind.as_str();
            for col in ["w", "kwh", "coverage"] {
                out.push(style.sep);
                out.push_str(&format!("{k}_{col}"));
            }
        }
        out.push_str("\r\n");
        let last = (0..c.buckets.len())
            .rev()
            .find(|&i| c.series.iter().any(|s| s.energy_mwh[i].is_some()));
        let rows = last.map_or(0, |l| l + 1);
        for (i, (start, end)) in c.buckets.iter().enumerate().take(rows) {
            out.push_str(&local(*start, tz));
            out.push(style.sep);
            out.push_str(&local(*end, tz));
            for s in &c.series {
                let cells = match (s.power_w[i], s.energy_mwh[i], s.coverage[i]) {
                    (Some(w), Some(e), Some(cov)) => [
                        style.decimal(&format!("{w:.1}")),
                        style.decimal(&kwh(e)),
                        style.decimal(&format!("{cov:.3}")),
                    ],
                    _ => Default::default(),
                };
                for cell in cells {
                    out.push(style.sep);
                    out.push_str(&cell);
                }
            }
            out.push_str("\r\n");
        }
        out
    }
}

/// An energy in kWh from integer mWh, exactly: `1.234567`, `-0.5`, `0`.
pub fn kwh(mwh: i64) -> String {
    let sign = if mwh < 0 { "-" } else { "" };
    let m = mwh.unsigned_abs();
    let (int, frac) = (m / 1_000_000, m % 1_000_000);
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let frac = format!("{frac:06}");
    format!("{sign}{int}.{}", frac.trim_end_matches('0'))
}

/// How a CSV is written: `,` and a decimal point, or, for languages that write a decimal
/// comma (French, Dutch), `;` and a decimal comma so spreadsheets open it in columns.
#[derive(Debug, Clone, Copy)]
pub struct CsvStyle {
    pub sep: char,
    pub decimal_comma: bool,
}

impl CsvStyle {
    pub const API: CsvStyle = CsvStyle {
        sep: ',',
        decimal_comma: false,
    };

    pub fn for_decimal_separator(decimal: &str) -> CsvStyle {
        if decimal == "," {
            CsvStyle {
                sep: ';',
                decimal_comma: true,
            }
        } else {
            CsvStyle::API
        }
    }

    /// The first line; a spreadsheet-bound file starts with a byte-order mark so accents
    /// and the separator are read right.
    fn header(&self, cols: &[&str]) -> String {
        let mut out = String::new();
        if self.decimal_comma {
            out.push('\u{feff}');
        }
        out.push_str(&cols.join(&self.sep.to_string()));
        out
    }

    fn decimal(&self, number: &str) -> String {
        if self.decimal_comma {
            number.replace('.', ",")
        } else {
            number.to_string()
        }
    }
}

/// Energy bars: what each hour, day or month consumed and produced, and where it came from
/// and went, in Wh. Each stack adds up to its bar exactly: consumption is what producers used
/// at home, what came from the neighbours and what came from the grid; production is what was
/// used at home, what went to the neighbours and what went to the grid.
#[derive(Serialize)]
pub struct EnergyDto {
    /// `hour`, `day` or `month`.
    pub unit: &'static str,
    pub timezone: String,
    pub period: PeriodDto,
    /// The quarter-hours summed end here.
    pub summed_to: String,
    /// Bar starts and ends, Unix seconds; only bars that have begun.
    pub ts: Vec<i64>,
    pub ends: Vec<i64>,
    /// The bar's hour, day or month is still in progress.
    pub partial: Vec<bool>,
    pub consumption_wh: Vec<f64>,
    pub production_wh: Vec<f64>,
    pub used_at_home_wh: Vec<f64>,
    /// From the neighbours: a member's share by the prorata key, or the community's shared
    /// energy; `None` when the viewer may not see the community's figures.
    pub from_neighbours_wh: Option<Vec<f64>>,
    /// To the neighbours.
    pub to_neighbours_wh: Option<Vec<f64>>,
    pub from_grid_wh: Vec<f64>,
    pub to_grid_wh: Vec<f64>,
    pub total: EnergyTotalDto,
}

/// The sum of the bars.
#[derive(Serialize)]
pub struct EnergyTotalDto {
    pub consumption_wh: f64,
    pub production_wh: f64,
    pub used_at_home_wh: f64,
    pub from_neighbours_wh: Option<f64>,
    pub to_neighbours_wh: Option<f64>,
    pub from_grid_wh: f64,
    pub to_grid_wh: f64,
    pub self_sufficiency_rate: Option<f64>,
    pub self_consumption_rate: Option<f64>,
}

/// One bar's (or the total's) parts in mWh: consumption, production, used at home, from and to
/// the neighbours, from and to the grid.
pub struct EnergyParts {
    pub consumption: i64,
    pub production: i64,
    pub used_at_home: i64,
    pub from_neighbours: Option<i64>,
    pub to_neighbours: Option<i64>,
    pub from_grid: i64,
    pub to_grid: i64,
}

impl EnergyParts {
    /// `community`: the neighbours' part is what the set shared.
    pub fn new(
        t: &app::energy::Totals,
        share: Option<app::energy::Share>,
        community: bool,
    ) -> EnergyParts {
        let (from_n, to_n) = match (community, share) {
            (true, _) => (Some(t.shared_mwh), Some(t.shared_mwh)),
            (false, Some(s)) => (Some(s.received_mwh), Some(s.given_mwh)),
            (false, None) => (None, None),
        };
        EnergyParts {
            consumption: t.consumption_mwh,
            production: t.production_mwh,
            used_at_home: t.used_at_home_mwh,
            from_neighbours: from_n,
            to_neighbours: to_n,
            from_grid: t.offtake_mwh - from_n.unwrap_or(0),
            to_grid: t.injection_mwh - to_n.unwrap_or(0),
        }
    }

    /// Of the consumption, what local production covered (at home or from the neighbours).
    pub fn self_sufficiency_rate(&self) -> Option<f64> {
        let local = self.used_at_home + self.from_neighbours.unwrap_or(0);
        (self.consumption > 0).then(|| local as f64 / self.consumption as f64)
    }

    /// Of the production, what was used locally (at home or by the neighbours).
    pub fn self_consumption_rate(&self) -> Option<f64> {
        let local = self.used_at_home + self.to_neighbours.unwrap_or(0);
        (self.production > 0).then(|| local as f64 / self.production as f64)
    }
}

impl EnergyDto {
    pub fn new(e: &Energy, community: bool) -> EnergyDto {
        let tz = &e.window.tz;
        let parts: Vec<EnergyParts> = e
            .bars
            .iter()
            .map(|b| EnergyParts::new(&b.totals, b.share, community))
            .collect();
        let col = |f: &dyn Fn(&EnergyParts) -> i64| parts.iter().map(|p| wh(f(p))).collect();
        let opt = |f: &dyn Fn(&EnergyParts) -> Option<i64>| -> Option<Vec<f64>> {
            parts.iter().map(|p| f(p).map(wh)).collect()
        };
        let total = EnergyParts::new(&e.total, e.share, community);
        EnergyDto {
            unit: e.unit.as_str(),
            timezone: tz.iana_name().unwrap_or("UTC").to_string(),
            period: PeriodDto::new(&e.window),
            summed_to: local(e.summed_to.start_ms(), tz),
            ts: e.bars.iter().map(|b| b.start_ms / 1000).collect(),
            ends: e.bars.iter().map(|b| b.end_ms / 1000).collect(),
            partial: e.bars.iter().map(|b| b.partial).collect(),
            consumption_wh: col(&|p| p.consumption),
            production_wh: col(&|p| p.production),
            used_at_home_wh: col(&|p| p.used_at_home),
            from_neighbours_wh: opt(&|p| p.from_neighbours),
            to_neighbours_wh: opt(&|p| p.to_neighbours),
            from_grid_wh: col(&|p| p.from_grid),
            to_grid_wh: col(&|p| p.to_grid),
            total: EnergyTotalDto {
                consumption_wh: wh(total.consumption),
                production_wh: wh(total.production),
                used_at_home_wh: wh(total.used_at_home),
                from_neighbours_wh: total.from_neighbours.map(wh),
                to_neighbours_wh: total.to_neighbours.map(wh),
                from_grid_wh: wh(total.from_grid),
                to_grid_wh: wh(total.to_grid),
                self_sufficiency_rate: total.self_sufficiency_rate(),
                self_consumption_rate: total.self_consumption_rate(),
            },
        }
    }

    /// The bars as CSV: local start and end with their offset, whether the bar is still in
    /// progress, then each part in kWh.
    pub fn csv(e: &Energy, community: bool, style: CsvStyle) -> String {
        let tz = &e.window.tz;
        let mut out = style.header(&[
            "start",
            "end",
            "partial",
            "consumption_kwh",
            "production_kwh",
            "used_at_home_kwh",
            "from_neighbours_kwh",
            "to_neighbours_kwh",
            "from_grid_kwh",
            "to_grid_kwh",
        ]);
        out.push_str("\r\n");
        for b in &e.bars {
            let p = EnergyParts::new(&b.totals, b.share, community);
            let mut cells = vec![
                local(b.start_ms, tz),
                local(b.end_ms, tz),
                if b.partial { "yes" } else { "no" }.to_string(),
            ];
            for v in [
                Some(p.consumption),
                Some(p.production),
                Some(p.used_at_home),
                p.from_neighbours,
                p.to_neighbours,
                Some(p.from_grid),
                Some(p.to_grid),
            ] {
                cells.push(v.map(|v| style.decimal(&kwh(v))).unwrap_or_default());
            }
            out.push_str(&cells.join(&style.sep.to_string()));
            out.push_str("\r\n");
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
