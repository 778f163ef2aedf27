//! The Stores page (`/stores`): the querier's store endpoints by type, with their health, labels and
//! time range.

use anyhow::Result;

use super::badges;
use crate::support::browser::Browser;

pub struct StoresPage<'a> {
    b: &'a Browser,
}

impl<'a> StoresPage<'a> {
    /// Opens `{console}/stores`.
    pub async fn open(b: &'a Browser, console: &str) -> Result<StoresPage<'a>> {
        b.goto(&format!("{console}/stores")).await?;
        Ok(StoresPage { b })
    }

    /// Waits until the page lists exactly `n` stores.
    pub async fn wait_stores(&self, n: usize) -> Result<()> {
        self.b.wait_count("[data-testid=store]", n).await
    }

    /// Waits for the page's message instead of a list (an error, or why there is nothing to list).
    pub async fn wait_message(&self, needle: &str) -> Result<String> {
        self.b.wait_text("[data-testid=error]", needle).await
    }

    /// The store types' headings (`sidecar`, `store`, …).
    pub async fn types(&self) -> Result<Vec<String>> {
        self.b.texts("[data-testid=store-type-name]").await
    }

    /// The stores' addresses.
    pub async fn names(&self) -> Result<Vec<String>> {
        self.b.texts("[data-testid=store-name]").await
    }

    /// Each store's health badge, lower-cased.
    pub async fn statuses(&self) -> Result<Vec<String>> {
        badges(self.b, "[data-testid=store-status]").await
    }

    pub async fn labels(&self) -> Result<Vec<String>> {
        self.b.texts("[data-testid=store-labels]").await
    }

    /// Each store's last error (empty when it has none).
    pub async fn errors(&self) -> Result<Vec<String>> {
        self.b.texts("[data-testid=store-error]").await
    }

    pub async fn min_times(&self) -> Result<Vec<String>> {
        self.b.texts("[data-testid=store-min-time]").await
    }

    pub async fn max_times(&self) -> Result<Vec<String>> {
        self.b.texts("[data-testid=store-max-time]").await
    }
}
