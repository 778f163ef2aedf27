//! `ruler`: evaluates Prometheus rules against a Thanos Querier (work in progress; see issue 3).

use clap::{Parser, Subcommand};

/// Evaluates Prometheus recording and alerting rules against a Thanos Querier.
#[derive(Debug, Parser)]
#[command(name = "ruler", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the rule evaluator (not implemented yet).
    Run,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Run => anyhow::bail!("ruler run: not implemented yet"),
    }
}
