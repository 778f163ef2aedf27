//! `ruler::tsdb` blocks against Prometheus 2.42's own tools: byte-identical to what `promtool tsdb
//! create-blocks-from openmetrics` writes for the same samples, accepted by `promtool tsdb analyze` and
//! dumped back unchanged, and served by a real Prometheus.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, ensure, Context, Result};
use promapi::Labels;
use ruler::tsdb::{Block, BlockWriter, BLOCK_DURATION_MS};
use serde_json::Value;
use testkit::process::Prometheus;

const H: i64 = 3_600_000;
/// Prometheus' staleness marker.
const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;
/// What Go's `strconv.ParseFloat("NaN")` gives, so what promtool stores for an OpenMetrics `NaN`.
const GO_NAN: u64 = 0x7ff8_0000_0000_0001;

type Samples = Vec<(i64, f64)>;

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> i64 {
        (self.next() % n) as i64
    }

    fn float(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// `t` ms as seconds with three decimals, as OpenMetrics and the HTTP API take them.
fn om_time(t: i64) -> String {
    format!("{}.{:03}", t / 1000, t % 1000)
}

/// Whether promtool reads `t` back from [`om_time`]: it computes `int64(seconds * 1000)`, which truncates
/// values like 1700000000122.9999.
fn om_exact(t: i64) -> bool {
    (om_time(t).parse::<f64>().expect("decimal") * 1000.0) as i64 == t
}

/// Samples `step` ms apart (plus up to `jitter` ms) from `start` while before `end`, with OpenMetrics-safe
/// times.
fn times(rng: &mut Rng, start: i64, step: i64, jitter: u64, end: i64) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::new();
    let mut base = start;
    while base < end {
        let mut t = base + if jitter > 0 { rng.below(jitter) } else { 0 };
        while !om_exact(t) {
            t += 1;
        }
        if t >= end {
            break;
        }
        if out.last().is_none_or(|&l| t > l) {
            out.push(t);
        }
        base += step;
    }
    out
}

/// Series inside `[w, w + 2h)` with labels that stress sorting and escaping, and samples that hit every
/// chunk-cutting rule and timestamp bucket. `w` must be 2h-aligned.
fn fixture(w: i64) -> Vec<(Labels, Samples)> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ w as u64);
    let end = w + 2 * H;
    let mut out = Vec::new();

    // A counter every 15 s with millisecond jitter: 120-sample chunks, small delta-of-deltas.
    let mut counter = 0.0;
    let mut s = Vec::new();
    for t in times(&mut rng, w + 7_000, 15_000, 40, end) {
        counter += rng.below(10) as f64;
        s.push((t, counter));
    }
    out.push((labels(&[("__name__", "http_requests_total"), ("code", "200"), ("path", "/a\"b\\c")]), s));

    // Every 35 s: promtool's 4h chunk range cuts these at 138 samples where a 2h one would not.
    let ts = times(&mut rng, w, 35_000, 0, end);
    let s = ts.iter().map(|&t| (t, rng.float() * 1e6 - 5e5)).collect();
    out.push((
        labels(&[("__name__", "http_requests_total"), ("code", "500"), ("path", "/日本語/é/🙂 x")]),
        s,
    ));

    // A prefix of the series above (fewer labels sorts first), with every special value.
    let specials =
        [f64::from_bits(GO_NAN), f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.0, 5e-324, f64::MAX, -1.5];
    let ts = times(&mut rng, w + 30_000, 60_000, 0, end);
    let s = ts
        .iter()
        .enumerate()
        .map(|(i, &t)| (t, if i % 3 == 0 { specials[i / 3 % specials.len()] } else { i as f64 }));
    out.push((labels(&[("__name__", "http_requests_total")]), s.collect()));

    // Upper case sorts before lower case. Bursts with long gaps: every delta-of-delta bucket, 64 bits too.
    let mut ts = Vec::new();
    let mut t = w + 1;
    for burst in 0..6 {
        for _ in 0..40 {
            while !om_exact(t) {
                t += 1;
            }
            ts.push(t);
            t += 1_000 + rng.below(3 << burst) * (1 << (3 * burst));
        }
        t += 7 * 60_000 + rng.below(60_000);
    }
    ts.retain(|&t| t < end);
    let s = ts.iter().map(|&t| (t, (t % 97) as f64)).collect();
    out.push((labels(&[("__name__", "Up"), ("job", "x")]), s));

    // A minute apart, then every second: the end predicted at 30 samples is the range's, so the cap of
    // 240 samples cuts.
    let mut ts = times(&mut rng, w + 120_000, 60_000, 0, w + 120_000 + 31 * 60_000);
    let last = *ts.last().expect("samples");
    ts.extend(times(&mut rng, last + 1_000, 1_000, 0, last + 1_000 + 400_000));
    let s = ts.iter().map(|&t| (t, 1.0)).collect();
    out.push((labels(&[("__name__", "up"), ("instance", "a b,c=d{e}\n\t"), ("job", "x")]), s));

    // A value longer than 127 bytes (two-byte length) and a label with an empty value, which is dropped.
    let long = "v".repeat(300) + "é";
    let ts = times(&mut rng, w, 10_000, 3, end);
    let s = ts.iter().map(|&t| (t, (t - w) as f64 / 1e3)).collect();
    out.push((
        labels(&[("__name__", "recording:rule:sum"), ("empty", ""), ("le", "+Inf"), ("long", &long)]),
        s,
    ));

    // One sample in the window's last milliseconds (the last that OpenMetrics carries exactly).
    let mut t = end - 1;
    while !om_exact(t) {
        t -= 1;
    }
    out.push((labels(&[("__name__", "single")]), vec![(t, 42.0)]));
    out
}

