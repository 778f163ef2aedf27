//! A metrics endpoint whose values the test chooses, for a real Prometheus to scrape.

use std::net::SocketAddr;

use anyhow::Result;
use axum::routing::get;
use axum::Router;

/// Serves `body` (Prometheus text format) at `/metrics`; returns the address.
pub async fn spawn(body: &'static str) -> Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = Router::new().route("/metrics", get(move || async move { body }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(addr)
}
