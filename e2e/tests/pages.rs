//! The Rules and Alerts pages against a real Prometheus 2.42 evaluating a rule file whose labels and
//! annotations carry HTML and script payloads; the Status page against its build, runtime and flags.

use std::time::Duration;

use anyhow::{bail, Result};
use promapi::rules::AlertsData;
use promapi::{ApiResponse, QueryData};
use testkit::process::Prometheus;

use crate::support::browser::Browser;
use crate::support::pages::alerts::AlertsPage;
use crate::support::pages::graph::GraphPage;
use crate::support::pages::rules::RulesPage;
use crate::support::pages::status::StatusPage;
use crate::support::{serve_console, serve_console_at};

/// A recording rule without labels (Prometheus then leaves `labels` out), an alert that fires at once
/// with payloads in a label and in both annotations, and one that never fires.
const RULES: &str = r#"groups:
  - name: e2e-pages
    interval: 1s
    rules:
      - record: e2e:up:count
        expr: count by (job) (up)
      - alert: E2EScriptPayload
        expr: vector(1) > 0
        labels:
          severity: page
          payload: "<script>alert(1)</script>"
        annotations:
          summary: "<script>alert(1)</script> value {{ $value }}"
          description: "<img src=x onerror=alert(2)>"
      - alert: E2ENeverFires
        expr: vector(1) < 0
"#;

/// The recording rule's link, as the Thanos UI writes it (relative to the console's base).
const RECORD_LINK: &str = "graph?g0.expr=count+by+%28job%29+%28up%29&g0.tab=1";

