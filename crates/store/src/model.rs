//! Records the store hands out.

use domain::{ChannelKind, MemberKind, Role, Slot, Unit};

use crate::sql::Row;

#[derive(Debug, Clone, PartialEq)]
pub struct Community {
    pub id: i64,
    pub name: String,
    pub timezone: String,
    /// Longest silence between two points that quarter-hours bridge.
    pub max_gap_ms: i64,
}

impl Community {
    pub(crate) fn from_row(r: &Row) -> Self {
        Community {
            id: r.i64(0),
            name: r.text(1),
            timezone: r.text(2),
            max_gap_ms: r.i64(3),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: i64,
    pub community_id: i64,
    pub name: String,
    pub kind: MemberKind,
    /// The member lets coordinators see its individual curves.
    pub consent_individual: bool,
}

impl Member {
    pub(crate) fn from_row(r: &Row) -> Self {
        Member {
            id: r.i64(0),
            community_id: r.i64(1),
            name: r.text(2),
            kind: MemberKind::parse(&r.text(3)).unwrap_or(MemberKind::Household),
            consent_individual: r.i64(4) != 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub member_ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Meter {
    pub id: i64,
    pub community_id: i64,
    pub member_id: Option<i64>,
    pub name: String,
    /// When the meter last sent data (server clock).
    pub last_contact_ms: Option<i64>,
}

impl Meter {
    pub(crate) fn from_row(r: &Row) -> Self {
        Meter {
            id: r.i64(0),
            community_id: r.i64(1),
            member_id: r.opt_i64(2),
            name: r.text(3),
            last_contact_ms: r.opt_i64(4),
        }
    }
}

/// One period of a channel's meaning.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelConfig {
    pub valid_from_ms: i64,
    /// Exclusive; `None` = still valid.
    pub valid_to_ms: Option<i64>,
    pub kind: ChannelKind,
    pub phase: Option<i64>,
    pub note: String,
}

impl ChannelConfig {
    pub fn valid_at(&self, ts_ms: i64) -> bool {
        self.valid_from_ms <= ts_ms && self.valid_to_ms.is_none_or(|to| ts_ms < to)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub id: i64,
    pub community_id: i64,
    pub meter_id: Option<i64>,
    /// The name devices send it under (the `sensor` tag of line protocol).
    pub series_key: String,
    pub unit: Unit,
    pub last_ts_ms: Option<i64>,
    /// Configuration history, oldest first. Empty = unassigned.
    pub configs: Vec<ChannelConfig>,
}

impl Channel {
    pub fn config_at(&self, ts_ms: i64) -> Option<&ChannelConfig> {
        self.configs.iter().find(|c| c.valid_at(ts_ms))
    }

    /// The current meaning (the last configuration), if assigned.
    pub fn kind(&self) -> Option<ChannelKind> {
        self.configs
            .last()
            .filter(|c| c.valid_to_ms.is_none())
            .map(|c| c.kind)
    }
}

/// What a new channel is.
#[derive(Debug, Clone)]
pub struct NewChannel {
    pub community_id: i64,
    pub meter_id: Option<i64>,
    pub series_key: String,
    pub unit: Unit,
    pub kind: Option<ChannelKind>,
    pub phase: Option<i64>,
    pub valid_from_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SlotEnergy {
    pub slot: Slot,
    pub energy_wh: f64,
    /// How many channels contributed.
    pub channels: i64,
}

#[derive(Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub community_id: i64,
    pub login: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub member_id: Option<i64>,
    pub lang: String,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("login", &self.login)
            .field("role", &self.role)
            .field("member_id", &self.member_id)
            .field("password_hash", &"<redacted>")
            .finish()
    }
}

impl User {
    pub(crate) fn from_row(r: &Row) -> Self {
        User {
            id: r.i64(0),
            community_id: r.i64(1),
            login: r.text(2),
            display_name: r.text(3),
            password_hash: r.text(4),
            role: Role::parse(&r.text(5)).unwrap_or(Role::Resident),
            member_id: r.opt_i64(6),
            lang: r.text(7),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub community_id: i64,
    pub login: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub member_id: Option<i64>,
    pub lang: String,
}

#[derive(Clone)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    pub expires_ms: i64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user)
            .field("csrf", &"<redacted>")
            .field("expires_ms", &self.expires_ms)
            .finish()
    }
}

/// What a token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScope {
    /// Write readings for the channels of one meter (and register new ones on it); never read.
    MeterWrite { meter_id: i64 },
    /// Read what this user may read through the API.
    UserRead { user_id: i64 },
    /// Write readings for any channel of the community (gateways, Telegraf, imports); never read.
    CommunityWrite,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub community_id: i64,
    pub scope: TokenScope,
    pub label: String,
}
