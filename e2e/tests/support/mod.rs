//! Test support: the stack under test (built console, API servers, the ruler) and a headless
//! Chromium driven over WebDriver, in three layers:
//!
//! 1. [`browser`]: the session and generic helpers that know no page (`find`, `click`, `texts`,
//!    `wait_count`, `wait_text`, `wait_url`, `choose`, performance marks, DevTools commands). They
//!    wait for what a user would see (polling up to [`browser::PATIENCE`]), never a fixed sleep.
//! 2. [`pages`]: page objects (graph page and its panels, embed, Rules, Alerts, Stores, Status, the
//!    top bar) built on those helpers. They hold the `data-testid` selectors and name their
//!    methods by what a user does or sees (`panel.execute(..)`, `panel.table()`, `rules.rule_names()`).
//! 3. The scenarios (`tests/*.rs`): start the stack, drive the page objects, assert on what they
//!    return.

pub mod browser;
pub mod exporter;
pub mod pages;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{ensure, Result};

/// The built console. `scripts/test.sh` builds it with trunk before the tests run.
pub fn dist_dir() -> Result<PathBuf> {
    let dir = std::env::var_os("CONSOLE_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dist"));
    ensure!(
        dir.join("index.html").exists(),
        "{}: no built console; run scripts/test.sh (it runs trunk build)",
        dir.display()
    );
    Ok(dir)
}

/// Serves the built console with `config.json` pointing at `api_url`; returns the console's base URL.
pub async fn serve_console(api_url: &str) -> Result<String> {
    serve_console_at(api_url, "/").await
}

/// Like [`serve_console`], under a sub-path such as `/thanos` (the URL returned includes it).
pub async fn serve_console_at(api_url: &str, prefix: &str) -> Result<String> {
    let config = serde_json::json!({ "apiUrl": api_url }).to_string();
    let addr: SocketAddr = testkit::console::spawn(&dist_dir()?, Some(config), "127.0.0.1:0", prefix).await?;
    Ok(format!("http://{addr}{}", prefix.trim_end_matches('/')))
}

/// Serves `routes` (a scenario's own query API: answers it chooses) on a free port with permissive
/// CORS, which exposes every header (`Date` included) as Prometheus does; returns its URL.
pub async fn serve_api(routes: axum::Router) -> Result<String> {
    let app = routes.layer(tower_http::cors::CorsLayer::permissive());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

/// A query answer with `series` series named `name` (label `i` = 0, 1, …): a matrix of `points`
/// points 18 s apart ending now, or (`range` false) a vector of one sample each.
pub fn big_answer(name: &str, series: usize, points: usize, range: bool) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs()
        as usize;
    let start = now - 18 * points;
    let mut out = format!(
        r#"{{"status":"success","data":{{"resultType":"{}","result":["#,
        if range { "matrix" } else { "vector" }
    );
    for s in 0..series {
        if s > 0 {
            out.push(',');
        }
        out += &format!(r#"{{"metric":{{"__name__":"{name}","i":"{s}"}},"#);
        if range {
            let values: Vec<String> = (0..points)
                .map(|p| format!(r#"[{},"{}"]"#, start + p * 18, (s * 31 + p * 17) % 997))
                .collect();
            out += &format!(r#""values":[{}]}}"#, values.join(","));
        } else {
            out += &format!(r#""value":[{now},"{s}"]}}"#);
        }
    }
    out + "]}}"
}

/// The ruler's binary, built (or found up to date) by cargo: the e2e crate cannot depend on a binary.
pub fn ruler_binary() -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["build", "-p", "ruler", "--bin", "ruler", "--message-format=json", "-q"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()?;
    ensure!(out.status.success(), "cargo build -p ruler: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)?
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "ruler")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| anyhow::anyhow!("cargo build -p ruler named no executable"))
}

/// Waits until a Prometheus scraping itself has scraped `n` times within the last minute.
pub async fn wait_scrapes(url: &str, n: usize) -> Result<()> {
    let client = reqwest::Client::new();
    for _ in 0..200 {
        let r: promapi::ApiResponse<promapi::QueryData> = client
            .post(format!("{url}/api/v1/query"))
            .form(&[("query", "count_over_time(up[1m])")])
            .send()
            .await?
            .json()
            .await?;
        if matches!(&r.data, Some(promapi::QueryData::Vector(v)) if v.iter().any(|s| s.value.as_ref().and_then(|p| p.value()) >= Some(n as f64)))
        {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    anyhow::bail!("Prometheus did not scrape itself {n} times")
}
