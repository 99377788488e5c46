//! Voisins vocabulary: identifiers, quarter-hour `Slot`s, local days, channel kinds, provenance,
//! readings and intervals. Constructors enforce invariants; this crate does no I/O.
//!
//! Main types: [`Slot`], [`LocalDay`], [`ChannelKind`], [`Provenance`], [`Interval`], [`Point`].

mod calendar;
mod model;

pub use calendar::{LocalDay, Slot, SLOT_MS, SLOT_SECONDS};
pub use model::{ChannelKind, DomainError, Interval, MemberKind, Point, Provenance, Role, Unit};
