//! Recording decoded readings: matching series to channels (registering unknown ones as
//! unassigned), enforcing the writer's scope, rejecting impossible timestamps, and writing one
//! durable batch.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use domain::{Point, Unit};
use ingest::{LineError, SeriesPoint};
use store::{ChannelPoints, Store, TokenScope, WriteSummary};

use crate::AppError;

/// Readings stamped at or before this (2009-02-13) come from a meter without a clock.
pub const OLDEST_PLAUSIBLE_MS: i64 = 1_234_567_890_000;
/// Readings stamped further than this in the future are rejected.
pub const FUTURE_TOLERANCE_MS: i64 = 5 * 60_000;

/// What a recording did.
#[derive(Debug, Default)]
pub struct RecordOutcome {
    pub written: WriteSummary,
    /// Points refused after decoding (wrong scope, unit, clock), by series.
    pub rejected: Vec<String>,
    pub rejected_points: usize,
}

/// How long a channel's meter and unit are trusted from the cache: a reassignment made by
/// another process (the command line) is seen within this time.
pub const CACHE_TTL_MS: i64 = 60_000;

#[derive(Clone, Copy)]
struct Known {
    channel_id: i64,
    meter_id: Option<i64>,
    unit: Unit,
    cached_at_ms: i64,
}

/// Maps series keys to channels, with a short-lived cache shared by all requests.
#[derive(Default)]
pub struct Recorder {
    cache: RwLock<HashMap<(i64, String), Known>>,
}

impl Recorder {
    pub fn new() -> Recorder {
        Recorder::default()
    }

    fn channel(
        &self,
        store: &Store,
        community_id: i64,
        key: &str,
        unit: Unit,
        scope: TokenScope,
        now_ms: i64,
    ) -> Result<Known, AppError> {
        if let Some(k) = self
            .cache
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(community_id, key.to_string()))
            .filter(|k| (now_ms - k.cached_at_ms).abs() < CACHE_TTL_MS)
        {
            return Ok(*k);
        }
        let channel = match store.channel_by_key(community_id, key)? {
            Some(c) => c,
            None => {
                let c = store.ensure_channel(community_id, key, unit)?;
                if let (TokenScope::MeterWrite { meter_id }, None) = (scope, c.meter_id) {
                    store.attach_channel_to_meter(c.id, meter_id)?;
                    store.channel(c.id)?
                } else {
                    c
                }
            }
        };
        let known = Known {
            channel_id: channel.id,
            meter_id: channel.meter_id,
            unit: channel.unit,
            cached_at_ms: now_ms,
        };
        self.cache
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert((community_id, key.to_string()), known);
        Ok(known)
    }

    /// Records decoded points for a community under a write scope. `now_ms` is the server clock.
    pub fn record(
        &self,
        store: &Store,
        community_id: i64,
        scope: TokenScope,
        points: Vec<SeriesPoint>,
        now_ms: i64,
    ) -> Result<RecordOutcome, AppError> {
        if let TokenScope::UserRead { .. } = scope {
            return Err(AppError::Forbidden("this token can read, not write".into()));
        }
        let mut by_key: HashMap<Arc<str>, (Unit, Vec<Point>)> = HashMap::new();
        let mut outcome = RecordOutcome::default();
        let mut clock_rejects: HashMap<Arc<str>, usize> = HashMap::new();
        for sp in points {
            if sp.point.ts_ms <= OLDEST_PLAUSIBLE_MS
                || sp.point.ts_ms > now_ms + FUTURE_TOLERANCE_MS
            {
                *clock_rejects.entry(sp.series_key).or_default() += 1;
                continue;
            }
            by_key
                .entry(sp.series_key)
                .or_insert_with(|| (sp.unit, Vec::new()))
                .1
                .push(sp.point);
        }
        for (key, n) in clock_rejects {
            outcome.rejected_points += n;
            outcome.rejected.push(format!("{key}: {n} point(s) with an impossible timestamp (meter clock not set, or in the future)"));
        }
        let mut batch = Vec::with_capacity(by_key.len());
        let mut keys: Vec<_> = by_key.into_iter().collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, (unit, pts)) in keys {
            let known = self.channel(store, community_id, &key, unit, scope, now_ms)?;
            if let TokenScope::MeterWrite { meter_id } = scope {
                if known.meter_id != Some(meter_id) {
                    return Err(AppError::Forbidden(format!(
                        "series '{key}' belongs to another meter"
                    )));
                }
            }
            if known.unit != unit {
                outcome.rejected_points += pts.len();
                outcome.rejected.push(format!(
                    "{key}: unit {} does not match the channel's unit {}",
                    unit, known.unit
                ));
                continue;
            }
            batch.push(ChannelPoints {
                channel_id: known.channel_id,
                points: pts,
            });
        }
        outcome.written = store.write_points(&batch, now_ms)?;
        outcome.rejected.sort();
        Ok(outcome)
    }
}

/// Formats decoder errors InfluxDB-style for a partial write.
pub fn describe_errors(errors: &[LineError], limit: usize) -> String {
    let mut parts: Vec<String> = errors.iter().take(limit).map(|e| e.to_string()).collect();
    if errors.len() > limit {
        parts.push(format!("and {} more", errors.len() - limit));
    }
    parts.join("; ")
}
