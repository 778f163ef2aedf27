//! Backfill: `ruler backfill` against `promtool tsdb create-blocks-from rules` (Prometheus 2.42) on the
//! same rules, data and range. The history (100 series, every 30 s, `HOURS` long, ending 30 minutes
//! ago) is imported with `promtool tsdb create-blocks-from openmetrics` into a Prometheus data directory
//! before Prometheus starts, with compaction off so it does nothing in the background. Each tool then
//! evaluates 8 recording rules (interval 1m) over the whole history; reported are wall time, peak RSS
//! and CPU time (`/usr/bin/time`), blocks, samples written and the CPU Prometheus spent answering.
//!
//!     cargo bench -p ruler --bench backfill [-- HOURS]
//!
//! The ruler is built with the bench profile (opt-level 3, thin LTO), as the image builds it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{ensure, Context, Result};
use testkit::process::{cpu_seconds, free_port, wait_ready, ChildGuard};

const MIN: i64 = 60_000;
/// The history's resolution.
const SCRAPE: i64 = 30_000;

/// 50 instances × 2 codes of a counter, plus the instances' zone for aggregations.
fn history(t0: i64, t1: i64) -> String {
    let mut out = String::new();
    for i in 0..50i64 {
        for code in ["200", "500"] {
            let mut total = 0.0;
            for t in (t0..t1).step_by(SCRAPE as usize) {
                total += ((t / SCRAPE + i * 7) % 17) as f64 * if code == "500" { 0.5 } else { 3.0 };
                out += &format!(
                    "bench_requests_total{{code=\"{code}\",instance=\"i{i}\",zone=\"z{}\"}} {total} {}\n",
                    i % 5,
                    t / 1000
                );
            }
        }
    }
    out + "# EOF\n"
}

