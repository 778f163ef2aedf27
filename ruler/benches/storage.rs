//! Storage: append throughput into the write-ahead log and head (one synced append per evaluation,
//! as `ruler run` does), and the bytes per sample of the block cut from it beside the block
//! `promtool tsdb create-blocks-from openmetrics` (Prometheus 2.42) writes for the same samples.
//!
//!     cargo bench -p ruler --bench storage [-- SERIES]
//!
//! The samples: SERIES series (default 1,000) of rule-like values, one sample every 15 s over one
//! 2h window, appended one evaluation (every series at one timestamp) at a time.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{ensure, Context, Result};
use promapi::Labels;
use ruler::rules::Sample;
use ruler::storage::{Storage, StorageOptions};

const H: i64 = 3_600_000;
const STEP: i64 = 15_000;

fn labels(i: usize) -> Labels {
    [
        ("__name__".to_string(), format!("job:requests:rate5m_{}", i % 10)),
        ("instance".to_string(), format!("host-{}.example.com:9100", i / 10)),
        ("job".to_string(), "node".to_string()),
    ]
    .into()
}

/// A rate-like value that moves a little each step, as recording rules' outputs do.
fn value(i: usize, t: i64) -> f64 {
    let k = (t / STEP) as f64;
    (i as f64 * 0.37 + (k * 0.1).sin() * 3.0 + 50.0).round() / 10.0
}

/// Bytes of the block's `index` and `chunks/*`.
fn block_bytes(block: &Path) -> Result<u64> {
    let mut n = std::fs::metadata(block.join("index"))?.len();
    for e in std::fs::read_dir(block.join("chunks"))? {
        n += e?.metadata()?.len();
    }
    Ok(n)
}

/// The one block directory under `dir`.
fn only_block(dir: &Path) -> Result<std::path::PathBuf> {
    let blocks: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| ulid::Ulid::from_string(&e.file_name().to_string_lossy()).is_ok())
        .map(|e| e.path())
        .collect();
    ensure!(blocks.len() == 1, "expected one block in {}, found {}", dir.display(), blocks.len());
    Ok(blocks[0].clone())
}

fn main() -> Result<()> {
    let series: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1_000);
    let t0 = 1_000 * 2 * H; // a window start, in the past
    let steps = (2 * H / STEP) as usize;

    let dir = tempfile::tempdir()?;
    let opts =
        StorageOptions { block_ms: 2 * H, retention_ms: 1_000_000 * H, external_labels: Labels::new() };
    let (storage, _) = Storage::open(&dir.path().join("data"), opts)?;
    let all_labels: Vec<Labels> = (0..series).map(labels).collect();
    let started = Instant::now();
    for k in 0..steps {
        let t = t0 + k as i64 * STEP;
        let batch: Vec<Sample> = all_labels
            .iter()
            .enumerate()
            .map(|(i, l)| Sample { labels: l.clone(), t, v: value(i, t) })
            .collect();
        storage.append_samples(&batch)?;
    }
    let append_s = started.elapsed().as_secs_f64();
    let samples = series * steps;
    let started = Instant::now();
    let written = storage.compact(t0 + 4 * H)?;
    let cut_s = started.elapsed().as_secs_f64();
    ensure!(written.len() == 1, "one block expected");
    let ours = block_bytes(&only_block(&dir.path().join("data"))?)?;

    // promtool on the same samples.
    let mut om = String::new();
    for (i, l) in all_labels.iter().enumerate() {
        let pairs: Vec<String> =
            l.iter().filter(|(k, _)| *k != "__name__").map(|(k, v)| format!("{k}={v:?}")).collect();
        for k in 0..steps {
            let t = t0 + k as i64 * STEP;
            om += &format!(
                "{}{{{}}} {} {}.{:03}\n",
                l["__name__"],
                pairs.join(","),
                value(i, t),
                t / 1000,
                t % 1000
            );
        }
    }
    om += "# EOF\n";
    let om_path = dir.path().join("in.om");
    std::fs::write(&om_path, om)?;
    let out = dir.path().join("promtool");
    let status = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&om_path)
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status()
        .context("run promtool (apt-get install prometheus)")?;
    ensure!(status.success(), "promtool failed");
    let theirs = block_bytes(&only_block(&out)?)?;

    println!("series | samples | append samples/s (synced per evaluation) | block cut s | our bytes/sample | promtool bytes/sample | ours ÷ promtool");
    println!("-------|---------|-------------------------------------------|-------------|------------------|-----------------------|----------------");
    println!(
        "{series:>6} | {samples:>7} | {:>41.0} | {cut_s:>11.3} | {:>16.3} | {:>21.3} | {:>14.3}",
        samples as f64 / append_s,
        ours as f64 / samples as f64,
        theirs as f64 / samples as f64,
        ours as f64 / theirs as f64
    );
    Ok(())
}
