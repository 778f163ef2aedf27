//! `ruler run` flags, named as `thanos rule` names them, one group per component.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use promapi::Labels;

use crate::client::config::{alertmanager_groups, query_groups, ConfigError, EndpointGroup};
use crate::grpc::server::TlsFiles;
use crate::grpc::store::Limits;
use crate::manager::{GrpcConfig, RunConfig};
use crate::notifier::NotifyOptions;
use crate::objstore::{BucketConfig, BucketError};
use crate::query::http::Method;
use crate::rules::alerting::RestoreOptions;
use crate::rules::group::{Defaults, EvalOptions};
use crate::storage::StorageOptions;

#[derive(Debug, Clone, Args)]
pub struct QueryArgs {
    /// Query API to evaluate rules against: `http(s)://host:port[/prefix]`, or `dns+host:port`,
    /// `dnssrv+_name._tcp.domain`, `dnssrvnoa+…` to look it up in DNS. Repeatable: every address is
    /// tried in turn before an evaluation fails.
    #[arg(long = "query", required_unless_present_any = ["query_config", "query_config_file"])]
    pub query: Vec<String>,
    /// Query APIs with credentials and TLS, in Thanos' format: a YAML list of `{http_config,
    /// static_configs, file_sd_configs, scheme, path_prefix}`. Instead of --query.
    #[arg(long = "query.config", conflicts_with_all = ["query", "query_config_file"])]
    pub query_config: Option<String>,
    /// Path to a YAML file with what --query.config takes.
    #[arg(long = "query.config-file", conflicts_with = "query")]
    pub query_config_file: Option<PathBuf>,
    /// HTTP method of queries: POST (form-encoded body) or GET.
    #[arg(long = "query.http-method", default_value = "POST", value_enum)]
    pub http_method: Method,
    /// How often DNS addresses of --query are looked up again.
    #[arg(long = "query.sd-dns-interval", default_value = "30s", value_parser = duration_ms)]
    pub query_sd_dns_interval: i64,
    /// DNS server (ip:port) for dns+/dnssrv+ lookups instead of the system's resolver.
    #[arg(long = "dns.nameserver", hide = true)]
    pub nameserver: Option<std::net::SocketAddr>,
}

#[derive(Debug, Clone, Args)]
pub struct RuleArgs {
    /// Rule files (globs); repeatable.
    #[arg(long = "rule-file", default_value = "rules/*.yaml")]
    pub rule_file: Vec<String>,
    /// How often the rule files (and what the globs match) are checked for changes; a change is
    /// loaded, as SIGHUP would, once the files have stayed the same for one more interval. 0s: only
    /// SIGHUP and POST /-/reload.
    #[arg(long = "rule-file.watch-interval", default_value = "5s", value_parser = duration_ms)]
    pub rule_file_watch_interval: i64,
    /// Default evaluation interval of groups that set none.
    #[arg(long = "eval-interval", default_value = "1m", value_parser = duration_ms)]
    pub eval_interval: i64,
    /// Default query_offset of groups that set none.
    #[arg(long = "rule-query-offset", default_value = "0s", value_parser = duration_ms)]
    pub rule_query_offset: i64,
    /// External label `name="value"`; repeatable. Set on alerts sent to Alertmanager.
    #[arg(long = "label", value_parser = label)]
    pub label: Vec<(String, String)>,
}

