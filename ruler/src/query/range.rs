//! Range queries answered ahead of evaluation: [`RangeSource`] runs `/api/v1/query_range` (over HTTP
//! in [`HttpRangeSource`]), and [`RangeQuerier`] answers an evaluation's instant queries from what it
//! returned, so that backfill replays past evaluations through [`crate::rules::group::Group::eval`],
//! the code `ruler run` evaluates with.
//!
//! A range query evaluates its expression at `start`, `start + step`, … `end`, each step exactly as an
//! instant query at that time would (same lookback, same functions); a series absent at a step has no
//! point there. So on its grid a range result *is* the instant results, one request instead of many.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use promapi::{ApiResponse, Labels, RangeQuery, Status, ThanosParams};
use serde::Deserialize;

use super::{Querier, QueryError, QueryOutput};
use crate::client::{describe, Client};
use crate::discovery::Endpoints;

/// Prometheus refuses range queries of more than 11,000 steps per series; pieces stay below.
pub const MAX_STEPS: i64 = 10_000;

/// Attempts per request while no endpoint is reachable, a second apart, doubling.
const ATTEMPTS: u32 = 3;

/// Times on a grid, in unix ms: `start`, `start + step`, … up to and including `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    pub start: i64,
    pub end: i64,
    pub step: i64,
}

impl Grid {
    pub fn contains(&self, t: i64) -> bool {
        (self.start..=self.end).contains(&t) && (t - self.start) % self.step == 0
    }

    /// The number of times on the grid.
    pub fn len(&self) -> i64 {
        if self.end < self.start {
            0
        } else {
            (self.end - self.start) / self.step + 1
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Consecutive pieces of at most `max_steps` times each, covering the grid.
    pub fn pieces(self, max_steps: i64) -> impl Iterator<Item = Grid> {
        let span = (max_steps - 1).max(0) * self.step;
        let mut start = self.start;
        std::iter::from_fn(move || {
            (start <= self.end).then(|| {
                let piece = Grid { start, end: (start + span).min(self.end), step: self.step };
                start = piece.end + self.step;
                piece
            })
        })
    }
}

/// A range query's result: each series with its points in time order, and the querier's warnings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Matrix {
    pub series: Vec<(Labels, Vec<(i64, f64)>)>,
    pub warnings: Vec<String>,
}

impl Matrix {
    /// The instant vector at `t`: every series with a point exactly at `t`.
    pub fn at(&self, t: i64) -> Vec<(Labels, f64)> {
        let mut out = Vec::with_capacity(self.series.len());
        for (labels, points) in &self.series {
            if let Ok(i) = points.binary_search_by_key(&t, |p| p.0) {
                out.push((labels.clone(), points[i].1));
            }
        }
        out
    }

    /// Appends a later piece of the same query.
    fn extend(&mut self, later: Matrix) {
        let mut by_labels: BTreeMap<Labels, Vec<(i64, f64)>> =
            std::mem::take(&mut self.series).into_iter().collect();
        for (labels, points) in later.series {
            by_labels.entry(labels).or_default().extend(points);
        }
        self.series = by_labels.into_iter().collect();
        for w in later.warnings {
            if !self.warnings.contains(&w) {
                self.warnings.push(w);
            }
        }
    }
}

/// Where range queries are answered (HTTP, or a fake in tests). Cloned into each request's task.
pub trait RangeSource: Clone + Send + Sync + 'static {
    /// Evaluates `expr` at every time of `grid` with deduplication on and `partial_response` as
    /// the group's strategy says.
    fn query_range(
        &self,
        expr: &str,
        grid: Grid,
        partial_response: bool,
    ) -> impl Future<Output = Result<Matrix, QueryError>> + Send;
}

/// `/api/v1/query_range` as a POST form with the parameters `thanos rule` sends, trying the endpoints
/// in turn; grids longer than [`MAX_STEPS`] go in several requests.
#[derive(Debug, Clone)]
pub struct HttpRangeSource {
    client: Client,
    endpoints: Arc<Endpoints>,
}

