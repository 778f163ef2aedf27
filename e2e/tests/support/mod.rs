//! Test support: the stack under test (built console + API server) and a headless Chromium driven
//! over WebDriver, layered as find → act → check.

pub mod browser;
pub mod exporter;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{ensure, Result};

/// The built console. `scripts/test.sh` builds it with trunk before the tests run.
pub fn dist_dir() -> Result<PathBuf> {
    let dir = std::env::var_os("CONSOLE_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dist"));
    ensure!(dir.join("index.html").exists(), "{}: no built console; run scripts/test.sh (it runs trunk build)", dir.display());
    Ok(dir)
}

/// Serves the built console with `config.json` pointing at `api_url`; returns the console's base URL.
pub async fn serve_console(api_url: &str) -> Result<String> {
    serve_console_at(api_url, "/").await
}

/// Like [`serve_console`], under a sub-path such as `/thanos` (the URL returned includes it).
pub async fn serve_console_at(api_url: &str, prefix: &str) -> Result<String> {
    let config = serde_json::json!({ "apiUrl": api_url }).to_string();
    let addr: SocketAddr = e2e::console::spawn(&dist_dir()?, Some(config), "127.0.0.1:0", prefix).await?;
    Ok(format!("http://{addr}{}", prefix.trim_end_matches('/')))
}
