//! `ruler run`: loads the rule files, evaluates each group on its grid ("when"), sends alerts and
//! serves the API. One evaluation ("what") is [`Group::eval`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use tokio::sync::{mpsc, oneshot, Mutex, Notify};
use tokio::task::JoinHandle;

use crate::api::{self, snapshot, Published, ReloadRequest};
use crate::discovery::{DnsResolver, Endpoints};
use crate::metrics::Metrics;
use crate::notifier::{Notifier, NotifyOptions};
use crate::query::http::{HttpQuerier, Method};
use crate::rulefmt;
use crate::rules::alerting::RestoreOptions;
use crate::rules::group::{Defaults, EvalOptions, Group};
use crate::shipper::Shipper;
use crate::sink::{MemorySink, Sink};
use crate::storage::{Storage, StorageOptions};

/// Everything `ruler run` needs, from the flags.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub data_dir: PathBuf,
    pub storage: StorageOptions,
    pub restore: RestoreOptions,
    pub rule_files: Vec<String>,
    pub query_urls: Vec<String>,
    pub query_method: Method,
    pub query_dns_interval: Duration,
    /// DNS server for lookups instead of the system's.
    pub nameserver: Option<std::net::SocketAddr>,
    pub alertmanager_urls: Vec<String>,
    pub alertmanager_dns_interval: Duration,
    pub send_timeout: Duration,
    pub resend_delay: Duration,
    pub defaults: Defaults,
    pub notify: NotifyOptions,
    pub eval: EvalOptions,
    /// Where blocks are uploaded (`--objstore.config*`), if anywhere.
    pub bucket: Option<crate::objstore::BucketConfig>,
    /// The built console to serve at `/` (`--web.console-dir`), if any.
    pub console_dir: Option<PathBuf>,
}

/// Expands the `--rule-file` globs (files named twice are read once) and loads every group.
pub fn load_groups(patterns: &[String], defaults: &Defaults) -> anyhow::Result<Vec<Group>> {
    let mut files = Vec::new();
    for p in patterns {
        let matches: Vec<PathBuf> =
            glob::glob(p).with_context(|| format!("--rule-file {p}"))?.filter_map(Result::ok).collect();
        for m in matches {
            if !files.contains(&m) {
                files.push(m);
            }
        }
    }
    let mut groups = Vec::new();
    let mut problems = Vec::new();
    for f in &files {
        match rulefmt::load(f) {
            Ok(file) => groups.extend(file.groups.iter().map(|g| Group::new(f, g, defaults))),
            Err(p) => problems.extend(p.into_iter().map(|p| p.to_string())),
        }
    }
    if !problems.is_empty() {
        bail!("invalid rule files:\n{}", problems.join("\n"));
    }
    Ok(groups)
}