#[derive(Debug, Clone, Args)]
pub struct AlertArgs {
    /// Alertmanager URL (`http(s)://host[:port][/prefix]`, or with a `dns+`/`dnssrv+` prefix; port
    /// 9093 unless given or found in SRV); repeatable. Every one gets every alert; for one that
    /// resolves to several addresses, a batch is delivered when one of them accepts it.
    #[arg(long = "alertmanagers.url")]
    pub alertmanagers_url: Vec<String>,
    /// Alertmanagers with credentials and TLS, in Thanos' format: `alertmanagers:` entries of
    /// `{http_config, static_configs, file_sd_configs, scheme, path_prefix, timeout, api_version}`.
    /// Instead of --alertmanagers.url.
    #[arg(long = "alertmanagers.config", conflicts_with_all = ["alertmanagers_url", "alertmanagers_config_file"])]
    pub alertmanagers_config: Option<String>,
    /// Path to a YAML file with what --alertmanagers.config takes.
    #[arg(long = "alertmanagers.config-file", conflicts_with = "alertmanagers_url")]
    pub alertmanagers_config_file: Option<PathBuf>,
    /// How often DNS addresses of --alertmanagers.url are looked up again.
    #[arg(long = "alertmanagers.sd-dns-interval", default_value = "30s", value_parser = duration_ms)]
    pub alertmanagers_sd_dns_interval: i64,
    /// Timeout of one send to an Alertmanager (entries of --alertmanagers.config set their own).
    #[arg(long = "alertmanagers.send-timeout", default_value = "10s", value_parser = duration_ms)]
    pub send_timeout: i64,
    /// Base URL of the query UI for alerts' generatorURL (Thanos UI link format).
    #[arg(long = "alert.query-url", default_value = "")]
    pub query_url: String,
    /// The rest of each alert's generatorURL, after --alert.query-url: a Go template in which
    /// {{.Expr}} is the rule's expression, query-escaped.
    #[arg(long = "alert.query-template", default_value = crate::notifier::DEFAULT_QUERY_TEMPLATE)]
    pub query_template: String,
    /// Label removed from alerts before sending (e.g. the replica label of an HA pair); repeatable.
    /// Quotes around the name (`--alert.label-drop="rule_replica"`, as Kubernetes passes it) are
    /// taken off, with a warning.
    #[arg(long = "alert.label-drop")]
    pub label_drop: Vec<String>,
    /// Prometheus relabel configs (a YAML list of `relabel_config`) applied to every alert after
    /// --alert.label-drop; `keep`/`drop` rules can stop an alert from being sent.
    #[arg(long = "alert.relabel-config", conflicts_with = "relabel_config_file")]
    pub relabel_config: Option<String>,
    /// Path to a YAML file with what --alert.relabel-config takes.
    #[arg(long = "alert.relabel-config-file")]
    pub relabel_config_file: Option<PathBuf>,
    /// Minimum time between two sends of the same alert.
    #[arg(long = "resend-delay", default_value = "1m", value_parser = duration_ms)]
    pub resend_delay: i64,
    /// While queries fail, keep resending firing alerts (for up to --for-outage-tolerance) and raise a
    /// RulerQueryUnavailable alert, instead of letting Alertmanager resolve everything after a few
    /// intervals as Thanos and Prometheus do.
    #[arg(long = "alert.resend-on-query-failure", default_value_t = true, action = clap::ArgAction::Set)]
    pub resend_on_query_failure: bool,
    /// How long firing alerts are kept alive while the querier is unreachable.
    #[arg(long = "for-outage-tolerance", default_value = "1h", value_parser = duration_ms)]
    pub for_outage_tolerance: i64,
    /// Minimum time a restored alert that was pending waits before firing.
    #[arg(long = "for-grace-period", default_value = "10m", value_parser = duration_ms)]
    pub for_grace_period: i64,
}

#[derive(Debug, Clone, Args)]
pub struct StorageArgs {
    /// Data directory: a Prometheus TSDB (write-ahead log and blocks) holding every rule result.
    #[arg(long = "data-dir", default_value = "data/")]
    pub data_dir: std::path::PathBuf,
    /// Length of the aligned windows cut into blocks.
    #[arg(long = "tsdb.block-duration", default_value = "2h", value_parser = duration_ms)]
    pub block_duration: i64,
    /// How long blocks are kept in the data directory.
    #[arg(long = "tsdb.retention", default_value = "48h", value_parser = duration_ms)]
    pub retention: i64,
    /// Object storage for blocks, Thanos objstore YAML (FILESYSTEM or S3): new blocks are uploaded to it.
    #[arg(long = "objstore.config", conflicts_with = "objstore_config_file")]
    pub objstore_config: Option<String>,
    /// File holding the object storage YAML.
    #[arg(long = "objstore.config-file")]
    pub objstore_config_file: Option<std::path::PathBuf>,
}

/// Why the data directory or the bucket configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error(transparent)]
    Bucket(#[from] BucketError),
}

impl StorageArgs {
    /// Creates the data directory and checks the object storage configuration.
    pub fn prepare(&self) -> Result<Option<BucketConfig>, PrepareError> {
        std::fs::create_dir_all(&self.data_dir).map_err(|source| PrepareError::Io {
            what: format!("--data-dir {}", self.data_dir.display()),
            source,
        })?;
        let (what, yaml) = match (&self.objstore_config, &self.objstore_config_file) {
            (Some(y), _) => ("--objstore.config".to_string(), y.clone()),
            (None, Some(f)) => {
                let what = format!("--objstore.config-file {}", f.display());
                let y = std::fs::read_to_string(f)
                    .map_err(|source| PrepareError::Io { what: what.clone(), source })?;
                (what, y)
            }
            (None, None) => return Ok(None),
        };
        Ok(Some(BucketConfig::parse(&what, &yaml)?))
    }
}

