//! Request parameters of the query endpoints, as the form pairs the Thanos Querier reads.
//!
//! Thanos reads every parameter with Go's `r.FormValue`, so a form-encoded POST body works and avoids
//! URL length limits. Names are exact: `replicaLabels[]` needs its brackets (without them Thanos silently
//! ignores it) and the API key is `dedup`, not the UI's `deduplicate`.

/// PromQL engine of the Thanos Querier (`engine` parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    #[default]
    Prometheus,
    Thanos,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Prometheus => "prometheus",
            Engine::Thanos => "thanos",
        }
    }

    pub fn parse(s: &str) -> Option<Engine> {
        match s {
            "prometheus" => Some(Engine::Prometheus),
            "thanos" => Some(Engine::Thanos),
            _ => None,
        }
    }
}

/// The parameters Thanos adds to Prometheus' query API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThanosParams {
    /// `dedup`: merge replicas that differ only in a replica label. Thanos default: true.
    pub dedup: bool,
    /// `partial_response`: answer with a warning when a store fails. Thanos default: true.
    pub partial_response: bool,
    /// `replicaLabels[]`: overrides the querier's `--query.replica-label` for this request.
    pub replica_labels: Vec<String>,
    /// `max_source_resolution`: `auto`, `0s`, `5m`, `1h`; `None` leaves the querier's default.
    pub max_source_resolution: Option<String>,
    /// `engine`; `None` leaves the querier's default.
    pub engine: Option<Engine>,
    /// `storeMatch[]`: series selectors on `__address__` restricting which stores are asked.
    pub store_matches: Vec<String>,
}

impl Default for ThanosParams {
    fn default() -> Self {
        ThanosParams {
            dedup: true,
            partial_response: true,
            replica_labels: vec![],
            max_source_resolution: None,
            engine: None,
            store_matches: vec![],
        }
    }
}

impl ThanosParams {
    fn push_pairs(&self, out: &mut Vec<(&'static str, String)>) {
        out.push(("dedup", self.dedup.to_string()));
        out.push(("partial_response", self.partial_response.to_string()));
        for l in &self.replica_labels {
            out.push(("replicaLabels[]", l.clone()));
        }
        if let Some(r) = &self.max_source_resolution {
            out.push(("max_source_resolution", r.clone()));
        }
        if let Some(e) = self.engine {
            out.push(("engine", e.as_str().to_string()));
        }
        for m in &self.store_matches {
            out.push(("storeMatch[]", m.clone()));
        }
    }
}

/// `/api/v1/query`: evaluate `query` at `time` (unix seconds; `None` = the server's now).
#[derive(Debug, Clone, PartialEq)]
pub struct InstantQuery {
    pub query: String,
    pub time: Option<f64>,
    pub thanos: ThanosParams,
}

impl InstantQuery {
    pub const PATH: &'static str = "api/v1/query";

    pub fn form_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("query", self.query.clone())];
        if let Some(t) = self.time {
            out.push(("time", format_seconds(t)));
        }
        self.thanos.push_pairs(&mut out);
        out
    }
}

/// `/api/v1/query_range`: evaluate `query` from `start` to `end` every `step` seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeQuery {
    pub query: String,
    pub start: f64,
    pub end: f64,
    pub step: f64,
    pub thanos: ThanosParams,
}

impl RangeQuery {
    pub const PATH: &'static str = "api/v1/query_range";

    pub fn form_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("query", self.query.clone()),
            ("start", format_seconds(self.start)),
            ("end", format_seconds(self.end)),
            ("step", format_seconds(self.step)),
        ];
        self.thanos.push_pairs(&mut out);
        out
    }
}

/// Unix seconds with millisecond precision and no trailing zeros (`1700000000`, `1700000000.5`).
pub fn format_seconds(t: f64) -> String {
    let ms = (t * 1000.0).round() as i64;
    let sign = if ms < 0 { "-" } else { "" };
    let abs = ms.unsigned_abs();
    if abs % 1000 == 0 {
        format!("{sign}{}", abs / 1000)
    } else {
        let s = format!("{sign}{}.{:03}", abs / 1000, abs % 1000);
        s.trim_end_matches('0').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instant_query_pairs_use_thanos_names() {
        let q = InstantQuery {
            query: "up".into(),
            time: Some(1700000000.5),
            thanos: ThanosParams {
                dedup: false,
                partial_response: false,
                replica_labels: vec!["replica".into(), "rule_replica".into()],
                max_source_resolution: Some("5m".into()),
                engine: Some(Engine::Thanos),
                store_matches: vec![r#"{__address__="s:10901"}"#.into()],
            },
        };
        assert_eq!(
            q.form_pairs(),
            vec![
                ("query", "up".to_string()),
                ("time", "1700000000.5".into()),
                ("dedup", "false".into()),
                ("partial_response", "false".into()),
                ("replicaLabels[]", "replica".into()),
                ("replicaLabels[]", "rule_replica".into()),
                ("max_source_resolution", "5m".into()),
                ("engine", "thanos".into()),
                ("storeMatch[]", r#"{__address__="s:10901"}"#.into()),
            ]
        );
    }

    #[test]
    fn defaults_are_thanos_defaults() {
        let p = ThanosParams::default();
        assert!(p.dedup && p.partial_response);
        let q = RangeQuery { query: "up".into(), start: 10.0, end: 70.0, step: 15.0, thanos: p };
        assert_eq!(
            q.form_pairs(),
            vec![
                ("query", "up".to_string()),
                ("start", "10".into()),
                ("end", "70".into()),
                ("step", "15".into()),
                ("dedup", "true".into()),
                ("partial_response", "true".into()),
            ]
        );
    }

    #[test]
    fn seconds_formatting() {
        assert_eq!(format_seconds(1.0), "1");
        assert_eq!(format_seconds(1.25), "1.25");
        assert_eq!(format_seconds(0.001), "0.001");
        assert_eq!(format_seconds(-1.5), "-1.5");
        assert_eq!(format_seconds(-0.25), "-0.25");
        assert_eq!(format_seconds(-3.0), "-3");
    }
}
