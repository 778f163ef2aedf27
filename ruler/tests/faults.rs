//! Faults: a querier that answers garbage, errors or nothing; an Alertmanager that is down, then
//! back; addresses found through a real DNS server (dnsmasq); shutdown on SIGTERM.

use std::time::Duration;

use anyhow::{Context, Result};
use axum::routing::post;
use axum::Router;
use promapi::rules::{Rule, RulesData};
use promapi::ApiResponse;
use testkit::process::{free_port, wait_ready, Alertmanager, ChildGuard};

use crate::run::RULES;
use crate::support::{
    am_alerts, eventually, eventually_within, get_json, named, prometheus_scraping_exporter, start_ruler,
};

/// A query API that misbehaves on purpose, by expression: `garbage` answers 200 with a body that is
/// not JSON, `unavailable` answers 503 with HTML, `slow` never answers in time, `wrongtype` answers
/// a matrix; anything else gets a valid one-sample vector. Only for fault injection: real servers
/// are used everywhere else.
async fn faulty_querier() -> Result<String> {
    async fn answer(body: String) -> axum::response::Response {
        use axum::response::IntoResponse;
        let expr: String = form_urlencoded::parse(body.as_bytes())
            .find(|(k, _)| k == "query")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        match expr.as_str() {
            "garbage" => "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":".into_response(),
            "unavailable" => (axum::http::StatusCode::SERVICE_UNAVAILABLE, "<html>upstream down</html>").into_response(),
            "slow" => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "{}".into_response()
            }
            "wrongtype" => r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#.into_response(),
            _ => r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1"]}]}}"#.into_response(),
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(
        async move { axum::serve(listener, Router::new().route("/api/v1/query", post(answer))).await },
    );
    Ok(url)
}

#[tokio::test]
async fn a_misbehaving_querier_fails_its_rules_and_nothing_else() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let rules = "groups:\n  - name: faults\n    interval: 1s\n    rules:\n".to_string()
        + &["garbage", "unavailable", "slow", "wrongtype", "fine"]
            .map(|e| format!("      - record: {e}\n        expr: {e}\n"))
            .concat();
    std::fs::write(dir.path().join("rules.yaml"), rules)?;
    let querier = faulty_querier().await?;
    let mut r = start_ruler(dir.path(), "a", &querier, "http://127.0.0.1:1", &[])?;
    wait_ready(&format!("{}/-/ready", r.url), Duration::from_secs(20)).await?;
    let health = eventually("every rule evaluated", || async {
        let resp: ApiResponse<RulesData> = get_json(&format!("{}/api/v1/rules", r.url)).await?;
        let rules = &resp.data.context("no data")?.groups[0].rules;
        let health: Vec<(String, String, String)> = rules
            .iter()
            .map(|rule| match rule {
                Rule::Recording(x) => {
                    (x.name.clone(), x.health.clone(), x.last_error.clone().unwrap_or_default())
                }
                Rule::Alerting(x) => {
                    (x.name.clone(), x.health.clone(), x.last_error.clone().unwrap_or_default())
                }
            })
            .collect();
        Ok(health.iter().all(|(_, h, _)| h != "unknown").then_some(health))
    })
    .await?;
    let error = |name: &str| {
        health.iter().find(|(n, _, _)| n == name).map(|(_, h, e)| (h.as_str(), e.as_str())).unwrap()
    };
    assert!(error("garbage").1.contains("unreadable answer"), "{health:?}");
    assert!(error("unavailable").1.contains("HTTP 503"), "{health:?}");
    assert_eq!(error("slow").1, "query timed out after 1s");
    assert!(error("wrongtype").1.contains("must be a vector or a scalar, got matrix"), "{health:?}");
    assert_eq!(error("fine"), ("ok", ""));
    r.child.check_running()?;
    Ok(())
}

