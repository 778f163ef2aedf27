//! `ruler run` against a real Prometheus 2.42 and a real Alertmanager 0.25: the same rules evaluated by
//! Prometheus itself and by two ruler replicas must agree, and the HA pair must make one alert.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use axum::routing::get;
use axum::Router;
use e2e::process::{free_port, wait_ready, Alertmanager, ChildGuard, Prometheus};
use promapi::rules::{AlertsData, Rule, RulesData};
use promapi::ApiResponse;
use serde_json::Value;

const METRICS: &str = "e2e_value{id=\"big\"} 1234567\ne2e_value{id=\"small\"} 1\n";

const RULES: &str = "groups:
  - name: e2e
    interval: 1s
    rules:
      - record: job:e2e_value:sum
        expr: sum by (job) (e2e_value)
      - alert: ValueHigh
        expr: e2e_value > 10
        labels:
          severity: page
        annotations:
          summary: '{{ $labels.id }} is {{ $value | humanize }}'
          link: '{{ $labels.job | toUpper }}'
";

async fn exporter() -> Result<std::net::SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, Router::new().route("/metrics", get(|| async { METRICS }))).await });
    Ok(addr)
}

struct Ruler {
    url: String,
    _child: ChildGuard,
}

fn start_ruler(dir: &std::path::Path, replica: &str, prom: &str, am: &str) -> Result<Ruler> {
    let port = free_port()?;
    let args: Vec<String> = vec![
        "run".into(),
        format!("--query={prom}"),
        format!("--rule-file={}", dir.join("*.yaml").display()),
        format!("--label=rule_replica=\"{replica}\""),
        "--alert.label-drop=rule_replica".into(),
        format!("--alertmanagers.url={am}"),
        "--alert.query-url=http://thanos.example:9090".into(),
        "--eval-interval=1s".into(),
        format!("--http-address=127.0.0.1:{port}"),
    ];
    let child = ChildGuard::spawn(env!("CARGO_BIN_EXE_ruler"), &args, Some(&dir.join(format!("ruler-{replica}.log"))))?;
    Ok(Ruler { url: format!("http://127.0.0.1:{port}"), _child: child })
}

async fn get_json<T: serde::de::DeserializeOwned>(url: &str) -> Result<T> {
    Ok(reqwest::get(url).await?.json().await?)
}

/// Polls `probe` every 200 ms for up to 30 s.
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
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

#[tokio::test]
async fn two_replicas_agree_with_prometheus_and_make_one_alert() -> Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("rules.yaml"), RULES)?;
    let exporter = exporter().await?;
    let scrape = format!(
        "  - job_name: demo\n    static_configs:\n      - targets: ['{exporter}']\nrule_files:\n  - {}\n",
        dir.path().join("rules.yaml").display()
    );
    let prom = Prometheus::start(&[("replica", "a")], &scrape, None).await?;
    let am = Alertmanager::start().await?;
    let a = start_ruler(dir.path(), "a", &prom.url, &am.url)?;
    let b = start_ruler(dir.path(), "b", &prom.url, &am.url)?;
    for r in [&a, &b] {
        wait_ready(&format!("{}/-/ready", r.url), Duration::from_secs(20)).await?;
    }

    // Prometheus evaluates the same file itself: its firing alert is the reference.
    let reference = eventually("Prometheus to fire ValueHigh", || async {
        let r: ApiResponse<AlertsData> = get_json(&format!("{}/api/v1/alerts", prom.url)).await?;
        Ok(r.data.and_then(|d| d.alerts.into_iter().find(|a| a.state == "firing")))
    })
    .await?;
    assert_eq!(reference.annotations["summary"], "big is 1.235M");

    for r in [&a, &b] {
        let ours = eventually("the ruler to fire ValueHigh", || async {
            let resp: ApiResponse<AlertsData> = get_json(&format!("{}/api/v1/alerts", r.url)).await?;
            Ok(resp.data.and_then(|d| d.alerts.into_iter().find(|a| a.state == "firing")))
        })
        .await?;
        assert_eq!(ours.labels, reference.labels, "labels as Prometheus computes them");
        assert_eq!(ours.annotations, reference.annotations, "annotations as Prometheus renders them");
        assert_eq!(ours.value, "1234567");

        let rules: ApiResponse<RulesData> = get_json(&format!("{}/api/v1/rules", r.url)).await?;
        let group = &rules.data.unwrap().groups[0];
        assert_eq!(group.partial_response_strategy.as_deref(), Some("ABORT"));
        for rule in &group.rules {
            match rule {
                Rule::Recording(rr) => assert_eq!(rr.health, "ok", "{rr:?}"),
                Rule::Alerting(ar) => assert_eq!((ar.health.as_str(), ar.state.as_str()), ("ok", "firing")),
            }
        }
    }

    // Both replicas send; rule_replica is dropped, so Alertmanager holds one alert.
    let alerts = eventually("Alertmanager to hold the alert", || async {
        let v: Vec<Value> = get_json(&format!("{}/api/v2/alerts", am.url)).await?;
        Ok((!v.is_empty()).then_some(v))
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let alerts: Vec<Value> = get_json(&format!("{}/api/v2/alerts", am.url)).await.unwrap_or(alerts);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let labels = &alerts[0]["labels"];
    assert_eq!(labels["alertname"], "ValueHigh");
    assert_eq!(labels["id"], "big");
    assert!(labels.get("rule_replica").is_none(), "{labels}");
    assert_eq!(alerts[0]["annotations"]["summary"], "big is 1.235M");
    assert!(alerts[0]["generatorURL"].as_str().unwrap().starts_with("http://thanos.example:9090/graph?g0.expr=e2e_value"));
    Ok(())
}
