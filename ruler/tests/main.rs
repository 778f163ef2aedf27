//! Integration tests of the `ruler` binary.
//!
//! - `check`: `ruler check rules` against `promtool check rules` (Prometheus 2.42) on the same files.

mod check;
