//! Graph options against a real Prometheus: stacked and log scale, the legend, drag-to-zoom, CSV
//! download, the theme (chosen, and "auto" following the system), the heatmap of Prometheus' own
//! request-duration histogram, and the warning about a server clock that is off.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Result;
use promapi::{ApiResponse, QueryData};
use testkit::process::Prometheus;

use crate::support::browser::Browser;
use crate::support::pages::graph::GraphPage;
use crate::support::{exporter, serve_api, serve_console};

/// Positive values (log scale draws them all), one label value with a comma and a quote.
const METRICS: &str = "# TYPE e2e_opt_value gauge\n\
e2e_opt_value{id=\"one\"} 5\n\
e2e_opt_value{id=\"two\"} 50\n\
e2e_opt_value{id=\"a,\\\"b\"} 500\n";

async fn prometheus_with_data(scrapes: usize) -> Result<Prometheus> {
    let exporter = exporter::spawn(METRICS).await?;
    let scrape = format!("  - job_name: demo\n    static_configs:\n      - targets: ['{exporter}']\n");
    let prom = Prometheus::start(&[], &scrape, None).await?;
    let client = reqwest::Client::new();
    for _ in 0..200 {
        let r: ApiResponse<QueryData> = client
            .post(format!("{}/api/v1/query", prom.url))
            .form(&[("query", "count_over_time(e2e_opt_value[1m])")])
            .send()
            .await?
            .json()
            .await?;
        if let Some(QueryData::Vector(v)) = r.data {
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

#[tokio::test]
async fn options_legend_zoom_and_csv() -> Result<()> {
    let prom = prometheus_with_data(10).await?;
    let console = serve_console(&prom.url).await?;
    let b = Browser::start().await?;
    let graph = GraphPage::open(&b, &console, "g0.expr=e2e_opt_value&g0.tab=0&g0.range_input=1m").await?;
    let panel = graph.panel(0);
    b.js("window.__errs = []; const o = console.error; console.error = (...a) => { window.__errs.push(a.join(' ')); o(...a); };").await?;
    if let Err(e) = panel.wait_legend(3).await {
        eprintln!("on failure, errs {:?}", b.js("return window.__errs;").await?);
        eprintln!("on failure, body {:?}", b.js("return document.querySelector('main').innerText;").await?);
        return Err(e);
    }
    let lines = panel.wait_chart_change("the lines", 0).await?;
    let queries = graph.range_queries_sent().await?;

    // Stacked, then log scale: in the URL, drawn differently, and no new query.
    let lines_painted = panel.chart_pixels().await?.painted;
    panel.toggle_stacked().await?;
    b.wait_url("g0.stacked=1", true).await?;
    let stacked = panel.wait_chart_change("the stacked drawing", lines).await?;
    // Stacked fills the bands between the series: far more of the chart is painted than by lines.
    let filled = panel.chart_pixels().await?.painted;
    assert!(filled > 3 * lines_painted, "stacked {filled} painted pixels, lines {lines_painted}");
    panel.toggle_log_scale().await?;
    b.wait_url("g0.log_scale=1", true).await?;
    let log = panel.wait_chart_change("the log-scale drawing", stacked).await?;
    panel.toggle_zero_baseline().await?;
    b.wait_url("g0.y_axis_min=0", true).await?;
    panel.toggle_stacked().await?;
    b.wait_url("g0.stacked=1", false).await?;
    panel.wait_chart_change("the unstacked drawing", log).await?;
    assert_eq!(graph.range_queries_sent().await?, queries, "display options re-ran the query");

    // The hover lists all three series; a legend click leaves one.
    panel.wait_hover_series(3).await?;
    let before = panel.chart_pixels().await?.fingerprint;
    panel.click_legend(0).await?;
    if let Err(e) = panel.wait_legend_visible(1).await {
        eprintln!("on failure, legend {:?}", panel.legend_html().await?);
        return Err(e);
    }
    panel.wait_chart_change("one series drawn", before).await?;
    let shown = panel.wait_hover_series(1).await?.remove(0);
    let first = panel.legend().await?.remove(0);
    assert!(shown.ends_with(&first), "{shown:?} is not {first:?}");
    // Ctrl-click adds a second series; a plain click on the only one shown would show all again.
    panel.ctrl_click_legend(1).await?;
    panel.wait_legend_visible(2).await?;
    assert_eq!(panel.legend_count().await?, "2 of 3 series shown");
    // Hide all, then Enter on an entry from the keyboard isolates it; Show all brings all back.
    panel.show_every_series(false).await?;
    panel.wait_legend_visible(0).await?;
    panel.press_on_legend(2, "\u{E007}").await?;
    panel.wait_legend_visible(1).await?;
    panel.show_every_series(true).await?;
    panel.wait_legend_visible(3).await?;

    // CSV of the graph's data: a header, and the awkward label quoted as RFC 4180 says.
    // A column per label, and a file named by the expression and the time.
    let (name, csv) = panel.download_csv_named().await?;
    assert!(csv.starts_with("series,timestamp,unix_time,value,__name__,id,instance,job\r\n"), "{csv}");
    assert!(name.starts_with("e2e_opt_value-20") && name.ends_with(".csv"), "{name}");
    assert!(csv.contains("\r\n\"e2e_opt_value{id=\"\"a,\\\"\"b\"\", instance="), "{csv}");
    assert!(csv.lines().count() > 10, "{csv}");

    // The table's CSV: one row per series.
    panel.show_table().await?;
    panel.wait_rows(3).await?;
    let csv = panel.download_csv().await?;
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.contains("\r\n\"e2e_opt_value{id=\"\"one\"\", instance="), "{csv}");
    panel.show_graph().await?;
    panel.wait_legend(3).await?;
    panel.wait_chart_change("the lines again", 0).await?;
    let queries = graph.range_queries_sent().await?;

    // Dragging across the middle of the plot zooms: range and end change, and a new query goes out.
    panel.drag(0.3, 0.6).await?;
    let url = b.wait_url("g0.end_input=", true).await?;
    assert!(!url.contains("g0.range_input=1m&"), "{url}");
    b.wait_for("a new range query", || async {
        Ok((graph.range_queries_sent().await? > queries).then_some(()))
    })
    .await?;
    let range: String = url
        .split('&')
        .find_map(|kv| kv.strip_prefix("g0.range_input="))
        .map(String::from)
        .unwrap_or_default();
    let ms = app::time::parse_duration(&range).unwrap_or(0);
    assert!((10_000..=25_000).contains(&ms), "a 30% drag of 1m gave {range}");

    b.close().await
}

#[tokio::test]
async fn theme_survives_reload_and_histograms_draw_as_a_heatmap() -> Result<()> {
    let prom = Prometheus::start(&[], "", None).await?;
    let client = reqwest::Client::new();
    for _ in 0..100 {
        let r: ApiResponse<QueryData> = client
            .post(format!("{}/api/v1/query", prom.url))
            .form(&[(
                "query",
                "count_over_time(prometheus_http_request_duration_seconds_bucket{handler=\"/metrics\"}[1m])",
            )])
            .send()
            .await?
            .json()
            .await?;
        let scraped = matches!(&r.data, Some(QueryData::Vector(v)) if v.iter().any(|s| s.value.as_ref().and_then(|p| p.value()) >= Some(3.0)));
        if scraped {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let console = serve_console(&prom.url).await?;
    let b = Browser::start().await?;
    // Prometheus scrapes itself every second: its request-duration histogram fills in.
    let expr = "sum by (le) (prometheus_http_request_duration_seconds_bucket)";
    let q = form_urlencoded::byte_serialize(expr.as_bytes()).collect::<String>();
    let graph =
        GraphPage::open(&b, &console, &format!("g0.expr={q}&g0.range_input=1m&g0.display_mode=heatmap"))
            .await?;
    let (panel, top_bar) = (graph.panel(0), graph.top_bar());
    top_bar.theme().await?;
    let heat = b
        .wait_for("heatmap cells", || async {
            let n = panel.chart_pixels().await?.coloured;
            Ok((n > 500).then_some(n))
        })
        .await;
    if heat.is_err() {
        eprintln!(
            "on failure, canvas {:?} main {:?}",
            panel.chart_pixels().await?,
            b.js("return document.querySelector('main').innerText;").await?
        );
    }
    let heat = heat?;
    assert!(heat > 500);
    assert!(!panel.shows_heatmap_empty().await?);
    // Hover names the cell: its bucket's bounds, its time, its value; a scale says what the colours mean.
    // Prometheus started seconds ago, so only the right end of the minute has samples: look there first.
    let cell = b
        .wait_for("a heatmap read-out", || async {
            for fx in [0.99, 0.97, 0.94, 0.9, 0.8, 0.6] {
                panel.hover_at(fx).await?;
                if let Some(cell) = panel.heat_hover().await? {
                    return Ok(Some(cell));
                }
            }
            Ok(None)
        })
        .await?;
    assert!(cell.starts_with("le (") && cell.contains(" UTC"), "{cell}");
    let max = panel.heat_scale_max().await?;
    assert!(!max.is_empty() && max != "0", "the colour scale's top is {max:?}");

    // One histogram per handler: drawn one at a time, picked from a list.
    let expr = "sum by (le, handler) (prometheus_http_request_duration_seconds_bucket)";
    let q = form_urlencoded::byte_serialize(expr.as_bytes()).collect::<String>();
    GraphPage::open(&b, &console, &format!("g0.expr={q}&g0.range_input=1m&g0.display_mode=heatmap")).await?;
    let picks = b
        .wait_for("a list of histograms", || async {
            let n = panel.heatmap_choice_count().await?;
            Ok((n > 1).then_some(n))
        })
        .await?;
    let first = b
        .wait_for("the first histogram's cells", || async {
            let p = panel.chart_pixels().await?;
            Ok((p.coloured > 100).then_some(p.fingerprint))
        })
        .await?;
    let names = panel.heatmap_choices().await?;
    assert_eq!(names.len() as u64, picks);
    assert!(names.iter().all(|n| n.contains("handler=")), "{names:?}");
    panel.choose_heatmap("1").await?;
    panel.wait_chart_change("the second histogram drawn", first).await?;

    // Back to lines: the URL forgets the display mode.
    panel.choose_display("lines").await?;
    b.wait_url("display_mode", false).await?;

    // Dark theme: a class on <html>, a dark canvas, and still dark after a reload.
    top_bar.choose_theme("dark").await?;
    b.wait_for("a dark page and canvas", || async {
        let looks = graph.looks().await?;
        Ok((looks.page_dark && looks.chart_dark).then_some(()))
    })
    .await?;
    b.client.refresh().await?;
    top_bar.theme().await?;
    b.wait_for("a dark page after reload", || async {
        let looks = graph.looks().await?;
        Ok((looks.page_dark && looks.chart_dark && looks.theme == "dark").then_some(()))
    })
    .await?;
    top_bar.choose_theme("light").await?;
    b.wait_for("a light page", || async {
        let looks = graph.looks().await?;
        Ok((!looks.page_dark && !looks.chart_dark).then_some(()))
    })
    .await?;
    b.close().await
}

/// A query API whose clock is `skew_s` seconds off (in its `Date` header): every query answers one
/// series, so the chart draws.
async fn skewed_api(skew_s: Arc<AtomicI64>) -> Result<String> {
    let answer = move || {
        let skew_s = skew_s.load(Ordering::SeqCst);
        async move {
            let now = SystemTime::now();
            let date = if skew_s >= 0 {
                now + Duration::from_secs(skew_s as u64)
            } else {
                now - Duration::from_secs(skew_s.unsigned_abs())
            };
            let t = now.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_secs();
            let body = format!(
                r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{"__name__":"skew"}},"values":[[{},"1"],[{t},"2"]]}}]}}}}"#,
                t - 60
            );
            (
                [("content-type", "application/json".to_string()), ("date", httpdate::fmt_http_date(date))],
                body,
            )
        }
    };
    serve_api(
        axum::Router::new()
            .route("/api/v1/query", axum::routing::post(answer.clone()))
            .route("/api/v1/query_range", axum::routing::post(answer)),
    )
    .await
}

