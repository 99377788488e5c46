//! Protocol adapters. Each decoder is a pure function from bytes to (readings, errors): it never
//! fails on messy input, it reports every rejected line with its number and reason, and every
//! item it returns carries the line it came from, so later checks can name it too.
//!
//! Main entry points: [`line_protocol::decode`], [`json::decode`], [`csv::decode_grid`],
//! [`csv::decode_points`], [`csv::decode_slots`]; [`timestamp`] is the one timestamp parser and
//! [`units`] the one unit table.

pub mod csv;
pub mod json;
pub mod line_protocol;
pub mod timestamp;
pub mod units;

use domain::{Point, Unit};

/// A reading decoded from any protocol, before it is matched to a channel.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPoint {
    /// The name the series is registered under (e.g. the `sensor` tag).
    pub series_key: std::sync::Arc<str>,
    /// 1-based line (or record) it came from.
    pub line: usize,
    pub unit: Unit,
    pub point: Point,
    /// Written when the value changes (Home Assistant), not at intervals: a new series of such
    /// points is an on-change channel.
    pub on_change: bool,
}

/// One rejected line (or record) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line (or record) number.
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}