impl HttpRangeSource {
    pub fn new(client: Client, endpoints: Arc<Endpoints>) -> Self {
        HttpRangeSource { client, endpoints }
    }

    /// One piece: every endpoint in turn, and the whole round again while none is reachable.
    async fn fetch(&self, expr: &str, grid: Grid, partial_response: bool) -> Result<Matrix, QueryError> {
        let q = RangeQuery {
            query: expr.to_string(),
            start: grid.start as f64 / 1000.0,
            end: grid.end as f64 / 1000.0,
            step: grid.step as f64 / 1000.0,
            thanos: ThanosParams { dedup: true, partial_response, ..Default::default() },
        };
        let form = q.form_pairs();
        let mut failures = Vec::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_secs(1 << (attempt - 1))).await;
            }
            failures.clear();
            let endpoints = self.endpoints.all();
            if endpoints.is_empty() {
                return Err(QueryError::Unreachable(vec!["no query API address resolved".into()]));
            }
            for base in &endpoints {
                match self.fetch_one(base, &form).await {
                    Ok(m) => return Ok(m),
                    Err(Failure::Api(e)) => return Err(e),
                    Err(Failure::Transport(e)) => failures.push(e),
                }
            }
        }
        Err(QueryError::Unreachable(failures))
    }

    async fn fetch_one(&self, base: &str, form: &[(&'static str, String)]) -> Result<Matrix, Failure> {
        let url = format!("{}/{}", base.trim_end_matches('/'), RangeQuery::PATH);
        let transport = |e: &dyn std::fmt::Display| Failure::Transport(format!("{url}: {e}"));
        let resp = self
            .client
            .request(reqwest::Method::POST, &url)
            .map_err(|e| transport(&e))?
            .form(form)
            .header("User-Agent", "thanos-rule")
            .send()
            .await
            .map_err(|e| transport(&describe(&e)))?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| transport(&describe(&e)))?;
        parse_answer(&body).map_err(|e| match e {
            Failure::Transport(e) => transport(&format!("HTTP {status}: {e}")),
            api => api,
        })
    }
}

/// A range query's answer: the matrix, or the API's error.
fn parse_answer(body: &[u8]) -> Result<Matrix, Failure> {
    let parsed: ApiResponse<RangeData<'_>> =
        serde_json::from_slice(body).map_err(|e| Failure::Transport(format!("unreadable answer: {e}")))?;
    if parsed.status == Status::Error {
        return Err(Failure::Api(QueryError::Api {
            error_type: parsed.error_type.map(|t| t.to_string()).unwrap_or_default(),
            error: parsed.error.unwrap_or_default(),
        }));
    }
    let data = parsed.data.ok_or_else(|| Failure::Transport("success without data".into()))?;
    if data.result_type != "matrix" {
        return Err(Failure::Api(QueryError::ResultType(data.result_type.to_string())));
    }
    let series = data
        .result
        .into_iter()
        .map(|s| {
            let points = s
                .values
                .iter()
                .filter_map(|&(t, v)| Some(((t * 1000.0).round() as i64, promapi::query::parse_value(v)?)))
                .collect();
            (s.metric, points)
        })
        .collect();
    Ok(Matrix { series, warnings: parsed.warnings })
}

impl RangeSource for HttpRangeSource {
    async fn query_range(
        &self,
        expr: &str,
        grid: Grid,
        partial_response: bool,
    ) -> Result<Matrix, QueryError> {
        let mut out: Option<Matrix> = None;
        for piece in grid.pieces(MAX_STEPS) {
            let m = self.fetch(expr, piece, partial_response).await?;
            match &mut out {
                None => out = Some(m),
                Some(o) => o.extend(m),
            }
        }
        Ok(out.unwrap_or_default())
    }
}

