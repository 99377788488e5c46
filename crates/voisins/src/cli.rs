//! Command-line interface: one subcommand per module.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "voisins",
    version,
    about = "Voisins — a data platform for citizen energy communities"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server from a configuration file.
    Serve {
        #[arg(long)]
        config: PathBuf,
        /// Override [server] listen.
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Create a realistic demo community on the embedded store and serve it, with live meters.
    Demo(crate::demo::DemoArgs),
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Write generated readings (line protocol or CSV) for benchmarks and other databases.
    Generate(crate::generate::GenerateArgs),
    /// Import files.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Members, meters, channels, users and tokens.
    #[command(flatten)]
    Admin(crate::admin::AdminCommand),
    /// Measure ingest, disk, query time and memory on the standard dataset or a file.
    Bench(crate::bench::BenchArgs),
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the documented example configuration.
    Example,
    /// Check a configuration file.
    Check {
        #[arg(long)]
        config: PathBuf,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import CSV files (grid-operator exports, cabin quarter-hours, timestamp,value readings).
    Csv(crate::import::CsvArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve { config, listen } => crate::serve::run_from_config(&config, listen),
        Command::Demo(args) => crate::demo::run(args),
        Command::Config {
            command: ConfigCommand::Example,
        } => {
            print!("{}", crate::config::EXAMPLE);
            Ok(())
        }
        Command::Config {
            command: ConfigCommand::Check { config },
        } => crate::config::Config::load(&config).map(|c| println!("ok: {c:#?}")),
        Command::Generate(args) => crate::generate::run(args),
        Command::Import {
            command: ImportCommand::Csv(args),
        } => crate::import::run(args),
        Command::Admin(cmd) => crate::admin::run(cmd),
        Command::Bench(args) => crate::bench::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr; `RUST_LOG=debug` for more.
pub fn init_logging() {
    let level = match std::env::var("RUST_LOG").as_deref() {
        Ok("debug") => tracing::Level::DEBUG,
        Ok("trace") => tracing::Level::TRACE,
        Ok("warn") => tracing::Level::WARN,
        Ok("error") => tracing::Level::ERROR,
        _ => tracing::Level::INFO,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .try_init();
}
