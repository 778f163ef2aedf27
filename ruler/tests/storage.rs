//! The data directory `ruler run` writes: read by a real Prometheus 2.42, kept through kill -9 at
//! any moment, and the source of alert state after a restart.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use promapi::rules::AlertsData;
use promapi::{ApiResponse, QueryData};
use ruler::tsdb::{wal, Block};
use testkit::process::{wait_ready, Alertmanager, Prometheus};

use crate::run::RULES;
use crate::support::{eventually, get_json, prometheus_scraping_exporter, start_ruler};

/// `name{a="b",c="d"}`, as /federate prints a series.
fn series(labels: &promapi::Labels) -> String {
    let name = labels.get("__name__").cloned().unwrap_or_default();
    let pairs: Vec<String> =
        labels.iter().filter(|(k, _)| *k != "__name__").map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{name}{{{}}}", pairs.join(","))
}

/// Every (series, timestamp) in `data`: blocks and the log, read with our own readers.
fn stored(data: &Path) -> Result<BTreeSet<(String, i64)>> {
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(data)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if ulid::Ulid::from_string(&name).is_ok() {
            for s in Block::open(&path)?.series() {
                let s = s?;
                out.extend(s.samples.iter().map(|(t, _)| (series(&s.labels), *t)));
            }
        }
    }
    let replay = wal::replay(&data.join("wal"))?;
    let names: std::collections::HashMap<u64, String> =
        replay.series().map(|s| (s.series_ref, series(&s.labels))).collect();
    out.extend(replay.samples().filter_map(|s| Some((names.get(&s.series_ref)?.clone(), s.t))));
    Ok(out)
}

/// What `/federate` showed: samples the ruler had stored (it publishes after storing).
async fn acknowledged(ruler: &str) -> Result<Vec<(String, i64)>> {
    let text = reqwest::get(format!("{ruler}/federate?match[]=job:e2e_value:sum")).await?.text().await?;
    Ok(text
        .lines()
        .filter_map(|l| {
            let (series, rest) = l.rsplit_once('}')?;
            let t = rest.split_whitespace().nth(1)?.parse().ok()?;
            // /federate adds the external labels; the TSDB holds the series without them.
            let series = series.replace(",rule_replica=\"a\"", "");
            Some((format!("{series}}}"), t))
        })
        .collect())
}