#[tokio::test]
async fn a_server_clock_off_by_more_than_30s_is_warned() -> Result<()> {
    let skew = Arc::new(AtomicI64::new(0));
    let console = serve_console(&skewed_api(skew.clone()).await?).await?;
    let b = Browser::start().await?;
    let graph = GraphPage::open(&b, &console, "g0.expr=skew&g0.range_input=1h").await?;
    let panel = graph.panel(0);
    b.wait_mark("console:drawn").await?;
    assert!(!graph.shows_clock_warning().await?, "clocks agree: no warning");

    // The server's clock 5 minutes behind: the browser is ahead of it.
    skew.store(-300, Ordering::SeqCst);
    panel.press_execute().await?;
    let warning = graph.wait_clock_warning("5m").await?;
    assert!(warning.contains("ahead of the server"), "{warning}");

    // 20 s is within tolerance: the warning goes once an answer agrees.
    skew.store(20, Ordering::SeqCst);
    panel.press_execute().await?;
    graph.wait_clock_warning_gone().await?;
    b.close().await
}

#[tokio::test]
async fn the_auto_theme_follows_the_system_as_it_switches() -> Result<()> {
    let console = serve_console(&skewed_api(Arc::new(AtomicI64::new(0))).await?).await?;
    let b = Browser::start().await?;
    let scheme = |dark: bool| {
        let value = if dark { "dark" } else { "light" };
        serde_json::json!({ "features": [{ "name": "prefers-color-scheme", "value": value }] })
    };
    b.cdp("Emulation.setEmulatedMedia", scheme(false)).await?;
    let top_bar = GraphPage::open(&b, &console, "").await?.top_bar();
    assert_eq!(top_bar.theme().await?, "auto");
    assert!(!top_bar.page_is_dark().await?, "a light system: a light page");
    // The system switches while the page is open: no reload.
    b.cdp("Emulation.setEmulatedMedia", scheme(true)).await?;
    b.wait_for("a dark page", || async { Ok(top_bar.page_is_dark().await?.then_some(())) }).await?;
    b.cdp("Emulation.setEmulatedMedia", scheme(false)).await?;
    b.wait_for("a light page again", || async { Ok((!top_bar.page_is_dark().await?).then_some(())) }).await?;
    b.close().await
}

