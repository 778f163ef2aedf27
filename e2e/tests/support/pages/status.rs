//! The Status page (`/status`): build information, runtime information and flags, as name/value
//! rows, with a filter for the flags.

use anyhow::Result;

use crate::support::browser::Browser;

pub struct StatusPage<'a> {
    b: &'a Browser,
}

impl<'a> StatusPage<'a> {
    /// Opens `{console}/status`.
    pub async fn open(b: &'a Browser, console: &str) -> Result<StatusPage<'a>> {
        b.goto(&format!("{console}/status")).await?;
        Ok(StatusPage { b })
    }

    /// Waits until the page shows exactly `n` sections.
    pub async fn wait_sections(&self, n: usize) -> Result<()> {
        self.b.wait_count("[data-testid=status-section]", n).await
    }

    /// The rows' names, of all sections, in page order.
    pub async fn names(&self) -> Result<Vec<String>> {
        self.b.texts("[data-testid=status-name]").await
    }

    /// Waits until a row's name contains `needle`; returns it.
    pub async fn wait_name(&self, needle: &str) -> Result<String> {
        self.b.wait_text("[data-testid=status-name]", needle).await
    }

    /// Waits until a row is named exactly `name`; returns its value.
    pub async fn wait_value(&self, name: &str) -> Result<String> {
        self.b
            .wait_for(&format!("the {name} row"), || async {
                let names = self.names().await?;
                let values = self.b.texts("[data-testid=status-value]").await?;
                Ok(names.iter().zip(&values).find(|(n, _)| *n == name).map(|(_, v)| v.clone()))
            })
            .await
    }

    /// How many rows the page shows now.
    pub async fn row_count(&self) -> Result<usize> {
        self.b.count("[data-testid=status-row]").await
    }

    /// Types `text` into the flags' filter.
    pub async fn filter_flags(&self, text: &str) -> Result<()> {
        self.b.type_into("[data-testid=flags-filter]", text).await
    }
}
