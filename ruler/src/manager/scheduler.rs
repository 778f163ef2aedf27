//! The "when" of evaluation: one task per group, each evaluating on its grid, storing, publishing and
//! notifying; reload swaps groups keeping the alerts of those that stay; a graceful stop waits for an
//! evaluation in progress. One evaluation (the "what") is [`Group::eval`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use promapi::rules::{rfc3339, ReloadStatus};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::config::{load_groups, LoadError};
use crate::manager::clock::Clock;
use crate::manager::RunConfig;
use crate::metrics::Metrics;
use crate::notifier::Notifier;
use crate::query::Querier;
use crate::rules::group::Group;
use crate::rules::restore::Restore;
use crate::storage::Storage;
use crate::web::api::{snapshot, LastReload, Published};
use crate::web::federate::MemorySink;

/// What every group task shares: the systems it talks to, where results go, and the settings.
pub struct Shared<Q, N> {
    pub querier: Arc<Q>,
    pub notifier: Arc<N>,
    pub storage: Arc<Storage>,
    /// The latest stored samples, for `/federate`.
    pub sink: Arc<MemorySink>,
    /// Each group's state as the API shows it, refreshed after every evaluation.
    pub published: Published,
    /// How the last reload went, for `/api/v1/rules`.
    pub last_reload: LastReload,
    pub config: Arc<RunConfig>,
    pub metrics: Arc<Metrics>,
    pub clock: Arc<dyn Clock>,
}

impl<Q, N> Shared<Q, N> {
    /// A load of the rule files (at start or a reload) and its error, if any: in the metric and for
    /// `/api/v1/rules`.
    pub fn record_reload(&self, error: Option<String>) {
        let now = self.clock.now_ms();
        match &error {
            None => self.metrics.reload_succeeded(now),
            Some(_) => {
                self.metrics.reload_successful.set(0);
            }
        }
        let status = ReloadStatus { success: error.is_none(), time: rfc3339(now), error };
        *self.last_reload.write().unwrap() = Some(status);
    }
}

/// The running groups, one task each.
pub struct Scheduler<Q, N> {
    shared: Arc<Shared<Q, N>>,
    /// Alert state to restore: for the groups started with the process, not after a reload.
    restore: Option<Arc<Restore>>,
    /// By `file;name`: the group (shared with its task, so a reload can carry its alerts over).
    running: BTreeMap<String, (Arc<Mutex<Group>>, JoinHandle<()>)>,
}

impl<Q: Querier + 'static, N: Notifier + 'static> Scheduler<Q, N> {
    /// A scheduler with nothing running; `restore` is applied after each first group's first evaluation.
    pub fn new(shared: Arc<Shared<Q, N>>, restore: Option<Restore>) -> Self {
        Scheduler { shared, restore: restore.map(Arc::new), running: BTreeMap::new() }
    }

    /// Starts a task per group.
    pub fn start(&mut self, groups: Vec<Group>) {
        for group in groups {
            let k = key(&group);
            self.shared.published.write().unwrap().insert(k.clone(), snapshot(&group));
            let group = Arc::new(Mutex::new(group));
            let (g, shared, restore) = (group.clone(), self.shared.clone(), self.restore.clone());
            let task = tokio::spawn(async move { group_loop(g, shared, restore).await });
            self.running.insert(k, (group, task));
        }
        self.restore = None;
    }

    /// Loads the rule files again; on success replaces the groups, keeping the alerts of groups that
    /// stay. On failure nothing changes, and the error is logged, published and returned.
    pub async fn reload(&mut self) -> Result<(), LoadError> {
        let config = &self.shared.config;
        let mut groups = match load_groups(&config.rule_files, &config.defaults) {
            Ok(g) => g,
            Err(e) => {
                tracing::error!(error = %e, "reload failed; the previous rules keep running");
                self.shared.record_reload(Some(e.to_string()));
                return Err(e);
            }
        };
        // A staying group's lock is held until its old task is gone: the task is then between
        // evaluations, and the new one goes on from the slot after the old one's last.
        let mut held = Vec::new();
        for g in &mut groups {
            if let Some((old, _)) = self.running.get(&key(g)) {
                let old = old.clone().lock_owned().await;
                g.copy_state(&old);
                held.push(old);
            }
        }
        self.stop();
        drop(held);
        self.shared.published.write().unwrap().clear();
        tracing::info!(groups = groups.len(), "rules reloaded");
        self.shared.record_reload(None);
        self.start(groups);
        Ok(())
    }

    fn stop(&mut self) {
        for (_, (_, task)) in std::mem::take(&mut self.running) {
            task.abort();
        }
    }