/// Runs until `shutdown` completes: every group on its own task, and the HTTP API on `listener`.
/// SIGHUP and `POST /-/reload` reload the rule files; if any file is bad, the running rules stay.
pub async fn run(
    config: RunConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let groups = load_groups(&config.rule_files, &config.defaults)?;
    tracing::info!(groups = groups.len(), "rules loaded");
    let metrics = Arc::new(Metrics::new());
    let queriers =
        Arc::new(Endpoints::parse(&config.query_urls, None).map_err(|e| anyhow::anyhow!("--query {e}"))?);
    let alertmanagers = Arc::new(
        Endpoints::parse(&config.alertmanager_urls, Some(9093))
            .map_err(|e| anyhow::anyhow!("--alertmanagers.url {e}"))?,
    );
    let resolver = Arc::new(DnsResolver::new(config.nameserver).map_err(anyhow::Error::msg)?);
    // First lookups before the first evaluation; then in the background.
    let mut resolving = Vec::new();
    for (what, endpoints, every) in [
        ("query", &queriers, config.query_dns_interval),
        ("alertmanager", &alertmanagers, config.alertmanager_dns_interval),
    ] {
        if endpoints.needs_dns() {
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
        .with_context(|| format!("--data-dir {}", config.data_dir.display()))?;
    tracing::info!(
        blocks = report.blocks,
        replayed = report.replayed_samples,
        torn_bytes = report.torn_bytes,
        removed_tmp = report.removed_tmp,
        "storage opened"
    );
    // What alerts were before the restart, read before any evaluation adds to it.
    let restore = Arc::new(Restore {
        opts: config.restore,
        states: storage.latest("ALERTS_FOR_STATE"),
        kept_firing: storage.kept_firing(),
    });
    let storage = Arc::new(storage);
    // Blocks are cut half a window after the window ends: check a few times per half window.
    let every = Duration::from_millis((config.storage.block_ms as u64 / 4).clamp(250, 30_000));
    let shipper = match &config.bucket {
        Some(b) => {
            Some(Shipper::new(&config.data_dir, b).map_err(|e| anyhow::anyhow!("--objstore.config: {e}"))?)
        }
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
    let client = reqwest::Client::builder().build()?;
    let am_client = reqwest::Client::builder().timeout(config.send_timeout).build()?;
    let notifier =
        Notifier::start(am_client, alertmanagers, &config.alertmanager_urls, QUEUE_CAPACITY, metrics.clone());
    let mut engine = Engine {
        querier: Arc::new(HttpQuerier::new(client, queriers, config.query_method)),
        notifier: Arc::new(notifier),
        published: Arc::default(),
        sink: Arc::default(),
        storage,
        restore: Some(restore),
        config: Arc::new(config),
        metrics,
        running: BTreeMap::new(),
    };
    engine.metrics.reload_succeeded(now_ms());
    engine.start(groups);

    let (reload_tx, mut reload_rx) = mpsc::channel::<ReloadRequest>(4);
    let app = api::router(api::ApiState {
        published: engine.published.clone(),
        metrics: engine.metrics.clone(),
        reload: reload_tx,
        sink: engine.sink.clone(),
        external_labels: engine.config.defaults.external_labels.clone(),
        console_dir: engine.config.console_dir.clone(),
    });
    tracing::info!(address = %listener.local_addr()?, "serving HTTP");
    let (stop_http, http_stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = http_stopped.await;
            })
            .await
    });

    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            Some(reply) = reload_rx.recv() => {
                let _ = reply.send(engine.reload().await);
            }
            _ = hangup.recv() => {
                let _ = engine.reload().await;
            }
        }
    }
    // Ordered: stop evaluating (an evaluation in progress finishes and queues its alerts), deliver
    // what is queued, then stop the API.
    tracing::info!("shutting down: stopping evaluation");
    engine.stop_gracefully().await;
    for task in resolving {
        task.abort();
    }
    housekeeping.abort();
    if let Some(task) = shipper_task {
        task.abort();
    }
    let timeout = engine.config.send_timeout + Duration::from_secs(1);
    tracing::info!("shutting down: sending queued alerts");
    engine.notifier.drain(timeout).await;
    let _ = stop_http.send(());
    server.await??;
    tracing::info!("stopped");
    Ok(())
}

/// Every `every`: cut due blocks, then delete blocks past retention, then wake the shipper.
async fn housekeeping(storage: Arc<Storage>, metrics: Arc<Metrics>, every: Duration, ship: Arc<Notify>) {
    loop {
        tokio::time::sleep(every).await;
        let s = storage.clone();
        let now = now_ms();
        // Block writing is blocking file I/O.
        let outcome = tokio::task::spawn_blocking(move || {
            s.compact(now).and_then(|b| Ok((b, s.apply_retention(now)?)))
        })
        .await;
        match outcome {
            Ok(Ok((blocks, deleted))) => {
                for b in &blocks {
                    tracing::info!(block = %b, "block written");
                }
                metrics.compactions.inc_by(blocks.len() as u64);
                if deleted > 0 {
                    tracing::info!(deleted, "blocks past retention deleted");
                }
            }
            Ok(Err(e)) => {
                metrics.compactions_failed.inc();
                tracing::error!(error = %e, "writing a block failed; the samples stay in the log and the head");
            }
            Err(e) => tracing::error!(error = %e, "block writing task failed"),
        }
        ship.notify_one();
    }
}

