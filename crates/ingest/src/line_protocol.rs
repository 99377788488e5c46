//! InfluxDB v1 line protocol, as Telegraf and Home Assistant send it:
//! `measurement[,tag=value…] field=value[,field=value…] [timestamp]`.
//!
//! Each numeric field of a line becomes one point. The series is named by a tag (by default
//! `sensor`); a field other than `value` is appended after a dot (`h001.current`). Lines without
//! that tag are named `measurement,tags…`. The unit is Wh when the measurement or field says
//! energy (`energy`, `Wh`, `kWh` — kWh is converted), W otherwise.
//!
//! A line is stored whole or not at all: a bad field refuses the line, its good siblings too,
//! so a half-read line never reaches the store.

use std::sync::Arc;

use domain::{Point, Unit};

use crate::{LineError, SeriesPoint};

/// Timestamp precision of a write (`precision` query parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    Nanoseconds,
    Microseconds,
    Milliseconds,
    Seconds,
    Minutes,
    Hours,
}

impl Precision {
    /// Parses the InfluxDB spellings: `ns`, `n`, `u`, `us`, `µ`, `ms`, `s`, `m`, `h`.
    pub fn parse(text: &str) -> Option<Precision> {
        Some(match text {
            "ns" | "n" => Precision::Nanoseconds,
            "u" | "us" | "µ" | "µs" => Precision::Microseconds,
            "ms" => Precision::Milliseconds,
            "s" => Precision::Seconds,
            "m" => Precision::Minutes,
            "h" => Precision::Hours,
            _ => return None,
        })
    }

    /// The instant in ms, `None` when it cannot exist (beyond year 9999).
    fn to_ms(self, ts: i64) -> Option<i64> {
        let ms = match self {
            Precision::Nanoseconds => Some(ts.div_euclid(1_000_000)),
            Precision::Microseconds => Some(ts.div_euclid(1_000)),
            Precision::Milliseconds => Some(ts),
            Precision::Seconds => ts.checked_mul(1_000),
            Precision::Minutes => ts.checked_mul(60_000),
            Precision::Hours => ts.checked_mul(3_600_000),
        }?;
        (crate::timestamp::MIN_MS..=crate::timestamp::MAX_MS)
            .contains(&ms)
            .then_some(ms)
    }
}

/// How series are named.
#[derive(Debug, Clone)]
pub struct Naming {
    /// The tag whose value names the series.
    pub series_tag: String,
}

impl Default for Naming {
    fn default() -> Self {
        Naming {
            series_tag: "sensor".to_string(),
        }
    }
}

/// Decodes a whole body. `now_ms` stamps lines without a timestamp.
pub fn decode(
    body: &[u8],
    precision: Precision,
    naming: &Naming,
    now_ms: i64,
) -> (Vec<SeriesPoint>, Vec<LineError>) {
    let decoded = decode_counting(body, precision, naming, now_ms);
    (decoded.points, decoded.errors)
}

/// A decoded body: its points, the lines refused, and how many valid lines carried no number
/// (only string fields, as Home Assistant sends for a text sensor: valid, and ignored).
#[derive(Debug, Default)]
pub struct Decoded {
    pub points: Vec<SeriesPoint>,
    pub errors: Vec<LineError>,
    pub ignored_lines: usize,
}

