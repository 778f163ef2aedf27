//! The console's pages, one file each; [`crate::pages`] holds their pure view-models.

mod alerts;
mod embed;
mod graph;
mod rule_parts;
mod rules;
mod status;
mod stores;

pub use alerts::AlertsPage;
pub use embed::Embedded;
pub use graph::Panels;
pub use rules::RulesPage;
pub use status::StatusPage;
pub use stores::StoresPage;
