//! The demo community: a deterministic generator of households (appliances, heat pumps, PV
//! under the street's weather), seeding a store with a year of it, and the same data as line
//! protocol for benchmarks and other databases.
//!
//! Main items: [`Generator`], [`seed`], [`DemoPlan`], [`write_line_protocol`].

mod generator;
mod lines;
mod seed;

pub use generator::{
    solar_elevation_sin, Generator, Heating, Household, HouseholdDay, Rng, SeriesSpec,
};
pub use lines::{write_line_protocol, Format};
pub use seed::{seed, DemoAccount, DemoCommunity, DemoPlan};