/// [`decode`], counting the lines ignored for having only string fields.
pub fn decode_counting(body: &[u8], precision: Precision, naming: &Naming, now_ms: i64) -> Decoded {
    let mut ignored_lines = 0;
    let mut points = Vec::with_capacity(body.len() / 48);
    let mut errors = Vec::new();
    let mut keys: KeyCache = KeyCache::default();
    for (idx, raw) in body.split(|&b| b == b'\n').enumerate() {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let trimmed = trim(line);
        if trimmed.is_empty() || trimmed[0] == b'#' {
            continue;
        }
        let before = points.len();
        match decode_line(
            trimmed,
            idx + 1,
            precision,
            naming,
            now_ms,
            &mut points,
            &mut keys,
        ) {
            Ok(0) => ignored_lines += 1,
            Ok(_) => {}
            Err(reason) => {
                points.truncate(before); // the whole line or nothing
                errors.push(LineError {
                    line: idx + 1,
                    reason,
                });
            }
        }
    }
    Decoded {
        points,
        errors,
        ignored_lines,
    }
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Splits at the first unescaped, unquoted occurrence of `sep`.
fn split_unescaped(s: &[u8], sep: u8, quotes: bool) -> (&[u8], Option<&[u8]>) {
    let mut i = 0;
    let mut in_quotes = false;
    while i < s.len() {
        let b = s[i];
        if b == b'\\' {
            i += 2;
            continue;
        }
        if quotes && b == b'"' {
            in_quotes = !in_quotes;
        } else if b == sep && !in_quotes {
            return (&s[..i], Some(&s[i + 1..]));
        }
        i += 1;
    }
    (s, None)
}

fn unescape(s: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(s).map_err(|_| "invalid UTF-8".to_string())?;
    if !text.contains('\\') {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n @ (',' | ' ' | '=' | '\\' | '"')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// Series already named in this body, by their raw bytes: name, unit, scale.
type KeyCache<'a> = rustc_hash::FxHashMap<&'a [u8], (Arc<str>, Unit, f64)>;

fn decode_line<'a>(
    line: &'a [u8],
    line_number: usize,
    precision: Precision,
    naming: &Naming,
    now_ms: i64,
    out: &mut Vec<SeriesPoint>,
    cache: &mut KeyCache<'a>,
) -> Result<usize, String> {
    let (series, rest) = split_unescaped(line, b' ', false);
    let rest = rest.ok_or("missing fields (expected 'measurement,tags field=value timestamp')")?;
    let rest = trim(rest);
    let (fields, ts) = split_unescaped(rest, b' ', true);
    if fields.is_empty() {
        return Err("missing fields".into());
    }
    let ts_ms = match ts.map(trim) {
        None | Some(b"") => now_ms,
        Some(ts) => {
            let shown = || crate::timestamp::shorten(&String::from_utf8_lossy(ts));
            let value = parse_i64(ts).ok_or_else(|| format!("invalid timestamp '{}'", shown()))?;
            precision
                .to_ms(value)
                .ok_or_else(|| format!("timestamp '{}' is out of range", shown()))?
        }
    };
    // Series key and unit, named once per body.
    let (key, unit, scale) = match cache.get(series) {
        Some((key, unit, scale)) => (key.clone(), *unit, *scale),
        None => {
            let (key, unit, scale) = series_key(series, naming)?;
            let key: Arc<str> = Arc::from(key);
            cache.insert(series, (key.clone(), unit, scale));
            (key, unit, scale)
        }
    };
    let mut numeric = 0;
    let mut remaining = Some(fields);
    while let Some(f) = remaining {
        let (field, next) = split_unescaped(f, b',', true);
        remaining = next;
        let (name, value) = split_unescaped(field, b'=', true);
        let value = value
            .ok_or_else(|| format!("field '{}' has no value", String::from_utf8_lossy(name)))?;
        if name.is_empty() {
            return Err("empty field name".into());
        }
        let Some(number) = field_number(value)? else {
            continue;
        };
        numeric += 1;
        let series_key = if name == b"value" {
            key.clone()
        } else {
            Arc::from(format!("{key}.{}", unescape(name)?))
        };
        out.push(SeriesPoint {
            series_key,
            line: line_number,
            unit,
            point: Point {
                ts_ms,
                value: number * scale,
            },
        });
    }
    // A line of strings only is valid line protocol; it simply has nothing to measure.
    Ok(numeric)
}

/// Parses a field value; `None` for strings (kept by InfluxDB, not by us).
fn field_number(value: &[u8]) -> Result<Option<f64>, String> {
    if let Some(int) = value.strip_suffix(b"i") {
        if let Some(v) = parse_i64(int) {
            return Ok(Some(v as f64));
        }
    }
    let text = std::str::from_utf8(value).map_err(|_| "invalid UTF-8 in field value")?;
    if text.starts_with('"') {
        if text.len() < 2 || !text.ends_with('"') {
            return Err(format!("unterminated string field {text}"));
        }
        return Ok(None);
    }
    match text {
        "t" | "T" | "true" | "True" | "TRUE" => return Ok(Some(1.0)),
        "f" | "F" | "false" | "False" | "FALSE" => return Ok(Some(0.0)),
        _ => {}
    }
    let parsed = if let Some(int) = text.strip_suffix('i') {
        int.parse::<i64>().map(|v| v as f64).ok()
    } else if let Some(uint) = text.strip_suffix('u') {
        uint.parse::<u64>().map(|v| v as f64).ok()
    } else {
        text.parse::<f64>().ok().filter(|v| v.is_finite())
    };
    parsed
        .map(Some)
        .ok_or_else(|| format!("invalid number '{}'", crate::timestamp::shorten(text)))
}

/// A decimal integer, without allocating; `None` if it is not one or overflows.
fn parse_i64(bytes: &[u8]) -> Option<i64> {
    let (negative, digits) = match bytes {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, bytes),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: i64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((b - b'0') as i64)?;
    }
    Some(if negative { -v } else { v })
}

fn series_key(series: &[u8], naming: &Naming) -> Result<(String, Unit, f64), String> {
    let (measurement, mut tags) = split_unescaped(series, b',', false);
    if measurement.is_empty() {
        return Err("missing measurement".into());
    }
    let measurement = unescape(measurement)?;
    let mut named: Option<String> = None;
    let mut all_tags: Vec<(String, String)> = Vec::new();
    while let Some(t) = tags {
        let (tag, next) = split_unescaped(t, b',', false);
        tags = next;
        let (k, v) = split_unescaped(tag, b'=', false);
        let v = v.ok_or_else(|| format!("tag '{}' has no value", String::from_utf8_lossy(k)))?;
        let (k, v) = (unescape(k)?, unescape(v)?);
        if k.is_empty() || v.is_empty() {
            return Err("empty tag key or value".into());
        }
        if k == naming.series_tag {
            named = Some(v.clone());
        }
        all_tags.push((k, v));
    }
    let key = named.unwrap_or_else(|| {
        all_tags.sort();
        let mut key = measurement.clone();
        for (k, v) in &all_tags {
            key.push_str(&format!(",{k}={v}"));
        }
        key
    });
    let lower = measurement.to_ascii_lowercase();
    let (unit, scale) = match crate::units::parse(&measurement) {
        Some(s) => (s.unit, s.factor),
        None if lower.contains("energy") || lower.contains("counter") => (Unit::WattHour, 1.0),
        None => (Unit::Watt, 1.0),
    };
    Ok((key, unit, scale))
}

#[cfg(test)]
mod tests {

    #[test]
    fn lines_of_strings_only_are_valid_and_ignored() {
        // Home Assistant writes a text sensor's state as a string field next to numeric ones.
        let body = b"W,domain=sensor,entity_id=house_power value=1234.5 1714521600\n\
                     state,domain=sensor,entity_id=washer_status state=\"running\",friendly_name_str=\"Washer\" 1714521600\n\
                     W,entity_id=broken value=\"unterminated 1714521600";
        let naming = Naming {
            series_tag: "entity_id".into(),
        };
        let d = decode_counting(body, Precision::Seconds, &naming, 0);
        assert_eq!(d.points.len(), 1);
        assert_eq!(d.points[0].point.value, 1234.5);
        assert_eq!(d.ignored_lines, 1);
        assert_eq!(d.errors.len(), 1, "{:?}", d.errors);
        assert_eq!(d.errors[0].line, 3);
    }

    use super::*;

    fn run(body: &str, precision: Precision) -> (Vec<SeriesPoint>, Vec<LineError>) {
        decode(body.as_bytes(), precision, &Naming::default(), 42)
    }

    #[test]
    fn bench_format_decodes() {
        let (points, errors) = run(
            "power,sensor=h007c value=263i 1714521600000000000\n",
            Precision::Nanoseconds,
        );
        assert!(errors.is_empty());
        assert_eq!(
            points,
            vec![SeriesPoint {
                series_key: "h007c".into(),
                line: 1,
                unit: Unit::Watt,
                point: Point {
                    ts_ms: 1_714_521_600_000,
                    value: 263.0
                }
            }]
        );
    }

    #[test]
    fn home_assistant_style_lines() {
        let body = "W,domain=sensor,entity_id=house_power value=1234.5,friendly_name_str=\"House power\" 1714521600\n\
                    kWh,domain=sensor,entity_id=house_energy value=12.5 1714521600";
        let naming = Naming {
            series_tag: "entity_id".into(),
        };
        let (points, errors) = decode(body.as_bytes(), Precision::Seconds, &naming, 0);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(&*points[0].series_key, "house_power");
        assert_eq!(points[0].point.value, 1234.5);
        assert_eq!(points[1].unit, Unit::WattHour);
        assert_eq!(points[1].point.value, 12_500.0);
    }

    #[test]
    fn bad_lines_are_reported_with_their_number_and_good_ones_kept() {
        let body = "power,sensor=a value=1i 1000\n\
                    power,sensor=b\n\
                    power,sensor=c value=abc 1000\n\
                    \n\
                    # comment\n\
                    power,sensor=d value=2 notatime\n\
                    power,sensor=e value=\"text\" 1000\n\
                    power,sensor=f value=3,other=4 2000\n";
        let (points, errors) = run(body, Precision::Milliseconds);
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        // Line 7 has only a string field: valid line protocol, ignored, not an error.
        assert_eq!(lines, vec![2, 3, 6], "{errors:?}");
        assert!(errors[1].reason.contains("invalid number 'abc'"));
        assert!(errors[2].reason.contains("timestamp"));
        let keys: Vec<&str> = points.iter().map(|p| &*p.series_key).collect();
        assert_eq!(keys, vec!["a", "f", "f.other"]);
        assert_eq!(points[2].line, 8);
    }

    #[test]
    fn a_line_with_one_bad_field_stores_none_of_its_fields() {
        let (points, errors) = run(
            "power,sensor=a value=1,current=oops 1000",
            Precision::Milliseconds,
        );
        assert!(points.is_empty(), "{points:?}");
        assert_eq!(errors.len(), 1);
        assert!(errors[0].reason.contains("oops"));
    }

    #[test]
    fn timestamps_beyond_the_calendar_are_errors() {
        for ts in ["9223372036854775807", "-9223372036854775808"] {
            let (points, errors) = run(&format!("power,sensor=a value=1 {ts}"), Precision::Hours);
            assert!(
                points.is_empty() && errors[0].reason.contains("timestamp"),
                "{errors:?}"
            );
        }
    }

    #[test]
    fn escapes_missing_tag_and_missing_timestamp() {
        let (points, errors) = run("my\\ power,room=living\\ room value=5", Precision::Seconds);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(&*points[0].series_key, "my power,room=living room");
        assert_eq!(points[0].point.ts_ms, 42);
    }

    #[test]
    fn precisions() {
        for (p, ts, ms) in [
            ("ns", 1_000_000_000i64, 1000),
            ("u", 1_000_000, 1000),
            ("ms", 1000, 1000),
            ("s", 1, 1000),
            ("m", 1, 60_000),
            ("h", 1, 3_600_000),
        ] {
            let (points, _) = run(
                &format!("power,sensor=x value=1 {ts}"),
                Precision::parse(p).unwrap(),
            );
            assert_eq!(points[0].point.ts_ms, ms, "{p}");
        }
        assert!(Precision::parse("weeks").is_none());
    }
}
