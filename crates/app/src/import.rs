//! Importing CSV files: grid-operator quarter-hour exports, quarter-hour series (cabin) and
//! generic readings. Idempotent: importing a file again changes nothing. Rows that cannot be
//! true (in the future, beyond the channel's physical limit) are refused like malformed ones,
//! by line; good rows are kept. An import never makes a meter look alive: only live data does.

use domain::limits::{self, Arrival};
use domain::{ChannelId, ChannelKind, MeterId, Point, Provenance, SeriesKey, Unit};
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
    /// Raw `timestamp,value` readings of one channel, in the file's unit (`ingest::units`:
    /// kW and kWh files are stored in W and Wh).
    Points {
        channel: String,
        scale: ingest::units::Scale,
        kind: ChannelKind,
    },
}

/// Options of one import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub format: ImportFormat,
    pub mapping: ColumnMapping,
    /// Put new channels on this meter, with the kind the format implies.
    pub meter_id: Option<MeterId>,
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
            let (channel, _) = tx.channels().register(community, meter, &key, unit, now)?;
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
