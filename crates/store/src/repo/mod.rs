//! One repository per aggregate. Each file holds its SQL and its row mapping; a capability adds
//! a file here and a migration pair, never grows `lib.rs`.

pub mod audit;
pub mod auth;
pub mod channels;
pub mod communities;
pub mod groups;
pub mod intervals;
pub mod members;
pub mod meters;
pub mod points;
pub(crate) mod schema;
pub mod secrets;
pub mod totals;
