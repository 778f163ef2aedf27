//! `ruler run`: its flags (`thanos rule` names, grouped by component in [`super::flags`]), logging,
//! signals and exit codes around [`crate::manager::run`].

use std::process::ExitCode;

use super::flags::{label_name, AlertArgs, GrpcArgs, HttpArgs, LogArgs, QueryArgs, RuleArgs, StorageArgs};
use crate::manager::Listeners;

// The flags of `ruler run`, by component.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    query: QueryArgs,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    alert: AlertArgs,
    #[command(flatten)]
    http: HttpArgs,
    #[command(flatten)]
    grpc: GrpcArgs,
    #[command(flatten)]
    storage: StorageArgs,
    #[command(flatten)]
    log: LogArgs,
}

/// Runs until SIGTERM or Ctrl-C: 0 after an ordered shutdown, 1 on a failure while running, 2 when
/// it cannot start.
pub fn command(args: RunArgs) -> ExitCode {
    let RunArgs { query, rules, mut alert, http, grpc, storage, log } = args;
    init_logging(&log);
    for raw in std::mem::take(&mut alert.label_drop) {
        match label_name("--alert.label-drop", &raw) {
            Ok((name, quoted)) => {
                if quoted {
                    tracing::warn!(
                        flag = "--alert.label-drop",
                        given = raw,
                        used = name,
                        "quotes taken off a label name"
                    );
                }
                alert.label_drop.push(name);
            }
            Err(e) => {
                eprintln!("ruler run: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let bucket = match storage.prepare() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("ruler run: {e}");
            return ExitCode::from(2);
        }
    };
    let mut config = super::flags::run_config(&query, &rules, &alert, &storage, bucket);
    config.console_dir = http.console_dir.clone();
    config.grpc = grpc.config();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ruler run: start runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async move {
        let http = tokio::net::TcpListener::bind(&http.http_address).await?;
        let grpc = tokio::net::TcpListener::bind(&grpc.grpc_address).await?;
        crate::manager::run(config, Listeners { http, grpc }, shutdown_signal()).await
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
