//! Recording live readings from devices: matching series to channels (registering unknown
//! ones, within limits), enforcing the writer's scope, refusing what cannot be true (the
//! plausibility rules of `domain::limits`), and writing one durable batch.
//!
//! A line is refused whole: when one of its values is implausible or its series is refused, no
//! point of that line is stored, and the error names the line.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use domain::limits::{self, Arrival};
use domain::{ChannelConfig, ChannelId, MeterId, Point, Sampling, SeriesKey, TokenScope, Unit};
use ingest::{LineError, SeriesPoint};
use store::WriteSummary;

use crate::{App, AppError};

/// What a recording did.
#[derive(Debug, Default)]
pub struct RecordOutcome {
    pub written: WriteSummary,
    /// Lines refused after decoding, with why.
    pub rejected: Vec<LineError>,
    /// Points those lines held.
    pub rejected_points: usize,
}

/// How long a series' channel is trusted from the cache: a reassignment made by another
/// process (the command line) is seen within this time.
pub const CACHE_TTL_MS: i64 = 60_000;

/// Where a write token looks series up: its meter's channels, or the whole community's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Namespace {
    Meter(MeterId),
    Community,
}

#[derive(Clone)]
struct Known {
    channel: ChannelId,
    unit: Unit,
    configs: Arc<[ChannelConfig]>,
    cached_at_ms: i64,
}

/// Series → channel, shared by all requests, and how many series each token registered lately.
#[derive(Default)]
pub struct SeriesCache {
    known: RwLock<HashMap<(Namespace, Arc<str>), Known>>,
    /// token id → (hour start ms, series registered in that hour)
    budget: Mutex<HashMap<i64, (i64, u32)>>,
}

/// Points of one series, the line each came from, and whether they were written on change.
type PointsAndLines = (Vec<Point>, Vec<usize>, bool);

/// A write: who writes, with which token.
#[derive(Debug, Clone, Copy)]
pub struct Writer {
    pub token_id: i64,
    pub scope: TokenScope,
}