/// The fixture as OpenMetrics text, the input `promtool tsdb create-blocks-from openmetrics` takes.
fn openmetrics(series: &[(Labels, Samples)]) -> String {
    let mut out = String::new();
    for (labels, samples) in series {
        let name = &labels["__name__"];
        let pairs: Vec<String> = labels
            .iter()
            .filter(|(k, _)| *k != "__name__")
            .map(|(k, v)| {
                format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n"))
            })
            .collect();
        let metric = if pairs.is_empty() { name.clone() } else { format!("{name}{{{}}}", pairs.join(",")) };
        for &(t, v) in samples {
            let value = match v {
                v if v.is_nan() => "NaN".to_string(),
                f64::INFINITY => "+Inf".to_string(),
                f64::NEG_INFINITY => "-Inf".to_string(),
                v => format!("{v:e}"),
            };
            assert!(om_exact(t), "fixture time {t} is not exact in OpenMetrics");
            out.push_str(&format!("{metric} {value} {}\n", om_time(t)));
        }
    }
    out.push_str("# EOF\n");
    out
}

fn write_block(dir: &Path, w: i64, series: &[(Labels, Samples)], chunk_range: i64) -> Result<PathBuf> {
    let mut writer = BlockWriter::new(dir, w, w + 2 * H, labels(&[("cluster", "eu1"), ("replica", "a")]))?
        .with_chunk_range(chunk_range);
    // Reversed, to show the writer sorts.
    for (l, s) in series.iter().rev() {
        writer.add_series(l, s)?;
    }
    Ok(dir.join(writer.finish()?.to_string()))
}

fn run(cmd: &mut Command) -> Result<String> {
    let out = cmd.output().with_context(|| format!("run {cmd:?}"))?;
    ensure!(out.status.success(), "{cmd:?} failed: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    Ok(String::from_utf8(out.stdout)?)
}

/// The blocks in `dir`, opened (so checked), in time order.
fn blocks(dir: &Path) -> Result<Vec<Block>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.join("meta.json").exists() {
            out.push(Block::open(&p).with_context(|| format!("open {}", p.display()))?);
        }
    }
    out.sort_by_key(|b| b.meta().min_time);
    Ok(out)
}

/// Where two files first differ, for a readable failure.
fn assert_same_bytes(what: &str, ours: &[u8], theirs: &[u8]) {
    if ours != theirs {
        let at = ours.iter().zip(theirs).position(|(a, b)| a != b).unwrap_or(ours.len().min(theirs.len()));
        let around = |b: &[u8]| format!("{:02x?}", &b[at.saturating_sub(8)..(at + 8).min(b.len())]);
        panic!(
            "{what}: {} bytes (ours) vs {} (promtool), first difference at {at}: {} vs {}",
            ours.len(),
            theirs.len(),
            around(ours),
            around(theirs)
        );
    }
}

fn expected_by_series(series: &[(Labels, Samples)]) -> BTreeMap<Labels, Samples> {
    series
        .iter()
        .map(|(l, s)| {
            (
                l.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k.clone(), v.clone())).collect(),
                s.clone(),
            )
        })
        .collect()
}

/// Same times, same values: bit for bit, except that a NaN only has to be a NaN (text loses the payload).
fn assert_samples_match(what: &str, got: &BTreeMap<Labels, Samples>, want: &BTreeMap<Labels, Samples>) {
    assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>(), "{what}: series");
    for (l, w) in want {
        let g = &got[l];
        assert_eq!(g.len(), w.len(), "{what}: number of samples of {l:?}");
        for (a, b) in g.iter().zip(w) {
            let same = a.0 == b.0 && (a.1.to_bits() == b.1.to_bits() || (a.1.is_nan() && b.1.is_nan()));
            assert!(same, "{what}: {l:?}: got {a:?}, want {b:?}");
        }
    }
}

