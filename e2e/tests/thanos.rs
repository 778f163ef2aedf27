//! The console against the Thanos API fixture: the Thanos switches, warnings and request parameters.

use anyhow::Result;
use testkit::fixture::{self, FixtureOptions, Recorded};

use crate::support::browser::{keys, Browser};
use crate::support::pages::graph::GraphPage;
use crate::support::{serve_console, serve_console_at};

/// A fixture and a console pointed at it.
pub(crate) async fn stack(options: FixtureOptions) -> Result<(String, String)> {
    let addr = fixture::spawn(options).await?;
    let api = format!("http://{addr}");
    let console = serve_console(&api).await?;
    Ok((api, console))
}

pub(crate) async fn requests(api: &str) -> Result<Vec<Recorded>> {
    Ok(reqwest::get(format!("{api}/__fixture/requests")).await?.json().await?)
}

#[tokio::test]
async fn toggling_deduplication_changes_the_series_count_the_url_and_the_request() -> Result<()> {
    let (api, console) = stack(FixtureOptions::default()).await?;
    let b = Browser::start().await?;
    let panel = GraphPage::open(&b, &console, "g0.expr=fixture_up&g0.tab=1").await?.panel(0);
    panel.wait_rows(2).await?;
    assert!(panel.series_names().await?.iter().all(|n| !n.contains("replica")));

    let first = requests(&api).await?;
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0].path, "/api/v1/query");
    assert_eq!(first[0].values("query"), vec!["fixture_up"]);
    assert_eq!(first[0].values("dedup"), vec!["true"]);
    assert_eq!(first[0].values("partial_response"), vec!["true"]);

    panel.toggle_dedup().await?;
    panel.wait_rows(4).await?;
    let names = panel.series_names().await?;
    assert!(names.iter().any(|n| n.contains(r#"replica="b""#)), "{names:?}");
    b.wait_for("the URL to record dedup off", || async {
        Ok(b.url().await?.contains("g0.deduplicate=0").then_some(()))
    })
    .await?;
    let last = requests(&api).await?.pop().unwrap();
    assert_eq!(last.values("dedup"), vec!["false"]);

    // Replica labels are sent as replicaLabels[] (with the brackets) and kept in the URL.
    panel.toggle_dedup().await?;
    panel.set_replica_labels("instance").await?;
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
    let query = "g0.expr=fixture_up&g0.tab=0&g0.range_input=30m&g0.end_input=2024-01-02%2003:00:00&g0.max_source_resolution=5m";
    let panel = GraphPage::open(&b, &console, query).await?.panel(0);
    panel.wait_legend(2).await?;
    let r = requests(&api).await?.pop().unwrap();
    assert_eq!(r.path, "/api/v1/query_range");
    assert_eq!(r.values("end"), vec!["1704164400"]);
    assert_eq!(r.values("start"), vec!["1704162600"]);
    assert_eq!(r.values("step"), vec!["10"], "30m / 250 = 7.2 s → 10 s");
    assert_eq!(r.values("max_source_resolution"), vec!["5m"]);

    panel.set_step("60").await?;
    b.wait_for("a request with step 60", || async {
        Ok(requests(&api).await?.last().filter(|r| r.values("step") == vec!["60"]).cloned())
    })
    .await?;
    panel.choose_resolution("1h").await?;
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
    let panel = GraphPage::open(&b, &console, "").await?.panel(0);
    let expr = panel.input().await?;
    expr.type_keys("sum(rate(fixture_up[5m])").await?;
    expr.type_keys(keys::ENTER).await?;
    let err = panel.wait_parse_error("Parse error").await?;
    assert!(err.len() > "Parse error: ".len(), "{err}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(requests(&api).await?.is_empty(), "a request was sent");

    // Shift+Enter inserts a newline instead of running; fixing the expression and Enter runs it.
    expr.type_keys(&format!("{}{}{})", keys::SHIFT, keys::ENTER, keys::SHIFT)).await?;
    let value = expr.value().await?;
    assert_eq!(value, "sum(rate(fixture_up[5m])\n)");
    expr.type_keys(keys::ENTER).await?;
    panel.wait_legend(2).await?; // the fixture answers every query with its series
    assert!(!panel.shows_parse_error().await?);
    assert_eq!(requests(&api).await?.len(), 1);
    b.close().await
}

#[tokio::test]
async fn a_failed_store_marks_the_result_partial_and_turning_partial_response_off_shows_the_error(
) -> Result<()> {
    let (_api, console) = stack(FixtureOptions { failing_store: true, ..Default::default() }).await?;
    let b = Browser::start().await?;
    let panel = GraphPage::open(&b, &console, "g0.expr=fixture_up&g0.tab=1").await?.panel(0);
    panel.wait_rows(2).await?;
    let warning = panel.wait_warning("fetch series for").await?;
    assert!(warning.starts_with("Store failed"), "{warning}");
    let notice = panel.wait_partial_notice().await?;
    assert!(notice.starts_with("Partial result"), "{notice}");

    panel.toggle_partial_response().await?;
    let error = panel.wait_error("fetch series for").await?;
    assert!(error.contains("internal"), "{error}");
    assert!(!panel.shows_partial_notice().await?);
    assert_eq!(panel.row_count().await?, 0);
    b.close().await
}

#[tokio::test]
async fn the_console_works_under_a_sub_path() -> Result<()> {
    let addr = fixture::spawn(FixtureOptions::default()).await?;
    let console = serve_console_at(&format!("http://{addr}"), "/monitoring/thanos").await?;
    let b = Browser::start().await?;
    // A deep link below the sub-path loads the assets, config.json and the parser worker relative to it.
    let panel = GraphPage::open(&b, &console, "g0.expr=fixture_up&g0.tab=1").await?.panel(0);
    panel.wait_rows(2).await?;
    panel.input().await?.type_keys("{").await?;
    panel.wait_parse_error("Parse error").await?;
    assert!(b.url().await?.contains("/monitoring/thanos/graph?g0.expr=fixture_up"));
    b.close().await
}

#[tokio::test]
async fn an_unreachable_api_and_a_garbage_answer_are_shown_as_errors() -> Result<()> {
    // Nothing listens on this port.
    let closed = testkit::process::free_port()?;
    let console = serve_console(&format!("http://127.0.0.1:{closed}")).await?;
    let b = Browser::start().await?;
    let panel = GraphPage::open(&b, &console, "g0.expr=up&g0.tab=1").await?.panel(0);
    panel.wait_error("Cannot reach the query API").await?;

    // A server that answers with something that is not the API's JSON.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let garbage = listener.local_addr()?;
    let app = axum::Router::new()
        .fallback(|| async { ([("access-control-allow-origin", "*")], "<html>502 Bad Gateway</html>") });
    tokio::spawn(async move { axum::serve(listener, app).await });
    let console = serve_console(&format!("http://{garbage}")).await?;
    let panel = GraphPage::open(&b, &console, "g0.expr=up&g0.tab=1").await?.panel(0);
    let e = panel.wait_error("unreadable answer").await?;
    assert!(e.contains("HTTP 200") && e.contains("text/plain, not JSON"), "{e}");
    b.close().await
}

#[tokio::test]
async fn a_running_query_can_be_cancelled_and_the_server_sees_it_go() -> Result<()> {
    // An API that never answers; it notes when the console gives up on the request.
    let gone = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    struct NoteDrop(std::sync::Arc<std::sync::atomic::AtomicBool>);
    impl Drop for NoteDrop {
        fn drop(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
    let g = gone.clone();
    let hang = move || {
        let guard = NoteDrop(g.clone());
        async move {
            tokio::time::sleep(std::time::Duration::from_secs(600)).await;
            drop(guard);
            "never"
        }
    };
    let api =
        crate::support::serve_api(axum::Router::new().route("/api/v1/query", axum::routing::post(hang)))
            .await?;
    let console = serve_console(&api).await?;
    let b = Browser::start().await?;
    let panel = GraphPage::open(&b, &console, "g0.expr=up&g0.tab=1").await?.panel(0);
    b.wait_for("the Cancel button", || async {
        Ok((panel.execute_label().await? == "Cancel").then_some(()))
    })
    .await?;
    panel.press_execute().await?;
    panel.wait_error("Cancelled").await?;
    assert_eq!(panel.execute_label().await?, "Execute");
    b.wait_for("the server to see the request go", || async {
        Ok(gone.load(std::sync::atomic::Ordering::SeqCst).then_some(()))
    })
    .await?;
    b.close().await
}

#[tokio::test]
async fn the_thanos_engine_s_analysis_and_explain_tree_are_shown() -> Result<()> {
    let (api, console) = stack(FixtureOptions::default()).await?;
    let b = Browser::start().await?;
    let query = "g0.expr=fixture_up&g0.tab=1&g0.engine=thanos&g0.analyze=1";
    let panel = GraphPage::open(&b, &console, query).await?.panel(0);
    panel.wait_rows(2).await?;
    let sent = requests(&api).await?.pop().unwrap();
    assert_eq!(sent.values("analyze"), vec!["true"]);
    assert_eq!(sent.values("engine"), vec!["thanos"]);
    panel.open_analysis().await?;
    let names = panel.analysis_operators().await?;
    assert_eq!(names, vec!["[dedup]", r#"[vectorSelector] {[__name__="fixture_up"]}"#]);
    assert!(panel.analysis_text().await?.contains("time 1.25ms"));

    // Explain: the same query to the range explain endpoint, its tree shown.
    panel.show_graph().await?;
    panel.wait_legend(2).await?;
    panel.explain().await?;
    panel.wait_explained_operators(2).await?;
    // The fixture says it is Thanos: nothing is marked Thanos-only.
    assert!(!panel.shows_thanos_only_note().await?);
    let explain = requests(&api).await?.pop().unwrap();
    assert_eq!(explain.path, "/api/v1/query_range_explain");
    assert_eq!(explain.values("query"), vec!["fixture_up"]);
    assert!(explain.values("analyze").is_empty());

    // The Prometheus engine cannot analyze or explain: the controls go away.
    panel.choose_engine("prometheus").await?;
    panel.wait_explain_gone().await?;
    assert!(!panel.shows_analyze_switch().await?);
    b.close().await
}
