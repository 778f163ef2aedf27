//! Autocomplete in the expression editor against a real Prometheus: metric names, label names and
//! values (scoped to the metric), durations, keyboard handling and query history.

use anyhow::Result;
use fantoccini::elements::Element;
use testkit::process::Prometheus;

use crate::prometheus::prometheus_with_data;
use crate::support::browser::Browser;
use crate::support::serve_console;

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";
const ARROW_UP: &str = "\u{E013}";
const ARROW_DOWN: &str = "\u{E015}";

async fn console() -> Result<(Prometheus, Browser, String)> {
    let prom = prometheus_with_data(1).await?;
    let console = serve_console(&prom.url).await?;
    let b = Browser::start().await?;
    let page = format!("{console}/graph?g0.tab=1");
    b.goto(&page).await?;
    b.find("[data-testid=expr]").await?;
    Ok((prom, b, page))
}

/// The labels of the list's entries, once it shows one containing `want`.
async fn offered(b: &Browser, want: &str) -> Result<Vec<String>> {
    b.wait_for(&format!("the list to offer {want}"), || async {
        let labels = labels(b).await?;
        Ok(labels.iter().any(|l| l == want).then_some(labels))
    })
    .await
}

async fn labels(b: &Browser) -> Result<Vec<String>> {
    let v = b
        .js("return [...document.querySelectorAll('[data-testid=completion-item] .c-label')].map(e => e.textContent);")
        .await?;
    Ok(serde_json::from_value(v)?)
}

async fn expr(b: &Browser) -> Result<Element> {
    b.find("[data-testid=expr]").await
}

#[tokio::test]
async fn metric_names_complete_and_tab_accepts() -> Result<()> {
    let (_prom, b, _) = console().await?;
    let e = expr(&b).await?;
    e.send_keys("e2e_demo_v").await?;
    offered(&b, "e2e_demo_value").await?;
    let item = b.texts("[data-testid=completion-item]").await?;
    assert!(item[0].contains("metric"), "{item:?}");
    e.send_keys(TAB).await?;
    assert_eq!(e.prop("value").await?.as_deref(), Some("e2e_demo_value"));
    assert!(b.find_all("[data-testid=completion]").await?.is_empty());

    // Functions show their signature and doc; Enter accepts with a `(`.
    e.clear().await?;
    e.send_keys("histogram_quan").await?;
    offered(&b, "histogram_quantile").await?;
    let item = b.texts("[data-testid=completion-item]").await?;
    assert!(item[0].contains("histogram_quantile(φ scalar") && item[0].contains("quantile"), "{item:?}");
    e.send_keys(ENTER).await?;
    assert_eq!(e.prop("value").await?.as_deref(), Some("histogram_quantile("));

    // The arrows move past the list's edge (Up from the first wraps to the last entry): the
    // selected entry scrolls into view.
    e.clear().await?;
    e.send_keys("a").await?;
    offered(&b, "avg_over_time").await?;
    let selected_shows = r#"const l = document.querySelector('[data-testid=completion]');
        const s = l.querySelector('.selected').getBoundingClientRect(), r = l.getBoundingClientRect();
        return [l.scrollHeight > l.clientHeight + 40, s.top >= r.top - 0.5 && s.bottom <= r.bottom + 0.5];"#;
    assert_eq!(b.js(selected_shows).await?, serde_json::json!([true, true]), "a list longer than its view");
    e.send_keys(ARROW_UP).await?;
    b.wait_for("the last entry to show", || async {
        Ok((b.js(selected_shows).await?[1] == true).then_some(()))
    })
    .await?;
    e.send_keys(ARROW_DOWN).await?;
    b.wait_for("the first entry to show again", || async {
        Ok((b.js(selected_shows).await?[1] == true).then_some(()))
    })
    .await?;
    b.close().await
}

#[tokio::test]
async fn label_values_names_and_durations() -> Result<()> {
    let (_prom, b, _) = console().await?;
    let e = expr(&b).await?;
    e.send_keys("e2e_demo_value{id=\"").await?;
    let values = offered(&b, "one").await?;
    assert!(values.contains(&"two".to_string()), "{values:?}");

    e.clear().await?;
    e.send_keys("sum by (").await?;
    let names = offered(&b, "id").await?;
    assert!(names.contains(&"job".to_string()), "{names:?}");

    e.clear().await?;
    e.send_keys("rate(x[").await?;
    let d = offered(&b, "5m").await?;
    assert_eq!(d, ["1m", "5m", "15m", "1h", "6h", "1d"]);
    e.send_keys(ESCAPE).await?;
    b.wait_count("[data-testid=completion]", 0).await?;
    assert_eq!(e.prop("value").await?.as_deref(), Some("rate(x["));
    b.close().await
}

#[tokio::test]
async fn an_executed_query_is_offered_as_history_after_a_reload() -> Result<()> {
    let (_prom, b, page) = console().await?;
    let e = expr(&b).await?;
    e.send_keys("count(e2e_demo_value)").await?;
    e.send_keys(ENTER).await?;
    b.wait_text("[data-testid=stats]", "Result series").await?;
    let stored = b.js("return localStorage.getItem('history');").await?;
    assert_eq!(stored.as_str(), Some(r#"["count(e2e_demo_value)"]"#));

    b.goto(&page).await?;
    let e = expr(&b).await?;
    e.send_keys("count(e2").await?;
    offered(&b, "count(e2e_demo_value)").await?;
    b.close().await
}
