//! The console against the Thanos API fixture: the Thanos switches, warnings and request parameters.

use anyhow::Result;
use testkit::fixture::{self, FixtureOptions, Recorded};

use crate::support::browser::Browser;
use crate::support::{serve_console, serve_console_at};

/// A fixture and a console pointed at it.
async fn stack(options: FixtureOptions) -> Result<(String, String)> {
    let addr = fixture::spawn(options).await?;
    let api = format!("http://{addr}");
    let console = serve_console(&api).await?;
    Ok((api, console))
}

async fn requests(api: &str) -> Result<Vec<Recorded>> {
    Ok(reqwest::get(format!("{api}/__fixture/requests")).await?.json().await?)
}

#[tokio::test]
async fn toggling_deduplication_changes_the_series_count_the_url_and_the_request() -> Result<()> {
    let (api, console) = stack(FixtureOptions::default()).await?;
    let b = Browser::start().await?;
    b.goto(&format!("{console}/graph?g0.expr=fixture_up&g0.tab=1")).await?;
    b.wait_count("[data-testid=series-row]", 2).await?;
    assert!(b.texts("[data-testid=series-name]").await?.iter().all(|n| !n.contains("replica")));

    let first = requests(&api).await?;
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0].path, "/api/v1/query");
    assert_eq!(first[0].values("query"), vec!["fixture_up"]);
    assert_eq!(first[0].values("dedup"), vec!["true"]);
    assert_eq!(first[0].values("partial_response"), vec!["true"]);

    b.click("[data-testid=dedup]").await?;
    b.wait_count("[data-testid=series-row]", 4).await?;
    let names = b.texts("[data-testid=series-name]").await?;
    assert!(names.iter().any(|n| n.contains(r#"replica="b""#)), "{names:?}");
    b.wait_for("the URL to record dedup off", || async {
        Ok(b.url().await?.contains("g0.deduplicate=0").then_some(()))
    })
    .await?;
    let last = requests(&api).await?.pop().unwrap();
    assert_eq!(last.values("dedup"), vec!["false"]);

    // Replica labels are sent as replicaLabels[] (with the brackets) and kept in the URL.
    b.click("[data-testid=dedup]").await?;
    b.type_into("[data-testid=replica-labels]", "instance\t").await?;
    b.wait_for("a request with replicaLabels[]", || async {
        let r = requests(&api).await?;
        Ok(r.last().filter(|r| r.values("replicaLabels[]") == vec!["instance"]).cloned())
    })
    .await?;
    assert!(b.url().await?.contains("g0.replica_labels=instance"));
    b.close().await
}

#[tokio::test]
async fn graph_controls_drive_the_range_query() -> Result<()> {
    let (api, console) = stack(FixtureOptions::default()).await?;
    let b = Browser::start().await?;
    b.goto(&format!(
        "{console}/graph?g0.expr=fixture_up&g0.tab=0&g0.range_input=30m&g0.end_input=2024-01-02%2003:00:00&g0.max_source_resolution=5m"
    ))
    .await?;
    b.wait_count("[data-testid=legend-item]", 2).await?;
    let r = requests(&api).await?.pop().unwrap();
    assert_eq!(r.path, "/api/v1/query_range");
    assert_eq!(r.values("end"), vec!["1704164400"]);
    assert_eq!(r.values("start"), vec!["1704162600"]);
    assert_eq!(r.values("step"), vec!["10"], "30m / 250 = 7.2 s → 10 s");
    assert_eq!(r.values("max_source_resolution"), vec!["5m"]);

    b.type_into("[data-testid=step]", "60\t").await?;
    b.wait_for("a request with step 60", || async {
        Ok(requests(&api).await?.last().filter(|r| r.values("step") == vec!["60"]).cloned())
    })
    .await?;
    b.find("[data-testid=resolution]").await?.select_by_value("1h").await?;
    b.wait_for("the URL to carry the new resolution and step", || async {
        let u = b.url().await?;
        Ok((u.contains("g0.max_source_resolution=1h") && u.contains("g0.step_input=60")).then_some(()))
    })
    .await?;
    assert_eq!(requests(&api).await?.last().unwrap().values("max_source_resolution"), vec!["1h"]);
    b.close().await
}

#[tokio::test]
async fn a_parse_error_is_shown_and_nothing_is_sent() -> Result<()> {
    let (api, console) = stack(FixtureOptions::default()).await?;
    let b = Browser::start().await?;
    b.goto(&format!("{console}/graph")).await?;
    let expr = b.find("[data-testid=expr]").await?;
    expr.send_keys("sum(rate(fixture_up[5m])").await?;
    expr.send_keys("\u{E007}").await?; // Enter
    let err = b.wait_text("[data-testid=parse-error]", "Parse error").await?;
    assert!(err.len() > "Parse error: ".len(), "{err}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(requests(&api).await?.is_empty(), "a request was sent");

    // Shift+Enter inserts a newline instead of running; fixing the expression and Enter runs it.
    expr.send_keys("\u{E008}\u{E007}\u{E008})").await?;
    let value = expr.prop("value").await?.unwrap_or_default();
    assert_eq!(value, "sum(rate(fixture_up[5m])\n)");
    expr.send_keys("\u{E007}").await?;
    b.wait_count("[data-testid=legend-item]", 2).await?; // the fixture answers every query with its series
    assert!(b.find_all("[data-testid=parse-error]").await?.is_empty());
    assert_eq!(requests(&api).await?.len(), 1);
    b.close().await
}

#[tokio::test]
async fn a_failed_store_marks_the_result_partial_and_turning_partial_response_off_shows_the_error(
) -> Result<()> {
    let (_api, console) = stack(FixtureOptions { failing_store: true, ..Default::default() }).await?;
    let b = Browser::start().await?;
    b.goto(&format!("{console}/graph?g0.expr=fixture_up&g0.tab=1")).await?;
    b.wait_count("[data-testid=series-row]", 2).await?;
    let warning = b.wait_text("[data-testid=warning]", "fetch series for").await?;
    assert!(warning.starts_with("Store failed"), "{warning}");
    let notice = b.find("[data-testid=partial-notice]").await?.text().await?;
    assert!(notice.starts_with("Partial result"), "{notice}");

    b.click("[data-testid=partial-response]").await?;
    let error = b.wait_text("[data-testid=error]", "fetch series for").await?;
    assert!(error.contains("internal"), "{error}");
    assert!(b.find_all("[data-testid=partial-notice]").await?.is_empty());
    assert!(b.find_all("[data-testid=series-row]").await?.is_empty());
    b.close().await
}

#[tokio::test]
async fn the_console_works_under_a_sub_path() -> Result<()> {
    let addr = fixture::spawn(FixtureOptions::default()).await?;
    let console = serve_console_at(&format!("http://{addr}"), "/monitoring/thanos").await?;
    let b = Browser::start().await?;
    // A deep link below the sub-path loads the assets, config.json and the parser worker relative to it.
    b.goto(&format!("{console}/graph?g0.expr=fixture_up&g0.tab=1")).await?;
    b.wait_count("[data-testid=series-row]", 2).await?;
    let expr = b.find("[data-testid=expr]").await?;
    expr.send_keys("{").await?;
    b.wait_text("[data-testid=parse-error]", "Parse error").await?;
    assert!(b.url().await?.contains("/monitoring/thanos/graph?g0.expr=fixture_up"));
    b.close().await
}

#[tokio::test]
async fn an_unreachable_api_and_a_garbage_answer_are_shown_as_errors() -> Result<()> {
    // Nothing listens on this port.
    let closed = testkit::process::free_port()?;
    let console = serve_console(&format!("http://127.0.0.1:{closed}")).await?;
    let b = Browser::start().await?;
    b.goto(&format!("{console}/graph?g0.expr=up&g0.tab=1")).await?;
    b.wait_text("[data-testid=error]", "Cannot reach the query API").await?;

    // A server that answers with something that is not the API's JSON.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let garbage = listener.local_addr()?;
    let app = axum::Router::new()
        .fallback(|| async { ([("access-control-allow-origin", "*")], "<html>502 Bad Gateway</html>") });
    tokio::spawn(async move { axum::serve(listener, app).await });
    let console = serve_console(&format!("http://{garbage}")).await?;
    b.goto(&format!("{console}/graph?g0.expr=up&g0.tab=1")).await?;
    let e = b.wait_text("[data-testid=error]", "unreadable answer").await?;
    assert!(e.contains("HTTP 200"), "{e}");
    b.close().await
}

#[tokio::test]
async fn the_thanos_engine_s_analysis_and_explain_tree_are_shown() -> Result<()> {
    let (api, console) = stack(FixtureOptions::default()).await?;
    let b = Browser::start().await?;
    b.goto(&format!("{console}/graph?g0.expr=fixture_up&g0.tab=1&g0.engine=thanos&g0.analyze=1")).await?;
    b.wait_count("[data-testid=series-row]", 2).await?;
    let sent = requests(&api).await?.pop().unwrap();
    assert_eq!(sent.values("analyze"), vec!["true"]);
    assert_eq!(sent.values("engine"), vec!["thanos"]);
    b.click("[data-testid=analysis] summary").await?;
    let names = b.texts("[data-testid=analysis] [data-testid=operator-name]").await?;
    assert_eq!(names, vec!["[dedup]", r#"[vectorSelector] {[__name__="fixture_up"]}"#]);
    assert!(b.find("[data-testid=analysis]").await?.text().await?.contains("time 1.25ms"));

    // Explain: the same query to the range explain endpoint, its tree shown.
    b.click("[data-testid=tab-graph]").await?;
    b.wait_count("[data-testid=legend-item]", 2).await?;
    b.click("[data-testid=explain]").await?;
    b.wait_count("[data-testid=explain-tree] [data-testid=operator]", 2).await?;
    let explain = requests(&api).await?.pop().unwrap();
    assert_eq!(explain.path, "/api/v1/query_range_explain");
    assert_eq!(explain.values("query"), vec!["fixture_up"]);
    assert!(explain.values("analyze").is_empty());

    // The Prometheus engine cannot analyze or explain: the controls go away.
    b.find("[data-testid=engine]").await?.select_by_value("prometheus").await?;
    b.wait_count("[data-testid=explain]", 0).await?;
    assert!(b.find_all("[data-testid=analyze]").await?.is_empty());
    b.close().await
}
