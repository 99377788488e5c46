//! Conformance with InfluxDB's own line-protocol corpus (`influxdata/line-protocol`,
//! `lineprotocol/testdata/corpus.json`, MIT: `data/line-protocol-corpus.LICENSE`), reduced to
//! its decoding cases: 6,615 inputs, most of them found by fuzzing InfluxDB's parsers.
//!
//! Every input InfluxDB accepts must decode to the same numeric points (a point per number,
//! named by measurement and tags, at the same instant), and every input it refuses must be
//! refused by at least one line error. The deliberate differences, each counted and bounded:
//! - a string field is not a reading: it gives no point (a line of strings only is ignored);
//! - a name that says a unit (`kWh`, `power_kw`, `energy`) is read in that unit, so such
//!   inputs are compared by their count of points only;
//! - our timestamps must be instants of years 1 to 9999 in ms, InfluxDB's any `int64` ns, and
//!   we keep the millisecond;
//! - a float written with more than 17 digits is read correctly rounded, where InfluxDB's
//!   parser can be one unit in the last place away.

use std::io::Read;

use ingest::line_protocol::{decode_counting, Naming, Precision, Template};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    key: String,
    text: Text,
    precision: String,
    default_time: i64,
    error: Option<String>,
    result: Option<Vec<Metric>>,
}

/// An input: text, or bytes that are not UTF-8 (the corpus gives those in base64).
#[derive(Deserialize)]
#[serde(untagged)]
enum Text {
    Utf8(String),
    Bytes(Vec<u8>),
}

impl Text {
    fn bytes(&self) -> &[u8] {
        match self {
            Text::Utf8(s) => s.as_bytes(),
            Text::Bytes(b) => b,
        }
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.bytes()))
    }
}

#[derive(Deserialize)]
struct Metric {
    time: i64,
    name: String,
    tags: Vec<(String, String)>,
    fields: Vec<(String, String, serde_json::Value)>,
}

fn cases() -> Vec<Case> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/line-protocol-corpus.json.gz"
    );
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Names that our unit rules read: the measurement or a field saying a unit or energy, or a
/// unit tag.
fn says_a_unit(m: &Metric) -> bool {
    let unit_like = |name: &str| {
        let lower = name.to_ascii_lowercase();
        let last = name.rsplit(['_', '-', '.']).next().unwrap_or(name);
        ingest::units::parse(name).is_some()
            || ingest::units::parse(last).is_some()
            || lower.contains("energy")
            || lower.contains("counter")
    };
    unit_like(&m.name)
        || m.fields.iter().any(|(k, _, _)| unit_like(k))
        || m.tags
            .iter()
            .any(|(k, _)| k == "unit" || k == "unit_of_measurement")
}

/// Adjacent doubles: InfluxDB's parser misrounds some inputs of more than 17 digits by one
/// unit in the last place (`179769313486231570814527423731704356798070567525844996` is
/// 1.7976931348623157e53, the nearest double, not 1.7976931348623155e53).
fn next_to(a: f64, b: f64) -> bool {
    a.is_finite() && b.is_finite() && a.to_bits().abs_diff(b.to_bits()) == 1
}

fn number(kind: &str, value: &serde_json::Value) -> Option<f64> {
    match kind {
        "float" => value.as_f64(),
        "int" => value.as_i64().map(|v| v as f64),
        "uint" => value.as_u64().map(|v| v as f64),
        "bool" => value.as_bool().map(|b| if b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

#[test]
fn influxdb_s_corpus_decodes_the_same() {
    // No tag names our series: every series is `measurement,tag=value…`, tags sorted.
    let naming = Naming {
        template: Template::tag("\u{1}"),
        home_assistant: false,
    };
    let (mut accepted, mut refused, mut by_count, mut out_of_range, mut strings) = (0, 0, 0, 0, 0);
    let mut rounded = 0;
    let mut failures = Vec::new();
    for case in cases() {
        let precision = match case.precision.as_str() {
            "1ns" => Precision::Nanoseconds,
            "1µs" => Precision::Microseconds,
            "1ms" => Precision::Milliseconds,
            "1s" => Precision::Seconds,
            other => panic!("{}: precision {other}", case.key),
        };
        let d = decode_counting(
            case.text.bytes(),
            precision,
            &naming,
            case.default_time.div_euclid(1_000_000),
        );
        let Some(metrics) = &case.result else {
            refused += 1;
            if d.errors.is_empty() {
                failures.push(format!(
                    "{}: {:?} is refused by InfluxDB ({}) but decoded to {:?}",
                    case.key,
                    case.text,
                    case.error.as_deref().unwrap_or(""),
                    d.points
                ));
            }
            continue;
        };
        accepted += 1;
        // InfluxDB keeps instants we cannot hold: those lines are refused with a reason.
        let in_range = |ns: i64| {
            let ms = ns.div_euclid(1_000_000);
            (ingest::timestamp::MIN_MS..=ingest::timestamp::MAX_MS).contains(&ms)
        };
        if metrics.iter().any(|m| !in_range(m.time)) {
            out_of_range += 1;
            assert!(
                d.errors.iter().all(|e| e.reason.contains("timestamp")),
                "{}: {:?}",
                case.key,
                d.errors
            );
            continue;
        }
        if !d.errors.is_empty() {
            failures.push(format!(
                "{}: {:?} is accepted by InfluxDB but refused: {:?}",
                case.key, case.text, d.errors
            ));
            continue;
        }
        let mut expected: Vec<(String, i64, f64)> = Vec::new();
        for m in metrics {
            let mut tags = m.tags.clone();
            tags.sort();
            let mut key = m.name.clone();
            for (k, v) in &tags {
                key.push_str(&format!(",{k}={v}"));
            }
            for (field, kind, value) in &m.fields {
                let Some(v) = number(kind, value) else {
                    strings += 1;
                    continue;
                };
                let series = if field == "value" {
                    key.clone()
                } else {
                    format!("{key}.{field}")
                };
                expected.push((series, m.time.div_euclid(1_000_000), v));
            }
        }
        let got: Vec<(String, i64, f64)> = d
            .points
            .iter()
            .map(|p| (p.series_key.to_string(), p.point.ts_ms, p.point.value))
            .collect();
        if metrics.iter().any(says_a_unit) {
            by_count += 1;
            if got.len() != expected.len() {
                failures.push(format!(
                    "{}: {:?}: {} points, InfluxDB {}",
                    case.key,
                    case.text,
                    got.len(),
                    expected.len()
                ));
            }
        } else if got.len() == expected.len()
            && got
                .iter()
                .zip(&expected)
                .all(|(g, e)| g.0 == e.0 && g.1 == e.1 && (g.2 == e.2 || next_to(g.2, e.2)))
            && got != expected
        {
            // A float of more than 17 digits: ours is the correctly rounded one.
            rounded += 1;
        } else if got != expected {
            failures.push(format!(
                "{}: {:?}\n  ours:     {got:?}\n  InfluxDB: {expected:?}",
                case.key, case.text
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        accepted + refused,
        failures.join("\n")
    );
    assert_eq!((accepted, refused), (395, 6220));
    // The deliberate differences stay the exception.
    assert!(by_count <= 20, "{by_count} inputs compared by count");
    assert!(out_of_range <= 20, "{out_of_range} inputs out of our range");
    assert!(strings > 0, "string fields were met, and gave no point");
    assert!(rounded <= 2, "{rounded} floats rounded differently");
}
