//! JSON reading batches (`POST /api/v1/readings`):
//!
//! ```json
//! {"readings": [
//!   {"channel": "h001c", "unit": "W", "points": [[1714521600, 263], ["2024-05-01T00:00:08Z", 270.5]]}
//! ]}
//! ```
//! A timestamp is Unix seconds (a number, fractions allowed) or an RFC 3339 string; `unit` is
//! `W` (default), `Wh` or `kWh`. Errors name the record: `readings[0].points[1]`.

use domain::{Point, Unit};
use serde::Deserialize;

use crate::{LineError, SeriesPoint};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    readings: Vec<Series>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Series {
    channel: String,
    #[serde(default)]
    unit: Option<String>,
    points: Vec<serde_json::Value>,
}

/// Errors of a JSON batch: either the whole body is unreadable, or some points are rejected.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonError {
    /// The body is not a batch at all.
    Body(String),
    /// Individual points, `line` = 0 and the reason naming the record path.
    Points(Vec<LineError>),
}

pub fn decode(body: &[u8]) -> Result<(Vec<SeriesPoint>, Vec<LineError>), JsonError> {
    let batch: Batch = serde_json::from_slice(body)
        .map_err(|e| JsonError::Body(format!("invalid JSON batch: {e}")))?;
    let mut points = Vec::new();
    let mut errors = Vec::new();
    for (i, series) in batch.readings.iter().enumerate() {
        let (unit, scale) = match series.unit.as_deref().unwrap_or("W") {
            "W" => (Unit::Watt, 1.0),
            "kW" => (Unit::Watt, 1000.0),
            "Wh" => (Unit::WattHour, 1.0),
            "kWh" => (Unit::WattHour, 1000.0),
            other => {
                errors.push(LineError {
                    line: i + 1,
                    reason: format!("readings[{i}].unit: unknown unit '{other}' (W, kW, Wh, kWh)"),
                });
                continue;
            }
        };
        if series.channel.trim().is_empty() {
            errors.push(LineError {
                line: i + 1,
                reason: format!("readings[{i}].channel: empty"),
            });
            continue;
        }
        for (j, raw) in series.points.iter().enumerate() {
            match point(raw) {
                Ok((ts_ms, value)) => points.push(SeriesPoint {
                    series_key: std::sync::Arc::from(series.channel.as_str()),
                    unit,
                    point: Point {
                        ts_ms,
                        value: value * scale,
                    },
                }),
                Err(reason) => errors.push(LineError {
                    line: i + 1,
                    reason: format!("readings[{i}].points[{j}]: {reason}"),
                }),
            }
        }
    }
    Ok((points, errors))
}

fn point(raw: &serde_json::Value) -> Result<(i64, f64), String> {
    let pair = raw
        .as_array()
        .filter(|a| a.len() == 2)
        .ok_or("expected [timestamp, value]")?;
    let ts_ms = match &pair[0] {
        serde_json::Value::Number(n) => {
            let secs = n.as_f64().ok_or("timestamp out of range")?;
            (secs * 1000.0).round() as i64
        }
        serde_json::Value::String(s) => s
            .parse::<jiff::Timestamp>()
            .map_err(|e| format!("timestamp '{s}': {e}"))?
            .as_millisecond(),
        _ => return Err("timestamp must be Unix seconds or an RFC 3339 string".into()),
    };
    let value = pair[1]
        .as_f64()
        .filter(|v| v.is_finite())
        .ok_or("value must be a finite number")?;
    Ok((ts_ms, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_numbers_and_strings() {
        let body = br#"{"readings":[{"channel":"h1","points":[[1714521600,263],["2024-05-01T00:00:08Z",270.5]]},
                        {"channel":"h1e","unit":"kWh","points":[[1714521600.5, 1.25]]}]}"#;
        let (points, errors) = decode(body).unwrap();
        assert!(errors.is_empty());
        assert_eq!(
            points[1].point,
            Point {
                ts_ms: 1_714_521_608_000,
                value: 270.5
            }
        );
        assert_eq!(
            points[2].point,
            Point {
                ts_ms: 1_714_521_600_500,
                value: 1250.0
            }
        );
        assert_eq!(points[2].unit, Unit::WattHour);
    }

    #[test]
    fn bad_points_are_named_good_ones_kept() {
        let body = br#"{"readings":[{"channel":"h1","points":[[1,2],[1,"x"],["yesterday",3],[5]]},{"channel":"h2","unit":"V","points":[]}]}"#;
        let (points, errors) = decode(body).unwrap();
        assert_eq!(points.len(), 1);
        let reasons: Vec<&str> = errors.iter().map(|e| e.reason.as_str()).collect();
        assert!(
            reasons[0].starts_with("readings[0].points[1]: value"),
            "{reasons:?}"
        );
        assert!(
            reasons[1].starts_with("readings[0].points[2]: timestamp 'yesterday'"),
            "{reasons:?}"
        );
        assert!(
            reasons[2].starts_with("readings[0].points[3]"),
            "{reasons:?}"
        );
        assert!(reasons[3].contains("unknown unit 'V'"), "{reasons:?}");
        assert!(matches!(
            decode(b"{\"readings\": 3}"),
            Err(JsonError::Body(_))
        ));
    }
}
