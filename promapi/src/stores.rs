//! `/api/v1/stores` of the Thanos Querier: its endpoints by component type (`sidecar`, `store`,
//! `rule`, `receive`, `query`), each with its health and what it announces (`EndpointStatus` in
//! Thanos' `pkg/query/endpointset.go`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::Labels;

/// The `data` of `/api/v1/stores`: endpoints by component type.
pub type StoresData = BTreeMap<String, Vec<StoreStatus>>;

/// One endpoint the querier talks to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreStatus {
    /// The endpoint's address, which `storeMatch[]` matches as `__address__`.
    pub name: String,
    /// RFC 3339 time of the last health check.
    #[serde(default)]
    pub last_check: Option<String>,
    /// The last check's error; `None` while the endpoint is up.
    #[serde(default)]
    pub last_error: Option<String>,
    /// The external label sets the endpoint announces.
    #[serde(default)]
    pub label_sets: Vec<Labels>,
    /// Oldest and newest data it holds (unix ms; Thanos uses the `i64` extremes for "unbounded").
    #[serde(default)]
    pub min_time: i64,
    #[serde(default)]
    pub max_time: i64,
}

impl StoreStatus {
    /// The `storeMatch[]` selector choosing this endpoint.
    pub fn selector(&self) -> String {
        store_selector(&self.name)
    }
}

/// The `storeMatch[]` selector choosing the endpoint at `address`.
pub fn store_selector(address: &str) -> String {
    let escaped = address.replace('\\', "\\\\").replace('"', "\\\"");
    format!("{{__address__=\"{escaped}\"}}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ApiResponse;

    #[test]
    fn decodes_a_querier_answer() {
        let body = r#"{"status":"success","data":{
            "sidecar":[{"name":"10.0.0.1:10901","lastCheck":"2024-01-02T03:04:05.123456789Z","lastError":null,
                        "labelSets":[{"cluster":"eu","replica":"a"}],"minTime":1700000000000,"maxTime":9223372036854775807}],
            "store":[{"name":"store:10901","lastCheck":"2024-01-02T03:04:05Z",
                      "lastError":"rpc error: code = Unavailable","labelSets":[],"minTime":-9223372036854775808,"maxTime":0}]}}"#;
        let r: ApiResponse<StoresData> = serde_json::from_str(body).unwrap();
        let data = r.data.unwrap();
        assert_eq!(data.keys().collect::<Vec<_>>(), ["sidecar", "store"]);
        let sidecar = &data["sidecar"][0];
        assert_eq!(sidecar.label_sets[0]["replica"], "a");
        assert_eq!(sidecar.last_error, None);
        assert_eq!(sidecar.max_time, i64::MAX);
        assert_eq!(data["store"][0].min_time, i64::MIN);
        assert_eq!(data["store"][0].last_error.as_deref(), Some("rpc error: code = Unavailable"));
    }

    #[test]
    fn selectors_quote_the_address() {
        assert_eq!(store_selector("10.0.0.1:10901"), r#"{__address__="10.0.0.1:10901"}"#);
        assert_eq!(store_selector(r#"a"b\c"#), r#"{__address__="a\"b\\c"}"#);
    }
}