impl App {
    /// Looks a series up (or registers it). `Err` is the reason every line of that series is
    /// refused.
    fn channel_for(
        &self,
        writer: &Writer,
        key: &Arc<str>,
        unit: Unit,
        sampling: Sampling,
        now_ms: i64,
    ) -> Result<Known, String> {
        let ns = match writer.scope {
            TokenScope::MeterWrite { meter_id } => Namespace::Meter(meter_id),
            _ => Namespace::Community,
        };
        if let Some(k) = self
            .series
            .known
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(ns, key.clone()))
            .filter(|k| (now_ms - k.cached_at_ms).abs() < CACHE_TTL_MS)
        {
            return Ok(k.clone());
        }
        let series = SeriesKey::parse(key).map_err(|e| e.to_string())?;
        let community = self.community_id();
        let found = self
            .store
            .read(|tx| match ns {
                Namespace::Meter(m) => Ok(tx
                    .channels()
                    .named(community, Some(m), key)?
                    .into_iter()
                    .collect()),
                Namespace::Community => tx.channels().by_key(community, key),
            })
            .map_err(|e| AppError::from(e).message)?;
        let channel = match found.len() {
            1 => found.into_iter().next().expect("one"),
            0 => self.register(writer, ns, &series, unit, sampling, now_ms)?,
            n => {
                return Err(format!(
                    "series '{key}' exists on {n} meters; write it with the meter's own token"
                ))
            }
        };
        let known = Known {
            channel: channel.id,
            unit: channel.unit,
            configs: channel.configs.into(),
            cached_at_ms: now_ms,
        };
        self.series
            .known
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert((ns, key.clone()), known.clone());
        Ok(known)
    }

    fn register(
        &self,
        writer: &Writer,
        ns: Namespace,
        key: &SeriesKey,
        unit: Unit,
        sampling: Sampling,
        now_ms: i64,
    ) -> Result<domain::Channel, String> {
        let hour = now_ms.div_euclid(3_600_000) * 3_600_000;
        {
            let mut budget = self.series.budget.lock().unwrap_or_else(|e| e.into_inner());
            budget.retain(|_, (h, _)| *h == hour);
            let used = budget.entry(writer.token_id).or_insert((hour, 0));
            if used.1 >= self.settings.new_series_per_hour {
                return Err(format!(
                    "series '{key}' is new and this token registered {} new series this hour already (the limit)",
                    used.1
                ));
            }
            used.1 += 1;
        }
        let community = self.community_id();
        let cap = self.settings.max_unassigned_channels;
        let meter = match ns {
            Namespace::Meter(m) => Some(m),
            Namespace::Community => None,
        };
        self.store
            .write(|tx| {
                if tx.channels().count_unassigned(community)? >= cap {
                    return Ok(Err(format!(
                        "series '{key}' is new and the community already has {cap} unassigned series: assign or remove some first"
                    )));
                }
                Ok(Ok(tx.channels()
                    .register(community, meter, key, unit, sampling, now_ms)?
                    .0))
            })
            .map_err(|e| AppError::from(e).message)?
    }

    /// Records decoded points for the community served, under a write token.
    pub fn record(
        &self,
        writer: Writer,
        points: Vec<SeriesPoint>,
    ) -> Result<RecordOutcome, AppError> {
        if !writer.scope.can_write() {
            return Err(AppError::forbidden(
                "this token can read data, not write readings",
            ));
        }
        let now = self.now_ms();
        let total_points = points.len();
        let mut bad: BTreeMap<usize, String> = BTreeMap::new();
        // Per series and unit: points, and the line of each point (kept apart so that a batch
        // with nothing refused moves its points to the store without another copy). A series
        // written in two units is two groups: the one its channel does not measure is refused.
        let mut by_key: rustc_hash::FxHashMap<(Arc<str>, Unit), PointsAndLines> =
            rustc_hash::FxHashMap::default();
        for sp in points {
            if let Err(e) = limits::check_instant(sp.point.ts_ms, Arrival::Live, now) {
                bad.entry(sp.line)
                    .or_insert_with(|| format!("{}: {e}", sp.series_key));
                continue;
            }
            let entry = by_key.entry((sp.series_key, sp.unit)).or_default();
            entry.0.push(sp.point);
            entry.1.push(sp.line);
            entry.2 |= sp.on_change;
        }
        let mut keys: Vec<_> = by_key.into_iter().collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        let mut accepted: Vec<(ChannelId, Vec<Point>, Vec<usize>)> = Vec::with_capacity(keys.len());
        for ((key, unit), (pts, lines, on_change)) in keys {
            let refuse_all = |bad: &mut BTreeMap<usize, String>, reason: &str| {
                for line in &lines {
                    bad.entry(*line).or_insert_with(|| reason.to_string());
                }
            };
            let sampling = if on_change {
                Sampling::OnChange {
                    hold_ms: self.settings.on_change_hold_ms,
                }
            } else {
                Sampling::Sampled
            };
            let known = match self.channel_for(&writer, &key, unit, sampling, now) {
                Ok(k) => k,
                Err(reason) => {
                    refuse_all(&mut bad, &reason);
                    continue;
                }
            };
            if known.unit != unit {
                refuse_all(
                    &mut bad,
                    &format!(
                        "{key}: unit {unit} does not match the channel's unit {}",
                        known.unit
                    ),
                );
                continue;
            }
            // Most channels have had one meaning all along: look it up once.
            let always = match known.configs.as_ref() {
                [only] if only.valid_to_ms.is_none() => pts
                    .iter()
                    .all(|p| p.ts_ms >= only.valid_from_ms)
                    .then_some(Some(only.kind)),
                [] => Some(None),
                _ => None,
            };
            for (p, line) in pts.iter().zip(&lines) {
                let kind = match always {
                    Some(kind) => kind,
                    None => known
                        .configs
                        .iter()
                        .find(|c| c.valid_at(p.ts_ms))
                        .map(|c| c.kind),
                };
                if let Err(e) = self.settings.limits.check_value(unit, kind, p.value) {
                    bad.entry(*line).or_insert_with(|| format!("{key}: {e}"));
                }
            }
            accepted.push((known.channel, pts, lines));
        }
        let mut outcome = RecordOutcome::default();
        let batch: Vec<(ChannelId, Vec<Point>)> = if bad.is_empty() {
            accepted.into_iter().map(|(c, pts, _)| (c, pts)).collect()
        } else {
            accepted
                .into_iter()
                .map(|(channel, pts, lines)| {
                    let kept = pts
                        .into_iter()
                        .zip(lines)
                        .filter(|(_, line)| !bad.contains_key(line))
                        .map(|(p, _)| p)
                        .collect();
                    (channel, kept)
                })
                .collect()
        };
        let kept: usize = batch.iter().map(|(_, p)| p.len()).sum();
        outcome.rejected_points = total_points - kept;
        outcome.written = self
            .store
            .write(|tx| tx.points().write_batch(&batch, Some(now)))?;
        outcome.rejected = bad
            .into_iter()
            .map(|(line, reason)| LineError { line, reason })
            .collect();
        Ok(outcome)
    }
}

/// Formats errors InfluxDB-style for a partial write.
pub fn describe_errors(errors: &[LineError], limit: usize) -> String {
    let mut parts: Vec<String> = errors.iter().take(limit).map(|e| e.to_string()).collect();
    if errors.len() > limit {
        parts.push(format!("and {} more", errors.len() - limit));
    }
    parts.join("; ")
}