/// How one endpoint failed: unreachable or unreadable (try the next), or an answer in the API's
/// error envelope (final: every replica would say the same).
enum Failure {
    Transport(String),
    Api(QueryError),
}

/// `data` of a range query's answer, read without copying the points' value strings.
#[derive(Deserialize)]
struct RangeData<'a> {
    #[serde(rename = "resultType", borrow)]
    result_type: &'a str,
    #[serde(default, borrow)]
    result: Vec<RawSeries<'a>>,
}

#[derive(Deserialize)]
struct RawSeries<'a> {
    #[serde(default)]
    metric: Labels,
    /// `[unix seconds, "value"]`; native histograms (`histograms`) are not rule outputs and are skipped.
    #[serde(default, borrow)]
    values: Vec<(f64, &'a str)>,
}

/// Answers instant queries at times of `grid` from range results fetched beforehand (by expression),
/// and any other query (another expression, a time off the grid, e.g. a template's `query`) by
/// asking `fallback`.
#[derive(Debug)]
pub struct RangeQuerier<'a, F> {
    grid: Grid,
    answers: HashMap<String, Result<Matrix, QueryError>>,
    fallback: &'a F,
}

impl<'a, F: Querier> RangeQuerier<'a, F> {
    pub fn new(grid: Grid, answers: HashMap<String, Result<Matrix, QueryError>>, fallback: &'a F) -> Self {
        RangeQuerier { grid, answers, fallback }
    }
}

