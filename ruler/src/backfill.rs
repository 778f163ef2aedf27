//! `ruler backfill`: evaluates recording and alerting rules over a past range and writes Thanos-ready
//! blocks, one per aligned 2h window holding every rule's output (promtool writes one per rule).
//!
//! Evaluation is replayed, not reimplemented. For each window and group, every rule's expression is
//! fetched with one range query on the group's own grid (the slots [`Group::eval_timestamp`] gives live
//! evaluation, minus `query_offset`; step = the group's interval), several rules at once; then
//! [`Group::eval`] runs at each slot with a [`RangeQuerier`] answering from those results. Recording
//! outputs, `ALERTS`, `ALERTS_FOR_STATE` and staleness markers are what `ruler run` would have written
//! then, and alert states carry over from one window to the next.
//!
//! Groups go in file order, and a rule reading an earlier recording rule's output (which the querier
//! does not hold yet) gets that rule's expression in its place ([`inline`]), so it sees the values this
//! run writes.
//!
//! Limits:
//! - A read [`inline`] cannot rewrite (it says why on stderr) sees what the querier holds.
//! - Alert states start empty at `--start`, so `for` counts from there.
//! - Annotations are not rendered (`ALERTS` has none); label templates' `query` calls are sent to the
//!   querier as instant queries.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use promapi::time::rfc3339;
use promapi::Labels;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::query::range::{Matrix, RangeQuerier, RangeSource};
use crate::query::{Querier, QueryError};
use crate::rules::group::{EvalOptions, Group, Rule};
use crate::tsdb::{self, BLOCK_DURATION_MS};

mod blocks;
mod inline;
mod plan;

use blocks::{Blocks, Collector, OpenBlock};
use inline::Inliner;
use plan::{Job, Plan};

/// Where and how the blocks are written.
#[derive(Debug, Clone)]
pub struct Options {
    /// First and last evaluation time (unix ms), both included.
    pub start: i64,
    pub end: i64,
    pub output_dir: PathBuf,
    /// Go to meta.json's Thanos section.
    pub external_labels: Labels,
    /// Range queries in flight at once.
    pub concurrency: usize,
}

/// What a backfill did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// The blocks' directories, in time order.
    pub blocks: Vec<PathBuf>,
    pub samples: u64,
    pub evaluations: u64,
    /// Rule evaluations that failed (their query, or the rule: duplicate series, limit).
    pub failed: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no evaluation of any group falls between {} and {}", rfc3339(*start), rfc3339(*end))]
    NothingToEvaluate { start: i64, end: i64 },
    #[error("block {}: {source}", rfc3339(*window))]
    Block { window: i64, source: tsdb::Error },
    #[error("block {}: writer stopped: {reason}", rfc3339(*window))]
    Writer { window: i64, reason: String },
}

/// Evaluation options: nothing is sent, so neither resends nor the querier-outage alert matter.
const EVAL: EvalOptions = EvalOptions { resend_delay_ms: 60_000, outage_tolerance_ms: None };

type Fetch = JoinHandle<Result<Matrix, QueryError>>;

