//! `ruler run` against a real Prometheus 2.42 and a real Alertmanager 0.25: the same rules evaluated by
//! Prometheus itself and by two ruler replicas must agree, and the HA pair must make one alert.

use std::time::Duration;

use anyhow::Result;
use promapi::rules::{AlertsData, Rule, RulesData};
use promapi::ApiResponse;
use serde_json::Value;
use testkit::process::{free_port, wait_ready, Alertmanager, Prometheus};

use crate::support::{
    am_alerts, eventually, exporter, get_json, named, prometheus_scraping_exporter, start_ruler,
};

pub const RULES: &str = "groups:
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
    let a = start_ruler(dir.path(), "a", &prom.url, &am.url, &[])?;
    let b = start_ruler(dir.path(), "b", &prom.url, &am.url, &[])?;
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
    assert!(alerts[0]["generatorURL"]
        .as_str()
        .unwrap()
        .starts_with("http://thanos.example:9090/graph?g0.expr=e2e_value"));

    // Recorded values equal the query's result, as /federate shows them (external labels added).
    let federated =
        reqwest::get(format!("{}/federate?match[]=job:e2e_value:sum", a.url)).await?.text().await?;
    let line = federated.lines().next().unwrap_or_default();
    assert!(line.starts_with("job:e2e_value:sum{job=\"demo\",rule_replica=\"a\"} 1234568 "), "{federated}");
    let r: ApiResponse<promapi::QueryData> = reqwest::Client::new()
        .post(format!("{}/api/v1/query", prom.url))
        .form(&[("query", "job:e2e_value:sum")])
        .send()
        .await?
        .json()
        .await?;
    let Some(promapi::QueryData::Vector(v)) = r.data else { anyhow::bail!("no vector") };
    assert_eq!(
        v[0].value.as_ref().map(|p| p.1.as_str()),
        Some("1234568"),
        "Prometheus records the same value"
    );

    // Its own metrics, in the Prometheus text format.
    let metrics = reqwest::get(format!("{}/metrics", a.url)).await?.text().await?;
    for want in [
        "prometheus_rule_evaluations_total{rule_group=",
        "prometheus_rule_group_iterations_total{",
        "thanos_alert_sender_alerts_sent_total{alertmanager=",
        "prometheus_config_last_reload_successful 1",
    ] {
        assert!(metrics.contains(want), "{want} missing from\n{metrics}");
    }
    assert!(
        !metrics.contains("prometheus_rule_evaluation_failures_total{"),
        "no failures expected\n{metrics}"
    );
    Ok(())
}

#[tokio::test]
async fn when_the_querier_goes_down_alerts_stay_firing_and_the_outage_is_an_alert() -> Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("rules.yaml"), RULES)?;
    let prom = prometheus_scraping_exporter().await?;
    let am = Alertmanager::start().await?;
    // One-second interval and resend delay: Alertmanager would resolve an unrefreshed alert after 4 s.
    let r = start_ruler(dir.path(), "a", &prom.url, &am.url, &["--resend-delay=1s"])?;
    wait_ready(&format!("{}/-/ready", r.url), Duration::from_secs(20)).await?;
    eventually("ValueHigh in Alertmanager", || async {
        Ok(named(&am_alerts(&am.url).await?, "ValueHigh").cloned())
    })
    .await?;

    drop(prom); // the querier goes away
    let outage = eventually("RulerQueryUnavailable in Alertmanager", || async {
        Ok(named(&am_alerts(&am.url).await?, "RulerQueryUnavailable").cloned())
    })
    .await?;
    assert_eq!(outage["labels"]["rule_group"], "e2e");
    assert!(outage["annotations"]["description"].as_str().unwrap().contains("no query API server reachable"));

    // Well past 4 × max(interval, resend delay), ValueHigh is still active in Alertmanager.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let alerts = am_alerts(&am.url).await?;
    assert!(named(&alerts, "ValueHigh").is_some(), "ValueHigh was resolved during the outage: {alerts:#?}");
    let rules: ApiResponse<RulesData> = get_json(&format!("{}/api/v1/rules", r.url)).await?;
    let group = &rules.data.unwrap().groups[0];
    assert!(
        group.rules.iter().all(|rule| match rule {
            Rule::Recording(x) => x.health == "err",
            Rule::Alerting(x) => x.health == "err" && x.state == "firing",
        }),
        "{group:#?}"
    );
    Ok(())
}

fn rule_count(r: &ApiResponse<RulesData>) -> usize {
    r.data.as_ref().map(|d| d.groups.iter().map(|g| g.rules.len()).sum()).unwrap_or(0)
}