#[test]
fn index_and_chunks_are_byte_identical_to_promtool() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    // Two windows; the first starts on a multiple of 4h, where promtool's chunk range (below) matters.
    let w0 = 1_700_000_000_000 / (4 * H) * (4 * H);
    let windows: Vec<(i64, Vec<(Labels, Samples)>)> =
        [w0, w0 + 2 * H].into_iter().map(|w| (w, fixture(w))).collect();
    // promtool needs each series' samples in time order.
    let mut all: BTreeMap<Labels, Samples> = BTreeMap::new();
    for (l, s) in windows.iter().flat_map(|(_, series)| series) {
        all.entry(l.clone()).or_default().extend(s);
    }
    let all: Vec<(Labels, Samples)> = all.into_iter().collect();
    assert!(all.iter().map(|(_, s)| s.len()).sum::<usize>() > 3_000);

    let input = tmp.path().join("in.om");
    std::fs::write(&input, openmetrics(&all))?;
    let theirs_dir = tmp.path().join("promtool");
    std::fs::create_dir(&theirs_dir)?;
    run(Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&input)
        .arg(&theirs_dir))?;
    // Our strict reader accepts Prometheus' blocks (one per 2h window, from first to last sample).
    let theirs = blocks(&theirs_dir)?;
    ensure!(theirs.len() == 2, "promtool wrote {} blocks", theirs.len());

    for ((w, series), theirs) in windows.iter().zip(&theirs) {
        assert_eq!(theirs.meta().min_time / (2 * H), w / (2 * H), "promtool's blocks in window order");
        // promtool's block writer uses twice its 2h block duration as the chunk range.
        let ours = Block::open(write_block(&tmp.path().join("ours"), *w, series, 2 * BLOCK_DURATION_MS)?)?;
        for file in ["index", "chunks/000001"] {
            let read = |b: &Block| std::fs::read(b.dir().join(file));
            assert_same_bytes(&format!("window {w}: {file}"), &read(&ours)?, &read(theirs)?);
        }
        assert!(!theirs.dir().join("chunks/000002").exists() && !ours.dir().join("chunks/000002").exists());

        // Same stats as Prometheus counted, and every sample read back bit for bit from its block.
        assert_eq!(ours.meta().stats, theirs.meta().stats);
        assert_eq!(theirs.meta().stats.num_samples, series.iter().map(|(_, s)| s.len() as u64).sum::<u64>());
        let read: BTreeMap<Labels, Samples> =
            theirs.series().map(|s| s.map(|s| (s.labels, s.samples))).collect::<Result<_, _>>()?;
        let want = expected_by_series(series);
        assert_eq!(read.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>());
        for (l, s) in &want {
            let bits = |s: &Samples| s.iter().map(|&(t, v)| (t, v.to_bits())).collect::<Vec<_>>();
            assert_eq!(bits(&read[l]), bits(s), "{l:?}");
        }
    }
    Ok(())
}

/// The fixture plus a series that goes stale and comes back, in the Prometheus head's 2h chunk range.
fn with_staleness(w: i64) -> (Vec<(Labels, Samples)>, i64) {
    let mut series = fixture(w);
    let stale_at = w + 30 * 60_000;
    let s: Samples = (0..100)
        .map(|i| w + i * 30_000)
        .map(|t| (t, if t == stale_at { f64::from_bits(STALE_NAN) } else { (t - w) as f64 }))
        .filter(|&(t, _)| t <= stale_at || t >= stale_at + 10 * 60_000)
        .collect();
    series.push((labels(&[("__name__", "flapping"), ("job", "x")]), s));
    (series, stale_at)
}

/// Go's `strconv.Unquote` for the double-quoted strings `promtool tsdb dump` prints.
fn go_unquote(s: &str) -> Result<(String, &str)> {
    let mut chars = s.strip_prefix('"').context("expected a quote")?.char_indices();
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &s[i + 2..])),
            '\\' => {
                let (_, e) = chars.next().context("dangling backslash")?;
                let mut hex = |n: usize| -> Result<char> {
                    let h: String = (0..n).filter_map(|_| chars.next().map(|(_, c)| c)).collect();
                    char::from_u32(u32::from_str_radix(&h, 16)?).context("bad escape")
                };
                out.push(match e {
                    'a' => '\x07',
                    'b' => '\x08',
                    'f' => '\x0c',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'v' => '\x0b',
                    'x' => hex(2)?,
                    'u' => hex(4)?,
                    'U' => hex(8)?,
                    c => c,
                });
            }
            c => out.push(c),
        }
    }
    bail!("unterminated string in {s:?}")
}