/// Evaluates `groups` (in file order) at every slot between `options.start` and `options.end`, answering
/// their queries by range queries to `source` (and anything else, such as templates' queries, by
/// instant queries to `fallback`), and writes one block per 2h window into `options.output_dir`.
/// Failed evaluations are reported on `progress` and counted, and the rest goes on; failing to write
/// a block stops everything.
pub async fn backfill<S: RangeSource, F: Querier>(
    mut groups: Vec<Group>,
    source: S,
    fallback: &F,
    options: &Options,
    progress: &mut dyn Write,
) -> Result<Summary, Error> {
    for (rule, _) in groups.iter_mut().flat_map(|g| g.rules.iter_mut()) {
        if let Rule::Alerting(r) = rule {
            r.annotations.clear();
        }
    }
    let mut inliner = Inliner::default();
    let plans: Vec<Plan> =
        groups.iter().map(|g| Plan::new(g, options.start, options.end, &mut inliner, progress)).collect();
    let spans = plans.iter().filter_map(Plan::sample_span);
    let (Some(first), Some(last)) = (spans.clone().map(|s| s.0).min(), spans.map(|s| s.1).max()) else {
        return Err(Error::NothingToEvaluate { start: options.start, end: options.end });
    };
    let windows = first.div_euclid(BLOCK_DURATION_MS)..=last.div_euclid(BLOCK_DURATION_MS);
    let total = windows.clone().filter(|&w| plans.iter().any(|p| p.grid_in(&window(w)).is_some())).count();
    let mut jobs = windows.flat_map(|w| {
        let plans = &plans;
        (0..plans.len())
            .filter_map(move |group| Some(Job { window: w, group, grid: plans[group].grid_in(&window(w))? }))
    });
    let mut blocks = Blocks {
        options,
        open: None,
        writing: None,
        progress: Progress { out: progress, done: 0, total, started: Instant::now() },
        summary: Summary::default(),
    };

    // Requests start ahead of evaluation (at most `concurrency` at a time), so the querier works while
    // this evaluates and writes.
    let concurrency = options.concurrency.max(1);
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut ahead: VecDeque<(Job, Vec<(String, Fetch)>)> = VecDeque::new();
    let mut queued = 0;
    loop {
        while queued < 2 * concurrency {
            let Some(job) = jobs.next() else { break };
            let plan = &plans[job.group];
            let fetches: Vec<(String, Fetch)> = plan
                .exprs
                .iter()
                .map(|(expr, query)| {
                    let (source, permits, e, partial) =
                        (source.clone(), permits.clone(), query.clone(), plan.partial_response);
                    let task = tokio::spawn(async move {
                        let _permit = permits.acquire_owned().await;
                        source.query_range(&e, job.grid, partial).await
                    });
                    (expr.clone(), task)
                })
                .collect();
            queued += fetches.len();
            ahead.push_back((job, fetches));
        }
        let Some((job, fetches)) = ahead.pop_front() else { break };
        queued -= fetches.len();
        let group = &mut groups[job.group];
        let mut answers = HashMap::new();
        for (expr, task) in fetches {
            let answer =
                task.await.unwrap_or_else(|e| Err(QueryError::Unreachable(vec![format!("query task: {e}")])));
            for w in answer.iter().flat_map(|m| &m.warnings).filter(|w| !w.starts_with("PromQL ")) {
                blocks.progress.line(format_args!(
                    "warning: group {:?}, {expr}: {}: {w}",
                    group.name,
                    when(job.window)
                ));
            }
            answers.insert(expr, answer);
        }
        let block = blocks.open(job.window).await?;
        let failures = replay(group, &job, RangeQuerier::new(job.grid, answers, fallback), block).await?;
        blocks.summary.evaluations += job.grid.len() as u64 * group.rules.len() as u64;
        for ((rule, _), (n, error)) in group.rules.iter().zip(failures) {
            if let Some(error) = error {
                blocks.summary.failed += n;
                blocks.progress.line(format_args!(
                    "error: group {:?}, rule {:?}: {n} of {} evaluations failed in the block from {}: {error}",
                    group.name,
                    rule.name(),
                    job.grid.len(),
                    when(job.window)
                ));
            }
        }
    }
    blocks.finish().await
}

/// Window `w`: `[w × 2h, (w + 1) × 2h)` in unix ms.
fn window(w: i64) -> Range<i64> {
    w * BLOCK_DURATION_MS..(w + 1) * BLOCK_DURATION_MS
}

/// Window `w`'s start, for messages.
fn when(w: i64) -> String {
    rfc3339(w * BLOCK_DURATION_MS)
}

