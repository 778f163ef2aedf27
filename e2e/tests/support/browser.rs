//! Headless Chromium through chromedriver, started in one place. Helpers wait for what a user would
//! see instead of sleeping.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use fantoccini::elements::Element;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use testkit::process::{free_port, wait_ready, ChildGuard};

/// How long a step may take before the test fails (first wasm load included).
pub const PATIENCE: Duration = Duration::from_secs(20);

/// WebDriver's codes for the keys a scenario presses, for `send_keys`.
pub mod keys {
    pub const TAB: &str = "\u{E004}";
    pub const ENTER: &str = "\u{E007}";
    pub const SHIFT: &str = "\u{E008}";
    pub const CONTROL: &str = "\u{E009}";
    /// Releases the modifier keys pressed before it in the same key sequence.
    pub const RELEASE: &str = "\u{E000}";
    pub const ESCAPE: &str = "\u{E00C}";
    pub const ARROW_LEFT: &str = "\u{E012}";
    pub const ARROW_UP: &str = "\u{E013}";
    pub const ARROW_DOWN: &str = "\u{E015}";
}

/// chromedriver's `goog/cdp/execute`: one DevTools command in the session's page.
#[derive(Debug)]
struct Cdp(Value);

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.0.to_string()))
    }
}

/// A browser session; chromedriver and Chromium go away when it is dropped.
pub struct Browser {
    pub client: Client,
    _driver: ChildGuard,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> Result<Browser> {
        let port = free_port()?;
        let driver = ChildGuard::spawn("chromedriver", &[format!("--port={port}")], None)?;
        wait_ready(&format!("http://127.0.0.1:{port}/status"), Duration::from_secs(15)).await?;
        let profile = tempfile::tempdir()?;
        let caps = json!({
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                    "--window-size=1280,900", format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        });
        let Value::Object(caps) = caps else { unreachable!() };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .context("start a chromium session through chromedriver")?;
        Ok(Browser { client, _driver: driver, _profile: profile })
    }

    /// Runs a Chrome DevTools Protocol command (`Emulation.setEmulatedMedia`, …) for what WebDriver
    /// cannot do.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Result<Value> {
        self.client
            .issue_cmd(Cdp(json!({ "cmd": cmd, "params": params })))
            .await
            .with_context(|| format!("DevTools command {cmd}"))
    }

    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client.goto(url).await.with_context(|| format!("open {url}"))
    }

    /// Waits until `css` matches an element.
    pub async fn find(&self, css: &str) -> Result<Element> {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("no element matches {css}"))
    }

    pub async fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        Ok(self.client.find_all(Locator::Css(css)).await?)
    }

    /// How many elements match `css` now (no waiting).
    pub async fn count(&self, css: &str) -> Result<usize> {
        Ok(self.find_all(css).await?.len())
    }

    /// Texts of all elements matching `css`, in document order.
    pub async fn texts(&self, css: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for e in self.find_all(css).await? {
            out.push(e.text().await?);
        }
        Ok(out)
    }

    pub async fn click(&self, css: &str) -> Result<()> {
        self.find(css).await?.click().await.with_context(|| format!("click {css}"))
    }

    /// Replaces a text field's value with `text`, typed as keys: end it with `\t` to leave the field
    /// (which fires `change`), or with `\n` to press Enter.
    pub async fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let e = self.find(css).await?;
        e.clear().await?;
        e.send_keys(text).await?;
        Ok(())
    }

    pub async fn url(&self) -> Result<String> {
        Ok(self.client.current_url().await?.to_string())
    }

    /// Waits until the page's URL contains `needle` (`present`) or no longer does; returns the URL.
    pub async fn wait_url(&self, needle: &str, present: bool) -> Result<String> {
        let what = format!("the URL {} {needle}", if present { "to contain" } else { "not to contain" });
        self.wait_for(&what, || async {
            let url = self.url().await?;
            Ok((url.contains(needle) == present).then_some(url))
        })
        .await
    }

    pub async fn js(&self, script: &str) -> Result<Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    /// Polls `probe` until it returns `Some`, failing with `what` after [`PATIENCE`].
    pub async fn wait_for<T, F, Fut>(&self, what: &str, mut probe: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>>>,
    {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(v) = probe().await? {
                return Ok(v);
            }
            if Instant::now() > deadline {
                bail!("timed out waiting for {what}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Picks `value` in the `<select>` matching `css`, as a user's choice fires `change`.
    pub async fn choose(&self, css: &str, value: &str) -> Result<()> {
        let script = format!(
            "const s = document.querySelector({css:?}); s.value = {value:?}; \
             s.dispatchEvent(new Event('change', {{bubbles: true}}));"
        );
        self.js(&script).await.map(drop)
    }

    /// How many performance marks named `name` the page has set (`console:drawn`, …).
    pub async fn marks(&self, name: &str) -> Result<u64> {
        Ok(self
            .js(&format!("return performance.getEntriesByName({name:?}).length"))
            .await?
            .as_u64()
            .unwrap_or(0))
    }

    /// Waits until the page has set a performance mark named `name`.
    pub async fn wait_mark(&self, name: &str) -> Result<()> {
        self.wait_for(&format!("the mark {name}"), || async {
            Ok((self.marks(name).await? > 0).then_some(()))
        })
        .await
    }

    /// Waits until exactly `n` elements match `css`.
    pub async fn wait_count(&self, css: &str, n: usize) -> Result<()> {
        let last = std::cell::Cell::new(0);
        let seen = &last;
        self.wait_for(&format!("{n} × {css}"), move || async move {
            seen.set(self.find_all(css).await?.len());
            Ok((seen.get() == n).then_some(()))
        })
        .await
        .with_context(|| format!("last seen {}", last.get()))
    }

    /// Waits until the text of `css` contains `needle`; returns the text.
    pub async fn wait_text(&self, css: &str, needle: &str) -> Result<String> {
        self.wait_for(&format!("{css} to contain {needle:?}"), || async {
            let texts = self.texts(css).await?;
            Ok(texts.into_iter().find(|t| t.contains(needle)))
        })
        .await
    }

    /// Saves a PNG of the page, to look at while debugging a scenario.
    #[allow(dead_code)]
    pub async fn screenshot(&self, path: &str) -> Result<()> {
        std::fs::write(path, self.client.screenshot().await?)?;
        Ok(())
    }

    pub async fn close(self) -> Result<()> {
        self.client.close().await?;
        Ok(())
    }
}
