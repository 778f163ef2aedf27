//! Evaluation overhead: `ruler run` with 1,000 and 10,000 rules against a real Prometheus 2.42.
//! For each size it reports, per evaluation round (every group evaluated once), the ruler's own CPU
//! seconds beside the CPU Prometheus spends answering the same queries (its idle baseline
//! subtracted), and the ruler's resident memory.
//!
//!     cargo bench -p ruler --bench evaluation [-- SIZES...]
//!
//! CPU is read from /proc/<pid>/stat (utime + stime), memory from /proc/<pid>/status.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use axum::routing::get;
use axum::Router;
use testkit::process::{cpu_seconds, free_port, memory_mib, wait_ready, ChildGuard, Prometheus};

/// Rules per group, and the groups' interval.
const GROUP_SIZE: usize = 100;
const INTERVAL_S: u64 = 10;
/// Rounds measured after one warm-up round.
const ROUNDS: u64 = 3;

/// 50 instances × 4 metrics for the rules to query.
fn exposition() -> String {
    let mut out = String::new();
    for i in 0..50 {
        out += &format!("bench_requests_total{{instance=\"i{i}\",code=\"200\"}} {}\n", 1000 + i * 7);
        out += &format!("bench_requests_total{{instance=\"i{i}\",code=\"500\"}} {}\n", i);
        out += &format!("bench_value{{instance=\"i{i}\",zone=\"z{}\"}} {}\n", i % 5, i * 2);
        out += &format!("bench_up{{instance=\"i{i}\"}} {}\n", u8::from(i % 10 != 0));
    }
    out
}

/// `n` rules in groups of [`GROUP_SIZE`]: recording and alerting rules of shapes real rule files
/// have, each with its own selector so no two queries are the same.
fn rules(n: usize) -> String {
    let mut out = String::from("groups:\n");
    for k in 0..n {
        if k % GROUP_SIZE == 0 {
            out += &format!("  - name: bench-{}\n    interval: {INTERVAL_S}s\n    rules:\n", k / GROUP_SIZE);
        }
        let i = k % 50;
        out += &match k % 5 {
            0 => format!("      - record: bench:requests:rate1m_{k}\n        expr: sum by (code) (rate(bench_requests_total{{instance=\"i{i}\"}}[1m]))\n"),
            1 => format!("      - record: bench:value:ratio_{k}\n        expr: bench_value{{instance=\"i{i}\"}} / on(instance) group_left bench_up\n"),
            2 => format!("      - record: bench:zone:max_{k}\n        expr: max by (zone) (bench_value{{zone=\"z{}\"}}) + {k}\n", k % 5),
            3 => format!(
                "      - alert: BenchDown{k}\n        expr: bench_up{{instance=\"i{i}\"}} == 0\n        labels:\n          severity: page\n        annotations:\n          summary: '{{{{ $labels.instance }}}} down ({{{{ $value }}}})'\n"
            ),
            _ => format!(
                "      - alert: BenchErrors{k}\n        expr: rate(bench_requests_total{{instance=\"i{i}\",code=\"500\"}}[1m]) >= 0\n        for: 1m\n        annotations:\n          summary: '{{{{ $value | humanizePercentage }}}} errors'\n"
            ),
        };
    }
    out
}

