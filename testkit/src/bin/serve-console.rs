//! Serves the built console for the local demo: `serve-console --dist dist --listen 127.0.0.1:8080
//! --api-url http://127.0.0.1:9090/`, or with its API on the same origin, routed by path as an
//! Ingress would: `--upstream /api/v1/rules=http://127.0.0.1:10902 --upstream /api/=http://127.0.0.1:9090`.

use std::path::PathBuf;

use clap::Parser;

#[derive(Debug, Parser)]
struct Args {
    /// The console build (trunk's dist/).
    #[arg(long, default_value = "dist")]
    dist: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Path the console is served under (as behind an Ingress path).
    #[arg(long, default_value = "/")]
    prefix: String,
    /// Query API the console talks to, written into the served config.json.
    #[arg(long)]
    api_url: Option<String>,
    /// `PREFIX=URL`: requests under PREFIX are passed to URL (the longest prefix wins).
    #[arg(long, value_parser = upstream)]
    upstream: Vec<(String, String)>,
}

fn upstream(s: &str) -> Result<(String, String), String> {
    let (prefix, url) = s.split_once('=').ok_or_else(|| format!("{s:?}: want PREFIX=URL"))?;
    if !prefix.starts_with('/') || !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("{s:?}: want a path prefix such as /api/ and an http(s) URL"));
    }
    Ok((prefix.to_string(), url.to_string()))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.dist.join("index.html").exists(),
        "{}: no index.html (build the console first)",
        args.dist.display()
    );
    // Always a config.json: without one, the index.html fallback would answer for it.
    let config = Some(match args.api_url {
        Some(u) => serde_json::json!({ "apiUrl": u }).to_string(),
        None => "{}".to_string(),
    });
    let mut console = testkit::console::router(&args.dist, config);
    if !args.upstream.is_empty() {
        console = testkit::console::proxy(console, args.upstream);
    }
    let addr = testkit::console::spawn_with(console, &args.listen, &args.prefix).await?;
    println!("console listening on http://{addr}{}", args.prefix);
    std::future::pending::<()>().await;
    Ok(())
}
