//! `voisins generate`: the standard dataset (or any size) as line protocol or CSV, exactly what
//! the benchmark and other databases ingest.

use std::io::BufWriter;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use sim::Generator;

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
    anyhow::ensure!(
        args.step_seconds > 0 && args.days > 0 && args.households > 0,
        "households, days and step must be positive"
    );
    let start_ms = ingest::timestamp::parse_absolute(&args.start)
        .map_err(|e| anyhow::anyhow!("--start: {e}"))?;
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let generator = Generator::new(args.seed, args.households, args.pv_share, 0);
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {percent}% {eta} left")
            .expect("template"),
    );
    let format = match args.format {
        Format::LineProtocol => sim::Format::LineProtocol,
        Format::Csv => sim::Format::Csv,
    };
    let n = sim::write_line_protocol(
        &generator,
        start_ms,
        start_ms + args.days * 86_400_000,
        args.step_seconds * 1000,
        format,
        &mut BufWriter::with_capacity(1 << 20, file),
        &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        },
    )?;
    bar.finish_and_clear();
    eprintln!("{n} points written to {}", args.out.display());
    Ok(())
}
