//! Panel state in the page URL, compatible with Thanos UI links.
//!
//! `/graph?g0.expr=up&g0.tab=1&g0.range_input=1h&g0.end_input=2024-01-02%2003:04:05&g0.step_input=15&
//! g0.deduplicate=1&g0.partial_response=0&g0.max_source_resolution=auto&g0.engine=prometheus`
//!
//! As in Thanos, `tab=0` is the graph and `tab=1` the table, the URL key is `deduplicate` (the API's is
//! `dedup`), and empty values are left out. `gN.replica_labels` (comma-separated) is ours: the Thanos
//! UI has no control for `replicaLabels[]`. `gN.store_matches` is the Thanos UI's JSON list of chosen
//! stores (`[{"name":"host:port"}]`), sent as `storeMatch[]={__address__="host:port"}` each;
//! `gN.analyze=1` asks the Thanos engine for its analysis.
//!
//! Graph options: `gN.stacked=1` (Thanos UI), `gN.display_mode=heatmap` and `gN.y_axis_min=0` (Prometheus
//! v3 UI; its `display_mode=stacked` is read as stacked), and ours where neither UI has the option:
//! `gN.log_scale=1` and `gN.local_time=1` (both UIs keep local time as a page setting, not in the URL).

use promapi::{Engine, ThanosParams};

use crate::config::PanelDefaults;

/// Which result view a panel shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Graph,
    Table,
}

/// Downsampling choices of `max_source_resolution`.
pub const RESOLUTIONS: [(&str, &str); 4] = [
    ("auto", "Auto downsampling"),
    ("0s", "Only raw data"),
    ("5m", "Max 5m downsampling"),
    ("1h", "Max 1h downsampling"),
];

/// Everything a panel's URL says.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelState {
    pub expr: String,
    pub tab: Tab,
    /// `range_input`, a Prometheus duration (`1h`).
    pub range: String,
    /// `end_input`, `YYYY-MM-DD HH:mm:ss` UTC; empty = now. Also the table's evaluation time.
    pub end: String,
    /// `step_input`, seconds; empty = automatic.
    pub step: String,
    pub dedup: bool,
    pub partial_response: bool,
    pub replica_labels: Vec<String>,
    pub max_source_resolution: String,
    pub engine: Engine,
    /// Addresses of the stores to ask; empty = all.
    pub store_matches: Vec<String>,
    /// Ask the Thanos engine for its analysis (`gN.analyze=1`; sent only with `engine=thanos`).
    pub analyze: bool,
    /// How the graph is drawn; changing it does not run the query again.
    pub graph: GraphOptions,
}

/// The graph's display options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GraphOptions {
    pub stacked: bool,
    /// Logarithmic Y axis; non-positive values are left out.
    pub log_scale: bool,
    /// Y axis starts at zero (or below, for negative values).
    pub from_zero: bool,
    /// Times in the browser's time zone instead of UTC.
    pub local_time: bool,
    /// Classic histogram buckets as a heatmap instead of lines.
    pub heatmap: bool,
}

impl PanelState {
    pub fn new(defaults: &PanelDefaults) -> Self {
        PanelState {
            expr: String::new(),
            tab: Tab::Graph,
            range: defaults.range.clone(),
            end: String::new(),
            step: String::new(),
            dedup: defaults.dedup,
            partial_response: defaults.partial_response,
            replica_labels: defaults.replica_labels.clone(),
            max_source_resolution: defaults.max_source_resolution.clone(),
            engine: Engine::parse(&defaults.engine).unwrap_or_default(),
            store_matches: vec![],
            analyze: false,
            graph: GraphOptions::default(),
        }
    }

    /// The state without its display options: what the query depends on.
    pub fn query_part(&self) -> PanelState {
        PanelState { graph: GraphOptions::default(), ..self.clone() }
    }

    /// The Thanos parameters a query from this panel sends. Like the Thanos UI, only range queries
    /// send `max_source_resolution`: for instant queries `auto` means raw data anyway.
    pub fn thanos_params(&self, range_query: bool) -> ThanosParams {
        ThanosParams {
            dedup: self.dedup,
            partial_response: self.partial_response,
            replica_labels: self.replica_labels.clone(),
            max_source_resolution: (range_query && !self.max_source_resolution.is_empty())
                .then(|| self.max_source_resolution.clone()),
            engine: Some(self.engine),
            store_matches: self.store_matches.iter().map(|a| promapi::stores::store_selector(a)).collect(),
        }
    }
}

/// Reads every panel `g0`, `g1`, … from a query string (with or without the leading `?`). Panels are
/// taken in order from `g0` while they have an `expr`, as the Thanos UI does. Unknown keys are ignored.
pub fn decode(query: &str, defaults: &PanelDefaults) -> Vec<PanelState> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut panels = Vec::new();
    for n in 0.. {
        let prefix = format!("g{n}.");
        let fields: Vec<(&str, &str)> =
            pairs.iter().filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?, v.as_str()))).collect();
        if !fields.iter().any(|(k, _)| *k == "expr") {
            break;
        }
        let mut p = PanelState::new(defaults);
        for (key, value) in fields {
            apply(&mut p, key, value);
        }
        panels.push(p);
    }
    panels
}

