//! What can go wrong writing or reading a block or the WAL.

use std::path::PathBuf;

use super::wal::Damage;

/// A TSDB error: I/O with the path it concerns, a file that breaks the format (saying where and which
/// rule), or samples a block cannot hold.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A read ran past the end of a file or section.
    #[error("{what}: need {need} bytes at offset {offset}, {left} left")]
    Truncated { what: &'static str, offset: u64, need: u64, left: u64 },
    #[error("{what}: bad magic: expected {expected:#010x}, got {got:#010x}")]
    Magic { what: &'static str, expected: u32, got: u32 },
    #[error("{what}: unsupported version: expected {expected}, got {got}")]
    Version { what: &'static str, expected: u32, got: u32 },
    #[error(
        "{what} at offset {offset}: checksum mismatch: stored {stored:#010x}, computed {computed:#010x}"
    )]
    Checksum { what: &'static str, offset: u64, stored: u32, computed: u32 },
    /// Any other broken invariant of the format; `reason` names it.
    #[error("{what} at offset {offset}: {reason}")]
    Malformed { what: &'static str, offset: u64, reason: String },
    #[error("meta.json {}: {source}", path.display())]
    Meta {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("block window [{mint}, {maxt}) is empty")]
    EmptyWindow { mint: i64, maxt: i64 },
    #[error("series {labels}: sample at {t} is outside the block window [{mint}, {maxt})")]
    OutOfWindow { labels: String, t: i64, mint: i64, maxt: i64 },
    #[error("series {labels}: two different values at {t}")]
    DuplicateSample { labels: String, t: i64 },
    #[error("series {labels}: {reason}")]
    InvalidLabels { labels: String, reason: &'static str },
    #[error("no samples: a block must hold at least one")]
    EmptyBlock,
    #[error("WAL segment size {size} is not a positive multiple of the {page}-byte page")]
    WalSegmentSize { size: usize, page: usize },
    #[error("WAL record of {len} bytes does not fit in a segment, which holds {max}")]
    WalRecordTooLarge { len: usize, max: usize },
    /// A write or sync of the WAL failed earlier; appending is refused until it is opened again.
    #[error("WAL segment {}: an earlier write failed; open the WAL again to go on", path.display())]
    WalFailed { path: PathBuf },
    /// The files of a WAL directory do not form a log Prometheus would read.
    #[error("WAL {}: {reason}", dir.display())]
    WalLayout { dir: PathBuf, reason: String },
    /// Damage in a WAL segment that is not a torn tail: in an earlier segment or a checkpoint, or with
    /// intact data after it.
    #[error("WAL segment {} at offset {offset}: {damage}", path.display())]
    WalCorrupt { path: PathBuf, offset: u64, damage: Damage },
}

impl Error {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { op, path, source }
    }

    pub(crate) fn malformed(what: &'static str, offset: u64, reason: impl Into<String>) -> Error {
        Error::Malformed { what, offset, reason: reason.into() }
    }
}
