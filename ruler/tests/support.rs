//! What the integration tests share: an exporter, starting the ruler, polling.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use axum::routing::get;
use axum::Router;
use serde_json::Value;
use testkit::process::{free_port, ChildGuard};

const METRICS: &str = "e2e_value{id=\"big\"} 1234567\ne2e_value{id=\"small\"} 1\n";

/// Serves [`METRICS`] on a free port.
pub async fn exporter() -> Result<std::net::SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        axum::serve(listener, Router::new().route("/metrics", get(|| async { METRICS }))).await
    });
    Ok(addr)
}

/// A real Prometheus (external label replica="a") scraping [`exporter`] every second.
pub async fn prometheus_scraping_exporter() -> Result<testkit::process::Prometheus> {
    let exporter = exporter().await?;
    let scrape = format!("  - job_name: demo\n    static_configs:\n      - targets: ['{exporter}']\n");
    testkit::process::Prometheus::start(&[("replica", "a")], &scrape, None).await
}

pub struct Ruler {
    pub url: String,
    pub child: ChildGuard,
}

pub fn start_ruler(
    dir: &std::path::Path,
    replica: &str,
    prom: &str,
    am: &str,
    extra: &[&str],
) -> Result<Ruler> {
    let port = free_port()?;
    // Its own gRPC port: rulers run side by side.
    let grpc = format!("127.0.0.1:{}", free_port()?);
    let mut args: Vec<String> = vec![
        "run".into(),
        format!("--query={prom}"),
        format!("--rule-file={}", dir.join("*.yaml").display()),
        format!("--label=rule_replica=\"{replica}\""),
        "--alert.label-drop=rule_replica".into(),
        format!("--alertmanagers.url={am}"),
        "--alert.query-url=http://thanos.example:9090".into(),
        "--eval-interval=1s".into(),
        format!("--http-address=127.0.0.1:{port}"),
        format!("--grpc-address={grpc}"),
        format!("--data-dir={}", dir.join(format!("data-{replica}")).display()),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    let child = ChildGuard::spawn(
        env!("CARGO_BIN_EXE_ruler"),
        &args,
        Some(&dir.join(format!("ruler-{replica}.log"))),
    )?;
    Ok(Ruler { url: format!("http://127.0.0.1:{port}"), child })
}

pub async fn get_json<T: serde::de::DeserializeOwned>(url: &str) -> Result<T> {
    Ok(reqwest::get(url).await?.json().await?)
}

/// Polls `probe` every 200 ms for up to 30 s.
pub async fn eventually<T, F, Fut>(what: &str, probe: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>>>,
{
    eventually_within(what, Duration::from_secs(30), probe).await
}

/// Polls `probe` every 200 ms for up to `limit`.
pub async fn eventually_within<T, F, Fut>(what: &str, limit: Duration, mut probe: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(v)) = probe().await {
            return Ok(v);
        }
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Alertmanager's active alerts.
pub async fn am_alerts(am: &str) -> Result<Vec<Value>> {
    let v: Vec<Value> = get_json(&format!("{am}/api/v2/alerts")).await?;
    Ok(v.into_iter().filter(|a| a["status"]["state"] == "active").collect())
}

pub fn named<'a>(alerts: &'a [Value], name: &str) -> Option<&'a Value> {
    alerts.iter().find(|a| a["labels"]["alertname"] == name)
}
