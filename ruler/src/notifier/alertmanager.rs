//! Alertmanagers as the ruler sends to them: one bounded queue and one sending task per configured
//! Alertmanager, batches posted to every address it resolves to, retried with backoff.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use super::queue::{Queue, Queued};
use super::{Notifier, PostableAlert};
use crate::client::config::ApiVersion;
use crate::client::{describe, Client};
use crate::discovery::Endpoints;
use crate::metrics::Metrics;

/// Alerts to every configured Alertmanager: one bounded [`Queue`] and one sending task each, so a
/// slow or dead Alertmanager holds back only its own alerts.
pub struct Alertmanagers {
    queues: Vec<(String, Arc<Queue>)>,
    metrics: Arc<Metrics>,
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
}

/// Alerts per `POST /api/v2/alerts`.
pub const BATCH: usize = 100;

/// How one configured Alertmanager (a group of `endpoints`) is reached.
#[derive(Debug, Clone)]
pub struct Route {
    /// Labels its queue in metrics and logs.
    pub name: String,
    pub client: Client,
    pub api_version: ApiVersion,
}

impl Alertmanagers {
    /// Starts a sending task per group of `endpoints`, `routes[i]` for the `i`th.
    pub fn start(
        endpoints: Arc<Endpoints>,
        routes: Vec<Route>,
        capacity: usize,
        metrics: Arc<Metrics>,
    ) -> Alertmanagers {
        let mut queues = Vec::new();
        let mut tasks = Vec::new();
        for (index, route) in routes.into_iter().enumerate().take(endpoints.len()) {
            let queue = Arc::new(Queue::new(capacity));
            metrics.queue_capacity.get_or_create(&am(&route.name)).set(capacity as i64);
            let name = route.name.clone();
            let target = Target { index, route, endpoints: endpoints.clone() };
            tasks.push(tokio::spawn(target.deliver(queue.clone(), metrics.clone())));
            queues.push((name, queue));
        }
        Alertmanagers { queues, metrics, tasks: std::sync::Mutex::new(tasks) }
    }

    /// Queues `alerts` for every Alertmanager; failed sends are retried until `retry_until`.
    fn queue(&self, alerts: &[PostableAlert], retry_until: Instant) {
        if alerts.is_empty() {
            return;
        }
        for (name, queue) in &self.queues {
            let dropped = queue.push(alerts.iter().map(|a| Queued { alert: a.clone(), retry_until }));
            let labels = am(name);
            self.metrics.queue_pushed.get_or_create(&labels).inc_by(alerts.len() as u64);
            self.metrics.queue_dropped.get_or_create(&labels).inc_by(dropped as u64);
            self.metrics.queue_length.get_or_create(&labels).set(queue.len() as i64);
            if dropped > 0 {
                tracing::warn!(alertmanager = %name, dropped, "alert queue full; oldest alerts dropped");
            }
        }
    }

    /// Takes no more alerts, sends what is queued (one attempt each) and waits for that, at most
    /// `timeout`.
    pub async fn drain(&self, timeout: Duration) {
        for (_, q) in &self.queues {
            q.close();
        }
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap());
        let all = futures::future::join_all(tasks);
        if tokio::time::timeout(timeout, all).await.is_err() {
            tracing::warn!("alerts still queued at shutdown were not all delivered in time");
        }
    }
}

impl Notifier for Alertmanagers {
    fn send(&self, alerts: &[PostableAlert], retry_until: Instant) {
        self.queue(alerts, retry_until);
    }
}

fn am(name: &str) -> Vec<(String, String)> {
    vec![("alertmanager".to_string(), name.to_string())]
}

/// One configured Alertmanager: whatever its address resolves to now.
struct Target {
    index: usize,
    route: Route,
    endpoints: Arc<Endpoints>,
}

impl Target {
    /// Sends batches until the queue is closed and empty. A batch goes to every resolved address at
    /// once and is delivered when one accepts it (they form a cluster). When none does, it is
    /// retried with backoff until its alerts' next resend, then dropped (counted): the resend
    /// carries fresher state.
    async fn deliver(self, queue: Arc<Queue>, metrics: Arc<Metrics>) {
        let labels = am(&self.route.name);
        while let Some(batch) = queue.pop(BATCH).await {
            metrics.queue_popped.get_or_create(&labels).inc_by(batch.len() as u64);
            metrics.queue_length.get_or_create(&labels).set(queue.len() as i64);
            let retry_until = batch.iter().map(|q| q.retry_until).min().unwrap_or_else(Instant::now);
            let alerts: Vec<PostableAlert> = batch.into_iter().map(|q| q.alert).collect();
            let mut backoff = Duration::from_millis(250);
            loop {
                match self.send_once(&alerts, &metrics).await {
                    Ok(()) => break,
                    Err(e) if queue.is_closed() || Instant::now() + backoff > retry_until => {
                        metrics.sender_dropped.get_or_create(&labels).inc_by(alerts.len() as u64);
                        tracing::warn!(alertmanager = %self.route.name, error = %e, alerts = alerts.len(), "giving up on a batch of alerts");
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(alertmanager = %self.route.name, error = %e, retry_in = ?backoff, "sending alerts failed");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(30));
                    }
                }
            }
        }
    }

    async fn send_once(&self, alerts: &[PostableAlert], metrics: &Metrics) -> Result<(), String> {
        let addresses = self.endpoints.of(self.index);
        if addresses.is_empty() {
            return Err("no address resolved".into());
        }
        let sends = addresses.iter().map(|base| async move {
            let url = format!("{base}{}", self.route.api_version.alerts_path());
            let outcome = match self.route.client.request(reqwest::Method::POST, &url) {
                Err(e) => Err(format!("{url}: {e}")),
                Ok(request) => match request.json(alerts).send().await {
                    Ok(r) if r.status().is_success() => Ok(()),
                    Ok(r) => Err(format!("{url}: HTTP {}", r.status())),
                    Err(e) => Err(format!("{url}: {}", describe(&e))),
                },
            };
            let labels = am(base);
            match &outcome {
                Ok(()) => metrics.alerts_sent.get_or_create(&labels).inc_by(alerts.len() as u64),
                Err(_) => metrics.alert_send_errors.get_or_create(&labels).inc(),
            };
            outcome
        });
        let outcomes = futures::future::join_all(sends).await;
        if outcomes.iter().any(Result::is_ok) {
            return Ok(());
        }
        Err(outcomes.into_iter().filter_map(Result::err).collect::<Vec<_>>().join("; "))
    }
}
