//! Test certificates made with `openssl`: a CA, a server certificate for `localhost` and 127.0.0.1,
//! and a client certificate, all signed by the CA and valid for a day.

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
                "/CN=testkit CA",
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
}
