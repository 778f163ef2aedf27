//! Child processes for tests and the demo: free ports, kill-on-drop, a real Prometheus.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// A free TCP port on 127.0.0.1 (bound and released; the caller binds it next).
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A child process that is killed when this is dropped, so a failing test leaves nothing running.
#[derive(Debug)]
pub struct ChildGuard {
    name: String,
    child: Child,
}

impl ChildGuard {
    /// Starts `program` with `args`; its output goes to `log` (or is discarded).
    pub fn spawn(program: &str, args: &[String], log: Option<&Path>) -> Result<ChildGuard> {
        let mut cmd = Command::new(program);
        // Its own process group, so that dropping the guard also ends what it started (chromedriver's
        // Chromium survives chromedriver otherwise).
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        cmd.args(args).stdin(Stdio::null());
        match log {
            Some(path) => {
                let f = std::fs::File::create(path).with_context(|| format!("create {}", path.display()))?;
                cmd.stdout(f.try_clone()?).stderr(f);
            }
            None => {
                cmd.stdout(Stdio::null()).stderr(Stdio::null());
            }
        }
        let child =
            cmd.spawn().with_context(|| format!("start {program} (is it installed? run scripts/test.sh)"))?;
        Ok(ChildGuard { name: program.to_string(), child })
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `timeout` for the process to exit; `None` if it is still running.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Result<Option<std::process::ExitStatus>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(Some(status));
            }
            if Instant::now() > deadline {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Fails if the process has already exited.
    pub fn check_running(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("{} exited early: {status}", self.name);
        }
        Ok(())
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until 127.0.0.1:`port` accepts connections while `child` runs (for servers behind TLS and
/// auth, whose readiness endpoint this crate's plain client cannot ask).
pub async fn wait_listening(child: &mut ChildGuard, port: u16, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        child.check_running()?;
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            // Prometheus opens its port before its storage: give it a moment.
            tokio::time::sleep(Duration::from_millis(500)).await;
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("127.0.0.1:{port} not listening after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `url` until it answers 2xx, or fails after `timeout`.
pub async fn wait_ready(url: &str, timeout: Duration) -> Result<()> {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(r) = client.get(url).send().await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            bail!("{url} not ready after {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A real Prometheus server on a free port, with its own data directory, killed on drop.
#[derive(Debug)]
pub struct Prometheus {
    pub url: String,
    pub dir: PathBuf,
    _child: ChildGuard,
    _tmp: Option<tempfile::TempDir>,
}

impl Prometheus {
    /// Starts `prometheus` with `external_labels` and `scrape_configs`, YAML appended after its own
    /// scrape job: more list items indented by two spaces, then optionally top-level keys such as
    /// `rule_files:`. Runs in `dir` (a temporary directory if `None`).
    pub async fn start(
        external_labels: &[(&str, &str)],
        scrape_configs: &str,
        dir: Option<PathBuf>,
    ) -> Result<Prometheus> {
        Prometheus::start_with(external_labels, scrape_configs, dir, None).await
    }

    /// As [`Prometheus::start`], behind `web_config` (Prometheus' `--web.config.file` YAML, e.g.
    /// from [`crate::certs::web_config`]); the URL is then `https://`, and readiness is taken from
    /// the port accepting connections.
    pub async fn start_with(
        external_labels: &[(&str, &str)],
        scrape_configs: &str,
        dir: Option<PathBuf>,
        web_config: Option<&str>,
    ) -> Result<Prometheus> {
        let (dir, tmp) = match dir {
            Some(d) => (d, None),
            None => {
                let t = tempfile::tempdir()?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        std::fs::create_dir_all(&dir)?;
        let port = free_port()?;
        let labels: String = external_labels.iter().map(|(k, v)| format!("    {k}: {v:?}\n")).collect();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n  external_labels:\n{labels}\
             scrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n{scrape_configs}"
        );
        let config_path = dir.join("prometheus.yml");
        std::fs::write(&config_path, config)?;
        let mut args = vec![
            format!("--config.file={}", config_path.display()),
            format!("--storage.tsdb.path={}", dir.join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ];
        if let Some(web) = web_config {
            let path = dir.join("web.yml");
            std::fs::write(&path, web)?;
            args.push(format!("--web.config.file={}", path.display()));
        }
        let log = dir.join("prometheus.log");
        let mut child = ChildGuard::spawn("prometheus", &args, Some(&log))?;
        let scheme = if web_config.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://127.0.0.1:{port}");
        let started = match web_config {
            None => wait_ready(&format!("{url}/-/ready"), Duration::from_secs(30)).await,
            Some(_) => wait_listening(&mut child, port, Duration::from_secs(30)).await,
        };
        started.with_context(|| format!("prometheus did not start; see {}", log.display()))?;
        Ok(Prometheus { url, dir, _child: child, _tmp: tmp })
    }

    /// The server's process id (for CPU and memory readings).
    pub fn pid(&self) -> u32 {
        self._child.id()
    }
}

/// A real Alertmanager on a free port (clustering off), with a receiver that drops everything, killed
/// on drop.
#[derive(Debug)]
pub struct Alertmanager {
    pub url: String,
    _child: ChildGuard,
    _tmp: tempfile::TempDir,
}

impl Alertmanager {
    pub async fn start() -> Result<Alertmanager> {
        Alertmanager::start_on(free_port()?).await
    }

    /// On `port`, e.g. one a client was told about before the Alertmanager existed.
    pub async fn start_on(port: u16) -> Result<Alertmanager> {
        Alertmanager::start_with(port, None).await
    }

    /// On `port`, behind `web_config` (`--web.config.file` YAML) if given: the URL is then
    /// `https://`, and readiness is taken from the port accepting connections.
    pub async fn start_with(port: u16, web_config: Option<&str>) -> Result<Alertmanager> {
        let tmp = tempfile::tempdir()?;
        let config = tmp.path().join("alertmanager.yml");
        std::fs::write(
            &config,
            "route:\n  receiver: blackhole\n  group_wait: 1s\nreceivers:\n  - name: blackhole\n",
        )?;
        let mut args = vec![
            format!("--config.file={}", config.display()),
            format!("--storage.path={}", tmp.path().join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--cluster.listen-address=".to_string(),
        ];
        if let Some(web) = web_config {
            let path = tmp.path().join("web.yml");
            std::fs::write(&path, web)?;
            args.push(format!("--web.config.file={}", path.display()));
        }
        let log = tmp.path().join("alertmanager.log");
        let mut child = ChildGuard::spawn("prometheus-alertmanager", &args, Some(&log))?;
        let scheme = if web_config.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://127.0.0.1:{port}");
        let started = match web_config {
            None => wait_ready(&format!("{url}/-/ready"), Duration::from_secs(30)).await,
            Some(_) => wait_listening(&mut child, port, Duration::from_secs(30)).await,
        };
        started.with_context(|| format!("alertmanager did not start; see {}", log.display()))?;
        Ok(Alertmanager { url, _child: child, _tmp: tmp })
    }
}

/// Debian's nginx running one `server` block (as the console image's `/etc/nginx/conf.d/default.conf`)
/// in the `http` context of a minimal main config, from a temporary prefix; killed on drop.
#[derive(Debug)]
pub struct Nginx {
    /// The prefix: `access.log`, `error.log`, `default.conf`.
    pub dir: PathBuf,
    _child: ChildGuard,
    _tmp: tempfile::TempDir,
}

impl Nginx {
    /// Starts nginx with `server_block`, which must listen on 127.0.0.1:`port`; returns once it accepts
    /// connections.
    pub async fn start(server_block: &str, port: u16) -> Result<Nginx> {
        let nginx = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).map(|d| d.join("nginx")).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .chain([PathBuf::from("/usr/sbin/nginx")])
            .find(|p| p.is_file())
            .context(
                "nginx not found on PATH or in /usr/sbin: install Debian's nginx (scripts/setup.sh does)",
            )?;
        let mime_types = Path::new("/etc/nginx/mime.types");
        if !mime_types.is_file() {
            bail!("{} missing: install Debian's nginx (scripts/setup.sh does)", mime_types.display());
        }
        let tmp = tempfile::tempdir()?;
        let dir = tmp.path().to_path_buf();
        // Run as root, nginx's workers are another user: they must reach the temp paths in here.
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
        std::fs::write(dir.join("default.conf"), server_block)?;
        // The image's nginx.conf, less what does not matter here; relative paths are in the prefix.
        let main = format!(
            "worker_processes 1;\npid nginx.pid;\nevents {{}}\n\
             http {{\n\
             include {};\n\
             default_type application/octet-stream;\n\
             access_log access.log;\n\
             client_body_temp_path client_body;\n\
             proxy_temp_path proxy;\n\
             fastcgi_temp_path fastcgi;\n\
             uwsgi_temp_path uwsgi;\n\
             scgi_temp_path scgi;\n\
             include default.conf;\n\
             }}\n",
            mime_types.display()
        );
        std::fs::write(dir.join("nginx.conf"), main)?;
        let error_log = dir.join("error.log");
        let args = vec![
            "-p".to_string(),
            format!("{}/", dir.display()),
            "-c".to_string(),
            dir.join("nginx.conf").display().to_string(),
            "-e".to_string(),
            error_log.display().to_string(),
            "-g".to_string(),
            "daemon off;".to_string(),
        ];
        let program = nginx.to_str().context("nginx path is not UTF-8")?;
        let mut child = ChildGuard::spawn(program, &args, Some(&dir.join("nginx.out")))?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            let log = || std::fs::read_to_string(&error_log).unwrap_or_default();
            child.check_running().with_context(|| format!("nginx: {}", log()))?;
            if Instant::now() > deadline {
                bail!("nginx not listening on 127.0.0.1:{port} after 10s: {}", log());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Nginx { dir, _child: child, _tmp: tmp })
    }
}

/// utime + stime of process `pid`, in seconds (from `/proc/<pid>/stat`), for benchmarks.
pub fn cpu_seconds(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')').context("bad stat")? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Ok((f[11].parse::<f64>()? + f[12].parse::<f64>()?) / 100.0) // USER_HZ is 100 on Linux
}

/// Resident memory of process `pid` now and at its peak (VmRSS, VmHWM), in MiB.
pub fn memory_mib(pid: u32) -> Result<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> Result<f64> {
        let line = status.lines().find(|l| l.starts_with(name)).context("no such field")?;
        Ok(line.split_whitespace().nth(1).context("no value")?.parse::<f64>()? / 1024.0)
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}
