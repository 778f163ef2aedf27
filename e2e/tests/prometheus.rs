//! The console against a real Prometheus 2.42.

use anyhow::Result;
use promapi::{ApiResponse, QueryData};
use testkit::process::Prometheus;

use crate::support::browser::Browser;
use crate::support::pages::graph::GraphPage;
use crate::support::pages::stores::StoresPage;
use crate::support::{exporter, serve_console};

/// Values the test controls, with a label value that needs escaping.
const METRICS: &str = "# TYPE e2e_demo_value gauge\n\
e2e_demo_value{id=\"one\"} 42\n\
e2e_demo_value{id=\"two\"} 7.5\n\
e2e_demo_value{id=\"q\\\"uote\"} -0.125\n";

/// A Prometheus (external label replica="a") that has scraped [`METRICS`] at least `scrapes` times.
pub(crate) async fn prometheus_with_data(scrapes: usize) -> Result<Prometheus> {
    let exporter = exporter::spawn(METRICS).await?;
    let scrape = format!("  - job_name: demo\n    static_configs:\n      - targets: ['{exporter}']\n");
    let prom = Prometheus::start(&[("replica", "a")], &scrape, None).await?;
    let client = reqwest::Client::new();
    for _ in 0..200 {
        let q = "count_over_time(e2e_demo_value[1m])";
        if let QueryData::Vector(v) = instant(&client, &prom.url, q).await? {
            if v.len() == 3
                && v.iter().all(|s| s.value.as_ref().and_then(|p| p.value()) >= Some(scrapes as f64))
            {
                return Ok(prom);
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    anyhow::bail!("prometheus did not scrape the demo exporter")
}

async fn instant(client: &reqwest::Client, base: &str, q: &str) -> Result<QueryData> {
    let r: ApiResponse<QueryData> =
        client.post(format!("{base}/api/v1/query")).form(&[("query", q)]).send().await?.json().await?;
    r.data.ok_or_else(|| anyhow::anyhow!("no data: {:?}", r.error))
}

#[tokio::test]
async fn a_link_shows_the_table_with_the_values_the_api_returns() -> Result<()> {
    let prom = prometheus_with_data(1).await?;
    let console = serve_console(&prom.url).await?;
    let b = Browser::start().await?;
    let panel = GraphPage::open(&b, &console, "g0.expr=e2e_demo_value&g0.tab=1").await?.panel(0);
    panel.wait_rows(3).await?;

    let mut shown = panel.table().await?;
    shown.sort();
    let QueryData::Vector(v) = instant(&reqwest::Client::new(), &prom.url, "e2e_demo_value").await? else {
        anyhow::bail!("not a vector")
    };
    let mut want: Vec<(String, String)> = v
        .iter()
        .map(|s| (app::format::series_name(&s.metric), s.value.as_ref().unwrap().1.clone()))
        .collect();
    want.sort();
    assert_eq!(shown, want);
    assert!(shown.iter().any(|(n, v)| n.contains(r#"id="q\"uote""#) && v == "-0.125"), "{shown:?}");
    assert!(panel.stats().await?[0].contains("Result series: 3"));
    b.close().await
}

#[tokio::test]
async fn thanos_only_controls_are_off_against_prometheus_and_say_why() -> Result<()> {
    let prom = prometheus_with_data(1).await?;
    let console = serve_console(&prom.url).await?;
    let b = Browser::start().await?;
    // A Thanos link with the Thanos engine and Analyze on, opened against Prometheus.
    let link = "g0.expr=e2e_demo_value&g0.tab=1&g0.engine=thanos&g0.analyze=1";
    let panel = GraphPage::open(&b, &console, link).await?.panel(0);
    panel.wait_rows(3).await?;
    let note = panel.wait_thanos_only_note().await?;
    assert!(note.contains("the API is Prometheus 2.42"), "{note}");
    for control in
        ["dedup", "partial-response", "replica-labels", "resolution", "engine", "analyze", "explain"]
    {
        assert!(!panel.control_enabled(control).await?, "{control} can still be used against Prometheus");
    }
    // Prometheus is never asked for stores (cross-origin, its 404 is a CORS error in the browser).
    let asked = b
        .js("return performance.getEntriesByType('resource').filter(e => e.name.includes('/api/v1/stores')).length")
        .await?;
    assert_eq!(asked, 0);
    let stores = StoresPage::open(&b, &console).await?;
    let message = stores.wait_message("Only a Thanos Querier lists stores").await?;
    assert!(message.contains("Prometheus 2.42") && !message.contains("Cannot reach"), "{message}");
    b.close().await
}

#[tokio::test]
async fn the_graph_draws_lines_a_legend_and_a_hover_readout() -> Result<()> {
    // Ten scrapes a second apart fill a sixth of a one-minute graph.
    let prom = prometheus_with_data(10).await?;
    let console = serve_console(&prom.url).await?;
    let b = Browser::start().await?;
    let panel =
        GraphPage::open(&b, &console, "g0.expr=e2e_demo_value&g0.tab=0&g0.range_input=1m").await?.panel(0);
    panel.wait_legend(3).await?;
    let legend = panel.legend().await?;
    assert!(legend.iter().any(|l| l.contains(r#"id="one""#)), "{legend:?}");

    // Count the pixels drawn in the first series colour: axes and grid are grey, the background white.
    let colored = b
        .wait_for("the canvas to show coloured lines", || async {
            let n = panel.chart_pixels().await?.coloured;
            Ok((n > 200).then_some(n))
        })
        .await?;
    assert!(colored > 200);

    // Hover near the right edge of the plot: the read-out names a series and a value.
    panel.hover_near_right_edge().await?;
    let hover = panel.wait_hover("e2e_demo_value").await?;
    assert!(hover.contains("UTC"), "{hover}");
    b.close().await
}

#[tokio::test]
async fn the_tree_explains_each_node_and_runs_it_as_its_own_query() -> Result<()> {
    let prom = prometheus_with_data(1).await?;
    let console = serve_console(&prom.url).await?;
    let b = Browser::start().await?;
    let query = "g0.expr=sum%20by%20(id)%20(e2e_demo_value)%20%3E%200&g0.tab=1";
    let panel = GraphPage::open(&b, &console, query).await?.panel(0);
    panel.wait_rows(2).await?;
    panel.toggle_tree().await?;
    panel.wait_tree_nodes(4).await?;
    let exprs = panel.tree_expressions().await?;
    assert_eq!(
        exprs,
        ["sum by (id) (e2e_demo_value) > 0", "sum by (id) (e2e_demo_value)", "e2e_demo_value", "0"]
    );
    let words = panel.tree_explanations().await?;
    assert!(words[0].contains("a filter") && words[0].contains("with the scalar"), "{words:?}");
    // Names are shown as code, not between backticks.
    assert!(words[1].starts_with("Sums") && words[1].contains(" id") && !words[1].contains('`'), "{words:?}");
    assert!(words[2].contains("named e2e_demo_value"), "{words:?}");
    assert!(panel.tree_code_words().await?.iter().any(|c| c == "e2e_demo_value"));

    // Each node runs as its own instant query: the selector has all three series and their labels.
    panel.run_tree_node(2).await?;
    let result = panel.wait_tree_result("series").await?;
    assert_eq!(result, "3 series · labels: id, instance, job");
    panel.run_tree_node(1).await?;
    panel.wait_tree_result("3 series · labels: id").await?;
    b.close().await
}
