//! Command-line interface: one subcommand per module. `--config FILE` (or `VOISINS_CONFIG`) is
//! given once, before or after the subcommand; without it, `voisins.toml` in the current
//! directory is used.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "voisins",
    version,
    about = "Voisins — a data platform for citizen energy communities"
)]
struct Cli {
    /// The configuration file (default: voisins.toml in the current directory).
    #[arg(long, global = true, env = "VOISINS_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server from the configuration file.
    Serve {
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
    /// Check the configuration file, and say what is legal but unwise.
    Check,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import CSV files (grid-operator exports, cabin quarter-hours, timestamp,value readings).
    Csv(crate::import::CsvArgs),
}

/// The configuration file to use.
pub fn config_path(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    match given {
        Some(p) => Ok(p.to_path_buf()),
        None if Path::new("voisins.toml").exists() => Ok(PathBuf::from("voisins.toml")),
        None => anyhow::bail!(
            "no configuration: give --config FILE (or set VOISINS_CONFIG); `voisins config example > voisins.toml` writes a documented one"
        ),
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = cli.config.clone();
    let path = || config_path(config.as_deref());
    let result = match cli.command {
        Command::Serve { listen } => path().and_then(|p| crate::serve::run_from_config(&p, listen)),
        Command::Demo(args) => crate::demo::run(args),
        Command::Config {
            command: ConfigCommand::Example,
        } => {
            print!("{}", crate::config::EXAMPLE);
            Ok(())
        }
        Command::Config {
            command: ConfigCommand::Check,
        } => path().and_then(|p| {
            let c = crate::config::Config::load(&p)?;
            for w in c.warnings() {
                println!("warning: {w}");
            }
            println!("{}: ok", p.display());
            Ok(())
        }),
        Command::Generate(args) => crate::generate::run(args),
        Command::Import {
            command: ImportCommand::Csv(args),
        } => path().and_then(|p| crate::import::run(&p, args)),
        Command::Admin(cmd) => path().and_then(|p| crate::admin::run(&p, cmd)),
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
