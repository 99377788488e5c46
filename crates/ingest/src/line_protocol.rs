//! InfluxDB v1 line protocol, as Telegraf and Home Assistant send it:
//! `measurement[,tag=value…] field=value[,field=value…] [timestamp]`.
//!
//! Each numeric field of a line becomes one point. The series is named by a [`Template`] over
//! the tags (by default `{sensor}`); a field other than `value` is appended after a dot
//! (`h001.current`). Lines without the template's tags are named `measurement,tags…`. The unit
//! is, in this order: a `unit` or `unit_of_measurement` tag; what the field's name says
//! (`energy_import` is Wh, `power_kw` kW); the measurement (`W`, `kWh`, or energy words:
//! `energy`, `counter`); watts. Prefixed units are scaled exactly ([`crate::units`]).
//!
//! Lines shaped like Home Assistant's (tags `domain` and `entity_id`) are read as Home
//! Assistant means them (see [`Naming::home_assistant`]), whatever its `measurement_attr`.
//!
//! A line is stored whole or not at all: a bad field refuses the line, its good siblings too,
//! so a half-read line never reaches the store. A valid line with nothing to measure (only
//! strings, or a unit that is neither a power nor an energy) is ignored and counted.

use std::sync::Arc;

use domain::{Point, Unit};

use crate::units::Scale;
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

    /// `ms` at this precision (a second's write stamps the second), as InfluxDB stamps lines
    /// without a timestamp.
    fn truncate(self, ms: i64) -> i64 {
        let unit = match self {
            Precision::Nanoseconds | Precision::Microseconds | Precision::Milliseconds => 1,
            Precision::Seconds => 1_000,
            Precision::Minutes => 60_000,
            Precision::Hours => 3_600_000,
        };
        ms - ms.rem_euclid(unit)
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

/// A series name made from a line's measurement and tags: `{sensor}`, `{domain}.{entity_id}`,
/// `{_measurement}.{device}`. A line that lacks a tag the template names is named
/// `measurement,tag=value…` instead (all its tags, sorted), so two such series never merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Tag(String),
    Measurement,
}

impl Template {
    /// Reads `text/{tag}text…`; `{_measurement}` is the measurement. At least one placeholder is
    /// needed (a constant name would pour every series into one channel).
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            match rest.find(['{', '}']) {
                Some(i) if rest.as_bytes()[i] == b'{' => {
                    if i > 0 {
                        parts.push(Part::Text(rest[..i].to_string()));
                    }
                    let close = rest[i..]
                        .find('}')
                        .ok_or_else(|| format!("'{text}': a '{{' is not closed"))?;
                    let name = &rest[i + 1..i + close];
                    if name.is_empty() || name.contains('{') {
                        return Err(format!("'{text}': a placeholder needs a tag name"));
                    }
                    parts.push(if name == "_measurement" {
                        Part::Measurement
                    } else {
                        Part::Tag(name.to_string())
                    });
                    rest = &rest[i + close + 1..];
                }
                Some(_) => return Err(format!("'{text}': a '}}' closes nothing")),
                None => {
                    parts.push(Part::Text(rest.to_string()));
                    rest = "";
                }
            }
        }
        if !parts.iter().any(|p| !matches!(p, Part::Text(_))) {
            return Err(format!(
                "'{text}' names no tag: write the tag in braces, e.g. {{sensor}}"
            ));
        }
        Ok(Template { parts })
    }

    /// The template that is one tag's value.
    pub fn tag(name: &str) -> Template {
        Template {
            parts: vec![Part::Tag(name.to_string())],
        }
    }

    fn render(&self, measurement: &str, tags: &[(String, String)]) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Measurement => out.push_str(measurement),
                Part::Tag(name) => out.push_str(&tags.iter().find(|(k, _)| k == name)?.1),
            }
        }
        Some(out)
    }
}

impl std::fmt::Display for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for part in &self.parts {
            match part {
                Part::Text(t) => f.write_str(t)?,
                Part::Measurement => f.write_str("{_measurement}")?,
                Part::Tag(name) => write!(f, "{{{name}}}")?,
            }
        }
        Ok(())
    }
}

