//! The Status page: build information, runtime information and command-line flags, from
//! `/api/v1/status/{buildinfo,runtimeinfo,flags}` where the API offers them (Prometheus has all three,
//! a Thanos Querier at least the flags).

use std::collections::BTreeMap;

use serde_json::Value;

/// The sections, in page order: title and API path.
pub const SECTIONS: [(&str, &str); 3] = [
    ("Build information", "api/v1/status/buildinfo"),
    ("Runtime information", "api/v1/status/runtimeinfo"),
    ("Command-line flags", "api/v1/status/flags"),
];

/// A section's `data` as name/value rows, sorted by name; values as text (strings unquoted).
pub fn rows(data: &BTreeMap<String, Value>) -> Vec<(String, String)> {
    data.iter()
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (k.clone(), text)
        })
        .collect()
}

/// Rows whose name or value contains `text` (case-insensitive); all when it is blank.
pub fn matching(rows: &[(String, String)], text: &str) -> Vec<(String, String)> {
    let needle = text.trim().to_ascii_lowercase();
    rows.iter()
        .filter(|(k, v)| {
            needle.is_empty()
                || k.to_ascii_lowercase().contains(&needle)
                || v.to_ascii_lowercase().contains(&needle)
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_as_text_and_filtered() {
        let data: BTreeMap<String, Value> = serde_json::from_str(
            r#"{"version":"2.42.0","goroutineCount":31,"reloadConfigSuccess":true,"GODEBUG":null,"x":{"a":1}}"#,
        )
        .unwrap();
        let rows = rows(&data);
        assert_eq!(rows[0], ("GODEBUG".into(), String::new()));
        assert!(rows.contains(&("version".into(), "2.42.0".into())));
        assert!(rows.contains(&("goroutineCount".into(), "31".into())));
        assert!(rows.contains(&("x".into(), r#"{"a":1}"#.into())));
        assert_eq!(matching(&rows, " VERSION ").len(), 1);
        assert_eq!(matching(&rows, "true"), vec![("reloadConfigSuccess".to_string(), "true".to_string())]);
        assert_eq!(matching(&rows, "").len(), rows.len());
    }
}
