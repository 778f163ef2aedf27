//! What the Thanos engine says about a query: `data.analysis` of `/api/v1/query[_range]` with
//! `engine=thanos&analyze=true`, and the `data` of `/api/v1/query[_range]_explain` (the operator
//! tree). Both are trees of operators; only the analysis carries times and samples.

use serde::{Deserialize, Serialize};

/// One operator and its children.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operator {
    #[serde(default)]
    pub name: String,
    /// As the engine writes it: a Go duration (`1.2ms`) in current versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_time: Option<TextOrNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_samples: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_samples: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Operator>,
}

/// A field some versions send as text and others as a number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TextOrNumber {
    Text(String),
    Number(f64),
}

impl std::fmt::Display for TextOrNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TextOrNumber::Text(s) => f.write_str(s),
            TextOrNumber::Number(n) => write!(f, "{n}"),
        }
    }
}

/// The part of a query's `data` that holds the analysis (the result is skipped).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct Analyzed {
    #[serde(default)]
    pub analysis: Option<Operator>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ApiResponse;

    #[test]
    fn analysis_and_explain_trees() {
        let body = r#"{"status":"success","data":{"resultType":"vector","result":[],
            "analysis":{"name":"[concurrent(buff=2)]","executionTime":"1.5ms","peakSamples":4,
              "children":[{"name":"[vectorSelector] {[__name__=\"up\"]}","executionTime":812345}]}}}"#;
        let r: ApiResponse<Analyzed> = serde_json::from_str(body).unwrap();
        let a = r.data.unwrap().analysis.unwrap();
        assert_eq!(a.execution_time.as_ref().map(|t| t.to_string()).as_deref(), Some("1.5ms"));
        assert_eq!(a.peak_samples, Some(4));
        assert_eq!(a.children[0].execution_time.as_ref().map(|t| t.to_string()).as_deref(), Some("812345"));
        let explain: ApiResponse<Operator> = serde_json::from_str(
            r#"{"status":"success","data":{"name":"[coalesce]","children":[{"name":"[x]"}]}}"#,
        )
        .unwrap();
        assert_eq!(explain.data.unwrap().children[0].name, "[x]");
        let none: ApiResponse<Analyzed> =
            serde_json::from_str(r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#)
                .unwrap();
        assert_eq!(none.data.unwrap().analysis, None);
    }
}
