//! `config.json`: where the API is and the panel defaults, served next to `index.html`.
//!
//! Every field is optional; an absent or unreadable file leaves the same-origin API and Thanos' own
//! defaults (dedup on, partial response on). Example, mountable from a ConfigMap:
//!
//! ```json
//! { "apiUrl": "https://thanos-query.example.com/",
//!   "defaults": { "dedup": true, "partialResponse": false, "replicaLabels": ["replica"],
//!                 "maxSourceResolution": "auto", "engine": "prometheus" },
//!   "embed": { "editable": false } }
//! ```

use serde::Deserialize;

/// The console's configuration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Config {
    /// Base URL of the Thanos Query (or Prometheus) HTTP API; `None` = the console's own origin and path.
    pub api_url: Option<String>,
    /// Values a new panel starts with.
    pub defaults: PanelDefaults,
    /// Embed mode (`/embed`, `?embed=1`).
    pub embed: EmbedConfig,
}

/// How an embedded panel behaves.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EmbedConfig {
    /// Whether the embedded panel's query and switches can be changed (read-only by default).
    pub editable: bool,
}

/// Values of the Thanos switches for a panel the URL says nothing about.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PanelDefaults {
    pub dedup: bool,
    pub partial_response: bool,
    pub replica_labels: Vec<String>,
    pub max_source_resolution: String,
    pub engine: String,
    pub range: String,
}

impl Default for PanelDefaults {
    fn default() -> Self {
        PanelDefaults {
            dedup: true,
            partial_response: true,
            replica_labels: vec![],
            max_source_resolution: "auto".into(),
            engine: "prometheus".into(),
            range: "1h".into(),
        }
    }
}

impl Config {
    /// Parses `config.json`; an error names what is wrong so the console can show it.
    pub fn from_json(s: &str) -> Result<Config, String> {
        serde_json::from_str(s).map_err(|e| format!("config.json: {e}"))
    }

    /// The URL an API path (`api/v1/query`) is fetched from. `page_base` is the directory the console
    /// is served from (so a console under `/thanos/` queries `/thanos/api/v1/query`).
    pub fn api_endpoint(&self, page_base: &str, path: &str) -> String {
        let base = match self.api_url.as_deref().map(str::trim) {
            Some(u) if !u.is_empty() => u,
            _ => page_base,
        };
        format!("{}/{}", base.trim_end_matches('/'), path.trim_start_matches('/'))
    }
}

/// The directory part of the page URL: `https://h/thanos/graph?x` → `https://h/thanos/`. Routes of the
/// console (`graph`, `table`, …) are one level deep, so the last segment is a route, not a directory.
pub fn page_base(origin: &str, pathname: &str) -> String {
    let dir = match pathname.rfind('/') {
        Some(i) => &pathname[..=i],
        None => "/",
    };
    format!("{origin}{dir}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_means_same_origin_and_thanos_defaults() {
        let c = Config::from_json("{}").unwrap();
        assert_eq!(c, Config::default());
        assert!(c.defaults.dedup && c.defaults.partial_response);
        assert_eq!(c.api_endpoint("http://h:1/", "api/v1/query"), "http://h:1/api/v1/query");
    }

    #[test]
    fn api_url_and_defaults_are_read() {
        let c = Config::from_json(
            r#"{"apiUrl":"http://q:9090/prefix/","defaults":{"partialResponse":false,"replicaLabels":["replica"]}}"#,
        )
        .unwrap();
        assert_eq!(c.api_endpoint("http://h/", "/api/v1/query"), "http://q:9090/prefix/api/v1/query");
        assert!(c.defaults.dedup, "unset fields keep their default");
        assert!(!c.defaults.partial_response);
        assert_eq!(c.defaults.replica_labels, vec!["replica"]);
        assert!(!c.embed.editable, "embedded panels are read-only unless configured");
        assert!(Config::from_json(r#"{"embed":{"editable":true}}"#).unwrap().embed.editable);
    }

    #[test]
    fn bad_config_is_a_clear_error() {
        let e = Config::from_json(r#"{"defaults":{"dedup":"yes"}}"#).unwrap_err();
        assert!(e.starts_with("config.json: invalid type"), "{e}");
    }

    #[test]
    fn page_base_drops_the_route() {
        assert_eq!(page_base("http://h", "/graph"), "http://h/");
        assert_eq!(page_base("http://h", "/"), "http://h/");
        assert_eq!(page_base("http://h", "/thanos/graph"), "http://h/thanos/");
        assert_eq!(page_base("http://h", "/thanos/"), "http://h/thanos/");
        assert_eq!(page_base("http://h", ""), "http://h/");
    }
}
