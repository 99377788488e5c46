//! Plausibility: the one rule for every path by which data arrives (HTTP push, MQTT, CSV
//! imports) about which instants and which values can be true.
//!
//! - A live reading stamped at or before 2009-02-13T23:31:30Z (Unix 1234567890) comes from a
//!   meter whose clock was never set (no NTP); an explicit historical import may be older.
//! - Nothing is stamped more than five minutes after the server's clock; a quarter-hour that
//!   has not ended by then cannot have been measured.
//! - A power is bounded by the physical maximum of its channel's kind (a household channel is
//!   not a gigawatt); the bounds are configurable, with defaults that fit the largest connection
//!   each kind has in practice. A counter is bounded by 10^12 Wh.

use serde::{Deserialize, Serialize};

use crate::{ChannelKind, Interval, Unit, SLOT_MS};

/// How a reading reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Sent by a meter or gateway as it measures.
    Live,
    /// An explicit import of past data (files, backfill).
    Import,
}

/// Readings at or before this instant come from a meter without a clock (Unix 1234567890 s).
pub const NO_CLOCK_UNTIL_MS: i64 = 1_234_567_890_000;
/// How far after the server's clock a reading may be stamped.
pub const FUTURE_TOLERANCE_MS: i64 = 5 * 60_000;
/// Imports reach back to 1970 at most.
pub const OLDEST_IMPORT_MS: i64 = 0;
/// Largest counter value accepted, in Wh.
pub const MAX_COUNTER_WH: f64 = 1e12;

/// Why a reading cannot be true.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Implausible {
    #[error("timestamp {ts} is before 2009-02-14: the meter's clock is not set (no NTP)")]
    ClockNotSet { ts: String },
    #[error("timestamp {ts} is before 1970")]
    BeforeEpoch { ts: String },
    #[error("timestamp {ts} is in the future (server time {now})")]
    Future { ts: String, now: String },
    #[error("quarter-hour {start} has not ended yet (server time {now})")]
    SlotNotEnded { start: String, now: String },
    #[error("value is not a finite number")]
    NotFinite,
    #[error("{value} {unit} is beyond the physical limit of {limit} {unit} for a {kind} channel")]
    TooLarge {
        value: String,
        limit: String,
        unit: &'static str,
        kind: String,
    },
}

fn stamp(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| format!("{ms} ms"))
}

/// Checks the instant of one reading.
pub fn check_instant(ts_ms: i64, arrival: Arrival, now_ms: i64) -> Result<(), Implausible> {
    match arrival {
        Arrival::Live if ts_ms <= NO_CLOCK_UNTIL_MS => {
            return Err(Implausible::ClockNotSet { ts: stamp(ts_ms) })
        }
        Arrival::Import if ts_ms < OLDEST_IMPORT_MS => {
            return Err(Implausible::BeforeEpoch { ts: stamp(ts_ms) })
        }
        _ => {}
    }
    if ts_ms > now_ms.saturating_add(FUTURE_TOLERANCE_MS) {
        return Err(Implausible::Future {
            ts: stamp(ts_ms),
            now: stamp(now_ms),
        });
    }
    Ok(())
}

/// Checks the quarter-hour of an imported interval: it must have ended.
pub fn check_slot(interval: &Interval, now_ms: i64) -> Result<(), Implausible> {
    check_instant(interval.slot.start_ms(), Arrival::Import, now_ms)?;
    if interval.slot.end_ms() > now_ms.saturating_add(FUTURE_TOLERANCE_MS) {
        return Err(Implausible::SlotNotEnded {
            start: stamp(interval.slot.start_ms()),
            now: stamp(now_ms),
        });
    }
    Ok(())
}

/// The largest power each kind of channel can carry, in kW.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PowerLimits {
    pub consumption_kw: f64,
    pub production_kw: f64,
    pub grid_import_kw: f64,
    pub grid_export_kw: f64,
    pub cabin_kw: f64,
    /// A channel not assigned yet.
    pub unassigned_kw: f64,
}

impl Default for PowerLimits {
    fn default() -> Self {
        // A Belgian low-voltage connection tops out near 3 × 63 A × 400 V ≈ 44 kVA; shops and
        // offices reach 100 kVA; a low-voltage cabin's transformer is 400 to 1 000 kVA.
        PowerLimits {
            consumption_kw: 250.0,
            production_kw: 250.0,
            grid_import_kw: 250.0,
            grid_export_kw: 250.0,
            cabin_kw: 2_000.0,
            unassigned_kw: 2_000.0,
        }
    }
}

impl PowerLimits {
    /// The limit of a channel of `kind` (`None` = unassigned), in W.
    pub fn max_w(&self, kind: Option<ChannelKind>) -> f64 {
        1000.0
            * match kind {
                Some(ChannelKind::Consumption) => self.consumption_kw,
                Some(ChannelKind::Production) => self.production_kw,
                Some(ChannelKind::GridImport) => self.grid_import_kw,
                Some(ChannelKind::GridExport) => self.grid_export_kw,
                Some(ChannelKind::Cabin) => self.cabin_kw,
                None => self.unassigned_kw,
            }
    }

