//! The generator's readings as text: line protocol (as a Flukso bridge or Telegraf sends it)
//! or CSV, time-major (every series at one instant, then the next).

use std::io::Write;

use crate::Generator;

/// Text format of generated readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    LineProtocol,
    Csv,
}

/// Writes every series of `generator` every `step_ms` over `[start_ms, end_ms)`; returns how
/// many points. `progress(done, total)` is called every thousand instants.
pub fn write_line_protocol(
    generator: &Generator,
    start_ms: i64,
    end_ms: i64,
    step_ms: i64,
    format: Format,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64, u64),
) -> std::io::Result<u64> {
    let series = generator.series();
    let total = ((end_ms - start_ms) / step_ms.max(1)) as u64;
    if format == Format::Csv {
        writeln!(out, "timestamp,sensor,value")?;
    }
    let mut count = 0u64;
    let mut t = start_ms;
    let mut day = generator.local_day(t);
    let mut plans: Vec<_> = series
        .iter()
        .map(|s| generator.day(s.household, &day))
        .collect();
    let mut buf = [0u8; 24];
    while t < end_ms {
        if t >= day.end.start_ms() {
            day = generator.local_day(t);
            plans = series
                .iter()
                .map(|s| generator.day(s.household, &day))
                .collect();
        }
        for (s, plan) in series.iter().zip(&plans) {
            let w = plan.power_w(s.kind, t) as i64;
            match format {
                Format::LineProtocol => {
                    out.write_all(b"power,sensor=")?;
                    out.write_all(s.key.as_bytes())?;
                    out.write_all(b" value=")?;
                    out.write_all(fmt_int(&mut buf, w))?;
                    out.write_all(b"i ")?;
                    out.write_all(fmt_int(&mut buf, t * 1_000_000))?;
                    out.write_all(b"\n")?;
                }
                Format::Csv => {
                    let ts = jiff::Timestamp::from_millisecond(t)
                        .map(|t| t.to_string())
                        .unwrap_or_default();
                    writeln!(out, "{ts},{},{w}", s.key)?;
                }
            }
            count += 1;
        }
        t += step_ms;
        if (t / step_ms) % 1000 == 0 {
            progress(((t - start_ms) / step_ms) as u64, total);
        }
    }
    out.flush()?;
    Ok(count)
}

fn fmt_int(buf: &mut [u8; 24], v: i64) -> &[u8] {
    let mut n = v.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_shape_in_small() {
        let generator = Generator::new(42, 4, 0.5, 0);
        let mut out = Vec::new();
        let start = 1_714_521_600_000;
        let n = write_line_protocol(
            &generator,
            start,
            start + 86_400_000,
            3_600_000,
            Format::LineProtocol,
            &mut out,
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!(n, 24 * 6, "4 consumption + 2 production series, 24 hours");
        let text = String::from_utf8(out).unwrap();
        let first = text.lines().next().unwrap();
        assert!(first.starts_with("power,sensor=h001c value="), "{first}");
        assert!(first.ends_with("i 1714521600000000000"), "{first}");
        let (points, errors) = ingest::line_protocol::decode(
            text.as_bytes(),
            ingest::line_protocol::Precision::Nanoseconds,
            &Default::default(),
            0,
        );
        assert!(errors.is_empty());
        assert_eq!(points.len(), 144);
        assert_eq!(fmt_int(&mut [0; 24], -205), b"-205");
    }
}