    /// Stops every group between evaluations: taking its lock waits for one in progress.
    pub async fn stop_gracefully(&mut self) {
        for (_, (group, task)) in std::mem::take(&mut self.running) {
            let _held = group.lock().await;
            task.abort();
            let _ = task.await;
        }
    }
}

/// Evaluates `group` at each slot of its grid. A slot missed because evaluation ran long is counted
/// and skipped, not piled up.
async fn group_loop<Q: Querier, N: Notifier>(
    group: Arc<Mutex<Group>>,
    s: Arc<Shared<Q, N>>,
    mut restore: Option<Arc<Restore>>,
) {
    let (first, interval, labels) = {
        let g = group.lock().await;
        s.metrics.group_rules.get_or_create(&Metrics::group(&key(&g))).set(g.rules.len() as i64);
        (first_slot(&g, s.clock.now_ms()), g.interval_ms, Metrics::group(&key(&g)))
    };
    let mut next = first;
    let mut missed: u64 = 0;
    loop {
        let wait = next - s.clock.now_ms();
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
                s.sink.append(&out.samples);
            }
            Err(e) => {
                m.append_failures.inc();
                tracing::error!(group = %group.name, error = %e, "storing rule results failed");
            }
        }
        if let Some(r) = restore.take() {
            let k = key(&group);
            let restored = r.apply(&mut group, &k, next);
            if restored > 0 {
                tracing::info!(group = %group.name, restored, "alert state restored");
            }
        }
        m.iterations.get_or_create(&labels).inc();
        m.last_duration.get_or_create(&labels).set(group.eval_seconds);
        m.last_evaluation.get_or_create(&labels).set(next as f64 / 1000.0);
        let never_matched = group.rules.iter().filter(|(_, s)| s.never_matched()).count();
        m.group_never_matched.get_or_create(&labels).set(never_matched as i64);
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
        let alerts: Vec<_> =
            out.alerts.iter().filter_map(|(a, expr)| s.config.notify.postable(a, expr)).collect();
        s.published.write().unwrap().insert(key(&group), snapshot(&group));
        // Queued under the lock, so a graceful stop (which takes it) never loses them.
        s.notifier.send(&alerts, Instant::now() + s.config.resend_delay);
        drop(group);
        let now = s.clock.now_ms();
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

/// The first slot a group's task evaluates: after a reload, the one after the last evaluated (even if
/// it is due already, so a reload never skips one); otherwise the next on the grid.
fn first_slot(g: &Group, now_ms: i64) -> i64 {
    let next = g.eval_timestamp(now_ms) + g.interval_ms;
    match g.last_eval_ms {
        // Still on the grid (the interval may have changed) and not long gone.
        Some(last) if g.eval_timestamp(last) == last && last + g.interval_ms >= next - g.interval_ms => {
            last + g.interval_ms
        }
        _ => next,
    }
}