/// How series are named and read.
#[derive(Debug, Clone)]
pub struct Naming {
    /// Names the series of a line (default `{sensor}`).
    pub template: Template,
    /// Read lines shaped like Home Assistant's (tags `domain` and `entity_id`) as Home
    /// Assistant means them: named by the entity (`sensor.house_power`), the `value` field
    /// measured in the entity's unit (the measurement, a `unit_of_measurement` tag or the
    /// `unit_of_measurement_str` field), attributes ignored, entities without a power or
    /// energy unit (a switch, a temperature) ignored.
    pub home_assistant: bool,
}

impl Default for Naming {
    fn default() -> Self {
        Naming {
            template: Template::tag("sensor"),
            home_assistant: true,
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
    let mut d = Decoded {
        points: Vec::with_capacity(body.len() / 48),
        ..Decoded::default()
    };
    let mut keys: KeyCache = KeyCache::default();
    let mut tags: Vec<(&[u8], &[u8])> = Vec::new();
    let (mut pos, mut line) = (0, 1);
    while pos < body.len() {
        let before = d.points.len();
        let ctx = LineContext {
            line,
            precision,
            naming,
            default_ms: precision.truncate(now_ms),
        };
        let mut extra_lines = 0;
        match decode_line(
            body,
            &mut pos,
            &ctx,
            &mut d.points,
            &mut keys,
            &mut tags,
            &mut extra_lines,
        ) {
            Ok(Some(0)) => d.ignored_lines += 1,
            Ok(_) => {}
            Err(reason) => {
                d.points.truncate(before); // the whole line or nothing
                d.errors.push(LineError { line, reason });
            }
        }
        // A string field may hold newlines: the next line is numbered after them.
        line += 1 + extra_lines;
    }
    d
}

/// What a line is decoded with.
struct LineContext<'n> {
    line: usize,
    precision: Precision,
    naming: &'n Naming,
    /// The instant of a line without a timestamp: now, at the write's precision.
    default_ms: i64,
}

/// Characters a backslash escapes in a measurement, and in tag keys, tag values and field
/// keys; before any other character a backslash is itself.
const MEASUREMENT_ESCAPES: &[u8] = b", ";
const KEY_ESCAPES: &[u8] = b",= ";

/// The line ends at `i`: a newline, a carriage return before one (or at the end), the end.
fn at_eol(b: &[u8], i: usize) -> bool {
    match b.get(i) {
        None | Some(b'\n') => true,
        Some(b'\r') => matches!(b.get(i + 1), None | Some(b'\n')),
        _ => false,
    }
}

/// Past the end of the line that `i` is in (after its newline).
fn next_line(b: &[u8], i: usize) -> usize {
    b[i.min(b.len())..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |n| i + n + 1)
}

/// Scans a name from `*i` to the first unescaped `,` or space (and `=` with `STOP_EQ`), or the
/// end of the line; a backslash escapes `,`, space (and `=` with `ESC_EQ`). Control characters
/// are refused, as InfluxDB does.
fn scan_name<'a, const STOP_EQ: bool, const ESC_EQ: bool>(
    b: &'a [u8],
    i: &mut usize,
    what: &str,
) -> Result<&'a [u8], String> {
    let start = *i;
    while let Some(&c) = b.get(*i) {
        match c {
            b'\\' => {
                let escaped = match b.get(*i + 1) {
                    Some(b',' | b' ') => true,
                    Some(b'=') => ESC_EQ,
                    _ => false,
                };
                *i += if escaped { 2 } else { 1 };
            }
            b',' | b' ' | b'\n' => break,
            b'=' if STOP_EQ => break,
            b'\r' if matches!(b.get(*i + 1), None | Some(b'\n')) => break,
            0..=0x1f | 0x7f => return Err(format!("control character {c:#04x} in a {what}")),
            _ => *i += 1,
        }
    }
    Ok(&b[start..*i])
}

