//! Decode + draw of one `query_range` answer (500 series × 1,000 points by default) in headless
//! Chromium: the console against a reference page doing the same with `JSON.parse` and uPlot
//! (`e2e/bench/uplot/`, uPlot from npm, installed here on first run), in the same browser run.
//!
//! Both pages set the same performance marks: `console:response` (the body is in), `console:decoded`,
//! `console:drawn` (the chart is on the canvas). Each run is a fresh page load; medians are printed.
//!
//! Then click to pixels against a real Prometheus 2.42 holding the same shape of data (imported with
//! `promtool tsdb create-blocks-from openmetrics`): the console's Execute against the graph page
//! Debian's Prometheus serves itself (the classic UI: jQuery and Rickshaw drawing SVG paths), the
//! same query, range and step on both.
//!
//! `cargo bench -p e2e --bench console [-- SERIES POINTS RUNS]` (after `trunk build --release`).

#[path = "../tests/support/browser.rs"]
#[allow(dead_code)]
mod browser;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use axum::routing::post;
use axum::Router;
use browser::Browser;
use serde_json::Value;
use tower_http::services::ServeDir;

/// Timings of one page load, in ms.
#[derive(Debug, Clone, Copy)]
struct Timing {
    decode: f64,
    draw: f64,
    /// From the body being in to pixels.
    total: f64,
    /// From navigation to pixels (loading the page's code included).
    page: f64,
    /// The longest main-thread task from the body being in to pixels: how long the tab froze.
    longest_task: f64,
}

fn main() -> Result<()> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (series, points, runs) = (
        args.first().copied().unwrap_or(500),
        args.get(1).copied().unwrap_or(1000),
        args.get(2).copied().unwrap_or(5),
    );
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dist = root.join("../dist");
    ensure!(
        dist.join("index.html").exists(),
        "no console build in {}: run trunk build --release first",
        dist.display()
    );
    let reference = root.join("bench/uplot");
    install_uplot(&reference)?;

    let body = answer(series, points);
    println!(
        "query_range answer: {series} series × {points} points, {:.1} MB of JSON",
        body.len() as f64 / 1e6
    );
    tokio::runtime::Runtime::new()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let config = serde_json::json!({ "apiUrl": base }).to_string();
        let app = Router::new()
            .route(
                "/api/v1/query_range",
                post(move || async move { ([("content-type", "application/json")], body) }),
            )
            .nest_service("/ref", ServeDir::new(&reference))
            .fallback_service(testkit::console::router(&dist, Some(config)));
        tokio::spawn(async move { axum::serve(listener, app).await });

        let b = Browser::start().await?;
        let console_url = format!("{base}/graph?g0.expr=bench&g0.tab=0&g0.range_input=1h");
        let reference_url = format!("{base}/ref/index.html?api={base}");
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        // One warm-up load each (compilation caches), then alternate.
        measure(&b, &console_url).await?;
        measure(&b, &reference_url).await?;
        for _ in 0..runs {
            ours.push(measure(&b, &console_url).await?);
            theirs.push(measure(&b, &reference_url).await?);
        }
        report("decode + draw of one answer", "uPlot ref", &ours, &theirs, &LOAD_ROWS);

        let (ours, theirs) = against_prometheus(&b, &base, &dist, series, points, runs).await?;
        b.close().await?;
        println!();
        report("click to pixels, real Prometheus 2.42", "Prometheus UI", &ours, &theirs, &CLICK_ROWS);
        Ok(())
    })
}

