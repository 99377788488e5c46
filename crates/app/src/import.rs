//! Importing CSV files: grid-operator quarter-hour exports, quarter-hour series (cabin) and
//! generic readings. Idempotent: importing a file again changes nothing. Rows that cannot be
//! true (in the future, beyond the channel's physical limit) are refused like malformed ones,
//! by line; good rows are kept. An import never makes a meter look alive: only live data does.

use analytics::quarter_hour::Span;
use domain::limits::{self, Arrival};
use domain::{
    ChannelId, ChannelKind, Interval, MeterId, Point, Provenance, Sampling, SeriesKey, Unit,
};
use ingest::csv::{ColumnMapping, Direction, Numbered};
use ingest::LineError;

use crate::{App, AppError};

/// What a file holds.
#[derive(Debug, Clone)]
pub enum ImportFormat {
    /// Grid-operator quarter-hour export; channels are named `<EAN>-import` / `<EAN>-export`.
    Grid,
    /// Quarter-hour energies (kWh) of one channel, e.g. a low-voltage cabin.
    Slots { channel: String, kind: ChannelKind },
    /// `timestamp,value` rows of one channel, in the file's unit (`ingest::units`: kW and kWh
    /// files are stored in W and Wh), meaning what `meaning` says.
    Points {
        channel: String,
        scale: ingest::units::Scale,
        kind: ChannelKind,
        meaning: Meaning,
    },
}

/// What the values of a points file mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Meaning {
    /// Instantaneous readings: a power sample, or a counter's reading, at its timestamp.
    #[default]
    Sample,
    /// The mean power over the interval that ends at the timestamp (a meter's minute means).
    MeanEnding,
    /// The mean power over the interval that starts at the timestamp.
    MeanStarting,
    /// The energy of the interval that ends at the timestamp.
    EnergyEnding,
    /// The energy of the interval that starts at the timestamp.
    EnergyStarting,
}

impl Meaning {
    /// The interval a row stands for, `None` for an instantaneous reading.
    fn span(self, ts_ms: i64, interval_ms: i64) -> Option<(i64, i64)> {
        match self {
            Meaning::Sample => None,
            Meaning::MeanEnding | Meaning::EnergyEnding => Some((ts_ms - interval_ms, ts_ms)),
            Meaning::MeanStarting | Meaning::EnergyStarting => Some((ts_ms, ts_ms + interval_ms)),
        }
    }

    fn is_energy(self) -> bool {
        matches!(self, Meaning::EnergyEnding | Meaning::EnergyStarting)
    }
}

/// Options of one import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub format: ImportFormat,
    pub mapping: ColumnMapping,
    /// Put new channels on this meter, with the kind the format implies.
    pub meter_id: Option<MeterId>,
    /// The interval a row of means or energies stands for; by default the most common step
    /// between the file's timestamps.
    pub interval_ms: Option<i64>,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportSummary {
    pub rows: usize,
    pub imported: usize,
    /// Rows left out on purpose (the mapping's `skip_if`).
    pub skipped: usize,
    pub rejected: Vec<LineError>,
    pub channels: Vec<String>,
}

const BATCH: usize = 5_000;

