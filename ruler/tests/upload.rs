//! Blocks shipped to object storage as Thanos lays them out: into a FILESYSTEM bucket and read back
//! from it, into a real S3-compatible server (`moto_server`, installed by scripts/setup.sh), and by
//! `ruler run` itself.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use futures::TryStreamExt;
use object_store::path::Path as Key;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use promapi::Labels;
use ruler::objstore::BucketConfig;
use ruler::shipper::{read_shipper_file, Pass, Shipper, SHIPPER_FILE};
use ruler::tsdb::{Block, BlockWriter};
use testkit::process::{free_port, wait_ready, ChildGuard};
use ulid::Ulid;

use crate::recording_bucket::RecordingBucket;
use crate::run::RULES;
use crate::support::{eventually, prometheus_scraping_exporter, start_ruler};

const H: i64 = 3_600_000;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Two windows of a few series each, written by the ruler's block writer into `data`.
fn write_blocks(data: &Path) -> Result<Vec<Ulid>> {
    let mut out = Vec::new();
    for window in [1000, 1001] {
        let mint = window * 2 * H;
        let mut w =
            BlockWriter::new(data, mint, mint + 2 * H, labels(&[("cluster", "eu1"), ("replica", "a")]))?;
        for id in 0..3 {
            let samples: Vec<(i64, f64)> = (0..240).map(|i| (mint + i * 30_000, (i * id) as f64)).collect();
            w.add_series(&labels(&[("__name__", "job:up:sum"), ("id", &id.to_string())]), &samples)?;
        }
        out.push(w.finish()?);
    }
    Ok(out)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Checks that the block at `copy` holds what the block at `original` holds.
fn assert_same_block(original: &Path, copy: &Path) -> Result<()> {
    let (a, b) =
        (Block::open(original)?, Block::open(copy).with_context(|| format!("open {}", copy.display()))?);
    assert_eq!(a.meta(), b.meta());
    let series = |b: &Block| b.series().collect::<Result<Vec<_>, _>>();
    assert_eq!(series(&a)?, series(&b)?);
    for f in ["index", "meta.json", "chunks/000001"] {
        assert_eq!(std::fs::read(original.join(f))?, std::fs::read(copy.join(f))?, "{f}");
    }
    assert!(!copy.join("tombstones").exists(), "tombstones are not uploaded, as Thanos does");
    Ok(())
}

#[tokio::test]
async fn filesystem_bucket_holds_the_blocks_block_open_reads_back() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let ulids = write_blocks(&data)?;
    let bucket = dir.path().join("bucket");
    let yaml = format!("type: FILESYSTEM\nconfig:\n  directory: {}\nprefix: team/ruler\n", bucket.display());
    let shipper = Shipper::new(&data, &BucketConfig::parse("test", &yaml).map_err(anyhow::Error::msg)?)
        .map_err(anyhow::Error::msg)?;
    assert_eq!(shipper.sync(now_ms()).await, Pass { uploaded: ulids.clone(), skipped: 0, failures: vec![] });
    for u in &ulids {
        assert_same_block(&data.join(u.to_string()), &bucket.join("team/ruler").join(u.to_string()))?;
    }
    assert_eq!(read_shipper_file(&data).map_err(anyhow::Error::msg)?, ulids.iter().copied().collect());
    // A restart uploads nothing again.
    let again = Shipper::new(&data, &BucketConfig::parse("test", &yaml).map_err(anyhow::Error::msg)?)
        .map_err(anyhow::Error::msg)?;
    assert_eq!(again.sync(now_ms()).await, Pass::default());
    Ok(())
}

/// `moto_server`, from `$MOTO_SERVER` or where scripts/setup.sh installs it.
fn moto_server() -> PathBuf {
    if let Some(p) = std::env::var_os("MOTO_SERVER") {
        return p.into();
    }
    let tools = std::env::var_os("THANOS_CONSOLE_TOOLS").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".local/share/thanos-console-tools")
    });
    tools.join("venv-moto/bin/moto_server")
}

