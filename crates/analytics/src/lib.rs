//! Pure computations on metered data: quarter-hour intervals from raw points and collective
//! self-consumption. No I/O, no async, no clock, no logging: time comes in as parameters.
//!
//! Main entry points: [`quarter_hour::from_power`], [`quarter_hour::from_counter`],
//! [`sharing::SelfConsumption`].

pub mod quarter_hour;
pub mod sharing;
