//! Voisins vocabulary: typed identifiers, quarter-hour `Slot`s, local days and periods, channel
//! kinds, provenance, readings and intervals, the records of a community, and the plausibility
//! rules every reading passes. Constructors enforce invariants; this crate does no I/O.
//!
//! Main types: [`Id`], [`Slot`], [`LocalDay`], [`Period`], [`ChannelKind`], [`Provenance`],
//! [`Interval`], [`Point`], [`Channel`], [`Member`], [`SeriesKey`], [`limits::PowerLimits`].

mod calendar;
mod entities;
mod ids;
pub mod limits;
mod model;

pub use calendar::{LocalDay, Period, PeriodKind, Slot, SLOT_MS, SLOT_SECONDS};
pub use entities::{
    normalize_login, Channel, ChannelConfig, Community, Group, Member, Meter, Sampling, SeriesKey,
    Token, TokenScope, User, MAX_SERIES_KEY_BYTES,
};
pub use ids::{ChannelId, CommunityId, GroupId, Id, MemberId, MeterId, UserId};
pub use model::{
    mean_mw, round_div, ChannelKind, DomainError, Interval, MemberKind, Point, Provenance, Role,
    Unit,
};
