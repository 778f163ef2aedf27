//! TLS and authentication on the way out, as `--query.config-file` and `--alertmanagers.config-file`
//! configure them, against a real Prometheus 2.42 and a real Alertmanager 0.25 behind their
//! `--web.config.file` (TLS, bcrypt basic auth, client certificates), with certificates made here.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use promapi::rules::{Rule, RulesData};
use promapi::{ApiResponse, QueryData};
use ruler::client::config::{BasicAuth, HttpConfig, TlsConfig};
use ruler::client::Client;
use ruler::discovery::Endpoints;
use ruler::query::http::{HttpQuerier, Method};
use ruler::query::Querier;
use serde_json::Value;
use testkit::certs::{web_config, Certs};
use testkit::process::{free_port, wait_ready, Alertmanager, ChildGuard, Prometheus};

use crate::support::{eventually, exporter, get_json};

const USER: &str = "ruler";
const PASSWORD: &str = "s3cret";

async fn secured_prometheus(cert: &Path, key: &Path) -> Result<Prometheus> {
    let exporter = exporter().await?;
    let scrape = format!("  - job_name: demo\n    static_configs:\n      - targets: ['{exporter}']\n");
    let web = web_config(cert, key, USER, PASSWORD, None)?;
    Prometheus::start_with(&[("replica", "a")], &scrape, None, Some(&web)).await
}

