//! The top bar of every full page: links to the pages and the theme choice.

use anyhow::Result;

use crate::support::browser::Browser;

pub struct TopBar<'a> {
    b: &'a Browser,
}

impl<'a> TopBar<'a> {
    pub fn new(b: &'a Browser) -> TopBar<'a> {
        TopBar { b }
    }

    /// Whether the page shows the top bar (an embed does not).
    pub async fn is_shown(&self) -> Result<bool> {
        Ok(self.b.count(".topbar").await? > 0)
    }

    /// Follows the link to `page` (`graph`, `rules`, `alerts`, …).
    pub async fn go_to(&self, page: &str) -> Result<()> {
        self.b.click(&format!("[data-testid=nav-{page}]")).await
    }

    /// Whether the link to `page` is marked as the current page (`aria-current="page"`).
    pub async fn is_current(&self, page: &str) -> Result<bool> {
        let link = self.b.find(&format!("[data-testid=nav-{page}]")).await?;
        Ok(link.attr("aria-current").await?.as_deref() == Some("page"))
    }

    /// Waits for the theme choice; returns what is chosen (`auto`, `light`, `dark`).
    pub async fn theme(&self) -> Result<String> {
        Ok(self.b.find("[data-testid=theme]").await?.prop("value").await?.unwrap_or_default())
    }

    pub async fn choose_theme(&self, theme: &str) -> Result<()> {
        self.b.choose("[data-testid=theme]", theme).await
    }

    /// Whether the page is dark (the `dark` class on `<html>`).
    pub async fn page_is_dark(&self) -> Result<bool> {
        Ok(self.b.js("return document.documentElement.classList.contains('dark')").await? == true)
    }
}
