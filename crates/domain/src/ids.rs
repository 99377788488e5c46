//! Typed identifiers: `Id<Member>` and `Id<Channel>` are both integers in the store, but the
//! compiler keeps them apart.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The identifier of a `T`, as the store numbers it.
pub struct Id<T> {
    raw: i64,
    of: PhantomData<fn() -> T>,
}

impl<T> Id<T> {
    pub const fn new(raw: i64) -> Id<T> {
        Id {
            raw,
            of: PhantomData,
        }
    }

    pub const fn get(self) -> i64 {
        self.raw
    }

    /// Parses a decimal id as it appears in a URL or on the command line.
    pub fn parse(text: &str) -> Option<Id<T>> {
        text.trim()
            .parse::<i64>()
            .ok()
            .filter(|v| *v > 0)
            .map(Id::new)
    }
}

impl<T> Clone for Id<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Id<T> {}
impl<T> PartialEq for Id<T> {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}
impl<T> Eq for Id<T> {}
impl<T> PartialOrd for Id<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Id<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.raw.cmp(&other.raw)
    }
}
impl<T> Hash for Id<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.raw.hash(state)
    }
}
impl<T> fmt::Debug for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.raw)
    }
}
impl<T> fmt::Display for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.raw, f)
    }
}
impl<T> Serialize for Id<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.raw)
    }
}
impl<'de, T> Deserialize<'de> for Id<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        i64::deserialize(d).map(Id::new)
    }
}

pub type CommunityId = Id<crate::Community>;
pub type MemberId = Id<crate::Member>;
pub type MeterId = Id<crate::Meter>;
pub type ChannelId = Id<crate::Channel>;
pub type GroupId = Id<crate::Group>;
pub type UserId = Id<crate::User>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_positive_integers_only() {
        assert_eq!(MemberId::parse("42"), Some(MemberId::new(42)));
        for bad in ["0", "-1", "x", "", "1e3", "99999999999999999999"] {
            assert_eq!(MemberId::parse(bad), None, "{bad}");
        }
        assert_eq!(serde_json::to_string(&MemberId::new(7)).unwrap(), "7");
        assert_eq!(
            format!("{:<3}|", MemberId::new(7)),
            "7  |",
            "widths are honoured"
        );
    }
}