/// `{a="b", c="d"} <%g value> <ms>` lines, as `promtool tsdb dump` prints them.
pub(crate) fn parse_dump(out: &str) -> Result<BTreeMap<Labels, Samples>> {
    let mut got: BTreeMap<Labels, Samples> = BTreeMap::new();
    for line in out.lines() {
        let mut parts = line.rsplitn(3, ' ');
        let (t, v, l) = (parts.next(), parts.next(), parts.next());
        let (Some(t), Some(v), Some(mut l)) = (t, v, l) else { bail!("bad dump line {line:?}") };
        let mut labels = Labels::new();
        l = l.strip_prefix('{').context("labels start with {")?;
        while !l.starts_with('}') {
            let (name, rest) = l.split_once('=').context("name=value")?;
            let (value, rest) = go_unquote(rest)?;
            labels.insert(name.to_string(), value);
            l = rest.strip_prefix(", ").unwrap_or(rest);
        }
        let v = match v {
            "NaN" => f64::NAN,
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse()?,
        };
        got.entry(labels).or_default().push((t.parse()?, v));
    }
    Ok(got)
}

#[test]
fn promtool_analyzes_our_block_and_dumps_every_sample() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let w = 1_700_000_000_000 / (2 * H) * (2 * H);
    let (series, _) = with_staleness(w);
    let data = tmp.path().join("data");
    let block = write_block(&data, w, &series, BLOCK_DURATION_MS)?;
    let ulid = block.file_name().context("name")?.to_string_lossy().into_owned();
    // `dump` wants a WAL directory and writes chunks_head/ beside the blocks: all in our temp dir.
    std::fs::create_dir(data.join("wal"))?;

    // --extended reads every chunk, so it checks their CRCs as well as the index walk.
    let analyze =
        run(Command::new("promtool").args(["tsdb", "analyze", "--extended"]).arg(&data).arg(&ulid))?;
    assert!(analyze.contains(&format!("Block ID: {ulid}")), "{analyze}");
    assert!(analyze.contains(&format!("Series: {}\n", series.len())), "{analyze}");

    // dump exits 0 even when a chunk fails its CRC, so its output is compared in full.
    let dump = run(Command::new("promtool").args(["tsdb", "dump"]).arg(&data))?;
    assert_samples_match("promtool tsdb dump", &parse_dump(&dump)?, &expected_by_series(&series));
    Ok(())
}

fn query_url(prom: &str, query: &str, t_ms: i64) -> String {
    let q: String = form_urlencoded::byte_serialize(query.as_bytes()).collect();
    format!("{prom}/api/v1/query?query={q}&time={}", om_time(t_ms))
}

async fn query(prom: &str, query: &str, t_ms: i64) -> Result<Vec<Value>> {
    let body: Value = reqwest::get(query_url(prom, query, t_ms)).await?.json().await?;
    ensure!(body["status"] == "success", "{query}: {body}");
    Ok(body["data"]["result"].as_array().context("result")?.clone())
}

fn value_of(v: &Value) -> Result<f64> {
    Ok(match v.as_str().context("value is a string")? {
        "NaN" => f64::NAN,
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        s => s.parse()?,
    })
}

#[tokio::test]
async fn prometheus_serves_exactly_our_samples() -> Result<()> {
    // The last complete 2h window: within the default 15d retention, and before the head's samples.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64;
    let w = (now / (2 * H) - 1) * (2 * H);
    let (series, stale_at) = with_staleness(w);
    let dir = tempfile::tempdir()?;
    write_block(&dir.path().join("data"), w, &series, BLOCK_DURATION_MS)?;
    let prom = Prometheus::start(&[], "", Some(dir.path().to_path_buf())).await?;

    // A range vector at the window's end returns every raw sample in it, minus staleness markers.
    let mut got: BTreeMap<Labels, Samples> = BTreeMap::new();
    for s in query(&prom.url, "{__name__=~\".+\"}[3h]", w + 2 * H).await? {
        let labels: Labels = serde_json::from_value(s["metric"].clone())?;
        if labels.get("job").map(String::as_str) == Some("prometheus") {
            continue; // its own scrapes, if any fall in range
        }
        let samples = s["values"]
            .as_array()
            .context("values")?
            .iter()
            .map(|p| Ok(((p[0].as_f64().context("time")? * 1000.0).round() as i64, value_of(&p[1])?)));
        got.insert(labels, samples.collect::<Result<_>>()?);
    }
    let mut want = expected_by_series(&series);
    for s in want.values_mut() {
        s.retain(|&(_, v)| v.to_bits() != STALE_NAN);
    }
    assert_samples_match("Prometheus range vector", &got, &want);

    // The marker itself: the series is gone just after it, and there just before.
    let flapping = "flapping{job=\"x\"}";
    assert_eq!(query(&prom.url, flapping, stale_at + 1).await?.len(), 0, "stale after the marker");
    let before = query(&prom.url, flapping, stale_at - 1).await?;
    assert_eq!(before.len(), 1, "present before the marker");
    assert_eq!(value_of(&before[0]["value"][1])?, (stale_at - 30_000 - w) as f64);
    Ok(())
}
