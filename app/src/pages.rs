//! The pages besides the graph: routing and view-models.
//!
//! - [`embed`]: the embed header's time window and its refresh interval.
//! - [`route`]: which page (Graph, Alerts, Rules, Stores, Status) a path shows.
//! - [`rules`]: the Rules and Alerts pages' filters, counts, query links and times in words.
//! - [`stores`]: the Stores page and the panels' store filter.
//! - [`status`]: the Status page's build and runtime information and flags.

pub mod embed;
pub mod route;
pub mod rules;
pub mod status;
pub mod stores;
