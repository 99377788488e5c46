//! Domain enums and value types: channel kinds, units, provenance, members, roles, points and
//! quarter-hour intervals.

use serde::{Deserialize, Serialize};

use crate::Slot;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DomainError {
    #[error("unknown {what} '{value}' (expected one of: {expected})")]
    Unknown {
        what: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("instant {0} ms is not aligned on a quarter-hour")]
    UnalignedSlot(i64),
    #[error("calendar: {0}")]
    Calendar(String),
    #[error("series name {0}")]
    SeriesKey(String),
}

/// Implements `as_str`, `parse`, `ALL` and `Display` for a plain enum from its text forms.
macro_rules! text_forms {
    ($name:ident, $what:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(value: &str) -> Result<$name, DomainError> {
                match value {
                    $($text => Ok($name::$variant),)+
                    _ => Err(DomainError::Unknown {
                        what: $what,
                        value: value.to_string(),
                        expected: concat!($($text, " "),+),
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }
    };
}

/// What a channel measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Consumption,
    Production,
    GridImport,
    GridExport,
    Cabin,
}
text_forms!(ChannelKind, "channel kind" {
    Consumption => "consumption",
    Production => "production",
    GridImport => "grid_import",
    GridExport => "grid_export",
    Cabin => "cabin",
});

/// What a channel's values are: instantaneous power or a cumulative energy counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Unit {
    #[serde(rename = "W")]
    Watt,
    #[serde(rename = "Wh")]
    WattHour,
}
text_forms!(Unit, "unit" { Watt => "W", WattHour => "Wh" });

/// Who a member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberKind {
    Household,
    Shop,
    Office,
    Commons,
}
text_forms!(MemberKind, "member kind" {
    Household => "household",
    Shop => "shop",
    Office => "office",
    Commons => "commons",
});

/// What a user may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Resident,
    Coordinator,
    Operator,
}
text_forms!(Role, "role" {
    Resident => "resident",
    Coordinator => "coordinator",
    Operator => "operator",
});

/// Where a quarter-hour value comes from, from least to most trusted. A value of a higher
/// provenance replaces a lower one for the same channel and slot; the lower one is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    Interpolated,
    Estimated,
    Measured,
    Settled,
}
text_forms!(Provenance, "provenance" {
    Interpolated => "interpolated",
    Estimated => "estimated",
    Measured => "measured",
    Settled => "settled",
});

impl Provenance {
    /// Rank used for ordering in storage (higher wins).
    pub fn rank(self) -> i64 {
        match self {
            Provenance::Interpolated => 1,
            Provenance::Estimated => 2,
            Provenance::Measured => 3,
            Provenance::Settled => 4,
        }
    }

    pub fn from_rank(rank: i64) -> Option<Provenance> {
        Provenance::ALL.iter().copied().find(|p| p.rank() == rank)
    }
}

/// One raw reading: an instant in milliseconds since the epoch (UTC) and a value in the
/// channel's unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub ts_ms: i64,
    pub value: f64,
}

/// A channel's quarter-hour, in integers: energy in mWh, power in mW, measured time in ms.
///
/// `covered_ms` is the part of the quarter-hour actually measured; the energy of an
/// interpolated quarter-hour (a counter's delta spread over a gap) is known although nothing
/// was measured during it. `from_points` marks a quarter-hour computed from raw points (it is
/// recomputed, or removed, whenever the points around it change); quarter-hours that come as
/// such (grid-operator files, cabin measurements) are not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    pub slot: Slot,
    pub energy_mwh: i64,
    pub min_mw: i64,
    pub max_mw: i64,
    pub covered_ms: i64,
    pub provenance: Provenance,
    pub from_points: bool,
}

impl Interval {
    /// A fully measured quarter-hour at constant power: what a file of quarter-hour energies
    /// (grid operator, cabin) or a generated history says, without anything finer.
    pub fn flat(slot: Slot, energy_mwh: i64, provenance: Provenance) -> Interval {
        let mean_mw = mean_mw(energy_mwh, crate::SLOT_MS);
        Interval {
            slot,
            energy_mwh,
            min_mw: mean_mw,
            max_mw: mean_mw,
            covered_ms: crate::SLOT_MS,
            provenance,
            from_points: false,
        }
    }

    /// Mean power over the measured part, in mW; `None` when nothing was measured.
    pub fn mean_mw(&self) -> Option<i64> {
        (self.covered_ms > 0).then(|| mean_mw(self.energy_mwh, self.covered_ms))
    }
}

/// Mean power (mW) of `energy_mwh` spread over `duration_ms`, rounded to the nearest mW.
pub fn mean_mw(energy_mwh: i64, duration_ms: i64) -> i64 {
    if duration_ms <= 0 {
        return 0;
    }
    let q = round_div(energy_mwh as i128 * 3_600_000, duration_ms as i128);
    q.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// `num / den` rounded half away from zero (`den > 0`), the rounding of every exact figure.
pub fn round_div(num: i128, den: i128) -> i128 {
    debug_assert!(den > 0);
    (2 * num + num.signum() * den) / (2 * den)
}

impl Serialize for Slot {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.index())
    }
}

impl<'de> Deserialize<'de> for Slot {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        i64::deserialize(d).map(Slot::from_index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_and_name_bad_values() {
        for kind in ChannelKind::ALL {
            assert_eq!(ChannelKind::parse(kind.as_str()).unwrap(), *kind);
        }
        let err = ChannelKind::parse("solar").unwrap_err().to_string();
        assert!(
            err.contains("'solar'") && err.contains("production"),
            "{err}"
        );
        assert!(Provenance::Settled.rank() > Provenance::Measured.rank());
        assert!(Provenance::Measured.rank() > Provenance::Estimated.rank());
        assert_eq!(Provenance::from_rank(3), Some(Provenance::Measured));
    }
}
