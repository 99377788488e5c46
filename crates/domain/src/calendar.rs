//! Time: aligned quarter-hours (`Slot`) and local calendar days in a community's time zone.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::DomainError;

/// Length of one slot in seconds.
pub const SLOT_SECONDS: i64 = 900;
/// Length of one slot in milliseconds.
pub const SLOT_MS: i64 = SLOT_SECONDS * 1000;

/// One aligned quarter-hour: `[idx * 900 s, (idx + 1) * 900 s)` since the Unix epoch, in UTC.
///
/// Every time zone in use by an energy community has offsets that are whole quarter-hours, so a
/// UTC-aligned quarter-hour is also a local one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot(i64);

impl Slot {
    /// The slot with this index (quarter-hours since the epoch).
    pub const fn from_index(slot_idx: i64) -> Slot {
        Slot(slot_idx)
    }

    /// The slot that contains the instant `ts_ms` (milliseconds since the epoch).
    pub fn containing_ms(ts_ms: i64) -> Slot {
        Slot(ts_ms.div_euclid(SLOT_MS))
    }

    /// The slot that contains `ts`.
    pub fn containing(ts: Timestamp) -> Slot {
        Slot::containing_ms(ts.as_millisecond())
    }

    /// The slot that starts exactly at `ts_ms`, or an error if `ts_ms` is not aligned.
    pub fn starting_at_ms(ts_ms: i64) -> Result<Slot, DomainError> {
        if ts_ms.rem_euclid(SLOT_MS) != 0 {
            return Err(DomainError::UnalignedSlot(ts_ms));
        }
        Ok(Slot(ts_ms / SLOT_MS))
    }

    pub const fn index(self) -> i64 {
        self.0
    }

    pub const fn start_ms(self) -> i64 {
        self.0 * SLOT_MS
    }

    pub const fn end_ms(self) -> i64 {
        (self.0 + 1) * SLOT_MS
    }

    pub fn start(self) -> Timestamp {
        Timestamp::from_millisecond(self.start_ms()).expect("slot within jiff's range")
    }

    pub const fn next(self) -> Slot {
        Slot(self.0 + 1)
    }
}

/// One civil day in a time zone, with the slots it spans (92, 96 or 100 in Europe/Brussels).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalDay {
    pub date: Date,
    pub first: Slot,
    /// Exclusive end.
    pub end: Slot,
}

impl LocalDay {
    pub fn new(date: Date, tz: &TimeZone) -> Result<LocalDay, DomainError> {
        let start = date
            .to_zoned(tz.clone())
            .map_err(|e| DomainError::Calendar(e.to_string()))?;
        let next = date
            .tomorrow()
            .and_then(|d| d.to_zoned(tz.clone()))
            .map_err(|e| DomainError::Calendar(e.to_string()))?;
        Ok(LocalDay {
            date,
            first: Slot::containing(start.timestamp()),
            end: Slot::containing(next.timestamp()),
        })
    }

    /// The local day containing the instant `ts`.
    pub fn containing(ts: Timestamp, tz: &TimeZone) -> Result<LocalDay, DomainError> {
        LocalDay::new(ts.to_zoned(tz.clone()).date(), tz)
    }

    pub fn slot_count(&self) -> usize {
        (self.end.index() - self.first.index()) as usize
    }

    pub fn slots(&self) -> impl Iterator<Item = Slot> {
        (self.first.index()..self.end.index()).map(Slot::from_index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brussels() -> TimeZone {
        TimeZone::get("Europe/Brussels").unwrap()
    }

    #[test]
    fn dst_days_have_92_and_100_slots() {
        let tz = brussels();
        let cases = [
            ("2024-03-31", 92),
            ("2024-10-27", 100),
            ("2024-05-01", 96),
            ("2025-03-30", 92),
            ("2025-10-26", 100),
        ];
        for (date, expected) in cases {
            let day = LocalDay::new(date.parse().unwrap(), &tz).unwrap();
            assert_eq!(day.slot_count(), expected, "{date}");
        }
    }

    #[test]
    fn local_midnight_starts_the_day() {
        let day = LocalDay::new("2024-05-01".parse().unwrap(), &brussels()).unwrap();
        // 2024-05-01 00:00 CEST = 2024-04-30T22:00Z
        assert_eq!(day.first.start().to_string(), "2024-04-30T22:00:00Z");
    }

    #[test]
    fn slot_containing_rounds_down_even_before_epoch() {
        assert_eq!(Slot::containing_ms(899_999).index(), 0);
        assert_eq!(Slot::containing_ms(900_000).index(), 1);
        assert_eq!(Slot::containing_ms(-1).index(), -1);
        assert!(Slot::starting_at_ms(1).is_err());
        assert_eq!(Slot::starting_at_ms(1_800_000).unwrap().index(), 2);
    }
}
