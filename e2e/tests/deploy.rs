//! The console as `deploy/` runs it: nginx with the repo's server template, the built console as its
//! root, the ConfigMap's `config.json`, and `/api/` proxied to a real Prometheus standing in for the
//! Querier.

use std::path::{Path, PathBuf};

use anyhow::{ensure, Context, Result};
use promapi::{ApiResponse, QueryData};
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE};
use reqwest::StatusCode;
use testkit::process::{free_port, Nginx, Prometheus};

use crate::support::browser::Browser;
use crate::support::pages::graph::GraphPage;
use crate::support::{dist_dir, exporter};

const METRICS: &str = "# TYPE e2e_deploy_value gauge\n\
e2e_deploy_value{id=\"one\"} 3\n\
e2e_deploy_value{id=\"two\"} 0.25\n";

fn deploy_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

/// Prometheus with [`METRICS`] scraped, and nginx serving the console in front of it.
struct Stack {
    prom: Prometheus,
    nginx: Nginx,
    url: String,
    _root: tempfile::TempDir,
}

async fn stack() -> Result<Stack> {
    let exporter = exporter::spawn(METRICS).await?;
    let scrape = format!("  - job_name: deploy\n    static_configs:\n      - targets: ['{exporter}']\n");
    let prom = Prometheus::start(&[("replica", "a")], &scrape, None).await?;
    let client = reqwest::Client::new();
    let mut scraped = false;
    for _ in 0..100 {
        if matches!(instant(&client, &prom.url, "e2e_deploy_value").await?, QueryData::Vector(v) if v.len() == 2)
        {
            scraped = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    ensure!(scraped, "prometheus did not scrape the exporter");

    let root = web_root()?;
    let port = free_port()?;
    let template = std::fs::read_to_string(deploy_dir().join("console/default.conf.template"))?;
    let server = render(&template, &prom.url, port, root.path())?;
    let nginx = Nginx::start(&server, port).await?;
    Ok(Stack { prom, nginx, url: format!("http://127.0.0.1:{port}"), _root: root })
}

/// What the pod's /usr/share/nginx/html holds: the image's files and the ConfigMap's config.json.
fn web_root() -> Result<tempfile::TempDir> {
    let root = tempfile::tempdir()?;
    // nginx's workers run as another user when the tests run as root.
    std::fs::set_permissions(root.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    for entry in std::fs::read_dir(dist_dir()?)? {
        let entry = entry?;
        std::os::unix::fs::symlink(entry.path(), root.path().join(entry.file_name()))?;
    }
    std::fs::copy(deploy_dir().join("console/config.json"), root.path().join("config.json"))?;
    Ok(root)
}

/// The template as the image's entrypoint renders it, plus this test's port and root.
fn render(template: &str, query_url: &str, port: u16, root: &Path) -> Result<String> {
    let mut out = template.to_string();
    for (from, to) in [
        ("${THANOS_QUERY_URL}", query_url.to_string()),
        ("listen 8080;", format!("listen 127.0.0.1:{port};")),
        ("root /usr/share/nginx/html;", format!("root {};", root.display())),
    ] {
        ensure!(out.matches(from).count() == 1, "default.conf.template: expected `{from}` exactly once");
        out = out.replace(from, &to);
    }
    Ok(out)
}

async fn instant(client: &reqwest::Client, base: &str, q: &str) -> Result<QueryData> {
    let r: ApiResponse<QueryData> =
        client.post(format!("{base}/api/v1/query")).form(&[("query", q)]).send().await?.json().await?;
    r.data.ok_or_else(|| anyhow::anyhow!("no data: {:?}", r.error))
}

fn header(r: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

#[tokio::test]
async fn nginx_serves_deep_links_hashed_assets_config_and_the_api() -> Result<()> {
    let s = stack().await?;
    let client = reqwest::Client::new();
    let dist = dist_dir()?;
    let index = std::fs::read_to_string(dist.join("index.html"))?;

    for path in ["/", "/graph?g0.expr=up&g0.tab=0", "/rules", "/alerts"] {
        let r = client.get(format!("{}{path}", s.url)).send().await?;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&r, CACHE_CONTROL), "no-cache", "{path}");
        assert_eq!(r.text().await?, index, "{path} is not index.html");
    }

    let r = client.get(format!("{}/config.json", s.url)).send().await?;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, CACHE_CONTROL), "no-cache");
    assert_eq!(header(&r, CONTENT_TYPE), "application/json");
    let want = std::fs::read_to_string(deploy_dir().join("console/config.json"))?;
    assert_eq!(r.json::<serde_json::Value>().await?, serde_json::from_str::<serde_json::Value>(&want)?);

    // Hashed assets: the right type (wasm streaming compilation needs it), cached for good, gzipped.
    let names: Vec<String> = std::fs::read_dir(&dist)?
        .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_>>()?;
    let find = |prefix: &str, suffix: &str| {
        let found = names.iter().find(|n| n.starts_with(prefix) && n.ends_with(suffix));
        found.cloned().with_context(|| format!("no {prefix}*{suffix} in dist/"))
    };
    for (file, content_type) in [
        (find("app-", "_bg.wasm")?, "application/wasm"),
        (find("app-", ".js")?, "javascript"),
        (find("style-", ".css")?, "text/css"),
    ] {
        let r = client.get(format!("{}/{file}", s.url)).header(ACCEPT_ENCODING, "gzip").send().await?;
        assert_eq!(r.status(), StatusCode::OK, "{file}");
        assert!(header(&r, CONTENT_TYPE).contains(content_type), "{file}: {}", header(&r, CONTENT_TYPE));
        assert!(header(&r, CACHE_CONTROL).contains("immutable"), "{file}: {}", header(&r, CACHE_CONTROL));
        assert_eq!(header(&r, CONTENT_ENCODING), "gzip", "{file}");
    }
    // The worker's files carry no hash: revalidated like index.html.
    let r = client.get(format!("{}/parser_worker.js", s.url)).send().await?;
    assert_eq!((r.status(), header(&r, CACHE_CONTROL)), (StatusCode::OK, "no-cache".to_string()));
    // An asset of an older release is a 404, not index.html served as script.
    let r = client.get(format!("{}/app-0123456789abcdef.js", s.url)).send().await?;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // The API, through the proxy, as the console sends it (POST) and as a link would (GET).
    let QueryData::Vector(proxied) = instant(&client, &s.url, "e2e_deploy_value").await? else {
        anyhow::bail!("not a vector")
    };
    assert_eq!(proxied.len(), 2);
    let r: ApiResponse<QueryData> =
        client.get(format!("{}/api/v1/query?query=up", s.url)).send().await?.json().await?;
    assert!(r.data.is_some() && r.error.is_none(), "{:?}", r.error);
    let buildinfo = |base: &str| client.get(format!("{base}/api/v1/status/buildinfo")).send();
    let direct: serde_json::Value = buildinfo(&s.prom.url).await?.json().await?;
    assert_eq!(buildinfo(&s.url).await?.json::<serde_json::Value>().await?, direct);
    Ok(())
}

