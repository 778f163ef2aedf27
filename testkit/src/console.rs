//! Serves the built console (`dist/`) as an Ingress would: files, `index.html` for every other path
//! (so deep links like `/graph?g0.expr=…` work), and an optional `config.json`.

use std::path::Path;

use axum::routing::get;
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};

/// The console's routes. `config_json` is served at `/config.json` when given.
pub fn router(dist: &Path, config_json: Option<String>) -> Router {
    let files = ServeDir::new(dist).fallback(ServeFile::new(dist.join("index.html")));
    let mut router = Router::new();
    if let Some(json) = config_json {
        router = router.route(
            "/config.json",
            get(move || {
                let json = json.clone();
                async move { ([("content-type", "application/json")], json) }
            }),
        );
    }
    router.fallback_service(files)
}

/// Binds `addr` and serves the console under `prefix` (`/`, or a sub-path such as `/thanos`, as behind
/// an Ingress path) until the process ends. Returns the bound address.
pub async fn spawn(
    dist: &Path,
    config_json: Option<String>,
    addr: &str,
    prefix: &str,
) -> anyhow::Result<std::net::SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let app = match prefix.trim_end_matches('/') {
        "" => router(dist, config_json),
        p => Router::new().nest_service(p, router(dist, config_json)),
    };
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(local)
}
