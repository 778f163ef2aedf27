//! The YAML of `--query.config(-file)` and `--alertmanagers.config(-file)` as Thanos reads it
//! (`docs/components/rule.md#configuration`): lists of endpoints, each entry with its own
//! `http_config`. `$(NAME)` is replaced by the environment variable `NAME`, as Thanos does.

use std::time::Duration;

use serde::Deserialize;

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Yaml(#[from] serde_yaml_ng::Error),
    #[error("entry {index}: {reason}")]
    Invalid { index: usize, reason: String },
    #[error("$({0}): no such environment variable")]
    Env(String),
}

/// Prometheus' and Thanos' `http_config`: credentials, TLS and a proxy for one set of endpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    pub basic_auth: BasicAuth,
    pub bearer_token: String,
    /// Read again for every request, so a rotated token is used at once.
    pub bearer_token_file: String,
    pub proxy_url: String,
    pub tls_config: TlsConfig,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BasicAuth {
    pub username: String,
    pub password: String,
    /// Read again for every request.
    pub password_file: String,
}

/// Files are re-read when they change (certificate rotation).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    pub ca_file: String,
    pub cert_file: String,
    pub key_file: String,
    /// The name the server's certificate must carry, instead of the URL's host.
    pub server_name: String,
    pub insecure_skip_verify: bool,
}

/// Which Alertmanager API alerts are posted to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ApiVersion {
    V1,
    #[default]
    V2,
}

impl ApiVersion {
    pub fn alerts_path(self) -> &'static str {
        match self {
            ApiVersion::V1 => "/api/v1/alerts",
            ApiVersion::V2 => "/api/v2/alerts",
        }
    }
}

/// Address files in Prometheus' file SD format (`[{targets: [...], labels: {...}}]`, YAML or JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSd {
    /// Globs.
    pub files: Vec<String>,
    pub refresh: Duration,
}

/// Endpoints that share one HTTP configuration: one `--query` or `--alertmanagers.url` value, or
/// one entry of a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointGroup {
    /// Names the group in logs and metrics: the flag's value, or the entry's first address.
    pub name: String,
    /// Address specs as [`crate::discovery::Address::parse`] takes them, scheme and prefix included.
    pub addresses: Vec<String>,
    pub files: Vec<FileSd>,
    /// Scheme and path prefix of the addresses read from `files`.
    pub scheme: String,
    pub path_prefix: String,
    pub http: HttpConfig,
    /// Per request; none for queries (as `thanos rule`).
    pub timeout: Option<Duration>,
    pub api_version: ApiVersion,
}

