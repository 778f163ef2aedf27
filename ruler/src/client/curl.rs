//! A request as the curl command that repeats it: the client's TLS files and proxy as options, its
//! credentials as a placeholder (`<password>`) or read from their file when run (`$(cat …)`), so
//! the command can be shown to anyone without showing a secret.

use super::config::HttpConfig;
use super::Client;

/// `curl` sending `form` to `url` (`get`: in the query string, else as a POST body) through `client`.
pub fn command(client: &Client, get: bool, url: &str, form: &[(&str, String)]) -> String {
    let http = &client.0.http;
    let (url, connect_to) = with_server_name(url, &http.tls_config.server_name);
    let mut words = vec!["curl".to_string(), "-sS".into()];
    words.extend(options(http));
    if let Some(c) = connect_to {
        words.extend(["--connect-to".into(), quote(&c)]);
    }
    if get {
        words.push("-G".into());
    }
    words.push(quote(&url));
    for (k, v) in form {
        words.extend(["--data-urlencode".into(), quote(&format!("{k}={v}"))]);
    }
    words.join(" ")
}

fn options(http: &HttpConfig) -> Vec<String> {
    let mut o = Vec::new();
    let auth = &http.basic_auth;
    if !auth.username.is_empty() || !auth.password.is_empty() || !auth.password_file.is_empty() {
        let user = quote(&format!("{}:", auth.username));
        let password = match auth.password_file.as_str() {
            "" => quote("<password>"),
            file => format!("\"$(cat {})\"", quote(file)),
        };
        o.extend(["-u".into(), format!("{user}{password}")]);
    } else if !http.bearer_token.is_empty() {
        o.extend(["-H".into(), quote("Authorization: Bearer <token>")]);
    } else if !http.bearer_token_file.is_empty() {
        o.extend([
            "-H".into(),
            format!("{}\"$(cat {})\"", quote("Authorization: Bearer "), quote(&http.bearer_token_file)),
        ]);
    }
    let tls = &http.tls_config;
    for (flag, file) in [("--cacert", &tls.ca_file), ("--cert", &tls.cert_file), ("--key", &tls.key_file)] {
        if !file.is_empty() {
            o.extend([flag.into(), quote(file)]);
        }
    }
    if tls.insecure_skip_verify {
        o.push("-k".into());
    }
    if !http.proxy_url.is_empty() {
        o.extend(["-x".into(), quote(&http.proxy_url)]);
    }
    o
}

/// curl checks the certificate against the URL's host: with a `server_name`, the URL carries it and
/// `--connect-to` sends the connection where the ruler sends it.
fn with_server_name(url: &str, server_name: &str) -> (String, Option<String>) {
    let Ok(mut parsed) = reqwest::Url::parse(url) else { return (url.to_string(), None) };
    let (Some(host), Some(port)) = (parsed.host_str().map(str::to_string), parsed.port_or_known_default())
    else {
        return (url.to_string(), None);
    };
    if server_name.is_empty() || server_name == host || parsed.set_host(Some(server_name)).is_err() {
        return (url.to_string(), None);
    }
    (parsed.to_string(), Some(format!("{server_name}:{port}:{host}:{port}")))
}

/// One POSIX shell word: single quotes, with `'` written as `'\''`.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::config::{BasicAuth, TlsConfig};

    fn client(http: HttpConfig) -> Client {
        Client::new(http, None).unwrap()
    }

    #[test]
    fn a_plain_post_and_a_get() {
        let form = [("query", "sum(rate(x{a='b'}[5m]))".to_string()), ("dedup", "true".to_string())];
        let plain = client(HttpConfig::default());
        assert_eq!(
            command(&plain, false, "http://q:9090/api/v1/query", &form),
            r"curl -sS 'http://q:9090/api/v1/query' --data-urlencode 'query=sum(rate(x{a='\''b'\''}[5m]))' --data-urlencode 'dedup=true'"
        );
        assert!(command(&plain, true, "http://q:9090/api/v1/query", &form).contains(" -G 'http://q:9090/"));
    }

    #[test]
    fn secrets_are_placeholders_or_read_from_their_files() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("password");
        std::fs::write(&secret, "s3cret").unwrap();
        let inline = client(HttpConfig {
            basic_auth: BasicAuth {
                username: "ruler".into(),
                password: "s3cret".into(),
                ..Default::default()
            },
            ..Default::default()
        });
        let shown = command(&inline, false, "http://q/api/v1/query", &[]);
        assert!(shown.contains(r"-u 'ruler:''<password>'") && !shown.contains("s3cret"), "{shown}");
        let file = client(HttpConfig {
            basic_auth: BasicAuth {
                username: "ruler".into(),
                password_file: secret.display().to_string(),
                ..Default::default()
            },
            ..Default::default()
        });
        let shown = command(&file, false, "http://q/api/v1/query", &[]);
        assert!(shown.contains(&format!("-u 'ruler:'\"$(cat '{}')\"", secret.display())), "{shown}");
        let token = client(HttpConfig { bearer_token: "s3cret".into(), ..Default::default() });
        let shown = command(&token, false, "http://q/api/v1/query", &[]);
        assert!(shown.contains("-H 'Authorization: Bearer <token>'") && !shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn tls_files_proxy_and_server_name() {
        let dir = tempfile::tempdir().unwrap();
        let certs = testkit::certs::Certs::make(dir.path()).unwrap();
        let tls = client(HttpConfig {
            tls_config: TlsConfig {
                ca_file: certs.ca.display().to_string(),
                cert_file: certs.client_cert.display().to_string(),
                key_file: certs.client_key.display().to_string(),
                server_name: "query.internal".into(),
                insecure_skip_verify: true,
            },
            proxy_url: "http://proxy:3128".into(),
            ..Default::default()
        });
        let shown = command(&tls, false, "https://10.0.0.7:10902/api/v1/query", &[]);
        for part in [
            format!("--cacert '{}'", certs.ca.display()),
            format!("--cert '{}' --key '{}'", certs.client_cert.display(), certs.client_key.display()),
            " -k -x 'http://proxy:3128'".into(),
            "--connect-to 'query.internal:10902:10.0.0.7:10902' 'https://query.internal:10902/api/v1/query'"
                .into(),
        ] {
            assert!(shown.contains(&part), "want {part}\n in {shown}");
        }
    }
}