/// Eight recording rules of the shapes rule files have, over all 100 series.
const RULES: &str = "groups:
  - name: bench
    interval: 1m
    rules:
      - record: instance_code:bench_requests:rate5m
        expr: rate(bench_requests_total[5m])
      - record: instance:bench_requests:rate5m
        expr: sum by (instance) (rate(bench_requests_total[5m]))
      - record: zone_code:bench_requests:rate5m
        expr: sum by (zone, code) (rate(bench_requests_total[5m]))
      - record: instance:bench_errors:ratio5m
        expr: sum by (instance) (rate(bench_requests_total{code=\"500\"}[5m])) / sum by (instance) (rate(bench_requests_total[5m]))
      - record: instance_code:bench_requests:increase1h
        expr: increase(bench_requests_total[1h])
      - record: instance_code:bench_requests:max_over_time10m
        expr: max_over_time(bench_requests_total[10m])
      - record: instance_code:bench_requests:deriv10m
        expr: deriv(bench_requests_total[10m])
      - record: zone:bench_requests:quantile
        expr: quantile by (zone) (0.9, rate(bench_requests_total[5m]))
";

fn run(cmd: &mut Command) -> Result<String> {
    let out = cmd.output().with_context(|| format!("run {cmd:?}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    ensure!(out.status.success(), "{cmd:?} failed: {}\n{stderr}", out.status);
    Ok(stderr)
}

struct Row {
    tool: &'static str,
    wall_s: f64,
    cpu_s: f64,
    peak_rss_mib: f64,
    blocks: usize,
    samples: u64,
    querier_cpu_s: f64,
}

/// Runs `program args` under `/usr/bin/time`, which reports the peak RSS and CPU time as the kernel
/// counted them.
fn measure(tool: &'static str, program: &str, args: &[String], out: &Path, prom_pid: u32) -> Result<Row> {
    let times = out.with_extension("time");
    let cpu0 = cpu_seconds(prom_pid)?;
    let started = Instant::now();
    run(Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M %U %S")
        .arg("-o")
        .arg(&times)
        .arg(program)
        .args(args))?;
    let wall_s = started.elapsed().as_secs_f64();
    let querier_cpu_s = cpu_seconds(prom_pid)? - cpu0;
    let report = std::fs::read_to_string(&times)?;
    let last = report.lines().last().context("no time output")?;
    let fields: Vec<f64> = last.split(' ').map(str::parse).collect::<Result<_, _>>()?;
    let (kib, cpu_s) = (fields[0], fields[1] + fields[2]);
    let (blocks, samples) = blocks(out)?;
    Ok(Row { tool, wall_s, cpu_s, peak_rss_mib: kib / 1024.0, blocks, samples, querier_cpu_s })
}

/// The blocks in `dir` and their samples (from meta.json).
fn blocks(dir: &Path) -> Result<(usize, u64)> {
    let (mut n, mut samples) = (0, 0);
    for e in std::fs::read_dir(dir)? {
        let meta = e?.path().join("meta.json");
        if meta.exists() {
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&meta)?)?;
            n += 1;
            samples += v["stats"]["numSamples"].as_u64().context("numSamples")?;
        }
    }
    Ok((n, samples))
}

#[tokio::main]
async fn main() -> Result<()> {
    // `cargo bench` passes --bench; the history's length in hours is the other argument.
    let hours: i64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(24);
    let tmp = tempfile::tempdir()?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as i64;
    let t1 = (now - 30 * MIN) / SCRAPE * SCRAPE;
    let t0 = t1 - hours * 60 * MIN;

    eprintln!("importing {hours} h of 100 series …");
    let om = tmp.path().join("history.om");
    std::fs::write(&om, history(t0, t1))?;
    let data = tmp.path().join("data");
    run(Command::new("promtool").args(["tsdb", "create-blocks-from", "openmetrics"]).arg(&om).arg(&data))?;
    std::fs::remove_file(&om)?;

    let port = free_port()?;
    let config = tmp.path().join("prometheus.yml");
    std::fs::write(&config, "global:\n  scrape_interval: 1m\n")?;
    let prom_args = vec![
        format!("--config.file={}", config.display()),
        format!("--storage.tsdb.path={}", data.display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
        // Two-hour blocks stay as they are: no compaction competing with the queries.
        "--storage.tsdb.min-block-duration=2h".into(),
        "--storage.tsdb.max-block-duration=2h".into(),
    ];
    let prom = ChildGuard::spawn("prometheus", &prom_args, Some(&tmp.path().join("prometheus.log")))?;
    let url = format!("http://127.0.0.1:{port}");
    wait_ready(&format!("{url}/-/ready"), Duration::from_secs(60)).await?;
    // Warm Prometheus' caches with one pass over every series, so neither tool pays for the first read.
    let warm = [
        ("query", "count(bench_requests_total)".to_string()),
        ("start", (t0 / 1000).to_string()),
        ("end", (t1 / 1000).to_string()),
        ("step", "60".into()),
    ];
    reqwest::Client::new()
        .post(format!("{url}/api/v1/query_range"))
        .form(&warm)
        .send()
        .await?
        .error_for_status()?;

    let rules = tmp.path().join("rules.yaml");
    std::fs::write(&rules, RULES)?;
    let (start, end) = ((t0 + 10 * MIN) / 1000, (t1 - 5 * MIN) / 1000);
    let dir = |name: &str| -> PathBuf { tmp.path().join(name) };

    let ruler_args: Vec<String> = vec![
        "backfill".into(),
        format!("--query={url}"),
        format!("--rule-file={}", rules.display()),
        format!("--start={start}"),
        format!("--end={end}"),
        format!("--output-dir={}", dir("ruler").display()),
        "--label=replica=\"bench\"".into(),
    ];
    let promtool_args: Vec<String> = vec![
        "tsdb".into(),
        "create-blocks-from".into(),
        "rules".into(),
        format!("--url={url}"),
        format!("--start={start}"),
        format!("--end={end}"),
        format!("--output-dir={}", dir("promtool").display()),
        rules.display().to_string(),
    ];
    let ruler =
        measure("ruler backfill", env!("CARGO_BIN_EXE_ruler"), &ruler_args, &dir("ruler"), prom.id())?;
    let promtool = measure(
        "promtool create-blocks-from rules",
        "promtool",
        &promtool_args,
        &dir("promtool"),
        prom.id(),
    )?;

    println!(
        "{hours} h × 100 series, 8 recording rules, interval 1m ({} evaluations per rule)",
        (end - start) / 60
    );
    println!();
    println!("| tool | wall time | CPU | peak RSS | blocks | samples written | Prometheus CPU |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for r in [&ruler, &promtool] {
        println!(
            "| {} | {:.2} s | {:.2} s | {:.1} MiB | {} | {} | {:.2} s |",
            r.tool, r.wall_s, r.cpu_s, r.peak_rss_mib, r.blocks, r.samples, r.querier_cpu_s
        );
    }
    println!();
    println!(
        "promtool ÷ ruler: wall time {:.2}×, peak RSS {:.2}×, blocks {:.0}×",
        promtool.wall_s / ruler.wall_s,
        promtool.peak_rss_mib / ruler.peak_rss_mib,
        promtool.blocks as f64 / ruler.blocks as f64
    );
    Ok(())
}