fn apply(p: &mut PanelState, key: &str, value: &str) {
    let flag = |v: &str| v == "1" || v.eq_ignore_ascii_case("true");
    match key {
        "expr" => p.expr = value.to_string(),
        "tab" => p.tab = if value == "1" || value == "table" { Tab::Table } else { Tab::Graph },
        "range_input" if !value.is_empty() => p.range = value.to_string(),
        "end_input" | "moment_input" => p.end = value.to_string(),
        "step_input" => p.step = value.to_string(),
        "deduplicate" => p.dedup = flag(value),
        "partial_response" => p.partial_response = flag(value),
        "max_source_resolution" => p.max_source_resolution = value.to_string(),
        "engine" => p.engine = Engine::parse(value).unwrap_or(p.engine),
        "store_matches" => p.store_matches = store_names(value),
        "analyze" => p.analyze = flag(value),
        "stacked" => p.graph.stacked = flag(value),
        "display_mode" => match value {
            "heatmap" => p.graph.heatmap = true,
            "stacked" => p.graph.stacked = true,
            _ => {}
        },
        "y_axis_min" => p.graph.from_zero = value.trim() == "0",
        "log_scale" => p.graph.log_scale = flag(value),
        "local_time" => p.graph.local_time = flag(value),
        "replica_labels" => {
            p.replica_labels =
                value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
        }
        _ => {}
    }
}

/// Writes panels as a query string (without `?`), in the Thanos UI's key order. Panels without an
/// expression are left out (renumbering the rest): [`decode`] stops at the first `gN` without one.
pub fn encode(panels: &[PanelState]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (n, p) in panels.iter().filter(|p| !p.expr.is_empty()).enumerate() {
        let mut put = |k: &str, v: &str| {
            if !v.is_empty() {
                out.append_pair(&format!("g{n}.{k}"), v);
            }
        };
        put("expr", &p.expr);
        put("tab", if p.tab == Tab::Table { "1" } else { "0" });
        let g = p.graph;
        put("stacked", if g.stacked { "1" } else { "" });
        put("display_mode", if g.heatmap { "heatmap" } else { "" });
        put("y_axis_min", if g.from_zero { "0" } else { "" });
        put("log_scale", if g.log_scale { "1" } else { "" });
        put("local_time", if g.local_time { "1" } else { "" });
        put("range_input", &p.range);
        put("max_source_resolution", &p.max_source_resolution);
        put("deduplicate", if p.dedup { "1" } else { "0" });
        put("partial_response", if p.partial_response { "1" } else { "0" });
        put("engine", p.engine.as_str());
        put("replica_labels", &p.replica_labels.join(","));
        put("store_matches", &store_matches_json(&p.store_matches));
        put("analyze", if p.analyze { "1" } else { "" });
        put("end_input", &p.end);
        put("moment_input", &p.end);
        put("step_input", &p.step);
    }
    out.finish()
}

/// One entry of the Thanos UI's `store_matches` list.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoreRef {
    name: String,
}

/// The store names of a `store_matches` value; anything unreadable means none.
fn store_names(json: &str) -> Vec<String> {
    serde_json::from_str::<Vec<StoreRef>>(json)
        .map(|v| v.into_iter().map(|s| s.name).collect())
        .unwrap_or_default()
}