/// Execute → pixels on the console and on Prometheus' own graph page, `runs` times each.
async fn against_prometheus(
    b: &Browser,
    _base: &str,
    dist: &Path,
    series: usize,
    points: usize,
    runs: usize,
) -> Result<(Vec<Timing>, Vec<Timing>)> {
    const STEP: i64 = 15;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64;
    let end = (now - 600) / STEP * STEP;
    let start = end - (points as i64 - 1) * STEP;
    let dir = tempfile::tempdir()?;
    let mut om = String::from("# TYPE bench_metric gauge\n");
    for s in 0..series {
        for p in 0..points as i64 {
            let v = ((s as i64 * 7 + p * 13) % 1000) as f64 / 7.0 + s as f64;
            om += &format!(
                "bench_metric{{instance=\"host-{s}:9100\",job=\"node\"}} {v} {}\n",
                start + p * STEP
            );
        }
    }
    om += "# EOF\n";
    std::fs::write(dir.path().join("data.om"), om)?;
    std::fs::create_dir_all(dir.path().join("prometheus/data"))?;
    let status = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(dir.path().join("data.om"))
        .arg(dir.path().join("prometheus/data"))
        .output()?;
    ensure!(status.status.success(), "promtool: {}", String::from_utf8_lossy(&status.stderr));
    let prom = testkit::process::Prometheus::start(&[], "", Some(dir.path().join("prometheus"))).await?;

    let config = serde_json::json!({ "apiUrl": prom.url }).to_string();
    let console = testkit::console::spawn(dist, Some(config), "127.0.0.1:0", "/").await?;
    let end_input =
        promapi::time::rfc3339(end * 1000).replace('T', " ").trim_end_matches(".000Z").to_string();
    let range = (points as i64 - 1) * STEP;
    let link = |base: &str| {
        format!(
            "{base}/graph?g0.expr=bench_metric&g0.tab=0&g0.range_input={range}s&g0.end_input={}&g0.step_input={STEP}",
            end_input.replace(' ', "%20")
        )
    };
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    // Each Execute runs the other of two queries with the same series and values but different names,
    // so that both pages really draw anew.
    let expr = |run: usize| if run % 2 == 0 { "bench_metric + 0" } else { "bench_metric" };
    b.goto(&link(&format!("http://{console}"))).await?;
    for run in 0..=runs {
        let t = click_to_pixels(b, &console_click(expr(run))).await?;
        if run > 0 {
            ours.push(t);
        }
    }
    b.goto(&link(&prom.url)).await?;
    for run in 0..=runs {
        let t = click_to_pixels(b, &prometheus_click(expr(run), series)).await?;
        if run > 0 {
            theirs.push(t);
        }
    }
    Ok((ours, theirs))
}

/// Types `expr` (as an input event), clicks Execute, and sets `window.__bench` to the time until the
/// new chart is drawn.
fn console_click(expr: &str) -> String {
    format!(
        "window.__bench = null;
         const box = document.querySelector('[data-testid=expr]');
         box.value = '{expr}';
         box.dispatchEvent(new Event('input', {{ bubbles: true }}));
         const t0 = performance.now();
         document.querySelector('[data-testid=execute]').click();
         const poll = () => {{
           const d = performance.getEntriesByName('console:drawn').filter(m => m.startTime > t0);
           if (d.length) window.__bench = d[0].startTime - t0; else requestAnimationFrame(poll);
         }};
         requestAnimationFrame(poll);"
    )
}

/// The same on the classic UI, which redraws the SVG paths (one per series) when the answer is in.
fn prometheus_click(expr: &str, series: usize) -> String {
    format!(
        "window.__bench = null;
         document.querySelector('textarea[name=expr]').value = '{expr}';
         document.querySelectorAll('.graph_area path.path').forEach(p => p.dataset.old = '1');
         const t0 = performance.now();
         document.querySelector('input.execute_btn').click();
         const poll = () => {{
           const fresh = document.querySelectorAll('.graph_area path.path:not([data-old])').length;
           if (fresh >= {series}) window.__bench = performance.now() - t0; else requestAnimationFrame(poll);
         }};
         requestAnimationFrame(poll);"
    )
}

async fn click_to_pixels(b: &Browser, script: &str) -> Result<Timing> {
    // The page must be up first: the button there and a first chart drawn.
    b.wait_for("the page to be ready", || async {
        let ready = b
            .js("return !!(document.querySelector('[data-testid=execute]') && performance.getEntriesByName('console:drawn').length) \
                 || !!(document.querySelector('input.execute_btn') && document.querySelectorAll('.graph_area path.path').length);")
            .await?;
        Ok(ready.as_bool().unwrap_or(false).then_some(()))
    })
    .await?;
    b.js(script).await?;
    let ms = b
        .wait_for("the chart after Execute", || async { Ok(b.js("return window.__bench;").await?.as_f64()) })
        .await?;
    Ok(Timing { decode: f64::NAN, draw: f64::NAN, total: ms, page: f64::NAN, longest_task: f64::NAN })
}

