//! The one timestamp parser: RFC 3339, Unix epochs in any common unit, and local date-times in
//! a community's time zone. Every result is an instant that exists (years 1 to 9999), in ms.
//!
//! An epoch number's unit is read from its magnitude, as a 13-digit millisecond stamp must not
//! become the year 56,000: below 10^11 it is seconds (until year 5138), below 10^14
//! milliseconds, below 10^17 microseconds, else nanoseconds. Fractions are allowed.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;

/// Earliest and latest instants accepted anywhere (0001-01-01 and 9999-12-31), in ms.
pub const MIN_MS: i64 = -62_135_596_800_000;
pub const MAX_MS: i64 = 253_402_300_799_999;

fn in_range(ms: i64) -> Result<i64, String> {
    if (MIN_MS..=MAX_MS).contains(&ms) {
        Ok(ms)
    } else {
        Err("instant out of range (years 1 to 9999)".into())
    }
}

/// An epoch number (seconds, milliseconds, microseconds or nanoseconds by magnitude) in ms.
pub fn epoch_ms(value: f64) -> Result<i64, String> {
    if !value.is_finite() {
        return Err(format!("timestamp {value} is not a finite number"));
    }
    let magnitude = value.abs();
    let ms = if magnitude < 1e11 {
        value * 1e3
    } else if magnitude < 1e14 {
        value
    } else if magnitude < 1e17 {
        value / 1e3
    } else {
        value / 1e6
    };
    if ms.abs() > 9.0e15 {
        return Err(format!(
            "timestamp {value} is out of range (years 1 to 9999)"
        ));
    }
    in_range(ms.round() as i64).map_err(|e| format!("timestamp {value}: {e}"))
}

/// An integer epoch, without going through floating point (nanoseconds keep their precision).
pub fn epoch_int_ms(value: i64) -> Result<i64, String> {
    let magnitude = value.unsigned_abs();
    let ms = if magnitude < 100_000_000_000 {
        value.checked_mul(1000)
    } else if magnitude < 100_000_000_000_000 {
        Some(value)
    } else if magnitude < 100_000_000_000_000_000 {
        Some(value.div_euclid(1000))
    } else {
        Some(value.div_euclid(1_000_000))
    };
    ms.ok_or_else(|| format!("timestamp {value} is out of range"))
        .and_then(|ms| in_range(ms).map_err(|e| format!("timestamp {value}: {e}")))
}

/// An RFC 3339 instant or an epoch number.
pub fn parse_absolute(text: &str) -> Result<i64, String> {
    let t = text.trim();
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return in_range(ts.as_millisecond());
    }
    if let Ok(v) = t.parse::<i64>() {
        return epoch_int_ms(v);
    }
    if t.chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
    {
        if let Ok(v) = t.parse::<f64>() {
            return epoch_ms(v);
        }
    }
    Err(format!(
        "'{}' is neither an RFC 3339 instant nor a Unix timestamp",
        shorten(t)
    ))
}

/// An instant given by a program (an API query): exactly an RFC 3339 instant
/// (`2024-05-01T00:00:00Z`, fractions and offsets allowed) or a decimal Unix epoch, nothing
/// looser.
pub fn parse_strict(text: &str) -> Result<i64, String> {
    let b = text.as_bytes();
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    let epoch = {
        let body = b.strip_prefix(b"-").unwrap_or(b);
        match body.iter().position(|&c| c == b'.') {
            Some(dot) => {
                digits(&body[..dot])
                    && body[..dot].len() <= 19
                    && digits(&body[dot + 1..])
                    && body.len() - dot - 1 <= 9
            }
            None => digits(body) && body.len() <= 19,
        }
    };
    let rfc3339 = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && [
            &b[0..4],
            &b[5..7],
            &b[8..10],
            &b[11..13],
            &b[14..16],
            &b[17..19],
        ]
        .iter()
        .all(|p| digits(p))
        && {
            let mut rest = &b[19..];
            if let Some(r) = rest.strip_prefix(b".") {
                let n = r.iter().take_while(|c| c.is_ascii_digit()).count();
                if n == 0 || n > 9 {
                    return Err(format!(
                        "'{}' is neither an RFC 3339 instant nor a Unix epoch",
                        shorten(text)
                    ));
                }
                rest = &r[n..];
            }
            rest == b"Z"
                || (rest.len() == 6
                    && (rest[0] == b'+' || rest[0] == b'-')
                    && digits(&rest[1..3])
                    && rest[3] == b':'
                    && digits(&rest[4..6]))
        };
    if !(epoch || rfc3339) {
        return Err(format!(
            "'{}' is neither an RFC 3339 instant nor a Unix epoch",
            shorten(text)
        ));
    }
    parse_absolute(text)
}

/// Text for an error message, cut to a readable length.
pub fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    }
}

