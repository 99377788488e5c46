//! JSON reading batches (`POST /api/v1/readings`):
//!
//! ```json
//! {"readings": [
//!   {"channel": "h001c", "unit": "W", "points": [[1714521600, 263], ["2024-05-01T00:00:08Z", 270.5]]}
//! ]}
//! ```
//! A timestamp is a Unix epoch (seconds, fractions allowed; milliseconds and finer are
//! recognised by their magnitude) or an RFC 3339 string; `unit` is `W` (default), `kW`, `Wh` or
//! `kWh`. Errors name the record: `readings[0].points[1]`; each point's `line` is its series'
//! position in the batch (1-based).

use domain::Point;
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

/// Decodes a batch. `Err` when the body is not a batch at all; otherwise the good points and
/// the rejected ones, each named by its record path.
pub fn decode(body: &[u8]) -> Result<(Vec<SeriesPoint>, Vec<LineError>), String> {
    let batch: Batch =
        serde_json::from_slice(body).map_err(|e| format!("invalid JSON batch: {e}"))?;
    let mut points = Vec::new();
    let mut errors = Vec::new();
    for (i, series) in batch.readings.iter().enumerate() {
        let unit_text = series.unit.as_deref().unwrap_or("W");
        let Some(scale) = crate::units::parse(unit_text) else {
            errors.push(LineError {
                line: i + 1,
                reason: format!(
                    "readings[{i}].unit: unknown unit '{}' ({})",
                    crate::timestamp::shorten(unit_text),
                    crate::units::KNOWN
                ),
            });
            continue;
        };
        if let Err(e) = domain::SeriesKey::parse(&series.channel) {
            errors.push(LineError {
                line: i + 1,
                reason: format!("readings[{i}].channel: {e}"),
            });
            continue;
        }
        let key: std::sync::Arc<str> = std::sync::Arc::from(series.channel.as_str());
        for (j, raw) in series.points.iter().enumerate() {
            match point(raw) {
                Ok((ts_ms, value)) => points.push(SeriesPoint {
                    series_key: key.clone(),
                    line: i + 1,
                    unit: scale.unit,
                    on_change: false,
                    point: Point {
                        ts_ms,
                        value: scale.apply(value),
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
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(int) => crate::timestamp::epoch_int_ms(int)?,
            None => crate::timestamp::epoch_ms(n.as_f64().ok_or("timestamp out of range")?)?,
        },
        serde_json::Value::String(s) => {
            crate::timestamp::parse_absolute(s).map_err(|e| format!("timestamp: {e}"))?
        }
        _ => return Err("timestamp must be a Unix epoch or an RFC 3339 string".into()),
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
    use domain::Unit;

    #[test]
    fn decodes_numbers_and_strings() {
        let body = br#"{"readings":[{"channel":"h1","points":[[1714521600,263],["2024-05-01T00:00:08Z",270.5]]},
                        {"channel":"h1e","unit":"kWh","points":[[1714521600.5, 1.25], [1714521601000, 1.5]]}]}"#;
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
        assert_eq!(
            points[3].point.ts_ms, 1_714_521_601_000,
            "milliseconds recognised"
        );
        assert_eq!(points[3].line, 2);
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
            reasons[1].starts_with("readings[0].points[2]: timestamp: 'yesterday'"),
            "{reasons:?}"
        );
        assert!(
            reasons[2].starts_with("readings[0].points[3]"),
            "{reasons:?}"
        );
        assert!(reasons[3].contains("unknown unit 'V'"), "{reasons:?}");
        assert!(decode(b"{\"readings\": 3}").is_err());
    }
}
