//! The gRPC API Thanos Queriers read a ruler through (`--grpc-address`): discovery, fresh results
//! and rules, as `thanos rule` serves them, with the wire facts in `proto/README.md`.
//!
//! # Layout
//! - [`proto`]: the code generated from `proto/` (messages, servers, clients).
//! - [`info`]: discovery: `thanos.info.Info/Info` (Queriers from v0.24) and `thanos.Store/Info` (up
//!   to v0.36), both saying "a ruler, with a StoreAPI and a Rules API, holding data from `min_time`".
//! - [`store`]: `thanos.Store/Series`, `LabelNames`, `LabelValues` over [`crate::storage`]: head and
//!   blocks, external labels merged in at read time.
//! - [`matchers`]: label matchers with Prometheus' semantics, and the split between those decided
//!   against external labels and those left for the stored series.
//! - [`rules`]: `thanos.Rules/Rules` from the groups' published state.
//! - [`server`]: the server itself: TLS, health, reflection, graceful stop.

pub mod info;
pub mod matchers;
pub mod proto;
pub mod rules;
pub mod server;
pub mod store;

use promapi::Labels;

use proto::thanos::Label;

/// Labels as the wire carries them: sorted by name (a `Labels` map already is).
pub fn to_wire(labels: &Labels) -> Vec<Label> {
    labels.iter().map(|(name, value)| Label { name: name.clone(), value: value.clone() }).collect()
}

/// `labels` with `external` merged in; on a clash the external label's value wins, as in Thanos.
pub fn with_external(labels: &Labels, external: &Labels) -> Labels {
    let mut all = labels.clone();
    all.extend(external.iter().map(|(k, v)| (k.clone(), v.clone())));
    all
}
