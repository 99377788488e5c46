//! The `voisins` binary: parses the command line and runs one subcommand.

mod admin;
mod bench;
mod cli;
mod config;
mod demo;
mod generate;
mod import;
mod serve;

fn main() -> std::process::ExitCode {
    cli::main()
}