/// Uploads blocks whenever woken; wake-ups during a pass make one more pass.
async fn shipping(shipper: Shipper, wake: Arc<Notify>, metrics: Arc<Metrics>) {
    loop {
        wake.notified().await;
        let pass = shipper.sync(now_ms()).await;
        for b in &pass.uploaded {
            tracing::info!(block = %b, "block uploaded");
        }
        for e in &pass.failures {
            tracing::warn!(error = %e, "block upload failed; trying again on the next pass");
        }
        metrics.shipper_uploads.inc_by(pass.uploaded.len() as u64);
        metrics.shipper_upload_failures.inc_by(pass.failures.len() as u64);
    }
}

/// Alerts each Alertmanager's queue holds (as `thanos rule`).
pub const QUEUE_CAPACITY: usize = 10_000;

async fn refresh(what: &'static str, endpoints: &Endpoints, resolver: &DnsResolver, metrics: &Metrics) {
    let labels = vec![("client".to_string(), what.to_string())];
    metrics.dns_lookups.get_or_create(&labels).inc();
    for e in endpoints.refresh(resolver).await {
        metrics.dns_failures.get_or_create(&labels).inc();
        tracing::warn!(what, error = %e, "DNS lookup failed; keeping the previous addresses");
    }
    metrics.dns_results.get_or_create(&labels).set(endpoints.all().len() as i64);
}

/// The running groups and what they share.
struct Engine {
    querier: Arc<HttpQuerier>,
    notifier: Arc<Notifier>,
    published: Published,
    config: Arc<RunConfig>,
    metrics: Arc<Metrics>,
    sink: Arc<MemorySink>,
    storage: Arc<Storage>,
    /// Alert state to restore: for the groups started with the process, not after a reload.
    restore: Option<Arc<Restore>>,
    /// By `file;name`: the group (shared with its task, so a reload can carry its alerts over).
    running: BTreeMap<String, (Arc<Mutex<Group>>, JoinHandle<()>)>,
}

impl Engine {
    fn start(&mut self, groups: Vec<Group>) {
        for group in groups {
            let k = key(&group);
            self.published.write().unwrap().insert(k.clone(), snapshot(&group));
            let group = Arc::new(Mutex::new(group));
            let shared = Shared {
                querier: self.querier.clone(),
                notifier: self.notifier.clone(),
                published: self.published.clone(),
                config: self.config.clone(),
                metrics: self.metrics.clone(),
                sink: self.sink.clone(),
                storage: self.storage.clone(),
                restore: self.restore.clone(),
            };
            let g = group.clone();
            let task = tokio::spawn(async move { group_loop(g, shared).await });
            self.running.insert(k, (group, task));
        }
        self.restore = None;
    }

    /// Loads the rule files again; on success replaces the groups, keeping the alerts of groups that
    /// stay. On failure nothing changes, and the error is logged and returned.
    async fn reload(&mut self) -> Result<(), String> {
        let mut groups = match load_groups(&self.config.rule_files, &self.config.defaults) {
            Ok(g) => g,
            Err(e) => {
                let e = format!("{e:#}");
                tracing::error!(error = %e, "reload failed; the previous rules keep running");
                self.metrics.reload_successful.set(0);
                return Err(e);
            }
        };
        for g in &mut groups {
            if let Some((old, _)) = self.running.get(&key(g)) {
                g.copy_state(&*old.lock().await);
            }
        }
        self.stop();
        self.published.write().unwrap().clear();
        tracing::info!(groups = groups.len(), "rules reloaded");
        self.metrics.reload_succeeded(now_ms());
        self.start(groups);
        Ok(())
    }

    fn stop(&mut self) {
        for (_, (_, task)) in std::mem::take(&mut self.running) {
            task.abort();
        }
    }

    /// Stops every group between evaluations: taking its lock waits for one in progress.
    async fn stop_gracefully(&mut self) {
        for (_, (group, task)) in std::mem::take(&mut self.running) {
            let _held = group.lock().await;
            task.abort();
            let _ = task.await;
        }
    }
}

