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

use crate::tsdb::LabelSet;
use proto::thanos::Label;

/// Labels as the wire carries them: sorted by name (a `Labels` map already is).
pub fn to_wire(labels: &Labels) -> Vec<Label> {
    labels.iter().map(|(name, value)| Label { name: name.clone(), value: value.clone() }).collect()
}

/// `labels` with `external` merged in; on a clash the external label's value wins, as in Thanos.
pub fn with_external(labels: &Labels, external: &Labels) -> Labels {
    crate::tsdb::owned_labels(merged(pairs(labels), external))
}

/// A stored series' labels as the wire carries them, `external` merged in as [`with_external`] does.
pub fn to_wire_with_external(labels: &LabelSet, external: &Labels) -> Vec<Label> {
    merged(labels.pairs(), external)
        .map(|(name, value)| Label { name: name.to_string(), value: value.to_string() })
        .collect()
}

fn pairs(labels: &Labels) -> impl Iterator<Item = (&str, &str)> + Clone {
    labels.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// The pairs of `labels` (in name order) with `external` merged in, in name order, without building
/// the merged set.
fn merged<'a>(
    labels: impl Iterator<Item = (&'a str, &'a str)>,
    external: &'a Labels,
) -> impl Iterator<Item = (&'a str, &'a str)> {
    let mut own = labels.filter(|(k, _)| !external.contains_key(*k)).peekable();
    let mut ext = pairs(external).peekable();
    std::iter::from_fn(move || match (own.peek(), ext.peek()) {
        (Some(a), Some(b)) if a.0 < b.0 => own.next(),
        (Some(_), Some(_)) | (None, Some(_)) => ext.next(),
        (Some(_), None) => own.next(),
        (None, None) => None,
    })
}

/// Orders label sets as they read once `external` is merged into each (the order a Querier expects
/// of a Series stream), without building the merged sets.
pub fn cmp_with_external(a: &LabelSet, b: &LabelSet, external: &Labels) -> std::cmp::Ordering {
    merged(a.pairs(), external).cmp(merged(b.pairs(), external))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn order_with_external_labels_is_the_merged_sets_order() {
        let ext = l(&[("z", "0"), ("b", "9")]);
        let sets = [
            l(&[("x", "1")]),
            l(&[("x", "1"), ("y", "1")]),
            l(&[("a", "1")]),
            l(&[("b", "1"), ("c", "2")]),
            l(&[("c", "2")]),
            l(&[]),
        ];
        for a in &sets {
            let mut by_hand = a.clone();
            by_hand.extend(ext.clone());
            assert_eq!(with_external(a, &ext), by_hand, "the external value wins");
            for b in &sets {
                assert_eq!(
                    cmp_with_external(&LabelSet::from(a), &LabelSet::from(b), &ext),
                    with_external(a, &ext).cmp(&with_external(b, &ext)),
                    "{a:?} {b:?}"
                );
            }
        }
        // Merging can reorder: {x=1} < {x=1,y=1}, but with z=0 added the second comes first.
        let (x, xy) = (LabelSet::from(&sets[0]), LabelSet::from(&sets[1]));
        assert_eq!(cmp_with_external(&x, &xy, &ext), std::cmp::Ordering::Greater);
        let wire = to_wire_with_external(&xy, &ext);
        assert_eq!(wire.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), ["b", "x", "y", "z"]);
    }
}
