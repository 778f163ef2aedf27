//! Test certificates made with `openssl`: a CA, a server certificate for `localhost` and 127.0.0.1,
//! and a client certificate, all signed by the CA and valid for a day; a server certificate that
//! expired in 2020; and Prometheus web-config files that require them.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{ensure, Context, Result};

/// PEM files in one directory.
#[derive(Debug, Clone)]
pub struct Certs {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) -> Result<()> {
    let out = Command::new("openssl").args(args).current_dir(dir).output().context("run openssl")?;
    ensure!(out.status.success(), "openssl {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
    Ok(())
}

/// Signs `name`.crt for `name`.key with the CA in `dir`, with the extensions in `ext`.
fn signed(dir: &Path, name: &str, subject: &str, ext: &str) -> Result<()> {
    let (key, csr, crt, extfile) =
        (format!("{name}.key"), format!("{name}.csr"), format!("{name}.crt"), format!("{name}.ext"));
    std::fs::write(dir.join(&extfile), ext)?;
    openssl(dir, &["req", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-out", &csr, "-subj", subject])?;
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            &crt,
            "-days",
            "1",
            "-extfile",
            &extfile,
        ],
    )
}

impl Certs {
    pub fn make(dir: &Path) -> Result<Certs> {
        std::fs::create_dir_all(dir)?;
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                "1",
                "-subj",
                &format!("/CN=testkit CA {}", dir.file_name().and_then(|n| n.to_str()).unwrap_or("")),
            ],
        )?;
        signed(
            dir,
            "server",
            "/CN=localhost",
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        )?;
        signed(dir, "client", "/CN=testkit client", "extendedKeyUsage=clientAuth\n")?;
        Ok(Certs {
            ca: dir.join("ca.crt"),
            server_cert: dir.join("server.crt"),
            server_key: dir.join("server.key"),
            client_cert: dir.join("client.crt"),
            client_key: dir.join("client.key"),
        })
    }

    /// A server certificate and key for `localhost` and 127.0.0.1, signed by this CA, valid only on
    /// 2020-01-01 (`openssl ca`, as `x509 -req` cannot backdate).
    pub fn expired_server(&self) -> Result<(PathBuf, PathBuf)> {
        let dir = self.ca.parent().context("CA directory")?;
        std::fs::write(dir.join("index.txt"), "")?;
        std::fs::write(dir.join("expired.srl"), "1000\n")?;
        std::fs::write(
            dir.join("ca.cnf"),
            "[ca]\ndefault_ca = testkit\n[testkit]\ndatabase = index.txt\nnew_certs_dir = .\n\
             serial = expired.srl\ncertificate = ca.crt\nprivate_key = ca.key\ndefault_md = sha256\n\
             policy = any\n[any]\ncommonName = supplied\n",
        )?;
        std::fs::write(
            dir.join("expired.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        )?;
        openssl(
            dir,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "expired.key",
                "-out",
                "expired.csr",
                "-subj",
                "/CN=localhost",
            ],
        )?;
        openssl(
            dir,
            &[
                "ca",
                "-batch",
                "-config",
                "ca.cnf",
                "-in",
                "expired.csr",
                "-out",
                "expired.crt",
                "-notext",
                "-startdate",
                "20200101000000Z",
                "-enddate",
                "20200102000000Z",
                "-extfile",
                "expired.ext",
            ],
        )?;
        Ok((dir.join("expired.crt"), dir.join("expired.key")))
    }
}

/// Prometheus' web-config YAML (`--web.config.file`, which Alertmanager takes too): TLS with
/// `cert`/`key`, basic auth for `user` with `password` (bcrypt, cost 4 to keep tests fast), and
/// client certificates required and checked against `client_ca` if given.
pub fn web_config(
    cert: &Path,
    key: &Path,
    user: &str,
    password: &str,
    client_ca: Option<&Path>,
) -> Result<String> {
    let hash = bcrypt::hash(password, 4)?;
    let client = match client_ca {
        Some(ca) => {
            format!("  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {}\n", ca.display())
        }
        None => String::new(),
    };
    Ok(format!(
        "tls_server_config:\n  cert_file: {}\n  key_file: {}\n{client}basic_auth_users:\n  {user}: {hash}\n",
        cert.display(),
        key.display()
    ))
}
