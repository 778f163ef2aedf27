//! `ruler run`'s wiring: opens storage, resolves addresses, starts the scheduler, the housekeeping
//! loops, the notifier and the HTTP API, handles reloads, and shuts down in order.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, Notify};

use crate::client::config::EndpointGroup;
use crate::client::{Client, ClientError};
use crate::config::{load_groups, LoadError};
use crate::discovery::{AddressError, DnsResolver, Endpoints, LookupError};
use crate::grpc;
use crate::manager::clock::SystemClock;
use crate::manager::housekeeping::{housekeeping, refresh, shipping};
use crate::manager::scheduler::{Scheduler, Shared};
use crate::manager::watch;
use crate::manager::RunConfig;
use crate::metrics::Metrics;
use crate::notifier::alertmanager::{Alertmanagers, Route};
use crate::objstore::BucketError;
use crate::query::http::HttpQuerier;
use crate::rules::restore::Restore;
use crate::server_tls::listener::TlsListener;
use crate::shipper::Shipper;
use crate::storage::Storage;
use crate::web::api::{self, ReloadRequest};
use crate::web::web_config::{self, WebConfigError, WebConfigFile};

/// Why `ruler run` could not start, or stopped with a failure.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Rules(#[from] LoadError),
    #[error("query API {0}")]
    Query(AddressError),
    #[error("Alertmanager {0}")]
    Alertmanagers(AddressError),
    #[error("{what} {name}: {source}")]
    Client { what: &'static str, name: String, source: ClientError },
    #[error(transparent)]
    Dns(#[from] LookupError),
    #[error("--data-dir {dir}: {source}")]
    Storage { dir: String, source: crate::tsdb::Error },
    #[error("--objstore.config: {0}")]
    Bucket(#[from] BucketError),
    /// The listener, the signal handler or the HTTP server failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("HTTP server task: {0}")]
    Server(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Grpc(#[from] crate::grpc::server::ServeError),
    #[error("--http.config {0}")]
    WebConfig(#[from] WebConfigError),
}

/// Where the APIs listen, bound before the run starts.
pub struct Listeners {
    pub http: tokio::net::TcpListener,
    pub grpc: tokio::net::TcpListener,
}

/// Runs until `shutdown` completes: every group on its own task, the HTTP API and the gRPC API.
/// SIGHUP, `POST /-/reload` and a change the watcher sees reload the rule files; if any file is bad,
/// the running rules stay.
pub async fn run(
    config: RunConfig,
    listeners: Listeners,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let Listeners { http: listener, grpc: grpc_listener } = listeners;
    let web_config = config.http_config.as_deref().map(WebConfigFile::load).transpose()?.map(Arc::new);
    let groups = load_groups(&config.rule_files, &config.defaults)?;
    tracing::info!(groups = groups.len(), "rules loaded");
    let metrics = Arc::new(Metrics::new());
    let queriers = Arc::new(Endpoints::from_groups(&config.queriers, None).map_err(RunError::Query)?);
    let alertmanagers =
        Arc::new(Endpoints::from_groups(&config.alertmanagers, Some(9093)).map_err(RunError::Alertmanagers)?);
    let query_clients = clients("query API", &config.queriers)?;
    let routes = clients("Alertmanager", &config.alertmanagers)?
        .into_iter()
        .zip(&config.alertmanagers)
        .map(|(client, g)| Route { name: g.name.clone(), client, api_version: g.api_version })
        .collect();
    let resolver = Arc::new(DnsResolver::new(config.nameserver)?);
    // First lookups before the first evaluation; then in the background, as often as the DNS
    // interval or the most eager address file asks.
    let mut resolving = Vec::new();
    for (what, endpoints, every) in [
        ("query", &queriers, refresh_every(config.query_dns_interval, &config.queriers)),
        (
            "alertmanager",
            &alertmanagers,
            refresh_every(config.alertmanager_dns_interval, &config.alertmanagers),
        ),
    ] {
        if endpoints.needs_refresh() {
            refresh(what, endpoints, &resolver, &metrics).await;
            let (endpoints, resolver, metrics) = (endpoints.clone(), resolver.clone(), metrics.clone());
            resolving.push(tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    refresh(what, &endpoints, &resolver, &metrics).await;
                }
            }));
        }
    }
    let (storage, report) = Storage::open(&config.data_dir, config.storage.clone())
        .map_err(|source| RunError::Storage { dir: config.data_dir.display().to_string(), source })?;
    tracing::info!(
        blocks = report.blocks,
        replayed = report.replayed_samples,
        torn_bytes = report.torn_bytes,
        removed_tmp = report.removed_tmp,
        "storage opened"
    );
    // What alerts were before the restart, read before any evaluation adds to it.
    let restore = Restore {
        opts: config.restore,
        states: storage.latest("ALERTS_FOR_STATE"),
        kept_firing: storage.kept_firing(),
    };
    let storage = Arc::new(storage);
    // Blocks are cut half a window after the window ends: check a few times per half window.
    let every = Duration::from_millis((config.storage.block_ms as u64 / 4).clamp(250, 30_000));
    let shipper = match &config.bucket {
        Some(b) => Some(Shipper::new(&config.data_dir, b)?),
        None => None,
    };
    // A pass after every housekeeping round (and one at start), on its own task: a slow bucket
    // delays neither evaluations nor block cutting.
    let ship = Arc::new(Notify::new());
    let shipper_task = shipper.map(|s| {
        ship.notify_one();
        tokio::spawn(shipping(s, ship.clone(), metrics.clone()))
    });
    let housekeeping = tokio::spawn(housekeeping(storage.clone(), metrics.clone(), every, ship));
    let notifier = Arc::new(Alertmanagers::start(alertmanagers, routes, QUEUE_CAPACITY, metrics.clone()));
    let shared = Arc::new(Shared {
        querier: Arc::new(HttpQuerier::new(query_clients, queriers, config.query_method)),
        notifier: notifier.clone(),
        storage,
        sink: Arc::default(),
        published: Arc::default(),
        last_reload: Arc::default(),
        config: Arc::new(config),
        metrics,
        clock: Arc::new(SystemClock),
    });
    let mut scheduler = Scheduler::new(shared.clone(), Some(restore));
    shared.record_reload(None);
    scheduler.start(groups);

    let (reload_tx, mut reload_rx) = mpsc::channel::<ReloadRequest>(4);
    let app = api::router(api::ApiState {
        published: shared.published.clone(),
        last_reload: shared.last_reload.clone(),
        metrics: shared.metrics.clone(),
        reload: reload_tx,
        sink: shared.sink.clone(),
        external_labels: shared.config.defaults.external_labels.clone(),
        console_dir: shared.config.console_dir.clone(),
    });
    let identity = grpc::info::Identity {
        storage: shared.storage.clone(),
        external_labels: shared.config.defaults.external_labels.clone(),
    };
    let services = grpc::server::Services {
        identity: identity.clone(),
        store: grpc::store::StoreApi { identity, limits: shared.config.grpc.limits },
        rules: grpc::rules::RulesApi {
            published: shared.published.clone(),
            external_labels: shared.config.defaults.external_labels.clone(),
        },
    };
    tracing::info!(address = %grpc_listener.local_addr()?, tls = shared.config.grpc.tls.is_some(), "serving gRPC");
    let (stop_grpc, grpc_stopped) = oneshot::channel::<()>();
    let tls = shared.config.grpc.tls.clone();
    let mut grpc_server = tokio::spawn(async move {
        grpc::server::serve(grpc_listener, services, tls.as_ref(), async {
            let _ = grpc_stopped.await;
        })
        .await
    });
    let address = listener.local_addr()?;
    let (app, listener) = match &web_config {
        None => (app, HttpListener::Plain(listener)),
        Some(file) => {
            let app = app.layer(axum::middleware::from_fn_with_state(file.clone(), web_config::guard));
            match file.current().tls {
                Some(_) => {
                    let file = file.clone();
                    let current = Arc::new(move || file.current().tls.clone());
                    (app, HttpListener::Tls(TlsListener::new(listener, current)?))
                }
                None => (app, HttpListener::Plain(listener)),
            }
        }
    };
    let tls = matches!(listener, HttpListener::Tls(_));
    tracing::info!(%address, tls, auth = web_config.is_some(), "serving HTTP");
    let (stop_http, http_stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let stopped = async {
            let _ = http_stopped.await;
        };
        match listener {
            HttpListener::Tls(tls) => axum::serve(tls, app).with_graceful_shutdown(stopped).await,
            HttpListener::Plain(tcp) => axum::serve(tcp, app).with_graceful_shutdown(stopped).await,
        }
    });

    let (changed_tx, mut changed) = mpsc::channel::<()>(1);
    let watcher = (!shared.config.rule_watch_interval.is_zero()).then(|| {
        let (patterns, every) = (shared.config.rule_files.clone(), shared.config.rule_watch_interval);
        tokio::spawn(watch::watch(patterns, every, changed_tx))
    });
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            // The gRPC server ended on its own: it could not start (a bad certificate) or failed.
            ended = &mut grpc_server => {
                scheduler.stop_gracefully().await;
                ended??;
                return Err(RunError::Io(std::io::Error::other("gRPC server stopped")));
            }
            Some(reply) = reload_rx.recv() => {
                let _ = reply.send(scheduler.reload().await.map_err(|e| e.to_string()));
            }
            _ = hangup.recv() => {
                let _ = scheduler.reload().await;
            }
            Some(()) = changed.recv() => {
                let _ = scheduler.reload().await;
            }
        }
    }
    // Ordered: stop evaluating (an evaluation in progress finishes and queues its alerts), deliver
    // what is queued, then stop the API.
    tracing::info!("shutting down: stopping evaluation");
    scheduler.stop_gracefully().await;
    for task in resolving.into_iter().chain(watcher) {
        task.abort();
    }
    housekeeping.abort();
    if let Some(task) = shipper_task {
        task.abort();
    }
    let longest = shared.config.alertmanagers.iter().filter_map(|g| g.timeout).max();
    let timeout = longest.unwrap_or(shared.config.send_timeout) + Duration::from_secs(1);
    tracing::info!("shutting down: sending queued alerts");
    notifier.drain(timeout).await;
    let _ = stop_http.send(());
    server.await??;
    // Calls in progress (a long Series stream) get the grace period.
    let _ = stop_grpc.send(());
    match tokio::time::timeout(shared.config.grpc.grace, &mut grpc_server).await {
        Ok(ended) => ended??,
        Err(_) => {
            tracing::warn!("gRPC calls still running after --grpc-grace-period: cut off");
            grpc_server.abort();
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// The HTTP port, behind TLS when `--http.config` says so.
enum HttpListener {
    Plain(tokio::net::TcpListener),
    Tls(TlsListener),
}

/// A client per group, checked now so a bad TLS file or credential setting stops the start.
fn clients(what: &'static str, groups: &[EndpointGroup]) -> Result<Vec<Client>, RunError> {
    groups
        .iter()
        .map(|g| {
            Client::new(g.http.clone(), g.timeout).map_err(|source| RunError::Client {
                what,
                name: g.name.clone(),
                source,
            })
        })
        .collect()
}

fn refresh_every(dns: Duration, groups: &[EndpointGroup]) -> Duration {
    groups.iter().flat_map(|g| g.files.iter().map(|f| f.refresh)).fold(dns, Duration::min)
}

/// Alerts each Alertmanager's queue holds (as `thanos rule`).
pub const QUEUE_CAPACITY: usize = 10_000;
