//! StoreAPI `Series` against the closest real reference here: Prometheus 2.42's remote read with
//! streamed XOR chunks (`/api/v1/read`, `STREAMED_XOR_CHUNKS`), each serving the same data directory
//! (the ruler's, and a copy of it opened by Prometheus), every series over the same 2h window, in one
//! run. Reports wall time per full read (median of the runs) and each server's resident memory
//! before the reads and at its peak.
//!
//!     cargo bench -p ruler --bench series [-- SERIES...]     # default: 10000 100000
//!
//! Both answers are consumed and decoded to the last sample, and their sample counts must agree.

use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use promapi::Labels;
use prost::Message;
use ruler::grpc::proto::thanos::store_client::StoreClient;
use ruler::grpc::proto::thanos::{label_matcher, series_response, LabelMatcher, SeriesRequest};
use ruler::tsdb::{xor, BlockWriter, BLOCK_DURATION_MS};
use testkit::process::{free_port, memory_mib, wait_ready, ChildGuard};

/// Samples every 30 s over the 2h block.
const STEP_MS: i64 = 30_000;
const RUNS: usize = 3;

/// Prometheus' remote-read messages (`prompb`), the parts a streamed read uses; field numbers from
/// its protocol documentation.
mod prompb {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ReadRequest {
        #[prost(message, repeated, tag = "1")]
        pub queries: Vec<Query>,
        /// 1 = STREAMED_XOR_CHUNKS.
        #[prost(int32, repeated, tag = "2")]
        pub accepted_response_types: Vec<i32>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Query {
        #[prost(int64, tag = "1")]
        pub start_timestamp_ms: i64,
        #[prost(int64, tag = "2")]
        pub end_timestamp_ms: i64,
        #[prost(message, repeated, tag = "3")]
        pub matchers: Vec<LabelMatcher>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct LabelMatcher {
        #[prost(int32, tag = "1")]
        pub r#type: i32,
        #[prost(string, tag = "2")]
        pub name: String,
        #[prost(string, tag = "3")]
        pub value: String,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ChunkedReadResponse {
        #[prost(message, repeated, tag = "1")]
        pub chunked_series: Vec<ChunkedSeries>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct ChunkedSeries {
        #[prost(message, repeated, tag = "2")]
        pub chunks: Vec<Chunk>,
    }
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Chunk {
        #[prost(bytes = "vec", tag = "4")]
        pub data: Vec<u8>,
    }
}

/// A data directory holding one 2h block of `n` series, ending before now.
fn write_data(dir: &std::path::Path, n: usize) -> Result<(i64, i64)> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64;
    let mint = (now / BLOCK_DURATION_MS - 2) * BLOCK_DURATION_MS;
    let maxt = mint + BLOCK_DURATION_MS;
    let mut w = BlockWriter::new(dir, mint, maxt, Labels::new())?;
    for i in 0..n {
        let labels: Labels = [
            ("__name__".to_string(), "bench_series".to_string()),
            ("instance".to_string(), format!("i{}", i % 100)),
            ("series".to_string(), i.to_string()),
        ]
        .into();
        // A counter-like walk: what recording rules often store.
        let samples: Vec<(i64, f64)> = (0..BLOCK_DURATION_MS / STEP_MS)
            .map(|k| (mint + k * STEP_MS, (i as f64) * 10.0 + (k * (k % 7 + 1)) as f64 * 0.25))
            .collect();
        w.add_series(&labels, &samples)?;
    }
    w.finish()?;
    Ok((mint, maxt - 1))
}

fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let (mut v, mut shift) = (0u64, 0);
    for (i, &x) in b.iter().enumerate() {
        v |= u64::from(x & 0x7f) << shift;
        if x < 0x80 {
            return Some((v, i + 1));
        }
        shift += 7;
    }
    None
}

/// One streamed remote read of every series: (series, samples).
async fn remote_read(client: &reqwest::Client, url: &str, mint: i64, maxt: i64) -> Result<(usize, usize)> {
    let req = prompb::ReadRequest {
        queries: vec![prompb::Query {
            start_timestamp_ms: mint,
            end_timestamp_ms: maxt,
            matchers: vec![prompb::LabelMatcher {
                r#type: 0,
                name: "__name__".into(),
                value: "bench_series".into(),
            }],
        }],
        accepted_response_types: vec![1],
    };
    let body = snap::raw::Encoder::new().compress_vec(&req.encode_to_vec())?;
    let mut resp = client
        .post(format!("{url}/api/v1/read"))
        .header("Content-Type", "application/x-protobuf")
        .header("Content-Encoding", "snappy")
        .header("X-Prometheus-Remote-Read-Version", "0.1.0")
        .body(body)
        .send()
        .await?;
    ensure!(resp.status().is_success(), "remote read: {}", resp.status());
    let (mut series, mut samples) = (0, 0);
    let mut buf: Vec<u8> = Vec::new();
    // Frames: uvarint length, CRC-32C (4 bytes), message.
    while let Some(part) = resp.chunk().await? {
        buf.extend_from_slice(&part);
        let mut at = 0;
        while let Some((len, n)) = uvarint(&buf[at..]) {
            let end = at + n + 4 + len as usize;
            if end > buf.len() {
                break;
            }
            let msg = prompb::ChunkedReadResponse::decode(&buf[at + n + 4..end])?;
            for s in msg.chunked_series {
                series += 1;
                for c in s.chunks {
                    samples += xor::decode(&c.data)?.len();
                }
            }
            at = end;
        }
        buf.drain(..at);
    }
    Ok((series, samples))
}

/// One `Series` call for every series: (series, samples).
async fn store_series(
    client: &mut StoreClient<tonic::transport::Channel>,
    mint: i64,
    maxt: i64,
) -> Result<(usize, usize)> {
    let req = SeriesRequest {
        min_time: mint,
        max_time: maxt,
        matchers: vec![LabelMatcher {
            r#type: label_matcher::Type::Eq as i32,
            name: "__name__".into(),
            value: "bench_series".into(),
        }],
        ..Default::default()
    };
    let mut stream = client.series(req).await?.into_inner();
    let (mut series, mut samples) = (0, 0);
    while let Some(frame) = stream.message().await? {
        if let Some(series_response::Result::Series(s)) = frame.result {
            series += 1;
            for c in s.chunks {
                samples += xor::decode(&c.raw.context("raw chunk")?.data)?.len();
            }
        }
    }
    Ok((series, samples))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn measure(n: usize) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let ruler_dir = tmp.path().join("ruler");
    let prom_dir = tmp.path().join("prometheus");
    std::fs::create_dir_all(&ruler_dir)?;
    let (mint, maxt) = write_data(&ruler_dir, n)?;
    let copy = std::process::Command::new("cp").arg("-r").arg(&ruler_dir).arg(&prom_dir).status()?;
    ensure!(copy.success(), "cp -r");

    std::fs::write(tmp.path().join("none.yaml"), "groups: []\n")?;
    let (http, grpc) = (free_port()?, free_port()?);
    let args: Vec<String> = vec![
        "run".into(),
        "--query=http://127.0.0.1:9".into(),
        format!("--rule-file={}", tmp.path().join("none.yaml").display()),
        format!("--http-address=127.0.0.1:{http}"),
        format!("--grpc-address=127.0.0.1:{grpc}"),
        format!("--data-dir={}", ruler_dir.display()),
        "--log.level=error".into(),
    ];
    let ruler = ChildGuard::spawn(env!("CARGO_BIN_EXE_ruler"), &args, Some(&tmp.path().join("ruler.log")))?;
    wait_ready(&format!("http://127.0.0.1:{http}/-/ready"), Duration::from_secs(120)).await?;
    let prom_port = free_port()?;
    std::fs::write(tmp.path().join("prometheus.yml"), "global: {}\n")?;
    let prom_args = vec![
        format!("--config.file={}", tmp.path().join("prometheus.yml").display()),
        format!("--storage.tsdb.path={}", prom_dir.display()),
        format!("--web.listen-address=127.0.0.1:{prom_port}"),
        "--storage.tsdb.retention.time=30d".into(),
    ];
    let prom = ChildGuard::spawn("prometheus", &prom_args, Some(&tmp.path().join("prometheus.log")))?;
    let prom_url = format!("http://127.0.0.1:{prom_port}");
    wait_ready(&format!("{prom_url}/-/ready"), Duration::from_secs(120)).await?;
    let (ruler_idle, ruler_open) = memory_mib(ruler.id())?;
    let (prom_idle, prom_open) = memory_mib(prom.id())?;
    eprintln!("peak before the reads: ruler {ruler_open:.1} MiB, Prometheus {prom_open:.1} MiB");

    let http_client = reqwest::Client::new();
    let mut store = StoreClient::new(
        tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{grpc}"))?.connect().await?,
    )
    .max_decoding_message_size(64 << 20);
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let t = Instant::now();
        let a = store_series(&mut store, mint, maxt).await?;
        ours.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let b = remote_read(&http_client, &prom_url, mint, maxt).await?;
        theirs.push(t.elapsed().as_secs_f64());
        ensure!(a == b && a.0 == n, "ruler read {a:?}, Prometheus {b:?}, {n} series written");
    }
    let (_, ruler_peak) = memory_mib(ruler.id())?;
    let (_, prom_peak) = memory_mib(prom.id())?;
    let (ours, theirs) = (median(ours), median(theirs));
    println!(
        "{n:>7} | {:>10} | {ours:>12.3} | {theirs:>15.3} | {:>11.2} | {ruler_idle:>6.1} → {ruler_peak:>6.1} | {prom_idle:>6.1} → {prom_peak:>6.1}",
        n * (BLOCK_DURATION_MS / STEP_MS) as usize,
        ours / theirs,
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    if sizes.is_empty() {
        sizes = vec![10_000, 100_000];
    }
    println!("series  | samples    | ruler Series s | Prometheus read s | ruler/Prom | ruler RSS MiB idle → peak | Prometheus RSS MiB idle → peak");
    println!("--------|------------|----------------|-------------------|------------|---------------------------|-------------------------------");
    for n in sizes {
        measure(n).await?;
    }
    println!("(median of {RUNS} full reads each, alternating; every chunk decoded by the client)");
    Ok(())
}
