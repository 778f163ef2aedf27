//! Results of `/api/v1/query` and `/api/v1/query_range`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A series' label set, sorted by name (`__name__` first, as it sorts before lower-case names).
pub type Labels = BTreeMap<String, String>;

/// `[<unix seconds>, "<value>"]`: the API sends values as strings so that NaN and ±Inf survive JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamplePair(pub f64, pub String);

impl SamplePair {
    pub fn new(t_seconds: f64, value: f64) -> Self {
        SamplePair(t_seconds, format_value(value))
    }

    /// Timestamp in milliseconds, rounded to the nearest millisecond as Prometheus stores it.
    pub fn t_millis(&self) -> i64 {
        (self.0 * 1000.0).round() as i64
    }

    /// The value; `None` if the string is not a number Prometheus would send.
    pub fn value(&self) -> Option<f64> {
        parse_value(&self.1)
    }
}

/// Parses a value as Prometheus formats it (`1.5`, `1e+06`, `NaN`, `+Inf`, `-Inf`).
pub fn parse_value(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => s.parse::<f64>().ok().filter(|v| v.is_finite()),
    }
}

/// Formats a value the way Prometheus does in JSON (shortest round-trip form, `NaN`, `+Inf`, `-Inf`).
pub fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

/// A native histogram as the API renders it. Buckets are `[boundary rule, lower, upper, count]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistogramValue {
    pub count: String,
    pub sum: String,
    #[serde(default)]
    pub buckets: Vec<(u8, String, String, String)>,
}

/// One element of an instant vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstantSample {
    #[serde(default)]
    pub metric: Labels,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<SamplePair>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<(f64, HistogramValue)>,
}

/// One series of a range vector (matrix).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RangeSeries {
    #[serde(default)]
    pub metric: Labels,
    #[serde(default)]
    pub values: Vec<SamplePair>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub histograms: Vec<(f64, HistogramValue)>,
}

/// The `data` of a query response, tagged by `resultType`. Extra fields (Thanos' `stats`, `analysis`)
/// are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
pub enum QueryData {
    Vector(Vec<InstantSample>),
    Matrix(Vec<RangeSeries>),
    Scalar(SamplePair),
    String(SamplePair),
}

impl QueryData {
    /// The number of series (1 for a scalar or string).
    pub fn series_count(&self) -> usize {
        match self {
            QueryData::Vector(v) => v.len(),
            QueryData::Matrix(m) => m.len(),
            QueryData::Scalar(_) | QueryData::String(_) => 1,
        }
    }

    /// `vector`, `matrix`, `scalar` or `string`.
    pub fn result_type(&self) -> &'static str {
        match self {
            QueryData::Vector(_) => "vector",
            QueryData::Matrix(_) => "matrix",
            QueryData::Scalar(_) => "scalar",
            QueryData::String(_) => "string",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ApiResponse;

    // Shapes as Prometheus 2.42 returns them (captured from a real server).
    const VECTOR: &str = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","instance":"127.0.0.1:9090","job":"prometheus"},"value":[1700000000.123,"1"]},{"metric":{"instance":"a"},"value":[1700000000.123,"NaN"]}]}}"#;
    const MATRIX: &str = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"x"},"values":[[1700000000,"1"],[1700000015,"+Inf"],[1700000030,"-Inf"]]}]},"warnings":["PromQL info: metric might not be a counter"]}"#;
    const SCALAR: &str =
        r#"{"status":"success","data":{"resultType":"scalar","result":[1700000000.5,"42.5"]}}"#;
    const STRING: &str =
        r#"{"status":"success","data":{"resultType":"string","result":[1700000000,"hello"]}}"#;
    // Thanos adds `stats` and `analysis` beside `result`.
    const THANOS_EXTRAS: &str = r#"{"status":"success","data":{"resultType":"vector","result":[],"analysis":{"name":"[*vectorSelector]"},"stats":{"timings":{}}},"warnings":["fetch series for {replica=\"b\"} 127.0.0.1:10901: rpc error: code = Unavailable"]}"#;
    const HISTOGRAM: &str = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"h"},"histogram":[1700000000,{"count":"10","sum":"3.5","buckets":[[0,"0.5","1","4"],[0,"1","2","6"]]}]}]}}"#;

    fn decode(s: &str) -> ApiResponse<QueryData> {
        serde_json::from_str(s).expect("decodes")
    }

    #[test]
    fn decodes_vector() {
        let r = decode(VECTOR);
        let QueryData::Vector(v) = r.data.unwrap() else { panic!("not a vector") };
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].metric["__name__"], "up");
        assert_eq!(v[0].value.as_ref().unwrap().t_millis(), 1_700_000_000_123);
        assert_eq!(v[0].value.as_ref().unwrap().value(), Some(1.0));
        assert!(v[1].value.as_ref().unwrap().value().unwrap().is_nan());
    }

    #[test]
    fn decodes_matrix_with_infinities_and_warnings() {
        let r = decode(MATRIX);
        assert_eq!(r.warnings, vec!["PromQL info: metric might not be a counter"]);
        let QueryData::Matrix(m) = r.data.unwrap() else { panic!("not a matrix") };
        let vals: Vec<f64> = m[0].values.iter().map(|p| p.value().unwrap()).collect();
        assert_eq!(vals, vec![1.0, f64::INFINITY, f64::NEG_INFINITY]);
    }

    #[test]
    fn decodes_scalar_and_string() {
        assert_eq!(decode(SCALAR).data.unwrap(), QueryData::Scalar(SamplePair(1700000000.5, "42.5".into())));
        assert_eq!(decode(STRING).data.unwrap(), QueryData::String(SamplePair(1700000000.0, "hello".into())));
    }

    #[test]
    fn ignores_thanos_extras() {
        let r = decode(THANOS_EXTRAS);
        assert_eq!(r.data.unwrap().series_count(), 0);
        assert_eq!(r.warnings.len(), 1);
    }

    #[test]
    fn decodes_native_histogram_sample() {
        let QueryData::Vector(v) = decode(HISTOGRAM).data.unwrap() else { panic!("not a vector") };
        let (_, h) = v[0].histogram.as_ref().unwrap();
        assert_eq!(h.count, "10");
        assert_eq!(h.buckets.len(), 2);
        assert!(v[0].value.is_none());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for body in [
            "",
            "{",
            "null",
            r#"{"status":"success","data":{"resultType":"vector","result":{}}}"#,
            r#"{"status":"maybe"}"#,
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"values":[["x","1"]]}]}}"#,
        ] {
            assert!(serde_json::from_str::<ApiResponse<QueryData>>(body).is_err(), "{body}");
        }
    }

    #[test]
    fn value_formatting_round_trips() {
        for v in [0.0, 1.5, -2.25, 1e-9, 123456789.0, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(parse_value(&format_value(v)), Some(v));
        }
        assert!(parse_value(&format_value(f64::NAN)).unwrap().is_nan());
        assert_eq!(parse_value("inf"), None, "only Prometheus spellings are accepted");
        assert_eq!(parse_value("abc"), None);
    }
}