/// Evaluates `group` at every slot of `job` into `block`. Returns, per rule, how many evaluations
/// failed and the last error.
async fn replay<F: Querier>(
    group: &mut Group,
    job: &Job,
    querier: RangeQuerier<'_, F>,
    block: &mut OpenBlock,
) -> Result<Vec<(u64, Option<String>)>, Error> {
    let mut failures = vec![(0, None); group.rules.len()];
    let mut collected = Collector::new(job.grid.len() as usize);
    for k in 0..job.grid.len() {
        let t = job.grid.start + k * job.grid.step;
        let out = group.eval(t + group.query_offset_ms, &querier, EVAL).await;
        block.samples += out.samples.len() as u64;
        collected.add(out.samples);
        for ((_, status), failed) in group.rules.iter().zip(&mut failures) {
            if let Some(e) = &status.last_error {
                failed.0 += 1;
                failed.1 = Some(e.clone());
            }
        }
    }
    for (labels, samples) in &collected.series {
        block
            .writer
            .add_series(labels, samples)
            .map_err(|source| Error::Block { window: job.window * BLOCK_DURATION_MS, source })?;
    }
    Ok(failures)
}

/// Progress on stderr (or wherever): a numbered line per window, and messages.
struct Progress<'a> {
    out: &'a mut dyn Write,
    done: usize,
    total: usize,
    started: Instant,
}