/// The text of an escaped name.
fn unescape(s: &[u8], escapes: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(s).map_err(|_| "invalid UTF-8".to_string())?;
    if !text.contains('\\') {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(&n) if c == '\\' && n.is_ascii() && escapes.contains(&(n as u8)) => {
                out.push(n);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// The text of a string field's value (between its quotes): `\"` and `\\` are escapes.
fn unescape_string(s: &[u8]) -> Result<String, String> {
    unescape(s, b"\"\\")
}

/// Series already named in this body, by their raw bytes.
type KeyCache<'a> = rustc_hash::FxHashMap<&'a [u8], Head>;

/// What a line's measurement and tags say: the series, and how its fields are read.
#[derive(Debug, Clone)]
struct Head {
    key: Arc<str>,
    home_assistant: bool,
    /// A `unit` or `unit_of_measurement` tag: `Some(None)` when it names a unit we do not
    /// store (°C, %): such a series is not a power or an energy, and is ignored.
    tag_unit: Option<Option<Scale>>,
    /// The measurement read as a unit (Home Assistant's default: `W`, `kWh`).
    measurement_unit: Option<Scale>,
    /// The measurement speaks of energy (`energy`, `counter`).
    measurement_energy: bool,
}

const WATTS: Scale = Scale {
    unit: Unit::Watt,
    pow10: 0,
};
const WATT_HOURS: Scale = Scale {
    unit: Unit::WattHour,
    pow10: 0,
};

impl Head {
    /// The unit of a generic line's field: the unit tag, else what the field's name says
    /// (`energy_import`, `power_kw`), else the measurement, else watts. `None`: ignored.
    fn field_unit(&self, field: &[u8]) -> Option<Scale> {
        if let Some(tagged) = self.tag_unit {
            return tagged;
        }
        if field != b"value" {
            if let Some(scale) = field_unit(field) {
                return Some(scale);
            }
        }
        Some(match self.measurement_unit {
            Some(scale) => scale,
            None if self.measurement_energy => WATT_HOURS,
            None => WATTS,
        })
    }
}

/// What a field's name says of its unit: a unit (`kWh`), a unit after the last `_`
/// (`power_kw`, `total_wh`), or energy words (`energy_import`, `counter`).
fn field_unit(name: &[u8]) -> Option<Scale> {
    let name = std::str::from_utf8(name).ok()?;
    let last = name.rsplit(['_', '-', '.']).next().unwrap_or(name);
    crate::units::parse(name)
        .or_else(|| crate::units::parse(last))
        .or_else(|| says_energy(name).then_some(WATT_HOURS))
}

fn says_energy(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.contains("energy") || lower.contains("counter")
}

/// Decodes the line at `*pos` and moves `*pos` past it. `Ok(None)` for a blank or comment
/// line, else how many points it gave.
fn decode_line<'a>(
    b: &'a [u8],
    pos: &mut usize,
    ctx: &LineContext<'_>,
    out: &mut Vec<SeriesPoint>,
    cache: &mut KeyCache<'a>,
    tags: &mut Vec<(&'a [u8], &'a [u8])>,
    extra_lines: &mut usize,
) -> Result<Option<usize>, String> {
    let mut i = *pos;
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    if b.get(i) == Some(&b'#') {
        *pos = next_line(b, i);
        // A comment is text: control characters in it are refused, as InfluxDB does.
        let comment = &b[i..*pos];
        return match comment
            .iter()
            .find(|&&c| (c < 0x20 && !matches!(c, b'\t' | b'\r' | b'\n')) || c == 0x7f)
        {
            Some(c) => Err(format!("control character {c:#04x} in a comment")),
            None => Ok(None),
        };
    }
    if at_eol(b, i) {
        *pos = next_line(b, i);
        return Ok(None);
    }
    let mut resume = None;
    let result = parse_line(b, &mut i, ctx, out, cache, tags, &mut resume, extra_lines);
    *pos = match (&result, resume) {
        (Ok(_), _) => next_line(b, i),
        // An unterminated string: the rest of its first line is lost, not the whole body.
        (Err(_), Some(r)) => r,
        (Err(_), None) => next_line(b, i),
    };
    result.map(Some)
}

#[allow(clippy::too_many_arguments)]
fn parse_line<'a>(
    b: &'a [u8],
    i: &mut usize,
    ctx: &LineContext<'_>,
    out: &mut Vec<SeriesPoint>,
    cache: &mut KeyCache<'a>,
    tags: &mut Vec<(&'a [u8], &'a [u8])>,
    resume: &mut Option<usize>,
    extra_lines: &mut usize,
) -> Result<usize, String> {
    const MISSING: &str = "missing fields (expected 'measurement,tags field=value timestamp')";
    let series_start = *i;
    let measurement = scan_name::<false, false>(b, i, "measurement")?;
    if measurement.is_empty() {
        return Err("missing measurement".into());
    }
    tags.clear();
    while b.get(*i) == Some(&b',') {
        *i += 1;
        let key = scan_name::<true, true>(b, i, "tag key")?;
        if b.get(*i) != Some(&b'=') {
            return Err(format!(
                "tag '{}' has no value",
                String::from_utf8_lossy(key)
            ));
        }
        *i += 1;
        let value = scan_name::<false, true>(b, i, "tag value")?;
        if key.is_empty() || value.is_empty() {
            return Err("empty tag key or value".into());
        }
        tags.push((key, value));
    }
    let series = &b[series_start..*i];
    if b.get(*i) != Some(&b' ') {
        return Err(MISSING.into());
    }
    while b.get(*i) == Some(&b' ') {
        *i += 1;
    }
    if at_eol(b, *i) {
        return Err(MISSING.into());
    }
    // Every field is read, so a half-valid line is refused whole.
    let mut numbers: Vec<(&[u8], f64)> = Vec::new();
    let mut unit_field: Option<String> = None;
    loop {
        let name = scan_name::<true, true>(b, i, "field key")?;
        if b.get(*i) != Some(&b'=') {
            return Err(format!(
                "field '{}' has no value",
                String::from_utf8_lossy(name)
            ));
        }
        if name.is_empty() {
            return Err("empty field name".into());
        }
        *i += 1;
        if b.get(*i) == Some(&b'"') {
            let open = *i;
            let Some((close, newlines)) = closing_quote(b, open + 1) else {
                *resume = Some(next_line(b, open));
                return Err("unterminated string field".into());
            };
            *extra_lines += newlines;
            *i = close + 1;
            if !(at_eol(b, *i) || matches!(b[*i], b',' | b' ')) {
                return Err(format!(
                    "unexpected '{}' after the string field '{}'",
                    b[*i].escape_ascii(),
                    String::from_utf8_lossy(name)
                ));
            }
            let text = &b[open + 1..close];
            if std::str::from_utf8(text).is_err() {
                return Err(format!(
                    "invalid UTF-8 in the string field '{}'",
                    String::from_utf8_lossy(name)
                ));
            }
            if name == b"unit_of_measurement_str" {
                unit_field = Some(unescape_string(text)?);
            }
        } else {
            let start = *i;
            while let Some(&c) = b.get(*i) {
                match c {
                    b',' | b' ' | b'\n' => break,
                    b'\r' if matches!(b.get(*i + 1), None | Some(b'\n')) => break,
                    _ => *i += 1,
                }
            }
            let value = &b[start..*i];
            if value.is_empty() {
                return Err(format!(
                    "field '{}' has no value",
                    String::from_utf8_lossy(name)
                ));
            }
            numbers.push((name, field_number(value)?));
        }
        match b.get(*i) {
            Some(b',') => *i += 1,
            _ => break,
        }
    }
    while b.get(*i) == Some(&b' ') {
        *i += 1;
    }
    let ts_ms = if at_eol(b, *i) {
        ctx.default_ms
    } else {
        let start = *i;
        while let Some(&c) = b.get(*i) {
            match c {
                b' ' | b'\n' => break,
                b'\r' if matches!(b.get(*i + 1), None | Some(b'\n')) => break,
                _ => *i += 1,
            }
        }
        let ts = &b[start..*i];
        while b.get(*i) == Some(&b' ') {
            *i += 1;
        }
        let shown = || crate::timestamp::shorten(&String::from_utf8_lossy(ts));
        if !at_eol(b, *i) {
            return Err(format!("unexpected text after the timestamp '{}'", shown()));
        }
        let value = parse_i64(ts).ok_or_else(|| format!("invalid timestamp '{}'", shown()))?;
        ctx.precision
            .to_ms(value)
            .ok_or_else(|| format!("timestamp '{}' is out of range", shown()))?
    };
    // Series key and unit, named once per body.
    let head = match cache.get(series) {
        Some(head) => head.clone(),
        None => {
            let head = head(measurement, tags, ctx.naming)?;
            cache.insert(series, head.clone());
            head
        }
    };
    let before = out.len();
    let on_change = head.home_assistant;
    let line = ctx.line;
    let mut push = |series_key: Arc<str>, scale: Scale, value: f64| {
        out.push(SeriesPoint {
            series_key,
            line,
            unit: scale.unit,
            on_change,
            point: Point {
                ts_ms,
                value: scale.apply(value),
            },
        })
    };
    if head.home_assistant {
        // The entity's state is `value`; other numbers are its attributes.
        let unit = match head.tag_unit {
            Some(tagged) => tagged,
            None => match unit_field {
                Some(text) => crate::units::parse(&text),
                None => head.measurement_unit,
            },
        };
        if let (Some(scale), Some((_, value))) =
            (unit, numbers.iter().find(|(name, _)| *name == b"value"))
        {
            push(head.key.clone(), scale, *value);
        }
    } else {
        for (name, value) in numbers {
            let Some(scale) = head.field_unit(name) else {
                continue;
            };
            let key = if name == b"value" {
                head.key.clone()
            } else {
                Arc::from(format!("{}.{}", head.key, unescape(name, KEY_ESCAPES)?))
            };
            push(key, scale, value);
        }
    }
    // A line of strings only is valid line protocol; it simply has nothing to measure.
    Ok(out.len() - before)
}

/// The closing quote of a string field whose text starts at `from`: `\"` and `\\` are
/// escapes, and the text may span lines.
/// Also how many newlines the text holds.
fn closing_quote(b: &[u8], from: usize) -> Option<(usize, usize)> {
    let (mut j, mut newlines) = (from, 0);
    while j < b.len() {
        match b[j] {
            b'\\' if matches!(b.get(j + 1), Some(b'"' | b'\\')) => j += 2,
            b'"' => return Some((j, newlines)),
            b'\n' => {
                newlines += 1;
                j += 1;
            }
            _ => j += 1,
        }
    }
    None
}

/// Parses a field value that is not a string: an integer (`1i`), an unsigned one (`1u`), a
/// boolean (as 1 or 0) or a finite float.
fn field_number(value: &[u8]) -> Result<f64, String> {
    if let Some(int) = value.strip_suffix(b"i") {
        if let Some(v) = parse_i64(int) {
            return Ok(v as f64);
        }
    }
    let text = std::str::from_utf8(value).map_err(|_| "invalid UTF-8 in field value")?;
    match text {
        "t" | "T" | "true" | "True" | "TRUE" => return Ok(1.0),
        "f" | "F" | "false" | "False" | "FALSE" => return Ok(0.0),
        _ => {}
    }
    let parsed = if let Some(int) = text.strip_suffix('i') {
        int.parse::<i64>().map(|v| v as f64).ok()
    } else if let Some(uint) = text.strip_suffix('u') {
        uint.parse::<u64>().map(|v| v as f64).ok()
    } else {
        text.parse::<f64>().ok().filter(|v| v.is_finite())
    };
    parsed.ok_or_else(|| format!("invalid number '{}'", crate::timestamp::shorten(text)))
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

fn head(measurement: &[u8], tags: &[(&[u8], &[u8])], naming: &Naming) -> Result<Head, String> {
    let measurement = unescape(measurement, MEASUREMENT_ESCAPES)?;
    let mut all_tags: Vec<(String, String)> = Vec::with_capacity(tags.len());
    for (k, v) in tags {
        let (k, v) = (unescape(k, KEY_ESCAPES)?, unescape(v, KEY_ESCAPES)?);
        if all_tags.iter().any(|(seen, _)| *seen == k) {
            return Err(format!("tag '{k}' is given twice"));
        }
        all_tags.push((k, v));
    }
    let tag = |name: &str| all_tags.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    let home_assistant =
        naming.home_assistant && tag("domain").is_some() && tag("entity_id").is_some();
    let tag_unit = tag("unit_of_measurement")
        .or_else(|| tag("unit"))
        .map(|u| crate::units::parse(u));
    let named = if home_assistant {
        // Home Assistant's own name of the entity: a switch and a sensor of one device differ.
        Some(format!(
            "{}.{}",
            tag("domain").expect("checked"),
            tag("entity_id").expect("checked")
        ))
    } else {
        naming.template.render(&measurement, &all_tags)
    };
    let key = named.unwrap_or_else(|| {
        all_tags.sort();
        let mut key = measurement.clone();
        for (k, v) in &all_tags {
            key.push_str(&format!(",{k}={v}"));
        }
        key
    });
    Ok(Head {
        key: Arc::from(key),
        home_assistant,
        tag_unit,
        measurement_unit: crate::units::parse(&measurement),
        measurement_energy: says_energy(&measurement),
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn lines_of_strings_only_are_valid_and_ignored() {
        // Home Assistant writes a text sensor's state as a string field next to numeric ones.
        let body = b"W,domain=sensor,entity_id=house_power value=1234.5 1714521600\n\
                     state,domain=sensor,entity_id=washer_status state=\"running\",friendly_name_str=\"Washer\" 1714521600\n\
                     W,entity_id=broken value=\"unterminated 1714521600";
        let d = decode_counting(body, Precision::Seconds, &Naming::default(), 0);
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
                on_change: false,
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
        let (points, errors) = decode(body.as_bytes(), Precision::Seconds, &Naming::default(), 0);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            points.len(),
            2,
            "the friendly name is an attribute: {points:?}"
        );
        assert_eq!(&*points[0].series_key, "sensor.house_power");
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
        // Now (42 ms) at the write's precision, the second.
        assert_eq!(points[0].point.ts_ms, 0);
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

    fn ha(body: &str) -> Decoded {
        decode_counting(body.as_bytes(), Precision::Seconds, &Naming::default(), 0)
    }

    fn summary(d: &Decoded) -> Vec<(String, Unit, f64)> {
        d.points
            .iter()
            .map(|p| (p.series_key.to_string(), p.unit, p.point.value))
            .collect()
    }

    #[test]
    fn home_assistant_lines_mean_the_same_whatever_their_measurement_attr() {
        // One kW power and one kWh counter, as Home Assistant 2024 writes them under each
        // `measurement_attr` (homeassistant/components/influxdb: `_generate_event_to_json`).
        let expected = vec![
            ("sensor.pv_power".to_string(), Unit::Watt, 1_234.0),
            ("sensor.pv_energy".to_string(), Unit::WattHour, 10.0),
        ];
        for body in [
            // unit_of_measurement (the default): the unit is the measurement.
            "kW,domain=sensor,entity_id=pv_power value=1.234,device_class_str=\"power\" 1714521600\n\
             kWh,domain=sensor,entity_id=pv_energy value=0.01,state_class_str=\"total_increasing\" 1714521600",
            // entity_id: the unit is an attribute field.
            "sensor.pv_power,domain=sensor,entity_id=pv_power value=1.234,unit_of_measurement_str=\"kW\" 1714521600\n\
             sensor.pv_energy,domain=sensor,entity_id=pv_energy unit_of_measurement_str=\"kWh\",value=0.01 1714521600",
            // domain__device_class.
            "sensor__power,domain=sensor,entity_id=pv_power value=1.234,unit_of_measurement_str=\"kW\" 1714521600\n\
             sensor__energy,domain=sensor,entity_id=pv_energy value=0.01,unit_of_measurement_str=\"kWh\" 1714521600",
            // unit_of_measurement listed in `tags_attributes`.
            "sensor__power,domain=sensor,entity_id=pv_power,unit_of_measurement=kW value=1.234 1714521600\n\
             sensor__energy,domain=sensor,entity_id=pv_energy,unit_of_measurement=kWh value=0.01 1714521600",
        ] {
            let d = ha(body);
            assert!(d.errors.is_empty(), "{:?}", d.errors);
            assert_eq!(summary(&d), expected, "{body}");
            assert!(d.points.iter().all(|p| p.on_change), "written on change");
        }
    }

    #[test]
    fn home_assistant_entities_without_a_power_or_energy_unit_are_ignored() {
        let d = ha("switch.washing_machine,domain=switch,entity_id=washing_machine value=1,state=\"on\" 1714521600\n\
                    W,domain=sensor,entity_id=washing_machine value=2100,voltage=231.5 1714521600\n\
                    °C,domain=sensor,entity_id=kitchen value=21.5 1714521600\n\
                    sensor.kitchen_humidity,domain=sensor,entity_id=kitchen_humidity value=40,unit_of_measurement_str=\"%\" 1714521600");
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        // The switch and the sensor of one machine are two entities; only the sensor is power,
        // and its numeric attribute (voltage) is not a reading.
        assert_eq!(
            summary(&d),
            vec![("sensor.washing_machine".to_string(), Unit::Watt, 2100.0)]
        );
        assert_eq!(d.ignored_lines, 3);
    }

    #[test]
    fn home_assistant_shapes_can_be_read_as_plain_lines() {
        let naming = Naming {
            template: Template::tag("entity_id"),
            home_assistant: false,
        };
        let (points, _) = decode(
            b"W,domain=sensor,entity_id=house value=5,voltage=230 1",
            Precision::Seconds,
            &naming,
            0,
        );
        let keys: Vec<&str> = points.iter().map(|p| &*p.series_key).collect();
        assert_eq!(keys, ["house", "house.voltage"]);
    }

    #[test]
    fn telegraf_fields_say_their_unit() {
        // A Telegraf modbus or P1 input: one measurement, several fields.
        let (points, errors) = decode(
            b"dsmr,sensor=p1 energy_import=1234.567,energy_export_kwh=12.5,power=2100i,power_returned_kw=0.25 1714521600\n\
              sma,sensor=inverter,unit=kW value=3.5 1714521600\n\
              sma,sensor=inverter2,unit=V value=230 1714521600",
            Precision::Seconds,
            &Naming::default(),
            0,
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert!(points.iter().all(|p| !p.on_change), "Telegraf samples");
        let got: Vec<(String, Unit, f64)> = points
            .iter()
            .map(|p| (p.series_key.to_string(), p.unit, p.point.value))
            .collect();
        assert_eq!(
            got,
            vec![
                ("p1.energy_import".to_string(), Unit::WattHour, 1234.567),
                ("p1.energy_export_kwh".to_string(), Unit::WattHour, 12_500.0),
                ("p1.power".to_string(), Unit::Watt, 2100.0),
                ("p1.power_returned_kw".to_string(), Unit::Watt, 250.0),
                ("inverter".to_string(), Unit::Watt, 3500.0),
            ]
        );
    }

    #[test]
    fn kilo_units_scale_to_exact_integers() {
        // 1.005 × 1000 in floating point is 1004.9999999999999.
        let d = ha("kWh,domain=sensor,entity_id=p1 value=001234.567 1\nkW,domain=sensor,entity_id=plug value=1.005 1");
        assert_eq!(d.points[0].point.value, 1_234_567.0);
        assert_eq!(d.points[1].point.value, 1_005.0);
        assert_eq!(d.points[0].point.value.fract(), 0.0);
    }

    #[test]
    fn templates_name_series_from_tags() {
        let t = Template::parse("{_measurement}.{device}-{phase}").unwrap();
        assert_eq!(t.to_string(), "{_measurement}.{device}-{phase}");
        let naming = Naming {
            template: t,
            home_assistant: true,
        };
        let (points, errors) = decode(
            b"power,device=heatpump,phase=2 value=5 1\npower,device=boiler value=6 1",
            Precision::Seconds,
            &naming,
            0,
        );
        assert!(errors.is_empty(), "{errors:?}");
        let keys: Vec<&str> = points.iter().map(|p| &*p.series_key).collect();
        // The second line lacks `phase`: named by all its tags, never merged with another.
        assert_eq!(keys, ["power.heatpump-2", "power,device=boiler"]);
        for bad in ["sensor", "{", "{sensor", "sensor}", "{}", "a{b{c}}"] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn influxdb_s_grammar_escapes_strings_across_lines_and_control_characters() {
        let (points, errors) = run(
            "cpu,host=two\\\\ words value=42 1\n\
             u \"=f,v=1 1\n\
             note text=\"first\nsecond\",value=3 1\n\
             after value=4 1\n\
             m,k=x\u{1}y v=1 1\n\
             m,b=2,b=1 v=1 1\n\
             m v=\"unterminated 1\n\
             last value=5 1",
            Precision::Seconds,
        );
        let got: Vec<(&str, usize, f64)> = points
            .iter()
            .map(|p| (&*p.series_key, p.line, p.point.value))
            .collect();
        // A backslash before a backslash is itself; a quote in a field key is a character; a
        // string field spans lines and the next line is numbered after it.
        assert_eq!(
            got,
            [
                ("cpu,host=two\\ words", 1, 42.0),
                ("u.\"", 2, 0.0),
                ("u.v", 2, 1.0),
                ("note", 3, 3.0),
                ("after", 5, 4.0),
                ("last", 9, 5.0),
            ]
        );
        let refused: Vec<(usize, &str)> =
            errors.iter().map(|e| (e.line, e.reason.as_str())).collect();
        assert_eq!(
            refused,
            [
                (6, "control character 0x01 in a tag value"),
                (7, "tag 'b' is given twice"),
                (8, "unterminated string field"),
            ]
        );
    }
}
