//! `ruler`: evaluates Prometheus rules against a Thanos Querier. Flag names follow `thanos rule`.

use std::path::PathBuf;
use std::process::ExitCode;

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
    /// Run the rule evaluator (not implemented yet: issue 3).
    Run,
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
        Command::Run => {
            eprintln!("ruler run: not implemented yet");
            ExitCode::from(2)
        }
        Command::Check { what: Check::Rules { files } } => {
            match ruler::check::check_rules(&files, &mut std::io::stdout().lock()) {
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
