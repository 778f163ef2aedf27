//! Serves the built console for the local demo: `serve-console --dist dist --listen 127.0.0.1:8080
//! --api-url http://127.0.0.1:9090/`.

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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.dist.join("index.html").exists(),
        "{}: no index.html (build the console first)",
        args.dist.display()
    );
    let config = args.api_url.map(|u| serde_json::json!({ "apiUrl": u }).to_string());
    let addr = testkit::console::spawn(&args.dist, config, &args.listen, &args.prefix).await?;
    println!("console listening on http://{addr}{}", args.prefix);
    std::future::pending::<()>().await;
    Ok(())
}
