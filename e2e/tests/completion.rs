//! Autocomplete in the expression editor against a real Prometheus: metric names, label names and
//! values (scoped to the metric), durations, keyboard handling and query history.

use anyhow::Result;
use testkit::process::Prometheus;

use crate::prometheus::prometheus_with_data;
use crate::support::browser::keys::{self, ARROW_DOWN, ARROW_UP, ENTER, ESCAPE, TAB};
use crate::support::browser::Browser;
use crate::support::pages::graph::GraphPage;
use crate::support::serve_console;

/// The query of the page the scenarios open: a Graph page with an empty panel on its Table tab.
const PAGE: &str = "g0.tab=1";

/// A console on a Prometheus with data, the page open with its expression field ready; the console's
/// URL.
async fn console() -> Result<(Prometheus, Browser, String)> {
    let prom = prometheus_with_data(1).await?;
    let console = serve_console(&prom.url).await?;
    let b = Browser::start().await?;
    GraphPage::open(&b, &console, PAGE).await?.panel(0).input().await?;
    Ok((prom, b, console))
}

#[tokio::test]
async fn metric_names_complete_and_tab_accepts() -> Result<()> {
    let (_prom, b, _) = console().await?;
    let panel = GraphPage::on(&b).panel(0);
    let e = panel.input().await?;
    e.type_keys("e2e_demo_v").await?;
    panel.wait_offered("e2e_demo_value").await?;
    let item = panel.completion_entries().await?;
    assert!(item[0].contains("metric"), "{item:?}");
    e.type_keys(TAB).await?;
    assert_eq!(e.value().await?, "e2e_demo_value");
    assert!(!panel.shows_completion().await?);

    // Functions show their signature and doc; Enter accepts with a `(`.
    e.clear().await?;
    e.type_keys("histogram_quan").await?;
    panel.wait_offered("histogram_quantile").await?;
    let item = panel.completion_entries().await?;
    assert!(item[0].contains("histogram_quantile(φ scalar") && item[0].contains("quantile"), "{item:?}");
    e.type_keys(ENTER).await?;
    assert_eq!(e.value().await?, "histogram_quantile(");

    // The arrows move past the list's edge (Up from the first wraps to the last entry): the
    // selected entry scrolls into view.
    e.clear().await?;
    e.type_keys("a").await?;
    panel.wait_offered("avg_over_time").await?;
    assert_eq!(panel.completion_scroll().await?, (true, true), "a list longer than its view");
    e.type_keys(ARROW_UP).await?;
    b.wait_for("the last entry to show", || async { Ok(panel.completion_scroll().await?.1.then_some(())) })
        .await?;
    e.type_keys(ARROW_DOWN).await?;
    b.wait_for("the first entry to show again", || async {
        Ok(panel.completion_scroll().await?.1.then_some(()))
    })
    .await?;
    b.close().await
}

#[tokio::test]
async fn label_values_names_and_durations() -> Result<()> {
    let (_prom, b, _) = console().await?;
    let panel = GraphPage::on(&b).panel(0);
    let e = panel.input().await?;
    e.type_keys("e2e_demo_value{id=\"").await?;
    let values = panel.wait_offered("one").await?;
    assert!(values.contains(&"two".to_string()), "{values:?}");

    e.clear().await?;
    e.type_keys("sum by (").await?;
    let names = panel.wait_offered("id").await?;
    assert!(names.contains(&"job".to_string()), "{names:?}");

    e.clear().await?;
    e.type_keys("rate(x[").await?;
    let d = panel.wait_offered("5m").await?;
    assert_eq!(d, ["1m", "5m", "15m", "1h", "6h", "1d"]);
    e.type_keys(ESCAPE).await?;
    panel.wait_completion_closed().await?;
    assert_eq!(e.value().await?, "rate(x[");
    b.close().await
}

#[tokio::test]
async fn an_executed_query_is_offered_as_history_after_a_reload() -> Result<()> {
    let (_prom, b, console) = console().await?;
    let panel = GraphPage::on(&b).panel(0);
    let e = panel.input().await?;
    e.type_keys("count(e2e_demo_value)").await?;
    e.type_keys(ENTER).await?;
    panel.wait_stats("Result series").await?;
    let stored = b.js("return localStorage.getItem('history');").await?;
    assert_eq!(stored.as_str(), Some(r#"["count(e2e_demo_value)"]"#));

    GraphPage::open(&b, &console, PAGE).await?;
    let e = panel.input().await?;
    e.type_keys("count(e2").await?;
    panel.wait_offered("count(e2e_demo_value)").await?;

    // Ctrl+↑ recalls the last query in place of the text; Ctrl+↓ gives the edited text back.
    e.type_keys(&format!("{}{ARROW_UP}{}", keys::CONTROL, keys::RELEASE)).await?;
    b.wait_for("the recalled query", || async {
        Ok((e.value().await? == "count(e2e_demo_value)").then_some(()))
    })
    .await?;
    e.type_keys(&format!("{}{ARROW_DOWN}{}", keys::CONTROL, keys::RELEASE)).await?;
    b.wait_for("the edited text", || async { Ok((e.value().await? == "count(e2").then_some(())) }).await?;
    b.close().await
}
