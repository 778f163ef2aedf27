//! The Thanos query console.
//!
//! # Layout
//! Pure logic by wing, tested natively with `cargo test -p app`:
//! - [`promql`]: PromQL in the editor: vocabulary, lexer, highlighting and brackets, completion, the
//!   expression tree in words, and the parser worker's protocol (promql-parser runs in a Web Worker).
//! - [`query`]: one panel's query: URL state → API request → decoded answer, warnings, the clock check,
//!   and what the API is (Thanos Querier or Prometheus).
//! - [`chart`]: an answer as something to draw: the plot model with its pointer and zoom maths, the
//!   legend, the histogram heatmap.
//! - [`pages`]: which page a path shows, and the view-models of the Rules, Alerts, Stores, Status and
//!   embed pages.
//! - Shared leaves: [`config`] (`config.json`), [`time`] (durations, instants, steps), [`format`](mod@format) (series
//!   names and values as text), [`csv`], [`theme`], [`history`] (past queries).
//!
//! The browser side, compiled for wasm32 only:
//! - `ui`: Leptos pages and panel parts, the API client (the only network I/O), the canvas and the
//!   slicing scheduler. Start reading at `ui::app`.

pub mod chart;
pub mod config;
pub mod csv;
pub mod format;
pub mod history;
pub mod pages;
pub mod promql;
pub mod query;
pub mod theme;
pub mod time;

#[cfg(target_arch = "wasm32")]
pub mod ui;