#[derive(Debug, Clone, Args)]
pub struct HttpArgs {
    /// Address the HTTP API listens on.
    #[arg(long = "http-address", default_value = "0.0.0.0:10902")]
    pub http_address: String,
    /// Prometheus' web configuration file for the HTTP port: `tls_server_config` (client
    /// certificates too), `basic_auth_users` (bcrypt), `http_server_config.headers`; re-read when
    /// it changes. Every endpoint follows it, health and readiness included.
    #[arg(long = "http.config")]
    pub http_config: Option<std::path::PathBuf>,
    /// Directory of the built console (`dist/`) to serve at `/` (its Rules and Alerts pages then show
    /// this ruler's); paths outside `/api/` that are no file get its `index.html`.
    #[arg(long = "web.console-dir")]
    pub console_dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct GrpcArgs {
    /// Address the gRPC API listens on: StoreAPI, Info and Rules for Thanos Queriers
    /// (`--endpoint`/`--store` on the Querier), health and reflection.
    #[arg(long = "grpc-address", default_value = "0.0.0.0:10901")]
    pub grpc_address: String,
    /// How long calls in progress may go on after a shutdown signal.
    #[arg(long = "grpc-grace-period", default_value = "2m", value_parser = duration_ms)]
    pub grace_period: i64,
    /// TLS certificate (PEM) of the gRPC server; plain HTTP/2 without it.
    #[arg(long = "grpc-server-tls-cert", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// TLS key (PEM) of the gRPC server.
    #[arg(long = "grpc-server-tls-key", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// CA (PEM) that client certificates must be signed by; clients must then present one (mTLS).
    #[arg(long = "grpc-server-tls-client-ca", requires = "tls_cert")]
    pub tls_client_ca: Option<std::path::PathBuf>,
    /// Most series one Series call may return (0: no limit); more is refused with ResourceExhausted.
    #[arg(long = "store.limits.request-series", default_value_t = 0)]
    pub limit_series: u64,
    /// Most samples one Series call may return (0: no limit), counted as chunks are read.
    #[arg(long = "store.limits.request-samples", default_value_t = 0)]
    pub limit_samples: u64,
}

impl GrpcArgs {
    pub fn config(&self) -> GrpcConfig {
        GrpcConfig {
            grace: Duration::from_millis(self.grace_period as u64),
            tls: self.tls_cert.clone().zip(self.tls_key.clone()).map(|(cert, key)| TlsFiles {
                cert,
                key,
                client_ca: self.tls_client_ca.clone(),
            }),
            limits: Limits { series: self.limit_series, samples: self.limit_samples },
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// debug, info, warn or error.
    #[arg(long = "log.level", default_value = "info")]
    pub level: String,
    /// logfmt or json.
    #[arg(long = "log.format", default_value = "logfmt", value_parser = ["logfmt", "json"])]
    pub format: String,
}

fn duration_ms(s: &str) -> Result<i64, String> {
    promapi::parse_duration(s).ok_or_else(|| format!("{s:?} is not a duration such as 1m or 30s"))
}

/// `name="value"` (the value Go-quoted, as `thanos rule --label` takes it).
fn label(s: &str) -> Result<(String, String), String> {
    let (name, value) = s.split_once('=').ok_or_else(|| format!("{s:?}: expected name=\"value\""))?;
    if !crate::config::rulefmt::is_label_name(name) {
        return Err(format!("{name:?} is not a valid label name"));
    }
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .ok_or_else(|| format!("{s:?}: the value must be double-quoted"))?;
    Ok((name.to_string(), value.replace("\\\"", "\"").replace("\\\\", "\\")))
}

/// A label name given to `flag`, without the quotes a manifest may have put around it (reported in
/// `quoted`); an error naming the flag when it is no label name even so.
pub fn label_name(flag: &str, raw: &str) -> Result<(String, bool), String> {
    let unquoted = ['"', '\'']
        .iter()
        .find_map(|q| raw.strip_prefix(*q).and_then(|r| r.strip_suffix(*q)))
        .filter(|_| raw.len() >= 2);
    let name = unquoted.unwrap_or(raw);
    if !crate::config::rulefmt::is_label_name(name) {
        return Err(format!("{flag}={raw}: {name:?} is not a valid label name"));
    }
    Ok((name.to_string(), unquoted.is_some()))
}

/// Why `--query.config(-file)` or `--alertmanagers.config(-file)` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum EndpointConfigError {
    #[error("{flag} {path}: {source}")]
    Read { flag: &'static str, path: String, source: std::io::Error },
    #[error("{what}: {source}")]
    Content { what: String, source: ConfigError },
}

/// The inline flag's text, or the file's, with what to call it in errors.
fn config_text(
    inline: (&'static str, &Option<String>),
    file: (&'static str, &Option<PathBuf>),
) -> Result<Option<(String, String)>, EndpointConfigError> {
    match (inline.1, file.1) {
        (Some(text), _) => Ok(Some((inline.0.to_string(), text.clone()))),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|source| EndpointConfigError::Read {
                flag: file.0,
                path: path.display().to_string(),
                source,
            })?;
            Ok(Some((format!("{} {}", file.0, path.display()), text)))
        }
        (None, None) => Ok(None),
    }
}

impl QueryArgs {
    /// The query endpoint groups of --query.config(-file), if given (else those of --query).
    pub fn config_groups(&self) -> Result<Option<Vec<EndpointGroup>>, EndpointConfigError> {
        let Some((what, text)) = config_text(
            ("--query.config", &self.query_config),
            ("--query.config-file", &self.query_config_file),
        )?
        else {
            return Ok(None);
        };
        query_groups(&text).map(Some).map_err(|source| EndpointConfigError::Content { what, source })
    }
}

impl AlertArgs {
    /// The Alertmanager groups of --alertmanagers.config(-file), if given.
    pub fn config_groups(&self) -> Result<Option<Vec<EndpointGroup>>, EndpointConfigError> {
        let Some((what, text)) = config_text(
            ("--alertmanagers.config", &self.alertmanagers_config),
            ("--alertmanagers.config-file", &self.alertmanagers_config_file),
        )?
        else {
            return Ok(None);
        };
        alertmanager_groups(&text, Duration::from_millis(self.send_timeout as u64))
            .map(Some)
            .map_err(|source| EndpointConfigError::Content { what, source })
    }
}

/// The run configuration the flags describe; `bucket` is what [`StorageArgs::prepare`] returned.
pub fn run_config(
    q: &QueryArgs,
    r: &RuleArgs,
    a: &AlertArgs,
    s: &StorageArgs,
    bucket: Option<crate::objstore::BucketConfig>,
) -> RunConfig {
    let external_labels: Labels = r.label.iter().cloned().collect();
    RunConfig {
        data_dir: s.data_dir.clone(),
        storage: StorageOptions {
            block_ms: s.block_duration,
            retention_ms: s.retention,
            external_labels: external_labels.clone(),
        },
        restore: RestoreOptions {
            outage_tolerance_ms: a.for_outage_tolerance,
            grace_period_ms: a.for_grace_period,
        },
        rule_files: r.rule_file.clone(),
        rule_watch_interval: Duration::from_millis(r.rule_file_watch_interval as u64),
        queriers: EndpointGroup::from_flags(&q.query, None),
        query_method: q.http_method,
        query_dns_interval: Duration::from_millis(q.query_sd_dns_interval as u64),
        nameserver: q.nameserver,
        alertmanagers: EndpointGroup::from_flags(
            &a.alertmanagers_url,
            Some(Duration::from_millis(a.send_timeout as u64)),
        ),
        alertmanager_dns_interval: Duration::from_millis(a.alertmanagers_sd_dns_interval as u64),
        resend_delay: Duration::from_millis(a.resend_delay as u64),
        send_timeout: Duration::from_millis(a.send_timeout as u64),
        defaults: Defaults {
            interval_ms: r.eval_interval,
            query_offset_ms: r.rule_query_offset,
            external_labels: external_labels.clone(),
            external_url: a.query_url.clone(),
        },
        notify: NotifyOptions {
            label_drop: a.label_drop.clone(),
            external_labels,
            query_url: a.query_url.clone(),
            query_template: a.query_template.clone(),
            relabel: Default::default(),
        },
        eval: EvalOptions {
            resend_delay_ms: a.resend_delay,
            outage_tolerance_ms: a.resend_on_query_failure.then_some(a.for_outage_tolerance),
        },
        bucket,
        console_dir: None,
        http_config: None,
        grpc: GrpcConfig::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse_like_thanos() {
        assert_eq!(label(r#"rule_replica="ruler-0""#), Ok(("rule_replica".into(), "ruler-0".into())));
        assert_eq!(label(r#"a="q\"x""#), Ok(("a".into(), "q\"x".into())));
        assert!(label("a=b").is_err());
        assert!(label(r#"0a="b""#).is_err());
        assert!(label("nothing").is_err());
    }

    #[test]
    fn label_names_lose_their_quotes() {
        let f = "--alert.label-drop";
        assert_eq!(label_name(f, "rule_replica"), Ok(("rule_replica".into(), false)));
        assert_eq!(label_name(f, "\"rule_replica\""), Ok(("rule_replica".into(), true)));
        assert_eq!(label_name(f, "'rule_replica'"), Ok(("rule_replica".into(), true)));
        let e = label_name(f, "\"rule-replica\"").unwrap_err();
        assert!(e.contains("--alert.label-drop") && e.contains("not a valid label name"), "{e}");
        assert!(label_name(f, "\"").is_err());
        assert!(label_name(f, "").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(duration_ms("1m"), Ok(60_000));
        assert!(duration_ms("1 minute").is_err());
    }
}