impl Progress<'_> {
    fn line(&mut self, text: std::fmt::Arguments<'_>) {
        let _ = writeln!(self.out, "{text}");
    }

    fn window(&mut self, w: i64, what: std::fmt::Arguments<'_>) {
        self.done += 1;
        let (done, total, took) = (self.done, self.total, self.started.elapsed().as_secs_f64());
        self.line(format_args!("[{done}/{total}] {}: {what} ({took:.1}s)", when(w)));
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Mutex;

    use super::*;
    use crate::config::rulefmt;
    use crate::query::fake::FakeQuerier;
    use crate::query::range::Grid;
    use crate::rules::group::Defaults;
    use crate::rules::Sample;
    use crate::rules::STALE_NAN;
    use crate::tsdb::Block;

    const H: i64 = 3_600_000;

    #[test]
    fn samples_collect_by_series_whatever_the_order() {
        let l = |v: &str| Labels::from([("s".to_string(), v.to_string())]);
        let evals: [&[&str]; 4] = [&["a", "b", "c"], &["a", "b", "c"], &["b", "d", "a"], &["c"]];
        let mut c = Collector::new(evals.len());
        for (t, names) in evals.iter().enumerate() {
            c.add(names.iter().map(|n| Sample { labels: l(n), t: t as i64, v: t as f64 }).collect());
        }
        let got: Vec<(&str, Vec<i64>)> =
            c.series.iter().map(|(l, s)| (l["s"].as_str(), s.iter().map(|p| p.0).collect())).collect();
        assert_eq!(
            got,
            vec![("a", vec![0, 1, 2]), ("b", vec![0, 1, 2]), ("c", vec![0, 1, 3]), ("d", vec![2])]
        );
    }

    fn groups(text: &str) -> Vec<Group> {
        let file = rulefmt::parse(Path::new("rules.yaml"), text).unwrap();
        let defaults = Defaults { interval_ms: 60_000, ..Default::default() };
        file.groups.iter().map(|g| Group::new(Path::new("rules.yaml"), g, &defaults)).collect()
    }

    #[test]
    fn grids_are_the_groups_live_slots_split_by_window() {
        let g = &groups("groups:\n- name: g\n  interval: 10s\n  query_offset: 30s\n  rules:\n  - record: r\n    expr: up\n")[0];
        let (start, end) = (100 * 2 * H + 1_234, 100 * 2 * H + 3 * H);
        let p = Plan::new(g, start, end, &mut Inliner::default(), &mut Vec::new());
        assert_eq!(g.eval_timestamp(p.first), p.first, "on the live grid");
        assert!(p.first >= start && p.first - start < 10_000 && p.last <= end && end - p.last < 10_000);

        // Every slot in exactly one window, by its sample time (slot - query_offset).
        let mut slots = Vec::new();
        for w in 99..=102 {
            let window = w * 2 * H..(w + 1) * 2 * H;
            if let Some(grid) = p.grid_in(&window) {
                assert!(window.contains(&grid.start) && window.contains(&grid.end), "{grid:?} in {window:?}");
                slots.extend((0..grid.len()).map(|k| grid.start + k * grid.step + 30_000));
            }
        }
        let want: Vec<i64> = (0..).map(|k| p.first + k * 10_000).take_while(|&t| t <= end).collect();
        assert_eq!(slots, want);
        // The first slots' samples are 30 s earlier, in the window before the range's.
        assert!(p.grid_in(&(99 * 2 * H..100 * 2 * H)).is_some());
        assert!(
            p.grid_in(&(98 * 2 * H..99 * 2 * H)).is_none()
                && p.grid_in(&(102 * 2 * H..103 * 2 * H)).is_none()
        );
    }

    /// Answers `sum by (job) (x)` with job a = t/1000 at every step and job b every third step only;
    /// `x == 0` with one series at every step.
    #[derive(Clone, Default)]
    struct FakeRange(Arc<Mutex<Vec<(String, Grid, bool)>>>);

    impl RangeSource for FakeRange {
        async fn query_range(&self, expr: &str, grid: Grid, partial: bool) -> Result<Matrix, QueryError> {
            self.0.lock().unwrap().push((expr.to_string(), grid, partial));
            let times = (0..grid.len()).map(|k| grid.start + k * grid.step);
            let l = |k: &str, v: &str| Labels::from([(k.to_string(), v.to_string())]);
            let series = match expr {
                "sum by (job) (x)" => vec![
                    (l("job", "a"), times.clone().map(|t| (t, t as f64 / 1000.0)).collect()),
                    (l("job", "b"), times.filter(|t| (t / grid.step) % 3 == 0).map(|t| (t, 1.0)).collect()),
                ],
                "x == 0" => vec![(l("instance", "i"), times.map(|t| (t, 0.0)).collect())],
                _ => {
                    return Err(QueryError::Api {
                        error_type: "bad_data".into(),
                        error: format!("unknown {expr}"),
                    })
                }
            };
            Ok(Matrix { series, warnings: vec![] })
        }
    }

    #[tokio::test]
    async fn one_block_per_window_with_every_rule_and_alert_states_across_windows() {
        let rules = "groups:
- name: rec
  interval: 1m
  query_offset: 1m
  partial_response_strategy: warn
  rules:
  - record: job:x:sum
    expr: sum by (job) (x)
  - record: job:x:sum2
    expr: sum by (job) (x)
    labels: {copy: 'yes'}
- name: alerts
  interval: 30s
  rules:
  - alert: XZero
    expr: x == 0
    for: 5m
    annotations: {summary: 'never rendered {{ $value }}'}
";
        let tmp = tempfile::tempdir().unwrap();
        let start = 100 * 2 * H + H; // mid-window: 1 h, 2 h and 1 h in three windows
        let options = Options {
            start,
            end: start + 4 * H,
            output_dir: tmp.path().to_path_buf(),
            external_labels: Labels::from([("replica".to_string(), "r0".to_string())]),
            concurrency: 3,
        };
        let source = FakeRange::default();
        let fallback = FakeQuerier::default();
        let mut progress = Vec::new();
        let summary =
            backfill(groups(rules), source.clone(), &fallback, &options, &mut progress).await.unwrap();
        let progress = String::from_utf8(progress).unwrap();
        assert_eq!(summary.failed, 0, "{progress}");
        assert!(fallback.calls().is_empty(), "everything answered from range queries");
        assert_eq!(summary.blocks.len(), 3, "{progress}");
        assert!(progress.contains("[3/3]"), "{progress}");

        // One request per expression, group and window; on the group's grid, never across a window.
        let calls = source.0.lock().unwrap().clone();
        assert_eq!(calls.len(), 3 + 3);
        let g = groups(rules);
        for (expr, grid, partial) in &calls {
            let (group, offset) = if expr == "x == 0" { (&g[1], 0) } else { (&g[0], 60_000) };
            assert_eq!(*partial, expr != "x == 0");
            assert_eq!(group.eval_timestamp(grid.start + offset), grid.start + offset);
            assert_eq!(grid.step, group.interval_ms);
            assert_eq!(grid.start.div_euclid(2 * H), grid.end.div_euclid(2 * H));
        }

        let mut got: HashMap<Labels, Vec<(i64, f64)>> = HashMap::new();
        for b in &summary.blocks {
            let block = Block::open(b).unwrap();
            assert_eq!(block.meta().thanos.as_ref().unwrap().labels, options.external_labels);
            for s in block.series() {
                let s = s.unwrap();
                got.entry(s.labels).or_default().extend(s.samples);
            }
        }
        let name = |n: &str, more: &[(&str, &str)]| {
            let mut l = Labels::from([("__name__".to_string(), n.to_string())]);
            l.extend(more.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            l
        };
        let a = &got[&name("job:x:sum", &[("job", "a")])];
        let rec = &g[0];
        assert_eq!(
            a.first().unwrap().0,
            Plan::new(rec, options.start, options.end, &mut Inliner::default(), &mut Vec::new()).first
                - 60_000,
            "stamped at the query time"
        );
        assert!(a.iter().all(|&(t, v)| v == t as f64 / 1000.0));
        assert_eq!(a.len() as i64, 4 * 60 + 1 - i64::from(rec.eval_timestamp(start) != start));
        assert_eq!(&got[&name("job:x:sum2", &[("job", "a"), ("copy", "yes")])], a);
        // b is present every third step: a value, then a staleness marker, then nothing until it returns.
        let b = &got[&name("job:x:sum", &[("job", "b")])];
        for w in b.windows(2) {
            let ((t0, v0), (t1, v1)) = (w[0], w[1]);
            if v0.to_bits() == STALE_NAN {
                assert_eq!((t1 - t0, v1), (120_000, 1.0), "back two steps after going stale");
            } else {
                assert_eq!((t1 - t0, v1.to_bits()), (60_000, STALE_NAN));
            }
        }

        // Pending for 5 minutes, then firing through the window boundaries.
        let alerts = |state: &str| {
            got[&name("ALERTS", &[("alertname", "XZero"), ("alertstate", state), ("instance", "i")])].clone()
        };
        let (pending, firing) = (alerts("pending"), alerts("firing"));
        let active_at = pending[0].0;
        assert_eq!(pending.iter().filter(|s| !s.1.is_nan()).count(), 10);
        assert_eq!(firing[0].0, active_at + 5 * 60_000);
        assert_eq!(firing.len(), 8 * 60 + 1 - 10 - usize::from(g[1].eval_timestamp(start) != start));
        let for_state = &got[&name("ALERTS_FOR_STATE", &[("alertname", "XZero"), ("instance", "i")])];
        assert!(for_state.iter().all(|&(_, v)| v == (active_at / 1000) as f64));
    }

    #[tokio::test]
    async fn failed_queries_are_reported_and_the_rest_is_written() {
        let rules = "groups:\n- name: g\n  interval: 1m\n  rules:\n  - record: ok\n    expr: sum by (job) (x)\n  - record: broken\n    expr: nope\n";
        let tmp = tempfile::tempdir().unwrap();
        let options = Options {
            start: 10 * 2 * H,
            end: 10 * 2 * H + 30 * 60_000,
            output_dir: tmp.path().to_path_buf(),
            external_labels: Labels::new(),
            concurrency: 8,
        };
        let mut progress = Vec::new();
        let summary =
            backfill(groups(rules), FakeRange::default(), &FakeQuerier::default(), &options, &mut progress)
                .await
                .unwrap();
        let progress = String::from_utf8(progress).unwrap();
        assert_eq!(summary.blocks.len(), 1);
        assert!(summary.failed >= 30 && summary.failed <= 31, "{summary:?}");
        assert!(
            progress.contains("rule \"broken\"") && progress.contains("bad_data: unknown nope"),
            "{progress}"
        );

        let slot = groups(rules)[0].eval_timestamp(options.start);
        let nothing = Options { start: slot + 1, end: slot + 59_999, ..options };
        let err =
            backfill(groups(rules), FakeRange::default(), &FakeQuerier::default(), &nothing, &mut Vec::new())
                .await;
        assert!(matches!(err, Err(Error::NothingToEvaluate { .. })), "{err:?}");
    }
}
