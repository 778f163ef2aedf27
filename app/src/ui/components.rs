//! One component per thing the user sees.

pub mod alerts_page;
pub mod app;
pub mod engine_analysis;
pub mod expr_tree;
pub mod expression_input;
pub mod graph;
pub mod panel;
pub mod query_status;
pub mod result_table;
pub mod rule_parts;
pub mod rules_page;
pub mod status_page;
pub mod stores_page;
pub mod thanos_controls;