/// Prometheus evaluating [`RULES`], with `E2EScriptPayload` firing and `up` recorded; the rule file's
/// directory.
pub(crate) async fn prometheus_with_rules() -> Result<(Prometheus, tempfile::TempDir)> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("rules.yaml");
    std::fs::write(&file, RULES)?;
    let rule_files = format!("rule_files:\n  - {}\n", file.display());
    let prom = Prometheus::start(&[("replica", "a")], &rule_files, None).await?;
    let client = reqwest::Client::new();
    let (alerts_url, query_url) =
        (format!("{}/api/v1/alerts", prom.url), format!("{}/api/v1/query", prom.url));
    for _ in 0..100 {
        let alerts: ApiResponse<AlertsData> = client.get(&alerts_url).send().await?.json().await?;
        let firing = alerts.data.is_some_and(|d| d.alerts.iter().any(|a| a.state == "firing"));
        let recorded: ApiResponse<QueryData> =
            client.post(&query_url).form(&[("query", "e2e:up:count")]).send().await?.json().await?;
        if firing && matches!(recorded.data, Some(QueryData::Vector(v)) if !v.is_empty()) {
            return Ok((prom, dir));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("prometheus did not fire E2EScriptPayload and record e2e:up:count")
}

#[tokio::test]
async fn the_rules_page_lists_groups_and_rules_and_links_each_query_to_the_graph() -> Result<()> {
    let (prom, _rules) = prometheus_with_rules().await?;
    let console = serve_console(&prom.url).await?;
    let b = Browser::start().await?;
    let rules = RulesPage::open(&b, &console).await?;
    rules.wait_rules(3).await?;

    assert_eq!(rules.group_names().await?, vec!["e2e-pages"]);
    assert_eq!(rules.rule_names().await?, vec!["e2e:up:count", "E2EScriptPayload", "E2ENeverFires"]);
    assert_eq!(rules.rule_health().await?, vec!["ok", "ok", "ok"]);
    assert_eq!(rules.group_health().await?, vec!["3 rules, all ok"]);
    let meta = rules.group_meta().await?.join("");
    assert!(
        meta.contains("Interval: 1s · Last evaluation: ") && meta.contains("Evaluation time: "),
        "{meta}"
    );
    assert!(rules.group_files().await?[0].ends_with("rules.yaml"));
    let labels = rules.rule_labels().await?;
    assert!(labels.iter().any(|l| l.contains(r#"payload="<script>alert(1)</script>""#)), "{labels:?}");

    let hrefs = rules.query_links().await?;
    assert_eq!(hrefs[0], RECORD_LINK);
    assert_eq!(hrefs[1], app::pages::rules::graph_link("vector(1) > 0"));
    assert_eq!(rules.queries().await?[0], "count by (job) (up)");
    assert!(rules.top_bar().is_current("rules").await?);

    // The query link opens the graph page with the query's table.
    rules.open_query(0).await?;
    let panel = GraphPage::on(&b).panel(0);
    panel.wait_rows(1).await?;
    assert!(b.url().await?.starts_with(&format!("{console}/{RECORD_LINK}")), "{}", b.url().await?);
    assert!(panel.series_names().await?[0].contains(r#"job="prometheus""#));
    b.close().await
}

#[tokio::test]
async fn the_alerts_page_shows_payloads_as_text_and_filters_by_state_and_text() -> Result<()> {
    let (prom, _rules) = prometheus_with_rules().await?;
    let console = serve_console(&prom.url).await?;
    let b = Browser::start().await?;
    let alerts = AlertsPage::open(&b, &console).await?;
    alerts.wait_alerts(1).await?;

    assert_eq!(alerts.rule_names().await?, vec!["E2EScriptPayload", "E2ENeverFires"]);
    assert_eq!(alerts.rule_states().await?, vec!["firing", "inactive"]);
    for (state, n) in [("inactive", "1"), ("pending", "0"), ("firing", "1")] {
        assert_eq!(alerts.state_count(state).await?, vec![n], "{state}");
    }
    assert_eq!(alerts.alert_states().await?, vec!["firing"]);
    assert_eq!(alerts.alert_values().await?, vec!["1e+00"]);
    let since = alerts.alert_active_since().await?.join("");
    assert!(since.contains("UTC") && since.contains("ago"), "{since}");

    // The payloads are text: shown literally, and no element came of them (a script that ran would
    // also have opened an alert, which fails every later WebDriver command).
    let annotations = alerts.alert_annotations().await?.join("\n");
    assert!(annotations.contains("<script>alert(1)</script> value 1"), "{annotations}");
    assert!(annotations.contains("<img src=x onerror=alert(2)>"), "{annotations}");
    let labels = alerts.alert_labels().await?.join("");
    assert!(labels.contains(r#"payload="<script>alert(1)</script>""#), "{labels}");
    let created = b.js("return document.body.querySelectorAll('script, img, [onerror]').length").await?;
    assert_eq!(created.as_u64(), Some(0), "elements made from payloads");

    // A quiet rule is folded; opening it shows its definition.
    assert_eq!(alerts.queries().await?, vec!["vector(1) > 0"]);
    alerts.toggle_rule(1).await?;
    alerts.wait_queries(2).await?;
    assert_eq!(alerts.queries().await?[1], "vector(1) < 0");

    // Unticking firing hides the firing rule and its alert; ticking brings them back.
    alerts.toggle_state("firing").await?;
    alerts.wait_rules(1).await?;
    assert_eq!(alerts.rule_names().await?, vec!["E2ENeverFires"]);
    assert_eq!(alerts.alert_count().await?, 0);
    alerts.toggle_state("firing").await?;
    alerts.wait_alerts(1).await?;

    // The text filter matches label values; nothing matching says so.
    alerts.filter("<script>").await?;
    alerts.wait_rules(1).await?;
    assert_eq!(alerts.rule_names().await?, vec!["E2EScriptPayload"]);
    alerts.filter("no-such-alert").await?;
    alerts.wait_empty("No alerting rules").await?;

    // The top bar leads to the graph page.
    alerts.top_bar().go_to("graph").await?;
    GraphPage::on(&b).panel(0).input().await?;
    let url = b.url().await?;
    assert!(url == format!("{console}/graph") || url.starts_with(&format!("{console}/graph?")), "{url}");
    b.close().await
}

#[tokio::test]
async fn the_pages_work_under_a_sub_path_and_show_an_unreachable_api() -> Result<()> {
    let (prom, _rules) = prometheus_with_rules().await?;
    let console = serve_console_at(&prom.url, "/monitoring/thanos").await?;
    let b = Browser::start().await?;
    let rules = RulesPage::open(&b, &console).await?;
    rules.wait_rules(3).await?;
    // Links resolve below the sub-path.
    assert_eq!(rules.first_query_url().await?, Some(format!("{console}/{RECORD_LINK}")));
    rules.top_bar().go_to("alerts").await?;
    AlertsPage::on(&b).wait_alerts(1).await?;
    assert_eq!(b.url().await?, format!("{console}/alerts"));

    let closed = testkit::process::free_port()?;
    let console = serve_console(&format!("http://127.0.0.1:{closed}")).await?;
    let rules = RulesPage::open(&b, &console).await?;
    rules.wait_error("Cannot load the rules. Cannot reach the query API").await?;
    b.close().await
}

#[tokio::test]
async fn the_status_page_shows_build_runtime_and_filterable_flags() -> Result<()> {
    let prom = Prometheus::start(&[("replica", "a")], "", None).await?;
    let console = serve_console(&prom.url).await?;
    let b = Browser::start().await?;
    let status = StatusPage::open(&b, &console).await?;
    status.wait_sections(3).await?;
    let version: serde_json::Value =
        reqwest::get(format!("{}/api/v1/status/buildinfo", prom.url)).await?.json().await?;
    let version = version["data"]["version"].as_str().unwrap_or_default().to_string();
    let shown = status.wait_value("version").await?;
    assert_eq!(shown, version);
    assert!(version.starts_with("2.42"), "{version}");
    status.wait_name("goroutineCount").await?;

    // Flags: the filter keeps the matching rows (of all three sections, only flags are filtered).
    status.wait_name("storage.tsdb.path").await?;
    let before = status.row_count().await?;
    status.filter_flags("storage.tsdb.retention").await?;
    b.wait_for("the flags to be filtered", || async {
        let n = status.row_count().await?;
        Ok((n < before).then_some(()))
    })
    .await?;
    let names = status.names().await?;
    assert!(names.iter().any(|n| n == "storage.tsdb.retention.time"), "{names:?}");
    assert!(!names.iter().any(|n| n == "storage.tsdb.path"), "{names:?}");
    b.close().await
}

/// The ruler serving the console (`--web.console-dir`): its Rules and Alerts pages show the ruler's
/// own rules and alerts, from the same origin.
#[tokio::test]
async fn the_ruler_serves_the_console_for_its_own_rules_and_alerts() -> Result<()> {
    let prom = Prometheus::start(&[("replica", "a")], "", None).await?;
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("rules.yaml"), RULES)?;
    let port = testkit::process::free_port()?;
    let args: Vec<String> = vec![
        "run".into(),
        format!("--query={}", prom.url),
        format!("--rule-file={}", dir.path().join("rules.yaml").display()),
        format!("--http-address=127.0.0.1:{port}"),
        format!("--grpc-address=127.0.0.1:{}", testkit::process::free_port()?),
        format!("--data-dir={}", dir.path().join("data").display()),
        format!("--web.console-dir={}", crate::support::dist_dir()?.display()),
        "--rule-file.watch-interval=200ms".into(),
    ];
    let ruler = crate::support::ruler_binary()?;
    let _child = testkit::process::ChildGuard::spawn(
        &ruler.display().to_string(),
        &args,
        Some(&dir.path().join("ruler.log")),
    )?;
    let url = format!("http://127.0.0.1:{port}");

    let b = Browser::start().await?;
    AlertsPage::open(&b, &url).await?;
    // The alert fires at the ruler's first evaluation (interval 1s); reload until it shows.
    b.wait_for("the ruler's alert on its Alerts page", || async {
        let alerts = AlertsPage::open(&b, &url).await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let names = alerts.rule_names().await.unwrap_or_default();
        let firing = alerts.alert_count().await.unwrap_or(0);
        Ok((names.iter().any(|n| n.contains("E2EScriptPayload")) && firing == 1).then_some(()))
    })
    .await?;
    let rules = RulesPage::open(&b, &url).await?;
    rules.wait_group("e2e-pages").await?;
    rules.wait_rules(3).await?;
    // What the ruler adds: each rule's evaluations and the command that repeats its query.
    let rows = rules.open_history(1).await?;
    // Newest first: when, how long, series, samples (ALERTS, ALERTS_FOR_STATE), alerts changed; the
    // first evaluation made the alert.
    assert!(rows.iter().all(|r| r.contains(" UTC (")), "{rows:?}");
    assert!(rows.last().is_some_and(|r| r.ends_with(" 1 2 1")), "{rows:?}");
    let command = rules.open_command().await?;
    assert!(command.starts_with("curl -sS ") && command.contains("query=vector(1) > 0"), "{command}");
    assert_eq!(rules.never_matched().await?, 0, "too few evaluations to say");

    // A broken edit is not loaded, and the page says so.
    std::fs::write(
        dir.path().join("rules.yaml"),
        format!("{RULES}      - record: broken\n        expr: sum(\n"),
    )?;
    let failed = b
        .wait_for("the failed reload on the Rules page", || async {
            let rules = RulesPage::open(&b, &url).await?;
            rules.wait_rules(3).await?;
            rules.reload_failure().await
        })
        .await?;
    assert!(failed.contains("rules.yaml:18:15: group \"e2e-pages\", rule \"broken\""), "{failed}");
    rules.wait_rules(3).await?;
    // API paths the ruler lacks stay API errors, not the console's page.
    let missing = reqwest::get(format!("{url}/api/v1/nothing")).await?;
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await?.contains("\"status\":\"error\""));
    b.close().await
}