#[tokio::test]
async fn alerts_wait_in_the_queue_while_alertmanager_is_down_and_sigterm_stops_cleanly() -> Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("rules.yaml"), RULES)?;
    let prom = prometheus_scraping_exporter().await?;
    let am_port = free_port()?;
    // A long resend delay: if the alert arrives, it came from the retried queue, not a resend.
    let mut r = start_ruler(
        dir.path(),
        "a",
        &prom.url,
        &format!("http://127.0.0.1:{am_port}"),
        &["--resend-delay=10m"],
    )?;
    wait_ready(&format!("{}/-/ready", r.url), Duration::from_secs(20)).await?;
    eventually("sends to fail while Alertmanager is down", || async {
        let m = reqwest::get(format!("{}/metrics", r.url)).await?.text().await?;
        Ok(m.contains("thanos_alert_sender_errors_total{alertmanager=").then_some(()))
    })
    .await?;

    let am = Alertmanager::start_on(am_port).await?;
    // The sender's backoff grows to 30 s while Alertmanager is down: wait longer than one step.
    let alert =
        eventually_within("the queued alert to reach Alertmanager", Duration::from_secs(45), || async {
            Ok(named(&am_alerts(&am.url).await?, "ValueHigh").cloned())
        })
        .await?;
    assert_eq!(alert["annotations"]["summary"], "big is 1.235M");
    let m = reqwest::get(format!("{}/metrics", r.url)).await?.text().await?;
    assert!(
        m.contains("thanos_alert_queue_alerts_dropped_total{alertmanager=")
            && !m.contains("thanos_alert_sender_alerts_dropped_total{"),
        "{m}"
    );

    // SIGTERM: evaluation stops, the queue is drained, the process exits 0.
    std::process::Command::new("kill").args(["-TERM", &r.child.id().to_string()]).status()?;
    let status =
        r.child.wait_timeout(Duration::from_secs(15))?.context("the ruler did not stop on SIGTERM")?;
    assert!(status.success(), "{status}");
    let log = std::fs::read_to_string(dir.path().join("ruler-a.log"))?;
    let order: Vec<usize> = ["stopping evaluation", "sending queued alerts", "stopped"]
        .iter()
        .map(|m| log.find(m).unwrap_or(usize::MAX))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]) && order[2] != usize::MAX, "shutdown out of order:\n{log}");
    Ok(())
}

/// dnsmasq answering for `e2e.test`: SRV records for the query API and Alertmanager, A records for
/// their hosts.
struct Dns {
    addr: String,
    _child: ChildGuard,
}

fn dnsmasq(prom_port: u16, am_port: u16, dir: &std::path::Path) -> Result<Dns> {
    let port = free_port()?;
    let args: Vec<String> = vec![
        "--keep-in-foreground".into(),
        "--conf-file=/dev/null".into(),
        "--no-resolv".into(),
        "--no-hosts".into(),
        "--pid-file".into(),
        "--bind-interfaces".into(),
        "--listen-address=127.0.0.1".into(),
        format!("--port={port}"),
        "--log-queries".into(),
        "--log-facility=-".into(),
        "--host-record=querier.e2e.test,127.0.0.1".into(),
        "--host-record=am.e2e.test,127.0.0.1".into(),
        format!("--srv-host=_http._tcp.query.e2e.test,querier.e2e.test,{prom_port}"),
        format!("--srv-host=_web._tcp.am.e2e.test,am.e2e.test,{am_port}"),
    ];
    let child = ChildGuard::spawn("/usr/sbin/dnsmasq", &args, Some(&dir.join("dnsmasq.log")))?;
    Ok(Dns { addr: format!("127.0.0.1:{port}"), _child: child })
}

#[tokio::test]
async fn query_and_alertmanager_addresses_come_from_dns_srv_records() -> Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("rules.yaml"), RULES)?;
    let prom = prometheus_scraping_exporter().await?;
    let am = Alertmanager::start().await?;
    let port = |url: &str| url.rsplit(':').next().and_then(|p| p.parse::<u16>().ok()).context("no port");
    let dns = dnsmasq(port(&prom.url)?, port(&am.url)?, dir.path())?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = start_ruler(
        dir.path(),
        "a",
        "dnssrv+_http._tcp.query.e2e.test",
        "dnssrv+http://_web._tcp.am.e2e.test",
        &[&format!("--dns.nameserver={}", dns.addr), "--query.sd-dns-interval=1s"],
    )?;
    wait_ready(&format!("{}/-/ready", r.url), Duration::from_secs(20)).await?;
    let alert = eventually("ValueHigh in Alertmanager", || async {
        Ok(named(&am_alerts(&am.url).await?, "ValueHigh").cloned())
    })
    .await?;
    assert_eq!(alert["labels"]["id"], "big");
    let m = reqwest::get(format!("{}/metrics", r.url)).await?.text().await?;
    assert!(m.contains("thanos_rule_dns_provider_results{client=\"query\"} 1"), "{m}");
    assert!(m.contains("thanos_rule_dns_provider_results{client=\"alertmanager\"} 1"), "{m}");
    Ok(())
}

#[tokio::test]
async fn a_broken_rule_file_at_start_is_refused_with_file_and_line() -> Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("rules.yaml"),
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up ==\n",
    )?;
    let mut r = start_ruler(dir.path(), "a", "http://127.0.0.1:1", "http://127.0.0.1:1", &[])?;
    let status =
        r.child.wait_timeout(Duration::from_secs(20))?.context("the ruler kept running on a broken file")?;
    assert_eq!(status.code(), Some(1));
    let log = std::fs::read_to_string(dir.path().join("ruler-a.log"))?;
    assert!(log.contains("rules.yaml:5:15: group \"g\", rule \"A\": could not parse expression"), "{log}");
    Ok(())
}
