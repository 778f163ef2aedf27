//! Several panels on a page against a real Prometheus 2.42: added, duplicated and removed, each with
//! its own query and its own `gN.*` URL state.

use std::sync::Arc;

use anyhow::{ensure, Result};
use tokio::sync::Semaphore;

use crate::prometheus::prometheus_with_data;
use crate::support::browser::Browser;
use crate::support::pages::embed::EmbedPage;
use crate::support::pages::graph::GraphPage;
use crate::support::{big_answer, serve_api, serve_console};

/// The page URL's query, decoded, as `key=value` pairs.
async fn url_pairs(b: &Browser) -> Result<Vec<(String, String)>> {
    let url = b.url().await?;
    let query = url.split_once('?').map_or("", |(_, q)| q);
    Ok(form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
}

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn an_embed_fills_its_frame_says_its_window_and_refreshes_on_the_url_s_interval() -> Result<()> {
    let (api, console) = crate::thanos::stack(testkit::fixture::FixtureOptions::default()).await?;
    let b = Browser::start().await?;
    b.client.set_window_size(640, 420).await?;
    let embed =
        EmbedPage::open(&b, &console, "g0.expr=fixture_up&g0.tab=0&g0.range_input=15m&refresh=5s").await?;
    embed.panel().wait_legend(2).await?;
    let updated = embed.wait_updated().await?;
    let (window, _) = embed.window_and_updated().await?;
    assert_eq!(window, "last 15m");
    assert!(updated.contains("⟳ 5s"), "{updated}");
    // The chart takes the frame's height, less the header, tabs and legend: nothing scrolls.
    let [inner, top, bottom, page] = embed.frame_and_chart().await?;
    ensure!(bottom - top > inner * 0.5, "a {}px chart in a {inner}px frame", bottom - top);
    ensure!(page <= inner + 1.0, "the page ({page}px) is taller than its frame ({inner}px)");
    // A taller frame, a taller chart.
    b.client.set_window_size(640, 700).await?;
    let grown = b
        .wait_for("the chart to follow the frame", || async {
            let [taller, top, bottom, _] = embed.frame_and_chart().await?;
            Ok((taller > inner + 100.0 && bottom - top > taller * 0.6).then_some(bottom - top))
        })
        .await?;
    ensure!(grown > bottom - top);
    // refresh=5s: the range query is sent again, with a later end, without a click.
    let ends = || async {
        let sent = crate::thanos::requests(&api).await?;
        Ok::<_, anyhow::Error>(
            sent.iter()
                .filter(|r| r.path == "/api/v1/query_range")
                .filter_map(|r| r.values("end").first().map(|e| e.to_string()))
                .collect::<Vec<_>>(),
        )
    };
    let first = ends().await?;
    let later = b
        .wait_for("a refresh", || async {
            let now = ends().await?;
            Ok((now.len() > first.len()).then_some(now))
        })
        .await?;
    let (a, z): (f64, f64) = (later[0].parse()?, later[later.len() - 1].parse()?);
    ensure!(z >= a + 4.0, "refreshed at {z}, first at {a}");
    b.close().await
}

#[tokio::test]
async fn panels_are_duplicated_edited_and_removed_each_with_its_url_state() -> Result<()> {
    let prom = prometheus_with_data(1).await?;
    let console = serve_console(&prom.url).await?;
    let b = Browser::start().await?;
    let graph = GraphPage::open(&b, &console, "g0.expr=e2e_demo_value&g0.tab=1").await?;
    let (first, second) = (graph.panel(0), graph.panel(1));
    first.wait_rows(3).await?;

    // A copy runs the same query on its own and appears in the URL as g1.
    first.duplicate().await?;
    second.wait_rows(3).await?;
    let pairs = url_pairs(&b).await?;
    ensure!(
        get(&pairs, "g1.expr") == Some("e2e_demo_value") && get(&pairs, "g1.tab") == Some("1"),
        "{pairs:?}"
    );

    // Editing the copy changes only the copy.
    let one = r#"e2e_demo_value{id="one"}"#;
    second.execute(one).await?;
    second.wait_rows(1).await?;
    first.wait_rows(3).await?;
    let pairs = url_pairs(&b).await?;
    ensure!(
        get(&pairs, "g0.expr") == Some("e2e_demo_value") && get(&pairs, "g1.expr") == Some(one),
        "{pairs:?}"
    );

    // Removing the first leaves the copy as g0, with its result.
    first.remove().await?;
    graph.wait_panels(1).await?;
    first.wait_rows(1).await?;
    let pairs = url_pairs(&b).await?;
    ensure!(get(&pairs, "g0.expr") == Some(one) && get(&pairs, "g1.expr").is_none(), "{pairs:?}");

    // A new panel is empty and stays out of the URL until it has an expression.
    graph.add_panel().await?;
    graph.wait_panels(2).await?;
    graph.wait_editor_focused(1).await?;
    ensure!(url_pairs(&b).await? == pairs, "an empty panel changes nothing in the URL");
    second.execute("e2e_demo_value * 2").await?;
    second.show_table().await?;
    second.wait_rows(3).await?;
    ensure!(get(&url_pairs(&b).await?, "g1.expr") == Some("e2e_demo_value * 2"));

    // Reloading the URL brings both panels back.
    let url = b.url().await?;
    b.goto(&url).await?;
    first.wait_rows(1).await?;
    second.wait_rows(3).await?;
    b.close().await
}

#[tokio::test]
async fn an_embedded_panel_is_alone_read_only_and_keeps_its_flag() -> Result<()> {
    let prom = prometheus_with_data(1).await?;
    let console = crate::support::serve_console_at(&prom.url, "/thanos").await?;
    let b = Browser::start().await?;

    // `/embed`: one panel, the query as text, no navigation, no editor, no switches.
    let embed = EmbedPage::open(&b, &console, "g0.expr=e2e_demo_value&g0.tab=1&g1.expr=up").await?;
    embed.panel().wait_rows(3).await?;
    ensure!(embed.panel_count().await? == 1, "only g0");
    ensure!(embed.navigation_and_editing_controls().await? == 0);
    ensure!(embed.expression_shown().await? == ["e2e_demo_value"]);
    let open = embed.open_console_link().await?;
    ensure!(open.starts_with("graph?g0.expr=e2e_demo_value&g0.tab=1"), "{open}");

    // `?embed=1` on the graph page: the flag stays in the URL when the panel's state changes.
    let graph = GraphPage::open(&b, &console, "g0.expr=e2e_demo_value&g0.tab=1&embed=1").await?;
    let panel = graph.panel(0);
    panel.wait_rows(3).await?;
    panel.show_graph().await?;
    panel.wait_legend(3).await?;
    let pairs = url_pairs(&b).await?;
    ensure!(get(&pairs, "embed") == Some("1") && get(&pairs, "g0.tab") == Some("0"), "{pairs:?}");
    ensure!(!graph.top_bar().is_shown().await?);
    // The chart takes the frame's width.
    let (canvas, page) = panel.chart_and_frame_width().await?;
    ensure!(canvas > page - 40.0 && canvas <= page, "canvas {canvas} px in a {page} px frame");

    // Editable when config.json says so.
    let config = serde_json::json!({ "apiUrl": prom.url, "embed": { "editable": true } }).to_string();
    let addr =
        testkit::console::spawn(&crate::support::dist_dir()?, Some(config), "127.0.0.1:0", "/").await?;
    let embed = EmbedPage::open(&b, &format!("http://{addr}"), "g0.expr=e2e_demo_value&g0.tab=1").await?;
    embed.panel().execute("e2e_demo_value{id=\"two\"}").await?;
    embed.panel().wait_rows(1).await?;
    b.close().await
}

/// A panel removed while its query is in flight, and a chart left for the table while its lines are
/// still being drawn: the late answer and the pending drawing find their panel or chart gone, and the
/// page lives on (a panic in wasm is an uncaught error, and can leave the page dead).
#[tokio::test]
async fn a_panel_removed_while_its_query_runs_leaves_the_page_alive() -> Result<()> {
    // Answers held until the test lets them go: a million points, decoded and drawn in slices.
    let release = Arc::new(Semaphore::new(0));
    let body = Arc::new(big_answer("slow", 5_000, 200, true));
    let held = {
        let release = release.clone();
        move || {
            let (release, body) = (release.clone(), body.clone());
            async move {
                if let Ok(permit) = release.acquire().await {
                    permit.forget();
                }
                ([("content-type", "application/json")], body.to_string())
            }
        }
    };
    let instant = big_answer("slow", 5_000, 1, false);
    let api = serve_api(axum::Router::new().route("/api/v1/query_range", axum::routing::post(held)).route(
        "/api/v1/query",
        axum::routing::post(move || async move { ([("content-type", "application/json")], instant) }),
    ))
    .await?;
    let console = serve_console(&api).await?;
    let b = Browser::start().await?;

    let graph = GraphPage::open(&b, &console, "g0.expr=slow&g0.tab=0&g1.expr=slow&g1.tab=0").await?;
    let (first, second) = (graph.panel(0), graph.panel(1));
    second.wait_shown().await?;
    b.js("window.__errors = []; addEventListener('error', e => __errors.push(String(e.message)));").await?;
    second.remove().await?;
    graph.wait_panels(1).await?;
    // Once the remaining panel has drawn its first slice of lines, leave for the table.
    first.show_table_once_drawing_starts().await?;
    release.add_permits(2);
    first.wait_rows(1_000).await?;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    // Alive: a click still adds a panel, and nothing threw.
    graph.add_panel().await?;
    graph.wait_panels(2).await?;
    let errors = b.js("return window.__errors").await?;
    ensure!(errors == serde_json::json!([]), "uncaught errors in the page: {errors}");
    let drawn = b.marks("console:drawn").await?;
    ensure!(drawn == 0, "the table was opened only after the chart was drawn ({drawn}): nothing was cut off");
    b.close().await
}