impl<F: Querier> Querier for RangeQuerier<'_, F> {
    async fn query(&self, expr: &str, ts_ms: i64, partial_response: bool) -> Result<QueryOutput, QueryError> {
        match self.answers.get(expr) {
            Some(Ok(m)) if self.grid.contains(ts_ms) => {
                Ok(QueryOutput { samples: m.at(ts_ms), warnings: m.warnings.clone() })
            }
            Some(Err(e)) if self.grid.contains(ts_ms) => Err(e.clone()),
            _ => self.fallback.query(expr, ts_ms, partial_response).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::fake::FakeQuerier;

    fn l(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn grids_split_into_pieces_that_cover_them_exactly() {
        let g = Grid { start: 5_000, end: 65_000, step: 10_000 };
        assert_eq!(g.len(), 7);
        assert!(g.contains(5_000) && g.contains(35_000) && g.contains(65_000));
        assert!(!g.contains(-5_000) && !g.contains(36_000) && !g.contains(75_000));
        let pieces: Vec<Grid> = g.pieces(3).collect();
        assert_eq!(
            pieces,
            vec![
                Grid { start: 5_000, end: 25_000, step: 10_000 },
                Grid { start: 35_000, end: 55_000, step: 10_000 },
                Grid { start: 65_000, end: 65_000, step: 10_000 },
            ]
        );
        assert_eq!(pieces.iter().map(Grid::len).sum::<i64>(), g.len());
        assert_eq!(g.pieces(MAX_STEPS).count(), 1);
        assert_eq!(Grid { start: 1, end: 0, step: 1 }.pieces(3).count(), 0);
    }

    #[test]
    fn pieces_join_by_series() {
        let mut m = Matrix {
            series: vec![(l(&[("a", "1")]), vec![(0, 1.0)]), (l(&[("a", "2")]), vec![(0, 2.0)])],
            warnings: vec![],
        };
        m.extend(Matrix {
            series: vec![(l(&[("a", "0")]), vec![(10, 0.5)]), (l(&[("a", "2")]), vec![(10, 2.5)])],
            warnings: vec!["store s1 unavailable".into()],
        });
        assert_eq!(m.at(0), vec![(l(&[("a", "1")]), 1.0), (l(&[("a", "2")]), 2.0)]);
        assert_eq!(m.at(10), vec![(l(&[("a", "0")]), 0.5), (l(&[("a", "2")]), 2.5)]);
        assert_eq!(m.warnings, vec!["store s1 unavailable".to_string()]);
    }

    #[tokio::test]
    async fn answers_on_the_grid_with_series_present_at_that_step_only() {
        let grid = Grid { start: 1_000, end: 31_000, step: 10_000 };
        let m = Matrix {
            series: vec![
                (l(&[("job", "a")]), vec![(1_000, 1.0), (11_000, 2.0), (21_000, 3.0), (31_000, 4.0)]),
                // Absent at 11 s and 21 s: a gap, not the neighbours' values.
                (l(&[("job", "b")]), vec![(1_000, 10.0), (31_000, 40.0)]),
            ],
            warnings: vec![],
        };
        let fake = FakeQuerier::default();
        let q = RangeQuerier::new(grid, HashMap::from([("sum(x)".to_string(), Ok(m))]), &fake);
        let q = &q;
        let at = |t| async move { q.query("sum(x)", t, false).await.unwrap().samples };
        assert_eq!(at(1_000).await, vec![(l(&[("job", "a")]), 1.0), (l(&[("job", "b")]), 10.0)]);
        assert_eq!(at(11_000).await, vec![(l(&[("job", "a")]), 2.0)]);
        assert_eq!(at(31_000).await, vec![(l(&[("job", "a")]), 4.0), (l(&[("job", "b")]), 40.0)]);
        assert!(fake.calls().is_empty(), "on the grid, nothing is asked live");

        // Off the grid, or another expression: asked live.
        fake.set("sum(x)", &[(&[("live", "yes")], 7.0)]);
        assert_eq!(at(12_000).await, vec![(l(&[("live", "yes")]), 7.0)]);
        assert_eq!(at(41_000).await, vec![(l(&[("live", "yes")]), 7.0)]);
        q.query("other", 11_000, true).await.unwrap();
        assert_eq!(
            fake.calls(),
            vec![
                ("sum(x)".into(), 12_000, false),
                ("sum(x)".into(), 41_000, false),
                ("other".into(), 11_000, true)
            ]
        );
    }

    #[tokio::test]
    async fn a_failed_range_query_fails_every_step_of_its_grid() {
        let grid = Grid { start: 0, end: 20_000, step: 10_000 };
        let err = QueryError::Api { error_type: "bad_data".into(), error: "parse error".into() };
        let fake = FakeQuerier::default();
        let q = RangeQuerier::new(grid, HashMap::from([("x(".to_string(), Err(err.clone()))]), &fake);
        for t in [0, 10_000, 20_000] {
            assert_eq!(q.query("x(", t, false).await, Err(err.clone()));
        }
    }

    #[test]
    fn reads_prometheus_answers() {
        let body = br#"{"status":"success","warnings":["w"],"data":{"resultType":"matrix","result":[
            {"metric":{"__name__":"up","job":"a"},"values":[[1700000000,"1"],[1700000010.5,"NaN"],[1700000020,"+Inf"]]},
            {"metric":{},"values":[[1700000000.001,"-2.5e-3"]]}]}}"#;
        let Ok(m) = parse_answer(body) else { panic!("not read") };
        assert_eq!(m.series.len(), 2);
        assert_eq!(m.series[0].0, l(&[("__name__", "up"), ("job", "a")]));
        let p = &m.series[0].1;
        assert_eq!(
            (p[0], p[1].0, p[1].1.is_nan(), p[2]),
            ((1_700_000_000_000, 1.0), 1_700_000_010_500, true, (1_700_000_020_000, f64::INFINITY))
        );
        assert_eq!(m.series[1], (Labels::new(), vec![(1_700_000_000_001, -2.5e-3)]));
        assert_eq!(m.warnings, vec!["w".to_string()]);

        let bad = br#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\""}"#;
        assert!(
            matches!(parse_answer(bad), Err(Failure::Api(QueryError::Api { error_type, .. })) if error_type == "bad_data")
        );
        assert!(matches!(parse_answer(b"<html>502</html>"), Err(Failure::Transport(_))));
    }
}