#[tokio::test]
async fn reload_takes_new_rules_and_keeps_the_old_ones_when_a_file_is_bad() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("rules.yaml");
    std::fs::write(&file, RULES)?;
    let closed = free_port()?;
    let r = start_ruler(dir.path(), "a", &format!("http://127.0.0.1:{closed}"), "http://127.0.0.1:1", &[])?;
    wait_ready(&format!("{}/-/ready", r.url), Duration::from_secs(20)).await?;
    let rules = || async { get_json::<ApiResponse<RulesData>>(&format!("{}/api/v1/rules", r.url)).await };
    assert_eq!(rule_count(&rules().await?), 2);
    let client = reqwest::Client::new();

    // POST /-/reload with a third rule.
    std::fs::write(&file, format!("{RULES}      - record: third\n        expr: vector(3)\n"))?;
    let resp = client.post(format!("{}/-/reload", r.url)).send().await?;
    assert_eq!(resp.status(), 200);
    assert_eq!(rule_count(&rules().await?), 3);

    // A broken file is refused with file:line, and the three rules keep running.
    std::fs::write(&file, "groups:\n  - name: e2e\n    rules:\n      - record: x\n        expr: sum(\n")?;
    let resp = client.post(format!("{}/-/reload", r.url)).send().await?;
    assert_eq!(resp.status(), 500);
    let text = resp.text().await?;
    assert!(
        text.contains("rules.yaml:5:15: group \"e2e\", rule \"x\": could not parse expression"),
        "{text}"
    );
    assert_eq!(rule_count(&rules().await?), 3);
    let metrics = reqwest::get(format!("{}/metrics", r.url)).await?.text().await?;
    assert!(metrics.contains("prometheus_config_last_reload_successful 0"), "{metrics}");

    // SIGHUP reloads too.
    std::fs::write(
        &file,
        "groups:\n  - name: only\n    rules:\n      - record: one\n        expr: vector(1)\n",
    )?;
    let status = std::process::Command::new("kill").args(["-HUP", &r.child.id().to_string()]).status()?;
    assert!(status.success());
    eventually("SIGHUP to reload the rules", || async {
        Ok((rule_count(&rules().await?) == 1).then_some(()))
    })
    .await?;
    Ok(())
}

/// Kubernetes mounts a ConfigMap as `rules.yaml -> ..data/rules.yaml`, `..data -> ..<version>`, and
/// updates it by writing a new version directory and swapping `..data`.
fn configmap_version(dir: &std::path::Path, version: &str, rules: &str) -> Result<()> {
    let versioned = dir.join(format!("..{version}"));
    std::fs::create_dir(&versioned)?;
    std::fs::write(versioned.join("rules.yaml"), rules)?;
    let tmp = dir.join("..data_tmp");
    std::os::unix::fs::symlink(&versioned, &tmp)?;
    std::fs::rename(&tmp, dir.join("..data"))?;
    if !dir.join("rules.yaml").exists() {
        std::os::unix::fs::symlink("..data/rules.yaml", dir.join("rules.yaml"))?;
    }
    Ok(())
}

