//! `ruler backfill` against a real Prometheus 2.42 holding three hours of history (imported with
//! `promtool tsdb create-blocks-from openmetrics` before it starts): every recording output equals the
//! instant query of its rule at that time, on the group's live grid; a down instance gives `ALERTS`;
//! one block per 2h window, with the Thanos labels, that `promtool tsdb analyze` accepts. Rules that
//! read earlier rules' outputs (which the querier does not hold) equal what a second Prometheus,
//! serving the blocks written, answers for them.
//!
//! History is imported rather than scraped so that hours of it exist at once.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{ensure, Context, Result};
use futures::{StreamExt, TryStreamExt};
use promapi::{ApiResponse, InstantQuery, Labels, QueryData, ThanosParams};
use ruler::rules::group::{Defaults, Group};
use ruler::tsdb::{Block, BLOCK_DURATION_MS};
use testkit::process::Prometheus;

const MIN: i64 = 60_000;
/// Prometheus' staleness marker.
const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;
/// The history's resolution.
const SCRAPE: i64 = 5_000;

const RULES: &str = "groups:
  - name: requests
    interval: 10s
    query_offset: 30s
    rules:
      - record: instance:bf_requests:rate1m
        expr: sum by (instance) (rate(bf_requests_total[1m]))
      - record: code:bf_requests:ratio
        expr: sum by (code) (bf_requests_total) / ignoring (code) group_left sum(bf_requests_total)
        labels:
          source: backfill
  - name: up
    interval: 5s
    partial_response_strategy: warn
    rules:
      - record: bf_up:present
        expr: bf_up
      - record: bf_up:present:sum
        expr: sum(bf_up:present)
      - alert: BfDown
        expr: bf_up == 0
        for: 1m
        labels:
          severity: page
  - name: derived
    interval: 20s
    rules:
      - record: instance:bf_requests:rate1m:x2
        expr: instance:bf_requests:rate1m * 2
      - record: instance:bf_requests:rate1m:max2m
        expr: max_over_time(instance:bf_requests:rate1m{instance=~\"i[0-2]\"}[2m])
      - record: bf_requests:ratio500
        expr: sum(code:bf_requests:ratio{code=\"500\", source=\"backfill\"}) + sum(instance:bf_requests:rate1m offset 1m)
      - record: bf_requests:ratio500:x2
        expr: bf_requests:ratio500 * 2
";

/// Five instances' request counters (two codes) and `bf_up` every 5 s over `[t0, t1)`: i3 is down
/// (0) from 60 to 100 minutes in, i4 has no samples from 120 to 140 minutes in.
fn history(t0: i64, t1: i64) -> String {
    let mut out = String::new();
    for code in ["200", "500"] {
        for i in 0..5i64 {
            let mut total = 0.0;
            for t in (t0..t1).step_by(SCRAPE as usize) {
                total += ((t / SCRAPE + i * 7) % 13) as f64 * if code == "500" { 0.25 } else { 1.5 };
                out +=
                    &format!("bf_requests_total{{code=\"{code}\",instance=\"i{i}\"}} {total} {}\n", t / 1000);
            }
        }
    }
    for i in 0..5i64 {
        for t in (t0..t1).step_by(SCRAPE as usize) {
            let m = (t - t0) / MIN;
            if i == 4 && (120..140).contains(&m) {
                continue;
            }
            let up = u8::from(!(i == 3 && (60..100).contains(&m)));
            out += &format!("bf_up{{instance=\"i{i}\"}} {up} {}\n", t / 1000);
        }
    }
    out + "# EOF\n"
}

fn run(cmd: &mut Command) -> Result<(String, String)> {
    let out = cmd.output().with_context(|| format!("run {cmd:?}"))?;
    let (stdout, stderr) = (String::from_utf8(out.stdout)?, String::from_utf8(out.stderr)?);
    ensure!(out.status.success(), "{cmd:?} failed: {}\n{stdout}{stderr}", out.status);
    Ok((stdout, stderr))
}

/// `POST /api/v1/query` as the ruler sends it; the result as label set → value.
async fn instant(client: &reqwest::Client, prom: &str, expr: &str, t: i64) -> Result<BTreeMap<Labels, f64>> {
    let q =
        InstantQuery { query: expr.into(), time: Some(t as f64 / 1000.0), thanos: ThanosParams::default() };
    let r: ApiResponse<QueryData> = client
        .post(format!("{prom}/{}", InstantQuery::PATH))
        .form(&q.form_pairs())
        .send()
        .await?
        .json()
        .await?;
    let Some(QueryData::Vector(v)) = r.data else { anyhow::bail!("{expr} at {t}: {:?}", r.error) };
    v.into_iter().map(|s| Ok((s.metric, s.value.and_then(|p| p.value()).context("no value")?))).collect()
}

type Series = BTreeMap<Labels, Vec<(i64, f64)>>;

/// Every series of every block in `dir`, samples in time order; the blocks, in time order.
fn read_blocks(dir: &Path) -> Result<(Series, Vec<Block>)> {
    let mut series = Series::new();
    let mut blocks = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let path = e?.path();
        if !path.join("meta.json").exists() {
            continue;
        }
        let block = Block::open(&path).with_context(|| format!("open {}", path.display()))?;
        let thanos = block.meta().thanos.as_ref().context("thanos section")?;
        assert_eq!(thanos.labels, Labels::from([("cluster".into(), "eu1".into())]));
        for s in block.series() {
            let s = s?;
            series.entry(s.labels).or_default().extend(s.samples);
        }
        blocks.push(block);
    }
    for s in series.values_mut() {
        s.sort_by_key(|p| p.0);
    }
    blocks.sort_by_key(|b| b.meta().min_time);
    Ok((series, blocks))
}

#[tokio::test]
async fn every_output_equals_the_instant_query_at_its_time() -> Result<()> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as i64;
    let t1 = (now - 30 * MIN) / SCRAPE * SCRAPE;
    let t0 = t1 - 180 * MIN;
    let tmp = tempfile::tempdir()?;
    let om = tmp.path().join("history.om");
    std::fs::write(&om, history(t0, t1))?;
    let prom_dir = tmp.path().join("prometheus");
    std::fs::create_dir_all(prom_dir.join("data"))?;
    run(Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&om)
        .arg(prom_dir.join("data")))?;
    let prom = Prometheus::start(&[], "", Some(prom_dir)).await?;

    let rules = tmp.path().join("rules.yaml");
    std::fs::write(&rules, RULES)?;
    let out = tmp.path().join("blocks");
    let (start, end) = (t0 + 5 * MIN, t1 - 5 * MIN);
    let (_, stderr) = run(Command::new(env!("CARGO_BIN_EXE_ruler")).args([
        "backfill".to_string(),
        format!("--query={}", prom.url),
        format!("--rule-file={}", rules.display()),
        format!("--start={}", promapi::time::rfc3339(start)),
        format!("--end={}", end / 1000),
        format!("--output-dir={}", out.display()),
        "--label=cluster=\"eu1\"".to_string(),
    ]))?;

    let (series, blocks) = read_blocks(&out)?;
    let windows: Vec<(i64, i64)> = blocks.iter().map(|b| (b.meta().min_time, b.meta().max_time)).collect();
    let first_window = (start - 30_000).div_euclid(BLOCK_DURATION_MS);
    let want_windows: Vec<(i64, i64)> = (first_window..=end.div_euclid(BLOCK_DURATION_MS))
        .map(|w| (w * BLOCK_DURATION_MS, (w + 1) * BLOCK_DURATION_MS))
        .collect();
    assert_eq!(windows, want_windows, "one block per window holding every rule:\n{stderr}");
    assert!(stderr.contains(&format!("[{n}/{n}]", n = windows.len())), "progress: {stderr}");

    let groups = ruler::config::load_groups(
        &[rules.display().to_string()],
        &Defaults { interval_ms: MIN, ..Default::default() },
    )?;
    let client = reqwest::Client::new();
    for rule in [
        Recording { group: &groups[0], record: "instance:bf_requests:rate1m", label: None },
        Recording {
            group: &groups[0],
            record: "code:bf_requests:ratio",
            label: Some(("source", "backfill")),
        },
        Recording { group: &groups[1], record: "bf_up:present", label: None },
    ] {
        rule.check(&client, &prom.url, &series, (start, end), start..=end, 0.0).await?;
    }

    // Rules reading earlier rules' outputs, against a Prometheus serving the blocks just written.
    // Not near the range's ends: outside it those outputs are computed here, absent there. Sums may
    // differ in the last bits: the series are added in another order.
    const TOLERANCE: f64 = 1e-12;
    let written = tempfile::tempdir()?;
    std::fs::create_dir(written.path().join("data"))?;
    for block in &blocks {
        let to = written.path().join("data").join(block.dir().file_name().context("name")?);
        run(Command::new("cp").arg("-r").arg(block.dir()).arg(to))?;
    }
    let served = Prometheus::start(&[], "", Some(written.path().to_path_buf())).await?;
    for rule in [
        Recording { group: &groups[1], record: "bf_up:present:sum", label: None },
        Recording { group: &groups[2], record: "instance:bf_requests:rate1m:x2", label: None },
        Recording { group: &groups[2], record: "instance:bf_requests:rate1m:max2m", label: None },
        Recording { group: &groups[2], record: "bf_requests:ratio500", label: None },
        Recording { group: &groups[2], record: "bf_requests:ratio500:x2", label: None },
    ] {
        rule.check(&client, &served.url, &series, (start, end), start + 5 * MIN..=end - 5 * MIN, TOLERANCE)
            .await?;
    }
    assert!(!stderr.contains("reads what the querier holds"), "every read inlined:\n{stderr}");

    // i3 is down from 60 to 100 minutes: pending, then firing a minute later, on the alerts group's grid.
    let alert = |state: &str| -> Labels {
        [
            ("__name__", "ALERTS"),
            ("alertname", "BfDown"),
            ("alertstate", state),
            ("instance", "i3"),
            ("severity", "page"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    };
    let live = |s: &&(i64, f64)| s.1.to_bits() != STALE_NAN;
    let pending: Vec<_> =
        series.get(&alert("pending")).context("pending ALERTS")?.iter().filter(live).collect();
    let firing: Vec<_> = series.get(&alert("firing")).context("firing ALERTS")?.iter().filter(live).collect();
    let active_at = pending[0].0;
    assert!(active_at >= t0 + 60 * MIN && active_at < t0 + 60 * MIN + 5_000, "{active_at} vs {t0}");
    assert_eq!(groups[1].eval_timestamp(active_at), active_at);
    assert_eq!(firing[0].0, active_at + MIN);
    assert_eq!(
        firing.len() as i64,
        (t0 + 100 * MIN - firing[0].0 - 1) / 5_000 + 1,
        "firing until i3 is up again"
    );
    assert!(series.keys().all(|l| l.get("alertname").is_none() || l["instance"] == "i3"), "no other alert");

    // promtool reads every block (--extended: every chunk too). It wants a WAL directory beside them.
    std::fs::create_dir(out.join("wal"))?;
    for block in &blocks {
        let ulid = block.dir().file_name().context("name")?.to_string_lossy().into_owned();
        let (analyze, _) =
            run(Command::new("promtool").args(["tsdb", "analyze", "--extended"]).arg(&out).arg(&ulid))?;
        assert!(analyze.contains(&format!("Block ID: {ulid}")), "{analyze}");
    }
    Ok(())
}

/// A recording rule of [`RULES`] and the label it sets.
struct Recording<'a> {
    group: &'a Group,
    record: &'a str,
    label: Option<(&'a str, &'a str)>,
}

impl Recording<'_> {
    /// At every time the rule has samples: the block's series (staleness markers aside) are exactly
    /// the instant query's, renamed, with equal values; times are the group's live slots minus its
    /// query_offset, every slot of `range` is there, and a series marked stale is absent from the query
    /// at that time. Values are compared at the times in `compared`, equal or within `tolerance`
    /// (relative).
    async fn check(
        &self,
        client: &reqwest::Client,
        prom: &str,
        series: &Series,
        (start, end): (i64, i64),
        compared: std::ops::RangeInclusive<i64>,
        tolerance: f64,
    ) -> Result<()> {
        let Recording { group, record, label } = *self;
        let expr = group.rules.iter().find(|(r, _)| r.name() == record).context("no such rule")?.0.expr();
        let mut at: BTreeMap<i64, BTreeMap<Labels, f64>> = BTreeMap::new();
        let mut stale: BTreeMap<i64, Vec<Labels>> = BTreeMap::new();
        for (labels, samples) in series.iter().filter(|(l, _)| l["__name__"] == record) {
            for &(t, v) in samples {
                if v.to_bits() == STALE_NAN {
                    stale.entry(t).or_default().push(labels.clone());
                    at.entry(t).or_default();
                } else {
                    at.entry(t).or_default().insert(labels.clone(), v);
                }
            }
        }
        let qo = group.query_offset_ms;
        let slots: Vec<i64> = at.keys().map(|t| t + qo).collect();
        let first = group.eval_timestamp(start - 1) + group.interval_ms;
        let want: Vec<i64> = (0..).map(|k| first + k * group.interval_ms).take_while(|&t| t <= end).collect();
        assert_eq!(slots, want, "{record}: every slot of the group's grid in the range, and nothing else");

        let stale = &stale;
        let checked: Vec<()> = futures::stream::iter(at.range(compared))
            .map(|(&t, got)| async move {
                let answer = instant(client, prom, expr, t).await?;
                let mut want = BTreeMap::new();
                for (mut labels, v) in answer {
                    labels.insert("__name__".into(), record.into());
                    if let Some((k, val)) = label {
                        labels.insert(k.into(), val.into());
                    }
                    want.insert(labels, v);
                }
                ensure!(
                    got.keys().eq(want.keys()),
                    "{record} at {t}: series {:?}, the query has {:?}",
                    got.keys(),
                    want.keys()
                );
                for (l, v) in got {
                    ensure!(
                        v.to_bits() == want[l].to_bits() || (v - want[l]).abs() <= tolerance * want[l].abs(),
                        "{record} {l:?} at {t}: {v} in the block, {} queried",
                        want[l]
                    );
                }
                for l in stale.get(&t).into_iter().flatten() {
                    ensure!(!want.contains_key(l), "{record} {l:?} marked stale at {t} but queried there");
                }
                Ok(())
            })
            .buffer_unordered(8)
            .try_collect()
            .await?;
        assert!(checked.len() > 400, "{record}: {} times", checked.len());
        if record == "bf_up:present" {
            assert!(!stale.is_empty(), "i4's gap gives staleness markers");
        }
        Ok(())
    }
}
