//! Importing CSV files: grid-operator quarter-hour exports, quarter-hour series (cabin) and
//! generic readings. Idempotent: importing a file again changes nothing. Bad rows are reported
//! by line; good rows are kept.

use domain::{ChannelKind, Provenance, Unit};
use ingest::csv::{ColumnMapping, Direction};
use ingest::LineError;
use jiff::tz::TimeZone;
use store::{ChannelPoints, Store};

use crate::AppError;

/// What a file holds.
#[derive(Debug, Clone)]
pub enum ImportFormat {
    /// Grid-operator quarter-hour export; channels are named `<EAN>-import` / `<EAN>-export`.
    Grid,
    /// Quarter-hour energies (kWh) of one channel, e.g. a low-voltage cabin.
    Slots { channel: String, kind: ChannelKind },
    /// Raw `timestamp,value` readings of one channel; values are multiplied by `scale`
    /// (1000 for kW or kWh files).
    Points {
        channel: String,
        unit: Unit,
        scale: f64,
    },
}

/// Options of one import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub format: ImportFormat,
    pub mapping: ColumnMapping,
    /// Assign new channels to this meter (with the kind the format implies).
    pub meter_id: Option<i64>,
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

/// Imports one file's text. `progress(done, total)` is called as rows are stored.
pub fn import_csv(
    store: &Store,
    community_id: i64,
    text: &str,
    options: &ImportOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportSummary, AppError> {
    let community = store.community(community_id)?;
    let tz = TimeZone::get(&community.timezone)
        .map_err(|e| AppError::Invalid(format!("time zone: {e}")))?;
    let mut summary = ImportSummary::default();
    match &options.format {
        ImportFormat::Grid => {
            let out =
                ingest::csv::decode_grid(text, &options.mapping, &tz).map_err(AppError::Invalid)?;
            summary.rows = out.rows;
            summary.skipped = out.skipped;
            summary.rejected = out.errors;
            let total: usize = out.items.iter().map(|s| s.intervals.len()).sum();
            for series in &out.items {
                let (suffix, kind) = match series.direction {
                    Direction::Import => ("import", ChannelKind::GridImport),
                    Direction::Export => ("export", ChannelKind::GridExport),
                };
                let key = if series.meter.is_empty() {
                    format!("grid-{suffix}")
                } else {
                    format!("{}-{suffix}", series.meter)
                };
                let channel = channel_for(
                    store,
                    community_id,
                    &key,
                    Unit::WattHour,
                    kind,
                    options.meter_id,
                )?;
                for chunk in series.intervals.chunks(BATCH) {
                    store.write_intervals(channel, chunk)?;
                    summary.imported += chunk.len();
                    progress(summary.imported, total);
                }
                summary.channels.push(key);
            }
        }
        ImportFormat::Slots { channel, kind } => {
            let out = ingest::csv::decode_slots(text, &options.mapping, &tz, Provenance::Measured)
                .map_err(AppError::Invalid)?;
            summary.rows = out.rows;
            summary.skipped = out.skipped;
            summary.rejected = out.errors;
            let id = channel_for(
                store,
                community_id,
                channel,
                Unit::WattHour,
                *kind,
                options.meter_id,
            )?;
            for chunk in out.items.chunks(BATCH) {
                store.write_intervals(id, chunk)?;
                summary.imported += chunk.len();
                progress(summary.imported, out.items.len());
            }
            summary.channels.push(channel.clone());
        }
        ImportFormat::Points {
            channel,
            unit,
            scale,
        } => {
            let out = ingest::csv::decode_points(text, &options.mapping, &tz)
                .map_err(AppError::Invalid)?;
            summary.rows = out.rows;
            summary.skipped = out.skipped;
            summary.rejected = out.errors;
            let kind = if *unit == Unit::Watt {
                ChannelKind::Consumption
            } else {
                ChannelKind::GridImport
            };
            let id = channel_for(store, community_id, channel, *unit, kind, options.meter_id)?;
            let existing = store.channel(id)?;
            if existing.unit != *unit {
                return Err(AppError::Invalid(format!(
                    "channel '{channel}' holds {}, not {unit}",
                    existing.unit
                )));
            }
            for chunk in out.items.chunks(50_000) {
                store.write_points(
                    &[ChannelPoints {
                        channel_id: id,
                        points: chunk
                            .iter()
                            .map(|p| domain::Point {
                                ts_ms: p.ts_ms,
                                value: p.value * scale,
                            })
                            .collect(),
                    }],
                    0,
                )?;
                summary.imported += chunk.len();
                progress(summary.imported, out.items.len());
            }
            summary.channels.push(channel.clone());
        }
    }
    Ok(summary)
}

fn channel_for(
    store: &Store,
    community_id: i64,
    key: &str,
    unit: Unit,
    kind: ChannelKind,
    meter_id: Option<i64>,
) -> Result<i64, AppError> {
    let channel = store.ensure_channel(community_id, key, unit)?;
    if let (Some(meter), true) = (meter_id, channel.configs.is_empty()) {
        store.assign_channel(channel.id, meter, kind, None, 0, "assigned at import")?;
    }
    Ok(channel.id)
}
