//! What a panel sends: its state turned into an API path and form pairs.

use promapi::{Engine, InstantQuery, RangeQuery};

use crate::query::url_state::{PanelState, Tab};
use crate::time::{auto_step_seconds, parse_duration, parse_time};

/// A request ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelRequest {
    /// API path relative to the API base (`api/v1/query_range`).
    pub path: &'static str,
    pub pairs: Vec<(&'static str, String)>,
    /// For range queries: `(start ms, end ms, step ms)`, which the graph needs to lay out the time axis.
    pub range: Option<(i64, i64, i64)>,
}

/// Builds the request for `state` at `now_ms`: a range query for the graph tab, an instant query for the
/// table. Bad range, end or step inputs are errors that name the field.
pub fn build(state: &PanelState, now_ms: i64) -> Result<PanelRequest, String> {
    let mut request = build_query(state, now_ms)?;
    // Thanos reads only `true` or `1`; the Prometheus engine would answer with a warning.
    if state.analyze && state.engine == Engine::Thanos {
        request.pairs.push(("analyze", "true".into()));
    }
    Ok(request)
}

impl PanelRequest {
    /// Whether the answer carries the Thanos engine's analysis.
    pub fn analyzes(&self) -> bool {
        self.pairs.iter().any(|(k, v)| *k == "analyze" && v == "true")
    }

    /// The Thanos explain endpoint for the same query (same parameters, analysis aside).
    pub fn explain(&self) -> PanelRequest {
        let path = if self.range.is_some() { "api/v1/query_range_explain" } else { "api/v1/query_explain" };
        let pairs = self.pairs.iter().filter(|(k, _)| *k != "analyze").cloned().collect();
        PanelRequest { path, pairs, range: self.range }
    }
}

fn build_query(state: &PanelState, now_ms: i64) -> Result<PanelRequest, String> {
    let end = match state.end.trim() {
        "" => None,
        s => Some(parse_time(s).ok_or_else(|| {
            // The Table tab calls the same field its evaluation time.
            let field = if state.tab == Tab::Table { "evaluation time" } else { "end time" };
            format!("invalid {field} \"{s}\": use YYYY-MM-DD HH:mm:ss (UTC)")
        })?),
    };
    match state.tab {
        Tab::Table => {
            let q = InstantQuery {
                query: state.expr.clone(),
                time: end.map(|t| t as f64 / 1000.0),
                thanos: state.thanos_params(false),
            };
            Ok(PanelRequest { path: InstantQuery::PATH, pairs: q.form_pairs(), range: None })
        }
        Tab::Graph => {
            let range = match state.range.trim() {
                "" => super::navigate::DEFAULT_RANGE_MS,
                r => parse_duration(r)
                    .ok_or_else(|| format!("invalid range \"{r}\": use a duration such as 1h or 30m"))?,
            };
            let end = end.unwrap_or(now_ms);
            let step_ms = match state.step.trim() {
                "" => auto_step_seconds(range) * 1000,
                s => parse_duration(s)
                    .ok_or_else(|| format!("invalid step \"{s}\": use seconds or a duration such as 15s"))?,
            };
            // The same limit as the server, checked here to say it in terms of the controls.
            if range / step_ms > 11_000 {
                return Err(format!(
                    "step {}s is too small for range {}: at most 11,000 points per series",
                    step_ms as f64 / 1000.0,
                    state.range
                ));
            }
            let start = end - range;
            let q = RangeQuery {
                query: state.expr.clone(),
                start: start as f64 / 1000.0,
                end: end as f64 / 1000.0,
                step: step_ms as f64 / 1000.0,
                thanos: state.thanos_params(true),
            };
            Ok(PanelRequest {
                path: RangeQuery::PATH,
                pairs: q.form_pairs(),
                range: Some((start, end, step_ms)),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PanelDefaults;

    fn panel(expr: &str, tab: Tab) -> PanelState {
        let mut p = PanelState::new(&PanelDefaults::default());
        p.expr = expr.into();
        p.tab = tab;
        p
    }

    fn get<'a>(r: &'a PanelRequest, k: &str) -> Vec<&'a str> {
        r.pairs.iter().filter(|(key, _)| *key == k).map(|(_, v)| v.as_str()).collect()
    }

    #[test]
    fn graph_sends_a_range_query_ending_now_with_auto_step() {
        let r = build(&panel("up", Tab::Graph), 1_700_000_000_000).unwrap();
        assert_eq!(r.path, "api/v1/query_range");
        assert_eq!(get(&r, "start"), vec!["1699996400"]);
        assert_eq!(get(&r, "end"), vec!["1700000000"]);
        assert_eq!(get(&r, "step"), vec!["15"]);
        assert_eq!(get(&r, "max_source_resolution"), vec!["auto"]);
        assert_eq!(get(&r, "dedup"), vec!["true"]);
        assert_eq!(r.range, Some((1_699_996_400_000, 1_700_000_000_000, 15_000)));
    }

    #[test]
    fn table_sends_an_instant_query_at_the_end_time() {
        let mut p = panel("up", Tab::Table);
        p.end = "2023-11-14 22:13:20".into();
        p.partial_response = false;
        p.replica_labels = vec!["replica".into()];
        let r = build(&p, 0).unwrap();
        assert_eq!(r.path, "api/v1/query");
        assert_eq!(get(&r, "time"), vec!["1700000000"]);
        assert_eq!(get(&r, "partial_response"), vec!["false"]);
        assert_eq!(get(&r, "replicaLabels[]"), vec!["replica"]);
        assert!(get(&r, "max_source_resolution").is_empty());
        let now = build(&panel("up", Tab::Table), 5).unwrap();
        assert!(get(&now, "time").is_empty(), "no end time: the server's now");
    }

    #[test]
    fn analyze_only_with_the_thanos_engine_and_explain_mirrors_the_query() {
        let mut p = panel("up", Tab::Graph);
        p.analyze = true;
        assert!(!build(&p, 0).unwrap().analyzes(), "the Prometheus engine cannot analyze");
        p.engine = Engine::Thanos;
        let r = build(&p, 0).unwrap();
        assert!(r.analyzes());
        assert_eq!(get(&r, "engine"), vec!["thanos"]);
        let e = r.explain();
        assert_eq!(e.path, "api/v1/query_range_explain");
        assert!(!e.analyzes());
        assert_eq!(get(&e, "query"), vec!["up"]);
        p.tab = Tab::Table;
        assert_eq!(build(&p, 0).unwrap().explain().path, "api/v1/query_explain");
    }

    #[test]
    fn explicit_step_and_bad_inputs() {
        let mut p = panel("up", Tab::Graph);
        p.step = "60".into();
        assert_eq!(get(&build(&p, 0).unwrap(), "step"), vec!["60"]);
        p.step = "1ms".into();
        p.range = "1d".into();
        assert!(build(&p, 0).unwrap_err().contains("11,000 points"));
        p.step = "x".into();
        assert!(build(&p, 0).unwrap_err().starts_with("invalid step"));
        p.step.clear();
        p.range = "soon".into();
        assert!(build(&p, 0).unwrap_err().starts_with("invalid range"));
        p.range = "1h".into();
        p.end = "tomorrow".into();
        assert!(build(&p, 0).unwrap_err().starts_with("invalid end time"));
        p.tab = Tab::Table;
        assert!(build(&p, 0).unwrap_err().starts_with("invalid evaluation time \"tomorrow\""));
    }
}