/// Parses `YYYY-MM-DD`, `DD-MM-YYYY`, `DD/MM/YYYY` or `DD.MM.YYYY`.
pub fn parse_date(text: &str) -> Result<Date, String> {
    let t = text.trim();
    let parts: Vec<&str> = t.split(['-', '/', '.']).collect();
    let bad = || {
        format!(
            "invalid date '{}' (expected YYYY-MM-DD or DD-MM-YYYY)",
            shorten(t)
        )
    };
    if parts.len() != 3 {
        return Err(bad());
    }
    let nums: Vec<i16> = parts
        .iter()
        .map(|p| p.parse::<i16>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    let (y, m, d) = if parts[0].len() == 4 {
        (nums[0], nums[1], nums[2])
    } else {
        (nums[2], nums[1], nums[0])
    };
    let (Ok(m), Ok(d)) = (i8::try_from(m), i8::try_from(d)) else {
        return Err(bad());
    };
    Date::new(y, m, d).map_err(|_| bad())
}

/// Parses `HH:MM` or `HH:MM:SS`.
pub fn parse_time(text: &str) -> Result<Time, String> {
    let t = text.trim();
    let bad = || format!("invalid time '{}' (expected HH:MM or HH:MM:SS)", shorten(t));
    let parts: Vec<&str> = t.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return Err(bad());
    }
    let h: i8 = parts[0].parse().map_err(|_| bad())?;
    let m: i8 = parts[1].parse().map_err(|_| bad())?;
    let s: i8 = parts
        .get(2)
        .map_or(Ok(0), |s| s.parse())
        .map_err(|_| bad())?;
    Time::new(h, m, s, 0).map_err(|_| bad())
}

/// A local date-time to an instant. In the repeated autumn hour the first occurrence is summer
/// time unless it would not come after `previous_ms` (the row before in the same series); a
/// time skipped in spring is an error.
pub fn local_to_ms(dt: DateTime, tz: &TimeZone, previous_ms: Option<i64>) -> Result<i64, String> {
    let ambiguous = tz.to_ambiguous_zoned(dt);
    if matches!(ambiguous.offset(), jiff::tz::AmbiguousOffset::Gap { .. }) {
        return Err(format!(
            "{dt} does not exist in {} (clocks go forward)",
            tz.iana_name().unwrap_or("the time zone")
        ));
    }
    let earlier = ambiguous
        .clone()
        .earlier()
        .map_err(|e| format!("{dt}: {e}"))?
        .timestamp()
        .as_millisecond();
    let later = ambiguous
        .later()
        .map_err(|e| format!("{dt}: {e}"))?
        .timestamp()
        .as_millisecond();
    Ok(match previous_ms {
        Some(prev) if earlier != later && earlier <= prev => later,
        _ => earlier,
    })
}

/// An instant from a timestamp cell: RFC 3339, an epoch number, or local
/// `YYYY-MM-DD HH:MM[:SS]` (or `DD/MM/YYYY HH:MM`).
pub fn parse_instant(text: &str, tz: &TimeZone, previous_ms: Option<i64>) -> Result<i64, String> {
    let t = text.trim();
    if let Ok(ms) = parse_absolute(t) {
        return Ok(ms);
    }
    let (d, time) = t
        .split_once([' ', 'T'])
        .ok_or_else(|| format!("invalid timestamp '{}'", shorten(t)))?;
    local_to_ms(
        parse_date(d)?.to_datetime(parse_time(time)?),
        tz,
        previous_ms,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brussels() -> TimeZone {
        TimeZone::get("Europe/Brussels").unwrap()
    }

    #[test]
    fn epoch_units_are_read_from_the_magnitude() {
        let expected = 1_714_521_600_000;
        for text in [
            "1714521600",
            "1714521600000",
            "1714521600000000",
            "1714521600000000000",
            "1714521600.0",
        ] {
            assert_eq!(parse_absolute(text).unwrap(), expected, "{text}");
        }
        assert_eq!(parse_absolute("1714521600.5").unwrap(), expected + 500);
        assert_eq!(parse_absolute("2024-05-01T00:00:00Z").unwrap(), expected);
    }

    #[test]
    fn hostile_numbers_are_errors_not_panics() {
        for text in [
            "-inf",
            "inf",
            "NaN",
            "9e20",
            "-9e20",
            "1e300",
            "99999999999999999999999",
            "",
            "tomorrow",
        ] {
            assert!(parse_absolute(text).is_err(), "{text}");
        }
        // 9e15 is read as microseconds: the year 2255, a real instant.
        assert_eq!(parse_absolute("9e15").unwrap(), 9_000_000_000_000);
        assert!(epoch_int_ms(i64::MAX).is_ok(), "ns since 1970 fit");
        assert!(epoch_int_ms(i64::MIN).is_ok());
        assert!(epoch_ms(f64::MAX).is_err());
    }

    #[test]
    fn local_times_follow_the_time_zone() {
        let tz = brussels();
        assert_eq!(
            parse_instant("2024-05-01 02:00:16", &tz, None).unwrap(),
            1_714_521_616_000
        );
        assert_eq!(
            parse_instant("01/05/2024 02:00", &tz, None).unwrap(),
            1_714_521_600_000
        );
        let err = parse_instant("2024-03-31 02:30", &tz, None).unwrap_err();
        assert!(err.contains("does not exist"), "{err}");
        let first = parse_instant("2024-10-27 02:15", &tz, None).unwrap();
        let second = parse_instant("2024-10-27 02:15", &tz, Some(first)).unwrap();
        assert_eq!(second - first, 3_600_000, "the repeated hour, second time");
    }
}
