//! `ruler::tsdb::wal` against Prometheus 2.42: a real Prometheus replays a WAL we wrote at start and
//! serves exactly its samples, also after truncation left it starting at a later segment;
//! `promtool tsdb dump` reads it; and our reader reads the (snappy-compressed) WAL Prometheus writes.

use std::collections::BTreeMap;
use std::process::Command;

use anyhow::{ensure, Context, Result};
use promapi::Labels;
use ruler::tsdb::wal::{self, Wal, DEFAULT_SEGMENT_SIZE, PAGE_SIZE};
use serde_json::Value;
use testkit::process::Prometheus;

use crate::support::eventually;
use crate::tsdb::parse_dump;

/// Evaluations are 15 s apart, an hour of them.
const STEP: i64 = 15_000;
const STEPS: i64 = 240;
const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;
/// Go's `math.NaN()`.
const GO_NAN: u64 = 0x7ff8_0000_0000_0001;

type Samples = Vec<(i64, f64)>;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Series 1 and 2 last the whole hour; series 3 ends with a staleness marker at `stale`.
struct Fixture {
    series: Vec<(u64, Labels)>,
    /// The first evaluation's time, a whole multiple of the step in the last hour.
    start: i64,
    stale: i64,
}

impl Fixture {
    fn new(stale_step: i64) -> Result<Fixture> {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64;
        let start = (now / STEP - STEPS) * STEP;
        let series = vec![
            (1, labels(&[("__name__", "wal_gauge"), ("job", "wal"), ("kind", "plain")])),
            (2, labels(&[("__name__", "wal_gauge"), ("job", "wal"), ("kind", "special")])),
            (3, labels(&[("__name__", "wal_flapping"), ("job", "wal")])),
        ];
        Ok(Fixture { series, start, stale: start + stale_step * STEP })
    }

    fn end(&self) -> i64 {
        self.start + (STEPS - 1) * STEP
    }

    /// What evaluation `i` produces, as `(ref, t, v)`.
    fn eval(&self, i: i64) -> Vec<(u64, i64, f64)> {
        let specials = [f64::from_bits(GO_NAN), f64::INFINITY, f64::NEG_INFINITY, -0.0, 5e-324, 1e300];
        let t = self.start + i * STEP;
        let mut out = vec![(1, t, i as f64 * 1.5 - 40.0), (2, t, specials[i as usize % specials.len()])];
        if t < self.stale {
            out.push((3, t, i as f64));
        } else if t == self.stale {
            out.push((3, t, f64::from_bits(STALE_NAN)));
        }
        out
    }

    fn log_series(&self, wal: &mut Wal, refs: &[u64]) -> Result<()> {
        let live: Vec<(u64, &Labels)> =
            self.series.iter().filter(|(r, _)| refs.contains(r)).map(|(r, l)| (*r, l)).collect();
        Ok(wal.log_series(&live)?)
    }

    /// Logs evaluations `range`, one record each as the ruler would, and adds them to `logged`.
    fn log(
        &self,
        wal: &mut Wal,
        range: std::ops::Range<i64>,
        logged: &mut BTreeMap<Labels, Samples>,
    ) -> Result<()> {
        for i in range {
            let samples = self.eval(i);
            wal.log_samples(&samples)?;
            for (r, t, v) in samples {
                let l = &self.series.iter().find(|(x, _)| *x == r).context("series")?.1;
                logged.entry(l.clone()).or_default().push((t, v));
            }
        }
        Ok(())
    }
}

/// `t` ms as the seconds the HTTP API takes.
fn secs(t: i64) -> String {
    format!("{}.{:03}", t / 1000, t % 1000)
}

fn value_of(v: &Value) -> Result<f64> {
    Ok(match v.as_str().context("value is a string")? {
        "NaN" => f64::NAN,
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        s => s.parse()?,
    })
}

/// The series of a matrix result, with their points.
fn matrix(body: &Value) -> Result<BTreeMap<Labels, Samples>> {
    ensure!(body["status"] == "success", "{body}");
    let mut out = BTreeMap::new();
    for s in body["data"]["result"].as_array().context("result")? {
        let labels: Labels = serde_json::from_value(s["metric"].clone())?;
        let points = s["values"]
            .as_array()
            .context("values")?
            .iter()
            .map(|p| Ok(((p[0].as_f64().context("time")? * 1000.0).round() as i64, value_of(&p[1])?)));
        out.insert(labels, points.collect::<Result<Samples>>()?);
    }
    Ok(out)
}

/// Same series, same times, same value bits; a NaN only has to be a NaN (text loses its payload).
fn assert_same(what: &str, got: &BTreeMap<Labels, Samples>, want: &BTreeMap<Labels, Samples>) {
    assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>(), "{what}: series");
    for (l, w) in want {
        let g = &got[l];
        let same = |a: &(i64, f64), b: &(i64, f64)| {
            a.0 == b.0 && (a.1.to_bits() == b.1.to_bits() || (a.1.is_nan() && b.1.is_nan()))
        };
        assert!(
            g.len() == w.len() && g.iter().zip(w).all(|(a, b)| same(a, b)),
            "{what}: {l:?}:\n got {g:?}\nwant {w:?}"
        );
    }
}

