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
                f.write_str(self.as_str())
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

/// A channel's quarter-hour: energy, power statistics, how much of it was measured, and where it
/// comes from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub slot: Slot,
    pub energy_wh: f64,
    pub mean_w: f64,
    pub min_w: f64,
    pub max_w: f64,
    /// Share of the quarter-hour actually measured, 0.0 ..= 1.0.
    pub coverage: f64,
    pub provenance: Provenance,
}

impl Interval {
    /// A fully measured quarter-hour at constant power: what a file of quarter-hour energies
    /// (grid operator, cabin) or a generated history says, without anything finer.
    pub fn flat(slot: Slot, energy_wh: f64, provenance: Provenance) -> Interval {
        let mean_w = energy_wh * (3600.0 / crate::SLOT_SECONDS as f64);
        Interval {
            slot,
            energy_wh,
            mean_w,
            min_w: mean_w,
            max_w: mean_w,
            coverage: 1.0,
            provenance,
        }
    }
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
