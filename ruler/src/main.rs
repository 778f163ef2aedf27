//! `ruler`: evaluates Prometheus rules against a Thanos Querier. Flag names follow `thanos rule`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ruler::flags::{AlertArgs, HttpArgs, LogArgs, QueryArgs, RuleArgs, StorageArgs};

/// Evaluates Prometheus recording and alerting rules against a Thanos Querier.
#[derive(Debug, Parser)]
#[command(name = "ruler", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Evaluate rules against the querier and send alerts to Alertmanager.
    Run(Box<RunArgs>),
    /// Evaluate rules over a past range and write Thanos-ready blocks, one per 2h window.
    ///
    /// Each group is evaluated at the slots `ruler run` would have used (its grid, query_offset),
    /// from range queries (step = the group's interval) with the same parameters (dedup,
    /// partial_response): recording outputs, ALERTS and ALERTS_FOR_STATE, staleness markers.
    /// Alert states start empty at --start. Groups go in file order; a rule reading an earlier
    /// recording rule's output gets that rule's expression in its place, so it sees this run's values.
    Backfill(Box<ruler::backfill::BackfillArgs>),
    /// Check configuration files.
    Check {
        #[command(subcommand)]
        what: Check,
    },
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    #[command(flatten)]
    query: QueryArgs,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    alert: AlertArgs,
    #[command(flatten)]
    http: HttpArgs,
    #[command(flatten)]
    storage: StorageArgs,
    #[command(flatten)]
    log: LogArgs,
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
        Command::Run(args) => {
            let RunArgs { query, rules, alert, http, storage, log } = *args;
            init_logging(&log);
            let bucket = match storage.prepare() {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("ruler run: {e}");
                    return ExitCode::from(2);
                }
            };
            let mut config = ruler::flags::run_config(&query, &rules, &alert, &storage, bucket);
            config.console_dir = http.console_dir.clone();
            let runtime = match tokio::runtime::Runtime::new() {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("ruler run: start runtime: {e}");
                    return ExitCode::from(2);
                }
            };
            let result = runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(&http.http_address).await?;
                ruler::run::run(config, listener, shutdown_signal()).await
            });
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e:#}");
                    eprintln!("ruler run: {e:#}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Backfill(args) => ruler::backfill::command(*args),
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

/// Logs to stderr in logfmt (`ts=… level=info target=… msg=…`, as Thanos logs) or JSON.
fn init_logging(log: &LogArgs) {
    let filter = tracing_subscriber::EnvFilter::new(&log.level);
    if log.format == "json" {
        tracing_subscriber::fmt().json().with_env_filter(filter).with_writer(std::io::stderr).init();
    } else {
        tracing_logfmt::builder()
            .subscriber_builder()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