/// Checks that Prometheus serves exactly `logged`: through `query_range` on the evaluation grid, where
/// a staleness marker ends its series at once instead of 5 minutes later, and as raw samples.
async fn assert_served(prom: &str, f: &Fixture, logged: &BTreeMap<Labels, Samples>) -> Result<()> {
    let mut want = logged.clone();
    for s in want.values_mut() {
        s.retain(|&(_, v)| v.to_bits() != STALE_NAN);
    }
    want.retain(|_, s| !s.is_empty());
    let get = |query: &str, params: String| {
        let q: String = form_urlencoded::byte_serialize(query.as_bytes()).collect();
        let url = format!("{prom}/api/v1/{params}&query={q}");
        async move { anyhow::Ok(reqwest::get(url).await?.json::<Value>().await?) }
    };
    let range = format!("query_range?start={}&end={}&step=15", secs(f.start), secs(f.end()));
    let got = matrix(&get("{job=\"wal\"}", range).await?)?;
    assert_same("query_range", &got, &want);

    let raw = get("{job=\"wal\"}[61m]", format!("query?time={}", secs(f.end()))).await?;
    assert_same("range vector", &matrix(&raw)?, &want);
    Ok(())
}

#[tokio::test]
async fn prometheus_replays_our_wal() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let wal_dir = dir.path().join("data/wal");
    let f = Fixture::new(STEPS / 2)?;
    let mut logged = BTreeMap::new();
    let mut wal = Wal::open(&wal_dir, DEFAULT_SEGMENT_SIZE)?;
    f.log_series(&mut wal, &[1, 2, 3])?;
    f.log(&mut wal, 0..STEPS, &mut logged)?;
    wal.close()?;

    let prom = Prometheus::start(&[("replica", "a")], "", Some(dir.path().to_path_buf())).await?;
    assert_served(&prom.url, &f, &logged).await?;

    // Prometheus appends its own scrapes in a segment of its own, snappy-compressed: our reader takes
    // them, and our records before them. It is killed, so its last record may be torn.
    let up = format!("{}/api/v1/query?query=up", prom.url);
    eventually("Prometheus' first scrape", || async {
        let body: Value = reqwest::get(&up).await?.json().await?;
        Ok(body["data"]["result"].as_array().is_some_and(|r| !r.is_empty()).then_some(()))
    })
    .await?;
    drop(prom);
    let replay = wal::replay(&wal_dir)?;
    let own = replay.series().find(|s| s.labels.get("job").map(String::as_str) == Some("prometheus"));
    let own = own.context("Prometheus' own series in its WAL")?.series_ref;
    ensure!(replay.samples().any(|s| s.series_ref == own), "samples of Prometheus' own series");
    let ours = replay.samples().filter(|s| s.series_ref <= 3).count();
    ensure!(ours == logged.values().map(Vec::len).sum::<usize>(), "{ours} of our samples");
    let theirs = std::fs::read(wal_dir.join("00000001"))?;
    ensure!(theirs[0] & wal::COMPRESSION_SNAPPY != 0, "first fragment header {:#04x}", theirs[0]);
    Ok(())
}

#[tokio::test]
async fn prometheus_loads_a_wal_truncated_to_a_later_segment() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let wal_dir = dir.path().join("data/wal");
    // Series 3 goes stale in the first half, before the truncation.
    let f = Fixture::new(STEPS / 4)?;
    let mut before = BTreeMap::new();
    let mut wal = Wal::open(&wal_dir, PAGE_SIZE)?.with_compression(true);
    f.log_series(&mut wal, &[1, 2, 3])?;
    for part in 0..3 {
        f.log(&mut wal, part * STEPS / 6..(part + 1) * STEPS / 6, &mut before)?;
        wal.cut_segment()?;
    }
    // As after a block is cut: the live series logged again in the new segment, then older ones go.
    let k = wal.segment();
    f.log_series(&mut wal, &[1, 2])?;
    let mut logged = BTreeMap::new();
    f.log(&mut wal, STEPS / 2..STEPS, &mut logged)?;
    wal.truncate_before(k)?;
    wal.close()?;

    let mut names: Vec<String> = std::fs::read_dir(&wal_dir)?
        .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_>>()?;
    names.sort();
    ensure!(names == [format!("{k:08}"), format!("checkpoint.{:08}", k - 1)], "{names:?}");
    ensure!(k == 3);

    let prom = Prometheus::start(&[("replica", "a")], "", Some(dir.path().to_path_buf())).await?;
    assert_served(&prom.url, &f, &logged).await?;
    Ok(())
}

/// `promtool tsdb dump` reads the head from the WAL when no block covers the time.
#[test]
fn promtool_dumps_the_wal() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let f = Fixture::new(STEPS / 2)?;
    let mut logged = BTreeMap::new();
    let mut wal = Wal::open(&data.join("wal"), DEFAULT_SEGMENT_SIZE)?;
    f.log_series(&mut wal, &[1, 2, 3])?;
    f.log(&mut wal, 0..STEPS, &mut logged)?;
    wal.close()?;

    let out = Command::new("promtool").args(["tsdb", "dump"]).arg(&data).output()?;
    ensure!(out.status.success(), "promtool: {}", String::from_utf8_lossy(&out.stderr));
    assert_same("promtool tsdb dump", &parse_dump(&String::from_utf8(out.stdout)?)?, &logged);
    Ok(())
}
