//! Outbound HTTP as Thanos' `http_config` describes it ([`config::HttpConfig`]): basic auth or a
//! bearer token, TLS through rustls with a CA, a client certificate and `server_name`, a proxy, and
//! HTTP/2 where the server offers it.
//!
//! Secrets rotate without a restart: `password_file` and `bearer_token_file` are read for every
//! request, and the TLS files are checked for a change (modification time and size, through
//! symlinks as Kubernetes swaps them) before every request; a change rebuilds the connection pool.
//! A request can also be shown as the curl command that repeats it ([`curl`]).

pub mod config;
pub mod curl;
pub(crate) mod tls;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use config::HttpConfig;

use crate::stamp::Stamp;

/// Why a client cannot be built or a request cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("tls_config: {0}")]
    Tls(String),
    #[error("{field} {path}: {source}")]
    Read { field: &'static str, path: String, source: std::io::Error },
    #[error("{0}")]
    Conflict(&'static str),
    #[error("proxy_url {url:?}: {reason}")]
    Proxy { url: String, reason: String },
    #[error("HTTP client: {0}")]
    Build(String),
}

/// An HTTP client for one set of endpoints. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    http: HttpConfig,
    timeout: Option<Duration>,
    built: Mutex<Built>,
}

#[derive(Debug)]
struct Built {
    /// What the TLS files looked like when `client` was built.
    stamp: Stamp,
    client: reqwest::Client,
}

impl Client {
    /// Checks `http` and builds the client, so a bad file stops the start with its name. `timeout`
    /// bounds each whole request.
    pub fn new(http: HttpConfig, timeout: Option<Duration>) -> Result<Client, ClientError> {
        let auth = [
            !http.basic_auth.username.is_empty() || !http.basic_auth.password.is_empty(),
            !http.bearer_token.is_empty(),
            !http.bearer_token_file.is_empty(),
        ];
        if auth.iter().filter(|set| **set).count() > 1 {
            return Err(ClientError::Conflict(
                "at most one of basic_auth, bearer_token and bearer_token_file may be set",
            ));
        }
        if !http.basic_auth.password.is_empty() && !http.basic_auth.password_file.is_empty() {
            return Err(ClientError::Conflict(
                "basic_auth: at most one of password and password_file may be set",
            ));
        }
        let stamp = stamp(&http);
        let client = build(&http, timeout)?;
        Ok(Client(Arc::new(Inner { http, timeout, built: Mutex::new(Built { stamp, client }) })))
    }

    /// No credentials; the system's CA roots.
    pub fn plain(timeout: Option<Duration>) -> Result<Client, ClientError> {
        Client::new(HttpConfig::default(), timeout)
    }

    /// A request with the configured credentials, on a client rebuilt first if a TLS file changed.
    pub fn request(
        &self,
        method: reqwest::Method,
        url: &str,
    ) -> Result<reqwest::RequestBuilder, ClientError> {
        let request = self.current()?.request(method, url);
        let http = &self.0.http;
        let auth = &http.basic_auth;
        Ok(if !auth.username.is_empty() || !auth.password.is_empty() || !auth.password_file.is_empty() {
            let password = match auth.password_file.as_str() {
                "" => auth.password.clone(),
                path => read_secret("basic_auth.password_file", path)?,
            };
            request.basic_auth(&auth.username, Some(password))
        } else if !http.bearer_token.is_empty() {
            request.bearer_auth(&http.bearer_token)
        } else if !http.bearer_token_file.is_empty() {
            request.bearer_auth(read_secret("bearer_token_file", &http.bearer_token_file)?)
        } else {
            request
        })
    }

    fn current(&self) -> Result<reqwest::Client, ClientError> {
        let mut built = self.0.built.lock().unwrap();
        let now = stamp(&self.0.http);
        if now != built.stamp {
            // On failure the stamp stays, so the next request tries again.
            built.client = build(&self.0.http, self.0.timeout)?;
            built.stamp = now;
            tracing::info!("TLS files changed: HTTP client rebuilt");
        }
        Ok(built.client.clone())
    }
}