impl App {
    /// Imports one file's text. `progress(done, total)` is called as rows are stored.
    pub fn import_csv(
        &self,
        text: &str,
        options: &ImportOptions,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ImportSummary, AppError> {
        let tz = self.time_zone()?;
        let now = self.now_ms();
        let limits = self.settings.limits;
        let mut summary = ImportSummary::default();
        match &options.format {
            ImportFormat::Grid => {
                let items = summary.take(
                    ingest::csv::decode_grid(text, &options.mapping, &tz)
                        .map_err(AppError::invalid)?,
                );
                let total: usize = items.iter().map(|s| s.intervals.len()).sum();
                for series in &items {
                    let (suffix, kind) = match series.direction {
                        Direction::Import => ("import", ChannelKind::GridImport),
                        Direction::Export => ("export", ChannelKind::GridExport),
                    };
                    let key = if series.meter.is_empty() {
                        format!("grid-{suffix}")
                    } else {
                        format!("{}-{suffix}", series.meter)
                    };
                    let channel =
                        self.import_channel(&key, Unit::WattHour, kind, options.meter_id, false)?;
                    let good = keep_plausible(&series.intervals, &mut summary.rejected, |i| {
                        limits.check_interval(Some(kind), i, now)
                    });
                    for chunk in good.chunks(BATCH) {
                        self.store
                            .write(|tx| tx.intervals().write(channel, chunk))?;
                        summary.imported += chunk.len();
                        progress(summary.imported, total);
                    }
                    summary.channels.push(key);
                }
            }
            ImportFormat::Slots { channel, kind } => {
                let items = summary.take(
                    ingest::csv::decode_slots(text, &options.mapping, &tz, Provenance::Measured)
                        .map_err(AppError::invalid)?,
                );
                let id =
                    self.import_channel(channel, Unit::WattHour, *kind, options.meter_id, false)?;
                let good = keep_plausible(&items, &mut summary.rejected, |i| {
                    limits.check_interval(Some(*kind), i, now)
                });
                for chunk in good.chunks(BATCH) {
                    self.store.write(|tx| tx.intervals().write(id, chunk))?;
                    summary.imported += chunk.len();
                    progress(summary.imported, good.len());
                }
                summary.channels.push(channel.clone());
            }
            ImportFormat::Points {
                channel,
                scale,
                kind,
                meaning,
            } if *meaning != Meaning::Sample => {
                let items = summary.take(
                    ingest::csv::decode_points(text, &options.mapping, &tz)
                        .map_err(AppError::invalid)?,
                );
                let spans = spans_of(&items, *scale, *meaning, options.interval_ms)?;
                let id = self.import_channel(channel, Unit::Watt, *kind, options.meter_id, true)?;
                // Each row's interval: plausible, ended, and not overlapping the one before.
                let mut good: Vec<Numbered<Span>> = Vec::with_capacity(spans.len());
                for n in spans {
                    let check = limits::check_instant(n.item.end_ms - 1, Arrival::Import, now)
                        .and_then(|()| {
                            limits.check_value(Unit::Watt, Some(*kind), n.item.mean_w())
                        });
                    let reason = match (check, good.last()) {
                        (Err(e), _) => Some(e.to_string()),
                        (Ok(()), Some(prev)) if n.item.start_ms < prev.item.end_ms => Some(
                            format!("its interval overlaps the one of line {}", prev.line),
                        ),
                        _ => None,
                    };
                    match reason {
                        Some(reason) => summary.rejected.push(LineError {
                            line: n.line,
                            reason,
                        }),
                        None => good.push(n),
                    }
                }
                // The file's quarter-hours, as imported versions. A row whose quarter-hour is
                // refused (not ended, beyond the limit) is refused whole, with the others of
                // that quarter-hour.
                let mut intervals: Vec<Interval>;
                loop {
                    let spans: Vec<Span> = good.iter().map(|n| n.item).collect();
                    intervals = analytics::quarter_hour::from_spans(&spans);
                    let refused: Vec<(i64, i64, String)> = intervals
                        .iter()
                        .filter_map(|i| {
                            let e = limits.check_interval(Some(*kind), i, now).err()?;
                            Some((i.slot.start_ms(), i.slot.end_ms(), e.to_string()))
                        })
                        .collect();
                    if refused.is_empty() {
                        break;
                    }
                    good.retain(|n| {
                        let hit = refused
                            .iter()
                            .find(|(lo, hi, _)| n.item.end_ms > *lo && n.item.start_ms < *hi);
                        if let Some((_, _, reason)) = hit {
                            summary.rejected.push(LineError {
                                line: n.line,
                                reason: format!("its quarter-hour: {reason}"),
                            });
                        }
                        hit.is_none()
                    });
                }
                let only: Vec<Span> = good.iter().map(|n| n.item).collect();
                // The means are also the curve's points, at the middle of their intervals.
                let points: Vec<Point> = only
                    .iter()
                    .map(|s| Point {
                        ts_ms: s.start_ms + (s.end_ms - s.start_ms) / 2,
                        value: s.mean_w(),
                    })
                    .collect();
                for chunk in points.chunks(50_000) {
                    self.store.write(|tx| tx.points().write(id, chunk, None))?;
                }
                for chunk in intervals.chunks(BATCH) {
                    self.store.write(|tx| tx.intervals().write(id, chunk))?;
                }
                summary.imported = good.len();
                progress(summary.imported, summary.imported);
                summary.channels.push(channel.clone());
            }
            ImportFormat::Points {
                channel,
                scale,
                kind,
                meaning: _,
            } => {
                let unit = &scale.unit;
                let items = summary.take(
                    ingest::csv::decode_points(text, &options.mapping, &tz)
                        .map_err(AppError::invalid)?,
                );
                let id = self.import_channel(channel, *unit, *kind, options.meter_id, true)?;
                let scaled: Vec<Numbered<Point>> = items
                    .iter()
                    .map(|n| Numbered {
                        line: n.line,
                        item: Point {
                            ts_ms: n.item.ts_ms,
                            value: scale.apply(n.item.value),
                        },
                    })
                    .collect();
                let good = keep_plausible(&scaled, &mut summary.rejected, |p| {
                    limits::check_instant(p.ts_ms, Arrival::Import, now)?;
                    limits.check_value(*unit, Some(*kind), p.value)
                });
                for chunk in good.chunks(50_000) {
                    self.store.write(|tx| tx.points().write(id, chunk, None))?;
                    summary.imported += chunk.len();
                    progress(summary.imported, good.len());
                }
                summary.channels.push(channel.clone());
            }
        }
        summary.rejected.sort_by_key(|e| e.line);
        Ok(summary)
    }

    /// The channel an import writes to: on the given meter (assigned the format's kind when it
    /// has no meaning yet), or unassigned. Raw points (`raw`) are in the channel's unit, so an
    /// existing channel must hold `unit` (quarter-hours are energies whatever the unit).
    fn import_channel(
        &self,
        key: &str,
        unit: Unit,
        kind: ChannelKind,
        meter: Option<MeterId>,
        raw: bool,
    ) -> Result<ChannelId, AppError> {
        let key = SeriesKey::parse(key)?;
        let community = self.community_id();
        let now = self.now_ms();
        Ok(self.store.write(|tx| {
            if let Some(m) = meter {
                tx.meters().in_community(community, m)?;
            }
            let (channel, _) =
                tx.channels()
                    .register(community, meter, &key, unit, Sampling::Sampled, now)?;
            if raw && channel.unit != unit {
                return Err(store::StoreError::invalid(format!(
                    "channel '{key}' holds {}, not {unit}",
                    channel.unit
                )));
            }
            if let (Some(m), true) = (meter, channel.configs.is_empty()) {
                tx.channels()
                    .assign(channel.id, m, kind, None, 0, "assigned at import")?;
            }
            Ok(channel.id)
        })?)
    }
}

impl ImportSummary {
    /// Counts a decoded file's rows and keeps its line errors; returns its items.
    fn take<T>(&mut self, out: ingest::csv::CsvOutcome<T>) -> T {
        self.rows = out.rows;
        self.skipped = out.skipped;
        self.rejected = out.errors;
        out.items
    }
}

/// The interval of each row of means or energies, its energy in W·ms exactly as written (a
/// minute's mean of 2.58 kW is 2580 W × 60,000 ms).
fn spans_of(
    items: &[Numbered<Point>],
    scale: ingest::units::Scale,
    meaning: Meaning,
    interval_ms: Option<i64>,
) -> Result<Vec<Numbered<Span>>, AppError> {
    match (meaning.is_energy(), scale.unit) {
        (true, Unit::Watt) => {
            return Err(AppError::invalid(
                "values that are energies per interval need an energy unit (Wh, kWh)",
            ))
        }
        (false, Unit::WattHour) => {
            return Err(AppError::invalid(
                "values that are mean powers need a power unit (W, kW)",
            ))
        }
        _ => {}
    }
    let interval_ms = match interval_ms {
        Some(ms) if ms > 0 && ms <= 86_400_000 => ms,
        Some(ms) => {
            return Err(AppError::invalid(format!(
                "an interval of {ms} ms: give one from 1 ms to a day"
            )))
        }
        None => most_common_step(items).ok_or_else(|| {
            AppError::invalid("the interval of a row cannot be told from one row: give it")
        })?,
    };
    let mut spans: Vec<Numbered<Span>> = items
        .iter()
        .map(|n| {
            let (start_ms, end_ms) = meaning
                .span(n.item.ts_ms, interval_ms)
                .expect("means and energies have a span");
            let value = scale.apply(n.item.value);
            let energy_wms = if meaning.is_energy() {
                value * 3_600_000.0
            } else {
                value * interval_ms as f64
            };
            Numbered {
                line: n.line,
                item: Span {
                    start_ms,
                    end_ms,
                    energy_wms,
                },
            }
        })
        .collect();
    spans.sort_by_key(|n| (n.item.start_ms, n.line));
    Ok(spans)
}

/// The step that separates most consecutive timestamps: a file's interval, whatever its gaps.
fn most_common_step(items: &[Numbered<Point>]) -> Option<i64> {
    let mut ts: Vec<i64> = items.iter().map(|n| n.item.ts_ms).collect();
    ts.sort_unstable();
    let mut steps: Vec<i64> = ts
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| *d > 0)
        .collect();
    steps.sort_unstable();
    let mut best: Option<(usize, i64)> = None;
    for run in steps.chunk_by(|a, b| a == b) {
        if best.is_none_or(|(n, _)| run.len() > n) {
            best = Some((run.len(), run[0]));
        }
    }
    best.map(|(_, step)| step)
}

/// The items that pass `check`; the others become line errors.
fn keep_plausible<T: Copy>(
    items: &[Numbered<T>],
    rejected: &mut Vec<LineError>,
    check: impl Fn(&T) -> Result<(), limits::Implausible>,
) -> Vec<T> {
    let mut good = Vec::with_capacity(items.len());
    for n in items {
        match check(&n.item) {
            Ok(()) => good.push(n.item),
            Err(e) => rejected.push(LineError {
                line: n.line,
                reason: e.to_string(),
            }),
        }
    }
    good
}