#[tokio::test]
async fn s3_server_gets_chunks_index_then_meta_and_nothing_twice() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let port = free_port()?;
    let moto = moto_server();
    let _server = ChildGuard::spawn(
        &moto.to_string_lossy(),
        &["-H".into(), "127.0.0.1".into(), "-p".into(), port.to_string()],
        Some(&dir.path().join("moto.log")),
    )?;
    // The bucket, created with a plain PUT once the server answers.
    let endpoint = format!("127.0.0.1:{port}");
    let client = reqwest::Client::new();
    eventually("moto_server to create the bucket", || async {
        Ok(client.put(format!("http://{endpoint}/blocks")).send().await?.status().is_success().then_some(()))
    })
    .await
    .with_context(|| std::fs::read_to_string(dir.path().join("moto.log")).unwrap_or_default())?;

    let data = dir.path().join("data");
    let ulids = write_blocks(&data)?;
    let yaml = format!(
        "type: S3\nconfig:\n  bucket: blocks\n  endpoint: {endpoint}\n  region: us-east-1\n  insecure: true\n  \
         access_key: test\n  secret_key: test\nprefix: ruler\n"
    );
    let config = BucketConfig::parse("test", &yaml).map_err(anyhow::Error::msg)?;
    let store = Arc::new(RecordingBucket::new(config.open().map_err(anyhow::Error::msg)?));
    let shipper = Shipper::with_store(&data, store.clone(), &config.prefix);
    assert_eq!(shipper.sync(now_ms()).await, Pass { uploaded: ulids.clone(), skipped: 0, failures: vec![] });

    let want: Vec<String> = ulids
        .iter()
        .flat_map(|u| ["chunks/000001", "index", "meta.json"].map(|f| format!("ruler/{u}/{f}")))
        .collect();
    assert_eq!(*store.puts.lock().unwrap(), want, "per block: chunks, index, meta.json last; no tombstones");
    // Listed back from the server (through a client of its own), and read back as blocks.
    let plain = config.open().map_err(anyhow::Error::msg)?;
    let listed: Vec<ObjectMeta> = plain.list(Some(&Key::from("ruler"))).try_collect().await?;
    let keys: BTreeSet<String> = listed.iter().map(|m| m.location.to_string()).collect();
    assert_eq!(keys, want.iter().cloned().collect());
    let copy = dir.path().join("copy");
    for key in &keys {
        let bytes = plain.get(&Key::from(key.as_str())).await?.bytes().await?;
        let path = copy.join(key);
        std::fs::create_dir_all(path.parent().unwrap())?;
        std::fs::write(path, bytes)?;
    }
    for u in &ulids {
        assert_same_block(&data.join(u.to_string()), &copy.join("ruler").join(u.to_string()))?;
    }

    // A restart, and then a lost shipper file: nothing is uploaded again.
    let restarted = Shipper::with_store(&data, store.clone(), &config.prefix);
    assert_eq!(restarted.sync(now_ms()).await, Pass::default());
    std::fs::remove_file(data.join(SHIPPER_FILE))?;
    assert_eq!(restarted.sync(now_ms()).await, Pass::default());
    assert_eq!(read_shipper_file(&data).map_err(anyhow::Error::msg)?, ulids.iter().copied().collect());
    assert_eq!(store.puts.lock().unwrap().len(), want.len());
    Ok(())
}

#[tokio::test]
async fn ruler_run_uploads_its_blocks_with_thanos_meta() -> Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("rules.yaml"), RULES)?;
    let prom = prometheus_scraping_exporter().await?;
    let bucket = dir.path().join("bucket");
    let config = dir.path().join("objstore.yml");
    std::fs::write(&config, format!("type: FILESYSTEM\nconfig:\n  directory: {}\n", bucket.display()))?;
    let flags = [format!("--objstore.config-file={}", config.display()), "--tsdb.block-duration=2s".into()];
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let r = start_ruler(dir.path(), "a", &prom.url, "http://127.0.0.1:1", &flags)?;
    wait_ready(&format!("{}/-/ready", r.url), Duration::from_secs(20)).await?;

    let block = eventually("a block in the bucket", || async {
        for entry in std::fs::read_dir(&bucket)? {
            let path = entry?.path();
            if path.join("meta.json").exists() {
                return Ok(Some(path));
            }
        }
        Ok(None)
    })
    .await
    .with_context(|| std::fs::read_to_string(dir.path().join("ruler-a.log")).unwrap_or_default())?;
    let b = Block::open(&block)?;
    let thanos = b.meta().thanos.clone().context("no thanos section")?;
    assert_eq!(thanos.labels, labels(&[("rule_replica", "a")]));
    assert_eq!((thanos.source.as_str(), thanos.downsample.resolution), ("ruler", 0));
    assert!(b.meta().stats.num_samples > 0);
    let local = dir.path().join("data-a").join(block.file_name().unwrap());
    if local.exists() {
        assert_same_block(&local, &block)?;
    }
    // Counted once the pass ends, just after meta.json lands.
    eventually("thanos_shipper_uploads_total to count it", || async {
        let metrics = reqwest::get(format!("{}/metrics", r.url)).await?.text().await?;
        let uploads =
            metrics.lines().find_map(|l| l.strip_prefix("thanos_shipper_uploads_total ")).unwrap_or("0");
        Ok((uploads.parse::<f64>()? >= 1.0).then_some(()))
    })
    .await
}