fn http(ca: &Path, password: &str, server_name: &str, skip: bool) -> HttpConfig {
    HttpConfig {
        basic_auth: BasicAuth { username: USER.into(), password: password.into(), ..Default::default() },
        tls_config: TlsConfig {
            ca_file: ca.display().to_string(),
            server_name: server_name.into(),
            insecure_skip_verify: skip,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// What the ruler's querier says for one `http_config` against `url`.
async fn outcome(url: &str, config: HttpConfig) -> Result<String> {
    let endpoints = Arc::new(Endpoints::parse(&[url.to_string()], None)?);
    let q =
        HttpQuerier::new(vec![Client::new(config, Some(Duration::from_secs(10)))?], endpoints, Method::Post);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64;
    Ok(match q.query("vector(7)", now, false).await {
        Ok(out) => format!("ok {}", out.samples[0].1),
        Err(e) => e.to_string(),
    })
}

#[tokio::test]
async fn each_tls_and_auth_mistake_fails_with_its_own_words() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let certs = Certs::make(&dir.path().join("good"))?;
    let other = Certs::make(&dir.path().join("other"))?;
    let (expired_cert, expired_key) = certs.expired_server()?;
    let prom = secured_prometheus(&certs.server_cert, &certs.server_key).await?;
    let stale = secured_prometheus(&expired_cert, &expired_key).await?;

    assert_eq!(outcome(&prom.url, http(&certs.ca, PASSWORD, "", false)).await?, "ok 7");
    // The certificate names localhost and 127.0.0.1: server_name replaces the URL's host.
    assert_eq!(outcome(&prom.url, http(&certs.ca, PASSWORD, "localhost", false)).await?, "ok 7");
    let cases = [
        ("wrong password", prom.url.as_str(), http(&certs.ca, "guess", "", false), "HTTP 401 Unauthorized"),
        (
            "unknown CA",
            &prom.url,
            http(&other.ca, PASSWORD, "", false),
            "invalid peer certificate: UnknownIssuer",
        ),
        (
            "wrong server name",
            &prom.url,
            http(&certs.ca, PASSWORD, "query.example", false),
            "certificate not valid for name \"query.example\"",
        ),
        (
            "expired certificate",
            &stale.url,
            http(&certs.ca, PASSWORD, "", false),
            "invalid peer certificate: certificate expired",
        ),
    ];
    for (what, url, config, expected) in cases {
        let said = outcome(url, config).await?;
        assert!(said.starts_with("no query API server reachable: https://127.0.0.1:"), "{what}: {said}");
        assert!(said.contains(expected), "{what}: expected {expected:?} in {said:?}");
    }
    assert_eq!(
        outcome(&prom.url, http(&other.ca, PASSWORD, "", true)).await?,
        "ok 7",
        "insecure_skip_verify"
    );
    let plain =
        outcome(&prom.url.replace("https://", "http://"), http(&certs.ca, PASSWORD, "", false)).await?;
    assert!(plain.contains("HTTP 400 Bad Request"), "plain HTTP to a TLS port: {plain}");
    Ok(())
}

const RULES: &str = "groups:
  - name: secure
    interval: 1s
    rules:
      - record: secure:e2e_value:sum
        expr: sum(e2e_value)
      - alert: ThroughTls
        expr: sum(e2e_value) > 10
        labels:
          severity: page
";

/// The one recording rule's health and last error.
async fn recording_health(ruler: &str) -> Result<(String, String)> {
    let r: ApiResponse<RulesData> = get_json(&format!("{ruler}/api/v1/rules")).await?;
    let rules = r.data.context("no data")?.groups.remove(0).rules;
    for rule in rules {
        if let Rule::Recording(rr) = rule {
            return Ok((rr.health, rr.last_error.unwrap_or_default()));
        }
    }
    anyhow::bail!("no recording rule")
}

async fn wait_health(ruler: &str, health: &str, error_part: &str) -> Result<String> {
    eventually(&format!("the recording rule to be {health} with {error_part:?}"), || async {
        let (h, e) = recording_health(ruler).await?;
        Ok((h == health && e.contains(error_part)).then_some(e))
    })
    .await
}

#[tokio::test]
async fn the_ruler_works_through_tls_and_auth_and_follows_rotated_secrets() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let certs = Certs::make(&dir.path().join("good"))?;
    let other = Certs::make(&dir.path().join("other"))?;
    let prom = secured_prometheus(&certs.server_cert, &certs.server_key).await?;
    // Alertmanager also wants the ruler's client certificate.
    let am_web = web_config(&certs.server_cert, &certs.server_key, USER, PASSWORD, Some(&certs.ca))?;
    let am = Alertmanager::start_with(free_port()?, Some(&am_web)).await?;

    // The secrets as Kubernetes mounts them: files the ruler must re-read when they change.
    let secrets = dir.path().join("secrets");
    std::fs::create_dir_all(&secrets)?;
    let (ca, password) = (secrets.join("ca.crt"), secrets.join("password"));
    std::fs::copy(&certs.ca, &ca)?;
    std::fs::write(&password, "wrong\n")?;
    std::fs::write(dir.path().join("rules.yaml"), RULES)?;
    let port = |url: &str| url.rsplit(':').next().unwrap_or_default().to_string();
    let query_config = format!(
        "- http_config:\n    basic_auth: {{username: {USER}, password_file: {}}}\n    tls_config: {{ca_file: {}, server_name: localhost}}\n\
         \x20 static_configs: ['127.0.0.1:{}']\n  scheme: https\n",
        password.display(),
        ca.display(),
        port(&prom.url)
    );
    std::fs::write(dir.path().join("query.yaml"), query_config)?;
    let am_config = format!(
        "alertmanagers:\n- http_config:\n    basic_auth: {{username: {USER}, password: {PASSWORD}}}\n\
         \x20   tls_config: {{ca_file: {}, cert_file: {}, key_file: {}}}\n\
         \x20 static_configs: ['127.0.0.1:{}']\n  scheme: https\n  timeout: 5s\n  api_version: v2\n",
        certs.ca.display(),
        certs.client_cert.display(),
        certs.client_key.display(),
        port(&am.url)
    );
    std::fs::write(dir.path().join("alerting.yaml"), am_config)?;

    let http_port = free_port()?;
    let ruler_url = format!("http://127.0.0.1:{http_port}");
    let args: Vec<String> = vec![
        "run".into(),
        format!("--query.config-file={}", dir.path().join("query.yaml").display()),
        format!("--alertmanagers.config-file={}", dir.path().join("alerting.yaml").display()),
        format!("--rule-file={}", dir.path().join("rules.yaml").display()),
        "--eval-interval=1s".into(),
        format!("--http-address=127.0.0.1:{http_port}"),
        format!("--grpc-address=127.0.0.1:{}", free_port()?),
        format!("--data-dir={}", dir.path().join("data").display()),
    ];
    let _ruler = ChildGuard::spawn(env!("CARGO_BIN_EXE_ruler"), &args, Some(&dir.path().join("ruler.log")))?;
    wait_ready(&format!("{ruler_url}/-/ready"), Duration::from_secs(20)).await?;

    let said = wait_health(&ruler_url, "err", "HTTP 401 Unauthorized").await?;
    assert!(!said.contains(PASSWORD) && !said.contains("wrong"), "no secret in the error: {said}");
    // The password is rotated: the next evaluation uses it, without a restart.
    std::fs::write(&password, format!("{PASSWORD}\n"))?;
    wait_health(&ruler_url, "ok", "").await?;

    // Why the rule did what it did: its evaluations, and a curl that sends its query as the ruler
    // did (the password read from its file when run, never shown).
    let insight = eventually("an evaluation that returned the sum", || async {
        let rules: ApiResponse<RulesData> = get_json(&format!("{ruler_url}/api/v1/rules")).await?;
        let recording =
            rules.data.context("no data")?.groups.remove(0).rules.into_iter().find_map(|r| match r {
                Rule::Recording(r) => Some(r),
                Rule::Alerting(_) => None,
            });
        let insight = recording.context("no recording rule")?.insight;
        Ok((insight.evaluations.first().is_some_and(|e| e.series_returned > 0)).then_some(insight))
    })
    .await?;
    let latest = &insight.evaluations[0];
    assert_eq!((latest.series_returned, latest.samples_written, latest.error.as_deref()), (1, 1, None));
    assert!(
        insight.evaluations.iter().any(|e| e.error.as_deref().is_some_and(|e| e.contains("HTTP 401"))),
        "the evaluations before the rotation failed: {:?}",
        insight.evaluations
    );
    let command = insight.query_command.context("no query command")?;
    assert!(!command.contains(PASSWORD) && command.contains("$(cat "), "{command}");
    let ran = std::process::Command::new("sh").args(["-c", &command]).output()?;
    let answer: ApiResponse<QueryData> = serde_json::from_slice(&ran.stdout)
        .with_context(|| format!("{command}\n{}", String::from_utf8_lossy(&ran.stderr)))?;
    assert!(
        matches!(&answer.data, Some(QueryData::Vector(v)) if v.len() == 1),
        "{command} answered {answer:?}"
    );

    // The alert reaches Alertmanager over mutual TLS; read it back the same way.
    let am_client = Client::new(
        HttpConfig {
            basic_auth: BasicAuth { username: USER.into(), password: PASSWORD.into(), ..Default::default() },
            tls_config: TlsConfig {
                ca_file: certs.ca.display().to_string(),
                cert_file: certs.client_cert.display().to_string(),
                key_file: certs.client_key.display().to_string(),
                ..Default::default()
            },
            ..Default::default()
        },
        Some(Duration::from_secs(5)),
    )?;
    let alerts_url = format!("{}/api/v2/alerts", am.url);
    let alert = eventually("Alertmanager to hold ThroughTls", || async {
        let v: Vec<Value> =
            am_client.request(reqwest::Method::GET, &alerts_url)?.send().await?.json().await?;
        Ok(v.into_iter().find(|a| a["labels"]["alertname"] == "ThroughTls"))
    })
    .await?;
    assert_eq!(alert["labels"]["severity"], "page");

    // The CA file is swapped for another CA's (a rotation gone wrong), then put back.
    std::fs::copy(&other.ca, &ca)?;
    wait_health(&ruler_url, "err", "UnknownIssuer").await?;
    std::fs::copy(&certs.ca, &ca)?;
    wait_health(&ruler_url, "ok", "").await?;
    Ok(())
}

/// `ruler run` with `args`: its exit code and standard error, when it stops within 20 s.
fn run_briefly(dir: &Path, args: &[String]) -> Result<(i32, String)> {
    let log = dir.join("stopped.log");
    let mut child = ChildGuard::spawn(env!("CARGO_BIN_EXE_ruler"), args, Some(&log))?;
    let status = child.wait_timeout(Duration::from_secs(20))?.context("ruler run kept running")?;
    Ok((status.code().unwrap_or(-1), std::fs::read_to_string(&log)?))
}

#[tokio::test]
async fn endpoint_configs_are_checked_before_anything_runs() -> Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("rules.yaml"), RULES)?;
    let base = |extra: &[String]| -> Vec<String> {
        let mut a = vec![
            "run".to_string(),
            format!("--rule-file={}", dir.path().join("rules.yaml").display()),
            format!("--data-dir={}", dir.path().join("data").display()),
            format!("--http-address=127.0.0.1:{}", free_port().unwrap_or(0)),
            format!("--grpc-address=127.0.0.1:{}", free_port().unwrap_or(0)),
        ];
        a.extend_from_slice(extra);
        a
    };
    let typo = dir.path().join("query.yaml");
    std::fs::write(
        &typo,
        "- static_configs: ['q:9090']\n  http_config:\n    tls_config: {ca_fil: /ca.crt}\n",
    )?;

    let (code, err) = run_briefly(
        dir.path(),
        &base(&["--query=http://q:9090".into(), format!("--query.config-file={}", typo.display())]),
    )?;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--query.config-file") && err.contains("cannot be used with"), "{err}");

    let (code, err) = run_briefly(dir.path(), &base(&[format!("--query.config-file={}", typo.display())]))?;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("--query.config-file {}", typo.display())) && err.contains("ca_fil"),
        "{err}"
    );

    let missing = "alertmanagers:\n- static_configs: ['am:9093']\n  http_config: {tls_config: {ca_file: /nonexistent/ca.crt}}\n";
    let (code, err) = run_briefly(
        dir.path(),
        &base(&["--query=http://q:9090".into(), format!("--alertmanagers.config={missing}")]),
    )?;
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("Alertmanager am:9093: tls_config: ca_file /nonexistent/ca.crt"), "{err}");
    Ok(())
}

