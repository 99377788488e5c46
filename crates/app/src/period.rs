//! Which quarter-hours a figure covers: a period as a person names it (today, this week, a
//! calendar month, the last 30 local days) or two instants, checked before any arithmetic so no
//! request can overflow a span or ask for millions of buckets.

use domain::{Period, PeriodKind, Slot, SLOT_MS};
use jiff::civil::Date;
use jiff::tz::TimeZone;

use ingest::timestamp::parse_strict;

use crate::AppError;

/// The longest span two explicit instants may cover.
pub const MAX_SPAN_MS: i64 = 400 * 86_400_000;

/// What was asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum RangeRequest {
    /// A period containing (or, for rolling days, ending with) `date`; `None` = today.
    Period {
        kind: PeriodKind,
        date: Option<Date>,
    },
    /// Two instants, `from` < `to`.
    Between { from_ms: i64, to_ms: i64 },
}

impl Default for RangeRequest {
    fn default() -> Self {
        RangeRequest::Period {
            kind: PeriodKind::Day,
            date: None,
        }
    }
}

impl RangeRequest {
    /// Reads the query parameters `range`, `date`, `from`, `to`; every error names the
    /// parameter.
    pub fn parse(
        range: Option<&str>,
        date: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<RangeRequest, AppError> {
        match (from, to) {
            (Some(f), Some(t)) => {
                if range.is_some() || date.is_some() {
                    return Err(AppError::invalid(
                        "give either from and to, or range (and date), not both",
                    ));
                }
                let from_ms =
                    parse_strict(f).map_err(|e| AppError::invalid(format!("from: {e}")))?;
                let to_ms = parse_strict(t).map_err(|e| AppError::invalid(format!("to: {e}")))?;
                if to_ms <= from_ms {
                    return Err(AppError::invalid("to must be after from"));
                }
                if to_ms
                    .checked_sub(from_ms)
                    .is_none_or(|span| span > MAX_SPAN_MS)
                {
                    return Err(AppError::invalid(
                        "from and to may be at most 400 days apart",
                    ));
                }
                Ok(RangeRequest::Between { from_ms, to_ms })
            }
            (Some(_), None) | (None, Some(_)) => Err(AppError::invalid("from and to go together")),
            (None, None) => {
                let kind = PeriodKind::parse(range.unwrap_or("day"))
                    .map_err(|e| AppError::invalid(format!("range: {e}")))?;
                let date = date
                    .map(|d| {
                        d.parse::<Date>()
                            .ok()
                            .filter(|d| (1900..=2199).contains(&d.year()))
                            .ok_or_else(|| {
                                AppError::invalid(format!(
                                    "date: '{}' is not a date YYYY-MM-DD between 1900 and 2199",
                                    ingest::timestamp::shorten(d)
                                ))
                            })
                    })
                    .transpose()?;
                Ok(RangeRequest::Period { kind, date })
            }
        }
    }
}

/// The quarter-hours a figure covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub from: Slot,
    /// Exclusive.
    pub to: Slot,
    /// The local days, when the window is a period of days.
    pub period: Option<Period>,
    pub kind: Option<PeriodKind>,
    /// The community's zone the window was resolved in (its figures are shown in it).
    pub tz: TimeZone,
}

impl Window {
    /// The window for a request, in the community's time zone, `now_ms` deciding "today".
    pub fn resolve(req: &RangeRequest, tz: &TimeZone, now_ms: i64) -> Result<Window, AppError> {
        match req {
            RangeRequest::Between { from_ms, to_ms } => Ok(Window {
                from: Slot::containing_ms(*from_ms),
                to: Slot::containing_ms(to_ms - 1).next(),
                period: None,
                kind: None,
                tz: tz.clone(),
            }),
            RangeRequest::Period { kind, date } => {
                let date = match date {
                    Some(d) => *d,
                    None => jiff::Timestamp::from_millisecond(now_ms)
                        .map_err(|e| AppError::internal(e.to_string()))?
                        .to_zoned(tz.clone())
                        .date(),
                };
                let period = Period::new(*kind, date, tz)
                    .map_err(|e| AppError::invalid(format!("date: {e}")))?;
                Ok(Window {
                    from: period.from,
                    to: period.to,
                    period: Some(period),
                    kind: Some(*kind),
                    tz: tz.clone(),
                })
            }
        }
    }

    pub fn from_ms(&self) -> i64 {
        self.from.start_ms()
    }

    pub fn to_ms(&self) -> i64 {
        self.to.start_ms()
    }

    pub fn span_ms(&self) -> i64 {
        (self.to.index() - self.from.index()) * SLOT_MS
    }

    /// The complete quarter-hours of the window at `now_ms`: those that have ended.
    pub fn complete_until(&self, now_ms: i64) -> Slot {
        let now = Slot::containing_ms(now_ms);
        self.to.min(now).max(self.from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(
        range: Option<&str>,
        date: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<RangeRequest, AppError> {
        RangeRequest::parse(range, date, from, to)
    }

    #[test]
    fn hostile_ranges_are_clear_errors() {
        for (from, to) in [
            ("-inf", "inf"),
            ("-9e20", "9e20"),
            ("NaN", "1"),
            ("0", "9e15"),
            ("1714521600", "1714521600"),
        ] {
            let err = parse(None, None, Some(from), Some(to)).unwrap_err();
            assert_eq!(err.kind, crate::Kind::Invalid, "{from} {to}");
        }
        assert!(parse(None, None, Some("1714521600"), None).is_err());
        for loose in [
            "1e9",
            "+5",
            "2024-05-01T00:00:00z",
            "2024-05-01 00:00:00Z",
            " 1714521600",
        ] {
            assert!(
                parse(None, None, Some(loose), Some("1714608000")).is_err(),
                "{loose}"
            );
        }
        assert!(parse(
            None,
            None,
            Some("2024-05-01T00:00:00.5+02:00"),
            Some("1714608000.25")
        )
        .is_ok());
        assert!(parse(Some("fortnight"), None, None, None)
            .unwrap_err()
            .message
            .contains("range"));
        assert!(parse(None, Some("99999-01-01"), None, None)
            .unwrap_err()
            .message
            .contains("date"));
        assert!(parse(None, Some("2024-02-30"), None, None).is_err());
    }

    #[test]
    fn a_calendar_month_is_a_calendar_month() {
        let tz = TimeZone::get("Europe/Brussels").unwrap();
        let req = parse(Some("month"), Some("2024-10-15"), None, None).unwrap();
        let w = Window::resolve(&req, &tz, 0).unwrap();
        assert_eq!(w.to.index() - w.from.index(), 31 * 96 + 4);
        let req = parse(None, None, Some("2024-05-01T00:00:00Z"), Some("1714608000")).unwrap();
        let w = Window::resolve(&req, &tz, 0).unwrap();
        assert_eq!(w.to.index() - w.from.index(), 96);
    }
}