#[tokio::test]
async fn kill_9_at_any_moment_loses_no_acknowledged_sample_and_prometheus_reads_the_dir() -> Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("rules.yaml"), RULES)?;
    let prom = prometheus_scraping_exporter().await?;
    let data = dir.path().join("data-a");
    let mut acked = Vec::new();
    // Two-second blocks, so blocks are cut (and the log rewritten) while the kills land.
    let flags = ["--tsdb.block-duration=2s"];
    for round in 0..8u64 {
        let mut r = start_ruler(dir.path(), "a", &prom.url, "http://127.0.0.1:1", &flags)?;
        if let Err(e) = wait_ready(&format!("{}/-/ready", r.url), Duration::from_secs(20)).await {
            let log = std::fs::read_to_string(dir.path().join("ruler-a.log")).unwrap_or_default();
            anyhow::bail!("round {round}: {e}\n{log}");
        }
        tokio::time::sleep(Duration::from_millis(2000 + round * 370 % 1700)).await;
        acked.extend(acknowledged(&r.url).await?);
        std::process::Command::new("kill").args(["-KILL", &r.child.id().to_string()]).status()?;
        r.child.wait_timeout(Duration::from_secs(5))?.context("kill -9 did not stop the ruler")?;
        let have = stored(&data).with_context(|| format!("after kill {round}"))?;
        for a in &acked {
            assert!(have.contains(a), "round {round}: acknowledged {a:?} lost; stored: {have:?}");
        }
    }
    assert!(acked.len() >= 6, "too few acknowledged samples to test anything: {acked:?}");
    let blocks: Vec<_> = std::fs::read_dir(&data)?
        .filter_map(|e| e.ok())
        .filter(|e| ulid::Ulid::from_string(&e.file_name().to_string_lossy()).is_ok())
        .collect();
    assert!(!blocks.is_empty(), "no block was cut");

    // A real Prometheus on a copy of the data directory answers with exactly the stored samples.
    let copy = tempfile::tempdir()?;
    let status =
        std::process::Command::new("cp").arg("-r").arg(&data).arg(copy.path().join("data")).status()?;
    assert!(status.success());
    let want: BTreeSet<i64> = stored(&data)?
        .into_iter()
        .filter(|(s, _)| s.starts_with("job:e2e_value:sum"))
        .map(|(_, t)| t)
        .collect();
    let reader = Prometheus::start(&[("replica", "copy")], "", Some(copy.path().to_path_buf())).await?;
    let r: ApiResponse<QueryData> = reqwest::Client::new()
        .post(format!("{}/api/v1/query", reader.url))
        .form(&[("query", "job:e2e_value:sum[1h]")])
        .send()
        .await?
        .json()
        .await?;
    let Some(QueryData::Matrix(m)) = r.data else { anyhow::bail!("no matrix: {:?}", r.error) };
    let got: BTreeSet<i64> =
        m.iter().flat_map(|s| s.values.iter().map(|p| (p.0 * 1000.0).round() as i64)).collect();
    assert_eq!(got, want, "Prometheus serves exactly what the ruler stored, from blocks and the log");
    assert!(m[0].values.iter().all(|p| p.1 == "1234568"));
    Ok(())
}

#[tokio::test]
async fn a_restart_keeps_a_firing_alert_firing_with_its_active_at() -> Result<()> {
    let dir = tempfile::tempdir()?;
    // `for` shorter than the grace period: Prometheus would start it over as pending (#15175).
    let rules =
        RULES.replace("        expr: e2e_value > 10\n", "        expr: e2e_value > 10\n        for: 3s\n");
    std::fs::write(dir.path().join("rules.yaml"), rules)?;
    let prom = prometheus_scraping_exporter().await?;
    let am = Alertmanager::start().await?;
    let firing = |url: String| async move {
        let r: ApiResponse<AlertsData> = get_json(&format!("{url}/api/v1/alerts")).await?;
        Ok(r.data.and_then(|d| d.alerts.into_iter().find(|a| a.state == "firing")))
    };
    let mut r = start_ruler(dir.path(), "a", &prom.url, &am.url, &[])?;
    let before = eventually("ValueHigh to fire", || firing(r.url.clone())).await?;
    std::process::Command::new("kill").args(["-KILL", &r.child.id().to_string()]).status()?;
    r.child.wait_timeout(Duration::from_secs(5))?;

    let r = start_ruler(dir.path(), "a", &prom.url, &am.url, &[])?;
    wait_ready(&format!("{}/-/ready", r.url), Duration::from_secs(20)).await?;
    let after = eventually("ValueHigh after the restart", || async {
        let r: ApiResponse<AlertsData> = get_json(&format!("{}/api/v1/alerts", r.url)).await?;
        Ok(r.data.and_then(|d| {
            d.alerts.into_iter().find(|a| a.labels.get("alertname").is_some_and(|n| n == "ValueHigh"))
        }))
    })
    .await?;
    assert_eq!(after.state, "firing", "back to pending after the restart: {after:?}");
    // ALERTS_FOR_STATE holds active_at in whole seconds, as Prometheus writes it.
    let seconds = |t: &Option<String>| t.as_deref().map(|t| t[..19].to_string());
    assert_eq!(seconds(&after.active_at), seconds(&before.active_at));
    Ok(())
}

