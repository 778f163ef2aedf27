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
        let child = cmd.spawn().with_context(|| format!("start {program} (is it installed? run scripts/test.sh)"))?;
        Ok(ChildGuard { name: program.to_string(), child })
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
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
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", self.child.id())]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
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
    pub async fn start(external_labels: &[(&str, &str)], scrape_configs: &str, dir: Option<PathBuf>) -> Result<Prometheus> {
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
        let args = vec![
            format!("--config.file={}", config_path.display()),
            format!("--storage.tsdb.path={}", dir.join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
        ];
        let child = ChildGuard::spawn("prometheus", &args, Some(&dir.join("prometheus.log")))?;
        let url = format!("http://127.0.0.1:{port}");
        wait_ready(&format!("{url}/-/ready"), Duration::from_secs(30))
            .await
            .with_context(|| format!("prometheus did not start; see {}", dir.join("prometheus.log").display()))?;
        Ok(Prometheus { url, dir, _child: child, _tmp: tmp })
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
        let tmp = tempfile::tempdir()?;
        let port = free_port()?;
        let config = tmp.path().join("alertmanager.yml");
        std::fs::write(&config, "route:\n  receiver: blackhole\n  group_wait: 1s\nreceivers:\n  - name: blackhole\n")?;
        let args = vec![
            format!("--config.file={}", config.display()),
            format!("--storage.path={}", tmp.path().join("data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--cluster.listen-address=".to_string(),
        ];
        let log = tmp.path().join("alertmanager.log");
        let child = ChildGuard::spawn("prometheus-alertmanager", &args, Some(&log))?;
        let url = format!("http://127.0.0.1:{port}");
        wait_ready(&format!("{url}/-/ready"), Duration::from_secs(30))
            .await
            .with_context(|| format!("alertmanager did not start; see {}", log.display()))?;
        Ok(Alertmanager { url, _child: child, _tmp: tmp })
    }
}