/// Alert state from before a restart (`ALERTS_FOR_STATE` samples), and how to restore it.
struct Restore {
    opts: RestoreOptions,
    states: Vec<(promapi::Labels, i64, f64)>,
    kept_firing: crate::storage::KeptFiring,
}

/// What every group task shares.
struct Shared {
    sink: Arc<MemorySink>,
    storage: Arc<Storage>,
    /// Restore alert state after the first evaluation (at start, not after a reload).
    restore: Option<Arc<Restore>>,
    querier: Arc<HttpQuerier>,
    notifier: Arc<Notifier>,
    published: Published,
    config: Arc<RunConfig>,
    metrics: Arc<Metrics>,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Evaluates `group` at each slot of its grid. A slot missed because evaluation ran long is counted
/// and skipped, not piled up.
async fn group_loop(group: Arc<Mutex<Group>>, s: Shared) {
    let (first, interval, labels) = {
        let g = group.lock().await;
        s.metrics.group_rules.get_or_create(&Metrics::group(&key(&g))).set(g.rules.len() as i64);
        (g.eval_timestamp(now_ms()) + g.interval_ms, g.interval_ms, Metrics::group(&key(&g)))
    };
    let mut next = first;
    let mut missed: u64 = 0;
    let mut restore = s.restore.clone();
    loop {
        let wait = next - now_ms();
        if wait > 0 {
            tokio::time::sleep(Duration::from_millis(wait as u64)).await;
        }
        let mut group = group.lock().await;
        let m = &s.metrics;
        let out = group.eval(next, &*s.querier, s.config.eval).await;
        // Stored first: /federate then shows only what a restart keeps.
        match s.storage.append_samples(&out.samples) {
            Ok(n) => {
                m.samples_appended.inc_by(n as u64);
                let _ = s.sink.append(&out.samples);
            }
            Err(e) => {
                m.append_failures.inc();
                tracing::error!(group = %group.name, error = %e, "storing rule results failed");
            }
        }
        if let Some(r) = restore.take() {
            let mut restored = group.restore(&r.states, next, r.opts);
            if let Some(kept) = r.kept_firing.get(&key(&group)) {
                restored += group.restore_kept_firing(kept, next);
            }
            if restored > 0 {
                tracing::info!(group = %group.name, restored, "alert state restored");
            }
        }
        m.iterations.get_or_create(&labels).inc();
        m.last_duration.get_or_create(&labels).set(group.eval_seconds);
        m.last_evaluation.get_or_create(&labels).set(next as f64 / 1000.0);
        for (rule, status) in &group.rules {
            m.evaluations.get_or_create(&labels).inc();
            if let Some(err) = &status.last_error {
                m.evaluation_failures.get_or_create(&labels).inc();
                tracing::warn!(group = %group.name, rule = rule.name(), error = %err, "rule evaluation failed");
            } else if !status.warnings.is_empty() {
                m.evaluations_with_warnings.get_or_create(&labels).inc();
                tracing::warn!(group = %group.name, rule = rule.name(), warnings = ?status.warnings, "query returned warnings");
            }
        }
        if let Err(e) = s.storage.save_kept_firing(&key(&group), group.kept_firing()) {
            tracing::warn!(group = %group.name, error = %e, "saving keep_firing_for state failed");
        }
        let alerts: Vec<_> = out.alerts.iter().map(|(a, expr)| s.config.notify.postable(a, expr)).collect();
        s.published.write().unwrap().insert(key(&group), snapshot(&group));
        // Queued under the lock, so a graceful stop (which takes it) never loses them.
        s.notifier.send(&alerts, Instant::now() + s.config.resend_delay);
        drop(group);
        let now = now_ms();
        next += interval;
        if now >= next {
            let skip = (now - next) / interval + 1;
            missed += skip as u64;
            s.metrics.iterations.get_or_create(&labels).inc_by(skip as u64);
            s.metrics.iterations_missed.get_or_create(&labels).inc_by(skip as u64);
            next += skip * interval;
            tracing::warn!(missed, "evaluation slower than the interval; iterations skipped");
        }
    }
}

fn key(g: &Group) -> String {
    format!("{};{}", g.file, g.name)
}