/// Sum of `prometheus_rule_group_iterations_total` minus the missed ones: rounds done × groups.
async fn evaluations(ruler: &str) -> Result<(f64, f64)> {
    let text = reqwest::get(format!("{ruler}/metrics")).await?.text().await?;
    let sum = |name: &str| -> f64 {
        text.lines()
            .filter(|l| l.starts_with(name))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    let failures = sum("prometheus_rule_evaluation_failures_total{");
    Ok((
        sum("prometheus_rule_group_iterations_total{")
            - sum("prometheus_rule_group_iterations_missed_total{"),
        failures,
    ))
}

struct Row {
    rules: usize,
    ruler_cpu: f64,
    prom_cpu: f64,
    rss: f64,
    hwm: f64,
    round_s: f64,
}

async fn measure(n: usize, prom: &Prometheus, baseline_cpu_per_s: f64) -> Result<Row> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("rules.yaml"), rules(n))?;
    let port = free_port()?;
    let args: Vec<String> = vec![
        "run".into(),
        format!("--query={}", prom.url),
        format!("--rule-file={}", dir.path().join("rules.yaml").display()),
        format!("--http-address=127.0.0.1:{port}"),
        format!("--grpc-address=127.0.0.1:{}", free_port()?),
        format!("--data-dir={}", dir.path().join("data").display()),
        "--log.level=error".into(),
    ];
    let ruler = ChildGuard::spawn(env!("CARGO_BIN_EXE_ruler"), &args, Some(&dir.path().join("ruler.log")))?;
    let url = format!("http://127.0.0.1:{port}");
    wait_ready(&format!("{url}/-/ready"), Duration::from_secs(60)).await?;
    let groups = n.div_ceil(GROUP_SIZE) as f64;
    // Warm up: one whole round, then measure ROUNDS more.
    let wait_rounds = |target: f64| {
        let url = url.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(INTERVAL_S * (ROUNDS + 4));
            loop {
                let (done, _) = evaluations(&url).await?;
                if done >= target * groups {
                    return Ok::<f64, anyhow::Error>(done);
                }
                if Instant::now() > deadline {
                    bail!("{n} rules: only {done} of {} group evaluations done", target * groups);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let start_done = wait_rounds(1.0).await?;
    let (r0, p0, t0) = (cpu_seconds(ruler.id())?, cpu_seconds(prom.pid())?, Instant::now());
    let end_done = wait_rounds(start_done / groups + ROUNDS as f64).await?;
    let (r1, p1, elapsed) = (cpu_seconds(ruler.id())?, cpu_seconds(prom.pid())?, t0.elapsed().as_secs_f64());
    let rounds = (end_done - start_done) / groups;
    let (rss, hwm) = memory_mib(ruler.id())?;
    let (_, failures) = evaluations(&url).await?;
    if failures > 0.0 {
        bail!("{n} rules: {failures} evaluations failed; see {}", dir.path().join("ruler.log").display());
    }
    Ok(Row {
        rules: n,
        ruler_cpu: (r1 - r0) / rounds,
        prom_cpu: ((p1 - p0) - baseline_cpu_per_s * elapsed).max(0.0) / rounds,
        rss,
        hwm,
        round_s: elapsed / rounds,
    })
}

#[tokio::main]
async fn main() -> Result<()> {
    // `cargo bench` passes --bench; sizes are the other arguments.
    let mut sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    if sizes.is_empty() {
        sizes = vec![1_000, 10_000];
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let exporter = listener.local_addr()?;
    let body = exposition();
    tokio::spawn(async move {
        axum::serve(listener, Router::new().route("/metrics", get(move || async move { body }))).await
    });
    let scrape = format!("  - job_name: bench\n    static_configs:\n      - targets: ['{exporter}']\n");
    let prom = Prometheus::start(&[("replica", "a")], &scrape, None).await?;
    // Two minutes of data for rate()[1m], then Prometheus' idle CPU (scraping, housekeeping).
    tokio::time::sleep(Duration::from_secs(70)).await;
    let (c0, t0) = (cpu_seconds(prom.pid())?, Instant::now());
    tokio::time::sleep(Duration::from_secs(20)).await;
    let baseline = (cpu_seconds(prom.pid())? - c0) / t0.elapsed().as_secs_f64();

    println!("rules  | ruler CPU s/round | Prometheus CPU s/round (same queries) | ruler/Prometheus | ruler RSS MiB (peak) | round wall s");
    println!("-------|-------------------|---------------------------------------|------------------|---------------------|-------------");
    for n in sizes {
        let r = measure(n, &prom, baseline).await?;
        println!(
            "{:>6} | {:>17.3} | {:>37.3} | {:>16.2} | {:>9.1} ({:>6.1}) | {:>11.2}",
            r.rules,
            r.ruler_cpu,
            r.prom_cpu,
            r.ruler_cpu / r.prom_cpu,
            r.rss,
            r.hwm,
            r.round_s
        );
    }
    println!("(Prometheus idle baseline {baseline:.3} CPU s/s subtracted; {GROUP_SIZE} rules per group, interval {INTERVAL_S}s, {ROUNDS} rounds)");
    Ok(())
}