#[tokio::test]
async fn local_time_read_outs_follow_daylight_saving_changes() -> Result<()> {
    // Six hours across the end of summer time in Berlin (2026-10-25 01:00 UTC: UTC+2 → UTC+1). One
    // point a minute; its value is its minute, so a read-out tells which instant it shows.
    let end = app::time::parse_time("2026-10-25 04:00:00").unwrap_or_default() / 1000;
    let start = end - 6 * 3600;
    let values: Vec<String> = (0..=360).map(|m| format!(r#"[{},"{m}"]"#, start + m * 60)).collect();
    let body = format!(
        r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{"__name__":"dst"}},"values":[{}]}}]}}}}"#,
        values.join(",")
    );
    let answer = move || {
        let body = body.clone();
        async move { ([("content-type", "application/json")], body) }
    };
    let api =
        serve_api(axum::Router::new().route("/api/v1/query_range", axum::routing::post(answer))).await?;
    let console = serve_console(&api).await?;
    let b = Browser::start().await?;
    b.cdp("Emulation.setTimezoneOverride", serde_json::json!({ "timezoneId": "Europe/Berlin" })).await?;
    let query =
        "g0.expr=dst&g0.tab=0&g0.range_input=6h&g0.end_input=2026-10-25%2004%3A00%3A00&g0.local_time=1";
    let panel = GraphPage::open(&b, &console, query).await?.panel(0);
    b.wait_mark("console:drawn").await?;
    // Before the change the read-out is two hours ahead of UTC, after it one.
    for (fx, hours) in [(0.1, 2), (0.9, 1)] {
        let text = b
            .wait_for("a hover read-out", || async {
                panel.hover_at(fx).await?;
                Ok(panel.hover_texts().await?.into_iter().find(|t| t.contains(" local · ")))
            })
            .await?;
        let (shown, rest) = text.split_once(" local · ").unwrap_or_default();
        let minute: i64 = rest.split(" · ").next().unwrap_or_default().parse()?;
        let utc = (start + minute * 60) * 1000;
        let local = app::time::parse_time(shown).unwrap_or_default();
        assert_eq!(local - utc, hours * 3_600_000, "{text}: minute {minute} shown with the wrong offset");
    }
    // The End field speaks the same zone as the axis and the hover; the URL keeps UTC.
    let (label, value) = panel.end_field().await?;
    assert_eq!((label.as_str(), value.as_str()), ("End (local)", "2026-10-25 05:00:00"));
    panel.set_end("2026-10-25 06:00:00").await?;
    b.wait_url("g0.end_input=2026-10-25+05%3A00%3A00", true).await?;
    b.close().await
}
