//! Protocol adapters. Each decoder is a pure function from bytes to (readings, errors): it never
//! fails on messy input, it reports every rejected line with its number and reason.
//!
//! Main entry points: [`line_protocol::decode`], [`json::decode`], [`csv::decode_grid`],
//! [`csv::decode_points`], [`csv::decode_slots`].

pub mod csv;
pub mod json;
pub mod line_protocol;

use domain::{Point, Unit};

/// A reading decoded from any protocol, before it is matched to a channel.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPoint {
    /// The name the series is registered under (e.g. the `sensor` tag).
    pub series_key: std::sync::Arc<str>,
    pub unit: Unit,
    pub point: Point,
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
