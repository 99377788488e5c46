//! `voisins generate`: the standard dataset (or any size) as line protocol or CSV, exactly what
//! the benchmark and other databases ingest.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use app::demo::Generator;
use clap::{Args, ValueEnum};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum Format {
    LineProtocol,
    Csv,
}

#[derive(Args, Debug, Clone)]
pub struct GenerateArgs {
    #[arg(long, default_value_t = 100)]
    pub households: usize,
    #[arg(long, default_value_t = 7)]
    pub days: i64,
    #[arg(long, default_value_t = 8)]
    pub step_seconds: i64,
    /// First instant (RFC 3339).
    #[arg(long, default_value = "2024-05-01T00:00:00Z")]
    pub start: String,
    /// Share of households with PV.
    #[arg(long, default_value_t = 0.5)]
    pub pv_share: f64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long, value_enum, default_value = "line-protocol")]
    pub format: Format,
    #[arg(long)]
    pub out: PathBuf,
}

pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let n = write(&args, &mut BufWriter::with_capacity(1 << 20, file))?;
    eprintln!("{n} points written to {}", args.out.display());
    Ok(())
}

/// Writes the dataset, time-major (every series at one instant, then the next instant).
pub fn write(args: &GenerateArgs, out: &mut dyn Write) -> anyhow::Result<u64> {
    anyhow::ensure!(
        args.step_seconds > 0 && args.days > 0 && args.households > 0,
        "households, days and step must be positive"
    );
    let start_ms = args
        .start
        .parse::<jiff::Timestamp>()
        .with_context(|| format!("--start '{}'", args.start))?
        .as_millisecond();
    let generator = Generator::new(args.seed, args.households, args.pv_share, 0);
    let series = generator.series();
    let end_ms = start_ms + args.days * 86_400_000;
    let step_ms = args.step_seconds * 1000;
    let bar = indicatif::ProgressBar::new(((end_ms - start_ms) / step_ms) as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {percent}% {eta} left")
            .expect("template"),
    );
    if args.format == Format::Csv {
        writeln!(out, "timestamp,sensor,value")?;
    }
    let mut count = 0u64;
    let mut t = start_ms;
    let mut day = generator.local_day(t);
    let mut plans: Vec<_> = series
        .iter()
        .map(|s| generator.day(s.household, &day))
        .collect();
    let mut buf = itoa_buf();
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
            match args.format {
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
                    let ts = jiff::Timestamp::from_millisecond(t)?;
                    writeln!(out, "{ts},{},{w}", s.key)?;
                }
            }
            count += 1;
        }
        t += step_ms;
        if (t / step_ms) % 1000 == 0 {
            bar.set_position(((t - start_ms) / step_ms) as u64);
        }
    }
    bar.finish_and_clear();
    out.flush()?;
    Ok(count)
}

fn itoa_buf() -> [u8; 24] {
    [0u8; 24]
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
        let args = GenerateArgs {
            households: 4,
            days: 1,
            step_seconds: 3600,
            start: "2024-05-01T00:00:00Z".into(),
            pv_share: 0.5,
            seed: 42,
            format: Format::LineProtocol,
            out: PathBuf::new(),
        };
        let mut out = Vec::new();
        let n = write(&args, &mut out).unwrap();
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
        assert_eq!(fmt_int(&mut itoa_buf(), -205), b"-205");
    }
}
