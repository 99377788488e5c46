//! `voisins import csv`: grid-operator exports, cabin quarter-hours and generic readings, with a
//! progress bar and a summary per file. Rejected rows are listed by line; good rows are kept.

use std::path::{Path, PathBuf};

use anyhow::Context;
use app::import::{ImportFormat, ImportOptions, Meaning};
use clap::{Args, ValueEnum};
use domain::{ChannelKind, MeterId};
use ingest::csv::ColumnMapping;

use crate::admin::ChannelKindArg;

#[derive(Clone, Copy, ValueEnum, Debug, PartialEq, Eq)]
pub enum CsvFormat {
    /// Grid-operator quarter-hour export (date, time, register, kWh, real/estimated).
    Grid,
    /// Quarter-hour energies (kWh) of one channel, e.g. a low-voltage cabin.
    Slots,
    /// Raw timestamp,value readings of one channel.
    Points,
}

#[derive(Clone, Copy, ValueEnum, Debug, PartialEq, Eq)]
pub enum PointsUnit {
    #[value(name = "W")]
    W,
    #[value(name = "kW")]
    Kw,
    #[value(name = "Wh")]
    Wh,
    #[value(name = "kWh")]
    Kwh,
}

#[derive(Clone, Copy, ValueEnum, Debug, PartialEq, Eq)]
pub enum ValuesArg {
    /// A power sample (or a counter's reading) at the timestamp.
    Sample,
    /// The mean power of the interval that ends at the timestamp.
    MeanEnding,
    /// The mean power of the interval that starts at the timestamp.
    MeanStarting,
    /// The energy of the interval that ends at the timestamp.
    EnergyEnding,
    /// The energy of the interval that starts at the timestamp.
    EnergyStarting,
}

impl From<ValuesArg> for Meaning {
    fn from(v: ValuesArg) -> Meaning {
        match v {
            ValuesArg::Sample => Meaning::Sample,
            ValuesArg::MeanEnding => Meaning::MeanEnding,
            ValuesArg::MeanStarting => Meaning::MeanStarting,
            ValuesArg::EnergyEnding => Meaning::EnergyEnding,
            ValuesArg::EnergyStarting => Meaning::EnergyStarting,
        }
    }
}

#[derive(Args, Debug)]
pub struct CsvArgs {
    /// Files to import.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "grid")]
    pub format: CsvFormat,
    /// Channel (series name) for slots and points files.
    #[arg(long)]
    pub channel: Option<String>,
    /// Unit of a points file (kW and kWh are stored as W and Wh).
    #[arg(long, value_enum, default_value = "W")]
    pub unit: PointsUnit,
    /// What a points file's values mean: instantaneous readings, mean powers or energies over
    /// the interval that ends or starts at the timestamp.
    #[arg(long, value_enum, default_value = "sample")]
    pub values: ValuesArg,
    /// The interval a row of means or energies stands for, in seconds (by default the most
    /// common step between the file's timestamps).
    #[arg(long, value_parser = clap::value_parser!(i64).range(1..=86_400))]
    pub interval_seconds: Option<i64>,
    /// Kind of the channel of a slots or points file.
    #[arg(long, value_enum)]
    pub kind: Option<ChannelKindArg>,
    /// Column mapping, e.g. "date=Van Datum,time=Van Tijdstip,value=Volume".
    #[arg(long, default_value = "")]
    pub columns: String,
    /// Put new channels on this meter.
    #[arg(long)]
    pub meter: Option<i64>,
}

pub fn run(config_path: &Path, args: CsvArgs) -> anyhow::Result<()> {
    let app = crate::config::Config::load(config_path)?.open_app()?;
    let mapping = ColumnMapping::parse(&args.columns).map_err(anyhow::Error::msg)?;
    let channel = || {
        args.channel
            .clone()
            .context("--channel NAME is required for this format")
    };
    let format = match args.format {
        CsvFormat::Grid => ImportFormat::Grid,
        CsvFormat::Slots => ImportFormat::Slots {
            channel: channel()?,
            kind: args.kind.map_or(ChannelKind::Cabin, Into::into),
        },
        CsvFormat::Points => {
            let name = args
                .unit
                .to_possible_value()
                .expect("every unit has a name");
            let scale = ingest::units::parse(name.get_name()).expect("a unit of the unit table");
            ImportFormat::Points {
                channel: channel()?,
                scale,
                kind: args.kind.map_or(ChannelKind::Consumption, Into::into),
                meaning: args.values.into(),
            }
        }
    };
    let options = ImportOptions {
        format,
        mapping,
        meter_id: args.meter.map(MeterId::new),
        interval_ms: args.interval_seconds.map(|s| s * 1000),
    };
    let mut rejected_total = 0;
    for file in &args.files {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{prefix} {bar:40} {pos}/{len}")
                .expect("template"),
        );
        bar.set_prefix(file.display().to_string());
        let summary = app
            .import_csv(&text, &options, &mut |done, total| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            })
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        bar.finish_and_clear();
        println!(
            "{}: {} rows, {} imported, {} skipped, {} rejected (channels: {})",
            file.display(),
            summary.rows,
            summary.imported,
            summary.skipped,
            summary.rejected.len(),
            summary.channels.join(", ")
        );
        for e in summary.rejected.iter().take(50) {
            println!("  {}:{}: {}", file.display(), e.line, e.reason);
        }
        if summary.rejected.len() > 50 {
            println!("  … and {} more", summary.rejected.len() - 50);
        }
        rejected_total += summary.rejected.len();
    }
    anyhow::ensure!(
        rejected_total == 0,
        "{rejected_total} row(s) rejected; the other rows were imported"
    );
    Ok(())
}