    /// Checks that every limit is a positive finite number; names the one that is not.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("consumption_kw", self.consumption_kw),
            ("production_kw", self.production_kw),
            ("grid_import_kw", self.grid_import_kw),
            ("grid_export_kw", self.grid_export_kw),
            ("cabin_kw", self.cabin_kw),
            ("unassigned_kw", self.unassigned_kw),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= 1e7) {
                return Err(format!("{name} = {v} must be between 0 and 10,000,000 kW"));
            }
        }
        Ok(())
    }

    /// Checks one raw value of a channel of `unit` and `kind`.
    pub fn check_value(
        &self,
        unit: Unit,
        kind: Option<ChannelKind>,
        value: f64,
    ) -> Result<(), Implausible> {
        if !value.is_finite() {
            return Err(Implausible::NotFinite);
        }
        let (limit, unit_name) = match unit {
            Unit::Watt => (self.max_w(kind), "W"),
            Unit::WattHour => (MAX_COUNTER_WH, "Wh"),
        };
        if value.abs() > limit {
            return Err(Implausible::TooLarge {
                value: format!("{value}"),
                limit: format!("{limit}"),
                unit: unit_name,
                kind: kind.map_or("unassigned".into(), |k| k.to_string()),
            });
        }
        Ok(())
    }

    /// Checks a quarter-hour that comes as such (an import) for a channel of `kind`: it has
    /// ended, and its energy is within the channel's physical limit.
    pub fn check_interval(
        &self,
        kind: Option<ChannelKind>,
        interval: &Interval,
        now_ms: i64,
    ) -> Result<(), Implausible> {
        check_slot(interval, now_ms)?;
        self.check_energy(kind, interval.energy_mwh)
    }

    /// Checks the energy of a quarter-hour of a channel of `kind`.
    pub fn check_energy(
        &self,
        kind: Option<ChannelKind>,
        energy_mwh: i64,
    ) -> Result<(), Implausible> {
        // W × 900 s = W·h/4; in mWh: W × 250.
        let limit_mwh = self.max_w(kind) * (SLOT_MS as f64 / 3_600.0);
        if (energy_mwh as f64).abs() > limit_mwh {
            return Err(Implausible::TooLarge {
                value: format!("{}", energy_mwh as f64 / 1000.0),
                limit: format!("{}", limit_mwh / 1000.0),
                unit: "Wh per quarter-hour",
                kind: kind.map_or("unassigned".into(), |k| k.to_string()),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Provenance, Slot};

    const NOW: i64 = 1_714_557_600_000;

    #[test]
    fn live_meters_without_a_clock_are_refused_imports_are_not() {
        let ts = 1_000_000_000_000; // 2001
        assert!(matches!(
            check_instant(ts, Arrival::Live, NOW),
            Err(Implausible::ClockNotSet { .. })
        ));
        assert!(check_instant(ts, Arrival::Import, NOW).is_ok());
        assert!(check_instant(NO_CLOCK_UNTIL_MS + 1, Arrival::Live, NOW).is_ok());
        assert!(check_instant(-1, Arrival::Import, NOW).is_err());
    }

    #[test]
    fn the_future_is_refused_on_every_path() {
        for arrival in [Arrival::Live, Arrival::Import] {
            assert!(check_instant(NOW + FUTURE_TOLERANCE_MS, arrival, NOW).is_ok());
            let err = check_instant(NOW + FUTURE_TOLERANCE_MS + 1, arrival, NOW).unwrap_err();
            assert!(err.to_string().contains("future"), "{err}");
            assert!(check_instant(i64::MAX, arrival, i64::MAX - 1).is_ok());
        }
        let current = Slot::containing_ms(NOW);
        let q = Interval::flat(current, 10, Provenance::Settled);
        assert!(check_slot(&q, NOW).is_err(), "the quarter-hour in progress");
        let previous = Interval::flat(
            Slot::from_index(current.index() - 1),
            10,
            Provenance::Settled,
        );
        assert!(check_slot(&previous, NOW).is_ok());
    }

    #[test]
    fn a_household_channel_is_not_a_gigawatt() {
        let limits = PowerLimits::default();
        let kind = Some(ChannelKind::Consumption);
        assert!(limits.check_value(Unit::Watt, kind, 4_000.0).is_ok());
        assert!(limits.check_value(Unit::Watt, kind, -300.0).is_ok());
        let err = limits.check_value(Unit::Watt, kind, 1e300).unwrap_err();
        assert!(err.to_string().contains("consumption"), "{err}");
        assert!(limits.check_value(Unit::Watt, kind, f64::NAN).is_err());
        assert!(limits
            .check_value(Unit::WattHour, kind, 12_495_000.0)
            .is_ok());
        assert!(limits.check_value(Unit::WattHour, kind, 1e13).is_err());
        assert!(
            limits.check_energy(kind, 62_500_000).is_ok(),
            "250 kW for 15 min"
        );
        assert!(limits.check_energy(kind, 62_500_001).is_err());
        assert!(limits.validate().is_ok());
        let bad = PowerLimits {
            cabin_kw: f64::INFINITY,
            ..limits
        };
        assert!(bad.validate().unwrap_err().contains("cabin_kw"));
    }
}