fn build(http: &HttpConfig, timeout: Option<Duration>) -> Result<reqwest::Client, ClientError> {
    let mut builder = reqwest::Client::builder().use_preconfigured_tls(tls::client_config(&http.tls_config)?);
    if let Some(t) = timeout {
        builder = builder.timeout(t);
    }
    if !http.proxy_url.is_empty() {
        let proxy = reqwest::Proxy::all(&http.proxy_url)
            .map_err(|e| ClientError::Proxy { url: http.proxy_url.clone(), reason: e.to_string() })?;
        builder = builder.proxy(proxy);
    }
    builder.build().map_err(|e| ClientError::Build(describe(&e)))
}

fn stamp(http: &HttpConfig) -> Stamp {
    let tls = &http.tls_config;
    Stamp::of([&tls.ca_file, &tls.cert_file, &tls.key_file].into_iter().filter(|p| !p.is_empty()))
}

/// A secret file's content without surrounding white space (as Prometheus reads it).
fn read_secret(field: &'static str, path: &str) -> Result<String, ClientError> {
    std::fs::read_to_string(path).map(|s| s.trim().to_string()).map_err(|source| ClientError::Read {
        field,
        path: path.into(),
        source,
    })
}

/// An error with its causes (`error sending request …: client error (Connect): invalid peer
/// certificate: UnknownIssuer`): reqwest's own message hides why a connection failed.
pub fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::config::{BasicAuth, TlsConfig};
    use super::*;

    #[test]
    fn credentials_conflict_as_prometheus_says() {
        let both = HttpConfig {
            basic_auth: BasicAuth { username: "u".into(), ..Default::default() },
            bearer_token: "t".into(),
            ..Default::default()
        };
        assert!(Client::new(both, None).unwrap_err().to_string().contains("at most one"));
        let two_passwords = HttpConfig {
            basic_auth: BasicAuth { username: "u".into(), password: "p".into(), password_file: "f".into() },
            ..Default::default()
        };
        assert!(Client::new(two_passwords, None).is_err());
    }

    #[test]
    fn a_missing_ca_file_is_named() {
        let http = HttpConfig {
            tls_config: TlsConfig { ca_file: "/nonexistent/ca.crt".into(), ..Default::default() },
            ..Default::default()
        };
        let e = Client::new(http, None).unwrap_err().to_string();
        assert!(e.contains("ca_file /nonexistent/ca.crt"), "{e}");
        let half = HttpConfig {
            tls_config: TlsConfig { cert_file: "/c.crt".into(), ..Default::default() },
            ..Default::default()
        };
        assert!(Client::new(half, None).unwrap_err().to_string().contains("together"));
    }

    #[test]
    fn secrets_are_read_per_request_and_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "first\n").unwrap();
        let http = HttpConfig {
            basic_auth: BasicAuth {
                username: "ruler".into(),
                password_file: file.display().to_string(),
                ..Default::default()
            },
            ..Default::default()
        };
        let client = Client::new(http, None).unwrap();
        let header = |c: &Client| {
            let r = c.request(reqwest::Method::GET, "http://127.0.0.1:1/").unwrap().build().unwrap();
            r.headers()["authorization"].to_str().unwrap().to_string()
        };
        // base64("ruler:first"), then base64("ruler:second").
        assert_eq!(header(&client), "Basic cnVsZXI6Zmlyc3Q=");
        std::fs::write(&file, "second").unwrap();
        assert_eq!(header(&client), "Basic cnVsZXI6c2Vjb25k");
        std::fs::remove_file(&file).unwrap();
        let e = client.request(reqwest::Method::GET, "http://127.0.0.1:1/").unwrap_err().to_string();
        assert!(e.starts_with("basic_auth.password_file "), "{e}");
    }
}
