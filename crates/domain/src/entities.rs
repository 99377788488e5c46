//! The records of a community: members, meters, channels with their configuration history,
//! groups, users and tokens. The store hands these out; every other crate speaks them.

use jiff::tz::TimeZone;
use serde::Serialize;

use crate::{
    ChannelId, ChannelKind, CommunityId, DomainError, GroupId, MemberId, MemberKind, MeterId, Role,
    Unit, UserId,
};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Community {
    pub id: CommunityId,
    pub name: String,
    /// IANA time zone of the local calendar.
    pub timezone: String,
    /// Longest silence between two points that quarter-hours bridge.
    pub max_gap_ms: i64,
    /// Longest silence across which a counter's delta is spread (interpolated).
    pub counter_fill_max_ms: i64,
}

impl Community {
    /// The community's time zone (validated when the community was created).
    pub fn time_zone(&self) -> Result<TimeZone, DomainError> {
        TimeZone::get(&self.timezone)
            .map_err(|e| DomainError::Calendar(format!("time zone '{}': {e}", self.timezone)))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    pub id: MemberId,
    pub community_id: CommunityId,
    pub name: String,
    pub kind: MemberKind,
    /// The member lets coordinators see its individual curves.
    pub consent_individual: bool,
    /// When the member left the community: its data stays, its accounts no longer sign in.
    pub deactivated_ms: Option<i64>,
}

impl Member {
    pub fn is_active(&self) -> bool {
        self.deactivated_ms.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Meter {
    pub id: MeterId,
    pub community_id: CommunityId,
    pub member_id: Option<MemberId>,
    pub name: String,
    /// When the meter last sent live data (server clock).
    pub last_contact_ms: Option<i64>,
}

/// One period of a channel's meaning.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Channel {
    pub id: ChannelId,
    pub community_id: CommunityId,
    pub meter_id: Option<MeterId>,
    /// The name devices send it under (the `sensor` tag of line protocol).
    pub series_key: String,
    pub unit: Unit,
    pub last_ts_ms: Option<i64>,
    /// How its power samples are read between two of them.
    pub sampling: Sampling,
    /// Configuration history, oldest first. Empty = unassigned.
    pub configs: Vec<ChannelConfig>,
}

/// How a channel's readings stand for the time between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Sampling {
    /// Readings taken at intervals (a meter, Telegraf): between two readings no further apart
    /// than the community's gap limit the power is linear; nothing is bridged across a gap.
    #[default]
    Sampled,
    /// Readings written when the value changes (Home Assistant): a value holds until the next
    /// one, up to `hold_ms`, after which the channel is unknown until the next reading.
    OnChange { hold_ms: i64 },
}

impl Sampling {
    /// The hold limit, for an on-change channel.
    pub fn hold_ms(self) -> Option<i64> {
        match self {
            Sampling::Sampled => None,
            Sampling::OnChange { hold_ms } => Some(hold_ms),
        }
    }

    /// From the stored hold limit (`None`: sampled).
    pub fn from_hold_ms(hold_ms: Option<i64>) -> Sampling {
        match hold_ms {
            Some(hold_ms) if hold_ms > 0 => Sampling::OnChange { hold_ms },
            _ => Sampling::Sampled,
        }
    }
}

impl Channel {
    pub fn config_at(&self, ts_ms: i64) -> Option<&ChannelConfig> {
        self.configs.iter().find(|c| c.valid_at(ts_ms))
    }

    /// The meaning at `ts_ms`, if assigned then.
    pub fn kind_at(&self, ts_ms: i64) -> Option<ChannelKind> {
        self.config_at(ts_ms).map(|c| c.kind)
    }

    /// The current meaning (the last configuration), if assigned.
    pub fn kind(&self) -> Option<ChannelKind> {
        self.configs
            .last()
            .filter(|c| c.valid_to_ms.is_none())
            .map(|c| c.kind)
    }

    /// Was the channel ever of this kind?
    pub fn ever(&self, kind: ChannelKind) -> bool {
        self.configs.iter().any(|c| c.kind == kind)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub id: GroupId,
    pub community_id: CommunityId,
    pub name: String,
    pub member_ids: Vec<MemberId>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: UserId,
    pub community_id: CommunityId,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub member_id: Option<MemberId>,
    pub lang: String,
}

impl User {
    pub fn is_coordinator(&self) -> bool {
        matches!(self.role, Role::Coordinator | Role::Operator)
    }
}

/// What a token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum TokenScope {
    /// Write readings for the channels of one meter (and register new ones on it); never read.
    MeterWrite { meter_id: MeterId },
    /// Read what this user may read through the API.
    UserRead { user_id: UserId },
    /// Write readings for any channel of the community (gateways, Telegraf, imports); never read.
    CommunityWrite,
}

impl TokenScope {
    pub fn can_write(self) -> bool {
        !matches!(self, TokenScope::UserRead { .. })
    }
}

/// A token as listed to an operator (its secret is never stored, only a hash).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Token {
    pub id: i64,
    pub community_id: CommunityId,
    pub scope: TokenScope,
    pub label: String,
    pub created_ms: i64,
}

/// Normalises a login the one way it is compared everywhere: trimmed, lower case.
pub fn normalize_login(login: &str) -> String {
    login.trim().to_lowercase()
}

/// A series name as devices send it: 1 to 128 bytes, printable (no control characters), not
/// blank.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesKey(String);

pub const MAX_SERIES_KEY_BYTES: usize = 128;

impl SeriesKey {
    pub fn parse(text: &str) -> Result<SeriesKey, DomainError> {
        let invalid = |why: &str| DomainError::SeriesKey(why.to_string());
        if text.trim().is_empty() {
            return Err(invalid("is empty"));
        }
        if text.len() > MAX_SERIES_KEY_BYTES {
            return Err(invalid(&format!(
                "is {} bytes long (at most {MAX_SERIES_KEY_BYTES})",
                text.len()
            )));
        }
        if let Some(c) = text.chars().find(|c| c.is_control()) {
            return Err(invalid(&format!(
                "contains the control character U+{:04X}",
                c as u32
            )));
        }
        Ok(SeriesKey(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SeriesKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_keys_are_short_and_printable() {
        assert!(SeriesKey::parse("h001c").is_ok());
        assert!(SeriesKey::parse("sensor.house power,phase=L1").is_ok());
        for bad in ["", "   ", "a\0b", "tab\there"] {
            assert!(SeriesKey::parse(bad).is_err(), "{bad:?}");
        }
        let long = "x".repeat(129);
        let err = SeriesKey::parse(&long).unwrap_err().to_string();
        assert!(err.contains("129 bytes"), "{err}");
    }

    #[test]
    fn logins_compare_trimmed_and_lower_case() {
        assert_eq!(normalize_login("  H004 "), "h004");
    }
}
