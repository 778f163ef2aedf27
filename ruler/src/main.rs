//! `ruler`: evaluates Prometheus rules against a Thanos Querier. Flag names follow `thanos rule`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ruler::cli;

/// Evaluates Prometheus recording and alerting rules against a Thanos Querier.
#[derive(Debug, Parser)]
#[command(name = "ruler", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Evaluate rules against the querier and send alerts to Alertmanager; serve results and rules
    /// to Thanos Queriers over gRPC. Also `ruler rule`, as `thanos rule` is called.
    #[command(alias = "rule")]
    Run(Box<cli::run::RunArgs>),
    /// Evaluate rules over a past range and write Thanos-ready blocks, one per 2h window.
    ///
    /// Each group is evaluated at the slots `ruler run` would have used (its grid, query_offset),
    /// from range queries (step = the group's interval) with the same parameters (dedup,
    /// partial_response): recording outputs, ALERTS and ALERTS_FOR_STATE, staleness markers.
    /// Alert states start empty at --start. Groups go in file order; a rule reading an earlier
    /// recording rule's output gets that rule's expression in its place, so it sees this run's values.
    Backfill(Box<cli::backfill::BackfillArgs>),
    /// Check configuration files.
    Check {
        #[command(subcommand)]
        what: Check,
    },
}

#[derive(Debug, Subcommand)]
enum Check {
    /// Check rule files (Prometheus format plus Thanos' partial_response_strategy). Exit 1 on any problem.
    Rules {
        /// Rule files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run(args) => cli::run::command(*args),
        Command::Backfill(args) => cli::backfill::command(*args),
        Command::Check { what: Check::Rules { files } } => {
            match cli::check::check_rules(&files, &mut std::io::stdout().lock()) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::from(1),
                Err(e) => {
                    eprintln!("ruler check rules: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
