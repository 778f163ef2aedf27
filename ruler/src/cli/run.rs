//! `ruler run`: its flags (`thanos rule` names, grouped by component in [`super::flags`]), logging,
//! signals and exit codes around [`crate::manager::run`].

use std::process::ExitCode;

use super::flags::{label_name, AlertArgs, GrpcArgs, HttpArgs, LogArgs, QueryArgs, RuleArgs, StorageArgs};
use crate::manager::Listeners;
use crate::relabel::{Relabel, RelabelError};

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
    // Checked as Thanos does, on a stand-in expression.
    if let Err(e) = crate::template::query_link(&alert.query_template, "test_expr") {
        eprintln!("ruler run: --alert.query-template: {e}");
        return ExitCode::from(2);
    }
    let relabel = match alert_relabel(&alert) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ruler run: {e}");
            return ExitCode::from(2);
        }
    };
    let mut config = super::flags::run_config(&query, &rules, &alert, &storage, bucket);
    match (query.config_groups(), alert.config_groups()) {
        (Ok(q), Ok(a)) => {
            if let Some(q) = q {
                config.queriers = q;
            }
            if let Some(a) = a {
                config.alertmanagers = a;
            }
        }
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("ruler run: {e}");
            return ExitCode::from(2);
        }
    }
    config.notify.relabel = relabel;
    config.console_dir = http.console_dir.clone();
    config.http_config = http.http_config.clone();
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

/// Why the alert relabelling flags cannot be used.
#[derive(Debug, thiserror::Error)]
enum RelabelFlagError {
    #[error("--alert.relabel-config: {0}")]
    Content(RelabelError),
    #[error("--alert.relabel-config-file: reading {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("--alert.relabel-config-file: {path}: {source}")]
    File { path: String, source: RelabelError },
}

/// `--alert.relabel-config` or the file `--alert.relabel-config-file` names, checked.
fn alert_relabel(alert: &AlertArgs) -> Result<Relabel, RelabelFlagError> {
    match (&alert.relabel_config, &alert.relabel_config_file) {
        (Some(yaml), _) => Relabel::parse(yaml).map_err(RelabelFlagError::Content),
        (None, Some(path)) => {
            let name = path.display().to_string();
            let yaml = std::fs::read_to_string(path)
                .map_err(|source| RelabelFlagError::Read { path: name.clone(), source })?;
            Relabel::parse(&yaml).map_err(|source| RelabelFlagError::File { path: name, source })
        }
        (None, None) => Ok(Relabel::default()),
    }
}