impl EndpointGroup {
    /// One group per flag value, with no credentials and no TLS settings.
    pub fn from_flags(urls: &[String], timeout: Option<Duration>) -> Vec<EndpointGroup> {
        urls.iter()
            .map(|u| EndpointGroup {
                name: u.clone(),
                addresses: vec![u.clone()],
                files: vec![],
                scheme: "http".into(),
                path_prefix: String::new(),
                http: HttpConfig::default(),
                timeout,
                api_version: ApiVersion::V2,
            })
            .collect()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileSdConfig {
    files: Vec<String>,
    refresh_interval: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct QueryEntry {
    http_config: HttpConfig,
    static_configs: Vec<String>,
    file_sd_configs: Vec<FileSdConfig>,
    scheme: Option<String>,
    path_prefix: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct AlertingConfig {
    alertmanagers: Vec<AlertmanagerEntry>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct AlertmanagerEntry {
    http_config: HttpConfig,
    static_configs: Vec<String>,
    file_sd_configs: Vec<FileSdConfig>,
    scheme: Option<String>,
    path_prefix: String,
    timeout: Option<String>,
    api_version: Option<String>,
}

/// File SD files are read again this often unless `refresh_interval` says otherwise (Prometheus').
const DEFAULT_REFRESH: Duration = Duration::from_secs(300);

/// `--query.config`: a YAML list of endpoint entries.
pub fn query_groups(yaml: &str) -> Result<Vec<EndpointGroup>, ConfigError> {
    let entries: Vec<QueryEntry> = serde_yaml_ng::from_str(&expand_env(yaml)?)?;
    entries
        .into_iter()
        .enumerate()
        .map(|(index, e)| {
            group(index, e.http_config, e.static_configs, e.file_sd_configs, e.scheme, e.path_prefix, None)
        })
        .collect()
}

/// `--alertmanagers.config`: `alertmanagers:` entries; `timeout` defaults to `default_timeout`
/// (Thanos' 10s), `api_version` to v2.
pub fn alertmanager_groups(yaml: &str, default_timeout: Duration) -> Result<Vec<EndpointGroup>, ConfigError> {
    let config: AlertingConfig = serde_yaml_ng::from_str(&expand_env(yaml)?)?;
    config
        .alertmanagers
        .into_iter()
        .enumerate()
        .map(|(index, e)| {
            let timeout = match e.timeout.as_deref() {
                None => default_timeout,
                Some(t) => duration(index, "timeout", t)?,
            };
            let api_version = match e.api_version.as_deref() {
                None | Some("v2") => ApiVersion::V2,
                Some("v1") => ApiVersion::V1,
                Some(other) => {
                    return Err(invalid(index, format!("api_version {other:?} is not v1 or v2")));
                }
            };
            let mut g = group(
                index,
                e.http_config,
                e.static_configs,
                e.file_sd_configs,
                e.scheme,
                e.path_prefix,
                Some(timeout),
            )?;
            g.api_version = api_version;
            Ok(g)
        })
        .collect()
}

fn invalid(index: usize, reason: String) -> ConfigError {
    ConfigError::Invalid { index, reason }
}

fn duration(index: usize, field: &str, text: &str) -> Result<Duration, ConfigError> {
    promapi::parse_duration(text)
        .filter(|ms| *ms >= 0)
        .map(|ms| Duration::from_millis(ms as u64))
        .ok_or_else(|| invalid(index, format!("{field} {text:?} is not a duration such as 10s")))
}

fn group(
    index: usize,
    http: HttpConfig,
    static_configs: Vec<String>,
    file_sd_configs: Vec<FileSdConfig>,
    scheme: Option<String>,
    path_prefix: String,
    timeout: Option<Duration>,
) -> Result<EndpointGroup, ConfigError> {
    let scheme = scheme.unwrap_or_else(|| "http".into());
    if scheme != "http" && scheme != "https" {
        return Err(invalid(index, format!("scheme {scheme:?} is not http or https")));
    }
    if static_configs.is_empty() && file_sd_configs.is_empty() {
        return Err(invalid(index, "neither static_configs nor file_sd_configs".into()));
    }
    let path_prefix = normalized_prefix(&path_prefix);
    let mut files = Vec::new();
    for f in file_sd_configs {
        let refresh = match f.refresh_interval.as_deref() {
            None => DEFAULT_REFRESH,
            Some(t) => match duration(index, "refresh_interval", t)? {
                Duration::ZERO => DEFAULT_REFRESH,
                d => d,
            },
        };
        files.push(FileSd { files: f.files, refresh });
    }
    let addresses: Vec<String> =
        static_configs.iter().map(|a| address_spec(a, &scheme, &path_prefix)).collect();
    let name = static_configs
        .first()
        .cloned()
        .or_else(|| files.first().and_then(|f| f.files.first()).cloned())
        .unwrap_or_default();
    Ok(EndpointGroup {
        name,
        addresses,
        files,
        scheme,
        path_prefix,
        http,
        timeout,
        api_version: ApiVersion::V2,
    })
}

/// `/prefix` without a trailing slash, or empty.
fn normalized_prefix(p: &str) -> String {
    let p = p.trim_matches('/');
    if p.is_empty() {
        String::new()
    } else {
        format!("/{p}")
    }
}

/// `host:port` (or `dns+host:port`) of a config entry as a full spec: `dns+https://host:port/prefix`.
pub fn address_spec(address: &str, scheme: &str, path_prefix: &str) -> String {
    let (lookup, rest) = match address.split_once('+') {
        Some((l @ ("dns" | "dnssrv" | "dnssrvnoa"), rest)) => (format!("{l}+"), rest),
        _ => (String::new(), address),
    };
    if rest.contains("://") {
        return format!("{lookup}{rest}");
    }
    format!("{lookup}{scheme}://{}{path_prefix}", rest.trim_end_matches('/'))
}

/// Replaces `$(NAME)` with the environment variable's value; an unset one is an error.
fn expand_env(text: &str) -> Result<String, ConfigError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("$(") {
        let Some(len) = rest[start + 2..].find(')') else { break };
        let name = &rest[start + 2..start + 2 + len];
        let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        out.push_str(&rest[..start]);
        if valid {
            out.push_str(&std::env::var(name).map_err(|_| ConfigError::Env(name.to_string()))?);
        } else {
            out.push_str(&rest[start..start + 3 + len]);
        }
        rest = &rest[start + 3 + len..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_thanos_query_config() {
        let yaml = r#"
- http_config:
    basic_auth: {username: ruler, password_file: /secrets/pw}
    tls_config: {ca_file: /tls/ca.crt, server_name: query.svc}
  static_configs: ["query-0:9090", "dnssrv+_http._tcp.query.svc"]
  scheme: https
  path_prefix: /thanos/
- static_configs: ["10.0.0.1:9090"]
  file_sd_configs: [{files: ["/sd/*.yaml"], refresh_interval: 30s}, {files: ["/sd2/*.json"]}]
"#;
        let groups = query_groups(yaml).unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!(
            groups[0].addresses,
            vec!["https://query-0:9090/thanos", "dnssrv+https://_http._tcp.query.svc/thanos"]
        );
        assert_eq!(groups[0].http.basic_auth.password_file, "/secrets/pw");
        assert_eq!(groups[0].http.tls_config.server_name, "query.svc");
        assert_eq!(groups[0].timeout, None);
        assert_eq!(groups[1].addresses, vec!["http://10.0.0.1:9090"]);
        assert_eq!(groups[1].files[0].refresh, Duration::from_secs(30));
        assert_eq!(groups[1].files[1].refresh, DEFAULT_REFRESH);
        assert_eq!(groups[1].name, "10.0.0.1:9090");
    }

    #[test]
    fn reads_thanos_alerting_config() {
        let yaml = "alertmanagers:\n- static_configs: [am:9093]\n  timeout: 3s\n  api_version: v1\n\
                    - static_configs: [am2:9093]\n  scheme: https\n";
        let groups = alertmanager_groups(yaml, Duration::from_secs(10)).unwrap();
        assert_eq!(
            (groups[0].timeout, groups[0].api_version),
            (Some(Duration::from_secs(3)), ApiVersion::V1)
        );
        assert_eq!(
            (groups[1].timeout, groups[1].api_version),
            (Some(Duration::from_secs(10)), ApiVersion::V2)
        );
        assert_eq!(groups[1].addresses, vec!["https://am2:9093"]);
    }

    #[test]
    fn mistakes_are_named() {
        let typo = query_groups("- static_configs: [a:1]\n  http_config: {basic_auht: {}}\n").unwrap_err();
        assert!(typo.to_string().contains("basic_auht"), "{typo}");
        let scheme = query_groups("- static_configs: [a:1]\n  scheme: ftp\n").unwrap_err();
        assert_eq!(scheme.to_string(), "entry 0: scheme \"ftp\" is not http or https");
        let empty = query_groups("- scheme: http\n").unwrap_err();
        assert!(empty.to_string().contains("neither static_configs"), "{empty}");
        let api = alertmanager_groups(
            "alertmanagers:\n- static_configs: [a:1]\n  api_version: v3\n",
            Duration::ZERO,
        )
        .unwrap_err();
        assert!(api.to_string().contains("v3"), "{api}");
    }

    #[test]
    fn environment_variables_are_substituted() {
        std::env::set_var("RULER_TEST_QUERY_HOST", "q.example:9090");
        let groups = query_groups("- static_configs: [\"$(RULER_TEST_QUERY_HOST)\"]\n").unwrap();
        assert_eq!(groups[0].addresses, vec!["http://q.example:9090"]);
        let unset = query_groups("- static_configs: [\"$(RULER_TEST_UNSET_VARIABLE)\"]\n").unwrap_err();
        assert_eq!(unset.to_string(), "$(RULER_TEST_UNSET_VARIABLE): no such environment variable");
        assert_eq!(expand_env("a $(not valid) $( b").unwrap(), "a $(not valid) $( b");
    }
}