#[tokio::test]
async fn rule_files_are_watched_through_edits_a_broken_file_and_a_configmap_swap() -> Result<()> {
    let dir = tempfile::tempdir()?;
    configmap_version(dir.path(), "v1", RULES)?;
    let closed = free_port()?;
    let r = start_ruler(
        dir.path(),
        "a",
        &format!("http://127.0.0.1:{closed}"),
        "http://127.0.0.1:1",
        &["--rule-file.watch-interval=200ms"],
    )?;
    wait_ready(&format!("{}/-/ready", r.url), Duration::from_secs(20)).await?;
    let rules = || async { get_json::<ApiResponse<RulesData>>(&format!("{}/api/v1/rules", r.url)).await };
    assert_eq!(rule_count(&rules().await?), 2);
    let loaded = |r: &ApiResponse<RulesData>| r.data.as_ref().and_then(|d| d.last_reload.clone());
    assert!(loaded(&rules().await?).is_some_and(|l| l.success && l.error.is_none()));

    // Edited in place (through the symlinks): picked up without a signal.
    std::fs::write(
        dir.path().join("..v1/rules.yaml"),
        format!("{RULES}      - record: third\n        expr: vector(3)\n"),
    )?;
    eventually("the edit to be loaded", || async { Ok((rule_count(&rules().await?) == 3).then_some(())) })
        .await?;

    // Broken: the three rules keep running, and the API and the metric say why.
    std::fs::write(
        dir.path().join("..v1/rules.yaml"),
        "groups:\n  - name: e2e\n    rules:\n      - record: x\n        expr: sum(\n",
    )?;
    let failed = eventually("the broken file to be reported", || async {
        Ok(loaded(&rules().await?).filter(|l| !l.success))
    })
    .await?;
    let error = failed.error.unwrap_or_default();
    assert!(error.contains("rules.yaml:5:15: group \"e2e\", rule \"x\""), "{error}");
    assert_eq!(rule_count(&rules().await?), 3);
    let metrics = reqwest::get(format!("{}/metrics", r.url)).await?.text().await?;
    assert!(metrics.contains("prometheus_config_last_reload_successful 0"), "{metrics}");

    // Fixed by a ConfigMap update: the symlink swap is seen.
    configmap_version(
        dir.path(),
        "v2",
        "groups:\n  - name: only\n    rules:\n      - record: one\n        expr: vector(1)\n",
    )?;
    eventually("the swapped file to be loaded", || async {
        Ok((rule_count(&rules().await?) == 1).then_some(()))
    })
    .await?;
    assert!(loaded(&rules().await?).is_some_and(|l| l.success));
    let metrics = reqwest::get(format!("{}/metrics", r.url)).await?.text().await?;
    assert!(metrics.contains("prometheus_config_last_reload_successful 1"), "{metrics}");
    let missed: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("prometheus_rule_group_iterations_missed_total{") && !l.ends_with(" 0"))
        .collect();
    assert!(missed.is_empty(), "no evaluation missed across the reloads: {missed:?}");
    Ok(())
}

#[tokio::test]
async fn alert_relabelling_reaches_alertmanager_and_can_drop_alerts() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let rules = format!(
        "{RULES}      - alert: Chatter
        expr: vector(1)
        labels:
          severity: debug
"
    );
    std::fs::write(dir.path().join("rules.yaml"), rules)?;
    // Not *.yaml: the ruler loads those as rule files.
    let relabel = dir.path().join("relabel.yml");
    std::fs::write(
        &relabel,
        "- source_labels: [severity]
  target_label: team
  replacement: oncall-$1
- source_labels: [alertname, severity]
  separator: /
  regex: 'ValueHigh/page'
  action: keep
- regex: id
  action: labeldrop
",
    )?;
    let prom = prometheus_scraping_exporter().await?;
    let am = Alertmanager::start().await?;
    let flag = format!("--alert.relabel-config-file={}", relabel.display());
    let template = "--alert.query-template=/explore?orgId=1&expr={{.Expr}}";
    let r = start_ruler(dir.path(), "a", &prom.url, &am.url, &[&flag, template])?;
    wait_ready(&format!("{}/-/ready", r.url), Duration::from_secs(20)).await?;
    let alert = eventually("ValueHigh in Alertmanager", || async {
        Ok(named(&am_alerts(&am.url).await?, "ValueHigh").cloned())
    })
    .await?;
    assert_eq!(alert["labels"]["team"], "oncall-page", "{alert:#}");
    assert_eq!(alert["generatorURL"], "http://thanos.example:9090/explore?orgId=1&expr=e2e_value+%3E+10");
    assert!(alert["labels"].get("id").is_none(), "labeldrop: {alert:#}");
    // Chatter fires in the same group and goes out in the same batches: two more rounds, still absent.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let alerts = am_alerts(&am.url).await?;
    assert!(named(&alerts, "Chatter").is_none(), "kept only ValueHigh/page: {alerts:#?}");
    // The ruler itself still shows Chatter firing: relabelling is about what is sent.
    let ours: ApiResponse<AlertsData> = get_json(&format!("{}/api/v1/alerts", r.url)).await?;
    assert!(ours.data.unwrap().alerts.iter().any(|a| a.labels["alertname"] == "Chatter"));

    // A broken config stops the start, naming the flag and the file.
    std::fs::write(&relabel, "- action: hashmod\n  target_label: shard\n")?;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ruler"))
        .args([
            "run",
            "--query=http://127.0.0.1:1",
            &flag,
            &format!("--data-dir={}", dir.path().join("x").display()),
        ])
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--alert.relabel-config-file") && stderr.contains("non-zero modulus"),
        "{stderr}"
    );
    // So does a link template that cannot be rendered.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ruler"))
        .args(["run", "--query=http://127.0.0.1:1", "--alert.query-template=/graph?g0.expr={{.Expr"])
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--alert.query-template: unclosed action"), "{stderr}");
    Ok(())
}
