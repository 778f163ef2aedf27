//! Prometheus TSDB blocks, written and read by our own code, byte-identical to what Prometheus 2.42
//! writes for the same samples. The byte layouts, and what Prometheus and Thanos check, are in
//! `tsdb/FORMAT.md`, beside this file; each file's doc has its section's diagram.
//!
//! # Layout
//! - [`block`]: [`BlockWriter`] (samples of one window → a block directory, atomically) and [`Block`]
//!   (a block read back, strictly checked).
//! - [`meta`]: `meta.json`, with the Thanos section.
//! - [`index`]: the `index` file: symbols, series, postings, offset tables, TOC.
//! - [`chunks`]: chunk segment files and chunk references.
//! - [`label_set`]: a label set packed into one string, for reads that hold many.
//! - [`cut`]: where chunks end, as Prometheus' head decides.
//! - [`xor`]: the XOR (Gorilla) chunk encoding.
//! - [`tombstones`]: the (empty) `tombstones` file.
//! - [`wal`]: the write-ahead log: [`wal::Wal`] appends records, [`wal::replay`] reads them back.
//! - [`encoding`]: big-endian integers, varints, CRC-32C.
//! - [`error`]: what can go wrong, as one [`Error`] type.

pub mod block;
pub mod chunks;
pub mod cut;
pub mod encoding;
pub mod error;
pub mod index;
pub mod label_set;
pub mod meta;
pub mod tombstones;
pub mod wal;
pub mod xor;

pub use block::{Block, BlockWriter, Series};
pub use error::Error;
pub use label_set::LabelSet;
pub use meta::Meta;

use std::fs::File;
use std::path::Path;

use promapi::Labels;

/// Prometheus' default block duration, 2h in ms: blocks cover aligned windows of it, and the head's
/// chunks never cross its multiples.
pub const BLOCK_DURATION_MS: i64 = 2 * 60 * 60 * 1000;

/// `{a="b", c="d"}`, for messages.
pub(crate) fn fmt_labels(labels: &Labels) -> String {
    let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", pairs.join(", "))
}

/// Owned labels from borrowed pairs (an index entry's, a packed set's).
pub(crate) fn owned_labels<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Labels {
    pairs.map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Makes a directory's entries (new files, renames) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), Error> {
    File::open(dir).and_then(|f| f.sync_all()).map_err(Error::io("sync", dir))
}
