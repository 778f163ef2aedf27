//! Graph options against a real Prometheus: stacked and log scale, the legend, drag-to-zoom, CSV
//! download, the theme (chosen, and "auto" following the system), the heatmap of Prometheus' own
//! request-duration histogram, and the warning about a server clock that is off.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Result;
use promapi::{ApiResponse, QueryData};
use serde_json::Value;
use testkit::process::Prometheus;

use crate::support::browser::Browser;
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

/// A fingerprint of the canvas pixels (changes when anything drawn changes) and the count of
/// strongly coloured pixels.
async fn canvas(b: &Browser) -> Result<(u64, u64)> {
    let v = b
        .js(r#"const c = document.querySelector('[data-testid=canvas]');
               const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
               let h = 0, n = 0;
               for (let i = 0; i < d.length; i += 4) {
                 h = (h * 31 + d[i] * 3 + d[i+1] * 5 + d[i+2] * 7) % 4294967291;
                 if (Math.max(d[i], d[i+1], d[i+2]) - Math.min(d[i], d[i+1], d[i+2]) > 60) n++;
               }
               return [h, n];"#)
        .await?;
    Ok((v[0].as_u64().unwrap_or(0), v[1].as_u64().unwrap_or(0)))
}

/// Waits until the canvas differs from `before` and has coloured pixels.
async fn canvas_changes(b: &Browser, what: &str, before: u64) -> Result<u64> {
    b.wait_for(what, || async {
        let (h, n) = canvas(b).await?;
        Ok((h != before && n > 100).then_some(h))
    })
    .await
}

/// How many range queries the page has sent.
async fn range_queries(b: &Browser) -> Result<u64> {
    Ok(b.js(
        "return performance.getEntriesByType('resource').filter(e => e.name.includes('query_range')).length;",
    )
    .await?
    .as_u64()
    .unwrap_or(0))
}

async fn wait_url(b: &Browser, needle: &str, present: bool) -> Result<String> {
    b.wait_for(
        &format!("the URL {} {needle}", if present { "to contain" } else { "not to contain" }),
        || async {
            let url = b.url().await?;
            Ok((url.contains(needle) == present).then_some(url))
        },
    )
    .await
}

/// Moves the pointer over the canvas at `fx` of its width, half-way down.
async fn mouse(b: &Browser, kind: &str, fx: f64) -> Result<Value> {
    b.js(&format!(
        r#"const c = document.querySelector('[data-testid=canvas]');
           const r = c.getBoundingClientRect();
           c.dispatchEvent(new MouseEvent('{kind}', {{clientX: r.left + r.width * {fx}, clientY: r.top + r.height / 2, button: 0, bubbles: true}}));"#
    ))
    .await
}

/// Hovers near the right edge until the read-out lists `n` series.
async fn hover_lists(b: &Browser, n: usize) -> Result<Vec<String>> {
    let r = b
        .wait_for(&format!("{n} series in the hover read-out"), || async {
            mouse(b, "mousemove", 0.9).await?;
            let rows = b.texts("[data-testid=hover-series]").await?;
            Ok((rows.len() == n).then_some(rows))
        })
        .await;
    if r.is_err() {
        eprintln!(
            "on failure, hover {:?} all {:?}",
            b.texts("[data-testid=hover]").await?,
            b.texts("[data-testid=hover-series]").await?
        );
    }
    r
}

/// Captures the next Blob handed to `URL.createObjectURL`, clicks the CSV button, returns its text.
async fn download_csv(b: &Browser) -> Result<String> {
    b.js(r#"window.__csv = null;
            if (!window.__origCreate) window.__origCreate = URL.createObjectURL;
            URL.createObjectURL = blob => { window.__csv = blob; return window.__origCreate(blob); };"#)
        .await?;
    b.click("[data-testid=csv]").await?;
    b.wait_for("the CSV blob", || async {
        let v = b.js("return window.__csv ? window.__csv.text() : null;").await?;
        Ok(v.as_str().map(String::from))
    })
    .await
}

#[tokio::test]
async fn options_legend_zoom_and_csv() -> Result<()> {
    let prom = prometheus_with_data(10).await?;
    let console = serve_console(&prom.url).await?;
    let b = Browser::start().await?;
    b.goto(&format!("{console}/graph?g0.expr=e2e_opt_value&g0.tab=0&g0.range_input=1m")).await?;
    b.js("window.__errs = []; const o = console.error; console.error = (...a) => { window.__errs.push(a.join(' ')); o(...a); };").await?;
    if let Err(e) = b.wait_count("[data-testid=legend-item]", 3).await {
        eprintln!("on failure, errs {:?}", b.js("return window.__errs;").await?);
        eprintln!("on failure, body {:?}", b.js("return document.querySelector('main').innerText;").await?);
        return Err(e);
    }
    let lines = canvas_changes(&b, "the lines", 0).await?;
    let queries = range_queries(&b).await?;

    // Stacked, then log scale: in the URL, drawn differently, and no new query.
    b.click("[data-testid=opt-stacked]").await?;
    wait_url(&b, "g0.stacked=1", true).await?;
    let stacked = canvas_changes(&b, "the stacked drawing", lines).await?;
    b.click("[data-testid=opt-log]").await?;
    wait_url(&b, "g0.log_scale=1", true).await?;
    let log = canvas_changes(&b, "the log-scale drawing", stacked).await?;
    b.click("[data-testid=opt-zero]").await?;
    wait_url(&b, "g0.y_axis_min=0", true).await?;
    b.click("[data-testid=opt-stacked]").await?;
    wait_url(&b, "g0.stacked=1", false).await?;
    canvas_changes(&b, "the unstacked drawing", log).await?;
    assert_eq!(range_queries(&b).await?, queries, "display options re-ran the query");

    // The hover lists all three series; a legend click leaves one.
    hover_lists(&b, 3).await?;
    let legend = b.find_all("[data-testid=legend-item]").await?;
    let before = canvas(&b).await?.0;
    legend[0].click().await?;
    if let Err(e) = b.wait_count("[data-testid=legend-item][data-visible=true]", 1).await {
        eprintln!(
            "on failure, legend {:?}",
            b.js("return document.querySelector('[data-testid=legend]').outerHTML;").await?
        );
        return Err(e);
    }
    canvas_changes(&b, "one series drawn", before).await?;
    let shown = hover_lists(&b, 1).await?.remove(0);
    let first = b.texts("[data-testid=legend-item]").await?.remove(0);
    assert!(shown.ends_with(&first), "{shown:?} is not {first:?}");
    // Ctrl-click adds a second series; a plain click on the only one shown would show all again.
    b.js(r#"document.querySelectorAll('[data-testid=legend-item]')[1]
              .dispatchEvent(new MouseEvent('click', {ctrlKey: true, bubbles: true}));"#)
        .await?;
    b.wait_count("[data-testid=legend-item][data-visible=true]", 2).await?;

    // CSV of the graph's data: a header, and the awkward label quoted as RFC 4180 says.
    let csv = download_csv(&b).await?;
    assert!(csv.starts_with("series,timestamp,unix_time,value\r\n"), "{csv}");
    assert!(csv.contains("\r\n\"e2e_opt_value{id=\"\"a,\\\"\"b\"\", instance="), "{csv}");
    assert!(csv.lines().count() > 10, "{csv}");

    // The table's CSV: one row per series.
    b.click("[data-testid=tab-table]").await?;
    b.wait_count("[data-testid=series-row]", 3).await?;
    let csv = download_csv(&b).await?;
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.contains("\r\n\"e2e_opt_value{id=\"\"one\"\", instance="), "{csv}");
    b.click("[data-testid=tab-graph]").await?;
    b.wait_count("[data-testid=legend-item]", 3).await?;
    canvas_changes(&b, "the lines again", 0).await?;
    let queries = range_queries(&b).await?;

    // Dragging across the middle of the plot zooms: range and end change, and a new query goes out.
    mouse(&b, "mousedown", 0.3).await?;
    mouse(&b, "mousemove", 0.6).await?;
    mouse(&b, "mouseup", 0.6).await?;
    let url = wait_url(&b, "g0.end_input=", true).await?;
    assert!(!url.contains("g0.range_input=1m&"), "{url}");
    b.wait_for("a new range query", || async { Ok((range_queries(&b).await? > queries).then_some(())) })
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
    b.goto(&format!("{console}/graph?g0.expr={q}&g0.range_input=1m&g0.display_mode=heatmap")).await?;
    b.find("[data-testid=theme]").await?;
    let heat = b
        .wait_for("heatmap cells", || async {
            let n = canvas(&b).await?.1;
            Ok((n > 500).then_some(n))
        })
        .await;
    if heat.is_err() {
        eprintln!(
            "on failure, canvas {:?} main {:?}",
            canvas(&b).await?,
            b.js("return document.querySelector('main').innerText;").await?
        );
    }
    let heat = heat?;
    assert!(heat > 500);
    assert!(b.find_all("[data-testid=heatmap-empty]").await?.is_empty());

    // One histogram per handler: drawn one at a time, picked from a list.
    let expr = "sum by (le, handler) (prometheus_http_request_duration_seconds_bucket)";
    let q = form_urlencoded::byte_serialize(expr.as_bytes()).collect::<String>();
    b.goto(&format!("{console}/graph?g0.expr={q}&g0.range_input=1m&g0.display_mode=heatmap")).await?;
    let picks = b
        .wait_for("a list of histograms", || async {
            let n =
                b.js("return document.querySelectorAll('[data-testid=heatmap-pick] option').length").await?;
            Ok(n.as_u64().filter(|n| *n > 1))
        })
        .await?;
    let first = b
        .wait_for("the first histogram's cells", || async {
            let (h, n) = canvas(&b).await?;
            Ok((n > 100).then_some(h))
        })
        .await?;
    let names = b.texts("[data-testid=heatmap-pick] option").await?;
    assert_eq!(names.len() as u64, picks);
    assert!(names.iter().all(|n| n.contains("handler=")), "{names:?}");
    b.choose("[data-testid=heatmap-pick]", "1").await?;
    canvas_changes(&b, "the second histogram drawn", first).await?;

    // Back to lines: the URL forgets the display mode.
    b.choose("[data-testid=opt-heatmap]", "lines").await?;
    wait_url(&b, "display_mode", false).await?;

    // Dark theme: a class on <html>, a dark canvas, and still dark after a reload.
    let is_dark = r#"const c = document.querySelector('[data-testid=canvas]');
                     const p = c.getContext('2d').getImageData(2, 2, 1, 1).data;
                     return [document.documentElement.classList.contains('dark'), p[0] + p[1] + p[2] < 200,
                             document.querySelector('[data-testid=theme]').value];"#;
    b.choose("[data-testid=theme]", "dark").await?;
    b.wait_for("a dark page and canvas", || async {
        let v = b.js(is_dark).await?;
        Ok((v[0] == true && v[1] == true).then_some(()))
    })
    .await?;
    b.client.refresh().await?;
    b.find("[data-testid=theme]").await?;
    b.wait_for("a dark page after reload", || async {
        let v = b.js(is_dark).await?;
        Ok((v[0] == true && v[1] == true && v[2] == "dark").then_some(()))
    })
    .await?;
    b.choose("[data-testid=theme]", "light").await?;
    b.wait_for("a light page", || async {
        let v = b.js(is_dark).await?;
        Ok((v[0] == false && v[1] == false).then_some(()))
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
    b.goto(&format!("{console}/graph?g0.expr=skew&g0.range_input=1h")).await?;
    b.wait_mark("console:drawn").await?;
    assert!(b.find_all("[data-testid=clock-warning]").await?.is_empty(), "clocks agree: no warning");

    // The server's clock 5 minutes behind: the browser is ahead of it.
    skew.store(-300, Ordering::SeqCst);
    b.click("[data-testid=execute]").await?;
    let warning = b.wait_text("[data-testid=clock-warning]", "5m").await?;
    assert!(warning.contains("ahead of the server"), "{warning}");

    // 20 s is within tolerance: the warning goes once an answer agrees.
    skew.store(20, Ordering::SeqCst);
    b.click("[data-testid=execute]").await?;
    b.wait_count("[data-testid=clock-warning]", 0).await?;
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
    b.goto(&format!("{console}/graph")).await?;
    assert_eq!(b.find("[data-testid=theme]").await?.prop("value").await?.as_deref(), Some("auto"));
    let dark = || async {
        Ok::<_, anyhow::Error>(
            b.js("return document.documentElement.classList.contains('dark')").await? == true,
        )
    };
    assert!(!dark().await?, "a light system: a light page");
    // The system switches while the page is open: no reload.
    b.cdp("Emulation.setEmulatedMedia", scheme(true)).await?;
    b.wait_for("a dark page", || async { Ok(dark().await?.then_some(())) }).await?;
    b.cdp("Emulation.setEmulatedMedia", scheme(false)).await?;
    b.wait_for("a light page again", || async { Ok((!dark().await?).then_some(())) }).await?;
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
    b.goto(&format!(
        "{console}/graph?g0.expr=dst&g0.tab=0&g0.range_input=6h&g0.end_input=2026-10-25%2004%3A00%3A00&g0.local_time=1"
    ))
    .await?;
    b.wait_mark("console:drawn").await?;
    // Before the change the read-out is two hours ahead of UTC, after it one.
    for (fx, hours) in [(0.1, 2), (0.9, 1)] {
        let text = b
            .wait_for("a hover read-out", || async {
                mouse(&b, "mousemove", fx).await?;
                Ok(b.texts("[data-testid=hover]").await?.into_iter().find(|t| t.contains(" local · ")))
            })
            .await?;
        let (shown, rest) = text.split_once(" local · ").unwrap_or_default();
        let minute: i64 = rest.split(" · ").next().unwrap_or_default().parse()?;
        let utc = (start + minute * 60) * 1000;
        let local = app::time::parse_time(shown).unwrap_or_default();
        assert_eq!(local - utc, hours * 3_600_000, "{text}: minute {minute} shown with the wrong offset");
    }
    b.close().await
}