#[tokio::test]
async fn a_restart_mid_for_keeps_the_time_already_pending() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let rules =
        RULES.replace("        expr: e2e_value > 10\n", "        expr: e2e_value > 10\n        for: 60s\n");
    std::fs::write(dir.path().join("rules.yaml"), rules)?;
    let prom = prometheus_scraping_exporter().await?;
    let pending = |url: String| async move {
        let r: ApiResponse<AlertsData> = get_json(&format!("{url}/api/v1/alerts")).await?;
        Ok(r.data.and_then(|d| d.alerts.into_iter().find(|a| a.state == "pending")))
    };
    let flags = ["--for-grace-period=2s"];
    let mut r = start_ruler(dir.path(), "a", &prom.url, "http://127.0.0.1:1", &flags)?;
    let before = eventually("ValueHigh to be pending", || pending(r.url.clone())).await?;
    tokio::time::sleep(Duration::from_secs(6)).await;
    std::process::Command::new("kill").args(["-KILL", &r.child.id().to_string()]).status()?;
    r.child.wait_timeout(Duration::from_secs(5))?;
    tokio::time::sleep(Duration::from_secs(2)).await;

    let restarted = std::time::SystemTime::now();
    let r = start_ruler(dir.path(), "a", &prom.url, "http://127.0.0.1:1", &flags)?;
    wait_ready(&format!("{}/-/ready", r.url), Duration::from_secs(20)).await?;
    // Restore runs after the first evaluation; wait for the second.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = eventually("ValueHigh pending after the restart", || pending(r.url.clone())).await?;
    let ms = |t: &Option<String>| -> Result<i64> {
        let t = t.as_deref().context("no activeAt")?;
        promapi::time::parse_time(t).context("bad activeAt")
    };
    let (b, a) = (ms(&before.active_at)?, ms(&after.active_at)?);
    let restart_ms = restarted.duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64;
    // As Prometheus: the downtime does not count towards `for`, so activeAt moves by it, and the
    // six seconds already pending are kept (starting over would put activeAt after the restart).
    assert!(a > b, "activeAt should move by the downtime: before {b}, after {a}");
    assert!(a < restart_ms - 3_000, "the time already pending was lost: activeAt {a}, restart {restart_ms}");
    Ok(())
}

#[tokio::test]
async fn a_restart_keeps_an_alert_kept_firing_by_keep_firing_for() -> Result<()> {
    let dir = tempfile::tempdir()?;
    // True for a few seconds from now, then false for good: the alert fires, then is kept firing.
    let until = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() + 4;
    let rules = format!(
        "groups:\n  - name: keep\n    interval: 1s\n    rules:\n      - alert: Flapped\n        expr: vector(time()) < {until}\n        keep_firing_for: 10m\n"
    );
    std::fs::write(dir.path().join("rules.yaml"), rules)?;
    let prom = prometheus_scraping_exporter().await?;
    let kept = |url: String| async move {
        let r: ApiResponse<AlertsData> = get_json(&format!("{url}/api/v1/alerts")).await?;
        Ok(r.data.and_then(|d| {
            d.alerts.into_iter().find(|a| a.state == "firing" && a.keep_firing_since.is_some())
        }))
    };
    let mut r = start_ruler(dir.path(), "a", &prom.url, "http://127.0.0.1:1", &[])?;
    let before = eventually("Flapped to be kept firing", || kept(r.url.clone())).await?;
    std::process::Command::new("kill").args(["-KILL", &r.child.id().to_string()]).status()?;
    r.child.wait_timeout(Duration::from_secs(5))?;

    let r = start_ruler(dir.path(), "a", &prom.url, "http://127.0.0.1:1", &[])?;
    wait_ready(&format!("{}/-/ready", r.url), Duration::from_secs(20)).await?;
    // Prometheus would forget it (prometheus#13957); it stays firing with its times.
    let after = eventually("Flapped kept firing after the restart", || kept(r.url.clone())).await?;
    assert_eq!(after.keep_firing_since, before.keep_firing_since);
    assert_eq!(after.active_at, before.active_at);
    Ok(())
}