/// `npm install` in the reference's folder unless uPlot is there.
fn install_uplot(dir: &Path) -> Result<()> {
    if dir.join("node_modules/uplot/dist/uPlot.iife.min.js").exists() {
        return Ok(());
    }
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--silent"])
        .current_dir(dir)
        .status()
        .context("npm install uplot")?;
    ensure!(status.success(), "npm install in {} failed", dir.display());
    Ok(())
}

/// A Prometheus `query_range` answer: `series` node-like series of `points` values 15 s apart.
fn answer(series: usize, points: usize) -> String {
    let mut out = String::from(r#"{"status":"success","data":{"resultType":"matrix","result":["#);
    for s in 0..series {
        if s > 0 {
            out.push(',');
        }
        out += &format!(
            r#"{{"metric":{{"__name__":"bench_metric","instance":"host-{s}:9100","job":"node"}},"values":["#
        );
        for p in 0..points {
            if p > 0 {
                out.push(',');
            }
            let v = ((s * 7 + p * 13) % 1000) as f64 / 7.0 + s as f64;
            out += &format!(r#"[{},"{v}"]"#, 1_700_000_000 + p * 15);
        }
        out += "]}";
    }
    out + "]}}"
}

/// Loads `url` and waits for its `console:drawn` mark.
async fn measure(b: &Browser, url: &str) -> Result<Timing> {
    b.goto(url).await?;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let marks = b
            .js("return ['console:response','console:decoded','console:drawn'].map(n => { \
                   const m = performance.getEntriesByName(n); return m.length ? m[m.length - 1].startTime : null; });")
            .await?;
        let at = |i: usize| marks.get(i).and_then(Value::as_f64);
        if let (Some(response), Some(decoded), Some(drawn)) = (at(0), at(1), at(2)) {
            if drawn >= decoded {
                let longest_task = longest_task(b, response, drawn).await?;
                return Ok(Timing {
                    decode: decoded - response,
                    draw: drawn - decoded,
                    total: drawn - response,
                    page: drawn,
                    longest_task,
                });
            }
        }
        if std::time::Instant::now() > deadline {
            bail!("{url}: no console:drawn mark after 120 s (marks {marks})");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The longest main-thread task overlapping `from..to` (page time, ms), from Chromium's Long Tasks
/// API (tasks over 50 ms; 0 if none was that long).
async fn longest_task(b: &Browser, from: f64, to: f64) -> Result<f64> {
    let script = format!(
        "return new Promise(done => {{ setTimeout(() => done(0), 300); \
         new PerformanceObserver((list, obs) => {{ obs.disconnect(); \
           done(Math.max(0, ...list.getEntries().filter(e => e.startTime + e.duration >= {from} && e.startTime <= {to}) \
             .map(e => e.duration))); }}).observe({{type: 'longtask', buffered: true}}); }});"
    );
    Ok(b.js(&script).await?.as_f64().unwrap_or(0.0))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

type Row = (&'static str, fn(&Timing) -> f64);

const LOAD_ROWS: [Row; 5] = [
    ("decode (body → data)", |t| t.decode),
    ("draw (data → pixels)", |t| t.draw),
    ("decode + draw", |t| t.total),
    ("navigation → pixels", |t| t.page),
    ("longest main-thread task", |t| t.longest_task),
];

const CLICK_ROWS: [Row; 1] = [("Execute click → pixels", |t| t.total)];

fn report(title: &str, reference: &str, ours: &[Timing], theirs: &[Timing], rows: &[Row]) {
    println!("{title}: median of {} runs each, ms", ours.len());
    println!("{:<38} {:>8} {:>13} {:>7}", "", "console", reference, "ratio");
    for &(name, f) in rows {
        let (a, b) = (median(ours.iter().map(f).collect()), median(theirs.iter().map(f).collect()));
        if a.is_nan() {
            continue;
        }
        println!("{name:<38} {a:>8.1} {b:>13.1} {:>6.2}×", a / b);
    }
}
