//! One component per thing the user sees.

pub mod app;
pub mod expression_input;
pub mod graph;
pub mod panel;
pub mod query_status;
pub mod result_table;
pub mod thanos_controls;
