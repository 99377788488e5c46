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

    /// The start as a timestamp, clamped to the range of representable instants (years
    /// -9999 to 9999); slots built from parsed instants are always inside it.
    pub fn start(self) -> Timestamp {
        Timestamp::from_millisecond(self.start_ms()).unwrap_or(if self.0 < 0 {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        })
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

/// What a period is made of, as a person names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    /// One local day.
    Day,
    /// The ISO week (Monday to Sunday) containing the date.
    Week,
    /// The calendar month containing the date.
    Month,
    /// The calendar year containing the date.
    Year,
    /// The `n` local days ending with the date (rolling).
    Days(u16),
}

impl PeriodKind {
    /// `day`, `week`, `month`, `year`, or `7d` / `30d` / `365d` (1 to 1000 days).
    pub fn parse(text: &str) -> Result<PeriodKind, DomainError> {
        Ok(match text {
            "day" => PeriodKind::Day,
            "week" => PeriodKind::Week,
            "month" => PeriodKind::Month,
            "year" => PeriodKind::Year,
            other => match other
                .strip_suffix('d')
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0'))
                .and_then(|n| n.parse::<u16>().ok())
            {
                Some(n) if (1..=1000).contains(&n) => PeriodKind::Days(n),
                _ => {
                    return Err(DomainError::Unknown {
                        what: "range",
                        value: other.chars().take(40).collect(),
                        expected: "day week month year, or a number of days such as 7d 30d 365d",
                    })
                }
            },
        })
    }

    pub fn as_string(self) -> String {
        match self {
            PeriodKind::Day => "day".into(),
            PeriodKind::Week => "week".into(),
            PeriodKind::Month => "month".into(),
            PeriodKind::Year => "year".into(),
            PeriodKind::Days(n) => format!("{n}d"),
        }
    }
}

/// Whole local days, from `first` to `last` inclusive, with the slots they span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub first: Date,
    pub last: Date,
    pub from: Slot,
    /// Exclusive.
    pub to: Slot,
}

impl Period {
    /// The period of `kind` that contains (or, for rolling days, ends with) `date`.
    pub fn new(kind: PeriodKind, date: Date, tz: &TimeZone) -> Result<Period, DomainError> {
        let err = |e: jiff::Error| DomainError::Calendar(e.to_string());
        let (first, last) = match kind {
            PeriodKind::Day => (date, date),
            PeriodKind::Week => {
                let back = i64::from(date.weekday().to_monday_zero_offset());
                let monday = date
                    .checked_sub(jiff::Span::new().days(back))
                    .map_err(err)?;
                let sunday = monday.checked_add(jiff::Span::new().days(6)).map_err(err)?;
                (monday, sunday)
            }
            PeriodKind::Month => (date.first_of_month(), date.last_of_month()),
            PeriodKind::Year => (date.first_of_year(), date.last_of_year()),
            PeriodKind::Days(n) => (
                date.checked_sub(jiff::Span::new().days(i64::from(n) - 1))
                    .map_err(err)?,
                date,
            ),
        };
        Period::between(first, last, tz)
    }

    /// The days from `first` to `last` inclusive.
    pub fn between(first: Date, last: Date, tz: &TimeZone) -> Result<Period, DomainError> {
        if last < first {
            return Err(DomainError::Calendar(format!("{last} is before {first}")));
        }
        Ok(Period {
            first,
            last,
            from: LocalDay::new(first, tz)?.first,
            to: LocalDay::new(last, tz)?.end,
        })
    }

    /// Number of local days.
    pub fn days(&self) -> i64 {
        (self
            .first
            .until(self.last)
            .map(|s| s.get_days())
            .unwrap_or(0)
            + 1)
        .into()
    }

    pub fn slot_count(&self) -> i64 {
        self.to.index() - self.from.index()
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
    fn periods_are_calendar_periods_or_rolling_days() {
        let tz = brussels();
        let d: Date = "2024-10-30".parse().unwrap(); // a Wednesday
        let week = Period::new(PeriodKind::Week, d, &tz).unwrap();
        assert_eq!(
            (week.first.to_string(), week.last.to_string()),
            ("2024-10-28".into(), "2024-11-03".into())
        );
        let month = Period::new(PeriodKind::Month, d, &tz).unwrap();
        assert_eq!(month.days(), 31);
        // October 2024 has the 100-slot day.
        assert_eq!(month.slot_count(), 31 * 96 + 4);
        let rolling = Period::new(PeriodKind::Days(30), d, &tz).unwrap();
        assert_eq!(rolling.first.to_string(), "2024-10-01");
        assert_eq!(rolling.slot_count(), 30 * 96 + 4);
        let march = Period::new(PeriodKind::Days(30), "2024-04-15".parse().unwrap(), &tz).unwrap();
        assert_eq!(
            march.slot_count(),
            30 * 96 - 4,
            "30 local days, one of them 23 h long"
        );
        assert_eq!(Period::new(PeriodKind::Year, d, &tz).unwrap().days(), 366);
        assert_eq!(PeriodKind::parse("30d").unwrap(), PeriodKind::Days(30));
        for bad in ["0d", "1001d", "fortnight", "-3d", "+5d", "07d"] {
            assert!(PeriodKind::parse(bad).is_err(), "{bad}");
        }
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
