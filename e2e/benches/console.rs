//! Decode + draw of one `query_range` answer (500 series × 1,000 points by default) in headless
//! Chromium: the console against a reference page doing the same with `JSON.parse` and uPlot
//! (`e2e/bench/uplot/`, uPlot from npm, installed here on first run), in the same browser run.
//!
//! Both pages set the same performance marks: `console:response` (the body is in), `console:decoded`,
//! `console:drawn` (the chart is on the canvas). Each run is a fresh page load; medians are printed.
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
}

fn main() -> Result<()> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (series, points, runs) =
        (args.first().copied().unwrap_or(500), args.get(1).copied().unwrap_or(1000), args.get(2).copied().unwrap_or(5));
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dist = root.join("../dist");
    ensure!(dist.join("index.html").exists(), "no console build in {}: run trunk build --release first", dist.display());
    let reference = root.join("bench/uplot");
    install_uplot(&reference)?;

    let body = answer(series, points);
    println!("query_range answer: {series} series × {points} points, {:.1} MB of JSON", body.len() as f64 / 1e6);
    tokio::runtime::Runtime::new()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let config = serde_json::json!({ "apiUrl": base }).to_string();
        let app = Router::new()
            .route("/api/v1/query_range", post(move || async move { ([("content-type", "application/json")], body) }))
            .nest_service("/ref", ServeDir::new(&reference))
            .fallback_service(e2e::console::router(&dist, Some(config)));
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
        b.close().await?;
        report(&ours, &theirs);
        Ok(())
    })
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
        out += &format!(r#"{{"metric":{{"__name__":"bench_metric","instance":"host-{s}:9100","job":"node"}},"values":["#);
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
                return Ok(Timing { decode: decoded - response, draw: drawn - decoded, total: drawn - response, page: drawn });
            }
        }
        if std::time::Instant::now() > deadline {
            bail!("{url}: no console:drawn mark after 120 s (marks {marks})");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn report(ours: &[Timing], theirs: &[Timing]) {
    println!("median of {} page loads each, ms       console   uPlot ref   ratio", ours.len());
    let rows: [(&str, fn(&Timing) -> f64); 4] = [
        ("decode (body → data)", |t| t.decode),
        ("draw (data → pixels)", |t| t.draw),
        ("decode + draw", |t| t.total),
        ("navigation → pixels", |t| t.page),
    ];
    for (name, f) in rows {
        let (a, b) = (median(ours.iter().map(f).collect()), median(theirs.iter().map(f).collect()));
        println!("{name:<38} {a:>8.1} {b:>11.1} {:>7.2}×", a / b);
    }
}