#[tokio::test]
async fn the_rulers_own_port_wants_tls_a_client_certificate_and_a_password() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let certs = Certs::make(&dir.path().join("good"))?;
    let prom = Prometheus::start(&[("replica", "a")], "", None).await?;
    std::fs::write(dir.path().join("rules.yaml"), RULES)?;
    let web = dir.path().join("web.yml");
    let headers = "http_server_config:\n  headers:\n    X-Frame-Options: deny\n";
    let web_yaml = |password: &str| -> Result<String> {
        Ok(web_config(&certs.server_cert, &certs.server_key, USER, password, Some(&certs.ca))? + headers)
    };
    std::fs::write(&web, web_yaml(PASSWORD)?)?;
    let port = free_port()?;
    let args: Vec<String> = vec![
        "run".into(),
        format!("--query={}", prom.url),
        format!("--rule-file={}", dir.path().join("rules.yaml").display()),
        format!("--http.config={}", web.display()),
        format!("--http-address=127.0.0.1:{port}"),
        format!("--grpc-address=127.0.0.1:{}", free_port()?),
        format!("--data-dir={}", dir.path().join("data").display()),
    ];
    let _ruler = ChildGuard::spawn(env!("CARGO_BIN_EXE_ruler"), &args, Some(&dir.path().join("ruler.log")))?;
    let url = format!("https://127.0.0.1:{port}");
    let client = |password: Option<&str>, certificate: bool| -> Result<Client> {
        let tls = TlsConfig {
            ca_file: certs.ca.display().to_string(),
            cert_file: if certificate { certs.client_cert.display().to_string() } else { String::new() },
            key_file: if certificate { certs.client_key.display().to_string() } else { String::new() },
            ..Default::default()
        };
        let basic_auth = BasicAuth {
            username: password.map(|_| USER.to_string()).unwrap_or_default(),
            password: password.unwrap_or_default().into(),
            ..Default::default()
        };
        Ok(Client::new(
            HttpConfig { basic_auth, tls_config: tls, ..Default::default() },
            Some(Duration::from_secs(5)),
        )?)
    };
    let status = |c: Client, path: &'static str| {
        let url = format!("{url}{path}");
        async move { anyhow::Ok(c.request(reqwest::Method::GET, &url)?.send().await?) }
    };
    let right = client(Some(PASSWORD), true)?;
    eventually("the ruler to answer over TLS", || async {
        Ok(status(right.clone(), "/-/ready").await.ok().filter(|r| r.status() == 200))
    })
    .await?;

    for path in ["/-/healthy", "/-/ready", "/api/v1/rules", "/metrics", "/no/such/page"] {
        for (what, c) in
            [("no password", client(None, true)?), ("wrong password", client(Some("guess"), true)?)]
        {
            let r = status(c, path).await?;
            assert_eq!(r.status(), 401, "{what} on {path}");
            assert_eq!(r.headers()["www-authenticate"], "Basic");
            assert_eq!(r.headers()["x-frame-options"], "deny", "headers on refusals too");
            assert_eq!(r.text().await?, "Unauthorized\n", "nothing more is said");
        }
    }
    let ok = status(right.clone(), "/api/v1/rules").await?;
    assert_eq!((ok.status().as_u16(), ok.version()), (200, reqwest::Version::HTTP_2), "HTTP/2 by ALPN");
    assert_eq!(ok.headers()["x-frame-options"], "deny");
    let anonymous = status(client(Some(PASSWORD), false)?, "/-/healthy").await;
    assert!(anonymous.is_err(), "no client certificate, no connection: {anonymous:?}");

    // A new password in the file: the old one is refused and the new one let in, without a restart.
    std::fs::write(&web, web_yaml("n3w-secret")?)?;
    eventually("the new password to be in force", || async {
        let old = status(client(Some(PASSWORD), true)?, "/-/healthy").await?.status();
        let new = status(client(Some("n3w-secret"), true)?, "/-/healthy").await?.status();
        Ok((old == 401 && new == 200).then_some(()))
    })
    .await?;
    Ok(())
}
