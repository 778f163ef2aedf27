//! `--http.config`: Prometheus' web configuration file (the format `--web.config.file` takes, from
//! exporter-toolkit's documentation): TLS with an optional client-certificate policy, bcrypt basic
//! auth users, and security headers. Every endpoint follows it, health and readiness included, as
//! Prometheus' do.
//!
//! As Prometheus, the file is read again when it changes: the users and headers for the next request,
//! the certificates for the next connection. A file that no longer parses keeps the last good one
//! (logged); whether the port speaks TLS at all is settled at start.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Deserialize;

use crate::server_tls::{self, ServerFiles};
use crate::stamp::Stamp;

/// Why the web configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WebConfigError {
    #[error("{path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: {source}")]
    Yaml { path: String, source: serde_yaml_ng::Error },
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileFormat {
    tls_server_config: Option<TlsServerConfig>,
    http_server_config: HttpServerConfig,
    basic_auth_users: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct TlsServerConfig {
    cert_file: String,
    key_file: String,
    client_auth_type: String,
    client_ca_file: String,
    min_version: String,
    max_version: String,
    // Accepted so that existing files load; rustls offers only its own safe choices.
    cipher_suites: Vec<String>,
    curve_preferences: Vec<String>,
    prefer_server_cipher_suites: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct HttpServerConfig {
    http2: Option<bool>,
    headers: BTreeMap<String, String>,
}

/// Headers the file may set (as exporter-toolkit allows).
const SETTABLE_HEADERS: [&str; 5] = [
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "X-XSS-Protection",
    "Content-Security-Policy",
];

/// The configuration in force.
#[derive(Debug)]
pub struct Active {
    users: BTreeMap<String, String>,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// For new connections; `None` without `tls_server_config`.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// `--http.config`, re-read when it or a file it names changes.
#[derive(Debug)]
pub struct WebConfigFile {
    path: PathBuf,
    /// The files last read (the configuration and the certificates it names), how they looked
    /// then, and what they said.
    loaded: Mutex<(Vec<PathBuf>, Stamp, Arc<Active>)>,
    /// Successful `user:password` checks against a hash, so that bcrypt runs once per credential.
    verified: Mutex<HashSet<(String, String, String)>>,
}

impl WebConfigFile {
    /// Reads and checks the file; an error stops the start.
    pub fn load(path: &Path) -> Result<WebConfigFile, WebConfigError> {
        let (files, active) = read(path)?;
        let stamp = Stamp::of(&files);
        Ok(WebConfigFile {
            path: path.to_path_buf(),
            loaded: Mutex::new((files, stamp, Arc::new(active))),
            verified: Mutex::default(),
        })
    }

    /// The configuration now: read again if a file changed, else the last one that loaded.
    pub fn current(&self) -> Arc<Active> {
        let mut loaded = self.loaded.lock().unwrap();
        // A `stat` per file on each request; the file is read only when one changed.
        let now = Stamp::of(&loaded.0);
        if now != loaded.1 {
            match read(&self.path) {
                Ok((files, active)) => {
                    tracing::info!(file = %self.path.display(), "web configuration reloaded");
                    let stamp = if files == loaded.0 { now } else { Stamp::of(&files) };
                    *loaded = (files, stamp, Arc::new(active));
                    self.verified.lock().unwrap().clear();
                }
                Err(e) => {
                    tracing::error!(error = %e, "web configuration not reloaded; the last good one stays");
                    // Not again until the files change once more.
                    loaded.1 = now;
                }
            }
        }
        loaded.2.clone()
    }

    /// Whether the request's basic-auth credentials are a configured user's.
    async fn allows(&self, active: &Active, authorization: Option<&HeaderValue>) -> bool {
        let Some((user, password)) = authorization.and_then(basic_credentials) else { return false };
        let Some(hash) = active.users.get(&user) else { return false };
        let key = (user, hash.clone(), password);
        if self.verified.lock().unwrap().contains(&key) {
            return true;
        }
        let (password, hash) = (key.2.clone(), key.1.clone());
        let ok = tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
            .await
            .unwrap_or(false);
        if ok {
            let mut verified = self.verified.lock().unwrap();
            if verified.len() > 100 {
                verified.clear();
            }
            verified.insert(key);
        }
        ok
    }
}

/// Middleware: basic auth when users are configured (401 with no detail otherwise), and the
/// configured headers on every answer.
pub async fn guard(State(file): State<Arc<WebConfigFile>>, request: Request, next: Next) -> Response {
    let active = file.current();
    if !active.users.is_empty() && !file.allows(&active, request.headers().get(header::AUTHORIZATION)).await {
        let mut denied = (StatusCode::UNAUTHORIZED, "Unauthorized\n").into_response();
        denied.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic"));
        return with_headers(denied, &active);
    }
    with_headers(next.run(request).await, &active)
}

fn with_headers(mut response: Response, active: &Active) -> Response {
    for (name, value) in &active.headers {
        response.headers_mut().insert(name.clone(), value.clone());
    }
    response
}

fn basic_credentials(value: &HeaderValue) -> Option<(String, String)> {
    let encoded = value.to_str().ok()?.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let (user, password) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// The file and the certificate files it names (for change detection).
fn referenced_files(path: &Path, file: &FileFormat) -> Vec<PathBuf> {
    let mut files = vec![path.to_path_buf()];
    if let Some(tls) = &file.tls_server_config {
        for f in [&tls.cert_file, &tls.key_file, &tls.client_ca_file] {
            if !f.is_empty() {
                files.push(resolve(path, f));
            }
        }
    }
    files
}

/// Paths in the file are relative to its directory, as Prometheus takes them.
fn resolve(config: &Path, file: &str) -> PathBuf {
    match config.parent() {
        Some(dir) if Path::new(file).is_relative() => dir.join(file),
        _ => PathBuf::from(file),
    }
}

/// The file's configuration and the files to watch for it.
fn read(path: &Path) -> Result<(Vec<PathBuf>, Active), WebConfigError> {
    let name = path.display().to_string();
    let invalid = |reason: String| WebConfigError::Invalid { path: name.clone(), reason };
    let text = std::fs::read_to_string(path)
        .map_err(|source| WebConfigError::Read { path: name.clone(), source })?;
    let file: FileFormat = serde_yaml_ng::from_str(&text)
        .map_err(|source| WebConfigError::Yaml { path: name.clone(), source })?;
    for (user, hash) in &file.basic_auth_users {
        if !hash.starts_with("$2") {
            return Err(invalid(format!("basic_auth_users: {user:?}: not a bcrypt hash")));
        }
    }
    let mut headers = Vec::new();
    for (name, value) in &file.http_server_config.headers {
        if !SETTABLE_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name)) {
            return Err(invalid(format!("http_server_config: header {name:?} cannot be configured")));
        }
        let name =
            HeaderName::try_from(name.as_str()).map_err(|e| invalid(format!("header {name:?}: {e}")))?;
        let value =
            HeaderValue::try_from(value.as_str()).map_err(|e| invalid(format!("header {name}: {e}")))?;
        headers.push((name, value));
    }
    let http2 = file.http_server_config.http2.unwrap_or(true);
    let tls = match &file.tls_server_config {
        None => None,
        Some(t) => Some(Arc::new(server_config(path, t, http2).map_err(invalid)?)),
    };
    let files = referenced_files(path, &file);
    Ok((files, Active { users: file.basic_auth_users, headers, tls }))
}

fn server_config(path: &Path, t: &TlsServerConfig, http2: bool) -> Result<rustls::ServerConfig, String> {
    if t.cert_file.is_empty() {
        return Err("tls_server_config: missing cert_file".into());
    }
    if t.key_file.is_empty() {
        return Err("tls_server_config: missing key_file".into());
    }
    let versions: &[&rustls::SupportedProtocolVersion] =
        match (t.min_version.as_str(), t.max_version.as_str()) {
            ("TLS13", _) => &[&rustls::version::TLS13],
            (_, "TLS12") => &[&rustls::version::TLS12],
            ("" | "TLS10" | "TLS11" | "TLS12", "" | "TLS13") => rustls::ALL_VERSIONS,
            (min, max) => {
                return Err(format!("tls_server_config: versions {min:?}..{max:?} are not TLS10..TLS13"))
            }
        };
    let required = match t.client_auth_type.as_str() {
        "" | "NoClientCert" => None,
        "VerifyClientCertIfGiven" => Some(false),
        "RequireAndVerifyClientCert" => Some(true),
        other => {
            return Err(format!(
                "tls_server_config: client_auth_type {other:?} is not supported (NoClientCert, \
                 VerifyClientCertIfGiven or RequireAndVerifyClientCert)"
            ))
        }
    };
    let client_ca = resolve(path, &t.client_ca_file);
    let client_ca = match required {
        None if !t.client_ca_file.is_empty() => {
            return Err("tls_server_config: client_ca_file is set but client_auth_type does not verify".into())
        }
        None => None,
        Some(_) if t.client_ca_file.is_empty() => {
            return Err(format!(
                "tls_server_config: client_auth_type {} needs client_ca_file",
                t.client_auth_type
            ))
        }
        Some(required) => Some((client_ca.as_path(), required)),
    };
    let alpn: &[&[u8]] = if http2 { &[b"h2", b"http/1.1"] } else { &[b"http/1.1"] };
    server_tls::server_config(&ServerFiles {
        cert: &resolve(path, &t.cert_file),
        key: &resolve(path, &t.key_file),
        client_ca,
        versions,
        alpn,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<WebConfigFile, WebConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("web.yml");
        std::fs::write(&path, text).unwrap();
        WebConfigFile::load(&path)
    }

    #[test]
    fn mistakes_are_named() {
        let e = |text: &str| load(text).unwrap_err().to_string();
        assert!(e("basic_auth_users: {admin: plaintext}\n").contains("not a bcrypt hash"));
        assert!(e("http_server_config: {headers: {Server: x}}\n").contains("\"Server\" cannot be configured"));
        assert!(e("tls_server_config: {key_file: k}\n").contains("missing cert_file"));
        assert!(e("tls_server_config: {cert_file: c, key_file: k, client_ca_file: ca}\n")
            .contains("client_auth_type does not verify"));
        assert!(e(
            "tls_server_config: {cert_file: c, key_file: k, client_auth_type: RequireAnyClientCert}\n"
        )
        .contains("not supported"));
        assert!(
            e("tls_server_config: {cert_file: /nonexistent.crt, key_file: k}\n").contains("/nonexistent.crt")
        );
        assert!(e("basic_auth_user: {}\n").contains("basic_auth_user"));
    }

    #[tokio::test]
    async fn users_and_headers_apply() {
        let hash = bcrypt::hash("pw", 4).unwrap();
        let file =
            load(&format!("basic_auth_users: {{admin: '{hash}'}}\nhttp_server_config: {{headers: {{X-Frame-Options: deny}}}}\n"))
                .unwrap();
        let active = file.current();
        let basic = |s: &str| {
            HeaderValue::try_from(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(s)))
                .unwrap()
        };
        assert!(file.allows(&active, Some(&basic("admin:pw"))).await);
        assert!(file.allows(&active, Some(&basic("admin:pw"))).await, "from the cache");
        assert!(!file.allows(&active, Some(&basic("admin:nope"))).await);
        assert!(!file.allows(&active, Some(&basic("root:pw"))).await);
        assert!(!file.allows(&active, Some(&HeaderValue::from_static("Bearer x"))).await);
        assert!(!file.allows(&active, None).await);
        assert_eq!(active.headers[0].0, "x-frame-options");
        assert!(active.tls.is_none());
    }
}