#[tokio::test]
async fn a_link_through_nginx_shows_the_table_from_the_same_origin_api() -> Result<()> {
    let s = stack().await?;
    let b = Browser::start().await?;
    let graph = GraphPage::open(&b, &s.url, "g0.expr=e2e_deploy_value&g0.tab=1").await?;
    let panel = graph.panel(0);
    panel.wait_rows(2).await?;
    assert!(!graph.shows_config_error().await?, "config.json was not read");

    let mut shown = panel.table().await?;
    shown.sort();
    let QueryData::Vector(v) = instant(&reqwest::Client::new(), &s.prom.url, "e2e_deploy_value").await?
    else {
        anyhow::bail!("not a vector")
    };
    let mut want: Vec<(String, String)> = v
        .iter()
        .map(|s| (app::format::series_name(&s.metric), s.value.as_ref().unwrap().1.clone()))
        .collect();
    want.sort();
    assert_eq!(shown, want);

    // The browser asked nginx, not Prometheus: config.json names no apiUrl.
    let access = std::fs::read_to_string(s.nginx.dir.join("access.log"))?;
    assert!(
        access.lines().any(|l| l.contains("\"POST /api/v1/query HTTP/1.1\" 200")),
        "no proxied query in nginx's access log:\n{access}"
    );

    // Prometheus goes away: nginx answers 502 with its HTML page, which the console names in words.
    let Stack { prom, nginx: _nginx, url: _, _root } = s;
    drop(prom);
    panel.execute("e2e_deploy_value + 1").await?;
    let e = panel.wait_error("HTTP 502").await?;
    assert!(e.contains("an HTML page: \"502 Bad Gateway\""), "{e}");
    b.close().await
}
