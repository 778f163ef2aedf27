//! Serves the built console (`dist/`) as an Ingress would: files, `index.html` for every other path
//! (so deep links like `/graph?g0.expr=…` work), an optional `config.json`, and optionally the API
//! itself from upstreams by path prefix ([`proxy`]), so the console and its API share one origin.

use std::path::Path;

use axum::body::{Body, Bytes};
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};

/// Where requests under a path prefix go: `("/api/v1/rules", "http://127.0.0.1:10902")`. The
/// longest matching prefix wins.
pub type Upstreams = Vec<(String, String)>;

/// Adds routes that pass every request under the upstreams' prefixes on, as an Ingress with
/// several paths does: method, path, query, body and content type go through unchanged.
pub fn proxy(router: Router, mut upstreams: Upstreams) -> Router {
    upstreams.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
    let state = (reqwest::Client::new(), std::sync::Arc::new(upstreams.clone()));
    let mut api = Router::new();
    for (prefix, _) in &upstreams {
        let prefix = prefix.trim_end_matches('/');
        api = api.route(prefix, any(forward)).route(&format!("{prefix}/{{*rest}}"), any(forward));
    }
    router.merge(api.with_state(state))
}

async fn forward(
    State((client, upstreams)): State<(reqwest::Client, std::sync::Arc<Upstreams>)>,
    OriginalUri(uri): OriginalUri,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    let Some((_, upstream)) = upstreams.iter().find(|(prefix, _)| path.starts_with(prefix.as_str())) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let url =
        format!("{}{}", upstream.trim_end_matches('/'), uri.path_and_query().map_or(path, |p| p.as_str()));
    let mut request = client.request(method, &url).body(body);
    if let Some(t) = headers.get("content-type") {
        request = request.header("content-type", t);
    }
    match request.send().await {
        Ok(answer) => {
            let status = answer.status();
            let kind = answer.headers().get("content-type").cloned();
            let bytes = answer.bytes().await.unwrap_or_default();
            let mut response = Response::new(Body::from(bytes));
            *response.status_mut() = status;
            if let Some(kind) = kind {
                response.headers_mut().insert("content-type", kind);
            }
            response
        }
        Err(e) => (StatusCode::BAD_GATEWAY, format!("{url}: {e}")).into_response(),
    }
}

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
    spawn_with(router(dist, config_json), addr, prefix).await
}

/// Like [`spawn`], for a router already made (with [`proxy`], say).
pub async fn spawn_with(console: Router, addr: &str, prefix: &str) -> anyhow::Result<std::net::SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let app = match prefix.trim_end_matches('/') {
        "" => console,
        p => Router::new().nest_service(p, console),
    };
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(local)
}
