//! Pure computations on metered data: quarter-hour intervals from raw points, members' energy
//! flows and what a set of members shares, and the privacy rule for aggregates. No I/O, no
//! async, no clock, no logging: time comes in as parameters.
//!
//! Main entry points: [`quarter_hour::from_power`], [`quarter_hour::from_counter`],
//! [`flows::flows`], [`flows::Totals`], [`privacy::check`].

pub mod flows;
pub mod privacy;
pub mod quarter_hour;
pub mod sharing;