/// A group's identity across reloads: `file;name`.
pub fn key(g: &Group) -> String {
    format!("{};{}", g.file, g.name)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::rulefmt;
    use crate::manager::clock::TokioClock;
    use crate::notifier::fake::FakeNotifier;
    use crate::notifier::NotifyOptions;
    use crate::query::fake::FakeQuerier;
    use crate::query::http::Method;
    use crate::rules::alerting::RestoreOptions;
    use crate::rules::group::{Defaults, EvalOptions};
    use crate::storage::StorageOptions;

    const RULES: &str = "groups:
  - name: g
    interval: 10s
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: Down
        expr: up == 0
";

    fn config(dir: &Path) -> RunConfig {
        RunConfig {
            data_dir: dir.to_path_buf(),
            storage: StorageOptions {
                block_ms: 7_200_000,
                retention_ms: 0,
                external_labels: Default::default(),
            },
            restore: RestoreOptions { outage_tolerance_ms: 3_600_000, grace_period_ms: 600_000 },
            rule_files: vec![],
            rule_watch_interval: Duration::ZERO,
            queriers: vec![],
            query_method: Method::Post,
            query_dns_interval: Duration::from_secs(30),
            nameserver: None,
            alertmanagers: vec![],
            alertmanager_dns_interval: Duration::from_secs(30),
            send_timeout: Duration::from_secs(10),
            resend_delay: Duration::from_secs(60),
            defaults: Defaults { interval_ms: 60_000, ..Default::default() },
            notify: NotifyOptions::default(),
            eval: EvalOptions { resend_delay_ms: 60_000, outage_tolerance_ms: None },
            bucket: None,
            console_dir: None,
            http_config: None,
            grpc: Default::default(),
        }
    }

    /// A fake querier and notifier, virtual time from 2023-11-14.
    fn shared(
        querier: FakeQuerier,
        storage: Storage,
        config: RunConfig,
    ) -> Arc<Shared<FakeQuerier, FakeNotifier>> {
        Arc::new(Shared {
            querier: Arc::new(querier),
            notifier: Arc::new(FakeNotifier::default()),
            storage: Arc::new(storage),
            sink: Arc::default(),
            published: Arc::default(),
            last_reload: Arc::default(),
            config: Arc::new(config),
            metrics: Arc::new(Metrics::new()),
            clock: Arc::new(TokioClock::starting_at(1_700_000_000_000)),
        })
    }

    /// The times the alerting rule's query was sent for.
    fn alert_slots(querier: &FakeQuerier) -> Vec<i64> {
        querier.calls().into_iter().filter(|(e, _, _)| e == "up == 0").map(|(_, t, _)| t).collect()
    }

    /// Reloads every 2.5 virtual seconds, some landing on a slot: each slot is still evaluated once,
    /// and the alert that was firing stays firing without being sent again.
    #[tokio::test(start_paused = true)]
    async fn reloads_neither_skip_nor_repeat_a_slot() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rules.yaml");
        std::fs::write(&file, RULES).unwrap();
        let mut config = config(dir.path());
        config.rule_files = vec![file.display().to_string()];
        let (storage, _) = Storage::open(dir.path(), config.storage.clone()).unwrap();
        let querier = FakeQuerier::default();
        querier.set("up == 0", &[(&[("__name__", "up"), ("job", "db")], 0.0)]);
        let shared = shared(querier, storage, config.clone());
        let mut scheduler = Scheduler::new(shared.clone(), None);
        scheduler.start(load_groups(&config.rule_files, &config.defaults).unwrap());
        for i in 0..20 {
            tokio::time::sleep(Duration::from_millis(2_500)).await;
            // Every other reload changes the file; all keep the group.
            if i % 2 == 0 {
                std::fs::write(&file, format!("{RULES}      - record: n{i}\n        expr: vector({i})\n"))
                    .unwrap();
            }
            scheduler.reload().await.unwrap();
        }
        scheduler.stop_gracefully().await;

        let slots = alert_slots(&shared.querier);
        assert!(slots.len() >= 4, "{slots:?}");
        assert!(slots.windows(2).all(|w| w[1] - w[0] == 10_000), "one evaluation per slot: {slots:?}");
        assert_eq!(shared.notifier.sent().len(), 1, "sent once: the reloads kept the alert");
        let status = shared.last_reload.read().unwrap().clone().unwrap();
        assert!(status.success && status.error.is_none(), "{status:?}");

        std::fs::write(&file, "groups: [").unwrap();
        assert!(scheduler.reload().await.is_err());
        let status = shared.last_reload.read().unwrap().clone().unwrap();
        assert!(!status.success && status.error.unwrap().contains("rules.yaml"));
    }

    /// Three evaluations in 35 virtual seconds, on the group's grid: each one queried at its slot,
    /// stored, published and its alerts handed to the notifier (once: the resend delay is a minute).
    #[tokio::test(start_paused = true)]
    async fn groups_run_on_their_grid_in_virtual_time() {
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path());
        let (storage, _) = Storage::open(dir.path(), config.storage.clone()).unwrap();
        let file = rulefmt::parse(Path::new("rules.yaml"), RULES).unwrap();
        let group = Group::new(Path::new("rules.yaml"), &file.groups[0], &config.defaults);
        let querier = FakeQuerier::default();
        querier.set("sum by (job) (up)", &[(&[("job", "api")], 2.0)]);
        querier.set("up == 0", &[(&[("__name__", "up"), ("job", "db")], 0.0)]);
        let shared = shared(querier, storage, config);
        let mut scheduler = Scheduler::new(shared.clone(), None);
        scheduler.start(vec![group]);
        tokio::time::sleep(Duration::from_secs(35)).await;
        scheduler.stop_gracefully().await;

        let slots = alert_slots(&shared.querier);
        assert_eq!(slots.len(), 3, "{slots:?}");
        assert!(slots.windows(2).all(|w| w[1] - w[0] == 10_000), "{slots:?}");
        assert!(slots[0] > 1_700_000_000_000 && slots[0] <= 1_700_000_010_000, "{slots:?}");
        let recorded = shared.storage.latest("job:up:sum");
        assert_eq!(recorded.len(), 1);
        assert_eq!((recorded[0].1, recorded[0].2), (slots[2], 2.0), "the last slot's value is stored");
        let sent = shared.notifier.sent();
        assert_eq!(sent.len(), 1, "sent once within the resend delay: {sent:?}");
        assert_eq!(sent[0][0].labels["alertname"], "Down");
        let published = shared.published.read().unwrap();
        assert_eq!(published.len(), 1, "the group is published under its key");
    }
}