/// `[{"name":…}]`, or empty (left out of the URL) when no store is chosen.
fn store_matches_json(names: &[String]) -> String {
    if names.is_empty() {
        return String::new();
    }
    let refs: Vec<StoreRef> = names.iter().map(|n| StoreRef { name: n.clone() }).collect();
    serde_json::to_string(&refs).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> PanelDefaults {
        PanelDefaults::default()
    }

    #[test]
    fn decodes_a_thanos_ui_link() {
        // As Thanos Ruler's --alert.query-url links and the Thanos UI write them.
        let q = "g0.expr=sum%20by%20(job)%20(rate(http_requests_total%5B5m%5D))&g0.tab=1&g0.stacked=0\
                 &g0.range_input=6h&g0.max_source_resolution=5m&g0.deduplicate=0&g0.partial_response=0\
                 &g0.store_matches=%5B%5D&g0.engine=thanos&g0.end_input=2024-01-02%2003%3A04%3A05\
                 &g0.moment_input=2024-01-02%2003%3A04%3A05&g0.step_input=60";
        let panels = decode(q, &defaults());
        assert_eq!(panels.len(), 1);
        let p = &panels[0];
        assert_eq!(p.expr, "sum by (job) (rate(http_requests_total[5m]))");
        assert_eq!(p.tab, Tab::Table);
        assert_eq!(p.range, "6h");
        assert_eq!(p.max_source_resolution, "5m");
        assert!(!p.dedup && !p.partial_response);
        assert_eq!(p.engine, Engine::Thanos);
        assert_eq!(p.end, "2024-01-02 03:04:05");
        assert_eq!(p.step, "60");
    }

    #[test]
    fn store_matches_as_the_thanos_ui_writes_them() {
        let q = "g0.expr=up&g0.store_matches=%5B%7B%22name%22%3A%2210.0.0.1%3A10901%22%7D%5D";
        let p = &decode(q, &defaults())[0];
        assert_eq!(p.store_matches, ["10.0.0.1:10901"]);
        assert_eq!(p.thanos_params(false).store_matches, [r#"{__address__="10.0.0.1:10901"}"#]);
        assert!(encode(std::slice::from_ref(p))
            .contains("&g0.store_matches=%5B%7B%22name%22%3A%2210.0.0.1%3A10901%22%7D%5D"));
        assert_eq!(
            decode("g0.expr=up&g0.store_matches=%5B%5D", &defaults())[0].store_matches,
            Vec::<String>::new()
        );
        assert_eq!(
            decode("g0.expr=up&g0.store_matches=garbage", &defaults())[0].store_matches,
            Vec::<String>::new()
        );
    }

    #[test]
    fn empty_panels_are_left_out_and_the_rest_renumbered() {
        let mut a = PanelState::new(&defaults());
        a.expr = "a".into();
        let empty = PanelState::new(&defaults());
        let mut b = a.clone();
        b.expr = "b".into();
        let query = encode(&[empty.clone(), a.clone(), empty, b.clone()]);
        assert!(query.starts_with("g0.expr=a&") && query.contains("&g1.expr=b&"), "{query}");
        assert_eq!(decode(&query, &defaults()), vec![a, b]);
    }

    #[test]
    fn missing_keys_take_the_configured_defaults() {
        let mut d = defaults();
        d.partial_response = false;
        d.replica_labels = vec!["replica".into()];
        let p = &decode("?g0.expr=up", &d)[0];
        assert_eq!(p.tab, Tab::Graph);
        assert!(p.dedup);
        assert!(!p.partial_response);
        assert_eq!(p.replica_labels, vec!["replica"]);
        assert_eq!(p.range, "1h");
    }

    #[test]
    fn panels_are_read_in_order_while_they_have_an_expr() {
        let panels = decode("g1.expr=b&g0.expr=a&g3.expr=d", &defaults());
        let exprs: Vec<&str> = panels.iter().map(|p| p.expr.as_str()).collect();
        assert_eq!(exprs, vec!["a", "b"]);
        assert!(decode("", &defaults()).is_empty());
        assert!(decode("g0.tab=1", &defaults()).is_empty());
    }

    #[test]
    fn encode_decode_round_trip() {
        let mut a = PanelState::new(&defaults());
        a.expr = "rate(x{a=\"b&c\"}[5m]) > 0 # 100%".into();
        a.tab = Tab::Table;
        a.end = "2024-01-02 03:04:05".into();
        a.step = "30".into();
        a.dedup = false;
        a.replica_labels = vec!["replica".into(), "rule_replica".into()];
        a.engine = Engine::Thanos;
        let mut b = PanelState::new(&defaults());
        b.expr = "up".into();
        let panels = vec![a, b];
        let encoded = encode(&panels);
        assert!(encoded.starts_with("g0.expr=rate%28x%7Ba%3D%22b%26c%22%7D%5B5m%5D%29"), "{encoded}");
        assert!(encoded.contains("g0.deduplicate=0"));
        assert_eq!(decode(&encoded, &defaults()), panels);
    }

    #[test]
    fn graph_options_round_trip_and_read_prometheus_keys() {
        let mut p = PanelState::new(&defaults());
        p.expr = "up".into();
        let plain = encode(std::slice::from_ref(&p));
        assert!(!plain.contains("stacked") && !plain.contains("log_scale"), "{plain}");
        p.graph =
            GraphOptions { stacked: true, log_scale: true, from_zero: true, local_time: true, heatmap: true };
        let encoded = encode(std::slice::from_ref(&p));
        for key in [
            "g0.stacked=1",
            "g0.display_mode=heatmap",
            "g0.y_axis_min=0",
            "g0.log_scale=1",
            "g0.local_time=1",
        ] {
            assert!(encoded.contains(key), "{key} in {encoded}");
        }
        assert_eq!(decode(&encoded, &defaults()), vec![p.clone()]);
        let v3 = &decode("g0.expr=up&g0.display_mode=stacked&g0.y_axis_min=5", &defaults())[0];
        assert!(v3.graph.stacked && !v3.graph.heatmap && !v3.graph.from_zero);
        assert_eq!(p.query_part(), PanelState { graph: GraphOptions::default(), ..p });
    }

    #[test]
    fn only_range_queries_send_the_resolution() {
        let mut p = PanelState::new(&defaults());
        p.max_source_resolution = "1h".into();
        assert_eq!(p.thanos_params(true).max_source_resolution.as_deref(), Some("1h"));
        assert_eq!(p.thanos_params(false).max_source_resolution, None);
    }
}
