//! What the store writes in its blobs: raw chunks of points and day blocks of quarter-hours.

pub mod chunks;
pub mod days;
